/* reuse.c: liveness-based buffer reuse, the second scheduling pass (see
 * schedule.h). Kernels run in instruction order, one per stored value; a
 * buffer is live from its kernel to the last kernel that reads it. A later
 * scratch buffer of the same element count and dtype takes over the memory
 * of one that is dead by then, so peak scratch memory follows what is live
 * at once rather than everything the function computes. */
#include "schedule.h"

int sched_owner(const Schedule *s, const Func *f, int v)
{
	while (s->mat[v] == M_ALIAS)
		v = ir_inst(f, v)->args[0];
	return v;
}

int sched_base(const Schedule *s, const Func *f, int v)
{
	/* (not through a view of rows, x[a:b], which starts inside its owner) */
	while ((s->mat[v] == M_ALIAS || s->mat[v] == M_INLINE) && ir_inst(f, v)->op == OP_reshape)
		v = ir_inst(f, v)->args[0];
	return s->mat[v] == M_INLINE || s->mat[v] == M_ALIAS ? -1 : v;
}

/* The operand whose buffer v may overwrite instead of copying it: a
 * scatter's operand 0, or the initial value of the loop carry that v
 * extracts; -1 for any other value. */
static int inplace_operand(const Func *f, int v)
{
	const Inst *in = ir_inst(f, v);
	if (op_info[in->op].kind == K_SCATTER)
		return in->args[0];
	if (in->op != OP_extract)
		return -1;
	const Inst *c = ir_inst(f, in->args[0]);
	if (c->op != OP_loop || in->ints[0] >= c->ints[LOOP_NCARRY])
		return -1;
	return c->args[c->ints[LOOP_NINV] + in->ints[0]];
}

/* Record that the kernel at position `at` reads what operands [from, to)
 * of v's expression read. seen[a] == at: a's expression was walked for
 * this kernel already. */
static void mark_args(const Schedule *s, const Func *f, int v, int from, int to, int at, int *seen);

static void mark_reads(const Schedule *s, const Func *f, int v, int at, int *seen)
{
	mark_args(s, f, v, 0, ir_inst(f, v)->nargs, at, seen);
}

static void mark_args(const Schedule *s, const Func *f, int v, int from, int to, int at, int *seen)
{
	const Inst *in = ir_inst(f, v);
	for (int k = from; k < to; k++) {
		int a = in->args[k];
		if (s->mat[a] == M_INLINE) {
			if (seen[a] != at) {
				seen[a] = at;
				mark_reads(s, f, a, at, seen);
			}
			continue;
		}
		int o = sched_owner(s, f, a);
		if (s->last[o] < at)
			s->last[o] = at;
	}
}

static void liveness(Schedule *s, Func *f)
{
	int n = s->n;
	int *seen = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++) {
		s->last[v] = -1;
		seen[v] = -1;
	}
	/* per loop, which carries may start in their initial value's buffer */
	bool **carry_ok = arena_array(f->A, (size_t)n + 1, sizeof(bool *));
	for (int v = 0; v < n; v++) {
		int m = s->mat[v];
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_extract && inplace_operand(f, v) >= 0) /* a loop's carry */
			s->inplace[v] = in->rank > 0 && carry_ok[in->args[0]][in->ints[0]];
		if (!(m == M_SCRATCH || m == M_RESULT || m == M_LOCAL || m == M_CTRL))
			continue;
		if (op_info[in->op].kind == K_SCATTER) {
			/* a scatter may overwrite its operand's buffer if its indices
			 * and values do not read that buffer, nor anything after it
			 * (below) */
			int o = sched_base(s, f, in->args[0]);
			mark_args(s, f, v, 1, 3, v, seen);
			s->inplace[v] = o >= 0 && s->last[o] < v;
			mark_args(s, f, v, 0, 1, v, seen);
		} else if (in->op == OP_loop) {
			/* so may a loop's carry, if the loop reads the buffer of its
			 * initial value only as that */
			int ninv = (int)in->ints[LOOP_NINV], nc = (int)in->ints[LOOP_NCARRY];
			mark_args(s, f, v, 0, ninv, v, seen);
			mark_args(s, f, v, ninv + nc, in->nargs, v, seen);
			carry_ok[v] = arena_array(f->A, (size_t)nc + 1, sizeof(bool));
			for (int k = 0; k < nc; k++) {
				int o = sched_base(s, f, in->args[ninv + k]);
				carry_ok[v][k] = o >= 0 && s->last[o] < v;
				mark_args(s, f, v, ninv + k, ninv + k + 1, v, seen);
			}
		} else {
			mark_reads(s, f, v, v, seen);
		}
	}
	for (int r = 0; r < f->results.len; r++) {
		int v = f->results.data[r].value;
		if (v < 0)
			continue;
		if (s->mat[v] == M_INLINE)
			mark_reads(s, f, v, n, seen);
		else if (s->last[sched_owner(s, f, v)] < n)
			s->last[sched_owner(s, f, v)] = n;
	}
	arena_release(f->A, carry_ok, ((size_t)n + 1) * sizeof(bool *));
	arena_release(f->A, seen, ((size_t)n + 1) * sizeof(int));
	/* ... and nothing reads it after the scatter or the loop */
	for (int v = 0; v < n; v++)
		if (s->inplace[v]) {
			const Inst *in = ir_inst(f, v);
			int at = in->op == OP_extract ? in->args[0] : v;
			s->inplace[v] = s->last[sched_base(s, f, inplace_operand(f, v))] == at;
		}
}

