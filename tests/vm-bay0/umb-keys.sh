#!/usr/bin/env bash
# tests/vm-bay0/umb-keys.sh: the person at bay0's console during boot 1 of
# tests/vm-bay0/run.sh (docs/umbilical.md). It reads the serial log as it
# grows and types on the VM's keyboard through QEMU's monitor (sendkey):
# Y (shift-y) 2.5 s after a real prompt for accept-me.bin or plant-me.bin
# (uplant's, whose inbox is a planted symbolic link), n 0.5 s after one
# for deny-me.txt, nothing for wait-me.txt (bay0 must time it out); and,
# once the persona has printed its fake prompt and no real prompt is open,
# one Y, which bay0 must ignore. A real prompt is one bay0 drew: its lines
# start "bay0: umbilical:", which no relayed persona line can.
#
#   umb-keys.sh SERIAL_LOG MONITOR_SOCKET DONE_FILE
#
# Touches DONE_FILE when finished (or at 200 s), so the harness can then
# use the monitor itself.
set -u
log=$1 sock=$2 done=$3
key() {
	tests/lib/sendkey.sh "$sock" "$1" || echo "umb-keys: could not send $1"
	echo "umb-keys: sent $1 at ${SECONDS} s"
}
answered=" " stray=
for _ in $(seq 400); do
	plain=$(sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$log" 2>/dev/null)
	# Real prompts: request id and the first line of the (escaped) name.
	while read -r id name; do
		[ -n "$id" ] || continue
		case $answered in *" $id "*) continue ;; esac
		answered+="$id "
		case $name in
		accept-me.bin | plant-me.bin)
			# A Y too soon after a redraw (other lines reach the
			# console) only restarts the wait: press again, as a
			# person would, while the prompt stands undecided.
			sleep 2.5
			for _ in 1 2 3 4; do
				key shift-y
				sleep 3
				grep -qE "^(\[ *[0-9.]+\] )?bay0: umbilical: request $id: (accepted|denied|timed out)" "$log" && break
			done
			;;
		deny-me.txt) sleep 0.5 && key n ;;
		*) echo "umb-keys: request $id ($name): no answer" ;;
		esac
	done < <(awk '/^bay0: umbilical: ---- transfer request [0-9]+ ----$/ { id = $6 }
		/^bay0: umbilical: file name / && id { print id, $5; id = "" }' <<<"$plain")
	if [ -z "$stray" ] && grep -q 'pvm: umb-fake-printed' <<<"$plain"; then
		# No real prompt open: every prompt drawn has its decision.
		nprompt=$(grep -c '^bay0: umbilical: ---- transfer request ' <<<"$plain")
		ndecided=$(grep -cE '^bay0: umbilical: request [0-9]+: (accepted|denied|timed out)' <<<"$plain")
		if [ "$nprompt" = "$ndecided" ]; then
			key shift-y
			stray=1
		fi
	fi
	# Done once urcv has finished and uplant's request (asked later, whenever
	# its sleep ends under emulation) has been answered.
	if [ -n "$stray" ] && grep -q 'pvm: umb-done' <<<"$plain" &&
		grep -q 'pvm: umb-plant-inbox: ' <<<"$plain"; then
		break
	fi
	sleep 0.5
done
touch "$done"
