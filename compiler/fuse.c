/* fuse.c: fusion, the first scheduling pass (see schedule.h).
 *
 * Every value starts inlined: its expression is evaluated inside the loop of
 * each value that reads it, so chains of elementwise ops, broadcasts,
 * slices and reshapes become one loop with no temporary arrays. A value is
 * materialized instead when it must be: parameters, results, constant
 * arrays, reductions, matrix products and their operands, reshapes that
 * reorder axes, scalars that take work (computed once, as locals), and
 * expensive values (transcendental math, division, or long inlined chains)
 * that more than one loop would otherwise recompute, or that a broadcast
 * would recompute for every element it is stretched over. */
#include "schedule.h"

#include <string.h>

bool sched_unit_reshape(const Inst *r, const Inst *a, int *map)
{
	/* map[k] = operand axis for result axis k, or -1 for an inserted 1 */
	int j = 0;
	for (int k = 0; k < r->rank; k++) {
		while (j < a->rank && r->shape[k] != a->shape[j]) {
			int64_t v;
			if (!(dim_is_const(a->shape[j], &v) && v == 1))
				break;
			j++; /* a dropped size-1 axis */
		}
		if (j < a->rank && r->shape[k] == a->shape[j]) {
			map[k] = j++;
			continue;
		}
		int64_t v;
		if (dim_is_const(r->shape[k], &v) && v == 1) {
			map[k] = -1;
			continue;
		}
		return false;
	}
	for (; j < a->rank; j++) {
		int64_t v;
		if (!(dim_is_const(a->shape[j], &v) && v == 1))
			return false;
	}
	return true;
}

/* For every value, as placed so far: does inlining it bring expensive math
 * (transcendentals, division) into a loop, and how many inlined
 * operations (capped at 1000)? Operands come first, so one forward pass
 * computes both, without recursion. */
static void inline_costs(const Schedule *s, const Func *f, int *cost, bool *expensive)
{
	for (int v = 0; v < s->n; v++) {
		const Inst *in = ir_inst(f, v);
		cost[v] = 0;
		expensive[v] = false;
		if (s->mat[v] != M_INLINE)
			continue;
		int c = 1;
		bool x = (op_info[in->op].flags & F_EXPENSIVE) != 0;
		for (int k = 0; k < in->nargs; k++) {
			if (c < 1000)
				c += cost[in->args[k]];
			x = x || expensive[in->args[k]];
		}
		cost[v] = c;
		expensive[v] = x;
	}
}

/* Must operand k of a control-flow op be stored? What its bodies read
 * (invariants, per-iteration inputs, a cond's operands and predicate)
 * must; a loop's initial carries are copied into the carries' buffers
 * before it starts, and that copy fuses them. */
static bool ctrl_stores(const Inst *in, int k)
{
	if (in->op == OP_cond)
		return true;
	if (in->op != OP_loop)
		return false;
	int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY];
	return k < ninv || k >= ninv + nc;
}

static bool array_backed(int m)
{
	return m == M_PARAM || m == M_RESULT || m == M_SCRATCH || m == M_STATIC || m == M_ALIAS;
}

