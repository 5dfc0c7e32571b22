#!/usr/bin/python3
"""bench/torch_bench.py: the benchmark problems in PyTorch, eager, one thread,
on the same data (bench/data.c). Value and gradient together, as the C
drivers time them. usage: torch_bench.py PROBLEM DATADIR"""
import json
import resource
import statistics
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
SIN_N, B, I, H, O, ROSEN_N, M, D = 1000000, 256, 784, 128, 10, 1000000, 4096, 256


def load(d, name, shape, dtype):
    return torch.from_numpy(np.fromfile("%s/%s.bin" % (d, name), dtype=dtype).reshape(shape).copy())


def rosen(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def problem(p, d):
    if p == "sin":
        x = load(d, "sin_x", (SIN_N,), np.float32).requires_grad_()

        def run():
            x.grad = None
            y = torch.sin(x)
            y.backward(torch.ones_like(y))
            return [y.detach(), x.grad]
    elif p == "mlp":
        x, t = load(d, "mlp_x", (B, I), np.float32), load(d, "mlp_t", (B, O), np.float32)
        ps = [load(d, n, s, np.float32).requires_grad_() for n, s in
              (("mlp_w1", (I, H)), ("mlp_b1", (H,)), ("mlp_w2", (H, O)), ("mlp_b2", (O,)))]

        def run():
            w1, b1, w2, b2 = ps
            h = torch.tanh(x @ w1 + b1)
            loss = (-(t * torch.log_softmax(h @ w2 + b2, -1)).sum(-1)).mean()
            g = torch.autograd.grad(loss, ps)
            return [loss.detach().reshape(1)] + list(g)
    elif p == "rosen":
        x = load(d, "rosen_x", (ROSEN_N,), np.float64).requires_grad_()

        def run():
            f = rosen(x)
            (g,) = torch.autograd.grad(f, x)
            return [f.detach().reshape(1), g]
    elif p == "hvp":
        x = load(d, "rosen_x", (ROSEN_N,), np.float64).requires_grad_()
        v = load(d, "rosen_v", (ROSEN_N,), np.float64)

        def run():
            (g,) = torch.autograd.grad(rosen(x), x, create_graph=True)
            (hv,) = torch.autograd.grad((g * v).sum(), x)
            return [hv]
    elif p == "logreg":
        x, y = load(d, "lr_x", (M, D), np.float32), load(d, "lr_y", (M,), np.float32)
        w, b = load(d, "lr_w", (D,), np.float32).requires_grad_(), load(d, "lr_b", (), np.float32).requires_grad_()

        def run():
            z = x @ w + b
            loss = (torch.nn.functional.softplus(z) - y * z).mean()
            gw, gb = torch.autograd.grad(loss, [w, b])
            return [loss.detach().reshape(1), gw, gb.reshape(1)]
    else:
        raise SystemExit("unknown problem " + p)
    return run


def main():
    p, d = sys.argv[1], sys.argv[2]
    run = problem(p, d)
    for _ in range(3):
        run()
    t0 = time.perf_counter()
    run()
    one = (time.perf_counter() - t0) * 1e3
    n = max(15, min(2000, int(1500 / max(one, 1e-3))))
    ts = []
    for _ in range(n):
        a = time.perf_counter()
        out = run()
        ts.append((time.perf_counter() - a) * 1e3)
    np.concatenate([o.detach().double().reshape(-1).numpy() for o in out]).tofile("%s/out-%s-pytorch.bin" % (d, p))
    print(json.dumps({"problem": p, "impl": "pytorch", "ms": statistics.median(ts), "min_ms": min(ts), "reps": n,
                      "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


main()
