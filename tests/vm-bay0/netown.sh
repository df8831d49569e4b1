# The device owner of the test Spine (docs/network.md, tests/vm-bay0/net-checks.sh):
# finds its device clean, gets a DHCP lease from QEMU's built-in server,
# configures it with busybox ip (address, MAC, MTU, promiscuous, up), renames
# it, then runs the escape probe on it. Nothing leaves QEMU: its NIC is
# -netdev user,restrict=on, and only QEMU's own DHCP server answers. One "net: <item>: ok|FAIL" line per item.
d=$1
a=$(ip -o addr show dev "$d")
[ -z "$a" ] && echo "net: no address at start: ok" || echo "net: no address at start: FAIL $a"
if ip -o link show dev "$d" | grep -q '[<,]UP[,>]'; then
	echo "net: down at start: FAIL"
else
	echo "net: down at start: ok"
fi
# DHCP through a packet socket (the one seccomp rule a device owner lacks),
# answered by QEMU's built-in server: the frames never leave QEMU. The
# lease is only printed (-s /bin/true), then the address set by hand.
if ip link set dev "$d" up && l=$(udhcpc -i "$d" -f -q -n -t 5 -T 2 -s /bin/true 2>&1) &&
	echo "$l" | grep -q 'lease of 10\.0\.2\.[0-9]* obtained'; then
	echo "net: DHCP lease from QEMU's built-in server: ok $(echo "$l" | grep -o 'lease of [0-9.]*')"
else
	echo "net: DHCP lease from QEMU's built-in server: FAIL $(echo "$l" | tr '\n' ' ')"
fi
ip link set dev "$d" down
if ip addr add 10.0.2.15/24 dev "$d" && ip link set dev "$d" address 02:00:00:00:00:99 mtu 1400 up promisc on; then
	l=$(ip -o link show dev "$d")
	if ip -o addr show dev "$d" | grep -q 'inet 10.0.2.15/24' && echo "$l" | grep -q 'LOWER_UP' &&
		echo "$l" | grep -q 'mtu 1400' && echo "$l" | grep -q '02:00:00:00:00:99'; then
		echo "net: configured (address, MAC, MTU, up, carrier): ok"
	else
		echo "net: configured (address, MAC, MTU, up, carrier): FAIL $l $(ip -o addr show dev "$d")"
	fi
else
	echo "net: configured (address, MAC, MTU, up, carrier): FAIL ip exited $?"
fi
if ip link set dev "$d" down && ip link set dev "$d" name renamed0 && ip link set dev renamed0 up; then
	echo "net: renamed its device: ok"
else
	echo "net: renamed its device: FAIL"
fi
exec /test/persona-probe --netdev renamed0 --persist none --dev null --abstract pvm-xa
