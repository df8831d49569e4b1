/*
 * persona-host: the host integration driver for bay0's persona launcher.
 *
 * Runs as PID 1 of a fresh PID and mount namespace (`unshare --pid --fork
 * --mount --mount-proc`), as bay0 would, loads a signed passport and its
 * image through the real code (passport_load, persona_image_load), launches
 * the persona without cgroup v2 (the build host has a v1 hybrid) and turns
 * what the probe inside reports into PASS/FAIL lines, then checks from the
 * outside what purge must leave behind.
 *
 *   persona-host --mode probe|purge|refuse|launch-fails --key K.pub --passport P.sig
 *                --inventory DIR --stage DIR --persist DIR [--label L]
 *                [--abstract NAME] listen there (the probe must not reach it)
 *                [--cgroup2 DIR]   mount cgroup2 there (this namespace only)
 *                                  and place the persona in it, no limits
 *                [--want-step S]   launch-fails: the step the refusal must
 *                                  name (default "execve entry")
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "persona.h"

static int fails;
static const char *label = "";
static bool cgroup_mode;

__attribute__((format(printf, 2, 3))) static void report(bool ok, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("%s: persona%s%s: %s\n", ok ? "PASS" : "FAIL", *label ? " " : "", label, msg);
	fflush(stdout);
	if (!ok)
		fails++;
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int other_processes(void)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 1)
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Loop devices bound to something, host-wide (the test runs alone). */
static int bound_loops(void)
{
	DIR *d = opendir("/sys/block");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[300];
		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof p, "/sys/block/%s/loop/backing_file", e->d_name);
		n += access(p, F_OK) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The probe's "escape: item: ok|FAIL d|skip r" lines become ours. */
