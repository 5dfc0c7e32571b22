/* lower_grad.c: grad, backward, clear_grad and .grad, expanded on the spot
 * by the adjoint pass over the IR built so far (docs/derivatives.md). */
#include "lower_int.h"

#include <string.h>

#include "adjoint.h"
#include "tangent.h"

/* ---------------------------------------------------------------- gradients */

/* Seeds for `outs`: a given tensor (converted to the output's dtype, shape
 * checked) or ones of the output's shape for none. */
static bool make_seeds(Lower *L, const Ast *where, Val *outs, int nout, const Ast *seeds_ast, int *seeds,
                       const char *what)
{
	Val *given = NULL;
	bool is_list = true;
	int ng = 0;
	if (seeds_ast && seeds_ast->kind != AST_NONE) {
		ng = lw_tensor_list(L, seeds_ast, &given, true, &is_list, what);
		if (ng < 0)
			return false;
		if (ng != nout) {
			/* [1, 0, 0] for one output: the numbers were meant as one seed */
			bool numbers = nout == 1 && ng > 1 && is_list;
			for (int i = 0; numbers && i < ng; i++)
				numbers = given[i].kind == V_TENSOR && lw_inst(L, given[i].id)->rank == 0;
			lw_err(L, seeds_ast->loc, "%s has %d entr%s but there %s %d output%s%s", what, ng,
			       ng == 1 ? "y" : "ies", nout == 1 ? "is" : "are", nout, nout == 1 ? "" : "s",
			       numbers ? arena_printf(L->A,
			                              "; the list holds one seed per output: write one seed as %s=[%s]",
			                              what, lw_text_of(L, seeds_ast))
			               : "");
			return false;
		}
	}
	for (int i = 0; i < nout; i++) {
		const Inst *o = lw_inst(L, outs[i].id);
		if (!given || given[i].kind == V_NONE) {
			int s = ir_fill(L->f, o->dt, 1.0, o->rank, o->shape);
			lw_inst(L, s)->note = "seed of ones";
			seeds[i] = s;
			continue;
		}
		Val g = given[i];
		const Inst *gi = lw_inst(L, g.id);
		const Ast *loc = is_list ? seeds_ast->list.items[i] : seeds_ast;
		if (!g.weak && gi->dt != o->dt) {
			lw_err(L, loc->loc, "the seed %s for an output of type %s has another dtype", lw_type_str(L, g),
			       lw_type_str(L, outs[i]));
			return false;
		}
		bool same = gi->rank == o->rank;
		for (int k = 0; same && k < o->rank; k++)
			same = gi->shape[k] == o->shape[k];
		if (!same) {
			lw_err(L, loc->loc, "the seed %s does not match the shape of its output %s", lw_type_str(L, g),
			       lw_type_str(L, outs[i]));
			return false;
		}
		seeds[i] = g.weak ? lw_as_dtype(L, g, o->dt) : g.id;
	}
	(void)where;
	return true;
}

static bool check_differentiable(Lower *L, const Ast *at, Val v)
{
	const Inst *in = lw_inst(L, v.id);
	if (v.weak) {
		lw_err(L, at->loc,
		       "cannot differentiate with respect to the literal '%s'; give it a dtype with f32(...) "
		       "or f64(...)",
		       lw_text_of(L, at));
		return false;
	}
	if (in->op == OP_param && (in->flags & IF_NOGRAD)) {
		lw_err(L, at->loc, "cannot differentiate with respect to '%s': it is a nograd parameter",
		       lw_text_of(L, at));
		return false;
	}
	if (in->op == OP_detach) {
		lw_err(L, at->loc,
		       "cannot differentiate with respect to '%s': it is detached (by detach/stop_gradient, a nograd "
		       "parameter, or grad with create_graph=false)",
		       lw_text_of(L, at));
		return false;
	}
	return true;
}

/* What a derivative in a body gives for a result whose message lw_unused
 * keeps: zeros of the shape a.shape + b.shape (b may be -1), so that the body
 * is complete and its questions are asked; the program fails either way. */
