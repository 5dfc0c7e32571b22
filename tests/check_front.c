/* check_front.c: the lexer, the parser and symbolic dimensions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dim.h"
#include "parse.h"
#include "testlib.h"

/* ---------------------------------------------------------------- lexer */

static char *tokens(const char *src, int *nerr)
{
	Arena *A = arena_new();
	Diags d;
	SrcFile *s = src_new(A, "t.ad", src, strlen(src));
	diags_init(&d, A, s);
	Buf b;
	buf_init(&b, A);
	lex_dump(A, &d, s, &b);
	char *r = strdup(b.data ? b.data : "");
	buf_free(&b);
	*nerr = d.nerrors;
	arena_free(A);
	return r;
}

START_TEST(lex_numbers_and_words)
{
	int e;
	char *t = tokens("x1 _y 3 0.01 1e-3 .5 2.5E+2 func none true false nograd f32 f64", &e);
	ck_assert_int_eq(e, 0);
	ck_assert_str_eq(t, "1:1 IDENT x1\n1:4 IDENT _y\n1:7 NUMBER 3\n1:9 NUMBER 0.01\n1:14 NUMBER 1e-3\n"
	                    "1:19 NUMBER .5\n1:22 NUMBER 2.5E+2\n1:29 FUNC 'func'\n1:34 NONE 'none'\n1:39 TRUE 'true'\n"
	                    "1:44 FALSE 'false'\n1:50 NOGRAD 'nograd'\n1:57 F32 'f32'\n1:61 F64 'f64'\n");
	free(t);
}
END_TEST

START_TEST(lex_operators)
{
	int e;
	char *t = tokens("-> ** <= >= == != < > = + - * / @ . , : ; ( ) [ ] { }", &e);
	ck_assert_int_eq(e, 0);
	ck_assert_str_eq(t, "1:1 ARROW '->'\n1:4 POW '**'\n1:7 LE '<='\n1:10 GE '>='\n1:13 EQ '=='\n1:16 NE '!='\n"
	                    "1:19 PUNCT '<'\n1:21 PUNCT '>'\n1:23 PUNCT '='\n1:25 PUNCT '+'\n1:27 PUNCT '-'\n"
	                    "1:29 PUNCT '*'\n1:31 PUNCT '/'\n1:33 PUNCT '@'\n1:35 PUNCT '.'\n1:37 PUNCT ','\n"
	                    "1:39 PUNCT ':'\n1:41 PUNCT ';'\n1:43 PUNCT '('\n1:45 PUNCT ')'\n1:47 PUNCT '['\n"
	                    "1:49 PUNCT ']'\n1:51 PUNCT '{'\n1:53 PUNCT '}'\n");
	free(t);
}
END_TEST

START_TEST(lex_newlines_only_in_bodies)
{
	int e;
	/* outside braces, and inside () or [], a newline is a blank */
	char *t = tokens("a\nb {\nc (\nd\n) [\n]\n# comment\n}\ne\n", &e);
	ck_assert_int_eq(e, 0);
	ck_assert_str_eq(t, "1:1 IDENT a\n2:1 IDENT b\n2:3 PUNCT '{'\n2:4 NEWLINE\n3:1 IDENT c\n3:3 PUNCT '('\n"
	                    "4:1 IDENT d\n5:1 PUNCT ')'\n5:3 PUNCT '['\n6:1 PUNCT ']'\n6:2 NEWLINE\n7:10 NEWLINE\n"
	                    "8:1 PUNCT '}'\n9:1 IDENT e\n");
	free(t);
}
END_TEST

START_TEST(lex_stray_bytes)
{
	int e;
	char src[] = "a $ b \x01 c \xff";
	char *t = tokens(src, &e);
	ck_assert_int_eq(e, 3);
	ck_assert_str_eq(t, "1:1 IDENT a\n1:5 IDENT b\n1:9 IDENT c\n");
	free(t);
}
END_TEST

