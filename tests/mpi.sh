#!/bin/sh
# tests/mpi.sh: samples/mpi_train.c, data-parallel training over MPI with
# the code ad-compile emits, on 1, 2 and 3 ranks: the same loss curve to
# 1e-6 relative as the one process on the whole data (-np 1), and every
# rank ends with the same parameters; then 2 ranks of 2 OpenMP threads each
# (--threads code), on the same curve. Skipped (77) without Open MPI's
# mpicc and mpirun (libopenmpi-dev, openmpi-bin).
. "$(dirname "$0")/lib.sh"
if ! command -v mpicc >/dev/null || ! command -v mpirun >/dev/null; then
	echo "no mpicc or mpirun (Open MPI): skipped"
	exit 77
fi
S=$SRC/../samples
# same_curve FILE WHAT: FILE's 7 losses are np1.out's to 1e-6 relative
same_curve() {
	if awk 'NR == FNR { if ($1 == "epoch") want[$2] = $4; next }
	        $1 == "epoch" { n++; d = $4 - want[$2]; if (d < 0) d = -d; if (d > 1e-6 * want[$2]) bad = 1 }
	        END { exit bad || n != 7 }' np1.out "$1"; then
		ok
	else
		bad "$2: a loss curve that is not one process's: $(paste np1.out "$1" | head -8)"
	fi
}
expect 0 "$AD" "$S/mpi_train.ad" -o mpi_train_gen.c
# shellcheck disable=SC2046
expect 0 mpicc -std=c99 -Wall -Wextra -pedantic -Werror $("$AD" --cflags) -I. "$S/mpi_train.c" mpi_train_gen.c \
	-o mpi_train $("$AD" --libs)
# (as root, Open MPI wants to be told; more ranks than cores, too)
root=""
[ "$(id -u)" = 0 ] && root=--allow-run-as-root
for np in 1 2 3; do
	# shellcheck disable=SC2086
	LIMIT=120 expect 0 mpirun $root --oversubscribe -np $np ./mpi_train
	cp out "np$np.out"
	has "np$np.out" "^$np ranks, training accuracy .*, the same parameters on every rank: yes$"
done
has np1.out "^epoch  600  loss 0\.1"
for np in 2 3; do same_curve "np$np.out" "$np ranks"; done
# the same with --threads code, 2 ranks of 2 threads each: MPI and OpenMP together
expect 0 "$AD" "$S/mpi_train.ad" --threads -o mpi_train_gen.c
# shellcheck disable=SC2046
expect 0 mpicc -std=c99 -Wall -Wextra -pedantic -Werror $("$AD" --cflags --threads) -I. "$S/mpi_train.c" \
	mpi_train_gen.c -o mpi_train_omp $("$AD" --libs --threads)
# shellcheck disable=SC2086
OMP_NUM_THREADS=2 LIMIT=120 expect 0 mpirun $root --oversubscribe -x OMP_NUM_THREADS -np 2 ./mpi_train_omp
cp out omp.out
has omp.out "^2 ranks, training accuracy .*, the same parameters on every rank: yes$"
same_curve omp.out "2 ranks of 2 threads"
finish
