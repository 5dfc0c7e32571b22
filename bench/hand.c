/* bench/hand.c: the benchmark problems written by hand, as an expert would:
 * analytic derivatives, one pass where one pass does, no temporaries that
 * are not needed. Built plain (-O3 -march=native), with -ffast-math (vector
 * math for sin), and with -DUSE_BLAS (OpenBLAS for the matrix products).
 * usage: hand PROBLEM DATADIR */
#include "common.h"

#include <math.h>

#ifdef USE_BLAS
#include <cblas.h>
#define IMPL "hand+blas"
#elif defined(__FAST_MATH__)
#define IMPL "hand+fastmath"
#else
#define IMPL "hand"
#endif

/* ---- sin: two loops (one loop would make gcc call sincosf, which does not vectorize) */
static float *sx, *sy, *sd;
static void run_sin(void *c)
{
	(void)c;
	for (int i = 0; i < SIN_N; i++)
		sy[i] = sinf(sx[i]);
	for (int i = 0; i < SIN_N; i++)
		sd[i] = cosf(sx[i]);
}

/* ---- mlp */
enum { NB = MLP_B, NI = MLP_IN, NH = MLP_H, NO = MLP_OUT }; /* (I is complex.h's) */
static float *mx, *mt, *w1, *b1, *w2, *b2, loss, *gw1, *gb1, *gw2, *gb2;
static float *z1, *h, *z2, *d2, *dh;

/* c[m x n] = a[m x k] b[k x n] (+ c if acc) */
static void gemm_nn(int m, int n, int k, const float *a, const float *b, float *c, int acc)
{
#ifdef USE_BLAS
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, acc ? 1 : 0, c, n);
#else
	for (int i = 0; i < m; i++) {
		float *ci = c + (size_t)i * n;
		if (!acc)
			for (int j = 0; j < n; j++)
				ci[j] = 0;
		for (int p = 0; p < k; p++) {
			float aip = a[(size_t)i * k + p];
			const float *bp = b + (size_t)p * n;
			for (int j = 0; j < n; j++)
				ci[j] += aip * bp[j];
		}
	}
#endif
}

/* c[m x n] = a^T b with a[k x m], b[k x n] */
static void gemm_tn(int m, int n, int k, const float *a, const float *b, float *c)
{
#ifdef USE_BLAS
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, a, m, b, n, 0, c, n);
#else
	memset(c, 0, (size_t)m * n * sizeof *c);
	for (int p = 0; p < k; p++) {
		const float *ap = a + (size_t)p * m, *bp = b + (size_t)p * n;
		for (int i = 0; i < m; i++) {
			float aip = ap[i];
			float *ci = c + (size_t)i * n;
			for (int j = 0; j < n; j++)
				ci[j] += aip * bp[j];
		}
	}
#endif
}

/* c[m x n] = a b^T with a[m x k], b[n x k] */
static void gemm_nt(int m, int n, int k, const float *a, const float *b, float *c)
{
#ifdef USE_BLAS
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
#else
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			float s = 0;
			for (int p = 0; p < k; p++)
				s += a[(size_t)i * k + p] * b[(size_t)j * k + p];
			c[(size_t)i * n + j] = s;
		}
#endif
}

