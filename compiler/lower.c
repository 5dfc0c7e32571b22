/* lower.c: the checker and the lowering to IR (see lower.h).
 *
 * Values of the language are Val: a tensor (an IR value), `none`, a bool, a
 * dtype, a tuple (several results) or nothing (backward's result). Literals
 * are weakly typed: they are kept as f64 IR values and converted to the
 * dtype of whatever strong operand they meet (or f32 when none does). */
#include "lower.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "adjoint.h"

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

typedef struct Scope {
	const FuncAst *fn;
	VEC(Binding) binds;
	VEC(DimBind) dims;
	VEC(GradAcc) grads; /* one per parameter: the .grad of each leaf */
	struct Scope *parent;
} Scope;

typedef struct Lower {
	Arena *A;
	Diags *d;
	DimCtx *dc;
	SrcFile *src;
	const Program *prog;
	Func *f;
	Scope *scope;
	int inline_depth;
	bool too_big;
	bool promote; /* every f32 is f64 (for gradient checks) */
} Lower;

static DType dt_of(const Lower *L, DType dt)
{
	return L->promote ? DT_F64 : dt;
}

/* ---------------------------------------------------------------- helpers */

static Inst *I(Lower *L, int v)
{
	return ir_inst(L->f, v);
}

static Val tensor(int id, bool weak)
{
	Val v = {.kind = V_TENSOR, .id = id, .weak = weak};
	return v;
}

static Val none_like(Lower *L, Val t)
{
	Val v = {.kind = V_NONE};
	if (t.kind == V_TENSOR) {
		Inst *in = I(L, t.id);
		v.has_type = true;
		v.dt = t.weak ? DT_F32 : in->dt;
		v.rank = in->rank;
		v.shape = in->shape;
	}
	return v;
}

static void err(Lower *L, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err(Lower *L, Loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(L->A, fmt, ap);
	va_end(ap);
	diag_error(L->d, loc, "%s", msg);
}

static bool too_big(Lower *L, Loc loc)
{
	if (L->too_big)
		return true;
	if (L->f->ins.len > LOWER_MAX_INSTS) {
		err(L, loc, "function '%s' is too large: over %d operations after inlining and differentiation",
		    L->f->name, LOWER_MAX_INSTS);
		L->too_big = true;
	}
	return L->too_big;
}

static const char *shape_str(Lower *L, int rank, const Dim **shape)
{
	Buf b;
	buf_init(&b, L->A);
	ir_print_shape(&b, rank, shape);
	return buf_finish(&b, L->A);
}

static const char *type_str(Lower *L, Val v)
{
	if (v.kind == V_NONE)
		return "none";
	if (v.kind != V_TENSOR)
		return "?";
	Inst *in = I(L, v.id);
	Buf b;
	buf_init(&b, L->A);
	if (v.weak) {
		buf_puts(&b, "literal");
		ir_print_shape(&b, in->rank, in->shape);
	} else {
		ir_print_type(&b, in->dt, in->rank, in->shape);
	}
	return buf_finish(&b, L->A);
}

/* The expression as the user wrote it (near enough), for messages. */
static void src_text(Buf *b, const Ast *e)
{
	if (!e) {
		return;
	}
	switch (e->kind) {
	case AST_ERROR: buf_puts(b, "..."); break;
	case AST_NAME: buf_puts(b, e->name); break;
	case AST_NUM: buf_puts(b, e->text); break;
	case AST_BOOL: buf_puts(b, e->bval ? "true" : "false"); break;
	case AST_NONE: buf_puts(b, "none"); break;
	case AST_DTYPE: buf_puts(b, dtype_name(e->dtype)); break;
	case AST_LIST:
		buf_puts(b, "[");
		for (int i = 0; i < e->list.n; i++) {
			if (i)
				buf_puts(b, ", ");
			src_text(b, e->list.items[i]);
		}
		buf_puts(b, "]");
		break;
	case AST_NEG:
		buf_puts(b, "-");
		src_text(b, e->a);
		break;
	case AST_BINOP:
		src_text(b, e->a);
		buf_printf(b, " %s ", binop_token(e->op));
		src_text(b, e->b);
		break;
	case AST_CALL:
		src_text(b, e->a);
		buf_puts(b, "(");
		for (int i = 0; i < e->list.n; i++) {
			if (i)
				buf_puts(b, ", ");
			if (e->list.kw[i])
				buf_printf(b, "%s=", e->list.kw[i]);
			src_text(b, e->list.items[i]);
		}
		buf_puts(b, ")");
		break;
	case AST_INDEX:
		src_text(b, e->a);
		buf_puts(b, "[");
		for (int i = 0; i < e->list.n; i++) {
			if (i)
				buf_puts(b, ", ");
			src_text(b, e->list.items[i]);
		}
		buf_puts(b, "]");
		break;
	case AST_SLICE:
		src_text(b, e->a);
		buf_puts(b, ":");
		src_text(b, e->b);
		if (e->c) {
			buf_puts(b, ":");
			src_text(b, e->c);
		}
		break;
	case AST_ATTR:
		src_text(b, e->a);
		buf_printf(b, ".%s", e->name);
		break;
	}
}

static const char *text_of(Lower *L, const Ast *e)
{
	Buf b;
	buf_init(&b, L->A);
	src_text(&b, e);
	if (b.len > 60) {
		b.len = 57;
		buf_puts(&b, "...");
	}
	return buf_finish(&b, L->A);
}

/* ---------------------------------------------------------------- scopes */

static Binding *lookup(Lower *L, const char *name)
{
	Scope *s = L->scope;
	for (int i = s->binds.len - 1; i >= 0; i--)
		if (strcmp(s->binds.data[i].name, name) == 0)
			return &s->binds.data[i];
	return NULL;
}

static void bind(Lower *L, const char *name, Val v)
{
	if (v.kind == V_TENSOR && !I(L, v.id)->name)
		I(L, v.id)->name = name;
	Binding *b = lookup(L, name);
	if (b) {
		b->val = v;
		return;
	}
	Binding nb = {name, v};
	VEC_PUSH(L->A, L->scope->binds, nb);
}

static const Dim *lookup_dim(Lower *L, const char *name)
{
	Scope *s = L->scope;
	for (int i = 0; i < s->dims.len; i++)
		if (strcmp(s->dims.data[i].name, name) == 0)
			return s->dims.data[i].dim;
	return NULL;
}

static GradAcc *grad_acc(Lower *L, int leaf)
{
	Scope *s = L->scope;
	for (int i = 0; i < s->grads.len; i++)
		if (s->grads.data[i].leaf == leaf)
			return &s->grads.data[i];
	return NULL;
}

static const FuncAst *find_func(Lower *L, const char *name)
{
	for (int i = 0; i < L->prog->nfuncs; i++)
		if (strcmp(L->prog->funcs[i]->name, name) == 0)
			return L->prog->funcs[i];
	return NULL;
}

static void add_constraint(Lower *L, ConsKind kind, const Dim *a, const Dim *b, const char *msg)
{
	Func *f = L->f;
	for (int i = 0; i < f->cons.len; i++)
		if (f->cons.data[i].kind == kind && f->cons.data[i].a == a && f->cons.data[i].b == b)
			return;
	Constraint c = {kind, a, b, msg};
	VEC_PUSH(L->A, f->cons, c);
}

/* a >= 0 must hold: an error now if it cannot, a run-time check if it may. */
static bool require_ge0(Lower *L, Loc loc, const Dim *a, const char *what)
{
	int64_t v;
	if (dim_is_const(a, &v)) {
		if (v < 0) {
			err(L, loc, "%s", what);
			return false;
		}
		return true;
	}
	if (!dim_nonneg(a))
		add_constraint(L, CONS_GE0, a, NULL, what);
	return true;
}

/* ---------------------------------------------------------------- dtypes and broadcasting */

/* A weak value as dtype dt (a cast instruction; constants fold later). */
static int as_dtype(Lower *L, Val v, DType dt)
{
	if (I(L, v.id)->dt == dt)
		return v.id;
	return ir_cast(L->f, v.id, dt);
}

/* The value with weak literals resolved to f32. */
static int strong(Lower *L, Val v)
{
	return v.weak ? as_dtype(L, v, dt_of(L, DT_F32)) : v.id;
}

static bool unify(Lower *L, Loc loc, Val *vals, int n, const char *what, DType *out)
{
	int strong_i = -1;
	for (int i = 0; i < n; i++) {
		if (vals[i].weak)
			continue;
		if (strong_i >= 0 && I(L, vals[i].id)->dt != I(L, vals[strong_i].id)->dt) {
			err(L, loc, "%s mixes %s and %s; convert one with f32(...) or f64(...)", what,
			    type_str(L, vals[strong_i]), type_str(L, vals[i]));
			return false;
		}
		if (strong_i < 0)
			strong_i = i;
	}
	DType dt = strong_i >= 0 ? I(L, vals[strong_i].id)->dt : DT_F64;
	if (strong_i >= 0)
		for (int i = 0; i < n; i++)
			if (vals[i].weak) {
				vals[i].id = as_dtype(L, vals[i], dt);
				vals[i].weak = false;
			}
	*out = dt;
	return true;
}

static bool is_one(const Dim *d)
{
	int64_t v;
	return dim_is_const(d, &v) && v == 1;
}

/* NumPy broadcasting of several shapes: right-aligned; size 1 stretches; a
 * symbolic dimension matches only itself or 1. */
static bool broadcast_shapes(Lower *L, Loc loc, Val *vals, int n, const char *what, int *rank, const Dim **out)
{
	int r = 0;
	for (int i = 0; i < n; i++)
		if (I(L, vals[i].id)->rank > r)
			r = I(L, vals[i].id)->rank;
	for (int k = 0; k < r; k++)
		out[k] = dim_const(L->dc, 1);
	for (int i = 0; i < n; i++) {
		Inst *in = I(L, vals[i].id);
		for (int k = 0; k < in->rank; k++) {
			const Dim *d = in->shape[k];
			const Dim **o = &out[r - in->rank + k];
			if (*o == d || is_one(d))
				continue;
			if (is_one(*o)) {
				*o = d;
				continue;
			}
			Buf b;
			buf_init(&b, L->A);
			for (int j = 0; j < n; j++) {
				if (j)
					buf_puts(&b, j == n - 1 ? " and " : ", ");
				buf_puts(&b, type_str(L, vals[j]));
			}
			err(L, loc, "%s: shapes %s cannot be broadcast together", what, b.data);
			buf_free(&b);
			return false;
		}
	}
	*rank = r;
	return true;
}

static Val elementwise(Lower *L, Loc loc, Op op, Val *args, int n, const char *what)
{
	for (int i = 0; i < n; i++)
		if (args[i].kind != V_TENSOR)
			return ERR;
	/* the condition of where gives no dtype (it is cast to the values') */
	int first = op == OP_where ? 1 : 0;
	bool weak = true;
	for (int i = first; i < n; i++)
		weak = weak && args[i].weak;
	DType dt;
	if (!unify(L, loc, args + first, n - first, what, &dt))
		return ERR;
	if (op == OP_where && I(L, args[0].id)->dt != dt)
		args[0].id = ir_cast(L->f, args[0].id, dt);
	int rank;
	const Dim *shape[IR_MAX_RANK];
	if (!broadcast_shapes(L, loc, args, n, what, &rank, shape))
		return ERR;
	int ids[3];
	for (int i = 0; i < n; i++)
		ids[i] = ir_broadcast_to(L->f, args[i].id, rank, shape);
	int v;
	if (n == 1)
		v = ir_unary(L->f, op, ids[0]);
	else if (n == 2)
		v = ir_binary(L->f, op, ids[0], ids[1]);
	else
		v = ir_where(L->f, ids[0], ids[1], ids[2]);
	return tensor(v, weak);
}

static Val unary(Lower *L, Loc loc, Op op, Val a, const char *what)
{
	return elementwise(L, loc, op, &a, 1, what);
}

static Val binary(Lower *L, Loc loc, Op op, Val a, Val b, const char *what)
{
	Val args[2] = {a, b};
	return elementwise(L, loc, op, args, 2, what);
}

static Val scalar(Lower *L, double v)
{
	return tensor(ir_scalar(L->f, DT_F64, v), true);
}

/* ---------------------------------------------------------------- constants in the source */

/* Constant arithmetic on number literals: 1, -2, 2*3, 1/3, 1e-3. */
static bool const_num(Lower *L, const Ast *e, double *out, bool *is_int, bool report)
{
	double a, b;
	bool ia, ib;
	switch (e->kind) {
	case AST_NUM:
		*out = e->num;
		*is_int = e->is_int;
		return true;
	case AST_NEG:
		if (!const_num(L, e->a, &a, &ia, report))
			return false;
		*out = -a;
		*is_int = ia;
		return true;
	case AST_BINOP:
		if (e->op > BIN_POW || e->op == BIN_MATMUL)
			break;
		if (!const_num(L, e->a, &a, &ia, report) || !const_num(L, e->b, &b, &ib, report))
			return false;
		*is_int = ia && ib && e->op != BIN_DIV && e->op != BIN_POW;
		switch (e->op) {
		case BIN_ADD: *out = a + b; break;
		case BIN_SUB: *out = a - b; break;
		case BIN_MUL: *out = a * b; break;
		case BIN_DIV: *out = a / b; break;
		default: *out = pow(a, b); break;
		}
		return true;
	default: break;
	}
	if (report)
		err(L, e->loc, "expected a constant number, not '%s'", text_of(L, e));
	return false;
}

static bool const_int(Lower *L, const Ast *e, int64_t *out, const char *what)
{
	double v;
	bool is_int;
	if (!const_num(L, e, &v, &is_int, false) || !is_int) {
		err(L, e->loc, "%s must be a constant whole number, not '%s'", what, text_of(L, e));
		return false;
	}
	if (!(fabs(v) < 9.2e18)) {
		err(L, e->loc, "%s %s is out of range", what, text_of(L, e));
		return false;
	}
	*out = (int64_t)v;
	return true;
}

static bool const_bool(Lower *L, const Ast *e, bool *out, bool allow_none, const char *what)
{
	if (e->kind == AST_BOOL) {
		*out = e->bval;
		return true;
	}
	if (allow_none && e->kind == AST_NONE) {
		*out = false;
		return true;
	}
	err(L, e->loc, "%s must be true or false%s, not '%s'", what, allow_none ? " (or none)" : "", text_of(L, e));
	return false;
}

/* An axis list: `1`, `-1`, `[0, 2]` or `[]`, normalized against rank and
 * sorted; duplicates and out-of-range axes are errors. */
static int axis_list(Lower *L, const Ast *e, int rank, int64_t *out, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	if (e->kind == AST_LIST) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	if (n > IR_MAX_RANK) {
		err(L, e->loc, "too many axes in %s", what);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int64_t a;
		if (!const_int(L, items[i], &a, "an axis"))
			return -1;
		if (a < -rank || a >= rank) {
			err(L, items[i]->loc, "axis %lld is out of range for a tensor of rank %d (in %s)", (long long)a,
			    rank, what);
			return -1;
		}
		out[i] = a < 0 ? a + rank : a;
	}
	for (int i = 1; i < n; i++) {
		int64_t x = out[i];
		int j = i - 1;
		while (j >= 0 && out[j] > x) {
			out[j + 1] = out[j];
			j--;
		}
		out[j + 1] = x;
	}
	for (int i = 1; i < n; i++)
		if (out[i] == out[i - 1]) {
			err(L, e->loc, "axis %lld appears twice in %s", (long long)out[i], what);
			return -1;
		}
	return n;
}

static bool one_axis(Lower *L, const Ast *e, int rank, int64_t *out, const char *what)
{
	if (e->kind == AST_LIST) {
		err(L, e->loc, "%s takes a single axis", what);
		return false;
	}
	return axis_list(L, e, rank, out, what) == 1;
}

/* A shape: `[2, n, -1]` or a single dimension; -1 is returned as NULL when
 * allowed. Names are symbolic dimensions of the function. */
enum { MAX_ELEMS_LOG2 = 48 };

static int shape_list(Lower *L, const Ast *e, const Dim **out, bool allow_infer, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	if (e->kind == AST_LIST) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	if (n > IR_MAX_RANK) {
		err(L, e->loc, "%s: a tensor may have at most %d dimensions", what, IR_MAX_RANK);
		return -1;
	}
	int inferred = 0;
	for (int i = 0; i < n; i++) {
		const Ast *it = items[i];
		if (it->kind == AST_NAME) {
			const Dim *d = lookup_dim(L, it->name);
			if (!d) {
				err(L, it->loc, "'%s' is not a dimension of this function's parameters (in %s)",
				    it->name, what);
				return -1;
			}
			out[i] = d;
			continue;
		}
		int64_t v;
		if (!const_int(L, it, &v, "a dimension"))
			return -1;
		if (v == -1 && allow_infer) {
			if (inferred++) {
				err(L, it->loc, "only one dimension may be -1 in %s", what);
				return -1;
			}
			out[i] = NULL;
			continue;
		}
		if (v < 0 || v > ((int64_t)1 << MAX_ELEMS_LOG2)) {
			err(L, it->loc, "dimension %lld is out of range in %s", (long long)v, what);
			return -1;
		}
		out[i] = dim_const(L->dc, v);
	}
	return n;
}

/* Dimensions whose element count would overflow are errors. */
static bool check_size(Lower *L, Loc loc, int rank, const Dim **shape)
{
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		int64_t v;
		if (!dim_is_const(shape[i], &v))
			continue;
		if (v < 0 || __builtin_mul_overflow(n, v, &n) || n > ((int64_t)1 << MAX_ELEMS_LOG2)) {
			err(L, loc, "tensor of shape %s is too large (the limit is 2^%d elements)",
			    shape_str(L, rank, shape), MAX_ELEMS_LOG2);
			return false;
		}
	}
	return true;
}

