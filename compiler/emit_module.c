/* emit_module.c: a whole file of C: the prelude (and the matrix kernels
 * where a program multiplies matrices), the shared definitions of
 * ad_meta.h, each function, and for a module (-o, the runtime) each
 * function's VJP, its JVP, its forward/backward pair and its ad_meta
 * record. */
#include "emit.h"

#include "ad_meta.h"
#include "ad_meta_text.h"
#include "emit_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserved_name(const char *s)
{
	if (ec_is_reserved(s))
		return true;
	return strncmp(s, "ad_", 3) == 0 || strncmp(s, "AD_", 3) == 0 || s[0] == '_';
}

/* The names a function's entry points derive from its base name. */
static const char *const derived[] = {"_work",
                                      "_work_size",
                                      "_call",
                                      "_vjp",
                                      "_vjp_work",
                                      "_vjp_work_size",
                                      "_vjp_call",
                                      "_jvp",
                                      "_jvp_work",
                                      "_jvp_work_size",
                                      "_jvp_call",
                                      "_forward",
                                      "_backward",
                                      "_saved_size",
                                      "_forward_work_size",
                                      "_backward_work_size",
                                      "_fwd",
                                      "_fwd_work",
                                      "_fwd_work_size",
                                      "_bwd",
                                      "_bwd_work",
                                      "_bwd_work_size",
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
	n.meta = arena_printf(A, "%s_meta", n.func);
	return n;
}

/* The prelude and the matrix kernels (emit_prelude.h, emit_blas.h,
 * emit_gemm.h, as strings one a line). */
static const char *const prelude_lines[] = {EMIT_PRELUDE_LINES};
static const char *const blas_lines[] = {EMIT_BLAS_LINES};
static const char *const int_lines[] = {EMIT_INT_LINES};
static const char *const gemm_lines_f32[] = {EMIT_GEMM_F32_LINES};
static const char *const gemm_lines_f64[] = {EMIT_GEMM_F64_LINES};
static const char *const linalg_lines_f32[] = {EMIT_LINALG_F32_LINES};
static const char *const linalg_lines_f64[] = {EMIT_LINALG_F64_LINES};
static const char *const par_lines[] = {EMIT_PAR_LINES};
static const char *const gemm_par_lines_f32[] = {EMIT_GEMM_PAR_F32_LINES};
static const char *const gemm_par_lines_f64[] = {EMIT_GEMM_PAR_F64_LINES};

static void put_lines(Buf *b, const char *const *lines)
{
	for (int i = 0; lines[i]; i++)
		buf_puts(b, lines[i]);
}

/* The math functions of ops.def's L list. */
static const struct {
	const char *name;
	int arity, vector;
} libm[] = {
#define L(name, arity, vector) {#name, arity, vector},
#include "ops.def"
};
enum { NLIBM = sizeof libm / sizeof libm[0] };

int ec_libm_call(const char *t, const char **p)
{
	for (const char *at = strchr(*p, '@'); at; at = strchr(at + 1, '@')) {
		const char *s = at;
		while (s > t && (s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= '0' && s[-1] <= '9')))
			s--;
		for (int i = 0; i < NLIBM; i++)
			if ((size_t)(at - s) == strlen(libm[i].name) &&
			    strncmp(s, libm[i].name, (size_t)(at - s)) == 0) {
				*p = at + 1;
				return i;
			}
	}
	return -1;
}

bool ec_libm_vector(int i)
{
	return libm[i].vector;
}

/* Which math functions f (and its bodies) calls, per dtype (0: float, 1: double). */
static void math_used(const Func *f, bool (*used)[2])
{
	for (int v = 0; f && v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		for (int j = 0; j < in->nbodies; j++)
			math_used(in->bodies[j], used);
		const char *t = op_info[in->op].c;
		if (op_info[in->op].kind != K_EW || !t || (in->dt != DT_F32 && in->dt != DT_F64))
			continue;
		int i;
		for (const char *p = t; (i = ec_libm_call(t, &p)) >= 0;)
			used[i][in->dt == DT_F64] = true;
	}
}

/* The vector versions of the math functions the code calls, declared for
 * AD_SIMD builds (emit_prelude.h defines AD_MVEC_ where libmvec has them). */
