/* adjoint.c: reverse-mode differentiation, IR to IR.
 *
 * Each op's rule builds its operands' adjoint contributions out of ordinary
 * IR ops, so the result can be differentiated again: nesting grad gives
 * derivatives of any order with nothing special for higher order. Kinks
 * follow PyTorch: abs, sign and relu have derivative 0 at 0; maximum and
 * minimum split the gradient evenly on ties; max/min reductions split it
 * evenly among tied elements; prod is exact with zeros, at every order. */
#include "adjoint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

/* A rule fills c[k] with the contribution to operand k where act[k]; -1
 * means a zero contribution. */
typedef void (*Rule)(Func *f, int v, int g, const bool *act, int *c);

static const char *const adjoint_note[OP_COUNT] = {
#define X(name, arity, kind, flags, c, fold) [OP_##name] = "adjoint of " #name,
#include "ops.def"
#undef X
};

/* ---------------------------------------------------------------- small builders */

static const Inst *in_of(Func *f, int v)
{
	return ir_inst(f, v);
}

static int cst(Func *f, int like, double c)
{
	const Inst *in = in_of(f, like);
	return ir_fill(f, in->dt, c, in->rank, in->shape);
}

static int add(Func *f, int a, int b)
{
	return ir_binary(f, OP_add, a, b);
}
static int sub(Func *f, int a, int b)
{
	return ir_binary(f, OP_sub, a, b);
}
static int mul(Func *f, int a, int b)
{
	return ir_binary(f, OP_mul, a, b);
}
static int dv(Func *f, int a, int b)
{
	return ir_binary(f, OP_div, a, b);
}
static int un(Func *f, Op op, int a)
{
	return ir_unary(f, op, a);
}

/* x with 1 where cond holds: the denominator or logarithm of a formula that
 * where() discards there. The discarded branch must still be finite, or at
 * the next order its derivative, multiplied by 0, is 0 * inf = NaN. */
static int one_where(Func *f, int cond, int x)
{
	return ir_where(f, cond, cst(f, x, 1), x);
}

static int arg(Func *f, int v, int k)
{
	return in_of(f, v)->args[k];
}

/* ---------------------------------------------------------------- elementwise rules */

static void r_copy(Func *f, int v, int g, const bool *act, int *c)
{
	(void)f, (void)v, (void)act;
	c[0] = g;
}

static void r_cast(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = ir_cast(f, g, in_of(f, arg(f, v, 0))->dt);
}

static void r_neg(Func *f, int v, int g, const bool *act, int *c)
{
	(void)v, (void)act;
	c[0] = un(f, OP_neg, g);
}

static void r_abs(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, un(f, OP_sign, arg(f, v, 0)));
}

/* sign, floor, ceil, round: zero almost everywhere. The zero is a constant
 * (PyTorch's zeros_like(grad)) that flows on through the rules of the ops
 * below, so the gradient depends on what their rules read (tanh's output
 * under floor(tanh(a))), as it does in PyTorch; the optimizer folds it. */
static void r_zero(Func *f, int v, int g, const bool *act, int *c)
{
	(void)g, (void)act;
	c[0] = cst(f, arg(f, v, 0), 0);
}

static void r_sqrt(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act; /* g / (2 sqrt(x)) */
	c[0] = dv(f, g, mul(f, cst(f, v, 2), v));
}

static void r_exp(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, v);
}

static void r_expm1(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, add(f, v, cst(f, v, 1)));
}

static void r_log(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = dv(f, g, arg(f, v, 0));
}

static void r_log1p(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int x = arg(f, v, 0);
	c[0] = dv(f, g, add(f, cst(f, x, 1), x));
}

static void r_sin(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, un(f, OP_cos, arg(f, v, 0)));
}

static void r_cos(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = un(f, OP_neg, mul(f, g, un(f, OP_sin, arg(f, v, 0))));
}

static void r_tan(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act; /* 1 + tan^2 */
	c[0] = mul(f, g, add(f, cst(f, v, 1), un(f, OP_square, v)));
}

static int one_minus_x2(Func *f, int x)
{
	return sub(f, cst(f, x, 1), un(f, OP_square, x));
}

static void r_asin(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = dv(f, g, un(f, OP_sqrt, one_minus_x2(f, arg(f, v, 0))));
}

static void r_acos(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = un(f, OP_neg, dv(f, g, un(f, OP_sqrt, one_minus_x2(f, arg(f, v, 0)))));
}

static void r_atan(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int x = arg(f, v, 0);
	c[0] = dv(f, g, add(f, cst(f, x, 1), un(f, OP_square, x)));
}

static void r_sinh(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, un(f, OP_cosh, arg(f, v, 0)));
}

static void r_cosh(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, un(f, OP_sinh, arg(f, v, 0)));
}

static void r_tanh(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, sub(f, cst(f, v, 1), un(f, OP_square, v)));
}

static void r_sigmoid(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, mul(f, v, sub(f, cst(f, v, 1), v)));
}

/* relu: g where the output is positive, else 0, selected rather than
 * multiplied (as PyTorch's threshold_backward): a NaN or infinite g beyond
 * a zero derivative does not come through as 0 * NaN = NaN. */
static void r_relu(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = ir_where(f, ir_binary(f, OP_gt, v, cst(f, v, 0)), g, cst(f, v, 0));
}

static void r_softplus(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = mul(f, g, un(f, OP_sigmoid, arg(f, v, 0)));
}

static void r_square(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int x = arg(f, v, 0);
	c[0] = mul(f, g, mul(f, cst(f, x, 2), x));
}

static void r_erf(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act; /* 2/sqrt(pi) exp(-x^2) */
	int x = arg(f, v, 0);
	int e = un(f, OP_exp, un(f, OP_neg, un(f, OP_square, x)));
	c[0] = mul(f, g, mul(f, cst(f, x, 1.1283791670955126), e));
}

static void r_add(Func *f, int v, int g, const bool *act, int *c)
{
	(void)f, (void)v, (void)act;
	c[0] = c[1] = g;
}

static void r_sub(Func *f, int v, int g, const bool *act, int *c)
{
	(void)v;
	c[0] = g;
	c[1] = act[1] ? un(f, OP_neg, g) : -1;
}

static void r_mul(Func *f, int v, int g, const bool *act, int *c)
{
	int a = arg(f, v, 0), b = arg(f, v, 1);
	c[0] = act[0] ? mul(f, g, b) : -1;
	c[1] = act[1] ? mul(f, g, a) : -1;
}

static void r_div(Func *f, int v, int g, const bool *act, int *c)
{
	int b = arg(f, v, 1);
	c[0] = act[0] ? dv(f, g, b) : -1;
	c[1] = act[1] ? un(f, OP_neg, dv(f, mul(f, g, v), b)) : -1; /* -g a / b^2 = -g (a/b) / b */
}

static void r_pow(Func *f, int v, int g, const bool *act, int *c)
{
	int a = arg(f, v, 0), b = arg(f, v, 1);
	if (act[0]) /* b a^(b-1) */
		c[0] = mul(f, g, mul(f, b, ir_binary(f, OP_pow, a, sub(f, b, cst(f, b, 1)))));
	else
		c[0] = -1;
	if (act[1]) { /* a^b log a, taken as 0 where a == 0 and b >= 0 (PyTorch) */
		int z = mul(f, ir_binary(f, OP_eq, a, cst(f, a, 0)), ir_binary(f, OP_ge, b, cst(f, b, 0)));
		c[1] = mul(f, g, ir_where(f, z, cst(f, v, 0), mul(f, v, un(f, OP_log, one_where(f, z, a)))));
	} else {
		c[1] = -1;
	}
}

/* maximum: g goes to the larger operand, half to each on ties (PyTorch),
 * by selection, so the smaller one gets exactly 0 even where g is NaN. */
static void r_maxmin(Func *f, int v, int g, const bool *act, int *c, bool is_max)
{
	int a = arg(f, v, 0), b = arg(f, v, 1);
	int z = cst(f, v, 0), half = mul(f, g, cst(f, v, 0.5));
	int a_wins = ir_binary(f, is_max ? OP_gt : OP_lt, a, b), b_wins = ir_binary(f, is_max ? OP_lt : OP_gt, a, b);
	c[0] = act[0] ? ir_where(f, a_wins, g, ir_where(f, b_wins, z, half)) : -1;
	c[1] = act[1] ? ir_where(f, b_wins, g, ir_where(f, a_wins, z, half)) : -1;
}

static void r_maximum(Func *f, int v, int g, const bool *act, int *c)
{
	r_maxmin(f, v, g, act, c, true);
}

static void r_minimum(Func *f, int v, int g, const bool *act, int *c)
{
	r_maxmin(f, v, g, act, c, false);
}

static void r_atan2(Func *f, int v, int g, const bool *act, int *c)
{
	int a = arg(f, v, 0), b = arg(f, v, 1);
	int den = add(f, un(f, OP_square, a), un(f, OP_square, b));
	c[0] = act[0] ? dv(f, mul(f, g, b), den) : -1;
	c[1] = act[1] ? un(f, OP_neg, dv(f, mul(f, g, a), den)) : -1;
}

static void r_where(Func *f, int v, int g, const bool *act, int *c)
{
	int cond = arg(f, v, 0);
	int z = cst(f, v, 0);
	c[0] = -1;
	c[1] = act[1] ? ir_where(f, cond, g, z) : -1;
	c[2] = act[2] ? ir_where(f, cond, z, g) : -1;
}

/* ---------------------------------------------------------------- shape rules */

static void r_broadcast(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	const Inst *x = in_of(f, arg(f, v, 0));
	c[0] = ir_sum_to(f, g, x->rank, x->shape);
}

static void r_reshape(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	const Inst *x = in_of(f, arg(f, v, 0));
	c[0] = ir_reshape(f, g, x->rank, x->shape);
}

