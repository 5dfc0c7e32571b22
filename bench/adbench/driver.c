/* bench/adbench/driver.c: ADBench's four problems through the code
 * ad-compile emits from gmm.ad, ba.ad, ht.ad and lstm.ad (the _work entry
 * points, scratch memory allocated once). It reads the benchmark's data
 * files, prints the objective and its derivative as one JSON object in the
 * layout of ../../../shared/adbench/README.md, and with --time the median
 * times of the objective and of the derivative, the work memory of each and,
 * for GMM and the LSTM, the same for the hand-written gradients of manual.c.
 *
 *   driver PROBLEM FILE [--model DIR] [--format=json|none] [--time] [--budget MS]
 *
 * PROBLEM is gmm, ba, ht, ht_complicated or lstm. --format=none prints only
 * the times (for the benchmark tables: ba5's Jacobian is 7 million numbers). */
#include "../common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>

#include "ba_gen.h"
#include "gmm_gen.h"
#include "ht_gen.h"
#include "lstm_gen.h"
#include "manual.h"

/* ------------------------------------------------------------ errors */

static const char *file_name = "";

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "adbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	if (n == SIZE_MAX || size == SIZE_MAX)
		die("the work memory's size overflows");
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static void check(int rc, const char *what)
{
	if (rc)
		die("%s returned %d (an AD_ERR_* code)", what, rc);
}

/* ------------------------------------------------------------ reading */

/* A whole file as text, and a cursor over its fields: numbers and names
 * separated by white space or ':' (the hand model's separator). */
typedef struct {
	char *text, *at;
	const char *name;
} Reader;

static Reader open_reader(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open %s: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	char *text = xcalloc(cap, 1);
	size_t got;
	while ((got = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap) {
			cap *= 2;
			text = realloc(text, cap);
			if (!text)
				die("out of memory reading %s", path);
		}
	}
	fclose(f);
	text[len] = 0;
	return (Reader){text, text, path};
}

static bool is_sep(char c)
{
	return isspace((unsigned char)c) || c == ':';
}

static bool more(Reader *r)
{
	while (*r->at && is_sep(*r->at))
		r->at++;
	return *r->at != 0;
}

static double number(Reader *r)
{
	if (!more(r))
		die("%s: the file ends early", r->name);
	char *end;
	double v = strtod(r->at, &end);
	if (end == r->at || (*end && !is_sep(*end)))
		die("%s: expected a number at '%.20s'", r->name, r->at);
	r->at = end;
	return v;
}

/* A whole number, within [lo, hi]. */
static int64_t integer(Reader *r, int64_t lo, int64_t hi, const char *what)
{
	double v = number(r);
	if (v != floor(v) || v < (double)lo || v > (double)hi)
		die("%s: %s should be a whole number in [%lld, %lld], not %g", r->name, what, (long long)lo,
		    (long long)hi, v);
	return (int64_t)v;
}

static void numbers(Reader *r, double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = number(r);
}

/* The fields left in the file. */
static size_t count_left(Reader *r)
{
	char *keep = r->at;
	size_t n = 0;
	while (more(r)) {
		while (*r->at && !is_sep(*r->at))
			r->at++;
		n++;
	}
	r->at = keep;
	return n;
}

/* Skip the rest of the line (the hand model's bone names come first). */
static void skip_field(Reader *r)
{
	more(r);
	while (*r->at && !is_sep(*r->at))
		r->at++;
}

/* ------------------------------------------------------------ printing */

static void print_array(const char *key, const double *v, size_t n, bool last)
{
	printf("\"%s\": [", key);
	for (size_t i = 0; i < n; i++)
		printf(i ? ", %.17g" : "%.17g", v[i]);
	printf(last ? "]" : "], ");
}

/* ------------------------------------------------------------ timing */

typedef struct {
	void (*fn)(void *);
	void *ctx;
} Job;

