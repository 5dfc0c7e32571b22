/* samples/pendulum_fit.c: the damping and the length of a pendulum from a
 * noisy observed trajectory, by gradient descent on the loss of
 * pendulum.ad, whose gradient ad-compile derives through the time loop.
 *
 *   ad-compile pendulum.ad -o pendulum_gen.c
 *   cc $(ad-compile --cflags) pendulum_fit.c pendulum_gen.c -o pendulum_fit $(ad-compile --libs)
 *
 * The trajectory: c = 0.3 /s, l = 0.8 m, 400 steps of 5 ms from 1.2 rad,
 * simulated here in plain C, with uniform noise of +-0.01 rad. The fit
 * starts from c = 0.1, l = 1.2 and uses gradient descent with momentum on
 * (c, l) scaled to comparable sizes. Prints the loss as it falls; exits
 * with status 1 unless it recovers c and l within 3 % (the noise allows no
 * better). */
#include <math.h>
#include <stdio.h>

#include "pendulum_gen.h"

enum { T = 400 };

int main(void)
{
	const double g = 9.81, dt = 0.005, theta0 = 1.2, c_true = 0.3, l_true = 0.8;
	static double obs[T];
	/* the observations: the same model, stepped here, plus noise */
	double theta = theta0, omega = 0;
	unsigned seed = 12345;
	for (int t = 0; t < T; t++) {
		omega += dt * (-(g / l_true) * sin(theta) - c_true * omega);
		theta += dt * omega;
		seed = seed * 1103515245u + 12345u;
		obs[t] = theta + 0.02 * ((double)(seed >> 8) / (double)(1u << 24) - 0.5);
	}
	double c = 0.1, l = 1.2, vc = 0, vl = 0, loss = 0, dc = 0, dl = 0;
	for (int it = 0; it <= 600; it++) {
		if (fit_loss(T, &c, &l, obs, &theta0, &g, &dt, &loss, &dc, &dl) != AD_OK || !isfinite(loss))
			return 1;
		if (it % 100 == 0)
			printf("step %4d  loss %.6e  c %.5f  l %.5f\n", it, loss, c, l);
		vc = 0.9 * vc - 0.05 * dc;
		vl = 0.9 * vl - 0.05 * dl;
		c += vc;
		l += vl;
	}
	printf("fitted: c = %.4f (true %.1f), l = %.4f (true %.1f)\n", c, c_true, l, l_true);
	return fabs(c - c_true) < 0.03 * c_true && fabs(l - l_true) < 0.03 * l_true ? 0 : 1;
}
