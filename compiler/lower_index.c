/* lower_index.c: x[...], an index or a slice per axis: constant bounds
 * clamped as NumPy clamps them, symbolic ones checked at run time. */
#include "lower_int.h"

#include <string.h>

/* A slice bound: a constant (*v) or a dimension expression (*d, x[1:n - 1]). */
static bool slice_bound(Lower *L, const Ast *e, int64_t *v, const Dim **d)
{
	double num;
	bool is_int;
	if (lw_const_num(L, e, &num, &is_int, false))
		return lw_const_int(L, e, v, "a slice bound");
	*d = lw_dim_expr(L, e, "a slice bound", "");
	return *d != NULL;
}

/* A bound of a slice with step > 0 of an axis of size n, where a bound may
 * be a dimension expression: a negative constant counts from the end; an
 * expression that is provably at least n is n (NumPy's clamping), one that
 * may be is checked at run time to lie in [0, n]. */
static const Dim *clamped_bound(Lower *L, const Ast *item, const Dim *n, const Dim *b, const char *what)
{
	DimCtx *dc = L->dc;
	int64_t v;
	if (dim_is_const(b, &v) && v < 0)
		b = dim_add(dc, n, b);
	if (dim_nonneg(dim_sub(dc, b, n)))
		return n;
	if (!lw_require_ge0(L, item->loc, b, what) || !lw_require_ge0(L, item->loc, dim_sub(dc, n, b), what))
		return NULL;
	return b;
}

/* x[a:b:st] along an axis of size n where a bound is a dimension
 * expression (st > 0; NULL bounds are absent). */
static bool symbolic_slice(Lower *L, const Ast *item, const Ast *base, const Dim *n, const Dim *a, const Dim *b,
                           int64_t st, const Dim **start, const Dim **len)
{
	DimCtx *dc = L->dc;
	const char *what = arena_printf(L->A, "%s[%s] is out of range", lw_text_of(L, base), lw_text_of(L, item));
	a = a ? clamped_bound(L, item, n, a, what) : dim_const(dc, 0);
	b = b ? clamped_bound(L, item, n, b, what) : n;
	if (!a || !b)
		return false;
	const Dim *diff = dim_sub(dc, b, a);
	if (!lw_require_ge0(
	        L, item->loc, diff,
	        arena_printf(L->A, "%s[%s] has a negative length", lw_text_of(L, base), lw_text_of(L, item))))
		return false;
	*start = a;
	*len = dim_div(dc, dim_add(dc, diff, dim_const(dc, st - 1)), dim_const(dc, st));
	return true;
}

/* One axis of x[...]: start, step and length, with NumPy's clamping for
 * constant dimensions; for a symbolic one, the bounds are taken as written
 * and checked at run time. */
