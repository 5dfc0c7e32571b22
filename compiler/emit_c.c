/* emit_c.c: readable C99 from optimized IR.
 *
 * Scheduling: every value is either materialized (a parameter, a result
 * buffer, a scratch buffer in caller-provided work memory, a local scalar or
 * a static constant array) or inlined into the loops of the values that use
 * it. Reductions, matrix products and their operands are materialized, and
 * so is an expensive value (transcendental math, division) that more than
 * one loop would otherwise recompute. Each materialized value gets one loop
 * nest (a kernel) that computes it element by element; inside a kernel,
 * a subexpression used more than once at the same index is computed once
 * into a local. */
#include "emit_c.h"

#include "ad_meta.h"
#include "ad_meta_text.h"
#include "names.h"
#include "schedule.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Index {
	int rank;
	const char **ax; /* per-axis index expressions, or NULL if linear */
	const char *lin; /* linear element offset (when ax is NULL) */
} Index;

typedef struct CacheEnt {
	const char *key;
	const char *expr; /* local name once emitted */
	int count;
} CacheEnt;

typedef struct Emit {
	Arena *A;
	Func *f;
	const EmitOptions *o;
	Names *names;         /* the C names taken, scoped by kernels */
	const char **dimname; /* per symbolic dim */
	Schedule *S;          /* fusion and buffer reuse (fuse.c, reuse.c) */
	int *mat;             /* S->mat: where each value lives */
	int *result_of;       /* S->result_of */
	int *uses;            /* S->uses */
	const char **home;    /* the C name of each stored value */
	/* kernel state */
	Buf *body;
	int depth;
	bool counting;
	VEC(CacheEnt) cache;
	VEC(int) named; /* cache entries given a C name since the innermost branch began */
	int branches;   /* how many guarded branches the expression being built is inside */
	int last_stmt;
	bool predeclared;      /* scalar locals are declared up front (guarded kernels) */
	const char *guard;     /* the next kernel runs only if this holds (optional outputs) */
	Buf *report;           /* --emit=memory: the scratch buffers, one a line */
	const char *saved_arg; /* the saved buffer's argument (forward/backward pairs) */
} Emit;

/* ---------------------------------------------------------------- names */

/* clang-format off */
static const char *const reserved[] = {
    /* C keywords */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
    "_Complex", "_Imaginary", "bool", "true", "false", "main",
    /* what the emitted code uses from the C library */
    "abs", "fabs", "fabsf", "sqrt", "sqrtf", "exp", "expf", "expm1", "expm1f", "log", "logf", "log1p", "log1pf",
    "sin", "sinf", "cos", "cosf", "tan", "tanf", "asin", "asinf", "acos", "acosf", "atan", "atanf", "sinh",
    "sinhf", "cosh", "coshf", "tanh", "tanhf", "erf", "erff", "floor", "floorf", "ceil", "ceilf", "nearbyint",
    "nearbyintf", "pow", "powf", "atan2", "atan2f", "fmax", "fmaxf", "fmin", "fminf", "malloc", "free", "memset",
    "memcpy", "size_t", "int64_t", "int32_t", "uint64_t", "SIZE_MAX", "INT64_MAX", "INFINITY", "NAN", "NULL",
    "work", "size", "err", "errno", "math", "stdint", "stdlib", "string", "exit", "abort", "printf",
};
/* clang-format on */

/* The names of a function start with C's and the C library's, taken. */
static void names_init(Emit *E)
{
	E->names = names_new(E->A);
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		names_add(E->names, reserved[i]);
}

/* Names C reserves (a leading underscore) or the emitted code's own
 * (ad_, AD_) get a leading v: _x becomes v_x. */
static const char *unreserved(Emit *E, const char *s)
{
	if (strncmp(s, "ad_", 3) == 0 || strncmp(s, "AD_", 3) == 0 || s[0] == '_')
		return arena_printf(E->A, "v%s", s);
	return s;
}

/* A C name based on `base`, unique in this function: base, else base_2,
 * base_3, ... */
static const char *fresh(Emit *E, const char *base)
{
	return names_fresh(E->names, unreserved(E, base));
}

/* A user-visible name: kept as written unless it clashes, then given a
 * trailing underscore. */
static const char *user_name(Emit *E, const char *base)
{
	const char *s = unreserved(E, base);
	while (names_has(E->names, s))
		s = arena_printf(E->A, "%s_", s);
	names_add(E->names, s);
	return s;
}

static const char *dim_cname(void *ctx, const char *sym)
{
	Emit *E = ctx;
	for (int i = 0; i < E->f->dimsyms.len; i++)
		if (strcmp(E->f->dimsyms.data[i], sym) == 0)
			return E->dimname[i];
	ICE("dimension %s has no C name", sym);
}

static const char *dim_c(Emit *E, const Dim *d)
{
	Buf b;
	buf_init(&b, E->A);
	dim_print_c(&b, d, dim_cname, E);
	return buf_finish(&b, E->A);
}

static bool simple_expr(const char *s)
{
	/* an identifier, a number, x[...], f(...) or a fully parenthesized one */
	size_t n = strlen(s);
	if (n == 0)
		return true;
	if (s[0] == '(') {
		int depth = 0;
		for (size_t i = 0; i < n; i++) {
			depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
			if (depth == 0 && i != n - 1)
				return false;
		}
		return true;
	}
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '(' || c == '[')
			depth++;
		else if (c == ')' || c == ']')
			depth--;
		else if (depth == 0 && (c == ' ' || c == '+' || c == '*' || c == '/' || c == '?' || c == '<' ||
		                        c == '>' || c == '=' || c == '!' || (c == '-' && i > 0 && s[i - 1] != 'e')))
			return false;
	}
	return s[0] != '-';
}

static const char *paren(Emit *E, const char *s)
{
	return simple_expr(s) ? s : arena_printf(E->A, "(%s)", s);
}

static const char *ctype(DType dt)
{
	return dt == DT_F64 ? "double" : "float";
}

static const char *literal(Emit *E, double v, DType dt)
{
	char s[48];
	if (v != v)
		return dt == DT_F32 ? "(float)NAN" : "NAN";
	if (v == INFINITY || v == -INFINITY) {
		const char *inf = v > 0 ? "INFINITY" : "(-INFINITY)";
		return dt == DT_F32 ? arena_printf(E->A, "(float)%s", inf) : inf;
	}
	fmt_shortest(s, sizeof s, v, dt == DT_F32);
	if (!strpbrk(s, ".e"))
		strcat(s, ".0");
	const char *r = arena_printf(E->A, "%s%s", s, dt == DT_F32 ? "f" : "");
	return v < 0 || (v == 0 && 1 / v < 0) ? arena_printf(E->A, "(%s)", r) : r;
}

/* ---------------------------------------------------------------- scheduling */

/* ---------------------------------------------------------------- index expressions */ /* ----------------------------------------------------------------
                                                                                            index expressions */

static const char *offset(Emit *E, const Inst *buf, const Index *ix)
{
	if (!ix->ax)
		return ix->lin;
	const char *off = NULL;
	for (int k = 0; k < buf->rank; k++) {
		int64_t d;
		bool one = dim_is_const(buf->shape[k], &d) && d == 1;
		if (off && !one)
			off = arena_printf(E->A, "%s * %s", paren(E, off), paren(E, dim_c(E, buf->shape[k])));
		const char *i = ix->ax[k];
		if (strcmp(i, "0") == 0)
			continue;
		off = off ? arena_printf(E->A, "%s + %s", off, i) : i;
	}
	return off ? off : "0";
}

/* The linear offset of an index in `shape`. */
static const char *linear(Emit *E, const Inst *in, const Index *ix)
{
	return offset(E, in, ix);
}

static Index mk_index(Emit *E, int rank)
{
	Index ix = {rank, arena_array(E->A, (size_t)rank + 1, sizeof(char *)), NULL};
	return ix;
}

static const char *shift(Emit *E, const char *i, const char *start, int64_t step)
{
	/* start + step * i */
	const char *scaled = i;
	if (step == -1)
		scaled = NULL;
	else if (step != 1)
		scaled = arena_printf(E->A, "%" PRId64 " * %s", step, paren(E, i));
	if (strcmp(start, "0") == 0)
		return scaled ? scaled : arena_printf(E->A, "-%s", paren(E, i));
	if (!scaled)
		return arena_printf(E->A, "%s - %s", start, paren(E, i));
	if (strcmp(i, "0") == 0)
		return start;
	return arena_printf(E->A, "%s + %s", scaled, paren(E, start));
}

/* ---------------------------------------------------------------- expressions */

/* A name, a number or a load x[...]: cheap to repeat. */
static bool trivial(const char *s)
{
	const char *p = s;
	while (*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= 'A' && *p <= 'Z'))
		p++;
	if (p == s)
		return false;
	if (*p == 0)
		return true;
	size_t n = strlen(p);
	return *p == '[' && p[n - 1] == ']' && !strchr(p + 1, '[') && !strchr(p, '(');
}

/* An expression without redundant outer parentheses, for a statement. */
static const char *strip(Emit *E, const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || s[0] != '(' || s[n - 1] != ')')
		return s;
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
		if (depth == 0 && i != n - 1)
			return s; /* "(a) + (b)" */
	}
	return arena_strndup(E->A, s + 1, n - 2);
}

static const char *ex(Emit *E, int v, Index ix);

