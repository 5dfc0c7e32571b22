/* samples/logreg_train.c: logistic regression trained by gradient descent,
 * with the loss and gradient ad-compile derives from logreg.ad.
 *
 *   ad-compile logreg.ad -o logreg_gen.c
 *   cc $(ad-compile --cflags) logreg_train.c logreg_gen.c -o logreg_train $(ad-compile --libs)
 *
 * The data are two Gaussian clouds in the plane, generated here with a fixed
 * seed. Prints the loss after each epoch and the accuracy at the end; exits
 * with status 1 if the loss ever rises or the accuracy stays low. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "logreg_gen.h"

enum { N = 400, D = 2, EPOCHS = 25 };

static uint64_t state = 42;

/* a uniform number in (0, 1), from a 64-bit linear congruential generator */
static double uniform(void)
{
	state = state * 6364136223846793005u + 1442695040888963407u;
	return ((double)(state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

int main(void)
{
	static float X[N * D], y[N];
	for (int i = 0; i < N; i++) {
		y[i] = (float)(i % 2);                                 /* alternate the classes */
		double cx = y[i] ? 1.0 : -1.0, cy = y[i] ? 0.5 : -0.5; /* the two centers */
		X[i * D] = (float)(cx + normal());
		X[i * D + 1] = (float)(cy + normal());
	}
	float w[D] = {0, 0}, b = 0, loss, gw[D], gb;
	void *work = malloc(logreg_work_size(N, D)); /* scratch, allocated once */
	if (!work)
		return 1;
	const float rate = 0.5f;
	float last = INFINITY;
	int ok = 1;
	for (int epoch = 1; epoch <= EPOCHS; epoch++) {
		if (logreg_work(N, D, X, y, w, &b, &loss, gw, &gb, work) != AD_OK)
			return 1;
		printf("epoch %2d  loss %.6f\n", epoch, loss);
		ok &= loss <= last;
		last = loss;
		for (int j = 0; j < D; j++)
			w[j] -= rate * gw[j];
		b -= rate * gb;
	}
	int right = 0;
	for (int i = 0; i < N; i++) {
		float z = w[0] * X[i * D] + w[1] * X[i * D + 1] + b;
		right += (z > 0) == (y[i] > 0.5f);
	}
	printf("w = [%.4f, %.4f], b = %.4f, accuracy %.1f%%\n", w[0], w[1], b, 100.0 * right / N);
	free(work);
	if (!ok || right < 0.8 * N) {
		fprintf(stderr, "logreg_train: the loss did not fall or the accuracy is low\n");
		return 1;
	}
	return 0;
}
