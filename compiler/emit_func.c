/* emit_func.c: one function as C: where each value lives (from the
 * schedule), its work memory, its kernels in order, its checks of the
 * dimensions and its entry points (NAME, NAME_work, NAME_work_size,
 * NAME_call). */
#include "emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- functions */

const char *ec_numel(Emit *E, int rank, const Dim **shape)
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
		buf_puts(&b, ec_paren(E, ec_dim(E, shape[k])));
	}
	return b.len ? buf_finish(&b, E->A) : "1";
}

void ec_comment(Emit *E, int v)
{
	const Inst *in = ir_inst(E->f, v);
	if (!E->o->comments || in->stmt < 0 || in->stmt == E->last_stmt)
		return;
	E->last_stmt = in->stmt;
	const StmtInfo *s = &E->root->stmts.data[in->stmt];
	Buf b;
	buf_init(&b, E->A);
	for (int l = s->loc.line; l <= s->last_line && l <= s->loc.line + 3; l++) {
		int len;
		const char *p = src_line(E->root->src, l, &len);
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
		const Buf *o = E->body;
		if (!(o->len >= 2 && o->data[o->len - 2] == '{' && o->data[o->len - 1] == '\n'))
			buf_putc(E->body, '\n'); /* a blank line between statements, not after a brace */
		buf_indent(E->body, E->depth);
		buf_printf(E->body, "/* %s:%d: %s */\n", E->root->src->name, s->loc.line, t);
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
			buf_printf(&t, "%s%s", k ? ", " : "", ec_dim(E, in->shape[k]));
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
		buf_printf(b, "%sconst %s *%s%s", first ? "" : ", ", ec_ctype(p->dt), r, pnames[i]);
		first = false;
	}
	for (int i = 0; i < nr; i++) {
		buf_printf(b, "%s%s *%s%s", first ? "" : ", ", ec_ctype(f->results.data[i].dt), r, rnames[i]);
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

/* Documentation of a signature, for the header and the definition. */
static void signature_doc(Emit *E, Buf *doc, const FuncEmit *fe, const char **pnames, const char **rnames)
{
	Func *f = fe->f;
	buf_printf(doc, "/* %s, from %s:%d.\n", fe->title ? fe->title : f->name, f->src->name, f->loc.line);
	for (int i = 0; i < f->params.len; i++) {
		const Inst *p = ir_inst(f, f->params.data[i]);
		bool seed = fe->nullable_from >= 0 && i >= fe->nullable_from && i < fe->nullable_to;
		const char *note = !seed                ? ""
		                   : fe->nullable_zeros ? " (a tangent; NULL means zeros)"
		                                        : " (a seed; NULL means ones)";
		buf_printf(doc, " *   in  %-10s %s%s%s\n", pnames[i], type_doc(E, p->dt, p->rank, p->shape),
		           p->flags & IF_NOGRAD && !seed ? " (nograd)" : "", note);
	}
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		buf_printf(doc, " *   out %-10s %s%s%s\n", rnames[i], type_doc(E, r->dt, r->rank, r->shape),
		           r->value < 0 ? " (none: always zeros)" : "", fe->optional ? " (NULL: not computed)" : "");
	}
	buf_puts(doc, " * Arrays are contiguous and row-major, scalars are passed by pointer, and no\n"
	              " * output may overlap another array. Returns 0, or AD_ERR_DIM for dimensions\n"
	              " * that are negative, too large or inconsistent, or AD_ERR_NOMEM");
	buf_puts(doc, *E->index_checks
	                  ? ", or\n * AD_ERR_INDEX for an index out of range (then the scratch memory given\n"
	                    " * to _work or _call starts with its ad_index_error). */\n"
	                  : ". */\n");
}

/* --emit=schedule: the inlined values a kernel evaluates, in operand order
 * (seen[a] == stamp: listed already for this kernel). */
static void list_inlined(Emit *E, int v, Buf *b, int *seen, int stamp)
{
	const Inst *in = ir_inst(E->f, v);
	for (int k = 0; k < in->nargs; k++) {
		int a = in->args[k];
		if (E->mat[a] != M_INLINE || seen[a] == stamp)
			continue;
		seen[a] = stamp;
		list_inlined(E, a, b, seen, stamp);
		buf_printf(b, " %s%%%d", op_info[ir_inst(E->f, a)->op].name, a);
	}
}

static void schedule_report(Emit *E, Buf *r, const char *base, int indent)
{
	Func *f = E->f;
	int n = f->ins.len;
	int *seen = arena_array(E->A, (size_t)n + 1, sizeof(int));
	buf_printf(r, "%*s%s:\n", indent, "", base);
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		int m = E->mat[v];
		const char *where = m == M_INLINE   ? NULL
		                    : m == M_PARAM  ? "parameter"
		                    : m == M_STATIC ? "constant"
		                    : m == M_ALIAS  ? "view"
		                    : m == M_LOCAL  ? "local"
		                    : m == M_RESULT ? "result"
		                    : m == M_CTRL   ? "statement"
		                                    : "buffer";
		if (!where || m == M_PARAM || m == M_STATIC)
			continue;
		const char *kind = m == M_ALIAS                        ? "view"
		                   : m == M_CTRL                       ? "ctrl"
		                   : in->op == OP_extract              ? "out"
		                   : op_info[in->op].kind == K_MATMUL  ? "gemm"
		                   : op_info[in->op].kind == K_REDUCE  ? "reduce"
		                   : op_info[in->op].kind == K_SCAN    ? "scan"
		                   : op_info[in->op].kind == K_LINALG  ? "linalg"
		                   : op_info[in->op].kind == K_SCATTER ? "scatter"
		                                                       : "loop";
		if (m == M_CTRL) {
			buf_printf(r, "%*s  %-6s %%%d %s\n", indent, "", kind, v, op_info[in->op].name);
			for (int j = 0; j < in->nbodies; j++)
				schedule_report(E->subs[v][j], r, arena_printf(E->A, "body %s", in->bodies[j]->name),
				                indent + 4);
			continue;
		}
		Buf t;
		buf_init(&t, E->A);
		ir_print_type(&t, in->dt, in->rank, in->shape);
		buf_printf(r, "%*s  %-6s %%%d %s %s -> %s %s", indent, "", kind, v, op_info[in->op].name, t.data, where,
		           E->home[v] ? E->home[v] : "(bound by its op)");
		buf_free(&t);
		if (m != M_ALIAS) {
			Buf l;
			buf_init(&l, E->A);
			list_inlined(E, v, &l, seen, v + 1);
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

/* Declarations of a pointer per saved value into the buffer `arg` (into c),
 * or the buffer's size in bytes (into `size`, as statements adding to a
 * size_t `size`). */
void ec_saved_layout(Emit *E, Buf *c, Buf *size, const SavedVal *sv, int n, bool writable, const char *arg)
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
				           ec_numel(E, sv[i].rank, sv[i].shape), ec_ctype(sv[i].dt));
	}
	if (!c)
		return;
	if (!n) {
		buf_printf(c, "    (void)%s;\n", arg);
		return;
	}
	const char *q = writable ? "" : "const ";
	const char *p = ec_fresh(E, "sv");
	buf_printf(c, "    %schar *%s = (%schar *)%s;\n", q, p, q, arg);
	for (int i = 0, k = 0; i < n; i++)
		if (!sv[i].rank)
			buf_printf(c, "    %s%s *%s = (%s%s *)(%s + %d);\n", q, ec_ctype(sv[i].dt), sv[i].name, q,
			           ec_ctype(sv[i].dt), p, 8 * k++);
	if (narrays && nscalars)
		buf_printf(c, "    %s += AD_ALIGN_(%d, 8);\n", p, nscalars);
	for (int i = 0, k = 0; i < n; i++) {
		if (!sv[i].rank)
			continue;
		buf_printf(c, "    %s%s *%s = (%s%s *)%s;\n", q, ec_ctype(sv[i].dt), sv[i].name, q, ec_ctype(sv[i].dt),
		           p);
		if (++k < narrays)
			buf_printf(c, "    %s += AD_ALIGN_(%s, sizeof(%s));\n", p, ec_numel(E, sv[i].rank, sv[i].shape),
			           ec_ctype(sv[i].dt));
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

static const Dim *bytes_of(Emit *E, DType dt, int rank, const Dim **shape)
{
	const Dim *b = dim_const(E->f->dc, dt == DT_F64 || dt == DT_I64 ? 8 : 4);
	for (int k = 0; k < rank; k++)
		b = dim_mul(E->f->dc, b, shape[k]);
	return b;
}

static void report_buffer(Emit *E, const char *name, DType dt, int rank, const Dim **shape, const Dim *bytes)
{
	Buf b;
	buf_init(&b, E->A);
	dim_print(&b, bytes);
	buf_printf(E->report, "    %-12s %-16s %s bytes\n", name, type_doc(E, dt, rank, shape), b.data);
	buf_free(&b);
}

const char *ec_scratch(Emit *E, const char *base, DType dt, int rank, const Dim **shape)
{
	const char *name = ec_fresh(E, base);
	const char *numel = ec_numel(E, rank, shape);
	buf_printf(E->sizes, "    size += AD_ALIGN_(%s, sizeof(%s));\n", numel, ec_ctype(dt));
	buf_printf(E->decls, "    %s *%s = (%s *)%s;\n", ec_ctype(dt), name, ec_ctype(dt), E->wp);
	buf_printf(E->decls, "    %s += AD_ALIGN_(%s, sizeof(%s));\n", E->wp, numel, ec_ctype(dt));
	*E->any_scratch = true;
	if (E->report) { /* --emit=memory: its line, and the totals */
		const Dim *b = bytes_of(E, dt, rank, shape);
		E->mem->total = dim_add(E->f->dc, E->mem->total, b);
		E->mem->unshared = dim_add(E->f->dc, E->mem->unshared, b);
		report_buffer(E, name, dt, rank, shape, b);
	}
	return name;
}

/* The per-value tables of an emitter for f. */
static void emitter_tables(Emit *E, Func *f)
{
	int n = f->ins.len;
	E->f = f;
	E->S = f->sched;
	if (!E->S)
		ICE("emitting '%s' before its schedule", f->name);
	E->mat = E->S->mat;
	E->uses = E->S->uses;
	E->result_of = E->S->result_of;
	E->home = arena_array(E->A, (size_t)n + 1, sizeof(char *));
	E->var = arena_array(E->A, (size_t)n + 1, sizeof(bool));
	E->rhome = arena_array(E->A, (size_t)f->results.len + 1, sizeof(char *));
	E->rvar = arena_array(E->A, (size_t)f->results.len + 1, sizeof(bool));
	E->subs = arena_array(E->A, (size_t)n + 1, sizeof(Emit **));
	E->ctrl = arena_array(E->A, (size_t)n + 1, sizeof(CtrlStore));
	E->aux = arena_array(E->A, (size_t)n + 1, sizeof(char *));
	E->factors = arena_array(E->A, (size_t)n + 1, sizeof(char *));
	E->factors_guard = arena_array(E->A, (size_t)n + 1, sizeof(char *));
	E->visited = arena_array(E->A, (size_t)n + 1, sizeof(unsigned));
	E->visit = 0;
	E->last_stmt = -1;
}

Emit *ec_sub(Emit *E, Func *b)
{
	Emit *S = arena_alloc(E->A, sizeof *S);
	*S = *E;
	memset(&S->cache, 0, sizeof S->cache);
	memset(&S->named, 0, sizeof S->named);
	S->guard = NULL;
	S->predeclared = false;
	emitter_tables(S, b);
	return S;
}

/* Where every value lives: statics, the scratch buffers in the work memory
 * (one that nothing reads any more lends its memory to a later value of the
 * same size and dtype: reuse.c), locals, views; and the same for each body
 * of a control-flow op, whose buffers come from the same work memory. */
void ec_place(Emit *E)
{
	Func *f = E->f;
	int n = f->ins.len;
	/* static constant tensors */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (E->mat[v] != M_STATIC)
			continue;
		E->home[v] = ec_fresh(E, arena_printf(E->A, "%s_c%d", E->base, v));
		buf_printf(E->statics, "static const %s %s[%" PRId64 "] = {", ec_ctype(in->dt), E->home[v], in->nnums);
		for (int64_t i = 0; i < in->nnums; i++) {
			if (i % 8 == 0)
				buf_puts(E->statics, "\n    ");
			buf_printf(E->statics, "%s%s", ec_literal(E, in->nums[i], in->dt),
			           i + 1 < in->nnums ? ", " : "");
		}
		buf_puts(E->statics, "\n};\n");
	}
	if (E->report && !E->mem) { /* the function's totals; its bodies add theirs */
		E->mem = arena_alloc(E->A, sizeof *E->mem);
		E->mem->total = E->mem->unshared = dim_const(f->dc, 0);
	}
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (E->mat[v] == M_LOCAL) {
			E->home[v] = ec_fresh(E, in->name ? in->name : "s");
			if (E->predeclared) /* guarded kernels assign it */
				buf_printf(E->decls, "    %s %s = 0;\n", ec_ctype(in->dt), E->home[v]);
		}
		if (E->mat[v] != M_SCRATCH)
			continue;
		int prev = E->S->reuse[v];
		if (E->S->inplace[v]) { /* a scatter writing over its operand */
			E->home[v] = E->home[prev];
			if (E->report)
				buf_printf(E->report, "    %-12s %-16s written again, in place\n", E->home[v],
				           type_doc(E, in->dt, in->rank, in->shape));
			continue;
		}
		if (prev >= 0) {
			E->home[v] = ec_fresh(E, in->name ? in->name : "t");
			buf_printf(E->decls, "    %s *%s = %s; /* %s is no longer needed */\n", ec_ctype(in->dt),
			           E->home[v], E->home[prev], E->home[prev]);
			if (E->report) {
				E->mem->unshared =
				    dim_add(f->dc, E->mem->unshared, bytes_of(E, in->dt, in->rank, in->shape));
				buf_printf(E->report, "    %-12s %-16s in the memory of an earlier buffer\n",
				           E->home[v], type_doc(E, in->dt, in->rank, in->shape));
			}
			continue;
		}
		E->home[v] = ec_scratch(E, in->name ? in->name : "t", in->dt, in->rank, in->shape);
	}
	const char **lu_of = arena_array(E->A, (size_t)n + 1, sizeof(char *)); /* per matrix */
	for (int v = 0; v < n; v++) {
		const Inst *in = ir_inst(f, v);
		if (E->mat[v] == M_CTRL)
			ec_plan_ctrl(E, v);
		if (in->op == OP_cofactor) { /* a complete-pivoting LU, its row and column swaps */
			const Inst *a = ir_inst(f, in->args[0]);
			const Dim *side = a->shape[a->rank - 1],
			          *nn[2] = {dim_add(f->dc, side, dim_const(f->dc, 2)), side};
			E->aux[v] = ec_scratch(E, "lu", in->dt, 2, nn);
		} else if (op_info[in->op].kind == K_LINALG && in->op != OP_cholesky && in->op != OP_trisolve) {
			/* one matrix's LU and a row for its pivots; the ops on the
			 * same matrix share it (ec_linalg factors once) */
			const Inst *a = ir_inst(f, in->args[0]);
			const Dim *side = a->shape[a->rank - 1],
			          *nn[2] = {dim_add(f->dc, side, dim_const(f->dc, 1)), side};
			const char **lu = &lu_of[in->args[0]];
			E->aux[v] = *lu ? *lu : (*lu = ec_scratch(E, "lu", in->dt, 2, nn));
		}
	}
	if (E->report && !f->is_body) {
		Buf t;
		buf_init(&t, E->A);
		dim_print(&t, E->mem->total);
		buf_printf(E->report, "  total: %s bytes (each buffer 64-byte aligned)", t.data);
		if (E->mem->total != E->mem->unshared) {
			t.len = 0;
			dim_print(&t, E->mem->unshared);
			buf_printf(E->report, "; %s bytes without reuse", t.data);
		}
		buf_puts(E->report, "\n");
		buf_free(&t);
	}
}

