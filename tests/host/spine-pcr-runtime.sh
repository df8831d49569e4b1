#!/usr/bin/env bash
# spine-pcr's PCR 11 prediction (-p) and run-time log replay (-r), against
# docs/measure.md ("Predicting PCR 11") recomputed here with coreutils'
# sha1sum/sha256sum/sha384sum/sha512sum and xxd: PCR = H(PCR || H(STRING)) from
# zeros in every bank, for a slot folder and two passports made here with
# image/mkslot.sh and image/spine/mkpassport.sh. Then -r -P refuses a log
# whose digests are one hex digit off, a bad line and a missing passport.
# Usage: tests/host/spine-pcr-runtime.sh SPINE_PCR SECKEY PUBKEY DIR
set -u
tool=$1 sec=$2 pub=$3 dir=$4
rc=0
pass() { echo "PASS: spine-pcr-runtime $*"; }
fail() {
	echo "FAIL: spine-pcr-runtime $*"
	rc=1
}

for t in sha1sum sha256sum sha384sum sha512sum xxd signify-openbsd; do
	command -v $t >/dev/null || {
		echo "SKIP: spine-pcr-runtime: no $t"
		exit 0
	}
done

rm -rf "$dir"
mkdir -p "$dir/pp"
printf 'MZ not really a kernel\n' >"$dir/k"
printf 'initrd\n' >"$dir/i"
image/mkslot.sh -o "$dir/slot" -k "$dir/k" -i "$dir/i" -c "console=ttyS0" -v 7 \
	-s "$sec" -p "$pub" >/dev/null || {
	fail "building the slot folder"
	exit 1
}
# Two images and their passports (the images need not be erofs: only their
# bytes are hashed).
for n in alpha beta-2; do
	head -c 5000 /dev/zero | tr '\0' "${n:0:1}" >"$dir/$n.img"
	cat >"$dir/$n.pp" <<-EOF
		name $n
		image @IMAGE@
		entry /bin/sh -c true
		cores 1
		memory.max 16M
		pids.max 4
	EOF
	image/spine/mkpassport.sh -o "$dir/pp/$n.passport" -t "$dir/$n.pp" -i "$dir/$n.img" \
		-s "$sec" -p "$pub" || {
		fail "building passport $n"
		exit 1
	}
done

# ---- the arithmetic, independently -------------------------------------
upper() { tr 'a-f' 'A-F'; }
h() { # BANK FILE -> hex
	"${1}sum" "$2" | cut -d' ' -f1
}
hs() { # BANK STRING -> hex of H(STRING), no newline
	printf '%s' "$2" | "${1}sum" | cut -d' ' -f1
}
ext() { # BANK PCR(hex) DIGEST(hex) -> new PCR(hex)
	printf '%s%s' "$2" "$3" | xxd -r -p | "${1}sum" | cut -d' ' -f1
}
zeros() { # BANK -> the zero PCR of its size, in hex
	local n
	case $1 in sha1) n=40 ;; sha256) n=64 ;; sha384) n=96 ;; sha512) n=128 ;; esac
	printf "%0${n}d" 0
}
# The string bay0 extends for passport file $1 (docs/measure.md).
persona_string() {
	local name img
	name=$(sed -n 's/^name //p' "$1")
	img=$(sed -n 's/^image [^ ]* //p' "$1")
	printf 'spine:persona:%s:%s:%s' "$name" "$(h sha512 "$1")" "$img"
}
# Expected output lines for the strings in "$@", banks in $BANKS.
expect11() {
	local b s pcr
	declare -A p
	for b in $BANKS; do p[$b]=$(zeros "$b"); done
	for s in "$@"; do
		for b in $BANKS; do
			p[$b]=$(ext "$b" "${p[$b]}" "$(hs "$b" "$s")")
			echo "$b 11 $(upper <<<"${p[$b]}") $s"
		done
	done
}
pcr12() { # SLOTDIR LETTER VERSION -> upper-case hex
	local pcr
	pcr=$(zeros sha256)
	pcr=$(ext sha256 "$pcr" "$(hs sha256 "spine.slot=$2")")
	pcr=$(ext sha256 "$pcr" "$(h sha256 "$1/SHA512.sig")")
	pcr=$(ext sha256 "$pcr" "$(hs sha256 "spine.version=$3")")
	upper <<<"$pcr"
}

