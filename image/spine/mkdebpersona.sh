#!/usr/bin/env bash
# Builds a verity persona (docs/passport.md, "Personas from Debian packages")
# from Debian packages: the packages named and everything they Depend and
# Pre-Depend on, unpacked with dpkg-deb -x into one erofs with its dm-verity
# tree (mkpersona.sh -V), and its signed passport (mkpassport.sh).
#
#   mkdebpersona.sh -o IMAGE -c CACHE -e ENTRY -t TEMPLATE -P PASSPORT
#                   [-x PKG]... [-f SRC:DST]... [-s SEC] [-p PUB] PKG...
#
#   -o IMAGE     the verity image (and IMAGE.verity, IMAGE.packages: the
#                closure, one "package version architecture" a line)
#   -c CACHE     the package cache (a directory under build/): a .deb already
#                there whose SHA-256 is the archive's is used as it is, so a
#                second build with the same package lists needs no network
#   -e ENTRY     the entry command, as the passport's "entry" line: its
#                first word must name an executable in the image
#   -t TEMPLATE  passport template with the lines "verity @IMAGE@" and
#                "entry @ENTRY@" (mkpassport.sh fills the first)
#   -P PASSPORT  the signed passport to write
#   -x PKG       leave PKG (and what only it pulls in) out of the closure: for
#                dependencies that only maintainer scripts use, which never run
#   -f SRC:DST   an extra file in the image (mkpersona.sh -f)
#   -s, -p       the persona key pair (mkpassport.sh's defaults otherwise)
#
# The closure is resolved from the build machine's apt lists (`apt-cache
# depends -i`: Depends and Pre-Depends; of alternatives the first that
# resolves; of a virtual package its first provider). Missing .debs are
# fetched with `apt-get download`, which checks them against the archive's
# signed Release file; every .deb, cached or new, must have the SHA-256 those
# lists give for that version. No maintainer script runs (dpkg-deb -x only
# unpacks; the one thing a postinst does that the persona needs, byte-compiled
# Python, is done here); /usr/share/{doc,man,info,lintian} are left out. The erofs is
# compressed with lz4hc (python3-minimal's closure: 31 MB unpacked, 18 MB). Nothing here is
# used at run time: the persona holds the unpacked files and nothing else.
set -euo pipefail

die() {
	echo "mkdebpersona: $*" >&2
	exit 1
}

out= cache= entry= tmpl= pp= sec= pub=
excl=() files=()
while getopts o:c:e:t:P:x:f:s:p: opt; do
	case $opt in
	o) out=$OPTARG ;;
	c) cache=$OPTARG ;;
	e) entry=$OPTARG ;;
	t) tmpl=$OPTARG ;;
	P) pp=$OPTARG ;;
	x) excl+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	s) sec=$OPTARG ;;
	p) pub=$OPTARG ;;
	*) die "usage: mkdebpersona.sh -o IMAGE -c CACHE -e ENTRY -t TEMPLATE -P PASSPORT [-x PKG]... [-f SRC:DST]... [-s SEC] [-p PUB] PKG..." ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$out" ] && [ -n "$cache" ] && [ -n "$entry" ] && [ -n "$tmpl" ] && [ -n "$pp" ] ||
	die "need -o, -c, -e, -t and -P"
