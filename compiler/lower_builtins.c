/* lower_builtins.c: the builtin functions of the language, each checked
 * and lowered to primitives, and their table (names, parameters). */
#include "lower_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- builtins */

static Val bi_unary(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return lw_unary(L, call->loc, b->op, lw_want(L, a[0]), b->name);
}

static Val bi_binary(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]), y = lw_want(L, a[1]);
	return lw_binary(L, call->loc, b->op, x, y, b->name);
}

static Val bi_where(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val args[3] = {lw_want(L, a[0]), lw_want(L, a[1]), lw_want(L, a[2])};
	return lw_elementwise(L, call->loc, OP_where, args, 3, b->name);
}

/* The reduced axes of x for axis=... (none: all). */
static int reduce_axes(Lower *L, Val x, const Ast *axis, int64_t *axes, const char *what)
{
	int r = lw_inst(L, x.id)->rank;
	if (!axis || axis->kind == AST_NONE) {
		for (int i = 0; i < r; i++)
			axes[i] = i;
		return r;
	}
	return lw_axis_list(L, axis, r, axes, what);
}

static bool get_keepdim(Lower *L, const Ast *a, bool *keep)
{
	*keep = false;
	return !a || lw_const_bool(L, a, keep, false, "keepdim");
}

static Val reduce(Lower *L, Op op, Val x, const int64_t *axes, int n, bool keep)
{
	const Inst *src = lw_inst(L, x.id);
	if (!x.weak && src->dt == DT_I32 && (op == OP_sum || op == OP_prod)) /* as NumPy: i64 */
		x.id = ir_cast(L->f, x.id, DT_I64);
	Val r = lw_tensor(ir_reduce(L->f, op, x.id, axes, n), x.weak);
	if (keep && n > 0)
		r = lw_keepdim_reshape(L, r, src, axes, n);
	return r;
}

static Val bi_reduce(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (b->op == OP_norm && !x.weak && dtype_is_int(lw_inst(L, x.id)->dt)) {
		lw_err(L, call->loc, "norm of an integer tensor (%s); convert it with f32(...) or f64(...) first",
		       lw_type_str(L, x));
		return ERR;
	}
	bool arg = b->op == OP_argmax || b->op == OP_argmin;
	if (arg && x.weak) /* a position of a literal is an i64 like any other */
		x = lw_tensor(lw_strong(L, x), false);
	if (n == 0 && arg) { /* axis=[]: every element is the best of one */
		const Inst *xi = lw_inst(L, x.id);
		return lw_tensor(ir_fill(L->f, DT_I64, 0.0, xi->rank, xi->shape), false);
	}
	if (n == 0) /* axis=[] reduces nothing */
		return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	if (b->op == OP_max || b->op == OP_min || arg) {
		const Inst *in = lw_inst(L, x.id);
		for (int i = 0; i < n; i++) {
			int64_t d;
			if (dim_is_const(in->shape[axes[i]], &d) && d == 0) {
				lw_err(L, call->loc, "%s of %s over an empty axis has no value", b->name,
				       lw_type_str(L, x));
				return ERR;
			}
		}
	}
	return reduce(L, b->op, x, axes, n, keep);
}

/* The number of elements over the reduced axes, as a scalar of x's dtype. */
static Val count_of(Lower *L, Val x, const int64_t *axes, int n)
{
	const Inst *in = lw_inst(L, x.id);
	const Dim *c = dim_const(L->dc, 1);
	for (int i = 0; i < n; i++)
		c = dim_mul(L->dc, c, in->shape[axes[i]]);
	int64_t v;
	if (dim_is_const(c, &v))
		return lw_scalar(L, (double)v);
	return lw_tensor(ir_dimval(L->f, DT_F64, c), true);
}

Val lw_mean(Lower *L, Loc loc, Val x, const int64_t *axes, int n, bool keep)
{
	Val s = reduce(L, OP_sum, x, axes, n, keep);
	return lw_binary(L, loc, OP_div, s, count_of(L, x, axes, n), "mean");
}

static Val bi_mean(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (n == 0)
		return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return lw_mean(L, call->loc, x, axes, n, keep);
}

/* logsumexp(x) = m + log(sum(exp(x - m))) with m = detach(max(x)): exact for
 * any m, stable, and its derivative through this form is softmax(x). Where
 * the maximum is infinite, m is 0 instead (as PyTorch): all -inf gives
 * log(0) = -inf, a +inf element log(inf) = +inf, not inf - inf = NaN. */
static Val logsumexp(Lower *L, Loc loc, Val x, const int64_t *axes, int n, bool keep)
{
	Val m = reduce(L, OP_max, x, axes, n, true);
	Func *f = L->f;
	const Inst *mx = lw_inst(L, m.id);
	int inf = ir_fill(f, mx->dt, INFINITY, mx->rank, mx->shape);
	int infinite = ir_binary(f, OP_eq, ir_unary(f, OP_abs, m.id), inf);
	m.id = ir_where(f, infinite, ir_fill(f, mx->dt, 0, mx->rank, mx->shape), m.id);
	m = lw_tensor(ir_unary(L->f, OP_detach, m.id), m.weak);
	Val e = lw_unary(L, loc, OP_exp, lw_binary(L, loc, OP_sub, x, m, "logsumexp"), "logsumexp");
	Val s = lw_unary(L, loc, OP_log, reduce(L, OP_sum, e, axes, n, keep), "logsumexp");
	if (!keep) {
		const Inst *mi = lw_inst(L, m.id);
		const Dim *shape[IR_MAX_RANK];
		int r = 0;
		for (int i = 0, k = 0; i < mi->rank; i++) {
			if (k < n && axes[k] == i) {
				k++;
				continue;
			}
			shape[r++] = mi->shape[i];
		}
		m = lw_tensor(ir_reshape(L->f, m.id, r, shape), m.weak);
	}
	return lw_binary(L, loc, OP_add, s, m, "logsumexp");
}

static Val bi_logsumexp(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (n == 0)
		return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return logsumexp(L, call->loc, x, axes, n, keep);
}

/* var(x, axis, keepdim, unbiased=false): the mean of the squared
 * deviations from the mean over the axes (all when none), divided by
 * n - 1 instead of n when unbiased (a NaN at n = 1, as PyTorch); std is its
 * square root, whose gradient is 0 where the variance is 0 (PyTorch's). */
static Val bi_var(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep, unbiased = false;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep) ||
	    (a[3] && !lw_const_bool(L, a[3], &unbiased, false, "unbiased")))
		return ERR;
	if (!x.weak && dtype_is_int(lw_inst(L, x.id)->dt)) {
		lw_err(L, call->loc, "%s of an integer tensor (%s); convert it with f32(...) or f64(...) first",
		       b->name, lw_type_str(L, x));
		return ERR;
	}
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	Loc loc = call->loc;
	Val d = lw_binary(L, loc, OP_sub, x, lw_mean(L, loc, x, axes, n, true), b->name);
	Val s = reduce(L, OP_sum, lw_binary(L, loc, OP_mul, d, d, b->name), axes, n, keep);
	Val count = count_of(L, x, axes, n);
	if (unbiased)
		count = lw_binary(L, loc, OP_sub, count, lw_scalar(L, 1), b->name);
	Val v = lw_binary(L, loc, OP_div, s, count, b->name);
	if (b->op != OP_sqrt)
		return v;
	/* std: sqrt(v), with the gradient 0 where v = 0 (PyTorch masks it),
	 * not inf * 0: the square root of 1 there, and a where around it */
	Func *f = L->f;
	const Inst *vi = lw_inst(L, v.id);
	int zero = ir_binary(f, OP_eq, v.id, ir_fill(f, vi->dt, 0.0, vi->rank, vi->shape));
	int safe = ir_where(f, zero, ir_fill(f, vi->dt, 1.0, vi->rank, vi->shape), v.id);
	return lw_tensor(ir_where(f, zero, ir_fill(f, vi->dt, 0.0, vi->rank, vi->shape), ir_unary(f, OP_sqrt, safe)),
	                 v.weak);
}

/* clip(x, lo, hi): min(max(x, lo), hi) with PyTorch's gradient, 1 inside
 * and at the bounds, 0 outside (where(x < lo, lo, x), then where(m > hi,
 * hi, m)); the bounds are not differentiated, and lo > hi gives hi. */
static Val bi_clip(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]), lo = lw_want(L, a[1]), hi = lw_want(L, a[2]);
	if (x.kind != V_TENSOR || lo.kind != V_TENSOR || hi.kind != V_TENSOR)
		return ERR;
	Loc loc = call->loc;
	lo = lw_tensor(ir_unary(L->f, OP_detach, lo.id), lo.weak);
	hi = lw_tensor(ir_unary(L->f, OP_detach, hi.id), hi.weak);
	Val low[3] = {lw_binary(L, loc, OP_lt, x, lo, b->name), lo, x};
	Val m = lw_elementwise(L, loc, OP_where, low, 3, b->name);
	if (m.kind != V_TENSOR)
		return ERR;
	Val high[3] = {lw_binary(L, loc, OP_gt, m, hi, b->name), hi, m};
	return lw_elementwise(L, loc, OP_where, high, 3, b->name);
}

