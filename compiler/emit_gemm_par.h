/* emit_gemm_par.h: the matrix product on several threads, for f64 (the
 * build makes the f32 one by renaming), emitted after emit_gemm.h into the
 * code of ad-compile --threads that multiplies matrices (without this
 * comment). Real C, compiled and tested as it is (tests/check_kernels.c).
 */
/* clang-format off */

/* c = op(a) op(b) as ad_gemm_f64_, its rows split among the threads in
 * ranges of multiples of 8 (ad_gemm_rows_f64_): the same bits as on one
 * thread. Products of fewer than 32 AD_PAR_MIN_ multiply-adds stay on one. */
static inline void ad_gemm_par_f64_(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, const double *b,
                                    double *c)
{
#if defined(_OPENMP) && !defined(AD_BLAS)
    const int64_t blocks = (m + 7) / 8;
    if (blocks > 1 && (double)m * (double)n * (double)k >= 32.0 * AD_PAR_MIN_) {
        /* a few ranges a thread, each as long as it can be */
        const int64_t ranges = 4 * (int64_t)omp_get_max_threads();
        const int64_t per = 8 * ((blocks + ranges - 1) / ranges), nr = (m + per - 1) / per;
        AD_OMP_(omp parallel for schedule(static))
        for (int64_t r = 0; r < nr; r++)
            ad_gemm_rows_f64_(ta, tb, m, n, k, a, b, c, r * per, r * per + per < m ? r * per + per : m);
        return;
    }
#endif
    ad_gemm_f64_(ta, tb, m, n, k, a, b, c);
}