static Val placeholder(Lower *L, int a, int b)
{
	const Inst *ia = lw_inst(L, a), *ib = b >= 0 ? lw_inst(L, b) : NULL;
	const Dim *shape[2 * IR_MAX_RANK];
	int rank = 0;
	for (int k = 0; k < ia->rank; k++)
		shape[rank++] = ia->shape[k];
	for (int k = 0; ib && k < ib->rank; k++)
		shape[rank++] = ib->shape[k];
	if (rank > IR_MAX_RANK)
		return ERR;
	return lw_tensor(ir_fill(L->f, ia->dt, 0.0, rank, dim_shape(L->dc, rank, shape)), false);
}

Val lw_bi_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	enum { OUTPUTS, INPUTS, GRAD_OUTPUTS, RETAIN, CREATE, ONLY_INPUTS, ALLOW_UNUSED, NO_GRAD_VARS };
	bool retain, create = false, only_inputs = true, allow_unused = false, in_list, out_list;
	if ((a[RETAIN] && !lw_const_bool(L, a[RETAIN], &retain, true, "retain_graph")) ||
	    (a[CREATE] && !lw_const_bool(L, a[CREATE], &create, false, "create_graph")) ||
	    (a[ONLY_INPUTS] && !lw_const_bool(L, a[ONLY_INPUTS], &only_inputs, true, "only_inputs")) ||
	    (a[ALLOW_UNUSED] && !lw_const_bool(L, a[ALLOW_UNUSED], &allow_unused, false, "allow_unused")))
		return ERR;
	if (a[ONLY_INPUTS] && a[ONLY_INPUTS]->kind == AST_BOOL && !only_inputs) {
		lw_err(L, a[ONLY_INPUTS]->loc,
		       "only_inputs=false is not supported (Paddle does not support it either)");
		return ERR;
	}
	Val *outs, *ins, *nog = NULL;
	int nout = lw_tensor_list(L, a[OUTPUTS], &outs, false, &out_list, "grad's outputs");
	int nin = lw_tensor_list(L, a[INPUTS], &ins, false, &in_list, "grad's inputs");
	int nnog = 0;
	bool nl;
	if (a[NO_GRAD_VARS] && a[NO_GRAD_VARS]->kind != AST_NONE)
		nnog = lw_tensor_list(L, a[NO_GRAD_VARS], &nog, false, &nl, "no_grad_vars");
	if (nout < 0 || nin < 0 || nnog < 0)
		return ERR;
	if (nout == 0 || nin == 0) {
		lw_err(L, call->loc, "grad needs at least one output and one input");
		return ERR;
	}
	const Ast *const *in_ast = in_list ? (const Ast *const *)a[INPUTS]->list.items : &a[INPUTS];
	bool ok = true;
	for (int i = 0; i < nin; i++)
		ok = check_differentiable(L, in_ast[i], ins[i]) && ok;
	if (!ok)
		return ERR;
	for (int i = 0; i < nout; i++)
		if (outs[i].weak)
			outs[i] = lw_tensor(lw_strong(L, outs[i]), false);
	int *seeds = arena_array(L->A, (size_t)nout, sizeof(int));
	if (!make_seeds(L, call, outs, nout, a[GRAD_OUTPUTS], seeds, "grad_outputs"))
		return ERR;
	int *o = arena_array(L->A, (size_t)nout, sizeof(int)), *x = arena_array(L->A, (size_t)nin, sizeof(int));
	int *blk = arena_array(L->A, (size_t)nnog + 1, sizeof(int)), *g = arena_array(L->A, (size_t)nin, sizeof(int));
	for (int i = 0; i < nout; i++)
		o[i] = outs[i].id;
	for (int i = 0; i < nin; i++)
		x[i] = ins[i].id;
	for (int i = 0; i < nnog; i++)
		blk[i] = nog[i].id;
	if (!lw_body_grad_ok(L, call, o, nout, x, in_ast, nin))
		return ERR;
	adj_vjp(L->f, o, seeds, nout, x, nin, blk, nnog, g);
	GradSite site = {call->loc, lw_text_of(L, call), nout, nin, o, seeds, x, g};
	VEC_PUSH(L->A, L->f->grads, site);
	Val *res = arena_array(L->A, (size_t)nin, sizeof(Val));
	for (int i = 0; i < nin; i++) {
		if (g[i] < 0) {
			res[i] = lw_none_like(L, ins[i]);
			if (!allow_unused &&
			    !lw_unused(L, call->loc, in_ast[i]->loc,
			               arena_printf(L->A,
			                            "no output of grad depends on '%s'; pass allow_unused=true to get "
			                            "none for it",
			                            lw_text_of(L, in_ast[i]))))
				ok = false;
			else if (!allow_unused)
				res[i] = placeholder(L, x[i], -1);
			continue;
		}
		int gi = create ? g[i] : ir_unary(L->f, OP_detach, g[i]);
		res[i] = lw_tensor(gi, false);
	}
	if (!ok)
		return ERR;
	if (nin == 1)
		return res[0];
	Val t = {.kind = V_TUPLE, .items = res, .nitems = nin};
	return t;
}

