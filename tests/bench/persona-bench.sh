#!/usr/bin/env bash
# make bench-persona: builds the same test image as the host test (reusing
# its setup), then runs build/tests/persona-bench as PID 1 of a fresh
# PID+mount namespace. Prints bench: lines; fails if it cannot run.
set -eu
B=${1:-build}
T=$B/tests/persona-bench.d
[ "$(id -u)" = 0 ] || { echo "bench-persona: needs root"; exit 1; }
command -v bwrap >/dev/null || { echo "bench-persona: bwrap missing (make deps)"; exit 1; }
rm -rf "$T"
mkdir -p "$T"/root/{bin,dev,proc,tmp,run,persist} "$T"/inv "$T"/stage "$T"/persist
cp "$B"/tests/persona/persona-hello "$T"/root/bin/
modprobe -q erofs 2>/dev/null || true
mkfs.erofs --quiet --all-root "$T"/inv/hello.img "$T"/root >/dev/null
HASH=$(sha512sum "$T"/inv/hello.img | cut -d' ' -f1)
signify-openbsd -G -n -p "$T"/k.pub -s "$T"/k.sec -c "bench key"
printf 'name hello\nimage hello.img %s\nentry /bin/persona-hello\ncores 1\nmemory.max 16M\npids.max 8\ndevices null\n' \
	"$HASH" >"$T"/hello.txt
signify-openbsd -S -e -s "$T"/k.sec -m "$T"/hello.txt -x "$T"/hello.passport
unshare --pid --fork --mount --mount-proc "$B"/tests/persona-bench --key "$T"/k.pub \
	--passport "$T"/hello.passport --inventory "$T"/inv --stage "$(realpath "$T"/stage)" \
	--persist "$(realpath "$T"/persist)" --rootfs "$(realpath "$T"/root)" \
	--rounds "${BENCH_ROUNDS:-200}"
