#!/usr/bin/env python3
"""Compare bench/adbench/run with the oracle's expected-values files.

Usage:
  check.py [--timeout S] RUN_COMMAND_PREFIX EXPECTED.json...
e.g.
  python3 bench/adbench/check.py bench/adbench/run bench/adbench/expected/*.json

RUN_COMMAND_PREFIX is split like a shell word list, so
"/usr/bin/python3 bench/adbench/reference.py" checks the oracle against
itself. For each file it runs
  RUN PROBLEM FILE [--model DIR] --format=json
with FILE (and the hand model DIR) resolved from this script's location:
"shared" paths are relative to <repo>/../shared/adbench/data, "repo" paths
to the repository. Standard library only (CI has neither torch nor numpy).

Tolerance. Every output array (objective, gradient, residual vectors, the
stored Jacobian entries) passes when
    max_i |ours_i - ref_i| <= 1e-8 * max(max_i |ref_i|, 1e-300),
i.e. the error is measured against the array's largest reference value. A
stored sum S = sum_i g(r_i) over a full output that the expected file
keeps only in aggregate passes when |ours - ref| <= 1e-8 * sum_i |g(r_i)|
(for an array of such sums, against the largest of those). Sizes, sparsity
structure and index checksums must match exactly.

Prints "PASS name (worst rel err E)" or "FAIL name: what differs" per file
and a final "N passed, M failed"; exits 1 if any failed.
"""

import json
import math
import os
import shlex
import subprocess
import sys

TOL = 1e-8
TINY = 1e-300

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.realpath(os.path.join(HERE, "..", ".."))
ROOTS = {"shared": os.path.realpath(os.path.join(REPO, "..", "shared", "adbench", "data")),
         "repo": REPO}


class Mismatch(Exception):
    pass


