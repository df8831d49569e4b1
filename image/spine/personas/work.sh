# work: pids.max 16, memory.max 128M, its own /persist. A subshell
# asks for 64 sleepers; fork fails once the cgroup holds 16 tasks (the
# failing fork ends the subshell). Counting and killing use only shell
# builtins: with the cgroup full, nothing may need a fork.
say() { echo "work: $*"; }
say "up: host $(hostname), uid $(id -u), $(grep -E '^(Cpus_allowed_list|NoNewPrivs|Seccomp|CapEff):' /proc/self/status | tr -s '\t\n' '  ')"
(
	i=0
	while [ $i -lt 64 ]; do
		sleep 600 &
		i=$((i + 1))
	done
) 2>/dev/null
set -- /proc/[0-9]*
say "pids.max 16: $# tasks alive after asking for 64 sleepers"
kill -TERM -1 2>/dev/null
echo "work was here" >>/persist/log && say "appended to /persist/log (its own subtree)"
say "idle"
exec sleep 2147483647
