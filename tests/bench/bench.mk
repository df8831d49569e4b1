# make bench-verity: persona start time, memory and read throughput, dm-verity
# against the whole-file SHA-512 form, in a QEMU/OVMF VM (the build host has
# no device-mapper). docs/passport.md, "What verity costs".

VB := $(B)/bench-verity
VB_INV := $(VB)/inv
# The bench, static and linked with bay0's persona code as bay0 is.
VB_BENCH := $(B)/tests/bench/verity-bench
$(VB_BENCH): tests/bench/verity-bench.c tests/bench/benchstat.h $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Ibay0 -Iverify $< $(PERSONA_HOST_OBJS) $(LIBSV_HOST) $(PERSONA_LIBS) \
		$(BAY0_LDFLAGS) -o $@
# The personas' entry and the plain reader, static: the image holds no library.
VB_GUEST := $(B)/tests/bench/verity-guest
$(VB_GUEST): tests/bench/verity-guest.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -static $< -o $@

# Random blobs, made once (1 GiB takes a while; nothing here depends on their
# bytes). The big one leaves the erofs plus its hash tree within the 1 GiB
# whole-file limit (IMAGE_MAX in bay0/persona.c), so that one file carries
# both forms; the small image is about 16 MiB.
$(VB)/blob-big:
	@mkdir -p $(@D)
	head -c 1008M /dev/urandom >$@.tmp && mv $@.tmp $@
$(VB)/blob-small:
	@mkdir -p $(@D)
	head -c 13M /dev/urandom >$@.tmp && mv $@.tmp $@
$(VB_INV)/%.img: $(VB)/blob-% $(VB_GUEST) image/spine/mkpersona.sh | deps
	@mkdir -p $(@D)
	image/spine/mkpersona.sh -V -o $@ -f $(VB)/blob-$*:/data/blob -f $(VB_GUEST):/bin/verity-guest
	@s=$$(stat -c %s $@); [ $$s -le 1073741824 ] || { echo "$@: $$s bytes, over 1 GiB"; rm -f $@; exit 1; }

# Passports: v* the verity form, w* the whole-file SHA-512 form of the same
# file; vread's entry reads the big blob.
VB_PP = printf 'name %s\n%s @IMAGE@\nentry /bin/verity-guest %s\ncores 1\nmemory.max %s\npids.max 4\n'
$(VB_INV)/v%.passport: $(VB_INV)/%.img $(PASSPORT_DEPS)
	$(VB_PP) v$* verity hold 64M >$(VB)/v$*.pp
	image/spine/mkpassport.sh -o $@ -t $(VB)/v$*.pp -i $< -s $(PERSONA_SEC) -p $(PERSONA_PUB)
$(VB_INV)/w%.passport: $(VB_INV)/%.img $(PASSPORT_DEPS)
	$(VB_PP) w$* image hold 64M >$(VB)/w$*.pp
	image/spine/mkpassport.sh -o $@ -t $(VB)/w$*.pp -i $< -s $(PERSONA_SEC) -p $(PERSONA_PUB)
# The reader's page cache is charged to its cgroup: room for all of it, as
# the plain reader (in the root cgroup) has.
$(VB_INV)/vread.passport: $(VB_INV)/big.img $(PASSPORT_DEPS)
	$(VB_PP) vread verity 'read /data/blob' 2G >$(VB)/vread.pp
	image/spine/mkpassport.sh -o $@ -t $(VB)/vread.pp -i $< -s $(PERSONA_SEC) -p $(PERSONA_PUB)

VB_FILES := $(VB_INV)/small.img $(VB_INV)/big.img $(VB_INV)/vsmall.passport \
	$(VB_INV)/vbig.passport $(VB_INV)/wsmall.passport $(VB_INV)/wbig.passport \
	$(VB_INV)/vread.passport
# The inventory disk: ext4 made from the folder (no mount needed), attached
# read-only.
$(VB)/disk.img: $(VB_FILES)
	rm -f $@.tmp
	mke2fs -q -t ext4 -O ^has_journal -E root_owner=0:0 -d $(VB_INV) $@.tmp \
		$$(( $$(du -sm $(VB_INV) | cut -f1) + 64 ))M
	mv $@.tmp $@
$(VB)/initrd.img: $(VB_BENCH) tests/bench/verity-rcS.sh $(PERSONA_PUB) $(KERNEL_STAMP) image/mkinitrd.sh
	image/mkinitrd.sh -o $@ -i /bin/busybox -k $(KERNEL_DIR) -m virtio_pci -m virtio_blk \
		-m crc32c_generic -m loop -m dm-mod -m dm-verity -m erofs -m ext4 \
		-f tests/bench/verity-rcS.sh:/etc/init.d/rcS -f /bin/busybox:/bin/busybox \
		-f $(VB_BENCH):/bin/verity-bench -f $(PERSONA_PUB):/etc/persona.pub

.PHONY: bench-verity
BENCHES += bench-verity
bench-verity: $(VB)/disk.img $(VB)/initrd.img $(KERNEL_STAMP) tests/bench/verity-bench.sh | deps
	@tests/bench/verity-bench.sh $(B)

DEPS_PKGS += cryptsetup-bin erofs-utils e2fsprogs busybox-static qemu-system-x86 ovmf util-linux
