/* api.c: calling compiled functions and their derivatives at run time
 * (paddle.grad, paddle.autograd.backward and forward mode's jvp) through
 * their ad_meta records. The same code serves ahead-of-time and
 * JIT-compiled modules. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adrt.h"

struct ad_function {
	const ad_meta *meta;
	const ad_module *module;
};

struct ad_module {
	int n;
	ad_function *fns;
	void *owner;
	void (*free_owner)(void *);
};

struct ad_graph {
	const ad_function *fn;
	int64_t dims[64];
	ad_tensor **in;     /* the inputs converted to the parameters' dtypes (owned) */
	ad_tensor **leaves; /* the caller's input tensors, for .grad */
	int64_t *shapes;    /* the results' shapes */
	void *saved;
	bool freed;
};

enum { R = AD_META_MAX_RANK };

/* An ad_meta_tensor's dtype code (checked by ad_module_wrap) as a dtype:
 * the codes are the same. */
static ad_dtype dt_of(int d)
{
	return (ad_dtype)d;
}

static bool is_dtype_code(int d)
{
	return d >= AD_F32 && d <= AD_I64;
}

/* ---------------------------------------------------------------- modules */

ad_module *ad_module_wrap(const ad_meta *const *metas, int n, void *owner, void (*free_owner)(void *), ad_error *err)
{
	ad_module *m = calloc(1, sizeof *m);
	if (!m || !(m->fns = calloc((size_t)n + 1, sizeof *m->fns))) {
		free(m);
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		if (!metas[i] || metas[i]->version != AD_META_VERSION) {
			free(m->fns);
			free(m);
			ad_error_set(err, AD_E_VALUE,
			             "function record %d is missing or of another version (%d, wanted %d)", i,
			             metas[i] ? metas[i]->version : -1, AD_META_VERSION);
			return NULL;
		}
		const ad_meta *mi = metas[i];
		for (int k = 0; k < mi->nparams + mi->nresults; k++) {
			const ad_meta_tensor *mt = k < mi->nparams ? &mi->params[k] : &mi->results[k - mi->nparams];
			if (!is_dtype_code(mt->dtype)) {
				free(m->fns);
				free(m);
				ad_error_set(err, AD_E_VALUE,
				             "function record %d (%s): '%s' has dtype code %d (0: f32, 1: f64, 2: i32, "
				             "3: i64)",
				             i, mi->name, mt->name, mt->dtype);
				return NULL;
			}
		}
		m->fns[i].meta = metas[i];
		m->fns[i].module = m;
	}
	m->n = n;
	m->owner = owner;
	m->free_owner = free_owner;
	return m;
}

ad_module *ad_module_from_meta(const ad_meta *const *metas, int n, ad_error *err)
{
	return ad_module_wrap(metas, n, NULL, NULL, err);
}

void ad_module_free(ad_module *m)
{
	if (!m)
		return;
	if (m->free_owner)
		m->free_owner(m->owner);
	free(m->fns);
	free(m);
}

int ad_module_count(const ad_module *m)
{
	return m->n;
}

const ad_function *ad_module_function_at(const ad_module *m, int i)
{
	return i >= 0 && i < m->n ? &m->fns[i] : NULL;
}

const ad_function *ad_module_function(const ad_module *m, const char *name, ad_error *err)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->fns[i].meta->name, name) == 0)
			return &m->fns[i];
	char list[1024] = "";
	size_t k = 0;
	for (int i = 0; i < m->n && k < sizeof list; i++)
		k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", m->fns[i].meta->name);
	ad_error_set(err, AD_E_NAME, "no function '%s' (there are: %s)", name, m->n ? list : "none");
	return NULL;
}

const ad_meta *ad_function_meta(const ad_function *f)
{
	return f->meta;
}

int ad_function_param(const ad_function *f, const char *name)
{
	for (int i = 0; i < f->meta->nparams; i++)
		if (strcmp(f->meta->params[i].name, name) == 0)
			return i;
	return -1;
}

