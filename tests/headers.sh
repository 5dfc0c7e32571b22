#!/bin/sh
# tests/headers.sh: emitted code linked with the runtime library. An
# emitted header and adrt.h go together in either order, in C (strict) and
# in C++: the status codes are defined once (ad_meta.h, enum ad_status), and
# the emitted entry points' codes are the runtime's. --entry emits exactly
# the entry points asked for (plain, work, vjp, jvp, split), and the
# runtime API says which one is missing.
. "$(dirname "$0")/lib.sh"
RT=$(cd "$SRC/../runtime" && pwd)
LIB=$(dirname "$AD")/runtime/.libs/libadrt.a # the runtime library of this build
SAN=""
[ "${AD_SANITIZED:-no}" = yes ] && SAN="-fsanitize=address,undefined" # as that library was built
printf 'func f(x: f64[n]) -> (y) {\n    y = sin(x)\n}\n' >model.ad
expect 0 "$AD" model.ad -o model.c
for order in "model.h adrt.h" "adrt.h model.h" "model.h adrt.h model.h"; do
	: >main.c
	for h in $order; do echo "#include \"$h\"" >>main.c; done
	cat >>main.c <<'C'
#include <stdio.h>
int main(void)
{
	double x[2] = {0, 1}, y[2];
	int bad = f(-1, x, y);                   /* a negative dimension */
	int ok = f(2, x, y);
	ad_error err;
	ad_tensor *t = ad_parse_json("[1, ", &err); /* malformed */
	printf("%d %d %d %d %d\n", bad == AD_ERR_DIM, ok == AD_OK, t == NULL, err.code == AD_E_VALUE,
	       AD_E_NOMEM == AD_ERR_NOMEM);
	return 0;
}
C
	# shellcheck disable=SC2086
	if cc -std=c99 -Wall -Wextra -pedantic -Werror $SAN -I"$RT" -I. main.c model.c -o main "$LIB" -ljansson -lm 2>err &&
		./main >out; then
		has out "^1 1 1 1 1$"
	else
		bad "$order: $(head -5 err)"
	fi
	if command -v c++ >/dev/null 2>&1; then
		if c++ -Wall -Wextra -Werror -I"$RT" -I. -x c++ -c main.c -o main.o 2>err; then ok; else bad "C++, $order: $(head -5 err)"; fi
	fi
done

# ---- --entry: only the entry points asked for, and the metadata says which
for e in plain work vjp jvp split plain,vjp all; do
	expect 0 "$AD" model.ad --entry=$e -o "e_$e.c"
	cc -std=c99 -Wall -Wextra -pedantic -Werror -c "e_$e.c" -o "e_$e.o" && ok || bad "--entry=$e does not compile"
	nm -g --defined-only "e_$e.o" | awk '{ print $3 }' | sort | tr '\n' ' ' >syms
	want="f_meta"
	case ,$e, in *,plain,* | *,all,*) want="$want f f_call" ;; esac
	case ,$e, in *,work,* | *,all,*) want="$want f_call f_work f_work_size" ;; esac
	case ,$e, in *,vjp,* | *,all,*) want="$want f_vjp f_vjp_call f_vjp_work f_vjp_work_size" ;; esac
	case ,$e, in *,jvp,* | *,all,*) want="$want f_jvp f_jvp_call f_jvp_work f_jvp_work_size" ;; esac
	case ,$e, in *,split,* | *,all,*)
		want="$want f_backward f_backward_work_size f_forward f_forward_work_size f_saved_size" ;;
	esac
	want=$(echo "$want" | tr ' ' '\n' | sort -u | tr '\n' ' ')
	[ "$(cat syms)" = "$want" ] && ok || bad "--entry=$e defines $(cat syms), wanted $want"
done
expect 2 "$AD" model.ad --entry=plain,frob -o e.c
has err "--entry takes a comma-separated list of plain, work, vjp, jvp and split (or all), not 'plain,frob'"
# the runtime API over a module emitted without some entries: a clear error
cat >entries.c <<'C'
#include <math.h>
#include <stdio.h>
#include "adrt.h"
extern const ad_meta f_meta;
int main(void)
{
	ad_error err;
	const ad_meta *metas[1] = {&f_meta};
	ad_module *m = ad_module_from_meta(metas, 1, &err);
	const ad_function *f = m ? ad_module_function(m, "f", &err) : NULL;
	if (!f)
		return 1;
	int64_t shape[1] = {2};
	ad_tensor *x = ad_tensor_new(AD_F64, 1, shape, &err), *y[1], *g[1];
	ad_tensor_set(x, 0, 0.5);
	ad_tensor_set(x, 1, 1.5);
	int rc = ad_call(f, &x, y, &err);
	printf("call %d %d %s\n", rc == AD_E_NAME, y[0] == NULL, err.msg);
	rc = ad_grad(f, &x, NULL, NULL, 0, g, &err);
	printf("grad %d %d\n", rc == AD_OK, rc == 0 && fabs(ad_tensor_get(g[0], 1) - cos(1.5)) < 1e-15);
	ad_tensor_free(g[0]);
	ad_graph *gr = ad_forward(f, &x, y, &err);
	printf("forward %d %d %s\n", gr == NULL, err.code == AD_E_NAME, err.msg);
	rc = ad_jvp(f, &x, &x, y, g, &err);
	printf("jvp %d %d %s\n", rc == AD_E_NAME, y[0] == NULL && g[0] == NULL, err.msg);
	ad_tensor_free(x);
	ad_module_free(m);
	return 0;
}
C
# shellcheck disable=SC2086
if cc -std=c99 -Wall -Wextra -pedantic -Werror $SAN -I"$RT" entries.c e_vjp.c -o entries "$LIB" -ljansson -lm 2>err &&
	./entries >out; then
	has out "^call 1 1 f was emitted without its plain and work entries (ad-compile --entry); ad_call needs one of them$"
	has out "^grad 1 1$"
	has out "^forward 1 1 f was emitted without its split entry (forward\/backward) (ad-compile --entry); ad_forward needs it$"
	has out "^jvp 1 1 f was emitted without its jvp entry (ad-compile --entry); ad_jvp needs it$"
else
	bad "the --entry=vjp program did not build or run: $(head -5 err)"
fi
finish
