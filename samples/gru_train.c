/* samples/gru_train.c: a character-level GRU language model trained from
 * C. gru.ad gives the mean cross-entropy of each next character over the
 * text and, through its loop over time, the gradient with respect to all
 * eleven weight arrays; this driver runs Adam on them, prints the loss as
 * it falls, and then lets the trained cell (gru_cell, also emitted) write
 * the text back one character at a time from its first letter.
 *
 *   ad-compile gru.ad -o gru_gen.c
 *   cc $(ad-compile --cflags) gru_train.c gru_gen.c -o gru_train $(ad-compile --libs)
 *
 * Exits with status 1 unless the loss ends below a tenth of where it
 * started. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gru_gen.h"

enum { H = 24, EPOCHS = 400, NW = 11 };

static const char text[] = "a loop means its unrolled form, but it is never unrolled; "
                           "the tape lives in the memory the caller gives.";

int main(void)
{
	/* the alphabet of the text, and the text as one-hot rows */
	char alphabet[64];
	int V = 0, n = (int)strlen(text), T = n - 1;
	for (int i = 0; i < n; i++)
		if (!memchr(alphabet, text[i], (size_t)V))
			alphabet[V++] = text[i];
	double *X = calloc((size_t)T * V, sizeof *X), *Y = calloc((size_t)T * V, sizeof *Y);
	if (!X || !Y)
		return 1;
	for (int t = 0; t < T; t++) {
		X[t * V + (int)((char *)memchr(alphabet, text[t], (size_t)V) - alphabet)] = 1;
		Y[t * V + (int)((char *)memchr(alphabet, text[t + 1], (size_t)V) - alphabet)] = 1;
	}
	/* the weights, in gru.ad's order: W, U, b for the update gate, the
	 * reset gate and the candidate, then the output's Wy and by */
	const size_t size[NW] = {(size_t)V * H, (size_t)H * H, H, (size_t)V * H, (size_t)H * H, H,
	                         (size_t)V * H, (size_t)H * H, H, (size_t)H * V, (size_t)V};
	double *w[NW], *g[NW], *m[NW], *v[NW];
	unsigned seed = 2026;
	for (int k = 0; k < NW; k++) {
		w[k] = malloc(size[k] * sizeof(double));
		g[k] = malloc(size[k] * sizeof(double));
		m[k] = calloc(size[k], sizeof(double));
		v[k] = calloc(size[k], sizeof(double));
		if (!w[k] || !g[k] || !m[k] || !v[k])
			return 1;
		for (size_t i = 0; i < size[k]; i++) {
			seed = seed * 1103515245u + 12345u;
			w[k][i] = 0.3 * ((double)(seed >> 8) / (double)(1u << 24) - 0.5);
		}
	}
	void *work = malloc(gru_grad_work_size(T, V, H));
	double *x = calloc((size_t)V, sizeof *x);
	if (!work || !x)
		return 1;
	double first = 0, loss = 0;
	for (int epoch = 0; epoch <= EPOCHS; epoch++) {
		if (gru_grad_work(T, V, H, X, Y, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10],
		                  &loss, g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10],
		                  work) != AD_OK ||
		    !isfinite(loss))
			return 1;
		if (epoch == 0)
			first = loss;
		if (epoch % 50 == 0)
			printf("epoch %3d  loss %.4f\n", epoch, loss);
		/* Adam, step 0.02 */
		double b1 = 1 - pow(0.9, epoch + 1), b2 = 1 - pow(0.999, epoch + 1);
		for (int k = 0; k < NW; k++)
			for (size_t i = 0; i < size[k]; i++) {
				m[k][i] = 0.9 * m[k][i] + 0.1 * g[k][i];
				v[k][i] = 0.999 * v[k][i] + 0.001 * g[k][i] * g[k][i];
				w[k][i] -= 0.02 * (m[k][i] / b1) / (sqrt(v[k][i] / b2) + 1e-8);
			}
	}
	/* the text again, from its first character, by the trained cell: the
	 * most likely next character each time */
	double h[H] = {0}, next[H];
	char out[sizeof text];
	out[0] = text[0];
	for (int t = 0; t < T; t++) {
		memset(x, 0, (size_t)V * sizeof *x);
		x[(char *)memchr(alphabet, out[t], (size_t)V) - alphabet] = 1;
		if (gru_cell(V, H, x, h, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], next) != AD_OK)
			return 1;
		memcpy(h, next, sizeof h);
		int best = 0;
		double top = -INFINITY;
		for (int c = 0; c < V; c++) {
			double s = w[10][c];
			for (int j = 0; j < H; j++)
				s += h[j] * w[9][j * V + c];
			if (s > top)
				top = s, best = c;
		}
		out[t + 1] = alphabet[best];
	}
	out[n] = 0;
	printf("trained: %s\n", out);
	printf("loss %.4f -> %.4f over %d epochs\n", first, loss, EPOCHS);
	for (int k = 0; k < NW; k++) {
		free(w[k]);
		free(g[k]);
		free(m[k]);
		free(v[k]);
	}
	free(X);
	free(Y);
	free(x);
	free(work);
	return loss < 0.1 * first ? 0 : 1;
}
