#!/bin/sh
# tests/targets.sh: every target of the build builds on its own from a
# clean tree (`make ad-compile` once failed: a generated header was made
# only through BUILT_SOURCES, which covers `make all` and `make check` but
# not a target asked for by name). One build directory configured from the
# sources, then for each program and library: `make clean`, `make TARGET`.
# At -O0: what is tested is the dependencies, not the code.
. "$(dirname "$0")/lib.sh"
top=$(cd "$SRC/.." && pwd)
if [ "${AD_SANITIZED:-no}" = yes ]; then
	echo "SKIP: the dependencies are those of the plain build, which tests them"
	exit 77
fi
if [ "${AD_DISTCHECK:-no}" = yes ]; then
	echo "SKIP: the same Makefile as the plain build, which tests it"
	exit 77
fi
if [ ! -x "$top/configure" ]; then
	echo "SKIP: no configure script in $top"
	exit 77
fi
# a make of its own, not the flags of the make running the tests
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir b && cd b || exit 1
if ! "$top/configure" -q CFLAGS="-O0 -g0 -pipe" >configure.log 2>&1; then
	bad "configure failed: $(tail -5 configure.log)"
	finish
fi
# the programs and libraries, as the Makefile lists them
targets=$(printf 'print:\n\t@echo $(bin_PROGRAMS) $(lib_LTLIBRARIES) $(noinst_LTLIBRARIES) $(check_PROGRAMS)\n' |
	make -s --no-print-directory -f Makefile -f - print)
[ -n "$targets" ] && ok || bad "no targets found in the Makefile"
for t in $targets; do
	make -s clean >/dev/null 2>&1
	if make -s -j2 "$t" >build.log 2>&1 && [ -e "$t" ]; then ok; else bad "make $t from a clean tree: $(grep -m3 -i 'error' build.log)"; fi
done
finish
