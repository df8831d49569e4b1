/*
 * update_plan.h: what `spinectl update DIR` writes, and in which order, from
 * the state of the two slots on the ESP (docs/install.md, "update"). Slot A is
 * the newest, slot B the last known good: (1) B is made a good copy (A's
 * files into B when A is the one marked good and B is not already the same
 * bytes), then (2) the new version goes into A, which boots with fresh tries
 * and falls back to B. Refused before anything is written: a version below
 * the good one, and an update that would leave no slot to fall back to.
 *
 * Pure and self-contained: no I/O, no libblkid, nothing but this file, its
 * header and plan.h's enum plan_file, C11. The caller compares files and
 * reads the loader's state; this file only decides. So bay0 can link the
 * same file for Spine updates over the Umbilical (issue 10): it builds with
 * bay0's flags (check-unit-spinectl compiles it so, $(HOST_CFLAGS) and
 * bay0's include path, as well as for the sanitizer tests).
 */
#ifndef SPINECTL_UPDATE_PLAN_H
#define SPINECTL_UPDATE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"

/* One slot on the ESP, as the loader would see it now. */
struct upd_slot {
	bool present;        /* its SHA512.sig is there */
	bool verifies;       /* the loader's check sequence passes it */
	bool good;           /* the state of this install (this SHA512.sig) says good */
	uint32_t version;    /* slot.conf's, meaningful when verifies */
	bool has[PF_N];      /* file f is there */
	uint64_t size[PF_N]; /* and its size */
};

struct upd_in {
	struct upd_slot a, b;
	bool b_is_a[PF_N];   /* B's file f holds A's bytes (both there) */
	bool a_is_new[PF_N]; /* A's file f holds the new slot's bytes */
	uint32_t new_version;
	uint64_t new_size[PF_N];
	uint32_t cluster; /* the file system's allocation unit, for the space sum */
};

enum upd_result {
	UPD_OK,          /* act[] is the update */
	UPD_NOTHING,     /* slot A already holds the new slot, byte for byte */
	UPD_DOWNGRADE,   /* new_version is below good_version */
	UPD_NO_FALLBACK, /* A is not marked good and B does not verify */
};

/* Where a copy's bytes come from: file f of slot A on the ESP (step 1), or
 * of the new slot (step 2). */
enum upd_src { UPD_SRC_A, UPD_SRC_NEW };

enum upd_kind { UA_DELETE, UA_COPY };

struct upd_action {
	enum upd_kind kind;
	int slot; /* written: 0 a, 1 b */
	enum plan_file file;
	enum upd_src src; /* UA_COPY only */
};

#define UPD_MAX (2 * (PF_N + 1))

struct upd_plan {
	enum upd_result result;
	bool copy_b;           /* step 1 happens: A is good and B is not its copy */
	uint32_t good_version; /* highest version of a slot that verifies and is good; 0: none */
	uint64_t bytes;        /* free space needed at the fullest moment */
	size_t n;
	struct upd_action act[UPD_MAX];
};

void upd_plan(const struct upd_in *in, struct upd_plan *out);

/* One line for people: why a refused plan was refused. */
const char *upd_result_str(enum upd_result r);

#endif