static void r_transpose(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	const Inst *in = in_of(f, v);
	int64_t inv[IR_MAX_RANK];
	for (int i = 0; i < in->nints; i++)
		inv[in->ints[i]] = i;
	c[0] = ir_transpose(f, g, inv);
}

static void r_slice(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	const Inst *x = in_of(f, in.args[0]);
	c[0] = ir_unslice(f, g, in.dims, in.ints, x->rank, x->shape);
}

static void r_unslice(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	c[0] = ir_slice(f, g, in.dims, in.ints, in_of(f, in.args[0])->shape);
}

/* id, which takes or scatters by the indices of `site`'s op, checks them
 * under that op's name (the source text in the message) */
static int same_site(Func *f, int id, const char *site)
{
	ir_inst(f, id)->site = site;
	return id;
}

/* take(x, idx): the cotangent goes back to the rows it came from, where
 * duplicate indices accumulate (a scatter-add); the indices have none */
static void r_gather(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	const Inst *x = in_of(f, in.args[0]);
	c[0] = same_site(
	    f, ir_scatter(f, OP_scatter_add, ir_fill(f, x->dt, 0.0, x->rank, x->shape), in.args[1], g, (int)in.ints[0]),
	    in.site);
}

/* scatter_add(x, idx, v): x's cotangent is the result's; v's, the result's
 * at the rows v was added to (a gather) */
static void r_scatter_add(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	c[0] = act[0] ? g : -1;
	c[2] = act[2] ? same_site(f, ir_gather(f, g, in.args[1], (int)in.ints[0]), in.site) : -1;
}

/* scatter_set(x, idx, v), x with the rows idx names overwritten by v's
 * (the last of duplicates wins): v's cotangent is the result's at its rows
 * (a take; a row that lost to a later duplicate gets none), x's the
 * result's with those rows zeroed. The take is appended first, so that the
 * scatter, the cotangent's last reader, may overwrite it in place. */
static void r_scatter_set(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	int axis = (int)in.ints[0], idx = in.args[1];
	const Inst *vi = in_of(f, in.args[2]), *ii = in_of(f, idx);
	c[2] = -1;
	if (act[2]) {
		c[2] = same_site(f, ir_gather(f, g, idx, axis), in.site);
		const Dim *K = dim_const(f->dc, 1);
		for (int k = 0; k < ii->rank; k++)
			K = dim_mul(f->dc, K, ii->shape[k]);
		int64_t one;
		if (!(dim_is_const(K, &one) && one <= 1)) {
			/* the winner of each row: the last position naming it */
			const Dim *N[1] = {in_of(f, in.args[0])->shape[axis]};
			int pos = ir_reshape(f, ir_iota(f, DT_I64, K, 0, 1, 0, false), ii->rank, ii->shape);
			int win = ir_scatter(f, OP_scatter_max, ir_fill(f, DT_I64, -1, 1, N), idx, pos, 0);
			int won = ir_cast(f, ir_binary(f, OP_eq, ir_gather(f, win, idx, 0), pos), vi->dt);
			const Dim *col[IR_MAX_RANK];
			for (int k = 0; k < vi->rank; k++)
				col[k] = k >= axis && k < axis + ii->rank ? ii->shape[k - axis] : dim_const(f->dc, 1);
			won = ir_broadcast_to(f, ir_reshape(f, won, vi->rank, col), vi->rank, vi->shape);
			c[2] = ir_binary(f, OP_mul, c[2], won);
		}
	}
	c[0] = act[0]
	           ? same_site(
	                 f, ir_scatter(f, OP_scatter_set, g, idx, ir_fill(f, vi->dt, 0.0, vi->rank, vi->shape), axis),
	                 in.site)
	           : -1;
}

/* L = cholesky(A) (Murray, 2016, as PyTorch): with P the lower triangle
 * of L^T g, its diagonal halved, S = L^-T P L^-1, and A's cotangent the
 * symmetric part of S (A is read as the symmetric matrix of its lower
 * triangle). Two triangular solves, so it differentiates again. */
static void r_cholesky(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int P = ir_triangle(f, ir_matmul(f, v, g, true, false), true, 0.5);
	int Z = ir_trisolve(f, v, P, true, true, false);
	int S = ir_mT(f, ir_trisolve(f, v, ir_mT(f, Z), true, true, false));
	c[0] = ir_binary(f, OP_mul, add(f, S, ir_mT(f, S)), cst(f, S, 0.5));
}

/* X = op(T)^-1 B: B's cotangent op(T)^-T g, T's minus that times X^T (of
 * op(T): the transpose when trans), in T's triangle (without the diagonal
 * when it is a unit one, which is not read). */
static void r_trisolve(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	bool lower = in.ints[0], trans = in.ints[1], unit = in.ints[2];
	int gb = ir_trisolve(f, in.args[0], g, lower, !trans, unit);
	c[1] = act[1] ? gb : -1;
	if (act[0]) {
		int gt = trans ? ir_matmul(f, v, gb, false, true) : ir_matmul(f, gb, v, false, true);
		c[0] = ir_triangle(f, ir_unary(f, OP_neg, gt), lower, unit ? 0 : 1);
	}
}

/* X = op(A)^-1 B: B's cotangent op(A)^-T g (a solve with the same A, so
 * the emitted code factors A once), A's minus that times X^T (transposed
 * when op(A) is A^T). */
static void r_solve(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	bool trans = in.ints[0];
	int gb = ir_solve(f, in.args[0], g, !trans);
	c[1] = act[1] ? gb : -1;
	if (act[0]) {
		int gt = trans ? ir_matmul(f, v, gb, false, true) : ir_matmul(f, gb, v, false, true);
		c[0] = ir_unary(f, OP_neg, gt);
	}
}

/* l = log |det A|: A's cotangent g A^-T (A^-T by a solve with I, so that
 * it differentiates again; the emitted code reuses the forward's factors) */
static void r_logabsdet(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int a = in_of(f, v)->args[0];
	c[0] = ir_binary(f, OP_mul, ir_per_matrix(f, g, a), ir_solve(f, a, ir_eye_like(f, a), true));
}

/* d = det A: A's cotangent g cofactor(A) (Giles 2008: d det A = det A
 * tr(A^-1 dA); the cofactors, unlike det A A^-T, are there at a singular A) */
static void r_det(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int a = in_of(f, v)->args[0];
	c[0] = ir_binary(f, OP_mul, ir_per_matrix(f, g, a), ir_det_part(f, OP_cofactor, a));
}

/* C = cofactor(A) = det A A^-T: with dC = tr(A^-1 dA) C - C dA^T A^-T, A's
 * cotangent is (<G, C> I - C G^T) A^-T, each matrix's <G, C> its own; it
 * needs A^-1, so at a singular A this second derivative is AD_ERR_LINALG */
static void r_cofactor(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	int a = in.args[0];
	int64_t axes[2] = {in.rank - 2, in.rank - 1};
	int gc = ir_reduce(f, OP_sum, ir_binary(f, OP_mul, g, v), axes, 2);
	int m = ir_binary(f, OP_sub, ir_binary(f, OP_mul, ir_per_matrix(f, gc, a), ir_eye_like(f, a)),
	                  ir_matmul(f, v, g, false, true));
	c[0] = ir_mT(f, ir_solve(f, a, ir_mT(f, m), false));
}

static void r_concat(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	int axis = (int)in.ints[0];
	const Dim *off = dim_const(f->dc, 0);
	for (int k = 0; k < in.nargs; k++) {
		const Inst *x = in_of(f, in.args[k]);
		const Dim *starts[IR_MAX_RANK];
		int64_t steps[IR_MAX_RANK];
		for (int i = 0; i < in.rank; i++) {
			starts[i] = i == axis ? off : dim_const(f->dc, 0);
			steps[i] = 1;
		}
		const Dim *len = x->shape[axis];
		c[k] = act[k] ? ir_slice(f, g, starts, steps, x->shape) : -1;
		off = dim_add(f->dc, off, len);
	}
}

/* ---------------------------------------------------------------- reductions */

/* g, with the reduced axes put back as size 1 and broadcast to x's shape. */
static int expand(Func *f, int g, int v)
{
	Inst in = *in_of(f, v);
	const Inst *x = in_of(f, in.args[0]);
	const Dim *keep[IR_MAX_RANK];
	for (int i = 0, k = 0; i < x->rank; i++) {
		if (k < in.nints && in.ints[k] == i) {
			keep[i] = dim_const(f->dc, 1);
			k++;
		} else {
			keep[i] = x->shape[i];
		}
	}
	int r = ir_reshape(f, g, x->rank, keep);
	return ir_broadcast_to(f, r, x->rank, x->shape);
}

static void r_sum(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	c[0] = expand(f, g, v);
}

/* g reversed along one axis (a slice with step -1). */
static int flip_axis(Func *f, int g, int axis)
{
	const Inst *gi = ir_inst(f, g);
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int i = 0; i < gi->rank; i++) {
		lens[i] = gi->shape[i];
		starts[i] = i == axis ? dim_sub(f->dc, gi->shape[i], dim_const(f->dc, 1)) : dim_const(f->dc, 0);
		steps[i] = i == axis ? -1 : 1;
	}
	return ir_slice(f, g, starts, steps, lens);
}

/* cumsum: element i feeds the sums from i on, so its cotangent is the sum
 * of g from i to the end, a cumsum of g reversed. */
static void r_cumsum(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	int axis = (int)ir_inst(f, v)->ints[0];
	c[0] = flip_axis(f, ir_cumsum(f, flip_axis(f, g, axis), axis), axis);
}

/* y = linrec(a, b): y[k] = a[k] y[k - 1] + b[k]. The cotangent of y[k], all
 * told, is s[k] = g[k] + a[k + 1] s[k + 1], the same recurrence run
 * backwards: linrec over the axis reversed, with a moved one place (so
 * that it pairs with the element after). Then b's is s and a's is
 * s[k] y[k - 1]. Products only, no division: exact where a is zero, and a
 * linrec again, so every order follows. */