static void line(Emit *E, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(Emit *E, const char *fmt, ...)
{
	if (E->counting)
		return;
	buf_indent(E->body, E->depth);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(E->body, fmt, ap);
	va_end(ap);
	buf_putc(E->body, '\n');
}

static const char *load(Emit *E, int v, Index ix)
{
	const Inst *in = ir_inst(E->f, v);
	if (E->mat[v] == M_LOCAL)
		return E->home[v];
	if (in->rank == 0 && !ix.ax && strcmp(ix.lin, "0") != 0)
		return arena_printf(E->A, "%s[0]", E->home[v]);
	return arena_printf(E->A, "%s[%s]", E->home[v], offset(E, in, &ix));
}

static const char *key_of(Emit *E, int v, Index ix)
{
	Buf b;
	buf_init(&b, E->A);
	buf_printf(&b, "%d", v);
	if (ix.ax)
		for (int k = 0; k < ix.rank; k++)
			buf_printf(&b, "|%s", ix.ax[k]);
	else
		buf_printf(&b, "#%s", ix.lin);
	return buf_finish(&b, E->A);
}

static CacheEnt *cache_find(Emit *E, const char *key)
{
	for (int i = E->cache.len - 1; i >= 0; i--)
		if (strcmp(E->cache.data[i].key, key) == 0)
			return &E->cache.data[i];
	return NULL;
}

/* The operand index an inlined shape op reads for result index ix. */
static Index map_index(Emit *E, const Inst *in, Index ix, int k, const char **guard)
{
	Func *f = E->f;
	const Inst *a = ir_inst(f, in->args[k]);
	*guard = NULL;
	switch (in->op) {
	case OP_broadcast: {
		if (!ix.ax)
			ICE("broadcast read through a linear index");
		Index o = mk_index(E, a->rank);
		for (int i = 0; i < a->rank; i++) {
			int j = in->rank - a->rank + i;
			int64_t d;
			bool one = dim_is_const(a->shape[i], &d) && d == 1;
			o.ax[i] = one ? "0" : ix.ax[j];
		}
		return o;
	}
	case OP_reshape: {
		int map[IR_MAX_RANK];
		if (ix.ax && sched_unit_reshape(in, a, map)) {
			Index o = mk_index(E, a->rank);
			for (int i = 0; i < a->rank; i++)
				o.ax[i] = "0";
			for (int i = 0; i < in->rank; i++)
				if (map[i] >= 0)
					o.ax[map[i]] = ix.ax[i];
			return o;
		}
		Index o = {a->rank, NULL, linear(E, in, &ix)};
		return o;
	}
	case OP_transpose: {
		Index o = mk_index(E, a->rank);
		for (int i = 0; i < in->rank; i++)
			o.ax[in->ints[i]] = ix.ax[i];
		return o;
	}
	case OP_slice: {
		Index o = mk_index(E, a->rank);
		for (int i = 0; i < in->rank; i++)
			o.ax[i] = shift(E, ix.ax[i], dim_c(E, in->dims[i]), in->ints[i]);
		return o;
	}
	case OP_unslice: {
		/* result[start + step*j] = operand[j]; zero elsewhere */
		Index o = mk_index(E, a->rank);
		Buf g;
		buf_init(&g, E->A);
		for (int i = 0; i < in->rank; i++) {
			const char *start = dim_c(E, in->dims[i]);
			int64_t step = in->ints[i];
			const char *d = strcmp(start, "0") == 0
			                    ? ix.ax[i]
			                    : arena_printf(E->A, "%s - %s", ix.ax[i], paren(E, start));
			bool full = strcmp(start, "0") == 0 && step == 1 && a->shape[i] == in->shape[i];
			if (full) {
				o.ax[i] = ix.ax[i];
				continue;
			}
			const char *len = dim_c(E, a->shape[i]);
			if (step == 1) {
				o.ax[i] = d;
				if (strcmp(start, "0") != 0)
					buf_printf(&g, "%s%s >= %s", g.len ? " && " : "", ix.ax[i], paren(E, start));
				buf_printf(&g, "%s%s < %s", g.len ? " && " : "", paren(E, d), paren(E, len));
			} else {
				int64_t s = step < 0 ? -step : step;
				const char *dd =
				    step < 0 ? arena_printf(E->A, "%s - %s", start, paren(E, ix.ax[i])) : d;
				o.ax[i] = arena_printf(E->A, "%s / %" PRId64, paren(E, dd), s);
				buf_printf(&g, "%s%s >= 0 && %s %% %" PRId64 " == 0 && %s / %" PRId64 " < %s",
				           g.len ? " && " : "", paren(E, dd), paren(E, dd), s, paren(E, dd), s,
				           paren(E, len));
			}
		}
		*guard = g.len ? buf_finish(&g, E->A) : NULL;
		if (!*guard)
			buf_free(&g);
		return o;
	}
	case OP_concat: {
		int axis = (int)in->ints[0];
		const Dim *off = dim_const(f->dc, 0);
		for (int j = 0; j < k; j++)
			off = dim_add(f->dc, off, ir_inst(f, in->args[j])->shape[axis]);
		Index o = mk_index(E, a->rank);
		for (int i = 0; i < a->rank; i++)
			o.ax[i] = ix.ax[i];
		const char *os = dim_c(E, off);
		if (strcmp(os, "0") != 0)
			o.ax[axis] = arena_printf(E->A, "%s - %s", ix.ax[axis], paren(E, os));
		return o;
	}
	default: return ix;
	}
}

static const char *subst(Emit *E, const Inst *in, const char *const *ops)
{
	const char *t = op_info[in->op].c;
	Buf b;
	buf_init(&b, E->A);
	for (const char *p = t; *p; p++) {
		if (*p == '$' && p[1] >= '0' && p[1] <= '2') {
			buf_puts(&b, paren(E, ops[p[1] - '0']));
			p++;
		} else if (*p == '$' && p[1] == 'T') {
			buf_puts(&b, ctype(in->dt));
			p++;
		} else if (*p == '@') {
			if (in->dt == DT_F32)
				buf_putc(&b, 'f');
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_finish(&b, E->A);
}

static int template_uses(const char *t, int k)
{
	int n = 0;
	for (const char *p = t; *p; p++)
		if (p[0] == '$' && p[1] == '0' + k)
			n++;
	return n;
}

/* One way of a selection (a concat's part, an unslice's window): the
 * expression, and the statements that compute its locals. They may read
 * arrays at indices that are valid only where the guard holds, so they run
 * only there: a selection whose branches need statements becomes an
 * if/else chain instead of a ?: expression. */
typedef struct Branch {
	const char *guard; /* NULL for the last (else) branch */
	const char *expr;
	Buf lines; /* statements, one level deeper than the selection */
} Branch;

static void branch_eval(Emit *E, int v, Index ix, Branch *br)
{
	if (E->counting) {
		br->expr = ex(E, v, ix);
		return;
	}
	Buf *outer = E->body;
	int mark = E->named.len;
	buf_init(&br->lines, E->A);
	E->body = &br->lines;
	E->depth++;
	E->branches++;
	br->expr = ex(E, v, ix);
	E->branches--;
	E->depth--;
	E->body = outer;
	/* the names made inside are out of scope after the branch */
	for (int i = mark; i < E->named.len; i++)
		E->cache.data[E->named.data[i]].expr = NULL;
	E->named.len = mark;
}

static const char *select_branch(Emit *E, const Inst *in, Branch *br, int n)
{
	bool stmts = false;
	for (int k = 0; k < n && !E->counting; k++)
		stmts = stmts || br[k].lines.len > 0;
	if (!stmts) {
		const char *e = br[n - 1].expr;
		for (int k = n - 2; k >= 0; k--)
			e = arena_printf(E->A, "%s ? %s : %s", br[k].guard, br[k].expr, e);
		for (int k = 0; k < n && !E->counting; k++)
			buf_free(&br[k].lines);
		return arena_printf(E->A, "(%s)", e);
	}
	const char *t = fresh(E, in->name ? in->name : "t");
	line(E, "%s %s;", ctype(in->dt), t);
	for (int k = 0; k < n; k++) {
		if (k == 0)
			line(E, "if (%s) {", br[k].guard);
		else if (br[k].guard)
			line(E, "} else if (%s) {", br[k].guard);
		else
			line(E, "} else {");
		buf_puts(E->body, br[k].lines.data ? br[k].lines.data : "");
		buf_free(&br[k].lines);
		E->depth++;
		line(E, "%s = %s;", t, strip(E, br[k].expr));
		E->depth--;
	}
	line(E, "}");
	return t;
}

static const char *compute(Emit *E, int v, Index ix)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	switch (in->op) {
	case OP_const: return literal(E, in->nums[0], in->dt);
	case OP_iota: {
		const char *i = ix.ax ? ix.ax[0] : ix.lin;
		double start = in->nums[0], delta = in->nums[1];
		if (in->flags & IF_LINSPACE) { /* NumPy: computed in double, last = stop */
			const char *last = dim_c(E, dim_sub(f->dc, in->shape[0], dim_const(f->dc, 1)));
			const char *e = arena_printf(E->A, "%s == %s ? %s : %s + (double)%s * %s", paren(E, i),
			                             paren(E, last), literal(E, in->nums[2], DT_F64),
			                             literal(E, start, DT_F64), paren(E, i), literal(E, delta, DT_F64));
			return in->dt == DT_F32 ? arena_printf(E->A, "(float)(%s)", e) : arena_printf(E->A, "(%s)", e);
		}
		/* NumPy's arange fill, in the array's dtype */
		const char *ii = arena_printf(E->A, "(%s)%s", ctype(in->dt), paren(E, i));
		if (start == 0 && delta == 1)
			return ii;
		if (start == 0)
			return arena_printf(E->A, "%s * %s", ii, literal(E, delta, in->dt));
		return arena_printf(E->A, "%s + %s * %s", literal(E, start, in->dt), ii, literal(E, delta, in->dt));
	}
	case OP_dimval: return arena_printf(E->A, "(%s)%s", ctype(in->dt), paren(E, dim_c(E, in->dims[0])));
	default: break;
	}
	const OpInfo *info = &op_info[in->op];
	if (info->kind == K_EW) {
		const char *ops[3];
		for (int k = 0; k < in->nargs; k++) {
			ops[k] = ex(E, in->args[k], ix);
			/* an operand the template repeats is computed once */
			if (template_uses(info->c, k) > 1 && !trivial(ops[k])) {
				const char *t = E->counting ? "t" : fresh(E, "t");
				line(E, "const %s %s = %s;", ctype(ir_inst(f, in->args[k])->dt), t, strip(E, ops[k]));
				ops[k] = t;
			}
		}
		return subst(E, in, ops);
	}
	if (info->kind == K_SHAPE) {
		if (in->op == OP_concat) {
			/* operand k where the index lies in its part of the axis */
			int axis = (int)in->ints[0];
			Branch *br = arena_array(E->A, (size_t)in->nargs, sizeof *br);
			const Dim *upto = dim_const(f->dc, 0);
			for (int k = 0; k < in->nargs; k++) {
				const char *g;
				upto = dim_add(f->dc, upto, ir_inst(f, in->args[k])->shape[axis]);
				if (k + 1 < in->nargs)
					br[k].guard =
					    arena_printf(E->A, "%s < %s", ix.ax[axis], paren(E, dim_c(E, upto)));
				branch_eval(E, in->args[k], map_index(E, in, ix, k, &g), &br[k]);
			}
			return select_branch(E, in, br, in->nargs);
		}
		const char *guard;
		Index o = map_index(E, in, ix, 0, &guard);
		if (!guard)
			return ex(E, in->args[0], o);
		/* the operand inside its window, zero outside */
		Branch br[2] = {{.guard = guard}, {.expr = "0"}};
		branch_eval(E, in->args[0], o, &br[0]);
		return select_branch(E, in, br, 2);
	}
	ICE("%s cannot be inlined", info->name);
}

static const char *ex(Emit *E, int v, Index ix)
{
	if (E->mat[v] != M_INLINE)
		return load(E, v, ix);
	const Inst *in = ir_inst(E->f, v);
	if (in->op == OP_const || in->op == OP_dimval)
		return compute(E, v, ix);
	const char *key = key_of(E, v, ix);
	CacheEnt *c = cache_find(E, key);
	if (E->counting) {
		if (c) {
			c->count++;
			return "t";
		}
		CacheEnt ne = {key, NULL, 1};
		VEC_PUSH(E->A, E->cache, ne);
		return compute(E, v, ix);
	}
	if (c && c->expr)
		return c->expr;
	const char *e = compute(E, v, ix);
	bool shape_op = op_info[in->op].kind == K_SHAPE && in->op != OP_concat && in->op != OP_unslice;
	/* inside a guarded branch a long expression stays where it is: a local
	 * would turn the branch's ?: into statements */
	bool long_ = strlen(e) > 100 && !E->branches;
	if (c && !shape_op && ((c->count > 1 && !trivial(e)) || long_)) {
		const char *name = fresh(E, in->name ? in->name : "t");
		line(E, "const %s %s = %s;", ctype(in->dt), name, e);
		e = name;
	}
	if (c && trivial(e)) {
		c->expr = e; /* valid until the branch it was made in ends */
		VEC_PUSH(E->A, E->named, (int)(c - E->cache.data));
	}
	return e;
}

/* ---------------------------------------------------------------- kernels */

static const char *loop_var(Emit *E, int k)
{
	static const char *const names[] = {"i", "j", "k", "l"};
	return fresh(E, k < 4 ? names[k] : arena_printf(E->A, "i%d", k));
}

/* Open loops over shape; returns the index. Axes of constant size 1 get no
 * loop. The innermost loop is marked for vectorization when `vec` (AD_VEC_:
 * `#pragma omp simd` when the code is built with -DAD_SIMD). */
static Index open_loops_at(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec, int first);

static Index open_loops_vec(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec)
{
	return open_loops_at(E, rank, shape, nopen, vec, 0);
}

/* The same, naming the loop variables from axis `first` on (i, j, k, ...). */
static Index open_loops_at(Emit *E, int rank, const Dim **shape, int *nopen, const char *vec, int first)
{
	Index ix = mk_index(E, rank);
	*nopen = 0;
	int last = -1, outer = -1;
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (!(dim_is_const(shape[k], &d) && d == 1)) {
			last = k;
			if (outer < 0)
				outer = k;
		}
	}
	/* an inner size of 0 must not leave the outer loops spinning through
	 * their (possibly huge) ranges for nothing */
	Buf cond;
	buf_init(&cond, E->A);
	for (int k = outer + 1; outer >= 0 && k < rank; k++) {
		int64_t d;
		bool known = dim_is_const(shape[k], &d);
		if (known && d != 0)
			continue;
		buf_printf(&cond, "%s%s", cond.len ? " && " : "",
		           known ? "0" : arena_printf(E->A, "%s != 0", dim_c(E, shape[k])));
	}
	if (cond.len) {
		line(E, "if (%s) {", cond.data);
		E->depth++;
		(*nopen)++;
	}
	buf_free(&cond);
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (dim_is_const(shape[k], &d) && d == 1) {
			ix.ax[k] = "0";
			continue;
		}
		const char *i = loop_var(E, first + k);
		ix.ax[k] = i;
		if (k == last && vec)
			line(E, "%s", vec);
		line(E, "for (int64_t %s = 0; %s < %s; %s++) {", i, i, dim_c(E, shape[k]), i);
		E->depth++;
		(*nopen)++;
	}
	return ix;
}

static Index open_loops(Emit *E, int rank, const Dim **shape, int *nopen)
{
	return open_loops_vec(E, rank, shape, nopen, "AD_VEC_");
}