int ad_function_result(const ad_function *f, const char *name)
{
	for (int i = 0; i < f->meta->nresults; i++)
		if (strcmp(f->meta->results[i].name, name) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------- calls */

static void free_all(ad_tensor **t, int n)
{
	for (int i = 0; t && i < n; i++)
		ad_tensor_free(t[i]);
	free(t);
}

static const char *shape_text(const ad_tensor *t, char *buf, size_t n)
{
	ad_tensor_describe(t, buf, n);
	return buf;
}

/* "[2, 3]": a shape as a list. */
static const char *shape_list(int rank, const int64_t *shape, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "[");
	for (int a = 0; a < rank && k < n; a++)
		k += (size_t)snprintf(buf + k, n - k, "%s%lld", a ? ", " : "", (long long)shape[a]);
	if (k < n)
		snprintf(buf + k, n - k, "]");
	return buf;
}

/* "is a scalar" or "has shape [2, 3]": a shape in words, without a dtype,
 * for messages about shapes alone. */
static const char *shape_phrase(int rank, const int64_t *shape, char *buf, size_t n)
{
	if (rank == 0)
		return "is a scalar";
	char list[232];
	snprintf(buf, n, "has shape %s", shape_list(rank, shape, list, sizeof list));
	return buf;
}

/* The text of axis a of a declared type ("n" of "f32[n, 3]"), or "". */
static const char *axis_text(const char *type, int a, char *buf, size_t n)
{
	const char *s = strchr(type, '[');
	buf[0] = 0;
	for (int k = 0; s && k < a; k++)
		s = strchr(s + 1, ',');
	if (!s)
		return buf;
	s += 1 + (s[1] == ' ');
	size_t len = strcspn(s, ",]");
	snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), s);
	return buf;
}

/* A dimension expression as the compiler prints it ("2*n", "n - 1",
 * "(n + 1)/2", where / is floor division) evaluated with the dimensions
 * bound so far; false where it cannot be (a name not yet bound). */
typedef struct DimEval {
	const char *s;
	const ad_meta *m;
	const int64_t *dims;
	bool ok;
} DimEval;

static int64_t dim_eval_sum(DimEval *e);

static void dim_eval_space(DimEval *e)
{
	while (*e->s == ' ')
		e->s++;
}

static int64_t dim_eval_atom(DimEval *e)
{
	dim_eval_space(e);
	if (*e->s == '(') {
		e->s++;
		int64_t v = dim_eval_sum(e);
		dim_eval_space(e);
		e->ok = e->ok && *e->s == ')';
		e->s += *e->s == ')';
		return v;
	}
	if (*e->s == '-') {
		e->s++;
		return (int64_t)(0u - (uint64_t)dim_eval_atom(e)); /* wraps, never undefined */
	}
	if (isdigit((unsigned char)*e->s)) {
		char *end;
		int64_t v = strtoll(e->s, &end, 10);
		e->s = end;
		return v;
	}
	size_t len = 0;
	while (isalnum((unsigned char)e->s[len]) || e->s[len] == '_')
		len++;
	for (int i = 0; len && i < e->m->ndims; i++)
		if (strlen(e->m->dims[i]) == len && strncmp(e->m->dims[i], e->s, len) == 0) {
			e->s += len;
			return e->dims[i];
		}
	e->ok = false;
	return 0;
}

static int64_t dim_eval_product(DimEval *e)
{
	int64_t v = dim_eval_atom(e);
	for (;;) {
		dim_eval_space(e);
		char op = *e->s;
		if (op != '*' && op != '/')
			return v;
		e->s += op == '/' && e->s[1] == '/' ? 2 : 1;
		int64_t w = dim_eval_atom(e);
		if (op == '*')
			v = (int64_t)((uint64_t)v * (uint64_t)w);
		else if (w == 0 || (w == -1 && v == INT64_MIN))
			e->ok = false;
		else
			v = v / w - (v % w != 0 && (v < 0) != (w < 0));
	}
}

static int64_t dim_eval_sum(DimEval *e)
{
	int64_t v = dim_eval_product(e);
	for (;;) {
		dim_eval_space(e);
		char op = *e->s;
		if (op != '+' && op != '-')
			return v;
		e->s++;
		int64_t w = dim_eval_product(e);
		v = (int64_t)(op == '+' ? (uint64_t)v + (uint64_t)w : (uint64_t)v - (uint64_t)w);
	}
}

static bool dim_eval_text(const ad_meta *m, const int64_t *dims, const char *text, int64_t *out)
{
	DimEval e = {text, m, dims, true};
	*out = dim_eval_sum(&e);
	dim_eval_space(&e);
	return e.ok && !*e.s;
}

/* Why shape[where] does not fit the parameter's type, for the message of
 * a failed bind: a constant it is not, or a dimension an earlier axis set
 * to another size (which one, and where), or else the type as a whole. */
