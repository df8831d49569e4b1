#!/usr/bin/env bash
# tests/vm-umbcut/run.sh: power cuts during an Umbilical transfer, in the VM
# (docs/umbilical.md, "Power cuts"). Issue 10's case: "QEMU killed at a few
# chosen and a few random points during a transfer of a large file: after
# reboot the receiver has nothing or the whole file, never a part, and
# /persist is clean."
#
#   run.sh --kernel VMLINUZ --cmdline CMDLINE --spines DIR
#
# DIR holds the power-cut Spines (tests/vm-umbcut/umbcut.mk): DIR/POINT/
# initrd.img for POINT mid-copy, staged, owned and linked (whose bay0 stalls
# there: test-umbilical-stall), DIR/plain/initrd.img (no stall) and
# DIR/swap/initrd.img (stalls mid-copy for 10 s; its cutsrc swaps its
# outbox for a symbolic link meanwhile). Each
# boots directly (-kernel, under OVMF): the loader is not what is tested.
#
# One /persist disk for all the boots. cutsrc's outbox holds big-1.bin ..
# big-6.bin, 4 MiB each, made here (their SHA-512 known). In every boot
# cutrcv asks for the first of them its inbox lacks; this script plays the
# person at bay0's console and types Y at the prompt (typed through QEMU's
# monitor). Seven boots, each ended by a power cut (SIGKILL of QEMU):
#  1-4. the stall Spines, cut at bay0's "TEST: umbilical stalls at POINT"
#       (at staged 8 s later, past the 5 s watchdog: bay0 feeds it while
#       stalled, so the cut, not a reset, ends the run);
#  5.   a random moment of the staging copy (the request line, then a delay
#       drawn from the copy's time as boot 3 measured it);
#  6.   a random moment of the delivery (the prompt, then a delay from the
#       Y typed to a second past the link, as boot 4 measured it);
#  7.   the swap Spine: bay0 stalls mid-copy for 10 s, cutsrc swaps its
#       outbox folder for a symbolic link to it meanwhile; the resumed copy
#       must be refused (swapped), and cutrcv's next request too (a link
#       on the way, never followed); nothing delivered. Stopped there.
# After each boot the disk is read on the host (a copy, its journal
# replayed as the next mount would): e2fsck -fn must find nothing, the
# inbox must hold only whole files (SHA-512 of the outbox's), and it must
# gain nothing at mid-copy, staged and owned and the whole file at linked.
# The next boot must sweep exactly what /persist/transfer held; after the
# last one it is empty, and each delivered file has one link, mode 0600,
# cutrcv's uid.
#
# UMBCUT_SEED (printed) picks the random delays; set it to replay a run.
# One PASS/FAIL line per check; exit 1 if any failed. Logs: build/vm-umbcut/.
set -uo pipefail
cd "$(dirname "$0")/../.."

kernel='' cmdline='' spines=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2 ;;
	--cmdline) cmdline=$2 ;;
	--spines) spines=$2 ;;
	*) echo "run.sh: unknown option $1" >&2 && exit 2 ;;
	esac
	shift 2
done
[ -f "$kernel" ] && [ -n "$cmdline" ] && [ -d "$spines" ] || {
	echo "usage: run.sh --kernel K --cmdline C --spines DIR" >&2
	exit 2
}
for s in mid-copy staged owned linked plain swap; do
	[ -f "$spines/$s/initrd.img" ] || {
		echo "run.sh: $spines/$s/initrd.img: missing (make it with tests/vm-umbcut/umbcut.mk)" >&2
		exit 2
	}
