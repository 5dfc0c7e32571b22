#!/bin/sh
# tests/samples.sh: every sample of samples/ builds and shows what README's
# "Samples" section says it shows. The emitted C and the drivers are built
# with -std=c99 -Wall -Wextra -pedantic -Werror and the flags of --cflags.
. "$(dirname "$0")/lib.sh"
S=$(cd "$SRC/../samples" && pwd)
CC=${CC:-cc}
STRICT="-std=c99 -Wall -Wextra -pedantic -Werror $("$AD" --cflags)"

# ---- sin.ad: y = sin(x) and dy/dx = cos(x), never written as such
"$AD" --run main "$S/sin.ad" --format=csv >sin.csv && ok || bad "sin.ad did not run"
# every row: |dydx - cos(x)| and |y - sin(x)| small (awk's own sin and cos)
awk -F, 'NR > 1 { e = $3 - cos($1); if (e < 0) e = -e; f = $2 - sin($1); if (f < 0) f = -f;
	if (e > 1e-6 || f > 1e-6) bad++; n++ } END { exit !(n == 1000 && bad == 0) }' sin.csv && ok ||
	bad "sin.ad: dydx is not cos(x) or y is not sin(x)"
if command -v gnuplot >/dev/null 2>&1; then
	"$AD" --run main "$S/sin.ad" --plot sin.png >/dev/null && [ -s sin.png ] && ok || bad "sin.ad: no plot"
fi

# ---- paddle_examples.ad: Paddle's documented values
"$AD" --run backward_example "$S/paddle_examples.ad" --input 'x=[[1, 2], [3, 4]]' --input 'y=[[3, 2], [3, 4]]' \
	--format=json >bw.json && ok || bad "backward_example did not run"
has bw.json '"first": .*"shape": \[2, 2\], "data": \[12, 18, 17, 25\]'
has bw.json '"again": .*"data": \[12, 18, 17, 25\]'
has bw.json '"ones": .*"data": \[10, 14, 10, 14\]'
"$AD" --run create_graph_example "$S/paddle_examples.ad" --input 'x=[1]' --format=json >cg.json && ok ||
	bad "create_graph_example did not run"
has cg.json '"kept": .*"data": \[4\]'
has cg.json '"dropped": .*"data": \[2\]'
"$AD" --run grad_outputs_example "$S/paddle_examples.ad" --input x=2 --input s1=3 --input s2=4 --format=json >go.json &&
	ok || bad "grad_outputs_example did not run"
has go.json '"ones": .*"data": \[7\]'
has go.json '"second_seeded": .*"data": \[16\]'
has go.json '"first_seeded": .*"data": \[19\]'
has go.json '"both_seeded": .*"data": \[24\]'

# ---- the C drivers: build each against its emitted code, run it
build() { # build NAME.ad DRIVER.c: emitted NAME_gen.c, program DRIVER
	name=$1
	driver=$2
	"$AD" "$S/$name.ad" -o "${name}_gen.c" || return 1
	# shellcheck disable=SC2086
	$CC $STRICT -I. "$S/$driver.c" "${name}_gen.c" -o "$driver" $("$AD" --libs)
}
build logreg logreg_train && ok || bad "logreg_train did not build"
./logreg_train >logreg.out && ok || bad "logreg_train failed: $(tail -3 logreg.out)"
has logreg.out "^epoch  1  loss 0.693147$" # log 2 at w = 0, b = 0
has logreg.out "accuracy"
build mlp mlp_train && ok || bad "mlp_train did not build"
./mlp_train >mlp.out && ok || bad "mlp_train failed: $(tail -3 mlp.out)"
has mlp.out "^epoch 1000"
build newton newton && ok || bad "newton did not build"
./newton >newton.out && ok || bad "newton failed: $(tail -3 newton.out)"
has newton.out "max |x_i - 1| = 0.000e+00"
build pendulum pendulum_fit && ok || bad "pendulum_fit did not build"
./pendulum_fit >pendulum.out && ok || bad "pendulum_fit failed: $(tail -3 pendulum.out)"
has pendulum.out "^fitted: c = 0.30[0-9]* (true 0.3), l = 0.80[0-9]* (true 0.8)$"
# the loss falls to the noise's variance, 0.02^2 / 12
awk '/^step/ { l[n++] = $4 } END { exit !(n >= 2 && l[n - 1] < 1e-3 * l[0] && l[n - 1] < 4e-5) }' pendulum.out && ok ||
	bad "pendulum_fit: the loss did not fall: $(cat pendulum.out)"
