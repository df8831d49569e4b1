/*
 * bootent.h: which firmware boot entries are Alpine Spine's, what a boot
 * through them says, and the BootOrder that promotes a new loader
 * (docs/install.md, "update --loader"; docs/bay0.md, "How the firmware
 * booted"). Shared by spinectl and bay0.
 *
 * Pure: no I/O, no allocation, no globals. Inputs are entries already
 * decoded by loadopt.c.
 */
#ifndef SPINECTL_BOOTENT_H
#define SPINECTL_BOOTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadopt.h"

/* The two loader files of the loader's A/B update, as ESP paths (for
 * files) and as the File() path of their Boot#### entries. Loader 0 is the
 * one install writes. */
#define BE_LOADERS 2
extern const char *const be_loader_file[BE_LOADERS]; /* "EFI/spine/spineboot.efi" */
extern const char *const be_loader_efi[BE_LOADERS];  /* "\\EFI\\spine\\spineboot.efi" */
extern const char *const be_loader_desc[BE_LOADERS]; /* "Alpine Spine" */

/* Which of our loader files o points at (0 or 1), or -1. The path is
 * compared without case and with either slash (lo_matches); the partition is
 * not looked at here: bay0 does not know which one the ESP is. */
int be_loader_of(const struct lo_option *o);

/* One Boot#### as read from the store. */
struct be_entry {
	uint16_t num;
	bool decoded; /* lo_decode accepted it */
	struct lo_option opt;
};

enum be_how {
	BE_NO_CURRENT,   /* BootCurrent absent or malformed */
	BE_NOT_AN_ENTRY, /* BootCurrent names no Boot#### that decodes */
	BE_ENTRY,        /* one of ours, in BootOrder */
	BE_TRIAL, /* one of ours, not in BootOrder, another of ours is: a new loader on trial */
	BE_OURS_ASTRAY, /* one of ours, and none of ours is in BootOrder */
	BE_FALLBACK,    /* another entry: the firmware's removable-media path or a foreign one */
};

struct be_verdict {
	enum be_how how;
	uint16_t current;   /* BootCurrent, unless BE_NO_CURRENT */
	int loader;         /* be_loader_of(BootCurrent's entry), or -1 */
	size_t nours;       /* how many entries are ours */
	long first_ours;    /* index in BootOrder of the first of ours, or -1 */
	uint16_t first_num; /* that entry's number, when first_ours >= 0 */
};

void be_judge(bool have_current, uint16_t current, const struct be_entry *e, size_t n,
              const uint16_t *order, size_t norder, struct be_verdict *v);

/*
 * The BootOrder after the trial boot of current has been marked good:
 * current stands where the first of ours stood, everything else keeps its
 * order (the previous loader's entry stays, right after it, as a fallback
 * the firmware tries next). Returns the count written to out (at most cap),
 * or 0 when current is in order already or first_ours < 0.
 */
size_t be_promote(const uint16_t *order, size_t n, long first_ours, uint16_t current, uint16_t *out,
                  size_t cap);

#endif