/* The writer of body result r if it may overwrite the buffer of its
 * operand (liveness above), writing the result's buffer itself; or -1. */
static int result_writer(const Func *b, int r)
{
	const Schedule *s = b->sched;
	int v = b->results.data[r].value;
	if (v < 0)
		return -1;
	int w = sched_base(s, b, v);
	if (w < 0 || inplace_operand(b, w) < 0 || s->mat[w] != M_RESULT || s->result_of[w] != r)
		return -1;
	return w;
}

bool sched_carry_in_place(const Func *b, int result, int param)
{
	const Schedule *s = b->sched;
	for (int u = result_writer(b, result); u >= 0 && s->inplace[u];) {
		int o = sched_base(s, b, inplace_operand(b, u));
		if (o == param)
			return true;
		u = s->mat[o] == M_RESULT && s->result_of[o] == result ? o : -1;
	}
	return false;
}

/* A loop's array carry that its body rewrites by scatters of the carry
 * itself (ys[t] = h; a cotangent's row zeroed, then another added to),
 * each the last reader of the one before, keeps one buffer: each writes
 * into it in place, the ones before the last as the result too. Every
 * other scatter writing a body result (of a loop or a cond) copies its
 * operand first. */
static void carries_in_place(Schedule *s, Func *b)
{
	for (int r = 0; r < b->results.len; r++) {
		int w = result_writer(b, r), p = s->carry_param ? s->carry_param[r] : -1;
		if (w < 0 || !s->inplace[w])
			continue;
		int u = w, o;
		while (p >= 0 && u >= 0 && (o = sched_base(s, b, inplace_operand(b, u))) != p)
			u = o >= 0 && s->mat[o] == M_SCRATCH && inplace_operand(b, o) >= 0 && s->inplace[o] ? o : -1;
		if (p < 0 || u < 0) {
			s->inplace[w] = false;
			continue;
		}
		for (u = w; (o = sched_base(s, b, inplace_operand(b, u))) != p; u = o) {
			s->mat[o] = M_RESULT;
			s->result_of[o] = r;
		}
	}
}

/* Which parameter of loop body b each of its results carries, for
 * carries_in_place. */
static void mark_carries(const Inst *loop, Func *b)
{
	int ninv = (int)loop->ints[LOOP_NINV], nc = (int)loop->ints[LOOP_NCARRY];
	int off = loop->ints[LOOP_FLAGS] & LF_BREAK ? 1 : 0;
	Schedule *s = b->sched;
	s->carry_param = arena_array(b->A, (size_t)b->results.len + 1, sizeof(int));
	for (int r = 0; r < b->results.len; r++)
		s->carry_param[r] = r >= off && r < off + nc ? b->params.data[1 + ninv + (r - off)] : -1;
}

/* A binary min-heap of block numbers, ordered by key[block]. */
typedef struct Heap {
	int *b, n, cap;
} Heap;

static bool heap_less(const int *key, int x, int y)
{
	return key[x] < key[y] || (key[x] == key[y] && x < y);
}

static void heap_push(Arena *A, Heap *h, const int *key, int b)
{
	if (h->n == h->cap) {
		int cap = h->cap ? 2 * h->cap : 4;
		h->b = arena_grow(A, h->b, (size_t)h->cap, (size_t)cap, sizeof(int));
		h->cap = cap;
	}
	int i = h->n++;
	for (; i > 0 && heap_less(key, b, h->b[(i - 1) / 2]); i = (i - 1) / 2)
		h->b[i] = h->b[(i - 1) / 2];
	h->b[i] = b;
}

static int heap_pop(Heap *h, const int *key)
{
	int top = h->b[0], last = h->b[--h->n], i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_less(key, h->b[c + 1], h->b[c]))
			c++;
		if (!heap_less(key, h->b[c], last))
			break;
		h->b[i] = h->b[c];
		i = c;
	}
	if (h->n)
		h->b[i] = last;
	return top;
}

/* The blocks of one element count and dtype: those still in use, by when
 * they are free, and those free, by number (the lowest is taken, so the
 * choice does not depend on the order of the search). */
typedef struct Pool {
	const Dim *numel;
	DType dt;
	Heap busy, idle;
} Pool;

