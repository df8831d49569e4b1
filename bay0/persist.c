/*
 * persist.c: /persist, the one writable, lasting place (docs/bay0.md,
 * "/persist").
 *
 * Found by its GPT partition name (the kernel's PARTNAME), else by its ext4
 * label; exactly one block device may match, since mounting the wrong disk
 * (a stick someone plugged in with the same label) would hand personas
 * somebody else's data. Mounted nodev,nosuid,noexec. Its top level belongs
 * to root: one 0700 subtree per persona, owned by that persona's uid, and
 * /persist/transfer (0700 root) for the Umbilical. Everything below the top
 * level is made and checked through directory fds with O_NOFOLLOW, so a
 * symlink planted by a persona is never followed by bay0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "umbilical_copy.h"
#include "util.h"

/* On /dev: the only mount where bay0 lets device nodes work. */
#define PROBE_NODE "/dev/.bay0-probe"
#define EXT4_SB_OFF 1024
#define EXT4_MAGIC 0xEF53

/* "KEY=value" line of a uevent file, copied to out. */
static int uevent_get(const char *uevent, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);

	for (const char *p = uevent; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l > kl && !memcmp(p, key, kl) && p[kl] == '=') {
			if (l - kl - 1 >= cap)
				return -ENAMETOOLONG;
			memcpy(out, p + kl + 1, l - kl - 1);
			out[l - kl - 1] = '\0';
			return 0;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return -ENOENT;
}

static bool ext4_label_is(const char *devname, const char *label)
{
	char sys[300];
	uint8_t sb[1024];
	ssize_t n;
	int fd;
	size_t ll = strlen(label);
	bool match = false;

	snprintf(sys, sizeof(sys), "/sys/class/block/%s/dev", devname);
	unlink(PROBE_NODE);
	if (dev_node_from_sys(sys, PROBE_NODE, 0600))
		return false;
	fd = open(PROBE_NODE, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	unlink(PROBE_NODE);
	if (fd < 0)
		return false;
	n = pread(fd, sb, sizeof(sb), EXT4_SB_OFF);
	close(fd);
	if (n != (ssize_t)sizeof(sb))
		return false;
	/* s_magic at 56 (le16), s_volume_name at 120 (16 bytes, NUL padded). */
	if ((sb[56] | sb[57] << 8) != EXT4_MAGIC)
		return false;
	if (ll <= 16 && !memcmp(sb + 120, label, ll) && (ll == 16 || sb[120 + ll] == 0))
		match = true;
	return match;
}

/* by_label: false = GPT name pass, true = ext4 label pass. */
int blockdev_find(const char *label, bool by_label, char *dev, size_t cap)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int found = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300], uevent[1024], val[64];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", de->d_name);
		n = read_file(path, uevent, sizeof(uevent) - 1);
		if (n < 0)
			continue;
		uevent[n] = '\0';
		if (!by_label) {
			if (uevent_get(uevent, "PARTNAME", val, sizeof(val)) || strcmp(val, label))
				continue;
		} else {
			snprintf(path, sizeof(path), "/sys/class/block/%s/size", de->d_name);
			n = read_file(path, val, sizeof(val) - 1);
			if (n <= 0 || (val[0] == '0' && (n == 1 || val[1] == '\n')))
				continue;
			if (!ext4_label_is(de->d_name, label))
				continue;
		}
		if (found++) {
			log_line("%s and %s both match '%s'", dev, de->d_name, label);
			break;
		}
		if ((size_t)snprintf(dev, cap, "%s", de->d_name) >= cap) {
			found = -1;
			break;
		}
	}
	closedir(d);
	if (found < 0)
		return -ENAMETOOLONG;
	if (found > 1)
		return -EEXIST;
	return found ? 0 : -ENOENT;
}

int blockdev_node(const char *dev, char *node, size_t cap, mode_t mode)
{
	char sys[300];

	snprintf(sys, sizeof(sys), "/sys/class/block/%s/dev", dev);
	if ((size_t)snprintf(node, cap, "/dev/%s", dev) >= cap)
		return -ENAMETOOLONG;
	return dev_node_from_sys(sys, node, mode);
}

/* Opens (making if needed) a directory entry of dirfd, never through a
 * symlink, and gives it exactly this owner and mode. */
static int own_dir(int dirfd, const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;
	int fd, r = 0;

	if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* The Umbilical stages every transfer in /persist/transfer and links it
 * into the receiver's inbox only when whole: whatever is still there at
 * start-up is what a crash or power cut interrupted (docs/umbilical.md). */
static void persist_sweep_transfer(int persist_fd)
{
	int t = openat(persist_fd, UMB_STAGE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int n = t >= 0 ? umb_sweep(t) : -errno;

	if (t >= 0)
		close(t);
	if (n < 0)
		log_err(n, "umbilical: sweep /persist/transfer");
	else if (n > 0)
		log_line("umbilical: swept %d leftover(s) from /persist/transfer", n);
}

int persist_mount(struct bay0 *b)
{
	const char *label = b->conf.persist_label;
	char dev[64], node[96];
	const char *how = "gpt name";
	int r, fd;

	r = blockdev_find(label, false, dev, sizeof(dev));
	if (r == -ENOENT) {
		how = "ext4 label";
		r = blockdev_find(label, true, dev, sizeof(dev));
	}
	if (r == -ENOENT) {
		log_line("persist: no partition named '%s'", label);
		return r;
	}
	if (r)
		return r;
	r = blockdev_node(dev, node, sizeof(node), 0600);
	if (r) {
		log_err(r, "persist: mknod %s", node);
		return r;
	}
	if (mount(node, BAY0_PERSIST, "ext4", MS_NODEV | MS_NOSUID | MS_NOEXEC | MS_NOATIME,
	          "errors=remount-ro") < 0) {
		r = -errno;
		log_err(r, "persist: mount %s", node);
		return r;
	}
	b->persist_mounted = true;
	/* The top level is root's: a persona sees only its own subtree, and
	 * only bay0 makes entries here. */
	fd = open(BAY0_PERSIST, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0755) < 0)
		r = -errno;
	if (!r)
		r = own_dir(fd, "transfer", 0, 0, 0700);
	if (!r)
		persist_sweep_transfer(fd);
	close(fd);
	if (r) {
		log_err(r, "persist: prepare");
		return r;
	}
	log_line("persist mounted: /dev/%s (%s '%s') nodev,nosuid,noexec", dev, how, label);
	return 0;
}

int persist_subtree(const char *name, unsigned uid, unsigned gid)
{
	int fd, r;

	fd = open(BAY0_PERSIST, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = own_dir(fd, name, (uid_t)uid, (gid_t)gid, 0700);
	close(fd);
	return r;
}

int persist_unmount(struct bay0 *b)
{
	const struct timespec wait = {0, 100 * 1000 * 1000};
	int r = 0;

	if (!b->persist_mounted)
		return 0;
	sync();
	for (int i = 0; i < 20; i++) {
		if (umount2(BAY0_PERSIST, 0) == 0) {
			b->persist_mounted = false;
			log_line("persist unmounted");
			return 0;
		}
		r = -errno;
		if (r != -EBUSY)
			break;
		nanosleep(&wait, NULL);
	}
	/* Still busy (a process in D state): at least make the journal
	 * consistent and writes impossible before the power goes. */
	log_err(r, "persist: unmount");
	if (mount(NULL, BAY0_PERSIST, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
		log_line("persist remounted read-only");
	else
		log_err(-errno, "persist: remount read-only");
	return r;
}