static bool slice_axis(Lower *L, const Ast *item, const Ast *base, const Dim *n, const Dim **start, int64_t *step,
                       const Dim **len, bool *drop)
{
	DimCtx *dc = L->dc;
	int64_t nv;
	bool cn = dim_is_const(n, &nv);
	*drop = false;
	if (item->kind != AST_SLICE) {
		int64_t i;
		if (!lw_const_int(L, item, &i, "an index"))
			return false;
		*step = 1;
		*len = dim_const(dc, 1);
		*drop = true;
		if (cn) {
			if (i < -nv || i >= nv) {
				lw_err(L, item->loc, "index %lld is out of range for a dimension of size %lld",
				       (long long)i, (long long)nv);
				return false;
			}
			*start = dim_const(dc, i < 0 ? i + nv : i);
			return true;
		}
		*start = i < 0 ? dim_add(dc, n, dim_const(dc, i)) : dim_const(dc, i);
		const Dim *need = i < 0 ? *start : dim_sub(dc, n, dim_const(dc, i + 1));
		return lw_require_ge0(
		    L, item->loc, need,
		    arena_printf(L->A, "index %lld of %s is out of range", (long long)i, lw_text_of(L, base)));
	}
	int64_t s = 0, t = 0, st = 1;
	const Dim *sx = NULL, *tx = NULL; /* bounds that are dimension expressions */
	bool has_s = item->a != NULL, has_t = item->b != NULL;
	if ((has_s && !slice_bound(L, item->a, &s, &sx)) || (has_t && !slice_bound(L, item->b, &t, &tx)) ||
	    (item->c && !lw_const_int(L, item->c, &st, "a slice step")))
		return false;
	if (st == 0) {
		lw_err(L, item->c->loc, "slice step cannot be zero");
		return false;
	}
	*step = st;
	if ((sx || tx) && st < 0) {
		lw_err(L, item->loc, "a slice with a negative step takes constant bounds, not '%s'",
		       lw_text_of(L, item));
		return false;
	}
	if (sx || tx)
		return symbolic_slice(L, item, base, n, has_s ? (sx ? sx : dim_const(dc, s)) : NULL,
		                      has_t ? (tx ? tx : dim_const(dc, t)) : NULL, st, start, len);
	if (cn) {
		int64_t a, b, l;
		if (st > 0) {
			a = !has_s ? 0 : s < 0 ? (s + nv < 0 ? 0 : s + nv) : (s > nv ? nv : s);
			b = !has_t ? nv : t < 0 ? (t + nv < 0 ? 0 : t + nv) : (t > nv ? nv : t);
			l = b > a ? (b - a + st - 1) / st : 0;
		} else {
			a = !has_s ? nv - 1 : s < 0 ? (s + nv < 0 ? -1 : s + nv) : (s >= nv ? nv - 1 : s);
			b = !has_t ? -1 : t < 0 ? (t + nv < 0 ? -1 : t + nv) : (t >= nv ? nv - 1 : t);
			l = a > b ? (a - b - st - 1) / -st : 0;
		}
		if (l == 0) {
			lw_err(L, item->loc, "the slice %s is empty for a dimension of size %lld", lw_text_of(L, item),
			       (long long)nv);
			return false;
		}
		*start = dim_const(dc, a);
		*len = dim_const(dc, l);
		return true;
	}
	const char *what = arena_printf(L->A, "%s[%s] is out of range", lw_text_of(L, base), lw_text_of(L, item));
	const Dim *a, *b;
	if (st > 0) {
		a = !has_s ? dim_const(dc, 0) : s < 0 ? dim_add(dc, n, dim_const(dc, s)) : dim_const(dc, s);
		b = !has_t ? n : t < 0 ? dim_add(dc, n, dim_const(dc, t)) : dim_const(dc, t);
		if (has_t && t >= 0 && !lw_require_ge0(L, item->loc, dim_sub(dc, n, b), what))
			return false;
		const Dim *diff = dim_sub(dc, b, a);
		if (!lw_require_ge0(L, item->loc, diff, what))
			return false;
		*len = dim_div(dc, dim_add(dc, diff, dim_const(dc, st - 1)), dim_const(dc, st));
	} else {
		a = !has_s  ? dim_sub(dc, n, dim_const(dc, 1))
		    : s < 0 ? dim_add(dc, n, dim_const(dc, s))
		            : dim_const(dc, s);
		if (has_s &&
		    !lw_require_ge0(L, item->loc, s < 0 ? a : dim_sub(dc, dim_sub(dc, n, dim_const(dc, 1)), a), what))
			return false;
		b = !has_t ? dim_const(dc, -1) : t < 0 ? dim_add(dc, n, dim_const(dc, t)) : dim_const(dc, t);
		const Dim *diff = dim_sub(dc, a, b);
		if (!lw_require_ge0(L, item->loc, diff, what))
			return false;
		*len = dim_div(dc, dim_add(dc, diff, dim_const(dc, -st - 1)), dim_const(dc, -st));
	}
	*start = a;
	return true;
}

/* An index computed at run time (not a constant, not a slice): an integer
 * scalar (x[i], x[2 * t]) or an integer tensor (x[idx]), as i64; -1 after
 * an error. */