/* [[1, 2], [3, 4]]: a weakly typed constant tensor. */
static bool literal_shape(Lower *L, const Ast *e, int depth, int64_t *shape, int *rank)
{
	if (e->kind != AST_LIST) {
		if (depth == 0)
			*rank = 0;
		return true;
	}
	if (depth >= IR_MAX_RANK) {
		err(L, e->loc, "tensor literal is nested more than %d deep", IR_MAX_RANK);
		return false;
	}
	shape[depth] = e->list.n;
	if (e->list.n == 0) {
		*rank = depth + 1;
		return true;
	}
	if (e->list.items[0]->kind == AST_LIST)
		return literal_shape(L, e->list.items[0], depth + 1, shape, rank);
	*rank = depth + 1;
	return true;
}

static bool literal_fill(Lower *L, const Ast *e, int depth, const int64_t *shape, int rank, double *out, int64_t *k)
{
	if (depth == rank) {
		if (e->kind == AST_LIST) {
			err(L, e->loc, "ragged tensor literal: expected a number here, found a list");
			return false;
		}
		double v;
		bool is_int;
		if (!const_num(L, e, &v, &is_int, false)) {
			err(L, e->loc,
			    "a tensor literal holds constant numbers, not '%s' (a list of tensors is allowed only "
			    "as an argument of grad, backward, concat or stack)",
			    text_of(L, e));
			return false;
		}
		out[(*k)++] = v;
		return true;
	}
	if (e->kind != AST_LIST || e->list.n != shape[depth]) {
		err(L, e->loc, "ragged tensor literal: expected a list of %lld here", (long long)shape[depth]);
		return false;
	}
	for (int i = 0; i < e->list.n; i++)
		if (!literal_fill(L, e->list.items[i], depth + 1, shape, rank, out, k))
			return false;
	return true;
}

static Val literal(Lower *L, const Ast *e)
{
	int64_t shape[IR_MAX_RANK];
	int rank = 0;
	if (!literal_shape(L, e, 0, shape, &rank))
		return ERR;
	int64_t n = 1;
	const Dim *dims[IR_MAX_RANK];
	for (int i = 0; i < rank; i++) {
		n *= shape[i];
		dims[i] = dim_const(L->dc, shape[i]);
	}
	double *nums = arena_array(L->A, (size_t)n + 1, sizeof(double));
	int64_t k = 0;
	if (!literal_fill(L, e, 0, shape, rank, nums, &k))
		return ERR;
	return tensor(ir_const(L->f, DT_F64, rank, dims, nums), true);
}

/* ---------------------------------------------------------------- expressions */

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

static Val expr(Lower *L, const Ast *e);
static void lower_body(Lower *L, const FuncAst *fn);

static Val want(Lower *L, const Ast *e)
{
	Val v = expr(L, e);
	switch (v.kind) {
	case V_TENSOR:
	case V_ERR: return v;
	case V_NONE:
		err(L, e->loc, "'%s' is none here (an unused gradient or a .grad nothing was accumulated into)",
		    text_of(L, e));
		return ERR;
	case V_BOOL: err(L, e->loc, "expected a tensor, not %s", v.bval ? "true" : "false"); return ERR;
	case V_DTYPE: err(L, e->loc, "expected a tensor, not the dtype %s", dtype_name(v.dtype)); return ERR;
	case V_TUPLE:
		err(L, e->loc, "'%s' gives %d values; assign them to as many names (a, b = ...)", text_of(L, e),
		    v.nitems);
		return ERR;
	case V_VOID: err(L, e->loc, "'%s' does not give a value", text_of(L, e)); return ERR;
	}
	return ERR;
}

