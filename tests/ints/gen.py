#!/usr/bin/python3
"""Generate tests/ints/cases.json: the functions of ints.ad against NumPy
(integer arithmetic, floor division and modulo, conversions) and PyTorch
float64 for the gradient (independently of ad-compile). Run by a developer
when the cases change:
    /usr/bin/python3 tests/ints/gen.py > tests/ints/cases.json"""
import json

import numpy as np
import torch

cases = []


def case(func, inputs, expect, about, **kw):
    c = {"file": "ints.ad", "func": func, "inputs": inputs, "expect": expect, "about": about,
         "atol": 0, "rtol": 1e-12}
    c.update(kw)
    cases.append(c)


def val(a):
    return a.tolist()


a = np.array([7, -7, 7, -7, 0, 5, -1, 9], dtype=np.int64)
b = np.array([2, 2, -2, -2, 3, 0, 4, -1], dtype=np.int64)
with np.errstate(divide="ignore"):
    q, r = np.floor_divide(a, b), np.remainder(a, b)
case("divmod", {"a": val(a), "b": val(b)}, {"q": val(q), "r": val(r), "back": val(q * b + r)},
     "// and % as NumPy's floor_divide and remainder (0 for a zero divisor)")

a32 = np.array([3, -4, 5, 0, 2], dtype=np.int32)
k = np.int32(2)
case("narrow", {"a": val(a32), "k": int(k)},
     {"s": int(np.sum(a32 * k, dtype=np.int64)), "p": int(np.prod(a32, dtype=np.int64)), "m": int(a32.max()),
      "lo": val(np.minimum(a32, k)), "hi": val(np.maximum(a32, 2)), "c": val((a32 >= k).astype(np.int32)),
      "w": val(np.where(a32 > 0, a32, -1)), "ab": val(np.abs(a32 - k))},
     "i32 arithmetic, comparisons as 0/1, sum and prod in i64")

x = np.array([0.5, -0.7, 1.34, -2.2])
i = np.array([1, -2, 3, 0], dtype=np.int64)
n = len(x)
t = (x * 3).astype(np.int64) + n - 1
xt = torch.tensor(x, requires_grad=True)
y = torch.tensor(i, dtype=torch.float64) * xt ** 2 + torch.tensor(t, dtype=torch.float64)
g, = torch.autograd.grad(y.sum(), xt)
case("convert", {"x": val(x), "i": val(i)}, {"t": val(t), "y": val(y.detach()), "z": y.sum().item(), "g": val(g)},
     "i64(x) truncates toward zero; f64(i) * x differentiates as a constant times x")

for x0 in (0.5, 1.0, 100.0, 3e9):
    yv, steps = x0, 0
    for _ in range(50):
        if yv < 1:
            break
        yv, steps = yv / 2, steps + 1
    case("count", {"x": x0}, {"y": yv, "steps": steps, "half": steps // 2 + max(steps % 3, 1)},
         "an i64 counter carried through a loop with a break (x = %g)" % x0)

c = np.array([1, -2, 3, 4, 5], dtype=np.int64)
idx = np.array([0, 2, 0, 4], dtype=np.int64)
v = np.array([[1, 2], [3, -4], [5, 6], [2**30, 1]], dtype=np.int32)
y = c.copy()
np.add.at(y, idx, 3)
sv = np.zeros((5, 2), dtype=np.int32)
np.add.at(sv, idx, v)
x = torch.tensor([0.5, -1.5, 2.0, 0.25], dtype=torch.float64, requires_grad=True)
it = torch.tensor(idx)
n = torch.zeros(5, dtype=torch.float64).index_add(0, it, torch.ones(4, dtype=torch.float64))
mean = torch.zeros(5, dtype=torch.float64).index_add(0, it, x * x) / torch.clamp(n, min=1.0)
g, = torch.autograd.grad((mean * mean).sum(), x)
case("counts", {"c": val(c), "idx": val(idx), "v": val(v), "x": val(x.detach())},
     {"y": val(y), "s": val(sv), "mean": val(mean.detach()), "g": val(g)},
     "integer scatter_add and segment_sum against NumPy's add.at; a segment mean by integer counts, its gradient")

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
