#!/usr/bin/env bash
# tests/vm-bay0/umb-checks.sh: grades the Umbilical in boot 1 of
# tests/vm-bay0/run.sh (docs/umbilical.md): usrc offers three files, urcv
# pulls them on its channel, and umb-keys.sh plays the person at bay0's
# console (Y for accept-me.bin, n for deny-me.txt, nothing for wait-me.txt,
# then one stray Y after urcv's fake prompt). Read from the serial log and,
# after the reboot, from the /persist filesystem itself (debugfs), never
# from what a persona says alone.
#
#   umb-checks.sh PLAIN_LOG PERSIST_FS
#
# One PASS/FAIL line per check; exit status = the number of failures.
set -u
p=$1 fs=$2
nfail=0
pass() { echo "PASS: vm-bay0: umbilical: $*"; }
fail() {
	echo "FAIL: vm-bay0: umbilical: $*"
	nfail=$((nfail + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The persona's own verdicts (what it saw through its channel and inbox).
for i in umb-offered umb-unknown-source umb-timed-out umb-accepted umb-denied \
	umb-arrived umb-not-delivered umb-flood umb-done; do
	l=$(grep -aE "^bay0: \[u(src|rcv)\] pvm: $i: (ok|FAIL)" "$p" | head -n 1)
	case $l in
	*": ok"*) pass "persona side: ${l#*pvm: }" ;;
	"") fail "persona side: $i never reported" ;;
	*) fail "persona side: ${l#*pvm: }" ;;
	esac
done

# bay0's log of one request: its id, from the line naming both personas.
req_id() { sed -nE "s/^bay0: umbilical: request ([0-9]+): urcv asks for '$1' from usrc\$/\1/p" "$p" | head -n 1; }
decision() { grep -aE "^bay0: umbilical: request $1: " "$p" | grep -vE ': urcv asks for ' | head -n 1; }

