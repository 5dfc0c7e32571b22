/* samples/mpi_train.c: data-parallel training over MPI. The 2-layer
 * perceptron of mlp.ad (in f64: mpi_train.ad) learns three interleaved
 * spirals, as samples/mlp_train.c does; each rank holds a
 * shard of the data (a contiguous block of rows), computes the loss and
 * gradients of its shard with the code ad-compile emits, and the shards'
 * contributions are summed over the ranks with MPI_Allreduce, so that every
 * rank takes the same step: the loss curve is that of one process on the
 * whole data (to rounding).
 *
 *   ad-compile mpi_train.ad -o mpi_train_gen.c
 *   mpicc $(ad-compile --cflags) mpi_train.c mpi_train_gen.c -o mpi_train $(ad-compile --libs)
 *   mpirun -np 4 ./mpi_train
 *
 * cross_entropy is a mean over the rows, so a shard of n_r of the N rows
 * contributes n_r / N of its loss and of its gradients; the contributions
 * are summed in rank order (a reduction MPI may not reorder).
 * Rank 0 prints the loss every 100 epochs and the accuracy at the end; every
 * rank checks that it holds the same parameters as rank 0. Exits with
 * status 1 if the loss does not fall or the ranks disagree. */
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_train_gen.h"

enum { N = 3000, D = 2, K = 3, H = 32, EPOCHS = 600 };
enum { NPARAM = D * H + H + H * K + K };

static uint64_t state = 7;

static double uniform(void)
{
	state = state * 6364136223846793005u + 1442695040888963407u;
	return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

/* in[i] + inout[i]: MPI_Op_create with commute = 0 has MPI apply it in
 * rank order, so the sum does not depend on how the ranks are placed */
static void add_in_order(void *in, void *inout, int *len, MPI_Datatype *type)
{
	(void)type;
	const double *a = in;
	double *b = inout;
	for (int i = 0; i < *len; i++)
		b[i] = a[i] + b[i];
}

/* Every rank's data are the whole set (the same seed), of which it keeps
 * rows [lo, hi); the parameters start the same everywhere. */
static void make_data(double *X, double *Y, double *theta)
{
	for (int i = 0; i < N; i++) {
		int c = i % K;
		double r = (double)(i / K) / (N / K), t = c * 4.0 + 4.0 * r + 0.2 * normal();
		X[i * D] = r * sin(t);
		X[i * D + 1] = r * cos(t);
		Y[i * K + c] = 1; /* one-hot */
	}
	double *W1 = theta, *W2 = theta + D * H + H;
	for (int i = 0; i < D * H; i++)
		W1[i] = normal() / sqrt(D);
	for (int i = 0; i < H * K; i++)
		W2[i] = normal() / sqrt(H);
}

static int run(int rank, int size)
{
	static double X[N * D], Y[N * K], theta[NPARAM], grad[NPARAM], P[N * K];
	static double sum[1 + NPARAM], total[1 + NPARAM];
	make_data(X, Y, theta);
	const int64_t lo = (int64_t)N * rank / size, hi = (int64_t)N * (rank + 1) / size, n = hi - lo;
	const double share = (double)n / N;
	double *W1 = theta, *b1 = W1 + D * H, *W2 = b1 + H, *b2 = W2 + H * K;
	double *gW1 = grad, *gb1 = gW1 + D * H, *gW2 = gb1 + H, *gb2 = gW2 + H * K;
	void *work = malloc(mlp_work_size(n, D, K, H) + 1);
	MPI_Op op;
	MPI_Op_create(add_in_order, 0, &op);
	int ok = work != NULL;
	double first = 0, last = INFINITY;
	const double rate = 0.7;
	for (int epoch = 1; ok && epoch <= EPOCHS; epoch++) {
		double loss = 0;
		/* this shard's loss and gradients (a rank without rows adds nothing) */
		if (n > 0 && mlp_work(n, D, K, H, X + lo * D, Y + lo * K, W1, b1, W2, b2, &loss, gW1, gb1, gW2, gb2,
		                      work) != AD_OK)
			ok = 0;
		sum[0] = n > 0 ? share * loss : 0;
		for (int i = 0; i < NPARAM; i++)
			sum[1 + i] = n > 0 ? share * grad[i] : 0;
		MPI_Allreduce(sum, total, 1 + NPARAM, MPI_DOUBLE, op, MPI_COMM_WORLD);
		if (epoch == 1)
			first = total[0];
		if (epoch == 1 || epoch % 100 == 0) {
			if (rank == 0)
				printf("epoch %4d  loss %.12f\n", epoch, total[0]);
			ok &= total[0] < last;
			last = total[0];
		}
		for (int i = 0; i < NPARAM; i++) /* the same step on every rank */
			theta[i] -= rate * total[1 + i];
	}
	free(work);
	MPI_Op_free(&op);
	/* the ranks hold the same parameters: rank 0's, bit for bit */
	static double theta0[NPARAM];
	memcpy(theta0, theta, sizeof theta);
	MPI_Bcast(theta0, NPARAM, MPI_DOUBLE, 0, MPI_COMM_WORLD);
	int same = memcmp(theta0, theta, sizeof theta) == 0, all_same = 0;
	MPI_Allreduce(&same, &all_same, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
	int all_ok = 0;
	MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
	if (rank != 0)
		return all_ok && all_same ? 0 : 1;
	if (predict(N, D, H, K, X, W1, b1, W2, b2, P) != AD_OK)
		return 1;
	int right = 0;
	for (int i = 0; i < N; i++) {
		int best = 0;
		for (int c = 1; c < K; c++)
			if (P[i * K + c] > P[i * K + best])
				best = c;
		right += Y[i * K + best] == 1;
	}
	printf("%d ranks, training accuracy %.1f%%, the same parameters on every rank: %s\n", size, 100.0 * right / N,
	       all_same ? "yes" : "no");
	if (!all_ok || !all_same || last > 0.5 * first) {
		fprintf(stderr, "mpi_train: the loss did not fall, a rank failed or the ranks disagree\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank = 0, size = 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	int rc = run(rank, size);
	MPI_Finalize();
	return rc;
}
