/* tensor.c: the tensor type. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adrt.h"

int ad_error_set(ad_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->code = code;
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

size_t ad_dtype_size(ad_dtype dtype)
{
	switch (dtype) {
	case AD_F32: return sizeof(float);
	case AD_F64: return sizeof(double);
	case AD_I32: return sizeof(int32_t);
	case AD_I64: return sizeof(int64_t);
	}
	return 0;
}

const char *ad_dtype_name(ad_dtype dtype)
{
	switch (dtype) {
	case AD_F32: return "f32";
	case AD_F64: return "f64";
	case AD_I32: return "i32";
	case AD_I64: return "i64";
	}
	return "?";
}

int ad_dtype_is_int(ad_dtype dtype)
{
	return dtype == AD_I32 || dtype == AD_I64;
}

/* Element counts are bounded by 2^48, as in emitted code. */
static int numel_of(int rank, const int64_t *shape, int64_t *out)
{
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		if (shape[i] < 0 || shape[i] > ((int64_t)1 << 48))
			return 0;
		if (shape[i] && n > (((int64_t)1 << 48) / shape[i]))
			return 0;
		n *= shape[i];
	}
	*out = n;
	return 1;
}

ad_tensor *ad_tensor_new(ad_dtype dtype, int rank, const int64_t *shape, ad_error *err)
{
	int64_t n;
	if (!ad_dtype_size(dtype)) {
		ad_error_set(err, AD_E_VALUE, "%d is not a dtype (0: f32, 1: f64, 2: i32, 3: i64)", (int)dtype);
		return NULL;
	}
	if (rank < 0 || rank > AD_MAX_RANK || !numel_of(rank, shape, &n)) {
		ad_error_set(err, AD_E_SHAPE, "a tensor of rank %d with these dimensions is too large", rank);
		return NULL;
	}
	ad_tensor *t = calloc(1, sizeof *t);
	if (!t) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	t->dtype = dtype;
	t->rank = rank;
	if (rank)
		memcpy(t->shape, shape, (size_t)rank * sizeof *shape);
	size_t bytes = (size_t)n * ad_dtype_size(dtype);
	t->data = calloc(1, bytes ? bytes : 1);
	if (!t->data) {
		free(t);
		ad_error_set(err, AD_E_NOMEM, "out of memory for %lld elements", (long long)n);
		return NULL;
	}
	return t;
}

void ad_tensor_free(ad_tensor *t)
{
	if (!t)
		return;
	ad_tensor_free(t->grad);
	free(t->data);
	free(t);
}

int64_t ad_tensor_numel(const ad_tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->shape[i];
	return n;
}

/* A double truncated toward zero into the type's range, where a C cast
 * would be undefined: NaN is 0, values beyond the range saturate. */
