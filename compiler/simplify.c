/* simplify.c: one forward sweep that rebuilds a function while folding
 * constants, applying algebraic identities, dropping identities (copy,
 * detach: differentiation is done by now), folding transposes into matmul
 * and the solves,
 * and sharing equal instructions (value numbering, so subexpressions shared
 * by the forward and backward code are computed once).
 *
 * The one rewrite that is not exact in IEEE arithmetic is x * 0 -> 0 (as
 * symbolic zeros in JAX): it removes derivative terms that are zero but
 * would give NaN for an infinite x. */
#include <math.h>
#include <string.h>

#include "opt.h"

enum { FOLD_MAX = 1 << 16 };

/* A value in the table, with the high bits of its hash so that most
 * mismatches are seen without reading the instruction. */
typedef struct Slot {
	int v; /* -1: empty */
	uint32_t tag;
} Slot;

typedef struct Simp {
	const Func *old;
	Func *nf;
	Slot *table; /* open addressing over new value ids */
	int cap;     /* a power of two */
} Simp;

static uint64_t hash_inst(const Inst *in, const int *args)
{
	uint64_t h = HASH_SEED;
	h = hash_step(h, (uint64_t)in->op);
	h = hash_step(h, (uint64_t)in->dt);
	h = hash_step(h, (uint64_t)in->rank);
	for (int i = 0; i < in->rank; i++)
		h = hash_step(h, (uint64_t)(uintptr_t)in->shape[i]);
	for (int i = 0; i < in->nargs; i++)
		h = hash_step(h, (uint64_t)args[i]);
	for (int i = 0; i < in->nints; i++)
		h = hash_step(h, (uint64_t)in->ints[i]);
	for (int i = 0; i < in->ndims; i++)
		h = hash_step(h, (uint64_t)(uintptr_t)in->dims[i]);
	for (int64_t i = 0; i < in->nnums && i < 64; i++) {
		uint64_t bits;
		memcpy(&bits, &in->nums[i], sizeof bits);
		h = hash_step(h, bits);
	}
	return hash_final(hash_step(h, in->flags));
}

static bool same_inst(const Inst *a, const Inst *b, const int *bargs)
{
	if (a->op != b->op || a->dt != b->dt || a->rank != b->rank || a->nargs != b->nargs || a->nints != b->nints ||
	    a->ndims != b->ndims || a->nnums != b->nnums || a->flags != b->flags || a->nbodies != b->nbodies)
		return false;
	for (int i = 0; i < a->nbodies; i++)
		if (a->bodies[i] != b->bodies[i])
			return false;
	for (int i = 0; i < a->rank; i++)
		if (a->shape[i] != b->shape[i])
			return false;
	for (int i = 0; i < a->nargs; i++)
		if (a->args[i] != bargs[i])
			return false;
	for (int i = 0; i < a->nints; i++)
		if (a->ints[i] != b->ints[i])
			return false;
	for (int i = 0; i < a->ndims; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	for (int64_t i = 0; i < a->nnums; i++)
		if (memcmp(&a->nums[i], &b->nums[i], sizeof(double)) != 0)
			return false;
	return true;
}

static void table_grow(Simp *S);

static Slot *slot_for(Simp *S, const Inst *p, const int *args, int *found)
{
	uint64_t h = hash_inst(p, args);
	uint32_t tag = (uint32_t)(h >> 32);
	size_t mask = (size_t)S->cap - 1;
	*found = -1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		Slot *s = &S->table[i];
		if (s->v < 0) {
			s->tag = tag;
			return s;
		}
		if (s->tag == tag && same_inst(ir_inst(S->nf, s->v), p, args)) {
			*found = s->v;
			return NULL;
		}
	}
}

static Slot *new_table(Arena *A, int cap)
{
	Slot *t = arena_array(A, (size_t)cap, sizeof *t);
	for (int i = 0; i < cap; i++)
		t[i].v = -1;
	return t;
}

static void table_grow(Simp *S)
{
	int oldcap = S->cap;
	Slot *old = S->table;
	S->cap = oldcap * 2;
	S->table = new_table(S->nf->A, S->cap);
	for (int i = 0; i < oldcap; i++)
		if (old[i].v >= 0) {
			const Inst *in = ir_inst(S->nf, old[i].v);
			int found;
			Slot *slot = slot_for(S, in, in->args, &found);
			if (slot)
				slot->v = old[i].v;
		}
	arena_release(S->nf->A, old, (size_t)oldcap * sizeof *old);
}

