#!/usr/bin/env bash
# tests/vm-spineupd/run.sh: Spine updates over the Umbilical, in the VM
# (docs/umbilical.md, "Spine updates"). Attacker: a persona that offers the
# Spine anything it likes; the person at bay0's console (this script,
# typing through QEMU's monitor) accepts the one good offer.
#
#   run.sh --kernel VMLINUZ --loader SPINEBOOT_EFI --slot-sec SEC --slot-pub PUB
#          --cmdline CMDLINE UPD_INITRD CUT_INITRD FAIL_INITRD
#
# The machine: a GPT disk whose one partition is an ESP (the loader, slot a
# version 2, slot b version 1), a /persist disk whose persona uoff has in its
# outbox: v3 (version 3, the same Spine), tampered (v3 with one byte of its
# initrd flipped), badsig (v3 signed by a key no loader trusts), old
# (version 1) and link (a symbolic link to v3).
#
# Run 1 (UPD_INITRD): uoff offers link, tampered, badsig and old, each
#   refused with its line, then v3; uimp, not named in spine.conf, offers
#   v3 and is refused. At v3's prompt the ESP must still be byte for byte as
#   built; then Y. After bay0's "reboot to boot it" the harness presses
#   ctrl-alt-del; the next boot must boot slot a version 3, and slot b must
#   hold version 2's files (checked on the disk with mtools).
# Run 2 (CUT_INITRD, whose bay0 stops spinectl after its 5th ESP write): v3
#   alone offered and accepted, the power cut (QEMU killed) at that point, slot a
#   then without its SHA512.sig; the next boot must boot a good slot (b,
#   now version 2).
# Runs 3 and 4 (UPD_INITRD, one boot each): v3 offered on a machine with two
#   ESPs (a second GPT disk with one), then on one whose ESP partition is
#   typed Linux data (the firmware still boots it; bay0 finds no ESP): bay0
#   refuses it, names why, and neither disk changes by a byte.
# Run 5 (FAIL_INITRD, whose spinectl fails, exit 1, after its 5th ESP
#   write): v3 offered and accepted; bay0 logs the failure, unmounts the
#   ESP, answers uoff and removes what it staged; the next boot must boot
#   slot b (version 2, or 1 when slot a was not yet marked good).
set -uo pipefail
cd "$(dirname "$0")/../.."

kernel='' loader='' sec='' pub='' cmdline=''
while [ $# -gt 3 ]; do
	case $1 in
	--kernel) kernel=$2 ;;
	--loader) loader=$2 ;;
	--slot-sec) sec=$2 ;;
	--slot-pub) pub=$2 ;;
	--cmdline) cmdline=$2 ;;
	*) echo "run.sh: unknown option $1" >&2 && exit 2 ;;
	esac
	shift 2
done
[ $# -eq 3 ] && [ -f "$kernel" ] && [ -f "$loader" ] && [ -f "$sec" ] || {
	echo "usage: run.sh --kernel K --loader EFI --slot-sec SEC --slot-pub PUB --cmdline C UPD_INITRD CUT_INITRD FAIL_INITRD" >&2
	exit 2
}
out=build/vm-spineupd
rm -rf "$out" && mkdir -p "$out"
failed=0
pass() { echo "PASS: spineupd: $*"; }
fail() {
	echo "FAIL: spineupd: $*"
	failed=1
}
check() { # check WHAT ERE LOG: one PASS/FAIL line on whether a line matches
	if grep -qE -- "$2" "$3"; then pass "$1"; else fail "$1 (no line /$2/ in $3)"; fi
}
plain() { sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$1"; }

# A throwaway signify key that no loader trusts, for badsig.
signify-openbsd -G -n -c 'not a Spine key' -p "$out/other.pub" -s "$out/other.sec" >/dev/null

# Slots, the ESP disk and the /persist disk of one run, from one initrd.
make_machine() {
	local d=$1 initrd=$2 only=${3:-} fat mib size
	mkdir -p "$d"
	for v in 1 2 3; do
		image/mkslot.sh -o "$d/v$v" -k "$kernel" -i "$initrd" -c "$cmdline" -v $v -s "$sec" -p "$pub" >/dev/null || return 1
	done
	image/mkslot.sh -o "$d/badsig" -k "$kernel" -i "$initrd" -c "$cmdline" -v 3 \
		-s "$out/other.sec" -p "$out/other.pub" >/dev/null || return 1
	cp -a "$d/v3" "$d/tampered"
	size=$(stat -c %s "$d/tampered/initrd.img")
	# One byte flipped in the middle of the initrd, after signing.
	python3 - "$d/tampered/initrd.img" $((size / 2)) <<'PY'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x01]))
