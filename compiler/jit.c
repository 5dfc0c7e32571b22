/* jit.c: libtcc behind a mutex. */
#include "config.h"

#include "jit.h"

#include <libtcc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct JitModule {
	TCCState *s;
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

JitModule *jit_compile(const char *csrc, char *err, size_t errlen)
{
	ErrSink sink = {err, errlen, 0};
	if (err && errlen)
		err[0] = 0;
	JitModule *m = calloc(1, sizeof *m);
	if (!m) {
		if (err)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&tcc_lock);
	TCCState *s = tcc_new();
	if (!s) {
		pthread_mutex_unlock(&tcc_lock);
		free(m);
		if (err)
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
	pthread_mutex_unlock(&tcc_lock);
	if (rc != 0) {
		pthread_mutex_lock(&tcc_lock);
		tcc_delete(s);
		pthread_mutex_unlock(&tcc_lock);
		free(m);
		if (err && !sink.used)
			snprintf(err, errlen, "libtcc could not compile the code");
		return NULL;
	}
	m->s = s;
	return m;
}

void *jit_symbol(JitModule *m, const char *name)
{
	pthread_mutex_lock(&tcc_lock);
	void *p = tcc_get_symbol(m->s, name);
	pthread_mutex_unlock(&tcc_lock);
	return p;
}

void jit_free(JitModule *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&tcc_lock);
	tcc_delete(m->s);
	pthread_mutex_unlock(&tcc_lock);
	free(m);
}
