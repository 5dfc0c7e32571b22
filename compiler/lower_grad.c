/* lower_grad.c: grad, backward, clear_grad and .grad, expanded on the spot
 * by the adjoint pass over the IR built so far (docs/derivatives.md). */
#include "lower_int.h"

#include <string.h>

#include "adjoint.h"

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
			if (!allow_unused) {
				lw_err(L, in_ast[i]->loc,
				       "no output of grad depends on '%s'; pass allow_unused=true to get none for it",
				       lw_text_of(L, in_ast[i]));
				ok = false;
			}
			res[i] = lw_none_like(L, ins[i]);
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
