#!/usr/bin/env bash
# tests/host/spine-tpm.sh SPINE_TPM: build/measure/spine-tpm against a fresh
# swtpm listening on 127.0.0.1 only (tctildr "swtpm:"). The expected values
# come from coreutils' sha*sum, not from our code.
set -u
tool=$1
if ! command -v swtpm >/dev/null || ! command -v python3 >/dev/null; then
	echo "SKIP: spine-tpm against swtpm (no swtpm or python3)"
	exit 0
fi
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
swtpm socket --tpm2 --tpmstate "dir=$tmp" --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
	--ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" --flags not-need-init \
	--log "file=$tmp/swtpm.log" &
spid=$!
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$tmp"' EXIT
T="swtpm:host=127.0.0.1,port=$port"
for _ in $(seq 50); do "$tool" -T "$T" read 0 >/dev/null 2>&1 && break; sleep 0.1; done

# H(old || H(s)) with coreutils: the definition, written out.
ext() { # bank oldhex string
	local d
	d=$(printf %s "$3" | "$1sum" | cut -d' ' -f1)
	printf %s "$2$d" | xxd -r -p | "$1sum" | cut -d' ' -f1 | tr a-f A-F
}

"$tool" -T "$T" read 11 >"$tmp/before"
"$tool" -T "$T" extend 11 "spine:personas" >"$tmp/printed" && "$tool" -T "$T" read 11 >"$tmp/after"
# extend prints what the TPM holds afterwards (bay0 logs those lines).
if [ -s "$tmp/after" ] && cmp -s "$tmp/printed" "$tmp/after"; then
	echo "PASS: spine-tpm extend prints the PCR as the TPM then reads it ($(wc -l <"$tmp/after") banks)"
else
	echo "FAIL: spine-tpm extend printed [$(tr '\n' ';' <"$tmp/printed")], read gives [$(tr '\n' ';' <"$tmp/after")]"
fi
ok=1 banks=''
while read -r bank pcr old; do
	want=$(ext "$bank" "$old" "spine:personas")
	got=$(awk -v b="$bank" '$1 == b { print $3 }' "$tmp/after")
	[ "$got" = "$want" ] || { ok=0; echo "  $bank: got $got want $want"; }
	banks="$banks $bank"
done <"$tmp/before"
if [ $ok = 1 ] && [ -n "$banks" ]; then
	echo "PASS: spine-tpm extend 11 equals H(PCR || H(string)) in every bank swtpm allocates:$banks"
else
	echo "FAIL: spine-tpm extend 11 ($(cat "$tmp/before" | wc -l) banks)"
fi

# A log of what we extend into PCRs 0 and 4, one digest per active bank.
banks=$(awk '{ print $1 }' "$tmp/before" | tr '\n' ' ')
python3 - "$tmp/log.bin" $banks <<'PY'
import hashlib, struct, sys
ids = {"sha1": 4, "sha256": 11, "sha384": 12, "sha512": 13}
out, banks = sys.argv[1], sys.argv[2:]
spec = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, len(banks))
for b in banks:
    spec += struct.pack("<HH", ids[b], hashlib.new(b).digest_size)
spec += b"\0"
log = struct.pack("<II", 0, 3) + bytes(20) + struct.pack("<I", len(spec)) + spec
for pcr, s in ((0, b"crtm"), (4, b"boot")):
    log += struct.pack("<III", pcr, 1, len(banks))
    for b in banks:
        log += struct.pack("<H", ids[b]) + hashlib.new(b, s).digest()
    log += struct.pack("<I", len(s)) + s
open(out, "wb").write(log)
PY
"$tool" -T "$T" extend 0 crtm >/dev/null && "$tool" -T "$T" extend 4 boot >/dev/null
if out=$("$tool" -T "$T" replay "$tmp/log.bin") && [[ $out == *"matches the PCRs in"* ]]; then
	echo "PASS: spine-tpm replay: $out"
else
	echo "FAIL: spine-tpm replay of a log that matches: $out"
fi
"$tool" -T "$T" extend 4 behind-the-logs-back >/dev/null
out=$("$tool" -T "$T" replay "$tmp/log.bin")
rc=$?
if [ $rc = 3 ] && [[ $out == *"PCR 4 differs"* ]]; then
	echo "PASS: spine-tpm replay names a PCR extended behind the log's back: $out"
else
	echo "FAIL: spine-tpm replay after an extra extend of PCR 4: rc $rc, $out"
fi
if [ ! -e /dev/tpmrm0 ] && [ ! -e /dev/tpm0 ]; then
	"$tool" replay >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc = 4 ] && [ "$(cat "$tmp/err")" = "spine-tpm: no TPM (no /dev/tpmrm0 or /dev/tpm0)" ]; then
		echo "PASS: spine-tpm without a TPM device says so in one line, exit 4"
	else
		echo "FAIL: spine-tpm without a TPM device: rc $rc, $(head -c 300 "$tmp/err")"
	fi
else
	echo "SKIP: spine-tpm without a TPM device (this host has one)"
fi
if ! "$tool" -T "$T" extend 24 x 2>"$tmp/err" && grep -q "bad PCR '24'" "$tmp/err"; then
	echo "PASS: spine-tpm refuses PCR 24 in one line"
else
	echo "FAIL: spine-tpm extend 24: $(cat "$tmp/err")"
fi
