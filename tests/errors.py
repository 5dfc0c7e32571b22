#!/usr/bin/env python3
"""Runs every example of docs/errors.md: for each "### MESSAGE" entry, the
`ad` block (if any) is saved as t.ad in an empty directory, the `console`
block's commands are run there (all but the last must succeed), and the
last must exit with the entry's "Exit N." status and print the line shown
after it. Prints one line per failure and "N passed, M failed".

    errors.py path/to/ad-compile path/to/errors.md
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile


def entries(text):
    out = []
    cur = None
    block = None
    for line in text.splitlines():
        if block is not None:
            if line.startswith("```"):
                cur[block[0]] = block[1]
                block = None
            else:
                block[1].append(line)
            continue
        if line.startswith("### "):
            cur = {"title": line[4:], "exit": None, "ad": None, "console": None}
            out.append(cur)
        elif cur is not None and line.startswith("Exit "):
            m = re.match(r"Exit (\d+)\.", line)
            cur["exit"] = int(m.group(1))
        elif cur is not None and line in ("```ad", "```console"):
            block = (line[3:], [])
    return out


def main():
    ad, doc = os.path.abspath(sys.argv[1]), sys.argv[2]
    env = dict(os.environ, PATH=os.path.dirname(ad) + os.pathsep + os.environ.get("PATH", ""))
    passed = failed = 0
    for e in entries(open(doc, encoding="utf-8").read()):
        if e["exit"] is None or not e["console"]:
            print("FAIL: %s: no exit status or console block" % e["title"])
            failed += 1
            continue
        cmds = [l[2:] for l in e["console"] if l.startswith("$ ")]
        want = [l for l in e["console"] if not l.startswith("$ ")]
        d = tempfile.mkdtemp(prefix="ad-errors-")
        try:
            if e["ad"] is not None:
                with open(os.path.join(d, "t.ad"), "w") as f:
                    f.write("\n".join(e["ad"]) + "\n")
            msg = None
            for c in cmds[:-1]:
                r = subprocess.run(c, shell=True, cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                if r.returncode != 0:
                    msg = "setup command failed: %s" % c
                    break
            if msg is None:
                r = subprocess.run(cmds[-1], shell=True, cwd=d, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=120)
                got = (r.stderr + r.stdout).decode("utf-8", "replace").splitlines()
                got = [l.rstrip() for l in got]
                if r.returncode != e["exit"]:
                    msg = "exit %d, wanted %d" % (r.returncode, e["exit"])
                else:
                    for w in want:
                        if w.rstrip() not in got:
                            msg = "the output lacks %r; it was: %s" % (w, " | ".join(got[:4]))
                            break
            if msg:
                failed += 1
                print("FAIL: %s: %s" % (e["title"], msg))
            else:
                passed += 1
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
