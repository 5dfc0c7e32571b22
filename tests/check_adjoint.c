/* check_adjoint.c: every op's adjoint against central finite differences in
 * f64, at first and second order (the programs in tests/adjoint, through the --check
 * machinery: each function there seeds the gradient of one op with
 * create_graph=true, so the finite differences of the gradient test the
 * second derivative), and higher derivatives against closed forms. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "testlib.h"

enum { MAXF = 16 };
static char *files[MAXF];
static int nfiles;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double uniform(double lo, double hi)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return lo + (hi - lo) * ((double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0);
}

/* Symbolic dimensions in the test programs: n = 3, m = 4, k = 2. */
static int64_t dim_value(const Dim *d)
{
	int64_t v;
	if (dim_is_const(d, &v))
		return v;
	const char *s = d->terms[0].atoms[0]->name;
	return strcmp(s, "n") == 0 ? 3 : strcmp(s, "m") == 0 ? 4 : 2;
}

/* --check of function fn at inputs vals (one per parameter, in order):
 * the number of failed checks, or -1 with err set. */
static int gradcheck(Compilation *c, const char *fn, ad_tensor *const *vals, Buf *rep, ad_error *err)
{
	ck_assert_msg(adc_lower(c) == ADC_OK, "%s", adc_messages(c));
	int fi = adc_find(c, fn);
	ck_assert_int_ge(fi, 0);
	GradCheck *g = gradcheck_new(c, fi, rep, err);
	if (!g)
		return -1;
	CheckOptions o = gradcheck_defaults();
	int failed = gradcheck_run(g, vals, &o, err);
	gradcheck_free(g);
	return failed;
}

static void check_file(const char *base)
{
	char rel[256];
	snprintf(rel, sizeof rel, "adjoint/%s", base);
	char *src = t_read(rel);
	ck_assert_msg(src, "cannot read %s", rel);
	Compilation *c = adc_new(base, src, strlen(src));
	free(src);
	c->promote = true;
	ck_assert_msg(adc_lower(c) == ADC_OK, "%s", adc_messages(c));
	int checked = 0;
	for (int fi = 0; fi < c->nfuncs; fi++) {
		const Func *f = c->mod->funcs[fi];
		if (strncmp(f->name, "t_", 2) != 0)
			continue;
		int np = f->params.len;
		ad_tensor **vals = calloc((size_t)np + 1, sizeof *vals);
		for (int p = 0; p < np; p++) {
			const Inst *in = ir_inst(f, f->params.data[p]);
			int64_t shape[AD_MAX_RANK];
			for (int d = 0; d < in->rank; d++)
				shape[d] = dim_value(in->shape[d]);
			ad_error err;
			vals[p] = ad_tensor_new(AD_F64, in->rank, shape, &err);
			for (int64_t i = 0; i < ad_tensor_numel(vals[p]); i++)
				ad_tensor_set(vals[p], i, uniform(0.2, 0.9));
		}
		Buf rep;
		buf_init(&rep, c->A);
		ad_error err = {0};
		int failed = gradcheck(c, f->name, vals, &rep, &err);
		const char *text = rep.data ? rep.data : "";
		ck_assert_msg(failed == 0, "%s: %s\n%s", f->name, failed < 0 ? err.msg : "finite differences disagree",
		              text);
		/* the first derivative was checked, and the second unless it is
		 * identically zero (a derivative that does not depend on x) */
		ck_assert_msg(strstr(text, "ok     grad("), "%s: the gradient was not checked:\n%s", f->name, text);
		const char *g2 = strstr(text, "result 'g");
		ck_assert_msg(g2, "%s: the second derivative was not looked at:\n%s", f->name, text);
		printf("%s: %s", f->name, text);
		checked++;
		buf_free(&rep);
		for (int p = 0; p < np; p++)
			ad_tensor_free(vals[p]);
		free(vals);
	}
	ck_assert_int_gt(checked, 0);
	adc_free(c);
}

