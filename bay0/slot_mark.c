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
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static int set_immutable(int fd, int on)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return -errno;
	flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
	if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
		return -errno;
	return 0;
}

int slot_mark_good(const char *efivars_dir, char *slot_out)
{
	char cmdline[4096], path[256];
	uint8_t var[SLOT_VAR_LEN + 1];
	ssize_t n;
	char slot;
	int r, fd, rfd;

	n = read_file("/proc/cmdline", cmdline, sizeof(cmdline) - 1);
	if (n < 0)
		return (int)n;
	r = slot_from_cmdline(cmdline, (size_t)n, &slot);
	if (r == -ENOENT) {
		log_line("slot: no spine.slot= on the command line");
		return r;
	}
	if (r)
		return r;
	*slot_out = slot;
	snprintf(path, sizeof(path), "%s/SpineSlot%c-" SPINE_GUID, efivars_dir,
	         slot == 'a' ? 'A' : 'B');
	n = read_file(path, var, sizeof(var));
	if (n < 0)
		return (int)n;
	r = slot_state_mark_good(var, (size_t)n);
	if (r == 1)
		return 0; /* already good: nothing to write */
	if (r)
		return r;
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	r = set_immutable(rfd, 0);
	if (r && r != -ENOTTY) {
		close(rfd);
		return r;
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
	} else {
		/* efivarfs takes attributes and data in one write(2): a
		 * short write would be a different variable. */
		n = write(fd, var, SLOT_VAR_LEN);
		r = n == SLOT_VAR_LEN ? 0 : n < 0 ? -errno : -EIO;
		close(fd);
	}
	(void)set_immutable(rfd, 1);
	close(rfd);
	return r;
}
