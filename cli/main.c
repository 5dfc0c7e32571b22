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

#include "cli.h"
#include "readall.h"

const char *const cli_prog = "ad-compile";
#define prog cli_prog

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	va_end(ap);
}

void cli_runtime_error(const char *fmt, ...)
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
	       "                     passes: lower, simplify, dce, vjp, jvp, split, fuse, reuse\n"
	       "                       ad-compile model.ad --emit=c --dump-after=simplify,fuse\n"
	       "  --entry=LIST       the entry points to emit for each function, comma-separated:\n"
	       "                     plain (NAME), work (NAME_work, NAME_work_size), vjp (NAME_vjp...),\n"
	       "                     jvp (NAME_jvp...), split (NAME_forward/NAME_backward); default all\n"
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
	       "  --jacobian FUNC    print d RESULT / d PARAM of FUNC at run time, for every\n"
	       "                     float result and parameter not nograd (J_RESULT_PARAM)\n"
	       "                       ad-compile --jacobian arm arm.ad --input q='[0.1, 0.2]'\n"
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
	       "  --blas             matrix products through BLAS and factorizations through\n"
	       "                     LAPACK (OpenBLAS): with --cflags and --libs, the flags for\n"
	       "                     that; with --run, --grad, --jacobian and --check, --jit=cc so\n"
	       "                       ad-compile --cflags --blas; ad-compile --run f f.ad --blas\n"
	       "  --threads          kernels over large index spaces on every core (OpenMP; the\n"
	       "                     same bits for any number of threads): with -o and --emit=c,\n"
	       "                     the code; with --cflags and --libs, -fopenmp; with --run,\n"
	       "                     --grad, --jacobian and --check, --jit=cc so (OMP_NUM_THREADS)\n"
	       "                       ad-compile m.ad --threads; cc $(ad-compile --cflags --threads) -c m.c\n"
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

/* --entry=plain,work,vjp,jvp,split (or all): the AD_ENTRY_* bits, 0 if malformed. */
static unsigned parse_entries(const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"plain", AD_ENTRY_PLAIN}, {"work", AD_ENTRY_WORK},   {"vjp", AD_ENTRY_VJP},
	             {"jvp", AD_ENTRY_JVP},     {"split", AD_ENTRY_SPLIT}, {"all", AD_ENTRY_ALL}};
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