/* pad(x, [[before, after], ...], value=0): x inside a tensor of `value`,
 * one pair of non-negative widths (integers or dimensions) per axis, as
 * NumPy's and PyTorch's constant padding. Placed by an unslice (whose
 * adjoint slices the gradient back out), and `value` where a mask of the
 * placed elements is 0. */
static Val bi_pad(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	const Ast *w = a[1];
	if (w->kind != AST_LIST || w->list.n != in->rank) {
		lw_err(L, w->loc, "pad takes one [before, after] pair per axis of %s (%d), not '%s'", lw_type_str(L, x),
		       in->rank, lw_text_of(L, w));
		return ERR;
	}
	const Dim *starts[IR_MAX_RANK], *full[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	bool any = false;
	for (int k = 0; k < in->rank; k++) {
		const Ast *pair = w->list.items[k];
		const Dim *wk[IR_MAX_RANK];
		if (pair->kind != AST_LIST || pair->list.n != 2) {
			lw_err(L, pair->loc, "pad's widths for axis %d are a pair [before, after], not '%s'", k,
			       lw_text_of(L, pair));
			return ERR;
		}
		if (lw_shape_list(L, pair, wk, false, "pad's widths") != 2)
			return ERR;
		int64_t c0, c1;
		any = any || !dim_is_const(wk[0], &c0) || c0 != 0 || !dim_is_const(wk[1], &c1) || c1 != 0;
		starts[k] = wk[0];
		steps[k] = 1;
		full[k] = dim_add(L->dc, dim_add(L->dc, wk[0], in->shape[k]), wk[1]);
	}
	double value = 0;
	bool is_int;
	if (a[2] && !lw_const_num(L, a[2], &value, &is_int, true))
		return ERR;
	if (!any)
		return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	if (!lw_check_size(L, call->loc, in->rank, full))
		return ERR;
	int placed = ir_unslice(L->f, x.id, starts, steps, in->rank, full);
	if (value == 0 && !signbit(value))
		return lw_tensor(placed, x.weak);
	int mask = ir_unslice(L->f, ir_fill(L->f, in->dt, 1.0, in->rank, in->shape), starts, steps, in->rank, full);
	return lw_tensor(ir_where(L->f, mask, placed, ir_fill(L->f, in->dt, value, in->rank, full)), x.weak);
}

/* cumsum(x, axis): the running sums along the axis (an i32 tensor's in
 * i64, as NumPy and PyTorch do); cumprod(x, axis) the running products, as
 * the recurrence y[k] = x[k] y[k - 1] driven by x's first element, whose
 * derivatives are products of the other elements (exact at zeros). */
static Val bi_cumsum(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	int64_t axis;
	int r = lw_inst(L, x.id)->rank;
	if (r == 0) {
		lw_err(L, call->loc, "%s needs a tensor of rank 1 or more, not %s", b->name, lw_type_str(L, x));
		return ERR;
	}
	if (!lw_one_axis(L, a[1], r, &axis, b->name))
		return ERR;
	int id = x.id;
	if (!x.weak && lw_inst(L, id)->dt == DT_I32)
		id = ir_cast(L->f, id, DT_I64);
	if (b->op == OP_cumsum)
		return lw_tensor(ir_cumsum(L->f, id, (int)axis), x.weak);
	const Inst *xi = lw_inst(L, id);
	int first = ir_first_along(L->f, xi->dt, xi->rank, xi->shape, (int)axis);
	return lw_tensor(ir_linrec(L->f, id, ir_binary(L->f, OP_mul, id, first), (int)axis), x.weak);
}

/* ---------------------------------------------------------------- triangles and diagonals */

/* The row and the column numbers of an n x m grid, times di and dj, as
 * iotas of dtype dt broadcast to [n, m] (the identity, triangles,
 * windows). */
static void grid(Lower *L, DType dt, const Dim *n, const Dim *m, double di, double dj, int *i, int *j)
{
	Func *f = L->f;
	const Dim *one = dim_const(L->dc, 1), *mat[2] = {n, m}, *col[2] = {n, one}, *row[2] = {one, m};
	*i = ir_broadcast(f, ir_reshape(f, ir_iota(f, dt, n, 0, di, 0, false), 2, col), 2, mat);
	*j = ir_broadcast(f, ir_reshape(f, ir_iota(f, dt, m, 0, dj, 0, false), 2, row), 2, mat);
}

/* A matrix argument of tril, triu, trace or diag: rank 2 or more (the last
 * two axes; the others are a batch); -1 after an error. */
static int matrix_arg(Lower *L, const Builtin *b, const Ast *call, Val x)
{
	if (x.kind != V_TENSOR)
		return -1;
	if (lw_inst(L, x.id)->rank < 2) {
		lw_err(L, call->loc, "%s takes a matrix (or a batch of them), not %s", b->name, lw_type_str(L, x));
		return -1;
	}
	return lw_strong(L, x);
}

/* tril(A, k=0), triu(A, k=0): A where the column j and the row i of the
 * last two axes have j - i <= k (tril) or j - i >= k (triu), zeros
 * elsewhere (NumPy's and PyTorch's). */
static Val bi_tri(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int A = matrix_arg(L, b, call, x);
	int64_t k = 0;
	if (A < 0 || (a[1] && !lw_const_int(L, a[1], &k, "the diagonal k")))
		return ERR;
	Func *f = L->f;
	const Inst *in = lw_inst(L, A);
	int r = in->rank;
	const Dim *mat[2] = {in->shape[r - 2], in->shape[r - 1]};
	int i, j;
	grid(L, DT_I64, mat[0], mat[1], 1, 1, &i, &j);
	int d = ir_binary(f, OP_sub, j, i), kk = ir_broadcast_to(f, ir_scalar(f, DT_I64, (double)k), 2, mat);
	int keep = ir_binary(f, b->op, d, kk); /* OP_le: tril; OP_ge: triu */
	int mask = ir_broadcast_to(f, ir_cast(f, keep, in->dt), r, in->shape);
	return lw_tensor(ir_where(f, mask, A, ir_fill(f, in->dt, 0.0, r, in->shape)), x.weak);
}

/* The diagonal of the last two axes of A ([..., n, m] to [..., min(n, m)]):
 * A's last two axes as one of n * m, taken at i * (m + 1). -1 after an
 * error. */
static int diagonal(Lower *L, const Ast *call, const char *what, int A)
{
	Func *f = L->f;
	DimCtx *dc = L->dc;
	const Inst *in = lw_inst(L, A);
	int r = in->rank;
	const Dim *n = in->shape[r - 2], *m = in->shape[r - 1], *len = n;
	int64_t nv, mv;
	if (dim_is_const(n, &nv) && dim_is_const(m, &mv))
		len = dim_const(dc, nv < mv ? nv : mv);
	else if (n != m) {
		lw_err(L, call->loc,
		       "%s of %s: the diagonal of a matrix whose sizes are not both known takes a square one", what,
		       lw_type_str(L, lw_tensor(A, false)));
		return -1;
	}
	const Dim *flat[IR_MAX_RANK];
	for (int k = 0; k < r - 2; k++)
		flat[k] = in->shape[k];
	flat[r - 2] = dim_mul(dc, n, m);
	int rows = ir_reshape(f, A, r - 1, flat);
	const Dim *lens[1] = {len};
	int at = ir_binary(f, OP_mul, ir_iota(f, DT_I64, len, 0, 1, 0, false),
	                   ir_broadcast_to(f, ir_dimval(f, DT_I64, dim_add(dc, m, dim_const(dc, 1))), 1, lens));
	return ir_gather(f, rows, at, r - 2);
}

/* trace(A): the sum of the diagonal of the last two axes. */
static Val bi_trace(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int A = matrix_arg(L, b, call, x), d;
	if (A < 0 || (d = diagonal(L, call, b->name, A)) < 0)
		return ERR;
	int64_t last = lw_inst(L, d)->rank - 1;
	return reduce(L, OP_sum, lw_tensor(d, x.weak), &last, 1, false);
}

/* diag(x): a vector to the matrix with it on the diagonal, a matrix (or a
 * batch) to its diagonal, as torch.diag and torch.diagonal do. */
static Val bi_diag(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	if (in->rank >= 2) {
		int d = diagonal(L, call, b->name, lw_strong(L, x));
		return d < 0 ? ERR : lw_tensor(d, x.weak);
	}
	if (in->rank != 1) {
		lw_err(L, call->loc, "diag takes a vector or a matrix, not %s", lw_type_str(L, x));
		return ERR;
	}
	Func *f = L->f;
	int v = lw_strong(L, x);
	const Dim *n = in->shape[0], *mat[2] = {n, n}, *row[2] = {dim_const(L->dc, 1), n};
	if (!lw_check_size(L, call->loc, 2, mat))
		return ERR;
	int i, j;
	grid(L, DT_I64, n, n, 1, 1, &i, &j);
	DType dt = lw_inst(L, v)->dt;
	int on = ir_cast(f, ir_binary(f, OP_eq, i, j), dt);
	return lw_tensor(
	    ir_where(f, on, ir_broadcast(f, ir_reshape(f, v, 2, row), 2, mat), ir_fill(f, dt, 0.0, 2, mat)), x.weak);
}

/* ---------------------------------------------------------------- linear algebra */

/* A float (batch of) square matrices for b, as its dtype; -1 after an error. */
static int square_arg(Lower *L, const Builtin *b, const Ast *call, Val x)
{
	int A = matrix_arg(L, b, call, x);
	if (A < 0)
		return -1;
	const Inst *in = lw_inst(L, A);
	if (dtype_is_int(in->dt)) {
		lw_err(L, call->loc, "%s takes a float matrix, not %s (convert with f64(...))", b->name,
		       lw_type_str(L, x));
		return -1;
	}
	if (in->shape[in->rank - 1] != in->shape[in->rank - 2]) {
		lw_err(L, call->loc, "%s takes a square matrix (or a batch of them), not %s", b->name,
		       lw_type_str(L, x));
		return -1;
	}
	return A;
}

/* cholesky(A): the lower factor L of the symmetric positive definite A
 * (its lower triangle read), L L^T = A */
static Val bi_cholesky(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int A = square_arg(L, b, call, x);
	return A < 0 ? ERR : lw_tensor(ir_cholesky(L->f, A), false);
}

/* solve(A, b), solve_triangular(A, b, lower, transpose, unit_diagonal):
 * A [..., n, n]; b [..., n] (vectors, when its rank is A's less one) or
 * [..., n, k]; batch axes broadcast as in matmul. inv(A) is solve(A, I). */
static Val linear_solve(Lower *L, const Builtin *b, const Ast *call, Val av, Val bv, bool tri, bool lower, bool trans,
                        bool unit)
{
	Val pair[2] = {av, bv};
	DType dt;
	if (av.kind != V_TENSOR || bv.kind != V_TENSOR || !lw_unify(L, call->loc, pair, 2, b->name, &dt))
		return ERR;
	int A = square_arg(L, b, call, pair[0]);
	if (A < 0)
		return ERR;
	Func *f = L->f;
	DimCtx *dc = L->dc;
	int B = lw_strong(L, pair[1]);
	const Inst *ai = lw_inst(L, A), *bi = lw_inst(L, B);
	int ra = ai->rank, rb = bi->rank;
	const Dim *n = ai->shape[ra - 1], *one = dim_const(dc, 1);
	bool vec = rb == ra - 1;
	if (rb < 1 || (vec ? bi->shape[rb - 1] != n : rb < 2 || bi->shape[rb - 2] != n)) {
		lw_err(L, call->loc, "%s of %s by %s: the right-hand side must be [..., n] or [..., n, k] with n = %s",
		       b->name, lw_type_str(L, av), lw_type_str(L, bv), lw_shape_str(L, 1, &n));
		return ERR;
	}
	const Dim *bs[IR_MAX_RANK + 1];
	int rbm = vec ? rb + 1 : rb;
	for (int k = 0; k < rb; k++)
		bs[k] = bi->shape[k];
	if (vec)
		bs[rb] = one;
	if (rbm > IR_MAX_RANK) {
		lw_err(L, call->loc, "%s: the right-hand side would have more than %d axes", b->name, IR_MAX_RANK);
		return ERR;
	}
	if (vec)
		B = ir_reshape(f, B, rbm, bs);
	/* the batch axes, broadcast */
	int nb = (ra > rbm ? ra : rbm) - 2;
	const Dim *sa[IR_MAX_RANK], *sb[IR_MAX_RANK];
	for (int i = 0; i < nb; i++) {
		int ia = i - (nb - (ra - 2)), ib = i - (nb - (rbm - 2));
		const Dim *da = ia >= 0 ? ai->shape[ia] : one, *db = ib >= 0 ? bs[ib] : one;
		if (!(da == db || lw_is_one(da) || lw_is_one(db))) {
			lw_err(L, call->loc, "%s of %s by %s: batch dimensions cannot be broadcast together", b->name,
			       lw_type_str(L, av), lw_type_str(L, bv));
			return ERR;
		}
		sa[i] = sb[i] = lw_is_one(da) ? db : da;
	}
	sa[nb] = sa[nb + 1] = n;
	sb[nb] = n;
	sb[nb + 1] = bs[rbm - 1];
	A = ir_broadcast_to(f, A, nb + 2, sa);
	B = ir_broadcast_to(f, B, nb + 2, sb);
	int x = tri ? ir_trisolve(f, A, B, lower, trans, unit) : ir_solve(f, A, B, false);
	if (vec)
		x = ir_reshape(f, x, nb + 1, sb);
	return lw_tensor(x, false);
}

static Val bi_solve(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return linear_solve(L, b, call, lw_want(L, a[0]), lw_want(L, a[1]), false, false, false, false);
}

static Val bi_solve_triangular(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	bool flag[3] = {true, false, false};
	static const char *const what[3] = {"lower", "transpose", "unit_diagonal"};
	for (int k = 0; k < 3; k++)
		if (a[2 + k] && !lw_const_bool(L, a[2 + k], &flag[k], false, what[k]))
			return ERR;
	return linear_solve(L, b, call, lw_want(L, a[0]), lw_want(L, a[1]), true, flag[0], flag[1], flag[2]);
}

/* slogdet(A): the sign of det A and log |det A| (0 and -inf for a singular
 * A); det(A), whose gradient is the cofactor matrix (exact where A is
 * singular too) */
static Val bi_slogdet(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int A = square_arg(L, b, call, x);
	if (A < 0)
		return ERR;
	if (b->op == OP_det)
		return lw_tensor(ir_det_part(L->f, OP_det, A), false);
	Val *items = arena_array(L->f->A, 2, sizeof(Val));
	items[0] = lw_tensor(ir_det_part(L->f, OP_detsign, A), false);
	items[1] = lw_tensor(ir_det_part(L->f, OP_logabsdet, A), false);
	return (Val){.kind = V_TUPLE, .items = items, .nitems = 2};
}

/* inv(A) = solve(A, I) */
static Val bi_inv(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int A = square_arg(L, b, call, x);
	if (A < 0)
		return ERR;
	return linear_solve(L, b, call, lw_tensor(A, false), lw_tensor(ir_eye_like(L->f, A), false), false, false,
	                    false, false);
}

/* ---------------------------------------------------------------- convolutions and pooling */

/* An int or one per spatial axis (stride, padding, dilation, a pool's
 * kernel) into out[nsp]: constants of at least `min`; `def` when absent. */
static bool spatial_arg(Lower *L, const Builtin *b, const Ast *e, const char *what, int nsp, int64_t min, int64_t def,
                        int64_t *out)
{
	for (int k = 0; k < nsp; k++)
		out[k] = def;
	if (!e || e->kind == AST_NONE)
		return true;
	int n = e->kind == AST_LIST ? e->list.n : 1;
	if (e->kind == AST_LIST && n != nsp) {
		lw_err(L, e->loc, "%s's %s takes an integer or %d of them, not '%s'", b->name, what, nsp,
		       lw_text_of(L, e));
		return false;
	}
	for (int k = 0; k < nsp; k++) {
		const Ast *it = e->kind == AST_LIST ? e->list.items[k] : e;
		if (!lw_const_int(L, it, &out[k], what))
			return false;
		if (out[k] < min) {
			lw_err(L, it->loc, "%s's %s must be at least %lld, not %lld", b->name, what, (long long)min,
			       (long long)out[k]);
			return false;
		}
	}
	return true;
}

/* The constant size of axis k of x, or -1 after an error naming it. */
static int64_t const_axis(Lower *L, const Builtin *b, Loc loc, int x, int k, const char *what)
{
	int64_t v;
	if (dim_is_const(lw_inst(L, x)->shape[k], &v))
		return v;
	lw_err(L, loc, "%s needs a constant %s (for now); %s has a symbolic one", b->name, what,
	       lw_type_str(L, lw_tensor(x, false)));
	return -1;
}

/* The windows of x along axis `axis` (of constant size n): x with that axis
 * replaced by [out, k], element [i, j] at i * stride + j * dilation (a take
 * by a constant index matrix, so its gradient is a scatter-add); out is
 * floor((n - dilation * (k - 1) - 1) / stride) + 1, -1 (after an error) when
 * no window fits. */
static int windows(Lower *L, const Builtin *b, Loc loc, int x, int axis, int64_t n, int64_t k, int64_t stride,
                   int64_t dilation, int64_t *out)
{
	Func *f = L->f;
	int64_t span = dilation * (k - 1) + 1;
	if (n < span) {
		lw_err(L, loc, "%s: the window (%lld with dilation) does not fit the input's %lld along axis %d",
		       b->name, (long long)span, (long long)n, axis);
		return -1;
	}
	*out = (n - span) / stride + 1;
	int i, j;
	grid(L, DT_I64, dim_const(L->dc, *out), dim_const(L->dc, k), (double)stride, (double)dilation, &i, &j);
	return ir_gather(f, x, ir_binary(f, OP_add, i, j), axis);
}

/* x with `before[k]` = `after[k]` = pads[k] zeros around its last nsp axes. */
static int zero_pad(Lower *L, int x, int nsp, const int64_t *pads)
{
	const Inst *in = lw_inst(L, x);
	const Dim *starts[IR_MAX_RANK], *full[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	bool any = false;
	for (int k = 0; k < in->rank; k++) {
		int64_t p = k >= in->rank - nsp ? pads[k - (in->rank - nsp)] : 0;
		any = any || p;
		starts[k] = dim_const(L->dc, p);
		steps[k] = 1;
		full[k] = dim_add(L->dc, in->shape[k], dim_const(L->dc, 2 * p));
	}
	return any ? ir_unslice(L->f, x, starts, steps, in->rank, full) : x;
}

/* conv1d(x, w, stride=1, padding=0, dilation=1), conv2d(...): PyTorch's
 * cross-correlation, x [N, C, L] or [N, C, H, W], w [O, C, K] or [O, C, KH,
 * KW], no groups, no bias: the windows of the padded x (takes by constant
 * index matrices, an im2col in the scratch memory) times w as one matrix
 * product [N * L', C * K] x [C * K, O]. Composites of takes, transposes,
 * reshapes and a product, so they differentiate to any order. */
static Val bi_conv(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	int nsp = (int)b->arg, r = nsp + 2; /* spatial axes */
	Val xv = lw_want(L, a[0]), wv = lw_want(L, a[1]);
	if (xv.kind != V_TENSOR || wv.kind != V_TENSOR)
		return ERR;
	Val pair[2] = {xv, wv};
	DType dt;
	if (!lw_unify(L, call->loc, pair, 2, b->name, &dt))
		return ERR;
	if (dtype_is_int(dt)) {
		lw_err(L, call->loc, "%s takes floats, not %s", b->name, lw_type_str(L, pair[0]));
		return ERR;
	}
	int x = lw_strong(L, pair[0]), w = lw_strong(L, pair[1]);
	const Inst *xi = lw_inst(L, x), *wi = lw_inst(L, w);
	if (xi->rank != r || wi->rank != r) {
		lw_err(L, call->loc, "%s takes x of rank %d ([N, C, %s]) and w of rank %d ([O, C, %s]), not %s and %s",
		       b->name, r, nsp == 1 ? "L" : "H, W", r, nsp == 1 ? "K" : "KH, KW", lw_type_str(L, pair[0]),
		       lw_type_str(L, pair[1]));
		return ERR;
	}
	if (xi->shape[1] != wi->shape[1]) {
		Buf cx, cw;
		buf_init(&cx, L->A);
		buf_init(&cw, L->A);
		dim_print(&cx, xi->shape[1]);
		dim_print(&cw, wi->shape[1]);
		lw_err(L, call->loc, "%s: x has %s channels (axis 1 of %s) but w takes %s (axis 1 of %s)", b->name,
		       buf_finish(&cx, L->A), lw_type_str(L, pair[0]), buf_finish(&cw, L->A), lw_type_str(L, pair[1]));
		return ERR;
	}
	int64_t stride[2], padding[2], dilation[2], n[2], k[2], out[2];
	if (!spatial_arg(L, b, a[2], "stride", nsp, 1, 1, stride) ||
	    !spatial_arg(L, b, a[3], "padding", nsp, 0, 0, padding) ||
	    !spatial_arg(L, b, a[4], "dilation", nsp, 1, 1, dilation))
		return ERR;
	for (int s = 0; s < nsp; s++)
		if ((n[s] = const_axis(L, b, call->loc, x, 2 + s, "spatial size")) < 0 ||
		    (k[s] = const_axis(L, b, call->loc, w, 2 + s, "kernel size")) < 0)
			return ERR;
	Func *f = L->f;
	DimCtx *dc = L->dc;
	int cols = zero_pad(L, x, nsp, padding);
	/* [N, C, L', K] or [N, C, H', KH, W', KW] */
	for (int s = nsp - 1; s >= 0; s--)
		if ((cols = windows(L, b, call->loc, cols, 2 + s, n[s] + 2 * padding[s], k[s], stride[s], dilation[s],
		                    &out[s])) < 0)
			return ERR;
	static const int64_t perm1[] = {0, 2, 1, 3}, perm2[] = {0, 2, 4, 1, 3, 5};
	cols = ir_transpose(f, cols, nsp == 1 ? perm1 : perm2); /* [N, L', C, K] or [N, H', W', C, KH, KW] */
	const Dim *N = xi->shape[0], *C = xi->shape[1], *O = wi->shape[0];
	const Dim *rows = N, *inner = C;
	for (int s = 0; s < nsp; s++) {
		rows = dim_mul(dc, rows, dim_const(dc, out[s]));
		inner = dim_mul(dc, inner, dim_const(dc, k[s]));
	}
	const Dim *cshape[2] = {rows, inner}, *wshape[2] = {O, inner};
	int prod = ir_matmul(f, ir_reshape(f, cols, 2, cshape), ir_reshape(f, w, 2, wshape), false, true);
	const Dim *yshape[4] = {N}, *res[4] = {N, O};
	for (int s = 0; s < nsp; s++)
		yshape[1 + s] = res[2 + s] = dim_const(dc, out[s]);
	yshape[1 + nsp] = O;
	if (!lw_check_size(L, call->loc, r, res))
		return ERR;
	static const int64_t back1[] = {0, 2, 1}, back2[] = {0, 3, 1, 2};
	int y = ir_transpose(f, ir_reshape(f, prod, r, yshape), nsp == 1 ? back1 : back2);
	return lw_tensor(y, pair[0].weak && pair[1].weak);
}

/* max_pool2d(x, k, stride=k), avg_pool2d(x, k, stride=k): over the windows
 * of the last two axes of x [N, C, H, W], no padding, the output size
 * floored (PyTorch's). The maximum is the window's element at its first
 * argmax, picked by a one-hot, so the first of tied maxima takes the
 * gradient, as in PyTorch. */
static Val bi_pool(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val xv = lw_want(L, a[0]);
	if (xv.kind != V_TENSOR)
		return ERR;
	int x = lw_strong(L, xv);
	const Inst *xi = lw_inst(L, x);
	if (xi->rank != 4 || dtype_is_int(xi->dt)) {
		lw_err(L, call->loc, "%s takes floats of rank 4 ([N, C, H, W]), not %s", b->name, lw_type_str(L, xv));
		return ERR;
	}
	int64_t k[2], stride[2], n[2], out[2];
	if (!spatial_arg(L, b, a[1], "kernel size", 2, 1, 1, k))
		return ERR;
	if (!a[1] || a[1]->kind == AST_NONE) {
		lw_err(L, call->loc, "%s needs its kernel size", b->name);
		return ERR;
	}
	if (!spatial_arg(L, b, a[2], "stride", 2, 1, 0, stride))
		return ERR;
	for (int s = 0; s < 2; s++) {
		if (!stride[s])
			stride[s] = k[s];
		if ((n[s] = const_axis(L, b, call->loc, x, 2 + s, "spatial size")) < 0)
			return ERR;
	}
	Func *f = L->f;
	DimCtx *dc = L->dc;
	int win = x;
	for (int s = 1; s >= 0; s--)
		if ((win = windows(L, b, call->loc, win, 2 + s, n[s], k[s], stride[s], 1, &out[s])) < 0)
			return ERR;
	static const int64_t perm[] = {0, 1, 2, 4, 3, 5}; /* [N, C, H', W', KH, KW] */
	const Dim *shape[5] = {xi->shape[0], xi->shape[1], dim_const(dc, out[0]), dim_const(dc, out[1]),
	                       dim_const(dc, k[0] * k[1])};
	win = ir_reshape(f, ir_transpose(f, win, perm), 5, shape);
	int64_t last = 4;
	if (b->op == OP_sum)
		return lw_mean(L, call->loc, lw_tensor(win, xv.weak), &last, 1, false);
	const Dim *one = dim_const(dc, 1), *col[5] = {shape[0], shape[1], shape[2], shape[3], one};
	int at = ir_broadcast(f, ir_reshape(f, ir_reduce(f, OP_argmax, win, &last, 1), 5, col), 5, shape);
	int pos = ir_broadcast_to(f, ir_iota(f, DT_I64, shape[4], 0, 1, 0, false), 5, shape);
	int pick = ir_where(f, ir_binary(f, OP_eq, at, pos), win, ir_fill(f, xi->dt, 0.0, 5, shape));
	return lw_tensor(ir_reduce(f, OP_sum, pick, &last, 1), xv.weak);
}

/* ---------------------------------------------------------------- gather and scatter */

static bool get_dtype(Lower *L, const Ast *a, DType *dt);

/* An integer tensor for take, scatter_add, segment_sum or one_hot, as i64. */
static int index_arg(Lower *L, const Builtin *b, const Ast *e, const char *what)
{
	Val v = lw_want(L, e);
	if (v.kind != V_TENSOR)
		return -1;
	if (v.weak ? !lw_weak_int(L, v.id) : !dtype_is_int(lw_inst(L, v.id)->dt)) {
		lw_err(L, e->loc, "%s's %s must be integers, not %s (convert with i64(...))", b->name, what,
		       lw_type_str(L, v));
		return -1;
	}
	return v.weak || lw_inst(L, v.id)->dt != DT_I64 ? lw_as_dtype(L, v, DT_I64) : v.id;
}

/* The axis argument of take and scatter_add (default 0) for x. */
static bool gather_axis(Lower *L, const Builtin *b, const Ast *call, const Ast *e, Val x, int64_t *axis)
{
	int r = lw_inst(L, x.id)->rank;
	if (r == 0) {
		lw_err(L, call->loc, "%s needs a tensor of rank 1 or more, not %s", b->name, lw_type_str(L, x));
		return false;
	}
	*axis = 0;
	return !e || lw_one_axis(L, e, r, axis, b->name);
}

static bool fits_rank(Lower *L, const Ast *call, const char *what, int rank)
{
	if (rank <= IR_MAX_RANK)
		return true;
	lw_err(L, call->loc, "%s would have rank %d, more than %d", what, rank, IR_MAX_RANK);
	return false;
}

/* take(x, idx, axis=0): NumPy's take */
static Val bi_take(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axis;
	if (x.kind != V_TENSOR || !gather_axis(L, b, call, a[2], x, &axis))
		return ERR;
	int idx = index_arg(L, b, a[1], "indices");
	if (idx < 0 || !fits_rank(L, call, "take", lw_inst(L, x.id)->rank - 1 + lw_inst(L, idx)->rank))
		return ERR;
	int g = ir_gather(L->f, x.id, idx, (int)axis);
	lw_index_site(L, g, call, a[1]->loc);
	return lw_tensor(g, x.weak); /* (a literal's rows stay weak) */
}

/* v shaped as take(x, idx, axis) would be, in x's dtype; -1 after an error. */
static int scatter_values(Lower *L, const Builtin *b, const Ast *e, Val v, int x, int idx, int axis)
{
	const Dim *shape[IR_MAX_RANK];
	int rank = ir_gather_shape(lw_inst(L, x), lw_inst(L, idx), axis, shape); /* (its rank was checked) */
	int r = lw_fit_value(L, e->loc, x, v, rank, shape, b->name);             /* broadcast, as NumPy's add.at does */
	if (r == -2)
		lw_err(L, e->loc,
		       "%s's values are %s; they must broadcast to %s, the shape of the rows they are added to",
		       b->name, lw_type_str(L, v), lw_shape_str(L, rank, shape));
	return r < 0 ? -1 : r;
}

/* scatter_add(x, idx, v, axis=0): NumPy's add.at */
static Val bi_scatter_add(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	int64_t axis;
	if (x.kind != V_TENSOR || !gather_axis(L, b, call, a[3], x, &axis))
		return ERR;
	int idx = index_arg(L, b, a[1], "indices");
	if (idx < 0 || !fits_rank(L, call, "scatter_add's values", lw_inst(L, x.id)->rank - 1 + lw_inst(L, idx)->rank))
		return ERR;
	Val pair[2] = {x, lw_want(L, a[2])};
	DType dt;
	bool weak = x.weak && pair[1].weak;
	if (pair[1].kind != V_TENSOR || !lw_unify(L, a[2]->loc, pair, 2, b->name, &dt))
		return ERR;
	int xs = pair[0].id, v = scatter_values(L, b, a[2], pair[1], xs, idx, (int)axis);
	if (v < 0)
		return ERR;
	int s = ir_scatter(L->f, OP_scatter_add, xs, idx, v, (int)axis);
	lw_index_site(L, s, call, a[1]->loc);
	return lw_tensor(s, weak);
}

/* A count (num of segment_sum, k of one_hot): an integer literal, or an
 * expression of dimensions that must not be negative when the call runs. */
/* Whether e is a constant number (no dimension in it). */
static bool is_const_num(Lower *L, const Ast *e)
{
	double v;
	bool is_int;
	return lw_const_num(L, e, &v, &is_int, false);
}

static const Dim *count_arg(Lower *L, const Builtin *b, const Ast *e, const char *what)
{
	if (!is_const_num(L, e)) {
		const Dim *d = lw_dim_expr(L, e, arena_printf(L->A, "%s's %s", b->name, what), "");
		if (d && !lw_require_ge0(L, e->loc, d,
		                         arena_printf(L->A, "%s's %s %s is negative", b->name, what, lw_text_of(L, e))))
			return NULL;
		return d;
	}
	int64_t n;
	if (!lw_const_int(L, e, &n, arena_printf(L->A, "%s's %s", b->name, what)))
		return NULL;
	if (n < 0) {
		lw_err(L, e->loc, "%s's %s must not be negative, not %lld", b->name, what, (long long)n);
		return NULL;
	}
	return dim_const(L->dc, n);
}

/* segment_sum(v, ids, num): scatter_add(zeros([num, ...]), ids, v) */
static Val bi_segment_sum(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val v = lw_want(L, a[0]);
	int ids = index_arg(L, b, a[1], "segment ids");
	const Dim *num = count_arg(L, b, a[2], "num");
	if (v.kind != V_TENSOR || ids < 0 || !num)
		return ERR;
	int vs = v.id; /* (a literal's sums stay weak) */
	const Inst *vi = lw_inst(L, vs), *ii = lw_inst(L, ids);
	bool lead = vi->rank >= ii->rank;
	for (int k = 0; lead && k < ii->rank; k++)
		lead = vi->shape[k] == ii->shape[k];
	if (!lead) {
		lw_err(L, call->loc, "segment_sum: the ids %s must be the leading axes of the values %s",
		       lw_type_str(L, lw_tensor(ids, false)), lw_type_str(L, v));
		return ERR;
	}
	const Dim *shape[IR_MAX_RANK];
	int rank = 1 + vi->rank - ii->rank;
	shape[0] = num;
	for (int k = 1; k < rank; k++)
		shape[k] = vi->shape[ii->rank + k - 1];
	if (!lw_check_size(L, call->loc, rank, shape))
		return ERR;
	int zeros = ir_fill(L->f, vi->dt, 0.0, rank, shape);
	int s = ir_scatter(L->f, OP_scatter_add, zeros, ids, vs, 0);
	lw_index_site(L, s, call, a[1]->loc);
	return lw_tensor(s, v.weak);
}

/* one_hot(idx, k, dtype=f32): idx.shape + [k], 1 where the last index is idx */
static Val bi_one_hot(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	int idx = index_arg(L, b, a[0], "indices");
	const Dim *k = count_arg(L, b, a[1], "k");
	DType dt;
	if (idx < 0 || !k || !get_dtype(L, a[2], &dt))
		return ERR;
	const Inst *ii = lw_inst(L, idx);
	if (!fits_rank(L, call, "one_hot", ii->rank + 1))
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	for (int i = 0; i < ii->rank; i++)
		shape[i] = ii->shape[i];
	shape[ii->rank] = k;
	if (!lw_check_size(L, call->loc, ii->rank + 1, shape))
		return ERR;
	const Dim *col[IR_MAX_RANK];
	for (int i = 0; i < ii->rank; i++)
		col[i] = ii->shape[i];
	col[ii->rank] = dim_const(L->dc, 1);
	int at = ir_broadcast_to(L->f, ir_reshape(L->f, idx, ii->rank + 1, col), ii->rank + 1, shape);
	int cls = ir_broadcast_to(L->f, ir_iota(L->f, DT_I64, k, 0, 1, 0, false), ii->rank + 1, shape);
	int eq = ir_binary(L->f, OP_eq, at, cls);
	return lw_tensor(dt == DT_I64 ? eq : ir_cast(L->f, eq, dt), false);
}

static Val bi_softmax(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	int64_t axis;
	if (lw_inst(L, x.id)->rank == 0) {
		lw_err(L, call->loc, "%s needs a tensor of rank 1 or more, not %s", b->name, lw_type_str(L, x));
		return ERR;
	}
	if (a[1]) {
		if (!lw_one_axis(L, a[1], lw_inst(L, x.id)->rank, &axis, b->name))
			return ERR;
	} else {
		axis = lw_inst(L, x.id)->rank - 1;
	}
	Loc loc = call->loc;
	Val m = lw_tensor(ir_unary(L->f, OP_detach, reduce(L, OP_max, x, &axis, 1, true).id), x.weak);
	Val z = lw_binary(L, loc, OP_sub, x, m, b->name);
	Val e = lw_unary(L, loc, OP_exp, z, b->name);
	Val s = reduce(L, OP_sum, e, &axis, 1, true);
	if (b->op == OP_log) /* log_softmax */
		return lw_binary(L, loc, OP_sub, z, lw_unary(L, loc, OP_log, s, b->name), b->name);
	return lw_binary(L, loc, OP_div, e, s, b->name);
}

static Val bi_cross_entropy(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]), t = lw_want(L, a[1]);
	if (x.kind != V_TENSOR || t.kind != V_TENSOR)
		return ERR;
	int r = lw_inst(L, x.id)->rank;
	if (r == 0) {
		lw_err(L, call->loc, "cross_entropy needs logits of rank 1 or more, not %s", lw_type_str(L, x));
		return ERR;
	}
	Loc loc = call->loc;
	int64_t axis = r - 1;
	Val m = lw_tensor(ir_unary(L->f, OP_detach, reduce(L, OP_max, x, &axis, 1, true).id), x.weak);
	Val z = lw_binary(L, loc, OP_sub, x, m, b->name);
	Val ls = lw_binary(
	    L, loc, OP_sub, z,
	    lw_unary(L, loc, OP_log, reduce(L, OP_sum, lw_unary(L, loc, OP_exp, z, b->name), &axis, 1, true), b->name),
	    b->name);
	Val p = lw_binary(L, loc, OP_mul, t, ls, b->name);
	if (p.kind != V_TENSOR)
		return ERR;
	if (lw_inst(L, p.id)->rank != r) {
		lw_err(L, call->loc, "cross_entropy: target %s has a higher rank than logits %s", lw_type_str(L, t),
		       lw_type_str(L, x));
		return ERR;
	}
	Val rows = lw_unary(L, loc, OP_neg, reduce(L, OP_sum, p, &axis, 1, false), b->name);
	if (r == 1)
		return rows;
	int64_t axes[IR_MAX_RANK];
	for (int i = 0; i < r - 1; i++)
		axes[i] = i;
	return lw_mean(L, loc, rows, axes, r - 1, false);
}

