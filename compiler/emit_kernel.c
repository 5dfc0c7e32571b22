/* emit_kernel.c: loop nests. Each stored value gets one kernel that
 * computes it element by element (ec_store), or a reduction with its
 * accumulators (ec_reduce), or a call of the matrix-product kernel
 * (ec_matmul). */
#include "emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- kernels */

static const char *loop_var(Emit *E, int k)
{
	static const char *const names[] = {"i", "j", "k", "l"};
	return ec_fresh(E, k < 4 ? names[k] : arena_printf(E->A, "i%d", k));
}

/* Open loops over shape; returns the index. Axes of constant size 1 get no
 * loop. The innermost loop is marked for vectorization when `vec` (AD_VEC_:
 * `#pragma omp simd` when the code is built with -DAD_SIMD). */
Index ec_open_loops_vec(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec)
{
	return ec_open_loops_at(E, rank, shape, nopen, vec, 0);
}

/* The same, naming the loop variables from axis `first` on (i, j, k, ...). */
Index ec_open_loops_at(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec, int first)
{
	Index ix = ec_index(E, rank);
	*nopen = 0;
	int last = -1, outer = -1;
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (!(dim_is_const(shape[k], &d) && d == 1)) {
			last = k;
			if (outer < 0)
				outer = k;
		}
	}
	/* an inner size of 0 must not leave the outer loops spinning through
	 * their (possibly huge) ranges for nothing */
	Buf cond;
	buf_init(&cond, E->A);
	for (int k = outer + 1; outer >= 0 && k < rank; k++) {
		int64_t d;
		bool known = dim_is_const(shape[k], &d);
		if (known && d != 0)
			continue;
		buf_printf(&cond, "%s%s", cond.len ? " && " : "",
		           known ? "0" : arena_printf(E->A, "%s != 0", ec_dim(E, shape[k])));
	}
	if (cond.len) {
		ec_line(E, "if (%s) {", cond.data);
		E->depth++;
		(*nopen)++;
	}
	buf_free(&cond);
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (dim_is_const(shape[k], &d) && d == 1) {
			ix.ax[k] = "0";
			continue;
		}
		const char *i = loop_var(E, first + k), *n = ec_dim(E, shape[k]);
		ix.ax[k] = i;
		if (E->par && k == last && vec) {
			/* the one loop, on the threads (--threads) in blocks of a fixed
			 * length, so that the same elements are in the same vectors
			 * (libmvec's sin is not libm's) whatever the threads */
			const char *ib = ec_fresh(E, arena_printf(E->A, "%sb", i)),
			           *ie = ec_fresh(E, arena_printf(E->A, "%se", i));
			ec_line(E, "AD_PAR_FOR_(%s)", E->par);
			ec_line(E, "for (int64_t %s = 0; %s < %s; %s += AD_BLOCK_) {", ib, ib, n, ib);
			E->depth++;
			ec_line(E, "const int64_t %s = %s + AD_BLOCK_ < %s ? %s + AD_BLOCK_ : %s;", ie, ib,
			        ec_paren(E, n), ib, n);
			ec_line(E, "%s", vec);
			ec_line(E, "for (int64_t %s = %s; %s < %s; %s++) {", i, ib, i, ie, i);
			E->depth++;
			*nopen += 2;
			E->par = NULL;
			continue;
		}
		if (E->par) /* the outermost loop, on the threads (--threads) */
			ec_line(E, "AD_PAR_FOR_(%s)", E->par);
		else if (k == last && vec)
			ec_line(E, "%s", vec);
		E->par = NULL;
		ec_line(E, "for (int64_t %s = 0; %s < %s; %s++) {", i, i, n, i);
		E->depth++;
		(*nopen)++;
	}
	E->par = NULL; /* (no loop at all: one element) */
	return ix;
}

const char *ec_par_work(Emit *E, int rank, const Dim **shape)
{
	if (!E->o->threads)
		return NULL;
	int64_t n = 1;
	bool known = true;
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (!dim_is_const(shape[k], &d))
			known = false;
		else if (d == 0)
			n = 0;
		else
			n = n > INT64_MAX / d ? INT64_MAX : n * d; /* (saturating) */
	}
	if (rank == 0 || (known && n < PAR_STATIC_MIN))
		return NULL;
	return ec_strip(E, ec_numel(E, rank, shape));
}

Index ec_open_loops(Emit *E, int rank, const Dim **shape, int *nopen)
{
	return ec_open_loops_vec(E, rank, shape, nopen, "AD_VEC_");
}

void ec_close_loops(Emit *E, int n)
{
	for (int k = 0; k < n; k++) {
		E->depth--;
		ec_line(E, "}");
	}
}