static int misfit(const ad_meta *m, ad_tensor *const *inputs, const int64_t *dims, int where, ad_error *err)
{
	int p = where / R, a = where % R;
	const ad_meta_tensor *mp = &m->params[p];
	int64_t have = inputs[p]->shape[a];
	char ax[128], other[128], b[256];
	axis_text(mp->type, a, ax, sizeof ax);
	char *end;
	strtoll(ax, &end, 10);
	if (ax[0] && !*end)
		return ad_error_set(err, AD_E_SHAPE,
		                    "%s: input '%s' has %lld elements along axis %d but the parameter is %s", m->name,
		                    mp->name, (long long)have, a, mp->type);
	int64_t want;
	bool is_dim = false;
	for (int s = 0; s < m->ndims; s++)
		is_dim = is_dim || strcmp(m->dims[s], ax) == 0;
	if (!is_dim && dim_eval_text(m, dims, ax, &want))
		return ad_error_set(
		    err, AD_E_SHAPE,
		    "%s: input '%s' has %lld elements along axis %d but the parameter is %s, whose %s is "
		    "%lld here",
		    m->name, mp->name, (long long)have, a, mp->type, ax, (long long)want);
	for (int s = 0; s < m->ndims; s++) {
		if (strcmp(m->dims[s], ax) != 0)
			continue;
		/* the first axis of that name bound it */
		for (int q = 0; q <= p; q++)
			for (int e = 0; e < m->params[q].rank && (q < p || e < a); e++) {
				if (strcmp(axis_text(m->params[q].type, e, other, sizeof other), ax) != 0)
					continue;
				if (q == p)
					return ad_error_set(
					    err, AD_E_SHAPE,
					    "%s: input '%s' has %s = %lld along axis %d, but its axis %d "
					    "set %s = %lld",
					    m->name, mp->name, ax, (long long)have, a, e, ax, (long long)dims[s]);
				return ad_error_set(
				    err, AD_E_SHAPE,
				    "%s: input '%s' has %s = %lld along axis %d, but input '%s' set %s = %lld", m->name,
				    mp->name, ax, (long long)have, a, m->params[q].name, ax, (long long)dims[s]);
			}
	}
	return ad_error_set(err, AD_E_SHAPE,
	                    "%s: input '%s' is %s, which does not fit the parameter's type %s (axis %d)", m->name,
	                    mp->name, shape_text(inputs[p], b, sizeof b), mp->type, a);
}

