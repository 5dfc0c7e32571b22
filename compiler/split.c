/* split.c: cutting a VJP function into forward and backward (see split.h). */
#include "split.h"

#include "opt.h"

#include <string.h>

/* Saved rather than recomputed: what takes work; a result of a loop or a
 * cond (a loop's tape among them) would cost the whole loop again. */
static bool worth_saving(const Inst *in)
{
	OpKind k = op_info[in->op].kind;
	return k == K_REDUCE || k == K_SCAN || k == K_MATMUL || k == K_LINALG ||
	       (k == K_EW && (op_info[in->op].flags & F_EXPENSIVE)) || in->op == OP_concat || in->op == OP_extract;
}

/* Mark what the backward pass needs of the forward part, recursively:
 * saved values stop the walk, cheap ones are recomputed from their operands. */
static void need(const Func *f, int v, const bool *seeded, bool *saved, bool *recompute)
{
	if (seeded[v] || saved[v] || recompute[v])
		return;
	const Inst *in = ir_inst(f, v);
	if (in->op == OP_param || op_info[in->op].kind == K_SRC) {
		recompute[v] = true; /* parameters come again; constants are free */
		return;
	}
	if (worth_saving(in)) {
		saved[v] = true;
		return;
	}
	recompute[v] = true;
	for (int k = 0; k < in->nargs; k++)
		need(f, in->args[k], seeded, saved, recompute);
}

/* The values that become the new function's last parameters. */
typedef struct AsParam {
	const int *vals;
	int n;
} AsParam;

static void saved_params(Rewrite *rw)
{
	const AsParam *ap = rw->ctx;
	const Func *f = rw->old;
	for (int i = 0; i < ap->n; i++) {
		const Inst *in = ir_inst(f, ap->vals[i]);
		const char *name =
		    in->name ? arena_printf(f->A, "saved_%s", in->name) : arena_printf(f->A, "saved%d", i);
		rw->map[ap->vals[i]] = ir_param(rw->nf, name, in->dt, in->rank, in->shape, true);
	}
}

/* Copy the instructions of `keep` into a new function with f's first
 * `nparams` parameters, and the values in `as_param` as parameters after
 * them, in order; `map` gets the new value ids. */
static Func *extract(const Func *f, bool *keep, int nparams, const int *as_param, int nas, int **map)
{
	for (int p = 0; p < f->params.len; p++)
		keep[f->params.data[p]] = p < nparams;
	AsParam ap = {as_param, nas};
	static const RewriteOps ops = {NULL, NULL, true, saved_params};
	Func *nf = ir_rewrite(f, keep, &ops, &ap, map);
	nf->results.len = 0;
	return nf;
}

Split ir_split(const Func *f, int nparams, int nseeds, int nresults)
{
	int n = f->ins.len;
	bool *seeded = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int s = 0; s < nseeds; s++)
		seeded[f->params.data[nparams + s]] = true;
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		for (int k = 0; k < in->nargs && !seeded[v]; k++)
			seeded[v] = seeded[in->args[k]];
	}
	/* what the backward part reads from the forward part */
	bool *saved = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	bool *recompute = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	bool *bwd_keep = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	/* the backward instructions that the gradients need */
	for (int r = nresults; r < f->results.len; r++)
		if (f->results.data[r].value >= 0)
			bwd_keep[f->results.data[r].value] = true;
	for (int v = n - 1; v >= 0; v--) {
		if (!bwd_keep[v])
			continue;
		const Inst *in = ir_inst(f, v);
		if (!seeded[v]) {
			bwd_keep[v] = false;
			need(f, v, seeded, saved, recompute);
			continue;
		}
		for (int k = 0; k < in->nargs; k++) {
			int a = in->args[k];
			if (seeded[a])
				bwd_keep[a] = true;
			else
				need(f, a, seeded, saved, recompute);
		}
	}
	int *saved_list = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int nsaved = 0;
	for (int v = 0; v < n; v++)
		if (saved[v])
			saved_list[nsaved++] = v;
	int *map;
	Split s;
	s.nsaved = nsaved;
	/* forward: everything not seeded; results: f's, then the saved values */
	bool *fwd_keep = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int v = 0; v < n; v++)
		fwd_keep[v] = !seeded[v];
	s.fwd = extract(f, fwd_keep, nparams, NULL, 0, &map);
	for (int r = 0; r < nresults; r++) {
		FuncResult fr = f->results.data[r];
		fr.value = fr.value >= 0 ? map[fr.value] : -1;
		VEC_PUSH(f->A, s.fwd->results, fr);
	}
	for (int i = 0; i < nsaved; i++) {
		const Inst *in = ir_inst(f, saved_list[i]);
		FuncResult fr = {arena_printf(f->A, "saved%d", i), map[saved_list[i]], in->dt, in->rank, in->shape};
		VEC_PUSH(f->A, s.fwd->results, fr);
	}
	/* backward: the recomputed forward values and the seeded ones */
	bool *keep = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int v = 0; v < n; v++)
		keep[v] = (bwd_keep[v] || recompute[v]) && !saved[v];
	s.bwd = extract(f, keep, nparams + nseeds, saved_list, nsaved, &map);
	for (int r = nresults; r < f->results.len; r++) {
		FuncResult fr = f->results.data[r];
		fr.value = fr.value >= 0 ? map[fr.value] : -1;
		VEC_PUSH(f->A, s.bwd->results, fr);
	}
	s.fwd->name = arena_printf(f->A, "%s_fwd", f->name);
	s.bwd->name = arena_printf(f->A, "%s_bwd", f->name);
	return s;
}

void ir_split_trim(Split *s, int nparams, int nseeds, int nresults)
{
	Func *b = s->bwd, *f = s->fwd;
	int n = b->ins.len, first = nparams + nseeds, dropped = 0;
	bool *read = arena_array(b->A, (size_t)n + 1, sizeof(bool));
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(b, v);
		for (int k = 0; k < in->nargs; k++)
			read[in->args[k]] = true;
	}
	for (int i = 0; i < b->results.len; i++)
		if (b->results.data[i].value >= 0)
			read[b->results.data[i].value] = true;
	for (int i = first; i < b->params.len; i++)
		dropped += !read[b->params.data[i]];
	if (dropped) {
		/* the backward pass without those parameters, the forward pass
		 * without those results (and what only they needed) */
		for (int v = 0; v < n; v++)
			read[v] = ir_inst(b, v)->op != OP_param || read[v];
		for (int i = 0; i < first; i++)
			read[b->params.data[i]] = true;
		int keep = nresults;
		for (int i = first; i < b->params.len; i++)
			if (read[b->params.data[i]])
				f->results.data[keep++] = f->results.data[nresults + i - first];
		f->results.len = keep;
		s->bwd = ir_rewrite(b, read, NULL, NULL, NULL);
		s->fwd = opt_dce(f);
		s->nsaved -= dropped;
	}
	arena_release(b->A, read, (size_t)n + 1);
	if (s->bwd != b)
		ir_release(b);
	if (s->fwd != f)
		ir_release(f);
}
