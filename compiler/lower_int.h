/* lower_int.h: what the files of the checker and lowering share (lower.h
 * is its interface to the rest of the compiler):
 *   lower.c           the core: values, scopes, dtypes and broadcasting,
 *                     constants of the source, expressions, statements,
 *                     functions and calls
 *   lower_index.c     indexing and slicing, x[...]
 *   lower_builtins.c  the builtin functions and their table
 *   lower_grad.c      grad, backward, clear_grad and .grad
 *   lower_ctrl.c      statement lists, for loops, ifs and break
 * Their shared helpers have the prefix lw_. */
#ifndef AD_LOWER_INT_H
#define AD_LOWER_INT_H

#include "lower.h"

/* The largest number of elements a tensor may have, as a power of two. */
enum { MAX_ELEMS_LOG2 = 48 };

typedef enum { V_ERR, V_TENSOR, V_NONE, V_BOOL, V_DTYPE, V_TUPLE, V_VOID } VKind;

typedef struct Val {
	VKind kind;
	int id;    /* TENSOR */
	bool weak; /* TENSOR: a literal-derived value, stored as f64 */
	/* NONE: the shape and dtype the missing gradient would have had */
	bool has_type;
	DType dt;
	int rank;
	const Dim **shape;
	bool bval;         /* BOOL */
	DType dtype;       /* DTYPE */
	struct Val *items; /* TUPLE */
	int nitems;
} Val;

static const Val ERR = {.kind = V_ERR};

typedef struct Binding {
	const char *name;
	Val val;
} Binding;

typedef struct DimBind {
	const char *name;
	const Dim *dim;
} DimBind;

typedef struct GradAcc {
	int leaf;
	Val acc; /* V_NONE until a backward contributes */
} GradAcc;

/* A name that was bound and is no longer visible: a loop's local after
 * the loop, or one an if bound in only some branches (for the message
 * when it is used). */
typedef struct Gone {
	const char *name;
	Loc bound, block; /* where it was bound, the loop or if */
	bool loop;        /* a loop's local (else bound in some branches only) */
	const char *branch;
} Gone;

typedef struct Scope {
	const FuncAst *fn;
	VEC(Binding) binds;
	VEC(DimBind) dims;
	VEC(GradAcc) grads; /* one per parameter: the .grad of each leaf */
	VEC(Gone) gone;
	struct Scope *parent;
} Scope;

/* A derivative taken in a body (grad, jvp, jacobian) sees one iteration or
 * branch: its result is right only if parameter `x` of body `f`, on which
 * the output depends, does not depend on parameter `y`, an input of the
 * derivative, by a path outside the body (before it, or through an earlier
 * iteration). Proved or refuted when the body's op is made (lower_ctrl.c);
 * the question may move to the function around it. */
typedef struct BodyDep {
	const Func *f;
	int x, y;
	Loc loc;
	const char *wrt, *through; /* the names the message shows */
} BodyDep;
typedef VEC(BodyDep) BodyDeps;
/* A message that a derivative in a body has an unused input or output,
 * given once the questions of its site are answered (not if a path outside
 * the body was found instead). */
typedef struct Unused {
	Loc site, loc;
	const char *msg;
} Unused;

/* The loop whose body is being lowered (innermost first). */
typedef struct LoopCtx {
	struct LoopCtx *outer;
	const char *var;
	Loc loc;
	int ifs; /* ifs entered since the body began (break needs one) */
	bool breaks;
} LoopCtx;

typedef struct Lower {
	Arena *A;
	Diags *d;
	DimCtx *dc;
	SrcFile *src;
	const Program *prog;
	Func *root; /* the function being lowered */
	Func *f;    /* where instructions go: root, or the body being lowered */
	Scope *scope;
	LoopCtx *loop;
	int loops; /* loops nested at this point */
	int inline_depth;
	BodyDeps body_deps;
	VEC(Unused) unused;   /* waiting for the questions of their sites */
	VEC(Loc) deps_failed; /* the sites where a path outside a body was found */
	bool too_big;
	bool promote; /* every f32 is f64 (for gradient checks) */
} Lower;

static inline DType dt_of(const Lower *L, DType dt)
{
	return L->promote && dt == DT_F32 ? DT_F64 : dt;
}

