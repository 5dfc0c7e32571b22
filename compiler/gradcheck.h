/* gradcheck.h: gradient checking of compiled code (--check), as PyTorch's
 * gradcheck: central finite differences in f64 along random directions,
 * compared with (a) every grad(...) call whose inputs are parameters, and
 * (b) the compiled vector-Jacobian product of every differentiable result. */
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
CheckOptions check_defaults(void);

/* Check function `fn` of c (lowered with c->promote set, so in f64) at the
 * given inputs. Appends one line per check to report. Returns the number of
 * failed checks, or -1 with err set when the inputs do not fit. */
int adc_check(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, const bool *table,
              int n, const CheckOptions *o, Buf *report, ad_error *err);

#endif
