#!/bin/sh
# Regenerate the golden files from the current compiler (make regen-golden).
# Review the diff before committing: the goldens are what the tests expect.
set -e
ad=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/diag"
for f in *.ad; do "$ad" "$f" --emit=ir >/dev/null 2>"${f%.ad}.err" || true; done
cd "$here/ir"
for f in *.ad; do "$ad" "$f" --emit=ir >"${f%.ad}.ir"; "$ad" "$f" --emit=ir-opt >"${f%.ad}.ir-opt"; done
cd "$here/emit"
for f in *.ad; do
	"$ad" "$f" --emit=c >"${f%.ad}.c.expect"
	"$ad" "$f" --emit=h >"${f%.ad}.h.expect"
	"$ad" "$f" --emit=schedule >"${f%.ad}.schedule"
	"$ad" "$f" --emit=memory >"${f%.ad}.memory"
done
cd "$here/ir-in"
for f in *.ir; do
	"$ad" "$f" --emit=ir-opt >"${f%.ir}.ir-opt"
	"$ad" "$f" --emit=c --entry=plain,work >"${f%.ir}.c.expect"
	"$ad" "$f" --emit=schedule --entry=plain,work >"${f%.ir}.schedule"
	"$ad" "$f" --emit=memory --entry=plain,work >"${f%.ir}.memory"
done
echo "goldens regenerated; review with git diff"
