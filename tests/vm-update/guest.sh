#!/bin/busybox sh
# The admin environment of check-vm-update (tests/vm-update/run.sh): busybox
# as /init runs this as /etc/init.d/rcS, with spinectl, the loader and the
# slots' files under /slots (one kernel for all: /slots/vmlinuz). The disk
# (vda) is GPT with one ESP, vda1; the variables are OVMF's, through
# efivarfs. vmupdate.phase= picks what to do:
#   install  install v2 into a, v1 into b; update --dry-run v3 leaves the
#            whole disk and every variable byte for byte
#   update   after a booted: a downgrade and a tampered slot refused, the
#            disk and the variables unchanged; update v3; status
#   cut-AT   update v4 and stop at AT (b-sig: after b's SHA512.sig is
#            deleted; a-initrd: after a's initrd is written; random: a
#            random moment) for the host to kill the machine
#   finish   update v4 to the end; status
# Every line for the host starts "vmupdate: "; PASS/FAIL lines are checks
# made here.
bb=/bin/busybox
V=/sys/firmware/efi/efivars
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
arg() { $bb sed -n "s/.*vmupdate\.$1=\([a-z0-9-]*\).*/\1/p" /proc/cmdline; }
phase=$(arg phase)
say() { echo "vmupdate: $*"; }
ok() { say "PASS: $*"; }
bad() { say "FAIL: $*"; }
esp=/mnt/esp
$bb mount -t vfat /dev/vda1 $esp || bad "mount /dev/vda1"
S() { /bin/spinectl --esp-path $esp "$@"; }
# The slots, each made of the one kernel and its own other files.
for v in 1 2 3 4 tampered; do
	$bb mkdir -p /tmp/v$v
	$bb cp /slots/vmlinuz /tmp/v$v/vmlinuz
	for f in initrd.img cmdline slot.conf SHA512.sig; do $bb cp /slots/v$v.$f /tmp/v$v/$f; done
done
# "Nothing written": the whole disk with its file system unmounted, and every
# variable.
snap() {
	$bb umount $esp && $bb sync && $bb sha256sum </dev/vda && $bb mount -t vfat /dev/vda1 $esp
	(cd $V && for f in *; do echo "$f $($bb sha256sum <"$f")"; done)
}
# expect_refusal NAME ERE COMMAND...: exit 1, one line on stderr matching
# ERE, the disk and the variables unchanged.
expect_refusal() {
	name=$1 ere=$2
	shift 2
	snap >/tmp/before
	"$@" >/tmp/out 2>/tmp/err
	rc=$?
	snap >/tmp/after
	if [ $rc = 1 ] && [ "$($bb wc -l </tmp/err)" = 1 ] && $bb grep -Eq "$ere" /tmp/err &&
		$bb cmp -s /tmp/before /tmp/after; then
		ok "update refuses $name, the disk and every variable unchanged: $($bb cat /tmp/err)"
	else
		bad "update refuses $name: rc=$rc stderr=[$($bb tr '\n' ';' </tmp/err)] $($bb cmp -s /tmp/before /tmp/after || echo 'and the disk or a variable changed')"
	fi
}
status() {
	S status >/tmp/status 2>&1
	while read -r l; do say "status: $l"; done </tmp/status
}

case $phase in
install)
	if S install --slot-a /tmp/v2 --slot-b /tmp/v1 >/tmp/out 2>&1; then
		ok "install: v2 into a, v1 into b"
	else
		bad "install: $($bb tr '\n' ';' </tmp/out)"
	fi
	snap >/tmp/before
	S --dry-run update /tmp/v3 >/tmp/out 2>&1
	rc=$?
	snap >/tmp/after
	if [ $rc = 0 ] && $bb grep -q '^would write .*spine/a/SHA512.sig' /tmp/out &&
		! $bb grep -q '^would .*spine/b/' /tmp/out && $bb cmp -s /tmp/before /tmp/after; then
		ok "update --dry-run (neither slot good yet: b stays, a rewritten): $($bb wc -l </tmp/out) lines, the whole disk and every variable byte for byte unchanged"
	else
		bad "update --dry-run: rc=$rc [$($bb tr '\n' ';' </tmp/out)] $($bb cmp -s /tmp/before /tmp/after || echo 'and the disk or a variable changed')"
	fi
	;;
