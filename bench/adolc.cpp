// bench/adolc.cpp: the benchmark problems with ADOL-C 2.7 (operator
// overloading, a tape). Each problem is taped once; what is timed is the
// evaluation of the value and the gradient from the tape (zos_forward then
// fos_reverse, or gradient(); hess_vec() for the Hessian-vector product;
// zos_forward alone for the objective-only problems, named *_f).
// usage: adolc PROBLEM DATADIR
#include <adolc/adolc.h>
#include <cmath>

extern "C" {
#include "common.h"
}

static const char *dir;
static int n_in, n_out;
static double *xin, *yout, *weights, *grad, *vdir;

static void run_vjp(void *)
{
	zos_forward(1, n_out, n_in, 1, xin, yout);
	fos_reverse(1, n_out, n_in, weights, grad);
}

static void run_grad(void *)
{
	gradient(1, n_in, xin, grad);
}

static void run_hvp(void *)
{
	hess_vec(1, n_in, xin, vdir, grad);
}

static void run_forward(void *)
{
	zos_forward(1, n_out, n_in, 0, xin, yout);
}

/* What the reverse sweep reads: the tape (operations, one byte each;
 * locations; constants) and the values zos_forward keeps (the Taylor stack). */
static size_t tape_bytes(void)
{
	size_t st[STAT_SIZE];
	tapestats(1, st);
	return st[NUM_OPERATIONS] + st[NUM_LOCATIONS] * sizeof(locint) + st[NUM_VALUES] * sizeof(double) +
	       st[TAY_STACK_SIZE] * sizeof(double);
}

static double *f32_to_f64(const float *p, size_t n)
{
	double *d = (double *)malloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = p[i];
	return d;
}

static void rosen_tape(int n)
{
	trace_on(1);
	adouble *x = new adouble[n];
	for (int i = 0; i < n; i++)
		x[i] <<= xin[i];
	adouble f = 0;
	for (int i = 0; i < n - 1; i++) {
		adouble t = x[i + 1] - x[i] * x[i], u = 1 - x[i];
		f += 100 * t * t + u * u;
	}
	double fv;
	f >>= fv;
	trace_off();
	delete[] x;
}

/* GradBench's ode: y(0) = 0, y' = f(x, y), f_0 = x_0, f_i = x_i y_{i-1},
 * RK4 with `steps` steps to t = 2. The dependents are the whole y(2), so that
 * one zos_forward gives the value; the gradient of y_{n-1} is fos_reverse
 * with the weights e_{n-1} (the same sweep as gradient() of y_{n-1} alone). */
static void ode_f(const adouble *x, const adouble *z, adouble *k)
{
	k[0] = x[0];
	for (int i = 1; i < ODE_N; i++)
		k[i] = x[i] * z[i - 1];
}

static void ode_tape(int steps)
{
	const double h = 2.0 / steps;
	trace_on(1);
	adouble x[ODE_N], y[ODE_N], z[ODE_N], k1[ODE_N], k2[ODE_N], k3[ODE_N], k4[ODE_N];
	for (int i = 0; i < ODE_N; i++) {
		x[i] <<= xin[i];
		y[i] = 0;
	}
	for (int t = 0; t < steps; t++) {
		ode_f(x, y, k1);
		for (int i = 0; i < ODE_N; i++)
			z[i] = y[i] + h / 2 * k1[i];
		ode_f(x, z, k2);
		for (int i = 0; i < ODE_N; i++)
			z[i] = y[i] + h / 2 * k2[i];
		ode_f(x, z, k3);
		for (int i = 0; i < ODE_N; i++)
			z[i] = y[i] + h * k3[i];
		ode_f(x, z, k4);
		for (int i = 0; i < ODE_N; i++)
			y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
	}
	for (int i = 0; i < ODE_N; i++)
		y[i] >>= yout[i];
	trace_off();
}

/* ADBench's D-LSTM (../shared/adbench/README.md, "LSTM"); the independents
 * are main_params (8lb) then extra_params (3b), row-major. */
