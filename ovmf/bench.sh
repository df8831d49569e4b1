#!/usr/bin/env bash
# ovmf/bench.sh: QEMU start to the init's first line, spineboot against
# systemd-boot, on the same kernel, initrd and cmdline.
#
#   ovmf/bench.sh [RUNS]     (default 5 each, run alternately)
#
# spineboot verifies the slot (signature, four SHA-512s, slot.conf) and
# records a boot attempt; systemd-boot reads a Type #1 entry and boots the
# same files unverified. Each run has a fresh variable store and is stopped
# at testinit's first line, whose time stamp (ovmf/run.sh) is the figure.
# spineboot's own "entry to handoff" line is reported beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
B=${B:-build}
KERNEL=${KERNEL:-$B/kernel/vmlinuz}
INITRD=${INITRD:-$B/initrd/testinit.img}
SPINEBOOT=${SPINEBOOT:-$B/efi/spineboot.efi}
SDBOOT=${SDBOOT:-/usr/lib/systemd/boot/efi/systemd-bootx64.efi}
SLOT_SEC=${SLOT_SEC:-keys/dev/spine-slot-DEVELOPMENT.sec}
SLOT_PUB=${SLOT_PUB:-keys/dev/spine-slot-DEVELOPMENT.pub}
cmdline="console=ttyS0 quiet panic=-1"

for f in "$KERNEL" "$INITRD" "$SPINEBOOT" "$SDBOOT"; do
	[ -f "$f" ] || {
		echo "bench-boot: missing $f" >&2
		exit 1
	}
done

d=$B/bench
mkdir -p "$d"
image/mkslot.sh -o "$B/slots/bench" -k "$KERNEL" -i "$INITRD" -c "$cmdline" -v 1 \
	-s "$SLOT_SEC" -p "$SLOT_PUB"
image/mkesp.sh -o "$B/esp/bench-spineboot.img" -l "$SPINEBOOT" \
	-a "$B/slots/bench" -b "$B/slots/bench"
printf 'timeout 0\ndefault spine.conf\n' >"$d/loader.conf"
printf 'title Spine\nlinux /spine/a/vmlinuz\ninitrd /spine/a/initrd.img\noptions %s\n' \
	"$cmdline" >"$d/spine.conf"
image/mkesp.sh -o "$B/esp/bench-sdboot.img" -a "$B/slots/bench" \
	-x "$SDBOOT:/EFI/BOOT/BOOTX64.EFI" -x "$d/loader.conf:/loader/loader.conf" \
	-x "$d/spine.conf:/loader/entries/spine.conf"

# first_line LOG: seconds from QEMU's start to testinit's first line.
first_line() {
	sed -n 's/^\[ *\([0-9.]*\)\] testinit: .*/\1/p' "$1" | head -n 1
}
# stamp LOG ERE: the stamp of the first line containing ERE.
stamp() {
	grep -a -E "$2" "$1" | head -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
# phases LOG: "firmware rest" seconds: QEMU start to OVMF's "BdsDxe:
# starting" (the same work for both loaders), and from there to testinit
# (loader, kernel). The EFI stub's own line would split the second part, but
# the stub honours "quiet" and prints nothing.
phases() {
	local f k
	f=$(stamp "$1" 'BdsDxe: starting') k=$(first_line "$1")
	[ -n "$f" ] && [ -n "$k" ] || return 0
	awk -v f="$f" -v k="$k" 'BEGIN { printf "%.3f %.3f\n", f, k - f }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$d/spineboot.times"
: >"$d/sdboot.times"
: >"$d/handoff.us"
: >"$d/spineboot.phases"
: >"$d/sdboot.phases"
for i in $(seq "$runs"); do
	for who in spineboot sdboot; do
		log=$d/$who-$i.log
		ovmf/run.sh --esp "$B/esp/bench-$who.img" --log "$log" --timeout 60 \
			--until '^testinit: ' >/dev/null || true
		t=$(first_line "$log")
		if [ -z "$t" ]; then
			echo "bench-boot: $who run $i never reached testinit (see $log)" >&2
			exit 1
		fi
		echo "$t" >>"$d/$who.times"
		phases "$log" >>"$d/$who.phases"
		if [ "$who" = spineboot ]; then
			sed -n 's/.*spineboot: entry to handoff \([0-9]*\) us.*/\1/p' "$log" |
				head -n 1 >>"$d/handoff.us"
		fi
		echo "bench-boot: run $i $who ${t} s"
	done
done

s=$(median <"$d/spineboot.times")
b=$(median <"$d/sdboot.times")
h=$(grep . "$d/handoff.us" | median || true)
printf 'bench-boot: QEMU start to testinit, median of %d: spineboot %s s, systemd-boot %s s, ratio %s (target <= 1.0)\n' \
	"$runs" "$s" "$b" "$(awk -v s="$s" -v b="$b" 'BEGIN { printf "%.3f", s / b }')"
# The firmware's part is the same code for both and only adds noise to the
# ratio; the part after OVMF's BdsDxe line is the loaders' own difference.
if [ -s "$d/spineboot.phases" ] && [ -s "$d/sdboot.phases" ]; then
	awk -v s="$(cut -d' ' -f2 "$d/spineboot.phases" | median)" \
		-v b="$(cut -d' ' -f2 "$d/sdboot.phases" | median)" \
		'BEGIN { printf "bench-boot: from BdsDxe to testinit, ratio %.3f\n", s / b }'
fi
for who in spineboot sdboot; do
	[ -s "$d/$who.phases" ] || continue
	printf 'bench-boot: %s, median: firmware to BdsDxe %s s, then loader and kernel to testinit %s s\n' \
		"$who" "$(cut -d' ' -f1 "$d/$who.phases" | median)" "$(cut -d' ' -f2 "$d/$who.phases" | median)"
done
if [ -n "$h" ]; then
	awk -v h="$h" 'BEGIN { printf "bench-boot: spineboot entry to handoff, median: %.1f ms\n", h / 1000 }'
else
	echo "bench-boot: spineboot printed no 'entry to handoff' line"
fi
