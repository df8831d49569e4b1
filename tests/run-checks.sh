#!/usr/bin/env bash
# Runs each make target named on the command line, keeps going when one fails,
# and prints the totals. Every check reports one line per test case:
#   PASS: <what>   FAIL: <what>   SKIP: <what> (<why>)
# A target that exits non-zero counts as failed even if it printed no FAIL line.
set -u
mkdir -p build/check
pass=0 fail=0 skip=0 failed=()
for t in "$@"; do
	log=build/check/$t.log
	echo "== $t"
	start=$SECONDS
	make --no-print-directory "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS: ' "$log") f=$(grep -c '^FAIL: ' "$log") s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $t exited $rc"
		f=1
	fi
	if [ "$rc" -eq 0 ] && [ "$f" -ne 0 ]; then
		echo "FAIL: $t printed FAIL lines but exited 0"
	fi
	[ "$f" -ne 0 ] && failed+=("$t")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "== $t: $p passed, $f failed, $s skipped ($((SECONDS - start)) s)"
done
echo
[ ${#failed[@]} -gt 0 ] && echo "failed checks: ${failed[*]}"
grep -h '^SKIP: ' build/check/*.log 2>/dev/null | sort -u
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