static Val bi_matmul(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return lw_do_matmul(L, call->loc, lw_want(L, a[0]), lw_want(L, a[1]));
}

static Val bi_dot(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]), y = lw_want(L, a[1]);
	if (x.kind != V_TENSOR || y.kind != V_TENSOR)
		return ERR;
	if (lw_inst(L, x.id)->rank != 1 || lw_inst(L, y.id)->rank != 1) {
		lw_err(L, call->loc, "%s takes two 1-D tensors, not %s and %s; use matmul or @", b->name,
		       lw_type_str(L, x), lw_type_str(L, y));
		return ERR;
	}
	return lw_do_matmul(L, call->loc, x, y);
}

static Val bi_outer(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]), y = lw_want(L, a[1]);
	if (x.kind != V_TENSOR || y.kind != V_TENSOR)
		return ERR;
	if (lw_inst(L, x.id)->rank != 1 || lw_inst(L, y.id)->rank != 1) {
		lw_err(L, call->loc, "%s takes two 1-D tensors, not %s and %s", b->name, lw_type_str(L, x),
		       lw_type_str(L, y));
		return ERR;
	}
	const Dim *one = dim_const(L->dc, 1);
	const Dim *sx[2] = {lw_inst(L, x.id)->shape[0], one}, *sy[2] = {one, lw_inst(L, y.id)->shape[0]};
	Val xc = lw_tensor(ir_reshape(L->f, x.id, 2, sx), x.weak);
	Val yr = lw_tensor(ir_reshape(L->f, y.id, 2, sy), y.weak);
	return lw_binary(L, call->loc, OP_mul, xc, yr, b->name);
}

