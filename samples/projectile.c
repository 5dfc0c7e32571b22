/* samples/projectile.c: aiming a projectile with drag at a target, by
 * Newton's method on the launch angle, with the derivative ad-compile
 * derives from projectile.ad.
 *
 *   ad-compile projectile.ad -o projectile_gen.c
 *   cc $(ad-compile --cflags) projectile.c projectile_gen.c -o projectile $(ad-compile --libs)
 *
 * The target is 5 m up a wall 50 m away; the launch speed is 30 m/s. Prints
 * each Newton step; exits with status 1 unless the shot hits within 1 nm. */
#include <math.h>
#include <stdio.h>

#include "projectile_gen.h"

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
	return 0;
}
