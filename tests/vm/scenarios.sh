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
# bash reads a script while running it: run from a copy, so that editing
# this file during a run cannot derail the cases in flight.
if [ -z "${VM_SCENARIOS_COPY:-}" ]; then
	mkdir -p build/vm
	cp tests/vm/scenarios.sh build/vm/scenarios-copy.sh
	VM_SCENARIOS_COPY=1 exec bash build/vm/scenarios-copy.sh "$@"
fi
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
	want=$(marked_cmdline "$GOOD_A" a)
	got=$(guest_cmdline)
	if [ "$(booted)" = a ] && [ "$got" = "$want" ]; then
		pass "good A boots A; guest /proc/cmdline is the signed cmdline + ' spine.slot=a spine.state=$(state_hex "$GOOD_A")'"
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
	want=$(marked_cmdline "$GOOD_A" a)
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
#    The loader creates the floor before its first handoff, so the plant
#    fails on the first boot already, and on every later one; version 4
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
	if [ "$p1" = ok ] || [ "$p2" = ok ]; then
		fail "rollback against root" "the OS wrote SpineRollbackFloor (first boot: $p1; second: $p2)"
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

# 7c. The A/B rule: A at version 6 marked good, B at 5 (the previous good
#     version, the fallback). Booting the good A raises the floor only to 5,
#     so when A then breaks, B boots. Control: the same with no B on the ESP
#     while A is good raises it to 6, and B at 5 is then refused.
case_floor_fallback() {
	local a6 a6x b5 e_ab e_a e_xb vars=$B/vm/floor-fallback.vars ctl=$B/vm/floor-fallback-ctl.vars r
	a6=$(slot floor-fb-a6 -v 6 -c "$CMDLINE_BASE testinit.good=1") && b5=$(slot floor-fb-b5 -v 5) &&
		a6x=$(copy_slot "$a6" floor-fb-a6x) && flip "$a6x/vmlinuz" &&
		e_ab=$(esp floor-fb-ab -a "$a6" -b "$b5") && e_a=$(esp floor-fb-a -a "$a6") &&
		e_xb=$(esp floor-fb-xb -a "$a6x" -b "$b5") || return
	rm -f "$vars" "$ctl"
	boot floor-fb-1 --esp "$e_ab" --vars "$vars" --until '^testinit: action='
	boot floor-fb-2 --esp "$e_ab" --vars "$vars" --until '^testinit: action='
	boot floor-fb-3 --esp "$e_xb" --vars "$vars" --until '^testinit: action='
	if [ "$(booted)" != b ]; then
		fail "floor never strands the fallback" "A 6 good twice, then A broken: B 5 did not boot; $(why)"
		return
	fi
	boot floor-fb-ctl-1 --esp "$e_a" --vars "$ctl" --until '^testinit: action='
	boot floor-fb-ctl-2 --esp "$e_a" --vars "$ctl" --until '^testinit: action='
	boot floor-fb-ctl-3 --esp "$e_xb" --vars "$ctl" --until '^spineboot: (booting|no bootable)'
	r=$(refusal b)
	if [ "$r" = "version 5 is below the rollback floor 6" ]; then
		pass "A 6 good with B 5 on the ESP raises the floor to 5: broken A falls back to B; control without B: floor 6, B refused ($r)"
	else
		fail "floor control" "without B the floor did not reach 6: B refusal [$r]; $(why)"
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

# 9. Root in the OS against the loader's state (docs/boot.md, "What root in
#    the OS can do to the loader's state"). The attacks are prepared on the
#    host and carried in a loader-test initrd: /squat/<efivarfs name> holds
#    attributes and data, which testinit.squat=1 writes as root. An
#    authenticated variable is signed with a throw-away key: once it exists,
#    only that key can change or delete it.
SQUAT_GUID=46adc6b9-827e-40ec-be2a-a69f042b8f50
SQUAT_TIME="2026-01-01 00:00:00"
# squat_auth NAME DATAFILE OUT: an efivarfs image of an authenticated NAME.
squat_auth() {
	local k=$B/vm/squat-key
	if [ ! -f "$k.crt" ]; then
		openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$k.key" -out "$k.crt" \
			-subj /CN=squatter -days 3650 2>/dev/null || return
	fi
	sign-efi-sig-list -g "$SQUAT_GUID" -t "$SQUAT_TIME" -k "$k.key" -c "$k.crt" "$1" "$2" \
		"$3.auth" >/dev/null || return
	{ printf '\x27\x00\x00\x00' && cat "$3.auth"; } >"$3" && rm "$3.auth"
}
# squat_initrd NAME FILE...: the test initrd with each FILE at /squat/.
squat_initrd() {
	local name=$1 f args=()
	shift
	for f in "$@"; do args+=(-f "$f:/squat/$(basename "$f")"); done
	image/mkinitrd.sh -o "$B/initrd/vm-squat-$name.img" -i "$TESTINIT" -k "$KERNEL_DIR" \
		-m efivarfs -m i6300esb "${args[@]}" >&2 && echo "$B/initrd/vm-squat-$name.img"
}
# A slot state as the loader writes it: SPS1, tries_left, good, 0 0, the id.
state_bytes() {
	printf 'SPS1' && printf '%02x%02x0000' "$2" "$3" | xxd -r -p &&
		sha512sum "$1/SHA512.sig" | cut -c1-64 | xxd -r -p
}

# 9a. The floor. Control: on a machine spineboot has never booted, root
#     squats SpineRollbackFloor as an authenticated variable (the kernel
#     booted without the loader); the loader then can neither use nor delete
#     it, and refuses every slot. With the loader, the floor exists before
#     the first handoff, so the same squat from the first booted OS fails and
#     the next boot is normal.
case_floor_squat() {
	local d=$B/vm/floor-squat f ini a e vars=$B/vm/floor-squat.vars ctl=$B/vm/floor-squat-ctl.vars
	mkdir -p "$d" && head -c 8 /dev/zero >"$d/zero" &&
		squat_auth SpineRollbackFloor "$d/zero" "$d/SpineRollbackFloor-$SQUAT_GUID" &&
		ini=$(squat_initrd floor "$d/SpineRollbackFloor-$SQUAT_GUID") &&
		a=$(slot floor-squat-a -i "$ini" -c "$CMDLINE_BASE testinit.squat=1") &&
		e=$(esp floor-squat -a "$a" -b "$GOOD_B") || return
	rm -f "$vars" "$ctl"
	boot floor-squat-ctl --kernel "$KERNEL" --initrd "$ini" --vars "$ctl" \
		--append "$CMDLINE_BASE testinit.squat=1" --until '^testinit: action='
	f=$(lines | sed -n "s/^testinit: squat SpineRollbackFloor-$SQUAT_GUID: //p" | head -n 1)
	if [ "$f" != ok ]; then
		fail "floor squat" "control: the squat on a fresh store did not take ($f); $(why)"
		return
	fi
	boot floor-squat-ctl2 --esp "$e" --vars "$ctl"
	if [ "$end" != poweroff ] || [ -n "$(booted)" ] ||
		! refusal a | grep -q 'rollback floor variable malformed and not deletable'; then
		fail "floor squat" "control: a squatted floor did not stop the loader; $(why)"
		return
	fi
	boot floor-squat-1 --esp "$e" --vars "$vars" --until '^testinit: action='
	f=$(lines | sed -n "s/^testinit: squat SpineRollbackFloor-$SQUAT_GUID: //p" | head -n 1)
	if [ "$(booted)" != a ] || ! has 'spineboot: created SpineRollbackFloor = 0' ||
		[ -z "$f" ] || [ "$f" = ok ]; then
		fail "floor squat" "first boot: the loader did not create the floor first, or the squat took ($f); $(why)"
		return
	fi
	boot floor-squat-2 --esp "$e" --vars "$vars" --until '^testinit: action='
	if [ "$(booted)" = a ] && ! has 'spineboot: created SpineRollbackFloor' &&
		! has 'spineboot: slot a: refused'; then
		pass "floor squat: refused from the first booted OS ($f), next boot normal; control: the same squat before the loader's first boot stops every slot"
	else
		fail "floor squat: the second boot" "$(why)"
	fi
}

# 9b. A's state variable, made unusable by root in the OS booted from B:
#     authenticated (root's key), good=2, or the wrong size. A is refused
#     with the reason; the same A reinstalled (a new SHA512.sig: here one
#     more word on its cmdline) has another state name and boots.
state_squat_case() {
	local kind=$1 what=$2 reason=$3 d=$B/vm/state-squat-$1 a a2 b ini name e1 e2 e3
	local vars=$B/vm/state-squat-$1.vars r
	mkdir -p "$d" && rm -f "$d"/SpineSlot* && a=$(slot "squat-$kind-a") &&
		a2=$(slot "squat-$kind-a2" -c "$CMDLINE_BASE testinit.reinstalled=1") &&
		name=SpineSlotA-$(state_hex "$a")-$SQUAT_GUID || return
	case $kind in
	auth) state_bytes "$a" 3 0 >"$d/state" && squat_auth "${name%-"$SQUAT_GUID"}" "$d/state" "$d/$name" ;;
	good2) { printf '\x07\x00\x00\x00' && state_bytes "$a" 3 2; } >"$d/$name" ;;
	size) { printf '\x07\x00\x00\x00' && state_bytes "$a" 3 0 | head -c 39; } >"$d/$name" ;;
	esac || return
	ini=$(squat_initrd "state-$kind" "$d/$name") &&
		b=$(slot "squat-$kind-b" -i "$ini" -c "$CMDLINE_BASE testinit.squat=1 testinit.good=1") &&
		e1=$(esp "squat-$kind-1" -b "$b") && e2=$(esp "squat-$kind-2" -a "$a" -b "$b") &&
		e3=$(esp "squat-$kind-3" -a "$a2" -b "$b") || return
	rm -f "$vars"
	boot "squat-$kind-1" --esp "$e1" --vars "$vars" --until '^testinit: action='
	if [ "$(booted)" != b ] || ! has "testinit: squat $name: ok"; then
		fail "$what" "B's OS did not write $name; $(why)"
		return
	fi
	boot "squat-$kind-2" --esp "$e2" --vars "$vars" --until '^testinit: action='
	r=$(refusal a)
	if [ "$(booted)" != b ] || [ "$r" != "$reason" ]; then
		fail "$what" "A not refused with '$reason'; $(why)"
		return
	fi
	boot "squat-$kind-3" --esp "$e3" --vars "$vars" --until '^testinit: action='
	if [ "$(booted)" = a ] && [ "$(guest_cmdline)" = "$(marked_cmdline "$a2" a)" ] &&
		has "spineboot: (deleted|cannot delete) stale ${name%-"$SQUAT_GUID"}"; then
		pass "$what: A refused ($r); reinstalled, A boots under a new state name ($(lines | grep -Eo 'spineboot: (deleted|cannot delete) stale .*' | head -n 1 | cut -d' ' -f2-))"
	else
		fail "$what: the reinstalled A boots" "$(why)"
	fi
}
case_state_squat_auth() {
	state_squat_case auth "A's state squatted as an authenticated variable" \
		"slot state variable: wrong attributes"
}
case_state_squat_good2() {
	state_squat_case good2 "A's state rewritten with good=2" \
		"slot state variable: field out of range"
}
case_state_squat_size() {
	state_squat_case size "A's state rewritten 39 bytes long" "slot state variable: wrong size"
}