static Val bi_transpose(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return lw_do_transpose(L, call->loc, lw_want(L, a[0]), a[1]);
}

static Val bi_reshape(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	int r = lw_shape_list(L, a[1], shape, true, b->name);
	if (r < 0)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	DimCtx *dc = L->dc;
	const Dim *total = dim_const(dc, 1), *given = dim_const(dc, 1);
	for (int i = 0; i < in->rank; i++)
		total = dim_mul(dc, total, in->shape[i]);
	int infer = -1;
	for (int i = 0; i < r; i++) {
		if (shape[i])
			given = dim_mul(dc, given, shape[i]);
		else
			infer = i;
	}
	const char *what = arena_printf(L->A, "cannot reshape %s to %s", lw_type_str(L, x), lw_text_of(L, a[1]));
	int64_t tv, gv;
	if (infer >= 0) {
		if (dim_is_const(given, &gv) && gv == 0) {
			lw_err(L, a[1]->loc, "%s: the -1 is ambiguous with a zero-size dimension", what);
			return ERR;
		}
		if (dim_is_const(total, &tv) && dim_is_const(given, &gv) && tv % gv != 0) {
			lw_err(L, a[1]->loc, "%s", what);
			return ERR;
		}
		if (!dim_divides(dc, total, given) && !(dim_is_const(total, &tv) && dim_is_const(given, &gv)))
			lw_add_constraint(L, CONS_DIVIDES, total, given, what);
		shape[infer] = dim_div(dc, total, given);
	} else if (total != given) {
		if (dim_is_const(total, &tv) && dim_is_const(given, &gv)) {
			lw_err(L, a[1]->loc, "%s (%lld elements vs %lld)", what, (long long)tv, (long long)gv);
			return ERR;
		}
		lw_add_constraint(L, CONS_EQ, total, given, what);
	}
	if (!lw_check_size(L, a[1]->loc, r, shape))
		return ERR;
	return lw_do_reshape(L, x, r, shape);
}

