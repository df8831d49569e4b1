# shellcheck shell=bash
# tests/vm/lib.sh: helpers for the loader scenario tests (sourced, not run).
#
# A scenario builds its own slots (build/slots/vm-<name>-*) and ESP
# (build/esp/vm-<name>.img) from one shared kernel and test initrd, boots it
# with ovmf/run.sh (log: build/vm/<name>.log) and asserts on the serial log.
# Every case prints exactly one PASS/FAIL line (tests/run-checks.sh counts
# them); any helper that fails makes the case fail, never skip.

B=${B:-build}
KERNEL=${KERNEL:-$B/kernel/vmlinuz}
INITRD=${INITRD:-$B/initrd/testinit.img}
SPINEBOOT=${SPINEBOOT:-$B/efi/spineboot.efi}
SPINE_PCR=${SPINE_PCR:-$B/spine-pcr}
TESTINIT=${TESTINIT:-$B/tests/testinit}
SPINE_TCGLOG=${SPINE_TCGLOG:-$B/spine-tcglog}
KERNEL_DIR=${KERNEL_DIR:-$B/kernel}
SLOT_SEC=${SLOT_SEC:-keys/dev/spine-slot-DEVELOPMENT.sec}
SLOT_PUB=${SLOT_PUB:-keys/dev/spine-slot-DEVELOPMENT.pub}
# Per boot: OVMF + loader + kernel to testinit take 10-15 s here (TCG);
# cases with several boots in one run give their own --timeout.
VM_TIMEOUT=${VM_TIMEOUT:-120}

# The signed cmdline of the scenario slots. quiet: the kernel's own chatter
# costs seconds over an emulated UART and no test reads it.
CMDLINE_BASE="console=ttyS0 quiet panic=-1"

# say KIND CASE [DETAIL]: one result line, with the case's wall time.
case_start() { case_t0=$SECONDS; }
pass() { echo "PASS: vm: $1 ($((SECONDS - case_t0)) s)"; }
fail() { echo "FAIL: vm: $1${2:+: $2} ($((SECONDS - case_t0)) s)"; }

# slot NAME [mkslot options]: build/slots/vm-NAME from the shared kernel and
# test initrd, signed with the slot key; options override the defaults
# (-c cmdline, -v version, -t tries, -k, -i, -s, -p).
slot() {
	local name=$1
	shift
	image/mkslot.sh -o "$B/slots/vm-$name" -k "$KERNEL" -i "$INITRD" \
		-c "$CMDLINE_BASE" -v 1 -s "$SLOT_SEC" -p "$SLOT_PUB" "$@" >&2 &&
		echo "$B/slots/vm-$name"
}

# copy_slot FROM NAME: a copy of a slot folder to tamper with.
copy_slot() {
	local to=$B/slots/vm-$2
	rm -rf "$to" && cp -r "$1" "$to" && echo "$to"
}

# flip FILE [OFFSET]: XOR one byte with 0x01 (default: the middle byte).
flip() {
	local f=$1 off=${2:-} size byte
	size=$(stat -c %s "$f")
	[ "$size" -gt 0 ] || return 1
	[ -n "$off" ] || off=$((size / 2))
	byte=$(od -An -tu1 -j "$off" -N 1 "$f" | tr -d ' ')
	printf "\\x$(printf %02x $((byte ^ 1)))" |
		dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# esp NAME [mkesp options]: build/esp/vm-NAME.img with spineboot.
esp() {
	local name=$1
	shift
	image/mkesp.sh -o "$B/esp/vm-$name.img" -l "$SPINEBOOT" "$@" >&2 &&
		echo "$B/esp/vm-$name.img"
}

# boot NAME [run.sh options]: runs the harness, log in build/vm/NAME.log;
# sets $end (poweroff, resets, matched, crash, timeout, error), $seconds
# (whole seconds the VM ran) and $log.
boot() {
	local name=$1
	shift
	log=$B/vm/$name.log
	mkdir -p "$B/vm"
	local last
	last=$(ovmf/run.sh --log "$log" --timeout "$VM_TIMEOUT" "$@" 2>>"$B/vm/$name.err" |
		tail -n 1) || true
	end=$(sed -n 's/^ovmf: end=\([a-z]*\) .*/\1/p' <<<"$last")
	seconds=$(sed -n 's/.* seconds=\([0-9]*\).*/\1/p' <<<"$last")
	[ -n "$end" ] || end=error
}

# Lines of the log without the harness's time stamps and the firmware's ANSI
# screen sequences (which can share a line with the loader's first words).
lines() { sed -E 's/^\[ *[0-9.]*\] //; s/\x1b\[[0-9;=?]*[A-Za-z]//g' "$log" | tr -d '\r'; }
# has ERE: the log has a line matching ERE (anchored at the line's start).
has() { lines | grep -Eq "^$1"; }
count() { lines | grep -Ec "^$1" || true; }
# The guest's /proc/cmdline as testinit printed it (the first, or the Nth).
guest_cmdline() { lines | sed -n 's/^testinit: cmdline=//p' | sed -n "${1:-1}p"; }
# The signed cmdline of a slot folder, as the loader passes it on.
signed_cmdline() { tr -d '\n' <"$1/cmdline"; }
# The hex suffix of a slot install's state variable: the first 8 bytes of
# SHA-512(SHA512.sig) (docs/boot.md, "Attempts, good and the rollback floor").
state_hex() { sha512sum "$1/SHA512.sig" | cut -c1-16; }
# What the guest's /proc/cmdline must be for slot folder $1 booted as $2.
marked_cmdline() { echo "$(signed_cmdline "$1") spine.slot=$2 spine.state=$(state_hex "$1")"; }
# resign DIR: sign whatever the four files of a slot folder now hold, with
# no check of the cmdline rules (mkslot.sh refuses what a test may need).
resign() {
	(cd "$1" && sha512sum --tag vmlinuz initrd.img cmdline slot.conf) >"$1.list" &&
		rm -f "$1/SHA512.sig" &&
		signify-openbsd -S -e -s "$SLOT_SEC" -m "$1.list" -x "$1/SHA512.sig" && rm "$1.list"
}
# The reason spineboot gave for refusing slot X.
refusal() { lines | sed -n "s/^spineboot: slot $1: refused: //p" | head -n 1; }
# The slot spineboot chose, in order, one per boot: "a b b".
booted() { lines | sed -n 's/^spineboot: booting slot \([ab]\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
# tries_left of slot X as testinit saw it, one per boot: "2 1 0".
tries_seen() {
	lines | sed -n "s/^testinit: SpineSlot${1^^}: .*tries_left=\([0-9]*\).*/\1/p" | tr '\n' ' ' | sed 's/ $//'
}
# Why a case failed, in a few words, from the log.
why() {
	local b
	b=$(booted)
	echo "end=$end booted=[${b}] refusals=[a: $(refusal a); b: $(refusal b)] tries_left of A seen=[$(tries_seen a)] log $log"
}
