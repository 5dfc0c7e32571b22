#!/bin/sh
# tests/limits.sh: every documented limit (docs/reliability.md) gives a clear
# error and the documented exit status, within seconds, instead of a crash,
# a hang or exhausted memory. Each command runs under `timeout`, 30 s
# (sanitized builds are slower).
. "$(dirname "$0")/lib.sh"
LIMIT=30
# rep N TEXT: TEXT N times
rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

# ---- nesting: hundreds of thousands of parentheses, unary minus, brackets
{ printf 'func f(x: f32) -> (y) { y = '; rep 300000 '('; printf x; rep 300000 ')'; echo ' }'; } >parens.ad
expect 1 "$AD" --run f parens.ad --input x=1
has err "parens.ad:1:[0-9]*: error: the program is nested too deeply to parse"
{ printf 'func f(x: f32) -> (y) { y = '; rep 300000 '-'; echo 'x }'; } >neg.ad
expect 1 "$AD" neg.ad -o neg.c
has err "nested too deeply"
[ ! -e neg.c ] && ok || bad "an output was written for a failed compile"
{ printf 'func f(x: f32) -> (y) { y = x + '; rep 300000 '['; printf 1; rep 300000 ']'; echo ' }'; } >lit.ad
expect 1 "$AD" lit.ad -o lit.c
has err "nested too deeply"
{ printf 'func f(x: f32) -> (y) { y = x'; rep 5000 ' + x'; echo ' }'; } >chain.ad
expect 1 "$AD" chain.ad -o chain.c
has err "expression is nested more than 512 deep"
{ printf 'func f(x: f32) -> (y) { y = x'; rep 500 ' + x'; echo ' }'; } >chain500.ad
expect 0 "$AD" --run f chain500.ad --input x=1
has out "y: f32 = 501"

# ---- statements: 100000 per function
{ echo 'func f(x: f32) -> (y) {'; rep 20000 '    x = x + 1
'; echo '    y = x }'; } >s20k.ad
expect 0 "$AD" --run f s20k.ad --input x=1
has out "y: f32 = 20001"
{ echo 'func f(x: f32) -> (y) {'; rep 100001 '    x = x + 1
'; echo '    y = x }'; } >s100k.ad
expect 1 "$AD" s100k.ad -o s.c
has err "error: a function may have at most 100000 statements"

# ---- program size: compile time and memory grow linearly (bench/scaling
# measures them; a quadratic pass once took 300 s at 16000 statements).
# 32000 statements and a grad, to C within the time limit, on a 1 MiB
# stack: no pass may recurse along the chain
{ echo 'func f(x: f64[n]) -> (y, g) {'; echo '    y = x'; rep 32000 '    y = y * 1.0001 + sin(y)
'; echo '    g = grad(sum(y), x)'; echo '}'; } >long.ad
expect 0 sh -c 'ulimit -s 1024 && exec "$0" "$@"' "$AD" long.ad -o long.c
grep -c '^    /\* long.ad:[0-9]*: y = y \* 1.0001 + sin(y) \*/$' long.c >out
awk '{ exit !($1 >= 32000) }' out && ok || bad "long.c lacks the statements' comments: $(cat out)"
# and 64000 additions (each fused into the next, up to a depth), likewise
{ echo 'func f(x: f64[n]) -> (y) {'; echo '    y = x'; rep 64000 '    y = y + 1.5
'; echo '}'; } >adds.ad
expect 0 sh -c 'ulimit -s 1024 && exec "$0" "$@"' "$AD" adds.ad -o adds.c

# ---- loops are never unrolled: the C of a loop and of its gradient is the
# same size for 10 and for 1000000 iterations (up to the digits)
for n in 10 1000000; do
	printf 'func f(y0: f64, k: f64) -> (y, g) {\n    y = y0\n    for t in range(%s) {\n        y = y + 0.001 * sin(k * y)\n    }\n    g = grad(y, k)\n}\n' "$n" >"trip$n.ad"
	"$AD" "trip$n.ad" -o "trip$n.c" || bad "trip$n.ad did not compile"
done
tr -d '0-9' <trip10.c >trip10.txt
tr -d '0-9' <trip1000000.c >trip1000000.txt
cmp -s trip10.txt trip1000000.txt && ok ||
	bad "the C depends on the trip count: $(wc -c <trip10.c) bytes for 10, $(wc -c <trip1000000.c) for 1000000"

# ---- derivative order: bounded by the size of the differentiated function
# nested_grad FIRST N: g = FIRST, then N times g = grad(g, x, create_graph=true)
nested_grad() {
	echo 'func f(x: f64) -> (g) {'
	echo "    g = $1"
	rep "$2" '    g = grad(g, x, create_graph=true)
'
	echo '}'
}
nested_grad 'sin(x) * exp(x) / (1 + x * x)' 30 >order.ad
expect 1 "$AD" order.ad -o order.c
has err "function 'f' is too large: over 400000 operations after inlining and differentiation"
nested_grad 'sin(x)' 24 >order24.ad
expect 0 "$AD" --run f order24.ad --input x=0.5
has out "g: f64 = 0.479425538604203" # the 24th derivative of sin is sin

