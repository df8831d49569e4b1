#!/usr/bin/env bash
# Builds one persona image: a read-only erofs file system holding Debian's
# busybox-static (with its applet links) and any extra files, over a tree
# of unpacked packages with -r (mkdebpersona.sh).
#
#   mkpersona.sh -o OUT [-V] [-z ALG] [-b BUSYBOX] [-r DIR] [-f SRC:DST]... [-S SRC:DST]...
#
#   -V          a verity image (docs/passport.md, "Verity images"): the erofs
#               (4096-byte blocks) with its dm-verity hash tree appended in
#               the same file by veritysetup (format 1, sha256, no
#               superblock), and OUT.verity beside it: the values
#               mkpassport.sh pins ("size N", "data-blocks N", "hash-offset
#               N", "salt HEX", "root HEX"). The salt is the SHA-256 of the
#               erofs, so the same inputs give the same bytes.
#   -z ALG      compress the erofs with ALG, lz4 or lz4hc (the kernel's
#               erofs reads those; it has no LZMA)
#   -b BUSYBOX  static busybox (default /bin/busybox from busybox-static)
#   -r DIR      a tree copied into the image first (symlinks kept; busybox
#               makes no applet link where the tree has a file): the
#               unpacked packages of mkdebpersona.sh
#   -f SRC:DST  an extra file at absolute path DST inside the image (mode
#               kept, setuid and setgid bits dropped)
#   -S SRC:DST  the same, installed setuid root (04755): for test images
#               only, to show that a setuid-root file in an image gives a
#               persona nothing (bay0 mounts images nosuid; no_new_privs)
#
# The image holds the empty directories bay0 mounts onto (dev proc tmp run
# persist): the root is read-only, so a mount point missing from the image
# cannot be made at launch. Nothing is setuid unless -S says so, everything is owned by root,
# every time stamp is 0 and the UUID is fixed, so the same inputs give the
# same bytes (and the passport's SHA-512 stays put between builds).
set -euo pipefail

die() {
	echo "mkpersona: $*" >&2
	exit 1
}

out= busybox=/bin/busybox verity= tree= zip=
files=() suid=()
while getopts o:Vz:b:r:f:S: opt; do
	case $opt in
	o) out=$OPTARG ;;
	V) verity=1 ;;
	z) zip=$OPTARG ;;
	b) busybox=$OPTARG ;;
	r) tree=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	S) suid+=("$OPTARG") ;;
	*) die "usage: mkpersona.sh -o OUT [-V] [-z ALG] [-b BUSYBOX] [-r DIR] [-f SRC:DST]... [-S SRC:DST]..." ;;
	esac
done
[ -n "$out" ] || die "need -o"
case $zip in '' | lz4 | lz4hc) ;; *) die "-z $zip: lz4 or lz4hc" ;; esac
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
kind=$(file -b "$busybox")
[[ $kind == *'statically linked'* ]] || die "$busybox is not static"

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "$out.stage.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp" "$out.verity.tmp"' EXIT
# mktemp -d makes the stage 0700: the root must be 0755 for the persona uid.
chmod 0755 "$stage"
if [ -n "$tree" ]; then
	[ -d "$tree" ] || die "no directory $tree"
	cp -a "$tree/." "$stage/"
	chmod 0755 "$stage"
fi
mkdir -p "$stage"/{bin,dev,proc,tmp,run,persist,etc}
[ ! -e "$stage/bin/busybox" ] && [ ! -L "$stage/bin/busybox" ] || die "$tree has its own /bin/busybox"
install -m 0755 "$busybox" "$stage/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || [ -e "$stage/bin/$a" ] || [ -L "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
done
[ -e "$stage/etc/passwd" ] || printf 'root:x:0:0:root:/:/bin/sh\n' >"$stage/etc/passwd"
[ -e "$stage/etc/group" ] || printf 'root:x:0:\n' >"$stage/etc/group"
for f in "${files[@]}"; do
	src=${f%%:*} dst=${f#*:}
	case $dst in
	/*) ;;
	*) die "destination must be absolute: $f" ;;
	esac
	[ -f "$src" ] || die "no file $src"
	install -D "$src" "$stage$dst"
done
chmod -R u-s,g-s "$stage"
for f in "${suid[@]}"; do
	src=${f%%:*} dst=${f#*:}
	case $dst in
	/*) ;;
	*) die "destination must be absolute: $f" ;;
	esac
	[ -f "$src" ] || die "no file $src"
	install -D -m 04755 "$src" "$stage$dst"
done
mkfs.erofs --quiet ${zip:+-z$zip} -T0 --all-root -U 00000000-0000-0000-0000-000000000000 \
	"$out.tmp" "$stage" >/dev/null
chmod 0644 "$out.tmp"
if [ -n "$verity" ]; then
	command -v veritysetup >/dev/null || die "no veritysetup (apt-get install cryptsetup-bin)"
	# erofs-utils 1.5 writes blocks of the page size (no -b): insist that
	# the superblock says 4096 (blkszbits, byte 1036, is 12), the block
	# size verity exposes (kata-containers PR#348: a mismatch fails to mount).
	[ "$(od -An -tu1 -j1036 -N1 "$out.tmp" | tr -d ' ')" = 12 ] || die "erofs block size is not 4096"
	size=$(stat -c %s "$out.tmp")
	[ $((size % 4096)) = 0 ] && [ "$size" -gt 0 ] || die "erofs size $size is not whole 4096-byte blocks"
	blocks=$((size / 4096))
	salt=$(sha256sum "$out.tmp" | cut -d' ' -f1)
	fmt=$(veritysetup format --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$blocks" --hash-offset="$size" --salt="$salt" \
		"$out.tmp" "$out.tmp") || die "veritysetup format failed"
	root=$(sed -nE 's/^Root hash:[[:space:]]+([0-9a-f]{64})$/\1/p' <<<"$fmt")
	[ -n "$root" ] || die "no root hash in veritysetup's output"
	grep -qE "^Data blocks:[[:space:]]+$blocks\$" <<<"$fmt" || die "veritysetup used other data blocks"
	printf 'size %s\ndata-blocks %s\nhash-offset %s\nsalt %s\nroot %s\n' \
		"$(stat -c %s "$out.tmp")" "$blocks" "$size" "$salt" "$root" >"$out.verity.tmp"
	mv -f "$out.verity.tmp" "$out.verity"
fi
mv -f "$out.tmp" "$out"
