#!/bin/busybox sh
# The admin environment of check-vm-loader (tests/vm-loader/run.sh): busybox
# as /init runs this as /etc/init.d/rcS, with spinectl, the loader L1 at
# /usr/lib/spine/spineboot.efi, L2, L3 and Lbad under /loaders and the slot
# under /slot. The disk (vda) is GPT with one ESP, vda1; the variables are
# OVMF's, through efivarfs. vmloader.phase= picks what to do:
#   install    install L1 and the slot into a and b
#   cut-file   refusals and --dry-run of update --loader L2, each with the
#              disk and every variable unchanged; then update --loader L2
#              stopped after the new loader's file is written
#   cut-entry  the same, stopped after its Boot#### is written
#   cut-random update --loader L3, cut at a random moment
#   trial      update --loader L2 to the end; status
#   retrial    update --loader L2 again: only BootNext is written
#   fallback   L2 in use: update --loader L2 writes the fallback path, a
#              second run nothing; then both our entries dropped from the
#              store and BootOrder, as firmware drops entries
# Every line for the host starts "vmloader: "; PASS/FAIL lines are checks
# made here.
bb=/bin/busybox
V=/sys/firmware/efi/efivars
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
$bb mkdir -p /proc /sys /dev /tmp /mnt/esp
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t tmpfs tmp /tmp
for m in $($bb cat /lib/modules/*/load.list); do
	$bb insmod "/lib/modules/$($bb uname -r)/$m" 2>/dev/null
done
$bb mount -t efivarfs efivarfs $V
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda1 ] && break; $bb sleep 0.2; done
phase=$($bb sed -n 's/.*vmloader\.phase=\([a-z0-9-]*\).*/\1/p' /proc/cmdline)
say() { echo "vmloader: $*"; }
ok() { say "PASS: $*"; }
bad() { say "FAIL: $*"; }
esp=/mnt/esp
$bb mount -t vfat /dev/vda1 $esp || bad "mount /dev/vda1"
S() { /bin/spinectl --esp-path $esp "$@"; }
hexof() { $bb xxd -p "$1" | $bb tr -d '\n'; }
$bb mkdir -p /tmp/slot && $bb cp /slot/* /tmp/slot/
L1=/usr/lib/spine/spineboot.efi
# "Nothing written": the whole disk with its file system unmounted, and every
# variable.
snap() {
	$bb umount $esp && $bb sync && $bb sha256sum </dev/vda && $bb mount -t vfat /dev/vda1 $esp
	(cd $V && for f in *; do echo "$f $($bb sha256sum <"$f")"; done)
}
expect_refusal() { # NAME ERE COMMAND...
	name=$1 ere=$2
	shift 2
	snap >/tmp/before
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	snap >/tmp/after
	if [ $rc = 1 ] && [ "$($bb wc -l </tmp/err)" = 1 ] && $bb grep -Eq "$ere" /tmp/err &&
		$bb cmp -s /tmp/before /tmp/after; then
		ok "update --loader refuses $name, the disk and every variable unchanged: $($bb cat /tmp/err)"
	else
		bad "update --loader refuses $name: rc=$rc stderr=[$($bb tr '\n' ';' </tmp/err)] $($bb cmp -s /tmp/before /tmp/after || echo 'and the disk or a variable changed')"
	fi
}
status() {
	S status >/tmp/status 2>&1
	while read -r l; do say "status: $l"; done </tmp/status
}
# cut_after ERE LOADER: update --loader stopped after the action of the
# plan (--dry-run) that matches ERE; the hook's line is the host's cue.
cut_after() {
	S --dry-run update --loader "$2" >/tmp/plan 2>&1
	while read -r l; do say "plan: $l"; done </tmp/plan
	n=$($bb grep -E '^would ' /tmp/plan | $bb grep -n -E "$1" | $bb cut -d: -f1)
	if [ -z "$n" ]; then
		bad "no step $1 in the plan"
	else
		say "cutting after action $n"
		SPINECTL_TEST_STOP_AFTER=$n S update --loader "$2"
	fi
}

case $phase in
install)
	if S install --loader $L1 --slot-a /tmp/slot --slot-b /tmp/slot >/tmp/out 2>&1; then
		ok "install: L1, the slot into a and b"
	else
		bad "install: $($bb tr '\n' ';' </tmp/out)"
	fi
	status
	;;
cut-file)
	status
	expect_refusal "a file that is no spineboot" "^spinectl: /bin/busybox: not a spineboot.efi with a key table" \
		S update --loader /bin/busybox
	expect_refusal "a loader under whose keys neither slot verifies" \
		"^spinectl: update --loader: /loaders/lbad.efi: the new loader would boot neither slot \(slot a: .*; slot b: .*\); nothing was written" \
		S update --loader /loaders/lbad.efi
	expect_refusal "--no-variables" "^spinectl: update --loader: .*BootNext.*--no-variables; nothing was written" \
		S --no-variables update --loader /loaders/l2.efi
	snap >/tmp/before
	S --dry-run update --loader /loaders/l2.efi >/tmp/out 2>&1
	rc=$?
	snap >/tmp/after
	acts=$($bb grep '^would ' /tmp/out | $bb sed -E 's/^would (write|set) ([^ ]*).*/\1 \2/; s#[^ ]*/EFI/#/EFI/#; s/Boot[0-9A-F]{4}/Boot####/' | $bb tr '\n' ,)
	want="write /EFI/spine/spineboot-2.efi,set Boot####,set BootNext,"
	if [ $rc = 0 ] && [ "$acts" = "$want" ] && $bb cmp -s /tmp/before /tmp/after; then
		ok "update --loader --dry-run: $acts the whole disk and every variable byte for byte unchanged"
	else
		bad "update --loader --dry-run: rc=$rc [$acts] want [$want] $($bb cmp -s /tmp/before /tmp/after || echo 'and the disk or a variable changed')"
	fi
	cut_after 'spineboot-2.efi' /loaders/l2.efi
	;;
cut-entry)
	cut_after '^would set Boot[0-9A-F]{4} ' /loaders/l2.efi
	;;
