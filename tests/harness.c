/* harness.c: runs one emitted function through every entry point its
 * ad_meta record offers, for the differential tester (difftest/difftest.py)
 * and the sanitizer run of the emitted code (sanitize.py). Compiled
 * together with the emitted C (`ad-compile prog.ad -o prog.c --header
 * prog.h`) by the compiler under test, with -DMETA=NAME_meta (one function)
 * or -DMETAS='&a_meta, &b_meta' (several; --func picks one).
 *
 *   harness [--guard] [--func NAME] INPUTS
 *   harness [--guard] [--func NAME] --random [DIM=SIZE,...] [--show-inputs]
 *   harness --func NAME --params
 *
 * INPUTS is a file holding, per parameter, its rank, its shape and its
 * values (row-major). --random makes the inputs instead: every symbolic
 * dimension is 3 unless given (`*=SIZE` gives the others), the values are
 * uniform in [-1, 1] from a fixed seed; --show-inputs prints them in the
 * INPUTS format and stops. --params prints the parameters' names, one a
 * line, and stops.
 *
 * It calls the function's _work entry (with scratch memory), its plain
 * entry (which allocates its own), the VJP with seeds of ones (NULL seeds,
 * explicit ones, and with the results not wanted), and the forward/backward
 * pair (backward twice on the same saved values), and the JVP (with fixed
 * tangents v, whose tangents must satisfy sum(J v) = <v, J^T 1> against the
 * VJP's gradients, and with NULL tangents, as with explicit zeros). Every
 * way must give the same bits. With --guard every array the caller passes (inputs, results,
 * seeds, gradients, saved values, scratch memory) lies against a PROT_NONE
 * page, once with its last byte just before the page and once with its
 * first byte just after one, so a read or write outside any of them stops
 * the program (under AddressSanitizer, with a report); the two placements
 * must give the same bits too. Output buffers start filled with NaN bytes,
 * so an element the code forgets to write shows.
 *
 * Prints, one number a line with 17 significant digits, each section headed
 * by "# NAME": every result, then every gradient of the VJP, then every
 * gradient of backward. A none result prints "# none". Exit 0; 1 with a
 * message when something disagrees or fails; 2 when the inputs do not fit
 * the function (wrong shapes, or dimensions its conditions reject). */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prog.h"

#ifndef METAS
#define METAS &META
#endif

static const ad_meta *const metas[] = {METAS};

enum { MAXP = 64, MAXBUF = 8 * MAXP };

static void die(const char *fmt, const char *what)
{
	fprintf(stderr, "harness: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n");
	exit(1);
}

/* ---------------------------------------------------------------- memory */

/* Every buffer the harness hands out, so that it can free them all. */
static struct {
	void *map;
	size_t len;
	void *heap;
} bufs[MAXBUF];
static int nbufs;
static int guard = -1; /* -1: malloc; 0: each buffer ends at a guard page; 1: starts after one */

static void *buffer(size_t n)
{
	if (nbufs == MAXBUF)
		die("%s", "too many buffers");
	void *p;
	if (guard < 0) {
		p = malloc(n ? n : 1);
		if (!p)
			die("%s", "out of memory");
		bufs[nbufs].heap = p;
	} else {
		size_t pg = (size_t)sysconf(_SC_PAGESIZE), span = (n + pg - 1) / pg * pg;
		char *base = mmap(NULL, span + 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			die("%s", "mmap failed");
		if (mprotect(base, pg, PROT_NONE) != 0 || mprotect(base + pg + span, pg, PROT_NONE) != 0)
			die("%s", "mprotect failed");
		bufs[nbufs].map = base;
		bufs[nbufs].len = span + 2 * pg;
		p = guard ? base + pg : base + pg + span - n;
	}
	nbufs++;
	memset(p, 0xff, n); /* NaN in every float type */
	return p;
}

static void free_buffers(void)
{
	for (int i = 0; i < nbufs; i++) {
		if (bufs[i].map)
			munmap(bufs[i].map, bufs[i].len);
		free(bufs[i].heap);
		bufs[i].map = bufs[i].heap = NULL;
	}
	nbufs = 0;
}

/* ---------------------------------------------------------------- inputs */

typedef struct Inputs {
	int64_t shapes[MAXP * AD_META_MAX_RANK];
	double *vals[MAXP];
	size_t numel[MAXP];
} Inputs;

static size_t numel(const int64_t *shape, int rank)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)shape[i];
	return n;
}