static void r_linrec(Func *f, int v, int g, const bool *act, int *c)
{
	const Inst *in = ir_inst(f, v);
	int axis = (int)in->ints[0], a = in->args[0];
	int back = ir_shift(f, flip_axis(f, a, axis), axis);
	int s = flip_axis(f, ir_linrec(f, back, flip_axis(f, g, axis), axis), axis);
	if (act[1])
		c[1] = s;
	if (act[0])
		c[0] = ir_binary(f, OP_mul, s, ir_shift(f, v, axis));
}

/* max/min: the gradient goes evenly to the elements equal to the result. */
static void r_extremum(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	int x = in.args[0];
	int mask = ir_binary(f, OP_eq, x, expand(f, v, v));
	int cnt = ir_reduce(f, OP_sum, mask, in.ints, in.nints);
	c[0] = mul(f, mask, expand(f, dv(f, g, cnt), v));
}

/* The products of the elements before each one along the last axis (1 for
 * the first): the recurrence e[k] = z[k - 1] e[k - 1] started by 1. */
static int before_products(Func *f, int z)
{
	const Inst *zi = in_of(f, z);
	int axis = zi->rank - 1;
	return ir_linrec(f, ir_shift(f, z, axis), ir_first_along(f, zi->dt, zi->rank, zi->shape, axis), axis);
}

/* prod: d/dx_i is the product of the other elements of i's slice, written
 * as (the product of those before i) * (the product of those after i),
 * each a linrec over the slice flattened into the last axis (the reduced
 * axes moved there). Multiplications only: the polynomial itself, not its
 * value, so every order is exact whatever the zeros (a slice of three
 * zeros included), with no division and no case on the count of zeros. */
static void r_prod(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	int x = in.args[0];
	const Inst *xi = in_of(f, x);
	int rank = xi->rank, nax = in.nints;
	if (rank == 0 || nax == 0) { /* the product of one element */
		c[0] = expand(f, g, v);
		return;
	}
	int64_t perm[IR_MAX_RANK], inv[IR_MAX_RANK];
	const Dim *moved[IR_MAX_RANK], *flat[IR_MAX_RANK];
	int k = 0, nkeep = 0;
	bool reduced[IR_MAX_RANK] = {false};
	for (int a = 0; a < nax; a++)
		reduced[in.ints[a]] = true;
	for (int a = 0; a < rank; a++)
		if (!reduced[a])
			perm[k++] = a;
	nkeep = k;
	for (int a = 0; a < rank; a++)
		if (reduced[a])
			perm[k++] = a;
	const Dim *len = dim_const(f->dc, 1);
	for (int a = 0; a < rank; a++) {
		moved[a] = xi->shape[perm[a]];
		inv[perm[a]] = a;
		if (a < nkeep)
			flat[a] = moved[a];
		else
			len = dim_mul(f->dc, len, moved[a]);
	}
	flat[nkeep] = len;
	int z = ir_reshape(f, ir_transpose(f, x, perm), nkeep + 1, flat);
	int before = before_products(f, z);
	int after = flip_axis(f, before_products(f, flip_axis(f, z, nkeep)), nkeep);
	int others = ir_transpose(f, ir_reshape(f, mul(f, before, after), rank, moved), inv);
	c[0] = mul(f, expand(f, g, v), others);
}

/* norm: x / ||x||, taken as 0 where the norm is 0 (PyTorch). */
static void r_norm(Func *f, int v, int g, const bool *act, int *c)
{
	(void)act;
	Inst in = *in_of(f, v);
	int x = in.args[0];
	int safe = one_where(f, ir_binary(f, OP_eq, v, cst(f, v, 0)), v);
	c[0] = mul(f, x, expand(f, dv(f, g, safe), v));
}

/* C = op(A) op(B); see docs/design.md for the four cases. */
static void r_matmul(Func *f, int v, int g, const bool *act, int *c)
{
	Inst in = *in_of(f, v);
	int a = in.args[0], b = in.args[1];
	bool ta = in.ints[0], tb = in.ints[1];
	c[0] = c[1] = -1;
	if (act[0])
		c[0] = !ta ? ir_matmul(f, g, b, false, !tb) : ir_matmul(f, b, g, tb, true);
	if (act[1])
		c[1] = !tb ? ir_matmul(f, a, g, !ta, false) : ir_matmul(f, g, a, true, ta);
}

static const Rule rules[OP_COUNT] = {
    [OP_copy] = r_copy,
    [OP_cast] = r_cast,
    [OP_neg] = r_neg,
    [OP_abs] = r_abs,
    [OP_sqrt] = r_sqrt,
    [OP_exp] = r_exp,
    [OP_expm1] = r_expm1,
    [OP_log] = r_log,
    [OP_log1p] = r_log1p,
    [OP_sin] = r_sin,
    [OP_cos] = r_cos,
    [OP_tan] = r_tan,
    [OP_asin] = r_asin,
    [OP_acos] = r_acos,
    [OP_atan] = r_atan,
    [OP_sinh] = r_sinh,
    [OP_cosh] = r_cosh,
    [OP_tanh] = r_tanh,
    [OP_sigmoid] = r_sigmoid,
    [OP_relu] = r_relu,
    [OP_softplus] = r_softplus,
    [OP_square] = r_square,
    [OP_erf] = r_erf,
    [OP_add] = r_add,
    [OP_sub] = r_sub,
    [OP_mul] = r_mul,
    [OP_div] = r_div,
    [OP_pow] = r_pow,
    [OP_maximum] = r_maximum,
    [OP_minimum] = r_minimum,
    [OP_atan2] = r_atan2,
    [OP_where] = r_where,
    [OP_broadcast] = r_broadcast,
    [OP_reshape] = r_reshape,
    [OP_transpose] = r_transpose,
    [OP_slice] = r_slice,
    [OP_unslice] = r_unslice,
    [OP_concat] = r_concat,
    [OP_gather] = r_gather,
    [OP_scatter_add] = r_scatter_add,
    [OP_scatter_set] = r_scatter_set,
    [OP_cholesky] = r_cholesky,
    [OP_trisolve] = r_trisolve,
    [OP_solve] = r_solve,
    [OP_logabsdet] = r_logabsdet,
    [OP_det] = r_det,
    [OP_cofactor] = r_cofactor,
    [OP_sum] = r_sum,
    [OP_cumsum] = r_cumsum,
    [OP_linrec] = r_linrec,
    [OP_max] = r_extremum,
    [OP_min] = r_extremum,
    [OP_prod] = r_prod,
    [OP_norm] = r_norm,
    [OP_matmul] = r_matmul,
};

/* The rule of op: its own, or for an op flagged F_NODIFF in ops.def (zero
 * derivative almost everywhere) the zero rule. */
static Rule rule_of(Op op)
{
	if (rules[op])
		return rules[op];
	return op_info[op].flags & F_NODIFF ? r_zero : NULL;
}

bool adj_rule(Func *f, int v, int g, const bool *act, int *c)
{
	Rule rule = rule_of(ir_inst(f, v)->op);
	if (!rule)
		return false;
	rule(f, v, g, act, c);
	return true;
}

bool adj_has_rule(Op op)
{
	/* loop, cond and extract: the rules of control flow, below */
	return rule_of(op) != NULL || op_info[op].kind == K_CTRL;
}

/* ---------------------------------------------------------------- control flow
 *
 * A loop's adjoint is two loops. The first runs the loop again and keeps,
 * as rows, the carried values at the start of every iteration (the tape:
 * T x the carries, in the work memory); the second runs backwards over the
 * iterations, and its body is the adjoint of one iteration: the forward
 * body recomputed from the taped carries, then differentiated (adj_vjp on
 * that body, so loops and conds inside it get their own rules). Its carries
 * are the cotangents of the carries, replaced every iteration, and those of
 * the invariants, accumulated; its rows are the cotangents of the rows the
 * loop read. After a break, the iterations that did not run pass the
 * cotangents through (a cond on the count the taping loop gives). A cond's
 * adjoint is a cond on the same predicate whose branches are the adjoints
 * of the original branches. Everything is IR, so it differentiates again. */

/* src's instructions appended to dst (src is closed: a body), with its
 * parameters standing for params[i]; its results' values in out. */
static void inline_body(Func *dst, const Func *src, const int *params, int *out, int *map)
{
	int n = src->ins.len;
	if (!map)
		map = arena_array(dst->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(src, v);
		if (in->op == OP_param) {
			map[v] = params[in->ints[0]];
			continue;
		}
		int *args = arena_array(dst->A, (size_t)in->nargs + 1, sizeof(int));
		for (int k = 0; k < in->nargs; k++)
			args[k] = map[in->args[k]];
		map[v] = ir_rebuild(dst, in, args);
	}
	for (int r = 0; r < src->results.len; r++)
		out[r] = src->results.data[r].value >= 0 ? map[src->results.data[r].value] : -1;
}

/* A parameter of body b with the type of value x of f. */
static int param_like(Func *b, const Func *f, int x, const char *name)
{
	const Inst *in = ir_inst(f, x);
	return ir_param(b, name, in->dt, in->rank, in->shape, false);
}

static const char *pname(const Func *b, int i, const char *fallback)
{
	const char *n = ir_inst(b, b->params.data[i])->name;
	return n ? n : fallback;
}

static void result(Func *b, const char *name, int v)
{
	const Inst *in = ir_inst(b, v);
	FuncResult r = {name, v, in->dt, in->rank, in->shape};
	VEC_PUSH(b->A, b->results, r);
}

/* What the loop rules need to know of a loop. */
typedef struct LoopInfo {
	Func *B;
	int ninv, nc, nxs, nys, off;
	bool brk;
	unsigned flags;
	int64_t step;
	const Dim *start, *stop, *trip;
	const int *inv, *init, *xs;
	/* the active invariants and rows read, the rows written that have
	 * cotangents */
	int nai, nax, nct_y;
	int *ai, *ax, *cy;
} LoopInfo;

