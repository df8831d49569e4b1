#!/usr/bin/env bash
# Checks efi/mkkeys.sh: every given key lands in the table with its own key
# number and key bytes, in order (rotation needs two at once), and a file that
# is not exactly a signify Ed25519 public key stops the build.
# Usage: efi/check-mkkeys.sh SCRATCHDIR
set -u
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
rc=0
pass() { echo "PASS: mkkeys $*"; }
fail() { echo "FAIL: mkkeys $*"; rc=1; }

for k in old new; do
	signify-openbsd -G -n -c "test key $k" -p "$dir/$k.pub" -s "$dir/$k.sec" || exit 1
done
# What the table must hold for a key: its bytes after "Ed", as 0x.. lists.
expect() {
	local hex
	hex=$(sed -n 2p "$1" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	echo "{.keynum = {$(sed 's/../0x&,/g' <<<"${hex:4:16}")},"
	echo " .key = {$(sed 's/../0x&,/g' <<<"${hex:20:64}")}},"
}
if efi/mkkeys.sh "$dir/keys.h" "$dir/old.pub" "$dir/new.pub"; then
	body=$(grep -v '^\s*/\*' "$dir/keys.h" | sed 's/^\t//' | grep -E '^ ?\.|^\{')
	want=$( (expect "$dir/old.pub"; expect "$dir/new.pub") )
	if [ "$body" = "$want" ]; then pass "two keys, in order, byte for byte"; else
		fail "table differs from the keys"; fi
	if grep -q 'test key old' "$dir/keys.h" && grep -q 'test key new' "$dir/keys.h"; then
		pass "each key's comment names it"; else fail "comments missing"; fi
	if printf '#include <stdint.h>\n#include "sv.h"\n#include "%s"\n_Static_assert(sizeof(spine_trusted_keys) / sizeof(spine_trusted_keys[0]) == 2, "n");\n' \
		"$dir/keys.h" | ${CC:-gcc} -std=c11 -Wall -Werror -I"${SV_DIR:-verify}" -fsyntax-only -x c -; then
		pass "the table compiles with two entries"; else fail "the table does not compile"; fi
else
	fail "refused two good keys"
fi

refuses() {
	if efi/mkkeys.sh "$dir/bad.h" "$dir/bad.pub" 2>/dev/null; then fail "accepted $1"; else
		pass "refuses $1"; fi
	if [ -e "$dir/bad.h" ] || [ -e "$dir/bad.h.tmp" ]; then fail "left an output for $1"; fi
	rm -f "$dir/bad.h" "$dir/bad.h.tmp"
}
{ head -1 "$dir/old.pub"; printf 'RXg%s\n' "$(sed -n 2p "$dir/old.pub" | cut -c4-)"; } >"$dir/bad.pub"
refuses "another algorithm"
{ head -1 "$dir/old.pub"; sed -n 2p "$dir/old.pub" | cut -c1-40; } >"$dir/bad.pub"
refuses "a short key"
sed -n 2p "$dir/old.pub" >"$dir/bad.pub"
refuses "a missing comment line"
cat "$dir/old.pub" "$dir/new.pub" >"$dir/bad.pub"
refuses "two keys in one file"
: >"$dir/bad.pub"
refuses "an empty file"
if efi/mkkeys.sh "$dir/bad.h" 2>/dev/null; then fail "accepted no key at all"; else
	pass "refuses no key at all"; fi
exit $rc