/* dtypes as ad_meta gives them: 0 f32, 1 f64, 2 i32, 3 i64 */
static size_t esize(int dtype)
{
	return dtype == 1 || dtype == 3 ? 8 : 4;
}

static void put(void *d, int dtype, size_t i, double v)
{
	switch (dtype) {
	case 0: ((float *)d)[i] = (float)v; break;
	case 1: ((double *)d)[i] = v; break;
	case 2: ((int32_t *)d)[i] = (int32_t)v; break;
	default: ((int64_t *)d)[i] = (int64_t)v; break;
	}
}

static double get(const void *d, int dtype, size_t i)
{
	switch (dtype) {
	case 0: return ((const float *)d)[i];
	case 1: return ((const double *)d)[i];
	case 2: return ((const int32_t *)d)[i];
	default: return (double)((const int64_t *)d)[i];
	}
}

static double *values(size_t n)
{
	double *v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		die("%s", "out of memory");
	return v;
}

static void read_inputs(const ad_meta *m, const char *path, Inputs *x)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot open %s", path);
	for (int p = 0; p < m->nparams; p++) {
		int rank;
		if (fscanf(f, "%d", &rank) != 1 || rank != m->params[p].rank)
			die("bad rank for %s", m->params[p].name);
		int64_t *sh = x->shapes + p * AD_META_MAX_RANK;
		for (int i = 0; i < rank; i++) {
			long long d;
			if (fscanf(f, "%lld", &d) != 1 || d < 0)
				die("bad shape for %s", m->params[p].name);
			sh[i] = d;
		}
		x->numel[p] = numel(sh, rank);
		x->vals[p] = values(x->numel[p]);
		for (size_t i = 0; i < x->numel[p]; i++)
			if (fscanf(f, "%lf", &x->vals[p][i]) != 1)
				die("too few values for %s", m->params[p].name);
	}
	fclose(f);
}

/* The size of dimension `name` in a spec "n=4,m=2,*=5" (`*`: every other
 * dimension; 3 if neither is given). */
static int64_t dim_size(const char *spec, const char *name, size_t len)
{
	int64_t other = 3;
	for (const char *s = spec; s && *s;) {
		const char *eq = strchr(s, '='), *end = strchr(s, ',');
		if (!eq)
			break;
		if ((size_t)(eq - s) == len && strncmp(s, name, len) == 0)
			return strtoll(eq + 1, NULL, 10);
		if (eq - s == 1 && *s == '*')
			other = strtoll(eq + 1, NULL, 10);
		s = end ? end + 1 : NULL;
	}
	return other;
}

static void random_inputs(const ad_meta *m, const char *spec, Inputs *x)
{
	uint64_t state = 0x9e3779b97f4a7c15u;
	for (int p = 0; p < m->nparams; p++) {
		/* the declared type, "f64[n, 3]": a number or a dimension per axis */
		const char *t = strchr(m->params[p].type, '[');
		int64_t *sh = x->shapes + p * AD_META_MAX_RANK;
		for (int a = 0; a < m->params[p].rank; a++) {
			t++;
			while (*t == ' ')
				t++;
			size_t len = strcspn(t, ",]");
			sh[a] = *t >= '0' && *t <= '9' ? strtoll(t, NULL, 10) : dim_size(spec, t, len);
			t += len;
		}
		x->numel[p] = numel(sh, m->params[p].rank);
		x->vals[p] = values(x->numel[p]);
		for (size_t i = 0; i < x->numel[p]; i++) {
			state = state * 6364136223846793005u + 1442695040888963407u;
			x->vals[p][i] = (double)(state >> 11) / (double)((uint64_t)1 << 53) * 2 - 1;
			if (m->params[p].dtype >= 2) /* integers: 0, 1 or 2 (valid indices of any axis of 3 or more) */
				x->vals[p][i] = (double)((state >> 33) % 3);
		}
	}
}

/* ---------------------------------------------------------------- running */

/* What one run of every entry point gives. */
typedef struct Run {
	void *res[MAXP], *vjp[MAXP], *bwd[MAXP], *jvp[MAXP];
} Run;

static void *copy_in(const ad_meta *m, const Inputs *x, int p)
{
	void *d = buffer(x->numel[p] * esize(m->params[p].dtype));
	for (size_t i = 0; i < x->numel[p]; i++)
		put(d, m->params[p].dtype, i, x->vals[p][i]);
	return d;
}

