#!/usr/bin/env bash
# tests/vm-update/run.sh SPINECTL LOADER TESTINIT_INITRD SEC PUB: spinectl
# update (docs/install.md, "update") from an admin environment (busybox +
# spinectl, tests/vm-update/guest.sh) on a GPT disk, and the machine booting
# from that disk alone after each step, with power cuts in the middle of an
# update. One OVMF variable store throughout; the rollback floor, which the
# running OS cannot see, is read on the host from that store
# (tests/vm-update/varstore.py). Run under flock /tmp/spine-vm.lock.
#   admin install; disk: a v2 boots, marked good (floor 0)
#   admin update (refusals, update v3); disk: a v3 twice, good, floor 2
#   admin cut after b's SHA512.sig is deleted; disk: a v3 boots
#   admin cut after a's initrd is written; disk: b v3 (a's copy) boots
#   admin cut at a random moment; disk: a slot boots
#   admin finish (v4, whose init panics); disk: a's tries, then b v3, floor 3
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=$1 loader=$2 testinit=$3 sec=$4 pub=$5
out=build/vm-update
kernel=build/kernel/vmlinuz
rm -rf "$out"
mkdir -p "$out"
rc=0
pass() { echo "PASS: vm-update $*"; }
fail() {
	echo "FAIL: vm-update $*"
	rc=1
}

