#!/usr/bin/env bash
# Makes a signed passport (docs/passport.md) from a template.
#
#   mkpassport.sh -o OUT -t TEMPLATE -i IMAGE [-D KEY=VALUE]... [-s SECKEY] [-p PUBKEY]
#
# TEMPLATE is the passport body with the image line written as
#   image @IMAGE@
# which becomes "image <basename of IMAGE> <its SHA-512, lower-case hex>".
# -D replaces every @KEY@ with VALUE (cores that depend on the VM's CPUs).
# Any @WORD@ left over is an error: a passport is signed as it is.
# The body is signed with signify's embedded form (signify -S -e), which is
# what bay0 reads: the two signature lines, then the body, byte for byte.
# With a public key the result is checked with `signify-openbsd -V -e`.
set -euo pipefail

die() {
	echo "mkpassport: $*" >&2
	exit 1
}

out= tmpl= image=
defs=()
sec=${SLOT_SEC:-keys/dev/spine-slot-DEVELOPMENT.sec}
pub=${SLOT_PUB:-keys/dev/spine-slot-DEVELOPMENT.pub}
while getopts o:t:i:D:s:p: opt; do
	case $opt in
	o) out=$OPTARG ;;
	t) tmpl=$OPTARG ;;
	i) image=$OPTARG ;;
	D) defs+=("$OPTARG") ;;
	s) sec=$OPTARG ;;
	p) pub=$OPTARG ;;
	*) die "usage: mkpassport.sh -o OUT -t TEMPLATE -i IMAGE [-D K=V]... [-s SEC] [-p PUB]" ;;
	esac
done
[ -n "$out" ] && [ -n "$tmpl" ] && [ -n "$image" ] || die "need -o, -t and -i"
[ -f "$tmpl" ] || die "no template $tmpl"
[ -f "$image" ] || die "no image $image"
[ -f "$sec" ] || die "no secret key $sec"
grep -qx 'image @IMAGE@' "$tmpl" || die "$tmpl has no 'image @IMAGE@' line"

sum=$(sha512sum "$image" | cut -d' ' -f1)
mkdir -p "$(dirname "$out")"
body=$(mktemp "$out.body.XXXXXX")
trap 'rm -f "$body" "$out.tmp"' EXIT
sed_args=(-e "s|^image @IMAGE@\$|image $(basename "$image") $sum|")
for d in "${defs[@]}"; do
	k=${d%%=*} v=${d#*=}
	[[ $k =~ ^[A-Z_]+$ ]] && [[ $v =~ ^[A-Za-z0-9.,/_+-]*$ ]] || die "bad -D $d"
	sed_args+=(-e "s|@$k@|$v|g")
done
sed "${sed_args[@]}" "$tmpl" >"$body"
! grep -n '@[A-Z_]*@' "$body" || die "$tmpl: placeholder left unfilled"
rm -f "$out.tmp"
signify-openbsd -S -e -s "$sec" -m "$body" -x "$out.tmp"
if [ -n "$pub" ]; then
	signify-openbsd -V -e -q -p "$pub" -x "$out.tmp" -m /dev/null ||
		die "signify-openbsd -V -e refuses the passport just made"
fi
chmod 0644 "$out.tmp"
mv -f "$out.tmp" "$out"
