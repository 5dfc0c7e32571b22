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
	ck_assert_int_eq(t->dtype, AD_I64); /* no float in it */
	ad_tensor_free(t);
}
END_TEST

/* An int64 tensor's elements, exactly. */
static void expect_ints(const ad_tensor *t, ad_dtype dt, int rank, const int64_t *shape, const int64_t *vals)
{
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(ad_dtype_name(t->dtype), ad_dtype_name(dt));
	ck_assert_int_eq(t->rank, rank);
	for (int i = 0; i < rank; i++)
		ck_assert_int_eq(t->shape[i], shape[i]);
	for (int64_t i = 0; i < ad_tensor_numel(t); i++)
		ck_assert_msg(ad_tensor_get_i64(t, i) == vals[i], "element %lld: %lld vs %lld", (long long)i,
		              (long long)ad_tensor_get_i64(t, i), (long long)vals[i]);
}

/* Integer literals only: i64, exactly (beyond 2^53 too); one float
 * literal anywhere (a '.', an exponent, NaN): f64. */
START_TEST(json_integers)
{
	ad_error err;
	ad_tensor *t = ad_parse_json("[0, 2, 1]", &err);
	expect_ints(t, AD_I64, 1, (int64_t[]){3}, (int64_t[]){0, 2, 1});
	ad_tensor_free(t);
	t = ad_parse_json("3", &err);
	expect_ints(t, AD_I64, 0, NULL, (int64_t[]){3});
	ad_tensor_free(t);
	t = ad_parse_json("[[9223372036854775807, -9223372036854775808], [9007199254740993, -0]]", &err);
	expect_ints(t, AD_I64, 2, (int64_t[]){2, 2},
	            (int64_t[]){INT64_MAX, INT64_MIN, 9007199254740993LL /* 2^53 + 1: no double */, 0});
	ad_tensor_free(t);
	static const char *const floats[] = {"[1, 2.0]", "[[1, 2], [3, 1e2]]", "1.0", "[1, \"NaN\"]",
	                                     "2E0",      "[[1], [-0.0]]"};
	for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
		t = ad_parse_json(floats[i], &err);
		ck_assert_msg(t != NULL, "%s: %s", floats[i], err.msg);
		ck_assert_msg(t->dtype == AD_F64, "%s is %s, not f64", floats[i], ad_dtype_name(t->dtype));
		ad_tensor_free(t);
	}
	t = ad_parse_json("[[1, 2], [3, 1e2]]", &err);
	expect(t, 2, (int64_t[]){2, 2}, (double[]){1, 2, 3, 100});
	ad_tensor_free(t);
	/* outside int64: an error, not a rounded value */
	ck_assert_ptr_null(ad_parse_json("[1, 9223372036854775808]", &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "an integer outside the int64 range") != NULL, "%s", err.msg);
	ck_assert_ptr_null(ad_parse_json("-9223372036854775809", &err));
	ck_assert_msg(strstr(err.msg, "outside the int64 range") != NULL, "%s", err.msg);
	/* still the same errors for what is no number */
	ck_assert_ptr_null(ad_parse_json("[1, true]", &err));
	ck_assert_msg(strstr(err.msg, "expected a number at [1], found a boolean") != NULL, "%s", err.msg);
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
	expect_ints(t, AD_I64, 1, (int64_t[]){4}, (int64_t[]){1, -2, 3, 1099511627776});
	ad_tensor_free(t);
	t = rd("i4_2x3.npy", &err);
	expect_ints(t, AD_I32, 2, (int64_t[]){2, 3}, (int64_t[]){0, -1, 2, INT32_MAX, INT32_MIN, 7});
	ad_tensor_free(t);
	t = rd("i8_scalar.npy", &err);
	expect_ints(t, AD_I64, 0, NULL, (int64_t[]){-3});
	ad_tensor_free(t);
	t = rd("be_i8_2.npy", &err); /* big-endian, as be_f8_2.npy */
	expect_ints(t, AD_I64, 1, (int64_t[]){2}, (int64_t[]){5, -1099511627776});
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
	expect_ints(t, AD_I32, 1, (int64_t[]){3}, (int64_t[]){1, 0, 1});
	ad_tensor_free(t);
	t = rd("empty_0x3.npy", &err);
	expect(t, 2, (int64_t[]){0, 3}, NULL);
	ad_tensor_free(t);
}
END_TEST