static void run_mlp(void *c)
{
	(void)c;
	/* forward */
	gemm_nn(NB, NH, NI, mx, w1, z1, 0);
	for (int i = 0; i < NB; i++)
		for (int j = 0; j < NH; j++)
			h[i * NH + j] = tanhf(z1[i * NH + j] + b1[j]);
	gemm_nn(NB, NO, NH, h, w2, z2, 0);
	/* softmax cross-entropy and its delta, row by row */
	double total = 0;
	for (int i = 0; i < NB; i++) {
		float *z = z2 + i * NO, *d = d2 + i * NO;
		const float *t = mt + i * NO;
		float m = -INFINITY, s = 0, ts = 0, tz = 0;
		for (int j = 0; j < NO; j++) {
			z[j] += b2[j];
			m = z[j] > m ? z[j] : m;
		}
		for (int j = 0; j < NO; j++) {
			d[j] = expf(z[j] - m);
			s += d[j];
			ts += t[j];
			tz += t[j] * (z[j] - m);
		}
		total += ts * logf(s) - tz;
		for (int j = 0; j < NO; j++)
			d[j] = (d[j] / s * ts - t[j]) / NB;
	}
	loss = (float)(total / NB);
	/* backward */
	gemm_tn(NH, NO, NB, h, d2, gw2);
	for (int j = 0; j < NO; j++)
		gb2[j] = 0;
	for (int i = 0; i < NB; i++)
		for (int j = 0; j < NO; j++)
			gb2[j] += d2[i * NO + j];
	gemm_nt(NB, NH, NO, d2, w2, dh);
	for (int j = 0; j < NH; j++)
		gb1[j] = 0;
	for (int i = 0; i < NB; i++)
		for (int j = 0; j < NH; j++) {
			float y = h[i * NH + j];
			float d = dh[i * NH + j] * (1 - y * y);
			dh[i * NH + j] = d;
			gb1[j] += d;
		}
	gemm_tn(NI, NH, NB, mx, dh, gw1);
}

/* ---- rosenbrock: one pass over x for the value and the gradient */
static double *rx, *rv, rf, *rg, *rh;
static void run_rosen(void *c)
{
	(void)c;
	const int n = ROSEN_N;
	double f = 0, tprev = 0;
	for (int i = 0; i < n - 1; i++) {
		double xi = rx[i], t = rx[i + 1] - xi * xi, u = 1 - xi;
		f += 100 * t * t + u * u;
		rg[i] = -400 * xi * t - 2 * u + 200 * tprev;
		tprev = t;
	}
	rg[n - 1] = 200 * tprev;
	rf = f;
}

/* the Hessian is tridiagonal: one pass */
static void run_hvp(void *c)
{
	(void)c;
	const int n = ROSEN_N;
	rh[0] = (1200 * rx[0] * rx[0] - 400 * rx[1] + 2) * rv[0] - 400 * rx[0] * rv[1];
	for (int i = 1; i < n - 1; i++)
		rh[i] = (1200 * rx[i] * rx[i] - 400 * rx[i + 1] + 202) * rv[i] - 400 * rx[i] * rv[i + 1] -
		        400 * rx[i - 1] * rv[i - 1];
	rh[n - 1] = 200 * rv[n - 1] - 400 * rx[n - 2] * rv[n - 2];
}

/* ---- logistic regression: z = X w + b; r = (sigmoid(z) - y) / m; gw = X^T r */
static float *lx, *ly, *lw, lb, lloss, *lgw, lgb, *lz;
static void run_lr(void *c)
{
	(void)c;
	const int m = LR_M, d = LR_D;
#ifdef USE_BLAS
	cblas_sgemv(CblasRowMajor, CblasNoTrans, m, d, 1, lx, d, lw, 1, 0, lz, 1);
#else
	for (int i = 0; i < m; i++) {
		float s = 0;
		for (int j = 0; j < d; j++)
			s += lx[(size_t)i * d + j] * lw[j];
		lz[i] = s;
	}
#endif
	double total = 0, gb = 0;
	for (int i = 0; i < m; i++) {
		float z = lz[i] + lb;
		total += fmaxf(z, 0) + log1pf(expf(-fabsf(z))) - ly[i] * z;
		float r = (1 / (1 + expf(-z)) - ly[i]) / m;
		lz[i] = r;
		gb += r;
	}
	lloss = (float)(total / m);
	lgb = (float)gb;
#ifdef USE_BLAS
	cblas_sgemv(CblasRowMajor, CblasTrans, m, d, 1, lx, d, lz, 1, 0, lgw, 1);
#else
	memset(lgw, 0, d * sizeof *lgw);
	for (int i = 0; i < m; i++) {
		float r = lz[i];
		for (int j = 0; j < d; j++)
			lgw[j] += r * lx[(size_t)i * d + j];
	}
#endif
}

