/* dim.c: hash-consed polynomial dimensions. */
#include "dim.h"

#include <stdio.h>
#include <string.h>

/* An interned shape. */
typedef struct Shape {
	struct Shape *next;
	uint64_t hash;
	int rank;
	const Dim *dims[];
} Shape;

struct DimCtx {
	Arena *A;
	const Dim **table; /* chains by hash; the size doubles with the count */
	size_t cap, count;
	Shape **shapes; /* the same for shapes */
	size_t scap, scount;
	VEC(DimAtom *) atoms;
	bool overflow;
};

DimCtx *dim_ctx_new(Arena *A)
{
	DimCtx *c = arena_alloc(A, sizeof *c);
	c->A = A;
	c->cap = 1024;
	c->table = arena_array(A, c->cap, sizeof *c->table);
	c->scap = 1024;
	c->shapes = arena_array(A, c->scap, sizeof *c->shapes);
	return c;
}

static void table_grow(DimCtx *c)
{
	size_t cap = 2 * c->cap;
	const Dim **t = arena_array(c->A, cap, sizeof *t);
	for (size_t i = 0; i < c->cap; i++)
		for (const Dim *d = c->table[i], *next; d; d = next) {
			next = d->next;
			Dim *m = (Dim *)d;
			m->next = t[d->hash % cap];
			t[d->hash % cap] = m;
		}
	c->table = t;
	c->cap = cap;
}

bool dim_overflowed(DimCtx *c)
{
	return c->overflow;
}

void dim_clear_overflow(DimCtx *c)
{
	c->overflow = false;
}

static int64_t add64(DimCtx *c, int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r)) {
		c->overflow = true;
		return 0;
	}
	return r;
}

static int64_t mul64(DimCtx *c, int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r)) {
		c->overflow = true;
		return 0;
	}
	return r;
}

static int mono_cmp(const DimTerm *a, const DimTerm *b)
{
	/* higher degree first, then by atom ids; the constant term last */
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	for (int i = 0; i < a->n; i++)
		if (a->atoms[i]->id != b->atoms[i]->id)
			return a->atoms[i]->id < b->atoms[i]->id ? -1 : 1;
	return 0;
}

static uint64_t hash_terms(const DimTerm *t, int n)
{
	uint64_t h = HASH_SEED;
	for (int i = 0; i < n; i++) {
		h = hash_step(h, (uint64_t)t[i].coef);
		h = hash_step(h, (uint64_t)t[i].n);
		for (int k = 0; k < t[i].n; k++)
			h = hash_step(h, (uint64_t)t[i].atoms[k]->id);
	}
	return hash_final(h);
}

/* Sort, merge equal monomials, drop zeros, then intern. `t` is scratch. */
static const Dim *canon(DimCtx *c, DimTerm *t, int n)
{
	for (int i = 1; i < n; i++) {
		DimTerm x = t[i];
		int j = i - 1;
		while (j >= 0 && mono_cmp(&t[j], &x) > 0) {
			t[j + 1] = t[j];
			j--;
		}
		t[j + 1] = x;
	}
	int m = 0;
	for (int i = 0; i < n; i++) {
		if (m > 0 && mono_cmp(&t[m - 1], &t[i]) == 0)
			t[m - 1].coef = add64(c, t[m - 1].coef, t[i].coef);
		else
			t[m++] = t[i];
	}
	int k = 0;
	for (int i = 0; i < m; i++)
		if (t[i].coef != 0)
			t[k++] = t[i];
	uint64_t h = hash_terms(t, k);
	for (const Dim *d = c->table[h % c->cap]; d; d = d->next) {
		if (d->hash != h || d->nterms != k)
			continue;
		bool same = true;
		for (int i = 0; i < k && same; i++)
			same = d->terms[i].coef == t[i].coef && mono_cmp(&d->terms[i], &t[i]) == 0;
		if (same)
			return d;
	}
	Dim *d = arena_alloc(c->A, sizeof *d);
	d->nterms = k;
	d->terms = arena_array(c->A, (size_t)k, sizeof *d->terms);
	memcpy(d->terms, t, (size_t)k * sizeof *t);
	d->hash = h;
	d->next = c->table[h % c->cap];
	c->table[h % c->cap] = d;
	if (++c->count > 2 * c->cap)
		table_grow(c);
	return d;
}

const Dim *dim_const(DimCtx *c, int64_t v)
{
	DimTerm t = {v, 0, NULL};
	return canon(c, &t, 1);
}

static const Dim *from_atom(DimCtx *c, const DimAtom *a)
{
	DimTerm t = {1, 1, NULL};
	t.atoms = arena_alloc(c->A, sizeof *t.atoms);
	t.atoms[0] = a;
	return canon(c, &t, 1);
}

