/* cli.h: what the files of the command line share:
 *   main.c       options, help, the compile-to-files and --emit modes
 *   call.c       --run, --grad and --check: functions called in process,
 *                through runtime-API modules (jit/jit_module.h)
 *   values.c     values on the command line (--input, --seed), bound to a
 *                function's parameters or results by name; results printed
 *                and written as .npy files
 *   gradcheck.c  the finite-difference gradient checks of --check
 *   plot.c       --plot, with gnuplot
 * Their shared functions have the prefix cli_. */
#ifndef AD_CLI_H
#define AD_CLI_H

#include <stdbool.h>

#include "adrt.h"
#include "driver.h"

/* Exit statuses (LANGUAGE.md section 7). */
enum { EXIT_COMPILE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3, EXIT_CHECK = 4 };

extern const char *const cli_prog; /* "ad-compile", the prefix of messages */

/* "ad-compile: MESSAGE" and the hint to --help (a usage error), or the
 * message alone (a run-time error), on stderr. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_runtime_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The diagnostics of a failed compilation; returns EXIT_COMPILE. */
int cli_report(Compilation *c);

typedef struct Opts {
	const char *file, *out, *header, *emit, *run, *check, *grad, *jacobian, *format, *outdir, *plot, *prefix, *wrt;
	const char **inputs, **seeds; /* NAME=VALUE arguments */
	int ninputs, nseeds;
	bool allow_unused;
	bool threads;     /* --threads: OpenMP in the emitted code */
	unsigned entries; /* --entry: AD_ENTRY_* bits; 0 when not given (all) */
	unsigned dump;    /* --dump-after: PASS_* bits */
} Opts;

/* call.c */
int cli_run(Compilation *c, const Opts *o);
int cli_grad(Compilation *c, const Opts *o);
/* --jacobian FUNC: d result / d parameter for every float result and every
 * parameter not nograd (or those of --wrt), as J_RESULT_PARAM of shape
 * result.shape + param.shape, by one reverse sweep per result element. */
int cli_jacobian(Compilation *c, const Opts *o);
int cli_check(Compilation *c, const Opts *o);

/* values.c */
/* The program was read from standard input, which no @- value may read. */
void cli_take_stdin(void);
/* NAME=VALUE arguments bound to the tensors ts[0..n) of function fn by
 * name (its parameters, or with `seeds` its results): out[k] gets the
 * value of ts[k] (NULL where none is given), a CSV table fitted to its
 * rank. Every parameter needs a value; a result that is always none takes
 * no seed. Returns 0, or the exit status after the message. */
int cli_bind(const char *fn, bool seeds, const char *const *args, int nargs, const ad_meta_tensor *ts, int n,
             ad_tensor **out);
/* --format (text by default): 0, or EXIT_USAGE after the message. */
int cli_check_format(const Opts *o);
/* Named tensors (NULL: none) printed as --format says. */
int cli_print(const Opts *o, const char *const *names, const ad_tensor *const *ts, int n);
/* DIR/NAME.npy for each tensor that is not NULL, all or none. */
int cli_write_npys(const char *dir, const char *const *names, const ad_tensor *const *ts, int n);

/* plot.c */
int cli_plot(const char *out, const char *const *names, ad_tensor *const *ts, int n, char *err, size_t errlen);

#endif
