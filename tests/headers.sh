#!/bin/sh
# tests/headers.sh: an emitted header and the runtime's adrt.h go together
# in either order, in C (strict) and in C++: the status codes are defined
# once (ad_meta.h, enum ad_status), and the emitted entry points' codes are
# the runtime's.
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
finish
