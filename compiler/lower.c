/* lower.c: the checker and the lowering to IR (see lower.h), its core.
 *
 * Values of the language are Val: a tensor (an IR value), `none`, a bool, a
 * dtype, a tuple (several results) or nothing (backward's result). Literals
 * are weakly typed: they are kept as f64 IR values and converted to the
 * dtype of whatever strong operand they meet (or f32 when none does); one
 * with integer values (2, n - 1, the loop variable) may meet an integer
 * tensor, one like 0.5 may not.
 * Indexing, the builtins and the gradients are lower_index.c,
 * lower_builtins.c and lower_grad.c (lower_int.h). */
#include "lower_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "adjoint.h"

/* ---------------------------------------------------------------- helpers */

Inst *lw_inst(Lower *L, int v)
{
	return ir_inst(L->f, v);
}

Val lw_tensor(int id, bool weak)
{
	Val v = {.kind = V_TENSOR, .id = id, .weak = weak};
	return v;
}

Val lw_none_like(Lower *L, Val t)
{
	Val v = {.kind = V_NONE};
	if (t.kind == V_TENSOR) {
		Inst *in = lw_inst(L, t.id);
		v.has_type = true;
		v.dt = t.weak ? DT_F32 : in->dt;
		v.rank = in->rank;
		v.shape = in->shape;
	}
	return v;
}

void lw_err(Lower *L, Loc loc, const char *fmt, ...)
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
		lw_err(L, loc, "function '%s' is too large: over %d operations after inlining and differentiation",
		       L->f->name, LOWER_MAX_INSTS);
		L->too_big = true;
	}
	return L->too_big;
}

const char *lw_shape_str(Lower *L, int rank, const Dim **shape)
{
	Buf b;
	buf_init(&b, L->A);
	ir_print_shape(&b, rank, shape);
	return buf_finish(&b, L->A);
}

const char *lw_type_text(Lower *L, DType dt, int rank, const Dim **shape, bool weak)
{
	Buf b;
	buf_init(&b, L->A);
	if (weak) {
		buf_puts(&b, "literal");
		ir_print_shape(&b, rank, shape);
	} else {
		ir_print_type(&b, dt, rank, shape);
	}
	return buf_finish(&b, L->A);
}

const char *lw_type_str(Lower *L, Val v)
{
	if (v.kind == V_NONE)
		return "none";
	if (v.kind != V_TENSOR)
		return "?";
	Inst *in = lw_inst(L, v.id);
	return lw_type_text(L, in->dt, in->rank, in->shape, v.weak);
}

/* How tightly a binary operator binds (section 4's precedence). */
static int binop_prec(BinOp op)
{
	switch (op) {
	case BIN_ADD:
	case BIN_SUB: return 1;
	case BIN_MUL:
	case BIN_DIV:
	case BIN_MATMUL:
	case BIN_FLOORDIV:
	case BIN_MOD: return 2;
	case BIN_POW: return 4;
	default: return 0; /* comparisons */
	}
}

static void src_text(Buf *b, const Ast *e);

/* e as an operand that must bind at least as tightly as `prec`: in
 * parentheses where it binds more loosely, so D * (D - 1) reads back as
 * written. */
static void src_operand(Buf *b, const Ast *e, int prec)
{
	int own = e && e->kind == AST_BINOP ? binop_prec(e->op) : e && e->kind == AST_NEG ? 3 : 5;
	if (own < prec)
		buf_puts(b, "(");
	src_text(b, e);
	if (own < prec)
		buf_puts(b, ")");
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
		src_operand(b, e->a, 3);
		break;
	case AST_BINOP: {
		/* left-associative but for ** */
		int p = binop_prec(e->op), right = e->op == BIN_POW;
		src_operand(b, e->a, right ? p + 1 : p);
		buf_printf(b, " %s ", binop_token(e->op));
		src_operand(b, e->b, right ? p : p + 1);
		break;
	}
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
	case AST_UPDATE:
		src_text(b, e->a);
		buf_puts(b, e->op == BIN_ADD ? " += " : " = ");
		src_text(b, e->b);
		break;
	}
}

const char *lw_text_of(Lower *L, const Ast *e)
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

void lw_index_site(Lower *L, int id, const Ast *e, Loc at)
{
	Inst *in = ir_inst(L->f, id);
	if (op_info[in->op].kind == K_SCATTER || in->op == OP_gather)
		in->site = arena_printf(L->f->A, "'%s' at %s:%d:%d", lw_text_of(L, e),
		                        L->f->src ? L->f->src->name : "?", at.line, at.col);
}

/* ---------------------------------------------------------------- scopes */

Binding *lw_lookup(Lower *L, const char *name)
{
	Scope *s = L->scope;
	for (int i = s->binds.len - 1; i >= 0; i--)
		if (strcmp(s->binds.data[i].name, name) == 0)
			return &s->binds.data[i];
	return NULL;
}

void lw_bind(Lower *L, const char *name, Val v)
{
	if (v.kind == V_TENSOR && !lw_inst(L, v.id)->name && lw_is_ident(name))
		lw_inst(L, v.id)->name = name;
	Binding *b = lw_lookup(L, name);
	if (b) {
		b->val = v;
		return;
	}
	Binding nb = {name, v};
	VEC_PUSH(L->A, L->scope->binds, nb);
}

const Dim *lw_lookup_dim(Lower *L, const char *name)
{
	Scope *s = L->scope;
	for (int i = 0; i < s->dims.len; i++)
		if (strcmp(s->dims.data[i].name, name) == 0)
			return s->dims.data[i].dim;
	return NULL;
}

GradAcc *lw_grad_acc(Lower *L, int leaf)
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

void lw_add_constraint(Lower *L, ConsKind kind, const Dim *a, const Dim *b, const char *msg)
{
	Func *f = L->root; /* checked on entry, bodies included */
	for (int i = 0; i < f->cons.len; i++)
		if (f->cons.data[i].kind == kind && f->cons.data[i].a == a && f->cons.data[i].b == b)
			return;
	Constraint c = {kind, a, b, msg};
	VEC_PUSH(L->A, f->cons, c);
}

/* a >= 0 must hold: an error now if it cannot, a run-time check if it may. */
bool lw_require_ge0(Lower *L, Loc loc, const Dim *a, const char *what)
{
	return lw_require_ge0_if(L, loc, a, NULL, what);
}

