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

/* the LU factors of the row-major a in lu, as dgetrf leaves them for a^T:
 * a^T = P L U, lu's row-major lower triangle holding U^T and its strict
 * upper one L^T, the pivots after n x n elements; 0, or 1 for a zero pivot */
static inline int ad_getrf_f64_(int64_t n, const double *a, double *lu, int **piv)
{
    int m = (int)n, info = 0;
    for (int64_t i = 0; i < n * n; i++)
        lu[i] = a[i];
    *piv = (int *)(void *)(lu + n * n);
    dgetrf_(&m, &m, lu, &m, *piv, &info);
    return info != 0;
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

/* log |det a| of the n x n matrix a, by LU with partial pivoting in lu ((n
 * + 1) x n, overwritten: the factors, then LAPACK's pivots), and in *sign
 * the sign of det a: for a singular a, 0 and -inf. */
static inline double ad_slogdet_f64_(int64_t n, const double *a, double *lu, double *sign)
{
    double s = 1, l = 0;
#ifdef AD_BLAS
    if (ad_lapack_fits_f64_(n, 1)) {
        int *piv;
        if (ad_getrf_f64_(n, a, lu, &piv)) {
            *sign = 0;
            return -INFINITY;
        }
        for (int64_t j = 0; j < n; j++) {
            const double d = lu[j * n + j];
            s = (piv[j] != j + 1) != (d < 0) ? -s : s;
            l += log(fabs(d));
        }
        *sign = s;
        return l;
    }
#endif
    for (int64_t i = 0; i < n * n; i++)
        lu[i] = a[i];
    for (int64_t j = 0; j < n; j++) {
        const int64_t p = ad_pivot_f64_(n, lu, j);
        if (p < 0) {
            *sign = 0;
            return -INFINITY;
        }
        s = p != j ? -s : s;
        const double *uj = lu + j * n;
        s = uj[j] < 0 ? -s : s;
        l += log(fabs(uj[j]));
        for (int64_t i = j + 1; i < n; i++) {
            double *ui = lu + i * n;
            const double m = ui[j] / uj[j];
            for (int64_t c = j + 1; c < n; c++)
                ui[c] -= m * uj[c];
        }
    }
    *sign = s;
    return l;
}

/* x = a^-1 b for the n x n matrix a by LU with partial pivoting, in lu ((n
 * + 1) x n, overwritten by the factors, then LAPACK's pivots); b and x are n
 * x k, and x may be b. Returns 0, or 1 when a pivot is zero (a is
 * singular). */
static inline int ad_lusolve_f64_(int64_t n, int64_t k, const double *a, double *lu, const double *b, double *x)
{
#ifdef AD_BLAS
    if (ad_lapack_fits_f64_(n, k)) {
        int *piv;
        if (ad_getrf_f64_(n, a, lu, &piv))
            return 1;
        /* a = U^T L^T P^T, so x = P L^-T U^-T b */
        for (int64_t i = 0; x != b && i < n * k; i++)
            x[i] = b[i];
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n, (int)k, 1, lu,
                    (int)n, x, (int)k);
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasUnit, (int)n, (int)k, 1, lu, (int)n,
                    x, (int)k);
        for (int64_t i = n - 1; i >= 0; i--) /* P = P_1 P_2 ... P_n, the last swap first */
            for (int64_t c = 0, p = piv[i] - 1; p != i && c < k; c++) {
                const double t = x[i * k + c];
                x[i * k + c] = x[p * k + c];
                x[p * k + c] = t;
            }
        return 0;
    }
#endif
    for (int64_t i = 0; i < n * n; i++)
        lu[i] = a[i];
    for (int64_t i = 0; i < n * k; i++)
        x[i] = b[i];
    for (int64_t j = 0; j < n; j++) {
        const int64_t p = ad_pivot_f64_(n, lu, j);
        if (p < 0)
            return 1;
        if (p != j) {
            for (int64_t c = 0; c < k; c++) {
                const double t = x[j * k + c];
                x[j * k + c] = x[p * k + c];
                x[p * k + c] = t;
            }
        }
        const double *uj = lu + j * n, *xj = x + j * k;
        for (int64_t i = j + 1; i < n; i++) {
            double *ui = lu + i * n, *xi = x + i * k;
            const double m = ui[j] / uj[j];
            ui[j] = m;
            for (int64_t c = j + 1; c < n; c++)
                ui[c] -= m * uj[c];
            for (int64_t c = 0; c < k; c++)
                xi[c] -= m * xj[c];
        }
    }
    for (int64_t i = n - 1; i >= 0; i--) {
        double *xi = x + i * k;
        for (int64_t p = i + 1; p < n; p++) {
            const double c = lu[i * n + p];
            const double *xp = x + p * k;
            for (int64_t j = 0; j < k; j++)
                xi[j] -= c * xp[j];
        }
        const double d = lu[i * n + i];
        for (int64_t j = 0; j < k; j++)
            xi[j] /= d;
    }
    return 0;
}
