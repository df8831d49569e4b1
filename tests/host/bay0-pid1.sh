#!/usr/bin/env bash
# bay0 as PID 1 of a fresh PID + mount namespace (docs/bay0.md, "Tests").
#
#   tests/host/bay0-pid1.sh build/bay0/bay0 build/bay0/bay0-test
#
# Each case builds a small root (bay0 as /sbin/bay0, /etc/spine.conf, a
# modules.dep), starts `unshare --pid --fork --mount` + chroot so that bay0 is
# PID 1 there, and checks what it did from the host: its console lines, its
# mount table (/proc/PID/mountinfo), its /dev, its affinity, its children.
# In a nested PID namespace bay0 runs "contained": it skips what belongs to
# the machine (modules, sysctls, watchdog, EFI variables), and reboot(2) ends
# the namespace: init dies of SIGHUP (reboot, exit 129 from unshare) or
# SIGINT (poweroff, 130). Needs root; prints PASS/FAIL/SKIP lines.
set -u
BAY0=${1:?usage: $0 bay0 bay0-test}
BAY0_TEST=${2:?usage: $0 bay0 bay0-test [persona.sec [slot.sec]]}
# The secret half of the persona key compiled into bay0, to sign test
# passports; and the slot key's, whose passports bay0 must refuse.
PERSONA_SEC=${3:-keys/dev/spine-persona-DEVELOPMENT.sec}
SLOT_SEC=${4:-keys/dev/spine-slot-DEVELOPMENT.sec}
fails=0
pass() { echo "PASS: bay0 pid1: $*"; }
fail() { echo "FAIL: bay0 pid1: $*"; fails=$((fails + 1)); }
skip() { echo "SKIP: bay0 pid1: $1 ($2)"; }
check() { # check <what> <command...>
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

if [ "$(id -u)" != 0 ] || ! unshare --pid --fork --mount true 2>/dev/null; then
	skip "all cases" "needs root and unshare --pid --mount"
	exit 0
fi

W=$(mktemp -d /tmp/bay0-pid1.XXXXXX)
LOOPDEV=
UPID=
cleanup() {
	# bay0 is PID 1 of its namespace: SIGKILL from here ends all of it.
	[ -n "$UPID" ] && [ -n "$BPID" ] && kill -KILL "$BPID" 2>/dev/null
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

# mkroot <dir> <bay0 binary> <spine.conf text>
mkroot() {
	local r=$1
	rm -rf "$r"
	mkdir -p "$r/sbin" "$r/etc" "$r/lib/modules/$(uname -r)"
	cp "$2" "$r/sbin/bay0"
	printf '%s' "$3" >"$r/etc/spine.conf"
	printf '%s\n' 'kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko' \
		'kernel/lib/crc16.ko:' 'kernel/fs/jbd2/jbd2.ko:' >"$r/lib/modules/$(uname -r)/modules.dep"
}

# start <root> <log>: bay0 as PID 1; sets UPID (unshare) and BPID (bay0).
start() {
	local r=$1 log=$2
	: >"$log"
	rm -f "$W/rc"
	# The subshell records unshare's status (bash would also print a
	# "Hangup" notice for a job killed by a signal).
	(
		unshare --pid --fork --mount --propagation private \
			sh -c 'mount --bind "$1" "$1" && exec chroot "$1" /sbin/bay0' sh "$r" \
			>"$log" 2>&1
		echo $? >"$W/rc"
	) 2>/dev/null &
	UPID=$!
	BPID=
	for _ in $(seq 50); do
		BPID=$(pgrep -P "$(pgrep -P "$UPID" -x unshare | head -1)" 2>/dev/null | head -1)
		[ -n "$BPID" ] && [ "$(readlink "/proc/$BPID/exe" 2>/dev/null)" != "$(readlink -f /bin/sh)" ] && break
		sleep 0.1
	done
}

# wait_line <log> <fixed string> [seconds]
wait_line() {
	for _ in $(seq $((${3:-10} * 10))); do
		grep -qF -- "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# finish: waits for the namespace to end; sets RC to unshare's exit status.
finish() {
	RC=
	for _ in $(seq 150); do
		if ! kill -0 "$UPID" 2>/dev/null; then
			wait "$UPID"
			RC=$(cat "$W/rc" 2>/dev/null)
			UPID=
			return 0
		fi
		sleep 0.1
	done
	[ -n "$BPID" ] && kill -KILL "$BPID" 2>/dev/null
	wait "$UPID" 2>/dev/null
	UPID=
	RC=timeout
}

# ---- 1. not PID 1 ----------------------------------------------------------
out=$("$BAY0" 2>&1)
rc=$?
check "refuses to run when not PID 1 (exit $rc)" \
	test "$rc" = 1 -a -n "$(printf '%s' "$out" | grep -F 'bay0: refusing to run: not PID 1')"

# ---- 2. a whole life: boot, reap, SIGTERM ----------------------------------
LABEL="b0t$$"
IMG=$W/persist.img
# A transfer a crash interrupted: bay0 must sweep it at start-up.
mkdir -p "$W"/persist-seed/transfer && echo partial >"$W"/persist-seed/transfer/t.1
if truncate -s 16M "$IMG" && mkfs.ext4 -q -L "$LABEL" -d "$W"/persist-seed "$IMG" &&
	LOOPDEV=$(losetup -f --show "$IMG"); then
	PERSIST="persist $LABEL"
else
	PERSIST="persist off"
	skip "/persist on a loop device" "losetup or mkfs.ext4 failed"
fi
R=$W/root
LOG=$W/life.log
mkroot "$R" "$BAY0" "# host test
module ext4
watchdog off
$PERSIST
persona /inventory/missing.passport
shutdown-timeout 2
"
start "$R" "$LOG"
if ! wait_line "$LOG" "bay0: ready" 15; then
	fail "boots to ready as PID 1"
	sed 's/^/    /' "$LOG"
else
	pass "boots to ready as PID 1"
	check "runs contained in a nested PID namespace" grep -qF "bay0: starting: contained" "$LOG"
	check "resolves module dependencies, loads nothing in a namespace" \
		grep -qF "bay0: module kernel/fs/jbd2/jbd2.ko: skipped (contained)" "$LOG"
	check "refuses a missing passport, still reaches ready" \
		grep -qF "bay0: persona /inventory/missing.passport refused:" "$LOG"
	MI=/proc/$BPID/mountinfo
	# mountinfo: field 5 is the mount point, field 6 the per-mount options.
	check "root is read-only, nosuid, nodev" \
		awk '$5 == "/" { split($6, o, ","); for (i in o) f[o[i]] = 1 }
		     END { exit !(f["ro"] && f["nosuid"] && f["nodev"]) }' "$MI"
	check "/dev is a tmpfs, not devtmpfs" \
		awk '$5 == "/dev" { for (i = 7; $i != "-"; i++); t = $(i + 1) } END { exit t != "tmpfs" }' "$MI"
	devs=$(cd "/proc/$BPID/root/dev" && ls | grep -v '^loop[0-9]' | sort | tr '\n' ' ')
	want=$( (printf '%s\n' console fd full kmsg null random tty urandom zero loop-control
		[ -n "$LOOPDEV" ] && basename "$LOOPDEV") | grep -v '^loop[0-9]' | sort | tr '\n' ' ')
	check "/dev holds only the listed nodes, loop devices and the /persist disk ($devs)" \
		test "$devs" = "$want"
	check "/dev/null is 1:3, mode 666" \
		test "$(stat -c '%t:%T %a' "/proc/$BPID/root/dev/null")" = "1:3 666"
	check "proc, sysfs, cgroup2 and /run mounted" \
		awk '$5 == "/proc" { a++ } $5 == "/sys" { b++ } $5 == "/sys/fs/cgroup" { c++ }
		     $5 == "/run" { d++ } END { exit !(a && b && c && d) }' "$MI"
	check "pinned to core 0" \
		test "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$BPID/status")" = 0
	if [ "$PERSIST" != "persist off" ]; then
		check "/persist found by ext4 label, mounted nodev,nosuid,noexec" \
			awk '$5 == "/persist" { split($6, o, ","); for (i in o) f[o[i]] = 1 }
			     END { exit !(f["nodev"] && f["nosuid"] && f["noexec"] && f["rw"]) }' "$MI"
		check "/persist/transfer is root's, 0700" \
			test "$(stat -c '%u:%g %a' "/proc/$BPID/root/persist/transfer")" = "0:0 700"
		check "logs persist mounted" grep -qF "bay0: persist mounted: $LOOPDEV" "$LOG"
		check "umbilical: a crash's leftover in /persist/transfer swept at start-up" \
			test -z "$(ls -A "/proc/$BPID/root/persist/transfer")" -a \
			-n "$(grep -F 'bay0: umbilical: swept 1 leftover(s) from /persist/transfer' "$LOG")"
	fi

	# An orphan: a shell in bay0's PID namespace starts a child and exits;
	# the child is re-parented to bay0, which must reap it.
	nsenter -t "$BPID" -p sh -c 'sleep 0.3 & exit 0'
	wait_line "$LOG" "bay0: reaped pid" 10
	sleep 0.2
	zombies=$(ps -o stat= --ppid "$BPID" | grep -c Z)
	check "reaps a re-parented orphan (no zombie, logged)" \
		test "$zombies" = 0 -a -n "$(grep -F 'bay0: reaped pid' "$LOG")"
	# A straggler that the shutdown must end (re-parented to bay0 once
	# its shell has exited).
	nsenter -t "$BPID" -p sh -c 'sleep 1000 & exit 0'
	straggler=
	for _ in $(seq 50); do
		straggler=$(pgrep -P "$BPID" -x sleep | head -1)
		[ -n "$straggler" ] && break
		sleep 0.1
	done

	kill -TERM "$BPID"
	finish
	check "SIGTERM: orderly shutdown logged" grep -qF "bay0: shutdown: SIGTERM" "$LOG"
	check "SIGTERM: stray processes killed" \
		test -n "$straggler" -a ! -e "/proc/$straggler"
	if [ "$PERSIST" != "persist off" ]; then
		check "SIGTERM: /persist unmounted before power-off" \
			awk '/bay0: persist unmounted/ { u = NR } /bay0: powering off/ { p = NR }
			     END { exit !(u && p && u < p) }' "$LOG"
	fi
	check "SIGTERM: ends in power-off (namespace init killed by SIGINT, rc $RC)" test "$RC" = 130
fi
[ -n "$UPID" ] && finish

# ---- 3. fatal paths --------------------------------------------------------
# fatal_case <what> <conf> <expected log line> <expected rc> [binary]
fatal_case() {
	mkroot "$R" "${5:-$BAY0}" "$2"
	start "$R" "$LOG"
	finish
	if grep -qF -- "$3" "$LOG" && [ "$RC" = "$4" ]; then
		pass "$1"
	else
		fail "$1 (rc $RC)"
		sed 's/^/    /' "$LOG"
	fi
}
fatal_case "bad spine.conf: logged, reboot (SIGHUP, 129)" \
	$'watchdog off\nfrobnicate\n' "bay0: fatal: /etc/spine.conf:2: unknown directive" 129
fatal_case "on-fatal poweroff is obeyed (SIGINT, 130)" \
	$'on-fatal poweroff\nwatchdog off\npersist nosuch-label-x\n' "bay0: fatal: persist:" 130
# up_case <what> <conf> <binary> <signal> <expected rc>: reaches ready, then
# the signal ends it.
up_case() {
	mkroot "$R" "$3" "$2"
	start "$R" "$LOG"
	if wait_line "$LOG" "bay0: ready" 10; then
		kill "-$4" "$BPID"
		finish
	else
		finish
		RC="never ready, $RC"
	fi
	if [ "$RC" = "$5" ]; then
		pass "$1"
	else
		fail "$1 (rc $RC)"
		sed 's/^/    /' "$LOG"
	fi
}
up_case "optional /persist missing: not fatal" \
	$'watchdog off\npersist nosuch-label-x optional\n' "$BAY0" TERM 130
up_case "SIGINT (ctrl-alt-del): orderly reboot (SIGHUP, 129)" \
	$'watchdog off\npersist off\n' "$BAY0" INT 129
up_case "on-sigterm reboot is obeyed" \
	$'watchdog off\npersist off\non-sigterm reboot\n' "$BAY0" TERM 129
fatal_case "release build refuses the test-only watchdog switch" \
	$'watchdog off\npersist off\ntest-starve-watchdog 5\n' \
	"bay0: fatal: /etc/spine.conf:3: test-starve-watchdog: not a test build" 129
up_case "test build accepts it" \
	$'watchdog off\npersist off\ntest-starve-watchdog 5\n' "$BAY0_TEST" TERM 130
rm -f "$R/etc/spine.conf"
start "$R" "$LOG"
finish
check "no /etc/spine.conf at all: fatal, reboot (rc $RC)" \
	test "$RC" = 129 -a -n "$(grep -F 'bay0: fatal: /etc/spine.conf: No such file' "$LOG")"

# ---- 4. personas under bay0 -------------------------------------------------
# Real passports signed with the slot key, an erofs image of busybox-static;
# the launcher runs without cgroup limits here (the host has cgroup v1).
persona_cases() {
	local inv=$R/inventory img hash
	mkroot "$R" "$BAY0" ""
	# Mount points the launcher needs in a read-only image.
	mkdir -p "$W"/img/{bin,etc,dev,proc,tmp,run,persist} "$inv"
	cp /bin/busybox "$W/img/bin/busybox"
	for a in sh sleep echo dd; do ln -sf busybox "$W/img/bin/$a"; done
	printf 'echo hello from hello\necho second line\nexit 3\n' >"$W/img/etc/hello.sh"
	# The Umbilical: asks bay0 on its channel (fd 0), prints each answer.
	printf '%s\n' "for r in 'pull stay f' 'pull hello x' 'pull stay ../x'; do" \
		"printf '%s' \"\$r\" >&0; echo \"answer: \$(dd bs=512 count=1 <&0 2>&-)\"; done" \
		'sleep 1000' >"$W/img/etc/asker.sh"
	# stay may offer Spine updates (spine.conf): a channel without pull.
	printf '%s\n' "printf 'spine v3' >&0; echo \"answer: \$(dd bs=512 count=1 <&0 2>&-)\"" \
		'exec sleep 1000' >"$W/img/etc/stay.sh"
	mkfs.erofs --quiet --all-root "$inv/test.img" "$W/img" >/dev/null || return 1
	hash=$(sha512sum "$inv/test.img" | cut -d' ' -f1)
	pp() { # pp <name> <extra directives> [secret key]
		printf 'name %s\nimage test.img %s\n%scores 1\nmemory.max 64M\npids.max 16\n' \
			"$1" "$hash" "$2" >"$W/$1.txt"
		signify-openbsd -S -e -s "${3:-$PERSONA_SEC}" -m "$W/$1.txt" -x "$inv/$1.passport"
	}
	pp hello $'entry /bin/sh /etc/hello.sh\n' || return 1
	pp sleeper $'entry /bin/sleep 1000\nlifetime 2\n' || return 1
	pp stay $'entry /bin/sh /etc/stay.sh\npersist rw\numbilical offer\n' || return 1
	pp asker $'entry /bin/sh /etc/asker.sh\npersist rw\numbilical pull\n' || return 1
	# A passport whose signed body was changed afterwards.
	pp forged $'entry /bin/sleep 1000\n' || return 1
	sed -i 's/^cores 1$/cores 2/' "$inv/forged.passport"
	# A well-formed passport signed with the slot key: the key that signs
	# Spines signs no persona (docs/passport.md, "Keys").
	pp slotsigned $'entry /bin/sleep 1000\n' "$SLOT_SEC" || return 1
	# sleeper's valid passport under another file name, listed before it:
	# it must start nobody (docs/passport.md, "File names").
	cp "$inv/sleeper.passport" "$inv/alias.passport"
	printf '%s\n' "watchdog off" "$PERSIST" "shutdown-timeout 2" "spine-updates-from stay" \
		"persona /inventory/hello.passport" "persona /inventory/alias.passport" \
		"persona /inventory/sleeper.passport" \
		"persona /inventory/stay.passport" "persona /inventory/forged.passport" \
		"persona /inventory/slotsigned.passport" "persona /inventory/asker.passport" >"$R/etc/spine.conf"
	LOG=$W/personas.log
	start "$R" "$LOG"
	if ! wait_line "$LOG" "bay0: ready" 20; then
		fail "personas: bay0 reaches ready"
		sed 's/^/    /' "$LOG"
		return 0
	fi
	check "personas: four started, the forged, slot-signed and renamed ones refused" \
		grep -qF "bay0: personas started: 4 of 7" "$LOG"
	check "personas: a passport under another persona's file name refused" \
		grep -qxF "bay0: persona /inventory/alias.passport refused: alias.passport holds the passport of persona sleeper, not sleeper.passport" "$LOG"
	check "personas: forged passport refused with a reason" \
		grep -qE "^bay0: persona /inventory/forged.passport refused: .+" "$LOG"
	check "personas: passport signed with the slot key refused (unknown key)" \
		grep -qxF "bay0: persona /inventory/slotsigned.passport refused: signature: unknown key number" "$LOG"
	local rss hwm
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$BPID/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$BPID/status")
	check "personas: bay0 resident memory ${rss} KiB (peak ${hwm} KiB) under 2 MiB" \
		test "$rss" -lt 2048
	check "personas: started line with pid" grep -qE "^bay0: persona hello started pid [0-9]+$" "$LOG"
	wait_line "$LOG" "bay0: persona hello purged" 5
	check "personas: output relayed with the persona's name" \
		grep -qxF "bay0: [hello] hello from hello" "$LOG"
	check "personas: exit purges, with the status" \
		grep -qxF "bay0: persona hello purged: exited status 3" "$LOG"
	# The sleeper's host pid, from the namespace pid bay0 logged.
	local nspid hpid=
	nspid=$(sed -n 's/^bay0: persona sleeper started pid \([0-9]*\)$/\1/p' "$LOG")
	for c in $(pgrep -P "$BPID"); do
		[ "$(awk '/^NSpid/ { print $3 }' "/proc/$c/status" 2>/dev/null)" = "$nspid" ] && hpid=$c
	done
	check "personas: lifetime ends in purge" \
		wait_line "$LOG" "bay0: persona sleeper purged: lifetime ended" 6
	check "personas: the purged persona's process is gone, bay0 runs on" \
		test -n "$hpid" -a ! -e "/proc/$hpid" -a -e "/proc/$BPID"
	if [ "$PERSIST" != "persist off" ]; then
		local want_uid
		want_uid=$(stat -c %u "/proc/$(pgrep -P "$BPID" -x sleep | head -1)" 2>/dev/null)
		check "personas: /persist/stay is the persona's uid ($want_uid), 0700" \
			test -n "$want_uid" -a "$want_uid" != 0 -a \
			"$(stat -c '%u %a' "/proc/$BPID/root/persist/stay")" = "$want_uid 700"
	fi
	# The Umbilical's channel: bay0 knows the asker from the channel, logs
	# both names, and with no keyboard at its console (contained) refuses
	# what would need a yes; a source without offer, and a bad name, too.
	wait_line "$LOG" "bay0: [asker] answer: refused: name rule" 10
	wait_line "$LOG" "bay0: [stay] answer: " 5
	check "umbilical: channel: no keyboard, refused before staging, both names logged" \
		grep -qE "^bay0: umbilical: request [0-9]+: asker asks for 'f' from stay: refused: no keyboard at bay0's console: nobody can say yes$" "$LOG"
	check "umbilical: channel: the asker got the answer on its own channel" \
		grep -qxF "bay0: [asker] answer: refused: no keyboard at bay0's console: nobody can say yes" "$LOG"
	check "umbilical: channel: a source without the offer grant (or gone) is refused" \
		grep -qE "^bay0: umbilical: request [0-9]+: asker asks for 'x' from hello: refused: (hello's passport does not grant offer|no running persona 'hello')$" "$LOG"
	check "umbilical: channel: a bad name is refused with the rule" \
		grep -qE "^bay0: umbilical: request [0-9]+ from asker: refused: name rule: '/' at byte 2 \(a name, not a path\)$" "$LOG"
	check "umbilical: the persona spine.conf names for Spine updates has a channel, no pull needed" \
		grep -qE "^bay0: umbilical: request [0-9]+: stay offers a Spine update from its folder 'v3'$" "$LOG"
	check "umbilical: its offer, with no keyboard, is refused before anything is staged" \
		grep -qE "^bay0: umbilical: request [0-9]+: stay offers a Spine update from 'v3': refused: no keyboard at bay0's console: nobody can say yes$" "$LOG"
	check "umbilical: channel: nothing staged in /persist/transfer" \
		test -z "$(ls -A "/proc/$BPID/root/persist/transfer" 2>/dev/null)"
	kill -TERM "$BPID"
	finish
	check "personas: SIGTERM purges the running persona first" \
		awk '/bay0: persona stay purged: SIGTERM/ { p = NR } /bay0: powering off/ { o = NR }
		     END { exit !(p && o && p < o) }' "$LOG"
	check "personas: SIGTERM ends in power-off (rc $RC)" test "$RC" = 130
}
if [ ! -r "$PERSONA_SEC" ] || [ ! -r "$SLOT_SEC" ] || ! command -v signify-openbsd >/dev/null || ! command -v mkfs.erofs >/dev/null ||
	[ ! -x /bin/busybox ] || ! grep -qw erofs /proc/filesystems; then
	skip "personas under bay0" "needs $PERSONA_SEC, $SLOT_SEC, signify-openbsd, mkfs.erofs, busybox-static, erofs"
elif ! persona_cases; then
	fail "personas: could not build the test image or passports"
fi

[ "$fails" = 0 ]
