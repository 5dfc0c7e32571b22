#!/bin/sh
# tests/cli.sh: the ad-compile command line: options, exit statuses, files.
# Prints one line per failure and "N passed, M failed".
. "$(dirname "$0")/lib.sh"

cat >f.ad <<'AD'
func f(x: f32[n], w: f32[n, m]) -> (y: f32[m], s) {
    y = x @ w
    s = sum(x)
}
func g() -> (a, b) {
    a = arange(3)
    b = a * 2
}
func h(x: f32[n]) -> (d, gu) {
    d = x[2:]
    gu = grad(sum(d), x, allow_unused=true)
}
func u(x: f32, y: f32) -> gy {
    gy = grad(x * 2, y, allow_unused=true)
}
AD
printf 'func bad(x: f32) -> y {\n    y = x + q\n}\n' >bad.ad

# ---- help, version, usage errors (exit 2)
expect 0 "$AD" --help
for opt in -o --header --prefix --emit --run --grad --jacobian --seed --wrt --allow-unused --check --input --format --output-dir --plot --cflags --libs --blas --jit --help --version; do
	has out -- "$opt"
done
expect 0 "$AD" --version
has out "ad-compile [0-9]"
has out "License"
expect 2 "$AD" --no-such-option f.ad
has err "ad-compile: "
expect 2 "$AD"
has err "no input file"
expect 2 "$AD" f.ad bad.ad
expect 2 "$AD" f.ad --emit=nonsense
expect 2 "$AD" f.ad --input x=1
expect 2 "$AD" --run nosuch f.ad
has err "has no function 'nosuch' (it has: f, g, h, u)"
expect 2 "$AD" --run g f.ad --format=yaml
expect 2 "$AD" --run g f.ad -o x.c

# ---- compile errors (exit 1)
expect 1 "$AD" bad.ad
has err "bad.ad:2:13: error: unknown name 'q'"
has err "^        y = x + q"
expect 1 "$AD" missing.ad
has err "cannot read 'missing.ad'"
mkdir adir.ad
expect 1 "$AD" adir.ad
has err "directory"
head -c 2000 /dev/urandom >garbage.ad
expect 1 "$AD" garbage.ad
: >empty.ad
expect 1 "$AD" empty.ad
has err "no function"

# ---- writing C
expect 0 "$AD" f.ad
[ -f f.c ] && [ -f f.h ] && ok || bad "f.c/f.h not written"
has f.c '#include "f.h"'
has f.h "int f(int64_t n, int64_t m, const float \*x, const float \*w, float \*y, float \*s);"
has f.h 'extern "C"'
if gcc -std=c99 -Wall -Wextra -pedantic -Werror -c f.c -o f.o 2>gcc.err; then ok; else bad "gcc: $(cat gcc.err)"; fi
mkdir -p gen
expect 0 "$AD" f.ad -o gen/model.c --header gen/model.h
has gen/model.c '#include "model.h"'
expect 0 "$AD" -o - f.ad
has out "int f_work("
expect 0 "$AD" --prefix mylib_ f.ad -o p.c
has p.h "int mylib_f(int64_t n"
# a failed compilation leaves an existing output alone
echo "old" >keep.c
expect 1 "$AD" bad.ad -o keep.c
has keep.c "^old$"
# an output that cannot be written is a clear error and leaves nothing
expect 3 "$AD" f.ad -o no/such/dir/x.c
has err "cannot write"
ls no 2>/dev/null && bad "a directory appeared" || ok
# stdin and options in any order, -- ends options
expect 0 "$AD" --emit=ir - <f.ad
has out "func f(x: f32\[n\], w: f32\[n, m\])"
cp f.ad ./-dash.ad
expect 0 "$AD" --emit=ast -- -dash.ad
for s in tokens ast ir ir-opt c h; do expect 0 "$AD" f.ad --emit=$s; done

