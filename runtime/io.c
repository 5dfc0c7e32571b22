/* io.c: reading and writing tensors: JSON literals and files, .npy, .csv. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adrt.h"
#include "readall.h"

enum { MAX_FILE = 1 << 30 }; /* input files larger than 1 GiB are refused */

/* ---------------------------------------------------------------- JSON */

static int json_number(const json_t *j, double *out)
{
	if (json_is_integer(j)) {
		*out = (double)json_integer_value(j);
		return 1;
	}
	if (json_is_real(j)) {
		*out = json_real_value(j);
		return 1;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);
		if (strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0) {
			*out = NAN;
			return 1;
		}
		if (strcmp(s, "Infinity") == 0 || strcmp(s, "inf") == 0) {
			*out = INFINITY;
			return 1;
		}
		if (strcmp(s, "-Infinity") == 0 || strcmp(s, "-inf") == 0) {
			*out = -INFINITY;
			return 1;
		}
	}
	return 0;
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	default: return "a number";
	}
}

static int json_fill(const json_t *j, int depth, int rank, const int64_t *shape, ad_tensor *t, int64_t *k, char *path,
                     size_t plen, ad_error *err)
{
	if (depth == rank) {
		double v;
		if (t->dtype == AD_I64 && json_is_integer(j)) {
			((int64_t *)t->data)[(*k)++] = (int64_t)json_integer_value(j);
			return 0;
		}
		if (!json_number(j, &v))
			return ad_error_set(err, AD_E_VALUE, "expected a number at %s, found %s",
			                    plen ? path : "the top", json_kind(j));
		ad_tensor_set(t, (*k)++, v);
		return 0;
	}
	if (!json_is_array(j))
		return ad_error_set(err, AD_E_VALUE, "ragged array: expected a list of %lld at %s, found %s",
		                    (long long)shape[depth], plen ? path : "the top", json_kind(j));
	if ((int64_t)json_array_size(j) != shape[depth])
		return ad_error_set(err, AD_E_VALUE, "ragged array: %s has %zu elements where %lld were expected",
		                    plen ? path : "the top level", json_array_size(j), (long long)shape[depth]);
	for (size_t i = 0; i < json_array_size(j); i++) {
		int n = snprintf(path + plen, 256 - plen, "[%zu]", i);
		size_t np = plen + (n > 0 && plen + (size_t)n < 256 ? (size_t)n : 0);
		if (json_fill(json_array_get(j, i), depth + 1, rank, shape, t, k, path, np, err))
			return err ? err->code : AD_E_VALUE;
		path[plen] = 0;
	}
	return 0;
}

/* Whether the numbers of j (to depth rank; what lies elsewhere is an error
 * json_fill reports) are all integer literals. */
static bool json_all_integers(const json_t *j, int depth, int rank)
{
	if (depth == rank || !json_is_array(j))
		return !json_is_real(j) && !json_is_string(j);
	for (size_t i = 0; i < json_array_size(j); i++)
		if (!json_all_integers(json_array_get(j, i), depth + 1, rank))
			return false;
	return true;
}

static ad_tensor *from_json(const json_t *root, ad_error *err)
{
	int64_t shape[AD_MAX_RANK];
	int rank = 0;
	const json_t *j = root;
	while (json_is_array(j)) {
		if (rank == AD_MAX_RANK) {
			ad_error_set(err, AD_E_VALUE, "arrays are nested more than %d deep", AD_MAX_RANK);
			return NULL;
		}
		shape[rank++] = (int64_t)json_array_size(j);
		if (json_array_size(j) == 0)
			break;
		j = json_array_get(j, 0);
	}
	ad_tensor *t = ad_tensor_new(json_all_integers(root, 0, rank) ? AD_I64 : AD_F64, rank, shape, err);
	if (!t)
		return NULL;
	char path[256] = "";
	int64_t k = 0;
	if (json_fill(root, 0, rank, shape, t, &k, path, 0, err)) {
		ad_tensor_free(t);
		return NULL;
	}
	return t;
}

ad_tensor *ad_parse_json(const char *text, ad_error *err)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* jansson's words for an integer literal beyond int64_t */
		if (strstr(je.text, "too big integer") || strstr(je.text, "too big negative integer"))
			ad_error_set(err, AD_E_VALUE,
			             "an integer outside the int64 range [-2^63, 2^63 - 1] (%s, at character %d); a "
			             "float is written with a '.' or an exponent",
			             je.text, je.position);
		else
			ad_error_set(err, AD_E_VALUE, "not a JSON number or array (%s, at character %d)", je.text,
			             je.position);
		return NULL;
	}
	ad_tensor *t = from_json(root, err);
	json_decref(root);
	return t;
}

