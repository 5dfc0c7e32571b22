/* check_kernels.c: the C that every emitted file starts with, tested as
 * the C it is: the prelude's size check, and the matrix-product kernels
 * (compiler/emit_gemm.h, compiled here directly for f64; the f32 version
 * the build makes from it, compiled by gcc from the strings the emitter
 * writes) against the plain triple loop, for every transpose, for shapes
 * around the kernels' own sizes (16 partial sums, 4 rows, blocks of 256);
 * the products of --threads (compiler/emit_gemm_par.h) on 1, 2 and 3
 * threads, bit for bit the one-thread product; the chunks of its sums. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* the files as the emitter writes them (without AD_SIMD or AD_BLAS) */
#include "emit_prelude.h"

#include "emit_blas.h"

#include "emit_gemm.h"

#include "emit_int.h"

#include "emit_linalg.h"

#include "emit_par.h"

#include "emit_gemm_par.h"

#include "emit_text.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0 * 2 - 1;
}

/* op(A)[i, p] with A stored as the kernels take it */
static double at(const double *a, int ta, int64_t rows, int64_t cols, int64_t i, int64_t p)
{
	return ta ? a[p * rows + i] : a[i * cols + p];
}

/* Python's // and % (Python's own values, written out), and what a zero
 * divisor, -1 and conversions of NaN and huge floats give */
START_TEST(int_math)
{
	static const int64_t cases[][4] = {{7, 2, 3, 1},   {-7, 2, -4, 1}, {7, -2, -4, -1}, {-7, -2, 3, -1},
	                                   {6, 3, 2, 0},   {-6, 3, -2, 0}, {0, 5, 0, 0},    {5, 0, 0, 0},
	                                   {-5, -1, 5, 0}, {1, 10, 0, 1},  {-1, 10, -1, 9}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(ad_floordiv_(cases[i][0], cases[i][1]), cases[i][2]);
		ck_assert_int_eq(ad_mod_(cases[i][0], cases[i][1]), cases[i][3]);
	}
	ck_assert_int_eq(ad_floordiv_(INT64_MIN, -1), INT64_MIN); /* wraps */
	ck_assert_int_eq(ad_mod_(INT64_MIN, -1), 0);
	ck_assert_int_eq(ad_to_int_(-2.7), -2);
	ck_assert_int_eq(ad_to_int_(2.7), 2);
	ck_assert_int_eq(ad_to_int_(NAN), INT64_MIN);
	ck_assert_int_eq(ad_to_int_(1e300), INT64_MIN);
	ck_assert_int_eq(ad_to_int_(-9.3e18), INT64_MIN);
}
END_TEST

START_TEST(numel_ok)
{
	ck_assert(ad_numel_ok_(2, (const int64_t[]){3, 4}));
	ck_assert(ad_numel_ok_(2, (const int64_t[]){0, (int64_t)1 << 48}));
	ck_assert(!ad_numel_ok_(2, (const int64_t[]){(int64_t)1 << 24, ((int64_t)1 << 24) + 1}));
	ck_assert(!ad_numel_ok_(1, (const int64_t[]){-1}));
	ck_assert(!ad_numel_ok_(1, (const int64_t[]){((int64_t)1 << 48) + 1}));
	ck_assert_int_eq(AD_ALIGN_(1, 8), 64);
	ck_assert_int_eq(AD_ALIGN_(8, 8), 64);
	ck_assert_int_eq(AD_ALIGN_(9, 8), 128);
	ck_assert_int_eq(AD_ALIGN_(0, 8), 0);
}
END_TEST

START_TEST(gemm_f64)
{
	static const int64_t sizes[] = {1, 2, 3, 4, 5, 15, 16, 17, 33, 70}; /* 70: past blocks of 64 */
	enum { NS = sizeof sizes / sizeof sizes[0] };
	for (int ta = 0; ta < 2; ta++)
		for (int tb = 0; tb < 2; tb++)
			for (int x = 0; x < NS; x++)
				for (int y = 0; y < NS; y++)
					for (int z = 0; z < NS + 1; z++) {
						int64_t m = sizes[x], n = sizes[y],
						        k = z < NS ? sizes[z] : 300; /* past a block */
						double *a = malloc(sizeof(double) * (size_t)(m * k));
						double *b = malloc(sizeof(double) * (size_t)(k * n));
						double *c = malloc(sizeof(double) * (size_t)(m * n));
						for (int64_t i = 0; i < m * k; i++)
							a[i] = uniform();
						for (int64_t i = 0; i < k * n; i++)
							b[i] = uniform();
						ad_gemm_f64_(ta, tb, m, n, k, a, b, c);
						for (int64_t i = 0; i < m; i++)
							for (int64_t j = 0; j < n; j++) {
								double want = 0;
								for (int64_t p = 0; p < k; p++)
									want += at(a, ta, m, k, i, p) *
									        (tb ? b[j * k + p] : b[p * n + j]);
								ck_assert_msg(fabs(c[i * n + j] - want) <=
								                  1e-13 * (1 + fabs(want)) * (double)k,
								              "ta=%d tb=%d m=%lld n=%lld k=%lld: "
								              "c[%lld, %lld] = %.17g, "
								              "not %.17g",
								              ta, tb, (long long)m, (long long)n,
								              (long long)k, (long long)i, (long long)j,
								              c[i * n + j], want);
							}
						free(a);
						free(b);
						free(c);
					}
}
END_TEST