START_TEST(lex_nul_byte)
{
	Arena *A = arena_new();
	Diags d;
	const char src[] = "a\0b";
	SrcFile *s = src_new(A, "t.ad", src, 3);
	diags_init(&d, A, s);
	Buf b;
	buf_init(&b, A);
	lex_dump(A, &d, s, &b);
	ck_assert_int_eq(d.nerrors, 1);
	ck_assert_str_eq(b.data, "1:1 IDENT a\n1:3 IDENT b\n");
	buf_free(&b);
	arena_free(A);
}
END_TEST

/* ---------------------------------------------------------------- parser */

static char *parse(const char *src, char **errs)
{
	Arena *A = arena_new();
	Diags d;
	SrcFile *s = src_new(A, "t.ad", src, strlen(src));
	diags_init(&d, A, s);
	Program *p = parse_program(A, &d, s);
	Buf b;
	buf_init(&b, A);
	ast_print(&b, p);
	char *r = strdup(b.data ? b.data : "");
	*errs = strdup(diags_render(&d, A));
	buf_free(&b);
	arena_free(A);
	return r;
}

static void expect_expr(const char *expr, const char *sexpr)
{
	char src[512], want[512], *errs;
	snprintf(src, sizeof src, "func f() -> y {\n    y = %s\n}\n", expr);
	snprintf(want, sizeof want, "(func f @1:6\n  (params)\n  (results (y))\n  @2:5 (= y %s))\n", sexpr);
	char *got = parse(src, &errs);
	ck_assert_msg(errs[0] == 0, "%s: %s", expr, errs);
	ck_assert_str_eq(got, want);
	free(got);
	free(errs);
}

START_TEST(parse_precedence)
{
	expect_expr("-x ** 2", "(neg (** x 2))");
	expect_expr("2 ** 3 ** 2", "(** 2 (** 3 2))");
	expect_expr("2 ** -x", "(** 2 (neg x))");
	expect_expr("a + b * c - d", "(- (+ a (* b c)) d)");
	expect_expr("a * b / c @ d", "(@ (/ (* a b) c) d)");
	expect_expr("a + b < c * d", "(< (+ a b) (* c d))");
	expect_expr("(a + b) * c", "(* (+ a b) c)");
	expect_expr("--x", "(neg (neg x))");
	expect_expr("x.T.grad", "(attr grad (attr T x))");
	expect_expr("f(x)[0].T", "(attr T (index (call f x) 0))");
}
END_TEST

START_TEST(parse_calls_and_literals)
{
	expect_expr("sum(x, axis=1, keepdim=true)", "(call sum x axis=1 keepdim=true)");
	expect_expr("grad([y1, y2], x, grad_outputs=[g, none],)", "(call grad [y1 y2] x grad_outputs=[g none])");
	expect_expr("[[1, 2], [3, 4],]", "[[1 2] [3 4]]");
	expect_expr("[]", "[]");
	expect_expr("f32(x) + f64(y)", "(+ (call f32 x) (call f64 y))");
	expect_expr("zeros([2, n], dtype=f64)", "(call zeros [2 n] dtype=f64)");
	expect_expr("x[1:, :-1, ::2, 3, ::-1]",
	            "(index x (slice 1 _ _) (slice _ (neg 1) _) (slice _ _ 2) 3 (slice _ _ (neg 1)))");
	expect_expr("x[:]", "(index x (slice _ _ _))");
}
END_TEST

START_TEST(parse_statements)
{
	char *errs;
	char *got = parse("# c\nfunc f(x: f32[n, 3], w: f64 nograd,\n       b: f32[]) -> (a, b2: f32[n]) {\n"
	                  "    a = x; b2 = x\n\n    gx, gw = grad(a, [x, w])\n    backward(a); clear_grad(x)\n}\n"
	                  "func g() -> y { y = 1 }\n",
	                  &errs);
	ck_assert_str_eq(errs, "");
	ck_assert_str_eq(got,
	                 "(func f @2:6\n  (params (x f32[n, 3]) (w f64 nograd) (b f32))\n  (results (a) (b2 f32[n]))\n"
	                 "  @4:5 (= a x)\n  @4:12 (= b2 x)\n  @6:5 (= gx gw (call grad a [x w]))\n"
	                 "  @7:5 (call backward a)\n  @7:18 (call clear_grad x))\n"
	                 "(func g @9:6\n  (params)\n  (results (y))\n  @9:17 (= y 1))\n");
	free(got);
	free(errs);
}
END_TEST

