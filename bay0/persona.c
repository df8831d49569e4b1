/*
 * persona.c: verify an image into sealed memory, launch a persona contained,
 * purge it. The order of the child's steps is the containment argument; each
 * is explained where it happens and tabled in docs/containment.md.
 */
#define _GNU_SOURCE
#include "persona.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "persona_seccomp.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Images are held in RAM (the sealed memfd): cap them. */
#define IMAGE_MAX (1ull << 30)
/* How long purge waits for a killed persona to be gone before calling it a
 * containment failure. SIGKILL is not blockable; only an uninterruptible
 * sleep in the kernel can hold a task this long. */
#define PURGE_TIMEOUT_MS 5000

void persona_init(struct persona *p, const struct passport *pp)
{
	memset(p, 0, sizeof *p);
	p->pp = *pp;
	p->image_fd = p->pidfd = p->cgroup_fd = p->loop_fd = -1;
	p->loop_nr = -1;
	p->exit_status = -1;
	p->state = PERSONA_IDLE;
	persona_net_init(&p->net);
}

static void loop_detach(struct persona *p);
static void verity_teardown(struct persona *p);

void persona_release(struct persona *p)
{
	p->teardown[0] = 0;
	if (p->dm_name[0]) {
		verity_teardown(p);
	} else if (p->image_mnt[0]) {
		/* Copies in dead personas' namespaces are gone already; the
		 * loop device clears once this last mount of it is. */
		umount2(p->image_mnt, MNT_DETACH);
		rmdir(p->image_mnt);
		p->image_mnt[0] = 0;
	}
	loop_detach(p);
	if (p->image_fd >= 0)
		close(p->image_fd);
	p->image_fd = -1;
}

/* ---- image: read once, seal, then hash the sealed bytes -------------- */

static unsigned image_fs_type(const uint8_t *m, size_t len)
{
	/* squashfs: "hsqs" at 0; erofs: 0xE0F5E1E2 little-endian at 1024. */
	if (len >= 96 && memcmp(m, "hsqs", 4) == 0)
		return PERSONA_FS_SQUASHFS;
	if (len >= 1028 && m[1024] == 0xe2 && m[1025] == 0xe1 && m[1026] == 0xf5 && m[1027] == 0xe0)
		return PERSONA_FS_EROFS;
	return 0;
}

/* A verity image: nothing of it is read here. Its size must be the pinned
 * one (a truncated or extended file is refused before anything is set up);
 * every block is verified by the kernel as it is read, against the root
 * hash the passport pins. The fs type is the passport's (erofs), not the
 * superblock's: no unsigned byte of the image decides anything. */
static int verity_image_open(struct persona *p, int inventory_dirfd, char *err, size_t errlen)
{
	const char *name = p->pp.image;
	struct stat st;
	int in = openat(inventory_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return persona_refuse(err, errlen, errno, "image %s: open: %s", name,
		                      strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return persona_refuse(err, errlen, EINVAL, "image %s: not a regular file", name);
	}
	if ((uint64_t)st.st_size != p->pp.verity.size) {
		close(in);
		return persona_refuse(err, errlen, EINVAL,
		                      "image %s: size %lld, the passport pins %llu", name,
		                      (long long)st.st_size, (unsigned long long)p->pp.verity.size);
	}
	if (p->image_fd >= 0)
		close(p->image_fd);
	p->image_fd = in;
	p->fs_type = PERSONA_FS_EROFS;
	return 0;
}

int persona_image_load(struct persona *p, int inventory_dirfd, char *err, size_t errlen)
{
	const char *name = p->pp.image;
	int in = -1, mfd = -1, r;
	uint8_t *m = MAP_FAILED;
	struct stat st;

	if (p->pp.form == PASSPORT_IMAGE_VERITY)
		return verity_image_open(p, inventory_dirfd, err, errlen);
	in = openat(inventory_dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return persona_refuse(err, errlen, errno, "image %s: open: %s", name,
		                      strerror(errno));
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = persona_refuse(err, errlen, EINVAL, "image %s: not a regular file", name);
		goto out;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > IMAGE_MAX) {
		r = persona_refuse(err, errlen, EFBIG, "image %s: size %lld outside 1..%llu", name,
		                   (long long)st.st_size, IMAGE_MAX);
		goto out;
	}
	size_t size = (size_t)st.st_size;
	mfd = memfd_create(p->pp.name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || ftruncate(mfd, (off_t)size) < 0) {
		r = persona_refuse(err, errlen, errno, "image %s: memfd: %s", name,
		                   strerror(errno));
		goto out;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED) {
		r = persona_refuse(err, errlen, errno, "image %s: mmap: %s", name, strerror(errno));
		goto out;
	}
	/* The one read of the inventory file. A file that changes size while
	 * being read is refused; one that changes content is caught by the
	 * hash, which is taken over the sealed copy below. */
	for (size_t off = 0; off < size;) {
		ssize_t n = read(in, m + off, size - off > (1u << 20) ? 1u << 20 : size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = persona_refuse(err, errlen, n < 0 ? errno : EIO, "image %s: short read",
			                   name);
			goto out;
		}
		off += (size_t)n;
	}
	munmap(m, size);
	m = MAP_FAILED;
	/* F_SEAL_WRITE needs no writable mapping left: hence munmap first. */
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		r = persona_refuse(err, errlen, errno, "image %s: seal: %s", name, strerror(errno));
		goto out;
	}
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED) {
		r = persona_refuse(err, errlen, errno, "image %s: mmap: %s", name, strerror(errno));
		goto out;
	}
	uint8_t digest[SV_SHA512_LEN];
	sv_sha512(m, size, digest);
	if (!sv_ct_equal(digest, p->pp.image_sha512, sizeof digest)) {
		r = persona_refuse(err, errlen, EPERM,
		                   "image %s: SHA-512 differs from the passport", name);
		goto out;
	}
	p->fs_type = image_fs_type(m, size);
	if (!p->fs_type) {
		r = persona_refuse(err, errlen, EINVAL, "image %s: neither erofs nor squashfs",
		                   name);
		goto out;
	}
	if (p->image_fd >= 0)
		close(p->image_fd);
	p->image_fd = mfd;
	mfd = -1;
	r = 0;