int cli_report(Compilation *c)
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
	EmitOptions eo = {hpath ? base_name(hpath) : NULL, o->prefix, true, NULL, NULL, o->entries, o->threads};
	c->entries = o->entries;
	char *csrc, *hsrc = NULL;
	int rc = 0;
	if (adc_emit(c, &eo, true, &csrc, hpath ? &hsrc : NULL) != ADC_OK) {
		rc = cli_report(c);
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
		EmitOptions eo = {NULL, o->prefix, true, mem ? &rep : NULL, mem ? NULL : &rep, o->entries, o->threads};
		c->entries = o->entries;
		char *csrc;
		if (adc_emit(c, &eo, true, &csrc, NULL) == ADC_OK)
			text = buf_finish(&rep, c->A);
		else
			buf_free(&rep);
	} else if (strcmp(s, "c") == 0 || strcmp(s, "h") == 0) {
		EmitOptions eo = {NULL, o->prefix, true, NULL, NULL, o->entries, o->threads};
		c->entries = o->entries;
		char *csrc, *hsrc;
		if (adc_emit(c, &eo, true, &csrc, &hsrc) == ADC_OK)
			text = strcmp(s, "c") == 0 ? csrc : hsrc;
	}
	if (!text || c->status != ADC_OK)
		return cli_report(c);
	fputs(text, stdout);
	return 0;
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
		O_JACOBIAN,
		O_SEED,
		O_WRT,
		O_ALLOW_UNUSED,
		O_BLAS,
		O_THREADS,
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
	    {"jacobian", required_argument, NULL, O_JACOBIAN},
	    {"seed", required_argument, NULL, O_SEED},
	    {"wrt", required_argument, NULL, O_WRT},
	    {"allow-unused", no_argument, NULL, O_ALLOW_UNUSED},
	    {"blas", no_argument, NULL, O_BLAS},
	    {"threads", no_argument, NULL, O_THREADS},
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
	const char *jit = NULL;
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
		case O_JACOBIAN: o.jacobian = optarg; break;
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
		case O_THREADS: o.threads = true; break;
		case O_JIT:
			if (strcmp(optarg, "tcc") && strcmp(optarg, "cc")) {
				cli_usage_error("--jit takes tcc or cc, not '%s'", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			jit = optarg;
			setenv("AD_JIT", optarg, 1); /* read by the JIT (jit.c) */
			break;
		case O_ENTRY:
			if (!(o.entries = parse_entries(optarg))) {
				cli_usage_error("--entry takes a comma-separated list of plain, work, vjp, jvp and "
				                "split (or all), not '%s'",
				                optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case O_DUMP:
			if (!(o.dump = adc_pass_bits(optarg))) {
				cli_usage_error("--dump-after takes a comma-separated list of passes (%s), not '%s'",
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
			printf("-O3 -march=native -fno-math-errno %s -DAD_SIMD%s\n",
			       o.threads ? "-fopenmp" : "-fopenmp-simd", blas ? " -DAD_BLAS" : "");
		if (libs)
			printf("%s%s-lm\n", o.threads ? "-fopenmp " : "", blas ? "-lopenblas " : "");
		rc = 0;
		goto out;
	}
	rc = EXIT_USAGE;
	if (optind == argc) {
		cli_usage_error("no input file");
		goto out;
	}
	if (argc - optind > 1) {
		cli_usage_error("one input file at a time (got '%s' and '%s')", argv[optind], argv[optind + 1]);
		goto out;
	}
	o.file = argv[optind];
	if (o.emit && strcmp(o.emit, "tokens") && strcmp(o.emit, "ast") && strcmp(o.emit, "ir") &&
	    strcmp(o.emit, "ir-opt") && strcmp(o.emit, "c") && strcmp(o.emit, "h") && strcmp(o.emit, "memory") &&
	    strcmp(o.emit, "schedule")) {
		cli_usage_error("--emit takes tokens, ast, ir, ir-opt, schedule, memory, c or h, not '%s'", o.emit);
		goto out;
	}
	const char *bad = NULL;
	if ((o.run != NULL) + (o.check != NULL) + (o.grad != NULL) + (o.jacobian != NULL) > 1)
		bad = "--run, --grad, --jacobian and --check go one at a time";
	else if (!o.run && o.plot)
		bad = "--plot goes with --run";
	else if (!o.run && !o.grad && !o.jacobian && (o.format || o.outdir))
		bad = "--format and --output-dir go with --run, --grad or --jacobian";
	else if (!o.run && !o.check && !o.grad && !o.jacobian && o.ninputs)
		bad = "--input goes with --run, --grad, --jacobian or --check";
	else if (!o.grad && (o.nseeds || o.allow_unused))
		bad = "--seed and --allow-unused go with --grad";
	else if (!o.grad && !o.jacobian && o.wrt)
		bad = "--wrt goes with --grad or --jacobian";
	else if ((o.run || o.check || o.grad || o.jacobian) && (o.emit || o.out || o.header))
		bad = "--run, --grad, --jacobian and --check do not go with --emit, -o or --header";
	else if (o.entries && (o.run || o.check || o.grad || o.jacobian))
		bad = "--entry goes with -o, --emit=c, --emit=h, --emit=schedule or --emit=memory";
	else if (blas && !o.run && !o.check && !o.grad && !o.jacobian)
		bad = "--blas goes with --cflags, --libs, --run, --grad, --jacobian or --check (emitted C takes it "
		      "as -DAD_BLAS)";
	else if (blas && jit && strcmp(jit, "tcc") == 0)
		bad = "--blas compiles with the system compiler (--jit=cc): tcc cannot read OpenBLAS's cblas.h";
	else if (o.threads && jit && strcmp(jit, "tcc") == 0)
		bad = "--threads compiles with the system compiler (--jit=cc): tcc has no OpenMP";
	else if (o.threads && o.emit && strcmp(o.emit, "c") && strcmp(o.emit, "h") && strcmp(o.emit, "schedule") &&
	         strcmp(o.emit, "memory"))
		bad = "--threads goes with -o, --emit=c, --run, --grad, --jacobian, --check, --cflags or --libs";
	if (bad) {
		cli_usage_error("%s", bad);
		goto out;
	}
	if (blas) { /* read by the JIT (jit.c) */
		setenv("AD_JIT", "cc", 1);
		setenv("AD_JIT_BLAS", "1", 1);
	}
	if (o.threads) {
		setenv("AD_JIT", "cc", 1);
		setenv("AD_JIT_THREADS", "1", 1);
	}
	size_t len = 0;
	if (strcmp(o.file, "-") == 0)
		cli_take_stdin();
	char *text = read_source(o.file, &len);
	rc = EXIT_COMPILE;
	if (!text)
		goto out;
	Compilation *c = adc_new(strcmp(o.file, "-") == 0 ? "<stdin>" : o.file, text, len);
	free(text);
	if (!c) {
		cli_runtime_error("out of memory");
		goto out;
	}
	size_t fl = strlen(o.file);
	c->ir_input = fl > 3 && strcmp(o.file + fl - 3, ".ir") == 0; /* IR as --emit=ir prints it */
	c->threads = o.threads;
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
		rc = cli_check(c, &o);
	} else if (o.run)
		rc = cli_run(c, &o);
	else if (o.grad)
		rc = cli_grad(c, &o);
	else if (o.jacobian)
		rc = cli_jacobian(c, &o);
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
