#!/usr/bin/python3
r"""Independent PyTorch oracle for the four ADBench problems (GMM, BA, HT, LSTM).

Written only from the definitions in shared/adbench/README.md: it shares no
code with ad-compile or with ADBench. Objectives are plain float64 PyTorch,
derivatives come from torch autograd, and every expected-values file also
carries a central-finite-difference check of those derivatives. Needs torch
(on the development machines: /usr/bin/python3); bench/adbench/check.py, which
compares bench/adbench/run with the files this writes, needs only Python.

Usage:
  reference.py PROBLEM FILE [--model DIR] [--format=json]
      print the JSON object of the interface (README, "The interface the
      project provides"); PROBLEM is gmm, ba, ht, ht_complicated or lstm
  reference.py PROBLEM FILE --time [--model DIR]
      print {"objective_s": median, "derivative_s": median, "runs": n}
  reference.py gen-gmm SEED D K N OUT     random GMM instance, standard format
  reference.py gen-ba SEED n m p OUT      random BA instance, expanded format
  reference.py gen-all                    regenerate bench/adbench/data/*
  reference.py expect PROBLEM FILE OUT.json [--model DIR] [--rows K]
      write an expected-values file for check.py
  reference.py expect-all                 regenerate bench/adbench/expected/*
  reference.py selftest                   sanity checks against closed forms

Regenerating everything (from the repository root):
  /usr/bin/python3 bench/adbench/reference.py gen-all
  /usr/bin/python3 bench/adbench/reference.py expect-all
expect-all runs `expect` on each entry of EXPECTED below, e.g.
  /usr/bin/python3 bench/adbench/reference.py expect gmm \
      ../shared/adbench/data/gmm/1k/gmm_d10_K5.txt \
      bench/adbench/expected/gmm_d10_K5.json

BA files come in two forms, told apart by how many numbers they hold: the
benchmark's replicated form (`n m p`, one camera, one point, one weight, one
feature: 20 numbers; observation i is (camera i mod n, point i mod m)) and
our expanded form (`n m p`, n cameras of 11 numbers, m points of 3, then p
lines `cam pt w fx fy`: 3 + 11n + 3m + 5p numbers).
"""

import json
import math
import os
import random
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
DT = torch.float64

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.realpath(os.path.join(HERE, "..", ".."))
SHARED_DATA = os.path.realpath(os.path.join(REPO, "..", "shared", "adbench", "data"))
OUR_DATA = os.path.join(HERE, "data")
EXPECTED_DIR = os.path.join(HERE, "expected")

PI = 3.14159265359  # the benchmark's constant, not math.pi
TOLERANCE = 1e-8    # what check.py allows; FD checks must do better than this


def fail(msg):
    sys.stderr.write("reference.py: " + msg + "\n")
    sys.exit(1)


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------

def read_numbers(path):
    """All whitespace-separated numbers of a file, as Python floats."""
    with open(path) as fh:
        return [float(tok) for tok in fh.read().split()]


def as_int(value, what):
    if value != int(value):
        fail("%s should be an integer, got %r" % (what, value))
    return int(value)


class Cursor:
    """Reads consecutive blocks out of a flat list of numbers."""

    def __init__(self, numbers, path):
        self.numbers, self.pos, self.path = numbers, 0, path

    def take(self, count, shape=None):
        if self.pos + count > len(self.numbers):
            fail("%s: ends early (wanted %d more numbers at position %d)"
                 % (self.path, count, self.pos))
        block = self.numbers[self.pos:self.pos + count]
        self.pos += count
        t = torch.tensor(block, dtype=DT)
        return t.reshape(shape) if shape is not None else t

    def ints(self, count):
        return [as_int(v, self.path) for v in self.take(count).tolist()]

    def done(self):
        if self.pos != len(self.numbers):
            fail("%s: %d numbers left over" % (self.path, len(self.numbers) - self.pos))