/* A random n x n matrix with d added to its diagonal. */
static double *matrix(int64_t n, double d)
{
	double *a = malloc(sizeof(double) * (size_t)(n * n + 1));
	for (int64_t i = 0; i < n * n; i++)
		a[i] = uniform() + (i % (n + 1) == 0 ? d : 0);
	return a;
}

/* The Cholesky factor: lower, l l^T = a, to a residual near machine
 * epsilon; a matrix not positive definite is refused. */
START_TEST(cholesky_f64)
{
	static const int64_t sizes[] = {0, 1, 2, 3, 8, 33, 100};
	for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
		int64_t n = sizes[t];
		double *r = matrix(n, 0), *a = malloc(sizeof(double) * (size_t)(n * n + 1)),
		       *l = malloc(sizeof(double) * (size_t)(n * n + 1));
		double norm = 0;
		for (int64_t i = 0; i < n; i++) /* a = r r^T + n I, its upper triangle garbage */
			for (int64_t j = 0; j < n; j++) {
				double s = i == j ? (double)n : 0;
				for (int64_t p = 0; p < n; p++)
					s += r[i * n + p] * r[j * n + p];
				a[i * n + j] = j > i ? 1e300 : s;
				norm = j <= i && fabs(s) > norm ? fabs(s) : norm;
			}
		ck_assert_int_eq(ad_chol_f64_(n, a, l), 0);
		for (int64_t i = 0; i < n; i++)
			for (int64_t j = 0; j <= i; j++) {
				double s = 0;
				for (int64_t p = 0; p < n; p++)
					s += l[i * n + p] * l[j * n + p];
				ck_assert_msg(fabs(s - a[i * n + j]) <= 1e-14 * norm * (double)n, "n=%lld [%lld, %lld]",
				              (long long)n, (long long)i, (long long)j);
				ck_assert(l[j * n + i] == 0 || i == j);
			}
		if (n > 0) {
			a[(n - 1) * n + n - 1] = -1;
			ck_assert_int_eq(ad_chol_f64_(n, a, l), 1);
		}
		free(r), free(a), free(l);
	}
}
END_TEST

/* Triangular solves, all eight kinds, and LU with partial pivoting, with A
 * and with A^T from the same factors: residuals |A x - b| / (|A| |x|) near
 * machine epsilon; a singular matrix is refused. */