static void close_loops(Emit *E, int n)
{
	for (int k = 0; k < n; k++) {
		E->depth--;
		line(E, "}");
	}
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

static void kernel_begin(Emit *E, Kernel *k, const char *decl, const char *local)
{
	k->names_mark = names_mark(E->names);
	k->outer = E->body;
	k->decl = decl;
	k->local = local;
	k->guard = E->guard;
	E->guard = NULL;
	buf_init(&k->buf, E->A);
	E->body = &k->buf;
	E->depth++;
}

static void kernel_end(Emit *E, Kernel *k)
{
	E->depth--;
	E->body = k->outer;
	names_release(E->names, k->names_mark);
	const char *text = k->buf.data ? k->buf.data : "";
	int ind = 4 * (E->depth + 1), top = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int sp = 0;
		while (p[sp] == ' ')
			sp++;
		if (sp == ind && p[sp] != '}')
			top++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (k->guard && top <= 1) {
		/* if (guard) STATEMENT */
		line(E, "if (%s)", k->guard);
		buf_puts(E->body, text);
	} else if (k->guard) {
		line(E, "if (%s) {", k->guard);
		buf_puts(E->body, text);
		line(E, "}");
	} else if (top <= 1) {
		/* one statement: no braces, one level less indentation */
		for (const char *p = text; *p;) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			size_t skip = len >= 4 ? 4 : 0;
			if (k->decl && p == text)
				buf_printf(E->body, "%*sconst %s ", 4 * E->depth, "", k->decl), skip = (size_t)ind;
			buf_put(E->body, p + skip, len - skip);
			buf_putc(E->body, '\n');
			p = nl ? nl + 1 : p + len;
		}
	} else {
		if (k->decl)
			line(E, "%s %s;", k->decl, k->local);
		line(E, "{");
		buf_puts(E->body, text);
		line(E, "}");
	}
	buf_free(&k->buf);
}

/* dst[offset(ix)] = value of v at ix, with a counting pass first so that
 * subexpressions used twice become locals. */
static void store_elementwise(Emit *E, int v, const char *dst)
{
	const Inst *in = ir_inst(E->f, v);
	Kernel K;
	bool local = in->rank == 0 && E->mat[v] == M_LOCAL;
	kernel_begin(E, &K, local && !E->predeclared ? ctype(in->dt) : NULL, dst);
	int nopen;
	Index ix = open_loops(E, in->rank, in->shape, &nopen);
	E->cache.len = 0;
	E->counting = true;
	int mat = E->mat[v];
	E->mat[v] = M_INLINE;
	compute(E, v, ix);
	E->counting = false;
	const char *e = compute(E, v, ix);
	E->mat[v] = mat;
	if (local)
		line(E, "%s = %s;", dst, strip(E, e));
	else
		line(E, "%s[%s] = %s;", dst, offset(E, in, &ix), strip(E, e));
	close_loops(E, nopen);
	kernel_end(E, &K);
}

static const char *reduce_init(Op op)
{
	switch (op) {
	case OP_prod: return "1";
	case OP_max: return "-INFINITY";
	case OP_min: return "INFINITY";
	default: return "0";
	}
}

/* A sum over leading axes (the bias gradient of a batch): row by row, in
 * memory order, adding each row into the result (in its dtype). */
static void emit_sum_rows(Emit *E, int v, const bool *red)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *x = ir_inst(f, in->args[0]);
	const char *dst = E->home[v];
	Kernel K;
	kernel_begin(E, &K, NULL, NULL);
	const Dim *rshape[IR_MAX_RANK];
	int nr = 0;
	for (int k = 0; k < x->rank; k++)
		if (red[k])
			rshape[nr++] = x->shape[k];
	int nopen, names = names_mark(E->names);
	Index oix = open_loops_at(E, in->rank, in->shape, &nopen, "AD_VEC_", nr);
	line(E, "%s[%s] = 0;", dst, offset(E, in, &oix));
	close_loops(E, nopen);
	names_release(E->names, names); /* the same names serve the next loops */
	int nouter;
	Index rix = open_loops_vec(E, nr, rshape, &nouter, NULL);
	int ninner;
	Index kix = open_loops_at(E, in->rank, in->shape, &ninner, "AD_VEC_", nr);
	Index xi = mk_index(E, x->rank);
	for (int k = 0, r = 0, o = 0; k < x->rank; k++)
		xi.ax[k] = red[k] ? rix.ax[r++] : kix.ax[o++];
	E->cache.len = 0;
	E->counting = true;
	ex(E, in->args[0], xi);
	E->counting = false;
	line(E, "%s[%s] += %s;", dst, offset(E, in, &kix), strip(E, ex(E, in->args[0], xi)));
	close_loops(E, ninner);
	close_loops(E, nouter);
	kernel_end(E, &K);
}

static void emit_reduce(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *x = ir_inst(f, in->args[0]);
	const char *dst = E->home[v];
	if (in->op == OP_sum && in->rank > 0 && E->mat[v] != M_LOCAL) {
		/* reduced axes all before the kept ones, and the kept ones at least
		 * 8 elements: go through memory in order */
		bool red[IR_MAX_RANK] = {0}, prefix = true;
		for (int k = 0; k < in->nints; k++)
			red[in->ints[k]] = true;
		for (int k = 1; k < x->rank; k++)
			prefix = prefix && !(red[k] && !red[k - 1]);
		int64_t kept = ir_numel_const(in);
		if (prefix && red[0] && (kept < 0 || kept >= 8)) {
			emit_sum_rows(E, v, red);
			return;
		}
	}
	/* the kept axes outside, the reduced axes inside */
	const Dim *outer[IR_MAX_RANK];
	int no = 0;
	bool red[IR_MAX_RANK] = {0};
	for (int k = 0; k < in->nints; k++)
		red[in->ints[k]] = true;
	for (int k = 0; k < x->rank; k++)
		if (!red[k])
			outer[no++] = x->shape[k];
	if (E->mat[v] == M_LOCAL && !E->predeclared)
		line(E, "%s %s;", ctype(in->dt), dst);
	Kernel K;
	kernel_begin(E, &K, NULL, NULL);
	int nopen;
	Index oix = open_loops_vec(E, no, outer, &nopen, NULL);
	const char *acct = in->op == OP_max || in->op == OP_min ? ctype(in->dt) : "double";
	const char *acc = fresh(E, "acc");
	line(E, "%s %s = %s;", acct, acc, reduce_init(in->op));
	Index xi = mk_index(E, x->rank);
	int ninner = 0, last = -1;
	for (int k = 0; k < x->rank; k++) {
		int64_t d;
		if (red[k] && !(dim_is_const(x->shape[k], &d) && d == 1))
			last = k;
	}
	/* an inner reduced size of 0: the outer reduced loops have nothing to do */
	Buf empty;
	buf_init(&empty, E->A);
	for (int k = 0, first = -1; k < x->rank; k++) {
		int64_t d;
		bool known = dim_is_const(x->shape[k], &d);
		if (!red[k] || (known && d == 1))
			continue;
		if (first >= 0 && !(known && d != 0))
			buf_printf(&empty, "%s%s", empty.len ? " && " : "",
			           known ? "0" : arena_printf(E->A, "%s != 0", dim_c(E, x->shape[k])));
		if (first < 0)
			first = k;
	}
	if (empty.len) {
		line(E, "if (%s) {", empty.data);
		E->depth++;
		ninner++;
	}
	buf_free(&empty);
	for (int k = 0, o = 0; k < x->rank; k++) {
		if (!red[k]) {
			xi.ax[k] = oix.ax[o++];
			continue;
		}
		int64_t d;
		if (dim_is_const(x->shape[k], &d) && d == 1) {
			xi.ax[k] = "0";
			continue;
		}
		const char *i = loop_var(E, k);
		xi.ax[k] = i;
		/* sums and products vectorize with reassociation (AD_SIMD builds) */
		if (k == last && (in->op == OP_sum || in->op == OP_norm))
			line(E, "AD_VEC_SUM_(%s)", acc);
		else if (k == last && in->op == OP_prod)
			line(E, "AD_VEC_PROD_(%s)", acc);
		line(E, "for (int64_t %s = 0; %s < %s; %s++) {", i, i, dim_c(E, x->shape[k]), i);
		E->depth++;
		ninner++;
	}
	E->cache.len = 0;
	E->counting = true;
	ex(E, in->args[0], xi);
	E->counting = false;
	const char *e = strip(E, ex(E, in->args[0], xi));
	switch (in->op) {
	case OP_sum: line(E, "%s += %s;", acc, e); break;
	case OP_prod: line(E, "%s *= %s;", acc, e); break;
	case OP_norm: {
		const char *t = fresh(E, "t");
		line(E, "const double %s = %s;", t, e);
		line(E, "%s += %s * %s;", acc, t, t);
		break;
	}
	default: {
		const char *t = fresh(E, "t");
		line(E, "const %s %s = %s;", ctype(in->dt), t, e);
		line(E, "if (%s %s %s || %s != %s)", t, in->op == OP_max ? ">" : "<", acc, t, t);
		line(E, "    %s = %s;", acc, t);
		break;
	}
	}
	close_loops(E, ninner);
	const char *fin = in->op == OP_norm ? arena_printf(E->A, "sqrt(%s)", acc) : acc;
	if (strcmp(acct, ctype(in->dt)) != 0)
		fin = arena_printf(E->A, "(%s)%s", ctype(in->dt), paren(E, fin));
	if (E->mat[v] == M_LOCAL)
		line(E, "%s = %s;", dst, fin);
	else
		line(E, "%s[%s] = %s;", dst, offset(E, in, &oix), fin);
	close_loops(E, nopen);
	kernel_end(E, &K);
}

static void emit_matmul(Emit *E, int v)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	const Inst *A = ir_inst(f, in->args[0]), *B = ir_inst(f, in->args[1]);
	bool ta = in->ints[0], tb = in->ints[1];
	int r = in->rank;
	const char *c = E->home[v], *a = E->home[in->args[0]], *b = E->home[in->args[1]];
	const char *m = dim_c(E, in->shape[r - 2]), *n = dim_c(E, in->shape[r - 1]);
	const char *kk = dim_c(E, A->shape[r - 1 - ta]);
	Kernel K;
	kernel_begin(E, &K, NULL, NULL);
	/* one product per batch element */
	int nopen;
	Index bix = open_loops_vec(E, r - 2, in->shape, &nopen, NULL);
	Index z = mk_index(E, r);
	for (int i = 0; i < r - 2; i++)
		z.ax[i] = bix.ax[i];
	z.ax[r - 2] = z.ax[r - 1] = "0";
	const char *cb = offset(E, in, &z), *ab = offset(E, A, &z), *bb = offset(E, B, &z);
	const char *ap = strcmp(ab, "0") ? arena_printf(E->A, "%s + %s", a, paren(E, ab)) : a;
	const char *bp = strcmp(bb, "0") ? arena_printf(E->A, "%s + %s", b, paren(E, bb)) : b;
	const char *cp = strcmp(cb, "0") ? arena_printf(E->A, "%s + %s", c, paren(E, cb)) : c;
	line(E, "ad_gemm_%s_(%d, %d, %s, %s, %s, %s, %s, %s);", in->dt == DT_F64 ? "f64" : "f32", ta, tb, m, n, kk, ap,
	     bp, cp);
	close_loops(E, nopen);
	kernel_end(E, &K);
}

/* ---------------------------------------------------------------- functions */

static const char *numel_c(Emit *E, int rank, const Dim **shape)
{
	if (rank == 0)
		return "1";
	Buf b;
	buf_init(&b, E->A);
	for (int k = 0; k < rank; k++) {
		int64_t d;
		if (dim_is_const(shape[k], &d) && d == 1)
			continue;
		if (b.len)
			buf_puts(&b, " * ");
		buf_puts(&b, paren(E, dim_c(E, shape[k])));
	}
	return b.len ? buf_finish(&b, E->A) : "1";
}

static void comment_stmt(Emit *E, int v)
{
	const Inst *in = ir_inst(E->f, v);
	if (!E->o->comments || in->stmt < 0 || in->stmt == E->last_stmt)
		return;
	E->last_stmt = in->stmt;
	const StmtInfo *s = &E->f->stmts.data[in->stmt];
	Buf b;
	buf_init(&b, E->A);
	for (int l = s->loc.line; l <= s->last_line && l <= s->loc.line + 3; l++) {
		int len;
		const char *p = src_line(E->f->src, l, &len);
		if (l > s->loc.line)
			buf_puts(&b, " ");
		for (int i = 0; i < len; i++) {
			char c = p[i];
			if (c == '\t')
				c = ' ';
			if ((unsigned char)c < 32 || (unsigned char)c >= 127)
				c = '?';
			/* nothing in a comment may end it, start a trigraph or continue the line */
			if ((c == '/' && b.len && b.data[b.len - 1] == '*') ||
			    (c == '?' && b.len && b.data[b.len - 1] == '?') || c == '\\')
				buf_putc(&b, ' ');
			buf_putc(&b, c);
		}
	}
	/* trim leading spaces */
	const char *t = b.data ? b.data : "";
	while (*t == ' ')
		t++;
	if (!E->counting) {
		buf_putc(E->body, '\n');
		buf_indent(E->body, E->depth);
		buf_printf(E->body, "/* %s:%d: %s */\n", E->f->src->name, s->loc.line, t);
	}
	buf_free(&b);
}

/* Every stored array's element count must stay within 2^48. One check per
 * distinct count; of counts that are constant multiples of one product of
 * dimensions (784*b, 10*b), only the largest is checked. */
