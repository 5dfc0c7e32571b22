/* samples/bow_train.c: a bag-of-words classifier trained from C. Twelve
 * words, three topics of four words each; a document of topic t has six
 * words, each from its topic's four with chance 3/4 and from anywhere
 * otherwise. bow.ad gives the loss (cross-entropy of the class scores
 * of each document's mean word embedding), its gradient with respect to
 * the embeddings E (a scatter-add of the words' gradients: the adjoint of
 * the gather E[words]) and to W, and the predicted classes (argmax).
 *
 *   ad-compile bow.ad -o bow_gen.c
 *   cc $(ad-compile --cflags) bow_train.c bow_gen.c -o bow_train $(ad-compile --libs)
 *
 * Trains on 60 documents by gradient descent, then classifies 60 new ones;
 * exits with status 1 unless the loss fell tenfold and 95% of the new
 * documents are classified right. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "bow_gen.h"

enum { V = 12, D = 4, C = 3, B = 60, WORDS = 6, K = B * WORDS };

static uint64_t rng = 0x9e3779b97f4a7c15u;
static double uniform(void) /* in [0, 1) */
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* B documents: their words, which document each word is in, word counts
 * and topics */
static void documents(int64_t *words, int64_t *doc, float *counts, int64_t *labels)
{
	for (int b = 0; b < B; b++) {
		labels[b] = (int64_t)(uniform() * C);
		counts[b] = WORDS;
		for (int w = 0; w < WORDS; w++) {
			int64_t word =
			    uniform() < 0.75 ? labels[b] * 4 + (int64_t)(uniform() * 4) : (int64_t)(uniform() * V);
			words[b * WORDS + w] = word;
			doc[b * WORDS + w] = b;
		}
	}
}

int main(void)
{
	static float E[V * D], W[D * C], gE[V * D], gW[D * C], counts[B];
	static int64_t words[K], doc[K], labels[B], pred[B];
	for (int i = 0; i < V * D; i++)
		E[i] = (float)(uniform() - 0.5);
	for (int i = 0; i < D * C; i++)
		W[i] = (float)(uniform() - 0.5);
	documents(words, doc, counts, labels);
	float L = 0, first = 0;
	for (int epoch = 0; epoch <= 400; epoch++) {
		if (loss(V, D, C, K, B, E, W, words, doc, counts, labels, &L, gE, gW, pred) != AD_OK)
			return 1;
		if (epoch == 0)
			first = L;
		if (epoch % 100 == 0)
			printf("epoch %3d  loss %.4f\n", epoch, L);
		for (int i = 0; i < V * D; i++)
			E[i] -= 2.0f * gE[i];
		for (int i = 0; i < D * C; i++)
			W[i] -= 2.0f * gW[i];
	}
	/* new documents */
	documents(words, doc, counts, labels);
	if (loss(V, D, C, K, B, E, W, words, doc, counts, labels, &L, gE, gW, pred) != AD_OK)
		return 1;
	int right = 0;
	for (int b = 0; b < B; b++)
		right += pred[b] == labels[b];
	printf("new documents: %d of %d classified right, loss %.4f\n", right, B, L);
	return L < first / 10 && right >= B * 95 / 100 ? 0 : 1;
}