Val lw_bi_backward(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	if (!lw_not_in_body(L, call->loc, "backward"))
		return ERR;
	bool retain, is_list;
	if (a[2] && !lw_const_bool(L, a[2], &retain, true, "retain_graph"))
		return ERR;
	Val *ts;
	int n = lw_tensor_list(L, a[0], &ts, false, &is_list, "backward's tensors");
	if (n < 0)
		return ERR;
	if (n == 0) {
		lw_err(L, a[0]->loc, "backward needs at least one tensor");
		return ERR;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (ts[i].id == ts[j].id) {
				lw_err(L, is_list ? a[0]->list.items[i]->loc : a[0]->loc,
				       "the same tensor appears twice in backward's tensors (Paddle rejects this too)");
				return ERR;
			}
	for (int i = 0; i < n; i++)
		if (ts[i].weak)
			ts[i] = lw_tensor(lw_strong(L, ts[i]), false);
	int *seeds = arena_array(L->A, (size_t)n, sizeof(int)), *o = arena_array(L->A, (size_t)n, sizeof(int));
	if (!make_seeds(L, call, ts, n, a[1], seeds, "grad_tensors"))
		return ERR;
	for (int i = 0; i < n; i++)
		o[i] = ts[i].id;
	Scope *s = L->scope;
	int nl = s->grads.len;
	int *leaves = arena_array(L->A, (size_t)nl + 1, sizeof(int)),
	    *g = arena_array(L->A, (size_t)nl + 1, sizeof(int));
	for (int i = 0; i < nl; i++)
		leaves[i] = s->grads.data[i].leaf;
	adj_vjp(L->f, o, seeds, n, leaves, nl, NULL, 0, g);
	for (int i = 0; i < nl; i++) {
		if (g[i] < 0)
			continue;
		GradAcc *acc = &s->grads.data[i];
		int d = ir_unary(L->f, OP_detach, g[i]);
		if (acc->acc.kind == V_TENSOR)
			d = ir_binary(L->f, OP_add, acc->acc.id, d);
		lw_inst(L, d)->note = "accumulated .grad";
		acc->acc = lw_tensor(d, false);
	}
	Val v = {.kind = V_VOID};
	return v;
}

Val lw_bi_clear_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	if (!lw_not_in_body(L, call->loc, "clear_grad"))
		return ERR;
	Val x = lw_want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	GradAcc *acc = lw_grad_acc(L, x.id);
	const Inst *in = lw_inst(L, x.id);
	if (!acc) {
		if (in->op != OP_param && in->op != OP_detach && in->op != OP_copy) {
			lw_err(L, a[0]->loc, "clear_grad needs a parameter of the function, not '%s'",
			       lw_text_of(L, a[0]));
			return ERR;
		}
	} else {
		acc->acc = lw_tensor(ir_fill(L->f, in->dt, 0.0, in->rank, in->shape), false);
		lw_inst(L, acc->acc.id)->note = "clear_grad";
	}
	Val v = {.kind = V_VOID};
	return v;
}

