# Sourced by tests/host/spine-keys.sh after spine-keys-rotate.sh (their
# helpers and variables): rotate-db (begin, resign, finish) on its own key
# folder, fake ESP folder and the fake efivarfs tree, with a db holding DIR's
# certificate, a pinned Option ROM digest and a vendor's certificate (the
# third folder's, under another owner GUID).
#
# The fake efivarfs has no firmware, so the db that the firmware would make of
# each signed update is built by hand: spine-sbvar's `write` goes through
# fakefw below, which strips the update's EFI_VARIABLE_AUTHENTICATION_2 header
# and appends the list to db (attributes 0x40: begin) or replaces db with it
# (finish), as SetVariable would. It checks no signature and no timestamp:
# that is the firmware's part, in tests/vm-keys.

D=$dir/d
desp=$dir/desp
export SPINE_ESP=$desp
VG=7e57ab1e-0000-4000-8000-00000000abcd
realsbvar=$SPINE_SBVAR
fakefw=$dir/fakefw
cat >"$fakefw" <<'FW'
#!/usr/bin/env bash
# spine-sbvar, but `write` (not -n) does what a firmware would with a
# time-based authenticated update (tests/host/spine-keys-rotdb.sh).
set -u
real=$FAKEFW_REAL
if [ "${1:-}" != write ] || [ "${2:-}" = -n ]; then
	exec "$real" "$@"
fi
var=$2 attr=$((0x$3)) auth=$4
if [ -n "${FAKEFW_REFUSE:-}" ]; then
	echo "spine-sbvar: $var: refused by the firmware: security violation (not in setup mode, or a bad signature or timestamp)" >&2
	exit 3
fi
# EFI_TIME (16 bytes), then a WIN_CERTIFICATE whose dwLength counts itself.
wl=$(od -An -tu4 -j16 -N4 "$auth" | tr -d ' ')
tail -c +$((16 + wl + 1)) "$auth" >"$FAKEFW_TMP/list"
"$real" list "$FAKEFW_TMP/list" >/dev/null || exit 2
if ((attr & 0x40)) && [ -s "$var" ]; then
	cat "$var" "$FAKEFW_TMP/list" >"$FAKEFW_TMP/var"
else
	{ printf '\x27\x00\x00\x00' && cat "$FAKEFW_TMP/list"; } >"$FAKEFW_TMP/var"
fi
mv -f "$FAKEFW_TMP/var" "$var"
echo "$(basename "$var") $3 $auth" >>"$FAKEFW_LOG"
FW
chmod +x "$fakefw"
mkdir -p "$dir/fakefw.tmp"
export SPINE_SBVAR=$fakefw FAKEFW_REAL=$realsbvar FAKEFW_LOG=$dir/fakefw.log FAKEFW_TMP=$dir/fakefw.tmp
: >"$FAKEFW_LOG"

rm -rf "$D"
"$K" create -n "$D" >/dev/null 2>&1 || fail "rotate-db: create"
cp "$devpub" "$D/slot.pub"
"$K" sign -d "$D" "$loader" "$dir/d-old.efi" >/dev/null 2>&1 || fail "rotate-db: signing the loader"
cert-to-efi-sig-list -g "$VG" "$dir/third/db.crt" "$dir/vendor.esl" >/dev/null
pin=$(printf '5a%.0s' $(seq 32))
"$realsbvar" sha256 "$(cat "$D/GUID")" "$pin" >"$dir/pin.esl"
cat "$D/db.esl" "$dir/pin.esl" "$dir/vendor.esl" >"$dir/db0.esl"
dbvar=$ev/db-$S
dvars() { # SETUPMODE SECUREBOOT: the fake tree with the enrolled db
	fresh_vars "$1" "$2"
	{ printf '\x27\x00\x00\x00' && cat "$dir/db0.esl"; } >"$dbvar"
}
rm -rf "$desp"
mkdir -p "$desp/EFI/spine" "$desp/EFI/BOOT"
cp "$dir/d-old.efi" "$desp/EFI/spine/spineboot.efi"
cp "$dir/d-old.efi" "$desp/EFI/BOOT/BOOTX64.EFI"
drefuses() { # NAME ERE ARGS...: exit 1, one line, nothing in DIR, ESP, efivarfs changed
	local watch=("$ev" "$D" "$desp")
	refuses "$@"
}
dsnap() { dbefore=$(tree_sum "$ev" "$D" "$desp"); }
dsame() { [ "$dbefore" = "$(tree_sum "$ev" "$D" "$desp")" ]; }
# "<kind> <owner> <size or hex>" of each entry of db, one a line.
dblist() { "$realsbvar" list -v "$dbvar" | cut -d' ' -f2-; }
# An .auth's list (after its authentication header), and its EFI_TIME as
# YYYYMMDDHHMMSS.
auth_list() {
	local wl
	wl=$(od -An -tu4 -j16 -N4 "$1" | tr -d ' ')
	tail -c +$((16 + wl + 1)) "$1"
}
auth_ts() {
	local b
	read -r -a b <<<"$(od -An -tu1 -N7 "$1")"
	printf '%04d%02d%02d%02d%02d%02d' $((b[0] + 256 * b[1])) "${b[2]}" "${b[3]}" "${b[4]}" "${b[5]}" "${b[6]}"
}
signed_by() { sbverify --cert "$2" "$1" >/dev/null 2>&1; }
oldcrt=$dir/d-old.crt
cp "$D/db.crt" "$oldcrt"
oldh=$(ah "$dir/d-old.efi")

