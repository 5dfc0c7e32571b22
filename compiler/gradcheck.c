/* gradcheck.c: finite-difference gradient checks (see gradcheck.h). */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adjoint.h"
#include "invoke.h"
#include "jit.h"
#include "opt.h"

CheckOptions check_defaults(void)
{
	CheckOptions o = {1e-6, 1e-5, 1e-3, 3, 0x5eed5eedull};
	return o;
}

/* xorshift64* and Box-Muller: deterministic normal samples */
static double uniform(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return ((*s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double normal(uint64_t *s)
{
	double u = uniform(s), v = uniform(s);
	return sqrt(-2 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

typedef struct Ctx {
	Compilation *c;
	JitModule *jm;
	const Func *f;
	Invocation base; /* f at the given inputs */
	const CheckOptions *o;
	uint64_t rng;
	Buf *report;
	int failed;
} Ctx;

/* Call aux (same parameters as f, plus `extra` inputs) at inputs `in`. */
static int call(Ctx *C, const Func *aux, ad_tensor *const *in, ad_tensor ***out, ad_error *err)
{
	Invocation iv;
	memset(&iv, 0, sizeof iv);
	iv.f = aux;
	memcpy(iv.dims, C->base.dims, sizeof iv.dims);
	iv.ndims = C->base.ndims;
	iv.in = (ad_tensor **)in;
	iv.out = calloc((size_t)aux->results.len + 1, sizeof *iv.out);
	if (!iv.out || inv_alloc(&iv, err))
		goto fail;
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0};
	AdCallFn fn = NULL;
	for (int i = 0; i < C->c->nfuncs; i++)
		if (C->c->opt[i]->name == aux->name || strcmp(C->c->opt[i]->name, aux->name) == 0)
			fn = (AdCallFn)(uintptr_t)jit_symbol(
			    C->jm, emit_c_names(C->c->opt, C->c->nfuncs, i, &eo, C->c->A).call);
	if (!fn) {
		ad_error_set(err, AD_E_INTERNAL, "no compiled code for %s", aux->name);
		goto fail;
	}
	if (inv_call(&iv, fn, err))
		goto fail;
	*out = iv.out;
	return 0;
fail:
	for (int i = 0; iv.out && i < aux->results.len; i++)
		ad_tensor_free(iv.out[i]);
	free(iv.out);
	return -1;
}

static void free_outs(ad_tensor **t, int n)
{
	for (int i = 0; t && i < n; i++)
		ad_tensor_free(t[i]);
	free(t);
}

static double dot(const ad_tensor *a, const ad_tensor *b)
{
	double s = 0;
	int64_t n = ad_tensor_numel(a);
	for (int64_t i = 0; i < n; i++)
		s += ad_tensor_get(a, i) * ad_tensor_get(b, i);
	return s;
}

/* sum |a_i b_i|: the size of the terms of dot(a, b), which bounds its
 * rounding error */
static double dot_abs(const ad_tensor *a, const ad_tensor *b)
{
	double s = 0;
	int64_t n = ad_tensor_numel(a);
	for (int64_t i = 0; i < n; i++)
		s += fabs(ad_tensor_get(a, i) * ad_tensor_get(b, i));
	return s;
}

/* The rounding noise of a central difference of values whose terms have
 * sizes mag0 and mag1: their last bits, magnified by 1 / (2 eps). The factor
 * covers the rounding of the evaluation itself, a few hundred operations
 * deep. Where it exceeds the derivative, the difference cannot judge it
 * (f = 1e17 + x: f(x + 1e-6) and f(x - 1e-6) are the same double). */
#define FD_NOISE_ULPS 256.0

/* x + t * d for the parameters in `which`; others as they are */
static ad_tensor **perturb(Ctx *C, ad_tensor *const *d, const bool *which, double t, int nin)
{
	ad_tensor **in = calloc((size_t)nin + 1, sizeof *in);
	for (int p = 0; p < nin; p++) {
		in[p] = ad_tensor_convert(C->base.in[p], C->base.in[p]->dtype, NULL);
		if (p < C->f->params.len && which[p]) {
			int64_t n = ad_tensor_numel(in[p]);
			for (int64_t i = 0; i < n; i++)
				ad_tensor_set(in[p], i, ad_tensor_get(in[p], i) + t * ad_tensor_get(d[p], i));
		}
	}
	return in;
}

static void report_line(Ctx *C, const char *what, double worst_abs, double worst_rel, bool ok, int ndirs, int in_noise)
{
	buf_printf(C->report, "%s %s: max abs error %.3g, max rel error %.3g over %d directions",
	           ok ? "ok    " : "FAILED", what, worst_abs, worst_rel, ndirs);
	if (in_noise)
		buf_printf(C->report, " (%d within the rounding noise of the differences)", in_noise);
	buf_printf(C->report, "\n");
	if (!ok)
		C->failed++;
}

/* Compare fd of phi(x + t d) with the analytic directional derivative, for
 * several random directions d over the parameters in `which`.
 * phi_of(out) = sum_k <w_k, out[idx_k]>; analytic(d) = sum_p <g_p, d_p>. */
typedef struct Probe {
	const Func *eval; /* what to evaluate at perturbed points */
	int nterms;
	int *out_index;      /* results of eval in phi */
	ad_tensor **weights; /* their seeds, held fixed */
	int nparams;
	bool *which;         /* parameters that move */
	ad_tensor **grad_of; /* analytic gradient per moving parameter (NULL: zero) */
} Probe;

/* The central difference of phi along d with step h, and its rounding
 * noise. */
static bool central(Ctx *C, const Probe *P, ad_tensor *const *d, double h, double *fd, double *noise, ad_error *err)
{
	double phi[2], mag[2];
	for (int s = 0; s < 2; s++) {
		ad_tensor **in = perturb(C, d, P->which, s ? -h : h, P->nparams);
		ad_tensor **out;
		int rc = call(C, P->eval, in, &out, err);
		for (int p = 0; p < P->nparams; p++)
			ad_tensor_free(in[p]);
		free(in);
		if (rc)
			return false;
		phi[s] = mag[s] = 0;
		for (int t = 0; t < P->nterms; t++) {
			phi[s] += dot(P->weights[t], out[P->out_index[t]]);
			mag[s] += dot_abs(P->weights[t], out[P->out_index[t]]);
		}
		free_outs(out, P->eval->results.len);
	}
	*fd = (phi[0] - phi[1]) / (2 * h);
	*noise = FD_NOISE_ULPS * DBL_EPSILON * (mag[0] + mag[1]) / (2 * h);
	return true;
}

/* A direction that fails with step eps is tried again with eps / 10 and
 * eps / 100: where phi curves fast (sin of a value that moves by 1 over the
 * step) the truncation error of the difference shrinks with the step,
 * while a wrong derivative stays wrong at every step. */
#define FD_STEPS 3

static bool probe(Ctx *C, const Probe *P, const char *what, ad_error *err)
{
	const Func *f = C->f;
	int np = f->params.len;
	double worst_abs = 0, worst_rel = 0;
	bool ok = true, called = true;
	int in_noise = 0;
	for (int k = 0; k < C->o->ndirs && called; k++) {
		ad_tensor **d = calloc((size_t)np + 1, sizeof *d);
		double an = 0;
		for (int p = 0; p < np; p++) {
			d[p] = ad_tensor_convert(C->base.in[p], C->base.in[p]->dtype, NULL);
			int64_t n = ad_tensor_numel(d[p]);
			for (int64_t i = 0; i < n; i++)
				ad_tensor_set(d[p], i, P->which[p] ? normal(&C->rng) : 0);
			if (P->which[p] && P->grad_of[p])
				an += dot(P->grad_of[p], d[p]);
		}
		double best_abs = INFINITY, best_rel = INFINITY, h = C->o->eps;
		bool pass = false;
		for (int step = 0; step < FD_STEPS && !pass; step++, h /= 10) {
			double fd, noise;
			if (!(called = central(C, P, d, h, &fd, &noise, err)))
				break;
			double ea = fabs(fd - an), scale = fmax(fabs(fd), fabs(an));
			double er = scale > 0 ? ea / scale : 0;
			pass = ea <= C->o->atol + C->o->rtol * fabs(fd) + noise;
			if (pass && ea > C->o->atol + C->o->rtol * fabs(fd))
				in_noise++;
			if (pass || step == 0 || ea < best_abs)
				best_abs = ea, best_rel = er;
		}
		for (int p = 0; p < np; p++)
			ad_tensor_free(d[p]);
		free(d);
		ok = ok && pass;
		if (!(best_abs <= worst_abs))
			worst_abs = best_abs;
		if (!(best_rel <= worst_rel))
			worst_rel = best_rel;
	}
	if (!called)
		return false;
	report_line(C, what, worst_abs, worst_rel, ok, C->o->ndirs, in_noise);
	return true;
}

static int param_index(const Func *f, int v)
{
	for (int p = 0; p < f->params.len; p++)
		if (f->params.data[p] == v)
			return p;
	return -1;
}

typedef struct Aux {
	Func *fn; /* lowered */
	int kind; /* 0: grad site, 1: vjp */
	int site;
	VjpInfo vjp;
} Aux;

int adc_check(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, const bool *table,
              int n, const CheckOptions *o, Buf *report, ad_error *err)
{
	if (adc_lower(c) != ADC_OK) {
		ad_error_set(err, AD_E_COMPILE, "%s", adc_messages(c));
		return -1;
	}
	int fi = adc_find(c, fn);
	if (fi < 0) {
		ad_error_set(err, AD_E_NAME, "no function '%s'", fn);
		return -1;
	}
	Ctx C;
	memset(&C, 0, sizeof C);
	C.c = c;
	C.f = c->mod->funcs[fi];
	C.o = o;
	C.rng = o->seed;
	C.report = report;
	const Func *f = C.f;
	if (inv_bind(&C.base, f, names, vals, table, n, err)) {
		inv_free(&C.base);
		return -1;
	}
	/* the functions to compile: f itself, one per checkable grad site, its VJP */
	int nsites = f->grads.len;
	Aux *aux = calloc((size_t)nsites + 2, sizeof *aux);
	int na = 0;
	for (int s = 0; s < nsites; s++) {
		const GradSite *g = &f->grads.data[s];
		bool params = true;
		for (int i = 0; i < g->nin; i++)
			params = params && param_index(f, g->ins[i]) >= 0;
		if (!params) {
			buf_printf(report, "skip   %s at %s:%d:%d: its inputs are not all parameters of %s\n", g->text,
			           f->src->name, g->loc.line, g->loc.col, f->name);
			continue;
		}
		Func *a = ir_clone(f);
		a->name = arena_printf(c->A, "%s_check%d", f->name, s);
		a->results.len = 0;
		for (int k = 0; k < g->nout; k++) {
			const Inst *in = ir_inst(f, g->outs[k]);
			FuncResult r = {arena_printf(c->A, "out%d", k), g->outs[k], in->dt, in->rank, in->shape};
			VEC_PUSH(c->A, a->results, r);
		}
		for (int k = 0; k < g->nout; k++) {
			const Inst *in = ir_inst(f, g->seeds[k]);
			FuncResult r = {arena_printf(c->A, "seed%d", k), g->seeds[k], in->dt, in->rank, in->shape};
			VEC_PUSH(c->A, a->results, r);
		}
		for (int k = 0; k < g->nin; k++) {
			const Inst *in = ir_inst(f, g->ins[k]);
			FuncResult r = {arena_printf(c->A, "grad%d", k), g->grads[k], in->dt, in->rank, in->shape};
			VEC_PUSH(c->A, a->results, r);
		}
		aux[na].fn = a;
		aux[na].kind = 0;
		aux[na++].site = s;
	}
	aux[na].fn = ad_vjp_function(f, &aux[na].vjp);
	aux[na++].kind = 1;
	/* compile f and the auxiliaries together */
	Func **funcs = arena_array(c->A, (size_t)na + 2, sizeof(Func *));
	funcs[0] = c->mod->funcs[fi];
	for (int i = 0; i < na; i++)
		funcs[i + 1] = aux[i].fn;
	Func **saved_opt = c->opt;
	int saved_n = c->nfuncs;
	char *csrc = NULL;
	int result = -1;
	if (adc_emit_funcs(c, funcs, na + 1, &csrc) != ADC_OK) {
		ad_error_set(err, c->status == ADC_NOMEM ? AD_E_NOMEM : AD_E_INTERNAL, "%s", adc_messages(c));
		goto done;
	}
	c->opt = funcs;
	c->nfuncs = na + 1;
	char jerr[2048];
	int jcode = AD_E_INTERNAL;
	C.jm = jit_compile(csrc, jerr, sizeof jerr, &jcode);
	if (!C.jm) {
		ad_error_set(err, jcode, "%s", jerr);
		goto done;
	}
	int np = f->params.len;
	bool *which = calloc((size_t)np + 1, sizeof(bool));
	ad_tensor **grad_of = calloc((size_t)np + 1, sizeof(ad_tensor *));
	/* (a) each grad site: FD of sum_k <seed_k, out_k> over its inputs */
	for (int i = 0; i < na && aux[i].kind == 0; i++) {
		const GradSite *g = &f->grads.data[aux[i].site];
		ad_tensor **out;
		if (call(&C, funcs[i + 1], C.base.in, &out, err))
			goto done2;
		memset(which, 0, (size_t)np * sizeof(bool));
		memset(grad_of, 0, (size_t)np * sizeof(ad_tensor *));
		for (int k = 0; k < g->nin; k++) {
			int p = param_index(f, g->ins[k]);
			which[p] = true;
			if (g->grads[k] >= 0 && !grad_of[p])
				grad_of[p] = out[2 * g->nout + k];
		}
		int *idx = arena_array(c->A, (size_t)g->nout + 1, sizeof(int));
		ad_tensor **w = arena_array(c->A, (size_t)g->nout + 1, sizeof(ad_tensor *));
		for (int k = 0; k < g->nout; k++) {
			idx[k] = k;
			w[k] = out[g->nout + k];
		}
		Probe P = {funcs[i + 1], g->nout, idx, w, np, which, grad_of};
		const char *what = arena_printf(c->A, "%s at %s:%d:%d", g->text, f->src->name, g->loc.line, g->loc.col);
		bool ok = probe(&C, &P, what, err);
		free_outs(out, funcs[i + 1]->results.len);
		if (!ok)
			goto done2;
	}
	/* (b) the VJP of each differentiable result, with a random seed */
	{
		Aux *v = &aux[na - 1];
		Func *vjpf = funcs[na];
		for (int s = 0; s < v->vjp.nseeds; s++) {
			int r = v->vjp.seed_result[s];
			const FuncResult *fr = &f->results.data[r];
			if (ir_inst(f, fr->value)->op == OP_detach) {
				buf_printf(report,
				           "skip   result '%s': detached (grad with create_graph=false, or detach)\n",
				           fr->name);
				continue;
			}
			bool any = false;
			for (int g = 0; g < v->vjp.ngrads; g++)
				any = any || v->vjp.depends[r * np + v->vjp.grad_param[g]];
			if (!any) {
				buf_printf(report, "skip   result '%s': it depends on no differentiable parameter\n",
				           fr->name);
				continue;
			}
			/* inputs of the VJP: f's, then seeds (random for r, zero for the others) */
			int nin = vjpf->params.len;
			ad_tensor **in = calloc((size_t)nin + 1, sizeof *in);
			for (int p = 0; p < np; p++)
				in[p] = C.base.in[p];
			ad_tensor *seed = NULL;
			for (int k = 0; k < v->vjp.nseeds; k++) {
				const Inst *sp = ir_inst(vjpf, vjpf->params.data[np + k]);
				int64_t shape[AD_MAX_RANK];
				for (int d = 0; d < C.base.out[v->vjp.seed_result[k]]->rank; d++)
					shape[d] = C.base.out[v->vjp.seed_result[k]]->shape[d];
				in[np + k] = ad_tensor_new(sp->dt == DT_F64 ? AD_F64 : AD_F32, sp->rank, shape, err);
				if (k == s) {
					seed = in[np + k];
					for (int64_t e = 0; e < ad_tensor_numel(seed); e++)
						ad_tensor_set(seed, e, normal(&C.rng));
				}
			}
			ad_tensor **out;
			int rc = call(&C, vjpf, in, &out, err);
			if (rc == 0) {
				memset(which, 0, (size_t)np * sizeof(bool));
				memset(grad_of, 0, (size_t)np * sizeof(ad_tensor *));
				for (int g = 0; g < v->vjp.ngrads; g++) {
					int p = v->vjp.grad_param[g];
					which[p] = true;
					if (vjpf->results.data[f->results.len + g].value >= 0)
						grad_of[p] = out[f->results.len + g];
				}
				int idx = r;
				Probe P = {funcs[0], 1, &idx, &seed, np, which, grad_of};
				const char *what = arena_printf(c->A, "vjp of result '%s'", fr->name);
				rc = probe(&C, &P, what, err) ? 0 : -1;
				free_outs(out, vjpf->results.len);
			}
			for (int k = 0; k < v->vjp.nseeds; k++)
				ad_tensor_free(in[np + k]);
			free(in);
			if (rc)
				goto done2;
		}
	}
	result = C.failed;
done2:
	free(which);
	free(grad_of);
done:
	jit_free(C.jm);
	c->opt = saved_opt;
	c->nfuncs = saved_n;
	inv_free(&C.base);
	free(aux);
	return result;
}
