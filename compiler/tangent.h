/* tangent.h: forward-mode differentiation (Jacobian-vector products) as an
 * IR-to-IR pass. */
#ifndef AD_TANGENT_H
#define AD_TANGENT_H

#include "ir.h"

/* Append to f the instructions computing, for each value in outs, its
 * tangent sum_i J_i seeds[i] with respect to the values ins (one seed of
 * each input's shape): tangents[j], or -1 where no input reaches output j.
 * Tangents do not flow through `blocked` values, nor through what cuts a
 * derivative (comparisons, detach, integers). The appended code is ordinary
 * IR, so it differentiates again (a gradient of a tangent, a tangent of a
 * gradient: a Hessian-vector product in forward over reverse). A loop's
 * tangent is a loop that carries the tangents beside the values, without a
 * tape; a conditional's, a conditional on the same condition. */
void tan_jvp(Func *f, const int *ins, const int *seeds, int nin, const int *outs, int nout, const int *blocked,
             int nblocked, int *tangents);

/* The correspondence of a function's Jacobian-vector function (its
 * NAME_jvp, built by tan_jvp_function) with the function: f's parameters, then a tangent for each
 * parameter not marked nograd (named tan_PARAM); f's results, then the
 * tangent of each float result that is not none (named tan_RESULT; none,
 * written as zeros, where it depends on no parameter with a tangent). */
typedef struct JvpInfo {
	int ntans, nouts;
	int *tan_param;  /* for each tangent parameter, the index of its parameter in f */
	int *tan_result; /* for each tangent result, the index of its result in f */
} JvpInfo;
Func *tan_jvp_function(const Func *f, JvpInfo *info);

#endif
