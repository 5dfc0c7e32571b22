/* verify.c: IR invariants, checked after every pass in test builds:
 * operands defined before use, arities, dtypes and shapes re-derived by the
 * shape rules, parameters and results consistent with the signature. */
#include "ir.h"

#include <string.h>

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
		int first = in->op == OP_where ? 1 : 0;
		if (info->kind != K_SRC && in->op != OP_cast)
			for (int k = first; k < in->nargs; k++)
				if (ir_inst(f, in->args[k])->dt != in->dt)
					return arena_printf(f->A, "%%%d: %s: operand %d has another dtype", v,
					                    info->name, k);
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
