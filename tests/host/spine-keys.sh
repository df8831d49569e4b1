#!/usr/bin/env bash
# keys/spine-keys on the build machine, with a fake efivarfs tree
# (SPINE_EFIVARS) and hand-made event logs (SPINE_EVENTLOG): every refusal
# with its message and nothing written, --dry-run writes nothing, create's
# modes and refusal to overwrite, sign's key check, status's verdicts. The
# firmware side (real writes, Secure Boot turning on) is tests/vm-keys.
#
# Then rotate-slot-key (begin, resign, finish) on a fake ESP folder: its
# refusals, --dry-run, a kill after each ESP write and the rerun that
# completes; and revoke's refusals and --dry-run (its real dbx write is in
# tests/vm-keys, where a firmware checks it). Then rotate-db
# (tests/host/spine-keys-rotdb.sh) against a hand-made firmware's db.
#
# Usage: tests/host/spine-keys.sh LOADER DEV.pub WORKDIR DEV.sec BOTH.efi
#            NEW.efi NEW.pub NEW.sec
#   BOTH.efi trusts DEV.pub and NEW.pub, NEW.efi only NEW.pub
#   (SPINE_SBVAR, SPINE_TCGLOG, SPINE_LOADER_KEYS name the helpers)
set -u
loader=$1 devpub=$2 dir=$3 devsec=$4 both=$5 newefi=$6 newpub=$7 newsec=$8
K=keys/spine-keys
G=8be4df61-93ca-11d2-aa0d-00e098032b8c
S=d719b2cb-3d3a-4596-a3bc-dad00e67656f
LOG=tests/data/tcglog/swtpm-ovmf.bin
rc=0
pass() { echo "PASS: spine-keys $*"; }
fail() {
	echo "FAIL: spine-keys $*"
	rc=1
}

rm -rf "$dir"
mkdir -p "$dir"
ev=$dir/efivars
export SPINE_EFIVARS=$ev SPINE_EVENTLOG=$LOG

# A fake efivarfs: attribute word (NV|BS|RT = 0x06 here) then the value.
setvar() { # NAME GUID BYTE
	printf "\\x06\\x00\\x00\\x00\\x$(printf %02x "$3")" >"$ev/$1-$2"
}
fresh_vars() { # SETUPMODE SECUREBOOT
	rm -rf "$ev"
	mkdir -p "$ev"
	setvar SetupMode $G "$1"
	setvar SecureBoot $G "$2"
}
# A digest of everything in the folders named: "nothing written" is this
# being the same before and after.
tree_sum() { find "$@" -type f -printf '%p %m\n' -exec sha256sum {} + 2>/dev/null | sort | sha256sum; }
le32() {
	local v=$1
	printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $((v >> 8 & 255)))\\x$(printf %02x $((v >> 16 & 255)))\\x$(printf %02x $((v >> 24 & 255)))"
}
rep() { # BYTE(hex) COUNT
	local i
	for ((i = 0; i < $2; i++)); do printf "\\x$1"; done
}
# The captured swtpm log plus one EV_EFI_BOOT_SERVICES_DRIVER in PCR 2, its
# four banks' digests made of byte $1 (an Option ROM, as a NIC's would be).
rom_log() {
	cat "$LOG"
	le32 2
	le32 $((0x80000004))
	le32 4
	printf '\x04\x00' && rep "$1" 20
	printf '\x0b\x00' && rep "$1" 32
	printf '\x0c\x00' && rep "$1" 48
	printf '\x0d\x00' && rep "$1" 64
	le32 4
	printf 'rom!'
}
# A SHA-1-only (TPM 1.2 form) log whose one record is such a driver.
sha1_rom_log() {
	le32 2
	le32 $((0x80000004))
	rep 5a 20
	le32 4
	printf 'rom!'
}