static void same(const void *a, const void *b, size_t n, const char *what)
{
	if (memcmp(a, b, n) != 0)
		die("%s", what);
}

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "harness: %s returned %d\n", what, rc);
		exit(1);
	}
}

/* Kept results are copied to the heap, since the buffers are freed. */
static void *keep(const void *p, size_t n)
{
	void *k = malloc(n ? n : 1);
	if (!k)
		die("%s", "out of memory");
	memcpy(k, p, n);
	return k;
}

/* The tangent the harness gives element i of parameter p: a fixed, uneven
 * direction, 0.25 + ((i + p) % 7) / 8. */
static double tangent_at(int p, size_t i)
{
	return 0.25 + (double)((i + (size_t)p) % 7) / 8;
}

/* Is r a result with a tangent in the JVP (a float result not none)? */
static bool has_tangent(const ad_meta *m, int r)
{
	return !m->results[r].none && m->results[r].dtype < 2;
}

/* The JVP three ways: with the fixed tangents v, with explicit zero
 * tangents and with NULL tangents (which mean zeros: the same bits as the
 * explicit ones). Its results must be the function's, and its tangents J v
 * must agree with the VJP's gradients J^T 1 for seeds of ones: sum(J v) =
 * <v, J^T 1>, to a relative 1e-6 of the terms' magnitudes (1e-3 where a
 * parameter or result is f32), or both not finite. */
static void run_jvp(const ad_meta *m, const void **in, void **out, const int64_t *dims, const size_t *rbytes,
                    const size_t *pbytes, Run *run)
{
	int np = m->nparams, nr = m->nresults;
	void *zero_tan[MAXP] = {0};
	for (int pass = 0; pass < 3; pass++) {
		/* 0: tangents v; 1: explicit zeros; 2: NULL */
		for (int p = 0, t = 0; p < np; p++) {
			if (m->params[p].nograd)
				continue;
			void *v = NULL;
			if (pass < 2) {
				size_t n = pbytes[p] / esize(m->params[p].dtype);
				v = buffer(pbytes[p]);
				for (size_t i = 0; i < n; i++)
					put(v, m->params[p].dtype, i, pass == 0 ? tangent_at(p, i) : 0);
			}
			in[np + t++] = v;
		}
		for (int r = 0, t = 0; r < nr; r++) {
			out[r] = buffer(rbytes[r]);
			if (has_tangent(m, r))
				out[nr + t++] = buffer(rbytes[r]);
		}
		check(m->jvp(dims, in, out, buffer(m->jvp_work_size(dims))), "the JVP");
		double lhs = 0, rhs = 0, scale = 0;
		bool f32 = false;
		for (int r = 0, t = 0; r < nr; r++) {
			same(out[r], run->res[r], rbytes[r], "the JVP's results and the function's disagree");
			if (!has_tangent(m, r))
				continue;
			int dt = m->results[r].dtype;
			f32 = f32 || dt == 0;
			if (pass == 0)
				run->jvp[r] = keep(out[nr + t], rbytes[r]);
			else if (pass == 1)
				zero_tan[r] = keep(out[nr + t], rbytes[r]);
			else
				same(out[nr + t], zero_tan[r], rbytes[r],
				     "the JVP with NULL tangents and with zeros disagree");
			for (size_t i = 0; pass == 0 && i < rbytes[r] / esize(dt); i++) {
				double d = get(out[nr + t], dt, i);
				lhs += d;
				scale += fabs(d);
			}
			t++;
		}
		if (pass > 0 || !m->vjp)
			continue;
		for (int p = 0; p < np; p++) {
			int dt = m->params[p].dtype;
			if (m->params[p].nograd)
				continue;
			f32 = f32 || dt == 0;
			for (size_t i = 0; i < pbytes[p] / esize(dt); i++) {
				double d = tangent_at(p, i) * get(run->vjp[p], dt, i);
				rhs += d;
				scale += fabs(d);
			}
		}
		bool finite = isfinite(lhs) && isfinite(rhs);
		if (finite ? fabs(lhs - rhs) > (f32 ? 1e-3 : 1e-6) * scale : isfinite(lhs) || isfinite(rhs)) {
			fprintf(stderr, "harness: sum(J v) = %.17g by the JVP but <v, J^T 1> = %.17g by the VJP\n", lhs,
			        rhs);
			exit(1);
		}
	}
	for (int r = 0; r < nr; r++)
		free(zero_tan[r]);
}