# spine-sbvar without, alone: the enrolled db minus DIR's certificate is the
# pinned digest and the vendor's list, byte for byte; a malformed file is one
# line with its offset.
dvars 0 1
openssl x509 -in "$D/db.crt" -outform DER -out "$dir/d-old.der"
"$realsbvar" without -v "$dbvar" "$dir/d-old.der" >"$dir/w.esl" 2>"$dir/w.err" &&
	cat "$dir/pin.esl" "$dir/vendor.esl" | cmp -s - "$dir/w.esl" && [ ! -s "$dir/w.err" ] &&
	pass "spine-sbvar without -v: db minus the certificate, the pinned digest and vendor's list kept byte for byte" ||
	fail "spine-sbvar without: $(cat "$dir/w.err")"
head -c 60 "$dir/db0.esl" >"$dir/w-bad.esl"
o=$("$realsbvar" without "$dir/w-bad.esl" "$dir/d-old.der" 2>&1)
[ $? = 2 ] && [ "$o" = "spine-sbvar: $dir/w-bad.esl: offset 0: list runs past the end" ] &&
	pass "spine-sbvar without refuses a malformed list in one line with its offset" || fail "spine-sbvar without, malformed: $o"
drefuses "rotate-db resign before begin" "^spine-keys: $D/rotate-db: at step 'none': resign comes after begin" \
	rotate-db resign -d "$D"
drefuses "rotate-db finish before begin" "^spine-keys: $D/rotate-db: at step 'none': finish comes after resign" \
	rotate-db finish -d "$D"
dvars 1 0
drefuses "rotate-db begin in setup mode" "^spine-keys: in setup mode: there is no KEK to check a db update" \
	rotate-db begin -d "$D"
dvars 0 1
SPINE_EFIVARS=$dir/none drefuses "rotate-db begin without efivarfs" "^spine-keys: efivarfs missing: $dir/none is not there" \
	rotate-db begin -d "$D"
{ printf '\x27\x00\x00\x00' && cat "$dir/pin.esl" "$dir/vendor.esl"; } >"$dbvar"
drefuses "rotate-db begin on a db without DIR's certificate" "^spine-keys: $dbvar: does not hold $D/db.crt" \
	rotate-db begin -d "$D"
printf '\x27\x00\x00\x00junk' >"$dbvar"
drefuses "rotate-db begin on a malformed db" "^spine-keys: $dbvar: offset 4: truncated list header" \
	rotate-db begin -d "$D"
dvars 0 1
dsnap
run rotate-db begin -d "$D" --dry-run
dsame && [ "$st" = 0 ] && grep -qE "^would write $dbvar: [0-9]+ bytes \(attributes 0x00000067" <<<"$out" &&
	grep -q "^would write $D/rotate-db/db.key (0600)" <<<"$out" && grep -q '^dry run: nothing written' <<<"$out" &&
	pass "rotate-db begin --dry-run names the db append (0x67) and DIR's files, writes nothing" ||
	fail "rotate-db begin --dry-run: $st: $out"