# Accepted: prompt shown, Y typed, the log names both; the file on disk.
id=$(req_id accept-me.bin)
dec=$(decision "${id:-x}")
sha_prompt=$(awk -v id="${id:-x}" '$0 == "bay0: umbilical: ---- transfer request " id " ----" { on = 1 }
	on && /^bay0: umbilical: sha512 / { h = $4; next }
	on && h && /^bay0: umbilical: +[0-9a-f]+$/ && length($3) == 64 { print h $3; exit }' "$p")
uid_rcv=$(debugfs -R 'stat /urcv' "$fs" 2>/dev/null | sed -nE 's/^User: *([0-9]+).*/\1/p')
uid_src=$(debugfs -R 'stat /usrc' "$fs" 2>/dev/null | sed -nE 's/^User: *([0-9]+).*/\1/p')
st=$(debugfs -R 'stat /urcv/inbox/accept-me.bin' "$fs" 2>/dev/null)
ftype=$(sed -nE 's/.*Type: ([a-z]+).*/\1/p' <<<"$st" | head -n 1)
fmode=$(sed -nE 's/.*Mode: *([0-7]+).*/\1/p' <<<"$st" | head -n 1)
fuid=$(sed -nE 's/^User: *([0-9]+).*/\1/p' <<<"$st" | head -n 1)
flinks=$(sed -nE 's/.*Links: *([0-9]+).*/\1/p' <<<"$st" | head -n 1)
debugfs -R "dump /urcv/inbox/accept-me.bin $tmp/got" "$fs" >/dev/null 2>&1
debugfs -R "dump /usrc/outbox/accept-me.bin $tmp/src" "$fs" >/dev/null 2>&1
sha_got=$(sha512sum "$tmp/got" 2>/dev/null | cut -d' ' -f1)
sha_src=$(sha512sum "$tmp/src" 2>/dev/null | cut -d' ' -f1)
size=$(stat -c %s "$tmp/got" 2>/dev/null)
if [ -n "$id" ] && [[ $dec == *": accepted (key Y at the console): 'accept-me.bin' from usrc delivered to urcv's inbox" ]] &&
	[ "$ftype" = regular ] && [ "$fmode" = 0600 ] && [ -n "$uid_rcv" ] && [ "$fuid" = "$uid_rcv" ] &&
	[ "$fuid" != 0 ] && [ "$fuid" != "$uid_src" ] && [ "$flinks" = 1 ] && [ "$size" = 3145728 ] &&
	[ -n "$sha_got" ] && [ "$sha_got" = "$sha_src" ] && [ "$sha_got" = "$sha_prompt" ]; then
	pass "accepted by Y on the console: request $id, '${dec#bay0: umbilical: }'; on disk: regular, mode $fmode (source 0755), uid $fuid = urcv's (usrc's $uid_src), $size bytes, one link, SHA-512 = the prompt's = the source's (${sha_got:0:16}...)"
else
	fail "accepted: request ${id:-none}, decision '${dec:-none}'; on disk type '$ftype' mode '$fmode' uid '$fuid' (urcv $uid_rcv, usrc $uid_src) links '$flinks' size '$size'; sha got ${sha_got:0:16} src ${sha_src:0:16} prompt ${sha_prompt:0:16}"
fi

# Denied and timed out: logged with both names, nothing in the inbox.
for c in "deny-me.txt:denied (key at the console)" "wait-me.txt:timed out (no answer in 8 s)"; do
	n=${c%%:*} want=${c#*:}
	id=$(req_id "$n")
	dec=$(decision "${id:-x}")
	t_req=$(grep -anE "^bay0: umbilical: ---- transfer request ${id:-x} ----" "$1" | head -n 1)
	there=$(debugfs -R "stat /urcv/inbox/$n" "$fs" 2>&1 | grep -c 'Type:')
	if [ -n "$id" ] && [ "$dec" = "bay0: umbilical: request $id: $want: urcv gets nothing of '$n' from usrc" ] &&
		[ -n "$t_req" ] && [ "$there" = 0 ]; then
		pass "$n: '${dec#bay0: umbilical: }'; not in urcv's inbox"
	else
		fail "$n: request ${id:-none}, decision '${dec:-none}', in the inbox: $there"
	fi
done

# Refused before any prompt, logged with both names.
want=": urcv asks for 'x' from nosuch: refused: no running persona 'nosuch'"
l=$(grep -aF -- "$want" "$p" | grep -aE '^bay0: umbilical: request [0-9]+' | head -n 1)
if [ -n "$l" ]; then
	pass "refused before the console: '${l#bay0: umbilical: }'"
else
	fail "refusal: no line '...$want'"
fi

# The flood: a thousand requests, at most the burst of the rate limit let
# through, the console not flooded (a handful of lines), bay0 went on.
through=$(grep -acE "^bay0: umbilical: request [0-9]+: urcv asks for 'flood-" "$p")
rl=$(grep -aE '^bay0: umbilical: urcv: [0-9]+ request\(s\) refused by the rate limit$' "$p" | tail -n 1)
nrl=$(grep -acE '^bay0: umbilical: urcv: [0-9]+ request\(s\) refused by the rate limit' "$p")
flood_t=$(grep -anE '^bay0: \[urcv\] pvm: umb-flood: ' "$p" | head -n 1 | cut -d: -f1)
later=$(tail -n +"${flood_t:-999999}" "$p" | grep -acE '^bay0: [^[]')
if [ "$through" -le 3 ] && [ -n "$rl" ] && [ "$nrl" -le 4 ] && [ "${later:-0}" -gt 0 ]; then
	pass "flood of 1000 requests: $through let through (the burst), '${rl#bay0: umbilical: }', $nrl rate-limit line(s) on the console, $later bay0 line(s) after it"
else
	fail "flood: $through let through, rate-limit lines $nrl (last '${rl:-none}'), $later bay0 line(s) after"
fi

# The fake prompt: relayed marked and escaped, never as bay0's own; the Y
# typed at it finds no request and delivers nothing.
fake=$(grep -acE '^bay0: \[urcv\] (\\x0d|\\x1b\[2K\\x0d)?bay0: umbilical: ' "$p")
forged=$(grep -acE '^bay0: umbilical: .*request 99' "$p")
ign=$(grep -aE '^bay0: umbilical: key 0x59 with no request at the console: ignored' "$p" | head -n 1)
inbox=$(debugfs -R 'ls /urcv/inbox' "$fs" 2>/dev/null | tr -s ' \n' ' ' | grep -oE '[^ ]+\.(bin|txt)' | sort -u | tr '\n' ' ')
if [ "$fake" = 3 ] && [ "$forged" = 0 ] && [ -n "$ign" ] && [ "$inbox" = "accept-me.bin " ]; then
	pass "fake prompt: its 3 lines relayed as 'bay0: [urcv] ...' (escaped), none as bay0's; the Y typed at it: '${ign#bay0: umbilical: }'; inbox holds only: $inbox"
else
	fail "fake prompt: $fake relayed line(s), $forged forged, ignored-key line '${ign:-none}', inbox '$inbox'"
fi

# What is not a file to give (uodd's outbox, asked for by upick, again while
# the console was busy): each refused for what it is, before any prompt,
# logged with both names; nothing delivered.
for c in "link-out:a symbolic link" "link-in:a symbolic link" "fifo:a FIFO, not a regular file" \
	"huge:68157440 bytes, over the cap of 67108864"; do
	n=${c%%:*} want=${c#*:}
	l=$(grep -aE "^bay0: umbilical: request [0-9]+: upick asks for '$n' from uodd: refused: " "$p" |
		grep -aF -- ": refused: $want" | head -n 1)
	id=$(sed -nE 's/^bay0: umbilical: request ([0-9]+): .*/\1/p' <<<"$l")
	prompt=$(grep -acE "^bay0: umbilical: ---- transfer request ${id:-x} ----" "$p")
	if [ -n "$l" ] && [ "$prompt" = 0 ]; then
		pass "refused before any prompt: '${l#bay0: umbilical: }'"
	else
		fail "$n from uodd: want a refusal '$want' and no prompt; got '${l:-no line}', $prompt prompt(s)"
	fi
done
odd_in=$(debugfs -R 'ls /upick/inbox' "$fs" 2>/dev/null | tr -s ' \n' ' ' | grep -oE '(link-out|link-in|fifo|huge|dev)' | sort -u | tr '\n' ' ')
[ -z "$odd_in" ] && pass "upick's inbox holds none of them after the reboot" ||
	fail "upick's inbox holds: $odd_in"

# A source exchanged with another file while bay0 copies it, and names
# that break the rule (a path, a NUL): refused, before any prompt.
for c in "swap-me:refused: the source (changed|was swapped) during the copy" \
	"../secret:refused: name rule: '/' at byte 2 \\(a name, not a path\\)" \
	"NUL:refused: name rule: control character U\\+0000 at byte 9"; do
	n=${c%%:*} want=${c#*:}
	case $n in
	swap-me) l=$(grep -aE "^bay0: umbilical: request [0-9]+: upick asks for 'swap-me' from uodd: $want\$" "$p" | head -n 1) ;;
	*) l=$(grep -aE "^bay0: umbilical: request [0-9]+ from upick: $want\$" "$p" | head -n 1) ;;
	esac
	id=$(sed -nE 's/^bay0: umbilical: request ([0-9]+)[: ].*/\1/p' <<<"$l")
	prompt=$(grep -acE "^bay0: umbilical: ---- transfer request ${id:-x} ----" "$p")
	if [ -n "$l" ] && [ "$prompt" = 0 ]; then
		pass "refused before any prompt: '${l#bay0: umbilical: }'"
	else
		fail "$n: want a line /$want/ and no prompt; got '${l:-no line}', $prompt prompt(s)"
	fi
done

# Escape checklist item 3: symbolic links planted in the persona's own
# /persist where bay0 writes (its inbox -> bay0's /persist/transfer) or a
# runtime would mount (proc, null, pts, transfer). Accepted at the console,
# the delivery is refused; nothing is written through any of them.
l=$(grep -aE "^bay0: umbilical: request [0-9]+: accepted \(key Y at the console\), but not delivered to uplant from usrc: the receiver's inbox is not a plain folder$" "$p" | head -n 1)
planted=$(grep -acE '^bay0: \[uplant\] pvm: umb-planted: ok' "$p")
itype=$(debugfs -R 'stat /uplant/inbox' "$fs" 2>/dev/null | grep -oE 'Type: [a-z]+')
tleft=$(debugfs -R 'ls -p /transfer' "$fs" 2>/dev/null | awk -F/ '$6 != "" && $6 != "." && $6 != ".." { print $6 }' | tr '\n' ' ')
devnull=$(grep -acE '^bay0: \[[a-z]+\] escape: unlink /dev/null: ok$' "$p")
if [ -n "$l" ] && [ "$planted" = 1 ] && [ "$itype" = "Type: symlink" ] && [ -z "$tleft" ] && [ "$devnull" -ge 1 ]; then
	pass "escape checklist 3: links planted in /persist/uplant (inbox -> /persist/transfer, proc, null, pts, transfer); the transfer accepted at the console is not delivered: '${l##*: }'; the inbox is still uplant's link, /persist/transfer empty: nothing written through them; unlink /dev/null: EROFS ($devnull probe(s))"
else
	fail "escape checklist 3: refusal '${l:-none}', planted $planted, inbox '${itype:-none}', /persist/transfer '${tleft}', unlink /dev/null ok in $devnull probe(s)"
fi

# Escape checklist item 16, from the cases above: an unconfirmed transfer
# denied and logged (n, timeout), '..', '/', NUL and control characters,
# symbolic links out of the outbox, FIFOs, device nodes and a file over the
# cap refused, nothing delivered but the file accepted whole.
if [ "$nfail" = 0 ]; then
	pass "escape checklist 16: denied and timed-out transfers logged and not delivered; '..', '/', NUL refused by the name rule; links, a FIFO, a device node (not even made), a file over the cap and a swapped source refused before any prompt; only accept-me.bin delivered, whole"
else
	fail "escape checklist 16: $nfail of the Umbilical checks above failed"
fi

# Nothing left in bay0's staging folder after the reboot.
left=$(debugfs -R 'ls -p /transfer' "$fs" 2>/dev/null | awk -F/ '$6 != "" && $6 != "." && $6 != ".." { print $6 }' | tr '\n' ' ')
if [ -z "$left" ] && debugfs -R 'stat /transfer' "$fs" 2>/dev/null | grep -q 'Type: directory'; then
	pass "/persist/transfer empty after the reboot"
else
	fail "/persist/transfer holds: ${left:-(no folder)}"
fi
exit "$nfail"
