#!/usr/bin/env bash
# tests/vm-tpm/run.sh SPINE_TPM: spine-tpm in a guest under OVMF with swtpm,
# booted twice on ONE swtpm state (ovmf/run.sh --tpm-state, fresh per test
# run): first behind tpm-tis, then behind tpm-crb (two boots of the kernel
# straight from OVMF, about 15 s each; run under flock /tmp/spine-vm.lock).
# The guest (tests/vm-tpm/guest.sh) is busybox plus spine-tpm and the
# shared libraries it needs: the placement docs/measure.md argues for; and,
# test-only, tpm2-tools with exactly the libraries ldd names for it.
# Checked on each boot: the real firmware log replays to the TPM's PCRs
# through /dev/tpmrm0; PCR 11 after "spine:personas" equals H(old || H(string))
# computed here with coreutils, in every bank swtpm allocates; an extend of
# PCR 0 behind the log's back makes the replay name PCR 0.
# Sealing (docs/measure.md, "Sealing a secret no persona can unseal"): a
# secret drawn here per run, sealed by the first boot to sha256 PCRs 7, 11
# (zero) and 12 as persistent object 0x81000011, unseals before the marker,
# not with the empty password, not after "spine:personas" (the TPM says the
# policy check failed), not after a PCR reset try and more extends; the
# second boot finds the object (does not seal again), and it unseals before
# the marker and not after.
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=$1
out=build/vm-tpm
mkdir -p "$out"
L=/lib/x86_64-linux-gnu
files=(-f tests/vm-tpm/guest.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox
	-f "$tool:/bin/spine-tpm" -f "$(readlink -f /lib64/ld-linux-x86-64.so.2):/lib64/ld-linux-x86-64.so.2")
libs=(libc.so.6 libtss2-sys.so.1 libtss2-mu.so.0 libtss2-tctildr.so.0 libtss2-tcti-device.so.0)
# tpm2-tools (Debian's tpm2-tools, test-only; never in the Spine): the
# multi-call /usr/bin/tpm2 and what ldd names, plus the TCTI that tctildr
# dlopens (already in libs).
tpm2=/usr/bin/tpm2
seal=0
if [ -x "$tpm2" ]; then
	seal=1
	files+=(-f "$tpm2:/bin/tpm2")
	while read -r l; do
		[ "$(dirname "$l")" = "$L" ] || {
			echo "FAIL: vm-tpm: ldd $tpm2 names $l, outside $L"
			exit 1
		}
		libs+=("$(basename "$l")")
	done < <(ldd "$tpm2" | awk '$2 == "=>" { print $3 }')
fi
declare -A seen=()
for l in "${libs[@]}"; do
	[ -z "${seen[$l]:-}" ] || continue
	seen[$l]=1
	files+=(-f "$(readlink -f "$L/$l"):$L/$l")
done
if ! image/mkinitrd.sh -o "$out/initrd.img" -i /bin/busybox -k build/kernel "${files[@]}" >"$out/mkinitrd.log" 2>&1; then
	echo "FAIL: vm-tpm: building the initrd ($(tail -n 1 "$out/mkinitrd.log"))"
	exit 1
fi

ext() { # bank oldhex string
	local d
	d=$(printf %s "$3" | "$1sum" | cut -d' ' -f1)
	printf %s "$2$d" | xxd -r -p | "$1sum" | cut -d' ' -f1 | tr a-f A-F
}

# One TPM for both boots; a new one (and a new secret) for every test run.
state=$out/tpm-state
rm -rf "$state"
secret=$(head -c 16 /dev/urandom | xxd -p)
[ $seal = 1 ] || echo "SKIP: vm-tpm sealing: no $tpm2 (Debian package tpm2-tools)"

# grade NAME WHAT STATUS: a PASS (STATUS 0) or FAIL line for one sealing check.
grade() {
	if [ "$3" = 0 ]; then
		echo "PASS: vm-tpm $1: $2"
	else
		echo "FAIL: vm-tpm $1: $2 [$(grep -a '^vmtpm: seal' <<<"$lines" | tr '\n' ';')]"
		rc=1
	fi
}
# urc, ucode, uout: the fields of "vmtpm: seal TAG rc=N tpm=CODE out=TEXT",
# all empty when the guest printed no such line.
useal() {
	urc='' ucode='' uout=''
	read -r urc ucode uout < <(sed -n "s/^vmtpm: seal $1 rc=\([0-9]*\) tpm=\([^ ]*\) out=\(.*\)$/\1 \2 \3/p" <<<"$lines")
}

