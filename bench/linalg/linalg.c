/* bench/linalg/linalg.c: solve and cholesky with their gradients at n = 64
 * and 512, the emitted code (ours) against hand-written C that calls LAPACK
 * and BLAS through OpenBLAS (hand-lapack) with the analytic adjoints:
 *   solve:    x = A^-1 b, L = w.x, gb = A^-T w, gA = -gb x^T
 *   cholesky: C = chol(A), L = sum(W C), with Cb = tril(W):
 *             P = Phi(C^T Cb) (the lower triangle, its diagonal halved),
 *             S = C^-T P C^-1, gA = (S + S^T) / 2   (PyTorch's convention)
 * usage: linalg PROBLEM N IMPL (PROBLEM solve or chol; IMPL ours or
 * hand-lapack). Prints one JSON line: the median time and the largest
 * difference of the gradient from the other implementation's, which it
 * computes once for that. */
#include "common.h"

#include <cblas.h>
#include <math.h>

#include "linalg_gen.h"

/* LAPACK (column-major): on a row-major array, dgetrf factors A^T, and
 * dpotrf with uplo 'U' gives the row-major lower factor. */
void dgetrf_(const int *m, const int *n, double *a, const int *lda, int *ipiv, int *info);
void dgetrs_(const char *trans, const int *n, const int *nrhs, const double *a, const int *lda, const int *ipiv,
             double *b, const int *ldb, int *info);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

typedef struct Case {
	int n;
	double *A, *b, *w, *W; /* inputs */
	double L, *gA, *gb;    /* results */
	double *lu, *x;        /* the hand version's scratch */
	int *piv;
	void *work; /* ours */
} Case;

static void fail(const char *what, int rc)
{
	fprintf(stderr, "%s returned %d\n", what, rc);
	exit(2);
}

static void ours_solve(void *p)
{
	Case *c = p;
	int rc = solve_grad_work(c->n, c->A, c->b, c->w, &c->L, c->gA, c->gb, c->work);
	if (rc)
		fail("solve_grad_work", rc);
}

static void ours_chol(void *p)
{
	Case *c = p;
	int rc = chol_grad_work(c->n, c->A, c->W, &c->L, c->gA, c->work);
	if (rc)
		fail("chol_grad_work", rc);
}

static void hand_solve(void *p)
{
	Case *c = p;
	int n = c->n, one = 1, info;
	memcpy(c->lu, c->A, (size_t)n * n * sizeof *c->lu);
	dgetrf_(&n, &n, c->lu, &n, c->piv, &info); /* A^T = P L U, column-major */
	if (info)
		fail("dgetrf", info);
	memcpy(c->x, c->b, (size_t)n * sizeof *c->x);
	dgetrs_("T", &n, &one, c->lu, &n, c->piv, c->x, &n, &info); /* (A^T)^T x = b */
	memcpy(c->gb, c->w, (size_t)n * sizeof *c->gb);
	dgetrs_("N", &n, &one, c->lu, &n, c->piv, c->gb, &n, &info); /* A^T gb = w */
	c->L = cblas_ddot(n, c->w, 1, c->x, 1);
	memset(c->gA, 0, (size_t)n * n * sizeof *c->gA);
	cblas_dger(CblasRowMajor, n, n, -1.0, c->gb, 1, c->x, 1, c->gA, n);
}

static void hand_chol(void *p)
{
	Case *c = p;
	int n = c->n, info;
	double *C = c->lu, *S = c->gA;
	memcpy(C, c->A, (size_t)n * n * sizeof *C);
	dpotrf_("U", &n, C, &n, &info);
	if (info)
		fail("dpotrf", info);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			C[i * n + j] = 0; /* the row-major lower factor */
	double L = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j <= i; j++)
			L += c->W[i * n + j] * C[i * n + j];
	c->L = L;
	/* S = C^T tril(W), then Phi, then C^-T S C^-1, then symmetrized */
	memcpy(S, c->W, (size_t)n * n * sizeof *S);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			S[i * n + j] = 0;
	cblas_dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, n, 1.0, C, n, S, n);
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++)
			S[i * n + j] = 0;
		S[i * n + i] *= 0.5;
	}
	cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, n, n, 1.0, C, n, S, n);
	cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, n, n, 1.0, C, n, S, n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++) {
			double s = 0.5 * (S[i * n + j] + S[j * n + i]);
			S[i * n + j] = S[j * n + i] = s;
		}
}

static uint64_t rng = 0x243f6a8885a308d3u;
static double uniform(void) /* in [-1, 1) */
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (double)(rng >> 11) / 4503599627370496.0 - 1.0;
}

static double *array(size_t n)
{
	double *p = malloc(n * sizeof *p);
	if (!p)
		fail("malloc", 0);
	return p;
}

/* A = M M^T / n + I (well conditioned, positive definite), b, w, W */
static void make_case(Case *c, int n)
{
	size_t nn = (size_t)n * n;
	double *M = array(nn);
	c->n = n;
	c->A = array(nn), c->b = array(n), c->w = array(n), c->W = array(nn);
	c->gA = array(nn), c->gb = array(n), c->lu = array(nn), c->x = array(n);
	c->piv = malloc((size_t)n * sizeof *c->piv);
	for (size_t k = 0; k < nn; k++)
		M[k] = uniform(), c->W[k] = uniform();
	for (int k = 0; k < n; k++)
		c->b[k] = uniform(), c->w[k] = uniform();
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0 / n, M, n, M, n, 0.0, c->A, n);
	for (int k = 0; k < n; k++)
		c->A[k * n + k] += 1.0;
	free(M);
	size_t ws = solve_grad_work_size(n), wc = chol_grad_work_size(n);
	c->work = malloc((ws > wc ? ws : wc) + 1);
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fprintf(stderr, "usage: linalg solve|chol N ours|hand-lapack\n"), 2;
	const char *prob = argv[1], *impl = argv[3];
	int n = atoi(argv[2]), solve = strcmp(prob, "solve") == 0, ours = strcmp(impl, "ours") == 0;
	Case c;
	make_case(&c, n);
	void (*fn)(void *) = solve ? (ours ? ours_solve : hand_solve) : (ours ? ours_chol : hand_chol);
	void (*other)(void *) = solve ? (ours ? hand_solve : ours_solve) : (ours ? hand_chol : ours_chol);
	size_t nn = (size_t)n * n;
	other(&c);
	double *ref = array(nn);
	memcpy(ref, c.gA, nn * sizeof *ref);
	double med, best;
	int reps;
	time_it(fn, &c, 2000, &med, &best, &reps);
	double diff = 0, scale = 0;
	for (size_t k = 0; k < nn; k++) {
		diff = fmax(diff, fabs(c.gA[k] - ref[k]));
		scale = fmax(scale, fabs(ref[k]));
	}
	printf("{\"problem\": \"%s%d\", \"impl\": \"%s\", \"ms\": %.6f, \"min_ms\": %.6f, \"reps\": %d, "
	       "\"grad_rel_diff\": %.3g}\n",
	       prob, n, impl, med, best, reps, diff / scale);
	return 0;
}
