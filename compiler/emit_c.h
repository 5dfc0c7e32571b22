/* emit_c.h: C99 from optimized IR (ad-compile -o, and the JIT's input). */
#ifndef AD_EMIT_C_H
#define AD_EMIT_C_H

#include "lower.h"

typedef struct EmitOptions {
	const char *header_name; /* the .h the .c includes; NULL: self-contained */
	const char *prefix;      /* prepended to every function name */
	bool comments;           /* source statements as comments (default on) */
} EmitOptions;

/* The C names chosen for one function (after mangling reserved names). */
typedef struct CNames {
	const char *func, *work, *work_size, *call;
} CNames;

/* Emit the definitions (.c) and the declarations (.h) of every function of
 * m; `funcs_opt` are the optimized functions, m the lowered ones (for
 * documentation of the signature). */
void emit_c(Buf *c, Buf *h, Func *const *funcs, int nfuncs, const EmitOptions *o, const char *srcname);
/* The C names of function i as emit_c chose them. */
CNames emit_c_names(Func *const *funcs, int nfuncs, int i, const EmitOptions *o, Arena *A);

#endif