def read_gmm(path):
    c = Cursor(read_numbers(path), path)
    D, K, N = c.ints(3)
    g = {"D": D, "K": K, "N": N,
         "alpha": c.take(K),
         "means": c.take(K * D, (K, D)),
         "icf": c.take(K * D * (D + 1) // 2, (K, D * (D + 1) // 2)),
         "x": c.take(N * D, (N, D))}
    g["gamma"] = c.take(1).item()
    g["m"] = c.ints(1)[0]
    c.done()
    return g


def read_ba(path):
    numbers = read_numbers(path)
    c = Cursor(numbers, path)
    n, m, p = c.ints(3)
    if len(numbers) == 20:  # the benchmark's replicated form
        cam, pt, w, feat = c.take(11), c.take(3), c.take(1), c.take(2)
        c.done()
        obs = torch.arange(p)
        return {"n": n, "m": m, "p": p,
                "cams": cam.repeat(n, 1), "pts": pt.repeat(m, 1),
                "w": w.repeat(p), "feats": feat.repeat(p, 1),
                "obs_cam": obs % n, "obs_pt": obs % m}
    if len(numbers) != 3 + 11 * n + 3 * m + 5 * p:
        fail("%s: %d numbers, neither the replicated (20) nor the expanded "
             "(3 + 11n + 3m + 5p = %d) BA form"
             % (path, len(numbers), 3 + 11 * n + 3 * m + 5 * p))
    cams = c.take(11 * n, (n, 11))
    pts = c.take(3 * m, (m, 3))
    obs = c.take(5 * p, (p, 5))
    c.done()
    obs_cam = obs[:, 0].long()
    obs_pt = obs[:, 1].long()
    if not (torch.equal(obs_cam.to(DT), obs[:, 0]) and torch.equal(obs_pt.to(DT), obs[:, 1])):
        fail("%s: observation indices must be integers" % path)
    if p and (obs_cam.min() < 0 or obs_cam.max() >= n or obs_pt.min() < 0 or obs_pt.max() >= m):
        fail("%s: observation index out of range" % path)
    return {"n": n, "m": m, "p": p, "cams": cams, "pts": pts,
            "w": obs[:, 2].clone(), "feats": obs[:, 3:5].clone(),
            "obs_cam": obs_cam, "obs_pt": obs_pt}


def default_model_dir(path):
    here = os.path.dirname(os.path.abspath(path))
    for cand in (os.path.join(here, "model"), os.path.join(here, "..", "model")):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    fail("no model directory next to %s (give --model DIR)" % path)


def colon_fields(line):
    return [f for f in line.strip().split(":") if f != ""]


def read_hand_model(model_dir):
    parents, base_rel, inv_base_abs, names = [], [], [], []
    with open(os.path.join(model_dir, "bones.txt")) as fh:
        for line in fh:
            f = colon_fields(line)
            if not f:
                continue
            if len(f) != 34:
                fail("bones.txt: expected name:parent:16:16, got %d fields" % len(f))
            names.append(f[0])
            parents.append(int(f[1]))
            base_rel.append([float(v) for v in f[2:18]])
            inv_base_abs.append([float(v) for v in f[18:34]])
    nb = len(names)
    for b, par in enumerate(parents):
        if par >= b or (par < 0 and b != 0):
            fail("bones.txt: bone %d's parent %d does not come before it" % (b, par))
    verts, weights = [], []
    with open(os.path.join(model_dir, "vertices.txt")) as fh:
        for line in fh:
            f = colon_fields(line)
            if not f:
                continue
            verts.append([float(v) for v in f[0:3]])
            count = int(f[8])  # x:y:z, then 5 fields skipped, then n
            pairs = f[9:]
            if len(pairs) != 2 * count:
                fail("vertices.txt: %d bone weights announced, %d fields" % (count, len(pairs)))
            row = [0.0] * nb
            for j in range(count):
                row[int(pairs[2 * j])] += float(pairs[2 * j + 1])
            weights.append(row)
    tris = []
    with open(os.path.join(model_dir, "triangles.txt")) as fh:
        for line in fh:
            f = colon_fields(line)
            if f:
                tris.append([int(v) for v in f])
    return {"names": names, "parents": parents,
            "base_rel": torch.tensor(base_rel).reshape(nb, 4, 4),
            "inv_base_abs": torch.tensor(inv_base_abs).reshape(nb, 4, 4),
            "vertices": torch.tensor(verts), "weights": torch.tensor(weights),
            "triangles": torch.tensor(tris, dtype=torch.long)}


def read_hand(path, complicated, model_dir=None):
    numbers = read_numbers(path)
    c = Cursor(numbers, path)
    N, ntheta = c.ints(2)
    if ntheta != 26:
        fail("%s: expected 26 theta values, header says %d" % (path, ntheta))
    want = 2 + 4 * N + (2 * N if complicated else 0) + 26
    if len(numbers) != want:
        fail("%s: %d numbers, the %s variant needs %d" % (
            path, len(numbers), "complicated" if complicated else "simple", want))
    rows = c.take(4 * N, (N, 4))
    corr = rows[:, 0].long()
    points = rows[:, 1:4].clone()
    us = c.take(2 * N, (N, 2)) if complicated else None
    theta = c.take(26)
    c.done()
    model = read_hand_model(model_dir or default_model_dir(path))
    limit = len(model["triangles"]) if complicated else len(model["vertices"])
    if N and (corr.min() < 0 or corr.max() >= limit):
        fail("%s: correspondence out of range" % path)
    return {"N": N, "corr": corr, "points": points, "us": us, "theta": theta,
            "model": model, "complicated": complicated}


def read_lstm(path):
    c = Cursor(read_numbers(path), path)
    l, cc, b = c.ints(3)
    s = {"l": l, "c": cc, "b": b,
         "main": c.take(2 * l * 4 * b, (2 * l, 4 * b)),
         "extra": c.take(3 * b, (3, b)),
         "state": c.take(2 * l * b, (2 * l, b)),
         "seq": c.take(cc * b, (cc, b))}
    c.done()
    return s


# --------------------------------------------------------------------------
# GMM
# --------------------------------------------------------------------------

def gmm_tri_index(D):
    """(rows, cols) of Q's strictly lower part in the order l_k fills it:
    column by column, rows c+1..D-1 within column c."""
    rows = [r for c in range(D) for r in range(c + 1, D)]
    cols = [c for c in range(D) for r in range(c + 1, D)]
    return rows, cols


def gmm_constant(D, gamma, m):
    """C of the README: the Wishart normaliser (per component)."""
    n_w = D + m + 1
    log_gamma_d = D * (D - 1) / 4 * math.log(PI) + sum(
        math.lgamma(n_w / 2 + (1 - j) / 2) for j in range(1, D + 1))
    return n_w * D * (math.log(gamma) - 0.5 * math.log(2)) - log_gamma_d


def gmm_objective(alpha, means, icf, x, gamma, m):
    K, D = means.shape
    N = x.shape[0]
    q, l = icf[:, :D], icf[:, D:]
    rows, cols = gmm_tri_index(D)
    Q = torch.diag_embed(torch.exp(q))
    if rows:
        lower = icf.new_zeros(K, D, D)
        lower[:, rows, cols] = l
        Q = Q + lower
    diff = x.unsqueeze(0) - means.unsqueeze(1)              # K x N x D
    Qd = torch.einsum("kab,knb->kna", Q, diff)               # Q_k (x_i - mu_k)
    inner = (alpha + q.sum(1)).unsqueeze(1) - 0.5 * (Qd * Qd).sum(2)   # K x N
    f = -N * D / 2 * math.log(2 * PI)
    f = f + torch.logsumexp(inner, dim=0).sum()
    f = f - N * torch.logsumexp(alpha, dim=0)
    f = f + (0.5 * gamma ** 2 * ((torch.exp(q) ** 2).sum(1) + (l * l).sum(1))
             - m * q.sum(1)).sum()
    return f - K * gmm_constant(D, gamma, m)


def gmm_flat(g):
    return torch.cat([g["alpha"], g["means"].reshape(-1), g["icf"].reshape(-1)])


def gmm_objective_flat(g, theta):
    K, D = g["K"], g["D"]
    alpha = theta[:K]
    means = theta[K:K + K * D].reshape(K, D)
    icf = theta[K + K * D:].reshape(K, D * (D + 1) // 2)
    return gmm_objective(alpha, means, icf, g["x"], g["gamma"], g["m"])


def gmm_value_and_gradient(g):
    theta = gmm_flat(g).requires_grad_()
    f = gmm_objective_flat(g, theta)
    (grad,) = torch.autograd.grad(f, theta)
    return f.item(), grad


# --------------------------------------------------------------------------
# BA
# --------------------------------------------------------------------------

def ba_rotate(r, p):
    """Rodrigues rotation of points p by angle-axis r (both ... x 3), with the
    README's exact branch: the first-order form when theta^2 == 0."""
    theta2 = (r * r).sum(-1, keepdim=True)
    nonzero = theta2 != 0
    theta = torch.sqrt(torch.where(nonzero, theta2, torch.ones_like(theta2)))
    v = r / theta
    cos, sin = torch.cos(theta), torch.sin(theta)
    full = (p * cos + torch.cross(v, p, dim=-1) * sin
            + v * (v * p).sum(-1, keepdim=True) * (1 - cos))
    first_order = p + torch.cross(r, p, dim=-1)
    return torch.where(nonzero, full, first_order)


def ba_project(cam, X):
    """Projection of points X (... x 3) by cameras cam (... x 11)."""
    r, C, f = cam[..., 0:3], cam[..., 3:6], cam[..., 6:7]
    centre, k1, k2 = cam[..., 7:9], cam[..., 9:10], cam[..., 10:11]
    Xc = ba_rotate(r, X - C)
    u = Xc[..., 0:2] / Xc[..., 2:3]
    u2 = (u * u).sum(-1, keepdim=True)
    u = u * (1 + k1 * u2 + k2 * u2 * u2)
    return f * u + centre


def ba_obs_residuals(cam, X, w, feat):
    """Per observation: reprojection residual (p x 2) and weight residual (p)."""
    return w.unsqueeze(-1) * (ba_project(cam, X) - feat), 1 - w * w


def ba_residuals(b, cams, pts, w):
    return ba_obs_residuals(cams[b["obs_cam"]], pts[b["obs_pt"]], w, b["feats"])


def ba_flat(b):
    return torch.cat([b["cams"].reshape(-1), b["pts"].reshape(-1), b["w"]])


def ba_residual_vector(b, x):
    """All 3p residuals as one vector, as a function of all variables."""
    n, m = b["n"], b["m"]
    cams = x[:11 * n].reshape(n, 11)
    pts = x[11 * n:11 * n + 3 * m].reshape(m, 3)
    reproj, werr = ba_residuals(b, cams, pts, x[11 * n + 3 * m:])
    return torch.cat([reproj.reshape(-1), werr])


def ba_jacobian(b):
    """Residuals and the CSR Jacobian of the README.

    Each observation's reprojection residual depends only on its own camera
    copy, point copy and weight, so with per-observation leaf copies the
    gradient of sum_i reproj[i, j] gives row j of every observation's 2 x 15
    block at once (two backward passes in all)."""
    n, m, p = b["n"], b["m"], b["p"]
    cam = b["cams"][b["obs_cam"]].requires_grad_()
    X = b["pts"][b["obs_pt"]].requires_grad_()
    w = b["w"].clone().requires_grad_()
    reproj, werr = ba_obs_residuals(cam, X, w, b["feats"])
    block = []
    for j in range(2):
        gc, gx, gw = torch.autograd.grad(reproj[:, j].sum(), (cam, X, w), retain_graph=j == 0)
        block.append(torch.cat([gc, gx, gw.unsqueeze(1)], dim=1))
    block = torch.stack(block, dim=1)                          # p x 2 x 15
    obs = torch.arange(p)
    cols = torch.cat([11 * b["obs_cam"].unsqueeze(1) + torch.arange(11),
                      11 * n + 3 * b["obs_pt"].unsqueeze(1) + torch.arange(3),
                      (11 * n + 3 * m + obs).unsqueeze(1)], dim=1)  # p x 15, ascending
    indices = torch.cat([cols.unsqueeze(1).expand(p, 2, 15).reshape(-1), 11 * n + 3 * m + obs])
    data = torch.cat([block.reshape(-1), -2 * b["w"]])
    indptr = torch.cat([torch.arange(0, 30 * p + 1, 15), 30 * p + torch.arange(1, p + 1)])
    return {"reproj_err": reproj.detach().reshape(-1), "w_err": werr.detach(),
            "nrows": 3 * p, "ncols": 11 * n + 3 * m + p,
            "indptr": indptr, "indices": indices, "data": data}


# --------------------------------------------------------------------------
# HT
# --------------------------------------------------------------------------

def ht_pose(theta):
    """The 3 x 25 pose matrix P of the README."""
    zero, one = theta.new_zeros(()), theta.new_ones(())
    z3 = theta.new_zeros(3)
    cols = [theta[0:3], torch.stack([one, one, one]), theta[3:6], z3, z3]
    for f in range(5):
        t = theta[6 + 4 * f:10 + 4 * f]
        cols += [torch.stack([t[0], t[1], zero]), torch.stack([t[2], zero, zero]),
                 torch.stack([t[3], zero, zero]), z3]
    return torch.stack(cols, dim=1)


def euler_xzy(e):
    """R = Rz(z) Ry(y) Rx(x) for rows e = (x, z, y), batched over rows."""
    x, z, y = e[:, 0], e[:, 1], e[:, 2]
    o, n0 = torch.ones_like(x), torch.zeros_like(x)

    def mat(rows):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)

    cx, sx, cy, sy, cz, sz = x.cos(), x.sin(), y.cos(), y.sin(), z.cos(), z.sin()
    Rx = mat([[o, n0, n0], [n0, cx, -sx], [n0, sx, cx]])
    Ry = mat([[cy, n0, sy], [n0, o, n0], [-sy, n0, cy]])
    Rz = mat([[cz, -sz, n0], [sz, cz, n0], [n0, n0, o]])
    return Rz @ Ry @ Rx


def rodrigues_matrix(r):
    """Rotation matrix of angle-axis r; the identity when |r| < 1e-4."""
    angle = torch.sqrt((r * r).sum())
    eye = torch.eye(3, dtype=r.dtype)
    if angle.item() < 1e-4:
        return eye
    v = r / angle
    zero = r.new_zeros(())
    K = torch.stack([torch.stack([zero, -v[2], v[1]]),
                     torch.stack([v[2], zero, -v[0]]),
                     torch.stack([-v[1], v[0], zero])])
    return eye + torch.sin(angle) * K + (1 - torch.cos(angle)) * (K @ K)


def ht_mesh(model, theta):
    """World positions V (vertices x 3) of the posed, skinned mesh."""
    P = ht_pose(theta)
    nb = len(model["parents"])
    R = euler_xzy(P[:, 3:3 + nb].T)                          # nb x 3 x 3
    R4 = torch.nn.functional.pad(R, (0, 1, 0, 1))
    R4 = R4 + torch.diag(torch.tensor([0.0, 0.0, 0.0, 1.0]))
    rel = model["base_rel"] @ R4
    absolute = []
    for bone, parent in enumerate(model["parents"]):
        absolute.append(rel[bone] if parent < 0 else absolute[parent] @ rel[bone])
    T = torch.stack(absolute) @ model["inv_base_abs"]         # nb x 4 x 4
    verts = model["vertices"]
    hom = torch.cat([verts, torch.ones(len(verts), 1)], dim=1)
    per_bone = torch.einsum("bij,vj->vbi", T[:, :3, :], hom)   # v x nb x 3
    skinned = torch.einsum("vb,vbi->vi", model["weights"], per_bone)
    return (skinned * P[:, 1]) @ rodrigues_matrix(P[:, 0]).T + P[:, 2]


def ht_residuals(h, theta, us=None):
    V = ht_mesh(h["model"], theta)
    if not h["complicated"]:
        return (h["points"] - V[h["corr"]]).reshape(-1)
    tri = h["model"]["triangles"][h["corr"]]                  # N x 3
    u0, u1 = us[:, 0:1], us[:, 1:2]
    target = u0 * V[tri[:, 0]] + u1 * V[tri[:, 1]] + (1 - u0 - u1) * V[tri[:, 2]]
    return (h["points"] - target).reshape(-1)


def ht_jacobian(h):
    """Residuals (3N) and the 3N x 26 (or 28) Jacobian.

    The Jacobian is tall, so forward mode, vectorized over the input
    directions. For the complicated variant the first two inputs are a shift
    (du0, du1) added to every point's (u0, u1): point q's rows depend only on
    its own u, so d/d(du0) and d/d(du1) are exactly the README's first two
    columns (selftest compares them with the full d/du Jacobian)."""
    jac = torch.autograd.functional.jacobian
    if not h["complicated"]:
        J = jac(lambda th: ht_residuals(h, th), h["theta"],
                vectorize=True, strategy="forward-mode")
        return ht_residuals(h, h["theta"]), J
    Jdu, Jt = jac(lambda du, th: ht_residuals(h, th, h["us"] + du), (torch.zeros(2), h["theta"]),
                  vectorize=True, strategy="forward-mode")
    return ht_residuals(h, h["theta"], h["us"]), torch.cat([Jdu, Jt], dim=1)


# --------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------

def lstm_loss(s, main, extra):
    l, b = s["l"], s["b"]
    seq = s["seq"]
    layers = []
    for i in range(l):
        w, bias = main[2 * i], main[2 * i + 1]
        layers.append([(w[k * b:(k + 1) * b], bias[k * b:(k + 1) * b]) for k in range(4)])
    in_w, out_w, out_b = extra[0], extra[1], extra[2]
    h = [s["state"][2 * i] for i in range(l)]
    c = [s["state"][2 * i + 1] for i in range(l)]
    total = 0.0
    for t in range(s["c"] - 1):
        x = seq[t] * in_w
        for i in range(l):
            (Wf, bf), (Wi, bi), (Wo, bo), (Wc, bc) = layers[i]
            f = torch.sigmoid(x * Wf + bf)
            g_in = torch.sigmoid(h[i] * Wi + bi)
            o = torch.sigmoid(x * Wo + bo)
            chg = torch.tanh(h[i] * Wc + bc)
            c[i] = c[i] * f + g_in * chg
            h[i] = o * torch.tanh(c[i])
            x = h[i]
        y = x * out_w + out_b
        lse = torch.log(torch.exp(y).sum() + 2)
        total = total + (seq[t + 1] * (y - lse)).sum()
    return -total / ((s["c"] - 1) * b)


def lstm_flat(s):
    return torch.cat([s["main"].reshape(-1), s["extra"].reshape(-1)])


def lstm_loss_flat(s, theta):
    k = s["main"].numel()
    return lstm_loss(s, theta[:k].reshape(s["main"].shape), theta[k:].reshape(3, s["b"]))


def lstm_value_and_gradient(s):
    theta = lstm_flat(s).requires_grad_()
    f = lstm_loss_flat(s, theta)
    (grad,) = torch.autograd.grad(f, theta)
    return f.item(), grad


# --------------------------------------------------------------------------
# Loading and the interface's JSON
# --------------------------------------------------------------------------

PROBLEMS = ("gmm", "ba", "ht", "ht_complicated", "lstm")


def load(problem, path, model_dir=None):
    if problem == "gmm":
        return read_gmm(path)
    if problem == "ba":
        return read_ba(path)
    if problem in ("ht", "ht_complicated"):
        return read_hand(path, problem == "ht_complicated", model_dir)
    if problem == "lstm":
        return read_lstm(path)
    fail("unknown problem %r (one of %s)" % (problem, ", ".join(PROBLEMS)))


def interface_json(problem, inst):
    """The object bench/adbench/run prints, as a Python dict."""
    if problem in ("gmm", "lstm"):
        f, g = (gmm_value_and_gradient if problem == "gmm" else lstm_value_and_gradient)(inst)
        return {"objective": f, "gradient": g.tolist()}
    if problem == "ba":
        j = ba_jacobian(inst)
        return {"reproj_err": j["reproj_err"].tolist(), "w_err": j["w_err"].tolist(),
                "jacobian": {"nrows": j["nrows"], "ncols": j["ncols"],
                             "indptr": j["indptr"].tolist(), "indices": j["indices"].tolist(),
                             "data": j["data"].tolist()}}
    r, J = ht_jacobian(inst)
    return {"objective": r.tolist(), "jacobian": J.tolist()}


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------

def timing_functions(problem, inst):
    """(objective, derivative) closures: the objective alone without autograd
    recording, and the objective plus its derivative by autograd."""
    if problem == "gmm":
        leaves = [inst[k].clone().requires_grad_() for k in ("alpha", "means", "icf")]

        def obj():
            with torch.no_grad():
                return gmm_objective(*leaves, inst["x"], inst["gamma"], inst["m"])

        def der():
            f = gmm_objective(*leaves, inst["x"], inst["gamma"], inst["m"])
            return torch.autograd.grad(f, leaves)
        return obj, der
    if problem == "lstm":
        main = inst["main"].clone().requires_grad_()
        extra = inst["extra"].clone().requires_grad_()

        def obj():
            with torch.no_grad():
                return lstm_loss(inst, main, extra)

        def der():
            return torch.autograd.grad(lstm_loss(inst, main, extra), (main, extra))
        return obj, der
    if problem == "ba":
        def obj():
            with torch.no_grad():
                return ba_residuals(inst, inst["cams"], inst["pts"], inst["w"])
        return obj, lambda: ba_jacobian(inst)

    def obj():
        with torch.no_grad():
            return ht_residuals(inst, inst["theta"], inst["us"])
    return obj, lambda: ht_jacobian(inst)


def time_problem(problem, inst, budget_s=3.0):
    obj, der = timing_functions(problem, inst)
    obj(), der()                                  # warm-up
    t0 = time.perf_counter()
    der()
    once = time.perf_counter() - t0
    runs = max(5, min(100, int(budget_s / max(once, 1e-9))))

    def median(fn):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)
    return {"objective_s": median(obj), "derivative_s": median(der), "runs": runs}