/* Bind call arguments to the builtin's parameter slots. */
static bool bind_args(Lower *L, const char *fname, const char *const *params, int nreq, const Ast *call,
                      const Ast **slots)
{
	int np = 0;
	while (np < 8 && params[np])
		np++;
	for (int i = 0; i < np; i++)
		slots[i] = NULL;
	bool ok = true, seen_kw = false;
	int pos = 0;
	for (int i = 0; i < call->list.n; i++) {
		const char *kw = call->list.kw[i];
		const Ast *a = call->list.items[i];
		if (!kw) {
			if (seen_kw) {
				err(L, a->loc, "positional argument after keyword arguments in %s(...)", fname);
				ok = false;
				continue;
			}
			if (pos >= np) {
				Buf b;
				buf_init(&b, L->A);
				for (int k = 0; k < np; k++)
					buf_printf(&b, "%s%s", k ? ", " : "", params[k]);
				err(L, a->loc, "%s takes at most %d argument%s (%s)", fname, np, np == 1 ? "" : "s",
				    b.data ? b.data : "");
				buf_free(&b);
				return false;
			}
			slots[pos++] = a;
			continue;
		}
		seen_kw = true;
		int k = 0;
		while (k < np && strcmp(params[k], kw) != 0)
			k++;
		if (k == np) {
			const char *hint = did_you_mean(kw, params, np);
			err(L, call->list.kwloc[i], "%s has no parameter '%s'%s%s%s", fname, kw,
			    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
			ok = false;
			continue;
		}
		if (slots[k]) {
			err(L, call->list.kwloc[i], "argument '%s' of %s is given twice", kw, fname);
			ok = false;
			continue;
		}
		slots[k] = a;
	}
	for (int k = 0; k < nreq && ok; k++)
		if (!slots[k]) {
			err(L, call->loc, "%s(...) is missing its argument '%s'", fname, params[k]);
			ok = false;
		}
	return ok;
}

static Val do_reshape(Lower *L, Val x, int rank, const Dim **shape)
{
	Inst *in = I(L, x.id);
	if (in->rank == rank) {
		bool same = true;
		for (int i = 0; i < rank; i++)
			same = same && in->shape[i] == shape[i];
		if (same)
			return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	}
	return tensor(ir_reshape(L->f, x.id, rank, shape), x.weak);
}

static Val keepdim_reshape(Lower *L, Val r, const Inst *src, const int64_t *axes, int naxes)
{
	const Dim *shape[IR_MAX_RANK];
	for (int i = 0, k = 0; i < src->rank; i++) {
		if (k < naxes && axes[k] == i) {
			shape[i] = dim_const(L->dc, 1);
			k++;
		} else {
			shape[i] = src->shape[i];
		}
	}
	return tensor(ir_reshape(L->f, r.id, src->rank, shape), r.weak);
}

static Val do_matmul(Lower *L, Loc loc, Val a, Val b)
{
	if (a.kind != V_TENSOR || b.kind != V_TENSOR)
		return ERR;
	Val ab[2] = {a, b};
	DType dt;
	if (!unify(L, loc, ab, 2, "matmul", &dt))
		return ERR;
	a = ab[0];
	b = ab[1];
	const Inst *A = I(L, a.id), *B = I(L, b.id);
	int ra = A->rank, rb = B->rank;
	if (ra == 0 || rb == 0) {
		err(L, loc, "matmul needs tensors of rank 1 or more, not %s and %s; use * for scalars", type_str(L, a),
		    type_str(L, b));
		return ERR;
	}
	const Dim *ka = A->shape[ra - 1], *kb = B->shape[rb == 1 ? 0 : rb - 2];
	if (ka != kb) {
		Buf x;
		buf_init(&x, L->A);
		dim_print(&x, ka);
		buf_puts(&x, " vs ");
		dim_print(&x, kb);
		err(L, loc, "matmul of %s and %s: inner dimensions differ (%s)", type_str(L, a), type_str(L, b),
		    x.data);
		buf_free(&x);
		return ERR;
	}
	bool weak = a.weak && b.weak;
	if (ra == 1 && rb == 1) {
		int m = ir_binary(L->f, OP_mul, a.id, b.id);
		int64_t ax = 0;
		return tensor(ir_reduce(L->f, OP_sum, m, &ax, 1), weak);
	}
	int ai = a.id, bi = b.id;
	const Dim *one = dim_const(L->dc, 1);
	if (ra == 1) {
		const Dim *s[2] = {one, ka};
		ai = ir_reshape(L->f, ai, 2, s);
	}
	if (rb == 1) {
		const Dim *s[2] = {kb, one};
		bi = ir_reshape(L->f, bi, 2, s);
	}
	const Inst *A2 = I(L, ai), *B2 = I(L, bi);
	int r2a = A2->rank, r2b = B2->rank;
	/* broadcast the batch dimensions */
	int nb = (r2a > r2b ? r2a : r2b) - 2;
	const Dim *batch[IR_MAX_RANK];
	for (int i = 0; i < nb; i++) {
		int ia = i - (nb - (r2a - 2)), ib = i - (nb - (r2b - 2));
		const Dim *da = ia >= 0 ? A2->shape[ia] : one, *db = ib >= 0 ? B2->shape[ib] : one;
		if (da == db || is_one(db))
			batch[i] = da;
		else if (is_one(da))
			batch[i] = db;
		else {
			err(L, loc, "matmul of %s and %s: batch dimensions cannot be broadcast together",
			    type_str(L, a), type_str(L, b));
			return ERR;
		}
	}
	const Dim *sa[IR_MAX_RANK], *sb[IR_MAX_RANK];
	for (int i = 0; i < nb; i++)
		sa[i] = sb[i] = batch[i];
	sa[nb] = A2->shape[r2a - 2];
	sa[nb + 1] = A2->shape[r2a - 1];
	sb[nb] = B2->shape[r2b - 2];
	sb[nb + 1] = B2->shape[r2b - 1];
	ai = ir_broadcast_to(L->f, ai, nb + 2, sa);
	bi = ir_broadcast_to(L->f, bi, nb + 2, sb);
	int c = ir_matmul(L->f, ai, bi, false, false);
	if (ra == 1 || rb == 1) {
		const Inst *C = I(L, c);
		const Dim *s[IR_MAX_RANK];
		int r = 0;
		for (int i = 0; i < C->rank; i++) {
			if ((ra == 1 && i == C->rank - 2) || (rb == 1 && i == C->rank - 1))
				continue;
			s[r++] = C->shape[i];
		}
		c = ir_reshape(L->f, c, r, s);
	}
	return tensor(c, weak);
}

/* One axis of x[...]: start, step and length, with NumPy's clamping for
 * constant dimensions; for a symbolic one, the bounds are taken as written
 * and checked at run time. */
static bool slice_axis(Lower *L, const Ast *item, const Ast *base, const Dim *n, const Dim **start, int64_t *step,
                       const Dim **len, bool *drop)
{
	DimCtx *dc = L->dc;
	int64_t nv;
	bool cn = dim_is_const(n, &nv);
	*drop = false;
	if (item->kind != AST_SLICE) {
		int64_t i;
		if (!const_int(L, item, &i, "an index"))
			return false;
		*step = 1;
		*len = dim_const(dc, 1);
		*drop = true;
		if (cn) {
			if (i < -nv || i >= nv) {
				err(L, item->loc, "index %lld is out of range for a dimension of size %lld",
				    (long long)i, (long long)nv);
				return false;
			}
			*start = dim_const(dc, i < 0 ? i + nv : i);
			return true;
		}
		*start = i < 0 ? dim_add(dc, n, dim_const(dc, i)) : dim_const(dc, i);
		const Dim *need = i < 0 ? *start : dim_sub(dc, n, dim_const(dc, i + 1));
		return require_ge0(
		    L, item->loc, need,
		    arena_printf(L->A, "index %lld of %s is out of range", (long long)i, text_of(L, base)));
	}
	int64_t s = 0, t = 0, st = 1;
	bool has_s = item->a != NULL, has_t = item->b != NULL;
	if ((has_s && !const_int(L, item->a, &s, "a slice bound")) ||
	    (has_t && !const_int(L, item->b, &t, "a slice bound")) ||
	    (item->c && !const_int(L, item->c, &st, "a slice step")))
		return false;
	if (st == 0) {
		err(L, item->c->loc, "slice step cannot be zero");
		return false;
	}
	*step = st;
	if (cn) {
		int64_t a, b, l;
		if (st > 0) {
			a = !has_s ? 0 : s < 0 ? (s + nv < 0 ? 0 : s + nv) : (s > nv ? nv : s);
			b = !has_t ? nv : t < 0 ? (t + nv < 0 ? 0 : t + nv) : (t > nv ? nv : t);
			l = b > a ? (b - a + st - 1) / st : 0;
		} else {
			a = !has_s ? nv - 1 : s < 0 ? (s + nv < 0 ? -1 : s + nv) : (s >= nv ? nv - 1 : s);
			b = !has_t ? -1 : t < 0 ? (t + nv < 0 ? -1 : t + nv) : (t >= nv ? nv - 1 : t);
			l = a > b ? (a - b - st - 1) / -st : 0;
		}
		if (l == 0) {
			err(L, item->loc, "the slice %s is empty for a dimension of size %lld", text_of(L, item),
			    (long long)nv);
			return false;
		}
		*start = dim_const(dc, a);
		*len = dim_const(dc, l);
		return true;
	}
	const char *what = arena_printf(L->A, "%s[%s] is out of range", text_of(L, base), text_of(L, item));
	const Dim *a, *b;
	if (st > 0) {
		a = !has_s ? dim_const(dc, 0) : s < 0 ? dim_add(dc, n, dim_const(dc, s)) : dim_const(dc, s);
		b = !has_t ? n : t < 0 ? dim_add(dc, n, dim_const(dc, t)) : dim_const(dc, t);
		if (has_t && t >= 0 && !require_ge0(L, item->loc, dim_sub(dc, n, b), what))
			return false;
		const Dim *diff = dim_sub(dc, b, a);
		if (!require_ge0(L, item->loc, diff, what))
			return false;
		*len = dim_div(dc, dim_add(dc, diff, dim_const(dc, st - 1)), dim_const(dc, st));
	} else {
		a = !has_s  ? dim_sub(dc, n, dim_const(dc, 1))
		    : s < 0 ? dim_add(dc, n, dim_const(dc, s))
		            : dim_const(dc, s);
		if (has_s &&
		    !require_ge0(L, item->loc, s < 0 ? a : dim_sub(dc, dim_sub(dc, n, dim_const(dc, 1)), a), what))
			return false;
		b = !has_t ? dim_const(dc, -1) : t < 0 ? dim_add(dc, n, dim_const(dc, t)) : dim_const(dc, t);
		const Dim *diff = dim_sub(dc, a, b);
		if (!require_ge0(L, item->loc, diff, what))
			return false;
		*len = dim_div(dc, dim_add(dc, diff, dim_const(dc, -st - 1)), dim_const(dc, -st));
	}
	*start = a;
	return true;
}

static Val do_index(Lower *L, const Ast *e)
{
	Val x = want(L, e->a);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = I(L, x.id);
	int r = in->rank;
	if (e->list.n > r) {
		err(L, e->loc, "too many indices (%d) for %s", e->list.n, type_str(L, x));
		return ERR;
	}
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	bool drop[IR_MAX_RANK];
	for (int k = 0; k < r; k++) {
		starts[k] = dim_const(L->dc, 0);
		steps[k] = 1;
		lens[k] = in->shape[k];
		drop[k] = false;
		if (k < e->list.n &&
		    !slice_axis(L, e->list.items[k], e->a, in->shape[k], &starts[k], &steps[k], &lens[k], &drop[k]))
			return ERR;
	}
	int v = ir_slice(L->f, x.id, starts, steps, lens);
	const Dim *kept[IR_MAX_RANK];
	int nk = 0;
	for (int k = 0; k < r; k++)
		if (!drop[k])
			kept[nk++] = lens[k];
	if (nk != r)
		v = ir_reshape(L->f, v, nk, kept);
	return tensor(v, x.weak);
}

static Val do_transpose(Lower *L, Loc loc, Val x, const Ast *perm_ast)
{
	if (x.kind != V_TENSOR)
		return ERR;
	int r = I(L, x.id)->rank;
	int64_t perm[IR_MAX_RANK];
	if (perm_ast && perm_ast->kind != AST_NONE) {
		if (perm_ast->kind != AST_LIST || perm_ast->list.n != r) {
			err(L, perm_ast->loc, "transpose of %s needs a permutation of %d axes", type_str(L, x), r);
			return ERR;
		}
		bool seen[IR_MAX_RANK] = {0};
		for (int i = 0; i < r; i++) {
			int64_t a;
			if (!const_int(L, perm_ast->list.items[i], &a, "an axis"))
				return ERR;
			if (a < 0)
				a += r;
			if (a < 0 || a >= r || seen[a]) {
				err(L, perm_ast->loc, "%s is not a permutation of the axes of %s", text_of(L, perm_ast),
				    type_str(L, x));
				return ERR;
			}
			seen[a] = true;
			perm[i] = a;
		}
	} else {
		for (int i = 0; i < r; i++)
			perm[i] = r - 1 - i;
	}
	bool identity = true;
	for (int i = 0; i < r; i++)
		identity = identity && perm[i] == i;
	(void)loc;
	/* Every binding is its own node: v.T of a 1-D v is a copy, not v. */
	if (identity)
		return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return tensor(ir_transpose(L->f, x.id, perm), x.weak);
}

static const Builtin *find_builtin(const char *name);
static int builtin_names(const char **out);
enum { NBUILTINS_MAX = 128 };
static Val call_builtin(Lower *L, const Builtin *b, const Ast *call);
static Val call_user(Lower *L, const Ast *call, const FuncAst *fn);
static Val attr_grad(Lower *L, const Ast *e);

static Val expr(Lower *L, const Ast *e)
{
	if (too_big(L, e->loc))
		return ERR;
	switch (e->kind) {
	case AST_ERROR: return ERR;
	case AST_NUM: return scalar(L, e->num);
	case AST_BOOL: {
		Val v = {.kind = V_BOOL, .bval = e->bval};
		return v;
	}
	case AST_NONE: {
		Val v = {.kind = V_NONE};
		return v;
	}
	case AST_DTYPE: {
		Val v = {.kind = V_DTYPE, .dtype = dt_of(L, e->dtype)};
		return v;
	}
	case AST_LIST: return literal(L, e);
	case AST_NAME: {
		Binding *b = lookup(L, e->name);
		if (b)
			return b->val;
		const Dim *d = lookup_dim(L, e->name);
		if (d) /* a symbolic dimension used as a number */
			return tensor(ir_dimval(L->f, DT_F64, d), true);
		if (find_builtin(e->name) || find_func(L, e->name)) {
			err(L, e->loc, "'%s' is a function; call it as %s(...)", e->name, e->name);
			return ERR;
		}
		const char **cands = arena_array(L->A, (size_t)L->scope->binds.len + 1, sizeof(char *));
		int n = 0;
		for (int i = 0; i < L->scope->binds.len; i++)
			cands[n++] = L->scope->binds.data[i].name;
		const char *hint = did_you_mean(e->name, cands, n);
		if (hint)
			err(L, e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
		else
			err(L, e->loc, "unknown name '%s'", e->name);
		return ERR;
	}
	case AST_NEG: {
		Val a = want(L, e->a);
		return unary(L, e->loc, OP_neg, a, "unary -");
	}
	case AST_BINOP: {
		Val a = want(L, e->a), b = want(L, e->b);
		if (a.kind != V_TENSOR || b.kind != V_TENSOR)
			return ERR;
		static const Op ops[] = {
		    [BIN_ADD] = OP_add, [BIN_SUB] = OP_sub, [BIN_MUL] = OP_mul, [BIN_DIV] = OP_div,
		    [BIN_POW] = OP_pow, [BIN_LT] = OP_lt,   [BIN_LE] = OP_le,   [BIN_GT] = OP_gt,
		    [BIN_GE] = OP_ge,   [BIN_EQ] = OP_eq,   [BIN_NE] = OP_ne,
		};
		if (e->op == BIN_MATMUL)
			return do_matmul(L, e->loc, a, b);
		return binary(L, e->loc, ops[e->op], a, b, arena_printf(L->A, "'%s'", binop_token(e->op)));
	}
	case AST_CALL: {
		const Ast *callee = e->a;
		if (callee->kind == AST_DTYPE) {
			static const char *const params[] = {"x", NULL};
			const Ast *slot[8];
			if (!bind_args(L, dtype_name(callee->dtype), params, 1, e, slot))
				return ERR;
			Val x = want(L, slot[0]);
			if (x.kind != V_TENSOR)
				return ERR;
			DType to = dt_of(L, callee->dtype);
			if (!x.weak && I(L, x.id)->dt == to) /* its own node, as in Paddle */
				return tensor(ir_unary(L->f, OP_copy, x.id), false);
			return tensor(ir_cast(L->f, x.id, to), false);
		}
		if (callee->kind != AST_NAME) {
			err(L, e->loc, "only functions can be called, not '%s'", text_of(L, callee));
			return ERR;
		}
		const Builtin *b = find_builtin(callee->name);
		if (b) /* a function of the file cannot take a builtin's name */
			return call_builtin(L, b, e);
		const FuncAst *fn = find_func(L, callee->name);
		if (fn)
			return call_user(L, e, fn);
		if (lookup(L, callee->name)) {
			err(L, callee->loc, "'%s' is a tensor, not a function", callee->name);
			return ERR;
		}
		const char **cands = arena_array(L->A, (size_t)L->prog->nfuncs + NBUILTINS_MAX, sizeof(char *));
		int n = 0;
		n += builtin_names(cands);
		for (int i = 0; i < L->prog->nfuncs; i++)
			cands[n++] = L->prog->funcs[i]->name;
		const char *hint = did_you_mean(callee->name, cands, n);
		if (hint)
			err(L, callee->loc, "unknown function '%s'; did you mean '%s'?", callee->name, hint);
		else
			err(L, callee->loc, "unknown function '%s'", callee->name);
		return ERR;
	}
	case AST_INDEX: return do_index(L, e);
	case AST_SLICE: err(L, e->loc, "a slice (a:b) is allowed only inside x[...]"); return ERR;
	case AST_ATTR:
		if (strcmp(e->name, "T") == 0)
			return do_transpose(L, e->loc, want(L, e->a), NULL);
		if (strcmp(e->name, "grad") == 0)
			return attr_grad(L, e);
		err(L, e->loc, "unknown attribute '.%s' (there are .T and .grad)", e->name);
		return ERR;
	}
	return ERR;
}

/* ---------------------------------------------------------------- builtins */

static Val bi_unary(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return unary(L, call->loc, b->op, want(L, a[0]), b->name);
}

static Val bi_binary(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]), y = want(L, a[1]);
	return binary(L, call->loc, b->op, x, y, b->name);
}

