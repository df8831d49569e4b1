#!/usr/bin/env bash
# Builds a reproducible initramfs: a gzip-compressed newc cpio.
#
#   mkinitrd.sh -o OUT -i INIT [-k KERNELDIR] [-m MODULE]... [-f SRC:DST]...
#
#   -i INIT       static binary installed as /init
#   -k KERNELDIR  an unpacked kernel (image/fetch-kernel.sh; default build/kernel)
#   -m MODULE     a module name as in modules.dep ("efivarfs", "i6300esb");
#                 its dependencies are added. A module built into the kernel
#                 (modules.builtin) is accepted and skipped.
#   -f SRC:DST    an extra file, installed at absolute path DST (mode kept)
#
# Modules land at their usual /lib/modules/<ver>/... paths, and
# /lib/modules/<ver>/load.list names them one per line (path relative to that
# folder), dependencies first: the init loads them in that order with
# finit_module(2). Compressed modules (.ko.xz, .ko.zst, .ko.gz) are stored
# unpacked; Debian 12's kernel ships plain .ko files anyway.
#
# Same inputs give the same bytes: entries sorted, owner 0:0, mtimes 0,
# gzip without name or time stamp.
set -euo pipefail

die() {
	echo "mkinitrd: $*" >&2
	exit 1
}

out='' init='' kdir=build/kernel
mods=() files=()
while getopts o:i:k:m:f: opt; do
	case $opt in
	o) out=$OPTARG ;;
	i) init=$OPTARG ;;
	k) kdir=$OPTARG ;;
	m) mods+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	*) die "usage: mkinitrd.sh -o OUT -i INIT [-k KERNELDIR] [-m MODULE]... [-f SRC:DST]..." ;;
	esac
done
[ -n "$out" ] && [ -n "$init" ] || die "need -o and -i"
[ -f "$init" ] || die "no init binary $init"
# (file's output in a variable: "file | grep -q" can die of SIGPIPE under
# pipefail when grep stops reading first)
kind=$(file -b "$init")
if [[ $kind == *'dynamically linked'* ]]; then
	die "$init is dynamically linked; the initramfs has no libraries for it"
fi

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{dev,proc,sys,run,tmp}
install -m 0755 "$init" "$stage/init"

if [ ${#mods[@]} -gt 0 ]; then
	ver=$(cat "$kdir/version")
	mdir=$kdir/lib/modules/$ver
	dep=$mdir/modules.dep
	[ -f "$dep" ] || die "no $dep (run image/fetch-kernel.sh)"
	# modules.dep: "kernel/a/b.ko: kernel/c.ko kernel/d.ko", where the list
	# after the colon is every module b needs, transitively, in load order
	# reversed (the last one must be loaded first).
	declare -A seen=()
	order=()
	add_path() {
		local p=$1 line deps d i
		[ -n "${seen[$p]:-}" ] && return 0
		line=$(awk -F: -v p="$p" '$1 == p { print; exit }' "$dep")
		[ -n "$line" ] || die "$p not in $dep"
		read -r -a deps <<<"${line#*:}"
		for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
			d=${deps[i]}
			if [ -z "${seen[$d]:-}" ]; then
				seen[$d]=1
				order+=("$d")
			fi
		done
		seen[$p]=1
		order+=("$p")
	}
	for m in "${mods[@]}"; do
		# Module names use '_' and '-' interchangeably; file names use either.
		pat=$(printf '%s' "$m" | sed 's/[-_]/[-_]/g')
		p=$(grep -E -m 1 "(^|/)${pat}\.ko(\.[a-z]+)?:" "$dep" | cut -d: -f1 || true)
		if [ -z "$p" ]; then
			if grep -Eq "(^|/)${pat}\.ko$" "$mdir/modules.builtin"; then
				continue
			fi
			die "module $m is neither in modules.dep nor built in"
		fi
		add_path "$p"
	done
	# Compressed modules are unpacked here: finit_module(2) takes them as
	# they are only with CONFIG_MODULE_DECOMPRESS, and a plain .ko loads
	# everywhere. (Debian 12's modules are not compressed at all.)
	loads=()
	for p in "${order[@]}"; do
		dst=$stage/lib/modules/$ver/${p%.ko*}.ko
		mkdir -p "$(dirname "$dst")"
		case $p in
		*.ko) cp "$mdir/$p" "$dst" ;;
		*.ko.xz) xz -dc "$mdir/$p" >"$dst" ;;
		*.ko.zst) zstd -qdc "$mdir/$p" >"$dst" ;;
		*.ko.gz) gzip -dc "$mdir/$p" >"$dst" ;;
		*) die "$p: unknown module compression" ;;
		esac
		chmod 0644 "$dst"
		loads+=("${p%.ko*}.ko")
	done
	printf '%s\n' "${loads[@]}" >"$stage/lib/modules/$ver/load.list"
fi

for f in "${files[@]}"; do
	src=${f%%:*} dst=${f#*:}
	case $dst in
	/*) ;;
	*) die "extra file destination must be absolute: $f" ;;
	esac
	[ -f "$src" ] || die "no file $src"
	install -D "$src" "$stage$dst"
done

tmp=$(mktemp "${out}.tmp.XXXXXX")
(
	cd "$stage"
	find . -exec touch -h -d @0 {} +
	find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible
) | gzip -n -9 >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