static Val bi_squeeze(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	int64_t axes[IR_MAX_RANK];
	int n;
	bool sq[IR_MAX_RANK] = {0};
	if (!a[1] || a[1]->kind == AST_NONE) {
		for (int i = 0; i < in->rank; i++)
			sq[i] = lw_is_one(in->shape[i]);
	} else {
		n = lw_axis_list(L, a[1], in->rank, axes, b->name);
		if (n < 0)
			return ERR;
		for (int i = 0; i < n; i++) {
			if (!lw_is_one(in->shape[axes[i]])) {
				lw_err(L, call->loc, "cannot squeeze axis %lld of %s: its size is not 1",
				       (long long)axes[i], lw_type_str(L, x));
				return ERR;
			}
			sq[axes[i]] = true;
		}
	}
	const Dim *shape[IR_MAX_RANK];
	int r = 0;
	for (int i = 0; i < in->rank; i++)
		if (!sq[i])
			shape[r++] = in->shape[i];
	return lw_do_reshape(L, x, r, shape);
}

static Val bi_unsqueeze(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	(void)call;
	const Inst *in = lw_inst(L, x.id);
	int n = a[1]->kind == AST_LIST ? a[1]->list.n : 1;
	int r = in->rank + n;
	if (r > IR_MAX_RANK) {
		lw_err(L, a[1]->loc, "unsqueeze would give more than %d dimensions", IR_MAX_RANK);
		return ERR;
	}
	int64_t axes[IR_MAX_RANK];
	if (lw_axis_list(L, a[1], r, axes, b->name) < 0)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	for (int i = 0, k = 0, j = 0; i < r; i++) {
		if (k < n && axes[k] == i) {
			shape[i] = dim_const(L->dc, 1);
			k++;
		} else {
			shape[i] = in->shape[j++];
		}
	}
	return lw_do_reshape(L, x, r, shape);
}