static void put_math_decls(Buf *c, bool (*used)[2])
{
	bool any = false;
	for (int i = 0; i < NLIBM; i++)
		any = any || (libm[i].vector && (used[i][0] || used[i][1]));
	if (!any)
		return;
	buf_puts(c, "\n/* the vector versions of the math functions below (glibc's libmvec) */\n#ifdef AD_MVEC_\n");
	for (int i = 0; i < NLIBM; i++) {
		if (!libm[i].vector || !(used[i][0] || used[i][1]))
			continue;
		for (int d = 0; d < 2; d++) {
			if (!used[i][d])
				continue;
			const char *ty = d ? "double" : "float";
			buf_printf(c, "%sAD_MVEC_(%s %s%s(%s%s%s))", used[i][0] && d ? " " : "", ty, libm[i].name,
			           d ? "" : "f", ty, libm[i].arity == 2 ? ", " : "", libm[i].arity == 2 ? ty : "");
		}
		buf_putc(c, '\n');
	}
	buf_puts(c, "#endif\n");
}

/* Matrix products of dtype dt in f or its bodies (whose kernel the code
 * then needs)? */
static bool has_matmul(const Func *f, DType dt)
{
	for (int v = 0; f && v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_matmul && in->dt == dt)
			return true;
		for (int j = 0; j < in->nbodies; j++)
			if (has_matmul(in->bodies[j], dt))
				return true;
	}
	return false;
}

/* Does f (or a body of it) call the integer helpers of emit_int.h? */
static bool has_int_math(const Func *f)
{
	for (int v = 0; f && v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		if (op_info[in->op].kind == K_EW && ec_int_helpers(f, in))
			return true;
		for (int j = 0; j < in->nbodies; j++)
			if (has_int_math(in->bodies[j]))
				return true;
	}
	return false;
}

/* Does f (or a body of it) factor or solve with matrices of dtype dt? */
static bool has_linalg(const Func *f, DType dt)
{
	for (int v = 0; f && v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		if (op_info[in->op].kind == K_LINALG && in->dt == dt)
			return true;
		for (int j = 0; j < in->nbodies; j++)
			if (has_linalg(in->bodies[j], dt))
				return true;
	}
	return false;
}

/* The prelude, the math the code vectorizes, and the matrix kernels it calls. */
static void put_prelude(Buf *c, bool (*math)[2], const bool *gemm, const bool *linalg, bool ints, bool threads)
{
	put_lines(c, prelude_lines);
	if (threads)
		put_lines(c, par_lines);
	if (ints)
		put_lines(c, int_lines);
	put_math_decls(c, math);
	if (gemm[0] || gemm[1])
		put_lines(c, blas_lines);
	if (gemm[0])
		put_lines(c, gemm_lines_f32);
	if (gemm[1])
		put_lines(c, gemm_lines_f64);
	if (threads && gemm[0])
		put_lines(c, gemm_par_lines_f32);
	if (threads && gemm[1])
		put_lines(c, gemm_par_lines_f64);
	if (linalg[0])
		put_lines(c, linalg_lines_f32);
	if (linalg[1])
		put_lines(c, linalg_lines_f64);
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

/* Does f or a body of it check indices (a take or a scatter), or its
 * matrices (a factorization, a solve)? */
static bool has_index_check(const Func *f)
{
	for (int v = 0; f && v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_gather || op_info[in->op].kind == K_SCATTER || in->op == OP_cholesky ||
		    in->op == OP_solve)
			return true;
		for (int j = 0; j < in->nbodies; j++)
			if (has_index_check(in->bodies[j]))
				return true;
	}
	return false;
}

/* The failure of an index check: the record for the caller (ad_meta.h). */
static const char index_error_text[] =
    "\n/* An index out of range: which, in the scratch memory (if any) for the\n"
    " * caller's message, and AD_ERR_INDEX. */\n"
    "static inline int ad_index_error_(void *work, const char *check, int64_t index, int64_t bound)\n"
    "{\n"
    "    if (work) {\n"
    "        ad_index_error *e = (ad_index_error *)work;\n"
    "        e->check = check;\n"
    "        e->index = index;\n"
    "        e->bound = bound;\n"
    "    }\n"
    "    return AD_ERR_INDEX;\n"
    "}\n";
static const char linalg_error_text[] =
    "\n"
    "/* A matrix that cannot be factored: which op and which matrix of the\n"
    " * batch, in the scratch memory as an index error's, and AD_ERR_LINALG. */\n"
    "static inline int ad_linalg_error_(void *work, const char *op, int64_t batch, int64_t why)\n"
    "{\n"
    "    ad_index_error_(work, op, batch, why);\n"
    "    return AD_ERR_LINALG;\n"
    "}\n";

