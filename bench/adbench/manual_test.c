/* Checks the hand-written GMM and LSTM gradients of manual.c against central finite differences of the matching
 * objectives (4-point Richardson stencil, along random directions and per coordinate), and the objectives against
 * plain transcriptions of shared/adbench/README.md. Built-in random instances always; with arguments
 *   manual_test GMMFILE LSTMFILE
 * also one ADBench data file of each kind, whose objective values are printed with 17 digits. Exits nonzero when
 * the worst relative error exceeds 1e-8. */
#include "manual.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOLERANCE 1e-8

static double worst_fd, worst_ref;
static int failures;

/* splitmix64, uniform doubles in [lo, hi) */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static double uniform(double lo, double hi)
{
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return lo + (hi - lo) * ((double)(z >> 11) / 9007199254740992.0);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

static void fill(double *a, size_t n, double lo, double hi)
{
	size_t i;
	for (i = 0; i < n; i++)
		a[i] = uniform(lo, hi);
}

/* ---- a problem seen as a function of one flat parameter vector ---- */

/* The finite differences difference the README's objective transcribed in long double (on x86-64 its 64-bit
 * mantissa leaves about 1000 times less rounding noise than double in f(theta + h) - f(theta - h)), so that the
 * comparison reaches 1e-8 even where f is 3e4 and a gradient entry 1. manual.c's double objective is compared with
 * that same transcription separately. */
typedef long double real;

struct problem {
	const char *name;
	size_t np;                                   /* parameters */
	double *theta;                               /* np, the point */
	double (*f)(struct problem *);               /* manual objective at theta */
	double (*g)(struct problem *, double *);     /* manual objective and gradient at theta */
	real (*ref)(struct problem *, const real *); /* README transcription at a point */
	real *tl;                                    /* np, the perturbed point */
	void *work;
	/* GMM */
	int d, k, n, m;
	double gamma;
	const double *x;
	/* LSTM */
	int l, c, b;
	const double *state, *seq;
};

/* the reference at theta + step * dir, or at theta + step * e_j when dir is NULL */
static real ref_at(struct problem *p, const double *dir, size_t j, real step)
{
	size_t i;
	for (i = 0; i < p->np; i++)
		p->tl[i] = p->theta[i];
	if (dir)
		for (i = 0; i < p->np; i++)
			p->tl[i] += step * dir[i];
	else
		p->tl[j] += step;
	return p->ref(p, p->tl);
}

/* 4-point Richardson stencil: (8 (f(h) - f(-h)) - (f(2h) - f(-2h))) / 12h */
static double fd(struct problem *p, const double *dir, size_t j, real h)
{
	real a = ref_at(p, dir, j, h) - ref_at(p, dir, j, -h), b = ref_at(p, dir, j, 2 * h) - ref_at(p, dir, j, -2 * h);
	return (double)((8 * a - b) / (12 * h));
}

static void report(const char *what, const char *name, double err, double *worst)
{
	if (err > *worst)
		*worst = err;
	if (!(err <= TOLERANCE))
		failures++;
	printf("  %-34s %-24s worst rel err %.3e%s\n", name, what, err, err <= TOLERANCE ? "" : "  FAIL");
}

/* |a - b| relative to the larger of |a|, |b| and floor */
static double relerr(double a, double b, double floor)
{
	double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	if (s < floor)
		s = floor;
	return s > 0 ? fabs(a - b) / s : 0;
}

/* The stencil's error is truncation, falling as h^4, plus rounding, growing as 1/h; which one dominates depends on
 * the entry (3e3 entries of a GMM with f = -3e4 want a small h, 1e-7 entries of an LSTM a large one). Each value is
 * therefore compared with the stencil at h = 1e-4, and only when that misses 1e-10 also at 4e-4, 1.6e-3 and 2.5e-5,
 * keeping the best agreement: an analytic value off by more than 1e-8 fails at every h. */
static double fd_err(struct problem *p, const double *dir, size_t j, double an, double floor)
{
	static const double hs[4] = {1e-4, 4e-4, 1.6e-3, 2.5e-5};
	double best = HUGE_VAL, e;
	int i;
	for (i = 0; i < 4 && best > 1e-10; i++) {
		e = relerr(an, fd(p, dir, j, hs[i]), floor);
		if (e < best)
			best = e;
	}
	return best;
}

/* ndirs random unit directions, and every coordinate when percoord. A coordinate's error is relative to the larger
 * of the two values, floored at 1e-6 of the gradient's largest entry: an entry that is zero (the alpha gradient of a
 * single component is) is thus measured on the gradient's scale. */
static double check(struct problem *p, int ndirs, int percoord)
{
	double *grad = xmalloc(p->np * sizeof(double)), *dir = xmalloc(p->np * sizeof(double));
	double f = p->f(p), fg = p->g(p, grad), e, err, gmax = 0;
	int r;
	size_t j;

	p->tl = xmalloc(p->np * sizeof(real));
	report("f(gradient) vs f", p->name, relerr(fg, f, 0), &worst_ref);
	report("f vs README (long dbl)", p->name, relerr(f, (double)ref_at(p, NULL, 0, 0), 0), &worst_ref);
	for (j = 0; j < p->np; j++)
		if (fabs(grad[j]) > gmax)
			gmax = fabs(grad[j]);

	err = 0;
	for (r = 0; r < ndirs; r++) {
		double an = 0, nrm = 0;
		fill(dir, p->np, -1, 1);
		for (j = 0; j < p->np; j++)
			nrm += dir[j] * dir[j];
		nrm = sqrt(nrm);
		for (j = 0; j < p->np; j++) {
			dir[j] /= nrm;
			an += grad[j] * dir[j];
		}
		e = fd_err(p, dir, 0, an, 0);
		if (e > err)
			err = e;
	}
	if (ndirs)
		report("directional FD", p->name, err, &worst_fd);
	if (percoord) {
		err = 0;
		for (j = 0; j < p->np; j++) {
			e = fd_err(p, NULL, j, grad[j], 1e-6 * gmax);
			if (e > err)
				err = e;
		}
		report("per-coordinate FD", p->name, err, &worst_fd);
	}
	free(p->tl);
	free(grad);
	free(dir);
	return f;
}

/* ---- GMM ---- */

static double gmm_f(struct problem *p)
{
	int k = p->k, d = p->d;
	double *a = p->theta;
	return manual_gmm_objective(d, k, p->n, a, a + k, a + k + k * d, p->x, p->gamma, p->m, p->work);
}

static double gmm_g(struct problem *p, double *grad)
{
	int k = p->k, d = p->d;
	double *a = p->theta;
	return manual_gmm_gradient(d, k, p->n, a, a + k, a + k + k * d, p->x, p->gamma, p->m, grad, p->work);
}

/* The README, literally: dense Q per component, LSE with the maximum subtracted. */
static real gmm_ref(struct problem *p, const real *theta)
{
	int d = p->d, k = p->k, n = p->n, t = d * (d + 1) / 2, i, j, r, c, idx;
	const real pi = 3.14159265359L, *alpha = theta, *mu = alpha + k, *icf = mu + k * d;
	real *Q = xmalloc((size_t)k * d * d * sizeof(real)), *beta = xmalloc(k * sizeof(real));
	real *v = xmalloc(d * sizeof(real)), f = -n * d / 2.0L * logl(2 * pi), mx, s, nw, C, lgd;
	for (j = 0; j < k * d * d; j++)
		Q[j] = 0;
	for (j = 0; j < k; j++) {
		real *Qj = Q + (size_t)j * d * d;
		for (r = 0; r < d; r++)
			Qj[r * d + r] = expl(icf[j * t + r]);
		idx = d;
		for (c = 0; c < d; c++)
			for (r = c + 1; r < d; r++)
				Qj[r * d + c] = icf[j * t + idx++];
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++) {
			real sq = 0, sumq = 0;
			for (r = 0; r < d; r++)
				v[r] = p->x[i * d + r] - mu[j * d + r];
			for (r = 0; r < d; r++) {
				real zr = 0;
				for (c = 0; c < d; c++)
					zr += Q[(size_t)j * d * d + r * d + c] * v[c];
				sq += zr * zr;
				sumq += icf[j * t + r];
			}
			beta[j] = alpha[j] + sumq - 0.5L * sq;
		}
		for (mx = beta[0], j = 1; j < k; j++)
			mx = beta[j] > mx ? beta[j] : mx;
		for (s = 0, j = 0; j < k; j++)
			s += expl(beta[j] - mx);
		f += mx + logl(s);
	}
	for (mx = alpha[0], j = 1; j < k; j++)
		mx = alpha[j] > mx ? alpha[j] : mx;
	for (s = 0, j = 0; j < k; j++)
		s += expl(alpha[j] - mx);
	f -= n * (mx + logl(s));
	for (j = 0; j < k; j++) {
		real e2 = 0, l2 = 0, sumq = 0;
		for (r = 0; r < d; r++) {
			e2 += expl(2 * icf[j * t + r]);
			sumq += icf[j * t + r];
		}
		for (r = d; r < t; r++)
			l2 += icf[j * t + r] * icf[j * t + r];
		f += 0.5L * p->gamma * p->gamma * (e2 + l2) - p->m * sumq;
	}
	nw = d + p->m + 1;
	lgd = d * (d - 1) / 4.0L * logl(pi);
	for (j = 1; j <= d; j++)
		lgd += lgammal(nw / 2 + (1 - j) / 2.0L);
	C = nw * d * (logl(p->gamma) - 0.5L * logl(2.0L)) - lgd;
	f -= k * C;
	free(Q);
	free(beta);
	free(v);
	return f;
}