static void run_all(const ad_meta *m, const Inputs *x, const int64_t *dims, const size_t *rbytes, const size_t *pbytes,
                    Run *run)
{
	int np = m->nparams, nr = m->nresults;
	const void *in[2 * MAXP] = {0};
	void *out[2 * MAXP] = {0};
	for (int p = 0; p < np; p++)
		in[p] = copy_in(m, x, p);
	/* the _work entry, and the plain one */
	for (int r = 0; r < nr; r++)
		out[r] = buffer(rbytes[r]);
	check(m->call(dims, in, out, buffer(m->work_size(dims))), "the _work entry");
	for (int r = 0; r < nr; r++)
		run->res[r] = keep(out[r], rbytes[r]);
	for (int r = 0; r < nr; r++)
		out[r] = buffer(rbytes[r]);
	check(m->call(dims, in, out, NULL), "the plain entry");
	for (int r = 0; r < nr; r++)
		same(out[r], run->res[r], rbytes[r], "the plain and _work entries disagree");
	if (!m->vjp)
		return;
	/* the VJP: in = parameters, then a seed per result that is not none;
	 * out = results, then a gradient per parameter not nograd */
	for (int pass = 0; pass < 3; pass++) {
		/* 0: NULL seeds; 1: explicit seeds of ones; 2: as 0, without the results */
		for (int r = 0, s = 0; r < nr; r++) {
			out[r] = pass == 2 ? NULL : buffer(rbytes[r]);
			if (m->results[r].none)
				continue;
			void *seed = NULL;
			if (pass == 1) {
				size_t n = rbytes[r] / esize(m->results[r].dtype);
				seed = buffer(rbytes[r]);
				for (size_t i = 0; i < n; i++)
					put(seed, m->results[r].dtype, i, 1);
			}
			in[np + s++] = seed;
		}
		int ng = 0;
		for (int p = 0; p < np; p++)
			if (!m->params[p].nograd)
				out[nr + ng++] = buffer(pbytes[p]);
		check(m->vjp(dims, in, out, buffer(m->vjp_work_size(dims))), "the VJP");
		for (int r = 0; r < nr && pass < 2; r++)
			same(out[r], run->res[r], rbytes[r], "the VJP's results and the function's disagree");
		for (int p = 0, g = 0; p < np; p++) {
			if (m->params[p].nograd)
				continue;
			if (pass == 0)
				run->vjp[p] = keep(out[nr + g], pbytes[p]);
			else
				same(out[nr + g], run->vjp[p], pbytes[p],
				     pass == 1 ? "explicit seeds of ones and NULL seeds disagree"
				               : "the VJP's gradients change when its results are not wanted");
			g++;
		}
	}
	if (m->jvp)
		run_jvp(m, in, out, dims, rbytes, pbytes, run);
	/* forward, then backward twice from the same saved values */
	void *saved = buffer(m->saved_size(dims));
	for (int r = 0; r < nr; r++)
		out[r] = buffer(rbytes[r]);
	check(m->forward(dims, in, out, saved, buffer(m->forward_work_size(dims))), "forward");
	for (int r = 0; r < nr; r++)
		same(out[r], run->res[r], rbytes[r], "forward's results and the function's disagree");
	for (int again = 0; again < 2; again++) {
		const void *seeds[MAXP] = {0};
		void *grads[MAXP] = {0};
		for (int p = 0, g = 0; p < np; p++)
			if (!m->params[p].nograd)
				grads[g++] = buffer(pbytes[p]);
		check(m->backward(dims, in, seeds, grads, saved, buffer(m->backward_work_size(dims))), "backward");
		for (int p = 0, g = 0; p < np; p++) {
			if (m->params[p].nograd)
				continue;
			if (again)
				same(grads[g], run->bwd[p], pbytes[p], "a second backward gives other gradients");
			else
				run->bwd[p] = keep(grads[g], pbytes[p]);
			g++;
		}
	}
}

static void print(const char *what, const void *p, int dtype, size_t n)
{
	printf("# %s\n", what);
	for (size_t i = 0; i < n; i++)
		printf("%.17g\n", get(p, dtype, i));
}

