#!/usr/bin/env python3
"""Random-program differential testing of ad-compile.

Generates random well-typed .ad programs (random shapes and broadcasting,
every builtin, nested grad with create_graph, backward into .grad and
clear_grad) and checks each:

  1. ad-compile emits C for it (exit 0), and that C compiles with
     gcc -std=c99 -Wall -Wextra -pedantic -Werror;
  2. the derivatives agree with central finite differences in f64
     (ad-compile --check, exit 0);
  3. the emitted C gives the same numbers compiled by tcc, gcc -O0, gcc -O2,
     clang -O2 and gcc -O0 under AddressSanitizer and UBSan with every array
     against guard pages (../harness.c prints every result, the VJP's
     gradients and the forward/backward pair's gradients);
  4. the forward/backward pair agrees with the VJP;
  5. the gradients the program computes are right: grad(y, x) equals what
     --grad gives for the program cut after y (whose VJP step 2 checked),
     x.grad after backward twice is 2 * grad(y, x), and after clear_grad and
     backward(sum(square(x))) it is 2 * x.

    difftest.py --ad build/ad-compile --count 200 --seed 1 [--keep DIR]

A program whose results exceed 1e6 and that fails step 2 is "unjudged"
(finite differences cannot judge it; see FD_LIMIT), neither passed nor
failed, once steps 1 and 3-5 pass.

Prints one line per failing program (its seed, so `--seed S --count 1`
reproduces it; with --keep the program and its inputs stay in DIR) and
ends with "N passed, M failed".
"""

import argparse
import concurrent.futures
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(os.path.dirname(HERE), "harness.c")

# Beyond this size of a result, finite differences cannot judge derivatives
# in f64 (a value of 1e19 keeps 3 significant digits across a step of 1e-6
# times its slope): a program that fails --check with such values counts as
# unjudged, neither passed nor failed, once its other checks pass.
FD_LIMIT = 1e6

# Dimension names and the sizes the inputs bind them to.
DIMS = {"n": 3, "m": 4, "k": 2}

# Unary builtins, each with its argument kept inside its domain (and away
# from where it overflows when nested).
UNARY_SAFE = ["sin(%s)", "cos(%s)", "tanh(%s)", "sigmoid(%s)", "atan(%s)", "erf(%s)", "softplus(%s)", "square(%s)",
              "sinh(%s)", "cosh(%s)", "expm1(%s)", "exp(tanh(%s))", "log1p(square(%s))", "tan(0.5 * tanh(%s))",
              "asin(0.9 * tanh(%s))", "acos(0.9 * tanh(%s))"]
