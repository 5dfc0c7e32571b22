#!/bin/sh
# tests/format.sh: every C source of the project is formatted as .clang-format
# says (skipped when clang-format is not installed).
. "$(dirname "$0")/lib.sh"
top=$(cd "$SRC/.." && pwd)
if ! command -v clang-format >/dev/null 2>&1; then
	echo "SKIP: clang-format is not installed"
	exit 77
fi
for f in "$top"/compiler/*.c "$top"/compiler/*.h "$top"/jit/*.c "$top"/jit/*.h "$top"/cli/*.c "$top"/cli/*.h "$top"/runtime/*.c "$top"/runtime/*.h "$top"/tests/*.c \
	"$top"/tests/*.h "$top"/tests/fuzz/*.c "$top"/tests/difftest/*.c "$top"/bench/*.c "$top"/bench/*.h "$top"/bench/linalg/*.c "$top"/bench/conv/*.c "$top"/bench/adbench/*.c "$top"/bench/adbench/*.h "$top"/bench/threads/*.c \
	"$top"/samples/*.c; do
	case $f in */compiler/lexer.c | */compiler/parser.c | */compiler/parser.h) continue ;; esac
	[ -f "$f" ] || continue
	if clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then ok; else bad "${f#"$top"/} is not formatted (clang-format -i)"; fi
done
finish
