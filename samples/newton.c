/* samples/newton.c: Newton's method on the Rosenbrock function, with the
 * gradient and Hessian-vector products ad-compile derives from newton.ad.
 *
 *   ad-compile newton.ad -o newton_gen.c
 *   cc $(ad-compile --cflags) newton.c newton_gen.c -o newton $(ad-compile --libs)
 *
 * Each step solves H p = -g by conjugate gradients (Newton-CG, damped where
 * H is not positive definite), then backtracks until f decreases enough. Starts from
 * the classic (-1.2, 1, -1.2, 1, ...) and prints f and |g| per step; exits
 * with status 1 unless it reaches the minimum (1, ..., 1). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "newton_gen.h"

enum { N = 10, MAXIT = 100 };

static double dot(const double *a, const double *b)
{
	double s = 0;
	for (int i = 0; i < N; i++)
		s += a[i] * b[i];
	return s;
}

/* p = -(H + lambda I)^{-1} g by conjugate gradients, H given by products.
 * Where H is not positive definite (CG meets a direction of negative
 * curvature), lambda grows until it is (a Levenberg-Marquardt damping). */
static int newton_direction(const double *x, const double *g, double *p)
{
	double r[N], d[N], hd[N], lambda = 0;
	double tol = fmin(0.5, sqrt(sqrt(dot(g, g)))) * sqrt(dot(g, g));
restart:
	memset(p, 0, sizeof(double) * N);
	for (int i = 0; i < N; i++)
		r[i] = d[i] = -g[i];
	double rr = dot(r, r);
	for (int k = 0; k < 4 * N && sqrt(rr) > tol; k++) {
		if (rosen_hvp(N, x, d, hd) != AD_OK)
			return -1;
		for (int i = 0; i < N; i++)
			hd[i] += lambda * d[i];
		double dhd = dot(d, hd);
		if (dhd <= 1e-12 * dot(d, d)) {
			lambda = lambda ? 4 * lambda : 1e-3 * sqrt(dot(g, g));
			goto restart;
		}
		double a = rr / dhd;
		for (int i = 0; i < N; i++) {
			p[i] += a * d[i];
			r[i] -= a * hd[i];
		}
		double rr2 = dot(r, r);
		for (int i = 0; i < N; i++)
			d[i] = r[i] + rr2 / rr * d[i];
		rr = rr2;
	}
	return 0;
}

int main(void)
{
	double x[N], g[N], p[N], xt[N], gt[N], f, ft;
	for (int i = 0; i < N; i++)
		x[i] = i % 2 ? 1.0 : -1.2;
	if (rosen_grad(N, x, &f, g) != AD_OK)
		return 1;
	int it;
	for (it = 0; it < MAXIT && sqrt(dot(g, g)) > 1e-10; it++) {
		printf("step %2d  f %.12e  |g| %.3e\n", it, f, sqrt(dot(g, g)));
		if (newton_direction(x, g, p))
			return 1;
		double t = 1, slope = dot(g, p);
		for (;;) { /* backtracking until the Armijo condition holds */
			for (int i = 0; i < N; i++)
				xt[i] = x[i] + t * p[i];
			if (rosen_grad(N, xt, &ft, gt) != AD_OK)
				return 1;
			if (ft <= f + 1e-4 * t * slope || t < 1e-12)
				break;
			t /= 2;
		}
		memcpy(x, xt, sizeof x);
		memcpy(g, gt, sizeof g);
		f = ft;
	}
	double err = 0;
	for (int i = 0; i < N; i++)
		err = fmax(err, fabs(x[i] - 1));
	printf("after %d steps: f %.3e, max |x_i - 1| = %.3e\n", it, f, err);
	if (err > 1e-8) {
		fprintf(stderr, "newton: did not converge to (1, ..., 1)\n");
		return 1;
	}
	return 0;
}
