/* samples/cnn_train.c: a small convolutional network trained from C. Its
 * images are 8 x 8, noisy, and show a bar three pixels long, horizontal
 * (class 0) or vertical (class 1), anywhere. cnn.ad gives the
 * cross-entropy of the class scores, its gradients with respect to the
 * filters, the linear map and the bias (through conv2d, relu, max_pool2d
 * and a matrix product), and the predicted classes.
 *
 *   ad-compile cnn.ad -o cnn_gen.c
 *   cc $(ad-compile --cflags) cnn_train.c cnn_gen.c -o cnn_train $(ad-compile --libs)
 *
 * Trains by gradient descent with momentum on a new batch of 64 images at
 * each of 300 steps, then classifies 64 new ones; exits with status 1
 * unless the loss fell tenfold and 95% of the new images are classified
 * right. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "cnn_gen.h"

enum { B = 64, S = 8, F = 4, H = 64, C = 2 };

static uint64_t rng = 0x2545f4914f6cdd1du;
static double uniform(void) /* in [0, 1) */
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* B images: a bar of three pixels (1) on noise in [0, 0.3) */
static void images(float *X, int64_t *labels)
{
	for (int b = 0; b < B; b++) {
		float *img = X + b * S * S;
		for (int i = 0; i < S * S; i++)
			img[i] = (float)(0.3 * uniform());
		labels[b] = uniform() < 0.5;
		int r = (int)(uniform() * (labels[b] ? S - 2 : S)), c = (int)(uniform() * (labels[b] ? S : S - 2));
		for (int k = 0; k < 3; k++)
			img[(r + (labels[b] ? k : 0)) * S + c + (labels[b] ? 0 : k)] = 1;
	}
}

/* w -= rate * velocity, velocity = 0.9 velocity + g */
static void step(float *w, float *vel, const float *g, int n, float rate)
{
	for (int i = 0; i < n; i++) {
		vel[i] = 0.9f * vel[i] + g[i];
		w[i] -= rate * vel[i];
	}
}

int main(void)
{
	static float X[B * S * S], K[F * 9], W[H * C], c[C], gK[F * 9], gW[H * C], gc[C];
	static float vK[F * 9], vW[H * C], vc[C];
	static int64_t labels[B], pred[B];
	for (int i = 0; i < F * 9; i++)
		K[i] = (float)(uniform() - 0.5);
	for (int i = 0; i < H * C; i++)
		W[i] = (float)(0.2 * (uniform() - 0.5));
	float L = 0, first = 0;
	for (int t = 0; t <= 300; t++) {
		images(X, labels); /* a new batch each step */
		if (loss(B, X, labels, K, W, c, &L, gK, gW, gc, pred) != AD_OK)
			return 1;
		if (t == 0)
			first = L;
		if (t % 50 == 0)
			printf("step %3d  loss %.4f\n", t, L);
		step(K, vK, gK, F * 9, 0.05f);
		step(W, vW, gW, H * C, 0.05f);
		step(c, vc, gc, C, 0.05f);
	}
	images(X, labels);
	if (loss(B, X, labels, K, W, c, &L, gK, gW, gc, pred) != AD_OK)
		return 1;
	int right = 0;
	for (int b = 0; b < B; b++)
		right += pred[b] == labels[b];
	printf("new images: %d of %d classified right (loss %.4f)\n", right, B, L);
	return L < first / 10 && right >= B * 95 / 100 ? 0 : 1;
}
