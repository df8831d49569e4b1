#!/usr/bin/env bash
# make bench-verity (tests/bench/bench.mk): boots build/bench-verity/initrd.img
# (busybox, tests/bench/verity-rcS.sh, build/tests/bench/verity-bench) in one
# QEMU/OVMF VM with the inventory disk read-only, and prints the guest's
# bench: lines. Fails if the VM or the bench did not run to its end.
# BENCH_ROUNDS (default 5) rounds of start figures (verity-bench.c).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${1:-build}
VB=$B/bench-verity
rounds=${BENCH_ROUNDS:-5}
[[ $rounds =~ ^[1-9][0-9]?$ ]] || { echo "bench-verity: BENCH_ROUNDS=$rounds: want 1..99"; exit 1; }
for f in "$B/kernel/vmlinuz" "$VB/initrd.img" "$VB/disk.img"; do
	[ -f "$f" ] || { echo "bench-verity: no $f (run make bench-verity)"; exit 1; }
done
t0=$EPOCHSECONDS
# 3 GiB: the whole-file form holds the 1 GiB image in a memfd. Two CPUs:
# core 0 is bay0's (the bench's), a persona gets core 1.
rc=0
flock /tmp/spine-vm.lock ovmf/run.sh --kernel "$B/kernel/vmlinuz" --initrd "$VB/initrd.img" \
	--append "console=ttyS0 quiet panic=-1 vbench.rounds=$rounds" --log "$VB/vm.log" \
	--timeout 1200 --max-boots 1 -- -m 3072 -smp 2 \
	-drive "if=none,id=inv,format=raw,readonly=on,file=$VB/disk.img" \
	-device virtio-blk-pci,drive=inv >"$VB/vm.harness" 2>&1 || rc=$?
# The serial log without the harness's stamps and the firmware's escapes.
lines=$(sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$VB/vm.log" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g' |
	grep -a -E '^(bench|vbench|verity-bench|verity-guest): ')
grep -a '^bench: ' <<<"$lines"
if [ "$rc" != 0 ] || ! grep -q '^vbench: done rc=0$' <<<"$lines"; then
	grep -a -v '^bench: ' <<<"$lines" | sed 's/^/bench-verity: /'
	echo "bench-verity: FAILED ($(tail -n 1 "$VB/vm.harness"); serial log $VB/vm.log)"
	exit 1
fi
echo "bench: $(grep -a '^vbench: [0-9]* CPUs' <<<"$lines" | sed 's/^vbench: //'), TCG; VM run $((EPOCHSECONDS - t0)) s wall; host load average $(cut -d' ' -f1-3 /proc/loadavg)"
