#!/usr/bin/env bash
# Host test of the Umbilical's copy (docs/umbilical.md): runs
# build/tests/umbilical-copy as root on a scratch folder under build/, in its
# own mount namespace (it mounts a tmpfs to show that no mount is crossed).
# One PASS/FAIL line a case; SKIP when not root.
set -u
drv=${1:-build/tests/umbilical-copy}
[ "$(id -u)" = 0 ] || { echo "SKIP: umbilical copy host tests (needs root: chown, mknod, mounts)"; exit 0; }
[ -x "$drv" ] || { echo "FAIL: umbilical copy: no driver $drv"; exit 1; }
T=$(dirname "$drv")/umbilical-copy.d
rm -rf "$T" && mkdir -p "$T" || exit 1
"$drv" "$T"
rc=$?
# The delivered file, read by another tool than the one that wrote it.
f="$T/dst/inbox/report v2 é.bin"
s="$T/src/outbox/report v2 é.bin"
if [ -f "$f" ] && [ "$(sha512sum <"$f")" = "$(sha512sum <"$s")" ]; then
	echo "PASS: umbilical copy: sha512sum agrees on the delivered file"
else
	echo "FAIL: umbilical copy: sha512sum of the delivered file differs from the source"
	rc=1
fi
rm -rf "$T"
exit $rc
