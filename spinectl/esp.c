/* esp.c: the ESP checks (esp.h), as systemd's find-esp makes them. */
#include "esp.h"

#include <strings.h>

const char *const esp_candidates[3] = {"/efi", "/boot/efi", "/boot"};

const char *esp_check(const struct esp_facts *f)
{
	if (!f->fs_vfat)
		return "not a vfat file system";
	if (!f->mount_root)
		return "not the root of its own mount";
	if (!f->fs_type || strcasecmp(f->fs_type, "vfat") != 0)
		return "its device does not hold a vfat file system (blkid)";
	if (!f->part_scheme || strcasecmp(f->part_scheme, "gpt") != 0)
		return "not on a GPT partition";
	if (!f->part_type || strcasecmp(f->part_type, ESP_PART_TYPE) != 0)
		return "partition type is not the EFI System Partition (" ESP_PART_TYPE ")";
	return 0;
}
