/* fold.c: evaluation of elementwise ops on constants, matching the emitted
 * C (the arithmetic is done in double and rounded to the dtype). */
#include <math.h>

#include "opt.h"

static double sign(double x)
{
	return x > 0 ? 1 : x < 0 ? -1 : x;
}

double fold_eval(Op op, const double *x, DType dt)
{
	double a = x[0], b = x[1], r;
	switch (op) {
	case OP_copy:
	case OP_detach:
	case OP_cast: r = a; break;
	case OP_neg: r = -a; break;
	case OP_abs: r = fabs(a); break;
	case OP_sign: r = sign(a); break;
	case OP_sqrt: r = sqrt(a); break;
	case OP_exp: r = exp(a); break;
	case OP_expm1: r = expm1(a); break;
	case OP_log: r = log(a); break;
	case OP_log1p: r = log1p(a); break;
	case OP_sin: r = sin(a); break;
	case OP_cos: r = cos(a); break;
	case OP_tan: r = tan(a); break;
	case OP_asin: r = asin(a); break;
	case OP_acos: r = acos(a); break;
	case OP_atan: r = atan(a); break;
	case OP_sinh: r = sinh(a); break;
	case OP_cosh: r = cosh(a); break;
	case OP_tanh: r = tanh(a); break;
	case OP_sigmoid: r = 1 / (1 + exp(-a)); break;
	case OP_relu: r = a < 0 ? 0 : a; break;
	case OP_softplus: r = fmax(a, 0) + log1p(exp(-fabs(a))); break;
	case OP_square: r = a * a; break;
	case OP_erf: r = erf(a); break;
	case OP_floor: r = floor(a); break;
	case OP_ceil: r = ceil(a); break;
	case OP_round: r = nearbyint(a); break;
	case OP_add: r = a + b; break;
	case OP_sub: r = a - b; break;
	case OP_mul: r = a * b; break;
	case OP_div: r = a / b; break;
	case OP_pow: r = pow(a, b); break;
	case OP_maximum: r = a > b || a != a ? a : b; break;
	case OP_minimum: r = a < b || a != a ? a : b; break;
	case OP_atan2: r = atan2(a, b); break;
	case OP_lt: r = a < b; break;
	case OP_le: r = a <= b; break;
	case OP_gt: r = a > b; break;
	case OP_ge: r = a >= b; break;
	case OP_eq: r = a == b; break;
	case OP_ne: r = a != b; break;
	case OP_where: r = a != 0 ? b : x[2]; break;
	default: return NAN;
	}
	return dt == DT_F32 ? (double)(float)r : r;
}