/* Sources, results, and what the loop structure forces into memory. */
static void place_required(Schedule *s, Func *f, bool optional, int nullable_to)
{
	int n = s->n;
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		for (int k = 0; k < in->nargs; k++)
			s->uses[in->args[k]]++;
		if (in->op == OP_param)
			s->mat[v] = M_PARAM;
		else if (in->op == OP_const && in->nnums > 1)
			s->mat[v] = M_STATIC;
	}
	/* how many results each value is (a forward pass's saved values are
	 * results too: there may be as many as instructions) */
	int *nres = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int i = 0; i < f->results.len; i++)
		if (f->results.data[i].value >= 0)
			nres[f->results.data[i].value]++;
	for (int i = 0; i < f->results.len; i++) {
		int v = f->results.data[i].value;
		/* a result buffer that may be NULL cannot hold a value others read
		 * (other instructions, or another result), nor a result of a loop
		 * or cond (which runs when any of its results is wanted) */
		bool nullable = optional && i < nullable_to;
		bool of_ctrl = v >= 0 && ir_inst(f, v)->op == OP_extract &&
		               (ir_inst(f, ir_inst(f, v)->args[0])->op == OP_loop ||
		                ir_inst(f, ir_inst(f, v)->args[0])->op == OP_cond);
		if (v >= 0 && s->mat[v] == M_INLINE && !(nullable && (s->uses[v] > 0 || nres[v] > 1 || of_ctrl))) {
			s->mat[v] = M_RESULT;
			s->result_of[v] = i;
		}
	}
	arena_release(f->A, nres, ((size_t)n + 1) * sizeof(int));
	for (int v = n - 1; v >= 0; v--) {
		const Inst *in = ir_inst(f, v);
		OpKind kind = op_info[in->op].kind;
		if ((kind == K_REDUCE || kind == K_SCAN || kind == K_MATMUL || kind == K_SCATTER || kind == K_LINALG ||
		     in->op == OP_extract) &&
		    s->mat[v] == M_INLINE)
			s->mat[v] = M_SCRATCH;
		/* a take is a kernel of its own, which checks its indices first;
		 * the indices of a take or a scatter are stored */
		if (in->op == OP_gather && s->mat[v] == M_INLINE)
			s->mat[v] = M_SCRATCH;
		if ((in->op == OP_gather || kind == K_SCATTER) && s->mat[in->args[1]] == M_INLINE)
			s->mat[in->args[1]] = M_SCRATCH;
		if (in->op == OP_loop || in->op == OP_cond)
			s->mat[v] = M_CTRL; /* a statement; its results live where its extracts do */
		if (kind == K_MATMUL || kind == K_LINALG)
			for (int k = 0; k < in->nargs; k++)
				if (s->mat[in->args[k]] == M_INLINE)
					s->mat[in->args[k]] = M_SCRATCH;
		if (in->op == OP_reshape && s->mat[in->args[0]] == M_INLINE) {
			int map[IR_MAX_RANK];
			if (!sched_unit_reshape(in, ir_inst(f, in->args[0]), map))
				s->mat[in->args[0]] = M_SCRATCH;
		}
	}
	/* a scalar that takes any work is computed once, as a local; what a
	 * control-flow op reads is stored, a constant too (its bodies, closed,
	 * cannot inline anything of the function around them) */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (in->rank == 0 && s->mat[v] == M_INLINE && op_info[in->op].kind != K_SRC && in->op != OP_broadcast &&
		    in->op != OP_reshape && s->uses[v] > 0)
			s->mat[v] = M_LOCAL;
		for (int k = 0; k < in->nargs; k++)
			if (ctrl_stores(in, k) && s->mat[in->args[k]] == M_INLINE)
				s->mat[in->args[k]] = ir_inst(f, in->args[k])->rank == 0 ? M_LOCAL : M_SCRATCH;
	}
}

/* Expensive values read by several loops, or many times by one through a
 * broadcast, are computed once into a buffer. Users come after their
 * operands, so walking backwards sees each reader's final placement; and a
 * value's placement is decided after everything that reads it, so what
 * inlining a value costs (which depends only on its operands, all still
 * undecided) can be computed once before the walk: one pass each way,
 * linear in the size of the function. */
enum {
	/* inlined operations past which a value read twice is stored: in a
	 * function, where arrays are large and memory traffic costs most; in a
	 * loop body, where they are one iteration's (small, in cache) and
	 * recomputing them every iteration costs more, sooner (RK4's stages,
	 * each read shifted by the next, were recomputed 10 times for 4) */
	SHARE = 24,
	SHARE_BODY = 12
};

static void place_shared(Schedule *s, Func *f)
{
	int n = s->n;
	int *cost = arena_array(f->A, (size_t)n + 1, sizeof(int));
	bool *expensive = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	bool *stretched = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	int *refs = arena_array(f->A, (size_t)n + 1, sizeof(int));
	inline_costs(s, f, cost, expensive);
	for (int v = 0; v < n; v++) {
		refs[v] = s->uses[v]; /* readers: instructions, and results it is copied to */
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_broadcast && !ir_same_shape(in, ir_inst(f, in->args[0])))
			stretched[in->args[0]] = true; /* each element is read many times */
	}
	for (int r = 0; r < f->results.len; r++)
		if (f->results.data[r].value >= 0)
			refs[f->results.data[r].value]++;
	for (int v = n - 1; v >= 0; v--) {
		const Inst *in = ir_inst(f, v);
		if (s->mat[v] != M_INLINE || op_info[in->op].kind == K_SRC)
			continue;
		bool x = expensive[v];
		if ((refs[v] > 1 && (x || cost[v] > (f->is_body ? SHARE_BODY : SHARE))) ||
		    (stretched[v] && (x || cost[v] > 4)))
			s->mat[v] = M_SCRATCH;
	}
	for (int v = 0; v < n; v++)
		if (s->mat[v] == M_SCRATCH && ir_inst(f, v)->rank == 0)
			s->mat[v] = M_LOCAL;
	arena_release(f->A, cost, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, expensive, (size_t)n + 1);
	arena_release(f->A, stretched, (size_t)n + 1);
	arena_release(f->A, refs, ((size_t)n + 1) * sizeof(int));
}