/* ---------------------------------------------------------------- files */

int ad_read_stream(FILE *f, size_t max, char **out, size_t *len, int *sys)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	*out = NULL;
	*sys = 0;
	if (!buf)
		return AD_E_NOMEM;
	for (;;) {
		if (n == cap) {
			if (n > max) {
				free(buf);
				*sys = EFBIG;
				return AD_E_IO;
			}
			size_t ncap = cap > max / 2 ? max + 1 : 2 * cap; /* max + 1: enough to tell */
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return AD_E_NOMEM;
			}
			buf = nb;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f) || n > max) {
		*sys = n > max ? EFBIG : errno ? errno : EIO;
		free(buf);
		return AD_E_IO;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static char *slurp(const char *path, size_t *len, ad_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		ad_error_set(err, AD_E_IO, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	bool known = fstat(fileno(f), &st) == 0;
	if (known && S_ISDIR(st.st_mode)) {
		fclose(f);
		ad_error_set(err, AD_E_IO, "cannot read '%s': it is a directory", path);
		return NULL;
	}
	char *buf = NULL;
	int sys = EFBIG, rc = AD_E_IO;
	if (!(known && S_ISREG(st.st_mode) && st.st_size > MAX_FILE)) /* else too large, known before reading */
		rc = ad_read_stream(f, MAX_FILE, &buf, len, &sys);
	fclose(f);
	if (rc == AD_E_NOMEM)
		ad_error_set(err, rc, "out of memory reading '%s'", path);
	else if (sys == EFBIG)
		ad_error_set(err, rc, "'%s' is larger than 1 GiB", path);
	else if (rc)
		ad_error_set(err, rc, "cannot read '%s': %s", path, strerror(sys));
	return rc ? NULL : buf;
}

static ad_tensor *read_json_file(const char *path, ad_error *err)
{
	size_t len;
	char *text = slurp(path, &len, err);
	if (!text)
		return NULL;
	if (strlen(text) != len) {
		free(text);
		ad_error_set(err, AD_E_VALUE, "%s: the file contains a NUL byte", path);
		return NULL;
	}
	ad_tensor *t = ad_parse_json(text, err);
	free(text);
	if (!t && err) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "%.200s: %.800s", path, err->msg);
		memcpy(err->msg, msg, sizeof msg);
	}
	return t;
}

/* ---------------------------------------------------------------- .npy */

static int npy_fail(ad_error *err, const char *path, const char *why)
{
	return ad_error_set(err, AD_E_VALUE, "%s: not a valid .npy file (%s)", path, why);
}