static void emit_size_checks(Emit *E, Buf *c)
{
	Func *f = E->f;
	int n = f->ins.len;
	const Inst **seen = arena_array(E->A, (size_t)n + 1, sizeof(Inst *));
	int64_t *coef = arena_array(E->A, (size_t)n + 1, sizeof(int64_t));
	int ns = 0;
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		int m = E->mat[v];
		if (in->rank < 2 || (m != M_SCRATCH && m != M_RESULT && m != M_PARAM))
			continue;
		/* the constant factor and the symbolic rest of the shape */
		int64_t k = 1;
		int nsym = 0;
		bool simple = true;
		for (int d = 0; d < in->rank; d++) {
			int64_t x;
			if (dim_is_const(in->shape[d], &x))
				k = x > 0 && k <= INT64_MAX / x ? k * x : k;
			else if (in->shape[d]->nterms == 1 && in->shape[d]->terms[0].n == 1 &&
			         in->shape[d]->terms[0].coef == 1)
				nsym++;
			else
				simple = false;
		}
		if (nsym == 0 && simple)
			continue; /* constant: checked at compile time */
		int j = 0;
		for (; j < ns; j++) {
			const Inst *o = seen[j];
			bool same = simple;
			int a = 0, b = 0;
			/* same symbolic dimensions in the same order? */
			while (same) {
				while (a < in->rank && dim_is_const(in->shape[a], NULL))
					a++;
				while (b < o->rank && dim_is_const(o->shape[b], NULL))
					b++;
				if (a == in->rank || b == o->rank) {
					same = a == in->rank && b == o->rank;
					break;
				}
				same = in->shape[a++] == o->shape[b++];
			}
			if (same) {
				if (k > coef[j]) {
					seen[j] = in;
					coef[j] = k;
				}
				break;
			}
		}
		if (j == ns) {
			seen[ns] = in;
			coef[ns++] = simple ? k : -1;
		}
	}
	for (int j = 0; j < ns; j++) {
		const Inst *in = seen[j];
		Buf t;
		buf_init(&t, E->A);
		for (int k = 0; k < in->rank; k++)
			buf_printf(&t, "%s%s", k ? ", " : "", dim_c(E, in->shape[k]));
		buf_printf(c, "    if (!ad_numel_ok_(%d, (const int64_t[]){%s}))\n        return AD_ERR_DIM;\n",
		           in->rank, t.data);
		buf_free(&t);
	}
}

/* The parameter list; `restrict` in definitions (arrays do not overlap
 * outputs), not in the header, which C++ includes too. */
static void params_decl(Emit *E, Buf *b, const FuncEmit *fe, const char **pnames, const char **rnames, bool restrict_)
{
	Func *f = E->f;
	bool first = true;
	const char *r = restrict_ ? "restrict " : "";
	for (int i = 0; i < f->dimsyms.len; i++) {
		buf_printf(b, "%sint64_t %s", first ? "" : ", ", E->dimname[i]);
		first = false;
	}
	int np = fe->saved_params >= 0 ? fe->saved_params : f->params.len;
	int nr = fe->saved_results >= 0 ? fe->saved_results : f->results.len;
	for (int i = 0; i < np; i++) {
		const Inst *p = ir_inst(f, f->params.data[i]);
		buf_printf(b, "%sconst %s *%s%s", first ? "" : ", ", ctype(p->dt), r, pnames[i]);
		first = false;
	}
	for (int i = 0; i < nr; i++) {
		buf_printf(b, "%s%s *%s%s", first ? "" : ", ", ctype(f->results.data[i].dt), r, rnames[i]);
		first = false;
	}
	if (fe->saved_params >= 0 || fe->saved_results >= 0)
		buf_printf(b, "%s%svoid *%s%s", first ? "" : ", ", fe->saved_params >= 0 ? "const " : "", r,
		           E->saved_arg);
}

static void args_call(Emit *E, Buf *b, const char **pnames, const char **rnames)
{
	Func *f = E->f;
	bool first = true;
	for (int i = 0; i < f->dimsyms.len; i++) {
		buf_printf(b, "%s%s", first ? "" : ", ", E->dimname[i]);
		first = false;
	}
	for (int i = 0; i < f->params.len; i++) {
		buf_printf(b, "%s%s", first ? "" : ", ", pnames[i]);
		first = false;
	}
	for (int i = 0; i < f->results.len; i++) {
		buf_printf(b, "%s%s", first ? "" : ", ", rnames[i]);
		first = false;
	}
}

static const char *type_doc(Emit *E, DType dt, int rank, const Dim **shape)
{
	Buf b;
	buf_init(&b, E->A);
	ir_print_type(&b, dt, rank, shape);
	return buf_finish(&b, E->A);
}

static bool reserved_name(const char *s)
{
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(reserved[i], s) == 0)
			return true;
	return strncmp(s, "ad_", 3) == 0 || strncmp(s, "AD_", 3) == 0 || s[0] == '_';
}

/* The names a function's entry points derive from its base name. */
static const char *const derived[] = {
    "_work",     "_work_size", "_call",          "_vjp",        "_vjp_work",          "_vjp_work_size",
    "_vjp_call", "_forward",   "_backward",      "_saved_size", "_forward_work_size", "_backward_work_size",
    "_fwd",      "_fwd_work",  "_fwd_work_size", "_bwd",        "_bwd_work",          "_bwd_work_size",
    "_meta"};

static bool derives(const char *s, const char *t)
{
	size_t lt = strlen(t);
	if (strncmp(s, t, lt) != 0)
		return false;
	for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
		if (strcmp(s + lt, derived[i]) == 0)
			return true;
	return false;
}

const char *emit_c_base(const char *const *names, int n, int idx, const char *prefix, Arena *A)
{
	/* each function's base name, mangled if reserved or if another
	 * function's derived names would clash with it */
	const char **base = arena_array(A, (size_t)n + 1, sizeof(char *));
	for (int i = 0; i <= idx; i++) {
		const char *s = arena_printf(A, "%s%s", prefix ? prefix : "", names[i]);
		/* _f -> v_f, ad_f -> vad_f: those prefixes belong to C and to us */
		if (strncmp(s, "ad_", 3) == 0 || strncmp(s, "AD_", 3) == 0 || s[0] == '_')
			s = arena_printf(A, "v%s", s);
		for (;;) {
			bool clash = reserved_name(s);
			for (int j = 0; j < i && !clash; j++)
				clash = strcmp(s, base[j]) == 0 || derives(s, base[j]) || derives(base[j], s);
			if (!clash)
				break;
			/* main -> main_fn (a trailing "_" would make main__work, reserved in C++) */
			s = arena_printf(A, "%s_fn", s);
		}
		base[i] = s;
	}
	return base[idx];
}

CNames emit_c_names(Func *const *funcs, int nfuncs, int idx, const EmitOptions *o, Arena *A)
{
	const char **names = arena_array(A, (size_t)nfuncs + 1, sizeof(char *));
	for (int i = 0; i < nfuncs; i++)
		names[i] = funcs[i]->name;
	CNames n;
	n.func = emit_c_base(names, nfuncs, idx, o->prefix, A);
	n.work = arena_printf(A, "%s_work", n.func);
	n.work_size = arena_printf(A, "%s_work_size", n.func);
	n.call = arena_printf(A, "%s_call", n.func);
	return n;
}

/* Documentation of a signature, for the header and the definition. */
static void signature_doc(Emit *E, Buf *doc, const FuncEmit *fe, const char **pnames, const char **rnames)
{
	Func *f = fe->f;
	buf_printf(doc, "/* %s, from %s:%d.\n", fe->title ? fe->title : f->name, f->src->name, f->loc.line);
	for (int i = 0; i < f->params.len; i++) {
		const Inst *p = ir_inst(f, f->params.data[i]);
		bool seed = fe->nullable_from >= 0 && i >= fe->nullable_from && i < fe->nullable_to;
		buf_printf(doc, " *   in  %-10s %s%s%s\n", pnames[i], type_doc(E, p->dt, p->rank, p->shape),
		           p->flags & IF_NOGRAD && !seed ? " (nograd)" : "", seed ? " (a seed; NULL means ones)" : "");
	}
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		buf_printf(doc, " *   out %-10s %s%s%s\n", rnames[i], type_doc(E, r->dt, r->rank, r->shape),
		           r->value < 0 ? " (none: always zeros)" : "", fe->optional ? " (NULL: not computed)" : "");
	}
	buf_puts(doc, " * Arrays are contiguous and row-major, scalars are passed by pointer, and no\n"
	              " * output may overlap another array. Returns 0, or AD_ERR_DIM for dimensions\n"
	              " * that are negative, too large or inconsistent, or AD_ERR_NOMEM. */\n");
}

/* --emit=schedule: the inlined values a kernel evaluates, in operand order. */ /* --emit=schedule: the inlined values a
                                                                                   kernel evaluates, in operand order.
                                                                                 */
static void list_inlined(Emit *E, int v, Buf *b, bool *seen)
{
	const Inst *in = ir_inst(E->f, v);
	for (int k = 0; k < in->nargs; k++) {
		int a = in->args[k];
		if (E->mat[a] != M_INLINE || seen[a])
			continue;
		seen[a] = true;
		list_inlined(E, a, b, seen);
		buf_printf(b, " %s%%%d", op_info[ir_inst(E->f, a)->op].name, a);
	}
}

static void schedule_report(Emit *E, Buf *r, const char *base)
{
	Func *f = E->f;
	int n = f->ins.len;
	bool *seen = arena_array(E->A, (size_t)n + 1, sizeof(bool));
	buf_printf(r, "%s:\n", base);
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		int m = E->mat[v];
		const char *where = m == M_INLINE   ? NULL
		                    : m == M_PARAM  ? "parameter"
		                    : m == M_STATIC ? "constant"
		                    : m == M_ALIAS  ? "view"
		                    : m == M_LOCAL  ? "local"
		                    : m == M_RESULT ? "result"
		                                    : "buffer";
		if (!where || m == M_PARAM || m == M_STATIC)
			continue;
		const char *kind = m == M_ALIAS                       ? "view"
		                   : op_info[in->op].kind == K_MATMUL ? "gemm"
		                   : op_info[in->op].kind == K_REDUCE ? "reduce"
		                                                      : "loop";
		Buf t;
		buf_init(&t, E->A);
		ir_print_type(&t, in->dt, in->rank, in->shape);
		buf_printf(r, "  %-6s %%%d %s %s -> %s %s", kind, v, op_info[in->op].name, t.data, where, E->home[v]);
		buf_free(&t);
		if (m != M_ALIAS) {
			Buf l;
			buf_init(&l, E->A);
			memset(seen, 0, (size_t)n + 1);
			list_inlined(E, v, &l, seen);
			if (l.len)
				buf_printf(r, "; fused:%s", l.data);
			buf_free(&l);
		}
		buf_putc(r, '\n');
	}
}

/* Which results (bit r) each value feeds; all bits if more than 64 results. */
static uint64_t *feeds_of(Emit *E)
{
	Func *f = E->f;
	int n = f->ins.len;
	uint64_t *m = arena_array(E->A, (size_t)n + 1, sizeof(uint64_t));
	for (int r = 0; r < f->results.len; r++)
		if (f->results.data[r].value >= 0)
			m[f->results.data[r].value] |= r < 64 ? (uint64_t)1 << r : ~(uint64_t)0;
	for (int v = n - 1; v >= 0; v--) {
		const Inst *in = ir_inst(f, v);
		for (int k = 0; k < in->nargs; k++)
			m[in->args[k]] |= m[v];
	}
	return m;
}

/* When the kernel of v runs, in a function whose results may be NULL: a
 * value in a result's buffer when that result is wanted; another when some
 * result it feeds is (always, when it feeds a saved value or more than 8). */
static const char *kernel_guard(Emit *E, const FuncEmit *fe, uint64_t mask, int v, const char **rnames)
{
	int nr = E->f->results.len, from = fe->saved_results >= 0 ? fe->saved_results : nr;
	if (E->mat[v] == M_RESULT)
		return E->result_of[v] < from ? rnames[E->result_of[v]] : NULL;
	if (nr > 64 || mask == ~(uint64_t)0)
		return NULL;
	Buf b;
	buf_init(&b, E->A);
	int k = 0;
	for (int r = 0; r < nr; r++)
		if (mask >> r & 1) {
			if (r >= from || ++k > 8) {
				buf_free(&b);
				return NULL;
			}
			buf_printf(&b, "%s%s", b.len ? " || " : "", rnames[r]);
		}
	return b.len ? buf_finish(&b, E->A) : "1";
}

/* Does an instruction read v, or a result return it? */
static bool read_anywhere(const Func *f, const int *uses, int v)
{
	bool returned = false;
	for (int r = 0; r < f->results.len; r++)
		returned = returned || f->results.data[r].value == v;
	return uses[v] > 0 || returned;
}

