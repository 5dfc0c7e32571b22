/* samples/ba_fit.c: a small bundle adjustment solved by Levenberg-Marquardt.
 * Three cameras see ten points (30 observations, by index arrays); the
 * pixels are the projections of a true scene, and the fit starts from a
 * perturbed one. ba.ad gives the residuals and, per observation, the 2x6
 * Jacobian block of its camera and the 2x3 block of its point (jacobian
 * with batch_axis=0); each step assembles the normal equations
 * (J^T J + lambda diag(J^T J)) dx = -J^T r from those blocks and solves
 * them by Cholesky. Camera 0 is held fixed (it removes most of the gauge
 * freedom; the damping takes care of the scale).
 *
 *   ad-compile ba.ad -o ba_gen.c
 *   cc $(ad-compile --cflags) ba_fit.c ba_gen.c -o ba_fit $(ad-compile --libs)
 *
 * First checks the blocks against central differences, then prints the
 * squared reprojection error after each step; exits with status 1 if a
 * block is off by more than 1e-6 or the error does not fall below 1e-16
 * in 50 steps. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ba_gen.h"

enum { C = 3, P = 10, M = C * P, N = C * 6 + P * 3 };

static double Jc[M * 12], Jp[M * 6], r[M * 2];

static int eval(const double *x, const int64_t *cam, const int64_t *pt, const double *obs, double focal, double *err)
{
	return residuals(C, P, M, x, x + C * 6, cam, pt, obs, &focal, r, Jc, Jp, err);
}

/* Solves A x = b (A symmetric positive definite, n x n) in place by
 * Cholesky; false if A is not positive definite. */
