/* dim.h: symbolic dimensions.
 *
 * A dimension is a polynomial with integer coefficients over atoms; an atom
 * is a symbol bound at call time (`n`), an exact-or-floor quotient of two
 * dimensions ((n + 1) / 2 for x[::2]) or the positive part of one (max(0,
 * m - n), the trip count of range(n, m) with symbolic bounds). Dimensions are hash-consed per
 * compilation, so two dimensions are equal exactly when their pointers are:
 * x[1:] and x[:-1] of f32[n] both have the one dimension `n - 1`. */
#ifndef AD_DIM_H
#define AD_DIM_H

#include "util.h"

typedef struct Dim Dim;
typedef struct DimAtom DimAtom;
typedef struct DimCtx DimCtx;

enum { DIM_ATOM_SYM, DIM_ATOM_DIV, DIM_ATOM_MAX0 };

struct DimAtom {
	int id;
	int kind;
	const char *name;     /* SYM */
	const Dim *num, *den; /* DIV: floor(num / den); MAX0: max(0, num) */
};

typedef struct DimTerm {
	int64_t coef;
	int n;
	const DimAtom **atoms; /* sorted by id; repeated for powers */
} DimTerm;

struct Dim {
	int nterms;
	DimTerm *terms; /* canonical order; a constant term has n == 0 */
	uint64_t hash;
	const Dim *next; /* intern chain */
};

DimCtx *dim_ctx_new(Arena *A);
/* True once any constant arithmetic overflowed int64 (the result is then
 * meaningless and the caller must report "too large"). */
bool dim_overflowed(DimCtx *c);
void dim_clear_overflow(DimCtx *c);

const Dim *dim_const(DimCtx *c, int64_t v);
const Dim *dim_sym(DimCtx *c, const char *name);
const Dim *dim_add(DimCtx *c, const Dim *a, const Dim *b);
const Dim *dim_sub(DimCtx *c, const Dim *a, const Dim *b);
const Dim *dim_mul(DimCtx *c, const Dim *a, const Dim *b);
/* floor(a / b), exact where the polynomial divides. */
const Dim *dim_div(DimCtx *c, const Dim *a, const Dim *b);
/* max(0, a): a itself when it cannot be negative. */
const Dim *dim_max0(DimCtx *c, const Dim *a);
/* True when a / b is exact as polynomials (so no run-time check is needed). */
bool dim_divides(DimCtx *c, const Dim *a, const Dim *b);

/* The shape (rank dims) as a shared array: equal shapes are one array, so
 * instructions keep no copy of their own. The array is never written. */
const Dim **dim_shape(DimCtx *c, int rank, const Dim *const *shape);

bool dim_is_const(const Dim *d, int64_t *v);
/* True when d >= 0 for every binding of its symbols (symbols are >= 0). */
bool dim_nonneg(const Dim *d);
/* Evaluate with symbols looked up by `sym`; false on overflow or a division
 * by zero. */
typedef bool (*DimLookup)(void *ctx, const char *name, int64_t *out);
bool dim_eval(const Dim *d, DimLookup sym, void *ctx, int64_t *out);

/* The symbols a dimension mentions, appended to names (deduplicated). */
int dim_symbols(const Dim *d, const char **names, int n, int cap);

/* Human form ("n - 1", "2*n*m", "(n + 1)/2"). */
void dim_print(Buf *b, const Dim *d);
/* C expression form, with symbol names mapped through `cname`. */
typedef const char *(*DimName)(void *ctx, const char *sym);
void dim_print_c(Buf *b, const Dim *d, DimName cname, void *ctx);

#endif