PY
	fat=$d/esp.fat
	image/mkesp.sh -o "$fat" -l "$loader" -a "$d/v2" -b "$d/v1" >/dev/null || return 1
	# The ESP as a laptop has it: a GPT partition of the EFI System type.
	mib=$(($(stat -c %s "$fat") / 1048576 + 2))
	truncate -s "${mib}M" "$d/disk.img"
	sfdisk --quiet --label gpt "$d/disk.img" <<EOF || return 1
start=2048, size=$(($(stat -c %s "$fat") / 512)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system partition"
EOF
	dd if="$fat" of="$d/disk.img" bs=512 seek=2048 conv=notrunc status=none
	mkdir -p "$d/ptree/uoff/outbox"
	for f in v3 tampered badsig; do cp -a "$d/$f" "$d/ptree/uoff/outbox/$f"; done
	cp -a "$d/v1" "$d/ptree/uoff/outbox/old"
	ln -s v3 "$d/ptree/uoff/outbox/link"
	[ -z "$only" ] || echo "$only" >"$d/ptree/uoff/outbox/only"
	image/spine/mkpersist.sh -o "$d/persist.img" -d "$d/ptree" \
		-s $(($(du -sm "$d/ptree" | cut -f1) * 2 + 64)) >/dev/null || return 1
	rm -rf "$d/ptree"
}

# The ESP partition's bytes, hashed.
esp_sum() { dd if="$1" bs=512 skip=2048 status=none | sha256sum | cut -d' ' -f1; }
# One file of the ESP partition, copied out with mtools.
esp_get() { mcopy -n -i "$1@@1M" "::$2" "$3" 2>/dev/null; }

# transfer_empty WHAT PERSIST_IMG: /persist/transfer on the disk as the VM
# left it (stopped, not shut down: the journal is replayed on a copy, as the
# next mount would) holds nothing: every staged slot was removed.
transfer_empty() {
	local pstart psize staged fs=$d/persist.fs
	read -r pstart psize < <(sfdisk -d "$2" | sed -nE 's/.*start= *([0-9]+), size= *([0-9]+).*name="persist".*/\1 \2/p')
	dd if="$2" of="$fs" bs=512 skip="$pstart" count="$psize" status=none
	e2fsck -fy "$fs" >"$d/e2fsck.txt" 2>&1
	staged=$(debugfs -R 'ls -p /transfer' "$fs" 2>/dev/null | awk -F/ '$6 != "" && $6 != "." && $6 != ".." { print $6 }' | tr '\n' ' ')
	if debugfs -R 'stat /transfer' "$fs" 2>/dev/null | grep -q 'Type: directory' && [ -z "$staged" ]; then
		pass "$1: /persist/transfer holds nothing: every staged slot was removed"
	else
		fail "$1: /persist/transfer holds: ${staged:-(no /transfer)}"
	fi
	rm -f "$fs"
}

key() { tests/lib/sendkey.sh "$1" "$2" || echo "spineupd: could not send $2"; }

# The person at the console: at the first Spine-update prompt, check the
# ESP (nothing may have been written yet), then Y once it has stood 2.5 s.
person() {
	local log=$1 sock=$2 disk=$3 want=$4 note=$5
	for _ in $(seq 600); do
		if plain "$log" 2>/dev/null | grep -q '^bay0: umbilical: ---- Spine update request '; then
			echo "at-prompt $(esp_sum "$disk")" >"$note"
			sleep 2.5
			key "$sock" shift-y
			echo "typed Y" >>"$note"
			return
		fi
		sleep 0.5
	done
	echo "no prompt in 300 s" >"$note"
}

