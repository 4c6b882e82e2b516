#!/bin/sh
# test.sh - install what is missing, build, and run the whole test suite
# (unit tests, CLI tests, interop tests against xmlsec1, xmllint and
# Shibboleth SP's metadata provider).  Extra arguments go to configure.
set -eu
top="$(cd "$(dirname "$0")/.." && pwd)"
"$top/contrib/deps.sh"
"$top/contrib/build.sh" "$@"
cd "$top"
status=0
make -j"$(nproc)" check >check.out 2>&1 || status=$?
cat check.out
if [ "$status" -ne 0 ] && [ -f test-suite.log ]; then
	cat test-suite.log
fi
pass=$(sed -n 's/^# PASS: *//p' check.out | tail -1)
fails=$(sed -n 's/^# FAIL: *//p' check.out | tail -1)
errors=$(sed -n 's/^# ERROR: *//p' check.out | tail -1)
skips=$(sed -n 's/^# SKIP: *//p' check.out | tail -1)
echo "${pass:-0} passed, $(( ${fails:-0} + ${errors:-0} )) failed, ${skips:-0} skipped"
exit "$status"