/* The saved values of a forward/backward pair lie in one buffer, so that
 * their number never makes a long argument list: the scalars first, 8 bytes
 * each, then the arrays, each on a 64-byte boundary. */
typedef struct SavedVal {
	DType dt;
	int rank;
	const Dim **shape;
	const char *name; /* the pointer declared into the buffer */
} SavedVal;

/* Declarations of a pointer per saved value into the buffer `arg` (into c),
 * or the buffer's size in bytes (into `size`, as statements adding to a
 * size_t `size`). */
static void saved_layout(Emit *E, Buf *c, Buf *size, const SavedVal *sv, int n, bool writable, const char *arg)
{
	int nscalars = 0, narrays = 0;
	for (int i = 0; i < n; i++)
		sv[i].rank ? narrays++ : nscalars++;
	if (size) {
		if (nscalars)
			buf_printf(size, "    size += AD_ALIGN_(%d, 8);\n", nscalars);
		for (int i = 0; i < n; i++)
			if (sv[i].rank)
				buf_printf(size, "    size += AD_ALIGN_(%s, sizeof(%s));\n",
				           numel_c(E, sv[i].rank, sv[i].shape), ctype(sv[i].dt));
	}
	if (!c)
		return;
	if (!n) {
		buf_printf(c, "    (void)%s;\n", arg);
		return;
	}
	const char *q = writable ? "" : "const ";
	const char *p = fresh(E, "sv");
	buf_printf(c, "    %schar *%s = (%schar *)%s;\n", q, p, q, arg);
	for (int i = 0, k = 0; i < n; i++)
		if (!sv[i].rank)
			buf_printf(c, "    %s%s *%s = (%s%s *)(%s + %d);\n", q, ctype(sv[i].dt), sv[i].name, q,
			           ctype(sv[i].dt), p, 8 * k++);
	if (narrays && nscalars)
		buf_printf(c, "    %s += AD_ALIGN_(%d, 8);\n", p, nscalars);
	for (int i = 0, k = 0; i < n; i++) {
		if (!sv[i].rank)
			continue;
		buf_printf(c, "    %s%s *%s = (%s%s *)%s;\n", q, ctype(sv[i].dt), sv[i].name, q, ctype(sv[i].dt), p);
		if (++k < narrays)
			buf_printf(c, "    %s += AD_ALIGN_(%s, sizeof(%s));\n", p, numel_c(E, sv[i].rank, sv[i].shape),
			           ctype(sv[i].dt));
	}
}

/* The saved values of fe's function (its results or parameters from
 * fe->saved_results or fe->saved_params on), named as pnames/rnames say. */
static SavedVal *saved_values(Emit *E, const FuncEmit *fe, const char **pnames, const char **rnames, int *n)
{
	Func *f = fe->f;
	*n = 0;
	SavedVal *sv = arena_array(E->A, (size_t)f->params.len + (size_t)f->results.len + 1, sizeof *sv);
	for (int i = fe->saved_results; fe->saved_results >= 0 && i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		sv[(*n)++] = (SavedVal){r->dt, r->rank, r->shape, rnames[i]};
	}
	for (int i = fe->saved_params; fe->saved_params >= 0 && i < f->params.len; i++) {
		const Inst *p = ir_inst(f, f->params.data[i]);
		sv[(*n)++] = (SavedVal){p->dt, p->rank, p->shape, pnames[i]};
	}
	return sv;
}

static void emit_function(Buf *c, Buf *h, const FuncEmit *fe, const EmitOptions *o)
{
	Func *f = fe->f;
	const char *base = fe->cname;
	Emit E0, *E = &E0;
	memset(E, 0, sizeof *E);
	E->A = f->A;
	names_init(E);
	E->f = f;
	E->o = o;
	E->last_stmt = -1;
	/* user-visible names first */
	E->dimname = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(char *));
	for (int i = 0; i < f->dimsyms.len; i++)
		E->dimname[i] = user_name(E, f->dimsyms.data[i]);
	const char **pnames = arena_array(E->A, (size_t)f->params.len + 1, sizeof(char *));
	const char **rnames = arena_array(E->A, (size_t)f->results.len + 1, sizeof(char *));
	for (int i = 0; i < f->params.len; i++)
		pnames[i] = user_name(E, ir_inst(f, f->params.data[i])->name);
	for (int i = 0; i < f->results.len; i++)
		rnames[i] = user_name(E, f->results.data[i].name);
	int nsaved = 0;
	SavedVal *saved = saved_values(E, fe, pnames, rnames, &nsaved);
	Buf saved_decls;
	buf_init(&saved_decls, E->A);
	if (fe->saved_params >= 0 || fe->saved_results >= 0) {
		E->saved_arg = user_name(E, "saved");
		saved_layout(E, &saved_decls, NULL, saved, nsaved, fe->saved_results >= 0, E->saved_arg);
	}
	E->S = sched_fuse(f, fe->optional, fe->saved_results >= 0 ? fe->saved_results : f->results.len);
	E->mat = E->S->mat;
	E->uses = E->S->uses;
	E->result_of = E->S->result_of;
	int n = f->ins.len;
	E->home = arena_array(E->A, (size_t)n + 1, sizeof(char *));
	for (int i = 0; i < f->params.len; i++)
		E->home[f->params.data[i]] = pnames[i];
	for (int v = 0; v < n; v++)
		if (E->mat[v] == M_RESULT)
			E->home[v] = rnames[E->result_of[v]];
	uint64_t *feeds = fe->optional ? feeds_of(E) : NULL;

	Buf body, statics, sizes;
	buf_init(&body, E->A);
	buf_init(&statics, E->A);
	buf_init(&sizes, E->A);
	E->body = &body;
	E->depth = 1;
	/* static constant tensors */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (E->mat[v] != M_STATIC)
			continue;
		E->home[v] = fresh(E, arena_printf(E->A, "%s_c%d", base, v));
		buf_printf(&statics, "static const %s %s[%" PRId64 "] = {", ctype(in->dt), E->home[v], in->nnums);
		for (int64_t i = 0; i < in->nnums; i++) {
			if (i % 8 == 0)
				buf_puts(&statics, "\n    ");
			buf_printf(&statics, "%s%s", literal(E, in->nums[i], in->dt), i + 1 < in->nnums ? ", " : "");
		}
		buf_puts(&statics, "\n};\n");
	}
	/* work memory: ones for seeds not given, then the scratch buffers */
	bool any_scratch = false;
	const char *wp = fresh(E, "w");
	for (int i = 0; fe->nullable_from >= 0 && i < f->params.len; i++) {
		if (i < fe->nullable_from || i >= fe->nullable_to || !read_anywhere(f, E->uses, f->params.data[i]))
			continue;
		const Inst *p = ir_inst(f, f->params.data[i]);
		const char *numel = numel_c(E, p->rank, p->shape);
		const char *ones = fresh(E, "ones");
		buf_printf(&sizes, "    size += AD_ALIGN_(%s, sizeof(%s));\n", numel, ctype(p->dt));
		line(E, "if (!%s) { /* no seed: ones */", pnames[i]);
		line(E, "    %s *%s = (%s *)%s;", ctype(p->dt), ones, ctype(p->dt), wp);
		line(E, "    for (int64_t i = 0; i < %s; i++)", numel);
		line(E, "        %s[i] = 1;", ones);
		line(E, "    %s = %s;", pnames[i], ones);
		line(E, "}");
		line(E, "%s += AD_ALIGN_(%s, sizeof(%s));", wp, numel, ctype(p->dt));
		any_scratch = true;
	}
	/* scratch buffers: one that nothing reads any more lends its memory to
	 * a later value of the same size and dtype (reuse.c) */
	sched_reuse(E->S, f);
	E->report = o->memory_report;
	const Dim *total = dim_const(f->dc, 0), *unshared = dim_const(f->dc, 0);
	if (E->report)
		buf_printf(E->report, "%s: scratch memory (%s_work_size)\n", base, base);
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (E->mat[v] == M_LOCAL) {
			E->home[v] = fresh(E, in->name ? in->name : "s");
			if (fe->optional) /* guarded kernels assign it */
				line(E, "%s %s = 0;", ctype(in->dt), E->home[v]);
		}
		if (E->mat[v] != M_SCRATCH)
			continue;
		E->home[v] = fresh(E, in->name ? in->name : "t");
		const Dim *bytes_d = dim_const(f->dc, in->dt == DT_F64 ? 8 : 4);
		for (int k = 0; k < in->rank; k++)
			bytes_d = dim_mul(f->dc, bytes_d, in->shape[k]);
		unshared = dim_add(f->dc, unshared, bytes_d);
		int prev = E->S->reuse[v];
		if (prev >= 0) {
			line(E, "%s *%s = %s; /* %s is no longer needed */", ctype(in->dt), E->home[v], E->home[prev],
			     E->home[prev]);
			if (E->report)
				buf_printf(E->report, "    %-12s %-16s in the memory of an earlier buffer\n",
				           E->home[v], type_doc(E, in->dt, in->rank, in->shape));
			continue;
		}
		total = dim_add(f->dc, total, bytes_d);
		const char *numel = numel_c(E, in->rank, in->shape);
		buf_printf(&sizes, "    size += AD_ALIGN_(%s, sizeof(%s));\n", numel, ctype(in->dt));
		line(E, "%s *%s = (%s *)%s;", ctype(in->dt), E->home[v], ctype(in->dt), wp);
		line(E, "%s += AD_ALIGN_(%s, sizeof(%s));", wp, numel, ctype(in->dt));
		if (E->report) {
			Buf bytes;
			buf_init(&bytes, E->A);
			dim_print(&bytes, bytes_d);
			buf_printf(E->report, "    %-12s %-16s %s bytes\n", E->home[v],
			           type_doc(E, in->dt, in->rank, in->shape), bytes.data);
			buf_free(&bytes);
		}
		any_scratch = true;
	}
	if (E->report) {
		Buf t;
		buf_init(&t, E->A);
		dim_print(&t, total);
		buf_printf(E->report, "  total: %s bytes (each buffer 64-byte aligned)", t.data);
		if (total != unshared) {
			t.len = 0;
			dim_print(&t, unshared);
			buf_printf(E->report, "; %s bytes without reuse", t.data);
		}
		buf_puts(E->report, "\n");
		buf_free(&t);
		E->report = NULL;
	}
	for (int v = 0; v < n; v++)
		if (E->mat[v] == M_ALIAS)
			E->home[v] = E->home[ir_inst(f, v)->args[0]];
	E->predeclared = fe->optional;
	if (o->schedule_report)
		schedule_report(E, o->schedule_report, base);
	/* kernels, in order */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		int m = E->mat[v];
		if (m == M_INLINE || m == M_PARAM || m == M_STATIC || m == M_ALIAS)
			continue;
		comment_stmt(E, v);
		if (feeds)
			E->guard = kernel_guard(E, fe, feeds[v], v, rnames);
		OpKind kind = op_info[in->op].kind;
		if (kind == K_REDUCE)
			emit_reduce(E, v);
		else if (kind == K_MATMUL)
			emit_matmul(E, v);
		else
			store_elementwise(E, v, E->home[v]);
	}
	/* results held elsewhere: copies; none results: zeros */
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		if (r->value >= 0 && ((E->mat[r->value] == M_RESULT && E->result_of[r->value] == i) ||
		                      (E->mat[r->value] == M_ALIAS && E->home[r->value] == rnames[i])))
			continue;
		if (r->value < 0) {
			line(E, "/* %s is none: no result depends on it; zeros are written */", rnames[i]);
			line(E, "%smemset(%s, 0, (size_t)(%s) * sizeof(%s));",
			     fe->optional ? arena_printf(E->A, "if (%s)\n        ", rnames[i]) : "", rnames[i],
			     numel_c(E, r->rank, r->shape), ctype(r->dt));
			continue;
		}
		E->last_stmt = -1;
		const Inst *in = ir_inst(f, r->value);
		if (fe->optional && !(fe->saved_results >= 0 && i >= fe->saved_results))
			E->guard = rnames[i];
		int nopen;
		Kernel K;
		kernel_begin(E, &K, NULL, NULL);
		Index ix = open_loops(E, in->rank, in->shape, &nopen);
		E->cache.len = 0;
		E->counting = true;
		ex(E, r->value, ix);
		E->counting = false;
		line(E, "%s[%s] = %s;", rnames[i], offset(E, in, &ix), strip(E, ex(E, r->value, ix)));
		close_loops(E, nopen);
		kernel_end(E, &K);
	}

	/* the signatures, documented in the header */
	Buf sig, sigr;
	buf_init(&sig, E->A);
	buf_init(&sigr, E->A);
	params_decl(E, &sig, fe, pnames, rnames, false);
	params_decl(E, &sigr, fe, pnames, rnames, true);
	const char *params = sig.len ? sig.data : "void";
	Buf doc;
	buf_init(&doc, E->A);
	signature_doc(E, &doc, fe, pnames, rnames);
	Buf dims_decl;
	buf_init(&dims_decl, E->A);
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(&dims_decl, "%sint64_t %s", i ? ", " : "", E->dimname[i]);
	const char *dparams = dims_decl.len ? dims_decl.data : "void";
	const char *st = fe->entries & FE_WORK ? "" : "static ";
	if (h && (fe->entries & (FE_PLAIN | FE_WORK | FE_CALL))) {
		buf_puts(h, doc.data);
		if (fe->entries & FE_PLAIN)
			buf_printf(h, "int %s(%s);\n", base, params);
		if (fe->entries & FE_WORK) {
			buf_printf(h,
			           "/* Bytes of scratch memory %s_work needs (SIZE_MAX for invalid dimensions). */\n",
			           base);
			buf_printf(h, "size_t %s_work_size(%s);\n", base, dparams);
			buf_printf(h,
			           "/* %s with caller-owned scratch memory of %s_work_size(...) bytes,\n"
			           " * aligned to 64 bytes; no allocation. */\n",
			           base, base);
			buf_printf(h, "int %s_work(%s%svoid *work);\n", base, sig.len ? sig.data : "",
			           sig.len ? ", " : "");
		}
		if (fe->entries & FE_CALL) {
			buf_printf(
			    h, "/* Uniform entry for run-time callers: dims[], inputs[] and outputs[] in the order\n"
			       " * above; work may be NULL (then memory is allocated). */\n");
			buf_printf(
			    h,
			    "int %s_call(const int64_t *dims, const void *const *in, void *const *out, void *work);\n",
			    base);
		}
		buf_puts(h, "\n");
	}

	/* the definitions */
	if (statics.len)
		buf_printf(c, "\n%s", statics.data);
	buf_printf(c, "\n%ssize_t %s_work_size(%s)\n{\n", st, base, dparams);
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(c, "    if (%s < 0 || %s > AD_MAX_DIM_)\n        return SIZE_MAX;\n", E->dimname[i],
		           E->dimname[i]);
	if (any_scratch) {
		buf_puts(c, "    size_t size = 0;\n");
		buf_puts(c, sizes.data);
		buf_puts(c, "    return size;\n}\n");
	} else {
		buf_puts(c, "    return 0;\n}\n");
	}

	buf_printf(c, "\n%s", doc.data);
	buf_printf(c, "%sint %s_work(%s%svoid *work)\n{\n", st, base, sigr.len ? sigr.data : "", sigr.len ? ", " : "");
	/* dimension checks */
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(c, "    if (%s < 0 || %s > AD_MAX_DIM_)\n        return AD_ERR_DIM;\n", E->dimname[i],
		           E->dimname[i]);
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *k = &f->cons.data[i];
		const char *a = dim_c(E, k->a);
		if (k->kind == CONS_GE0)
			buf_printf(c, "    if (%s < 0) /* %s */\n        return AD_ERR_DIM;\n", a, k->msg);
		else if (k->kind == CONS_EQ)
			buf_printf(c, "    if (%s != %s) /* %s */\n        return AD_ERR_DIM;\n", a, dim_c(E, k->b),
			           k->msg);
		else
			buf_printf(c, "    if (%s == 0 || %s %% %s != 0) /* %s */\n        return AD_ERR_DIM;\n",
			           dim_c(E, k->b), paren(E, a), paren(E, dim_c(E, k->b)), k->msg);
	}
	if (f->dimsyms.len)
		emit_size_checks(E, c);
	buf_puts(c, saved_decls.data ? saved_decls.data : "");
	buf_free(&saved_decls);
	for (int i = 0; i < f->params.len; i++)
		if (!read_anywhere(f, E->uses, f->params.data[i]))
			buf_printf(c, "    (void)%s; /* only its shape is used */\n", pnames[i]);
	if (any_scratch)
		buf_printf(c, "    char *%s = (char *)work;\n", wp);
	else
		buf_puts(c, "    (void)work;\n");
	buf_puts(c, body.data ? body.data : "");
	buf_puts(c, "    return 0;\n}\n");

	if (fe->entries & FE_PLAIN) {
		Buf args;
		buf_init(&args, E->A);
		args_call(E, &args, pnames, rnames);
		buf_printf(c, "\nint %s(%s)\n{\n", base, params);
		buf_printf(c, "    size_t size = %s_work_size(", base);
		for (int i = 0; i < f->dimsyms.len; i++)
			buf_printf(c, "%s%s", i ? ", " : "", E->dimname[i]);
		buf_puts(c, ");\n");
		buf_puts(c, "    void *work = NULL;\n"
		            "    if (size == SIZE_MAX)\n        return AD_ERR_DIM;\n"
		            "    if (size > 0 && !(work = malloc(size)))\n        return AD_ERR_NOMEM;\n");
		buf_printf(c, "    int err = %s_work(%s%swork);\n", base, args.len ? args.data : "",
		           args.len ? ", " : "");
		buf_puts(c, "    free(work);\n    return err;\n}\n");
		buf_free(&args);
	}
	if (fe->entries & FE_CALL) {
		/* the uniform entry */
		buf_printf(
		    c, "\nint %s_call(const int64_t *dims, const void *const *in, void *const *out, void *work)\n{\n",
		    base);
		Buf ua, da;
		buf_init(&ua, E->A);
		buf_init(&da, E->A);
		for (int i = 0; i < f->dimsyms.len; i++) {
			buf_printf(&ua, "dims[%d], ", i);
			buf_printf(&da, "%sdims[%d]", i ? ", " : "", i);
		}
		for (int i = 0; i < f->params.len; i++)
			buf_printf(&ua, "(const %s *)in[%d], ", ctype(ir_inst(f, f->params.data[i])->dt), i);
		for (int i = 0; i < f->results.len; i++)
			buf_printf(&ua, "(%s *)out[%d], ", ctype(f->results.data[i].dt), i);
		if (!f->dimsyms.len)
			buf_puts(c, "    (void)dims;\n");
		if (!f->params.len)
			buf_puts(c, "    (void)in;\n");
		if (!f->results.len)
			buf_puts(c, "    (void)out;\n");
		buf_printf(c,
		           "    void *own = NULL;\n"
		           "    if (!work) {\n"
		           "        size_t size = %s_work_size(%s);\n"
		           "        if (size == SIZE_MAX)\n            return AD_ERR_DIM;\n"
		           "        if (size > 0 && !(own = work = malloc(size)))\n            return AD_ERR_NOMEM;\n"
		           "    }\n",
		           base, da.len ? da.data : "");
		buf_printf(c, "    int err = %s_work(%swork);\n    free(own);\n    return err;\n}\n", base,
		           ua.len ? ua.data : "");
		buf_free(&ua);
		buf_free(&da);
	}
	buf_free(&dims_decl);
	buf_free(&sig);
	buf_free(&sigr);
	buf_free(&doc);
	buf_free(&body);
	buf_free(&statics);
	buf_free(&sizes);
}

