/*
 * persona_verity.h: a persona image under dm-verity, through the raw
 * device-mapper ioctls on /dev/mapper/control (docs/passport.md, "Verity
 * images"). bay0 is static and Debian ships libdevmapper and libcryptsetup
 * as shared libraries only, so bay0 speaks the ioctls itself.
 *
 * The table comes from the passport's values only, never from the image.
 * Every function returns 0 or -errno and names the failing step in *step.
 */
#ifndef BAY0_PERSONA_VERITY_H
#define BAY0_PERSONA_VERITY_H

#include <stddef.h>
#include <sys/types.h>

#include "passport.h"

#define VERITY_DM_NAME_MAX 64 /* "spine-<persona>-<n>", within DM_NAME_LEN */
#define VERITY_TABLE_MAX 1024 /* the parameter string: 512 hex of salt fits */
#define VERITY_CONTROL "/dev/mapper/control"

/* The verity target's parameter string for a data and hash device
 * maj:min (the same loop device: the tree follows the data in one file):
 * "1 7:0 7:0 4096 4096 <data blocks> <hash start block> sha256 <root>
 * <salt|->", no optional arguments (so corruption is EIO). Pure. Returns
 * the length, or -ENAMETOOLONG if out is too small. */
int verity_table(const struct passport_verity *v, unsigned maj, unsigned min, char *out,
                 size_t len);

/* Creates dm device `name` (suspended, no table), loads the read-only
 * verity table over loop device dev, resumes it, then reads back its table
 * (must be exactly what was loaded), its status (must be "V", verified so
 * far) and its flags (read-only). On success *out is the dm device's
 * number and live[] its table as the kernel reports it; on failure the
 * device is removed again. */
int verity_activate(const char *name, const struct passport_verity *v, dev_t dev, dev_t *out,
                    char live[VERITY_TABLE_MAX], const char **step);

/* 'V' (no corruption seen), 'C' (a block failed verification: the reader
 * got EIO), or -errno. */
int verity_status(const char *name);

/* Removes dm device `name` (retrying while it is busy, then deferred) and
 * confirms it is gone. */
int verity_remove(const char *name);

#endif