static Val bi_broadcast_to(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	int r = lw_shape_list(L, a[1], shape, false, b->name);
	if (r < 0 || !lw_check_size(L, a[1]->loc, r, shape))
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	bool ok = r >= in->rank;
	for (int i = 0; ok && i < in->rank; i++) {
		const Dim *d = in->shape[i], *t = shape[r - in->rank + i];
		ok = d == t || lw_is_one(d);
	}
	if (!ok) {
		lw_err(L, call->loc, "cannot broadcast %s to %s", lw_type_str(L, x), lw_shape_str(L, r, shape));
		return ERR;
	}
	if (in->rank == r) {
		bool same = true;
		for (int i = 0; i < r; i++)
			same = same && in->shape[i] == shape[i];
		if (same)
			return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	}
	return lw_tensor(ir_broadcast(L->f, x.id, r, shape), x.weak);
}

/* The tensors of a list argument: [a, b] (items may be literals). */
int lw_tensor_list(Lower *L, const Ast *e, Val **out, bool allow_none, bool *is_list, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	*is_list = e->kind == AST_LIST;
	if (*is_list) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	*out = arena_array(L->A, (size_t)n + 1, sizeof(Val));
	bool ok = true;
	for (int i = 0; i < n; i++) {
		if (items[i]->kind == AST_NONE && allow_none) {
			(*out)[i].kind = V_NONE;
			continue;
		}
		Val v = items[i]->kind == AST_NONE ? lw_expr(L, items[i]) : lw_want(L, items[i]);
		if (v.kind == V_NONE) {
			lw_err(L, items[i]->loc, "none is not allowed in %s", what);
			ok = false;
		} else if (v.kind != V_TENSOR) {
			ok = false;
		}
		(*out)[i] = v;
	}
	return ok ? n : -1;
}

