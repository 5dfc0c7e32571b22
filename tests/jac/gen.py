#!/usr/bin/python3
"""Generate tests/jac/cases.json: the functions of jac.ad against PyTorch
float64's torch.autograd.functional.jacobian, hessian and jvp and autograd
through plain Python loops (independently of ad-compile). Run by a
developer when the cases change:
    /usr/bin/python3 tests/jac/gen.py > tests/jac/cases.json"""
import json

import torch
from torch.autograd.functional import hessian, jacobian, jvp

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(14)
cases = []


def rand(*shape):
    return torch.rand(*shape, generator=gen) * 2 - 1


def case(func, inputs, expect, about):
    cases.append({"file": "jac.ad", "func": func, "inputs": {k: v.tolist() for k, v in inputs.items()},
                  "expect": {k: v.tolist() for k, v in expect.items()}, "about": about,
                  "atol": 1e-11, "rtol": 1e-10})


def field(x):
    return torch.stack([x[0] * x[1], torch.sin(x[2]), x[0] ** 2 - x[2], torch.exp(x[1]) * x[2]])


x, v = rand(3), rand(3)
case("wide", {"x": x, "v": v}, {"J": jacobian(field, x), "t": jvp(field, x, v)[1]},
     "jacobian [4, 3] by forward sweeps, and a jvp")

A, b = rand(2, 3), rand(3)
JA, Jb = jacobian(lambda A, b: torch.tanh(A @ b).sum(), (A, b))
case("narrow", {"A": A, "b": b}, {"JA": JA, "Jb": Jb}, "jacobian of a scalar with respect to two inputs")


def rosen(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


x4, v4 = rand(4) + 1, rand(4)
H = hessian(rosen, x4)
case("curv", {"x": x4, "v": v4}, {"H": H, "Hv": H @ v4}, "hessian of Rosenbrock and jvp(grad) against it")


def orbit(s0, c):
    s = s0
    for _ in range(50):
        s = s + 0.05 * torch.stack([s[1], -torch.sin(s[0]) - c * s[1]])
    return s


s0, c, vs = rand(2), torch.tensor(0.3), rand(2)
M = jacobian(lambda s: orbit(s, c), s0)
ct = c.clone().requires_grad_(True)
_, t = jvp(orbit, (s0, ct), (vs, torch.tensor(0.5)), create_graph=True)
g, = torch.autograd.grad((t ** 2).sum(), ct)
case("orbit", {"s0": s0, "c": c, "v": vs}, {"M": M, "t": t.detach(), "g": g},
     "jacobian and jvp through a loop; the gradient of the jvp (second order)")

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
