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

Every third program (the seeds divisible by 3) is a loop program: before
its loss it has a for loop or an if over values bound before it. Its loops
take one to three range bounds of literals and dimensions (step 1, 2, -1 or
-2; 2 to 6 iterations, or none), carry scalars (some starting as a literal)
and tensors of random shapes, bind loop-local values, read values bound
before them by the loop variable (x[i], x[i + 1], x[i - 1], x[i, 0], and
x[i, j] in a loop in a loop) and use it as a number. Their bodies hold ifs
(else if, else; on the loop variable or on data; a new value bound in every
arm) and ifs that break; a top-level if may hold a loop. A loop program has
at most one of: a loop in a loop, a gradient in a loop body (with
create_graph: with respect to carried values, one, two as a list, or of a
gradient, or to a parameter alone; and without it in conditions),
checkpoint=K or checkpoint=true, the second order after the loops, a second
(top-level) if: each makes its C several times bigger. Every loop program
is also checked against its unrolled form:

  6. the loop program and its unrolled form give the same results (--run)
     and the same gradients of them all (--grad, seeds of ones), to 1e-10
     (f64) or 1e-4 (f32) relative.

The tester writes the unrolled form itself (unrolled.ad): each loop written
out once per value of its variable (the variable replaced by its value, the
carried names rebound in order) up to the iteration that breaks, and each if
replaced by the arm taken. It decides the conditions on loop variables; one
on data is decided by running (--run) the unrolled form up to the if
(cond.ad), and its first evaluation chooses the threshold it compares with,
well away from the value, so that the loop program and finite differences
take the same branch there too.

