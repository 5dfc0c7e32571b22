#!/usr/bin/python3
"""Generate tests/infinity/cases.json: logsumexp, log_softmax and
cross_entropy of rows holding -inf, +inf and NaN, with first and second
derivatives, from PyTorch (float64, and float32 for lse32). Run by a
developer with PyTorch (/usr/bin/python3 with python3-torch); the output is
checked in.
    /usr/bin/python3 tests/infinity/gen.py > tests/infinity/cases.json"""
import json
import math
import sys

import torch

INF, NAN = math.inf, math.nan


def js(v):
    """JSON for a list of floats, with the non-finite ones as strings."""
    if isinstance(v, list):
        return [js(x) for x in v]
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def lse(x, w):
    y = torch.logsumexp(x, 1)
    g, = torch.autograd.grad((y * torch.tensor([1.0, 2.0], dtype=x.dtype)).sum(), x, create_graph=True)
    h, = torch.autograd.grad((g * w).sum(), x)
    ls = torch.log_softmax(x, -1)
    gl, = torch.autograd.grad((ls * w).sum(), x)
    ce = (-(torch.softmax(w, -1) * torch.log_softmax(x, -1)).sum(-1)).mean()
    gc, = torch.autograd.grad(ce, x)
    return {"y": y, "g": g, "h": h, "all": torch.logsumexp(x.reshape(-1), 0), "ls": ls, "gl": gl, "ce": ce,
            "gc": gc}


def lse32(x):
    y = torch.logsumexp(x, 1, keepdim=True)
    g, = torch.autograd.grad(y.sum(), x)
    return {"y": y, "g": g}


ROWS = [
    [[-INF, -INF, -INF], [0.5, -1.0, 2.0]],
    [[1.0, INF, 2.0], [-INF, 1.0, 2.0]],
    [[INF, -INF, 0.0], [INF, INF, 1.0]],
    [[NAN, 1.0, 2.0], [-INF, -INF, 3.0]],
]
W = [[0.3, -0.7, 1.1], [0.9, 0.2, -0.4]]
cases = []
for rows in ROWS:
    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    out = lse(x, torch.tensor(W, dtype=torch.float64))
    cases.append({"file": "logsumexp.ad", "func": "lse", "inputs": {"x": js(rows), "w": W},
                  "expect": {k: js(v.tolist()) for k, v in out.items()}, "atol": 1e-12, "rtol": 1e-12})
    x = torch.tensor(rows, dtype=torch.float32, requires_grad=True)
    out = lse32(x)
    cases.append({"file": "logsumexp.ad", "func": "lse32", "inputs": {"x": js(rows)},
                  "expect": {k: js(v.tolist()) for k, v in out.items()}, "atol": 1e-6, "rtol": 1e-6})
json.dump({"about": __doc__.splitlines()[0], "cases": cases}, sys.stdout, indent=1)
print()
