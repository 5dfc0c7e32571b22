/* emit_linalg.h: the linear-algebra kernels of emitted code, for f64; the
 * build makes the f32 ones by renaming (double to float, _f64_ to _f32_,
 * sqrt to sqrtf, fabs to fabsf) into compiler/emit_text.h, without this
 * comment. Emitted only into a program that factors or solves with
 * matrices of that dtype. Real C, compiled and tested as it is
 * (tests/check_kernels.c). Matrices are row-major and contiguous.
 */
/* clang-format off */

#ifdef AD_BLAS
/* With -DAD_BLAS the factorizations are LAPACK's (OpenBLAS: blocked and
 * vectorized). LAPACK is column-major and sees a row-major matrix as its
 * transpose; it takes int sizes, so larger (and empty) matrices stay on the
 * built-in loops below. */
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
static inline int ad_lapack_fits_f64_(int64_t n, int64_t k)
{
    return n > 0 && k > 0 && n <= INT_MAX && k <= INT_MAX;
}
#endif

/* The Cholesky factor l of the n x n matrix a, read in its lower triangle:
 * l is lower triangular (zeros above the diagonal) and l l^T = a. Returns
 * 0, or 1 when a is not positive definite (a pivot not > 0, NaN included). */
static inline int ad_chol_f64_(int64_t n, const double *a, double *l)
{
#ifdef AD_BLAS
    if (ad_lapack_fits_f64_(n, 1)) { /* the row-major lower triangle is LAPACK's upper one */
        int m = (int)n, info = 0;
        for (int64_t i = 0; i < n * n; i++)
            l[i] = a[i];
        dpotrf_("U", &m, l, &m, &info);
        for (int64_t i = 0; i < n; i++) {
            if (info != 0 || !(l[i * n + i] > 0)) /* a NaN pivot too, as below */
                return 1;
            for (int64_t j = i + 1; j < n; j++)
                l[i * n + j] = 0;
        }
        return 0;
    }
#endif
    for (int64_t i = 0; i < n; i++) {
        double *li = l + i * n;
        for (int64_t j = 0; j <= i; j++) {
            const double *lj = l + j * n;
            double s = a[i * n + j];
            for (int64_t p = 0; p < j; p++)
                s -= li[p] * lj[p];
            if (j < i) {
                li[j] = s / lj[j];
            } else {
                if (!(s > 0))
                    return 1;
                li[i] = sqrt(s);
            }
        }
        for (int64_t j = i + 1; j < n; j++)
            li[j] = 0;
    }
    return 0;
}

/* x = op(t)^-1 b, where t is the lower (lower != 0) or upper triangle of the
 * n x n matrix a, with ones on its diagonal when unit, and op(t) is t or,
 * when trans, its transpose; b and x are n x k, and x may be b. Only that
 * triangle of a is read (not its diagonal when unit); a zero on the
 * diagonal gives infinities, as LAPACK's dtrsm. */
static inline void ad_trsm_f64_(int lower, int trans, int unit, int64_t n, int64_t k, const double *a,
                                const double *b, double *x)
{
#ifdef AD_BLAS
    if (ad_lapack_fits_f64_(n, k)) {
        for (int64_t i = 0; x != b && i < n * k; i++)
            x[i] = b[i];
        cblas_dtrsm(CblasRowMajor, CblasLeft, lower ? CblasLower : CblasUpper, trans ? CblasTrans : CblasNoTrans,
                    unit ? CblasUnit : CblasNonUnit, (int)n, (int)k, 1, a, (int)n, x, (int)k);
        return;
    }
#endif
    const int fwd = (lower != 0) != (trans != 0); /* op(t) is lower triangular */
    for (int64_t s = 0; s < n; s++) {
        const int64_t i = fwd ? s : n - 1 - s;
        double *xi = x + i * k;
        for (int64_t j = 0; j < k; j++)
            xi[j] = b[i * k + j];
        const int64_t p0 = fwd ? 0 : i + 1, p1 = fwd ? i : n;
        for (int64_t p = p0; p < p1; p++) {
            const double c = trans ? a[p * n + i] : a[i * n + p];
            const double *xp = x + p * k;
            for (int64_t j = 0; j < k; j++)
                xi[j] -= c * xp[j];
        }
        if (!unit) {
            const double d = a[i * n + i];
            for (int64_t j = 0; j < k; j++)
                xi[j] /= d;
        }
    }
}

/* Partial pivoting at column j of the n x n matrix lu: the row p >= j with
 * the largest |lu[p, j]| (the first of equals) swapped with row j; p, or -1
 * when the column is zero there (the matrix is singular). */
