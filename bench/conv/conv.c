/* bench/conv/conv.c: conv2d forward and backward (L = sum(G * conv2d(x, k,
 * padding=1)), its gradient in x and k), f32, batch 8, for the two layers of
 * conv.ad: the emitted code (ours) against hand-written C that does what
 * PyTorch and Caffe do on a CPU, im2col and a BLAS sgemm per image:
 *   cols = im2col(x_b)            [C*9, H*W]
 *   y_b = K cols                  [O, H*W]      (K is k as [O, C*9])
 *   gk += G_b cols^T, gcols = K^T G_b, gx_b = col2im(gcols)
 * usage: conv LAYER IMPL (LAYER a or b; IMPL ours or hand-blas). Prints one
 * JSON line: the median time and how far the gradients are from the other
 * implementation's, which it computes once for that. */
#include "common.h"

#include <cblas.h>
#include <math.h>

#include "conv_gen.h"

enum { NB = 8, KS = 3 };

typedef struct Case {
	int c, o, hw; /* channels in and out, image side */
	float *x, *k, *G;
	float L, *gx, *gk;
	float *cols, *gcols; /* the hand version's scratch */
	void *work;          /* ours */
	int layer;
} Case;

static void fail(const char *what, int rc)
{
	fprintf(stderr, "%s returned %d\n", what, rc);
	exit(2);
}

static void ours(void *p)
{
	Case *c = p;
	int rc = c->layer == 'a' ? conv_a_work(NB, c->x, c->k, c->G, &c->L, c->gx, c->gk, c->work)
	                         : conv_b_work(NB, c->x, c->k, c->G, &c->L, c->gx, c->gk, c->work);
	if (rc)
		fail("conv_work", rc);
}

/* cols[(ch * 3 + i) * 3 + j][y * hw + x] = img[ch][y + i - 1][x + j - 1], 0 outside */
static void im2col(const float *img, int c, int hw, float *cols)
{
	for (int ch = 0; ch < c; ch++)
		for (int i = 0; i < KS; i++)
			for (int j = 0; j < KS; j++) {
				float *row = cols + (size_t)((ch * KS + i) * KS + j) * hw * hw;
				for (int y = 0; y < hw; y++) {
					int sy = y + i - 1;
					for (int x = 0; x < hw; x++) {
						int sx = x + j - 1;
						row[y * hw + x] = sy >= 0 && sy < hw && sx >= 0 && sx < hw
						                      ? img[((size_t)ch * hw + sy) * hw + sx]
						                      : 0;
					}
				}
			}
}

/* the adjoint of im2col: img[ch][y + i - 1][x + j - 1] += cols[...][y * hw + x] */
static void col2im(const float *cols, int c, int hw, float *img)
{
	memset(img, 0, (size_t)c * hw * hw * sizeof *img);
	for (int ch = 0; ch < c; ch++)
		for (int i = 0; i < KS; i++)
			for (int j = 0; j < KS; j++) {
				const float *row = cols + (size_t)((ch * KS + i) * KS + j) * hw * hw;
				for (int y = 0; y < hw; y++) {
					int sy = y + i - 1;
					if (sy < 0 || sy >= hw)
						continue;
					for (int x = 0; x < hw; x++) {
						int sx = x + j - 1;
						if (sx >= 0 && sx < hw)
							img[((size_t)ch * hw + sy) * hw + sx] += row[y * hw + x];
					}
				}
			}
}

static void hand(void *p)
{
	Case *c = p;
	int ck = c->c * KS * KS, np = c->hw * c->hw;
	size_t in = (size_t)c->c * np, out = (size_t)c->o * np;
	float *y = c->gcols; /* y_b first, then gcols */
	double L = 0;
	memset(c->gk, 0, (size_t)c->o * ck * sizeof *c->gk);
	for (int b = 0; b < NB; b++) {
		const float *G = c->G + b * out;
		im2col(c->x + b * in, c->c, c->hw, c->cols);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c->o, np, ck, 1, c->k, ck, c->cols, np, 0, y,
		            np);
		for (size_t i = 0; i < out; i++)
			L += G[i] * y[i];
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->o, ck, np, 1, G, np, c->cols, np, 1, c->gk, ck);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ck, np, c->o, 1, c->k, ck, G, np, 0, c->gcols, np);
		col2im(c->gcols, c->c, c->hw, c->gx + b * in);
	}
	c->L = (float)L;
}

static uint64_t rng = 0x243f6a8885a308d3u;
static float uniform(void) /* in [-1, 1) */
{
	rng = rng * 6364136223846793005u + 1442695040888963407u;
	return (float)((double)(rng >> 11) / 4503599627370496.0 - 1.0);
}

static float *array(size_t n)
{
	float *p = malloc(n * sizeof *p);
	if (!p)
		fail("malloc", 0);
	for (size_t i = 0; i < n; i++)
		p[i] = uniform();
	return p;
}

/* max |a - b| / max |b| */
static double rel_diff(const float *a, const float *b, size_t n)
{
	double d = 0, s = 0;
	for (size_t i = 0; i < n; i++)
		d = fmax(d, fabs(a[i] - b[i])), s = fmax(s, fabs(b[i]));
	return s > 0 ? d / s : d;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "a") && strcmp(argv[1], "b")))
		return fprintf(stderr, "usage: conv a|b ours|hand-blas\n"), 2;
	Case c = {.layer = argv[1][0]};
	c.c = c.layer == 'a' ? 3 : 16, c.o = c.layer == 'a' ? 16 : 32, c.hw = c.layer == 'a' ? 64 : 32;
	int is_ours = strcmp(argv[2], "ours") == 0;
	size_t nx = (size_t)NB * c.c * c.hw * c.hw, nk = (size_t)c.o * c.c * KS * KS,
	       nc = (size_t)c.c * KS * KS * c.hw * c.hw, ny = (size_t)c.o * c.hw * c.hw;
	c.x = array(nx), c.k = array(nk), c.G = array((size_t)NB * ny);
	c.gx = array(nx), c.gk = array(nk), c.cols = array(nc), c.gcols = array(nc > ny ? nc : ny);
	size_t ws = c.layer == 'a' ? conv_a_work_size(NB) : conv_b_work_size(NB);
	c.work = malloc(ws + 1);
	void (*fn)(void *) = is_ours ? ours : hand, (*other)(void *) = is_ours ? hand : ours;
	other(&c);
	float *rx = malloc(nx * sizeof *rx), *rk = malloc(nk * sizeof *rk), rL = c.L;
	memcpy(rx, c.gx, nx * sizeof *rx);
	memcpy(rk, c.gk, nk * sizeof *rk);
	double med, best;
	int reps;
	time_it(fn, &c, 3000, &med, &best, &reps);
	double diff = fmax(rel_diff(c.gx, rx, nx), rel_diff(c.gk, rk, nk));
	printf("{\"problem\": \"conv_%c\", \"impl\": \"%s\", \"ms\": %.6f, \"min_ms\": %.6f, \"reps\": %d, "
	       "\"grad_rel_diff\": %.3g, \"L_rel_diff\": %.3g, \"peak_kb\": %ld}\n",
	       c.layer, argv[2], med, best, reps, diff, fabs(c.L - rL) / fabs(rL), peak_kb());
	return 0;
}
