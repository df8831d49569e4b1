/*
 * mount.c: the Spine's mount geometry (docs/bay0.md, "Read-only root").
 *
 * The initramfs is rootfs, which cannot be remounted read-only and cannot be
 * pivot_root'ed away from. So bay0 first bind-mounts the root onto a
 * directory of itself, moves that bind mount onto "/" and chroots into it
 * (what switch_root does, without copying). From then on "/" is an ordinary
 * bind mount: it can be made read-only with one MS_REMOUNT|MS_BIND, and the
 * persona launcher's pivot_root works inside it. The rootfs underneath is
 * unreachable from every process bay0 starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "util.h"

#define ROOT_BIND "/.bay0-root"

int mount_enter_root(void)
{
	/* Private first: a moved or bound mount must not propagate, and
	 * MS_MOVE refuses a shared parent. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mkdir(ROOT_BIND, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("/", ROOT_BIND, NULL, MS_BIND, NULL) < 0)
		return -errno;
	if (chdir(ROOT_BIND) < 0)
		return -errno;
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return -errno;
	if (chroot(".") < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	/* The bind shows the same tree, including the now empty mount point. */
	if (rmdir(ROOT_BIND) < 0)
		return -errno;
	return 0;
}

struct pseudo {
	const char *src, *dir, *type;
	unsigned long flags;
	const char *data;
};

/* /dev is a tmpfs we fill ourselves (dev.c): devtmpfs would show every node
 * the kernel knows, including the ones nobody should open. */
static const struct pseudo pseudo[] = {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
        {"cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate"},
        {"dev", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=512k,nr_inodes=256"},
        {"run", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=16m"},
};

static int cgroup_has_controllers(void)
{
	char buf[512];
	const char *need[] = {"cpu", "cpuset", "memory", "pids"};
	ssize_t n = read_file("/sys/fs/cgroup/cgroup.controllers", buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		size_t l = strlen(need[i]);
		const char *p = buf;
		int found = 0;
		while ((p = strstr(p, need[i]))) {
			if ((p == buf || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\n' || !p[l])) {
				found = 1;
				break;
			}
			p += l;
		}
		if (!found)
			return 0;
	}
	return 1;
}

int mount_pseudo(struct bay0 *b)
{
	int r;

	for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++) {
		const struct pseudo *m = &pseudo[i];

		r = mkdir_exist_ok(m->dir, 0755);
		if (r) {
			log_err(r, "mkdir %s", m->dir);
			return r;
		}
		if (mount(m->src, m->dir, m->type, m->flags, m->data) < 0) {
			r = -errno;
			log_err(r, "mount %s on %s", m->type, m->dir);
			return r;
		}
	}
	b->cgroup_v2 = cgroup_has_controllers();
	/* Made now, while the root is still writable. */
	r = mkdir_exist_ok(BAY0_PERSIST, 0755);
	if (r) {
		log_err(r, "mkdir " BAY0_PERSIST);
		return r;
	}
	r = mkdir_exist_ok("/inventory", 0755);
	if (!r)
		r = mkdir_exist_ok(BAY0_INVENTORY_DISK, 0755);
	if (r) {
		log_err(r, "mkdir " BAY0_INVENTORY_DISK);
		return r;
	}
	r = mkdir_exist_ok("/run/bay0", 0700);
	if (!r)
		r = mkdir_exist_ok(BAY0_STAGE_DIR, 0700);
	if (r) {
		log_err(r, "mkdir " BAY0_STAGE_DIR);
		return r;
	}
	log_line("mounted proc sys cgroup2 dev run; cgroup controllers: %s",
	         b->cgroup_v2 ? "cpu cpuset memory pids" : "missing");
	return 0;
}

int mount_seal_root(void)
{
	/* Read-only and nosuid: nothing on the Spine is setuid; nodev: its
	 * only device nodes live on the /dev tmpfs. */
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return -errno;
	return 0;
}

int mount_efivarfs(void)
{
	struct stat st;

	if (stat("/sys/firmware/efi", &st) < 0)
		return -ENODEV; /* not booted through EFI */
	if (mount("efivarfs", BAY0_EFIVARS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
	            0 &&
	    errno != EBUSY)
		return -errno;
	return 0;
}
