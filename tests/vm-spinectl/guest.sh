#!/bin/busybox sh
# The admin environment of check-vm-spinectl (tests/vm-spinectl/run.sh):
# busybox as /init runs this as /etc/init.d/rcS, with spinectl, the loader at
# /usr/lib/spine/spineboot.efi and the slots under /slots. The disk (vda) is
# GPT: vda1 the ESP (another OS's loader on it), vda2 vfat of the Linux data
# type, vda3 an ESP too small for a slot. The variables are OVMF's, through
# efivarfs. vmspinectl.phase= picks what to do:
#   install  every refusal (message, nothing written), --dry-run (the disk
#            and every variable byte for byte), install, idempotence,
#            status; ends with Alpine Spine installed, variables and all
#   status   after the loader booted slot a: spinectl status --json; then
#            install --take-fallback, and our entry dropped from the store
#            and from BootOrder, as firmware drops entries
#   remove   install again (writes back only the entry and BootOrder), then
#            remove, and the ESP and the other OS's entry as before install
# Every line for the host starts "vmspinectl: "; the PASS/FAIL lines are the
# checks made here.
bb=/bin/busybox
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
V=/sys/firmware/efi/efivars
$bb mkdir -p /proc /sys /dev /tmp /mnt/esp /mnt/lin /mnt/small /notesp
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t tmpfs tmp /tmp
for m in $($bb cat /lib/modules/*/load.list); do
	$bb insmod "/lib/modules/$($bb uname -r)/$m" 2>/dev/null
done
$bb mount -t efivarfs efivarfs $V
$bb mount -t tmpfs notesp /notesp
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda3 ] && break; $bb sleep 0.2; done
phase=$($bb sed -n 's/.*vmspinectl\.phase=\([a-z]*\).*/\1/p' /proc/cmdline)
say() { echo "vmspinectl: $*"; }
ok() { say "PASS: $*"; }
bad() { say "FAIL: $*"; }
esp=/mnt/esp
$bb mount -t vfat /dev/vda1 $esp || bad "mount /dev/vda1"
$bb mount -t vfat /dev/vda2 /mnt/lin || bad "mount /dev/vda2"
$bb mount -t vfat /dev/vda3 /mnt/small || bad "mount /dev/vda3"

S() { /bin/spinectl "$@"; }
# Every file of the ESP and every variable (the firmware's own included),
# each with its hash: what "nothing written" is checked against.
espsnap() {
	(cd $esp && $bb find . -type f | $bb sort | while read -r f; do $bb sha256sum "$f"; done)
}
snap() {
	espsnap
	(cd $V && for f in *; do echo "$f $($bb sha256sum <"$f")"; done)
}
# What remove must give back across boots (the firmware rewrites some of
# its own variables, BootOrder among them, at every boot): the ESP's files
# and the other OS's entry.
keep() {
	espsnap
	echo "Boot1234 $(hexof "$V/Boot1234-$G")"
}
disksum() { # the whole disk, byte for byte, with every file system unmounted
	$bb umount $esp /mnt/lin /mnt/small && $bb sync &&
		$bb sha256sum </dev/vda && $bb mount -t vfat /dev/vda1 $esp &&
		$bb mount -t vfat /dev/vda2 /mnt/lin && $bb mount -t vfat /dev/vda3 /mnt/small
}
hexof() { $bb xxd -p "$1" | $bb tr -d '\n'; }

if [ "$phase" = install ]; then
	# Slots from what the host shipped: b shares a's kernel, initrd and
	# cmdline; the refused ones are a's, tampered or re-signed.
	$bb mkdir -p /tmp/b /tmp/tampered /tmp/unsigned /tmp/untrusted
	$bb cp /slots/a/* /tmp/b/ && $bb cp /slots/b.conf /tmp/b/slot.conf && $bb cp /slots/b.sig /tmp/b/SHA512.sig
	$bb cp /slots/a/* /tmp/tampered/ && echo "console=ttyS0 init=/bin/sh" >/tmp/tampered/cmdline
	$bb cp /slots/a/* /tmp/unsigned/ && $bb tail -n 4 /slots/a/SHA512.sig >/tmp/unsigned/SHA512.sig
	$bb cp /slots/a/* /tmp/untrusted/ && $bb cp /slots/untrusted.sig /tmp/untrusted/SHA512.sig
	A="--slot-a /slots/a --slot-b /tmp/b"

	# Another OS's entry, first in BootOrder, as an installed Debian has.
	$bb xxd -r -p /slots/other-entry.hex >/tmp/other
	# efivarfs takes attributes (NV|BS|RT) and data in one write.
	$bb printf '07000000%s' "$($bb cat /slots/other-entry.hex)" | $bb xxd -r -p >/tmp/otherv
	$bb cat /tmp/otherv >"$V/Boot1234-$G"
	order=$(hexof "$V/BootOrder-$G")
	$bb printf "07000000 3412 ${order#07000000}" | $bb tr -d ' ' | $bb xxd -r -p >/tmp/order
	$bb cat /tmp/order >"$V/BootOrder-$G"
	say "BootOrder before install: $(hexof "$V/BootOrder-$G")"
	snap >/tmp/before
	keep >/tmp/keep

	# expect_refusal NAME ERE COMMAND...: exit 1, one line on stderr that
	# matches ERE, and nothing on the ESP or in any variable changed.
	expect_refusal() {
		name=$1 ere=$2
		shift 2
		"$@" >/tmp/out 2>/tmp/err
		rc=$?
		snap >/tmp/after
		if [ $rc = 1 ] && [ "$($bb wc -l </tmp/err)" = 1 ] && $bb grep -Eq "$ere" /tmp/err &&
			$bb cmp -s /tmp/before /tmp/after; then
			ok "refuses $name: $($bb cat /tmp/err)"
		else
			bad "refuses $name: rc=$rc stderr=[$($bb tr '\n' ';' </tmp/err)] $($bb cmp -s /tmp/before /tmp/after || echo 'and the ESP or variables changed')"
		fi
	}
	expect_refusal "a folder not on vfat" "/notesp: not an ESP: not a vfat file system" \
		S --esp-path /notesp install $A
	expect_refusal "a folder that is not its mount's root" "not an ESP: not the root of its own mount" \
		S --esp-path $esp/EFI install $A
	expect_refusal "a vfat partition of the wrong type" \
		"not an ESP: partition type is not the EFI System Partition .*, it is 0fc63daf-8483-4772-8e79-3d69d8477de4" \
		S --esp-path /mnt/lin install $A
	expect_refusal "a tampered slot" "slot a \(/tmp/tampered\): the loader would refuse it: cmdline: hash mismatch" \
		S --esp-path $esp install --slot-a /tmp/tampered
	expect_refusal "an unsigned slot" "slot b \(/tmp/unsigned\): the loader would refuse it: SHA512.sig: " \
		S --esp-path $esp install --slot-a /slots/a --slot-b /tmp/unsigned
	expect_refusal "a slot signed by a key the loader does not trust" \
		"slot a \(/tmp/untrusted\): the loader would refuse it: SHA512.sig: .*key" \
		S --esp-path $esp install --slot-a /tmp/untrusted
	expect_refusal "a loader without a key table" "grubx64.efi: not a spineboot.efi with a key table" \
		S --esp-path $esp install --loader $esp/EFI/debian/grubx64.efi --slot-a /slots/a
	expect_refusal "an ESP without space for the slots" \
		"not enough space on the ESP: [0-9]+ bytes needed, [0-9]+ free; nothing was written" \
		S --esp-path /mnt/small install $A
	n=$($bb find /mnt/small -type f | $bb wc -l)
	[ "$n" = 0 ] && ok "the small ESP holds no file after the refusal" || bad "the small ESP holds $n files"
	expect_refusal "variables when there are none" "no EFI variables here.*--no-variables" \
		S --esp-path $esp --efivars /tmp/none install $A

	# --dry-run: the disk and every variable, byte for byte.
	d0=$(disksum)
	snap >/tmp/v0
	S --esp-path $esp --dry-run install $A --take-fallback >/tmp/dry 2>&1
	rc=$?
	d1=$(disksum)
	snap >/tmp/v1
	if [ $rc = 0 ] && [ -n "$d0" ] && [ "$d0" = "$d1" ] && $bb cmp -s /tmp/v0 /tmp/v1 &&
		$bb grep -q '^would write .*/spine/a/SHA512.sig' /tmp/dry && $bb grep -q '^would set BootOrder' /tmp/dry; then
		ok "install --dry-run prints $($bb grep -c '^would' /tmp/dry) actions; the disk and every variable are byte for byte unchanged"
	else
		bad "install --dry-run: rc=$rc disk $d0 -> $d1: $($bb head -n 3 /tmp/dry | $bb tr '\n' ';')"
	fi

	# install, found without --esp-path: /boot/efi is the ESP's mount here.
	$bb mkdir -p /boot/efi && $bb mount -t vfat /dev/vda1 /boot/efi
	if S install $A >/tmp/install 2>&1; then
		ok "install (ESP found at /boot/efi): $($bb tail -n 1 /tmp/install)"
	else
		bad "install: $($bb tr '\n' ';' </tmp/install)"
	fi
	$bb umount /boot/efi
	order=$($bb grep -o 'spine/a/[^ ]*' /tmp/install | $bb tr '\n' ' ')
	[ "$order" = "spine/a/vmlinuz spine/a/initrd.img spine/a/cmdline spine/a/slot.conf spine/a/SHA512.sig " ] &&
		ok "install writes slot a's SHA512.sig after its four files" || bad "install wrote slot a as: $order"
	$bb cmp -s /usr/lib/spine/spineboot.efi $esp/EFI/spine/spineboot.efi &&
		ok "the loader is at \\EFI\\spine\\spineboot.efi" || bad "\\EFI\\spine\\spineboot.efi is not the loader"
	$bb cmp -s $esp/EFI/debian/grubx64.efi $esp/EFI/BOOT/BOOTX64.EFI &&
		$bb grep -q 'note: .*BOOTX64.EFI belongs to another loader' /tmp/install &&
		ok "the other OS's BOOTX64.EFI stays without --take-fallback, and install says so" ||
		bad "the foreign BOOTX64.EFI was replaced or not reported"
	num=$($bb sed -n 's/^set \(Boot[0-9A-F]\{4\}\) .*/\1/p' /tmp/install)
	n=${num#Boot}
	lo=$($bb printf %s "$n" | $bb cut -c3-4)$($bb printf %s "$n" | $bb cut -c1-2)
	o=$(hexof "$V/BootOrder-$G")
	case $num:$o in
	Boot????:07000000${lo}3412*) ok "BootOrder is $num, then Boot1234 and the rest as they were ($o)" ;;
	*) bad "BootOrder $o after install of $num" ;;
	esac
	[ "$(hexof "$V/Boot1234-$G")" = "07000000$(hexof /tmp/other)" ] && ok "the other OS's Boot1234 is untouched" ||
		bad "Boot1234 changed"
	hexof "$V/$num-$G" >/tmp/entry
	say "entry $num $($bb cat /tmp/entry)"

	# Idempotent: a second install changes nothing, disk or variables.
	d0=$(disksum)
	snap >/tmp/v0
	S --esp-path $esp install $A >/tmp/again 2>&1
	rc=$?
	d1=$(disksum)
	snap >/tmp/v1
	if [ $rc = 0 ] && $bb grep -q 'installed already: nothing to do' /tmp/again && [ "$d0" = "$d1" ] &&
		$bb cmp -s /tmp/v0 /tmp/v1; then
		ok "a second install changes nothing (the disk and every variable byte for byte)"
	else
		bad "a second install: rc=$rc $($bb tr '\n' ';' </tmp/again)"
	fi

	# status from inside: both slots verify, no boot yet, the entry first.
	S --esp-path $esp status >/tmp/status 2>&1
	$bb grep -q '^slot a: version 2, verifies, not booted yet' /tmp/status &&
		$bb grep -q '^slot b: version 1, verifies' /tmp/status &&
		$bb grep -q "^boot entry: $num, first in BootOrder" /tmp/status &&
		$bb grep -q '^Secure Boot: off' /tmp/status &&
		ok "status before the first boot: both slots verify, $num first, Secure Boot off" ||
		bad "status: $($bb tr '\n' ';' </tmp/status)"
	# A slot tampered on the ESP shows as refused, with the loader's reason.
	$bb cp $esp/spine/b/cmdline /tmp/cmdline.b && echo "console=ttyS0 x" >$esp/spine/b/cmdline
	S --esp-path $esp status >/tmp/status 2>&1
	$bb grep -q '^slot b: version 1, refused: cmdline: hash mismatch' /tmp/status &&
		ok "status shows a slot tampered on the ESP as refused, with the loader's reason" ||
		bad "status after tampering: $($bb tr '\n' ';' </tmp/status)"
	$bb cp /tmp/cmdline.b $esp/spine/b/cmdline

	# remove right after install, in the same boot: every file and every
	# variable as before install, byte for byte.
	S --esp-path $esp remove >/tmp/remove 2>&1
	rc=$?
	snap >/tmp/after
	if [ $rc = 0 ] && $bb cmp -s /tmp/before /tmp/after; then
		ok "remove right after install gives back every file of the ESP and every variable byte for byte ($($bb grep -c . /tmp/remove) actions)"
	else
		bad "remove right after install: rc=$rc $($bb diff /tmp/before /tmp/after | $bb tr '\n' ';')"
	fi
	# And installed again, for the boot from the disk.
	S --esp-path $esp install $A >/tmp/install2 2>&1 &&
		$bb grep -q "^set $num " /tmp/install2 && ok "installed again, as $num" ||
		bad "install again: $($bb tr '\n' ';' </tmp/install2)"
	$bb cp /tmp/keep $esp/before.keep
