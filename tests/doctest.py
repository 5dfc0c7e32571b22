#!/usr/bin/env python3
"""Runs the examples of a Markdown document as tests.

Every ```console block is run in an empty directory: its "$ " lines are
commands (all but the last must succeed); the `ad` block before it, if one
came after the section's heading, is saved there as t.ad first (an `ir`
block, IR as --emit=ir prints it, as t.ir). The last command must exit
with the status of the section's "Exit N." line (0 if the section has
none). When it succeeds, its output (standard output,
then standard error) must be exactly the lines shown; when it fails, the
lines shown (the message) must appear in its output, in order.

    doctest.py [--update] path/to/ad-compile DOC.md...

--update rewrites the lines shown after each last command with what it
printed now (all of it on success, the first line on failure); review the
diff. Prints one line per failure and "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def blocks(lines):
    """(index of the console block's first line, its lines, (file name,
    source) or None, expected exit status) for each console block."""
    out = []
    ad = None
    exit_status = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            exit_status = 0
            ad = None
        m = re.match(r"Exit (\d+)\.", line)
        if m:
            exit_status = int(m.group(1))
        if line in ("```ad", "```ir", "```console"):
            kind = line[3:]
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            body = lines[i + 1:j]
            if kind in ("ad", "ir"):
                ad = ("t." + kind, "\n".join(body) + "\n")
            else:
                out.append((i + 1, body, ad, exit_status))
            i = j
        i += 1
    return out


def run_block(body, ad, env):
    cmds = [l[2:] for l in body if l.startswith("$ ")]
    d = tempfile.mkdtemp(prefix="ad-doctest-")
    try:
        if ad is not None:
            with open(os.path.join(d, ad[0]), "w") as f:
                f.write(ad[1])
        for c in cmds[:-1]:
            r = subprocess.run(c, shell=True, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if r.returncode != 0:
                return None, "setup command failed: %s" % c
        r = subprocess.run(cmds[-1], shell=True, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        out = [l.rstrip() for l in r.stdout.decode("utf-8", "replace").splitlines()]
        err = [l.rstrip() for l in r.stderr.decode("utf-8", "replace").splitlines()]
        return (r.returncode, out, err), None
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    args = sys.argv[1:]
    update = "--update" in args
    args = [a for a in args if a != "--update"]
    ad = os.path.abspath(args[0])
    env = dict(os.environ, PATH=os.path.dirname(ad) + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C")
    passed = failed = 0
    for doc in args[1:]:
        lines = open(doc, encoding="utf-8").read().split("\n")
        edits = []
        for start, body, src, want_exit in blocks(lines):
            last = max(k for k, l in enumerate(body) if l.startswith("$ "))
            want = body[last + 1:]
            res, msg = run_block(body, src, env)
            where = "%s:%d" % (os.path.basename(doc), start)
            if res:
                code, out, err = res
                got = [l for l in out + err if l.strip()] if code else out + err
                if update:
                    new = got if code == 0 else got[:1]
                    edits.append((start + last + 1, start + len(body), new))
                if code != want_exit:
                    msg = "exit %d, wanted %d: %s" % (code, want_exit, " | ".join((err or out)[:2]))
                elif code == 0 and got != want and not update:
                    msg = "the output differs: got %s" % " | ".join(got[:6])
                elif code != 0:
                    k = 0
                    for l in got:
                        if k < len(want) and l == want[k].rstrip():
                            k += 1
                    if k < len(want) and not update:
                        msg = "the output lacks %r; it was: %s" % (want[k], " | ".join(got[:4]))
            if msg:
                failed += 1
                print("FAIL: %s: %s" % (where, msg))
            else:
                passed += 1
        if update and edits:
            for a, b, new in reversed(edits):
                lines[a:b] = new
            open(doc, "w", encoding="utf-8").write("\n".join(lines))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