static int runtime_index(Lower *L, const Ast *item)
{
	Val iv = lw_want(L, item);
	if (iv.kind != V_TENSOR)
		return -1;
	const Inst *ii = lw_inst(L, iv.id);
	if (iv.weak ? !lw_weak_int(L, iv.id) : !dtype_is_int(ii->dt)) {
		lw_err(L, item->loc, "the index '%s' is %s; indices are integers (convert with i64(...))",
		       lw_text_of(L, item), lw_type_str(L, iv));
		return -1;
	}
	if (iv.weak && ii->op == OP_cast && dtype_is_int(lw_inst(L, ii->args[0])->dt))
		iv.id = ii->args[0]; /* the loop variable is the integer itself */
	return lw_as_dtype(L, iv, DT_I64);
}

/* x indexed by the items of e from `first` on (earlier ones were taken):
 * constant indices and slices as a slice, then the run-time indices as
 * takes (gathers) on their axes, from the last axis to the first. */
static Val index_items(Lower *L, const Ast *e, Val x, int first)
{
	const Inst *in = lw_inst(L, x.id);
	int r = in->rank, n = e->list.n - first;
	if (n > r) {
		lw_err(L, e->loc, "too many indices (%d) for %s", e->list.n, lw_type_str(L, x));
		return ERR;
	}
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	bool drop[IR_MAX_RANK];
	int at[IR_MAX_RANK], narrays = 0; /* run-time indices by axis (-1: none) */
	Loc where[IR_MAX_RANK];
	for (int k = 0; k < r; k++) {
		starts[k] = dim_const(L->dc, 0);
		steps[k] = 1;
		lens[k] = in->shape[k];
		drop[k] = false;
		at[k] = -1;
		if (k >= n)
			continue;
		const Ast *item = e->list.items[first + k];
		double c;
		bool is_int;
		if (item->kind != AST_SLICE && !lw_const_num(L, item, &c, &is_int, false)) {
			where[k] = item->loc;
			if ((at[k] = runtime_index(L, item)) < 0)
				return ERR;
			if (lw_inst(L, at[k])->rank > 0 && ++narrays > 1) {
				lw_err(L, item->loc, "one index tensor at a time: index by '%s' in a second [...]",
				       lw_text_of(L, item));
				return ERR;
			}
			continue;
		}
		if (!slice_axis(L, item, e->a, in->shape[k], &starts[k], &steps[k], &lens[k], &drop[k]))
			return ERR;
	}
	int v = ir_slice(L->f, x.id, starts, steps, lens);
	const Dim *kept[IR_MAX_RANK];
	int nk = 0, axis[IR_MAX_RANK];
	for (int k = 0; k < r; k++) {
		axis[k] = nk;
		if (!drop[k])
			kept[nk++] = lens[k];
	}
	if (nk != r)
		v = ir_reshape(L->f, v, nk, kept);
	for (int k = r - 1; k >= 0; k--)
		if (at[k] >= 0) {
			if (lw_inst(L, v)->rank - 1 + lw_inst(L, at[k])->rank > IR_MAX_RANK) {
				lw_err(L, e->loc, "'%s' would have more than %d axes", lw_text_of(L, e), IR_MAX_RANK);
				return ERR;
			}
			v = ir_gather(L->f, v, at[k], axis[k]);
			lw_index_site(L, v, e, where[k]);
		}
	return lw_tensor(v, x.weak);
}

Val lw_do_index(Lower *L, const Ast *e)
{
	Val row;
	int got = lw_loop_row(L, e, &row); /* x[t], x[i, j]: the row a loop reads */
	if (got < 0)
		return ERR;
	if (got)
		return e->list.n == got ? row : index_items(L, e, row, got);
	if (e->a->kind == AST_INDEX && lw_loop_var_index(L, e)) {
		lw_err(L, e->loc, "'%s': to read by rows of several loops, index once: x[i, j], not x[i][j]",
		       lw_text_of(L, e));
		return ERR;
	}
	Val x = lw_want(L, e->a);
	if (x.kind != V_TENSOR)
		return ERR;
	return index_items(L, e, x, 0);
}

