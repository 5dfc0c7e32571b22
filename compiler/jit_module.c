/* jit_module.c: ad_module_compile, the runtime API's in-process compiler
 * (libadjit): .ad source -> C with its ad_meta records -> libtcc -> a module. */
#include "adrt.h"
#include "driver.h"
#include "jit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void free_jit(void *owner)
{
	jit_free(owner);
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
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0};
	char *csrc;
	ad_module *m = NULL;
	if (adc_emit(c, &eo, true, &csrc, NULL) != ADC_OK) {
		int code = c->status == ADC_NOMEM ? AD_E_NOMEM : c->status == ADC_ICE ? AD_E_INTERNAL : AD_E_COMPILE;
		ad_error_set(err, code, "%s", adc_messages(c));
		adc_free(c);
		return NULL;
	}
	char jerr[2048];
	int jcode = AD_E_INTERNAL;
	JitModule *jm = jit_compile(csrc, jerr, sizeof jerr, &jcode);
	if (!jm) {
		ad_error_set(err, jcode, "%s", jerr);
		adc_free(c);
		return NULL;
	}
	const ad_meta **metas = calloc((size_t)c->nfuncs + 1, sizeof *metas);
	const char **names = calloc((size_t)c->nfuncs + 1, sizeof *names);
	if (!metas || !names) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto done;
	}
	for (int i = 0; i < c->nfuncs; i++)
		names[i] = c->mod->funcs[i]->name;
	for (int i = 0; i < c->nfuncs; i++) {
		const char *base = emit_c_base(names, c->nfuncs, i, NULL, c->A);
		char sym[512];
		snprintf(sym, sizeof sym, "%s_meta", base);
		metas[i] = jit_symbol(jm, sym);
		if (!metas[i]) {
			ad_error_set(err, AD_E_INTERNAL, "internal error: %s is missing from the generated code", sym);
			goto done;
		}
	}
	m = ad_module_wrap(metas, c->nfuncs, jm, free_jit, err);
done:
	if (!m)
		jit_free(jm);
	free(metas);
	free(names);
	adc_free(c);
	return m;
}
