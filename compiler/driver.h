/* driver.h: the compiler as a library: source text in, diagnostics, IR and
 * C out. Each stage runs under a recovery point, so running out of memory
 * or an internal error comes back as a status, never as exit() or abort(). */
#ifndef AD_DRIVER_H
#define AD_DRIVER_H

#include "emit_c.h"
#include "lower.h"

enum { ADC_MAX_SOURCE = 16 << 20 }; /* bytes of source text */

typedef enum { ADC_OK = 0, ADC_ERRORS, ADC_ICE, ADC_NOMEM } AdcStatus;

/* The passes, in the order the driver runs them. */
typedef enum {
	PASS_LOWER,
	PASS_SIMPLIFY,
	PASS_DCE,
	PASS_VJP,
	PASS_JVP,
	PASS_SPLIT,
	PASS_FUSE,
	PASS_REUSE,
	PASS_COUNT
} PassId;
/* "simplify,fuse" -> bits of the passes (0 if a name is unknown). */
unsigned adc_pass_bits(const char *list);
/* The names, for messages. */
const char *adc_pass_list(void);

typedef struct Compilation {
	Arena *A;
	SrcFile *src;
	Diags diags;
	DimCtx *dc;
	Program *prog;
	Module *mod;   /* lowered functions, after adc_lower */
	Func **opt;    /* optimized functions, after adc_optimize */
	ModFunc *mods; /* with their VJPs and forward/backward pairs, after adc_prepare_runtime */
	int nfuncs;
	char ice[512];
	AdcStatus status;
	bool promote;        /* set before adc_lower: every f32 becomes f64 */
	bool ir_input;       /* set before adc_lower: the text is IR as --emit=ir prints it (ir_read) */
	bool verify;         /* the IR verifier after every pass (tests) */
	unsigned dump_after; /* PASS_* bits: print after these passes into `dump` */
	Buf *dump;
	unsigned entries; /* set before adc_prepare_runtime: the AD_ENTRY_* bits (ad_meta.h) whose
	                     functions it builds; 0: all */
	bool threads;     /* the C that the JIT and gradient checks compile is multi-threaded (--threads) */
} Compilation;

/* Run fn(c, arg) under the compilation's recovery point, as every stage
 * runs: running out of the arena's memory or an internal error comes back
 * as the status (the message in adc_messages), never as an abort. */
typedef void (*AdcStageFn)(Compilation *c, void *arg);
AdcStatus adc_guarded(Compilation *c, AdcStageFn fn, void *arg);

Compilation *adc_new(const char *name, const char *text, size_t len);
void adc_free(Compilation *c);
AdcStatus adc_parse(Compilation *c);
AdcStatus adc_lower(Compilation *c);                 /* parses first if needed */
AdcStatus adc_optimize(Compilation *c, bool verify); /* lowers first if needed */
/* Printed stages (arena strings); NULL if the stage failed. */
char *adc_tokens(Compilation *c);
char *adc_ast(Compilation *c);
char *adc_ir(Compilation *c, bool optimized);
/* Build every function's VJP and forward/backward pair (for the runtime). */
AdcStatus adc_prepare_runtime(Compilation *c);

/* For callers that build functions of their own (gradient checks): each
 * through the optimization and scheduling passes, then the C of all as a
 * module with their plain and work entry points and ad_meta records (as
 * emit_module writes it, in the order given); funcs[] get the optimized
 * functions. */
AdcStatus adc_emit_funcs(Compilation *c, Func **funcs, int n, char **csrc);
/* C source and header (hsrc may be NULL). With `module`, the run-time entry
 * points and metadata too (as -o writes); without, the functions only. */
AdcStatus adc_emit(Compilation *c, const EmitOptions *o, bool module, char **csrc, char **hsrc);
/* The symbols of the ad_meta records of funcs[0..n) in a module emitted
 * with them (NULL if out of memory). */
const char **adc_meta_symbols(Compilation *c, Func *const *funcs, int n);
/* Diagnostics, or the internal error, as text ("" if none). */
char *adc_messages(Compilation *c);
/* Index of function `name` among the lowered functions, or -1. */
int adc_find(Compilation *c, const char *name);
/* The names of the functions, ", "-separated (for messages). */
char *adc_func_list(Compilation *c);

#endif