void ec_bind(Emit *E)
{
	Func *f = E->f;
	for (int v = 0; v < f->ins.len; v++) {
		if (E->mat[v] == M_RESULT) {
			E->home[v] = E->rhome[E->result_of[v]];
			E->var[v] = E->rvar[E->result_of[v]];
		}
		if (E->mat[v] == M_ALIAS) { /* a view: its operand comes first */
			const Inst *in = ir_inst(f, v), *x = ir_inst(f, in->args[0]);
			const char *base = E->home[in->args[0]];
			int64_t s0 = 0;
			bool known = in->op != OP_slice || dim_is_const(in->dims[0], &s0);
			const char *row = ec_paren(E, ec_numel(E, x->rank - 1, x->shape + 1));
			if (in->op == OP_slice && known && s0 == 1)
				base = arena_printf(E->A, "(%s + %s)", base, row);
			else if (in->op == OP_slice && !(known && s0 == 0))
				base = arena_printf(E->A, "(%s + %s * %s)", base, ec_paren(E, ec_dim(E, in->dims[0])),
				                    row);
			E->home[v] = base;
		}
	}
}

void ec_kernels(Emit *E, const FuncEmit *fe, const uint64_t *feeds)
{
	Func *f = E->f;
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		int m = E->mat[v];
		if (m == M_INLINE || m == M_PARAM || m == M_STATIC || m == M_ALIAS || in->op == OP_extract)
			continue;
		ec_comment(E, v);
		if (feeds)
			E->guard = kernel_guard(E, fe, feeds[v], v, E->rhome);
		OpKind kind = op_info[in->op].kind;
		if (in->op == OP_loop)
			ec_loop(E, v);
		else if (in->op == OP_cond)
			ec_cond(E, v);
		else if (kind == K_REDUCE)
			ec_reduce(E, v);
		else if (kind == K_MATMUL)
			ec_matmul(E, v);
		else if (kind == K_SCATTER)
			ec_scatter(E, v);
		else if (kind == K_SCAN)
			ec_scan(E, v);
		else if (kind == K_LINALG)
			ec_linalg(E, v);
		else
			ec_store(E, v, E->home[v]);
	}
}