/* Emit (or find) an instruction like proto with these operands. */
static int emit(Simp *S, const Inst *proto, const int *args)
{
	int a2[2];
	if ((op_info[proto->op].flags & F_COMMUTE) && proto->nargs == 2 && args[0] > args[1]) {
		a2[0] = args[1];
		a2[1] = args[0];
		args = a2;
	}
	int found;
	Slot *slot = slot_for(S, proto, args, &found);
	if (!slot) {
		Inst *f = ir_inst(S->nf, found);
		if (!f->name && proto->name)
			f->name = proto->name;
		return found;
	}
	int v = proto->op == OP_param ? -1 : ir_rebuild(S->nf, proto, args);
	slot->v = v;
	if (4 * (S->nf->ins.len + 1) > 3 * S->cap)
		table_grow(S);
	return v;
}

/* A proto instruction of op with the source info of `from`. */
static Inst proto(const Inst *from, Op op, int nargs)
{
	Inst p;
	memset(&p, 0, sizeof p);
	p.op = op;
	p.nargs = nargs;
	p.dt = from->dt;
	p.loc = from->loc;
	p.stmt = from->stmt;
	return p;
}

static int mk_unary(Simp *S, const Inst *from, Op op, int a)
{
	Inst p = proto(from, op, 1);
	return emit(S, &p, &a);
}

static int mk_binary(Simp *S, const Inst *from, Op op, int a, int b)
{
	Inst p = proto(from, op, 2);
	int args[2] = {a, b};
	return emit(S, &p, args);
}

/* A scalar constant broadcast to `from`'s shape. */
static int mk_fill(Simp *S, const Inst *from, double v)
{
	Inst c = proto(from, OP_const, 0);
	c.nnums = 1;
	c.nums = arena_alloc(S->nf->A, sizeof(double));
	c.nums[0] = from->dt == DT_F32 ? (double)(float)v : v;
	int s = emit(S, &c, NULL);
	if (from->rank == 0)
		return s;
	Inst b = proto(from, OP_broadcast, 1);
	b.rank = from->rank;
	b.shape = from->shape;
	return emit(S, &b, &s);
}

/* Scalar constant (possibly broadcast)? */
static bool scalar_of(Simp *S, int v, double *out)
{
	return ir_is_scalar_const(S->nf, v, out);
}

static bool is_val(Simp *S, int v, double x)
{
	double c;
	return scalar_of(S, v, &c) && c == x;
}

static int fold_ew(Simp *S, const Inst *in, const int *args)
{
	double xs[3] = {0, 0, 0};
	bool all_scalar = true;
	for (int k = 0; k < in->nargs; k++)
		all_scalar = all_scalar && scalar_of(S, args[k], &xs[k]);
	double r;
	if (all_scalar)
		return fold_eval(in->op, xs, in->dt, &r) ? mk_fill(S, in, r) : -1;
	int64_t n = ir_numel_const(in);
	if (n < 0 || n > FOLD_MAX)
		return -1;
	const Inst *src[3];
	for (int k = 0; k < in->nargs; k++) {
		src[k] = ir_inst(S->nf, args[k]);
		if (src[k]->op != OP_const && !scalar_of(S, args[k], &xs[k]))
			return -1;
	}
	Inst c = proto(in, OP_const, 0);
	c.rank = in->rank;
	c.shape = in->shape;
	c.nnums = n;
	c.nums = arena_array(S->nf->A, (size_t)n + 1, sizeof(double));
	for (int64_t i = 0; i < n; i++) {
		for (int k = 0; k < in->nargs; k++)
			if (src[k]->op == OP_const)
				xs[k] = src[k]->nums[src[k]->nnums == 1 ? 0 : i];
		if (!fold_eval(in->op, xs, in->dt, &c.nums[i]))
			return -1;
	}
	return emit(S, &c, NULL);
}

static bool is_identity_slice(const Inst *in, const Inst *a)
{
	for (int i = 0; i < in->rank; i++) {
		int64_t s;
		if (in->ints[i] != 1 || !dim_is_const(in->dims[i], &s) || s != 0 || in->shape[i] != a->shape[i])
			return false;
	}
	return true;
}

