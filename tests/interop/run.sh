#!/usr/bin/env bash
# tests/interop/run.sh SPINE-VERIFY: holds spine-verify against the real
# signify-openbsd. Keys, signatures and lists are made with signify at test
# time in a temporary directory; each case runs both tools on the same files
# and asserts the same exit code and the same verdict lines ("Signature
# Verified", "<name>: OK", "<name>: FAIL"), plus the outcome the case expects.
# The deliberate strictness cases (docs/formats.md, "Where spine-verify is
# stricter than signify") assert that signify accepts and spine-verify refuses.
set -u
export LC_ALL=C

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 spine-verify-binary" >&2
	exit 2
fi
SV=$(realpath "$1")
SIGNIFY=$(command -v signify-openbsd || true)
if [ -z "$SIGNIFY" ]; then
	echo "FAIL: interop: signify-openbsd is not installed (make deps)"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fails=0

pass() { echo "PASS: interop: $*"; }
fail() {
	echo "FAIL: interop: $*"
	fails=$((fails + 1))
}

# run TOOL ARGS...: exit code in $rc, verdict lines (sorted) in $verdict,
# stderr in $err. "@OUT@" in ARGS becomes out.<tool>.
run() {
	local tool=$1 tag=$2
	shift 2
	local args=("${@//@OUT@/out.$tag}")
	"$tool" "${args[@]}" >stdout.$tag 2>stderr.$tag
	rc=$?
	verdict=$({
		grep -E '^(Signature Verified|.*: OK)$' stdout.$tag
		grep -E ': FAIL$' stderr.$tag
	} | sort)
	err=$(head -c 300 stderr.$tag)
}

# agree NAME EXPECTED-RC ARGS...: both tools, same rc and verdict, and the
# rc the case expects.
agree() {
	local name=$1 want=$2
	shift 2
	rm -f out.signify out.spine
	run "$SIGNIFY" signify "$@"
	local s_rc=$rc s_verdict=$verdict s_err=$err
	run "$SV" spine "$@"
	if [ "$s_rc" != "$want" ]; then
		fail "$name: signify exited $s_rc, the case expects $want ($s_err)"
	elif [ "$rc" != "$s_rc" ]; then
		fail "$name: spine-verify exited $rc, signify $s_rc (${err})"
	elif [ "$verdict" != "$s_verdict" ]; then
		fail "$name: verdicts differ: signify [$s_verdict] spine-verify [$verdict]"
	elif [ "$rc" -ne 0 ] && [ -z "$err" ]; then
		fail "$name: spine-verify failed without saying why"
	elif [ "$rc" -ne 0 ] && [ "$(grep -vc ': FAIL$' stderr.spine)" -lt 1 ]; then
		fail "$name: spine-verify gave no reason line"
	elif [ -e out.signify ] && ! cmp -s out.signify out.spine; then
		fail "$name: the -e outputs differ"
	elif [ ! -e out.signify ] && [ -e out.spine ]; then
		fail "$name: spine-verify wrote an output signify did not"
	else
		pass "$name (both exit $rc${verdict:+; $(echo $verdict)})"
	fi
}

# stricter NAME ARGS...: signify accepts, spine-verify refuses with a reason.
stricter() {
	local name=$1
	shift
	rm -f out.signify out.spine
	run "$SIGNIFY" signify "$@"
	local s_rc=$rc
	run "$SV" spine "$@"
	if [ "$s_rc" -ne 0 ]; then
		fail "$name: expected signify to accept, it exited $s_rc; update docs/formats.md"
	elif [ "$rc" -eq 0 ]; then
		fail "$name: spine-verify accepted what docs/formats.md says it refuses"
	elif [ -e out.spine ]; then
		fail "$name: spine-verify refused but wrote the output"
	else
		pass "$name: signify accepts, spine-verify refuses ($(head -1 stderr.spine)), as docs/formats.md says"
	fi
}

# Replace byte OFFSET of FILE with the byte given in hex.
poke() { printf "\\x$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# Flip bit 0 of the byte at OFFSET.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	poke "$1" "$2" "$(printf %02x $((b ^ 1)))"
}
# A signify file with line 2 replaced by base64 of RAWFILE.
remake() { { head -1 "$1" && base64 -w0 "$2" && echo; } >"$3"; }
raw() { sed -n 2p "$1" | base64 -d >"$2"; }