done
out=build/vm-umbcut
rm -rf "$out" && mkdir -p "$out"
# A copy of the harness: an edit to ovmf/run.sh during a boot cannot
# change the run in progress.
harness=$out/ovmf-run.sh
cp ovmf/run.sh "$harness"
failed=0 npass=0 nfail=0 vm_s=0
pass() {
	echo "PASS: umbcut: $*"
	npass=$((npass + 1))
}
fail() {
	echo "FAIL: umbcut: $*"
	failed=1
	nfail=$((nfail + 1))
}
plain() { sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$1"; }
# The harness's time stamp (seconds) of the first line matching ERE.
stamp() { grep -aE -- "$2" "$1" | head -n 1 | sed -nE 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/p'; }

seed=${UMBCUT_SEED:-$(($(date +%s) % 100000))}
[[ $seed =~ ^[0-9]+$ ]] || {
	echo "run.sh: UMBCUT_SEED must be a number: $seed" >&2
	exit 2
}
echo "umbcut: UMBCUT_SEED=$seed (replay: UMBCUT_SEED=$seed make check-vm-umbcut)"
RANDOM=$seed
# A fraction in [0, 1) with three decimals, from the seeded $RANDOM.
frac() { printf '0.%03d' $((RANDOM % 1000)); }

# ---- the /persist disk: cutsrc's outbox of six 4 MiB files
NFILES=6 SIZE=$((4 << 20))
tree=$out/ptree
mkdir -p "$tree/cutsrc/outbox"
python3 - "$tree/cutsrc/outbox" $NFILES $SIZE <<'PY' || exit 1
import random, sys
for i in range(1, int(sys.argv[2]) + 1):
    with open(f"{sys.argv[1]}/big-{i}.bin", "wb") as f:
        f.write(random.Random(i).randbytes(int(sys.argv[3])))
PY
for i in $(seq $NFILES); do
	sha512sum "$tree/cutsrc/outbox/big-$i.bin" | cut -d' ' -f1 >"$out/big-$i.sha512"
done
persist=$out/persist.img
image/spine/mkpersist.sh -o "$persist" -d "$tree" -s 128 >/dev/null || {
	fail "could not make the /persist disk"
	exit 1
}
rm -rf "$tree"
read -r pstart psize < <(sfdisk -d "$persist" | sed -nE 's/.*start= *([0-9]+), size= *([0-9]+).*name="persist".*/\1 \2/p')

key() { tests/lib/sendkey.sh "$1" "$2" || echo "umbcut: could not send $2"; }

# The person at the console: Y 2.5 s after the prompt stands (again 3 s
# later while undecided: a redraw restarts bay0's wait), until the run ends.
person() {
	local log=$1 sock=$2 note=$3
	for _ in $(seq 400); do
		grep -q 'ovmf: end=' "$log" 2>/dev/null && return
		if plain "$log" 2>/dev/null | grep -q '^bay0: umbilical: press Y'; then
			sleep 2.5
			for _ in 1 2 3 4; do
				grep -q 'ovmf: end=\|ovmf: power cut' "$log" && return
				key "$sock" shift-y
				echo "typed Y at ${SECONDS}" >>"$note"
				sleep 3
				plain "$log" | grep -qE '^bay0: umbilical: request [0-9]+: (accepted|denied|timed out)|TEST: umbilical stalls' &&
					return
			done
			return
		fi
		sleep 0.3
	done
}

# The persist file system as the next mount sees it: a copy, journal
# replayed. Sets fs; checks that e2fsck then finds nothing.
fs=$out/persist.fs
read_disk() {
	local what=$1
	dd if="$persist" of="$fs" bs=512 skip="$pstart" count="$psize" status=none
	e2fsck -E journal_only -y "$fs" >"$out/$what.journal.txt" 2>&1
	if e2fsck -fn "$fs" >"$out/$what.e2fsck.txt" 2>&1; then
		pass "$what: /persist is clean (e2fsck -fn after the journal replay finds nothing)"
	else
		fail "$what: e2fsck -fn after the journal replay: $(tail -n 3 "$out/$what.e2fsck.txt" | tr '\n' ' ')"
	fi
}
entries() { # entries DIR: names in DIR of $fs, one a line
	debugfs -R "ls -p $1" "$fs" 2>/dev/null | awk -F/ '$6 != "" && $6 != "." && $6 != ".." { print $6 }'
}
# The inbox: every file in it must be a whole big-N.bin. Prints the names.
inbox_whole() {
	local what=$1 n bad=''
	for n in $(entries /cutrcv/inbox); do
		debugfs -R "dump /cutrcv/inbox/$n $out/got" "$fs" >/dev/null 2>&1
		case $n in
		big-[0-9].bin) ;;
		*)
			bad+=" $n (not a file the outbox offered)"
			continue
			;;
		esac
		[ "$(sha512sum <"$out/got" | cut -d' ' -f1)" = "$(cat "$out/${n%.bin}.sha512")" ] ||
			bad+=" $n ($(stat -c %s "$out/got") bytes, SHA-512 not the source's)"
		echo "$n"
	done
	rm -f "$out/got"
	[ -z "$bad" ] || echo "PART:$bad"
}