/* Does this transpose only swap the last two axes? */
static bool swaps_last_two(const Inst *t)
{
	int r = t->nints;
	if (r < 2 || t->ints[r - 2] != r - 1 || t->ints[r - 1] != r - 2)
		return false;
	for (int i = 0; i < r - 2; i++)
		if (t->ints[i] != i)
			return false;
	return true;
}

static int simplify_inst(Simp *S, const Inst *in, const int *args)
{
	Func *nf = S->nf;
	const Inst *a = in->nargs > 0 ? ir_inst(nf, args[0]) : NULL;
	const Inst *b = in->nargs > 1 ? ir_inst(nf, args[1]) : NULL;
	double c;
	switch (in->op) {
	case OP_copy:
	case OP_detach: return args[0];
	case OP_cast:
		if (a->dt == in->dt)
			return args[0];
		if (a->op == OP_dimval) { /* a dimension is exact in either dtype */
			Inst p = *a;
			p.dt = in->dt;
			return emit(S, &p, NULL);
		}
		break;
	case OP_neg:
		if (a->op == OP_neg)
			return a->args[0];
		break;
	case OP_add:
		if (is_val(S, args[1], 0))
			return args[0];
		if (is_val(S, args[0], 0))
			return args[1];
		/* y + scatter_add(0, idx, v) = scatter_add(y, idx, v): a take's
		 * cotangent added into another costs its rows, not y's size (and
		 * is written in place where y dies there) */
		for (int k = 0; k < 2; k++) {
			const Inst *sc = ir_inst(nf, args[k]);
			if (sc->op == OP_scatter_add && is_val(S, sc->args[0], 0)) {
				Inst p = *sc;
				int sargs[3] = {args[1 - k], sc->args[1], sc->args[2]};
				return emit(S, &p, sargs);
			}
		}
		if (b->op == OP_neg)
			return mk_binary(S, in, OP_sub, args[0], b->args[0]);
		if (a->op == OP_neg)
			return mk_binary(S, in, OP_sub, args[1], a->args[0]);
		break;
	case OP_sub:
		if (is_val(S, args[1], 0))
			return args[0];
		if (is_val(S, args[0], 0))
			return mk_unary(S, in, OP_neg, args[1]);
		if (b->op == OP_neg)
			return mk_binary(S, in, OP_add, args[0], b->args[0]);
		break;
	case OP_mul:
		for (int k = 0; k < 2; k++) {
			int x = args[k], y = args[1 - k];
			if (is_val(S, y, 1))
				return x;
			if (is_val(S, y, 0))
				return mk_fill(S, in, 0);
			if (is_val(S, y, -1))
				return mk_unary(S, in, OP_neg, x);
		}
		if (a->op == OP_neg && b->op == OP_neg)
			return mk_binary(S, in, OP_mul, a->args[0], b->args[0]);
		if (a->op == OP_neg)
			return mk_unary(S, in, OP_neg, mk_binary(S, in, OP_mul, a->args[0], args[1]));
		if (b->op == OP_neg)
			return mk_unary(S, in, OP_neg, mk_binary(S, in, OP_mul, args[0], b->args[0]));
		break;
	case OP_div:
		if (is_val(S, args[1], 1))
			return args[0];
		if (is_val(S, args[0], 0))
			return mk_fill(S, in, 0);
		if (a->op == OP_neg)
			return mk_unary(S, in, OP_neg, mk_binary(S, in, OP_div, a->args[0], args[1]));
		break;
	case OP_pow:
		if (scalar_of(S, args[1], &c)) {
			if (c == 1)
				return args[0];
			if (c == 2)
				return mk_unary(S, in, OP_square, args[0]);
			if (c == 0.5)
				return mk_unary(S, in, OP_sqrt, args[0]);
			if (c == 0)
				return mk_fill(S, in, 1);
			if (c == -1)
				return mk_binary(S, in, OP_div, mk_fill(S, in, 1), args[0]);
		}
		break;
	case OP_where:
		if (scalar_of(S, args[0], &c))
			return c != 0 ? args[1] : args[2];
		if (args[1] == args[2])
			return args[1];
		break;
	case OP_broadcast: {
		if (a->rank == in->rank) {
			bool same = true;
			for (int i = 0; i < in->rank; i++)
				same = same && a->shape[i] == in->shape[i];
			if (same)
				return args[0];
		}
		if (a->op == OP_broadcast) {
			Inst p = *in;
			return emit(S, &p, a->args);
		}
		if (a->op == OP_neg) { /* negation moves outward, where it can cancel */
			Inst p = *in;
			return mk_unary(S, in, OP_neg, emit(S, &p, a->args));
		}
		break;
	}
	case OP_reshape: {
		if (a->rank == in->rank) {
			bool same = true;
			for (int i = 0; i < in->rank; i++)
				same = same && a->shape[i] == in->shape[i];
			if (same)
				return args[0];
		}
		if (a->op == OP_reshape) {
			Inst p = *in;
			return emit(S, &p, a->args);
		}
		if (scalar_of(S, args[0], &c))
			return mk_fill(S, in, c);
		if (a->op == OP_neg) {
			Inst p = *in;
			return mk_unary(S, in, OP_neg, emit(S, &p, a->args));
		}
		break;
	}
	case OP_sum:
		if (a->op == OP_neg) {
			Inst p = *in;
			return mk_unary(S, in, OP_neg, emit(S, &p, a->args));
		}
		break;
	case OP_transpose: {
		bool id = true;
		for (int i = 0; i < in->nints; i++)
			id = id && in->ints[i] == i;
		if (id)
			return args[0];
		if (a->op == OP_transpose) {
			Inst p = *in;
			p.ints = arena_array(nf->A, (size_t)in->nints + 1, sizeof(int64_t));
			for (int i = 0; i < in->nints; i++)
				p.ints[i] = a->ints[in->ints[i]];
			return emit(S, &p, a->args);
		}
		if (scalar_of(S, args[0], &c))
			return mk_fill(S, in, c);
		break;
	}
	case OP_unslice: /* into a tensor of its own shape: itself */
		if (ir_same_shape(in, a) && is_identity_slice(in, a))
			return args[0];
		break;
	case OP_slice:
		if (is_identity_slice(in, a))
			return args[0];
		if (scalar_of(S, args[0], &c))
			return mk_fill(S, in, c);
		break;
	case OP_matmul: {
		bool ta = in->ints[0], tb = in->ints[1];
		int x = args[0], y = args[1];
		if (a->op == OP_transpose && swaps_last_two(a)) {
			x = a->args[0];
			ta = !ta;
		}
		if (b->op == OP_transpose && swaps_last_two(b)) {
			y = b->args[0];
			tb = !tb;
		}
		if (x != args[0] || y != args[1]) {
			Inst p = *in;
			p.ints = arena_array(nf->A, 2, sizeof(int64_t));
			p.ints[0] = ta;
			p.ints[1] = tb;
			int xy[2] = {x, y};
			return emit(S, &p, xy);
		}
		break;
	}
	case OP_solve:    /* solve(A^T, B) = solve(A, B, trans): A's factors serve both */
	case OP_trisolve: /* the lower triangle of A^T is the upper one of A, transposed */
		if (a->op == OP_transpose && swaps_last_two(a)) {
			Inst p = *in;
			p.ints = arena_array(nf->A, (size_t)in->nints, sizeof(int64_t));
			memcpy(p.ints, in->ints, (size_t)in->nints * sizeof(int64_t));
			if (in->op == OP_solve)
				p.ints[0] = !p.ints[0];
			else
				p.ints[0] = !p.ints[0], p.ints[1] = !p.ints[1];
			int ab[2] = {a->args[0], args[1]};
			return emit(S, &p, ab);
		}
		break;
	default: break;
	}
	if (op_info[in->op].kind == K_EW) {
		int v = fold_ew(S, in, args);
		if (v >= 0)
			return v;
	}
	return -1;
}

