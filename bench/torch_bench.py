#!/usr/bin/python3
"""bench/torch_bench.py: the benchmark problems in PyTorch, eager, one thread,
on the same data (bench/data.c). Value and gradient together, as the C
drivers time them (the objective alone, under torch.no_grad(), for the
problems named *_f). usage: torch_bench.py PROBLEM DATADIR"""
import json
import resource
import statistics
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
SIN_N, B, I, H, O, ROSEN_N, M, D = 1000000, 256, 784, 128, 10, 1000000, 4096, 256
ODE_N, ODE_S1, ODE_S2, LSTM_L, LSTM_C, LSTM_B = 10, 1000, 10000, 2, 1024, 14


def load(d, name, shape, dtype):
    return torch.from_numpy(np.fromfile("%s/%s.bin" % (d, name), dtype=dtype).reshape(shape).copy())


def rosen(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def ode(x, steps):
    """GradBench's ode: y(0) = 0, y' = f(x, y) with f_0 = x_0, f_i = x_i y_{i-1};
    RK4 with `steps` steps to t = 2, one Python iteration per step; y(2)."""
    h = 2.0 / steps

    def f(z):
        return torch.cat((x[:1], x[1:] * z[:-1]))

    y = torch.zeros_like(x)
    for _ in range(steps):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def lstm(main, extra, state, seq):
    """ADBench's D-LSTM loss (../shared/adbench/README.md, "LSTM"), one Python
    iteration per step and layer."""
    l, b = LSTM_L, LSTM_B
    # each layer's weights and biases of the forget, input, output and change gates
    gates = [(main[2 * i].split(b), main[2 * i + 1].split(b)) for i in range(l)]
    h, c = [state[2 * i] for i in range(l)], [state[2 * i + 1] for i in range(l)]
    total = 0
    for t in range(seq.shape[0] - 1):
        x = seq[t] * extra[0]
        for i, ((wf, wi, wo, wc), (bf, bi, bo, bc)) in enumerate(gates):
            f = torch.sigmoid(x * wf + bf)
            gi = torch.sigmoid(h[i] * wi + bi)
            o = torch.sigmoid(x * wo + bo)
            g = torch.tanh(h[i] * wc + bc)
            c[i] = c[i] * f + gi * g
            h[i] = o * torch.tanh(c[i])
            x = h[i]
        y = x * extra[1] + extra[2]
        lse = torch.log(torch.exp(y).sum() + 2)
        total = total + (seq[t + 1] * (y - lse)).sum()
    return -total / ((seq.shape[0] - 1) * b)


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
    elif p in ("ode1k", "ode10k", "ode1k_f", "ode10k_f"):
        x = load(d, "ode_x", (ODE_N,), np.float64).requires_grad_()
        steps = ODE_S2 if p.startswith("ode10k") else ODE_S1
        if p.endswith("_f"):
            def run():
                with torch.no_grad():
                    return [ode(x, steps)]
        else:
            def run():
                y = ode(x, steps)
                (g,) = torch.autograd.grad(y[-1], x)
                return [y.detach(), g]
    elif p in ("lstm", "lstm_f"):
        main = load(d, "lstm_main", (2 * LSTM_L, 4 * LSTM_B), np.float64).requires_grad_()
        extra = load(d, "lstm_extra", (3, LSTM_B), np.float64).requires_grad_()
        state = load(d, "lstm_state", (2 * LSTM_L, LSTM_B), np.float64)
        seq = load(d, "lstm_seq", (LSTM_C, LSTM_B), np.float64)
        if p == "lstm_f":
            def run():
                with torch.no_grad():
                    return [lstm(main, extra, state, seq).reshape(1)]
        else:
            def run():
                loss = lstm(main, extra, state, seq)
                gm, ge = torch.autograd.grad(loss, [main, extra])
                return [loss.detach().reshape(1), gm, ge]
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
