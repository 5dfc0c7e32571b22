/* emit_ctrl.c: control flow as C statements. A loop becomes a for loop
 * whose body is its body function's kernels; each array carry has two
 * buffers, the current values and the next ones, whose pointers are
 * swapped after every iteration (no copy), scalar carries are variables;
 * per-iteration inputs and outputs are rows of their stacks, read and
 * written in place. A cond becomes an if/else with each body's kernels in
 * its branch, writing the same result buffers. Bodies are closed, so their
 * parameters are simply bound to the storage of the op's operands. */
#include "emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const Index scalar_ix = {0, NULL, "0"};

/* The value of scalar v as an expression. */
static const char *scalar_of(Emit *E, int v)
{
	return ec_ex(E, v, scalar_ix);
}

void ec_plan_ctrl(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	CtrlStore *cs = &E->ctrl[v];
	int nres = ir_nresults(f, v);
	cs->extract = arena_array(E->A, (size_t)nres + 1, sizeof(int));
	cs->extra = arena_array(E->A, (size_t)nres + 1, sizeof(char *));
	for (int k = 0; k < nres; k++)
		cs->extract[k] = -1;
	for (int u = v + 1; u < f->ins.len; u++) {
		const Inst *x = ir_inst(f, u);
		if (x->op == OP_extract && x->args[0] == v && cs->extract[x->ints[0]] < 0)
			cs->extract[x->ints[0]] = u;
	}
	if (in->op == OP_loop) {
		const Func *b = in->bodies[0];
		int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY];
		bool brk = in->ints[LOOP_FLAGS] & LF_BREAK;
		int off = brk ? 1 : 0, nys = b->results.len - off - nc;
		cs->cur = arena_array(E->A, (size_t)nc + 1, sizeof(char *));
		cs->nxt = arena_array(E->A, (size_t)nc + 1, sizeof(char *));
		for (int k = 0; k < nc; k++) {
			const Inst *p = ir_inst(b, b->params.data[1 + ninv + k]);
			if (p->rank == 0)
				continue;
			int e = cs->extract[k];
			if (e < 0 || !(E->mat[e] == M_SCRATCH || E->mat[e] == M_RESULT))
				cs->cur[k] = ec_scratch(E, p->name ? p->name : "carry", p->dt, p->rank, p->shape);
			if (!sched_carry_in_place(b, off + k, b->params.data[1 + ninv + k]))
				cs->nxt[k] = ec_scratch(E, arena_printf(E->A, "%s_next", p->name ? p->name : "carry"),
				                        p->dt, p->rank, p->shape);
		}
		for (int k = 0; k < nys; k++) {
			const FuncResult *r = &b->results.data[off + nc + k];
			if (cs->extract[nc + k] < 0) /* a row nothing reads: written, then forgotten */
				cs->extra[nc + k] = ec_scratch(E, r->name, r->dt, r->rank, r->shape);
		}
	} else {
		const Func *b = in->bodies[0];
		for (int k = 0; k < nres; k++) {
			const FuncResult *r = &b->results.data[k];
			if (cs->extract[k] < 0 && r->rank > 0)
				cs->extra[k] = ec_scratch(E, r->name, r->dt, r->rank, r->shape);
		}
	}
	E->subs[v] = arena_array(E->A, (size_t)in->nbodies, sizeof(Emit *));
	for (int j = 0; j < in->nbodies; j++) {
		E->subs[v][j] = ec_sub(E, in->bodies[j]);
		ec_place(E->subs[v][j]);
	}
}

/* A scalar result's home that the op writes and the code after it reads:
 * declared before the op's statement (unless it already is). */
static void declare_result(Emit *E, int e)
{
	const Inst *x = ir_inst(E->f, e);
	if (E->mat[e] == M_LOCAL && !E->predeclared)
		ec_line(E, "%s %s;", ec_ctype(x->dt), E->home[e]);
}

static void assign(Emit *E, int e, const char *value)
{
	if (ec_var(E, e))
		ec_line(E, "%s = %s;", E->home[e], value);
	else
		ec_line(E, "%s[0] = %s;", E->home[e], value);
}