/* What the reverse loop reads of the forward loop, one row per iteration:
 * the carries at the start (needed[k]: going back reads carry k; a carry
 * only added to, a sum or a count, is not needed to undo an iteration) and
 * the residuals, values of the body that are costly to compute again
 * (transcendental math: a gate's sigmoid), res[j] in the body's numbering. */
typedef struct RowPlan {
	bool *needed;
	int *res, nres;
} RowPlan;

/* The values of body B that going back would compute again at a cost: its
 * expensive elementwise ops that change from one iteration to the next
 * (that depend on t, the carries or the rows, not only the invariants);
 * and the rows it takes of a carried value (ys[k]), which would otherwise
 * need the whole carry on the tape for every iteration. */
static int costly_values(const Func *B, int ninv, int nc, int *out)
{
	int n = B->ins.len, k = 0;
	bool *varies = arena_array(B->A, (size_t)n + 1, sizeof(bool));
	bool *carried = arena_array(B->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < B->params.len; i++) {
		varies[B->params.data[i]] = i == 0 || i > ninv;
		carried[B->params.data[i]] = i > ninv && i <= ninv + nc;
	}
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(B, v);
		for (int a = 0; a < in->nargs; a++) {
			varies[v] = varies[v] || varies[in->args[a]];
			carried[v] = carried[v] || carried[in->args[a]];
		}
		if (varies[v] && op_info[in->op].kind == K_EW && (op_info[in->op].flags & F_EXPENSIVE))
			out[k++] = v;
		else if (in->op == OP_gather && carried[in->args[0]] && !dtype_is_int(in->dt))
			out[k++] = v;
	}
	arena_release(B->A, carried, (size_t)n + 1);
	arena_release(B->A, varies, (size_t)n + 1);
	return k;
}

/* R with the residuals read from rows: each value map[res[j]] that R
 * computes again is replaced, wherever R reads it, by a new parameter (a
 * row), so what only computed it is left dead; then what nothing reads is
 * dropped: the dead instructions, the carries' rows that nothing reads
 * (parameters Rtape[k]) and the residuals' rows that nothing reads. P says
 * which stay. */
static Func *read_rows(Func *R, const Func *B, const int *map, const int *Rtape, int nc, RowPlan *P)
{
	int *row = arena_array(R->A, (size_t)P->nres + 1, sizeof(int));
	int nrow = 0;
	for (int j = 0; j < P->nres; j++) {
		int u = P->res[j], ru = map[u];
		if (ir_inst(R, ru)->op == OP_param)
			continue;
		const Inst *bu = ir_inst(B, u);
		const char *name = bu->name ? bu->name : op_info[bu->op].name;
		int p = ir_param(R, arena_printf(R->A, "%s_at_t", name), bu->dt, bu->rank, bu->shape, false);
		int n = R->ins.len;
		for (int v = 0; v < n; v++) {
			Inst *in = ir_inst(R, v);
			for (int a = 0; v != p && a < in->nargs; a++)
				if (in->args[a] == ru)
					in->args[a] = p;
		}
		for (int i = 0; i < R->results.len; i++)
			if (R->results.data[i].value == ru)
				R->results.data[i].value = p;
		P->res[nrow] = u;
		row[nrow++] = p;
	}
	P->nres = nrow;
	int n = R->ins.len;
	bool *live = opt_live(R);
	for (int k = 0; k < nc; k++)
		P->needed[k] = live[Rtape[k]];
	bool *row_live = arena_array(R->A, (size_t)nrow + 1, sizeof(bool));
	for (int j = 0; j < nrow; j++)
		row_live[j] = live[row[j]];
	/* the signature stays, less the rows nothing reads */
	for (int i = 0; i < R->params.len; i++)
		live[R->params.data[i]] = true;
	for (int k = 0; k < nc; k++)
		live[Rtape[k]] = P->needed[k];
	int kept = 0;
	for (int j = 0; j < nrow; j++) {
		live[row[j]] = row_live[j];
		if (row_live[j])
			P->res[kept++] = P->res[j];
	}
	P->nres = kept;
	static const RewriteOps ops = {NULL, NULL, true, NULL}; /* parameters first: the rows came last */
	Func *nf = ir_rewrite(R, live, &ops, NULL, NULL);
	arena_release(R->A, row_live, (size_t)nrow + 1);
	arena_release(R->A, live, (size_t)n + 1);
	return nf;
}

/* The adjoint of one iteration: parameters t, the invariants; the
 * carries' cotangents, the active invariants' sums; the carries at the
 * start of the iteration, the rows read, the cotangents of the rows
 * written. Results: the carries' cotangents before the iteration, the sums,
 * the cotangents of the rows read. With a plan (plan->res holding the
 * candidates), it reads those residuals from rows, parameters after all
 * the others, and leaves out the rows it does not read (read_rows). */
static Func *iter_adjoint(Func *f, const LoopInfo *I, RowPlan *plan)
{
	Func *B = I->B;
	Arena *A = f->A;
	int ninv = I->ninv, nc = I->nc, nxs = I->nxs, nai = I->nai, nct_y = I->nct_y, off = I->off;
	Func *R = ir_body_new(f, arena_printf(A, "%s_adjoint", B->name));
	R->cur_stmt = -1;
	int np = 1 + ninv + nc + nai + nc + nxs + nct_y;
	int *rp = arena_array(A, (size_t)np + 1, sizeof(int)), q = 0;
	rp[q++] = ir_param(R, pname(B, 0, "t"), DT_I64, 0, NULL, false);
	for (int k = 0; k < ninv; k++)
		rp[q++] = param_like(R, B, B->params.data[1 + k], pname(B, 1 + k, "inv"));
	for (int k = 0; k < nc; k++)
		rp[q++] = param_like(R, B, B->params.data[1 + ninv + k],
		                     arena_printf(A, "d_%s", pname(B, 1 + ninv + k, "carry")));
	for (int k = 0; k < nai; k++)
		rp[q++] = param_like(R, B, B->params.data[1 + I->ai[k]],
		                     arena_printf(A, "d_%s", pname(B, 1 + I->ai[k], "inv")));
	for (int k = 0; k < nc; k++)
		rp[q++] = param_like(R, B, B->params.data[1 + ninv + k], pname(B, 1 + ninv + k, "carry"));
	for (int k = 0; k < nxs; k++)
		rp[q++] = param_like(R, B, B->params.data[1 + ninv + nc + k], pname(B, 1 + ninv + nc + k, "row"));
	for (int j = 0; j < nct_y; j++) {
		const FuncResult *r = &B->results.data[off + nc + I->cy[j]];
		rp[q++] =
		    ir_param(R, arena_printf(A, "d_%s", r->name ? r->name : "row"), r->dt, r->rank, r->shape, false);
	}
	const int *Rinv = rp + 1, *Rct = rp + 1 + ninv, *Racc = Rct + nc, *Rtape = Racc + nai, *Rx = Rtape + nc,
	          *Rcy = Rx + nxs;
	/* the forward body again, from the carries at the start */
	int *bp = arena_array(A, (size_t)B->params.len + 1, sizeof(int));
	bp[0] = rp[0];
	for (int k = 0; k < ninv; k++)
		bp[1 + k] = Rinv[k];
	for (int k = 0; k < nc; k++)
		bp[1 + ninv + k] = Rtape[k];
	for (int k = 0; k < nxs; k++)
		bp[1 + ninv + nc + k] = Rx[k];
	int *bout = arena_array(A, (size_t)B->results.len + 1, sizeof(int));
	int *map = plan ? arena_array(A, (size_t)B->ins.len + 1, sizeof(int)) : NULL;
	inline_body(R, B, bp, bout, map);
	/* its adjoint */
	int nouts = nc + nct_y, nins = nai + nc + I->nax;
	int *outs = arena_array(A, (size_t)nouts + 1, sizeof(int)),
	    *seeds = arena_array(A, (size_t)nouts + 1, sizeof(int));
	for (int k = 0; k < nc; k++)
		outs[k] = bout[off + k], seeds[k] = Rct[k];
	for (int j = 0; j < nct_y; j++)
		outs[nc + j] = bout[off + nc + I->cy[j]], seeds[nc + j] = Rcy[j];
	int *ins = arena_array(A, (size_t)nins + 1, sizeof(int)), *g = arena_array(A, (size_t)nins + 1, sizeof(int));
	for (int k = 0; k < nai; k++)
		ins[k] = Rinv[I->ai[k]];
	for (int k = 0; k < nc; k++)
		ins[nai + k] = Rtape[k];
	for (int k = 0; k < I->nax; k++)
		ins[nai + nc + k] = Rx[I->ax[k]];
	adj_vjp(R, outs, seeds, nouts, ins, nins, NULL, 0, g);
	for (int i = 0; i < nins; i++)
		if (g[i] < 0)
			g[i] = cst(R, ins[i], 0);
	for (int k = 0; k < nc; k++)
		result(R, arena_printf(A, "d_%s_before", pname(B, 1 + ninv + k, "carry")), g[nai + k]);
	for (int k = 0; k < nai; k++)
		result(R, arena_printf(A, "d_%s_sum", pname(B, 1 + I->ai[k], "inv")), add(R, Racc[k], g[k]));
	for (int k = 0; k < I->nax; k++)
		result(R, arena_printf(A, "d_%s", pname(B, 1 + ninv + nc + I->ax[k], "row")), g[nai + nc + k]);
	return plan ? read_rows(R, B, map, Rtape, nc, plan) : R;
}

/* An iteration that does not run: R's parameters; result k is parameter
 * from[k], or zeros of its type where from[k] < 0. */
static Func *skip_body(Func *f, const Func *R, const int *from, const char *name)
{
	Func *P = ir_body_new(f, name);
	P->cur_stmt = -1;
	int np = R->params.len;
	int *pp = arena_array(f->A, (size_t)np + 1, sizeof(int));
	for (int i = 0; i < np; i++)
		pp[i] = param_like(P, R, R->params.data[i], pname(R, i, "x"));
	for (int k = 0; k < R->results.len; k++) {
		const FuncResult *r = &R->results.data[k];
		result(P, r->name, from[k] >= 0 ? pp[from[k]] : ir_fill(P, r->dt, 0.0, r->rank, r->shape));
	}
	return P;
}