/* a >= 0 must hold where cond > 0 (always, for NULL). */
bool lw_require_ge0_if(Lower *L, Loc loc, const Dim *a, const Dim *cond, const char *what)
{
	int64_t v;
	if (cond && dim_is_const(cond, &v) && v <= 0)
		return true; /* never */
	if (cond && dim_nonneg(dim_sub(L->dc, cond, dim_const(L->dc, 1))))
		cond = NULL; /* always */
	if (dim_is_const(a, &v) && cond) {
		if (v < 0)
			lw_add_constraint(L, CONS_GE0, a, cond, what);
		return true;
	}
	if (dim_is_const(a, &v)) {
		if (v < 0) {
			lw_err(L, loc, "%s", what);
			return false;
		}
		return true;
	}
	if (!dim_nonneg(a))
		lw_add_constraint(L, CONS_GE0, a, cond, what);
	return true;
}

/* ---------------------------------------------------------------- dtypes and broadcasting */

/* A weak value as dtype dt (a cast instruction; constants fold later). */
int lw_as_dtype(Lower *L, Val v, DType dt)
{
	if (lw_inst(L, v.id)->dt == dt)
		return v.id;
	return ir_cast(L->f, v.id, dt);
}

/* The value with weak literals resolved to f32. */
int lw_strong(Lower *L, Val v)
{
	return v.weak ? lw_as_dtype(L, v, dt_of(L, DT_F32)) : v.id;
}

/* Are the values of weak value v integers: an expression of integer
 * literals, dimensions and loop variables by integer arithmetic? */
bool lw_weak_int(Lower *L, int v)
{
	const Inst *in = lw_inst(L, v);
	switch (in->op) {
	case OP_const:
		for (int64_t i = 0; i < in->nnums; i++)
			if (in->nums[i] != floor(in->nums[i]) || !(fabs(in->nums[i]) < 9007199254740992.0))
				return false;
		return true;
	case OP_dimval: return true;
	case OP_cast: return dtype_is_int(lw_inst(L, in->args[0])->dt);
	case OP_add:
	case OP_sub:
	case OP_mul:
	case OP_neg:
	case OP_abs:
	case OP_sign:
	case OP_maximum:
	case OP_minimum:
	case OP_floordiv:
	case OP_mod:
	case OP_sum:
	case OP_max:
	case OP_min:
	case OP_prod: break;
	case OP_where: return lw_weak_int(L, in->args[1]) && lw_weak_int(L, in->args[2]);
	default:
		if (op_info[in->op].kind != K_SHAPE)
			return false;
		break;
	}
	for (int k = 0; k < in->nargs; k++)
		if (!lw_weak_int(L, in->args[k]))
			return false;
	return true;
}

bool lw_unify(Lower *L, Loc loc, Val *vals, int n, const char *what, DType *out)
{
	int strong_i = -1;
	for (int i = 0; i < n; i++) {
		if (vals[i].weak)
			continue;
		DType a = lw_inst(L, vals[i].id)->dt, b = strong_i >= 0 ? lw_inst(L, vals[strong_i].id)->dt : a;
		if (a != b) {
			/* floats first, f32 before f64: the enum order */
			DType lo = a < b ? a : b, hi = a < b ? b : a;
			const char *how =
			    arena_printf(L->A, "convert one with %s(...) or %s(...)", dtype_name(lo), dtype_name(hi));
			lw_err(L, loc, "%s mixes %s and %s; %s", what, lw_type_str(L, vals[strong_i]),
			       lw_type_str(L, vals[i]), how);
			return false;
		}
		if (strong_i < 0)
			strong_i = i;
	}
	DType dt = strong_i >= 0 ? lw_inst(L, vals[strong_i].id)->dt : DT_F64;
	for (int i = 0; dtype_is_int(dt) && i < n; i++)
		if (vals[i].weak && !lw_weak_int(L, vals[i].id)) {
			lw_err(L, loc,
			       "%s mixes %s and a literal that is not an integer; convert with f32(...) or f64(...)",
			       what, lw_type_str(L, vals[strong_i]));
			return false;
		}
	if (strong_i >= 0)
		for (int i = 0; i < n; i++)
			if (vals[i].weak) {
				vals[i].id = lw_as_dtype(L, vals[i], dt);
				vals[i].weak = false;
			}
	*out = dt;
	return true;
}

bool lw_is_one(const Dim *d)
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
		if (lw_inst(L, vals[i].id)->rank > r)
			r = lw_inst(L, vals[i].id)->rank;
	for (int k = 0; k < r; k++)
		out[k] = dim_const(L->dc, 1);
	for (int i = 0; i < n; i++) {
		Inst *in = lw_inst(L, vals[i].id);
		for (int k = 0; k < in->rank; k++) {
			const Dim *d = in->shape[k];
			const Dim **o = &out[r - in->rank + k];
			if (*o == d || lw_is_one(d))
				continue;
			if (lw_is_one(*o)) {
				*o = d;
				continue;
			}
			Buf b;
			buf_init(&b, L->A);
			for (int j = 0; j < n; j++) {
				if (j)
					buf_puts(&b, j == n - 1 ? " and " : ", ");
				buf_puts(&b, lw_type_str(L, vals[j]));
			}
			lw_err(L, loc, "%s: shapes %s cannot be broadcast together", what, b.data);
			buf_free(&b);
			return false;
		}
	}
	*rank = r;
	return true;
}

/* Integers take integer arithmetic (+ - * // %, comparisons, abs, sign,
 * minimum, maximum, where, copies and conversions); // and % take only
 * integers (weak literals among themselves too). */
static bool int_op_ok(Lower *L, Loc loc, Op op, const Val *args, int n, DType dt, bool weak, const char *what)
{
	bool int_op = op == OP_add || op == OP_sub || op == OP_mul || op == OP_neg || op == OP_abs || op == OP_sign ||
	              op == OP_maximum || op == OP_minimum || op == OP_where || op == OP_floordiv || op == OP_mod ||
	              op == OP_copy || op == OP_detach || op == OP_cast || op_info[op].flags & F_CUT;
	if (dtype_is_int(dt) && !int_op) {
		lw_err(L, loc, "%s of an integer tensor (%s); %sconvert it with f32(...) or f64(...) first", what,
		       lw_type_str(L, args[n - 1]), strcmp(what, "'/'") == 0 ? "for floor division use //, or " : "");
		return false;
	}
	if ((op == OP_floordiv || op == OP_mod) && !dtype_is_int(dt)) {
		for (int i = 0; i < n; i++)
			if (!weak || !lw_weak_int(L, args[i].id)) {
				lw_err(L, loc, "%s takes integers (i32 or i64), not %s; for floats write floor(a / b)",
				       what, lw_type_str(L, args[i]));
				return false;
			}
	}
	return true;
}

