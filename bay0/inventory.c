/*
 * inventory.c: the inventory partition (docs/bay0.md, "The inventory
 * partition").
 *
 * Persona images and passports that live outside the Spine, on a partition
 * whose GPT name spine.conf gives ("inventory <name>"), so that an image of
 * a gigabyte is neither in the initramfs nor in RAM. Nothing on it is
 * trusted: every passport is signature-checked and every image pinned by
 * its passport (a SHA-512 or a dm-verity root hash), exactly as for the
 * Spine's own /inventory. What the partition's bytes can still reach is the
 * kernel's ext4 code, so bay0 hands it as little as it can: the block
 * device is made read-only (BLKROSET) before the mount, so neither a
 * journal replay nor anything else writes it, and the mount is read-only,
 * nodev, nosuid, noexec (images are loop-mounted by bay0, never executed
 * from here). A journal that needs recovery is then a refused mount with a
 * line that says so: the operator who wrote the partition replays it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "util.h"

/* The mount's options as the kernel reports them (mountinfo field 6), so
 * that the log shows what holds, not what was asked for. */
static void mount_opts(const char *dir, char *out, size_t cap)
{
	char *text = NULL, *save = NULL;
	size_t len;

	snprintf(out, cap, "?");
	if (read_file_alloc("/proc/self/mountinfo", 1 << 20, &text, &len))
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char mnt[256], opts[256];
		if (sscanf(l, "%*s %*s %*s %*s %255s %255s", mnt, opts) == 2 && !strcmp(mnt, dir))
			snprintf(out, cap, "%s", opts); /* the last one is on top */
	}
	free(text);
}

int inventory_mount(struct bay0 *b)
{
	const char *label = b->conf.inventory_label;
	char dev[64], node[96], opts[256];
	int r, fd, ro = 1;

	r = blockdev_find(label, false, dev, sizeof(dev));
	if (r == -ENOENT)
		log_line("inventory: no partition named '%s'", label);
	else if (r == -EEXIST)
		log_line("inventory: more than one partition named '%s': none is mounted", label);
	if (r)
		return r;
	r = blockdev_node(dev, node, sizeof(node), 0400);
	if (r) {
		log_err(r, "inventory: mknod %s", node);
		return r;
	}
	fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || ioctl(fd, BLKROSET, &ro) < 0) {
		r = -errno;
		log_err(r, "inventory: make %s read-only", node);
		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	if (mount(node, BAY0_INVENTORY_DISK, "ext4",
	          MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC | MS_NOATIME,
	          "errors=continue") < 0) {
		r = -errno;
		if (r == -EROFS)
			log_line(
			        "inventory: mount %s: its journal needs recovery, which bay0 never "
			        "writes: replay it where it was written (e2fsck)",
			        node);
		else
			log_err(r, "inventory: mount %s", node);
		return r;
	}
	b->inventory_mounted = true;
	mount_opts(BAY0_INVENTORY_DISK, opts, sizeof(opts));
	log_line("inventory mounted: /dev/%s (gpt name '%s') on " BAY0_INVENTORY_DISK
	         ", device read-only, mount %s",
	         dev, label, opts);
	return 0;
}

void inventory_unmount(struct bay0 *b)
{
	if (!b->inventory_mounted)
		return;
	if (umount2(BAY0_INVENTORY_DISK, MNT_DETACH) < 0) {
		log_err(-errno, "inventory: unmount");
		return;
	}
	b->inventory_mounted = false;
	log_line("inventory unmounted");
}
