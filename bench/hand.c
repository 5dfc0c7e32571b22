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

/* ---- ode (GradBench's): y(0) = 0, y' = f(x, y) with f_0 = x_0 and f_i =
 * x_i y_{i-1}, classic RK4 with `osteps` steps to t = 2; the value is y(2),
 * the derivative the gradient of y_{n-1}(2) with respect to x. The tape is
 * the state at the start of every step (osteps x n); the reverse sweep
 * recomputes the step's stages from it and goes back through them. Element
 * i of a stage reads element i - 1 of the one before, so a step is one loop
 * over i carrying element i - 1 (loops per stage, which gcc vectorizes,
 * reload shifted vectors that were just stored, and are twice as slow). */
enum { ON = ODE_N };
static double ox[ON], oy[ON], og[ON], *otape; /* x an array, not a pointer: no store can alias it (25 % faster) */
static int osteps;

/* One RK4 step, y in place: k_j = f(x, z_j) with z_1 = y, z_2 = y + h/2 k_1,
 * z_3 = y + h/2 k_2, z_4 = y + h k_3; y += h/6 (k_1 + 2 k_2 + 2 k_3 + k_4).
 * With z, also the arguments z_2, z_3, z_4 (rows of n). */
static void ode_step(double *y, double h, double (*z)[ON])
{
	double y1 = 0, z2p = 0, z3p = 0, z4p = 0; /* element i - 1 of z_1 .. z_4 */
	for (int i = 0; i < ON; i++) {
		double xi = ox[i], yi = y[i];
		double k1 = i ? xi * y1 : xi, z2 = yi + h / 2 * k1;
		double k2 = i ? xi * z2p : xi, z3 = yi + h / 2 * k2;
		double k3 = i ? xi * z3p : xi, z4 = yi + h * k3;
		double k4 = i ? xi * z4p : xi;
		y[i] = yi + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
		if (z) {
			z[0][i] = z2;
			z[1][i] = z3;
			z[2][i] = z4;
		}
		y1 = yi;
		z2p = z2;
		z3p = z3;
		z4p = z4;
	}
}

static void run_ode_f(void *c)
{
	(void)c;
	const double h = 2.0 / osteps;
	for (int i = 0; i < ON; i++)
		oy[i] = 0;
	for (int t = 0; t < osteps; t++)
		ode_step(oy, h, NULL);
}

static void run_ode(void *c)
{
	(void)c;
	const double h = 2.0 / osteps;
	for (int i = 0; i < ON; i++)
		oy[i] = og[i] = 0;
	for (int t = 0; t < osteps; t++) {
		memcpy(otape + (size_t)t * ON, oy, sizeof oy);
		ode_step(oy, h, NULL);
	}
	/* yb: the adjoint of the state, e_{n-1} at t = 2, back to t = 0 */
	double yb[ON] = {0};
	yb[ON - 1] = 1;
	for (int t = osteps - 1; t >= 0; t--) {
		const double *y = otape + (size_t)t * ON;
		double w[ON], z[3][ON];
		memcpy(w, y, sizeof w);
		ode_step(w, h, z);
		/* Element i, from the last down: kb_j = h/6 yb (j = 1, 4) or h/3 yb
		 * (j = 2, 3), plus what z_{j+1} = y + c k_j passes back; z_jb[i] =
		 * kb_j[i + 1] x_{i+1}, as k_j[i + 1] = x_{i+1} z_j[i]. The kb_j
		 * carried are element i + 1's. */
		double kb1 = 0, kb2 = 0, kb3 = 0, kb4 = 0, xn = 0;
		for (int i = ON - 1; i >= 0; i--) {
			double b = yb[i];
			double z1b = kb1 * xn, z2b = kb2 * xn, z3b = kb3 * xn, z4b = kb4 * xn;
			kb4 = h / 6 * b;
			kb3 = h / 3 * b + h * z4b;
			kb2 = h / 3 * b + h / 2 * z3b;
			kb1 = h / 6 * b + h / 2 * z2b;
			yb[i] = b + z4b + z3b + z2b + z1b;
			/* k_j[0] = x_0, k_j[i] = x_i z_j[i - 1] */
			if (i)
				og[i] += kb1 * y[i - 1] + kb2 * z[0][i - 1] + kb3 * z[1][i - 1] + kb4 * z[2][i - 1];
			else
				og[0] += kb1 + kb2 + kb3 + kb4;
			xn = ox[i];
		}
	}
}