# ---- --run
expect 0 "$AD" --run f f.ad --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]'
has out "^y: f32\[3\] ="
has out "^\[1, 2, 8\]"
has out "^s: f32 = 3"
expect 0 "$AD" --input x='[1, 2]' --format=json --input 'w=[[1, 0, 2], [0, 1, 3]]' --run f f.ad
has out '"y": {"dtype": "f32", "shape": \[3\], "data": \[1, 2, 8\]}'
expect 0 "$AD" --run g f.ad --format=csv
has out "^a,b$"
has out "^2,4$"
expect 0 "$AD" --run u f.ad --input x=1 --input y=2 --format=json
has out '"gy": null'
# inputs from files
printf '[1, 2]' >x.json
printf '1,0,2\n0,1,3\n' >w.csv
expect 0 "$AD" --run f f.ad --input x=@x.json --input w=@w.csv --output-dir res
[ -f res/y.npy ] && [ -f res/s.npy ] && ok || bad "--output-dir did not write the results"
expect 0 "$AD" --run f f.ad --input x=@res/y.npy --input 'w=[[1], [1], [1]]'
has out "^\[11\]"
printf '1\n2\n' >col.csv
expect 0 "$AD" --run h f.ad --input x=@col.csv
# run-time errors (exit 3)
expect 3 "$AD" --run f f.ad --input x='[1, 2]'
has err "no input for parameter 'w' (f32\[n, m\])"
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input w='[[1]]'
has err "f: input 'w' has n = 1 along axis 0, but input 'x' set n = 2"
expect 3 "$AD" --run f f.ad --input x='[[1, 2]]' --input w='[[1]]'
has err "rank 2, not 1"
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input w='[[1], [2, 3]]'
has err "ragged"
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input w='[[1], [2]]' --input z=1
has err "has no parameter 'z'"
expect 3 "$AD" --run f f.ad --input x=1 --input x=2 --input w=1
has err "given twice"
expect 3 "$AD" --run f f.ad --input x=@nofile.npy --input w=1
has err "cannot read 'nofile.npy'"
printf 'garbage' >bad.npy
expect 3 "$AD" --run f f.ad --input x=@bad.npy --input w=1
has err "not a valid .npy file"
expect 3 "$AD" --run h f.ad --input x='[1]'
has err "x\[2:\] is out of range"
expect 3 "$AD" --run f f.ad --input 'x=[1, 2' --input w=1
has err "not a JSON number or array"
expect 2 "$AD" --run f f.ad --input novalue

# ---- plots
if command -v gnuplot >/dev/null 2>&1; then
	expect 0 "$AD" --run g f.ad --plot p.png
	[ -s p.png ] && ok || bad "no p.png"
	expect 0 "$AD" --run g f.ad --plot p.svg
	has p.svg "<svg"
fi
AD_GNUPLOT=/nonexistent/gnuplot "$AD" --run g f.ad --plot q.png >out 2>err
[ $? = 3 ] && ok || bad "missing gnuplot: wrong exit"
has err "needs gnuplot"
[ -f q.png ] && bad "q.png written without gnuplot" || ok
expect 3 "$AD" --run g f.ad --plot p.jpg
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]' --plot p.png
has err "two 1-D results"

# ---- --check (gradcheck in f64)
cat >c.ad <<'AD'
func f(x: f32[3], w: f32[3, 2], t: f32[2] nograd) -> (y, g, h) {
    y = sum(tanh(x @ w) * t)
    g = grad(y, x, create_graph=true)
    h = grad(y, w)
}
func k(x: f32[3]) -> y {
    y = relu(x)
}
AD
expect 0 "$AD" --check f c.ad --input x='[0.5, -1, 2]' --input 'w=[[1, 2], [3, 4], [5, 6]]' --input 't=[1, -1]'
has out "^ok     grad(y, x, create_graph=true) at c.ad:3:9: max abs error"
has out "^ok     vjp of result 'g'"
has out "^skip   result 'h': detached"
has out "all checks passed"
expect 4 "$AD" --check k c.ad --input x='[0, 1, -1]'
has out "^FAILED vjp of result 'y'"
has out "1 check FAILED"
# the limits of finite differences are not failures: a huge value whose
# last bits the step cannot move (rounding noise), and a function that
# curves too fast for the first step (a smaller one is tried)
cat >fd.ad <<'AD'
func big(x: f64[2]) -> (y) {
    y = 1e17 + sum(x * x)
}
func fast(x: f64[2]) -> (y) {
    y = sum(sin(1e6 * x))
}
func wrong(x: f64[2]) -> (y) {
    y = sum(x * detach(x))
}
AD
expect 0 "$AD" --check big fd.ad --input x='[0.5, 2]'
has out "^ok     vjp of result 'y'.*(3 within the rounding noise of the differences)"
expect 0 "$AD" --check fast fd.ad --input x='[0.5, 2]'
has out "^ok     vjp of result 'y'"
# a derivative that differs from the function's (detach halves it) fails at every step
expect 4 "$AD" --check wrong fd.ad --input x='[0.5, 2]'
has out "^FAILED vjp of result 'y'"
expect 3 "$AD" --check k c.ad
has err "no input for parameter 'x'"
# an integer result has no derivative: skipped (its seed is an integer zero)
cat >ci.ad <<'AD'
func f(x: f64[3], i: i64) -> (y, k) {
    k = argmax(x) + i
    y = sum(x * x) * f64(k)
}
AD
expect 0 "$AD" --check f ci.ad --input x='[1, 3, 2]' --input i=1
has out "^ok     vjp of result 'y'"
has out "^skip   result 'k': it depends on no differentiable parameter"
expect 2 "$AD" --check nosuch c.ad
expect 2 "$AD" --check k c.ad --run k
expect 1 "$AD" --check f bad.ad