Val lw_attr_grad(Lower *L, const Ast *e)
{
	if (!lw_not_in_body(L, e->loc, ".grad"))
		return ERR;
	Val x = lw_want(L, e->a);
	if (x.kind != V_TENSOR)
		return ERR;
	GradAcc *acc = lw_grad_acc(L, x.id);
	if (acc && acc->acc.kind == V_TENSOR)
		return acc->acc;
	return lw_none_like(L, x);
}

/* ---------------------------------------------------------------- jvp, jacobian, hessian */

/* The options jvp, jacobian and hessian share with grad. */
typedef struct JOpts {
	bool create, allow_unused;
	int *blk, nblk;
} JOpts;

static bool j_options(Lower *L, const Ast *create, const Ast *unused, const Ast *nogv, JOpts *o)
{
	o->create = o->allow_unused = false;
	o->blk = NULL;
	o->nblk = 0;
	if ((create && !lw_const_bool(L, create, &o->create, false, "create_graph")) ||
	    (unused && !lw_const_bool(L, unused, &o->allow_unused, false, "allow_unused")))
		return false;
	if (nogv && nogv->kind != AST_NONE) {
		Val *nog;
		bool nl;
		o->nblk = lw_tensor_list(L, nogv, &nog, false, &nl, "no_grad_vars");
		if (o->nblk < 0)
			return false;
		o->blk = arena_array(L->A, (size_t)o->nblk + 1, sizeof(int));
		for (int i = 0; i < o->nblk; i++)
			o->blk[i] = nog[i].id;
	}
	return true;
}

/* The differentiable inputs of a jvp or jacobian (a tensor or a list). */
static int j_inputs(Lower *L, const Ast *e, Val **ins, const Ast *const **in_ast, bool *is_list, const char *what)
{
	int n = lw_tensor_list(L, e, ins, false, is_list, what);
	if (n < 0)
		return -1;
	if (*is_list) {
		*in_ast = (const Ast *const *)e->list.items;
	} else {
		const Ast **one = arena_alloc(L->A, sizeof *one);
		*one = e;
		*in_ast = one;
	}
	bool ok = n > 0;
	if (!ok)
		lw_err(L, e->loc, "%s needs at least one input", what);
	for (int i = 0; i < n; i++)
		ok = check_differentiable(L, (*in_ast)[i], (*ins)[i]) && ok;
	return ok ? n : -1;
}

/* Tangents t[j] = sum_i J_ji v[i] of the outputs o (-1 where no input
 * reaches an output), by the forward-mode pass (tangent.c). */
static void tangents(Lower *L, const int *o, int nout, const int *x, const int *v, int nin, const JOpts *op, int *t)
{
	tan_jvp(L->f, x, v, nin, o, nout, op->blk, op->nblk, t);
}

