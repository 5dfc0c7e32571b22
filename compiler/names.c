/* names.c: scoped name sets (see names.h). Two chained hash tables over
 * arena memory: the names taken, and per base name the next suffix to try
 * (every base_k below it is taken, so fresh names cost O(1) amortized). An
 * undo log in taking order makes release exact: after names_release(mark)
 * the table is as it was at the mark, counters included. */
#include "names.h"

#include <string.h>

typedef struct Ent {
	const char *s;
	int k; /* counters: the next suffix of base s */
	struct Ent *next;
} Ent;

typedef struct Table {
	Ent **b;
	size_t nb, count;
} Table;

typedef struct Undo {
	Ent *e;    /* a name taken, or a counter changed */
	int old_k; /* the counter's value before, or -1 for a name */
} Undo;

struct Names {
	Arena *A;
	Table taken, counters;
	VEC(Undo) log;
	VEC(Ent *) free_ents; /* released name entries, reused */
};

static void table_init(Arena *A, Table *t)
{
	t->nb = 64;
	t->count = 0;
	t->b = arena_array(A, t->nb, sizeof *t->b);
}

static Ent *table_find(const Table *t, const char *s)
{
	for (Ent *e = t->b[hash_str(s) & (t->nb - 1)]; e; e = e->next)
		if (strcmp(e->s, s) == 0)
			return e;
	return NULL;
}

static void table_insert(Arena *A, Table *t, Ent *e)
{
	if (t->count >= t->nb) {
		size_t nb = 2 * t->nb;
		Ent **b = arena_array(A, nb, sizeof *b);
		for (size_t i = 0; i < t->nb; i++)
			for (Ent *x = t->b[i], *next; x; x = next) {
				next = x->next;
				size_t h = hash_str(x->s) & (nb - 1);
				x->next = b[h];
				b[h] = x;
			}
		t->b = b;
		t->nb = nb;
	}
	size_t h = hash_str(e->s) & (t->nb - 1);
	e->next = t->b[h];
	t->b[h] = e;
	t->count++;
}

static void table_remove(Table *t, Ent *e)
{
	for (Ent **p = &t->b[hash_str(e->s) & (t->nb - 1)]; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			t->count--;
			return;
		}
}

Names *names_new(Arena *A)
{
	Names *n = arena_alloc(A, sizeof *n);
	memset(n, 0, sizeof *n);
	n->A = A;
	table_init(A, &n->taken);
	table_init(A, &n->counters);
	return n;
}

bool names_has(const Names *n, const char *s)
{
	return table_find(&n->taken, s) != NULL;
}

void names_add(Names *n, const char *s)
{
	Ent *e;
	if (n->free_ents.len)
		e = n->free_ents.data[--n->free_ents.len];
	else
		e = arena_alloc(n->A, sizeof *e);
	e->s = s;
	e->k = 0;
	table_insert(n->A, &n->taken, e);
	Undo u = {e, -1};
	VEC_PUSH(n->A, n->log, u);
}

const char *names_fresh(Names *n, const char *base)
{
	if (!names_has(n, base)) {
		names_add(n, base);
		return base;
	}
	Ent *c = table_find(&n->counters, base);
	if (!c) {
		c = arena_alloc(n->A, sizeof *c);
		c->s = base;
		c->k = 2;
		table_insert(n->A, &n->counters, c);
	}
	int k = c->k;
	const char *s;
	while (names_has(n, s = arena_printf(n->A, "%s_%d", base, k)))
		k++;
	Undo u = {c, c->k};
	VEC_PUSH(n->A, n->log, u);
	c->k = k + 1;
	names_add(n, s);
	return s;
}

int names_mark(const Names *n)
{
	return n->log.len;
}

void names_release(Names *n, int mark)
{
	while (n->log.len > mark) {
		Undo u = n->log.data[--n->log.len];
		if (u.old_k >= 0) {
			u.e->k = u.old_k;
		} else {
			table_remove(&n->taken, u.e);
			VEC_PUSH(n->A, n->free_ents, u.e);
		}
	}
}
