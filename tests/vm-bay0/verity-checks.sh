#!/usr/bin/env bash
# tests/vm-bay0/verity-checks.sh PLAIN_LOG SPINE_DIR: grades the verity
# personas (docs/passport.md, "Verity images") in boot 1 of
# tests/vm-bay0/run.sh. SPINE_DIR holds what the test Spine was built from
# (build/spine/test: the images, their .verity values, the blob).
#
#   vgood   runs: reads /test/blob through dm-verity and prints its SHA-256,
#           which must be the blob's; the live table bay0 logs must be one
#           that veritysetup verify accepts for the image on the host; at its
#           purge the mount, dm device and loop device go
#   vdata   a data byte flipped: the read fails (EIO), bay0 logs the corrupt
#           image naming the persona and purges it; the blob's bytes never
#           reach it
#   vtree   the first byte of the hash tree flipped; vroot, vsalt: a wrong
#           root hash or salt in a validly re-signed passport: refused
#           before launch (the mount's first read fails), or like vdata
#   vshort, vlong   one block off the pinned size: refused before launch
#   py      Debian's python3-minimal (image/spine/mkdebpersona.sh) runs
#           dynamically linked from its verity image, contained (its uid,
#           no_new_privs, seccomp), serves on its own loopback and reads its
#           answer back; the table bay0 made live verifies on the host; its
#           purge releases everything
#
# and after the shutdown purge no device-mapper device and no loop device on
# an inventory file is left. One PASS/FAIL line per case; the exit status
# is the number of FAILs.
set -u
p=$1 dir=$2
nfail=0
pass() { echo "PASS: vm-verity: $*"; }
fail() {
	echo "FAIL: vm-verity: $*"
	nfail=$((nfail + 1))
}
line() { grep -aE -m1 -- "$1" "$p" || true; }

want=$(sha256sum "$dir/vblob" | cut -d' ' -f1)
# No persona may ever print the blob's hash but vgood, which reads good bytes.
leak=$(grep -aE "^bay0: \[v[a-z]+\] verity: read " "$p" | grep -avE '^bay0: \[vgood\] ' | head -n 1 || true)
[ -z "$leak" ] || fail "a tampered verity persona read its blob: $leak"

# vgood: started, read the right bytes, exited, everything released.
got=$(sed -nE 's/^bay0: \[vgood\] verity: read vgood ([0-9a-f]{64})$/\1/p' "$p" | head -n 1)
if grep -aqE '^bay0: persona vgood started pid [0-9]+' "$p" && [ "$got" = "$want" ]; then
	pass "vgood started and read /test/blob through dm-verity: sha256 $got, the blob's"
else
	fail "vgood: start $(line '^bay0: persona .*vgood.* (started|refused)'), read '${got:-nothing}', want $want"
fi
live=$(sed -nE 's/^bay0: persona vgood: verity device spine-vgood-[0-9]+, live table: (.*)$/\1/p' "$p" | head -n 1)
read -r _ _ _ dbs hbs blocks hstart alg root salt rest <<<"$live"
if [ -n "$live" ] && [ -z "${rest:-}" ] && [ "$dbs" = 4096 ] && [ "$hbs" = 4096 ] && [ "$alg" = sha256 ] &&
	veritysetup verify --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$blocks" --hash-offset=$((hstart * 4096)) \
		--salt="$salt" "$dir/vgood.erofs" "$dir/vgood.erofs" "$root" >/dev/null 2>&1; then
	pass "the table bay0 made live for vgood passes veritysetup verify on the host's image ($blocks data blocks, tree at block $hstart)"
else
	fail "vgood's live table '${live:-not logged}' is not one veritysetup verify accepts"
fi
td=$(line '^bay0: persona vgood: image unmounted, verity device spine-vgood-[0-9]+ removed, loop[0-9]+ released$')
if grep -aqE '^bay0: persona vgood purged: exited status 0' "$p" && [ -n "$td" ]; then
	pass "vgood purged: ${td#bay0: persona vgood: }"
else
	fail "vgood teardown: purge $(line '^bay0: persona vgood purged'), '$(line '^bay0: persona vgood: (image|verity device .*: remove)')'"
fi

# vdata: EIO on the bad block, logged by bay0 naming it, purged, released.
eio=$(line '^bay0: \[vdata\] verity: eio vdata')
bad=$(line '^bay0: persona vdata: verity: image vdata.erofs is corrupt')
pur=$(line '^bay0: persona vdata purged: verity: image corrupt')
td=$(line '^bay0: persona vdata: image unmounted, verity device spine-vdata-[0-9]+ removed, loop[0-9]+ released$')
if [ -n "$eio" ] && [ -n "$bad" ] && [ -n "$pur" ] && [ -n "$td" ]; then
	pass "vdata (a data byte flipped): its read got EIO ('${eio#*: }'), bay0: '${bad#bay0: }', purged, ${td#bay0: persona vdata: }"