static Val join(Lower *L, const Builtin *b, const Ast *call, const Ast **a, bool stack)
{
	if (a[0]->kind != AST_LIST) {
		lw_err(L, a[0]->loc, "%s takes a list of tensors, like %s([a, b])", b->name, b->name);
		return ERR;
	}
	Val *xs;
	bool is_list;
	int n = lw_tensor_list(L, a[0], &xs, false, &is_list, b->name);
	if (n < 0)
		return ERR;
	if (n == 0) {
		lw_err(L, a[0]->loc, "%s of an empty list", b->name);
		return ERR;
	}
	DType dt;
	bool weak = true;
	for (int i = 0; i < n; i++)
		weak = weak && xs[i].weak;
	if (!lw_unify(L, call->loc, xs, n, b->name, &dt))
		return ERR;
	const Inst *first = lw_inst(L, xs[0].id);
	int r = first->rank;
	for (int i = 1; i < n; i++) {
		const Inst *in = lw_inst(L, xs[i].id);
		bool ok = in->rank == r;
		for (int k = 0; ok && k < r; k++)
			ok = stack ? in->shape[k] == first->shape[k] : true;
		if (!ok) {
			lw_err(L, a[0]->list.items[i]->loc, "%s: %s does not match %s", b->name, lw_type_str(L, xs[i]),
			       lw_type_str(L, xs[0]));
			return ERR;
		}
	}
	int64_t axis = 0;
	int rr = stack ? r + 1 : r;
	if (rr == 0) {
		lw_err(L, call->loc, "concat needs tensors of rank 1 or more");
		return ERR;
	}
	if (a[1] && !lw_one_axis(L, a[1], rr, &axis, b->name))
		return ERR;
	int *ids = arena_array(L->A, (size_t)n, sizeof(int));
	for (int i = 0; i < n; i++) {
		ids[i] = xs[i].id;
		const Inst *in = lw_inst(L, ids[i]);
		if (stack) {
			const Dim *shape[IR_MAX_RANK];
			for (int k = 0, j = 0; k < rr; k++)
				shape[k] = k == axis ? dim_const(L->dc, 1) : in->shape[j++];
			ids[i] = ir_reshape(L->f, ids[i], rr, shape);
		} else {
			for (int k = 0; k < r; k++)
				if (k != axis && in->shape[k] != first->shape[k]) {
					lw_err(L, a[0]->list.items[i]->loc,
					       "concat along axis %lld: %s does not match %s off that axis",
					       (long long)axis, lw_type_str(L, xs[i]), lw_type_str(L, xs[0]));
					return ERR;
				}
		}
	}
	if (n == 1)
		return lw_tensor(stack ? ids[0] : ir_unary(L->f, OP_copy, ids[0]), weak);
	return lw_tensor(ir_concat(L->f, ids, n, (int)axis), weak);
}

static Val bi_concat(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return join(L, b, call, a, false);
}

static Val bi_stack(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return join(L, b, call, a, true);
}

static Val bi_flip(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	int64_t axes[IR_MAX_RANK];
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int i = 0, k = 0; i < in->rank; i++) {
		lens[i] = in->shape[i];
		if (k < n && axes[k] == i) {
			starts[i] = dim_sub(L->dc, in->shape[i], dim_const(L->dc, 1));
			steps[i] = -1;
			k++;
		} else {
			starts[i] = dim_const(L->dc, 0);
			steps[i] = 1;
		}
	}
	return lw_tensor(ir_slice(L->f, x.id, starts, steps, lens), x.weak);
}

static bool get_dtype(Lower *L, const Ast *a, DType *dt)
{
	*dt = dt_of(L, DT_F32);
	if (!a)
		return true;
	if (a->kind != AST_DTYPE) {
		lw_err(L, a->loc, "dtype must be f32, f64, i32 or i64, not '%s'", lw_text_of(L, a));
		return false;
	}
	*dt = dt_of(L, a->dtype);
	return true;
}

/* arange over bounds that are dimension expressions (arange(n), arange(1,
 * n - 1), arange(n, 0, -2)): the step is a nonzero integer literal and the
 * length, ceil((stop - start) / step), must not be negative when it runs. */
static Val symbolic_arange(Lower *L, const Ast *call, const Ast *sa, const Ast *ta, const Ast *pa, DType dt)
{
	const Dim *start = sa ? lw_dim_expr(L, sa, "arange's start", "") : dim_const(L->dc, 0);
	const Dim *stop = start ? lw_dim_expr(L, ta, "arange's stop", "") : NULL;
	int64_t step = 1;
	if (!stop || (pa && !lw_const_int(L, pa, &step, "arange's step")))
		return ERR;
	if (step == 0) {
		lw_err(L, pa->loc, "arange needs finite bounds and a nonzero step");
		return ERR;
	}
	const Dim *span = step > 0 ? dim_sub(L->dc, stop, start) : dim_sub(L->dc, start, stop);
	int64_t k = step > 0 ? step : -step;
	const Dim *len = dim_div(L->dc, dim_add(L->dc, span, dim_const(L->dc, k - 1)), dim_const(L->dc, k));
	if (!lw_require_ge0(L, call->loc, len, arena_printf(L->A, "the length of %s is negative", lw_text_of(L, call))))
		return ERR;
	int64_t s0 = 0;
	bool lit = dim_is_const(start, &s0);
	int v = ir_iota(L->f, dt, len, (double)s0, (double)step, 0, false);
	if (!lit) /* start + i * step, in the array's dtype */
		v = ir_binary(L->f, OP_add, ir_broadcast_to(L->f, ir_dimval(L->f, dt, start), 1, &len), v);
	return lw_tensor(v, false);
}

static Val bi_arange(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	double start = 0, stop, step = 1;
	bool is_int;
	DType dt;
	if (!get_dtype(L, a[3], &dt))
		return ERR;
	if (!is_const_num(L, a[0]) || (a[1] && !is_const_num(L, a[1])))
		return a[1] ? symbolic_arange(L, call, a[0], a[1], a[2], dt)
		            : symbolic_arange(L, call, NULL, a[0], a[2], dt);
	if (!lw_const_num(L, a[0], &stop, &is_int, true))
		return ERR;
	if (a[1]) {
		start = stop;
		if (!lw_const_num(L, a[1], &stop, &is_int, true))
			return ERR;
	}
	if (a[2] && !lw_const_num(L, a[2], &step, &is_int, true))
		return ERR;
	if (step == 0 || !isfinite(step) || !isfinite(start) || !isfinite(stop)) {
		lw_err(L, call->loc, "arange needs finite bounds and a nonzero step");
		return ERR;
	}
	double len = ceil((stop - start) / step);
	if (!(len < (double)((int64_t)1 << MAX_ELEMS_LOG2))) {
		lw_err(L, call->loc, "arange(...) would have too many elements");
		return ERR;
	}
	int64_t n = len > 0 ? (int64_t)len : 0;
	/* NumPy fills in the array's dtype: x[i] = start + i * delta with delta =
	 * (T)(start + step) - (T)start, so we do the same. */
	double delta;
	if (dt == DT_F32) {
		float s = (float)start, nx = (float)(start + step);
		delta = (double)(float)(nx - s);
		start = s;
	} else {
		delta = (start + step) - start;
	}
	return lw_tensor(ir_iota(L->f, dt, dim_const(L->dc, n), start, delta, stop, false), false);
}

static Val bi_linspace(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	double start, stop;
	bool is_int;
	int64_t num = 50;
	DType dt;
	if (!get_dtype(L, a[3], &dt) || !lw_const_num(L, a[0], &start, &is_int, true) ||
	    !lw_const_num(L, a[1], &stop, &is_int, true))
		return ERR;
	if (a[2] && !is_const_num(L, a[2])) { /* linspace(a, b, n): the step is found when it runs */
		const Dim *n = count_arg(L, b, a[2], "num");
		if (!n)
			return ERR;
		if (!isfinite(start) || !isfinite(stop)) {
			lw_err(L, call->loc, "linspace needs finite bounds");
			return ERR;
		}
		return lw_tensor(ir_iota(L->f, dt, n, start, 0, stop, true), false);
	}
	if (a[2] && !lw_const_int(L, a[2], &num, "linspace's num"))
		return ERR;
	if (num < 0 || num > ((int64_t)1 << MAX_ELEMS_LOG2) || !isfinite(start) || !isfinite(stop)) {
		lw_err(L, call->loc, "linspace needs finite bounds and 0 <= num <= 2^%d", MAX_ELEMS_LOG2);
		return ERR;
	}
	double step = num > 1 ? (stop - start) / (double)(num - 1) : 0;
	/* the last element is exactly stop, except that one element is start (NumPy) */
	return lw_tensor(ir_iota(L->f, dt, dim_const(L->dc, num), start, step, num == 1 ? start : stop, true), false);
}

/* zeros / ones / full(shape, value) */
static Val bi_fill(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	const Dim *shape[IR_MAX_RANK];
	int r = lw_shape_list(L, a[0], shape, false, b->name);
	if (r < 0 || !lw_check_size(L, a[0]->loc, r, shape))
		return ERR;
	bool full = strcmp(b->name, "full") == 0;
	const Ast *dta = full ? a[2] : a[1];
	DType dt;
	if (!get_dtype(L, dta, &dt))
		return ERR;
	if (!full)
		return lw_tensor(ir_fill(L->f, dt, b->arg, r, shape), false);
	Val v = lw_want(L, a[1]);
	if (v.kind != V_TENSOR)
		return ERR;
	if (lw_inst(L, v.id)->rank != 0) {
		lw_err(L, a[1]->loc, "full's value must be a scalar, not %s", lw_type_str(L, v));
		return ERR;
	}
	if (!v.weak && !dta)
		dt = lw_inst(L, v.id)->dt;
	int id = lw_inst(L, v.id)->dt == dt ? v.id : ir_cast(L->f, v.id, dt);
	(void)call;
	return lw_tensor(ir_broadcast_to(L->f, id, r, shape), false);
}