const Dim *dim_sym(DimCtx *c, const char *name)
{
	for (int i = 0; i < c->atoms.len; i++)
		if (c->atoms.data[i]->kind == DIM_ATOM_SYM && strcmp(c->atoms.data[i]->name, name) == 0)
			return from_atom(c, c->atoms.data[i]);
	DimAtom *a = arena_alloc(c->A, sizeof *a);
	a->id = c->atoms.len;
	a->kind = DIM_ATOM_SYM;
	a->name = arena_strdup(c->A, name);
	VEC_PUSH(c->A, c->atoms, a);
	return from_atom(c, a);
}

static const Dim *op_atom(DimCtx *c, int kind, const Dim *num, const Dim *den)
{
	for (int i = 0; i < c->atoms.len; i++) {
		DimAtom *a = c->atoms.data[i];
		if (a->kind == kind && a->num == num && a->den == den)
			return from_atom(c, a);
	}
	DimAtom *a = arena_alloc(c->A, sizeof *a);
	a->id = c->atoms.len;
	a->kind = kind;
	a->num = num;
	a->den = den;
	VEC_PUSH(c->A, c->atoms, a);
	return from_atom(c, a);
}

static const Dim *combine(DimCtx *c, const Dim *a, const Dim *b, int64_t sign)
{
	int n = a->nterms + b->nterms;
	DimTerm *t = arena_array(c->A, (size_t)n + 1, sizeof *t);
	for (int i = 0; i < a->nterms; i++)
		t[i] = a->terms[i];
	for (int i = 0; i < b->nterms; i++) {
		t[a->nterms + i] = b->terms[i];
		t[a->nterms + i].coef = mul64(c, sign, b->terms[i].coef);
	}
	return canon(c, t, n);
}

const Dim *dim_add(DimCtx *c, const Dim *a, const Dim *b)
{
	return combine(c, a, b, 1);
}

const Dim *dim_sub(DimCtx *c, const Dim *a, const Dim *b)
{
	return combine(c, a, b, -1);
}

static DimTerm term_mul(DimCtx *c, const DimTerm *x, const DimTerm *y)
{
	DimTerm t;
	t.coef = mul64(c, x->coef, y->coef);
	t.n = x->n + y->n;
	t.atoms = arena_array(c->A, (size_t)t.n + 1, sizeof *t.atoms);
	int i = 0, j = 0, k = 0;
	while (i < x->n || j < y->n) {
		if (j >= y->n || (i < x->n && x->atoms[i]->id <= y->atoms[j]->id))
			t.atoms[k++] = x->atoms[i++];
		else
			t.atoms[k++] = y->atoms[j++];
	}
	return t;
}

const Dim *dim_mul(DimCtx *c, const Dim *a, const Dim *b)
{
	int n = a->nterms * b->nterms;
	DimTerm *t = arena_array(c->A, (size_t)n + 1, sizeof *t);
	int k = 0;
	for (int i = 0; i < a->nterms; i++)
		for (int j = 0; j < b->nterms; j++)
			t[k++] = term_mul(c, &a->terms[i], &b->terms[j]);
	return canon(c, t, k);
}

const Dim **dim_shape(DimCtx *c, int rank, const Dim *const *shape)
{
	uint64_t h = HASH_SEED;
	for (int i = 0; i < rank; i++)
		h = hash_step(h, (uint64_t)(uintptr_t)shape[i]);
	h = hash_final(hash_step(h, (uint64_t)rank));
	for (Shape *s = c->shapes[h % c->scap]; s; s = s->next)
		if (s->hash == h && s->rank == rank &&
		    (rank == 0 || memcmp(s->dims, shape, (size_t)rank * sizeof *shape) == 0))
			return s->dims;
	Shape *s = arena_alloc(c->A, sizeof *s + ((size_t)rank + 1) * sizeof *shape);
	s->hash = h;
	s->rank = rank;
	if (rank)
		memcpy(s->dims, shape, (size_t)rank * sizeof *shape);
	s->next = c->shapes[h % c->scap];
	c->shapes[h % c->scap] = s;
	if (++c->scount > 2 * c->scap) {
		size_t cap = 2 * c->scap;
		Shape **t = arena_array(c->A, cap, sizeof *t);
		for (size_t i = 0; i < c->scap; i++)
			for (Shape *e = c->shapes[i], *next; e; e = next) {
				next = e->next;
				e->next = t[e->hash % cap];
				t[e->hash % cap] = e;
			}
		c->shapes = t;
		c->scap = cap;
	}
	return s->dims;
}

bool dim_is_const(const Dim *d, int64_t *v)
{
	if (d->nterms == 0) {
		if (v)
			*v = 0;
		return true;
	}
	if (d->nterms == 1 && d->terms[0].n == 0) {
		if (v)
			*v = d->terms[0].coef;
		return true;
	}
	return false;
}

