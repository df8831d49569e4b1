#!/usr/bin/env bash
# Fetches Debian's stock kernel and unpacks it into OUT (default build/kernel):
#   OUT/vmlinuz              the EFI-stub kernel
#   OUT/lib/modules/<ver>/   its modules, modules.dep, ...
#   OUT/version              <ver>, one line
# The package is whatever linux-image-amd64 depends on today (resolved with
# apt-cache, never pinned), downloaded with apt-get into CACHE (reused when the
# same .deb is already there).
set -euo pipefail

out=${1:-build/kernel}
cache=${2:-build/cache/apt}

die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}

# "Depends: linux-image-6.1.0-57-amd64" -> linux-image-6.1.0-57-amd64
resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
pkg=$(resolve)
if [ -z "$pkg" ]; then
	# A fresh container often ships without package lists.
	echo "fetch-kernel: no linux-image-amd64 in the package lists; apt-get update"
	apt-get update -qq
	pkg=$(resolve)
fi
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 from the configured archive"
ver=${pkg#linux-image-}
# Strip Debian's "-unsigned" flavour if the meta package ever points there.
ver=${ver%-unsigned}

mkdir -p "$cache"
deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
if [ -z "$deb" ]; then
	echo "fetch-kernel: downloading $pkg"
	(cd "$cache" && apt-get download "$pkg")
	deb=$(find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
	[ -n "$deb" ] || die "apt-get download $pkg left no .deb in $cache"
fi

# Unpack into a temporary sibling, then swap it in: a half-unpacked tree is
# never left under the final name.
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/pkg"
mkdir -p "$tmp/out/lib"
cp "$tmp/pkg/boot/vmlinuz-$ver" "$tmp/out/vmlinuz"
mv "$tmp/pkg/lib/modules" "$tmp/out/lib/modules"
# The package ships no modules.dep: dpkg's postinst runs depmod. Do the same
# against the unpacked tree, with the package's own System.map.
depmod -b "$tmp/out" -F "$tmp/pkg/boot/System.map-$ver" "$ver"
[ -f "$tmp/out/lib/modules/$ver/modules.dep" ] || die "$deb has no modules.dep for $ver"
if [ -f "$tmp/pkg/boot/config-$ver" ]; then
	cp "$tmp/pkg/boot/config-$ver" "$tmp/out/config"
fi
echo "$ver" >"$tmp/out/version"
# Swap: the old tree steps aside, the new one takes its name, then the old
# one goes; a reader sees one or the other for all but an instant.
[ ! -e "$out" ] || mv "$out" "$tmp/old"
mv "$tmp/out" "$out"
echo "fetch-kernel: $(basename "$deb") -> $out (kernel $ver)"
