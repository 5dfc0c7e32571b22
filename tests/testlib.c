/* testlib.c: see testlib.h. */
#include "testlib.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invoke.h"
#include "jit.h"

Compilation *t_compile(const char *src, char **msgs)
{
	Compilation *c = adc_new("test.ad", src, strlen(src));
	*msgs = NULL;
	if (!c)
		return NULL;
	if (adc_optimize(c, true) != ADC_OK) {
		*msgs = strdup(adc_messages(c));
		adc_free(c);
		return NULL;
	}
	return c;
}

static ad_tensor **run(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n,
                       int *nres, ad_error *err, bool gcc);

ad_tensor **t_run(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n, int *nres,
                  ad_error *err)
{
	return run(c, fn, names, vals, n, nres, err, false);
}

ad_tensor **t_run_gcc(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n,
                      int *nres, ad_error *err)
{
	return run(c, fn, names, vals, n, nres, err, true);
}

/* Same numbers from gcc and tcc, to a few ulps (libm is shared; only the
 * order of float operations may differ). */
static bool close_ulps(const ad_tensor *a, const ad_tensor *b)
{
	int64_t n = ad_tensor_numel(a);
	double eps = a->dtype == AD_F32 ? 1e-6 : 1e-14;
	for (int64_t i = 0; i < n; i++) {
		double x = ad_tensor_get(a, i), y = ad_tensor_get(b, i);
		if (x != x && y != y)
			continue;
		if (!(fabs(x - y) <= eps * (1 + fabs(y))))
			return false;
	}
	return true;
}

static ad_tensor **run(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n,
                       int *nres, ad_error *err, bool gcc)
{
	int fi = adc_find(c, fn);
	if (fi < 0) {
		ad_error_set(err, AD_E_NAME, "no function %s", fn);
		return NULL;
	}
	const Func *f = c->mod->funcs[fi];
	Invocation iv;
	if (inv_bind(&iv, f, names, vals, NULL, n, err)) {
		inv_free(&iv);
		return NULL;
	}
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0};
	char *csrc;
	if (adc_emit(c, &eo, false, &csrc, NULL) != ADC_OK) {
		ad_error_set(err, AD_E_COMPILE, "%s", adc_messages(c));
		inv_free(&iv);
		return NULL;
	}
	char jerr[4096];
	JitModule *jm = jit_compile(csrc, jerr, sizeof jerr, NULL);
	if (!jm) {
		ad_error_set(err, AD_E_INTERNAL, "tcc: %s", jerr);
		inv_free(&iv);
		return NULL;
	}
	CNames nm = emit_c_names(c->opt, c->nfuncs, fi, &eo, c->A);
	AdCallFn call = (AdCallFn)(uintptr_t)jit_symbol(jm, nm.call);
	ad_tensor **res = NULL;
	if (call && inv_call(&iv, call, err) == 0) {
		if (gcc) {
			/* the same C through gcc must agree */
			int nr = f->results.len;
			ad_tensor **g = calloc((size_t)nr + 1, sizeof *g);
			const void **in = calloc((size_t)f->params.len + 1, sizeof *in);
			void **out = calloc((size_t)nr + 1, sizeof *out);
			for (int i = 0; i < f->params.len; i++)
				in[i] = iv.in[i]->data;
			for (int i = 0; i < nr; i++) {
				g[i] = ad_tensor_new(iv.out[i]->dtype, iv.out[i]->rank, iv.out[i]->shape, err);
				out[i] = g[i]->data;
			}
			char *msg = t_gcc_call(csrc, nm.call, iv.dims, (const void *const *)in, (void *const *)out);
			if (msg[0])
				ad_error_set(err, AD_E_INTERNAL, "gcc: %s", msg);
			for (int i = 0; i < nr && !msg[0]; i++)
				if (!close_ulps(g[i], iv.out[i]))
					ad_error_set(err, AD_E_INTERNAL, "gcc and tcc disagree on %s",
					             f->results.data[i].name);
			bool bad = msg[0] || err->code == AD_E_INTERNAL;
			free(msg);
			for (int i = 0; i < nr; i++)
				ad_tensor_free(g[i]);
			free(g);
			free(in);
			free(out);
			if (bad) {
				jit_free(jm);
				inv_free(&iv);
				return NULL;
			}
		}
		*nres = f->results.len;
		res = calloc((size_t)*nres + 1, sizeof *res);
		for (int i = 0; res && i < *nres; i++) {
			if (f->results.data[i].value >= 0) {
				res[i] = iv.out[i];
				iv.out[i] = NULL;
			}
		}
	} else if (!call) {
		ad_error_set(err, AD_E_INTERNAL, "no symbol %s", nm.call);
	}
	jit_free(jm);
	inv_free(&iv);
	return res;
}

