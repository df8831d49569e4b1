/*
 * umbilical_copy.c: staging and delivery (umbilical_copy.h,
 * docs/umbilical.md, "The copy").
 *
 * The source persona owns its outbox and the receiver its inbox: both may
 * change under bay0 at any moment. So every path below a persona's
 * subtree is resolved with openat2 refusing links and mounts, the source
 * is first opened O_PATH (opening a FIFO or device node could block or
 * act) and only reopened for reading once fstat says it is a regular
 * file, and the staged copy lives in bay0's own folder until it is linked
 * into the inbox through a directory fd.
 */
#define _GNU_SOURCE
#include "umbilical_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK 65536

int umb_open_beneath(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	        .flags = (uint64_t)(flags | O_CLOEXEC),
	        .mode = (flags & O_CREAT) ? mode : 0,
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
	                   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, root, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

static const char *kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFLNK:
		return "a symbolic link";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFDIR:
		return "a directory";
	}
	return "not a regular file";
}

static void at(const struct umb_copy_hooks *hooks, enum umb_point p)
{
	if (hooks && hooks->at)
		hooks->at(hooks->arg, p);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static bool unchanged(const struct stat *a, const struct stat *b)
{
	return same_file(a, b) && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Hashes fd from offset 0 to its end; -EIO if it is not size bytes. */
static int hash_fd(int fd, uint64_t size, uint8_t out[SV_SHA512_LEN], uint8_t *buf)
{
	struct sv_sha512 h;
	uint64_t off = 0;

	sv_sha512_init(&h);
	for (;;) {
		ssize_t n = pread(fd, buf, CHUNK, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sv_sha512_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sv_sha512_final(&h, out);
	return off == size ? 0 : -EIO;
}

/* outbox/<name>, or outbox/<sub>/<name>. */
#define SRC_PATH_MAX (sizeof(UMB_OUTBOX) + 2 * (UMB_NAME_MAX + 1))
static void source_path(char path[SRC_PATH_MAX], const char *sub, const char *name)
{
	if (sub)
		snprintf(path, SRC_PATH_MAX, "%s/%s/%s", UMB_OUTBOX, sub, name);
	else
		snprintf(path, SRC_PATH_MAX, "%s/%s", UMB_OUTBOX, name);
}

static int open_source(int src_root, const char *sub, const char *name, struct stat *st, char *err,
                       size_t errlen)
{
	char path[SRC_PATH_MAX];
	int pfd, fd;

	source_path(path, sub, name);
	pfd = umb_open_beneath(src_root, path, O_PATH | O_NOFOLLOW, 0);
	if (pfd == -ENOENT)
		return persona_refuse(err, errlen, ENOENT, "no such file in the outbox");
	if (pfd == -ELOOP)
		return persona_refuse(err, errlen, ELOOP,
		                      "a symbolic link on the way to the file (never followed)");
	if (pfd == -EXDEV)
		return persona_refuse(err, errlen, EXDEV,
		                      "the path leaves the outbox or crosses a mount");
	if (pfd < 0)
		return persona_refuse(err, errlen, -pfd, "open in the outbox: %s", strerror(-pfd));
	if (fstat(pfd, st) < 0) {
		int e = errno;
		close(pfd);
		return persona_refuse(err, errlen, e, "fstat: %s", strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(pfd);
		return persona_refuse(err, errlen, EINVAL, "%s, not a regular file",
		                      kind(st->st_mode));
	}
	if (st->st_nlink != 1) {
		close(pfd);
		return persona_refuse(err, errlen, EMLINK,
		                      "a file with %ju links (want exactly one)",
		                      (uintmax_t)st->st_nlink);
	}
	/* The inode just checked, reopened for reading: no path lookup. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		close(pfd);
		return persona_refuse(err, errlen, e, "reopen: %s", strerror(e));
	}
	close(pfd);
	return fd;
}

int umb_stage(int src_root, const char *name, int stage_dir, const char *stage_name,
              const struct umb_caps *caps, const struct umb_copy_hooks *hooks,
              struct umb_staged *out, char *err, size_t errlen)
{
	return umb_stage_in(src_root, NULL, name, stage_dir, stage_name, caps, hooks, out, err,
	                    errlen);
}

int umb_stage_in(int src_root, const char *sub, const char *name, int stage_dir,
                 const char *stage_name, const struct umb_caps *caps,
                 const struct umb_copy_hooks *hooks, struct umb_staged *out, char *err,
                 size_t errlen)
{
	static uint8_t buf[CHUNK];
	char path[SRC_PATH_MAX];
	struct sv_sha512 h;
	struct stat before, after, again;
	uint8_t check[SV_SHA512_LEN];
	uint64_t total = 0;
	int src, dst = -1, e, pfd;
	bool halfway = false;

	out->fd = -1;
	e = umb_name_check(name, strlen(name), err, errlen);
	if (!e && sub)
		e = umb_name_check(sub, strlen(sub), err, errlen);
	if (e)
		return e;
	if (strlen(stage_name) >= sizeof(out->stage_name) || !stage_name[0] ||
	    strchr(stage_name, '/'))
		return persona_refuse(err, errlen, EINVAL, "internal: bad staging name");
	src = open_source(src_root, sub, name, &before, err, errlen);
	if (src < 0)
		return src;
	if ((uint64_t)before.st_size > caps->max_bytes) {
		e = persona_refuse(err, errlen, EFBIG, "%ju bytes, over the cap of %ju",
		                   (uintmax_t)before.st_size, (uintmax_t)caps->max_bytes);
		goto fail;
	}
	dst = openat(stage_dir, stage_name,
	             O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (dst < 0) {
		e = persona_refuse(err, errlen, errno, "staging %s: %s", stage_name,
		                   strerror(errno));
		goto fail;
	}
	sv_sha512_init(&h);
	for (;;) {
		ssize_t n = read(src, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = persona_refuse(err, errlen, errno, "read: %s", strerror(errno));
			goto fail_unlink;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > caps->max_bytes) {
			e = persona_refuse(err, errlen, EFBIG,
			                   "grew during the copy, over the cap of %ju",
			                   (uintmax_t)caps->max_bytes);
			goto fail_unlink;
		}
		sv_sha512_update(&h, buf, (size_t)n);
		e = write_all(dst, buf, (size_t)n);
		if (e) {
			e = persona_refuse(err, errlen, -e, "staging write: %s", strerror(-e));
			goto fail_unlink;
		}
		if (hooks && hooks->after_chunk)
			hooks->after_chunk(hooks->arg, total);
		if (!halfway && total >= (uint64_t)before.st_size / 2) {
			halfway = true;
			at(hooks, UMB_AT_MID_COPY);
		}
	}
	sv_sha512_final(&h, out->sha512);
	/* The bytes read are one version of one file: same inode, size and
	 * times as when it was opened, and still the one at that path. */
	if (fstat(src, &after) < 0 || !unchanged(&before, &after) ||
	    (uint64_t)after.st_size != total) {
		e = persona_refuse(err, errlen, EAGAIN, "the source changed during the copy");
		goto fail_unlink;
	}
	source_path(path, sub, name);
	pfd = umb_open_beneath(src_root, path, O_PATH | O_NOFOLLOW, 0);
	if (pfd < 0 || fstat(pfd, &again) < 0 || !same_file(&before, &again)) {
		if (pfd >= 0)
			close(pfd);
		e = persona_refuse(err, errlen, EAGAIN, "the source was swapped during the copy");
		goto fail_unlink;
	}
	close(pfd);
	/* Any fsync error ends the transfer: a retried fsync can succeed
	 * after the kernel has dropped the dirty pages. */
	if (fsync(dst) < 0 || fsync(stage_dir) < 0) {
		e = persona_refuse(err, errlen, errno, "fsync: %s", strerror(errno));
		goto fail_unlink;
	}
	at(hooks, UMB_AT_STAGED);
	e = hash_fd(dst, total, check, buf);
	if (e || memcmp(check, out->sha512, sizeof(check))) {
		e = persona_refuse(err, errlen, EIO, "the staged copy does not read back whole");
		goto fail_unlink;
	}
	close(src);
	out->fd = dst;
	out->size = total;
	snprintf(out->stage_name, sizeof(out->stage_name), "%s", stage_name);
	return 0;

fail_unlink:
	unlinkat(stage_dir, stage_name, 0);
	fsync(stage_dir);
fail:
	if (dst >= 0)
		close(dst);
	close(src);
	return e;
}

void umb_discard(struct umb_staged *st, int stage_dir)
{
	if (st->fd < 0)
		return;
	close(st->fd);
	st->fd = -1;
	unlinkat(stage_dir, st->stage_name, 0);
	fsync(stage_dir);
}

/* A DIR stream over its own copy of dirfd, from the start; NULL with errno. */
static DIR *dir_stream(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	rewinddir(d);
	return d;
}

static int count_entries(int dirfd, unsigned *n)
{
	DIR *d = dir_stream(dirfd);
	struct dirent *de;

	if (!d)
		return -errno;
	*n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(*n)++;
	closedir(d);
	return 0;
}

static int open_inbox(int dst_root, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int fd = umb_open_beneath(dst_root, UMB_INBOX, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);

	if (fd == -ENOENT) {
		if (mkdirat(dst_root, UMB_INBOX, 0700) < 0 && errno != EEXIST)
			return persona_refuse(err, errlen, errno, "make the inbox: %s",
			                      strerror(errno));
		fd = umb_open_beneath(dst_root, UMB_INBOX, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
		if (fd >= 0 && (fchown(fd, uid, gid) < 0 || fsync(dst_root) < 0)) {
			int e = errno;
			close(fd);
			return persona_refuse(err, errlen, e, "the inbox: %s", strerror(e));
		}
	}
	if (fd == -ELOOP || fd == -ENOTDIR)
		return persona_refuse(err, errlen, -fd,
		                      "the receiver's inbox is not a plain folder");
	if (fd == -EXDEV)
		return persona_refuse(err, errlen, EXDEV, "the receiver's inbox is a mount point");
	if (fd < 0)
		return persona_refuse(err, errlen, -fd, "the inbox: %s", strerror(-fd));
	return fd;
}

int umb_deliver(struct umb_staged *st, int stage_dir, int dst_root, const char *name, uid_t uid,
                gid_t gid, const struct umb_caps *caps, const struct umb_copy_hooks *hooks,
                char *err, size_t errlen)
{
	static uint8_t buf[CHUNK];
	uint8_t check[SV_SHA512_LEN];
	unsigned n = 0;
	int inbox = -1, e;

	if (st->fd < 0)
		return persona_refuse(err, errlen, EINVAL, "internal: nothing staged");
	e = umb_name_check(name, strlen(name), err, errlen);
	if (e)
		goto out;
	e = hash_fd(st->fd, st->size, check, buf);
	if (e || memcmp(check, st->sha512, sizeof(check))) {
		e = persona_refuse(err, errlen, EIO, "the staged copy changed");
		goto out;
	}
	inbox = open_inbox(dst_root, uid, gid, err, errlen);
	if (inbox < 0) {
		e = inbox;
		goto out;
	}
	e = count_entries(inbox, &n);
	if (e) {
		e = persona_refuse(err, errlen, -e, "read the inbox: %s", strerror(-e));
		goto out;
	}
	if (n >= caps->max_files) {
		e = persona_refuse(err, errlen, EDQUOT, "the inbox holds %u files, the cap", n);
		goto out;
	}
	/* Owner first: chown clears set-id bits, and the mode set after it
	 * is the whole mode. */
	if (fchown(st->fd, uid, gid) < 0 || fchmod(st->fd, 0600) < 0 || fsync(st->fd) < 0) {
		e = persona_refuse(err, errlen, errno, "give the copy to %u: %s", (unsigned)uid,
		                   strerror(errno));
		goto out;
	}
	at(hooks, UMB_AT_OWNED);
	/* A new name, never a replaced one; visible only now, whole. */
	if (linkat(stage_dir, st->stage_name, inbox, name, 0) < 0) {
		e = errno == EEXIST ? persona_refuse(err, errlen, EEXIST,
		                                     "a file of that name is already in the inbox")
		                    : persona_refuse(err, errlen, errno, "link into the inbox: %s",
		                                     strerror(errno));
		goto out;
	}
	if (fsync(inbox) < 0) {
		/* The link may or may not survive a crash now; take it back
		 * so that the outcome reported is the one on disk. */
		e = persona_refuse(err, errlen, errno, "fsync the inbox: %s", strerror(errno));
		unlinkat(inbox, name, 0);
		goto out;
	}
	at(hooks, UMB_AT_LINKED);
	e = 0;
out:
	if (inbox >= 0)
		close(inbox);
	umb_discard(st, stage_dir);
	return e;
}

/* Empties and removes the folder name in dir (a staged Spine update):
 * one level, as bay0 makes them. 0 or -errno. */
static int remove_folder(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			(void)unlinkat(fd, de->d_name, 0);
	closedir(d);
	return unlinkat(dir, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int umb_remove_folder(int stage_dir, const char *name)
{
	int e = remove_folder(stage_dir, name);

	fsync(stage_dir);
	return e;
}

int umb_sweep(int stage_dir)
{
	DIR *d = dir_stream(stage_dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(stage_dir, de->d_name, 0) == 0 ||
		    (errno == EISDIR && remove_folder(stage_dir, de->d_name) == 0))
			n++;
	}
	closedir(d);
	if (n)
		fsync(stage_dir);
	return n;
}
