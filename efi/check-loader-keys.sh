#!/usr/bin/env bash
# Checks what spine-loader-keys reads out of real loaders: the one-key
# spineboot.efi of this build, one built with two keys in its own build tree,
# and the same after sbsign (a signature must not hide the section).
# Usage: efi/check-loader-keys.sh SPINE-LOADER-KEYS LOADER SLOT.pub SCRATCHDIR
set -u
lk=$1 loader=$2 pub=$3 dir=$4
rm -rf "$dir"
mkdir -p "$dir"
rc=0
pass() { echo "PASS: loader-keys $*"; }
fail() { echo "FAIL: loader-keys $*"; rc=1; }
# "<keynum hex> <key hex>" of a signify public key file.
line() { sed -n 2p "$1" | base64 -d | od -An -v -tx1 | tr -d ' \n' | sed -E 's/^4564(.{16})(.{64})$/\1 \2\n/'; }

if [ "$("$lk" "$loader")" = "$(line "$pub")" ] && "$lk" "$loader" "$pub"; then
	pass "the build's loader trusts exactly the slot key ($(line "$pub" | cut -c1-16))"
else
	fail "the build's loader: got [$("$lk" "$loader" 2>&1)], want [$(line "$pub")]"
fi
for k in old new other; do
	signify-openbsd -G -n -c "loader-keys test $k" -p "$dir/$k.pub" -s "$dir/$k.sec" || exit 1
done
if "$lk" "$loader" "$dir/old.pub" 2>"$dir/err"; then
	fail "a loader without old.pub passed as trusting it"
elif [ $? = 1 ] && grep -q "does not trust $dir/old.pub" "$dir/err"; then
	pass "refuses a key the loader does not trust: $(cat "$dir/err")"
else
	fail "wrong refusal: $(cat "$dir/err")"
fi
# Rotation's middle step: a loader trusting old and new, built for real.
if make --no-print-directory B="$dir/b" SLOT_PUBS="$dir/old.pub $dir/new.pub" \
	"$dir/b/efi/spineboot.efi" >"$dir/make.log" 2>&1; then
	two=$dir/b/efi/spineboot.efi
	if [ "$("$lk" "$two")" = "$(line "$dir/old.pub"; line "$dir/new.pub")" ] &&
		"$lk" "$two" "$dir/new.pub" "$dir/old.pub"; then
		pass "a two-key loader lists both, in order, and matches them in any order"
	else
		fail "two-key loader: [$("$lk" "$two" 2>&1)]"
	fi
	if ! "$lk" "$two" "$dir/new.pub" 2>"$dir/err" && grep -q 'trusts 2 keys, 1 given' "$dir/err" &&
		! "$lk" "$two" "$dir/new.pub" "$dir/other.pub" 2>/dev/null; then
		pass "a subset or a different set of keys is refused: $(cat "$dir/err")"
	else
		fail "two-key loader matched a set it does not trust exactly"
	fi
	openssl req -new -x509 -newkey rsa:2048 -nodes -subj /CN=loader-keys-test -days 1 \
		-keyout "$dir/db.key" -out "$dir/db.crt" 2>/dev/null &&
		sbsign --key "$dir/db.key" --cert "$dir/db.crt" --output "$dir/signed.efi" "$two" \
			2>/dev/null
	if [ "$("$lk" "$dir/signed.efi")" = "$("$lk" "$two")" ]; then
		pass "sbsign keeps .spkeys readable"
	else
		fail "after sbsign: [$("$lk" "$dir/signed.efi" 2>&1)]"
	fi
else
	fail "building a two-key loader: $(tail -n 3 "$dir/make.log")"
fi
for bad in /etc/hostname "$dir/old.pub"; do
	if "$lk" "$bad" 2>"$dir/err"; then
		fail "$bad read as a loader"
	elif [ $? = 2 ] && grep -q "^spine-loader-keys: $bad: " "$dir/err"; then
		pass "not a loader, one line: $(cat "$dir/err")"
	else
		fail "bad input: $(cat "$dir/err")"
	fi
done
exit $rc