# A write the firmware refuses: db as it was; the rerun goes on with the
# same key.
evesp=$(tree_sum "$ev" "$desp")
FAKEFW_REFUSE=1 run rotate-db begin -d "$D"
[ "$st" = 1 ] && grep -q "^spine-keys: db: not written: $dbvar: refused by the firmware: security violation" <<<"$out" &&
	[ "$(wc -l <<<"$out")" = 1 ] && [ "$evesp" = "$(tree_sum "$ev" "$desp")" ] &&
	[ "$(cat "$D/rotate-db/state")" = begun ] &&
	pass "rotate-db begin with the write refused by the firmware: one line, db and the ESP unchanged" ||
	fail "rotate-db begin, refused write: $st: $out"
cp "$D/rotate-db/db.crt" "$dir/d-new-first.crt"
run rotate-db begin -d "$D"
nc=$D/rotate-db/db.crt
ba=$(ls "$D"/rotate-db/db-append-*.auth 2>/dev/null | tail -n 1)
want=$(cat "$dir/db0.esl" "$D/rotate-db/db.esl" | xxd -p | tr -d '\n')
got=$(tail -c +5 "$dbvar" | xxd -p | tr -d '\n')
if [ "$st" = 0 ] && [ "$(cat "$D/rotate-db/state")" = begun ] && [ "$want" = "$got" ] &&
	[ "$(stat -c %a "$D/rotate-db/db.key")" = 600 ] && ! cmp -s "$nc" "$oldcrt" &&
	openssl x509 -in "$nc" -noout -subject | grep -qE 'CN ?= ?Alpine Spine db [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}' &&
	[ "$(wc -l <"$FAKEFW_LOG")" = 1 ] && grep -q "^db-$S 67 $ba$" "$FAKEFW_LOG" &&
	grep -q '^resuming begin' <<<"$out" && cmp -s "$nc" "$dir/d-new-first.crt"; then
	pass "rotate-db begin: a new db certificate (key 0600, its own subject) appended to db (0x67), the old, the pinned digest and the vendor's kept"
else
	fail "rotate-db begin: $st: $out; db $(dblist | tr '\n' ';'); writes $(cat "$FAKEFW_LOG")"
fi
auth_list "$ba" >"$dir/ba.esl"
"$realsbvar" list "$dir/ba.esl" >/dev/null && cmp -s "$dir/ba.esl" "$D/rotate-db/db.esl" &&
	[ "$(cat "$D/timestamp")" -gt 0 ] &&
	pass "rotate-db begin's signed update is kept, parses, and holds the new certificate's list" ||
	fail "rotate-db begin's .auth $ba"
dsnap
run rotate-db begin -d "$D"
[ "$st" = 0 ] && grep -q '^resuming begin' <<<"$out" && grep -q '^db holds the new db certificate already' <<<"$out" &&
	dsame && [ "$(wc -l <"$FAKEFW_LOG")" = 1 ] &&
	pass "rotate-db begin run again: the same certificate, db not written again" || fail "rotate-db begin rerun: $st: $out"
drefuses "rotate-db finish before resign" "^spine-keys: $D/rotate-db: at step 'begun': finish comes after resign" \
	rotate-db finish -d "$D"

# resign.
cp "$dir/out/foreign.efi" "$desp/EFI/BOOT/BOOTX64.EFI"
drefuses "rotate-db resign with a loader signed by neither certificate" \
	"^spine-keys: $desp/EFI/BOOT/BOOTX64.EFI: signed by neither the old nor the new db certificate: refusing to re-sign it" \
	rotate-db resign -d "$D"
cp "$dir/d-old.efi" "$desp/EFI/BOOT/BOOTX64.EFI"
cp "$dbvar" "$dir/db-begun.var"
dvars 0 1
drefuses "rotate-db resign while db lacks the new certificate" "^spine-keys: $dbvar: does not hold the new db certificate" \
	rotate-db resign -d "$D"
cp "$dir/db-begun.var" "$dbvar"
dsnap
run rotate-db resign -d "$D" --dry-run
dsame && [ "$st" = 0 ] && grep -q "^would write $desp/EFI/spine/spineboot.efi: " <<<"$out" &&
	grep -q "^would write $desp/EFI/BOOT/BOOTX64.EFI: " <<<"$out" &&
	pass "rotate-db resign --dry-run names both loaders, writes nothing" || fail "rotate-db resign --dry-run: $st: $out"
out=$(SPINE_KEYS_CUT_AFTER=1 "$K" rotate-db resign -d "$D" 2>&1)
st=$?
bad=''
for f in EFI/spine/spineboot.efi EFI/BOOT/BOOTX64.EFI; do
	signed_by "$desp/$f" "$oldcrt" || signed_by "$desp/$f" "$nc" || bad="$bad $f"
