/*
 * Host test of the Umbilical's copy (bay0/umbilical_copy.c), as root in a
 * private mount namespace (tests/host/umbilical-copy.sh): the source
 * persona's outbox and the receiver's inbox are made the way a hostile
 * persona would make them, and every refusal must leave the staging
 * folder empty and the inbox without the file. One PASS/FAIL line a case.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sv.h"
#include "umbilical_copy.h"

#define SRC_UID 100001u
#define DST_UID 100002u

static int failures;
static char base[256];
static int src_root, dst_root, stage_dir;

static void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: umbilical copy: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

static void die(const char *what)
{
	printf("FAIL: umbilical copy: setup: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put(int dir, const char *path, const uint8_t *p, size_t n, mode_t mode)
{
	int fd = openat(dir, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || fchmod(fd, mode) < 0 ||
	    fchown(fd, SRC_UID, SRC_UID) < 0)
		die(path);
	close(fd);
}

static unsigned entries(int dir)
{
	int fd = dup(dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		die("fdopendir");
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static bool in_inbox(const char *name)
{
	char p[512];
	struct stat st;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return false; /* not a name in the inbox: refused before any lookup */
	snprintf(p, sizeof(p), "inbox/%s", name);
	return fstatat(dst_root, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);

	if (!p)
		die("malloc");
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

static const struct umb_caps caps_default = {.max_bytes = 16u << 20, .max_files = 8};

/* One transfer that must be refused with a reason containing want. */
static void refused(const char *what, int src, const char *name, const struct umb_caps *caps,
                    const struct umb_copy_hooks *hooks, const char *want)
{
	struct umb_staged st;
	char err[256] = "";
	int r = umb_stage(src, name, stage_dir, "t.1", caps ? caps : &caps_default, hooks, &st, err,
	                  sizeof(err));
	bool ok = r < 0 && strstr(err, want) && st.fd == -1 && entries(stage_dir) == 0 &&
	          !in_inbox(name);

	if (r == 0)
		umb_discard(&st, stage_dir);
	result(ok, "%s: refused (%s)", what, r < 0 ? err : "accepted!");
}

/* ---- hooks that act as the source persona during the copy ------------- */

static void grow(void *arg, uint64_t copied)
{
	static const uint8_t more[100000];
	int fd;

	(void)copied;
	if (*(int *)arg)
		return;
	*(int *)arg = 1;
	fd = openat(src_root, "outbox/grow", O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, more, sizeof(more)) != (ssize_t)sizeof(more))
		die("grow");
	close(fd);
}

static void change(void *arg, uint64_t copied)
{
	int fd;

	(void)copied;
	if (*(int *)arg)
		return;
	*(int *)arg = 1;
	fd = openat(src_root, "outbox/change", O_WRONLY);
	if (fd < 0 || pwrite(fd, "XXXX", 4, 0) != 4)
		die("change");
	close(fd);
}

static void swap(void *arg, uint64_t copied)
{
	(void)copied;
	if (*(int *)arg)
		return;
	*(int *)arg = 1;
	if (renameat(src_root, "outbox/other", src_root, "outbox/swap") < 0)
		die("swap");
}

/* ---- crashes ---------------------------------------------------------------
 * bay0 killed (SIGKILL) at random moments of a transfer: the inbox then
 * holds nothing or the whole file, never a part, and the start-up sweep
 * leaves /persist/transfer empty. A process kill keeps the page cache, so
 * this shows the order of the steps; the power-cut VM test (not built yet)
 * is what shows the fsyncs. */
static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int one_transfer(const char *name)
{
	struct umb_staged st;
	char err[256];
	int r = umb_stage(src_root, "crash", stage_dir, "t.crash", &caps_default, NULL, &st, err,
	                  sizeof(err));

	return r ? r
	         : umb_deliver(&st, stage_dir, dst_root, name, DST_UID, DST_UID, &caps_default,
	                       NULL, err, sizeof(err));
}