static int cholesky_solve(double *A, double *b, int n)
{
	for (int j = 0; j < n; j++) {
		double d = A[j * n + j];
		for (int k = 0; k < j; k++)
			d -= A[j * n + k] * A[j * n + k];
		if (!(d > 0))
			return 0;
		A[j * n + j] = sqrt(d);
		for (int i = j + 1; i < n; i++) {
			double s = A[i * n + j];
			for (int k = 0; k < j; k++)
				s -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = s / A[j * n + j];
		}
	}
	for (int i = 0; i < n; i++) { /* L y = b */
		for (int k = 0; k < i; k++)
			b[i] -= A[i * n + k] * b[k];
		b[i] /= A[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
		for (int k = i + 1; k < n; k++)
			b[i] -= A[k * n + i] * b[k];
		b[i] /= A[i * n + i];
	}
	return 1;
}

int main(void)
{
	double truth[N], x[N], obs[M * 2], focal = 500.0, err;
	int64_t cam[M], pt[M];
	/* the true scene: cameras a little turned, points in front of them */
	for (int c = 0; c < C; c++) {
		double *q = truth + c * 6;
		q[0] = 0.05 + 0.04 * c, q[1] = -0.1 + 0.08 * c, q[2] = 0.02 * (c + 1);
		q[3] = 0.3 * c - 0.3, q[4] = 0.1 * c, q[5] = 5.0 + 0.2 * c;
	}
	for (int p = 0; p < P; p++) {
		double *X = truth + C * 6 + p * 3;
		X[0] = sin(1.3 * p), X[1] = cos(0.7 * p + 0.4), X[2] = 0.5 * sin(2.1 * p + 1.0);
	}
	for (int m = 0; m < M; m++) {
		cam[m] = m % C;
		pt[m] = m / C;
	}
	/* the pixels: the true projections (residuals against zero pixels) */
	memset(obs, 0, sizeof obs);
	if (eval(truth, cam, pt, obs, focal, &err) != AD_OK)
		return 1;
	memcpy(obs, r, sizeof obs);
	/* the start: every camera but the first, and every point, moved */
	for (int i = 0; i < N; i++)
		x[i] = truth[i] + (i < 6 ? 0.0 : 0.05 * sin(3.7 * i + 0.3));
	/* the blocks against central differences of the residuals */
	if (eval(x, cam, pt, obs, focal, &err) != AD_OK)
		return 1;
	double Jc0[M * 12], Jp0[M * 6], worst = 0;
	memcpy(Jc0, Jc, sizeof Jc0);
	memcpy(Jp0, Jp, sizeof Jp0);
	for (int i = 0; i < N; i++) {
		double xp[N], xm[N], rp[M * 2], e;
		memcpy(xp, x, sizeof xp);
		memcpy(xm, x, sizeof xm);
		xp[i] += 1e-6, xm[i] -= 1e-6;
		if (eval(xp, cam, pt, obs, focal, &e) != AD_OK)
			return 1;
		memcpy(rp, r, sizeof rp);
		if (eval(xm, cam, pt, obs, focal, &e) != AD_OK)
			return 1;
		for (int m = 0; m < M; m++)
			for (int k = 0; k < 2; k++) {
				double fd = (rp[m * 2 + k] - r[m * 2 + k]) / 2e-6, J = 0;
				if (i < C * 6 && i / 6 == cam[m])
					J = Jc0[(m * 2 + k) * 6 + i % 6];
				else if (i >= C * 6 && (i - C * 6) / 3 == pt[m])
					J = Jp0[(m * 2 + k) * 3 + (i - C * 6) % 3];
				worst = fmax(worst, fabs(fd - J) / fmax(1.0, fabs(fd)));
			}
	}
	printf("jacobian blocks against central differences: %.1e\n", worst);
	if (worst > 1e-6)
		return 1;
	/* Levenberg-Marquardt over cameras 1.. and the points */
	static double A[N * N];
	double g[N], lambda = 1e-3;
	int step = 0;
	if (eval(x, cam, pt, obs, focal, &err) != AD_OK)
		return 1;
	for (; step < 50 && err > 1e-16; step++) {
		printf("step %2d  squared reprojection error %.3e  lambda %.0e\n", step, err, lambda);
		memset(A, 0, sizeof A);
		memset(g, 0, sizeof g);
		for (int m = 0; m < M; m++) {
			/* the observation's row block of J: 6 camera, then 3 point columns */
			int col[9];
			double row[2][9];
			for (int j = 0; j < 6; j++)
				col[j] = (int)cam[m] * 6 + j;
			for (int j = 0; j < 3; j++)
				col[6 + j] = C * 6 + (int)pt[m] * 3 + j;
			for (int k = 0; k < 2; k++) {
				for (int j = 0; j < 6; j++)
					row[k][j] = Jc[(m * 2 + k) * 6 + j];
				for (int j = 0; j < 3; j++)
					row[k][6 + j] = Jp[(m * 2 + k) * 3 + j];
			}
			for (int k = 0; k < 2; k++)
				for (int a = 0; a < 9; a++) {
					g[col[a]] += row[k][a] * r[m * 2 + k];
					for (int b = 0; b < 9; b++)
						A[col[a] * N + col[b]] += row[k][a] * row[k][b];
				}
		}
		/* camera 0 held: its equations become dx = 0 */
		for (int i = 0; i < 6; i++) {
			for (int j = 0; j < N; j++)
				A[i * N + j] = A[j * N + i] = 0;
			A[i * N + i] = 1, g[i] = 0;
		}
		for (;;) {
			static double D[N * N];
			double dx[N], xn[N], en;
			memcpy(D, A, sizeof D);
			for (int i = 0; i < N; i++) {
				D[i * N + i] += lambda * (A[i * N + i] + 1e-9);
				dx[i] = -g[i];
			}
			if (!cholesky_solve(D, dx, N))
				return 1;
			for (int i = 0; i < N; i++)
				xn[i] = x[i] + dx[i];
			if (eval(xn, cam, pt, obs, focal, &en) != AD_OK)
				return 1;
			if (en < err) { /* accepted: trust the model more */
				memcpy(x, xn, sizeof x);
				err = en;
				lambda = fmax(lambda / 10, 1e-12);
				break;
			}
			lambda *= 10;
			if (lambda > 1e12)
				return 1;
		}
		if (eval(x, cam, pt, obs, focal, &err) != AD_OK)
			return 1;
	}
	printf("squared reprojection error %.1e after %d steps\n", err, step);
	return err <= 1e-16 ? 0 : 1;
}