START_TEST(finite_differences)
{
	check_file(files[_i]);
}
END_TEST

/* The ops whose second derivative is not zero must have it checked (not
 * skipped): a sample from each file. */
START_TEST(second_order_is_checked)
{
	static const char *const src = "func f(x: f64[3], s: f64[3] nograd) -> (o, g) {\n"
	                               "    o = sin(x) * x\n"
	                               "    g = grad(o, x, grad_outputs=[s], create_graph=true)\n}\n";
	Compilation *c = adc_new("t.ad", src, strlen(src));
	c->promote = true;
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){0.3, 0.5, 0.7});
	ad_tensor *s = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, -2, 0.5});
	ad_tensor *vals[2] = {x, s};
	Buf rep;
	buf_init(&rep, c->A);
	ad_error err;
	ck_assert_int_eq(gradcheck(c, "f", vals, &rep, &err), 0);
	ck_assert_ptr_nonnull(strstr(rep.data, "ok     vjp of result 'g'"));
	buf_free(&rep);
	ad_tensor_free(x);
	ad_tensor_free(s);
	adc_free(c);
}
END_TEST

/* A check that must fail: relu at its kink, where finite differences see
 * 1/2 and the derivative is 0 (PyTorch's choice). */
START_TEST(kinks_are_caught)
{
	static const char *const src = "func f(x: f64[3]) -> o {\n    o = relu(x)\n}\n";
	Compilation *c = adc_new("t.ad", src, strlen(src));
	c->promote = true;
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){0, 0.5, -1});
	Buf rep;
	buf_init(&rep, c->A);
	ad_error err;
	ck_assert_int_eq(gradcheck(c, "f", &x, &rep, &err), 1);
	ck_assert_ptr_nonnull(strstr(rep.data, "FAILED vjp of result 'o'"));
	buf_free(&rep);
	ad_tensor_free(x);
	adc_free(c);
}
END_TEST

static ad_tensor **run1(Compilation *c, const char *fn, const char *const *names, ad_tensor **vals, int n, int *nres)
{
	ad_error err;
	ad_tensor **r = t_run(c, fn, names, vals, n, nres, &err);
	ck_assert_msg(r, "%s", err.msg);
	return r;
}

/* The 4th derivative of sin is sin; the k-th of exp(a x) is a^k exp(a x). */
START_TEST(higher_order_closed_forms)
{
	static const char *const src = "func dsin(x: f64[n]) -> (d1, d2, d3, d4, d8) {\n"
	                               "    y = sin(x)\n"
	                               "    d1 = grad(y, x, create_graph=true)\n"
	                               "    d2 = grad(d1, x, create_graph=true)\n"
	                               "    d3 = grad(d2, x, create_graph=true)\n"
	                               "    d4 = grad(d3, x, create_graph=true)\n"
	                               "    d5 = grad(d4, x, create_graph=true)\n"
	                               "    d6 = grad(d5, x, create_graph=true)\n"
	                               "    d7 = grad(d6, x, create_graph=true)\n"
	                               "    d8 = grad(d7, x)\n"
	                               "}\n"
	                               "func dexp(x: f64[n], a: f64 nograd) -> (e1, e2, e3, e4, e5) {\n"
	                               "    y = exp(a * x)\n"
	                               "    e1 = grad(y, x, create_graph=true)\n"
	                               "    e2 = grad(e1, x, create_graph=true)\n"
	                               "    e3 = grad(e2, x, create_graph=true)\n"
	                               "    e4 = grad(e3, x, create_graph=true)\n"
	                               "    e5 = grad(e4, x, create_graph=true)\n"
	                               "}\n";
	char *msgs;
	Compilation *c = t_compile(src, &msgs);
	ck_assert_msg(c, "%s", msgs);
	double xs[5] = {-2.5, -0.3, 0, 0.7, 3.1};
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){5}, xs);
	ad_tensor *a = t_tensor(AD_F64, 0, NULL, (double[]){1.7});
	const char *names[2] = {"x", "a"};
	ad_tensor *vals[2] = {x, a};
	int nr;
	ad_tensor **r = run1(c, "dsin", names, vals, 1, &nr);
	for (int i = 0; i < 5; i++) {
		double want[5] = {cos(xs[i]), -sin(xs[i]), -cos(xs[i]), sin(xs[i]), sin(xs[i])};
		for (int k = 0; k < 5; k++)
			ck_assert_msg(fabs(ad_tensor_get(r[k], i) - want[k]) < 1e-12, "d%d sin(%g) = %.17g, want %.17g",
			              k == 4 ? 8 : k + 1, xs[i], ad_tensor_get(r[k], i), want[k]);
	}
	t_free_results(r, nr);
	r = run1(c, "dexp", names, vals, 2, &nr);
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 5; k++) {
			double want = pow(1.7, k + 1) * exp(1.7 * xs[i]);
			ck_assert_msg(fabs(ad_tensor_get(r[k], i) - want) <= 1e-12 * fabs(want), "d%d exp(1.7 x) at %g",
			              k + 1, xs[i]);
		}
	t_free_results(r, nr);
	ad_tensor_free(x);
	ad_tensor_free(a);
	adc_free(c);
}
END_TEST

