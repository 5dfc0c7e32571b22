/* driver.c: the pipeline, pass by pass, in order (docs/design.md):
 *   parse -> lower (check, inline, expand grad by the adjoint pass)
 *   -> simplify -> dce -> simplify -> dce            (each function)
 *   -> vjp -> simplify, dce x2 -> split -> simplify, dce x2 (each function, for the runtime)
 *   -> jvp -> simplify, dce x2                      (each function, for the runtime)
 *   -> fuse -> reuse                                (each function to emit)
 *   -> emit C
 * Every pass is called from here, and here only: `--dump-after=PASS` prints
 * the IR (or the schedule) after it, and with c->verify the IR verifier
 * runs after every one. */
#include "driver.h"

#include "ad_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "parse.h"
#include "schedule.h"
#include "split.h"
#include "tangent.h"

static const char *const pass_names[PASS_COUNT] = {"lower", "simplify", "dce", "vjp", "jvp", "split", "fuse", "reuse"};

unsigned adc_pass_bits(const char *list)
{
	unsigned bits = 0;
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		int k = 0;
		while (k < PASS_COUNT && !(strlen(pass_names[k]) == n && strncmp(p, pass_names[k], n) == 0))
			k++;
		if (k == PASS_COUNT)
			return 0;
		bits |= 1u << k;
		p += n;
		if (!*p)
			return bits;
	}
}

const char *adc_pass_list(void)
{
	return "lower, simplify, dce, vjp, jvp, split, fuse, reuse";
}

/* After pass `p` made or changed f: check it, and show it if asked. */
static Func *after(Compilation *c, PassId p, Func *f)
{
	if (c->verify && p <= PASS_SPLIT) {
		const char *why = ir_verify(f);
		if (why)
			ICE("after %s, the IR of '%s' is invalid: %s", pass_names[p], f->name, why);
	}
	if (c->dump && (c->dump_after >> p & 1)) {
		buf_printf(c->dump, "; after %s:\n", pass_names[p]);
		if (p >= PASS_FUSE)
			sched_print(c->dump, f);
		else
			ir_print(c->dump, f);
	}
	return f;
}

static void schedule(Compilation *c, Func *f, bool optional, int nullable_to);

/* The optimization passes of one function, in their order. The copies
 * between passes are given back as soon as the next exists; f itself too
 * when the caller `owns` it (a function made only to be optimized). */
static Func *optimize(Compilation *c, Func *f, bool owns)
{
	for (int round = 0; round < 2; round++) {
		for (int pass = PASS_SIMPLIFY; pass <= PASS_DCE; pass++) {
			Func *g = after(c, pass, pass == PASS_SIMPLIFY ? opt_simplify(f) : opt_dce(f));
			if (owns && g != f)
				ir_release(f);
			f = g;
			owns = true;
		}
	}
	return f;
}

/* The scheduling passes of a function to emit (its results may be NULL
 * when `optional`, those before nullable_to). */
static void schedule(Compilation *c, Func *f, bool optional, int nullable_to)
{
	if (!f || f->sched)
		return;
	after(c, PASS_FUSE, (sched_fuse(f, optional, nullable_to), f));
	sched_reuse(f);
	after(c, PASS_REUSE, f);
}

Compilation *adc_new(const char *name, const char *text, size_t len)
{
	Arena *A = arena_new();
	if (!A)
		return NULL;
	Compilation *c = calloc(1, sizeof *c);
	if (!c) {
		arena_free(A);
		return NULL;
	}
	c->A = A;
	jmp_buf oom;
	if (setjmp(oom)) {
		arena_free(A);
		free(c);
		return NULL;
	}
	arena_set_oom(A, &oom);
	c->src = src_new(A, name, text, len);
	diags_init(&c->diags, A, c->src);
	c->dc = dim_ctx_new(A);
	arena_set_oom(A, NULL);
	return c;
}

void adc_free(Compilation *c)
{
	if (!c)
		return;
	arena_free(c->A);
	free(c);
}