static double run_gmm(const char *name, int d, int k, int n, double *theta, const double *x, double gamma, int m,
                      int ndirs, int percoord)
{
	struct problem p;
	double f;
	memset(&p, 0, sizeof p);
	p.name = name;
	p.d = d;
	p.k = k;
	p.n = n;
	p.m = m;
	p.gamma = gamma;
	p.x = x;
	p.np = (size_t)k * (d + 1) * (d + 2) / 2;
	p.theta = theta;
	p.f = gmm_f;
	p.g = gmm_g;
	p.ref = gmm_ref;
	p.work = xmalloc(manual_gmm_work_size(d, k, n));
	f = check(&p, ndirs, percoord);
	free(p.work);
	return f;
}

static void random_gmm(int d, int k, int n, int ndirs, int percoord)
{
	size_t np = (size_t)k * (d + 1) * (d + 2) / 2, t = (size_t)d * (d + 1) / 2, j;
	double *theta = xmalloc(np * sizeof(double)), *x = xmalloc((size_t)n * d * sizeof(double));
	char name[64];
	int m = (int)uniform(0, 4);
	fill(theta, np, -1, 1);
	for (j = 0; j < (size_t)k; j++)
		fill(theta + k + (size_t)k * d + j * t, t, -0.5, 0.5);
	fill(x, (size_t)n * d, -2, 2);
	sprintf(name, "gmm d=%d k=%d n=%d m=%d", d, k, n, m);
	run_gmm(name, d, k, n, theta, x, uniform(0.5, 2), m, ndirs, percoord);
	free(theta);
	free(x);
}

