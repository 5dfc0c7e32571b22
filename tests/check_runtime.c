/* check_runtime.c: the runtime API (adrt.h) over JIT-compiled modules:
 * paddle.grad and paddle.autograd.backward at run time, against the same
 * gradients computed at compile time, Paddle's documented example, the
 * error cases, forward mode (ad_jvp) against closed forms, finite
 * differences and ad_grad, and modules compiled and run from several
 * threads. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static ad_tensor *T(int rank, const int64_t *shape, const double *v)
{
	return t_tensor(AD_F32, rank, shape, v);
}

static void expect_values(const ad_tensor *t, const double *want, double tol, const char *what)
{
	ck_assert_msg(t, "%s is NULL", what);
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n; i++)
		ck_assert_msg(fabs(ad_tensor_get(t, i) - want[i]) <= tol * (1 + fabs(want[i])),
		              "%s[%lld] = %.9g, want %.9g", what, (long long)i, ad_tensor_get(t, i), want[i]);
}

static const char *const paddle_src = "func f(x: f32[2, 2], y: f32[2, 2]) -> (z1, z2) {\n"
                                      "    z1 = matmul(x, y)\n"
                                      "    z2 = matmul(x, y)\n"
                                      "}\n";

/* paddle.autograd.backward's documented example, at run time. */
START_TEST(paddle_backward_example)
{
	ad_error err;
	ad_module *m = ad_module_compile(paddle_src, "paddle.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ck_assert_ptr_nonnull(f);
	int64_t s22[2] = {2, 2};
	ad_tensor *x = T(2, s22, (double[]){1, 2, 3, 4});
	ad_tensor *y = T(2, s22, (double[]){3, 2, 3, 4});
	y->stop_gradient = 1;
	ad_tensor *g1 = T(2, s22, (double[]){1, 2, 2, 3}), *g2 = T(2, s22, (double[]){1, 1, 1, 1});
	ad_tensor *in[2] = {x, y}, *res[2];
	ad_graph *g = ad_forward(f, in, res, &err);
	ck_assert_msg(g, "%s", err.msg);
	expect_values(res[0], (double[]){9, 10, 21, 22}, 1e-6, "z1");
	ad_tensor *seeds[2] = {g1, g2};
	ck_assert_int_eq(ad_backward(g, seeds, 1, &err), 0);
	expect_values(x->grad, (double[]){12, 18, 17, 25}, 1e-6, "x.grad");
	ck_assert_ptr_null(y->grad); /* stop_gradient */
	ad_clear_grad(x);
	ad_tensor *seeds2[2] = {g1, NULL};
	ck_assert_int_eq(ad_backward(g, seeds2, 1, &err), 0);
	expect_values(x->grad, (double[]){12, 18, 17, 25}, 1e-6, "x.grad (none seed)");
	ad_clear_grad(x);
	ck_assert_int_eq(ad_backward(g, NULL, 0, &err), 0);
	expect_values(x->grad, (double[]){10, 14, 10, 14}, 1e-6, "x.grad (ones)");
	/* the graph is gone after a backward without retain_graph */
	ck_assert_int_eq(ad_backward(g, NULL, 0, &err), AD_E_GRAD);
	ck_assert_ptr_nonnull(strstr(err.msg, "retain_graph"));
	expect_values(x->grad, (double[]){10, 14, 10, 14}, 1e-6, "x.grad unchanged");
	ad_graph_free(g);
	for (int i = 0; i < 2; i++)
		ad_tensor_free(res[i]);
	ad_tensor_free(x);
	ad_tensor_free(y);
	ad_tensor_free(g1);
	ad_tensor_free(g2);
	ad_module_free(m);
}
END_TEST

/* Repeated backward passes accumulate, as x.grad does in Paddle. */
START_TEST(backward_accumulates)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f64[3]) -> y {\n    y = sum(sin(x) * x)\n}\n", "a.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	double xs[3] = {0.1, 0.5, 2};
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, xs), *res[1];
	ad_graph *g = ad_forward(f, &x, res, &err);
	ck_assert_msg(g, "%s", err.msg);
	for (int k = 1; k <= 3; k++) {
		ck_assert_int_eq(ad_backward(g, NULL, 1, &err), 0);
		double want[3];
		for (int i = 0; i < 3; i++)
			want[i] = k * (cos(xs[i]) * xs[i] + sin(xs[i]));
		expect_values(x->grad, want, 1e-12, "x.grad");
	}
	ad_graph_free(g);
	ad_tensor_free(res[0]);
	ad_tensor_free(x);
	ad_module_free(m);
}
END_TEST

/* Run-time seeds agree with grad_outputs given at compile time. */
START_TEST(runtime_seeds_match_compile_time)
{
	static const char *const src =
	    "func model(x: f32[n, 3], w: f32[3], b: f32) -> (y, s) {\n"
	    "    y = tanh(x @ w + b)\n"
	    "    s = sum(y * y)\n"
	    "}\n"
	    "func seeded(x: f32[n, 3], w: f32[3], b: f32, gy: f32[n] nograd, gs: f32 nograd) -> (gx, gw, gb) {\n"
	    "    y = tanh(x @ w + b)\n"
	    "    s = sum(y * y)\n"
	    "    gx, gw, gb = grad([y, s], [x, w, b], grad_outputs=[gy, gs])\n"
	    "}\n";
	ad_error err;
	ad_module *m = ad_module_compile(src, "s.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *model = ad_module_function(m, "model", &err),
	                  *seeded = ad_module_function(m, "seeded", &err);
	ad_tensor *x = T(2, (int64_t[]){4, 3}, (double[]){0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1, 1.1, 0.2});
	ad_tensor *w = T(1, (int64_t[]){3}, (double[]){0.5, -1, 0.25}), *b = T(0, NULL, (double[]){0.1});
	ad_tensor *gy = T(1, (int64_t[]){4}, (double[]){1, -2, 0.5, 3}), *gs = T(0, NULL, (double[]){0.7});
	ad_tensor *in[3] = {x, w, b}, *seeds[2] = {gy, gs}, *grads[3];
	ck_assert_msg(ad_grad(model, in, seeds, NULL, 0, grads, &err) == 0, "%s", err.msg);
	ad_tensor *in2[5] = {x, w, b, gy, gs}, *res[3];
	ck_assert_msg(ad_call(seeded, in2, res, &err) == 0, "%s", err.msg);
	for (int k = 0; k < 3; k++) {
		double want[12];
		for (int64_t i = 0; i < ad_tensor_numel(res[k]); i++)
			want[i] = ad_tensor_get(res[k], i);
		expect_values(grads[k], want, 1e-6, "run-time gradient");
		ad_tensor_free(grads[k]);
		ad_tensor_free(res[k]);
	}
	/* only some gradients: no work for the others */
	int wrt[3] = {0, 1, 0};
	ck_assert_int_eq(ad_grad(model, in, NULL, wrt, 0, grads, &err), 0);
	ck_assert_ptr_null(grads[0]);
	ck_assert_ptr_nonnull(grads[1]);
	ck_assert_ptr_null(grads[2]);
	ad_tensor_free(grads[1]);
	/* a seed of the wrong shape */
	ad_tensor *bad[2] = {gs, NULL};
	ck_assert_int_eq(ad_grad(model, in, bad, NULL, 0, grads, &err), AD_E_SHAPE);
	ck_assert_ptr_nonnull(strstr(err.msg, "the seed for result 'y'"));
	ad_tensor_free(x);
	ad_tensor_free(w);
	ad_tensor_free(b);
	ad_tensor_free(gy);
	ad_tensor_free(gs);
	ad_module_free(m);
}
END_TEST

START_TEST(allow_unused_both_ways)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f32[2], u: f32, c: f32 nograd) -> (y, d) {\n"
	                                 "    y = x * c\n    d = detach(u * 2)\n}\n",
	                                 "u.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ad_tensor *x = T(1, (int64_t[]){2}, (double[]){1, 2}), *u = T(0, NULL, (double[]){3}),
	          *c = T(0, NULL, (double[]){5});
	ad_tensor *in[3] = {x, u, c}, *grads[3];
	ck_assert_int_eq(ad_grad(f, in, NULL, NULL, 0, grads, &err), AD_E_GRAD);
	ck_assert_ptr_nonnull(strstr(err.msg, "no result depends on 'u'"));
	ck_assert_int_eq(ad_grad(f, in, NULL, NULL, 1, grads, &err), 0);
	expect_values(grads[0], (double[]){5, 5}, 1e-6, "grad x");
	ck_assert_ptr_null(grads[1]);
	ck_assert_ptr_null(grads[2]);
	ad_tensor_free(grads[0]);
	int wrt[3] = {0, 0, 1};
	ck_assert_int_eq(ad_grad(f, in, NULL, wrt, 1, grads, &err), AD_E_GRAD);
	ck_assert_ptr_nonnull(strstr(err.msg, "nograd"));
	const ad_meta *meta = ad_function_meta(f);
	ck_assert_int_eq(meta->depends[0 * 3 + 0], 1);
	ck_assert_int_eq(meta->depends[1 * 3 + 1], 0); /* detached: no dependence */
	ad_tensor_free(x);
	ad_tensor_free(u);
	ad_tensor_free(c);
	ad_module_free(m);
}
END_TEST