# ---- --grad (paddle.grad at run time, through the runtime API)
cat >gr.ad <<'AD'
func model(x: f32[n, 3], w: f32[3], b: f32, t: f32[n] nograd, unused: f32) -> (loss, pred) {
    pred = x @ w + b
    loss = mean((pred - t) ** 2)
}
AD
GIN="--input x=[[1,2,3],[4,5,6]] --input w=[1,2,3] --input b=0.5 --input t=[1,2] --input unused=1"
expect 3 "$AD" --grad model gr.ad $GIN
has err "no result depends on 'unused'"
expect 0 "$AD" --grad model gr.ad $GIN --allow-unused --format=json
has out '"w": {"dtype": "f32", "shape": \[3\], "data": \[140.5, 186.5, 232.5\]}'
has out '"b": {"dtype": "f32", "shape": \[\], "data": \[46\]}'
has out '"unused": null'
hasnt out '"t"'
expect 0 "$AD" --grad model gr.ad $GIN --wrt w,b --seed 'pred=[0, 0]'
has out "^\[135.5, 179.5, 223.5\]"
has out "^b: f32 = 44"
expect 3 "$AD" --grad model gr.ad $GIN --wrt w,t
has err "'t': it is a nograd parameter"
expect 3 "$AD" --grad model gr.ad $GIN --wrt w,nope
has err "has no parameter 'nope'"
expect 3 "$AD" --grad model gr.ad $GIN --wrt w --seed 'pred=[1, 2, 3]'
has err "the seed for result 'pred'"
expect 3 "$AD" --grad model gr.ad $GIN --wrt w --seed 'nope=1'
has err "has no result 'nope'"
expect 3 "$AD" --grad model gr.ad --input x='[[1,2,3]]'
has err "no input for parameter 'w'"
expect 1 "$AD" --grad model bad.ad
has err "bad.ad:2:13: error: unknown name 'q'"
expect 2 "$AD" --grad nosuch gr.ad
expect 2 "$AD" --run model gr.ad --wrt w
expect 0 "$AD" --grad model gr.ad $GIN --wrt w --output-dir gout
[ -f gout/w.npy ] && ok || bad "--grad --output-dir wrote nothing"

# ---- --jacobian: d pred / d w is x, d loss / d b is 2 mean(pred - t) = 44
expect 0 "$AD" --jacobian model gr.ad $GIN --wrt w,b --format=json
has out '"J_pred_w": {"dtype": "f32", "shape": \[2, 3\], "data": \[1, 2, 3, 4, 5, 6\]}'
has out '"J_pred_b": {"dtype": "f32", "shape": \[2\], "data": \[1, 1\]}'
has out '"J_loss_b": {"dtype": "f32", "shape": \[\], "data": \[44\]}'
expect 0 "$AD" --jacobian model gr.ad $GIN
has out "^J_loss_unused: f32 = 0"
expect 2 "$AD" --jacobian model gr.ad --seed loss=1 $GIN
has err "--seed and --allow-unused go with --grad"
expect 2 "$AD" --jacobian model gr.ad --grad model $GIN
has err "go one at a time"