typedef struct {
	const char *name;
	double ms;
	int reps;
	size_t bytes;
} Timing;

static double budget_ms = 1000;

static Timing measure(const char *name, void (*fn)(void *), void *ctx, size_t bytes)
{
	double best;
	Timing t = {name, 0, 0, bytes};
	time_it(fn, ctx, budget_ms, &t.ms, &best, &t.reps);
	return t;
}

/* "time": {"objective": {"s": ..., "runs": ..., "work_bytes": ...}, ...} */
static void print_times(const Timing *t, int n)
{
	printf("\"time\": {");
	for (int i = 0; i < n; i++)
		printf("%s\"%s\": {\"s\": %.9g, \"runs\": %d, \"work_bytes\": %zu}", i ? ", " : "", t[i].name,
		       t[i].ms / 1e3, t[i].reps, t[i].bytes);
	printf("}");
}

/* ------------------------------------------------------------ GMM */

typedef struct {
	int64_t d, k, n;
	double *alpha, *means, *icf, *x, gamma, m, wishart;
	double f, *grad;
	void *work;
} Gmm;

/* The Wishart prior's normalizing constant C of the README, for the
 * constants gamma and m: lgamma is outside the language. */
static double wishart_constant(int64_t d, double gamma, double m)
{
	double nw = (double)d + m + 1, lg = (double)d * ((double)d - 1) / 4 * log(3.14159265359);
	for (int64_t j = 1; j <= d; j++)
		lg += lgamma(nw / 2 + (1 - (double)j) / 2);
	return nw * (double)d * (log(gamma) - 0.5 * log(2.0)) - lg;
}

static void gmm_objective_run(void *c)
{
	Gmm *g = c;
	check(gmm_objective_work(g->k, g->d, g->n, g->alpha, g->means, g->icf, g->x, &g->gamma, &g->m, &g->wishart,
	                         &g->f, g->work),
	      "gmm_objective");
}

static void gmm_gradient_run(void *c)
{
	Gmm *g = c;
	int64_t k = g->k, d = g->d;
	check(gmm_gradient_work(k, d, g->n, g->alpha, g->means, g->icf, g->x, &g->gamma, &g->m, &g->wishart, &g->f,
	                        g->grad, g->grad + k, g->grad + k + k * d, g->work),
	      "gmm_gradient");
}

static void manual_gmm_objective_run(void *c)
{
	Gmm *g = c;
	g->f = manual_gmm_objective((int)g->d, (int)g->k, (int)g->n, g->alpha, g->means, g->icf, g->x, g->gamma,
	                            (int)g->m, g->work);
}

static void manual_gmm_gradient_run(void *c)
{
	Gmm *g = c;
	g->f = manual_gmm_gradient((int)g->d, (int)g->k, (int)g->n, g->alpha, g->means, g->icf, g->x, g->gamma,
	                           (int)g->m, g->grad, g->work);
}

