#!/usr/bin/env python3
"""bench/threads/table.py: the markdown table of bench/threads/run from its
JSON lines: per problem the median over the passes of each implementation
on 1 thread and on N, the speed-ups, the emitted code's speed-up as a
fraction of the ceiling's (the trivially parallel loop), and ours against
PyTorch at N threads. usage: table.py THREADS.jsonl N"""
import json
import statistics
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    n = int(sys.argv[2])
    t = {}
    for r in rows:
        t.setdefault((r["impl"], r["problem"], r["threads"]), []).append(r["ms"])
    med = {k: statistics.median(v) for k, v in t.items()}
    ceil = med[("ours", "ceiling", 1)] / med[("ours", "ceiling", n)]
    print("ceiling (a trivially parallel sinf loop, 1e7 floats): 1 thread %.2f ms, %d threads %.2f ms: "
          "speed-up %.2f" % (med[("ours", "ceiling", 1)], n, med[("ours", "ceiling", n)], ceil))
    if ("ours", "stream", 1) in med:
        print("streaming (y = 2.5 x + y, 1e7 doubles): 1 thread %.2f ms, %d threads %.2f ms: speed-up %.2f"
              % (med[("ours", "stream", 1)], n, med[("ours", "stream", n)],
                 med[("ours", "stream", 1)] / med[("ours", "stream", n)]))
    print()
    print("| problem | ours, 1 thread (ms) | ours, %d (ms) | speed-up | of the ceiling | PyTorch, 1 (ms) | "
          "PyTorch, %d (ms) | PyTorch speed-up | ours / PyTorch at %d |" % (n, n, n))
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in ("sin", "rosenbrock", "mlp", "logreg"):
        o1, on = med.get(("ours", p, 1)), med.get(("ours", p, n))
        if o1 is None or on is None:
            continue
        s = o1 / on
        p1, pn = med.get(("pytorch", p, 1)), med.get(("pytorch", p, n))
        torch = ("%.2f | %.2f | %.2f | %.2f" % (p1, pn, p1 / pn, on / pn)) if p1 and pn else "- | - | - | -"
        print("| %s | %.2f | %.2f | %.2f | %.2f | %s |" % (p, o1, on, s, s / ceil, torch))


if __name__ == "__main__":
    main()
