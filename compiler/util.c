/* util.c: the arena, byte buffers, string helpers. */
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BLOCK_SIZE = 64 * 1024, ALIGN = 16, BIG = BLOCK_SIZE / 4 };

/* Small allocations come from blocks of BLOCK_SIZE; one larger than BIG
 * gets a block of its own, on a doubly linked list, so that it can grow in
 * place (arena_grow) and be given back before the arena is (arena_release). */
typedef struct Block {
	struct Block *next, *prev;
	size_t used, size;
	_Alignas(ALIGN) unsigned char data[];
} Block;

struct Arena {
	Block *head; /* the small blocks, the current one first */
	Block *big;  /* the blocks of one allocation each */
	jmp_buf *oom;
	size_t total;
	/* scratch arenas made from this one (arena_child), freed with it */
	Arena *parent, *kids, *next_kid, *prev_kid;
};

Arena *arena_new(void)
{
	return calloc(1, sizeof(Arena));
}

Arena *arena_child(Arena *parent)
{
	Arena *a = calloc(1, sizeof(Arena));
	if (!a)
		arena_oom(parent);
	a->oom = parent->oom;
	a->parent = parent;
	a->next_kid = parent->kids;
	if (parent->kids)
		parent->kids->prev_kid = a;
	parent->kids = a;
	return a;
}

static void free_list(Block *b)
{
	for (Block *next; b; b = next) {
		next = b->next;
		free(b);
	}
}

void arena_free(Arena *a)
{
	if (!a)
		return;
	while (a->kids)
		arena_free(a->kids);
	if (a->parent) {
		if (a->prev_kid)
			a->prev_kid->next_kid = a->next_kid;
		else
			a->parent->kids = a->next_kid;
		if (a->next_kid)
			a->next_kid->prev_kid = a->prev_kid;
	}
	free_list(a->head);
	free_list(a->big);
	free(a);
}

void arena_set_oom(Arena *a, jmp_buf *env)
{
	a->oom = env;
}

void arena_oom(Arena *a)
{
	if (a && a->oom)
		longjmp(*a->oom, 1);
	fputs("ad-compile: out of memory\n", stderr);
	abort();
}

static size_t rounded(size_t size)
{
	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	return size ? size : ALIGN;
}

static Block *big_block(const void *p)
{
	return (Block *)(void *)((unsigned char *)p - offsetof(Block, data));
}

/* Block b (reallocated from old) takes old's place in the big list. */
static void relink(Arena *a, Block *b)
{
	if (b->prev)
		b->prev->next = b;
	else
		a->big = b;
	if (b->next)
		b->next->prev = b;
}