static void gmm(Reader *r, bool json, bool timed)
{
	Gmm g = {0};
	g.d = integer(r, 1, 1 << 12, "D");
	g.k = integer(r, 1, 1 << 16, "K");
	g.n = integer(r, 1, 1 << 26, "N");
	int64_t d = g.d, k = g.k, n = g.n, tri = d * (d + 1) / 2;
	g.alpha = xcalloc((size_t)k, sizeof(double));
	g.means = xcalloc((size_t)(k * d), sizeof(double));
	g.icf = xcalloc((size_t)(k * tri), sizeof(double));
	g.x = xcalloc((size_t)(n * d), sizeof(double));
	numbers(r, g.alpha, (size_t)k);
	numbers(r, g.means, (size_t)(k * d));
	numbers(r, g.icf, (size_t)(k * tri));
	numbers(r, g.x, (size_t)(n * d));
	g.gamma = number(r);
	g.m = (double)integer(r, 0, 1 << 20, "m");
	g.wishart = wishart_constant(d, g.gamma, g.m);
	size_t ngrad = (size_t)(k + k * d + k * tri);
	g.grad = xcalloc(ngrad, sizeof(double));
	size_t wo = gmm_objective_work_size(k, d, n), wg = gmm_gradient_work_size(k, d, n);
	size_t wm = manual_gmm_work_size((int)d, (int)k, (int)n);
	g.work = xcalloc(wo > wg ? (wo > wm ? wo : wm) : (wg > wm ? wg : wm), 1);
	gmm_gradient_run(&g);
	if (json) {
		printf("{\"objective\": %.17g, ", g.f);
		print_array("gradient", g.grad, ngrad, true);
	} else {
		printf("{");
	}
	if (timed) {
		Timing t[4] = {measure("objective", gmm_objective_run, &g, wo),
		               measure("derivative", gmm_gradient_run, &g, wg),
		               measure("manual_objective", manual_gmm_objective_run, &g, wm),
		               measure("manual_derivative", manual_gmm_gradient_run, &g, wm)};
		printf(json ? ", " : "");
		print_times(t, 4);
	}
	printf("}\n");
}

/* ------------------------------------------------------------ BA */

typedef struct {
	int64_t n, m, p;
	double *cams, *pts, *w, *feats;
	int64_t *obs;
	double *reproj, *werr, *J, *dw;
	void *work;
} Ba;

static void ba_objective_run(void *c)
{
	Ba *b = c;
	check(ba_objective_work(b->n, b->m, b->p, b->cams, b->pts, b->w, b->feats, b->obs, b->reproj, b->werr, b->work),
	      "ba_objective");
}

static void ba_jacobian_run(void *c)
{
	Ba *b = c;
	check(ba_jacobian_work(b->n, b->m, b->p, b->cams, b->pts, b->w, b->feats, b->obs, b->reproj, b->werr, b->J,
	                       b->dw, b->work),
	      "ba_jacobian");
}

/* The benchmark's files give one camera, point, weight and feature, which
 * every observation i = (camera i mod n, point i mod m) repeats; ours (for
 * randomized instances, README.md) give them all: n cameras, m points,
 * then p lines "camera point weight feature_x feature_y". */
static void ba_read(Reader *r, Ba *b)
{
	b->n = integer(r, 1, 1 << 24, "n");
	b->m = integer(r, 1, 1 << 26, "m");
	b->p = integer(r, 1, 1 << 27, "p");
	int64_t n = b->n, m = b->m, p = b->p;
	size_t left = count_left(r);
	b->cams = xcalloc((size_t)(11 * n), sizeof(double));
	b->pts = xcalloc((size_t)(3 * m), sizeof(double));
	b->w = xcalloc((size_t)p, sizeof(double));
	b->feats = xcalloc((size_t)(2 * p), sizeof(double));
	b->obs = xcalloc((size_t)(2 * p), sizeof(int64_t));
	if (left == 17) {
		double one[17];
		numbers(r, one, 17);
		for (int64_t c = 0; c < n; c++)
			memcpy(b->cams + 11 * c, one, 11 * sizeof(double));
		for (int64_t j = 0; j < m; j++)
			memcpy(b->pts + 3 * j, one + 11, 3 * sizeof(double));
		for (int64_t i = 0; i < p; i++) {
			b->w[i] = one[14];
			b->feats[2 * i] = one[15];
			b->feats[2 * i + 1] = one[16];
			b->obs[2 * i] = i % n;
			b->obs[2 * i + 1] = i % m;
		}
	} else if (left == (size_t)(11 * n + 3 * m + 5 * p)) {
		numbers(r, b->cams, (size_t)(11 * n));
		numbers(r, b->pts, (size_t)(3 * m));
		for (int64_t i = 0; i < p; i++) {
			b->obs[2 * i] = integer(r, 0, n - 1, "an observation's camera");
			b->obs[2 * i + 1] = integer(r, 0, m - 1, "an observation's point");
			b->w[i] = number(r);
			b->feats[2 * i] = number(r);
			b->feats[2 * i + 1] = number(r);
		}
	} else {
		die("%s: after 'n m p' a BA file holds 17 numbers (one camera, point, weight and feature) or "
		    "11n + 3m + 5p = %lld (all of them); this one holds %zu",
		    r->name, (long long)(11 * n + 3 * m + 5 * p), left);
	}
}

