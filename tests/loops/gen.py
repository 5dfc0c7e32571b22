#!/usr/bin/python3
"""Generate tests/loops/cases.json: the functions of loops.ad against the
same algorithms written in plain Python loops over PyTorch float64 tensors
(independently of ad-compile); gradients by PyTorch's autograd through the
Python loops. Run by a developer when the cases change:
    /usr/bin/python3 tests/loops/gen.py > tests/loops/cases.json"""
import json
import math

import torch

torch.set_default_dtype(torch.float64)
cases = []


def case(func, inputs, expect, about, mode="run", **kw):
    c = {"file": "loops.ad", "func": func, "inputs": inputs, "expect": expect, "about": about,
         "atol": kw.pop("atol", 1e-10), "rtol": kw.pop("rtol", 1e-10)}
    if mode != "run":
        c["mode"] = mode
    c.update(kw)
    cases.append(c)


def val(t):
    return t.tolist() if isinstance(t, torch.Tensor) else t


# ---- the algorithms, as Python loops
def decay(y0, k, dt):
    y, s = y0, 0.0
    for t in range(100):
        y = y - dt * k * y
        s = s + y
    return y, s


def rk4(y0, k, dt):
    y = y0
    for t in range(1000):
        a = -k * y
        b = -k * (y + 0.5 * dt * a)
        c = -k * (y + 0.5 * dt * b)
        d = -k * (y + dt * c)
        y = y + dt / 6 * (a + 2 * b + 2 * c + d)
    return y


def pendulum(theta0, g, l, c, dt):
    theta, omega = theta0, 0 * theta0
    for t in range(500):
        omega = omega + dt * (-(g / l) * torch.sin(theta) - c * omega)
        theta = theta + dt * omega
    energy = 0.5 * l * l * omega * omega + g * l * (1 - torch.cos(theta))
    return theta, omega, energy


def newton(a):
    x, n = a, 0
    for it in range(100):
        x = 0.5 * (x + a / x)
        n += 1
        if abs(x * x - a) < 1e-12:
            break
    return x, n


def piece(x):
    s = x.sum()
    if s > 0:
        return 2 * x
    if s < -10:
        return -x
    return x * x


def rows(X, w):
    acc = torch.zeros(X.shape[1])
    for t in range(X.shape[0]):
        acc = acc + X[t] * w
        if t > 1:
            acc = acc * 0.5
    return acc


def pairs(x):
    d = 0.0
    for i in range(1, len(x)):
        d = d + (x[i] - x[i - 1]) ** 2
    return d


def backwards(x):
    h = 0 * x[0]
    for i in range(len(x) - 1, -1, -1):
        h = 0.5 * h + x[i] * (i + 1)
    return h


def search(x, target):
    found, steps = -1.0, 0.0
    for i in range(len(x)):
        steps += 1
        if x[i] >= target:
            found = float(i)
            break
        steps += 0.5
    return found, steps


def inside(x, n_iter):
    y = x
    if n_iter > 0:
        for t in range(4):
            y = y * y * 0.5 + t
    else:
        y = -y
    return y


def ckpt(x):
    y = x
    for t in range(37):
        y = torch.sin(y) + 0.1 * t
    return y


def leapfrog(x0, k, dt):
    x, v = x0, 0 * x0
    for t in range(200):
        f = -(k * x + 0.4 * x ** 3).detach()  # grad without create_graph: detached, as in Paddle
        v = v + dt * f
        x = x + dt * v
    return x, v


T = torch.tensor
gen = torch.Generator().manual_seed(20261201)


def rand(*shape):
    return (torch.rand(*shape, generator=gen) * 4 - 2)


# ---- values
for y0, k in ((1.0, 0.5), (2.0, 3.0)):
    y, s = decay(y0, k, 0.01)
    case("decay", {"y0": y0, "k": k, "dt": 0.01}, {"y": y, "s": s}, "Euler steps of y' = -k y, and their sum")
    case("decay", {"y0": y0, "k": k, "dt": 0.01}, {"y": "y0 * (1 - dt * k) ** 100"},
         "the closed form of the Euler steps")
y0 = y0r = rand(3)
case("rk4", {"y0": val(y0), "k": 0.7, "dt": 0.001}, {"yT": val(rk4(y0, 0.7, 0.001))}, "RK4, 1000 steps")
case("rk4", {"y0": val(y0), "k": 0.7, "dt": 0.001}, {"yT": "y0 * exp(-0.7)"}, "RK4 against the solution e^(-kt)",
     atol=1e-12, rtol=1e-12)