static double *to_f64(const float *p, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = p[i];
	return out + n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hand PROBLEM DATADIR\n");
		return 2;
	}
	const char *p = argv[1], *dir = argv[2];
	double med, best;
	int reps;
	if (strcmp(p, "sin") == 0) {
		sx = load(dir, "sin_x", SIN_N * 4);
		sy = malloc(SIN_N * 4);
		sd = malloc(SIN_N * 4);
		time_it(run_sin, NULL, 1500, &med, &best, &reps);
		double *o = malloc(2 * SIN_N * sizeof(double));
		to_f64(sd, SIN_N, to_f64(sy, SIN_N, o));
		save(dir, p, IMPL, o, 2 * SIN_N);
	} else if (strcmp(p, "mlp") == 0) {
		mx = load(dir, "mlp_x", NB * NI * 4);
		mt = load(dir, "mlp_t", NB * NO * 4);
		w1 = load(dir, "mlp_w1", NI * NH * 4);
		b1 = load(dir, "mlp_b1", NH * 4);
		w2 = load(dir, "mlp_w2", NH * NO * 4);
		b2 = load(dir, "mlp_b2", NO * 4);
		gw1 = malloc(NI * NH * 4);
		gb1 = malloc(NH * 4);
		gw2 = malloc(NH * NO * 4);
		gb2 = malloc(NO * 4);
		z1 = malloc(NB * NH * 4);
		h = malloc(NB * NH * 4);
		z2 = malloc(NB * NO * 4);
		d2 = malloc(NB * NO * 4);
		dh = malloc(NB * NH * 4);
		time_it(run_mlp, NULL, 1500, &med, &best, &reps);
		size_t n = 1 + NI * NH + NH + NH * NO + NO;
		double *o = malloc(n * sizeof(double)), *q = o;
		*q++ = loss;
		q = to_f64(gw1, NI * NH, q);
		q = to_f64(gb1, NH, q);
		q = to_f64(gw2, NH * NO, q);
		to_f64(gb2, NO, q);
		save(dir, p, IMPL, o, n);
	} else if (strcmp(p, "rosen") == 0 || strcmp(p, "hvp") == 0) {
		rx = load(dir, "rosen_x", ROSEN_N * 8);
		rv = load(dir, "rosen_v", ROSEN_N * 8);
		rg = malloc(ROSEN_N * 8);
		rh = malloc(ROSEN_N * 8);
		if (strcmp(p, "rosen") == 0) {
			time_it(run_rosen, NULL, 1500, &med, &best, &reps);
			double *o = malloc((ROSEN_N + 1) * sizeof(double));
			o[0] = rf;
			memcpy(o + 1, rg, ROSEN_N * 8);
			save(dir, p, IMPL, o, ROSEN_N + 1);
		} else {
			time_it(run_hvp, NULL, 1500, &med, &best, &reps);
			save(dir, p, IMPL, rh, ROSEN_N);
		}
	} else if (strcmp(p, "logreg") == 0) {
		lx = load(dir, "lr_x", LR_M * LR_D * 4);
		ly = load(dir, "lr_y", LR_M * 4);
		lw = load(dir, "lr_w", LR_D * 4);
		float *b = load(dir, "lr_b", 4);
		lb = *b;
		lgw = malloc(LR_D * 4);
		lz = malloc(LR_M * 4);
		time_it(run_lr, NULL, 1500, &med, &best, &reps);
		double o[2 + LR_D];
		o[0] = lloss;
		to_f64(lgw, LR_D, o + 1);
		o[1 + LR_D] = lgb;
		save(dir, p, IMPL, o, 2 + LR_D);
	} else {
		fprintf(stderr, "unknown problem %s\n", p);
		return 2;
	}
	report(p, IMPL, med, best, reps);
	return 0;
}
