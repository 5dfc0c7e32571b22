# tests/lib.sh: what the shell tests share. A test script sources it first:
#   . "$(dirname "$0")/lib.sh"
# It sets AD (the ad-compile under test: $AD, else ./ad-compile), SRC (the
# tests folder of the sources) and T (a new temporary directory, made the
# current one and removed at exit), and defines
#   ok / bad MESSAGE          count a check that passed / failed (and say why)
#   expect STATUS CMD...      run CMD (under `timeout $LIMIT` if LIMIT is set),
#                             stdout into ./out, stderr into ./err; check STATUS
#   has FILE PATTERN          FILE has a line matching PATTERN (grep)
#   hasnt FILE PATTERN        it has none
#   finish                    print "N passed, M failed", exit 1 if any failed
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
SRC=$(cd "$SRC" && pwd)
T=$(mktemp -d /tmp/ad-test-XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

expect() {
	want=$1
	shift
	if [ -n "${LIMIT:-}" ]; then
		timeout "$LIMIT" "$@" >out 2>err
	else
		"$@" >out 2>err
	fi
	got=$?
	if [ "$got" = "$want" ]; then ok; else bad "exit $got (wanted $want): $* :: $(head -c 300 err)"; fi
}
has() { if grep -q -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 300 "$1")"; fi; }
hasnt() { if grep -q -- "$2" "$1"; then bad "$1 has '$2'"; else ok; fi; }

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit $?
}
