/* samples/arm_ik.c: inverse kinematics of a planar arm of three links by
 * damped least squares. arm.ad gives the hand's position p(q) and its
 * Jacobian J = dp/dq (ad-compile's jacobian); each step solves
 * (J J^T + lambda^2 I) y = target - p, a 2x2 system, and moves the joints
 * by dq = J^T y (the damping keeps steps small near singular poses).
 *
 *   ad-compile arm.ad -o arm_gen.c
 *   cc $(ad-compile --cflags) arm_ik.c arm_gen.c -o arm_ik $(ad-compile --libs)
 *
 * First checks J against central differences of p, then prints the
 * distance to the target after each step; exits with status 1 if J is off
 * by more than 1e-8 or the hand does not come within 1e-10 of the target
 * in 100 steps. */
#include <math.h>
#include <stdio.h>

#include "arm_gen.h"

int main(void)
{
	double q[3] = {0.3, 0.3, 0.3};
	const double len[3] = {1.0, 0.8, 0.5}, target[2] = {0.4, 1.6}, lambda = 0.3;
	double p[2], J[6], err;
	/* J against central differences of p */
	if (reach(q, len, target, p, J, &err) != AD_OK)
		return 1;
	double worst = 0;
	for (int j = 0; j < 3; j++) {
		double qp[3] = {q[0], q[1], q[2]}, qm[3] = {q[0], q[1], q[2]}, pp[2], pm[2], Jx[6], e;
		qp[j] += 1e-6;
		qm[j] -= 1e-6;
		if (reach(qp, len, target, pp, Jx, &e) != AD_OK || reach(qm, len, target, pm, Jx, &e) != AD_OK)
			return 1;
		for (int i = 0; i < 2; i++)
			worst = fmax(worst, fabs((pp[i] - pm[i]) / 2e-6 - J[i * 3 + j]));
	}
	printf("jacobian against central differences: %.1e\n", worst);
	int step = 0;
	for (; step < 100; step++) {
		if (reach(q, len, target, p, J, &err) != AD_OK)
			return 1;
		printf("step %2d  hand (%.6f, %.6f)  distance %.3e\n", step, p[0], p[1], err);
		if (err < 1e-10)
			break;
		/* A = J J^T + lambda^2 I, y = A^-1 (target - p), dq = J^T y */
		double A[4] = {lambda * lambda, 0, 0, lambda * lambda}, r[2] = {target[0] - p[0], target[1] - p[1]};
		for (int i = 0; i < 2; i++)
			for (int k = 0; k < 2; k++)
				for (int j = 0; j < 3; j++)
					A[i * 2 + k] += J[i * 3 + j] * J[k * 3 + j];
		double det = A[0] * A[3] - A[1] * A[2];
		double y[2] = {(A[3] * r[0] - A[1] * r[1]) / det, (A[0] * r[1] - A[2] * r[0]) / det};
		for (int j = 0; j < 3; j++)
			q[j] += J[0 * 3 + j] * y[0] + J[1 * 3 + j] * y[1];
	}
	printf("joints %.6f %.6f %.6f after %d steps\n", q[0], q[1], q[2], step);
	return worst > 1e-8 || err >= 1e-10 ? 1 : 0;
}
