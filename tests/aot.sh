#!/bin/sh
# The runtime API over ahead-of-time code (samples/paddle_api.c, linked with
# the emitted C and libadrt only) gives Paddle's documented numbers, and the
# same gradients as the JIT (ad-compile --grad) to the last bit. Then the JVP
# entry of a function with a loop and an if, built by strict cc and by tcc:
# NAME_jvp and NAME_jvp_work called directly against central differences of
# NAME and against NAME_vjp (<J v, u> = <v, J^T u>), and ad_jvp over its
# ad_meta record giving the same numbers. Last, an index out of range: the
# record NAME_work leaves in its scratch memory, and ad_call's message.
AD=${AD:-$(pwd)/ad-compile}
BUILD=$(pwd)
SRC=${srcdir:-$(cd "$(dirname "$0")" && pwd)}
case $SRC in tests | */tests) ;; *) SRC=$SRC/tests ;; esac
PY=$(command -v python3 || command -v /usr/bin/python3)
out=$(./samples/paddle_api) || { echo "FAIL: samples/paddle_api exited with $?"; echo "0 passed, 1 failed"; exit 1; }
x='[[-0.2, -0.1, 0, 0.1, 0.2], [-0.2, -0.1, 0, 0.1, 0.2], [-0.2, -0.1, 0, 0.1, 0.2]]'
jit=$("$AD" --grad model "$SRC/../samples/paddle_api.ad" --format=json --allow-unused \
	--input 'x=[[-0.2, -0.1, 0], [0.1, 0.2, -0.2], [-0.1, 0, 0.1], [0.2, -0.2, -0.1]]' \
	--input 'w=[0.5, 0.1, -0.3]' --input b=0.3 --input unused=0) || { echo "0 passed, 1 failed"; exit 1; }
"$PY" - "$out" "$jit" <<'PY' || exit 1
import json, sys
aot, jit = json.loads(sys.argv[1]), json.loads(sys.argv[2])
fails = []
want = {"grad1": [12, 18, 17, 25], "grad2": [12, 18, 17, 25], "grad3": [10, 14, 10, 14]}
for k, v in want.items():
    if aot[k]["data"] != v:
        fails.append("%s: %s, Paddle says %s" % (k, aot[k]["data"], v))
for k in ("x", "w", "b", "unused"):
    if aot[k] != jit[k]:
        fails.append("%s: AOT %s, JIT %s" % (k, aot[k], jit[k]))
for f in fails:
    print("FAIL:", f)
print("paddle_api: %d passed, %d failed" % (7 - len(fails), len(fails)))
sys.exit(1 if fails else 0)
PY

# ---- the JVP entry, ahead of time
. "$SRC/lib.sh"
RT=$(cd "$SRC/../runtime" && pwd)
LIB=$BUILD/runtime/.libs/libadrt.a # the runtime library of this build
SAN=""
[ "${AD_SANITIZED:-no}" = yes ] && SAN="-fsanitize=address,undefined" # as that library was built
cat >model.ad <<'AD'
func g(x: f64[n], a: f64, k: f64 nograd) -> (y, z) {
    h = x
    y = 0.0
    for t in range(6) {
        if sum(h) > 0.0 {
            h = sin(h) * a - k
        } else {
            h = h * h * 0.5 + a
        }
        y = y + sum(h * x)
    }
    z = h * a
}
AD
expect 0 "$AD" model.ad -o model.c
cat >main.c <<'C'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adrt.h"
#include "model.h"

enum { N = 4 };
static int fails;

static void near(const char *what, double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * (1 + fabs(want)))) {
        printf("FAIL: %s = %.17g, want %.17g\n", what, got, want);
        fails++;
    }
}

