#!/usr/bin/env bash
# tests/vm-bay0/tpm-checks.sh: grades bay0's run-time measurements in one
# serial log (docs/measure.md), one bay0 boot after another.
#
#   tpm-checks.sh PLAIN_LOG PASSPORT_DIR LABEL BOOTS [shutdown [SLOTDIR PASSPORT...]]
#
# PLAIN_LOG is the log without the harness's stamps; BOOTS the number of bay0
# boots it must hold; "shutdown" = every boot must end in spine:shutdown.
# Per boot: the firmware log's replay says it matches; "spine:personas" is
# the first event and comes before any persona starts; every persona start
# comes right after its own identity event; the run-time log bay0 wrote
# (transcribed from its "tpm: log" lines) is read by build/spine-pcr -r, which
# checks every identity against the passport files here and predicts PCR 11
# after each event; each prediction equals what the TPM read back in the
# guest, in every bank it has. With SLOTDIR and PASSPORTs, the prediction
# made without any log, `spine-pcr -p SLOTDIR a PASSPORT...` (personas, each
# passport in that order, shutdown), must equal the guest's values too.
# One PASS/FAIL line per check; exit status = the number of failures.
set -u
plain=$1 ppdir=$2 label=$3 boots=$4 want_shutdown=${5:-}
shift $(($# < 5 ? $# : 5))
predict=("$@")
spine_pcr=${SPINE_PCR:-build/spine-pcr}
nfail=0
pass() { echo "PASS: vm-bay0: $label: $*"; }
fail() {
	echo "FAIL: vm-bay0: $label: $*"
	nfail=$((nfail + 1))
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One file per bay0 boot: bay0's own lines only, from its "starting:" on.
awk -v d="$tmp" '/^bay0: starting: / { n++ } n && /^bay0: / { print > (d "/boot" n) }' "$plain"
got=$(find "$tmp" -name 'boot*' | wc -l)
if [ "$got" != "$boots" ]; then
	fail "$got bay0 boot(s) in the log, want $boots"
fi
for ((i = 1; i <= got; i++)); do
	f=$tmp/boot$i
	tag="boot $i of $got"
	replay=$(grep -m1 -E '^bay0: tpm: firmware log ' "$f" || true)
	if [[ $replay =~ ^bay0:\ tpm:\ firmware\ log\ matches\ the\ PCRs\ in\ [0-9]+\ banks ]]; then
		pass "$tag: ${replay#bay0: tpm: }"
	else
		fail "$tag: firmware log replay: ${replay:-no line}"
	fi
	# The order of events and starts: "E <string>" and "S <name>" lines.
	sed -nE -e 's/^bay0: tpm: log 11 (.*)$/E \1/p' -e 's/^bay0: persona ([a-z0-9-]+) started pid [0-9]+$/S \1/p' \
		"$f" >"$tmp/order"
	first=$(head -n 1 "$tmp/order")
	nstart=$(grep -c '^S ' "$tmp/order")
	if [ "$first" = "E spine:personas" ] && [ "$nstart" -gt 0 ] &&
		[ "$(grep -c '^E spine:personas$' "$tmp/order")" = 1 ]; then
		pass "$tag: spine:personas in PCR 11 before any of the $nstart persona start(s)"
	else
		fail "$tag: first event or start '${first:-none}', $nstart start(s)"
	fi
	bad=$(awk '/^E / { split($2, a, ":"); prev = (a[1] == "spine" && a[2] == "persona") ? a[3] : ""; next }
		/^S / { if (prev != $2) { print $2; exit } prev = "" }' "$tmp/order")
	if [ -z "$bad" ]; then
		pass "$tag: each of the $nstart start(s) comes right after its own identity event"
	else
		fail "$tag: persona $bad started without its identity event just before"
	fi
	if [ -n "$want_shutdown" ]; then
		last=$(grep '^E ' "$tmp/order" | tail -n 1)
		sd=$(grep -n -m1 '^bay0: shutdown: ' "$f" | cut -d: -f1)
		ev=$(grep -n -m1 '^bay0: tpm: log 11 spine:shutdown$' "$f" | cut -d: -f1)
		purged=$(awk -v s="${sd:-0}" 'NR > s && /^bay0: persona [a-z0-9-]+ purged/ { print NR; exit }' "$f")
		if [ "$last" = "E spine:shutdown" ] && [ -n "$sd" ] && [ -n "$ev" ] && [ "$ev" -gt "$sd" ] &&
			{ [ -z "$purged" ] || [ "$ev" -lt "$purged" ]; }; then
			pass "$tag: spine:shutdown is the last event, after 'shutdown:' and before any persona is purged"
		else
			fail "$tag: last event '${last:-none}', shutdown line ${sd:-none}, event line ${ev:-none}, first purge ${purged:-none}"
		fi
	fi
	# The run-time log as bay0 wrote it, read by the host tool.
	sed -nE 's/^bay0: tpm: log (11 .*)$/\1/p' "$f" >"$tmp/runlog"
	if ! "$spine_pcr" -r "$tmp/runlog" -P "$ppdir" >"$tmp/pred" 2>"$tmp/err"; then
		fail "$tag: spine-pcr -r refused bay0's run-time log: $(head -n 1 "$tmp/err")"
		continue
	fi
	# The guest's values: the "tpm: BANK 11 HEX" lines after each event.
	awk '/^bay0: tpm: log 11 / { n++ } n && /^bay0: tpm: sha[0-9]+ 11 [0-9A-F]+$/ { print n, $3, $5 }' "$f" |
		sort >"$tmp/guest"
	# spine-pcr prints "<bank> 11 <HEX> <string>" per bank per event, in order.
	awk '{ if (!($1 in seen)) { seen[$1] = 1; nb++ } k[NR] = $1 " " $3 }
		END { for (i = 1; i <= NR; i++) { split(k[i], a, " "); print int((i - 1) / nb) + 1, a[1], a[2] } }' "$tmp/pred" |
		sort >"$tmp/want"
	nev=$(wc -l <"$tmp/runlog")
	gbanks=$(awk '{ print $2 }' "$tmp/guest" | sort -u | tr '\n' ' ')
	if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/guest"; then
		pass "$tag: PCR 11 after each of the $nev events equals spine-pcr's prediction in every bank: ${gbanks% }"
	else
		fail "$tag: PCR 11 values differ from the prediction: $(diff "$tmp/want" "$tmp/guest" | grep -m2 '^[<>]' | tr '\n' ';') (banks in the guest: ${gbanks:-none})"
	fi
	if [ ${#predict[@]} -ge 2 ]; then
		if "$spine_pcr" -p "${predict[0]}" a "${predict[@]:1}" >"$tmp/p" 2>"$tmp/err"; then
			grep -E '^sha[0-9]+ 11 ' "$tmp/p" | awk '{ if (!($1 in seen)) { seen[$1] = 1; nb++ } k[NR] = $1 " " $3 }
				END { for (i = 1; i <= NR; i++) { split(k[i], a, " "); print int((i - 1) / nb) + 1, a[1], a[2] } }' |
				sort >"$tmp/pwant"
			if [ -s "$tmp/pwant" ] && cmp -s "$tmp/pwant" "$tmp/guest"; then
				pass "$tag: spine-pcr -p from the slot folder and $((${#predict[@]} - 1)) passport(s) alone predicts every PCR 11 value the guest read"
			else
				fail "$tag: spine-pcr -p ${predict[*]}: $(diff "$tmp/pwant" "$tmp/guest" | grep -m2 '^[<>]' | tr '\n' ';')"
			fi
		else
			fail "$tag: spine-pcr -p refused: $(head -n 1 "$tmp/err")"
		fi
	fi
	t=$(sed -nE 's/^bay0: tpm: ([0-9]+ runs of spine-tpm took [0-9]+ ms).*/\1/p' "$f" | head -n 1)
	[ -n "$t" ] && echo "vm-bay0: $label: $tag: $t by the time personas started"
done
exit "$nfail"
