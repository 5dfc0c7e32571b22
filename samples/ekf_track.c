/* samples/ekf_track.c: an extended Kalman filter tracking a pendulum, from
 * C. The true pendulum (length 1.5, damping 0.1) starts at theta = 1 rad at
 * rest; every 0.01 s a sensor reports the bob's position with noise of
 * standard deviation 0.05 on each axis. ekf.ad's ekf_step predicts and
 * corrects, its Jacobians from `jacobian` and its gain from `solve`.
 *
 *   ad-compile ekf.ad -o ekf_gen.c
 *   cc $(ad-compile --cflags) ekf_track.c ekf_gen.c -o ekf_track $(ad-compile --libs)
 *
 * The filter starts from a poor guess (theta = 0, omega = 0, a large
 * covariance) and must lock on: exits with status 1 unless the angle's
 * RMS error over the last 300 steps is below 0.02 rad, under half that of
 * the angle read off the raw measurements. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "ekf_gen.h"

enum { STEPS = 600 };

static uint64_t rng = 0x9e3779b97f4a7c15u;
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
	const double dt = 0.01, len = 1.5, sd = 0.05;
	double truth[2] = {1.0, 0.0}, s[2] = {0.0, 0.0}, P[4] = {1, 0, 0, 1};
	const double Q[4] = {1e-6, 0, 0, 1e-4}, R[4] = {sd * sd, 0, 0, sd * sd};
	double err2 = 0, raw2 = 0;
	for (int t = 1; t <= STEPS; t++) {
		/* the true pendulum, by the same Euler step as the model */
		double th = truth[0], om = truth[1];
		truth[0] = th + dt * om;
		truth[1] = om - dt * (9.81 * sin(th) + 0.1 * om);
		double z[2] = {len * sin(truth[0]) + sd * normal(), -len * cos(truth[0]) + sd * normal()};
		double s2[2], P2[4];
		int rc = ekf_step(s, P, z, Q, R, s2, P2);
		if (rc != AD_OK) {
			printf("step %d: ekf_step returned %d\n", t, rc);
			return 1;
		}
		for (int k = 0; k < 2; k++)
			s[k] = s2[k];
		for (int k = 0; k < 4; k++)
			P[k] = P2[k];
		double e = s[0] - truth[0], raw = atan2(z[0], -z[1]) - truth[0];
		if (t > STEPS - 300) {
			err2 += e * e;
			raw2 += raw * raw;
		}
		if (t % 100 == 0)
			printf("t = %4.2f s  theta %7.4f  estimate %7.4f  omega %7.4f  estimate %7.4f\n", t * dt,
			       truth[0], s[0], truth[1], s[1]);
	}
	double rms = sqrt(err2 / 300), raw_rms = sqrt(raw2 / 300);
	printf("last 3 s: RMS angle error %.4f rad (filtered), %.4f rad (raw measurements)\n", rms, raw_rms);
	return rms < 0.02 && rms < 0.5 * raw_rms ? 0 : 1;
}