/* Run a stage with recovery from out-of-memory and internal errors. */
AdcStatus adc_guarded(Compilation *c, AdcStageFn fn, void *arg)
{
	if (c->status == ADC_ICE || c->status == ADC_NOMEM)
		return c->status;
	jmp_buf oom;
	IceTrap trap;
	ice_push(&trap);
	if (setjmp(trap.env)) {
		arena_set_oom(c->A, NULL);
		snprintf(c->ice, sizeof c->ice, "%s", trap.msg);
		return c->status = ADC_ICE;
	}
	if (setjmp(oom)) {
		ice_pop(&trap);
		arena_set_oom(c->A, NULL);
		snprintf(c->ice, sizeof c->ice, "out of memory");
		return c->status = ADC_NOMEM;
	}
	arena_set_oom(c->A, &oom);
	fn(c, arg);
	arena_set_oom(c->A, NULL);
	ice_pop(&trap);
	if (c->diags.nerrors > 0)
		c->status = ADC_ERRORS;
	return c->status;
}

static void do_parse(Compilation *c, void *arg)
{
	(void)arg;
	c->prog = parse_program(c->A, &c->diags, c->src);
}

AdcStatus adc_parse(Compilation *c)
{
	if (c->prog)
		return c->status;
	if (c->src->len > ADC_MAX_SOURCE) {
		diag_error(&c->diags, (Loc){0, 0}, "the file is larger than %d MiB", ADC_MAX_SOURCE >> 20);
		return c->status = ADC_ERRORS;
	}
	return adc_guarded(c, do_parse, NULL);
}

static void do_lower(Compilation *c, void *arg)
{
	(void)arg;
	c->mod = lower_program(c->A, &c->diags, c->dc, c->src, c->prog, c->promote);
	c->nfuncs = c->mod ? c->mod->nfuncs : 0;
	for (int i = 0; i < c->nfuncs; i++)
		after(c, PASS_LOWER, c->mod->funcs[i]);
}

/* IR text instead of a program: the functions as ir_read builds them. */
static void do_read_ir(Compilation *c, void *arg)
{
	(void)arg;
	const char *err;
	int n;
	Func **fs = ir_read(c->A, c->dc, c->src, c->src->text, &n, &err);
	if (err) { /* (an empty file reads as no functions, fs NULL, err NULL) */
		int line = atoi(err);
		const char *msg = strchr(err, ' ');
		diag_error(&c->diags, (Loc){line, 1}, "%s", msg ? msg + 1 : err);
		return;
	}
	if (n == 0) {
		diag_error(&c->diags, (Loc){0, 0}, "the file defines no function");
		return;
	}
	c->mod = arena_alloc(c->A, sizeof *c->mod);
	c->mod->funcs = fs;
	c->mod->nfuncs = c->nfuncs = n;
	for (int i = 0; i < c->nfuncs; i++)
		after(c, PASS_LOWER, c->mod->funcs[i]);
}

AdcStatus adc_lower(Compilation *c)
{
	if (c->mod)
		return c->status;
	if (c->ir_input) {
		if (c->src->len > ADC_MAX_SOURCE) {
			diag_error(&c->diags, (Loc){0, 0}, "the file is larger than %d MiB", ADC_MAX_SOURCE >> 20);
			return c->status = ADC_ERRORS;
		}
		return adc_guarded(c, do_read_ir, NULL);
	}
	if (adc_parse(c) != ADC_OK)
		return c->status;
	return adc_guarded(c, do_lower, NULL);
}

static void do_optimize(Compilation *c, void *arg)
{
	(void)arg;
	c->opt = arena_array(c->A, (size_t)c->nfuncs + 1, sizeof(Func *));
	for (int i = 0; i < c->nfuncs; i++)
		c->opt[i] = optimize(c, c->mod->funcs[i], false);
}

AdcStatus adc_optimize(Compilation *c, bool verify)
{
	c->verify = c->verify || verify;
	if (c->opt)
		return c->status;
	if (adc_lower(c) != ADC_OK)
		return c->status;
	return adc_guarded(c, do_optimize, NULL);
}