th, om, en = pendulum(T(1.2), T(9.81), T(0.8), T(0.3), 0.005)
case("pendulum", {"theta0": 1.2, "g": 9.81, "l": 0.8, "c": 0.3, "dt": 0.005},
     {"theta": th.item(), "omega": om.item(), "energy": en.item()}, "a damped pendulum, 500 steps")
for a in (2.0, 10.0, 0.25):
    x, n = newton(a)
    case("newton", {"a": a}, {"x": "sqrt(a)", "n": n}, "Newton's iteration with a break when it converges",
         atol=1e-12, rtol=1e-12)
for x in ([1.0, 2.0, -0.5], [-11.0, -2.0, 0.5], [-1.0, -2.0, 0.25]):
    case("piece", {"x": x}, {"y": val(piece(T(x)))}, "if / else if / else on sum(x)")
X, w = Xr, wr = rand(5, 3), rand(3)
case("rows", {"X": val(X), "w": val(w)}, {"acc": val(rows(X, w))}, "the rows of X, with an if on t")
x = xr = rand(6)
case("pairs", {"x": val(x)}, {"d": pairs(x).item()}, "x[i] and x[i - 1] for i in range(1, n)")
case("backwards", {"x": val(x)}, {"h": backwards(x).item()}, "range(n - 1, -1, -1), t as a weight")
case("nest", {"k": 1.5}, {"acc": sum(i * j * 1.5 for i in range(3) for j in range(2, 10, 3))},
     "a loop in a loop with a step of 3")
xw = [0.1, 0.2, 0.3, 0.4]
case("weak", {"x": xw}, {"s": float(sum(torch.tensor(xw, dtype=torch.float32)))},
     "s = 0 before the loop carries the dtype of the body: f32", atol=1e-6, rtol=1e-6)
case("empty", {"x": 1.5}, {"a": 1.5, "b": 1.5}, "range(0) and range(5, 2) run no iteration")
for target in (4.0, 100.0, -5.0):
    f, st = search([1.0, 3.0, 5.0, 7.0], target)
    case("search", {"x": [1.0, 3.0, 5.0, 7.0], "target": target}, {"found": f, "steps": st},
         "a break inside an if, with statements after the if that must not run")
for n_iter in (1.0, 0.0):
    case("inside", {"x": 0.5, "n_iter": n_iter}, {"y": inside(0.5, n_iter)}, "a loop inside an if, calls in a loop")
y = ckpt(T(0.5)).item()
case("ckpt", {"x": 0.5}, {"y": y, "z": y}, "checkpoint=5 and checkpoint=true give the plain values")
x0 = x0r = rand(3)
xf, vf = leapfrog(x0, 1.3, 0.01)
case("leapfrog", {"x0": val(x0), "k": 1.3, "dt": 0.01}, {"x": val(xf), "v": val(vf)},
     "the force -grad(V(x), x) taken inside every step")



def orders(y0, k):
    y = y0
    for t in range(50):
        y = y + 0.02 * (-k * y + torch.sin(y))
    return y


def trajectory(x0, k):
    x, v = x0, 0 * x0
    for t in range(60):
        f = -(k * x + 0.4 * x ** 3)
        v = v + 0.05 * f
        if (v * v).sum() > 4:
            v = 0.5 * v
        x = x + 0.05 * v
    return (x * x + v * v).sum()


def matrix(X, w):
    s = 0 * w[0]
    for i in range(X.shape[0]):
        acc = 0 * w[0]
        for j in range(X.shape[1]):
            if X[i, j] > 0:
                acc = acc + X[i, j] * w[j]
            else:
                acc = acc - 0.5 * X[i, j] * w[j] * w[j]
        s = s + torch.sin(acc)
    return s


def gru(X, Wz, Uz, Wh, Uh, Wy):
    h = 0 * Wy
    loss = 0 * Wy[0]
    for t in range(X.shape[0]):
        z = torch.sigmoid(X[t] @ Wz + h @ Uz)
        cand = torch.tanh(X[t] @ Wh + h @ Uh)
        h = (1 - z) * h + z * cand
        loss = loss + torch.exp((h * Wy).sum())
    return loss


