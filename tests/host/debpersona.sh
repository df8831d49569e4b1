#!/usr/bin/env bash
# tests/host/debpersona.sh CACHE: image/spine/mkdebpersona.sh on the host,
# offline. CACHE is the package cache the Spine build filled (build/debcache,
# holding python3-minimal's closure); each case works on a copy of it with
# apt pointed at a proxy that refuses every connection, so anything the
# builder tried to download would fail the case.
#
#   - libc6's persona builds from the cache alone, its closure is exactly
#     libc6, libgcc-s1 and gcc-12-base, and its passport verifies
#   - a second build gives the same bytes
#   - -x libgcc-s1 leaves out libgcc-s1 and what only it pulls in
#   - a cached .deb with one byte changed is not used: the builder wants
#     the archive's bytes, cannot fetch them, and writes no image
#   - an entry that is in no package, a package apt does not know, and a
#     name that is no package name: refused, no image
#
# One PASS/FAIL line per case; exit status 1 if any failed.
set -u
cache=$1
sec=${PERSONA_SEC:-keys/dev/spine-persona-DEVELOPMENT.sec}
pub=${PERSONA_PUB:-keys/dev/spine-persona-DEVELOPMENT.pub}
nfail=0
pass() { echo "PASS: debpersona: $*"; }
fail() {
	echo "FAIL: debpersona: $*"
	nfail=$((nfail + 1))
}
out=build/tests/debpersona
rm -rf "$out"
mkdir -p "$out"
if ! ls "$cache"/libc6_*.deb >/dev/null 2>&1; then
	fail "no libc6 .deb in $cache (make build/spine/deb/py.passport fills it)"
	exit 1
fi
cp -a "$cache" "$out/cache"
# Every download goes to a port nothing listens on.
printf 'Acquire::http::Proxy "http://127.0.0.1:9/";\nAcquire::https::Proxy "http://127.0.0.1:9/";\nAcquire::Retries "0";\n' >"$out/apt.conf"
export APT_CONFIG=$PWD/$out/apt.conf # absolute: apt-get download runs in the cache
printf 'name t\nverity @IMAGE@\nentry @ENTRY@\ncores 1\nmemory.max 16M\npids.max 4\n' >"$out/t.pp"
build() { # build NAME CACHE ARGS...: mkdebpersona's output in $out/NAME.err
	local n=$1 c=$2
	shift 2
	image/spine/mkdebpersona.sh -o "$out/$n.erofs" -c "$c" -t "$out/t.pp" -P "$out/$n.passport" \
		-s "$sec" -p "$pub" "$@" >"$out/$n.err" 2>&1
}

if build a "$out/cache" -e /lib64/ld-linux-x86-64.so.2 libc6 &&
	[ "$(cut -d' ' -f1 "$out/a.erofs.packages" | tr '\n' ' ')" = 'gcc-12-base libc6 libgcc-s1 ' ] &&
	signify-openbsd -V -e -q -p "$pub" -x "$out/a.passport" -m /dev/null &&
	grep -qE '^verity a\.erofs [0-9]+ [0-9]+ [0-9]+ 4096 4096 sha256 [0-9a-f]+ [0-9a-f]{64}$' "$out/a.passport" &&
	grep -qx 'entry /lib64/ld-linux-x86-64.so.2' "$out/a.passport"; then
	pass "libc6 built offline from the cache: closure $(cut -d' ' -f1 "$out/a.erofs.packages" | tr '\n' ' ')and a passport that verifies"
else
	fail "libc6 offline: $(tail -n 2 "$out/a.err" | tr '\n' ' ')$(cat "$out/a.erofs.packages" 2>/dev/null | tr '\n' ';')"
fi
if build b "$out/cache" -e /lib64/ld-linux-x86-64.so.2 libc6 && cmp -s "$out/a.erofs" "$out/b.erofs"; then
	pass "a second build gives the same image ($(stat -c %s "$out/b.erofs") bytes)"
else
	fail "second build: $(tail -n 1 "$out/b.err") $(cmp "$out/a.erofs" "$out/b.erofs" 2>&1)"
fi
if build x "$out/cache" -x libgcc-s1 -e /lib64/ld-linux-x86-64.so.2 libc6 &&
	[ "$(cut -d' ' -f1 "$out/x.erofs.packages" | tr '\n' ' ')" = 'libc6 ' ]; then
	pass "-x libgcc-s1: the closure is libc6 alone"
else
	fail "-x libgcc-s1: $(tail -n 1 "$out/x.err") closure $(cut -d' ' -f1 "$out/x.erofs.packages" 2>/dev/null | tr '\n' ' ')"
fi

cp -a "$out/cache" "$out/bad"
deb=$(ls "$out"/bad/libgcc-s1_*.deb)
printf '\x00' | dd of="$deb" bs=1 seek=2000 conv=notrunc status=none
if ! build t "$out/bad" -e /lib64/ld-linux-x86-64.so.2 libc6 && grep -q 'libgcc-s1 .*apt-get download failed' "$out/t.err" &&
	[ ! -e "$out/t.erofs" ] && [ ! -e "$out/t.passport" ]; then
	pass "a changed cached .deb is not used: $(grep -m1 mkdebpersona: "$out/t.err")"
else
	fail "changed cached .deb: $(tail -n 1 "$out/t.err"), image $(ls "$out"/t.erofs 2>/dev/null || echo none)"
fi

refused() { # refused WHAT WANT ARGS...
	local what=$1 want=$2
	shift 2
	rm -f "$out/r.erofs" "$out/r.passport"
	if ! build r "$out/cache" "$@" && grep -qE "^mkdebpersona: .*$want" "$out/r.err" &&
		[ ! -e "$out/r.erofs" ] && [ ! -e "$out/r.passport" ]; then
		pass "$what refused: $(grep -m1 '^mkdebpersona: ' "$out/r.err")"
	else
		fail "$what: $(tail -n 1 "$out/r.err"), image $(ls "$out"/r.erofs 2>/dev/null || echo none)"
	fi
}
refused "an entry in no package" 'no executable file in the packages' -e /usr/bin/python3 libc6
refused "an unknown package" 'cannot resolve|not in the apt lists' -e /lib64/ld-linux-x86-64.so.2 no-such-package-spine
refused "a bad package name" 'is not a Debian package name' -e /lib64/ld-linux-x86-64.so.2 'libc6;rm'
[ "$nfail" = 0 ]