static void do_prepare(Compilation *c, void *arg)
{
	(void)arg;
	c->mods = arena_array(c->A, (size_t)c->nfuncs + 1, sizeof(ModFunc));
	for (int i = 0; i < c->nfuncs; i++) {
		ModFunc *m = &c->mods[i];
		Func *f = c->mod->funcs[i];
		m->f = f;
		m->opt = c->opt[i];
		bool diff_param = false, result = false;
		for (int p = 0; p < f->params.len; p++)
			diff_param = diff_param || !(ir_inst(f, f->params.data[p])->flags & IF_NOGRAD);
		for (int r = 0; r < f->results.len; r++)
			result = result || f->results.data[r].value >= 0;
		unsigned ent = c->entries ? c->entries : AD_ENTRY_ALL;
		bool diff = diff_param && result;
		if (diff && (ent & (AD_ENTRY_VJP | AD_ENTRY_SPLIT))) {
			Func *v = optimize(c, after(c, PASS_VJP, adj_vjp_function(f, &m->info)), true);
			m->vjp = v;
			if (ent & AD_ENTRY_SPLIT) {
				Split s = ir_split(v, f->params.len, m->info.nseeds, f->results.len);
				s.fwd = optimize(c, after(c, PASS_SPLIT, s.fwd), true);
				s.bwd = optimize(c, after(c, PASS_SPLIT, s.bwd), true);
				ir_split_trim(&s, f->params.len, m->info.nseeds, f->results.len);
				m->fwd = s.fwd;
				m->bwd = s.bwd;
				m->nsaved = s.nsaved;
			}
		} else {
			/* nothing to differentiate, or no reverse-mode entry wanted;
			 * the metadata still says what depends on what */
			adj_vjp_info(f, &m->info);
		}
		/* the forward-mode entry */
		if (diff && (ent & AD_ENTRY_JVP))
			m->jvp = optimize(c, after(c, PASS_JVP, tan_jvp_function(f, &m->jinfo)), true);
	}
}

AdcStatus adc_prepare_runtime(Compilation *c)
{
	if (c->mods)
		return c->status;
	if (adc_optimize(c, false) != ADC_OK)
		return c->status;
	return adc_guarded(c, do_prepare, NULL);
}

typedef struct TextArg {
	int what;
	char *out;
} TextArg;

static void do_text(Compilation *c, void *arg)
{
	TextArg *t = arg;
	Buf b;
	buf_init(&b, c->A);
	if (t->what == 0)
		lex_dump(c->A, &c->diags, c->src, &b);
	else if (t->what == 1)
		ast_print(&b, c->prog);
	else
		for (int i = 0; i < c->nfuncs; i++) {
			if (i)
				buf_putc(&b, '\n');
			ir_print(&b, t->what == 2 ? c->mod->funcs[i] : c->opt[i]);
		}
	t->out = buf_finish(&b, c->A);
}

char *adc_tokens(Compilation *c)
{
	TextArg t = {0, NULL};
	return adc_guarded(c, do_text, &t) == ADC_OK ? t.out : NULL;
}

char *adc_ast(Compilation *c)
{
	TextArg t = {1, NULL};
	return adc_parse(c) == ADC_OK && adc_guarded(c, do_text, &t) == ADC_OK ? t.out : NULL;
}

char *adc_ir(Compilation *c, bool optimized)
{
	TextArg t = {optimized ? 3 : 2, NULL};
	AdcStatus s = optimized ? adc_optimize(c, true) : adc_lower(c);
	return s == ADC_OK && adc_guarded(c, do_text, &t) == ADC_OK ? t.out : NULL;
}

typedef struct EmitArg {
	const EmitOptions *o;
	char *c, *h;
	bool want_h, module;
} EmitArg;