Val lw_bi_jvp(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	enum { YS, XS, V, CREATE, ALLOW_UNUSED, NO_GRAD_VARS };
	JOpts op;
	if (!j_options(L, a[CREATE], a[ALLOW_UNUSED], a[NO_GRAD_VARS], &op))
		return ERR;
	Val *outs, *ins, *vs = NULL;
	const Ast *const *in_ast;
	bool out_list, in_list, v_list;
	int nout = lw_tensor_list(L, a[YS], &outs, false, &out_list, "jvp's outputs");
	int nin = j_inputs(L, a[XS], &ins, &in_ast, &in_list, "jvp");
	if (nout < 0 || nin < 0)
		return ERR;
	int nv = a[V] && a[V]->kind != AST_NONE ? lw_tensor_list(L, a[V], &vs, true, &v_list, "jvp's v") : 0;
	if (nv < 0)
		return ERR;
	if (vs && nv != nin) {
		lw_err(L, a[V]->loc, "jvp's v has %d entr%s for %d input%s", nv, nv == 1 ? "y" : "ies", nin,
		       nin == 1 ? "" : "s");
		return ERR;
	}
	int *o = arena_array(L->A, (size_t)nout + 1, sizeof(int)), *x = arena_array(L->A, (size_t)nin + 1, sizeof(int));
	int *v = arena_array(L->A, (size_t)nin + 1, sizeof(int)), *t = arena_array(L->A, (size_t)nout + 1, sizeof(int));
	for (int j = 0; j < nout; j++)
		o[j] = lw_strong(L, outs[j]);
	for (int i = 0; i < nin; i++) {
		const Inst *xi = lw_inst(L, ins[i].id);
		x[i] = ins[i].id;
		if (!vs || vs[i].kind == V_NONE) { /* Paddle: ones */
			v[i] = ir_fill(L->f, xi->dt, 1.0, xi->rank, xi->shape);
			continue;
		}
		const Inst *vi = lw_inst(L, vs[i].id);
		bool same = vi->rank == xi->rank && (vs[i].weak || vi->dt == xi->dt);
		for (int k = 0; same && k < xi->rank; k++)
			same = vi->shape[k] == xi->shape[k];
		if (!same) {
			lw_err(L, (v_list ? a[V]->list.items[i] : a[V])->loc,
			       "the tangent %s does not match its input %s", lw_type_str(L, vs[i]),
			       lw_type_str(L, ins[i]));
			return ERR;
		}
		v[i] = vs[i].weak ? lw_as_dtype(L, vs[i], xi->dt) : vs[i].id;
	}
	if (!lw_body_grad_ok(L, call, o, nout, x, in_ast, nin))
		return ERR;
	tangents(L, o, nout, x, v, nin, &op, t);
	Val *res = arena_array(L->A, (size_t)nout + 1, sizeof(Val));
	bool ok = true;
	for (int j = 0; j < nout; j++) {
		if (t[j] < 0) {
			res[j] = lw_none_like(L, outs[j]);
			const Ast *at = out_list ? a[YS]->list.items[j] : a[YS];
			if (!op.allow_unused &&
			    !lw_unused(L, call->loc, at->loc,
			               arena_printf(L->A,
			                            "no input of jvp reaches '%s'; pass allow_unused=true to get none "
			                            "for it",
			                            lw_text_of(L, at))))
				ok = false;
			else if (!op.allow_unused)
				res[j] = placeholder(L, o[j], -1);
			continue;
		}
		res[j] = lw_tensor(op.create ? t[j] : ir_unary(L->f, OP_detach, t[j]), false);
	}
	if (!ok)
		return ERR;
	if (nout == 1)
		return res[0];
	Val tup = {.kind = V_TUPLE, .items = res, .nitems = nout};
	return tup;
}

enum { MAX_JAC_SWEEPS = 256 };

/* The number of elements of a value, when it is a constant. */
static bool const_numel(const Inst *in, int64_t *n)
{
	*n = 1;
	for (int k = 0; k < in->rank; k++) {
		int64_t d;
		if (!dim_is_const(in->shape[k], &d))
			return false;
		*n *= d;
	}
	return true;
}

/* A constant of shape like in with a one at flat position k. */
static int basis(Lower *L, const Inst *like, int64_t n, int64_t k)
{
	double *nums = arena_array(L->A, (size_t)n + 1, sizeof(double));
	nums[k] = 1;
	return ir_const(L->f, like->dt, like->rank, like->shape, nums);
}

/* J = dy/dx of shape y.shape + x.shape (-1 if y does not depend on x):
 * by rows (one reverse sweep per element of y) when x has at least as many
 * elements, else by columns (one tangent per element of x). */
static int batched_jacobian_of(Lower *L, const Ast *at, int y, int x, const JOpts *op);

/* The sweeps of a Jacobian of ny by nx elements: forward (one per element
 * of x) when x is smaller, else reverse (one per element of y); false
 * (with an error) beyond the limit. */
