/* emit_expr.c: names, index arithmetic, and the C expression of a value at
 * an index. Every value is either stored (a parameter, a result buffer, a
 * scratch buffer in the caller's work memory, a local scalar, a static
 * constant array) or inlined into the loops of the values that use it;
 * inlined shape ops (broadcast, slice, transpose, unit reshapes, concat,
 * the adjoint of a slice) become index arithmetic, so `x[1:] - x[:-1]`
 * reads x directly. Inside a kernel a subexpression used more than once at
 * the same index is computed once into a local. */
#include "emit.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

/* clang-format off */
static const char *const reserved[] = {
    /* C keywords */
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool",
    "_Complex", "_Imaginary", "bool", "true", "false", "main",
    /* what the emitted code uses from the C library, besides the math
     * functions of ops.def's L list (reserved below, in both precisions) */
    "abs", "fmax", "fmaxf", "fmin", "fminf", "malloc", "free", "memset",
    "memcpy", "size_t", "int64_t", "int32_t", "uint64_t", "SIZE_MAX", "INT64_MAX", "INFINITY", "NAN", "NULL",
    "work", "size", "err", "errno", "math", "stdint", "stdlib", "string", "exit", "abort", "printf",
};
/* clang-format on */

static const char *const libm_names[] = {
#define L(name, arity, vector) #name,
#include "ops.def"
};
static const char *const libm_names_f[] = {
#define L(name, arity, vector) #name "f",
#include "ops.def"
};
enum { NLIBM = sizeof libm_names / sizeof libm_names[0] };

bool ec_is_reserved(const char *s)
{
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strcmp(reserved[i], s) == 0)
			return true;
	for (int i = 0; i < NLIBM; i++)
		if (strcmp(libm_names[i], s) == 0 || strcmp(libm_names_f[i], s) == 0)
			return true;
	return false;
}

/* The names of a function start with C's and the C library's, taken. */
void ec_names_init(Emit *E)
{
	E->names = names_new(E->A);
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		names_add(E->names, reserved[i]);
	for (int i = 0; i < NLIBM; i++) {
		names_add(E->names, libm_names[i]);
		names_add(E->names, libm_names_f[i]);
	}
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
const char *ec_fresh(Emit *E, const char *base)
{
	return names_fresh(E->names, unreserved(E, base));
}

/* A user-visible name: kept as written unless it clashes, then given a
 * trailing underscore. */
const char *ec_user_name(Emit *E, const char *base)
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
	for (int i = 0; i < E->root->dimsyms.len; i++)
		if (strcmp(E->root->dimsyms.data[i], sym) == 0)
			return E->dimname[i];
	ICE("dimension %s has no C name", sym);
}

const char *ec_dim(Emit *E, const Dim *d)
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

const char *ec_paren(Emit *E, const char *s)
{
	if (simple_expr(s))
		return s;
	size_t n = strlen(s);
	char *p = arena_alloc(E->A, n + 3);
	p[0] = '(';
	memcpy(p + 1, s, n);
	memcpy(p + n + 1, ")", 2);
	return p;
}

const char *ec_ctype(DType dt)
{
	static const char *const names[] = {"float", "double", "int32_t", "int64_t"};
	return names[dt];
}

const char *ec_literal(Emit *E, double v, DType dt)
{
	char s[48];
	if (dtype_is_int(dt)) {
		int64_t i = (int64_t)v;
		return i < 0 ? arena_printf(E->A, "(%" PRId64 ")", i) : arena_printf(E->A, "%" PRId64, i);
	}
	if (v != v)
		return dt == DT_F32 ? "(float)NAN" : "NAN";
	if (v == INFINITY || v == -INFINITY) {
		const char *inf = v > 0 ? "INFINITY" : "(-INFINITY)";
		return dt == DT_F32 ? arena_printf(E->A, "(float)%s", inf) : inf;
	}
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	if (!E->lits) {
		E->lits = arena_array(E->A, LIT_CACHE, sizeof *E->lits);
		for (int i = 0; i < LIT_CACHE; i++)
			E->lits[i].dt = -1;
	}
	LitEnt *c = &E->lits[hash_final(bits ^ (uint64_t)dt) % LIT_CACHE];
	if (c->dt == (int)dt && c->bits == bits)
		return c->text;
	fmt_shortest(s, sizeof s, v, dt == DT_F32);
	if (!strpbrk(s, ".e"))
		strcat(s, ".0");
	const char *r = arena_printf(E->A, "%s%s", s, dt == DT_F32 ? "f" : "");
	if (v < 0 || (v == 0 && 1 / v < 0))
		r = arena_printf(E->A, "(%s)", r);
	*c = (LitEnt){bits, (int)dt, r};
	return r;
}

