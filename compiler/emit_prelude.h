/* emit_prelude.h: the start of every file ad-compile emits, turned into
 * strings at build time (compiler/emit_text.h) without this comment. Real
 * C, so it is compiled and tested as it is (tests/check_kernels.c).
 */
/* clang-format off */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Scratch buffers start on 64-byte boundaries. */
#define AD_ALIGN_(n, elem) (((size_t)(n) * (elem) + 63) & ~(size_t)63)
/* No dimension, and no buffer, has more than 2^48 elements. */
#define AD_MAX_DIM_ ((int64_t)1 << 48)

static inline int ad_numel_ok_(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > AD_MAX_DIM_)
            return 0;
        if (dims[i] != 0 && n > AD_MAX_DIM_ / dims[i])
            return 0;
        n *= dims[i];
    }
    return 1;
}

/* Built with -fopenmp-simd -DAD_SIMD (ad-compile --cflags), the loops are
 * vectorized, with the vector math of glibc's libmvec. */
#ifdef AD_SIMD
#define AD_PRAGMA_(x) _Pragma(#x)
#define AD_VEC_ _Pragma("omp simd")
#define AD_VEC_SUM_(acc) AD_PRAGMA_(omp simd reduction(+ : acc))
#define AD_VEC_PROD_(acc) AD_PRAGMA_(omp simd reduction(* : acc))
#define AD_VEC_SUM4_(a, b, c, d) AD_PRAGMA_(omp simd reduction(+ : a, b, c, d))
#if defined(__GLIBC__) && defined(__x86_64__) && !defined(__clang__)
#define AD_MVEC_(decl) AD_PRAGMA_(omp declare simd notinbranch) decl;
#endif
#else
#define AD_VEC_
#define AD_VEC_SUM_(acc)
#define AD_VEC_PROD_(acc)
#define AD_VEC_SUM4_(a, b, c, d)
#endif
