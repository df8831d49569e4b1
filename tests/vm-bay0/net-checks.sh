#!/usr/bin/env bash
# tests/vm-bay0/net-checks.sh PLAIN_LOG: grades issue 12's items (a persona's
# network device, docs/network.md) in boot 1 of tests/vm-bay0/run.sh, whose
# VM has one virtio NIC (eth0 on the Spine) behind -netdev user,restrict=on.
#
#   netown    owns eth0: its script (tests/vm-bay0/netown.sh) and the escape
#             probe with --netdev report "net:" and "escape:" items; it runs
#             twice (test-relaunch), so every item is there twice
#   wifiown   owns wlan0 of mac80211_hwsim's phy0 (tests/vm-bay0/wifiown.sh,
#             the probe with --wifi), twice too: its second run sees what
#             bay0 restored after the first renamed the wiphy and added an
#             interface
#   netthief  asks for eth0 while netown holds it: refused, with the holder
#   netghost  asks for nosuch0: refused, not there
#   escape    (network none) still sees only lo, beside a Spine that has a NIC
#
# and from bay0's side: the module loaded, the move in, the return at purge
# (name, down, no address, MAC and MTU as claimed).
# One PASS/FAIL line per case; the exit status is the number of FAILs.
set -u
p=$1
nfail=0
pass() { echo "PASS: vm-net: $*"; }
fail() {
	echo "FAIL: vm-net: $*"
	nfail=$((nfail + 1))
}

moved=$(grep -aE '^bay0: persona netown: network device eth0 \(ifindex [0-9]+\) moved into its namespace, down' "$p" | head -n 1 || true)
mods=$(grep -aE '^bay0: modules loaded: ' "$p" | head -n 1 || true)
# bay0 names no module it loads; the NIC the kernel calls eth0 exists only
# if virtio_net (from modules.conf) loaded.
if [ -n "$mods" ] && [[ $mods != *failed* ]] && [ -n "$moved" ]; then
	pass "virtio_net loaded from the Spine (${mods#bay0: }; eth0 exists)"
else
	fail "NIC driver: '${mods:-no modules line}', eth0 move: '${moved:-none}'"
fi

started=$(grep -aE '^bay0: persona netown started pid [0-9]+' "$p" | head -n 1 || true)
if [ -n "$moved" ] && [ -n "$started" ]; then
	pass "netown started with eth0: ${moved#bay0: }"
else
	fail "netown: start '${started:-none}', move '${moved:-none}'"
fi

# Every item an owner's script and probe printed (both runs).
items() {
	local who=$1 l item
	n=0
	while IFS= read -r l; do
		item=${l#bay0: \[$who\] }
		n=$((n + 1))
		case $item in
		# "ok[" : a kernel line (the memcg OOM kills of boot 1) can land
		# on the serial console in the middle of a persona's line.
		*": ok" | *": ok "* | *": ok["*) pass "$who $item" ;;
		*": skip "*) echo "SKIP: vm-net: $who $item" ;;
		*) fail "$who $item" ;;
		esac
	done < <(grep -aE "^bay0: \[$who\] (net|escape): " "$p" || true)
}
# The items that must be there, ok, once per run.
want_twice() {
	local who=$1 want=$2 c
	c=$(grep -acE "^bay0: \[$who\] $want: ok" "$p" || true)
	[ "$c" = 2 ] || fail "$who: '$want' ok in $c of 2 runs"
}
items netown
for want in 'net: no address at start' 'net: down at start' "net: DHCP lease from QEMU's built-in server" \
	'net: configured \(address, MAC, MTU, up, carrier\)' 'net: renamed its device' \
	'escape: network is loopback and its own device only' \
	'escape: CapEff only the network caps' 'escape: CapBnd only the network caps' \
	'escape: in a user namespace that maps only its own uid' \
	'escape: unshare\(CLONE_NEWUSER\)' 'escape: mount tmpfs' 'escape: ptrace\(ATTACH\)' \
	'escape: init_module' 'escape: write /proc/sys/kernel/core_pattern' \
	'escape: its device stays \(IFLA_NET_NS_PID 1 is its own namespace\)' \
	'escape: RTM_GETLINK in namespace id 0 refused' 'escape: setns\(own net\) with CAP_NET_ADMIN' \
	'escape: socket\(AF_PACKET\) allowed to a device owner'; do
	want_twice netown "$want"
done
if [ "$(grep -acE '^bay0: \[netown\] info: failures 0$' "$p")" = 2 ] && [ "$n" -ge 120 ]; then
	pass "netown's escape probe ran to its end twice: $n item line(s), 0 failures"
else
	fail "netown's probe: $n item line(s), end lines '$(grep -aE '^bay0: \[netown\] info: failures' "$p" | tr '\n' ';')'"
fi

thief=$(grep -aE '^bay0: persona [^ ]*netthief[^ ]* refused: network device eth0 is held by persona netown$' "$p" | head -n 1 || true)
if [ -n "$thief" ] && ! grep -aqE '^bay0: persona netthief started|^bay0: \[netthief\]' "$p"; then
	pass "second asker refused: ${thief#bay0: }"
else
	fail "netthief: $(grep -aE 'netthief' "$p" | head -n 2 | tr '\n' ';')"
