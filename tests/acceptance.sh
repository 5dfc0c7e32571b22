#!/bin/sh
# The acceptance cases (the documented Paddle examples and the sin exercise,
# copied from ../shared/examples) through `ad-compile --run`, and --grad
# against PyTorch (tests/grad, made by tests/grad/gen.py), and logsumexp and
# its relatives at infinities against PyTorch (tests/infinity/gen.py), and
# control flow written as IR against plain Python loops (tests/ir-in), and
# loops and ifs of the language against the same in PyTorch (tests/loops),
# and integers, Jacobians, indexing and var/std/clip/pad against PyTorch
# and NumPy (tests/ints, tests/jac, tests/index, tests/prims), and the
# factorizations and solves against torch.linalg (tests/linalg), and shape
# expressions against NumPy and PyTorch (tests/shapes).
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
PY=$(command -v python3 || command -v /usr/bin/python3)
exec "$PY" "$SRC/run-cases" "$AD" "$SRC/acceptance/cases.json" "$SRC/grad/cases.json" \
	"$SRC/infinity/cases.json" "$SRC/ir-in/control.json" "$SRC/loops/cases.json" "$SRC/ints/cases.json" \
	"$SRC/jac/cases.json" "$SRC/index/cases.json" "$SRC/prims/cases.json" "$SRC/linalg/cases.json" \
	"$SRC/shapes/cases.json"
