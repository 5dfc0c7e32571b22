/* values.c: values on the command line and what --run and --grad print
 * (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "readall.h"

/* Standard input can be read once: by the program or by one @- value. */
static bool stdin_taken;

void cli_take_stdin(void)
{
	stdin_taken = true;
}

static bool is_csv(const char *v)
{
	size_t n = strlen(v);
	return v[0] == '@' && n > 4 && strcasecmp(v + n - 4, ".csv") == 0;
}

/* A value: JSON, @FILE (.npy, .json, .csv), or @- for standard input
 * (.npy bytes or JSON text). */
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

/* A CSV table feeds a 1-D tensor as one row or column, a scalar as 1x1. */
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

/* "x, y" (or "none"): the names of ts, for messages. */
static void name_list(const ad_meta_tensor *ts, int n, char *buf, size_t len)
{
	size_t k = (size_t)snprintf(buf, len, "%s", n ? "" : "none");
	for (int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? ", " : "", ts[i].name);
}

int cli_bind(const char *fn, bool seeds, const char *const *args, int nargs, const ad_meta_tensor *ts, int n,
             ad_tensor **out)
{
	const char *opt = seeds ? "--seed" : "--input", *what = seeds ? "result" : "parameter";
	for (int k = 0; k < n; k++)
		out[k] = NULL;
	for (int i = 0; i < nargs; i++) {
		const char *eq = strchr(args[i], '=');
		if (!eq || eq == args[i]) {
			cli_usage_error("%s takes %s=VALUE, not '%s'", opt, seeds ? "RESULT" : "NAME", args[i]);
			return EXIT_USAGE;
		}
		size_t len = (size_t)(eq - args[i]);
		int k = -1;
		for (int j = 0; j < n && k < 0; j++)
			if (strlen(ts[j].name) == len && strncmp(ts[j].name, args[i], len) == 0)
				k = j;
		if (k < 0) {
			char list[1024];
			name_list(ts, n, list, sizeof list);
			cli_runtime_error("%s has no %s '%.*s' (its %ss: %s)", fn, what, (int)len, args[i], what, list);
			return EXIT_RUNTIME;
		}
		const char *name = ts[k].name;
		ad_error err;
		if (out[k]) {
			if (seeds)
				cli_runtime_error("the seed of '%s' is given twice", name);
			else
				cli_runtime_error("input '%s' is given twice", name);
			return EXIT_RUNTIME;
		}
		if (seeds && ts[k].none) {
			cli_runtime_error("result '%s' is always none; it takes no seed", name);
			return EXIT_RUNTIME;
		}
		if (!(out[k] = read_value(eq + 1, &err))) {
			cli_runtime_error("%s '%s': %s", seeds ? "seed" : "input", name, err.msg);
			return EXIT_RUNTIME;
		}
		if (is_csv(eq + 1))
			fit_table(out[k], ts[k].rank);
	}
	for (int k = 0; k < n && !seeds; k++)
		if (!out[k]) {
			cli_runtime_error("no input for parameter '%s' (%s); pass --input %s=VALUE", ts[k].name,
			                  ts[k].type, ts[k].name);
			return EXIT_RUNTIME;
		}
	return 0;
}

int cli_check_format(const Opts *o)
{
	const char *fmt = o->format ? o->format : "text";
	if (strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "csv")) {
		cli_usage_error("--format must be text, json or csv, not '%s'", fmt);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_print(const Opts *o, const char *const *names, const ad_tensor *const *ts, int n)
{
	const char *fmt = o->format ? o->format : "text";
	char *text = strcmp(fmt, "json") == 0  ? ad_format_json(names, ts, n)
	             : strcmp(fmt, "csv") == 0 ? ad_format_csv(names, ts, n)
	                                       : ad_format_text(names, ts, n);
	if (!text) {
		cli_runtime_error("out of memory");
		return EXIT_RUNTIME;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}

/* --output-dir: the directory, made if missing. */
static int ensure_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (mkdir(dir, 0777) != 0) {
			cli_runtime_error("cannot create the directory '%s': %s", dir, strerror(errno));
			return EXIT_RUNTIME;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		cli_runtime_error("'%s' is not a directory", dir);
		return EXIT_RUNTIME;
	}
	return 0;
}

int cli_write_npys(const char *dir, const char *const *names, const ad_tensor *const *ts, int n)
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
		cli_runtime_error("out of memory");
	else if (ad_write_files_atomic(k, paths, data, lens, &err))
		cli_runtime_error("%s", err.msg), rc = EXIT_RUNTIME;
	for (int i = 0; i < k; i++) {
		free((void *)paths[i]);
		free((void *)data[i]);
	}
	free(paths);
	free(data);
	free(lens);
	return rc;
}
