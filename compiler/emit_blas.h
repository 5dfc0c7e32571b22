/* emit_blas.h: what the matrix-product kernels (emit_gemm.h) need with
 * -DAD_BLAS, emitted once before them; without this comment.
 */
/* clang-format off */

/* Matrix products through BLAS with -DAD_BLAS (ad-compile --cflags --blas,
 * linking --libs --blas); else built-in blocked loops. */
#ifdef AD_BLAS
#include <cblas.h>
#include <limits.h>
#endif
