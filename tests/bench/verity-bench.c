/*
 * verity-bench: persona start time, memory and read throughput, dm-verity
 * against the whole-file SHA-512 form (make bench-verity; docs/passport.md,
 * "Verity images", "What verity costs"). Static, like bay0, and linked with
 * bay0's own persona code; tests/bench/verity-rcS.sh runs it in the VM, whose
 * kernel has device-mapper.
 *
 *   verity-bench --key PUB --inventory DIR --stage DIR [--cgroup DIR]
 *                [--rounds N] --verity-small P --verity-big P
 *                --whole-small P --whole-big P --read P --plain IMAGE
 *                --plain-entry PATH --plain-file PATH
 *
 * Start (N rounds through the four passports, each of the three short ones
 * CHEAP_REPEAT times a round, the 1 GiB whole-file one once; medians; one
 * uncounted launch first): caches dropped, then passport_load + persona_image_load +
 * persona_launch (the first launch, which binds the loop device, activates
 * the verity device if any and mounts the image) until the entry's first
 * byte (verity-guest hold). While that entry runs: the launcher's VmRSS and
 * VmHWM (reset before each round with clear_refs 5) and the system's
 * MemTotal-MemAvailable, beside the same just before the round. Then purge
 * and release, and nothing may be left: no dm device, no bound loop device.
 * Throughput: the --read passport's entry reads a file sequentially and
 * reports bytes and nanoseconds; then the bench itself mounts the --plain
 * image's erofs from a plain read-only loop device (no verity) and runs the
 * same reader from it on the same file. Caches dropped before each.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchstat.h"
#include "persona.h"

#define ROUNDS_MAX 100
/* The verity starts and the small whole-file one take well under a second
 * each: they run this many times per round, for medians that the noise of a
 * shared, emulated machine moves less; the 1 GiB whole-file start, tens of
 * seconds under TCG, once. */
#define CHEAP_REPEAT 4
#define SAMPLES_MAX (ROUNDS_MAX * CHEAP_REPEAT)

struct opts {
	const char *key, *inv, *stage, *cgroup;
	const char *vsmall, *vbig, *wsmall, *wbig, *read;
	const char *plain, *plain_entry, *plain_file;
	int rounds;
};

/* One passport's start figures, per round (us, KiB). */
struct start {
	const char *passport, *what;
	int n; /* starts recorded */
	double total[SAMPLES_MAX], load[SAMPLES_MAX], launch[SAMPLES_MAX];
	double used[SAMPLES_MAX]; /* MemTotal-MemAvailable while the entry runs */
	double idle[SAMPLES_MAX]; /* the same just before the start */
	long rss_kb;              /* launcher's VmRSS while running, max */
	long hwm_kb;              /* launcher's VmHWM over a round, max */
	long long image_bytes;
};

static long used_kb(void)
{
	long t = field_kb("/proc/meminfo", "MemTotal"),
	     a = field_kb("/proc/meminfo", "MemAvailable");
	return t < 0 || a < 0 ? -1 : t - a;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, val, strlen(val));
	int r = w < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int drop_caches(void)
{
	sync();
	int r = write_file("/proc/sys/vm/drop_caches", "3");
	if (r)
		fprintf(stderr, "verity-bench: /proc/sys/vm/drop_caches: %s\n", strerror(-r));
	return r;
}

/* What purge and release must leave: no dm device and no bound loop device
 * (the bench holds none of its own at that point). */
