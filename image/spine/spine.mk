# image/spine/: the bay0 Spine (initramfs, default personas, slots, ESP) and
# its VM tests. How it fits together: docs/spine.md.
#
#   build/spine/default/   the default Spine: web, work, vault, py (make boot),
#                          all four on its inventory disk, inventory.img
#   build/spine/test/inventory.img  the test Spine's inventory disk: the
#                          verity personas and py
#   build/spine/test/      the test Spine: test personas, two tampered ones
#   build/spine/starve/    the watchdog Spine: a test bay0 that stops feeding
#   build/slots/spine-{a,b}/, build/esp/spine.img        default, both slots
#   build/slots/spine-test-{a,b}/, build/esp/spine-test.img
#   build/slots/spine-starve-a/, build/esp/spine-starve.img
#   build/spine/persist.img  a fresh /persist disk (GPT "persist", ext4)
#   build/spine/deb/       py: a verity persona of Debian's python3-minimal,
#                          in both the default and the test Spine
#   build/debcache/        the .debs it is built from (a second build is offline)

DEPS_PKGS += busybox-static erofs-utils cryptsetup-bin fdisk e2fsprogs qemu-system-x86 ovmf python3
# mkdebpersona.sh: apt-cache, apt-get download, dpkg-deb.
DEPS_PKGS += apt dpkg

SP := $(B)/spine
# bay0's release and test builds (bay0/bay0.mk sets BAY0, BAY0_TEST). The
# test build is the only one that accepts spine.conf's test-starve-watchdog.
# SPINE_BAY0*=path puts another bay0 binary into the Spines.
SPINE_BAY0      ?= $(BAY0)
SPINE_BAY0_TEST ?= $(BAY0_TEST)

# The VM's CPUs (ovmf/run.sh gets -smp from tests/vm-bay0/run.sh and from
# boot-spine). Core 0 is bay0's; personas get what exists of their cores:
# web 2-3, work 4-7 (or the last core when the VM has fewer), vault 1.
SPINE_VM_CPUS ?= 4
spine_last   = $(shell echo $$(($(SPINE_VM_CPUS) - 1)))
WORK_CORES  ?= $(if $(filter-out 1 2 3 4,$(SPINE_VM_CPUS)),4-$(shell echo $$(( $(spine_last) < 7 ? $(spine_last) : 7 ))),$(spine_last))
SPIN_CORES  ?= 2-$(spine_last)
SPINE_CMDLINE ?= console=ttyS0 quiet panic=-1 slab_nomerge pti=on

# Every Spine carries spine-tpm (measure/measure.mk, docs/measure.md).
SPINE_TOOLS := image/spine/mkspine.sh image/mkinitrd.sh $(KERNEL_STAMP) $(SPINE_TPM)
# Passports are signed with the persona key, never the slot key (keys/keys.mk).
PASSPORT_DEPS := image/spine/mkpassport.sh $(PERSONA_SEC) $(PERSONA_PUB)

# --- the programs that run inside test personas (static: the persona
# images hold no libraries)
PVM_PROGS := forkbomb memhog spinner xpeer fsprobe umbpeer spineoffer
PVM_BINS  := $(PVM_PROGS:%=$(B)/persona-vm/%)
$(B)/persona-vm/%: tests/persona-vm/%.c tests/persona-vm/pvm.h | deps
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -g -static -o $@ $<

# The persona engineer's escape checklist probe (tests/persona/, built by
# bay0/persona.mk): static, prints "escape: <item>: ok|FAIL|skip <detail>".
ESCAPE_PROBE ?= $(B)/tests/persona/persona-probe

# --- personas from Debian packages (image/spine/mkdebpersona.sh; docs/passport.md,
# "Personas from Debian packages"). py: python3-minimal and its closure
# (dpkg left out: only maintainer scripts use it), serving and querying its
# own loopback. One image and passport, copied into each Spine's folder.
DEB_CACHE ?= $(B)/debcache
PY_PKGS   ?= python3-minimal
$(SP)/deb/py.erofs $(SP)/deb/py.passport &: image/spine/personas/py.pp image/spine/personas/py.py image/spine/mkdebpersona.sh \
		image/spine/mkpersona.sh $(PASSPORT_DEPS) | deps
	image/spine/mkdebpersona.sh -o $(SP)/deb/py.erofs -c $(DEB_CACHE) -t $< -P $(SP)/deb/py.passport \
		-e '/usr/bin/python3 -I /etc/persona/py.py' -f image/spine/personas/py.py:/etc/persona/py.py \
		-x dpkg -s $(PERSONA_SEC) -p $(PERSONA_PUB) $(PY_PKGS)
