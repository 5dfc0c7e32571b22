/* testlib.h: helpers shared by the Check suites: compile a program from a
 * string, run one of its functions through the JIT, compare numbers. */
#ifndef AD_TESTLIB_H
#define AD_TESTLIB_H

#include <check.h>

#include "adrt.h"
#include "driver.h"

/* Compile (through optimization); NULL with the messages in *msgs. */
Compilation *t_compile(const char *src, char **msgs);
/* Run function fn on inputs (names[i] = vals[i]) through the module
 * ad-compile -o --entry=plain,work writes (the first call sets c->entries
 * so, unless a module was made already), JIT-compiled, with ad_call;
 * returns the results (NULL entries for none results) or NULL with err
 * set. `nres` gets their count. The caller frees with t_free_results. */
ad_tensor **t_run(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n, int *nres,
                  ad_error *err);
/* The same, and also build the emitted C with gcc (strict warnings, -O2),
 * call it on the same inputs and require the same numbers as the JIT (to a
 * few ulps). */
ad_tensor **t_run_gcc(Compilation *c, const char *fn, const char *const *names, ad_tensor *const *vals, int n,
                      int *nres, ad_error *err);
void t_free_results(ad_tensor **r, int n);
/* A tensor from a flat list of doubles. */
ad_tensor *t_tensor(ad_dtype dt, int rank, const int64_t *shape, const double *data);
/* The emitted C of src compiles with gcc -std=c99 -Wall -Wextra -pedantic
 * -Werror (and links with a main that calls nothing); returns "" or the
 * compiler's complaint. */
char *t_strict_compile(const char *csrc, const char *hsrc);
/* Build a module's C with gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror
 * as a shared object: the runtime-API module of its function whose ad_meta
 * record is `meta`, or NULL with what went wrong in *msg (malloc'ed). */
ad_module *t_gcc_module(const char *csrc, const char *meta, char **msg);
/* Read a whole file (relative to the source tree's tests/ directory). */
char *t_read(const char *relpath);
/* The directory of the test sources (from $srcdir, or "."). */
const char *t_srcdir(void);
/* Run a suite; returns the number of failures. */
int t_run_suite(Suite *s);

#endif
