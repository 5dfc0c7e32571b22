#!/usr/bin/python3
"""Generate tests/values/cases.json: end-to-end value cases for every builtin,
with expected results computed by NumPy (independently of ad-compile).

Run by a developer when cases change (needs NumPy: /usr/bin/python3 on Debian):
    /usr/bin/python3 tests/values/gen.py > tests/values/cases.json
The output is checked in; the test suite only reads it."""
import json
import math
import re
import sys

import numpy as np

rng = np.random.default_rng(20261128)
cases = []


def arr(shape, lo=-2.0, hi=2.0):
    return rng.uniform(lo, hi, size=shape)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    r = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis) if axis is not None else r.reshape(())


def add(name, src, func, inputs, expect, dtypes=("f32", "f64"), rtol=None, atol=None):
    """src/inputs/expect may use the placeholder T for the dtype."""
    for dt in dtypes:
        npdt = np.float32 if dt == "f32" else np.float64
        ins = {k: np.asarray(v, dtype=npdt) for k, v in inputs.items()}
        out = expect(**{k: v.astype(np.float64) if dt == "f64" else v for k, v in ins.items()})
        if not isinstance(out, dict):
            out = {"y": out}
        case = {
            "name": f"{name}/{dt}",
            "source": re.sub(r"(?<![.\w])T(?!\w)", dt, src),
            "func": func,
            "inputs": {k: v.tolist() for k, v in ins.items()},
            "expect": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in out.items()},
            "rtol": rtol if rtol is not None else (2e-5 if dt == "f32" else 1e-12),
            "atol": atol if atol is not None else (2e-6 if dt == "f32" else 1e-13),
        }
        cases.append(case)


x3 = arr((3,))
x23 = arr((2, 3))
pos3 = rng.uniform(0.2, 2.0, size=(3,))
unit3 = rng.uniform(-0.9, 0.9, size=(3,))

unary = {
    "abs": (np.abs, x3), "sign": (np.sign, np.array([-1.5, 0.0, 2.0])), "sqrt": (np.sqrt, pos3),
    "exp": (np.exp, x3), "expm1": (np.expm1, x3), "log": (np.log, pos3), "log1p": (np.log1p, pos3),
    "sin": (np.sin, x3), "cos": (np.cos, x3), "tan": (np.tan, unit3), "asin": (np.arcsin, unit3),
    "acos": (np.arccos, unit3), "atan": (np.arctan, x3), "sinh": (np.sinh, x3), "cosh": (np.cosh, x3),
    "tanh": (np.tanh, x3), "sigmoid": (lambda v: 1 / (1 + np.exp(-v)), x3),
    "relu": (lambda v: np.maximum(v, 0), x3), "softplus": (lambda v: np.log1p(np.exp(v)), x3),
    "square": (np.square, x3), "erf": (np.vectorize(math.erf), x3), "floor": (np.floor, x3 * 3),
    "ceil": (np.ceil, x3 * 3), "round": (np.round, np.array([-2.5, 0.5, 1.5, 2.4])),
}
for name, (fn, val) in unary.items():
    add(f"unary {name}", f"func f(x: T[n]) -> (y: T[n]) {{\n    y = {name}(x)\n}}\n", "f", {"x": val},
        lambda x, fn=fn: fn(x))

binary = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
    "maximum": np.maximum, "minimum": np.minimum, "atan2": np.arctan2,
    "<": lambda a, b: (a < b).astype(a.dtype), "<=": lambda a, b: (a <= b).astype(a.dtype),
    ">": lambda a, b: (a > b).astype(a.dtype), ">=": lambda a, b: (a >= b).astype(a.dtype),
    "==": lambda a, b: (a == b).astype(a.dtype), "!=": lambda a, b: (a != b).astype(a.dtype),
}
a23, b3 = arr((2, 3)), arr((3,))
b3[1] = a23[0, 1]  # one tie for the comparisons
for op, fn in binary.items():
    expr = f"{op}(a, b)" if op.isalpha() or op.endswith("2") else f"a {op} b"
    # broadcasting: [2, n] with [n]
    add(f"binary {op}", f"func f(a: T[2, n], b: T[n]) -> y {{\n    y = {expr}\n}}\n", "f", {"a": a23, "b": b3},
        lambda a, b, fn=fn: fn(a, b))