static int leftovers(char *what, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	int n = 0;
	what[0] = 0;
	if (!d) {
		snprintf(what, len, "/sys/block: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char path[300];
		struct stat st;
		snprintf(path, sizeof path, "/sys/block/%s/loop/backing_file", e->d_name);
		bool left = !strncmp(e->d_name, "dm-", 3) ||
		            (!strncmp(e->d_name, "loop", 4) && stat(path, &st) == 0);
		if (left) {
			size_t k = strlen(what);
			snprintf(what + k, len - k, "%s%s", k ? " " : "", e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int wait_byte(int fd)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* Reads the reader's "read <bytes> <ns>" to EOF. */
static int read_report(int fd, unsigned long long *bytes, long long *ns)
{
	char buf[256];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf - 1)
			break;
	}
	buf[len] = 0;
	return sscanf(buf, "read %llu %lld", bytes, ns) == 2 && *ns > 0 ? 0 : -1;
}

static int load_key(const char *path, sv_pubkey *pk)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0 || sv_pubkey_parse((uint8_t *)buf, (size_t)n, pk) != SV_OK) {
		fprintf(stderr, "verity-bench: %s: not a signify public key\n", path);
		return -1;
	}
	return 0;
}

struct ctx {
	const struct opts *o;
	sv_pubkey pk;
	int invfd;
	struct persona_env env;
};

/* passport_load + persona_image_load; *us is what they took. */
static int load(struct ctx *c, const char *passport, struct persona *p, double *us)
{
	char err[512];
	struct passport pp;
	double a = now_us();
	if (passport_load(c->invfd, passport, &c->pk, 1, &pp, err, sizeof err) < 0) {
		fprintf(stderr, "verity-bench: %s: %s\n", passport, err);
		return -1;
	}
	persona_init(p, &pp);
	if (persona_image_load(p, c->invfd, err, sizeof err) < 0) {
		fprintf(stderr, "verity-bench: %s: %s\n", passport, err);
		return -1;
	}
	*us = now_us() - a;
	return 0;
}

/* Purge, release, and check that nothing of the persona is left. */
static int teardown(struct ctx *c, struct persona *p, const char *passport)
{
	char err[512], left[256];
	if (persona_purge(p, &c->env, NULL, err, sizeof err) < 0) {
		fprintf(stderr, "verity-bench: %s: purge: %s\n", passport, err);
		return -1;
	}
	bool verity = p->pp.form == PASSPORT_IMAGE_VERITY;
	persona_release(p);
	if (verity && (!strstr(p->teardown, "released") || strstr(p->teardown, "STILL"))) {
		fprintf(stderr, "verity-bench: %s: release: %s\n", passport, p->teardown);
		return -1;
	}
	int n = leftovers(left, sizeof left);
	if (n != 0) {
		fprintf(stderr, "verity-bench: %s: left after release: %s\n", passport, left);
		return -1;
	}
	return 0;
}

/* One start of one passport, recorded in s as its next sample. */
static int start_one(struct ctx *c, const char *passport, struct start *s)
{
	int i = s->n;
	struct persona p;
	char err[512];
	int pfd[2];
	if (drop_caches())
		return -1;
	s->idle[i] = (double)used_kb();
	/* VmHWM from here on: this round's only. */
	if (write_file("/proc/self/clear_refs", "5")) {
		fprintf(stderr, "verity-bench: /proc/self/clear_refs: cannot reset VmHWM\n");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	double a = now_us();
	if (load(c, passport, &p, &s->load[i]) < 0)
		return -1;
	double b = now_us();
	struct persona_env env = c->env;
	env.stdio[1] = pfd[1];
	if (persona_launch(&p, &env, err, sizeof err) < 0) {
		fprintf(stderr, "verity-bench: %s: launch: %s\n", passport, err);
		return -1;
	}
	close(pfd[1]);
	if (wait_byte(pfd[0]) < 0) {
		fprintf(stderr, "verity-bench: %s: the entry wrote nothing\n", passport);
		return -1;
	}
	double e = now_us();
	s->total[i] = e - a;
	s->launch[i] = e - b;
	/* The entry is running now: this is the memory it costs. */
	s->used[i] = (double)used_kb();
	long rss = field_kb("/proc/self/status", "VmRSS");
	long hwm = field_kb("/proc/self/status", "VmHWM");
	if (rss > s->rss_kb)
		s->rss_kb = rss;
	if (hwm > s->hwm_kb)
		s->hwm_kb = hwm;
	struct stat st;
	s->image_bytes = fstat(p.image_fd, &st) == 0 ? (long long)st.st_size : -1;
	if (teardown(c, &p, passport) < 0)
		return -1;
	close(pfd[0]);
	s->n++;
	return 0;
}

/* The --read passport's entry reads the file; bytes per second. */
static int bench_read_verity(struct ctx *c, double *mbs, unsigned long long *bytes)
{
	const char *passport = c->o->read;
	struct persona p;
	char err[512];
	int pfd[2];
	double us;
	long long ns;
	if (drop_caches() || pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	if (load(c, passport, &p, &us) < 0)
		return -1;
	if (p.pp.form != PASSPORT_IMAGE_VERITY) {
		fprintf(stderr, "verity-bench: %s: not a verity passport\n", passport);
		return -1;
	}
	struct persona_env env = c->env;
	env.stdio[1] = pfd[1];
	if (persona_launch(&p, &env, err, sizeof err) < 0) {
		fprintf(stderr, "verity-bench: %s: launch: %s\n", passport, err);
		return -1;
	}
	close(pfd[1]);
	int r = read_report(pfd[0], bytes, &ns);
	close(pfd[0]);
	if (r < 0) {
		fprintf(stderr, "verity-bench: %s: the reader reported nothing\n", passport);
		return -1;
	}
	if (persona_verity_check(&p) != 'V') {
		fprintf(stderr, "verity-bench: %s: the verity device saw a corrupt block\n",
		        passport);
		return -1;
	}
	if (teardown(c, &p, passport) < 0)
		return -1;
	*mbs = (double)*bytes / 1048576.0 / ((double)ns / 1e9);
	return 0;
}

/* A plain read-only loop device over the image: the bench's own, no verity. */
static int plain_loop(int imgfd, char *dev, size_t len)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	int r = -EBUSY;
	for (int tries = 0; tries < 8 && r == -EBUSY; tries++) {
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (nr < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, len, "/dev/loop%d", nr);
		int fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		struct loop_config cfg = {
		        .fd = (unsigned)imgfd,
		        .info = {.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR}};
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		r = fd;
	}
	close(ctl);
	return r;
}

static int bench_read_plain(struct ctx *c, unsigned long long want, double *mbs)
{
	const struct opts *o = c->o;
	const char *mnt = "/run/verity-bench-plain";
	char dev[32], entry[512], file[512], left[256];
	unsigned long long bytes;
	long long ns;
	int r = -1;
	if (drop_caches())
		return -1;
	int img = openat(c->invfd, o->plain, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (img < 0) {
		fprintf(stderr, "verity-bench: %s: %s\n", o->plain, strerror(errno));
		return -1;
	}
	int lfd = plain_loop(img, dev, sizeof dev);
	close(img);
	if (lfd < 0) {
		fprintf(stderr, "verity-bench: %s: loop device: %s\n", o->plain, strerror(-lfd));
		return -1;
	}
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "verity-bench: %s: %s\n", mnt, strerror(errno));
		close(lfd);
		return -1;
	}
	if (mount(dev, mnt, "erofs", MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) < 0) {
		fprintf(stderr, "verity-bench: %s: mount erofs from %s: %s\n", o->plain, dev,
		        strerror(errno));
		close(lfd);
		return -1;
	}
	/* The mount holds the loop device now; AUTOCLEAR frees it at umount. */
	close(lfd);
	snprintf(entry, sizeof entry, "%s%s", mnt, o->plain_entry);
	snprintf(file, sizeof file, "%s%s", mnt, o->plain_file);
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		goto out;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl(entry, entry, "read", file, (char *)NULL);
		fprintf(stderr, "verity-bench: exec %s: %s\n", entry, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	int got = pid > 0 ? read_report(pfd[0], &bytes, &ns) : -1;
	close(pfd[0]);
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (got < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "verity-bench: %s: the plain reader failed\n", entry);
		goto out;
	}
	if (bytes != want) {
		fprintf(stderr, "verity-bench: plain read %llu bytes, the persona %llu\n", bytes,
		        want);
		goto out;
	}
	*mbs = (double)bytes / 1048576.0 / ((double)ns / 1e9);
	r = 0;
out:
	if (umount(mnt) < 0) {
		fprintf(stderr, "verity-bench: umount %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	rmdir(mnt);
	if (r == 0 && leftovers(left, sizeof left) != 0) {
		fprintf(stderr, "verity-bench: left after the plain read: %s\n", left);
		return -1;
	}
	return r;
}

/* The VM's root is the initramfs (rootfs), which pivot_root cannot leave,
 * as bay0's is: do what bay0's mount_enter_root() does (bind "/" onto a
 * directory of itself, move that onto "/", chroot into it), recursively so
 * that rcS's /proc, /sys, /dev and /run come along, in a mount namespace of
 * the bench's own. */
static int enter_root(void)
{
	const char *dir = "/.verity-bench-root";
	const char *step = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS) < 0)
		goto fail;
	step = "make / private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail;
	step = "mkdir the bind point";
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	step = "bind / onto itself";
	if (mount("/", dir, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(dir) < 0)
		goto fail;
	step = "move it onto /";
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "verity-bench: enter root: %s: %s\n", step, strerror(errno));
	return -1;
}

static int parse_rounds(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > ROUNDS_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *name;
		size_t off;
	} opt[] = {
#define O(n, f) {n, offsetof(struct opts, f)}
	        O("--key", key),
	        O("--inventory", inv),
	        O("--stage", stage),
	        O("--cgroup", cgroup),
	        O("--verity-small", vsmall),
	        O("--verity-big", vbig),
	        O("--whole-small", wsmall),
	        O("--whole-big", wbig),
	        O("--read", read),
	        O("--plain", plain),
	        O("--plain-entry", plain_entry),
	        O("--plain-file", plain_file),
#undef O
	};
	memset(o, 0, sizeof *o);
	o->rounds = 5;
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "verity-bench: %s needs a value\n", argv[i]);
			return -1;
		}
		if (!strcmp(argv[i], "--rounds")) {
			if (parse_rounds(argv[i + 1], &o->rounds) < 0) {
				fprintf(stderr, "verity-bench: --rounds %s: want 1..%d\n",
				        argv[i + 1], ROUNDS_MAX);
				return -1;
			}
			continue;
		}
		size_t k = 0;
		while (k < sizeof opt / sizeof opt[0] && strcmp(argv[i], opt[k].name))
			k++;
		if (k == sizeof opt / sizeof opt[0]) {
			fprintf(stderr, "verity-bench: unknown option %s\n", argv[i]);
			return -1;
		}
		*(const char **)(void *)((char *)o + opt[k].off) = argv[i + 1];
	}
	for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++) {
		if (!strcmp(opt[k].name, "--cgroup"))
			continue;
		if (!*(const char **)(void *)((char *)o + opt[k].off)) {
			fprintf(stderr,
			        "verity-bench: missing %s (see the head of verity-bench.c)\n",
			        opt[k].name);
			return -1;
		}
	}
	if (o->plain_entry[0] != '/' || o->plain_file[0] != '/') {
		fprintf(stderr,
		        "verity-bench: --plain-entry and --plain-file are absolute paths in "
		        "the image\n");
		return -1;
	}
	return 0;
}

