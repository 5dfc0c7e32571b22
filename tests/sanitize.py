#!/usr/bin/env python3
"""The emitted C under AddressSanitizer and UBSan, with every array against
guard pages.

Every program of the test suite goes through `ad-compile -o` and is built
with gcc -O0 -fsanitize=address,undefined (-fno-sanitize-recover) together
with tests/harness.c, which calls each function's entry points (plain,
_work, the VJP three ways, forward and backward twice) with every array it
passes placed against a PROT_NONE page, after and before. Any read or write
outside an array stops the run with a report, and so does undefined
behaviour. What the harness prints must then agree with:

  - NumPy's values, for the value cases (values/cases.json);
  - ad-compile --run and --grad (the JIT), for the acceptance and gradient
    cases (acceptance/cases.json, grad/cases.json) with their inputs, and for
    every function of the golden programs, the regression programs, the
    sanitizer reproducers (sanitize/), the samples and the benchmarks, with
    random inputs (each symbolic dimension 3; else 4, 2, 1 when a function's
    conditions reject 3). The op-by-op adjoint programs (adjoint/) are
    checked in f64, as check_adjoint checks them.

    sanitize.py --ad build/ad-compile [--jobs N] [--keep DIR] [--cc gcc]

Prints one line per failure and ends with "N passed, M failed"."""

import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SANFLAGS = ["-std=c99", "-O0", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
            "-fsanitize=float-cast-overflow", "-fno-sanitize-recover=all"]
# the programs with random inputs: (folder, pattern), relative to the source tree
PROGRAMS = ["tests/emit", "tests/ir", "tests/regress", "tests/adjoint", "tests/grad", "tests/acceptance",
            "tests/sanitize", "tests/ir-in", "tests/loops", "samples", "bench"]
SIZES = ["", "*=4", "*=2", "*=1"]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)


def flatten(v):
    return [e for x in v for e in flatten(x)] if isinstance(v, list) else [v]


def shape(v):
    return [len(v)] + shape(v[0]) if isinstance(v, list) and v else ([0] if isinstance(v, list) else [])


def number(x):
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(x, x)


