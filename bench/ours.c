/* bench/ours.c: the emitted code of bench/*.ad, called through the C ABI
 * (the _work entries, with scratch memory allocated once, as embedded users
 * call it). usage: ours PROBLEM DATADIR */
#include "common.h"
#include "logreg_gen.h"
#include "mlp_gen.h"
#include "rosenbrock_gen.h"
#include "sin_gen.h"

static void *work;
static const char *dir;

static void *scratch(size_t n)
{
	if (n == SIZE_MAX) {
		fprintf(stderr, "bad dimensions\n");
		exit(2);
	}
	return malloc(n ? n : 1);
}

static void check(int rc)
{
	if (rc) {
		fprintf(stderr, "the emitted code returned %d\n", rc);
		exit(2);
	}
}

/* ---- sin */
static float *sx, *sy, *sd;
static void run_sin(void *c)
{
	(void)c;
	check(sin_grad_work(SIN_N, sx, sy, sd, work));
}

/* ---- mlp */
static float *mx, *mt, *mw1, *mb1, *mw2, *mb2, mloss, *gw1, *gb1, *gw2, *gb2;
static void run_mlp(void *c)
{
	(void)c;
	check(mlp_work(MLP_B, mx, mt, mw1, mb1, mw2, mb2, &mloss, gw1, gb1, gw2, gb2, work));
}

/* ---- rosenbrock */
static double *rx, *rv, rf, *rg, *rh;
static void run_rosen(void *c)
{
	(void)c;
	check(rosen_grad_work(ROSEN_N, rx, &rf, rg, work));
}
static void run_hvp(void *c)
{
	(void)c;
	check(rosen_hvp_work(ROSEN_N, rx, rv, rh, work));
}

/* ---- logistic regression */
static float *lx, *ly, *lw, *lb, lloss, *lgw, lgb;
static void run_lr(void *c)
{
	(void)c;
	check(logreg_work(LR_M, LR_D, lx, ly, lw, lb, &lloss, lgw, &lgb, work));
}

static double *to_f64(const float *p, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = p[i];
	return out + n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ours PROBLEM DATADIR\n");
		return 2;
	}
	const char *p = argv[1];
	dir = argv[2];
	double med, best;
	int reps;
	if (strcmp(p, "sin") == 0) {
		sx = load(dir, "sin_x", SIN_N * 4);
		sy = malloc(SIN_N * 4);
		sd = malloc(SIN_N * 4);
		work = scratch(sin_grad_work_size(SIN_N));
		time_it(run_sin, NULL, 1500, &med, &best, &reps);
		double *o = malloc(2 * SIN_N * sizeof(double));
		to_f64(sd, SIN_N, to_f64(sy, SIN_N, o));
		save(dir, p, "ours", o, 2 * SIN_N);
	} else if (strcmp(p, "mlp") == 0) {
		mx = load(dir, "mlp_x", MLP_B * MLP_IN * 4);
		mt = load(dir, "mlp_t", MLP_B * MLP_OUT * 4);
		mw1 = load(dir, "mlp_w1", MLP_IN * MLP_H * 4);
		mb1 = load(dir, "mlp_b1", MLP_H * 4);
		mw2 = load(dir, "mlp_w2", MLP_H * MLP_OUT * 4);
		mb2 = load(dir, "mlp_b2", MLP_OUT * 4);
		gw1 = malloc(MLP_IN * MLP_H * 4);
		gb1 = malloc(MLP_H * 4);
		gw2 = malloc(MLP_H * MLP_OUT * 4);
		gb2 = malloc(MLP_OUT * 4);
		work = scratch(mlp_work_size(MLP_B));
		time_it(run_mlp, NULL, 1500, &med, &best, &reps);
		size_t n = 1 + MLP_IN * MLP_H + MLP_H + MLP_H * MLP_OUT + MLP_OUT;
		double *o = malloc(n * sizeof(double)), *q = o;
		*q++ = mloss;
		q = to_f64(gw1, MLP_IN * MLP_H, q);
		q = to_f64(gb1, MLP_H, q);
		q = to_f64(gw2, MLP_H * MLP_OUT, q);
		to_f64(gb2, MLP_OUT, q);
		save(dir, p, "ours", o, n);
	} else if (strcmp(p, "rosen") == 0 || strcmp(p, "hvp") == 0) {
		rx = load(dir, "rosen_x", ROSEN_N * 8);
		rv = load(dir, "rosen_v", ROSEN_N * 8);
		rg = malloc(ROSEN_N * 8);
		rh = malloc(ROSEN_N * 8);
		if (strcmp(p, "rosen") == 0) {
			work = scratch(rosen_grad_work_size(ROSEN_N));
			time_it(run_rosen, NULL, 1500, &med, &best, &reps);
			double *o = malloc((ROSEN_N + 1) * sizeof(double));
			o[0] = rf;
			memcpy(o + 1, rg, ROSEN_N * 8);
			save(dir, p, "ours", o, ROSEN_N + 1);
		} else {
			work = scratch(rosen_hvp_work_size(ROSEN_N));
			time_it(run_hvp, NULL, 1500, &med, &best, &reps);
			save(dir, p, "ours", rh, ROSEN_N);
		}
	} else if (strcmp(p, "logreg") == 0) {
		lx = load(dir, "lr_x", LR_M * LR_D * 4);
		ly = load(dir, "lr_y", LR_M * 4);
		lw = load(dir, "lr_w", LR_D * 4);
		lb = load(dir, "lr_b", 4);
		lgw = malloc(LR_D * 4);
		work = scratch(logreg_work_size(LR_M, LR_D));
		time_it(run_lr, NULL, 1500, &med, &best, &reps);
		double o[1 + LR_D + 1];
		o[0] = lloss;
		to_f64(lgw, LR_D, o + 1);
		o[1 + LR_D] = lgb;
		save(dir, p, "ours", o, 2 + LR_D);
	} else {
		fprintf(stderr, "unknown problem %s\n", p);
		return 2;
	}
	report(p, "ad-compile", med, best, reps);
	return 0;
}
