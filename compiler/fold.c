/* fold.c: evaluation of elementwise ops on constants, matching the emitted
 * C (the arithmetic is done in double and rounded to the dtype). Each op's
 * formula is its row's folding column in ops.def. */
#include <math.h>

#include "opt.h"

bool fold_eval(Op op, const double *x, DType dt, double *out)
{
	double a = x[0], b = x[1], c = x[2], r = 0;
	bool ok = true;
	(void)a, (void)b, (void)c;
#define NOFOLD (ok = false, 0.0)
	switch (op) {
#define X(name, arity, kind, flags, tmpl, fold)                                                                        \
	case OP_##name:                                                                                                \
		r = (fold);                                                                                            \
		break;
#include "ops.def"
	default: ok = false; break;
	}
#undef NOFOLD
	if (dtype_is_int(dt) && (op == OP_floordiv || op == OP_mod) && b == 0)
		r = 0; /* emit_int.h: a zero divisor gives 0 */
	if (dtype_is_int(dt)) {
		/* truncated toward zero (a conversion), wrapped to 32 bits for
		 * i32; not folded beyond 2^53, where doubles lose integers */
		if (!(fabs(r) < 9007199254740992.0))
			return false;
		r = trunc(r);
		if (dt == DT_I32)
			r = (double)(int32_t)(uint32_t)(uint64_t)(int64_t)r;
	}
	*out = dt == DT_F32 ? (double)(float)r : r;
	return ok;
}