/* The top of the C and of the header: what made them, the prelude with the
 * math and matrix kernels the functions use (NULL entries skipped), the
 * definitions shared with adrt.h. */
static void put_top(Buf *c, Buf *h, Func *const *funcs, int nfuncs, const EmitOptions *o, const char *srcname)
{
	buf_printf(c, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
	if (o->header_name)
		buf_printf(c, "#include \"%s\"\n", o->header_name);
	bool math[NLIBM][2] = {{false}}, gemm[2] = {false, false}, linalg[2] = {false, false}, ints = false,
	     checks = false;
	for (int i = 0; i < nfuncs; i++) {
		math_used(funcs[i], math);
		ints = ints || has_int_math(funcs[i]);
		checks = checks || has_index_check(funcs[i]);
		for (int dt = 0; dt < 2; dt++) {
			linalg[dt] = linalg[dt] || has_linalg(funcs[i], (DType)dt);
			/* the factorizations' blocked updates are matrix products */
			gemm[dt] = gemm[dt] || linalg[dt] || has_matmul(funcs[i], (DType)dt);
		}
	}
	put_prelude(c, math, gemm, linalg, ints, o->threads);
	if (!o->header_name)
		buf_putc(c, '\n'), put_shared_defs(c);
	if (checks)
		buf_puts(c, index_error_text);
	if (linalg[0] || linalg[1])
		buf_puts(c, linalg_error_text);
	if (h) {
		buf_printf(h, "/* Generated by ad-compile from %s. Do not edit. */\n", srcname);
		buf_puts(h, header_top);
		put_shared_defs(h);
		buf_puts(h, "\n");
		buf_puts(h, cpp_open);
	}
}

void emit_c(Buf *c, Buf *h, Func *const *funcs, int nfuncs, const EmitOptions *o, const char *srcname)
{
	Arena *A = nfuncs ? funcs[0]->A : NULL;
	put_top(c, h, funcs, nfuncs, o, srcname);
	for (int i = 0; i < nfuncs; i++) {
		CNames nm = emit_c_names(funcs, nfuncs, i, o, A);
		FuncEmit fe = {funcs[i], nm.func, NULL, FE_PLAIN | FE_WORK | FE_CALL, -1, 0, false, -1, -1, false};
		ec_function(c, h, &fe, o);
	}
	if (h)
		buf_puts(h, cpp_close);
}

/* ---------------------------------------------------------------- modules: the runtime's entry points */

/* The index in f's dimsyms of the symbol d is (n, not 2*n), or -1. */
static int dim_symbol_index(const Func *f, const Dim *d)
{
	if (d->nterms != 1 || d->terms[0].n != 1 || d->terms[0].coef != 1 || d->terms[0].atoms[0]->kind != DIM_ATOM_SYM)
		return -1;
	for (int j = 0; j < f->dimsyms.len; j++)
		if (strcmp(d->terms[0].atoms[0]->name, f->dimsyms.data[j]) == 0)
			return j;
	return -1;
}

/* bind: the dimensions from the parameters' shapes, checked. */
static void emit_bind(Buf *c, const ModFunc *m, const char *base)
{
	const Func *f = m->opt;
	Emit E0, *E = &E0;
	memset(E, 0, sizeof *E);
	E->A = f->A;
	ec_names_init(E);
	E->f = (Func *)f;
	E->root = f;
	E->dimname = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(char *));
	for (int i = 0; i < f->dimsyms.len; i++)
		E->dimname[i] = ec_user_name(E, f->dimsyms.data[i]);
	buf_printf(c, "\nstatic int %s_bind_(const int64_t *shape, int64_t *dims, int *where)\n{\n", base);
	buf_puts(c, "    (void)shape;\n    (void)dims;\n    (void)where;\n");
	bool *bound = arena_array(E->A, (size_t)f->dimsyms.len + 1, sizeof(bool));
	int R = AD_META_MAX_RANK;
	/* constants and dimensions alone first, then the expressions, whose
	 * dimensions are bound by then */
	for (int pass = 0; pass < 2; pass++)
		for (int p = 0; p < f->params.len; p++) {
			const Inst *in = ir_inst(f, f->params.data[p]);
			for (int a = 0; a < in->rank; a++) {
				const Dim *d = in->shape[a];
				int64_t v;
				int k = p * R + a;
				int s = dim_symbol_index(f, d);
				if ((pass == 1) != (s < 0 && !dim_is_const(d, &v)))
					continue;
				if (pass == 1) {
					buf_printf(c,
					           "    if (shape[%d] != %s) {\n        *where = %d;\n        return "
					           "1;\n    }\n",
					           k, ec_dim(E, d), k);
					continue;
				}
				if (dim_is_const(d, &v)) {
					buf_printf(c,
					           "    if (shape[%d] != %" PRId64
					           ") {\n        *where = %d;\n        return 1;\n    }\n",
					           k, v, k);
					continue;
				}
				if (!bound[s]) {
					buf_printf(
					    c,
					    "    if (shape[%d] < 0 || shape[%d] > AD_MAX_DIM_) {\n        *where = "
					    "%d;\n        return 1;\n    }\n",
					    k, k, k);
					buf_printf(c, "    const int64_t %s = dims[%d] = shape[%d];\n", E->dimname[s],
					           s, k);
					bound[s] = true;
				} else {
					buf_printf(c,
					           "    if (shape[%d] != %s) {\n        *where = %d;\n        return "
					           "1;\n    }\n",
					           k, E->dimname[s], k);
				}
			}
		}
	for (int i = 0; i < f->dimsyms.len; i++)
		if (bound[i])
			buf_printf(c, "    (void)%s;\n", E->dimname[i]);
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *k = &f->cons.data[i];
		const char *a = ec_dim(E, k->a);
		const char *cond =
		    k->kind == CONS_GE0 && k->b ? arena_printf(E->A, "%s > 0 && %s < 0", ec_dim(E, k->b), a)
		    : k->kind == CONS_GE0       ? arena_printf(E->A, "%s < 0", a)
		    : k->kind == CONS_EQ        ? arena_printf(E->A, "%s != %s", a, ec_dim(E, k->b))
		                                : arena_printf(E->A, "%s == 0 || %s %% %s != 0", ec_dim(E, k->b),
		                                               ec_paren(E, a), ec_paren(E, ec_dim(E, k->b)));
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
			buf_printf(c, "    shape[%d] = %s;\n", r * R + a, ec_dim(E, fr->shape[a]));
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
void ec_dims_emit(Emit *E, const Func *f)
{
	memset(E, 0, sizeof *E);
	E->A = f->A;
	ec_names_init(E);
	E->f = (Func *)f;
	E->root = f;
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
	ec_dims_emit(E, fwd);
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
		ec_saved_layout(E, NULL, c, sv, ns, false, NULL);
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
			buf_printf(&args, "(const %s *)in[%d], ", ec_ctype(ir_inst(g, g->params.data[i])->dt), i);
		if (pass) {
			for (int i = 0; i < nseeds; i++)
				buf_printf(&args, "(const %s *)seeds[%d], ",
				           ec_ctype(ir_inst(g, g->params.data[np + i])->dt), i);
			for (int i = 0; i < g->results.len; i++)
				buf_printf(&args, "(%s *)grads[%d], ", ec_ctype(g->results.data[i].dt), i);
		} else {
			for (int i = 0; i < nr; i++)
				buf_printf(&args, "(%s *)out[%d], ", ec_ctype(g->results.data[i].dt), i);
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
	     jvp = m->jvp && (ent & AD_ENTRY_JVP), split = m->fwd && (ent & AD_ENTRY_SPLIT);
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
	if (jvp)
		buf_printf(c,
		           "\nstatic size_t %s_jvp_work_size_u_(const int64_t *dims)\n{\n    %sreturn "
		           "%s_jvp_work_size(%s);\n}\n",
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
			buf_printf(c, "    {\"%s\", %d, %d, \"%s\", %d, 0},\n", in->name, (int)in->dt, in->rank, t.data,
			           (in->flags & IF_NOGRAD) ? 1 : 0);
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
			buf_printf(c, "    {\"%s\", %d, %d, \"%s\", 0, %d},\n", fr->name, (int)fr->dt, fr->rank, t.data,
			           fr->value < 0);
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
			buf_puts(c, "    ");
			ec_put_string(c, f->cons.data[i].msg);
			buf_puts(c, ",\n");
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
	if (jvp)
		buf_printf(c, "    %s_jvp_work_size_u_, %s_jvp_call,\n", base, base);
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
	static const char *const bits[] = {"AD_ENTRY_PLAIN", "AD_ENTRY_WORK", "AD_ENTRY_VJP", "AD_ENTRY_SPLIT",
	                                   "AD_ENTRY_JVP"};
	for (int b = 0; b < 5; b++)
		if (ent >> b & 1)
			buf_printf(&e, "%s%s", e.len ? " | " : "", bits[b]);
	buf_printf(c, "    %s,\n};\n", e.len ? e.data : "0");
	buf_free(&e);
	if (h)
		buf_printf(
		    h, "/* What run-time callers (adrt.h) need to know of %s. */\nextern const ad_meta %s_meta;\n\n",
		    lf->name, base);
}

/* A product entry of a function (NAME_vjp, NAME_jvp), with NAME, _work and
 * _call: the function's parameters, then seeds or tangents (parameters
 * [from, to)), which may be NULL (ones for seeds, zeros for tangents). */
static void emit_product(Buf *c, Buf *h, const EmitOptions *o, Func *f, const char *base, const char *suffix,
                         const char *title, int from, int to, bool tangents)
{
	FuncEmit fe = {f,     arena_printf(f->A, "%s_%s", base, suffix),
	               title, FE_PLAIN | FE_WORK | FE_CALL,
	               from,  to,
	               true,  -1,
	               -1,    tangents};
	ec_function(c, h, &fe, o);
}

void emit_module(Buf *c, Buf *h, const ModFunc *mf, int n, const EmitOptions *o, const char *srcname)
{
	Arena *A = n ? mf[0].opt->A : NULL;
	unsigned ent = o->entries ? o->entries : AD_ENTRY_ALL;
	Func **fs = n ? arena_array(A, (size_t)(5 * n), sizeof *fs) : NULL;
	for (int i = 0; i < n; i++) {
		fs[5 * i] = ent & (AD_ENTRY_PLAIN | AD_ENTRY_WORK) ? mf[i].opt : NULL;
		fs[5 * i + 1] = ent & AD_ENTRY_VJP ? mf[i].vjp : NULL;
		fs[5 * i + 2] = ent & AD_ENTRY_JVP ? mf[i].jvp : NULL;
		fs[5 * i + 3] = ent & AD_ENTRY_SPLIT ? mf[i].fwd : NULL;
		fs[5 * i + 4] = ent & AD_ENTRY_SPLIT ? mf[i].bwd : NULL;
	}
	put_top(c, h, fs, 5 * n, o, srcname);
	const char **names = arena_array(A, (size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		names[i] = mf[i].opt->name;
	for (int i = 0; i < n; i++) {
		const ModFunc *m = &mf[i];
		const char *base = emit_c_base(names, n, i, o->prefix, A);
		if (ent & (AD_ENTRY_PLAIN | AD_ENTRY_WORK)) {
			unsigned fent =
			    FE_CALL | (ent & AD_ENTRY_PLAIN ? FE_PLAIN : 0) | (ent & AD_ENTRY_WORK ? FE_WORK : 0);
			FuncEmit fe = {m->opt, base, NULL, fent, -1, 0, false, -1, -1, false};
			ec_function(c, h, &fe, o);
		}
		int np = m->opt->params.len;
		if (m->vjp && (ent & AD_ENTRY_VJP))
			emit_product(
			    c, h, o, m->vjp, base, "vjp",
			    arena_printf(A,
			                 "The vector-Jacobian product of %s: its results, and the gradients of\n"
			                 " * its parameters for the seeds given per result",
			                 m->opt->name),
			    np, np + m->info.nseeds, false);
		if (m->jvp && (ent & AD_ENTRY_JVP))
			emit_product(
			    c, h, o, m->jvp, base, "jvp",
			    arena_printf(A,
			                 "The Jacobian-vector product of %s: its results, and the tangents of\n"
			                 " * its float results for the tangents given per parameter",
			                 m->opt->name),
			    np, np + m->jinfo.ntans, true);
		if (m->fwd && (ent & AD_ENTRY_SPLIT)) {
			int nr = m->opt->results.len, seeds_to = np + m->info.nseeds;
			FuncEmit ff = {m->fwd, arena_printf(A, "%s_fwd", base), NULL, 0, -1, 0, true, nr, -1, false};
			FuncEmit fb = {
			    m->bwd, arena_printf(A, "%s_bwd", base), NULL, 0, np, seeds_to, true, -1, seeds_to, false};
			ec_function(c, NULL, &ff, o);
			ec_function(c, NULL, &fb, o);
			emit_split_entries(c, h, m, base, o);
		}
		emit_meta(c, h, m, base, ent);
	}
	if (h)
		buf_puts(h, cpp_close);
}
