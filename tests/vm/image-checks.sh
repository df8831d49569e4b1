#!/usr/bin/env bash
# tests/vm/image-checks.sh: host checks of the image/ scripts (no VM).
#
# The slot a script signs must be accepted by signify-openbsd -C and by
# build/spine-verify -C inside the folder, and refused by both once a byte
# changes; the initramfs must be byte-for-byte reproducible and carry module
# dependencies in load order; the scripts must refuse what the loader would.
# One PASS/FAIL line per case; exit status 1 if any failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

B=${B:-build}
KERNEL_DIR=${KERNEL_DIR:-$B/kernel}
TESTINIT=${TESTINIT:-$B/tests/testinit}
INITRD=${INITRD:-$B/initrd/testinit.img}
SPINE_VERIFY=${SPINE_VERIFY:-$B/spine-verify}
SLOT_SEC=${SLOT_SEC:-keys/dev/spine-slot-DEVELOPMENT.sec}
SLOT_PUB=${SLOT_PUB:-keys/dev/spine-slot-DEVELOPMENT.pub}
pub=$(realpath "$SLOT_PUB")

w=$B/image-checks
rm -rf "$w"
mkdir -p "$w"
failed=0
pass() { echo "PASS: image: $1"; }
fail() {
	echo "FAIL: image: $1"
	failed=1
}

# Runs a checker inside a slot folder: signify's -C resolves names there.
sig_check() { (cd "$2" && signify-openbsd -C -p "$pub" -x SHA512.sig) >/dev/null 2>&1; }
sv=$(realpath -m "$SPINE_VERIFY")
sv_check() { (cd "$2" && "$sv" -C -p "$pub" -x SHA512.sig) >/dev/null 2>&1; }

slot=$w/slot
image/mkslot.sh -o "$slot" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c "console=ttyS0 x=1" -v 7 -t 2 \
	-s "$SLOT_SEC" -p "$SLOT_PUB"

# 1. The list is exactly four "SHA512 (name) = hex" lines in the documented order.
names=$(sed -n 's/^SHA512 (\(.*\)) = [0-9a-f]\{128\}$/\1/p' "$slot/SHA512.sig" | tr '\n' ' ')
if [ "$names" = "vmlinuz initrd.img cmdline slot.conf " ] &&
	[ "$(sed -n '3,$p' "$slot/SHA512.sig" | wc -l)" = 4 ] &&
	[ "$(cat "$slot/slot.conf")" = $'version=7\ntries=2' ] &&
	[ "$(cat "$slot/cmdline")" = "console=ttyS0 x=1" ]; then
	pass "mkslot writes the four files and a four-line signed list in order"
else
	fail "mkslot's list or files: names [$names]"
fi

# 2. Both verifiers accept the slot, and both refuse it with one byte changed.
for who in signify spine-verify; do
	chk=sig_check
	[ "$who" = signify ] || chk=sv_check
	if [ "$who" = spine-verify ] && [ ! -x "$SPINE_VERIFY" ]; then
		fail "spine-verify -C on a slot folder (no $SPINE_VERIFY)"
		continue
	fi
	if $chk "$who" "$slot"; then
		pass "$who -C accepts the slot mkslot made"
	else
		fail "$who -C refuses the slot mkslot made"
	fi
	bad=$w/bad-$who
	rm -rf "$bad" && cp -r "$slot" "$bad"
	printf 'X' | dd of="$bad/initrd.img" bs=1 seek=1000 conv=notrunc status=none
	if $chk "$who" "$bad"; then
		fail "$who -C accepts a slot with initrd.img changed"
	else
		pass "$who -C refuses a slot with one byte of initrd.img changed"
	fi
done

# 3. The initramfs is reproducible.
cp "$TESTINIT" "$w/init"
image/mkinitrd.sh -o "$w/i1.img" -i "$w/init" -k "$KERNEL_DIR" -m vfat -m efivarfs
sleep 1
touch "$w/init"
image/mkinitrd.sh -o "$w/i2.img" -i "$w/init" -k "$KERNEL_DIR" -m vfat -m efivarfs
if cmp -s "$w/i1.img" "$w/i2.img"; then
	pass "mkinitrd: same inputs, a second later and with a newer init mtime, same bytes"
else
	fail "mkinitrd output differs between two identical builds"
fi

