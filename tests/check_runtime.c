/* check_runtime.c: the runtime API (adrt.h) over JIT-compiled modules:
 * paddle.grad and paddle.autograd.backward at run time, against the same
 * gradients computed at compile time, Paddle's documented example, the
 * error cases, and modules compiled and run from several threads. */
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
	/* an index out of range: the entry's AD_ERR_INDEX, as an error */
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
	tcase_add_test(tc, integer_parameters);
	tcase_add_test(tc, i32_parameters);
	tcase_add_test(tc, integer_inputs_for_float_parameters);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, many_saved_values);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