/* ---------------------------------------------------------------- updates */

/* v as a tensor of y's dtype broadcast to shape; -1 after an error. */
int lw_fit_value(Lower *L, Loc loc, int y, Val v, int rank, const Dim **shape, const char *what)
{
	Val pair[2] = {lw_tensor(y, false), v};
	DType dt;
	if (!lw_unify(L, loc, pair, 2, what, &dt))
		return -1;
	const Inst *vi = lw_inst(L, pair[1].id);
	bool ok = vi->rank <= rank;
	for (int k = 0; ok && k < vi->rank; k++)
		ok = vi->shape[k] == shape[rank - vi->rank + k] || lw_is_one(vi->shape[k]);
	return ok ? ir_broadcast_to(L->f, pair[1].id, rank, shape) : -2;
}

static int update_value(Lower *L, const Ast *at, int y, Val v, int rank, const Dim **shape)
{
	int r = lw_fit_value(L, at->loc, y, v, rank, shape, "the update");
	if (r == -2)
		lw_err(L, at->loc, "the value %s does not broadcast to %s, the part it replaces", lw_type_str(L, v),
		       lw_shape_str(L, rank, shape));
	return r < 0 ? -1 : r;
}

/* y[a:b] = v, y[a:b] += v: the rows before, the new ones, the rows after. */
static Val update_rows(Lower *L, const Ast *e, int y, Val v, bool add, bool weak)
{
	const Ast *ix = e->a, *item = ix->list.items[0];
	const Inst *yi = lw_inst(L, y);
	const Dim *start, *len;
	int64_t step;
	bool drop;
	if (ix->list.n != 1) {
		lw_err(L, item->loc, "an update by a slice takes one slice of the first axis, y[a:b] = v (for now)");
		return ERR;
	}
	if (!slice_axis(L, item, ix->a, yi->shape[0], &start, &step, &len, &drop))
		return ERR;
	if (step != 1) {
		lw_err(L, item->loc, "an update by a slice with a step is not supported yet");
		return ERR;
	}
	DimCtx *dc = L->dc;
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK], *shape[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int k = 0; k < yi->rank; k++) {
		starts[k] = dim_const(dc, 0);
		steps[k] = 1;
		lens[k] = shape[k] = yi->shape[k];
	}
	shape[0] = len;
	int nv = update_value(L, e, y, v, yi->rank, shape);
	if (nv < 0)
		return ERR;
	int parts[3], np = 0;
	const Dim *bounds[3][2] = {{dim_const(dc, 0), start},
	                           {start, len},
	                           {dim_add(dc, start, len), dim_sub(dc, yi->shape[0], dim_add(dc, start, len))}};
	for (int p = 0; p < 3; p++) {
		int64_t c;
		if (dim_is_const(bounds[p][1], &c) && c == 0)
			continue;
		starts[0] = bounds[p][0];
		lens[0] = bounds[p][1];
		int part = ir_slice(L->f, y, starts, steps, lens);
		if (p == 1)
			part = add ? ir_binary(L->f, OP_add, part, nv) : nv;
		parts[np++] = part;
	}
	return lw_tensor(np == 1 ? parts[0] : ir_concat(L->f, parts, np, 0), weak);
}

