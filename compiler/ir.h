/* ir.h: the SSA intermediate representation.
 *
 * A function is a list of instructions; instruction i defines value i, and
 * its operands are earlier values. Every value is a tensor with a dtype and
 * a shape of symbolic dimensions. Passes rebuild functions rather than edit
 * them in place (ir_rewrite), so a value id is stable for the life of one
 * Func.
 *
 * Control flow nests: a loop or a conditional owns bodies, each a closed
 * Func of its own (its parameters and results are the whole interface; a
 * body reads nothing of the function around it), as JAX's scan and cond
 * carry sub-jaxprs. Such an instruction has several results, each picked by
 * an extract instruction; nothing else reads it. See docs/design.md for the
 * signatures. */
#ifndef AD_IR_H
#define AD_IR_H

#include "ast.h"
#include "dim.h"

typedef enum {
#define X(name, arity, kind, flags, c, fold) OP_##name,
#include "ops.def"
#undef X
	OP_COUNT
} Op;

typedef enum { K_SRC, K_EW, K_SHAPE, K_REDUCE, K_MATMUL, K_CTRL, K_SCATTER, K_SCAN, K_LINALG } OpKind;
enum { F_CUT = 1, F_EXPENSIVE = 2, F_COMMUTE = 4, F_NODIFF = 8 };

typedef struct OpInfo {
	const char *name;
	int arity;
	OpKind kind;
	unsigned flags;
	const char *c; /* elementwise C template, see ops.def */
} OpInfo;

extern const OpInfo op_info[OP_COUNT];

/* Operand k of op carries no derivative and no dependence. */
bool op_cuts_arg(Op op, int k);

enum { IR_MAX_RANK = AST_MAX_RANK };

/* Instruction flags. */
enum {
	IF_NOGRAD = 1,   /* parameter marked nograd */
	IF_LINSPACE = 2, /* iota: linspace (last element is exactly stop) */
};

typedef struct Func Func;

typedef struct Inst {
	/* (the fields are ordered so that the struct packs without holes) */
	Op op;
	DType dt;
	int rank;
	int nargs;
	const Dim **shape; /* shared (dim_shape): never written */
	int *args;
	/* attributes, by op:
	 *   reduce:    ints = reduced axes of the operand (sorted)
	 *   transpose: ints = perm (result axis k is operand axis ints[k])
	 *   slice:     ints = step per axis, dims = start per axis
	 *   unslice:   the same, describing where the operand goes in the result
	 *   concat:    ints[0] = axis
	 *   matmul:    ints[0], ints[1] = transpose flags of the operands
	 *   param:     ints[0] = parameter index
	 *   iota:      nums = {start, delta, stop}
	 *   const:     nums = the elements, row-major
	 *   dimval:    dims[0] = the dimension
	 *   loop:      ints[LOOP_*] (step, operand counts, flags, checkpoint),
	 *              dims = {start, stop}; bodies[0] = the body
	 *   cond:      bodies[0], bodies[1] = the then and else bodies
	 *   extract:   ints[0] = which result of the operand */
	int nints;
	int ndims;
	int64_t *ints;
	const Dim **dims;
	int64_t nnums;
	double *nums;
	unsigned flags;
	/* the bodies a control-flow op owns (closed functions) */
	int nbodies;
	Func **bodies;
	/* where it came from */
	Loc loc;
	int stmt;         /* index into Func.stmts, or -1 */
	const char *name; /* source binding, if any */
	const char *note; /* what the compiler made it for ("seed of grad") */
	/* a gather's or scatter's indices as the source writes them, for the
	 * message of AD_ERR_INDEX ("'x[ids]' at t.ad:2:9"), or NULL */
	const char *site;
} Inst;

/* A run-time condition on the dimensions, checked on entry of the emitted
 * function (AD_ERR_DIM when it fails). */
typedef enum { CONS_GE0, CONS_EQ, CONS_DIVIDES } ConsKind;
typedef struct Constraint {
	ConsKind kind;
	const Dim *a, *b; /* a >= 0 (where b > 0, when b is set); a == b; b divides a */
	const char *msg;
} Constraint;

typedef struct FuncResult {
	const char *name;
	int value; /* -1: none (zeros are written) */
	DType dt;
	int rank;
	const Dim **shape;
} FuncResult;