void ec_copy(Emit *E, int v, const char *dst, bool dst_var)
{
	const Inst *in = ir_inst(E->f, v);
	int nopen;
	Kernel K;
	ec_kernel_begin(E, &K, NULL, NULL);
	E->par = ec_par_work(E, in->rank, in->shape);
	Index ix = ec_open_loops_vec(E, in->rank, in->shape, &nopen, ec_vec_hint(E, v, in->rank, in->shape));
	ec_cache_reset(E);
	E->counting = true;
	ec_ex(E, v, ix);
	E->counting = false;
	const char *e = ec_strip(E, ec_ex(E, v, ix));
	if (dst_var)
		ec_line(E, "%s = %s;", dst, e);
	else
		ec_line(E, "%s[%s] = %s;", dst, ec_offset(E, in, &ix), e);
	ec_close_loops(E, nopen);
	ec_kernel_end(E, &K);
}

void ec_result_copies(Emit *E, const FuncEmit *fe)
{
	Func *f = E->f;
	bool optional = fe && fe->optional;
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		const char *rn = E->rhome[i];
		if (r->value >= 0 && ((E->mat[r->value] == M_RESULT && E->result_of[r->value] == i) ||
		                      (E->mat[r->value] == M_ALIAS && E->home[r->value] == rn)))
			continue;
		if (r->value < 0) {
			ec_line(E, "/* %s is none: no result depends on it; zeros are written */", rn);
			ec_line(E, "%smemset(%s, 0, (size_t)(%s) * sizeof(%s));",
			        optional ? arena_printf(E->A, "if (%s)\n        ", rn) : "", rn,
			        ec_numel(E, r->rank, r->shape), ec_ctype(r->dt));
			continue;
		}
		E->last_stmt = -1;
		if (optional && !(fe->saved_results >= 0 && i >= fe->saved_results))
			E->guard = rn;
		ec_copy(E, r->value, rn, E->rvar[i]);
	}
}