int main(int argc, char **argv)
{
	const char *func = NULL, *inputs = NULL, *spec = NULL;
	bool random = false, guarded = false, show = false, params = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--guard") == 0)
			guarded = true;
		else if (strcmp(argv[i], "--show-inputs") == 0)
			show = true;
		else if (strcmp(argv[i], "--params") == 0)
			params = true;
		else if (strcmp(argv[i], "--func") == 0 && i + 1 < argc)
			func = argv[++i];
		else if (strcmp(argv[i], "--random") == 0) {
			random = true;
			if (i + 1 < argc && argv[i + 1][0] != '-')
				spec = argv[++i];
		} else if (!inputs && argv[i][0] != '-')
			inputs = argv[i];
		else
			die("unknown argument %s", argv[i]);
	}
	if (!random && !inputs && !params)
		die("%s", "usage: harness [--guard] [--func NAME] (INPUTS | --random [DIM=SIZE,...] | --params)");
	const ad_meta *m = metas[0];
	for (size_t i = 0; func && i < sizeof metas / sizeof metas[0]; i++)
		if (strcmp(metas[i]->name, func) == 0)
			m = metas[i];
	if (func && strcmp(m->name, func) != 0)
		die("no function %s", func);
	if (m->nparams > MAXP || m->nresults > MAXP)
		die("%s", "too many parameters or results");
	if (params) {
		for (int p = 0; p < m->nparams; p++)
			printf("%s\n", m->params[p].name);
		return 0;
	}
	Inputs x;
	memset(&x, 0, sizeof x);
	if (random)
		random_inputs(m, spec, &x);
	else
		read_inputs(m, inputs, &x);
	if (show) {
		for (int p = 0; p < m->nparams; p++) {
			printf("%d", m->params[p].rank);
			for (int a = 0; a < m->params[p].rank; a++)
				printf(" %lld", (long long)x.shapes[p * AD_META_MAX_RANK + a]);
			printf("\n");
			for (size_t i = 0; i < x.numel[p]; i++)
				printf("%s%.17g", i ? " " : "", x.vals[p][i]);
			printf("\n");
			free(x.vals[p]);
		}
		return 0;
	}
	int64_t dims[MAXP] = {0}, rshapes[MAXP * AD_META_MAX_RANK] = {0};
	int where = 0;
	if (m->bind(x.shapes, dims, &where) != 0 || m->shapes(dims, rshapes) != 0) {
		fprintf(stderr, "harness: the inputs do not fit %s (%d)\n", m->name, where);
		return 2;
	}
	size_t rbytes[MAXP], pbytes[MAXP];
	for (int r = 0; r < m->nresults; r++)
		rbytes[r] = numel(rshapes + r * AD_META_MAX_RANK, m->results[r].rank) * esize(m->results[r].dtype);
	for (int p = 0; p < m->nparams; p++)
		pbytes[p] = x.numel[p] * esize(m->params[p].dtype);
	Run run[2];
	memset(run, 0, sizeof run);
	int runs = guarded ? 2 : 1;
	for (int k = 0; k < runs; k++) {
		guard = guarded ? k : -1;
		run_all(m, &x, dims, rbytes, pbytes, &run[k]);
		free_buffers();
	}
	for (int k = 1; k < runs; k++) {
		for (int r = 0; r < m->nresults; r++)
			same(run[k].res[r], run[0].res[r], rbytes[r], "the two placements give other results");
		for (int p = 0; p < m->nparams; p++)
			if (run[0].vjp[p])
				same(run[k].vjp[p], run[0].vjp[p], pbytes[p],
				     "the two placements give other gradients");
		for (int r = 0; r < m->nresults; r++)
			if (run[0].jvp[r])
				same(run[k].jvp[r], run[0].jvp[r], rbytes[r], "the two placements give other tangents");
	}
	for (int r = 0; r < m->nresults; r++)
		print(m->results[r].none ? "none" : m->results[r].name, run[0].res[r], m->results[r].dtype,
		      rbytes[r] / esize(m->results[r].dtype));
	for (int p = 0; p < m->nparams; p++)
		if (run[0].vjp[p])
			print(m->params[p].name, run[0].vjp[p], m->params[p].dtype, x.numel[p]);
	for (int p = 0; p < m->nparams; p++)
		if (run[0].bwd[p])
			print(m->params[p].name, run[0].bwd[p], m->params[p].dtype, x.numel[p]);
	for (int k = 0; k < runs; k++)
		for (int i = 0; i < MAXP; i++) {
			free(run[k].res[i]);
			free(run[k].vjp[i]);
			free(run[k].bwd[i]);
			free(run[k].jvp[i]);
		}
	for (int p = 0; p < m->nparams; p++)
		free(x.vals[p]);
	return 0;
}