inbox_before='' staged_before=0 boot=0
# boot WHAT SPINE CUT_ERE CUT_AFTER: one boot on the disk, cut as said.
run_boot() {
	local what=$1 spine=$2 ere=$3 after=$4 d rc start
	boot=$((boot + 1))
	d=$out/$boot-$what
	mkdir -p "$d"
	person "$d/boot.log" "$d/monitor.sock" "$d/person.txt" &
	local pp=$!
	start=$SECONDS
	local how=(--cut-on "$ere" --cut-after "$after")
	[ "$what" != swap ] || how=(--until "$ere")
	flock /tmp/spine-vm.lock "$harness" --seabios --kernel "$kernel" --initrd "$spines/$spine/initrd.img" \
		--append "$cmdline" --persist "$persist" --watchdog --log "$d/boot.log" --timeout 150 \
		--max-boots 1 "${how[@]}" -- -smp 2 -monitor "unix:$d/monitor.sock,server=on,wait=off" \
		>"$d/harness.txt" 2>&1
	rc=$?
	wait "$pp" 2>/dev/null
	local secs
	secs=$(sed -nE 's/^ovmf: end=.* seconds=([0-9]+)\..*/\1/p' "$d/harness.txt" | tail -n 1)
	vm_s=$((vm_s + ${secs:-0}))
	echo "umbcut: boot $boot ($what, spine $spine): $(tail -n 1 "$d/harness.txt")"
	plain "$d/boot.log" >"$d/boot.plain"
	L=$d/boot.plain
	BOOT_RC=$rc
	# The sweep of what the previous cut left.
	local swept
	swept=$(sed -nE 's/^bay0: umbilical: swept ([0-9]+) leftover\(s\) from \/persist\/transfer$/\1/p' "$L" | head -n 1)
	if [ "$boot" -gt 1 ]; then
		if [ "${swept:-0}" = "$staged_before" ]; then
			pass "$what: at start-up bay0 swept the $staged_before leftover(s) the previous cut left in /persist/transfer"
		else
			fail "$what: the previous cut left $staged_before in /persist/transfer, bay0 swept ${swept:-none}"
		fi
	fi
}

# after_cut WHAT EXPECT: the disk after a cut. EXPECT: none (the inbox
# gained nothing), whole (it gained the file asked for, whole) or either.
after_cut() {
	local what=$1 expect=$2 now asked gained part staged
	read_disk "$what"
	now=$(inbox_whole "$what")
	part=$(grep '^PART:' <<<"$now")
	now=$(grep -v '^PART:' <<<"$now" | sort | tr '\n' ' ')
	asked=$(sed -nE 's/^bay0: \[cutrcv\] pvm: cut-asking: (big-[0-9]+\.bin)$/\1/p' "$L" | head -n 1)
	gained=$(comm -13 <(tr ' ' '\n' <<<"$inbox_before" | sed '/^$/d') <(tr ' ' '\n' <<<"$now" | sed '/^$/d') | tr '\n' ' ')
	gained=${gained% }
	if [ -n "$part" ]; then
		fail "$what: a part in the inbox: ${part#PART:}"
	elif [ -z "$asked" ]; then
		fail "$what: cutrcv never asked (no 'cut-asking' line)"
	elif [ "$expect" = none ] && [ -z "$gained" ]; then
		pass "$what: the inbox has nothing of $asked (and every file in it is whole)"
	elif [ "$expect" = whole ] && [ "$gained" = "$asked" ]; then
		pass "$what: the inbox has $asked whole (SHA-512 = the outbox's)"
	elif [ "$expect" = either ] && { [ -z "$gained" ] || [ "$gained" = "$asked" ]; }; then
		if [ -n "$gained" ]; then
			pass "$what: the inbox has $asked whole (SHA-512 = the source's), never a part"
		else
			pass "$what: the inbox has nothing of $asked, never a part"
		fi
	else
		fail "$what: want $expect of $asked, the inbox gained '${gained}'"
	fi
	inbox_before=$now
	staged=$(entries /transfer | wc -l)
	staged_before=$staged
	echo "umbcut: $what: /persist/transfer holds $staged after the cut; inbox: ${now:-empty}"
}