$(SP)/default/py.erofs $(SP)/test/py.erofs: $(SP)/deb/py.erofs
	@mkdir -p $(@D)
	cp $< $@
$(SP)/default/py.passport $(SP)/test/py.passport: $(SP)/deb/py.passport
	@mkdir -p $(@D)
	cp $< $@
DEB_INV = $(1)/py.erofs $(1)/py.passport
# tests/host/debpersona.sh: the builder offline from a copy of that cache
# (libc6's closure), reproducible, a changed cached .deb refused.
CHECKS += check-host-debpersona
.PHONY: check-host-debpersona
check-host-debpersona: $(SP)/deb/py.passport
	tests/host/debpersona.sh $(DEB_CACHE)

# --- the default Spine
$(SP)/default/persona.erofs: image/spine/mkpersona.sh $(wildcard image/spine/personas/*.sh) | deps
	image/spine/mkpersona.sh -o $@ $(foreach s,web work vault,-f image/spine/personas/$(s).sh:/etc/persona/$(s).sh)

$(SP)/default/%.passport: image/spine/personas/%.pp $(SP)/default/persona.erofs $(PASSPORT_DEPS)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/default/persona.erofs \
		-D WORK_CORES=$(WORK_CORES) -s $(PERSONA_SEC) -p $(PERSONA_PUB)

$(SP)/default/spine.conf: image/spine/conf/modules.conf image/spine/conf/default.conf
	@mkdir -p $(@D)
	cat $^ >$@

# An inventory disk (docs/bay0.md, "The inventory partition"): a GPT disk
# whose one partition, named "inventory", holds these files in an ext4, root
# owned, 0444. $(call inventory_disk,OUT,FILES)
define inventory_disk
$(1): $(2) image/spine/mkpersist.sh | deps
	rm -rf $(1).d && mkdir -p $(1).d && cp $(2) $(1).d/ && chmod 0444 $(1).d/*
	image/spine/mkpersist.sh -o $(1) -n inventory -d $(1).d \
		-s $$$$(( $$$$(du -sm --apparent-size $(1).d | cut -f1) * 9 / 8 + 24 ))
	rm -rf $(1).d
endef

# The default Spine carries no persona: all four are on its inventory disk.
SPINE_DEFAULT_INV := $(SP)/default/persona.erofs $(SP)/default/vault.passport \
	$(SP)/default/web.passport $(SP)/default/work.passport $(call DEB_INV,$(SP)/default)
$(eval $(call inventory_disk,$(SP)/default/inventory.img,$(SPINE_DEFAULT_INV)))
# spinectl (spinectl/spinectl.mk, included later: hence its path here) is
# what bay0 runs for a Spine update over the Umbilical.
$(SP)/default/initrd.img: $(SPINE_BAY0) $(SP)/default/spine.conf $(SPINE_TOOLS) $(B)/spinectl
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0) -c $(SP)/default/spine.conf -k $(KERNEL_DIR) \
		-s $(B)/spinectl

# --- the test Spine: one image for every test persona; badimg's image is a
# copy whose passport was signed over it before one byte was flipped, and
# badsig's passport has one byte of its body changed after signing.
$(SP)/test/pvm.erofs: image/spine/mkpersona.sh $(PVM_BINS) $(ESCAPE_PROBE) tests/vm-bay0/netown.sh \
		tests/vm-bay0/wifiown.sh | deps
	image/spine/mkpersona.sh -o $@ -f $(ESCAPE_PROBE):/test/persona-probe \
		-f tests/vm-bay0/netown.sh:/test/netown.sh -f tests/vm-bay0/wifiown.sh:/test/wifiown.sh \
		-S $(ESCAPE_PROBE):/bin/persona-probe-suid \
		$(foreach p,$(PVM_BINS),-f $(p):/test/$(notdir $(p)))

TEST_PERSONAS := escape probe execok brief bomb hog spin xa xb badsig
# docs/network.md: the owners of the VM's NIC and of a mac80211_hwsim radio,
# and two refused askers.
TEST_PERSONAS += netown netthief netghost wifiown
# docs/umbilical.md: a source that offers files, a receiver that pulls them.
TEST_PERSONAS += usrc urcv
# ... and a source of links, a FIFO and an oversized file, and its asker.
TEST_PERSONAS += uodd upick
# ... and a receiver whose inbox is a symbolic link it planted (checklist 3).
TEST_PERSONAS += uplant
$(SP)/test/%.passport: tests/vm-bay0/personas/%.pp $(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm.erofs \
		-D SPIN_CORES=$(SPIN_CORES) -s $(PERSONA_SEC) -p $(PERSONA_PUB)
	@if [ $* = badsig ]; then \
		sed -i 's/^pids.max 8$$/pids.max 9/' $@ && grep -q '^pids.max 9$$' $@ && \
		! signify-openbsd -V -e -q -p $(PERSONA_PUB) -x $@ -m /dev/null 2>/dev/null && \
		echo "tampered $@ (pids.max 8 -> 9 after signing)"; fi

$(SP)/test/badimg.passport: tests/vm-bay0/personas/badimg.pp $(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	cp $(SP)/test/pvm.erofs $(SP)/test/pvm-bad.erofs
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm-bad.erofs \
		-s $(PERSONA_SEC) -p $(PERSONA_PUB)
	printf '\xff' | dd of=$(SP)/test/pvm-bad.erofs bs=1 seek=4096 conv=notrunc status=none
	! cmp -s $(SP)/test/pvm.erofs $(SP)/test/pvm-bad.erofs
	@echo "tampered $(SP)/test/pvm-bad.erofs (byte 4096 after signing its passport)"
$(SP)/test/pvm-bad.erofs: $(SP)/test/badimg.passport

# --- the verity personas of the test Spine (docs/passport.md, "Verity
# images"; graded by tests/vm-bay0/verity-checks.sh): vgood's image, and
# copies signed as made, then tampered (tests/vm-bay0/verity-tamper.sh):
# vdata (a data byte), vtree (a hash-tree byte), vshort and vlong (one
# block off the pinned size); vroot and vsalt are vgood's image under a
# re-signed passport with a wrong root hash or salt.
VERITY_TAMPER := tests/vm-bay0/verity-tamper.sh
$(SP)/test/vblob:
	@mkdir -p $(@D)
	seq 1 40000 >$@
$(SP)/test/vgood.erofs: image/spine/mkpersona.sh tests/vm-bay0/verity.sh $(SP)/test/vblob | deps
	image/spine/mkpersona.sh -V -o $@ -f tests/vm-bay0/verity.sh:/test/verity.sh \
		-f $(SP)/test/vblob:/test/blob
$(SP)/test/vgood.passport $(SP)/test/vroot.passport $(SP)/test/vsalt.passport: \
		$(SP)/test/%.passport: tests/vm-bay0/personas/%.pp $(SP)/test/vgood.erofs $(PASSPORT_DEPS) $(VERITY_TAMPER)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/vgood.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
	@case $* in vroot) $(VERITY_TAMPER) root $@ $(PERSONA_SEC) ;; vsalt) $(VERITY_TAMPER) salt $@ $(PERSONA_SEC) ;; esac
VERITY_BAD := vdata vtree vshort vlong
$(VERITY_BAD:%=$(SP)/test/%.passport): $(SP)/test/%.passport: tests/vm-bay0/personas/%.pp \
		$(SP)/test/vgood.erofs $(PASSPORT_DEPS) $(VERITY_TAMPER)
	cp $(SP)/test/vgood.erofs $(SP)/test/$*.erofs
	cp $(SP)/test/vgood.erofs.verity $(SP)/test/$*.erofs.verity
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/$*.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
	$(VERITY_TAMPER) $(patsubst v%,%,$*) $(SP)/test/$*.erofs
$(VERITY_BAD:%=$(SP)/test/%.erofs): $(SP)/test/%.erofs: $(SP)/test/%.passport
VERITY_PERSONAS := vgood vdata vtree vshort vlong vroot vsalt

$(SP)/test/spine.conf: image/spine/conf/modules.conf tests/vm-bay0/test.conf
	@mkdir -p $(@D)
	cat $^ >$@
$(SP)/starve/spine.conf: image/spine/conf/modules.conf tests/vm-bay0/starve.conf
	@mkdir -p $(@D)
	cat $^ >$@
$(SP)/crash/spine.conf: image/spine/conf/modules.conf tests/vm-bay0/crash.conf
	@mkdir -p $(@D)
	cat $^ >$@

# In the test Spine's initramfs: the test personas. On its inventory disk
# (adversary B's: docs/containment.md): the verity personas, py, and vren,
# vgood's valid passport under another file name, which must start nobody.
SPINE_TEST_INV := $(SP)/test/pvm.erofs $(SP)/test/pvm-bad.erofs \
	$(TEST_PERSONAS:%=$(SP)/test/%.passport) $(SP)/test/badimg.passport
SPINE_TEST_DISK_INV := $(SP)/test/vgood.erofs $(VERITY_BAD:%=$(SP)/test/%.erofs) \
	$(VERITY_PERSONAS:%=$(SP)/test/%.passport) $(SP)/test/vren.passport $(call DEB_INV,$(SP)/test)
$(SP)/test/vren.passport: $(SP)/test/vgood.passport
	cp $< $@
$(eval $(call inventory_disk,$(SP)/test/inventory.img,$(SPINE_TEST_DISK_INV)))
$(SP)/test/initrd.img: $(SPINE_BAY0_TEST) $(SP)/test/spine.conf $(SPINE_TEST_INV) $(SPINE_TOOLS)
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0_TEST) -c $(SP)/test/spine.conf -k $(KERNEL_DIR) \
		$(SPINE_TEST_INV:%=-I %)
# The crash Spine: a release bay0 whose one persona exits at once.
$(SP)/crash/initrd.img: $(SPINE_BAY0) $(SP)/crash/spine.conf $(SP)/test/pvm.erofs \
		$(SP)/test/crash.passport $(SPINE_TOOLS)
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0) -c $(SP)/crash/spine.conf -k $(KERNEL_DIR) \
		-I $(SP)/test/pvm.erofs -I $(SP)/test/crash.passport
$(SP)/starve/initrd.img: $(SPINE_BAY0_TEST) $(SP)/starve/spine.conf $(SP)/test/pvm.erofs \
		$(SP)/test/xa.passport $(SPINE_TOOLS)
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0_TEST) -c $(SP)/starve/spine.conf -k $(KERNEL_DIR) \
		-I $(SP)/test/pvm.erofs -I $(SP)/test/xa.passport

# --- slots and ESPs (image/mkslot.sh, image/mkesp.sh)
SPINE_SLOT_DEPS := $(KERNEL_STAMP) image/mkslot.sh $(SLOT_SEC) $(SLOT_PUB)
define spine_slot
$(B)/slots/$(1)/SHA512.sig: $(2) $(SPINE_SLOT_DEPS)
	image/mkslot.sh -o $$(@D) -k $(KERNEL) -i $(2) -c "$(SPINE_CMDLINE)" -v 1 \
		-s $(SLOT_SEC) -p $(SLOT_PUB)
endef
$(eval $(call spine_slot,spine-a,$(SP)/default/initrd.img))
$(eval $(call spine_slot,spine-b,$(SP)/default/initrd.img))
$(eval $(call spine_slot,spine-test-a,$(SP)/test/initrd.img))
$(eval $(call spine_slot,spine-test-b,$(SP)/test/initrd.img))
$(eval $(call spine_slot,spine-starve-a,$(SP)/starve/initrd.img))
$(eval $(call spine_slot,spine-crash-a,$(SP)/crash/initrd.img))

$(B)/esp/spine.img: $(SPINEBOOT_EFI) $(B)/slots/spine-a/SHA512.sig $(B)/slots/spine-b/SHA512.sig image/mkesp.sh
	image/mkesp.sh -o $@ -l $(SPINEBOOT_EFI) -a $(B)/slots/spine-a -b $(B)/slots/spine-b
$(B)/esp/spine-test.img: $(SPINEBOOT_EFI) $(B)/slots/spine-test-a/SHA512.sig \
		$(B)/slots/spine-test-b/SHA512.sig image/mkesp.sh
	image/mkesp.sh -o $@ -l $(SPINEBOOT_EFI) -a $(B)/slots/spine-test-a -b $(B)/slots/spine-test-b
# Slot A only: after the watchdog reset the loader would boot it again (or
# B); the test stops at the first reset either way.
$(B)/esp/spine-starve.img: $(SPINEBOOT_EFI) $(B)/slots/spine-starve-a/SHA512.sig image/mkesp.sh
	image/mkesp.sh -o $@ -l $(SPINEBOOT_EFI) -a $(B)/slots/spine-starve-a

# The crash ESP: A never gets healthy; B is the loader-test slot that marks
# itself good and powers off (image/image.mk), which ends the run.
$(B)/esp/spine-crash.img: $(SPINEBOOT_EFI) $(B)/slots/spine-crash-a/SHA512.sig \
		$(B)/slots/default-b/SHA512.sig image/mkesp.sh
	image/mkesp.sh -o $@ -l $(SPINEBOOT_EFI) -a $(B)/slots/spine-crash-a -b $(B)/slots/default-b

$(SP)/persist.img: image/spine/mkpersist.sh | deps
	image/spine/mkpersist.sh -o $@

SPINE_ESPS := $(B)/esp/spine.img $(B)/esp/spine-test.img $(B)/esp/spine-starve.img \
	$(B)/esp/spine-crash.img
SPINE_INV_DISKS := $(SP)/default/inventory.img $(SP)/test/inventory.img
ALL_TARGETS += $(SPINE_ESPS) $(SP)/persist.img $(SPINE_INV_DISKS)

# --- targets
.PHONY: spine boot-spine check-vm-bay0 bench-spine
spine: $(SPINE_ESPS) $(SP)/persist.img $(SPINE_INV_DISKS)

# `make boot`: build everything, then boot the whole chain (OVMF ->
# spineboot -> slot A -> bay0 -> web, work, vault) with the watchdog, a TPM
# (swtpm) and a fresh /persist. Once web (the slowest to settle) is idle and py
# has queried its own server, the harness presses ctrl-alt-del: bay0 purges the personas, unmounts /persist and
# reboots, and that reset ends the run (ovmf: end=resets boots=1).
.PHONY: boot
boot: | deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory boot-spine

boot-spine: $(B)/esp/spine.img $(SP)/persist.img $(SP)/default/inventory.img
	cp $(SP)/persist.img $(SP)/persist-boot.img
	ovmf/run.sh --esp $(B)/esp/spine.img --watchdog --tpm --persist $(SP)/persist-boot.img \
		--inventory $(SP)/default/inventory.img \
		--live --timeout 300 --log $(B)/spine/boot.log --max-boots 1 \
		--cad-on '^bay0: \[web\] web: serving nothing' --cad-on '^bay0: \[py\] py: served ' -- -smp $(SPINE_VM_CPUS) || [ $$? = 2 ]
	@grep -q '^\[ *[0-9.]*\] bay0: persist unmounted' $(B)/spine/boot.log && \
		echo "boot: bay0 shut down in order (/persist unmounted) and reset the machine"
	@sed -nE 's/^\[ *[0-9.]*\] bay0: \[py\] (py: served .*)$$/boot: \1/p' $(B)/spine/boot.log | grep . || \
		echo "boot: py (python3-minimal from Debian) printed no 'served' line before the shutdown"

# VM_BAY0_BOOT=esp (default): the whole chain, OVMF -> spineboot -> slot A.
# VM_BAY0_BOOT=slot: the same slot folders booted directly by OVMF (no
# loader); for when spineboot cannot boot, and said so in the log.
VM_BAY0_BOOT ?= esp
ifeq ($(VM_BAY0_BOOT),slot)
VM_BAY0_INPUTS := $(B)/slots/spine-test-a/SHA512.sig $(B)/slots/spine-starve-a/SHA512.sig
VM_BAY0_ARGS   := --slot $(B)/slots/spine-test-a --starve-slot $(B)/slots/spine-starve-a
else
VM_BAY0_INPUTS := $(B)/esp/spine-test.img $(B)/esp/spine-starve.img $(B)/esp/spine-crash.img
VM_BAY0_ARGS   := --esp $(B)/esp/spine-test.img --starve-esp $(B)/esp/spine-starve.img \
	--crash-esp $(B)/esp/spine-crash.img
endif

CHECKS += check-vm-bay0
check-vm-bay0: $(VM_BAY0_INPUTS) $(SP)/persist.img $(SP)/test/inventory.img $(SPINE_PCR)
	tests/vm-bay0/run.sh $(VM_BAY0_ARGS) --persist $(SP)/persist.img \
		--inventory $(SP)/test/inventory.img --cpus $(SPINE_VM_CPUS)

BENCHES += bench-spine
bench-spine: $(B)/esp/spine.img $(SP)/persist.img $(SP)/default/inventory.img
	tests/vm-bay0/bench.sh --esp $(B)/esp/spine.img --persist $(SP)/persist.img \
		--inventory $(SP)/default/inventory.img \
		--cpus $(SPINE_VM_CPUS)