static bool plan_sweeps(Lower *L, Loc loc, int64_t ny, int64_t nx, bool *forward, int64_t *sweeps, int64_t *other)
{
	*forward = nx < ny;
	*sweeps = *forward ? nx : ny;
	*other = *forward ? ny : nx;
	if (*sweeps <= MAX_JAC_SWEEPS)
		return true;
	lw_err(L, loc, "jacobian needs %lld sweeps, more than the %d supported yet", (long long)*sweeps,
	       MAX_JAC_SWEEPS);
	return false;
}

static int jacobian_of(Lower *L, const Ast *at, int y, int x, const JOpts *op, bool batch)
{
	if (batch)
		return batched_jacobian_of(L, at, y, x, op);
	Func *f = L->f;
	const Inst *yi = lw_inst(L, y), *xi = lw_inst(L, x);
	/* One side may be symbolic (a residual per data point with respect to
	 * a fixed parameter vector): the sweeps go over the other, constant
	 * side. */
	int64_t ny, nx;
	bool cy = const_numel(yi, &ny), cx = const_numel(xi, &nx);
	if (!cy && !cx) {
		lw_err(L, at->loc,
		       "jacobian of %s with respect to %s: one of the two must have a constant number of elements "
		       "(the sweeps go over it)",
		       lw_type_text(L, yi->dt, yi->rank, yi->shape, false),
		       lw_type_text(L, xi->dt, xi->rank, xi->shape, false));
		return -2;
	}
	bool forward;
	int64_t sweeps, other;
	if (!cy || !cx) {
		forward = cx;
		sweeps = forward ? nx : ny;
		other = 0;
		if (sweeps > MAX_JAC_SWEEPS) {
			lw_err(L, at->loc, "jacobian needs %lld sweeps, more than the %d supported yet",
			       (long long)sweeps, MAX_JAC_SWEEPS);
			return -2;
		}
	} else if (!plan_sweeps(L, at->loc, ny, nx, &forward, &sweeps, &other)) {
		return -2;
	}
	/* the other side's element count, symbolic or not */
	const Inst *wide = forward ? yi : xi;
	const Dim *count = dim_const(L->dc, 1);
	for (int k = 0; k < wide->rank; k++)
		count = dim_mul(L->dc, count, wide->shape[k]);
	const Dim *flat[2] = {dim_const(L->dc, 1), count};
	int *parts = arena_array(L->A, (size_t)sweeps + 1, sizeof(int));
	bool any = false;
	for (int64_t k = 0; k < sweeps; k++) {
		int g;
		if (forward) {
			int v = basis(L, xi, nx, k);
			tangents(L, &y, 1, &x, &v, 1, op, &g);
		} else {
			int s = basis(L, yi, ny, k);
			adj_vjp(f, &y, &s, 1, &x, 1, op->blk, op->nblk, &g);
		}
		if (g < 0) { /* no dependence: the same for every sweep */
			const Inst *of = forward ? yi : xi;
			g = ir_fill(f, of->dt, 0.0, of->rank, of->shape);
		} else {
			any = true;
		}
		parts[k] = ir_reshape(f, g, 2, flat);
	}
	if (!any)
		return -1;
	int J = sweeps == 1 ? parts[0] : ir_concat(f, parts, (int)sweeps, 0);
	if (forward) {
		static const int64_t swap[2] = {1, 0};
		J = ir_transpose(f, J, swap);
	}
	const Dim *shape[IR_MAX_RANK];
	int rank = yi->rank + xi->rank;
	if (rank > IR_MAX_RANK) {
		lw_err(L, at->loc, "the jacobian would have rank %d, more than %d", rank, IR_MAX_RANK);
		return -2;
	}
	for (int k = 0; k < yi->rank; k++)
		shape[k] = yi->shape[k];
	for (int k = 0; k < xi->rank; k++)
		shape[yi->rank + k] = xi->shape[k];
	J = ir_reshape(f, J, rank, shape);
	lw_inst(L, J)->note = forward ? "jacobian by forward sweeps (x is smaller than y)"
	                              : "jacobian by reverse sweeps (y is no larger than x)";
	return J;
}