void ec_kernel_begin(Emit *E, Kernel *k, const char *decl, const char *local)
{
	k->names_mark = names_mark(E->names);
	k->outer = E->body;
	k->decl = decl;
	k->local = local;
	k->guard = E->guard;
	E->guard = NULL;
	buf_init(&k->buf, E->A);
	E->body = &k->buf;
	E->depth++;
}

void ec_kernel_end(Emit *E, Kernel *k)
{
	E->depth--;
	E->body = k->outer;
	names_release(E->names, k->names_mark);
	const char *text = k->buf.data ? k->buf.data : "";
	int ind = 4 * (E->depth + 1), top = 0;
	bool has_else = false;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int sp = 0;
		while (p[sp] == ' ')
			sp++;
		if (sp == ind && p[sp] != '}')
			top++;
		has_else = has_else || (sp == ind && strncmp(p + sp, "} else", 6) == 0);
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (k->guard && top <= 1 && !has_else) { /* (an if with an else is braced: no dangling else) */
		/* if (guard) STATEMENT */
		ec_line(E, "if (%s)", k->guard);
		buf_puts(E->body, text);
	} else if (k->guard) {
		ec_line(E, "if (%s) {", k->guard);
		buf_puts(E->body, text);
		ec_line(E, "}");
	} else if (top <= 1) {
		/* one statement: no braces, one level less indentation */
		for (const char *p = text; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			size_t skip = len >= 4 ? 4 : 0;
			if (k->decl && p == text)
				buf_printf(E->body, "%*sconst %s ", 4 * E->depth, "", k->decl), skip = (size_t)ind;
			buf_put(E->body, p + skip, len - skip);
			buf_putc(E->body, '\n');
			p = nl ? nl + 1 : p + len;
		}
	} else {
		if (k->decl)
			ec_line(E, "%s %s;", k->decl, k->local);
		ec_line(E, "{");
		buf_puts(E->body, text);
		ec_line(E, "}");
	}
	buf_free(&k->buf);
}

void ec_put_string(Buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '?') /* (no trigraph either) */
			buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 32 || (unsigned char)*s >= 127)
			buf_printf(b, "\\%03o", (unsigned char)*s);
		else
			buf_putc(b, *s);
	buf_putc(b, '"');
}

/* s as a C string literal, or NULL. */
static const char *c_string(Emit *E, const char *s)
{
	if (!s)
		return "NULL";
	Buf b;
	buf_init(&b, E->A);
	ec_put_string(&b, s);
	return buf_finish(&b, E->A);
}

void ec_index_check(Emit *E, const Inst *in)
{
	Func *f = E->f;
	const Inst *idx = ir_inst(f, in->args[1]);
	const char *n = ec_paren(E, ec_dim(E, ir_inst(f, in->args[0])->shape[in->ints[0]]));
	int nopen;
	Index jx = ec_open_loops_vec(E, idx->rank, idx->shape, &nopen, NULL);
	ec_cache_reset(E);
	const char *i = ec_strip(E, ec_ex(E, in->args[1], jx));
	ec_line(E, "if (%s < 0 || %s >= %s) /* %s: an index out of range */", i, i, n,
	        in->op == OP_gather ? "take" : op_info[in->op].name);
	ec_line(E, "    return ad_index_error_(work, %s, %s, %s);", c_string(E, in->site), i, n);
	*E->index_checks = true;
	ec_close_loops(E, nopen);
}

void ec_scatter(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v), *val = ir_inst(f, in->args[2]);
	const char *dst = E->home[v], *guard = E->guard;
	if (!E->S->inplace[v]) /* (else dst is the operand's buffer) */
		ec_copy(E, in->args[0], dst, false);
	E->guard = guard; /* (the copy's kernel took it) */
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	ec_index_check(E, in);
	/* in order: indices may repeat; the innermost loop vectorizes where it
	 * runs along a row (the axes after the indexed one) */
	int nopen, inner = -1;
	for (int k = 0; k < val->rank; k++) {
		int64_t d;
		if (!(dim_is_const(val->shape[k], &d) && d == 1))
			inner = k;
	}
	bool row = inner >= (int)in->ints[0] + ir_inst(f, in->args[1])->rank;
	Index jx = ec_open_loops_vec(E, val->rank, val->shape, &nopen, row ? "AD_VEC_" : NULL);
	ec_cache_reset(E);
	Index o = ec_gather_index(E, in, jx);
	const char *at = ec_offset(E, in, &o), *e = ec_strip(E, ec_ex(E, in->args[2], jx));
	if (in->op == OP_scatter_add) {
		ec_line(E, "%s[%s] += %s;", dst, at, e);
	} else if (in->op == OP_scatter_set) {
		ec_line(E, "%s[%s] = %s;", dst, at, e); /* the last write wins */
	} else {
		/* the largest wins */
		const char *s = ec_fresh(E, "s");
		ec_line(E, "const %s %s = %s;", ec_ctype(in->dt), s, e);
		ec_line(E, "if (%s[%s] < %s)", dst, at, s);
		ec_line(E, "    %s[%s] = %s;", dst, at, s);
	}
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

