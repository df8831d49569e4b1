# The Wi-Fi device owner of the test Spine (docs/network.md, "Wi-Fi";
# tests/vm-bay0/net-checks.sh): mac80211_hwsim's wlan0 arrives with its
# wiphy phy0. It finds the device clean, gives it an address and brings it
# up (a station needs no association for that), then runs the escape probe,
# whose --wifi items rename the wiphy and add a monitor interface for bay0
# to undo at purge. Nothing is transmitted: hwsim's radios exist only in
# the kernel. One "net: <item>: ok|FAIL" line per item.
d=$1
phy=$2
a=$(ip -o addr show dev "$d")
[ -z "$a" ] && echo "net: wifi no address at start: ok" || echo "net: wifi no address at start: FAIL $a"
if ip -o link show dev "$d" | grep -q '[<,]UP[,>]'; then
	echo "net: wifi down at start: FAIL"
else
	echo "net: wifi down at start: ok"
fi
if ip addr add 10.0.3.15/24 dev "$d" && ip link set dev "$d" up &&
	ip -o addr show dev "$d" | grep -q 'inet 10.0.3.15/24' &&
	ip -o link show dev "$d" | grep -q '[<,]UP[,>]'; then
	echo "net: wifi configured (address, up): ok"
else
	echo "net: wifi configured (address, up): FAIL $(ip -o link show dev "$d") $(ip -o addr show dev "$d")"
fi
exec /test/persona-probe --netdev "$d" --wifi "$phy" --persist none --dev null --abstract pvm-xa
