#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS FUZZER...: runs each libFuzzer binary (fuzz_<name>)
# for SECONDS, one after the other, one job each (the machine is shared).
# The working corpus is build/fuzz/corpus-<name>/, grown across runs; the
# seeds in tests/data/fuzz/<name>/ are read every time, so a finding copied
# there is replayed as a regression test on every run. A crash fails the
# target and its input stays in build/fuzz/ (crash-<name>-*, named in the
# FAIL line).
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 2
fi
secs=$1
shift
rc=0
mkdir -p build/fuzz

for bin in "$@"; do
	base=$(basename "$bin")
	name=${base#fuzz_}
	seeds=tests/data/fuzz/$name
	corpus=build/fuzz/corpus-$name
	log=build/fuzz/$base.log
	if [ ! -x "$bin" ]; then
		echo "FAIL: fuzz $name: no binary $bin"
		rc=1
		continue
	fi
	if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
		echo "FAIL: fuzz $name: no seeds in $seeds"
		rc=1
		continue
	fi
	mkdir -p "$corpus"
	# Stale crash files from an earlier run would be mistaken for new ones.
	rm -f build/fuzz/crash-"$name"-* build/fuzz/leak-"$name"-* build/fuzz/timeout-"$name"-* \
		build/fuzz/oom-"$name"-*
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
		-artifact_prefix=build/fuzz/ -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1
	st=$?
	# libFuzzer names artifacts crash-<sha1>; give them the target's name.
	for a in build/fuzz/crash-* build/fuzz/leak-* build/fuzz/timeout-* build/fuzz/oom-*; do
		[ -e "$a" ] || continue
		case $a in build/fuzz/*-"$name"-*) continue ;; esac
		kind=${a#build/fuzz/}
		mv "$a" "build/fuzz/${kind%%-*}-$name-${kind#*-}"
	done
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	found=$(ls build/fuzz/*-"$name"-* 2>/dev/null | tr '\n' ' ')
	if [ "$st" -ne 0 ] || [ -n "$found" ]; then
		echo "FAIL: fuzz $name: exit $st after ${runs:-?} runs; input kept: ${found:-none}; log $log"
		grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/  /'
		rc=1
	else
		echo "PASS: fuzz $name: ${runs:-?} runs in $secs s, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) files"
	fi
done
exit $rc