UNARY_KINK = ["abs(%s)", "relu(%s)", "floor(%s)", "ceil(%s)", "round(%s)", "sign(%s)"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
# Scalar constants made by the creation builtins (DT: ", dtype=f64" or "").
CONSTANTS = ["mean(arange(0, 3, 1%(DT)s))", "sum(linspace(-1, 1, 5%(DT)s) ** 2)",
             "sum(eye(3%(DT)s) @ full([3], 0.25%(DT)s))", "mean(zeros([2]%(DT)s) + ones([2, 2]%(DT)s))"]


def broadcasts_to(src, dst):
    """Does shape src broadcast to shape dst (NumPy, right-aligned)?"""
    if len(src) > len(dst):
        return False
    for a, b in zip(reversed(src), reversed(dst)):
        if a != b and a != 1:
            return False
    return True


def sub_shapes(shape):
    """Shapes that broadcast to `shape`: itself, with axes dropped from the
    left, or with some axes set to 1."""
    out = [tuple(shape)]
    for i in range(1, len(shape) + 1):
        out.append(tuple(shape[i:]))
    for i in range(len(shape)):
        s = list(shape)
        s[i] = 1
        out.append(tuple(s))
    return out


def shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


class Gen:
    def __init__(self, rng, dtype):
        self.r = rng
        self.dtype = dtype
        self.params = []  # (name, shape)
        self.lines = []
        self.temps = []  # (name, shape), bound so far
        self.count = 0

    # -------------------------------------------------------- expressions
    def leaf(self, shape):
        """A parameter, an earlier value or a constant, of exactly `shape`."""
        cands = [(n, s) for n, s in self.params + self.temps if broadcasts_to(s, shape)]
        if cands and self.r.random() < 0.9:
            name, s = self.r.choice(cands)
        else:
            name, s = repr(round(self.r.uniform(-2, 2), 2)), ()
        if s == tuple(shape):
            return name
        return "broadcast_to(%s, %s)" % (name, shape_text(shape))

    def expr(self, shape, depth):
        """An expression of exactly `shape`."""
        shape = tuple(shape)
        if depth <= 0:
            return self.leaf(shape)
        r = self.r
        choices = ["unary", "unary", "binary", "binary", "div", "pow", "where", "mask", "minmax", "kink", "reduce",
                   "const", "like", "convert"]
        if len(shape) == 2:
            choices += ["matmul", "transpose", "outer", "softmax", "reshape", "concat", "stack", "flip", "slice",
                        "stable"]
        if len(shape) == 1:
            choices += ["matvec", "softmax", "concat", "stack", "flip", "slice", "squeeze", "stable"]
        if len(shape) == 0:
            choices += ["dot", "full_reduce", "cross_entropy", "logsumexp", "norm"]
        c = r.choice(choices)
        d = depth - 1
        if c == "unary":
            return r.choice(UNARY_SAFE) % self.expr(shape, d)
        if c == "kink":
            return r.choice(UNARY_KINK) % self.expr(shape, d)
        if c == "mask":
            # a comparison's 0/1 value (it cuts the dependence) times a value
            return "(%s * (%s %s %s))" % (self.expr(shape, d), self.expr(r.choice(sub_shapes(shape)), d),
                                          r.choice(COMPARE), self.expr(r.choice(sub_shapes(shape)), d))
        if c == "const":
            dt = ", dtype=f64" if self.dtype == "f64" else ""
            return "(%s * %s)" % (r.choice(CONSTANTS) % {"DT": dt}, self.expr(shape, d))
        if c == "like":
            if r.random() < 0.5:
                return "(zeros_like(%s) + %s)" % (self.expr(shape, d), self.expr(shape, d))
            return "(ones_like(%s) * %s)" % (self.expr(r.choice(sub_shapes(shape)), d), self.expr(shape, d))
        if c == "convert":
            if self.dtype == "f32" and r.random() < 0.5:
                return "f32(f64(%s))" % self.expr(shape, d)  # exact both ways
            return "%s(%s)" % (self.dtype, self.expr(shape, d))
        if c == "stable":
            # softmax with a detached maximum subtracted: the value, and so
            # the derivative, do not depend on it
            ax = r.randrange(len(shape))
            e = self.bind(self.expr(shape, d), shape)
            mshape = shape[:ax] + (1,) + shape[ax + 1:]
            # (the detached value is not reused: elsewhere it would change the
            # derivative, which finite differences would rightly refuse)
            m = self.bind("%s(max(%s, axis=%d, keepdim=true))" % (r.choice(["detach", "stop_gradient"]), e, ax),
                          mshape, reuse=False)
            return "(exp(%s - %s) / sum(exp(%s - %s), axis=%d, keepdim=true))" % (e, m, e, m, ax)
        if c == "binary":
            op = r.choice(["+", "-", "*"])
            a, b = self.expr(shape, d), self.expr(r.choice(sub_shapes(shape)), d)
            if r.random() < 0.5:
                a, b = b, a
            return "(%s %s %s)" % (a, op, b)
        if c == "div":
            return "(%s / (1.5 + square(%s)))" % (self.expr(shape, d), self.expr(r.choice(sub_shapes(shape)), d))
        if c == "pow":
            kind = r.random()
            if kind < 0.4:
                return "(%s ** %d)" % (self.expr(shape, d), r.choice([2, 3]))
            if kind < 0.7:
                return "sqrt(1 + square(%s))" % self.expr(shape, d)
            if kind < 0.85:
                return "log(1 + square(%s))" % self.expr(shape, d)
            return "pow(1.5 + sigmoid(%s), tanh(%s))" % (self.expr(shape, d), self.expr(r.choice(sub_shapes(shape)), d))
        if c == "where":
            return "where(%s > %s, %s, %s)" % (
                self.expr(r.choice(sub_shapes(shape)), d),
                self.expr(r.choice(sub_shapes(shape)), d),
                self.expr(shape, d),
                self.expr(r.choice(sub_shapes(shape)), d),
            )
        if c == "minmax":
            return "%s(%s, %s)" % (r.choice(["maximum", "minimum", "atan2"]), self.expr(shape, d),
                                   self.expr(r.choice(sub_shapes(shape)), d))
        if c == "reduce":
            # reduce an extra axis away, with or without keepdim
            axis = r.randrange(len(shape) + 1)
            extra = r.choice(self.dims)
            big = shape[:axis] + (extra,) + shape[axis:]
            if len(big) > 3:
                return self.expr(shape, d)
            red = r.choice(["sum", "mean", "max", "min", "logsumexp", "prod"])
            inner = self.expr(big, d)
            if red == "prod":
                inner = "tanh(%s)" % inner
            if r.random() < 0.3:
                return "squeeze(%s(%s, axis=%d, keepdim=true), %d)" % (red, inner, axis, axis)
            if r.random() < 0.2:
                return "%s(%s, [%d])" % (red, inner, axis)  # axis by position, as a list
            return "%s(%s, axis=%d)" % (red, inner, axis)
        if c == "matmul":
            k = r.choice(self.dims)
            kind = r.random()
            if kind < 0.25:
                # batched, the batch axis broadcast on one side, then summed
                b = r.choice(self.dims)
                lhs, rhs = (b, shape[0], k), r.choice([(k, shape[1]), (1, k, shape[1]), (b, k, shape[1])])
                if r.random() < 0.5:
                    lhs, rhs = (shape[0], k), (b, k, shape[1])
                return "sum(matmul(%s, %s), axis=0)" % (self.expr(lhs, d), self.expr(rhs, d))
            a, b = self.expr((shape[0], k), d), self.expr((k, shape[1]), d)
            return "matmul(%s, %s)" % (a, b) if kind < 0.5 else "(%s @ %s)" % (a, b)
        if c == "matvec":
            k = r.choice(self.dims)
            if r.random() < 0.5:
                return "(%s @ %s)" % (self.expr((shape[0], k), d), self.expr((k,), d))
            return "(%s @ %s)" % (self.expr((k,), d), self.expr((k, shape[0]), d))
        if c == "transpose":
            e = self.expr((shape[1], shape[0]), d)
            return r.choice(["%s.T" % self.paren(e), "transpose(%s)" % e, "transpose(%s, [1, 0])" % e])
        if c == "outer":
            return "outer(%s, %s)" % (self.expr((shape[0],), d), self.expr((shape[1],), d))
        if c == "softmax":
            f = r.choice(["softmax", "log_softmax"])
            return "%s(%s, axis=%d)" % (f, self.expr(shape, d), r.randrange(len(shape)))
        if c == "reshape":
            return "reshape(reshape(%s, [-1]), %s)" % (self.expr(shape, d), shape_text(shape))
        if c == "concat" and shape[0] == 1:
            c = "flip"
        if c == "concat":
            # split the first axis into [1:] and [:1] and join them again
            e = self.bind(self.expr(shape, d), shape)
            rest = ", :" * (len(shape) - 1)
            return "concat([%s[1:%s], %s[:1%s]], axis=0)" % (e, rest, e, rest)
        if c == "stack":
            ax = r.randrange(len(shape) + 1)
            return "sum(stack([%s, %s], axis=%d), axis=%d)" % (self.expr(shape, d), self.expr(shape, d), ax, ax)
        if c == "flip":
            return "flip(%s, %d)" % (self.expr(shape, d), r.randrange(len(shape)))
        if c == "slice":
            e = self.bind(self.expr(shape, d), shape)
            if len(shape) == 1:
                return "%s[::-1]" % e
            return "%s[::-1, :]" % e if r.random() < 0.5 else "%s[:, ::-1]" % e
        if c == "squeeze":
            return "squeeze(unsqueeze(%s, 0), 0)" % self.expr(shape, d)
        if c == "dot":
            k = r.choice(self.dims)
            return "dot(%s, %s)" % (self.expr((k,), d), self.expr((k,), d))
        if c == "full_reduce":
            big = r.choice([(r.choice(self.dims),), (r.choice(self.dims), r.choice(self.dims))])
            return "%s(%s)" % (r.choice(["sum", "mean", "max", "min", "logsumexp"]), self.expr(big, d))
        if c == "norm":
            return "norm(%s)" % self.expr(r.choice([(r.choice(self.dims),), tuple(self.dims[:2])]), d)
        if c == "logsumexp":
            return "logsumexp(%s)" % self.expr((r.choice(self.dims),), d)
        if c == "cross_entropy":
            s2 = (r.choice(self.dims), r.choice(self.dims))
            return "cross_entropy(%s, softmax(%s, axis=-1))" % (self.expr(s2, d), self.expr(s2, d))
        raise AssertionError(c)

    def paren(self, e):
        return e if e.replace("_", "").isalnum() else "(%s)" % e

    def bind(self, e, shape, reuse=True):
        """Bind e to a fresh name (so it can be sliced) and return the name;
        later expressions may use it unless reuse is false."""
        if e.replace("_", "").isalnum() and not e[0].isdigit():
            return e
        self.count += 1
        name = "t%d" % self.count
        self.lines.append("    %s = %s" % (name, e))
        if reuse:
            self.temps.append((name, tuple(shape)))
        return name

    # -------------------------------------------------------- programs
    def program(self):
        r = self.r
        pshapes = [(), ("n",), ("m",), ("n", "m"), ("n", 1), (1, "m"), ("m", "n"), ("k", "n")]
        np_ = r.randint(1, 3)
        for i in range(np_):
            self.params.append(("x%d" % i, r.choice(pshapes)))
        if not any(isinstance(d, str) for _, s in self.params for d in s):
            self.params[0] = (self.params[0][0], r.choice(pshapes[1:]))
        # only dimensions the parameters bind may appear in the body
        self.dims = sorted({d for _, s in self.params for d in s if isinstance(d, str)})
        pshapes = [s for s in pshapes if all(d in self.dims for d in s if isinstance(d, str))]
        depth = r.randint(2, 4)
        results = []
        # a couple of intermediate values, then a scalar loss over them
        for _ in range(r.randint(1, 2)):
            shape = r.choice(pshapes[1:] or [(self.dims[0],)])
            self.bind(self.expr(shape, depth), shape)
        # the loss uses every parameter, so every gradient exists
        terms = ["sum(%s)" % self.expr(s, depth - 1) for _, s in self.temps[-1:]]
        for n, s in self.params:
            terms.append("sum(%s(%s))" % (r.choice(["sin", "tanh", "square"]), n))
        self.lines.append("    y = " + " + ".join(terms))
        self.y_line = len(self.lines)
        results.append("y")
        if self.temps and r.random() < 0.7:
            self.lines.append("    v = %s" % self.temps[-1][0])
            results.append("v")
        # derivatives, nested with create_graph
        wrt = r.choice(self.params)[0]
        order = r.choice([1, 2, 2, 3])
        self.lines.append("    g1 = grad(y, %s, create_graph=true)" % wrt)
        results.append("g1")
        last = "g1"
        for o in range(2, order + 1):
            w2 = r.choice(self.params)[0]
            self.lines.append("    g%d = grad(sum(%s(%s)) + y, %s, create_graph=true)" % (
                o, r.choice(["sin", "square", "tanh"]), last, w2))
            results.append("g%d" % o)
            last = "g%d" % o
        self.wrt = wrt
        # backward into .grad, twice (it accumulates), then clear_grad: the
        # checker compares acc with 2 * ref, and cg with 2 * the input
        self.backward = r.random() < 0.5
        if self.backward:
            x = r.choice(self.params)[0]
            self.backward = x
            call = r.choice(["backward(y)", "backward([y])", "backward([y], [none])", "backward(y, none, true)",
                             "backward(y, retain_graph=true)"])
            self.lines += ["    " + call, "    " + call, "    acc = %s.grad" % x, "    ref = grad(y, %s)" % x,
                           "    clear_grad(%s)" % x, "    backward(sum(square(%s)))" % x, "    cg = %s.grad" % x]
            results += ["acc", "ref", "cg"]
        ps = ", ".join("%s: %s%s" % (n, self.dtype, shape_text(s)) for n, s in self.params)
        self.header = "func f(%s) -> " % ps
        return "func f(%s) -> (%s) {\n%s\n}\n" % (ps, ", ".join(results), "\n".join(self.lines))

    def inputs(self):
        """Values for the parameters: (name, shape as ints, values)."""
        out = []
        for n, s in self.params:
            shape = [DIMS.get(d, d) for d in s]
            count = 1
            for d in shape:
                count *= d
            vals = [round(self.r.uniform(-1.5, 1.5), 3) for _ in range(count)]
            out.append((n, shape, vals))
        return out


def nest(shape, vals):
    if not shape:
        return vals[0]
    step = len(vals) // shape[0] if shape[0] else 0
    return [nest(shape[1:], vals[i * step:(i + 1) * step]) for i in range(shape[0])]


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, **kw)


