/* gradcheck.c: finite-difference gradient checks (see gradcheck.h). */
#include "gradcheck.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjoint.h"
#include "jit_module.h"

CheckOptions gradcheck_defaults(void)
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

typedef struct Aux {
	Func *fn; /* lowered; optimized once compiled */
	int kind; /* 0: grad site, 1: vjp */
	int site;
	VjpInfo vjp;
} Aux;

struct GradCheck {
	Compilation *c;
	const Func *f; /* lowered */
	Buf *report;
	Aux *aux; /* the functions compiled after f: one per grad site, then f's VJP */
	int naux;
	ad_module *mod; /* f, then aux[i] as function i + 1 */
	/* of a run */
	const CheckOptions *o;
	uint64_t rng;
	ad_tensor **in;  /* the inputs, in f64 */
	ad_tensor **out; /* f's results at them */
	int failed;
};
typedef GradCheck Ctx;

/* Function i of the module at inputs `in` (its parameters'): *out gets its
 * results (NULL for a none result). */
static int call(Ctx *C, int i, ad_tensor *const *in, ad_tensor ***out, ad_error *err)
{
	const ad_function *fn = ad_module_function_at(C->mod, i);
	int nr = ad_function_meta(fn)->nresults;
	*out = calloc((size_t)nr + 1, sizeof **out);
	if (!*out)
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	if (ad_call(fn, in, *out, err)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* <a, b>; a none result (NULL) is zeros */
static double dot(const ad_tensor *a, const ad_tensor *b)
{
	double s = 0;
	if (!a || !b)
		return 0;
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
	if (!a || !b)
		return 0;
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

static void free_outs(ad_tensor **t, int n)
{
	for (int i = 0; t && i < n; i++)
		ad_tensor_free(t[i]);
	free(t);
}

/* x + t * d for the parameters in `which`, others as they are; NULL if
 * out of memory. */
static ad_tensor **perturb(Ctx *C, ad_tensor *const *d, const bool *which, double t, int np)
{
	ad_tensor **in = calloc((size_t)np + 1, sizeof *in);
	for (int p = 0; in && p < np; p++) {
		if (!(in[p] = ad_tensor_convert(C->in[p], C->in[p]->dtype, NULL))) { /* f64, or an integer's own */
			free_outs(in, p);
			return NULL;
		}
		if (which[p]) {
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
	int eval; /* the module's function to evaluate at perturbed points */
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
		if (!in)
			return ad_error_set(err, AD_E_NOMEM, "out of memory"), false;
		int rc = call(C, P->eval, in, &out, err);
		free_outs(in, P->nparams);
		if (rc)
			return false;
		phi[s] = mag[s] = 0;
		for (int t = 0; t < P->nterms; t++) {
			phi[s] += dot(P->weights[t], out[P->out_index[t]]);
			mag[s] += dot_abs(P->weights[t], out[P->out_index[t]]);
		}
		free_outs(out, ad_function_meta(ad_module_function_at(C->mod, P->eval))->nresults);
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
		for (int p = 0; d && p < np; p++) {
			if (!(d[p] = ad_tensor_convert(C->in[p], AD_F64, NULL))) {
				free_outs(d, p);
				d = NULL;
				break;
			}
			int64_t n = ad_tensor_numel(d[p]);
			for (int64_t i = 0; i < n; i++)
				ad_tensor_set(d[p], i, P->which[p] ? normal(&C->rng) : 0);
			if (P->which[p] && P->grad_of[p])
				an += dot(P->grad_of[p], d[p]);
		}
		if (!d)
			return ad_error_set(err, AD_E_NOMEM, "out of memory"), false;
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

/* The functions the checks call, built under the compilation's recovery
 * point: a copy of f per checkable grad site (its outputs, seeds and
 * gradients as results), then f's VJP. */
static void build_aux(Compilation *c, void *arg)
{
	Ctx *C = arg;
	const Func *f = C->f;
	int nsites = f->grads.len;
	C->aux = arena_array(c->A, (size_t)nsites + 2, sizeof *C->aux);
	int na = 0;
	for (int s = 0; s < nsites; s++) {
		const GradSite *g = &f->grads.data[s];
		bool params = true;
		for (int i = 0; i < g->nin; i++)
			params = params && param_index(f, g->ins[i]) >= 0;
		if (!params) {
			buf_printf(C->report, "skip   %s at %s:%d:%d: its inputs are not all parameters of %s\n",
			           g->text, f->src->name, g->loc.line, g->loc.col, f->name);
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
		C->aux[na].fn = a;
		C->aux[na].kind = 0;
		C->aux[na++].site = s;
	}
	C->aux[na].fn = adj_vjp_function(f, &C->aux[na].vjp);
	C->aux[na++].kind = 1;
	C->naux = na;
}

GradCheck *gradcheck_new(Compilation *c, int fi, Buf *report, ad_error *err)
{
	Ctx *C = calloc(1, sizeof *C);
	if (!C) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	C->c = c;
	C->f = c->mod->funcs[fi];
	C->report = report;
	if (adc_guarded(c, build_aux, C) != ADC_OK) {
		ad_error_set(err, c->status == ADC_NOMEM ? AD_E_NOMEM : AD_E_INTERNAL, "%s", adc_messages(c));
		free(C);
		return NULL;
	}
	/* f and the auxiliaries compiled together, as one module */
	Func **funcs = calloc((size_t)C->naux + 2, sizeof *funcs);
	if (!funcs) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		free(C);
		return NULL;
	}
	funcs[0] = c->mod->funcs[fi];
	for (int i = 0; i < C->naux; i++)
		funcs[i + 1] = C->aux[i].fn;
	C->mod = jit_module_funcs(c, funcs, C->naux + 1, err);
	for (int i = 0; i < C->naux; i++)
		C->aux[i].fn = funcs[i + 1]; /* optimized */
	free(funcs);
	if (!C->mod) {
		free(C);
		return NULL;
	}
	return C;
}

const ad_meta *gradcheck_meta(const GradCheck *C)
{
	return ad_function_meta(ad_module_function_at(C->mod, 0));
}

void gradcheck_free(GradCheck *C)
{
	if (!C)
		return;
	ad_module_free(C->mod);
	free(C);
}

/* (a) a grad site: finite differences of sum_k <seed_k, out_k> over its
 * inputs against its gradients. */
static bool check_site(Ctx *C, int i, bool *which, ad_tensor **grad_of, ad_error *err)
{
	const Func *f = C->f;
	int np = f->params.len;
	const GradSite *g = &f->grads.data[C->aux[i].site];
	ad_tensor **out;
	if (call(C, i + 1, C->in, &out, err))
		return false;
	memset(which, 0, (size_t)np * sizeof(bool));
	memset(grad_of, 0, (size_t)np * sizeof(ad_tensor *));
	for (int k = 0; k < g->nin; k++) {
		int p = param_index(f, g->ins[k]);
		which[p] = true;
		if (g->grads[k] >= 0 && !grad_of[p])
			grad_of[p] = out[2 * g->nout + k];
	}
	int *idx = calloc((size_t)g->nout + 1, sizeof *idx);
	ad_tensor **w = calloc((size_t)g->nout + 1, sizeof *w);
	bool ok = idx && w;
	if (!ok)
		ad_error_set(err, AD_E_NOMEM, "out of memory");
	for (int k = 0; ok && k < g->nout; k++) {
		idx[k] = k;
		w[k] = out[g->nout + k];
	}
	char what[512];
	snprintf(what, sizeof what, "%s at %s:%d:%d", g->text, f->src->name, g->loc.line, g->loc.col);
	Probe P = {i + 1, g->nout, idx, w, np, which, grad_of};
	ok = ok && probe(C, &P, what, err);
	free(idx);
	free(w);
	free_outs(out, C->aux[i].fn->results.len);
	return ok;
}

/* (b) the VJP of result r with a random seed (zero seeds for the others)
 * against finite differences of f. */
static bool check_vjp(Ctx *C, int r, bool *which, ad_tensor **grad_of, ad_error *err)
{
	const Func *f = C->f;
	int np = f->params.len;
	const Aux *v = &C->aux[C->naux - 1];
	const Func *vjpf = v->fn;
	int nin = vjpf->params.len;
	ad_tensor **in = calloc((size_t)nin + 1, sizeof *in);
	if (!in)
		return ad_error_set(err, AD_E_NOMEM, "out of memory"), false;
	for (int p = 0; p < np; p++)
		in[p] = C->in[p];
	ad_tensor *seed = NULL;
	bool ok = true;
	for (int k = 0; k < v->vjp.nseeds && ok; k++) {
		const ad_tensor *res = C->out[v->vjp.seed_result[k]];
		/* an integer result's seed is an integer (and zero: it has no derivative) */
		ad_dtype dt = ad_dtype_is_int(res->dtype) ? res->dtype : AD_F64;
		ok = (in[np + k] = ad_tensor_new(dt, res->rank, res->shape, err)) != NULL;
		if (ok && v->vjp.seed_result[k] == r) {
			seed = in[np + k];
			for (int64_t e = 0; e < ad_tensor_numel(seed); e++)
				ad_tensor_set(seed, e, normal(&C->rng));
		}
	}
	ad_tensor **out = NULL;
	if (ok && call(C, C->naux, in, &out, err) == 0) {
		memset(which, 0, (size_t)np * sizeof(bool));
		memset(grad_of, 0, (size_t)np * sizeof(ad_tensor *));
		for (int g = 0; g < v->vjp.ngrads; g++) {
			int p = v->vjp.grad_param[g];
			which[p] = true;
			grad_of[p] = out[f->results.len + g];
		}
		int idx = r;
		Probe P = {0, 1, &idx, &seed, np, which, grad_of};
		char what[512];
		snprintf(what, sizeof what, "vjp of result '%s'", f->results.data[r].name);
		ok = probe(C, &P, what, err);
		free_outs(out, vjpf->results.len);
	} else {
		ok = false;
	}
	for (int k = 0; k < v->vjp.nseeds; k++)
		ad_tensor_free(in[np + k]);
	free(in);
	return ok;
}

int gradcheck_run(GradCheck *C, ad_tensor *const *inputs, const CheckOptions *o, ad_error *err)
{
	const Func *f = C->f;
	int np = f->params.len, result = -1;
	C->o = o;
	C->rng = o->seed;
	C->failed = 0;
	C->in = calloc((size_t)np + 1, sizeof *C->in);
	bool *which = calloc((size_t)np + 1, sizeof(bool));
	ad_tensor **grad_of = calloc((size_t)np + 1, sizeof(ad_tensor *));
	if (!C->in || !which || !grad_of) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	/* floats in f64; an integer parameter's input as it is (ad_call
	 * converts it, or refuses a float) */
	const ad_meta *meta = ad_function_meta(ad_module_function_at(C->mod, 0));
	for (int p = 0; p < np; p++)
		if (!(C->in[p] = ad_tensor_convert(
		          inputs[p], ad_dtype_is_int((ad_dtype)meta->params[p].dtype) ? inputs[p]->dtype : AD_F64,
		          err)))
			goto done;
	/* f at the inputs: the shapes of the seeds, and the inputs checked */
	if (call(C, 0, C->in, &C->out, err))
		goto done;
	for (int i = 0; i < C->naux && C->aux[i].kind == 0; i++)
		if (!check_site(C, i, which, grad_of, err))
			goto done;
	const Aux *v = &C->aux[C->naux - 1];
	for (int s = 0; s < v->vjp.nseeds; s++) {
		int r = v->vjp.seed_result[s];
		const FuncResult *fr = &f->results.data[r];
		if (ir_inst(f, fr->value)->op == OP_detach) {
			buf_printf(C->report,
			           "skip   result '%s': detached (grad with create_graph=false, or detach)\n",
			           fr->name);
			continue;
		}
		bool any = false;
		for (int g = 0; g < v->vjp.ngrads; g++)
			any = any || v->vjp.depends[r * np + v->vjp.grad_param[g]];
		if (!any) {
			buf_printf(C->report, "skip   result '%s': it depends on no differentiable parameter\n",
			           fr->name);
			continue;
		}
		if (!check_vjp(C, r, which, grad_of, err))
			goto done;
	}
	result = C->failed;
done:
	free_outs(C->in, np);
	free_outs(C->out, f->results.len);
	C->in = C->out = NULL;
	free(which);
	free(grad_of);
	return result;
}