About a quarter of the programs without loops (fewer with) have integers:
one to three integer parameters (i64, some i32, some marked nograd:
scalars, vectors and matrices of a dimension's length) whose values are
valid indices of the axes they index (in [0, b) for a bound b no larger
than those axes; duplicates included; written as JSON integers and read by
../harness.c as integers). Expressions then gather (take(x, idx, axis=a),
negative axes too, and x[idx], with an index vector or matrix), index by
run-time scalars (x[i], x[:, i], x[i, j]) and scatter (scatter_add on any
axis, its values broadcast; segment_sum; one_hot times a value or @ a
vector), and a copy of a value bound before is updated in place (u[idx] =
e and u[idx] += e by an index vector, duplicates included; u[i] = e and
u[i] += e by a run-time scalar; e broadcast to the part). An index is an integer parameter, integer arithmetic on one that
stays in range (Python's // and %, minimum, maximum, abs), an element of an
index vector (by a literal or a run-time scalar), a row of an index matrix,
max/min/sum % s of an index vector, argmax/argmin of a float parameter (its
values are distinct, so that finite differences do not move it), or
i64(s * sigmoid(e)) % s, a float cut to an integer. Integer arithmetic
also feeds the floats as f64(...) (f32(...)), and f64(i64(2.5 * tanh(e)))
adds a cut. In loop programs with integers, rows are also read by
x[2 * i + 1], x[i // 2], x[3 * i - 2], x[(i + b) % s] and x[idx[i]].
Such programs also have results that the tester computes itself:

  7. f64 of integer arithmetic on the integer parameters (// and % with
     negative operands, unparenthesized chains of * // % + -), and take,
     segment_sum, scatter_add (duplicates accumulate) and one_hot of the
     parameters equal the tester's values (Python's), to 1e-12 (f64) or
     1e-5 (f32) relative.

About a quarter of the programs without loops (fewer with; after the loops
there) have Jacobians: with respect to a float parameter xj, of yj (the
loss y, the gradient g1 = grad(y, xj), or an earlier value plus a term in
xj; at most 12 elements), the results J = jacobian(yj, xj), jv = jvp(yj,
xj, vj), J^T w = grad(sum(yj * wj), xj) (vj and wj nograd parameters) and
H = hessian(y, xj); some with create_graph=true (then steps 2-4 also
differentiate them), some with a list of inputs (jacobian(yj, [xj, x2]),
jvp(yj, [xj, x2], [vj, vk])) or of outputs (jvp([yj, y], xj, vj)). As
jacobian and hessian take constant sizes only, such programs (and a few
others) write every dimension as its size (f64[3, 4], range(3)). Then:

  8. J equals the stacked gradients of yj's elements, and H the Jacobian of
     grad(y, xj) (reverse over reverse), both computed in jrows.ad (the
     program cut after yj, with grad(reshape(yj, [-1])[k], xj) for each
     k); jv equals J v; J^T w equals the rows' J^T w; <jv, w> equals
     <v, J^T w>; with a list, every input's block and jvp's second output
     too: to 1e-8 (f64) or 1e-3 (f32), relative to the terms summed.

Every program is also emitted with --threads (where gcc has OpenMP):

  9. that code, built with gcc -O2 -fopenmp so that every kernel that can
     split does (-DAD_PAR_MIN_=1, sums in chunks of 2 elements, loops in
     blocks of 4), prints the same bytes on 1 and on 3 threads, and the
     numbers of step 3 to its tolerance.

Not made, though the contract allows them, as ad-compile refuses or
miscomputes them (each a reported bug; make them again once it is fixed):
grad in a loop body with respect to a value from outside the body when the
output also depends on another (a carried value), grad in an if's arms, in
an else if's condition or after an if that may break (these were refused
until the compiler learnt to prove that no path leaves the body; they are
accepted now where it can, and tests/loops has cases, but this generator
does not make them yet); backward, .grad and clear_grad in bodies
(refused). A carried value whose value before the loop depends on another
carried value (grad(..., [c2, c3]) in the body missed the path through
c3 = f(c2) in the first iteration; refused now, see docs/errors.md). Integer
results (--check exits 3: "a float value was given for the integer
parameter 'seed_a'"): they are converted to float. Arithmetic on a loop
variable other than i + c (i // 2, 2 * i + 1, (i + 1) % 3) in an if (arm or
condition) in its loop, in a loop in its loop, or after an if that may
break ("'%' takes integers (i32 or i64), not literal[]"). An integer
carried by a loop (a counter stepped in the body, see CARRIED_INTEGERS:
gcc -Werror rejects the unused adjoint the reverse loop declares for it;
from a weak literal, '%' refuses it). clang -O2 compiles with
-ffp-contract=off: with contraction it fuses a * b - c in one entry point
and not in another (constant folding), so the entries give different bits.

    difftest.py --ad build/ad-compile --count 200 --seed 1 [--keep DIR]

A program whose results exceed 1e6 and that fails step 2 is "unjudged"
(finite differences cannot judge it; see FD_LIMIT), neither passed nor
failed, once steps 1 and 3-9 pass.

Prints one line per failing program (its seed, so `--seed S --count 1`
reproduces it; with --keep the program, its unrolled form and its inputs
stay in DIR) and ends with "N passed, M failed".
"""

import argparse
import concurrent.futures
import json
import math
import operator
import os
import random
import re
import shutil
import signal
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


def size(d):
    """The size of an axis: a dimension's, or a literal."""
    return DIMS.get(d, d)


def numel(shape):
    n = 1
    for d in shape:
        n *= size(d)
    return n


def lit(v):
    """An integer literal, parenthesized when negative."""
    return "%d" % v if v >= 0 else "(%d)" % v


def flat_take(vals, shape, idx, ishape, axis):
    """np.take(x, idx, axis) on row-major lists: its values."""
    shape = [size(d) for d in shape]
    outer, inner = numel(shape[:axis]), numel(shape[axis + 1:])
    out = []
    for o in range(outer):
        for j in idx:
            base = (o * shape[axis] + j) * inner
            out += vals[base:base + inner]
    return out


def flat_scatter_add(xvals, shape, idx, vvals, axis):
    """np.add.at(x, idx along axis, v) on row-major lists (v of x's shape
    with that axis len(idx) long): its values."""
    shape = [size(d) for d in shape]
    outer, inner = numel(shape[:axis]), numel(shape[axis + 1:])
    out = list(xvals)
    for o in range(outer):
        for pos, j in enumerate(idx):
            for q in range(inner):
                out[(o * shape[axis] + j) * inner + q] += vvals[(o * len(idx) + pos) * inner + q]
    return out

# ------------------------------------------------------------ control flow
#
# A loop program keeps its statements as a tree, so that it can be written
# both as it is and unrolled. A statement is a string, BREAK, a For or an If.
# A string is a template in which {i}, {i+1}, {j-1} stand for a loop
# variable (with an offset only inside an index): the loop program writes
# them as i, i + 1, j - 1, its unrolled form as their values.

LOOP_VAR = re.compile(r"\{([a-z])([+-]\d+)?\}")
# Loops that carry an integer (an index stepped in the body): off, as the
# reverse loop declares an adjoint for it that gcc -Werror rejects ("set but
# not used"; a reported bug).
CARRIED_INTEGERS = False
# A row read by integer arithmetic on a loop variable (rows()).
LOOP_ARITH = re.compile(r"\* \{[a-z]\}|\{[a-z]\} //|\{[a-z]\} [+-] \d+\) %")
BREAK = "break"
COMPARE_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
               "!=": operator.ne}
# How a loop or a branch rebinds a value c from itself and an expression e
# (bounded, so that values stay moderate over the iterations); in a loop
# also with its variable t as a weight.
COMBINE = ["0.5 * %(c)s + 0.5 * tanh(%(e)s)", "tanh(%(c)s + %(e)s)", "%(c)s + 0.2 * sin(%(e)s)",
           "%(c)s * sigmoid(%(e)s)", "0.8 * %(c)s + 0.1 * %(e)s"]
LOOP_COMBINE = "%(c)s + 0.1 * %(t)s * tanh(%(e)s)"


def fill(template, env):
    """The template with its loop variables written out: by name when env
    is None, else as their values in env."""
    def one(mo):
        var, off = mo.group(1), int(mo.group(2) or 0)
        if env is None:
            return "%s %s %d" % (var, "+" if off > 0 else "-", abs(off)) if off else var
        value = env[var] + off
        return str(value) if value >= 0 else "(%d)" % value
    return LOOP_VAR.sub(one, template)


class For:
    """for VAR in range(BOUNDS[, checkpoint=CHECKPOINT]) { BODY }, in which
    the variable takes VALUES."""

    def __init__(self, var, bounds, values, checkpoint, body):
        self.var, self.bounds, self.values, self.checkpoint, self.body = var, bounds, values, checkpoint, body


class If:
    """if COND { BODY } else if COND { BODY } ... else { ORELSE }: arms is a
    list of (Cond, body); orelse is None when there is no else."""

    def __init__(self, arms, orelse):
        self.arms, self.orelse = arms, orelse


class Cond:
    """The condition of an if. A static one, (var, op, k), compares a loop
    variable with a literal, and the tester decides it. The others compare
    a rank-0 value lhs (a template) with the threshold thr, or (op "relu")
    are relu(lhs - thr), true when nonzero; the unrolled program up to the
    if decides them (decide())."""

    def __init__(self, static=None, lhs=None, op=None, thr=0.0, p_taken=0.5):
        self.static, self.lhs, self.op, self.thr, self.p_taken = static, lhs, op, thr, p_taken
        self.fixed = False  # has a first evaluation chosen thr?

    def text(self, env):
        if self.static:
            var, op, k = self.static
            return "%s %s %d" % (var, op, k)
        lhs, thr = fill(self.lhs, env), repr(self.thr)
        if self.op == "relu":
            return "relu(%s - %s)" % (lhs, thr if self.thr >= 0 else "(%s)" % thr)
        return "%s %s %s" % (lhs, self.op, thr)

    def decide(self, env, prefix, evaluate, rng):
        """Does the condition hold after the unrolled lines prefix?
        evaluate(prefix, expression) runs them and gives the value of the
        expression. The first evaluation of a data condition chooses the
        threshold (the condition then holds with the chance p_taken) well
        away from the value, so that the loop program, its unrolled form and
        finite differences all take the same branch there."""
        if self.static:
            var, op, k = self.static
            return COMPARE_OPS[op](env[var], k)
        if not self.fixed:
            self.fixed = True
            value = evaluate(prefix, fill(self.lhs, env))
            if math.isfinite(value) and abs(value) <= 1e6:
                taken = rng.random() < self.p_taken
                delta = rng.uniform(0.05, 0.5) * max(1.0, abs(value))
                above = taken == (self.op in ("<", "<="))  # is thr above the value?
                digits = max(0, math.ceil(-math.log10(delta / 10)))
                self.thr = round(value + delta if above else value - delta, digits)
                return taken
        return evaluate(prefix, self.text(env)) != 0  # NaN is nonzero


class Loop:
    """A loop around the statements being made: its variable and values,
    the values it may read by rows, the values it carries ((name, shape)),
    and whether an if so far in its body may break."""

    def __init__(self, var, values, sources, carried):
        self.var, self.values, self.sources, self.carried = var, values, sources, carried
        self.breaks = False
        self.first_temp = 0  # the temps bound before it: self.temps[:first_temp]


class Gen:
    def __init__(self, rng, dtype):
        self.r = rng
        self.dtype = dtype
        self.params = []  # (name, shape)
        self.lines = []  # the statements of the body: see render()
        self.block = self.lines  # where statements go now: the body, or a loop's or branch's
        self.temps = []  # (name, shape), bound so far and visible here
        self.extra = []  # (template, shape): rows and loop variables visible here
        self.count = 0
        self.loops = []  # the loops around the statement being made: Loop
        self.carried = set()  # names rebound by loops and branches (never read by rows)
        self.weak = set()  # carried values that start as a literal
        self.outputs = []  # values of the top-level loops and ifs, for y
        # A loop program's one costly feature (each makes the emitted C two
        # or three times bigger): a loop in a loop, a gradient in a loop
        # body, checkpointing, the second order after the loops, or a
        # second if; or none of them.
        self.feature = None
        self.body_grads = 0
        # Integers and Jacobians (see program()): integer parameters and the
        # ops on them; dimensions written as their sizes (jacobian and
        # hessian need constant sizes); the jvp/jacobian/hessian results.
        self.ints = False
        self.const = False
        self.jac = None
        self.iparams = []  # (name, shape, bound, dtype): integers in [0, bound)
        self.nparams = []  # nograd float parameters (name, shape): tangents and weights
        self.probes = []  # (result, kind, data): results the tester computes too (check_probes)

    # -------------------------------------------------------- expressions
    def leaf(self, shape):
        """A parameter, an earlier value or a constant, of exactly `shape`."""
        cands = [(n, s) for n, s in self.params + self.temps + self.extra if broadcasts_to(s, shape)]
        if cands and self.r.random() < 0.9:
            name, s = self.r.choice(cands)
        else:
            name, s = repr(round(self.r.uniform(-2, 2), 2)), ()
        if s == tuple(shape):
            return name
        return "broadcast_to(%s, %s)" % (name, self.shape_text(shape))

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
        if self.ints:
            choices += ["gather", "gather", "scatter", "intmix"] + (["onehot"] if shape else [])
        if shape:
            choices += ["scan"]
        c = r.choice(choices)
        d = depth - 1
        if c == "scan":
            # running sums, and running products of bounded factors
            axis = r.randrange(len(shape))
            if r.random() < 0.5:
                return "cumsum(%s, %d)" % (self.expr(shape, d), axis)
            return "cumprod(tanh(%s), axis=%d)" % (self.expr(shape, d), axis)
        if c in ("gather", "scatter", "intmix", "onehot"):
            e = getattr(self, "int_" + c)(shape, d)
            return e if e is not None else self.expr(shape, d)
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
            return "reshape(reshape(%s, [-1]), %s)" % (self.expr(shape, d), self.shape_text(shape))
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

    # -------------------------------------------------------- integers
    def index_tensor(self, ishape, bound):
        """An integer tensor of shape ishape whose elements are valid
        indices of an axis of size bound (in [0, bound)), or None: an
        integer parameter, integer arithmetic on one, argmax/argmin of a
        float parameter, i64 of a float expression, or a row of a matrix of
        indices read by a run-time scalar."""
        r = self.r
        ishape = tuple(ishape)
        ps = [p for p in self.iparams if p[1] == ishape and p[2] <= bound]
        forms = ["param", "param", "mod", "div", "clamp", "abs"] if ps else []
        if len(ishape) == 1:
            forms += ["argmax", "cast", "row"]
        r.shuffle(forms)
        for f in forms:
            if ps:
                name, _, pb, _ = r.choice(ps)
            if f == "param":
                return name
            if f == "mod":
                # Python's modulo: in [0, s) for any left side
                return "(%s * %s + %s) %% %d" % (name, lit(r.choice([1, 2, 3, -1])), lit(r.randint(-3, 3)),
                                                 r.randint(1, bound))
            if f == "div":
                return "%s // %d" % (name, r.choice([1, 2, 3]))
            if f == "clamp":
                if r.random() < 0.5:
                    return "minimum(%s, %d)" % (name, r.randrange(bound))
                return "maximum(%s - 1, 0)" % name
            if f == "abs":
                return "abs(%s - %d)" % (name, r.randrange(pb))
            if f == "argmax":
                # of a parameter (its values are distinct, so that finite
                # differences do not move the maximum), or a monotone function
                fs = [(n, s, a) for n, s in self.params if len(s) == 2 for a in (0, 1)
                      if s[1 - a] == ishape[0] and size(s[a]) <= bound]
                if fs:
                    n, s, a = r.choice(fs)
                    x = r.choice(["%s", "tanh(%s)", "(2 * %s + 1)"]) % n
                    return "%s(%s, %s)" % (r.choice(["argmax", "argmin"]), x,
                                           r.choice(["%d" % a, "axis=%d" % a, "axis=%d" % (a - 2)]))
            if f == "cast":
                # truncation of a value in (0, bound): a cut; % bound where sigmoid gives 1
                return "i64(%d * sigmoid(%s)) %% %d" % (bound, self.expr(ishape, 0), bound)
            if f == "row":
                qs = [q for q in self.iparams if len(q[1]) == 2 and q[1][1] == ishape[0] and q[2] <= bound]
                if qs:
                    q = r.choice(qs)
                    i = self.scalar_index(size(q[1][0]), nested=False)
                    if i is not None:
                        return "%s[%s]" % (q[0], i)
        return None

    def scalar_index(self, bound, nested=True):
        """A run-time integer scalar in [0, bound), or None: an integer
        parameter, arithmetic on one, an element of an index vector (by a
        literal or by a run-time scalar), argmax of a float parameter, i64 of
        a float expression, a reduction of an index vector."""
        r = self.r
        scalars = [p for p in self.iparams if p[1] == ()]
        vectors = [p for p in self.iparams if len(p[1]) == 1 and p[2] <= bound]
        forms = ["cast"]
        if scalars:
            forms += ["mod", "mod"]
        if [p for p in scalars if p[2] <= bound]:
            forms += ["param", "param", "param"]
        if vectors:
            forms += ["elem", "reduce"] + (["nested"] if nested else [])
        if [p for p, s in self.params if len(s) == 1 and size(s[0]) <= bound]:
            forms.append("argmax")
        r.shuffle(forms)
        for f in forms:
            if f == "param":
                return r.choice([p for p in scalars if p[2] <= bound])[0]
            if f == "mod":
                return "(%s * %s + %s) %% %d" % (r.choice(scalars)[0], lit(r.choice([1, 2, -1, 3])),
                                                 lit(r.randint(-5, 5)), r.randint(1, bound))
            if f == "elem":
                name, shape, _, _ = r.choice(vectors)
                return "%s[%d]" % (name, r.randrange(size(shape[0])))
            if f == "nested":
                name, shape, _, _ = r.choice(vectors)
                i = self.scalar_index(size(shape[0]), nested=False)
                if i is not None:
                    return "%s[%s]" % (name, i)
            if f == "reduce":
                name, _, _, _ = r.choice(vectors)
                if r.random() < 0.5:
                    return "%s(%s)" % (r.choice(["max", "min"]), name)
                return "sum(%s) %% %d" % (name, r.randint(1, bound))
            if f == "argmax":
                n = r.choice([p for p, s in self.params if len(s) == 1 and size(s[0]) <= bound])
                return "%s(%s, 0)" % (r.choice(["argmax", "argmin"]), n)
            if f == "cast":
                return "i64(%d * sigmoid(%s)) %% %d" % (bound, self.expr((), 0), bound)
        return None

    def iexpr(self, ishape, depth):
        """Integer arithmetic (+ - * // % abs minimum maximum, reductions)
        on the integer parameters of one type and literals, of shape ishape
        (() or a vector parameter's) or a scalar: (text, the same in Python
        over E, the parameters' values, element k), or None."""
        r = self.r
        ishape = tuple(ishape)
        dtypes = sorted({p[3] for p in self.iparams if p[1] in (ishape, ()) or (not ishape and len(p[1]) == 1)})
        if not dtypes:
            return None
        dt = r.choice(dtypes)
        atoms = [(p[0], "E[%r][%s]" % (p[0], "k" if p[1] else "0")) for p in self.iparams
                 if p[3] == dt and p[1] in (ishape, ())]
        if not ishape:
            for p in self.iparams:
                # (sum of i32 gives i64: keep one type)
                if p[3] == dt and len(p[1]) == 1:
                    for f in (["max", "min", "sum"] if dt == "i64" else ["max", "min"]):
                        atoms.append(("%s(%s)" % (f, p[0]), "%s(E[%r])" % (f, p[0])))

        def gen(depth):
            if depth == 0 or r.random() < 0.25:
                if r.random() < 0.2:
                    v = r.randint(-3, 5)
                    return lit(v), lit(v)
                return r.choice(atoms)
            op = r.choice(["+", "-", "*", "//", "%", "//", "%", "abs", "minimum", "maximum", "chain"])
            a = gen(depth - 1)
            if op in ("+", "-", "*"):
                b = gen(depth - 1)
                return "(%s %s %s)" % (a[0], op, b[0]), "(%s %s %s)" % (a[1], op, b[1])
            if op in ("//", "%"):
                c = lit(r.choice([-3, -2, 2, 3, 4, 5]))
                return "(%s %s %s)" % (a[0], op, c), "(%s %s %s)" % (a[1], op, c)
            if op == "abs":
                return "abs(%s)" % a[0], "abs(%s)" % a[1]
            if op in ("minimum", "maximum"):
                b = gen(depth - 1)
                return "%s(%s, %s)" % (op, a[0], b[0]), "%s(%s, %s)" % (op[:3], a[1], b[1])
            # unparenthesized: // and % bind as * does, + - below them
            ops = [r.choice(["*", "//", "%", "+", "-"]) for _ in range(2)]
            cs = [lit(r.choice([2, 3, 4, 5])) for _ in range(2)]
            t = "(%s %s %s %s %s)" % (a[0], ops[0], cs[0], ops[1], cs[1])
            return t, "(%s %s %s %s %s)" % (a[1], ops[0], cs[0], ops[1], cs[1])
        for _ in range(20):
            text, py = gen(depth)
            if "E[" in py:
                return text, py
        return atoms[0]

    def int_gather(self, shape, d):
        """take/x[idx] with an index tensor, or x[i], x[:, i], x[i, j] with
        run-time scalars, of exactly shape; or None."""
        r = self.r
        rank = len(shape)
        opts = [("tensor", a) for a in range(rank) if isinstance(shape[a], str)] if rank <= 3 else []
        opts += [("scalar", a) for a in range(rank + 1)] if rank <= 2 else []
        if rank == 0:
            opts.append(("two", 0))
        if rank in (2, 3) and any(p[1] == tuple(shape[:2]) for p in self.iparams):
            opts.append(("matrix", 0))
        r.shuffle(opts)
        for kind, a in opts:
            dd = r.choice(self.dims)
            bound = DIMS[dd]
            if kind == "tensor":
                ix = self.index_tensor((shape[a],), bound)
                if ix is None:
                    continue
                xs = shape[:a] + (dd,) + shape[a + 1:]
                x = self.bind(self.expr(xs, d), xs)
                if a == 0 and r.random() < 0.5:
                    return "%s[%s]" % (x, ix)
                return "take(%s, %s, axis=%d)" % (x, ix, a - rank if r.random() < 0.2 else a)
            if kind == "matrix":
                ix = self.index_tensor(shape[:2], bound)
                if ix is None:
                    continue
                xs = (dd,) + shape[2:]
                x = self.bind(self.expr(xs, d), xs)
                return "%s[%s]" % (x, ix) if r.random() < 0.5 else "take(%s, %s, axis=0)" % (x, ix)
            if kind == "scalar":
                i = self.scalar_index(bound)
                if i is None:
                    continue
                xs = shape[:a] + (dd,) + shape[a:]
                x = self.bind(self.expr(xs, d), xs)
                return "%s[%s%s]" % (x, ":, " * a, i)
            if kind == "two":
                d2 = r.choice(self.dims)
                i, j = self.scalar_index(bound), self.scalar_index(DIMS[d2])
                if i is None or j is None:
                    continue
                x = self.bind(self.expr((dd, d2), d), (dd, d2))
                return "%s[%s, %s]" % (x, i, j)
        return None

    def int_scatter(self, shape, d):
        """scatter_add into a value of shape (any axis; the values
        broadcast), or segment_sum to it; or None."""
        r = self.r
        if not shape:
            return None
        n = r.choice(self.dims)
        if r.random() < 0.4:
            ix = self.index_tensor((n,), size(shape[0]))
            if ix is None:
                return None
            return "segment_sum(%s, %s, %s)" % (self.expr((n,) + tuple(shape[1:]), d), ix, self.dim(shape[0]))
        a = r.randrange(len(shape))
        ix = self.index_tensor((n,), size(shape[a]))
        if ix is None:
            return None
        vs = tuple(shape[:a]) + (n,) + tuple(shape[a + 1:])
        v = self.expr(r.choice(sub_shapes(vs)) if r.random() < 0.3 else vs, d)
        axis = "" if a == 0 and r.random() < 0.3 else ", axis=%d" % a
        return "scatter_add(%s, %s, %s%s)" % (self.expr(shape, d), ix, v, axis)

    def int_onehot(self, shape, d):
        """one_hot(idx, k) of exactly shape, times a value; or (a vector) a
        one_hot matrix times a vector; or None."""
        r = self.r
        dt = "" if self.dtype == "f32" and r.random() < 0.5 else ", dtype=%s" % self.dtype
        if len(shape) == 1 and r.random() < 0.4:
            k = r.choice(self.dims)
            ix = self.index_tensor(shape, DIMS[k])
            if ix is not None:
                return "(one_hot(%s, %s%s) @ %s)" % (ix, self.dim(k), dt, self.expr((k,), d))
        lead = tuple(shape[:-1])
        if len(lead) > 1:
            return None
        ix = self.index_tensor(lead, size(shape[-1])) if lead else self.scalar_index(size(shape[-1]))
        if ix is None:
            return None
        return "(one_hot(%s, %s%s) * %s)" % (ix, self.dim(shape[-1]), dt, self.expr(r.choice(sub_shapes(shape)), d))

    def int_intmix(self, shape, d):
        """A float value times integer arithmetic converted to float, or plus
        a float cut by a conversion to i64 and back."""
        r = self.r
        if r.random() < 0.35:
            return "(%s + 0.5 * %s(i64(2.5 * tanh(%s))))" % (self.expr(shape, d), self.dtype, self.expr(shape, 0))
        ishapes = [()] + ([(shape[-1],)] if shape and any(p[1] == (shape[-1],) for p in self.iparams) else [])
        ie = self.iexpr(r.choice(ishapes), 2)
        if ie is None:
            return None
        return "(%s * (0.25 * %s(%s)))" % (self.expr(shape, d), self.dtype, ie[0])

    def dim(self, d):
        """An axis as the program writes it: a dimension's name, or (const)
        its size."""
        return str(size(d)) if self.const else str(d)

    def shape_text(self, shape):
        return "[" + ", ".join(self.dim(d) for d in shape) + "]"

    def paren(self, e):
        return e if e.replace("_", "").isalnum() else "(%s)" % e

    def bind(self, e, shape, reuse=True):
        """Bind e to a fresh name (so it can be sliced) and return the name;
        later expressions may use it unless reuse is false."""
        if e.replace("_", "").isalnum() and not e[0].isdigit():
            return e
        self.count += 1
        name = "t%d" % self.count
        self.block.append("%s = %s" % (name, e))
        if reuse:
            self.temps.append((name, tuple(shape)))
        return name

    def indexed_update(self, depth):
        """A copy of a value bound before, updated: u[idx] = e or u[idx] += e
        with an index vector (duplicates included: the last wins a set, all
        add up in +=), or u[i] = e or u[i] += e with a run-time scalar (e
        broadcast to the part); later expressions may use u. Nothing when
        no value or index fits."""
        r = self.r
        tensors = [(n, s) for n, s in self.temps if s]
        if not tensors:
            return
        name, shape = r.choice(tensors)
        if r.random() < 0.6:
            n = r.choice(self.dims)
            ix = self.index_tensor((n,), size(shape[0]))
            part = (n,) + tuple(shape[1:])
        else:
            ix = self.scalar_index(size(shape[0]))
            part = tuple(shape[1:])
        if ix is None:
            return
        e = self.expr(r.choice(sub_shapes(part)) if r.random() < 0.3 else part, depth - 1)
        self.count += 1
        u = "u%d" % self.count
        self.block.append("%s = %s" % (u, name))
        self.block.append("%s[%s] %s %s" % (u, ix, r.choice(["=", "+="]), e))
        self.temps.append((u, tuple(shape)))

    # -------------------------------------------------------- control flow
    def control(self):
        """A loop or an if, and (feature "two") an if after it, over values
        bound before them (which y then uses)."""
        for k in range(2 if self.feature == "two" else 1):
            if k == 0 and self.r.random() < 0.8:
                self.outputs += [n for n, _ in self.loop(6)]
            else:
                self.outputs += [n for n, _ in self.branch()]

    def open_block(self, extra):
        """Start the body of a loop or an arm, where extra is also visible."""
        saved = (self.block, len(self.temps), self.extra)
        self.block, self.extra = [], self.extra + extra
        return saved

    def close_block(self, saved):
        """End the body open_block started (what it bound is no longer
        visible) and return its statements."""
        body = self.block
        self.block, n, self.extra = saved
        del self.temps[n:]
        return body

    def of_data(self, shape, depth):
        """An expression of shape that depends on a parameter (expr() may
        give a literal, or an expression of constants only)."""
        p, s = self.r.choice(self.params)
        if s == tuple(shape):
            term = p
        elif broadcasts_to(s, shape):
            term = "broadcast_to(%s, %s)" % (p, self.shape_text(shape))
        else:
            term = "mean(%s)" % p
        return "(%s + 0.5 * %s)" % (self.expr(shape, depth), term)

    def carry(self, count, literal_ok):
        """count new values, bound here for a loop or an if to rebind: a
        random shape, or (a scalar, when literal_ok) a literal."""
        out = []
        for _ in range(count):
            shape = self.r.choice(self.pshapes)
            weak = shape == () and literal_ok and self.r.random() < 0.3
            if weak:
                init = self.r.choice(["0", "1", "0.5"])
            else:
                # not of other carried values: a gradient in the body with
                # respect to both would then be wrong (a reported bug)
                saved, self.temps = self.temps, [t for t in self.temps if t[0] not in self.carried]
                init = self.of_data(shape, 1)
                self.temps = saved
            self.count += 1
            name = "c%d" % self.count
            if weak:
                self.weak.add(name)
            self.block.append("%s = %s" % (name, init))
            self.temps.append((name, shape))
            self.carried.add(name)
            out.append((name, shape))
        return out

    def loop_range(self, cap):
        """The bounds of a range(...) (one, two or three of them; the step 1,
        2, -1 or -2) and the values it gives: 2 to cap of them, or (one loop
        in ten) none."""
        r = self.r
        literals = [(str(v), v) for v in range(-1, 7)]
        dims = [(self.dim(d), DIMS[d]) for d in self.dims]
        bounds = literals + dims
        for d, n in dims:
            bounds += [("%s - 1" % d, n - 1), ("%s + 1" % d, n + 1), ("2 * %s" % d, 2 * n)]
        empty = r.random() < 0.1
        while True:
            nargs = r.choice([1, 2, 3, 3])
            start = r.choice(bounds) if nargs > 1 else ("0", 0)
            stop = r.choice(bounds)
            if r.random() < 0.4:  # over a dimension, whose rows the body can read
                nargs, start, stop = 1, ("0", 0), r.choice(dims)
            step = r.choice([1, 2, -1, -2]) if nargs == 3 else 1
            values = list(range(start[1], stop[1], step))
            if empty:
                ok = not values
            else:
                ok = 2 <= len(values) <= cap
            if ok:
                args = ([start[0]] if nargs > 1 else []) + [stop[0]] + ([str(step)] if nargs == 3 else [])
                return values, ", ".join(args)

    def rows(self, var, values, sources):
        """Up to three leaves that read sources by the loop variable, inside
        them in every iteration: rows x[i], x[i + 1], x[i - 1], elements
        x[i, 0], and in an inner loop x[i, j]."""
        out = []
        for name, shape in sources:
            rows = size(shape[0])
            for off in (-1, 0, 1):
                if all(0 <= v + off < rows for v in values):
                    index = "{%s%s}" % (var, "%+d" % off if off else "")
                    out.append(("%s[%s]" % (name, index), shape[1:]))
                    if len(shape) == 2:
                        out.append(("%s[%s, 0]" % (name, index), ()))
            if self.ints:
                # integer arithmetic on the variable, and an integer
                # parameter's element read by it, as run-time indices
                index = self.r.choice(["2 * {%s} + 1" % var, "{%s} // 2" % var, "3 * {%s} - 2" % var])
                value = {"2": lambda v: 2 * v + 1, "{": lambda v: v // 2, "3": lambda v: 3 * v - 2}[index[0]]
                if all(0 <= value(v) < rows for v in values):
                    out.append(("%s[%s]" % (name, index), shape[1:]))
                s, b = self.r.randint(1, rows), self.r.randint(-3, 3)
                out.append(("%s[({%s} %s %d) %% %d]" % (name, var, "+" if b >= 0 else "-", abs(b), s), shape[1:]))
                for iname, ishape, bound, _ in self.iparams:
                    if len(ishape) == 1 and bound <= rows and all(0 <= v < size(ishape[0]) for v in values):
                        out.append(("%s[%s[{%s}]]" % (name, iname, var), shape[1:]))
        grid = []
        for outer in self.loops:
            for name, shape in outer.sources if outer.values else []:
                if (len(shape) == 2 and all(0 <= v < size(shape[0]) for v in outer.values)
                        and all(0 <= v < size(shape[1]) for v in values)):
                    grid.append(("%s[{%s}, {%s}]" % (name, outer.var, var), ()))
        self.r.shuffle(out)
        self.r.shuffle(grid)
        return (grid[:1] + out)[:3]

    def loop(self, cap, inherit=()):
        """A for loop here, of at most cap iterations, that carries the
        values in inherit and new ones; returns the new ones. Its body binds
        loop-local values, rebinds the carried ones, and may hold a loop (two
        deep at most), an if, a gradient and an if that breaks."""
        r = self.r
        values, bounds = self.loop_range(cap)
        var = "ij"[len(self.loops)]
        sources = [(n, s) for n, s in self.params + self.temps if s and n not in self.carried]
        if inherit:
            count = r.choice([0, 1])
        else:  # (two for a gradient with respect to both)
            count = r.choice([1, 2] if self.feature == "grad" else [1, 1, 1, 2])
        carried = list(inherit) + self.carry(count, literal_ok=bool(values))
        extra = [("{%s}" % var, ())] + self.rows(var, values, sources)
        if any(lp.breaks for lp in self.loops):
            extra = [e for e in extra if not LOOP_ARITH.search(e[0])]
        counter = None
        if CARRIED_INTEGERS and self.ints and r.random() < 0.4:
            # a carried integer (from i64(0) or i64(1), or from a parameter),
            # stepped first in the body, and used as an index and a number
            self.count += 1
            counter, s = "q%d" % self.count, r.randint(1, 4)
            scalars = [p[0] for p in self.iparams if p[1] == () and p[3] == "i64"]
            # (not a weak literal: '%' then refuses it, a reported bug)
            self.block.append("%s = %s" % (counter, "%s %% %d" % (r.choice(scalars), s) if scalars and r.random() < 0.6
                                           else r.choice(["i64(0)", "i64(1)"])))
            extra.append(("%s(%s)" % (self.dtype, counter), ()))
            for name, shape in sources:
                if size(shape[0]) >= s:
                    extra.append(("%s[%s]" % (name, counter), shape[1:]))
        saved = self.open_block(extra)
        if self.loops:
            # (an outer loop's variable in a loop in its loop, as in an if:
            # see branch())
            self.extra = [e for e in self.extra if e in extra or not LOOP_ARITH.search(e[0])]
        self.loops.append(Loop(var, values, sources, carried))
        self.loops[-1].first_temp = len(self.temps)
        if counter:
            self.block.append("%s = (%s * %d + {%s} + %d) %% %d" % (counter, counter, r.choice([1, 2, 3]), var,
                                                                  r.randint(0, 2), s))
        depth = 1 if r.random() < 0.8 else 2
        for _ in range(r.randint(0, 1)):
            shape = r.choice(self.pshapes)
            self.bind(self.expr(shape, depth), shape)
        parts = ["update"]
        if self.feature == "nested" and len(self.loops) == 1 and r.random() < 0.7:
            parts.append("loop")
        if self.feature != "nested" and r.random() < 0.5:  # (not with a loop in the loop: big C)
            parts.append("if")
        r.shuffle(parts)
        if self.feature == "grad" and not self.body_grads and r.random() < 0.8:  # one is enough
            # before the ifs, which may break (see the notes at the top)
            parts.insert(1 if parts[0] == "update" and r.random() < 0.5 else 0, "grad")
        if r.random() < (0.4 if len(self.loops) == 1 else 0.25):
            first = parts.index("grad") + 1 if "grad" in parts else 0
            parts.insert(max(first, r.choice([len(parts), len(parts) - 1])), "break")
        for part in parts:
            if any(lp.breaks for lp in self.loops):
                # (after an if that may break, as in an if: see branch())
                self.extra = [e for e in self.extra if not LOOP_ARITH.search(e[0])]
            if part == "update":
                for name, shape in carried:
                    self.update(name, shape, depth)
            elif part == "loop":
                inner = self.loop(max(2, 12 // max(1, len(values))), r.sample(carried, r.randint(0, len(carried))))
                for name, shape in inner:  # what the inner loop computes counts
                    outer, oshape = r.choice(carried)
                    self.block.append("%s = %s + 0.1 * tanh(%s)" % (
                        outer, outer, name if broadcasts_to(shape, oshape) else "mean(%s)" % name))
            elif part == "if":
                self.branch()
            elif part == "grad":
                self.body_grad(depth)
            elif part == "break":
                self.block.append(If([(self.cond(0.3), [BREAK])], None))
                self.loops[-1].breaks = True
        self.loops.pop()
        body = self.close_block(saved)
        checkpoint = r.choice(["1", "2", "3", "true"]) if self.feature == "checkpoint" else None
        self.block.append(For(var, bounds, values, checkpoint, body))
        return carried[len(inherit):]

    def update(self, name, shape, depth):
        """Rebind name (a carried value) to a bounded function of itself and
        an expression, which reads a row when there is one."""
        r = self.r
        e = self.expr(shape, depth)
        rows = [(n, s) for n, s in self.extra if "[" in n]
        if rows and r.random() < 0.7:
            row, rshape = r.choice(rows)
            e = "(%s + %s)" % (e, row if broadcasts_to(rshape, shape) else "mean(%s)" % row)
        if name in self.weak:
            # the literal it starts as takes its dtype from this
            e = "(%s + mean(%s))" % (e, r.choice(self.params)[0])
        forms = COMBINE + ([LOOP_COMBINE] if self.loops else [])
        t = "{%s}" % self.loops[-1].var if self.loops else None
        self.block.append("%s = %s" % (name, r.choice(forms) % {"c": name, "e": e, "t": t}))

    def body_grad(self, depth):
        """A gradient in a loop body, of the forms the compiler takes: with
        respect to carried values (one, two as a list, or of a gradient), or
        to a parameter that alone, with the loop variable, gives the output
        (with create_graph, so the whole loop can be differentiated). A
        carried value takes a step along it."""
        r = self.r
        lp = self.loops[-1]
        typed = [(n, s) for n, s in lp.carried if n not in self.weak]
        self.count += 1
        self.body_grads += 1
        g = "l%d" % self.count
        kind = r.random()
        if not typed or kind < 0.2:
            p = r.choice(self.params)[0]
            self.block.append("%s = grad(sum(%s(%s * (1 + 0.1 * {%s}))), %s, create_graph=true)" % (
                g, r.choice(["sin", "square", "tanh"]), p, lp.var, p))
            c = r.choice(lp.carried)[0]
            self.block.append("%s = %s + 0.1 * tanh(mean(%s))" % (c, c, g))
            return
        c, shape = r.choice(typed)
        others = [(n, s) for n, s in typed if n != c]
        c2 = r.choice(others)[0] if others and kind < 0.4 else None
        e = self.independent_expr(shape, depth, (c, c2))
        if c2:
            g2 = "l%d_2" % self.count
            self.block.append("%s, %s = grad(sum(square(%s) * %s) + sum(sin(%s)), [%s, %s], create_graph=true)" % (
                g, g2, c, e, c2, c, c2))
            self.block.append("%s = %s - 0.1 * tanh(%s)" % (c2, c2, g2))
        elif kind < 0.6:
            inner = "grad(sum(%s ** 3 * %s), %s, create_graph=true)" % (c, e, c)
            self.block.append("%s = grad(sum(tanh(%s) * %s), %s, create_graph=true)" % (
                g, inner, self.expr(shape, 1), c))
        else:
            self.block.append("%s = grad(sum(square(%s) * %s), %s, create_graph=true)" % (g, c, e, c))
        self.temps.append((g, shape))
        self.block.append("%s = %s - 0.1 * tanh(%s)" % (c, c, g))

    def independent_expr(self, shape, depth, wrt):
        """An expression for the output of a gradient in a loop body with
        respect to the carried values wrt: one that reads no other carried
        value and nothing the loops' bodies computed from them, which may
        depend on wrt by a path outside the body (an earlier iteration), so
        that the compiler refuses the gradient (rightly: it would see one
        iteration). "1.0" when a few tries find none."""
        banned = {n for lp in self.loops for n, _ in lp.carried if n not in wrt}
        banned |= {n for n, _ in self.temps[self.loops[0].first_temp:]}
        for _ in range(8):
            e = self.expr(shape, depth)
            if not banned & set(re.findall(r"[A-Za-z_]\w*", e)):
                return e
        return "1.0"

    def branch(self):
        """An if, with else if and else arms or not. In a loop its arms
        rebind the loop's carried values and may break; at the top level
        they rebind new values (returned) and may hold a loop (unless
        feature "two": that would be three). With an else,
        every arm may bind one more new value, visible after the if."""
        r = self.r
        if self.loops:
            # no arithmetic on a loop variable in an if in its loop, in a
            # loop in its loop or after an if that may break (but x[i + 1]):
            # ad-compile types it as a float literal there (a reported bug)
            outer_extra = self.extra
            self.extra = [e for e in self.extra if not LOOP_ARITH.search(e[0])]
        targets = self.loops[-1].carried if self.loops else self.carry(r.randint(1, 2), False)
        new = [] if self.loops else list(targets)
        narms = r.choice([1, 2, 2, 3])
        orelse = narms == 3 or (narms == 2 and r.random() < 0.5)
        fresh = None
        if orelse and r.random() < 0.4:
            self.count += 1
            fresh = ("b%d" % self.count, r.choice(self.pshapes))
        # (an else if's condition lies in the else arm, where a gradient is
        # refused: see the notes at the top)
        conds = [self.cond(0.5, k == 0) for k in range(narms - orelse)]
        arms = []
        for _ in range(narms):
            saved = self.open_block([])
            for name, shape in r.sample(targets, 1 if r.random() < 0.75 else len(targets)):
                if r.random() < 0.25:
                    self.block.append("%s = %s" % (name, r.choice(["-%s", "0.5 * %s"]) % name))
                else:
                    self.update(name, shape, 1)
            if not self.loops and self.feature != "two" and r.random() < 0.2:
                self.loop(6, r.sample(targets, r.randint(1, len(targets))))
            if fresh:
                self.block.append("%s = %s" % (fresh[0], self.of_data(fresh[1], 1)))
            if self.loops and r.random() < 0.2:
                self.block.append(BREAK)
            arms.append(self.close_block(saved))
        self.block.append(If(list(zip(conds, arms)), arms[-1] if orelse else None))
        if any(BREAK in arm for arm in arms):
            self.loops[-1].breaks = True
        if fresh:
            self.temps.append(fresh)
            new.append(fresh)
        if self.loops:
            self.extra = outer_extra
        return new

    def cond(self, p_taken, grad_ok=True):
        """A condition, which holds with about the chance p_taken: on a loop
        variable (in a loop), or on a rank-0 value (a carried value, a row, a
        gradient in the loop when grad_ok, or any expression)."""
        r = self.r
        if self.loops and r.random() < 0.4:
            lp = r.choice(self.loops)
            return Cond(static=(lp.var, r.choice(COMPARE), r.choice(lp.values or [0])))
        carried = [n for n, _ in self.temps if n in self.carried]
        rows = [n for n, _ in self.extra if "[" in n]
        typed = []
        if grad_ok and self.feature == "grad" and self.loops and not self.loops[-1].breaks:
            typed = [(n, s) for n, s in self.loops[-1].carried if n not in self.weak]
        kind = r.random()
        if carried and kind < 0.45:
            lhs = "%s(%s)" % (r.choice(["sum", "mean", "max", "min"]), r.choice(carried))
        elif rows and kind < 0.6:
            lhs = "mean(%s)" % r.choice(rows)
        elif typed and kind < 0.7:
            # a gradient without create_graph: a condition is not differentiated
            c, shape = r.choice(typed)
            lhs = "sum(grad(sum(square(%s) * %s), %s))" % (c, self.expr(shape, 1), c)
        else:
            lhs = self.expr((), 1)
        return Cond(lhs=lhs, op=r.choice([">", ">=", "<", "<=", "relu"]), thr=round(r.uniform(-1, 1), 2),
                    p_taken=p_taken)

    def render(self, stmts, depth=1):
        """The lines of stmts, as the loop program writes them."""
        pad = "    " * depth
        out = []
        for s in stmts:
            if isinstance(s, str):
                out.append(pad + fill(s, None))
            elif isinstance(s, For):
                checkpoint = ", checkpoint=" + s.checkpoint if s.checkpoint else ""
                out.append("%sfor %s in range(%s%s) {" % (pad, s.var, s.bounds, checkpoint))
                out += self.render(s.body, depth + 1)
                out.append(pad + "}")
            else:
                head = pad + "if %s {"
                for cond, body in s.arms:
                    out.append(head % cond.text(None))
                    out += self.render(body, depth + 1)
                    head = pad + "} else if %s {"
                if s.orelse is not None:
                    out.append(pad + "} else {")
                    out += self.render(s.orelse, depth + 1)
                out.append(pad + "}")
        return out

    def unroll(self, stmts, env, out, evaluate):
        """Append to out the lines of stmts unrolled: each loop written out
        once per value of its variable (env: the variables' values) up to a
        break, each if replaced by the arm taken (see Cond.decide). Returns
        whether a break ended the loop."""
        for s in stmts:
            if s == BREAK:
                return True
            if isinstance(s, str):
                out.append("    " + fill(s, env))
            elif isinstance(s, For):
                for value in s.values:
                    if self.unroll(s.body, dict(env, **{s.var: value}), out, evaluate):
                        break
            else:
                arm = s.orelse or []
                for cond, body in s.arms:
                    if cond.decide(env, out, evaluate, self.r):
                        arm = body
                        break
                if self.unroll(arm, env, out, evaluate):
                    return True
        return False

    # -------------------------------------------------------- programs
    def program(self, loops=False):
        """Make the program (loops: with loops, ifs and breaks); source()
        writes it."""
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
        self.pshapes = pshapes
        # integers in a quarter of the programs without loops, and
        # Jacobians in a quarter (fewer with loops: their C is bigger);
        # jacobian and hessian take constant sizes only
        self.ints = r.random() < (0.15 if loops else 0.28)
        self.jac = r.random() < (0.12 if loops else 0.28)
        self.const = self.jac or r.random() < 0.05
        if self.ints:
            self.int_params()
        depth = r.randint(2, 3) if loops else r.randint(2, 4)  # (loops make much more C)
        results = []
        # a couple of intermediate values, then a scalar loss over them
        for _ in range(r.randint(1, 2)):
            shape = r.choice(pshapes[1:] or [(self.dims[0],)])
            self.bind(self.expr(shape, depth), shape)
        if self.ints and not loops and r.random() < 0.6:
            self.indexed_update(depth)
        if loops:
            self.feature = r.choice(["nested", "grad", "checkpoint", "order", "two", None])
            self.control()
        # the loss uses every parameter, so every gradient exists
        terms = ["sum(%s)" % self.expr(s, depth - 1) for _, s in self.temps[-1:]]
        for n in self.outputs:
            terms.append("sum(%s(%s))" % (r.choice(["sin", "tanh", "square"]), n))
        for n, s in self.params:
            terms.append("sum(%s(%s))" % (r.choice(["sin", "tanh", "square"]), n))
        self.lines.append("y = " + " + ".join(terms))
        self.y_line = len(self.lines)
        results.append("y")
        if self.temps and r.random() < 0.7:
            self.lines.append("v = %s" % self.temps[-1][0])
            results.append("v")
        if self.ints:
            for _ in range(r.choice([0, 1, 1, 2])):
                self.probe(results)
        # derivatives, nested with create_graph
        wrt = r.choice(self.params)[0]
        if not loops:
            order = r.choice([1, 2, 2, 3])
        else:
            # (g1 is differentiated again by --check and the VJP: the second
            # order through the loops already)
            order = 2 if self.feature == "order" else 1
        self.lines.append("g1 = grad(y, %s, create_graph=true)" % wrt)
        results.append("g1")
        last = "g1"
        for o in range(2, order + 1):
            w2 = r.choice(self.params)[0]
            self.lines.append("g%d = grad(sum(%s(%s)) + y, %s, create_graph=true)" % (
                o, r.choice(["sin", "square", "tanh"]), last, w2))
            results.append("g%d" % o)
            last = "g%d" % o
        self.wrt = wrt
        if self.jac:
            self.jacobians(results)
        # backward into .grad, twice (it accumulates), then clear_grad: the
        # checker compares acc with 2 * ref, and cg with 2 * the input
        self.backward = r.random() < (0.25 if loops else 0.5)
        if self.backward:
            x = r.choice(self.params)[0]
            self.backward = x
            call = r.choice(["backward(y)", "backward([y])", "backward([y], [none])", "backward(y, none, true)",
                             "backward(y, retain_graph=true)"])
            self.lines += [call, call, "acc = %s.grad" % x, "ref = grad(y, %s)" % x,
                           "clear_grad(%s)" % x, "backward(sum(square(%s)))" % x, "cg = %s.grad" % x]
            results += ["acc", "ref", "cg"]
        ps = [(n, "%s%s" % (self.dtype, self.shape_text(s))) for n, s in self.params]
        ps += [(n, "%s%s%s" % (dt, self.shape_text(s), " nograd" if r.random() < 0.2 else ""))
               for n, s, _, dt in self.iparams]
        ps += [(n, "%s%s nograd" % (self.dtype, self.shape_text(s))) for n, s in self.nparams]
        if len(ps) > len(self.params) and r.random() < 0.4:
            r.shuffle(ps)
        self.order = [n for n, _ in ps]
        self.header = "func f(%s) -> " % ", ".join("%s: %s" % p for p in ps)
        self.results = results

    def int_params(self):
        """One to three integer parameters (i64, some i32): scalars, vectors
        and (rarely) matrices of indices, each valid for the axes of at
        least its bound (duplicates included; see inputs())."""
        r = self.r
        for i in range(r.randint(1, 3)):
            kind = r.random()
            if kind < 0.3:
                shape = ()
            elif kind < 0.85:
                shape = (r.choice(self.dims),)
            else:
                shape = (r.choice(self.dims), r.choice(self.dims))
            self.iparams.append(("i%d" % i, shape, r.choice([1, 2, 2, 3, 3, 4]), "i32" if r.random() < 0.2 else "i64"))

    def probe(self, results):
        """A result whose values the tester computes too (check_probes):
        integer arithmetic on the integer parameters, or take, segment_sum,
        scatter_add, one_hot of the parameters."""
        r = self.r
        name = "p%d" % len(self.probes)
        kinds = ["int", "take", "take", "segment", "scatter", "onehot"]
        r.shuffle(kinds)
        for kind in kinds:
            if kind == "int":
                ishape = r.choice([()] + [p[1] for p in self.iparams if len(p[1]) == 1])
                ie = self.iexpr(ishape, 2)
                if ie is None:
                    continue
                line, data = "%s(%s)" % (self.dtype, ie[0]), (ie[1], ishape if "[k]" in ie[1] else ())
            elif kind == "take":
                cands = [(x, xs, a, ip) for x, xs in self.params for a in range(len(xs)) for ip in self.iparams
                         if ip[2] <= size(xs[a]) and len(xs) + len(ip[1]) <= 4]
                if not cands:
                    continue
                x, xs, a, ip = r.choice(cands)
                if not ip[1]:
                    line = "%s[%s%s]" % (x, ":, " * a, ip[0])
                elif a == 0 and r.random() < 0.5:
                    line = "%s[%s]" % (x, ip[0])
                else:
                    line = "take(%s, %s, axis=%d)" % (x, ip[0], a)
                data = (x, xs, a, ip[0])
            elif kind == "segment":
                cands = [(v, vs, ip, dd) for v, vs in self.params for ip in self.iparams for dd in self.dims
                         if vs and ip[1] == vs[:1] and ip[2] <= DIMS[dd]]
                if not cands:
                    continue
                v, vs, ip, dd = r.choice(cands)
                line, data = "segment_sum(%s, %s, %s)" % (v, ip[0], self.dim(dd)), (v, vs, ip[0], dd)
            elif kind == "scatter":
                cands = [(x, xs, v, ip, a) for x, xs in self.params for v, vs in self.params for ip in self.iparams
                         for a in range(len(xs)) if len(ip[1]) == 1 and ip[2] <= size(xs[a]) and len(vs) == len(xs)
                         and vs[:a] + vs[a + 1:] == xs[:a] + xs[a + 1:] and vs[a] == ip[1][0]]
                if not cands:
                    continue
                x, xs, v, ip, a = r.choice(cands)
                line, data = "scatter_add(%s, %s, %s, axis=%d)" % (x, ip[0], v, a), (x, xs, v, ip[0], a)
            else:
                cands = [(ip, dd) for ip in self.iparams for dd in self.dims if len(ip[1]) <= 1 and ip[2] <= DIMS[dd]]
                if not cands:
                    continue
                ip, dd = r.choice(cands)
                line, data = "one_hot(%s, %s, dtype=%s)" % (ip[0], self.dim(dd), self.dtype), (ip[0], dd)
            self.lines.append("%s = %s" % (name, line))
            results.append(name)
            self.probes.append((name, kind, data))
            return

    def jacobians(self, results):
        """jacobian, jvp and hessian of values of the program (constant
        sizes) with respect to a parameter xj, and J^T w by grad, whose
        agreement check_jacobians checks: yj is y, the first gradient g1, or
        an earlier value plus a term in xj (so that each of its elements
        depends on xj). With a second parameter x2, a list of inputs; or a
        list of outputs [yj, y] in jvp."""
        r = self.r
        xj, xs = r.choice(self.params)
        others = [(n, s) for n, s in self.params if n != xj]
        kind = r.choice(["one", "one", "outputs", "inputs"])
        x2 = r.choice(others) if kind == "inputs" and others else None
        cands = [("y", ())] + [(n, s) for n, s in self.temps if s and numel(s) <= 12]
        if self.wrt == xj:
            cands.append(("g1", xs))
        yn, ys = r.choice(cands)
        if yn == "y" or (yn == "g1" and not x2):
            ye = yn
        else:
            t = xj if broadcasts_to(xs, ys) else "mean(%s)" % xj
            if x2:
                t = "%s + mean(%s)" % (t, x2[0])
            ye = "%s + 0.5 * tanh(%s)" % (yn, t)
        self.lines.append("yj = %s" % ye)
        cut = len(self.lines)
        self.nparams += [("vj", xs), ("wj", ys)] + ([("vk", x2[1])] if x2 else [])
        cg = ", create_graph=true" if r.random() < 0.3 else ""
        if x2:
            self.lines.append("J, J2 = jacobian(yj, [%s, %s]%s)" % (xj, x2[0], cg))
            results += ["J", "J2"]
            self.lines.append("jv = jvp(yj, [%s, %s], [vj, vk]%s)" % (xj, x2[0], cg))
            self.lines.append("JTw, JTw2 = grad(sum(yj * wj), [%s, %s], create_graph=true)" % (xj, x2[0]))
            results += ["jv", "JTw", "JTw2"]
        else:
            self.lines.append("J = jacobian(yj, %s%s)" % (xj, cg))
            outputs = kind == "outputs" and yn != "y"
            if outputs:
                self.lines.append("jv, jvy = jvp([yj, y], %s, vj%s)" % (xj, cg))
                results += ["J", "jv", "jvy"]
            else:
                self.lines.append("jv = jvp(yj, %s, vj%s)" % (xj, cg))
                results += ["J", "jv"]
            self.lines.append("JTw = grad(sum(yj * wj), %s, create_graph=true)" % xj)
            results.append("JTw")
        hessian = numel(xs) <= 6 or r.random() < 0.3
        if hessian:
            self.lines.append("H = hessian(y, %s%s)" % (xj, cg))
            results.append("H")
        self.jac = dict(x=xj, xs=xs, ys=ys, x2=x2, outputs="jvy" in results, hessian=hessian, cut=cut)

    def jacobian_rows(self):
        """The program cut after yj, with the gradient of each element of yj
        (and of each element of grad(y, xj), for the Hessian) as results."""
        j = self.jac
        x, x2 = j["x"], j["x2"]
        body = self.render(self.lines[:j["cut"]])
        res = []
        body.append("    jf = reshape(yj, [-1])")
        for k in range(numel(j["ys"])):
            if x2:
                body.append("    r%d, s%d = grad(jf[%d], [%s, %s])" % (k, k, k, x, x2[0]))
                res += ["r%d" % k, "s%d" % k]
            else:
                body.append("    r%d = grad(jf[%d], %s)" % (k, k, x))
                res.append("r%d" % k)
        if j["outputs"]:
            body.append("    gy = grad(y, %s)" % x)
            res.append("gy")
        if j["hessian"]:
            body += ["    gx = grad(y, %s, create_graph=true)" % x, "    gf = reshape(gx, [-1])"]
            for k in range(numel(j["xs"])):
                body.append("    h%d = grad(gf[%d], %s)" % (k, k, x))
                res.append("h%d" % k)
        return "%s(%s) {\n%s\n}\n" % (self.header, ", ".join(res), "\n".join(body))

    def source(self):
        """The program as it is."""
        return "%s(%s) {\n%s\n}\n" % (self.header, ", ".join(self.results), "\n".join(self.render(self.lines)))

    def unrolled(self, evaluate):
        """The program unrolled (see unroll())."""
        body = []
        self.unroll(self.lines, {}, body, evaluate)
        return "%s(%s) {\n%s\n}\n" % (self.header, ", ".join(self.results), "\n".join(body))

    def inputs(self):
        """Values for the parameters, in their order: (name, shape as ints,
        values). A float parameter's values are distinct (so that finite
        differences do not move an argmax); an integer parameter's are
        integers in [0, its bound), duplicates included."""
        out = []
        kinds = dict([(n, (s, None)) for n, s in self.params + self.nparams] +
                     [(n, (s, b)) for n, s, b, _ in self.iparams])
        self.values = {}
        for n in self.order:
            s, bound = kinds[n]
            shape = [size(d) for d in s]
            count = numel(shape)
            if bound is not None:
                vals = [self.r.randrange(bound) for _ in range(count)]
            elif any(n == p for p, _ in self.params):
                vals = [v / 1000 for v in self.r.sample(range(-1500, 1501), count)]
            else:
                vals = [round(self.r.uniform(-1.5, 1.5), 3) for _ in range(count)]
            self.values[n] = vals
            out.append((n, shape, vals))
        return out


def nest(shape, vals):
    if not shape:
        return vals[0]
    step = len(vals) // shape[0] if shape[0] else 0
    return [nest(shape[1:], vals[i * step:(i + 1) * step]) for i in range(shape[0])]


def run(cmd, **kw):
    """Run cmd to its end, or for 600 s: then kill it and what it started
    (a compiler driver's passes) and raise TimeoutExpired."""
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                          **kw) as p:
        try:
            out, err = p.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


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
    loops = seed % 3 == 0
    g.program(loops)
    ins = g.inputs()
    inputs = []
    for n, shape, vals in ins:
        inputs += ["--input", "%s=%s" % (n, repr(nest(shape, vals)))]
    failure = None
    if loops:
        # the unrolled form first: it decides the ifs' thresholds
        try:
            with open(os.path.join(work, "unrolled.ad"), "w") as f:
                f.write(g.unrolled(lambda prefix, e: evaluate(args, g, work, inputs, prefix, e)))
        except Failure as e:
            failure = str(e)
    src = g.source()
    prog = os.path.join(work, "prog.ad")
    with open(prog, "w") as f:
        f.write(src)
    if failure:
        return failure
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
    r = run([args.ad, "--check", "f", prog] + inputs)
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
    if args.threads:
        msg = check_threads(args, work, prog, ref_name, ref, tol)
        if msg:
            return msg
    # the forward/backward pair agrees with the VJP
    secs = split_sections(ref)
    nres = len([1 for _ in src.split("->")[1].split("{")[0].strip(" ()").split(",")])
    grads = secs[nres:]
    half = len(grads) // 2
    msg = compare("the VJP", sum(grads[:half], []), "forward/backward", sum(grads[half:], []), tol)
    if msg:
        return "VJP and forward/backward disagree: " + msg
    res = {sec[0][2:]: sec[1:] for sec in secs[:nres]}
    msg = check_grads(args, g, ins, inputs, work, res)
    if not msg and g.probes:
        msg = check_probes(g, res)
    if not msg and g.jac:
        msg = check_jacobians(args, g, work, inputs, res)
    if not msg and loops:
        msg = check_unrolled(args, g, work, inputs)
    if msg or not check_failed:
        return msg
    biggest = max([abs(v) for sec in secs[:nres] for v in sec[1:]] + [0])
    if biggest > FD_LIMIT:
        return UNJUDGED
    return check_failed


UNJUDGED = "unjudged"


def check_threads(args, work, prog, ref_name, ref, tol):
    """9. The code of --threads, built with -fopenmp so that every kernel
    that can split does (-DAD_PAR_MIN_=1, sums in chunks of 2, loops in
    blocks of 4): the same bytes on 1 and 3 threads, and the numbers of the
    serial code to the compilers' tolerance (its sums are in chunks)."""
    tdir = os.path.join(work, "threads")
    os.mkdir(tdir)
    r = run([args.ad, prog, "--threads", "-o", os.path.join(tdir, "prog.c"), "--header", os.path.join(tdir, "prog.h")])
    if r.returncode != 0:
        return "ad-compile --threads exit %d: %s" % (r.returncode, r.stderr.strip()[:600])
    exe = os.path.join(tdir, "h-omp")
    r = run(["gcc", "-O2", "-fopenmp", "-DAD_PAR_MIN_=1", "-DAD_CHUNK_=2", "-DAD_BLOCK_=4", "-DMETA=f_meta",
             "-I" + tdir, HARNESS, "prog.c", "-o", exe, "-lm"], cwd=tdir)
    if r.returncode != 0:
        return "gcc -fopenmp cannot build the harness on --threads code: %s" % r.stderr.strip()[:600]
    printed = []
    for nt in (1, 3):
        r = run([exe, os.path.join(work, "inputs.txt")], env=dict(os.environ, OMP_NUM_THREADS=str(nt)))
        if r.returncode != 0:
            return "--threads on %d threads: the harness failed: %s" % (nt, r.stderr.strip()[:300])
        printed.append(r.stdout)
    if printed[0] != printed[1]:
        one, three = printed[0].splitlines(), printed[1].splitlines()
        at = next((i for i, (a, b) in enumerate(zip(one, three)) if a != b), min(len(one), len(three)))
        return "--threads: 1 and 3 threads print different numbers from line %d on" % (at + 1)
    msg = compare(ref_name, ref, "--threads", parse_numbers(printed[0]), tol)
    return "--threads disagrees with the serial code: " + msg if msg else None


def check_grads(args, g, ins, inputs, work, res):
    """The in-program gradients against independent values: g1 against the
    gradient --grad computes for the program cut after y (itself checked
    against finite differences), and backward's .grad against 2 * grad and
    2 * x."""
    tol = 1e-8 if g.dtype == "f64" else 1e-3
    prog_y = os.path.join(work, "prog_y.ad")
    with open(prog_y, "w") as f:
        f.write(g.header + "(y) {\n" + "\n".join(g.render(g.lines[:g.y_line])) + "\n}\n")
    r = run([args.ad, "--grad", "f", prog_y, "--format=json"] + inputs)
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


def check_probes(g, res):
    """The results the tester computes too: integer arithmetic (Python's
    // and %, as the contract's), take, segment_sum, scatter_add, one_hot."""
    tol = 1e-12 if g.dtype == "f64" else 1e-5
    val = g.values
    for name, kind, data in g.probes:
        if kind == "int":
            py, shape = data
            want = [eval(py, {"E": val, "k": k}) for k in range(numel(shape))]
        elif kind == "take":
            x, xs, a, i = data
            want = flat_take(val[x], xs, val[i], None, a)
        elif kind == "segment":
            v, vs, i, dd = data
            want = flat_scatter_add([0.0] * (DIMS[dd] * numel(vs[1:])), (dd,) + vs[1:], val[i], val[v], 0)
        elif kind == "scatter":
            x, xs, v, i, a = data
            want = flat_scatter_add(val[x], xs, val[i], val[v], a)
        else:
            i, dd = data
            want = [1.0 if c == j else 0.0 for c in val[i] for j in range(DIMS[dd])]
        msg = compare(name, res[name], "the tester", [float(w) for w in want], tol)
        if msg:
            return "%s (%s) is wrong: %s" % (name, kind, msg)
    return None


def dot(a, b):
    """The inner product, and the sum of the terms' sizes (its scale)."""
    return sum(x * y for x, y in zip(a, b)), sum(abs(x * y) for x, y in zip(a, b))


def check_jacobians(args, g, work, inputs, res):
    """jacobian, jvp and hessian against reverse mode: J against the
    gradients of yj's elements (jrows.ad: grad(jf[k], x) for each k), jvp
    against J v, J^T w (grad of sum(yj * w)) against the rows, <J v, w>
    against <v, J^T w>, H against the Jacobian of grad(y, x) (reverse over
    reverse), and the same with a second input or a second output."""
    tol = 1e-8 if g.dtype == "f64" else 1e-3
    j = g.jac
    path = os.path.join(work, "jrows.ad")
    with open(path, "w") as f:
        f.write(g.jacobian_rows())
    r = run([args.ad, "--run", "f", path, "--format=json"] + inputs)
    if r.returncode != 0:
        return "--run of jrows.ad (each element's gradient): exit %d: %s" % (r.returncode, r.stderr.strip()[:600])
    rows = {k: json_numbers(v) for k, v in json.loads(r.stdout).items()}
    K, N = numel(j["ys"]), numel(j["xs"])
    val = g.values
    v, w = val["vj"], val["wj"]
    R = [rows["r%d" % k] for k in range(K)]

    def near(what, a, b, scale):
        # (to the sizes of the terms summed: their rounding errors add up)
        if not abs(a - b) <= tol * max(1.0, scale, abs(a), abs(b)):  # (false for NaN)
            return "%s: %r against %r" % (what, a, b)
        return None
    msg = compare("jacobian(yj, %s)" % j["x"], res["J"], "the stacked grad(yj[k], %s)" % j["x"], sum(R, []), tol)
    if msg:
        return "jacobian and the rows of reverse mode disagree: " + msg
    blocks = [(R, v, res["JTw"], res["J"])]
    if j["x2"]:
        S = [rows["s%d" % k] for k in range(K)]
        msg = compare("jacobian(yj, [.., %s])[1]" % j["x2"][0], res["J2"], "the stacked grad(yj[k], %s)" % j["x2"][0],
                      sum(S, []), tol)
        if msg:
            return "jacobian of a list of inputs and the rows of reverse mode disagree: " + msg
        blocks.append((S, val["vk"], res["JTw2"], res["J2"]))
    # jvp against J v (the sum over the inputs)
    for k in range(K):
        terms = [dot(Jm[k * len(vv):(k + 1) * len(vv)], vv) for _, vv, _, Jm in blocks]
        msg = near("jvp element %d against (J v)[%d]" % (k, k), res["jv"][k], sum(t[0] for t in terms),
                   sum(t[1] for t in terms))
        if msg:
            return msg
    # J^T w from grad against the rows
    for rows_, vv, jtw, _ in blocks:
        want = [sum(rows_[k][i] * w[k] for k in range(K)) for i in range(len(vv))]
        msg = compare("grad(sum(yj * wj))", jtw, "J^T w from the rows", want, tol)
        if msg:
            return "J^T w disagrees: " + msg
    # <J v, w> = <v, J^T w>: forward mode against reverse mode
    lhs = dot(res["jv"], w)
    rhs = [dot(vv, jtw) for _, vv, jtw, _ in blocks]
    msg = near("<jvp, w> against <v, J^T w>", lhs[0], sum(t[0] for t in rhs), max(lhs[1], sum(t[1] for t in rhs)))
    if msg:
        return msg
    if j["outputs"]:
        msg = near("jvp of y (a list of outputs) against <grad(y), v>", res["jvy"][0], *dot(rows["gy"], v))
        if msg:
            return msg
    if j["hessian"]:
        Hr = sum([rows["h%d" % k] for k in range(N)], [])
        msg = compare("hessian(y, %s)" % j["x"], res["H"], "the Jacobian of grad(y) (reverse over reverse)", Hr, tol)
        if msg:
            return "hessian and reverse over reverse disagree: " + msg
    return None


class Failure(Exception):
    """A check failed: the message says how."""


def json_numbers(result):
    """The numbers of one result of --format=json (None for a none)."""
    if result is None:
        return None
    return [float(v) for v in result["data"]]  # float() reads "NaN" and "Infinity" too


def evaluate(args, g, work, inputs, prefix, expr):
    """The value of expr after the unrolled lines prefix (ad-compile --run)."""
    path = os.path.join(work, "cond.ad")
    with open(path, "w") as f:
        f.write("%s(cnd) {\n%s\n    cnd = %s\n}\n" % (g.header, "\n".join(prefix), expr))
    r = run([args.ad, "--run", "f", path, "--format=json"] + inputs)
    if r.returncode != 0:
        raise Failure("the unrolled form up to an if (%s): --run exit %d: %s" % (
            path, r.returncode, r.stderr.strip()[:600]))
    return json_numbers(json.loads(r.stdout)["cnd"])[0]


def check_unrolled(args, g, work, inputs):
    """The loop program against its unrolled form: the same results
    (--run) and the same gradients of them all (--grad, seeds of ones)."""
    tol = 1e-10 if g.dtype == "f64" else 1e-4
    for mode in ("--run", "--grad"):
        outs = []
        for name in ("prog.ad", "unrolled.ad"):
            r = run([args.ad, mode, "f", os.path.join(work, name), "--format=json"] + inputs)
            if r.returncode != 0:
                return "%s of %s: exit %d: %s" % (mode, name, r.returncode, r.stderr.strip()[:600])
            outs.append(json.loads(r.stdout))
        loop, flat = outs
        if list(loop) != list(flat):
            return "%s: the loop program gives %s, its unrolled form %s" % (mode, list(loop), list(flat))
        for key in loop:
            a, b = json_numbers(loop[key]), json_numbers(flat[key])
            msg = "the loop program gives none, its unrolled form not" if a is None and b is not None else None
            if a is not None:
                msg = compare("the loop program", a, "its unrolled form", b or [], tol)
            if msg:
                return "%s, %s of the loop program and of its unrolled form disagree: %s" % (mode, key, msg)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ad", required=True, help="the ad-compile program")
    ap.add_argument("--count", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep failing programs in this directory")
    ap.add_argument("--show", action="store_true", help="print each program")
    ap.add_argument("--progress", type=int, default=0, help="report every N programs")
    ap.add_argument("--loops", action="store_true", help="only loop programs (the seeds divisible by 3)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="programs checked at once")
    args = ap.parse_args()
    args.ad = os.path.abspath(args.ad)
    # 9. --threads, where gcc has OpenMP
    probe = subprocess.run(["gcc", "-fopenmp", "-x", "c", "-", "-o", os.devnull], input="int main(void){return 0;}",
                           capture_output=True, text=True) if shutil.which("gcc") else None
    args.threads = bool(probe) and probe.returncode == 0
    if not args.threads:
        print("difftest: gcc -fopenmp does not work; --threads not checked")
    compilers = []
    asan = ["gcc", "-O0", "-g", "-fsanitize=address,undefined", "-fsanitize=float-cast-overflow",
            "-fno-sanitize-recover=all"]
    for name, cc, flags in [("tcc", ["tcc"], []), ("gcc -O0", ["gcc", "-O0"], []), ("gcc -O2", ["gcc", "-O2"], []),
                            ("clang -O2", ["clang", "-O2", "-ffp-contract=off"], []), ("gcc sanitized", asan, ["--guard"])]:
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

    seeds = range(args.seed, args.seed + args.count)
    if args.loops:  # the first count seeds divisible by 3 from seed
        first = args.seed + (-args.seed) % 3
        seeds = range(first, first + 3 * args.count, 3)
    passed = failed = unjudged = 0
    # programs are independent: several at once (each runs its compilers in turn)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, (seed, msg, shown) in enumerate(pool.map(one, seeds)):
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