/* A grad(...) call, as lowered: for --check. */
typedef struct GradSite {
	Loc loc;
	const char *text; /* the call as written */
	int nout, nin;
	int *outs, *seeds, *ins, *grads; /* value ids; grads[i] = -1 if none */
} GradSite;

typedef struct StmtInfo {
	Loc loc;
	int last_line;
} StmtInfo;

/* A function's instructions, in pages that never move once made (page k
 * holds IR_PAGE0 << k of them), so that a pointer to an instruction stays
 * valid while others are appended, and growing copies nothing. */
enum { IR_PAGE0_BITS = 4, IR_PAGE0 = 1 << IR_PAGE0_BITS, IR_MAX_PAGES = 28 };
typedef struct InstPages {
	Inst *pages[IR_MAX_PAGES];
	int len, npages;
} InstPages;

struct Func {
	Arena *A;
	DimCtx *dc;
	SrcFile *src;
	const char *name;
	Loc loc;
	InstPages ins;
	VEC(int) params; /* value ids of the OP_param instructions */
	VEC(FuncResult) results;
	VEC(const char *) dimsyms; /* symbolic dims, in ABI order */
	VEC(Constraint) cons;
	VEC(StmtInfo) stmts;
	VEC(GradSite) grads;
	/* where new instructions come from (set by the lowering) */
	Loc cur_loc;
	int cur_stmt;
	bool is_body; /* a body of a control-flow op (no dimensions or conditions of its own) */
	/* the placement the scheduling passes chose (schedule.h), NULL before */
	struct Schedule *sched;
};

/* ---------------------------------------------------------------- control flow
 *
 * loop: `for t in range(start, stop, step)`, t an i64.
 *   operands: the invariants, the initial carries, the per-iteration inputs xs
 *             (ints[LOOP_NINV], ints[LOOP_NCARRY], ints[LOOP_NXS] of them);
 *   body parameters: t, the invariants, the carries, row t of each xs;
 *   body results: the break flag (with LF_BREAK: rank 0, nonzero ends the
 *             loop after this iteration), the next carries, then the rows of
 *             the per-iteration outputs ys;
 *   results (extract): the final carries, the ys stacked along a new leading
 *             axis of the trip count, and (with LF_BREAK) the number of
 *             iterations that ran, an i64.
 * cond: operand 0 is the rank-0 predicate (nonzero: the then body runs),
 *   the others are the bodies' parameters; both bodies give results of the
 *   same types, the cond's results. */
enum { LOOP_STEP, LOOP_NINV, LOOP_NCARRY, LOOP_NXS, LOOP_FLAGS, LOOP_CKPT, LOOP_NINTS };
enum { LF_BREAK = 1, LF_REVERSE = 2 };

/* The same for operand k of an instruction of f, which also cuts where
 * the operand or the result is an integer (a conversion, an index). */
bool ir_cuts_arg(const Func *f, const Inst *in, int k);

/* The number of iterations of a loop from start to stop by step: never
 * negative (max(0, ...) where the bounds are symbolic). */
const Dim *ir_trip_count(DimCtx *dc, const Dim *start, const Dim *stop, int64_t step);
/* The same where the range is not empty: without the max(0, ...), for
 * checks that apply only then. */
const Dim *ir_trip_count_if_runs(DimCtx *dc, const Dim *start, const Dim *stop, int64_t step);
/* The type of result k of a control-flow instruction (or of any other
 * instruction for k = 0); false if there is no such result. */
bool ir_result_type(const Func *f, int v, int k, DType *dt, int *rank, const Dim ***shape);
/* How many results it has (1 for an instruction without bodies). */
int ir_nresults(const Func *f, int v);
/* A new, empty body for a control-flow op inside f. */
Func *ir_body_new(const Func *f, const char *name);

Func *ir_func_new(Arena *A, DimCtx *dc, SrcFile *src, const char *name);
/* A copy of f's header (params, results, dims, constraints, statements)
 * with no instructions; passes fill it through a value map. */
Func *ir_func_like(const Func *f);

