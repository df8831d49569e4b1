# vault: core 1, cpu.max 20%, memory.max 32M, its own /persist/vault
# (nodev, nosuid, noexec), which it sees as /persist. Counts its boots there.
say() { echo "vault: $*"; }
say "up: host $(hostname), uid $(id -u), $(grep -E '^(Cpus_allowed_list|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\t\n' '  ')"
f=/persist/boots
n=$(($(cat $f 2>/dev/null || echo 0) + 1))
echo $n >$f.new && mv $f.new $f && say "boot number $n recorded in $f"
cp /bin/busybox /persist/bb 2>/dev/null
if /persist/bb true 2>/dev/null; then say "exec from /persist ran (should not)"; else say "exec from /persist refused"; fi
rm -f /persist/bb
say "sees only its own subtree at /persist: $(ls /persist | tr "\\n" " "); idle"
exec sleep 2147483647
