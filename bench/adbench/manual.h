/* Hand-written ("Manual") objectives and reverse-mode gradients for the ADBench GMM and D-LSTM problems, the speed
 * baseline against which the code ad-compile emits is measured. The definitions are those of
 * shared/adbench/README.md; arrays of doubles are row-major, laid out as in the README's file formats.
 *
 * None of the functions allocates: each takes a scratch buffer of at least the size the matching *_work_size
 * function returns, which the caller allocates once (any alignment suitable for double) and may reuse across calls.
 * Its contents on entry do not matter and are garbage on return. */
#ifndef ADBENCH_MANUAL_H
#define ADBENCH_MANUAL_H

#include <stddef.h>

/* GMM: d dimensions, k components, n points. */
size_t manual_gmm_work_size(int d, int k, int n);

/* The README's GMM objective f, constant terms included. alpha: k; means: k x d; icf: k x d(d+1)/2 (per component
 * the d log-diagonal entries q, then the strictly lower triangle of Q column by column); x: n x d. */
double manual_gmm_objective(int d, int k, int n, const double *alpha, const double *means, const double *icf,
                            const double *x, double gamma, int m, void *work);

/* Returns f and writes its gradient, flattened as [alpha (k), means (k*d), icf (k*d(d+1)/2)], to grad. */
double manual_gmm_gradient(int d, int k, int n, const double *alpha, const double *means, const double *icf,
                           const double *x, double gamma, int m, double *grad, void *work);

/* LSTM: l layers, c sequence length, b hidden size. */
size_t manual_lstm_work_size(int l, int c, int b);

/* The README's LSTM loss. main_params: 2l x 4b; extra: 3 x b; state: 2l x b (initial h and c, not modified);
 * seq: c x b. */
double manual_lstm_objective(int l, int c, int b, const double *main_params, const double *extra, const double *state,
                             const double *seq, void *work);

/* Returns the loss and writes its gradient [main_params (8lb), extra (3b)] to grad: the forward pass records a tape
 * in work, then one reverse sweep accumulates the adjoints. */
double manual_lstm_gradient(int l, int c, int b, const double *main_params, const double *extra, const double *state,
                            const double *seq, double *grad, void *work);

#endif
