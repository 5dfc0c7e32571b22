#!/usr/bin/python3
"""Generate tests/index/cases.json: the functions of index.ad against NumPy
(take, add.at) and PyTorch float64 autograd through index_select and
index_add (independently of ad-compile). Run by a developer when the cases
change:
    /usr/bin/python3 tests/index/gen.py > tests/index/cases.json"""
import json

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(11)
cases = []


def rand(*shape):
    return torch.rand(*shape, generator=gen) * 2 - 1


def case(func, inputs, expect, about, **kw):
    c = {"file": "index.ad", "func": func, "about": about, "atol": 1e-12, "rtol": 1e-10,
         "inputs": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in inputs.items()},
         "expect": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in expect.items()}}
    c.update(kw)
    cases.append(c)


W, ids = rand(5, 3), torch.tensor([4, 0, 4, 2, 4, 1])
Wt = W.clone().requires_grad_(True)
E = Wt.index_select(0, ids)
s = (torch.tanh(E).sum(1) * (1 + ids.double())).sum()
g, = torch.autograd.grad(s, Wt)
case("embed", {"W": W, "ids": ids}, {"E": E.detach(), "s": s.item(), "g": g},
     "W[ids] with repeated ids; the gradient accumulates them (index_add)")
assert np.allclose(np.take(W.numpy(), ids.numpy(), axis=0), E.detach().numpy())

X, cols = rand(4, 3), torch.tensor([2, 0, 2])
for i in (0, 3):
    Xt = X.clone().requires_grad_(True)
    C = Xt.index_select(1, cols)
    r = Xt[i]
    e = Xt[i, (i + 1) % 3]
    g, = torch.autograd.grad((C ** 2).sum() + torch.sin(r).sum() + e ** 3, Xt, create_graph=True)
    h, = torch.autograd.grad((g * Xt).sum(), Xt)
    case("pick", {"X": X, "cols": cols, "i": i}, {"C": C.detach(), "r": r.detach(), "e": e.item(),
                                                  "g": g.detach(), "h": h},
         "take on axis 1, X[i] and X[i, (i + 1) %% m] at i = %d; second order" % i)

x, idx, v, seg = rand(4, 2), torch.tensor([3, 1, 3, 3, 0]), rand(5, 2), torch.tensor([2, 2, 0, 1, 2])
xt, vt = x.clone().requires_grad_(True), v.clone().requires_grad_(True)
y = xt.index_add(0, idx, vt)
s = torch.zeros(3, 2).index_add(0, seg, vt)
gx, gv = torch.autograd.grad(torch.sin(y).sum() + (s ** 2).sum(), [xt, vt])
ynp = x.numpy().copy()
np.add.at(ynp, idx.numpy(), v.numpy())
assert np.allclose(ynp, y.detach().numpy())
case("scatter", {"x": x, "idx": idx, "v": v, "seg": seg}, {"y": ynp, "s": s.detach(), "gx": gx, "gv": gv},
     "scatter_add (NumPy's add.at, duplicates accumulate) and segment_sum, differentiated")

c = np.array([3, 0, 1, 3, 2], dtype=np.int32)
case("classes", {"c": c}, {"h": np.eye(4)[c], "k": (c[:, None] == np.arange(3)).astype(np.int64)},
     "one_hot, f32 and i64 (an index past k gives a row of zeros)")

