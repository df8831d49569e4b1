#!/usr/bin/env bash
# tests/vm-tpm/run.sh SPINE_TPM: spine-tpm in a guest under OVMF with swtpm,
# once behind tpm-tis and once behind tpm-crb (two boots of the kernel
# straight from OVMF, about 10 s each; run under flock /tmp/spine-vm.lock).
# The guest (tests/vm-tpm/guest.sh) is busybox plus spine-tpm and the
# shared libraries it needs: the placement docs/measure.md argues for.
# Checked: the real firmware log replays to the TPM's PCRs through
# /dev/tpmrm0; PCR 11 after "spine:personas" equals H(old || H(string))
# computed here with coreutils, in every bank swtpm allocates; an extend of
# PCR 0 behind the log's back makes the replay name PCR 0.
set -u
cd "$(dirname "$0")/../.." || exit 1
tool=$1
out=build/vm-tpm
mkdir -p "$out"
L=/lib/x86_64-linux-gnu
files=(-f tests/vm-tpm/guest.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox
	-f "$tool:/bin/spine-tpm" -f "$(readlink -f /lib64/ld-linux-x86-64.so.2):/lib64/ld-linux-x86-64.so.2")
for l in libc.so.6 libtss2-sys.so.1 libtss2-mu.so.0 libtss2-tctildr.so.0 libtss2-tcti-device.so.0; do
	files+=(-f "$(readlink -f $L/$l):$L/$l")
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

rc=0
for tpm in tpm tpm-crb; do
	log=$out/$tpm.log
	ovmf/run.sh --kernel build/kernel/vmlinuz --initrd "$out/initrd.img" \
		--append "console=ttyS0 quiet panic=-1" --"$tpm" --log "$log" \
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
done
exit $rc