typedef struct Builtin Builtin;
typedef Val (*BuiltinFn)(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
struct Builtin {
	const char *name;
	const char *params[8];
	int nreq;
	BuiltinFn fn;
	Op op;
	double arg; /* a constant the handler needs (fill value) */
};

/* ---------------------------------------------------------------- lower.c */
Inst *lw_inst(Lower *L, int v);
Binding *lw_lookup(Lower *L, const char *name);
void lw_bind(Lower *L, const char *name, Val v);
const Dim *lw_lookup_dim(Lower *L, const char *name);
void lw_stmt_begin(Lower *L, const Stmt *s);
void lw_assign(Lower *L, const Stmt *s);
Val lw_tensor(int id, bool weak);
Val lw_none_like(Lower *L, Val t);
void lw_err(Lower *L, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *lw_shape_str(Lower *L, int rank, const Dim **shape);
const char *lw_type_str(Lower *L, Val v);
/* A type as messages show it ("f64[n]", "literal[2]" for a weak one). */
const char *lw_type_text(Lower *L, DType dt, int rank, const Dim **shape, bool weak);
const char *lw_text_of(Lower *L, const Ast *e);
/* Name the source of the indices of gather or scatter `id` (e as written,
 * its indices at `at`), for the message of AD_ERR_INDEX. */
void lw_index_site(Lower *L, int id, const Ast *e, Loc at);
GradAcc *lw_grad_acc(Lower *L, int leaf);
void lw_add_constraint(Lower *L, ConsKind kind, const Dim *a, const Dim *b, const char *msg);
bool lw_require_ge0(Lower *L, Loc loc, const Dim *a, const char *what);
bool lw_weak_int(Lower *L, int v);
/* v in y's dtype (lw_unify; `what` names the op in its message) broadcast
 * to shape: -1 after an error, -2 (nothing reported) when v's shape does
 * not broadcast to it. */
int lw_fit_value(Lower *L, Loc loc, int y, Val v, int rank, const Dim **shape, const char *what);
/* y[...] = v and y[...] += v (lower_index.c): the new y. */
Val lw_do_update(Lower *L, const Ast *e);
bool lw_require_ge0_if(Lower *L, Loc loc, const Dim *a, const Dim *cond, const char *what);
int lw_as_dtype(Lower *L, Val v, DType dt);
int lw_strong(Lower *L, Val v);
bool lw_unify(Lower *L, Loc loc, Val *vals, int n, const char *what, DType *out);
bool lw_is_one(const Dim *d);
Val lw_elementwise(Lower *L, Loc loc, Op op, Val *args, int n, const char *what);
Val lw_unary(Lower *L, Loc loc, Op op, Val a, const char *what);
Val lw_binary(Lower *L, Loc loc, Op op, Val a, Val b, const char *what);
Val lw_scalar(Lower *L, double v);
bool lw_const_num(Lower *L, const Ast *e, double *out, bool *is_int, bool report);
bool lw_const_int(Lower *L, const Ast *e, int64_t *out, const char *what);
const Dim *lw_dim_expr(Lower *L, const Ast *e, const char *what, const char *when);
bool lw_const_bool(Lower *L, const Ast *e, bool *out, bool allow_none, const char *what);
int lw_axis_list(Lower *L, const Ast *e, int rank, int64_t *out, const char *what);
bool lw_one_axis(Lower *L, const Ast *e, int rank, int64_t *out, const char *what);
int lw_shape_list(Lower *L, const Ast *e, const Dim **out, bool allow_infer, const char *what);
bool lw_check_size(Lower *L, Loc loc, int rank, const Dim **shape);
Val lw_literal(Lower *L, const Ast *e);
Val lw_want(Lower *L, const Ast *e);
bool lw_bind_args(Lower *L, const char *fname, const char *const *params, int nreq, const Ast *call, const Ast **slots);
Val lw_do_reshape(Lower *L, Val x, int rank, const Dim **shape);
Val lw_keepdim_reshape(Lower *L, Val r, const Inst *src, const int64_t *axes, int naxes);
Val lw_do_matmul(Lower *L, Loc loc, Val a, Val b);
Val lw_do_transpose(Lower *L, Loc loc, Val x, const Ast *perm_ast);
Val lw_expr(Lower *L, const Ast *e);

/* ---------------------------------------------------------------- lower_index.c */
Val lw_do_index(Lower *L, const Ast *e);

/* ---------------------------------------------------------------- lower_builtins.c */
Val lw_mean(Lower *L, Loc loc, Val x, const int64_t *axes, int n, bool keep);
int lw_tensor_list(Lower *L, const Ast *e, Val **out, bool allow_none, bool *is_list, const char *what);
const Builtin *lw_find_builtin(const char *name);
int lw_builtin_names(const char **out);
Val lw_call_builtin(Lower *L, const Builtin *b, const Ast *call);

/* ---------------------------------------------------------------- lower_ctrl.c */
void lw_stmts(Lower *L, const Stmt *ss, int n);
/* x[t], x[t + 1], x[i, j]: a row of x a loop reads per iteration. 0: e
 * is not one; k > 0: *row is it, for the first k indices; -1: an error was
 * reported. */
int lw_loop_row(Lower *L, const Ast *e, Val *row);
/* Is an index of e (x[...]) a loop variable? */
bool lw_loop_var_index(Lower *L, const Ast *e);
/* A use of a name that is no longer visible: reports why; false if the
 * name was never bound. */
bool lw_gone(Lower *L, const Ast *name);
/* A name of the program (not one the lowering keeps for itself). */
bool lw_is_ident(const char *name);
/* grad inside a loop or if body sees one iteration or branch: refused (with
 * an error, when the body's op is made) where a path from an input to an
 * output could leave it. */
bool lw_body_grad_ok(Lower *L, const Ast *call, const int *outs, int nout, const int *ins, const Ast *const *in_ast,
                     int nin);
/* Reports that a derivative (at `site`) has nothing to differentiate for
 * one input or output (msg, at loc): at once, and false; or, when it is in
 * a body whose questions are not answered yet, later, and true (the caller
 * then makes that result ERR). */
bool lw_unused(Lower *L, Loc site, Loc loc, const char *msg);
/* At the end of a function: the messages lw_unused kept. */
void lw_body_deps_finish(Lower *L);
/* backward, .grad and clear_grad are not supported inside bodies. */
bool lw_not_in_body(Lower *L, Loc loc, const char *what);

/* ---------------------------------------------------------------- lower_grad.c */
Val lw_bi_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_bi_jvp(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_bi_jacobian(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_bi_hessian(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_bi_backward(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_bi_clear_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a);
Val lw_attr_grad(Lower *L, const Ast *e);

#endif