# --------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------

def richardson(fun, x, v, h):
    """Fourth-order central difference of fun at x along v."""
    return (8 * (fun(x + h * v) - fun(x - h * v)) - (fun(x + 2 * h * v) - fun(x - 2 * h * v))) / (12 * h)


# Step sizes, chosen per problem so that FD agrees with autograd to ~1e-9
# or better (the agreement reached is recorded in each expected file).
FD_STEP = {"gmm": 1e-3, "lstm": 3e-3, "ba": 1e-3, "ht": 1e-3, "ht_complicated": 1e-3}


def fd_gradient_check(fun, x, grad, h, count=4, seed=1):
    """Directional derivatives along `count` random unit directions.

    rel = |fd - g.v| / |g.v|; also recorded against |g| (the largest any
    unit direction can give) for directions that happen to be nearly
    orthogonal to g."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    with torch.no_grad():
        for _ in range(count):
            v = torch.randn(x.shape, generator=gen, dtype=DT)
            v = v / v.norm()
            fd = richardson(fun, x, v, h).item()
            ad = torch.dot(grad, v).item()
            out.append({"autograd": ad, "fd": fd,
                        "rel": abs(fd - ad) / max(abs(ad), 1e-300),
                        "rel_to_norm": abs(fd - ad) / max(grad.norm().item(), 1e-300)})
    return {"method": "4-point Richardson central difference along random unit directions",
            "h": h, "directions": count, "worst_rel": max(d["rel"] for d in out),
            "details": out}


def fd_column_check(fun, x, columns):
    """Jacobian columns against FD of the whole residual vector.

    columns: (label, direction, step, autograd column) for each checked
    column; rel = max_i |fd_i - J_ij| / max_i |J_ij|."""
    out = []
    with torch.no_grad():
        for label, direction, step, ad in columns:
            fd = richardson(fun, x, direction, step)
            scale = ad.abs().max().item()
            err = (fd - ad).abs().max().item()
            out.append({"column": label, "h": step, "max_abs": scale,
                        "rel": err / max(scale, 1e-300)})
    return {"method": "4-point Richardson central difference per Jacobian column",
            "columns": len(out), "worst_rel": max(d["rel"] for d in out), "details": out}


def unit(size, j):
    e = torch.zeros(size)
    e[j] = 1
    return e


# --------------------------------------------------------------------------
# Expected-values files
# --------------------------------------------------------------------------

def locate(path):
    """(root, relative path) as check.py resolves it: "shared" is
    <repo>/../shared/adbench/data, "repo" the repository itself."""
    real = os.path.realpath(path)
    for root, base in (("shared", SHARED_DATA), ("repo", REPO)):
        if os.path.commonpath([real, base]) == base:
            return root, os.path.relpath(real, base)
    fail("%s is neither under %s nor under %s" % (path, SHARED_DATA, REPO))


def pick_subset(count, k=None, seed=12345):
    """Deterministic sorted subset of range(count): all of them if count <= 50
    (or k >= count), else k (default 40) including the first and the last."""
    if k is None:
        k = count if count <= 50 else 40
    if k >= count:
        return list(range(count))
    k = max(k, 2)
    inner = random.Random(seed).sample(range(1, count - 1), k - 2)
    return sorted([0, count - 1] + inner)


def aggregates(values):
    vals = values.reshape(-1).tolist()
    return {"length": len(vals), "sum": math.fsum(vals),
            "sum_abs": math.fsum(abs(v) for v in vals), "sum_sq": math.fsum(v * v for v in vals)}


def column_aggregates(J):
    return {"sum": [math.fsum(c) for c in J.T.tolist()],
            "sum_abs": [math.fsum(abs(v) for v in c) for c in J.T.tolist()],
            "sum_sq": [math.fsum(v * v for v in c) for c in J.T.tolist()]}


def expect_gmm_lstm(problem, inst):
    if problem == "gmm":
        f, g = gmm_value_and_gradient(inst)
        x, fun = gmm_flat(inst), lambda t: gmm_objective_flat(inst, t)
    else:
        f, g = lstm_value_and_gradient(inst)
        x, fun = lstm_flat(inst), lambda t: lstm_loss_flat(inst, t)
    return {"objective": f, "gradient": g.tolist(),
            "fd_check": fd_gradient_check(fun, x, g, FD_STEP[problem])}


def expect_ba(inst, rows_k):
    p, n, m = inst["p"], inst["n"], inst["m"]
    j = ba_jacobian(inst)
    indptr, indices, data = j["indptr"], j["indices"], j["data"]
    nnz = len(data)

    def row(r):
        a, b = indptr[r].item(), indptr[r + 1].item()
        return {"row": r, "indices": indices[a:b].tolist(), "data": data[a:b].tolist()}
    observations = []
    for i in pick_subset(p, rows_k):
        observations.append({"obs": i, "reproj_err": j["reproj_err"][2 * i:2 * i + 2].tolist(),
                             "w_err": j["w_err"][i].item(),
                             "rows": [row(2 * i), row(2 * i + 1), row(2 * p + i)]})
    idx = indices.tolist()
    # FD: the columns of the first and last camera and point, the first and
    # last observation's weight, and a few seeded random columns.
    ncols = j["ncols"]
    chosen = set(range(11)) | set(range(11 * (n - 1), 11 * n))
    chosen |= set(range(11 * n, 11 * n + 3)) | set(range(11 * n + 3 * (m - 1), 11 * n + 3 * m))
    chosen |= {11 * n + 3 * m, ncols - 1}
    chosen |= set(random.Random(7).sample(range(ncols), min(8, ncols)))
    row_of_entry = torch.repeat_interleave(torch.arange(3 * p), indptr[1:] - indptr[:-1])

    def column_of(c):
        col = torch.zeros(3 * p)
        mask = indices == c
        col[row_of_entry[mask]] = data[mask]
        return col
    # Steps scale with the variable (the focal length is ~500). The
    # residuals are linear in k1 and k2, so the stencil is exact there but
    # for rounding, and a 10x larger step keeps the rounding down.
    x = ba_flat(inst)

    def step(c):
        linear = c < 11 * n and c % 11 in (9, 10)
        return FD_STEP["ba"] * (10.0 if linear else max(1.0, abs(x[c].item())))
    fd = fd_column_check(lambda v: ba_residual_vector(inst, v), x,
                         [(c, unit(len(x), c), step(c), column_of(c)) for c in sorted(chosen)])
    return {"n": n, "m": m, "p": p,
            "reproj_err": aggregates(j["reproj_err"]), "w_err": aggregates(j["w_err"]),
            "jacobian": {"nrows": j["nrows"], "ncols": ncols, "nnz": nnz,
                         "data": aggregates(data),
                         "indices_sum": sum(idx), "indices_sum_sq": sum(c * c for c in idx)},
            "observations": observations, "fd_check": fd}


def expect_ht(problem, inst, rows_k):
    r, J = ht_jacobian(inst)
    N = inst["N"]
    points = pick_subset(N, rows_k)
    rows = [3 * q + k for q in points for k in range(3)]
    theta, h = inst["theta"], FD_STEP[problem]
    if inst["complicated"]:
        # variables (du0, du1, theta), du shifting every point's own u as in
        # ht_jacobian; FD along each of the 28 coordinates
        x = torch.cat([torch.zeros(2), theta])
        fd = fd_column_check(lambda v: ht_residuals(inst, v[2:], inst["us"] + v[:2]), x,
                             [(c, unit(28, c), h, J[:, c]) for c in range(28)])
    else:
        fd = fd_column_check(lambda th: ht_residuals(inst, th), theta,
                             [(c, unit(26, c), h, J[:, c]) for c in range(26)])
    return {"N": N, "objective": r.tolist(),
            "jacobian": {"nrows": J.shape[0], "ncols": J.shape[1],
                         "rows": rows, "values": J[rows].tolist(),
                         "columns": column_aggregates(J)},
            "fd_check": fd}


def expect(problem, path, out, model_dir=None, rows_k=None):
    inst = load(problem, path, model_dir)
    root, rel = locate(path)
    head = {"problem": problem, "file": rel, "file_root": root}
    if problem in ("ht", "ht_complicated"):
        mroot, mrel = locate(model_dir or default_model_dir(path))
        head.update({"model": mrel, "model_root": mroot})
    head["tolerance"] = ("max|run - ref| <= %g * max(max|ref|, 1e-300) per output array; "
                         "sums: <= %g * sum|ref|" % (TOLERANCE, TOLERANCE))
    if problem in ("gmm", "lstm"):
        body = expect_gmm_lstm(problem, inst)
    elif problem == "ba":
        body = expect_ba(inst, rows_k)
    else:
        body = expect_ht(problem, inst, rows_k)
    worst = body["fd_check"]["worst_rel"]
    if not worst <= TOLERANCE:
        fail("%s %s: finite differences disagree with autograd: worst relative "
             "error %.3g > %g; not writing %s" % (problem, path, worst, TOLERANCE, out))
    head.update(body)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(head, fh, indent=1)
        fh.write("\n")
    print("%s: %s %s, FD vs autograd worst rel %.2e, %d bytes"
          % (os.path.basename(out), problem, rel, worst, os.path.getsize(out)))
    return worst


# name, problem, where the file is ("shared": shared/adbench/data, "random":
# bench/adbench/data), file
EXPECTED = [
    ("gmm_test", "gmm", "shared", "gmm/test.txt"),
    ("gmm_d10_K5", "gmm", "shared", "gmm/1k/gmm_d10_K5.txt"),
    ("gmm_random_d3_K4", "gmm", "random", "random_gmm_d3_K4.txt"),
    ("ba_test", "ba", "shared", "ba/test.txt"),
    ("ba1_n49_m7776_p31843", "ba", "shared", "ba/ba1_n49_m7776_p31843.txt"),
    ("ba_random", "ba", "random", "random_ba.txt"),
    ("ht_test", "ht", "shared", "hand/test.txt"),
    ("ht_complicated", "ht_complicated", "shared", "hand/hand_complicated.txt"),
    ("ht_simple_small_hand1_t26_c100", "ht", "shared", "hand/simple_small/hand1_t26_c100.txt"),
    ("ht_complicated_small_hand1_t26_c100", "ht_complicated", "shared",
     "hand/complicated_small/hand1_t26_c100.txt"),
    ("lstm_l2_c1024", "lstm", "shared", "lstm/lstm_l2_c1024.txt"),
    ("lstm_l4_c1024", "lstm", "shared", "lstm/lstm_l4_c1024.txt"),
]

# The randomized instances: file, generator, seed, sizes.
GENERATED = [
    ("random_gmm_d3_K4.txt", "gen-gmm", 3, (3, 4, 30)),
    ("random_ba.txt", "gen-ba", 5, (7, 40, 150)),
]


def expect_all():
    worst = {}
    for name, problem, root, rel in EXPECTED:
        base = SHARED_DATA if root == "shared" else OUR_DATA
        worst[name] = expect(problem, os.path.join(base, rel),
                             os.path.join(EXPECTED_DIR, name + ".json"))
    return worst


# --------------------------------------------------------------------------
# Random instances
# --------------------------------------------------------------------------

def fmt(v):
    return repr(float(v))


def gen_gmm(seed, D, K, N, out):
    rng = random.Random(seed)
    lines = ["%d %d %d" % (D, K, N)]
    lines += [fmt(rng.gauss(0, 1)) for _ in range(K)]
    means = [[rng.gauss(0, 2) for _ in range(D)] for _ in range(K)]
    lines += [" ".join(map(fmt, mu)) for mu in means]
    for _ in range(K):
        q = [rng.gauss(0, 0.3) for _ in range(D)]
        l = [rng.gauss(0, 0.5) for _ in range(D * (D - 1) // 2)]
        lines.append(" ".join(map(fmt, q + l)))
    for _ in range(N):
        mu = means[rng.randrange(K)]
        lines.append(" ".join(fmt(mu[d] + rng.gauss(0, 1)) for d in range(D)))
    gamma, m = rng.uniform(0.5, 2.0), rng.randint(1, 3)
    lines.append("%s %d" % (fmt(gamma), m))
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def gen_ba(seed, n, m, p, out):
    """Cameras on a sphere of radius ~10 looking at points in a ball of
    radius 1.5 around the origin, so every Xc[2] is at least ~6."""
    if not (n <= m <= p <= n * m):
        fail("gen-ba needs n <= m <= p <= n*m")
    rng = random.Random(seed)
    cams = []
    for _ in range(n):
        axis = [rng.gauss(0, 1) for _ in range(3)]
        norm = math.sqrt(sum(a * a for a in axis))
        r = torch.tensor([a / norm * rng.uniform(0.1, 1.0) for a in axis])
        depth = rng.uniform(8.0, 12.0)
        # Xc = R (X - C): with C = -R^T (0, 0, depth) the origin lies on the optical axis
        R = torch.stack([ba_rotate(r, e) for e in torch.eye(3)], dim=1)
        C = -R.T @ torch.tensor([0.0, 0.0, depth]) + torch.tensor([rng.gauss(0, 0.3) for _ in range(3)])
        cams.append(r.tolist() + C.tolist() + [rng.uniform(400, 600), rng.uniform(-20, 20),
                                               rng.uniform(-20, 20), rng.uniform(-0.1, 0.1),
                                               rng.uniform(-0.02, 0.02)])
    pts = []
    while len(pts) < m:
        X = [rng.uniform(-1.5, 1.5) for _ in range(3)]
        if sum(c * c for c in X) <= 1.5 ** 2:
            pts.append(X)
    # every point once, with the cameras cycled (so every camera is used),
    # then distinct random (camera, point) pairs; shuffled
    perm = list(range(n))
    rng.shuffle(perm)
    pairs = [(perm[j % n], j) for j in range(m)]
    seen = set(pairs)
    while len(pairs) < p:
        pair = (rng.randrange(n), rng.randrange(m))
        if pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    rng.shuffle(pairs)
    camt, ptt = torch.tensor(cams), torch.tensor(pts)
    ci = torch.tensor([c for c, _ in pairs])
    pj = torch.tensor([j for _, j in pairs])
    proj = ba_project(camt[ci], ptt[pj])
    lines = ["%d %d %d" % (n, m, p)]
    lines += [" ".join(map(fmt, c)) for c in cams]
    lines += [" ".join(map(fmt, X)) for X in pts]
    for (c, j), uv in zip(pairs, proj.tolist()):
        w = rng.uniform(0.5, 1.5)
        feat = [uv[0] + rng.gauss(0, 3), uv[1] + rng.gauss(0, 3)]
        lines.append("%d %d %s %s %s" % (c, j, fmt(w), fmt(feat[0]), fmt(feat[1])))
    with open(out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def gen_all():
    os.makedirs(OUR_DATA, exist_ok=True)
    for name, kind, seed, sizes in GENERATED:
        out = os.path.join(OUR_DATA, name)
        (gen_gmm if kind == "gen-gmm" else gen_ba)(seed, *sizes, out)
        print("wrote %s (%s %d %s)" % (out, kind, seed, " ".join(map(str, sizes))))


# --------------------------------------------------------------------------
# Sanity checks against closed forms
# --------------------------------------------------------------------------

def selftest():
    results = []

    def check(name, err, tol):
        ok = err <= tol
        results.append(ok)
        print("%s %-60s err %.2e (tol %.0e)" % ("ok  " if ok else "FAIL", name, err, tol))

    # GMM, K = 1, D = 1: the data term is a sum of Gaussian log densities
    # with sigma = exp(-q), and the prior is 1/2 gamma^2 e^{2q} - m q - C.
    x = torch.tensor([[0.3], [-1.2], [2.5]])
    alpha, mu, q, gamma, m = 0.7, 0.4, -0.3, 1.7, 2
    sigma = math.exp(-q)
    logpdf = sum(-0.5 * math.log(2 * PI) - math.log(sigma) - (xi - mu) ** 2 / (2 * sigma ** 2)
                 for xi in x[:, 0].tolist())
    n_w = 1 + m + 1
    C = n_w * (math.log(gamma) - 0.5 * math.log(2)) - math.lgamma(n_w / 2)
    closed = logpdf + 0.5 * gamma ** 2 * math.exp(2 * q) - m * q - C
    ours = gmm_objective(torch.tensor([alpha]), torch.tensor([[mu]]), torch.tensor([[q]]),
                         x, gamma, m).item()
    check("gmm K=1 D=1 vs Gaussian log density", abs(ours - closed) / abs(closed), 1e-14)

    # GMM, general D, K: the data term is the mixture log likelihood with
    # precision Q^T Q (torch.distributions), and l fills Q column by column.
    gen = torch.Generator().manual_seed(3)
    D, K, N = 3, 4, 6
    alpha = torch.randn(K, generator=gen)
    means = torch.randn(K, D, generator=gen)
    icf = 0.3 * torch.randn(K, D * (D + 1) // 2, generator=gen)
    x = torch.randn(N, D, generator=gen)
    Qs = []
    for k in range(K):
        qk, lk = icf[k, :D], icf[k, D:]
        Q = torch.diag(torch.exp(qk))
        Q[1, 0], Q[2, 0], Q[2, 1] = lk[0], lk[1], lk[2]   # column by column
        Qs.append(Q)
    logw = torch.log_softmax(alpha, 0)
    mix = torch.stack([torch.distributions.MultivariateNormal(
        means[k], precision_matrix=Qs[k].T @ Qs[k]).log_prob(x) + logw[k] for k in range(K)])
    # (torch uses math.pi, the README the benchmark's 3.14159265359)
    data_term = torch.logsumexp(mix, 0).sum().item() + N * D / 2 * (
        math.log(2 * math.pi) - math.log(2 * PI))
    prior = sum(0.5 * (torch.exp(icf[k, :D]) ** 2).sum().item() + 0.5 * (icf[k, D:] ** 2).sum().item()
                for k in range(K)) - K * gmm_constant(D, 1.0, 0)
    ours = gmm_objective(alpha, means, icf, x, 1.0, 0).item()
    check("gmm D=3 K=4 vs MultivariateNormal mixture", abs(ours - data_term - prior) / abs(ours), 1e-14)

    # BA: r = 0 is the identity; otherwise Rodrigues = matrix exponential.
    p = torch.tensor([[0.3, -1.0, 4.0]])
    check("ba rotation with r = 0 is the identity",
          (ba_rotate(torch.zeros(1, 3), p) - p).abs().max().item(), 0.0)
    r = torch.tensor([0.4, -0.7, 0.2])
    skew = torch.tensor([[0, -r[2], r[1]], [r[2], 0, -r[0]], [-r[1], r[0], 0]])
    check("ba Rodrigues vs matrix_exp(skew(r))",
          (ba_rotate(r[None], p) - p @ torch.matrix_exp(skew).T).abs().max().item(), 1e-14)
    check("ht rodrigues_matrix vs matrix_exp(skew(r))",
          (rodrigues_matrix(r) - torch.matrix_exp(skew)).abs().max().item(), 1e-14)
    # BA: a camera at the origin, no rotation or distortion: pinhole projection
    cam = torch.tensor([[0, 0, 0, 0, 0, 0, 500.0, 10.0, -5.0, 0, 0]])
    X = torch.tensor([[1.0, 2.0, 4.0]])
    check("ba pinhole projection", (ba_project(cam, X) - torch.tensor([[135.0, 245.0]])).abs().max().item(), 1e-12)
    # BA: Jacobian's weight-row entries are -2w and the structure is 31p
    b = read_ba(os.path.join(SHARED_DATA, "ba", "test.txt"))
    j = ba_jacobian(b)
    check("ba test.txt nnz == 31p", abs(len(j["data"]) - 31 * b["p"]), 0)
    # the CSR assembly against a dense autograd Jacobian of all residuals
    b = read_ba(os.path.join(OUR_DATA, "random_ba.txt"))
    j = ba_jacobian(b)
    dense = torch.autograd.functional.jacobian(lambda v: ba_residual_vector(b, v), ba_flat(b))
    csr = torch.zeros(j["nrows"], j["ncols"])
    rows = torch.repeat_interleave(torch.arange(j["nrows"]), j["indptr"][1:] - j["indptr"][:-1])
    csr[rows, j["indices"]] = j["data"]
    check("ba random: CSR Jacobian vs dense autograd Jacobian",
          (csr - dense).abs().max().item() / dense.abs().max().item(), 1e-15)

    # HT: theta = 0 leaves the mesh where the model has it (data are float32,
    # so T_b = abs_b * inverse_base_absolute_b is the identity to ~1e-6).
    model = read_hand_model(os.path.join(SHARED_DATA, "hand", "model"))
    V = ht_mesh(model, torch.zeros(26))
    check("ht theta = 0 leaves the mesh unchanged", (V - model["vertices"]).abs().max().item(), 1e-5)
    e = torch.tensor([[0.3, 0.0, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 0.3]])
    R = euler_xzy(e)
    c, s = math.cos(0.3), math.sin(0.3)
    want = torch.tensor([[[1, 0, 0], [0, c, -s], [0, s, c]],      # e[0] is x
                         [[c, -s, 0], [s, c, 0], [0, 0, 1]],      # e[1] is z
                         [[c, 0, s], [0, 1, 0], [-s, 0, c]]])     # e[2] is y
    check("ht Euler angles read as (x, z, y)", (R - want).abs().max().item(), 1e-15)
    # a global translation moves every residual by exactly minus it
    h = read_hand(os.path.join(SHARED_DATA, "hand", "test.txt"), False)
    th = h["theta"].clone()
    th[3:6] += torch.tensor([1.0, 2.0, 3.0])
    shift = (ht_residuals(h, th) - ht_residuals(h, h["theta"])).reshape(-1, 3)
    check("ht translation columns", (shift + torch.tensor([1.0, 2.0, 3.0])).abs().max().item(), 1e-12)

    # HT complicated: the shifted-u columns equal each point's own entries of
    # the full reverse-mode d/du Jacobian (3N x N x 2), and the theta columns
    # agree between forward and reverse mode
    h = read_hand(os.path.join(SHARED_DATA, "hand", "complicated_small", "hand1_t26_c100.txt"), True)
    _, J = ht_jacobian(h)
    Ju, Jt = torch.autograd.functional.jacobian(
        lambda u, th: ht_residuals(h, th, u), (h["us"], h["theta"]))
    rows = torch.arange(3 * h["N"])
    full = torch.cat([Ju[rows, rows // 3, :], Jt], dim=1)
    check("ht_complicated Jacobian: forward shift vs reverse gather",
          (J - full).abs().max().item() / full.abs().max().item(), 1e-14)
    others = Ju.clone()
    others[rows, rows // 3, :] = 0
    check("ht_complicated: rows do not depend on other points' u", others.abs().max().item(), 0.0)

    # LSTM: l = 1, b = 1, c = 2 by hand
    s = {"l": 1, "c": 2, "b": 1,
         "main": torch.tensor([[0.5, -0.3, 0.8, 0.2], [0.1, 0.2, -0.1, 0.05]]),
         "extra": torch.tensor([[1.5], [0.7], [-0.2]]),
         "state": torch.tensor([[0.3], [-0.4]]), "seq": torch.tensor([[0.9], [0.6]])}
    sig = lambda z: 1 / (1 + math.exp(-z))
    xx = 0.9 * 1.5
    h0, c0 = 0.3, -0.4
    f, g_in, o = sig(xx * 0.5 + 0.1), sig(h0 * -0.3 + 0.2), sig(xx * 0.8 - 0.1)
    chg = math.tanh(h0 * 0.2 + 0.05)
    c1 = c0 * f + g_in * chg
    h1 = o * math.tanh(c1)
    y = h1 * 0.7 - 0.2
    hand_loss = -(0.6 * (y - math.log(math.exp(y) + 2))) / 1
    check("lstm l=1 b=1 c=2 by hand", abs(lstm_loss(s, s["main"], s["extra"]).item() - hand_loss), 1e-15)
    s = read_lstm(os.path.join(SHARED_DATA, "lstm", "lstm_l2_c1024.txt"))
    f, g = lstm_value_and_gradient(s)
    check("lstm l2 c1024 loss and gradient finite",
          0.0 if math.isfinite(f) and bool(torch.isfinite(g).all()) else 1.0, 0.0)

    print("%d ok, %d failed" % (sum(results), len(results) - sum(results)))
    return all(results)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv):
    args = list(argv)
    opts = {"--model": None, "--rows": None}
    flags = set()
    rest = []
    while args:
        a = args.pop(0)
        if a in opts:
            if not args:
                fail("%s needs a value" % a)
            opts[a] = args.pop(0)
        elif a.startswith("--model=") or a.startswith("--rows="):
            k, v = a.split("=", 1)
            opts[k] = v
        elif a in ("--time", "--format=json"):
            flags.add(a)
        elif a.startswith("--"):
            fail("unknown option %s" % a)
        else:
            rest.append(a)
    if not rest:
        sys.stderr.write(__doc__)
        return 2
    cmd = rest[0]
    if cmd == "gen-gmm" and len(rest) == 6:
        gen_gmm(*map(int, rest[1:5]), rest[5])
    elif cmd == "gen-ba" and len(rest) == 6:
        gen_ba(*map(int, rest[1:5]), rest[5])
    elif cmd == "gen-all" and len(rest) == 1:
        gen_all()
    elif cmd == "expect" and len(rest) == 4:
        expect(rest[1], rest[2], rest[3], opts["--model"],
               int(opts["--rows"]) if opts["--rows"] else None)
    elif cmd == "expect-all" and len(rest) == 1:
        expect_all()
    elif cmd == "selftest" and len(rest) == 1:
        return 0 if selftest() else 1
    elif cmd in PROBLEMS and len(rest) == 2:
        inst = load(cmd, rest[1], opts["--model"])
        result = time_problem(cmd, inst) if "--time" in flags else interface_json(cmd, inst)
        sys.stdout.write(json.dumps(result) + "\n")
    elif cmd in ("gen-gmm", "gen-ba", "gen-all", "expect", "expect-all", "selftest") \
            or cmd in PROBLEMS:
        sys.stderr.write(__doc__)
        return 2
    else:
        fail("unknown problem or command %r (problems: %s)" % (cmd, ", ".join(PROBLEMS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
