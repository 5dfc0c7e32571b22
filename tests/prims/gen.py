#!/usr/bin/python3
"""Generate tests/prims/cases.json: the functions of prims.ad against
PyTorch float64 (torch.var, torch.std, torch.clamp, torch.nn.functional.pad, tril, triu,
diagonal, cumsum, cumprod, conv1d, conv2d, max_pool2d, avg_pool2d,
and autograd to second order), independently of ad-compile. Run by a
developer when the cases change:
    /usr/bin/python3 tests/prims/gen.py > tests/prims/cases.json"""
import json

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(13)
cases = []


def rand(*shape):
    return torch.rand(*shape, generator=gen) * 2 - 1


def case(func, inputs, expect, about):
    cases.append({"file": "prims.ad", "func": func, "about": about, "atol": 1e-12, "rtol": 1e-10,
                  "inputs": {k: v.tolist() for k, v in inputs.items()},
                  "expect": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in expect.items()}})


for x in (rand(2, 3), torch.tensor([[0.5, 0.5, 0.5], [1.0, -1.0, 2.0]])):
    xt = x.clone().requires_grad_(True)
    g, = torch.autograd.grad((xt.std(1, unbiased=False) * torch.tensor([1.0, 2.0])).sum()
                             + xt.var(unbiased=False) * 3.0, xt, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), xt)
    case("spread", {"x": x}, {"v": x.var(1, unbiased=False), "s": x.std(unbiased=False).item(),
                              "u": x.var(0, keepdim=True, unbiased=True), "w": x.std(unbiased=True).item(),
                              "g": g.detach(), "h": h},
         "var and std (biased, unbiased, by axis, kept) and their gradients to second order%s"
         % (" (a row of zero variance: std's gradient is 0 there, as PyTorch's)" if x[0, 0] == 0.5 else ""))

for x, hi in ((torch.tensor([[0.1, -0.9, 0.5], [2.0, 0.3, -0.25]]), torch.tensor([0.2, 0.5, 1.0])),
              (rand(3, 3), rand(3))):
    xt = x.clone().requires_grad_(True)
    b = torch.clamp(xt, min=torch.tensor(-0.25), max=hi)
    g, = torch.autograd.grad((torch.clamp(xt ** 3, -0.5, 0.5) * xt).sum() + (b * b).sum(), xt, create_graph=True)
    h, = torch.autograd.grad((g * xt).sum(), xt)
    case("clamp", {"x": x, "hi": hi},
         {"a": torch.clamp(x, -0.5, 0.5), "b": b.detach(), "c": torch.clamp(x, 1.0, -1.0),
          "g": g.detach(), "h": h},
         "clip by constants (values at the bounds included) and by a broadcast tensor, lo > hi; gradients "
         "to second order")

for n in (2, 3):
    x = rand(n, 2)
    xt = x.clone().requires_grad_(True)
    g, = torch.autograd.grad((F.pad(xt, (0, 2, 1, 1), value=3.0) ** 3).sum(), xt, create_graph=True)
    h, = torch.autograd.grad((g * torch.sin(xt)).sum(), xt)
    case("padded", {"x": x}, {"p": F.pad(x, (2, 1, 1, 0)), "q": F.pad(x, (1, 1, 0, 0), value=-2.5),
                              "r": F.pad(x, (0, 0, n, 1)), "g": g.detach(), "h": h},
         "pad with zeros, a value and a symbolic width (n = %d); gradients to second order" % n)

for n in (3, 2):
    A, v, B = rand(2, 3, 3), rand(n), rand(2, 4)
    At, vt = A.clone().requires_grad_(True), v.clone().requires_grad_(True)
    tr = torch.diagonal(At, dim1=-2, dim2=-1).sum(-1)
    g, = torch.autograd.grad((torch.tril(At, -1) ** 3).sum() + (tr ** 3).sum() + (torch.triu(At, 2) * At).sum()
                             + (torch.diag(At[0]) * torch.sin(At[1, 0])).sum(), At, create_graph=True)
    hA, hv = torch.autograd.grad((g * torch.cos(At)).sum() + (torch.diag(vt) ** 2).sum(), [At, vt])
    case("tri", {"A": A, "v": v, "B": B},
         {"l": torch.tril(A), "u": torch.triu(A, 1), "t": torch.diagonal(A, dim1=-2, dim2=-1).sum(-1),
          "d": torch.diagonal(A, dim1=-2, dim2=-1), "D": torch.diag(v), "e": torch.diagonal(B),
          "g": g.detach(), "hA": hA, "hv": hv},
         "tril, triu, trace, diag (batched; a vector of %d; a wide matrix), to second order" % n)

