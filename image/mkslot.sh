#!/usr/bin/env bash
# Makes a signed slot folder (docs/slots.md):
#
#   mkslot.sh -o DIR -k VMLINUZ -i INITRD -c CMDLINE -v VERSION [-t TRIES]
#             [-s SECKEY] [-p PUBKEY]
#
#   DIR/vmlinuz DIR/initrd.img   copies of VMLINUZ and INITRD
#   DIR/cmdline                  CMDLINE, one line ending in '\n'
#   DIR/slot.conf                "version=VERSION\n" [+ "tries=TRIES\n"]
#   DIR/SHA512.sig               signify -S -e over "SHA512 (name) = hex" lines
#
# SECKEY/PUBKEY default to the slot key (keys/keys.mk: SLOT_SEC/SLOT_PUB, the
# DEVELOPMENT pair unless told otherwise). With a public key the finished
# folder is checked with `signify-openbsd -C` inside it before it is
# published. DIR is replaced whole: a reader sees the old folder or the new
# one (or, for an instant, none), never a mix of the two.
set -euo pipefail

die() {
	echo "mkslot: $*" >&2
	exit 1
}

out='' kernel='' initrd='' cmdline='' version='' tries=''
sec=${SLOT_SEC:-keys/dev/spine-slot-DEVELOPMENT.sec}
pub=${SLOT_PUB:-keys/dev/spine-slot-DEVELOPMENT.pub}
have_cmdline=0
while getopts o:k:i:c:v:t:s:p: opt; do
	case $opt in
	o) out=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	c) cmdline=$OPTARG have_cmdline=1 ;;
	v) version=$OPTARG ;;
	t) tries=$OPTARG ;;
	s) sec=$OPTARG ;;
	p) pub=$OPTARG ;;
	*) die "usage: mkslot.sh -o DIR -k VMLINUZ -i INITRD -c CMDLINE -v VERSION [-t TRIES] [-s SEC] [-p PUB]" ;;
	esac
done
[ -n "$out" ] && [ -n "$kernel" ] && [ -n "$initrd" ] && [ "$have_cmdline" = 1 ] &&
	[ -n "$version" ] || die "need -o, -k, -i, -c and -v"
[ -f "$kernel" ] || die "no kernel $kernel"
[ -f "$initrd" ] || die "no initrd $initrd"
[ -f "$sec" ] || die "no secret key $sec"
case $cmdline in
*$'\n'*) die "cmdline must be one line" ;;
*'"'*) die "cmdline: contains a double quote (the kernel would let it swallow the loader's spine.slot= marker)" ;;
*spine.slot=* | *spine.state=*) die "cmdline: already contains spine.slot= or spine.state= (the loader appends them)" ;;
esac
[[ $cmdline =~ ^[\ -~]*$ ]] || die "cmdline: not one line of printable ASCII"
# What the kernel keeps (2047 bytes) less the loader's 42-byte marker
# " spine.slot=a spine.state=<16 hex>" (docs/boot.md, "The command line").
[ ${#cmdline} -le 2005 ] || die "cmdline: too long (${#cmdline} bytes, at most 2005)"
# Same grammar the loader enforces (docs/interfaces.md): refuse here what the
# loader would refuse there, except on purpose in a test.
[[ $version =~ ^(0|[1-9][0-9]{0,9})$ ]] && [ "$version" -le 4294967295 ] ||
	die "version must be decimal 0..4294967295 without leading zeros: $version"
if [ -n "$tries" ]; then
	[[ $tries =~ ^([1-9]|1[0-5])$ ]] || die "tries must be 1..15: $tries"
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$kernel" "$tmp/vmlinuz"
cp "$initrd" "$tmp/initrd.img"
printf '%s\n' "$cmdline" >"$tmp/cmdline"
{
	printf 'version=%s\n' "$version"
	[ -z "$tries" ] || printf 'tries=%s\n' "$tries"
} >"$tmp/slot.conf"
# sha512sum --tag writes exactly signify's "SHA512 (name) = hex" lines.
(cd "$tmp" && sha512sum --tag vmlinuz initrd.img cmdline slot.conf) >"$tmp/.list"
signify-openbsd -S -e -s "$sec" -m "$tmp/.list" -x "$tmp/SHA512.sig"
rm "$tmp/.list"
if [ -n "$pub" ]; then
	[ -f "$pub" ] || die "no public key $pub"
	pub=$(realpath "$pub")
	(cd "$tmp" && signify-openbsd -C -p "$pub" -x SHA512.sig >/dev/null) ||
		die "signify-openbsd -C refuses the slot just made"
fi
chmod 0755 "$tmp"
if [ -e "$out" ]; then
	mv "$out" "$tmp.old"
fi
mv "$tmp" "$out"
rm -rf "$tmp.old"
