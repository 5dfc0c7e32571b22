/* emit_linalg.h: the linear-algebra kernels of emitted code, for f64; the
 * build makes the f32 ones by renaming (double to float, _f64_ to _f32_,
 * sqrt to sqrtf, fabs to fabsf) into compiler/emit_text.h, without this
 * comment. Emitted only into a program that factors or solves with
 * matrices of that dtype, after emit_gemm.h (whose ad_gemm_acc does the
 * blocked updates). Real C, compiled and tested as it is
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
            const double s = a[i * n + j] - ad_dot_f64_(j, li, lj);
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
    for (int64_t i = 0; x != b && i < n * k; i++)
        x[i] = b[i];
    for (int64_t s0 = 0; s0 < n; s0 += 64) { /* 64 rows of x at a time, in the order they are solved */
        const int64_t s1 = s0 + 64 < n ? s0 + 64 : n, i0 = fwd ? s0 : n - s1, i1 = fwd ? s1 : n - s0;
        /* minus op(t)[i0:i1, p0:p0 + np] x[p0:p0 + np], the rows solved before */
        const int64_t p0 = fwd ? 0 : i1, np = fwd ? i0 : n - i1;
        if (np > 0)
            ad_gemm_acc_f64_(trans, -1, i1 - i0, k, np, trans ? a + p0 * n + i0 : a + i0 * n + p0, n, x + p0 * k, k,
                             x + i0 * k, k);
        for (int64_t r = 0; r < i1 - i0; r++) { /* then the block's own triangle */
            const int64_t i = fwd ? i0 + r : i1 - 1 - r, q0 = fwd ? i0 : i + 1, q1 = fwd ? i : i1;
            double *xi = x + i * k;
            for (int64_t p = q0; p < q1; p++) {
                const double c = trans ? a[p * n + i] : a[i * n + p];
                const double *xp = x + p * k;
                AD_VEC_
                for (int64_t j = 0; j < k; j++)
                    xi[j] -= c * xp[j];
            }
            if (!unit) {
                const double d = a[i * n + i];
                AD_VEC_
                for (int64_t j = 0; j < k; j++)
                    xi[j] /= d;
            }
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
    for (int64_t j0 = 0; j0 < n; j0 += 64) { /* a panel of 64 columns, then the rest updated */
        const int64_t j1 = j0 + 64 < n ? j0 + 64 : n;
        for (int64_t j = j0; j < j1; j++) {
            const int64_t p = ad_pivot_f64_(n, lu, j);
            piv[j] = (int)(p < 0 ? j : p) + 1;
            if (p < 0)
                continue;
            const double *uj = lu + j * n;
            for (int64_t i = j + 1; i < n; i++) {
                double *ui = lu + i * n;
                const double m = ui[j] / uj[j];
                ui[j] = m;
                for (int64_t c = j + 1; c < j1; c++)
                    ui[c] -= m * uj[c];
            }
        }
        /* U's rows of the panel right of it: L11^-1 A12, then A22 -= L21 U12 */
        for (int64_t i = j0 + 1; i < j1; i++)
            for (int64_t p = j0; p < i; p++) {
                const double m = lu[i * n + p];
                AD_VEC_
                for (int64_t c = j1; c < n; c++)
                    lu[i * n + c] -= m * lu[p * n + c];
            }
        ad_gemm_acc_f64_(0, -1, n - j1, n - j1, j1 - j0, lu + j1 * n + j0, n, lu + j0 * n + j1, n, lu + j1 * n + j1, n);
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

/* det a from the factors ad_lu_f64_ left in lu: the product of U's
 * diagonal, negated for each row swap; exactly 0 for a singular a. */
static inline double ad_det_f64_(int64_t n, const double *lu)
{
    const int *piv = (const int *)(const void *)(lu + n * n);
    double d = 1;
    for (int64_t j = 0; j < n; j++)
        d *= piv[j] != j + 1 ? -lu[j * n + j] : lu[j * n + j];
    return d == 0 ? 0 : d; /* not -0 */
}

/* c = the cofactor matrix of the n x n matrix a, adj(a)^T = d det a / d a,
 * with lu ((n + 2) x n) as scratch. For an invertible a, det a a^-T from
 * ad_lu_f64_'s factors. For a singular one, LU with complete pivoting, P a
 * Q = L U, stops where the rest is zero, at rank r: below n - 1 the
 * cofactors are all 0; at n - 1, adj(U) = D w e_n^T, with D the product of
 * U's first n - 1 pivots and U w = 0, w_n = 1, so c = s D (P^T L^-T e_n)
 * (Q w)^T, s the sign of the permutations; at n (partial pivoting met an
 * exact zero that rounding hid from complete pivoting), det a a^-T from
 * these factors. */
static inline void ad_cofactor_f64_(int64_t n, const double *a, double *lu, double *c)
{
    ad_lu_f64_(n, a, lu);
    const double d = ad_det_f64_(n, lu);
    if (d != 0) {
        for (int64_t i = 0; i < n * n; i++)
            c[i] = i % (n + 1) == 0;
        ad_lusolve_f64_(1, n, n, lu, c, c);
        for (int64_t i = 0; i < n * n; i++)
            c[i] *= d;
        return;
    }
    int *rp = (int *)(void *)(lu + n * n), *cp = rp + n; /* the swaps of rows and of columns */
    for (int64_t i = 0; i < n * n; i++)
        lu[i] = a[i];
    int64_t r = 0;
    double s = 1;
    for (; r < n; r++) { /* the largest |lu[p, q]| of the rest as the pivot */
        int64_t p = r, q = r;
        for (int64_t i = r; i < n; i++)
            for (int64_t j = r; j < n; j++)
                if (fabs(lu[i * n + j]) > fabs(lu[p * n + q]))
                    p = i, q = j;
        if (lu[p * n + q] == 0)
            break;
        rp[r] = (int)p, cp[r] = (int)q;
        s = (p != r) != (q != r) ? -s : s;
        for (int64_t j = 0; p != r && j < n; j++) {
            const double t = lu[r * n + j];
            lu[r * n + j] = lu[p * n + j];
            lu[p * n + j] = t;
        }
        for (int64_t i = 0; q != r && i < n; i++) {
            const double t = lu[i * n + r];
            lu[i * n + r] = lu[i * n + q];
            lu[i * n + q] = t;
        }
        for (int64_t i = r + 1; i < n; i++) {
            const double m = lu[i * n + r] / lu[r * n + r];
            lu[i * n + r] = m;
            for (int64_t j = r + 1; j < n; j++)
                lu[i * n + j] -= m * lu[r * n + j];
        }
    }
    for (int64_t i = 0; i < n * n; i++)
        c[i] = 0;
    if (r == n) { /* not singular after all, by this pivoting: c = det a a^-T = d P^T L^-T U^-T Q^T */
        for (int64_t i = 0; i < n; i++)
            c[i * n + i] = 1;
        for (int64_t i = 0; i < n; i++) /* Q^T: the first swap first */
            for (int64_t j = 0, p = cp[i]; p != i && j < n; j++) {
                const double t = c[i * n + j];
                c[i * n + j] = c[p * n + j];
                c[p * n + j] = t;
            }
        ad_trsm_f64_(0, 1, 0, n, n, lu, c, c);
        ad_trsm_f64_(1, 1, 1, n, n, lu, c, c);
        for (int64_t i = n - 1; i >= 0; i--) /* P^T: the last swap first */
            for (int64_t j = 0, p = rp[i]; p != i && j < n; j++) {
                const double t = c[i * n + j];
                c[i * n + j] = c[p * n + j];
                c[p * n + j] = t;
            }
        double det = s;
        for (int64_t i = 0; i < n; i++)
            det *= lu[i * n + i];
        for (int64_t i = 0; i < n * n; i++)
            c[i] *= det;
        return;
    }
    if (r < n - 1)
        return;
    /* y = L^-T e_n into c's first row (n = 1 is r = 0: c = 1, the empty
     * product) */
    double *y = c, D = s;
    for (int64_t i = 0; i < n - 1; i++)
        D *= lu[i * n + i];
    y[n - 1] = 1;
    for (int64_t i = n - 2; i >= 0; i--) { /* L^T is unit upper triangular */
        double t = 0;
        for (int64_t j = i + 1; j < n; j++)
            t -= lu[j * n + i] * y[j];
        y[i] = t;
    }
    for (int64_t i = n - 2; i >= 0; i--) /* y = P^T y: the last swap first */
        if (rp[i] != i) {
            const double t = y[i];
            y[i] = y[rp[i]];
            y[rp[i]] = t;
        }
    double *z = lu + (n - 1) * n; /* U w = 0 with w_n = 1, into lu's last row (U's, all zero) */
    z[n - 1] = 1;
    for (int64_t i = n - 2; i >= 0; i--) {
        double t = -lu[i * n + n - 1];
        for (int64_t j = i + 1; j < n - 1; j++)
            t -= lu[i * n + j] * z[j];
        z[i] = t / lu[i * n + i];
    }
    for (int64_t i = n - 2; i >= 0; i--) /* Q w: the last swap first */
        if (cp[i] != i) {
            const double t = z[i];
            z[i] = z[cp[i]];
            z[cp[i]] = t;
        }
    for (int64_t i = n - 1; i >= 0; i--) { /* c = D y z^T, the first row (y's) last */
        const double yi = y[i] * D;
        for (int64_t j = 0; j < n; j++)
            c[i * n + j] = yi * z[j];
    }
}
