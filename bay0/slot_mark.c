/*
 * slot_mark.c: marking the booted slot good through efivarfs
 * (docs/interfaces.md). efivarfs marks variables it does not know immutable,
 * so the flag is lifted for the one write and put back afterwards.
 */
#define _GNU_SOURCE
#include "slot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* Lifts the immutable flag if it is set; *was says whether to put it back. */
static int lift_immutable(int fd, bool *was)
{
	int flags;

	*was = false;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return errno == ENOTTY ? 0 : -errno;
	if (!(flags & FS_IMMUTABLE_FL))
		return 0;
	flags &= ~FS_IMMUTABLE_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
		return -errno;
	*was = true;
	return 0;
}

static void restore_immutable(int fd)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
		flags |= FS_IMMUTABLE_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
}

/* The booted install's variable, read whole: its path and bytes. */
static ssize_t read_state(const char *efivars_dir, const char *cmdline_path, char *slot,
                          char path[256], uint8_t var[SLOT_VAR_LEN + 1])
{
	char cmdline[4096], name[SLOT_NAME_LEN];
	ssize_t n;
	int r;

	n = read_file(cmdline_path, cmdline, sizeof(cmdline) - 1);
	if (n < 0)
		return n;
	r = slot_state_name(cmdline, (size_t)n, slot, name);
	if (r == -ENOENT) {
		log_line("slot: no spine.slot= and spine.state= on the command line");
		return r;
	}
	if (r)
		return r;
	snprintf(path, 256, "%s/%s-" SPINE_GUID, efivars_dir, name);
	return read_file(path, var, SLOT_VAR_LEN + 1);
}

int slot_is_good(const char *efivars_dir, const char *cmdline_path)
{
	char path[256], slot;
	uint8_t var[SLOT_VAR_LEN + 1];
	ssize_t n = read_state(efivars_dir, cmdline_path, &slot, path, var);
	int r;

	if (n < 0)
		return (int)n;
	r = slot_state_mark_good(var, (size_t)n);
	return r < 0 ? r : r == 1;
}

int slot_mark_good(const char *efivars_dir, const char *cmdline_path, char *slot_out)
{
	char path[256];
	uint8_t var[SLOT_VAR_LEN + 1];
	ssize_t n;
	int r;

	n = read_state(efivars_dir, cmdline_path, slot_out, path, var);
	if (n < 0)
		return (int)n;
	r = slot_state_mark_good(var, (size_t)n);
	if (r == 1)
		return 0; /* already good: nothing to write */
	if (r)
		return r;
	return efivar_replace(path, var, SLOT_VAR_LEN);
}

int efivar_replace(const char *path, const uint8_t *raw, size_t len)
{
	bool was_immutable;
	ssize_t n;
	int r, fd, rfd;

	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	r = lift_immutable(rfd, &was_immutable);
	if (r) {
		close(rfd);
		return r;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		/* efivarfs takes attributes and data in one write(2): a
		 * short write would be a different variable. */
		n = write(fd, raw, len);
		r = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
		close(fd);
	}
	if (was_immutable)
		restore_immutable(rfd);
	close(rfd);
	return r;
}