/* The Hessian-vector product of the Rosenbrock function, by nested grad,
 * against the hand-derived tridiagonal Hessian. */
START_TEST(rosenbrock_hvp)
{
	static const char *const src = "func hvp(x: f64[n], v: f64[n] nograd) -> (g, hv) {\n"
	                               "    f = sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)\n"
	                               "    g = grad(f, x, create_graph=true)\n"
	                               "    hv = grad(sum(g * v), x)\n"
	                               "}\n";
	char *msgs;
	Compilation *c = t_compile(src, &msgs);
	ck_assert_msg(c, "%s", msgs);
	enum { N = 7 };
	double xs[N], vs[N];
	for (int i = 0; i < N; i++) {
		xs[i] = uniform(-1.5, 1.5);
		vs[i] = uniform(-1, 1);
	}
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){N}, xs), *v = t_tensor(AD_F64, 1, (int64_t[]){N}, vs);
	const char *names[2] = {"x", "v"};
	ad_tensor *vals[2] = {x, v};
	int nr;
	ad_tensor **r = run1(c, "hvp", names, vals, 2, &nr);
	for (int i = 0; i < N; i++) {
		double g = 0, h = 0;
		if (i < N - 1) {
			g += -400 * xs[i] * (xs[i + 1] - xs[i] * xs[i]) - 2 * (1 - xs[i]);
			h += (1200 * xs[i] * xs[i] - 400 * xs[i + 1] + 2) * vs[i] - 400 * xs[i] * vs[i + 1];
		}
		if (i > 0) {
			g += 200 * (xs[i] - xs[i - 1] * xs[i - 1]);
			h += 200 * vs[i] - 400 * xs[i - 1] * vs[i - 1];
		}
		ck_assert_msg(fabs(ad_tensor_get(r[0], i) - g) <= 1e-10 * (1 + fabs(g)), "gradient[%d]", i);
		ck_assert_msg(fabs(ad_tensor_get(r[1], i) - h) <= 1e-10 * (1 + fabs(h)), "hvp[%d] = %.17g, want %.17g",
		              i, ad_tensor_get(r[1], i), h);
	}
	t_free_results(r, nr);
	ad_tensor_free(x);
	ad_tensor_free(v);
	adc_free(c);
}
END_TEST

/* Paddle's semantics: what each gradient counts, by closed forms. */
typedef struct Sem {
	const char *name, *src;
	double x[3];           /* the input x (f64[3]) */
	const char *expect[6]; /* per result: "none" or three numbers */
} Sem;

