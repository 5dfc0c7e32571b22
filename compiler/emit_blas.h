/* emit_blas.h: what the matrix-product and linear-algebra kernels
 * (emit_gemm.h, emit_linalg.h) need with -DAD_BLAS, emitted once before
 * them; without this comment.
 */
/* clang-format off */

/* Matrix products through BLAS and factorizations through LAPACK with
 * -DAD_BLAS (ad-compile --cflags --blas, linking --libs --blas); else
 * built-in loops. */
#ifdef AD_BLAS
#include <cblas.h>
#include <limits.h>
#endif