Val lw_do_update(Lower *L, const Ast *e)
{
	const Ast *ix = e->a;
	bool add = e->op == BIN_ADD;
	Val yv = lw_want(L, ix->a), v = lw_want(L, e->b);
	if (yv.kind != V_TENSOR || v.kind != V_TENSOR)
		return ERR;
	if (yv.weak && !v.weak) {
		/* a literal's copy takes the dtype of what is written into it */
		Val pair[2] = {yv, v};
		DType dt;
		if (!lw_unify(L, e->loc, pair, 2, "the update", &dt))
			return ERR;
		yv = pair[0];
	}
	/* a literal's copy with literals written into it stays a literal */
	bool weak = yv.weak && v.weak;
	int y = weak ? yv.id : lw_strong(L, yv);
	const Inst *yi = lw_inst(L, y);
	int n = ix->list.n;
	if (n > yi->rank) {
		lw_err(L, ix->loc, "too many indices (%d) for %s", n, lw_type_str(L, yv));
		return ERR;
	}
	if (ix->list.items[0]->kind == AST_SLICE)
		return update_rows(L, e, y, v, add, weak);
	/* trailing whole axes, y[i, :] = v, are the axes after the indices */
	for (const Ast *last;
	     n > 1 && (last = ix->list.items[n - 1])->kind == AST_SLICE && !last->a && !last->b && !last->c;)
		n--;
	DimCtx *dc = L->dc;
	/* the indices, and where each row lies in y with its first n axes as one */
	int p = -1;
	Loc site = ix->loc;
	const Dim *N = dim_const(dc, 1);
	for (int k = 0; k < n; k++) {
		const Ast *item = ix->list.items[k];
		double c;
		bool is_int;
		int i;
		if (item->kind == AST_SLICE) {
			lw_err(L, item->loc,
			       "an update takes indices, then whole axes: y[i, j] = v (a slice here is not supported "
			       "yet)");
			return ERR;
		}
		if (lw_const_num(L, item, &c, &is_int, false)) {
			const Dim *start, *len;
			int64_t step, s;
			bool drop;
			if (!slice_axis(L, item, ix->a, yi->shape[k], &start, &step, &len, &drop))
				return ERR;
			i = dim_is_const(start, &s) ? ir_scalar(L->f, DT_I64, (double)s)
			                            : ir_dimval(L->f, DT_I64, start);
		} else {
			if ((i = runtime_index(L, item)) < 0)
				return ERR;
			if (lw_inst(L, i)->rank > 0) {
				if (n != 1) {
					lw_err(L, item->loc, "an index tensor in an update goes alone: y[idx] = v");
					return ERR;
				}
				const Dim *shape[IR_MAX_RANK];
				int r = ir_gather_shape(yi, lw_inst(L, i), 0, shape);
				if (r < 0) {
					lw_err(L, ix->loc, "'%s' would have more than %d axes", lw_text_of(L, ix),
					       IR_MAX_RANK);
					return ERR;
				}
				int nv = update_value(L, e, y, v, r, shape);
				if (nv < 0)
					return ERR;
				/* each row idx names takes v's row at the last
				 * occurrence of its index (NumPy's order) */
				int out = ir_scatter(L->f, add ? OP_scatter_add : OP_scatter_set, y, i, nv, 0);
				lw_index_site(L, out, ix, item->loc);
				return lw_tensor(out, weak);
			}
			/* checked as a take checks: the index of an iota (one
			 * index the scatter checks itself) */
			if (n > 1) {
				i = ir_gather(L->f, ir_iota(L->f, DT_I64, yi->shape[k], 0, 1, 0, false), i, 0);
				lw_index_site(L, i, ix, item->loc);
			}
		}
		site = item->loc;
		const Dim *nk = yi->shape[k];
		p = p < 0 ? i : ir_binary(L->f, OP_add, ir_binary(L->f, OP_mul, p, ir_dimval(L->f, DT_I64, nk)), i);
		N = dim_mul(dc, N, nk);
	}
	/* y as rows [N, rest...]; row p replaced (or added to) */
	const Dim *flat[IR_MAX_RANK], *row[IR_MAX_RANK];
	int rr = yi->rank - n;
	flat[0] = N;
	for (int k = 0; k < rr; k++)
		flat[1 + k] = row[k] = yi->shape[n + k];
	int y2 = ir_reshape(L->f, y, 1 + rr, flat);
	int nv = update_value(L, e, y, v, rr, row);
	if (nv < 0)
		return ERR;
	/* one row, written in place where nothing reads y after it */
	int out = ir_scatter(L->f, add ? OP_scatter_add : OP_scatter_set, y2, p, nv, 0);
	lw_index_site(L, out, ix, site);
	return lw_tensor(ir_reshape(L->f, out, yi->rank, yi->shape), weak);
}
