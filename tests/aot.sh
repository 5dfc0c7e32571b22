#!/bin/sh
# The runtime API over ahead-of-time code (samples/paddle_api.c, linked with
# the emitted C and libadrt only) gives Paddle's documented numbers, and the
# same gradients as the JIT (ad-compile --grad) to the last bit.
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
PY=$(command -v python3 || command -v /usr/bin/python3)
out=$(./samples/paddle_api) || { echo "FAIL: samples/paddle_api exited with $?"; echo "0 passed, 1 failed"; exit 1; }
x='[[-0.2, -0.1, 0, 0.1, 0.2], [-0.2, -0.1, 0, 0.1, 0.2], [-0.2, -0.1, 0, 0.1, 0.2]]'
jit=$("$AD" --grad model "$SRC/../samples/paddle_api.ad" --format=json --allow-unused \
	--input 'x=[[-0.2, -0.1, 0], [0.1, 0.2, -0.2], [-0.1, 0, 0.1], [0.2, -0.2, -0.1]]' \
	--input 'w=[0.5, 0.1, -0.3]' --input b=0.3 --input unused=0) || { echo "0 passed, 1 failed"; exit 1; }
"$PY" - "$out" "$jit" <<'PY'
import json, sys
aot, jit = json.loads(sys.argv[1]), json.loads(sys.argv[2])
fails = []
want = {"grad1": [12, 18, 17, 25], "grad2": [12, 18, 17, 25], "grad3": [10, 14, 10, 14]}
for k, v in want.items():
    if aot[k]["data"] != v:
        fails.append("%s: %s, Paddle says %s" % (k, aot[k]["data"], v))
for k in ("x", "w", "b", "unused"):
    if aot[k] != jit[k]:
        fails.append("%s: AOT %s, JIT %s" % (k, aot[k], jit[k]))
for f in fails:
    print("FAIL:", f)
print("%d passed, %d failed" % (7 - len(fails), len(fails)))
sys.exit(1 if fails else 0)
PY
