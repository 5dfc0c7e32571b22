/* bench/common.h: what every benchmark driver shares: the problems' sizes,
 * deterministic data (written once by data.c, read by every implementation),
 * timing (median of repeated runs after warm-up) and peak memory. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum {
	SIN_N = 1000000,
	MLP_B = 256,
	MLP_IN = 784,
	MLP_H = 128,
	MLP_OUT = 10,
	ROSEN_N = 1000000,
	LR_M = 4096,
	LR_D = 256,
	/* GradBench's / cmpad's ode: n states, RK4 with s steps to tf = 2 */
	ODE_N = 10,
	ODE_S1 = 1000,
	ODE_S2 = 10000,
	/* ADBench's D-LSTM, ../shared/adbench/data/lstm/lstm_l2_c1024.txt */
	LSTM_L = 2,
	LSTM_C = 1024,
	LSTM_B = 14
};

static inline double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Time fn(ctx): 3 warm-up calls, then repeats for about `budget_ms` (at least
 * 15, at most 2000); the median and the minimum, in milliseconds. */
static inline void time_it(void (*fn)(void *), void *ctx, double budget_ms, double *median, double *best, int *reps)
{
	for (int i = 0; i < 3; i++)
		fn(ctx);
	double t0 = now_ms();
	fn(ctx);
	double one = now_ms() - t0;
	int n = one > 0 ? (int)(budget_ms / one) : 2000;
	n = n < 15 ? 15 : n > 2000 ? 2000 : n;
	double *t = (double *)malloc((size_t)n * sizeof *t);
	for (int i = 0; i < n; i++) {
		double a = now_ms();
		fn(ctx);
		t[i] = now_ms() - a;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	*median = t[n / 2];
	*best = t[0];
	*reps = n;
	free(t);
}

static inline long peak_kb(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return u.ru_maxrss;
}

/* Read/write raw arrays in the data directory. */
static inline void *load(const char *dir, const char *name, size_t bytes)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "rb");
	void *p = malloc(bytes ? bytes : 1);
	if (!f || !p || fread(p, 1, bytes, f) != bytes) {
		fprintf(stderr, "cannot read %s (run bench/data first)\n", path);
		exit(2);
	}
	fclose(f);
	return p;
}

static inline void save(const char *dir, const char *problem, const char *impl, const double *v, size_t n)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/out-%s-%s.bin", dir, problem, impl);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(v, sizeof *v, n, f) != n) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	fclose(f);
}

static inline void report(const char *problem, const char *impl, double median, double best, int reps)
{
	printf(
	    "{\"problem\": \"%s\", \"impl\": \"%s\", \"ms\": %.6f, \"min_ms\": %.6f, \"reps\": %d, \"peak_kb\": %ld}\n",
	    problem, impl, median, best, reps, peak_kb());
}

/* The same, with the bytes an implementation keeps for the reverse sweep
 * (work memory, tape), where it can say. */
static inline void report_bytes(const char *problem, const char *impl, double median, double best, int reps,
                                size_t bytes)
{
	printf(
	    "{\"problem\": \"%s\", \"impl\": \"%s\", \"ms\": %.6f, \"min_ms\": %.6f, \"reps\": %d, \"peak_kb\": %ld, "
	    "\"tape_bytes\": %zu}\n",
	    problem, impl, median, best, reps, peak_kb(), bytes);
}

#endif
