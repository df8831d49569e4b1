# Sourced by tests/host/spine-keys.sh (its helpers and variables): the
# slot-key rotation and revoke on a fake ESP folder (SPINE_ESP) and the fake
# efivarfs tree. A "power cut" here is SPINE_KEYS_CUT_AFTER=N: spine-keys
# kills itself (SIGKILL) right after its Nth ESP write; what the disk does
# with the write cache is the VM test's part (tests/vm-keys).

R=$dir/r
esp=$dir/esp
export SPINE_ESP=$esp
knum() { sed -n 2p "$1" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n'; }
oldn=$(knum "$devpub") newn=$(knum "$newpub")
# The operator's folder, whose slot key is the one the loaders were built for.
rm -rf "$R"
"$K" create -n "$R" >/dev/null 2>&1 || fail "rotate: create"
cp "$devpub" "$R/slot.pub" && cp "$devsec" "$R/slot.sec"
"$K" sign -d "$R" "$loader" "$dir/old-signed.efi" >/dev/null 2>&1 || fail "rotate: signing the old loader"
"$K" create -n "$dir/third" >/dev/null 2>&1 || fail "rotate: a third key"
printf 'kernel' >"$dir/vmlinuz" && printf 'initrd' >"$dir/initrd.img"
mkesp_dir() { # the ESP as installed: the old loader, slots a and b on the old key
	rm -rf "$esp"
	mkdir -p "$esp/EFI/spine" "$esp/EFI/BOOT" "$esp/spine"
	cp "$dir/old-signed.efi" "$esp/EFI/spine/spineboot.efi"
	cp "$dir/old-signed.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
	for s in a b; do
		image/mkslot.sh -o "$esp/spine/$s" -k "$dir/vmlinuz" -i "$dir/initrd.img" -c "console=ttyS0" \
			-v 1 -s "$devsec" -p "$devpub" >/dev/null 2>&1 || fail "rotate: mkslot $s"
	done
}
# The key numbers loader L trusts, space-separated.
trusts() { "$SPINE_LOADER_KEYS" "$1" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//'; }
# Slot S verifies under the public key P.
slot_under() {
	local p
	p=$(readlink -f "$2")
	(cd "$esp/spine/$1" && signify-openbsd -C -p "$p" -x SHA512.sig >/dev/null 2>&1)
}
# Bootable: both loaders on the ESP are signed by our db and each trusts a
# key under which at least one slot verifies.
bootable() {
	local f k ok
	for f in EFI/spine/spineboot.efi EFI/BOOT/BOOTX64.EFI; do
		sbverify --cert "$R/db.crt" "$esp/$f" >/dev/null 2>&1 || return 1
		ok=0
		for k in $(trusts "$esp/$f"); do
			for s in a b; do
				{ [ "$k" = "$oldn" ] && slot_under $s "$devpub"; } && ok=1
				{ [ "$k" = "$newn" ] && slot_under $s "$newpub"; } && ok=1
			done
		done
		[ "$ok" = 1 ] || return 1
	done
}
rrefuses() { # NAME ERE ARGS...: exit 1, one line, nothing in DIR, ESP, efivarfs changed
	local watch=("$ev" "$R" "$esp")
	refuses "$@"
}
# A step killed after its first ESP write, then run again.
cut_then_rerun() { # NAME ARGS...
	local name=$1
	shift
	out=$(SPINE_KEYS_CUT_AFTER=1 "$K" "$@" 2>&1)
	st=$?
	if [ "$st" != 137 ]; then
		fail "$name: the cut run exited $st, not 137 (killed): $out"
		return
	fi
	# What a cut before the rename leaves: the next run removes it.
	echo junk >"$esp/EFI/BOOT/BOOTX64.EFI.spk-new"
	bootable && pass "$name: killed after its first ESP write, the ESP still boots a slot" ||
		fail "$name: killed after its first write, the ESP boots no slot"
	run "$@"
	if [ "$st" = 0 ] && [ ! -e "$esp/EFI/BOOT/BOOTX64.EFI.spk-new" ] && bootable; then
		pass "$name: run again after the cut, it completes"
	else
		fail "$name: the rerun: $st: $out"
	fi
}

mkesp_dir
fresh_vars 0 1
bootable && pass "rotate: the test ESP boots before rotation" || fail "rotate: the test ESP does not boot"
rrefuses "resign before begin" "^spine-keys: $R/rotate: at step 'none': resign comes after begin" \
	rotate-slot-key resign -d "$R" -s "$newsec"
rrefuses "finish before begin" "^spine-keys: $R/rotate: at step 'none': finish comes after resign" \
	rotate-slot-key finish -d "$R" -l "$newefi"
rrefuses "begin with a loader trusting only the new key" \
	"^spine-keys: $newefi: its built-in signify keys are not .*: refusing to install it" \
	rotate-slot-key begin -d "$R" -p "$newpub" -l "$newefi"
rrefuses "begin to the key already in use" "^spine-keys: .*: is the slot key already in .*: nothing to rotate" \
	rotate-slot-key begin -d "$R" -p "$devpub" -l "$both"
# A slot neither key verifies: the loader with both would refuse it.
cp -a "$esp/spine/b" "$dir/b.keep"
image/mkslot.sh -o "$esp/spine/b" -k "$dir/vmlinuz" -i "$dir/initrd.img" -c "console=ttyS0" \
	-v 1 -s "$dir/third/slot.sec" -p "$dir/third/slot.pub" >/dev/null 2>&1 || fail "rotate: a slot on a third key"
rrefuses "begin with a slot the new loader would not verify" \
	"^spine-keys: $esp/spine/b: does not verify under .*: the loader about to be installed would refuse it" \
	rotate-slot-key begin -d "$R" -p "$newpub" -l "$both"
rm -rf "$esp/spine/b" && mv "$dir/b.keep" "$esp/spine/b"
before=$(tree_sum "$ev" "$R" "$esp")
run rotate-slot-key begin -d "$R" -p "$newpub" -l "$both" --dry-run
[ "$st" = 0 ] && grep -q "^would write $esp/EFI/spine/spineboot.efi: [0-9]* bytes" <<<"$out" &&
	grep -q "^would write $esp/EFI/BOOT/BOOTX64.EFI: " <<<"$out" && grep -q '^dry run: nothing written' <<<"$out" &&
	[ "$before" = "$(tree_sum "$ev" "$R" "$esp")" ] &&
	pass "rotate begin --dry-run names both loader writes and writes nothing" || fail "begin --dry-run: $st: $out"

cut_then_rerun "rotate begin" rotate-slot-key begin -d "$R" -p "$newpub" -l "$both"
[ "$(trusts "$esp/EFI/spine/spineboot.efi")" = "$oldn $newn" ] &&
	[ "$(trusts "$esp/EFI/BOOT/BOOTX64.EFI")" = "$oldn $newn" ] &&
	[ "$(cat "$R/rotate/state")" = begun ] &&
	pass "after begin both loaders on the ESP trust the old and the new key" ||
	fail "after begin: $(trusts "$esp/EFI/BOOT/BOOTX64.EFI"), state $(cat "$R/rotate/state" 2>&1)"
rrefuses "finish before resign" "^spine-keys: $R/rotate: at step 'begun': finish comes after resign" \
	rotate-slot-key finish -d "$R" -l "$newefi"
rrefuses "resign with a secret key that is not the new key's" \
	"^spine-keys: $dir/third/slot.sec: is not the secret half of .*: refusing to re-sign" \
	rotate-slot-key resign -d "$R" -s "$dir/third/slot.sec"
before=$(tree_sum "$ev" "$R" "$esp")
run rotate-slot-key resign -d "$R" -s "$newsec" --dry-run
[ "$st" = 0 ] && grep -q "^would write $esp/spine/a/SHA512.sig: " <<<"$out" &&
	grep -q "^would write $esp/spine/b/SHA512.sig: " <<<"$out" && [ "$before" = "$(tree_sum "$ev" "$R" "$esp")" ] &&
	pass "rotate resign --dry-run names both slots' signatures and writes nothing" || fail "resign --dry-run: $st: $out"
cp "$esp/spine/b/SHA512.sig" "$dir/b-old.sig"
cut_then_rerun "rotate resign" rotate-slot-key resign -d "$R" -s "$newsec"
slot_under a "$newpub" && slot_under b "$newpub" && ! slot_under a "$devpub" && ! slot_under b "$devpub" &&
	pass "after resign both slots verify under the new key and not the old" || fail "after resign: slots"
# A slot put back on the old key: finish would strand it.
cp "$esp/spine/b/SHA512.sig" "$dir/b-new.sig" && cp "$dir/b-old.sig" "$esp/spine/b/SHA512.sig"
rrefuses "finish with a slot still on the old key" \
	"^spine-keys: $esp/spine/b: does not verify under the new key alone: the new loader would refuse it" \
	rotate-slot-key finish -d "$R" -l "$newefi"
cp "$dir/b-new.sig" "$esp/spine/b/SHA512.sig"
rrefuses "finish with a loader still trusting the old key" \
	"^spine-keys: $both: its built-in signify keys are not .*: refusing to install it" \
	rotate-slot-key finish -d "$R" -l "$both"
before=$(tree_sum "$ev" "$R" "$esp")
run rotate-slot-key finish -d "$R" -l "$newefi" --dry-run
[ "$st" = 0 ] && grep -q "^would write $esp/EFI/BOOT/BOOTX64.EFI: " <<<"$out" &&
	[ "$before" = "$(tree_sum "$ev" "$R" "$esp")" ] &&
	pass "rotate finish --dry-run writes nothing" || fail "finish --dry-run: $st: $out"
cut_then_rerun "rotate finish" rotate-slot-key finish -d "$R" -l "$newefi"
[ "$(trusts "$esp/EFI/spine/spineboot.efi")" = "$newn" ] && [ "$(trusts "$esp/EFI/BOOT/BOOTX64.EFI")" = "$newn" ] &&
	cmp -s "$R/slot.pub" "$newpub" && cmp -s "$R/slot-old-$oldn.pub" "$devpub" &&
	[ "$(cat "$R/rotate/state")" = finished ] && [ "$(wc -l <"$R/rotate/old-loaders")" = 2 ] &&
	pass "after finish the loaders trust only the new key, DIR's slot key is the new one, 2 old loaders remembered" ||
	fail "after finish: $(trusts "$esp/EFI/BOOT/BOOTX64.EFI"); state $(cat "$R/rotate/state"); $(wc -l <"$R/rotate/old-loaders") old"
run rotate-slot-key state -d "$R"
grep -q '^state: finished' <<<"$out" && grep -q "^slot key number $newn" <<<"$out" &&
	pass "rotate-slot-key state: finished, on the new key" || fail "state: $out"

# revoke: the two replaced loaders' hashes into dbx.
ah() { hash-to-efi-sig-list "$1" "$dir/h.esl" >/dev/null && "$SPINE_SBVAR" list "$dir/h.esl" | awk '{print $4}'; }
oldh=$(ah "$dir/old-signed.efi")
grep -qx "$oldh" "$R/rotate/old-loaders" && pass "revoke: the old loader's Authenticode hash was remembered" ||
	fail "revoke: the old loader's hash $oldh is not in $R/rotate/old-loaders"
fresh_vars 1 0
rrefuses "revoke in setup mode" "^spine-keys: in setup mode: there is no KEK" revoke -d "$R" --dry-run
fresh_vars 0 1
cp "$esp/EFI/BOOT/BOOTX64.EFI" "$dir/bootx64.keep"
cp "$dir/old-signed.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
rrefuses "revoke while BOOTX64.EFI is the old loader" \
	"^spine-keys: $esp/EFI/BOOT/BOOTX64.EFI: is a binary this revocation hits \(authenticode sha256 $oldh\)" \
	revoke -d "$R" --dry-run
cp "$dir/bootx64.keep" "$esp/EFI/BOOT/BOOTX64.EFI"
# Boot0003 (first in BootOrder after 0001, which is not on this ESP) names
# \EFI\OLD\OLD.EFI; the file is efi/old/old.efi (vfat is case-blind).
u16() { printf '%s' "$1" | sed 's/./&\n/g' | while IFS= read -r c; do [ -z "$c" ] || printf '%s\x00' "$c"; done; }
loadopt() { # PATH
	local fp
	fp=$( (u16 "$1" && printf '\x00\x00') | xxd -p | tr -d '\n')
	local n=$((${#fp} / 2 + 4))
	printf '\x07\x00\x00\x00\x01\x00\x00\x00'
	printf "\\x$(printf %02x $((n + 4)))\\x00"
	u16 "old" && printf '\x00\x00'
	printf "\\x04\\x04\\x$(printf %02x $n)\\x00" && xxd -r -p <<<"$fp"
	printf '\x7f\xff\x04\x00'
}
mkdir -p "$esp/efi/old"
cp "$dir/old-signed.efi" "$esp/efi/old/old.efi"
loadopt '\EFI\OLD\OLD.EFI' >"$ev/Boot0003-$G"
loadopt '\EFI\elsewhere\x.efi' >"$ev/Boot0001-$G"
printf '\x07\x00\x00\x00\x01\x00\x03\x00' >"$ev/BootOrder-$G"
p=$("$SPINE_SBVAR" bootpath "$ev/Boot0003-$G")
[ "$p" = /EFI/OLD/OLD.EFI ] && pass "spine-sbvar bootpath reads a Boot#### file path" || fail "bootpath: '$p'"
rrefuses "revoke while a Boot#### entry starts the old loader" \
	"^spine-keys: $esp/efi/old/old.efi: is a binary this revocation hits" revoke -d "$R" --dry-run
rm -rf "$esp/efi/old"
# bootpath on malformed load options: one line naming the file and the fault.
bp_bad() { # NAME ERE BYTES(printf)
	printf "$3" >"$dir/bp.var"
	local o
	o=$("$SPINE_SBVAR" bootpath "$dir/bp.var" 2>&1)
	[ $? = 2 ] && grep -qE "^spine-sbvar: $dir/bp.var: not a load option: $2" <<<"$o" &&
		pass "bootpath refuses $1" || fail "bootpath, $1: $o"
}
bp_bad "a path list running past the end" "device path longer than the option" \
	'\x07\0\0\0\x01\0\0\0\x40\0o\0\0\0\x7f\xff\x04\0'
bp_bad "a node shorter than its header" "device path node length out of bounds" \
	'\x07\0\0\0\x01\0\0\0\x04\0o\0\0\0\x04\x04\x02\0'
bp_bad "a description without its NUL" "description not NUL-terminated" '\x07\0\0\0\x01\0\0\0\x04\0o\0'
bp_bad "a path that is not ASCII" "a file path that is not printable ASCII" \
	'\x07\0\0\0\x01\0\0\0\x0c\0o\0\0\0\x04\x04\x08\0\xe9\0\0\0\x7f\xff\x04\0'
printf '\x07\x00\x00\x00\x01' >"$ev/Boot0002-$G"
printf '\x07\x00\x00\x00\x02\x00' >"$ev/BootOrder-$G"
rrefuses "revoke with a malformed Boot#### entry" "^spine-keys: $ev/Boot0002-$G: not a load option: shorter than its header" \
	revoke -d "$R" --dry-run
rm -f "$ev"/Boot*
before=$(tree_sum "$ev" "$R" "$esp")
run revoke -d "$R" --dry-run
[ "$st" = 0 ] && grep -q "^revoking authenticode sha256 $oldh" <<<"$out" &&
	[ "$(grep -c '^revoking authenticode sha256' <<<"$out")" = 2 ] &&
	grep -qE "^would write $ev/dbx-$S: [0-9]+ bytes \(attributes 0x00000067" <<<"$out" &&
	[ "$before" = "$(tree_sum "$ev" "$R" "$esp")" ] &&
	pass "revoke --dry-run: both old loaders, one dbx append (attributes 0x67), nothing written" ||
	fail "revoke --dry-run: $st: $out"
{ printf '\x27\x00\x00\x00' && "$SPINE_SBVAR" sha256 "$(cat "$R/GUID")" $(cat "$R/rotate/old-loaders"); } >"$ev/dbx-$S"
run revoke -d "$R" --dry-run
[ "$st" = 0 ] && grep -q '^nothing to revoke: every hash is in dbx already' <<<"$out" &&
	pass "revoke with both hashes already in dbx: nothing to do" || fail "revoke, already: $st: $out"
rm -f "$ev/dbx-$S"
