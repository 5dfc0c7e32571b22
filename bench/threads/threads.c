/* bench/threads/threads.c: the benchmark problems at sizes where threads
 * pay, with the code of ad-compile --threads, on a given number of threads;
 * and the machine's own OpenMP scaling for a trivially parallel loop (the
 * ceiling the emitted code is judged against).
 *
 *   threads PROBLEM NTHREADS ROUNDS   (PROBLEM: sin, rosenbrock, mlp, logreg;
 *                                      ceiling: y[i] = sinf(x[i]) by hand, as
 *                                      much arithmetic as memory; stream:
 *                                      y[i] = 2.5 x[i] + z[i] in f64, memory)
 *
 * Prints one line of JSON: the problem, the threads, the median time of
 * ROUNDS runs after two warm-up runs (ms), and a checksum of the results
 * (the same for every thread count: tests/threads.sh proves the bits). */
#include "../common.h" /* (now_ms, cmp_double) */

#include <math.h>
#include <omp.h>

#include "logreg_gen.h"
#include "mlp_gen.h"
#include "rosenbrock_gen.h"
#include "sin_gen.h"

/* the sizes where threads pay (bench/common.h's are for one thread) */
enum { BIG_SIN_N = 10000000, BIG_ROSEN_N = 10000000, BIG_MLP_B = 4096, BIG_LR_M = 65536, MAX_ROUNDS = 101 };

static uint64_t state = 12345;

/* uniform in [lo, hi), from a 64-bit linear congruential generator */
static double uniform(double lo, double hi)
{
	state = state * 6364136223846793005u + 1442695040888963407u;
	return lo + (hi - lo) * ((double)(state >> 11) / 9007199254740992.0);
}

static float *floats(size_t n, double lo, double hi)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; p && i < n; i++)
		p[i] = (float)uniform(lo, hi);
	return p;
}

static double sum_f(const float *p, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

/* One problem's inputs, outputs and work memory. */
typedef struct Problem {
	const char *name;
	float *in[6], *out[5];
	double *x64, *f64, *g64;
	void *work;
} Problem;

static int setup(Problem *p)
{
	memset(p->in, 0, sizeof p->in);
	if (strcmp(p->name, "sin") == 0 || strcmp(p->name, "ceiling") == 0) {
		p->in[0] = floats(BIG_SIN_N, -3, 3);
		p->out[0] = floats(BIG_SIN_N, 0, 1);
		p->out[1] = floats(BIG_SIN_N, 0, 1);
		p->work = malloc(sin_grad_work_size(BIG_SIN_N) + 1);
		return p->in[0] && p->out[0] && p->out[1] && p->work;
	}
	if (strcmp(p->name, "rosenbrock") == 0 || strcmp(p->name, "stream") == 0) {
		p->x64 = malloc(sizeof(double) * BIG_ROSEN_N);
		p->g64 = malloc(sizeof(double) * BIG_ROSEN_N);
		p->f64 = malloc(sizeof(double));
		for (int i = 0; p->x64 && i < BIG_ROSEN_N; i++)
			p->x64[i] = uniform(-2, 2);
		p->work = malloc(rosen_grad_work_size(BIG_ROSEN_N) + 1);
		return p->x64 && p->g64 && p->f64 && p->work;
	}
	if (strcmp(p->name, "mlp") == 0) {
		p->in[0] = floats((size_t)BIG_MLP_B * MLP_IN, 0, 1);
		p->in[1] = floats((size_t)BIG_MLP_B * MLP_OUT, 0, 0);
		for (int i = 0; p->in[1] && i < BIG_MLP_B; i++)
			p->in[1][i * MLP_OUT + i % MLP_OUT] = 1; /* one-hot targets */
		p->in[2] = floats((size_t)MLP_IN * MLP_H, -0.05, 0.05);
		p->in[3] = floats(MLP_H, -0.1, 0.1);
		p->in[4] = floats((size_t)MLP_H * MLP_OUT, -0.1, 0.1);
		p->in[5] = floats(MLP_OUT, -0.1, 0.1);
		p->out[0] = floats(1, 0, 0);
		p->out[1] = floats((size_t)MLP_IN * MLP_H, 0, 0);
		p->out[2] = floats(MLP_H, 0, 0);
		p->out[3] = floats((size_t)MLP_H * MLP_OUT, 0, 0);
		p->out[4] = floats(MLP_OUT, 0, 0);
		p->work = malloc(mlp_work_size(BIG_MLP_B) + 1);
		for (int i = 0; i < 6; i++)
			if (!p->in[i])
				return 0;
		return p->out[0] && p->out[1] && p->out[2] && p->out[3] && p->out[4] && p->work;
	}
	if (strcmp(p->name, "logreg") == 0) {
		p->in[0] = floats((size_t)BIG_LR_M * LR_D, -1, 1);
		p->in[1] = floats(BIG_LR_M, 0, 1);
		for (int i = 0; p->in[1] && i < BIG_LR_M; i++)
			p->in[1][i] = p->in[1][i] > 0.5f;
		p->in[2] = floats(LR_D, -0.1, 0.1);
		p->in[3] = floats(1, 0, 0);
		p->out[0] = floats(1, 0, 0);
		p->out[1] = floats(LR_D, 0, 0);
		p->out[2] = floats(1, 0, 0);
		p->work = malloc(logreg_work_size(BIG_LR_M, LR_D) + 1);
		return p->in[0] && p->in[1] && p->in[2] && p->in[3] && p->out[0] && p->out[1] && p->out[2] && p->work;
	}
	return 0;
}

/* the trivially parallel loops: what OpenMP itself gets from the cores,
 * computing (ceiling) and streaming through memory (stream) */
static void ceiling(const float *x, float *y)
{
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < BIG_SIN_N; i++)
		y[i] = sinf(x[i]);
}

