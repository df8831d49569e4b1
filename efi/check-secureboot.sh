#!/usr/bin/env bash
# Secure Boot smoke test of spineboot's LoadImage override (docs/boot.md,
# "Secure Boot"), on Debian's OVMF with its snakeoil PK/KEK/db enrolled:
#
#  1. the firmware enforces: an unsigned spineboot.efi is refused;
#  2. spineboot.efi signed with the snakeoil db key boots Debian's kernel,
#     which is signed by Debian and not by anything in that db: it loads only
#     because spineboot approves its own verified buffer.
#
# Usage: efi/check-secureboot.sh SPINEBOOT.efi KERNEL INITRD SECKEY PUBKEY DIR
set -u
efi=$1 kernel=$2 initrd=$3 sec=$4 pub=$5 dir=$6
ovmf=/usr/share/OVMF
snake=/usr/share/ovmf/PkKek-1-snakeoil
rc=0
pass() { echo "PASS: secureboot $*"; }
fail() { echo "FAIL: secureboot $*"; rc=1; }

rm -rf "$dir"
mkdir -p "$dir"
for f in "$ovmf/OVMF_CODE_4M.snakeoil.fd" "$ovmf/OVMF_VARS_4M.snakeoil.fd" "$snake.key" \
	"$snake.pem"; do
	[ -r "$f" ] || { fail "needs $f (Debian package ovmf)"; exit 1; }
done
# Debian ships the snakeoil key encrypted with the password "snakeoil".
openssl pkey -in "$snake.key" -passin pass:snakeoil -out "$dir/db.key" 2>/dev/null &&
	sbsign --key "$dir/db.key" --cert "$snake.pem" --output "$dir/signed.efi" "$efi" \
		>/dev/null 2>&1 || { fail "signing spineboot.efi with the snakeoil key"; exit 1; }
image/mkslot.sh -o "$dir/a" -k "$kernel" -i "$initrd" -v 1 -s "$sec" -p "$pub" \
	-c "console=ttyS0 panic=-1 testinit.action=poweroff" >/dev/null 2>&1 &&
	image/mkesp.sh -o "$dir/signed.img" -l "$dir/signed.efi" -a "$dir/a" >/dev/null &&
	image/mkesp.sh -o "$dir/unsigned.img" -l "$efi" -a "$dir/a" >/dev/null ||
	{ fail "building the ESPs"; exit 1; }

# Boots ESP $1 until its serial log matches ERE $2 or $3 seconds pass.
boot() {
	local esp=$1 until=$2 secs=$3 log=$dir/$(basename "$1" .img).log pid
	cp "$ovmf/OVMF_VARS_4M.snakeoil.fd" "$dir/vars.fd"
	: >"$log"
	qemu-system-x86_64 -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
		-m 1024 -nographic -no-reboot -nic none -monitor none -display none \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$ovmf/OVMF_CODE_4M.snakeoil.fd" \
		-drive if=pflash,format=raw,unit=1,file="$dir/vars.fd" \
		-drive if=none,id=esp,format=raw,readonly=on,file="$esp" \
		-device virtio-blk-pci,drive=esp -serial file:"$log" >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < secs; i++)); do
		grep -aqE "$until" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	tr -d '\r' <"$log"
}

out=$(boot "$dir/unsigned.img" 'Access Denied|Security Violation|spineboot:' 90)
if grep -aq 'spineboot:' <<<"$out"; then
	fail "an unsigned spineboot.efi ran: Secure Boot is not enforcing"
elif grep -aqE 'Access Denied|Security Violation' <<<"$out"; then
	pass "the firmware refuses an unsigned spineboot.efi"
else
	fail "no verdict on the unsigned spineboot.efi in 90 s (log $dir/unsigned.log)"
fi

out=$(boot "$dir/signed.img" 'testinit: action=|no bootable slot|kernel did not start' 150)
if grep -aq 'testinit: started' <<<"$out" &&
	grep -aqE 'EFI stub: UEFI Secure Boot is enabled|secureboot: Secure boot enabled' <<<"$out"; then
	pass "signed spineboot.efi boots the signify-verified, not db-signed kernel"
else
	fail "signed spineboot.efi under Secure Boot: $(grep -a 'spineboot:' <<<"$out" |
		tr '\n' ' ') (log $dir/signed.log)"
fi
exit $rc