# ---- keys and files, made fresh by signify -------------------------------
"$SIGNIFY" -G -n -c "interop key one" -p k1.pub -s k1.sec || exit 1
"$SIGNIFY" -G -n -c "interop key two" -p k2.pub -s k2.sec || exit 1
printf 'Hello, signify.\n' >msg
"$SIGNIFY" -S -s k1.sec -m msg -x msg.sig || exit 1
"$SIGNIFY" -S -e -s k1.sec -m msg -x msg.esig || exit 1
: >empty
"$SIGNIFY" -S -s k1.sec -m empty -x empty.sig || exit 1

mkdir slot
head -c 3000000 /dev/urandom >slot/vmlinuz
head -c 70000 /dev/urandom >slot/initrd.img
printf 'console=ttyS0 quiet\n' >slot/cmdline
printf 'version=7\n' >slot/slot.conf
: >slot/empty
(cd slot && sha512sum --tag vmlinuz initrd.img cmdline slot.conf empty >../list)
"$SIGNIFY" -S -e -s k1.sec -m list -x slot/SHA512.sig || exit 1

# ---- detached -----------------------------------------------------------
agree "detached, good" 0 -V -p k1.pub -x msg.sig -m msg
agree "detached, good, quiet" 0 -V -q -p k1.pub -x msg.sig -m msg
agree "detached, empty message" 0 -V -p k1.pub -x empty.sig -m empty
agree "detached, default sigfile (msg.sig)" 0 -V -p k1.pub -m msg
cp msg msg.bad && flip msg.bad 3
agree "detached, flipped byte in message" 1 -V -p k1.pub -x msg.sig -m msg.bad
printf 'x' >>msg.bad
agree "detached, message one byte longer" 1 -V -p k1.pub -x msg.sig -m msg.bad
raw msg.sig sig.raw && flip sig.raw 40 && remake msg.sig sig.raw sig.bad
agree "detached, flipped byte in signature" 1 -V -p k1.pub -x sig.bad -m msg
raw msg.sig sig.raw && flip sig.raw 5 && remake msg.sig sig.raw sig.bad
agree "detached, flipped byte in key number" 1 -V -p k1.pub -x sig.bad -m msg
agree "detached, wrong key" 1 -V -p k2.pub -x msg.sig -m msg
raw msg.sig sig.raw && poke sig.raw 0 46 && remake msg.sig sig.raw sig.bad
agree "detached, algorithm bytes not Ed" 1 -V -p k1.pub -x sig.bad -m msg
raw k1.pub key.raw && poke key.raw 1 65 && remake k1.pub key.raw key.bad
agree "detached, key algorithm bytes not Ed" 1 -V -p key.bad -x msg.sig -m msg
sed '1s/^untrusted comment: /untrusted comment:/' msg.sig >sig.bad
agree "detached, altered comment prefix" 1 -V -p k1.pub -x sig.bad -m msg
sed 1d msg.sig >sig.bad
agree "detached, no comment line" 1 -V -p k1.pub -x sig.bad -m msg
head -c -1 msg.sig >sig.bad
agree "detached, no newline after base64" 1 -V -p k1.pub -x sig.bad -m msg
: >sig.bad
agree "detached, empty signature file" 1 -V -p k1.pub -x sig.bad -m msg
{ printf 'untrusted comment: ' && head -c 1048576 /dev/zero | tr '\0' c && echo && sed -n 2p msg.sig; } >sig.bad
agree "detached, 1 MiB comment" 1 -V -p k1.pub -x sig.bad -m msg
agree "detached, missing message" 1 -V -p k1.pub -x msg.sig -m nonexistent
{ head -1 msg.sig && sed -n 2p msg.sig | cut -c1-96 && echo; } >sig.bad
agree "detached, truncated base64" 1 -V -p k1.pub -x sig.bad -m msg
{ head -1 msg.sig && sed -n 2p msg.sig | cut -c1-99; } >sig.bad
agree "detached, base64 padding dropped" 1 -V -p k1.pub -x sig.bad -m msg
# The character before '=' carries two unused bits; set the lowest.
line=$(sed -n 2p msg.sig)
a=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
i=${a%%"${line:98:1}"*}
{ head -1 msg.sig && echo "${line:0:98}${a:$(((${#i} & ~3) | 1)):1}="; } >sig.bad
agree "detached, base64 with non-zero unused bits" 1 -V -p k1.pub -x sig.bad -m msg

