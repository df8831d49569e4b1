#!/usr/bin/env bash
# What a release bay0 must not carry (docs/bay0.md, "Builds"):
#  - the test-only switches (stop feeding the watchdog, relaunch a persona,
#    stop or fail spinectl in the middle of a Spine update, stall an Umbilical
#    transfer for the power cut) are compiled out;
#  - no shared library: the Spine's initramfs holds no ld.so and no libc.so.
#   tests/host/bay0-release.sh build/bay0/bay0 build/bay0/bay0-test
set -u
rel=${1:?usage: $0 bay0 bay0-test}
tst=${2:?usage: $0 bay0 bay0-test}
rc=0
# One string from the code of each test-only switch (docs/bay0.md).
for sw in 'watchdog switch:TEST: watchdog feeding stopped' 'relaunch switch:relaunched (test-relaunch)' \
	'spinectl stop switch:SPINECTL_TEST_STOP_AFTER' 'spinectl fail switch:SPINECTL_TEST_FAIL_AFTER' \
	'Umbilical stall switch:TEST: umbilical stalls at'; do
	what=${sw%%:*}
	marker=${sw#*:}
	if grep -qaF "$marker" "$tst"; then
		echo "PASS: bay0 release: the test build carries the $what"
	else
		echo "FAIL: bay0 release: the test build lacks the $what (the check below proves nothing)"
		rc=1
	fi
	if grep -qaF "$marker" "$rel"; then
		echo "FAIL: bay0 release: the release build carries the test-only $what"
		rc=1
	else
		echo "PASS: bay0 release: no test-only $what in the release build"
	fi
done
for b in "$rel" "$tst"; do
	dyn=$(readelf -d "$b" 2>/dev/null | grep -E 'NEEDED' || true)
	interp=$(readelf -l "$b" 2>/dev/null | grep -F 'interpreter' || true)
	if [ -z "$dyn$interp" ] && readelf -h "$b" >/dev/null 2>&1; then
		echo "PASS: bay0 release: $(basename "$b") is static (no interpreter, no NEEDED)"
	else
		echo "FAIL: bay0 release: $(basename "$b") needs: $dyn $interp"
		rc=1
	fi
done
exit $rc