Val lw_elementwise(Lower *L, Loc loc, Op op, Val *args, int n, const char *what)
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
	if (!lw_unify(L, loc, args + first, n - first, what, &dt))
		return ERR;
	if (!int_op_ok(L, loc, op, args, n, dt, weak, what))
		return ERR;
	if (op == OP_where && lw_inst(L, args[0].id)->dt != dt)
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
	return lw_tensor(v, weak);
}

Val lw_unary(Lower *L, Loc loc, Op op, Val a, const char *what)
{
	return lw_elementwise(L, loc, op, &a, 1, what);
}

Val lw_binary(Lower *L, Loc loc, Op op, Val a, Val b, const char *what)
{
	Val args[2] = {a, b};
	return lw_elementwise(L, loc, op, args, 2, what);
}

Val lw_scalar(Lower *L, double v)
{
	return lw_tensor(ir_scalar(L->f, DT_F64, v), true);
}

/* ---------------------------------------------------------------- constants in the source */

/* Constant arithmetic on number literals: 1, -2, 2*3, 1/3, 1e-3. */
bool lw_const_num(Lower *L, const Ast *e, double *out, bool *is_int, bool report)
{
	double a, b;
	bool ia, ib;
	switch (e->kind) {
	case AST_NUM:
		*out = e->num;
		*is_int = e->is_int;
		return true;
	case AST_NEG:
		if (!lw_const_num(L, e->a, &a, &ia, report))
			return false;
		*out = -a;
		*is_int = ia;
		return true;
	case AST_BINOP:
		if (e->op > BIN_POW || e->op == BIN_MATMUL)
			break;
		if (!lw_const_num(L, e->a, &a, &ia, report) || !lw_const_num(L, e->b, &b, &ib, report))
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
		lw_err(L, e->loc, "expected a constant number, not '%s'", lw_text_of(L, e));
	return false;
}

bool lw_const_int(Lower *L, const Ast *e, int64_t *out, const char *what)
{
	double v;
	bool is_int;
	if (!lw_const_num(L, e, &v, &is_int, false) || !is_int) {
		lw_err(L, e->loc, "%s must be a constant whole number, not '%s'", what, lw_text_of(L, e));
		return false;
	}
	if (!(fabs(v) < 9.2e18)) {
		lw_err(L, e->loc, "%s %s is out of range", what, lw_text_of(L, e));
		return false;
	}
	*out = (int64_t)v;
	return true;
}

/* An integer expression of literals and dimensions (+ - * and // or % by a
 * positive literal), as a Dim; `when` ends the messages (", known when the
 * loop starts"). NULL after an error. */
const Dim *lw_dim_expr(Lower *L, const Ast *e, const char *what, const char *when)
{
	switch (e->kind) {
	case AST_NUM:
		if (!e->is_int || e->num > 4.6e18) {
			lw_err(L, e->loc, "%s must be an integer, not '%s'", what, e->text);
			return NULL;
		}
		return dim_const(L->dc, (int64_t)e->num);
	case AST_NAME: {
		const Dim *d = lw_lookup_dim(L, e->name);
		if (d && !lw_lookup(L, e->name))
			return d;
		lw_err(L, e->loc, "%s must be an integer expression of literals and dimensions%s; '%s' is %s", what,
		       when, e->name, lw_lookup(L, e->name) ? "a tensor" : "not a dimension");
		return NULL;
	}
	case AST_NEG: {
		const Dim *a = lw_dim_expr(L, e->a, what, when);
		return a ? dim_sub(L->dc, dim_const(L->dc, 0), a) : NULL;
	}
	case AST_BINOP:
		if (e->op == BIN_ADD || e->op == BIN_SUB || e->op == BIN_MUL) {
			const Dim *a = lw_dim_expr(L, e->a, what, when),
			          *b = a ? lw_dim_expr(L, e->b, what, when) : NULL;
			if (!b)
				return NULL;
			return e->op == BIN_ADD   ? dim_add(L->dc, a, b)
			       : e->op == BIN_SUB ? dim_sub(L->dc, a, b)
			                          : dim_mul(L->dc, a, b);
		}
		if (e->op == BIN_FLOORDIV || e->op == BIN_MOD) { /* by a positive constant: n // 2, n % 4 */
			int64_t k;
			const Dim *a = lw_dim_expr(L, e->a, what, when),
			          *b = a ? lw_dim_expr(L, e->b, what, when) : NULL;
			if (!b)
				return NULL;
			if (!dim_is_const(b, &k) || k <= 0) {
				lw_err(L, e->b->loc,
				       "%s divides by '%s'; // and %% in a bound take a positive integer literal", what,
				       lw_text_of(L, e->b));
				return NULL;
			}
			const Dim *q = dim_div(L->dc, a, b);
			return e->op == BIN_FLOORDIV ? q : dim_sub(L->dc, a, dim_mul(L->dc, b, q));
		}
		break;
	default: break;
	}
	lw_err(L, e->loc, "%s must be an integer expression of literals and dimensions (+, -, *, //, %%)%s, not '%s'",
	       what, when, lw_text_of(L, e));
	return NULL;
}

bool lw_const_bool(Lower *L, const Ast *e, bool *out, bool allow_none, const char *what)
{
	if (e->kind == AST_BOOL) {
		*out = e->bval;
		return true;
	}
	if (allow_none && e->kind == AST_NONE) {
		*out = false;
		return true;
	}
	lw_err(L, e->loc, "%s must be true or false%s, not '%s'", what, allow_none ? " (or none)" : "",
	       lw_text_of(L, e));
	return false;
}

/* An axis list: `1`, `-1`, `[0, 2]` or `[]`, normalized against rank and
 * sorted; duplicates and out-of-range axes are errors. */
int lw_axis_list(Lower *L, const Ast *e, int rank, int64_t *out, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	if (e->kind == AST_LIST) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	if (n > IR_MAX_RANK) {
		lw_err(L, e->loc, "too many axes in %s", what);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int64_t a;
		if (!lw_const_int(L, items[i], &a, "an axis"))
			return -1;
		if (a < -rank || a >= rank) {
			lw_err(L, items[i]->loc, "axis %lld is out of range for a tensor of rank %d (in %s)",
			       (long long)a, rank, what);
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
			lw_err(L, e->loc, "axis %lld appears twice in %s", (long long)out[i], what);
			return -1;
		}
	return n;
}

bool lw_one_axis(Lower *L, const Ast *e, int rank, int64_t *out, const char *what)
{
	if (e->kind == AST_LIST) {
		lw_err(L, e->loc, "%s takes a single axis", what);
		return false;
	}
	return lw_axis_list(L, e, rank, out, what) == 1;
}

/* A shape: `[2, n, -1]` or a single dimension; -1 is returned as NULL when
 * allowed. Names are symbolic dimensions of the function, and an item may
 * be an expression of them (n * 3). */
int lw_shape_list(Lower *L, const Ast *e, const Dim **out, bool allow_infer, const char *what)
{
	const Ast *const *items = (const Ast *const *)&e;
	int n = 1;
	if (e->kind == AST_LIST) {
		items = (const Ast *const *)e->list.items;
		n = e->list.n;
	}
	if (n > IR_MAX_RANK) {
		lw_err(L, e->loc, "%s: a tensor may have at most %d dimensions", what, IR_MAX_RANK);
		return -1;
	}
	int inferred = 0;
	for (int i = 0; i < n; i++) {
		const Ast *it = items[i];
		if (it->kind == AST_NAME) {
			const Dim *d = lw_lookup_dim(L, it->name);
			if (!d) {
				lw_err(L, it->loc, "'%s' is not a dimension of this function's parameters (in %s)",
				       it->name, what);
				return -1;
			}
			out[i] = d;
			continue;
		}
		int64_t v;
		double num;
		bool is_int;
		if (!lw_const_num(L, it, &num, &is_int, false)) { /* n * 3, k + 1 */
			out[i] = lw_dim_expr(L, it, arena_printf(L->A, "a dimension in %s", what), "");
			if (!out[i] || !lw_require_ge0(L, it->loc, out[i],
			                               arena_printf(L->A, "the dimension %s in %s is negative",
			                                            lw_text_of(L, it), what)))
				return -1;
			continue;
		}
		if (!lw_const_int(L, it, &v, "a dimension"))
			return -1;
		if (v == -1 && allow_infer) {
			if (inferred++) {
				lw_err(L, it->loc, "only one dimension may be -1 in %s", what);
				return -1;
			}
			out[i] = NULL;
			continue;
		}
		if (v < 0 || v > ((int64_t)1 << MAX_ELEMS_LOG2)) {
			lw_err(L, it->loc, "dimension %lld is out of range in %s", (long long)v, what);
			return -1;
		}
		out[i] = dim_const(L->dc, v);
	}
	return n;
}

/* Dimensions whose element count would overflow are errors. */
bool lw_check_size(Lower *L, Loc loc, int rank, const Dim **shape)
{
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		int64_t v;
		if (!dim_is_const(shape[i], &v))
			continue;
		if (v < 0 || __builtin_mul_overflow(n, v, &n) || n > ((int64_t)1 << MAX_ELEMS_LOG2)) {
			lw_err(L, loc, "tensor of shape %s is too large (the limit is 2^%d elements)",
			       lw_shape_str(L, rank, shape), MAX_ELEMS_LOG2);
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
		lw_err(L, e->loc, "tensor literal is nested more than %d deep", IR_MAX_RANK);
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
			lw_err(L, e->loc, "ragged tensor literal: expected a number here, found a list");
			return false;
		}
		double v;
		bool is_int;
		if (!lw_const_num(L, e, &v, &is_int, false)) {
			lw_err(L, e->loc,
			       "a tensor literal holds constant numbers, not '%s' (a list of tensors is allowed only "
			       "as an argument of grad, backward, concat or stack)",
			       lw_text_of(L, e));
			return false;
		}
		out[(*k)++] = v;
		return true;
	}
	if (e->kind != AST_LIST || e->list.n != shape[depth]) {
		lw_err(L, e->loc, "ragged tensor literal: expected a list of %lld here", (long long)shape[depth]);
		return false;
	}
	for (int i = 0; i < e->list.n; i++)
		if (!literal_fill(L, e->list.items[i], depth + 1, shape, rank, out, k))
			return false;
	return true;
}

Val lw_literal(Lower *L, const Ast *e)
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
	return lw_tensor(ir_const(L->f, DT_F64, rank, dims, nums), true);
}

