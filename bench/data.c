/* bench/data.c: the benchmark's inputs, deterministic (xorshift64*), written
 * once as raw arrays so that every implementation (C, PyTorch, ADOL-C) reads
 * the same numbers. usage: data DIR [ADBENCH_DATA_DIR]
 * (the second, ADBench's data directory, for the LSTM problem's inputs) */
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

/* ADBench's D-LSTM instance lstm/lstm_lL_cC.txt under the ADBench data
 * directory (format: ../shared/adbench/README.md, "File formats"): `l c b`,
 * then main_params (2l x 4b), extra_params (3 x b), state (2l x b) and
 * sequence (c x b), all row by row; written as the f64 arrays lstm_main,
 * lstm_extra, lstm_state and lstm_seq. Nothing is written, with a note, if
 * the directory is not given or the file is not there. */
static void lstm_data(const char *dir, const char *adbench)
{
	if (!adbench) {
		fprintf(stderr, "data: no ADBench data directory given: no lstm inputs\n");
		return;
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/lstm/lstm_l%d_c%d.txt", adbench, LSTM_L, LSTM_C);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "data: cannot open %s: no lstm inputs\n", path);
		return;
	}
	int l, c, b;
	if (fscanf(f, "%d %d %d", &l, &c, &b) != 3 || l != LSTM_L || c != LSTM_C || b != LSTM_B) {
		fprintf(stderr, "data: %s: expected l c b = %d %d %d\n", path, LSTM_L, LSTM_C, LSTM_B);
		exit(2);
	}
	const struct {
		const char *name;
		size_t n;
	} part[4] = {{"lstm_main", (size_t)8 * LSTM_L * LSTM_B},
	             {"lstm_extra", (size_t)3 * LSTM_B},
	             {"lstm_state", (size_t)2 * LSTM_L * LSTM_B},
	             {"lstm_seq", (size_t)LSTM_C * LSTM_B}};
	for (int k = 0; k < 4; k++) {
		double *p = malloc(part[k].n * sizeof *p);
		for (size_t i = 0; i < part[k].n; i++)
			if (fscanf(f, "%lf", &p[i]) != 1) {
				fprintf(stderr, "data: %s: too few numbers for %s\n", path, part[k].name);
				exit(2);
			}
		put(dir, part[k].name, p, part[k].n * sizeof *p);
		free(p);
	}
	double extra;
	if (fscanf(f, "%lf", &extra) == 1) {
		fprintf(stderr, "data: %s: more numbers than l c b say\n", path);
		exit(2);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: data DIR [ADBENCH_DATA_DIR]\n");
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
	/* drawn last, so that the inputs above stay what they were */
	f64s(d, "ode_x", ODE_N, 0.5, 1.5);
	lstm_data(d, argc == 3 ? argv[2] : NULL);
	return 0;
}
