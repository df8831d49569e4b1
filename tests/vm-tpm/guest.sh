#!/bin/busybox sh
# The whole userland of the spine-tpm VM test (tests/vm-tpm/run.sh): busybox
# as /init runs this as /etc/init.d/rcS. Every line for the host starts
# "vmtpm: ".
bb=/bin/busybox
$bb mkdir -p /proc /sys /dev
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t securityfs securityfs /sys/kernel/security
echo "vmtpm: devices: $($bb ls /dev | $bb grep tpm | $bb tr '\n' ' ')"
t0=$($bb cut -d' ' -f1 /proc/uptime)
out=$(/bin/spine-tpm replay 2>&1)
echo "vmtpm: replay rc=$? $out"
/bin/spine-tpm read 11 | $bb sed 's/^/vmtpm: before /'
/bin/spine-tpm extend 11 spine:personas && echo "vmtpm: extended"
/bin/spine-tpm read 11 | $bb sed 's/^/vmtpm: after /'
t1=$($bb cut -d' ' -f1 /proc/uptime)
echo "vmtpm: seconds $t0 $t1"
/bin/spine-tpm extend 0 behind-the-logs-back
out=$(/bin/spine-tpm replay 2>&1)
echo "vmtpm: replay2 rc=$? $out"
echo "vmtpm: done"
$bb poweroff -f
