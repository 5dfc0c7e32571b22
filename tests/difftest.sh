#!/bin/sh
# difftest.sh: a bounded run of the random-program differential tester
# (tests/difftest/difftest.py) for make check: DIFFTEST_COUNT programs
# (default 20) from DIFFTEST_SEED (default: a fixed seed, so a failure
# reproduces). `make difftest` runs more.
set -u
AD=${AD:-$PWD/ad-compile}
dir=${srcdir:-$(dirname "$0")}
PY=$(command -v python3 || echo /usr/bin/python3)
exec "$PY" "$dir/difftest/difftest.py" --ad "$AD" --count "${DIFFTEST_COUNT:-20}" --seed "${DIFFTEST_SEED:-20261128}" \
	--keep "$PWD/tests/difftest-failures"
