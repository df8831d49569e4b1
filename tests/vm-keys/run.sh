#!/usr/bin/env bash
# check-vm-keys: the operator's own keys enrolled under OVMF's Secure Boot
# firmware (SMM on, a fresh VARS: setup mode, swtpm for the event log), from
# an admin environment (tests/vm-keys/rcS: busybox, bash, spine-keys and the
# tools it uses; not the Spine):
#
#  1. admin env, setup mode: status says so; enroll refused (--no-pin with
#     the ROM below, a loader our db does not sign, a DER db.crt), every
#     variable and key file unchanged; enroll writes db, KEK, PK, reads each
#     back and sees SetupMode=0; the same db.auth again is refused by the
#     firmware (its timestamp); status then lists our PK, KEK, db;
#  2. reset into the ESP: spineboot signed by our db (spine-keys sign) boots
#     slot A, whose initrd is the admin env again: SecureBoot=1, user mode,
#     the loader signed by db[0], and enroll now refuses (not in setup mode);
#  3. the same spineboot unsigned, and signed by a key not in db, are refused
#     by the firmware.
# Boots 1 and 2 have a NIC with iPXE's EFI option ROM: enroll pins its
# digest in db, and the ROM is in the event log of the Secure Boot boot.
#
#  4. slot-key rotation inside the VM (docs/keys.md, "Testing hooks"): five
#     chained boots of a read-write ESP whose slots are the admin env, the
#     keys folder on a second disk; begin, resign, finish each cut (QEMU
#     killed) after an ESP write, revoke cut at a random moment; every boot
#     after a cut boots slot A under Secure Boot, runs the cut step again and
#     prints PCR 4, 7, 12; then the new loader refuses an old-key slot and the
#     firmware refuses the old loader put back.
#
# Usage: tests/vm-keys/run.sh KERNEL_DIR LOADER SLOT_SEC SLOT_PUB WORKDIR
#            BOTH.efi NEW.efi NEW.pub NEW.sec
#   (SPINE_SBVAR, SPINE_TCGLOG, SPINE_LOADER_KEYS: the helpers, host builds)
# Every VM run holds /tmp/spine-vm.lock.
set -u
kdir=$1 loader=$2 sec=$3 pub=$4 w=$5 both=$6 newefi=$7 newpub=$8 newsec=$9
rc=0
pass() { echo "PASS: vm-keys $*"; }
fail() {
	echo "FAIL: vm-keys $*"
	rc=1
}
for t in qemu-system-x86_64 swtpm busybox sbsign cert-to-efi-sig-list; do
	command -v "$t" >/dev/null || {
		echo "SKIP: vm-keys (no $t)"
		exit 0
	}
done
[ -f /usr/share/OVMF/OVMF_CODE_4M.secboot.fd ] || {
	echo "SKIP: vm-keys (no OVMF_CODE_4M.secboot.fd)"
	exit 0
}
rm -rf "$w"
mkdir -p "$w"
K=keys/spine-keys

# Keys, and the loader signed three ways.
if ! "$K" create -n "$w/keys" >"$w/create.log" 2>&1 || ! "$K" create -n "$w/other" >>"$w/create.log" 2>&1 ||
	! "$K" sign -d "$w/keys" -k "$pub" "$loader" "$w/signed.efi" >>"$w/create.log" 2>&1 ||
	! "$K" sign -d "$w/other" -k "$pub" "$loader" "$w/foreign.efi" >>"$w/create.log" 2>&1; then
	fail "making keys and signed loaders: $(tail -n 2 "$w/create.log")"
	exit 1
fi

# The admin environment: every program spine-keys runs, with its libraries.
files=(-f tests/vm-keys/rcS:/etc/init.d/rcS -f "$(command -v busybox):/bin/busybox"
	-f "$K:/usr/bin/spine-keys" -f "$SPINE_SBVAR:/usr/bin/spine-sbvar"
	-f "$SPINE_TCGLOG:/usr/bin/spine-tcglog" -f "$SPINE_LOADER_KEYS:/usr/bin/spine-loader-keys"
	-f "$w/signed.efi:/signed.efi" -f "$w/foreign.efi:/foreign.efi" -f "$(readlink -f /usr/lib/ssl/openssl.cnf):/usr/lib/ssl/openssl.cnf")
