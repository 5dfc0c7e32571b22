/* emit_par.h: what the code ad-compile --threads emits needs besides the
 * prelude, after it (without this comment). Real C, compiled and tested as
 * it is (tests/check_kernels.c).
 */
/* clang-format off */

/* Built with -fopenmp (ad-compile --cflags --threads), a kernel over at
 * least AD_PAR_MIN_ elements runs on every core (OMP_NUM_THREADS, or
 * omp_set_num_threads, says how many); without it, on one. A sum over the
 * whole of an operand goes in chunks of a length that depends only on the
 * shapes (at most AD_NCHUNK_ of them, each of AD_CHUNK_ elements or more),
 * whose sums are added in order: the same bits on any number of threads. */
#ifndef AD_PAR_MIN_
#define AD_PAR_MIN_ 32768
#endif
#ifndef AD_CHUNK_
#define AD_CHUNK_ 4096
#endif
#define AD_NCHUNK_ 256
/* A loop that is both the one on the threads and the vectorized one goes in
 * blocks of AD_BLOCK_ elements (the same vectors on any number of threads) */
#ifndef AD_BLOCK_
#define AD_BLOCK_ 4096
#endif
#ifdef _OPENMP
#include <omp.h>
#define AD_OMP_(x) _Pragma(#x)
#define AD_PAR_FOR_(n) AD_OMP_(omp parallel for schedule(static) if ((n) >= AD_PAR_MIN_))
#else
#define AD_PAR_FOR_(n)
#endif

/* The length of a chunk of an axis of len elements, each holding inner
 * elements of the operand: at most AD_NCHUNK_ chunks, none shorter than
 * AD_CHUNK_ elements (unless it is the whole axis). */
static inline int64_t ad_chunk_len_(int64_t len, int64_t inner)
{
    const int64_t per = (len + AD_NCHUNK_ - 1) / AD_NCHUNK_;
    const int64_t least = inner > 0 ? (AD_CHUNK_ + inner - 1) / inner : 1;
    return per > least ? per : least > 0 ? least : 1;
}