# ---- saved values: thousands of scalars from the forward pass to the
# backward pass travel in one buffer, not one argument each (libtcc's
# value stack held about 250)
{ echo 'func f(x: f64) -> (y) {'; echo '    y = x'; rep 3000 '    y = sin(y)
'; echo '}'; } >sin3k.ad
# the closed form: the product of cos(y_k) along the chain
closed=$(awk 'BEGIN { y = 0.5; d = 1; for (i = 0; i < 3000; i++) { d *= cos(y); y = sin(y) } printf "%.17g", d }')
expect 0 "$AD" --grad f sin3k.ad --input x=0.5 --format=json
got=$(sed -n 's/.*"data": \[\{0,1\}\([-0-9.e]*\).*/\1/p' out)
awk -v g="$got" -v w="$closed" 'BEGIN { e = g - w; if (e < 0) e = -e; exit !(e <= 1e-12 * w) }' && ok ||
	bad "--grad of 3000 sin: $got, the closed form says $closed"
# the emitted forward/backward pair through tcc and strict gcc, and under the sanitizers
printf '0\n0.5\n' >x.txt
if "$AD" sin3k.ad -o prog.c --header prog.h; then
	for cc in "tcc" "cc -std=c99 -Wall -Wextra -pedantic -Werror -O1" \
		"cc -std=c99 -O0 -fsanitize=address,undefined -fno-sanitize-recover=all"; do
		command -v "${cc%% *}" >/dev/null 2>&1 || continue
		# shellcheck disable=SC2086
		if $cc -DMETA=f_meta -I. "$SRC/harness.c" prog.c -o harness -lm && ./harness --guard x.txt >h.out; then
			awk -v w="$closed" '/^# x/ { n++ } n && !/^#/ { e = $1 - w; if (e < 0) e = -e; if (e > 1e-12 * w) bad++ }
				END { exit !(n == 2 && !bad) }' h.out && ok || bad "$cc: the VJP or backward of 3000 sin is wrong"
		else
			bad "$cc: the harness of 3000 saved scalars did not build or run"
		fi
	done
else
	bad "sin3k.ad did not compile"
fi

# ---- calls: recursion, and nesting depth of inlined calls
printf 'func f(x: f32) -> (y) {\n    y = g(x)\n}\nfunc g(x: f32) -> (y) {\n    y = f(x)\n}\n' >rec.ad
expect 1 "$AD" rec.ad -o rec.c
has err "calls itself"

# ---- tensor sizes: 2^48 elements, checked with overflow-safe arithmetic
echo 'func f(x: f32[n]) -> (y) { y = zeros([100000, 100000, 100000]) }' >big.ad
expect 1 "$AD" big.ad -o big.c
has err "is too large (the limit is 2^48 elements)"
echo 'func f(x: f32[n]) -> (y) { y = reshape(x, [4294967296, 4294967296, 4294967296, 4294967296]) }' >big2.ad
expect 1 "$AD" big2.ad -o big2.c
has err "too large"
echo 'func f(x: f32[99999999999999999999]) -> (y) { y = x }' >big3.ad
expect 1 "$AD" big3.ad -o big3.c
# at run time: memory that cannot be had is exit 3, not a crash
echo 'func f(x: f32[n]) -> (y) { y = zeros([200000, 200000]) }' >oom.ad
expect 3 "$AD" --run f oom.ad --input x=[1]
has err "out of memory"
# emitted code refuses negative and overflowing dimensions
printf 'func f(x: f32[n, m]) -> (y) {\n    y = x * 2\n}\n' >dims.ad
expect 0 "$AD" dims.ad -o dims.c
cat >dims_main.c <<'C'
#include <stdio.h>
#include "dims.h"
int main(void)
{
	float x[4] = {1, 2, 3, 4}, y[4];
	int a = f(-1, 2, x, y), b = f(3037000500, 3037000500, x, y), c = f(2, 2, x, y);
	printf("%d %d %d %g\n", a, b, c, y[3]);
	return 0;
}
C
if cc -std=c99 dims_main.c dims.c -o dims_main -lm && ./dims_main >out; then
	has out "^1 1 0 8$" # AD_ERR_DIM, AD_ERR_DIM, AD_OK
else
	bad "the dimension-check program did not build or run"
fi

# ---- file sizes: sources up to 16 MiB, inputs up to 1 GiB
{ echo 'func f(x: f32) -> (y) { y = x }'; head -c 17000000 /dev/zero | tr '\0' ' '; } >huge.ad
expect 1 "$AD" huge.ad -o huge.c
has err "larger than 16 MiB"
truncate -s 1100M sparse.npy
expect 3 "$AD" --run f dims.ad --input x=@sparse.npy
has err "larger than 1 GiB"

# ---- garbage of every kind
head -c 100000 /dev/urandom >garbage.ad
expect 1 "$AD" garbage.ad -o garbage.c
[ ! -e garbage.c ] && ok || bad "garbage.c was written"
head -c 100000 /dev/urandom >garbage.npy
expect 3 "$AD" --run f dims.ad --input x=@garbage.npy
has err "not a valid .npy file"
head -c 100000 /dev/urandom | tr -d '\0' >garbage.json
expect 3 "$AD" --run f dims.ad --input x=@garbage.json
head -c 100000 /dev/urandom >garbage.csv
expect 3 "$AD" --run f dims.ad --input x=@garbage.csv

finish
