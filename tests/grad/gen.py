#!/usr/bin/python3
"""Generate tests/grad/cases.json: ad-compile --grad against PyTorch's
torch.autograd.grad on the models of models.ad (several results, partial
seeds, unused and nograd parameters). Run by a developer with PyTorch
(/usr/bin/python3 with python3-torch); the output is checked in.
    /usr/bin/python3 tests/grad/gen.py > tests/grad/cases.json"""
import json
import sys

import torch

torch.manual_seed(20261128)
D = torch.float64
cases = []


def mlp(x, w1, b1, w2, t, unused):
    h = torch.tanh(x @ w1 + b1)
    logits = h @ w2
    ls = torch.log_softmax(logits, dim=-1)
    loss = (-(t * ls).sum(-1)).mean()
    return {"loss": loss, "logits": logits, "h": h}


def physics(v0, angle, drag):
    vx, vy = v0 * torch.cos(angle), v0 * torch.sin(angle)
    tt = torch.linspace(0, 1, 11, dtype=D)
    path = vy * tt - 4.9 * tt * tt - drag * vx * tt
    rng = vx * vy / 9.8 * torch.exp(-drag)
    return {"range": rng, "height": path.max(), "path": path}


def mixed(a, b, c):
    s = (a * b).sum(1)
    p = (b + 1).prod(0) * torch.maximum(a, c)
    n = torch.linalg.norm((b - a).reshape(-1)) + torch.logsumexp(a, 0)
    return {"s": s, "p": p, "n": n}


def case(func, fn, inputs, nograd=(), seeds=None, wrt=None, allow_unused=False):
    ts = {k: torch.tensor(v, dtype=D, requires_grad=k not in nograd) for k, v in inputs.items()}
    outs = fn(**ts)
    seeds = seeds or {}
    names = wrt or [k for k in inputs if k not in nograd]
    ys, gs = [], []
    for k, y in outs.items():
        ys.append(y)
        gs.append(torch.tensor(seeds[k], dtype=D) if k in seeds else torch.ones_like(y))
    grads = torch.autograd.grad(ys, [ts[k] for k in names], gs, allow_unused=True)
    expect = {k: (None if g is None else g.tolist()) for k, g in zip(names, grads)}
    c = {"file": "models.ad", "func": func, "mode": "grad", "inputs": inputs, "expect": expect,
         "atol": 1e-10, "rtol": 1e-10}
    if seeds:
        c["seeds"] = seeds
    if wrt:
        c["wrt"] = wrt
    if allow_unused:
        c["allow_unused"] = True
    cases.append(c)


def rand(*shape):
    return (torch.rand(*shape, dtype=D) * 2 - 1).tolist()


mlp_in = {"x": rand(6, 4), "w1": rand(4, 5), "b1": rand(5), "w2": rand(5, 3),
          "t": torch.softmax(torch.rand(6, 3, dtype=D), -1).tolist(), "unused": 0.5}
case("mlp", mlp, mlp_in, nograd=("t",), allow_unused=True)
case("mlp", mlp, mlp_in, nograd=("t",), wrt=["w1", "b1"], seeds={"loss": 2.0, "h": rand(6, 5)})
case("mlp", mlp, mlp_in, nograd=("t",), wrt=["w2", "unused"], allow_unused=True,
     seeds={"logits": rand(6, 3), "h": torch.zeros(6, 5).tolist()})
phys_in = {"v0": 12.0, "angle": 0.7, "drag": 0.3}
case("physics", physics, phys_in, nograd=("drag",))
case("physics", physics, phys_in, nograd=("drag",), wrt=["angle"], seeds={"range": 0.0, "height": 0.0,
                                                                         "path": rand(11)})
mixed_in = {"a": rand(3), "b": rand(2, 3), "c": rand(3)}
case("mixed", mixed, mixed_in)
case("mixed", mixed, mixed_in, seeds={"s": [1.0, -2.0], "n": 3.0}, wrt=["b", "c"])
# errors: a wrt parameter no result depends on, and a nograd one
cases.append({"file": "models.ad", "func": "mlp", "mode": "grad", "inputs": mlp_in, "wrt": ["unused"],
              "expect": {}, "exit": 3, "stderr": "no result depends on 'unused'"})
cases.append({"file": "models.ad", "func": "physics", "mode": "grad", "inputs": phys_in, "wrt": ["drag"],
              "expect": {}, "exit": 3, "stderr": "nograd"})
cases.append({"file": "models.ad", "func": "mixed", "mode": "grad", "inputs": mixed_in, "seeds": {"s": [1, 2, 3]},
              "expect": {}, "exit": 3, "stderr": "the seed for result 's'"})
json.dump({"about": __doc__.splitlines()[0], "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