def grads(fn, inputs, wrt, seeds=None):
    """PyTorch's gradients of sum(results * seeds) w.r.t. wrt."""
    ts = {k: torch.tensor(v, requires_grad=k in wrt) for k, v in inputs.items()}
    out = fn(**ts)
    out = out if isinstance(out, tuple) else (out,)
    total = sum((o * (seeds[i] if seeds else 1.0)).sum() for i, o in enumerate(out) if isinstance(o, torch.Tensor))
    gs = torch.autograd.grad(total, [ts[k] for k in wrt], allow_unused=True)
    return {k: (val(g) if g is not None else val(torch.zeros_like(ts[k]))) for k, g in zip(wrt, gs)}


# ---- second and third order
y0, k = torch.tensor(0.8, requires_grad=True), torch.tensor(0.6, requires_grad=True)
y = orders(y0, k)
g, = torch.autograd.grad(y, k, create_graph=True)
h, = torch.autograd.grad(g, k, create_graph=True)
h3, = torch.autograd.grad(h, k)
case("orders", {"y0": 0.8, "k": 0.6}, {"y": y.item(), "g": g.item(), "h": h.item(), "h3": h3.item()},
     "grad of grad of grad through a loop (create_graph), against PyTorch's")
case("orders_ckpt", {"y0": 0.8, "k": 0.6}, {"y": y.item(), "g": g.item(), "h": h.item(), "h3": h3.item()},
     "the same through a loop checkpointed every 7 iterations")
x0 = rand(3)
xt, kt = x0.clone().requires_grad_(True), torch.tensor(1.3, requires_grad=True)
e = trajectory(xt, kt)
gk, gx = torch.autograd.grad(e, [kt, xt])
case("trajectory", {"x0": val(x0), "k": 1.3}, {"e": e.item(), "gk": gk.item(), "gx": val(gx)},
     "a force by grad(create_graph) in every step and a cond, the trajectory differentiated again")

def body_grad_param(x0, w):
    c, y = x0, 0.0
    for t in range(8):
        if c.sum() > 9:
            break
        g, = torch.autograd.grad((w * w * c + torch.sin(w)).sum(), w, create_graph=True)
        if c.sum() > 3:
            h, = torch.autograd.grad((torch.cos(w) * c).sum(), w, create_graph=True)
            y = y + (h * h).sum()
        y = y + (g * g).sum()
        c = c * 0.9 + 1.0
    return y


def body_grad_swap(x, z):
    a, b, y = x, z, 0.0
    for t in range(5):
        g, = torch.autograd.grad((a * b * b).sum(), a, create_graph=True)
        y = y + (g * a).sum()
        a, b = b, a
    return y


def body_grad_nested(x, w):
    H, y = x, 0.0
    for s in range(3):
        h = H
        for t in range(2):
            g, = torch.autograd.grad((h * h * w).sum(), h, create_graph=True)
            y = y + (g * w).sum()
            h = h * 0.9
        H = H + 1.0
    return y


# each: the inputs, then the names of the results holding d y / d input
for fn, names, gnames, about in [
        (body_grad_param, ["x0", "w"], ["gx", "gw"],
         "grad in the body with respect to a parameter (in an if, after an if that may break), differentiated again"),
        (body_grad_swap, ["x", "z"], ["gx", "gz"],
         "grad in the body with respect to a carry that a swap keeps independent of the other, differentiated again"),
        (body_grad_nested, ["x", "w"], ["gx", "gw"],
         "grad in an inner loop with respect to its carry, whose start is the outer carry, differentiated again")]:
    inputs = [[0.5, -0.2, 0.3], [0.7, -1.1, 0.4]]
    ts = [torch.tensor(v, requires_grad=True) for v in inputs]
    y = fn(*ts)
    res = {"y": y.item()}
    for name, g in zip(gnames, torch.autograd.grad(y, ts)):
        res[name] = val(g)
    case(fn.__name__, dict(zip(names, inputs)), res, about)

gi = {"X": rand(5, 3), "Wz": rand(3, 4), "Uz": rand(4, 4), "Wh": rand(3, 4), "Uh": rand(4, 4), "Wy": rand(4)}
D = rand(3, 4)
gt = {k: v.clone().requires_grad_(True) for k, v in gi.items()}
loss = gru(**gt)
g, = torch.autograd.grad(loss, gt["Wz"], create_graph=True)
hv, = torch.autograd.grad((g * D).sum(), gt["Wz"])
case("gru_hvp", dict({k: val(v) for k, v in gi.items()}, D=val(D)),
     {"loss": loss.item(), "g": val(g), "hv": val(hv)},
     "a GRU's gradient and Hessian-vector product through its loop (sigmoid, tanh taped), against PyTorch's")