/* Find 'key': in a header dict and return the text after the colon. */
static const char *npy_field(const char *h, const char *key)
{
	char pat[32];
	snprintf(pat, sizeof pat, "'%s'", key);
	const char *p = strstr(h, pat);
	if (!p) {
		snprintf(pat, sizeof pat, "\"%s\"", key);
		p = strstr(h, pat);
	}
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

ad_tensor *ad_parse_npy(const void *bytes, size_t len, const char *path, ad_error *err)
{
	const unsigned char *b = bytes;
	ad_tensor *t = NULL;
	size_t hlen, hstart;
	char *h = NULL;
	if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
		npy_fail(err, path, "no NUMPY magic");
		goto out;
	}
	if (b[6] == 1) {
		hlen = (size_t)b[8] | (size_t)b[9] << 8;
		hstart = 10;
	} else if ((b[6] == 2 || b[6] == 3) && len >= 12) {
		hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
		hstart = 12;
	} else {
		npy_fail(err, path, "unknown format version");
		goto out;
	}
	if (hlen > len - hstart || hlen > 1 << 20) {
		npy_fail(err, path, "header runs past the end");
		goto out;
	}
	h = malloc(hlen + 1);
	if (!h) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(h, b + hstart, hlen);
	h[hlen] = 0;
	const char *descr = npy_field(h, "descr"), *fo = npy_field(h, "fortran_order"), *sh = npy_field(h, "shape");
	if (!descr || !fo || !sh || (*descr != '\'' && *descr != '"') || *sh != '(') {
		npy_fail(err, path, "header lacks descr, fortran_order or shape");
		goto out;
	}
	char kind[8] = {0};
	size_t k = 0;
	for (const char *p = descr + 1; *p && *p != '\'' && *p != '"' && k < 7; p++)
		kind[k++] = *p;
	char endian = kind[0];
	char type = kind[1];
	long size = strtol(kind + 2, NULL, 10);
	bool big = endian == '>';
	if (!(endian == '<' || endian == '>' || endian == '|' || endian == '=') ||
	    !((type == 'f' && (size == 4 || size == 8)) ||
	      ((type == 'i' || type == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
	      (type == 'b' && size == 1))) {
		char why[80];
		snprintf(why, sizeof why, "dtype '%s' is not supported; use <f4, <f8, <i4 or <i8", kind);
		npy_fail(err, path, why);
		goto out;
	}
	/* floats keep their type; integers (and bools) go to the narrowest of
	 * i32 and i64 that holds every value of theirs (uint64: i64, checked) */
	ad_dtype dt = type == 'f'                              ? (size == 4 ? AD_F32 : AD_F64)
	              : size < 4 || (size == 4 && type == 'i') ? AD_I32
	                                                       : AD_I64;
	bool fortran = strncmp(fo, "True", 4) == 0;
	int64_t shape[AD_MAX_RANK];
	int rank = 0;
	const char *p = sh + 1;
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ')')
			break;
		char *end;
		errno = 0;
		long long d = strtoll(p, &end, 10);
		if (end == p || d < 0 || errno || rank == AD_MAX_RANK) {
			npy_fail(err, path, "bad shape");
			goto out;
		}
		shape[rank++] = d;
		p = end;
	}
	/* the data must be there before anything is allocated for it */
	uint64_t n = 1, avail = (len - hstart - hlen) / (uint64_t)size;
	for (int a = 0; a < rank; a++) {
		if (shape[a] == 0) {
			n = 0;
			break;
		}
		n = (uint64_t)shape[a] > avail / n + 1 ? avail + 1 : n * (uint64_t)shape[a];
	}
	if (n > avail) {
		npy_fail(err, path, "the data is shorter than the shape says");
		goto out;
	}
	t = ad_tensor_new(dt, rank, shape, err);
	if (!t)
		goto out;
	size_t data = hstart + hlen;
	for (int64_t i = 0; i < (int64_t)n; i++) {
		unsigned char e[8];
		memcpy(e, b + data + (size_t)i * (size_t)size, (size_t)size);
		if (big)
			for (long a = 0; a < size / 2; a++) {
				unsigned char c = e[a];
				e[a] = e[size - 1 - a];
				e[size - 1 - a] = c;
			}
		double v = 0;
		int64_t iv = 0;
		if (type == 'f' && size == 4) {
			float x;
			memcpy(&x, e, 4);
			v = x;
		} else if (type == 'f') {
			memcpy(&v, e, 8);
		} else if (type == 'b' || (type == 'u' && size == 1)) {
			iv = e[0];
		} else if (type == 'i' && size == 1) {
			iv = (signed char)e[0];
		} else if (size == 2) {
			uint16_t x;
			memcpy(&x, e, 2);
			iv = type == 'i' ? (int64_t)(int16_t)x : (int64_t)x;
		} else if (size == 4) {
			uint32_t x;
			memcpy(&x, e, 4);
			iv = type == 'i' ? (int64_t)(int32_t)x : (int64_t)x;
		} else {
			uint64_t x;
			memcpy(&x, e, 8);
			if (type == 'u' && x > (uint64_t)INT64_MAX) {
				char why[96];
				snprintf(why, sizeof why, "element %lld, %llu, is above the int64 range", (long long)i,
				         (unsigned long long)x);
				npy_fail(err, path, why);
				ad_tensor_free(t);
				t = NULL;
				goto out;
			}
			int64_t y;
			memcpy(&y, &x, 8); /* the same bits, two's complement */
			iv = y;
		}
		/* Fortran order: element i is at the column-major position */
		int64_t dst = i;
		if (fortran && rank > 1) {
			int64_t rem = i, idx[AD_MAX_RANK];
			for (int a = 0; a < rank; a++) {
				idx[a] = shape[a] ? rem % shape[a] : 0;
				rem = shape[a] ? rem / shape[a] : 0;
			}
			dst = 0;
			for (int a = 0; a < rank; a++)
				dst = dst * shape[a] + idx[a];
		}
		if (type == 'f')
			ad_tensor_set(t, dst, v);
		else
			ad_tensor_set_i64(t, dst, iv);
	}
out:
	free(h);
	return t;
}