static Val bi_where(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val args[3] = {want(L, a[0]), want(L, a[1]), want(L, a[2])};
	return elementwise(L, call->loc, OP_where, args, 3, b->name);
}

/* The reduced axes of x for axis=... (none: all). */
static int reduce_axes(Lower *L, Val x, const Ast *axis, int64_t *axes, const char *what)
{
	int r = I(L, x.id)->rank;
	if (!axis || axis->kind == AST_NONE) {
		for (int i = 0; i < r; i++)
			axes[i] = i;
		return r;
	}
	return axis_list(L, axis, r, axes, what);
}

static bool get_keepdim(Lower *L, const Ast *a, bool *keep)
{
	*keep = false;
	return !a || const_bool(L, a, keep, false, "keepdim");
}

static Val reduce(Lower *L, Op op, Val x, const int64_t *axes, int n, bool keep)
{
	const Inst *src = I(L, x.id);
	Val r = tensor(ir_reduce(L->f, op, x.id, axes, n), x.weak);
	if (keep && n > 0)
		r = keepdim_reshape(L, r, src, axes, n);
	return r;
}

static Val bi_reduce(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (n == 0) /* axis=[] reduces nothing */
		return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	if (b->op == OP_max || b->op == OP_min) {
		const Inst *in = I(L, x.id);
		for (int i = 0; i < n; i++) {
			int64_t d;
			if (dim_is_const(in->shape[axes[i]], &d) && d == 0) {
				err(L, call->loc, "%s of %s over an empty axis has no value", b->name, type_str(L, x));
				return ERR;
			}
		}
	}
	return reduce(L, b->op, x, axes, n, keep);
}

/* The number of elements over the reduced axes, as a scalar of x's dtype. */
static Val count_of(Lower *L, Val x, const int64_t *axes, int n)
{
	const Inst *in = I(L, x.id);
	const Dim *c = dim_const(L->dc, 1);
	for (int i = 0; i < n; i++)
		c = dim_mul(L->dc, c, in->shape[axes[i]]);
	int64_t v;
	if (dim_is_const(c, &v))
		return scalar(L, (double)v);
	return tensor(ir_dimval(L->f, DT_F64, c), true);
}

static Val mean(Lower *L, Loc loc, Val x, const int64_t *axes, int n, bool keep)
{
	Val s = reduce(L, OP_sum, x, axes, n, keep);
	return binary(L, loc, OP_div, s, count_of(L, x, axes, n), "mean");
}

static Val bi_mean(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (n == 0)
		return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return mean(L, call->loc, x, axes, n, keep);
}

/* logsumexp(x) = m + log(sum(exp(x - m))) with m = detach(max(x)): exact for
 * any m, stable, and its derivative through this form is softmax(x). Where
 * the maximum is infinite, m is 0 instead (as PyTorch): all -inf gives
 * log(0) = -inf, a +inf element log(inf) = +inf, not inf - inf = NaN. */
static Val logsumexp(Lower *L, Loc loc, Val x, const int64_t *axes, int n, bool keep)
{
	Val m = reduce(L, OP_max, x, axes, n, true);
	Func *f = L->f;
	const Inst *mx = I(L, m.id);
	int inf = ir_fill(f, mx->dt, INFINITY, mx->rank, mx->shape);
	int infinite = ir_binary(f, OP_eq, ir_unary(f, OP_abs, m.id), inf);
	m.id = ir_where(f, infinite, ir_fill(f, mx->dt, 0, mx->rank, mx->shape), m.id);
	m = tensor(ir_unary(L->f, OP_detach, m.id), m.weak);
	Val e = unary(L, loc, OP_exp, binary(L, loc, OP_sub, x, m, "logsumexp"), "logsumexp");
	Val s = unary(L, loc, OP_log, reduce(L, OP_sum, e, axes, n, keep), "logsumexp");
	if (!keep) {
		const Inst *mi = I(L, m.id);
		const Dim *shape[IR_MAX_RANK];
		int r = 0;
		for (int i = 0, k = 0; i < mi->rank; i++) {
			if (k < n && axes[k] == i) {
				k++;
				continue;
			}
			shape[r++] = mi->shape[i];
		}
		m = tensor(ir_reshape(L->f, m.id, r, shape), m.weak);
	}
	return binary(L, loc, OP_add, s, m, "logsumexp");
}

static Val bi_logsumexp(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	int64_t axes[IR_MAX_RANK];
	bool keep;
	if (x.kind != V_TENSOR || !get_keepdim(L, a[2], &keep))
		return ERR;
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	if (n == 0)
		return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return logsumexp(L, call->loc, x, axes, n, keep);
}

static Val bi_softmax(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	int64_t axis;
	if (I(L, x.id)->rank == 0) {
		err(L, call->loc, "%s needs a tensor of rank 1 or more, not %s", b->name, type_str(L, x));
		return ERR;
	}
	if (a[1]) {
		if (!one_axis(L, a[1], I(L, x.id)->rank, &axis, b->name))
			return ERR;
	} else {
		axis = I(L, x.id)->rank - 1;
	}
	Loc loc = call->loc;
	Val m = tensor(ir_unary(L->f, OP_detach, reduce(L, OP_max, x, &axis, 1, true).id), x.weak);
	Val z = binary(L, loc, OP_sub, x, m, b->name);
	Val e = unary(L, loc, OP_exp, z, b->name);
	Val s = reduce(L, OP_sum, e, &axis, 1, true);
	if (b->op == OP_log) /* log_softmax */
		return binary(L, loc, OP_sub, z, unary(L, loc, OP_log, s, b->name), b->name);
	return binary(L, loc, OP_div, e, s, b->name);
}

static Val bi_cross_entropy(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]), t = want(L, a[1]);
	if (x.kind != V_TENSOR || t.kind != V_TENSOR)
		return ERR;
	int r = I(L, x.id)->rank;
	if (r == 0) {
		err(L, call->loc, "cross_entropy needs logits of rank 1 or more, not %s", type_str(L, x));
		return ERR;
	}
	Loc loc = call->loc;
	int64_t axis = r - 1;
	Val m = tensor(ir_unary(L->f, OP_detach, reduce(L, OP_max, x, &axis, 1, true).id), x.weak);
	Val z = binary(L, loc, OP_sub, x, m, b->name);
	Val ls =
	    binary(L, loc, OP_sub, z,
	           unary(L, loc, OP_log, reduce(L, OP_sum, unary(L, loc, OP_exp, z, b->name), &axis, 1, true), b->name),
	           b->name);
	Val p = binary(L, loc, OP_mul, t, ls, b->name);
	if (p.kind != V_TENSOR)
		return ERR;
	if (I(L, p.id)->rank != r) {
		err(L, call->loc, "cross_entropy: target %s has a higher rank than logits %s", type_str(L, t),
		    type_str(L, x));
		return ERR;
	}
	Val rows = unary(L, loc, OP_neg, reduce(L, OP_sum, p, &axis, 1, false), b->name);
	if (r == 1)
		return rows;
	int64_t axes[IR_MAX_RANK];
	for (int i = 0; i < r - 1; i++)
		axes[i] = i;
	return mean(L, loc, rows, axes, r - 1, false);
}