def close(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def sections(text):
    """The harness's output: [(name, [numbers])], in order."""
    out = []
    for line in text.splitlines():
        if line.startswith("# "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(float(line))
    return out


class Program:
    """One .ad file, emitted and built with the harness under the sanitizers."""

    def __init__(self, args, path, work):
        self.path, self.work, self.exe, self.funcs = path, work, None, []
        # IR files (tests/ir-in) may hold control flow, which is not differentiated yet (LANGUAGE.md
        # section 10 comes with its adjoint rules): only the functions themselves
        entry = ["--entry=plain,work"] if path.endswith(".ir") else []
        r = run([args.ad, path, "-o", os.path.join(work, "prog.c"), "--header", os.path.join(work, "prog.h")] + entry)
        if r.returncode != 0:
            self.error = "ad-compile -o exit %d: %s" % (r.returncode, r.stderr.strip()[:400])
            return
        header = open(os.path.join(work, "prog.h")).read()
        pairs = re.findall(r"need to know of (\w+)\. \*/\nextern const ad_meta (\w+);", header)
        self.funcs = [f for f, _ in pairs]
        metas = ", ".join("&" + m for _, m in pairs)
        exe = os.path.join(work, "h")
        r = run([args.cc] + SANFLAGS + ["-I" + work, "-DMETAS=" + metas, os.path.join(HERE, "harness.c"),
                                        os.path.join(work, "prog.c"), "-o", exe, "-lm"])
        if r.returncode != 0:
            self.error = "%s cannot build the harness: %s" % (args.cc, r.stderr.strip()[:600])
            return
        self.exe, self.error = exe, None

    def harness(self, func, inputs_file=None, sizes=None):
        cmd = [self.exe, "--guard", "--func", func]
        cmd += [inputs_file] if inputs_file else ["--random", sizes]
        return run(cmd, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"))


def write_inputs(path, params, inputs):
    """The harness's input file, in the order of the function's parameters."""
    with open(path, "w") as f:
        for name in params:
            v = inputs[name]
            sh = shape(v)
            f.write("%d %s\n%s\n" % (len(sh), " ".join(map(str, sh)), " ".join(repr(float(number(x)))
                                                                              for x in flatten(v))))


def nest(vals, sh):
    if not sh:
        return vals[0]
    step = len(vals) // sh[0] if sh[0] else 0
    return [nest(vals[i * step:(i + 1) * step], sh[1:]) for i in range(sh[0])]


def read_inputs(text, params):
    """Inputs in the harness's format, as JSON values per parameter name."""
    lines = text.splitlines()
    out = {}
    for i, name in enumerate(params):
        sh = [int(x) for x in lines[2 * i].split()[1:]]
        # (integral values as JSON integers: an integer parameter takes no
        # float, and a float parameter takes integers too)
        vals = [int(float(x)) if float(x).is_integer() else float(x) for x in lines[2 * i + 1].split()]
        out[name] = nest(vals, sh)
    return out


def params_of(prog, func):
    """The parameter names of func, in order."""
    return run([prog.exe, "--func", func, "--params"]).stdout.split()


def against_jit(args, prog, func, inputs, params, res, tol):
    """The harness's sections against ad-compile --run and --grad."""
    rtol, atol = tol
    cmd_in = []
    for name in params:
        path = os.path.join(prog.work, "%s-%s.json" % (func, name))
        with open(path, "w") as f:
            json.dump(inputs[name], f)
        cmd_in += ["--input", "%s=@%s" % (name, path)]
    r = run([args.ad, "--run", func, prog.path, "--format=json"] + cmd_in)
    if r.returncode != 0:
        return "--run exit %d: %s" % (r.returncode, r.stderr.strip()[:300])
    jit = json.loads(r.stdout)
    names = list(jit)
    for k, name in enumerate(names):
        want = [0.0] * len(res[k][1]) if jit[name] is None else [number(x) for x in jit[name]["data"]]
        got = res[k][1]
        if len(got) != len(want):
            return "%s: %d elements, the JIT gives %d" % (name, len(got), len(want))
        for i, (g, w) in enumerate(zip(got, want)):
            if not close(g, w, rtol, atol):
                return "%s[%d]: %r, the JIT gives %r" % (name, i, g, w)
    grads = res[len(names):]
    if not grads:
        return None
    r = run([args.ad, "--grad", func, prog.path, "--format=json", "--allow-unused"] + cmd_in)
    if r.returncode != 0:
        return "--grad exit %d: %s" % (r.returncode, r.stderr.strip()[:300])
    jit = json.loads(r.stdout)
    half = len(grads) // 2
    for which, part in (("the VJP", grads[:half]), ("backward", grads[half:])):
        for name, got in part:
            want = [0.0] * len(got) if jit.get(name) is None else [number(x) for x in jit[name]["data"]]
            for i, (g, w) in enumerate(zip(got, want)):
                if not close(g, w, rtol, atol):
                    return "%s: d/d%s[%d] = %r, --grad gives %r" % (which, name, i, g, w)
    return None


def tolerance(prog, func):
    text = open(prog.path).read()
    return (1e-4, 1e-5) if "f32" in text else (1e-10, 1e-12)


def check_random(args, prog, func):
    """One function with random inputs: clean under the sanitizers, and as the JIT."""
    params = params_of(prog, func)
    for sizes in SIZES:
        r = run([prog.exe, "--func", func, "--random", sizes, "--show-inputs"])
        if r.returncode != 0:
            return "the harness cannot make inputs: %s" % r.stderr.strip()[:300]
        inputs = read_inputs(r.stdout, params)
        r = prog.harness(func, sizes=sizes)
        if r.returncode == 2:
            continue  # these sizes do not fit its conditions: the next ones
        if r.returncode != 0:
            return "the harness (random inputs %s): exit %d: %s" % (sizes or "*=3", r.returncode,
                                                                    r.stderr.strip()[-1500:])
        return against_jit(args, prog, func, inputs, params, sections(r.stdout), tolerance(prog, func))
    return "no sizes fit (tried %s)" % ", ".join(s or "*=3" for s in SIZES)


def check_case(args, prog, func, inputs, expect, tol):
    """One function with given inputs: clean, and as expected (NumPy) or as the JIT."""
    params = params_of(prog, func)
    missing = [p for p in params if p not in inputs]
    if missing:
        return "no input for %s" % ", ".join(missing)
    path = os.path.join(prog.work, "inputs-%s.txt" % func)
    write_inputs(path, params, inputs)
    r = prog.harness(func, inputs_file=path)
    if r.returncode != 0:
        return "the harness: exit %d: %s" % (r.returncode, r.stderr.strip()[-1500:])
    res = sections(r.stdout)
    if expect is None:
        return against_jit(args, prog, func, inputs, params, res, tol)
    got = dict(res)
    for name, want in expect.items():
        if name not in got:
            return "no result %s" % name
        want = [number(x) for x in flatten(want)]
        if len(want) != len(got[name]):
            return "%s: %d elements, NumPy gives %d" % (name, len(got[name]), len(want))
        for i, (g, w) in enumerate(zip(got[name], want)):
            if not close(g, w, tol[0], tol[1]):
                return "%s[%d] = %r, NumPy gives %r" % (name, i, g, w)
    return None


def jobs_from(args):
    """(label, path or source, [(func, inputs, expect, tol)]) per program."""
    jobs = []
    values = json.load(open(os.path.join(HERE, "values", "cases.json")))["cases"]
    for c in values:
        jobs.append(("values: " + c["name"], ("source", c["source"]),
                     [(c["func"], c["inputs"], c["expect"], (c["rtol"], c["atol"]))]))
    by_file = {}
    for rel in ("acceptance/cases.json", "grad/cases.json", "infinity/cases.json", "ir-in/control.json",
                "loops/cases.json", "ints/cases.json", "jac/cases.json", "index/cases.json",
                "prims/cases.json", "linalg/cases.json", "shapes/cases.json"):
        base = os.path.dirname(os.path.join(HERE, rel))
        for c in json.load(open(os.path.join(HERE, rel)))["cases"]:
            if c.get("exit", 0) != 0:
                continue
            path = os.path.join(base, c["file"])
            by_file.setdefault(path, []).append((c["func"], c.get("inputs", {}), None,
                                                 (c.get("rtol", 1e-6) / 10, c.get("atol", 1e-6) / 10)))
    for path, cases in sorted(by_file.items()):
        jobs.append(("cases: " + os.path.relpath(path, TOP), ("file", path), cases))
    for d in PROGRAMS:
        folder = os.path.join(TOP, d)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if name.endswith(".ad") or (name.endswith(".ir") and d == "tests/ir-in"):
                jobs.append(("random: %s/%s" % (d, name), ("file", os.path.join(folder, name)), None))
    return jobs


def one(args, job):
    label, (kind, what), cases = job
    work = tempfile.mkdtemp(prefix="ad-sanitize-")
    fails = []
    try:
        path = what
        if kind == "source" or "/adjoint/" in what:
            # the adjoint programs are checked in f64 (as check_adjoint does)
            text = what if kind == "source" else re.sub(r"\bf32\b", "f64", open(what).read())
            path = os.path.join(work, os.path.basename(what) if kind == "file" else "case.ad")
            with open(path, "w") as f:
                f.write(text)
        prog = Program(args, path, work)
        if prog.error:
            return label, 1, [prog.error]
        checks = cases if cases is not None else [(f, None, None, None) for f in prog.funcs]
        for func, inputs, expect, tol in checks:
            try:
                if inputs is None:
                    msg = check_random(args, prog, func)
                else:
                    msg = check_case(args, prog, func, inputs, expect, tol)
            except subprocess.TimeoutExpired:
                msg = "timeout"
            except (OSError, ValueError, IndexError, KeyError) as e:
                msg = "the check itself failed: %r" % e
            if msg:
                fails.append("%s: %s" % (func, msg))
        return label, len(checks), fails
    finally:
        if fails and args.keep:
            dst = os.path.join(args.keep, re.sub(r"[^\w.-]+", "_", label))
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(work, dst)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ad", required=True, help="the ad-compile program")
    ap.add_argument("--cc", default=os.environ.get("SANITIZE_CC", "gcc"), help="the C compiler (gcc or clang)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", help="keep the work of failing programs in this directory")
    ap.add_argument("--only", help="only the programs whose label contains this")
    args = ap.parse_args()
    args.ad = os.path.abspath(args.ad)
    jobs = [j for j in jobs_from(args) if not args.only or args.only in j[0]]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for label, n, fails in pool.map(lambda j: one(args, j), jobs):
            for f in fails:
                print("FAIL: %s: %s" % (label, f), flush=True)
            failed += len(fails)
            passed += n - len(fails)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