/* The Jacobian in CSR: the 2p reprojection rows (15 entries each: the
 * camera's 11 columns, the point's 3, the weight's 1, ascending), then the
 * p weight rows (1 entry each). */
static void ba_print_jacobian(const Ba *b)
{
	int64_t n = b->n, m = b->m, p = b->p;
	printf("\"jacobian\": {\"nrows\": %lld, \"ncols\": %lld, \"indptr\": [0", (long long)(3 * p),
	       (long long)(11 * n + 3 * m + p));
	for (int64_t r = 1; r <= 3 * p; r++)
		printf(", %lld", (long long)(r <= 2 * p ? 15 * r : 30 * p + (r - 2 * p)));
	printf("], \"indices\": [");
	for (int64_t r = 0; r < 2 * p; r++) {
		int64_t i = r / 2, cam = b->obs[2 * i], pt = b->obs[2 * i + 1];
		for (int64_t k = 0; k < 11; k++)
			printf(r || k ? ", %lld" : "%lld", (long long)(11 * cam + k));
		for (int64_t k = 0; k < 3; k++)
			printf(", %lld", (long long)(11 * n + 3 * pt + k));
		printf(", %lld", (long long)(11 * n + 3 * m + i));
	}
	for (int64_t i = 0; i < p; i++)
		printf(", %lld", (long long)(11 * n + 3 * m + i));
	printf("], \"data\": [");
	for (int64_t r = 0; r < 2 * p; r++)
		for (int64_t k = 0; k < 15; k++)
			printf(r || k ? ", %.17g" : "%.17g", b->J[15 * r + k]);
	for (int64_t i = 0; i < p; i++)
		printf(", %.17g", b->dw[i]);
	printf("]}");
}

static void ba(Reader *r, bool json, bool timed)
{
	Ba b = {0};
	ba_read(r, &b);
	int64_t n = b.n, m = b.m, p = b.p;
	b.reproj = xcalloc((size_t)(2 * p), sizeof(double));
	b.werr = xcalloc((size_t)p, sizeof(double));
	b.J = xcalloc((size_t)(30 * p), sizeof(double));
	b.dw = xcalloc((size_t)p, sizeof(double));
	size_t wo = ba_objective_work_size(n, m, p), wj = ba_jacobian_work_size(n, m, p);
	b.work = xcalloc(wo > wj ? wo : wj, 1);
	ba_jacobian_run(&b);
	if (json) {
		printf("{");
		print_array("reproj_err", b.reproj, (size_t)(2 * p), false);
		print_array("w_err", b.werr, (size_t)p, false);
		ba_print_jacobian(&b);
	} else {
		printf("{");
	}
	if (timed) {
		Timing t[2] = {measure("objective", ba_objective_run, &b, wo),
		               measure("derivative", ba_jacobian_run, &b, wj)};
		printf(json ? ", " : "");
		print_times(t, 2);
	}
	printf("}\n");
}

/* ------------------------------------------------------------ HT */

enum { BONES = 22, THETAS = 26 };

typedef struct {
	bool complicated;
	int64_t nv, nf, n;
	double base_rel[BONES * 16], inv_base_abs[BONES * 16];
	int64_t parents[BONES];
	double *verts, *weights;
	int64_t *triangles;
	double theta[THETAS], *u, *points;
	int64_t *corr;
	double *err, *J, *Ju;
	void *work;
} Ht;