START_TEST(errors_are_values)
{
	ad_error err;
	ck_assert_ptr_null(ad_module_compile("func f(x: f32) -> y {\n    y = x + q\n}\n", "bad.ad", &err));
	ck_assert_int_eq(err.code, AD_E_COMPILE);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad.ad:2:13: error: unknown name 'q'"));
	ad_module *m =
	    ad_module_compile("func f(x: f32[n], y: f32[n]) -> z {\n    z = x[1:] * y[:-1]\n}\n", "ok.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_ptr_null(ad_module_function(m, "g", &err));
	ck_assert_int_eq(err.code, AD_E_NAME);
	const ad_function *f = ad_module_function(m, "f", &err);
	ck_assert_int_eq(ad_function_param(f, "y"), 1);
	ck_assert_int_eq(ad_function_result(f, "z"), 0);
	ad_tensor *a = T(1, (int64_t[]){3}, (double[]){1, 2, 3}), *b = T(1, (int64_t[]){2}, (double[]){1, 2});
	ad_tensor *in[2] = {a, b}, *res[1];
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_E_SHAPE);
	ck_assert_ptr_nonnull(strstr(err.msg, "input 'y'"));
	ad_tensor *e = T(1, (int64_t[]){0}, NULL);
	ad_tensor *in2[2] = {e, e};
	ck_assert_int_eq(ad_call(f, in2, res, &err), AD_E_SHAPE);
	ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
	ad_tensor *in3[2] = {a, NULL};
	ck_assert_int_eq(ad_call(f, in3, res, &err), AD_E_NAME);
	ad_tensor_free(a);
	ad_tensor_free(b);
	ad_tensor_free(e);
	ad_module_free(m);
}
END_TEST

/* A parameter typed by a dimension expression: the inputs that bind its
 * dimensions alone come first or later, and a misfit names the parameter,
 * the expression and both values; a slice that comes out of range is the
 * function's own run-time condition. */
START_TEST(shape_expression_parameters)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f32[2 * n], y: f32[n]) -> (z: f32[n - 1]) {\n"
	                                 "    z = x[0:n - 1] * y[1:n] + x[n + 1:2 * n]\n"
	                                 "}\n",
	                                 "se.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ck_assert_msg(f, "%s", err.msg);
	ad_tensor *x = T(1, (int64_t[]){6}, (double[]){1, 2, 3, 4, 5, 6});
	ad_tensor *y = T(1, (int64_t[]){3}, (double[]){10, 20, 30});
	ad_tensor *in[2] = {x, y}, *res[1] = {NULL};
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_OK);
	expect_values(res[0], (double[]){1 * 20 + 5, 2 * 30 + 6}, 1e-6, "z");
	ad_tensor_free(res[0]);
	ad_tensor *x5 = T(1, (int64_t[]){5}, (double[]){1, 2, 3, 4, 5});
	ad_tensor *in2[2] = {x5, y};
	ck_assert_int_eq(ad_call(f, in2, res, &err), AD_E_SHAPE);
	ck_assert_msg(strstr(err.msg, "input 'x' has 5 elements along axis 0 but the parameter is f32[2*n], "
	                              "whose 2*n is 6 here"),
	              "%s", err.msg);
	ad_tensor *x0 = T(1, (int64_t[]){0}, NULL), *y0 = T(1, (int64_t[]){0}, NULL);
	ad_tensor *in3[2] = {x0, y0};
	ck_assert_int_ne(ad_call(f, in3, res, &err), AD_OK);
	ck_assert_msg(strstr(err.msg, "(with these input shapes)"), "%s", err.msg);
	ad_tensor_free(x);
	ad_tensor_free(y);
	ad_tensor_free(x5);
	ad_tensor_free(x0);
	ad_tensor_free(y0);
	ad_module_free(m);
}
END_TEST

/* A function with an integer parameter and an integer result, written by
 * hand as the compiler would emit it, so that these tests need no integer
 * support in the compiler: take(x: f64[n], idx: i64[k]) -> (y, s) with
 * y = x[idx] (f64[k]) and s = sum(idx) (i64). */
enum { R = AD_META_MAX_RANK };

static int take_bind(const int64_t *shapes, int64_t *dims, int *where)
{
	(void)where;
	dims[0] = shapes[0 * R];
	dims[1] = shapes[1 * R];
	return 0;
}

static int take_shapes(const int64_t *dims, int64_t *shapes)
{
	shapes[0 * R] = dims[1];
	return 0;
}

static size_t take_work_size(const int64_t *dims)
{
	(void)dims;
	return 0;
}

static int take_call(const int64_t *dims, const void *const *in, void *const *out, void *work)
{
	(void)work;
	const double *x = in[0];
	const int64_t *idx = in[1];
	double *y = out[0];
	int64_t *s = out[1];
	*s = 0;
	for (int64_t k = 0; k < dims[1]; k++) {
		if (idx[k] < 0 || idx[k] >= dims[0])
			return AD_ERR_INDEX;
		y[k] = x[idx[k]];
		*s += idx[k];
	}
	return 0;
}

static const char *const take_dims[] = {"n", "k"};
static const ad_meta_tensor take_params[] = {{"x", AD_F64, 1, "f64[n]", 0, 0}, {"idx", AD_I64, 1, "i64[k]", 1, 0}};
static const ad_meta_tensor take_results[] = {{"y", AD_F64, 1, "f64[k]", 0, 0}, {"s", AD_I64, 0, "i64", 0, 0}};
static const unsigned char take_depends[] = {1, 1, 0, 1};
static const ad_meta take_meta = {
    .version = AD_META_VERSION,
    .name = "take",
    .ndims = 2,
    .dims = take_dims,
    .nparams = 2,
    .params = take_params,
    .nresults = 2,
    .results = take_results,
    .depends = take_depends,
    .bind = take_bind,
    .shapes = take_shapes,
    .work_size = take_work_size,
    .call = take_call,
    .entries = AD_ENTRY_PLAIN | AD_ENTRY_WORK,
};