static void relay(char *line, const struct persona *p)
{
	char *item = NULL, *res;
	if (!strncmp(line, "escape: ", 8)) {
		item = line + 8;
		res = strstr(item, ": ");
		if (!res)
			goto raw;
		*res = 0;
		res += 2;
		if (!strcmp(res, "ok"))
			report(true, "%s", item);
		else if (!strncmp(res, "skip ", 5))
			printf("SKIP: persona%s%s: %s (%s)\n", *label ? " " : "", label, item,
			       res + 5);
		else
			report(false, "%s: %s", item, res);
		return;
	}
	if (!strncmp(line, "info: ns ", 9)) {
		char ns[32];
		unsigned long long ino;
		if (sscanf(line + 9, "%31s %llu", ns, &ino) != 2)
			goto raw;
		char path[64];
		struct stat st;
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
		if (stat(path, &st) < 0)
			return;
		if (!strcmp(ns, "user"))
			/* By design: no user namespace; the persona is an
			 * unprivileged host uid with no capabilities. */
			report(st.st_ino == ino, "user namespace is the host's (by design)");
		else
			report(st.st_ino != ino, "%s namespace differs from bay0's", ns);
		return;
	}
	if (!strncmp(line, "info: uid ", 10)) {
		report((uint32_t)atol(line + 10) == p->pp.uid, "runs as the passport's uid %u",
		       p->pp.uid);
		return;
	}
	if (!strncmp(line, "info: cgroup ", 13) && cgroup_mode) {
		/* cgroup namespace rooted at the persona's own cgroup */
		report(!strcmp(line + 13, "0::/"), "cgroup namespace root is its cgroup (%s)",
		       line + 13);
		return;
	}
	if (!strncmp(line, "info: ", 6))
		return;
raw:
	printf("  | %s\n", line);
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: persona-host --mode probe|purge|refuse|launch-fails --key K --passport P "
	        "--inventory D --stage D --persist D [--label L]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *key = NULL, *passport = NULL, *inv = NULL, *stage = NULL,
	           *persist = NULL, *cg = NULL, *abstract = "bay0-test",
	           *want_step = "execve entry";
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--mode"))
			mode = v;
		else if (!strcmp(k, "--key"))
			key = v;
		else if (!strcmp(k, "--passport"))
			passport = v;
		else if (!strcmp(k, "--inventory"))
			inv = v;
		else if (!strcmp(k, "--stage"))
			stage = v;
		else if (!strcmp(k, "--persist"))
			persist = v;
		else if (!strcmp(k, "--abstract"))
			abstract = v;
		else if (!strcmp(k, "--cgroup2"))
			cg = v;
		else if (!strcmp(k, "--want-step"))
			want_step = v;
		else if (!strcmp(k, "--label"))
			label = v;
		else
			return usage();
	}
	if (!mode || !key || !passport || !inv || !stage || !persist)
		return usage();
	cgroup_mode = cg != NULL;
	if (getpid() != 1) {
		fprintf(stderr, "persona-host: must be PID 1 of a fresh PID namespace\n");
		return 2;
	}

	char buf[4096], err[512] = "";
	size_t len = 0;
	sv_pubkey pk;
	if (read_file(key, buf, sizeof buf, &len) || sv_pubkey_parse((uint8_t *)buf, len, &pk)) {
		report(false, "read public key %s", key);
		return 1;
	}
	int invfd = open(inv, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct passport pp;
	int r = passport_load(AT_FDCWD, passport, &pk, 1, &pp, err, sizeof err);
	struct persona p;
	if (!r) {
		persona_init(&p, &pp);
		r = persona_image_load(&p, invfd, err, sizeof err);
	}
	if (!strcmp(mode, "refuse")) {
		report(r < 0, "refused before anything runs: %s", r < 0 ? err : "accepted");
		return fails ? 1 : 0;
	}
	if (r) {
		report(false, "load: %s", err);
		return 1;
	}
	report(true, "passport and image verified (%s)",
	       p.fs_type == PERSONA_FS_EROFS ? "erofs" : "squashfs");

	/* bay0's side of the abstract-socket check (escape item 10). */
	int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t alen = strlen(abstract) < sizeof sa.sun_path - 1 ? strlen(abstract) : 0;
	memcpy(sa.sun_path + 1, abstract, alen);
	if (bind(lsock, (struct sockaddr *)&sa,
	         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + alen)) < 0 ||
	    listen(lsock, 1) < 0)
		report(false, "abstract listener: %s", strerror(errno));

	/* cgroup v2 without controllers: the v1 hybrid holds them all, but
	 * placement, the cgroup namespace and cgroup.kill still work. */
	if (cg && mount("none", cg, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		report(false, "mount cgroup2 on %s: %s", cg, strerror(errno));
		return 1;
	}
	int mounts_before = count_lines("/proc/self/mountinfo");
	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return 1;
	struct persona_env env = {.cgroup_root = cg,
	                          .cgroup_v2 = cg != NULL,
	                          .cgroup_limits_off = true,
	                          .persist_root = persist,
	                          .stage_dir = stage,
	                          .stdio = {-1, out[1], out[1]}};
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int loops_before = bound_loops();
	r = persona_launch(&p, &env, err, sizeof err);
	close(out[1]);
	if (!strcmp(mode, "launch-fails")) {
		/* The child failed between clone and exec: launch must say which
		 * step, and leave nothing behind. */
		report(r < 0 && strstr(err, want_step), "launch refused naming the step: %s",
		       r < 0 ? err : "it launched");
		persona_release(&p);
		report(other_processes() == 0, "no process left (%d)", other_processes());
		report(count_lines("/proc/self/mountinfo") == mounts_before,
		       "bay0's mount table unchanged");
		int waited = 0;
		while (bound_loops() > loops_before && waited < 3000) {
			usleep(10000);
			waited += 10;
		}
		report(bound_loops() == loops_before, "loop device released (after %d ms)", waited);
		if (cg) {
			char d[4200];
			snprintf(d, sizeof d, "%s/personas/%s", cg, p.pp.name);
			report(access(d, F_OK) < 0, "cgroup removed");
		}
		return fails ? 1 : 0;
	}
	report(r == 0, "launch (%.2f ms)%s%s", ms_since(&t0), r ? ": " : "", r ? err : "");
	if (r)
		return 1;
	int loop_nr = p.loop_nr;
	char cgdir[4096] = "";
	if (cg) {
		char procs[64] = "", path[4200];
		size_t n = 0;
		snprintf(cgdir, sizeof cgdir, "%s/personas/%s", cg, p.pp.name);
		snprintf(path, sizeof path, "%s/cgroup.procs", cgdir);
		read_file(path, procs, sizeof procs - 1, &n);
		procs[n] = 0;
		report(atoi(procs) == p.pid, "entry born in personas/%s (CLONE_INTO_CGROUP)",
		       p.pp.name);
	}

	if (!strcmp(mode, "probe")) {
		/* A broken containment can make the probe hang (a clone that
		 * should have failed): give it a deadline, then purge. */
		char line[1024];
		size_t have = 0;
		struct timespec start;
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			int left = 60000 - (int)ms_since(&start);
			struct pollfd pf = {.fd = out[0], .events = POLLIN};
			if (left <= 0 || poll(&pf, 1, left) <= 0) {
				report(false, "probe finished within 60 s");
				break;
			}
			ssize_t n = read(out[0], line + have, sizeof line - 1 - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			line[have] = 0;
			char *nl;
			while ((nl = strchr(line, '\n'))) {
				*nl = 0;
				relay(line, &p);
				have -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, have + 1);
			}
			if (have == sizeof line - 1)
				have = 0; /* an over-long line: drop it */
		}
		close(out[0]);
		struct pollfd pf = {.fd = p.pidfd, .events = POLLIN};
		poll(&pf, 1, 5000);
	} else {
		/* purge mode: the entry forks a tree that would outlive it;
		 * give it time to start, then purge it while it runs. */
		close(out[0]);
		/* The tree is the entry plus two sleeps, one orphaned to the
		 * namespace's PID 1; the machine may be busy, so wait for it. */
		for (int w = 0; w < 5000 && other_processes() < 3; w += 20)
			usleep(20000);
		report(other_processes() >= 3, "persona tree running (%d processes)",
		       other_processes());
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = persona_purge(&p, &env, !strcmp(mode, "probe") ? "entry exited" : "test purge", err,
	                  sizeof err);
	report(r == 0, "purge (%.2f ms)%s%s", ms_since(&t0), r ? ": " : "", r ? err : "");
	if (!strcmp(mode, "probe"))
		report(p.exit_status == 0, "entry exit status 0 (wait status %#x)", p.exit_status);
	report(other_processes() == 0, "no process of the persona left (%d)", other_processes());
	if (!strcmp(mode, "purge")) {
		/* A relaunch reuses bay0's image mount and must be as contained. */
		int o2[2];
		if (pipe2(o2, O_CLOEXEC) == 0) {
			env.stdio[1] = env.stdio[2] = o2[1];
			r = persona_launch(&p, &env, err, sizeof err);
			close(o2[1]);
			close(o2[0]);
			report(r == 0, "relaunch after purge%s%s", r ? ": " : "", r ? err : "");
			if (!r) {
				r = persona_purge(&p, &env, "second purge", err, sizeof err);
				report(r == 0, "second purge%s%s", r ? ": " : "", r ? err : "");
			}
			report(other_processes() == 0, "no process left after the second purge");
		}
	}
	persona_release(&p);
	if (cg)
		report(access(cgdir, F_OK) < 0 && errno == ENOENT, "cgroup personas/%s removed",
		       p.pp.name);
	report(count_lines("/proc/self/mountinfo") == mounts_before,
	       "bay0's mount table back as it was after release (%d lines)", mounts_before);
	/* The loop device clears once the mount namespace is gone; that is
	 * asynchronous to the exit, so allow it a moment. */
	char lp[64];
	snprintf(lp, sizeof lp, "/sys/block/loop%d/loop/backing_file", loop_nr);
	int waited = 0;
	while (access(lp, F_OK) == 0 && waited < 3000) {
		usleep(10000);
		waited += 10;
	}
	report(access(lp, F_OK) < 0, "loop%d released (after %d ms)", loop_nr, waited);

	if (!strcmp(mode, "probe") && p.pp.persist != PASSPORT_PERSIST_NONE) {
		char fp[4096];
		struct stat st;
		snprintf(fp, sizeof fp, "%s/%s/probe-was-here", persist, p.pp.name);
		report(stat(fp, &st) == 0 && st.st_uid == p.pp.uid,
		       "only the persona's /persist subtree kept its file, owned by uid %u",
		       p.pp.uid);
	}
	return fails ? 1 : 0;
}