[ $# -gt 0 ] || die "name at least one package"
[ -f "$tmpl" ] || die "no template $tmpl"
grep -qx 'entry @ENTRY@' "$tmpl" || die "$tmpl has no 'entry @ENTRY@' line"
[[ $entry =~ ^/[^\ ]+(\ [^\ ]+)*$ ]] || die "entry '$entry': an absolute path, then words separated by single spaces"
[[ $entry != *'|'* && $entry != *'\'* && $entry != *'&'* ]] || die "entry '$entry': no '|', '\\' or '&'"
name_re='^[a-z0-9][a-z0-9+.-]+$'
for p in "$@" "${excl[@]}"; do
	[[ $p =~ $name_re ]] || die "'$p' is not a Debian package name"
done
for c in apt-cache apt-get dpkg-deb; do
	command -v "$c" >/dev/null || die "no $c (a Debian build machine is needed)"
done

# A fresh Debian (a CI container) may have no apt lists yet: fetch them once.
lists=$(apt-config shell d Dir::State::lists/d | sed -nE "s/^d='(.*)'\$/\1/p")
if ! compgen -G "${lists:-/var/lib/apt/lists/}*_Packages*" >/dev/null && [ "$(id -u)" = 0 ]; then
	echo "mkdebpersona: no apt lists in ${lists:-/var/lib/apt/lists/}: apt-get update" >&2
	apt-get update -q >/dev/null || die "apt-get update failed"
fi

# --- the closure: breadth first over Depends and Pre-Depends.
declare -A seen=()
for x in "${excl[@]}"; do
	seen[$x]=excluded
done
queue=("$@")
closure=()
while [ ${#queue[@]} -gt 0 ]; do
	batch=()
	for p in "${queue[@]}"; do
		[ -n "${seen[$p]:-}" ] && continue
		seen[$p]=1
		batch+=("$p")
	done
	queue=()
	[ ${#batch[@]} -gt 0 ] || break
	closure+=("${batch[@]}")
	# One line per dependency group: its first member that is a real
	# package, or a virtual one's first provider ("-" when none resolves).
	deps=$(apt-cache depends -i "${batch[@]}") || die "apt-cache depends: cannot resolve ${batch[*]} (apt-get update?)"
	mapfile -t more < <(awk '
		function flush() { if (ingrp) print (pick == "" ? "-" : pick); ingrp = 0; pick = "" }
		function cand(n) { sub(/:any$/, "", n); if (pick == "" && n !~ /^</) pick = n }
		/^[^ ]/ { flush(); next }
		/^ [ |](Pre)?Depends: / {
			alt = substr($0, 2, 1) == "|"
			if (!cont) flush()
			ingrp = 1; cand($2); cont = alt; next
		}
		/^    [^ ]/ { if (ingrp) cand($1); next }
		END { flush() }
	' <<<"$deps")
	for d in "${more[@]}"; do
		[ "$d" != - ] || die "a dependency of ${batch[*]} has no installable package"
		[ -n "${seen[$d]:-}" ] || queue+=("$d")
	done
done

# --- the .debs: from the cache when their SHA-256 is the archive's.
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$out.work.XXXXXX")
trap 'rm -rf "$work" "$out.packages.tmp"' EXIT
mkdir -p "$work/root"
: >"$out.packages.tmp"
# As root, apt's download sandbox user (_apt) could not write the cache.
sandbox=()
[ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
IFS=$'\n' sorted=($(printf '%s\n' "${closure[@]}" | LC_ALL=C sort))
unset IFS
for p in "${sorted[@]}"; do
	info=$(apt-cache show --no-all-versions "$p" 2>/dev/null) || die "$p: not in the apt lists"
	ver=$(sed -n 's/^Version: //p' <<<"$info" | head -n 1)
	arch=$(sed -n 's/^Architecture: //p' <<<"$info" | head -n 1)
	sum=$(sed -n 's/^SHA256: //p' <<<"$info" | head -n 1)
	[ -n "$ver" ] && [ -n "$arch" ] && [[ $sum =~ ^[0-9a-f]{64}$ ]] || die "$p: no version, architecture or SHA256 in apt-cache show"
	deb=$cache/${p}_${ver//:/%3a}_${arch}.deb
	if ! [ -f "$deb" ] || [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$sum" ]; then
		rm -f "$deb"
		(cd "$cache" && apt-get download -q "${sandbox[@]}" "$p=$ver" >/dev/null) || die "$p $ver: apt-get download failed"
		[ -f "$deb" ] || die "$p $ver: apt-get download made no $deb"
		[ "$(sha256sum "$deb" | cut -d' ' -f1)" = "$sum" ] || die "$deb: SHA-256 is not the archive's"
	fi
	dpkg-deb -x "$deb" "$work/root" || die "$deb: dpkg-deb -x failed"
	printf '%s %s %s\n' "$p" "$ver" "$arch" >>"$out.packages.tmp"
done
rm -rf "$work"/root/usr/share/{doc,man,info,lintian}

# What python3's postinst would do (py3compile): byte-compile the standard
# library, here with the build machine's python3 of the same X.Y (the .pyc
# format is per X.Y), as unchecked-hash .pycs: the image's time stamps are
# 0, so time-stamp .pycs would never match, and a read-only root cannot
# take the ones Python would write at every start.
for d in "$work"/root/usr/lib/python3.[0-9]*; do
	[ -d "$d" ] || continue
	v=${d##*/python}
	[[ $v =~ ^3\.[0-9]+$ ]] || continue
	hv=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
	[ "$hv" = "$v" ] || die "the packages hold Python $v, the build machine's python3 is ${hv:-missing}: cannot byte-compile"
	python3 -m compileall -q -o 0 --invalidation-mode unchecked-hash -s "$work/root" -p / "$d" >/dev/null ||
		die "byte-compiling $d failed"
done

# The entry must be there: follow its symlinks inside the tree, never out.
e=${entry%% *}
for _ in 1 2 3 4 5 6 7 8; do
	[ -L "$work/root$e" ] || break
	t=$(readlink "$work/root$e")
	case $t in
	/*) e=$t ;;
	*) e=$(dirname "$e")/$t ;;
	esac
done
[ -f "$work/root$e" ] && [ -x "$work/root$e" ] || die "entry ${entry%% *}: no executable file in the packages"

fargs=()
for f in "${files[@]}"; do
	fargs+=(-f "$f")
done
"$(dirname "$0")/mkpersona.sh" -V -z lz4hc -o "$out" -r "$work/root" "${fargs[@]}"
mv -f "$out.packages.tmp" "$out.packages"

sed "s|^entry @ENTRY@\$|entry $entry|" "$tmpl" >"$work/pp"
kargs=()
[ -z "$sec" ] || kargs+=(-s "$sec")
[ -z "$pub" ] || kargs+=(-p "$pub")
"$(dirname "$0")/mkpassport.sh" -o "$pp" -t "$work/pp" -i "$out" "${kargs[@]}"
