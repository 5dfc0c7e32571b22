/* fuzz_runtime: the runtime API entry points (ad_call, ad_grad, ad_forward,
 * ad_backward, ad_clear_grad, lookups) on one module compiled once, with
 * arguments decided by the input: which function, NULL or real tensors of
 * any dtype, rank and shape, parameter lists with bad indices, seeds of the
 * wrong shape, stop_gradient flags, repeated backward with and without
 * retain_graph. Every call must end in results or an error code with a
 * message. */
#include "adrt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char source[] = "func model(x: f32[n, 3], w: f32[3], b: f64, t: f32[n] nograd) -> (loss, gw, p) {\n"
                             "    p = tanh(x @ w)\n"
                             "    loss = mean((p - t) ** 2) + f32(b) * sum(w * w)\n"
                             "    gw = grad(loss, w, create_graph=true)\n"
                             "}\n"
                             "func rows(a: f64[m, k], s: f64[k]) -> (r, u) {\n"
                             "    r = logsumexp(a * s, axis=1)\n"
                             "    u = sum(s)\n"
                             "}\n"
                             "func lonely(a: f32, c: f32[2]) -> (y) {\n"
                             "    y = a * 2\n"
                             "}\n";

static ad_module *mod;

typedef struct Bytes {
	const uint8_t *p;
	size_t n;
} Bytes;

static unsigned next(Bytes *b)
{
	if (b->n == 0)
		return 0;
	b->n--;
	return *b->p++;
}

/* The parameters' shapes in `source`, per function: a digit is that size, a
 * letter a dimension whose size the input picks. */
static const char *const templates[][4] = {
    {"n3", "3", "", "n"},
    {"mk", "k", NULL, NULL},
    {"", "2", NULL, NULL},
};
/* and their results' shapes, for seeds */
static const char *const result_templates[][3] = {
    {"", "3", "n"},
    {"m", "", NULL},
    {"", NULL, NULL},
};

/* NULL, or a small tensor: mostly of the declared shape (with the sizes in
 * dims[] for the letters), sometimes of any rank and shape, either dtype. */
static ad_tensor *tensor(Bytes *b, const char *tmpl, const int64_t *dims)
{
	unsigned k = next(b);
	if (k % 11 == 0)
		return NULL;
	int rank = (int)(k >> 4) % 4;
	int64_t shape[4];
	if (tmpl && k % 4 != 0) {
		rank = (int)strlen(tmpl);
		for (int i = 0; i < rank; i++)
			shape[i] = tmpl[i] >= '0' && tmpl[i] <= '9' ? tmpl[i] - '0' : dims[(tmpl[i] - 'a') % 3];
	} else {
		for (int i = 0; i < rank; i++)
			shape[i] = next(b) % 5;
	}
	ad_tensor *t = ad_tensor_new(k & 8 ? AD_F64 : AD_F32, rank, shape, NULL);
	if (!t)
		return NULL;
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n; i++) {
		unsigned v = next(b);
		ad_tensor_set(t, i, v == 255 ? 1e300 : v == 254 ? -0.0 : ((double)v - 128) / 16);
	}
	t->stop_gradient = (k & 4) != 0;
	return t;
}

static void free_all(ad_tensor **ts, int n)
{
	for (int i = 0; i < n; i++)
		ad_tensor_free(ts[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ad_error err;
	if (!mod) {
		mod = ad_module_compile(source, "fuzz.ad", &err);
		if (!mod || ad_module_count(mod) != 3) {
			fprintf(stderr, "fuzz_runtime: the module does not compile: %s\n", err.msg);
			abort();
		}
	}
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	Bytes b = {data, size};
	for (int step = 0; step < 4 && b.n > 0; step++) {
		unsigned k = next(&b);
		int fi = (int)(k % 4) % 3;
		const ad_function *f = ad_module_function_at(mod, fi);
		if ((k & 0x30) == 0x30) { /* lookups by arbitrary names */
			char name[16];
			size_t len = next(&b) % sizeof name;
			for (size_t i = 0; i < len; i++)
				name[i] = (char)(next(&b) | 1);
			name[len] = 0;
			const ad_function *g = ad_module_function(mod, name, &err);
			if (g) {
				(void)ad_function_param(g, name);
				(void)ad_function_result(g, name);
			}
			continue;
		}
		const ad_meta *m = ad_function_meta(f);
		ad_tensor *in[8] = {0}, *out[8] = {0}, *seeds[8] = {0}, *grads[8] = {0};
		unsigned d = next(&b); /* the sizes of m, and of k and n */
		int64_t dims[3] = {1 + (d & 3), 1 + (d >> 2 & 3), 1 + (d >> 4 & 3)};
		for (int i = 0; i < m->nparams; i++)
			in[i] = tensor(&b, templates[fi][i], dims);
		int rc = 0;
		err.msg[0] = 0;
		switch (k >> 6) {
		case 0: rc = ad_call(f, in, out, &err); break;
		case 1: {
			int wrt[8], nw = (int)(next(&b) % 4);
			for (int i = 0; i < m->nparams; i++)
				wrt[i] = nw ? (int)(next(&b) % 3) - 1 : 0;
			for (int i = 0; i < m->nresults; i++)
				seeds[i] = next(&b) & 1 ? tensor(&b, result_templates[fi][i], dims) : NULL;
			rc = ad_grad(f, in, next(&b) & 1 ? seeds : NULL, nw ? wrt : NULL, (int)(next(&b) & 1), grads,
			             &err);
			break;
		}
		default: {
			ad_graph *g = ad_forward(f, in, out, &err);
			for (int round = 0; g && round < 3; round++) {
				for (int i = 0; i < m->nresults; i++) {
					ad_tensor_free(seeds[i]);
					seeds[i] = next(&b) & 1 ? tensor(&b, result_templates[fi][i], dims) : NULL;
				}
				rc = ad_backward(g, seeds, (int)(next(&b) & 1), &err);
				if (next(&b) % 4 == 0 && in[0])
					ad_clear_grad(in[0]);
			}
			ad_graph_free(g);
			break;
		}
		}
		if (verbose)
			fprintf(stderr, "%s op %u: %d %s\n", m->name, k >> 6, rc, err.msg);
		free_all(in, m->nparams);
		free_all(out, m->nresults);
		free_all(seeds, m->nresults);
		free_all(grads, m->nparams);
	}
	return 0;
}
