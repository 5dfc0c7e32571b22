#!/bin/sh
# The JIT path under valgrind: code that libtcc generates is invisible to the
# sanitizers, so memcheck watches --run, --grad, --check and the runtime API
# (compiling and running modules, from several threads). Zero errors and zero
# leaks, or the test fails. Skipped (77) without valgrind or in a sanitized
# build (valgrind and AddressSanitizer do not mix).
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind is not installed: skipped"; exit 77; }
[ "${AD_SANITIZED:-no}" = yes ] && { echo "a sanitized build: skipped"; exit 77; }
VG="valgrind -q --error-exitcode=42 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect"
pass=0
fail=0
run() {
	if $VG "$@" >/dev/null 2>vg.err; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $*"
		head -40 vg.err
	fi
}
run "$AD" --run main "$SRC/../samples/sin.ad" --format=json
run "$AD" --run sin_grad "$SRC/../samples/sin.ad" --input x='[0, 1, 2]'
run "$AD" --grad model "$SRC/../samples/paddle_api.ad" --allow-unused --input 'x=[[1, 2, 3]]' \
	--input 'w=[0.5, 0.1, -0.3]' --input b=0.3 --input unused=0
run "$AD" --check t_logsumexp "$SRC/adjoint/reduce.ad" --input "x=[[0.5, 0.6, 0.7, 0.8], [0.2, 0.3, 0.4, 0.9]]" \
	--input "s=[1, -2]"
# the runtime API over JIT modules, threads included, without Check's fork
CK_FORK=no run ./tests/check_runtime
rm -f vg.err
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
