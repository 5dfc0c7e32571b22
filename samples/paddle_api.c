/* samples/paddle_api.c: paddle.grad and paddle.autograd.backward at run time,
 * over C that ad-compile emitted ahead of time (paddle_api_gen.c, from
 * paddle_api.ad). Links libadrt and the emitted code only: no compiler, no
 * libtcc. Prints JSON: the Paddle example's x.grad three times, and the
 * model's gradients. Build:
 *   ad-compile paddle_api.ad -o paddle_api_gen.c
 *   cc paddle_api.c paddle_api_gen.c $(pkg-config --cflags --libs adrt) */
#include <stdio.h>
#include <stdlib.h>

#include "adrt.h"
#include "paddle_api_gen.h"

static void print(const char *name, const ad_tensor *t, int last)
{
	const char *names[1] = {name};
	const ad_tensor *ts[1] = {t};
	char *text = ad_format_json(names, ts, 1);
	/* "{...}\n" -> "...", so that several print as one object */
	size_t n = 0;
	while (text[n])
		n++;
	printf("%.*s%s\n", (int)(n - 3), text + 1, last ? "" : ",");
	free(text);
}

static int fail(const ad_error *err)
{
	fprintf(stderr, "paddle_api: %s\n", err->msg);
	return 1;
}

int main(void)
{
	ad_error err;
	const ad_meta *metas[2] = {&matmuls_meta, &model_meta};
	ad_module *m = ad_module_from_meta(metas, 2, &err);
	if (!m)
		return fail(&err);
	const ad_function *mm = ad_module_function(m, "matmuls", &err), *model = ad_module_function(m, "model", &err);
	if (!mm || !model)
		return fail(&err);

	/* x = [[1, 2], [3, 4]], y = [[3, 2], [3, 4]] (stop_gradient) */
	int64_t s22[2] = {2, 2};
	ad_tensor *x = ad_tensor_new(AD_F32, 2, s22, &err), *y = ad_tensor_new(AD_F32, 2, s22, &err);
	ad_tensor *g1 = ad_tensor_new(AD_F32, 2, s22, &err), *g2 = ad_tensor_new(AD_F32, 2, s22, &err);
	float xv[4] = {1, 2, 3, 4}, yv[4] = {3, 2, 3, 4}, g1v[4] = {1, 2, 2, 3};
	for (int i = 0; i < 4; i++) {
		ad_tensor_set(x, i, xv[i]);
		ad_tensor_set(y, i, yv[i]);
		ad_tensor_set(g1, i, g1v[i]);
		ad_tensor_set(g2, i, 1);
	}
	y->stop_gradient = 1;
	ad_tensor *in[2] = {x, y}, *z[2];
	ad_graph *g = ad_forward(mm, in, z, &err);
	if (!g)
		return fail(&err);
	printf("{");
	ad_tensor *seeds[2] = {g1, g2};
	if (ad_backward(g, seeds, 1, &err)) /* retain_graph=True */
		return fail(&err);
	print("grad1", x->grad, 0);
	ad_clear_grad(x);
	ad_tensor *seeds2[2] = {g1, NULL};
	if (ad_backward(g, seeds2, 1, &err))
		return fail(&err);
	print("grad2", x->grad, 0);
	ad_clear_grad(x);
	if (ad_backward(g, NULL, 0, &err))
		return fail(&err);
	print("grad3", x->grad, 0);
	/* a second backward after one without retain_graph is an error */
	if (ad_backward(g, NULL, 0, &err) != AD_E_GRAD) {
		fprintf(stderr, "paddle_api: a second backward did not fail\n");
		return 1;
	}

	/* paddle.grad on the model, every result seeded with ones */
	int64_t s43[2] = {4, 3}, s3[1] = {3};
	ad_tensor *xs = ad_tensor_new(AD_F32, 2, s43, &err), *w = ad_tensor_new(AD_F32, 1, s3, &err);
	ad_tensor *b = ad_tensor_new(AD_F32, 0, NULL, &err), *u = ad_tensor_new(AD_F32, 0, NULL, &err);
	for (int i = 0; i < 12; i++)
		ad_tensor_set(xs, i, 0.1 * (i % 5) - 0.2);
	for (int i = 0; i < 3; i++)
		ad_tensor_set(w, i, 0.5 - 0.4 * i);
	ad_tensor_set(b, 0, 0.3);
	ad_tensor *min[4] = {xs, w, b, u}, *grads[4];
	if (ad_grad(model, min, NULL, NULL, 1 /* allow_unused */, grads, &err))
		return fail(&err);
	print("x", grads[0], 0);
	print("w", grads[1], 0);
	print("b", grads[2], 0);
	printf("\"unused\": %s}\n", grads[3] ? "\"not null\"" : "null");
	for (int i = 0; i < 4; i++)
		ad_tensor_free(grads[i]);
	/* without allow_unused, the unused parameter is an error naming it */
	if (ad_grad(model, min, NULL, NULL, 0, grads, &err) != AD_E_GRAD) {
		fprintf(stderr, "paddle_api: an unused parameter was not reported\n");
		return 1;
	}
	ad_graph_free(g);
	ad_tensor *all[] = {x, y, g1, g2, z[0], z[1], xs, w, b, u};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		ad_tensor_free(all[i]);
	ad_module_free(m);
	return 0;
}
