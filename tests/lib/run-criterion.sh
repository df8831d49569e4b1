#!/usr/bin/env bash
# Runs one Criterion test binary and turns its TAP report into the
# PASS:/FAIL:/SKIP: lines that tests/run-checks.sh counts.
set -u
bin=$1
name=$(basename "$bin")
out=$("$bin" --tap=- 2>&1)
rc=$?
printf '%s\n' "$out" | awk -v n="$name" '
	/^ok( [0-9]+)? - .*# SKIP/ { sub(/^ok( [0-9]+)? - /, ""); print "SKIP: " n " " $0; next }
	/^ok( [0-9]+)? - /        { sub(/^ok( [0-9]+)? - /, ""); print "PASS: " n " " $0; next }
	/^not ok( [0-9]+)? - /    { sub(/^not ok( [0-9]+)? - /, ""); print "FAIL: " n " " $0; next }
	{ print "  " $0 }'
exit $rc