/* ---- LSTM ---- */

static double lstm_f(struct problem *p)
{
	double *a = p->theta;
	return manual_lstm_objective(p->l, p->c, p->b, a, a + 8 * p->l * p->b, p->state, p->seq, p->work);
}

static double lstm_g(struct problem *p, double *grad)
{
	double *a = p->theta;
	return manual_lstm_gradient(p->l, p->c, p->b, a, a + 8 * p->l * p->b, p->state, p->seq, grad, p->work);
}

static real sig(real x)
{
	return 1 / (1 + expl(-x));
}

/* The README, literally. */
static real lstm_ref(struct problem *p, const real *theta)
{
	int l = p->l, c = p->c, b = p->b, t, i, j;
	const real *mp = theta, *ex = mp + 8 * l * b;
	real *st = xmalloc((size_t)2 * l * b * sizeof(real)), *x = xmalloc(b * sizeof(real));
	real *y = xmalloc(b * sizeof(real)), total = 0;
	for (j = 0; j < 2 * l * b; j++)
		st[j] = p->state[j];
	for (t = 0; t <= c - 2; t++) {
		real s = 0, lse;
		for (j = 0; j < b; j++)
			x[j] = p->seq[t * b + j] * ex[j];
		for (i = 0; i < l; i++) {
			const real *W = mp + (2 * i) * 4 * b, *B = mp + (2 * i + 1) * 4 * b;
			real *h = st + 2 * i * b, *cc = st + (2 * i + 1) * b;
			for (j = 0; j < b; j++) {
				real f = sig(x[j] * W[j] + B[j]);
				real gi = sig(h[j] * W[b + j] + B[b + j]);
				real o = sig(x[j] * W[2 * b + j] + B[2 * b + j]);
				real ch = tanhl(h[j] * W[3 * b + j] + B[3 * b + j]);
				cc[j] = cc[j] * f + gi * ch;
				h[j] = o * tanhl(cc[j]);
				x[j] = h[j];
			}
		}
		for (j = 0; j < b; j++) {
			y[j] = x[j] * ex[b + j] + ex[2 * b + j];
			s += expl(y[j]);
		}
		lse = logl(s + 2);
		for (j = 0; j < b; j++)
			total += p->seq[(t + 1) * b + j] * (y[j] - lse);
	}
	free(st);
	free(x);
	free(y);
	return -total / ((c - 1) * (real)b);
}

static double run_lstm(const char *name, int l, int c, int b, double *theta, const double *state, const double *seq,
                       int ndirs, int percoord)
{
	struct problem p;
	double f;
	memset(&p, 0, sizeof p);
	p.name = name;
	p.l = l;
	p.c = c;
	p.b = b;
	p.state = state;
	p.seq = seq;
	p.np = (size_t)8 * l * b + 3 * (size_t)b;
	p.theta = theta;
	p.f = lstm_f;
	p.g = lstm_g;
	p.ref = lstm_ref;
	p.work = xmalloc(manual_lstm_work_size(l, c, b));
	f = check(&p, ndirs, percoord);
	free(p.work);
	return f;
}

