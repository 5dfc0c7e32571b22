/* verify.c: IR invariants, checked after every pass in test builds:
 * operands defined before use, arities, dtypes and shapes re-derived by the
 * shape rules, parameters and results consistent with the signature. */
#include "ir.h"

#include <string.h>

static bool same_type(DType da, int ra, const Dim **sa, DType db, int rb, const Dim **sb)
{
	if (da != db || ra != rb)
		return false;
	for (int i = 0; i < ra; i++)
		if (sa[i] != sb[i])
			return false;
	return true;
}

static bool param_is(const Func *b, int i, const Inst *like)
{
	const Inst *p = ir_inst(b, b->params.data[i]);
	return same_type(p->dt, p->rank, p->shape, like->dt, like->rank, like->shape);
}

/* A loop's operands, body and results fit its signature (ir.h). */
static const char *verify_loop(const Func *f, int v, const Inst *in)
{
	if (in->nints != LOOP_NINTS || in->ndims != 2 || in->nbodies != 1)
		return arena_printf(f->A, "%%%d: loop: malformed attributes", v);
	int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY], nxs = (int)in->ints[LOOP_NXS];
	bool brk = in->ints[LOOP_FLAGS] & LF_BREAK;
	const Func *b = in->bodies[0];
	if (ninv < 0 || nc < 0 || nxs < 0 || ninv + nc + nxs != in->nargs || in->ints[LOOP_STEP] == 0)
		return arena_printf(f->A, "%%%d: loop: operand counts do not add up", v);
	if (b->params.len != 1 + in->nargs)
		return arena_printf(f->A, "%%%d: loop: the body has %d parameters, wants %d", v, b->params.len,
		                    1 + in->nargs);
	const Inst *t = ir_inst(b, b->params.data[0]);
	if (t->dt != DT_I64 || t->rank != 0)
		return arena_printf(f->A, "%%%d: loop: the body's first parameter is not an i64 scalar", v);
	const Dim *trip = ir_trip_count(f->dc, in->dims[0], in->dims[1], in->ints[LOOP_STEP]);
	for (int k = 0; k < in->nargs; k++) {
		const Inst *a = ir_inst(f, in->args[k]);
		const Inst *p = ir_inst(b, b->params.data[1 + k]);
		if (k < ninv + nc) {
			if (!param_is(b, 1 + k, a))
				return arena_printf(f->A, "%%%d: loop: body parameter %d is not of its operand's type",
				                    v, 1 + k);
			continue;
		}
		/* a per-iteration input: row t of an array of trip-count rows */
		if (a->rank < 1 || a->shape[0] != trip ||
		    !same_type(p->dt, p->rank, p->shape, a->dt, a->rank - 1, a->shape + 1))
			return arena_printf(f->A, "%%%d: loop: operand %d is not a stack of the body's rows", v, k);
	}
	int off = brk ? 1 : 0;
	if (b->results.len < off + nc)
		return arena_printf(f->A, "%%%d: loop: the body has too few results", v);
	if (brk && (b->results.data[0].rank != 0 || b->results.data[0].value < 0))
		return arena_printf(f->A, "%%%d: loop: the break flag is not a scalar", v);
	for (int k = 0; k < nc; k++) {
		const FuncResult *r = &b->results.data[off + k];
		const Inst *p = ir_inst(b, b->params.data[1 + ninv + k]);
		if (r->value < 0 || !same_type(r->dt, r->rank, r->shape, p->dt, p->rank, p->shape))
			return arena_printf(f->A, "%%%d: loop: carry %d changes its type in the body", v, k);
	}
	for (int k = off + nc; k < b->results.len; k++)
		if (b->results.data[k].value < 0 || b->results.data[k].rank + 1 > IR_MAX_RANK)
			return arena_printf(f->A, "%%%d: loop: per-iteration result %d cannot be stacked", v,
			                    k - off - nc);
	return NULL;
}

/* A cond's predicate, operands and bodies fit its signature. */
static const char *verify_cond(const Func *f, int v, const Inst *in)
{
	if (in->nbodies != 2 || in->nargs < 1)
		return arena_printf(f->A, "%%%d: cond: malformed", v);
	if (ir_inst(f, in->args[0])->rank != 0)
		return arena_printf(f->A, "%%%d: cond: the predicate is not a scalar", v);
	for (int j = 0; j < 2; j++) {
		const Func *b = in->bodies[j];
		if (b->params.len != in->nargs - 1)
			return arena_printf(f->A, "%%%d: cond: body %d has %d parameters, wants %d", v, j,
			                    b->params.len, in->nargs - 1);
		for (int k = 1; k < in->nargs; k++)
			if (!param_is(b, k - 1, ir_inst(f, in->args[k])))
				return arena_printf(f->A,
				                    "%%%d: cond: body %d's parameter %d is not of its operand's type",
				                    v, j, k - 1);
	}
	const Func *a = in->bodies[0], *b = in->bodies[1];
	if (a->results.len != b->results.len)
		return arena_printf(f->A, "%%%d: cond: the bodies give %d and %d results", v, a->results.len,
		                    b->results.len);
	for (int k = 0; k < a->results.len; k++) {
		const FuncResult *x = &a->results.data[k], *y = &b->results.data[k];
		if (x->value < 0 || y->value < 0 || !same_type(x->dt, x->rank, x->shape, y->dt, y->rank, y->shape))
			return arena_printf(f->A, "%%%d: cond: result %d differs between the bodies", v, k);
	}
	return NULL;
}