# accept_boot WHAT UNTIL: one boot of machine $d whose person at the console
# accepts the offer; QEMU is killed at UNTIL. rc: ovmf/run.sh's exit.
accept_boot() {
	local pp start=$SECONDS sock=$d/monitor.sock
	person "$d/boot.log" "$sock" "$d/disk.img" "" "$d/person.txt" &
	pp=$!
	flock /tmp/spine-vm.lock ovmf/run.sh --disk "$d/disk.img" --persist "$d/persist.img" --watchdog \
		--log "$d/boot.log" --timeout 500 --max-boots 1 --until "$2" \
		-- -smp 2 -monitor "unix:$sock,server=on,wait=off" >"$d/harness.txt" 2>&1
	rc=$?
	wait "$pp"
	echo "spineupd: $1: $(tail -n 1 "$d/harness.txt") ($((SECONDS - start)) s)"
}
# next_boot WHAT: the boot after it, up to bay0's ready, into boot2.plain.
next_boot() {
	local start=$SECONDS
	flock /tmp/spine-vm.lock ovmf/run.sh --disk "$d/disk.img" --persist "$d/persist.img" --watchdog \
		--log "$d/boot2.log" --timeout 300 --max-boots 1 --until 'bay0: ready' \
		-- -smp 2 >"$d/harness2.txt" 2>&1
	rc=$?
	echo "spineupd: $1: $(tail -n 1 "$d/harness2.txt") ($((SECONDS - start)) s)"
	plain "$d/boot2.log" >"$d/boot2.plain"
}

# ---- run 1: refusals, then an accepted update, then its boot
d=$out/upd
make_machine "$d" "$1" || {
	fail "could not build the machine of run 1"
	exit 1
}
before=$(esp_sum "$d/disk.img")
sock=$d/monitor.sock
person "$d/boot.log" "$sock" "$d/disk.img" "$before" "$d/person.txt" &
pp=$!
start=$SECONDS
flock /tmp/spine-vm.lock ovmf/run.sh --disk "$d/disk.img" --persist "$d/persist.img" --watchdog \
	--log "$d/boot.log" --timeout 500 --max-boots 2 \
	--cad-on 'bay0: umbilical: request [0-9]+: Spine version 3 written to slot a' \
	--until 'pvm: spine-booted-again' -- -smp 2 -monitor "unix:$sock,server=on,wait=off" \
	>"$d/harness.txt" 2>&1
rc=$?
wait "$pp"
echo "spineupd: run 1: $(tail -n 1 "$d/harness.txt") ($((SECONDS - start)) s)"
plain "$d/boot.log" >"$d/boot.plain"
L=$d/boot.plain
[ "$rc" = 3 ] && pass "run 1 ended with the second boot's persona (ovmf rc 3)" ||
	fail "run 1: ovmf/run.sh ended with $rc: $(tail -n 1 "$d/harness.txt")"
check "booted slot a version 2 first" '^spineboot: booting slot a version 2$' "$L"
check "a symbolic link to a slot folder is refused, never followed" \
	"^bay0: umbilical: request [0-9]+: uoff offers a Spine update from 'link': refused: vmlinuz: a symbolic link on the way" "$L"
check "a slot with one byte of its initrd flipped is refused by spinectl as the loader would" \
	"^bay0: spinectl: update: /persist/transfer/spine-[0-9]+: the loader would refuse it: .*hash mismatch; nothing was written" "$L"
check "a slot signed by a key the loader does not trust is refused" \
	"^bay0: spinectl: update: /persist/transfer/spine-[0-9]+: the loader would refuse it: .*(unknown key|untrusted).*; nothing was written" "$L"
check "an older slot (version 1) is refused below the good version 2" \
	'^bay0: spinectl: update: /persist/transfer/spine-[0-9]+: version 1 is below the good version 2; nothing was written' "$L"
check "three refusals by spinectl, each with 'nothing was written to the ESP'" \
	"refused: spinectl refused it \(exit 1\): nothing was written to the ESP" "$L"
n=$(grep -cE "offers a Spine update from '(tampered|badsig|old)': refused: spinectl refused it" "$L")
[ "$n" = 3 ] && pass "tampered, badsig and old: 3 refusals logged with the persona's name" ||
	fail "tampered, badsig and old: $n refusal lines, want 3"
check "a persona spine.conf does not name is refused" \
	"^bay0: umbilical: request [0-9]+: uimp offers a Spine update from 'v3': refused: spine.conf takes Spine updates from uoff only" "$L"
