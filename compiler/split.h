/* split.h: a VJP function cut into a forward pass, which writes what the
 * backward pass needs into caller-owned memory, and that backward pass.
 *
 * Saved are the forward values the backward reads that are expensive to
 * recompute (transcendental math, divisions, reductions, matrix products,
 * the results of loops and conds, a loop's tape among them);
 * cheap ones (sums, products, views) are recomputed from the inputs, which
 * the backward pass receives again, and from the saved values. */
#ifndef AD_SPLIT_H
#define AD_SPLIT_H

#include "ir.h"

typedef struct Split {
	Func *fwd; /* params: f's; results: f's, then the saved values */
	Func *bwd; /* params: f's, the seeds, then the saved values; results: the gradients */
	int nsaved;
} Split;

/* vjp: an optimized VJP function with `nparams` parameters of f followed by
 * `nseeds` seeds, and `nresults` results of f followed by the gradients. */
Split ir_split(const Func *vjp, int nparams, int nseeds, int nresults);
/* After both halves are optimized: the saved values the backward pass no
 * longer reads (its optimization made them dead) are no longer saved. */
void ir_split_trim(Split *s, int nparams, int nseeds, int nresults);

#endif
