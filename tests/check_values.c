/* check_values.c: every builtin, end to end (compile, JIT, run), against
 * values NumPy computed (tests/values/cases.json, made by gen.py), in f32
 * and f64, with broadcasting and symbolic dimensions. Each case's C is also
 * built by gcc with strict warnings and must give the same numbers. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static json_t *cases;

static ad_tensor *tensor_of(const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY);
	ad_error err;
	ad_tensor *t = ad_parse_json(text, &err);
	free(text);
	return t;
}

START_TEST(test_case)
{
	const json_t *c = json_array_get(json_object_get(cases, "cases"), (size_t)_i);
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *src = json_string_value(json_object_get(c, "source"));
	double rtol = json_number_value(json_object_get(c, "rtol"));
	double atol = json_number_value(json_object_get(c, "atol"));
	char *msgs;
	Compilation *comp = t_compile(src, &msgs);
	ck_assert_msg(comp, "%s: does not compile:\n%s", name, msgs);
	const json_t *inputs = json_object_get(c, "inputs");
	int n = (int)json_object_size(inputs), k = 0;
	const char **names = calloc((size_t)n + 1, sizeof *names);
	ad_tensor **vals = calloc((size_t)n + 1, sizeof *vals);
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)inputs, key, val)
	{
		names[k] = key;
		vals[k++] = tensor_of(val);
	}
	ad_error err = {0};
	int nres = 0;
	ad_tensor **res = t_run_gcc(comp, json_string_value(json_object_get(c, "func")), names, vals, n, &nres, &err);
	ck_assert_msg(res, "%s: %s", name, err.msg);
	const Func *f = comp->mod->funcs[adc_find(comp, json_string_value(json_object_get(c, "func")))];
	json_object_foreach(json_object_get(c, "expect"), key, val)
	{
		int r = -1;
		for (int i = 0; i < f->results.len; i++)
			if (strcmp(f->results.data[i].name, key) == 0)
				r = i;
		ck_assert_msg(r >= 0 && res[r], "%s: no result %s", name, key);
		ad_tensor *want = tensor_of(val);
		ck_assert_msg(want->rank == res[r]->rank, "%s: %s has rank %d, NumPy says %d", name, key, res[r]->rank,
		              want->rank);
		for (int d = 0; d < want->rank; d++)
			ck_assert_msg(want->shape[d] == res[r]->shape[d],
			              "%s: %s: dimension %d is %lld, NumPy says %lld", name, key, d,
			              (long long)res[r]->shape[d], (long long)want->shape[d]);
		int64_t m = ad_tensor_numel(want);
		for (int64_t i = 0; i < m; i++) {
			double g = ad_tensor_get(res[r], i), w = ad_tensor_get(want, i);
			ck_assert_msg(fabs(g - w) <= atol + rtol * fabs(w), "%s: %s[%lld] = %.17g, NumPy says %.17g",
			              name, key, (long long)i, g, w);
		}
		ad_tensor_free(want);
	}
	t_free_results(res, nres);
	for (int i = 0; i < n; i++)
		ad_tensor_free(vals[i]);
	free(names);
	free(vals);
	adc_free(comp);
}
END_TEST

int main(void)
{
	char *text = t_read("values/cases.json");
	if (!text) {
		fprintf(stderr, "cannot read values/cases.json\n");
		return 1;
	}
	json_error_t je;
	cases = json_loads(text, 0, &je);
	free(text);
	if (!cases) {
		fprintf(stderr, "values/cases.json: %s\n", je.text);
		return 1;
	}
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("numpy");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_case, 0, (int)json_array_size(json_object_get(cases, "cases")));
	suite_add_tcase(s, tc);
	int failed = t_run_suite(s);
	json_decref(cases);
	return failed ? 1 : 0;
}
