/* check_golden.c: golden files. Diagnostics (tests/diag/X.ad -> X.err),
 * IR before and after optimization (tests/ir/X.ad -> X.ir, X.ir-opt), and
 * emitted C (tests/emit/X.ad -> X.c.expect, X.h.expect), which must also
 * compile with gcc -std=c99 -Wall -Wextra -pedantic -Werror and with tcc,
 * with its loop schedule (what each loop fuses: X.schedule, to compare with
 * X's IR after optimization) and its buffers (X.memory). IR written by hand
 * (tests/ir-in/X.ir, with control flow) -> X.ir-opt, X.c.expect, X.schedule,
 * X.memory. Every function printed is also read back (ir_read) and must
 * print the same. `make regen-golden` rewrites them after an intended
 * change. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

enum { MAXF = 64 };
enum { NDIRS = 4 };
static char *files[NDIRS][MAXF];
static int nfiles[NDIRS];
static const char *const dirs[NDIRS] = {"diag", "ir", "emit", "ir-in"};
static const char *const exts[NDIRS] = {".ad", ".ad", ".ad", ".ir"};

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(int k)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", t_srcdir(), dirs[k]);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && nfiles[k] < MAXF) {
		size_t n = strlen(e->d_name);
		if (n > 3 && strcmp(e->d_name + n - 3, exts[k]) == 0)
			files[k][nfiles[k]++] = strndup(e->d_name, n - 3);
	}
	closedir(d);
	qsort(files[k], (size_t)nfiles[k], sizeof(char *), cmp);
}

static Compilation *load(int k, const char *base, char **expect_path_out)
{
	char rel[512], name[256];
	snprintf(rel, sizeof rel, "%s/%s%s", dirs[k], base, exts[k]);
	snprintf(name, sizeof name, "%s%s", base, exts[k]);
	char *src = t_read(rel);
	ck_assert_msg(src, "cannot read %s", rel);
	Compilation *c = adc_new(name, src, strlen(src));
	free(src);
	c->ir_input = strcmp(exts[k], ".ir") == 0;
	c->verify = true;
	(void)expect_path_out;
	return c;
}

static void same(const char *what, const char *got, const char *relpath)
{
	char *want = t_read(relpath);
	ck_assert_msg(want, "missing golden file %s (run make regen-golden)", relpath);
	if (strcmp(got, want) != 0) {
		/* show the first differing line */
		const char *g = got, *w = want;
		int line = 1;
		while (*g && *g == *w) {
			if (*g == '\n')
				line++;
			g++;
			w++;
		}
		const char *ge = strchr(g, '\n'), *we = strchr(w, '\n');
		ck_abort_msg("%s differs from %s at line %d:\n  got:  %.*s\n  want: %.*s", what, relpath, line,
		             (int)(ge ? ge - g : (long)strlen(g)), g, (int)(we ? we - w : (long)strlen(w)), w);
	}
	free(want);
}

/* f printed, read back and printed again: the same text. */
static void round_trip(Compilation *c, const Func *f, const char *what)
{
	Buf b;
	buf_init(&b, NULL);
	ir_print(&b, f);
	const char *err;
	int n;
	Func **back = ir_read(c->A, c->dc, c->src, b.data, &n, &err);
	ck_assert_msg(back && n == 1, "%s: %s does not read back: %s\n%s", c->src->name, what, err, b.data);
	Buf b2;
	buf_init(&b2, NULL);
	ir_print(&b2, back[0]);
	ck_assert_msg(strcmp(b.data, b2.data) == 0, "%s: %s reads back as other IR:\n%s\nvs\n%s", c->src->name, what,
	              b.data, b2.data);
	buf_free(&b);
	buf_free(&b2);
}

/* Every function of c, lowered, optimized, and for the runtime. */
static void round_trips(Compilation *c)
{
	ck_assert_msg(adc_prepare_runtime(c) == ADC_OK, "%s", adc_messages(c));
	for (int i = 0; i < c->nfuncs; i++) {
		const ModFunc *m = &c->mods[i];
		const Func *fs[] = {m->f, m->opt, m->vjp, m->fwd, m->bwd};
		for (int k = 0; k < 5; k++)
			if (fs[k])
				round_trip(c, fs[k], fs[k]->name);
	}
}

START_TEST(golden_diag)
{
	const char *base = files[0][_i];
	Compilation *c = load(0, base, NULL);
	ck_assert_int_ne(adc_lower(c), ADC_OK);
	char rel[512];
	snprintf(rel, sizeof rel, "diag/%s.err", base);
	same(base, adc_messages(c), rel);
	adc_free(c);
}
END_TEST