rc=0
boot=0
for tpm in tpm tpm-crb; do
	boot=$((boot + 1))
	log=$out/$tpm.log
	ovmf/run.sh --kernel build/kernel/vmlinuz --initrd "$out/initrd.img" \
		--append "console=ttyS0 quiet panic=-1 vmtpm.secret=$secret" --"$tpm" \
		--tpm-state "$state" --log "$log" \
		--until '^vmtpm: done' --timeout 120 >"$out/$tpm.harness" 2>&1
	lines=$(sed -e 's/^\[[ 0-9.]*\] //' -e 's/\r$//' "$log" | grep -a '^vmtpm: ')
	name=${tpm/#tpm/tpm-tis}
	name=${name/tpm-tis-crb/tpm-crb}
	r1=$(sed -n 's/^vmtpm: replay rc=//p' <<<"$lines")
	if [[ $r1 == "0 "*"matches the PCRs in"* ]]; then
		echo "PASS: vm-tpm $name: the firmware log replays to the PCRs (${r1#0 spine-tpm: })"
	else
		echo "FAIL: vm-tpm $name: replay [$r1]; $(tail -n 1 "$out/$tpm.harness")"
		rc=1
	fi
	ok=1 banks=''
	while read -r _ _ bank pcr old; do
		want=$(ext "$bank" "$old" spine:personas)
		got=$(sed -n "s/^vmtpm: after $bank $pcr //p" <<<"$lines")
		[ "$got" = "$want" ] || ok=0
		banks="$banks $bank"
	done < <(grep '^vmtpm: before ' <<<"$lines")
	if [ $ok = 1 ] && [ -n "$banks" ]; then
		echo "PASS: vm-tpm $name: PCR 11 after spine:personas equals the host's value in every bank:$banks"
	else
		echo "FAIL: vm-tpm $name: PCR 11 after the extend [$(grep -c 'after' <<<"$lines") lines]"
		rc=1
	fi
	r2=$(sed -n 's/^vmtpm: replay2 rc=//p' <<<"$lines")
	if [[ $r2 == "3 "*"PCR 0 differs"* ]]; then
		echo "PASS: vm-tpm $name: an extend behind the log's back is named (${r2#3 spine-tpm: })"
	else
		echo "FAIL: vm-tpm $name: replay after the extra extend [$r2]"
		rc=1
	fi
	read -r t0 t1 < <(sed -n 's/^vmtpm: seconds //p' <<<"$lines")
	echo "vm-tpm: $name: replay + read + extend + read took $(awk -v a="${t0:-0}" -v b="${t1:-0}" 'BEGIN { printf "%.2f", b - a }') s in the guest"

	[ $seal = 1 ] || continue
	# The policy's premise: every boot starts with PCR 11 all zeros.
	zero=$(grep -a '^vmtpm: before ' <<<"$lines" | awk '$5 !~ /^0+$/ { bad = 1 } END { print (NR > 0 && !bad) ? 1 : 0 }')
	[ "$zero" = 1 ]
	grade "$name" "PCR 11 is all zeros before the marker, in every bank" $?
	if [ $boot = 1 ]; then
		grep -qx "vmtpm: seal created 0x81000011" <<<"$lines"
		grade "$name" "boot 1 sealed the secret to sha256 PCRs 7, 11, 12 as 0x81000011" $?
	else
		grep -qx "vmtpm: seal found 0x81000011" <<<"$lines" && ! grep -q "^vmtpm: seal created" <<<"$lines"
		grade "$name" "boot 2 found the object sealed on boot 1 (did not seal again)" $?
	fi
	useal before
	[ "${urc:-}" = 0 ] && [ "${uout:-}" = "$secret" ]
	grade "$name" "before the marker the policy session unseals the secret" $?
	useal password
	[ "${urc:-0}" != 0 ] && [ "${ucode:-}" = 0x12F ] && [ -z "${uout:-}" ]
	grade "$name" "the empty password unseals nothing (TPM: ${ucode:-none}, authValue not available)" $?
	useal after
	[ "${urc:-0}" != 0 ] && [ "${ucode:-}" = 0x99D ] && [ -z "${uout:-}" ]
	grade "$name" "after spine:personas the unseal fails (TPM: ${ucode:-none}, policy check failed)" $?
	prc=$(sed -n 's/^vmtpm: seal pcrreset rc=//p' <<<"$lines")
	more=$(sed -n 's/^vmtpm: seal extended \([0-9]*\) more$/\1/p' <<<"$lines")
	useal undo
	[ "${prc:-0}" != 0 ] && [ "${more:-0}" = 4 ] && [ "${urc:-0}" != 0 ] && [ "${ucode:-}" = 0x99D ] && [ -z "${uout:-}" ]
	grade "$name" "no undo from a persona's seat: PCR 11 reset refused, and after ${more:-0} more extends the unseal still fails (${ucode:-none})" $?
	read -r s0 s1 < <(sed -n 's/^vmtpm: seal seconds //p' <<<"$lines")
	echo "vm-tpm: $name: $(sed -n 's/^vmtpm: seal \(created\|found\) .*/\1/p' <<<"$lines") + unseal + password try took $(awk -v a="${s0:-0}" -v b="${s1:-0}" 'BEGIN { printf "%.2f", b - a }') s in the guest; $(tail -n 1 "$out/$tpm.harness")"
done
exit $rc
