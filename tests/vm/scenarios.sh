#!/usr/bin/env bash
# tests/vm/scenarios.sh: the loader scenario tests (issue 3, docs/harness.md).
#
#   tests/vm/scenarios.sh [-j N] [CASE-PATTERN...]
#
# Each case builds its own ESP variant, boots it in QEMU/OVMF and prints one
# PASS/FAIL line. Cases run N at a time (default 2, the most this machine
# takes); a pattern (an ERE over case names, e.g. "sig-" or "^count") picks
# a subset. Without build/efi/spineboot.efi every case fails: a loader that
# is not there has not passed anything.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/vm/lib.sh

jobs=2
while getopts j: opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

# ---- The cases ---------------------------------------------------------------
# Every case_* function prints exactly one PASS or FAIL line. GOOD_A/GOOD_B are
# two good slots (version 1, default tries), built once before the cases.

# 1. A good slot A boots A, and the guest sees exactly the signed cmdline plus
#    the loader's slot marker.
case_good_a() {
	local e want got
	e=$(esp good -a "$GOOD_A" -b "$GOOD_B") || return
	boot good --esp "$e" --until '^testinit: action='
	want="$(signed_cmdline "$GOOD_A") spine.slot=a"
	got=$(guest_cmdline)
	if [ "$(booted)" = a ] && [ "$got" = "$want" ]; then
		pass "good A boots A; guest /proc/cmdline is the signed cmdline + ' spine.slot=a'"
	else
		fail "good A boots A with the signed cmdline" "got cmdline [$got], want [$want]; $(why)"
	fi
}

# Boots an ESP whose slot A is $1 and B is good; passes when A is refused with
# a reason and B is booted. $2 names the case, $3 an ERE the reason must match
# (case-insensitive).
expect_b() {
	local a=$1 name=$2 what=$3 reason_re=$4 e r
	e=$(esp "$name" -a "$a" -b "$GOOD_B" "${@:5}") || return
	boot "$name" --esp "$e" --until '^spineboot: booting slot'
	r=$(refusal a)
	if [ "$(booted)" = b ] && [ -n "$r" ] && grep -Eqi -- "$reason_re" <<<"$r"; then
		pass "$what: boots B; A refused: $r"
	else
		fail "$what: boots B, A refused for the right reason" "$(why)"
	fi
}

# 2. One byte flipped in one of A's signed files.
flip_case() {
	local file=$1 a
	a=$(copy_slot "$GOOD_A" "flip-$file") && flip "$a/$file" || return
	expect_b "$a" "flip-$file" "one byte flipped in A's $file" \
		"^${file//./\\.}: .*(hash|digest|mismatch)"
}
case_flip_vmlinuz() { flip_case vmlinuz; }
case_flip_initrd() { flip_case initrd.img; }
case_flip_cmdline() { flip_case cmdline; }
case_flip_slotconf() { flip_case slot.conf; }

# 3. A's SHA512.sig missing, empty, truncated, garbage, signed by a key the
#    loader does not trust, or listing a path.
case_sig_missing() {
	local a
	a=$(copy_slot "$GOOD_A" sig-missing) && rm "$a/SHA512.sig" || return
	expect_b "$a" sig-missing "A's SHA512.sig missing" '^SHA512\.sig: .*(missing|not found)'
}
case_sig_empty() {
	local a
	a=$(copy_slot "$GOOD_A" sig-empty) && : >"$a/SHA512.sig" || return
	expect_b "$a" sig-empty "A's SHA512.sig empty" '^SHA512\.sig: .*(malformed|empty|short)'
}
case_sig_truncated() {
	local a
	a=$(copy_slot "$GOOD_A" sig-truncated) &&
		truncate -s $(($(stat -c %s "$a/SHA512.sig") - 100)) "$a/SHA512.sig" || return
	expect_b "$a" sig-truncated "A's SHA512.sig truncated by 100 bytes" '^SHA512\.sig: .*(signature|malformed|truncated)'
}
case_sig_garbage() {
	local a
	a=$(copy_slot "$GOOD_A" sig-garbage) &&
		dd if="$KERNEL" of="$a/SHA512.sig" bs=1 skip=4096 count=756 status=none || return
	expect_b "$a" sig-garbage "A's SHA512.sig replaced by binary garbage" '^SHA512\.sig: .*(malformed|base64|comment)'
}
case_sig_untrusted() {
	local a k=$B/vm/untrusted
	mkdir -p "$B/vm"
	if [ ! -f "$k.sec" ]; then
		rm -f "$k.pub"
		signify-openbsd -G -n -c "untrusted test key" -p "$k.pub" -s "$k.sec" >&2 || return
	fi
	a=$(slot sig-untrusted -s "$k.sec" -p "$k.pub") || return
	expect_b "$a" sig-untrusted "A signed by an untrusted key" '^SHA512\.sig: .*key'
}
case_sig_dotdot() {
	local a list
	a=$(copy_slot "$GOOD_A" sig-dotdot) || return
	printf 'outside\n' >"$B/vm/x"
	list=$(cd "$a" && sha512sum --tag vmlinuz initrd.img cmdline slot.conf) &&
		printf '%s\nSHA512 (../x) = %s\n' "$list" "$(sha512sum "$B/vm/x" | cut -d' ' -f1)" \
			>"$B/vm/dotdot.list" &&
		rm "$a/SHA512.sig" &&
		signify-openbsd -S -e -s "$SLOT_SEC" -m "$B/vm/dotdot.list" -x "$a/SHA512.sig" || return
	expect_b "$a" sig-dotdot "A's signed list also names ../x" '^SHA512\.sig: .*(name|path)' \
		-x "$B/vm/x:/spine/x"
}

