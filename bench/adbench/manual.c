/* Hand-written objectives and analytic reverse-mode gradients for ADBench's GMM and D-LSTM (see manual.h and
 * shared/adbench/README.md for the definitions). */
#include "manual.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------------------------------
 * GMM
 *
 * For point i and component k let v = x_i - mu_k, z = Q_k v and beta_ik = alpha_k + sum(q_k) - |z|^2 / 2. The data
 * term is sum_i LSE_k beta_ik; its derivative with respect to beta_ik is the posterior weight w_ik = softmax_k, and
 *   d beta / d mu_k  = Q_k^T z,   d beta / d q_kr = 1 - z_r e_r v_r (e = exp(q_k)),   d beta / d L_krc = -z_r v_c.
 * Because Q_k is the same for every point, the sums over the points factor through the weighted moments
 *   W_k = sum_i w_ik,   m_k = sum_i w_ik v_ik,   S_k = sum_i w_ik v_ik v_ik^T   (v_ik = x_i - mu_k):
 *   sum_i w z = Q m,   sum_i w z_r v_c = (Q S)_rc,
 * so the data pass of the gradient adds, per point and component, only the triangle of S to what the objective
 * does, and the triangular products with Q happen once per component at the end.
 *
 * The points go through in blocks of GMM_BLOCK, transposed (dimension-major) so that every inner loop runs along
 * the points of the block: z = Q v is applied from Q's triangle (diagonal e, strictly lower part copied once per
 * call into row order) to GMM_CHUNK points at a time, never forming a dense Q. Per block, the objective computes
 * beta for every component, then the stable LSE over the components per point. The gradient keeps that LSE's
 * exponentials (the posterior weights, up to the per-point sum), so it evaluates no further exp in the data pass,
 * and makes one more pass over the block per component for the moments.
 * ------------------------------------------------------------------------------------------------------------------ */

#define GMM_BLOCK 64
#define GMM_CHUNK 8

static const double gmm_pi = 3.14159265359; /* the benchmark's constant */

/* Scratch, in doubles: e = exp(q) (k*d), base = alpha + sum(q) (k), l by rows (k*d(d-1)/2), the block's x, v and
 * z (d*GMM_BLOCK each), its beta (k*GMM_BLOCK) and per-point sums (GMM_BLOCK), then for the gradient S
 * (k*d(d+1)/2 packed) and two d*d matrices for the per-component products. Independent of n. */
size_t manual_gmm_work_size(int d, int k, int n)
{
	size_t dd = (size_t)d, kk = (size_t)k;
	(void)n;
	return (kk * dd + kk + kk * dd * (dd - 1) / 2 + 3 * dd * GMM_BLOCK + kk * GMM_BLOCK + GMM_BLOCK +
	        kk * dd * (dd + 1) / 2 + 2 * dd * dd) *
	       sizeof(double);
}

struct gmm_scratch {
	double *e, *base, *lr, *xt, *v, *z, *beta, *sum, *s, *qd, *sd;
};

static void gmm_carve(int d, int k, void *work, struct gmm_scratch *w)
{
	size_t dd = (size_t)d, kk = (size_t)k;
	w->e = work;
	w->base = w->e + kk * dd;
	w->lr = w->base + kk;
	w->xt = w->lr + kk * dd * (dd - 1) / 2;
	w->v = w->xt + dd * GMM_BLOCK;
	w->z = w->v + dd * GMM_BLOCK;
	w->beta = w->z + dd * GMM_BLOCK;
	w->sum = w->beta + kk * GMM_BLOCK;
	w->s = w->sum + GMM_BLOCK;
	w->qd = w->s + kk * dd * (dd + 1) / 2;
	w->sd = w->qd + dd * dd;
}

/* Everything that does not depend on the data: -N D/2 log(2 pi) - K C. */
static double gmm_constant(int d, int k, int n, double gamma, int m)
{
	int nw = d + m + 1, j;
	double lgd = 0.25 * d * (d - 1) * log(gmm_pi), c;
	for (j = 1; j <= d; j++)
		lgd += lgamma(0.5 * nw + 0.5 * (1 - j));
	c = (double)nw * d * (log(gamma) - 0.5 * log(2.0)) - lgd;
	return -0.5 * n * d * log(2 * gmm_pi) - k * c;
}

