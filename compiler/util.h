/* util.h: arena allocation, growable byte buffers and small string helpers
 * shared by every stage of the compiler.
 *
 * One Arena holds everything a compilation allocates; freeing the arena frees
 * it all. Allocation failure is not reported per call: the arena jumps to the
 * recovery point its owner set with arena_set_oom(), so library code never
 * calls exit() and never returns half-built structures. */
#ifndef AD_UTIL_H
#define AD_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Arena Arena;

Arena *arena_new(void);
/* A scratch arena for one step of a pass (the emission of one function):
 * it runs out of memory as its parent does, and goes with its parent if
 * not freed before. */
Arena *arena_child(Arena *parent);
void arena_free(Arena *a);
/* Where to jump (with value 1) when memory runs out; NULL: abort() (tests). */
void arena_set_oom(Arena *a, jmp_buf *env);
void *arena_alloc(Arena *a, size_t size);           /* zeroed */
void *arena_array(Arena *a, size_t n, size_t elem); /* zeroed, overflow-checked */
/* A copy of old (oldn elements) with room for newn, the new part zeroed;
 * old is no longer valid. A large array grows in place, so repeated
 * doubling leaves no copies behind. */
void *arena_grow(Arena *a, void *old, size_t oldn, size_t newn, size_t elem);
/* Give back an allocation of `size` bytes before the arena goes: large
 * ones (more than 16 KiB) are freed now, small ones stay until arena_free. */
void arena_release(Arena *a, void *p, size_t size);
/* An array of n elements that only grows by appending, with room for one
 * more (amortized O(1): the capacity doubles, implied by n). */
void *arena_append_slot(Arena *a, void *items, size_t n, size_t elem);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
size_t arena_bytes(const Arena *a);
/* The out-of-memory hook, for helpers (Buf) that allocate on the heap. */
void arena_oom(Arena *a);

/* A growable vector of T in an arena: `VEC(int) v = {0}; VEC_PUSH(A, v, 3);` */
/* Hashing for the tables: FNV-1a steps, then a finalizer (MurmurHash3's
 * fmix64) so that the low bits a power-of-two table uses depend on every
 * bit of the input; without it, keys that differ only in high bits (sizes,
 * pointers, value numbers) share buckets and lookups go quadratic. */
#define HASH_SEED 1469598103934665603ull

static inline uint64_t hash_step(uint64_t h, uint64_t x)
{
	return (h ^ x) * 1099511628211ull;
}

static inline uint64_t hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

uint64_t hash_str(const char *s);

#define VEC(T)                                                                                                         \
	struct {                                                                                                       \
		T *data;                                                                                               \
		int len, cap;                                                                                          \
	}
#define VEC_PUSH(A, v, x)                                                                                              \
	do {                                                                                                           \
		if ((v).len == (v).cap) {                                                                              \
			int ncap_ = (v).cap ? 2 * (v).cap : 8;                                                         \
			(v).data = arena_grow((A), (v).data, (size_t)(v).cap, (size_t)ncap_, sizeof *(v).data);        \
			(v).cap = ncap_;                                                                               \
		}                                                                                                      \
		(v).data[(v).len++] = (x);                                                                             \
	} while (0)

/* A heap byte buffer for building text (emitted C, diagnostics). */
typedef struct Buf {
	char *data;
	size_t len, cap;
	Arena *oom; /* arena whose recovery point handles allocation failure */
} Buf;

void buf_init(Buf *b, Arena *oom);
void buf_free(Buf *b);
void buf_put(Buf *b, const char *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_indent(Buf *b, int level);
/* Move the text into the arena and reset the buffer. */
char *buf_finish(Buf *b, Arena *a);

/* Edit distance, for "did you mean" suggestions. */
int str_distance(const char *a, const char *b);
bool str_eq(const char *a, const char *b);

/* Format a double so that it reads back as the same float (f32) or double
 * (f64), with as few digits as that takes. */
void fmt_shortest(char *out, size_t n, double v, bool f32);

/* Internal compiler errors: a bug in ad-compile, never the user's fault.
 * Inside ice_catch() the error unwinds to the caller with its message (so a
 * long-lived process using the JIT survives it); elsewhere it aborts. */
#define ICE(...) ice_raise(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void ice_raise(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

typedef struct IceTrap {
	jmp_buf env;
	char msg[512];
	struct IceTrap *prev;
} IceTrap;
/* Install/remove a trap for this thread; after setjmp(trap->env) returns
 * nonzero, trap->msg holds the message and the trap is already removed. */
void ice_push(IceTrap *trap);
void ice_pop(IceTrap *trap);

#endif
