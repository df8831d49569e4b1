# tests/vm-umbcut/: power cuts during an Umbilical transfer, in the VM
# (docs/umbilical.md, "Power cuts"; tests/vm-umbcut/run.sh).
#
#   build/umbcut/POINT/initrd.img   the power-cut Spine: test bay0, personas
#                                   cutsrc and cutrcv; for POINT mid-copy,
#                                   staged, owned and linked its spine.conf
#                                   says test-umbilical-stall POINT, for
#                                   plain nothing
#   check-vm-umbcut                 seven chained boots on one /persist disk

UC := $(B)/umbcut
UMBCUT_POINTS := mid-copy staged owned linked
UMBCUT_SPINES := $(UMBCUT_POINTS) plain
$(UC)/cutsrc.passport $(UC)/cutrcv.passport: $(UC)/%.passport: tests/vm-umbcut/%.pp \
		$(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	@mkdir -p $(@D)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
$(UMBCUT_SPINES:%=$(UC)/%/spine.conf): $(UC)/%/spine.conf: image/spine/conf/modules.conf \
		tests/vm-umbcut/cut.conf tests/vm-umbcut/umbcut.mk
	@mkdir -p $(@D)
	cat image/spine/conf/modules.conf tests/vm-umbcut/cut.conf >$@
	@[ $* = plain ] || echo 'test-umbilical-stall $*' >>$@
UMBCUT_INV := $(SP)/test/pvm.erofs $(UC)/cutsrc.passport $(UC)/cutrcv.passport
$(UMBCUT_SPINES:%=$(UC)/%/initrd.img): $(UC)/%/initrd.img: $(SPINE_BAY0_TEST) $(UC)/%/spine.conf \
		$(UMBCUT_INV) $(SPINE_TOOLS)
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0_TEST) -c $(UC)/$*/spine.conf \
		-k $(KERNEL_DIR) $(UMBCUT_INV:%=-I %)

# UMBCUT_SEED picks the random cuts (printed; set it to replay a run).
CHECKS += check-vm-umbcut
.PHONY: check-vm-umbcut
check-vm-umbcut: $(UMBCUT_SPINES:%=$(UC)/%/initrd.img) $(KERNEL_STAMP) image/spine/mkpersist.sh
	tests/vm-umbcut/run.sh --kernel $(KERNEL) --cmdline "$(SPINE_CMDLINE)" --spines $(UC)