/* total(idx: i32[k]) -> s: i64, the sum of idx, by hand too. */
static int total_bind(const int64_t *shapes, int64_t *dims, int *where)
{
	(void)where;
	dims[0] = shapes[0];
	return 0;
}

static int total_shapes(const int64_t *dims, int64_t *shapes)
{
	(void)dims;
	(void)shapes;
	return 0;
}

static int total_call(const int64_t *dims, const void *const *in, void *const *out, void *work)
{
	(void)work;
	const int32_t *idx = in[0];
	int64_t *s = out[0];
	*s = 0;
	for (int64_t k = 0; k < dims[0]; k++)
		*s += idx[k];
	return 0;
}

static const char *const total_dims[] = {"k"};
static const ad_meta_tensor total_params[] = {{"idx", AD_I32, 1, "i32[k]", 1, 0}};
static const ad_meta_tensor total_results[] = {{"s", AD_I64, 0, "i64", 0, 0}};
static const unsigned char total_depends[] = {1};
static const ad_meta total_meta = {
    .version = AD_META_VERSION,
    .name = "total",
    .ndims = 1,
    .dims = total_dims,
    .nparams = 1,
    .params = total_params,
    .nresults = 1,
    .results = total_results,
    .depends = total_depends,
    .bind = total_bind,
    .shapes = total_shapes,
    .work_size = take_work_size,
    .call = total_call,
    .entries = AD_ENTRY_PLAIN | AD_ENTRY_WORK,
};

/* JSON integers (i64) for an i32 parameter: converted when they fit, an
 * error naming the parameter when one does not (not wrapped). */
START_TEST(i32_parameters)
{
	ad_error err;
	const ad_meta *metas[1] = {&total_meta};
	ad_module *m = ad_module_from_meta(metas, 1, &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "total", &err);
	ad_tensor *idx = ad_parse_json("[2147483647, -2147483648, 1]", &err), *res[1];
	ck_assert_msg(ad_call(f, &idx, res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(ad_tensor_get_i64(res[0], 0), 0);
	ad_tensor_free(res[0]);
	ad_tensor_free(idx);
	idx = ad_parse_json("[1, 2147483648]", &err);
	ck_assert_int_eq(ad_call(f, &idx, res, &err), AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "total: input 'idx' does not fit the integer parameter's type i32[k]") != NULL &&
	                  strstr(err.msg, "element 1, 2147483648 is not within the i32 range") != NULL,
	              "%s", err.msg);
	ad_tensor_free(idx);
	idx = ad_parse_json("[1.5]", &err);
	ck_assert_int_eq(ad_call(f, &idx, res, &err), AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "a float value (f64[1]) was given for the integer parameter 'idx'") != NULL, "%s",
	              err.msg);
	ad_tensor_free(idx);
	ad_module_free(m);
}
END_TEST

/* A function emitted without its jvp entry (the hand-written take). */
START_TEST(jvp_missing_entry)
{
	ad_error err;
	const ad_meta *metas[1] = {&take_meta};
	ad_module *m = ad_module_from_meta(metas, 1, &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "take", &err);
	ad_tensor *x = ad_parse_json("[10.5, 20, 30]", &err), *idx = ad_parse_json("[2, 0]", &err);
	ad_tensor *in[2] = {x, idx}, *res[2] = {x, x}, *dres[2] = {x, x};
	ck_assert_int_eq(ad_jvp(f, in, NULL, res, dres, &err), AD_E_NAME);
	ck_assert_str_eq(err.msg, "take was emitted without its jvp entry (ad-compile --entry); ad_jvp needs it");
	ck_assert_ptr_null(res[0]);
	ck_assert_ptr_null(dres[1]);
	ad_tensor_free(x);
	ad_tensor_free(idx);
	ad_module_free(m);
}
END_TEST

/* Integer tensors through ad_call: integers for an integer parameter (i64,
 * or i32 converted), integers converted for a float one, a float for an
 * integer parameter refused with a message naming it. */
START_TEST(integer_parameters)
{
	ad_error err;
	const ad_meta *metas[1] = {&take_meta};
	ad_module *m = ad_module_from_meta(metas, 1, &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "take", &err);
	ad_tensor *x = ad_parse_json("[10, 20, 30]", &err); /* i64, for an f64 parameter */
	ad_tensor *idx = ad_parse_json("[2, 0, 2]", &err);
	ck_assert_int_eq(x->dtype, AD_I64);
	ck_assert_int_eq(idx->dtype, AD_I64);
	ad_tensor *in[2] = {x, idx}, *res[2];
	ck_assert_msg(ad_call(f, in, res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res[0]->dtype, AD_F64);
	expect_values(res[0], (double[]){30, 10, 30}, 0, "y");
	ck_assert_int_eq(res[1]->dtype, AD_I64);
	ck_assert_int_eq(ad_tensor_get_i64(res[1], 0), 4);
	const char *names[2] = {"y", "s"};
	char *j = ad_format_json(names, (const ad_tensor *const *)res, 2);
	ck_assert_str_eq(j, "{\"y\": {\"dtype\": \"f64\", \"shape\": [3], \"data\": [30, 10, 30]},\n"
	                    " \"s\": {\"dtype\": \"i64\", \"shape\": [], \"data\": [4]}}\n");
	free(j);
	ad_tensor_free(res[0]);
	ad_tensor_free(res[1]);
	/* i32 indices are converted to the parameter's i64 */
	ad_tensor *i32 = ad_tensor_convert(idx, AD_I32, &err);
	ad_tensor_set_i64(i32, 1, 1);
	in[1] = i32;
	ck_assert_msg(ad_call(f, in, res, &err) == 0, "%s", err.msg);
	expect_values(res[0], (double[]){30, 20, 30}, 0, "y (i32 indices)");
	ck_assert_int_eq(ad_tensor_get_i64(res[1], 0), 5);
	ad_tensor_free(res[0]);
	ad_tensor_free(res[1]);
	/* a float for an integer parameter: an error naming it, 1.0 included */
	ad_tensor *fidx = ad_parse_json("[2.0, 0, 1]", &err);
	ck_assert_int_eq(fidx->dtype, AD_F64);
	in[1] = fidx;
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "take: a float value (f64[3]) was given for the integer parameter 'idx' "
	                              "(i64[k])") != NULL,
	              "%s", err.msg);
	ck_assert_ptr_null(res[0]);
	ck_assert_ptr_null(res[1]);
	/* unless converted exactly, on purpose */
	ad_tensor *conv = ad_tensor_convert_exact(fidx, AD_I64, &err);
	ck_assert_msg(conv, "%s", err.msg);
	in[1] = conv;
	ck_assert_msg(ad_call(f, in, res, &err) == 0, "%s", err.msg);
	expect_values(res[0], (double[]){30, 10, 20}, 0, "y (converted indices)");
	ad_tensor_free(res[0]);
	ad_tensor_free(res[1]);
	/* an index out of range: the entry's AD_ERR_INDEX, as an error (this
	 * hand-written entry leaves no record of which index) */
	ad_tensor_set_i64(conv, 2, 3);
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "take: an index is out of range") != NULL, "%s", err.msg);
	ad_tensor_free(conv);
	ad_tensor_free(fidx);
	ad_tensor_free(i32);
	ad_tensor_free(x);
	ad_tensor_free(idx);
	ad_module_free(m);
	/* a record whose dtype code is none of the four */
	ad_meta_tensor bad_params[2] = {take_params[0], take_params[1]};
	bad_params[1].dtype = 4;
	ad_meta bad = take_meta;
	bad.params = bad_params;
	const ad_meta *bads[1] = {&bad};
	ck_assert_ptr_null(ad_module_from_meta(bads, 1, &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "'idx' has dtype code 4") != NULL, "%s", err.msg);
}
END_TEST