/* ---------------------------------------------------------------- expressions */

Val lw_expr(Lower *L, const Ast *e);
static void lower_body(Lower *L, const FuncAst *fn);

Val lw_want(Lower *L, const Ast *e)
{
	Val v = lw_expr(L, e);
	switch (v.kind) {
	case V_TENSOR:
	case V_ERR: return v;
	case V_NONE:
		lw_err(L, e->loc, "'%s' is none here (an unused gradient or a .grad nothing was accumulated into)",
		       lw_text_of(L, e));
		return ERR;
	case V_BOOL: lw_err(L, e->loc, "expected a tensor, not %s", v.bval ? "true" : "false"); return ERR;
	case V_DTYPE: lw_err(L, e->loc, "expected a tensor, not the dtype %s", dtype_name(v.dtype)); return ERR;
	case V_TUPLE:
		lw_err(L, e->loc, "'%s' gives %d values; assign them to as many names (a, b = ...)", lw_text_of(L, e),
		       v.nitems);
		return ERR;
	case V_VOID: lw_err(L, e->loc, "'%s' does not give a value", lw_text_of(L, e)); return ERR;
	}
	return ERR;
}

/* Bind call arguments to the builtin's parameter slots. */
bool lw_bind_args(Lower *L, const char *fname, const char *const *params, int nreq, const Ast *call, const Ast **slots)
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
				lw_err(L, a->loc, "positional argument after keyword arguments in %s(...)", fname);
				ok = false;
				continue;
			}
			if (pos >= np) {
				Buf b;
				buf_init(&b, L->A);
				for (int k = 0; k < np; k++)
					buf_printf(&b, "%s%s", k ? ", " : "", params[k]);
				lw_err(L, a->loc, "%s takes at most %d argument%s (%s)", fname, np, np == 1 ? "" : "s",
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
			lw_err(L, call->list.kwloc[i], "%s has no parameter '%s'%s%s%s", fname, kw,
			       hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
			ok = false;
			continue;
		}
		if (slots[k]) {
			lw_err(L, call->list.kwloc[i], "argument '%s' of %s is given twice", kw, fname);
			ok = false;
			continue;
		}
		slots[k] = a;
	}
	for (int k = 0; k < nreq && ok; k++)
		if (!slots[k]) {
			lw_err(L, call->loc, "%s(...) is missing its argument '%s'", fname, params[k]);
			ok = false;
		}
	return ok;
}

