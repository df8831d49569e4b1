#!/usr/bin/env bash
# Host integration test for the persona launcher (issue 4, "Tests: Host").
# Builds a real erofs image (squashfs if the kernel lacks erofs) from
# busybox-static and the static probes in tests/persona/, signs passports
# with a throw-away signify key, and runs build/tests/persona-host as PID 1
# of a fresh PID+mount namespace for each case. One PASS/FAIL/SKIP per item.
set -u
B=${1:-build}
T=$B/tests/persona-host.d
rc=0

skip_all() { echo "SKIP: persona host tests ($1)"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root for namespaces, mounts and loop devices"
command -v unshare >/dev/null || skip_all "no unshare(1)"
command -v signify-openbsd >/dev/null || { echo "FAIL: signify-openbsd missing (make deps)"; exit 1; }
[ -x /bin/busybox ] || { echo "FAIL: busybox-static missing (make deps)"; exit 1; }

modprobe -q erofs 2>/dev/null; modprobe -q squashfs 2>/dev/null; modprobe -q loop 2>/dev/null
if grep -qw erofs /proc/filesystems && command -v mkfs.erofs >/dev/null; then
	FS=erofs
elif grep -qw squashfs /proc/filesystems && command -v mksquashfs >/dev/null; then
	FS=squashfs
	echo "SKIP: persona erofs image (kernel has no erofs; squashfs used)"
else
	skip_all "kernel has neither erofs nor squashfs"
fi
[ -e /dev/loop-control ] || skip_all "no /dev/loop-control"

rm -rf "$T"
mkdir -p "$T"/root/{bin,dev,proc,tmp,run,persist,etc} "$T"/inv "$T"/stage "$T"/persist
cp /bin/busybox "$T"/root/bin/busybox
for a in sh sleep cat ls; do ln -s busybox "$T/root/bin/$a"; done
cp "$B"/tests/persona/persona-probe "$B"/tests/persona/persona-hello "$T"/root/bin/
# A setuid-root file in the image: nosuid and no_new_privs must keep it inert.
cp "$B"/tests/persona/persona-probe "$T"/root/bin/persona-probe-suid
chmod 4755 "$T"/root/bin/persona-probe-suid
echo "persona test image" >"$T"/root/etc/motd
# A tree that would outlive its entry: purge must take all of it.
printf 'sleep 1000 &\n(sleep 1000 &) \nexec sleep 1000\n' >"$T"/root/etc/tree.sh
if [ $FS = erofs ]; then
	mkfs.erofs --quiet --all-root "$T"/inv/test.img "$T"/root >/dev/null || { echo "FAIL: mkfs.erofs"; exit 1; }
else
	mksquashfs "$T"/root "$T"/inv/test.img -quiet -noappend >/dev/null || { echo "FAIL: mksquashfs"; exit 1; }
fi
HASH=$(sha512sum "$T"/inv/test.img | cut -d' ' -f1)
# The same tree as squashfs, the other image type bay0 accepts.
SQHASH=
if grep -qw squashfs /proc/filesystems && command -v mksquashfs >/dev/null && [ $FS = erofs ]; then
	mksquashfs "$T"/root "$T"/inv/test.sqfs -quiet -noappend -all-root >/dev/null &&
		SQHASH=$(sha512sum "$T"/inv/test.sqfs | cut -d' ' -f1)
fi
# The same image with one byte changed near the end (inside the data).
cp "$T"/inv/test.img "$T"/inv/tampered.img
size=$(stat -c %s "$T"/inv/tampered.img)
printf '\x55' | dd of="$T"/inv/tampered.img bs=1 seek=$((size - 100)) conv=notrunc status=none

# bay0's side listens on this abstract name in the host's network namespace.
ABS=bay0-test-$$
signify-openbsd -G -n -p "$T"/k.pub -s "$T"/k.sec -c "persona test key" || exit 1
signify-openbsd -G -n -p "$T"/other.pub -s "$T"/other.sec -c "another key" || exit 1

# passport NAME FILE KEY: writes $T/NAME.passport, signed with KEY.sec (embedded).
passport() {
	printf '%s' "$2" >"$T/$1.txt"
	signify-openbsd -S -e -s "$T/$3.sec" -m "$T/$1.txt" -x "$T/$1.passport" || exit 1
}
passport probe "name probe
image test.img $HASH
entry /bin/persona-probe --dev null,zero,urandom --persist rw --abstract $ABS
cores 1
memory.max 64M
pids.max 32
devices null zero urandom
persist rw
" k
passport bare "name bare
image test.img $HASH
entry /bin/persona-probe --persist none --abstract $ABS
cores 1
memory.max 64M
pids.max 32
devices none
" k
passport tree "name tree
image test.img $HASH
entry /bin/sh /etc/tree.sh
cores 1
memory.max 64M
pids.max 32
devices null
" k
passport badimage "name badimage
image tampered.img $HASH
entry /bin/persona-hello
cores 1
memory.max 64M
pids.max 32
" k
passport otherkey "name otherkey
image test.img $HASH
entry /bin/persona-hello
cores 1
memory.max 64M
pids.max 32
" other
# Tampered passport: a granted device added after signing.
sed 's/^pids.max 32$/pids.max 33/' "$T"/probe.passport >"$T"/tamper.passport

run() {
	local mode=$1 pp=$2 label=$3
	shift 3
	unshare --pid --fork --mount --mount-proc "$B"/tests/persona-host --mode "$mode" \
		--key "$T"/k.pub --passport "$T/$pp.passport" --inventory "$T"/inv \
		--stage "$(realpath "$T"/stage)" --persist "$(realpath "$T"/persist)" --label "$label" \
		--abstract "$ABS" "$@" || rc=1
}
passport exec "name exec
image test.img $HASH
entry /bin/persona-probe --persist rw+exec --dev null --abstract $ABS
cores 1
memory.max 64M
pids.max 32
devices null
persist rw+exec
uid 4242
gid 4243
" k
passport noentry "name noentry
image test.img $HASH
entry /bin/no-such-entry
cores 1
memory.max 64M
pids.max 32
" k
if [ -n "$SQHASH" ]; then
	passport squash "name squash
image test.sqfs $SQHASH
entry /bin/persona-probe --dev null --persist none --abstract $ABS
cores 1
memory.max 64M
pids.max 32
devices null
" k
fi
run probe probe "probe(devices,persist rw)"
if [ -n "$SQHASH" ]; then
	run probe squash "probe(squashfs image)"
else
	echo "SKIP: persona probe(squashfs image) (no squashfs in this kernel or no mksquashfs)"
fi
run probe exec "probe(persist rw+exec,explicit ids)"
run launch-fails noentry "missing entry"
CG=$(realpath "$T")/cgroup2
mkdir -p "$CG"
if grep -qw cgroup2 /proc/filesystems; then
	run probe bare "probe(cgroup2 placement)" --cgroup2 "$CG"
	run purge tree "purge via cgroup.kill" --cgroup2 "$CG"
else
	echo "SKIP: persona cgroup2 placement (kernel has no cgroup2)"
fi
run probe bare "probe(no devices,no persist)"
run purge tree "purge of a running tree"
run refuse tamper "tampered passport"
run refuse badimage "tampered image"
run refuse otherkey "passport signed by an unknown key"
# Verity images (docs/passport.md, "Verity images"): the same erofs with its
# dm-verity tree appended by veritysetup; the passport pins every value.
if [ $FS = erofs ] && command -v veritysetup >/dev/null; then
	cp "$T"/inv/test.img "$T"/inv/verity.img
	vsize=$(stat -c %s "$T"/inv/verity.img)
	vblocks=$((vsize / 4096))
	vout=$(veritysetup format --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$vblocks" --hash-offset="$vsize" --salt=00112233 \
		"$T"/inv/verity.img "$T"/inv/verity.img)
	vroot=$(sed -nE 's/^Root hash:[[:space:]]+([0-9a-f]{64})$/\1/p' <<<"$vout")
	vtotal=$(stat -c %s "$T"/inv/verity.img)
	# One block short, one block long: both refused by size, before any
	# device exists.
	head -c $((vtotal - 4096)) "$T"/inv/verity.img >"$T"/inv/vshort.img
	cp "$T"/inv/verity.img "$T"/inv/vlong.img
	head -c 4096 /dev/zero >>"$T"/inv/vlong.img
	for v in verity vshort vlong; do
		passport "$v" "name $v
verity $v.img $vtotal $vblocks $vsize 4096 4096 sha256 00112233 $vroot
entry /bin/persona-probe --dev null --persist none --abstract $ABS
cores 1
memory.max 64M
pids.max 32
devices null
" k
	done
	run refuse vshort "verity image one block short of the pinned size"
	run refuse vlong "verity image one block longer than the pinned size"
	if [ -e /dev/mapper/control ]; then
		run probe verity "probe(verity image)"
	else
		# No device-mapper here: the launch must fail at its first dm step,
		# with nothing mounted and the loop device released. Never an
		# unverified mount of the same file.
		run launch-fails verity "verity without device-mapper fails closed" --want-step DM_VERSION
		echo "SKIP: persona probe(verity image) (no /dev/mapper/control on this host: check-vm-bay0 runs verity personas)"
	fi
else
	echo "SKIP: persona verity images (no erofs or no veritysetup: apt-get install cryptsetup-bin)"
fi
# Nothing may have been left mounted on the stage directory of this namespace.
if [ -z "$(find "$T"/stage -mindepth 1 -print -quit)" ] && ! grep -q " $(realpath "$T"/stage) " /proc/self/mountinfo; then
	echo "PASS: persona stage directory untouched on the host"
else
	echo "FAIL: persona stage directory has leftovers"; rc=1
fi
exit $rc