/* Fills e, base and lr (l packed by rows) per component and returns the Wishart prior's parameter-dependent part
 * sum_k 1/2 gamma^2 (|e_k|^2 + |l_k|^2) - m sum(q_k). */
static double gmm_prepare(int d, int k, const double *alpha, const double *icf, double gamma, int m,
                          const struct gmm_scratch *w)
{
	int t = d * (d + 1) / 2, lt = d * (d - 1) / 2, kk, j, r, c;
	double prior = 0;
	for (kk = 0; kk < k; kk++) {
		const double *q = icf + (size_t)kk * t, *l = q + d;
		double *ek = w->e + (size_t)kk * d, *lr = w->lr + (size_t)kk * lt, sq = 0, s2 = 0;
		for (c = 0; c < d; c++)
			for (r = c + 1; r < d; r++)
				lr[r * (r - 1) / 2 + c] = *l++;
		for (j = 0; j < d; j++) {
			ek[j] = exp(q[j]);
			sq += q[j];
			s2 += ek[j] * ek[j];
		}
		for (j = d; j < t; j++)
			s2 += q[j] * q[j];
		w->base[kk] = alpha[kk] + sq;
		prior += 0.5 * gamma * gamma * s2 - m * sq;
	}
	return prior;
}

static double gmm_lse(int k, const double *a)
{
	double mx = a[0], s = 0;
	int j;
	for (j = 1; j < k; j++)
		if (a[j] > mx)
			mx = a[j];
	for (j = 0; j < k; j++)
		s += exp(a[j] - mx);
	return mx + log(s);
}

/* The block's points i0 .. i0+np-1, transposed: xt[r * GMM_BLOCK + p] = x[i0 + p][r]. A last, short block is
 * padded with zeros, so that the loops along the points always run the full block (a constant trip count): the
 * padding's beta is computed and never read, its weight in the gradient is zero. */
static void gmm_load(int d, int np, const double *restrict x, double *restrict xt)
{
	int p, r;
	for (p = 0; p < np; p++)
		for (r = 0; r < d; r++)
			xt[r * GMM_BLOCK + p] = x[(size_t)p * d + r];
	for (; p < GMM_BLOCK; p++)
		for (r = 0; r < d; r++)
			xt[r * GMM_BLOCK + p] = 0;
}

/* v = xt - mu over the block */
static void gmm_centre(int d, const double *restrict xt, const double *restrict mu, double *restrict v)
{
	int p, r;
	for (r = 0; r < d; r++) {
		const double *xr = xt + r * GMM_BLOCK;
		double *vr = v + r * GMM_BLOCK, mr = mu[r];
		for (p = 0; p < GMM_BLOCK; p++)
			vr[p] = xr[p] - mr;
	}
}

/* beta over the block for one component: base - |Q v|^2 / 2, with z = Q v formed from the diagonal e and the strictly
 * lower part lr (packed by rows here: row r holds columns 0 .. r-1), GMM_CHUNK points at a time so that z_r stays in
 * registers while its row of the triangle is applied. */
static void gmm_beta(int d, const double *restrict v, const double *restrict e, const double *restrict lr, double base,
                     double *restrict beta)
{
	int q, p, r, c;
	for (q = 0; q < GMM_BLOCK; q += GMM_CHUNK) {
		const double *lrow = lr;
		double sq[GMM_CHUNK];
		for (p = 0; p < GMM_CHUNK; p++)
			sq[p] = 0;
		for (r = 0; r < d; r++) {
			const double *vr = v + r * GMM_BLOCK + q;
			double z[GMM_CHUNK], er = e[r];
			for (p = 0; p < GMM_CHUNK; p++)
				z[p] = er * vr[p];
			for (c = 0; c < r; c++) {
				const double *vc = v + c * GMM_BLOCK + q;
				double l = lrow[c];
				for (p = 0; p < GMM_CHUNK; p++)
					z[p] += l * vc[p];
			}
			lrow += r;
			for (p = 0; p < GMM_CHUNK; p++)
				sq[p] += z[p] * z[p];
		}
		for (p = 0; p < GMM_CHUNK; p++)
			beta[q + p] = base - 0.5 * sq[p];
	}
}