add("pow", "func f(a: T[3], b: T[3]) -> y {\n    y = a ** b + pow(a, 2)\n}\n", "f",
    {"a": pos3, "b": x3}, lambda a, b: a ** b + a ** 2)
add("precedence", "func f(x: T[3]) -> y {\n    y = -x ** 2 + 2 ** 3 ** 0.5 - x * 3 / 2 @ x\n}\n", "f",
    {"x": x3}, lambda x: -x ** 2 + 2 ** 3 ** 0.5 - (x * 3 / 2) @ x)
add("weak literals", "func f(x: T[2, 2]) -> y {\n    y = x * [[1, 2], [3, 4]] + 0.1\n}\n", "f",
    {"x": arr((2, 2))}, lambda x: x * np.array([[1, 2], [3, 4]], dtype=x.dtype) + x.dtype.type(0.1))
add("where", "func f(c: T[2, 1], a: T[2, 3], b: T[3]) -> y {\n    y = where(c, a, b)\n}\n", "f",
    {"c": [[1], [0]], "a": a23, "b": b3}, lambda c, a, b: np.where(c != 0, a, b))
add("scalar params", "func f(s: T, x: T[n]) -> (y: T[n], z: T) {\n    y = s * x\n    z = s * s\n}\n", "f",
    {"s": 1.5, "x": x3}, lambda s, x: {"y": s * x, "z": s * s})

x234 = arr((2, 3, 4))
for red, fn in {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}.items():
    add(f"{red} all", f"func f(x: T[2, 3, 4]) -> y {{\n    y = {red}(x)\n}}\n", "f", {"x": x234},
        lambda x, fn=fn: fn(x))
    add(f"{red} axis", f"func f(x: T[2, 3, 4]) -> (a, b, c) {{\n    a = {red}(x, axis=1)\n"
        f"    b = {red}(x, [0, 2], true)\n    c = {red}(x, axis=-1, keepdim=false)\n}}\n", "f", {"x": x234},
        lambda x, fn=fn: {"a": fn(x, axis=1), "b": fn(x, axis=(0, 2), keepdims=True), "c": fn(x, axis=-1)})
add("norm", "func f(x: T[2, 3, 4]) -> (a, b) {\n    a = norm(x)\n    b = norm(x, axis=[1, 2], keepdim=true)\n}\n",
    "f", {"x": x234}, lambda x: {"a": np.sqrt((x * x).sum()), "b": np.sqrt((x * x).sum(axis=(1, 2), keepdims=True))})
add("logsumexp", "func f(x: T[2, 3, 4]) -> (a, b, c) {\n    a = logsumexp(x)\n    b = logsumexp(x, axis=1)\n"
    "    c = logsumexp(x * 300, axis=-1, keepdim=true)\n}\n", "f", {"x": x234},
    lambda x: {"a": logsumexp(x), "b": logsumexp(x, axis=1), "c": logsumexp(x * 300, axis=-1, keepdims=True)})
add("softmax", "func f(x: T[2, 3]) -> (a, b, c) {\n    a = softmax(x)\n    b = softmax(x * 1000, axis=0)\n"
    "    c = log_softmax(x, -1)\n}\n", "f", {"x": x23},
    lambda x: {"a": softmax(x), "b": softmax(x * 1000, axis=0), "c": log_softmax(x)})
tgt = np.array([[0, 1, 0], [0.25, 0.25, 0.5]])
add("cross_entropy", "func f(x: T[2, 3], t: T[2, 3]) -> (a, b) {\n    a = cross_entropy(x, t)\n"
    "    b = cross_entropy(x[0], t[0])\n}\n", "f", {"x": x23, "t": tgt},
    lambda x, t: {"a": (-(t * log_softmax(x)).sum(-1)).mean(), "b": -(t[0] * log_softmax(x[0])).sum()})

m34, m45, v4, v3 = arr((3, 4)), arr((4, 5)), arr((4,)), arr((3,))
add("matmul 2d", "func f(a: T[m, k], b: T[k, n]) -> y {\n    y = a @ b\n}\n", "f", {"a": m34, "b": m45},
    lambda a, b: a @ b)
add("matmul 1d", "func f(a: T[3, 4], v: T[4], w: T[3]) -> (x, y, z) {\n    x = a @ v\n    y = w @ a\n"
    "    z = v @ v\n}\n", "f", {"a": m34, "v": v4, "w": v3}, lambda a, v, w: {"x": a @ v, "y": w @ a, "z": v @ v})
