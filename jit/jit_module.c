/* jit_module.c: modules of the runtime API compiled in process (see
 * jit_module.h), and ad_module_compile, which is one of them (libadjit). */
#include "jit_module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"

static void free_jit(void *owner)
{
	jit_free(owner);
}

static int status_code(const Compilation *c)
{
	return c->status == ADC_NOMEM ? AD_E_NOMEM : c->status == ADC_ICE ? AD_E_INTERNAL : AD_E_COMPILE;
}

ad_module *jit_module_c(Compilation *c, const char *csrc, Func *const *funcs, int n, ad_error *err)
{
	const char **syms = adc_meta_symbols(c, funcs, n);
	if (!syms) {
		ad_error_set(err, status_code(c), "%s", adc_messages(c));
		return NULL;
	}
	char jerr[2048];
	int jcode = AD_E_INTERNAL;
	JitModule *jm = jit_compile(csrc, jerr, sizeof jerr, &jcode);
	if (!jm) {
		ad_error_set(err, jcode, "%s", jerr);
		return NULL;
	}
	ad_module *m = NULL;
	const ad_meta **metas = calloc((size_t)n + 1, sizeof *metas);
	if (!metas) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
		if (!(metas[i] = jit_symbol(jm, syms[i]))) {
			ad_error_set(err, AD_E_INTERNAL, "internal error: %s is missing from the generated code",
			             syms[i]);
			goto done;
		}
	m = ad_module_wrap(metas, n, jm, free_jit, err);
done:
	if (!m)
		jit_free(jm);
	free(metas);
	return m;
}

ad_module *jit_module(Compilation *c, ad_error *err)
{
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, c->entries, c->threads};
	char *csrc;
	if (adc_emit(c, &eo, true, &csrc, NULL) != ADC_OK) {
		ad_error_set(err, status_code(c), "%s", adc_messages(c));
		return NULL;
	}
	return jit_module_c(c, csrc, c->opt, c->nfuncs, err);
}

ad_module *jit_module_funcs(Compilation *c, Func **funcs, int n, ad_error *err)
{
	char *csrc;
	if (adc_emit_funcs(c, funcs, n, &csrc) != ADC_OK) {
		ad_error_set(err, status_code(c), "%s", adc_messages(c));
		return NULL;
	}
	return jit_module_c(c, csrc, funcs, n, err);
}

ad_module *ad_module_compile(const char *source, const char *filename, ad_error *err)
{
	if (!source) {
		ad_error_set(err, AD_E_VALUE, "no source text");
		return NULL;
	}
	Compilation *c = adc_new(filename ? filename : "<string>", source, strlen(source));
	if (!c) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	/* AD_JIT_THREADS=1 (with AD_JIT=cc): the code of ad-compile --threads */
	const char *threads = getenv("AD_JIT_THREADS");
	c->threads = threads && strcmp(threads, "1") == 0;
	ad_module *m = jit_module(c, err);
	adc_free(c);
	return m;
}