static Val bi_matmul(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return do_matmul(L, call->loc, want(L, a[0]), want(L, a[1]));
}

static Val bi_dot(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]), y = want(L, a[1]);
	if (x.kind != V_TENSOR || y.kind != V_TENSOR)
		return ERR;
	if (I(L, x.id)->rank != 1 || I(L, y.id)->rank != 1) {
		err(L, call->loc, "%s takes two 1-D tensors, not %s and %s; use matmul or @", b->name, type_str(L, x),
		    type_str(L, y));
		return ERR;
	}
	return do_matmul(L, call->loc, x, y);
}

static Val bi_outer(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]), y = want(L, a[1]);
	if (x.kind != V_TENSOR || y.kind != V_TENSOR)
		return ERR;
	if (I(L, x.id)->rank != 1 || I(L, y.id)->rank != 1) {
		err(L, call->loc, "%s takes two 1-D tensors, not %s and %s", b->name, type_str(L, x), type_str(L, y));
		return ERR;
	}
	const Dim *one = dim_const(L->dc, 1);
	const Dim *sx[2] = {I(L, x.id)->shape[0], one}, *sy[2] = {one, I(L, y.id)->shape[0]};
	Val xc = tensor(ir_reshape(L->f, x.id, 2, sx), x.weak);
	Val yr = tensor(ir_reshape(L->f, y.id, 2, sy), y.weak);
	return binary(L, call->loc, OP_mul, xc, yr, b->name);
}

static Val bi_transpose(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	return do_transpose(L, call->loc, want(L, a[0]), a[1]);
}

static Val bi_reshape(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	int r = shape_list(L, a[1], shape, true, b->name);
	if (r < 0)
		return ERR;
	const Inst *in = I(L, x.id);
	DimCtx *dc = L->dc;
	const Dim *total = dim_const(dc, 1), *given = dim_const(dc, 1);
	for (int i = 0; i < in->rank; i++)
		total = dim_mul(dc, total, in->shape[i]);
	int infer = -1;
	for (int i = 0; i < r; i++) {
		if (shape[i])
			given = dim_mul(dc, given, shape[i]);
		else
			infer = i;
	}
	const char *what = arena_printf(L->A, "cannot reshape %s to %s", type_str(L, x), text_of(L, a[1]));
	int64_t tv, gv;
	if (infer >= 0) {
		if (dim_is_const(given, &gv) && gv == 0) {
			err(L, a[1]->loc, "%s: the -1 is ambiguous with a zero-size dimension", what);
			return ERR;
		}
		if (dim_is_const(total, &tv) && dim_is_const(given, &gv) && tv % gv != 0) {
			err(L, a[1]->loc, "%s", what);
			return ERR;
		}
		if (!dim_divides(dc, total, given) && !(dim_is_const(total, &tv) && dim_is_const(given, &gv)))
			add_constraint(L, CONS_DIVIDES, total, given, what);
		shape[infer] = dim_div(dc, total, given);
	} else if (total != given) {
		if (dim_is_const(total, &tv) && dim_is_const(given, &gv)) {
			err(L, a[1]->loc, "%s (%lld elements vs %lld)", what, (long long)tv, (long long)gv);
			return ERR;
		}
		add_constraint(L, CONS_EQ, total, given, what);
	}
	if (!check_size(L, a[1]->loc, r, shape))
		return ERR;
	return do_reshape(L, x, r, shape);
}

static Val bi_squeeze(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = I(L, x.id);
	int64_t axes[IR_MAX_RANK];
	int n;
	bool sq[IR_MAX_RANK] = {0};
	if (!a[1] || a[1]->kind == AST_NONE) {
		for (int i = 0; i < in->rank; i++)
			sq[i] = is_one(in->shape[i]);
	} else {
		n = axis_list(L, a[1], in->rank, axes, b->name);
		if (n < 0)
			return ERR;
		for (int i = 0; i < n; i++) {
			if (!is_one(in->shape[axes[i]])) {
				err(L, call->loc, "cannot squeeze axis %lld of %s: its size is not 1",
				    (long long)axes[i], type_str(L, x));
				return ERR;
			}
			sq[axes[i]] = true;
		}
	}
	const Dim *shape[IR_MAX_RANK];
	int r = 0;
	for (int i = 0; i < in->rank; i++)
		if (!sq[i])
			shape[r++] = in->shape[i];
	return do_reshape(L, x, r, shape);
}

static Val bi_unsqueeze(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	(void)call;
	const Inst *in = I(L, x.id);
	int n = a[1]->kind == AST_LIST ? a[1]->list.n : 1;
	int r = in->rank + n;
	if (r > IR_MAX_RANK) {
		err(L, a[1]->loc, "unsqueeze would give more than %d dimensions", IR_MAX_RANK);
		return ERR;
	}
	int64_t axes[IR_MAX_RANK];
	if (axis_list(L, a[1], r, axes, b->name) < 0)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	for (int i = 0, k = 0, j = 0; i < r; i++) {
		if (k < n && axes[k] == i) {
			shape[i] = dim_const(L->dc, 1);
			k++;
		} else {
			shape[i] = in->shape[j++];
		}
	}
	return do_reshape(L, x, r, shape);
}

static Val bi_broadcast_to(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Dim *shape[IR_MAX_RANK];
	int r = shape_list(L, a[1], shape, false, b->name);
	if (r < 0 || !check_size(L, a[1]->loc, r, shape))
		return ERR;
	const Inst *in = I(L, x.id);
	bool ok = r >= in->rank;
	for (int i = 0; ok && i < in->rank; i++) {
		const Dim *d = in->shape[i], *t = shape[r - in->rank + i];
		ok = d == t || is_one(d);
	}
	if (!ok) {
		err(L, call->loc, "cannot broadcast %s to %s", type_str(L, x), shape_str(L, r, shape));
		return ERR;
	}
	if (in->rank == r) {
		bool same = true;
		for (int i = 0; i < r; i++)
			same = same && in->shape[i] == shape[i];
		if (same)
			return tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	}
	return tensor(ir_broadcast(L->f, x.id, r, shape), x.weak);
}

/* The tensors of a list argument: [a, b] (items may be literals). */
static int tensor_list(Lower *L, const Ast *e, Val **out, bool allow_none, bool *is_list, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	*is_list = e->kind == AST_LIST;
	if (*is_list) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	*out = arena_array(L->A, (size_t)n + 1, sizeof(Val));
	bool ok = true;
	for (int i = 0; i < n; i++) {
		if (items[i]->kind == AST_NONE && allow_none) {
			(*out)[i].kind = V_NONE;
			continue;
		}
		Val v = items[i]->kind == AST_NONE ? expr(L, items[i]) : want(L, items[i]);
		if (v.kind == V_NONE) {
			err(L, items[i]->loc, "none is not allowed in %s", what);
			ok = false;
		} else if (v.kind != V_TENSOR) {
			ok = false;
		}
		(*out)[i] = v;
	}
	return ok ? n : -1;
}

static Val join(Lower *L, const Builtin *b, const Ast *call, const Ast **a, bool stack)
{
	if (a[0]->kind != AST_LIST) {
		err(L, a[0]->loc, "%s takes a list of tensors, like %s([a, b])", b->name, b->name);
		return ERR;
	}
	Val *xs;
	bool is_list;
	int n = tensor_list(L, a[0], &xs, false, &is_list, b->name);
	if (n < 0)
		return ERR;
	if (n == 0) {
		err(L, a[0]->loc, "%s of an empty list", b->name);
		return ERR;
	}
	DType dt;
	bool weak = true;
	for (int i = 0; i < n; i++)
		weak = weak && xs[i].weak;
	if (!unify(L, call->loc, xs, n, b->name, &dt))
		return ERR;
	const Inst *first = I(L, xs[0].id);
	int r = first->rank;
	for (int i = 1; i < n; i++) {
		const Inst *in = I(L, xs[i].id);
		bool ok = in->rank == r;
		for (int k = 0; ok && k < r; k++)
			ok = stack ? in->shape[k] == first->shape[k] : true;
		if (!ok) {
			err(L, a[0]->list.items[i]->loc, "%s: %s does not match %s", b->name, type_str(L, xs[i]),
			    type_str(L, xs[0]));
			return ERR;
		}
	}
	int64_t axis = 0;
	int rr = stack ? r + 1 : r;
	if (rr == 0) {
		err(L, call->loc, "concat needs tensors of rank 1 or more");
		return ERR;
	}
	if (a[1] && !one_axis(L, a[1], rr, &axis, b->name))
		return ERR;
	int *ids = arena_array(L->A, (size_t)n, sizeof(int));
	for (int i = 0; i < n; i++) {
		ids[i] = xs[i].id;
		const Inst *in = I(L, ids[i]);
		if (stack) {
			const Dim *shape[IR_MAX_RANK];
			for (int k = 0, j = 0; k < rr; k++)
				shape[k] = k == axis ? dim_const(L->dc, 1) : in->shape[j++];
			ids[i] = ir_reshape(L->f, ids[i], rr, shape);
		} else {
			for (int k = 0; k < r; k++)
				if (k != axis && in->shape[k] != first->shape[k]) {
					err(L, a[0]->list.items[i]->loc,
					    "concat along axis %lld: %s does not match %s off that axis",
					    (long long)axis, type_str(L, xs[i]), type_str(L, xs[0]));
					return ERR;
				}
		}
	}
	if (n == 1)
		return tensor(stack ? ids[0] : ir_unary(L->f, OP_copy, ids[0]), weak);
	return tensor(ir_concat(L->f, ids, n, (int)axis), weak);
}

static Val bi_concat(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return join(L, b, call, a, false);
}

static Val bi_stack(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	return join(L, b, call, a, true);
}

static Val bi_flip(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = I(L, x.id);
	int64_t axes[IR_MAX_RANK];
	int n = reduce_axes(L, x, a[1], axes, b->name);
	if (n < 0)
		return ERR;
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int i = 0, k = 0; i < in->rank; i++) {
		lens[i] = in->shape[i];
		if (k < n && axes[k] == i) {
			starts[i] = dim_sub(L->dc, in->shape[i], dim_const(L->dc, 1));
			steps[i] = -1;
			k++;
		} else {
			starts[i] = dim_const(L->dc, 0);
			steps[i] = 1;
		}
	}
	return tensor(ir_slice(L->f, x.id, starts, steps, lens), x.weak);
}

static bool get_dtype(Lower *L, const Ast *a, DType *dt)
{
	*dt = dt_of(L, DT_F32);
	if (!a)
		return true;
	if (a->kind != AST_DTYPE) {
		err(L, a->loc, "dtype must be f32 or f64, not '%s'", text_of(L, a));
		return false;
	}
	*dt = dt_of(L, a->dtype);
	return true;
}

