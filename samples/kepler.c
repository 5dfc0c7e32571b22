/* samples/kepler.c: an implicit function differentiated through the solver
 * that finds it. kepler.ad solves Kepler's equation E - e sin(E) = M by
 * Newton's method, stopping when it has converged; ad-compile derives the
 * solution's derivatives through the iterations that ran. Here they are
 * checked against the implicit function theorem, which gives them from E
 * alone: dE/dM = 1 / (1 - e cos E), dE/de = sin(E) / (1 - e cos E), and
 * d2E/dM2 = -e sin(E) / (1 - e cos E)^3.
 *
 *   ad-compile kepler.ad -o kepler_gen.c
 *   cc $(ad-compile --cflags) kepler.c kepler_gen.c -o kepler $(ad-compile --libs)
 *
 * Prints one line per (M, e) on a grid of orbits from circular to e = 0.9;
 * exits with status 1 if a first derivative is off by more than 1e-12
 * (relative), the second by more than 1e-9 (the derivatives of the last
 * iterate lag the iterate itself by about one Newton step), or an iteration
 * did not converge. */
#include <math.h>
#include <stdio.h>

#include "kepler_gen.h"

static double rel(double got, double want)
{
	return fabs(got - want) / fmax(1.0, fabs(want));
}

int main(void)
{
	static const double Ms[] = {0.1, 1.0, 2.5, 3.1}, es[] = {0.0, 0.3, 0.6, 0.9};
	double worst1 = 0, worst2 = 0;
	int bad = 0;
	printf("   M     e       E            dE/dM        dE/de        d2E/dM2   steps\n");
	for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
		for (size_t j = 0; j < sizeof es / sizeof *es; j++) {
			double M = Ms[i], e = es[j], E, dM, de, d2;
			float steps;
			if (kepler_grad(&M, &e, &E, &dM, &de, &steps) != AD_OK ||
			    kepler_curvature(&M, &e, &d2) != AD_OK)
				return 1;
			double d = 1 - e * cos(E), residual = E - e * sin(E) - M;
			double err1 = fmax(rel(dM, 1 / d), rel(de, sin(E) / d)),
			       err2 = rel(d2, -e * sin(E) / (d * d * d));
			worst1 = fmax(worst1, err1);
			worst2 = fmax(worst2, err2);
			bad += err1 > 1e-12 || err2 > 1e-9 || fabs(residual) > 1e-13 || steps >= 50;
			printf("%5.2f %5.2f %12.9f %12.9f %12.9f %12.9f %4.0f\n", M, e, E, dM, de, d2, steps);
		}
	printf("largest relative difference from the implicit function theorem: %.1e (first derivatives), %.1e "
	       "(second)\n",
	       worst1, worst2);
	return bad ? 1 : 0;
}