/* Divide every term of a by the single-term b, if each is divisible. */
static const Dim *exact_div(DimCtx *c, const Dim *a, const Dim *b)
{
	if (b->nterms != 1 || b->terms[0].coef == 0)
		return NULL;
	const DimTerm *q = &b->terms[0];
	DimTerm *t = arena_array(c->A, (size_t)a->nterms + 1, sizeof *t);
	for (int i = 0; i < a->nterms; i++) {
		const DimTerm *p = &a->terms[i];
		if (p->coef % q->coef != 0)
			return NULL;
		/* remove q's atoms (a multiset) from p's */
		const DimAtom **rest = arena_array(c->A, (size_t)p->n + 1, sizeof *rest);
		int r = 0, j = 0;
		for (int k = 0; k < p->n; k++) {
			if (j < q->n && p->atoms[k]->id == q->atoms[j]->id)
				j++;
			else
				rest[r++] = p->atoms[k];
		}
		if (j != q->n)
			return NULL;
		t[i].coef = p->coef / q->coef;
		t[i].n = r;
		t[i].atoms = rest;
	}
	return canon(c, t, a->nterms);
}

bool dim_divides(DimCtx *c, const Dim *a, const Dim *b)
{
	return exact_div(c, a, b) != NULL;
}

const Dim *dim_div(DimCtx *c, const Dim *a, const Dim *b)
{
	int64_t x, y;
	if (dim_is_const(a, &x) && dim_is_const(b, &y) && y > 0)
		return dim_const(c, x >= 0 ? x / y : -((-x + y - 1) / y));
	const Dim *q = exact_div(c, a, b);
	if (q)
		return q;
	/* By a constant y: floor((y*p + r) / y) = p + floor(r / y) with every
	 * coefficient of r in [0, y), so that equal quotients have one form
	 * ((D*D - D)/2 is (D*D + D)/2 - D) and a constant r folds. */
	if (dim_is_const(b, &y) && y > 0) {
		DimTerm *qt = arena_array(c->A, (size_t)a->nterms + 1, sizeof *qt);
		DimTerm *rt = arena_array(c->A, (size_t)a->nterms + 1, sizeof *rt);
		for (int i = 0; i < a->nterms; i++) {
			int64_t k = a->terms[i].coef, rem = k % y;
			if (rem < 0)
				rem += y;
			qt[i] = rt[i] = a->terms[i];
			qt[i].coef = (k - rem) / y;
			rt[i].coef = rem;
		}
		q = canon(c, qt, a->nterms);
		const Dim *r = canon(c, rt, a->nterms);
		int64_t rv;
		if (dim_is_const(r, &rv))
			return dim_add(c, q, dim_const(c, rv / y));
		return dim_add(c, q, op_atom(c, DIM_ATOM_DIV, r, b));
	}
	return op_atom(c, DIM_ATOM_DIV, a, b);
}

/* Is a = g*(p - k*floor(p/k)) (g times p mod k) for positive constants g
 * and k and a p that cannot be negative? (The length of a checkpointed
 * loop's tail, times its step.) */
static bool is_mod(DimCtx *c, const Dim *a)
{
	int64_t g = 0; /* the gcd of the coefficients */
	for (int i = 0; i < a->nterms; i++) {
		int64_t x = a->terms[i].coef < 0 ? -a->terms[i].coef : a->terms[i].coef;
		while (x) {
			int64_t r = g % x;
			g = x;
			x = r;
		}
	}
	if (g > 1)
		a = exact_div(c, a, dim_const(c, g));
	for (int i = 0; i < a->nterms; i++) {
		const DimTerm *t = &a->terms[i];
		int64_t k;
		if (t->n != 1 || t->atoms[0]->kind != DIM_ATOM_DIV || !dim_is_const(t->atoms[0]->den, &k) || k <= 0 ||
		    t->coef != -k)
			continue;
		const Dim *p = t->atoms[0]->num;
		if (dim_nonneg(p) && dim_add(c, a, dim_mul(c, dim_const(c, k), from_atom(c, t->atoms[0]))) == p)
			return true;
	}
	return false;
}

const Dim *dim_max0(DimCtx *c, const Dim *a)
{
	int64_t x;
	if (dim_is_const(a, &x))
		return dim_const(c, x > 0 ? x : 0);
	return dim_nonneg(a) || is_mod(c, a) ? a : op_atom(c, DIM_ATOM_MAX0, a, NULL);
}

bool dim_nonneg(const Dim *d)
{
	for (int i = 0; i < d->nterms; i++)
		if (d->terms[i].coef < 0)
			return false;
	return true;
}