START_TEST(golden_ir)
{
	const char *base = files[1][_i];
	Compilation *c = load(1, base, NULL);
	char rel[512];
	char *ir = adc_ir(c, false);
	ck_assert_msg(ir, "%s", adc_messages(c));
	snprintf(rel, sizeof rel, "ir/%s.ir", base);
	same(base, ir, rel);
	char *opt = adc_ir(c, true);
	ck_assert_msg(opt, "%s", adc_messages(c));
	snprintf(rel, sizeof rel, "ir/%s.ir-opt", base);
	same(base, opt, rel);
	round_trips(c);
	adc_free(c);
}
END_TEST

/* IR written by hand: its optimized IR and its C (the functions alone: no
 * derivative of control flow yet), which compiles cleanly. */
START_TEST(golden_ir_in)
{
	const char *base = files[3][_i];
	Compilation *c = load(3, base, NULL);
	char rel[512];
	char *opt = adc_ir(c, true);
	ck_assert_msg(opt, "%s", adc_messages(c));
	snprintf(rel, sizeof rel, "ir-in/%s.ir-opt", base);
	same(base, opt, rel);
	Buf sched, mem;
	buf_init(&sched, c->A);
	buf_init(&mem, c->A);
	c->entries = AD_ENTRY_PLAIN | AD_ENTRY_WORK;
	EmitOptions o = {NULL, NULL, true, &mem, &sched, AD_ENTRY_PLAIN | AD_ENTRY_WORK, false};
	char *csrc, *hsrc;
	ck_assert_msg(adc_emit(c, &o, true, &csrc, &hsrc) == ADC_OK, "%s", adc_messages(c));
	snprintf(rel, sizeof rel, "ir-in/%s.c.expect", base);
	same(base, csrc, rel);
	snprintf(rel, sizeof rel, "ir-in/%s.schedule", base);
	same(base, sched.data, rel);
	snprintf(rel, sizeof rel, "ir-in/%s.memory", base);
	same(base, mem.data, rel);
	buf_free(&sched);
	buf_free(&mem);
	char *msg = t_strict_compile(csrc, hsrc);
	ck_assert_msg(msg[0] == 0, "%s: the emitted C does not compile cleanly:\n%s", base, msg);
	free(msg);
	for (int i = 0; i < c->nfuncs; i++) {
		round_trip(c, c->mod->funcs[i], "the IR read");
		round_trip(c, c->opt[i], "the optimized IR");
	}
	adc_free(c);
}
END_TEST

START_TEST(golden_emit)
{
	const char *base = files[2][_i];
	Compilation *c = load(2, base, NULL);
	EmitOptions o = {NULL, NULL, true, NULL, NULL, 0, false};
	char *csrc, *hsrc;
	ck_assert_msg(adc_emit(c, &o, true, &csrc, &hsrc) == ADC_OK, "%s", adc_messages(c));
	char rel[512];
	snprintf(rel, sizeof rel, "emit/%s.c.expect", base);
	same(base, csrc, rel);
	snprintf(rel, sizeof rel, "emit/%s.h.expect", base);
	same(base, hsrc, rel);
	char *msg = t_strict_compile(csrc, hsrc);
	ck_assert_msg(msg[0] == 0, "%s: the emitted C does not compile cleanly:\n%s", base, msg);
	free(msg);
	Buf sched, mem;
	buf_init(&sched, c->A);
	buf_init(&mem, c->A);
	EmitOptions os = {NULL, NULL, true, &mem, &sched, 0, false};
	ck_assert(adc_emit(c, &os, true, &csrc, NULL) == ADC_OK);
	snprintf(rel, sizeof rel, "emit/%s.schedule", base);
	same(base, sched.data, rel);
	snprintf(rel, sizeof rel, "emit/%s.memory", base);
	same(base, mem.data, rel);
	buf_free(&sched);
	buf_free(&mem);
	/* and with a header, as -o writes it: the .c includes the .h */
	EmitOptions oh = {"gen.h", NULL, true, NULL, NULL, 0, false};
	ck_assert(adc_emit(c, &oh, true, &csrc, &hsrc) == ADC_OK);
	msg = t_strict_compile(csrc, hsrc);
	ck_assert_msg(msg[0] == 0, "%s: the emitted C with its header does not compile cleanly:\n%s", base, msg);
	free(msg);
	round_trips(c);
	adc_free(c);
}
END_TEST

int main(void)
{
	for (int k = 0; k < NDIRS; k++)
		list(k);
	Suite *s = suite_create("golden");
	TCase *t[NDIRS];
	const TTest *fns[NDIRS] = {golden_diag, golden_ir, golden_emit, golden_ir_in};
	for (int k = 0; k < NDIRS; k++) {
		t[k] = tcase_create(dirs[k]);
		tcase_set_timeout(t[k], 60);
		tcase_add_loop_test(t[k], fns[k], 0, nfiles[k]);
		suite_add_tcase(s, t[k]);
	}
	int failed = t_run_suite(s);
	for (int k = 0; k < NDIRS; k++)
		for (int i = 0; i < nfiles[k]; i++)
			free(files[k][i]);
	return failed ? 1 : 0;
}
