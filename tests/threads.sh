#!/bin/sh
# tests/threads.sh: ad-compile --threads (OpenMP in the emitted code). The
# value and gradient cases of the suite run on 1, 2 and 3 threads, each
# against its expected values, and every result must be the same bytes on
# all three (built with -DAD_PAR_MIN_=1 -DAD_CHUNK_=2 -DAD_BLOCK_=16, so
# that every kernel that can split does: sums in chunks of two elements,
# loops in blocks of 16). The emitted C compiles strictly with and without
# -fopenmp, and by tcc; without --threads the code has no trace of OpenMP.
# Skipped (77) without an OpenMP compiler.
. "$(dirname "$0")/lib.sh"
if ! echo 'int main(void){return 0;}' | cc -fopenmp -x c - -o /dev/null 2>/dev/null; then
	echo "no OpenMP (cc -fopenmp): skipped"
	exit 77
fi
export AD_CACHE_DIR="$T/cache"
export AD_JIT_CFLAGS="-DAD_PAR_MIN_=1 -DAD_CHUNK_=2 -DAD_BLOCK_=16"
cases="threads loops grad index linalg prims shapes jac ints infinity acceptance"
for nt in 1 2 3; do
	mkdir "out$nt"
	# ad-compile --threads on nt threads, keeping each printed result
	cat >"ad$nt" <<EOS
#!/bin/sh
key=\$(printf '%s\n' "\$@" | cksum | tr ' ' _)
OMP_NUM_THREADS=$nt "$AD" "\$@" --threads >"$T/out$nt/\$key"
rc=\$?
cat "$T/out$nt/\$key"
exit \$rc
EOS
	chmod +x "ad$nt"
	files=""
	for c in $cases; do files="$files $SRC/$c/cases.json"; done
	# shellcheck disable=SC2086
	python3 "$SRC/run-cases" "$T/ad$nt" $files >"log$nt" 2>&1
	if tail -1 "log$nt" | grep -q ' 0 failed'; then ok; else bad "$nt threads: $(grep FAIL "log$nt" | head -5) $(tail -1 "log$nt")"; fi
done
n=0
for f in out1/*; do
	k=$(basename "$f")
	n=$((n + 1))
	if cmp -s "$f" "out2/$k" && cmp -s "$f" "out3/$k"; then ok; else bad "different bytes on 1, 2 and 3 threads: $(head -c 200 "$f")"; fi
done
[ "$n" -gt 100 ] && ok || bad "only $n results compared"

# the emitted C: strict C99 with and without OpenMP, tcc; none of it without --threads
expect 0 "$AD" "$SRC/threads/par.ad" --threads -o par.c
has par.c 'AD_PAR_FOR_'
has par.c 'ad_gemm_par_f64_'
for flags in "-fopenmp" "-fopenmp -O2 -DAD_SIMD" ""; do
	# shellcheck disable=SC2086
	expect 0 gcc -std=c99 -Wall -Wextra -pedantic -Werror $flags -c par.c -o par.o
done
if command -v tcc >/dev/null; then expect 0 tcc -c par.c -o par.o; fi
expect 0 "$AD" "$SRC/threads/par.ad" -o plain.c
hasnt plain.c 'AD_PAR\|omp parallel\|_par_f64'
expect 0 "$AD" --cflags --threads
has out '-fopenmp'
expect 0 "$AD" --libs --threads
has out '-fopenmp'
expect 2 "$AD" --run ew "$SRC/threads/par.ad" --threads --jit=tcc
has err 'tcc has no OpenMP'
expect 2 "$AD" "$SRC/threads/par.ad" --threads --emit=ir
has err '--threads goes with -o, --emit=c'
finish
