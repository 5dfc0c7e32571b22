/* ir_read.c: the IR read back from the text ir_print writes, so that a pass
 * can be tested IR in, IR out (tests/ir-in), and IR written by hand (a
 * function with nested bodies, before the front end makes them). Lines
 * starting with # are comments.
 *
 * Every instruction is rebuilt through the builders, so its type is derived
 * again and must agree with the printed one; operands must be defined
 * before use. The comment after ';' gives the name, the source position
 * and the note back. Errors come back as "LINE: MESSAGE". */
#include "ir.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Rd {
	Arena *A;
	DimCtx *dc;
	SrcFile *src;
	const char *text; /* the next line */
	const char *p;    /* in the current line */
	const char *eol;
	int line;
	const char *err;
	jmp_buf fail;
} Rd;

static _Noreturn void fail(Rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(Rd *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = arena_vprintf(r->A, fmt, ap);
	va_end(ap);
	r->err = arena_printf(r->A, "%d: %s", r->line, m);
	longjmp(r->fail, 1);
}

/* ---------------------------------------------------------------- lines and tokens */

/* The indentation of the next line that is neither empty nor a comment (#
 * to the end of the line), or -1 at the end. */
static int peek_indent(Rd *r)
{
	const char *t = r->text;
	for (;;) {
		const char *s = t;
		while (*s == ' ')
			s++;
		if (*s == 0)
			return -1;
		if (*s == '#')
			while (*s && *s != '\n')
				s++;
		if (*s == 0)
			return -1;
		if (*s != '\n')
			return (int)(s - t);
		t = s + 1;
		r->line++;
		r->text = t;
	}
}

/* Make the next non-empty line current (after peek_indent). */
static void next_line(Rd *r)
{
	peek_indent(r);
	r->line++;
	r->p = r->text;
	const char *nl = strchr(r->text, '\n');
	r->eol = nl ? nl : r->text + strlen(r->text);
	r->text = nl ? nl + 1 : r->eol;
	while (r->p < r->eol && *r->p == ' ')
		r->p++;
}

static void skip(Rd *r)
{
	while (r->p < r->eol && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

static bool at(Rd *r, char c)
{
	skip(r);
	return r->p < r->eol && *r->p == c;
}

static bool eat(Rd *r, char c)
{
	if (!at(r, c))
		return false;
	r->p++;
	return true;
}

static void expect(Rd *r, char c)
{
	if (!eat(r, c))
		fail(r, "expected '%c' at '%.*s'", c, (int)(r->eol - r->p), r->p);
}

static bool word_at(Rd *r, const char *w)
{
	skip(r);
	size_t n = strlen(w);
	return (size_t)(r->eol - r->p) >= n && strncmp(r->p, w, n) == 0 &&
	       (r->p + n == r->eol || !(isalnum((unsigned char)r->p[n]) || r->p[n] == '_'));
}

static bool eat_word(Rd *r, const char *w)
{
	if (!word_at(r, w))
		return false;
	r->p += strlen(w);
	return true;
}

static const char *ident(Rd *r)
{
	skip(r);
	const char *s = r->p;
	while (r->p < r->eol && (isalnum((unsigned char)*r->p) || *r->p == '_'))
		r->p++;
	if (r->p == s || isdigit((unsigned char)*s))
		fail(r, "expected a name at '%.*s'", (int)(r->eol - s), s);
	return arena_strndup(r->A, s, (size_t)(r->p - s));
}

static int64_t integer(Rd *r)
{
	skip(r);
	char *end;
	long long v = strtoll(r->p, &end, 10);
	if (end == r->p)
		fail(r, "expected an integer at '%.*s'", (int)(r->eol - r->p), r->p);
	r->p = end;
	return v;
}

static double number(Rd *r, bool f32)
{
	skip(r);
	char *end;
	double v = strtod(r->p, &end);
	if (end == r->p)
		fail(r, "expected a number at '%.*s'", (int)(r->eol - r->p), r->p);
	r->p = end;
	return f32 ? (double)(float)v : v;
}

/* %N */
static int value_ref(Rd *r)
{
	expect(r, '%');
	return (int)integer(r);
}

/* ---------------------------------------------------------------- dimensions and types */

static const Dim *dim_expr(Rd *r);

static const Dim *dim_factor(Rd *r)
{
	skip(r);
	if (eat(r, '(')) {
		const Dim *d = dim_expr(r);
		expect(r, ')');
		return d;
	}
	if (r->p < r->eol && isdigit((unsigned char)*r->p))
		return dim_const(r->dc, integer(r));
	const char *name = ident(r);
	if (strcmp(name, "max") == 0 && eat(r, '(')) { /* max(0, d) */
		if (integer(r) != 0)
			fail(r, "expected max(0, ...)");
		expect(r, ',');
		const Dim *d = dim_expr(r);
		expect(r, ')');
		return dim_max0(r->dc, d);
	}
	return dim_sym(r->dc, name);
}

static const Dim *dim_term(Rd *r)
{
	bool neg = eat(r, '-');
	const Dim *d = dim_factor(r);
	for (;;) {
		if (eat(r, '*'))
			d = dim_mul(r->dc, d, dim_factor(r));
		else if (eat(r, '/'))
			d = dim_div(r->dc, d, dim_factor(r));
		else
			break;
	}
	return neg ? dim_sub(r->dc, dim_const(r->dc, 0), d) : d;
}

/* A dimension as dim_print writes it: "n - 1", "2*n*m", "(n + 1)/2". */
static const Dim *dim_expr(Rd *r)
{
	const Dim *d = dim_term(r);
	for (;;) {
		skip(r);
		/* a binary operator is followed by a space; "- 1" continues, "-1" in a list does not occur */
		if (r->p + 1 < r->eol && (r->p[0] == '+' || r->p[0] == '-') && r->p[1] == ' ') {
			bool minus = r->p[0] == '-';
			r->p++;
			const Dim *t = dim_term(r);
			d = minus ? dim_sub(r->dc, d, t) : dim_add(r->dc, d, t);
		} else {
			return d;
		}
	}
}

static int dim_list(Rd *r, const Dim **out)
{
	expect(r, '[');
	int n = 0;
	if (eat(r, ']'))
		return 0;
	do {
		if (n == IR_MAX_RANK)
			fail(r, "more than %d dimensions", IR_MAX_RANK);
		out[n++] = dim_expr(r);
	} while (eat(r, ','));
	expect(r, ']');
	return n;
}

static int int_list(Rd *r, int64_t *out, int cap)
{
	expect(r, '[');
	int n = 0;
	if (eat(r, ']'))
		return 0;
	do {
		if (n == cap)
			fail(r, "too many numbers in a list");
		out[n++] = integer(r);
	} while (eat(r, ','));
	expect(r, ']');
	return n;
}

typedef struct Type {
	DType dt;
	int rank;
	const Dim **shape;
} Type;

static Type type(Rd *r)
{
	Type t;
	static const char *const names[] = {"f32", "f64", "i32", "i64"};
	const char *w = ident(r);
	int k = 0;
	while (k < 4 && strcmp(w, names[k]) != 0)
		k++;
	if (k == 4)
		fail(r, "unknown element type '%s'", w);
	t.dt = (DType)k;
	const Dim *s[IR_MAX_RANK];
	t.rank = at(r, '[') ? dim_list(r, s) : 0;
	t.shape = arena_array(r->A, (size_t)t.rank + 1, sizeof(Dim *));
	memcpy(t.shape, s, (size_t)t.rank * sizeof(Dim *));
	return t;
}

static bool same(Type a, DType dt, int rank, const Dim **shape)
{
	if (a.dt != dt || a.rank != rank)
		return false;
	for (int i = 0; i < rank; i++)
		if (a.shape[i] != shape[i])
			return false;
	return true;
}

/* ---------------------------------------------------------------- functions */

static Func *read_func(Rd *r, const Func *outer, int indent);

static Op op_named(Rd *r, const char *name)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (strcmp(op_info[i].name, name) == 0)
			return (Op)i;
	fail(r, "unknown op '%s'", name);
}

/* The comment: "; NAME L:C (NOTE)", each part optional. */
static void comment(Rd *r, Inst *p)
{
	if (!eat(r, ';'))
		return;
	skip(r);
	if (r->p < r->eol && (isalpha((unsigned char)*r->p) || *r->p == '_'))
		p->name = ident(r);
	skip(r);
	if (r->p < r->eol && isdigit((unsigned char)*r->p)) {
		p->loc.line = (int)integer(r);
		expect(r, ':');
		p->loc.col = (int)integer(r);
	}
	if (eat(r, '(')) {
		const char *close = r->eol;
		while (close > r->p && close[-1] != ')')
			close--;
		if (close == r->p)
			fail(r, "unclosed note");
		p->note = arena_strndup(r->A, r->p, (size_t)(close - 1 - r->p));
		r->p = close;
	}
}

/* The attributes of p's op, after its operands. */
static void attrs(Rd *r, Inst *p, const Type *t, int *nbody)
{
	int64_t ints[64];
	switch (p->op) {
	case OP_const: {
		int64_t n = 1;
		for (int i = 0; i < t->rank; i++) {
			int64_t d;
			if (!dim_is_const(t->shape[i], &d))
				fail(r, "a constant of symbolic shape");
			n *= d;
		}
		p->nnums = n;
		p->nums = arena_array(r->A, (size_t)n + 1, sizeof(double));
		bool list = eat(r, '[');
		for (int64_t i = 0; i < n; i++) {
			if (i && !eat(r, ','))
				fail(r, "the constant has fewer than %lld numbers", (long long)n);
			p->nums[i] = number(r, t->dt == DT_F32);
		}
		if (list)
			expect(r, ']');
		break;
	}
	case OP_iota:
		if (t->rank != 1)
			fail(r, "iota is one-dimensional");
		p->nnums = 3;
		p->nums = arena_array(r->A, 3, sizeof(double));
		if (eat_word(r, "linspace")) {
			p->flags |= IF_LINSPACE;
			p->nums[0] = number(r, false);
			p->nums[2] = number(r, false);
			int64_t num;
			p->nums[1] = dim_is_const(t->shape[0], &num) && num > 1
			                 ? (p->nums[2] - p->nums[0]) / (double)(num - 1)
			                 : 0;
		} else {
			if (!eat_word(r, "start") || !eat(r, '='))
				fail(r, "iota needs start=");
			p->nums[0] = number(r, t->dt == DT_F32);
			if (!eat_word(r, "delta") || !eat(r, '='))
				fail(r, "iota needs delta=");
			p->nums[1] = number(r, t->dt == DT_F32);
		}
		break;
	case OP_dimval:
		p->ndims = 1;
		p->dims = arena_alloc(r->A, sizeof(Dim *));
		p->dims[0] = dim_expr(r);
		break;
	case OP_sum:
	case OP_max:
	case OP_min:
	case OP_prod:
	case OP_norm:
	case OP_argmax:
	case OP_argmin:
	case OP_transpose:
		if (!eat_word(r, p->op == OP_transpose ? "perm" : "axes") || !eat(r, '='))
			fail(r, "%s needs %s=[...]", op_info[p->op].name, p->op == OP_transpose ? "perm" : "axes");
		p->nints = int_list(r, ints, 64);
		p->ints = arena_array(r->A, (size_t)p->nints + 1, sizeof(int64_t));
		memcpy(p->ints, ints, (size_t)p->nints * sizeof(int64_t));
		break;
	case OP_slice:
	case OP_unslice: {
		const Dim *s[IR_MAX_RANK];
		if (!eat_word(r, "start") || !eat(r, '='))
			fail(r, "%s needs start=[...]", op_info[p->op].name);
		p->ndims = dim_list(r, s);
		p->dims = arena_array(r->A, (size_t)p->ndims + 1, sizeof(Dim *));
		memcpy(p->dims, s, (size_t)p->ndims * sizeof(Dim *));
		if (!eat_word(r, "step") || !eat(r, '='))
			fail(r, "%s needs step=[...]", op_info[p->op].name);
		p->nints = int_list(r, ints, 64);
		p->ints = arena_array(r->A, (size_t)p->nints + 1, sizeof(int64_t));
		memcpy(p->ints, ints, (size_t)p->nints * sizeof(int64_t));
		break;
	}
	case OP_concat:
	case OP_cumsum:
	case OP_linrec:
	case OP_gather:
	case OP_scatter_add:
	case OP_scatter_set:
	case OP_scatter_max:
	case OP_extract:
		if (!eat_word(r, p->op == OP_extract ? "index" : "axis") || !eat(r, '='))
			fail(r, "%s needs %s=", op_info[p->op].name, p->op == OP_extract ? "index" : "axis");
		p->nints = 1;
		p->ints = arena_alloc(r->A, sizeof(int64_t));
		p->ints[0] = integer(r);
		break;
	case OP_solve:
		p->nints = 1;
		p->ints = arena_alloc(r->A, sizeof(int64_t));
		p->ints[0] = eat_word(r, "trans");
		break;
	case OP_trisolve:
		p->nints = 3;
		p->ints = arena_array(r->A, 3, sizeof(int64_t));
		if (!(p->ints[0] = eat_word(r, "lower")) && !eat_word(r, "upper"))
			fail(r, "trisolve needs lower or upper");
		p->ints[1] = eat_word(r, "trans");
		p->ints[2] = eat_word(r, "unit");
		break;
	case OP_matmul:
		p->nints = 2;
		p->ints = arena_array(r->A, 2, sizeof(int64_t));
		p->ints[0] = eat_word(r, "ta");
		p->ints[1] = eat_word(r, "tb");
		break;
	case OP_loop: {
		if (!eat_word(r, "range"))
			fail(r, "loop needs range(START, STOP, STEP)");
		expect(r, '(');
		p->ndims = 2;
		p->dims = arena_array(r->A, 2, sizeof(Dim *));
		p->dims[0] = dim_expr(r);
		expect(r, ',');
		p->dims[1] = dim_expr(r);
		expect(r, ',');
		p->nints = LOOP_NINTS;
		p->ints = arena_array(r->A, LOOP_NINTS, sizeof(int64_t));
		p->ints[LOOP_STEP] = integer(r);
		expect(r, ')');
		static const char *const counts[] = {"inv", "carry", "xs"};
		for (int k = 0; k < 3; k++) {
			if (!eat_word(r, counts[k]) || !eat(r, '='))
				fail(r, "loop needs %s=", counts[k]);
			p->ints[LOOP_NINV + k] = integer(r);
		}
		if (eat_word(r, "break"))
			p->ints[LOOP_FLAGS] |= LF_BREAK;
		if (eat_word(r, "reverse"))
			p->ints[LOOP_FLAGS] |= LF_REVERSE;
		if (eat_word(r, "checkpoint")) {
			expect(r, '=');
			p->ints[LOOP_CKPT] = integer(r);
		}
		*nbody = 1;
		break;
	}
	case OP_cond: *nbody = 2; break;
	default: break;
	}
}

/* One instruction line; returns its value. */
static int instruction(Rd *r, Func *f, int indent)
{
	int id = value_ref(r);
	if (id != f->ins.len)
		fail(r, "%%%d where %%%d comes next", id, f->ins.len);
	expect(r, ':');
	Type t = {DT_F64, 0, NULL};
	bool tuple = at(r, '(');
	if (tuple) { /* a control-flow op's results: derived from its bodies */
		int depth = 0;
		do {
			depth += *r->p == '(' ? 1 : *r->p == ')' ? -1 : 0;
			r->p++;
		} while (depth > 0 && r->p < r->eol);
	} else {
		t = type(r);
	}
	expect(r, '=');
	Inst p;
	memset(&p, 0, sizeof p);
	p.op = op_named(r, ident(r));
	p.dt = t.dt;
	p.rank = t.rank;
	p.shape = t.shape;
	p.stmt = -1;
	if ((p.op == OP_loop || p.op == OP_cond) != tuple)
		fail(r, "%s %s a list of result types", op_info[p.op].name, tuple ? "does not take" : "needs");
	if (p.op == OP_param) {
		const char *name = ident(r);
		bool nograd = eat_word(r, "nograd");
		int v = ir_param(f, name, t.dt, t.rank, t.shape, nograd);
		comment(r, ir_inst(f, v));
		ir_inst(f, v)->name = name;
		return v;
	}
	int args[256], n = 0;
	if (at(r, '%')) {
		do {
			if (n == 256)
				fail(r, "too many operands");
			args[n] = value_ref(r);
			if (args[n] < 0 || args[n] >= f->ins.len)
				fail(r, "%%%d is not defined before use", args[n]);
			n++;
		} while (eat(r, ','));
	}
	p.nargs = n;
	int nbody = 0;
	attrs(r, &p, &t, &nbody);
	comment(r, &p);
	if (r->p != r->eol && !at(r, '\n'))
		fail(r, "unexpected '%.*s'", (int)(r->eol - r->p), r->p);
	const OpInfo *info = &op_info[p.op];
	if (info->arity >= 0 && n != info->arity)
		fail(r, "%s takes %d operands, not %d", info->name, info->arity, n);
	if (nbody) {
		p.nbodies = nbody;
		p.bodies = arena_array(r->A, (size_t)nbody, sizeof(Func *));
		for (int j = 0; j < nbody; j++) {
			if (peek_indent(r) != indent + 4)
				fail(r, "%s needs %d bod%s, indented by 4 more", info->name, nbody,
				     nbody == 1 ? "y" : "ies");
			p.bodies[j] = read_func(r, f, indent + 4);
		}
	}
	int rank;
	const char *why;
	const Dim **shape = ir_infer_shape(f, &p, args, &rank, &why);
	if (!shape)
		fail(r, "%s: %s", info->name, why);
	if (!tuple && (rank != t.rank || memcmp(shape, t.shape, (size_t)rank * sizeof(Dim *)) != 0))
		fail(r, "the type of %%%d is not what %s gives", id, info->name);
	for (int k = 0; k < n; k++)
		if (ir_inst(f, args[k])->dt != t.dt && !ir_operand_dtype_free(p.op, k))
			fail(r, "operand %d of %s has another dtype", k, info->name);
	if (p.op == OP_extract) {
		DType dt;
		const Dim **s;
		if (!ir_result_type(f, args[0], (int)p.ints[0], &dt, &rank, &s) || !same(t, dt, rank, s))
			fail(r, "the type of %%%d is not that of the result it extracts", id);
	}
	return ir_rebuild(f, &p, args);
}

/* "func NAME(p: TYPE [nograd], ...) -> (r: TYPE, ...)" or "body NAME(...)",
 * its lines, and "ret r=%N, ...". */
static Func *read_func(Rd *r, const Func *outer, int indent)
{
	next_line(r);
	bool body = eat_word(r, "body");
	if (!body && !eat_word(r, "func"))
		fail(r, "expected 'func' or 'body'");
	if (body != (outer != NULL))
		fail(r, body ? "a body outside a control-flow op" : "a function inside a function");
	const char *name = ident(r);
	Func *f = body ? ir_body_new(outer, name) : ir_func_new(r->A, r->dc, r->src, name);
	expect(r, '(');
	VEC(Type) ptypes = {0};
	VEC(const char *) pnames = {0};
	VEC(bool) pnograd = {0};
	if (!eat(r, ')')) {
		do {
			VEC_PUSH(r->A, pnames, ident(r));
			expect(r, ':');
			VEC_PUSH(r->A, ptypes, type(r));
			VEC_PUSH(r->A, pnograd, eat_word(r, "nograd"));
		} while (eat(r, ','));
		expect(r, ')');
	}
	expect(r, '-');
	expect(r, '>');
	expect(r, '(');
	if (!eat(r, ')')) {
		do {
			FuncResult fr;
			memset(&fr, 0, sizeof fr);
			fr.name = ident(r);
			expect(r, ':');
			Type t = type(r);
			fr.dt = t.dt, fr.rank = t.rank, fr.shape = t.shape, fr.value = -1;
			VEC_PUSH(r->A, f->results, fr);
		} while (eat(r, ','));
		expect(r, ')');
	}
	/* the symbolic dimensions, in the order they first appear alone in a parameter's type */
	for (int i = 0; !body && i < ptypes.len; i++)
		for (int k = 0; k < ptypes.data[i].rank; k++) {
			const Dim *d = ptypes.data[i].shape[k];
			if (d->nterms != 1 || d->terms[0].n != 1 || d->terms[0].coef != 1 ||
			    d->terms[0].atoms[0]->kind != DIM_ATOM_SYM)
				continue;
			const char *s = d->terms[0].atoms[0]->name;
			bool seen = false;
			for (int j = 0; j < f->dimsyms.len; j++)
				seen = seen || strcmp(f->dimsyms.data[j], s) == 0;
			if (!seen)
				VEC_PUSH(r->A, f->dimsyms, s);
		}
	for (;;) {
		int ind = peek_indent(r);
		if (ind != indent + 2)
			fail(r, "expected a line indented by %d in '%s', or its ret", indent + 2, name);
		next_line(r);
		if (eat_word(r, "require")) {
			const char *text = r->p;
			Constraint c = {CONS_GE0, NULL, NULL, NULL};
			c.a = dim_expr(r);
			if (eat(r, '>')) {
				expect(r, '=');
				if (integer(r) != 0)
					fail(r, "require ... >= 0 only");
				if (eat_word(r, "where")) { /* require A >= 0 where B > 0 */
					c.b = dim_expr(r);
					if (!eat(r, '>') || integer(r) != 0)
						fail(r, "expected 'where D > 0'");
				}
			} else if (eat(r, '=')) {
				expect(r, '=');
				c.kind = CONS_EQ;
				c.b = dim_expr(r);
			} else if (eat_word(r, "divisible") && eat_word(r, "by")) {
				c.kind = CONS_DIVIDES;
				c.b = dim_expr(r);
			} else {
				fail(r, "expected '>= 0', '== D' or 'divisible by D'");
			}
			c.msg = arena_printf(r->A, "%.*s fails", (int)(r->p - text), text);
			VEC_PUSH(r->A, f->cons, c);
			continue;
		}
		if (eat_word(r, "ret")) {
			for (int i = 0; i < f->results.len; i++) {
				if (i)
					expect(r, ',');
				FuncResult *fr = &f->results.data[i];
				const char *rn = ident(r);
				if (strcmp(rn, fr->name) != 0)
					fail(r, "ret names '%s' where the signature has '%s'", rn, fr->name);
				expect(r, '=');
				if (eat_word(r, "none")) {
					fr->value = -1;
					continue;
				}
				fr->value = value_ref(r);
				if (fr->value < 0 || fr->value >= f->ins.len)
					fail(r, "result %s is %%%d, which is not defined", fr->name, fr->value);
				const Inst *in = ir_inst(f, fr->value);
				if (in->op == OP_loop || in->op == OP_cond ||
				    !same((Type){fr->dt, fr->rank, fr->shape}, in->dt, in->rank, in->shape))
					fail(r, "result %s is not of its declared type", fr->name);
			}
			break;
		}
		if (!at(r, '%'))
			fail(r, "expected an instruction, 'require' or 'ret'");
		int v = instruction(r, f, indent);
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_param) {
			int k = f->params.len - 1;
			if (k >= ptypes.len || strcmp(pnames.data[k], in->name) != 0 ||
			    !same(ptypes.data[k], in->dt, in->rank, in->shape) ||
			    pnograd.data[k] != ((in->flags & IF_NOGRAD) != 0))
				fail(r, "parameter %s is not the signature's parameter %d", in->name, k);
		}
	}
	if (f->params.len != ptypes.len)
		fail(r, "'%s' has %d parameter lines for %d parameters", name, f->params.len, ptypes.len);
	return f;
}

Func **ir_read(Arena *A, DimCtx *dc, SrcFile *src, const char *text, int *nfuncs, const char **err)
{
	Rd r;
	memset(&r, 0, sizeof r);
	r.A = A;
	r.dc = dc;
	r.src = src;
	r.text = text;
	*nfuncs = 0;
	*err = NULL;
	VEC(Func *) fs = {0};
	if (setjmp(r.fail)) {
		*err = r.err;
		return NULL;
	}
	while (peek_indent(&r) == 0)
		VEC_PUSH(A, fs, read_func(&r, NULL, 0));
	if (peek_indent(&r) > 0) {
		next_line(&r);
		fail(&r, "a line indented where a function should start");
	}
	for (int i = 0; i < fs.len; i++) {
		const char *why = ir_verify(fs.data[i]);
		if (why)
			fail(&r, "'%s' is not valid IR: %s", fs.data[i]->name, why);
	}
	*nfuncs = fs.len;
	return fs.data;
}
