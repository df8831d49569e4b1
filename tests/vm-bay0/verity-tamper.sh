#!/usr/bin/env bash
# Makes the tampered verity inputs of the test Spine (tests/vm-bay0/
# verity-checks.sh), each checked to be tampered the way it says:
#
#   verity-tamper.sh data IMAGE       flip one byte of /test/blob's data
#   verity-tamper.sh tree IMAGE       flip the first byte of the hash tree
#   verity-tamper.sh short IMAGE      cut the last 4096-byte block off
#   verity-tamper.sh long IMAGE       append one 4096-byte block of zeros
#   verity-tamper.sh root|salt PASSPORT SECKEY
#                                     change the root hash (or salt) in the
#                                     body and sign it again: a valid
#                                     signature over wrong values
#
# IMAGE.verity (mkpersona.sh -V) gives the pinned values; data and tree must
# leave an image that veritysetup verify refuses.
set -euo pipefail
die() {
	echo "verity-tamper: $*" >&2
	exit 1
}
mode=$1 f=$2
flip() { # FILE OFFSET
	local b
	b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte to write
	printf "\\x$(printf %02x $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
val() { sed -nE "s/^$1 ([0-9a-f]+)\$/\\1/p" "$f.verity"; }
refused_by_veritysetup() {
	! veritysetup verify --no-superblock --format=1 --hash=sha256 --data-block-size=4096 \
		--hash-block-size=4096 --data-blocks="$(val data-blocks)" --hash-offset="$(val hash-offset)" \
		--salt="$(val salt)" "$f" "$f" "$(val root)" >/dev/null 2>&1 || die "$f: veritysetup still verifies it"
}
case $mode in
data)
	# The line "20000" of the blob (seq 1 40000): inside the erofs, in a
	# file, away from the superblock, so the mount works and the read fails.
	off=$(grep -abo -m1 '^20000$' "$f" | cut -d: -f1)
	if [ -z "$off" ] || [ "$off" -le 4096 ] || [ "$off" -ge "$(val hash-offset)" ]; then
		die "$f: blob not found in the data"
	fi
	flip "$f" "$off"
	refused_by_veritysetup
	echo "tampered $f: data byte $off flipped"
	;;
tree)
	off=$(val hash-offset)
	flip "$f" "$off"
	refused_by_veritysetup
	echo "tampered $f: hash tree byte $off flipped"
	;;
short)
	truncate -s -4096 "$f"
	echo "tampered $f: one block short ($(stat -c %s "$f") bytes, pinned $(val size))"
	;;
long)
	head -c 4096 /dev/zero >>"$f"
	echo "tampered $f: one block long ($(stat -c %s "$f") bytes, pinned $(val size))"
	;;
root | salt)
	sec=$3
	body=$(mktemp)
	trap 'rm -f "$body"' EXIT
	tail -n +3 "$f" >"$body"
	# The last word (root) or the one before it (salt): its first hex digit
	# changed, so it stays well-formed and only its value is wrong.
	if [ "$mode" = root ]; then
		sed -i -E 's/^(verity( [^ ]+){8} )([0-9a-f])/\1X\3/' "$body"
	else
		sed -i -E 's/^(verity( [^ ]+){7} )([0-9a-f])/\1X\3/' "$body"
	fi
	sed -i -E 's/X0/1/; t; s/X([1-9a-f])/0/' "$body"
	cmp -s <(tail -n +3 "$f") "$body" && die "$f: $mode unchanged"
	rm -f "$f.tmp"
	signify-openbsd -S -e -s "$sec" -m "$body" -x "$f.tmp"
	mv -f "$f.tmp" "$f"
	echo "tampered $f: $mode changed, signed again"
	;;
*) die "unknown mode $mode" ;;
esac