/* Bind body S's parameter i to the storage `home` (a variable if var). */
static void bind_param(Emit *S, int i, const char *home, bool var)
{
	int p = S->f->params.data[i];
	S->home[p] = home;
	S->var[p] = var;
}

/* The body's kernels, at the current place of E's code. */
static void emit_body(Emit *E, Emit *S)
{
	S->body = E->body;
	S->depth = E->depth;
	ec_bind(S);
	ec_kernels(S, NULL, NULL);
	ec_result_copies(S, NULL);
}

static const char *name_of(const Func *b, int param, const char *fallback)
{
	const char *n = ir_inst(b, b->params.data[param])->name;
	return n ? n : fallback;
}

/* Does an instruction of b other than a loop or cond read p? */
static bool read_directly(const Func *b, int p)
{
	for (int v = 0; v < b->ins.len; v++) {
		const Inst *in = ir_inst(b, v);
		if (in->op == OP_loop || in->op == OP_cond)
			continue;
		for (int k = 0; k < in->nargs; k++)
			if (in->args[k] == p)
				return true;
	}
	return false;
}

void ec_loop(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	Func *b = in->bodies[0];
	Emit *S = E->subs[v][0];
	CtrlStore *cs = &E->ctrl[v];
	int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY], nxs = (int)in->ints[LOOP_NXS];
	unsigned flags = (unsigned)in->ints[LOOP_FLAGS];
	bool brk = flags & LF_BREAK, rev = flags & LF_REVERSE;
	int off = brk ? 1 : 0, nys = b->results.len - off - nc;
	int64_t step = in->ints[LOOP_STEP];
	const Dim *trip_d = ir_trip_count(f->dc, in->dims[0], in->dims[1], step);
	const char *start = ec_dim(E, in->dims[0]), *stop = ec_dim(E, in->dims[1]), *trip = ec_dim(E, trip_d);
	for (int k = 0; k < ir_nresults(f, v); k++)
		if (cs->extract[k] >= 0 && ir_inst(f, cs->extract[k])->rank == 0)
			declare_result(E, cs->extract[k]);
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	/* the counter, the invariants, the carries */
	const char *t = ec_fresh(E, name_of(b, 0, "t"));
	bind_param(S, 0, t, true);
	for (int k = 0; k < ninv; k++)
		bind_param(S, 1 + k, E->home[in->args[k]], ec_var(E, in->args[k]));
	const char **cur = arena_array(E->A, (size_t)nc + 1, sizeof(char *));
	const char **nxt = arena_array(E->A, (size_t)nc + 1, sizeof(char *));
	for (int k = 0; k < nc; k++) {
		int a = in->args[ninv + k], bp = 1 + ninv + k;
		const Inst *p = ir_inst(b, b->params.data[bp]);
		const char *ct = ec_ctype(p->dt), *pn = name_of(b, bp, "carry");
		cur[k] = ec_fresh(E, pn);
		if (p->rank == 0) {
			nxt[k] = ec_fresh(E, arena_printf(E->A, "%s_next", pn));
			ec_line(E, "%s %s = %s, %s;", ct, cur[k], ec_strip(E, scalar_of(E, a)), nxt[k]);
		} else {
			const char *home = cs->cur[k] ? cs->cur[k] : E->home[cs->extract[k]];
			if (cs->cur[k] || !E->S->inplace[cs->extract[k]]) /* (else home is a's buffer) */
				ec_copy(E, a, home, false);
			if (cs->nxt[k]) {
				nxt[k] = ec_fresh(E, arena_printf(E->A, "%s_next", pn));
				ec_line(E, "%s *%s = %s, *%s = %s;", ct, cur[k], home, nxt[k], cs->nxt[k]);
			} else { /* one buffer, updated in place */
				nxt[k] = cur[k];
				ec_line(E, "%s *%s = %s; /* updated in place */", ct, cur[k], home);
			}
		}
		bind_param(S, bp, cur[k], p->rank == 0);
		S->rhome[off + k] = nxt[k];
		S->rvar[off + k] = p->rank == 0;
	}
	const char *flag = NULL, *count = NULL;
	if (brk) {
		flag = ec_fresh(E, "stop");
		ec_line(E, "%s %s;", ec_ctype(b->results.data[0].dt), flag);
		S->rhome[0] = flag;
		S->rvar[0] = true;
		count = ec_fresh(E, "iterations");
		ec_line(E, "int64_t %s = 0;", count);
	}
	/* rows a break leaves unwritten are zeros */
	for (int k = 0; brk && k < nys; k++) {
		int e = cs->extract[nc + k];
		if (e >= 0)
			ec_line(E, "memset(%s, 0, (size_t)(%s) * sizeof(%s));", E->home[e],
			        ec_numel(E, ir_inst(f, e)->rank, ir_inst(f, e)->shape), ec_ctype(ir_inst(f, e)->dt));
	}
	/* the loop: over t itself when nothing is stacked, else over the
	 * iteration number (the row of the stacks) */
	bool counted = nxs || nys || rev;
	const char *row = t;
	if (!counted) {
		if (step > 0)
			ec_line(E, "for (int64_t %s = %s; %s < %s; %s%s) {", t, start, t, ec_paren(E, stop), t,
			        step == 1 ? "++" : arena_printf(E->A, " += %" PRId64, step));
		else
			ec_line(E, "for (int64_t %s = %s; %s > %s; %s%s) {", t, start, t, ec_paren(E, stop), t,
			        step == -1 ? "--" : arena_printf(E->A, " -= %" PRId64, -step));
		E->depth++;
	} else {
		int64_t s0;
		bool plain = dim_is_const(in->dims[0], &s0) && s0 == 0 && step == 1;
		row = plain && !rev ? t : ec_fresh(E, "it");
		ec_line(E, "for (int64_t %s = 0; %s < %s; %s++) {", row, row, ec_paren(E, trip), row);
		E->depth++;
		/* the row is read by t, by rows read and by rows written and kept */
		bool t_read = S->uses[b->params.data[0]] > 0, row_read = t_read;
		for (int k = 0; k < nxs && !row_read; k++)
			row_read = S->uses[b->params.data[1 + ninv + nc + k]] > 0;
		for (int k = 0; k < nys && !row_read; k++)
			row_read = cs->extract[nc + k] >= 0;
		if (rev && row_read) { /* (else nothing to count: the iterations are alike) */
			const char *it = row;
			row = ec_fresh(E, "row");
			ec_line(E, "const int64_t %s = %s - 1 - %s;", row, ec_paren(E, trip), it);
		}
		if (!(plain && !rev) && t_read)
			ec_line(E, "const int64_t %s = %s;", t,
			        plain ? row
			              : arena_printf(E->A, "%s + %" PRId64 " * %s", ec_paren(E, start), step, row));
	}
	for (int k = 0; k < nxs; k++) {
		int a = in->args[ninv + nc + k], bp = 1 + ninv + nc + k;
		const Inst *p = ir_inst(b, b->params.data[bp]);
		const char *at =
		    arena_printf(E->A, "%s + %s * %s", E->home[a], row, ec_paren(E, ec_numel(E, p->rank, p->shape)));
		if (!read_directly(b, b->params.data[bp])) { /* unused, or only passed on (to a cond): no variable */
			bind_param(S, bp, arena_printf(E->A, "(%s)", at), false);
			continue;
		}
		const char *x = ec_fresh(E, name_of(b, bp, "row"));
		ec_line(E, "const %s *%s = %s;", ec_ctype(p->dt), x, at);
		bind_param(S, bp, x, false);
	}
	for (int k = 0; k < nys; k++) {
		const FuncResult *r = &b->results.data[off + nc + k];
		int e = cs->extract[nc + k];
		const char *y = ec_fresh(E, r->name);
		if (e >= 0)
			ec_line(E, "%s *%s = %s + %s * %s;", ec_ctype(r->dt), y, E->home[e], row,
			        ec_paren(E, ec_numel(E, r->rank, r->shape)));
		else
			ec_line(E, "%s *%s = %s;", ec_ctype(r->dt), y, cs->extra[nc + k]);
		S->rhome[off + nc + k] = y;
		S->rvar[off + nc + k] = false;
	}
	emit_body(E, S);
	if (brk)
		ec_line(E, "%s++;", count);
	for (int k = 0; k < nc; k++) {
		const Inst *p = ir_inst(b, b->params.data[1 + ninv + k]);
		if (p->rank == 0) {
			ec_line(E, "%s = %s;", cur[k], nxt[k]);
			continue;
		}
		if (nxt[k] == cur[k])
			continue;
		const char *sw = ec_fresh(E, "swap");
		ec_line(E, "%s *%s = %s;", ec_ctype(p->dt), sw, cur[k]);
		ec_line(E, "%s = %s;", cur[k], nxt[k]);
		ec_line(E, "%s = %s;", nxt[k], sw);
	}
	if (brk) {
		ec_line(E, "if (%s != 0)", flag);
		ec_line(E, "    break;");
	}
	E->depth--;
	ec_line(E, "}");
	/* the results: the last carries (where the swaps left them), the count */
	for (int k = 0; k < nc; k++) {
		int e = cs->extract[k];
		const Inst *p = ir_inst(b, b->params.data[1 + ninv + k]);
		if (e < 0)
			continue;
		if (p->rank == 0) {
			assign(E, e, cur[k]);
		} else if (!cs->cur[k] && nxt[k] != cur[k]) { /* (one buffer: home itself) */
			ec_line(E, "if (%s != %s)", cur[k], E->home[e]);
			ec_line(E, "    memcpy(%s, %s, (size_t)(%s) * sizeof(%s));", E->home[e], cur[k],
			        ec_numel(E, p->rank, p->shape), ec_ctype(p->dt));
		}
	}
	if (brk && cs->extract[nc + nys] >= 0)
		assign(E, cs->extract[nc + nys], count);
	ec_kernel_end(E, &K);
}

