#!/usr/bin/env bash
# tests/vm-spinectl/run.sh SPINECTL LOADER TESTINIT_INITRD SEC PUB: spinectl
# from an admin environment (busybox + spinectl, tests/vm-spinectl/guest.sh)
# onto a blank GPT disk whose ESP already holds another OS's loader, then
# the machine booting from that disk alone. Five boots on one OVMF variable
# store (10 to 40 s each under TCG; run under flock /tmp/spine-vm.lock):
#   1 admin, install: refusals, --dry-run, install, idempotence, status
#   2 no -kernel: firmware -> our Boot#### -> spineboot -> slot a (testinit,
#     which marks it good and powers off)
#   3 admin, status: slot a good, the entry first, the other entry and
#     loader still there; then install --take-fallback, and our entry
#     dropped from the store and BootOrder, as firmware drops entries
#   4 no -kernel: the firmware falls back to \EFI\BOOT\BOOTX64.EFI, ours
#   5 admin, remove: install writes back only the entry and BootOrder;
#     remove --dry-run; remove gives the ESP and BootOrder back
# The disk is made here with sfdisk, mkfs.fat --offset and mtools (no loop
# device, no root); the installed slots are checked with signify-openbsd.
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=$1 loader=$2 testinit=$3 sec=$4 pub=$5
out=build/vm-spinectl
kernel=build/kernel/vmlinuz
rm -rf "$out"
mkdir -p "$out/slots"
rc=0
pass() { echo "PASS: vm-spinectl $*"; }
fail() {
	echo "FAIL: vm-spinectl $*"
	rc=1
}

# ---- Slots: a (version 2) and what the guest makes b and the refused ones of --
cmd="console=ttyS0 panic=-1 testinit.good=1"
image/mkslot.sh -o "$out/slot-a" -k "$kernel" -i "$testinit" -c "$cmd" -v 2 -s "$sec" -p "$pub" >/dev/null &&
	image/mkslot.sh -o "$out/slot-b" -k "$kernel" -i "$testinit" -c "$cmd" -v 1 -s "$sec" -p "$pub" >/dev/null &&
	signify-openbsd -G -n -p "$out/other.pub" -s "$out/other.sec" >/dev/null &&
	image/mkslot.sh -o "$out/slot-u" -k "$kernel" -i "$testinit" -c "$cmd" -v 2 \
		-s "$out/other.sec" -p "$out/other.pub" >/dev/null || {
	fail "setup: mkslot"
	exit 1
}

# ---- The disk: GPT; vfat ESP, vfat of the wrong type, a small ESP ------------
disk=$out/disk.img
uuid=5350494e-0000-4000-8000-000000000001
truncate -s 100M "$disk"
printf '%s\n' 'label: gpt' \
	"start=2048, size=64MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$uuid" \
	'start=133120, size=16MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4' \
	'start=165888, size=8MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' | sfdisk -q "$disk" &&
	mkfs.fat -F 32 -n ESP --offset 2048 "$disk" 65536 >/dev/null 2>>"$out/mkfs.log" &&
	mkfs.fat -n LIN --offset 133120 "$disk" 16384 >/dev/null 2>>"$out/mkfs.log" &&
	mkfs.fat -n SMALL --offset 165888 "$disk" 8192 >/dev/null 2>>"$out/mkfs.log" || {
	fail "setup: the disk"
	exit 1
}
export MTOOLS_SKIP_CHECK=1
E="$disk@@$((2048 * 512))"
head -c 70000 /dev/urandom >"$out/grubx64.efi"
mmd -i "$E" ::/EFI ::/EFI/debian ::/EFI/BOOT &&
	mcopy -i "$E" "$out/grubx64.efi" ::/EFI/debian/grubx64.efi &&
	mcopy -i "$E" "$out/grubx64.efi" ::/EFI/BOOT/BOOTX64.EFI || {
	fail "setup: mtools"
	exit 1
}
# The other OS's entry: "Debian" HD(1,GPT,uuid,2048,131072)/File(\EFI\debian\grubx64.efi).
u16() { printf %s "$1" | iconv -f ASCII -t UTF-16LE | xxd -p | tr -d '\n'; }
le() { # value bytes
	local v=$1 i
	for ((i = 0; i < $2; i++)); do printf %02x $(((v >> (8 * i)) & 255)); done
}
gp=$(sed 's/-//g' <<<"$uuid")
guid=${gp:6:2}${gp:4:2}${gp:2:2}${gp:0:2}${gp:10:2}${gp:8:2}${gp:14:2}${gp:12:2}${gp:16:16}
path='\EFI\debian\grubx64.efi'
hd="0401$(le 42 2)$(le 1 4)$(le 2048 8)$(le 131072 8)${guid}0202"
file="0404$(le $((4 + 2 * (${#path} + 1))) 2)$(u16 "$path")0000"
fp="$hd$file""7fff0400"
echo "01000000$(le $((${#fp} / 2)) 2)$(u16 Debian)0000$fp" >"$out/other-entry.hex"

