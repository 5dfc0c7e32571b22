/* emit.h: the C emitter's own declarations, shared by its files:
 *   emit_expr.c    names, index arithmetic and the expression of a value
 *                  at an index (fused loops, guarded selections)
 *   emit_kernel.c  loop nests: elementwise kernels, reductions, products
 *   emit_ctrl.c    control flow: a loop or a conditional as a C statement
 *                  with its bodies' kernels inside
 *   emit_func.c    one function: its placement, work memory, kernels in
 *                  order, checks and entry points
 *   emit_module.c  a file: prelude, the run-time entries and metadata
 * (emit_c.h is the interface for the rest of the compiler.) */
#ifndef AD_EMIT_H
#define AD_EMIT_H

#include "emit_c.h"
#include "names.h"
#include "schedule.h"

typedef struct Index {
	int rank;
	const char **ax; /* per-axis index expressions, or NULL if linear */
	const char *lin; /* linear element offset (when ax is NULL) */
} Index;

typedef struct CacheEnt {
	const char *key;
	const char *expr; /* local name once emitted */
	int count;
	int slot; /* its place in the hash index */
} CacheEnt;

/* The common subexpressions of the kernel being emitted: the entries in
 * order, and a hash index over their keys (open addressing, entry + 1). */
typedef struct Cache {
	VEC(CacheEnt) ents;
	int *slots;
	int cap;
} Cache;

typedef struct Emit Emit;

/* What a control-flow op needs besides its bodies' own storage: for a loop,
 * the two buffers of each array carry (the current values and the next
 * ones, swapped every iteration) and a row for each per-iteration output
 * nothing extracts; for a cond, a home for each result nothing extracts. */
typedef struct CtrlStore {
	const char **cur, **nxt; /* per carry (arrays), NULL where an extract's buffer serves */
	const char **extra;      /* per result without an extract (loop: ys rows; cond: results) */
	int *extract;            /* per result: the extract value, or -1 */
} CtrlStore;

/* Literals already written, by the bits of the value (a direct-mapped
 * cache: the same constants recur in every kernel). */
enum { LIT_CACHE = 16 };
typedef struct LitEnt {
	uint64_t bits;
	int dt; /* -1: empty */
	const char *text;
} LitEnt;

/* --emit=memory: the bytes of a function's buffers, its bodies' included. */
typedef struct MemTotals {
	const Dim *total, *unshared;
} MemTotals;

struct Emit {
	Arena *A;
	MemTotals *mem; /* with a report: shared by a function and its bodies */
	LitEnt *lits;   /* LIT_CACHE entries in A, or NULL */
	Func *f;
	const Func *root; /* the function being emitted (f, or the one whose body f is) */
	const EmitOptions *o;
	Names *names;         /* the C names taken, scoped by kernels */
	const char **dimname; /* per symbolic dim */
	Schedule *S;          /* fusion and buffer reuse (fuse.c, reuse.c) */
	int *mat;             /* S->mat: where each value lives */
	int *result_of;       /* S->result_of */
	int *uses;            /* S->uses */
	const char **home;    /* the C name of each stored value */
	bool *var;            /* home is a scalar variable, not a pointer (M_LOCAL, and body values mapped to one) */
	const char **rhome;   /* the C name of each result's buffer (a body's: where its loop or cond wants it) */
	bool *rvar;           /* that is a scalar variable */
	Emit ***subs;         /* per control-flow op: the emitters of its bodies */
	CtrlStore *ctrl;      /* per control-flow op */
	const char **aux;     /* per value: a scratch buffer its kernel works in (solve's LU factors) */
	const char **factors; /* per matrix A (unbatched): the buffer that holds A's LU factors once a
	                         kernel has made them, so later solves and determinants with A reuse them */
	const char **factors_guard; /* ...and the guard that kernel ran under (NULL: always ran) */
	unsigned *visited;          /* per value: the walk over a kernel's expression that last saw it */
	unsigned visit;             /* the number of the current walk */
	/* the work memory, shared with the bodies' emitters */
	Buf *decls;       /* declarations of the scratch buffers, at the top of the function */
	Buf *sizes;       /* NAME_work_size's statements */
	Buf *checks;      /* checks of dimensions on entry (trip counts of loops with rows) */
	Buf *statics;     /* static constant arrays, before the function */
	const char *base; /* the function's C name, for its statics' names */
	const char *wp;   /* the pointer into the work memory */
	bool *any_scratch;
	/* kernel state */
	Buf *body;
	int depth;
	bool counting;
	Cache cache;
	VEC(int) named; /* cache entries given a C name since the innermost branch began */
	int branches;   /* how many guarded branches the expression being built is inside */
	int last_stmt;
	bool predeclared;      /* scalar locals are declared up front (guarded kernels) */
	bool *index_checks;    /* set once an index is checked (the bodies' emitters share it): the
	                        * scratch memory holds an ad_index_error */
	const char *guard;     /* the next kernel runs only if this holds (optional outputs) */
	Buf *report;           /* --emit=memory: the scratch buffers, one a line */
	const char *saved_arg; /* the saved buffer's argument (forward/backward pairs) */
	const char *par;       /* --threads: the outermost loop opened next runs in parallel when
	                          this many elements are worked on (AD_PAR_FOR_), or NULL */
};