/* What we write is byte for byte what NumPy wrote for the same array
 * (tests/data/gen.py writes them with numpy.save), integers too; a
 * big-endian file is written little-endian, as NumPy saves its values. */
START_TEST(npy_bytes_as_numpy)
{
	static const struct {
		const char *name, *as; /* what we write for name is NumPy's bytes for `as` (NULL: name) */
		ad_dtype dtype;
	} files[] = {{"f4_2x3.npy", NULL, AD_F32},    {"f8_3.npy", NULL, AD_F64},         {"scalar.npy", NULL, AD_F64},
	             {"empty_0x3.npy", NULL, AD_F32}, {"i8_4.npy", NULL, AD_I64},         {"i4_2x3.npy", NULL, AD_I32},
	             {"i8_scalar.npy", NULL, AD_I64}, {"be_i8_2.npy", "i8_2.npy", AD_I64}};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[1024], as[1024];
		snprintf(path, sizeof path, "%s/data/%s", t_srcdir(), files[i].name);
		snprintf(as, sizeof as, "%s/data/%s", t_srcdir(), files[i].as ? files[i].as : files[i].name);
		FILE *f = fopen(as, "rb");
		ck_assert_ptr_nonnull(f);
		unsigned char want[4096];
		size_t n = fread(want, 1, sizeof want, f);
		fclose(f);
		ad_error err;
		ad_tensor *t = ad_read_npy(path, &err), *c = t ? ad_tensor_convert(t, files[i].dtype, &err) : NULL;
		ck_assert_msg(c != NULL, "%s: %s", files[i].name, err.msg);
		ck_assert_int_eq(t->dtype, files[i].dtype); /* read in its own type */
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
	ck_assert_ptr_nonnull(strstr(err.msg, "not supported; use <f4, <f8, <i4 or <i8"));
	ck_assert_ptr_null(rd("u8_big.npy", &err)); /* 2^63 is no int64 */
	ck_assert_msg(strstr(err.msg, "element 1, 9223372036854775808, is above the int64 range") != NULL, "%s",
	              err.msg);
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
	static const ad_dtype dts[] = {AD_F32, AD_F64, AD_I32, AD_I64};
	for (int dt = 0; dt < 4; dt++) {
		ad_tensor *t = t_tensor(dts[dt], 3, (int64_t[]){2, 1, 3}, (double[]){1, 2, 3, 4, -5, 0.1});
		if (dts[dt] == AD_I64)
			ad_tensor_set_i64(t, 0, INT64_MIN + 1); /* no double has it */
		ck_assert_int_eq(ad_write_npy(path, t, &err), 0);
		ad_tensor *u = ad_read_npy(path, &err);
		ck_assert_ptr_nonnull(u);
		ck_assert_int_eq(u->dtype, dts[dt]);
		for (int i = 0; i < 6; i++)
			ck_assert_int_eq(ad_tensor_get_i64(u, i), ad_tensor_get_i64(t, i));
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

/* A CSV of integers only is i64, exactly; any other number makes it f64. */
START_TEST(csv_integers)
{
	ad_error err;
	ad_tensor *t = rd("column.csv", &err);
	expect_ints(t, AD_I64, 2, (int64_t[]){3, 1}, (int64_t[]){1, 2, 3});
	ad_tensor_free(t);
	t = rd("table.csv", &err); /* 6.5 */
	ck_assert_int_eq(t->dtype, AD_F64);
	ad_tensor_free(t);
	static const char ints[] = "0, -2, +3\r\n9223372036854775807,-9223372036854775808, 9007199254740993\n";
	t = ad_parse_csv(ints, sizeof ints - 1, "ints.csv", &err);
	expect_ints(t, AD_I64, 2, (int64_t[]){2, 3}, (int64_t[]){0, -2, 3, INT64_MAX, INT64_MIN, 9007199254740993LL});
	ad_tensor_free(t);
	static const char *const floats[] = {"1,2\n3,4.\n", "1,2\n3,4e0\n", "1,inf\n", "1,nan\n", "1,0x10\n"};
	for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
		t = ad_parse_csv(floats[i], strlen(floats[i]), "f.csv", &err);
		ck_assert_msg(t != NULL, "%s", err.msg);
		ck_assert_msg(t->dtype == AD_F64, "'%s' is %s", floats[i], ad_dtype_name(t->dtype));
		ad_tensor_free(t);
	}
	t = ad_parse_csv("1,0x10\n", 7, "f.csv", &err);
	expect(t, 2, (int64_t[]){1, 2}, (double[]){1, 16});
	ad_tensor_free(t);
	ck_assert_ptr_null(ad_parse_csv("1\n9223372036854775808\n", 22, "big.csv", &err));
	ck_assert_msg(strstr(err.msg, "big.csv:2: column 1: the integer 9223372036854775808 is outside the int64 "
	                              "range") != NULL,
	              "%s", err.msg);
}
END_TEST

START_TEST(json_files)
{
	ad_error err;
	ad_tensor *t = rd("nested.json", &err);
	expect_ints(t, AD_I64, 2, (int64_t[]){2, 2}, (int64_t[]){1, 2, 3, 4}); /* integers: i64 */
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

/* Integers print as integers in every format: no '.', no exponent. */
START_TEST(formats_integers)
{
	ad_tensor *idx = t_tensor(AD_I64, 1, (int64_t[]){3}, (double[]){0, 2, 1});
	ad_tensor *n = t_tensor(AD_I32, 0, NULL, (double[]){3});
	ad_tensor *big = t_tensor(AD_I64, 2, (int64_t[]){1, 2}, (double[]){0, -7});
	ad_tensor_set_i64(big, 0, INT64_MAX);
	const char *names[3] = {"idx", "n", "big"};
	const ad_tensor *ts[3] = {idx, n, big};
	char *j = ad_format_json(names, ts, 3);
	ck_assert_str_eq(j,
	                 "{\"idx\": {\"dtype\": \"i64\", \"shape\": [3], \"data\": [0, 2, 1]},\n"
	                 " \"n\": {\"dtype\": \"i32\", \"shape\": [], \"data\": [3]},\n"
	                 " \"big\": {\"dtype\": \"i64\", \"shape\": [1, 2], \"data\": [9223372036854775807, -7]}}\n");
	free(j);
	char *t = ad_format_text(names, ts, 3);
	ck_assert_str_eq(t, "idx: i64[3] =\n[0, 2, 1]\nn: i32 = 3\nbig: i64[1, 2] =\n[[9223372036854775807, -7]]\n");
	free(t);
	char *c = ad_format_csv(names, ts, 3);
	ck_assert_str_eq(c, "name,index,value\nidx,0,0\nidx,1,2\nidx,2,1\nn,0,3\nbig,0,9223372036854775807\n"
	                    "big,1,-7\n");
	free(c);
	/* columns, beside a float */
	ad_tensor *y = t_tensor(AD_F64, 1, (int64_t[]){3}, (double[]){0.5, 3, 1e20});
	const ad_tensor *iy[2] = {idx, y};
	const char *iyn[2] = {"idx", "y"};
	c = ad_format_csv(iyn, iy, 2);
	ck_assert_str_eq(c, "idx,y\n0,0.5\n2,3\n1,1e+20\n");
	free(c);
	/* what is printed reads back as the same integers */
	ad_error err;
	ad_tensor *back = ad_parse_json("[0, 2, 1]", &err);
	ck_assert_int_eq(back->dtype, AD_I64);
	ad_tensor_free(back);
	ad_tensor_free(idx);
	ad_tensor_free(n);
	ad_tensor_free(big);
	ad_tensor_free(y);
}
END_TEST

/* Conversions: integer to float and integer to integer are made; float to
 * integer is refused (a float for an integer parameter is an error) unless
 * asked for exactly. */
START_TEST(conversions)
{
	ad_error err;
	ad_tensor *i = t_tensor(AD_I64, 1, (int64_t[]){4}, (double[]){0, -3, 7, 0});
	ad_tensor_set_i64(i, 3, ((int64_t)1 << 32) + 5); /* wraps to 5 in i32 */
	ad_tensor *f = ad_tensor_convert(i, AD_F64, &err);
	ck_assert_msg(f != NULL, "%s", err.msg);
	ck_assert_int_eq(f->dtype, AD_F64);
	expect(f, 1, (int64_t[]){4}, (double[]){0, -3, 7, 4294967301.0});
	ad_tensor *f32 = ad_tensor_convert(i, AD_F32, &err);
	ck_assert_int_eq(f32->dtype, AD_F32);
	ck_assert(((float *)f32->data)[1] == -3.0f);
	ad_tensor *i32 = ad_tensor_convert(i, AD_I32, &err);
	expect_ints(i32, AD_I32, 1, (int64_t[]){4}, (int64_t[]){0, -3, 7, 5});
	ad_tensor *i64 = ad_tensor_convert(i32, AD_I64, &err);
	expect_ints(i64, AD_I64, 1, (int64_t[]){4}, (int64_t[]){0, -3, 7, 5});
	ad_tensor_set_i64(i64, 0, INT64_C(-2147483649)); /* wraps to 2^31 - 1 */
	ad_tensor *w = ad_tensor_convert(i64, AD_I32, &err);
	ck_assert_int_eq(ad_tensor_get_i64(w, 0), INT32_MAX);
	ad_tensor_free(w);
	/* float to integer: refused, whatever the values */
	ck_assert_ptr_null(ad_tensor_convert(f, AD_I64, &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ck_assert_msg(strstr(err.msg, "a float value (f64[4]) was given for an integer parameter (i64)") != NULL, "%s",
	              err.msg);
	ck_assert_ptr_null(ad_tensor_convert(f32, AD_I32, &err));
	ck_assert_msg(strstr(err.msg, "a float value (f32[4]) was given for an integer parameter (i32)") != NULL, "%s",
	              err.msg);
	/* unless exactly */
	ad_tensor *e = ad_tensor_convert_exact(f, AD_I64, &err);
	ck_assert_msg(e != NULL, "%s", err.msg);
	expect_ints(e, AD_I64, 1, (int64_t[]){4}, (int64_t[]){0, -3, 7, 4294967301LL});
	ad_tensor_free(e);
	ck_assert_ptr_null(ad_tensor_convert_exact(f, AD_I32, &err));
	ck_assert_msg(strstr(err.msg, "cannot convert f64[4] to i32 exactly: element 3, 4294967301 is outside the "
	                              "i32 range") != NULL,
	              "%s", err.msg);
	ck_assert_ptr_null(ad_tensor_convert_exact(i, AD_I32, &err));
	ck_assert_msg(strstr(err.msg, "element 3, 4294967301 is not within the i32 range") != NULL, "%s", err.msg);
	ad_tensor *h = t_tensor(AD_F64, 1, (int64_t[]){2}, (double[]){1, 0.5});
	ck_assert_ptr_null(ad_tensor_convert_exact(h, AD_I32, &err));
	ck_assert_msg(strstr(err.msg, "element 1, 0.5 is not an integer") != NULL, "%s", err.msg);
	ad_tensor_set(h, 1, NAN);
	ck_assert_ptr_null(ad_tensor_convert_exact(h, AD_I64, &err));
	ck_assert_msg(strstr(err.msg, "element 1, nan is not an integer") != NULL, "%s", err.msg);
	ad_tensor_set(h, 1, 0.1);
	ck_assert_ptr_null(ad_tensor_convert_exact(h, AD_F32, &err));
	ck_assert_msg(strstr(err.msg, "is not exactly an f32") != NULL, "%s", err.msg);
	ad_tensor_set_i64(i64, 0, (INT64_C(1) << 53) + 1);
	ck_assert_ptr_null(ad_tensor_convert_exact(i64, AD_F64, &err));
	ck_assert_msg(strstr(err.msg, "element 0, 9007199254740993 is not exactly f64") != NULL, "%s", err.msg);
	e = ad_tensor_convert_exact(i32, AD_F32, &err);
	ck_assert_msg(e != NULL && e->dtype == AD_F32, "%s", err.msg);
	ad_tensor_free(e);
	/* set and get: truncation toward zero, saturation where a cast is undefined */
	ad_tensor *s = ad_tensor_new(AD_I32, 1, (int64_t[]){6}, &err);
	static const double in[6] = {2.9, -2.9, 1e10, -1e10, NAN, -0.5};
	static const int64_t out[6] = {2, -2, INT32_MAX, INT32_MIN, 0, 0};
	for (int k = 0; k < 6; k++)
		ad_tensor_set(s, k, in[k]);
	expect_ints(s, AD_I32, 1, (int64_t[]){6}, out);
	ad_tensor *s64 = ad_tensor_new(AD_I64, 1, (int64_t[]){3}, &err);
	ad_tensor_set(s64, 0, 1e300);
	ad_tensor_set(s64, 1, -1e300);
	ad_tensor_set(s64, 2, -7.99);
	expect_ints(s64, AD_I64, 1, (int64_t[]){3}, (int64_t[]){INT64_MAX, INT64_MIN, -7});
	ck_assert(ad_tensor_get(s64, 2) == -7.0);
	ck_assert_int_eq(ad_dtype_size(AD_I32), 4);
	ck_assert_int_eq(ad_dtype_size(AD_I64), 8);
	ck_assert_str_eq(ad_dtype_name(AD_I32), "i32");
	ck_assert(ad_dtype_is_int(AD_I64) && !ad_dtype_is_int(AD_F64));
	char d[64];
	ad_tensor_describe(i, d, sizeof d);
	ck_assert_str_eq(d, "i64[4]");
	ad_tensor_describe(s, d, sizeof d);
	ck_assert_str_eq(d, "i32[6]");
	ck_assert_ptr_null(ad_tensor_new((ad_dtype)4, 0, NULL, &err));
	ck_assert_int_eq(err.code, AD_E_VALUE);
	ad_tensor *tensors[] = {i, f, f32, i32, i64, h, s, s64};
	for (size_t k = 0; k < sizeof tensors / sizeof tensors[0]; k++)
		ad_tensor_free(tensors[k]);
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
	tcase_add_test(tc, json_integers);
	tcase_add_test(tc, conversions);
	tcase_add_test(tc, npy_from_numpy);
	tcase_add_test(tc, npy_errors);
	tcase_add_test(tc, npy_bytes_as_numpy);
	tcase_add_test(tc, npy_roundtrip);
	tcase_add_test(tc, csv_tables);
	tcase_add_test(tc, csv_integers);
	tcase_add_test(tc, json_files);
	tcase_add_test(tc, formats);
	tcase_add_test(tc, formats_integers);
	tcase_add_test(tc, atomic_writes);
	suite_add_tcase(s, tc);
	return t_run_suite(s) ? 1 : 0;
}