/* The first element of value u's matrix at the batch index bix (the
 * indices of its axes before the last two; r its rank). */
static const char *matrix_at(Emit *E, int u, Index bix, int r)
{
	Index z = ec_index(E, r);
	for (int i = 0; i < r - 2; i++)
		z.ax[i] = bix.ax[i];
	z.ax[r - 2] = z.ax[r - 1] = "0";
	const char *off = ec_offset(E, ir_inst(E->f, u), &z), *h = E->home[u];
	return strcmp(off, "0") ? arena_printf(E->A, "%s + %s", h, ec_paren(E, off)) : h;
}

/* Does a kernel under guard `then` run only when one under `had` ran? The
 * guards are disjunctions of wanted results, "x || grad_A" (NULL: always). */
static bool guard_implies(const char *then, const char *had)
{
	if (!had || strcmp(had, "1") == 0)
		return true;
	if (!then)
		return false;
	size_t hl = strlen(had);
	for (const char *p = then; *p;) { /* each of then's terms is one of had's */
		const char *end = strstr(p, " || ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool found = false;
		for (const char *q = had; !found && q < had + hl;) {
			const char *qe = strstr(q, " || ");
			size_t ql = qe ? (size_t)(qe - q) : strlen(q);
			found = ql == len && strncmp(p, q, len) == 0;
			q += ql + (qe ? 4 : 0);
		}
		if (!found)
			return false;
		p += len + (end ? 4 : 0);
	}
	return true;
}

/* The LU factors of the matrix p (operand a of the kernel being emitted) in
 * E->aux[v], unless an earlier kernel left them there: one that ran
 * whenever this one runs, on a matrix that is not a batch (whose buffer
 * holds its last element only). */
static void lu_factors(Emit *E, int v, int a, const char *guard, const char *t, const char *n, const char *p)
{
	bool one = ir_inst(E->f, a)->rank == 2;
	if (one && E->factors[a] && guard_implies(guard, E->factors_guard[a]))
		return;
	ec_line(E, "ad_lu_%s_(%s, %s, %s);", t, n, p, E->aux[v]);
	if (one) {
		E->factors[a] = E->aux[v];
		E->factors_guard[a] = guard;
	}
}

void ec_linalg(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v), *A = ir_inst(f, in->args[0]);
	int r = A->rank;
	const char *t = in->dt == DT_F64 ? "f64" : "f32", *n = ec_dim(E, A->shape[r - 1]), *guard = E->guard;
	Kernel K;
	if (in->op == OP_logabsdet || in->op == OP_detsign || in->op == OP_det) { /* one number a matrix */
		const char *ct = ec_ctype(in->dt);
		bool local = ec_var(E, v), declare = local && E->mat[v] == M_LOCAL && !E->predeclared;
		ec_kernel_begin(E, &K, declare ? ct : NULL, local ? E->home[v] : NULL);
		int nopen;
		Index bix = ec_open_loops_vec(E, r - 2, A->shape, &nopen, NULL);
		const char *ap = matrix_at(E, in->args[0], bix, r);
		const char *dst = local ? E->home[v] : arena_printf(E->A, "%s[%s]", E->home[v], ec_offset(E, in, &bix));
		lu_factors(E, v, in->args[0], guard, t, n, ap);
		if (in->op == OP_det) {
			ec_line(E, "%s = ad_det_%s_(%s, %s);", dst, t, n, E->aux[v]);
			ec_close_loops(E, nopen);
			ec_kernel_end(E, &K);
			return;
		}
		const char *sign = ec_fresh(E, "sign"),
		           *call = arena_printf(E->A, "ad_slogdet_%s_(%s, %s, &%s)", t, n, E->aux[v], sign);
		ec_line(E, "%s %s;", ct, sign);
		if (in->op == OP_logabsdet) {
			ec_line(E, "%s = %s;", dst, call);
		} else {
			ec_line(E, "%s;", call);
			ec_line(E, "%s = %s;", dst, sign);
		}
		ec_close_loops(E, nopen);
		ec_kernel_end(E, &K);
		return;
	}
	ec_kernel_begin(E, &K, NULL, NULL);
	const char *batch = NULL;
	if (in->op != OP_trisolve && in->op != OP_cofactor) { /* for the message of a failure */
		batch = ec_fresh(E, "batch");
		ec_line(E, "int64_t %s = 0;", batch);
		*E->index_checks = true;
	}
	int nopen;
	Index bix = ec_open_loops_vec(E, r - 2, in->shape, &nopen, NULL);
	/* the matrices of this batch element: the operands', then the result's */
	const char *p[3];
	int of[3] = {in->args[0], in->nargs > 1 ? in->args[1] : v, v};
	for (int j = 0; j <= in->nargs; j++)
		p[j] = matrix_at(E, of[j], bix, r);
	const char *out = p[in->nargs];
	if (in->op == OP_cholesky) {
		ec_line(E, "if (ad_chol_%s_(%s, %s, %s))", t, n, p[0], out);
		ec_line(E, "    return ad_linalg_error_(work, \"cholesky\", %s, AD_LINALG_NOT_PD);", batch);
	} else if (in->op == OP_cofactor) {
		ec_line(E, "ad_cofactor_%s_(%s, %s, %s, %s);", t, n, p[0], E->aux[v], out);
	} else if (in->op == OP_trisolve) {
		ec_line(E, "ad_trsm_%s_(%d, %d, %d, %s, %s, %s, %s, %s);", t, (int)in->ints[0], (int)in->ints[1],
		        (int)in->ints[2], n, ec_dim(E, in->shape[r - 1]), p[0], p[1], out);
	} else {
		lu_factors(E, v, in->args[0], guard, t, n, p[0]);
		ec_line(E, "if (ad_lusolve_%s_(%d, %s, %s, %s, %s, %s))", t, (int)in->ints[0], n,
		        ec_dim(E, in->shape[r - 1]), E->aux[v], p[1], out);
		ec_line(E, "    return ad_linalg_error_(work, \"solve\", %s, AD_LINALG_SINGULAR);", batch);
	}
	if (batch)
		ec_line(E, "%s++;", batch);
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

void ec_scan(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	int axis = (int)in->ints[0], nopen;
	const char *dst = E->home[v];
	/* the innermost loop vectorizes unless it runs along the axis */
	int inner = -1;
	for (int k = 0; k < in->rank; k++) {
		int64_t d;
		if (!(dim_is_const(in->shape[k], &d) && d == 1))
			inner = k;
	}
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	Index ix = ec_open_loops_vec(E, in->rank, in->shape, &nopen, inner == axis ? NULL : "AD_VEC_");
	ec_cache_reset(E);
	E->counting = true;
	for (int k = 0; k < in->nargs; k++)
		ec_ex(E, in->args[k], ix);
	E->counting = false;
	/* the operand whole (a sum or a conditional of its own, in parentheses) */
	const char *e = ec_paren(E, ec_strip(E, ec_ex(E, in->args[in->nargs - 1], ix)));
	Index prev = ec_index(E, in->rank);
	for (int k = 0; k < in->rank; k++)
		prev.ax[k] = k == axis ? arena_printf(E->A, "%s - 1", ix.ax[k]) : ix.ax[k];
	const char *before = arena_printf(E->A, "%s[%s]", dst, ec_offset(E, in, &prev));
	if (in->op == OP_linrec) /* y[k] = a[k] * y[k - 1] + b[k] */
		before = arena_printf(E->A, "%s * %s", ec_paren(E, ec_ex(E, in->args[0], ix)), before);
	ec_line(E, "%s[%s] = (%s > 0 ? %s : 0) + %s;", dst, ec_offset(E, in, &ix), ix.ax[axis], before, e);
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

void ec_store(Emit *E, int v, const char *dst)
{
	const Inst *in = ir_inst(E->f, v);
	Kernel K;
	bool local = in->rank == 0 && ec_var(E, v);
	/* a local is declared where it is computed; a variable a loop or a
	 * cond made for a body's result already is */
	bool declare = local && E->mat[v] == M_LOCAL && !E->predeclared;
	ec_kernel_begin(E, &K, declare ? ec_ctype(in->dt) : NULL, dst);
	if (in->op == OP_gather)
		ec_index_check(E, in);
	int nopen;
	E->par = ec_par_work(E, in->rank, in->shape);
	Index ix = ec_open_loops_vec(E, in->rank, in->shape, &nopen, ec_vec_hint(E, v, in->rank, in->shape));
	ec_cache_reset(E);
	E->counting = true;
	int mat = E->mat[v];
	E->mat[v] = M_INLINE;
	ec_compute(E, v, ix);
	E->counting = false;
	const char *e = ec_compute(E, v, ix);
	E->mat[v] = mat;
	if (local)
		ec_line(E, "%s = %s;", dst, ec_strip(E, e));
	else
		ec_line(E, "%s[%s] = %s;", dst, ec_offset(E, in, &ix), ec_strip(E, e));
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

static const char *reduce_init(Op op, DType dt)
{
	bool i32 = dt == DT_I32, i64 = dt == DT_I64;
	switch (op) {
	case OP_prod: return "1";
	case OP_max:
	case OP_argmax: return i32 ? "INT32_MIN" : i64 ? "INT64_MIN" : "-INFINITY";
	case OP_min:
	case OP_argmin: return i32 ? "INT32_MAX" : i64 ? "INT64_MAX" : "INFINITY";
	default: return "0";
	}
}

/* dst[kix] += x[rix, kix] of a sum over leading axes (emit_sum_rows). */
static void sum_rows_add(Emit *E, int v, const bool *red, Index rix, Index kix)
{
	const Inst *in = ir_inst(E->f, v), *x = ir_inst(E->f, in->args[0]);
	Index xi = ec_index(E, x->rank);
	for (int k = 0, r = 0, o = 0; k < x->rank; k++)
		xi.ax[k] = red[k] ? rix.ax[r++] : kix.ax[o++];
	ec_cache_reset(E);
	E->counting = true;
	ec_ex(E, in->args[0], xi);
	E->counting = false;
	ec_line(E, "%s[%s] += %s;", E->home[v], ec_offset(E, in, &kix), ec_strip(E, ec_ex(E, in->args[0], xi)));
}

/* A sum over leading axes (the bias gradient of a batch): row by row, in
 * memory order, adding each row into the result (in its dtype). */
static void emit_sum_rows(Emit *E, int v, const bool *red)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *x = ir_inst(f, in->args[0]);
	const char *dst = E->home[v];
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	const Dim *rshape[IR_MAX_RANK];
	int nr = 0;
	for (int k = 0; k < x->rank; k++)
		if (red[k])
			rshape[nr++] = x->shape[k];
	int nopen, names = names_mark(E->names);
	E->par = ec_par_work(E, in->rank, in->shape);
	Index oix = ec_open_loops_at(E, in->rank, in->shape, &nopen, "AD_VEC_", nr);
	ec_line(E, "%s[%s] = 0;", dst, ec_offset(E, in, &oix));
	ec_close_loops(E, nopen);
	names_release(E->names, names); /* the same names serve the next loops */
	/* --threads: blocks of 64 along the first kept axis on the threads, each
	 * going down all the rows (every element summed in the same order) */
	const char *work = ec_par_work(E, x->rank, x->shape);
	int kf = -1, kl = -1;
	for (int k = 0; k < in->rank; k++) {
		int64_t d;
		if (!(dim_is_const(in->shape[k], &d) && d == 1)) {
			kl = k;
			if (kf < 0)
				kf = k;
		}
	}
	int64_t kd;
	if (kf >= 0 && dim_is_const(in->shape[kf], &kd) && kd <= 64)
		work = NULL; /* (one block) */
	if (work && kf >= 0) {
		const char *jb = ec_fresh(E, "jb"), *je = ec_fresh(E, "je"), *len = ec_dim(E, in->shape[kf]);
		ec_line(E, "AD_PAR_FOR_(%s)", work);
		ec_line(E, "for (int64_t %s = 0; %s < %s; %s += 64) {", jb, jb, len, jb);
		E->depth++;
		ec_line(E, "const int64_t %s = %s + 64 < %s ? %s + 64 : %s;", je, jb, ec_paren(E, len), jb, len);
		int nrows, ninner;
		Index rix = ec_open_loops_vec(E, nr, rshape, &nrows, NULL);
		const char *j = loop_var(E, nr + kf);
		if (kf == kl)
			ec_line(E, "AD_VEC_");
		ec_line(E, "for (int64_t %s = %s; %s < %s; %s++) {", j, jb, j, je, j);
		E->depth++;
		/* the other kept axes inside (the first one's loop is the one above) */
		const Dim *kshape[IR_MAX_RANK];
		for (int k = 0; k < in->rank; k++)
			kshape[k] = k == kf ? dim_const(f->dc, 1) : in->shape[k];
		Index kix = ec_open_loops_at(E, in->rank, kshape, &ninner, "AD_VEC_", nr);
		kix.ax[kf] = j;
		sum_rows_add(E, v, red, rix, kix);
		ec_close_loops(E, ninner + 1 + nrows + 1);
		ec_kernel_end(E, &K);
		return;
	}
	int nouter, ninner;
	Index rix = ec_open_loops_vec(E, nr, rshape, &nouter, NULL);
	Index kix = ec_open_loops_at(E, in->rank, in->shape, &ninner, "AD_VEC_", nr);
	sum_rows_add(E, v, red, rix, kix);
	ec_close_loops(E, ninner);
	ec_close_loops(E, nouter);
	ec_kernel_end(E, &K);
}

/* acc = t where t is larger (max) or smaller (min) than acc, or a NaN
 * (which then stays): an element of reduction in, or a chunk's value;
 * `ind` indents it under a statement without braces. */
static void minmax_step(Emit *E, const Inst *in, const char *acc, const char *t, const char *ind)
{
	const char *cmp = in->op == OP_max ? ">" : "<";
	if (dtype_is_int(in->dt))
		ec_line(E, "%sif (%s %s %s)", ind, t, cmp, acc);
	else
		ec_line(E, "%sif (%s %s %s || %s != %s)", ind, t, cmp, acc, t, t);
	ec_line(E, "%s    %s = %s;", ind, acc, t);
}

/* The reduced loops of reduction v inside the kept ones (at oix), adding
 * each element into acc (pos and at: argmax's and argmin's position and
 * count); the first reduced axis that has a loop runs over [lo, hi) when
 * lo is given (a chunk), else all of it. Returns how many blocks to close. */
static int reduce_inner(Emit *E, int v, const bool *red, Index oix, const char *acc, const char *pos, const char *at,
                        const char *lo, const char *hi)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v), *x = ir_inst(f, in->args[0]);
	Index xi = ec_index(E, x->rank);
	int ninner = 0, last = -1;
	for (int k = 0; k < x->rank; k++) {
		int64_t d;
		if (red[k] && !(dim_is_const(x->shape[k], &d) && d == 1))
			last = k;
	}
	/* an inner reduced size of 0: the outer reduced loops have nothing to do */
	Buf empty;
	buf_init(&empty, E->A);
	for (int k = 0, first = -1; k < x->rank; k++) {
		int64_t d;
		bool known = dim_is_const(x->shape[k], &d);
		if (!red[k] || (known && d == 1))
			continue;
		if (first >= 0 && !(known && d != 0))
			buf_printf(&empty, "%s%s", empty.len ? " && " : "",
			           known ? "0" : arena_printf(E->A, "%s != 0", ec_dim(E, x->shape[k])));
		if (first < 0)
			first = k;
	}
	if (empty.len) {
		ec_line(E, "if (%s) {", empty.data);
		E->depth++;
		ninner++;
	}
	buf_free(&empty);
	for (int k = 0, o = 0; k < x->rank; k++) {
		if (!red[k]) {
			xi.ax[k] = oix.ax[o++];
			continue;
		}
		int64_t d;
		if (dim_is_const(x->shape[k], &d) && d == 1) {
			xi.ax[k] = "0";
			continue;
		}
		const char *i = loop_var(E, k);
		xi.ax[k] = i;
		/* sums and products vectorize with reassociation (AD_SIMD builds) */
		if (k == last && (in->op == OP_sum || in->op == OP_norm))
			ec_line(E, "AD_VEC_SUM_(%s)", acc);
		else if (k == last && in->op == OP_prod)
			ec_line(E, "AD_VEC_PROD_(%s)", acc);
		if (lo) {
			ec_line(E, "for (int64_t %s = %s; %s < %s; %s++) {", i, lo, i, hi, i);
			lo = NULL;
		} else {
			ec_line(E, "for (int64_t %s = 0; %s < %s; %s++) {", i, i, ec_dim(E, x->shape[k]), i);
		}
		E->depth++;
		ninner++;
	}
	ec_cache_reset(E);
	E->counting = true;
	ec_ex(E, in->args[0], xi);
	E->counting = false;
	const char *e = ec_strip(E, ec_ex(E, in->args[0], xi));
	switch (in->op) {
	case OP_sum: ec_line(E, "%s += %s;", acc, e); break;
	case OP_prod: ec_line(E, "%s *= %s;", acc, e); break;
	case OP_norm: {
		const char *t = ec_fresh(E, "t");
		ec_line(E, "const double %s = %s;", t, e);
		ec_line(E, "%s += %s * %s;", acc, t, t);
		break;
	}
	case OP_argmax:
	case OP_argmin: {
		/* the first best, as NumPy; the first NaN where there is one */
		const char *t = ec_fresh(E, "t");
		ec_line(E, "const %s %s = %s;", ec_ctype(x->dt), t, e);
		if (dtype_is_int(x->dt))
			ec_line(E, "if (%s %s %s || %s == 0) {", t, in->op == OP_argmax ? ">" : "<", acc, at);
		else
			ec_line(E, "if (%s %s %s || %s == 0 || (%s != %s && %s == %s)) {", t,
			        in->op == OP_argmax ? ">" : "<", acc, at, t, t, acc, acc);
		ec_line(E, "    %s = %s;", acc, t);
		ec_line(E, "    %s = %s;", pos, at);
		ec_line(E, "}");
		ec_line(E, "%s++;", at);
		break;
	}
	default: {
		const char *t = ec_fresh(E, "t");
		ec_line(E, "const %s %s = %s;", ec_ctype(in->dt), t, e);
		minmax_step(E, in, acc, t, "");
		break;
	}
	}
	return ninner;
}