/* Is v's home a scalar variable (read and written without [0])? */
static inline bool ec_var(const Emit *E, int v)
{
	return E->mat[v] == M_LOCAL || (E->var && E->var[v]);
}

/* A kernel is generated into its own buffer; then it is put in braces when
 * it is several statements without a loop around them (so its locals stay
 * local), and its names are released for the next kernel. `decl` is the
 * type of a scalar local the kernel defines ("const float s = ..." when it
 * needs no braces, else declared before them). */
typedef struct Kernel {
	Buf buf, *outer;
	int names_mark;
	const char *decl, *local;
	const char *guard; /* `if (guard)` around the kernel */
} Kernel;

/* The saved values of a forward/backward pair lie in one buffer, so that
 * their number never makes a long argument list: the scalars first, 8 bytes
 * each, then the arrays, each on a 64-byte boundary. */
typedef struct SavedVal {
	DType dt;
	int rank;
	const Dim **shape;
	const char *name; /* the pointer declared into the buffer */
} SavedVal;

/* ---------------------------------------------------------------- emit_expr.c */
void ec_names_init(Emit *E);
bool ec_is_reserved(const char *s);
/* A C name based on `base`, unique in the function (base, base_2, ...). */
const char *ec_fresh(Emit *E, const char *base);
/* A user-visible name: as written unless it clashes, then with a trailing underscore. */
const char *ec_user_name(Emit *E, const char *base);
const char *ec_dim(Emit *E, const Dim *d);
const char *ec_paren(Emit *E, const char *s);
const char *ec_ctype(DType dt);
const char *ec_literal(Emit *E, double v, DType dt);
/* The linear element offset of an index in buf's shape. */
const char *ec_offset(Emit *E, const Inst *buf, const Index *ix);
Index ec_index(Emit *E, int rank);
/* A name, a number or a load x[...]: cheap to repeat. */
bool ec_trivial(const char *s);
/* An expression without redundant outer parentheses, for a statement. */
const char *ec_strip(Emit *E, const char *s);
void ec_line(Emit *E, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The value of v at index ix, as an expression (its inlined operands fused
 * in); ec_compute is the same for v itself even where v is stored. */
const char *ec_ex(Emit *E, int v, Index ix);
/* Does in's C call emit_int.h's helpers (an integer floordiv, mod or
 * conversion from a float)? */
bool ec_int_helpers(const Func *f, const Inst *in);
/* The mark of the innermost loop of v's kernel over shape: AD_VEC_, or NULL
 * for a short kernel (at most VEC_SHORT_MAX elements, a constant count)
 * whose elements call no vector math function: a compiler unrolls such a
 * loop whole and vectorizes the straight-line code, where `omp simd` would
 * force a short vector loop and its remainder (docs/design.md, "Short
 * loops"). */
enum { VEC_SHORT_MAX = 16 };
const char *ec_vec_hint(Emit *E, int v, int rank, const Dim **shape);
/* The next function of ops.def's L list that the C template t calls, from
 * *p on: its index, with *p moved past the call; -1 when there is none. */
int ec_libm_call(const char *t, const char **p);
/* Has glibc's libmvec a vector version of L-list function i? */
bool ec_libm_vector(int i);
/* Where take(x, idx) (or scatter_add(x, idx, v)) at index ix of the
 * gathered shape reads (or adds into) x: idx's value on the axis. */
Index ec_gather_index(Emit *E, const Inst *in, Index ix);
/* A check that every index of a take or scatter_add lies in its axis
 * (AD_ERR_INDEX), in a loop that does not vectorize, before the kernel. */
void ec_index_check(Emit *E, const Inst *in);
/* s as a C string literal: quotes, backslashes, '?' (trigraphs) and
 * control characters escaped. */
void ec_put_string(Buf *b, const char *s);
/* scatter_add(x, idx, v): x copied to v's home, then v added at idx;
 * scatter_max the same, keeping the larger at each position. */
void ec_scatter(Emit *E, int v);
/* cumsum(x, axis): in row-major order, each element the one before it along
 * the axis plus x's (the innermost loop, unless it runs along the axis,
 * vectorizes). */
void ec_scan(Emit *E, int v);
/* A factorization or solve (K_LINALG): one kernel call per matrix of the
 * batch; a matrix that is not positive definite (cholesky) or singular
 * (solve) returns AD_ERR_LINALG with its batch index. */
void ec_linalg(Emit *E, int v);
void ec_cache_reset(Emit *E);
const char *ec_compute(Emit *E, int v, Index ix);

/* ---------------------------------------------------------------- emit_kernel.c */
/* Open loops over shape; returns the index. Axes of constant size 1 get no
 * loop. The innermost loop is marked for vectorization (AD_VEC_). */
Index ec_open_loops(Emit *E, int rank, const Dim **shape, int *nopen);
Index ec_open_loops_vec(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec);
/* The same, naming the loop variables from axis `first` on (i, j, k, ...). */
Index ec_open_loops_at(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec, int first);
void ec_close_loops(Emit *E, int n);
/* With --threads, the work of a kernel over these many elements, as the
 * condition of its parallel loop; NULL when it stays serial (a constant
 * count below PAR_STATIC_MIN, or no --threads). */
enum { PAR_STATIC_MIN = 1024 };
const char *ec_par_work(Emit *E, int rank, const Dim **shape);
void ec_kernel_begin(Emit *E, Kernel *k, const char *decl, const char *local);
void ec_kernel_end(Emit *E, Kernel *k);
/* dst[offset(ix)] = value of v at ix. */
void ec_store(Emit *E, int v, const char *dst);
void ec_reduce(Emit *E, int v);
void ec_matmul(Emit *E, int v);

/* ---------------------------------------------------------------- emit_ctrl.c */
void ec_loop(Emit *E, int v);
void ec_cond(Emit *E, int v);
/* Plan what control-flow op v needs (CtrlStore), during placement. */
void ec_plan_ctrl(Emit *E, int v);

/* ---------------------------------------------------------------- emit_func.c */
const char *ec_numel(Emit *E, int rank, const Dim **shape);
/* A scratch buffer of the work memory, declared at the top of the function. */
/* A buffer in the work memory (with a report: its line, and the totals). */
const char *ec_scratch(Emit *E, const char *base, DType dt, int rank, const Dim **shape);

/* An emitter for body b of a control-flow op of E's function, sharing its
 * names and work memory; ec_place plans where b's values live. */
Emit *ec_sub(Emit *E, Func *b);
void ec_place(Emit *E);
/* Once the homes of its parameters and results are known (rhome, rvar):
 * those of the values that live in them. */
void ec_bind(Emit *E);
/* The kernels of E's function in order, then the copies into result
 * buffers of the results that live elsewhere. */
void ec_kernels(Emit *E, const FuncEmit *fe, const uint64_t *feeds);
void ec_result_copies(Emit *E, const FuncEmit *fe);
/* Write value v (of E's function) into `dst` element by element. */
void ec_copy(Emit *E, int v, const char *dst, bool dst_var);
/* The comment with the source statement of v, before its first kernel. */
void ec_comment(Emit *E, int v);
void ec_saved_layout(Emit *E, Buf *c, Buf *size, const SavedVal *sv, int n, bool writable, const char *arg);
void ec_function(Buf *c, Buf *h, const FuncEmit *fe, const EmitOptions *o);

/* ---------------------------------------------------------------- emit_module.c */
/* An emitter for code outside f that has f's dimensions as dims[]. */
void ec_dims_emit(Emit *E, const Func *f);

#endif
