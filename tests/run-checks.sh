#!/usr/bin/env bash
# Runs each make target named on the command line, keeps going when one fails,
# and prints the totals. Every check reports one line per test case:
#   PASS: <what>   FAIL: <what>   SKIP: <what> (<why>)
# A target that exits non-zero counts as failed even if it printed no FAIL line.
#
# With -j N (N > 1), up to N checks run at once. A check named in
# CHECK_HEAVY (a space-separated list: those that already keep both cores
# busy themselves, such as a VM test running two guests or one guest with
# four vCPUs) runs with nothing beside it. Before any check starts, one make
# builds the prerequisites of all of them, so that no two checks ever build
# the same file at once. A parallel check's output is printed whole when it
# ends, so logs never interleave.
set -u
jobs=1
if [ "${1:-}" = -j ]; then
	jobs=$2
	shift 2
fi
mkdir -p build/check
pass=0 fail=0 skip=0 failed=()
heavy=" ${CHECK_HEAVY:-} "

# Counts a finished check: its log is build/check/$1.log, its exit status $2,
# its time $3 seconds.
account() {
	local t=$1 rc=$2 secs=$3 log=build/check/$1.log p f s
	p=$(grep -c '^PASS: ' "$log") f=$(grep -c '^FAIL: ' "$log") s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $t exited $rc" | tee -a "$log"
		f=1
	fi
	if [ "$rc" -eq 0 ] && [ "$f" -ne 0 ]; then
		echo "FAIL: $t printed FAIL lines but exited 0"
	fi
	[ "$f" -ne 0 ] && failed+=("$t")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "== $t: $p passed, $f failed, $s skipped ($secs s)"
}

if [ "$jobs" -le 1 ]; then
	for t in "$@"; do
		echo "== $t"
		start=$SECONDS
		make --no-print-directory "$t" 2>&1 | tee "build/check/$t.log"
		account "$t" "${PIPESTATUS[0]}" $((SECONDS - start))
	done
else
	# The prerequisites, from make's own database: "check-x: a b | deps".
	prereqs=$(make -qp "$@" 2>/dev/null | awk -v want=" $* " '
		/^check-[A-Za-z0-9_-]+:/ {
			name = substr($1, 1, length($1) - 1)
			# "check-x: VAR := value" is a target-specific variable, not a rule.
			if (index(want, " " name " ") == 0 || $0 ~ /^[^:]*: *[^ ]+ *[:+?!]?=/ || seen[name]++) next
			for (i = 2; i <= NF && $i != "|"; i++) print $i
		}' | sort -u)
	echo "== prerequisites of $# checks (make -j$jobs)"
	start=$SECONDS
	# shellcheck disable=SC2086 # one word per prerequisite
	if ! make --no-print-directory -j"$jobs" $prereqs >build/check/prerequisites.log 2>&1; then
		tail -n 20 build/check/prerequisites.log
		echo "FAIL: building the checks' prerequisites (build/check/prerequisites.log);" \
			"each check still runs and builds what it can"
		fail=$((fail + 1)) failed+=(prerequisites)
	fi
	echo "== prerequisites: $((SECONDS - start)) s"

	declare -A begun=() weight=() pid_of=()
	load=0
	# Waits for one running check, prints its log and counts it.
	reap() {
		local done_pid t
		wait -n -p done_pid
		for t in "${!begun[@]}"; do
			[ "${pid_of[$t]}" = "$done_pid" ] || continue
			echo "== $t"
			cat "build/check/$t.log"
			account "$t" "$(cat "build/check/$t.rc" 2>/dev/null || echo 1)" $((SECONDS - begun[$t]))
			load=$((load - weight[$t]))
			unset "begun[$t]"
			return
		done
	}
	for t in "$@"; do
		w=1
		[[ $heavy == *" $t "* ]] && w=$jobs
		weight[$t]=$w
		while [ $((load + w)) -gt "$jobs" ]; do reap; done
		(
			make --no-print-directory "$t" >"build/check/$t.log" 2>&1
			echo $? >"build/check/$t.rc"
		) &
		pid_of[$t]=$!
		begun[$t]=$SECONDS
		load=$((load + w))
	done
	while [ "$load" -gt 0 ]; do reap; done
fi
echo
[ ${#failed[@]} -gt 0 ] && echo "failed checks: ${failed[*]}"
for t in "$@"; do grep -h '^SKIP: ' "build/check/$t.log" 2>/dev/null; done | sort -u
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
