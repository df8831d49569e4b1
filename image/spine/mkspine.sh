#!/usr/bin/env bash
# Assembles a Spine initramfs (docs/spine.md): bay0 as /init, the kernel
# modules spine.conf lists (with their dependencies), spine.conf, the
# inventory (signed passports and their images), and spine-tpm. bay0 must be
# static (image/mkinitrd.sh refuses a dynamic /init); the only shared
# libraries in the Spine are spine-tpm's (docs/measure.md, "Placement").
#
#   mkspine.sh -o OUT -b BAY0 -c SPINE_CONF [-k KERNELDIR] [-t SPINE_TPM] [-s SPINECTL]
#              [-I FILE]...
#
#   -b BAY0        bay0 (release or test build)
#   -c SPINE_CONF  installed as /etc/spine.conf; its "module" lines are what
#                  goes into /lib/modules/<ver>/
#   -k KERNELDIR   an unpacked kernel (image/fetch-kernel.sh; default build/kernel)
#   -I FILE        a passport or image, installed as /inventory/<basename>
#   -t SPINE_TPM   build/measure/spine-tpm, installed as /lib/spine/spine-tpm
#                  with ld.so and exactly the libraries ldd names, plus the
#                  TCTI tpm2-tss's loader opens (libtss2-tcti-device)
#   -s SPINECTL    build/spinectl (static), installed as /lib/spine/spinectl:
#                  what bay0 runs for a Spine update over the Umbilical
#
# The initramfs itself is written by image/mkinitrd.sh (reproducible newc
# cpio). bay0 resolves module dependencies itself from modules.dep, so the
# Spine carries a modules.dep cut down to the modules it holds: a line for a
# module that is not there would only be a way to fail at boot.
set -euo pipefail

die() {
	echo "mkspine: $*" >&2
	exit 1
}

out= bay0= conf= kdir=build/kernel tpm= spinectl=
inv=()
while getopts o:b:c:k:I:t:s: opt; do
	case $opt in
	o) out=$OPTARG ;;
	b) bay0=$OPTARG ;;
	c) conf=$OPTARG ;;
	k) kdir=$OPTARG ;;
	I) inv+=("$OPTARG") ;;
	t) tpm=$OPTARG ;;
	s) spinectl=$OPTARG ;;
	*) die "usage: mkspine.sh -o OUT -b BAY0 -c SPINE_CONF [-k KERNELDIR] [-t SPINE_TPM] [-s SPINECTL] [-I FILE]..." ;;
	esac
done
[ -n "$out" ] && [ -n "$bay0" ] && [ -n "$conf" ] || die "need -o, -b and -c"
[ -f "$bay0" ] || die "no bay0 at $bay0"
[ -f "$conf" ] || die "no spine.conf at $conf"
ver=$(cat "$kdir/version")
mdir=$kdir/lib/modules/$ver
[ -f "$mdir/modules.dep" ] || die "no $mdir/modules.dep (image/fetch-kernel.sh)"

work=$(mktemp -d "$out.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
args=(-o "$out" -k "$kdir" -f "$conf:/etc/spine.conf")

# Modules: the words after "module" in spine.conf, nothing else.
mapfile -t mods < <(awk '$1 == "module" && NF == 2 { print $2 }' "$conf")
for m in "${mods[@]}"; do
	args+=(-m "$m")
done
if [ ${#mods[@]} -gt 0 ]; then
	# The same closure mkinitrd.sh installs: each wanted module's line,
	# and the line of every module named after its colon.
	awk -v list="${mods[*]}" '
		function norm(s) { gsub(/-/, "_", s); return s }
		function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); return norm(p) }
		BEGIN { n = split(list, w, " "); for (i = 1; i <= n; i++) want[norm(w[i])] = 1 }
		{ path = $1; sub(/:$/, "", path); line[path] = $0; order[++cnt] = path
		  if (base(path) in want) { keep[path] = 1; for (i = 2; i <= NF; i++) keep[$i] = 1 } }
		END { for (i = 1; i <= cnt; i++) if (order[i] in keep) print line[order[i]] }
	' "$mdir/modules.dep" >"$work/modules.dep"
	args+=(-f "$work/modules.dep:/lib/modules/$ver/modules.dep")
fi

# bay0 must be static: image/mkinitrd.sh installs only a static /init, and a
# PID 1 that needs ld.so and libraries from the initramfs has more to go
# wrong before its first line.
kind=$(file -b "$bay0")
if [[ $kind == *'dynamically linked'* ]]; then
	die "$bay0 is not statically linked (libseccomp.a and libcap.a are in their -dev packages)"
fi

if [ -n "$tpm" ]; then
	[ -f "$tpm" ] || die "no spine-tpm at $tpm"
	args+=(-f "$tpm:/lib/spine/spine-tpm")
	# ldd's "name => /path (addr)" lines and the loader's own line; each
	# file goes in under the path the loader looks for, as the file itself.
	mapfile -t libs < <(ldd "$tpm" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }')
	[ ${#libs[@]} -ge 2 ] || die "$tpm: ldd names no libraries (not the dynamic spine-tpm?)"
	dev=$(ldconfig -p | awk '$1 == "libtss2-tcti-device.so.0" && !d { d = $NF } END { print d }')
	[ -n "$dev" ] || die "no libtss2-tcti-device.so.0 (package libtss2-tcti-device0)"
	for l in "${libs[@]}" "$dev"; do
		args+=(-f "$(readlink -f "$l"):$l")
	done
fi

if [ -n "$spinectl" ]; then
	[ -f "$spinectl" ] || die "no spinectl at $spinectl"
	[[ $(file -b "$spinectl") != *'dynamically linked'* ]] || die "$spinectl is not static"
	args+=(-f "$spinectl:/lib/spine/spinectl")
fi

for f in "${inv[@]}"; do
	[ -f "$f" ] || die "no inventory file $f"
	args+=(-f "$f:/inventory/$(basename "$f")")
done
image/mkinitrd.sh -i "$bay0" "${args[@]}"
