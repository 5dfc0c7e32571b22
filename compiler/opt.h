/* opt.h: the optimization passes, each a function from IR to IR, run in a
 * fixed order by the driver (driver.c, docs/design.md). */
#ifndef AD_OPT_H
#define AD_OPT_H

#include "ir.h"

/* Constant folding, algebraic identities, removal of identities (copy,
 * detach once differentiation is done), folding transposes into matmul, and
 * common-subexpression elimination, in one forward sweep. */
Func *opt_simplify(Func *f);
/* Dead-code elimination: keep what the results need. */
Func *opt_dce(Func *f);
/* What the results need, per value (in f's arena, ins.len + 1 entries):
 * the liveness opt_dce keeps, parameters only where something reads them. */
bool *opt_live(const Func *f);

/* Evaluate an elementwise op on numbers, as the emitted code would; false
 * for an op without a folding rule (ops.def's NOFOLD). */
bool fold_eval(Op op, const double *x, DType dt, double *out);

#endif