static int simplify_hook(Rewrite *rw, const Inst *in, const int *args)
{
	Simp *S = rw->ctx;
	S->nf = rw->nf;
	int r = simplify_inst(S, in, args);
	int v = r >= 0 ? r : emit(S, in, args);
	Inst *out = ir_inst(S->nf, v);
	if (!out->name && in->name && out->op != OP_param)
		out->name = in->name;
	return v;
}

static Func *simplify_body(const Func *b, void *ctx)
{
	(void)ctx;
	return opt_simplify((Func *)b);
}

Func *opt_simplify(Func *f)
{
	Simp S;
	S.old = f;
	S.nf = NULL;
	S.cap = 64;
	while (S.cap < 2 * f->ins.len)
		S.cap *= 2;
	S.table = new_table(f->A, S.cap);
	static const RewriteOps ops = {simplify_hook, simplify_body, false, NULL};
	Func *nf = ir_rewrite(f, NULL, &ops, &S, NULL);
	arena_release(f->A, S.table, (size_t)S.cap * sizeof *S.table);
	return nf;
}

static Func *dce_body(const Func *b, void *ctx)
{
	(void)ctx;
	return opt_dce((Func *)b);
}

/* Which parameters of body b something reads (an instruction or a result). */
static bool *params_read(const Func *b)
{
	int n = b->ins.len;
	bool *read = arena_array(b->A, (size_t)n + 1, sizeof(bool));
	for (int v = 0; v < n; v++) {
		const Inst *x = ir_inst(b, v);
		read[v] = read[v] || x->op != OP_param;
		for (int k = 0; k < x->nargs; k++)
			read[x->args[k]] = true;
	}
	for (int i = 0; i < b->results.len; i++)
		if (b->results.data[i].value >= 0)
			read[b->results.data[i].value] = true;
	return read;
}