b234, b45 = arr((2, 3, 4)), arr((1, 4, 5))
add("matmul batched", "func f(a: T[2, 3, 4], b: T[1, 4, 5], c: T[4, 5]) -> (x, y) {\n    x = matmul(a, b)\n"
    "    y = a @ c\n}\n", "f", {"a": b234, "b": b45, "c": m45}, lambda a, b, c: {"x": a @ b, "y": a @ c})
add("matmul transposed", "func f(a: T[4, 3], b: T[5, 4]) -> (x, y) {\n    x = a.T @ b.T\n"
    "    y = transpose(b @ a)\n}\n", "f", {"a": m34.T.copy(), "b": m45.T.copy()},
    lambda a, b: {"x": a.T @ b.T, "y": (b @ a).T})
add("dot outer", "func f(v: T[4], w: T[4]) -> (d, o) {\n    d = dot(v, w)\n    o = outer(v, w)\n}\n", "f",
    {"v": v4, "w": v4[::-1].copy()}, lambda v, w: {"d": v @ w, "o": np.outer(v, w)})
add("transpose perm", "func f(x: T[2, 3, 4]) -> (a, b) {\n    a = transpose(x, [2, 0, 1])\n    b = x.T\n}\n",
    "f", {"x": x234}, lambda x: {"a": x.transpose(2, 0, 1), "b": x.T})

add("reshape", "func f(x: T[2, 3, 4]) -> (a, b, c) {\n    a = reshape(x, [6, 4])\n    b = reshape(x, [-1])\n"
    "    c = reshape(x, [4, -1, 2])\n}\n", "f", {"x": x234},
    lambda x: {"a": x.reshape(6, 4), "b": x.reshape(-1), "c": x.reshape(4, -1, 2)})
add("reshape symbolic", "func f(x: T[n, 4]) -> (a, b) {\n    a = reshape(x, [-1])\n    b = reshape(x, [2, n, 2])\n}\n",
    "f", {"x": arr((3, 4))}, lambda x: {"a": x.reshape(-1), "b": x.reshape(2, 3, 2)})
add("squeeze unsqueeze", "func f(x: T[2, 1, 3]) -> (a, b, c, d) {\n    a = squeeze(x)\n    b = squeeze(x, 1)\n"
    "    c = unsqueeze(x, 0)\n    d = unsqueeze(x, -1)\n}\n", "f", {"x": arr((2, 1, 3))},
    lambda x: {"a": x.squeeze(), "b": x.squeeze(1), "c": x[None], "d": x[..., None]})
add("broadcast_to", "func f(x: T[3, 1]) -> (a, b) {\n    a = broadcast_to(x, [2, 3, 4])\n"
    "    b = broadcast_to(x, [3, 1])\n}\n", "f", {"x": arr((3, 1))},
    lambda x: {"a": np.broadcast_to(x, (2, 3, 4)), "b": x})
add("concat stack", "func f(x: T[2, 3], y: T[1, 3]) -> (a, b, c, d) {\n    a = concat([x, y, x], axis=0)\n"
    "    b = concat([x, x * 2], 1)\n    c = stack([x, x + 1])\n    d = stack([x, x], axis=-1)\n}\n", "f",
    {"x": x23, "y": arr((1, 3))},
    lambda x, y: {"a": np.concatenate([x, y, x], 0), "b": np.concatenate([x, x * 2], 1),
                  "c": np.stack([x, x + 1]), "d": np.stack([x, x], -1)})
add("flip", "func f(x: T[2, 3, 4]) -> (a, b, c) {\n    a = flip(x)\n    b = flip(x, 1)\n    c = flip(x, [0, 2])\n}\n",
    "f", {"x": x234}, lambda x: {"a": np.flip(x), "b": np.flip(x, 1), "c": np.flip(x, (0, 2))})
x10 = arr((10,))
add("slices", "func f(x: T[10], m: T[3, 4]) -> (a, b, c, d, e, g, h, i) {\n    a = x[1:]\n    b = x[:-1]\n"
    "    c = x[::3]\n    d = x[::-2]\n    e = x[-3]\n    g = m[:, 0]\n    h = m[1:, ::-1]\n    i = x[2:100]\n}\n",
    "f", {"x": x10, "m": m34},
    lambda x, m: {"a": x[1:], "b": x[:-1], "c": x[::3], "d": x[::-2], "e": x[-3], "g": m[:, 0],
                  "h": m[1:, ::-1], "i": x[2:100]})