static const char prelude[] =
    "#include <math.h>\n"
    "#include <stdint.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "/* Scratch buffers start on 64-byte boundaries. */\n"
    "#define AD_ALIGN_(n, elem) (((size_t)(n) * (elem) + 63) & ~(size_t)63)\n"
    "/* No dimension, and no buffer, has more than 2^48 elements. */\n"
    "#define AD_MAX_DIM_ ((int64_t)1 << 48)\n"
    "\n"
    "static inline int ad_numel_ok_(int rank, const int64_t *dims)\n"
    "{\n"
    "    int64_t n = 1;\n"
    "    for (int i = 0; i < rank; i++) {\n"
    "        if (dims[i] < 0 || dims[i] > AD_MAX_DIM_)\n"
    "            return 0;\n"
    "        if (dims[i] != 0 && n > AD_MAX_DIM_ / dims[i])\n"
    "            return 0;\n"
    "        n *= dims[i];\n"
    "    }\n"
    "    return 1;\n"
    "}\n"
    "\n"
    "/* Built with -fopenmp-simd -DAD_SIMD (ad-compile --cflags), the loops are\n"
    " * vectorized, with the vector math of glibc's libmvec. */\n"
    "#ifdef AD_SIMD\n"
    "#define AD_PRAGMA_(x) _Pragma(#x)\n"
    "#define AD_VEC_ _Pragma(\"omp simd\")\n"
    "#define AD_VEC_SUM_(acc) AD_PRAGMA_(omp simd reduction(+ : acc))\n"
    "#define AD_VEC_PROD_(acc) AD_PRAGMA_(omp simd reduction(* : acc))\n"
    "#define AD_VEC_SUM4_(a, b, c, d) AD_PRAGMA_(omp simd reduction(+ : a, b, c, d))\n"
    "#if defined(__GLIBC__) && defined(__x86_64__) && !defined(__clang__)\n"
    "#define AD_MVEC_(decl) AD_PRAGMA_(omp declare simd notinbranch) decl;\n"
    "AD_MVEC_(float sinf(float)) AD_MVEC_(double sin(double)) AD_MVEC_(float cosf(float)) AD_MVEC_(double "
    "cos(double))\n"
    "AD_MVEC_(float tanf(float)) AD_MVEC_(double tan(double)) AD_MVEC_(float expf(float)) AD_MVEC_(double "
    "exp(double))\n"
    "AD_MVEC_(float expm1f(float)) AD_MVEC_(double expm1(double)) AD_MVEC_(float logf(float))\n"
    "AD_MVEC_(double log(double)) AD_MVEC_(float log1pf(float)) AD_MVEC_(double log1p(double))\n"
    "AD_MVEC_(float asinf(float)) AD_MVEC_(double asin(double)) AD_MVEC_(float acosf(float))\n"
    "AD_MVEC_(double acos(double)) AD_MVEC_(float atanf(float)) AD_MVEC_(double atan(double))\n"
    "AD_MVEC_(float sinhf(float)) AD_MVEC_(double sinh(double)) AD_MVEC_(float coshf(float))\n"
    "AD_MVEC_(double cosh(double)) AD_MVEC_(float tanhf(float)) AD_MVEC_(double tanh(double))\n"
    "AD_MVEC_(float erff(float)) AD_MVEC_(double erf(double)) AD_MVEC_(float powf(float, float))\n"
    "AD_MVEC_(double pow(double, double)) AD_MVEC_(float atan2f(float, float))\n"
    "AD_MVEC_(double atan2(double, double))\n"
    "#endif\n"
    "#else\n"
    "#define AD_VEC_\n"
    "#define AD_VEC_SUM_(acc)\n"
    "#define AD_VEC_PROD_(acc)\n"
    "#define AD_VEC_SUM4_(a, b, c, d)\n"
    "#endif\n"
    "\n"
    "/* Matrix products through BLAS with -DAD_BLAS (ad-compile --cflags --blas,\n"
    " * linking --libs --blas); else built-in blocked loops. */\n"
    "#ifdef AD_BLAS\n"
    "#include <cblas.h>\n"
    "#include <limits.h>\n"
    "#endif\n";

/* C = op(A) op(B) for one dtype: op(A) is m x k, op(B) is k x n, all
 * row-major and contiguous; A is stored k x m when ta, B n x k when tb.
 * T, S (s or d) and F stand for the type, the BLAS letter and the suffix. */