/* Integer tensors (JSON integers) for float parameters: converted, and
 * their gradients are in the parameter's float dtype, not truncated. */
START_TEST(integer_inputs_for_float_parameters)
{
	ad_error err;
	ad_module *m =
	    ad_module_compile("func f(x: f64[3], w: f32) -> y {\n    y = f32(sum(x * x)) * w\n}\n", "i.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ad_tensor *x = ad_parse_json("[1, 2, 3]", &err), *w = ad_parse_json("2", &err), *res[1], *g[2];
	ck_assert_int_eq(x->dtype, AD_I64);
	ad_tensor *in[2] = {x, w};
	ck_assert_msg(ad_call(f, in, res, &err) == 0, "%s", err.msg);
	expect_values(res[0], (double[]){28}, 0, "y");
	ad_tensor_free(res[0]);
	ck_assert_msg(ad_grad(f, in, NULL, NULL, 0, g, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(g[0]->dtype, AD_F64);
	ck_assert_int_eq(g[1]->dtype, AD_F32);
	expect_values(g[0], (double[]){4, 8, 12}, 1e-12, "dy/dx");
	expect_values(g[1], (double[]){14}, 1e-6, "dy/dw");
	ad_tensor_free(g[0]);
	ad_tensor_free(g[1]);
	/* an integer seed, converted too */
	ad_tensor *seed = ad_parse_json("3", &err);
	ck_assert_msg(ad_grad(f, in, &seed, NULL, 0, g, &err) == 0, "%s", err.msg);
	expect_values(g[0], (double[]){12, 24, 36}, 1e-12, "dy/dx (seed 3)");
	ad_tensor_free(g[0]);
	ad_tensor_free(g[1]);
	ad_graph *gr = ad_forward(f, in, res, &err);
	ck_assert_msg(gr, "%s", err.msg);
	ck_assert_int_eq(ad_backward(gr, &seed, 0, &err), 0);
	ck_assert_ptr_nonnull(x->grad);
	ck_assert_int_eq(x->grad->dtype, AD_F64); /* the parameter's, as the leaf is an integer tensor */
	ck_assert_int_eq(w->grad->dtype, AD_F32);
	expect_values(x->grad, (double[]){12, 24, 36}, 1e-12, "x.grad");
	expect_values(w->grad, (double[]){42}, 1e-6, "w.grad");
	ad_graph_free(gr);
	ad_tensor_free(res[0]);
	ad_tensor_free(seed);
	ad_tensor_free(x);
	ad_tensor_free(w);
	ad_module_free(m);
}
END_TEST

/* ---------------------------------------------------------------- forward mode (ad_jvp) */

/* <a, b> over all elements. */
static double dot(const ad_tensor *a, const ad_tensor *b)
{
	double s = 0;
	for (int64_t i = 0; i < ad_tensor_numel(a); i++)
		s += ad_tensor_get(a, i) * ad_tensor_get(b, i);
	return s;
}

/* A copy of t with eps * v added (v NULL: t itself), in t's dtype. */
static ad_tensor *shifted(const ad_tensor *t, const ad_tensor *v, double eps)
{
	ad_error err;
	ad_tensor *c = ad_tensor_convert(t, t->dtype, &err);
	for (int64_t i = 0; v && i < ad_tensor_numel(c); i++)
		ad_tensor_set(c, i, ad_tensor_get(t, i) + eps * ad_tensor_get(v, i));
	return c;
}

/* Central finite differences of f's results along the tangents v (NULL
 * entries: zero) at x: fd[r] = (f(x + eps v) - f(x - eps v)) / (2 eps). */
static void central_differences(const ad_function *f, ad_tensor *const *x, ad_tensor *const *v, double eps,
                                ad_tensor **fd)
{
	const ad_meta *m = ad_function_meta(f);
	enum { MAX = 16 };
	ad_tensor *xp[MAX], *xm[MAX], *rp[MAX], *rm[MAX];
	ad_error err;
	ck_assert(m->nparams <= MAX && m->nresults <= MAX);
	for (int p = 0; p < m->nparams; p++) {
		xp[p] = shifted(x[p], v[p], eps);
		xm[p] = shifted(x[p], v[p], -eps);
	}
	ck_assert_msg(ad_call(f, xp, rp, &err) == 0, "%s", err.msg);
	ck_assert_msg(ad_call(f, xm, rm, &err) == 0, "%s", err.msg);
	for (int r = 0; r < m->nresults; r++) {
		fd[r] = shifted(rp[r], NULL, 0);
		for (int64_t i = 0; i < ad_tensor_numel(fd[r]); i++)
			ad_tensor_set(fd[r], i, (ad_tensor_get(rp[r], i) - ad_tensor_get(rm[r], i)) / (2 * eps));
		ad_tensor_free(rp[r]);
		ad_tensor_free(rm[r]);
	}
	for (int p = 0; p < m->nparams; p++) {
		ad_tensor_free(xp[p]);
		ad_tensor_free(xm[p]);
	}
}

/* The closed form of a JVP, with the results, NULL tangents (zeros) and
 * outputs not wanted. */
START_TEST(jvp_closed_form)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f64[3], w: f64[3], c: f64 nograd) -> (y, s) {\n"
	                                 "    y = sin(x) * w * c\n"
	                                 "    s = sum(y * x)\n"
	                                 "}\n",
	                                 "j.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ck_assert(ad_function_meta(f)->entries & AD_ENTRY_JVP);
	ck_assert(ad_function_meta(f)->jvp != NULL);
	double xs[3] = {0.3, -1.2, 2.0}, ws[3] = {1.5, 0.5, -2.0}, c = 0.75;
	double vx[3] = {1.0, -0.5, 0.25}, vw[3] = {-2.0, 0.1, 3.0};
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, xs), *w = t_tensor(AD_F64, 1, (int64_t[]){3}, ws),
	          *cc = t_tensor(AD_F64, 0, NULL, &c);
	ad_tensor *tx = t_tensor(AD_F64, 1, (int64_t[]){3}, vx), *tw = t_tensor(AD_F64, 1, (int64_t[]){3}, vw);
	ad_tensor *in[3] = {x, w, cc}, *tan[3] = {tx, tw, NULL}, *res[2], *dres[2], *plain[2];
	ck_assert_msg(ad_jvp(f, in, tan, res, dres, &err) == 0, "%s", err.msg);
	ck_assert_msg(ad_call(f, in, plain, &err) == 0, "%s", err.msg);
	double dy[3], ds = 0, dyx[3], dsx = 0;
	for (int i = 0; i < 3; i++) {
		double y = sin(xs[i]) * ws[i] * c;
		dy[i] = c * (cos(xs[i]) * ws[i] * vx[i] + sin(xs[i]) * vw[i]);
		ds += dy[i] * xs[i] + y * vx[i];
		dyx[i] = c * cos(xs[i]) * ws[i] * vx[i];
		dsx += dyx[i] * xs[i] + y * vx[i];
	}
	for (int r = 0; r < 2; r++) {
		double want[3];
		for (int64_t i = 0; i < ad_tensor_numel(plain[r]); i++)
			want[i] = ad_tensor_get(plain[r], i);
		expect_values(res[r], want, 0, "ad_jvp's results against ad_call's");
	}
	ck_assert_int_eq(dres[0]->dtype, AD_F64);
	ck_assert_int_eq(dres[0]->rank, 1);
	ck_assert_int_eq(dres[1]->rank, 0);
	expect_values(dres[0], dy, 1e-14, "tan y");
	expect_values(dres[1], &ds, 1e-14, "tan s");
	for (int r = 0; r < 2; r++) {
		ad_tensor_free(res[r]);
		ad_tensor_free(dres[r]);
		ad_tensor_free(plain[r]);
	}
	/* a NULL tangent is zeros (w's here); results not wanted */
	tan[1] = NULL;
	ck_assert_msg(ad_jvp(f, in, tan, NULL, dres, &err) == 0, "%s", err.msg);
	expect_values(dres[0], dyx, 1e-14, "tan y (w's tangent NULL)");
	expect_values(dres[1], &dsx, 1e-14, "tan s (w's tangent NULL)");
	ad_tensor_free(dres[0]);
	ad_tensor_free(dres[1]);
	/* no tangents at all: zero tangents, not NULL (as
	 * torch.autograd.functional.jvp gives zeros) */
	ck_assert_msg(ad_jvp(f, in, NULL, res, dres, &err) == 0, "%s", err.msg);
	expect_values(dres[0], (double[]){0, 0, 0}, 0, "tan y (no tangents)");
	expect_values(dres[1], (double[]){0}, 0, "tan s (no tangents)");
	for (int r = 0; r < 2; r++) {
		ad_tensor_free(res[r]);
		ad_tensor_free(dres[r]);
	}
	/* the tangents not wanted: the results only */
	ck_assert_msg(ad_jvp(f, in, tan, res, NULL, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(res[0]);
	ad_tensor_free(res[0]);
	ad_tensor_free(res[1]);
	ad_tensor_free(x);
	ad_tensor_free(w);
	ad_tensor_free(cc);
	ad_tensor_free(tx);
	ad_tensor_free(tw);
	ad_module_free(m);
}
END_TEST

/* A loop whose body branches on the data (both branches run, in turns). */
#define JVP_LOOP_SRC                                                                                                   \
	"func g(x: %s[n], a: %s, k: %s nograd) -> (y, z) {\n"                                                          \
	"    h = x\n"                                                                                                  \
	"    y = 0.0\n"                                                                                                \
	"    for t in range(6) {\n"                                                                                    \
	"        if sum(h) > 0.0 {\n"                                                                                  \
	"            h = sin(h) * a - k\n"                                                                             \
	"        } else {\n"                                                                                           \
	"            h = h * h * 0.5 + a\n"                                                                            \
	"        }\n"                                                                                                  \
	"        y = y + sum(h * x)\n"                                                                                 \
	"    }\n"                                                                                                      \
	"    z = h * a\n"                                                                                              \
	"}\n"

static ad_module *loop_module(const char *dt)
{
	char src[1024];
	snprintf(src, sizeof src, JVP_LOOP_SRC, dt, dt, dt);
	ad_error err;
	ad_module *m = ad_module_compile(src, "loop.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	return m;
}

/* The loop's inputs, tangents v and seeds u, in dtype dt. */
typedef struct LoopCase {
	ad_tensor *in[3], *v[3], *u[2];
} LoopCase;

static LoopCase loop_case(ad_dtype dt)
{
	LoopCase c;
	int64_t s4[1] = {4};
	c.in[0] = t_tensor(dt, 1, s4, (double[]){0.3, -0.9, 0.2, -0.4});
	c.in[1] = t_tensor(dt, 0, NULL, (double[]){0.7});
	c.in[2] = t_tensor(dt, 0, NULL, (double[]){0.6});
	c.v[0] = t_tensor(dt, 1, s4, (double[]){0.5, 1.0, -0.75, 0.25});
	c.v[1] = t_tensor(dt, 0, NULL, (double[]){-1.5});
	c.v[2] = NULL; /* k is nograd */
	c.u[0] = t_tensor(dt, 0, NULL, (double[]){0.8});
	c.u[1] = t_tensor(dt, 1, s4, (double[]){-1.0, 2.0, 0.5, 1.5});
	return c;
}

static void loop_case_free(LoopCase *c)
{
	for (int i = 0; i < 3; i++) {
		ad_tensor_free(c->in[i]);
		ad_tensor_free(c->v[i]);
	}
	ad_tensor_free(c->u[0]);
	ad_tensor_free(c->u[1]);
}

/* Through a loop and an if, in f64: the tangents against central finite
 * differences, and <J v, u> = <v, J^T u> against ad_grad with seeds u. */
START_TEST(jvp_loop_and_if_f64)
{
	ad_module *m = loop_module("f64");
	ad_error err;
	const ad_function *g = ad_module_function(m, "g", &err);
	LoopCase c = loop_case(AD_F64);
	ad_tensor *res[2], *dres[2], *fd[2], *grads[3];
	ck_assert_msg(ad_jvp(g, c.in, c.v, res, dres, &err) == 0, "%s", err.msg);
	expect_values(res[0], (double[]){-1.876903897049108}, 1e-14, "y (NumPy's)");
	central_differences(g, c.in, c.v, 1e-6, fd);
	for (int r = 0; r < 2; r++) {
		double want[4];
		for (int64_t i = 0; i < ad_tensor_numel(fd[r]); i++)
			want[i] = ad_tensor_get(fd[r], i);
		expect_values(dres[r], want, 1e-8,
		              r ? "tan z against finite differences" : "tan y against finite differences");
	}
	/* <J v, u> = <v, J^T u> */
	ck_assert_msg(ad_grad(g, c.in, c.u, NULL, 0, grads, &err) == 0, "%s", err.msg);
	double lhs = dot(dres[0], c.u[0]) + dot(dres[1], c.u[1]);
	double rhs = dot(c.v[0], grads[0]) + dot(c.v[1], grads[1]);
	ck_assert_ptr_null(grads[2]); /* nograd */
	ck_assert_msg(fabs(lhs - rhs) <= 1e-13 * (1 + fabs(rhs)), "<J v, u> = %.17g, <v, J^T u> = %.17g", lhs, rhs);
	/* one direction at a time adds up to both at once (linearity) */
	ad_tensor *v1[3] = {c.v[0], NULL, NULL}, *v2[3] = {NULL, c.v[1], NULL}, *d1[2], *d2[2];
	ck_assert_msg(ad_jvp(g, c.in, v1, NULL, d1, &err) == 0, "%s", err.msg);
	ck_assert_msg(ad_jvp(g, c.in, v2, NULL, d2, &err) == 0, "%s", err.msg);
	for (int r = 0; r < 2; r++) {
		double want[4];
		for (int64_t i = 0; i < ad_tensor_numel(dres[r]); i++)
			want[i] = ad_tensor_get(d1[r], i) + ad_tensor_get(d2[r], i);
		expect_values(dres[r], want, 1e-14, "linearity");
		ad_tensor_free(d1[r]);
		ad_tensor_free(d2[r]);
		ad_tensor_free(res[r]);
		ad_tensor_free(dres[r]);
		ad_tensor_free(fd[r]);
	}
	for (int p = 0; p < 3; p++)
		ad_tensor_free(grads[p]);
	loop_case_free(&c);
	ad_module_free(m);
}
END_TEST

/* The same program in f32: f32 tangents, close to the f64 program's, and
 * <J v, u> = <v, J^T u> to f32's precision. */
START_TEST(jvp_loop_and_if_f32)
{
	ad_module *m32 = loop_module("f32"), *m64 = loop_module("f64");
	ad_error err;
	const ad_function *g32 = ad_module_function(m32, "g", &err), *g64 = ad_module_function(m64, "g", &err);
	LoopCase c32 = loop_case(AD_F32), c64 = loop_case(AD_F64);
	ad_tensor *d32[2], *d64[2], *grads[3];
	ck_assert_msg(ad_jvp(g32, c32.in, c32.v, NULL, d32, &err) == 0, "%s", err.msg);
	ck_assert_msg(ad_jvp(g64, c64.in, c64.v, NULL, d64, &err) == 0, "%s", err.msg);
	for (int r = 0; r < 2; r++) {
		ck_assert_int_eq(d32[r]->dtype, AD_F32);
		double want[4];
		for (int64_t i = 0; i < ad_tensor_numel(d64[r]); i++)
			want[i] = ad_tensor_get(d64[r], i);
		expect_values(d32[r], want, 2e-5, "f32 tangent against the f64 program's");
	}
	ck_assert_msg(ad_grad(g32, c32.in, c32.u, NULL, 0, grads, &err) == 0, "%s", err.msg);
	double lhs = dot(d32[0], c32.u[0]) + dot(d32[1], c32.u[1]);
	double rhs = dot(c32.v[0], grads[0]) + dot(c32.v[1], grads[1]);
	ck_assert_msg(fabs(lhs - rhs) <= 1e-5 * (1 + fabs(rhs)), "<J v, u> = %.9g, <v, J^T u> = %.9g", lhs, rhs);
	for (int r = 0; r < 2; r++) {
		ad_tensor_free(d32[r]);
		ad_tensor_free(d64[r]);
	}
	for (int p = 0; p < 3; p++)
		ad_tensor_free(grads[p]);
	loop_case_free(&c32);
	loop_case_free(&c64);
	ad_module_free(m32);
	ad_module_free(m64);
}
END_TEST

/* The module built by gcc (strict warnings) from the emitted C, through
 * its ad_meta record: the same tangents as the JIT's. */
START_TEST(jvp_gcc_module)
{
	char src[1024];
	snprintf(src, sizeof src, JVP_LOOP_SRC, "f64", "f64", "f64");
	Compilation *comp = adc_new("loop.ad", src, strlen(src));
	EmitOptions eo = {NULL, NULL, true, NULL, NULL, 0, false};
	char *csrc = NULL, *msg = NULL;
	ck_assert_int_eq(adc_emit(comp, &eo, true, &csrc, NULL), ADC_OK);
	ad_module *gm = t_gcc_module(csrc, "g_meta", &msg);
	ck_assert_msg(gm, "%s", msg ? msg : "");
	ad_module *jm = loop_module("f64");
	ad_error err;
	const ad_function *gg = ad_module_function(gm, "g", &err), *gj = ad_module_function(jm, "g", &err);
	LoopCase c = loop_case(AD_F64);
	ad_tensor *dg[2], *dj[2];
	ck_assert_msg(ad_jvp(gg, c.in, c.v, NULL, dg, &err) == 0, "%s", err.msg);
	ck_assert_msg(ad_jvp(gj, c.in, c.v, NULL, dj, &err) == 0, "%s", err.msg);
	for (int r = 0; r < 2; r++) {
		double want[4];
		for (int64_t i = 0; i < ad_tensor_numel(dj[r]); i++)
			want[i] = ad_tensor_get(dj[r], i);
		expect_values(dg[r], want, 1e-14, "gcc's tangent against the JIT's");
		ad_tensor_free(dg[r]);
		ad_tensor_free(dj[r]);
	}
	loop_case_free(&c);
	ad_module_free(gm);
	ad_module_free(jm);
	adc_free(comp);
}
END_TEST

/* A conversion between f32 and f64 on the way: the tangent of
 * f32(sum(x * x)) * w against the closed form, in f32. */
START_TEST(jvp_conversions)
{
	static const char src[] = "func f(x: f64[3], w: f32) -> y {\n    y = f32(sum(x * x)) * w\n}\n";
	ad_error err;
	ad_module *m = ad_module_compile(src, "cv.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3}), *w = T(0, NULL, (double[]){2});
	ad_tensor *vx = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 0, 0.5}), *vw = T(0, NULL, (double[]){1});
	ad_tensor *in[2] = {x, w}, *tan[2] = {vx, vw}, *res[1], *dres[1];
	ck_assert_msg(ad_jvp(f, in, tan, res, dres, &err) == 0, "%s", err.msg);
	/* d/dt f32(sum((x + t vx)^2)) (w + t vw) = 2 <x, vx> w + sum(x * x) vw */
	expect_values(res[0], (double[]){28}, 1e-6, "y");
	expect_values(dres[0], (double[]){24}, 1e-6, "tan y");
	ck_assert_int_eq(dres[0]->dtype, AD_F32);
	ad_tensor_free(res[0]);
	ad_tensor_free(dres[0]);
	ad_tensor_free(x);
	ad_tensor_free(w);
	ad_tensor_free(vx);
	ad_tensor_free(vw);
	ad_module_free(m);
}
END_TEST

/* A loop over eight invariants: its tangent loop has sixteen invariant
 * operands (the forward-mode pass once wrote them past its array and gave
 * 2.506 here instead of 2.4913), against central differences and PyTorch. */
START_TEST(jvp_many_invariants)
{
	static const char src[] =
	    "func f(x: f64, a: f64, b: f64, c: f64, d: f64, e: f64, g: f64, h: f64, k: f64) -> y {\n"
	    "    y = x\n"
	    "    for i in range(3) {\n"
	    "        y = y * a + b * sin(y) - c * y * d + e * g * h * k * y\n"
	    "    }\n"
	    "}\n";
	ad_error err;
	ad_module *m = ad_module_compile(src, "inv.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	double p[9] = {2, 0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.3, 0.4}, v[9] = {0, 1, 0.5, 0.25, 2, 1.5, 1, 0.5, 3};
	ad_tensor *in[9], *tan[9], *res[1], *dres[1], *fd[1];
	for (int i = 0; i < 9; i++) {
		in[i] = t_tensor(AD_F64, 0, NULL, &p[i]);
		tan[i] = t_tensor(AD_F64, 0, NULL, &v[i]);
	}
	ck_assert_msg(ad_jvp(f, in, tan, res, dres, &err) == 0, "%s", err.msg);
	central_differences(f, in, tan, 1e-6, fd);
	expect_values(dres[0], (double[]){ad_tensor_get(fd[0], 0)}, 1e-8, "tan y against finite differences");
	expect_values(dres[0], (double[]){2.49126853105788}, 1e-12, "tan y (PyTorch's)");
	ad_tensor_free(fd[0]);
	ad_tensor_free(res[0]);
	ad_tensor_free(dres[0]);
	for (int i = 0; i < 9; i++) {
		ad_tensor_free(in[i]);
		ad_tensor_free(tan[i]);
	}
	ad_module_free(m);
}
END_TEST

/* An index out of range names the indices as written, where they are, the
 * index and the bound, through every run-time path: ad_call, ad_grad (the
 * VJP), ad_jvp and ad_forward (the split forward) for a take in a loop
 * body; and for an update y[idx] = v and a scatter_add. */
START_TEST(index_error_messages)
{
	static const char src[] = "func f(x: f64[n], ids: i64[k], j: i64) -> (s) {\n"
	                          "    s = 0.0 * x[0]\n"
	                          "    for t in range(2) {\n"
	                          "        s = s + sum(x[ids] * x[j])\n"
	                          "    }\n"
	                          "}\n"
	                          "func g(x: f64[n], ids: i64[k]) -> (y, z) {\n"
	                          "    y = x\n"
	                          "    y[ids] = f64(ids) * 2.0\n"
	                          "    z = scatter_add(x, ids, f64(ids))\n"
	                          "}\n"
	                          "func h(x: f64[n], ids: i64[k]) -> (z) {\n"
	                          "    z = scatter_add(x, ids, f64(ids))\n"
	                          "}\n";
	ad_error err;
	ad_module *m = ad_module_compile(src, "ix.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3});
	ad_tensor *ids = ad_parse_json("[0, 2]", &err), *j = ad_parse_json("5", &err);
	ad_tensor *in[3] = {x, ids, j}, *res[1], *tan[3] = {x, NULL, NULL}, *dres[1], *grads[3];
	const char *want_j = "f: the index 5 of 'x[j]' at ix.ad:4:32 is out of range [0, 3) (AD_ERR_INDEX)";
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg, want_j);
	ck_assert_ptr_null(res[0]);
	ck_assert_int_eq(ad_grad(f, in, NULL, NULL, 0, grads, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg, want_j);
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg, want_j);
	ck_assert_ptr_null(ad_forward(f, in, res, &err));
	ck_assert_str_eq(err.msg, want_j);
	/* a negative index of a tensor, in the loop, then in the update */
	ad_tensor_set_i64(j, 0, 1);
	ad_tensor_set_i64(ids, 1, -1);
	ck_assert_int_eq(ad_call(f, in, res, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg, "f: the index -1 of 'x[ids]' at ix.ad:4:23 is out of range [0, 3) (AD_ERR_INDEX)");
	ad_tensor *r2[2];
	ck_assert_int_eq(ad_call(ad_module_function(m, "g", &err), in, r2, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg, "g: the index -1 of 'y[ids]' at ix.ad:9:7 is out of range [0, 3) (AD_ERR_INDEX)");
	ck_assert_int_eq(ad_call(ad_module_function(m, "h", &err), in, res, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg,
	                 "h: the index -1 of 'scatter_add(x, ids, f64(ids))' at ix.ad:13:24 is out of range [0, "
	                 "3) (AD_ERR_INDEX)");
	ad_tensor_free(x);
	ad_tensor_free(ids);
	ad_tensor_free(j);
	ad_module_free(m);
}
END_TEST

/* Integer, detached and none results; the errors, each naming what is wrong. */
START_TEST(jvp_results_and_errors)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f64[n], idx: i64[k], u: f64, c: f64 nograd) -> (y, s, d, gu) {\n"
	                                 "    y = take(x, idx) * c\n"
	                                 "    s = sum(idx)\n"
	                                 "    d = detach(u * 2.0)\n"
	                                 "    gu = grad(sum(x), u, allow_unused=true)\n"
	                                 "}\n",
	                                 "e.ad", &err);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3});
	ad_tensor *idx = ad_parse_json("[2, 0]", &err);
	ad_tensor *u = t_tensor(AD_F64, 0, NULL, (double[]){0.5}), *c = t_tensor(AD_F64, 0, NULL, (double[]){3});
	ad_tensor *vx = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){0.1, 0.2, 0.3});
	ad_tensor *vu = t_tensor(AD_F64, 0, NULL, (double[]){1});
	ad_tensor *in[4] = {x, idx, u, c}, *tan[4] = {vx, NULL, vu, NULL}, *res[4], *dres[4];
	ck_assert_msg(ad_jvp(f, in, tan, res, dres, &err) == 0, "%s", err.msg);
	expect_values(dres[0], (double[]){0.9, 0.3}, 1e-15, "tan y");
	ck_assert_ptr_null(dres[1]); /* an integer result: no tangent */
	ck_assert_int_eq(ad_tensor_get_i64(res[1], 0), 2);
	expect_values(dres[2], (double[]){0}, 0, "tan d (detached: zeros)");
	ck_assert_ptr_null(res[3]); /* a none result: neither value nor tangent */
	ck_assert_ptr_null(dres[3]);
	for (int r = 0; r < 4; r++) {
		ad_tensor_free(res[r]);
		ad_tensor_free(dres[r]);
	}
	/* a tangent for the integer parameter */
	tan[1] = idx;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_GRAD);
	ck_assert_str_eq(err.msg, "f: a tangent was given for the integer parameter 'idx' (i64[k]), which takes none; "
	                          "pass NULL for it");
	for (int r = 0; r < 4; r++) {
		ck_assert_ptr_null(res[r]);
		ck_assert_ptr_null(dres[r]);
	}
	/* for a nograd parameter */
	tan[1] = NULL;
	tan[3] = c;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_GRAD);
	ck_assert_str_eq(err.msg,
	                 "f: a tangent was given for 'c', a nograd parameter, which takes none; pass NULL for it");
	tan[3] = NULL;
	/* of the wrong shape, and of the wrong rank */
	ad_tensor *v2 = t_tensor(AD_F64, 1, (int64_t[]){2}, (double[]){1, 2});
	tan[0] = v2;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_SHAPE);
	ck_assert_str_eq(err.msg, "f: the tangent for parameter 'x' has shape [2] but the input has shape [3]");
	tan[0] = vu;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_SHAPE);
	ck_assert_str_eq(err.msg, "f: the tangent for parameter 'x' is a scalar but the input has shape [3]");
	/* of the wrong dtype (an f32 tangent for an f64 parameter; integers too) */
	ad_tensor *v32 = ad_tensor_convert(vx, AD_F32, &err);
	tan[0] = v32;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg,
	                 "f: the tangent for parameter 'x' is f32[3], but the parameter is f64[n]; a tangent has "
	                 "its parameter's dtype (ad_tensor_convert converts it)");
	ad_tensor *vi = ad_parse_json("[1, 0, 0]", &err);
	tan[0] = vi;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_VALUE);
	ck_assert_ptr_nonnull(strstr(err.msg, "is i64[3], but the parameter is f64[n]"));
	for (int r = 0; r < 4; r++) {
		ck_assert_ptr_null(res[r]);
		ck_assert_ptr_null(dres[r]);
	}
	/* the inputs are checked as ad_call checks them */
	tan[0] = vx;
	ad_tensor *fidx = ad_parse_json("[2.0, 0]", &err);
	in[1] = fidx;
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_VALUE);
	ck_assert_ptr_nonnull(strstr(err.msg, "a float value (f64[2]) was given for the integer parameter 'idx'"));
	in[1] = idx;
	/* an index out of range: the entry's AD_ERR_INDEX */
	ad_tensor_set_i64(idx, 0, 3);
	ck_assert_int_eq(ad_jvp(f, in, tan, res, dres, &err), AD_E_VALUE);
	ck_assert_str_eq(err.msg,
	                 "f: the index 3 of 'take(x, idx)' at e.ad:2:17 is out of range [0, 3) (AD_ERR_INDEX)");
	for (int r = 0; r < 4; r++) {
		ck_assert_ptr_null(res[r]);
		ck_assert_ptr_null(dres[r]);
	}
	ad_tensor_free(fidx);
	ad_tensor_free(vi);
	ad_tensor_free(v32);
	ad_tensor_free(v2);
	ad_tensor_free(vx);
	ad_tensor_free(vu);
	ad_tensor_free(x);
	ad_tensor_free(idx);
	ad_tensor_free(u);
	ad_tensor_free(c);
	ad_module_free(m);
}
END_TEST