# Runs spine-keys; $out is stderr and stdout, $st the exit status.
run() {
	out=$("$K" "$@" 2>&1)
	st=$?
}
# NAME EXPECTED-ERE ARGS...: must exit 1 with a line matching ERE and leave
# the fake efivarfs and the key folder unchanged.
# The trees watched are ${watch[@]} (spine-keys-rotate.sh adds its ESP).
watch=()
refuses() {
	local name=$1 ere=$2 before w=("${watch[@]}")
	shift 2
	[ ${#w[@]} -gt 0 ] || w=("$ev" "$dir/k")
	before=$(tree_sum "${w[@]}")
	run "$@"
	if [ "$st" != 1 ]; then
		fail "$name: exit $st, not 1 ($out)"
	elif ! grep -qE "$ere" <<<"$out"; then
		fail "$name: message '$out' does not match /$ere/"
	elif [ "$(wc -l <<<"$out")" != 1 ]; then
		fail "$name: more than one line: $out"
	elif [ "$before" != "$(tree_sum "${w[@]}")" ]; then
		fail "$name: something was written"
	else
		pass "refuses $name: ${out#spine-keys: }"
	fi
}

# --help for each subcommand.
for c in create status sign enroll rotate-slot-key revoke rotate-db; do
	run "$c" --help
	[ "$st" = 0 ] && grep -q "^usage: spine-keys $c" <<<"$out" && pass "$c --help" ||
		fail "$c --help: exit $st: $out"
done
run frobnicate
[ "$st" = 2 ] && pass "an unknown command is a usage error" || fail "unknown command: exit $st"

# create.
run create --dry-run "$dir/dry"
[ "$st" = 0 ] && [ ! -e "$dir/dry" ] && grep -q "would write $dir/dry/PK.key" <<<"$out" &&
	pass "create --dry-run names the files and makes nothing" || fail "create --dry-run: $st: $out"
run create -n "$dir/k"
if [ "$st" != 0 ]; then
	fail "create: exit $st: $out"
	exit 1
fi
bad=''
[ "$(stat -c %a "$dir/k")" = 700 ] || bad="folder mode $(stat -c %a "$dir/k")"
for f in "$dir"/k/*; do
	[ "$(stat -c %a "$f")" = 600 ] || bad="$bad $f mode $(stat -c %a "$f")"
done
[ -z "$bad" ] && pass "create: folder 0700, files 0600" || fail "create: $bad"
guid=$(cat "$dir/k/GUID")
bad=''
for k in PK KEK db; do
	openssl x509 -in "$dir/k/$k.crt" -noout -text | grep -q 'Public-Key: (2048 bit)' ||
		bad="$bad $k not RSA-2048"
	l=$("$SPINE_SBVAR" list "$dir/k/$k.esl")
	[[ $l == "0 x509 $guid "* ]] && [ "$(wc -l <<<"$l")" = 1 ] || bad="$bad $k.esl: $l"
	fp=$(openssl x509 -in "$dir/k/$k.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
	grep -q "^$k sha256 fingerprint $fp$" <<<"$out" || bad="$bad no $k fingerprint printed"
done
kn=$(sed -n 2p "$dir/k/slot.pub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')
grep -q "signify slot key number $kn" <<<"$out" || bad="$bad no key number $kn printed"
[ -z "$bad" ] && pass "create: PK, KEK, db RSA-2048 under one owner GUID; fingerprints and key number printed" ||
	fail "create:$bad"
before=$(tree_sum "$dir/k")
run create -n "$dir/k"
[ "$st" = 1 ] && grep -q 'exists and is not empty: refusing to overwrite' <<<"$out" &&
	[ "$before" = "$(tree_sum "$dir/k")" ] && pass "create refuses to overwrite a key folder" ||
	fail "create over an existing folder: $st: $out"
run create -n "$dir/other"
[ "$st" = 0 ] || fail "create a second folder: $out"

# sign: the loader of this build trusts the DEVELOPMENT key, not DIR's.
mkdir -p "$dir/out"
run sign -d "$dir/k" "$loader" "$dir/out/signed.efi"
[ "$st" = 1 ] && grep -q 'its built-in signify keys are not' <<<"$out" && [ ! -e "$dir/out/signed.efi" ] &&
	pass "sign refuses a loader whose built-in keys are not DIR's" || fail "sign, foreign keys: $st: $out"
run sign -d "$dir/k" -k "$devpub" --dry-run "$loader" "$dir/out/signed.efi"
[ "$st" = 0 ] && [ ! -e "$dir/out/signed.efi" ] && grep -q "would write $dir/out/signed.efi" <<<"$out" &&
	pass "sign --dry-run writes nothing" || fail "sign --dry-run: $st: $out"
run sign -d "$dir/k" -k "$devpub" "$loader" "$dir/out/signed.efi"
if [ "$st" = 0 ] && sbverify --cert "$dir/k/db.crt" "$dir/out/signed.efi" >/dev/null 2>&1; then
	pass "sign -k KEY.pub signs, and sbverify takes it against DIR's db"
else
	fail "sign -k: $st: $out"
fi
sbverify --cert "$dir/other/db.crt" "$dir/out/signed.efi" >/dev/null 2>&1 &&
	fail "a loader signed by DIR verifies against another db" ||
	pass "the signed loader does not verify against another folder's db"
# A loader built to trust DIR's key (its own build tree) is signed without -k.
if make --no-print-directory B="$dir/b" SLOT_PUBS="$dir/k/slot.pub" "$dir/b/efi/spineboot.efi" \
	>"$dir/make.log" 2>&1; then
	run sign -d "$dir/k" "$dir/b/efi/spineboot.efi" "$dir/out/own.efi"
	[ "$st" = 0 ] && sbverify --cert "$dir/k/db.crt" "$dir/out/own.efi" >/dev/null 2>&1 &&
		pass "sign takes a loader that trusts exactly DIR's slot key" || fail "sign, own key: $st: $out"
else
	fail "building a loader with DIR's key: $(tail -n 2 "$dir/make.log")"
fi
run sign -d "$dir/other" -k "$devpub" "$loader" "$dir/out/foreign.efi"
[ "$st" = 0 ] || fail "sign with the other folder: $out"

# enroll refusals: each one line, nothing written.
fresh_vars 0 0
refuses "outside setup mode" '^spine-keys: not in setup mode \(SetupMode=0\)' \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"
fresh_vars 1 1
refuses "Secure Boot on" '^spine-keys: Secure Boot is on' \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"
fresh_vars 1 0
SPINE_EFIVARS=$dir/none refuses "efivarfs missing" '^spine-keys: efivarfs missing: ' \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"
if unshare -m true 2>/dev/null; then
	before=$(tree_sum "$ev" "$dir/k")
	out=$(unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		"$2" enroll -d "$3" --loader "$4" 2>&1' _ "$ev" "$K" "$dir/k" "$dir/out/signed.efi")
	st=$?
	[ "$st" = 1 ] && grep -q '^spine-keys: efivarfs read-only: ' <<<"$out" &&
		[ "$before" = "$(tree_sum "$ev" "$dir/k")" ] && pass "refuses efivarfs read-only: ${out#spine-keys: }" ||
		fail "efivarfs read-only: $st: $out"
else
	echo "SKIP: spine-keys refuses efivarfs read-only (no mount namespace here)"
fi
SPINE_EVENTLOG=$dir/nolog refuses "no TPM event log" '^spine-keys: no TPM event log at .*--no-eventlog-check' \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"
head -c 100 "$LOG" >"$dir/cut.log"
SPINE_EVENTLOG=$dir/cut.log refuses "a truncated event log" "^spine-keys: spine-tcglog: $dir/cut.log: offset [0-9]+: " \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"
refuses "a loader the new db does not verify (signed by another key)" \
	"^spine-keys: $dir/out/foreign.efi: not signed by $dir/k/db.crt: the new db would not boot it" \
	enroll -d "$dir/k" --loader "$dir/out/foreign.efi"
refuses "an unsigned loader" "^spine-keys: $loader: not signed by $dir/k/db.crt" \
	enroll -d "$dir/k" --loader "$loader"
cp -a "$dir/k" "$dir/der"
openssl x509 -in "$dir/k/db.crt" -outform DER -out "$dir/der/db.crt"
before=$(tree_sum "$ev" "$dir/der")
run enroll -d "$dir/der" --loader "$dir/out/signed.efi"
[ "$st" = 1 ] && grep -q "^spine-keys: $dir/der/db.crt: not a PEM certificate (DER?" <<<"$out" &&
	[ "$before" = "$(tree_sum "$ev" "$dir/der")" ] && pass "refuses DER instead of PEM: ${out#spine-keys: }" ||
	fail "DER certificate: $st: $out"
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=ec/ \
	-keyout "$dir/der/db.key" -out "$dir/der/db.crt" >/dev/null 2>&1
run enroll -d "$dir/der" --loader "$dir/out/signed.efi"
[ "$st" = 1 ] && grep -q "^spine-keys: $dir/der/db.crt: not an RSA certificate" <<<"$out" &&
	pass "refuses an ECDSA db certificate (edk2 takes RSA only)" || fail "ECDSA db: $st: $out"
rom_log 5a >"$dir/rom.log"
rom=$(printf '5a%.0s' $(seq 32))
SPINE_EVENTLOG=$dir/rom.log refuses "an Option ROM with --no-pin, naming it" \
	"^spine-keys: the event log shows Option ROMs that would stop loading: sha256:$rom " \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi" --no-pin
sha1_rom_log >"$dir/sha1.log"
SPINE_EVENTLOG=$dir/sha1.log refuses "an Option ROM in a SHA-1-only log (cannot be pinned)" \
	"^spine-keys: the event log shows Option ROMs but no SHA-256 digest of them \(a SHA-1-only log\).*sha1:$(printf '5a%.0s' $(seq 20))" \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi"

# enroll --dry-run: every write named with its size, nothing written.
before=$(tree_sum "$ev" "$dir/k")
run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run
if [ "$st" = 0 ] && [ "$before" = "$(tree_sum "$ev" "$dir/k")" ] &&
	grep -qE "^would write $ev/db-$S: [0-9]+ bytes \(attributes 0x00000027" <<<"$out" &&
	grep -qE "^would write $ev/KEK-$G: [0-9]+ bytes" <<<"$out" &&
	grep -qE "^would write $ev/PK-$G: [0-9]+ bytes" <<<"$out" &&
	grep -qE "^would write $dir/k/noPK.auth: [0-9]+ bytes" <<<"$out" &&
	grep -q '^event log: no Option ROM loaded this boot' <<<"$out"; then
	pass "enroll --dry-run names db, KEK, PK and noPK.auth with sizes and writes nothing"
else
	fail "enroll --dry-run: $st: $out"
fi
# The writes are in the order db, KEK, PK.
order=$(grep -oE "^would write $ev/[A-Za-z]+" <<<"$out" | sed 's|.*/||' | tr '\n' ' ')
[ "$order" = "db KEK PK " ] && pass "enroll writes db, then KEK, then PK" || fail "write order: $order"
SPINE_EVENTLOG=$dir/rom.log run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run
dbsize=$(sed -n "s|^would write $ev/db-$S: \([0-9]*\) bytes.*|\1|p" <<<"$out")
grep -q "^option ROM sha256 $rom: pinned in db" <<<"$out" &&
	[ "$dbsize" -gt 0 ] && pass "an Option ROM's digest is printed and pinned in db by default" ||
	fail "ROM pinning dry run: $st: $out"
SPINE_EVENTLOG=$dir/rom.log run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run --keep-db
grep -q "option ROMs: sha256:$rom not pinned (--keep-db)" <<<"$out" && [ "$st" = 0 ] &&
	pass "--keep-db does not pin and says so" || fail "--keep-db dry run: $st: $out"
# The db with the pinned digest is one 76-byte SHA-256 list longer.
SPINE_EVENTLOG=$LOG run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run
plain=$(sed -n "s|^would write $ev/db-$S: \([0-9]*\) bytes.*|\1|p" <<<"$out")
[ $((dbsize - plain)) = 76 ] && pass "the pinned db holds one SHA-256 list more (76 bytes)" ||
	fail "db sizes $dbsize vs $plain"
# --keep-db keeps a vendor's db entries (here: the other folder's
# certificate) ahead of ours.
{ printf '\x27\x00\x00\x00' && cat "$dir/other/db.esl"; } >"$ev/db-$S"
run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run --keep-db
kept=$(sed -n "s|^would write $ev/db-$S: \([0-9]*\) bytes.*|\1|p" <<<"$out")
[ "$st" = 0 ] && grep -q '^keeping the 1 db entries already present' <<<"$out" &&
	[ "$((kept - plain))" = "$(stat -c %s "$dir/other/db.esl")" ] &&
	pass "--keep-db keeps the db entries already there" || fail "--keep-db with a db: $st: $out"
printf '\x27\x00\x00\x00junk' >"$ev/db-$S"
refuses "--keep-db over a malformed db" "^spine-keys: $ev/db-$S: the db already there is not a signature list" \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run --keep-db
rm -f "$ev/db-$S"
# Timestamps: strictly later than the last one kept in DIR, even if the clock
# is behind it.
future=$(($(date +%s) + 1000))
echo "$future" >"$dir/k/timestamp"
run enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run
grep -q "^would write $dir/k/timestamp: $((future + 4))$" <<<"$out" &&
	pass "timestamps continue after the last one kept in DIR" || fail "timestamps: $out"
echo "soon" >"$dir/k/timestamp"
refuses "a malformed timestamp file" "^spine-keys: $dir/k/timestamp: not a count of seconds" \
	enroll -d "$dir/k" --loader "$dir/out/signed.efi" --dry-run
rm -f "$dir/k/timestamp"

# status: read from the fake tree, with our db and a dbx holding the hash.
fresh_vars 0 1
{ printf '\x27\x00\x00\x00' && cat "$dir/k/db.esl"; } >"$ev/db-$S"
{ printf '\x27\x00\x00\x00' && cat "$dir/k/PK.esl"; } >"$ev/PK-$G"
run status --loader "$dir/out/signed.efi"
subj=$(openssl x509 -in "$dir/k/db.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
if [ "$st" = 0 ] && grep -q '^SetupMode: 0' <<<"$out" && grep -q '^SecureBoot: 1' <<<"$out" &&
	grep -q '^mode: user' <<<"$out" && grep -q "^  PK\[0\] x509 owner $guid CN=Alpine Spine PK" <<<"$out" &&
	grep -q "^  signed by: db\[0\] $subj" <<<"$out" &&
	grep -q '^  firmware would start it: yes$' <<<"$out" &&
	grep -q "^  trusts signify key number $(sed -n 2p "$devpub" | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n')" <<<"$out"; then
	pass "status: user mode, PK and db entries, the loader signed by db[0], its signify key"
else
	fail "status: $st: $out"
fi
run status --loader "$dir/out/foreign.efi"
grep -q '^  signed by: no enrolled db certificate' <<<"$out" &&
	grep -q '^  firmware would start it: no (not in db)' <<<"$out" &&
	pass "status: a loader signed by another key would not start" || fail "status, foreign: $out"
hash-to-efi-sig-list "$dir/out/signed.efi" "$dir/h.esl" >/dev/null
h=$("$SPINE_SBVAR" list "$dir/h.esl" | awk '{print $4}')
{ printf '\x27\x00\x00\x00' && "$SPINE_SBVAR" sha256 "$guid" "$h"; } >"$ev/dbx-$S"
run status --loader "$dir/out/signed.efi"
grep -q "^  hash in dbx: dbx\[0\]" <<<"$out" && grep -q '^  firmware would start it: no (revoked in dbx)' <<<"$out" &&
	pass "status: a loader whose hash is in dbx would not start" || fail "status, dbx: $out"
printf '\x27\x00\x00\x00garbage' >"$ev/KEK-$G"
run status --loader "$dir/out/signed.efi"
[ "$st" = 1 ] && grep -q "KEK-$G: not a signature list" <<<"$out" &&
	pass "status names a malformed KEK" || fail "status, bad KEK: $st: $out"

. tests/host/spine-keys-rotate.sh
. tests/host/spine-keys-rotdb.sh
exit $rc
