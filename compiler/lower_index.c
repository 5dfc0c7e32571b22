/* lower_index.c: x[...], an index or a slice per axis: constant bounds
 * clamped as NumPy clamps them, symbolic ones checked at run time. */
#include "lower_int.h"

#include <string.h>

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
	bool has_s = item->a != NULL, has_t = item->b != NULL;
	if ((has_s && !lw_const_int(L, item->a, &s, "a slice bound")) ||
	    (has_t && !lw_const_int(L, item->b, &t, "a slice bound")) ||
	    (item->c && !lw_const_int(L, item->c, &st, "a slice step")))
		return false;
	if (st == 0) {
		lw_err(L, item->c->loc, "slice step cannot be zero");
		return false;
	}
	*step = st;
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
	return iv.weak || ii->dt != DT_I64 ? lw_as_dtype(L, iv, DT_I64) : iv.id;
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
