#!/bin/sh
# doctest.sh: the examples of the documentation are tests: every message of
# the error catalogue (docs/errors.md) and every example of the language
# reference (docs/language.md), and the IR listings of docs/design.md.
AD=${AD:-$PWD/ad-compile}
top=$(cd "${srcdir:-$(dirname "$0")}/.." && pwd)
PY=$(command -v python3 || echo /usr/bin/python3)
exec "$PY" "$top/tests/doctest.py" "$AD" "$top/docs/errors.md" "$top/docs/language.md" "$top/docs/design.md"
