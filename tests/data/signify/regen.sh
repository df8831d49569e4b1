#!/usr/bin/env bash
# Regenerates the signify fixtures the unit tests read. The secret keys live
# only in a temporary directory and are discarded: only public keys,
# messages and signatures are kept. Run from this folder; commit the result.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f key.pub key2.pub msg.txt* empty.txt* SHA512.esig
signify-openbsd -G -n -c "spine test key" -p key.pub -s "$tmp/key.sec"
signify-openbsd -G -n -c "spine other key" -p key2.pub -s "$tmp/key2.sec"
printf 'The quick brown fox jumps over the lazy dog.\n' >msg.txt
signify-openbsd -S -s "$tmp/key.sec" -m msg.txt -x msg.txt.sig
signify-openbsd -S -s "$tmp/key2.sec" -m msg.txt -x msg.txt.key2.sig
signify-openbsd -S -e -s "$tmp/key.sec" -m msg.txt -x msg.txt.esig
: >empty.txt
signify-openbsd -S -s "$tmp/key.sec" -m empty.txt -x empty.txt.sig
# A checksum list as GNU coreutils writes it (--tag), signed embedded (-e).
(sha512sum --tag msg.txt empty.txt) >"$tmp/SHA512"
signify-openbsd -S -e -s "$tmp/key.sec" -m "$tmp/SHA512" -x SHA512.esig
