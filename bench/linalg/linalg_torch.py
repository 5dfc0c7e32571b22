#!/usr/bin/python3
"""bench/linalg/linalg_torch.py: the problems of linalg.c in PyTorch, eager,
one thread, float64: L = w . solve(A, b) with its gradient in A and b, and
L = sum(W * cholesky(A)) with its gradient in A, on A = M M^T / n + I.
usage: linalg_torch.py solve|chol N"""
import json
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def main():
    prob, n = sys.argv[1], int(sys.argv[2])
    g = torch.Generator().manual_seed(7)
    M = torch.rand(n, n, generator=g) * 2 - 1
    A = M @ M.T / n + torch.eye(n)
    b, w, W = torch.rand(n, generator=g), torch.rand(n, generator=g), torch.rand(n, n, generator=g)

    def run_solve():
        At, bt = A.clone().requires_grad_(True), b.clone().requires_grad_(True)
        L = (w * torch.linalg.solve(At, bt)).sum()
        return torch.autograd.grad(L, [At, bt])

    def run_chol():
        At = A.clone().requires_grad_(True)
        L = (W * torch.linalg.cholesky(At)).sum()
        return torch.autograd.grad(L, At)

    run = run_solve if prob == "solve" else run_chol
    for _ in range(3):
        run()
    t0 = time.perf_counter()
    run()
    one = (time.perf_counter() - t0) * 1e3
    reps = max(15, min(2000, int(2000 / max(one, 1e-3))))
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        run()
        ts.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"problem": "%s%d" % (prob, n), "impl": "pytorch", "ms": statistics.median(ts),
                      "min_ms": min(ts), "reps": reps}))


main()