build projectile projectile && ok || bad "projectile did not build"
./projectile >projectile.out && ok || bad "projectile failed: $(tail -3 projectile.out)"
has projectile.out "^hit: launch at"
# the same aim through RK4 in a loop with a break: the closed form's angle
# with linear drag, a steeper one with quadratic drag
has projectile.out "^rk4, linear drag: launch at 25.8701"
has projectile.out "^rk4, quadratic drag c = 0.002: launch at 28.2"
# the hit, checked by integrating the equations of motion numerically (RK4),
# independently of the closed form the sample differentiates
theta=$(sed -n 's/^step [0-9]*  theta \([0-9.]*\) rad.*+5.000000000 m.*/\1/p' projectile.out)
PY=$(command -v python3 || echo /usr/bin/python3)
if [ -n "$theta" ] && "$PY" - "$theta" <<'PY'; then ok; else bad "projectile: the ODE does not hit the target at $theta"; fi
import math, sys
th, v0, k, g, d = float(sys.argv[1]), 30.0, 0.1, 9.81, 50.0
f = lambda s: (s[2], s[3], -k * s[2], -g - k * s[3])
s, dt = (0.0, 0.0, v0 * math.cos(th), v0 * math.sin(th)), 1e-4
while True:
    k1 = f(s)
    k2 = f([a + dt / 2 * b for a, b in zip(s, k1)])
    k3 = f([a + dt / 2 * b for a, b in zip(s, k2)])
    k4 = f([a + dt * b for a, b in zip(s, k3)])
    n = [a + dt / 6 * (b + 2 * c + 2 * e + h) for a, b, c, e, h in zip(s, k1, k2, k3, k4)]
    if n[0] >= d:
        y = s[1] + (d - s[0]) / (n[0] - s[0]) * (n[1] - s[1])
        sys.exit(0 if abs(y - 5.0) < 1e-6 else 1)
    s = n
PY
build kepler kepler && ok || bad "kepler did not build"
./kepler >kepler.out && ok || bad "kepler failed: $(tail -3 kepler.out)"
has kepler.out "^ 1.00  0.60  1.599748548  0.982927622  0.982515691 -0.569552582    4$"
has kepler.out "^largest relative difference from the implicit function theorem"
build gru gru_train && ok || bad "gru_train did not build"
./gru_train >gru.out && ok || bad "gru_train failed: $(tail -3 gru.out)"
has gru.out "^epoch   0  loss 3\.1798$" # about log(24): 24 letters, all equally likely
has gru.out "^trained: a loop means its unrolled form"
build arm arm_ik && ok || bad "arm_ik did not build"
./arm_ik >arm.out && ok || bad "arm_ik failed: $(tail -3 arm.out)"
has arm.out "^step  0  hand (1.926410, 1.138898)  distance 1.595e+00$"
has arm.out "^joints 0.525712 1.127201 0.843010 after 14 steps$"
build bow bow_train && ok || bad "bow_train did not build"
./bow_train >bow.out && ok || bad "bow_train failed: $(tail -3 bow.out)"
has bow.out "^epoch   0  loss 1\.1071$"
has bow.out "^new documents: 59 of 60 classified right"
build ba ba_fit && ok || bad "ba_fit did not build"
./ba_fit >ba.out && ok || bad "ba_fit failed: $(tail -3 ba.out)"
has ba.out "^step  0  squared reprojection error 1\.706e+03  lambda 1e-03$"
has ba.out "^squared reprojection error .* after 5 steps$"
build cnn cnn_train && ok || bad "cnn_train did not build"
./cnn_train >cnn.out && ok || bad "cnn_train failed: $(tail -3 cnn.out)"
has cnn.out "^step   0  loss 0\.6884$" # about log(2): two classes, equally likely
has cnn.out "^new images: .* of 64 classified right"
build gp gp_fit && ok || bad "gp_fit did not build"
./gp_fit >gp.out && ok || bad "gp_fit failed: $(tail -3 gp.out)"
has gp.out "^step   0  -log likelihood   48\.085  length 3\.000  signal 1\.000  noise 1\.000$"
has gp.out "^fitted: -log likelihood -16\.188 (from 48\.085), noise 0\.096 (true 0\.1)$"
build ekf ekf_track && ok || bad "ekf_track did not build"
./ekf_track >ekf.out && ok || bad "ekf_track failed: $(tail -3 ekf.out)"
has ekf.out "^t = 6\.00 s  theta  0\.35.*  estimate  0\.35"
has ekf.out "^last 3 s: RMS angle error 0\.00[0-9]* rad (filtered), 0\.03[0-9]* rad (raw measurements)$"
# ---- the same drivers with the emitted code under AddressSanitizer and UBSan
SAN="-std=c99 -O0 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
for pair in "logreg logreg_train" "mlp mlp_train" "newton newton" "projectile projectile" "pendulum pendulum_fit" \
	"kepler kepler" "gru gru_train" "arm arm_ik" "bow bow_train" "ba ba_fit" "cnn cnn_train" "gp gp_fit" \
	"ekf ekf_track"; do
	set -- $pair
	# shellcheck disable=SC2086
	if $CC $SAN -I. "$S/$2.c" "$1_gen.c" -o "$2-san" $("$AD" --libs) && ./"$2-san" >"$2-san.out" 2>&1; then
		ok
	else
		bad "$2 under the sanitizers: $(tail -12 "$2-san.out")"
	fi
done
has newton-san.out "max |x_i - 1| = 0.000e+00"

if command -v gnuplot >/dev/null 2>&1; then
	"$AD" --run trajectory "$S/projectile.ad" --input theta="$theta" --input v0=30 --input k=0.1 --input g=9.81 \
		--input T=2.5 --plot path.png >/dev/null && [ -s path.png ] && ok || bad "projectile: no plot"
fi

finish
