#!/usr/bin/python3
"""Generate tests/linalg/cases.json: the functions of linalg.ad against
PyTorch float64 (torch.linalg.cholesky, torch.linalg.solve, the triangles
solved as full matrices, torch.linalg.inv, autograd to second order and
torch.autograd.functional.jvp), independently of ad-compile. Run by a
developer when the cases change:
    /usr/bin/python3 tests/linalg/gen.py > tests/linalg/cases.json"""
import json
from fractions import Fraction

import torch

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(17)
cases = []


def rand(*shape):
    return torch.rand(*shape, generator=gen) * 2 - 1


def case(func, inputs, expect, about, **kw):
    c = {"file": "linalg.ad", "func": func, "about": about, "atol": 1e-10, "rtol": 1e-9,
         "inputs": {k: v.tolist() for k, v in inputs.items()},
         "expect": {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in expect.items()}}
    c.update(kw)
    cases.append(c)


def d(v):
    return v.detach()


def spd(A):
    return A @ A.mT + torch.eye(A.shape[-1])


for n in (1, 4):
    A = rand(n, n)
    At = A.clone().requires_grad_(True)
    L = torch.linalg.cholesky(spd(At))
    g, = torch.autograd.grad(torch.sin(L).sum(), At, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), At)
    case("chol", {"A": A}, {"L": d(L), "g": d(g), "h": h},
         "cholesky (n = %d), its gradient and second order, against torch.linalg.cholesky" % n)

for n, cond in ((3, 1.0), (5, 1.0), (4, 1e6)):
    A = rand(n, n) + 2 * torch.eye(n)
    if cond > 1:  # ill-conditioned: singular values from 1 to 1e-6
        U, _, V = torch.linalg.svd(rand(n, n))
        A = U @ torch.diag(torch.logspace(0, -6, n)) @ V.mT
    b, B = rand(n), rand(2, n, 3)
    At, bt, Bt = (v.clone().requires_grad_(True) for v in (A, b, B))
    x = torch.linalg.solve(At, bt)
    X = torch.linalg.solve(At, Bt)
    y = torch.linalg.solve(torch.tril(At), bt)
    Y = torch.linalg.solve(torch.triu(At).mT, Bt)
    u = torch.linalg.solve(torch.tril(At, -1) + torch.eye(n), bt)
    Ai = torch.linalg.inv(At)
    s = torch.sin(x).sum() + (X * X).sum() + y.sum() + (Y * Y).sum() + (u ** 3).sum() + (Ai * Ai).sum()
    gA, gb, gB = torch.autograd.grad(s, [At, bt, Bt], create_graph=True)
    h, = torch.autograd.grad((gA * gA).sum() + (gb * gb).sum(), At)
    tol = {} if cond == 1 else {"atol": 1e-8, "rtol": 1e-4}  # errors grow with the condition number
    case("solves", {"A": A, "b": b, "B": B},
         {"x": d(x), "X": d(X), "y": d(y), "Y": d(Y), "u": d(u), "Ai": d(Ai), "gA": d(gA), "gb": d(gb),
          "gB": d(gB), "h": h},
         "solve (a vector, a batch by broadcasting), solve_triangular (lower, upper transposed, unit "
         "diagonal), inv; gradients and second order (n = %d%s)" % (n, ", condition number 1e6" if cond > 1 else ""),
         **tol)

n = 4
A, dA, b, C = rand(n, n), rand(n, n), rand(n), rand(3, n, n)
tL = torch.autograd.functional.jvp(lambda a: torch.linalg.cholesky(spd(a)), A, dA)[1]
tx = torch.autograd.functional.jvp(lambda a: torch.linalg.solve(a + 2 * torch.eye(n) * 0, b), A, dA)[1]
Ct = C.clone().requires_grad_(True)
LC = torch.linalg.cholesky(spd(Ct))
gC, = torch.autograd.grad((LC ** 3).sum(), Ct)
case("tangents", {"A": A, "dA": dA, "b": b, "C": C}, {"tL": tL, "tx": tx, "LC": d(LC), "gC": gC},
     "jvp of cholesky and solve (torch.autograd.functional.jvp); a batch of three Cholesky factors and "
     "the gradient")