const char *ir_verify(const Func *f)
{
	Func *mf = (Func *)f; /* the shape rules allocate scratch in f's arena */
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		const OpInfo *info = &op_info[in->op];
		if ((unsigned)in->op >= OP_COUNT)
			return arena_printf(f->A, "%%%d: bad op %d", v, in->op);
		if (info->arity >= 0 && in->nargs != info->arity)
			return arena_printf(f->A, "%%%d: %s has %d operands, wants %d", v, info->name, in->nargs,
			                    info->arity);
		if (info->arity < 0 && in->nargs < 1)
			return arena_printf(f->A, "%%%d: %s has no operands", v, info->name);
		for (int k = 0; k < in->nargs; k++)
			if (in->args[k] < 0 || in->args[k] >= v)
				return arena_printf(f->A, "%%%d: operand %d (%%%d) is not defined before use", v, k,
				                    in->args[k]);
		if (in->rank < 0 || in->rank > IR_MAX_RANK)
			return arena_printf(f->A, "%%%d: rank %d", v, in->rank);
		if ((in->nbodies > 0) != (in->op == OP_loop || in->op == OP_cond))
			return arena_printf(f->A, "%%%d: %s %s bodies", v, info->name, in->nbodies ? "has" : "lacks");
		for (int k = 0; k < in->nargs; k++) {
			const Inst *a = ir_inst(f, in->args[k]);
			if ((a->op == OP_loop || a->op == OP_cond) != (in->op == OP_extract))
				return arena_printf(f->A, "%%%d: %s reads %%%d, a %s", v, info->name, in->args[k],
				                    in->op == OP_extract ? "value with one result" : "control-flow op");
		}
		const char *bad = in->op == OP_loop   ? verify_loop(f, v, in)
		                  : in->op == OP_cond ? verify_cond(f, v, in)
		                                      : NULL;
		if (bad)
			return bad;
		for (int j = 0; j < in->nbodies; j++) {
			const char *why = in->bodies[j]->is_body ? ir_verify(in->bodies[j]) : "it is not a body";
			if (why)
				return arena_printf(f->A, "%%%d: %s, body %d: %s", v, info->name, j, why);
		}
		int rank;
		const char *why;
		const Dim **shape = ir_infer_shape(mf, in, in->args, &rank, &why);
		if (!shape)
			return arena_printf(f->A, "%%%d: %s: %s", v, info->name, why);
		if (rank != in->rank)
			return arena_printf(f->A, "%%%d: %s: rank %d, the rules give %d", v, info->name, in->rank,
			                    rank);
		for (int i = 0; i < rank; i++)
			if (shape[i] != in->shape[i])
				return arena_printf(f->A, "%%%d: %s: dimension %d disagrees with the shape rules", v,
				                    info->name, i);
		for (int k = 0; k < in->nargs; k++)
			if (ir_inst(f, in->args[k])->dt != in->dt && !ir_operand_dtype_free(in->op, k))
				return arena_printf(f->A, "%%%d: %s: operand %d has another dtype", v, info->name, k);
		if (in->op == OP_const && in->nnums != ir_numel_const(in))
			return arena_printf(f->A, "%%%d: constant has %lld numbers for its shape", v,
			                    (long long)in->nnums);
	}
	for (int i = 0; i < f->params.len; i++) {
		int p = f->params.data[i];
		if (p < 0 || p >= f->ins.len || ir_inst(f, p)->op != OP_param || ir_inst(f, p)->ints[0] != i)
			return arena_printf(f->A, "parameter %d is not an OP_param with index %d", i, i);
	}
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		if (r->value < -1 || r->value >= f->ins.len)
			return arena_printf(f->A, "result %s: bad value %%%d", r->name, r->value);
		if (r->value >= 0) {
			const Inst *in = ir_inst(f, r->value);
			if (in->op == OP_loop || in->op == OP_cond)
				return arena_printf(f->A, "result %s is a control-flow op, not one of its results",
				                    r->name);
			if (in->dt != r->dt || in->rank != r->rank)
				return arena_printf(f->A, "result %s: type disagrees with %%%d", r->name, r->value);
			for (int k = 0; k < r->rank; k++)
				if (in->shape[k] != r->shape[k])
					return arena_printf(f->A, "result %s: shape disagrees with %%%d", r->name,
					                    r->value);
		}
	}
	return NULL;
}