/* The same with batch_axis=0: y [B, ...] and x [B, ...] give J [B, y row,
 * x row], J[b] = d y[b] / d x[b], in one sweep per element of a row (not of
 * the batch): each sweep seeds that element in every row at once. Rows must
 * be independent; where they are coupled, J[b] is d y[b] / d x summed over
 * the rows of x (what the sweeps compute). */
static int batched_jacobian_of(Lower *L, const Ast *at, int y, int x, const JOpts *op)
{
	Func *f = L->f;
	DimCtx *dc = L->dc;
	const Inst *yi = lw_inst(L, y), *xi = lw_inst(L, x);
	if (yi->rank < 1 || xi->rank < 1 || yi->shape[0] != xi->shape[0]) {
		lw_err(L, at->loc,
		       "jacobian with batch_axis=0 needs an output and an input with the same first axis (the "
		       "batch); they are %s and %s",
		       lw_type_text(L, yi->dt, yi->rank, yi->shape, false),
		       lw_type_text(L, xi->dt, xi->rank, xi->shape, false));
		return -2;
	}
	Inst yr = *yi, xr = *xi; /* a row of each */
	yr.rank--, yr.shape++, xr.rank--, xr.shape++;
	int64_t my, kx;
	if (!const_numel(&yr, &my) || !const_numel(&xr, &kx)) {
		lw_err(L, at->loc,
		       "jacobian with batch_axis=0 of rows %s by rows %s: symbolic row sizes are not "
		       "supported yet (the batch may be symbolic)",
		       lw_shape_str(L, yr.rank, yr.shape), lw_shape_str(L, xr.rank, xr.shape));
		return -2;
	}
	bool forward;
	int64_t sweeps, other;
	if (!plan_sweeps(L, at->loc, my, kx, &forward, &sweeps, &other))
		return -2;
	int rank = 1 + yr.rank + xr.rank;
	if (rank > IR_MAX_RANK) {
		lw_err(L, at->loc, "the jacobian would have rank %d, more than %d", rank, IR_MAX_RANK);
		return -2;
	}
	/* a sweep's result as [B, other, 1] (forward) or [B, 1, other] */
	const Dim *one = dim_const(dc, 1), *B = yi->shape[0];
	const Dim *piece[3] = {B, forward ? dim_const(dc, other) : one, forward ? one : dim_const(dc, other)};
	int *parts = arena_array(L->A, (size_t)sweeps + 1, sizeof(int));
	bool any = false;
	for (int64_t k = 0; k < sweeps; k++) {
		const Inst *seeded = forward ? xi : yi;
		int s = ir_broadcast_to(f, basis(L, forward ? &xr : &yr, forward ? kx : my, k), seeded->rank,
		                        seeded->shape);
		int g;
		if (forward)
			tangents(L, &y, 1, &x, &s, 1, op, &g);
		else
			adj_vjp(f, &y, &s, 1, &x, 1, op->blk, op->nblk, &g);
		if (g < 0) {
			const Inst *of = forward ? yi : xi;
			g = ir_fill(f, of->dt, 0.0, of->rank, of->shape);
		} else {
			any = true;
		}
		parts[k] = ir_reshape(f, g, 3, dim_shape(dc, 3, piece));
	}
	if (!any)
		return -1;
	int J = sweeps == 1 ? parts[0] : ir_concat(f, parts, (int)sweeps, forward ? 2 : 1);
	const Dim *shape[IR_MAX_RANK];
	shape[0] = B;
	for (int k = 0; k < yr.rank; k++)
		shape[1 + k] = yr.shape[k];
	for (int k = 0; k < xr.rank; k++)
		shape[1 + yr.rank + k] = xr.shape[k];
	J = ir_reshape(f, J, rank, shape);
	lw_inst(L, J)->note = forward ? "batched jacobian by forward sweeps, one per element of a row of x"
	                              : "batched jacobian by reverse sweeps, one per element of a row of y";
	return J;
}

/* jacobian(y, x) or jacobian(y, [x1, x2]); hessian(y, x) is the jacobian
 * of grad(y, x, create_graph=true). */
