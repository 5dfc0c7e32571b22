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

def many(x, w, ids):
    a = torch.exp(x) * torch.sin(w) + torch.log1p(x ** 2) - torch.tanh(x) / (1 + torch.sigmoid(w))
    b = (torch.maximum(x, w.expand(3, 4)) + torch.where(x > 0, torch.nn.functional.softplus(x), torch.erf(x))
         + torch.atan2(x, 1 + w ** 2) + torch.abs(x) * torch.sqrt(1 + x ** 2))
    c = torch.cat([x[:, 1:], x.T[:1, :].T], 1) + x.reshape(4, 3).T
    d = torch.stack([x.sum(0), x.max(0).values, x.min(0).values, x.prod(0), x.norm(dim=0)], 0)
    e = x @ w + torch.logsumexp(x, 1) + (torch.softmax(x, 1) * x).mean(1)
    g = x.index_select(1, ids) ** 2
    s = x.index_add(0, torch.tensor([0, 2, 0]), x * 0.5 + w)
    return (a.sum() + b.sum() + (c ** 2).sum() + (d * d).sum() + (e ** 3).sum() + g.sum() + (s * x).sum())


xm, wm, idm, vm, vwm = rand(3, 4), rand(4), torch.tensor([3, 0, 1, 3, 2]), rand(3, 4), rand(4)
z, t = jvp(lambda x, w: many(x, w, idm), (xm, wm), (vm, vwm))
gw = lambda x: torch.autograd.functional.jacobian(lambda w: many(x, w, idm), wm, create_graph=True)
_, t2 = jvp(gw, xm, vm)
case("many", {"x": xm, "w": wm, "ids": idm, "v": vm, "vw": vwm}, {"z": z, "t": t, "t2": t2},
     "forward mode through every kind of op (and a tangent of a gradient), against PyTorch's jvp")

def flow(x, k):
    s = x
    for i in range(30):
        if s.sum() > 2.5:
            s = s * 0.9
        else:
            s = s + 0.1 * torch.sin(s * k)
        for j in range(2):
            s = s + 0.01 * torch.tanh(s * k * (j + 1))
        if s.max() > 3.0:
            break
    return s


for xf in (rand(3) + 1, rand(3) + 2.2):
    kf, vf, vkf = torch.tensor(0.7), rand(3), torch.tensor(-0.4)
    kt = kf.clone().requires_grad_(True)
    sf, tf = jvp(flow, (xf, kt), (vf, vkf), create_graph=True)
    gf, = torch.autograd.grad((tf ** 2).sum(), kt)
    case("flow", {"x": xf, "k": kf, "v": vf, "vk": vkf}, {"s": sf.detach(), "t": tf.detach(), "g": gf},
         "jvp through ifs, a loop in a loop and a break, and the gradient of that tangent")



def row_res(q):
    return torch.cat([torch.sin(q[0:1]) * q[1:2], q * q, q[0:1] * q[0:1] * q[1:2]])


pb, Wb = rand(5, 2), rand(5, 4, 2)
pt = pb.clone().requires_grad_(True)
Jb = torch.stack([jacobian(row_res, pt[b], create_graph=True) for b in range(5)])
Hb = torch.stack([hessian(lambda q: (row_res(q) ** 2).sum(), pb[b]) for b in range(5)])
gb, = torch.autograd.grad((Jb * Wb).sum(), pt)
case("rows", {"p": pb, "W": Wb}, {"J": Jb.detach(), "H": Hb, "g": gb},
     "batch_axis=0: a [4, 2] jacobian per row (forward sweeps), a hessian per row, and a gradient of the jacobian")
pc = rand(3, 3)
Jc = torch.stack([jacobian(lambda q: q[0:2] * torch.exp(q[1:3]), pc[b]) for b in range(3)])
case("cols", {"p": pc}, {"J": Jc}, "batch_axis=0: a [2, 3] jacobian per row (reverse sweeps)")

names = ["x", "a", "b", "c", "d", "e", "f", "g", "h"]
vals = [torch.tensor(q) for q in (0.3, 0.9, 0.2, 0.1, 0.4, 0.5, -0.3, 0.7, 0.6)]
vm = torch.tensor(0.8)


def many_inv(x, a, b, c, d, e, f, g, h):
    s = x
    for i in range(3):
        s = s * a + b * torch.sin(s) + c - d * s * s + e * f + g * h
    return (s.float() * 2.0).double()


sm, tm = jvp(lambda x, a, h: many_inv(x, a, *vals[2:8], h), (vals[0], vals[1], vals[8]), (vm, vm, vm))
case("many_inv", dict(zip(names, vals), v=vm), {"s": sm, "t": tm},
     "jvp through a loop over eight invariants (its tangent loop's operands) and an f32 conversion")
cases[-1]["atol"], cases[-1]["rtol"] = 1e-6, 1e-6


def sym_res(theta, pts):
    return torch.cat([torch.sin(theta[0:1] * pts[:, 0:1]) + theta[1:2],
                      pts[:, 1:2] * torch.exp(theta[2:3] * pts[:, 0:1])], dim=1)


ths, pts, xs = rand(3), rand(5, 2), rand(4)
tht = ths.clone().requires_grad_(True)
Js = jacobian(lambda t: sym_res(t, pts), tht, create_graph=True)
gs, = torch.autograd.grad((Js * Js).sum(), tht)
Ks = jacobian(lambda x: torch.stack([(x * x).sum(), torch.sin(x).sum() * ths[0]]), xs)
case("symbolic", {"theta": ths, "pts": pts, "x": xs}, {"J": Js.detach(), "K": Ks, "g": gs},
     "jacobian with one side symbolic: [N, 2] by a constant [3] (forward sweeps), a constant [2] by [M] "
     "(reverse sweeps), and the gradient of the first")

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
