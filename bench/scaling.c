/* bench/scaling.c: compile time and peak memory against program size.
 * For chains of N statements `y = y * 1.0001 + sin(y)` in one function
 * (N = 1000, 2000, ... up to --max), without and with `g = grad(sum(y), x)`
 * at the end, it measures two things, each in a process of its own so that
 * the peak resident memory is that of the one step:
 *   emit: `ad-compile FILE --emit=c` (the command line, output discarded);
 *   jit:  ad_module_compile (libadjit: every entry point, compiled by libtcc).
 * Medians of --rounds runs; the peak memory is the largest of them.
 * usage: scaling AD_COMPILE [--max N] [--rounds R] [--dir DIR] [--no-jit] */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adrt.h"

typedef struct Run {
	double secs;
	long max_kb;
	int ok;
} Run;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *chain_source(long n, int grad)
{
	size_t cap = (size_t)n * 40 + 256, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	len += (size_t)snprintf(s + len, cap - len, "func chain(x: f64[n]) -> (y%s) {\n    y = x\n", grad ? ", g" : "");
	for (long i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len, "    y = y * 1.0001 + sin(y)\n");
	if (grad)
		len += (size_t)snprintf(s + len, cap - len, "    g = grad(sum(y), x)\n");
	snprintf(s + len, cap - len, "}\n");
	return s;
}

/* The child's exit status and resources; the wall time from fork to exit. */
static Run wait_child(pid_t pid, double t0)
{
	Run r = {0, 0, 0};
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		return r;
	r.secs = now_s() - t0;
	r.max_kb = ru.ru_maxrss;
	r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return r;
}

static Run run_emit(const char *ad, const char *file)
{
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 1);
		execl(ad, ad, file, "--emit=c", (char *)NULL);
		_exit(127);
	}
	return pid < 0 ? (Run){0, 0, 0} : wait_child(pid, t0);
}

static Run run_jit(const char *src, const char *name)
{
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		ad_error err;
		ad_module *m = ad_module_compile(src, name, &err);
		if (!m) {
			fprintf(stderr, "scaling: %s\n", err.msg);
			_exit(1);
		}
		_exit(0); /* the module is not freed: the process ends */
	}
	return pid < 0 ? (Run){0, 0, 0} : wait_child(pid, t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median time and the largest peak of r[0..n). */
static Run summary(Run *r, int n)
{
	double t[64];
	Run s = {0, 0, 1};
	for (int i = 0; i < n; i++) {
		t[i] = r[i].secs;
		s.max_kb = r[i].max_kb > s.max_kb ? r[i].max_kb : s.max_kb;
		s.ok = s.ok && r[i].ok;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	s.secs = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: scaling AD_COMPILE [--max N] [--rounds R] [--dir DIR] [--no-jit]\n");
		return 2;
	}
	const char *ad = argv[1], *dir = ".";
	long max = 64000;
	int rounds = 3, jit = 1;
	for (int a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--max") == 0 && a + 1 < argc)
			max = atol(argv[++a]);
		else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc)
			rounds = atoi(argv[++a]);
		else if (strcmp(argv[a], "--dir") == 0 && a + 1 < argc)
			dir = argv[++a];
		else if (strcmp(argv[a], "--no-jit") == 0)
			jit = 0;
		else {
			fprintf(stderr, "scaling: unknown argument '%s'\n", argv[a]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > 64 || max < 1000) {
		fprintf(stderr, "scaling: --rounds must be 1 to 64 and --max at least 1000\n");
		return 2;
	}
	printf("| statements | grad | --emit=c s | peak MB | us/statement | JIT s | peak MB | us/statement |\n");
	printf("|---:|:---:|---:|---:|---:|---:|---:|---:|\n");
	int failed = 0;
	for (int grad = 0; grad < 2; grad++)
		for (long n = 1000; n <= max; n *= 2) {
			char *src = chain_source(n, grad), file[4096];
			snprintf(file, sizeof file, "%s/chain%ld%s.ad", dir, n, grad ? "g" : "");
			FILE *f = src ? fopen(file, "w") : NULL;
			if (!f || fputs(src, f) < 0 || fclose(f) != 0) {
				fprintf(stderr, "scaling: cannot write %s\n", file);
				return 1;
			}
			Run e[64], j[64];
			for (int r = 0; r < rounds; r++) {
				e[r] = run_emit(ad, file);
				if (jit)
					j[r] = run_jit(src, file);
			}
			Run se = summary(e, rounds), sj = jit ? summary(j, rounds) : (Run){0, 0, 1};
			failed += !se.ok + !sj.ok;
			printf("| %ld | %s | %.3f%s | %.0f | %.1f |", n, grad ? "yes" : "no", se.secs,
			       se.ok ? "" : " (failed)", (double)se.max_kb / 1024, se.secs / (double)n * 1e6);
			if (jit)
				printf(" %.3f%s | %.0f | %.1f |\n", sj.secs, sj.ok ? "" : " (failed)",
				       (double)sj.max_kb / 1024, sj.secs / (double)n * 1e6);
			else
				printf(" | | |\n");
			fflush(stdout);
			free(src);
		}
	return failed ? 1 : 0;
}
