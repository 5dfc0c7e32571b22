/* main.c: the ad-compile command line. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "adrt.h"
#include "driver.h"
#include "gradcheck.h"
#include "invoke.h"
#include "jit.h"
#include "readall.h"

/* Exit statuses (LANGUAGE.md section 7). */
enum { EXIT_COMPILE = 1, EXIT_USAGE = 2, EXIT_RUNTIME = 3, EXIT_CHECK = 4 };

static const char *prog = "ad-compile";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	va_end(ap);
}

static void runtime_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void runtime_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void print_help(void)
{
	printf("Usage: %s FILE.ad [-o OUT.c] [--header OUT.h] [--entry=LIST]\n"
	       "       %s FILE.ad --emit=tokens|ast|ir|ir-opt|c|h\n"
	       "       %s --run FUNC FILE.ad [--input NAME=VALUE]... [--format=text|json|csv]\n"
	       "                  [--output-dir DIR] [--plot OUT.png|OUT.svg]\n"
	       "       %s --grad FUNC FILE.ad [--input NAME=VALUE]... [--seed RESULT=VALUE]...\n"
	       "                  [--wrt NAME,...] [--allow-unused]\n"
	       "       %s --check FUNC FILE.ad [--input NAME=VALUE]...\n"
	       "       %s --cflags | --libs | --help | --version\n"
	       "\n"
	       "Compile tensor programs written in the .ad language, with their derivatives,\n"
	       "to dependency-free C99, or run them at once (JIT).\n"
	       "\n"
	       "Options:\n"
	       "  -o OUT.c           write the C code to OUT.c (default: FILE.c; - is stdout)\n"
	       "                       ad-compile model.ad -o model.c\n"
	       "  --header OUT.h     write the declarations to OUT.h (default: OUT.c with .h)\n"
	       "                       ad-compile model.ad -o gen/model.c --header include/model.h\n"
	       "  --prefix P         prepend P to the C name of every function\n"
	       "                       ad-compile model.ad --prefix mylib_\n"
	       "  --dump-after=LIST  print to stderr the IR (or the schedule) after each of these\n"
	       "                     passes: lower, simplify, dce, vjp, split, fuse, reuse\n"
	       "                       ad-compile model.ad --emit=c --dump-after=simplify,fuse\n"
	       "  --entry=LIST       the entry points to emit for each function, comma-separated:\n"
	       "                     plain (NAME), work (NAME_work, NAME_work_size), vjp (NAME_vjp...),\n"
	       "                     split (NAME_forward/NAME_backward); default all\n"
	       "                       ad-compile model.ad --entry=plain,work\n"
	       "  --emit=STAGE       print a stage to stdout: tokens, ast, ir, ir-opt, c or h; or\n"
	       "                     schedule (the loops of the C code) or memory (its buffers)\n"
	       "                       ad-compile model.ad --emit=ir-opt\n"
	       "  --run FUNC         compile in memory and run FUNC, printing its results\n"
	       "                       ad-compile --run main samples/sin.ad\n"
	       "  --input NAME=VALUE the value of parameter NAME: a JSON number or array,\n"
	       "                     @FILE for a .npy, .json or .csv file, or @- for stdin\n"
	       "                       --input x='[1, 2, 3]'  --input w=@weights.npy\n"
	       "  --format=FORMAT    how --run prints: text (default), json or csv\n"
	       "                       ad-compile --run f f.ad --input x=2 --format=json\n"
	       "  --output-dir DIR   also write each result of --run as DIR/NAME.npy\n"
	       "                       ad-compile --run main sin.ad --output-dir out\n"
	       "  --plot OUT         draw every 1-D result of --run against the first (gnuplot)\n"
	       "                       ad-compile --run main samples/sin.ad --plot sin.png\n"
	       "  --grad FUNC        differentiate FUNC at run time (paddle.grad): print the\n"
	       "                     gradient of every parameter not marked nograd\n"
	       "                       ad-compile --grad loss model.ad --input w='[1, 2]'\n"
	       "  --seed RESULT=VALUE  the seed of a result for --grad (default: ones)\n"
	       "                       ad-compile --grad model m.ad --input w=2 --seed loss=0.5\n"
	       "  --wrt NAME,...     the parameters --grad differentiates with respect to\n"
	       "                       ad-compile --grad model m.ad --input w=2 --input b=1 --wrt w\n"
	       "  --allow-unused     print null for a --wrt parameter no result depends on\n"
	       "                       ad-compile --grad model m.ad --input w=2 --wrt w --allow-unused\n"
	       "  --check FUNC       compare FUNC's gradients with central finite differences\n"
	       "                     in f64 (exit 4 if they disagree)\n"
	       "                       ad-compile --check f model.ad --input x='[0.5, 1]'\n"
	       "  --cflags           print the C compiler flags recommended for emitted code\n"
	       "  --libs             print the libraries emitted code links with\n"
	       "                       cc -c $(ad-compile --cflags) model.c; cc app.o model.o $(ad-compile --libs)\n",
	       prog, prog, prog, prog, prog, prog);
	printf("  --jit=BACKEND      how --run, --grad and --check compile: tcc (default: in\n"
	       "                     memory, instantly) or cc (the system compiler with --cflags,\n"
	       "                     cached in ~/.cache/ad-compile; faster code for long runs)\n"
	       "                       ad-compile --run train model.ad --jit=cc\n"
	       "  --blas             with --cflags and --libs: matrix products through BLAS (OpenBLAS)\n"
	       "                       ad-compile --cflags --blas\n"
	       "  --help             print this help and exit\n"
	       "  --version          print the version and the license and exit\n"
	       "  --                 end of options (a FILE may then start with -)\n"
	       "\n"
	       "FILE may be - to read the program from standard input; a FILE ending in .ir\n"
	       "holds IR as --emit=ir prints it (tests write control flow that way).\n"
	       "Exit status: 0 ok, 1 compile error, 2 usage error, 3 run-time error\n"
	       "(bad input, shape mismatch), 4 gradient check failed.\n");
}

