#!/usr/bin/env bash
# tests/vm-loader/run.sh SPINECTL LOADER SPINE_INITRD SEC PUB: spinectl
# update --loader (docs/install.md, "update --loader") and bay0's report of
# how the firmware booted (docs/bay0.md, "How the firmware booted"), from an
# admin environment (busybox + spinectl, tests/vm-loader/guest.sh) on a GPT
# disk whose two slots hold a small Spine (a release bay0, no persona). One
# OVMF variable store throughout; after each admin run the disk boots alone.
# Run under flock /tmp/spine-vm.lock.
#   install L1; disk: L1 through our entry, bay0 says so, marks a good
#   refusals, --dry-run, cut after the file; disk: L1
#   cut after the entry; disk: L1
#   cut at a random moment (L3); disk: L1, or L3 on trial
#   update --loader L2; disk: L2 on trial, cut before the boot is good
#   disk: L1 again (BootNext used once, nothing promoted)
#   update --loader L2 again (only BootNext); disk: L2 on trial, marked
#   good, promoted; disk: L2 through its entry, first in BootOrder
#   update --loader L2 once more: the fallback path; our entries dropped;
#   disk: the fallback path boots L2, bay0 says so and that no entry is left
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=$1 loader=$2 spine=$3 sec=$4 pub=$5
out=build/vm-loader
kernel=build/kernel/vmlinuz
rm -rf "$out"
mkdir -p "$out"
rc=0
pass() { echo "PASS: vm-loader $*"; }
fail() {
	echo "FAIL: vm-loader $*"
	rc=1
}

# ---- Loaders and the slot -----------------------------------------------------------
# L2 and L3 are L1 with another COFF TimeDateStamp: other files, as a
# rebuild is, that boot alike; bay0 tells them apart by the entry the
# firmware started. Lbad trusts another key under the same key number (one
# hex digit of the key in .spkeys changed): spinectl must refuse it because
# no slot verifies under it.
stamp() { # IN OUT STAMP
	python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', b, 0x3c)[0]
assert b[pe:pe + 4] == b'PE\0\0'
struct.pack_into('<I', b, pe + 8, int(sys.argv[3]))
open(sys.argv[2], 'wb').write(b)
PY
}
badkey() { # IN OUT
	python3 - "$1" "$2" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'spineboot-keys 1\n') + 17 + 17  # the first key's first hex digit
b[i] = ord('1') if b[i] != ord('1') else ord('2')
open(sys.argv[2], 'wb').write(b)
PY
}
cmdline="console=ttyS0 quiet panic=-1"
stamp "$loader" "$out/l2.efi" 2000000000 && stamp "$loader" "$out/l3.efi" 2000000001 &&
	badkey "$loader" "$out/lbad.efi" &&
	image/mkslot.sh -o "$out/slot" -k "$kernel" -i "$spine" -c "$cmdline" -v 1 -s "$sec" -p "$pub" >/dev/null || {
	fail "setup: loaders and slot"
	exit 1
}
cmp -s "$loader" "$out/l2.efi" && {
	fail "setup: L2 is L1 byte for byte"
	exit 1
}

# ---- The disk: GPT, one 64 MiB ESP ------------------------------------------------
disk=$out/disk.img
truncate -s 70M "$disk"
printf '%s\n' 'label: gpt' \
	'start=2048, size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk -q "$disk" &&
	mkfs.fat -F 32 -n ESP --offset 2048 "$disk" 65536 >/dev/null 2>"$out/mkfs.log" || {
	fail "setup: the disk"
	exit 1
}

# ---- The admin initrd ----------------------------------------------------------------
files=(-f tests/vm-loader/guest.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox -f "$tool:/bin/spinectl"
	-f "$loader:/usr/lib/spine/spineboot.efi" -f "$out/l2.efi:/loaders/l2.efi"
	-f "$out/l3.efi:/loaders/l3.efi" -f "$out/lbad.efi:/loaders/lbad.efi")
for f in vmlinuz initrd.img cmdline slot.conf SHA512.sig; do
	files+=(-f "$out/slot/$f:/slot/$f")