int main(void)
{
    double x[N] = {0.3, -0.9, 0.2, -0.4}, a = 0.7, k = 0.6, vx[N] = {0.5, 1.0, -0.75, 0.25}, va = -1.5;
    double y, z[N], ty, tz[N];
    if (g_jvp(N, x, &a, &k, vx, &va, &y, z, &ty, tz) != AD_OK)
        return 1;
    /* central differences of g along (vx, va) */
    double eps = 1e-6, xp[N], xm[N], ap = a + eps * va, am = a - eps * va, yp, ym, zp[N], zm[N], y0, z0[N];
    for (int i = 0; i < N; i++) {
        xp[i] = x[i] + eps * vx[i];
        xm[i] = x[i] - eps * vx[i];
    }
    if (g(N, xp, &ap, &k, &yp, zp) || g(N, xm, &am, &k, &ym, zm) || g(N, x, &a, &k, &y0, z0))
        return 1;
    near("y", y, y0, 0);
    near("tan_y", ty, (yp - ym) / (2 * eps), 1e-8);
    for (int i = 0; i < N; i++) {
        near("z", z[i], z0[i], 0);
        near("tan_z", tz[i], (zp[i] - zm[i]) / (2 * eps), 1e-8);
    }
    /* caller scratch, a NULL tangent (zeros) and outputs not wanted;
     * linearity: the two directions apart add up to both */
    size_t size = g_jvp_work_size(N);
    void *work = malloc(size ? size : 1);
    double t1, z1[N], t2, z2[N];
    if (!work || g_jvp_work(N, x, &a, &k, vx, NULL, NULL, NULL, &t1, z1, work) ||
        g_jvp_work(N, x, &a, &k, NULL, &va, NULL, NULL, &t2, z2, work))
        return 1;
    near("tan_y (x, then a)", t1 + t2, ty, 1e-14);
    for (int i = 0; i < N; i++)
        near("tan_z (x, then a)", z1[i] + z2[i], tz[i], 1e-14);
    double only;
    if (g_jvp(N, x, &a, &k, vx, NULL, NULL, NULL, &only, NULL))
        return 1;
    near("tan_y alone", only, t1, 0);
    free(work);
    /* <J v, u> = <v, J^T u> */
    double uy = 0.8, uz[N] = {-1.0, 2.0, 0.5, 1.5}, gx[N], ga;
    if (g_vjp(N, x, &a, &k, &uy, uz, NULL, NULL, gx, &ga))
        return 1;
    double lhs = ty * uy, rhs = va * ga;
    for (int i = 0; i < N; i++) {
        lhs += tz[i] * uz[i];
        rhs += vx[i] * gx[i];
    }
    near("<J v, u> against <v, J^T u>", lhs, rhs, 1e-13);
    /* ad_jvp over the record: the same numbers */
    ad_error err;
    const ad_meta *metas[1] = {&g_meta};
    ad_module *m = ad_module_from_meta(metas, 1, &err);
    const ad_function *f = m ? ad_module_function(m, "g", &err) : NULL;
    if (!f || !(g_meta.entries & AD_ENTRY_JVP) || !g_meta.jvp)
        return 1;
    ad_tensor *in[3], *tan[3], *res[2], *dres[2];
    in[0] = ad_tensor_new(AD_F64, 1, (int64_t[]){N}, &err);
    in[1] = ad_tensor_new(AD_F64, 0, NULL, &err);
    in[2] = ad_tensor_new(AD_F64, 0, NULL, &err);
    tan[0] = ad_tensor_new(AD_F64, 1, (int64_t[]){N}, &err);
    tan[1] = ad_tensor_new(AD_F64, 0, NULL, &err);
    tan[2] = NULL;
    memcpy(in[0]->data, x, sizeof x);
    memcpy(in[1]->data, &a, sizeof a);
    memcpy(in[2]->data, &k, sizeof k);
    memcpy(tan[0]->data, vx, sizeof vx);
    memcpy(tan[1]->data, &va, sizeof va);
    if (ad_jvp(f, in, tan, res, dres, &err)) {
        printf("FAIL: ad_jvp: %s\n", err.msg);
        return 1;
    }
    near("ad_jvp's y", ad_tensor_get(res[0], 0), y, 0);
    near("ad_jvp's tan_y", ad_tensor_get(dres[0], 0), ty, 0);
    for (int i = 0; i < N; i++)
        near("ad_jvp's tan_z", ad_tensor_get(dres[1], i), tz[i], 0);
    for (int i = 0; i < 2; i++)
        ad_tensor_free(res[i]), ad_tensor_free(dres[i]);
    /* a tangent for the nograd k: an error, and no outputs */
    tan[2] = in[2];
    if (ad_jvp(f, in, tan, res, dres, &err) != AD_E_GRAD || !strstr(err.msg, "'k', a nograd parameter")) {
        printf("FAIL: a tangent for k: %s\n", err.msg);
        fails++;
    }
    if (res[0] || res[1] || dres[0] || dres[1]) {
        printf("FAIL: outputs after an error\n");
        fails++;
    }
    for (int i = 0; i < 2; i++)
        ad_tensor_free(in[i]), ad_tensor_free(tan[i]);
    ad_tensor_free(in[2]);
    ad_module_free(m);
    printf("%d failed\n", fails);
    return 0;
}
C
# the emitted code by strict cc, and by tcc (linked by cc with the runtime)
for cc in "cc -std=c99 -Wall -Wextra -pedantic -Werror" "tcc -Wall -Werror"; do
	command -v "${cc%% *}" >/dev/null 2>&1 || continue
	# shellcheck disable=SC2086
	if $cc -I"$RT" -I. -c model.c -o model.o 2>err &&
		cc -std=c99 -Wall -Wextra -pedantic -Werror $SAN -I"$RT" -I. main.c model.o -o main "$LIB" -ljansson -lm 2>>err &&
		./main >out 2>>err; then
		if grep -q '^0 failed$' out; then ok; else bad "$cc: $(grep FAIL out | head -5)"; fi
	else
		bad "$cc: the JVP program did not build or run: $(head -5 err) $(head -5 out)"
	fi