static Val bi_eye(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	const Dim *n[1], *m[1];
	DType dt;
	if (lw_shape_list(L, a[0], n, false, b->name) != 1)
		return ERR;
	m[0] = n[0];
	if (a[1] && a[1]->kind != AST_NONE && lw_shape_list(L, a[1], m, false, b->name) != 1)
		return ERR;
	if (!get_dtype(L, a[2], &dt))
		return ERR;
	const Dim *shape[2] = {n[0], m[0]};
	if (!lw_check_size(L, a[0]->loc, 2, shape))
		return ERR;
	int r, c;
	grid(L, dt, n[0], m[0], 1, 1, &r, &c);
	return lw_tensor(ir_binary(L->f, OP_eq, r, c), false);
}

static Val bi_like(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = lw_inst(L, x.id);
	return lw_tensor(ir_fill(L->f, in->dt, b->arg, in->rank, in->shape), x.weak);
}

static Val bi_detach(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	(void)call;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	return lw_tensor(ir_unary(L->f, OP_detach, x.id), x.weak);
}

/* ---------------------------------------------------------------- the builtin table */

/* clang-format off */
static const Builtin builtins[] = {
#define UN(n) {#n, {"x"}, 1, bi_unary, OP_##n, 0}
    UN(abs), UN(sign), UN(sqrt), UN(exp), UN(expm1), UN(log), UN(log1p), UN(sin), UN(cos), UN(tan), UN(asin),
    UN(acos), UN(atan), UN(sinh), UN(cosh), UN(tanh), UN(sigmoid), UN(relu), UN(softplus), UN(square), UN(erf),
    UN(floor), UN(ceil), UN(round),
#undef UN
    {"pow", {"x", "y"}, 2, bi_binary, OP_pow, 0},
    {"maximum", {"x", "y"}, 2, bi_binary, OP_maximum, 0},
    {"minimum", {"x", "y"}, 2, bi_binary, OP_minimum, 0},
    {"atan2", {"x", "y"}, 2, bi_binary, OP_atan2, 0},
    {"where", {"condition", "x", "y"}, 3, bi_where, OP_where, 0},
    {"sum", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_sum, 0},
    {"max", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_max, 0},
    {"min", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_min, 0},
    {"prod", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_prod, 0},
    {"norm", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_norm, 0},
    {"argmax", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_argmax, 0},
    {"argmin", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_argmin, 0},
    {"mean", {"x", "axis", "keepdim"}, 1, bi_mean, OP_sum, 0},
    {"logsumexp", {"x", "axis", "keepdim"}, 1, bi_logsumexp, OP_sum, 0},
    {"var", {"x", "axis", "keepdim", "unbiased"}, 1, bi_var, OP_sum, 0},
    {"std", {"x", "axis", "keepdim", "unbiased"}, 1, bi_var, OP_sqrt, 0},
    {"clip", {"x", "lo", "hi"}, 3, bi_clip, OP_where, 0},
    {"pad", {"x", "widths", "value"}, 2, bi_pad, OP_unslice, 0},
    {"cumsum", {"x", "axis"}, 2, bi_cumsum, OP_cumsum, 0},
    {"cumprod", {"x", "axis"}, 2, bi_cumsum, OP_linrec, 0},
    {"tril", {"x", "k"}, 1, bi_tri, OP_le, 0},
    {"triu", {"x", "k"}, 1, bi_tri, OP_ge, 0},
    {"trace", {"x"}, 1, bi_trace, OP_sum, 0},
    {"cholesky", {"A"}, 1, bi_cholesky, OP_cholesky, 0},
    {"solve", {"A", "b"}, 2, bi_solve, OP_solve, 0},
    {"solve_triangular", {"A", "b", "lower", "transpose", "unit_diagonal"}, 2, bi_solve_triangular, OP_trisolve, 0},
    {"inv", {"A"}, 1, bi_inv, OP_solve, 0},
    {"det", {"A"}, 1, bi_slogdet, OP_det, 0},
    {"slogdet", {"A"}, 1, bi_slogdet, OP_logabsdet, 0},
    {"diag", {"x"}, 1, bi_diag, OP_where, 0},
    {"conv1d", {"x", "w", "stride", "padding", "dilation"}, 2, bi_conv, OP_matmul, 1},
    {"conv2d", {"x", "w", "stride", "padding", "dilation"}, 2, bi_conv, OP_matmul, 2},
    {"max_pool2d", {"x", "kernel_size", "stride"}, 2, bi_pool, OP_max, 0},
    {"avg_pool2d", {"x", "kernel_size", "stride"}, 2, bi_pool, OP_sum, 0},
    {"matmul", {"x", "y"}, 2, bi_matmul, OP_matmul, 0},
    {"transpose", {"x", "perm"}, 1, bi_transpose, OP_transpose, 0},
    {"dot", {"x", "y"}, 2, bi_dot, OP_matmul, 0},
    {"outer", {"x", "y"}, 2, bi_outer, OP_mul, 0},
    {"reshape", {"x", "shape"}, 2, bi_reshape, OP_reshape, 0},
    {"squeeze", {"x", "axis"}, 1, bi_squeeze, OP_reshape, 0},
    {"unsqueeze", {"x", "axis"}, 2, bi_unsqueeze, OP_reshape, 0},
    {"broadcast_to", {"x", "shape"}, 2, bi_broadcast_to, OP_broadcast, 0},
    {"concat", {"x", "axis"}, 1, bi_concat, OP_concat, 0},
    {"stack", {"x", "axis"}, 1, bi_stack, OP_concat, 0},
    {"flip", {"x", "axis"}, 1, bi_flip, OP_slice, 0},
    {"arange", {"start", "stop", "step", "dtype"}, 1, bi_arange, OP_iota, 0},
    {"linspace", {"start", "stop", "num", "dtype"}, 2, bi_linspace, OP_iota, 0},
    {"zeros", {"shape", "dtype"}, 1, bi_fill, OP_const, 0},
    {"ones", {"shape", "dtype"}, 1, bi_fill, OP_const, 1},
    {"full", {"shape", "fill_value", "dtype"}, 2, bi_fill, OP_const, 0},
    {"eye", {"n", "m", "dtype"}, 1, bi_eye, OP_eq, 0},
    {"zeros_like", {"x"}, 1, bi_like, OP_const, 0},
    {"ones_like", {"x"}, 1, bi_like, OP_const, 1},
    {"softmax", {"x", "axis"}, 1, bi_softmax, OP_exp, 0},
    {"log_softmax", {"x", "axis"}, 1, bi_softmax, OP_log, 0},
    {"cross_entropy", {"logits", "target"}, 2, bi_cross_entropy, OP_log, 0},
    {"detach", {"x"}, 1, bi_detach, OP_detach, 0},
    {"stop_gradient", {"x"}, 1, bi_detach, OP_detach, 0},
    {"grad",
     {"outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "only_inputs", "allow_unused",
      "no_grad_vars"},
     2,
     lw_bi_grad,
     OP_copy,
     0},
    {"take", {"x", "indices", "axis"}, 2, bi_take, OP_gather, 0},
    {"scatter_add", {"x", "indices", "values", "axis"}, 3, bi_scatter_add, OP_scatter_add, 0},
    {"segment_sum", {"values", "segment_ids", "num"}, 3, bi_segment_sum, OP_scatter_add, 0},
    {"one_hot", {"indices", "k", "dtype"}, 2, bi_one_hot, OP_eq, 0},
    {"jvp", {"ys", "xs", "v", "create_graph", "allow_unused", "no_grad_vars"}, 2, lw_bi_jvp, OP_copy, 0},
    {"jacobian", {"ys", "xs", "batch_axis", "create_graph", "allow_unused", "no_grad_vars"}, 2, lw_bi_jacobian, OP_copy, 0},
    {"hessian", {"ys", "xs", "batch_axis", "create_graph", "allow_unused", "no_grad_vars"}, 2, lw_bi_hessian, OP_copy, 0},
    {"backward", {"tensors", "grad_tensors", "retain_graph"}, 1, lw_bi_backward, OP_copy, 0},
    {"clear_grad", {"x"}, 1, lw_bi_clear_grad, OP_copy, 0},
};
/* clang-format on */

enum { NBUILTINS = sizeof builtins / sizeof builtins[0] };

const Builtin *lw_find_builtin(const char *name)
{
	for (int i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

int lw_builtin_names(const char **out)
{
	for (int i = 0; i < NBUILTINS; i++)
		out[i] = builtins[i].name;
	return NBUILTINS;
}

bool lower_is_builtin(const char *name)
{
	return lw_find_builtin(name) != NULL;
}

Val lw_call_builtin(Lower *L, const Builtin *b, const Ast *call)
{
	const Ast *slots[8];
	if (!lw_bind_args(L, b->name, b->params, b->nreq, call, slots))
		return ERR;
	return b->fn(L, b, call, slots);
}