START_TEST(parse_errors_name_expected_tokens)
{
	char *errs;
	char *got = parse("func f(x: f32) -> y {\n    y = x +* 2\n    z = (x\n    w = x[1:2:3:4]\n}\n"
	                  "func g(a f32) -> b {\n    b = a\n}\n",
	                  &errs);
	ck_assert_ptr_nonnull(strstr(errs, "t.ad:2:12: error: expected an expression before '*'"));
	ck_assert_ptr_nonnull(strstr(errs, "t.ad:4:5: error: expected ')' before identifier"));
	ck_assert_ptr_nonnull(strstr(errs, "t.ad:6:10: error: expected ':' before 'f32'"));
	free(got);
	free(errs);
}
END_TEST

START_TEST(parse_comparisons_do_not_chain)
{
	char *errs;
	char *got = parse("func f(x: f32) -> y {\n    y = 1 < x < 2\n}\n", &errs);
	ck_assert_ptr_nonnull(strstr(errs, "t.ad:2:15: error:"));
	free(got);
	free(errs);
}
END_TEST

START_TEST(parse_limits)
{
	/* deep nesting is an error, not a stack overflow */
	size_t n = 200000;
	char *src = malloc(2 * n + 64);
	strcpy(src, "func f(x: f32) -> y {\n y = ");
	size_t k = strlen(src);
	for (size_t i = 0; i < n; i++)
		src[k++] = '(';
	src[k++] = 'x';
	for (size_t i = 0; i < n; i++)
		src[k++] = ')';
	strcpy(src + k, "\n}\n");
	char *errs;
	char *got = parse(src, &errs);
	ck_assert_ptr_nonnull(strstr(errs, "nested"));
	free(got);
	free(errs);
	/* so is a long chain of operators */
	strcpy(src, "func f(x: f32) -> y {\n y = x");
	k = strlen(src);
	for (size_t i = 0; i < 50000; i++) {
		src[k++] = '+';
		src[k++] = 'x';
	}
	strcpy(src + k, "\n}\n");
	got = parse(src, &errs);
	ck_assert_ptr_nonnull(strstr(errs, "nested more than"));
	free(got);
	free(errs);
	free(src);
}
END_TEST

/* ---------------------------------------------------------------- dimensions */

static bool sym(void *ctx, const char *name, int64_t *out)
{
	(void)ctx;
	if (strcmp(name, "n") == 0)
		*out = 10;
	else if (strcmp(name, "m") == 0)
		*out = 3;
	else
		return false;
	return true;
}

static const char *pr(Arena *A, const Dim *d)
{
	Buf b;
	buf_init(&b, A);
	dim_print(&b, d);
	return buf_finish(&b, A);
}