/* An inlined chain deeper than INLINE_DEPTH operations is cut where it
 * reaches the limit, by storing that value (in a buffer, or a local for a
 * scalar): the emitter's walk of an expression stays shallow, and so does
 * the C compiler's. */
enum { INLINE_DEPTH = 256 };

static void place_deep(Schedule *s, Func *f)
{
	int n = s->n;
	int *depth = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (s->mat[v] != M_INLINE || op_info[in->op].kind == K_SRC)
			continue;
		int d = 0;
		for (int k = 0; k < in->nargs; k++)
			d = depth[in->args[k]] > d ? depth[in->args[k]] : d;
		if (++d > INLINE_DEPTH) {
			s->mat[v] = in->rank == 0 ? M_LOCAL : M_SCRATCH;
			d = 0;
		}
		depth[v] = d;
	}
	arena_release(f->A, depth, ((size_t)n + 1) * sizeof(int));
}

/* Reshapes cost no copy where row-major order allows it. */
static void place_views(Schedule *s, Func *f, bool optional)
{
	int n = s->n;
	/* a result that is a reshape of a stored value used nowhere else: that
	 * value is computed in the result buffer itself (a matrix product
	 * writes gw directly, not a copy) */
	for (int i = 0; i < f->results.len && !optional; i++) {
		int v = f->results.data[i].value;
		if (v < 0 || s->mat[v] != M_RESULT || s->result_of[v] != i)
			continue;
		const Inst *in = ir_inst(f, v);
		int u = in->nargs ? in->args[0] : -1;
		if (in->op == OP_reshape && s->mat[u] == M_SCRATCH && s->uses[u] == 1 && ir_inst(f, u)->rank > 0) {
			s->mat[u] = M_RESULT;
			s->result_of[u] = i;
			s->mat[v] = M_ALIAS;
		}
	}
	/* a reshape of a stored array that must be stored itself is the same
	 * memory seen with another shape; so are consecutive rows of one (the
	 * rows a loop reads, x[t + 1]) */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (s->mat[v] != M_SCRATCH || in->rank == 0 || !array_backed(s->mat[in->args[0]]) ||
		    ir_inst(f, in->args[0])->rank == 0)
			continue;
		if (in->op == OP_reshape || (in->op == OP_slice && sched_row_slice(f, v)))
			s->mat[v] = M_ALIAS;
	}
}

bool sched_row_slice(const Func *f, int v)
{
	const Inst *in = ir_inst(f, v), *x = ir_inst(f, in->args[0]);
	if (in->op != OP_slice || in->rank == 0 || in->ints[0] != 1)
		return false;
	for (int k = 1; k < in->rank; k++) {
		int64_t s0;
		if (in->ints[k] != 1 || !dim_is_const(in->dims[k], &s0) || s0 != 0 || in->shape[k] != x->shape[k])
			return false;
	}
	return true;
}

Schedule *sched_fuse(Func *f, bool optional, int nullable_to)
{
	for (int v = 0; v < f->ins.len; v++)
		for (int j = 0; j < ir_inst(f, v)->nbodies; j++)
			sched_fuse(ir_inst(f, v)->bodies[j], false, 0);
	Schedule *s = arena_alloc(f->A, sizeof *s);
	f->sched = s;
	int n = s->n = f->ins.len;
	s->mat = arena_array(f->A, (size_t)n + 1, sizeof(int));
	s->uses = arena_array(f->A, (size_t)n + 1, sizeof(int));
	s->result_of = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++)
		s->result_of[v] = -1;
	place_required(s, f, optional, nullable_to);
	place_shared(s, f);
	place_deep(s, f);
	place_views(s, f, optional);
	return s;
}

void sched_print(Buf *b, const Func *f)
{
	static const char *const where[] = {"inline", "parameter", "result", "buffer",
	                                    "local",  "constant",  "view",   "statement"};
	const Schedule *s = f->sched;
	buf_printf(b, "%s %s:\n", f->is_body ? "body" : "func", f->name);
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		buf_printf(b, "  %%%d %s -> %s", v, op_info[in->op].name, s ? where[s->mat[v]] : "?");
		if (s && s->last && s->mat[v] != M_INLINE && s->last[v] >= 0)
			buf_printf(b, ", last read by %%%d", s->last[v]);
		if (s && s->reuse && s->reuse[v] >= 0)
			buf_printf(b, ", in the memory of %%%d", s->reuse[v]);
		buf_putc(b, '\n');
		for (int j = 0; j < in->nbodies; j++)
			sched_print(b, in->bodies[j]);
	}
}