Val lw_do_reshape(Lower *L, Val x, int rank, const Dim **shape)
{
	Inst *in = lw_inst(L, x.id);
	if (in->rank == rank) {
		bool same = true;
		for (int i = 0; i < rank; i++)
			same = same && in->shape[i] == shape[i];
		if (same)
			return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	}
	return lw_tensor(ir_reshape(L->f, x.id, rank, shape), x.weak);
}

Val lw_keepdim_reshape(Lower *L, Val r, const Inst *src, const int64_t *axes, int naxes)
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
	return lw_tensor(ir_reshape(L->f, r.id, src->rank, shape), r.weak);
}

Val lw_do_matmul(Lower *L, Loc loc, Val a, Val b)
{
	if (a.kind != V_TENSOR || b.kind != V_TENSOR)
		return ERR;
	Val ab[2] = {a, b};
	DType dt;
	if (!lw_unify(L, loc, ab, 2, "matmul", &dt))
		return ERR;
	a = ab[0];
	b = ab[1];
	const Inst *A = lw_inst(L, a.id), *B = lw_inst(L, b.id);
	int ra = A->rank, rb = B->rank;
	if (ra == 0 || rb == 0) {
		lw_err(L, loc, "matmul needs tensors of rank 1 or more, not %s and %s; use * for scalars",
		       lw_type_str(L, a), lw_type_str(L, b));
		return ERR;
	}
	const Dim *ka = A->shape[ra - 1], *kb = B->shape[rb == 1 ? 0 : rb - 2];
	if (ka != kb) {
		Buf x;
		buf_init(&x, L->A);
		dim_print(&x, ka);
		buf_puts(&x, " vs ");
		dim_print(&x, kb);
		lw_err(L, loc, "matmul of %s and %s: inner dimensions differ (%s)", lw_type_str(L, a),
		       lw_type_str(L, b), x.data);
		buf_free(&x);
		return ERR;
	}
	bool weak = a.weak && b.weak;
	if (ra == 1 && rb == 1) {
		int m = ir_binary(L->f, OP_mul, a.id, b.id);
		int64_t ax = 0;
		return lw_tensor(ir_reduce(L->f, OP_sum, m, &ax, 1), weak);
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
	const Inst *A2 = lw_inst(L, ai), *B2 = lw_inst(L, bi);
	int r2a = A2->rank, r2b = B2->rank;
	/* broadcast the batch dimensions */
	int nb = (r2a > r2b ? r2a : r2b) - 2;
	const Dim *batch[IR_MAX_RANK];
	for (int i = 0; i < nb; i++) {
		int ia = i - (nb - (r2a - 2)), ib = i - (nb - (r2b - 2));
		const Dim *da = ia >= 0 ? A2->shape[ia] : one, *db = ib >= 0 ? B2->shape[ib] : one;
		if (da == db || lw_is_one(db))
			batch[i] = da;
		else if (lw_is_one(da))
			batch[i] = db;
		else {
			lw_err(L, loc, "matmul of %s and %s: batch dimensions cannot be broadcast together",
			       lw_type_str(L, a), lw_type_str(L, b));
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
		const Inst *C = lw_inst(L, c);
		const Dim *s[IR_MAX_RANK];
		int r = 0;
		for (int i = 0; i < C->rank; i++) {
			if ((ra == 1 && i == C->rank - 2) || (rb == 1 && i == C->rank - 1))
				continue;
			s[r++] = C->shape[i];
		}
		c = ir_reshape(L->f, c, r, s);
	}
	return lw_tensor(c, weak);
}

Val lw_do_transpose(Lower *L, Loc loc, Val x, const Ast *perm_ast)
{
	if (x.kind != V_TENSOR)
		return ERR;
	int r = lw_inst(L, x.id)->rank;
	int64_t perm[IR_MAX_RANK];
	if (perm_ast && perm_ast->kind != AST_NONE) {
		if (perm_ast->kind != AST_LIST || perm_ast->list.n != r) {
			lw_err(L, perm_ast->loc, "transpose of %s needs a permutation of %d axes", lw_type_str(L, x),
			       r);
			return ERR;
		}
		bool seen[IR_MAX_RANK] = {0};
		for (int i = 0; i < r; i++) {
			int64_t a;
			if (!lw_const_int(L, perm_ast->list.items[i], &a, "an axis"))
				return ERR;
			if (a < 0)
				a += r;
			if (a < 0 || a >= r || seen[a]) {
				lw_err(L, perm_ast->loc, "%s is not a permutation of the axes of %s",
				       lw_text_of(L, perm_ast), lw_type_str(L, x));
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
		return lw_tensor(ir_unary(L->f, OP_copy, x.id), x.weak);
	return lw_tensor(ir_transpose(L->f, x.id, perm), x.weak);
}

enum { NBUILTINS_MAX = 128 };
/* The error of an argument whose type does not fit its parameter's; false. */
/* The error for an argument that does not fit its parameter; where a
 * dimension expression of the parameter's type is what fails, `at` is its
 * expression and `want` its value in this call. */
static bool argument_misfit(Lower *L, const Ast *arg, const FuncAst *fn, const Param *p, Val v, const Ast *at,
                            const Dim *want)
{
	Buf b;
	buf_init(&b, L->A);
	buf_puts(&b, dtype_name(p->type.dtype));
	if (p->type.rank) {
		buf_puts(&b, "[");
		for (int k = 0; k < p->type.rank; k++) {
			const DimAst *d = &p->type.dims[k];
			if (k)
				buf_puts(&b, ", ");
			if (d->expr)
				buf_puts(&b, lw_text_of(L, d->expr));
			else if (d->name)
				buf_puts(&b, d->name);
			else
				buf_printf(&b, "%lld", (long long)d->value);
		}
		buf_puts(&b, "]");
	}
	if (at) {
		buf_printf(&b, ", whose %s is ", lw_text_of(L, at));
		dim_print(&b, want);
		buf_puts(&b, " here");
	}
	lw_err(L, arg->loc, "argument '%s' of %s is %s but the parameter is %s", p->name, fn->name, lw_type_str(L, v),
	       b.data);
	buf_free(&b);
	return false;
}

static Val call_user(Lower *L, const Ast *call, const FuncAst *fn);

Val lw_expr(Lower *L, const Ast *e)
{
	if (too_big(L, e->loc))
		return ERR;
	switch (e->kind) {
	case AST_ERROR: return ERR;
	case AST_NUM: return lw_scalar(L, e->num);
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
	case AST_LIST: return lw_literal(L, e);
	case AST_NAME: {
		Binding *b = lw_lookup(L, e->name);
		if (b)
			return b->val;
		const Dim *d = lw_lookup_dim(L, e->name);
		if (d) /* a symbolic dimension used as a number */
			return lw_tensor(ir_dimval(L->f, DT_F64, d), true);
		if (lw_find_builtin(e->name) || find_func(L, e->name)) {
			lw_err(L, e->loc, "'%s' is a function; call it as %s(...)", e->name, e->name);
			return ERR;
		}
		if (lw_gone(L, e))
			return ERR;
		const char **cands = arena_array(L->A, (size_t)L->scope->binds.len + 1, sizeof(char *));
		int n = 0;
		for (int i = 0; i < L->scope->binds.len; i++)
			if (lw_is_ident(L->scope->binds.data[i].name))
				cands[n++] = L->scope->binds.data[i].name;
		const char *hint = did_you_mean(e->name, cands, n);
		if (hint)
			lw_err(L, e->loc, "unknown name '%s'; did you mean '%s'?", e->name, hint);
		else
			lw_err(L, e->loc, "unknown name '%s'", e->name);
		return ERR;
	}
	case AST_NEG: {
		Val a = lw_want(L, e->a);
		return lw_unary(L, e->loc, OP_neg, a, "unary -");
	}
	case AST_BINOP: {
		Val a = lw_want(L, e->a), b = lw_want(L, e->b);
		if (a.kind != V_TENSOR || b.kind != V_TENSOR)
			return ERR;
		static const Op ops[] = {
		    [BIN_ADD] = OP_add, [BIN_SUB] = OP_sub, [BIN_MUL] = OP_mul, [BIN_DIV] = OP_div,
		    [BIN_POW] = OP_pow, [BIN_LT] = OP_lt,   [BIN_LE] = OP_le,   [BIN_GT] = OP_gt,
		    [BIN_GE] = OP_ge,   [BIN_EQ] = OP_eq,   [BIN_NE] = OP_ne,   [BIN_FLOORDIV] = OP_floordiv,
		    [BIN_MOD] = OP_mod,
		};
		if (e->op == BIN_MATMUL)
			return lw_do_matmul(L, e->loc, a, b);
		return lw_binary(L, e->loc, ops[e->op], a, b, arena_printf(L->A, "'%s'", binop_token(e->op)));
	}
	case AST_CALL: {
		const Ast *callee = e->a;
		if (callee->kind == AST_DTYPE) {
			static const char *const params[] = {"x", NULL};
			const Ast *slot[8];
			if (!lw_bind_args(L, dtype_name(callee->dtype), params, 1, e, slot))
				return ERR;
			Val x = lw_want(L, slot[0]);
			if (x.kind != V_TENSOR)
				return ERR;
			DType to = dt_of(L, callee->dtype);
			if (!x.weak && lw_inst(L, x.id)->dt == to) /* its own node, as in Paddle */
				return lw_tensor(ir_unary(L->f, OP_copy, x.id), false);
			return lw_tensor(ir_cast(L->f, x.id, to), false);
		}
		if (callee->kind != AST_NAME) {
			lw_err(L, e->loc, "only functions can be called, not '%s'", lw_text_of(L, callee));
			return ERR;
		}
		const Builtin *b = lw_find_builtin(callee->name);
		if (b) /* a function of the file cannot take a builtin's name */
			return lw_call_builtin(L, b, e);
		const FuncAst *fn = find_func(L, callee->name);
		if (fn)
			return call_user(L, e, fn);
		if (lw_lookup(L, callee->name)) {
			lw_err(L, callee->loc, "'%s' is a tensor, not a function", callee->name);
			return ERR;
		}
		const char **cands = arena_array(L->A, (size_t)L->prog->nfuncs + NBUILTINS_MAX, sizeof(char *));
		int n = 0;
		n += lw_builtin_names(cands);
		for (int i = 0; i < L->prog->nfuncs; i++)
			cands[n++] = L->prog->funcs[i]->name;
		const char *hint = did_you_mean(callee->name, cands, n);
		if (hint)
			lw_err(L, callee->loc, "unknown function '%s'; did you mean '%s'?", callee->name, hint);
		else
			lw_err(L, callee->loc, "unknown function '%s'", callee->name);
		return ERR;
	}
	case AST_INDEX: return lw_do_index(L, e);
	case AST_UPDATE: return lw_do_update(L, e);
	case AST_SLICE: lw_err(L, e->loc, "a slice (a:b) is allowed only inside x[...]"); return ERR;
	case AST_ATTR:
		if (strcmp(e->name, "T") == 0)
			return lw_do_transpose(L, e->loc, lw_want(L, e->a), NULL);
		if (strcmp(e->name, "grad") == 0)
			return lw_attr_grad(L, e);
		lw_err(L, e->loc, "unknown attribute '.%s' (there are .T and .grad)", e->name);
		return ERR;
	}
	return ERR;
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
		if (d->expr) {
			shape[i] = lw_dim_expr(L, d->expr, arena_printf(L->A, "a dimension of %s", what), "");
			if (!shape[i])
				return false;
			continue;
		}
		if (!d->name) {
			shape[i] = dim_const(L->dc, d->value);
			continue;
		}
		shape[i] = lw_lookup_dim(L, d->name);
		if (!shape[i]) {
			lw_err(L, d->loc, "dimension '%s' of %s is not a dimension of any parameter", d->name, what);
			return false;
		}
	}
	return lw_check_size(L, t->loc, t->rank, shape);
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
			lw_err(L, r->loc, "result '%s' is none and has no declared type to give its zeros a shape",
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
			lw_err(L, r->loc, "result '%s' is not a tensor", r->name);
		return false;
	}
	const Inst *in = lw_inst(L, v.id);
	int id = v.id;
	if (r->has_type) {
		bool same = in->rank == r->type.rank;
		for (int k = 0; same && k < in->rank; k++)
			same = in->shape[k] == shape[k];
		if (!same || (!v.weak && in->dt != dt_of(L, r->type.dtype))) {
			Buf b;
			buf_init(&b, L->A);
			ir_print_type(&b, dt_of(L, r->type.dtype), r->type.rank, shape);
			lw_err(L, r->loc, "result '%s' is declared %s but its value is %s", r->name, b.data,
			       lw_type_str(L, v));
			buf_free(&b);
			return false;
		}
		if (v.weak)
			id = lw_as_dtype(L, v, dt_of(L, r->type.dtype));
	} else if (v.weak) {
		id = lw_strong(L, v);
	}
	const Inst *fin = lw_inst(L, id);
	out->value = id;
	out->dt = fin->dt;
	out->rank = fin->rank;
	out->shape = fin->shape;
	return true;
}

/* The statement's source position, for the comments of the emitted C (the
 * statements of loop and if bodies are the enclosing function's too). */
void lw_stmt_begin(Lower *L, const Stmt *s)
{
	StmtInfo si = {s->loc, s->last_line};
	VEC_PUSH(L->A, L->root->stmts, si);
	L->f->cur_stmt = L->root->stmts.len - 1;
	L->f->cur_loc = s->loc;
}

void lw_assign(Lower *L, const Stmt *s)
{
	lw_stmt_begin(L, s);
	if (!s->targets) {
		const Ast *e = s->expr;
		bool call = e->kind == AST_CALL && e->a->kind == AST_NAME &&
		            (strcmp(e->a->name, "backward") == 0 || strcmp(e->a->name, "clear_grad") == 0);
		Val v = lw_expr(L, e);
		if (!call && v.kind != V_ERR)
			lw_err(L, e->loc, "this statement has no effect (assign its value to a name)");
		return;
	}
	Val v = lw_expr(L, s->expr);
	if (v.kind == V_ERR) {
		/* keep later uses of the names from cascading */
		for (int i = 0; i < s->ntargets; i++)
			lw_bind(L, s->targets[i], ERR);
		return;
	}
	if (v.kind == V_VOID) {
		lw_err(L, s->expr->loc, "'%s' does not give a value", lw_text_of(L, s->expr));
		return;
	}
	if (v.kind == V_BOOL || v.kind == V_DTYPE) {
		lw_err(L, s->expr->loc, "only tensors can be assigned, not '%s'", lw_text_of(L, s->expr));
		return;
	}
	if (s->ntargets == 1) {
		if (v.kind == V_TUPLE) {
			lw_err(L, s->loc, "'%s' gives %d values; assign them to as many names", lw_text_of(L, s->expr),
			       v.nitems);
			lw_bind(L, s->targets[0], ERR);
			return;
		}
		lw_bind(L, s->targets[0], v);
		return;
	}
	int n = v.kind == V_TUPLE ? v.nitems : 1;
	if (n != s->ntargets) {
		lw_err(L, s->loc, "%d names on the left but '%s' gives %d value%s", s->ntargets, lw_text_of(L, s->expr),
		       n, n == 1 ? "" : "s");
		for (int i = 0; i < s->ntargets; i++)
			lw_bind(L, s->targets[i], ERR);
		return;
	}
	for (int i = 0; i < n; i++)
		lw_bind(L, s->targets[i], v.items[i]);
}

static void lower_body(Lower *L, const FuncAst *fn)
{
	lw_stmts(L, fn->stmts, fn->nstmts);
}

/* The values of fn's results at the end of its body. */
static bool collect_results(Lower *L, const FuncAst *fn, FuncResult *out)
{
	if (L->too_big)
		return false; /* the body was abandoned at the operation limit: nothing more to say */
	bool ok = true;
	for (int i = 0; i < fn->nresults; i++) {
		const Result *r = &fn->results[i];
		Binding *b = lw_lookup(L, r->name);
		if (!b) {
			lw_err(L, r->loc, "result '%s' is never assigned in '%s'", r->name, fn->name);
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
			lw_err(L, call->loc,
			       "'%s' calls itself%s; functions are inlined, so recursion is not supported", fn->name,
			       s == L->scope ? "" : " through other functions");
			return ERR;
		}
	if (L->inline_depth >= LOWER_MAX_INLINE) {
		lw_err(L, call->loc, "calls are nested more than %d deep", LOWER_MAX_INLINE);
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
		if (!lw_bind_args(L, fn->name, pnames, fn->nparams, call, slots))
			return ERR;
	} else {
		if (call->list.n != fn->nparams) {
			lw_err(L, call->loc, "'%s' takes %d arguments, got %d", fn->name, fn->nparams, call->list.n);
			return ERR;
		}
		for (int i = 0; i < fn->nparams; i++) {
			if (call->list.kw[i]) {
				lw_err(L, call->list.kwloc[i], "'%s' has more than 8 parameters: pass them by position",
				       fn->name);
				return ERR;
			}
			slots[i] = call->list.items[i];
		}
	}
	Val *args = arena_array(L->A, (size_t)fn->nparams + 1, sizeof(Val));
	bool ok = true;
	for (int i = 0; i < fn->nparams; i++) {
		args[i] = lw_want(L, slots[i]);
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
		const Inst *in = lw_inst(L, args[i].id);
		bool match = in->rank == p->type.rank && (args[i].weak || in->dt == dt_of(L, p->type.dtype));
		for (int k = 0; match && k < p->type.rank; k++) {
			const DimAst *d = &p->type.dims[k];
			if (d->expr)
				continue; /* below, once every dimension is bound */
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
		if (!match)
			ok = argument_misfit(L, slots[i], fn, p, args[i], NULL, NULL);
	}
	/* the dimension expressions of the parameters' types, in the callee's
	 * dimensions: the checker's normal form proves them equal or not */
	for (int i = 0; i < fn->nparams && ok; i++) {
		const Param *p = &fn->params[i];
		const Inst *in = lw_inst(L, args[i].id);
		for (int k = 0; k < p->type.rank && ok; k++) {
			const DimAst *d = &p->type.dims[k];
			if (!d->expr)
				continue;
			Scope *saved = L->scope;
			L->scope = s;
			const Dim *want = lw_dim_expr(L, d->expr, "a dimension", "");
			L->scope = saved;
			if (!want)
				return ERR;
			if (want != in->shape[k])
				ok = argument_misfit(L, slots[i], fn, p, args[i], d->expr, want);
		}
	}
	if (!ok)
		return ERR;
	/* each parameter is a node of its own; nograd detaches the argument */
	L->scope = s;
	L->inline_depth++;
	for (int i = 0; i < fn->nparams; i++) {
		const Param *p = &fn->params[i];
		int id = args[i].weak ? lw_as_dtype(L, args[i], dt_of(L, p->type.dtype)) : args[i].id;
		bool nograd = p->nograd || dtype_is_int(p->type.dtype); /* integers are never differentiable */
		id = ir_unary(L->f, nograd ? OP_detach : OP_copy, id);
		lw_inst(L, id)->name = p->name;
		lw_bind(L, p->name, lw_tensor(id, false));
		if (!nograd) {
			GradAcc g = {id, lw_none_like(L, lw_tensor(id, false))};
			VEC_PUSH(L->A, s->grads, g);
		}
	}
	Loc saved_loc = L->f->cur_loc;
	int saved_stmt = L->f->cur_stmt;
	LoopCtx *saved_loop = L->loop; /* a break in the callee is not the caller's */
	L->loop = NULL;
	lower_body(L, fn);
	L->loop = saved_loop;
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
			vals[i] = lw_tensor(res[i].value, false);
		}
	}
	if (fn->nresults == 1)
		return vals[0];
	Val t = {.kind = V_TUPLE, .items = vals, .nitems = fn->nresults};
	return t;
}

typedef VEC(const char *) NameVec;

/* The names a dimension expression mentions, appended to names (no
 * repeats). */
static void expr_names(Lower *L, const Ast *e, NameVec *names)
{
	if (!e)
		return;
	if (e->kind == AST_NAME) {
		for (int i = 0; i < names->len; i++)
			if (strcmp(names->data[i], e->name) == 0)
				return;
		VEC_PUSH(L->A, *names, e->name);
		return;
	}
	expr_names(L, e->a, names);
	expr_names(L, e->b, names);
}

static bool alone_in_params(const FuncAst *fn, const char *name)
{
	for (int i = 0; i < fn->nparams; i++)
		for (int k = 0; k < fn->params[i].type.rank; k++)
			if (fn->params[i].type.dims[k].name && strcmp(fn->params[i].type.dims[k].name, name) == 0)
				return true;
	return false;
}

/* The symbolic dimensions of fn, in the order of their first appearance in
 * the parameters' types. Each must appear alone in some parameter's type,
 * which binds it; the expressions (x: f64[2 * n]) are checked against it. */
static void bind_param_dims(Lower *L, const FuncAst *fn)
{
	NameVec names = {0};
	for (int i = 0; i < fn->nparams; i++)
		for (int k = 0; k < fn->params[i].type.rank; k++) {
			const DimAst *d = &fn->params[i].type.dims[k];
			if (d->name) {
				Ast atom = {.kind = AST_NAME, .name = d->name};
				expr_names(L, &atom, &names);
			}
			expr_names(L, d->expr, &names);
		}
	for (int i = 0; i < names.len; i++) {
		const char *n = names.data[i];
		if (alone_in_params(fn, n)) {
			push_dim(L, n, dim_sym(L->dc, n));
			VEC_PUSH(L->A, L->f->dimsyms, n);
			continue;
		}
		for (int p = 0; p < fn->nparams; p++)
			for (int k = 0; k < fn->params[p].type.rank; k++) {
				NameVec in = {0};
				expr_names(L, fn->params[p].type.dims[k].expr, &in);
				for (int j = 0; j < in.len; j++)
					if (strcmp(in.data[j], n) == 0 && !lw_lookup_dim(L, n)) {
						lw_err(L, fn->params[p].type.dims[k].loc,
						       "dimension '%s' appears only inside expressions of the "
						       "parameters' types, which "
						       "cannot bind it; give it alone to some parameter (%s: f64[%s], "
						       "say)",
						       n, fn->params[p].name, n);
						push_dim(L, n, dim_sym(L->dc, n)); /* once */
					}
			}
	}
}

/* A parameter's shape: literals, dimensions and dimension expressions (a
 * size that may come out negative is checked on entry). */
static bool param_shape(Lower *L, const Param *p, const Dim **shape)
{
	for (int k = 0; k < p->type.rank; k++) {
		const DimAst *d = &p->type.dims[k];
		if (d->expr) {
			const char *what =
			    arena_printf(L->A, "dimension '%s' of parameter '%s'", lw_text_of(L, d->expr), p->name);
			shape[k] = lw_dim_expr(L, d->expr, "a dimension", "");
			if (!shape[k] ||
			    !lw_require_ge0(L, d->loc, shape[k], arena_printf(L->A, "%s is negative", what)))
				return false;
		} else {
			shape[k] = d->name ? lw_lookup_dim(L, d->name) : dim_const(L->dc, d->value);
		}
	}
	return lw_check_size(L, p->type.loc, p->type.rank, shape);
}

static Func *lower_function(Lower *L, const FuncAst *fn)
{
	Func *f = ir_func_new(L->A, L->dc, L->src, fn->name);
	f->loc = fn->loc;
	L->f = L->root = f;
	L->too_big = false;
	Scope *s = arena_alloc(L->A, sizeof *s);
	s->fn = fn;
	L->scope = s;
	int errors = L->d->nerrors;
	f->cur_loc = fn->loc;
	bind_param_dims(L, fn);
	for (int i = 0; i < fn->nparams; i++) {
		const Param *p = &fn->params[i];
		const Dim *shape[IR_MAX_RANK];
		if (!param_shape(L, p, shape)) {
			lw_bind(L, p->name, ERR);
			continue;
		}
		f->cur_loc = p->loc;
		/* integers are never differentiable: nograd, marked or not */
		bool nograd = p->nograd || dtype_is_int(p->type.dtype);
		int id = ir_param(f, p->name, dt_of(L, p->type.dtype), p->type.rank, shape, nograd);
		lw_bind(L, p->name, lw_tensor(id, false));
		if (!nograd) {
			GradAcc g = {id, lw_none_like(L, lw_tensor(id, false))};
			VEC_PUSH(L->A, s->grads, g);
		}
	}
	lower_body(L, fn);
	lw_body_deps_finish(L);
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
		lw_err(L, fn->loc, "'%s' is the name of a builtin function", fn->name);
		ok = false;
	}
	for (int i = 0; i < fn->nparams; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(fn->params[i].name, fn->params[j].name) == 0) {
				lw_err(L, fn->params[i].loc, "parameter '%s' is declared twice", fn->params[i].name);
				ok = false;
			}
	for (int i = 0; i < fn->nresults; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(fn->results[i].name, fn->results[j].name) == 0) {
				lw_err(L, fn->results[i].loc, "result '%s' is declared twice", fn->results[i].name);
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
				lw_err(&L, p->funcs[i]->loc, "function '%s' is defined twice (first at line %d)",
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
