/* samples/gp_fit.c: Gaussian-process regression from C. The data are 40
 * noisy samples of sin(2 x) on [0, 5] (noise of standard deviation 0.1);
 * gp.ad gives the negative log marginal likelihood of a squared-exponential
 * kernel and its gradient with respect to the three log hyperparameters,
 * through cholesky and solve_triangular.
 *
 *   ad-compile gp.ad -o gp_gen.c
 *   cc $(ad-compile --cflags) gp_fit.c gp_gen.c -o gp_fit $(ad-compile --libs)
 *
 * Fits the hyperparameters by gradient descent with momentum from a poor
 * start (length scale 3, signal and noise amplitudes 1), printing the
 * likelihood as it improves; exits with status 1 unless it improved and
 * the fitted noise amplitude is within a factor of two of the true 0.1. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_gen.h"

enum { N = 40 };

static uint64_t rng = 0x2545f4914f6cdd1du;
static double normal(void) /* Box-Muller */
{
	double u[2];
	for (int k = 0; k < 2; k++) {
		rng = rng * 6364136223846793005u + 1442695040888963407u;
		u[k] = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

int main(void)
{
	double x[N], y[N], theta[3] = {log(3.0), 0, 0}, vel[3] = {0, 0, 0}, L, g[3], first = 0;
	for (int i = 0; i < N; i++) {
		x[i] = 5.0 * i / (N - 1);
		y[i] = sin(2 * x[i]) + 0.1 * normal();
	}
	for (int t = 0; t <= 400; t++) {
		int rc = nll(N, x, y, theta, &L, g);
		if (rc != AD_OK) {
			printf("step %d: nll returned %d\n", t, rc);
			return 1;
		}
		if (t == 0)
			first = L;
		if (t % 100 == 0)
			printf("step %3d  -log likelihood %8.3f  length %.3f  signal %.3f  noise %.3f\n", t, L,
			       exp(theta[0]), exp(theta[1]), exp(theta[2]));
		for (int k = 0; k < 3; k++) {
			vel[k] = 0.9 * vel[k] + g[k];
			theta[k] -= 0.002 * vel[k];
		}
	}
	double noise = exp(theta[2]);
	printf("fitted: -log likelihood %.3f (from %.3f), noise %.3f (true 0.1)\n", L, first, noise);
	return L < first && noise > 0.05 && noise < 0.2 ? 0 : 1;
}
