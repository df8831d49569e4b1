/*
 * esp.h: is a folder an EFI System Partition we may write to? The facts are
 * gathered by spinectl.c (statfs, stat, libblkid); the decision is pure, so
 * the unit tests reach every refusal without a disk.
 */
#ifndef SPINECTL_ESP_H
#define SPINECTL_ESP_H

#include <stdbool.h>

#define ESP_PART_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

struct esp_facts {
	bool fs_vfat;            /* statfs says MSDOS_SUPER_MAGIC */
	bool mount_root;         /* st_dev differs from the parent folder's */
	const char *fs_type;     /* blkid TYPE of the device, or NULL */
	const char *part_scheme; /* blkid PART_ENTRY_SCHEME, or NULL */
	const char *part_type;   /* blkid PART_ENTRY_TYPE, or NULL */
};

/* NULL when every check passes, else which check failed, in a few words.
 * The checks run in this order: file system, mount root, blkid's type,
 * partition table, partition type. */
const char *esp_check(const struct esp_facts *f);

/* The folders tried in turn when --esp-path is not given. */
extern const char *const esp_candidates[3];

#endif