START_TEST(solves_f64)
{
	static const int64_t sizes[] = {1, 2, 5, 17, 64, 65, 150}; /* past a block of 64, and 2 of them */
	for (size_t t = 0; t < 2 * sizeof sizes / sizeof sizes[0]; t++) {
		int64_t n = sizes[t / 2], k = t % 2 ? 21 : 3; /* and past 16 columns of x */
		double *a = matrix(n, 4), *b = matrix(n > k ? n : k, 0), *x = malloc(sizeof(double) * (size_t)(n * k)),
		       *lu = malloc(sizeof(double) * (size_t)((n + 1) * n));
		ad_lu_f64_(n, a, lu);
		for (int kind = 0; kind < 10; kind++) {
			int lower = kind & 1, trans = kind < 8 ? kind >> 1 & 1 : kind == 9,
			    unit = kind < 8 && kind >> 2 & 1;
			if (kind < 8)
				ad_trsm_f64_(lower, trans, unit, n, k, a, b, x);
			else
				ck_assert_int_eq(ad_lusolve_f64_(trans, n, k, lu, b, x), 0);
			double worst = 0, an = 0, xn = 0;
			for (int64_t i = 0; i < n * n; i++)
				an = fabs(a[i]) > an ? fabs(a[i]) : an;
			for (int64_t i = 0; i < n * k; i++)
				xn = fabs(x[i]) > xn ? fabs(x[i]) : xn;
			for (int64_t i = 0; i < n; i++)
				for (int64_t j = 0; j < k; j++) {
					double s = 0;
					for (int64_t p = 0; p < n; p++) {
						int64_t r = trans ? p : i,
						        c = trans ? i : p; /* op(T)[i, p] = T[r, c] */
						bool in = kind >= 8 || (lower ? c <= r : c >= r);
						double e = kind < 8 && unit && r == c ? 1 : in ? a[r * n + c] : 0;
						s += e * x[p * k + j];
					}
					double res = fabs(s - b[i * k + j]);
					worst = res > worst ? res : worst;
				}
			ck_assert_msg(worst <= 1e-14 * an * xn * (double)n, "n=%lld kind=%d: residual %g", (long long)n,
			              kind, worst);
		}
		for (int64_t j = 0; j < n; j++) /* two equal rows */
			a[(n - 1) * n + j] = a[j];
		ad_lu_f64_(n, a, lu);
		if (n > 1)
			ck_assert_int_eq(ad_lusolve_f64_(0, n, k, lu, b, x), 1);
		free(a), free(b), free(x), free(lu);
	}
}
END_TEST

/* log |det| and the sign by LU: against the 3 x 3 cofactor expansion, a
 * permutation (sign -1) and a singular matrix (0 and -inf). */
START_TEST(slogdet_f64)
{
	double lu[12], sign;
	for (int t = 0; t < 50; t++) {
		double a[9];
		for (int i = 0; i < 9; i++)
			a[i] = uniform();
		double det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
		             a[2] * (a[3] * a[7] - a[4] * a[6]);
		ad_lu_f64_(3, a, lu);
		double l = ad_slogdet_f64_(3, lu, &sign);
		ck_assert_msg(fabs(sign * exp(l) - det) <= 1e-14 * (1 + fabs(det)), "%g, not %g", sign * exp(l), det);
	}
	const double swap[9] = {0, 1, 0, 1, 0, 0, 0, 0, 2}, sing[9] = {1, 2, 3, 2, 4, 6, 0, 1, 1};
	ad_lu_f64_(3, swap, lu);
	ck_assert(fabs(ad_slogdet_f64_(3, lu, &sign) - log(2.0)) < 1e-15 && sign == -1);
	ad_lu_f64_(3, sing, lu);
	ck_assert(ad_slogdet_f64_(3, lu, &sign) == -INFINITY && sign == 0);
	ad_lu_f64_(0, swap, lu);
	ck_assert(ad_slogdet_f64_(0, lu, &sign) == 0 && sign == 1); /* the empty product */
}
END_TEST

/* det and the cofactor matrix: against the 3 x 3 cofactor expansion, at
 * random (invertible) matrices and at singular ones of rank 2 (one with a
 * zero column first, where partial pivoting finds two zero pivots) and 1. */
START_TEST(cofactor_f64)
{
	double lu[15], c[9];
	for (int t = 0; t < 53; t++) {
		double a[9];
		for (int i = 0; i < 9; i++)
			a[i] = uniform();
		if (t == 50) /* rank 2: row 2 = row 0 + row 1 */
			for (int j = 0; j < 3; j++)
				a[6 + j] = a[j] + a[3 + j];
		if (t == 51) /* rank 2, a zero first column */
			for (int i = 0; i < 3; i++)
				a[3 * i] = 0;
		if (t == 52) /* rank 1 */
			for (int i = 0; i < 9; i++)
				a[i] = (double)(i / 3 + 1) * (double)(i % 3 + 1);
		double want[9];
		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++) {
				int r0 = i == 0 ? 1 : 0, r1 = i == 2 ? 1 : 2, c0 = j == 0 ? 1 : 0, c1 = j == 2 ? 1 : 2;
				double m = a[r0 * 3 + c0] * a[r1 * 3 + c1] - a[r0 * 3 + c1] * a[r1 * 3 + c0];
				want[i * 3 + j] = (i + j) % 2 ? -m : m;
			}
		ad_cofactor_f64_(3, a, lu, c);
		for (int i = 0; i < 9; i++)
			ck_assert_msg(fabs(c[i] - want[i]) <= 1e-14 * (1 + fabs(want[i])), "t=%d: c[%d] = %g, not %g",
			              t, i, c[i], want[i]);
		ad_lu_f64_(3, a, lu);
		double det = a[0] * want[0] + a[1] * want[1] + a[2] * want[2];
		ck_assert_msg(fabs(ad_det_f64_(3, lu) - det) <= 1e-14 * (1 + fabs(det)), "t=%d: det", t);
	}
	const double zero[4] = {0, 1, 0, 0}; /* two zero pivots, rank 1: adj = [[0, -1], [0, 0]] */
	ad_cofactor_f64_(2, zero, lu, c);
	ck_assert(c[0] == 0 && c[1] == 0 && c[2] == -1 && c[3] == 0);
	ad_lu_f64_(2, zero, lu);
	ck_assert(ad_det_f64_(2, lu) == 0 && !signbit(ad_det_f64_(2, lu)));
	ad_cofactor_f64_(1, zero + 2, lu, c); /* [0]: adj = [1] */
	ck_assert(c[0] == 1);
}
END_TEST