/* ---- lstm (ADBench's D-LSTM, ../shared/adbench/README.md "LSTM"): l layers
 * of b cells, c - 1 steps. main: row 2i layer i's weights [forget | input |
 * output | change], row 2i + 1 their biases; extra: [in_weight, out_weight,
 * out_bias]; the state's row 2i is h_i, row 2i + 1 c_i. */
enum { LL = LSTM_L, LC = LSTM_C, LB = LSTM_B };
/* The tape, per step: for each layer the rows below (b each), then the
 * output's softmax weights exp(y) / (sum(exp(y)) + 2). */
enum { T_X, T_H, T_C, T_F, T_I, T_O, T_G, T_TC, T_ROWS }; /* input, h and c before, gates, tanh(new c) */
enum { LSTEP = (LL * T_ROWS + 1) * LB };
/* the parameters and the gradient as arrays, as x above (3 % faster than pointers) */
static double lmain[8 * LL * LB], lextra[3 * LB], lstate[2 * LL * LB], lgrad[(8 * LL + 3) * LB];
static double *lseq, lsloss, *ltape;

static double sigmoid(double a)
{
	return 1 / (1 + exp(-a));
}

/* the loss; with a tape, what the reverse sweep needs */
static double lstm_forward(double *tape)
{
	double h[LL][LB], c[LL][LB], x[LB], y[LB], e[LB];
	for (int i = 0; i < LL; i++) {
		memcpy(h[i], lstate + 2 * i * LB, sizeof h[i]);
		memcpy(c[i], lstate + (2 * i + 1) * LB, sizeof c[i]);
	}
	const double *win = lextra, *wout = lextra + LB, *bout = lextra + 2 * LB;
	double total = 0;
	for (int t = 0; t < LC - 1; t++) {
		const double *in = lseq + t * LB, *gold = in + LB;
		double *tp = tape ? tape + (size_t)t * LSTEP : NULL;
		for (int j = 0; j < LB; j++)
			x[j] = in[j] * win[j];
		for (int i = 0; i < LL; i++) {
			const double *w = lmain + 8 * i * LB, *bb = w + 4 * LB;
			double *r = tp ? tp + i * T_ROWS * LB : NULL;
			for (int j = 0; j < LB; j++) {
				double f = sigmoid(x[j] * w[j] + bb[j]);
				double gi = sigmoid(h[i][j] * w[LB + j] + bb[LB + j]);
				double o = sigmoid(x[j] * w[2 * LB + j] + bb[2 * LB + j]);
				double g = tanh(h[i][j] * w[3 * LB + j] + bb[3 * LB + j]);
				double cn = c[i][j] * f + gi * g, tc = tanh(cn);
				if (r) {
					r[T_X * LB + j] = x[j];
					r[T_H * LB + j] = h[i][j];
					r[T_C * LB + j] = c[i][j];
					r[T_F * LB + j] = f;
					r[T_I * LB + j] = gi;
					r[T_O * LB + j] = o;
					r[T_G * LB + j] = g;
					r[T_TC * LB + j] = tc;
				}
				c[i][j] = cn;
				h[i][j] = x[j] = o * tc;
			}
		}
		double sum = 0;
		for (int j = 0; j < LB; j++) {
			y[j] = x[j] * wout[j] + bout[j];
			e[j] = exp(y[j]);
			sum += e[j];
		}
		sum += 2;
		double lse = log(sum);
		for (int j = 0; j < LB; j++)
			total += gold[j] * (y[j] - lse);
		if (tp)
			for (int j = 0; j < LB; j++)
				tp[LL * T_ROWS * LB + j] = e[j] / sum;
	}
	return -total / ((LC - 1) * LB);
}

static void run_lstm_f(void *c)
{
	(void)c;
	lsloss = lstm_forward(NULL);
}

