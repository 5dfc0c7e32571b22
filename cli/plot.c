/* plot.c: --plot, with gnuplot: every 1-D result against the first 1-D
 * result of the same length. The image is written to a temporary file and
 * renamed, so a failure leaves no half-written picture. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

int cli_plot(const char *out, const char *const *names, ad_tensor *const *ts, int n, char *err, size_t errlen)
{
	const char *term = ends_with(out, ".png")   ? "pngcairo size 900,600"
	                   : ends_with(out, ".svg") ? "svg size 900,600"
	                                            : NULL;
	if (!term) {
		snprintf(err, errlen, "--plot writes .png or .svg files, not '%s'", out);
		return 1;
	}
	int xi = -1;
	for (int i = 0; i < n && xi < 0; i++)
		if (ts[i] && ts[i]->rank == 1)
			xi = i;
	int ny = 0;
	for (int i = 0; i < n; i++)
		if (i != xi && ts[i] && ts[i]->rank == 1 && xi >= 0 && ts[i]->shape[0] == ts[xi]->shape[0])
			ny++;
	if (xi < 0 || ny == 0) {
		snprintf(err, errlen, "--plot needs at least two 1-D results of the same length");
		return 1;
	}
	char dir[] = "/tmp/ad-plot-XXXXXX";
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "cannot make a temporary directory: %s", strerror(errno));
		return 1;
	}
	char data[64], script[64], img[64];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(script, sizeof script, "%s/plot.gp", dir);
	snprintf(img, sizeof img, "%s/out", dir);
	int rc = 1;
	FILE *d = fopen(data, "w"), *s = fopen(script, "w");
	if (!d || !s) {
		snprintf(err, errlen, "cannot write temporary files for gnuplot");
		goto done;
	}
	int64_t len = ts[xi]->shape[0];
	for (int64_t r = 0; r < len; r++) {
		fprintf(d, "%.9g", ad_tensor_get(ts[xi], r));
		for (int i = 0; i < n; i++)
			if (i != xi && ts[i] && ts[i]->rank == 1 && ts[i]->shape[0] == len)
				fprintf(d, " %.9g", ad_tensor_get(ts[i], r));
		fputc('\n', d);
	}
	fprintf(s, "set terminal %s\nset output '%s'\nset grid\nset key outside right\nset xlabel '%s'\nplot ", term,
	        img, names[xi]);
	int col = 2;
	bool first = true;
	for (int i = 0; i < n; i++)
		if (i != xi && ts[i] && ts[i]->rank == 1 && ts[i]->shape[0] == len) {
			fprintf(s, "%s'%s' using 1:%d with lines linewidth 2 title '%s'", first ? "" : ", ", data,
			        col++, names[i]);
			first = false;
		}
	fputc('\n', s);
	if (fclose(d) | fclose(s)) {
		d = s = NULL;
		snprintf(err, errlen, "cannot write temporary files for gnuplot");
		goto done;
	}
	d = s = NULL;
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", 1);
		if (devnull >= 0)
			dup2(devnull, 1);
		const char *gp = getenv("AD_GNUPLOT"); /* override, for tests and odd installs */
		if (!gp || !*gp)
			gp = AD_GNUPLOT;
		execlp(gp, gp, script, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		snprintf(err, errlen,
		         "--plot needs gnuplot, which was not found (install it: apt-get install gnuplot-nox)");
		goto done;
	}
	if (WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "gnuplot failed (exit %d) drawing '%s'", WEXITSTATUS(status), out);
		goto done;
	}
	/* move the picture into place: rename within a file system, else copy */
	if (rename(img, out) != 0) {
		FILE *in = fopen(img, "rb");
		size_t cap = 1 << 16, len2 = 0;
		char *buf = malloc(cap);
		while (in && buf) {
			size_t r = fread(buf + len2, 1, cap - len2, in);
			len2 += r;
			if (len2 < cap)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		if (in)
			fclose(in);
		ad_error e;
		if (!buf || ad_write_file_atomic(out, buf, len2, &e)) {
			snprintf(err, errlen, "%s", buf ? e.msg : "out of memory");
			free(buf);
			goto done;
		}
		free(buf);
	}
	rc = 0;
done:
	if (d)
		fclose(d);
	if (s)
		fclose(s);
	unlink(data);
	unlink(script);
	unlink(img);
	rmdir(dir);
	return rc;
}