void *arena_alloc(Arena *a, size_t size)
{
	size = rounded(size);
	if (size > BIG) {
		if (size > SIZE_MAX - sizeof(Block))
			arena_oom(a);
		Block *b = calloc(1, sizeof(Block) + size);
		if (!b)
			arena_oom(a);
		b->used = b->size = size;
		b->next = a->big;
		if (a->big)
			a->big->prev = b;
		a->big = b;
		a->total += size;
		return b->data;
	}
	Block *b = a->head;
	if (!b || b->size - b->used < size) {
		Block *nb = malloc(sizeof(Block) + BLOCK_SIZE);
		if (!nb)
			arena_oom(a);
		nb->used = 0;
		nb->size = BLOCK_SIZE;
		nb->prev = NULL;
		nb->next = b;
		a->head = nb;
		a->total += BLOCK_SIZE;
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

void arena_release(Arena *a, void *p, size_t size)
{
	if (!p || rounded(size) <= BIG)
		return; /* small: it goes with the arena */
	Block *b = big_block(p);
	if (b->prev)
		b->prev->next = b->next;
	else
		a->big = b->next;
	if (b->next)
		b->next->prev = b->prev;
	a->total -= b->size;
	free(b);
}

void *arena_array(Arena *a, size_t n, size_t elem)
{
	if (elem && n > SIZE_MAX / elem)
		arena_oom(a);
	return arena_alloc(a, n * elem);
}

void *arena_grow(Arena *a, void *old, size_t oldn, size_t newn, size_t elem)
{
	if (elem && newn > SIZE_MAX / elem)
		arena_oom(a);
	size_t olds = oldn * elem, news = rounded(newn * elem);
	if (old && oldn && rounded(olds) > BIG && news > rounded(olds)) {
		/* a block of its own: grown in place, the new part zeroed */
		Block *b = big_block(old), *nb = realloc(b, sizeof(Block) + news);
		if (!nb)
			arena_oom(a);
		relink(a, nb);
		memset(nb->data + nb->size, 0, news - nb->size);
		a->total += news - nb->size;
		nb->used = nb->size = news;
		return nb->data;
	}
	void *p = arena_array(a, newn, elem);
	if (old && oldn)
		memcpy(p, old, (oldn < newn ? oldn : newn) * elem);
	return p;
}

void *arena_append_slot(Arena *a, void *items, size_t n, size_t elem)
{
	/* the capacity is implied by n: 4, then the next power of two */
	if (n >= 4 && (n & (n - 1)) != 0)
		return items;
	if (n > 0 && n < 4)
		return items;
	return arena_grow(a, items, n, n ? 2 * n : 4, elem);
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(Arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

/* Formatted once into a stack buffer; only a long result is formatted
 * again, into its own allocation. */
char *arena_vprintf(Arena *a, const char *fmt, va_list ap)
{
	char tmp[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *p = arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof tmp)
		memcpy(p, tmp, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t arena_bytes(const Arena *a)
{
	return a->total;
}

void buf_init(Buf *b, Arena *oom)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = oom;
}

/* A buffer's bytes are the data of a Block of its own, so that
 * buf_finish can hand them to an arena without a copy. */
void buf_free(Buf *b)
{
	if (b->data)
		free(big_block(b->data));
	b->data = NULL;
	b->len = b->cap = 0;
}

static void buf_reserve(Buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1) {
		if (cap > (SIZE_MAX - sizeof(Block)) / 2)
			arena_oom(b->oom);
		cap *= 2;
	}
	Block *blk = realloc(b->data ? big_block(b->data) : NULL, sizeof(Block) + cap);
	if (!blk)
		arena_oom(b->oom);
	b->data = (char *)blk->data;
	b->cap = cap;
}

void buf_put(Buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
}

void buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_putc(Buf *b, char c)
{
	buf_put(b, &c, 1);
}

/* Formatted straight into the free space; only when it does not fit
 * is the buffer grown and the text formatted again. */
void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
	buf_reserve(b, 128);
	va_list ap2;
	va_copy(ap2, ap);
	size_t room = b->cap - b->len;
	int n = vsnprintf(b->data + b->len, room, fmt, ap2);
	va_end(ap2);
	if (n <= 0) {
		b->data[b->len] = 0;
		return;
	}
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_printf(Buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_indent(Buf *b, int level)
{
	for (int i = 0; i < level; i++)
		buf_put(b, "    ", 4);
}

char *buf_finish(Buf *b, Arena *a)
{
	if (!b->data || b->len <= BIG) {
		char *s = arena_strndup(a, b->data ? b->data : "", b->len);
		buf_free(b);
		return s;
	}
	/* a large buffer becomes one of the arena's blocks as it is */
	Block *blk = big_block(b->data);
	blk->used = blk->size = b->cap;
	blk->prev = NULL;
	blk->next = a->big;
	if (a->big)
		a->big->prev = blk;
	a->big = blk;
	a->total += b->cap;
	char *s = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

/* Edit distance with adjacent transpositions counting as one edit
 * (optimal string alignment), so "sni" is one edit from "sin". */
int str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 1000;
	int d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			int best = sub < del ? sub : del;
			best = best < ins ? best : ins;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

void fmt_shortest(char *out, size_t n, double v, bool f32)
{
	if (isnan(v)) {
		snprintf(out, n, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "inf" : "-inf");
		return;
	}
	int maxp = f32 ? 9 : 17;
	bool plain = fabs(v) >= 1e-4 && fabs(v) < 1e16; /* no exponent where none is needed */
	for (int p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, v);
		double back = strtod(out, NULL);
		if ((f32 ? (float)back == (float)v : back == v) && !(plain && strchr(out, 'e')))
			return;
	}
	snprintf(out, n, "%.*g", maxp, v);
}

static _Thread_local IceTrap *ice_top;

void ice_push(IceTrap *trap)
{
	trap->prev = ice_top;
	trap->msg[0] = 0;
	ice_top = trap;
}

void ice_pop(IceTrap *trap)
{
	if (ice_top == trap)
		ice_top = trap->prev;
}

void ice_raise(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	IceTrap *t = ice_top;
	if (t && !getenv("AD_ICE_ABORT")) {
		int n = snprintf(t->msg, sizeof t->msg, "internal compiler error at %s:%d: ", file, line);
		if (n > 0 && (size_t)n < sizeof t->msg)
			vsnprintf(t->msg + n, sizeof t->msg - (size_t)n, fmt, ap);
		va_end(ap);
		ice_top = t->prev;
		longjmp(t->env, 1);
	}
	fprintf(stderr, "ad-compile: internal compiler error at %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputs("\nThis is a bug in ad-compile; please report it with the input program.\n", stderr);
	va_end(ap);
	abort();
}

uint64_t hash_str(const char *s)
{
	uint64_t h = HASH_SEED;
	for (; *s; s++)
		h = hash_step(h, (unsigned char)*s);
	return hash_final(h);
}