# ---- Slots -----------------------------------------------------------------------
# v1, v2: good and reboot (so that a second boot is a good boot, which raises
# the floor); v3 the same with a bigger initrd (zero padding, which the
# kernel skips); v4: its init panics and never marks good, tries=2, a bigger
# initrd again. A tampered v3: its cmdline changed after signing.
good="console=ttyS0 panic=-1 testinit.good=1 testinit.action=reboot"
cp "$testinit" "$out/initrd-3" && truncate -s +256K "$out/initrd-3" &&
	cp "$testinit" "$out/initrd-4" && truncate -s +1M "$out/initrd-4" &&
	image/mkslot.sh -o "$out/v1" -k "$kernel" -i "$testinit" -c "$good" -v 1 -s "$sec" -p "$pub" >/dev/null &&
	image/mkslot.sh -o "$out/v2" -k "$kernel" -i "$testinit" -c "$good" -v 2 -s "$sec" -p "$pub" >/dev/null &&
	image/mkslot.sh -o "$out/v3" -k "$kernel" -i "$out/initrd-3" -c "$good" -v 3 -s "$sec" -p "$pub" >/dev/null &&
	image/mkslot.sh -o "$out/v4" -k "$kernel" -i "$out/initrd-4" -c "console=ttyS0 panic=-1 testinit.action=panic" \
		-v 4 -t 2 -s "$sec" -p "$pub" >/dev/null &&
	cp -r "$out/v3" "$out/vtampered" && echo "console=ttyS0 init=/bin/sh" >"$out/vtampered/cmdline" || {
	fail "setup: mkslot"
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
files=(-f tests/vm-update/guest.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox -f "$tool:/bin/spinectl"
	-f "$loader:/usr/lib/spine/spineboot.efi" -f "$kernel:/slots/vmlinuz")
for v in 1 2 3 4 tampered; do
	for f in initrd.img cmdline slot.conf SHA512.sig; do
		files+=(-f "$out/v$v/$f:/slots/v$v.$f")
	done
done
if ! image/mkinitrd.sh -o "$out/admin.img" -i /bin/busybox -k build/kernel -m virtio_pci -m virtio_blk -m vfat \
	-m nls_cp437 -m nls_ascii -m efivarfs "${files[@]}" >"$out/mkinitrd.log" 2>&1; then
	fail "building the admin initrd ($(tail -n 1 "$out/mkinitrd.log"))"
	exit 1
fi

vars=$out/vars.fd
clean() { sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$1" | sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g'; }
admin() { # name phase [until-ERE]
	local name=$1 phase=$2 until=${3:-} more=()
	[ -z "$until" ] || more=(--until "$until")
	ovmf/run.sh --kernel "$kernel" --initrd "$out/admin.img" \
		--append "console=ttyS0 quiet panic=-1 vmupdate.phase=$phase" --disk "$disk" --vars "$vars" \
		--log "$out/$name.log" --timeout 100 --max-boots 1 "${more[@]}" >"$out/$name.harness" 2>&1
	lines=$(clean "$out/$name.log" | grep -a -E '^(vmupdate|spinectl): ')
	sed -n 's/^vmupdate: \(PASS\|FAIL\): /\1: vm-update /p' <<<"$lines"
	grep -q '^vmupdate: FAIL' <<<"$lines" && rc=1
	if [ -z "$until" ]; then
		grep -q '^vmupdate: done' <<<"$lines" || fail "$name: the admin VM did not finish ($(tail -n 1 "$out/$name.harness"))"
	fi
	echo "vm-update: $name: $(tail -n 1 "$out/$name.harness")"
}
# disk NAME MAX-BOOTS [until-ERE]: the machine from its disk alone.
disk_boot() {
	local name=$1 max=$2 until=${3:-} more=()
	[ -z "$until" ] || more=(--until "$until")
	ovmf/run.sh --disk "$disk" --vars "$vars" --log "$out/$name.log" --timeout 150 --max-boots "$max" \
		"${more[@]}" >"$out/$name.harness" 2>&1
	blog=$(clean "$out/$name.log")
	echo "vm-update: $name: $(tail -n 1 "$out/$name.harness")"
}
booted() { grep -a -E '^spineboot: (booting slot|slot . refused|no bootable)' <<<"$blog" | tr '\n' ';'; }
floor() { # the live SpineRollbackFloor, as a number
	local hex
	hex=$(tests/vm-update/varstore.py "$vars" SpineRollbackFloor) || return 1
	echo $((16#${hex:14:2}${hex:12:2}${hex:10:2}${hex:8:2}${hex:6:2}${hex:4:2}${hex:2:2}${hex:0:2}))
}
expect_floor() { # N why
	local f
	f=$(floor 2>&1)
	[ "$f" = "$1" ] && pass "the rollback floor is $1 ($2), read from the variable store" ||
		fail "the rollback floor is ${f:-unreadable}, want $1 ($2)"
}
no_loop() { # name: no slot refused for lack of a bootable one, never a loop
	! grep -aq '^spineboot: no bootable slot' <<<"$blog"
}

# ---- install; a v2 boots, is marked good, boots good -----------------------------------
admin install install
disk_boot boot-v2 1 '^testinit: action='
grep -aq '^spineboot: booting slot a version 2' <<<"$blog" && grep -aq '^testinit: slot a marked good' <<<"$blog" &&
	pass "after install: slot a version 2 boots and is marked good" || fail "after install: $(booted)"
expect_floor 0 "no good boot yet: the floor the loader created"

# ---- update v3: a boots it, b holds v2 ---------------------------------------------------
admin update update
disk_boot boot-v3 2
[ "$(grep -ac '^spineboot: booting slot a version 3' <<<"$blog")" = 2 ] &&
	pass "after update: slot a version 3 boots twice (an attempt, marked good, then a good boot)" ||
	fail "after update: $(booted)"
expect_floor 2 "a v3 good, b v2 verifies: the lower one, never above the fallback"

# ---- power cuts during update v4 -----------------------------------------------------------
admin cut-b-sig cut-b-sig '^spinectl: test hook: stopped'
grep -q '^spinectl: test hook: stopped' <<<"$lines" || fail "cut-b-sig: the hook did not stop spinectl"
disk_boot after-cut-b-sig 1 '^testinit: action='
grep -aq '^spineboot: booting slot a version 3' <<<"$blog" && no_loop &&
	pass "power cut after b's SHA512.sig was deleted: a version 3 boots" || fail "after cut-b-sig: $(booted)"

admin cut-a-initrd cut-a-initrd '^spinectl: test hook: stopped'
grep -q '^spinectl: test hook: stopped' <<<"$lines" || fail "cut-a-initrd: the hook did not stop spinectl"
disk_boot after-cut-a-initrd 1 '^testinit: action='
grep -aq '^spineboot: slot a: refused: SHA512.sig: missing' <<<"$blog" &&
	grep -aq '^spineboot: booting slot b version 3' <<<"$blog" && no_loop &&
	pass "power cut after a's initrd was written: a refused (no SHA512.sig), b version 3 (a's copy) boots" ||
	fail "after cut-a-initrd: $(booted)"

admin cut-random cut-random '^vmupdate: cut now'
grep -q '^vmupdate: cut now' <<<"$lines" || fail "cut-random: no cut"
disk_boot after-cut-random 1 '^testinit: action='
grep -aE '^spineboot: booting slot [ab] version [34]' <<<"$blog" >/dev/null && grep -aq '^testinit: action=' <<<"$blog" &&
	no_loop && pass "power cut at a random moment ($(sed -n 's/^vmupdate: cut now, //p' <<<"$lines")): $(booted)" ||
	fail "after cut-random: $(booted)"

# ---- update v4 to the end; its init panics: a's tries, then b ---------------------------------
admin finish finish
disk_boot boot-v4 5 '^testinit: action=reboot'
grep -aq '^spineboot: slot a: refused: boot attempts used up' <<<"$blog" &&
	grep -aq '^spineboot: booting slot b version 3' <<<"$blog" && no_loop &&
	pass "v4 whose init panics: its tries used up ($(grep -ac '^spineboot: booting slot a version 4' <<<"$blog") boots here), then b version 3, the previous good version" ||
	fail "v4 panics: $(booted)"
expect_floor 3 "b v3 good boot, a v4 verifies above it"
exit $rc
