/* format.c: printing named results as text, JSON or CSV. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adrt.h"

typedef struct Out {
	char *s;
	size_t len, cap;
	bool failed;
} Out;

static void put(Out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *p = realloc(o->s, cap);
		if (!p) {
			o->failed = true;
			return;
		}
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = 0;
}

static void puts_(Out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void printf_(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(Out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static char *finish(Out *o)
{
	if (o->failed) {
		free(o->s);
		return NULL;
	}
	if (!o->s)
		return calloc(1, 1);
	return o->s;
}

/* Enough digits to read back the same value (f32: 9, f64: 17). */
static void exact(char *b, size_t n, double v, ad_dtype dt, bool json)
{
	if (isnan(v))
		snprintf(b, n, json ? "\"NaN\"" : "nan");
	else if (isinf(v))
		snprintf(b, n, json ? (v > 0 ? "\"Infinity\"" : "\"-Infinity\"") : (v > 0 ? "inf" : "-inf"));
	else
		snprintf(b, n, "%.*g", dt == AD_F32 ? 9 : 17, v);
}

/* As few digits as read back the same value (for people). */
static void shortest(char *b, size_t n, double v, ad_dtype dt)
{
	if (isnan(v) || isinf(v)) {
		exact(b, n, v, dt, false);
		return;
	}
	/* plain notation between 1e-4 and 1e16, as NumPy prints */
	bool plain = fabs(v) >= 1e-4 && fabs(v) < 1e16;
	for (int p = 1; p <= 17; p++) {
		snprintf(b, n, "%.*g", p, v);
		double back = strtod(b, NULL);
		if ((dt == AD_F32 ? (float)back == (float)v : back == v) && !(plain && strchr(b, 'e')))
			return;
	}
}

enum style { EXACT, JSON, SHORTEST };

/* Element k of t: an integer as an integer; a float as exact() or
 * shortest() writes it. */
static void element(char *b, size_t n, const ad_tensor *t, int64_t k, enum style s)
{
	if (ad_dtype_is_int(t->dtype))
		snprintf(b, n, "%lld", (long long)ad_tensor_get_i64(t, k));
	else if (s == SHORTEST)
		shortest(b, n, ad_tensor_get(t, k), t->dtype);
	else
		exact(b, n, ad_tensor_get(t, k), t->dtype, s == JSON);
}

char *ad_format_json(const char *const *names, const ad_tensor *const *ts, int n)
{
	Out o = {0};
	puts_(&o, "{");
	for (int i = 0; i < n; i++) {
		printf_(&o, "%s\"%s\": ", i ? ",\n " : "", names[i]);
		const ad_tensor *t = ts[i];
		if (!t) {
			puts_(&o, "null");
			continue;
		}
		printf_(&o, "{\"dtype\": \"%s\", \"shape\": [", ad_dtype_name(t->dtype));
		for (int k = 0; k < t->rank; k++)
			printf_(&o, "%s%lld", k ? ", " : "", (long long)t->shape[k]);
		puts_(&o, "], \"data\": [");
		int64_t m = ad_tensor_numel(t);
		for (int64_t k = 0; k < m; k++) {
			char b[48];
			element(b, sizeof b, t, k, JSON);
			if (k)
				puts_(&o, ", ");
			puts_(&o, b);
		}
		puts_(&o, "]}");
	}
	puts_(&o, "}\n");
	return finish(&o);
}

static void text_rec(Out *o, const ad_tensor *t, int depth, int64_t *k, int indent)
{
	if (depth == t->rank) {
		char b[48];
		element(b, sizeof b, t, (*k)++, SHORTEST);
		puts_(o, b);
		return;
	}
	puts_(o, "[");
	size_t line_start = o->len;
	for (int64_t i = 0; i < t->shape[depth]; i++) {
		if (i) {
			puts_(o, ",");
			if (depth + 1 < t->rank) {
				puts_(o, "\n");
				for (int s = 0; s < indent + 1; s++)
					puts_(o, " ");
			} else if (o->len - line_start > 72) {
				puts_(o, "\n");
				line_start = o->len;
				for (int s = 0; s < indent + 1; s++)
					puts_(o, " ");
			} else {
				puts_(o, " ");
			}
		}
		text_rec(o, t, depth + 1, k, indent + 1);
	}
	puts_(o, "]");
}

char *ad_format_text(const char *const *names, const ad_tensor *const *ts, int n)
{
	Out o = {0};
	for (int i = 0; i < n; i++) {
		const ad_tensor *t = ts[i];
		if (!t) {
			printf_(&o, "%s: none\n", names[i]);
			continue;
		}
		char d[256];
		ad_tensor_describe(t, d, sizeof d);
		int64_t k = 0;
		if (t->rank == 0) {
			printf_(&o, "%s: %s = ", names[i], d);
			text_rec(&o, t, 0, &k, 0);
			puts_(&o, "\n");
			continue;
		}
		printf_(&o, "%s: %s =\n", names[i], d);
		if (ad_tensor_numel(t) == 0)
			puts_(&o, "[]"); /* as NumPy prints any empty array, whatever its shape */
		else
			text_rec(&o, t, 0, &k, 0);
		puts_(&o, "\n");
	}
	return finish(&o);
}

char *ad_format_csv(const char *const *names, const ad_tensor *const *ts, int n)
{
	Out o = {0};
	/* 1-D results of one length: one column each */
	int64_t len = -1;
	bool columns = n > 0;
	for (int i = 0; i < n && columns; i++) {
		if (!ts[i] || ts[i]->rank != 1 || (len >= 0 && ts[i]->shape[0] != len))
			columns = false;
		else
			len = ts[i]->shape[0];
	}
	char b[48];
	if (columns) {
		for (int i = 0; i < n; i++)
			printf_(&o, "%s%s", i ? "," : "", names[i]);
		puts_(&o, "\n");
		for (int64_t r = 0; r < len; r++) {
			for (int i = 0; i < n; i++) {
				element(b, sizeof b, ts[i], r, EXACT);
				printf_(&o, "%s%s", i ? "," : "", b);
			}
			puts_(&o, "\n");
		}
		return finish(&o);
	}
	/* otherwise the long form: name, flat row-major index, value */
	puts_(&o, "name,index,value\n");
	for (int i = 0; i < n; i++) {
		if (!ts[i]) {
			printf_(&o, "%s,,none\n", names[i]);
			continue;
		}
		int64_t m = ad_tensor_numel(ts[i]);
		for (int64_t k = 0; k < m; k++) {
			element(b, sizeof b, ts[i], k, EXACT);
			printf_(&o, "%s,%lld,%s\n", names[i], (long long)k, b);
		}
	}
	return finish(&o);
}