static void ht_objective_run(void *c)
{
	Ht *h = c;
	if (h->complicated)
		check(ht_complicated_objective_work(h->n, h->nv, h->nf, h->theta, h->u, h->base_rel, h->inv_base_abs,
		                                    h->parents, h->verts, h->weights, h->triangles, h->points, h->corr,
		                                    h->err, h->work),
		      "ht_complicated_objective");
	else
		check(ht_objective_work(h->nv, h->n, h->theta, h->base_rel, h->inv_base_abs, h->parents, h->verts,
		                        h->weights, h->points, h->corr, h->err, h->work),
		      "ht_objective");
}

static void ht_jacobian_run(void *c)
{
	Ht *h = c;
	if (h->complicated)
		check(ht_complicated_jacobian_work(h->n, h->nv, h->nf, h->theta, h->u, h->base_rel, h->inv_base_abs,
		                                   h->parents, h->verts, h->weights, h->triangles, h->points, h->corr,
		                                   h->err, h->Ju, h->J, h->work),
		      "ht_complicated_jacobian");
	else
		check(ht_jacobian_work(h->nv, h->n, h->theta, h->base_rel, h->inv_base_abs, h->parents, h->verts,
		                       h->weights, h->points, h->corr, h->err, h->J, h->work),
		      "ht_jacobian");
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = xcalloc(n, 1);
	snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* The model's lines, counted (bones.txt has one line per bone). */
static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *s = text; *s; s++)
		if (*s == '\n' && s[1])
			n++;
	return n + (*text != 0);
}

static void ht_model(Ht *h, const char *dir)
{
	char *path = join(dir, "bones.txt");
	Reader r = open_reader(path);
	if (count_lines(r.text) != BONES)
		die("%s: the hand model has %d bones, not %zu", path, BONES, count_lines(r.text));
	for (int b = 0; b < BONES; b++) {
		skip_field(&r);
		h->parents[b] = integer(&r, -1, b - 1, "a bone's parent (which comes before it)");
		numbers(&r, h->base_rel + 16 * b, 16);
		numbers(&r, h->inv_base_abs + 16 * b, 16);
	}
	free(r.text);
	free(path);

	path = join(dir, "vertices.txt");
	r = open_reader(path);
	h->nv = (int64_t)count_lines(r.text);
	h->verts = xcalloc((size_t)(4 * h->nv), sizeof(double));
	h->weights = xcalloc((size_t)(BONES * h->nv), sizeof(double));
	for (int64_t v = 0; v < h->nv; v++) {
		numbers(&r, h->verts + 4 * v, 3);
		h->verts[4 * v + 3] = 1;
		double skip[5];
		numbers(&r, skip, 5);
		int64_t nb = integer(&r, 0, BONES, "a vertex's bone count");
		for (int64_t k = 0; k < nb; k++) {
			int64_t bone = integer(&r, 0, BONES - 1, "a vertex's bone");
			h->weights[BONES * v + bone] += number(&r);
		}
	}
	free(r.text);
	free(path);

	path = join(dir, "triangles.txt");
	r = open_reader(path);
	h->nf = (int64_t)count_lines(r.text);
	h->triangles = xcalloc((size_t)(3 * h->nf), sizeof(int64_t));
	for (int64_t k = 0; k < 3 * h->nf; k++)
		h->triangles[k] = integer(&r, 0, h->nv - 1, "a triangle's vertex");
	free(r.text);
	free(path);
}

/* The model directory: --model, else FILE's directory's model/, else its
 * parent's (data/hand/test.txt and data/hand/simple_small/... both find
 * data/hand/model). */
static void ht_find_model(Ht *h, const char *file, const char *model)
{
	if (model) {
		ht_model(h, model);
		return;
	}
	char *dir = xcalloc(strlen(file) + 16, 1);
	strcpy(dir, file);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(dir, ".");
	char *near = join(dir, "model"), *far = join(dir, "../model"), *probe = join(near, "bones.txt");
	FILE *f = fopen(probe, "r");
	if (f)
		fclose(f);
	ht_model(h, f ? near : far);
	free(dir);
	free(near);
	free(far);
	free(probe);
}