/* ---------------------------------------------------------------- index expressions */

const char *ec_offset(Emit *E, const Inst *buf, const Index *ix)
{
	if (!ix->ax)
		return ix->lin;
	const char *off = NULL;
	for (int k = 0; k < buf->rank; k++) {
		int64_t d;
		bool one = dim_is_const(buf->shape[k], &d) && d == 1;
		if (off && !one)
			off = arena_printf(E->A, "%s * %s", ec_paren(E, off), ec_paren(E, ec_dim(E, buf->shape[k])));
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
	return ec_offset(E, in, ix);
}

Index ec_index(Emit *E, int rank)
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
		scaled = arena_printf(E->A, "%" PRId64 " * %s", step, ec_paren(E, i));
	if (strcmp(start, "0") == 0)
		return scaled ? scaled : arena_printf(E->A, "-%s", ec_paren(E, i));
	if (!scaled)
		return arena_printf(E->A, "%s - %s", start, ec_paren(E, i));
	if (strcmp(i, "0") == 0)
		return start;
	return arena_printf(E->A, "%s + %s", scaled, ec_paren(E, start));
}

/* ---------------------------------------------------------------- expressions */

/* A name, a number or a load x[...]: cheap to repeat. */
bool ec_trivial(const char *s)
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
const char *ec_strip(Emit *E, const char *s)
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

void ec_line(Emit *E, const char *fmt, ...)
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
	if (ec_var(E, v))
		return E->home[v];
	if (in->rank == 0 && !ix.ax && strcmp(ix.lin, "0") != 0)
		return arena_printf(E->A, "%s[0]", E->home[v]);
	return arena_printf(E->A, "%s[%s]", E->home[v], ec_offset(E, in, &ix));
}

/* "v|i0|i1..." for an index per axis, "v#lin" for a linear one: written
 * directly, as the emitter makes one for every inlined value it visits. */
static const char *key_of(Emit *E, int v, Index ix)
{
	char num[16];
	int nl = snprintf(num, sizeof num, "%d", v);
	int nparts = ix.ax ? ix.rank : 1;
	size_t len = (size_t)nl;
	for (int k = 0; k < nparts; k++)
		len += 1 + strlen(ix.ax ? ix.ax[k] : ix.lin);
	char *key = arena_alloc(E->A, len + 1), *p = key;
	memcpy(p, num, (size_t)nl);
	p += nl;
	for (int k = 0; k < nparts; k++) {
		const char *part = ix.ax ? ix.ax[k] : ix.lin;
		size_t n = strlen(part);
		*p++ = ix.ax ? '|' : '#';
		memcpy(p, part, n);
		p += n;
	}
	*p = 0;
	return key;
}

static int *cache_slot(const Cache *C, const char *key)
{
	for (size_t i = (size_t)hash_str(key);; i++) {
		int *s = &C->slots[i & (size_t)(C->cap - 1)];
		if (*s == 0 || strcmp(C->ents.data[*s - 1].key, key) == 0)
			return s;
	}
}

static CacheEnt *cache_find(Emit *E, const char *key)
{
	Cache *C = &E->cache;
	if (!C->cap)
		return NULL;
	int *s = cache_slot(C, key);
	return *s ? &C->ents.data[*s - 1] : NULL;
}

static void cache_add(Emit *E, CacheEnt ne)
{
	Cache *C = &E->cache;
	if (2 * (C->ents.len + 1) > C->cap) {
		arena_release(E->A, C->slots, (size_t)C->cap * sizeof(int));
		C->cap = C->cap ? 2 * C->cap : 64;
		C->slots = arena_array(E->A, (size_t)C->cap, sizeof(int));
		for (int i = 0; i < C->ents.len; i++) {
			int *s = cache_slot(C, C->ents.data[i].key);
			*s = i + 1;
			C->ents.data[i].slot = (int)(s - C->slots);
		}
	}
	int *s = cache_slot(C, ne.key);
	ne.slot = (int)(s - C->slots);
	VEC_PUSH(E->A, C->ents, ne);
	*s = C->ents.len;
}

/* Empty for the next kernel: only the slots in use are cleared. */
void ec_cache_reset(Emit *E)
{
	Cache *C = &E->cache;
	for (int i = 0; i < C->ents.len; i++)
		C->slots[C->ents.data[i].slot] = 0;
	C->ents.len = 0;
}