/* --threads: a reduction to one element in chunks of its first reduced axis
 * that has a loop (ad_chunk_len_: their number depends on the shapes only),
 * on the threads, then the chunks' values combined in order into acc.
 * False where it stays serial (argmax, argmin; a constant count of
 * elements below PAR_STATIC_MIN). */
static bool reduce_chunks(Emit *E, int v, const bool *red, Index oix, const char *acct, const char *acc)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v), *x = ir_inst(f, in->args[0]);
	const char *work = ec_par_work(E, x->rank, x->shape);
	if (!work || in->op == OP_argmax || in->op == OP_argmin)
		return false;
	int first = -1, ninner = 0;
	const Dim *inner[IR_MAX_RANK];
	for (int k = 0; k < x->rank; k++) {
		int64_t d;
		if (!red[k] || (dim_is_const(x->shape[k], &d) && d == 1))
			continue;
		if (first < 0)
			first = k;
		else
			inner[ninner++] = x->shape[k];
	}
	if (first < 0)
		return false;
	const char *len = ec_dim(E, x->shape[first]), *init = reduce_init(in->op, in->dt);
	const char *part = ec_fresh(E, "part"), *per = ec_fresh(E, "per"), *nch = ec_fresh(E, "nchunk");
	const char *c = ec_fresh(E, "c"), *lo = ec_fresh(E, "lo"), *hi = ec_fresh(E, "hi");
	ec_line(E, "%s %s[AD_NCHUNK_];", acct, part);
	ec_line(E, "const int64_t %s = ad_chunk_len_(%s, %s), %s = (%s + %s - 1) / %s;", per, len,
	        ec_numel(E, ninner, inner), nch, ec_paren(E, len), per, per);
	ec_line(E, "AD_PAR_FOR_(%s)", work);
	ec_line(E, "for (int64_t %s = 0; %s < %s; %s++) {", c, c, nch, c);
	E->depth++;
	ec_line(E, "const int64_t %s = %s * %s, %s = %s + %s < %s ? %s + %s : %s;", lo, c, per, hi, lo, per,
	        ec_paren(E, len), lo, per, len);
	const char *a = ec_fresh(E, "acc");
	ec_line(E, "%s %s = %s;", acct, a, init);
	ec_close_loops(E, reduce_inner(E, v, red, oix, a, NULL, NULL, lo, hi));
	ec_line(E, "%s[%s] = %s;", part, c, a);
	E->depth--;
	ec_line(E, "}");
	/* the chunks in order, as their elements would be */
	const char *t = arena_printf(E->A, "%s[%s]", part, c);
	ec_line(E, "for (int64_t %s = 0; %s < %s; %s++)", c, c, nch, c);
	if (in->op == OP_sum || in->op == OP_norm)
		ec_line(E, "    %s += %s;", acc, t);
	else if (in->op == OP_prod)
		ec_line(E, "    %s *= %s;", acc, t);
	else
		minmax_step(E, in, acc, t, "    ");
	return true;
}