static const Sem sems[] = {
    {"an intermediate",
     "func f(x: f64[3]) -> (g) {\n y = x * x\n z = sin(y)\n g = grad(z, y)\n}\n",
     {0.5, 1, 2},
     {"cos(x*x)"}},
    {"a constant",
     "func f(x: f64[3]) -> (g) {\n a = arange(3, dtype=f64)\n y = sum(a * a * x)\n g = grad(y, a)\n}\n",
     {0.5, 1, 2},
     {"2*a*x"}},
    {"every binding is its own node",
     "func f(x: f64[3]) -> (ga, gx) {\n a = f64(x)\n b = x * 3\n y = a * b\n ga, gx = grad(y, [a, x])\n}\n",
     {0.5, 1, 2},
     {"3*x", "6*x"}},
    {"v.T of a 1-D v is a node",
     "func f(x: f64[3]) -> (g) {\n a = x.T\n g = grad(sum(a * x), a)\n}\n",
     {0.5, 1, 2},
     {"x"}},
    {"a callee's parameters are nodes (partial derivatives)",
     "func h(p: f64[3], q: f64[3]) -> gp {\n r = p * q * q\n gp = grad(r, p)\n}\n"
     "func f(x: f64[3]) -> (g) {\n g = h(x, x)\n}\n",
     {0.5, 1, 2},
     {"x*x"}},
    {"a nograd parameter of a callee detaches its argument",
     "func h(p: f64[3], q: f64[3] nograd) -> r {\n r = p * q\n}\n"
     "func f(x: f64[3]) -> (g) {\n g = grad(sum(h(x, x)), x)\n}\n",
     {0.5, 1, 2},
     {"x"}},
    {"no_grad_vars",
     "func f(x: f64[3]) -> (g) {\n y = x * x\n z = y * x\n g = grad(z, x, no_grad_vars=[y])\n}\n",
     {0.5, 1, 2},
     {"x*x"}},
    {"grad_outputs with none and a computed seed",
     "func f(x: f64[3]) -> (g) {\n y1 = x * x\n y2 = sin(x)\n g = grad([y1, y2], x, grad_outputs=[none, x])\n}\n",
     {0.5, 1, 2},
     {"2*x + x*cos(x)"}},
    {"allow_unused gives none (zeros in C)",
     "func f(x: f64[3], w: f64[3]) -> (gx, gw: f64[3]) {\n gx, gw = grad(x * x, [x, w], allow_unused=true)\n}\n",
     {0.5, 1, 2},
     {"2*x", "none"}},
    {"a zero derivative is still a dependence",
     "func f(x: f64[3]) -> (g) {\n g = grad(floor(x * 3), x)\n}\n",
     {0.5, 1, 2},
     {"0*x"}},
    {"x.grad before backward, and of a non-parameter, is none",
     "func f(x: f64[3]) -> (a: f64[3], b: f64[3], c) {\n y = x * 2\n a = x.grad\n b = y.grad\n backward(y * x)\n c = "
     "x.grad\n}\n",
     {0.5, 1, 2},
     {"none", "none", "4*x"}},
    {"backward accumulates; clear_grad sets zeros",
     "func f(x: f64[3]) -> (a, b, c) {\n backward(x * x)\n a = x.grad\n backward(sin(x))\n b = x.grad\n"
     " clear_grad(x)\n c = x.grad\n}\n",
     {0.5, 1, 2},
     {"2*x", "2*x + cos(x)", "0*x"}},
    {"create_graph=false detaches; true keeps the graph",
     "func f(x: f64[3]) -> (a, b) {\n d1 = grad(x ** 3, x)\n d2 = grad(x ** 3, x, create_graph=true)\n"
     " a = grad(sum(d1 * x), x)\n b = grad(sum(d2), x)\n}\n",
     {0.5, 1, 2},
     {"3*x*x", "6*x"}},
};