/* What opt_dce's rewrite knows: the old function's live values, and for
 * each loop that lost carries (by old value) where its results went. */
typedef struct Dce {
	bool dropped; /* an operand of a loop or cond: what computed it may now be dead */
	const bool *live;
	int **results;
} Dce;

/* The values of b that its results `want` (per result; NULL: all) read. */
static bool *body_live(const Func *b, const bool *want)
{
	int n = b->ins.len;
	bool *live = arena_array(b->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < b->results.len; i++)
		if ((!want || want[i]) && b->results.data[i].value >= 0)
			live[b->results.data[i].value] = true;
	for (int v = n - 1; v >= 0; v--) {
		const Inst *in = ir_inst(b, v);
		for (int k = 0; live[v] && k < in->nargs; k++)
			live[in->args[k]] = true;
	}
	return live;
}

/* The carries of loop `in` (old value v) that something needs: its final
 * value is read, or a needed part of the body reads it. */
static bool *live_carries(const Func *f, const bool *flive, int v, const Inst *in)
{
	const Func *b = in->bodies[0];
	int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY];
	int off = in->ints[LOOP_FLAGS] & LF_BREAK ? 1 : 0;
	bool *need = arena_array(f->A, (size_t)nc + 1, sizeof(bool));
	for (int u = v + 1; u < f->ins.len; u++) {
		const Inst *x = ir_inst(f, u);
		if (x->op == OP_extract && x->args[0] == v && flive[u] && x->ints[0] < nc)
			need[x->ints[0]] = true;
	}
	bool *want = arena_array(f->A, (size_t)b->results.len + 1, sizeof(bool));
	for (bool changed = true; changed;) {
		changed = false;
		for (int i = 0; i < b->results.len; i++)
			want[i] = i < off || i >= off + nc || need[i - off];
		bool *blive = body_live(b, want);
		for (int k = 0; k < nc; k++)
			if (!need[k] && blive[b->params.data[1 + ninv + k]])
				need[k] = changed = true;
	}
	return need;
}

/* A loop whose body (already without its dead code) no longer reads an
 * invariant or a row, or carries a value nothing needs (the cotangent of an
 * integer, say), or a cond neither of whose bodies reads an operand: the op
 * without it, which then no longer keeps that value alive (a tape row that
 * going back does not read, say). */
