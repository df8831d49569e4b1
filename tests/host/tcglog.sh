#!/usr/bin/env bash
# tests/host/tcglog.sh SPINE_TCGLOG: build/spine-tcglog on the log captured
# from swtpm under OVMF (tests/data/tcglog/README): every PCR value it
# replays equals what the guest read from sysfs; a cut log and a missing
# file end in one error line naming the file.
set -u
tool=$1
data=tests/data/tcglog
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if "$tool" "$data/swtpm-ovmf.bin" >"$tmp/out" 2>"$tmp/err" && [ -s "$tmp/out" ] &&
	n=$(wc -l <"$tmp/out") && grep -Fxf "$tmp/out" "$data/swtpm-ovmf.pcrs" | wc -l | grep -qx "$n"; then
	echo "PASS: spine-tcglog replays the swtpm log to the guest's $n PCR values (4 banks)"
else
	echo "FAIL: spine-tcglog on swtpm-ovmf.bin: $(head -c 300 "$tmp/err") $(grep -vFxf "$data/swtpm-ovmf.pcrs" "$tmp/out" | head -3)"
fi
head -c 1000 "$data/swtpm-ovmf.bin" >"$tmp/cut.bin"
if ! "$tool" "$tmp/cut.bin" >/dev/null 2>"$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] &&
	grep -q "^spine-tcglog: $tmp/cut.bin: offset [0-9]*: " "$tmp/err"; then
	echo "PASS: spine-tcglog refuses a cut log in one line ($(cat "$tmp/err" | sed "s|$tmp/||"))"
else
	echo "FAIL: spine-tcglog on a cut log: $(cat "$tmp/err")"
fi
if ! "$tool" "$tmp/none" >/dev/null 2>"$tmp/err" && grep -q "^spine-tcglog: $tmp/none: " "$tmp/err"; then
	echo "PASS: spine-tcglog names a missing file"
else
	echo "FAIL: spine-tcglog on a missing file: $(cat "$tmp/err")"
fi
