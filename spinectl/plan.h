/*
 * plan.h: what `spinectl install` writes, and in which order, from what is
 * already on the ESP and in the variables (docs/install.md, "What install
 * writes"). Pure: the caller compares files and reads variables; this file
 * only decides, so that order and idempotence are unit-tested.
 */
#ifndef SPINECTL_PLAN_H
#define SPINECTL_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A slot's files in the order they are written: SHA512.sig last. */
enum plan_file { PF_KERNEL, PF_INITRD, PF_CMDLINE, PF_CONF, PF_SIG, PF_N };

/* What the ESP holds at a path, against the bytes we would write there. */
enum plan_state { PS_ABSENT, PS_SAME, PS_DIFFERENT };

/* \EFI\BOOT\BOOTX64.EFI: absent, our loader (these very bytes, or another
 * spineboot: it has a .spkeys section), or someone else's. */
enum plan_fallback { PFB_ABSENT, PFB_OURS_SAME, PFB_OURS_OTHER, PFB_FOREIGN };

struct plan_in {
	enum plan_state loader;
	uint64_t loader_size;
	bool slot_given[2];
	enum plan_state slot[2][PF_N];
	uint64_t slot_size[2][PF_N];
	enum plan_fallback fallback;
	uint64_t fallback_size; /* of the foreign one, when it is to be kept */
	bool fallback_saved;    /* \EFI\spine\BOOTX64.orig already holds it */
	bool take_fallback;
	bool variables;   /* false: --no-variables */
	bool entry_same;  /* our Boot#### exists with these very bytes */
	bool order_first; /* BootOrder already is what we would write */
	uint32_t cluster; /* the file system's allocation unit, for the space check */
};

enum plan_kind {
	PA_DELETE,        /* path */
	PA_COPY,          /* src -> path */
	PA_SAVE_FALLBACK, /* the foreign \EFI\BOOT\BOOTX64.EFI -> \EFI\spine\BOOTX64.orig */
	PA_KEEP_FALLBACK, /* nothing written: a foreign fallback without --take-fallback */
	PA_WRITE_ENTRY,   /* our Boot#### */
	PA_WRITE_ORDER,   /* BootOrder with ours first */
};

/* What a PA_COPY writes: the loader, or file f of slot a or b. */
enum plan_src { PSRC_LOADER, PSRC_SLOT_A, PSRC_SLOT_B = PSRC_SLOT_A + PF_N, PSRC_NONE = 99 };

struct plan_action {
	enum plan_kind kind;
	int src;          /* enum plan_src, PSRC_SLOT_x + enum plan_file */
	const char *path; /* ESP-relative, '/'-separated; static storage */
};

#define PLAN_MAX 24

/* Fills out[] (at most PLAN_MAX) and *bytes, what the new files take at
 * most while the old ones still exist (each rounded up to a cluster).
 * Returns the number of actions; 0 means nothing to do. */
size_t plan_install(const struct plan_in *in, struct plan_action out[PLAN_MAX], uint64_t *bytes);

/* ESP paths the plan uses. */
#define PLAN_LOADER_PATH "EFI/spine/spineboot.efi"
#define PLAN_FALLBACK_PATH "EFI/BOOT/BOOTX64.EFI"
#define PLAN_SAVED_PATH "EFI/spine/BOOTX64.orig"
/* The path in our Boot#### (firmware's spelling). */
#define PLAN_LOADER_EFI_PATH "\\EFI\\spine\\spineboot.efi"

const char *plan_file_name(enum plan_file f);
/* "spine/a/vmlinuz" and so on. */
const char *plan_slot_path(int slot, enum plan_file f);
/* The ESP path a PSRC_* source is written to. */
const char *plan_src_path(int src);

#endif