# 3b. More of the same kind: a SHA512.sig over the loader's size cap (64 KiB),
#     and a correctly signed slot whose vmlinuz is not a kernel at all.
case_sig_oversized() {
	local a
	a=$(copy_slot "$GOOD_A" sig-oversized) &&
		{ cat "$a/SHA512.sig" && head -c 70000 /dev/zero | tr '\0' '#'; } >"$B/vm/big.sig" &&
		mv "$B/vm/big.sig" "$a/SHA512.sig" || return
	expect_b "$a" sig-oversized "A's SHA512.sig grown past 64 KiB" '^SHA512\.sig: .*(large|big|size|cap)'
}
case_kernel_not_pe() {
	local a
	head -c 65536 /dev/zero | tr '\0' 'K' >"$B/vm/not-a-kernel"
	a=$(slot kernel-not-pe -k "$B/vm/not-a-kernel") || return
	expect_b "$a" kernel-not-pe "A signed, but its vmlinuz is 64 KiB of text" '^vmlinuz: '
}

# 4. Both slots bad: one refusal line each, then poweroff, well before the
#    timeout.
case_both_bad() {
	local a b e
	a=$(copy_slot "$GOOD_A" both-bad-a) && flip "$a/vmlinuz" &&
		b=$(copy_slot "$GOOD_B" both-bad-b) && rm "$b/SHA512.sig" &&
		e=$(esp both-bad -a "$a" -b "$b") || return
	boot both-bad --esp "$e"
	if [ "$end" = poweroff ] && [ "$(count 'spineboot: slot a: refused: ')" = 1 ] &&
		[ "$(count 'spineboot: slot b: refused: ')" = 1 ] &&
		has 'spineboot: no bootable slot, powering off' && [ -z "$(booted)" ] &&
		[ "$seconds" -lt 30 ]; then
		pass "both slots bad: one refusal line each, powered off after $seconds s"
	else
		fail "both slots bad: refusal per slot, poweroff" "$(why)"
	fi
}

# 5. Started by the UEFI shell's startup.nsh with LoadOptions "init=/bin/sh":
#    the guest still gets the signed cmdline. No \EFI\BOOT\BOOTX64.EFI, so
#    OVMF falls through to its built-in shell, which runs startup.nsh.
case_loadoptions() {
	local e want got
	printf 'FS0:\r\n\\EFI\\spine\\spineboot.efi init=/bin/sh\r\n' >"$B/vm/startup.nsh"
	e=$(esp loadoptions -a "$GOOD_A" -b "$GOOD_B" -N -n "$B/vm/startup.nsh") || return
	boot loadoptions --esp "$e" --until '^testinit: action='
	want="$(signed_cmdline "$GOOD_A") spine.slot=a"
	got=$(guest_cmdline)
	if ! lines | grep -q 'spineboot.efi init=/bin/sh'; then
		fail "LoadOptions from startup.nsh ignored" "the shell never ran startup.nsh; $(why)"
	elif [ "$(booted)" = a ] && [ "$got" = "$want" ]; then
		pass "spineboot run by startup.nsh with 'init=/bin/sh': guest cmdline is the signed one"
	else
		fail "LoadOptions from startup.nsh ignored" "got cmdline [$got], want [$want]; $(why)"
	fi
}