static void random_lstm(int l, int c, int b, int ndirs, int percoord)
{
	size_t np = (size_t)8 * l * b + 3 * (size_t)b;
	double *theta = xmalloc(np * sizeof(double)), *state = xmalloc((size_t)2 * l * b * sizeof(double));
	double *seq = xmalloc((size_t)c * b * sizeof(double));
	char name[64];
	fill(theta, np, -1, 1);
	fill(state, (size_t)2 * l * b, -1, 1);
	fill(seq, (size_t)c * b, 0, 1);
	sprintf(name, "lstm l=%d c=%d b=%d", l, c, b);
	run_lstm(name, l, c, b, theta, state, seq, ndirs, percoord);
	free(theta);
	free(state);
	free(seq);
}

/* ---- data files ---- */

static void read_doubles(FILE *fp, const char *path, double *a, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (fscanf(fp, "%lf", &a[i]) != 1) {
			fprintf(stderr, "%s: expected %lu numbers, read %lu\n", path, (unsigned long)n,
			        (unsigned long)i);
			exit(2);
		}
}

static FILE *open_or_die(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		perror(path);
		exit(2);
	}
	return fp;
}

static void file_gmm(const char *path)
{
	FILE *fp = open_or_die(path);
	int d, k, n, m;
	double gamma, f, *theta, *x;
	size_t np;
	if (fscanf(fp, "%d %d %d", &d, &k, &n) != 3 || d < 1 || k < 1 || n < 1) {
		fprintf(stderr, "%s: bad GMM header\n", path);
		exit(2);
	}
	np = (size_t)k * (d + 1) * (d + 2) / 2;
	theta = xmalloc(np * sizeof(double));
	x = xmalloc((size_t)n * d * sizeof(double));
	read_doubles(fp, path, theta, np); /* alpha, means, icf: the gradient's own order */
	read_doubles(fp, path, x, (size_t)n * d);
	if (fscanf(fp, "%lf %d", &gamma, &m) != 2) {
		fprintf(stderr, "%s: missing gamma m\n", path);
		exit(2);
	}
	fclose(fp);
	f = run_gmm(path, d, k, n, theta, x, gamma, m, 8, 1);
	printf("GMM objective (%s, d=%d k=%d n=%d): %.17g\n", path, d, k, n, f);
	free(theta);
	free(x);
}

static void file_lstm(const char *path)
{
	FILE *fp = open_or_die(path);
	int l, c, b;
	double f, *theta, *state, *seq;
	size_t np;
	if (fscanf(fp, "%d %d %d", &l, &c, &b) != 3 || l < 1 || c < 2 || b < 1) {
		fprintf(stderr, "%s: bad LSTM header\n", path);
		exit(2);
	}
	np = (size_t)8 * l * b + 3 * (size_t)b;
	theta = xmalloc(np * sizeof(double));
	state = xmalloc((size_t)2 * l * b * sizeof(double));
	seq = xmalloc((size_t)c * b * sizeof(double));
	read_doubles(fp, path, theta, np); /* main, extra: the gradient's own order */
	read_doubles(fp, path, state, (size_t)2 * l * b);
	read_doubles(fp, path, seq, (size_t)c * b);
	fclose(fp);
	f = run_lstm(path, l, c, b, theta, state, seq, 8, 1);
	printf("LSTM objective (%s, l=%d c=%d b=%d): %.17g\n", path, l, c, b, f);
	free(theta);
	free(state);
	free(seq);
}

int main(int argc, char **argv)
{
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: %s [GMMFILE LSTMFILE]\n", argv[0]);
		return 2;
	}
	printf("random instances:\n");
	random_gmm(1, 1, 1, 4, 1);
	random_gmm(2, 1, 1, 4, 1);
	random_gmm(2, 3, 5, 4, 1);
	random_gmm(3, 2, 4, 4, 1);
	random_gmm(4, 3, 7, 8, 1);
	random_gmm(7, 4, 30, 8, 1);
	random_gmm(10, 5, 50, 8, 0);
	random_gmm(12, 8, 100, 8, 0);
	random_lstm(1, 2, 1, 4, 1);
	random_lstm(1, 3, 2, 4, 1);
	random_lstm(2, 3, 2, 4, 1);
	random_lstm(3, 6, 5, 8, 1);
	random_lstm(2, 40, 7, 8, 0);
	random_lstm(4, 100, 14, 8, 0);
	if (argc == 3) {
		printf("data files:\n");
		file_gmm(argv[1]);
		file_lstm(argv[2]);
	}
	printf("worst relative error: finite differences %.3e, objective checks %.3e (tolerance %.0e)\n", worst_fd,
	       worst_ref, TOLERANCE);
	if (failures) {
		printf("%d check(s) FAILED\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