done
[ "$st" = 137 ] && [ -z "$bad" ] && signed_by "$desp/EFI/spine/spineboot.efi" "$nc" &&
	signed_by "$desp/EFI/BOOT/BOOTX64.EFI" "$oldcrt" &&
	pass "rotate-db resign killed after its first ESP write: one loader new-signed, one old-signed, db trusts both" ||
	fail "rotate-db resign cut: exit $st; signed by neither:$bad; $out"
echo junk >"$desp/EFI/BOOT/BOOTX64.EFI.spk-new"
run rotate-db resign -d "$D"
bad=''
for f in EFI/spine/spineboot.efi EFI/BOOT/BOOTX64.EFI; do
	signed_by "$desp/$f" "$nc" || bad="$bad $f not new-signed;"
	! signed_by "$desp/$f" "$oldcrt" || bad="$bad $f old-signed;"
	[ "$(ah "$desp/$f")" = "$oldh" ] || bad="$bad $f hash $(ah "$desp/$f");"
done
[ "$st" = 0 ] && [ -z "$bad" ] && [ ! -e "$desp/EFI/BOOT/BOOTX64.EFI.spk-new" ] &&
	grep -q "^$desp/EFI/spine/spineboot.efi: already signed by the new db certificate" <<<"$out" &&
	[ "$(cat "$D/rotate-db/state")" = resigned ] &&
	pass "rotate-db resign run again completes: both loaders verify under the new certificate, not the old, same Authenticode hash" ||
	fail "rotate-db resign rerun: $st:$bad $out"
dsnap
run rotate-db resign -d "$D"
[ "$st" = 0 ] && dsame && pass "rotate-db resign a third time changes nothing" || fail "rotate-db resign again: $st: $out"
drefuses "rotate-db begin while a rotation is under way" \
	"^spine-keys: $D/rotate-db: at step 'resigned': a rotation to db certificate .* is under way: finish it first" \
	rotate-db begin -d "$D"

# finish.
cp "$desp/EFI/spine/spineboot.efi" "$dir/d-new.efi"
cp "$dir/d-old.efi" "$desp/EFI/spine/spineboot.efi"
drefuses "rotate-db finish while a loader is still old-signed" \
	"^spine-keys: $desp/EFI/spine/spineboot.efi: not signed by the new db certificate: the firmware would refuse it once the old one leaves db" \
	rotate-db finish -d "$D"
cp "$dir/d-new.efi" "$desp/EFI/spine/spineboot.efi"
mkdir -p "$desp/EFI/other"
cp "$dir/d-old.efi" "$desp/EFI/other/grub.efi"
loadopt '\EFI\other\grub.efi' >"$ev/Boot0005-$G"
printf '\x07\x00\x00\x00\x05\x00' >"$ev/BootOrder-$G"
drefuses "rotate-db finish while a Boot#### target is old-signed" \
	"^spine-keys: $desp/EFI/other/grub.efi: not signed by the new db certificate" rotate-db finish -d "$D"
rm -rf "$desp/EFI/other" "$ev/Boot0005-$G" "$ev/BootOrder-$G"
dsnap
run rotate-db finish -d "$D" --dry-run
dsame && [ "$st" = 0 ] && grep -qE "^would write $dbvar: [0-9]+ bytes \(attributes 0x00000027" <<<"$out" &&
	grep -q "^would write $D/db-old-$(openssl x509 -in "$oldcrt" -noout -fingerprint -sha256 | sed 's/^.*=//' |
		tr -d : | tr A-F a-f | cut -c1-16).crt" <<<"$out" &&
	pass "rotate-db finish --dry-run names the db write (0x27) and DIR's files, writes nothing" ||
	fail "rotate-db finish --dry-run: $st: $out"
ofp=$(openssl x509 -in "$oldcrt" -noout -fingerprint -sha256 | sed 's/^.*=//' | tr -d : | tr A-F a-f | cut -c1-16)
run rotate-db finish -d "$D"
fa=$(ls "$D"/rotate-db/db-[0-9]*.auth 2>/dev/null | head -n 1)
want=$(cat "$dir/pin.esl" "$dir/vendor.esl" "$D/rotate-db/db.esl" | xxd -p | tr -d '\n')
got=$(tail -c +5 "$dbvar" | xxd -p | tr -d '\n')
if [ "$st" = 0 ] && [ "$want" = "$got" ] && [ "$(wc -l <"$FAKEFW_LOG")" = 2 ] &&
	grep -q "^db-$S 27 $fa$" "$FAKEFW_LOG" && [ "$(cat "$D/rotate-db/state")" = finished ]; then
	pass "rotate-db finish: db is the pinned digest, the vendor's certificate and the new one, byte for byte; the old certificate gone (0x27)"
