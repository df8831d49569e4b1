/*
 * bootvar.h: how the firmware booted this machine, and the promotion of a
 * new loader on trial (docs/bay0.md, "How the firmware booted").
 *
 * bay0 reads BootCurrent, BootOrder and every Boot#### through efivarfs,
 * judges them with spinectl/bootent.c (shared with spinectl) and reports on
 * the console. It repairs nothing: a dropped entry is spinectl install's to
 * write back. The one write it makes is BootOrder, once the boot of a new
 * loader started through BootNext (spinectl update --loader) is marked good.
 */
#ifndef BAY0_BOOTVAR_H
#define BAY0_BOOTVAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootent.h"

#define BOOTVAR_ENTRIES 64
#define BOOTVAR_ORDER 128

struct bootvars {
	bool have_current;
	uint16_t current;
	struct be_entry e[BOOTVAR_ENTRIES];
	size_t n;
	uint16_t order[BOOTVAR_ORDER];
	size_t norder;
	bool order_ok; /* BootOrder present and well formed */
	struct be_verdict v;
};

/* Reads the variables under efivars_dir and judges them into bv->v. A
 * variable that is missing or malformed is reported through bv's fields
 * (have_current false, an entry not decoded, order_ok false), never fatal.
 * 0, or -errno when the folder cannot be read. */
int bootvar_read(const char *efivars_dir, struct bootvars *bv);

/* Writes the console lines that say what bv->v means (log_line). */
void bootvar_report(const struct bootvars *bv);

/*
 * After the boot was marked good: when bv->v says BE_TRIAL, reads the
 * variables again (so that nothing changed in between is undone), and if
 * it still is a trial writes BootOrder with BootCurrent first among ours
 * (be_promote) and reads it back. 1 promoted, 0 nothing to do, -errno.
 */
int bootvar_promote(const char *efivars_dir, struct bootvars *bv);

#endif
