# tests/vm-umbcut/: power cuts during an Umbilical transfer, in the VM
# (docs/umbilical.md, "Power cuts"; tests/vm-umbcut/run.sh).
#
#   build/umbcut/POINT/initrd.img   the power-cut Spine: test bay0, personas
#                                   cutsrc and cutrcv; for POINT mid-copy,
#                                   staged, owned and linked its spine.conf
#                                   says test-umbilical-stall POINT, for
#                                   plain nothing; for swap, mid-copy for
#                                   10 s, and cutsrc swaps its outbox for a
#                                   symbolic link meanwhile (cutswap.pp)
#   check-vm-umbcut                 seven chained boots on one /persist disk

UC := $(B)/umbcut
UMBCUT_POINTS := mid-copy staged owned linked
UMBCUT_SPINES := $(UMBCUT_POINTS) plain swap
$(UC)/cutsrc.passport $(UC)/cutrcv.passport: $(UC)/%.passport: tests/vm-umbcut/%.pp \
		$(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	@mkdir -p $(@D)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
# The swap Spine's cutsrc (cutswap.pp): bay0 wants a passport's file named
# after its persona, so it is cutsrc.passport in a folder of its own.
$(UC)/swap-pp/cutsrc.passport: tests/vm-umbcut/cutswap.pp $(SP)/test/pvm.erofs $(PASSPORT_DEPS)
	@mkdir -p $(@D)
	image/spine/mkpassport.sh -o $@ -t $< -i $(SP)/test/pvm.erofs -s $(PERSONA_SEC) -p $(PERSONA_PUB)
$(UMBCUT_SPINES:%=$(UC)/%/spine.conf): $(UC)/%/spine.conf: image/spine/conf/modules.conf \
		tests/vm-umbcut/cut.conf tests/vm-umbcut/umbcut.mk
	@mkdir -p $(@D)
	cat image/spine/conf/modules.conf tests/vm-umbcut/cut.conf >$@
	@[ $* = plain ] || [ $* = swap ] || echo 'test-umbilical-stall $*' >>$@
	@[ $* != swap ] || echo 'test-umbilical-stall mid-copy 10' >>$@
UMBCUT_INV := $(SP)/test/pvm.erofs $(UC)/cutrcv.passport
$(UC)/%/initrd.img: UMBCUT_SRC = $(UC)/cutsrc.passport
$(UC)/swap/initrd.img: UMBCUT_SRC = $(UC)/swap-pp/cutsrc.passport
$(UMBCUT_SPINES:%=$(UC)/%/initrd.img): $(UC)/%/initrd.img: $(SPINE_BAY0_TEST) $(UC)/%/spine.conf \
		$(UMBCUT_INV) $(UC)/cutsrc.passport $(UC)/swap-pp/cutsrc.passport $(SPINE_TOOLS)
	image/spine/mkspine.sh -o $@ -t $(SPINE_TPM) -b $(SPINE_BAY0_TEST) -c $(UC)/$*/spine.conf \
		-k $(KERNEL_DIR) $(UMBCUT_INV:%=-I %) -I $(UMBCUT_SRC)

# UMBCUT_SEED picks the random cuts (printed; set it to replay a run).
CHECKS += check-vm-umbcut
.PHONY: check-vm-umbcut
check-vm-umbcut: $(UMBCUT_SPINES:%=$(UC)/%/initrd.img) $(KERNEL_STAMP) image/spine/mkpersist.sh
	tests/vm-umbcut/run.sh --kernel $(KERNEL) --cmdline "$(SPINE_CMDLINE)" --spines $(UC)