void t_free_results(ad_tensor **r, int n)
{
	if (!r)
		return;
	for (int i = 0; i < n; i++)
		ad_tensor_free(r[i]);
	free(r);
}

ad_tensor *t_tensor(ad_dtype dt, int rank, const int64_t *shape, const double *data)
{
	ad_error err;
	ad_tensor *t = ad_tensor_new(dt, rank, shape, &err);
	if (!t)
		return NULL;
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n; i++)
		ad_tensor_set(t, i, data[i]);
	return t;
}

static char *slurp_fp(FILE *f)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	while (b) {
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n + 1 == cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
	}
	if (b)
		b[n] = 0;
	return b;
}

char *t_strict_compile(const char *csrc, const char *hsrc)
{
	char dir[] = "/tmp/ad-test-XXXXXX";
	if (!mkdtemp(dir))
		return strdup("mkdtemp failed");
	char path[128], cmd[512];
	snprintf(path, sizeof path, "%s/gen.h", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(hsrc ? hsrc : "", f);
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/gen.c", dir);
	f = fopen(path, "w");
	if (f) {
		fputs(csrc, f);
		fclose(f);
	}
	snprintf(cmd, sizeof cmd,
	         "cd %s && gcc -std=c99 -Wall -Wextra -pedantic -Werror -c gen.c -o gen.o 2>&1 && "
	         "tcc -c gen.c -o gen_tcc.o 2>&1; rm -rf %s",
	         dir, dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return strdup("popen failed");
	char *out = slurp_fp(p);
	int rc = pclose(p);
	if (rc != 0 && out && !out[0]) {
		free(out);
		out = strdup("the C compiler failed");
	}
	return out ? out : strdup("out of memory");
}

char *t_gcc_call(const char *csrc, const char *call, const int64_t *dims, const void *const *in, void *const *out)
{
	char dir[] = "/tmp/ad-test-XXXXXX";
	if (!mkdtemp(dir))
		return strdup("mkdtemp failed");
	char path[128], cmd[512];
	snprintf(path, sizeof path, "%s/gen.c", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return strdup("cannot write gen.c");
	fputs(csrc, f);
	fclose(f);
	snprintf(cmd, sizeof cmd,
	         "cd %s && gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -fPIC -shared gen.c -o gen.so -lm 2>&1",
	         dir);
	FILE *p = popen(cmd, "r");
	char *out_text = p ? slurp_fp(p) : NULL;
	int rc = p ? pclose(p) : -1;
	char *res = NULL;
	if (rc != 0) {
		res = out_text ? out_text : strdup("gcc failed");
		out_text = NULL;
	} else {
		snprintf(path, sizeof path, "%s/gen.so", dir);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			res = strdup(dlerror());
		} else {
			typedef int (*Fn)(const int64_t *, const void *const *, void *const *, void *);
			Fn fn = (Fn)(uintptr_t)dlsym(h, call);
			if (!fn)
				res = strdup("no such symbol");
			else if (fn(dims, in, out, NULL) != 0)
				res = strdup("the gcc-built function returned an error");
			else
				res = strdup("");
			dlclose(h);
		}
	}
	free(out_text);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return res;
}

const char *t_srcdir(void)
{
	const char *s = getenv("srcdir");
	return s && *s ? s : ".";
}

char *t_read(const char *relpath)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", t_srcdir(), relpath);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = slurp_fp(f);
	fclose(f);
	return b;
}

int t_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}