static void crashes(const uint8_t *data, size_t n, const uint8_t want[SV_SHA512_LEN])
{
	long long t0 = now_us(), span;
	unsigned none = 0, whole = 0, parts = 0, dirty = 0;
	int r;

	put(src_root, "outbox/crash", data, n, 0644);
	r = one_transfer("crash-calibrate");
	span = now_us() - t0;
	if (r) {
		result(false, "crash: a calibration transfer failed (%d)", r);
		return;
	}
	srand(12345);
	for (int i = 0; i < 24; i++) {
		char name[32], p[64];
		struct stat s;
		/* Four at fixed fractions, four well after the end, the rest
		 * at random across the transfer and a little past it. */
		long long at = i < 4    ? (long long)i * span / 4
		               : i < 20 ? rand() % (span + span / 5 + 1)
		                        : 5 * span;
		pid_t pid;

		snprintf(name, sizeof(name), "crash-%d", i);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(one_transfer(name) ? 1 : 0);
		if (at > 0) {
			struct timespec ts = {.tv_sec = at / 1000000,
			                      .tv_nsec = (at % 1000000) * 1000};
			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(p, sizeof(p), "inbox/%s", name);
		if (fstatat(dst_root, p, &s, AT_SYMLINK_NOFOLLOW) < 0) {
			none++;
		} else {
			uint8_t *back = malloc(n + 1), got[SV_SHA512_LEN];
			int fd = openat(dst_root, p, O_RDONLY);
			ssize_t k = fd >= 0 && back ? read(fd, back, n + 1) : -1;
			if (k == (ssize_t)n) {
				sv_sha512(back, n, got);
				k = memcmp(got, want, sizeof(got)) ? -1 : k;
			}
			if (k == (ssize_t)n && s.st_uid == DST_UID && (s.st_mode & 07777) == 0600)
				whole++;
			else
				parts++;
			free(back);
			if (fd >= 0)
				close(fd);
			unlinkat(dst_root, p, 0);
		}
		umb_sweep(stage_dir);
		dirty += entries(stage_dir) != 0;
	}
	result(parts == 0, "crash: killed at 24 moments: %u none, %u whole, %u partial", none,
	       whole, parts);
	result(none > 0 && whole > 0, "crash: the kills landed both before and after delivery");
	result(dirty == 0, "crash: the sweep leaves /persist/transfer empty every time");
	unlinkat(dst_root, "inbox/crash-calibrate", 0);
}

int main(int argc, char **argv)
{
	char err[256];
	struct umb_staged st;
	struct stat s, srcst;
	uint8_t want[SV_SHA512_LEN];
	size_t big = (3u << 20) + 123; /* not a whole number of chunks */
	uint8_t *data = pattern(big, 7);
	int r, fd, flag;

	if (argc != 2)
		return 2;
	alarm(60); /* a FIFO that blocks must fail the test, not hang it */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("private mount namespace");
	snprintf(base, sizeof(base), "%s", argv[1]);
	if (chdir(base) < 0)
		die(base);
	/* src: the web persona's subtree; dst: work's; transfer: bay0's. */
	if (mkdir("src", 0700) || mkdir("src/outbox", 0700) || mkdir("dst", 0700) ||
	    mkdir("transfer", 0700) || mkdir("secret", 0700) || mkdir("evil", 0700) ||
	    mkdir("mnt", 0700) || chown("src", SRC_UID, SRC_UID) ||
	    chown("src/outbox", SRC_UID, SRC_UID) || chown("dst", DST_UID, DST_UID))
		die("folders");
	src_root = open("src", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst_root = open("dst", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	stage_dir = open("transfer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src_root < 0 || dst_root < 0 || stage_dir < 0)
		die("open folders");
	{
		int sfd = open("secret", O_RDONLY | O_DIRECTORY);
		put(sfd, "key", (const uint8_t *)"top secret\n", 11, 0600);
		close(sfd);
	}

	/* ---- the accepted transfer --------------------------------------- */
	put(src_root, "outbox/report v2 \xc3\xa9.bin", data, big, 04755);
	sv_sha512(data, big, want);
	r = umb_stage(src_root, "report v2 \xc3\xa9.bin", stage_dir, "t.1", &caps_default, NULL,
	              &st, err, sizeof(err));
	result(r == 0 && st.size == big && !memcmp(st.sha512, want, sizeof(want)),
	       "staged whole with the source's SHA-512 (%s)", r ? err : "ok");
	result(r == 0 && entries(stage_dir) == 1 && !in_inbox("report v2 \xc3\xa9.bin"),
	       "staged copy invisible to the receiver until accepted");
	r = r ? r
	      : umb_deliver(&st, stage_dir, dst_root, "report v2 \xc3\xa9.bin", DST_UID, DST_UID,
	                    &caps_default, NULL, err, sizeof(err));
	result(r == 0, "delivered (%s)", r ? err : "ok");
	fstatat(src_root, "outbox/report v2 \xc3\xa9.bin", &srcst, 0);
	if (fstatat(dst_root, "inbox/report v2 \xc3\xa9.bin", &s, AT_SYMLINK_NOFOLLOW) < 0)
		memset(&s, 0, sizeof(s));
	result(S_ISREG(s.st_mode) && s.st_uid == DST_UID && s.st_gid == DST_UID,
	       "arrives a regular file owned by the receiver (uid %u)", (unsigned)s.st_uid);
	result((s.st_mode & 07777) == 0600,
	       "mode 0600: no x bit, no set-id bit (source was 4755, got %o)",
	       (unsigned)(s.st_mode & 07777));
	result(s.st_nlink == 1 && s.st_ino != srcst.st_ino, "a copy, never a link");
	fd = openat(dst_root, "inbox/report v2 \xc3\xa9.bin", O_RDONLY);
	{
		uint8_t *back = malloc(big + 1);
		ssize_t n = fd >= 0 && back ? read(fd, back, big + 1) : -1;
		result(n == (ssize_t)big && !memcmp(back, data, big), "arrives whole: %zd bytes",
		       n);
		free(back);
		if (fd >= 0)
			close(fd);
	}
	if (fstatat(dst_root, "inbox", &s, AT_SYMLINK_NOFOLLOW) < 0)
		memset(&s, 0, sizeof(s));
	result(S_ISDIR(s.st_mode) && s.st_uid == DST_UID && (s.st_mode & 0777) == 0700,
	       "the inbox is made, owned by the receiver");
	result(entries(stage_dir) == 0, "nothing left in /persist/transfer");
	result(fstatat(src_root, "outbox/report v2 \xc3\xa9.bin", &s, 0) == 0 &&
	               s.st_size == (off_t)big,
	       "the source keeps its file");

	/* ---- what the source persona can put in its outbox ---------------- */
	if (symlinkat("../../secret/key", src_root, "outbox/link") < 0 ||
	    symlinkat("report v2 \xc3\xa9.bin", src_root, "outbox/inner") < 0)
		die("symlink");
	refused("a symbolic link out of the outbox", src_root, "link", NULL, NULL, "symbolic link");
	refused("a symbolic link inside the outbox", src_root, "inner", NULL, NULL,
	        "symbolic link");
	if (mkfifoat(src_root, "outbox/fifo", 0600) < 0)
		die("mkfifo");
	refused("a FIFO", src_root, "fifo", NULL, NULL, "a FIFO, not a regular file");
	if (mknodat(src_root, "outbox/null", S_IFCHR | 0666, makedev(1, 3)) < 0)
		die("mknod");
	refused("a device node", src_root, "null", NULL, NULL,
	        "a character device, not a regular file");
	if (mkdirat(src_root, "outbox/dir", 0700) < 0)
		die("mkdir");
	refused("a directory", src_root, "dir", NULL, NULL, "a directory, not a regular file");
	put(src_root, "outbox/a", data, 10, 0644);
	if (linkat(src_root, "outbox/a", src_root, "outbox/b", 0) < 0)
		die("link");
	refused("a file with a second hard link", src_root, "b", NULL, NULL, "2 links");
	refused("a missing file", src_root, "nothing", NULL, NULL, "no such file in the outbox");
	{
		struct umb_caps small = {.max_bytes = 4096, .max_files = 8};
		put(src_root, "outbox/big", data, 4097, 0644);
		refused("a file over the cap", src_root, "big", &small, NULL,
		        "4097 bytes, over the cap of 4096");
	}
	/* ---- names -------------------------------------------------------- */
	refused("'..'", src_root, "..", NULL, NULL, "name rule: '.' and '..'");
	refused("'../secret/key'", src_root, "../secret/key", NULL, NULL, "name rule: '/'");
	refused("an absolute path", src_root, "/etc/passwd", NULL, NULL, "name rule: '/'");
	refused("a name with an escape sequence", src_root, "a\x1b[2J", NULL, NULL,
	        "name rule: control character U+001B");
	refused("a name that is not UTF-8", src_root, "a\xff", NULL, NULL,
	        "name rule: not valid UTF-8");
	/* ---- paths, below the name rule: openat2 itself ------------------- */
	r = umb_open_beneath(src_root, "outbox/../../secret/key", O_RDONLY, 0);
	result(r == -EXDEV, "openat2: '..' out of the subtree refused (%s)", strerror(-r));
	r = umb_open_beneath(src_root, "/etc/passwd", O_RDONLY, 0);
	result(r == -EXDEV, "openat2: an absolute path refused (%s)", strerror(-r));
	if (symlink("../secret", "src/outbox/sdir") < 0)
		die("symlink dir");
	r = umb_open_beneath(src_root, "outbox/sdir/key", O_RDONLY, 0);
	result(r == -ELOOP, "openat2: a symlinked folder refused (%s)", strerror(-r));
	r = umb_open_beneath(src_root, "outbox/../outbox/a", O_RDONLY, 0);
	result(r >= 0, "openat2: '..' that stays inside works (it is not the refusal)");
	if (r >= 0)
		close(r);
	/* The whole outbox a symlink to somewhere else. */
	{
		int evil;
		if (mkdir("evil/real", 0700) < 0 || symlink("../secret", "evil/outbox") < 0)
			die("evil");
		evil = open("evil", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		refused("an outbox that is a symbolic link to a folder", evil, "key", NULL, NULL,
		        "symbolic link");
		close(evil);
	}
	/* A mount point on the way (a persona cannot mount; bay0 must not
	 * cross one anyway). */
	if (mount("tmpfs", "mnt", "tmpfs", 0, "size=1m,mode=0700") < 0 ||
	    mkdir("mnt/outbox", 0700) < 0)
		die("tmpfs");
	{
		int mfd = open("mnt", O_RDONLY | O_DIRECTORY), m2;
		put(mfd, "outbox/f", data, 10, 0644);
		close(mfd);
		if (mkdir("src/outbox/m", 0700) < 0 ||
		    mount("mnt", "src/outbox/m", NULL, MS_BIND, NULL) < 0)
			die("bind");
		r = umb_open_beneath(src_root, "outbox/m/outbox/f", O_RDONLY, 0);
		result(r == -EXDEV, "openat2: a mount point on the way refused (%s)", strerror(-r));
		if (mkdir("mp", 0700) < 0 || mkdir("mp/outbox", 0700) < 0 ||
		    mount("mnt/outbox", "mp/outbox", NULL, MS_BIND, NULL) < 0)
			die("bind outbox");
		m2 = open("mp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		refused("an outbox that is a mount point", m2, "f", NULL, NULL, "crosses a mount");
		close(m2);
	}
	/* ---- the source persona acting during the copy -------------------- */
	{
		struct umb_caps cap = {.max_bytes = 200000, .max_files = 8};
		struct umb_copy_hooks h = {.after_chunk = grow, .arg = &flag};
		flag = 0;
		put(src_root, "outbox/grow", data, 131072, 0644);
		refused("a file that grows over the cap during the copy", src_root, "grow", &cap,
		        &h, "grew during the copy");
	}
	{
		struct umb_copy_hooks h = {.after_chunk = change, .arg = &flag};
		flag = 0;
		put(src_root, "outbox/change", data, 300000, 0644);
		refused("a file written during the copy", src_root, "change", NULL, &h,
		        "changed during the copy");
	}
	{
		struct umb_copy_hooks h = {.after_chunk = swap, .arg = &flag};
		flag = 0;
		put(src_root, "outbox/swap", data, 300000, 0644);
		put(src_root, "outbox/other", data + 1, 300000, 0644);
		refused("a file swapped for another during the copy", src_root, "swap", NULL, &h,
		        "during the copy");
	}

	/* ---- the receiver's side ------------------------------------------ */
	put(src_root, "outbox/c", data, 10, 0644);
	put(src_root, "outbox/small", (const uint8_t *)"one\n", 4, 0644);
	r = umb_stage(src_root, "small", stage_dir, "t.2", &caps_default, NULL, &st, err,
	              sizeof(err));
	if (r == 0)
		r = umb_deliver(&st, stage_dir, dst_root, "small", DST_UID, DST_UID, &caps_default,
		                NULL, err, sizeof(err));
	result(r == 0, "a second file delivered (%s)", r ? err : "ok");
	put(src_root, "outbox/small", (const uint8_t *)"two!\n", 5, 0644);
	r = umb_stage(src_root, "small", stage_dir, "t.3", &caps_default, NULL, &st, err,
	              sizeof(err));
	if (r == 0)
		r = umb_deliver(&st, stage_dir, dst_root, "small", DST_UID, DST_UID, &caps_default,
		                NULL, err, sizeof(err));
	fstatat(dst_root, "inbox/small", &s, 0);
	result(r == -EEXIST && strstr(err, "already in the inbox") && s.st_size == 4 &&
	               entries(stage_dir) == 0,
	       "a name already in the inbox is never replaced (%s)", err);
	{
		struct umb_caps two = {.max_bytes = 1u << 20, .max_files = 2};
		r = umb_stage(src_root, "c", stage_dir, "t.4", &two, NULL, &st, err, sizeof(err));
		if (r == 0)
			r = umb_deliver(&st, stage_dir, dst_root, "c", DST_UID, DST_UID, &two, NULL,
			                err, sizeof(err));
		result(r == -EDQUOT && !in_inbox("c") && entries(stage_dir) == 0,
		       "an inbox at its file cap takes no more (%s)", err);
	}
	r = umb_stage(src_root, "c", stage_dir, "t.5", &caps_default, NULL, &st, err, sizeof(err));
	if (r == 0 && pwrite(st.fd, "Z", 1, 3) == 1)
		r = umb_deliver(&st, stage_dir, dst_root, "c", DST_UID, DST_UID, &caps_default,
		                NULL, err, sizeof(err));
	result(r == -EIO && !in_inbox("c") && entries(stage_dir) == 0,
	       "a staged copy that changed before delivery is not delivered (%s)", err);
	/* The receiver swaps its inbox for a symlink to somewhere it wants
	 * bay0 to write. */
	if (renameat(dst_root, "inbox", dst_root, "inbox.old") < 0 ||
	    symlinkat("../secret", dst_root, "inbox") < 0)
		die("inbox symlink");
	r = umb_stage(src_root, "c", stage_dir, "t.6", &caps_default, NULL, &st, err, sizeof(err));
	if (r == 0)
		r = umb_deliver(&st, stage_dir, dst_root, "c", DST_UID, DST_UID, &caps_default,
		                NULL, err, sizeof(err));
	result((r == -ELOOP || r == -ENOTDIR) && faccessat(AT_FDCWD, "secret/c", F_OK, 0) < 0 &&
	               entries(stage_dir) == 0,
	       "an inbox that is a symbolic link is refused (%s)", err);
	unlinkat(dst_root, "inbox", 0);
	renameat(dst_root, "inbox.old", dst_root, "inbox");
	/* Denied or timed out: the staged copy goes, nothing arrives. */
	r = umb_stage(src_root, "c", stage_dir, "t.7", &caps_default, NULL, &st, err, sizeof(err));
	umb_discard(&st, stage_dir);
	result(r == 0 && entries(stage_dir) == 0 && !in_inbox("c") && st.fd == -1,
	       "a denied transfer leaves nothing anywhere");
	crashes(data, big, want);
	/* Start-up sweep: what a crash left in /persist/transfer. */
	put(stage_dir, "t.8", data, 100, 0600);
	put(stage_dir, "t.9", data, 0, 0600);
	r = umb_sweep(stage_dir);
	result(r == 2 && entries(stage_dir) == 0, "the start-up sweep removes leftovers (%d)", r);
	free(data);
	return failures ? 1 : 0;
}
