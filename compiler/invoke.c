/* invoke.c: binding inputs to a function's parameters and calling it. */
#include "invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct DimEnv {
	const Func *f;
	const int64_t *vals;
	const bool *bound;
} DimEnv;

static bool lookup_sym(void *ctx, const char *name, int64_t *out)
{
	DimEnv *e = ctx;
	for (int i = 0; i < e->f->dimsyms.len; i++)
		if (strcmp(e->f->dimsyms.data[i], name) == 0) {
			if (e->bound && !e->bound[i])
				return false;
			*out = e->vals[i];
			return true;
		}
	return false;
}

static void shape_text(const Func *f, const Inst *p, char *out, size_t n)
{
	Buf b;
	buf_init(&b, f->A);
	ir_print_type(&b, p->dt, p->rank, p->shape);
	snprintf(out, n, "%s", b.data ? b.data : "");
	buf_free(&b);
}

int inv_bind(Invocation *iv, const Func *f, const char *const *names, ad_tensor *const *vals, const bool *table, int n,
             ad_error *err)
{
	memset(iv, 0, sizeof *iv);
	iv->f = f;
	int np = f->params.len, nd = f->dimsyms.len;
	if (nd > 64)
		return ad_error_set(err, AD_E_SHAPE, "%s has more than 64 symbolic dimensions", f->name);
	iv->ndims = nd;
	iv->in = calloc((size_t)np + 1, sizeof *iv->in);
	iv->out = calloc((size_t)f->results.len + 1, sizeof *iv->out);
	if (!iv->in || !iv->out)
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		int k = -1;
		for (int j = 0; j < np; j++)
			if (strcmp(ir_inst(f, f->params.data[j])->name, names[i]) == 0)
				k = j;
		if (k < 0) {
			Buf b;
			buf_init(&b, f->A);
			for (int j = 0; j < np; j++)
				buf_printf(&b, "%s%s", j ? ", " : "", ir_inst(f, f->params.data[j])->name);
			ad_error_set(err, AD_E_NAME, "%s has no parameter '%s' (its parameters: %s)", f->name, names[i],
			             np ? b.data : "none");
			buf_free(&b);
			return err->code;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(names[j], names[i]) == 0)
				return ad_error_set(err, AD_E_NAME, "input '%s' is given twice", names[i]);
	}
	bool bound[64] = {0};
	int64_t shapes[AD_MAX_RANK * 64];
	if (np > 64)
		return ad_error_set(err, AD_E_SHAPE, "%s has more than 64 parameters", f->name);
	/* first the values and the dimensions that are plain symbols */
	for (int k = 0; k < np; k++) {
		const Inst *p = ir_inst(f, f->params.data[k]);
		const ad_tensor *v = NULL;
		bool is_table = false;
		for (int i = 0; i < n; i++)
			if (strcmp(names[i], p->name) == 0) {
				v = vals[i];
				is_table = table && table[i];
			}
		char want[256];
		shape_text(f, p, want, sizeof want);
		if (!v)
			return ad_error_set(err, AD_E_NAME, "no input for parameter '%s' (%s); pass --input %s=VALUE",
			                    p->name, want, p->name);
		/* a CSV table (2-D) may feed a 1-D parameter as one row or column,
		 * and a 1x1 table a scalar */
		int64_t *shape = shapes + AD_MAX_RANK * k;
		int rank = v->rank;
		memcpy(shape, v->shape, sizeof v->shape);
		if (is_table && p->rank < rank && rank == 2 && (shape[0] == 1 || shape[1] == 1)) {
			if (p->rank == 1) {
				shape[0] = shape[0] == 1 ? shape[1] : shape[0];
				rank = 1;
			} else if (p->rank == 0 && shape[0] == 1 && shape[1] == 1) {
				rank = 0;
			}
		}
		char have[256];
		ad_tensor_describe(v, have, sizeof have);
		if (rank != p->rank)
			return ad_error_set(
			    err, AD_E_SHAPE, "input '%s' has shape %s but the parameter is %s (rank %d, not %d)",
			    p->name, strchr(have, '[') ? strchr(have, '[') : "[] (a scalar)", want, rank, p->rank);
		for (int d = 0; d < rank; d++) {
			const Dim *pd = p->shape[d];
			int64_t c;
			if (dim_is_const(pd, &c) && c != shape[d]) /* in order: this input is the one at fault */
				return ad_error_set(
				    err, AD_E_SHAPE,
				    "input '%s' has %lld elements along axis %d but the parameter is %s", p->name,
				    (long long)shape[d], d, want);
			if (!(pd->nterms == 1 && pd->terms[0].n == 1 && pd->terms[0].coef == 1 &&
			      pd->terms[0].atoms[0]->kind == DIM_ATOM_SYM))
				continue;
			int s = -1;
			for (int j = 0; j < f->dimsyms.len; j++)
				if (strcmp(pd->terms[0].atoms[0]->name, f->dimsyms.data[j]) == 0)
					s = j;
			if (s < 0)
				return ad_error_set(err, AD_E_INTERNAL,
				                    "parameter dimension is not a symbol of the function");
			if (bound[s] && iv->dims[s] != shape[d])
				return ad_error_set(
				    err, AD_E_SHAPE,
				    "input '%s' has %s = %lld along axis %d, but an earlier input set %s = %lld",
				    p->name, f->dimsyms.data[s], (long long)shape[d], d, f->dimsyms.data[s],
				    (long long)iv->dims[s]);
			bound[s] = true;
			iv->dims[s] = shape[d];
		}
		ad_tensor *conv = ad_tensor_convert(v, p->dt == DT_F64 ? AD_F64 : AD_F32, err);
		if (!conv)
			return err->code;
		conv->rank = rank;
		memcpy(conv->shape, shape, sizeof conv->shape);
		iv->in[k] = conv;
	}
	/* then the dimensions that are expressions of the symbols */
	DimEnv env = {f, iv->dims, bound};
	for (int k = 0; k < np; k++) {
		const Inst *p = ir_inst(f, f->params.data[k]);
		for (int d = 0; d < p->rank; d++) {
			int64_t want_d;
			if (!dim_eval(p->shape[d], lookup_sym, &env, &want_d))
				return ad_error_set(err, AD_E_SHAPE, "the shape of input '%s' cannot be checked",
				                    p->name);
			if (want_d != iv->in[k]->shape[d]) {
				char want[256];
				shape_text(f, p, want, sizeof want);
				Buf b;
				buf_init(&b, f->A);
				dim_print(&b, p->shape[d]);
				ad_error_set(
				    err, AD_E_SHAPE,
				    "input '%s' has %lld elements along axis %d but the parameter is %s (%s = %lld)",
				    p->name, (long long)iv->in[k]->shape[d], d, want, b.data, (long long)want_d);
				buf_free(&b);
				return err->code;
			}
		}
	}
	/* the run-time conditions on the dimensions */
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *c = &f->cons.data[i];
		int64_t a, b = 0;
		bool ok = dim_eval(c->a, lookup_sym, &env, &a) &&
		          (c->kind == CONS_GE0 || dim_eval(c->b, lookup_sym, &env, &b));
		if (ok)
			ok = c->kind == CONS_GE0 ? a >= 0 : c->kind == CONS_EQ ? a == b : (b != 0 && a % b == 0);
		if (!ok)
			return ad_error_set(err, AD_E_SHAPE, "%s: %s (with these input shapes)", f->name, c->msg);
	}
	return inv_alloc(iv, err);
}