/* One block through the objective: beta for every component into w->beta (row kk, GMM_BLOCK apart), then per point
 * the LSE over the components, returned summed in point order. On return w->beta holds exp(beta - max) and w->sum
 * its per-point sums. */
static double gmm_block(int d, int k, int np, const double *x, const double *means, const struct gmm_scratch *w)
{
	int lt = d * (d - 1) / 2, kk, p;
	double *mx = w->z, slse = 0; /* z is free again once every beta is in */
	gmm_load(d, np, x, w->xt);
	for (kk = 0; kk < k; kk++) {
		gmm_centre(d, w->xt, means + (size_t)kk * d, w->v);
		gmm_beta(d, w->v, w->e + (size_t)kk * d, w->lr + (size_t)kk * lt, w->base[kk],
		         w->beta + (size_t)kk * GMM_BLOCK);
	}
	for (p = 0; p < GMM_BLOCK; p++) {
		mx[p] = w->beta[p];
		w->sum[p] = 0;
	}
	for (kk = 1; kk < k; kk++) {
		const double *bk = w->beta + (size_t)kk * GMM_BLOCK;
		for (p = 0; p < GMM_BLOCK; p++)
			mx[p] = bk[p] > mx[p] ? bk[p] : mx[p];
	}
	for (kk = 0; kk < k; kk++) {
		double *bk = w->beta + (size_t)kk * GMM_BLOCK;
		for (p = 0; p < np; p++) {
			bk[p] = exp(bk[p] - mx[p]);
			w->sum[p] += bk[p];
		}
	}
	for (p = 0; p < np; p++)
		slse += mx[p] + log(w->sum[p]);
	return slse;
}

double manual_gmm_objective(int d, int k, int n, const double *alpha, const double *means, const double *icf,
                            const double *x, double gamma, int m, void *work)
{
	struct gmm_scratch w;
	double prior, slse = 0;
	int i0;
	gmm_carve(d, k, work, &w);
	prior = gmm_prepare(d, k, alpha, icf, gamma, m, &w);
	for (i0 = 0; i0 < n; i0 += GMM_BLOCK) {
		int np = n - i0 < GMM_BLOCK ? n - i0 : GMM_BLOCK;
		slse += gmm_block(d, k, np, x + (size_t)i0 * d, means, &w);
	}
	return gmm_constant(d, k, n, gamma, m) + slse - n * gmm_lse(k, alpha) + prior;
}

