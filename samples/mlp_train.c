/* samples/mlp_train.c: a 2-layer perceptron trained by gradient descent on
 * three interleaved spirals, with the loss and gradients ad-compile derives
 * from mlp.ad.
 *
 *   ad-compile mlp.ad -o mlp_gen.c
 *   cc $(ad-compile --cflags) mlp_train.c mlp_gen.c -o mlp_train $(ad-compile --libs)
 *
 * Prints the loss every 100 epochs and the training accuracy at the end;
 * exits with status 1 if the loss does not fall. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_gen.h"

enum { N = 300, D = 2, K = 3, H = 32, EPOCHS = 1000 };

static uint64_t state = 7;

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
	/* the data: K spiral arms of N / K points each, with a little noise */
	static float X[N * D], Y[N * K];
	for (int i = 0; i < N; i++) {
		int c = i % K;
		double r = (double)(i / K) / (N / K), t = c * 4.0 + 4.0 * r + 0.2 * normal();
		X[i * D] = (float)(r * sin(t));
		X[i * D + 1] = (float)(r * cos(t));
		Y[i * K + c] = 1; /* one-hot */
	}
	/* the parameters, with small random weights */
	static float W1[D * H], b1[H], W2[H * K], b2[K];
	for (int i = 0; i < D * H; i++)
		W1[i] = (float)(normal() / sqrt(D));
	for (int i = 0; i < H * K; i++)
		W2[i] = (float)(normal() / sqrt(H));
	static float gW1[D * H], gb1[H], gW2[H * K], gb2[K], P[N * K];
	float loss, first = 0, last = INFINITY;
	void *work = malloc(mlp_work_size(N, D, K, H));
	if (!work)
		return 1;
	int ok = 1;
	const float rate = 1.0f;
	for (int epoch = 1; epoch <= EPOCHS; epoch++) {
		if (mlp_work(N, D, K, H, X, Y, W1, b1, W2, b2, &loss, gW1, gb1, gW2, gb2, work) != AD_OK)
			return 1;
		if (epoch == 1)
			first = loss;
		if (epoch == 1 || epoch % 100 == 0) {
			printf("epoch %4d  loss %.6f\n", epoch, loss);
			ok &= loss < last;
			last = loss;
		}
		for (int i = 0; i < D * H; i++)
			W1[i] -= rate * gW1[i];
		for (int i = 0; i < H; i++)
			b1[i] -= rate * gb1[i];
		for (int i = 0; i < H * K; i++)
			W2[i] -= rate * gW2[i];
		for (int i = 0; i < K; i++)
			b2[i] -= rate * gb2[i];
	}
	free(work);
	if (predict(N, D, H, K, X, W1, b1, W2, b2, P) != AD_OK)
		return 1;
	int right = 0;
	for (int i = 0; i < N; i++) {
		int best = 0;
		for (int c = 1; c < K; c++)
			if (P[i * K + c] > P[i * K + best])
				best = c;
		right += Y[i * K + best] == 1;
	}
	printf("training accuracy %.1f%%\n", 100.0 * right / N);
	if (!ok || last > 0.5f * first) {
		fprintf(stderr, "mlp_train: the loss did not fall\n");
		return 1;
	}
	return 0;
}