# 4. Dependencies come along, and before the modules that need them.
list=$(zcat "$w/i1.img" | cpio -i --quiet --to-stdout "lib/modules/*/load.list" 2>/dev/null |
	sed 's|.*/||' | tr '\n' ' ')
if [ "$list" = "fat.ko vfat.ko efivarfs.ko " ]; then
	pass "mkinitrd: vfat pulls in fat, loaded first ($list)"
else
	fail "mkinitrd: load.list is [$list], want [fat.ko vfat.ko efivarfs.ko ]"
fi

# 5. What the scripts must refuse.
refuses() { # refuses WHAT COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "accepted: $what"
	else
		pass "refused: $what"
	fi
}
refuses "mkinitrd with a dynamically linked init" \
	image/mkinitrd.sh -o "$w/dyn.img" -i /bin/true -k "$KERNEL_DIR"
refuses "mkinitrd with a module that does not exist" \
	image/mkinitrd.sh -o "$w/nomod.img" -i "$TESTINIT" -k "$KERNEL_DIR" -m no_such_module
refuses "mkslot with version 01 (leading zero)" \
	image/mkslot.sh -o "$w/v" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c x -v 01
refuses "mkslot with tries=16" \
	image/mkslot.sh -o "$w/t" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c x -v 1 -t 16
refuses "mkslot with a two-line cmdline" \
	image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c $'a\nb' -v 1
refuses "mkslot with a '\"' in the cmdline" \
	image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c 'a="b c' -v 1
refuses "mkslot with spine.state= in the cmdline" \
	image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c 'x spine.state=0' -v 1
refuses "mkslot with a tab in the cmdline" \
	image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c $'a\tb' -v 1
long=$(head -c 2006 /dev/zero | tr '\0' x)
refuses "mkslot with a 2006-byte cmdline" \
	image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c "$long" -v 1
if image/mkslot.sh -o "$w/c" -k "$KERNEL_DIR/vmlinuz" -i "$INITRD" -c "${long:1}" -v 1 \
	>/dev/null 2>&1 && [ "$(wc -c <"$w/c/cmdline")" = 2006 ]; then
	pass "mkslot takes a 2005-byte cmdline (2047 bytes with the loader's marker)"
else
	fail "mkslot refuses a 2005-byte cmdline"
fi

# 6. The ESP holds the loader twice and each slot file byte for byte; -N
#    leaves out BOOTX64.EFI.
export MTOOLS_SKIP_CHECK=1
loader=$w/loader.efi
head -c 4096 /dev/urandom >"$loader"
image/mkesp.sh -o "$w/esp.img" -l "$loader" -a "$slot" -b "$slot"
image/mkesp.sh -o "$w/esp-n.img" -l "$loader" -a "$slot" -N
ok=1
for p in EFI/BOOT/BOOTX64.EFI EFI/spine/spineboot.efi; do
	mtype -i "$w/esp.img" "::/$p" | cmp -s - "$loader" || ok=0
done
for s in a b; do
	for f in vmlinuz initrd.img cmdline slot.conf SHA512.sig; do
		mtype -i "$w/esp.img" "::/spine/$s/$f" | cmp -s - "$slot/$f" || ok=0
	done
done
if [ "$ok" = 1 ]; then
	pass "mkesp: loader at both paths, both slots byte for byte"
else
	fail "mkesp: a file on the ESP differs from its source"
fi
if ! mdir -i "$w/esp-n.img" ::/EFI/BOOT/BOOTX64.EFI >/dev/null 2>&1 &&
	mtype -i "$w/esp-n.img" ::/EFI/spine/spineboot.efi | cmp -s - "$loader"; then
	pass "mkesp -N: no BOOTX64.EFI, loader still at \\EFI\\spine"
else
	fail "mkesp -N"
fi

# 7. The kernel is whatever linux-image-amd64 depends on today.
want=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' |
	head -n 1)
if [ -n "$want" ] && [ "$(cat "$KERNEL_DIR/version")" = "$want" ] &&
	[ -f "$KERNEL_DIR/lib/modules/$want/modules.dep" ]; then
	pass "fetch-kernel: build/kernel is $want, the current linux-image-amd64, with modules.dep"
else
	fail "fetch-kernel: build/kernel is $(cat "$KERNEL_DIR/version"), apt says [$want]"
fi

exit $failed
