/* bench/ours.c: the emitted code of bench/*.ad, called through the C ABI
 * (the _work entries, with scratch memory allocated once, as embedded users
 * call it). usage: ours PROBLEM DATADIR */
#include "common.h"

#include <stdbool.h>

#include "logreg_gen.h"
#include "lstm_gen.h"
#include "mlp_gen.h"
#include "ode_gen.h"
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
static void run_hvp_fwd(void *c)
{
	(void)c;
	check(rosen_fwd_hvp_work(ROSEN_N, rx, rv, rh, work));
}

/* ---- logistic regression */
static float *lx, *ly, *lw, *lb, lloss, *lgw, lgb;
static void run_lr(void *c)
{
	(void)c;
	check(logreg_work(LR_M, LR_D, lx, ly, lw, lb, &lloss, lgw, &lgb, work));
}

/* ---- ode (bench/ode.ad): the final state, and the gradient of its last
 * component; s = 1000 or 10000 steps, with checkpoints every ~sqrt(s) */
static double ox[ODE_N], oy[ODE_N], odx[ODE_N];
static void run_ode1k_f(void *c)
{
	(void)c;
	check(ode1k_work(ox, oy, work));
}
static void run_ode10k_f(void *c)
{
	(void)c;
	check(ode10k_work(ox, oy, work));
}
static void run_ode1k(void *c)
{
	(void)c;
	check(ode1k_grad_work(ox, oy, odx, work));
}
static void run_ode10k(void *c)
{
	(void)c;
	check(ode10k_grad_work(ox, oy, odx, work));
}
static void run_ode10k_ckpt(void *c)
{
	(void)c;
	check(ode10k_ckpt_grad_work(ox, oy, odx, work));
}

/* ---- lstm (bench/lstm.ad): ADBench's D-LSTM, l = 2 */
static double lmain[8 * LSTM_L * LSTM_B], lextra[3 * LSTM_B], lstate[2 * LSTM_L * LSTM_B], *lseq, lloss_,
    lgmain[8 * LSTM_L * LSTM_B], lgextra[3 * LSTM_B];
static void run_lstm_f(void *c)
{
	(void)c;
	check(lstm_loss_work(LSTM_B, LSTM_C, lmain, lextra, lstate, lseq, &lloss_, work));
}
static void run_lstm(void *c)
{
	(void)c;
	check(lstm_grad_work(LSTM_B, LSTM_C, lmain, lextra, lstate, lseq, &lloss_, lgmain, lgextra, work));
}
static void run_lstm_ckpt(void *c)
{
	(void)c;
	check(lstm_ckpt_grad_work(LSTM_B, LSTM_C, lmain, lextra, lstate, lseq, &lloss_, lgmain, lgextra, work));
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
	} else if (strcmp(p, "rosen") == 0 || strcmp(p, "hvp") == 0 || strcmp(p, "hvp_fwd") == 0) {
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
		} else if (strcmp(p, "hvp") == 0) {
			work = scratch(rosen_hvp_work_size(ROSEN_N));
			time_it(run_hvp, NULL, 1500, &med, &best, &reps);
			save(dir, p, "ours", rh, ROSEN_N);
		} else {
			work = scratch(rosen_fwd_hvp_work_size(ROSEN_N));
			time_it(run_hvp_fwd, NULL, 1500, &med, &best, &reps);
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
	} else if (strncmp(p, "ode", 3) == 0) {
		static const struct {
			const char *name;
			void (*run)(void *);
			size_t (*size)(void);
			bool grad;
		} odes[] = {{"ode1k_f", run_ode1k_f, ode1k_work_size, false},
		            {"ode10k_f", run_ode10k_f, ode10k_work_size, false},
		            {"ode1k", run_ode1k, ode1k_grad_work_size, true},
		            {"ode10k", run_ode10k, ode10k_grad_work_size, true},
		            {"ode10k_ckpt", run_ode10k_ckpt, ode10k_ckpt_grad_work_size, true}};
		size_t i = 0;
		while (i < sizeof odes / sizeof *odes && strcmp(odes[i].name, p) != 0)
			i++;
		if (i == sizeof odes / sizeof *odes) {
			fprintf(stderr, "unknown problem %s\n", p);
			return 2;
		}
		memcpy(ox, load(dir, "ode_x", sizeof ox), sizeof ox);
		size_t bytes = odes[i].size();
		work = scratch(bytes);
		time_it(odes[i].run, NULL, 1500, &med, &best, &reps);
		double o[2 * ODE_N];
		memcpy(o, oy, sizeof oy);
		memcpy(o + ODE_N, odx, sizeof odx);
		save(dir, p, "ours", o, odes[i].grad ? 2 * ODE_N : ODE_N);
		report_bytes(p, "ad-compile", med, best, reps, bytes);
		return 0;
	} else if (strncmp(p, "lstm", 4) == 0) {
		bool f_only = strcmp(p, "lstm_f") == 0, ckpt = strcmp(p, "lstm_ckpt") == 0;
		if (!f_only && !ckpt && strcmp(p, "lstm") != 0) {
			fprintf(stderr, "unknown problem %s\n", p);
			return 2;
		}
		memcpy(lmain, load(dir, "lstm_main", sizeof lmain), sizeof lmain);
		memcpy(lextra, load(dir, "lstm_extra", sizeof lextra), sizeof lextra);
		memcpy(lstate, load(dir, "lstm_state", sizeof lstate), sizeof lstate);
		lseq = load(dir, "lstm_seq", (size_t)LSTM_C * LSTM_B * 8);
		size_t bytes = f_only ? lstm_loss_work_size(LSTM_B, LSTM_C)
		               : ckpt ? lstm_ckpt_grad_work_size(LSTM_B, LSTM_C)
		                      : lstm_grad_work_size(LSTM_B, LSTM_C);
		work = scratch(bytes);
		time_it(f_only ? run_lstm_f : ckpt ? run_lstm_ckpt : run_lstm, NULL, 1500, &med, &best, &reps);
		size_t n = 1 + sizeof lgmain / 8 + sizeof lgextra / 8;
		double o[1 + sizeof lgmain / 8 + sizeof lgextra / 8];
		o[0] = lloss_;
		memcpy(o + 1, lgmain, sizeof lgmain);
		memcpy(o + 1 + sizeof lgmain / 8, lgextra, sizeof lgextra);
		save(dir, p, "ours", o, f_only ? 1 : n);
		report_bytes(p, "ad-compile", med, best, reps, bytes);
		return 0;
	} else {
		fprintf(stderr, "unknown problem %s\n", p);
		return 2;
	}
	report(p, "ad-compile", med, best, reps);
	return 0;
}