# ---- The admin initrd -----------------------------------------------------------
files=(-f tests/vm-spinectl/guest.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox -f "$tool:/bin/spinectl"
	-f "$loader:/usr/lib/spine/spineboot.efi" -f "$out/slot-b/slot.conf:/slots/b.conf"
	-f "$out/slot-b/SHA512.sig:/slots/b.sig" -f "$out/slot-u/SHA512.sig:/slots/untrusted.sig"
	-f "$out/other-entry.hex:/slots/other-entry.hex")
for f in vmlinuz initrd.img cmdline slot.conf SHA512.sig; do
	files+=(-f "$out/slot-a/$f:/slots/a/$f")
done
if ! image/mkinitrd.sh -o "$out/admin.img" -i /bin/busybox -k build/kernel -m virtio_pci -m virtio_blk -m vfat \
	-m nls_cp437 -m nls_ascii -m efivarfs "${files[@]}" >"$out/mkinitrd.log" 2>&1; then
	fail "building the admin initrd ($(tail -n 1 "$out/mkinitrd.log"))"
	exit 1
fi

vars=$out/vars.fd
admin() { # phase
	ovmf/run.sh --kernel "$kernel" --initrd "$out/admin.img" \
		--append "console=ttyS0 quiet panic=-1 vmspinectl.phase=$1" --disk "$disk" --vars "$vars" \
		--log "$out/$1.log" --timeout 100 --max-boots 1 >"$out/$1.harness" 2>&1
	lines=$(sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$out/$1.log" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g' | grep -a '^vmspinectl: ')
	sed -n 's/^vmspinectl: \(PASS\|FAIL\): /\1: vm-spinectl /p' <<<"$lines"
	grep -q '^vmspinectl: FAIL' <<<"$lines" && rc=1
	grep -q '^vmspinectl: done' <<<"$lines" || fail "$1: the admin VM did not finish ($(tail -n 1 "$out/$1.harness"))"
	echo "vm-spinectl: $1: $(tail -n 1 "$out/$1.harness")"
}

# ---- 1: install ---------------------------------------------------------------------
admin install
entry=$(sed -n 's/^vmspinectl: entry \(Boot[0-9A-F]\{4\}\) .*/\1/p' <<<"$lines")
got=$(sed -n 's/^vmspinectl: entry Boot[0-9A-F]\{4\} //p' <<<"$lines")
lp='\EFI\spine\spineboot.efi'
fp="$hd""0404$(le $((4 + 2 * (${#lp} + 1))) 2)$(u16 "$lp")0000""7fff0400"
want="07000000""01000000$(le $((${#fp} / 2)) 2)$(u16 'Alpine Spine')0000$fp"
[ -n "$entry" ] && [ "$got" = "$want" ] &&
	pass "$entry is HD(1,GPT,$uuid,2048,131072)/File($lp), attributes NV|BS|RT, byte for byte" ||
	fail "the entry ${entry:-none} is [$got], want [$want]"
# The slots on the disk, checked by signify itself.
for s in a b; do
	rm -rf "$out/check-$s" && mkdir -p "$out/check-$s"
	mcopy -i "$E" -n "::/spine/$s/*" "$out/check-$s/" 2>/dev/null
	if (cd "$out/check-$s" && signify-openbsd -C -q -p "$(realpath "$OLDPWD/$pub")" -x SHA512.sig); then
		pass "slot $s on the disk's ESP passes signify-openbsd -C"
	else
		fail "slot $s on the disk's ESP fails signify-openbsd -C"
	fi
done

# ---- 2: the machine boots from its disk alone -----------------------------------------
ovmf/run.sh --disk "$disk" --vars "$vars" --log "$out/boot.log" --timeout 120 --max-boots 2 \
	>"$out/boot.harness" 2>&1
blog=$(sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$out/boot.log" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g')
if grep -aq "BdsDxe: starting $entry \"Alpine Spine\"" <<<"$blog" &&
	grep -aq '^spineboot: booting slot a version 2' <<<"$blog" &&
	grep -aq '^testinit: cmdline=.*spine.slot=a' <<<"$blog"; then
	pass "with no -kernel: firmware -> $entry \"Alpine Spine\" -> spineboot -> slot a version 2 -> its init ($(tail -n 1 "$out/boot.harness"))"
else
	fail "boot from the disk: $(grep -a -E 'BdsDxe|spineboot|testinit' <<<"$blog" | head -n 5 | tr '\n' ';') $(tail -n 1 "$out/boot.harness")"
fi

# ---- 3: status afterwards, from the admin environment ---------------------------------
admin status
json=$(sed -n 's/^vmspinectl: status //p' <<<"$lines")
[[ $json == *'"a": {"present": true, "version": 2, "verifies": true, "refused": null, "tries_left": '*', "good": true}'* ]] &&
	[[ $json == *"\"entry\": \"$entry\", \"entry_position\": 0"* ]] &&
	pass "status --json after that boot: slot a version 2 good, $entry first in BootOrder" ||
	fail "status --json: $json"
bo=$(sed -n 's/^vmspinectl: BootOrder //p' <<<"$lines")
n=${entry#Boot}
[[ $bo == 07000000${n:2:2}${n:0:2}3412* ]] &&
	[ "$(sed -n 's/^vmspinectl: Boot1234 //p' <<<"$lines")" = "07000000$(cat "$out/other-entry.hex")" ] &&
	grep -q '^vmspinectl: other loader present' <<<"$lines" &&
	pass "the firmware kept BootOrder ($bo): ours, then the other OS's Boot1234, untouched, and its loader" ||
	fail "after the boot: BootOrder $bo, Boot1234 $(sed -n 's/^vmspinectl: Boot1234 //p' <<<"$lines")"

dropped=$(sed -n 's/^vmspinectl: dropped \(Boot[0-9A-F]\{4\}\), .*/\1/p' <<<"$lines")
[ "$dropped" = "$entry" ] || fail "status phase: our entry was not dropped ($dropped)"

# ---- 4: the entry lost, the firmware falls back to \EFI\BOOT\BOOTX64.EFI --------------
ovmf/run.sh --disk "$disk" --vars "$vars" --log "$out/fallback.log" --timeout 120 --max-boots 2 \
	>"$out/fallback.harness" 2>&1
blog=$(sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$out/fallback.log" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g')
if ! grep -aq '"Alpine Spine"' <<<"$blog" &&
	grep -aqE 'BdsDxe: starting Boot[0-9A-F]{4} "UEFI Misc Device" from PciRoot\(0x0\)/Pci\(0x2,0x0\)' <<<"$blog" &&
	grep -aq '^spineboot: booting slot a version 2' <<<"$blog" &&
	grep -aq '^testinit: cmdline=.*spine.slot=a' <<<"$blog"; then
	pass "with $entry gone: firmware -> the disk's \\EFI\\BOOT\\BOOTX64.EFI (ours, --take-fallback) -> spineboot -> slot a ($(tail -n 1 "$out/fallback.harness"))"
else
	fail "fallback boot: $(grep -a -E 'BdsDxe|spineboot|testinit' <<<"$blog" | head -n 5 | tr '\n' ';') $(tail -n 1 "$out/fallback.harness")"
fi

# ---- 5: remove ----------------------------------------------------------------------
admin remove
exit $rc