# ---- embedded -------------------------------------------------------------
agree "embedded, good (message written to -m)" 0 -V -e -p k1.pub -x msg.esig -m @OUT@
cp msg.esig esig.bad && flip esig.bad $(($(stat -c %s esig.bad) - 3))
agree "embedded, flipped byte in message" 1 -V -e -p k1.pub -x esig.bad -m @OUT@
agree "embedded, wrong key" 1 -V -e -p k2.pub -x msg.esig -m @OUT@
# an old file at -m stays whole when verification fails
printf 'previous\n' >out.spine
"$SV" -V -e -p k2.pub -x msg.esig -m out.spine 2>/dev/null
if [ "$(cat out.spine)" = previous ]; then
	pass "embedded, failure leaves the existing -m file untouched"
else
	fail "embedded, failure changed the existing -m file"
fi
rm -f out.spine
"$SV" -q -V -e -p k1.pub -x msg.esig -m out.spine
"$SV" -q -V -e -p k2.pub -x msg.esig -m out.spine 2>/dev/null
if cmp -s out.spine msg && [ -z "$(ls -A | grep '^\.out\.spine\.')" ]; then
	pass "embedded, -m written whole, no temporary file left behind"
else
	fail "embedded, -m output wrong or a temporary file left: $(ls -A | grep '^\.out' | tr '\n' ' ')"
fi
rm -f out.spine

# ---- checksum lists -----------------------------------------------------
cd slot || exit 1
agree "list, good, every file" 0 -C -p ../k1.pub -x SHA512.sig
agree "list, good, quiet" 0 -C -q -p ../k1.pub -x SHA512.sig
agree "list, good, named files" 0 -C -p ../k1.pub -x SHA512.sig cmdline vmlinuz
agree "list, named file not listed" 1 -C -p ../k1.pub -x SHA512.sig cmdline bay0.conf
agree "list, wrong key" 1 -C -p ../k2.pub -x SHA512.sig
cp vmlinuz ../vmlinuz.keep && flip vmlinuz 1234567
agree "list, tampered file" 1 -C -p ../k1.pub -x SHA512.sig
agree "list, tampered file, named" 1 -C -p ../k1.pub -x SHA512.sig vmlinuz slot.conf
mv ../vmlinuz.keep vmlinuz
mv initrd.img ../initrd.keep
agree "list, missing file" 1 -C -p ../k1.pub -x SHA512.sig
mv ../initrd.keep initrd.img
cp SHA512.sig ../list.keep
off=$(($(stat -c %s SHA512.sig) - 30))
flip SHA512.sig $off
agree "list, flipped byte in the signed list" 1 -C -p ../k1.pub -x SHA512.sig
cp ../list.keep SHA512.sig
agree "list, good again after restoring" 0 -C -p ../k1.pub -x SHA512.sig
cd .. || exit 1

# ---- deliberate strictness (docs/formats.md) ----------------------------
# S + L: signify's Ed25519 reduces S, so it takes S + L whenever the sum
# keeps the top three bits clear; find a signature where it does.
sl_made=
for i in $(seq 1 20); do
	printf 'S+L message %s\n' "$i" >slmsg
	"$SIGNIFY" -S -s k1.sec -m slmsg -x slmsg.sig || exit 1
	raw slmsg.sig sl.raw
	mapfile -t b < <(od -An -tu1 -v -w1 sl.raw | tr -d ' ')
	[ "${b[73]}" -le 14 ] || continue
	L=(237 211 245 92 26 99 18 88 214 156 247 162 222 249 222 20 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 16)
	carry=0
	for j in $(seq 0 31); do
		v=$((b[42 + j] + L[j] + carry))
		b[42 + j]=$((v & 255))
		carry=$((v >> 8))
	done
	for v in "${b[@]}"; do printf "\\x$(printf %02x "$v")"; done >sl.raw
	remake slmsg.sig sl.raw slmsg.sl.sig
	sl_made=1
	break
done
if [ -n "$sl_made" ]; then
	stricter "signature with S + L" -V -p k1.pub -x slmsg.sl.sig -m slmsg