# ---- --jit=cc: the system compiler, cached
export AD_CACHE_DIR="$T/cache"
expect 0 "$AD" --run f f.ad --jit=cc --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]'
has out "^\[1, 2, 8\]"
ls "$T"/cache/*.so >/dev/null 2>&1 && ok || bad "--jit=cc cached nothing"
expect 0 "$AD" --grad model gr.ad $GIN --wrt w --jit=cc
has out "^\[140.5, 186.5, 232.5\]"
expect 2 "$AD" --run f f.ad --jit=gcc
# $CC with arguments, as make takes it (here the sanitizers are not among
# them: ad-compile itself is not built with them, and the code is dlopen'ed)
CC="cc -std=c99 -DAD_TEST_FLAG" expect 0 "$AD" --run f f.ad --jit=cc --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]'
has out "^\[1, 2, 8\]"
unset AD_CACHE_DIR

# ---- nothing lost: outputs are written whole or not at all
echo "old c" >keep2.c
echo "old h" >keep2.h
# the header cannot be written: neither file changes, no temporary is left
expect 3 "$AD" f.ad -o keep2.c --header no/such/dir/keep2.h
has err "cannot write 'no/such/dir/keep2.h'"
has keep2.c "^old c$"
ls keep2.c.tmp* >/dev/null 2>&1 && bad "a temporary file was left" || ok
# the C file cannot be written (a directory is in the way): the header stays old
mkdir inway.c
echo "old h" >inway.h
expect 3 "$AD" f.ad -o inway.c
has err "cannot write 'inway.c'"
has inway.h "^old h$"
ls inway.h.tmp* inway.c.tmp* >/dev/null 2>&1 && bad "a temporary file was left" || ok
# --output-dir: all results or none
mkdir -p res2/s.npy
echo old >res2/y.npy
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]' --output-dir res2
has err "cannot write 'res2/s.npy'"
has res2/y.npy "^old$"
ls res2/*.tmp* >/dev/null 2>&1 && bad "a temporary file was left" || ok
echo plain >notadir
expect 3 "$AD" --run f f.ad --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]' --output-dir notadir
has notadir "^plain$"
# --plot: a failed plot leaves the old picture
if command -v gnuplot >/dev/null 2>&1; then
	echo "old png" >old.png
	AD_GNUPLOT=false "$AD" --run g f.ad --plot old.png >out 2>err
	[ $? = 3 ] && ok || bad "--plot with a failing gnuplot did not exit 3"
	has old.png "^old png$"
	mkdir inway.png
	expect 3 "$AD" --run g f.ad --plot inway.png
	[ -d inway.png ] && ok || bad "the directory in the way of --plot was replaced"
fi
# an interrupt while writing: the old file, or the whole new one
{ echo 'func f(x: f32) -> (y) {'; awk 'BEGIN { for (i = 0; i < 20000; i++) print "    x = x + 1" }'; echo '    y = x }'; } >big.ad
mkdir ref
"$AD" big.ad -o ref/intr.c
for delay in 0.02 0.05 0.1 0.2; do
	echo "old" >intr.c
	"$AD" big.ad -o intr.c &
	pid=$!
	sleep $delay
	kill -INT $pid 2>/dev/null
	wait $pid
	if cmp -s intr.c ref/intr.c || [ "$(cat intr.c)" = old ]; then ok; else bad "an interrupted write left a partial intr.c"; fi
	ls intr.c.tmp* intr.h.tmp* >/dev/null 2>&1 && bad "an interrupted write left a temporary file" || ok
done

# ---- @- reads an input from standard input, JSON or .npy, once
printf 'func dbl(x: f32[n]) -> (y) {\n    y = x * 2\n}\n' >dbl.ad
echo '[1, 2, 3]' | "$AD" --run dbl dbl.ad --input x=@- --format=json >out 2>err
has out '"data": \[2, 4, 6\]'
"$AD" --run dbl dbl.ad --input 'x=[5, 6]' --output-dir stdin_npy >/dev/null
"$AD" --run dbl dbl.ad --input x=@- --format=json <stdin_npy/y.npy >out 2>err
has out '"data": \[20, 24\]'
expect 3 "$AD" --run dbl - --input x=@- <dbl.ad
has err "standard input can be read once"

# ---- the header compiles as C++, and C++ calls the emitted C
if command -v g++ >/dev/null 2>&1; then
	"$AD" f.ad -o cxx_gen.c
	cat >cxx_main.cpp <<'CXX'
#include <cstdio>
#include "cxx_gen.h"
int main()
{
	float x[2] = {1, 2}, w[6] = {1, 0, 2, 0, 1, 3}, y[3], s;
	if (f(2, 3, x, w, y, &s) != AD_OK)
		return 1;
	std::printf("%g %g %g %g\n", y[0], y[1], y[2], s);
	return 0;
}
CXX
	if cc -std=c99 -c cxx_gen.c -o cxx_gen.o && g++ -std=c++11 -Wall -Wextra -pedantic -Werror -c cxx_main.cpp &&
		g++ cxx_main.o cxx_gen.o -o cxx_main -lm && ./cxx_main >out; then
		has out "^1 2 8 3$"
	else
		bad "the emitted header does not work from C++"
	fi
fi

# ---- --run, --grad and --check call through the same module path
printf 'func sq(A: f64[n, n]) -> (s) {\n    s = sum(A * A)\n}\n' >sq.ad
expect 3 "$AD" --run sq sq.ad --input 'A=[[1, 2, 3], [4, 5, 6]]'
has err "sq: input 'A' has n = 3 along axis 1, but its axis 0 set n = 2"
expect 3 "$AD" --grad sq sq.ad --input 'A=[[1, 2, 3], [4, 5, 6]]'
has err "sq: input 'A' has n = 3 along axis 1, but its axis 0 set n = 2"
expect 3 "$AD" --check sq sq.ad --input 'A=[[1, 2, 3], [4, 5, 6]]'
has err "sq: input 'A' has n = 3 along axis 1, but its axis 0 set n = 2"
expect 0 "$AD" --grad sq sq.ad --input 'A=[[1, 2], [3, 4]]'
has out "\[\[2, 4\],"
# a none result is said and not written
printf 'func f(x: f32, y: f32) -> (u, g) {\n    u = x * 2\n    g = grad(u, y, allow_unused=true)\n}\n' >none.ad
rm -rf noneout
expect 0 "$AD" --run f none.ad --input x=1 --input y=2 --output-dir noneout
has err "g is none; no noneout/g.npy was written"
[ -f noneout/u.npy ] && [ ! -f noneout/g.npy ] && ok || bad "--output-dir wrote a none result"
# --dump-after with every mode that compiles, --grad included
expect 0 "$AD" --grad sq sq.ad --input 'A=[[1]]' --dump-after=vjp
has err "after vjp:"
expect 0 "$AD" --run sq sq.ad --input 'A=[[1]]' --dump-after=fuse
has err "after fuse:"
expect 0 "$AD" sq.ad --emit=c --dump-after=jvp
has err "after jvp:"
has err "func sq_jvp("
"$AD" sq.ad --emit=ir >sq.ir
expect 0 "$AD" --grad sq sq.ir --input 'A=[[3]]'
has out "6"
# IR with a loop: run, emitted with every entry, differentiated (2^3 a)
printf 'func count(a: f64) -> (x: f64)\n  %%0:f64 = param a\n  %%1:(f64) = loop %%0 range(0, 3, 1) inv=0 carry=1 xs=0\n    body step(t: i64, x: f64) -> (x2: f64)\n      %%0:i64 = param t\n      %%1:f64 = param x\n      %%2:f64 = add %%1, %%1\n      ret x2=%%2\n  %%2:f64 = extract %%1 index=0\n  ret x=%%2\n' >count.ir
expect 0 "$AD" --run count count.ir --input a=1.5
has out "x: f64 = 12"
expect 0 "$AD" count.ir -o count.c
has count.c "count_vjp"
expect 0 "$AD" --grad count count.ir --input a=1.5
has out "8"
expect 0 "$AD" --check count count.ir --input a=1.5
# an empty IR file defines no function: an error, not a crash
: >empty.ir
expect 1 "$AD" --run f empty.ir
has err "the file defines no function"
expect 1 "$AD" empty.ir --emit=ir-opt

# ---- the manual page: every option of --help, and no groff warnings
MAN=$(dirname "$AD")/man/ad-compile.1
if [ -f "$MAN" ]; then
	"$AD" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >opts
	while read -r opt; do
		esc=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
		grep -q -- "$esc" "$MAN" && ok || bad "the manual page lacks $opt"
	done <opts
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww "$MAN" 2>groff.err >/dev/null
		[ -s groff.err ] && bad "groff warns about the manual page: $(head -3 groff.err)" || ok
	fi
else
	bad "no manual page next to $AD"
fi

# ---- flags for emitted code
expect 0 "$AD" --cflags
has out "-DAD_SIMD"
expect 0 "$AD" --cflags --blas
has out "-DAD_BLAS"
expect 0 "$AD" --libs
has out "-lm"
expect 0 "$AD" --libs --blas
has out "-lopenblas"
expect 2 "$AD" f.ad -o "$T/blas.c" --blas
has err "--blas goes with --cflags, --libs, --run, --grad, --jacobian or --check"
[ ! -e "$T/blas.c" ] && ok || bad "--blas with -o wrote a file"
expect 2 "$AD" --run f f.ad --blas --jit=tcc --input x='[1, 2]' --input 'w=[[1, 0, 2], [0, 1, 3]]'
has err "tcc cannot read OpenBLAS's cblas.h"

finish
