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

/* Record that the kernel at position `at` reads what v's expression reads. */
static void mark_reads(const Schedule *s, const Func *f, int v, int at)
{
	const Inst *in = ir_inst(f, v);
	for (int k = 0; k < in->nargs; k++) {
		int a = in->args[k];
		if (s->mat[a] == M_INLINE) {
			mark_reads(s, f, a, at);
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
	for (int v = 0; v < n; v++)
		s->last[v] = -1;
	for (int v = 0; v < n; v++) {
		int m = s->mat[v];
		if (m == M_SCRATCH || m == M_RESULT || m == M_LOCAL)
			mark_reads(s, f, v, v);
	}
	for (int r = 0; r < f->results.len; r++) {
		int v = f->results.data[r].value;
		if (v < 0)
			continue;
		if (s->mat[v] == M_INLINE)
			mark_reads(s, f, v, n);
		else if (s->last[sched_owner(s, f, v)] < n)
			s->last[sched_owner(s, f, v)] = n;
	}
}

void sched_reuse(Schedule *s, Func *f)
{
	int n = s->n;
	s->last = arena_array(f->A, (size_t)n + 1, sizeof(int));
	s->reuse = arena_array(f->A, (size_t)n + 1, sizeof(int));
	liveness(s, f);
	/* memory blocks: the value holding each now, and when it is free */
	int *holder = arena_array(f->A, (size_t)n + 1, sizeof(int));
	int *free_after = arena_array(f->A, (size_t)n + 1, sizeof(int));
	const Dim **numel = arena_array(f->A, (size_t)n + 1, sizeof(Dim *));
	int nblocks = 0;
	for (int v = 0; v < n; v++) {
		s->reuse[v] = -1;
		if (s->mat[v] != M_SCRATCH)
			continue;
		const Inst *in = ir_inst(f, v);
		const Dim *ne = dim_const(f->dc, 1);
		for (int k = 0; k < in->rank; k++)
			ne = dim_mul(f->dc, ne, in->shape[k]);
		int b = -1;
		for (int k = 0; k < nblocks && b < 0; k++)
			if (numel[k] == ne && ir_inst(f, holder[k])->dt == in->dt && free_after[k] < v)
				b = k;
		if (b >= 0)
			s->reuse[v] = holder[b];
		else
			b = nblocks++;
		holder[b] = v;
		numel[b] = ne;
		free_after[b] = s->last[v] > v ? s->last[v] : v;
	}
}
