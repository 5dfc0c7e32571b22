/* jit.c: compiling the emitted C in process. Two backends:
 *   tcc (default): libtcc in memory, milliseconds to compile; serialized by a
 *       mutex, libtcc not being reentrant.
 *   cc: the system C compiler with the recommended flags (ad-compile
 *       --cflags) into a shared object, cached under ~/.cache/ad-compile (or
 *       $AD_CACHE_DIR) by a hash of the source, the compiler and the flags;
 *       for long runs, where vectorized code pays for a slower compile.
 * AD_JIT=cc in the environment (or ad-compile --jit=cc) selects the second;
 * AD_JIT_BLAS=1 (ad-compile --blas) adds -DAD_BLAS and links OpenBLAS;
 * AD_JIT_THREADS=1 (ad-compile --threads) adds -fopenmp; AD_JIT_CFLAGS
 * holds more flags of the user's (-DAD_PAR_MIN_=1, -march=x86-64-v2). */
#include "config.h"

#include "jit.h"

#include "adrt.h"

#include <dlfcn.h>
#include <errno.h>
#include <libtcc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct JitModule {
	TCCState *s; /* tcc */
	void *dl;    /* cc */
};

static pthread_mutex_t tcc_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct ErrSink {
	char *buf;
	size_t len, used;
} ErrSink;

static void on_error(void *opaque, const char *msg)
{
	ErrSink *e = opaque;
	if (!e->buf || e->used + 2 >= e->len)
		return;
	int n = snprintf(e->buf + e->used, e->len - e->used, "%s%s", e->used ? "\n" : "", msg);
	if (n > 0)
		e->used += (size_t)n < e->len - e->used ? (size_t)n : e->len - e->used - 1;
}

static JitModule *compile_tcc(const char *csrc, char *err, size_t errlen)
{
	ErrSink sink = {err, errlen, 0};
	JitModule *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&tcc_lock);
	TCCState *s = tcc_new();
	if (!s) {
		pthread_mutex_unlock(&tcc_lock);
		free(m);
		snprintf(err, errlen, "cannot start libtcc");
		return NULL;
	}
	tcc_set_error_func(s, &sink, on_error);
	if (AD_TCC_LIB_DIR[0])
		tcc_set_lib_path(s, AD_TCC_LIB_DIR);
	tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
	int rc = tcc_compile_string(s, csrc);
	if (rc == 0)
		rc = tcc_add_library(s, "m");
#ifdef TCC_RELOCATE_TWO_ARGS
	if (rc == 0)
		rc = tcc_relocate(s, TCC_RELOCATE_AUTO);
#else
	if (rc == 0)
		rc = tcc_relocate(s);
#endif
	if (rc != 0)
		tcc_delete(s);
	pthread_mutex_unlock(&tcc_lock);
	if (rc != 0) {
		free(m);
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", sink.used ? err : "libtcc gave no message");
		snprintf(err, errlen, "internal error: the generated C does not compile (a bug in ad-compile):\n%s",
		         msg);
		return NULL;
	}
	m->s = s;
	return m;
}

/* The flags of ad-compile --cflags; the compiler is $CC or cc. As make
 * does, $CC may hold arguments ("gcc -m64", "ccache cc"), split at blanks. */
static const char *const cc_flags[] = {"-O3",       "-march=native", "-fno-math-errno", "-fopenmp-simd",
                                       "-DAD_SIMD", "-shared",       "-fPIC",           "-w"};