static void print_version(void)
{
	printf("ad-compile %s\n"
	       "Copyright (C) 2026 the ad-compile authors.\n"
	       "License: MIT <https://opensource.org/licenses/MIT>.\n"
	       "This is free software: you are free to change and redistribute it.\n"
	       "There is NO WARRANTY, to the extent permitted by law.\n",
	       PACKAGE_VERSION);
}

/* The whole source file; NULL with a message on error. */
static char *read_source(const char *path, size_t *len)
{
	errno = 0;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", prog, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: cannot read '%s': it is a directory\n", prog, path);
		fclose(f);
		return NULL;
	}
	char *buf;
	int sys, rc = ad_read_stream(f, ADC_MAX_SOURCE, &buf, len, &sys);
	if (f != stdin)
		fclose(f);
	if (rc == AD_E_NOMEM)
		fprintf(stderr, "%s: out of memory reading '%s'\n", prog, path);
	else if (sys == EFBIG) /* worded as the driver's check of the text's size */
		fprintf(stderr, "%s: error: the file is larger than %d MiB\n", strcmp(path, "-") ? path : "<stdin>",
		        ADC_MAX_SOURCE >> 20);
	else if (rc)
		fprintf(stderr, "%s: cannot read '%s': %s\n", prog, path, strerror(sys));
	return buf;
}

typedef struct Opts {
	const char *file, *out, *header, *emit, *run, *check, *grad, *format, *outdir, *plot, *prefix, *wrt;
	const char **inputs, **seeds;
	int ninputs, nseeds;
	bool allow_unused;
	unsigned entries; /* --entry: AD_ENTRY_* bits; 0 when not given (all) */
	unsigned dump;    /* --dump-after: PASS_* bits */
} Opts;

/* --entry=plain,work,vjp,split (or all): the AD_ENTRY_* bits, 0 if malformed. */
static unsigned parse_entries(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"plain", AD_ENTRY_PLAIN},
	             {"work", AD_ENTRY_WORK},
	             {"vjp", AD_ENTRY_VJP},
	             {"split", AD_ENTRY_SPLIT},
	             {"all", AD_ENTRY_ALL}};
	unsigned bits = 0;
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0)
				bit = names[i].bit;
		if (!bit)
			return 0;
		bits |= bit;
		p += n;
		if (!*p)
			return bits;
	}
}

/* Report diagnostics; returns the exit status for a failed compilation. */
static int report(Compilation *c)
{
	fputs(adc_messages(c), stderr);
	return EXIT_COMPILE;
}