add("slices symbolic", "func f(x: T[n]) -> (a, b, c, d, e) {\n    a = x[1:] - x[:-1]\n    b = x[::2]\n"
    "    c = x[::-1]\n    d = x[-2]\n    e = x[1:-1:3]\n}\n", "f", {"x": x10},
    lambda x: {"a": x[1:] - x[:-1], "b": x[::2], "c": x[::-1], "d": x[-2], "e": x[1:-1:3]})
add("rosenbrock", "func f(x: T[n]) -> y {\n    y = sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)\n}\n",
    "f", {"x": x10}, lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

add("arange", "func f() -> (a, b, c, d: f64[7]) {\n    a = arange(5)\n    b = arange(-5, 5, 0.01)\n"
    "    c = arange(1, 2, 0.3, dtype=f64)\n    d = arange(10, 3, -1, dtype=f64)\n}\n", "f", {},
    lambda: {"a": np.arange(5, dtype=np.float32), "b": np.arange(-5, 5, 0.01, dtype=np.float32),
             "c": np.arange(1, 2, 0.3), "d": np.arange(10, 3, -1.0)}, dtypes=("f32",), rtol=0, atol=0)
add("linspace", "func f() -> (a, b) {\n    a = linspace(0, 1, 7)\n    b = linspace(-2, 3, 50, dtype=f64)\n}\n",
    "f", {}, lambda: {"a": np.linspace(0, 1, 7, dtype=np.float32), "b": np.linspace(-2, 3, 50)},
    dtypes=("f32",), rtol=0, atol=0)
add("linspace of one and of none",
    "func f() -> (a, b, c) {\n    a = linspace(2, 5, 1)\n    b = linspace(-1, 4, 1, dtype=f64)\n"
    "    c = linspace(0, 1, 0)\n}\n", "f", {},
    lambda: {"a": np.linspace(2, 5, 1, dtype=np.float32), "b": np.linspace(-1, 4, 1),
             "c": np.linspace(0, 1, 0, dtype=np.float32)}, dtypes=("f32",), rtol=0, atol=0)
add("fill", "func f(x: T[n, 2]) -> (a, b, c, d, e, g, h) {\n    a = zeros([2, 3], dtype=T)\n    b = ones([n])\n"
    "    c = full([2, 2], 2.5, T)\n    d = eye(3)\n    e = eye(2, 3, dtype=f64)\n    g = zeros_like(x)\n    h = ones_like(x)\n}\n",
    "f", {"x": arr((3, 2))},
    lambda x: {"a": np.zeros((2, 3)), "b": np.ones(3), "c": np.full((2, 2), 2.5), "d": np.eye(3),
               "e": np.eye(2, 3), "g": np.zeros_like(x), "h": np.ones_like(x)})
add("conversions", "func f(x: f32[3], y: f64[3]) -> (a: f64[3], b: f32[3]) {\n    a = f64(x) + y\n"
    "    b = x + f32(y)\n}\n", "f", {"x": x3, "y": pos3},
    lambda x, y: {"a": x.astype(np.float64) + y.astype(np.float64),
                  "b": (x.astype(np.float32) + y.astype(np.float32))}, dtypes=("f32",))
add("calls", "func sq(a: T[k]) -> r {\n    r = a * a\n}\nfunc two(a: T[k], b: T[k]) -> (s, d) {\n"
    "    s = a + b\n    d = a - b\n}\nfunc f(x: T[n]) -> (y, z) {\n    s, d = two(sq(x), x)\n    y = s * d\n"
    "    z = sq(a=x)\n}\n", "f", {"x": x3},
    lambda x: {"y": (x * x + x) * (x * x - x), "z": x * x})
add("dims as numbers", "func f(x: T[n, m]) -> y {\n    y = x * n + m\n}\n", "f", {"x": arr((2, 3))},
    lambda x: x * 2 + 3)
add("detach identity", "func f(x: T[3]) -> (a, b) {\n    a = detach(x) * 2\n    b = stop_gradient(x) + x\n}\n",
    "f", {"x": x3}, lambda x: {"a": x * 2, "b": x + x})

json.dump({"about": __doc__.strip().splitlines()[0], "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
