/* jit_module.h: runtime-API modules (adrt.h) made in process from a
 * compilation: its C, with the ad_meta records, compiled by libtcc. The
 * command line's --run, --grad and --check and ad_module_compile all call
 * functions through them, so dimensions are bound from shapes in one
 * place (api.c, through each function's ad_meta.bind). */
#ifndef AD_JIT_MODULE_H
#define AD_JIT_MODULE_H

#include "adrt.h"
#include "driver.h"

/* The module of c's functions, with the entry points c->entries asks for
 * (0: all): emitted as -o writes it, then compiled. NULL on failure, with
 * the diagnostics in err (AD_E_COMPILE) or what went wrong (AD_E_NOMEM,
 * AD_E_INTERNAL, AD_E_IO from AD_JIT=cc). */
ad_module *jit_module(Compilation *c, ad_error *err);
/* The module of funcs[0..n), emitted by adc_emit_funcs (plain and work
 * entries): the functions a caller built (gradient checks); function i of
 * the module is funcs[i]. */
ad_module *jit_module_funcs(Compilation *c, Func **funcs, int n, ad_error *err);
/* The module of funcs[0..n) from C a module emission of them wrote
 * (adc_emit with `module`, or adc_emit_funcs). */
ad_module *jit_module_c(Compilation *c, const char *csrc, Func *const *funcs, int n, ad_error *err);

#endif
