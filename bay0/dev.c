/*
 * dev.c: the Spine's /dev, a tmpfs with only the nodes named here (and the
 * ones bay0 adds for its own use: the watchdog, the /persist disk). Nothing
 * comes from devtmpfs, so a driver that registers a node does not make it
 * reachable.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

/* The persona launcher binds each verified image to a loop device. Made after
 * the modules are in (loop may be one): loop-control plus a node for every
 * loop device the kernel has now (Debian makes 8 at load). */
int dev_add_loops(void)
{
	DIR *d;
	struct dirent *de;
	unsigned n = 0;
	int r;

	if (access("/sys/class/misc/loop-control/dev", F_OK) < 0) {
		log_line("/dev: no loop-control (loop driver not loaded)");
		return 0;
	}
	r = dev_node_from_sys("/sys/class/misc/loop-control/dev", "/dev/loop-control", 0600);
	if (r)
		return r;
	d = opendir("/sys/class/block");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sys[300], node[300];

		if (strncmp(de->d_name, "loop", 4) || !de->d_name[4])
			continue;
		snprintf(sys, sizeof(sys), "/sys/class/block/%s/dev", de->d_name);
		snprintf(node, sizeof(node), "/dev/%s", de->d_name);
		r = dev_node_from_sys(sys, node, 0600);
		if (r) {
			closedir(d);
			return r;
		}
		n++;
	}
	closedir(d);
	log_line("/dev: loop-control and %u loop devices", n);
	return 0;
}

/* Verity personas (docs/passport.md, "Verity images"): the device-mapper
 * control node, bay0's alone (0600; no persona has block or control nodes),
 * and /dev/mapper for the verity devices' nodes bay0 makes at launch. */
int dev_add_mapper(void)
{
	int r;

	if (access("/sys/class/misc/device-mapper/dev", F_OK) < 0) {
		log_line("/dev: no mapper/control (dm-mod not loaded)");
		return 0;
	}
	if (mkdir("/dev/mapper", 0700) < 0 && errno != EEXIST)
		return -errno;
	r = dev_node_from_sys("/sys/class/misc/device-mapper/dev", "/dev/mapper/control", 0600);
	if (r)
		return r;
	log_line("/dev: mapper/control");
	return 0;
}