/* from[] for skip_body: the first n results the parameters from `lead` on,
 * wrapping around every `period` (a tape row is its carry again); then zeros. */
static int *passing(Arena *A, int nres, int lead, int n, int period)
{
	int *from = arena_array(A, (size_t)nres + 1, sizeof(int));
	for (int k = 0; k < nres; k++)
		from[k] = k < n ? lead + k % period : -1;
	return from;
}

/* A body that runs `core` (whose parameter 0 is t) only where `ran` holds,
 * else the skip body: its own parameters are core's with t replaced by
 * `nlead` leading ones, from which build_t makes t and `ran`. */
typedef void (*TimeFn)(Func *W, const int *lead, const void *ctx, int *t, int *ran);
static Func *guarded(Func *f, Func *core, Func *skip, int nlead, const char *const *lead_names, TimeFn build,
                     const void *ctx)
{
	Func *W = ir_body_new(f, arena_printf(f->A, "%s_guarded", core->name));
	W->cur_stmt = -1;
	int np = core->params.len;
	int *lp = arena_array(f->A, (size_t)nlead + 1, sizeof(int)),
	    *wp = arena_array(f->A, (size_t)np + 1, sizeof(int));
	/* the loop's layout: the counter, the invariants (the extra leading ones
	 * after the first, then core's), the carries and rows */
	lp[0] = ir_param(W, lead_names[0], DT_I64, 0, NULL, false);
	for (int i = 1; i < nlead; i++)
		lp[i] = ir_param(W, lead_names[i], DT_I64, 0, NULL, false);
	for (int i = 1; i < np; i++)
		wp[i] = param_like(W, core, core->params.data[i], pname(core, i, "x"));
	int t, ran;
	build(W, lp, ctx, &t, &ran);
	wp[0] = t;
	int cw = ir_cond(W, ran, wp, np, core, skip);
	for (int k = 0; k < core->results.len; k++)
		result(W, core->results.data[k].name, ir_extract(W, cw, k));
	return W;
}

/* After a break: t is the loop's own; it ran if its index < the count. */
static void break_time(Func *W, const int *lead, const void *ctx, int *t, int *ran)
{
	const LoopInfo *I = ctx;
	*t = lead[0];
	int tf = ir_cast(W, lead[0], DT_F64);
	int idx = dv(W, sub(W, tf, ir_dimval(W, DT_F64, I->start)), ir_scalar(W, DT_F64, (double)I->step));
	if (I->flags & LF_REVERSE)
		idx = sub(W, ir_dimval(W, DT_F64, dim_sub(W->dc, I->trip, dim_const(W->dc, 1))), idx);
	*ran = ir_binary(W, OP_lt, idx, ir_cast(W, lead[1], DT_F64));
}

/* In a segment of K iterations: index i = s * K + j, t from i; it runs if
 * i < T (the last segment may be short). */
typedef struct SegTime {
	const LoopInfo *I;
	int64_t K;
} SegTime;

static void seg_time(Func *W, const int *lead, const void *ctx, int *t, int *ran)
{
	const SegTime *st = ctx;
	const LoopInfo *I = st->I;
	int i = add(W, mul(W, ir_cast(W, lead[1], DT_F64), ir_scalar(W, DT_F64, (double)st->K)),
	            ir_cast(W, lead[0], DT_F64));
	int tf = add(W, ir_dimval(W, DT_F64, I->start), mul(W, i, ir_scalar(W, DT_F64, (double)I->step)));
	*t = ir_cast(W, tf, DT_I64);
	*ran = ir_binary(W, OP_lt, i, ir_dimval(W, DT_F64, I->trip));
}

/* The reverse loop's initial carries: the cotangents of the final carries
 * (zeros where there are none), then zeros for the invariants' sums. */
static int *cotangent_inits(Func *f, const LoopInfo *I, const int *ct)
{
	int *init = arena_array(f->A, (size_t)(I->nc + I->nai) + 1, sizeof(int));
	for (int k = 0; k < I->nc; k++)
		init[k] = ct[k] >= 0 ? ct[k] : cst(f, I->init[k], 0);
	for (int k = 0; k < I->nai; k++)
		init[I->nc + k] = cst(f, I->inv[I->ai[k]], 0);
	return init;
}

/* The carries at the start of the iteration, as rows of T (the tape). */
static void tape_rows(Func *T, const LoopInfo *I)
{
	for (int k = 0; k < I->nc; k++)
		result(T, arena_printf(T->A, "%s_at_t", pname(T, 1 + I->ninv + k, "carry")),
		       T->params.data[1 + I->ninv + k]);
}

/* The forward body with the given results: its carries' next values, and
 * with `tape`, the carries at the start as well. */
static Func *carry_body(Func *f, const LoopInfo *I, bool tape)
{
	Func *T = ir_clone(I->B);
	T->name = arena_printf(f->A, "%s_%s", I->B->name, tape ? "tape" : "carry");
	FuncResult *keep = arena_array(f->A, (size_t)I->nc + 1, sizeof *keep);
	for (int k = 0; k < I->nc; k++)
		keep[k] = T->results.data[I->off + k];
	T->results.len = 0;
	for (int k = 0; k < I->nc; k++)
		VEC_PUSH(T->A, T->results, keep[k]);
	if (tape)
		tape_rows(T, I);
	return T;
}

/* A stack of T rows as nseg blocks of K rows (zero rows after the last). */
static int blocks_of(Func *f, int x, const Dim *T, const Dim *nseg, int64_t K)
{
	const Inst *in = ir_inst(f, x);
	DimCtx *dc = f->dc;
	const Dim *P = dim_mul(dc, nseg, dim_const(dc, K));
	int padded = x;
	if (P != T) {
		const Dim *shape[IR_MAX_RANK + 1];
		shape[0] = dim_sub(dc, P, T);
		for (int i = 1; i < in->rank; i++)
			shape[i] = in->shape[i];
		int z = ir_fill(f, in->dt, 0.0, in->rank, shape);
		int parts[2] = {x, z};
		padded = ir_concat(f, parts, 2, 0);
	}
	const Dim *bs[IR_MAX_RANK + 1];
	bs[0] = nseg;
	bs[1] = dim_const(dc, K);
	for (int i = 1; i < in->rank; i++)
		bs[i + 1] = in->shape[i];
	return ir_reshape(f, padded, in->rank + 1, bs);
}

/* The first T rows of nseg blocks of K rows. */
static int unblock(Func *f, int b, const Dim *T)
{
	const Inst *in = ir_inst(f, b);
	DimCtx *dc = f->dc;
	const Dim *shape[IR_MAX_RANK], *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	shape[0] = dim_mul(dc, in->shape[0], in->shape[1]);
	for (int i = 2; i < in->rank; i++)
		shape[i - 1] = in->shape[i];
	int flat = ir_reshape(f, b, in->rank - 1, shape);
	for (int i = 0; i < in->rank - 1; i++) {
		starts[i] = dim_const(dc, 0);
		steps[i] = 1;
		lens[i] = shape[i];
	}
	lens[0] = T;
	return shape[0] == T ? flat : ir_slice(f, flat, starts, steps, lens);
}

/* The inner loop over a segment's K iterations, in body S: invariants s
 * and inv, carries from init, rows the blocks. */
static int segment_loop(Func *S, int64_t K, Func *body, int s, const int *inv, int ninv, const int *init, int ninit,
                        const int *rows, int nrows, unsigned flags)
{
	int *iv = arena_array(S->A, (size_t)ninv + 2, sizeof(int));
	iv[0] = s;
	for (int k = 0; k < ninv; k++)
		iv[1 + k] = inv[k];
	return ir_loop(S, dim_const(S->dc, 0), dim_const(S->dc, K), 1, flags, 0, iv, ninv + 1, init, ninit, rows, nrows,
	               body);
}

/* The checkpointed adjoint: the carries kept every K iterations by a
 * forward loop over segments; a reverse loop over segments that runs each
 * segment again into a K-row tape, then backwards over it. Memory: T/K
 * checkpoints and one segment's tape instead of T carries. */
static void loop_adjoint(Func *f, int v, const int *ct, const bool *act, int *c, bool residuals);

/* Rows [from, from + len) of x (a view where x is stored). */
static int rows_of(Func *f, int x, const Dim *from, const Dim *len)
{
	const Inst *in = ir_inst(f, x);
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int i = 0; i < in->rank; i++) {
		starts[i] = i ? dim_const(f->dc, 0) : from;
		lens[i] = i ? in->shape[i] : len;
		steps[i] = 1;
	}
	return ir_slice(f, x, starts, steps, lens);
}