done
# ---- an index out of range, ahead of time: the record in the scratch
# memory given to NAME_work, and the message of ad_call over the meta
cat >ix.ad <<'AD'
func f(x: f64[n], ids: i64[k]) -> (y) {
    y = x[ids] * 2.0
}
AD
expect 0 "$AD" ix.ad -o ix.c
cat >ix_main.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adrt.h"
#include "ix.h"

int main(void)
{
    double x[3] = {1, 2, 3}, y[2];
    int64_t ids[2] = {2, 7};
    size_t size = f_work_size(3, 2);
    void *work = aligned_alloc(64, (size + 63) / 64 * 64);
    int rc = f_work(3, 2, x, ids, y, work);
    const ad_index_error *e = work;
    printf("work %d %d %s %lld %lld\n", rc == AD_ERR_INDEX, size >= sizeof(ad_index_error), e->check,
           (long long)e->index, (long long)e->bound);
    free(work);
    printf("plain %d\n", f(3, 2, x, ids, y) == AD_ERR_INDEX);
    const ad_meta *metas[1] = {&f_meta};
    ad_error err;
    ad_module *m = ad_module_from_meta(metas, 1, &err);
    ad_tensor *in[2] = {ad_parse_json("[1, 2, 3]", &err), ad_parse_json("[0, -4]", &err)}, *out[1];
    rc = ad_call(ad_module_function(m, "f", &err), in, out, &err);
    printf("call %d %s\n", rc == AD_E_VALUE, err.msg);
    ad_tensor_free(in[0]);
    ad_tensor_free(in[1]);
    ad_module_free(m);
    return 0;
}
C
for cc in "cc -std=c99 -Wall -Wextra -pedantic -Werror" "tcc -Wall -Werror"; do
	command -v "${cc%% *}" >/dev/null 2>&1 || continue
	# shellcheck disable=SC2086
	if $cc -I"$RT" -I. -c ix.c -o ix.o 2>err &&
		cc -std=c11 -Wall -Wextra -pedantic -Werror $SAN -I"$RT" -I. ix_main.c ix.o -o ix_main "$LIB" -ljansson -lm 2>>err &&
		./ix_main >out 2>>err; then
		has out "^work 1 1 'x\[ids\]' at ix.ad:2:11 7 3$"
		has out "^plain 1$"
		has out "^call 1 f: the index -4 of 'x\[ids\]' at ix.ad:2:11 is out of range \[0, 3) (AD_ERR_INDEX)$"
	else
		bad "$cc: the index program did not build or run: $(head -5 err) $(head -5 out)"
	fi
done
finish
