#!/bin/busybox sh
# The whole userland of the spine-tpm VM test (tests/vm-tpm/run.sh): busybox
# as /init runs this as /etc/init.d/rcS. Every line for the host starts
# "vmtpm: ".
#
# The sealing half (docs/measure.md, "Sealing a secret no persona can
# unseal") uses tpm2-tools, test-only: before the phase marker it seals the
# secret from the command line (vmtpm.secret=) to sha256 PCRs 7, 11, 12 at
# their current values, as a persistent object, unless the object is already
# there (the second boot, on the same swtpm); then it tries to unseal before
# and after "spine:personas", and after a persona's tries to undo it.
bb=/bin/busybox
tpm2=/bin/tpm2
h=0x81000011
$bb mkdir -p /proc /sys /dev /tmp
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t securityfs securityfs /sys/kernel/security
export TPM2TOOLS_TCTI=device:/dev/tpmrm0 TSS2_LOG=all+NONE
echo "vmtpm: devices: $($bb ls /dev | $bb grep tpm | $bb tr '\n' ' ')"

# One tpm2-tools step; on failure its last line of complaint, for the host.
step() {
	"$tpm2" "$@" >/dev/null 2>/tmp/step.err && return 0
	echo "vmtpm: seal step $1 failed: $($bb tail -n 1 /tmp/step.err)"
	return 1
}

# tag, then tpm2_unseal's arguments after -c HANDLE. The TPM's response
# code is kept, so that the host can tell a refused policy from a tool that
# failed for any other reason.
unseal() {
	tag=$1
	shift
	out=$("$tpm2" unseal -c $h "$@" 2>/tmp/unseal.err)
	rc=$?
	code=$($bb sed -n 's/.*Esys_Unseal(\(0x[0-9A-Fa-f]*\)).*/\1/p' /tmp/unseal.err | $bb head -n 1)
	echo "vmtpm: seal $tag rc=$rc tpm=${code:-none} out=$out"
}

seal=0
[ -x "$tpm2" ] && seal=1
if [ $seal = 1 ]; then
	s0=$($bb cut -d' ' -f1 /proc/uptime)
	secret=$($bb sed -n 's/.*vmtpm\.secret=\([^ ]*\).*/\1/p' /proc/cmdline)
	if "$tpm2" readpublic -c $h >/dev/null 2>&1; then
		echo "vmtpm: seal found $h"
	elif printf %s "$secret" >/tmp/secret &&
		step createprimary -C o -G ecc -c /tmp/prim.ctx &&
		step pcrread -o /tmp/pcr.bin sha256:7,11,12 &&
		step createpolicy --policy-pcr -l sha256:7,11,12 -f /tmp/pcr.bin -L /tmp/pcr.policy &&
		step create -C /tmp/prim.ctx -L /tmp/pcr.policy -a 'fixedtpm|fixedparent|noda' \
			-i /tmp/secret -u /tmp/seal.pub -r /tmp/seal.priv &&
		step load -C /tmp/prim.ctx -u /tmp/seal.pub -r /tmp/seal.priv -c /tmp/seal.ctx &&
		step evictcontrol -C o -c /tmp/seal.ctx $h; then
		echo "vmtpm: seal created $h"
	fi
	$bb rm -f /tmp/secret
	unseal before -p pcr:sha256:7,11,12
	# The object has no userwithauth: the empty password opens nothing.
	unseal password
	s1=$($bb cut -d' ' -f1 /proc/uptime)
	echo "vmtpm: seal seconds $s0 $s1"
else
	echo "vmtpm: seal skipped: no $tpm2 in the initrd"
fi

t0=$($bb cut -d' ' -f1 /proc/uptime)
out=$(/bin/spine-tpm replay 2>&1)
echo "vmtpm: replay rc=$? $out"
/bin/spine-tpm read 11 | $bb sed 's/^/vmtpm: before /'
/bin/spine-tpm extend 11 spine:personas && echo "vmtpm: extended"
/bin/spine-tpm read 11 | $bb sed 's/^/vmtpm: after /'
t1=$($bb cut -d' ' -f1 /proc/uptime)
echo "vmtpm: seconds $t0 $t1"

if [ $seal = 1 ]; then
	unseal after -p pcr:sha256:7,11,12
	# What a persona with the TPM device could try: reset PCR 11 (not
	# resettable from locality 0), or extend more, hoping to come back.
	"$tpm2" pcrreset 11 >/dev/null 2>&1
	echo "vmtpm: seal pcrreset rc=$?"
	n=0
	for s in spine:personas undo 0 spine:shutdown; do
		/bin/spine-tpm extend 11 "$s" && n=$((n + 1))
	done
	echo "vmtpm: seal extended $n more"
	unseal undo -p pcr:sha256:7,11,12
fi

/bin/spine-tpm extend 0 behind-the-logs-back
out=$(/bin/spine-tpm replay 2>&1)
echo "vmtpm: replay2 rc=$? $out"
echo "vmtpm: done"
$bb poweroff -f
