/* check_io.c: the runtime's tensor I/O: JSON literals, .npy files written
 * by NumPy (tests/data, made with numpy.save), CSV, output formats and
 * atomic writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static ad_tensor *rd(const char *name, ad_error *err)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/data/%s", t_srcdir(), name);
	return ad_read_file(path, err);
}

static void expect(const ad_tensor *t, int rank, const int64_t *shape, const double *vals)
{
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->rank, rank);
	for (int i = 0; i < rank; i++)
		ck_assert_int_eq(t->shape[i], shape[i]);
	int64_t n = ad_tensor_numel(t);
	for (int64_t i = 0; i < n; i++) {
		double g = ad_tensor_get(t, i);
		ck_assert_msg(g == vals[i] || (isnan(g) && isnan(vals[i])), "element %lld: %g vs %g", (long long)i, g,
		              vals[i]);
	}
}

START_TEST(json_literals)
{
	ad_error err;
	ad_tensor *t = ad_parse_json("[[1, 2.5], [-3, 1e-3]]", &err);
	expect(t, 2, (int64_t[]){2, 2}, (double[]){1, 2.5, -3, 1e-3});
	ad_tensor_free(t);
	t = ad_parse_json("4.5", &err);
	expect(t, 0, NULL, (double[]){4.5});
	ad_tensor_free(t);
	t = ad_parse_json("[\"NaN\", \"Infinity\", \"-Infinity\"]", &err);
	expect(t, 1, (int64_t[]){3}, (double[]){NAN, INFINITY, -INFINITY});
	ad_tensor_free(t);
	t = ad_parse_json("[]", &err);
	expect(t, 1, (int64_t[]){0}, NULL);
	ad_tensor_free(t);
}
END_TEST

START_TEST(json_errors)
{
	ad_error err;
	ck_assert_ptr_null(ad_parse_json("[[1, 2], [3]]", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "ragged"));
	ck_assert_ptr_null(ad_parse_json("[1, \"x\"]", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "expected a number at [1], found a string"));
	ck_assert_ptr_null(ad_parse_json("[1, 2", &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ck_assert_ptr_null(ad_parse_json("{\"a\": 1}", &err));
	ck_assert_ptr_null(ad_parse_json("", &err));
	ck_assert_ptr_null(ad_parse_json("[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "nested"));
	ck_assert_ptr_null(ad_parse_json("1e999", &err));
}
END_TEST

START_TEST(npy_from_numpy)
{
	ad_error err;
	ad_tensor *t = rd("f4_2x3.npy", &err);
	expect(t, 2, (int64_t[]){2, 3}, (double[]){0, 0.25, 0.5, 0.75, 1, 1.25});
	ad_tensor_free(t);
	t = rd("f8_3.npy", &err);
	expect(t, 1, (int64_t[]){3}, (double[]){1.5, -2.25, 1e300});
	ad_tensor_free(t);
	t = rd("i8_4.npy", &err);
	expect(t, 1, (int64_t[]){4}, (double[]){1, -2, 3, 1099511627776.0});
	ad_tensor_free(t);
	t = rd("fortran_2x3.npy", &err); /* NumPy's column-major layout, read in C order */
	expect(t, 2, (int64_t[]){2, 3}, (double[]){0, 1, 2, 3, 4, 5});
	ad_tensor_free(t);
	t = rd("scalar.npy", &err);
	expect(t, 0, NULL, (double[]){3.25});
	ad_tensor_free(t);
	t = rd("be_f8_2.npy", &err);
	expect(t, 1, (int64_t[]){2}, (double[]){1.0, -0.5});
	ad_tensor_free(t);
	t = rd("bool_3.npy", &err);
	expect(t, 1, (int64_t[]){3}, (double[]){1, 0, 1});
	ad_tensor_free(t);
	t = rd("empty_0x3.npy", &err);
	expect(t, 2, (int64_t[]){0, 3}, NULL);
	ad_tensor_free(t);
}
END_TEST

/* What we write is byte for byte what NumPy wrote for the same array
 * (tests/data/gen.py writes them with numpy.save). */