ad_tensor *ad_read_npy(const char *path, ad_error *err)
{
	size_t len;
	char *b = slurp(path, &len, err);
	if (!b)
		return NULL;
	ad_tensor *t = ad_parse_npy(b, len, path, err);
	free(b);
	return t;
}

/* Write data into a new temporary file next to path; its name in *tmp. */
static int stage(const char *path, const void *data, size_t len, char **tmp, ad_error *err)
{
	size_t n = strlen(path);
	char *t = malloc(n + 16);
	if (!t)
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	snprintf(t, n + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(t);
	if (fd < 0) {
		int e = errno;
		free(t);
		return ad_error_set(err, AD_E_IO, "cannot write '%s': %s", path, strerror(e));
	}
	const char *p = data;
	size_t left = len;
	int e = 0;
	while (left > 0 && !e) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : ENOSPC;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	/* the permissions a new file would get */
	mode_t mask = umask(0);
	umask(mask);
	if (!e && fchmod(fd, 0666 & ~mask) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (e) {
		unlink(t);
		free(t);
		return ad_error_set(err, AD_E_IO, "cannot write '%s': %s", path, strerror(e));
	}
	*tmp = t;
	return 0;
}

int ad_write_files_atomic(int n, const char *const *paths, const void *const *data, const size_t *lens, ad_error *err)
{
	char **tmp = calloc((size_t)n + 1, sizeof *tmp);
	if (!tmp)
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	/* an interrupt while the temporary files exist waits until they are
	 * renamed or removed, so none is left behind */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int rc = 0, k = 0;
	/* what would make a rename fail once the files are written: a
	 * directory in the way (anything else fails writing the temporaries) */
	for (int i = 0; i < n && rc == 0; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = ad_error_set(err, AD_E_IO, "cannot write '%s': %s", paths[i], strerror(EISDIR));
	}
	for (; k < n && rc == 0; k++)
		rc = stage(paths[k], data[k], lens[k], &tmp[k], err);
	/* all written: move them into place, together */
	for (int i = 0; i < n && rc == 0; i++)
		if (rename(tmp[i], paths[i]) != 0) {
			rc = ad_error_set(err, AD_E_IO, "cannot write '%s': %s", paths[i], strerror(errno));
			for (int j = i; j < n; j++)
				unlink(tmp[j]);
			break;
		} else {
			free(tmp[i]);
			tmp[i] = NULL;
		}
	for (int i = 0; i < n; i++) {
		if (tmp[i] && rc != 0)
			unlink(tmp[i]);
		free(tmp[i]);
	}
	free(tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int ad_write_file_atomic(const char *path, const void *data, size_t len, ad_error *err)
{
	return ad_write_files_atomic(1, &path, &data, &len, err);
}

void *ad_format_npy(const ad_tensor *t, size_t *len)
{
	char shape[512];
	size_t k = (size_t)snprintf(shape, sizeof shape, "(");
	for (int i = 0; i < t->rank; i++)
		k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)t->shape[i],
		                      i + 1 < t->rank ? " " : "");
	if (t->rank > 1)
		shape[--k] = 0; /* (2, 3) but (3,) */
	snprintf(shape + k, sizeof shape - k, ")");
	char header[640];
	const char *descr = t->dtype == AD_F64 ? "f8" : t->dtype == AD_I32 ? "i4" : t->dtype == AD_I64 ? "i8" : "f4";
	int hl =
	    snprintf(header, sizeof header, "{'descr': '<%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
	/* pad with spaces to a multiple of 64 bytes, counting the 10-byte
	 * preamble and the final newline */
	size_t total = 10 + (size_t)hl + 1;
	size_t pad = (64 - total % 64) % 64;
	size_t hlen = (size_t)hl + pad + 1;
	size_t bytes = (size_t)ad_tensor_numel(t) * ad_dtype_size(t->dtype);
	unsigned char *buf = malloc(10 + hlen + bytes);
	if (!buf)
		return NULL;
	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (unsigned char)(hlen & 0xff);
	buf[9] = (unsigned char)(hlen >> 8);
	memcpy(buf + 10, header, (size_t)hl);
	memset(buf + 10 + hl, ' ', pad);
	buf[10 + hlen - 1] = '\n';
	memcpy(buf + 10 + hlen, t->data, bytes); /* little-endian hosts only */
	*len = 10 + hlen + bytes;
	return buf;
}

int ad_write_npy(const char *path, const ad_tensor *t, ad_error *err)
{
	size_t len;
	void *buf = ad_format_npy(t, &len);
	if (!buf)
		return ad_error_set(err, AD_E_NOMEM, "out of memory");
	int rc = ad_write_file_atomic(path, buf, len, err);
	free(buf);
	return rc;
}

/* ---------------------------------------------------------------- .csv */

ad_tensor *ad_parse_csv(const char *data, size_t len, const char *path, ad_error *err)
{
	/* a private, NUL-terminated copy: strtod needs the terminator */
	char *text = malloc(len + 1);
	if (!text) {
		ad_error_set(err, AD_E_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(text, data, len);
	text[len] = 0;
	ad_tensor *t = NULL;
	double *vals = NULL;
	int64_t *ints = NULL; /* the same values as integers, while all are */
	bool all_int = true;
	size_t nv = 0, cap = 0;
	int64_t rows = 0, cols = -1;
	char *p = text, *end = text + len;
	int line = 0;
	while (p < end) {
		line++;
		char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		char *q = p;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == eol) { /* blank line */
			p = eol + 1;
			continue;
		}
		int64_t c = 0;
		for (;;) {
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			char *num_end;
			char save = *eol;
			*eol = 0;
			errno = 0;
			double v = strtod(q, &num_end);
			/* an integer literal: strtoll reads as far as strtod (no '.',
			 * no exponent, not inf or nan, not hexadecimal) */
			char *int_end;
			errno = 0;
			long long iv = num_end == q ? 0 : strtoll(q, &int_end, 10);
			bool is_int = num_end != q && int_end == num_end;
			int range = errno;
			*eol = save;
			if (num_end == q) {
				ad_error_set(err, AD_E_VALUE, "%s:%d: column %lld is not a number", path, line,
				             (long long)c + 1);
				goto out;
			}
			if (is_int && range == ERANGE) {
				ad_error_set(err, AD_E_VALUE,
				             "%s:%d: column %lld: the integer %.*s is outside the int64 range [-2^63, "
				             "2^63 - 1]; a float is written with a '.' or an exponent",
				             path, line, (long long)c + 1, (int)(num_end - q < 40 ? num_end - q : 40),
				             q);
				goto out;
			}
			if (nv == cap) {
				cap = cap ? 2 * cap : 1024;
				double *nvp = realloc(vals, cap * sizeof *vals);
				if (!nvp) {
					ad_error_set(err, AD_E_NOMEM, "out of memory");
					goto out;
				}
				vals = nvp;
				if (all_int) {
					int64_t *nip = realloc(ints, cap * sizeof *ints);
					if (!nip) {
						ad_error_set(err, AD_E_NOMEM, "out of memory");
						goto out;
					}
					ints = nip;
				}
			}
			if (all_int && !is_int) {
				all_int = false;
				free(ints);
				ints = NULL;
			}
			if (all_int)
				ints[nv] = (int64_t)iv;
			vals[nv++] = v;
			c++;
			q = num_end;
			while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q == eol)
				break;
			if (*q != ',') {
				ad_error_set(err, AD_E_VALUE, "%s:%d: expected ',' after column %lld", path, line,
				             (long long)c);
				goto out;
			}
			q++;
		}
		if (cols >= 0 && c != cols) {
			ad_error_set(err, AD_E_VALUE, "%s:%d: %lld columns where the first row has %lld", path, line,
			             (long long)c, (long long)cols);
			goto out;
		}
		cols = c;
		rows++;
		p = eol + 1;
	}
	if (rows == 0) {
		ad_error_set(err, AD_E_VALUE, "%s: no numbers in the file", path);
		goto out;
	}
	int64_t shape[2] = {rows, cols};
	t = ad_tensor_new(all_int ? AD_I64 : AD_F64, 2, shape, err);
	if (t)
		memcpy(t->data, all_int ? (void *)ints : (void *)vals, nv * (all_int ? sizeof *ints : sizeof *vals));
out:
	free(ints);
	free(vals);
	free(text);
	return t;
}

ad_tensor *ad_read_csv(const char *path, ad_error *err)
{
	size_t len;
	char *text = slurp(path, &len, err);
	if (!text)
		return NULL;
	ad_tensor *t = ad_parse_csv(text, len, path, err);
	free(text);
	return t;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

ad_tensor *ad_read_file(const char *path, ad_error *err)
{
	if (ends_with(path, ".npy"))
		return ad_read_npy(path, err);
	if (ends_with(path, ".json"))
		return read_json_file(path, err);
	if (ends_with(path, ".csv"))
		return ad_read_csv(path, err);
	ad_error_set(err, AD_E_VALUE, "'%s': the file name must end in .npy, .json or .csv", path);
	return NULL;
}