done
if ! image/mkinitrd.sh -o "$out/admin.img" -i /bin/busybox -k build/kernel -m virtio_pci -m virtio_blk -m vfat \
	-m nls_cp437 -m nls_ascii -m efivarfs "${files[@]}" >"$out/mkinitrd.log" 2>&1; then
	fail "building the admin initrd ($(tail -n 1 "$out/mkinitrd.log"))"
	exit 1
fi

vars=$out/vars.fd
. tests/lib/fat-repair.sh
clean() { sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$1" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g'; }
admin() { # name phase [until-ERE]
	local name=$1 phase=$2 until=${3:-} more=()
	[ -z "$until" ] || more=(--until "$until")
	ovmf/run.sh --kernel "$kernel" --initrd "$out/admin.img" \
		--append "console=ttyS0 quiet panic=-1 vmloader.phase=$phase" --disk "$disk" --vars "$vars" \
		--log "$out/$name.log" --timeout 100 --max-boots 1 "${more[@]}" >"$out/$name.harness" 2>&1
	lines=$(clean "$out/$name.log" | grep -a -E '^(vmloader|spinectl): ')
	sed -n 's/^vmloader: \(PASS\|FAIL\): /\1: vm-loader /p' <<<"$lines"
	grep -q '^vmloader: FAIL' <<<"$lines" && rc=1
	if [ -z "$until" ]; then
		grep -q '^vmloader: done' <<<"$lines" || fail "$name: the admin VM did not finish ($(tail -n 1 "$out/$name.harness"))"
	fi
	echo "vm-loader: $name: $(tail -n 1 "$out/$name.harness")"
}
# disk NAME (--until ERE | --cad-on ERE): the machine from its disk alone,
# stopped at a line, or reset by bay0 after ctrl-alt-del (one boot).
disk_boot() {
	local name=$1
	shift
	ovmf/run.sh --disk "$disk" --vars "$vars" --log "$out/$name.log" --timeout 150 --max-boots 1 \
		"$@" >"$out/$name.harness" 2>&1
	blog=$(clean "$out/$name.log")
	echo "vm-loader: $name: $(tail -n 1 "$out/$name.harness")"
}
said() { grep -a -E '^(spineboot: (booting|slot . refused|no bootable)|bay0: boot: )' <<<"$blog" | tr '\n' ';'; }
no_loop() { ! grep -aq '^spineboot: no bootable slot' <<<"$blog"; }
E='Boot[0-9A-F]{4}'
via() { # FILE: bay0 says the firmware started our entry for FILE, first in BootOrder
	grep -aqE "^bay0: boot: the firmware booted $E \(\\\\EFI\\\\spine\\\\$1\), our entry, first in BootOrder" <<<"$blog"
}
trial() { # FILE: a trial boot of FILE
	grep -aqE "^bay0: boot: the firmware booted $E \(\\\\EFI\\\\spine\\\\$1\) outside BootOrder: a new loader on trial" <<<"$blog"
}
BOOTLINE='^bay0: boot: the firmware booted'
HEALTH='^bay0: slot: marked good after'

# ---- install; L1 boots through our entry --------------------------------------------------
admin install install
disk_boot boot-l1 --cad-on '^bay0: slot a marked good'
grep -aq '^spineboot: booting slot a version 1' <<<"$blog" && via spineboot.efi && no_loop &&
	! grep -aq '^bay0: boot: .*promoted' <<<"$blog" &&
	pass "after install: the firmware starts spineboot.efi through our entry, bay0 says so, slot a marked good, nothing promoted" ||
	fail "after install: $(said)"

# ---- refusals, --dry-run, and power cuts at chosen points -----------------------------------
admin cut-file cut-file '^spinectl: test hook: stopped'
grep -q '^spinectl: test hook: stopped' <<<"$lines" || fail "cut-file: the hook did not stop spinectl"
disk_boot after-cut-file --until "$BOOTLINE"
via spineboot.efi && no_loop &&
	pass "power cut after the new loader's file was written: L1 boots through its entry" ||
	fail "after cut-file: $(said)"

admin cut-entry cut-entry '^spinectl: test hook: stopped'
grep -q '^spinectl: test hook: stopped' <<<"$lines" || fail "cut-entry: the hook did not stop spinectl"
disk_boot after-cut-entry --until "$BOOTLINE"
via spineboot.efi && no_loop &&
	pass "power cut after the new loader's entry was written (BootNext not yet): L1 boots through its entry" ||
	fail "after cut-entry: $(said)"

admin cut-random cut-random '^vmloader: cut now'
grep -q '^vmloader: cut now' <<<"$lines" || fail "cut-random: no cut"
disk_boot after-cut-random --until "$BOOTLINE"
{ via spineboot.efi || trial spineboot-2.efi; } && grep -aq '^spineboot: booting slot a' <<<"$blog" && no_loop &&
	pass "power cut at a random moment of update --loader L3 ($(sed -n 's/^vmloader: cut now, //p' <<<"$lines")): $(said)" ||
	fail "after cut-random: $(said)"
# FAT has no journal: a cut inside a rename can leave a directory entry on
# a freed cluster (seen here). The machine boots regardless (the loader in
# use was never written); the operator's repair is fsck.fat on the ESP
# (docs/install.md), done here from the host on the partition's bytes.
fat_repair "$disk" 2048 131072 "$out" vm-loader || rc=1

# ---- the trial: cut before the boot is good, then a good one ------------------------------
admin trial trial
disk_boot trial-cut --until "$HEALTH"
trial spineboot-2.efi && grep -aq '^spineboot: booting slot a' <<<"$blog" &&
	pass "after update --loader L2: the firmware starts spineboot-2.efi once (BootNext), bay0 sees a trial" ||
	fail "trial: $(said)"
disk_boot after-trial-cut --until "$BOOTLINE"
via spineboot.efi && no_loop &&
	pass "power cut during the trial, before bay0 marked the boot good: the next boot is L1 through its entry, nothing promoted" ||
	fail "after the cut trial: $(said)"

admin retrial retrial
disk_boot trial-good --cad-on '^bay0: boot: the new loader .* promoted'
trial spineboot-2.efi && grep -aqE "^bay0: slot a marked good" <<<"$blog" &&
	grep -aqE "^bay0: boot: the new loader $E \(\\\\EFI\\\\spine\\\\spineboot-2.efi\) promoted" <<<"$blog" &&
	pass "the trial boot marked good: bay0 promotes spineboot-2.efi in BootOrder, after marking the slot good" ||
	fail "trial-good: $(said)"
good_at=$(grep -anE '^bay0: slot a marked good' <<<"$blog" | head -n 1 | cut -d: -f1)
prom_at=$(grep -anE '^bay0: boot: the new loader .* promoted' <<<"$blog" | head -n 1 | cut -d: -f1)
[ -n "$good_at" ] && [ -n "$prom_at" ] && [ "$good_at" -lt "$prom_at" ] ||
	fail "trial-good: the promotion did not follow the slot's marking good (lines ${good_at:-none}, ${prom_at:-none})"
disk_boot promoted --until "$BOOTLINE"
via spineboot-2.efi && no_loop &&
	pass "after the promotion: the firmware starts spineboot-2.efi through its entry, first in BootOrder" ||
	fail "promoted: $(said)"

# ---- the fallback path last; then the firmware loses our entries ----------------------------
admin fallback fallback
disk_boot fallback-boot --until "$HEALTH"
grep -aq '^bay0: boot: the firmware booted .*not an Alpine Spine entry: the fallback path' <<<"$blog" &&
	grep -aq '^bay0: boot: no Alpine Spine boot entry in the variable store' <<<"$blog" &&
	grep -aq '^spineboot: booting slot a' <<<"$blog" &&
	pass "our entries gone: the firmware boots the fallback path (now L2), slot a boots, bay0 says both and repairs nothing" ||
	fail "fallback-boot: $(said)"
exit $rc