static Val jac_common(Lower *L, const Ast *call, const Ast **a, bool hessian)
{
	enum { YS, XS, BATCH, CREATE, ALLOW_UNUSED, NO_GRAD_VARS };
	const char *what = hessian ? "hessian" : "jacobian";
	JOpts op;
	if (!j_options(L, a[CREATE], a[ALLOW_UNUSED], a[NO_GRAD_VARS], &op))
		return ERR;
	bool batch = false;
	if (a[BATCH] && a[BATCH]->kind != AST_NONE) {
		const Ast *e = a[BATCH];
		if (e->kind != AST_NUM || !e->is_int || e->num != 0) {
			lw_err(L, e->loc, "%s's batch_axis is 0 or none (as Paddle's), not '%s'", what,
			       lw_text_of(L, e));
			return ERR;
		}
		batch = true;
	}
	if (a[YS]->kind == AST_LIST) {
		lw_err(L, a[YS]->loc, "%s of a list of outputs is not supported yet; take one output at a time", what);
		return ERR;
	}
	Val y = lw_want(L, a[YS]), *ins;
	const Ast *const *in_ast;
	bool in_list;
	int nin = j_inputs(L, a[XS], &ins, &in_ast, &in_list, what);
	if (y.kind != V_TENSOR || nin < 0)
		return ERR;
	if (hessian && in_list) {
		lw_err(L, a[XS]->loc, "hessian of a list of inputs is not supported yet; take one input at a time");
		return ERR;
	}
	int yv = lw_strong(L, y);
	if (hessian && lw_inst(L, yv)->rank != (batch ? 1 : 0)) {
		lw_err(L, a[YS]->loc, "hessian needs a scalar output%s; '%s' is %s",
		       batch ? " per row (a vector with batch_axis=0)" : "", lw_text_of(L, a[YS]), lw_type_str(L, y));
		return ERR;
	}
	int *x = arena_array(L->A, (size_t)nin + 1, sizeof(int));
	for (int i = 0; i < nin; i++)
		x[i] = ins[i].id;
	if (!lw_body_grad_ok(L, call, &yv, 1, x, in_ast, nin))
		return ERR;
	if (hessian) {
		const Inst *yi = lw_inst(L, yv);
		int one = ir_fill(L->f, yi->dt, 1.0, yi->rank, yi->shape), g;
		adj_vjp(L->f, &yv, &one, 1, x, 1, op.blk, op.nblk, &g);
		if (g < 0) {
			if (!op.allow_unused) {
				if (!lw_unused(L, call->loc, in_ast[0]->loc,
				               arena_printf(L->A, "the output of hessian does not depend on '%s'",
				                            lw_text_of(L, in_ast[0]))))
					return ERR;
				return placeholder(L, x[0], x[0]);
			}
			return lw_none_like(L, ins[0]);
		}
		yv = g;
	}
	Val *res = arena_array(L->A, (size_t)nin + 1, sizeof(Val));
	bool ok = true;
	for (int i = 0; i < nin; i++) {
		int J = jacobian_of(L, in_ast[i], yv, x[i], &op, batch);
		if (J == -2)
			return ERR;
		if (J < 0) {
			Val n = {.kind = V_NONE};
			res[i] = n;
			if (!op.allow_unused &&
			    !lw_unused(L, call->loc, in_ast[i]->loc,
			               arena_printf(L->A,
			                            "the output of %s does not depend on '%s'; pass allow_unused=true "
			                            "to get none for it",
			                            what, lw_text_of(L, in_ast[i]))))
				ok = false;
			else if (!op.allow_unused)
				res[i] = placeholder(L, yv, x[i]);
			continue;
		}
		res[i] = lw_tensor(op.create ? J : ir_unary(L->f, OP_detach, J), false);
	}
	if (!ok)
		return ERR;
	if (nin == 1)
		return res[0];
	Val tup = {.kind = V_TUPLE, .items = res, .nitems = nin};
	return tup;
}

Val lw_bi_jacobian(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return jac_common(L, call, a, false);
}

Val lw_bi_hessian(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return jac_common(L, call, a, true);
}