static Val bi_arange(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	double start = 0, stop, step = 1;
	bool is_int;
	DType dt;
	if (!get_dtype(L, a[3], &dt))
		return ERR;
	if (!const_num(L, a[0], &stop, &is_int, true))
		return ERR;
	if (a[1]) {
		start = stop;
		if (!const_num(L, a[1], &stop, &is_int, true))
			return ERR;
	}
	if (a[2] && !const_num(L, a[2], &step, &is_int, true))
		return ERR;
	if (step == 0 || !isfinite(step) || !isfinite(start) || !isfinite(stop)) {
		err(L, call->loc, "arange needs finite bounds and a nonzero step");
		return ERR;
	}
	double len = ceil((stop - start) / step);
	if (!(len < (double)((int64_t)1 << MAX_ELEMS_LOG2))) {
		err(L, call->loc, "arange(...) would have too many elements");
		return ERR;
	}
	int64_t n = len > 0 ? (int64_t)len : 0;
	/* NumPy fills in the array's dtype: x[i] = start + i * delta with delta =
	 * (T)(start + step) - (T)start, so we do the same. */
	double delta;
	if (dt == DT_F32) {
		float s = (float)start, nx = (float)(start + step);
		delta = (double)(float)(nx - s);
		start = s;
	} else {
		delta = (start + step) - start;
	}
	return tensor(ir_iota(L->f, dt, dim_const(L->dc, n), start, delta, stop, false), false);
}

static Val bi_linspace(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	double start, stop;
	bool is_int;
	int64_t num = 50;
	DType dt;
	if (!get_dtype(L, a[3], &dt) || !const_num(L, a[0], &start, &is_int, true) ||
	    !const_num(L, a[1], &stop, &is_int, true))
		return ERR;
	if (a[2] && !const_int(L, a[2], &num, "linspace's num"))
		return ERR;
	if (num < 0 || num > ((int64_t)1 << MAX_ELEMS_LOG2) || !isfinite(start) || !isfinite(stop)) {
		err(L, call->loc, "linspace needs finite bounds and 0 <= num <= 2^%d", MAX_ELEMS_LOG2);
		return ERR;
	}
	double step = num > 1 ? (stop - start) / (double)(num - 1) : 0;
	/* the last element is exactly stop, except that one element is start (NumPy) */
	return tensor(ir_iota(L->f, dt, dim_const(L->dc, num), start, step, num == 1 ? start : stop, true), false);
}

/* zeros / ones / full(shape, value) */
static Val bi_fill(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	const Dim *shape[IR_MAX_RANK];
	int r = shape_list(L, a[0], shape, false, b->name);
	if (r < 0 || !check_size(L, a[0]->loc, r, shape))
		return ERR;
	bool full = strcmp(b->name, "full") == 0;
	const Ast *dta = full ? a[2] : a[1];
	DType dt;
	if (!get_dtype(L, dta, &dt))
		return ERR;
	if (!full)
		return tensor(ir_fill(L->f, dt, b->arg, r, shape), false);
	Val v = want(L, a[1]);
	if (v.kind != V_TENSOR)
		return ERR;
	if (I(L, v.id)->rank != 0) {
		err(L, a[1]->loc, "full's value must be a scalar, not %s", type_str(L, v));
		return ERR;
	}
	if (!v.weak && !dta)
		dt = I(L, v.id)->dt;
	int id = I(L, v.id)->dt == dt ? v.id : ir_cast(L->f, v.id, dt);
	(void)call;
	return tensor(ir_broadcast_to(L->f, id, r, shape), false);
}

static Val bi_eye(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	const Dim *n[1], *m[1];
	DType dt;
	if (shape_list(L, a[0], n, false, b->name) != 1)
		return ERR;
	m[0] = n[0];
	if (a[1] && a[1]->kind != AST_NONE && shape_list(L, a[1], m, false, b->name) != 1)
		return ERR;
	if (!get_dtype(L, a[2], &dt))
		return ERR;
	const Dim *one = dim_const(L->dc, 1);
	const Dim *shape[2] = {n[0], m[0]}, *col[2] = {n[0], one}, *row[2] = {one, m[0]};
	if (!check_size(L, a[0]->loc, 2, shape))
		return ERR;
	int r = ir_broadcast(L->f, ir_reshape(L->f, ir_iota(L->f, dt, n[0], 0, 1, 0, false), 2, col), 2, shape);
	int c = ir_broadcast(L->f, ir_reshape(L->f, ir_iota(L->f, dt, m[0], 0, 1, 0, false), 2, row), 2, shape);
	return tensor(ir_binary(L->f, OP_eq, r, c), false);
}

static Val bi_like(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)call;
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	const Inst *in = I(L, x.id);
	return tensor(ir_fill(L->f, in->dt, b->arg, in->rank, in->shape), x.weak);
}

static Val bi_detach(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	(void)call;
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	return tensor(ir_unary(L->f, OP_detach, x.id), x.weak);
}

/* ---------------------------------------------------------------- gradients */

/* Seeds for `outs`: a given tensor (converted to the output's dtype, shape
 * checked) or ones of the output's shape for none. */
static bool make_seeds(Lower *L, const Ast *where, Val *outs, int nout, const Ast *seeds_ast, int *seeds,
                       const char *what)
{
	Val *given = NULL;
	bool is_list = true;
	int ng = 0;
	if (seeds_ast && seeds_ast->kind != AST_NONE) {
		ng = tensor_list(L, seeds_ast, &given, true, &is_list, what);
		if (ng < 0)
			return false;
		if (ng != nout) {
			/* [1, 0, 0] for one output: the numbers were meant as one seed */
			bool numbers = nout == 1 && ng > 1 && is_list;
			for (int i = 0; numbers && i < ng; i++)
				numbers = given[i].kind == V_TENSOR && I(L, given[i].id)->rank == 0;
			err(L, seeds_ast->loc, "%s has %d entr%s but there %s %d output%s%s", what, ng,
			    ng == 1 ? "y" : "ies", nout == 1 ? "is" : "are", nout, nout == 1 ? "" : "s",
			    numbers
			        ? arena_printf(L->A, "; the list holds one seed per output: write one seed as %s=[%s]",
			                       what, text_of(L, seeds_ast))
			        : "");
			return false;
		}
	}
	for (int i = 0; i < nout; i++) {
		const Inst *o = I(L, outs[i].id);
		if (!given || given[i].kind == V_NONE) {
			int s = ir_fill(L->f, o->dt, 1.0, o->rank, o->shape);
			I(L, s)->note = "seed of ones";
			seeds[i] = s;
			continue;
		}
		Val g = given[i];
		const Inst *gi = I(L, g.id);
		const Ast *loc = is_list ? seeds_ast->list.items[i] : seeds_ast;
		if (!g.weak && gi->dt != o->dt) {
			err(L, loc->loc, "the seed %s for an output of type %s has another dtype", type_str(L, g),
			    type_str(L, outs[i]));
			return false;
		}
		bool same = gi->rank == o->rank;
		for (int k = 0; same && k < o->rank; k++)
			same = gi->shape[k] == o->shape[k];
		if (!same) {
			err(L, loc->loc, "the seed %s does not match the shape of its output %s", type_str(L, g),
			    type_str(L, outs[i]));
			return false;
		}
		seeds[i] = g.weak ? as_dtype(L, g, o->dt) : g.id;
	}
	(void)where;
	return true;
}

static bool check_differentiable(Lower *L, const Ast *at, Val v)
{
	const Inst *in = I(L, v.id);
	if (v.weak) {
		err(L, at->loc,
		    "cannot differentiate with respect to the literal '%s'; give it a dtype with f32(...) "
		    "or f64(...)",
		    text_of(L, at));
		return false;
	}
	if (in->op == OP_param && (in->flags & IF_NOGRAD)) {
		err(L, at->loc, "cannot differentiate with respect to '%s': it is a nograd parameter", text_of(L, at));
		return false;
	}
	if (in->op == OP_detach) {
		err(L, at->loc,
		    "cannot differentiate with respect to '%s': it is detached (by detach/stop_gradient, a nograd "
		    "parameter, or grad with create_graph=false)",
		    text_of(L, at));
		return false;
	}
	return true;
}

static Val bi_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	enum { OUTPUTS, INPUTS, GRAD_OUTPUTS, RETAIN, CREATE, ONLY_INPUTS, ALLOW_UNUSED, NO_GRAD_VARS };
	bool retain, create = false, only_inputs = true, allow_unused = false, in_list, out_list;
	if ((a[RETAIN] && !const_bool(L, a[RETAIN], &retain, true, "retain_graph")) ||
	    (a[CREATE] && !const_bool(L, a[CREATE], &create, false, "create_graph")) ||
	    (a[ONLY_INPUTS] && !const_bool(L, a[ONLY_INPUTS], &only_inputs, true, "only_inputs")) ||
	    (a[ALLOW_UNUSED] && !const_bool(L, a[ALLOW_UNUSED], &allow_unused, false, "allow_unused")))
		return ERR;
	if (a[ONLY_INPUTS] && a[ONLY_INPUTS]->kind == AST_BOOL && !only_inputs) {
		err(L, a[ONLY_INPUTS]->loc, "only_inputs=false is not supported (Paddle does not support it either)");
		return ERR;
	}
	Val *outs, *ins, *nog = NULL;
	int nout = tensor_list(L, a[OUTPUTS], &outs, false, &out_list, "grad's outputs");
	int nin = tensor_list(L, a[INPUTS], &ins, false, &in_list, "grad's inputs");
	int nnog = 0;
	bool nl;
	if (a[NO_GRAD_VARS] && a[NO_GRAD_VARS]->kind != AST_NONE)
		nnog = tensor_list(L, a[NO_GRAD_VARS], &nog, false, &nl, "no_grad_vars");
	if (nout < 0 || nin < 0 || nnog < 0)
		return ERR;
	if (nout == 0 || nin == 0) {
		err(L, call->loc, "grad needs at least one output and one input");
		return ERR;
	}
	const Ast *const *in_ast = in_list ? (const Ast *const *)a[INPUTS]->list.items : &a[INPUTS];
	bool ok = true;
	for (int i = 0; i < nin; i++)
		ok = check_differentiable(L, in_ast[i], ins[i]) && ok;
	if (!ok)
		return ERR;
	for (int i = 0; i < nout; i++)
		if (outs[i].weak)
			outs[i] = tensor(strong(L, outs[i]), false);
	int *seeds = arena_array(L->A, (size_t)nout, sizeof(int));
	if (!make_seeds(L, call, outs, nout, a[GRAD_OUTPUTS], seeds, "grad_outputs"))
		return ERR;
	int *o = arena_array(L->A, (size_t)nout, sizeof(int)), *x = arena_array(L->A, (size_t)nin, sizeof(int));
	int *blk = arena_array(L->A, (size_t)nnog + 1, sizeof(int)), *g = arena_array(L->A, (size_t)nin, sizeof(int));
	for (int i = 0; i < nout; i++)
		o[i] = outs[i].id;
	for (int i = 0; i < nin; i++)
		x[i] = ins[i].id;
	for (int i = 0; i < nnog; i++)
		blk[i] = nog[i].id;
	ad_vjp(L->f, o, seeds, nout, x, nin, blk, nnog, g);
	GradSite site = {call->loc, text_of(L, call), nout, nin, o, seeds, x, g};
	VEC_PUSH(L->A, L->f->grads, site);
	Val *res = arena_array(L->A, (size_t)nin, sizeof(Val));
	for (int i = 0; i < nin; i++) {
		if (g[i] < 0) {
			if (!allow_unused) {
				err(L, in_ast[i]->loc,
				    "no output of grad depends on '%s'; pass allow_unused=true to get none for it",
				    text_of(L, in_ast[i]));
				ok = false;
			}
			res[i] = none_like(L, ins[i]);
			continue;
		}
		int gi = create ? g[i] : ir_unary(L->f, OP_detach, g[i]);
		res[i] = tensor(gi, false);
	}
	if (!ok)
		return ERR;
	if (nin == 1)
		return res[0];
	Val t = {.kind = V_TUPLE, .items = res, .nitems = nin};
	return t;
}