else
	fail "vdata: eio '${eio:-none}', bay0 '${bad:-no corrupt line}', purge '${pur:-none}', teardown '${td:-none}'"
fi

# Refused before launch, or failed on the first read with bay0's line.
for n in vtree vroot vsalt; do
	ref=$(line "^bay0: persona /inventory/disk/$n.passport refused: $n: mount erofs from the verity device: Input/output error")
	if [ -n "$ref" ] && ! grep -aqE "^bay0: persona $n started" "$p"; then
		pass "$n refused before launch: ${ref#bay0: persona }"
	elif [ -n "$(line "^bay0: \[$n\] verity: eio $n")" ] && [ -n "$(line "^bay0: persona $n: verity: image .* is corrupt")" ]; then
		pass "$n got EIO on its first read of the bad block, and bay0 logged it"
	else
		fail "$n: $(line "^bay0: persona [^ ]*${n}[^ ]* (refused|started)")"
	fi
done
for n in vshort vlong; do
	ref=$(line "^bay0: persona /inventory/disk/$n.passport refused: image $n.erofs: size [0-9]+, the passport pins [0-9]+$")
	if [ -n "$ref" ] && ! grep -aqE "^bay0: persona $n started" "$p"; then
		pass "$n refused before launch: ${ref#bay0: persona }"
	else
		fail "$n: $(line "^bay0: persona [^ ]*${n}[^ ]* (refused|started)")"
	fi
done

# py: a dynamically linked program from Debian's archive, in containment.
# Its uid is the derived one (docs/passport.md): 100000 + FNV-1a("py") mod 65536.
uid=$(python3 -c 'h = 2166136261
for b in b"py": h = ((h ^ b) * 16777619) & 0xffffffff
print(100000 + h % 65536)')
who=$(line '^bay0: \[py\] py: python 3\.[0-9.]+ \(/usr/bin/python3\) on ')
srv=$(line "^bay0: \\[py\\] py: served 127\\.0\\.0\\.1:[0-9]+ and read back 'pong ping'; serving$")
libs=${who#* on } libs=${libs%%;*}
if grep -aqE '^bay0: persona py started pid [0-9]+' "$p" && [ -n "$srv" ] &&
	[[ " $libs " == *' ld-linux-x86-64.so.2 '* && " $libs " == *' libc.so.6 '* ]] &&
	[[ $who == *"; uid $uid, NoNewPrivs 1, Seccomp 2" ]]; then
	pass "py: Debian's python3 ran dynamically linked ($libs) as its uid $uid under no_new_privs and seccomp, and ${srv#*py: }"
else
	fail "py: start $(line '^bay0: persona [^ ]*py[^ ]* (refused|started)'), '${who:-no python line}', '${srv:-no served line}'"
fi
live=$(sed -nE 's/^bay0: persona py: verity device spine-py-[0-9]+, live table: (.*)$/\1/p' "$p" | head -n 1)
read -r _ _ _ dbs hbs blocks hstart alg root salt rest <<<"$live"
if [ -n "$live" ] && [ -z "${rest:-}" ] && [ "$dbs" = 4096 ] && [ "$alg" = sha256 ] &&
	veritysetup verify --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$blocks" --hash-offset=$((hstart * 4096)) \
		--salt="$salt" "$dir/py.erofs" "$dir/py.erofs" "$root" >/dev/null 2>&1; then
	pass "py's live verity table passes veritysetup verify on the host's py.erofs ($blocks data blocks)"
else
	fail "py's live table '${live:-not logged}' is not one veritysetup verify accepts"
fi
td=$(line '^bay0: persona py: image unmounted, verity device spine-py-[0-9]+ removed, loop[0-9]+ released$')
if [ -n "$td" ]; then
	pass "py purged at shutdown: ${td#bay0: persona py: }"
else
	fail "py teardown: $(line '^bay0: persona py (purged|: )')"
fi

# After the shutdown purge: nothing of any verity persona left.
left=$(line '^bay0: personas purged: [0-9]+ device-mapper device\(s\), [0-9]+ loop device\(s\) on inventory files left$')
if [[ $left =~ purged:\ 0\ device-mapper\ device\(s\),\ 0\ loop ]]; then
	pass "after the shutdown purge: ${left#bay0: personas purged: }"
else
	fail "after the shutdown purge: ${left:-no count logged}"
fi
exit "$nfail"