for n in (1, 3):
    A, dA, B = rand(n, n) + torch.eye(n), rand(n, n), rand(2, n, n)
    Z = torch.ones(n, n) if n > 1 else torch.zeros(1, 1)
    At = A.clone().requires_grad_(True)
    dd = torch.linalg.det(At)
    s, l = torch.linalg.slogdet(At)
    sb, lb = torch.linalg.slogdet(B)
    g, = torch.autograd.grad(dd * dd, At, create_graph=True)  # (sum(lb) does not depend on A)
    h, = torch.autograd.grad((g * g).sum(), At)
    t = torch.autograd.functional.jvp(lambda a: torch.linalg.slogdet(a)[1] + torch.linalg.det(a), A, dA)[1]
    sz, lz = torch.linalg.slogdet(Z)
    case("dets", {"A": A, "dA": dA, "B": B, "Z": Z},
         {"d": dd.item(), "s": s.item(), "l": d(l).item(), "sb": sb, "lb": lb, "g": d(g), "h": h, "t": t.item(),
          "dz": torch.linalg.det(Z).item(), "sz": sz.item(), "lz": "-Infinity"},
         "det and slogdet (n = %d), a batch, gradients to second order, a jvp; a singular matrix: det 0, "
         "sign 0, log |det| -inf" % n)

S = spd(rand(3, 3, 3))
S[2, 1, 1] = -5.0
good = rand(3, 3) + 3 * torch.eye(3)
case("bad", {"S": S, "A": good, "b": rand(3)}, {}, "a matrix that is not positive definite, at batch index 2",
     exit=3, stderr="cholesky: the matrix at batch index 2 is not positive definite (AD_ERR_LINALG)")
sing = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
case("bad", {"S": spd(rand(2, 3, 3)), "A": sing, "b": rand(3)}, {}, "a singular matrix in solve",
     exit=3, stderr="solve: the matrix at batch index 0 is singular (AD_ERR_LINALG)")

A, b = rand(4, 4) + 2 * torch.eye(4), rand(4)
for wrt in (["A"], ["b"], ["A", "b"]):
    At, bt = A.clone().requires_grad_(True), b.clone().requires_grad_(True)
    x = torch.linalg.solve(At, bt)
    y = torch.linalg.solve(At.mT, bt * bt)
    dd = torch.linalg.det(At)
    z = torch.linalg.solve(torch.tril(At.mT), torch.sin(bt))
    grads = torch.autograd.grad(x.sum() + y.sum() + dd + z.sum(), [At if w == "A" else bt for w in wrt])
    case("shared", {"A": A, "b": b}, {w: g for w, g in zip(wrt, grads)},
         "--grad of two solves and a det of one matrix (factored once) with respect to %s" % " and ".join(wrt),
         mode="grad", wrt=wrt)



def exact_det(m):
    """det by cofactor expansion in exact rationals (small n)"""
    if len(m) == 1:
        return m[0][0]
    return sum((-1) ** j * m[0][j] * exact_det([r[:j] + r[j + 1:] for r in m[1:]]) for j in range(len(m)))


def cofactors(a):
    """the cofactor matrix, (-1)^(i+j) times the minor without row i and column j, exactly"""
    m = [[Fraction(x) for x in row] for row in a.tolist()]
    n = len(m)
    if n == 1:
        return [[1.0]]
    return [[float((-1) ** (i + j) * exact_det([r[:j] + r[j + 1:] for k, r in enumerate(m) if k != i]))
             for j in range(n)] for i in range(n)]


singular = {  # rank n - 1 (exact zeros in the elimination, a zero column, a permutation), and lower
    2: [[[1, 2], [2, 4]], [[0, 1], [0, 0]], [[0, 0], [0, 0]]],
    3: [[[1, 2, 3], [2, 4, 6], [1, 1, 1]], [[0, 0, 1], [0, 0, 0], [1, 0, 0]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]],
        [[2, 1, 0], [1, 3, 1], [0.5, 1, 4]]],
    4: [[[0, 1, 2, 3], [0, 4, 5, 6], [0, 7, 8, 10], [0, 1, 1, 1]], [[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6],
        [4, 5, 6, 8]]],
}
for n, zs in singular.items():
    Z = torch.tensor(zs, dtype=torch.float64)
    case("det_grad", {"Z": Z}, {"d": [float(exact_det([[Fraction(x) for x in r] for r in z])) for z in zs],
                                "g": [cofactors(z) for z in Z]},
         "det and its gradient, the cofactors by exact minors, at singular matrices (n = %d; for n = 3 an "
         "invertible one too)"
         % n)

json.dump({"about": __doc__.split("\n")[0], "cases": cases}, __import__("sys").stdout, indent=1)
print()