void sched_reuse(Func *f)
{
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		for (int j = 0; j < in->nbodies; j++) {
			if (in->op == OP_loop)
				mark_carries(in, in->bodies[j]);
			sched_reuse(in->bodies[j]);
		}
	}
	Schedule *s = f->sched;
	if (!s)
		ICE("buffer reuse of '%s' before its fusion", f->name);
	int n = s->n;
	s->last = arena_array(f->A, (size_t)n + 1, sizeof(int));
	s->reuse = arena_array(f->A, (size_t)n + 1, sizeof(int));
	s->inplace = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	liveness(s, f);
	if (f->is_body)
		carries_in_place(s, f);
	/* memory blocks: the value holding each now, and when it is free */
	int *holder = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int *free_after = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int *number = arena_array(f->A, (size_t)n + 1, sizeof(int)); /* the identity, as a key */
	/* a block a scatter took over in place is busy until `until`, past
	 * the key it is in the heap with (it goes back in when popped) */
	int *until = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int *block_of = arena_array(f->A, (size_t)n + 1, sizeof(int));
	/* pools by element count and dtype, found through a hash table */
	int cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	Pool *pools = arena_array(f->A, (size_t)n + 1, sizeof(Pool));
	int *slots = arena_array(f->A, (size_t)cap, sizeof(int));
	for (int i = 0; i < cap; i++)
		slots[i] = -1;
	/* the extracts of each loop or cond, in order: a loop writes its
	 * results' buffers while it runs, so they are born with it (and must
	 * not take the memory of what it still reads), however far after it
	 * the extracts stand */
	int *first_ex = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int *next_ex = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = n - 1; v >= 0; v--) {
		first_ex[v] = next_ex[v] = -1;
		s->reuse[v] = -1;
	}
	for (int v = n - 1; v >= 0; v--)
		if (ir_inst(f, v)->op == OP_extract) {
			int c = ir_inst(f, v)->args[0];
			next_ex[v] = first_ex[c];
			first_ex[c] = v;
		}
	int nblocks = 0, npools = 0;
	for (int at = 0; at < n; at++) {
		if (ir_inst(f, at)->op == OP_extract)
			continue; /* placed with its loop or cond */
		for (int v = at; v >= 0; v = v == at ? first_ex[at] : next_ex[v]) {
			if (s->mat[v] != M_SCRATCH)
				continue;
			const Inst *in = ir_inst(f, v);
			int o = s->inplace[v] ? sched_base(s, f, inplace_operand(f, v)) : -1;
			if (o >= 0 && s->mat[o] == M_SCRATCH) { /* o's block, in place */
				int b = block_of[v] = block_of[o];
				s->reuse[v] = holder[b];
				holder[b] = v;
				until[b] = s->last[v] > v ? s->last[v] : v;
				continue;
			}
			s->inplace[v] = false;
			const Dim *ne = dim_const(f->dc, 1);
			for (int k = 0; k < in->rank; k++)
				ne = dim_mul(f->dc, ne, in->shape[k]);
			size_t i = (size_t)(((uintptr_t)ne >> 4) * 31 + (uintptr_t)in->dt) & (size_t)(cap - 1);
			while (slots[i] >= 0 && !(pools[slots[i]].numel == ne && pools[slots[i]].dt == in->dt))
				i = (i + 1) & (size_t)(cap - 1);
			if (slots[i] < 0) {
				slots[i] = npools;
				pools[npools++] = (Pool){ne, in->dt, {0}, {0}};
			}
			Pool *p = &pools[slots[i]];
			while (p->busy.n && free_after[p->busy.b[0]] < at) {
				int b = heap_pop(&p->busy, free_after);
				if (until[b] > free_after[b]) { /* taken over: busy longer */
					free_after[b] = until[b];
					heap_push(f->A, &p->busy, free_after, b);
				} else {
					heap_push(f->A, &p->idle, number, b);
				}
			}
			int b;
			if (p->idle.n) {
				b = heap_pop(&p->idle, number);
				s->reuse[v] = holder[b];
			} else {
				b = nblocks++;
				number[b] = b;
			}
			block_of[v] = b;
			holder[b] = v;
			free_after[b] = until[b] = s->last[v] > v ? s->last[v] : v;
			heap_push(f->A, &p->busy, free_after, b);
		}
	}
	/* a function's result is its own buffer; whether a body's may be
	 * its parameter's, the op that owns the body decides (above) */
	for (int v = 0; v < n && !f->is_body; v++)
		if (s->mat[v] != M_SCRATCH)
			s->inplace[v] = false;
	arena_release(f->A, next_ex, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, first_ex, ((size_t)n + 1) * sizeof(int));
	/* the working tables go back to the arena */
	for (int i = 0; i < npools; i++) {
		arena_release(f->A, pools[i].busy.b, (size_t)pools[i].busy.cap * sizeof(int));
		arena_release(f->A, pools[i].idle.b, (size_t)pools[i].idle.cap * sizeof(int));
	}
	arena_release(f->A, slots, (size_t)cap * sizeof(int));
	arena_release(f->A, pools, ((size_t)n + 1) * sizeof(Pool));
	arena_release(f->A, block_of, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, until, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, number, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, free_after, ((size_t)n + 1) * sizeof(int));
	arena_release(f->A, holder, ((size_t)n + 1) * sizeof(int));
}