# 6. Boot counting. A slot that never marks itself good (it reboots, panics,
#    or hangs until the watchdog resets the machine) uses one of its 3
#    attempts per boot, then B boots; one marked good keeps booting.
count_case() {
	local name=$1 what=$2 cmdline=$3 a e
	a=$(slot "$name-a" -c "$cmdline") && e=$(esp "$name" -a "$a" -b "$GOOD_B") || return
	boot "$name" --esp "$e" --max-boots 6 --timeout 400 --until '^spineboot: booting slot b' \
		"${@:4}"
	if [ "$(booted)" = "a a a b" ] && [ "$(count 'testinit: cmdline=')" -ge 3 ]; then
		pass "$what: A tried 3 times, then B (tries_left seen by the OS: $(tries_seen a))"
	else
		fail "$what: A tried 3 times, then B" "$(why)"
	fi
}
case_count_reboot() {
	count_case count-reboot "A reboots before marking itself good" \
		"$CMDLINE_BASE testinit.action=reboot"
}
case_count_panic() {
	count_case count-panic "A's init panics (panic=1)" \
		"console=ttyS0 quiet panic=1 testinit.action=panic"
}
case_count_hang() {
	count_case count-hang "A's init hangs; the i6300esb watchdog resets the machine" \
		"$CMDLINE_BASE testinit.watchdog=2 testinit.action=hang" --watchdog
}
case_count_good() {
	local a e
	a=$(slot count-good-a -c "$CMDLINE_BASE testinit.good=1 testinit.action=reboot") &&
		e=$(esp count-good -a "$a" -b "$GOOD_B") || return
	boot count-good --esp "$e" --max-boots 5 --timeout 400
	if [ "$end" = resets ] && [ "$(booted)" = "a a a a a" ] &&
		[ "$(count 'testinit: slot a marked good')" -ge 4 ]; then
		pass "A marked good keeps booting: 5 boots of A, past its 3 tries"
	else
		fail "A marked good keeps booting" "$(why)"
	fi
}

# 7. Rollback: once a version 5 slot was marked good and booted again, the
#    floor is 5 and a version 4 slot is refused; the floor variable is not
#    visible to the running OS (efivarfs) at all. The same version 4 slot on a
#    fresh variable store boots, so the refusal is the floor's doing.
case_rollback() {
	local a5 a4 b e5 e4 vars=$B/vm/rollback.vars r
	a5=$(slot rollback-a5 -v 5 -c "$CMDLINE_BASE testinit.good=1") &&
		a4=$(slot rollback-a4 -v 4 -c "$CMDLINE_BASE testinit.good=1") &&
		b=$(slot rollback-b -v 5) &&
		e5=$(esp rollback-5 -a "$a5" -b "$b") && e4=$(esp rollback-4 -a "$a4" -b "$b") || return
	boot rollback-control --esp "$e4" --until '^spineboot: booting slot'
	if [ "$(booted)" != a ]; then
		fail "rollback" "control: version 4 on a fresh store did not boot A; $(why)"
		return
	fi
	rm -f "$vars"
	boot rollback-1 --esp "$e5" --vars "$vars"
	if [ "$(booted)" != a ] || ! has 'testinit: slot a marked good'; then
		fail "rollback" "first boot of version 5 not marked good; $(why)"
		return
	fi
	boot rollback-2 --esp "$e5" --vars "$vars"
	if [ "$(booted)" != a ]; then
		fail "rollback" "version 5, marked good, did not boot again; $(why)"
		return
	fi
	if ! has 'testinit: SpineRollbackFloor: none'; then
		fail "rollback" "the running OS can see SpineRollbackFloor; $(why)"
		return
	fi
	boot rollback-3 --esp "$e4" --vars "$vars" --until '^spineboot: booting slot'
	r=$(refusal a)
	if [ "$(booted)" = b ] && grep -Eqi 'rollback|floor|version' <<<"$r"; then
		pass "rollback: version 4 refused after version 5 was marked good and booted ($r)"
	else
		fail "rollback: version 4 refused under floor 5" "$(why)"
	fi
}

# 7b. The same, with root on the running system attacking the floor: each
#    boot of version 5 tries to plant SpineRollbackFloor=0 through efivarfs.
#    Before the floor exists the plant may succeed (the loader must then
#    discard it); once the floor is set it must fail; either way version 4
#    stays refused.
case_rollback_os() {
	local a5 a4 b e5 e4 vars=$B/vm/rollback-os.vars r p1 p2
	a5=$(slot rollback-os-a5 -v 5 -c "$CMDLINE_BASE testinit.good=1 testinit.floor=plant") &&
		a4=$(slot rollback-os-a4 -v 4) && b=$(slot rollback-os-b -v 5) &&
		e5=$(esp rollback-os-5 -a "$a5" -b "$b") && e4=$(esp rollback-os-4 -a "$a4" -b "$b") ||
		return
	rm -f "$vars"
	boot rollback-os-1 --esp "$e5" --vars "$vars"
	p1=$(lines | sed -n 's/^testinit: plant SpineRollbackFloor: //p')
	if [ "$(booted)" != a ] || [ -z "$p1" ]; then
		fail "rollback against root" "first boot of version 5; $(why)"
		return
	fi
	boot rollback-os-2 --esp "$e5" --vars "$vars"
	p2=$(lines | sed -n 's/^testinit: plant SpineRollbackFloor: //p')
	if [ "$(booted)" != a ] || [ -z "$p2" ]; then
		fail "rollback against root" "second boot of version 5 (after the plant: $p1); $(why)"
		return
	fi
	if [ "$p2" = ok ]; then
		fail "rollback against root" "the OS wrote SpineRollbackFloor after the loader set it"
		return
	fi
	boot rollback-os-3 --esp "$e4" --vars "$vars" --until '^spineboot: booting slot'
	r=$(refusal a)
	if [ "$(booted)" = b ] && grep -Eqi 'rollback|floor|version' <<<"$r"; then
		pass "rollback against root: plant before the floor: $p1; after: $p2; version 4 still refused ($r)"
	else
		fail "rollback against root: version 4 refused" "plants: [$p1] [$p2]; $(why)"
	fi
}

