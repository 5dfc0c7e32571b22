/* call.c: --run, --grad and --check. Each compiles the program in process
 * into a runtime-API module (jit/jit_module.h) and calls it through
 * adrt.h, as a C program would: the inputs' shapes bind the dimensions in
 * one place (ad_meta.bind, in runtime/api.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gradcheck.h"
#include "jit_module.h"

/* The module of c's functions with the given entry points, or NULL after
 * the diagnostics (*rc: the exit status). */
static ad_module *module_of(Compilation *c, unsigned entries, int *rc)
{
	ad_error err;
	c->entries = entries;
	ad_module *m = jit_module(c, &err);
	if (!m) {
		if (err.code == AD_E_COMPILE) {
			fputs(err.msg, stderr);
			*rc = EXIT_COMPILE;
		} else {
			cli_runtime_error("%s", err.msg);
			*rc = EXIT_RUNTIME;
		}
	}
	return m;
}

/* The function --run, --grad or --check names, checked before compiling. */
static int find(Compilation *c, const Opts *o, const char *name)
{
	if (adc_lower(c) != ADC_OK)
		return -cli_report(c);
	int fi = adc_find(c, name);
	if (fi < 0) {
		cli_usage_error("'%s' has no function '%s' (it has: %s)", o->file, name, adc_func_list(c));
		return -EXIT_USAGE;
	}
	return fi;
}

static void free_tensors(ad_tensor **t, int n)
{
	for (int i = 0; t && i < n; i++)
		ad_tensor_free(t[i]);
	free(t);
}

int cli_run(Compilation *c, const Opts *o)
{
	int fi = find(c, o, o->run), rc = 0;
	if (fi < 0)
		return -fi;
	if ((rc = cli_check_format(o)))
		return rc;
	ad_module *mod = module_of(c, AD_ENTRY_PLAIN | AD_ENTRY_WORK, &rc);
	if (!mod)
		return rc;
	const ad_function *fn = ad_module_function_at(mod, fi);
	const ad_meta *m = ad_function_meta(fn);
	ad_tensor **in = calloc((size_t)m->nparams + 1, sizeof *in),
	          **out = calloc((size_t)m->nresults + 1, sizeof *out);
	const char **names = calloc((size_t)m->nresults + 1, sizeof *names);
	ad_error err;
	if (!in || !out || !names) {
		cli_runtime_error("out of memory");
		rc = EXIT_RUNTIME;
	} else if (!(rc = cli_bind(m->name, false, o->inputs, o->ninputs, m->params, m->nparams, in)) &&
	           ad_call(fn, in, out, &err)) {
		cli_runtime_error("%s", err.msg);
		rc = EXIT_RUNTIME;
	}
	for (int r = 0; !rc && r < m->nresults; r++)
		names[r] = m->results[r].name;
	if (!rc)
		rc = cli_print(o, names, (const ad_tensor *const *)out, m->nresults);
	if (!rc && o->outdir) {
		for (int r = 0; r < m->nresults; r++)
			if (!out[r])
				fprintf(stderr, "%s: note: %s is none; no %s/%s.npy was written\n", cli_prog, names[r],
				        o->outdir, names[r]);
		rc = cli_write_npys(o->outdir, names, (const ad_tensor *const *)out, m->nresults);
	}
	if (!rc && o->plot) {
		char perr[1024];
		if (cli_plot(o->plot, names, out, m->nresults, perr, sizeof perr)) {
			cli_runtime_error("%s", perr);
			rc = EXIT_RUNTIME;
		}
	}
	free_tensors(in, m->nparams);
	free_tensors(out, m->nresults);
	free(names);
	ad_module_free(mod);
	return rc;
}

/* --wrt NAME,...: the parameters to differentiate with respect to. */
static int parse_wrt(const ad_function *fn, const char *list, int *wrt)
{
	char *copy = strdup(list);
	if (!copy) {
		cli_runtime_error("out of memory");
		return EXIT_RUNTIME;
	}
	int rc = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		int p = ad_function_param(fn, tok);
		if (p < 0)
			cli_runtime_error("--wrt: %s has no parameter '%s'", ad_function_meta(fn)->name, tok),
			    rc = EXIT_RUNTIME;
		else
			wrt[p] = 1;
	}
	free(copy);
	return rc;
}

