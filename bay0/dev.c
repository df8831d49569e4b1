/*
 * dev.c: the Spine's /dev, a tmpfs with only the nodes named here (and the
 * ones bay0 adds for its own use: the watchdog, the /persist disk). Nothing
 * comes from devtmpfs, so a driver that registers a node does not make it
 * reachable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "util.h"

struct node {
	const char *name;
	unsigned major, minor;
	mode_t mode;
};

static const struct node nodes[] = {
        {"null", 1, 3, 0666},   {"zero", 1, 5, 0666},    {"full", 1, 7, 0666},
        {"random", 1, 8, 0666}, {"urandom", 1, 9, 0666}, {"kmsg", 1, 11, 0600},
        {"tty", 5, 0, 0666},    {"console", 5, 1, 0600},
};

static int mknod_exact(const char *path, mode_t mode, dev_t dev)
{
	/* The umask must not decide a node's permissions: chmod after. */
	if (mknod(path, S_IFCHR | (mode & 07777), dev) < 0 && errno != EEXIST)
		return -errno;
	if (chmod(path, mode & 07777) < 0)
		return -errno;
	return 0;
}

int dev_populate(void)
{
	char path[64];
	int r;

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", nodes[i].name);
		r = mknod_exact(path, nodes[i].mode, makedev(nodes[i].major, nodes[i].minor));
		if (r) {
			log_err(r, "mknod %s", path);
			return r;
		}
	}
	if (symlink("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST)
		return -errno;
	log_line("/dev: %zu nodes", sizeof(nodes) / sizeof(nodes[0]));
	return 0;
}

/* Block nodes are made as block devices, the rest as character devices:
 * the sysfs path says which ("/sys/class/block/..." or "/sys/dev/block"). */
int dev_node_from_sys(const char *sys_dev_file, const char *node, mode_t mode)
{
	char buf[32], *end;
	unsigned long maj, min;
	ssize_t n;
	mode_t type = strstr(sys_dev_file, "/block/") ? S_IFBLK : S_IFCHR;

	n = read_file(sys_dev_file, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	maj = strtoul(buf, &end, 10);
	if (end == buf || *end != ':')
		return -EINVAL;
	min = strtoul(end + 1, &end, 10);
	if (*end != '\n' && *end != '\0')
		return -EINVAL;
	if (mknod(node, type | mode, makedev(maj, min)) < 0 && errno != EEXIST)
		return -errno;
	if (chmod(node, mode) < 0)
		return -errno;
	return 0;
}