# 10. The cmdline the kernel keeps: the longest signed line mkslot.sh
#     accepts (2005 bytes) reaches the guest whole, marker included (2047
#     bytes); one byte more, and an unbalanced '"', are refused by the loader
#     (the slots are signed by hand: mkslot.sh refuses both itself).
case_cmdline_max() {
	local a e pad want got
	pad=$(head -c $((2005 - ${#CMDLINE_BASE} - 14)) /dev/zero | tr '\0' x)
	a=$(slot cmdline-max -c "$CMDLINE_BASE testinit.pad=$pad") &&
		e=$(esp cmdline-max -a "$a" -b "$GOOD_B") || return
	boot cmdline-max --esp "$e" --until '^testinit: action='
	want=$(marked_cmdline "$a" a)
	got=$(guest_cmdline)
	if [ "$(booted)" != a ] || [ ${#want} != 2047 ] || [ "$got" != "$want" ]; then
		fail "2005-byte cmdline kept whole" "got ${#got} bytes [${got: -60}], want ${#want}; $(why)"
		return
	fi
	pass "a 2005-byte signed cmdline reaches the guest whole: 2047 bytes, marker last"
}
case_cmdline_long() {
	local a
	a=$(copy_slot "$GOOD_A" cmdline-long) &&
		printf '%s testinit.pad=%s\n' "$CMDLINE_BASE" \
			"$(head -c $((2006 - ${#CMDLINE_BASE} - 14)) /dev/zero | tr '\0' x)" >"$a/cmdline" &&
		[ "$(tr -d '\n' <"$a/cmdline" | wc -c)" = 2006 ] && resign "$a" || return
	expect_b "$a" cmdline-long "A's signed cmdline is 2006 bytes" '^cmdline: too long$'
}
case_cmdline_quote() {
	local a
	a=$(copy_slot "$GOOD_A" cmdline-quote) &&
		printf '%s testinit.x="y\n' "$CMDLINE_BASE" >"$a/cmdline" && resign "$a" || return
	expect_b "$a" cmdline-quote "A's signed cmdline has an unbalanced '\"'" \
		'^cmdline: contains a double quote$'
}

# 8b. The firmware's own event log, replayed: testinit prints the log and
#     every sha1/sha256 PCR (testinit.eventlog=1); every PCR the log extends
#     (spineboot's PCR 12 among them) must equal what build/spine-tcglog
#     replays, in both banks. Behind tpm-crb (the pcr case uses both).
case_eventlog() {
	local a e bank got want bad=0 n=0 d=$B/vm/eventlog
	if [ ! -x "$SPINE_TCGLOG" ]; then
		fail "event log replay" "no $SPINE_TCGLOG"
		return
	fi
	a=$(slot eventlog -c "$CMDLINE_BASE testinit.eventlog=1") &&
		e=$(esp eventlog -a "$a" -b "$GOOD_B") || return
	boot eventlog --esp "$e" --tpm-crb --until '^testinit: action='
	mkdir -p "$d"
	lines | sed -n 's/^testinit: eventlog [0-9]* \([0-9a-f]*\)$/\1/p' | xxd -r -p >"$d/log.bin"
	if [ "$(stat -c %s "$d/log.bin")" != "$(lines | sed -n 's/^testinit: eventlog end //p')" ]; then
		fail "event log replay" "the log did not arrive whole; $(why)"
		return
	fi
	for bank in sha1 sha256; do
		got=$("$SPINE_TCGLOG" -r "$bank" "$d/log.bin" 2>&1) || {
			fail "event log replay" "$got"
			return
		}
		while read -r pcr val; do
			n=$((n + 1))
			want=$(lines | sed -n "s/^testinit: pcr $bank $pcr //p")
			[ "$val" = "$want" ] || bad=1
		done <<<"$got"
	done
	if [ "$bad" = 0 ] && [ "$n" -ge 16 ] && grep -q '^12 ' <<<"$got"; then
		pass "the firmware event log replays to the live PCRs: $n PCR values in sha1 and sha256, PCR 12 included"
	else
		fail "event log replay" "$n values compared, a mismatch: $bad; $(why)"
	fi
}

# Longest first: with two at a time, the short refusal cases then fill the
# gaps instead of one long counting run finishing alone.
CASES=(count_good count_hang count_panic count_reboot floor_squat floor_fallback rollback_os rollback
	state_squat_auth state_squat_good2 state_squat_size pcr eventlog good_a loadoptions
	cmdline_max cmdline_long cmdline_quote
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
for f in "$SPINEBOOT" "$KERNEL" "$INITRD" "$SLOT_SEC" "$SLOT_PUB" "$TESTINIT"; do
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