check "the prompt shows version 3 and what is on the ESP now" '^bay0: umbilical: version +3$' "$L"
check "the prompt names slot a's current state as spinectl read it" '^bay0: umbilical: on the ESP +slot a: version 2, good$' "$L"
read -r tag at_prompt <"$d/person.txt" 2>/dev/null || at_prompt=''
if [ "$tag" = at-prompt ] && [ "$at_prompt" = "$before" ]; then
	pass "the ESP byte for byte as built after four refused offers and v3's dry run (sha256 ${before:0:16})"
else
	fail "the ESP at v3's prompt: $(cat "$d/person.txt" 2>/dev/null), before $before"
fi
check "accepted by Y at the console, logged with the persona's name" \
	"^bay0: umbilical: request [0-9]+: accepted \(key Y at the console\): Spine update 'v3' from uoff, version 3" "$L"
acc=$(grep -nE '^bay0: umbilical: request [0-9]+: accepted' "$L" | head -n1 | cut -d: -f1)
rw=$(grep -nE '^bay0: umbilical: ESP /dev/[a-z0-9]+ mounted read-write' "$L" | head -n1 | cut -d: -f1)
nrw=$(grep -cE '^bay0: umbilical: ESP /dev/[a-z0-9]+ mounted read-write' "$L")
unm=$(awk -v from="${rw:-0}" 'NR > from && /^bay0: umbilical: ESP unmounted$/ { print NR; exit }' "$L")
if [ -n "$acc" ] && [ -n "$rw" ] && [ "$rw" -gt "$acc" ] && [ "$nrw" = 1 ] && [ -n "$unm" ]; then
	pass "the ESP mounted read-write once, only after the Y, and unmounted after the write"
else
	fail "the ESP's read-write mount: accepted at line ${acc:-none}, rw at ${rw:-none} ($nrw times), unmounted after at ${unm:-none}"
fi
check "written: bay0 says to reboot" '^bay0: umbilical: request [0-9]+: Spine version 3 written to slot a: reboot to boot it' "$L"
check "uoff got its answer" '^bay0: \[uoff\] pvm: spine-v3: ok' "$L"
check "after the reboot the loader boots slot a version 3" '^spineboot: booting slot a version 3$' "$L"
check "and bay0 runs it: uoff finds its marker" '^bay0: \[uoff\] pvm: spine-booted-again: ok' "$L"
ok=1
for f in vmlinuz initrd.img cmdline slot.conf SHA512.sig; do
	esp_get "$d/disk.img" "spine/a/$f" "$d/a-$f" && cmp -s "$d/a-$f" "$d/v3/$f" || ok=0
	esp_get "$d/disk.img" "spine/b/$f" "$d/b-$f" && cmp -s "$d/b-$f" "$d/v2/$f" || ok=0
done
[ $ok = 1 ] && pass "on the ESP: slot a holds v3 and slot b v2, file for file" ||
	fail "on the ESP after the update: slot a is not v3 or slot b is not v2"
transfer_empty "run 1" "$d/persist.img"

# ---- run 2: a power cut in the middle of the ESP write
d=$out/cut
make_machine "$d" "$2" v3 || {
	fail "could not build the machine of run 2"
	exit 1
}
accept_boot "run 2, cut" 'bay0: spinectl: test hook: stopped after action 5'
[ "$rc" = 3 ] && pass "run 2: QEMU killed after spinectl's 5th write to the ESP" ||
	fail "run 2: ovmf/run.sh ended with $rc before the cut: $(tail -n 1 "$d/harness.txt")"
if esp_get "$d/disk.img" spine/a/SHA512.sig "$d/a-sig"; then
	fail "after the cut slot a still has a SHA512.sig (the cut was not mid-update)"
else
	pass "after the cut slot a has no SHA512.sig: the loader cannot boot it"
fi
next_boot "run 2, boot after the cut"
check "after the cut the loader refuses slot a and boots slot b, version 2 (a's copy)" \
	'^spineboot: booting slot b version 2$' "$d/boot2.plain"