else
	fail "rotate-db finish: $st: $out; db $(dblist | tr '\n' ';')"
fi
auth_list "$fa" >"$dir/fa.esl"
"$realsbvar" list "$dir/fa.esl" >"$dir/fa.list" && cmp -s "$dir/fa.esl" <(tail -c +5 "$dbvar") &&
	grep -q "^1 x509 $VG " "$dir/fa.list" && grep -q "^0 sha256 $(cat "$D/GUID") $pin" "$dir/fa.list" &&
	[ "$(wc -l <"$dir/fa.list")" = 3 ] && [[ $(auth_ts "$fa") > $(auth_ts "$ba") ]] &&
	[ "$(cat "$D/timestamp")" -gt 0 ] &&
	pass "rotate-db finish's update parses, keeps the pinned sha256 and the vendor x509, and is timestamped after begin's" ||
	fail "rotate-db finish's .auth: $(cat "$dir/fa.list"); $(auth_ts "$fa") vs $(auth_ts "$ba")"
cmp -s "$D/db.crt" "$nc" && cmp -s "$D/db.key" "$D/rotate-db/db.key" && cmp -s "$D/db-old-$ofp.crt" "$oldcrt" &&
	[ -s "$D/db-old-$ofp.key" ] && cmp -s "$D/db.esl" "$D/rotate-db/db.esl" &&
	pass "after rotate-db finish DIR's db.crt is the new certificate, the old kept as db-old-$ofp.crt" ||
	fail "after rotate-db finish, DIR: $(ls "$D" | tr '\n' ' ')"
run sign -d "$D" -k "$devpub" "$loader" "$dir/d-signed.efi"
[ "$st" = 0 ] && signed_by "$dir/d-signed.efi" "$nc" && ! signed_by "$dir/d-signed.efi" "$oldcrt" &&
	pass "after rotate-db finish, sign -d DIR signs with the new db key" || fail "sign after rotate-db: $st: $out"
run rotate-db state -d "$D"
[ "$st" = 0 ] && grep -q '^state: finished' <<<"$out" &&
	grep -q "^old db certificate .* sha256 fingerprint $(openssl x509 -in "$oldcrt" -noout -fingerprint -sha256 | sed 's/^.*=//')$" <<<"$out" &&
	grep -q "^new db certificate .* sha256 fingerprint $(openssl x509 -in "$nc" -noout -fingerprint -sha256 | sed 's/^.*=//')$" <<<"$out" &&
	pass "rotate-db state: finished, both fingerprints" || fail "rotate-db state: $out"

# A cut between finish's db write and DIR's update (db already without the
# old certificate), put back by hand: db.key already new, db.crt still old,
# state finishing. The rerun skips the write and completes DIR.
cp "$oldcrt" "$D/db.crt" && cp "$D/db-old-$ofp.esl" "$D/db.esl" && echo finishing >"$D/rotate-db/state"
cp "$dbvar" "$dir/db-finished.var"
run rotate-db finish -d "$D"
[ "$st" = 0 ] && grep -q '^db lacks the old db certificate already' <<<"$out" && cmp -s "$D/db.crt" "$nc" &&
	cmp -s "$D/db.esl" "$D/rotate-db/db.esl" && cmp -s "$dbvar" "$dir/db-finished.var" &&
	[ "$(wc -l <"$FAKEFW_LOG")" = 2 ] && [ "$(cat "$D/rotate-db/state")" = finished ] &&
	pass "rotate-db finish run again after a cut between the db write and DIR's update: no write, DIR completed" ||
	fail "rotate-db finish after a cut: $st: $out"
drefuses "rotate-db finish after finish" "^spine-keys: $D/rotate-db: at step 'finished': finish comes after resign" \
	rotate-db finish -d "$D"
dsnap
run rotate-db begin -d "$D" --dry-run
[ "$st" = 0 ] && dsame && grep -q "^would write $D/rotate-db/db.key (0600)" <<<"$out" &&
	pass "rotate-db begin after finish starts a new rotation (dry run)" || fail "rotate-db begin after finish: $st: $out"
export SPINE_SBVAR=$realsbvar
