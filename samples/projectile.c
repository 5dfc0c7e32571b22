/* samples/projectile.c: aiming a projectile with drag at a target, by
 * Newton's method on the launch angle, with the derivative ad-compile
 * derives from projectile.ad.
 *
 *   ad-compile projectile.ad -o projectile_gen.c
 *   cc $(ad-compile --cflags) projectile.c projectile_gen.c -o projectile $(ad-compile --libs)
 *
 * The target is 5 m up a wall 50 m away; the launch speed is 30 m/s. Prints
 * each Newton step; exits with status 1 unless the shot hits within 1 nm.
 * Then the same aim through height_rk4, the equations of motion integrated
 * by RK4 in a loop (a break where the projectile reaches the wall): with
 * linear drag only it must find the closed form's angle, and with quadratic
 * drag as well it finds a steeper one. */
#include <math.h>
#include <stdio.h>

#include "projectile_gen.h"

/* Newton's method on the angle for the RK4 model with quadratic drag c. */
static int aim_rk4(double c, double theta, double *out)
{
	const double v0 = 30, k = 0.1, g = 9.81, d = 50, target = 5, dt = 1e-3;
	double h = 0, dh = 0;
	for (int it = 0; it < 20; it++) {
		if (height_rk4(&theta, &v0, &k, &c, &g, &d, &dt, &h, &dh) != AD_OK || !isfinite(h))
			return 1;
		printf("  rk4 c=%g step %d  theta %.12f rad  height %+.9f m  dh/dtheta %.6f m/rad\n", c, it, theta, h,
		       dh);
		if (fabs(h - target) < 1e-9) {
			*out = theta;
			return 0;
		}
		theta -= (h - target) / dh;
	}
	return 1;
}

int main(void)
{
	const double v0 = 30, k = 0.1, g = 9.81, d = 50, target = 5;
	double theta = 0.3, h = 0, dh = 0; /* a first guess: about 17 degrees */
	for (int it = 0; it < 20; it++) {
		if (height_at(&theta, &v0, &k, &g, &d, &h, &dh) != AD_OK || !isfinite(h))
			return 1;
		printf("step %d  theta %.12f rad (%.6f deg)  height at the wall %+.9f m  dh/dtheta %.6f m/rad\n", it,
		       theta, theta * 180 / 3.141592653589793, h, dh);
		if (fabs(h - target) < 1e-9)
			break;
		theta -= (h - target) / dh;
	}
	if (fabs(h - target) >= 1e-9) {
		fprintf(stderr, "projectile: missed the target\n");
		return 1;
	}
	printf("hit: launch at %.6f degrees\n", theta * 180 / 3.141592653589793);
	double lin, quad;
	if (aim_rk4(0, 0.3, &lin) || aim_rk4(0.002, 0.3, &quad)) {
		fprintf(stderr, "projectile: the RK4 aim did not converge\n");
		return 1;
	}
	printf("rk4, linear drag: launch at %.6f degrees (closed form: %.6f, difference %.2e rad)\n",
	       lin * 180 / 3.141592653589793, theta * 180 / 3.141592653589793, fabs(lin - theta));
	printf("rk4, quadratic drag c = 0.002: launch at %.6f degrees\n", quad * 180 / 3.141592653589793);
	if (fabs(lin - theta) > 1e-5 || !(quad > lin)) {
		fprintf(stderr, "projectile: the RK4 model disagrees with the closed form\n");
		return 1;
	}
	return 0;
}