enum { NFLAGS = sizeof cc_flags / sizeof cc_flags[0] };

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int cache_dir(char *out, size_t n)
{
	const char *d = getenv("AD_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (d && *d)
		snprintf(out, n, "%s", d);
	else if (xdg && *xdg)
		snprintf(out, n, "%s/ad-compile", xdg);
	else if (home && *home)
		snprintf(out, n, "%s/.cache/ad-compile", home);
	else
		snprintf(out, n, "/tmp/ad-compile-cache-%ld", (long)getuid());
	/* make it and its parent (~/.cache) */
	if (strlen(out) + 1 >= n)
		return -1;
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", out);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		mkdir(parent, 0700);
	}
	if (mkdir(out, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* libgomp, opened once and never closed (ad-compile --threads modules). */
static void *gomp;
static pthread_once_t gomp_once = PTHREAD_ONCE_INIT;
static void pin_gomp(void)
{
	gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL);
}

/* The blank-separated words of s (changed in place) into argv, at most max. */
static int split_words(char *s, const char **argv, int max)
{
	int k = 0;
	for (char *w = s; *w && k < max;) {
		while (*w == ' ' || *w == '\t')
			*w++ = 0;
		if (*w)
			argv[k++] = w;
		while (*w && *w != ' ' && *w != '\t')
			w++;
	}
	return k;
}

static JitModule *compile_cc(const char *csrc, char *err, size_t errlen)
{
	const char *cc = getenv("CC");
	if (!cc || !*cc)
		cc = "cc";
	const char *blas = getenv("AD_JIT_BLAS"); /* ad-compile --blas: -DAD_BLAS, linked with OpenBLAS */
	bool with_blas = blas && strcmp(blas, "1") == 0;
	const char *threads = getenv("AD_JIT_THREADS"), *extra = getenv("AD_JIT_CFLAGS");
	bool with_threads = threads && strcmp(threads, "1") == 0;
	uint64_t h = fnv(1469598103934665603ull, csrc);
	if (with_threads)
		h = fnv(h, "-fopenmp");
	if (extra)
		h = fnv(h, extra);
	h = fnv(h, cc);
	for (int i = 0; i < NFLAGS; i++)
		h = fnv(h, cc_flags[i]);
	if (with_blas)
		h = fnv(h, "-DAD_BLAS -lopenblas");
	char dir[4000], so[4100], src[4100], tmp[4200];
	if (cache_dir(dir, sizeof dir)) {
		snprintf(err, errlen, "cannot create the cache directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	snprintf(so, sizeof so, "%s/%016llx.so", dir, (unsigned long long)h);
	if (access(so, R_OK) != 0) {
		snprintf(src, sizeof src, "%s/%016llx-XXXXXX", dir, (unsigned long long)h);
		int fd = mkstemp(src);
		if (fd < 0) {
			snprintf(err, errlen, "cannot write to %s: %s", dir, strerror(errno));
			return NULL;
		}
		size_t len = strlen(csrc);
		bool ok = write(fd, csrc, len) == (ssize_t)len;
		close(fd);
		snprintf(tmp, sizeof tmp, "%s.so", src);
		char csrc_path[4200];
		snprintf(csrc_path, sizeof csrc_path, "%s.c", src);
		ok = ok && rename(src, csrc_path) == 0;
		enum { MAXWORDS = 64 };
		const char *argv[2 * MAXWORDS + NFLAGS + 10];
		int k = 0;
		char words[4096], more[4096];
		snprintf(words, sizeof words, "%s", cc);
		k = split_words(words, argv, MAXWORDS);
		if (k == 0)
			argv[k++] = "cc";
		for (int i = 0; i < NFLAGS; i++)
			argv[k++] = cc_flags[i];
		if (with_blas)
			argv[k++] = "-DAD_BLAS";
		if (with_threads)
			argv[k++] = "-fopenmp";
		snprintf(more, sizeof more, "%s", extra ? extra : "");
		k += split_words(more, argv + k, MAXWORDS);
		argv[k++] = "-o";
		argv[k++] = tmp;
		argv[k++] = csrc_path;
		if (with_blas)
			argv[k++] = "-lopenblas";
		argv[k++] = "-lm";
		argv[k] = NULL;
		pid_t pid = ok ? fork() : -1;
		if (pid == 0) {
			execvp(argv[0], (char *const *)argv);
			_exit(127);
		}
		int status = 0;
		while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		unlink(csrc_path);
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			unlink(tmp);
			int rc = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			snprintf(err, errlen, "%s could not compile the generated code (exit %d%s)", cc, rc,
			         rc == 127 ? ": the compiler was not found" : "");
			return NULL;
		}
		if (rename(tmp, so) != 0) { /* another process may have made it */
			unlink(tmp);
			if (access(so, R_OK) != 0) {
				snprintf(err, errlen, "cannot write %s: %s", so, strerror(errno));
				return NULL;
			}
		}
	}
	JitModule *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* OpenMP's worker threads wait inside libgomp between parallel loops:
	 * libgomp stays loaded until the process exits (else the module does) */
	if (with_threads)
		pthread_once(&gomp_once, pin_gomp);
	m->dl = dlopen(so, RTLD_NOW | RTLD_LOCAL | (with_threads && !gomp ? RTLD_NODELETE : 0));
	if (!m->dl) {
		snprintf(err, errlen, "cannot load %s: %s", so, dlerror());
		free(m);
		return NULL;
	}
	return m;
}

JitModule *jit_compile(const char *csrc, char *err, size_t errlen, int *code)
{
	if (err && errlen)
		err[0] = 0;
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	const char *backend = getenv("AD_JIT");
	bool cc = backend && strcmp(backend, "cc") == 0;
	JitModule *m = cc ? compile_cc(csrc, err, errlen) : compile_tcc(csrc, err, errlen);
	if (!m && code)
		*code = strcmp(err, "out of memory") == 0 ? AD_E_NOMEM : cc ? AD_E_IO : AD_E_INTERNAL;
	return m;
}

void *jit_symbol(JitModule *m, const char *name)
{
	if (m->dl)
		return dlsym(m->dl, name);
	pthread_mutex_lock(&tcc_lock);
	void *p = tcc_get_symbol(m->s, name);
	pthread_mutex_unlock(&tcc_lock);
	return p;
}

void jit_free(JitModule *m)
{
	if (!m)
		return;
	if (m->dl) {
		dlclose(m->dl);
	} else {
		pthread_mutex_lock(&tcc_lock);
		tcc_delete(m->s);
		pthread_mutex_unlock(&tcc_lock);
	}
	free(m);
}
