#!/usr/bin/env python3
"""bench/table.py: the markdown table of bench/run's results (medians over
rounds of each run's median), the gradients' agreement with the hand-written
ones, peak memory, and compile times. Standard library only."""
import array
import json
import os
import statistics
import sys

out, rounds = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]
problems = ["sin", "mlp", "rosen", "hvp", "hvp_fwd", "logreg"]
titles = {"sin": "sin, N = 1e6, f32: y = sin(x), dy/dx", "mlp": "2-layer MLP, batch 256, 784-128-10",
          "rosen": "Rosenbrock, n = 1e6, f64: gradient", "hvp": "Rosenbrock Hessian-vector product",
          "hvp_fwd": "the same, forward over reverse (jvp of grad; ours only, against the others' product)",
          "logreg": "logistic regression, 4096 x 256, f32"}
order = ["ours", "ours-blas", "hand", "hand-fastmath", "hand-blas", "pytorch", "adolc"]
f32 = {"sin", "mlp", "logreg"}
ms, mem = {}, {}
for r in rows:
    ms.setdefault((r["problem"], r["impl"]), []).append(r["ms"])
    mem.setdefault((r["problem"], r["impl"]), []).append(r["peak_kb"])
impls = [i for i in order if any((p, i) in ms for p in problems)]
med = {k: statistics.median(v) for k, v in ms.items()}


def load(p, i):
    path = os.path.join(out, "out-%s-%s.bin" % (p, {"ours-blas": "ours", "hand-blas": "hand+blas",
                                                    "hand-fastmath": "hand+fastmath"}.get(i, i)))
    a = array.array("d")
    with open(path, "rb") as f:
        a.frombytes(f.read())
    return a


def base(p):
    """The problem whose hand-written, PyTorch and ADOL-C numbers p is set against."""
    return p.replace("_ckpt", "").replace("hvp_fwd", "hvp")


def agreement(p, i):
    try:
        a, b = load(p, i), load(base(p), "hand")  # checkpointed, forward: the plain problem's numbers
    except OSError:
        return None
    if len(a) != len(b):
        return float("inf")
    scale = max(abs(x) for x in b) or 1
    return max(abs(x - y) for x, y in zip(a, b)) / scale


print("Medians in milliseconds (value and gradient together; %s rounds, each the median of many runs)," % rounds)
print("single thread. Ratios: ours (the better of plain and --blas) to the best hand-written C, and to")
print("PyTorch and ADOL-C.\n")
print("| problem | " + " | ".join(impls) + " | ours / best hand | ours / PyTorch | ours / ADOL-C |")
print("| --- | " + " | ".join("---" for _ in impls) + " | --- | --- | --- |")
for p in problems:
    cells = ["%.3f" % med[(p, i)] if (p, i) in med else "-" for i in impls]
    ours = min(med.get((p, i), 1e30) for i in ("ours", "ours-blas"))
    hand = min(med.get((base(p), i), 1e30) for i in ("hand", "hand-fastmath", "hand-blas"))
    pt, ad = med.get((base(p), "pytorch")), med.get((base(p), "adolc"))
    print("| %s | %s | %.2f | %s | %s |" % (titles[p], " | ".join(cells), ours / hand,
                                            "%.2f" % (ours / pt) if pt else "-", "%.3f" % (ours / ad) if ad else "-"))
print("\nGradients against the hand-written ones (max abs difference / max abs value; f32 problems must be")
print("within 1e-5, f64 within 1e-10):\n")
print("| problem | " + " | ".join(i for i in impls if i != "hand") + " |")
print("| --- | " + " | ".join("---" for i in impls if i != "hand") + " |")
bad = []
checked = problems + [p for p in ("ode1k", "ode1k_f", "ode10k", "ode10k_f", "ode10k_ckpt", "lstm", "lstm_f", "lstm_ckpt")
                      if (p, "ours") in med and (p.replace("_ckpt", ""), "hand") in med]
for p in checked:
    cells = []
    for i in impls:
        if i == "hand":
            continue
        if (p not in problems and (i.endswith("-blas") or (p.endswith("_ckpt") and i != "ours"))) or (
                p == "hvp_fwd" and not i.startswith("ours")):
            cells.append("-")  # not run: the loops have no BLAS variant, checkpoints only ours
            continue
        e = agreement(p, i)
        cells.append("-" if e is None else "%.1e" % e)
        if i.startswith("ours") and e is not None and e > (1e-5 if p in f32 else 1e-10):
            bad.append("%s/%s" % (p, i))
    print("| %s | %s |" % (p, " | ".join(cells)))