fi
ghost=$(grep -aE "^bay0: persona [^ ]*netghost[^ ]* refused: .*network device nosuch0: not in the Spine's network namespace" "$p" | head -n 1 || true)
if [ -n "$ghost" ] && ! grep -aqE '^bay0: persona netghost started|^bay0: \[netghost\]' "$p"; then
	pass "asker for a missing device refused: ${ghost#bay0: }"
else
	fail "netghost: $(grep -aE 'netghost' "$p" | head -n 2 | tr '\n' ';')"
fi
# The others started beside them (run.sh checks each by name; here the count).
count=$(sed -nE 's/^bay0: personas started: ([0-9]+) of ([0-9]+).*/\1 \2/p' "$p" | head -n 1)
# The tampered verity personas are refused too; verity-checks.sh grades them.
vref=$(grep -acE '^bay0: persona /inventory/disk/v(tree|short|long|root|salt|ren)\.passport refused: ' "$p")
if [ -n "$count" ] && [ "${count#* }" -ge 3 ] && [ $((${count#* } - ${count% *} - vref)) = 4 ]; then
	pass "bay0 started $count personas: the refused ones are netthief, netghost and the two tampered"
else
	fail "personas started: '${count:-?}' (want all but netthief, netghost, badsig, badimg)"
fi

# Each run: moved in, purged, then given back (in that order).
runs() {
	local who=$1 moved_re=$2 back_re=$3 k=0 l
	while IFS= read -r l; do
		case $l in
		*"persona $who purged: "*) [ $((k % 3)) = 1 ] && k=$((k + 1)) ;;
		*) if [[ $l =~ $moved_re ]]; then
			[ $((k % 3)) = 0 ] && k=$((k + 1))
		elif [[ $l =~ $back_re ]]; then
			[ $((k % 3)) = 2 ] && k=$((k + 1))
		fi ;;
		esac
	done < <(grep -aE "^bay0: persona $who( purged:|: network device)" "$p" || true)
	if [ "$k" = 6 ]; then
		pass "$who: moved in, purged, given back clean, twice"
	else
		fail "$who: move/purge/return sequence reached step $k of 6: $(grep -aE "^bay0: persona $who: network device" "$p" | tr '\n' ';')"
	fi
}
runs netown 'network device eth0 \(ifindex [0-9]+\) moved into its namespace, down$' \
	'network device eth0 returned to the Spine, ifindex [0-9]+, down, no addresses, link address and MTU 1500 as claimed$'
# Every move in and back names the same device index.
idx=$(sed -nE 's/.*persona netown: network device eth0 (\(ifindex |returned to the Spine, ifindex )([0-9]+).*/\2/p' "$p" | sort -u | tr '\n' ' ')
if [ "$(sed -nE 's/.*persona netown: network device eth0 (\(ifindex |returned to the Spine, ifindex )([0-9]+).*/\2/p' "$p" | wc -l)" = 4 ] && [ "$(echo $idx | wc -w)" = 1 ]; then
	pass "the same device came back each time (ifindex $idx), renamed renamed0 inside and eth0 again outside"
else
	fail "eth0 ifindex in and back: '$idx'"
fi

# ---- Wi-Fi: mac80211_hwsim's phy0 with wlan0
items wifiown
for want in 'net: wifi no address at start' 'net: wifi down at start' 'net: wifi configured \(address, up\)' \
	'escape: network is loopback and its own device only' 'escape: CapEff only the network caps' \
	'escape: Wi-Fi: nl80211 reachable' 'escape: Wi-Fi: only its own wiphy, named as at claim' \
	'escape: Wi-Fi: setting the regulatory domain refused' 'escape: Wi-Fi: no /dev/rfkill' \
	'escape: Wi-Fi: its wiphy stays \(SET_WIPHY_NETNS to its own pid 1\)' \
	'escape: Wi-Fi: renamed its wiphy \(bay0 restores it\)' \
	'escape: Wi-Fi: added a monitor interface \(bay0 removes it\)' \
	'escape: unshare\(CLONE_NEWUSER\)' 'escape: mount tmpfs' 'escape: init_module' \
	'escape: socket\(AF_PACKET\) allowed to a device owner'; do
	want_twice wifiown "$want"
done
if [ "$(grep -acE '^bay0: \[wifiown\] info: failures 0$' "$p")" = 2 ] && [ "$n" -ge 120 ]; then
	pass "wifiown's escape probe ran to its end twice: $n item line(s), 0 failures"
else
	fail "wifiown's probe: $n item line(s), end lines '$(grep -aE '^bay0: \[wifiown\] info: failures' "$p" | tr '\n' ';')'"
fi
runs wifiown 'network device wlan0 \(ifindex [0-9]+\) moved into its namespace with Wi-Fi phy0, down$' \
	'network device wlan0 returned to the Spine with Wi-Fi phy0: one new station interface wlan0, ifindex [0-9]+, down, no addresses$'
if grep -aqE '^bay0: \[escape\] escape: network is loopback only: ok' "$p"; then
	pass "a persona without a device sees only lo beside the Spine's NIC (escape)"
else
	fail "escape persona: $(grep -aE '^bay0: \[escape\] escape: network' "$p" | head -n 1)"
fi
exit "$nfail"
