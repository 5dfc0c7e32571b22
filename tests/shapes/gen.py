#!/usr/bin/python3
"""Generate tests/shapes/cases.json: the functions of shapes.ad (shape
expressions in types, slices, shape lists and creation ops) against NumPy
and PyTorch float64 autograd, independently of ad-compile. Run by a
developer when the cases change:
    /usr/bin/python3 tests/shapes/gen.py > tests/shapes/cases.json"""
import json
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(13)
cases = []


def rand(*shape):
    return torch.rand(*shape, generator=gen) * 2 - 1


def plain(v):
    if isinstance(v, torch.Tensor):
        v = v.detach()
        return v.item() if v.dim() == 0 else v.tolist()
    return v.tolist() if hasattr(v, "tolist") else v


def case(func, inputs, expect, about, **kw):
    c = {"file": "shapes.ad", "func": func, "about": about, "atol": 1e-11, "rtol": 1e-10,
         "inputs": {k: plain(v) for k, v in inputs.items()},
         "expect": {k: plain(v) for k, v in expect.items()}}
    c.update(kw)
    cases.append(c)


def np_linspace(a, b, n):
    return torch.tensor(np.linspace(a, b, n))


for n in (2, 3, 7):
    u = rand(n)
    ut = u.clone().requires_grad_(True)
    lap = ut[0:n - 2] - 2 * ut[1:n - 1] + ut[2:n]
    s = (lap * lap * torch.tensor(np.arange(1, n - 1), dtype=torch.float64)).sum()
    g, = torch.autograd.grad(s, ut, create_graph=True)
    h, = torch.autograd.grad((g * torch.sin(ut)).sum(), ut)
    case("interior", {"u": u}, {"lap": lap, "s": s, "g": g, "h": h},
         "u[0:n-2] - 2 u[1:n-1] + u[2:n] at n = %d (empty at 2), weighted by arange(1, n - 1); "
         "second order" % n)

for b, k in ((1, 1), (3, 2)):
    z, c = rand(b, 4 * k) * 2, rand(b, k)
    zt, ct = z.clone().requires_grad_(True), c.clone().requires_grad_(True)
    i, f, o, uu = (torch.sigmoid(zt[:, 0:k]), torch.sigmoid(zt[:, k:2 * k]), torch.sigmoid(zt[:, 2 * k:3 * k]),
                   torch.tanh(zt[:, 3 * k:4 * k]))
    h = o * torch.tanh(f * ct + i * uu)
    g, gc = torch.autograd.grad((h * h).sum(), [zt, ct])
    case("gates", {"z": z, "c": c}, {"h": h, "g": g, "gc": gc},
         "an LSTM gate split z[:, j k:(j + 1) k] with b = %d, k = %d" % (b, k))

for n in (1, 3, 4):
    x, w = rand(n, 3), rand(n // 2)
    xt, wt = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    r = xt.reshape(n * 3) * np_linspace(-1, 1, n * 3)
    e = torch.eye(n + 1) + torch.full((n + 1, n + 1), 0.5)
    p = torch.cat([torch.zeros(1), xt.sum(1) * torch.tensor(np.arange(n, 0, -1), dtype=torch.float64),
                   torch.ones(1)])
    v = (r * r).sum() + (p[1:n + 1] ** 3).sum() + (wt * wt * xt[0:n // 2, 0]).sum()
    gx, gw = torch.autograd.grad(v, [xt, wt])
    case("shaped", {"x": x, "w": w}, {"r": r, "e": e, "p": p, "v": v, "gx": gx, "gw": gw},
         "reshape to [n * 3], eye(n + 1), arange(n, 0, -1), w: f64[n // 2] at n = %d" % n)

for n in (0, 1, 2, 5):
    x = rand(n)
    xt = x.clone().requires_grad_(True)
    a = np.arange(n, -1, -1).astype(np.float64)
    bb = np.arange(1, n + 3, 3).astype(np.float64)
    assert len(bb) == (n + 4) // 3
    c = np_linspace(0.5, 3, n) * xt
    d = torch.cat([xt, xt[0:n] * 2])
    s = (c * c).sum() + (d * d * np_linspace(0, 1, 2 * n)).sum()
    g, = torch.autograd.grad(s, xt) if n else (torch.zeros(0),)
    case("ranges", {"x": x}, {"a": a, "b": bb, "c": c, "d": d, "s": s, "g": g},
         "arange(n, -1, -1), arange(1, n + 3, 3) and linspace(0.5, 3, n) at n = %d (linspace of 1 is [a], "
         "of 0 empty)" % n)

for m in (1, 4):
    a, bv = rand(m), rand(m)
    at, bt = a.clone().requires_grad_(True), bv.clone().requires_grad_(True)
    xx = torch.cat([at, bt])
    r = (xx[0:m] * bt).sum() - (xx[m:2 * m] * bt * bt).sum()
    ga, gb = torch.autograd.grad(r, [at, bt])
    case("caller", {"a": a, "b": bv}, {"r": r, "ga": ga, "gb": gb},
         "a call to halves(x: f64[2 * n], y: f64[n]) with x = concat([a, b]) at m = %d" % m)

# the run-time checks: an input that misfits an expression, and a size that
# comes out negative
case("halves", {"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [1.0, 2.0]}, {},
     "an input of 5 elements for f64[2 * n] with n = 2 from y: exit 3", exit=3,
     stderr="input 'x' has 5 elements along axis 0 but the parameter is f64[2*n], whose 2*n is 4 here")
case("interior", {"u": [1.0]}, {}, "u[0:n - 2] at n = 1: the size n - 2 is negative, exit 3", exit=3,
     stderr="(with these input shapes)")

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, sys.stdout, indent=1)
