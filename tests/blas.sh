#!/bin/sh
# --blas end to end: the factorizations and solves (tests/linalg, against
# torch.linalg: LU and Cholesky through LAPACK's dgetrf and dpotrf,
# triangular solves through cblas_dtrsm, the errors they report) and the
# models whose gradients are matrix products (tests/grad, tests/jac, against
# PyTorch), every case compiled by the system compiler with -DAD_BLAS and
# linked with OpenBLAS, as `ad-compile --run ... --blas` does; then the same
# for f32, whose kernels are the f64 ones renamed, against the built-in ones.
AD=${AD:-$(pwd)/ad-compile}
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
PY=$(command -v python3 || command -v /usr/bin/python3)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export AD_CACHE_DIR="$T/cache"
printf '#!/bin/sh\nexec "%s" --blas "$@"\n' "$AD" >"$T/ad-blas"
chmod +x "$T/ad-blas"
"$PY" "$SRC/run-cases" "$T/ad-blas" "$SRC/linalg/cases.json" "$SRC/grad/cases.json" "$SRC/jac/cases.json" ||
	exit 1

# f32: the same values from LAPACK's sgetrf/spotrf/strsm and the built-in
# loops, to f32's precision; a singular matrix fails the same way in both
cat >"$T/f32.ad" <<'AD'
func f(A: f32[n, n], B: f32[2, n, k]) -> (X: f32[2, n, k], L: f32[n, n], T: f32[2, n, k], d: f32, g: f32[n, n]) {
    X = solve(A, B)
    L = cholesky(A @ A.T + eye(n))
    T = solve_triangular(A, B, lower=false, transpose=true)
    d = det(A)
    g = grad(sum(X * X) + sum(sin(L)) + d, A)
}
AD
A='[[2, 1, 0.5, 0], [1, 3, 1, -1], [0.5, 1, 4, 0.25], [0, -1, 0.5, 5]]'
B='[[[1, 2, 3], [3, 4, 5], [5, 6, 7], [-1, 0, 1]], [[0, 1, 0], [1, 0, 1], [2, 2, 2], [1, -2, 3]]]'
pass=0
fail=0
"$AD" --run f "$T/f32.ad" --input "A=$A" --input "B=$B" --format=json >"$T/plain.json" &&
	"$AD" --run f "$T/f32.ad" --input "A=$A" --input "B=$B" --format=json --blas >"$T/blas.json" &&
	"$PY" - "$T/plain.json" "$T/blas.json" <<'PY' && pass=$((pass + 1)) || fail=$((fail + 1))
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
bad = [k for k in a if a[k]["shape"] != b[k]["shape"] or
       max(abs(x - y) / (1 + abs(x)) for x, y in zip(a[k]["data"], b[k]["data"])) > 1e-5]
for k in bad:
    print("FAIL: f32 %s differs: built-in %s, LAPACK %s" % (k, a[k]["data"], b[k]["data"]))
sys.exit(1 if bad else 0)
PY
S='[[1, 2, 3, 4], [2, 4, 6, 8], [0.5, 1, 4, 0.25], [0, -1, 0.5, 5]]'
"$AD" --run f "$T/f32.ad" --input "A=$S" --input "B=$B" --blas >/dev/null 2>"$T/err"
rc=$?
if [ $rc -eq 3 ] && grep -q "solve: the matrix at batch index 0 is singular" "$T/err"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: a singular f32 matrix under --blas: exit $rc, $(cat "$T/err")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
