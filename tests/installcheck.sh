#!/bin/sh
# After `make install`: programs that use only the installed header and the
# flags pkg-config gives. One JIT-compiles a .ad string and gets gradients
# (adjit), the other links C emitted ahead of time, without libtcc (adrt).
# usage: installcheck.sh PREFIX   (the installed tree, DESTDIR included)
set -e
prefix=$1
T=$(mktemp -d /tmp/ad-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
libdir=$prefix/lib
PKG_CONFIG_PATH=$libdir/pkgconfig
export PKG_CONFIG_PATH
pc() { pkg-config --define-variable=prefix="$prefix" "$@"; }
cd "$T"

cat >jit.c <<'C'
#include <stdio.h>
#include <adrt.h>
int main(void)
{
	ad_error err;
	ad_module *m = ad_module_compile("func f(x: f64[n]) -> y {\n    y = sum(x * x * x)\n}\n", "f.ad", &err);
	if (!m) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	const ad_function *f = ad_module_function(m, "f", &err);
	int64_t shape[1] = {3};
	ad_tensor *x = ad_tensor_new(AD_F64, 1, shape, &err), *g[1];
	for (int i = 0; i < 3; i++)
		ad_tensor_set(x, i, i + 1);
	if (ad_grad(f, &x, NULL, NULL, 0, g, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	printf("%g %g %g\n", ad_tensor_get(g[0], 0), ad_tensor_get(g[0], 1), ad_tensor_get(g[0], 2));
	ad_tensor_free(g[0]);
	ad_tensor_free(x);
	ad_module_free(m);
	return 0;
}
C
cc -std=c99 -Wall -Wextra -Werror $(pc --cflags adjit) jit.c -o jit $(pc --libs --static adjit)
out=$(LD_LIBRARY_PATH=$libdir ./jit)
[ "$out" = "3 12 27" ] || { echo "FAIL: the JIT program printed '$out'"; exit 1; }

printf 'func f(x: f64[n]) -> y {\n    y = sum(sin(x) * x)\n}\n' >f.ad
"$prefix/bin/ad-compile" f.ad -o f_gen.c
cat >aot.c <<'C'
#include <math.h>
#include <stdio.h>
#include <adrt.h>
#include "f_gen.h"
int main(void)
{
	ad_error err;
	const ad_meta *metas[1] = {&f_meta};
	ad_module *m = ad_module_from_meta(metas, 1, &err);
	const ad_function *f = ad_module_function(m, "f", &err);
	int64_t shape[1] = {2};
	ad_tensor *x = ad_tensor_new(AD_F64, 1, shape, &err), *g[1];
	ad_tensor_set(x, 0, 0.5);
	ad_tensor_set(x, 1, 2);
	if (ad_grad(f, &x, NULL, NULL, 0, g, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	double want = sin(2.0) + 2 * cos(2.0);
	printf("%s\n", fabs(ad_tensor_get(g[0], 1) - want) < 1e-12 ? "ok" : "wrong");
	ad_tensor_free(g[0]);
	ad_tensor_free(x);
	ad_module_free(m);
	return 0;
}
C
cc -std=c99 -Wall -Wextra -Werror $(pc --cflags adrt) aot.c f_gen.c -o aot $(pc --libs adrt)
if nm aot | grep -qi tcc_; then echo "FAIL: the AOT program links libtcc"; exit 1; fi
out=$(LD_LIBRARY_PATH=$libdir ./aot)
[ "$out" = ok ] || { echo "FAIL: the AOT program printed '$out'"; exit 1; }
# the manual page, the documentation and the samples
[ -f "$prefix/share/man/man1/ad-compile.1" ] || { echo "FAIL: no manual page"; exit 1; }
grep -q "ad-compile [0-9]" "$prefix/share/man/man1/ad-compile.1" || { echo "FAIL: the manual page has no version"; exit 1; }
for f in README.md language.md errors.md runtime-api.md samples/sin.ad samples/newton.c; do
	[ -f "$prefix/share/doc/ad-compile/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
"$prefix/bin/ad-compile" --run main "$prefix/share/doc/ad-compile/samples/sin.ad" --format=csv >/dev/null ||
	{ echo "FAIL: the installed sin sample does not run"; exit 1; }
echo "installcheck: the JIT and AOT programs built with pkg-config work; manual, docs and samples are installed"