declare -A seen=()
add_bins() { # PROGRAM...: each, with the libraries ldd names, into files
	local b p lib
	for b in "$@"; do
		p=$(command -v "$b")
		files+=(-f "$p:/usr/bin/$b")
		for lib in $(ldd "$p" | grep -oE '/[^ ]+\.so[^ ]*'); do
			[ -n "${seen[$lib]:-}" ] && continue
			seen[$lib]=1
			files+=(-f "$(readlink -f "$lib"):$lib")
		done
	done
}
add_bins bash openssl sign-efi-sig-list cert-to-efi-sig-list hash-to-efi-sig-list sbverify
for f in "$w"/keys/*; do
	files+=(-f "$f:/keys/$(basename "$f")")
done
admin_img() { # OUT [-f SRC:DST]...
	local out=$1
	shift
	image/mkinitrd.sh -o "$out" -i "$(command -v busybox)" -k "$kdir" -m efivarfs "${files[@]}" "$@" \
		>"$w/mkinitrd.log" 2>&1 || {
		fail "building the admin initrd: $(tail -n 2 "$w/mkinitrd.log")"
		exit 1
	}
}
admin_img "$w/admin.img"

# A NIC with iPXE's EFI option ROM on boots 1 and 2 (the brick guard): the
# firmware runs the ROM and logs it as EV_EFI_BOOT_SERVICES_DRIVER. The
# network is QEMU's user mode with restrict=on: nothing leaves the VM.
rom_file=/usr/lib/ipxe/qemu/efi-e1000.rom
nic=()
[ ! -f "$rom_file" ] ||
	nic=(-- -netdev "user,id=n0,restrict=on" -device "e1000,netdev=n0,romfile=$rom_file")

vm() { # LOG ARGS...: one VM under the lock
	local log=$1
	shift
	flock /tmp/spine-vm.lock ovmf/run.sh --secboot --tpm --log "$log" "$@" >/dev/null 2>&1
}
has() { grep -aqE "$2" "$1"; }
# fw_refuses NAME VARS ESP WHAT: one boot of ESP on a copy of VARS, whose
# firmware must refuse the loader (Access Denied) before spineboot prints.
fw_refuses() {
	local name=$1 esp=$3 what=$4
	cp "$2" "$w/vars-$name.fd"
	vm "$w/$name.log" --vars "$w/vars-$name.fd" --esp "$esp" --max-boots 1 \
		--until 'Access Denied|Security Violation|spineboot:' --timeout 120
	if has "$w/$name.log" 'spineboot:'; then
		fail "$what: it ran (log $w/$name.log)"
	elif has "$w/$name.log" 'Access Denied|Security Violation'; then
		pass "the firmware refuses $what"
	else
		fail "no verdict on $what (log $w/$name.log)"
	fi
}
# same_vars NAME "REFUSED..." VARS VMARGS...: two boots, each from its own
# copy of VARS ("" : a fresh store): in one the admin env runs only its
# refusals (the names REFUSED), in the other nothing past the status prelude
# (rcS, spine-keys-mode); the VARS files they leave must be equal byte for
# byte: the refusals wrote nothing the firmware keeps.
same_vars() {
	local name=$1 want=$2 vars=$3 m n bad=''
	shift 3
	[[ " $* " == *" -- "* ]] || set -- "$@" --
	for m in refusals control; do
		rm -f "$w/vars-$name-$m.fd"
		[ -z "$vars" ] || cp "$vars" "$w/vars-$name-$m.fd"
		vm "$w/$name-$m.log" --vars "$w/vars-$name-$m.fd" "$@" -smbios "type=11,value=spine-keys-mode=$m"
		keys "$w/$name-$m.log" >"$w/$name-$m.keys"
		has "$w/$name-$m.keys" "^KEYS: mode $m\$" && has "$w/$name-$m.log" KEYS-DONE || bad="$bad $m boot unfinished or mode unseen;"
	done
	for n in $want; do
		unch "$w/$name-refusals.keys" "$n" || bad="$bad no refusal $n;"
	done
	! has "$w/$name-control.keys" '^KEYS: refused ' || bad="$bad the control boot ran refusals;"
	n=$(cmp -l "$w/vars-$name-refusals.fd" "$w/vars-$name-control.fd" 2>&1 | wc -l)
	[ "$n" = 0 ] || bad="$bad $n bytes differ;"
	if [ -z "$bad" ]; then
		pass "the refusals ($want) leave the VARS file equal, byte for byte, to a boot that did not try them"
	else
		fail "VARS after the refusals ($want):$bad (logs $w/$name-*.log)"
	fi
}
# unch KEYSFILE NAME: the admin env's "refused NAME" found every firmware
# variable and key folder file as before.
unch() { has "$1" "^KEYS: refused $2: [0-9]+ variables and files unchanged$"; }
# refusal BOOT NAME WHAT PATTERN: in BOOT's lines, the admin env's "refused
# NAME" printed PATTERN, its command exited non-zero (the rc= line just
# before), and it found every firmware variable and key file as before.
refusal() {
	local f=$w/$1.keys
	if has "$f" "$4" && grep -a -B1 "^KEYS: refused $2: " "$f" | head -n 1 | grep -aq '^KEYS: rc=[1-9]' &&
		unch "$f" "$2"; then
		pass "$3, and no firmware variable or key file changes"
	else
		fail "$3: $(grep -a -B3 "refused $2" "$f" | tr '\n' '|' | head -c 800)"
	fi
}
# plainlog LOG: the serial log without its time stamps, colours and CRs.
plainlog() { sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g; s/^\[ *[0-9.]+\] //' "$1" | tr -d '\r'; }
keys() { plainlog "$1" | grep -a '^KEYS: '; }

# 1. Setup mode: enroll from the admin environment (direct kernel boot; with
# Secure Boot off the firmware starts Debian's kernel).
vm "$w/enroll.log" --vars "$w/vars.fd" --kernel "$kdir/vmlinuz" --initrd "$w/admin.img" \
	--append "console=ttyS0 panic=-1 quiet keys.action=enroll keys.debug" --until 'KEYS-DONE' --timeout 240 \
	"${nic[@]}"
keys "$w/enroll.log" >"$w/enroll.keys"
if ! has "$w/enroll.log" KEYS-DONE; then
	fail "the admin environment did not finish (log $w/enroll.log)"
	exit 1
fi
# The status before enroll is the first block, up to its rc= line.
sed -n '/^KEYS: rc=[0-9]* spine-keys status/q;p' "$w/enroll.keys" >"$w/status-setup"
has "$w/status-setup" '^KEYS: SetupMode: 1$' && has "$w/status-setup" '^KEYS: SecureBoot: 0$' &&
	has "$w/status-setup" '^KEYS: PK: 0 entries$' && has "$w/status-setup" 'firmware would start it: yes, only because Secure Boot is off' &&
	pass "status in setup mode: SetupMode=1, SecureBoot=0, no PK" ||
	fail "status in setup mode: $(tr '\n' '|' <"$w/status-setup")"
if has "$w/enroll.keys" '^KEYS: rc=0 spine-keys enroll' &&
	has "$w/enroll.keys" '^KEYS: wrote db \([0-9]+ bytes\), read back equal' &&
	has "$w/enroll.keys" '^KEYS: wrote KEK' && has "$w/enroll.keys" '^KEYS: wrote PK' &&
	has "$w/enroll.keys" '^KEYS: enrolled: SetupMode=0' &&
	has "$w/enroll.keys" '^KEYS: enroll: variables and files changed$'; then
	pass "enroll writes db, KEK, PK through efivarfs, reads them back, leaves setup mode (and the refusals' comparison sees it)"
else
	fail "enroll: $(grep -A30 'spine-keys status' "$w/enroll.keys" | tr '\n' '|' | tail -c 1500)"
fi
sed -n '/^KEYS: rc=0 spine-keys enroll/,$p' "$w/enroll.keys" >"$w/status-after"
guid=$(cat "$w/keys/GUID")
has "$w/status-after" '^KEYS: SetupMode: 0$' && has "$w/status-after" "^KEYS:   PK\[0\] x509 owner $guid CN=Alpine Spine PK" &&
	has "$w/status-after" "^KEYS:   KEK\[0\] x509 owner $guid CN=Alpine Spine KEK" &&
	has "$w/status-after" '^KEYS:   signed by: db\[0\] CN=Alpine Spine db' &&
	pass "status after enroll: user mode, our PK, KEK, db, the loader signed by db[0]" ||
	fail "status after enroll: $(tr '\n' '|' <"$w/status-after")"
# The brick guard: the ROM the firmware ran is pinned in db by its digest.
rom=''
if [ ${#nic[@]} = 0 ]; then
	echo "SKIP: vm-keys Option ROM pinning (no $rom_file: Debian package ipxe-qemu)"
else
	rom=$(sed -n 's/^KEYS: 2 sha256:\([0-9a-f]\{64\}\)$/\1/p' "$w/status-setup" | head -n 1)
	if [ -z "$rom" ]; then
		fail "the NIC's option ROM is not in the event log of the setup-mode boot"
	elif has "$w/enroll.keys" "^KEYS: option ROM sha256 $rom: pinned in db$" &&
		has "$w/status-after" "^KEYS:   db\[1\] sha256 owner $guid $rom$"; then
		pass "enroll pins the NIC's option ROM (sha256 $rom) in db, and status lists it"
	else
		fail "the option ROM $rom is not pinned: $(grep -a 'option ROM\|db\[' "$w/enroll.keys" | tr '\n' '|')"
	fi
fi
# The refusals before the real enroll, and the same db update written
# again after it: each one line naming its reason.
[ -z "$rom" ] || refusal enroll nopin "enroll refuses --no-pin with the NIC's option ROM in the event log, naming it" \
	"^KEYS: spine-keys: the event log shows Option ROMs that would stop loading: sha256:$rom "
refusal enroll foreign "enroll refuses a loader the new db would not verify" \
	'^KEYS: spine-keys: /foreign.efi: not signed by /keys/db.crt'
refusal enroll der "enroll refuses a DER db certificate" '^KEYS: spine-keys: /tmp/der/db.crt: not a PEM certificate \(DER\?'
dbvar='^KEYS: spine-sbvar: /sys/firmware/efi/efivars/db-d719b2cb-3d3a-4596-a3bc-dad00e67656f: refused by the firmware: security violation'
refusal enroll replay "the firmware refuses the same signed db replacement written a second time (its timestamp is not later)" "$dbvar"
same_vars setup "$([ -z "$rom" ] || echo nopin) foreign der" "" --kernel "$kdir/vmlinuz" --initrd "$w/admin.img" \
	--append "console=ttyS0 panic=-1 quiet keys.action=enroll" --until 'KEYS-DONE' --timeout 240 "${nic[@]}"
cp "$w/vars.fd" "$w/vars-enrolled.fd"
# The noPK.auth and db.auth enroll made, for the next boot's admin env.
for f in noPK db; do
	plainlog "$w/enroll.log" |
		sed -n "/^KEYS-BLOB-BEGIN $f.auth\$/,/^KEYS-BLOB-END\$/p" | grep -v '^KEYS-BLOB' | base64 -d >"$w/$f.auth" &&
		[ -s "$w/$f.auth" ] || fail "enroll left no $f.auth"
done
admin_img "$w/admin2.img" -f "$w/noPK.auth:/noPK.auth" -f "$w/db.auth:/db.auth"

# 2. Reset into the ESP: the signed loader boots slot A (the admin env).
mkdir -p "$w/esp"
if ! image/mkslot.sh -o "$w/a" -k "$kdir/vmlinuz" -i "$w/admin2.img" -v 1 -s "$sec" -p "$pub" \
	-c "console=ttyS0 panic=-1 quiet keys.action=status" >"$w/mkslot.log" 2>&1 ||
	! image/mkesp.sh -o "$w/signed.img" -l "$w/signed.efi" -a "$w/a" >/dev/null ||
	! image/mkesp.sh -o "$w/unsigned.img" -l "$loader" -a "$w/a" >/dev/null ||
	! image/mkesp.sh -o "$w/foreign.img" -l "$w/foreign.efi" -a "$w/a" >/dev/null; then
	fail "building the slot and ESPs"
	exit 1
fi
vm "$w/user.log" --vars "$w/vars.fd" --esp "$w/signed.img" --until 'KEYS-DONE' --timeout 240 \
	"${nic[@]}"
keys "$w/user.log" >"$w/user.keys"
if [ -n "$rom" ]; then
	has "$w/user.keys" "^KEYS: 2 sha256:$rom$" &&
		pass "under Secure Boot with our db the pinned option ROM runs again (in the event log of the next boot)" ||
		fail "the pinned option ROM is not in the Secure Boot boot's event log"
fi
has "$w/user.log" 'spineboot: booting slot a version 1' && has "$w/user.log" KEYS-DONE &&
	pass "spineboot signed by our db boots slot A under Secure Boot" ||
	fail "signed spineboot: $(grep -a 'spineboot:\|Access Denied\|Violation' "$w/user.log" | tr '\n' '|') (log $w/user.log)"
kn=$(sed -n 2p "$pub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')
sed -n '/^KEYS: rc=[0-9]* spine-keys status/q;p' "$w/user.keys" >"$w/status-user"
has "$w/status-user" '^KEYS: SecureBoot: 1$' && has "$w/status-user" '^KEYS: SetupMode: 0$' &&
	has "$w/status-user" '^KEYS: mode: user$' && has "$w/status-user" '^KEYS:   firmware would start it: yes$' &&
	has "$w/status-user" "^KEYS:   trusts signify key number $kn" &&
	pass "status under Secure Boot: SecureBoot=1, user mode, the loader would start, its signify key" ||
	fail "status under Secure Boot: $(tr '\n' '|' <"$w/status-user" | head -c 1500)"
refusal user usermode "enroll on the enrolled machine refuses: not in setup mode" '^KEYS: spine-keys: not in setup mode \(SetupMode=0\)'
refusal user replay "at the next boot the firmware still refuses enroll's db update written again" "$dbvar"
sed -n '/^KEYS: rc=0 spine-sbvar write/,$p' "$w/user.keys" >"$w/status-nopk"
has "$w/status-nopk" '^KEYS: rc=0 spine-sbvar write' && has "$w/status-nopk" '^KEYS: SetupMode: 1$' &&
	has "$w/status-nopk" '^KEYS: PK: 0 entries$' && has "$w/status-nopk" '^KEYS: KEK: 1 entries$' &&
	pass "noPK.auth from enroll puts the firmware back in setup mode (PK gone, KEK kept)" ||
	fail "noPK.auth: $(tr '\n' '|' <"$w/status-nopk" | head -c 1500)"

same_vars user "usermode replay" "$w/vars-enrolled.fd" --esp "$w/signed.img" --until 'KEYS-DONE' --timeout 240

# 3. The firmware refuses the loader unsigned and signed by a foreign key.
fw_refuses unsigned "$w/vars-enrolled.fd" "$w/unsigned.img" "spineboot.efi unsigned (no signature)"
fw_refuses foreign "$w/vars-enrolled.fd" "$w/foreign.img" "spineboot.efi signed by a key not in db"
# Why the refusals' VARS file is compared with a control boot's, not with
# the store before the boot (docs/keys.md).
echo "vm-keys: the boot refusing the unsigned loader changed $(cmp -l "$w/vars-enrolled.fd" "$w/vars-unsigned.fd" | wc -l) bytes of the VARS file"

# 3b. --keep-db on OVMF's snakeoil store (PK, KEK, db: Debian's snakeoil
# certificate, whose private key Debian ships for tests): the loader signed
# with it boots; its noPK puts the machine in setup mode; enroll --keep-db;
# then the snakeoil-signed loader still boots under our PK, by the kept cert.
snake=/usr/share/ovmf/PkKek-1-snakeoil
if [ ! -f "$snake.key" ] || [ ! -f /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd ]; then
	echo "SKIP: vm-keys enroll --keep-db on a vendor's db (no $snake.key or OVMF_VARS_4M.snakeoil.fd: Debian package ovmf)"
else
	openssl pkey -in "$snake.key" -passin pass:snakeoil -out "$w/snake.key" 2>/dev/null &&
		sbsign --key "$w/snake.key" --cert "$snake.pem" --output "$w/snake.efi" "$loader" >/dev/null 2>&1 &&
		: >"$w/empty.esl" &&
		TZ=UTC sign-efi-sig-list -g "$(cat "$w/keys/GUID")" -t "$(date -u '+%Y-%m-%d %H:%M:%S')" \
			-k "$w/snake.key" -c "$snake.pem" PK "$w/empty.esl" "$w/snake-noPK.auth" >/dev/null 2>&1 &&
		admin_img "$w/admin-k.img" -f "$w/snake.efi:/snake.efi" -f "$w/snake-noPK.auth:/snake-noPK.auth" &&
		image/mkslot.sh -o "$w/k" -k "$kdir/vmlinuz" -i "$w/admin-k.img" -v 1 -s "$sec" -p "$pub" \
			-c "console=ttyS0 panic=-1 quiet keys.action=keepdb" >"$w/mkslot-k.log" 2>&1 &&
		image/mkesp.sh -o "$w/snake.img" -l "$w/snake.efi" -a "$w/k" >/dev/null || fail "building the snakeoil ESP"
	same_vars snake setupmode /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd --esp "$w/snake.img" --until 'KEYS-DONE' --timeout 240
	cp /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd "$w/vars-snake.fd"
	for b in k1 k2 k3; do
		vm "$w/$b.log" --vars "$w/vars-snake.fd" --esp "$w/snake.img" --until 'KEYS-DONE' --timeout 240
		keys "$w/$b.log" >"$w/$b.keys"
	done
	has "$w/k1.keys" '^KEYS: SecureBoot: 1$' && has "$w/k1.keys" '^KEYS:   PK\[0\] x509 owner .*SnakeOil' &&
		has "$w/k1.keys" '^KEYS: rc=0 spine-sbvar write' && has "$w/k2.keys" '^KEYS: SetupMode: 1$' &&
		pass "the snakeoil store boots the snakeoil-signed loader under Secure Boot, and its signed empty PK puts it in setup mode" ||
		fail "snakeoil store, boots 1-2: $(grep -a 'SecureBoot\|SetupMode\|PK\[\|rc=' "$w/k1.keys" "$w/k2.keys" | tr '\n' '|' | head -c 1200)"
	refusal k1 setupmode "on the snakeoil store (a vendor's PK, user mode) enroll refuses: not in setup mode" \
		'^KEYS: spine-keys: not in setup mode \(SetupMode=0\)'
	snakedb=$(grep -a '^KEYS:   db\[[0-9]*\] x509 owner .*SnakeOil' "$w/k2.keys" | head -n 1 | sed 's/^KEYS:   db\[[0-9]*\] //')
	sed -n '/^KEYS: rc=[0-9]* spine-keys enroll/,$p' "$w/k2.keys" >"$w/k2-after"
	if [ -n "$snakedb" ] && has "$w/k2.keys" '^KEYS: rc=0 spine-keys enroll -d /keys --loader /signed.efi --keep-db' &&
		has "$w/k2.keys" '^KEYS: keeping the [0-9]+ db entries already present' &&
		grep -aqF "] $snakedb" "$w/k2-after" && has "$w/k2-after" "x509 owner $guid CN=Alpine Spine db" &&
		has "$w/k2-after" "^KEYS:   PK\[0\] x509 owner $guid CN=Alpine Spine PK"; then
		pass "enroll --keep-db keeps the vendor's db certificate ($snakedb) beside ours, under our PK"
	else
		fail "enroll --keep-db: $(grep -a 'keep\|db\[\|PK\[\|rc=' "$w/k2.keys" | tr '\n' '|' | head -c 1500)"
	fi
	has "$w/k3.log" 'spineboot: booting slot a' && has "$w/k3.keys" '^KEYS: SecureBoot: 1$' &&
		has "$w/k3.keys" "^KEYS:   PK\[0\] x509 owner $guid CN=Alpine Spine PK" &&
		has "$w/k3.keys" '^KEYS:   signed by: db\[[0-9]+\] .*SnakeOil' &&
		pass "after enroll --keep-db the loader signed by the kept vendor certificate still boots under Secure Boot and our PK" ||
		fail "the kept vendor certificate: $(grep -a 'spineboot:\|Access Denied' "$w/k3.log" | tr '\n' '|') $(grep -a 'SecureBoot\|PK\[\|signed by' "$w/k3.keys" | tr '\n' '|')"
fi

# 4. Slot-key rotation inside the VM, on a read-write ESP, with the power
# cut (QEMU killed) in the middle of every step; each boot after a cut must
# boot a slot, from whatever the cut left, and runs the interrupted step again
# before the next one. The keys folder is on a second disk (serial
# "persist"), as an operator's USB stick; run.sh writes each boot's steps
# there (/kd/action, sourced by rcS).
R=$w/rk
cp -a "$w/keys" "$R" && cp "$pub" "$R/slot.pub"
mkdir -p "$w/esp-old/EFI/BOOT"
cp "$w/signed.efi" "$w/esp-old/EFI/BOOT/BOOTX64.EFI"
add_bins sbsign sbattach signify-openbsd
admin_img "$w/admin3.img" -m virtio_pci -m virtio_blk -m vfat -m nls_cp437 -m nls_ascii \
	-f "$w/signed.efi:/old.efi" -f "$both:/both.efi" -f "$newefi:/new.efi" \
	-f "$newpub:/new.pub" -f "$newsec:/new.sec" \
	-f "$w/esp-old/EFI/BOOT/BOOTX64.EFI:/esp-old/EFI/BOOT/BOOTX64.EFI"
for s in a b; do
	image/mkslot.sh -o "$w/rot-$s" -k "$kdir/vmlinuz" -i "$w/admin3.img" -v 1 -s "$sec" -p "$pub" \
		-c "console=ttyS0 panic=-1 quiet keys.action=rotate" >"$w/mkslot-rot.log" 2>&1 || fail "the rotation's slot $s"
done
cp -a "$w/rot-a" "$w/a-oldkey"
image/mkesp.sh -o "$w/rot.img" -l "$w/signed.efi" -a "$w/rot-a" -b "$w/rot-b" >/dev/null || fail "the rotation's ESP"
rm -f "$w/kd.img"
mkfs.fat -C -n SPINE-KEYS "$w/kd.img" 8192 >/dev/null && mcopy -s -i "$w/kd.img" "$R" ::keys ||
	fail "the keys disk"
cp "$w/vars-enrolled.fd" "$w/vars-rot.fd"
seed=${VMKEYS_SEED:-$RANDOM}
RANDOM=$seed
echo "vm-keys: random cuts from VMKEYS_SEED=$seed"
oldn=$(sed -n 2p "$pub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')
newn=$(sed -n 2p "$newpub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')
# chain NAME STEPS...: one boot of the rotation ESP running STEPS (lines of
# /kd/action); the power is cut at KEYS-CUT-NOW, or at a random moment up to
# GO_WINDOW (default 5) s after KEYS-GO (revoke takes about 4.5 s there), else
# the VM ends at KEYS-DONE. CHAIN_NIC=1: with the option ROM's NIC.
chain() {
	local name=$1 cut=()
	shift
	printf '%s\n' "$@" >"$w/action"
	mcopy -o -i "$w/kd.img" "$w/action" ::action || fail "$name: writing its steps"
	case "$*" in
	*cutstep*) cut=(--cut-on '^KEYS-CUT-NOW') ;;
	*gostep*) cut=(--cut-on "^KEYS-GO" --cut-after "$((RANDOM % ${GO_WINDOW:-5})).$((RANDOM % 10))") ;;
	esac
	echo "vm-keys: boot $name ${cut[*]}" >>"$w/cuts"
	vm "$w/$name.log" --vars "$w/vars-rot.fd" --esp-rw "$w/rot.img" --persist "$w/kd.img" \
		--until 'KEYS-DONE' --timeout 240 "${cut[@]}" ${CHAIN_NIC:+"${nic[@]}"}
	keys "$w/$name.log" >"$w/$name.keys"
	if has "$w/$name.log" 'spineboot: booting slot a version 1' && has "$w/$name.log" 'KEYS-BEGIN rotate'; then
		pass "rotation boot $name: the firmware and spineboot boot slot A from the ESP as the last cut left it"
	else
		fail "rotation boot $name: $(grep -a 'spineboot:\|Access Denied\|Violation' "$w/$name.log" | tr '\n' '|') (log $w/$name.log)"
	fi
	if [ ${#cut[@]} -gt 0 ] && ! grep -aq '^KEYS-CUT-NOW\|^KEYS-GO' <(plainlog "$w/$name.log"); then
		fail "rotation boot $name: the cut point was not reached: $(tail -n 5 "$w/$name.keys" | tr '\n' '|')"
	fi
}
pcr() { sed -n "s/^KEYS: PCR $2 //p" "$w/$1.keys"; }
trusts() { sed -n "s|^KEYS: loader $2 trusts ||p" "$w/$1.keys" | sed 's/ *$//'; }
ran() { has "$w/$1.keys" "^KEYS: rc=0 spine-keys $2"; }
D='"$D"'
chain r1 "cutstep 1 rotate-slot-key begin -d $D -p /new.pub -l /both.efi"
chain r2 "step rotate-slot-key begin -d $D -p /new.pub -l /both.efi" \
	"cutstep 1 rotate-slot-key resign -d $D -s /new.sec"
chain r3 "step rotate-slot-key resign -d $D -s /new.sec" \
	"cutstep 2 rotate-slot-key finish -d $D -l /new.efi"
chain r4 "step rotate-slot-key finish -d $D -l /new.efi" "refused_revoke" "gostep revoke -d $D"
GO_WINDOW=8 chain r5 "step revoke -d $D" "step status --loader /old.efi" "step status --loader /esp/EFI/BOOT/BOOTX64.EFI" \
	"cp /esp/EFI/BOOT/BOOTX64.EFI /kd/old-db.efi && sync" "gostep rotate-db begin -d $D"
# (r5's window: rotate-db begin took about 8 s there, its key made by openssl)
cp "$w/vars-rot.fd" "$w/vars-revoked.fd"
# The db key rotation on the same machine (its checks follow the slot key's).
chain r6 "step rotate-db begin -d $D" "cutstep 1 rotate-db resign -d $D"
GO_WINDOW=${ROTDB_GO_WINDOW:-5} chain r7 "step rotate-db resign -d $D" "gostep rotate-db finish -d $D"
CHAIN_NIC=1 chain r8 "step rotate-db finish -d $D" "tcglog" "step status --loader /esp/EFI/BOOT/BOOTX64.EFI"
[ "$(trusts r1 EFI/spine/spineboot.efi)" = "$oldn" ] && [ "$(trusts r1 EFI/BOOT/BOOTX64.EFI)" = "$oldn" ] &&
	has "$w/r1.keys" '^KEYS: cut after ESP write 1 of spine-keys rotate-slot-key begin' ||
	fail "before the rotation both loaders trust the old key alone: $(grep -a 'trusts\|cut after' "$w/r1.keys" | tr '\n' '|')"
[ "$(trusts r2 EFI/spine/spineboot.efi)" = "$oldn $newn" ] && [ "$(trusts r2 EFI/BOOT/BOOTX64.EFI)" = "$oldn" ] &&
	pass "a cut in begin after its first ESP write: spineboot.efi trusts both keys, BOOTX64.EFI is the old loader, and slot A boots" ||
	fail "after the cut in begin: $(grep -a trusts "$w/r2.keys" | tr '\n' '|')"
ran r2 'rotate-slot-key begin' && has "$w/r2.keys" '^KEYS: /esp/EFI/spine/spineboot.efi: already this loader' &&
	has "$w/r2.keys" '^KEYS: wrote /esp/EFI/BOOT/BOOTX64.EFI' &&
	pass "begin run again after the cut completes it (spineboot.efi left alone, BOOTX64.EFI written)" ||
	fail "begin after the cut: $(grep -a -B12 'rc=[0-9]* spine-keys rotate-slot-key begin' "$w/r2.keys" | tr '\n' '|')"
[ "$(trusts r3 EFI/spine/spineboot.efi)" = "$oldn $newn" ] && [ "$(trusts r3 EFI/BOOT/BOOTX64.EFI)" = "$oldn $newn" ] &&
	ran r3 'rotate-slot-key resign' && has "$w/r3.keys" "^KEYS: slot a: already signed with key $newn" &&
	has "$w/r3.keys" '^KEYS: wrote /esp/spine/b/SHA512.sig' &&
	pass "a cut in resign after slot A's new SHA512.sig: slot A (new key) boots under the loader trusting both, and the rerun re-signs slot B only" ||
	fail "after the cut in resign: $(grep -a 'trusts\|slot [ab]\|SHA512.sig\|rc=' "$w/r3.keys" | tr '\n' '|')"
[ "$(trusts r4 EFI/spine/spineboot.efi)" = "$newn" ] && [ "$(trusts r4 EFI/BOOT/BOOTX64.EFI)" = "$newn" ] &&
	ran r4 'rotate-slot-key finish' && [ "$(grep -ac 'already this loader' "$w/r4.keys")" = 2 ] &&
	has "$w/r4.keys" '^KEYS: finish done' &&
	pass "a cut in finish after both loaders are written: the new-key-only loader boots slot A, and the rerun completes the folder's update" ||
	fail "after the cut in finish: $(grep -a 'trusts\|already\|finish\|rc=' "$w/r4.keys" | tr '\n' '|')"
refusal r4 oldesp "revoke refuses while BOOTX64.EFI is the old loader" \
	'^KEYS: spine-keys: /esp-old/EFI/BOOT/BOOTX64.EFI: is a binary this revocation hits'
sed -n '/^KEYS: loader EFI\/BOOT/,/^KEYS: rc=[0-9]* spine-keys revoke/p' "$w/r5.keys" >"$w/revoke.keys"
if has "$w/r5.keys" '^KEYS: rc=0 spine-keys revoke' &&
	{ has "$w/revoke.keys" '^KEYS: revoked 2 loader\(s\) in dbx \([0-9]+ bytes appended\), read back' ||
		[ "$(grep -ac '^KEYS: already in dbx: ' "$w/revoke.keys")" = 2 ]; } &&
	has "$w/r5.keys" '^KEYS:   firmware would start it: no \(revoked in dbx\)' &&
	has "$w/r5.keys" '^KEYS:   firmware would start it: yes$'; then
	pass "revoke cut at a random moment, run again: both old loaders' hashes in dbx (0x67 append), the old loader revoked, the installed one not"
else
	fail "revoke after the cut: $(tr '\n' '|' <"$w/r5.keys" | head -c 1500)"
fi
# PCRs as the firmware and spineboot measured them at each boot.
p7=$(pcr r1 7)
if [ -z "$p7" ] || [ "$p7" = none ]; then
	fail "no PCR 7 in the rotation boots (TPM sysfs pcr-sha256)"
else
	[ "$(pcr r2 7)" = "$p7" ] && [ "$(pcr r3 7)" = "$p7" ] && [ "$(pcr r4 7)" = "$p7" ] &&
		pass "PCR 7 is the same at every boot of the slot-key rotation ($p7)" ||
		fail "PCR 7 during the rotation: $(pcr r1 7) $(pcr r2 7) $(pcr r3 7) $(pcr r4 7)"
	# The dbx write landed before r4's cut (r5 finds the hashes there) or
	# in r5; either way the next boot is the first to measure the new dbx.
	first=r6
	[ "$(grep -ac '^KEYS: already in dbx: ' "$w/revoke.keys")" != 2 ] || first=r5
	[ "$(pcr $first 7)" != "$p7" ] && pass "PCR 7 changes at the first boot after revoke's dbx write ($first)" ||
		fail "PCR 7 at $first, after revoke's dbx write, is unchanged"
	[ "$(pcr r2 4)" = "$(pcr r1 4)" ] && [ "$(pcr r3 4)" != "$(pcr r2 4)" ] && [ "$(pcr r4 4)" != "$(pcr r3 4)" ] &&
		[ "$(pcr r5 4)" = "$(pcr r4 4)" ] &&
		pass "PCR 4 follows the loader the firmware starts: old, old (cut in begin), both keys, new key only, new" ||
		fail "PCR 4 during the rotation: $(for b in r1 r2 r3 r4 r5; do printf '%s ' "$(pcr $b 4 | head -c 12)"; done)"
	[ "$(pcr r2 12)" = "$(pcr r1 12)" ] && [ "$(pcr r3 12)" != "$(pcr r2 12)" ] && [ "$(pcr r4 12)" = "$(pcr r3 12)" ] &&
		pass "PCR 12 changes once, at the first boot after slot A's SHA512.sig is re-signed" ||
		fail "PCR 12 during the rotation: $(for b in r1 r2 r3 r4 r5; do printf '%s ' "$(pcr $b 12 | head -c 12)"; done)"
fi
# The new-key-only loader from the rotated ESP: it refuses a slot still on
# the old key; and the old loader put back is refused by the firmware.
mcopy -n -i "$w/kd.img" ::old-db.efi "$w/new-signed.efi" &&
	image/mkesp.sh -o "$w/rot-oldslot.img" -l "$w/new-signed.efi" -a "$w/a-oldkey" >/dev/null ||
	fail "the ESP with an old-key slot"
cp "$w/vars-revoked.fd" "$w/vars-r3.fd"
vm "$w/rot-oldslot.log" --vars "$w/vars-r3.fd" --esp "$w/rot-oldslot.img" --max-boots 1 \
	--until 'spineboot: booting slot|no bootable slot|Access Denied|Security Violation' --timeout 120
has "$w/rot-oldslot.log" 'spineboot: slot a: refused: SHA512.sig: unknown key number' &&
	! has "$w/rot-oldslot.log" 'spineboot: booting slot' &&
	pass "rotation: the new-key-only loader refuses a slot signed with the old key (unknown key number)" ||
	fail "old-key slot: $(grep -a 'spineboot:' "$w/rot-oldslot.log" | tr '\n' '|') (log $w/rot-oldslot.log)"
fw_refuses rot-oldloader "$w/vars-revoked.fd" "$w/signed.img" "the old loader put back on the ESP after revoke"

# rotate-db (docs/keys.md, "Rotate the db key"), on from boot r5.
dbold=$(openssl x509 -in "$w/keys/db.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
ran r6 'rotate-db begin' && has "$w/r6.keys" "^KEYS: wrote /esp/EFI/spine/spineboot.efi" &&
	has "$w/r6.keys" '^KEYS: cut after ESP write 1 of spine-keys rotate-db resign' &&
	pass "rotate-db begin cut at a random moment, run again: it completes (db trusts the old and the new certificate)" ||
	fail "rotate-db begin after the cut: $(grep -a -A12 'KEYS-GO\|rotate-db' "$w/r6.keys" | tr '\n' '|' | head -c 1500)"
ran r7 'rotate-db resign' && has "$w/r7.keys" '^KEYS: /esp/EFI/spine/spineboot.efi: already signed by the new db certificate' &&
	has "$w/r7.keys" '^KEYS: wrote /esp/EFI/BOOT/BOOTX64.EFI' &&
	pass "a cut in rotate-db resign after its first loader: the old-signed BOOTX64.EFI still boots slot A (both certificates in db), and the rerun re-signs only it" ||
	fail "rotate-db resign after the cut: $(grep -a 'already\|wrote\|rc=' "$w/r7.keys" | tr '\n' '|')"
sed -n '/^KEYS: rc=[0-9]* spine-tcglog/,$p' "$w/r8.keys" >"$w/rotdb-status"
if ran r8 'rotate-db finish' && has "$w/rotdb-status" '^KEYS:   signed by: db\[[0-9]+\] CN=Alpine Spine db [0-9-]+ [0-9:]+$' &&
	has "$w/rotdb-status" '^KEYS:   firmware would start it: yes$' &&
	! grep -aqE "x509 owner $guid $dbold\$" "$w/rotdb-status" &&
	! grep -aqE "signed by: db\[[0-9]+\] $dbold\$" "$w/rotdb-status"; then
	pass "rotate-db finish cut at a random moment, run again: db holds the new certificate, not the old, and the re-signed loader would start"
else
	fail "rotate-db finish: $(grep -a 'rotate-db\|db\[\|signed by\|would start\|rc=' "$w/r8.keys" | tr '\n' '|' | head -c 1500)"
fi
if [ -n "$rom" ]; then
	has "$w/rotdb-status" "^KEYS:   db\[[0-9]+\] sha256 owner $guid $rom$" && has "$w/r8.keys" "^KEYS: 2 sha256:$rom$" &&
		pass "rotate-db keeps the pinned option ROM digest in db, and the ROM runs at the next boot (event log)" ||
		fail "the option ROM after rotate-db: $(grep -a "db\[\|$rom" "$w/r8.keys" | tr '\n' '|')"
fi
[ "$(pcr r7 7)" != "$(pcr r5 7)" ] && [ "$(pcr r8 7)" != "$(pcr r7 7)" ] && [ "$(pcr r8 4)" = "$(pcr r5 4)" ] &&
	[ "$(pcr r6 4)" = "$(pcr r5 4)" ] && [ "$(pcr r7 4)" = "$(pcr r5 4)" ] &&
	pass "rotate-db: PCR 7 changes after begin's db write and again when the new certificate authorises the loader; PCR 4 stays (same code)" ||
	fail "PCRs across rotate-db: 7: $(for b in r5 r6 r7 r8; do printf '%s ' "$(pcr $b 7 | head -c 12)"; done) 4: $(for b in r5 r6 r7 r8; do printf '%s ' "$(pcr $b 4 | head -c 12)"; done)"
# The loader as it was before rotate-db resign (signed by the old db key,
# not in dbx) put back on the ESP: the firmware refuses it.
fw_refuses rotdb-old "$w/vars-rot.fd" "$w/rot-oldslot.img" \
	"after rotate-db a loader signed by the old db key (not in dbx), put back on the ESP"
exit $rc
