#!/bin/sh
# quickstart.sh: everything from a fresh Debian 12 machine to a result.
#
#   ./quickstart.sh demo   build, then plot sin(x) and its derivative (sin.png)
#   ./quickstart.sh test   build, then run the whole test suite; make
#                          distcheck (the tarball builds out of tree, passes
#                          its tests, installs and uninstalls); the suite
#                          again under AddressSanitizer and UBSan; and fuzz
#                          each libFuzzer target for a bounded time
#                          (FUZZ_SECONDS each, default 40)
#
# Missing Debian packages are installed first (as root, or through sudo).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

packages="build-essential autoconf automake libtool pkg-config flex bison tcc libtcc-dev check
libjansson-dev gnuplot-nox python3 valgrind clang libclang-rt-14-dev clang-format groff-base libopenblas-dev
libopenmpi-dev openmpi-bin"

install_missing() {
	missing=""
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "quickstart: installing$missing"
	if [ "$(id -u)" = 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "quickstart: these packages are missing and I am not root:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build DIR [configure options]: an out-of-tree build of the current sources
build() {
	dir=$1
	shift
	if [ ! -x "$here/configure" ] || [ "$here/configure.ac" -nt "$here/configure" ] ||
		[ "$here/Makefile.am" -nt "$here/Makefile.in" ]; then
		(cd "$here" && autoreconf -fi >/dev/null 2>&1) || (cd "$here" && autoreconf -fi)
	fi
	mkdir -p "$here/$dir"
	cd "$here/$dir"
	if [ ! -f Makefile ] || [ ../configure -nt config.status ]; then
		../configure -q "$@"
	fi
	make -s -j"$jobs"
}

# The checks run in a build: Check's "Checks: N, Failures: F, Errors: E"
# lines and the scripts' "N passed, M failed" lines, plus any test program
# that failed without printing its summary.
totals() {
	runs=$(awk '/^# (FAIL|ERROR):/ { n += $3 } END { print n + 0 }' "$here/$1/test-suite.log" 2>/dev/null || echo 1)
	cat "$here/$1"/tests/*.log 2>/dev/null | awk -v runs="$runs" '
		/Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/ {
			match($0, /Checks: [0-9]+/); n = substr($0, RSTART + 8, RLENGTH - 8)
			match($0, /Failures: [0-9]+/); f = substr($0, RSTART + 10, RLENGTH - 10)
			match($0, /Errors: [0-9]+/); e = substr($0, RSTART + 8, RLENGTH - 8)
			pass += n - f - e; fail += f + e
		}
		/^[0-9]+ passed, [0-9]+ failed$/ { pass += $1; fail += $3 }
		END { if (fail == 0 && runs > 0) fail = runs; print pass + 0, fail + 0 }'
}

case "${1:-}" in
demo)
	install_missing
	build build
	cd "$here"
	./build/ad-compile --run main samples/sin.ad --format=csv --plot sin.png | head -5
	echo "..."
	echo "quickstart: wrote sin.png (sin(x) and its derivative, computed by grad)"
	;;
test)
	install_missing
	rc=0
	build build
	rm -f tests/*.log tests/*.trs # a test removed since the last run leaves its log, which totals would count
	make -s check -j"$jobs" || rc=1
	# distcheck: the tarball builds and passes; what depends only on the
	# Makefile (tests/targets.sh) the plain build above has tested
	if AD_DISTCHECK=yes make -s -j"$jobs" distcheck >distcheck.log 2>&1; then
		dist="1 0"
		grep -A3 "archives ready for distribution" distcheck.log || true
	else
		dist="0 1"
		rc=1
		tail -60 distcheck.log
	fi
	build build-san --enable-sanitizers
	rm -f tests/*.log tests/*.trs
	make -s check -j"$jobs" || rc=1
	build build-fuzz CC=clang --enable-fuzzing
	make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-40}" >fuzz.log 2>&1 || rc=1
	cat fuzz.log
	# shellcheck disable=SC2086
	set -- $(totals build) $dist $(totals build-san) $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
		"$here/build-fuzz/fuzz.log" | tail -1) 0 1
	echo "quickstart: the checks of the plain build ($1 passed, $2 failed), distcheck ($3 passed," \
		"$4 failed), the sanitized build ($5 passed, $6 failed) and the fuzz targets ($7 passed, $8 failed)"
	echo "$(($1 + $3 + $5 + $7)) passed, $(($2 + $4 + $6 + $8)) failed"
	exit $rc
	;;
*)
	echo "usage: $0 demo|test" >&2
	exit 2
	;;
esac