elif [ "$phase" = status ]; then
	S --esp-path $esp status --json >/tmp/status.json 2>&1
	say "status $($bb cat /tmp/status.json)"
	S --esp-path $esp status >/tmp/status 2>&1
	while read -r l; do say "status: $l"; done </tmp/status
	say "BootOrder $(hexof "$V/BootOrder-$G")"
	say "Boot1234 $(hexof "$V/Boot1234-$G")"
	[ -f $esp/EFI/debian/grubx64.efi ] && $bb cmp -s $esp/EFI/debian/grubx64.efi $esp/EFI/BOOT/BOOTX64.EFI &&
		say "other loader present"
	# Then the fallback path taken, and our entry lost the way firmware
	# loses entries: gone from the store and from BootOrder.
	S --esp-path $esp install --slot-a /slots/a --take-fallback >/tmp/take 2>&1 ||
		bad "install --take-fallback: $($bb tr '\n' ';' </tmp/take)"
	num=$($bb sed -n 's/.*boot entry: \(Boot[0-9A-F]\{4\}\).*/\1/p' /tmp/status)
	o=$(hexof "$V/BootOrder-$G")
	$bb printf '07000000%s' "${o#07000000????}" | $bb xxd -r -p >/tmp/order
	$bb cat /tmp/order >"$V/BootOrder-$G" && $bb rm -f "$V/$num-$G" &&
		say "dropped $num, BootOrder $(hexof "$V/BootOrder-$G")"