/* The inputs converted to the parameters' dtypes, and the dimensions. */
static ad_tensor **bind(const ad_function *f, ad_tensor *const *inputs, int64_t *dims, int64_t *rshapes, ad_error *err)
{
	const ad_meta *m = f->meta;
	if (m->ndims > 64) {
		ad_error_set(err, AD_E_SHAPE, "%s has more than 64 dimensions", m->name);
		return NULL;
	}
	int64_t *shapes = calloc((size_t)m->nparams * R + 1, sizeof *shapes);
	ad_tensor **in = calloc((size_t)m->nparams + 1, sizeof *in);
	if (!shapes || !in) {
		free(shapes);
		free(in);
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	char b[256];
	for (int p = 0; p < m->nparams; p++) {
		const ad_meta_tensor *mp = &m->params[p];
		const ad_tensor *t = inputs ? inputs[p] : NULL;
		if (!t) {
			ad_error_set(err, AD_E_NAME, "%s: no input for parameter '%s' (%s)", m->name, mp->name,
			             mp->type);
			goto fail;
		}
		if (t->rank != mp->rank) {
			ad_error_set(err, AD_E_SHAPE,
			             "%s: input '%s' has shape %s but the parameter is %s (rank %d, not %d)", m->name,
			             mp->name, t->rank ? shape_list(t->rank, t->shape, b, sizeof b) : "[] (a scalar)",
			             mp->type, t->rank, mp->rank);
			goto fail;
		}
		for (int a = 0; a < t->rank; a++)
			shapes[p * R + a] = t->shape[a];
		if (ad_dtype_is_int(dt_of(mp->dtype)) && !ad_dtype_is_int(t->dtype)) {
			ad_error_set(err, AD_E_VALUE,
			             "%s: a float value (%s) was given for the integer parameter '%s' (%s); give "
			             "integers (1, not 1.0)",
			             m->name, shape_text(t, b, sizeof b), mp->name, mp->type);
			goto fail;
		}
		/* an integer that does not fit an i32 parameter is an error, not
		 * wrapped (as NumPy refuses a Python int out of an int32's range) */
		if (mp->dtype == AD_I32 && t->dtype == AD_I64) {
			ad_error e;
			if (!(in[p] = ad_tensor_convert_exact(t, AD_I32, &e))) {
				ad_error_set(err, e.code,
				             "%s: input '%s' does not fit the integer parameter's type %s (%s)",
				             m->name, mp->name, mp->type, e.msg);
				goto fail;
			}
			continue;
		}
		in[p] = ad_tensor_convert(t, dt_of(mp->dtype), err);
		if (!in[p])
			goto fail;
	}
	int where = 0;
	int rc = m->bind(shapes, dims, &where);
	if (rc == 1) {
		misfit(m, inputs, dims, where, err);
		goto fail;
	}
	if (rc == 2) {
		ad_error_set(err, AD_E_SHAPE, "%s: %s (with these input shapes)", m->name,
		             where < m->nconstraints ? m->constraints[where] : "a dimension condition fails");
		goto fail;
	}
	if (rshapes)
		m->shapes(dims, rshapes);
	free(shapes);
	return in;
fail:
	free(shapes);
	free_all(in, m->nparams);
	return NULL;
}

static ad_tensor *result_tensor(const ad_meta *m, int r, const int64_t *rshapes, ad_error *err)
{
	return ad_tensor_new(dt_of(m->results[r].dtype), m->results[r].rank, rshapes + r * R, err);
}

/* Scratch memory for an entry point whose _work_size is `size`, 64-byte
 * aligned, so that an index out of range leaves its record there (with
 * its check NULL until then); NULL, for the entry to allocate its own,
 * where the dimensions are invalid or there is no memory. */
static void *scratch(size_t (*size)(const int64_t *), const int64_t *dims)
{
	size_t n = size(dims);
	if (n == SIZE_MAX || n > SIZE_MAX - 64)
		return NULL;
	n = n < sizeof(ad_index_error) ? 64 : (n + 63) / 64 * 64;
	ad_index_error *w = aligned_alloc(64, n);
	if (w)
		w->check = NULL, w->index = w->bound = 0;
	return w;
}

/* The error of an entry point's status code rc; work is the scratch memory
 * it ran with (for the record of an index out of range), or NULL. */
static int code_error(const ad_meta *m, int rc, const void *work, ad_error *err)
{
	const ad_index_error *ie = work;
	if (rc == AD_ERR_INDEX && ie && ie->check)
		return ad_error_set(err, AD_E_VALUE,
		                    "%s: the index %lld of %s is out of range [0, %lld) (AD_ERR_INDEX)", m->name,
		                    (long long)ie->index, ie->check, (long long)ie->bound);
	if (rc == AD_ERR_INDEX && ie && ie->bound)
		return ad_error_set(err, AD_E_VALUE, "%s: an index %lld is out of range [0, %lld) (AD_ERR_INDEX)",
		                    m->name, (long long)ie->index, (long long)ie->bound);
	if (rc == AD_ERR_LINALG && ie && ie->check)
		return ad_error_set(err, AD_E_VALUE, "%s: %s: the matrix at batch index %lld is %s (AD_ERR_LINALG)",
		                    m->name, ie->check, (long long)ie->index,
		                    ie->bound == AD_LINALG_NOT_PD ? "not positive definite" : "singular");
	if (rc == AD_ERR_LINALG)
		return ad_error_set(err, AD_E_VALUE,
		                    "%s: a matrix is singular or not positive definite (AD_ERR_LINALG)", m->name);
	if (rc == AD_ERR_DIM)
		return ad_error_set(err, AD_E_SHAPE, "%s rejected the dimensions of its inputs", m->name);
	if (rc == AD_ERR_NOMEM)
		return ad_error_set(err, AD_E_NOMEM, "%s ran out of memory", m->name);
	if (rc == AD_ERR_INDEX)
		return ad_error_set(err, AD_E_VALUE, "%s: an index is out of range (AD_ERR_INDEX)", m->name);
	return ad_error_set(err, AD_E_INTERNAL, "%s returned error %d", m->name, rc);
}

/* After an entry point ran with the scratch memory `work` and returned c:
 * the memory freed, and 0 or the error of c. */
static int entry_done(const ad_meta *m, int c, void *work, ad_error *err)
{
	int rc = c ? code_error(m, c, work, err) : 0;
	free(work);
	return rc;
}

typedef int (*Entry)(const int64_t *dims, const void *const *in, void *const *out, void *work);

/* Run an entry point (NAME_call, NAME_vjp_call, NAME_jvp_call) with
 * scratch memory of its own size: 0, or the error. */
static int run_entry(const ad_meta *m, size_t (*size)(const int64_t *), Entry entry, const int64_t *dims,
                     const void *const *in, void *const *out, ad_error *err)
{
	void *work = scratch(size, dims);
	return entry_done(m, entry(dims, in, out, work), work, err);
}

/* An entry point the function was emitted without (ad-compile --entry). */
static int missing_entry(const ad_meta *m, unsigned bits, const char *what, const char *caller, ad_error *err)
{
	if (m->entries & bits)
		return 0;
	return ad_error_set(
	    err, AD_E_NAME, "%s was emitted without its %s (ad-compile --entry); %s needs %s", m->name, what, caller,
	    bits == AD_ENTRY_SPLIT || bits == AD_ENTRY_VJP || bits == AD_ENTRY_JVP ? "it" : "one of them");
}

int ad_call(const ad_function *f, ad_tensor *const *inputs, ad_tensor **results, ad_error *err)
{
	const ad_meta *m = f->meta;
	if (missing_entry(m, AD_ENTRY_PLAIN | AD_ENTRY_WORK, "plain and work entries", "ad_call", err)) {
		for (int r = 0; r < m->nresults; r++)
			results[r] = NULL;
		return err->code;
	}
	int64_t dims[64];
	int64_t *rs = calloc((size_t)m->nresults * R + 1, sizeof *rs);
	const void **in = calloc((size_t)m->nparams + 1, sizeof *in);
	void **out = calloc((size_t)m->nresults + 1, sizeof *out);
	ad_tensor **conv = NULL;
	int rc = AD_E_NOMEM;
	for (int r = 0; r < m->nresults; r++)
		results[r] = NULL;
	if (!rs || !in || !out) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	if (!(conv = bind(f, inputs, dims, rs, err))) {
		rc = err ? err->code : AD_E_SHAPE;
		goto done;
	}
	for (int p = 0; p < m->nparams; p++)
		in[p] = conv[p]->data;
	for (int r = 0; r < m->nresults; r++) {
		if (!(results[r] = result_tensor(m, r, rs, err))) {
			rc = AD_E_NOMEM;
			goto fail;
		}
		out[r] = results[r]->data;
	}
	if ((rc = run_entry(m, m->work_size, m->call, dims, in, out, err)))
		goto fail;
	for (int r = 0; r < m->nresults; r++)
		if (m->results[r].none) {
			ad_tensor_free(results[r]);
			results[r] = NULL;
		}
	rc = 0;
	goto done;
fail:
	for (int r = 0; r < m->nresults; r++) {
		ad_tensor_free(results[r]);
		results[r] = NULL;
	}
done:
	free_all(conv, m->nparams);
	free(rs);
	free(in);
	free(out);
	return rc;
}

/* ---------------------------------------------------------------- gradients */

static bool used(const ad_meta *m, int p)
{
	for (int r = 0; r < m->nresults; r++)
		if (m->depends && m->depends[r * m->nparams + p])
			return true;
	return false;
}

/* Seeds per result that is not none: converted copies of the given ones
 * (shape-checked), NULL for ones. */
static ad_tensor **seeds_of(const ad_meta *m, ad_tensor *const *given, const int64_t *rs, int *nseeds, ad_error *err)
{
	ad_tensor **s = calloc((size_t)m->nresults + 1, sizeof *s);
	if (!s) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	int k = 0;
	for (int r = 0; r < m->nresults; r++) {
		const ad_tensor *g = given ? given[r] : NULL;
		if (m->results[r].none)
			continue;
		if (g) {
			bool same = g->rank == m->results[r].rank;
			for (int a = 0; same && a < g->rank; a++)
				same = g->shape[a] == rs[r * R + a];
			if (!same) {
				char b[256], w[256];
				ad_error_set(err, AD_E_SHAPE, "%s: the seed for result '%s' %s but the result %s",
				             m->name, m->results[r].name, shape_phrase(g->rank, g->shape, b, sizeof b),
				             shape_phrase(m->results[r].rank, rs + r * R, w, sizeof w));
				free_all(s, m->nresults);
				return NULL;
			}
			if (ad_dtype_is_int(dt_of(m->results[r].dtype)) && !ad_dtype_is_int(g->dtype)) {
				char b[256];
				ad_error_set(err, AD_E_VALUE,
				             "%s: a float value (%s) was given as the seed of the integer result '%s' "
				             "(%s)",
				             m->name, shape_text(g, b, sizeof b), m->results[r].name,
				             m->results[r].type);
				free_all(s, m->nresults);
				return NULL;
			}
			if (!(s[k] = ad_tensor_convert(g, dt_of(m->results[r].dtype), err))) {
				free_all(s, m->nresults);
				return NULL;
			}
		}
		k++;
	}
	*nseeds = k;
	return s;
}

int ad_grad(const ad_function *f, ad_tensor *const *inputs, ad_tensor *const *grad_outputs, const int *wrt,
            int allow_unused, ad_tensor **grads, ad_error *err)
{
	const ad_meta *m = f->meta;
	int np = m->nparams, nr = m->nresults;
	for (int p = 0; p < np; p++)
		grads[p] = NULL;
	if (missing_entry(m, AD_ENTRY_VJP, "vjp entry", "ad_grad", err))
		return err->code;
	/* which parameters, checked as Paddle does */
	for (int p = 0; p < np; p++) {
		bool want = wrt ? wrt[p] != 0 : !m->params[p].nograd;
		if (!want)
			continue;
		if (m->params[p].nograd)
			return ad_error_set(err, AD_E_GRAD,
			                    "%s: cannot differentiate with respect to '%s': it is a nograd parameter",
			                    m->name, m->params[p].name);
		if (!used(m, p) && !allow_unused)
			return ad_error_set(
			    err, AD_E_GRAD,
			    "%s: no result depends on '%s'; pass allow_unused to get NULL for its gradient", m->name,
			    m->params[p].name);
	}
	if (!m->vjp)
		return 0; /* nothing is differentiable: every gradient is unused */
	int64_t dims[64];
	int64_t *rs = calloc((size_t)nr * R + 1, sizeof *rs);
	ad_tensor **conv = NULL, **seeds = NULL;
	int nseeds = 0, rc = 0, ng = 0;
	int nin = np + nr, nout = nr + np;
	const void **in = calloc((size_t)nin + 1, sizeof *in);
	void **out = calloc((size_t)nout + 1, sizeof *out);
	if (!rs || !in || !out) {
		rc = ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	if (!(conv = bind(f, inputs, dims, rs, err)) || !(seeds = seeds_of(m, grad_outputs, rs, &nseeds, err))) {
		rc = err ? err->code : AD_E_VALUE;
		goto done;
	}
	for (int p = 0; p < np; p++)
		in[p] = conv[p]->data;
	for (int k = 0; k < nseeds; k++)
		in[np + k] = seeds[k] ? seeds[k]->data : NULL;
	/* results are not wanted; a gradient buffer per wanted, used parameter */
	for (int p = 0; p < np; p++) {
		if (m->params[p].nograd)
			continue;
		bool want = (wrt ? wrt[p] != 0 : 1) && used(m, p);
		if (want) {
			grads[p] = ad_tensor_new(dt_of(m->params[p].dtype), m->params[p].rank, inputs[p]->shape, err);
			if (!grads[p]) {
				rc = AD_E_NOMEM;
				goto fail;
			}
			out[nr + ng] = grads[p]->data;
		}
		ng++;
	}
	if ((rc = run_entry(m, m->vjp_work_size, m->vjp, dims, in, out, err)))
		goto fail;
	goto done;
fail:
	for (int p = 0; p < np; p++) {
		ad_tensor_free(grads[p]);
		grads[p] = NULL;
	}
done:
	free_all(conv, np);
	free_all(seeds, nr);
	free(rs);
	free(in);
	free(out);
	return rc;
}

/* ---------------------------------------------------------------- forward mode */

/* Does result r get a tangent (a float result that is not none)? */
static bool has_tangent(const ad_meta *m, int r)
{
	return !m->results[r].none && !ad_dtype_is_int(dt_of(m->results[r].dtype));
}

/* The given tangents checked against the parameters (the kinds, before
 * the inputs are bound). */
static int tangent_kinds(const ad_meta *m, ad_tensor *const *tangents, ad_error *err)
{
	for (int p = 0; tangents && p < m->nparams; p++) {
		const ad_meta_tensor *mp = &m->params[p];
		if (!tangents[p])
			continue;
		if (ad_dtype_is_int(dt_of(mp->dtype)))
			return ad_error_set(err, AD_E_GRAD,
			                    "%s: a tangent was given for the integer parameter '%s' (%s), which takes "
			                    "none; pass NULL for it",
			                    m->name, mp->name, mp->type);
		if (mp->nograd)
			return ad_error_set(
			    err, AD_E_GRAD,
			    "%s: a tangent was given for '%s', a nograd parameter, which takes none; pass "
			    "NULL for it",
			    m->name, mp->name);
	}
	return 0;
}

/* A given tangent against its parameter's input: the same shape, and the
 * parameter's dtype. */
static int tangent_fits(const ad_meta *m, int p, const ad_tensor *t, const ad_tensor *input, ad_error *err)
{
	const ad_meta_tensor *mp = &m->params[p];
	bool same = t->rank == input->rank;
	for (int a = 0; same && a < t->rank; a++)
		same = t->shape[a] == input->shape[a];
	char b[256], w[256];
	if (!same)
		return ad_error_set(err, AD_E_SHAPE, "%s: the tangent for parameter '%s' %s but the input %s", m->name,
		                    mp->name, shape_phrase(t->rank, t->shape, b, sizeof b),
		                    shape_phrase(input->rank, input->shape, w, sizeof w));
	if (t->dtype != dt_of(mp->dtype))
		return ad_error_set(err, AD_E_VALUE,
		                    "%s: the tangent for parameter '%s' is %s, but the parameter is %s; a tangent has "
		                    "its parameter's dtype (ad_tensor_convert converts it)",
		                    m->name, mp->name, shape_text(t, b, sizeof b), mp->type);
	return 0;
}

int ad_jvp(const ad_function *f, ad_tensor *const *inputs, ad_tensor *const *tangents, ad_tensor **results,
           ad_tensor **result_tangents, ad_error *err)
{
	const ad_meta *m = f->meta;
	int np = m->nparams, nr = m->nresults;
	for (int r = 0; r < nr; r++) {
		if (results)
			results[r] = NULL;
		if (result_tangents)
			result_tangents[r] = NULL;
	}
	if (missing_entry(m, AD_ENTRY_JVP, "jvp entry", "ad_jvp", err) || tangent_kinds(m, tangents, err))
		return err->code;
	int64_t dims[64];
	int64_t *rs = calloc((size_t)nr * R + 1, sizeof *rs);
	const void **in = calloc((size_t)np * 2 + 1, sizeof *in);
	void **out = calloc((size_t)nr * 2 + 1, sizeof *out);
	ad_tensor **conv = NULL;
	int rc = 0;
	if (!rs || !in || !out) {
		rc = ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	if (!(conv = bind(f, inputs, dims, rs, err))) {
		rc = err ? err->code : AD_E_SHAPE;
		goto done;
	}
	for (int p = 0; tangents && p < np; p++)
		if (tangents[p] && (rc = tangent_fits(m, p, tangents[p], conv[p], err)))
			goto done;
	if (!m->jvp) {
		/* no parameter takes a tangent, or no result: the results as
		 * ad_call gives them, and zero tangents */
		if (results && (rc = ad_call(f, inputs, results, err)))
			goto done;
		for (int r = 0; result_tangents && r < nr; r++)
			if (has_tangent(m, r) && !(result_tangents[r] = result_tensor(m, r, rs, err))) {
				rc = AD_E_NOMEM;
				goto fail;
			}
		goto done;
	}
	/* in: the parameters, then a tangent per parameter not nograd (NULL:
	 * zeros); out: the results wanted, then a tangent per float result
	 * that is not none (NULL: not computed) */
	int nin = np, nout = nr;
	for (int p = 0; p < np; p++)
		in[p] = conv[p]->data;
	for (int p = 0; p < np; p++)
		if (!m->params[p].nograd)
			in[nin++] = tangents && tangents[p] ? tangents[p]->data : NULL;
	for (int r = 0; results && r < nr; r++) {
		if (!(results[r] = result_tensor(m, r, rs, err))) {
			rc = AD_E_NOMEM;
			goto fail;
		}
		out[r] = results[r]->data;
	}
	for (int r = 0; r < nr; r++) {
		if (!has_tangent(m, r))
			continue;
		if (result_tangents) {
			if (!(result_tangents[r] = result_tensor(m, r, rs, err))) {
				rc = AD_E_NOMEM;
				goto fail;
			}
			out[nout] = result_tangents[r]->data;
		}
		nout++;
	}
	if ((rc = run_entry(m, m->jvp_work_size, m->jvp, dims, in, out, err)))
		goto fail;
	for (int r = 0; results && r < nr; r++)
		if (m->results[r].none) {
			ad_tensor_free(results[r]);
			results[r] = NULL;
		}
	goto done;
fail:
	for (int r = 0; r < nr; r++) {
		if (results) {
			ad_tensor_free(results[r]);
			results[r] = NULL;
		}
		if (result_tangents) {
			ad_tensor_free(result_tangents[r]);
			result_tangents[r] = NULL;
		}
	}
done:
	free_all(conv, np);
	free(rs);
	free(in);
	free(out);
	return rc;
}

ad_graph *ad_forward(const ad_function *f, ad_tensor *const *inputs, ad_tensor **results, ad_error *err)
{
	const ad_meta *m = f->meta;
	int np = m->nparams, nr = m->nresults;
	for (int r = 0; r < nr; r++)
		results[r] = NULL;
	if (missing_entry(m, AD_ENTRY_SPLIT, "split entry (forward/backward)", "ad_forward", err))
		return NULL;
	if (!m->forward) {
		ad_error_set(err, AD_E_GRAD,
		             "%s has nothing to differentiate (no parameter without nograd, or no result)", m->name);
		return NULL;
	}
	ad_graph *g = calloc(1, sizeof *g);
	const void **in = calloc((size_t)np + 1, sizeof *in);
	void **out = calloc((size_t)nr + 1, sizeof *out);
	if (!g || !in || !out || !(g->shapes = calloc((size_t)nr * R + 1, sizeof *g->shapes)) ||
	    !(g->leaves = calloc((size_t)np + 1, sizeof *g->leaves))) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto fail;
	}
	g->fn = f;
	if (!(g->in = bind(f, inputs, g->dims, g->shapes, err)))
		goto fail;
	for (int p = 0; p < np; p++) {
		g->leaves[p] = inputs[p];
		in[p] = g->in[p]->data;
	}
	size_t saved = m->saved_size(g->dims);
	if (saved == SIZE_MAX || !(g->saved = malloc(saved ? saved : 1))) {
		ad_error_set(err, saved == SIZE_MAX ? AD_E_SHAPE : AD_E_NOMEM, "%s: no memory for the saved values",
		             m->name);
		goto fail;
	}
	for (int r = 0; r < nr; r++) {
		if (!(results[r] = result_tensor(m, r, g->shapes, err)))
			goto fail;
		out[r] = results[r]->data;
	}
	void *work = scratch(m->forward_work_size, g->dims);
	if (entry_done(m, m->forward(g->dims, in, out, g->saved, work), work, err))
		goto fail;
	for (int r = 0; r < nr; r++)
		if (m->results[r].none) {
			ad_tensor_free(results[r]);
			results[r] = NULL;
		}
	free(in);
	free(out);
	return g;
fail:
	for (int r = 0; r < nr; r++) {
		ad_tensor_free(results[r]);
		results[r] = NULL;
	}
	free(in);
	free(out);
	ad_graph_free(g);
	return NULL;
}

int ad_backward(ad_graph *g, ad_tensor *const *grad_tensors, int retain_graph, ad_error *err)
{
	const ad_meta *m = g->fn->meta;
	int np = m->nparams, nr = m->nresults;
	if (g->freed)
		return ad_error_set(err, AD_E_GRAD,
		                    "%s: the graph was freed by an earlier backward; pass retain_graph to run backward "
		                    "more than once",
		                    m->name);
	int nseeds = 0, rc = 0;
	ad_tensor **seeds = seeds_of(m, grad_tensors, g->shapes, &nseeds, err);
	ad_tensor **grads = calloc((size_t)np + 1, sizeof *grads);
	const void **in = calloc((size_t)np + 1, sizeof *in);
	const void **sd = calloc((size_t)nr + 1, sizeof *sd);
	void **gd = calloc((size_t)np + 1, sizeof *gd);
	if (!seeds || !grads || !in || !sd || !gd) {
		rc = seeds ? ad_error_set(err, AD_E_NOMEM, "out of memory") : err->code;
		goto done;
	}
	for (int p = 0; p < np; p++)
		in[p] = g->in[p]->data;
	for (int k = 0; k < nseeds; k++)
		sd[k] = seeds[k] ? seeds[k]->data : NULL;
	/* a gradient for each leaf: not nograd, not stop_gradient, used */
	int ng = 0;
	for (int p = 0; p < np; p++) {
		if (m->params[p].nograd)
			continue;
		if (!g->leaves[p]->stop_gradient && used(m, p)) {
			grads[p] = ad_tensor_new(g->in[p]->dtype, g->in[p]->rank, g->in[p]->shape, err);
			if (!grads[p]) {
				rc = AD_E_NOMEM;
				goto done;
			}
			gd[ng] = grads[p]->data;
		}
		ng++;
	}
	void *work = scratch(m->backward_work_size, g->dims);
	if ((rc = entry_done(m, m->backward(g->dims, in, sd, gd, g->saved, work), work, err)))
		goto done;
	/* accumulate into each leaf's .grad, in the leaf's own dtype (an
	 * integer leaf of a float parameter: the parameter's) */
	for (int p = 0; p < np; p++) {
		if (!grads[p])
			continue;
		ad_tensor *leaf = g->leaves[p];
		ad_dtype gd_type = ad_dtype_is_int(leaf->dtype) ? g->in[p]->dtype : leaf->dtype;
		if (!leaf->grad && !(leaf->grad = ad_tensor_new(gd_type, leaf->rank, leaf->shape, err))) {
			rc = AD_E_NOMEM;
			goto done;
		}
		int64_t n = ad_tensor_numel(leaf);
		for (int64_t i = 0; i < n; i++)
			ad_tensor_set(leaf->grad, i, ad_tensor_get(leaf->grad, i) + ad_tensor_get(grads[p], i));
	}
	if (!retain_graph) {
		free(g->saved);
		g->saved = NULL;
		g->freed = true;
	}
done:
	free_all(seeds, nr);
	free_all(grads, np);
	free(in);
	free(sd);
	free(gd);
	return rc;
}

void ad_graph_free(ad_graph *g)
{
	if (!g)
		return;
	if (g->in)
		free_all(g->in, g->fn->meta->nparams);
	free(g->leaves);
	free(g->shapes);
	free(g->saved);
	free(g);
}

void ad_clear_grad(ad_tensor *t)
{
	if (t && t->grad)
		memset(t->grad->data, 0, (size_t)ad_tensor_numel(t->grad) * ad_dtype_size(t->grad->dtype));
}
