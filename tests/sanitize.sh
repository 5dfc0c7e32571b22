#!/bin/sh
# sanitize.sh: the emitted C of every test program, every value and gradient
# case, every sample and benchmark program, built with -fsanitize=address,undefined
# and run with its arrays against guard pages (tests/sanitize.py, through
# tests/harness.c). Failing programs are kept in tests/sanitize-failures.
set -u
AD=${AD:-$PWD/ad-compile}
dir=${srcdir:-$(dirname "$0")}
PY=$(command -v python3 || echo /usr/bin/python3)
exec "$PY" "$dir/sanitize.py" --ad "$AD" --keep "$PWD/tests/sanitize-failures"