/* Modules compiled and run from several threads at once. */
static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	char src[256];
	snprintf(src, sizeof src, "func f(x: f64[n]) -> (y, g) {\n    y = sum(x * x * %d)\n    g = grad(y, x)\n}\n",
	         id + 1);
	for (int round = 0; round < 5; round++) {
		ad_error err;
		ad_module *m = ad_module_compile(src, "t.ad", &err);
		if (!m)
			return (void *)1;
		const ad_function *f = ad_module_function(m, "f", &err);
		ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3}), *res[2];
		int rc = ad_call(f, &x, res, &err);
		bool ok = rc == 0 && ad_tensor_get(res[0], 0) == 14.0 * (id + 1) &&
		          ad_tensor_get(res[1], 2) == 6.0 * (id + 1);
		if (rc == 0) {
			ad_tensor_free(res[0]);
			ad_tensor_free(res[1]);
		}
		ad_tensor_free(x);
		ad_module_free(m);
		if (!ok)
			return (void *)1;
	}
	return NULL;
}

START_TEST(threads)
{
	enum { N = 6 };
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
	for (int i = 0; i < N; i++) {
		void *r;
		pthread_join(t[i], &r);
		ck_assert_msg(r == NULL, "thread %d computed a wrong number", i);
	}
}
END_TEST