static void ht(Reader *r, const char *file, const char *model, bool complicated, bool json, bool timed)
{
	Ht *h = xcalloc(1, sizeof *h);
	h->complicated = complicated;
	ht_find_model(h, file, model);
	h->n = integer(r, 1, 1 << 24, "N");
	if (integer(r, 0, 1 << 20, "the number of pose parameters") != THETAS)
		die("%s: the pose has %d parameters", r->name, THETAS);
	int64_t n = h->n;
	h->corr = xcalloc((size_t)n, sizeof(int64_t));
	h->points = xcalloc((size_t)(3 * n), sizeof(double));
	h->u = xcalloc((size_t)(2 * n), sizeof(double));
	for (int64_t q = 0; q < n; q++) {
		h->corr[q] = integer(r, 0, (complicated ? h->nf : h->nv) - 1,
		                     complicated ? "a point's triangle" : "a point's vertex");
		numbers(r, h->points + 3 * q, 3);
	}
	if (complicated)
		numbers(r, h->u, (size_t)(2 * n));
	numbers(r, h->theta, THETAS);
	int cols = complicated ? 28 : 26;
	h->err = xcalloc((size_t)(3 * n), sizeof(double));
	h->J = xcalloc((size_t)(3 * n * THETAS), sizeof(double));
	h->Ju = xcalloc((size_t)(3 * n * 2), sizeof(double));
	size_t wo =
	    complicated ? ht_complicated_objective_work_size(n, h->nv, h->nf) : ht_objective_work_size(h->nv, n);
	size_t wj = complicated ? ht_complicated_jacobian_work_size(n, h->nv, h->nf) : ht_jacobian_work_size(h->nv, n);
	h->work = xcalloc(wo > wj ? wo : wj, 1);
	ht_jacobian_run(h);
	printf("{");
	if (json) {
		print_array("objective", h->err, (size_t)(3 * n), false);
		printf("\"jacobian\": [");
		for (int64_t row = 0; row < 3 * n; row++) {
			printf(row ? ", [" : "[");
			for (int c = 0; c < cols; c++) {
				double v = complicated && c < 2 ? h->Ju[2 * row + c]
				                                : h->J[THETAS * row + c - (cols - THETAS)];
				printf(c ? ", %.17g" : "%.17g", v);
			}
			printf("]");
		}
		printf("]");
	}
	if (timed) {
		Timing t[2] = {measure("objective", ht_objective_run, h, wo),
		               measure("derivative", ht_jacobian_run, h, wj)};
		printf(json ? ", " : "");
		print_times(t, 2);
	}
	printf("}\n");
}

/* ------------------------------------------------------------ LSTM */

typedef struct {
	int64_t l, c, b;
	double *main_params, *extra, *state, *seq;
	double loss, *grad;
	void *work;
} Lstm;

static void lstm_objective_run(void *c)
{
	Lstm *s = c;
	check(lstm_objective_work(s->l, s->b, s->c, s->main_params, s->extra, s->state, s->seq, &s->loss, s->work),
	      "lstm_objective");
}

static void lstm_gradient_run(void *c)
{
	Lstm *s = c;
	check(lstm_gradient_work(s->l, s->b, s->c, s->main_params, s->extra, s->state, s->seq, &s->loss, s->grad,
	                         s->grad + 8 * s->l * s->b, s->work),
	      "lstm_gradient");
}

static void lstm_checkpointed_run(void *c)
{
	Lstm *s = c;
	check(lstm_gradient_checkpointed_work(s->l, s->b, s->c, s->main_params, s->extra, s->state, s->seq, &s->loss,
	                                      s->grad, s->grad + 8 * s->l * s->b, s->work),
	      "lstm_gradient_checkpointed");
}