void ec_cond(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	CtrlStore *cs = &E->ctrl[v];
	int nres = ir_nresults(f, v);
	const char **home = arena_array(E->A, (size_t)nres + 1, sizeof(char *));
	bool *var = arena_array(E->A, (size_t)nres + 1, sizeof(bool));
	for (int k = 0; k < nres; k++) {
		int e = cs->extract[k];
		const FuncResult *r = &in->bodies[0]->results.data[k];
		if (e >= 0) {
			declare_result(E, e);
			home[k] = E->home[e];
			var[k] = ec_var(E, e);
		} else if (r->rank > 0) {
			home[k] = cs->extra[k];
		} else {
			home[k] = ec_fresh(E, r->name);
			var[k] = true;
			ec_line(E, "%s %s;", ec_ctype(r->dt), home[k]);
		}
	}
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	ec_line(E, "if (%s != 0) {", ec_strip(E, scalar_of(E, in->args[0])));
	for (int j = 0; j < 2; j++) {
		Emit *S = E->subs[v][j];
		for (int i = 1; i < in->nargs; i++)
			bind_param(S, i - 1, E->home[in->args[i]], ec_var(E, in->args[i]));
		for (int k = 0; k < nres; k++) {
			S->rhome[k] = home[k];
			S->rvar[k] = var[k];
		}
		E->depth++;
		emit_body(E, S);
		E->depth--;
		ec_line(E, j == 0 ? "} else {" : "}");
	}
	/* a scalar result both branches set that nothing after reads */
	for (int k = 0; k < nres; k++) {
		int e = cs->extract[k];
		bool read = e >= 0 && E->uses[e] > 0;
		for (int r = 0; e >= 0 && r < f->results.len; r++)
			read = read || f->results.data[r].value == e;
		if (var[k] && !read)
			ec_line(E, "(void)%s; /* not read after the if */", home[k]);
	}
	ec_kernel_end(E, &K);
}