static Val bi_backward(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	bool retain, is_list;
	if (a[2] && !const_bool(L, a[2], &retain, true, "retain_graph"))
		return ERR;
	Val *ts;
	int n = tensor_list(L, a[0], &ts, false, &is_list, "backward's tensors");
	if (n < 0)
		return ERR;
	if (n == 0) {
		err(L, a[0]->loc, "backward needs at least one tensor");
		return ERR;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (ts[i].id == ts[j].id) {
				err(L, is_list ? a[0]->list.items[i]->loc : a[0]->loc,
				    "the same tensor appears twice in backward's tensors (Paddle rejects this too)");
				return ERR;
			}
	for (int i = 0; i < n; i++)
		if (ts[i].weak)
			ts[i] = tensor(strong(L, ts[i]), false);
	int *seeds = arena_array(L->A, (size_t)n, sizeof(int)), *o = arena_array(L->A, (size_t)n, sizeof(int));
	if (!make_seeds(L, call, ts, n, a[1], seeds, "grad_tensors"))
		return ERR;
	for (int i = 0; i < n; i++)
		o[i] = ts[i].id;
	Scope *s = L->scope;
	int nl = s->grads.len;
	int *leaves = arena_array(L->A, (size_t)nl + 1, sizeof(int)),
	    *g = arena_array(L->A, (size_t)nl + 1, sizeof(int));
	for (int i = 0; i < nl; i++)
		leaves[i] = s->grads.data[i].leaf;
	ad_vjp(L->f, o, seeds, n, leaves, nl, NULL, 0, g);
	for (int i = 0; i < nl; i++) {
		if (g[i] < 0)
			continue;
		GradAcc *acc = &s->grads.data[i];
		int d = ir_unary(L->f, OP_detach, g[i]);
		if (acc->acc.kind == V_TENSOR)
			d = ir_binary(L->f, OP_add, acc->acc.id, d);
		I(L, d)->note = "accumulated .grad";
		acc->acc = tensor(d, false);
	}
	Val v = {.kind = V_VOID};
	return v;
}

static Val bi_clear_grad(Lower *L, const Builtin *b, const Ast *call, const Ast **a)
{
	(void)b;
	(void)call;
	Val x = want(L, a[0]);
	if (x.kind != V_TENSOR)
		return ERR;
	GradAcc *acc = grad_acc(L, x.id);
	const Inst *in = I(L, x.id);
	if (!acc) {
		if (in->op != OP_param && in->op != OP_detach && in->op != OP_copy) {
			err(L, a[0]->loc, "clear_grad needs a parameter of the function, not '%s'", text_of(L, a[0]));
			return ERR;
		}
	} else {
		acc->acc = tensor(ir_fill(L->f, in->dt, 0.0, in->rank, in->shape), false);
		I(L, acc->acc.id)->note = "clear_grad";
	}
	Val v = {.kind = V_VOID};
	return v;
}

static Val attr_grad(Lower *L, const Ast *e)
{
	Val x = want(L, e->a);
	if (x.kind != V_TENSOR)
		return ERR;
	GradAcc *acc = grad_acc(L, x.id);
	if (acc && acc->acc.kind == V_TENSOR)
		return acc->acc;
	return none_like(L, x);
}

/* ---------------------------------------------------------------- the builtin table */

/* clang-format off */
static const Builtin builtins[] = {
#define UN(n) {#n, {"x"}, 1, bi_unary, OP_##n, 0}
    UN(abs), UN(sign), UN(sqrt), UN(exp), UN(expm1), UN(log), UN(log1p), UN(sin), UN(cos), UN(tan), UN(asin),
    UN(acos), UN(atan), UN(sinh), UN(cosh), UN(tanh), UN(sigmoid), UN(relu), UN(softplus), UN(square), UN(erf),
    UN(floor), UN(ceil), UN(round),
#undef UN
    {"pow", {"x", "y"}, 2, bi_binary, OP_pow, 0},
    {"maximum", {"x", "y"}, 2, bi_binary, OP_maximum, 0},
    {"minimum", {"x", "y"}, 2, bi_binary, OP_minimum, 0},
    {"atan2", {"x", "y"}, 2, bi_binary, OP_atan2, 0},
    {"where", {"condition", "x", "y"}, 3, bi_where, OP_where, 0},
    {"sum", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_sum, 0},
    {"max", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_max, 0},
    {"min", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_min, 0},
    {"prod", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_prod, 0},
    {"norm", {"x", "axis", "keepdim"}, 1, bi_reduce, OP_norm, 0},
    {"mean", {"x", "axis", "keepdim"}, 1, bi_mean, OP_sum, 0},
    {"logsumexp", {"x", "axis", "keepdim"}, 1, bi_logsumexp, OP_sum, 0},
    {"matmul", {"x", "y"}, 2, bi_matmul, OP_matmul, 0},
    {"transpose", {"x", "perm"}, 1, bi_transpose, OP_transpose, 0},
    {"dot", {"x", "y"}, 2, bi_dot, OP_matmul, 0},
    {"outer", {"x", "y"}, 2, bi_outer, OP_mul, 0},
    {"reshape", {"x", "shape"}, 2, bi_reshape, OP_reshape, 0},
    {"squeeze", {"x", "axis"}, 1, bi_squeeze, OP_reshape, 0},
    {"unsqueeze", {"x", "axis"}, 2, bi_unsqueeze, OP_reshape, 0},
    {"broadcast_to", {"x", "shape"}, 2, bi_broadcast_to, OP_broadcast, 0},
    {"concat", {"x", "axis"}, 1, bi_concat, OP_concat, 0},
    {"stack", {"x", "axis"}, 1, bi_stack, OP_concat, 0},
    {"flip", {"x", "axis"}, 1, bi_flip, OP_slice, 0},
    {"arange", {"start", "stop", "step", "dtype"}, 1, bi_arange, OP_iota, 0},
    {"linspace", {"start", "stop", "num", "dtype"}, 2, bi_linspace, OP_iota, 0},
    {"zeros", {"shape", "dtype"}, 1, bi_fill, OP_const, 0},
    {"ones", {"shape", "dtype"}, 1, bi_fill, OP_const, 1},
    {"full", {"shape", "fill_value", "dtype"}, 2, bi_fill, OP_const, 0},
    {"eye", {"n", "m", "dtype"}, 1, bi_eye, OP_eq, 0},
    {"zeros_like", {"x"}, 1, bi_like, OP_const, 0},
    {"ones_like", {"x"}, 1, bi_like, OP_const, 1},
    {"softmax", {"x", "axis"}, 1, bi_softmax, OP_exp, 0},
    {"log_softmax", {"x", "axis"}, 1, bi_softmax, OP_log, 0},
    {"cross_entropy", {"logits", "target"}, 2, bi_cross_entropy, OP_log, 0},
    {"detach", {"x"}, 1, bi_detach, OP_detach, 0},
    {"stop_gradient", {"x"}, 1, bi_detach, OP_detach, 0},
    {"grad",
     {"outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "only_inputs", "allow_unused",
      "no_grad_vars"},
     2,
     bi_grad,
     OP_copy,
     0},
    {"backward", {"tensors", "grad_tensors", "retain_graph"}, 1, bi_backward, OP_copy, 0},
    {"clear_grad", {"x"}, 1, bi_clear_grad, OP_copy, 0},
};
/* clang-format on */

enum { NBUILTINS = sizeof builtins / sizeof builtins[0] };

static const Builtin *find_builtin(const char *name)
{
	for (int i = 0; i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

static int builtin_names(const char **out)
{
	for (int i = 0; i < NBUILTINS; i++)
		out[i] = builtins[i].name;
	return NBUILTINS;
}

bool lower_is_builtin(const char *name)
{
	return find_builtin(name) != NULL;
}

static Val call_builtin(Lower *L, const Builtin *b, const Ast *call)
{
	const Ast *slots[8];
	if (!bind_args(L, b->name, b->params, b->nreq, call, slots))
		return ERR;
	return b->fn(L, b, call, slots);
}

/* ---------------------------------------------------------------- functions, calls and statements */

static void push_dim(Lower *L, const char *name, const Dim *d)
{
	DimBind b = {name, d};
	VEC_PUSH(L->A, L->scope->dims, b);
}

/* The shape of a declared type, with its symbols looked up in the scope. */
static bool declared_shape(Lower *L, const TypeAst *t, const Dim **shape, const char *what)
{
	for (int i = 0; i < t->rank; i++) {
		const DimAst *d = &t->dims[i];
		if (!d->name) {
			shape[i] = dim_const(L->dc, d->value);
			continue;
		}
		shape[i] = lookup_dim(L, d->name);
		if (!shape[i]) {
			err(L, d->loc, "dimension '%s' of %s is not a dimension of any parameter", d->name, what);
			return false;
		}
	}
	return check_size(L, t->loc, t->rank, shape);
}

/* The value bound to a declared result, converted and checked. */
static bool result_value(Lower *L, const Result *r, Val v, FuncResult *out)
{
	out->name = r->name;
	const Dim *shape[IR_MAX_RANK];
	if (r->has_type && !declared_shape(L, &r->type, shape, arena_printf(L->A, "result '%s'", r->name)))
		return false;
	if (v.kind == V_NONE) {
		out->value = -1;
		if (r->has_type) {
			out->dt = dt_of(L, r->type.dtype);
			out->rank = r->type.rank;
			out->shape = arena_array(L->A, (size_t)out->rank + 1, sizeof(Dim *));
			memcpy(out->shape, shape, (size_t)out->rank * sizeof(Dim *));
			return true;
		}
		if (!v.has_type) {
			err(L, r->loc, "result '%s' is none and has no declared type to give its zeros a shape",
			    r->name);
			return false;
		}
		out->dt = v.dt;
		out->rank = v.rank;
		out->shape = v.shape;
		return true;
	}
	if (v.kind != V_TENSOR) {
		if (v.kind != V_ERR)
			err(L, r->loc, "result '%s' is not a tensor", r->name);
		return false;
	}
	const Inst *in = I(L, v.id);
	int id = v.id;
	if (r->has_type) {
		bool same = in->rank == r->type.rank;
		for (int k = 0; same && k < in->rank; k++)
			same = in->shape[k] == shape[k];
		if (!same || (!v.weak && in->dt != dt_of(L, r->type.dtype))) {
			Buf b;
			buf_init(&b, L->A);
			ir_print_type(&b, dt_of(L, r->type.dtype), r->type.rank, shape);
			err(L, r->loc, "result '%s' is declared %s but its value is %s", r->name, b.data,
			    type_str(L, v));
			buf_free(&b);
			return false;
		}
		if (v.weak)
			id = as_dtype(L, v, dt_of(L, r->type.dtype));
	} else if (v.weak) {
		id = strong(L, v);
	}
	const Inst *fin = I(L, id);
	out->value = id;
	out->dt = fin->dt;
	out->rank = fin->rank;
	out->shape = fin->shape;
	return true;
}

static void lower_stmt(Lower *L, const Stmt *s)
{
	Func *f = L->f;
	StmtInfo si = {s->loc, s->last_line};
	VEC_PUSH(L->A, f->stmts, si);
	f->cur_stmt = f->stmts.len - 1;
	f->cur_loc = s->loc;
	if (!s->targets) {
		const Ast *e = s->expr;
		bool call = e->kind == AST_CALL && e->a->kind == AST_NAME &&
		            (strcmp(e->a->name, "backward") == 0 || strcmp(e->a->name, "clear_grad") == 0);
		Val v = expr(L, e);
		if (!call && v.kind != V_ERR)
			err(L, e->loc, "this statement has no effect (assign its value to a name)");
		return;
	}
	Val v = expr(L, s->expr);
	if (v.kind == V_ERR) {
		/* keep later uses of the names from cascading */
		for (int i = 0; i < s->ntargets; i++)
			bind(L, s->targets[i], ERR);
		return;
	}
	if (v.kind == V_VOID) {
		err(L, s->expr->loc, "'%s' does not give a value", text_of(L, s->expr));
		return;
	}
	if (v.kind == V_BOOL || v.kind == V_DTYPE) {
		err(L, s->expr->loc, "only tensors can be assigned, not '%s'", text_of(L, s->expr));
		return;
	}
	if (s->ntargets == 1) {
		if (v.kind == V_TUPLE) {
			err(L, s->loc, "'%s' gives %d values; assign them to as many names", text_of(L, s->expr),
			    v.nitems);
			bind(L, s->targets[0], ERR);
			return;
		}
		bind(L, s->targets[0], v);
		return;
	}
	int n = v.kind == V_TUPLE ? v.nitems : 1;
	if (n != s->ntargets) {
		err(L, s->loc, "%d names on the left but '%s' gives %d value%s", s->ntargets, text_of(L, s->expr), n,
		    n == 1 ? "" : "s");
		for (int i = 0; i < s->ntargets; i++)
			bind(L, s->targets[i], ERR);
		return;
	}
	for (int i = 0; i < n; i++)
		bind(L, s->targets[i], v.items[i]);
}

static void lower_body(Lower *L, const FuncAst *fn)
{
	for (int i = 0; i < fn->nstmts && !L->too_big; i++)
		lower_stmt(L, &fn->stmts[i]);
}

/* The values of fn's results at the end of its body. */
static bool collect_results(Lower *L, const FuncAst *fn, FuncResult *out)
{
	if (L->too_big)
		return false; /* the body was abandoned at the operation limit: nothing more to say */
	bool ok = true;
	for (int i = 0; i < fn->nresults; i++) {
		const Result *r = &fn->results[i];
		Binding *b = lookup(L, r->name);
		if (!b) {
			err(L, r->loc, "result '%s' is never assigned in '%s'", r->name, fn->name);
			ok = false;
			continue;
		}
		if (b->val.kind == V_ERR) {
			ok = false;
			continue;
		}
		ok = result_value(L, r, b->val, &out[i]) && ok;
	}
	return ok;
}

static Val call_user(Lower *L, const Ast *call, const FuncAst *fn)
{
	for (Scope *s = L->scope; s; s = s->parent)
		if (s->fn == fn) {
			err(L, call->loc, "'%s' calls itself%s; functions are inlined, so recursion is not supported",
			    fn->name, s == L->scope ? "" : " through other functions");
			return ERR;
		}
	if (L->inline_depth >= LOWER_MAX_INLINE) {
		err(L, call->loc, "calls are nested more than %d deep", LOWER_MAX_INLINE);
		return ERR;
	}
	const char *names[8 + 1];
	const char **pnames = fn->nparams <= 8 ? names : arena_array(L->A, (size_t)fn->nparams + 1, sizeof(char *));
	for (int i = 0; i < fn->nparams; i++)
		pnames[i] = fn->params[i].name;
	pnames[fn->nparams] = NULL;
	const Ast **slots = arena_array(L->A, (size_t)fn->nparams + 8, sizeof(Ast *));
	/* bind_args knows up to 8 named parameters; longer lists are positional */
	if (fn->nparams <= 8) {
		if (!bind_args(L, fn->name, pnames, fn->nparams, call, slots))
			return ERR;
	} else {
		if (call->list.n != fn->nparams) {
			err(L, call->loc, "'%s' takes %d arguments, got %d", fn->name, fn->nparams, call->list.n);
			return ERR;
		}
		for (int i = 0; i < fn->nparams; i++) {
			if (call->list.kw[i]) {
				err(L, call->list.kwloc[i], "'%s' has more than 8 parameters: pass them by position",
				    fn->name);
				return ERR;
			}
			slots[i] = call->list.items[i];
		}
	}
	Val *args = arena_array(L->A, (size_t)fn->nparams + 1, sizeof(Val));
	bool ok = true;
	for (int i = 0; i < fn->nparams; i++) {
		args[i] = want(L, slots[i]);
		ok = ok && args[i].kind == V_TENSOR;
	}
	if (!ok)
		return ERR;
	Scope *caller = L->scope;
	Scope *s = arena_alloc(L->A, sizeof *s);
	s->fn = fn;
	s->parent = caller;
	/* match argument shapes against the parameter types, binding the
	 * callee's dimension names */
	for (int i = 0; i < fn->nparams && ok; i++) {
		const Param *p = &fn->params[i];
		const Inst *in = I(L, args[i].id);
		bool match = in->rank == p->type.rank && (args[i].weak || in->dt == dt_of(L, p->type.dtype));
		for (int k = 0; match && k < p->type.rank; k++) {
			const DimAst *d = &p->type.dims[k];
			if (!d->name) {
				int64_t v;
				match = dim_is_const(in->shape[k], &v) && v == d->value;
				continue;
			}
			const Dim *have = NULL;
			for (int j = 0; j < s->dims.len; j++)
				if (strcmp(s->dims.data[j].name, d->name) == 0)
					have = s->dims.data[j].dim;
			if (have)
				match = have == in->shape[k];
			else {
				DimBind db = {d->name, in->shape[k]};
				VEC_PUSH(L->A, s->dims, db);
			}
		}
		if (!match) {
			Buf b;
			buf_init(&b, L->A);
			buf_puts(&b, dtype_name(p->type.dtype));
			if (p->type.rank) {
				buf_puts(&b, "[");
				for (int k = 0; k < p->type.rank; k++) {
					if (k)
						buf_puts(&b, ", ");
					if (p->type.dims[k].name)
						buf_puts(&b, p->type.dims[k].name);
					else
						buf_printf(&b, "%lld", (long long)p->type.dims[k].value);
				}
				buf_puts(&b, "]");
			}
			err(L, slots[i]->loc, "argument '%s' of %s is %s but the parameter is %s", p->name, fn->name,
			    type_str(L, args[i]), b.data);
			buf_free(&b);
			ok = false;
		}
	}
	if (!ok)
		return ERR;
	/* each parameter is a node of its own; nograd detaches the argument */
	L->scope = s;
	L->inline_depth++;
	for (int i = 0; i < fn->nparams; i++) {
		const Param *p = &fn->params[i];
		int id = args[i].weak ? as_dtype(L, args[i], dt_of(L, p->type.dtype)) : args[i].id;
		id = ir_unary(L->f, p->nograd ? OP_detach : OP_copy, id);
		I(L, id)->name = p->name;
		bind(L, p->name, tensor(id, false));
		if (!p->nograd) {
			GradAcc g = {id, none_like(L, tensor(id, false))};
			VEC_PUSH(L->A, s->grads, g);
		}
	}
	Loc saved_loc = L->f->cur_loc;
	int saved_stmt = L->f->cur_stmt;
	lower_body(L, fn);
	FuncResult *res = arena_array(L->A, (size_t)fn->nresults + 1, sizeof *res);
	ok = collect_results(L, fn, res);
	L->scope = caller;
	L->inline_depth--;
	L->f->cur_loc = saved_loc;
	L->f->cur_stmt = saved_stmt;
	if (!ok)
		return ERR;
	Val *vals = arena_array(L->A, (size_t)fn->nresults + 1, sizeof(Val));
	for (int i = 0; i < fn->nresults; i++) {
		if (res[i].value < 0) {
			vals[i].kind = V_NONE;
			vals[i].has_type = true;
			vals[i].dt = res[i].dt;
			vals[i].rank = res[i].rank;
			vals[i].shape = res[i].shape;
		} else {
			vals[i] = tensor(res[i].value, false);
		}
	}
	if (fn->nresults == 1)
		return vals[0];
	Val t = {.kind = V_TUPLE, .items = vals, .nitems = fn->nresults};
	return t;
}

static Func *lower_function(Lower *L, const FuncAst *fn)
{
	Func *f = ir_func_new(L->A, L->dc, L->src, fn->name);
	f->loc = fn->loc;
	L->f = f;
	L->too_big = false;
	Scope *s = arena_alloc(L->A, sizeof *s);
	s->fn = fn;
	L->scope = s;
	int errors = L->d->nerrors;
	f->cur_loc = fn->loc;
	for (int i = 0; i < fn->nparams; i++) {
		const Param *p = &fn->params[i];
		const Dim *shape[IR_MAX_RANK];
		for (int k = 0; k < p->type.rank; k++) {
			const DimAst *d = &p->type.dims[k];
			if (!d->name) {
				shape[k] = dim_const(L->dc, d->value);
				continue;
			}
			shape[k] = lookup_dim(L, d->name);
			if (!shape[k]) {
				shape[k] = dim_sym(L->dc, d->name);
				push_dim(L, d->name, shape[k]);
				VEC_PUSH(L->A, f->dimsyms, d->name);
			}
		}
		if (!check_size(L, p->type.loc, p->type.rank, shape)) {
			bind(L, p->name, ERR);
			continue;
		}
		f->cur_loc = p->loc;
		int id = ir_param(f, p->name, dt_of(L, p->type.dtype), p->type.rank, shape, p->nograd);
		bind(L, p->name, tensor(id, false));
		if (!p->nograd) {
			GradAcc g = {id, none_like(L, tensor(id, false))};
			VEC_PUSH(L->A, s->grads, g);
		}
	}
	lower_body(L, fn);
	FuncResult *res = arena_array(L->A, (size_t)fn->nresults + 1, sizeof *res);
	bool ok = collect_results(L, fn, res);
	for (int i = 0; ok && i < fn->nresults; i++)
		VEC_PUSH(L->A, f->results, res[i]);
	if (!ok || L->d->nerrors > errors)
		return NULL;
	const char *why = ir_verify(f);
	if (why)
		ICE("lowering '%s' produced invalid IR: %s", f->name, why);
	return f;
}

static bool check_signature(Lower *L, const FuncAst *fn)
{
	bool ok = true;
	if (lower_is_builtin(fn->name)) {
		err(L, fn->loc, "'%s' is the name of a builtin function", fn->name);
		ok = false;
	}
	for (int i = 0; i < fn->nparams; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(fn->params[i].name, fn->params[j].name) == 0) {
				err(L, fn->params[i].loc, "parameter '%s' is declared twice", fn->params[i].name);
				ok = false;
			}
	for (int i = 0; i < fn->nresults; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(fn->results[i].name, fn->results[j].name) == 0) {
				err(L, fn->results[i].loc, "result '%s' is declared twice", fn->results[i].name);
				ok = false;
			}
	return ok;
}

Module *lower_program(Arena *A, Diags *d, DimCtx *dc, SrcFile *src, const Program *p, bool promote)
{
	Lower L = {.A = A, .d = d, .dc = dc, .src = src, .prog = p, .promote = promote};
	Module *m = arena_alloc(A, sizeof *m);
	m->funcs = arena_array(A, (size_t)p->nfuncs + 1, sizeof(Func *));
	int errors = d->nerrors;
	for (int i = 0; i < p->nfuncs; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(p->funcs[i]->name, p->funcs[j]->name) == 0)
				err(&L, p->funcs[i]->loc, "function '%s' is defined twice (first at line %d)",
				    p->funcs[i]->name, p->funcs[j]->loc.line);
	if (p->nfuncs == 0 && d->nerrors == errors)
		diag_error(d, (Loc){0, 0}, "the file defines no function");
	for (int i = 0; i < p->nfuncs; i++) {
		if (!check_signature(&L, p->funcs[i]))
			continue;
		Func *f = lower_function(&L, p->funcs[i]);
		if (f)
			m->funcs[m->nfuncs++] = f;
	}
	return d->nerrors > errors ? NULL : m;
}
