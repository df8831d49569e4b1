# web: cores 2-3, cpu.max 50 ms per 100 ms. Two busy loops for 4 s of wall
# time would use 8 s of CPU unthrottled; the cgroup holds them near 2 s.
say() { echo "web: $*"; }
say "up: host $(hostname), uid $(id -u), $(grep -E '^(Cpus_allowed_list|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t\n' '  ')"
t=$( { time -p sh -c 'spin() { end=$(($(date +%s) + 4)); while [ "$(date +%s)" -lt "$end" ]; do :; done; }; spin & spin; wait'; } 2>&1 | tr '\n' ' ')
say "two spinners under cpu.max 50%: $t"
say "serving nothing (network none); idle"
exec sleep 2147483647
