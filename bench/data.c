/* bench/data.c: the benchmark's inputs, deterministic (xorshift64*), written
 * once as raw arrays so that every implementation (C, PyTorch, ADOL-C) reads
 * the same numbers. usage: data DIR */
#include "common.h"

#include <math.h>

static uint64_t s = 20261128;
static double uniform(double lo, double hi)
{
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return lo + (hi - lo) * (double)((s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void put(const char *dir, const char *name, const void *p, size_t bytes)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, bytes, f) != bytes) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
	fclose(f);
}

static void f32s(const char *dir, const char *name, size_t n, double lo, double hi)
{
	float *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)uniform(lo, hi);
	put(dir, name, p, n * sizeof *p);
	free(p);
}

static void f64s(const char *dir, const char *name, size_t n, double lo, double hi)
{
	double *p = malloc(n * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = uniform(lo, hi);
	put(dir, name, p, n * sizeof *p);
	free(p);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: data DIR\n");
		return 2;
	}
	const char *d = argv[1];
	f32s(d, "sin_x", SIN_N, -5, 5);
	f32s(d, "mlp_x", (size_t)MLP_B * MLP_IN, 0, 1);
	float *t = calloc((size_t)MLP_B * MLP_OUT, sizeof *t);
	for (int i = 0; i < MLP_B; i++)
		t[i * MLP_OUT + (int)uniform(0, MLP_OUT)] = 1;
	put(d, "mlp_t", t, (size_t)MLP_B * MLP_OUT * sizeof *t);
	free(t);
	f32s(d, "mlp_w1", (size_t)MLP_IN * MLP_H, -0.08, 0.08);
	f32s(d, "mlp_b1", MLP_H, -0.1, 0.1);
	f32s(d, "mlp_w2", (size_t)MLP_H * MLP_OUT, -0.2, 0.2);
	f32s(d, "mlp_b2", MLP_OUT, -0.1, 0.1);
	f64s(d, "rosen_x", ROSEN_N, -1.5, 1.5);
	f64s(d, "rosen_v", ROSEN_N, -1, 1);
	f32s(d, "lr_x", (size_t)LR_M * LR_D, -1, 1);
	float *y = malloc(LR_M * sizeof *y);
	for (int i = 0; i < LR_M; i++)
		y[i] = uniform(0, 1) < 0.5 ? 0 : 1;
	put(d, "lr_y", y, LR_M * sizeof *y);
	free(y);
	f32s(d, "lr_w", LR_D, -0.1, 0.1);
	float b = 0.1f;
	put(d, "lr_b", &b, sizeof b);
	return 0;
}