static void manual_lstm_objective_run(void *c)
{
	Lstm *s = c;
	s->loss =
	    manual_lstm_objective((int)s->l, (int)s->c, (int)s->b, s->main_params, s->extra, s->state, s->seq, s->work);
}

static void manual_lstm_gradient_run(void *c)
{
	Lstm *s = c;
	s->loss = manual_lstm_gradient((int)s->l, (int)s->c, (int)s->b, s->main_params, s->extra, s->state, s->seq,
	                               s->grad, s->work);
}

static void lstm(Reader *r, bool json, bool timed)
{
	Lstm s = {0};
	s.l = integer(r, 1, 1 << 10, "l");
	s.c = integer(r, 2, 1 << 24, "c");
	s.b = integer(r, 1, 1 << 16, "b");
	int64_t l = s.l, c = s.c, b = s.b;
	s.main_params = xcalloc((size_t)(8 * l * b), sizeof(double));
	s.extra = xcalloc((size_t)(3 * b), sizeof(double));
	s.state = xcalloc((size_t)(2 * l * b), sizeof(double));
	s.seq = xcalloc((size_t)(c * b), sizeof(double));
	numbers(r, s.main_params, (size_t)(8 * l * b));
	numbers(r, s.extra, (size_t)(3 * b));
	numbers(r, s.state, (size_t)(2 * l * b));
	numbers(r, s.seq, (size_t)(c * b));
	size_t ngrad = (size_t)(8 * l * b + 3 * b);
	s.grad = xcalloc(ngrad, sizeof(double));
	size_t wo = lstm_objective_work_size(l, b, c), wg = lstm_gradient_work_size(l, b, c),
	       wc = lstm_gradient_checkpointed_work_size(l, b, c), wm = manual_lstm_work_size((int)l, (int)c, (int)b);
	size_t most = wo;
	most = wg > most ? wg : most;
	most = wc > most ? wc : most;
	most = wm > most ? wm : most;
	s.work = xcalloc(most, 1);
	lstm_gradient_run(&s);
	if (json) {
		printf("{\"objective\": %.17g, ", s.loss);
		print_array("gradient", s.grad, ngrad, true);
	} else {
		printf("{");
	}
	if (timed) {
		Timing t[5] = {measure("objective", lstm_objective_run, &s, wo),
		               measure("derivative", lstm_gradient_run, &s, wg),
		               measure("checkpointed_derivative", lstm_checkpointed_run, &s, wc),
		               measure("manual_objective", manual_lstm_objective_run, &s, wm),
		               measure("manual_derivative", manual_lstm_gradient_run, &s, wm)};
		printf(json ? ", " : "");
		print_times(t, 5);
	}
	printf("}\n");
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr, "usage: driver gmm|ba|ht|ht_complicated|lstm FILE [--model DIR] [--format=json|none] "
	                "[--time] [--budget MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		usage();
	const char *problem = argv[1], *model = NULL;
	file_name = argv[2];
	bool json = true, timed = false;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			model = argv[++i];
		else if (strcmp(argv[i], "--format=json") == 0)
			json = true;
		else if (strcmp(argv[i], "--format=none") == 0)
			json = false;
		else if (strcmp(argv[i], "--time") == 0)
			timed = true;
		else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
			budget_ms = atof(argv[++i]);
		else
			usage();
	}
	if (!json && !timed)
		die("--format=none prints only the times: give --time too");
	Reader r = open_reader(file_name);
	if (strcmp(problem, "gmm") == 0)
		gmm(&r, json, timed);
	else if (strcmp(problem, "ba") == 0)
		ba(&r, json, timed);
	else if (strcmp(problem, "ht") == 0)
		ht(&r, file_name, model, false, json, timed);
	else if (strcmp(problem, "ht_complicated") == 0)
		ht(&r, file_name, model, true, json, timed);
	else if (strcmp(problem, "lstm") == 0)
		lstm(&r, json, timed);
	else
		usage();
	free(r.text);
	return 0;
}