A=$dir/pp/alpha.passport B=$dir/pp/beta-2.passport
sa=$(persona_string "$A") sb=$(persona_string "$B")
# The image hash in the passport is the image file's (mkpassport.sh wrote it).
if [ "${sa##*:}" = "$(h sha512 "$dir/alpha.img")" ] && [ "${sb##*:}" = "$(h sha512 "$dir/beta-2.img")" ]; then
	pass "the passports pin their images' SHA-512"
else
	fail "passport image lines do not carry the images' SHA-512"
fi

# ---- -p ---------------------------------------------------------------
BANKS="sha1 sha256 sha384 sha512"
want=$(
	echo "sha256 12 $(pcr12 "$dir/slot" b 7)"
	expect11 spine:personas "$sa" "$sb" spine:shutdown
)
got=$("$tool" -p "$dir/slot" b "$A" "$B")
st=$?
if [ $st = 0 ] && [ -n "$got" ] && [ "$got" = "$want" ] && [ "$(wc -l <<<"$got")" = 17 ]; then
	pass "-p: PCR 12 and 16 PCR 11 lines (4 phases x 4 banks) equal coreutils' values"
else
	fail "-p (exit $st) differs:"
	diff <(echo "$want") <(echo "$got") | head -6
fi
if [ "$(sed -n 1p <<<"$got")" = "sha256 12 $("$tool" "$dir/slot" b | upper)" ]; then
	pass "-p's PCR 12 line is the plain mode's value"
else
	fail "-p's PCR 12 line is not the plain mode's value"
fi
# Order matters: B then A is another PCR 11.
swapped=$("$tool" -p "$dir/slot" b "$B" "$A" | tail -1)
if [ "$swapped" != "$(tail -1 <<<"$got")" ]; then pass "-p: the passport order changes PCR 11"; else
	fail "-p: passport order does not change the final PCR 11"; fi
BANKS="sha256 sha1"
got=$("$tool" -p -b sha256,sha1 "$dir/slot" a "$A")
want=$(
	echo "sha256 12 $(pcr12 "$dir/slot" a 7)"
	expect11 spine:personas "$sa" spine:shutdown
)
if [ "$got" = "$want" ]; then pass "-p -b sha256,sha1: those two banks, in that order"; else
	fail "-p -b sha256,sha1 differs"; fi
BANKS="sha1 sha256 sha384 sha512"

# ---- -r ---------------------------------------------------------------
# A boot: personas, alpha, beta-2, alpha relaunched, shutdown.
log=$dir/measure.log
printf '11 %s\n' spine:personas "$sa" "$sb" "$sa" spine:shutdown >"$log"
want=$(expect11 spine:personas "$sa" "$sb" "$sa" spine:shutdown)
got=$("$tool" -r "$log")
st=$?
if [ $st = 0 ] && [ "$got" = "$want" ] && [ "$(wc -l <<<"$got")" = 20 ]; then
	pass "-r: the 5-event log replays to coreutils' values in 4 banks"
else
	fail "-r (exit $st) differs"
	diff <(echo "$want") <(echo "$got") | head -6
fi
# -p over the same passports says the same.
p=$("$tool" -p "$dir/slot" a "$A" "$B" "$A" | tail -n +2)
if [ "$p" = "$got" ]; then pass "-p and -r agree on the same sequence"; else fail "-p and -r disagree"; fi
got=$("$tool" -r "$log" -P "$dir/pp")
st=$?
if [ $st = 0 ] && [ "$got" = "$want" ]; then pass "-r -P: every persona line matches its passport"; else
	fail "-r -P refuses (exit $st) or differs on a good log"; fi
# A log cut short (no spine:shutdown yet) is a running Spine: fine.
head -2 "$log" >"$dir/short.log"
if [ "$("$tool" -r "$dir/short.log" -P "$dir/pp")" = "$(head -8 <<<"$want")" ]; then
	pass "-r: a log of a running Spine (no shutdown yet) replays to its prefix"
else
	fail "-r: the two-line log does not replay to the prefix"
fi

