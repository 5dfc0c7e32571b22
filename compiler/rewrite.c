/* rewrite.c: the one loop that rebuilds a function for a pass (ir.h).
 *
 * Every pass that maps IR to IR (simplification, dead-code elimination,
 * the forward/backward split, copies) is this loop with a hook: the pass
 * sees each kept instruction with its operands already mapped into the new
 * function, and says what it becomes. Instructions with bodies have their
 * bodies rewritten first, by the pass's own function for a whole function,
 * so every pass reaches every nested body the same way. */
#include "ir.h"

#include <string.h>

static void param(Rewrite *rw, int v)
{
	const Inst *in = ir_inst(rw->old, v);
	rw->map[v] = ir_param(rw->nf, in->name, in->dt, in->rank, in->shape, in->flags & IF_NOGRAD);
	ir_inst(rw->nf, rw->map[v])->loc = in->loc;
}

Func *ir_rewrite(const Func *f, const bool *keep, const RewriteOps *ops, void *ctx, int **map)
{
	int n = f->ins.len;
	Rewrite rw = {f, ir_func_like(f), arena_array(f->A, (size_t)n + 1, sizeof(int)), ctx, -1};
	Func *nf = rw.nf;
	nf->is_body = f->is_body;
	int small[64];
	bool first = ops && ops->params_first;
	for (int v = 0; v < n; v++)
		rw.map[v] = -1;
	for (int i = 0; first && i < f->params.len; i++)
		if (!keep || keep[f->params.data[i]])
			param(&rw, f->params.data[i]);
	if (first && ops->prologue)
		ops->prologue(&rw);
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_param) {
			if (!first && (!keep || keep[v]))
				param(&rw, v);
			continue;
		}
		if (keep && !keep[v])
			continue;
		int *args = in->nargs <= 64 ? small : arena_array(f->A, (size_t)in->nargs, sizeof(int));
		for (int k = 0; k < in->nargs; k++) {
			args[k] = rw.map[in->args[k]];
			if (args[k] < 0)
				ICE("rewrite of '%s': %%%d reads %%%d, which was not kept", f->name, v, in->args[k]);
		}
		Inst p = *in;
		if (in->nbodies && ops && ops->body) {
			p.bodies = arena_array(f->A, (size_t)in->nbodies, sizeof *p.bodies);
			for (int j = 0; j < in->nbodies; j++)
				p.bodies[j] = ops->body(in->bodies[j], ctx);
		}
		rw.v = v;
		int r = ops && ops->inst ? ops->inst(&rw, &p, args) : -1;
		rw.map[v] = r >= 0 ? r : ir_rebuild(nf, &p, args);
	}
	for (int i = 0; i < nf->results.len; i++) {
		FuncResult *r = &nf->results.data[i];
		if (r->value >= 0)
			r->value = rw.map[r->value];
	}
	if (map)
		*map = rw.map;
	else
		arena_release(f->A, rw.map, ((size_t)n + 1) * sizeof(int));
	return nf;
}

Func *ir_clone(const Func *f)
{
	Func *nf = ir_rewrite(f, NULL, NULL, NULL, NULL);
	for (int v = 0; v < f->ins.len; v++) { /* everything else too: names, notes, places */
		Inst *in = ir_inst(nf, v);
		int *args = in->args;
		*in = *ir_inst(f, v);
		in->args = args;
	}
	for (int i = 0; i < f->grads.len; i++)
		VEC_PUSH(nf->A, nf->grads, f->grads.data[i]);
	return nf;
}
