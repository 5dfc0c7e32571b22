/* gradcheck.h: gradient checking of compiled code (--check), as PyTorch's
 * gradcheck: central finite differences in f64 along random directions,
 * compared with (a) every grad(...) call whose inputs are parameters, and
 * (b) the compiled vector-Jacobian product of every differentiable result.
 * The function and what the checks call are compiled as one runtime-API
 * module and called through it (ad_call). */
#ifndef AD_GRADCHECK_H
#define AD_GRADCHECK_H

#include "adrt.h"
#include "driver.h"

typedef struct CheckOptions {
	double eps;  /* finite-difference step */
	double atol; /* pass when |fd - analytic| <= atol + rtol * |fd| */
	double rtol;
	int ndirs;     /* random directions per check */
	uint64_t seed; /* of the random directions and seeds */
} CheckOptions;

/* PyTorch's gradcheck defaults: eps 1e-6, atol 1e-5, rtol 1e-3; 3 directions. */
CheckOptions gradcheck_defaults(void);

typedef struct GradCheck GradCheck;
/* Function fi of c (lowered with c->promote set, so in f64) compiled with
 * what its checks call; the grad sites that cannot be checked are said in
 * report. NULL with err set on failure. */
GradCheck *gradcheck_new(Compilation *c, int fi, Buf *report, ad_error *err);
/* The checked function's signature, to bind inputs to. */
const ad_meta *gradcheck_meta(const GradCheck *g);
/* The checks at the inputs (one per parameter): a line each in report.
 * Returns the number that failed, or -1 with err set when the inputs do
 * not fit or a call fails. */
int gradcheck_run(GradCheck *g, ad_tensor *const *inputs, const CheckOptions *o, ad_error *err);
void gradcheck_free(GradCheck *g);

#endif