# 1-4: the chosen points.
for point in mid-copy staged owned linked; do
	after=0
	[ "$point" != staged ] || after=8
	run_boot "$point" "$point" "TEST: umbilical stalls at $point" "$after"
	if [ "$BOOT_RC" = 4 ] && grep -qE "^bay0: TEST: umbilical stalls at $point " "$L"; then
		pass "$point: bay0 stalled there and the power was cut ($after s later)"
	else
		fail "$point: no stall at $point and cut (ovmf rc $BOOT_RC: $(tail -n 1 "$out/$boot-$point/harness.txt"))"
	fi
	[ "$point" != staged ] || {
		[ "$BOOT_RC" = 4 ] && pass "staged: stalled 8 s with a 5 s watchdog and no reset: bay0 fed it while stalled" ||
			fail "staged: the run did not end by the cut 8 s after the stall (rc $BOOT_RC)"
	}
	case $point in
	mid-copy | staged | owned) after_cut "$point" none ;;
	linked) after_cut "$point" whole ;;
	esac
	# The staging copy's time (request to prompt) and the delivery's
	# (prompt to the link), for the random cuts' windows.
	t_req=$(stamp "$out/$boot-$point/boot.log" "request [0-9]+: cutrcv asks for 'big-")
	t_prompt=$(stamp "$out/$boot-$point/boot.log" 'bay0: umbilical: press Y')
	t_stall=$(stamp "$out/$boot-$point/boot.log" 'TEST: umbilical stalls at')
	[ "$point" != owned ] || copy_w=$(awk -v a="$t_req" -v b="$t_prompt" 'BEGIN { w = b - a; printf "%.3f", (w > 0.2 ? w : 2) }')
	[ "$point" != linked ] || deliver_w=$(awk -v a="$t_prompt" -v b="$t_stall" 'BEGIN { w = b - a + 1; printf "%.3f", (w > 3 ? w : 8) }')
done

# 5: a random moment of the staging copy.
d5=$(awk -v w="${copy_w:-2}" -v f="$(frac)" 'BEGIN { printf "%.3f", w * f }')
echo "umbcut: random cut 1: ${d5} s after the request (the staging copy took ${copy_w:-?} s in boot 3)"
run_boot random-copy plain "request [0-9]+: cutrcv asks for 'big-" "$d5"
[ "$BOOT_RC" = 4 ] && pass "random-copy: the power cut ${d5} s after the request" ||
	fail "random-copy: no cut (ovmf rc $BOOT_RC)"
after_cut random-copy either

# 6: a random moment of the delivery.
# The person types Y 2.5 s after the prompt: the cut falls between that and
# a second after the link as boot 4 timed it.
d6=$(awk -v w="${deliver_w:-8}" -v f="$(frac)" 'BEGIN { printf "%.3f", 2.5 + (w - 2.5) * f }')
echo "umbcut: random cut 2: ${d6} s after the prompt (Y at 2.5 s; the link at $(awk -v w="${deliver_w:-9}" 'BEGIN { print w - 1 }') s in boot 4)"
run_boot random-deliver plain 'bay0: umbilical: press Y' "$d6"
[ "$BOOT_RC" = 4 ] && pass "random-deliver: the power cut ${d6} s after the prompt" ||
	fail "random-deliver: no cut (ovmf rc $BOOT_RC)"
