#!/usr/bin/env bash
# Makes a FAT ESP disk image (docs/slots.md) with mtools: no root, no loop.
#
#   mkesp.sh -o IMG [-l LOADER] [-a SLOTDIR] [-b SLOTDIR] [-N] [-n NSH]
#            [-x SRC:DST]... [-d DIR]...
#
#   -l LOADER  spineboot.efi: \EFI\spine\spineboot.efi and \EFI\BOOT\BOOTX64.EFI
#   -a, -b     slot folders copied whole (every file in them, as they are) to
#              \spine\a and \spine\b
#   -N         no \EFI\BOOT\BOOTX64.EFI (OVMF then falls through to its shell)
#   -n NSH     \startup.nsh for the UEFI shell
#   -x SRC:DST an extra file at DST ("/loader/loader.conf"); folders made
#   -d DIR     an extra, empty folder
#
# The image is a bare FAT file system (no partition table): OVMF mounts it
# as removable media and boots \EFI\BOOT\BOOTX64.EFI from it. It is written to
# a temporary name and renamed into place.
set -euo pipefail

die() {
	echo "mkesp: $*" >&2
	exit 1
}

out='' loader='' slot_a='' slot_b='' nsh='' no_bootx64=0
extras=() dirs=()
while getopts o:l:a:b:Nn:x:d: opt; do
	case $opt in
	o) out=$OPTARG ;;
	l) loader=$OPTARG ;;
	a) slot_a=$OPTARG ;;
	b) slot_b=$OPTARG ;;
	N) no_bootx64=1 ;;
	n) nsh=$OPTARG ;;
	x) extras+=("$OPTARG") ;;
	d) dirs+=("$OPTARG") ;;
	*) die "usage: mkesp.sh -o IMG [-l LOADER] [-a DIR] [-b DIR] [-N] [-n NSH] [-x SRC:DST]... [-d DIR]..." ;;
	esac
done
[ -n "$out" ] || die "need -o"
for f in "$loader" "$nsh"; do
	[ -z "$f" ] || [ -f "$f" ] || die "no file $f"
done
for d in "$slot_a" "$slot_b"; do
	[ -z "$d" ] || [ -d "$d" ] || die "no slot folder $d"
done

# Size: everything that goes in, twice over for FAT's slack, plus 8 MiB,
# never under 64 MiB (mkfs.fat then picks FAT32, as a laptop's ESP is).
bytes=0
add_size() {
	local f
	for f in "$@"; do
		[ -n "$f" ] || continue
		bytes=$((bytes + $(du -sb "$f" | cut -f1)))
	done
}
add_size "$loader" "$slot_a" "$slot_b" "$nsh"
for x in "${extras[@]}"; do add_size "${x%%:*}"; done
mib=$(((bytes * 2) / 1048576 + 8))
[ "$mib" -ge 64 ] || mib=64

mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
mkfs.fat -C -F 32 -n SPINE-ESP -i 5350494e "$tmp" $((mib * 1024)) >/dev/null

export MTOOLS_SKIP_CHECK=1
declare -A made=()
mkdirs() { # every folder of a ::/path, parents first
	local path=$1 part acc=
	IFS=/ read -r -a parts <<<"${path#/}"
	for part in "${parts[@]}"; do
		[ -n "$part" ] || continue
		acc=$acc/$part
		if [ -z "${made[$acc]:-}" ]; then
			mmd -i "$tmp" "::$acc"
			made[$acc]=1
		fi
	done
}
put() { # put SRC /DST
	mkdirs "$(dirname "$2")"
	mcopy -i "$tmp" -m "$1" "::$2"
}

if [ -n "$loader" ]; then
	put "$loader" /EFI/spine/spineboot.efi
	[ "$no_bootx64" = 1 ] || put "$loader" /EFI/BOOT/BOOTX64.EFI
fi
for s in a b; do
	d=slot_$s
	d=${!d}
	[ -n "$d" ] || continue
	mkdirs "/spine/$s"
	for f in "$d"/*; do
		[ -e "$f" ] || continue
		mcopy -i "$tmp" -m "$f" "::/spine/$s/$(basename "$f")"
	done
done
[ -z "$nsh" ] || put "$nsh" /startup.nsh
for x in "${extras[@]}"; do
	put "${x%%:*}" "${x#*:}"
done
for d in "${dirs[@]}"; do
	mkdirs "$d"
done
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
