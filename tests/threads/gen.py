#!/usr/bin/env python3
"""tests/threads/cases.json: the functions of par.ad on random inputs of
uneven sizes, with the values NumPy computes (float64, written here from
the formulas; train's gradient by the chain rule, written out). Run:
/usr/bin/python3 tests/threads/gen.py > tests/threads/cases.json"""
import json

import numpy as np

rng = np.random.default_rng(17)
m, n, q, k = 37, 29, 3, 23


def r(*shape):
    return rng.uniform(-1, 1, size=shape)


def L(a):
    return np.asarray(a).tolist()


cases = []
x, y, z = r(n), r(m, n), r(q, m, n)
b = y * x + np.exp(-y)
cases.append({"file": "par.ad", "func": "ew", "inputs": {"x": L(x), "y": L(y), "z": L(z)},
              "expect": {"a": L(np.sin(x) * 2 + x), "b": L(b), "c": L(z * b - x)}})
mx = y.max(axis=1, keepdims=True)
cases.append({"file": "par.ad", "func": "reds", "inputs": {"y": L(y), "z": L(z)},
              "expect": {"s": L(y.sum()), "p": L(np.prod(1 + y / 100)), "mx": L(y.max()), "mn": L(z.min()),
                         "nr": L(np.sqrt((z * z).sum())), "s0": L(y.sum(axis=0)), "s1": L(y.sum(axis=1)),
                         "s01": L(z.sum(axis=(0, 1))), "am": L(y.argmax(axis=1)), "me": L(z.mean()),
                         "lse": L((mx + np.log(np.exp(y - mx).sum(axis=1, keepdims=True)))[:, 0])},
              "rtol": 1e-12, "atol": 1e-12})
a, bm, c, d, bt, bb, v = r(m, k), r(k, n), r(n, k), r(k, m), r(q, m, k), r(q, k, n), r(k)
cases.append({"file": "par.ad", "func": "mm",
              "inputs": {"a": L(a), "b": L(bm), "c": L(c), "d": L(d), "bt": L(bt), "bb": L(bb), "v": L(v)},
              "expect": {"ab": L(a @ bm), "act": L(a @ c.T), "dtb": L(d.T @ bm), "dtct": L(d.T @ c.T),
                         "btb": L(bt @ bb), "av": L(a @ v)},
              "rtol": 1e-12, "atol": 1e-12})
w, xx, t = r(k, n), r(m, k), r(m, n)
h0 = np.tanh(xx @ w)
hs = [h0]
for i in range(3):
    hs.append(hs[-1] + 0.1 * np.sin(hs[-1]))
loss = ((hs[-1] - t) ** 2).sum() / m
g = 2 * (hs[-1] - t) / m
for i in reversed(range(3)):
    g = g * (1 + 0.1 * np.cos(hs[i]))
gw = xx.T @ (g * (1 - h0 ** 2))
cases.append({"file": "par.ad", "func": "train", "inputs": {"w": L(w), "x": L(xx), "t": L(t)},
              "expect": {"l": L(loss), "gw": L(gw)}, "rtol": 1e-10, "atol": 1e-12})
json.dump({"cases": cases}, __import__("sys").stdout)
print()
