# tests/vm-spineupd/: Spine updates over the Umbilical, in the VM
# (docs/umbilical.md, "Spine updates"; tests/vm-spineupd/run.sh).
#
#   build/spineupd/upd/initrd.img   the Spine-update Spine: test bay0,
#                                   spinectl, vfat, personas uoff and uimp
#   build/spineupd/cut/initrd.img   the same, whose bay0 stops spinectl
#                                   after its 5th write to the ESP, for the
#                                   power cut
#   build/spineupd/fail/initrd.img  the same, whose spinectl fails (exit 1)
#                                   after its 5th write, for bay0's error
#                                   path after the accept
#   check-vm-spineupd               two runs on a GPT disk with an ESP,
#                                   two boots each; then one boot with two
#                                   ESPs and one with none; then spinectl
#                                   failing after the accept, and the boot
#                                   after it

SU := $(B)/spineupd
$(SU)/uoff.passport $(SU)/uimp.passport: $(SU)/%.passport: tests/vm-spineupd/%.pp \
		$(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	@mkdir -p $(@D)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
$(SU)/upd/spine.conf $(SU)/cut/spine.conf $(SU)/fail/spine.conf: $(SU)/%/spine.conf: image/spine/conf/modules.conf \
		tests/vm-spineupd/upd.conf
	@mkdir -p $(@D)
	cat $^ >$@
	@[ $* != cut ] || echo 'test-spine-update-stop-after 5' >>$@
	@[ $* != fail ] || echo 'test-spine-update-fail-after 5' >>$@
SPINEUPD_INV := $(SP)/test/pvm.erofs $(SU)/uoff.passport $(SU)/uimp.passport
$(SU)/upd/initrd.img $(SU)/cut/initrd.img $(SU)/fail/initrd.img: $(SU)/%/initrd.img: $(SPINE_BAY0_TEST) $(SU)/%/spine.conf \
		$(SPINEUPD_INV) $(SPINE_TOOLS) $(B)/spinectl
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0_TEST) -c $(SU)/$*/spine.conf \
		-k $(KERNEL_DIR) -s $(B)/spinectl $(SPINEUPD_INV:%=-I %)

CHECKS += check-vm-spineupd
.PHONY: check-vm-spineupd
check-vm-spineupd: $(SU)/upd/initrd.img $(SU)/cut/initrd.img $(SU)/fail/initrd.img $(SPINEBOOT_EFI) $(SLOT_SEC) $(SLOT_PUB) \
		image/mkslot.sh image/mkesp.sh image/spine/mkpersist.sh
	tests/vm-spineupd/run.sh --kernel $(KERNEL) --loader $(SPINEBOOT_EFI) \
		--slot-sec $(SLOT_SEC) --slot-pub $(SLOT_PUB) --cmdline "$(SPINE_CMDLINE)" \
		$(SU)/upd/initrd.img $(SU)/cut/initrd.img $(SU)/fail/initrd.img
