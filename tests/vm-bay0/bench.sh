#!/usr/bin/env bash
# tests/vm-bay0/bench.sh: in the VM, the time from bay0's start to all
# default personas running, read from bay0's own console lines.
#
#   tests/vm-bay0/bench.sh (--esp IMG | --slot DIR) --persist IMG --inventory IMG [--cpus N] [--runs N]
#
# The figure is bay0's own: "personas started: 4 of 4 at T ms (bay0 started
# at S ms)", both CLOCK_MONOTONIC in the guest, logged once the last entry
# has been exec'd inside its namespaces and cgroup; T - S. Beside it, the
# same span from the harness's host stamps of "bay0: starting:" and the last
# "bay0: persona <name> started pid N" (host clock; includes the emulated
# UART). Each run is a fresh boot stopped as soon as bay0 says "personas
# started". The VM has a TPM (swtpm behind tpm-tis): bay0's own figure for
# its TPM work (the firmware log's replay and the PCR 11 extends, each a run
# of spine-tpm, fork to reap) is printed beside the whole span, as a share.
set -euo pipefail
# bash reads a script while running it: run from a copy, so that editing
# this file during a boot cannot derail the run in progress.
if [ -z "${VM_BAY0_COPY:-}" ]; then
	mkdir -p build/vm-bay0
	cp "$0" build/vm-bay0/bench-copy.sh
	VM_BAY0_COPY=1 exec bash build/vm-bay0/bench-copy.sh "$@"
fi

boot= persist= inventory= cpus=4 runs=1
while [ $# -gt 0 ]; do
	case $1 in
	--esp) boot=(--esp "$2") && shift ;;
	--slot) boot=(--kernel "$2/vmlinuz" --initrd "$2/initrd.img" --append "$(cat "$2/cmdline")") && shift ;;
	--persist) persist=$2 && shift ;;
	--inventory) inventory=$2 && shift ;;
	--cpus) cpus=$2 && shift ;;
	--runs) runs=$2 && shift ;;
	*)
		echo "bench.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
[ -n "${boot[*]}" ] && [ -f "$persist" ] && [ -f "$inventory" ] || {
	echo "bench.sh: need --esp IMG or --slot DIR, --persist IMG and --inventory IMG" >&2
	exit 2
}

out=build/vm-bay0
mkdir -p "$out"
# bash reads a script as it runs it: run a copy of the harness, so that an
# edit to ovmf/run.sh during a long boot cannot change it mid-way.
harness=$out/ovmf-run.sh
cp ovmf/run.sh "$harness"
ms_of() { # first stamp of ERE in log, in ms
	grep -E -m1 -- "$2" "$1" | sed -nE 's/^\[ *([0-9]+)\.([0-9]+)\].*/\1\2/p' | sed 's/^0*//'
}
results=() tpm_results=()
for i in $(seq "$runs"); do
	log=$out/bench-$i.log
	cp "$persist" "$out/bench-persist.img"
	rc=0
	bash "$harness" "${boot[@]}" --watchdog --tpm --persist "$out/bench-persist.img" \
		--inventory "$inventory" --timeout 180 \
		--log "$log" --until '^bay0: personas started' -- -smp "$cpus" >/dev/null 2>&1 || rc=$?
	t0=$(ms_of "$log" '\] bay0: starting: ')
	guest=$(sed -nE 's/.*\] bay0: personas started: 4 of 4 at ([0-9]+) ms \(bay0 started at ([0-9]+) ms\).*/\1 \2/p' "$log" | head -n 1)
	t_end=0 missing=
	for p in py web work vault; do
		t=$(ms_of "$log" "\\] bay0: persona $p started pid ")
		if [ -z "$t" ]; then
			missing+=" $p"
		elif [ "$t" -gt "$t_end" ]; then
			t_end=$t
		fi
	done
	if [ "$rc" != 3 ] || [ -z "$t0" ] || [ -n "$missing" ] || [ -z "$guest" ]; then
		echo "FAIL: bench-spine run $i: harness exit $rc, bay0 start '${t0:-none}', not started:${missing:- none}, guest times '${guest:-none}' (log $log)"
		exit 1
	fi
	read -r g_end g_start <<<"$guest"
	read -r truns tms < <(sed -nE 's/.*\] bay0: tpm: ([0-9]+) runs of spine-tpm took ([0-9]+) ms.*/\1 \2/p' "$log" | head -n 1)
	if [ -z "${tms:-}" ]; then
		echo "FAIL: bench-spine run $i: no 'tpm: N runs of spine-tpm took T ms' line (log $log)"
		exit 1
	fi
	span=$((g_end - g_start))
	echo "bench-spine: run $i: kernel start -> bay0 start $g_start ms (guest clock); bay0 start -> py, web, work, vault running $span ms (guest clock), $((t_end - t0)) ms (host stamps); TPM work in it $tms ms ($truns spine-tpm runs), ratio TPM/span $(awk -v a="$tms" -v b="$span" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
	results+=($span)
	tpm_results+=($tms)
done
sorted=($(printf '%s\n' "${results[@]}" | sort -n))
tsorted=($(printf '%s\n' "${tpm_results[@]}" | sort -n))
med=${sorted[${#sorted[@]} / 2]} tmed=${tsorted[${#tsorted[@]} / 2]}
echo "bench-spine: bay0 start -> all default personas running: median $med ms (guest CLOCK_MONOTONIC) over $runs boot(s), $cpus vCPUs under TCG"
echo "bench-spine: of which TPM work (swtpm, tpm-tis): median $tmed ms, ratio TPM/span $(awk -v a="$tmed" -v b="$med" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
