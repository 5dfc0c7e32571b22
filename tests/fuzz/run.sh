#!/bin/sh
# run.sh SRCDIR SECONDS TARGET...: fuzz each libFuzzer target for SECONDS,
# starting from the seed corpus made from the project's own inputs, and
# keeping the corpus it grows in the build tree between runs. A crash, leak,
# timeout, out-of-memory or sanitizer report fails the target; its input is
# saved in tests/fuzz/findings/. Prints one "N passed, M failed" line.
set -u
src=$1
secs=$2
shift 2
pass=0
fail=0
mkdir -p tests/fuzz/findings
for t in "$@"; do
	name=$(basename "$t")
	corpus=tests/fuzz/corpus-${name#fuzz_}
	seeds=tests/fuzz/seeds-${name#fuzz_}
	rm -rf "$seeds"
	mkdir -p "$corpus" "$seeds"
	dict=""
	case $name in
	fuzz_compile)
		# every .ad file of the project
		i=0
		for f in "$src"/samples/*.ad "$src"/bench/*.ad "$src"/tests/adjoint/*.ad "$src"/tests/diag/*.ad \
			"$src"/tests/ir/*.ad "$src"/tests/emit/*.ad "$src"/tests/acceptance/*.ad "$src"/tests/loops/*.ad "$src"/tests/ints/*.ad \
			"$src"/tests/jac/*.ad "$src"/tests/index/*.ad "$src"/tests/prims/*.ad "$src"/tests/fuzz/seeds/*.ad; do
			[ -f "$f" ] && cp "$f" "$seeds/$i.ad" && i=$((i + 1))
		done
		dict="-dict=$src/tests/fuzz/ad.dict"
		;;
	fuzz_read)
		# the reader is picked by the first byte: 0 JSON, 1 .npy, 2 .csv
		i=0
		for f in "$src"/tests/data/*.json "$src"/tests/fuzz/seeds/*.json; do
			[ -f "$f" ] && { printf '\000'; cat "$f"; } >"$seeds/j$i" && i=$((i + 1))
		done
		for f in "$src"/tests/data/*.npy; do
			[ -f "$f" ] && { printf '\001'; cat "$f"; } >"$seeds/n$i" && i=$((i + 1))
		done
		for f in "$src"/tests/data/*.csv; do
			[ -f "$f" ] && { printf '\002'; cat "$f"; } >"$seeds/c$i" && i=$((i + 1))
		done
		;;
	fuzz_runtime)
		for f in "$src"/tests/fuzz/seeds/runtime-*; do
			[ -f "$f" ] && cp "$f" "$seeds/"
		done
		;;
	esac
	log=tests/fuzz/$name.log
	echo "fuzz: $name for ${secs}s (corpus $corpus)"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix=tests/fuzz/findings/$name- $dict "$corpus" "$seeds" >"$log" 2>&1; then
		pass=$((pass + 1))
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		echo "fuzz: $name ok: $runs runs, $rate/s, $cov, $(ls "$corpus" | wc -l) inputs in the corpus"
	else
		fail=$((fail + 1))
		echo "fuzz: $name FAILED; the end of $log:" >&2
		tail -40 "$log" >&2
		ls tests/fuzz/findings/$name-* 2>/dev/null | sed 's/^/fuzz: input saved as /' >&2
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