void ec_function(Buf *c, Buf *h, const FuncEmit *fe, const EmitOptions *o)
{
	Func *f = fe->f;
	const char *base = fe->cname;
	Emit E0, *E = &E0;
	memset(E, 0, sizeof *E);
	bool index_checks = false;
	E->index_checks = &index_checks;
	E->A = arena_child(f->A); /* what the emission of f needs, freed with it */
	ec_names_init(E);
	E->root = f;
	E->o = o;
	/* user-visible names first */
	E->dimname = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(char *));
	for (int i = 0; i < f->dimsyms.len; i++)
		E->dimname[i] = ec_user_name(E, f->dimsyms.data[i]);
	const char **pnames = arena_array(E->A, (size_t)f->params.len + 1, sizeof(char *));
	const char **rnames = arena_array(E->A, (size_t)f->results.len + 1, sizeof(char *));
	for (int i = 0; i < f->params.len; i++)
		pnames[i] = ec_user_name(E, ir_inst(f, f->params.data[i])->name);
	for (int i = 0; i < f->results.len; i++)
		rnames[i] = ec_user_name(E, f->results.data[i].name);
	int nsaved = 0;
	SavedVal *saved = saved_values(E, fe, pnames, rnames, &nsaved);
	Buf saved_decls;
	buf_init(&saved_decls, E->A);
	if (fe->saved_params >= 0 || fe->saved_results >= 0) {
		E->saved_arg = ec_user_name(E, "saved");
		ec_saved_layout(E, &saved_decls, NULL, saved, nsaved, fe->saved_results >= 0, E->saved_arg);
	}
	emitter_tables(E, f);
	for (int i = 0; i < f->params.len; i++)
		E->home[f->params.data[i]] = pnames[i];
	for (int i = 0; i < f->results.len; i++)
		E->rhome[i] = rnames[i];
	uint64_t *feeds = fe->optional ? feeds_of(E) : NULL;

	Buf body, statics, sizes, decls, checks;
	buf_init(&body, E->A);
	buf_init(&statics, E->A);
	buf_init(&sizes, E->A);
	buf_init(&decls, E->A);
	buf_init(&checks, E->A);
	bool any_scratch = false;
	E->body = &body;
	E->decls = &decls;
	E->sizes = &sizes;
	E->checks = &checks;
	E->any_scratch = &any_scratch;
	E->statics = &statics;
	E->base = base;
	E->depth = 1;
	/* work memory: ones for seeds not given (zeros for tangents), then
	 * the scratch buffers */
	E->wp = ec_fresh(E, "w");
	for (int i = 0; fe->nullable_from >= 0 && i < f->params.len; i++) {
		if (i < fe->nullable_from || i >= fe->nullable_to || !read_anywhere(f, E->uses, f->params.data[i]))
			continue;
		const Inst *p = ir_inst(f, f->params.data[i]);
		const char *numel = ec_numel(E, p->rank, p->shape);
		const char *fill = ec_fresh(E, fe->nullable_zeros ? "zeros" : "ones");
		buf_printf(&sizes, "    size += AD_ALIGN_(%s, sizeof(%s));\n", numel, ec_ctype(p->dt));
		buf_printf(&decls, "    if (!%s) { /* %s */\n", pnames[i],
		           fe->nullable_zeros ? "no tangent: zeros" : "no seed: ones");
		buf_printf(&decls, "        %s *%s = (%s *)%s;\n", ec_ctype(p->dt), fill, ec_ctype(p->dt), E->wp);
		buf_printf(&decls, "        for (int64_t i = 0; i < %s; i++)\n", numel);
		buf_printf(&decls, "            %s[i] = %d;\n", fill, fe->nullable_zeros ? 0 : 1);
		buf_printf(&decls, "        %s = %s;\n", pnames[i], fill);
		buf_printf(&decls, "    }\n");
		buf_printf(&decls, "    %s += AD_ALIGN_(%s, sizeof(%s));\n", E->wp, numel, ec_ctype(p->dt));
		any_scratch = true;
	}
	E->report = o->memory_report;
	if (E->report)
		buf_printf(E->report, "%s: scratch memory (%s_work_size)\n", base, base);
	E->predeclared = fe->optional;
	ec_place(E);
	ec_bind(E);
	E->report = NULL;
	if (o->schedule_report)
		schedule_report(E, o->schedule_report, base, 0);
	ec_kernels(E, fe, feeds);
	ec_result_copies(E, fe);

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
	/* (with indices to check, room for the record of one out of range) */
	if (any_scratch) {
		buf_puts(c, "    size_t size = 0;\n");
		buf_puts(c, sizes.data);
		buf_puts(c, index_checks
		                ? "    return size < sizeof(ad_index_error) ? sizeof(ad_index_error) : size;\n}\n"
		                : "    return size;\n}\n");
	} else {
		buf_puts(c, index_checks ? "    return sizeof(ad_index_error);\n}\n" : "    return 0;\n}\n");
	}

	buf_printf(c, "\n%s", doc.data);
	buf_printf(c, "%sint %s_work(%s%svoid *work)\n{\n", st, base, sigr.len ? sigr.data : "", sigr.len ? ", " : "");
	/* dimension checks */
	for (int i = 0; i < f->dimsyms.len; i++)
		buf_printf(c, "    if (%s < 0 || %s > AD_MAX_DIM_)\n        return AD_ERR_DIM;\n", E->dimname[i],
		           E->dimname[i]);
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *k = &f->cons.data[i];
		const char *a = ec_dim(E, k->a);
		if (k->kind == CONS_GE0 && k->b)
			buf_printf(c, "    if (%s > 0 && %s < 0) /* %s */\n        return AD_ERR_DIM;\n",
			           ec_dim(E, k->b), a, k->msg);
		else if (k->kind == CONS_GE0)
			buf_printf(c, "    if (%s < 0) /* %s */\n        return AD_ERR_DIM;\n", a, k->msg);
		else if (k->kind == CONS_EQ)
			buf_printf(c, "    if (%s != %s) /* %s */\n        return AD_ERR_DIM;\n", a, ec_dim(E, k->b),
			           k->msg);
		else
			buf_printf(c, "    if (%s == 0 || %s %% %s != 0) /* %s */\n        return AD_ERR_DIM;\n",
			           ec_dim(E, k->b), ec_paren(E, a), ec_paren(E, ec_dim(E, k->b)), k->msg);
	}
	if (f->dimsyms.len)
		emit_size_checks(E, c);
	buf_puts(c, saved_decls.data ? saved_decls.data : "");
	buf_free(&saved_decls);
	for (int i = 0; i < f->params.len; i++)
		if (!read_anywhere(f, E->uses, f->params.data[i]))
			buf_printf(c, "    (void)%s; /* only its shape is used */\n", pnames[i]);
	buf_puts(c, checks.data ? checks.data : "");
	if (any_scratch)
		buf_printf(c, "    char *%s = (char *)work;\n", E->wp);
	else
		buf_puts(c, "    (void)work;\n");
	buf_puts(c, decls.data ? decls.data : "");
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
			buf_printf(&ua, "(const %s *)in[%d], ", ec_ctype(ir_inst(f, f->params.data[i])->dt), i);
		for (int i = 0; i < f->results.len; i++)
			buf_printf(&ua, "(%s *)out[%d], ", ec_ctype(f->results.data[i].dt), i);
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
	buf_free(&decls);
	buf_free(&checks);
	arena_free(E->A);
}