class Comparison:
    """Collects the worst relative error and every difference found."""

    def __init__(self):
        self.worst = 0.0
        self.problems = []

    def differ(self, msg):
        self.problems.append(msg)

    def number_list(self, name, value, length=None):
        if not isinstance(value, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise Mismatch("%s is not a list of numbers" % name)
        if length is not None and len(value) != length:
            raise Mismatch("%s has %d numbers, expected %d" % (name, len(value), length))
        return value

    def array(self, name, ours, ref):
        """The per-array rule: max|ours - ref| <= TOL * max(max|ref|, TINY)."""
        ours = self.number_list(name, ours, len(ref))
        scale = max(max((abs(r) for r in ref), default=0.0), TINY)
        err, where = 0.0, None
        for i, (a, b) in enumerate(zip(ours, ref)):
            d = abs(a - b)
            if not d <= err:          # also catches NaN
                err, where = d, i
                if d != d:
                    break
        rel = err / scale if err == err else float("inf")
        self.worst = max(self.worst, rel)
        if not rel <= TOL:
            self.differ("%s[%d] = %r, expected %r (rel err %.3g)"
                        % (name, where, ours[where], ref[where], rel))

    def scalar(self, name, ours, ref):
        if isinstance(ours, list) and len(ours) == 1:
            ours = ours[0]
        self.array(name, [ours] if isinstance(ours, (int, float)) else ours, [ref])

    def aggregate(self, name, ours, ref, scale):
        """A sum over a full output: |ours - ref| <= TOL * sum|ref terms|."""
        err = abs(ours - ref)
        rel = err / max(scale, TINY) if err == err else float("inf")
        self.worst = max(self.worst, rel)
        if not rel <= TOL:
            self.differ("%s = %r, expected %r (rel err %.3g)" % (name, ours, ref, rel))

    def exact(self, name, ours, ref):
        if ours != ref:
            self.differ("%s = %r, expected %r" % (name, ours, ref))

    def sums(self, name, values, ref):
        """values: the run's full array; ref: length, sum, sum_abs, sum_sq."""
        values = self.number_list(name, values, ref["length"])
        self.aggregate(name + " sum", math.fsum(values), ref["sum"], ref["sum_abs"])
        self.aggregate(name + " sum|.|", math.fsum(abs(v) for v in values),
                       ref["sum_abs"], ref["sum_abs"])
        self.aggregate(name + " sum of squares", math.fsum(v * v for v in values),
                       ref["sum_sq"], ref["sum_sq"])


def field(obj, key, name=None):
    if not isinstance(obj, dict) or key not in obj:
        raise Mismatch("output has no %r" % (name or key))
    return obj[key]


def check_gradient(cmp, out, exp):
    cmp.scalar("objective", field(out, "objective"), exp["objective"])
    cmp.array("gradient", field(out, "gradient"), exp["gradient"])


def check_ba(cmp, out, exp):
    p = exp["p"]
    reproj = cmp.number_list("reproj_err", field(out, "reproj_err"), 2 * p)
    werr = cmp.number_list("w_err", field(out, "w_err"), p)
    cmp.sums("reproj_err", reproj, exp["reproj_err"])
    cmp.sums("w_err", werr, exp["w_err"])
    jac = field(out, "jacobian")
    ej = exp["jacobian"]
    cmp.exact("jacobian.nrows", field(jac, "nrows", "jacobian.nrows"), ej["nrows"])
    cmp.exact("jacobian.ncols", field(jac, "ncols", "jacobian.ncols"), ej["ncols"])
    indptr = field(jac, "indptr", "jacobian.indptr")
    indices = field(jac, "indices", "jacobian.indices")
    data = cmp.number_list("jacobian.data", field(jac, "data", "jacobian.data"), ej["nnz"])
    nrows, ncols = ej["nrows"], ej["ncols"]
    if not (isinstance(indptr, list) and len(indptr) == nrows + 1):
        raise Mismatch("jacobian.indptr should hold nrows + 1 = %d entries" % (nrows + 1))
    if not (isinstance(indices, list) and len(indices) == ej["nnz"]):
        raise Mismatch("jacobian.indices should hold nnz = %d entries" % ej["nnz"])
    if not all(isinstance(v, int) for v in indptr) or not all(isinstance(v, int) for v in indices):
        raise Mismatch("jacobian.indptr and .indices must be integers")
    if indptr[0] != 0 or indptr[-1] != ej["nnz"]:
        raise Mismatch("jacobian.indptr runs from %d to %d, expected 0 to %d"
                       % (indptr[0], indptr[-1], ej["nnz"]))
    # structure: 15 entries in each reprojection row, 1 in each weight row,
    # columns ascending and in range
    for r in range(nrows):
        a, b = indptr[r], indptr[r + 1]
        want = 15 if r < 2 * p else 1
        if b - a != want:
            raise Mismatch("jacobian row %d has %d entries, expected %d" % (r, b - a, want))
        row = indices[a:b]
        if any(x >= y for x, y in zip(row, row[1:])) or row[0] < 0 or row[-1] >= ncols:
            raise Mismatch("jacobian row %d's columns are not ascending within [0, %d): %r"
                           % (r, ncols, row))
    cmp.exact("sum of jacobian.indices", sum(indices), ej["indices_sum"])
    cmp.exact("sum of squared jacobian.indices", sum(c * c for c in indices), ej["indices_sum_sq"])
    cmp.sums("jacobian.data", data, ej["data"])
    # the stored observations, entry by entry
    ours_r, ref_r, ours_w, ref_w, ours_d, ref_d = [], [], [], [], [], []
    for ob in exp["observations"]:
        i = ob["obs"]
        ours_r += reproj[2 * i:2 * i + 2]
        ref_r += ob["reproj_err"]
        ours_w.append(werr[i])
        ref_w.append(ob["w_err"])
        for row in ob["rows"]:
            r = row["row"]
            cols = indices[indptr[r]:indptr[r + 1]]
            if cols != row["indices"]:
                cmp.differ("jacobian row %d has columns %r, expected %r" % (r, cols, row["indices"]))
                continue
            ours_d += data[indptr[r]:indptr[r + 1]]
            ref_d += row["data"]
    cmp.array("reproj_err (stored observations)", ours_r, ref_r)
    cmp.array("w_err (stored observations)", ours_w, ref_w)
    cmp.array("jacobian.data (stored rows)", ours_d, ref_d)


def check_ht(cmp, out, exp):
    ej = exp["jacobian"]
    nrows, ncols = ej["nrows"], ej["ncols"]
    cmp.array("objective", field(out, "objective"), exp["objective"])
    jac = field(out, "jacobian")
    if not isinstance(jac, list) or len(jac) != nrows:
        raise Mismatch("jacobian should be a list of %d rows" % nrows)
    for r, row in enumerate(jac):
        cmp.number_list("jacobian[%d]" % r, row, ncols)
    ours, ref = [], []
    for r, values in zip(ej["rows"], ej["values"]):
        ours += jac[r]
        ref += values
    cmp.array("jacobian (stored rows)", ours, ref)
    # column sums over all rows, each array against its largest sum|.|
    cols = ej["columns"]
    scale = max(cols["sum_abs"] + [0.0])
    for c in range(ncols):
        column = [jac[r][c] for r in range(nrows)]
        cmp.aggregate("jacobian column %d sum" % c, math.fsum(column), cols["sum"][c], scale)
        cmp.aggregate("jacobian column %d sum|.|" % c, math.fsum(abs(v) for v in column),
                      cols["sum_abs"][c], scale)
        cmp.aggregate("jacobian column %d sum of squares" % c, math.fsum(v * v for v in column),
                      cols["sum_sq"][c], max(cols["sum_sq"] + [0.0]))


CHECKERS = {"gmm": check_gradient, "lstm": check_gradient, "ba": check_ba,
            "ht": check_ht, "ht_complicated": check_ht}


def resolve(exp, key):
    return os.path.join(ROOTS[exp[key + "_root"]], exp[key])


def tail(text, limit=2000):
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def check_file(run_prefix, path, timeout):
    """Returns (passed, message)."""
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path) as fh:
            exp = json.load(fh)
        problem = exp["problem"]
        cmd = run_prefix + [problem, resolve(exp, "file")]
        if "model" in exp:
            cmd += ["--model", resolve(exp, "model")]
        cmd.append("--format=json")
    except (OSError, ValueError, KeyError) as e:
        return False, "FAIL %s: unreadable expected file %s: %s" % (name, path, e)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "FAIL %s: %s ran past %g s" % (name, " ".join(cmd), timeout)
    except OSError as e:
        return False, "FAIL %s: cannot run %s: %s" % (name, " ".join(cmd), e)
    if proc.returncode != 0:
        return False, "FAIL %s: %s exited with status %d\n%s" % (
            name, " ".join(cmd), proc.returncode, tail(proc.stderr))
    try:
        out = json.loads(proc.stdout)
    except ValueError as e:
        return False, "FAIL %s: %s printed invalid JSON (%s)\n%s" % (
            name, " ".join(cmd), e, tail(proc.stderr))
    cmp = Comparison()
    try:
        CHECKERS[problem](cmp, out, exp)
    except Mismatch as e:
        cmp.differ(str(e))
    except KeyError as e:
        return False, "FAIL %s: unknown problem or malformed expected file (%s)" % (name, e)
    if cmp.problems:
        shown = cmp.problems[:5]
        more = len(cmp.problems) - len(shown)
        return False, "FAIL %s: %s%s" % (name, "; ".join(shown),
                                          " (and %d more)" % more if more else "")
    return True, "PASS %s (worst rel err %.1e)" % (name, cmp.worst)


def main(argv):
    args = list(argv)
    timeout = 1800.0
    if args and args[0].startswith("--timeout"):
        opt = args.pop(0)
        value = opt.split("=", 1)[1] if "=" in opt else (args.pop(0) if args else "")
        try:
            timeout = float(value)
        except ValueError:
            sys.stderr.write("check.py: --timeout needs a number of seconds\n")
            return 2
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    run_prefix = shlex.split(args[0])
    passed = failed = 0
    for path in args[1:]:
        ok, message = check_file(run_prefix, path, timeout)
        print(message)
        sys.stdout.flush()
        if ok:
            passed += 1
        else:
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