/* Evaluate a tiny expression in x (and a = 0, 1, 2) at element i. */
static double eval_expr(const char *e, double x, double a)
{
	/* the handful of forms used above */
	if (strcmp(e, "cos(x*x)") == 0)
		return cos(x * x);
	if (strcmp(e, "2*a*x") == 0)
		return 2 * a * x;
	if (strcmp(e, "3*x") == 0)
		return 3 * x;
	if (strcmp(e, "6*x") == 0)
		return 6 * x;
	if (strcmp(e, "x") == 0)
		return x;
	if (strcmp(e, "x*x") == 0)
		return x * x;
	if (strcmp(e, "2*x + x*cos(x)") == 0)
		return 2 * x + x * cos(x);
	if (strcmp(e, "2*x") == 0)
		return 2 * x;
	if (strcmp(e, "0*x") == 0)
		return 0;
	if (strcmp(e, "4*x") == 0)
		return 4 * x;
	if (strcmp(e, "2*x + cos(x)") == 0)
		return 2 * x + cos(x);
	if (strcmp(e, "3*x*x") == 0)
		return 3 * x * x;
	ck_abort_msg("unknown form %s", e);
	return 0;
}

START_TEST(semantics)
{
	const Sem *s = &sems[_i];
	char *msgs;
	Compilation *c = t_compile(s->src, &msgs);
	ck_assert_msg(c, "%s: %s", s->name, msgs);
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, s->x);
	ad_tensor *w = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 1, 1});
	const char *names[2] = {"x", "w"};
	ad_tensor *vals[2] = {x, w};
	int fi = adc_find(c, "f");
	int np = c->mod->funcs[fi]->params.len;
	int nr;
	ad_error err;
	ad_tensor **r = t_run_gcc(c, "f", names, vals, np, &nr, &err);
	ck_assert_msg(r, "%s: %s", s->name, err.msg);
	for (int k = 0; k < nr; k++) {
		if (strcmp(s->expect[k], "none") == 0) {
			ck_assert_msg(!r[k], "%s: result %d should be none", s->name, k);
			continue;
		}
		ck_assert_msg(r[k], "%s: result %d is none", s->name, k);
		for (int i = 0; i < 3; i++) {
			double want = eval_expr(s->expect[k], s->x[i], i);
			ck_assert_msg(fabs(ad_tensor_get(r[k], i) - want) < 1e-12,
			              "%s: result %d [%d] = %.17g, want %.17g", s->name, k, i, ad_tensor_get(r[k], i),
			              want);
		}
	}
	t_free_results(r, nr);
	ad_tensor_free(x);
	ad_tensor_free(w);
	adc_free(c);
}
END_TEST

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/adjoint", t_srcdir());
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d)) && nfiles < MAXF) {
		size_t n = strlen(e->d_name);
		if (n > 3 && strcmp(e->d_name + n - 3, ".ad") == 0)
			files[nfiles++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(files, (size_t)nfiles, sizeof(char *), cmp);
	Suite *s = suite_create("adjoint");
	TCase *fd = tcase_create("finite differences");
	tcase_set_timeout(fd, 300);
	tcase_add_loop_test(fd, finite_differences, 0, nfiles);
	tcase_add_test(fd, second_order_is_checked);
	tcase_add_test(fd, kinks_are_caught);
	suite_add_tcase(s, fd);
	TCase *closed = tcase_create("closed forms");
	tcase_set_timeout(closed, 60);
	tcase_add_test(closed, higher_order_closed_forms);
	tcase_add_test(closed, rosenbrock_hvp);
	tcase_add_loop_test(closed, semantics, 0, (int)(sizeof sems / sizeof sems[0]));
	suite_add_tcase(s, closed);
	int failed = t_run_suite(s);
	for (int i = 0; i < nfiles; i++)
		free(files[i]);
	return failed ? 1 : 0;
}