/* loss and gradient: lgrad = [main (8lb), extra (3b)] */
static void run_lstm(void *c)
{
	(void)c;
	lsloss = lstm_forward(ltape);
	double *gmain = lgrad, *gin = lgrad + 8 * LL * LB, *gout = gin + LB, *gbout = gout + LB;
	memset(lgrad, 0, (8 * LL + 3) * LB * sizeof *lgrad);
	const double *wout = lextra + LB;
	/* dh, dc: the adjoints of the states carried back from step t + 1; dx
	 * that of the layer's output, from the layer above or the loss */
	double dh[LL][LB] = {{0}}, dc[LL][LB] = {{0}}, dx[LB];
	const double dtotal = -1.0 / ((LC - 1) * LB);
	for (int t = LC - 2; t >= 0; t--) {
		const double *tp = ltape + (size_t)t * LSTEP, *in = lseq + t * LB, *gold = in + LB;
		const double *p = tp + LL * T_ROWS * LB, *top = tp + (LL - 1) * T_ROWS * LB;
		/* total += sum_j gold_j (y_j - lse): dy_j = gold_j - sum(gold) p_j */
		double gs = 0;
		for (int j = 0; j < LB; j++)
			gs += gold[j];
		for (int j = 0; j < LB; j++) {
			double dy = dtotal * (gold[j] - gs * p[j]);
			gout[j] += dy * (top[T_O * LB + j] * top[T_TC * LB + j]);
			gbout[j] += dy;
			dx[j] = dy * wout[j];
		}
		for (int i = LL - 1; i >= 0; i--) {
			const double *r = tp + i * T_ROWS * LB, *w = lmain + 8 * i * LB;
			double *gw = gmain + 8 * i * LB, *gb = gw + 4 * LB;
			for (int j = 0; j < LB; j++) {
				double f = r[T_F * LB + j], gi = r[T_I * LB + j], o = r[T_O * LB + j],
				       g = r[T_G * LB + j], tc = r[T_TC * LB + j];
				double dhn = dh[i][j] + dx[j];
				double dcn = dc[i][j] + dhn * o * (1 - tc * tc);
				/* the gates' pre-activations */
				double af = dcn * r[T_C * LB + j] * f * (1 - f), ai = dcn * g * gi * (1 - gi),
				       ao = dhn * tc * o * (1 - o), ag = dcn * gi * (1 - g * g);
				double xin = r[T_X * LB + j], hp = r[T_H * LB + j];
				gw[j] += af * xin;
				gb[j] += af;
				gw[LB + j] += ai * hp;
				gb[LB + j] += ai;
				gw[2 * LB + j] += ao * xin;
				gb[2 * LB + j] += ao;
				gw[3 * LB + j] += ag * hp;
				gb[3 * LB + j] += ag;
				dc[i][j] = dcn * f;
				dh[i][j] = ai * w[LB + j] + ag * w[3 * LB + j];
				dx[j] = af * w[j] + ao * w[2 * LB + j];
			}
		}
		/* x = seq[t] .* in_weight */
		for (int j = 0; j < LB; j++)
			gin[j] += dx[j] * in[j];
	}
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
	size_t tape = 0; /* bytes kept for the reverse sweep, where there is one */
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
	} else if (!strcmp(p, "ode1k") || !strcmp(p, "ode10k") || !strcmp(p, "ode1k_f") || !strcmp(p, "ode10k_f")) {
		memcpy(ox, load(dir, "ode_x", ON * 8), sizeof ox);
		osteps = strncmp(p, "ode10k", 6) == 0 ? ODE_S2 : ODE_S1;
		if (strchr(p, '_')) {
			time_it(run_ode_f, NULL, 1500, &med, &best, &reps);
			save(dir, p, IMPL, oy, ON);
		} else {
			tape = (size_t)osteps * ON * sizeof *otape;
			otape = malloc(tape);
			time_it(run_ode, NULL, 1500, &med, &best, &reps);
			double o[2 * ON];
			memcpy(o, oy, sizeof oy);
			memcpy(o + ON, og, sizeof og);
			save(dir, p, IMPL, o, 2 * ON);
		}
	} else if (strcmp(p, "lstm") == 0 || strcmp(p, "lstm_f") == 0) {
		memcpy(lmain, load(dir, "lstm_main", sizeof lmain), sizeof lmain);
		memcpy(lextra, load(dir, "lstm_extra", sizeof lextra), sizeof lextra);
		memcpy(lstate, load(dir, "lstm_state", sizeof lstate), sizeof lstate);
		lseq = load(dir, "lstm_seq", (size_t)LC * LB * 8);
		if (strcmp(p, "lstm_f") == 0) {
			time_it(run_lstm_f, NULL, 1500, &med, &best, &reps);
			save(dir, p, IMPL, &lsloss, 1);
		} else {
			tape = (size_t)(LC - 1) * LSTEP * sizeof *ltape;
			ltape = malloc(tape);
			time_it(run_lstm, NULL, 1500, &med, &best, &reps);
			size_t n = 1 + (8 * LL + 3) * LB;
			double *o = malloc(n * sizeof *o);
			o[0] = lsloss;
			memcpy(o + 1, lgrad, (n - 1) * sizeof *o);
			save(dir, p, IMPL, o, n);
		}
	} else {
		fprintf(stderr, "unknown problem %s\n", p);
		return 2;
	}
	if (tape)
		report_bytes(p, IMPL, med, best, reps, tape);
	else
		report(p, IMPL, med, best, reps);
	return 0;
}
