/* emit_gemm.h: the matrix-product kernels of emitted code, for f64; the
 * build makes the f32 ones by renaming (double to float, _f64_ to _f32_,
 * cblas_d to cblas_s) into compiler/emit_text.h, without this comment.
 * Emitted only into a program that multiplies matrices of that dtype, after
 * emit_blas.h. Real C, compiled and tested as it is (tests/check_kernels.c).
 */
/* clang-format off */

/* A dot product with 16 independent partial sums, which vectorizes
 * without reassociating the sum (no -ffast-math needed). */
static inline double ad_dot_f64_(int64_t k, const double *a, const double *b)
{
    double acc[16] = {0}, s = 0;
    const int64_t k16 = k - k % 16;
    for (int64_t p = 0; p < k16; p += 16)
        for (int q = 0; q < 16; q++)
            acc[q] += a[p + q] * b[p + q];
    for (int64_t p = k16; p < k; p++)
        s += a[p] * b[p];
    for (int q = 0; q < 16; q++)
        s += acc[q];
    return s;
}

/* x y + z, fused where the target has FMA (the compiler contracts nothing
 * itself in ISO C mode, -std=c99) */
static inline double ad_fma_f64_(double x, double y, double z)
{
#ifdef __FMA__
    return fma(x, y, z);
#else
    return x * y + z;
#endif
}

/* c += s op(a) b, s = 1 or -1, for blocks of larger matrices: op(a) is m
 * x k, b k x n, c m x n, row-major with leading dimensions lda, ldb, ldc;
 * a is stored k x m when ta. Eight rows of c by sixteen columns at a time
 * in registers (the fastest tile measured here: 19 GFLOP/s at n = 512 in
 * f64, AVX-512 with 256-bit vectors, against 3.4 for four rows of four
 * unrolled arrays), each row of b's block read once per eight rows of c:
 * the products and the updates of the blocked factorizations and solves
 * (emit_linalg.h). */
static inline void ad_gemm_acc_f64_(int ta, double s, int64_t m, int64_t n, int64_t k, const double *a, int64_t lda,
                                    const double *b, int64_t ldb, double *c, int64_t ldc)
{
    const int64_t m8 = m - m % 8, n16 = n - n % 16;
    for (int64_t j = 0; j < n16; j += 16) /* b's k x 16 block stays in cache for all the rows */
        for (int64_t i = 0; i < m8; i += 8) {
            double acc[8][16] = {{0}};
            for (int64_t p = 0; p < k; p++) {
                const double *bp = b + p * ldb + j;
                double ar[8];
                for (int r = 0; r < 8; r++)
                    ar[r] = ta ? a[p * lda + i + r] : a[(i + r) * lda + p];
                for (int r = 0; r < 8; r++) {
                    AD_VEC_
                    for (int q = 0; q < 16; q++)
                        acc[r][q] = ad_fma_f64_(ar[r], bp[q], acc[r][q]);
                }
            }
            for (int r = 0; r < 8; r++) {
                AD_VEC_
                for (int q = 0; q < 16; q++)
                    c[(i + r) * ldc + j + q] += s * acc[r][q];
            }
        }
    for (int64_t i = 0; i < m; i++) { /* the last columns, and all of the last rows */
        const int64_t q0 = i < m8 ? n16 : 0;
        for (int64_t p = 0; q0 < n && p < k; p++) {
            const double ap = s * (ta ? a[p * lda + i] : a[i * lda + p]);
            AD_VEC_
            for (int64_t q = q0; q < n; q++)
                c[i * ldc + q] += ap * b[p * ldb + q];
        }
    }
}

/* Rows [i0, i1) of c = op(a) op(b): op(a) is m x k, op(b) is k x n, all
 * row-major and contiguous; a is stored k x m when ta, b n x k when tb.
 * Each element of c is summed in the same order whatever the range, and a
 * row is in a tile of eight or in the tail as it is for the whole product
 * when i0 and i1 are multiples of 8 (or i1 = m): so a product split into
 * such ranges (on several threads) is the whole product bit for bit. */