static const char gemm_template[] =
    "\n"
    "/* A dot product with 16 independent partial sums, which vectorizes\n"
    " * without reassociating the sum (no -ffast-math needed). */\n"
    "static inline T ad_dot_F_(int64_t k, const T *a, const T *b)\n"
    "{\n"
    "    T acc[16] = {0}, s = 0;\n"
    "    const int64_t k16 = k - k % 16;\n"
    "    for (int64_t p = 0; p < k16; p += 16)\n"
    "        for (int q = 0; q < 16; q++)\n"
    "            acc[q] += a[p + q] * b[p + q];\n"
    "    for (int64_t p = k16; p < k; p++)\n"
    "        s += a[p] * b[p];\n"
    "    for (int q = 0; q < 16; q++)\n"
    "        s += acc[q];\n"
    "    return s;\n"
    "}\n"
    "\n"
    "static inline void ad_gemm_F_(int ta, int tb, int64_t m, int64_t n, int64_t k, const T *a, const T *b, T *c)\n"
    "{\n"
    "#ifdef AD_BLAS\n"
    "    if (m <= INT_MAX && n <= INT_MAX && k <= INT_MAX) {\n"
    "        if (n == 1) /* a matrix times a vector */\n"
    "            cblas_SgemvX(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? (int)k : (int)m, ta ? (int)m : "
    "(int)k, 1, a,\n"
    "                        ta ? (int)m : (int)k, b, 1, 0, c, 1);\n"
    "        else if (m == 1)\n"
    "            cblas_SgemvX(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? (int)n : (int)k, tb ? (int)k : "
    "(int)n, 1, b,\n"
    "                        tb ? (int)k : (int)n, a, 1, 0, c, 1);\n"
    "        else\n"
    "            cblas_SgemmX(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, "
    "(int)n,\n"
    "                        (int)k, 1, a, ta ? (int)m : (int)k, b, tb ? (int)k : (int)n, 0, c, (int)n);\n"
    "        return;\n"
    "    }\n"
    "#endif\n"
    "    if (!ta && (tb || n == 1)) { /* rows of A times rows of B (or the vector b): dot products */\n"
    "        for (int64_t i = 0; i < m; i++)\n"
    "            for (int64_t j = 0; j < n; j++)\n"
    "                c[i * n + j] = ad_dot_F_(k, a + i * k, b + j * k);\n"
    "        return;\n"
    "    }\n"
    "    for (int64_t i = 0; i < m * n; i++)\n"
    "        c[i] = 0;\n"
    "    if (ta && n == 1) { /* the transpose of A times b: c += a[p, :] * b[p], four rows of A at a time */\n"
    "        int64_t p = 0;\n"
    "        for (; p + 4 <= k; p += 4) {\n"
    "            const T *a0 = a + p * m, *a1 = a0 + m, *a2 = a1 + m, *a3 = a2 + m;\n"
    "            const T b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];\n"
    "            AD_VEC_\n"
    "            for (int64_t i = 0; i < m; i++)\n"
    "                c[i] += a0[i] * b0 + a1[i] * b1 + a2[i] * b2 + a3[i] * b3;\n"
    "        }\n"
    "        for (; p < k; p++) {\n"
    "            const T *ap = a + p * m, bp = b[p];\n"
    "            AD_VEC_\n"
    "            for (int64_t i = 0; i < m; i++)\n"
    "                c[i] += ap[i] * bp;\n"
    "        }\n"
    "        return;\n"
    "    }\n"
    "    /* c[i, :] += op(a)[i, p] * op(b)[p, :], in blocks of p that stay in cache */\n"
    "    for (int64_t p0 = 0; p0 < k; p0 += 256) {\n"
    "        int64_t p1 = p0 + 256 < k ? p0 + 256 : k;\n"
    "        for (int64_t i = 0; i < m; i++)\n"
    "            for (int64_t p = p0; p < p1; p++) {\n"
    "                const T aip = ta ? a[p * m + i] : a[i * k + p];\n"
    "                T *ci = c + i * n;\n"
    "                if (tb) {\n"
    "                    for (int64_t j = 0; j < n; j++)\n"
    "                        ci[j] += aip * b[j * k + p];\n"
    "                } else {\n"
    "                    const T *bp = b + p * n;\n"
    "                    AD_VEC_\n"
    "                    for (int64_t j = 0; j < n; j++)\n"
    "                        ci[j] += aip * bp[j];\n"
    "                }\n"
    "            }\n"
    "    }\n"
    "}\n";

/* Matrix products of dtype dt in f (whose kernel the code then needs)? */
static bool has_matmul(const Func *f, DType dt)
{
	for (int v = 0; f && v < f->ins.len; v++)
		if (ir_inst(f, v)->op == OP_matmul && ir_inst(f, v)->dt == dt)
			return true;
	return false;
}

static void put_gemm(Buf *c, DType dt)
{
	for (const char *p = gemm_template; *p; p++) {
		if (p[0] == 'F' && p[1] == '_')
			buf_puts(c, dt == DT_F64 ? "f64" : "f32");
		else if (p[0] == 'T' && (p[1] == ' ' || p[1] == '*'))
			buf_puts(c, dt == DT_F64 ? "double" : "float");
		else if (p[0] == 'S' && (strncmp(p, "SgemvX", 6) == 0 || strncmp(p, "SgemmX", 6) == 0)) {
			buf_putc(c, dt == DT_F64 ? 'd' : 's');
			buf_put(c, p + 1, 4);
			p += 5;
		} else
			buf_putc(c, *p);
	}
}

/* The status codes and the run-time description of a function: the text of
 * runtime/ad_meta.h, which adrt.h includes too (the same guard). */
static const char *const shared_defs[] = {AD_META_DEFINITION_LINES};

static void put_shared_defs(Buf *b)
{
	for (int i = 0; shared_defs[i]; i++)
		buf_puts(b, shared_defs[i]);
}

static const char header_top[] = "#include <stddef.h>\n"
                                 "#include <stdint.h>\n"
                                 "\n";

static const char cpp_open[] = "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
static const char cpp_close[] = "#ifdef __cplusplus\n}\n#endif\n";

void emit_c(Buf *c, Buf *h, Func *const *funcs, int nfuncs, const EmitOptions *o, const char *srcname)
{
	Arena *A = nfuncs ? funcs[0]->A : NULL;
	buf_printf(c, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
	if (o->header_name)
		buf_printf(c, "#include \"%s\"\n", o->header_name);
	buf_puts(c, prelude);
	for (int dt = 0; dt < 2; dt++) {
		bool used = false;
		for (int i = 0; i < nfuncs; i++)
			used = used || has_matmul(funcs[i], (DType)dt);
		if (used)
			put_gemm(c, (DType)dt);
	}
	if (!o->header_name)
		buf_putc(c, '\n'), put_shared_defs(c);
	if (h) {
		buf_printf(h, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
		buf_puts(h, header_top);
		put_shared_defs(h);
		buf_puts(h, "\n");
		buf_puts(h, cpp_open);
	}
	for (int i = 0; i < nfuncs; i++) {
		CNames nm = emit_c_names(funcs, nfuncs, i, o, A);
		FuncEmit fe = {funcs[i], nm.func, NULL, FE_PLAIN | FE_WORK | FE_CALL, -1, 0, false, -1, -1};
		emit_function(c, h, &fe, o);
	}
	if (h)
		buf_puts(h, cpp_close);
}

/* ---------------------------------------------------------------- modules: the runtime's entry points */

/* bind: the dimensions from the parameters' shapes, checked. */
static void emit_bind(Buf *c, const ModFunc *m, const char *base)
{
	const Func *f = m->opt;
	Emit E0, *E = &E0;
	memset(E, 0, sizeof *E);
	E->A = f->A;
	names_init(E);
	E->f = (Func *)f;
	E->dimname = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(char *));
	for (int i = 0; i < f->dimsyms.len; i++)
		E->dimname[i] = user_name(E, f->dimsyms.data[i]);
	buf_printf(c, "\nstatic int %s_bind_(const int64_t *shape, int64_t *dims, int *where)\n{\n", base);
	buf_puts(c, "    (void)shape;\n    (void)dims;\n    (void)where;\n");
	bool *bound = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(bool));
	int R = AD_META_MAX_RANK;
	for (int p = 0; p < f->params.len; p++) {
		const Inst *in = ir_inst(f, f->params.data[p]);
		for (int a = 0; a < in->rank; a++) {
			const Dim *d = in->shape[a];
			int64_t v;
			int k = p * R + a;
			if (dim_is_const(d, &v)) {
				buf_printf(c,
				           "    if (shape[%d] != %" PRId64
				           ") {\n        *where = %d;\n        return 1;\n    }\n",
				           k, v, k);
				continue;
			}
			int s = -1;
			for (int j = 0; j < f->dimsyms.len; j++)
				if (d->nterms == 1 && d->terms[0].n == 1 &&
				    strcmp(d->terms[0].atoms[0]->name, f->dimsyms.data[j]) == 0)
					s = j;
			if (s < 0)
				ICE("parameter dimension is not a symbol");
			if (!bound[s]) {
				buf_printf(c,
				           "    if (shape[%d] < 0 || shape[%d] > AD_MAX_DIM_) {\n        *where = "
				           "%d;\n        return 1;\n    }\n",
				           k, k, k);
				buf_printf(c, "    const int64_t %s = dims[%d] = shape[%d];\n", E->dimname[s], s, k);
				bound[s] = true;
			} else {
				buf_printf(
				    c, "    if (shape[%d] != %s) {\n        *where = %d;\n        return 1;\n    }\n",
				    k, E->dimname[s], k);
			}
		}
	}
	for (int i = 0; i < f->dimsyms.len; i++)
		if (bound[i])
			buf_printf(c, "    (void)%s;\n", E->dimname[i]);
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *k = &f->cons.data[i];
		const char *a = dim_c(E, k->a);
		const char *cond = k->kind == CONS_GE0  ? arena_printf(E->A, "%s < 0", a)
		                   : k->kind == CONS_EQ ? arena_printf(E->A, "%s != %s", a, dim_c(E, k->b))
		                                        : arena_printf(E->A, "%s == 0 || %s %% %s != 0", dim_c(E, k->b),
		                                                       paren(E, a), paren(E, dim_c(E, k->b)));
		buf_printf(c, "    if (%s) {\n        *where = %d;\n        return 2;\n    }\n", cond, i);
	}
	buf_puts(c, "    return 0;\n}\n");
	/* shapes: the results' shapes from the dimensions */
	buf_printf(c, "\nstatic int %s_shapes_(const int64_t *dims, int64_t *shape)\n{\n", base);
	buf_puts(c, "    (void)dims;\n    (void)shape;\n");
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(c, "    const int64_t %s = dims[%d];\n    (void)%s;\n", E->dimname[i], i, E->dimname[i]);
	for (int r = 0; r < f->results.len; r++) {
		const FuncResult *fr = &f->results.data[r];
		for (int a = 0; a < fr->rank; a++)
			buf_printf(c, "    shape[%d] = %s;\n", r * R + a, dim_c(E, fr->shape[a]));
	}
	buf_puts(c, "    return 0;\n}\n");
}

/* Unpack dims[] into the typed dimension arguments of a function. */
static const char *dims_args(const Func *f)
{
	Buf b;
	buf_init(&b, f->A);
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(&b, "%sdims[%d]", i ? ", " : "", i);
	return buf_finish(&b, f->A);
}

/* An emitter for code outside f that has f's dimensions as dims[]. */
static void dims_emit(Emit *E, const Func *f)
{
	memset(E, 0, sizeof *E);
	E->A = f->A;
	names_init(E);
	E->f = (Func *)f;
	E->dimname = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(char *));
	for (int i = 0; i < f->dimsyms.len; i++)
		E->dimname[i] = arena_printf(E->A, "dims[%d]", i);
}