else
	fail "could not make an S + L signature signify accepts"
fi

# Loose base64: whitespace inside the base64 line, and CRLF line ends.
{ head -1 msg.sig && sed -n 2p msg.sig | sed 's/^\(.\{40\}\)/\1 /'; } >sig.loose
stricter "base64 line with a space inside" -V -p k1.pub -x sig.loose -m msg
sed 's/$/\r/' msg.sig >sig.crlf
stricter "signature file with CRLF line ends" -V -p k1.pub -x sig.crlf -m msg
sed 's/$/\r/' k1.pub >key.crlf
stricter "public key file with CRLF line ends" -V -p key.crlf -x msg.sig -m msg
{ cat msg.sig && echo "anything at all"; } >sig.trail
stricter "detached signature with trailing bytes" -V -p k1.pub -x sig.trail -m msg
{ cat k1.pub && echo "anything at all"; } >key.trail
stricter "public key file with trailing bytes" -V -p key.trail -x msg.sig -m msg

# A key comment over signify's signature-comment cap (only those are capped).
{ printf 'untrusted comment: ' && head -c 1500 /dev/zero | tr '\0' c && echo && sed -n 2p k1.pub; } >key.longc
stricter "public key with a 1500-byte comment" -V -p key.longc -x msg.sig -m msg
# The identity point as public key: with R = B and S = 1, [S]B = R + [k]A
# holds for every message, so signify verifies this forgery of anything.
hex2bin() { printf "$(echo "$1" | sed 's/../\\x&/g')"; }
keynum=$(raw k1.pub key.raw && od -An -tx1 -j2 -N8 key.raw | tr -d ' \n')
{ echo "untrusted comment: identity" && { printf Ed && hex2bin "$keynum" && printf '\x01' &&
	head -c 31 /dev/zero; } | base64 -w0 && echo; } >key.identity
{ echo "untrusted comment: forged" && { printf Ed && hex2bin "$keynum" &&
	hex2bin 5866666666666666666666666666666666666666666666666666666666666666 &&
	printf '\x01' && head -c 31 /dev/zero; } | base64 -w0 && echo; } >sig.forged
stricter "identity public key (forged signature over any message)" -V -p key.identity -x sig.forged -m msg

# Checksum lists that signify -C takes and ours refuses.
mkdir strict strict/sub
printf 'a\n' >strict/a
printf 'b\n' >strict/sub/b
# liststrict NAME LISTFILE [DIR]: sign LISTFILE into DIR/SHA512.sig (DIR is
# strict by default) and check it there. No subshells: fails must count.
liststrict() {
	local dir=${3:-strict}
	"$SIGNIFY" -S -e -s k1.sec -m "$2" -x "$dir/SHA512.sig" || exit 1
	cd "$dir" || exit 1
	stricter "$1" -C -p "$tmp/k1.pub" -x SHA512.sig
	cd "$tmp" || exit 1
}
hexline() { (cd "$1" && sha512sum --tag "$2"); }
hexline strict a >l.slash && hexline strict sub/b >>l.slash
liststrict "list naming sub/b (a '/')" l.slash
hexline strict/sub ../a >l.dotdot
liststrict "list naming ../a (signify reads the file above)" l.dotdot strict/sub
{ hexline strict a && hexline strict a; } >l.dup
liststrict "list with a duplicate entry" l.dup
(cd strict && sha256sum --tag a) >l.256
liststrict "list with a SHA256 line" l.256
hexline strict a | tr -d '\n' >l.nonl
liststrict "list without a final newline" l.nonl
hexline strict a | sed 's/$/\r/' >l.crlf
liststrict "list with CRLF line ends" l.crlf
hex=$(sha512sum strict/a | cut -c1-128)
printf 'SHA512 (a) = %s\n' "$(printf "$(echo "$hex" | sed 's/../\\x&/g')" | base64 -w0)" >l.b64
liststrict "list with a base64 digest" l.b64
printf 'a\n' >"strict/a b"
hexline strict "a b" >l.space
liststrict "list naming 'a b' (a space)" l.space
hexline strict a | sed 's/$/ trailing text/' >l.trail
liststrict "list line with text after the digest" l.trail

echo "interop: $fails failed"
[ "$fails" -eq 0 ]
