/* harness.c: runs one emitted function through its ad_meta record, for the
 * differential tester (run.py). Compiled together with the emitted C by
 * each compiler under test, with -DMETA=NAME_meta.
 *
 * Reads the inputs from the file named by argv[1]: per parameter, its rank,
 * its shape and its values (row-major). Prints, one number a line with 17
 * significant digits: every result of NAME, then every gradient of NAME_vjp
 * with seeds of ones, then every gradient of NAME_backward after
 * NAME_forward (the split pair must agree with the VJP). A none result or
 * gradient prints "none". Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"

extern const ad_meta META;

static size_t numel(const int64_t *shape, int rank)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)shape[i];
	return n;
}

static size_t esize(int dtype)
{
	return dtype ? sizeof(double) : sizeof(float);
}

static double get(const void *p, int dtype, size_t i)
{
	return dtype ? ((const double *)p)[i] : ((const float *)p)[i];
}

static void *alloc(size_t n)
{
	void *p = calloc(n ? n : 1, 1);
	if (!p) {
		fprintf(stderr, "harness: out of memory\n");
		exit(1);
	}
	return p;
}

static void print(const char *what, const void *p, int dtype, size_t n)
{
	printf("# %s\n", what);
	for (size_t i = 0; i < n; i++)
		printf("%.17g\n", get(p, dtype, i));
}

int main(int argc, char **argv)
{
	const ad_meta *m = &META;
	enum { MAXP = 32 };
	if (argc != 2 || m->nparams > MAXP || m->nresults > MAXP) {
		fprintf(stderr, "usage: harness INPUTS\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	int64_t shapes[MAXP * AD_META_MAX_RANK] = {0}, rshapes[MAXP * AD_META_MAX_RANK] = {0};
	const void *in[2 * MAXP] = {0};
	void *out[2 * MAXP] = {0};
	for (int p = 0; p < m->nparams; p++) {
		int rank;
		if (fscanf(f, "%d", &rank) != 1 || rank != m->params[p].rank) {
			fprintf(stderr, "harness: bad rank for %s\n", m->params[p].name);
			return 1;
		}
		int64_t *sh = shapes + p * AD_META_MAX_RANK;
		for (int i = 0; i < rank; i++) {
			long long d;
			if (fscanf(f, "%lld", &d) != 1)
				return 1;
			sh[i] = d;
		}
		size_t n = numel(sh, rank);
		void *x = alloc(n * esize(m->params[p].dtype));
		for (size_t i = 0; i < n; i++) {
			double v;
			if (fscanf(f, "%lf", &v) != 1)
				return 1;
			if (m->params[p].dtype)
				((double *)x)[i] = v;
			else
				((float *)x)[i] = (float)v;
		}
		in[p] = x;
	}
	fclose(f);
	int64_t dims[64];
	int where = 0;
	if (m->bind(shapes, dims, &where) != 0 || m->shapes(dims, rshapes) != 0) {
		fprintf(stderr, "harness: the inputs do not fit (%d)\n", where);
		return 1;
	}
	size_t rn[MAXP];
	for (int r = 0; r < m->nresults; r++) {
		rn[r] = numel(rshapes + r * AD_META_MAX_RANK, m->results[r].rank);
		out[r] = alloc(rn[r] * esize(m->results[r].dtype));
	}
	void *work = alloc(m->work_size(dims));
	if (m->call(dims, in, out, work) != 0) {
		fprintf(stderr, "harness: the call failed\n");
		return 1;
	}
	free(work);
	for (int r = 0; r < m->nresults; r++)
		print(m->results[r].none ? "none" : m->results[r].name, out[r], m->results[r].dtype, rn[r]);

	/* the VJP with seeds of ones: in = params, then a NULL seed per result */
	size_t pn[MAXP];
	void *g[MAXP] = {0};
	int k = m->nresults;
	for (int p = 0; p < m->nparams; p++) {
		pn[p] = numel(shapes + p * AD_META_MAX_RANK, m->params[p].rank);
		if (!m->params[p].nograd)
			out[k++] = g[p] = alloc(pn[p] * esize(m->params[p].dtype));
	}
	work = alloc(m->vjp_work_size(dims));
	if (m->vjp(dims, in, out, work) != 0) {
		fprintf(stderr, "harness: the VJP failed\n");
		return 1;
	}
	free(work);
	for (int p = 0; p < m->nparams; p++)
		if (g[p])
			print(m->params[p].name, g[p], m->params[p].dtype, pn[p]);

	/* forward, then backward from the saved values */
	void *saved = alloc(m->saved_size(dims));
	work = alloc(m->forward_work_size(dims));
	if (m->forward(dims, in, out, saved, work) != 0) {
		fprintf(stderr, "harness: forward failed\n");
		return 1;
	}
	free(work);
	const void *seeds[MAXP] = {0};
	void *g2[MAXP] = {0};
	for (int p = 0, j = 0; p < m->nparams; p++)
		if (!m->params[p].nograd)
			g2[j++] = alloc(pn[p] * esize(m->params[p].dtype));
	work = alloc(m->backward_work_size(dims));
	if (m->backward(dims, in, seeds, g2, saved, work) != 0) {
		fprintf(stderr, "harness: backward failed\n");
		return 1;
	}
	free(work);
	free(saved);
	for (int p = 0, j = 0; p < m->nparams; p++)
		if (!m->params[p].nograd) {
			print(m->params[p].name, g2[j], m->params[p].dtype, pn[p]);
			free(g2[j++]);
		}
	for (int p = 0; p < m->nparams; p++) {
		free((void *)in[p]);
		free(g[p]);
	}
	for (int r = 0; r < m->nresults; r++)
		free(out[r]);
	return 0;
}