int inv_alloc(Invocation *iv, ad_error *err)
{
	const Func *f = iv->f;
	DimEnv env = {f, iv->dims, NULL};
	for (int r = 0; r < f->results.len; r++) {
		const FuncResult *fr = &f->results.data[r];
		int64_t shape[AD_MAX_RANK];
		for (int d = 0; d < fr->rank; d++)
			if (!dim_eval(fr->shape[d], lookup_sym, &env, &shape[d]) || shape[d] < 0)
				return ad_error_set(err, AD_E_SHAPE, "result '%s' would have an invalid size",
				                    fr->name);
		ad_tensor_free(iv->out[r]);
		iv->out[r] = ad_tensor_new(fr->dt == DT_F64 ? AD_F64 : AD_F32, fr->rank, shape, err);
		if (!iv->out[r])
			return err->code;
	}
	return 0;
}

int inv_call(Invocation *iv, AdCallFn fn, ad_error *err)
{
	const Func *f = iv->f;
	const void **in = calloc((size_t)f->params.len + 1, sizeof *in);
	void **out = calloc((size_t)f->results.len + 1, sizeof *out);
	if (!in || !out) {
		free(in);
		free(out);
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	}
	for (int i = 0; i < f->params.len; i++)
		in[i] = iv->in[i]->data;
	for (int i = 0; i < f->results.len; i++)
		out[i] = iv->out[i]->data;
	int rc = fn(iv->dims, (const void *const *)in, (void *const *)out, NULL);
	free(in);
	free(out);
	if (rc == AD_ERR_DIM)
		return ad_error_set(err, AD_E_SHAPE, "%s rejected the dimensions of its inputs", f->name);
	if (rc == AD_ERR_NOMEM)
		return ad_error_set(err, AD_E_NOMEM, "%s ran out of memory", f->name);
	if (rc != 0)
		return ad_error_set(err, AD_E_INTERNAL, "%s returned error %d", f->name, rc);
	return 0;
}

void inv_free(Invocation *iv)
{
	if (!iv->f)
		return;
	for (int i = 0; iv->in && i < iv->f->params.len; i++)
		ad_tensor_free(iv->in[i]);
	for (int i = 0; iv->out && i < iv->f->results.len; i++)
		ad_tensor_free(iv->out[i]);
	free(iv->in);
	free(iv->out);
	memset(iv, 0, sizeof *iv);
}
