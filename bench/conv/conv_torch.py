#!/usr/bin/python3
"""bench/conv/conv_torch.py: the problem of conv.c in PyTorch, eager, one
thread, float32: L = sum(G * conv2d(x, k, padding=1)) with its gradient in x
and k, batch 8, layer a (3 -> 16 channels, 64 x 64) or b (16 -> 32, 32 x 32).
usage: conv_torch.py a|b"""
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def main():
    layer = sys.argv[1]
    c, o, hw = (3, 16, 64) if layer == "a" else (16, 32, 32)
    g = torch.Generator().manual_seed(7)
    x = torch.rand(8, c, hw, hw, generator=g) * 2 - 1
    k = torch.rand(o, c, 3, 3, generator=g) * 2 - 1
    G = torch.rand(8, o, hw, hw, generator=g) * 2 - 1

    def run():
        xt, kt = x.clone().requires_grad_(True), k.clone().requires_grad_(True)
        L = (G * F.conv2d(xt, kt, padding=1)).sum()
        return torch.autograd.grad(L, [xt, kt])

    for _ in range(3):
        run()
    t0 = time.perf_counter()
    run()
    one = (time.perf_counter() - t0) * 1e3
    reps = max(15, min(2000, int(3000 / max(one, 1e-3))))
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        ts.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"problem": "conv_" + layer, "impl": "pytorch", "ms": statistics.median(ts), "min_ms": min(ts),
                      "reps": reps, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


main()