update)
	status
	expect_refusal "a downgrade below the good version" \
		"update: /tmp/v1: version 1 is below the good version 2; nothing was written" S update /tmp/v1
	expect_refusal "a tampered slot" \
		"update: /tmp/vtampered: the loader would refuse it: cmdline: hash mismatch; nothing was written" \
		S update /tmp/vtampered
	S update /tmp/v3 >/tmp/out 2>&1
	rc=$?
	while read -r l; do say "update: $l"; done </tmp/out
	# B first (a's files, SHA512.sig gone first and back last), then A.
	acts=$($bb grep -E '^(delete|write) ' /tmp/out | $bb sed -E 's#^(delete|write) [^ ]*/spine/([ab]/[^ ]*).*#\1 \2#' | $bb tr '\n' ',')
	want="delete b/SHA512.sig,write b/slot.conf,write b/SHA512.sig,delete a/SHA512.sig,write a/initrd.img,write a/slot.conf,write a/SHA512.sig,"
	if [ $rc = 0 ] && [ "$acts" = "$want" ]; then
		ok "update v3 with a good: b made a's copy, then a, each SHA512.sig deleted first and written last ($acts)"
	else
		bad "update v3: rc=$rc actions [$acts], want [$want]"
	fi
	status
	if $bb grep -q '^slot a: version 3, verifies, not booted yet' /tmp/status &&
		$bb grep -q '^slot b: version 2, verifies, not booted yet' /tmp/status; then
		ok "after update: a holds v3 (fresh), b holds v2, the previous good version"
	else
		bad "after update: status [$($bb tr '\n' ';' </tmp/status)]"
	fi
	;;
cut-*)
	at=${phase#cut-}
	S --dry-run update /tmp/v4 >/tmp/plan 2>&1
	while read -r l; do say "plan: $l"; done </tmp/plan
	case $at in
	b-sig) pat='^would delete .*/spine/b/SHA512.sig' ;;
	a-initrd) pat='^would write .*/spine/a/initrd.img' ;;
	*) pat= ;;
	esac
	if [ -n "$pat" ]; then
		# The number of the chosen action among the plan's actions.
		n=$($bb grep -E '^would (delete|write) ' /tmp/plan | $bb grep -n -E "$pat" | $bb cut -d: -f1)
		if [ -z "$n" ]; then
			bad "cut $at: no such step in the plan"
		else
			say "cutting after action $n ($at)"
			# The hook syncs and stops spinectl; its line on the
			# console is the host's cue to kill the machine.
			SPINECTL_TEST_STOP_AFTER=$n S update /tmp/v4
		fi
	else
		S update /tmp/v4 &
		# 0 to 2.55 s: the update of a's 1 MiB initrd and two small
		# files takes about that long under TCG.
		ms=$(($($bb head -c 1 /dev/urandom | $bb od -An -tu1 | $bb tr -d ' ') * 10))
		$bb usleep $((ms * 1000))
		say "cut now, $ms ms into the update"
		wait
	fi
	;;
finish)
	S update /tmp/v4 >/tmp/out 2>&1
	rc=$?
	while read -r l; do say "update: $l"; done </tmp/out
	status
	if [ $rc = 0 ] && $bb grep -q '^slot a: version 4, verifies' /tmp/status &&
		$bb grep -q '^slot b: version 3, verifies, good' /tmp/status; then
		ok "update v4 after the cuts: a holds v4, b v3 (good)"
	else
		bad "update v4 to the end: rc=$rc status [$($bb tr '\n' ';' </tmp/status)]"
	fi
	;;
esac
$bb umount $esp
$bb sync
say "done"
$bb poweroff -f
