/*
 * persona_verity.c: dm-verity over a persona image, raw device-mapper
 * ioctls (linux/dm-ioctl.h, Documentation/admin-guide/device-mapper/
 * verity.rst). No libdevmapper: bay0 is static, Debian's is a .so.
 */
#define _GNU_SOURCE
#include "persona_verity.h"
#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

int verity_table(const struct passport_verity *v, unsigned maj, unsigned min, char *out, size_t len)
{
	char root[2 * PASSPORT_VERITY_ROOT_LEN + 1], salt[2 * PASSPORT_VERITY_SALT_MAX + 1];
	size_t salt_len =
	        v->salt_len < PASSPORT_VERITY_SALT_MAX ? v->salt_len : PASSPORT_VERITY_SALT_MAX;

	hex_lower(v->root, PASSPORT_VERITY_ROOT_LEN, root);
	if (salt_len == 0)
		strcpy(salt, "-");
	else
		hex_lower(v->salt, salt_len, salt);
	/* hash_start counts hash blocks from the device's start: the tree
	 * begins at the pinned hash offset (no superblock there to skip). */
	int n = snprintf(out, len, "1 %u:%u %u:%u %u %u %llu %llu sha256 %s %s", maj, min, maj, min,
	                 v->data_block_size, v->hash_block_size, (unsigned long long)v->data_blocks,
	                 (unsigned long long)(v->hash_offset / v->hash_block_size), root, salt);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

/* One ioctl buffer: the header, then the command's data. */
union dm_buf {
	struct dm_ioctl io;
	alignas(8) char raw[16384];
};

static void dm_init(union dm_buf *b, const char *name, uint32_t flags)
{
	memset(b, 0, sizeof(struct dm_ioctl));
	b->io.version[0] = DM_VERSION_MAJOR;
	b->io.version[1] = 0;
	b->io.version[2] = 0;
	b->io.data_size = sizeof b->raw;
	b->io.data_start = sizeof(struct dm_ioctl);
	b->io.flags = flags;
	if (name)
		snprintf(b->io.name, sizeof b->io.name, "%s", name);
}

static int dm_call(unsigned long cmd, union dm_buf *b)
{
	int ctl = open(VERITY_CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	int r = ioctl(ctl, cmd, b) < 0 ? -errno : 0;
	close(ctl);
	if (!r && (b->io.flags & DM_BUFFER_FULL_FLAG))
		r = -ENOSPC;
	return r;
}

/* The first target's text of a TABLE_STATUS answer (its status, or with
 * DM_STATUS_TABLE_FLAG its table), copied into out. */
static int dm_target_text(const char *name, uint32_t flags, char *out, size_t len,
                          uint32_t *dm_flags)
{
	static union dm_buf b;
	dm_init(&b, name, flags);
	int r = dm_call(DM_TABLE_STATUS, &b);
	if (r)
		return r;
	if (dm_flags)
		*dm_flags = b.io.flags;
	if (b.io.target_count != 1 ||
	    b.io.data_start + sizeof(struct dm_target_spec) >= b.io.data_size)
		return -EPROTO;
	const struct dm_target_spec *t = (const void *)(b.raw + b.io.data_start);
	if (strncmp(t->target_type, "verity", sizeof t->target_type))
		return -EPROTO;
	const char *text = (const char *)(t + 1);
	size_t max = b.io.data_size - b.io.data_start - sizeof *t;
	size_t n = strnlen(text, max);
	if (n == max || n >= len)
		return -EPROTO;
	memcpy(out, text, n + 1);
	return 0;
}

int verity_status(const char *name)
{
	char st[64];
	int r = dm_target_text(name, 0, st, sizeof st, NULL);
	if (r)
		return r;
	/* "V" or "C", then optional words (FEC counters, none here). */
	if ((st[0] == 'V' || st[0] == 'C') && (st[1] == 0 || st[1] == ' '))
		return st[0];
	return -EPROTO;
}

static int dm_remove_once(const char *name, uint32_t flags)
{
	static union dm_buf b;
	dm_init(&b, name, flags);
	return dm_call(DM_DEV_REMOVE, &b);
}

int verity_remove(const char *name)
{
	int r = -EBUSY;
	/* Busy only for as long as the last unmount takes to let go. */
	for (int i = 0; i < 50 && r == -EBUSY; i++) {
		r = dm_remove_once(name, 0);
		if (r == -EBUSY) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (r == -EBUSY)
		r = dm_remove_once(name, DM_DEFERRED_REMOVE);
	if (r)
		return r;
	/* Gone: asking for it by name must now fail with ENXIO. */
	static union dm_buf b;
	dm_init(&b, name, 0);
	int s = dm_call(DM_DEV_STATUS, &b);
	return s == -ENXIO ? 0 : (s ? s : -EBUSY);
}

int verity_activate(const char *name, const struct passport_verity *v, dev_t dev, dev_t *out,
                    char live[VERITY_TABLE_MAX], const char **step)
{
	static union dm_buf b;
	char table[VERITY_TABLE_MAX], back[VERITY_TABLE_MAX];
	int r, n;

	*step = "verity table";
	n = verity_table(v, major(dev), minor(dev), table, sizeof table);
	if (n < 0)
		return n;
	*step = "DM_VERSION";
	dm_init(&b, NULL, 0);
	if ((r = dm_call(DM_VERSION, &b)))
		return r;
	if (b.io.version[0] != DM_VERSION_MAJOR)
		return -EPROTO;

	/* A new device, suspended, without a table. The name is this launch's
	 * alone: an existing device of that name is an error (EBUSY), never
	 * shared. */
	*step = "DM_DEV_CREATE";
	dm_init(&b, name, 0);
	if ((r = dm_call(DM_DEV_CREATE, &b)))
		return r;
	*out = (dev_t)b.io.dev;

	/* One read-only verity target over the data blocks the passport pins:
	 * the device is exactly the erofs, never the tree. */
	*step = "DM_TABLE_LOAD verity";
	dm_init(&b, name, DM_READONLY_FLAG);
	struct dm_target_spec *t = (void *)(b.raw + sizeof(struct dm_ioctl));
	memset(t, 0, sizeof *t);
	t->sector_start = 0;
	t->length = v->data_blocks * (v->data_block_size / 512);
	snprintf(t->target_type, sizeof t->target_type, "verity");
	memcpy(t + 1, table, (size_t)n + 1);
	size_t used = sizeof(struct dm_ioctl) + sizeof *t + (size_t)n + 1;
	used = (used + 7) & ~(size_t)7;
	t->next = 0;
	b.io.target_count = 1;
	b.io.data_size = (uint32_t)used;
	if ((r = dm_call(DM_TABLE_LOAD, &b)))
		goto fail;

	/* Resume: the loaded (inactive) table becomes the live one. */
	*step = "DM_DEV_SUSPEND (resume)";
	dm_init(&b, name, 0);
	if ((r = dm_call(DM_DEV_SUSPEND, &b)))
		goto fail;

	/* What is live must be what was meant: the very table, read-only,
	 * verified so far. */
	uint32_t fl = 0;
	*step = "DM_TABLE_STATUS table";
	if ((r = dm_target_text(name, DM_STATUS_TABLE_FLAG, back, sizeof back, &fl)))
		goto fail;
	*step = "live table differs from the passport's";
	if (strcmp(back, table)) {
		r = -EPROTO;
		goto fail;
	}
	*step = "live table is not read-only";
	if (!(fl & DM_READONLY_FLAG) || (fl & DM_SUSPEND_FLAG)) {
		r = -EPROTO;
		goto fail;
	}
	*step = "DM_TABLE_STATUS";
	r = verity_status(name);
	if (r != 'V') {
		r = r < 0 ? r : -EIO;
		goto fail;
	}
	memcpy(live, back, sizeof back);
	return 0;
fail:
	verity_remove(name);
	return r;
}