static inline void ad_gemm_rows_f64_(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, const double *b,
                                     double *c, int64_t i0, int64_t i1)
{
    const int64_t mr = i1 - i0;
    const double *ar = ta ? a + i0 : a + i0 * k; /* op(a)'s row i0 */
    double *cr = c + i0 * n;
    if (n > 1 && n <= 16 && (k < 64 || !tb)) {
        /* narrow products (x @ Q.T with a 10 x 10 Q): op(b) copied 256 rows
         * at a time into rows of 16 padded with zeros, so that a row of c
         * is two vectors in registers for the whole block */
        double bp[256 * 16];
        for (int64_t i = 0; i < mr * n; i++)
            cr[i] = 0;
        for (int64_t p0 = 0; p0 < k; p0 += 256) {
            const int64_t kc = k - p0 < 256 ? k - p0 : 256;
            for (int64_t p = 0; p < kc; p++)
                for (int64_t q = 0; q < 16; q++)
                    bp[p * 16 + q] = q < n ? (tb ? b[q * k + p0 + p] : b[(p0 + p) * n + q]) : 0;
            for (int64_t i = i0; i < i1; i++) {
                double acc[16] = {0};
                for (int64_t p = 0; p < kc; p++) {
                    const double ap = ta ? a[(p0 + p) * m + i] : a[i * k + p0 + p];
                    AD_VEC_
                    for (int q = 0; q < 16; q++)
                        acc[q] = ad_fma_f64_(ap, bp[p * 16 + q], acc[q]);
                }
                for (int64_t q = 0; q < n; q++)
                    c[i * n + q] += acc[q];
            }
        }
        return;
    }
    if (tb && n >= 16) { /* b^T in 64 x 64 blocks transposed on the stack, for the tiles */
        double bt[64 * 64];
        for (int64_t i = 0; i < mr * n; i++)
            cr[i] = 0;
        for (int64_t j0 = 0; j0 < n; j0 += 64)
            for (int64_t p0 = 0; p0 < k; p0 += 64) {
                const int64_t nc = n - j0 < 64 ? n - j0 : 64, kc = k - p0 < 64 ? k - p0 : 64;
                for (int64_t p = 0; p < kc; p++)
                    for (int64_t j = 0; j < nc; j++)
                        bt[p * nc + j] = b[(j0 + j) * k + p0 + p];
                ad_gemm_acc_f64_(ta, 1, mr, nc, kc, ta ? ar + p0 * m : ar + p0, ta ? m : k, bt, nc, cr + j0, n);
            }
        return;
    }
    if (!ta && (tb || n == 1)) { /* rows of A times rows of B (or the vector b): dot products */
        for (int64_t i = i0; i < i1; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * n + j] = ad_dot_f64_(k, a + i * k, b + j * k);
        return;
    }
    for (int64_t i = 0; i < mr * n; i++)
        cr[i] = 0;
    if (ta && n == 1) { /* the transpose of A times b: c += a[p, :] * b[p], four rows of A at a time */
        int64_t p = 0;
        for (; p + 4 <= k; p += 4) {
            const double *a0 = a + p * m, *a1 = a0 + m, *a2 = a1 + m, *a3 = a2 + m;
            const double b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];
            AD_VEC_
            for (int64_t i = i0; i < i1; i++)
                c[i] += a0[i] * b0 + a1[i] * b1 + a2[i] * b2 + a3[i] * b3;
        }
        for (; p < k; p++) {
            const double *ap = a + p * m, bp = b[p];
            AD_VEC_
            for (int64_t i = i0; i < i1; i++)
                c[i] += ap[i] * bp;
        }
        return;
    }
    if (!tb) { /* register tiles, blocks of 256 rows of b that stay in cache */
        for (int64_t p0 = 0; p0 < k; p0 += 256)
            ad_gemm_acc_f64_(ta, 1, mr, n, k - p0 < 256 ? k - p0 : 256, ta ? ar + p0 * m : ar + p0, ta ? m : k,
                             b + p0 * n, n, cr, n);
        return;
    }
    /* c[i, :] += op(a)[i, p] * b^T[p, :], in blocks of p that stay in cache */
    for (int64_t p0 = 0; p0 < k; p0 += 256) {
        int64_t p1 = p0 + 256 < k ? p0 + 256 : k;
        for (int64_t i = i0; i < i1; i++)
            for (int64_t p = p0; p < p1; p++) {
                const double aip = ta ? a[p * m + i] : a[i * k + p];
                double *ci = c + i * n;
                for (int64_t j = 0; j < n; j++)
                    ci[j] += aip * b[j * k + p];
            }
    }
}

/* c = op(a) op(b): op(a) is m x k, op(b) is k x n, all row-major and
 * contiguous; a is stored k x m when ta, b n x k when tb. */
static inline void ad_gemm_f64_(int ta, int tb, int64_t m, int64_t n, int64_t k, const double *a, const double *b, double *c)
{
#ifdef AD_BLAS
    if (m <= INT_MAX && n <= INT_MAX && k <= INT_MAX) {
        if (n == 1) /* a matrix times a vector */
            cblas_dgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? (int)k : (int)m, ta ? (int)m : (int)k, 1, a,
                        ta ? (int)m : (int)k, b, 1, 0, c, 1);
        else if (m == 1)
            cblas_dgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? (int)n : (int)k, tb ? (int)k : (int)n, 1, b,
                        tb ? (int)k : (int)n, a, 1, 0, c, 1);
        else
            cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                        (int)k, 1, a, ta ? (int)m : (int)k, b, tb ? (int)k : (int)n, 0, c, (int)n);
        return;
    }
#endif
    ad_gemm_rows_f64_(ta, tb, m, n, k, a, b, c, 0, m);
}