void ec_reduce(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *x = ir_inst(f, in->args[0]);
	const char *dst = E->home[v];
	if (in->op == OP_sum && in->rank > 0 && !ec_var(E, v)) {
		/* reduced axes all before the kept ones, and the kept ones at least
		 * 8 elements: go through memory in order */
		bool red[IR_MAX_RANK] = {0}, prefix = true;
		for (int k = 0; k < in->nints; k++)
			red[in->ints[k]] = true;
		for (int k = 1; k < x->rank; k++)
			prefix = prefix && !(red[k] && !red[k - 1]);
		int64_t kept = ir_numel_const(in);
		if (prefix && red[0] && (kept < 0 || kept >= 8)) {
			emit_sum_rows(E, v, red);
			return;
		}
	}
	/* the kept axes outside, the reduced axes inside */
	const Dim *outer[IR_MAX_RANK];
	int no = 0;
	bool red[IR_MAX_RANK] = {0};
	for (int k = 0; k < in->nints; k++)
		red[in->ints[k]] = true;
	for (int k = 0; k < x->rank; k++)
		if (!red[k])
			outer[no++] = x->shape[k];
	if (E->mat[v] == M_LOCAL && !E->predeclared)
		ec_line(E, "%s %s;", ec_ctype(in->dt), dst);
	bool local = ec_var(E, v);
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	int nopen;
	/* with --threads, one element of the result a thread, or chunks of one */
	int64_t kept = ir_numel_const(in);
	if (kept != 1)
		E->par = ec_par_work(E, x->rank, x->shape);
	Index oix = ec_open_loops_vec(E, no, outer, &nopen, NULL);
	/* integers sum in their own type (i64: see the checker), floats in
	 * double; argmax and argmin keep the best value (in x's type), its
	 * position (in the reduced axes, row-major) and a count */
	bool arg = in->op == OP_argmax || in->op == OP_argmin;
	const char *acct = in->op == OP_max || in->op == OP_min || dtype_is_int(in->dt) ? ec_ctype(in->dt) : "double";
	const char *acc = ec_fresh(E, arg ? "best" : "acc"), *pos = NULL, *at = NULL;
	if (arg) {
		pos = ec_fresh(E, "pos");
		at = ec_fresh(E, "at");
		ec_line(E, "%s %s = %s;", ec_ctype(x->dt), acc, reduce_init(in->op, x->dt));
		ec_line(E, "int64_t %s = 0, %s = 0;", pos, at);
	} else {
		ec_line(E, "%s %s = %s;", acct, acc, reduce_init(in->op, in->dt));
	}
	if (kept != 1 || !reduce_chunks(E, v, red, oix, acct, acc))
		ec_close_loops(E, reduce_inner(E, v, red, oix, acc, pos, at, NULL, NULL));
	const char *fin = in->op == OP_norm ? arena_printf(E->A, "sqrt(%s)", acc) : arg ? pos : acc;
	if (strcmp(acct, ec_ctype(in->dt)) != 0)
		fin = arena_printf(E->A, "(%s)%s", ec_ctype(in->dt), ec_paren(E, fin));
	if (local)
		ec_line(E, "%s = %s;", dst, fin);
	else
		ec_line(E, "%s[%s] = %s;", dst, ec_offset(E, in, &oix), fin);
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

void ec_matmul(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *A = ir_inst(f, in->args[0]), *B = ir_inst(f, in->args[1]);
	bool ta = in->ints[0], tb = in->ints[1];
	int r = in->rank;
	const char *c = E->home[v], *a = E->home[in->args[0]], *b = E->home[in->args[1]];
	const char *m = ec_dim(E, in->shape[r - 2]), *n = ec_dim(E, in->shape[r - 1]);
	const char *kk = ec_dim(E, A->shape[r - 1 - ta]);
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	/* one product per batch element; with --threads, the batch elements on
	 * the threads, or a single product's rows */
	int nopen;
	const char *par = ec_par_work(E, r, in->shape), *kernel = "gemm";
	if (r > 2)
		E->par = par;
	else if (E->o->threads) {
		int64_t dm, dn, dk;
		if (!(dim_is_const(in->shape[0], &dm) && dim_is_const(in->shape[1], &dn) &&
		      dim_is_const(A->shape[1 - ta], &dk) &&
		      (double)dm * (double)dn * (double)dk < 32.0 * PAR_STATIC_MIN))
			kernel = "gemm_par";
	}
	Index bix = ec_open_loops_vec(E, r - 2, in->shape, &nopen, NULL);
	Index z = ec_index(E, r);
	for (int i = 0; i < r - 2; i++)
		z.ax[i] = bix.ax[i];
	z.ax[r - 2] = z.ax[r - 1] = "0";
	const char *cb = ec_offset(E, in, &z), *ab = ec_offset(E, A, &z), *bb = ec_offset(E, B, &z);
	const char *ap = strcmp(ab, "0") ? arena_printf(E->A, "%s + %s", a, ec_paren(E, ab)) : a;
	const char *bp = strcmp(bb, "0") ? arena_printf(E->A, "%s + %s", b, ec_paren(E, bb)) : b;
	const char *cp = strcmp(cb, "0") ? arena_printf(E->A, "%s + %s", c, ec_paren(E, cb)) : c;
	ec_line(E, "ad_%s_%s_(%d, %d, %s, %s, %s, %s, %s, %s);", kernel, in->dt == DT_F64 ? "f64" : "f32", ta, tb, m, n,
	        kk, ap, bp, cp);
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}