static inline int64_t ad_pivot_f64_(int64_t n, double *lu, int64_t j)
{
    int64_t p = j;
    double best = fabs(lu[j * n + j]);
    for (int64_t i = j + 1; i < n; i++)
        if (fabs(lu[i * n + j]) > best) {
            best = fabs(lu[i * n + j]);
            p = i;
        }
    if (best == 0)
        return -1;
    for (int64_t c = 0; p != j && c < n; c++) {
        const double t = lu[j * n + c];
        lu[j * n + c] = lu[p * n + c];
        lu[p * n + c] = t;
    }
    return p;
}

/* The LU factors of the n x n matrix a with partial pivoting, in lu ((n +
 * 1) x n): P a = L U, L (unit lower triangular) below the diagonal and U
 * on and above it, and after them the pivots, row j swapped with row
 * piv[j] - 1 at step j. A column that is zero from the diagonal down is
 * left as it is (no swap, no elimination: a zero on U's diagonal), so the
 * factors of a singular matrix are complete too. With -DAD_BLAS they are
 * LAPACK's dgetrf's of the transpose instead (lu's row-major lower
 * triangle holding U^T, its strict upper one L^T, for a^T = P L U). */
static inline void ad_lu_f64_(int64_t n, const double *a, double *lu)
{
    int *piv = (int *)(void *)(lu + n * n);
    for (int64_t i = 0; i < n * n; i++)
        lu[i] = a[i];
#ifdef AD_BLAS
    if (ad_lapack_fits_f64_(n, 1)) {
        int m = (int)n, info = 0;
        dgetrf_(&m, &m, lu, &m, piv, &info);
        return;
    }
#endif
    for (int64_t j = 0; j < n; j++) {
        const int64_t p = ad_pivot_f64_(n, lu, j);
        piv[j] = (int)(p < 0 ? j : p) + 1;
        if (p < 0)
            continue;
        const double *uj = lu + j * n;
        for (int64_t i = j + 1; i < n; i++) {
            double *ui = lu + i * n;
            const double m = ui[j] / uj[j];
            ui[j] = m;
            for (int64_t c = j + 1; c < n; c++)
                ui[c] -= m * uj[c];
        }
    }
}

/* Does ad_lu_f64_ store the factors of the transpose (LAPACK's)? */
static inline int ad_lu_transposed_f64_(int64_t n)
{
#ifdef AD_BLAS
    return ad_lapack_fits_f64_(n, 1);
#else
    (void)n;
    return 0;
#endif
}

/* x = op(a)^-1 b from the factors ad_lu_f64_ left in lu, op(a) being a or,
 * when trans, its transpose; b and x are n x k, and x may be b. Returns 0,
 * or 1 when U has a zero on its diagonal (a is singular; x untouched). */
static inline int ad_lusolve_f64_(int trans, int64_t n, int64_t k, const double *lu, const double *b, double *x)
{
    const int *piv = (const int *)(const void *)(lu + n * n), s = ad_lu_transposed_f64_(n);
    for (int64_t i = 0; i < n; i++)
        if (lu[i * n + i] == 0)
            return 1;
    for (int64_t i = 0; x != b && i < n * k; i++)
        x[i] = b[i];
    /* the factors are of m = a, or of m = a^T when s: P m = L U, L and U
     * stored transposed when s */
    if ((trans != 0) == s) { /* op(a) = m: x = U^-1 L^-1 P b */
        for (int64_t i = 0; i < n; i++)
            for (int64_t c = 0, p = piv[i] - 1; p != i && c < k; c++) {
                const double t = x[i * k + c];
                x[i * k + c] = x[p * k + c];
                x[p * k + c] = t;
            }
        ad_trsm_f64_(!s, s, 1, n, k, lu, x, x);
        ad_trsm_f64_(s, s, 0, n, k, lu, x, x);
    } else { /* op(a) = m^T = U^T L^T P: x = P^T L^-T U^-T b */
        ad_trsm_f64_(s, !s, 0, n, k, lu, x, x);
        ad_trsm_f64_(!s, !s, 1, n, k, lu, x, x);
        for (int64_t i = n - 1; i >= 0; i--)
            for (int64_t c = 0, p = piv[i] - 1; p != i && c < k; c++) {
                const double t = x[i * k + c];
                x[i * k + c] = x[p * k + c];
                x[p * k + c] = t;
            }
    }
    return 0;
}

/* log |det a| from the factors ad_lu_f64_ left in lu, and in *sign the
 * sign of det a: for a singular a, 0 and -inf. */
static inline double ad_slogdet_f64_(int64_t n, const double *lu, double *sign)
{
    const int *piv = (const int *)(const void *)(lu + n * n);
    double s = 1, l = 0;
    for (int64_t j = 0; j < n; j++) {
        const double d = lu[j * n + j];
        if (d == 0) {
            *sign = 0;
            return -INFINITY;
        }
        s = (piv[j] != j + 1) != (d < 0) ? -s : s;
        l += log(fabs(d));
    }
    *sign = s;
    return l;
}