int cli_grad(Compilation *c, const Opts *o)
{
	int fi = find(c, o, o->grad), rc = 0;
	if (fi < 0)
		return -fi;
	if ((rc = cli_check_format(o)))
		return rc;
	ad_module *mod = module_of(c, AD_ENTRY_PLAIN | AD_ENTRY_WORK | AD_ENTRY_VJP, &rc);
	if (!mod)
		return rc;
	const ad_function *fn = ad_module_function_at(mod, fi);
	const ad_meta *m = ad_function_meta(fn);
	int np = m->nparams, nr = m->nresults;
	ad_tensor **in = calloc((size_t)np + 1, sizeof *in), **seeds = calloc((size_t)nr + 1, sizeof *seeds);
	ad_tensor **grads = calloc((size_t)np + 1, sizeof *grads);
	int *wrt = calloc((size_t)np + 1, sizeof *wrt);
	const char **names = calloc((size_t)np + 1, sizeof *names);
	const ad_tensor **shown = calloc((size_t)np + 1, sizeof *shown);
	ad_error err;
	if (!in || !seeds || !grads || !wrt || !names || !shown) {
		cli_runtime_error("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	if ((rc = cli_bind(m->name, false, o->inputs, o->ninputs, m->params, np, in)) ||
	    (rc = cli_bind(m->name, true, o->seeds, o->nseeds, m->results, nr, seeds)) ||
	    (o->wrt && (rc = parse_wrt(fn, o->wrt, wrt))))
		goto done;
	int wanted = 0;
	for (int p = 0; p < np; p++)
		wanted += o->wrt ? wrt[p] : !m->params[p].nograd;
	if (wanted == 0) {
		cli_runtime_error("%s has nothing to differentiate: every parameter is nograd", m->name);
		rc = EXIT_RUNTIME;
		goto done;
	}
	if (ad_grad(fn, in, seeds, o->wrt ? wrt : NULL, o->allow_unused, grads, &err)) {
		/* the API's advice, in the command line's words */
		cli_runtime_error("%s%s", err.msg, strstr(err.msg, "allow_unused") ? " (here: --allow-unused)" : "");
		rc = EXIT_RUNTIME;
		goto done;
	}
	int n = 0;
	for (int p = 0; p < np; p++)
		if (o->wrt ? wrt[p] : !m->params[p].nograd) {
			names[n] = m->params[p].name;
			shown[n++] = grads[p];
		}
	rc = cli_print(o, names, shown, n);
	if (!rc && o->outdir)
		rc = cli_write_npys(o->outdir, names, shown, n);
done:
	free_tensors(in, np);
	free_tensors(grads, np);
	free_tensors(seeds, nr);
	free(wrt);
	free(names);
	free(shown);
	ad_module_free(mod);
	return rc;
}

int cli_check(Compilation *c, const Opts *o)
{
	int fi = find(c, o, o->check), rc = 0;
	if (fi < 0)
		return -fi;
	Buf rep;
	buf_init(&rep, c->A);
	ad_error err;
	GradCheck *g = gradcheck_new(c, fi, &rep, &err);
	if (!g) {
		buf_free(&rep);
		if (err.code == AD_E_COMPILE) {
			fputs(err.msg, stderr);
			return EXIT_COMPILE;
		}
		cli_runtime_error("%s", err.msg);
		return EXIT_RUNTIME;
	}
	const ad_meta *m = gradcheck_meta(g);
	ad_tensor **in = calloc((size_t)m->nparams + 1, sizeof *in);
	if (!in) {
		cli_runtime_error("out of memory");
		rc = EXIT_RUNTIME;
	} else if (!(rc = cli_bind(m->name, false, o->inputs, o->ninputs, m->params, m->nparams, in))) {
		CheckOptions co = gradcheck_defaults();
		int failed = gradcheck_run(g, in, &co, &err);
		if (rep.data)
			fputs(rep.data, stdout);
		if (failed < 0) {
			cli_runtime_error("%s", err.msg);
			rc = EXIT_RUNTIME;
		} else if (failed > 0) {
			printf("%d check%s FAILED (eps %g, atol %g, rtol %g)\n", failed, failed == 1 ? "" : "s", co.eps,
			       co.atol, co.rtol);
			rc = EXIT_CHECK;
		} else {
			printf("all checks passed (f64, central differences, eps %g, atol %g, rtol %g)\n", co.eps,
			       co.atol, co.rtol);
		}
	}
	buf_free(&rep);
	free_tensors(in, m->nparams);
	gradcheck_free(g);
	return rc;
}

int cli_jacobian(Compilation *c, const Opts *o)
{
	int fi = find(c, o, o->jacobian), rc = 0;
	if (fi < 0)
		return -fi;
	if ((rc = cli_check_format(o)))
		return rc;
	ad_module *mod = module_of(c, AD_ENTRY_PLAIN | AD_ENTRY_WORK | AD_ENTRY_VJP, &rc);
	if (!mod)
		return rc;
	const ad_function *fn = ad_module_function_at(mod, fi);
	const ad_meta *m = ad_function_meta(fn);
	int np = m->nparams, nr = m->nresults, nj = 0;
	ad_tensor **in = calloc((size_t)np + 1, sizeof *in), **out = calloc((size_t)nr + 1, sizeof *out);
	ad_tensor **seeds = calloc((size_t)nr + 1, sizeof *seeds), **grads = calloc((size_t)np + 1, sizeof *grads);
	ad_tensor **J = calloc((size_t)nr * (size_t)np + 1, sizeof *J);
	const char **names = calloc((size_t)nr * (size_t)np + 1, sizeof *names);
	int *wrt = calloc((size_t)np + 1, sizeof *wrt);
	ad_error err;
	if (!in || !out || !seeds || !grads || !J || !names || !wrt) {
		cli_runtime_error("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	if ((rc = cli_bind(m->name, false, o->inputs, o->ninputs, m->params, np, in)) ||
	    (o->wrt && (rc = parse_wrt(fn, o->wrt, wrt))))
		goto done;
	for (int p = 0; p < np; p++)
		wrt[p] = o->wrt ? wrt[p] && !m->params[p].nograd : !m->params[p].nograd;
	/* the results' shapes; zero seeds for all but the one row's */
	if (ad_call(fn, in, out, &err)) {
		cli_runtime_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto done;
	}
	for (int r = 0; r < nr; r++)
		if (out[r] && !(seeds[r] = ad_tensor_new(out[r]->dtype, out[r]->rank, out[r]->shape, &err))) {
			cli_runtime_error("%s", err.msg);
			rc = EXIT_RUNTIME;
			goto done;
		}
	for (int r = 0; r < nr; r++) {
		if (!out[r] || ad_dtype_is_int(out[r]->dtype))
			continue;
		int64_t rows = ad_tensor_numel(out[r]);
		int first = nj;
		for (int p = 0; p < np; p++) {
			if (!wrt[p])
				continue;
			int64_t shape[2 * AD_MAX_RANK];
			int rank = out[r]->rank + in[p]->rank;
			memcpy(shape, out[r]->shape, (size_t)out[r]->rank * sizeof *shape);
			memcpy(shape + out[r]->rank, in[p]->shape, (size_t)in[p]->rank * sizeof *shape);
			char *name = malloc(strlen(m->results[r].name) + strlen(m->params[p].name) + 4);
			if (!name) {
				cli_runtime_error("out of memory");
				rc = EXIT_RUNTIME;
				goto done;
			}
			sprintf(name, "J_%s_%s", m->results[r].name, m->params[p].name);
			names[nj] = name;
			if (rank > AD_MAX_RANK || !(J[nj] = ad_tensor_new(out[r]->dtype, rank, shape, &err))) {
				cli_runtime_error("%s",
				                  rank > AD_MAX_RANK ? "the Jacobian has too many axes" : err.msg);
				free(name);
				rc = EXIT_RUNTIME;
				goto done;
			}
			nj++;
		}
		/* row i of each: the gradient with the unit seed e_i */
		for (int64_t i = 0; i < rows; i++) {
			ad_tensor_set(seeds[r], i, 1);
			if (ad_grad(fn, in, seeds, wrt, 1, grads, &err)) {
				cli_runtime_error("%s", err.msg);
				rc = EXIT_RUNTIME;
				goto done;
			}
			ad_tensor_set(seeds[r], i, 0);
			for (int p = 0, k = first; p < np; p++) {
				if (!wrt[p])
					continue;
				int64_t cols = ad_tensor_numel(in[p]);
				for (int64_t j = 0; j < cols; j++)
					ad_tensor_set(J[k], i * cols + j, grads[p] ? ad_tensor_get(grads[p], j) : 0);
				k++;
			}
			free_tensors(grads, np);
			grads = calloc((size_t)np + 1, sizeof *grads);
			if (!grads) {
				cli_runtime_error("out of memory");
				rc = EXIT_RUNTIME;
				goto done;
			}
		}
	}
	if (nj == 0) {
		cli_runtime_error("%s has no Jacobian to print: no float result, or every parameter is nograd",
		                  m->name);
		rc = EXIT_RUNTIME;
		goto done;
	}
	rc = cli_print(o, names, (const ad_tensor *const *)J, nj);
	if (!rc && o->outdir)
		rc = cli_write_npys(o->outdir, names, (const ad_tensor *const *)J, nj);
done:
	free_tensors(in, np);
	free_tensors(out, nr);
	free_tensors(seeds, nr);
	free_tensors(grads, np);
	free_tensors(J, nj);
	for (int k = 0; k < nj; k++)
		free((char *)names[k]);
	free(names);
	free(wrt);
	ad_module_free(mod);
	return rc;
}