static char *replace_ext(const char *path, const char *ext)
{
	size_t n = strlen(path);
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		n = (size_t)(dot - path);
	char *s = malloc(n + strlen(ext) + 1);
	if (!s)
		return NULL;
	memcpy(s, path, n);
	strcpy(s + n, ext);
	return s;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int write_text(const char *path, const char *text)
{
	if (strcmp(path, "-") == 0) {
		fputs(text, stdout);
		return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
	}
	ad_error err;
	if (ad_write_file_atomic(path, text, strlen(text), &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int do_emit_files(Compilation *c, const Opts *o)
{
	char *cpath = o->out ? strdup(o->out) : strcmp(o->file, "-") == 0 ? strdup("-") : replace_ext(o->file, ".c");
	char *hpath = o->header ? strdup(o->header) : strcmp(cpath, "-") == 0 ? NULL : replace_ext(cpath, ".h");
	EmitOptions eo = {hpath ? base_name(hpath) : NULL, o->prefix, true, NULL, NULL, o->entries};
	c->entries = o->entries;
	char *csrc, *hsrc = NULL;
	int rc = 0;
	if (adc_emit(c, &eo, true, &csrc, hpath ? &hsrc : NULL) != ADC_OK) {
		rc = report(c);
	} else if (strcmp(cpath, "-") == 0) {
		if (!hpath || (rc = write_text(hpath, hsrc)) == 0)
			rc = write_text(cpath, csrc);
	} else {
		/* the .c and its .h, both or neither */
		const char *paths[2] = {cpath, hpath};
		const void *data[2] = {csrc, hsrc};
		size_t lens[2] = {strlen(csrc), hsrc ? strlen(hsrc) : 0};
		ad_error err;
		if (ad_write_files_atomic(hpath ? 2 : 1, paths, data, lens, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			rc = EXIT_RUNTIME;
		}
	}
	free(cpath);
	free(hpath);
	return rc;
}

static int do_emit_stage(Compilation *c, const Opts *o)
{
	const char *s = o->emit;
	char *text = NULL;
	if (strcmp(s, "tokens") == 0)
		text = adc_tokens(c);
	else if (strcmp(s, "ast") == 0)
		text = adc_ast(c);
	else if (strcmp(s, "ir") == 0)
		text = adc_ir(c, false);
	else if (strcmp(s, "ir-opt") == 0)
		text = adc_ir(c, true);
	else if (strcmp(s, "memory") == 0 || strcmp(s, "schedule") == 0) {
		Buf rep;
		buf_init(&rep, c->A);
		bool mem = strcmp(s, "memory") == 0;
		EmitOptions eo = {NULL, o->prefix, true, mem ? &rep : NULL, mem ? NULL : &rep, o->entries};
		c->entries = o->entries;
		char *csrc;
		if (adc_emit(c, &eo, true, &csrc, NULL) == ADC_OK)
			text = buf_finish(&rep, c->A);
		else
			buf_free(&rep);
	} else if (strcmp(s, "c") == 0 || strcmp(s, "h") == 0) {
		EmitOptions eo = {NULL, o->prefix, true, NULL, NULL, o->entries};
		c->entries = o->entries;
		char *csrc, *hsrc;
		if (adc_emit(c, &eo, true, &csrc, &hsrc) == ADC_OK)
			text = strcmp(s, "c") == 0 ? csrc : hsrc;
	}
	if (!text || c->status != ADC_OK)
		return report(c);
	fputs(text, stdout);
	return 0;
}

static bool is_csv(const char *v)
{
	size_t n = strlen(v);
	return v[0] == '@' && n > 4 && strcasecmp(v + n - 4, ".csv") == 0;
}

/* A value on the command line: JSON, @FILE (.npy, .json, .csv), or @- for
 * standard input (.npy bytes or JSON text), which can be read once. */
static bool stdin_taken;

static ad_tensor *read_value(const char *v, ad_error *err)
{
	if (strcmp(v, "@-") != 0)
		return v[0] == '@' ? ad_read_file(v + 1, err) : ad_parse_json(v, err);
	if (stdin_taken) {
		ad_error_set(err, AD_E_IO, "standard input can be read once (the program or one @- value)");
		return NULL;
	}
	stdin_taken = true;
	size_t n;
	char *buf;
	int sys, rc = ad_read_stream(stdin, (size_t)1 << 30, &buf, &n, &sys);
	if (rc) {
		ad_error_set(err, AD_E_IO, "standard input: %s",
		             rc == AD_E_NOMEM ? "out of memory"
		             : sys == EFBIG   ? "larger than 1 GiB"
		                              : strerror(sys));
		return NULL;
	}
	ad_tensor *t;
	if (n >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
		t = ad_parse_npy(buf, n, "<stdin>", err);
	else if (strlen(buf) != n)
		t = NULL, ad_error_set(err, AD_E_VALUE, "<stdin>: a NUL byte in JSON text");
	else
		t = ad_parse_json(buf, err);
	free(buf);
	return t;
}

static int parse_inputs(const Opts *o, char ***names, ad_tensor ***vals, bool **table)
{
	*names = calloc((size_t)o->ninputs + 1, sizeof **names);
	*vals = calloc((size_t)o->ninputs + 1, sizeof **vals);
	*table = calloc((size_t)o->ninputs + 1, sizeof **table);
	if (!*names || !*vals || !*table) {
		runtime_error("out of memory");
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < o->ninputs; i++) {
		const char *arg = o->inputs[i];
		const char *eq = strchr(arg, '=');
		if (!eq || eq == arg) {
			usage_error("--input takes NAME=VALUE, not '%s'", arg);
			return EXIT_USAGE;
		}
		(*names)[i] = strndup(arg, (size_t)(eq - arg));
		ad_error err;
		const char *v = eq + 1;
		(*table)[i] = is_csv(v);
		(*vals)[i] = read_value(v, &err);
		if (!(*vals)[i]) {
			runtime_error("input '%s': %s", (*names)[i], err.msg);
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

/* --output-dir: the directory, made if missing. */
static int ensure_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (mkdir(dir, 0777) != 0) {
			runtime_error("cannot create the directory '%s': %s", dir, strerror(errno));
			return EXIT_RUNTIME;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		runtime_error("'%s' is not a directory", dir);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* DIR/NAME.npy for each tensor that is not NULL, all or none. */
static int write_npys(const char *dir, const char *const *names, const ad_tensor *const *ts, int n)
{
	if (ensure_dir(dir))
		return EXIT_RUNTIME;
	const char **paths = calloc((size_t)n + 1, sizeof *paths);
	const void **data = calloc((size_t)n + 1, sizeof *data);
	size_t *lens = calloc((size_t)n + 1, sizeof *lens);
	int k = 0, rc = paths && data && lens ? 0 : EXIT_RUNTIME;
	for (int i = 0; i < n && !rc; i++) {
		if (!ts[i])
			continue;
		size_t len = strlen(dir) + strlen(names[i]) + 8;
		char *path = malloc(len);
		void *bytes = ad_format_npy(ts[i], &lens[k]);
		if (path)
			snprintf(path, len, "%s/%s.npy", dir, names[i]);
		paths[k] = path;
		data[k++] = bytes;
		if (!path || !bytes)
			rc = EXIT_RUNTIME;
	}
	ad_error err;
	if (rc)
		runtime_error("out of memory");
	else if (ad_write_files_atomic(k, paths, data, lens, &err))
		runtime_error("%s", err.msg), rc = EXIT_RUNTIME;
	for (int i = 0; i < k; i++) {
		free((void *)paths[i]);
		free((void *)data[i]);
	}
	free(paths);
	free(data);
	free(lens);
	return rc;
}

static int write_outputs(const char *dir, const Func *f, Invocation *iv)
{
	const char **names = calloc((size_t)f->results.len + 1, sizeof *names);
	if (!names)
		return EXIT_RUNTIME;
	for (int i = 0; i < f->results.len; i++) {
		names[i] = f->results.data[i].name;
		if (f->results.data[i].value < 0)
			fprintf(stderr, "%s: note: %s is none; no %s/%s.npy was written\n", prog,
			        f->results.data[i].name, dir, f->results.data[i].name);
	}
	int rc = write_npys(dir, names, (const ad_tensor *const *)iv->out, f->results.len);
	free(names);
	return rc;
}

int plot_results(const char *out, const char *const *names, ad_tensor *const *ts, int n, char *err, size_t errlen);

/* Print named tensors (NULL: none) as --format says. */
static int print_named(const char *fmt, const char **names, const ad_tensor **ts, int n)
{
	char *text = strcmp(fmt, "json") == 0  ? ad_format_json(names, ts, n)
	             : strcmp(fmt, "csv") == 0 ? ad_format_csv(names, ts, n)
	                                       : ad_format_text(names, ts, n);
	if (!text) {
		runtime_error("out of memory");
		return EXIT_RUNTIME;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

/* A CSV table feeds a 1-D parameter as one row or column, a scalar as 1x1. */
static void fit_table(ad_tensor *t, int rank)
{
	if (t->rank != 2 || rank >= 2)
		return;
	if (rank == 1 && (t->shape[0] == 1 || t->shape[1] == 1)) {
		t->shape[0] = t->shape[0] == 1 ? t->shape[1] : t->shape[0];
		t->rank = 1;
	} else if (rank == 0 && t->shape[0] == 1 && t->shape[1] == 1) {
		t->rank = 0;
	}
}

/* --grad: paddle.grad at run time, through the runtime API (adrt.h). */
static int do_grad(const Opts *o, const char *text)
{
	ad_error err;
	const char *fmt = o->format ? o->format : "text";
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		usage_error("--format must be text, json or csv, not '%s'", fmt);
		return EXIT_USAGE;
	}
	ad_module *mod = ad_module_compile(text, strcmp(o->file, "-") == 0 ? "<stdin>" : o->file, &err);
	if (!mod) {
		fputs(err.msg, stderr);
		if (err.msg[0] && err.msg[strlen(err.msg) - 1] != '\n')
			fputc('\n', stderr);
		return err.code == AD_E_COMPILE ? EXIT_COMPILE : EXIT_RUNTIME;
	}
	const ad_function *fn = ad_module_function(mod, o->grad, &err);
	if (!fn) {
		usage_error("'%s': %s", o->file, err.msg);
		ad_module_free(mod);
		return EXIT_USAGE;
	}
	const ad_meta *meta = ad_function_meta(fn);
	int np = meta->nparams, nr = meta->nresults, rc = 0;
	ad_tensor **in = calloc((size_t)np + 1, sizeof *in), **seeds = calloc((size_t)nr + 1, sizeof *seeds);
	ad_tensor **grads = calloc((size_t)np + 1, sizeof *grads);
	int *wrt = calloc((size_t)np + 1, sizeof *wrt);
	const char **names = calloc((size_t)np + 1, sizeof *names);
	const ad_tensor **shown = calloc((size_t)np + 1, sizeof *shown);
	if (!in || !seeds || !grads || !wrt || !names || !shown) {
		runtime_error("out of memory");
		rc = EXIT_RUNTIME;
		goto done;
	}
	for (int i = 0; i < o->ninputs && !rc; i++) {
		const char *eq = strchr(o->inputs[i], '=');
		if (!eq || eq == o->inputs[i]) {
			usage_error("--input takes NAME=VALUE, not '%s'", o->inputs[i]);
			rc = EXIT_USAGE;
			break;
		}
		char *name = strndup(o->inputs[i], (size_t)(eq - o->inputs[i]));
		int p = name ? ad_function_param(fn, name) : -1;
		if (p < 0)
			runtime_error("%s has no parameter '%s'", meta->name, name ? name : "?"), rc = EXIT_RUNTIME;
		else if (in[p])
			runtime_error("input '%s' is given twice", name), rc = EXIT_RUNTIME;
		else if (!(in[p] = read_value(eq + 1, &err)))
			runtime_error("input '%s': %s", name, err.msg), rc = EXIT_RUNTIME;
		else if (is_csv(eq + 1))
			fit_table(in[p], meta->params[p].rank);
		free(name);
	}
	for (int i = 0; i < o->nseeds && !rc; i++) {
		const char *eq = strchr(o->seeds[i], '=');
		if (!eq || eq == o->seeds[i]) {
			usage_error("--seed takes RESULT=VALUE, not '%s'", o->seeds[i]);
			rc = EXIT_USAGE;
			break;
		}
		char *name = strndup(o->seeds[i], (size_t)(eq - o->seeds[i]));
		int r = name ? ad_function_result(fn, name) : -1;
		if (r < 0)
			runtime_error("%s has no result '%s'", meta->name, name ? name : "?"), rc = EXIT_RUNTIME;
		else if (seeds[r])
			runtime_error("the seed of '%s' is given twice", name), rc = EXIT_RUNTIME;
		else if (meta->results[r].none)
			runtime_error("result '%s' is always none; it takes no seed", name), rc = EXIT_RUNTIME;
		else if (!(seeds[r] = read_value(eq + 1, &err)))
			runtime_error("seed '%s': %s", name, err.msg), rc = EXIT_RUNTIME;
		else if (is_csv(eq + 1))
			fit_table(seeds[r], meta->results[r].rank);
		free(name);
	}
	if (!rc && o->wrt) {
		char *list = strdup(o->wrt);
		for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok && !rc;
		     tok = strtok_r(NULL, ",", &save)) {
			int p = ad_function_param(fn, tok);
			if (p < 0)
				runtime_error("--wrt: %s has no parameter '%s'", meta->name, tok), rc = EXIT_RUNTIME;
			else
				wrt[p] = 1;
		}
		free(list);
	}
	for (int p = 0; p < np && !rc; p++)
		if (!in[p]) {
			runtime_error("no input for parameter '%s' (%s); pass --input %s=VALUE", meta->params[p].name,
			              meta->params[p].type, meta->params[p].name);
			rc = EXIT_RUNTIME;
		}
	int wanted = 0;
	for (int p = 0; p < np; p++)
		wanted += o->wrt ? wrt[p] : !meta->params[p].nograd;
	if (!rc && wanted == 0) {
		runtime_error("%s has nothing to differentiate: every parameter is nograd", meta->name);
		rc = EXIT_RUNTIME;
	}
	if (!rc && ad_grad(fn, in, seeds, o->wrt ? wrt : NULL, o->allow_unused, grads, &err)) {
		/* the API's advice, in the command line's words */
		runtime_error("%s%s", err.msg, strstr(err.msg, "allow_unused") ? " (here: --allow-unused)" : "");
		rc = EXIT_RUNTIME;
	}
	if (!rc) {
		int n = 0;
		for (int p = 0; p < np; p++)
			if (o->wrt ? wrt[p] : !meta->params[p].nograd) {
				names[n] = meta->params[p].name;
				shown[n++] = grads[p];
			}
		rc = print_named(fmt, names, shown, n);
		if (!rc && o->outdir)
			rc = write_npys(o->outdir, names, shown, n);
	}
done:
	for (int p = 0; p < np; p++) {
		ad_tensor_free(in ? in[p] : NULL);
		ad_tensor_free(grads ? grads[p] : NULL);
	}
	for (int r = 0; r < nr; r++)
		ad_tensor_free(seeds ? seeds[r] : NULL);
	free(in);
	free(seeds);
	free(grads);
	free(wrt);
	free(names);
	free(shown);
	ad_module_free(mod);
	return rc;
}

static int do_run(Compilation *c, const Opts *o)
{
	if (adc_lower(c) != ADC_OK)
		return report(c);
	int fi = adc_find(c, o->run);
	if (fi < 0) {
		usage_error("'%s' has no function '%s' (it has: %s)", o->file, o->run, adc_func_list(c));
		return EXIT_USAGE;
	}
	const char *fmt = o->format ? o->format : "text";
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		usage_error("--format must be text, json or csv, not '%s'", fmt);
		return EXIT_USAGE;
	}
	char **names;
	ad_tensor **vals;
	bool *table;
	int rc = parse_inputs(o, &names, &vals, &table);
	Invocation iv = {0};
	JitModule *jm = NULL;
	if (rc)
		goto out;
	const Func *f = c->mod->funcs[fi];
	ad_error err;
	if (inv_bind(&iv, f, (const char *const *)names, vals, table, o->ninputs, &err)) {
		runtime_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	EmitOptions eo = {NULL, NULL, false, NULL, NULL, 0};
	char *csrc;
	if (adc_emit(c, &eo, false, &csrc, NULL) != ADC_OK) {
		rc = report(c);
		goto out;
	}
	char jerr[2048];
	jm = jit_compile(csrc, jerr, sizeof jerr, NULL);
	if (!jm) {
		runtime_error("%s", jerr);
		rc = EXIT_RUNTIME;
		goto out;
	}
	CNames nm = emit_c_names(c->opt, c->nfuncs, fi, &eo, c->A);
	AdCallFn fn = (AdCallFn)(uintptr_t)jit_symbol(jm, nm.call);
	if (!fn) {
		runtime_error("internal error: %s is missing from the generated code", nm.call);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (inv_call(&iv, fn, &err)) {
		runtime_error("%s", err.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	int nr = f->results.len;
	const char **rn = calloc((size_t)nr + 1, sizeof *rn);
	const ad_tensor **rt = calloc((size_t)nr + 1, sizeof *rt);
	if (!rn || !rt) {
		free(rn);
		free(rt);
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (int i = 0; i < nr; i++) {
		rn[i] = f->results.data[i].name;
		rt[i] = f->results.data[i].value < 0 ? NULL : iv.out[i];
	}
	char *text = strcmp(fmt, "json") == 0  ? ad_format_json(rn, rt, nr)
	             : strcmp(fmt, "csv") == 0 ? ad_format_csv(rn, rt, nr)
	                                       : ad_format_text(rn, rt, nr);
	if (!text) {
		runtime_error("out of memory");
		rc = EXIT_RUNTIME;
	} else {
		fputs(text, stdout);
		free(text);
	}
	if (!rc && o->outdir)
		rc = write_outputs(o->outdir, f, &iv);
	if (!rc && o->plot) {
		char perr[1024];
		if (plot_results(o->plot, rn, (ad_tensor *const *)rt, nr, perr, sizeof perr)) {
			runtime_error("%s", perr);
			rc = EXIT_RUNTIME;
		}
	}
	free(rn);
	free(rt);
out:
	inv_free(&iv);
	jit_free(jm);
	for (int i = 0; i < o->ninputs; i++) {
		if (names)
			free(names[i]);
		if (vals)
			ad_tensor_free(vals[i]);
	}
	free(names);
	free(vals);
	free(table);
	return rc;
}

static int do_check(Compilation *c, const Opts *o)
{
	if (adc_lower(c) != ADC_OK)
		return report(c);
	if (adc_find(c, o->check) < 0) {
		usage_error("'%s' has no function '%s' (it has: %s)", o->file, o->check, adc_func_list(c));
		return EXIT_USAGE;
	}
	char **names;
	ad_tensor **vals;
	bool *table;
	int rc = parse_inputs(o, &names, &vals, &table);
	if (rc == 0) {
		CheckOptions co = check_defaults();
		Buf rep;
		buf_init(&rep, c->A);
		ad_error err;
		int failed =
		    adc_check(c, o->check, (const char *const *)names, vals, table, o->ninputs, &co, &rep, &err);
		if (rep.data)
			fputs(rep.data, stdout);
		buf_free(&rep);
		if (failed < 0) {
			if (err.code == AD_E_COMPILE)
				fputs(err.msg, stderr);
			else
				runtime_error("%s", err.msg);
			rc = err.code == AD_E_COMPILE ? EXIT_COMPILE : EXIT_RUNTIME;
		} else if (failed > 0) {
			printf("%d check%s FAILED (eps %g, atol %g, rtol %g)\n", failed, failed == 1 ? "" : "s", co.eps,
			       co.atol, co.rtol);
			rc = EXIT_CHECK;
		} else {
			printf("all checks passed (f64, central differences, eps %g, atol %g, rtol %g)\n", co.eps,
			       co.atol, co.rtol);
		}
	}
	for (int i = 0; i < o->ninputs; i++) {
		free(names[i]);
		ad_tensor_free(vals[i]);
	}
	free(names);
	free(vals);
	free(table);
	return rc;
}

int main(int argc, char **argv)
{
	enum {
		O_HEADER = 256,
		O_EMIT,
		O_RUN,
		O_INPUT,
		O_FORMAT,
		O_OUTDIR,
		O_PLOT,
		O_CFLAGS,
		O_LIBS,
		O_HELP,
		O_VERSION,
		O_PREFIX,
		O_CHECK,
		O_GRAD,
		O_SEED,
		O_WRT,
		O_ALLOW_UNUSED,
		O_BLAS,
		O_JIT,
		O_ENTRY,
		O_DUMP
	};
	static const struct option longopts[] = {
	    {"header", required_argument, NULL, O_HEADER},
	    {"emit", required_argument, NULL, O_EMIT},
	    {"run", required_argument, NULL, O_RUN},
	    {"input", required_argument, NULL, O_INPUT},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"output-dir", required_argument, NULL, O_OUTDIR},
	    {"plot", required_argument, NULL, O_PLOT},
	    {"cflags", no_argument, NULL, O_CFLAGS},
	    {"libs", no_argument, NULL, O_LIBS},
	    {"help", no_argument, NULL, O_HELP},
	    {"version", no_argument, NULL, O_VERSION},
	    {"prefix", required_argument, NULL, O_PREFIX},
	    {"check", required_argument, NULL, O_CHECK},
	    {"grad", required_argument, NULL, O_GRAD},
	    {"seed", required_argument, NULL, O_SEED},
	    {"wrt", required_argument, NULL, O_WRT},
	    {"allow-unused", no_argument, NULL, O_ALLOW_UNUSED},
	    {"blas", no_argument, NULL, O_BLAS},
	    {"jit", required_argument, NULL, O_JIT},
	    {"entry", required_argument, NULL, O_ENTRY},
	    {"dump-after", required_argument, NULL, O_DUMP},
	    {NULL, 0, NULL, 0},
	};
	Opts o = {0};
	o.inputs = calloc((size_t)argc + 1, sizeof *o.inputs);
	o.seeds = calloc((size_t)argc + 1, sizeof *o.seeds);
	if (!o.inputs || !o.seeds) {
		free(o.inputs);
		free(o.seeds);
		return EXIT_RUNTIME;
	}
	bool cflags = false, libs = false, blas = false;
	int ch, rc = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o.out = optarg; break;
		case O_HEADER: o.header = optarg; break;
		case O_EMIT: o.emit = optarg; break;
		case O_RUN: o.run = optarg; break;
		case O_CHECK: o.check = optarg; break;
		case O_GRAD: o.grad = optarg; break;
		case O_SEED: o.seeds[o.nseeds++] = optarg; break;
		case O_WRT: o.wrt = optarg; break;
		case O_ALLOW_UNUSED: o.allow_unused = true; break;
		case O_INPUT: o.inputs[o.ninputs++] = optarg; break;
		case O_FORMAT: o.format = optarg; break;
		case O_OUTDIR: o.outdir = optarg; break;
		case O_PLOT: o.plot = optarg; break;
		case O_PREFIX: o.prefix = optarg; break;
		case O_CFLAGS: cflags = true; break;
		case O_LIBS: libs = true; break;
		case O_BLAS: blas = true; break;
		case O_JIT:
			if (strcmp(optarg, "tcc") && strcmp(optarg, "cc")) {
				usage_error("--jit takes tcc or cc, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			setenv("AD_JIT", optarg, 1); /* read by the JIT (jit.c) */
			break;
		case O_ENTRY:
			if (!(o.entries = parse_entries(optarg))) {
				usage_error(
				    "--entry takes a comma-separated list of plain, work, vjp and split (or all), not "
				    "'%s'",
				    optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case O_DUMP:
			if (!(o.dump = adc_pass_bits(optarg))) {
				usage_error("--dump-after takes a comma-separated list of passes (%s), not '%s'",
				            adc_pass_list(), optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case O_HELP:
			print_help();
			rc = 0;
			goto out;
		case O_VERSION:
			print_version();
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", prog);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (cflags || libs) {
		/* vectorized loops with glibc's vector math; BLAS for products if asked */
		if (cflags)
			printf("-O3 -march=native -fno-math-errno -fopenmp-simd -DAD_SIMD%s\n",
			       blas ? " -DAD_BLAS" : "");
		if (libs)
			printf("%s-lm\n", blas ? "-lopenblas " : "");
		rc = 0;
		goto out;
	}
	rc = EXIT_USAGE;
	if (optind == argc) {
		usage_error("no input file");
		goto out;
	}
	if (argc - optind > 1) {
		usage_error("one input file at a time (got '%s' and '%s')", argv[optind], argv[optind + 1]);
		goto out;
	}
	o.file = argv[optind];
	if (o.emit && strcmp(o.emit, "tokens") && strcmp(o.emit, "ast") && strcmp(o.emit, "ir") &&
	    strcmp(o.emit, "ir-opt") && strcmp(o.emit, "c") && strcmp(o.emit, "h") && strcmp(o.emit, "memory") &&
	    strcmp(o.emit, "schedule")) {
		usage_error("--emit takes tokens, ast, ir, ir-opt, schedule, memory, c or h, not '%s'", o.emit);
		goto out;
	}
	const char *bad = NULL;
	if ((o.run != NULL) + (o.check != NULL) + (o.grad != NULL) > 1)
		bad = "--run, --grad and --check go one at a time";
	else if (!o.run && o.plot)
		bad = "--plot goes with --run";
	else if (!o.run && !o.grad && (o.format || o.outdir))
		bad = "--format and --output-dir go with --run or --grad";
	else if (!o.run && !o.check && !o.grad && o.ninputs)
		bad = "--input goes with --run, --grad or --check";
	else if (!o.grad && (o.nseeds || o.wrt || o.allow_unused))
		bad = "--seed, --wrt and --allow-unused go with --grad";
	else if ((o.run || o.check || o.grad) && (o.emit || o.out || o.header))
		bad = "--run, --grad and --check do not go with --emit, -o or --header";
	else if (o.dump && o.grad)
		bad = "--dump-after does not go with --grad";
	else if (o.entries && (o.run || o.check || o.grad))
		bad = "--entry goes with -o, --emit=c, --emit=h, --emit=schedule or --emit=memory";
	if (bad) {
		usage_error("%s", bad);
		goto out;
	}
	size_t len = 0;
	stdin_taken = strcmp(o.file, "-") == 0;
	char *text = read_source(o.file, &len);
	rc = EXIT_COMPILE;
	if (!text)
		goto out;
	if (o.grad) {
		rc = strlen(text) == len ? do_grad(&o, text) : EXIT_COMPILE;
		if (strlen(text) != len)
			fprintf(stderr, "%s: '%s' contains a NUL byte\n", prog, o.file);
		free(text);
		goto out;
	}
	Compilation *c = adc_new(strcmp(o.file, "-") == 0 ? "<stdin>" : o.file, text, len);
	free(text);
	if (!c) {
		runtime_error("out of memory");
		goto out;
	}
	size_t fl = strlen(o.file);
	c->ir_input = fl > 3 && strcmp(o.file + fl - 3, ".ir") == 0; /* IR as --emit=ir prints it */
	Buf dump;
	buf_init(&dump, NULL);
	if (o.dump) {
		c->dump_after = o.dump;
		c->dump = &dump;
	}
	if (o.emit)
		rc = do_emit_stage(c, &o);
	else if (o.check) {
		c->promote = true; /* gradient checks run in f64 */
		rc = do_check(c, &o);
	} else if (o.run)
		rc = do_run(c, &o);
	else
		rc = do_emit_files(c, &o);
	if (dump.len)
		fputs(dump.data, stderr); /* after the stage's own output, as it was made */
	buf_free(&dump);
	adc_free(c);
out:
	free(o.inputs);
	free(o.seeds);
	return rc;
}