/* ad_module_compile with AD_JIT=cc AD_JIT_THREADS=1: the --threads code,
 * built with -fopenmp (every kernel split: -DAD_PAR_MIN_=1 ...), its value
 * and gradient against the closed form; the module can be freed and made
 * again (libgomp stays loaded under its workers). */
START_TEST(openmp_module)
{
	static const char *const src =
	    "func f(x: f64[n]) -> (y, g) {\n    y = sum(sin(x) * x)\n    g = grad(y, x)\n}\n";
	setenv("AD_JIT", "cc", 1);
	setenv("AD_JIT_THREADS", "1", 1);
	/* (x86-64-v2: valgrind, which runs this suite too, has no AVX-512) */
	setenv("AD_JIT_CFLAGS", "-DAD_PAR_MIN_=1 -DAD_CHUNK_=2 -DAD_BLOCK_=16 -march=x86-64-v2", 1);
	enum { N = 1000 };
	double xs[N], y = 0;
	for (int i = 0; i < N; i++) {
		xs[i] = sin(0.37 * i) * 3;
		y += sin(xs[i]) * xs[i];
	}
	for (int round = 0; round < 2; round++) {
		ad_error err;
		ad_module *m = ad_module_compile(src, "omp.ad", &err);
		ck_assert_msg(m, "%s", err.msg);
		/* (the code runs on OpenMP: libgomp came in with it) */
		void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
		ck_assert_msg(gomp, "the module did not load libgomp");
		dlclose(gomp);
		const ad_function *f = ad_module_function(m, "f", &err);
		ad_tensor *x = t_tensor(AD_F64, 1, (int64_t[]){N}, xs), *res[2];
		ck_assert_msg(ad_call(f, &x, res, &err) == 0, "%s", err.msg);
		ck_assert_msg(fabs(ad_tensor_get(res[0], 0) - y) <= 1e-12 * N, "y = %.17g, not %.17g",
		              ad_tensor_get(res[0], 0), y);
		double want[N];
		for (int i = 0; i < N; i++)
			want[i] = cos(xs[i]) * xs[i] + sin(xs[i]);
		expect_values(res[1], want, 1e-14, "the gradient on threads");
		ad_tensor_free(res[0]);
		ad_tensor_free(res[1]);
		ad_tensor_free(x);
		ad_module_free(m);
	}
	unsetenv("AD_JIT");
	unsetenv("AD_JIT_THREADS");
	unsetenv("AD_JIT_CFLAGS");
}
END_TEST

