#!/usr/bin/env bash
# tests/vm-bay0/net-checks.sh PLAIN_LOG: grades issue 12's items (a persona's
# network device, docs/network.md) in boot 1 of tests/vm-bay0/run.sh, whose
# VM has one virtio NIC (eth0 on the Spine) behind -netdev user,restrict=on.
#
#   netown    owns eth0: its script (tests/vm-bay0/netown.sh) and the escape
#             probe with --netdev report "net:" and "escape:" items
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

# Every item netown's script and probe printed, then the ones that must be there.
n=0
while IFS= read -r l; do
	item=${l#bay0: \[netown\] }
	n=$((n + 1))
	case $item in
	*": ok" | *": ok "*) pass "netown $item" ;;
	*": skip "*) echo "SKIP: vm-net: netown $item" ;;
	*) fail "netown $item" ;;
	esac
done < <(grep -aE '^bay0: \[netown\] (net|escape): ' "$p" || true)
for want in 'net: no address at start' 'net: down at start' \
	'net: configured \(address, MAC, MTU, up, carrier\)' 'net: renamed its device' \
	'escape: network is loopback and its own device only' \
	'escape: CapEff only the network caps' 'escape: CapBnd only the network caps' \
	'escape: in a user namespace that maps only its own uid' \
	'escape: unshare\(CLONE_NEWUSER\)' 'escape: mount tmpfs' 'escape: ptrace\(ATTACH\)' \
	'escape: init_module' 'escape: write /proc/sys/kernel/core_pattern' \
	'escape: its device stays \(IFLA_NET_NS_PID 1 is its own namespace\)' \
	'escape: RTM_GETLINK in namespace id 0 refused' 'escape: setns\(own net\) with CAP_NET_ADMIN'; do
	grep -aqE "^bay0: \[netown\] $want: ok" "$p" || fail "netown: '$want' never reported ok"
done
if grep -aqE '^bay0: \[netown\] info: failures 0$' "$p" && [ "$n" -ge 60 ]; then
	pass "netown's escape probe ran to its end: $n item line(s), 0 failures"
else
	fail "netown's probe: $n item line(s), end line '$(grep -aE '^bay0: \[netown\] info: failures' "$p" | head -n 1)'"
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
if [ -n "$count" ] && [ "${count#* }" -ge 3 ] && [ $((${count#* } - ${count% *})) = 4 ]; then
	pass "bay0 started $count personas: the refused ones are netthief, netghost and the two tampered"
else
	fail "personas started: '${count:-?}' (want all but netthief, netghost, badsig, badimg)"
fi

purged=$(grep -anE '^bay0: persona netown purged: ' "$p" | head -n 1 | cut -d: -f1)
back=$(grep -anE '^bay0: persona netown: network device eth0 returned to the Spine, ifindex [0-9]+, down, no addresses, link address and MTU 1500 as claimed$' "$p" | head -n 1 || true)
if [ -n "$purged" ] && [ -n "$back" ] && [ "${back%%:*}" -gt "$purged" ]; then
	pass "after purge: ${back#*:bay0: }"
else
	fail "return after purge: purge line ${purged:-none}, '$(grep -aE '^bay0: persona netown: network device' "$p" | tail -n 1)'"
fi
# The move in and the move back name the same device index.
i_in=$(sed -nE 's/.*network device eth0 \(ifindex ([0-9]+)\) moved.*/\1/p' "$p" | head -n 1)
i_out=$(sed -nE 's/.*network device eth0 returned to the Spine, ifindex ([0-9]+),.*/\1/p' "$p" | head -n 1)
if [ -n "$i_in" ] && [ "$i_in" = "$i_out" ]; then
	pass "the same device came back (ifindex $i_in), renamed renamed0 inside and eth0 again outside"
else
	fail "ifindex in '${i_in:-?}', back '${i_out:-?}'"
fi
if grep -aqE '^bay0: \[escape\] escape: network is loopback only: ok' "$p"; then
	pass "a persona without a device sees only lo beside the Spine's NIC (escape)"
else
	fail "escape persona: $(grep -aE '^bay0: \[escape\] escape: network' "$p" | head -n 1)"
fi
exit "$nfail"