/* Medians (median() sorts: copies, so the rounds stay paired). */
static double med(const double *v, int n)
{
	double t[SAMPLES_MAX];
	memcpy(t, v, (size_t)n * sizeof *v);
	return median(t, n);
}

static double lowest(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double highest(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static void print_start(const struct start *s)
{
	printf("bench: start %s (image %.1f MiB), median of %d: %.1f ms (passport+image load "
	       "%.1f ms, launch to entry %.1f ms; all %.1f..%.1f ms)\n",
	       s->what, (double)s->image_bytes / 1048576.0, s->n, med(s->total, s->n) / 1e3,
	       med(s->load, s->n) / 1e3, med(s->launch, s->n) / 1e3, lowest(s->total, s->n) / 1e3,
	       highest(s->total, s->n) / 1e3);
}

static void print_mem(const struct start *s)
{
	double used = med(s->used, s->n), idle = med(s->idle, s->n);
	printf("bench: memory %s, entry running: launcher VmRSS %ld KiB (VmHWM %ld KiB); system "
	       "used %.1f MiB (idle before it %.1f MiB, %+.1f MiB)\n",
	       s->what, s->rss_kb, s->hwm_kb, used / 1024.0, idle / 1024.0, (used - idle) / 1024.0);
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* Buffered stdout would be lost to the console if the VM stops first. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct ctx c = {.o = &o};
	if (enter_root() < 0)
		return 1;
	if (load_key(o.key, &c.pk) < 0)
		return 1;
	c.invfd = open(o.inv, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (c.invfd < 0) {
		fprintf(stderr, "verity-bench: %s: %s\n", o.inv, strerror(errno));
		return 1;
	}
	c.env = (struct persona_env){.cgroup_root = o.cgroup,
	                             .cgroup_v2 = o.cgroup != NULL,
	                             .stage_dir = o.stage,
	                             .stdio = {-1, -1, 2}};
	char left[256];
	if (leftovers(left, sizeof left) != 0) {
		fprintf(stderr, "verity-bench: dm or loop devices in use before the bench: %s\n",
		        left);
		return 1;
	}

	/* Static: 4 x 5 x SAMPLES_MAX doubles is no stack's business. */
	static struct start st[4], warm;
	const char *pp[4] = {o.vsmall, o.vbig, o.wsmall, o.wbig};
	const char *what[4] = {"verity, small", "verity, big", "whole-file SHA-512, small",
	                       "whole-file SHA-512, big"};
	for (int k = 0; k < 4; k++)
		st[k].passport = pp[k], st[k].what = what[k];
	struct start *vs = &st[0], *vb = &st[1], *ws = &st[2], *wb = &st[3];
	double t0 = now_us();
	/* One launch not counted: the kernel's first cgroup, dm device, erofs
	 * mount and seccomp load cost more than any later one. */
	if (start_one(&c, o.vsmall, &warm) < 0)
		return 1;
	/* Each round goes through the passports in turn, so that the load of a
	 * shared machine weighs on all alike, and starts one further on, so
	 * that none always follows the same one (the 1 GiB memfd's release,
	 * say). */
	for (int i = 0; i < o.rounds; i++)
		for (int j = 0; j < 4; j++) {
			struct start *s = &st[(i + j) % 4];
			for (int r = 0; r < (s == wb ? 1 : CHEAP_REPEAT); r++)
				if (start_one(&c, s->passport, s) < 0)
					return 1;
		}
	for (int k = 0; k < 4; k++)
		print_start(&st[k]);
#define MED(s, f) med((s)->f, (s)->n)
	printf("bench: ratio start big/small, verity: %.2fx (target close to 1)\n",
	       MED(vb, total) / MED(vs, total));
	printf("bench: ratio start big/small, whole-file: %.2fx\n",
	       MED(wb, total) / MED(ws, total));
	printf("bench: ratio start whole-file/verity, big: %.2fx\n",
	       MED(wb, total) / MED(vb, total));
	print_mem(vb);
	print_mem(wb);
	printf("bench: ratio system used memory whole-file/verity, big: %.2fx (%.1f / %.1f MiB); "
	       "above idle: %+.1f MiB against %+.1f MiB\n",
	       MED(wb, used) / MED(vb, used), MED(wb, used) / 1024.0, MED(vb, used) / 1024.0,
	       (MED(wb, used) - MED(wb, idle)) / 1024.0, (MED(vb, used) - MED(vb, idle)) / 1024.0);
#undef MED
	printf("bench: ratio launcher VmHWM whole-file/verity, big: %.2fx\n",
	       (double)wb->hwm_kb / (double)vb->hwm_kb);

	double vmbs, pmbs;
	unsigned long long bytes;
	if (bench_read_verity(&c, &vmbs, &bytes) < 0 || bench_read_plain(&c, bytes, &pmbs) < 0)
		return 1;
	printf("bench: sequential read of %.1f MiB in a verity persona: %.1f MiB/s\n",
	       (double)bytes / 1048576.0, vmbs);
	printf("bench: the same read, same erofs on a plain loop device (no verity): %.1f MiB/s\n",
	       pmbs);
	printf("bench: ratio read throughput plain/verity: %.2fx\n", pmbs / vmbs);
	printf("bench: guest run %.1f s\n", (now_us() - t0) / 1e6);
	return 0;
}