/* Thousands of saved scalars (y = sin(y), 3000 times): the forward pass
 * hands them to backward in one buffer, so neither libtcc nor a C compiler
 * meets an argument list that grows with the program. */
START_TEST(many_saved_values)
{
	enum { STEPS = 3000 };
	Buf b;
	buf_init(&b, NULL);
	buf_puts(&b, "func f(x: f64) -> y {\n    y = x\n");
	for (int i = 0; i < STEPS; i++)
		buf_puts(&b, "    y = sin(y)\n");
	buf_puts(&b, "}\n");
	ad_error err;
	ad_module *m = ad_module_compile(b.data, "chain.ad", &err);
	buf_free(&b);
	ck_assert_msg(m, "%s", err.msg);
	const ad_function *f = ad_module_function(m, "f", &err);
	/* the closed form: the product of cos(y_k) along the chain */
	double y = 0.5, dy = 1;
	for (int i = 0; i < STEPS; i++) {
		dy *= cos(y);
		y = sin(y);
	}
	ad_tensor *x = t_tensor(AD_F64, 0, NULL, (double[]){0.5}), *res[1], *g[1];
	ck_assert_int_eq(ad_grad(f, &x, NULL, NULL, 0, g, &err), 0);
	expect_values(g[0], &dy, 1e-12, "dy/dx (ad_grad)");
	ad_graph *gr = ad_forward(f, &x, res, &err);
	ck_assert_msg(gr, "%s", err.msg);
	expect_values(res[0], &y, 1e-12, "y (ad_forward)");
	ck_assert_int_eq(ad_backward(gr, NULL, 0, &err), 0);
	expect_values(x->grad, &dy, 1e-12, "x.grad (ad_backward)");
	ad_graph_free(gr);
	ad_tensor_free(res[0]);
	ad_tensor_free(g[0]);
	ad_tensor_free(x);
	ad_module_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("api");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, paddle_backward_example);
	tcase_add_test(tc, backward_accumulates);
	tcase_add_test(tc, runtime_seeds_match_compile_time);
	tcase_add_test(tc, allow_unused_both_ways);
	tcase_add_test(tc, errors_are_values);
	tcase_add_test(tc, shape_expression_parameters);
	tcase_add_test(tc, integer_parameters);
	tcase_add_test(tc, i32_parameters);
	tcase_add_test(tc, integer_inputs_for_float_parameters);
	tcase_add_test(tc, jvp_closed_form);
	tcase_add_test(tc, jvp_loop_and_if_f64);
	tcase_add_test(tc, jvp_loop_and_if_f32);
	tcase_add_test(tc, jvp_gcc_module);
	tcase_add_test(tc, jvp_results_and_errors);
	tcase_add_test(tc, index_error_messages);
	tcase_add_test(tc, jvp_missing_entry);
	tcase_add_test(tc, jvp_conversions);
	tcase_add_test(tc, jvp_many_invariants);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, openmp_module);
	tcase_add_test(tc, many_saved_values);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
