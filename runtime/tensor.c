/* tensor.c: the tensor type. */
#include <stdarg.h>
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
	return dtype == AD_F64 ? sizeof(double) : sizeof(float);
}

const char *ad_dtype_name(ad_dtype dtype)
{
	return dtype == AD_F64 ? "f64" : "f32";
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

double ad_tensor_get(const ad_tensor *t, int64_t i)
{
	return t->dtype == AD_F64 ? ((const double *)t->data)[i] : (double)((const float *)t->data)[i];
}

void ad_tensor_set(ad_tensor *t, int64_t i, double v)
{
	if (t->dtype == AD_F64)
		((double *)t->data)[i] = v;
	else
		((float *)t->data)[i] = (float)v;
}

ad_tensor *ad_tensor_convert(const ad_tensor *t, ad_dtype dtype, ad_error *err)
{
	ad_tensor *r = ad_tensor_new(dtype, t->rank, t->shape, err);
	if (!r)
		return NULL;
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n; i++)
		ad_tensor_set(r, i, ad_tensor_get(t, i));
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
