#!/usr/bin/env bash
# Makes a signed passport (docs/passport.md) from a template.
#
#   mkpassport.sh -o OUT -t TEMPLATE -i IMAGE [-D KEY=VALUE]... [-s SECKEY] [-p PUBKEY]
#
# TEMPLATE is the passport body with the image line written as
#   image @IMAGE@
# which becomes "image <basename of IMAGE> <its SHA-512, lower-case hex>",
# or, for a verity image (mkpersona.sh -V), as
#   verity @IMAGE@
# which becomes "verity <basename> <size> <data blocks> <hash offset> 4096
# 4096 sha256 <salt> <root>" from IMAGE.verity, once `veritysetup verify`
# has checked the whole image against those very values and the size is
# the file's.
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
# The persona key (docs/passport.md, "Keys"), never the slot key.
sec=${PERSONA_SEC:-keys/dev/spine-persona-DEVELOPMENT.sec}
pub=${PERSONA_PUB:-keys/dev/spine-persona-DEVELOPMENT.pub}
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
if grep -qx 'image @IMAGE@' "$tmpl"; then
	sum=$(sha512sum "$image" | cut -d' ' -f1)
	line="image $(basename "$image") $sum"
elif grep -qx 'verity @IMAGE@' "$tmpl"; then
	[ -f "$image.verity" ] || die "no $image.verity (make the image with mkpersona.sh -V)"
	val() { sed -nE "s/^$1 ([0-9a-f]+)\$/\1/p" "$image.verity"; }
	size=$(val size) blocks=$(val data-blocks) off=$(val hash-offset) salt=$(val salt) root=$(val root)
	[ -n "$size" ] && [ -n "$blocks" ] && [ -n "$off" ] && [ -n "$salt" ] && [ -n "$root" ] ||
		die "$image.verity: want size, data-blocks, hash-offset, salt, root"
	[ "$(stat -c %s "$image")" = "$size" ] || die "$image: size is not the $size of $image.verity"
	veritysetup verify --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$blocks" --hash-offset="$off" --salt="$salt" \
		"$image" "$image" "$root" || die "$image: veritysetup verify refuses it"
	line="verity $(basename "$image") $size $blocks $off 4096 4096 sha256 $salt $root"
else
	die "$tmpl has no 'image @IMAGE@' or 'verity @IMAGE@' line"
fi

mkdir -p "$(dirname "$out")"
body=$(mktemp "$out.body.XXXXXX")
trap 'rm -f "$body" "$out.tmp"' EXIT
sed_args=(-e "s|^image @IMAGE@\$|$line|" -e "s|^verity @IMAGE@\$|$line|")
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