elif [ "$phase" = remove ]; then
	# What the install phase kept of the machine before install.
	$bb mv $esp/before.keep /tmp/before
	$bb cp $esp/EFI/debian/grubx64.efi /tmp/grub
	S --esp-path $esp install --slot-a /slots/a --take-fallback >/tmp/take 2>&1
	$bb grep -q '^set Boot[0-9A-F]\{4\} ' /tmp/take && $bb grep -q '^set BootOrder' /tmp/take &&
		! $bb grep -q '^write\|^delete' /tmp/take &&
		ok "install after the firmware lost the entry writes back the entry and BootOrder, no file" ||
		bad "install after the entry was lost: $($bb tr '\n' ';' </tmp/take)"
	# BootOrder now (ours first) without ours: what remove must leave.
	o=$(hexof "$V/BootOrder-$G")
	want=07000000${o#07000000????}
	$bb cmp -s /usr/lib/spine/spineboot.efi $esp/EFI/BOOT/BOOTX64.EFI && $bb cmp -s /tmp/grub $esp/EFI/spine/BOOTX64.orig &&
		ok "--take-fallback writes our loader to BOOTX64.EFI and keeps the previous one" ||
		bad "--take-fallback: $($bb tr '\n' ';' </tmp/take)"
	d0=$(disksum)
	S --esp-path $esp --dry-run remove >/tmp/dryrm 2>&1
	[ "$d0" = "$(disksum)" ] && $bb grep -q '^would delete Boot' /tmp/dryrm &&
		ok "remove --dry-run prints its actions and leaves the disk byte for byte unchanged" ||
		bad "remove --dry-run: $($bb tr '\n' ';' </tmp/dryrm)"
	S --esp-path $esp remove >/tmp/remove 2>&1 || bad "remove: $($bb tr '\n' ';' </tmp/remove)"
	# No Boot#### of ours left: any entry naming "Alpine Spine" in UTF-16.
	for f in $V/Boot[0-9A-F][0-9A-F][0-9A-F][0-9A-F]-$G; do
		$bb xxd -p "$f" | $bb tr -d '\n' | $bb grep -q "$($bb printf 'Alpine Spine' | $bb xxd -p | $bb sed 's/\(..\)/\100/g')" &&
			echo "Alpine Spine $f"
	done >/tmp/remove.entries
	keep >/tmp/after
	states=$($bb ls $V | $bb grep -c '^SpineSlot')
	got=$(hexof "$V/BootOrder-$G")
	if $bb cmp -s /tmp/before /tmp/after && [ ! -e $esp/spine ] && [ ! -e $esp/EFI/spine ] &&
		! $bb grep -q 'Alpine Spine' /tmp/remove.entries && [ "$states" = 0 ] && [ "$got" = "$want" ]; then
		ok "after a boot and --take-fallback, remove gives back the ESP (the other OS's loader at BOOTX64.EFI) and Boot1234 as before install, BootOrder $got without ours; no entry or slot state of ours left"
	else
		bad "remove (BootOrder $got, want $want; $states slot states left): $($bb diff /tmp/before /tmp/after | $bb tr '\n' ';') $($bb tr '\n' ';' </tmp/remove)"
	fi
fi
$bb umount $esp /mnt/lin /mnt/small
$bb sync
say "done"
$bb poweroff -f