[ "$rc" = 3 ] && pass "and bay0 comes up on it" || fail "boot after the cut: ovmf/run.sh ended with $rc"
# ---- runs 3 and 4: not exactly one ESP, so bay0 writes none
for r in two none; do
	d=$out/esp-$r
	case $r in
	two) why='2 EFI System partitions: bay0 writes none of them' ;;
	none) why='no EFI System partition \(GPT\) found' ;;
	esac
	whyt=${why//\\/}
	make_machine "$d" "$1" "v3 refused: $whyt" || {
		fail "could not build the machine of run esp-$r"
		continue
	}
	extra=()
	if [ $r = two ]; then
		cp "$d/disk.img" "$d/disk2.img"
		extra=(-drive "if=none,id=esp2,format=raw,file=$d/disk2.img" -device virtio-blk-pci,drive=esp2)
	else
		sfdisk --quiet --part-type "$d/disk.img" 1 0FC63DAF-8483-4772-8E79-3D69D8477DE4 || fail "esp-$r: retyping the ESP"
	fi
	sums=$(for f in "$d"/disk*.img; do esp_sum "$f"; done)
	start=$SECONDS
	flock /tmp/spine-vm.lock ovmf/run.sh --disk "$d/disk.img" --persist "$d/persist.img" --watchdog \
		--log "$d/boot.log" --timeout 300 --max-boots 1 --until '\[uoff\] pvm: spine-v3: ' \
		-- -smp 2 "${extra[@]}" >"$d/harness.txt" 2>&1
	echo "spineupd: run esp-$r: $(tail -n 1 "$d/harness.txt") ($((SECONDS - start)) s)"
	plain "$d/boot.log" >"$d/boot.plain"
	check "esp-$r: bay0 refuses the offer: $whyt" \
		"^bay0: umbilical: request [0-9]+: uoff offers a Spine update from 'v3': refused: $why" "$d/boot.plain"
	check "esp-$r: uoff gets that refusal as its answer" "^bay0: \[uoff\] pvm: spine-v3: ok " "$d/boot.plain"
	if grep -qE '^bay0: umbilical: ESP .* mounted' "$d/boot.plain"; then
		fail "esp-$r: bay0 mounted an ESP: $(grep -E 'ESP .* mounted' "$d/boot.plain" | head -n 1)"
	elif [ "$sums" = "$(for f in "$d"/disk*.img; do esp_sum "$f"; done)" ]; then
		pass "esp-$r: no ESP mounted, and every disk's first partition byte for byte as built"
	else
		fail "esp-$r: a disk changed"
	fi
done

# ---- run 5: spinectl fails part way after the accept
d=$out/fail
why='spinectl update failed (exit 1)'
make_machine "$d" "$3" "v3 refused: $why" || {
	fail "could not build the machine of run 5"
	exit 1
}
accept_boot "run 5, fail" '\[uoff\] pvm: spine-v3: '
L=$d/boot.plain
plain "$d/boot.log" >"$L"
check "run 5: spinectl fails after its 5th ESP write (test hook)" \
	'^bay0: spinectl: test hook: failing after action 5$' "$L"
check "run 5: bay0 logs the failure and that the loader still boots a good slot" \
	"^bay0: umbilical: request [0-9]+: spinectl update failed \(exit 1\); the loader still boots a good slot" "$L"
rw=$(grep -nE '^bay0: umbilical: ESP /dev/[a-z0-9]+ mounted read-write' "$L" | head -n1 | cut -d: -f1)
unm=$(awk -v from="${rw:-0}" 'NR > from && /^bay0: umbilical: ESP unmounted$/ { print NR; exit }' "$L")
[ -n "$rw" ] && [ -n "$unm" ] && pass "run 5: the ESP mounted read-write after the Y is unmounted after the failure" ||
	fail "run 5: read-write mount at ${rw:-none}, unmounted after it at ${unm:-none}"
check "run 5: uoff gets the failure as its answer" "^bay0: \[uoff\] pvm: spine-v3: ok 'spine v3' -> 'refused: spinectl update failed" "$L"
transfer_empty "run 5" "$d/persist.img"
next_boot "run 5, boot after the failure"
# Slot b is what the real run's plan left it: version 2 copied there when
# slot a was marked good by then, else version 1 kept as the fallback.
bv=2
! sed -n '/^bay0: umbilical: request [0-9]*: accepted/,$p' "$L" | grep -q '^bay0: spinectl: slot b stays as it is' || bv=1
check "run 5: after the failed update the loader boots slot b, version $bv (as the plan left it)" \
	"^spineboot: booting slot b version $bv\$" "$d/boot2.plain"
[ "$rc" = 3 ] && pass "run 5: and bay0 comes up on it" || fail "run 5: boot after the failure: ovmf/run.sh ended with $rc"
exit $failed