print("\nPeak resident memory of each process in MiB (inputs included):\n")
print("| problem | " + " | ".join(impls) + " | ours / hand |")
print("| --- | " + " | ".join("---" for _ in impls) + " | --- |")
for p in problems:
    m = {i: statistics.median(mem[(p, i)]) / 1024 for i in impls if (p, i) in mem}
    ours = min(m.get(i, 1e30) for i in ("ours", "ours-blas"))
    ratio = "%.2f" % (ours / m["hand"]) if "hand" in m and ours < 1e30 else "-"  # (ours alone: hvp_fwd)
    print("| %s | %s | %s |" % (p, " | ".join("%.1f" % m[i] if i in m else "-" for i in impls), ratio))
# the loops: gradient against objective, and the tape each keeps
loops = [("ode1k", "ode, n = 10, RK4, s = 1000: gradient of y_9(2)"),
         ("ode10k", "ode, n = 10, RK4, s = 10000"),
         ("lstm", "D-LSTM, l = 2, c = 1024, b = 14: gradient of the loss")]
loops = [(p, t) for p, t in loops if (p, "ours") in med]
if loops:
    tape = {}
    for r in rows:
        if "tape_bytes" in r:
            tape.setdefault((r["problem"], r["impl"]), []).append(r["tape_bytes"])
    peers = [i for i in ["ours", "hand", "hand-fastmath", "pytorch", "adolc"] if any((p, i) in med for p, _ in loops)]
    print("\nLoops (bench/ode.ad, bench/lstm.ad): value and gradient in milliseconds, and the gradient's time over")
    print("the objective's alone (grad / obj, each implementation its own objective):\n")
    print("| problem | " + " | ".join(peers) + " | ours / best hand | PyTorch / ours | ADOL-C / ours"
          " | grad / obj, ours | grad / obj, best hand |")
    print("| --- | " + " | ".join("---" for _ in peers) + " | --- | --- | --- | --- | --- |")
    for p, title in loops:
        cells = ["%.3f" % med[(p, i)] if (p, i) in med else "-" for i in peers]
        hands = [i for i in ("hand", "hand-fastmath") if (p, i) in med]
        best = min(hands, key=lambda i: med[(p, i)]) if hands else None
        ours = med[(p, "ours")]
        pt, ad = med.get((p, "pytorch")), med.get((p, "adolc"))
        obj = lambda i: med.get((p + "_f", i))
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            title, " | ".join(cells), "%.2f" % (ours / med[(p, best)]) if best else "-",
            "%.0f" % (pt / ours) if pt else "-", "%.1f" % (ad / ours) if ad else "-",
            "%.2f" % (ours / obj("ours")) if obj("ours") else "-",
            "%.2f" % (med[(p, best)] / obj(best)) if best and obj(best) else "-"))
    print("\nWhat each keeps for the reverse sweep, in KiB (ours: the work memory, `f_work_size`; hand: its tape;")
    print("ADOL-C: its tape and Taylor stack), and checkpointing (`range(T, checkpoint=true)`) against the plain")
    print("loop:\n")
    print("| problem | ours | hand | adolc | ours / hand | checkpointed: ms | its time / plain | its memory, KiB | plain / it |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    kib = lambda p, i: statistics.median(tape[(p, i)]) / 1024 if (p, i) in tape else None
    for p, title in loops:
        o, h, a = kib(p, "ours"), kib(p, "hand"), kib(p, "adolc")
        ck = p + "_ckpt"
        c = kib(ck, "ours")
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            p, "%.1f" % o if o else "-", "%.1f" % h if h else "-", "%.1f" % a if a else "-",
            "%.2f" % (o / h) if o and h else "-", "%.3f" % med[(ck, "ours")] if (ck, "ours") in med else "-",
            "%.2f" % (med[(ck, "ours")] / med[(p, "ours")]) if (ck, "ours") in med else "-",
            "%.1f" % c if c else "-", "%.1f" % (o / c) if o and c else "-"))
ct = os.path.join(out, "compile.jsonl")
if os.path.exists(ct):
    print("\nFrom .ad source to callable code in process, through libtcc (median ms): `--run` compiles the")
    print("functions; `ad_module_compile` adds every function's VJP, forward/backward pair and metadata.\n")
    print("| file | --run | ad_module_compile |")
    print("| --- | --- | --- |")
    for l in open(ct):
        r = json.loads(l)
        print("| %s | %.2f | %.2f |" % (r["file"], r["run_ms"], r["module_ms"]))
notes = open(os.path.join(out, "notes.txt")).read().strip()
if notes:
    print("\nNotes:\n" + notes)
if bad:
    print("\nGRADIENTS DISAGREE: " + ", ".join(bad))
    sys.exit(1)