# 8. TPM: PCR 12 in the guest equals build/spine-pcr's prediction for the
#    booted slot, and a changed slot gives another value, again predicted.
#    The first boot has the TPM behind tpm-tis, the second behind tpm-crb.
case_pcr() {
	local a1 a2 e1 e2 p1 p2 g1 g2
	if [ ! -x "$SPINE_PCR" ]; then
		fail "PCR 12 matches spine-pcr" "no $SPINE_PCR"
		return
	fi
	a1=$(slot pcr-1) && a2=$(slot pcr-2 -c "$CMDLINE_BASE testinit.other=1") &&
		e1=$(esp pcr-1 -a "$a1" -b "$GOOD_B") && e2=$(esp pcr-2 -a "$a2" -b "$GOOD_B") &&
		p1=$("$SPINE_PCR" "$a1" a) && p2=$("$SPINE_PCR" "$a2" a) || {
		fail "PCR 12 matches spine-pcr" "building the slots or predicting failed"
		return
	}
	boot pcr-1 --esp "$e1" --tpm --until '^testinit: action='
	g1=$(lines | sed -n 's/^testinit: pcr12=//p' | head -n 1)
	boot pcr-2 --esp "$e2" --tpm-crb --until '^testinit: action='
	g2=$(lines | sed -n 's/^testinit: pcr12=//p' | head -n 1)
	if [ -n "$g1" ] && [ "$g1" = "$p1" ] && [ "$g2" = "$p2" ] && [ "$g1" != "$g2" ]; then
		pass "PCR 12 equals spine-pcr's prediction for two different slots, tpm-tis and tpm-crb ($g1, $g2)"
	else
		fail "PCR 12 matches spine-pcr" "guest [$g1] [$g2], predicted [$p1] [$p2]; $(why)"
	fi
}

# Longest first: with two at a time, the short refusal cases then fill the
# gaps instead of one long counting run finishing alone.
CASES=(count_good count_hang count_panic count_reboot rollback_os rollback pcr good_a loadoptions
	flip_vmlinuz flip_initrd flip_cmdline flip_slotconf
	sig_missing sig_empty sig_truncated sig_garbage sig_untrusted sig_dotdot sig_oversized
	kernel_not_pe both_bad)

# ---- The runner ----------------------------------------------------------------

selected=()
for c in "${CASES[@]}"; do
	if [ $# -eq 0 ]; then
		selected+=("$c")
	else
		for p in "$@"; do
			if [[ ${c//_/-} =~ $p ]]; then
				selected+=("$c")
				break
			fi
		done
	fi
done
[ ${#selected[@]} -gt 0 ] || {
	echo "scenarios: no case matches: $*" >&2
	exit 2
}

missing=
for f in "$SPINEBOOT" "$KERNEL" "$INITRD" "$SLOT_SEC" "$SLOT_PUB"; do
	[ -f "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	case_t0=$SECONDS
	for c in "${selected[@]}"; do
		fail "${c//_/-}" "missing:$missing"
	done
	exit 1
fi

GOOD_A=$(slot good-a) && GOOD_B=$(slot good-b) || {
	echo "FAIL: vm: building the good slots"
	exit 1
}
mkdir -p "$B/vm/results"
t0=$SECONDS
running=0
for c in "${selected[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	(
		case_start
		out=$B/vm/results/$c
		"case_$c" >"$out" 2>"$out.err" || true
		# A case that died before its verdict has still failed.
		grep -Eq '^(PASS|FAIL): ' "$out" ||
			fail "${c//_/-}" "the case stopped early: $(tail -n 3 "$out.err" | tr '\n' ' ')" >>"$out"
		cat "$out"
	) &
	running=$((running + 1))
done
wait
echo "scenarios: ${#selected[@]} cases in $((SECONDS - t0)) s"
! grep -q '^FAIL: ' "${selected[@]/#/$B/vm/results/}"