/* The f32 kernels exist only as the emitter's strings: compiled by gcc
 * with a main that checks them against the triple loop in double. */
/* Write the texts of parts (NULL-terminated lists of lines, as the emitter
 * writes them) and then main_text into k.c in a new directory, build it
 * with gcc `flags` and run it as `run` says (a shell line, ./k in it);
 * fails the test with what it printed unless it all exits 0. */
static void build_and_run(const char *const *const *parts, int nparts, const char *main_text, const char *flags,
                          const char *run, const char *what)
{
	char dir[] = "/tmp/ad-kernels-XXXXXX";
	ck_assert(mkdtemp(dir));
	char path[256], cmd[1024];
	snprintf(path, sizeof path, "%s/k.c", dir);
	FILE *f = fopen(path, "w");
	ck_assert(f);
	for (int p = 0; p < nparts; p++)
		for (int i = 0; parts[p][i]; i++)
			fputs(parts[p][i], f);
	fputs(main_text, f);
	fclose(f);
	snprintf(
	    cmd, sizeof cmd,
	    "cd %s && gcc -std=c99 -O1 %s -Wall -Wextra -pedantic -Werror k.c -o k -lm 2>&1 && (%s) 2>&1; echo rc=$?",
	    dir, flags, run);
	FILE *p = popen(cmd, "r");
	ck_assert(p);
	char out[4096];
	size_t len = fread(out, 1, sizeof out - 1, p);
	out[len] = 0;
	pclose(p);
	ck_assert_msg(strstr(out, "rc=0"), "%s: %s", what, out);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(gemm_f32)
{
	static const char *const prelude[] = {EMIT_PRELUDE_LINES};
	static const char *const blas[] = {EMIT_BLAS_LINES};
	static const char *const gemm[] = {EMIT_GEMM_F32_LINES};
	const char *const *parts[] = {prelude, blas, gemm};
	build_and_run(
	    parts, 3,
	    "#include <stdio.h>\n"
	    "int main(void)\n{\n"
	    "    unsigned s = 1;\n"
	    "    static float a[40 * 300], b[300 * 40], c[40 * 40];\n"
	    "    const int64_t sizes[] = {1, 3, 4, 16, 17, 40};\n"
	    "    for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++)\n"
	    "    for (int x = 0; x < 6; x++) for (int y = 0; y < 6; y++) for (int z = 0; z < 7; z++) {\n"
	    "        int64_t m = sizes[x], n = sizes[y], k = z < 6 ? sizes[z] : 300;\n"
	    "        for (int64_t i = 0; i < m * k; i++) a[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 32768 "
	    "- 1;\n"
	    "        for (int64_t i = 0; i < k * n; i++) b[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 32768 "
	    "- 1;\n"
	    "        ad_gemm_f32_(ta, tb, m, n, k, a, b, c);\n"
	    "        for (int64_t i = 0; i < m; i++) for (int64_t j = 0; j < n; j++) {\n"
	    "            double want = 0;\n"
	    "            for (int64_t p = 0; p < k; p++)\n"
	    "                want += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);\n"
	    "            if (fabs(c[i * n + j] - want) > 1e-5 * (1 + fabs(want)) * (double)k) {\n"
	    "                printf(\"ta=%d tb=%d m=%lld n=%lld k=%lld: %g, not %g\\n\", ta, tb, (long long)m,\n"
	    "                       (long long)n, (long long)k, c[i * n + j], want);\n"
	    "                return 1;\n"
	    "            }\n"
	    "        }\n"
	    "    }\n"
	    "    return 0;\n}\n",
	    "", "./k", "the f32 kernels");
}
END_TEST

/* The chunks of a sum of --threads: at most AD_NCHUNK_ of them, covering
 * the axis, none (but the whole axis) under AD_CHUNK_ elements. */
START_TEST(chunks)
{
	static const int64_t lens[] = {0, 1, 2, 7, 4095, 4096, 4097, 100000, 1048576, 10000019};
	static const int64_t inners[] = {0, 1, 3, 64, 5000};
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		for (size_t j = 0; j < sizeof inners / sizeof inners[0]; j++) {
			int64_t len = lens[i], inner = inners[j], per = ad_chunk_len_(len, inner);
			ck_assert_int_ge(per, 1);
			ck_assert_int_le((len + per - 1) / per, AD_NCHUNK_);
			if (inner > 0 && (len + per - 1) / per > 1)
				ck_assert_int_ge(per * inner, AD_CHUNK_);
		}
}
END_TEST

/* ad_gemm_par_ (f64 and f32) compiled with -fopenmp, on 1, 2 and 3
 * threads: the same bits as ad_gemm_ for every transpose and shapes on
 * either side of the tiles' 8 rows and 16 columns. */
START_TEST(gemm_par)
{
	static const char *const prelude[] = {EMIT_PRELUDE_LINES};
	static const char *const par[] = {EMIT_PAR_LINES};
	static const char *const blas[] = {EMIT_BLAS_LINES};
	static const char *const g32[] = {EMIT_GEMM_F32_LINES}, *const g64[] = {EMIT_GEMM_F64_LINES};
	static const char *const p32[] = {EMIT_GEMM_PAR_F32_LINES}, *const p64[] = {EMIT_GEMM_PAR_F64_LINES};
	const char *const *parts[] = {prelude, par, blas, g32, g64, p32, p64};
	build_and_run(
	    parts, 7,
	    "#include <stdio.h>\n"
	    "#define CASE(T, S)                                                                     \\\n"
	    "    {                                                                                  \\\n"
	    "        static T a[200 * 300], b[300 * 40], c[200 * 40], d[200 * 40];                  \\\n"
	    "        for (int64_t i = 0; i < m * k; i++) a[i] = (T)((s = s * 1103515245u + 12345u) >> 16) / 32768 - "
	    "1; \\\n"
	    "        for (int64_t i = 0; i < k * n; i++) b[i] = (T)((s = s * 1103515245u + 12345u) >> 16) / 32768 - "
	    "1; \\\n"
	    "        ad_gemm_##S##_(ta, tb, m, n, k, a, b, c);                                      \\\n"
	    "        ad_gemm_par_##S##_(ta, tb, m, n, k, a, b, d);                                  \\\n"
	    "        if (memcmp(c, d, sizeof(T) * (size_t)(m * n))) {                               \\\n"
	    "            printf(#S \" ta=%d tb=%d m=%d n=%d k=%d\\n\", ta, tb, (int)m, (int)n, (int)k); \\\n"
	    "            return 1;                                                                  \\\n"
	    "        }                                                                              \\\n"
	    "    }\n"
	    "int main(void)\n{\n"
	    "    unsigned s = 1;\n"
	    "    const int64_t ms[] = {1, 7, 8, 9, 31, 64, 200}, ns[] = {1, 2, 10, 16, 17, 40}, ks[] = {1, 9, 70, "
	    "300};\n"
	    "    for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++)\n"
	    "    for (int x = 0; x < 7; x++) for (int y = 0; y < 6; y++) for (int z = 0; z < 4; z++) {\n"
	    "        const int64_t m = ms[x], n = ns[y], k = ks[z];\n"
	    "        CASE(double, f64)\n"
	    "        CASE(float, f32)\n"
	    "    }\n"
	    "    return 0;\n}\n",
	    "-fopenmp -DAD_PAR_MIN_=1", "OMP_NUM_THREADS=1 ./k && OMP_NUM_THREADS=2 ./k && OMP_NUM_THREADS=3 ./k",
	    "the products on threads");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernels");
	TCase *tc = tcase_create("emitted");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, numel_ok);
	tcase_add_test(tc, int_math);
	tcase_add_test(tc, gemm_f64);
	tcase_add_test(tc, gemm_f32);
	tcase_add_test(tc, gemm_par);
	tcase_add_test(tc, chunks);
	tcase_add_test(tc, cholesky_f64);
	tcase_add_test(tc, solves_f64);
	tcase_add_test(tc, slogdet_f64);
	tcase_add_test(tc, cofactor_f64);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