bool dim_eval(const Dim *d, DimLookup sym, void *ctx, int64_t *out)
{
	int64_t sum = 0;
	for (int i = 0; i < d->nterms; i++) {
		int64_t p = d->terms[i].coef;
		for (int k = 0; k < d->terms[i].n; k++) {
			const DimAtom *a = d->terms[i].atoms[k];
			int64_t v;
			if (a->kind == DIM_ATOM_SYM) {
				if (!sym(ctx, a->name, &v))
					return false;
			} else if (a->kind == DIM_ATOM_MAX0) {
				if (!dim_eval(a->num, sym, ctx, &v))
					return false;
				v = v > 0 ? v : 0;
			} else {
				int64_t nv, dv;
				if (!dim_eval(a->num, sym, ctx, &nv) || !dim_eval(a->den, sym, ctx, &dv) || dv <= 0)
					return false;
				v = nv >= 0 ? nv / dv : -((-nv + dv - 1) / dv);
			}
			if (__builtin_mul_overflow(p, v, &p))
				return false;
		}
		if (__builtin_add_overflow(sum, p, &sum))
			return false;
	}
	*out = sum;
	return true;
}

int dim_symbols(const Dim *d, const char **names, int n, int cap)
{
	for (int i = 0; i < d->nterms; i++)
		for (int k = 0; k < d->terms[i].n; k++) {
			const DimAtom *a = d->terms[i].atoms[k];
			if (a->kind != DIM_ATOM_SYM) {
				n = dim_symbols(a->num, names, n, cap);
				if (a->den)
					n = dim_symbols(a->den, names, n, cap);
				continue;
			}
			bool seen = false;
			for (int j = 0; j < n && !seen; j++)
				seen = strcmp(names[j], a->name) == 0;
			if (!seen && n < cap)
				names[n++] = a->name;
		}
	return n;
}

static void print_poly(Buf *b, const Dim *d, bool c_syntax, DimName cname, void *ctx);

static void print_atom(Buf *b, const DimAtom *a, bool c_syntax, DimName cname, void *ctx, bool alone)
{
	if (a->kind == DIM_ATOM_SYM) {
		buf_puts(b, c_syntax && cname ? cname(ctx, a->name) : a->name);
		return;
	}
	if (a->kind == DIM_ATOM_MAX0) {
		/* C: (p > 0 ? p : 0); text: max(0, p) */
		Buf p;
		buf_init(&p, b->oom);
		print_poly(&p, a->num, c_syntax, cname, ctx);
		if (c_syntax)
			buf_printf(b, "(%s > 0 ? %s : 0)", p.data, p.data);
		else
			buf_printf(b, "max(0, %s)", p.data);
		buf_free(&p);
		return;
	}
	bool outer = c_syntax || !alone;
	if (outer)
		buf_puts(b, "(");
	bool simple_num = a->num->nterms == 1;
	if (!simple_num)
		buf_puts(b, "(");
	print_poly(b, a->num, c_syntax, cname, ctx);
	if (!simple_num)
		buf_puts(b, ")");
	buf_puts(b, "/");
	bool simple_den =
	    a->den->nterms == 1 && a->den->terms[0].n <= 1 && (a->den->terms[0].n == 0 || a->den->terms[0].coef == 1);
	if (!simple_den)
		buf_puts(b, "(");
	print_poly(b, a->den, c_syntax, cname, ctx);
	if (!simple_den)
		buf_puts(b, ")");
	if (outer)
		buf_puts(b, ")");
}

static void print_poly(Buf *b, const Dim *d, bool c_syntax, DimName cname, void *ctx)
{
	if (d->nterms == 0) {
		buf_puts(b, "0");
		return;
	}
	for (int i = 0; i < d->nterms; i++) {
		const DimTerm *t = &d->terms[i];
		int64_t coef = t->coef;
		if (i > 0) {
			buf_puts(b, coef < 0 ? " - " : " + ");
			if (coef < 0)
				coef = -coef;
		} else if (coef < 0 && t->n > 0 && coef == -1) {
			buf_puts(b, "-");
			coef = 1;
		}
		bool first = true;
		if (coef != 1 || t->n == 0) {
			if (coef < 0 && c_syntax)
				buf_printf(b, "(%lld)", (long long)coef);
			else
				buf_printf(b, "%lld", (long long)coef);
			first = false;
		}
		for (int k = 0; k < t->n; k++) {
			if (!first)
				buf_puts(b, "*");
			print_atom(b, t->atoms[k], c_syntax, cname, ctx, d->nterms == 1 && t->n == 1 && first);
			first = false;
		}
	}
}

void dim_print(Buf *b, const Dim *d)
{
	print_poly(b, d, false, NULL, NULL);
}

void dim_print_c(Buf *b, const Dim *d, DimName cname, void *ctx)
{
	print_poly(b, d, true, cname, ctx);
}