for n in (1, 2):
    x, w, X, W = rand(n, 2, 7), rand(3, 2, 3), rand(n, 2, 5, 6), rand(2, 2, 2, 3)
    xt, wt, Xt, Wt = (t.clone().requires_grad_(True) for t in (x, w, X, W))
    gx, gw = torch.autograd.grad(torch.tanh(F.conv1d(xt, wt, padding=2)).sum(), [xt, wt], create_graph=True)
    gX, gW = torch.autograd.grad(torch.sin(F.conv2d(Xt, Wt, padding=1)).sum()
                                 + (F.max_pool2d(Xt, (2, 3), stride=(1, 2)) ** 3).sum(), [Xt, Wt], create_graph=True)
    h, = torch.autograd.grad((gX * gX).sum() + (gw * gw).sum(), Xt, allow_unused=True)
    case("conv", {"x": x, "w": w, "X": X, "W": W},
         {"y": F.conv1d(x, w), "y2": F.conv1d(x, w, stride=2, padding=1, dilation=2), "Y": F.conv2d(X, W),
          "Y2": F.conv2d(X, W, stride=(2, 1), padding=(1, 0), dilation=(1, 2)), "m": F.max_pool2d(X, 2),
          "av": F.avg_pool2d(X, (2, 3), stride=1), "gx": gx.detach(), "gw": gw.detach(), "gX": gX.detach(),
          "gW": gW.detach(), "h": h},
         "conv1d, conv2d (stride, padding, dilation), max_pool2d, avg_pool2d (batch %d) and their gradients "
         "to second order" % n)

X = torch.tensor([[[[1.0, 3.0, 2.0, 2.0], [3.0, 0.0, 2.0, 1.0]]]])
Xt = X.clone().requires_grad_(True)
m = F.max_pool2d(Xt, 2)
g, = torch.autograd.grad((m * torch.tensor([[[[1.0, 2.0]]]])).sum(), Xt)
case("ties", {"X": X}, {"m": m.detach(), "g": g}, "max_pool2d with tied maxima: the first takes the gradient")

for n in (2, 4):
    x, v, i = rand(n, 3), rand(5), torch.tensor([1, -2, 3, 4], dtype=torch.int32)
    xt, vt = x.clone().requires_grad_(True), v.clone().requires_grad_(True)
    g, = torch.autograd.grad((torch.cumsum(xt, 1) ** 2 * torch.tensor([1.0, 2.0, 3.0])).sum()
                             + torch.sin(torch.cumsum(xt, 0)).sum(), xt, create_graph=True)
    h, = torch.autograd.grad((g * g * xt).sum(), xt)
    p = torch.cumsum(torch.cumsum(vt, 0) * 0.1, 0)
    gp, = torch.autograd.grad((p ** 2).sum(), vt)
    case("running", {"x": x, "i": i, "v": v},
         {"a": torch.cumsum(x, 1), "b": torch.cumsum(x, 0), "c": torch.cumsum(i, 0), "g": g.detach(), "h": h,
          "p": p.detach(), "gp": gp},
         "cumsum along each axis (an i32 tensor's in i64; n = %d), to second order, and a double integration" % n)

for x in (torch.tensor([[2.0, 0.0, -1.5, 0.0], [0.5, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]), rand(2, 4)):
    n = x.shape[0]
    v, i = rand(n, 4), torch.tensor([3, 0, -2, 5], dtype=torch.int32)
    xt = x.clone().requires_grad_(True)
    g, = torch.autograd.grad((torch.cumprod(xt, 1) * torch.tensor([1.0, -2.0, 3.0, 0.5])).sum()
                             + (torch.cumprod(xt, 0) ** 2).sum(), xt, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), xt, create_graph=True)
    k, = torch.autograd.grad((h * torch.sin(xt)).sum(), xt)
    t = torch.autograd.functional.jvp(lambda z: torch.cumprod(z * z, 1), x, v)[1]
    c = torch.cumprod(i.long(), 0)
    case("products", {"x": x, "i": i, "v": v},
         {"a": torch.cumprod(x, 1), "b": torch.cumprod(x, 0), "c": c, "g": g.detach(), "h": h.detach(), "k": k,
          "t": t},
         "cumprod along each axis (an i32 tensor's in i64) %s, to third order, and a jvp"
         % ("with zeros, one to four in a row" if n == 3 else "of random data"))

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