static void loop_adjoint_ckpt(Func *f, const LoopInfo *I0, int64_t K, const int *ct0, const bool *act, int *c)
{
	Arena *A = f->A;
	DimCtx *dc = f->dc;
	int ninv = I0->ninv, nc = I0->nc, nxs = I0->nxs, nai = I0->nai, nct_y = I0->nct_y;
	/* whole segments: the first P = K floor(T / K) iterations; the last
	 * T - P (a tail shorter than a segment) are a plain loop of their own,
	 * so the rows read are views of whole blocks, never padded copies */
	const Dim *nseg = dim_div(dc, I0->trip, dim_const(dc, K)), *T = dim_mul(dc, nseg, dim_const(dc, K));
	bool tail = T != I0->trip;
	/* the tail: rest = trip - T iterations from tail_start (its loop stops
	 * after them, so that it counts them as rest) */
	const Dim *tail_start = dim_add(dc, I0->start, dim_mul(dc, T, dim_const(dc, I0->step)));
	const Dim *rest = dim_sub(dc, I0->trip, T);
	const Dim *tail_stop = dim_add(dc, tail_start, dim_mul(dc, rest, dim_const(dc, I0->step)));
	LoopInfo H = *I0;
	const LoopInfo *I = &H;
	int *ct = arena_array(A, (size_t)(nc + I0->nys) + 1, sizeof(int));
	memcpy(ct, ct0, (size_t)(nc + I0->nys) * sizeof(int));
	if (tail) {
		int *xs = arena_array(A, (size_t)nxs + 1, sizeof(int));
		for (int k = 0; k < nxs; k++)
			xs[k] = rows_of(f, I0->xs[k], dim_const(dc, 0), T);
		H.xs = xs;
		H.trip = T;
		for (int j = 0; j < nct_y; j++)
			ct[nc + I0->cy[j]] = rows_of(f, ct0[nc + I0->cy[j]], dim_const(dc, 0), T);
	}
	static const char *const lead[2] = {"j", "segment"};
	SegTime st = {I, K};
	/* the rows read, as blocks of K */
	int *xb = arena_array(A, (size_t)nxs + 1, sizeof(int)), *yb = arena_array(A, (size_t)nct_y + 1, sizeof(int));
	for (int k = 0; k < nxs; k++)
		xb[k] = blocks_of(f, I->xs[k], T, nseg, K);
	for (int j = 0; j < nct_y; j++)
		yb[j] = blocks_of(f, ct[nc + I->cy[j]], T, nseg, K);
	/* one iteration forward (nothing after the end): the next carries, and
	 * with the tape the carries at the start */
	Func *fw[2], *G[2];
	for (int tp = 0; tp < 2; tp++) {
		fw[tp] = carry_body(f, I, tp);
		/* after the end: the carries unchanged (and a tape row, its carry) */
		int nr = fw[tp]->results.len;
		Func *skip = skip_body(f, fw[tp], passing(A, nr, 1 + ninv, nr, nc), "after_the_end");
		G[tp] = guarded(f, fw[tp], skip, 2, lead, seg_time, &st);
	}
	/* the checkpoints: a loop over segments, each a loop over K iterations */
	Func *S1 = ir_body_new(f, arena_printf(A, "%s_segment", I->B->name));
	S1->cur_stmt = -1;
	int s1 = ir_param(S1, "segment", DT_I64, 0, NULL, false);
	int *p1 = arena_array(A, (size_t)(ninv + nc + nxs) + 1, sizeof(int));
	for (int k = 0; k < ninv; k++)
		p1[k] = param_like(S1, f, I->inv[k], pname(I->B, 1 + k, "inv"));
	for (int k = 0; k < nc; k++)
		p1[ninv + k] = param_like(S1, f, I->init[k], pname(I->B, 1 + ninv + k, "carry"));
	for (int k = 0; k < nxs; k++)
		p1[ninv + nc + k] = ir_param(S1, pname(I->B, 1 + ninv + nc + k, "rows"), ir_inst(f, xb[k])->dt,
		                             ir_inst(f, xb[k])->rank - 1, ir_inst(f, xb[k])->shape + 1, false);
	int in1 = segment_loop(S1, K, G[0], s1, p1, ninv, p1 + ninv, nc, p1 + ninv + nc, nxs, 0);
	for (int k = 0; k < nc; k++)
		result(S1, pname(I->B, 1 + ninv + k, "carry"), ir_extract(S1, in1, k));
	for (int k = 0; k < nc; k++)
		result(S1, arena_printf(A, "checkpoint_%s", pname(I->B, 1 + ninv + k, "carry")), p1[ninv + k]);
	int LC = ir_loop(f, dim_const(dc, 0), nseg, 1, 0, 0, I->inv, ninv, I->init, nc, xb, nxs, S1);
	int *ck = arena_array(A, (size_t)nc + 1, sizeof(int));
	for (int k = 0; k < nc; k++) {
		ck[k] = ir_extract(f, LC, nc + k);
		ir_inst(f, ck[k])->name = arena_printf(A, "checkpoints_%s", pname(I->B, 1 + ninv + k, "carry"));
	}
	/* the tail, from the carries after the segments: differentiated as a
	 * loop of its own, its carries' cotangents are the segments' */
	int *tc = NULL;
	if (tail) {
		int *init = arena_array(A, (size_t)nc + 1, sizeof(int)),
		    *xs = arena_array(A, (size_t)nxs + 1, sizeof(int));
		for (int k = 0; k < nc; k++)
			init[k] = ir_extract(f, LC, k);
		for (int k = 0; k < nxs; k++)
			xs[k] = rows_of(f, I0->xs[k], T, rest);
		int Lt =
		    ir_loop(f, tail_start, tail_stop, I0->step, I0->flags, 0, I0->inv, ninv, init, nc, xs, nxs, I0->B);
		int na = ninv + nc + nxs;
		int *tct = arena_array(A, (size_t)(nc + I0->nys) + 1, sizeof(int));
		bool *tact = arena_array(A, (size_t)na + 1, sizeof(bool));
		tc = arena_array(A, (size_t)na + 1, sizeof(int));
		for (int k = 0; k < nc + I0->nys; k++)
			tct[k] = k < nc || ct0[k] < 0 ? ct0[k] : rows_of(f, ct0[k], T, rest);
		for (int k = 0; k < na; k++) {
			tact[k] = act[k] || (k >= ninv && k < ninv + nc);
			tc[k] = -1;
		}
		loop_adjoint(f, Lt, tct, tact, tc, false); /* taping only the carries, as the segments do */
		for (int k = 0; k < nc; k++)
			ct[k] = tc[ninv + k];
	}
	/* one iteration backwards, nothing after the end */
	Func *R = iter_adjoint(f, I, NULL);
	Func *Rskip =
	    skip_body(f, R, passing(A, R->results.len, 1 + ninv, nc + nai, nc + nai), "after_the_end_adjoint");
	Func *V = guarded(f, R, Rskip, 2, lead, seg_time, &st);
	/* a segment backwards: its tape again, then the reverse loop over it */
	Func *S2 = ir_body_new(f, arena_printf(A, "%s_segment_adjoint", I->B->name));
	S2->cur_stmt = -1;
	int s2 = ir_param(S2, "segment", DT_I64, 0, NULL, false);
	int n2 = ninv + nc + nai + nc + nxs + nct_y;
	int *p2 = arena_array(A, (size_t)n2 + 1, sizeof(int));
	int q = 0;
	for (int k = 0; k < ninv; k++)
		p2[q++] = param_like(S2, f, I->inv[k], pname(I->B, 1 + k, "inv"));
	for (int k = 0; k < nc + nai; k++)
		p2[q++] = param_like(S2, R, R->params.data[1 + ninv + k], pname(R, 1 + ninv + k, "d"));
	for (int k = 0; k < nc; k++)
		p2[q++] =
		    param_like(S2, f, I->init[k], arena_printf(A, "checkpoint_%s", pname(I->B, 1 + ninv + k, "carry")));
	for (int k = 0; k < nxs; k++)
		p2[q++] = ir_param(S2, pname(I->B, 1 + ninv + nc + k, "rows"), ir_inst(f, xb[k])->dt,
		                   ir_inst(f, xb[k])->rank - 1, ir_inst(f, xb[k])->shape + 1, false);
	for (int j = 0; j < nct_y; j++)
		p2[q++] = ir_param(S2, "d_rows", ir_inst(f, yb[j])->dt, ir_inst(f, yb[j])->rank - 1,
		                   ir_inst(f, yb[j])->shape + 1, false);
	const int *P2inv = p2, *P2d = p2 + ninv, *P2ck = P2d + nc + nai, *P2x = P2ck + nc, *P2y = P2x + nxs;
	int tl = segment_loop(S2, K, G[1], s2, P2inv, ninv, P2ck, nc, P2x, nxs, 0);
	int nrows3 = nc + nxs + nct_y;
	int *rows3 = arena_array(A, (size_t)nrows3 + 1, sizeof(int));
	for (int k = 0; k < nc; k++) {
		rows3[k] = ir_extract(S2, tl, nc + k);
		ir_inst(S2, rows3[k])->name = arena_printf(A, "segment_tape_%s", pname(I->B, 1 + ninv + k, "carry"));
	}
	for (int k = 0; k < nxs; k++)
		rows3[nc + k] = P2x[k];
	for (int j = 0; j < nct_y; j++)
		rows3[nc + nxs + j] = P2y[j];
	int rl = segment_loop(S2, K, V, s2, P2inv, ninv, P2d, nc + nai, rows3, nrows3, LF_REVERSE);
	for (int k = 0; k < R->results.len; k++)
		result(S2, R->results.data[k].name, ir_extract(S2, rl, k));
	/* the reverse loop over segments */
	int ncarry2 = nc + nai, nxs2 = nc + nxs + nct_y;
	int *init2 = cotangent_inits(f, I, ct), *xs2 = arena_array(A, (size_t)nxs2 + 1, sizeof(int));
	for (int k = 0; k < nc; k++)
		xs2[k] = ck[k];
	for (int k = 0; k < nxs; k++)
		xs2[nc + k] = xb[k];
	for (int j = 0; j < nct_y; j++)
		xs2[nc + nxs + j] = yb[j];
	int RL = ir_loop(f, dim_const(dc, 0), nseg, 1, LF_REVERSE, 0, I->inv, ninv, init2, ncarry2, xs2, nxs2, S2);
	for (int k = 0; k < nc; k++)
		if (act[ninv + k])
			c[ninv + k] = ir_extract(f, RL, k);
	for (int k = 0; k < nai; k++) {
		int a = I->ai[k];
		c[a] = ir_extract(f, RL, nc + k);
		if (tail && tc[a] >= 0)
			c[a] = add(f, c[a], tc[a]);
	}
	for (int k = 0; k < I->nax; k++) {
		int a = ninv + nc + I->ax[k];
		c[a] = unblock(f, ir_extract(f, RL, nc + nai + k), T);
		if (tail) { /* the segments' rows, then the tail's */
			int parts[2] = {c[a], tc[a] >= 0 ? tc[a] : cst(f, rows_of(f, I0->xs[I->ax[k]], T, rest), 0)};
			c[a] = ir_concat(f, parts, 2, 0);
		}
	}
}