static int dce_ctrl(Rewrite *rw, const Inst *in, const int *args)
{
	Dce *D = rw->ctx;
	if (in->op == OP_extract && D->results[in->args[0]])
		return ir_extract(rw->nf, args[0], D->results[in->args[0]][in->ints[0]]);
	if (in->op != OP_loop && in->op != OP_cond)
		return -1;
	bool loop = in->op == OP_loop;
	int nb = loop ? 1 : 2, first = loop ? 1 : 0; /* a loop's body starts with t */
	int nops = loop ? in->nargs : in->nargs - 1; /* a cond's first operand is its predicate */
	const int *ops = loop ? args : args + 1;
	bool *read[2];
	for (int j = 0; j < nb; j++)
		read[j] = params_read(in->bodies[j]);
	bool *keep = arena_array(rw->nf->A, (size_t)nops + 1, sizeof(bool));
	int ninv = loop ? (int)in->ints[LOOP_NINV] : 0, nc = loop ? (int)in->ints[LOOP_NCARRY] : 0, unread = 0;
	bool *need = loop ? live_carries(rw->old, D->live, rw->v, in) : NULL;
	int ndead = 0;
	for (int k = 0; k < nops; k++) {
		bool carry = loop && k >= ninv && k < ninv + nc;
		keep[k] = carry && need[k - ninv];
		for (int j = 0; j < nb && !carry; j++)
			keep[k] = keep[k] || read[j][in->bodies[j]->params.data[first + k]];
		unread += !keep[k];
		ndead += carry && !keep[k];
	}
	int r = -1;
	if (unread) {
		D->dropped = true;
		Inst p = *in;
		if (loop) { /* its counts change */
			p.ints = arena_array(rw->nf->A, (size_t)in->nints + 1, sizeof(int64_t));
			memcpy(p.ints, in->ints, (size_t)in->nints * sizeof(int64_t));
		}
		int *a = arena_array(rw->nf->A, (size_t)in->nargs + 1, sizeof(int)), na = 0;
		if (!loop)
			a[na++] = args[0];
		for (int k = 0; k < nops; k++)
			if (keep[k])
				a[na++] = ops[k];
			else if (loop)
				p.ints[k < ninv ? LOOP_NINV : k < ninv + nc ? LOOP_NCARRY : LOOP_NXS]--;
		p.nargs = na;
		p.bodies = arena_array(rw->nf->A, (size_t)nb, sizeof *p.bodies);
		for (int j = 0; j < nb; j++) {
			const Func *b = in->bodies[j];
			if (ndead) { /* without the results of the carries nobody needs */
				Func *c = ir_clone(b);
				int off = in->ints[LOOP_FLAGS] & LF_BREAK ? 1 : 0, nr = 0;
				for (int i = 0; i < c->results.len; i++)
					if (i < off || i >= off + nc || need[i - off])
						c->results.data[nr++] = c->results.data[i];
				c->results.len = nr;
				b = c;
				/* and without what only they read */
				bool *blive = body_live(c, NULL);
				for (int v = 0; v < c->ins.len; v++)
					if (ir_inst(c, v)->op != OP_param)
						read[j][v] = blive[v];
			}
			for (int k = 0; k < nops; k++)
				read[j][b->params.data[first + k]] = keep[k];
			if (loop)
				read[j][b->params.data[0]] = true;
			p.bodies[j] = ir_rewrite(b, read[j], NULL, NULL, NULL);
		}
		r = ir_rebuild(rw->nf, &p, a);
		if (ndead) { /* where the loop's results went */
			int nres = ir_nresults(rw->old, rw->v);
			int *to = arena_array(rw->nf->A, (size_t)nres + 1, sizeof(int));
			for (int i = 0, dead = 0; i < nres; i++) {
				bool gone = i < nc && !need[i];
				dead += gone;
				to[i] = gone ? -1 : i - dead;
			}
			D->results[rw->v] = to;
		}
	}
	for (int j = 0; j < nb; j++)
		arena_release(in->bodies[j]->A, read[j], (size_t)in->bodies[j]->ins.len + 1);
	return r;
}

bool *opt_live(const Func *f)
{
	return body_live(f, NULL);
}

Func *opt_dce(Func *f)
{
	int n = f->ins.len;
	bool *live = opt_live(f);
	for (int i = 0; i < f->params.len; i++)
		live[f->params.data[i]] = true; /* the signature stays */
	static const RewriteOps ops = {dce_ctrl, dce_body, false, NULL};
	Dce D = {false, live, arena_array(f->A, (size_t)n + 1, sizeof(int *))};
	Func *nf = ir_rewrite(f, live, &ops, &D, NULL);
	arena_release(f->A, D.results, ((size_t)n + 1) * sizeof(int *));
	arena_release(f->A, live, (size_t)n + 1);
	/* the values only those operands read are dead now: once more (as
	 * many times as bodies nest, at most) */
	return D.dropped ? opt_dce(nf) : nf;
}