static void stream(const double *x, double *y)
{
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < BIG_ROSEN_N; i++)
		y[i] = 2.5 * x[i] + y[i];
}

/* One run; returns a checksum of the results, or NAN on an error. */
static double run(Problem *p)
{
	const char *n = p->name;
	if (strcmp(n, "ceiling") == 0) {
		ceiling(p->in[0], p->out[0]);
		return sum_f(p->out[0], 16);
	}
	if (strcmp(n, "stream") == 0) {
		stream(p->x64, p->g64);
		return 0;
	}
	if (strcmp(n, "sin") == 0)
		return sin_grad_work(BIG_SIN_N, p->in[0], p->out[0], p->out[1], p->work) ? NAN : sum_f(p->out[1], 16);
	if (strcmp(n, "rosenbrock") == 0)
		return rosen_grad_work(BIG_ROSEN_N, p->x64, p->f64, p->g64, p->work) ? NAN : p->f64[0] + p->g64[1];
	if (strcmp(n, "mlp") == 0)
		return mlp_work(BIG_MLP_B, p->in[0], p->in[1], p->in[2], p->in[3], p->in[4], p->in[5], p->out[0],
		                p->out[1], p->out[2], p->out[3], p->out[4], p->work)
		           ? NAN
		           : p->out[0][0] + sum_f(p->out[1], 64);
	return logreg_work(BIG_LR_M, LR_D, p->in[0], p->in[1], p->in[2], p->in[3], p->out[0], p->out[1], p->out[2],
	                   p->work)
	           ? NAN
	           : p->out[0][0] + sum_f(p->out[1], LR_D);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s sin|rosenbrock|mlp|logreg|ceiling|stream NTHREADS ROUNDS\n", argv[0]);
		return 2;
	}
	Problem p = {.name = argv[1]};
	int threads = atoi(argv[2]), rounds = atoi(argv[3]);
	if (threads < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "%s: NTHREADS >= 1 and ROUNDS in 1..%d\n", argv[0], MAX_ROUNDS);
		return 2;
	}
	if (!setup(&p)) {
		fprintf(stderr, "%s: unknown problem '%s', or out of memory\n", argv[0], p.name);
		return 2;
	}
	omp_set_num_threads(threads);
	double check = run(&p);
	run(&p);
	double t[MAX_ROUNDS];
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ms();
		double c = run(&p);
		t[r] = now_ms() - t0;
		if (isnan(c) || c != check) {
			fprintf(stderr, "%s: %s failed or changed its results\n", argv[0], p.name);
			return 1;
		}
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp_double);
	printf("{\"problem\": \"%s\", \"threads\": %d, \"ms\": %.4f, \"check\": %.17g}\n", p.name, threads,
	       t[rounds / 2], check);
	return 0;
}