/* The cotangents of a loop's or cond's results: ct[k] (-1: none). */
/* A loop's adjoint; `residuals`: keep the body's costly values as rows
 * rather than compute them again going back (not for the tail of a
 * checkpointed loop, whose point is memory). */
static void loop_adjoint(Func *f, int v, const int *ct, const bool *act, int *c, bool residuals)
{
	const Inst *in = ir_inst(f, v);
	Arena *A = f->A;
	LoopInfo I;
	I.B = in->bodies[0];
	I.ninv = (int)in->ints[LOOP_NINV], I.nc = (int)in->ints[LOOP_NCARRY], I.nxs = (int)in->ints[LOOP_NXS];
	I.flags = (unsigned)in->ints[LOOP_FLAGS];
	I.brk = I.flags & LF_BREAK;
	I.off = I.brk ? 1 : 0;
	I.nys = I.B->results.len - I.off - I.nc;
	I.step = in->ints[LOOP_STEP];
	I.start = in->dims[0], I.stop = in->dims[1];
	I.trip = ir_trip_count(f->dc, I.start, I.stop, I.step);
	I.inv = in->args, I.init = in->args + I.ninv, I.xs = in->args + I.ninv + I.nc;
	I.ai = arena_array(A, (size_t)I.ninv + 1, sizeof(int));
	I.cy = arena_array(A, (size_t)I.nys + 1, sizeof(int));
	I.nai = I.nct_y = 0;
	for (int k = 0; k < I.ninv; k++)
		if (act[k])
			I.ai[I.nai++] = k;
	for (int j = 0; j < I.nys; j++)
		if (ct[I.nc + j] >= 0)
			I.cy[I.nct_y++] = j;
	I.ax = arena_array(A, (size_t)I.nxs + 1, sizeof(int));
	I.nax = 0;
	for (int k = 0; k < I.nxs; k++)
		if (act[I.ninv + I.nc + k])
			I.ax[I.nax++] = k;
	int ninv = I.ninv, nc = I.nc, nxs = I.nxs, nys = I.nys, nai = I.nai, nct_y = I.nct_y;
	/* checkpointing: K iterations a segment (true: near sqrt(T)); not with
	 * a break or a loop that runs backwards */
	int64_t ck = in->ints[LOOP_CKPT], T;
	bool tconst = dim_is_const(I.trip, &T);
	if (ck < 0)
		ck = tconst ? (int64_t)ceil(sqrt((double)T)) : 64;
	if (ck > 0 && nc > 0 && !I.brk && !(I.flags & LF_REVERSE) && !(tconst && ck >= T)) {
		loop_adjoint_ckpt(f, &I, ck, ct, act, c);
		return;
	}
	/* one iteration backwards, reading what it can from rows */
	RowPlan plan = {arena_array(A, (size_t)nc + 1, sizeof(bool)),
	                arena_array(A, (size_t)I.B->ins.len + 1, sizeof(int)), 0};
	plan.nres = residuals ? costly_values(I.B, ninv, nc, plan.res) : 0;
	Func *R = iter_adjoint(f, &I, &plan), *body = R;
	/* the tape: the loop itself keeps, as extra rows (results of its body
	 * after its own), the carries at the start of each iteration that
	 * going back reads and the residuals, so the values and the tape come
	 * from one run of the loop; its other results stay where they were. A
	 * row an earlier derivative of the loop added is used again. */
	int ntape = 0, *taped = arena_array(A, (size_t)(nc + plan.nres) + 1, sizeof(int));
	const char **tname = arena_array(A, (size_t)(nc + plan.nres) + 1, sizeof(char *));
	for (int k = 0; k < nc; k++)
		if (plan.needed[k]) {
			taped[ntape] = I.B->params.data[1 + ninv + k];
			tname[ntape++] = pname(I.B, 1 + ninv + k, "carry");
		}
	for (int j = 0; j < plan.nres; j++) {
		const Inst *u = ir_inst(I.B, plan.res[j]);
		taped[ntape] = plan.res[j];
		tname[ntape++] = u->name ? u->name : op_info[u->op].name;
	}
	int *tape = arena_array(A, (size_t)ntape + 1, sizeof(int)), count = -1;
	if (ntape > 0 || I.brk) {
		Func *Tb = I.B;
		int *row = arena_array(A, (size_t)ntape + 1, sizeof(int));
		for (int k = 0; k < ntape; k++) {
			row[k] = -1;
			for (int j = 0; j < nys && row[k] < 0; j++)
				if (I.B->results.data[I.off + nc + j].value == taped[k])
					row[k] = nc + j;
			if (row[k] < 0) {
				if (Tb == I.B) {
					Tb = ir_clone(I.B);
					Tb->name = arena_printf(A, "%s_tape", I.B->name);
				}
				row[k] = Tb->results.len - I.off;
				result(Tb, arena_printf(A, "%s_at_t", tname[k]), taped[k]);
			}
		}
		if (Tb != I.B) {
			Func **bodies = arena_array(A, 1, sizeof *bodies); /* a clone of f shares the old array */
			bodies[0] = Tb;
			ir_inst(f, v)->bodies = bodies;
			/* the count comes after the results: an earlier derivative's
			 * extract of it moves past the rows just added */
			int64_t was = I.B->results.len - I.off, now = Tb->results.len - I.off;
			for (int u = v + 1; I.brk && u < f->ins.len; u++)
				if (ir_inst(f, u)->op == OP_extract && ir_inst(f, u)->args[0] == v &&
				    ir_inst(f, u)->ints[0] == was) {
					int64_t *index =
					    arena_alloc(A, sizeof *index); /* (a clone shares the old one) */
					*index = now;
					ir_inst(f, u)->ints = index;
				}
		}
		for (int k = 0; k < ntape; k++) {
			tape[k] = -1; /* a row an earlier derivative extracted: the same value */
			for (int u = v + 1; u < f->ins.len && tape[k] < 0; u++)
				if (ir_inst(f, u)->op == OP_extract && ir_inst(f, u)->args[0] == v &&
				    ir_inst(f, u)->ints[0] == row[k])
					tape[k] = u;
			if (tape[k] < 0) {
				tape[k] = ir_extract(f, v, row[k]);
				ir_inst(f, tape[k])->name = arena_printf(A, "tape_%s", tname[k]);
			}
		}
		if (I.brk)
			count = ir_extract(f, v, Tb->results.len - I.off);
	}
	if (I.brk) {
		/* only the iterations that ran: iteration index < count */
		static const char *const lead[2] = {"t", "iterations"};
		Func *P = skip_body(f, R, passing(A, R->results.len, 1 + ninv, nc + nai, nc + nai),
		                    arena_printf(A, "%s_skipped", I.B->name));
		body = guarded(f, R, P, 2, lead, break_time, &I);
	}
	/* the reverse loop: invariants (and the count), the cotangents, the rows */
	int ninv2 = ninv + (I.brk ? 1 : 0), ncarry2 = nc + nai, nxs2 = nc + nxs + nct_y;
	int *inv2 = arena_array(A, (size_t)ninv2 + 1, sizeof(int)), *init2 = cotangent_inits(f, &I, ct);
	int *xs2 = arena_array(A, (size_t)nxs2 + 1, sizeof(int));
	int q = 0;
	if (I.brk)
		inv2[q++] = count;
	for (int k = 0; k < ninv; k++)
		inv2[q++] = I.inv[k];
	int ncarried = ntape - plan.nres;
	nxs2 = ntape + nxs + nct_y;
	xs2 = arena_array(A, (size_t)nxs2 + 1, sizeof(int));
	nxs2 = 0;
	for (int k = 0; k < ncarried; k++)
		xs2[nxs2++] = tape[k];
	for (int k = 0; k < nxs; k++)
		xs2[nxs2++] = I.xs[k];
	for (int j = 0; j < nct_y; j++)
		xs2[nxs2++] = ct[nc + I.cy[j]];
	for (int j = 0; j < plan.nres; j++)
		xs2[nxs2++] = tape[ncarried + j];
	int RL = ir_loop(f, I.start, I.stop, I.step, I.flags & LF_REVERSE ? 0 : LF_REVERSE, 0, inv2, ninv2, init2,
	                 ncarry2, xs2, nxs2, body);
	for (int k = 0; k < nc; k++)
		if (act[ninv + k])
			c[ninv + k] = ir_extract(f, RL, k);
	for (int k = 0; k < nai; k++)
		c[I.ai[k]] = ir_extract(f, RL, nc + k);
	for (int k = 0; k < I.nax; k++)
		c[ninv + nc + I.ax[k]] = ir_extract(f, RL, nc + nai + k);
}

static void r_loop(Func *f, int v, const int *ct, const bool *act, int *c)
{
	loop_adjoint(f, v, ct, act, c, true);
}