static adouble sigmoid(const adouble &a)
{
	return 1 / (1 + exp(-a));
}

static void lstm_tape(const double *state, const double *seq)
{
	enum { L = LSTM_L, C = LSTM_C, B = LSTM_B };
	trace_on(1);
	adouble *w = new adouble[n_in];
	for (int i = 0; i < n_in; i++)
		w[i] <<= xin[i];
	const adouble *win = w + 8 * L * B, *wout = win + B, *bout = wout + B;
	adouble h[L][B], c[L][B], x[B], y[B];
	for (int i = 0; i < L; i++)
		for (int j = 0; j < B; j++) {
			h[i][j] = state[2 * i * B + j];
			c[i][j] = state[(2 * i + 1) * B + j];
		}
	adouble total = 0;
	for (int t = 0; t < C - 1; t++) {
		const double *in = seq + t * B, *gold = in + B;
		for (int j = 0; j < B; j++)
			x[j] = in[j] * win[j];
		for (int i = 0; i < L; i++) {
			const adouble *wi = w + 8 * i * B, *bi = wi + 4 * B;
			for (int j = 0; j < B; j++) {
				adouble f = sigmoid(x[j] * wi[j] + bi[j]);
				adouble gi = sigmoid(h[i][j] * wi[B + j] + bi[B + j]);
				adouble o = sigmoid(x[j] * wi[2 * B + j] + bi[2 * B + j]);
				adouble g = tanh(h[i][j] * wi[3 * B + j] + bi[3 * B + j]);
				c[i][j] = c[i][j] * f + gi * g;
				h[i][j] = o * tanh(c[i][j]);
				x[j] = h[i][j];
			}
		}
		adouble sum = 0;
		for (int j = 0; j < B; j++) {
			y[j] = x[j] * wout[j] + bout[j];
			sum += exp(y[j]);
		}
		adouble lse = log(sum + 2);
		for (int j = 0; j < B; j++)
			total += gold[j] * (y[j] - lse);
	}
	adouble loss = -total / ((C - 1) * B);
	loss >>= yout[0];
	trace_off();
	delete[] w;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: adolc PROBLEM DATADIR\n");
		return 2;
	}
	const char *p = argv[1];
	dir = argv[2];
	double med, best;
	int reps;
	void (*run)(void *) = run_vjp;
	size_t nsave = 0;
	double *save_from = NULL;
	size_t tape = 0; /* bytes kept for the reverse sweep, where there is one */
	if (strcmp(p, "sin") == 0) {
		n_in = n_out = SIN_N;
		xin = f32_to_f64((const float *)load(dir, "sin_x", SIN_N * 4), SIN_N);
		trace_on(1);
		adouble *x = new adouble[SIN_N];
		for (int i = 0; i < SIN_N; i++)
			x[i] <<= xin[i];
		for (int i = 0; i < SIN_N; i++) {
			adouble y = sin(x[i]);
			double v;
			y >>= v;
		}
		trace_off();
		delete[] x;
		yout = (double *)malloc(SIN_N * sizeof(double));
		weights = (double *)malloc(SIN_N * sizeof(double));
		grad = (double *)malloc(SIN_N * sizeof(double));
		for (int i = 0; i < SIN_N; i++)
			weights[i] = 1;
		time_it(run, NULL, 3000, &med, &best, &reps);
		double *o = (double *)malloc(2 * SIN_N * sizeof(double));
		memcpy(o, yout, SIN_N * sizeof(double));
		memcpy(o + SIN_N, grad, SIN_N * sizeof(double));
		save(dir, p, "adolc", o, 2 * SIN_N);
	} else if (strcmp(p, "mlp") == 0) {
		enum { B = MLP_B, I = MLP_IN, H = MLP_H, O = MLP_OUT };
		const float *x = (const float *)load(dir, "mlp_x", B * I * 4),
		            *t = (const float *)load(dir, "mlp_t", B * O * 4);
		/* the independents: w1, b1, w2, b2 */
		n_in = I * H + H + H * O + O;
		n_out = 1;
		xin = (double *)malloc(n_in * sizeof(double));
		double *q = xin;
		const char *names[4] = {"mlp_w1", "mlp_b1", "mlp_w2", "mlp_b2"};
		size_t sizes[4] = {(size_t)I * H, H, (size_t)H * O, O};
		for (int k = 0; k < 4; k++) {
			const float *v = (const float *)load(dir, names[k], sizes[k] * 4);
			for (size_t i = 0; i < sizes[k]; i++)
				*q++ = v[i];
		}
		trace_on(1);
		adouble *w = new adouble[n_in];
		for (int i = 0; i < n_in; i++)
			w[i] <<= xin[i];
		adouble *w1 = w, *b1 = w + I * H, *w2 = b1 + H, *b2 = w2 + H * O;
		adouble loss = 0, *h = new adouble[H], z[O];
		for (int r = 0; r < B; r++) {
			for (int j = 0; j < H; j++) {
				adouble s = b1[j];
				for (int k = 0; k < I; k++)
					s += x[r * I + k] * w1[k * H + j];
				h[j] = tanh(s);
			}
			adouble m = -1e30;
			for (int o = 0; o < O; o++) {
				adouble s = b2[o];
				for (int j = 0; j < H; j++)
					s += h[j] * w2[j * O + o];
				z[o] = s;
				m = fmax(m, s);
			}
			adouble se = 0;
			for (int o = 0; o < O; o++)
				se += exp(z[o] - m);
			adouble lse = m + log(se);
			for (int o = 0; o < O; o++)
				loss += t[r * O + o] * (lse - z[o]);
		}
		loss /= B;
		double lv;
		loss >>= lv;
		trace_off();
		delete[] w;
		delete[] h;
		grad = (double *)malloc(n_in * sizeof(double));
		run = run_grad;
		time_it(run, NULL, 3000, &med, &best, &reps);
		double *o = (double *)malloc((n_in + 1) * sizeof(double));
		double yv;
		zos_forward(1, 1, n_in, 0, xin, &yv);
		o[0] = yv;
		memcpy(o + 1, grad, n_in * sizeof(double));
		save(dir, p, "adolc", o, n_in + 1);
	} else if (strcmp(p, "rosen") == 0 || strcmp(p, "hvp") == 0) {
		n_in = ROSEN_N;
		n_out = 1;
		xin = (double *)load(dir, "rosen_x", ROSEN_N * 8);
		vdir = (double *)load(dir, "rosen_v", ROSEN_N * 8);
		rosen_tape(ROSEN_N);
		grad = (double *)malloc(ROSEN_N * sizeof(double));
		run = strcmp(p, "rosen") == 0 ? run_grad : run_hvp;
		time_it(run, NULL, 3000, &med, &best, &reps);
		if (strcmp(p, "rosen") == 0) {
			double *o = (double *)malloc((ROSEN_N + 1) * sizeof(double)), yv;
			zos_forward(1, 1, n_in, 0, xin, &yv);
			o[0] = yv;
			memcpy(o + 1, grad, ROSEN_N * sizeof(double));
			save(dir, p, "adolc", o, ROSEN_N + 1);
		} else {
			save(dir, p, "adolc", grad, ROSEN_N);
		}
	} else if (strcmp(p, "logreg") == 0) {
		const float *x = (const float *)load(dir, "lr_x", LR_M * LR_D * 4),
		            *y = (const float *)load(dir, "lr_y", LR_M * 4);
		n_in = LR_D + 1;
		n_out = 1;
		xin = f32_to_f64((const float *)load(dir, "lr_w", LR_D * 4), LR_D);
		xin = (double *)realloc(xin, (LR_D + 1) * sizeof(double));
		xin[LR_D] = *(const float *)load(dir, "lr_b", 4);
		trace_on(1);
		adouble *w = new adouble[LR_D + 1];
		for (int i = 0; i <= LR_D; i++)
			w[i] <<= xin[i];
		adouble loss = 0;
		for (int i = 0; i < LR_M; i++) {
			adouble z = w[LR_D];
			for (int j = 0; j < LR_D; j++)
				z += x[(size_t)i * LR_D + j] * w[j];
			loss += fmax(z, 0) + log(1 + exp(-fabs(z))) - y[i] * z;
		}
		loss /= LR_M;
		double lv;
		loss >>= lv;
		trace_off();
		delete[] w;
		grad = (double *)malloc((LR_D + 1) * sizeof(double));
		run = run_grad;
		time_it(run, NULL, 3000, &med, &best, &reps);
		double o[2 + LR_D], yv;
		zos_forward(1, 1, n_in, 0, xin, &yv);
		o[0] = yv;
		memcpy(o + 1, grad, (LR_D + 1) * sizeof(double));
		save(dir, p, "adolc", o, 2 + LR_D);
	} else if (!strcmp(p, "ode1k") || !strcmp(p, "ode10k") || !strcmp(p, "ode1k_f") || !strcmp(p, "ode10k_f")) {
		n_in = n_out = ODE_N;
		xin = (double *)load(dir, "ode_x", ODE_N * 8);
		yout = (double *)malloc(ODE_N * sizeof(double));
		ode_tape(strncmp(p, "ode10k", 6) == 0 ? ODE_S2 : ODE_S1);
		if (strchr(p, '_')) {
			time_it(run_forward, NULL, 3000, &med, &best, &reps);
			save(dir, p, "adolc", yout, ODE_N);
		} else {
			weights = (double *)calloc(ODE_N, sizeof(double));
			weights[ODE_N - 1] = 1;
			grad = (double *)malloc(ODE_N * sizeof(double));
			time_it(run_vjp, NULL, 3000, &med, &best, &reps);
			tape = tape_bytes();
			double o[2 * ODE_N];
			memcpy(o, yout, ODE_N * sizeof(double));
			memcpy(o + ODE_N, grad, ODE_N * sizeof(double));
			save(dir, p, "adolc", o, 2 * ODE_N);
		}
	} else if (strcmp(p, "lstm") == 0 || strcmp(p, "lstm_f") == 0) {
		enum { L = LSTM_L, C = LSTM_C, B = LSTM_B };
		n_in = 8 * L * B + 3 * B;
		n_out = 1;
		xin = (double *)malloc(n_in * sizeof(double));
		memcpy(xin, load(dir, "lstm_main", 8 * L * B * 8), 8 * L * B * 8);
		memcpy(xin + 8 * L * B, load(dir, "lstm_extra", 3 * B * 8), 3 * B * 8);
		yout = (double *)malloc(sizeof(double));
		lstm_tape((const double *)load(dir, "lstm_state", 2 * L * B * 8),
		          (const double *)load(dir, "lstm_seq", (size_t)C * B * 8));
		if (strcmp(p, "lstm_f") == 0) {
			time_it(run_forward, NULL, 3000, &med, &best, &reps);
			save(dir, p, "adolc", yout, 1);
		} else {
			grad = (double *)malloc(n_in * sizeof(double));
			time_it(run_grad, NULL, 3000, &med, &best, &reps);
			tape = tape_bytes();
			double *o = (double *)malloc((n_in + 1) * sizeof(double));
			zos_forward(1, 1, n_in, 0, xin, o);
			memcpy(o + 1, grad, n_in * sizeof(double));
			save(dir, p, "adolc", o, n_in + 1);
		}
	} else {
		fprintf(stderr, "unknown problem %s\n", p);
		return 2;
	}
	(void)nsave;
	(void)save_from;
	if (tape)
		report_bytes(p, "adolc", med, best, reps, tape);
	else
		report(p, "adolc", med, best, reps);
	return 0;
}