after_cut random-deliver either

# 7: the outbox swapped for a symbolic link while the copy is stalled.
run_boot swap swap "bay0: \\[cutrcv\\] pvm: cut-pull-again: " 0
[ "$BOOT_RC" = 3 ] && pass "swap: cutrcv asked twice and had its answers (ovmf rc 3)" ||
	fail "swap: no second answer (ovmf rc $BOOT_RC: $(tail -n 1 "$out/$boot-swap/harness.txt"))"
ln_of() { grep -naE -- "$1" "$L" | head -n 1 | cut -d: -f1; }
l_stall=$(ln_of '^bay0: TEST: umbilical stalls at mid-copy .* for 10 s$')
l_swap=$(ln_of '^bay0: \[cutsrc\] pvm: cut-swapped: ok ')
l_resume=$(ln_of '^bay0: TEST: umbilical resumes at mid-copy$')
l_ref=$(ln_of "^bay0: umbilical: request [0-9]+: cutrcv asks for 'big-[0-9]+\.bin' from cutsrc: refused: the source was swapped during the copy$")
# cutsrc's line is relayed only once bay0's loop turns again, after the
# refusal; the refusal itself says the swap came between the open and the
# check after the copy, i.e. while bay0 was stalled (an earlier swap is
# refused at the open, a later one lets the copy through to a prompt).
if [ -n "$l_stall" ] && [ -n "$l_swap" ] && [ -n "$l_resume" ] && [ -n "$l_ref" ] &&
	[ "$l_stall" -lt "$l_resume" ] && [ "$l_resume" -lt "$l_ref" ]; then
	pass "swap: the outbox swapped for a symbolic link while bay0 stalled mid-copy; the resumed copy is refused: the source was swapped during the copy"
else
	fail "swap: stall at line ${l_stall:-none}, resume ${l_resume:-none}, refusal ${l_ref:-none} (want this order), cutsrc's swap at ${l_swap:-none}"
fi
check_line() { if grep -qaE -- "$2" "$L"; then pass "$1"; else fail "$1 (no line /$2/)"; fi; }
check_line "swap: the next request is refused: a symbolic link on the way, never followed" \
	"^bay0: umbilical: request [0-9]+: cutrcv asks for 'big-[0-9]+\.bin' from cutsrc: refused: a symbolic link on the way to the file \(never followed\)$"
if grep -qaE '^bay0: umbilical: ---- transfer request ' "$L"; then
	fail "swap: a prompt was drawn for a swapped source"
else
	pass "swap: no prompt was drawn: nothing for the person to accept"
fi
after_cut swap none
left=$(entries /transfer | tr '\n' ' ')
if [ -z "$left" ]; then
	pass "swap: /persist/transfer is empty: the previous cut's leftover swept, the refused copies removed"
else
	fail "swap: /persist/transfer holds '${left}'"
fi
uid_rcv=$(debugfs -R 'stat /cutrcv' "$fs" 2>/dev/null | sed -nE 's/^User: *([0-9]+).*/\1/p')
bad='' n=0
for f in $(entries /cutrcv/inbox); do
	st=$(debugfs -R "stat /cutrcv/inbox/$f" "$fs" 2>/dev/null)
	n=$((n + 1))
	[[ $st =~ Type:\ regular ]] && [[ $st =~ Mode:\ +0600 ]] && [[ $st =~ Links:\ 1[^0-9] ]] &&
		[[ $st =~ User:\ +$uid_rcv[^0-9] ]] && [ "$uid_rcv" != 0 ] ||
		bad+=" $f"
done
if [ "$n" -ge 1 ] && [ -z "$bad" ]; then
	pass "the $n delivered file(s): regular, mode 0600, one link (the staged name swept), cutrcv's uid $uid_rcv"
else
	fail "delivered files $n, wrong type, mode, links or owner:${bad:- none delivered}"
fi
rm -f "$fs"
echo "umbcut: $npass PASS, $nfail FAIL, VM time ${vm_s} s over $boot boots (UMBCUT_SEED=$seed)"
exit $failed