static inline Inst *ir_inst(const Func *f, int v)
{
	/* v lies in page k where IR_PAGE0 * (2^k - 1) <= v < IR_PAGE0 * (2^(k+1) - 1) */
	unsigned u = ((unsigned)v >> IR_PAGE0_BITS) + 1;
	int k = 31 - __builtin_clz(u);
	return &f->ins.pages[k][v - (int)(((1u << k) - 1) << IR_PAGE0_BITS)];
}
/* Make room for n more instructions at once (a pass that knows how many
 * it will append); optional. */
void ir_reserve(Func *f, int n);
/* Give back the instructions of a function no longer used (an
 * intermediate result of the passes): f must not be read afterwards. */
void ir_release(Func *f);
int64_t ir_numel_const(const Inst *in); /* -1 if symbolic */
bool ir_same_shape(const Inst *a, const Inst *b);
bool ir_is_scalar_const(const Func *f, int v, double *val);

/* Builders: each appends one instruction and returns its value id. They
 * check their operands and raise an ICE on misuse: the lowering checks user
 * programs before building. */
int ir_param(Func *f, const char *name, DType dt, int rank, const Dim **shape, bool nograd);
int ir_const(Func *f, DType dt, int rank, const Dim **shape, const double *nums);
int ir_scalar(Func *f, DType dt, double v);
int ir_iota(Func *f, DType dt, const Dim *n, double start, double delta, double stop, bool linspace);
int ir_dimval(Func *f, DType dt, const Dim *d);
int ir_unary(Func *f, Op op, int a);
int ir_cast(Func *f, int a, DType dt);
int ir_binary(Func *f, Op op, int a, int b);
int ir_where(Func *f, int c, int a, int b);
int ir_broadcast(Func *f, int a, int rank, const Dim **shape);
int ir_reshape(Func *f, int a, int rank, const Dim **shape);
int ir_transpose(Func *f, int a, const int64_t *perm);
int ir_slice(Func *f, int a, const Dim **starts, const int64_t *steps, const Dim **lens);
int ir_unslice(Func *f, int a, const Dim **starts, const int64_t *steps, int rank, const Dim **full);
int ir_concat(Func *f, const int *args, int n, int axis);
/* take(x, idx, axis): x.shape[:axis] + idx.shape + x.shape[axis+1:], the
 * elements of x at the integer positions idx along the axis (NumPy's take;
 * each index must lie in [0, x.shape[axis]): AD_ERR_INDEX). */
int ir_gather(Func *f, int x, int idx, int axis);
/* That shape into out (IR_MAX_RANK entries): its rank, or -1 (out
 * untouched) when it would have more than IR_MAX_RANK axes. */
int ir_gather_shape(const Inst *x, const Inst *idx, int axis, const Dim **out);
/* op OP_scatter_add: x with v added at the positions idx along the axis
 * (NumPy's add.at); OP_scatter_max (integers): x with each element the
 * largest of itself and the elements of v scattered to it. v has the shape
 * take(x, idx, axis) would. */
int ir_scatter(Func *f, Op op, int x, int idx, int v, int axis);
/* May operand k of an op have a dtype other than its result's? (a source's
 * or control op's, a conversion's, an argmax's operand, a where's
 * condition, the indices of a take or a scatter) */
bool ir_operand_dtype_free(Op op, int k);
int ir_reduce(Func *f, Op op, int a, const int64_t *axes, int naxes);
/* The running sums of a along an axis (NumPy's cumsum): element i is the
 * sum of elements 0 to i, added in order. */
int ir_cumsum(Func *f, int a, int axis);
/* The linear recurrence along an axis: y[k] = a[k] * y[k - 1] + b[k], with
 * y[-1] = 0 (so a's first element is never read). */
int ir_linrec(Func *f, int a, int b, int axis);
/* a moved one place along an axis: element k is a[k - 1], element 0 is 0. */
int ir_shift(Func *f, int a, int axis);
/* 1 at the first position along an axis, 0 elsewhere, in dtype dt and the
 * given shape. */
int ir_first_along(Func *f, DType dt, int rank, const Dim **shape, int axis);
int ir_matmul(Func *f, int a, int b, bool ta, bool tb);
/* cholesky(A); trisolve(A, B): op(T)^-1 B for T the lower (else upper)
 * triangle of A, op the transpose when trans, a unit diagonal when unit;
 * solve(A, B, trans): op(A)^-1 B, op(A) being A or A^T. A is [..., n, n], B
 * [..., n, k] with A's batch axes. */