cut-random)
	S update --loader /loaders/l3.efi &
	# 0 to 1.275 s: the whole update (about 100 KiB and two variables)
	# takes about that long under TCG.
	ms=$(($($bb head -c 1 /dev/urandom | $bb od -An -tu1 | $bb tr -d ' ') * 5))
	$bb usleep $((ms * 1000))
	say "cut now, $ms ms into the update"
	wait
	;;
trial)
	S update --loader /loaders/l2.efi >/tmp/out 2>&1
	rc=$?
	while read -r l; do say "update: $l"; done </tmp/out
	status
	if [ $rc = 0 ] && $bb cmp -s $esp/EFI/spine/spineboot-2.efi /loaders/l2.efi &&
		$bb cmp -s $esp/EFI/spine/spineboot.efi $L1 &&
		$bb grep -q '^loader: .*/EFI/spine/spineboot.efi,' /tmp/status &&
		$bb grep -q '^other loader: .*/EFI/spine/spineboot-2.efi, Boot[0-9A-F]\{4\}, starts once at the next boot (BootNext)' /tmp/status; then
		ok "update --loader L2: L2 in spineboot-2.efi, L1 (in use) untouched, BootNext to L2's entry"
	else
		bad "update --loader L2: rc=$rc status [$($bb tr '\n' ';' </tmp/status)]"
	fi
	;;
retrial)
	S update --loader /loaders/l2.efi >/tmp/out 2>&1
	rc=$?
	while read -r l; do say "update: $l"; done </tmp/out
	acts=$($bb grep -E '^(write|set|delete) ' /tmp/out | $bb sed -E 's/Boot[0-9A-F]{4}/Boot####/' | $bb tr '\n' ,)
	if [ $rc = 0 ] && [ "$acts" = "set BootNext to Boot####," ]; then
		ok "update --loader L2 after a trial that was cut: only BootNext written again"
	else
		bad "update --loader L2 again: rc=$rc [$acts]"
	fi
	;;
fallback)
	status
	$bb grep -q '^loader: .*/EFI/spine/spineboot-2.efi,' /tmp/status &&
		ok "status: the loader in use is spineboot-2.efi (L2)" || bad "status after the promotion"
	S update --loader /loaders/l2.efi >/tmp/out 2>&1
	rc=$?
	while read -r l; do say "update: $l"; done </tmp/out
	if [ $rc = 0 ] && $bb grep -q '^write .*/EFI/BOOT/BOOTX64.EFI' /tmp/out &&
		$bb cmp -s $esp/EFI/BOOT/BOOTX64.EFI /loaders/l2.efi; then
		ok "update --loader L2 with L2 in use: the fallback path (ours) now holds L2, written last"
	else
		bad "update --loader L2 (fallback): rc=$rc [$($bb tr '\n' ';' </tmp/out)]"
	fi
	S update --loader /loaders/l2.efi >/tmp/out 2>&1
	$bb grep -q '^updated already' /tmp/out && ! $bb grep -qE '^(write|set|delete) ' /tmp/out &&
		ok "a second run: updated already, nothing written" || bad "second run: [$($bb tr '\n' ';' </tmp/out)]"
	# The firmware loses our entries: gone from the store and BootOrder.
	# Ours are those whose File() path holds "spine\spineboot" (UTF-16).
	o=$(hexof "$V/BootOrder-$G")
	keep=07000000
	for n in $(echo "${o#07000000}" | $bb sed 's/..../& /g'); do
		num=Boot$(echo "$n" | $bb sed 's/\(..\)\(..\)/\2\1/' | $bb tr a-f A-F)
		if [ -f "$V/$num-$G" ] && hexof "$V/$num-$G" | $bb grep -q '7300700069006e0065005c007300700069006e00650062006f006f007400'; then
			$bb rm -f "$V/$num-$G" && say "dropped $num"
		else
			keep=$keep$n
		fi
	done
	echo "$keep" | $bb xxd -r -p >/tmp/order && $bb cat /tmp/order >"$V/BootOrder-$G"
	S status >/tmp/status 2>&1
	$bb grep -q '^boot entry: none' /tmp/status && ok "our entries dropped as firmware drops them (BootOrder $(hexof "$V/BootOrder-$G"))" ||
		bad "dropping our entries: [$($bb tr '\n' ';' </tmp/status)]"
	;;
esac
$bb umount $esp
$bb sync
say "done"
$bb poweroff -f
