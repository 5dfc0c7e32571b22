#!/bin/sh
# regress.sh: the regression tests of bugs found by the fuzzers and the
# differential tester. Each tests/regress/NAME.ad starts with a comment line
# "# args: ..." (the ad-compile arguments after the file is appended) and a
# description of the bug; NAME.out holds the expected standard output, and
# NAME.rc, if present, the expected exit status (default 0).
set -u
AD=${AD:-$PWD/ad-compile}
dir=${srcdir:-$(dirname "$0")}/regress
pass=0
fail=0
for f in "$dir"/*.ad; do
	name=${f%.ad}
	args=$(sed -n '1s/^# args: //p' "$f")
	want_rc=0
	[ -f "$name.rc" ] && want_rc=$(cat "$name.rc")
	# shellcheck disable=SC2086
	out=$(eval "\"$AD\" $args \"$f\"" 2>&1)
	rc=$?
	out=$(printf '%s\n' "$out" | sed "s|$dir/||g")
	if [ "$rc" = "$want_rc" ] && [ "$out" = "$(cat "$name.out")" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $(basename "$f") (exit $rc, want $want_rc):"
		echo "$out" | diff "$name.out" - | head -20
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