START_TEST(npy_bytes_as_numpy)
{
	static const struct {
		const char *name;
		ad_dtype dtype;
	} files[] = {{"f4_2x3.npy", AD_F32}, {"f8_3.npy", AD_F64}, {"scalar.npy", AD_F64}, {"empty_0x3.npy", AD_F32}};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/data/%s", t_srcdir(), files[i].name);
		FILE *f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		unsigned char want[4096];
		size_t n = fread(want, 1, sizeof want, f);
		fclose(f);
		ad_error err;
		ad_tensor *t = ad_read_npy(path, &err), *c = t ? ad_tensor_convert(t, files[i].dtype, &err) : NULL;
		ck_assert_msg(c != NULL, "%s: %s", files[i].name, err.msg);
		size_t len;
		unsigned char *got = ad_format_npy(c, &len);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(len == n && memcmp(got, want, n) == 0, "%s: our bytes differ from NumPy's",
		              files[i].name);
		free(got);
		ad_tensor_free(c);
		ad_tensor_free(t);
	}
}
END_TEST

START_TEST(npy_errors)
{
	ad_error err;
	ck_assert_ptr_null(rd("truncated.npy", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "shorter"));
	ck_assert_ptr_null(rd("bad_magic.npy", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "magic"));
	ck_assert_ptr_null(rd("c16.npy", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "not supported"));
	ck_assert_ptr_null(rd("missing.npy", &err));
	ck_assert_int_eq(err.code, AD_E_IO);
	ck_assert_ptr_null(rd("table.txt", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, ".npy, .json or .csv"));
	/* a header promising 2^60 doubles, with 8 bytes of data: refused from
	 * the length, before anything is allocated for the shape */
	static const char hdr[] = "\x93NUMPY\x01\x00\x36\x00"
	                          "{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }\n";
	unsigned char b[sizeof hdr - 1 + 8] = {0};
	memcpy(b, hdr, sizeof hdr - 1);
	b[8] = (unsigned char)(sizeof hdr - 1 - 10);
	ck_assert_ptr_null(ad_parse_npy(b, sizeof b, "huge.npy", &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ck_assert_ptr_nonnull(
	    strstr(err.msg, "huge.npy: not a valid .npy file (the data is shorter than the shape says)"));
	/* a zero-size dimension needs no data at all */
	static const char hz[] = "\x93NUMPY\x01\x00\x36\x00"
	                         "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 0), }\n";
	unsigned char z[sizeof hz - 1];
	memcpy(z, hz, sizeof z);
	z[8] = (unsigned char)(sizeof hz - 1 - 10);
	ad_tensor *t = ad_parse_npy(z, sizeof z, "empty.npy", &err);
	ck_assert_msg(t != NULL, "%s", err.msg);
	ck_assert_int_eq(ad_tensor_numel(t), 0);
	ad_tensor_free(t);
}
END_TEST

START_TEST(npy_roundtrip)
{
	char dir[] = "/tmp/ad-io-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/t.npy", dir);
	ad_error err;
	for (int dt = 0; dt < 2; dt++) {
		ad_tensor *t = t_tensor(dt ? AD_F64 : AD_F32, 3, (int64_t[]){2, 1, 3}, (double[]){1, 2, 3, 4, 5, 0.1});
		ck_assert_int_eq(ad_write_npy(path, t, &err), 0);
		ad_tensor *u = ad_read_npy(path, &err);
		ck_assert_ptr_nonnull(u);
		double v[6];
		for (int i = 0; i < 6; i++)
			v[i] = ad_tensor_get(t, i);
		expect(u, 3, (int64_t[]){2, 1, 3}, v);
		/* the header is NumPy's: 64-byte aligned, version 1.0 */
		FILE *f = fopen(path, "rb");
		unsigned char h[10];
		ck_assert_int_eq(fread(h, 1, 10, f), 10);
		fclose(f);
		ck_assert_int_eq((10 + h[8] + 256 * h[9]) % 64, 0);
		ad_tensor_free(t);
		ad_tensor_free(u);
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(csv_tables)
{
	ad_error err;
	ad_tensor *t = rd("table.csv", &err);
	expect(t, 2, (int64_t[]){2, 3}, (double[]){1, 2, 3, 4, 5, 6.5});
	ad_tensor_free(t);
	t = rd("column.csv", &err);
	expect(t, 2, (int64_t[]){3, 1}, (double[]){1, 2, 3});
	ad_tensor_free(t);
	ck_assert_ptr_null(rd("ragged.csv", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, ":2: 1 columns where the first row has 2"));
	ck_assert_ptr_null(rd("words.csv", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, ":1: column 1 is not a number"));
	/* from memory: no terminator needed, and none is read past the end */
	char mem[] = {'1', ',', '2', '\n', '3', ',', '4', '5'};
	t = ad_parse_csv(mem, 7, "mem.csv", &err); /* "1,2\n3,4" */
	expect(t, 2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 4});
	ad_tensor_free(t);
}
END_TEST

START_TEST(json_files)
{
	ad_error err;
	ad_tensor *t = rd("nested.json", &err);
	expect(t, 2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 4});
	ad_tensor_free(t);
	t = rd("strings.json", &err);
	expect(t, 1, (int64_t[]){4}, (double[]){NAN, INFINITY, -INFINITY, 1});
	ad_tensor_free(t);
	ck_assert_ptr_null(rd("ragged.json", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "ragged.json: ragged"));
}
END_TEST

START_TEST(formats)
{
	ad_tensor *a = t_tensor(AD_F32, 2, (int64_t[]){2, 2}, (double[]){0.1, NAN, INFINITY, -1});
	ad_tensor *b = t_tensor(AD_F64, 0, NULL, (double[]){0.1});
	const char *names[3] = {"a", "b", "c"};
	const ad_tensor *ts[3] = {a, b, NULL};
	char *j = ad_format_json(names, ts, 3);
	ck_assert_str_eq(j, "{\"a\": {\"dtype\": \"f32\", \"shape\": [2, 2], \"data\": [0.100000001, \"NaN\", "
	                    "\"Infinity\", -1]},\n \"b\": {\"dtype\": \"f64\", \"shape\": [], \"data\": "
	                    "[0.10000000000000001]},\n \"c\": null}\n");
	free(j);
	char *t = ad_format_text(names, ts, 3);
	ck_assert_str_eq(t, "a: f32[2, 2] =\n[[0.1, nan],\n [inf, -1]]\nb: f64 = 0.1\nc: none\n");
	free(t);
	char *c = ad_format_csv(names, ts, 2);
	ck_assert_str_eq(c, "name,index,value\na,0,0.100000001\na,1,nan\na,2,inf\na,3,-1\nb,0,0.10000000000000001\n");
	free(c);
	ad_tensor *x = t_tensor(AD_F32, 1, (int64_t[]){2}, (double[]){1, 2});
	ad_tensor *y = t_tensor(AD_F32, 1, (int64_t[]){2}, (double[]){120, 0.5});
	const ad_tensor *xy[2] = {x, y};
	const char *xyn[2] = {"x", "y"};
	c = ad_format_csv(xyn, xy, 2);
	ck_assert_str_eq(c, "x,y\n1,120\n2,0.5\n");
	free(c);
	t = ad_format_text(xyn, xy, 2);
	ck_assert_str_eq(t, "x: f32[2] =\n[1, 2]\ny: f32[2] =\n[120, 0.5]\n");
	free(t);
	ad_tensor_free(a);
	ad_tensor_free(b);
	ad_tensor_free(x);
	ad_tensor_free(y);
}
END_TEST

START_TEST(atomic_writes)
{
	char dir[] = "/tmp/ad-io-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/out.txt", dir);
	ad_error err;
	ck_assert_int_eq(ad_write_file_atomic(path, "old", 3, &err), 0);
	/* a write that cannot happen leaves the old file alone */
	char bad[300];
	snprintf(bad, sizeof bad, "%s/no/such/dir/out.txt", dir);
	ck_assert_int_ne(ad_write_file_atomic(bad, "new", 3, &err), 0);
	ck_assert_int_eq(err.code, AD_E_IO);
	ck_assert_int_eq(ad_write_file_atomic(path, "newer", 5, &err), 0);
	FILE *f = fopen(path, "r");
	char buf[16] = {0};
	ck_assert_int_eq(fread(buf, 1, sizeof buf - 1, f), 5);
	fclose(f);
	ck_assert_str_eq(buf, "newer");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_ne(st.st_mode & 0444, 0);
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0); /* no temporary file was left behind */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");
	tcase_add_test(tc, json_literals);
	tcase_add_test(tc, json_errors);
	tcase_add_test(tc, npy_from_numpy);
	tcase_add_test(tc, npy_errors);
	tcase_add_test(tc, npy_bytes_as_numpy);
	tcase_add_test(tc, npy_roundtrip);
	tcase_add_test(tc, csv_tables);
	tcase_add_test(tc, json_files);
	tcase_add_test(tc, formats);
	tcase_add_test(tc, atomic_writes);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