def index_arith(x):
    y, q = 0.0, 0
    for t in range(7):
        if t % 2 == 0:
            y = y + torch.sin(x[(t + 1) % 3]) * (t // 2)
        for s in range(2):
            y = y + x[(t + s) % 3] * x[(2 * t + s) % 3] * (s + 1)
        if y > 40:
            break
        q = (q + t) % 3
        y = y + torch.cos(x[q]) * (t % 4)
    return y, q


for xs in ([0.3, -1.2, 0.8], [2.0, 1.5, 1.8]):  # the second breaks
    xt = torch.tensor(xs, requires_grad=True)
    y, q = index_arith(xt)
    g, = torch.autograd.grad(y, xt, create_graph=True)
    hv, = torch.autograd.grad((g * g).sum(), xt)
    case("index_arith", {"x": xs}, {"y": y.item(), "q": float(q)},
         "the loop variable by // and % in an if, an inner loop and after a break; a counter of literals")
    case("index_arith2", {"x": xs}, {"y": y.item(), "g": val(g), "hv": val(hv)},
         "the same differentiated twice, against PyTorch")

# ---- reverse mode through the loops (--grad: every result seeded with ones)
fns = {"decay": lambda y0, k, dt: decay(y0, k, dt), "rk4": rk4, "pendulum": pendulum,
       "piece": piece, "rows": rows, "rows_ckpt": rows, "pairs": pairs, "backwards": backwards, "inside": inside,
       "leapfrog": leapfrog, "matrix": matrix, "gru": gru}
gcases = [
    ("decay", {"y0": 1.0, "k": 0.5, "dt": 0.01}, ["y0", "k"]),
    ("rk4", {"y0": val(y0r), "k": 0.7, "dt": 0.001}, ["y0", "k"]),
    ("pendulum", {"theta0": 1.2, "g": 9.81, "l": 0.8, "c": 0.3, "dt": 0.005}, ["theta0", "g", "l", "c"]),
    ("piece", {"x": [1.0, 2.0, -0.5]}, ["x"]),
    ("piece", {"x": [-11.0, -2.0, 0.5]}, ["x"]),
    ("piece", {"x": [-1.0, -2.0, 0.25]}, ["x"]),
    ("rows", {"X": val(Xr), "w": val(wr)}, ["X", "w"]),
    ("rows_ckpt", {"X": val(Xr), "w": val(wr)}, ["X", "w"]),
    ("pairs", {"x": val(xr)}, ["x"]),
    ("backwards", {"x": val(xr)}, ["x"]),
    ("inside", {"x": 0.5, "n_iter": 1.0}, ["x"]),
    ("inside", {"x": 0.5, "n_iter": 0.0}, ["x"]),
    ("leapfrog", {"x0": val(x0r), "k": 1.3, "dt": 0.01}, ["x0", "k"]),
    ("matrix", {"X": val(Xr), "w": val(wr)}, ["X", "w"]),
    ("gru", {k: val(v) for k, v in gi.items()}, ["X", "Wz", "Uz", "Wh", "Uh", "Wy"]),
]
case("matrix", {"X": val(Xr), "w": val(wr)}, {"s": matrix(Xr, wr).item()}, "X[i, j] in two loops, an if inside")
for name, inputs, wrt in gcases:
    case(name, inputs, grads(fns[name], inputs, wrt), "reverse mode through the loop, against PyTorch", mode="grad")
for a in (2.0, 10.0, 0.25):
    case("newton", {"a": a}, {"a": 1 / (2 * math.sqrt(a))}, "the derivative of Newton's fixed point: d sqrt(a) / da",
         mode="grad", atol=1e-12, rtol=1e-9)
ck = {"x": 0.5}
y = torch.tensor(0.5, requires_grad=True)
yy = ckpt(y)
gy, = torch.autograd.grad(2 * yy, y)
case("ckpt", ck, {"x": gy.item()}, "checkpointed loops differentiate as the plain ones", mode="grad")

def window(x):
    n = x.shape[0]
    s = x.sum()
    for t in range(2, n):
        s = s * 0.5 + torch.sin(s) * x[t]
    for t in range(n - 1, 0, -2):
        s = s + torch.tanh(s) * x[t - 1]
    return s


for n in (0, 1, 2, 3, 6):
    xw = rand(n)
    gw = grads(window, {"x": val(xw)}, ["x"])["x"]
    case("window", {"x": val(xw)}, {"s": window(xw).item(), "g": gw},
         "range(2, n) and range(n - 1, 0, -2) with n = %d: empty below 3 and 2" % n)

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