out:
	if (m != MAP_FAILED)
		munmap(m, size);
	if (mfd >= 0)
		close(mfd);
	close(in);
	return r;
}

/* ---- loop device over the sealed memfd -------------------------------- */

/* GET_FREE may create a device that bay0's minimal /dev has no node for
 * yet: make it from what sysfs says its numbers are. */
static int loop_mknod(int nr, const char *dev)
{
	char sys[64], buf[32];
	snprintf(sys, sizeof sys, "/sys/class/block/loop%d/dev", nr);
	int fd = open(sys, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unsigned maj, min;
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	if (sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -EIO;
	if (mknod(dev, S_IFBLK | 0600, makedev(maj, min)) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int loop_attach(struct persona *p, const char **step)
{
	*step = "open /dev/loop-control";
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	int r = -EBUSY;
	/* GET_FREE and CONFIGURE are two steps: another user may take the
	 * device in between (EBUSY), so try a few times. */
	for (int tries = 0; tries < 8 && r == -EBUSY; tries++) {
		*step = "LOOP_CTL_GET_FREE";
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (nr < 0) {
			r = -errno;
			break;
		}
		char dev[32];
		snprintf(dev, sizeof dev, "/dev/loop%d", nr);
		*step = "open /dev/loopN";
		int fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && loop_mknod(nr, dev) == 0)
			fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		/* Read-only, and gone by itself once the last mount of it is. */
		struct loop_config cfg = {
		        .fd = (unsigned)p->image_fd,
		        .info = {.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR}};
		/* A verity image: 4096-byte sectors as the tree's blocks, and
		 * never more of the file than the passport pins. */
		if (p->pp.form == PASSPORT_IMAGE_VERITY) {
			cfg.block_size = PASSPORT_VERITY_BLOCK;
			cfg.info.lo_sizelimit = p->pp.verity.size;
		}
		*step = "LOOP_CONFIGURE";
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		p->loop_fd = fd;
		p->loop_nr = nr;
		r = 0;
	}
	close(ctl);
	return r;
}

static void loop_detach(struct persona *p)
{
	if (p->loop_fd < 0)
		return;
	/* With AUTOCLEAR this only marks it if a mount still holds it. */
	ioctl(p->loop_fd, LOOP_CLR_FD, 0);
	if (p->teardown[0] && p->pp.form == PASSPORT_IMAGE_VERITY) {
		/* Released means unbound now, while bay0 still holds it open. */
		struct loop_info64 li;
		size_t n = strlen(p->teardown);
		if (ioctl(p->loop_fd, LOOP_GET_STATUS64, &li) < 0 && errno == ENXIO)
			snprintf(p->teardown + n, sizeof p->teardown - n, ", loop%d released",
			         p->loop_nr);
		else
			snprintf(p->teardown + n, sizeof p->teardown - n, ", loop%d STILL BOUND",
			         p->loop_nr);
	}
	close(p->loop_fd);
	p->loop_fd = -1;
	p->loop_nr = -1;
}

/* Mounts the verified image once, in bay0's namespace, for every launch of
 * this persona to copy: the superblock and loop device are set up once, and
 * a launch only pays for its own namespace's copy of the mount. */
/* Unmount, remove the dm device and its node; the loop device follows in
 * loop_detach. Each step is reported in p->teardown for bay0's log. */
static void verity_teardown(struct persona *p)
{
	int r = 0;
	if (p->image_mnt[0]) {
		/* Every persona namespace holding a copy is dead by now: a plain
		 * unmount lets go of the dm device at once. */
		if (umount2(p->image_mnt, 0) < 0) {
			r = -errno;
			umount2(p->image_mnt, MNT_DETACH);
		}
		rmdir(p->image_mnt);
		p->image_mnt[0] = 0;
	}
	int rr = verity_remove(p->dm_name);
	unlink(p->dm_node);
	if (rr)
		snprintf(p->teardown, sizeof p->teardown, "verity device %s: remove: %s%s",
		         p->dm_name, strerror(-rr), r ? " (unmount was busy)" : "");
	else
		snprintf(p->teardown, sizeof p->teardown,
		         "image unmounted%s, verity device %s removed",
		         r ? " (detached: busy)" : "", p->dm_name);
	p->dm_name[0] = 0;
	p->dm_node[0] = 0;
}

int persona_verity_check(const struct persona *p)
{
	if (p->pp.form != PASSPORT_IMAGE_VERITY || !p->dm_name[0])
		return 0;
	return verity_status(p->dm_name);
}

/* The verity device over the loop device: the table from the passport's
 * values, read-only; node /dev/mapper/<name> (bay0's /dev only). The name is
 * new for every activation, so no two launches ever share a device. */
static int verity_setup(struct persona *p, const char **step)
{
	static unsigned seq;
	struct stat st;
	int r;

	*step = "image size changed since it was checked";
	if (fstat(p->image_fd, &st) < 0 || (uint64_t)st.st_size != p->pp.verity.size)
		return -EINVAL;
	if ((r = loop_attach(p, step)))
		return r;
	*step = "stat loop device";
	if (fstat(p->loop_fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	snprintf(p->dm_name, sizeof p->dm_name, "spine-%s-%u", p->pp.name, ++seq);
	if ((r = verity_activate(p->dm_name, &p->pp.verity, st.st_rdev, &p->dm_dev, p->dm_table,
	                         step))) {
		p->dm_name[0] = 0;
		goto fail;
	}
	snprintf(p->dm_node, sizeof p->dm_node, "/dev/mapper/%s", p->dm_name);
	*step = "mknod /dev/mapper/<name>";
	if (mknod(p->dm_node, S_IFBLK | 0600, p->dm_dev) < 0) {
		r = -errno;
		verity_remove(p->dm_name);
		p->dm_name[0] = 0;
		p->dm_node[0] = 0;
		goto fail;
	}
	return 0;
fail:
	loop_detach(p);
	return r;
}

/* Mounts erofs from the verity device, read-only, nodev, nosuid, private.
 * Any failure (a corrupted superblock reads as EIO) tears everything down:
 * there is no other way to mount a verity image. */
static int verity_mount(struct persona *p, const char *mnt, const char **step)
{
	int r;
	if ((r = verity_setup(p, step)))
		return r;
	*step = "mkdir image mount point";
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	*step = "mount erofs from the verity device";
	if (mount(p->dm_node, mnt, "erofs", MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0) {
		r = -errno;
		rmdir(mnt);
		goto fail;
	}
	*step = "make image mount private";
	if (mount(NULL, mnt, NULL, MS_PRIVATE, NULL) < 0) {
		r = -errno;
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
		goto fail;
	}
	snprintf(p->image_mnt, sizeof p->image_mnt, "%s", mnt);
	return 0;
fail:
	verity_remove(p->dm_name);
	unlink(p->dm_node);
	p->dm_name[0] = 0;
	p->dm_node[0] = 0;
	loop_detach(p);
	return r;
}

static int image_mount(struct persona *p, const struct persona_env *env, const char **step)
{
	char mnt[sizeof p->image_mnt], src[32];
	int r;

	snprintf(mnt, sizeof mnt, "%s/%s", env->stage_dir, p->pp.name);
	if (p->pp.form == PASSPORT_IMAGE_VERITY)
		return verity_mount(p, mnt, step);
	if ((r = loop_attach(p, step)))
		return r;
	*step = "mkdir image mount point";
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		goto fail;
	}
	snprintf(src, sizeof src, "/dev/loop%d", p->loop_nr);
	*step = "mount image read-only";
	if (mount(src, mnt, p->fs_type == PERSONA_FS_EROFS ? "erofs" : "squashfs",
	          MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0) {
		r = -errno;
		rmdir(mnt);
		goto fail;
	}
	/* Private: launches' mounts on top of their copies stay theirs. */
	*step = "make image mount private";
	if (mount(NULL, mnt, NULL, MS_PRIVATE, NULL) < 0) {
		r = -errno;
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
		goto fail;
	}
	memcpy(p->image_mnt, mnt, sizeof mnt);
	return 0;
fail:
	loop_detach(p);
	return r;
}

/* ---- the child: from a copy of bay0 to the entry ---------------------- */

struct child_ctx {
	const struct persona *p;
	const struct persona_env *env;
	const struct sock_fprog *filter;
	int status_fd; /* write end, CLOEXEC: EOF at exec means success */
	int stdio[3];  /* >= 3, CLOEXEC */
	int persist_fd;
	bool join_cgroup; /* clone() fallback: join and unshare here */
	char *const *argv;
	char *const *envp;
};

struct child_report {
	int err;
	char step[160];
};

__attribute__((noreturn)) static void child_fail(const struct child_ctx *c, const char *step,
                                                 int err)
{
	struct child_report rep = {.err = err};
	snprintf(rep.step, sizeof rep.step, "%s", step);
	if (write(c->status_fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
		dprintf(2, "bay0: persona %s: %s: %s\n", c->p->pp.name, step, strerror(err));
	_exit(err == ENOENT || err == ENOEXEC ? 127 : 126);
}

#define STEP(c, what, expr)                                                                        \
	do {                                                                                       \
		if ((expr) < 0)                                                                    \
			child_fail((c), (what), errno);                                            \
	} while (0)

static void path_in(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s%s", root, rel);
}

/* runc's masked paths. Files get /dev/null bound over them, directories an
 * empty read-only tmpfs. Absent ones are skipped: nothing to hide. */
static const char *const proc_masked[] = {
        "/proc/acpi",          "/proc/asound",        "/proc/kcore",       "/proc/keys",
        "/proc/latency_stats", "/proc/timer_list",    "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",          "/proc/sysrq-trigger",
};
static const char *const proc_readonly[] = {
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
};

static const struct {
	uint32_t bit;
	unsigned maj, min;
} dev_nodes[] = {
        {PASSPORT_DEV_NULL, 1, 3},   {PASSPORT_DEV_ZERO, 1, 5},    {PASSPORT_DEV_FULL, 1, 7},
        {PASSPORT_DEV_RANDOM, 1, 8}, {PASSPORT_DEV_URANDOM, 1, 9}, {PASSPORT_DEV_TTY, 5, 0},
};

static void child_mounts(const struct child_ctx *c)
{
	const struct passport *pp = &c->p->pp;
	/* This namespace's copy of bay0's read-only image mount. */
	const char *root = c->p->image_mnt;
	char path[4096];

	/* Nothing mounted from here on may propagate back to bay0. */
	STEP(c, "make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));

	char opts[96];
	snprintf(opts, sizeof opts, "mode=1777,size=%llu", (unsigned long long)pp->memory_max);
	path_in(path, sizeof path, root, "/tmp");
	STEP(c, "mount tmpfs /tmp", mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts));
	path_in(path, sizeof path, root, "/run");
	STEP(c, "mount tmpfs /run",
	     mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=1m"));

	/* /dev: only the granted nodes, then read-only so none can be added,
	 * removed or replaced (unlink /dev/null -> EROFS). */
	char dev[1024];
	path_in(dev, sizeof dev, root, "/dev");
	STEP(c, "mount tmpfs /dev",
	     mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k,nr_inodes=64"));
	for (size_t i = 0; i < sizeof dev_nodes / sizeof dev_nodes[0]; i++) {
		if (!(pp->devices & dev_nodes[i].bit))
			continue;
		snprintf(path, sizeof path, "%s/%s", dev, passport_dev_name(dev_nodes[i].bit));
		STEP(c, "mknod in /dev",
		     mknod(path, S_IFCHR | 0666, makedev(dev_nodes[i].maj, dev_nodes[i].min)));
		/* mknod obeys the umask; the mode must not. */
		STEP(c, "chmod in /dev", chmod(path, 0666));
	}
	static const char *const links[][2] = {
	        {"/proc/self/fd", "fd"},
	        {"/proc/self/fd/0", "stdin"},
	        {"/proc/self/fd/1", "stdout"},
	        {"/proc/self/fd/2", "stderr"},
	};
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dev, links[i][1]);
		STEP(c, "symlink in /dev", symlink(links[i][0], path));
	}
	STEP(c, "remount /dev read-only",
	     mount(NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL));

	/* /proc of the new PID namespace (this process is its PID 1). */
	char proc[1024];
	path_in(proc, sizeof proc, root, "/proc");
	STEP(c, "mount /proc", mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	for (size_t i = 0; i < sizeof proc_masked / sizeof proc_masked[0]; i++) {
		struct stat st;
		path_in(path, sizeof path, root, proc_masked[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			STEP(c, "mask /proc directory",
			     mount("tmpfs", path, "tmpfs",
			           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			           "size=0,mode=555"));
		else
			STEP(c, "mask /proc file", mount("/dev/null", path, NULL, MS_BIND, NULL));
	}
	for (size_t i = 0; i < sizeof proc_readonly / sizeof proc_readonly[0]; i++) {
		path_in(path, sizeof path, root, proc_readonly[i]);
		if (access(path, F_OK) < 0)
			continue;
		STEP(c, "bind /proc path for read-only",
		     mount(path, path, NULL, MS_BIND | MS_REC, NULL));
		STEP(c, "remount /proc path read-only",
		     mount(NULL, path, NULL,
		           MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		           NULL));
	}

	/* /persist/<name> only. A bind source must be a mount of this
	 * namespace, so the fd bay0 opened cannot be bound directly: reopen
	 * the path here (bay0-owned components; the last one O_NOFOLLOW) and
	 * insist on the very directory bay0 checked and chowned. */
	if (c->persist_fd >= 0) {
		char fdpath[64];
		struct stat want, got;
		snprintf(path, sizeof path, "%s/%s", c->env->persist_root, pp->name);
		int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			child_fail(c, "reopen /persist/<name>", errno);
		if (fstat(fd, &got) < 0 || fstat(c->persist_fd, &want) < 0)
			child_fail(c, "stat /persist/<name>", errno);
		if (got.st_dev != want.st_dev || got.st_ino != want.st_ino)
			child_fail(c, "/persist/<name> changed under bay0", EXDEV);
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
		path_in(path, sizeof path, root, "/persist");
		STEP(c, "bind /persist/<name>", mount(fdpath, path, NULL, MS_BIND, NULL));
		close(fd);
		unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV;
		if (pp->persist != PASSPORT_PERSIST_RW_EXEC)
			fl |= MS_NOEXEC;
		STEP(c, "remount /persist flags", mount(NULL, path, NULL, fl, NULL));
	}

	/* pivot_root(new, new) then detach the old root stacked beneath: no
	 * directory needed for it, and nothing of the Spine stays reachable. */
	STEP(c, "chdir to new root", chdir(root));
	STEP(c, "pivot_root", (int)syscall(SYS_pivot_root, ".", "."));
	STEP(c, "detach old root", umount2(".", MNT_DETACH));
	STEP(c, "chdir /", chdir("/"));
}

static void child_net(const struct child_ctx *c)
{
	/* An empty network namespace has lo down; bring it up so local IPC
	 * over 127.0.0.1 works. Nothing else exists to reach. */
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		child_fail(c, "socket for lo", errno);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		child_fail(c, "get lo flags", errno);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		child_fail(c, "bring lo up", errno);
	close(s);
}

__attribute__((noreturn)) static void child_main(const struct child_ctx *c)
{
	const struct passport *pp = &c->p->pp;

	/* network device: the namespace bay0 made and moved it into
	 * (persona_net_claim) instead of a new empty one. */
	if (c->p->net.netns_fd >= 0)
		STEP(c, "enter the persona's network namespace",
		     setns(c->p->net.netns_fd, CLONE_NEWNET));
	if (c->join_cgroup) {
		/* clone() fallback: enter the cgroup before anything of the
		 * persona runs, then root the cgroup namespace there. */
		int fd = openat(c->p->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			child_fail(c, "join cgroup", errno);
		close(fd);
		STEP(c, "unshare cgroup namespace", unshare(CLONE_NEWCGROUP));
	}
	child_mounts(c);
	STEP(c, "sethostname", sethostname(pp->name, strlen(pp->name)));
	child_net(c);

	/* stdio: the sources were moved to fds >= 3 in the parent. */
	for (int i = 0; i < 3; i++)
		STEP(c, "dup2 stdio", dup2(c->stdio[i], i));
	/* Every fd but 0-2 closes at exec; the status pipe must live until
	 * then, so mark rather than close (CVE-2024-21626: no leaked dirfd). */
	STEP(c, "close_range", (int)syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC));
	/* New session, no controlling terminal: TIOCSTI has no target. */
	STEP(c, "setsid", setsid());

	const char *step;
	int r = c->p->net.userns_fd >= 0
	                ? persona_net_drop_privileges(c->p->net.userns_fd, pp->uid, pp->gid, &step)
	                : persona_drop_privileges(pp->uid, pp->gid, &step);
	if (r)
		child_fail(c, step, -r);

	/* Signals: bay0 blocks and ignores what it handles through signalfd;
	 * the entry starts from the defaults. */
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	STEP(c, "unblock signals", sigprocmask(SIG_SETMASK, &none, NULL));

	/* Last before exec: after this only execve and the failure report. */
	r = persona_seccomp_load(c->filter);
	if (r)
		child_fail(c, "load seccomp filter", -r);
	execve(c->argv[0], c->argv, c->envp);
	child_fail(c, "execve entry", errno);
}

/* ---- launch ------------------------------------------------------------ */

static int prepare_persist(const struct persona *p, const struct persona_env *env, int *out,
                           const char **step)
{
	*out = -1;
	if (p->pp.persist == PASSPORT_PERSIST_NONE)
		return 0;
	*step = "open persist root";
	if (!env->persist_root)
		return -ENOENT;
	int root = open(env->persist_root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	int r = 0, fd = -1;
	*step = "mkdir /persist/<name>";
	if (mkdirat(root, p->pp.name, 0700) < 0 && errno != EEXIST)
		r = -errno;
	*step = "open /persist/<name> (must be a directory, not a symlink)";
	if (!r &&
	    (fd = openat(root, p->pp.name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = -errno;
	*step = "chown /persist/<name>";
	if (!r && (fchown(fd, p->pp.uid, p->pp.gid) < 0 || fchmod(fd, 0700) < 0))
		r = -errno;
	close(root);
	if (r && fd >= 0)
		close(fd);
	if (!r)
		*out = fd;
	return r;
}

/* The child runs on a stack of its own in bay0's memory (see do_clone). The
 * region is bay0's alone and only ever used by one child at a time: bay0
 * sleeps while a child runs on it. A guard page below catches overflow. */
#define CHILD_STACK_SIZE (256u * 1024)

static char *child_stack(void)
{
	static char *top;
	if (!top) {
		size_t guard = (size_t)sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, guard + CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		if (mprotect(m, guard, PROT_NONE) < 0) {
			int e = errno;
			munmap(m, guard + CHILD_STACK_SIZE);
			errno = e;
			return NULL;
		}
		top = m + guard + CHILD_STACK_SIZE; /* page-aligned, so 16-byte aligned */
	}
	return top;
}

static int child_start(void *arg)
{
	child_main(arg);
}

#if defined(__x86_64__)
/* clone3 with a new stack cannot go through syscall(): the child would
 * return through a frame on a stack it does not have. So: the syscall, and
 * in the child (rax 0, rsp at the new stack's top) a call to child_start(c),
 * which never returns. fn and arg ride in rdx and r8, which the syscall
 * leaves alone in both parent and child. */
static long clone3_run(struct clone_args *ca, struct child_ctx *c)
{
	register long rax __asm__("rax") = SYS_clone3;
	register struct clone_args *rdi __asm__("rdi") = ca;
	register size_t rsi __asm__("rsi") = sizeof *ca;
	register int (*rdx)(void *) __asm__("rdx") = child_start;
	register struct child_ctx *r8 __asm__("r8") = c;
	__asm__ volatile("syscall\n\t"
	                 "test %%rax, %%rax\n\t"
	                 "jnz 1f\n\t"
	                 "xor %%ebp, %%ebp\n\t"
	                 "mov %%r8, %%rdi\n\t"
	                 "call *%%rdx\n\t"
	                 "ud2\n"
	                 "1:"
	                 : "+r"(rax)
	                 : "r"(rdi), "r"(rsi), "r"(rdx), "r"(r8)
	                 : "rcx", "r11", "memory", "cc");
	if (rax < 0) {
		errno = (int)-rax;
		return -1;
	}
	return rax;
}
#else
#error "persona.c: clone3_run is x86-64 only (so is the seccomp filter)"
#endif

/* Starts the child, which runs child_main(c) and never returns here. It
 * shares bay0's memory (CLONE_VM) and bay0 sleeps until it has exec'd or
 * died (CLONE_VFORK), as posix_spawn does: no copy of bay0's page tables at
 * clone, none to tear down at exec, and the status pipe has its answer when
 * this returns. Everything else is the child's own as before: namespaces,
 * fd table, fs root/cwd, signal dispositions, credentials, seccomp. The
 * child changes only its own stack, errno, and (through its uid change)
 * the shared memory's dumpable flag, which persona_launch restores. */
static pid_t do_clone(struct persona *p, struct child_ctx *c, int *pidfd)
{
	char *stack = child_stack();
	if (!stack)
		return -1;
	uint64_t ns = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
	if (p->net.netns_fd >= 0)
		ns &= ~(uint64_t)CLONE_NEWNET; /* the child enters the one bay0 made */
	struct clone_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = ns | CLONE_NEWCGROUP | CLONE_PIDFD | CLONE_VM | CLONE_VFORK;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	ca.stack = (uint64_t)(uintptr_t)(stack - CHILD_STACK_SIZE);
	ca.stack_size = CHILD_STACK_SIZE;
	if (p->cgroup_fd >= 0) {
		/* Born inside its cgroup, limits already in place. */
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)p->cgroup_fd;
	}
	/* A device owner enters its user namespace (persona_net.c), which the
	 * kernel refuses to a task sharing its memory: a plain fork for it. */
	if (p->net.userns_fd >= 0)
		ca.flags &= ~(uint64_t)(CLONE_VM | CLONE_VFORK);
	c->join_cgroup = false;
	long pid = clone3_run(&ca, c);
	if (pid >= 0 || (errno != ENOSYS && errno != E2BIG))
		return (pid_t)pid;
	/* Kernels before 5.7 (no CLONE_INTO_CGROUP): clone(), and the child
	 * joins its cgroup first thing, before anything of the persona runs,
	 * then unshares its cgroup namespace there. */
	c->join_cgroup = p->cgroup_fd >= 0;
	int fl = (int)ns | CLONE_PIDFD | SIGCHLD;
	if (p->net.userns_fd < 0)
		fl |= CLONE_VM | CLONE_VFORK;
	if (!c->join_cgroup)
		fl |= CLONE_NEWCGROUP;
	return clone(child_start, stack, fl, c, pidfd);
}

static int move_high(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

int persona_launch(struct persona *p, const struct persona_env *env, char *err, size_t errlen)
{
	const struct passport *pp = &p->pp;
	const char *step = "";
	int r, status[2] = {-1, -1}, persist_fd = -1, nullfd = -1;
	struct child_ctx c;
	char *argv[PASSPORT_ARGC_MAX + 1];
	char env_home[32], env_persona[48];
	char *envp[] = {(char *)(uintptr_t) "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
	                env_home, env_persona, NULL};

	if (p->state == PERSONA_RUNNING)
		return persona_refuse(err, errlen, EBUSY, "%s: already running", pp->name);
	if (p->image_fd < 0)
		return persona_refuse(err, errlen, EINVAL, "%s: no verified image", pp->name);
	/* The child builds paths under it in fixed buffers. */
	if (!env->stage_dir || env->stage_dir[0] != '/' || strlen(env->stage_dir) > 500)
		return persona_refuse(err, errlen, EINVAL,
		                      "%s: stage directory must be absolute, <= 500 bytes",
		                      pp->name);
	memset(&c, 0, sizeof c);
	c.p = p;
	c.env = env;
	c.stdio[0] = c.stdio[1] = c.stdio[2] = -1;
	passport_argv(pp, argv);
	c.argv = argv;
	snprintf(env_home, sizeof env_home, "HOME=%s",
	         pp->persist != PASSPORT_PERSIST_NONE ? "/persist" : "/");
	snprintf(env_persona, sizeof env_persona, "PERSONA=%s", pp->name);
	c.envp = envp;

	step = "build seccomp filter";
	if ((r = pp->net == PASSPORT_NET_DEVICE ? persona_seccomp_prog_netdev(&c.filter)
	                                        : persona_seccomp_prog(&c.filter)))
		goto fail;
	if ((r = prepare_persist(p, env, &persist_fd, &step)))
		goto fail;
	c.persist_fd = persist_fd;
	step = "stdio";
	for (int i = 0; i < 3; i++) {
		int src = env->stdio[i];
		if (src < 0) {
			if (nullfd < 0 && (nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
				r = -errno;
				goto fail;
			}
			src = nullfd;
		}
		if ((c.stdio[i] = move_high(src)) < 0) {
			r = -errno;
			goto fail;
		}
	}
	if (env->cgroup_v2 &&
	    (r = persona_cgroup_create(env->cgroup_root, pp, !env->cgroup_limits_off, &p->cgroup_fd,
	                               &step)))
		goto fail;
	if (!p->image_mnt[0] && (r = image_mount(p, env, &step)))
		goto fail;
	char net_err[240];
	if ((r = persona_net_claim(&p->net, pp, net_err, sizeof net_err))) {
		step = net_err;
		goto fail;
	}
	step = "status pipe";
	if (pipe2(status, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail;
	}
	/* PID 1 may run with 0-2 closed: keep the write end clear of the
	 * child's dup2 onto 0-2, or an early EOF would read as a good exec. */
	if (status[1] < 3) {
		int hi = move_high(status[1]);
		if (hi < 0) {
			r = -errno;
			goto fail;
		}
		close(status[1]);
		status[1] = hi;
	}
	c.status_fd = status[1];

	int pidfd = -1;
	step = "clone";
	/* The child starts on bay0's memory: no handler of bay0's may run on
	 * it. Everything is blocked until the child has reset every
	 * disposition (step 9), and in bay0 again once clone returns. */
	sigset_t all, saved;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	pid_t pid = do_clone(p, &c, &pidfd);
	int clone_errno = errno;
	/* The child's uid change cleared the dumpable flag of the memory it
	 * shared with bay0 until its exec: give bay0 its own back. */
	if (dumpable >= 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (pid < 0) {
		r = -clone_errno;
		goto fail;
	}

	close(status[1]);
	status[1] = -1;
	struct child_report rep;
	ssize_t n;
	do
		n = read(status[0], &rep, sizeof rep);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		/* The child stopped before exec (a report) or the pipe broke:
		 * reap it here, it never became a persona. */
		siginfo_t si;
		waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED);
		close(pidfd);
		if (n == (ssize_t)sizeof rep) {
			rep.step[sizeof rep.step - 1] = 0;
			step = rep.step;
			r = -rep.err;
		} else {
			step = "read status pipe";
			r = n < 0 ? -errno : -EPROTO;
		}
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->pid = pid;
	p->pidfd = pidfd;
	p->state = PERSONA_RUNNING;
	p->exit_status = -1;
	r = 0;
	goto out;
fail:
	persona_refuse(err, errlen, -r, "%s: %s: %s", pp->name, step, strerror(-r));
	persona_net_return(&p->net, pp, NULL, 0);
	if (p->cgroup_fd >= 0) {
		close(p->cgroup_fd);
		p->cgroup_fd = -1;
		persona_cgroup_remove(env->cgroup_root, pp->name);
	}
out:
	for (int i = 0; i < 2; i++)
		if (status[i] >= 0)
			close(status[i]);
	for (int i = 0; i < 3; i++)
		if (c.stdio[i] >= 0)
			close(c.stdio[i]);
	if (nullfd >= 0)
		close(nullfd);
	if (persist_fd >= 0)
		close(persist_fd);
	return r;
}

/* ---- purge ------------------------------------------------------------- */

int persona_purge(struct persona *p, const struct persona_env *env, const char *why, char *err,
                  size_t errlen)
{
	const struct passport *pp = &p->pp;
	int r = 0;

	if (p->state != PERSONA_RUNNING)
		return 0;
	(void)why; /* the caller logs it, with the outcome */
	/* Kill everything: the cgroup at once if there is one; SIGKILL to the
	 * namespace's PID 1 in any case, whose death makes the kernel kill
	 * every other process of the PID namespace. */
	int kr = p->cgroup_fd >= 0 ? persona_cgroup_kill(p->cgroup_fd) : 0;
	/* Even when cgroup.kill failed: the PID namespace still dies with its
	 * PID 1, so try that before reporting the failure. */
	if (syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return persona_refuse(err, errlen, errno, "%s: pidfd_send_signal: %s", pp->name,
		                      strerror(errno));
	/* The namespace's PID 1 is reported dead only after the kernel has
	 * reaped every other process of its PID namespace. */
	struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
	int n;
	do
		n = poll(&pfd, 1, PURGE_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return persona_refuse(err, errlen, ETIMEDOUT, "%s: still alive %d ms after SIGKILL",
		                      pp->name, PURGE_TIMEOUT_MS);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED) == 0)
		p->exit_status =
		        si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
	else if (errno != ECHILD) /* ECHILD: the event loop reaped it first */
		return persona_refuse(err, errlen, errno, "%s: waitid: %s", pp->name,
		                      strerror(errno));
	close(p->pidfd);
	p->pidfd = -1;
	p->pid = 0;
	/* No process of the persona is left: its network device goes back. */
	if ((r = persona_net_return(&p->net, pp, err, errlen)))
		return r;
	if (kr)
		return persona_refuse(err, errlen, -kr, "%s: cgroup kill: %s", pp->name,
		                      strerror(-kr));
	if (p->cgroup_fd >= 0) {
		if ((r = persona_cgroup_wait_empty(p->cgroup_fd, PURGE_TIMEOUT_MS)))
			return persona_refuse(err, errlen, -r, "%s: cgroup not empty: %s", pp->name,
			                      strerror(-r));
		close(p->cgroup_fd);
		p->cgroup_fd = -1;
		if ((r = persona_cgroup_remove(env->cgroup_root, pp->name)))
			return persona_refuse(err, errlen, -r, "%s: rmdir cgroup: %s", pp->name,
			                      strerror(-r));
	}
	/* Its mount namespace, with its copy of the image mount and every
	 * tmpfs, died with its last process. bay0's own image mount stays for a
	 * relaunch until persona_release(). */
	p->state = PERSONA_PURGED;
	return 0;
}
