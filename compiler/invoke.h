/* invoke.h: calling a compiled function on tensors: binding the symbolic
 * dimensions from the inputs' shapes, checking them, and allocating the
 * results. Used by --run (and the gradient check). */
#ifndef AD_INVOKE_H
#define AD_INVOKE_H

#include "adrt.h"
#include "ir.h"

typedef struct Invocation {
	const Func *f;
	int64_t dims[64];
	int ndims;
	ad_tensor **in;  /* converted to each parameter's dtype; owned */
	ad_tensor **out; /* allocated results (NULL for none); owned */
} Invocation;

/* Bind named inputs (vals[i] for names[i]) to f's parameters. Every
 * parameter must be given exactly once; shapes must fit the declared types.
 * table[i] (if table is not NULL) marks a CSV table, which may feed a 1-D
 * parameter as one row or column, or a scalar as a 1x1 table.
 * On error, returns nonzero with err set (code AD_E_NAME or AD_E_SHAPE). */
int inv_bind(Invocation *iv, const Func *f, const char *const *names, ad_tensor *const *vals, const bool *table, int n,
             ad_error *err);
/* (Re)allocate the results for iv->f and iv->dims. */
int inv_alloc(Invocation *iv, ad_error *err);
/* Call a uniform entry point (the emitted NAME_call). */
typedef int (*AdCallFn)(const int64_t *dims, const void *const *in, void *const *out, void *work);
int inv_call(Invocation *iv, AdCallFn fn, ad_error *err);
void inv_free(Invocation *iv);

#endif
