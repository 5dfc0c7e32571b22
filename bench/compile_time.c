/* bench/compile_time.c: from .ad source to callable code, in process.
 * For each file: the time of what --run does (check, differentiate,
 * optimize, emit the functions, libtcc), and of ad_module_compile (the same
 * plus every function's VJP, forward/backward pair and metadata); medians of
 * 21 runs. usage: compile_time FILE.ad... */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adrt.h"
#include "driver.h"
#include "jit.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double run_path(const char *name, const char *src)
{
	double t = now_ms();
	Compilation *c = adc_new(name, src, strlen(src));
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0, false};
	char *csrc;
	if (adc_emit(c, &eo, false, &csrc, NULL) != ADC_OK) {
		fprintf(stderr, "%s", adc_messages(c));
		exit(1);
	}
	char err[1024];
	JitModule *m = jit_compile(csrc, err, sizeof err, NULL);
	if (!m) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	t = now_ms() - t;
	jit_free(m);
	adc_free(c);
	return t;
}

static double module_path(const char *name, const char *src)
{
	double t = now_ms();
	ad_error err;
	ad_module *m = ad_module_compile(src, name, &err);
	if (!m) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	t = now_ms() - t;
	ad_module_free(m);
	return t;
}

int main(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "rb");
		if (!f) {
			perror(argv[a]);
			return 1;
		}
		char *src = calloc(1, 1 << 20);
		size_t n = fread(src, 1, (1 << 20) - 1, f);
		src[n] = 0;
		fclose(f);
		enum { R = 21 };
		double t1[R], t2[R];
		for (int r = 0; r < R; r++) {
			t1[r] = run_path(argv[a], src);
			t2[r] = module_path(argv[a], src);
		}
		qsort(t1, R, sizeof(double), cmp);
		qsort(t2, R, sizeof(double), cmp);
		/* name it by its folder and file: bench/sin.ad, samples/sin.ad */
		const char *base = argv[a], *p;
		for (int slashes = 0, i = (int)strlen(argv[a]) - 1; i >= 0 && slashes < 2; i--)
			if (argv[a][i] == '/' && ++slashes == 2)
				base = argv[a] + i + 1;
		for (p = base; *p; p++)
			if (*p == '"' || *p == '\\')
				base = p + 1;
		printf("{\"file\": \"%s\", \"run_ms\": %.3f, \"module_ms\": %.3f}\n", base, t1[R / 2], t2[R / 2]);
		free(src);
	}
	return 0;
}
