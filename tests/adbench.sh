#!/bin/sh
# ADBench's four problems (bench/adbench): the objectives and derivatives
# that the emitted code of gmm.ad, ba.ad, ht.ad and lstm.ad computes, on the
# benchmark's small instances, a larger one of each and randomized GMM and
# BA instances, against bench/adbench/expected/ (written by reference.py, an
# independent PyTorch float64 implementation of the README's definitions,
# whose own central differences agree with it), within 1e-8 relative. In a
# sanitized build the driver and the emitted code run under AddressSanitizer
# and UBSan.
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
TOP=$(cd "$SRC/.." && pwd)
if [ ! -d "$TOP/../shared/adbench/data" ]; then
	echo "../shared/adbench/data is not beside this tree (a tarball's build): skipped"
	exit 77
fi
PY=$(command -v python3 || command -v /usr/bin/python3)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export AD_COMPILE="$AD" ADBENCH_BUILD="$T/build"
if [ "${AD_SANITIZED:-no}" = yes ]; then
	export ADBENCH_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all"
	# the driver keeps its inputs until it exits: no leak report
	export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
else
	export ADBENCH_CFLAGS="-O1"
fi
"$PY" "$TOP/bench/adbench/check.py" "$TOP/bench/adbench/run" "$TOP"/bench/adbench/expected/*.json
status=$?
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL $1"
	fail=$((fail + 1))
}

# the hand-written peer (manual.c, the benchmark's "Manual") against central
# differences of a long-double transcription of the definitions
D="$TOP/../shared/adbench/data"
# shellcheck disable=SC2086
cc -std=c99 $ADBENCH_CFLAGS -Wall -Wextra -pedantic -Werror "$TOP/bench/adbench/manual.c" \
	"$TOP/bench/adbench/manual_test.c" -o "$T/manual_test" -lm &&
	"$T/manual_test" "$D/gmm/1k/gmm_d10_K5.txt" "$D/lstm/lstm_l2_c1024.txt" >"$T/manual.log" 2>&1 && ok ||
	{ cat "$T/manual.log"; bad manual_test; }

# run's own search for the hand model (check.py always passes --model)
"$TOP/bench/adbench/run" ht "$D/hand/simple_small/hand1_t26_c100.txt" >"$T/found.json" &&
	"$TOP/bench/adbench/run" ht "$D/hand/simple_small/hand1_t26_c100.txt" --model "$D/hand/model" >"$T/given.json" &&
	cmp -s "$T/found.json" "$T/given.json" && ok || bad "the default hand model is not data/hand/model"
# bad input: a clear error and exit 2, no output
printf '2 10\n' >"$T/short.txt"
if "$TOP/bench/adbench/run" ba "$T/short.txt" >"$T/short.out" 2>"$T/short.err" || [ -s "$T/short.out" ] ||
	! grep -q "adbench: .*short.txt: the file ends early" "$T/short.err"; then
	bad "a truncated BA file: $(cat "$T/short.err")"
else
	ok
fi
echo "$pass passed, $fail failed"
[ $status = 0 ] && [ $fail = 0 ]