def parse_numbers(text):
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            out.append(line)
        else:
            out.append(float(line))
    return out


def close(a, b, tol):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def compare(name_a, xs, name_b, ys, tol):
    if len(xs) != len(ys):
        return "%s printed %d lines, %s %d" % (name_a, len(xs), name_b, len(ys))
    for i, (a, b) in enumerate(zip(xs, ys)):
        if not close(a, b, tol):
            return "line %d: %s gives %r, %s gives %r" % (i + 1, name_a, a, name_b, b)
    return None


def split_sections(nums):
    """The harness prints results, then VJP gradients, then backward's."""
    secs, cur = [], None
    for x in nums:
        if isinstance(x, str):
            cur = [x]
            secs.append(cur)
        else:
            cur.append(x)
    return secs


def check_one(args, seed, work, compilers):
    rng = random.Random(seed)
    dtype = "f64" if rng.random() < 0.75 else "f32"
    g = Gen(rng, dtype)
    src = g.program()
    ins = g.inputs()
    prog = os.path.join(work, "prog.ad")
    with open(prog, "w") as f:
        f.write(src)
    with open(os.path.join(work, "inputs.txt"), "w") as f:
        for n, shape, vals in ins:
            f.write("%d %s\n%s\n" % (len(shape), " ".join(map(str, shape)), " ".join(map(repr, vals))))
    # 1. emit, and compile strictly
    r = run([args.ad, prog, "-o", os.path.join(work, "prog.c"), "--header", os.path.join(work, "prog.h")])
    if r.returncode != 0:
        return "ad-compile exit %d: %s" % (r.returncode, r.stderr.strip()[:600])
    r = run(["gcc", "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-c", "prog.c", "-o", "strict.o"],
            cwd=work)
    if r.returncode != 0:
        return "gcc -Werror rejects the emitted C: %s" % r.stderr.strip()[:600]
    # 2. derivatives against finite differences
    cmd = [args.ad, "--check", "f", prog]
    for n, shape, vals in ins:
        cmd += ["--input", "%s=%s" % (n, repr(nest(shape, vals)))]
    r = run(cmd)
    check_failed = None
    if r.returncode == 4:
        check_failed = "--check exit 4: %s" % (r.stdout + r.stderr).strip()[-800:]
    elif r.returncode != 0:
        return "--check exit %d: %s" % (r.returncode, (r.stdout + r.stderr).strip()[-800:])
    # 3. the same numbers from every compiler
    outs = {}
    for cname, cc, flags in compilers:
        exe = os.path.join(work, "h-" + cname.replace(" ", "_"))
        r = run(cc + ["-DMETA=f_meta", "-I" + work, HARNESS, "prog.c", "-o", exe, "-lm"], cwd=work)
        if r.returncode != 0:
            return "%s cannot build the harness: %s" % (cname, r.stderr.strip()[:600])
        r = run([exe] + flags + [os.path.join(work, "inputs.txt")])
        if r.returncode != 0:
            return "%s: the harness failed: %s" % (cname, r.stderr.strip()[:300])
        outs[cname] = parse_numbers(r.stdout)
    tol = 1e-9 if dtype == "f64" else 2e-5
    ref_name, ref = compilers[0][0], outs[compilers[0][0]]
    for cname, _, _ in compilers[1:]:
        msg = compare(ref_name, ref, cname, outs[cname], tol)
        if msg:
            return "compilers disagree: " + msg
    # the forward/backward pair agrees with the VJP
    secs = split_sections(ref)
    nres = len([1 for _ in src.split("->")[1].split("{")[0].strip(" ()").split(",")])
    grads = secs[nres:]
    half = len(grads) // 2
    msg = compare("the VJP", sum(grads[:half], []), "forward/backward", sum(grads[half:], []), tol)
    if msg:
        return "VJP and forward/backward disagree: " + msg
    msg = check_grads(args, g, ins, work, {sec[0][2:]: sec[1:] for sec in secs[:nres]})
    if msg or not check_failed:
        return msg
    biggest = max([abs(v) for sec in secs[:nres] for v in sec[1:]] + [0])
    if biggest > FD_LIMIT:
        return UNJUDGED
    return check_failed