static void emit_split_entries(Buf *c, Buf *h, const ModFunc *m, const char *base, const EmitOptions *o)
{
	const Func *fwd = m->fwd, *bwd = m->bwd;
	int np = m->opt->params.len, nr = m->opt->results.len, nseeds = m->info.nseeds, ns = m->nsaved;
	const char *da = dims_args(fwd);
	const char *sep = *da ? ", " : "";
	Emit E0, *E = &E0;
	dims_emit(E, fwd);
	SavedVal *sv = arena_array(fwd->A, (size_t)ns + 1, sizeof *sv);
	int nscalars = 0;
	for (int i = 0; i < ns; i++) {
		const FuncResult *r = &fwd->results.data[nr + i];
		sv[i] = (SavedVal){r->dt, r->rank, r->shape, NULL};
		nscalars += r->rank == 0;
	}
	/* --emit=memory: the saved values, in the order of the buffer */
	if (o->memory_report) {
		Buf *r = o->memory_report;
		buf_printf(r, "%s: saved by %s_forward for %s_backward (%s_saved_size)\n", base, base, base, base);
		const Dim *tot = dim_const(fwd->dc, nscalars ? (nscalars * 8 + 63) / 64 * 64 : 0);
		if (nscalars)
			buf_printf(r, "    %-12s %-16s %d bytes\n", "scalars",
			           arena_printf(fwd->A, "%d values", nscalars), 8 * nscalars);
		for (int i = 0; i < ns; i++) {
			if (!sv[i].rank)
				continue;
			const Dim *b = dim_const(fwd->dc, sv[i].dt == DT_F64 ? 8 : 4);
			for (int k = 0; k < sv[i].rank; k++)
				b = dim_mul(fwd->dc, b, sv[i].shape[k]);
			tot = dim_add(fwd->dc, tot, b);
			Buf t;
			buf_init(&t, fwd->A);
			ir_print_type(&t, sv[i].dt, sv[i].rank, sv[i].shape);
			buf_printf(r, "    saved%-7d %-16s ", i, t.data);
			t.len = 0;
			dim_print(&t, b);
			buf_printf(r, "%s bytes\n", t.data);
			buf_free(&t);
		}
		Buf t;
		buf_init(&t, fwd->A);
		dim_print(&t, tot);
		buf_printf(r, "  total: %s bytes (scalars 8 bytes each, arrays 64-byte aligned)\n", t.data);
		buf_free(&t);
	}
	buf_printf(c, "\nsize_t %s_saved_size(const int64_t *dims)\n{\n    (void)dims;\n", base);
	if (!ns)
		buf_puts(c, "    return 0;\n}\n");
	else {
		buf_puts(c, "    size_t size = 0;\n");
		saved_layout(E, NULL, c, sv, ns, false, NULL);
		buf_puts(c, "    return size;\n}\n");
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *which = pass ? "backward" : "forward", *half = pass ? "bwd" : "fwd";
		const Func *g = pass ? bwd : fwd;
		buf_printf(c, "\nsize_t %s_%s_work_size(const int64_t *dims)\n{\n    %s%s_%s_work_size(%s);\n}\n", base,
		           which, *da ? "return " : "(void)dims;\n    return ", base, half, da);
		if (pass == 0)
			buf_printf(c,
			           "\nint %s_forward(const int64_t *dims, const void *const *in, void *const *out, "
			           "void *saved, void *work)\n{\n",
			           base);
		else
			buf_printf(
			    c,
			    "\nint %s_backward(const int64_t *dims, const void *const *in, const void *const *seeds,\n"
			    "    void *const *grads, const void *saved, void *work)\n{\n",
			    base);
		if (!*da)
			buf_puts(c, "    (void)dims;\n");
		if (!np && !(pass && nseeds))
			buf_puts(c, "    (void)in;\n");
		Buf args;
		buf_init(&args, fwd->A);
		for (int i = 0; i < np; i++)
			buf_printf(&args, "(const %s *)in[%d], ", ctype(ir_inst(g, g->params.data[i])->dt), i);
		if (pass) {
			for (int i = 0; i < nseeds; i++)
				buf_printf(&args, "(const %s *)seeds[%d], ",
				           ctype(ir_inst(g, g->params.data[np + i])->dt), i);
			for (int i = 0; i < g->results.len; i++)
				buf_printf(&args, "(%s *)grads[%d], ", ctype(g->results.data[i].dt), i);
		} else {
			for (int i = 0; i < nr; i++)
				buf_printf(&args, "(%s *)out[%d], ", ctype(g->results.data[i].dt), i);
		}
		buf_puts(&args, "saved, ");
		buf_printf(c,
		           "    void *own = NULL;\n"
		           "    if (!work) {\n"
		           "        size_t size = %s_%s_work_size(%s);\n"
		           "        if (size == SIZE_MAX)\n            return AD_ERR_DIM;\n"
		           "        if (size > 0 && !(own = work = malloc(size)))\n            return AD_ERR_NOMEM;\n"
		           "    }\n",
		           base, half, da);
		buf_printf(c, "    int err = %s_%s_work(%s%s%swork);\n    free(own);\n    return err;\n}\n", base, half,
		           da, sep, args.data);
		buf_free(&args);
	}
	if (h) {
		buf_printf(h,
		           "/* The forward/backward pair of %s, for run-time differentiation (adrt.h's\n"
		           " * ad_forward/ad_backward call them). %s_forward computes the results and writes\n"
		           " * what the backward pass needs into `saved` (%s_saved_size(dims) bytes, 64-byte\n"
		           " * aligned, owned by the caller); %s_backward then computes the gradients of the\n"
		           " * parameters for seeds per result (NULL: ones), as often as wanted. grads[i] NULL:\n"
		           " * not wanted (not computed). work: %s_*_work_size(dims) bytes, or NULL. */\n",
		           base, base, base, base, base);
		buf_printf(h, "size_t %s_saved_size(const int64_t *dims);\n", base);
		buf_printf(h, "size_t %s_forward_work_size(const int64_t *dims);\n", base);
		buf_printf(h, "size_t %s_backward_work_size(const int64_t *dims);\n", base);
		buf_printf(h,
		           "int %s_forward(const int64_t *dims, const void *const *in, void *const *out, void *saved, "
		           "void *work);\n",
		           base);
		buf_printf(h,
		           "int %s_backward(const int64_t *dims, const void *const *in, const void *const *seeds,\n"
		           "    void *const *grads, const void *saved, void *work);\n\n",
		           base);
	}
}

static void emit_meta(Buf *c, Buf *h, const ModFunc *m, const char *base, unsigned ent)
{
	const Func *f = m->opt, *lf = m->f;
	int np = f->params.len, nr = f->results.len;
	const char *da = dims_args(f);
	bool body = ent & (AD_ENTRY_PLAIN | AD_ENTRY_WORK), vjp = m->vjp && (ent & AD_ENTRY_VJP),
	     split = m->fwd && (ent & AD_ENTRY_SPLIT);
	emit_bind(c, m, base);
	if (body)
		buf_printf(
		    c, "\nstatic size_t %s_work_size_u_(const int64_t *dims)\n{\n    %sreturn %s_work_size(%s);\n}\n",
		    base, *da ? "" : "(void)dims;\n    ", base, da);
	if (vjp)
		buf_printf(c,
		           "\nstatic size_t %s_vjp_work_size_u_(const int64_t *dims)\n{\n    %sreturn "
		           "%s_vjp_work_size(%s);\n}\n",
		           base, *da ? "" : "(void)dims;\n    ", base, da);
	if (f->dimsyms.len) {
		buf_printf(c, "\nstatic const char *const %s_dims_[] = {", base);
		for (int i = 0; i < f->dimsyms.len; i++)
			buf_printf(c, "%s\"%s\"", i ? ", " : "", f->dimsyms.data[i]);
		buf_puts(c, "};\n");
	}
	if (np) {
		buf_printf(c, "\nstatic const ad_meta_tensor %s_params_[] = {\n", base);
		for (int p = 0; p < np; p++) {
			const Inst *in = ir_inst(lf, lf->params.data[p]);
			Buf t;
			buf_init(&t, f->A);
			ir_print_type(&t, in->dt, in->rank, in->shape);
			buf_printf(c, "    {\"%s\", %d, %d, \"%s\", %d, 0},\n", in->name, in->dt == DT_F64, in->rank,
			           t.data, (in->flags & IF_NOGRAD) ? 1 : 0);
			buf_free(&t);
		}
		buf_puts(c, "};\n");
	}
	if (nr) {
		buf_printf(c, "\nstatic const ad_meta_tensor %s_results_[] = {\n", base);
		for (int r = 0; r < nr; r++) {
			const FuncResult *fr = &lf->results.data[r];
			Buf t;
			buf_init(&t, f->A);
			ir_print_type(&t, fr->dt, fr->rank, fr->shape);
			buf_printf(c, "    {\"%s\", %d, %d, \"%s\", 0, %d},\n", fr->name, fr->dt == DT_F64, fr->rank,
			           t.data, fr->value < 0);
			buf_free(&t);
		}
		buf_puts(c, "};\n");
	}
	if (np && nr) {
		buf_printf(c,
		           "\n/* depends[r * %d + p]: result r depends on parameter p */\nstatic const unsigned char "
		           "%s_depends_[] = {",
		           np, base);
		for (int r = 0; r < nr; r++)
			for (int p = 0; p < np; p++)
				buf_printf(c, "%s%d", r || p ? ", " : "",
				           m->info.depends ? m->info.depends[r * np + p] : 0);
		buf_puts(c, "};\n");
	}
	if (f->cons.len) {
		buf_printf(c, "\nstatic const char *const %s_constraints_[] = {\n", base);
		for (int i = 0; i < f->cons.len; i++) {
			buf_puts(c, "    \"");
			for (const char *p = f->cons.data[i].msg; *p; p++)
				if (*p == '"' || *p == '\\')
					buf_printf(c, "\\%c", *p);
				else
					buf_putc(c, *p);
			buf_puts(c, "\",\n");
		}
		buf_puts(c, "};\n");
	}
	buf_printf(c, "\nconst ad_meta %s_meta = {\n", base);
	buf_printf(c, "    AD_META_VERSION, \"%s\",\n", lf->name);
	buf_printf(c, "    %d, %s, %d, %s, %d, %s, %s,\n", f->dimsyms.len,
	           f->dimsyms.len ? arena_printf(f->A, "%s_dims_", base) : "NULL", np,
	           np ? arena_printf(f->A, "%s_params_", base) : "NULL", nr,
	           nr ? arena_printf(f->A, "%s_results_", base) : "NULL",
	           np && nr ? arena_printf(f->A, "%s_depends_", base) : "NULL");
	buf_printf(c, "    %d, %s,\n", f->cons.len, f->cons.len ? arena_printf(f->A, "%s_constraints_", base) : "NULL");
	if (body)
		buf_printf(c, "    %s_bind_, %s_shapes_, %s_work_size_u_, %s_call,\n", base, base, base, base);
	else
		buf_printf(c, "    %s_bind_, %s_shapes_, NULL, NULL,\n", base, base);
	if (vjp)
		buf_printf(c, "    %s_vjp_work_size_u_, %s_vjp_call,\n", base, base);
	else
		buf_puts(c, "    NULL, NULL,\n");
	if (split)
		buf_printf(c,
		           "    %s_saved_size, %s_forward_work_size, %s_forward, %s_backward_work_size, %s_backward,\n",
		           base, base, base, base, base);
	else
		buf_puts(c, "    NULL, NULL, NULL, NULL, NULL,\n");
	Buf e;
	buf_init(&e, f->A);
	static const char *const bits[] = {"AD_ENTRY_PLAIN", "AD_ENTRY_WORK", "AD_ENTRY_VJP", "AD_ENTRY_SPLIT"};
	for (int b = 0; b < 4; b++)
		if (ent >> b & 1)
			buf_printf(&e, "%s%s", e.len ? " | " : "", bits[b]);
	buf_printf(c, "    %s,\n};\n", e.len ? e.data : "0");
	buf_free(&e);
	if (h)
		buf_printf(
		    h, "/* What run-time callers (adrt.h) need to know of %s. */\nextern const ad_meta %s_meta;\n\n",
		    lf->name, base);
}

void emit_module(Buf *c, Buf *h, const ModFunc *mf, int n, const EmitOptions *o, const char *srcname)
{
	Arena *A = n ? mf[0].opt->A : NULL;
	buf_printf(c, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
	if (o->header_name)
		buf_printf(c, "#include \"%s\"\n", o->header_name);
	buf_puts(c, prelude);
	unsigned ent = o->entries ? o->entries : AD_ENTRY_ALL;
	for (int dt = 0; dt < 2; dt++) {
		bool used = false;
		for (int i = 0; i < n; i++)
			used = used || ((ent & (AD_ENTRY_PLAIN | AD_ENTRY_WORK)) && has_matmul(mf[i].opt, (DType)dt)) ||
			       ((ent & AD_ENTRY_VJP) && has_matmul(mf[i].vjp, (DType)dt)) ||
			       ((ent & AD_ENTRY_SPLIT) &&
			        (has_matmul(mf[i].fwd, (DType)dt) || has_matmul(mf[i].bwd, (DType)dt)));
		if (used)
			put_gemm(c, (DType)dt);
	}
	if (!o->header_name)
		buf_putc(c, '\n'), put_shared_defs(c);
	if (h) {
		buf_printf(h, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
		buf_puts(h, header_top);
		put_shared_defs(h);
		buf_puts(h, "\n");
		buf_puts(h, cpp_open);
	}
	const char **names = arena_array(A, (size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		names[i] = mf[i].opt->name;
	for (int i = 0; i < n; i++) {
		const ModFunc *m = &mf[i];
		const char *base = emit_c_base(names, n, i, o->prefix, A);
		if (ent & (AD_ENTRY_PLAIN | AD_ENTRY_WORK)) {
			unsigned fent =
			    FE_CALL | (ent & AD_ENTRY_PLAIN ? FE_PLAIN : 0) | (ent & AD_ENTRY_WORK ? FE_WORK : 0);
			FuncEmit fe = {m->opt, base, NULL, fent, -1, 0, false, -1, -1};
			emit_function(c, h, &fe, o);
		}
		if (m->vjp && (ent & AD_ENTRY_VJP)) {
			const char *title =
			    arena_printf(A,
			                 "The vector-Jacobian product of %s: its results, and the gradients of\n"
			                 " * its parameters for the seeds given per result",
			                 m->opt->name);
			int np = m->opt->params.len;
			FuncEmit fv = {m->vjp, arena_printf(A, "%s_vjp", base),
			               title,  FE_PLAIN | FE_WORK | FE_CALL,
			               np,     np + m->info.nseeds,
			               true,   -1,
			               -1};
			emit_function(c, h, &fv, o);
		}
		if (m->fwd && (ent & AD_ENTRY_SPLIT)) {
			int np = m->opt->params.len, nr = m->opt->results.len, seeds_to = np + m->info.nseeds;
			FuncEmit ff = {m->fwd, arena_printf(A, "%s_fwd", base), NULL, 0, -1, 0, true, nr, -1};
			FuncEmit fb = {m->bwd,  arena_printf(A, "%s_bwd", base), NULL, 0, np, seeds_to, true, -1,
			               seeds_to};
			emit_function(c, NULL, &ff, o);
			emit_function(c, NULL, &fb, o);
			emit_split_entries(c, h, m, base, o);
		}
		emit_meta(c, h, m, base, ent);
	}
	if (h)
		buf_puts(h, cpp_close);
}
