#!/usr/bin/python3
"""bench/threads/torch_threads.py: the problems of bench/threads/threads.c in
PyTorch eager on a given number of threads (torch.set_num_threads), value
and gradient together, at the same sizes and dtypes (random data of the
same ranges). usage: torch_threads.py PROBLEM NTHREADS ROUNDS; prints one
line of JSON as threads.c does."""
import json
import statistics
import sys
import time

import torch

SIN_N, ROSEN_N, B, I, H, O, M, D = 10000000, 10000000, 4096, 784, 128, 10, 65536, 256


def problem(name):
    g = torch.Generator().manual_seed(1)
    if name == "sin":
        x = (torch.rand(SIN_N, generator=g) * 6 - 3).requires_grad_()

        def run():
            x.grad = None
            y = torch.sin(x)
            y.backward(torch.ones_like(y))
            return y, x.grad
    elif name == "rosenbrock":
        x = (torch.rand(ROSEN_N, generator=g, dtype=torch.float64) * 4 - 2).requires_grad_()

        def run():
            x.grad = None
            f = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
            f.backward()
            return f, x.grad
    elif name == "mlp":
        x = torch.rand(B, I, generator=g)
        t = torch.nn.functional.one_hot(torch.arange(B) % O, O).float()
        w1 = ((torch.rand(I, H, generator=g) - 0.5) * 0.1).requires_grad_()
        b1 = ((torch.rand(H, generator=g) - 0.5) * 0.2).requires_grad_()
        w2 = ((torch.rand(H, O, generator=g) - 0.5) * 0.2).requires_grad_()
        b2 = ((torch.rand(O, generator=g) - 0.5) * 0.2).requires_grad_()

        def run():
            h = torch.tanh(x @ w1 + b1)
            loss = torch.nn.functional.cross_entropy(h @ w2 + b2, t)
            return torch.autograd.grad(loss, [w1, b1, w2, b2])
    elif name == "logreg":
        x = torch.rand(M, D, generator=g) * 2 - 1
        y = (torch.rand(M, generator=g) > 0.5).float()
        w = ((torch.rand(D, generator=g) - 0.5) * 0.2).requires_grad_()
        b = torch.zeros((), requires_grad=True)

        def run():
            z = x @ w + b
            loss = (torch.nn.functional.softplus(z) - y * z).mean()
            return torch.autograd.grad(loss, [w, b])
    else:
        raise SystemExit("unknown problem " + name)
    return run


def main():
    name, threads, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    run = problem(name)
    run()
    run()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"problem": name, "threads": threads, "ms": statistics.median(times)}))


if __name__ == "__main__":
    main()