for n in (5, 6):
    xs = rand(n)
    xt = xs.clone().requires_grad_(True)
    s = 0 * xt[0]
    for t in range(n // 2):
        s = s + xt[2 * t + 1] * xt[n - 1 - t]
    g, = torch.autograd.grad(s, xt)
    case("stride", {"x": xs}, {"s": s.item(), "g": g}, "x[2 * t + 1] and x[n - 1 - t] in a loop (n = %d)" % n)

for xb in (np.array([[1, 5, 5], [7, np.nan, 2], [0, -1, -1]]), np.array([[2.5, -3.0], [2.5, 4.0], [-3.0, 1.0]])):
    ib = np.array([3, 9, 9], dtype=np.int32)
    case("best", {"x": [[v if v == v else "NaN" for v in r] for r in xb.tolist()], "i": ib},
         {"a": np.argmax(xb, 1), "b": int(np.argmin(xb)), "c": int(np.argmax(ib)),
          "d": np.argmin(xb, 0)[None, :], "e": float(np.take(xb[0], np.argmax(xb, 1)).sum())},
         "argmax and argmin as NumPy's: ties and NaN give the first")

Xu, wu, idu = rand(4, 3), rand(3), torch.tensor([2, 0, 2, 3])
for iu in (0, 3):
    xt, wt = Xu.clone().requires_grad_(True), wu.clone().requires_grad_(True)
    a = xt.clone()
    a[iu] = wt * 2
    b = xt.clone()
    b[1, iu % 3] = b[1, iu % 3] + 10 * wt[0]
    c = xt.clone()
    c[1:3] = wt
    d = xt.index_add(0, idu, wt.expand(4, 3))
    gx, gw = torch.autograd.grad((a ** 2).sum() + (b ** 3).sum() + (c * xt).sum() + (d ** 2).sum(), [xt, wt])
    case("upd", {"x": Xu, "i": iu, "idx": idu, "w": wu},
         {"a": a.detach(), "b": b.detach(), "c": c.detach(), "d": d.detach(), "gx": gx, "gw": gw},
         "y[i] = v, y[i, j] += v, y[a:b] = v, y[idx] += v (i = %d) and their gradients" % iu)

x0t, kt = torch.tensor(1.3), torch.tensor(0.8, requires_grad=True)
s, rows = x0t, []
for t in range(6):
    s = s - 0.1 * kt * s
    rows.append(s)
ys = torch.stack(rows)
g, = torch.autograd.grad((ys ** 2).sum(), kt)
case("traj", {"x0": 1.3, "k": 0.8}, {"ys": ys.detach(), "g": g.item()}, "ys[t] = s in a loop, differentiated")

# y[idx] = v with an index tensor, by plain Python loops (the last write wins)
xs, ids, vs, dvs = rand(5, 2), torch.tensor([3, 1, 3, 0, 3]), rand(5, 2), rand(5, 2)
ms, cs = torch.tensor([[4, 2], [4, 0]]), np.array([5, -1, 2, 7, 0], dtype=np.int32)


def set_rows(x, idx, v):
    y = x.clone()
    for k in range(len(idx)):
        y[idx[k]] = v[k]
    return y


xt, vt = xs.clone().requires_grad_(True), vs.clone().requires_grad_(True)
y = set_rows(xt, ids, vt * vt)
gx, gv = torch.autograd.grad((torch.sin(y) * y).sum(), [xt, vt], create_graph=True)
hv, = torch.autograd.grad((gv * gv).sum(), vt)
t = torch.autograd.functional.jvp(lambda vv: torch.sin(set_rows(xs, ids, vv * vv)), vs, dvs)[1]
ynp = xs.numpy().copy()
ynp[ids.numpy()] = vs.numpy() ** 2
assert np.allclose(ynp, y.detach().numpy())
z = xs.clone()
for k in ms.flatten().tolist():
    z[k] = 3 * xs[0]
ci = cs.copy()
for k in ids.tolist():
    ci[k] = 10 * k
r = xt.detach().clone()
for j in range(len(ids)):
    rows = r[ids].clone()
    for k in range(len(ids)):
        r[ids[k]] = rows[k] * vs[j, 0]
case("setidx", {"x": xs, "idx": ids, "v": vs, "dv": dvs, "m": ms, "c": cs},
     {"y": y.detach(), "gx": gx.detach(), "gv": gv.detach(), "hv": hv, "t": t, "z": z, "ci": ci, "r": r},
     "y[idx] = v with duplicates (the last wins), its gradients to second order and a jvp; an index "
     "matrix; integers; y[idx] = y[idx] * c in a loop")

xw, idw = rand(3, 2), torch.tensor([2, 2])
for iw in (0, 1):
    xt = xw.clone().requires_grad_(True)
    y = xt.clone()
    y[iw, :] = torch.tensor([7.0, 8.0])
    z = xt.index_add(0, idw, xt[0].expand(2, 2))
    g, = torch.autograd.grad((y * y).sum() + (z ** 3).sum(), xt)
    case("whole", {"x": xw, "i": iw, "idx": idw}, {"y": y.detach(), "z": z.detach(), "g": g},
         "y[i, :] = v and y[idx, :] += v (duplicates add; i = %d), and the gradient" % iw)

# updates that may overwrite their operand in place and those that must not
def put(y, i, v):
    y = y.clone()
    y[i] = v
    return y


xi, wi = rand(4, 3), rand(3)
for wsign in (1, -1):
    xt, wt = xi.clone().requires_grad_(True), (wsign * wi.abs()).clone().requires_grad_(True)
    a = xt * 2
    a = put(a, 1, a[0] * wt)
    a = put(a, 0, a[0] + wt)
    a = put(a, 3, a[3] + wt * wt)
    b = xt * 3
    c = put(b, 2, wt) + b
    ys = torch.zeros(4, 3)
    h, acc = wt, torch.tensor(0.0)
    for t in range(1, 4):
        h = torch.tanh(h * xt[t] + 0.5 * ys[t - 1])
        prev = ys
        ys = put(ys, t, h)
        acc = acc + (prev * ys).sum()
    M = torch.zeros(4, 3)
    for i in range(4):
        for j in range(3):
            M = put(M, (i, j), xt[i, j] * wt[j] * (i + 1))
    e = put(xt, 0 if wt.sum() > 0 else 1, wt)
    s = (a * a).sum() + (c * c).sum() + (ys * ys).sum() + acc + torch.sin(M).sum() + (e ** 3).sum()
    gx, gw = torch.autograd.grad(s, [xt, wt], create_graph=True)
    hw, = torch.autograd.grad((gw * gw).sum() + (gx * gx).sum(), wt)
    d = lambda v: v.detach()
    case("inplace", {"x": xi, "w": d(wt)},
         {"a": d(a), "c": d(c), "ys": d(ys), "M": d(M), "e": d(e), "s": s.item(), "gx": d(gx), "gw": d(gw),
          "hw": hw},
         "updates in place and updates that copy (the operand read after, or by the value), in and "
         "out of loops and branches; second order (sum(w) %s 0)" % (">" if wsign > 0 else "<"))

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
