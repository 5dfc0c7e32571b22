/* ir.h: the SSA intermediate representation.
 *
 * A function is a list of instructions; instruction i defines value i, and
 * its operands are earlier values. Every value is a tensor with a dtype and
 * a shape of symbolic dimensions. Passes rebuild functions rather than edit
 * them in place, so a value id is stable for the life of one Func. */
#ifndef AD_IR_H
#define AD_IR_H

#include "ast.h"
#include "dim.h"

typedef enum {
#define X(name, arity, kind, flags, c) OP_##name,
#include "ops.def"
#undef X
	OP_COUNT
} Op;

typedef enum { K_SRC, K_EW, K_SHAPE, K_REDUCE, K_MATMUL } OpKind;
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

typedef struct Inst {
	Op op;
	DType dt;
	int rank;
	const Dim **shape;
	int nargs;
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
	 *   dimval:    dims[0] = the dimension */
	int nints;
	int64_t *ints;
	int ndims;
	const Dim **dims;
	int64_t nnums;
	double *nums;
	unsigned flags;
	/* where it came from */
	Loc loc;
	int stmt;         /* index into Func.stmts, or -1 */
	const char *name; /* source binding, if any */
	const char *note; /* what the compiler made it for ("seed of grad") */
} Inst;

/* A run-time condition on the dimensions, checked on entry of the emitted
 * function (AD_ERR_DIM when it fails). */
typedef enum { CONS_GE0, CONS_EQ, CONS_DIVIDES } ConsKind;
typedef struct Constraint {
	ConsKind kind;
	const Dim *a, *b; /* a >= 0; a == b; b divides a */
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

typedef struct Func {
	Arena *A;
	DimCtx *dc;
	SrcFile *src;
	const char *name;
	Loc loc;
	VEC(Inst) ins;
	VEC(int) params; /* value ids of the OP_param instructions */
	VEC(FuncResult) results;
	VEC(const char *) dimsyms; /* symbolic dims, in ABI order */
	VEC(Constraint) cons;
	VEC(StmtInfo) stmts;
	VEC(GradSite) grads;
	/* where new instructions come from (set by the lowering) */
	Loc cur_loc;
	int cur_stmt;
} Func;

Func *ir_func_new(Arena *A, DimCtx *dc, SrcFile *src, const char *name);
/* A copy of f's header (params, results, dims, constraints, statements)
 * with no instructions; passes fill it through a value map. */
Func *ir_func_like(const Func *f);

static inline Inst *ir_inst(const Func *f, int v)
{
	return &f->ins.data[v];
}
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
int ir_reduce(Func *f, Op op, int a, const int64_t *axes, int naxes);
int ir_matmul(Func *f, int a, int b, bool ta, bool tb);
/* Any instruction, by copying `proto` with new operands (used by passes);
 * the shape is recomputed and must agree. */
int ir_rebuild(Func *f, const Inst *proto, const int *args);

/* Helpers on top of the builders. */
int ir_fill(Func *f, DType dt, double v, int rank, const Dim **shape); /* scalar broadcast */
int ir_sum_to(Func *f, int a, int rank, const Dim **shape);            /* adjoint of broadcast */
int ir_broadcast_to(Func *f, int a, int rank, const Dim **shape);      /* no-op if same */

/* Shapes: the result shape an op gives, or NULL with *why set. Shared by the
 * builders and the verifier. */
const Dim **ir_infer_shape(Func *f, const Inst *proto, const int *args, int *rank, const char **why);

/* Print as text (--emit=ir). */
void ir_print(Buf *b, const Func *f);
void ir_print_type(Buf *b, DType dt, int rank, const Dim **shape);
void ir_print_shape(Buf *b, int rank, const Dim **shape);
/* Check the invariants; returns NULL or a message. */
const char *ir_verify(const Func *f);

#endif
