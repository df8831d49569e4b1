#!/usr/bin/env bash
# Makes the /persist disk: a GPT disk image with one partition named
# "persist" holding an empty ext4 file system; with -n inventory -d DIR, an
# inventory disk (docs/bay0.md, "The inventory partition"). No root, no loop mounts:
# the file system is made in a file of its own (mkfs.ext4 -d fills it from a
# folder when one is given) and copied into the partition's place.
#
#   mkpersist.sh -o OUT [-s MIB] [-n NAME] [-d DIR]
#
#   -s MIB   disk size (default 64)
#   -n NAME  GPT partition name (default persist; bay0 finds it by this)
#   -d DIR   initial contents (default: none; bay0 makes its own subtrees)
set -euo pipefail

die() {
	echo "mkpersist: $*" >&2
	exit 1
}

out= mib=64 name=persist dir=
while getopts o:s:n:d: opt; do
	case $opt in
	o) out=$OPTARG ;;
	s) mib=$OPTARG ;;
	n) name=$OPTARG ;;
	d) dir=$OPTARG ;;
	*) die "usage: mkpersist.sh -o OUT [-s MIB] [-n NAME] [-d DIR]" ;;
	esac
done
[ -n "$out" ] || die "need -o"
[[ $mib =~ ^[1-9][0-9]*$ ]] && [ "$mib" -ge 8 ] || die "size must be >= 8 MiB: $mib"

# The partition starts at 1 MiB and ends 1 MiB before the end (room for the
# backup GPT), so its size in 512-byte sectors is known before sfdisk runs.
start=2048
sectors=$(((mib - 2) * 2048))
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.tmp.XXXXXX")
fs=$(mktemp "$out.fs.XXXXXX")
trap 'rm -f "$tmp" "$fs"' EXIT
truncate -s "${mib}M" "$tmp"
# Linux filesystem data type; disk and partition GUIDs fixed for a name
# (so that a persist and an inventory disk in one machine differ) keep
# builds reproducible apart from ext4's own time stamps.
[[ $name =~ ^[A-Za-z0-9_-]{1,36}$ ]] || die "bad partition name: $name"
id=$(printf %s "$name" | sha256sum | cut -c1-8)
[ "$name" != persist ] || id=53540000 # the GUIDs persist disks always had
sfdisk --quiet --label gpt "$tmp" <<SFDISK
label-id: 5350494E-4550-4552-5349-${id}0001
start=$start, size=$sectors, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=5350494E-4550-4552-5349-${id}0002, name="$name"
SFDISK
mkfs_args=(-q -F -t ext4 -L "$name" -U "5350494e-4550-4552-5349-${id}0003" -E root_owner=0:0)
[ -z "$dir" ] || mkfs_args+=(-d "$dir")
mkfs.ext4 "${mkfs_args[@]}" "$fs" $((sectors / 2))k
dd if="$fs" of="$tmp" bs=512 seek=$start conv=notrunc,sparse status=none
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
