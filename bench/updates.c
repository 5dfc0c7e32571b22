/* bench/updates.c: how the time of indexed updates in loops grows with the
 * trip count (bench/updates.ad, emitted by the ad-compile under test). Each
 * line is one size: the median ms of the function (_work) and of its
 * gradient (_vjp_work) and the ns per update, as JSON. An update that
 * copied the whole tensor would make the ns per update grow with the size;
 * one in place keeps it flat. */
#include "common.h"
#include "updates_gen.h"

#include <math.h>

typedef struct Run {
	int fill, recur; /* fill, recur (else rows) */
	int64_t n;       /* T for rows and recur, n for fill */
	double *x, *W, *s, *gx, *gW;
	void *work, *vwork;
} Run;

static void value(void *p)
{
	Run *r = p;
	if (r->fill)
		fill_work(r->n, r->x, r->s, r->work);
	else if (r->recur)
		recur_work(r->n, r->x, r->W, r->s, r->work);
	else
		rows_work(r->n, r->x, r->W, r->s, r->work);
}

static void gradient(void *p)
{
	Run *r = p;
	if (r->fill)
		fill_vjp_work(r->n, r->x, NULL, r->s, r->gx, r->vwork);
	else if (r->recur)
		recur_vjp_work(r->n, r->x, r->W, NULL, r->s, r->gx, r->gW, r->vwork);
	else
		rows_vjp_work(r->n, r->x, r->W, NULL, r->s, r->gx, r->gW, r->vwork);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: updates rows|recur|fill N...\n");
		return 2;
	}
	int fill = strcmp(argv[1], "fill") == 0, recur = strcmp(argv[1], "recur") == 0;
	for (int a = 2; a < argc; a++) {
		Run r = {fill, recur, atoll(argv[a]), 0};
		size_t nx = (size_t)r.n * 8;
		r.x = malloc(nx * sizeof(double));
		r.gx = malloc(nx * sizeof(double));
		r.W = malloc(64 * sizeof(double));
		r.gW = malloc(64 * sizeof(double));
		r.s = malloc(sizeof(double));
		for (size_t i = 0; i < nx; i++)
			r.x[i] = sin(0.1 * (double)i);
		for (int i = 0; i < 64; i++)
			r.W[i] = 0.05 * cos((double)i);
		size_t ws = fill ? fill_work_size(r.n) : recur ? recur_work_size(r.n) : rows_work_size(r.n);
		size_t vs = fill ? fill_vjp_work_size(r.n) : recur ? recur_vjp_work_size(r.n) : rows_vjp_work_size(r.n);
		r.work = malloc(ws);
		r.vwork = malloc(vs);
		double vm, vb, gm, gb;
		int reps;
		time_it(value, &r, 300, &vm, &vb, &reps);
		time_it(gradient, &r, 300, &gm, &gb, &reps);
		/* updates: one row (rows) or one element (fill) per iteration */
		double nup = fill ? (double)r.n * 8 : (double)r.n;
		printf("{\"problem\": \"%s\", \"n\": %lld, \"value_ms\": %.4f, \"grad_ms\": %.4f, "
		       "\"value_ns_per_update\": %.2f, \"grad_ns_per_update\": %.2f, \"grad_work_kib\": %.1f, "
		       "\"s\": %.17g}\n",
		       argv[1], (long long)r.n, vm, gm, vm * 1e6 / nup, gm * 1e6 / nup, (double)vs / 1024, r.s[0]);
		free(r.x), free(r.gx), free(r.W), free(r.gW), free(r.s), free(r.work), free(r.vwork);
	}
	return 0;
}