/* The operand index an inlined shape op reads for result index ix. */
Index ec_gather_index(Emit *E, const Inst *in, Index ix)
{
	Func *f = E->f;
	if (!ix.ax && in->rank == 0)
		ix = ec_index(E, 0); /* (a scalar's linear index is its empty one) */
	if (!ix.ax)
		ICE("%s read through a linear index", op_info[in->op].name);
	const Inst *idx = ir_inst(f, in->args[1]);
	int axis = (int)in->ints[0], rank = in->op == OP_gather ? ir_inst(f, in->args[0])->rank : in->rank;
	Index jx = ec_index(E, idx->rank), o = ec_index(E, rank);
	for (int i = 0; i < idx->rank; i++)
		jx.ax[i] = ix.ax[axis + i];
	for (int i = 0; i < rank; i++)
		o.ax[i] = i < axis ? ix.ax[i] : i > axis ? ix.ax[i - 1 + idx->rank] : ec_ex(E, in->args[1], jx);
	return o;
}

static Index map_index(Emit *E, const Inst *in, Index ix, int k, const char **guard)
{
	Func *f = E->f;
	const Inst *a = ir_inst(f, in->args[k]);
	*guard = NULL;
	if (!ix.ax && in->rank == 0)
		ix = ec_index(E, 0); /* a scalar read through its linear index "0": no axes */
	switch (in->op) {
	case OP_broadcast: {
		if (!ix.ax)
			ICE("broadcast read through a linear index");
		Index o = ec_index(E, a->rank);
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
			Index o = ec_index(E, a->rank);
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
		Index o = ec_index(E, a->rank);
		for (int i = 0; i < in->rank; i++)
			o.ax[in->ints[i]] = ix.ax[i];
		return o;
	}
	case OP_gather: return ec_gather_index(E, in, ix);
	case OP_slice: {
		Index o = ec_index(E, a->rank);
		for (int i = 0; i < in->rank; i++)
			o.ax[i] = shift(E, ix.ax[i], ec_dim(E, in->dims[i]), in->ints[i]);
		return o;
	}
	case OP_unslice: {
		/* result[start + step*j] = operand[j]; zero elsewhere */
		Index o = ec_index(E, a->rank);
		Buf g;
		buf_init(&g, E->A);
		for (int i = 0; i < in->rank; i++) {
			const char *start = ec_dim(E, in->dims[i]);
			int64_t step = in->ints[i];
			const char *d = strcmp(start, "0") == 0
			                    ? ix.ax[i]
			                    : arena_printf(E->A, "%s - %s", ix.ax[i], ec_paren(E, start));
			bool full = strcmp(start, "0") == 0 && step == 1 && a->shape[i] == in->shape[i];
			if (full) {
				o.ax[i] = ix.ax[i];
				continue;
			}
			const char *len = ec_dim(E, a->shape[i]);
			if (step == 1) {
				o.ax[i] = d;
				if (strcmp(start, "0") != 0)
					buf_printf(&g, "%s%s >= %s", g.len ? " && " : "", ix.ax[i], ec_paren(E, start));
				buf_printf(&g, "%s%s < %s", g.len ? " && " : "", ec_paren(E, d), ec_paren(E, len));
			} else {
				int64_t s = step < 0 ? -step : step;
				const char *dd =
				    step < 0 ? arena_printf(E->A, "%s - %s", start, ec_paren(E, ix.ax[i])) : d;
				o.ax[i] = arena_printf(E->A, "%s / %" PRId64, ec_paren(E, dd), s);
				buf_printf(&g, "%s%s >= 0 && %s %% %" PRId64 " == 0 && %s / %" PRId64 " < %s",
				           g.len ? " && " : "", ec_paren(E, dd), ec_paren(E, dd), s, ec_paren(E, dd), s,
				           ec_paren(E, len));
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
		Index o = ec_index(E, a->rank);
		for (int i = 0; i < a->rank; i++)
			o.ax[i] = ix.ax[i];
		const char *os = ec_dim(E, off);
		if (strcmp(os, "0") != 0)
			o.ax[axis] = arena_printf(E->A, "%s - %s", ix.ax[axis], ec_paren(E, os));
		return o;
	}
	default: return ix;
	}
}

/* The C of the ops whose integer versions differ from ops.def's (no libm,
 * no NaN); NULL for the others. */
static const char *int_template(const Func *f, const Inst *in)
{
	if (!dtype_is_int(in->dt))
		return NULL;
	switch (in->op) {
	case OP_abs: return "($0 < 0 ? -$0 : $0)";
	case OP_maximum: return "($0 > $1 ? $0 : $1)";
	case OP_minimum: return "($0 < $1 ? $0 : $1)";
	case OP_floordiv: return "($T)ad_floordiv_($0, $1)";
	case OP_mod: return "($T)ad_mod_($0, $1)";
	case OP_cast: return dtype_is_int(ir_inst(f, in->args[0])->dt) ? NULL : "($T)ad_to_int_($0)";
	default: return NULL;
	}
}

bool ec_int_helpers(const Func *f, const Inst *in)
{
	const char *t = int_template(f, in);
	return t && strstr(t, "ad_");
}

/* Does the C template call a math function libmvec has a vector form of? */
static bool calls_vector_libm(const char *t)
{
	int i;
	for (const char *p = t; t && (i = ec_libm_call(t, &p)) >= 0;)
		if (ec_libm_vector(i))
			return true;
	return false;
}

static bool inline_calls_vector(Emit *E, int v, bool root)
{
	if ((!root && E->mat[v] != M_INLINE) || E->visited[v] == E->visit)
		return false;
	E->visited[v] = E->visit;
	const Inst *in = ir_inst(E->f, v);
	if (op_info[in->op].kind == K_EW) {
		const char *t = int_template(E->f, in);
		if (calls_vector_libm(t ? t : op_info[in->op].c))
			return true;
	}
	if (op_info[in->op].kind != K_EW && op_info[in->op].kind != K_SHAPE)
		return false;
	for (int k = 0; k < in->nargs; k++)
		if (inline_calls_vector(E, in->args[k], false))
			return true;
	return false;
}

const char *ec_vec_hint(Emit *E, int v, int rank, const Dim **shape)
{
	int64_t n = 1, d;
	for (int k = 0; k < rank; k++)
		if (!dim_is_const(shape[k], &d) || d > VEC_SHORT_MAX || (n *= d) > VEC_SHORT_MAX)
			return "AD_VEC_";
	E->visit++; /* (a new walk: each value once) */
	return inline_calls_vector(E, v, true) ? "AD_VEC_" : NULL;
}

static const char *subst(Emit *E, const Inst *in, const char *const *ops)
{
	const char *t = int_template(E->f, in);
	t = t ? t : op_info[in->op].c;
	Buf b;
	buf_init(&b, E->A);
	for (const char *p = t; *p; p++) {
		if (*p == '$' && p[1] >= '0' && p[1] <= '2') {
			buf_puts(&b, ec_paren(E, ops[p[1] - '0']));
			p++;
		} else if (*p == '$' && p[1] == 'T') {
			buf_puts(&b, ec_ctype(in->dt));
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
		br->expr = ec_ex(E, v, ix);
		return;
	}
	Buf *outer = E->body;
	int mark = E->named.len;
	buf_init(&br->lines, E->A);
	E->body = &br->lines;
	E->depth++;
	E->branches++;
	br->expr = ec_ex(E, v, ix);
	E->branches--;
	E->depth--;
	E->body = outer;
	/* the names made inside are out of scope after the branch */
	for (int i = mark; i < E->named.len; i++)
		E->cache.ents.data[E->named.data[i]].expr = NULL;
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
	const char *t = ec_fresh(E, in->name ? in->name : "t");
	ec_line(E, "%s %s;", ec_ctype(in->dt), t);
	for (int k = 0; k < n; k++) {
		if (k == 0)
			ec_line(E, "if (%s) {", br[k].guard);
		else if (br[k].guard)
			ec_line(E, "} else if (%s) {", br[k].guard);
		else
			ec_line(E, "} else {");
		buf_puts(E->body, br[k].lines.data ? br[k].lines.data : "");
		buf_free(&br[k].lines);
		E->depth++;
		ec_line(E, "%s = %s;", t, ec_strip(E, br[k].expr));
		E->depth--;
	}
	ec_line(E, "}");
	return t;
}

const char *ec_compute(Emit *E, int v, Index ix)
{
	Func *f = E->f;
	const Inst *in = ir_inst(f, v);
	switch (in->op) {
	case OP_const: return ec_literal(E, in->nums[0], in->dt);
	case OP_iota: {
		const char *i = ix.ax ? ix.ax[0] : ix.lin;
		double start = in->nums[0], delta = in->nums[1];
		if (in->flags & IF_LINSPACE) { /* NumPy: computed in double, last = stop */
			const char *last = ec_dim(E, dim_sub(f->dc, in->shape[0], dim_const(f->dc, 1)));
			const char *a = ec_literal(E, start, DT_F64), *b = ec_literal(E, in->nums[2], DT_F64);
			const char *at_last = b, *step = ec_literal(E, delta, DT_F64);
			int64_t num;
			if (!dim_is_const(in->shape[0], &num)) { /* the step (stop - start) / last, when it runs */
				at_last = arena_printf(E->A, "(%s == 0 ? %s : %s)", ec_paren(E, last), a, b);
				step = arena_printf(E->A, "((%s - %s) / (double)%s)", b, a, ec_paren(E, last));
			}
			const char *e = arena_printf(E->A, "%s == %s ? %s : %s + (double)%s * %s", ec_paren(E, i),
			                             ec_paren(E, last), at_last, a, ec_paren(E, i), step);
			return in->dt == DT_F32 ? arena_printf(E->A, "(float)(%s)", e) : arena_printf(E->A, "(%s)", e);
		}
		/* NumPy's arange fill, in the array's dtype */
		const char *ii = arena_printf(E->A, "(%s)%s", ec_ctype(in->dt), ec_paren(E, i));
		if (start == 0 && delta == 1)
			return ii;
		if (start == 0)
			return arena_printf(E->A, "%s * %s", ii, ec_literal(E, delta, in->dt));
		return arena_printf(E->A, "%s + %s * %s", ec_literal(E, start, in->dt), ii,
		                    ec_literal(E, delta, in->dt));
	}
	case OP_dimval: return arena_printf(E->A, "(%s)%s", ec_ctype(in->dt), ec_paren(E, ec_dim(E, in->dims[0])));
	default: break;
	}
	const OpInfo *info = &op_info[in->op];
	if (info->kind == K_EW) {
		const char *ops[3], *tmpl = int_template(f, in);
		tmpl = tmpl ? tmpl : info->c;
		for (int k = 0; k < in->nargs; k++) {
			ops[k] = ec_ex(E, in->args[k], ix);
			/* an operand the template repeats is computed once */
			if (template_uses(tmpl, k) > 1 && !ec_trivial(ops[k])) {
				const char *t = E->counting ? "t" : ec_fresh(E, "t");
				ec_line(E, "const %s %s = %s;", ec_ctype(ir_inst(f, in->args[k])->dt), t,
				        ec_strip(E, ops[k]));
				ops[k] = t;
			}
		}
		/* the counting pass needs the operands visited, not the text */
		return E->counting ? "(counted)" : subst(E, in, ops);
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
					    arena_printf(E->A, "%s < %s", ix.ax[axis], ec_paren(E, ec_dim(E, upto)));
				branch_eval(E, in->args[k], map_index(E, in, ix, k, &g), &br[k]);
			}
			return select_branch(E, in, br, in->nargs);
		}
		const char *guard;
		Index o = map_index(E, in, ix, 0, &guard);
		if (!guard)
			return ec_ex(E, in->args[0], o);
		/* the operand inside its window, zero outside */
		Branch br[2] = {{.guard = guard}, {.expr = "0"}};
		branch_eval(E, in->args[0], o, &br[0]);
		return select_branch(E, in, br, 2);
	}
	ICE("%s cannot be inlined", info->name);
}

const char *ec_ex(Emit *E, int v, Index ix)
{
	if (E->mat[v] != M_INLINE)
		return load(E, v, ix);
	const Inst *in = ir_inst(E->f, v);
	if (in->op == OP_const || in->op == OP_dimval)
		return ec_compute(E, v, ix);
	const char *key = key_of(E, v, ix);
	CacheEnt *c = cache_find(E, key);
	if (E->counting) {
		if (c) {
			c->count++;
			return "t";
		}
		cache_add(E, (CacheEnt){key, NULL, 1, 0});
		return ec_compute(E, v, ix);
	}
	if (c && c->expr)
		return c->expr;
	const char *e = ec_compute(E, v, ix);
	bool shape_op = op_info[in->op].kind == K_SHAPE && in->op != OP_concat && in->op != OP_unslice;
	/* inside a guarded branch a long expression stays where it is: a local
	 * would turn the branch's ?: into statements */
	bool long_ = strlen(e) > 100 && !E->branches;
	if (c && !shape_op && ((c->count > 1 && !ec_trivial(e)) || long_)) {
		const char *name = ec_fresh(E, in->name ? in->name : "t");
		ec_line(E, "const %s %s = %s;", ec_ctype(in->dt), name, e);
		e = name;
	}
	if (c && ec_trivial(e)) {
		c->expr = e; /* valid until the branch it was made in ends */
		VEC_PUSH(E->A, E->named, (int)(c - E->cache.ents.data));
	}
	return e;
}
