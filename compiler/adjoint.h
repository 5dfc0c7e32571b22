/* adjoint.h: reverse-mode differentiation as an IR-to-IR pass.
 *
 * adj_vjp appends to f the instructions computing, for each value in `ins`,
 * the sum over `outs` of the vector-Jacobian product with that output's
 * seed. The appended code is ordinary IR, so differentiating it again gives
 * the next order. */
#ifndef AD_ADJOINT_H
#define AD_ADJOINT_H

#include "ir.h"

/* Values that no output depends on get grads[i] = -1 (the caller decides
 * between an error and `none`). Gradients do not flow through `blocked`
 * values. Dependence follows the ops as written: comparisons, detach and
 * the condition of `where` cut it; every other op keeps it, even where its
 * derivative is zero. */
void adj_vjp(Func *f, const int *outs, const int *seeds, int nout, const int *ins, int nin, const int *blocked,
             int nblocked, int *grads);

/* Does op have an adjoint rule (its own, or the zero rule of F_NODIFF)?
 * An op without one and without F_CUT is an internal error when
 * differentiated; tests/check_ops.c checks that every op has one. */
bool adj_has_rule(Op op);

/* The rule of v's op (not of control flow) seeded with g: c[k] for each
 * operand k with act[k] (-1 where it gives none). False if the op has no
 * rule. The forward-mode pass (tangent.c) reuses the elementwise rules,
 * whose Jacobians are diagonal. */
bool adj_rule(Func *f, int v, int g, const bool *act, int *c);

/* depends[v] for every value: does some value of `outs` depend on v?
 * (same rules; used for allow_unused and the run-time metadata). */
bool *adj_depends(const Func *f, const int *outs, int nout, const int *blocked, int nblocked);

/* The vector-Jacobian function of f: f's parameters, then a seed for each
 * result that is not none (named seed_RESULT); f's results, then the
 * gradient of every parameter not marked nograd (named grad_PARAM; none where
 * no result depends on it). info (may be NULL) gets the correspondence. */
typedef struct VjpInfo {
	int nseeds, ngrads;
	int *seed_result; /* for each seed parameter, the index of its result in f */
	int *grad_param;  /* for each gradient result, the index of its parameter in f */
	bool *depends;    /* depends[r * nparams + p]: result r depends on parameter p */
} VjpInfo;
Func *adj_vjp_function(const Func *f, VjpInfo *info);
/* The correspondence alone, without building the function. */
void adj_vjp_info(const Func *f, VjpInfo *info);

#endif