UNJUDGED = "unjudged"


def check_grads(args, g, ins, work, res):
    """The in-program gradients against independent values: g1 against the
    gradient --grad computes for the program cut after y (itself checked
    against finite differences), and backward's .grad against 2 * grad and
    2 * x."""
    tol = 1e-8 if g.dtype == "f64" else 1e-3
    prog_y = os.path.join(work, "prog_y.ad")
    with open(prog_y, "w") as f:
        f.write(g.header + "(y) {\n" + "\n".join(g.lines[:g.y_line]) + "\n}\n")
    cmd = [args.ad, "--grad", "f", prog_y, "--format=json"]
    for n, shape, vals in ins:
        cmd += ["--input", "%s=%s" % (n, repr(nest(shape, vals)))]
    r = run(cmd)
    if r.returncode != 0:
        return "--grad of y alone: exit %d: %s" % (r.returncode, r.stderr.strip()[:600])
    want = json.loads(r.stdout)[g.wrt]["data"]
    msg = compare("g1", res["g1"], "--grad of y", want if isinstance(want, list) else [want], tol)
    if msg:
        return "grad(y, %s) and --grad disagree: %s" % (g.wrt, msg)
    if g.backward:
        msg = compare("x.grad after two backward", res["acc"], "2 * grad", [2 * v for v in res["ref"]], tol)
        if msg:
            return msg
        x = [vals for n, _, vals in ins if n == g.backward][0]
        msg = compare("x.grad after clear_grad", res["cg"], "2 * x", [2 * v for v in x], tol)
        if msg:
            return msg
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ad", required=True, help="the ad-compile program")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep failing programs in this directory")
    ap.add_argument("--show", action="store_true", help="print each program")
    ap.add_argument("--progress", type=int, default=0, help="report every N programs")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="programs checked at once")
    args = ap.parse_args()
    args.ad = os.path.abspath(args.ad)
    compilers = []
    asan = ["gcc", "-O0", "-g", "-fsanitize=address,undefined", "-fsanitize=float-cast-overflow",
            "-fno-sanitize-recover=all"]
    for name, cc, flags in [("tcc", ["tcc"], []), ("gcc -O0", ["gcc", "-O0"], []), ("gcc -O2", ["gcc", "-O2"], []),
                            ("clang -O2", ["clang", "-O2"], []), ("gcc sanitized", asan, ["--guard"])]:
        if shutil.which(cc[0]):
            compilers.append((name, cc, flags))
        else:
            print("difftest: %s is not installed; skipped" % cc[0])
    def one(seed):
        work = tempfile.mkdtemp(prefix="ad-difftest-")
        try:
            msg = check_one(args, seed, work, compilers)
        except subprocess.TimeoutExpired as e:
            msg = "timeout: %s" % " ".join(e.cmd[:3])
        except OSError as e:
            msg = "cannot run a tool: %s" % e
        shown = open(os.path.join(work, "prog.ad")).read() if args.show else None
        if msg and args.keep:
            dst = os.path.join(args.keep, "seed-%d" % seed)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        shutil.rmtree(work, ignore_errors=True)
        return seed, msg, shown

    passed = failed = unjudged = 0
    # programs are independent: several at once (each runs its compilers in turn)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, (seed, msg, shown) in enumerate(pool.map(one, range(args.seed, args.seed + args.count))):
            if shown:
                print(shown)
            if msg == UNJUDGED:
                unjudged += 1
            elif msg:
                failed += 1
                print("difftest: seed %d: %s" % (seed, msg), flush=True)
            else:
                passed += 1
            if args.progress and (i + 1) % args.progress == 0:
                print("difftest: %d programs, %d failed so far" % (i + 1, failed), flush=True)
    if unjudged:
        print("difftest: %d programs unjudged: values beyond %g, where finite differences cannot judge their "
              "derivatives (their other checks passed)" % (unjudged, FD_LIMIT))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