static void do_emit(Compilation *c, void *arg)
{
	EmitArg *e = arg;
	/* the scheduling passes, for each function as its entry point wants it:
	 * a VJP's results may all be NULL, a forward pass's saved values never are */
	for (int i = 0; i < c->nfuncs; i++) {
		schedule(c, c->opt[i], false, 0);
		if (!e->module)
			continue;
		const ModFunc *m = &c->mods[i];
		int nr = m->opt->results.len;
		schedule(c, m->vjp, true, m->vjp ? m->vjp->results.len : 0);
		schedule(c, m->jvp, true, m->jvp ? m->jvp->results.len : 0);
		schedule(c, m->fwd, true, nr);
		schedule(c, m->bwd, true, m->bwd ? m->bwd->results.len : 0);
	}
	Buf cb, hb;
	buf_init(&cb, c->A);
	buf_init(&hb, c->A);
	if (e->module)
		emit_module(&cb, e->want_h ? &hb : NULL, c->mods, c->nfuncs, e->o, c->src->name);
	else
		emit_c(&cb, e->want_h ? &hb : NULL, c->opt, c->nfuncs, e->o, c->src->name);
	e->c = buf_finish(&cb, c->A);
	e->h = e->want_h ? buf_finish(&hb, c->A) : NULL;
	buf_free(&hb);
}

AdcStatus adc_emit(Compilation *c, const EmitOptions *o, bool module, char **csrc, char **hsrc)
{
	if ((module ? adc_prepare_runtime(c) : adc_optimize(c, false)) != ADC_OK)
		return c->status;
	EmitArg e = {o, NULL, NULL, hsrc != NULL, module};
	if (adc_guarded(c, do_emit, &e) != ADC_OK)
		return c->status;
	*csrc = e.c;
	if (hsrc)
		*hsrc = e.h;
	return ADC_OK;
}

typedef struct FuncsArg {
	Func **funcs;
	int n;
	char *c;
} FuncsArg;

static void do_emit_funcs(Compilation *c, void *arg)
{
	FuncsArg *a = arg;
	ModFunc *mf = arena_array(c->A, (size_t)a->n + 1, sizeof *mf);
	for (int i = 0; i < a->n; i++) {
		mf[i].f = a->funcs[i];
		adj_vjp_info(a->funcs[i], &mf[i].info);
		a->funcs[i] = mf[i].opt = optimize(c, a->funcs[i], false);
		schedule(c, mf[i].opt, false, 0);
	}
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, AD_ENTRY_PLAIN | AD_ENTRY_WORK, c->threads};
	Buf cb;
	buf_init(&cb, c->A);
	emit_module(&cb, NULL, mf, a->n, &eo, c->src->name);
	a->c = buf_finish(&cb, c->A);
}

AdcStatus adc_emit_funcs(Compilation *c, Func **funcs, int n, char **csrc)
{
	FuncsArg a = {funcs, n, NULL};
	if (adc_guarded(c, do_emit_funcs, &a) != ADC_OK)
		return c->status;
	*csrc = a.c;
	return ADC_OK;
}

typedef struct SymsArg {
	Func *const *funcs;
	int n;
	const char **syms;
} SymsArg;

static void do_meta_symbols(Compilation *c, void *arg)
{
	SymsArg *a = arg;
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0, false};
	a->syms = arena_array(c->A, (size_t)a->n + 1, sizeof *a->syms);
	for (int i = 0; i < a->n; i++)
		a->syms[i] = emit_c_names(a->funcs, a->n, i, &eo, c->A).meta;
}

const char **adc_meta_symbols(Compilation *c, Func *const *funcs, int n)
{
	SymsArg a = {funcs, n, NULL};
	return adc_guarded(c, do_meta_symbols, &a) == ADC_OK ? a.syms : NULL;
}

char *adc_messages(Compilation *c)
{
	if (c->status == ADC_ICE || c->status == ADC_NOMEM) {
		char *d = diags_render(&c->diags, c->A);
		return arena_printf(c->A, "%s%s: %s\n", d, c->src->name, c->ice);
	}
	return diags_render(&c->diags, c->A);
}

int adc_find(Compilation *c, const char *name)
{
	for (int i = 0; i < c->nfuncs; i++)
		if (strcmp(c->mod->funcs[i]->name, name) == 0)
			return i;
	return -1;
}

char *adc_func_list(Compilation *c)
{
	Buf b;
	buf_init(&b, c->A);
	for (int i = 0; i < c->nfuncs; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", c->mod->funcs[i]->name);
	return buf_finish(&b, c->A);
}