int ir_cholesky(Func *f, int a);
int ir_trisolve(Func *f, int a, int b, bool lower, bool trans, bool unit);
int ir_solve(Func *f, int a, int b, bool trans);
/* g, one number per matrix of the batch a, broadcast over each matrix */
int ir_per_matrix(Func *f, int g, int a);
/* logabsdet(A), detsign(A), det(A): log |det A|, its sign, det A, per
 * matrix; cofactor(A): adj(A)^T, per matrix (op is one of the four). */
int ir_det_part(Func *f, Op op, int a);
/* The identity matrix in a's dtype and shape ([..., n, n]). */
int ir_eye_like(Func *f, int a);
/* The transpose of the last two axes of a. */
int ir_mT(Func *f, int a);
/* The lower (else upper) triangle of the last two axes of square a, the
 * rest zeros, its diagonal times `diag` (1 kept, 0 dropped, 0.5 halved). */
int ir_triangle(Func *f, int a, bool lower, double diag);
int ir_loop(Func *f, const Dim *start, const Dim *stop, int64_t step, unsigned flags, int checkpoint, const int *inv,
            int ninv, const int *init, int ncarry, const int *xs, int nxs, Func *body);
int ir_cond(Func *f, int pred, const int *ops, int nops, Func *then_body, Func *else_body);
int ir_extract(Func *f, int v, int k);
/* Any instruction, by copying `proto` with new operands (used by passes);
 * the shape is recomputed and must agree. */
int ir_rebuild(Func *f, const Inst *proto, const int *args);

/* Helpers on top of the builders. */
int ir_fill(Func *f, DType dt, double v, int rank, const Dim **shape); /* scalar broadcast */
int ir_sum_to(Func *f, int a, int rank, const Dim **shape);            /* adjoint of broadcast */
int ir_broadcast_to(Func *f, int a, int rank, const Dim **shape);      /* no-op if same */

/* Shapes: the result shape an op gives, or NULL with *why set. Shared by the
 * builders and the verifier. Each op's rule (its own, or its kind's) is in
 * a table; ir_shape_rule gives it, NULL if the op has none
 * (tests/check_ops.c checks that none lacks one). */
const Dim **ir_infer_shape(Func *f, const Inst *proto, const int *args, int *rank, const char **why);
typedef const Dim **ShapeRule(Func *f, const Inst *p, const int *args, int *rank, const char **why);
ShapeRule *ir_shape_rule(Op op);

/* One rebuild loop for every pass that maps a function to a new one
 * (rewrite.c). Instructions are visited in order with their operands
 * already mapped; `keep` (NULL: all) says which to visit. Parameters that
 * are kept become the new function's, in order (where they stand, or all
 * first with `params_first`, then `prologue` runs). `inst` returns the new value of an instruction (NULL,
 * or a return of -1: rebuilt as it is). An instruction's bodies are
 * rewritten first, by `body` (NULL: kept as they are), and the instruction
 * is handed to `inst` with the new ones. Results are mapped at the end. */
typedef struct Rewrite {
	const Func *old;
	Func *nf;
	int *map; /* old value -> new value, -1 where not kept */
	void *ctx;
	int v; /* the old value being visited */
} Rewrite;
typedef struct RewriteOps {
	int (*inst)(Rewrite *rw, const Inst *in, const int *args);
	Func *(*body)(const Func *body, void *ctx);
	bool params_first;
	void (*prologue)(Rewrite *rw);
} RewriteOps;
/* map (may be NULL) gets the old-to-new value map. */
Func *ir_rewrite(const Func *f, const bool *keep, const RewriteOps *ops, void *ctx, int **map);
/* An identical copy of f (same value ids, the same bodies). */
Func *ir_clone(const Func *f);

/* Print as text (--emit=ir). */
void ir_print(Buf *b, const Func *f);
void ir_print_type(Buf *b, DType dt, int rank, const Dim **shape);
void ir_print_shape(Buf *b, int rank, const Dim **shape);
/* Check the invariants (bodies too); returns NULL or a message. */
const char *ir_verify(const Func *f);
/* Read functions in the printed form (ir_read.c): the IR of `text`, or
 * NULL with *err set to "LINE: MESSAGE". */
Func **ir_read(Arena *A, DimCtx *dc, SrcFile *src, const char *text, int *nfuncs, const char **err);

#endif
