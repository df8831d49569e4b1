#!/usr/bin/env bash
# Host integration test for a persona's network device (issue 12,
# docs/network.md): build/tests/persona-net as PID 1 of a fresh PID, mount
# and network namespace, with a tap device made there (the build host has
# no NIC to spare and no veth/dummy; a tap is an Ethernet device the kernel
# moves between namespaces as it moves a NIC). No traffic leaves: the
# namespace is new and the tap has no carrier. One PASS/FAIL/SKIP per item.
set -u
B=${1:-build}
T=$B/tests/persona-net.d
DEV=spn0

skip_all() { echo "SKIP: persona net host tests ($1)"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root for namespaces, mounts and loop devices"
command -v unshare >/dev/null || skip_all "no unshare(1)"
command -v ip >/dev/null || { echo "FAIL: persona net: no ip(8) (make deps: iproute2)"; exit 1; }
[ -x /bin/busybox ] || { echo "FAIL: persona net: busybox-static missing (make deps)"; exit 1; }
[ -e /dev/net/tun ] || skip_all "no /dev/net/tun for a tap device"
unshare --net true 2>/dev/null || skip_all "cannot make a network namespace"
modprobe -q erofs 2>/dev/null; modprobe -q loop 2>/dev/null
grep -qw erofs /proc/filesystems || skip_all "kernel has no erofs"

rm -rf "$T"
mkdir -p "$T"/root/{bin,dev,proc,tmp,run,persist,etc} "$T"/inv "$T"/stage
cp /bin/busybox "$T"/root/bin/busybox
for a in sh ip grep cat echo; do ln -s busybox "$T/root/bin/$a"; done
cp "$B"/tests/persona/persona-probe "$T"/root/bin/
# A setuid-root copy (--all-root below): it must run unprivileged.
install -m 4755 "$B"/tests/persona/persona-probe "$T"/root/bin/persona-probe-suid
# The owner's entry: it must find its device clean, configure it (address,
# MAC, MTU, promiscuous, up), rename it, then run the escape probe on it.
cat >"$T"/root/etc/net-own.sh <<'SH'
d=$1
a=$(ip -o addr show dev $d)
[ -z "$a" ] && echo "net: no address at start: ok" || echo "net: no address at start: FAIL $a"
ip -o link show dev $d | grep -q '[<,]UP[,>]' && echo "net: down at start: FAIL" || echo "net: down at start: ok"
if ip addr add 10.99.0.2/24 dev $d && ip link set dev $d address 02:00:00:00:00:99 mtu 1400 up promisc on; then
	ip -o addr show dev $d | grep -q 'inet 10.99.0.2/24' && echo "net: configured (address, MAC, MTU, up): ok" ||
		echo "net: configured (address, MAC, MTU, up): FAIL $(ip -o addr show dev $d)"
else
	echo "net: configured (address, MAC, MTU, up): FAIL ip exited $?"
fi
ip link set dev $d down && ip link set dev $d name renamed0 && ip link set dev renamed0 up &&
	echo "net: renamed its device: ok" || echo "net: renamed its device: FAIL"
exec /bin/persona-probe --netdev renamed0 --persist none --dev null --abstract spine-net-test
SH
mkfs.erofs --quiet --all-root "$T"/inv/net.img "$T"/root >/dev/null || { echo "FAIL: persona net: mkfs.erofs"; exit 1; }
HASH=$(sha512sum "$T"/inv/net.img | cut -d' ' -f1)
signify-openbsd -G -n -p "$T"/k.pub -s "$T"/k.sec -c "persona net test key" || exit 1
passport() {
	printf '%s' "$2" >"$T/$1.txt"
	signify-openbsd -S -e -s "$T/k.sec" -m "$T/$1.txt" -x "$T/$1.passport" || exit 1
}
for who in own thief ghost; do
	d=$DEV entry="/bin/sh /etc/net-own.sh $DEV"
	[ $who = ghost ] && d=nosuch0
	passport $who "name net$who
image net.img $HASH
entry $entry
cores 1
memory.max 64M
pids.max 32
devices null
network device $d
"
done
S=$(realpath "$T"/stage)
unshare --pid --fork --mount --mount-proc --net sh -c '
	ip tuntap add "$1" mode tap || exit 1
	shift
	exec "$@"' sh "$DEV" "$B"/tests/persona-net --key "$T"/k.pub --inventory "$T"/inv \
	--stage "$S" --dev "$DEV" --own "$T"/own.passport --thief "$T"/thief.passport \
	--ghost "$T"/ghost.passport --abstract spine-net-test