static int64_t double_to_i64(double v)
{
	if (isnan(v))
		return 0;
	if (v >= 9223372036854775808.0) /* 2^63 */
		return INT64_MAX;
	if (v < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

static int32_t double_to_i32(double v)
{
	if (isnan(v))
		return 0;
	if (v >= 2147483648.0)
		return INT32_MAX;
	if (v <= -2147483649.0)
		return INT32_MIN;
	return (int32_t)v;
}

/* The low 32 bits of v as a two's complement int32, without relying on
 * the implementation-defined conversion of an out-of-range value. */
static int32_t wrap_i32(int64_t v)
{
	uint32_t u = (uint32_t)(uint64_t)v;
	return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

double ad_tensor_get(const ad_tensor *t, int64_t i)
{
	switch (t->dtype) {
	case AD_F32: return (double)((const float *)t->data)[i];
	case AD_F64: return ((const double *)t->data)[i];
	case AD_I32: return (double)((const int32_t *)t->data)[i];
	case AD_I64: return (double)((const int64_t *)t->data)[i];
	}
	return 0;
}

void ad_tensor_set(ad_tensor *t, int64_t i, double v)
{
	switch (t->dtype) {
	case AD_F32: ((float *)t->data)[i] = (float)v; break;
	case AD_F64: ((double *)t->data)[i] = v; break;
	case AD_I32: ((int32_t *)t->data)[i] = double_to_i32(v); break;
	case AD_I64: ((int64_t *)t->data)[i] = double_to_i64(v); break;
	}
}

int64_t ad_tensor_get_i64(const ad_tensor *t, int64_t i)
{
	switch (t->dtype) {
	case AD_I32: return ((const int32_t *)t->data)[i];
	case AD_I64: return ((const int64_t *)t->data)[i];
	case AD_F32:
	case AD_F64: return double_to_i64(ad_tensor_get(t, i));
	}
	return 0;
}

void ad_tensor_set_i64(ad_tensor *t, int64_t i, int64_t v)
{
	switch (t->dtype) {
	case AD_F32: ((float *)t->data)[i] = (float)v; break;
	case AD_F64: ((double *)t->data)[i] = (double)v; break;
	case AD_I32: ((int32_t *)t->data)[i] = wrap_i32(v); break;
	case AD_I64: ((int64_t *)t->data)[i] = v; break;
	}
}

/* Copy t's elements into r (same shape, any dtypes): integers travel as
 * int64_t, floats as double, so no integer passes through a double. */
static void copy_values(const ad_tensor *t, ad_tensor *r)
{
	int64_t n = ad_tensor_numel(t);
	if (t->dtype == r->dtype) {
		memcpy(r->data, t->data, (size_t)n * ad_dtype_size(t->dtype));
		return;
	}
	bool ints = ad_dtype_is_int(t->dtype);
	for (int64_t i = 0; i < n; i++)
		if (ints)
			ad_tensor_set_i64(r, i, ad_tensor_get_i64(t, i));
		else
			ad_tensor_set(r, i, ad_tensor_get(t, i));
}

ad_tensor *ad_tensor_convert(const ad_tensor *t, ad_dtype dtype, ad_error *err)
{
	if (ad_dtype_is_int(dtype) && !ad_dtype_is_int(t->dtype) && ad_dtype_size(t->dtype)) {
		char d[256];
		ad_tensor_describe(t, d, sizeof d);
		ad_error_set(err, AD_E_VALUE,
		             "a float value (%s) was given for an integer parameter (%s); give integers (1, not "
		             "1.0), or convert with ad_tensor_convert_exact",
		             d, ad_dtype_name(dtype));
		return NULL;
	}
	ad_tensor *r = ad_tensor_new(dtype, t->rank, t->shape, err);
	if (!r)
		return NULL;
	copy_values(t, r);
	return r;
}

/* Whether element i of t is exactly representable in dtype; if not, why
 * in why[n]. */
static bool exact_at(const ad_tensor *t, int64_t i, ad_dtype dtype, char *why, size_t n)
{
	if (ad_dtype_is_int(t->dtype)) {
		int64_t v = ad_tensor_get_i64(t, i);
		bool ok = true;
		if (dtype == AD_I32)
			ok = v >= INT32_MIN && v <= INT32_MAX;
		else if (dtype == AD_F64)
			ok = (double)v < 9223372036854775808.0 && (int64_t)(double)v == v;
		else if (dtype == AD_F32)
			ok = (double)(float)v < 9223372036854775808.0 && (int64_t)(float)v == v;
		if (!ok)
			snprintf(why, n, "%lld is not %s %s", (long long)v, dtype == AD_I32 ? "within" : "exactly",
			         dtype == AD_I32 ? "the i32 range" : ad_dtype_name(dtype));
		return ok;
	}
	double v = ad_tensor_get(t, i);
	if (dtype == AD_F64 || (dtype == AD_F32 && (isnan(v) || (double)(float)v == v)))
		return true;
	if (dtype == AD_F32) {
		snprintf(why, n, "%.17g is not exactly an f32", v);
		return false;
	}
	if (isnan(v) || isinf(v) || v != trunc(v)) {
		snprintf(why, n, "%.17g is not an integer", v);
		return false;
	}
	bool in = dtype == AD_I32 ? v >= -2147483648.0 && v <= 2147483647.0
	                          : v >= -9223372036854775808.0 && v < 9223372036854775808.0;
	if (!in)
		snprintf(why, n, "%.17g is outside the %s range", v, ad_dtype_name(dtype));
	return in;
}

ad_tensor *ad_tensor_convert_exact(const ad_tensor *t, ad_dtype dtype, ad_error *err)
{
	if (!ad_dtype_size(dtype) || !ad_dtype_size(t->dtype)) {
		ad_error_set(err, AD_E_VALUE, "%d is not a dtype (0: f32, 1: f64, 2: i32, 3: i64)",
		             (int)(ad_dtype_size(dtype) ? t->dtype : dtype));
		return NULL;
	}
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n && t->dtype != dtype; i++) {
		char why[128];
		if (!exact_at(t, i, dtype, why, sizeof why)) {
			char d[256];
			ad_tensor_describe(t, d, sizeof d);
			ad_error_set(err, AD_E_VALUE, "cannot convert %s to %s exactly: element %lld, %s", d,
			             ad_dtype_name(dtype), (long long)i, why);
			return NULL;
		}
	}
	ad_tensor *r = ad_tensor_new(dtype, t->rank, t->shape, err);
	if (!r)
		return NULL;
	copy_values(t, r); /* an integral float is exactly a double, and truncates to itself */
	return r;
}

void ad_tensor_describe(const ad_tensor *t, char *out, size_t n)
{
	size_t k = (size_t)snprintf(out, n, "%s", ad_dtype_name(t->dtype));
	if (t->rank == 0 || k >= n)
		return;
	for (int i = 0; i < t->rank && k < n; i++)
		k += (size_t)snprintf(out + k, n - k, "%s%lld", i ? ", " : "[", (long long)t->shape[i]);
	if (k < n)
		snprintf(out + k, n - k, "]");
}
