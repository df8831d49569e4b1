#!/bin/busybox sh
# The guest of make bench-verity (tests/bench/verity-bench.sh): busybox as
# /init runs this as /etc/init.d/rcS. The disk (vda, read-only) is an ext4
# holding the images and passports; it is mounted as bay0 mounts its
# inventory, then /bin/verity-bench runs with bay0's persona code. Every
# line for the host starts "vbench: " or "bench: ".
bb=/bin/busybox
$bb mkdir -p /proc /sys /dev /tmp /run /inv
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs dev /dev
$bb mount -t tmpfs tmp /tmp
$bb mount -t tmpfs -o mode=0755 run /run
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup
for m in $($bb cat /lib/modules/*/load.list); do
	$bb insmod "/lib/modules/$($bb uname -r)/$m" 2>/dev/null
done
# virtio_blk probes asynchronously: wait for the disk, not a fixed time.
for _ in $($bb seq 50); do [ -b /dev/vda ] && break; $bb sleep 0.2; done
rounds=$($bb sed -n 's/.*vbench\.rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
rc=1
if ! $bb mount -t ext4 -o ro,nodev,nosuid,noexec /dev/vda /inv; then
	echo "vbench: cannot mount the inventory disk /dev/vda"
else
	$bb mkdir -p -m 0700 /run/bay0/images
	echo "vbench: $($bb nproc) CPUs, $($bb sed -n 's/^MemTotal: *//p' /proc/meminfo) RAM"
	/bin/verity-bench --key /etc/persona.pub --inventory /inv --stage /run/bay0/images \
		--cgroup /sys/fs/cgroup --rounds "${rounds:-5}" \
		--verity-small vsmall.passport --verity-big vbig.passport \
		--whole-small wsmall.passport --whole-big wbig.passport \
		--read vread.passport --plain big.img --plain-entry /bin/verity-guest \
		--plain-file /data/blob
	rc=$?
fi
echo "vbench: done rc=$rc"
$bb poweroff -f
