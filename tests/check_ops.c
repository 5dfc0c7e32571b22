/* check_ops.c: the op table (compiler/ops.def) is enforced. Every op has
 * what its kind needs: a shape rule; an adjoint rule, or the flag that says
 * it needs none (F_CUT: no dependence; F_NODIFF: the zero rule); a folding
 * rule for an elementwise op (and none for another); a C expression for an
 * elementwise op that calls only the math functions ops.def lists; and the
 * folding rules give what the C expressions give, compiled by gcc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjoint.h"
#include "opt.h"
#include "testlib.h"

static const char *const libm[] = {
#define L(name, arity, vector) #name,
#include "ops.def"
};
enum { NLIBM = sizeof libm / sizeof libm[0] };

START_TEST(shape_rules)
{
	for (int op = 0; op < OP_COUNT; op++)
		ck_assert_msg(ir_shape_rule((Op)op), "the op '%s' has no shape rule (ir.c)", op_info[op].name);
}
END_TEST

START_TEST(adjoint_rules)
{
	for (int op = 0; op < OP_COUNT; op++) {
		const OpInfo *in = &op_info[op];
		bool needs = in->kind != K_SRC && !(in->flags & F_CUT);
		if (needs)
			ck_assert_msg(adj_has_rule((Op)op),
			              "the op '%s' has no adjoint rule (adjoint.c) and no F_CUT or F_NODIFF", in->name);
		if (in->flags & F_NODIFF)
			ck_assert_msg(in->kind == K_EW, "F_NODIFF on '%s', which is not elementwise", in->name);
	}
}
END_TEST

START_TEST(folding_rules)
{
	const double x[3] = {0.5, 0.25, 0.75};
	for (int op = 0; op < OP_COUNT; op++) {
		double r;
		bool ok = fold_eval((Op)op, x, DT_F64, &r);
		if (op_info[op].kind == K_EW)
			ck_assert_msg(ok, "the elementwise op '%s' has no folding rule (ops.def)", op_info[op].name);
		else
			ck_assert_msg(!ok, "'%s' is not elementwise but has a folding rule", op_info[op].name);
	}
}
END_TEST

START_TEST(templates)
{
	for (int op = 0; op < OP_COUNT; op++) {
		const OpInfo *in = &op_info[op];
		if (in->kind != K_EW) {
			ck_assert_msg(!in->c, "'%s' is not elementwise but has a C expression", in->name);
			continue;
		}
		ck_assert_msg(in->c, "the elementwise op '%s' has no C expression", in->name);
		ck_assert_msg(in->arity >= 1 && in->arity <= 3, "'%s' has arity %d", in->name, in->arity);
		for (const char *p = in->c; *p; p++) {
			if (p[0] == '$' && p[1] >= '0' && p[1] <= '9')
				ck_assert_msg(p[1] - '0' < in->arity, "'%s' reads $%c of %d operands", in->name, p[1],
				              in->arity);
			if (*p != '@')
				continue;
			const char *s = p;
			while (s > in->c &&
			       (s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= '0' && s[-1] <= '9')))
				s--;
			bool listed = false;
			for (int i = 0; i < NLIBM; i++)
				listed = listed || ((size_t)(p - s) == strlen(libm[i]) &&
				                    strncmp(s, libm[i], (size_t)(p - s)) == 0);
			ck_assert_msg(listed, "'%s' calls %.*s, which ops.def's L list lacks", in->name, (int)(p - s),
			              s);
		}
	}
}
END_TEST

/* Each elementwise op's C expression, compiled by gcc on a few operands,
 * gives what fold_eval gives (both in double). */
START_TEST(folding_matches_c)
{
	static const double cases[][3] = {{0.5, 0.25, 0.75}, {-1.5, 2, 0}, {0, -0.0, 1}, {3, 3, -2}, {-0.3, 0.7, 5}};
	enum { NC = sizeof cases / sizeof cases[0] };
	char dir[] = "/tmp/ad-ops-XXXXXX";
	ck_assert(mkdtemp(dir));
	char path[256], cmd[1024];
	snprintf(path, sizeof path, "%s/ops.c", dir);
	FILE *f = fopen(path, "w");
	ck_assert(f);
	fputs("#include <math.h>\n#include <stdio.h>\nint main(void)\n{\n", f);
	for (int op = 0; op < OP_COUNT; op++) {
		if (op_info[op].kind != K_EW)
			continue;
		for (int c = 0; c < NC; c++) {
			fputs("    printf(\"%a\\n\", (double)(", f);
			for (const char *p = op_info[op].c; *p; p++) {
				if (p[0] == '$' && p[1] >= '0' && p[1] <= '2') {
					fprintf(f, "(%a)", cases[c][p[1] - '0']);
					p++;
				} else if (p[0] == '$' && p[1] == 'T') {
					fputs("double", f);
					p++;
				} else if (*p != '@') {
					fputc(*p, f);
				}
			}
			fputs("));\n", f);
		}
	}
	fputs("    return 0;\n}\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "cd %s && gcc -std=c99 -O0 ops.c -o ops -lm >gcc.log 2>&1", dir);
	if (system(cmd) != 0) {
		snprintf(path, sizeof path, "%s/gcc.log", dir);
		FILE *log = fopen(path, "r");
		char msg[2048] = "";
		if (log) {
			msg[fread(msg, 1, sizeof msg - 1, log)] = 0;
			fclose(log);
		}
		ck_abort_msg("the C expressions of ops.def do not compile:\n%s", msg);
	}
	snprintf(cmd, sizeof cmd, "cd %s && ./ops", dir);
	FILE *p = popen(cmd, "r");
	ck_assert(p);
	char line[128];
	for (int op = 0; op < OP_COUNT; op++) {
		if (op_info[op].kind != K_EW)
			continue;
		for (int c = 0; c < NC; c++) {
			ck_assert_msg(fgets(line, sizeof line, p), "the compiled expressions stopped at '%s'",
			              op_info[op].name);
			double want = strtod(line, NULL), got;
			ck_assert(fold_eval((Op)op, cases[c], DT_F64, &got));
			ck_assert_msg((isnan(want) && isnan(got)) || memcmp(&want, &got, sizeof got) == 0,
			              "%s(%g, %g, %g): folding gives %.17g, the C expression %.17g", op_info[op].name,
			              cases[c][0], cases[c][1], cases[c][2], got, want);
		}
	}
	pclose(p);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("table");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shape_rules);
	tcase_add_test(tc, adjoint_rules);
	tcase_add_test(tc, folding_rules);
	tcase_add_test(tc, templates);
	tcase_add_test(tc, folding_matches_c);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