START_TEST(dims_canonical)
{
	Arena *A = arena_new();
	DimCtx *c = dim_ctx_new(A);
	const Dim *n = dim_sym(c, "n"), *m = dim_sym(c, "m"), *one = dim_const(c, 1);
	ck_assert_ptr_eq(dim_sub(c, n, one), dim_add(c, dim_const(c, -1), n));
	ck_assert_ptr_eq(dim_sub(c, dim_add(c, n, one), one), n);
	ck_assert_ptr_eq(dim_mul(c, n, dim_const(c, 2)), dim_add(c, n, n));
	ck_assert_ptr_eq(dim_mul(c, n, m), dim_mul(c, m, n));
	ck_assert_ptr_ne(n, m);
	ck_assert_str_eq(pr(A, dim_sub(c, n, one)), "n - 1");
	ck_assert_str_eq(pr(A, dim_mul(c, dim_add(c, n, one), m)), "n*m + m");
	ck_assert_str_eq(pr(A, dim_sub(c, dim_const(c, 0), n)), "-n");
	/* exact division leaves a polynomial; inexact makes a quotient atom */
	ck_assert_ptr_eq(dim_div(c, dim_mul(c, n, dim_const(c, 4)), dim_const(c, 2)), dim_mul(c, n, dim_const(c, 2)));
	ck_assert_ptr_eq(dim_div(c, dim_mul(c, n, m), m), n);
	const Dim *h = dim_div(c, dim_add(c, n, one), dim_const(c, 2));
	ck_assert_str_eq(pr(A, h), "(n + 1)/2");
	int64_t v;
	ck_assert(dim_eval(h, sym, NULL, &v));
	ck_assert_int_eq(v, 5);
	ck_assert(dim_eval(dim_mul(c, dim_sub(c, n, one), m), sym, NULL, &v));
	ck_assert_int_eq(v, 27);
	ck_assert(dim_is_const(dim_div(c, dim_const(c, 7), dim_const(c, 2)), &v));
	ck_assert_int_eq(v, 3);
	ck_assert(dim_nonneg(dim_mul(c, n, m)));
	ck_assert(!dim_nonneg(dim_sub(c, n, one)));
	/* the positive part: an atom only where the sign is unknown */
	ck_assert_ptr_eq(dim_max0(c, dim_sub(c, n, one)), dim_max0(c, dim_sub(c, n, one)));
	ck_assert_str_eq(pr(A, dim_max0(c, dim_sub(c, one, n))), "max(0, -n + 1)");
	ck_assert_ptr_eq(dim_max0(c, dim_mul(c, n, m)), dim_mul(c, n, m));
	ck_assert(dim_is_const(dim_max0(c, dim_const(c, -3)), &v));
	ck_assert_int_eq(v, 0);
	ck_assert(dim_eval(dim_max0(c, dim_sub(c, dim_const(c, 2), n)), sym, NULL, &v));
	ck_assert_int_eq(v, 0);
	ck_assert(dim_eval(dim_max0(c, dim_sub(c, n, dim_const(c, 7))), sym, NULL, &v));
	ck_assert_int_eq(v, 3);
	/* p - 4*floor(p/4) (and twice it) cannot be negative: no atom */
	const Dim *p = dim_max0(c, dim_sub(c, n, dim_const(c, 3)));
	const Dim *mod = dim_sub(c, p, dim_mul(c, dim_const(c, 4), dim_div(c, p, dim_const(c, 4))));
	ck_assert_ptr_eq(dim_max0(c, mod), mod);
	ck_assert_ptr_eq(dim_max0(c, dim_add(c, mod, mod)), dim_add(c, mod, mod));
	/* floor((2*q + 1) / 2) = q */
	ck_assert_ptr_eq(dim_div(c, dim_add(c, dim_mul(c, dim_const(c, 2), mod), one), dim_const(c, 2)), mod);
	ck_assert_ptr_eq(dim_div(c, dim_add(c, dim_mul(c, dim_const(c, 3), n), dim_const(c, -1)), dim_const(c, 3)),
	                 dim_sub(c, n, one));
	/* overflow is flagged, not silent */
	dim_mul(c, dim_const(c, INT64_MAX / 2), dim_const(c, 4));
	ck_assert(dim_overflowed(c));
	arena_free(A);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("front");
	TCase *lex = tcase_create("lexer");
	tcase_add_test(lex, lex_numbers_and_words);
	tcase_add_test(lex, lex_operators);
	tcase_add_test(lex, lex_newlines_only_in_bodies);
	tcase_add_test(lex, lex_stray_bytes);
	tcase_add_test(lex, lex_nul_byte);
	suite_add_tcase(s, lex);
	TCase *par = tcase_create("parser");
	tcase_add_test(par, parse_precedence);
	tcase_add_test(par, parse_calls_and_literals);
	tcase_add_test(par, parse_statements);
	tcase_add_test(par, parse_errors_name_expected_tokens);
	tcase_add_test(par, parse_comparisons_do_not_chain);
	tcase_add_test(par, parse_limits);
	suite_add_tcase(s, par);
	TCase *dim = tcase_create("dims");
	tcase_add_test(dim, dims_canonical);
	suite_add_tcase(s, dim);
	return t_run_suite(s) ? 1 : 0;
}