/* sum(a) and sum(a .* b) over a block, with eight partial sums (one or two vector registers) */
static double gmm_sum(const double *restrict a)
{
	double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	int p, q;
	for (p = 0; p < GMM_BLOCK; p += 8)
		for (q = 0; q < 8; q++)
			s[q] += a[p + q];
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

static double gmm_dot(const double *restrict a, const double *restrict b)
{
	double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	int p, q;
	for (p = 0; p < GMM_BLOCK; p += 8)
		for (q = 0; q < 8; q++)
			s[q] += a[p + q] * b[p + q];
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

double manual_gmm_gradient(int d, int k, int n, const double *alpha, const double *means, const double *icf,
                           const double *x, double gamma, int m, double *grad, void *work)
{
	int t = d * (d + 1) / 2, i0, kk, p, r, c, j;
	size_t kd = (size_t)k * d;
	struct gmm_scratch w;
	double *galpha = grad, *gmu = grad + k, *gicf = gmu + kd;
	double prior, slse = 0, lsea, g2 = gamma * gamma;

	gmm_carve(d, k, work, &w);
	prior = gmm_prepare(d, k, alpha, icf, gamma, m, &w);
	/* moments: W_k in galpha, m_k in gmu, S_k packed (column c: rows c .. d-1) in w.s */
	memset(grad, 0, ((size_t)k + kd) * sizeof(double));
	memset(w.s, 0, (size_t)k * t * sizeof(double));
	for (i0 = 0; i0 < n; i0 += GMM_BLOCK) {
		int np = n - i0 < GMM_BLOCK ? n - i0 : GMM_BLOCK;
		double *wt = w.sum;
		slse += gmm_block(d, k, np, x + (size_t)i0 * d, means, &w);
		for (p = 0; p < np; p++)
			wt[p] = 1 / wt[p];
		for (kk = 0; kk < k; kk++) {
			double *bk = w.beta + (size_t)kk * GMM_BLOCK, *gm = gmu + (size_t)kk * d;
			double *sk = w.s + (size_t)kk * t;
			for (p = 0; p < np; p++)
				bk[p] *= wt[p]; /* the posterior weights */
			for (; p < GMM_BLOCK; p++)
				bk[p] = 0;
			galpha[kk] += gmm_sum(bk);
			gmm_centre(d, w.xt, means + (size_t)kk * d, w.v);
			for (r = 0; r < d; r++) { /* z serves for w .* v */
				const double *vr = w.v + r * GMM_BLOCK;
				double *ur = w.z + r * GMM_BLOCK;
				for (p = 0; p < GMM_BLOCK; p++)
					ur[p] = bk[p] * vr[p];
				gm[r] += gmm_sum(ur);
			}
			for (c = 0; c < d; c++)
				for (r = c; r < d; r++)
					*sk++ += gmm_dot(w.z + r * GMM_BLOCK, w.v + c * GMM_BLOCK);
		}
	}

	lsea = gmm_lse(k, alpha);
	for (kk = 0; kk < k; kk++) {
		const double *ek = w.e + (size_t)kk * d, *l = icf + (size_t)kk * t + d, *sk = w.s + (size_t)kk * t;
		double *gm = gmu + (size_t)kk * d, *gq = gicf + (size_t)kk * t, *gl = gq + d, wk = galpha[kk];
		double *qd = w.qd, *sd = w.sd, *y = w.xt; /* Q_k and S_k dense, y a d-vector */
		galpha[kk] = wk - n * exp(alpha[kk] - lsea);
		/* Q (lower; the upper part is never read) and S (symmetric) unpacked row-major */
		for (c = 0, j = 0; c < d; c++) {
			qd[c * d + c] = ek[c];
			for (r = c + 1; r < d; r++)
				qd[r * d + c] = l[j++];
		}
		for (c = 0, j = 0; c < d; c++)
			for (r = c; r < d; r++, j++)
				sd[r * d + c] = sd[c * d + r] = sk[j];
		/* mean gradient Q^T (Q m) */
		for (r = 0; r < d; r++) {
			double s = 0;
			for (c = 0; c <= r; c++)
				s += qd[r * d + c] * gm[c];
			y[r] = s;
		}
		for (c = 0; c < d; c++) {
			double s = 0;
			for (r = c; r < d; r++)
				s += qd[r * d + c] * y[r];
			gm[c] = s;
		}
		/* (Q S)_rc for r >= c: the diagonal enters q's gradient, the strict lower part l's */
		for (r = 0; r < d; r++) {
			const double *qr = qd + r * d;
			double s = 0;
			for (j = 0; j <= r; j++)
				s += qr[j] * sd[j * d + r];
			gq[r] = wk - ek[r] * s + g2 * ek[r] * ek[r] - m;
		}
		for (c = 0; c < d; c++)
			for (r = c + 1; r < d; r++) {
				const double *qr = qd + r * d;
				double s = 0;
				for (j = 0; j <= r; j++)
					s += qr[j] * sd[j * d + c];
				*gl = g2 * *l - s;
				gl++;
				l++;
			}
	}
	return gmm_constant(d, k, n, gamma, m) + slse - n * lsea + prior;
}

/* ------------------------------------------------------------------------------------------------------------------
 * LSTM
 *
 * Layer i at step t reads x (the layer below's new h, or seq[t] .* in_weight) and its own previous h and c:
 *   f = s(x Wf + bf), g = s(h Wi + bi), o = s(x Wo + bo), a = tanh(h Wc + bc), c' = c f + g a, h' = o tanh(c').
 * The tape keeps f, g, o, a, c', tanh(c') and h' per step and layer (everything the reverse sweep multiplies by),
 * and per step the output's exp(y) / (sum exp(y) + 2).
 * ------------------------------------------------------------------------------------------------------------------ */

enum { LSTM_F, LSTM_G, LSTM_O, LSTM_A, LSTM_C, LSTM_TC, LSTM_H, LSTM_REC };

static double sigmoid(double x)
{
	return 1 / (1 + exp(-x));
}

static size_t lstm_steps(int c)
{
	return c > 1 ? (size_t)c - 1 : 0;
}

/* objective: h, c (l*b each), x0, y, exp(y) (b each); gradient: the tape (steps * (l*LSTM_REC + 1) * b), the carried
 * adjoints of h and c (l*b each), dx and x0 (b each). */
size_t manual_lstm_work_size(int l, int c, int b)
{
	size_t lb = (size_t)l * b, obj = 2 * lb + 3 * (size_t)b;
	size_t grad = lstm_steps(c) * (lb * LSTM_REC + b) + 2 * lb + 2 * (size_t)b;
	return (obj > grad ? obj : grad) * sizeof(double);
}

/* The output layer's term for one step: sum(target .* (y - lse)), y = x .* out_weight + out_bias,
 * lse = log(sum(exp(y)) + 2). p receives exp(y), divided by sum(exp(y)) + 2 (d lse / d y) when normalise is set. */
static double lstm_output(int b, const double *restrict x, const double *restrict extra, const double *restrict target,
                          double *restrict y, double *restrict p, int normalise)
{
	const double *ow = extra + b, *ob = extra + 2 * b;
	double s = 0, lse, tot = 0;
	int j;
	for (j = 0; j < b; j++) {
		y[j] = x[j] * ow[j] + ob[j];
		p[j] = exp(y[j]);
		s += p[j];
	}
	lse = log(s + 2);
	for (j = 0; j < b; j++)
		tot += target[j] * (y[j] - lse);
	if (normalise) {
		double inv = 1 / (s + 2);
		for (j = 0; j < b; j++)
			p[j] *= inv;
	}
	return tot;
}

double manual_lstm_objective(int l, int c, int b, const double *main_params, const double *extra, const double *state,
                             const double *seq, void *work)
{
	size_t lb = (size_t)l * b, steps = lstm_steps(c), t;
	double *hs = work, *cs = hs + lb, *x0 = cs + lb, *y = x0 + b, *ey = y + b, total = 0;
	int i, j;
	for (i = 0; i < l; i++) {
		memcpy(hs + (size_t)i * b, state + (size_t)2 * i * b, b * sizeof(double));
		memcpy(cs + (size_t)i * b, state + (size_t)(2 * i + 1) * b, b * sizeof(double));
	}
	for (t = 0; t < steps; t++) {
		const double *xt = seq + t * b, *x = x0;
		for (j = 0; j < b; j++)
			x0[j] = xt[j] * extra[j];
		for (i = 0; i < l; i++) {
			const double *w = main_params + (size_t)8 * i * b, *bi = w + 4 * b;
			double *h = hs + (size_t)i * b, *cc = cs + (size_t)i * b;
			for (j = 0; j < b; j++) {
				double f = sigmoid(x[j] * w[j] + bi[j]);
				double g = sigmoid(h[j] * w[b + j] + bi[b + j]);
				double o = sigmoid(x[j] * w[2 * b + j] + bi[2 * b + j]);
				double a = tanh(h[j] * w[3 * b + j] + bi[3 * b + j]);
				cc[j] = cc[j] * f + g * a;
				h[j] = o * tanh(cc[j]);
			}
			x = h;
		}
		total += lstm_output(b, x, extra, seq + (t + 1) * b, y, ey, 0);
	}
	return -total / ((double)steps * b);
}

double manual_lstm_gradient(int l, int c, int b, const double *main_params, const double *extra, const double *state,
                            const double *seq, double *grad, void *work)
{
	size_t lb = (size_t)l * b, steps = lstm_steps(c), rec = (size_t)LSTM_REC * b, stepsz = l * rec, t;
	double *tape = work, *ptape = tape + steps * stepsz, *ah = ptape + steps * b, *ac = ah + lb, *dx = ac + lb;
	double *x0 = dx + b, total = 0, scale;
	const double *ow = extra + b;
	double *gmain = grad, *gin = grad + 8 * lb, *gow = gin + b, *gob = gow + b;
	int i, j;

	/* forward, recording */
	for (t = 0; t < steps; t++) {
		const double *xt = seq + t * b, *x = x0;
		for (j = 0; j < b; j++)
			x0[j] = xt[j] * extra[j];
		for (i = 0; i < l; i++) {
			const double *w = main_params + (size_t)8 * i * b, *bi = w + 4 * b;
			const double *hp, *cp;
			double *r = tape + t * stepsz + i * rec;
			if (t) {
				hp = r - stepsz + LSTM_H * b;
				cp = r - stepsz + LSTM_C * b;
			} else {
				hp = state + (size_t)2 * i * b;
				cp = state + (size_t)(2 * i + 1) * b;
			}
			for (j = 0; j < b; j++) {
				double f = sigmoid(x[j] * w[j] + bi[j]);
				double g = sigmoid(hp[j] * w[b + j] + bi[b + j]);
				double o = sigmoid(x[j] * w[2 * b + j] + bi[2 * b + j]);
				double a = tanh(hp[j] * w[3 * b + j] + bi[3 * b + j]);
				double cn = cp[j] * f + g * a, tc = tanh(cn);
				r[LSTM_F * b + j] = f;
				r[LSTM_G * b + j] = g;
				r[LSTM_O * b + j] = o;
				r[LSTM_A * b + j] = a;
				r[LSTM_C * b + j] = cn;
				r[LSTM_TC * b + j] = tc;
				r[LSTM_H * b + j] = o * tc;
			}
			x = r + LSTM_H * b;
		}
		/* dx serves as the scratch for y here */
		total += lstm_output(b, x, extra, seq + (t + 1) * b, dx, ptape + t * b, 1);
	}

	/* reverse */
	memset(grad, 0, (8 * lb + 3 * (size_t)b) * sizeof(double));
	memset(ah, 0, 2 * lb * sizeof(double));
	scale = -1 / ((double)steps * b);
	for (t = steps; t-- > 0;) {
		const double *target = seq + (t + 1) * b, *p = ptape + t * b, *xt = seq + t * b;
		const double *xtop = tape + t * stepsz + (l - 1) * rec + LSTM_H * b;
		double st = 0;
		for (j = 0; j < b; j++)
			st += target[j];
		for (j = 0; j < b; j++) {
			double dy = scale * (target[j] - st * p[j]);
			gob[j] += dy;
			gow[j] += dy * xtop[j];
			dx[j] = dy * ow[j];
		}
		for (i = l; i-- > 0;) {
			const double *w = main_params + (size_t)8 * i * b, *r = tape + t * stepsz + i * rec;
			const double *hp, *cp, *x;
			double *gw = gmain + (size_t)8 * i * b, *gb = gw + 4 * b, *dh = ah + (size_t)i * b;
			double *dc = ac + (size_t)i * b;
			if (t) {
				hp = r - stepsz + LSTM_H * b;
				cp = r - stepsz + LSTM_C * b;
			} else {
				hp = state + (size_t)2 * i * b;
				cp = state + (size_t)(2 * i + 1) * b;
			}
			if (i) {
				x = r - rec + LSTM_H * b;
			} else {
				for (j = 0; j < b; j++)
					x0[j] = xt[j] * extra[j];
				x = x0;
			}
			for (j = 0; j < b; j++) {
				double f = r[LSTM_F * b + j], g = r[LSTM_G * b + j], o = r[LSTM_O * b + j];
				double a = r[LSTM_A * b + j], tc = r[LSTM_TC * b + j];
				double hbar = dx[j] + dh[j];
				double cbar = dc[j] + hbar * o * (1 - tc * tc);
				double zf = cbar * cp[j] * f * (1 - f);
				double zg = cbar * a * g * (1 - g);
				double zo = hbar * tc * o * (1 - o);
				double za = cbar * g * (1 - a * a);
				gw[j] += zf * x[j];
				gb[j] += zf;
				gw[b + j] += zg * hp[j];
				gb[b + j] += zg;
				gw[2 * b + j] += zo * x[j];
				gb[2 * b + j] += zo;
				gw[3 * b + j] += za * hp[j];
				gb[3 * b + j] += za;
				dx[j] = zf * w[j] + zo * w[2 * b + j];
				dh[j] = zg * w[b + j] + za * w[3 * b + j];
				dc[j] = cbar * f;
			}
		}
		for (j = 0; j < b; j++)
			gin[j] += dx[j] * xt[j];
	}
	return -total / ((double)steps * b);
}
