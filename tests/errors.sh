#!/bin/sh
# errors.sh: every example of the error catalogue (docs/errors.md) is a test.
AD=${AD:-$PWD/ad-compile}
top=$(cd "${srcdir:-$(dirname "$0")}/.." && pwd)
PY=$(command -v python3 || echo /usr/bin/python3)
exec "$PY" "$top/tests/errors.py" "$AD" "$top/docs/errors.md"
