/* testlib.c: see testlib.h. */
#include "testlib.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit_module.h"

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

/* The inputs by name, in the order of the parameters of m. */
static ad_tensor **by_param(const ad_meta *m, const char *const *names, ad_tensor *const *vals, int n, ad_error *err)
{
	ad_tensor **in = calloc((size_t)m->nparams + 1, sizeof *in);
	for (int i = 0; in && i < n; i++) {
		int k = -1;
		for (int p = 0; p < m->nparams; p++)
			if (strcmp(m->params[p].name, names[i]) == 0)
				k = p;
		if (k < 0) {
			ad_error_set(err, AD_E_NAME, "%s has no parameter %s", m->name, names[i]);
			free(in);
			return NULL;
		}
		in[k] = vals[i];
	}
	return in;
}

/* f's results from the module built by gcc; NULL with err set. */
static ad_tensor **gcc_results(Compilation *c, const char *csrc, int fi, ad_tensor *const *in, ad_error *err)
{
	const char **syms = adc_meta_symbols(c, c->opt, c->nfuncs);
	char *msg = NULL;
	ad_module *g = syms ? t_gcc_module(csrc, syms[fi], &msg) : NULL;
	if (!g) {
		ad_error_set(err, AD_E_INTERNAL, "gcc: %s", msg ? msg : "out of memory");
		free(msg);
		return NULL;
	}
	const ad_function *fn = ad_module_function_at(g, 0);
	ad_tensor **out = calloc((size_t)ad_function_meta(fn)->nresults + 1, sizeof *out);
	if (out && ad_call(fn, in, out, err)) {
		free(out);
		out = NULL;
	}
	ad_module_free(g);
	return out;
}

static ad_tensor **run(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n,
                       int *nres, ad_error *err, bool gcc)
{
	int fi = adc_find(c, fn);
	if (fi < 0) {
		ad_error_set(err, AD_E_NAME, "no function %s", fn);
		return NULL;
	}
	/* the module as ad-compile -o --entry=plain,work writes it */
	if (!c->mods)
		c->entries = AD_ENTRY_PLAIN | AD_ENTRY_WORK;
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, c->entries, false};
	char *csrc;
	if (adc_emit(c, &eo, true, &csrc, NULL) != ADC_OK) {
		ad_error_set(err, AD_E_COMPILE, "%s", adc_messages(c));
		return NULL;
	}
	ad_module *mod = jit_module_c(c, csrc, c->opt, c->nfuncs, err);
	if (!mod)
		return NULL;
	const ad_function *f = ad_module_function_at(mod, fi);
	const ad_meta *m = ad_function_meta(f);
	int nr = m->nresults;
	ad_tensor **in = by_param(m, names, vals, n, err);
	ad_tensor **res = in ? calloc((size_t)nr + 1, sizeof *res) : NULL;
	if (res && ad_call(f, in, res, err)) {
		free(res);
		res = NULL;
	}
	if (res && gcc) {
		/* the same C through gcc must agree */
		ad_tensor **g = gcc_results(c, csrc, fi, in, err);
		for (int i = 0; g && i < nr; i++)
			if (!res[i] != !g[i] || (res[i] && !close_ulps(g[i], res[i]))) {
				ad_error_set(err, AD_E_INTERNAL, "gcc and tcc disagree on %s", m->results[i].name);
				t_free_results(res, nr);
				res = NULL;
				break;
			}
		if (!g) {
			t_free_results(res, nr);
			res = NULL;
		}
		t_free_results(g, nr);
	}
	*nres = nr;
	free(in);
	ad_module_free(mod);
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

static void close_so(void *h)
{
	dlclose(h);
}

ad_module *t_gcc_module(const char *csrc, const char *meta, char **msg)
{
	char dir[] = "/tmp/ad-test-XXXXXX";
	*msg = NULL;
	if (!mkdtemp(dir)) {
		*msg = strdup("mkdtemp failed");
		return NULL;
	}
	char path[128], cmd[512];
	snprintf(path, sizeof path, "%s/gen.c", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		*msg = strdup("cannot write gen.c");
		return NULL;
	}
	fputs(csrc, f);
	fclose(f);
	snprintf(cmd, sizeof cmd,
	         "cd %s && gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -fPIC -shared gen.c -o gen.so -lm 2>&1",
	         dir);
	FILE *p = popen(cmd, "r");
	char *out_text = p ? slurp_fp(p) : NULL;
	int rc = p ? pclose(p) : -1;
	ad_module *m = NULL;
	if (rc != 0) {
		*msg = out_text && out_text[0] ? out_text : strdup("gcc failed");
		out_text = NULL;
	} else {
		snprintf(path, sizeof path, "%s/gen.so", dir);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		const ad_meta *md = h ? dlsym(h, meta) : NULL;
		ad_error err;
		if (!h)
			*msg = strdup(dlerror());
		else if (!md)
			*msg = strdup("no ad_meta symbol");
		else if (!(m = ad_module_wrap(&md, 1, h, close_so, &err)))
			*msg = strdup(err.msg);
		if (h && !m)
			dlclose(h);
	}
	free(out_text);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return m;
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