# refuses CASE LOG DIR PATTERN: exit 1, nothing on stdout, one stderr line
# matching PATTERN.
refuses() {
	local out errf st
	errf=$dir/err
	if [ -n "$3" ]; then
		out=$("$tool" -r "$2" -P "$3" 2>"$errf")
	else
		out=$("$tool" -r "$2" 2>"$errf")
	fi
	st=$?
	if [ $st = 1 ] && [ -z "$out" ] && [ "$(wc -l <"$errf")" = 1 ] && grep -qE "$4" "$errf"; then
		pass "-r refuses $1: $(cat "$errf")"
	else
		fail "-r on $1: exit $st, stdout [${out:0:60}], stderr [$(cat "$errf")]"
	fi
}
flip() { # STRING -> the same with its last hex digit changed
	local s=$1 c=${1: -1}
	[ "$c" = 0 ] && c=1 || c=0
	printf '%s%s' "${s:0:${#s}-1}" "$c"
}
# One hex digit off in the image SHA-512 (last digit of the string).
printf '11 %s\n' spine:personas "$sa" "$(flip "$sb")" spine:shutdown >"$dir/img-off.log"
refuses "an image SHA-512 one digit off" "$dir/img-off.log" "$dir/pp" \
	"^spine-pcr: $dir/img-off.log:3: image SHA-512 is not the one .*beta-2.passport pins$"
# One hex digit off in the passport SHA-512 (its last digit, before ':').
pa=${sa%:*} ia=${sa##*:}
printf '11 %s\n' spine:personas "$(flip "$pa"):$ia" >"$dir/pp-off.log"
refuses "a passport SHA-512 one digit off" "$dir/pp-off.log" "$dir/pp" \
	"^spine-pcr: $dir/pp-off.log:2: passport SHA-512 is not that of .*alpha.passport$"
# Without -P the same log is well-formed: it replays.
if "$tool" -r "$dir/pp-off.log" >/dev/null 2>&1; then pass "-r without -P replays a well-formed log it cannot check"; else
	fail "-r without -P refuses a well-formed log"; fi
# A persona whose passport is not in DIR.
printf '11 %s\n' spine:personas "spine:persona:gamma:${sa#spine:persona:alpha:}" >"$dir/missing.log"
refuses "a persona with no passport in DIR" "$dir/missing.log" "$dir/pp" \
	"^spine-pcr: $dir/missing.log:2: .*gamma.passport: No such file or directory$"
# Bad lines, each once; with and without -P.
printf '11 spine:personas\n12 spine:shutdown\n' >"$dir/bad1.log"
refuses "a line for PCR 12" "$dir/bad1.log" "" "^spine-pcr: $dir/bad1.log:2: does not start with \"11 \"$"
pa=${sa%:*} ia=${sa##*:}
printf '11 %s\n' spine:personas "spine:persona:alpha:$(upper <<<"${pa##*:}"):$ia" >"$dir/bad2.log"
refuses "upper-case hex" "$dir/bad2.log" "$dir/pp" "^spine-pcr: $dir/bad2.log:2: passport SHA-512: upper-case hex digit$"
printf '11 %s\n11 %s \n' spine:personas "$sa" >"$dir/bad3.log"
refuses "a trailing space" "$dir/bad3.log" "" \
	"^spine-pcr: $dir/bad3.log:2: persona: 1 bytes after the image SHA-512$"
printf '11 spine:personas\n11 spine:shutdown\n11 %s\n' "$sa" >"$dir/bad4.log"
refuses "an event after spine:shutdown" "$dir/bad4.log" "$dir/pp" \
	"^spine-pcr: $dir/bad4.log:3: an event after spine:shutdown$"
printf '11 %s' spine:personas >"$dir/bad5.log"
refuses "a log without its final newline" "$dir/bad5.log" "" \
	"^spine-pcr: $dir/bad5.log:1: no newline at the end of the log$"
refuses "a log that does not exist" "$dir/none.log" "" "^spine-pcr: $dir/none.log: No such file or directory$"

# -p with a passport the parser refuses: one line naming it.
sed 's/^pids.max 4$/pids.max 0/' "$A" >"$dir/bad.passport"
if out=$("$tool" -p "$dir/slot" a "$dir/bad.passport" 2>"$dir/err"); then
	fail "-p accepted a passport whose body bay0 would refuse"
elif [ -z "$out" ] && [ "$(wc -l <"$dir/err")" = 1 ] && grep -q "^spine-pcr: $dir/bad.passport: line " "$dir/err"; then
	pass "-p refuses a passport bay0 would refuse: $(cat "$dir/err")"
else
	fail "-p on a bad passport: stdout [${out:0:40}], stderr [$(cat "$dir/err")]"
fi
exit $rc