static void r_cond(Func *f, int v, const int *ct, const bool *act, int *c)
{
	const Inst *in = ir_inst(f, v);
	int nops = in->nargs - 1, nres = in->bodies[0]->results.len;
	Arena *A = f->A;
	int nai = 0, nct = 0;
	int *ai = arena_array(A, (size_t)nops + 1, sizeof(int)), *cr = arena_array(A, (size_t)nres + 1, sizeof(int));
	for (int k = 0; k < nops; k++)
		if (act[1 + k])
			ai[nai++] = k;
	for (int r = 0; r < nres; r++)
		if (ct[r] >= 0)
			cr[nct++] = r;
	Func *R[2];
	for (int b = 0; b < 2; b++) {
		Func *B = in->bodies[b];
		R[b] = ir_body_new(f, arena_printf(A, "%s_adjoint", B->name));
		R[b]->cur_stmt = -1;
		int *p = arena_array(A, (size_t)(nops + nct) + 1, sizeof(int));
		for (int k = 0; k < nops; k++)
			p[k] = param_like(R[b], B, B->params.data[k], pname(B, k, "x"));
		for (int j = 0; j < nct; j++) {
			const FuncResult *r = &B->results.data[cr[j]];
			p[nops + j] = ir_param(R[b], arena_printf(A, "d_%s", r->name ? r->name : "r"), r->dt, r->rank,
			                       r->shape, false);
		}
		int *out = arena_array(A, (size_t)nres + 1, sizeof(int));
		inline_body(R[b], B, p, out, NULL);
		int *outs = arena_array(A, (size_t)nct + 1, sizeof(int)),
		    *ins = arena_array(A, (size_t)nai + 1, sizeof(int));
		int *g = arena_array(A, (size_t)nai + 1, sizeof(int));
		for (int j = 0; j < nct; j++)
			outs[j] = out[cr[j]];
		for (int k = 0; k < nai; k++)
			ins[k] = p[ai[k]];
		adj_vjp(R[b], outs, p + nops, nct, ins, nai, NULL, 0, g);
		for (int k = 0; k < nai; k++)
			result(R[b], arena_printf(A, "d_%s", pname(B, ai[k], "x")),
			       g[k] >= 0 ? g[k] : cst(R[b], ins[k], 0));
	}
	int *ops = arena_array(A, (size_t)(nops + nct) + 1, sizeof(int));
	for (int k = 0; k < nops; k++)
		ops[k] = in->args[1 + k];
	for (int j = 0; j < nct; j++)
		ops[nops + j] = ct[cr[j]];
	int c2 = ir_cond(f, in->args[0], ops, nops + nct, R[0], R[1]);
	for (int k = 0; k < nai; k++)
		c[1 + ai[k]] = ir_extract(f, c2, k);
}

/* ---------------------------------------------------------------- the pass */

bool *adj_depends(const Func *f, const int *outs, int nout, const int *blocked, int nblocked)
{
	int n = f->ins.len;
	bool *blk = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	bool *reach = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < nblocked; i++)
		blk[blocked[i]] = true;
	for (int i = 0; i < nout; i++)
		reach[outs[i]] = true;
	for (int v = n - 1; v >= 0; v--) {
		if (!reach[v] || blk[v])
			continue;
		const Inst *in = ir_inst(f, v);
		for (int k = 0; k < in->nargs; k++)
			if (!ir_cuts_arg(f, in, k))
				reach[in->args[k]] = true;
	}
	for (int v = 0; v < n; v++)
		if (blk[v])
			reach[v] = false;
	return reach;
}

/* A loop's or cond's rule, its contributions added to its operands'. */
static void ctrl_adjoint(Func *f, int v, const int *ct, const bool *act, int *adj)
{
	const Inst *in = ir_inst(f, v);
	int n = in->nargs;
	bool *a = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	int *c = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int k = 0; k < n; k++) {
		a[k] = act[in->args[k]] && !ir_cuts_arg(f, in, k);
		c[k] = -1;
	}
	if (in->op == OP_loop)
		r_loop(f, v, ct, a, c);
	else
		r_cond(f, v, ct, a, c);
	for (int k = 0; k < n; k++) {
		if (!a[k] || c[k] < 0)
			continue;
		int x = ir_inst(f, v)->args[k];
		adj[x] = adj[x] < 0 ? c[k] : add(f, adj[x], c[k]);
	}
}

void adj_vjp(Func *f, const int *outs, const int *seeds, int nout, const int *ins, int nin, const int *blocked,
             int nblocked, int *grads)
{
	int n = f->ins.len;
	bool *bwd = adj_depends(f, outs, nout, blocked, nblocked);
	bool *blk = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < nblocked; i++)
		blk[blocked[i]] = true;
	/* active: depends on an input and some output depends on it */
	bool *act = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < nin; i++)
		act[ins[i]] = bwd[ins[i]];
	int lo = n;
	for (int i = 0; i < nin; i++)
		if (ins[i] < lo)
			lo = ins[i];
	for (int v = lo; v < n; v++) {
		if (act[v] || !bwd[v] || blk[v])
			continue;
		const Inst *in = ir_inst(f, v);
		for (int k = 0; k < in->nargs && !act[v]; k++)
			act[v] = act[in->args[k]] && !ir_cuts_arg(f, in, k);
	}
	for (int v = lo; v < n; v++) /* integers (loop counters) have no derivative */
		if (act[v] && dtype_is_int(ir_inst(f, v)->dt))
			act[v] = false;
	int *adj = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++)
		adj[v] = -1;
	int **tadj = arena_array(f->A, (size_t)n + 1, sizeof(int *)); /* per result of a loop or cond */
	for (int i = 0; i < nout; i++) {
		int o = outs[i];
		if (!act[o])
			continue;
		adj[o] = adj[o] < 0 ? seeds[i] : add(f, adj[o], seeds[i]);
	}
	for (int v = n - 1; v >= lo; v--) {
		const Inst *iv = ir_inst(f, v);
		if (act[v] && (iv->op == OP_loop || iv->op == OP_cond) && tadj[v]) {
			ctrl_adjoint(f, v, tadj[v], act, adj);
			continue;
		}
		if (!act[v] || adj[v] < 0)
			continue;
		if (iv->op == OP_extract) {
			int L = iv->args[0], k = (int)iv->ints[0];
			if (!tadj[L]) {
				int nr = ir_nresults(f, L);
				tadj[L] = arena_array(f->A, (size_t)nr + 1, sizeof(int));
				for (int r = 0; r < nr; r++)
					tadj[L][r] = -1;
			}
			tadj[L][k] = tadj[L][k] < 0 ? adj[v] : add(f, tadj[L][k], adj[v]);
			continue;
		}
		Inst in = *iv;
		/* the adjoint of a named value is complete here: name it d_NAME */
		if (in.name && !ir_inst(f, adj[v])->name && adj[v] >= n)
			ir_inst(f, adj[v])->name = arena_printf(f->A, "d_%s", in.name);
		bool a[64];
		int c[64];
		bool any = false;
		if (in.nargs > 64)
			ICE("%s with %d operands", op_info[in.op].name, in.nargs);
		for (int k = 0; k < in.nargs; k++) {
			a[k] = act[in.args[k]] && !ir_cuts_arg(f, &in, k);
			c[k] = -1;
			any = any || a[k];
		}
		if (!any)
			continue;
		Rule rule = rule_of(in.op);
		if (!rule)
			ICE("no adjoint rule for the op '%s'", op_info[in.op].name);
		rule(f, v, adj[v], a, c);
		for (int k = 0; k < in.nargs; k++) {
			if (!a[k] || c[k] < 0)
				continue;
			if (!ir_inst(f, c[k])->note)
				ir_inst(f, c[k])->note = adjoint_note[in.op];
			int x = in.args[k];
			adj[x] = adj[x] < 0 ? c[k] : add(f, adj[x], c[k]);
		}
	}
	for (int i = 0; i < nin; i++) {
		int x = ins[i];
		if (!bwd[x]) {
			grads[i] = -1;
			continue;
		}
		if (adj[x] < 0) { /* used, with a zero derivative */
			const Inst *xi = ir_inst(f, x);
			adj[x] = ir_fill(f, xi->dt, 0.0, xi->rank, xi->shape);
		}
		grads[i] = adj[x];
	}
}

/* ---------------------------------------------------------------- whole functions */

void adj_vjp_info(const Func *f, VjpInfo *info)
{
	int nr = f->results.len, np = f->params.len;
	info->seed_result = arena_array(f->A, (size_t)nr + 1, sizeof(int));
	info->grad_param = arena_array(f->A, (size_t)np + 1, sizeof(int));
	info->nseeds = info->ngrads = 0;
	for (int r = 0; r < nr; r++)
		if (f->results.data[r].value >= 0)
			info->seed_result[info->nseeds++] = r;
	for (int p = 0; p < np; p++)
		if (!(ir_inst(f, f->params.data[p])->flags & IF_NOGRAD))
			info->grad_param[info->ngrads++] = p;
	info->depends = arena_array(f->A, (size_t)(nr * np) + 1, sizeof(bool));
	for (int r = 0; r < nr; r++) {
		int v = f->results.data[r].value;
		if (v < 0)
			continue;
		bool *dep = adj_depends(f, &v, 1, NULL, 0);
		for (int p = 0; p < np; p++)
			info->depends[r * np + p] = dep[f->params.data[p]];
	}
}

Func *adj_vjp_function(const Func *f, VjpInfo *info)
{
	VjpInfo own;
	if (!info)
		info = &own;
	adj_vjp_info(f, info);
	Func *nf = ir_clone(f);
	nf->name = arena_printf(f->A, "%s_vjp", f->name);
	int ns = info->nseeds, ni = info->ngrads;
	int *outs = arena_array(f->A, (size_t)ns + 1, sizeof(int));
	int *seeds = arena_array(f->A, (size_t)ns + 1, sizeof(int));
	nf->cur_loc = f->loc;
	for (int s = 0; s < ns; s++) {
		const FuncResult *fr = &f->results.data[info->seed_result[s]];
		seeds[s] = ir_param(nf, arena_printf(f->A, "seed_%s", fr->name), fr->dt, fr->rank, fr->shape, true);
		outs[s] = fr->value;
	}
	int *ins = arena_array(f->A, (size_t)ni + 1, sizeof(int));
	for (int i = 0; i < ni; i++)
		ins[i] = f->params.data[info->grad_param[i]];
	int *g = arena_array(f->A, (size_t)ni + 1, sizeof(int));
	adj_vjp(nf, outs, seeds, ns, ins, ni, NULL, 0, g);
	for (int i = 0; i < ni; i++) {
		const Inst *p = ir_inst(nf, ins[i]);
		FuncResult r = {arena_printf(f->A, "grad_%s", p->name), g[i], p->dt, p->rank, p->shape};
		VEC_PUSH(nf->A, nf->results, r);
	}
	return nf;
}
