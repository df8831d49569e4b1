/*
 * persona-bench: launch speed of bay0's persona launcher against bwrap.
 *
 * Runs as PID 1 of a fresh PID+mount namespace, like the host test. For each
 * of N rounds, times from the launch decision to the entry's first act (a
 * byte on its stdout pipe, written by tests/persona/persona-hello), for:
 *   bay0:  persona_launch() with full containment (cgroup placement aside:
 *          the build host has no cgroup v2), then persona_purge();
 *   bwrap: fork+exec of `bwrap --unshare-all` on the same static binary.
 * Rounds alternate between the two so a shared machine's load weighs on
 * both alike. Prints medians, the ratio (also against bwrap --new-session,
 * which pays the setsid() bay0 always does), purge time, the launcher's
 * resident memory and the load average.
 *
 *   persona-bench --key K --passport P --inventory D --stage D --persist D
 *                 --rootfs D [--rounds N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchstat.h"
#include "persona.h"

static int wait_byte(int fd);

/* fork+exec bwrap with its stdout on a pipe; microseconds to the byte. */
static double run_bwrap(char **argv)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	pid_t pid;
	double a = now_us(), r = -1;
	if (posix_spawn(&pid, "/usr/bin/bwrap", &fa, NULL, argv, environ)) {
		fprintf(stderr, "persona-bench: cannot run bwrap\n");
	} else {
		close(pfd[1]);
		pfd[1] = -1;
		if (wait_byte(pfd[0]) == 0)
			r = now_us() - a;
		else
			fprintf(stderr, "persona-bench: bwrap entry wrote nothing\n");
		waitpid(pid, NULL, 0);
	}
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(pfd[0]);
	posix_spawn_file_actions_destroy(&fa);
	return r;
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

int main(int argc, char **argv)
{
	const char *key = NULL, *passport = NULL, *inv = NULL, *stage = NULL, *persist = NULL,
	           *rootfs = NULL;
	int rounds = 200;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--key"))
			key = argv[i + 1];
		else if (!strcmp(argv[i], "--passport"))
			passport = argv[i + 1];
		else if (!strcmp(argv[i], "--inventory"))
			inv = argv[i + 1];
		else if (!strcmp(argv[i], "--stage"))
			stage = argv[i + 1];
		else if (!strcmp(argv[i], "--persist"))
			persist = argv[i + 1];
		else if (!strcmp(argv[i], "--rootfs"))
			rootfs = argv[i + 1];
		else if (!strcmp(argv[i], "--rounds"))
			rounds = atoi(argv[i + 1]);
	}
	if (!key || !passport || !inv || !stage || !persist || !rootfs || rounds < 1) {
		fprintf(stderr, "persona-bench: bad arguments\n");
		return 2;
	}
	char buf[4096], err[512];
	int fd = open(key, O_RDONLY);
	ssize_t kl = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	sv_pubkey pk;
	if (kl <= 0 || sv_pubkey_parse((uint8_t *)buf, (size_t)kl, &pk) != SV_OK) {
		fprintf(stderr, "persona-bench: bad key %s\n", key);
		return 1;
	}
	close(fd);

	double t0 = now_us();
	struct passport pp;
	struct persona p;
	int invfd = open(inv, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (passport_load(AT_FDCWD, passport, &pk, 1, &pp, err, sizeof err) < 0) {
		fprintf(stderr, "persona-bench: %s\n", err);
		return 1;
	}
	persona_init(&p, &pp);
	if (persona_image_load(&p, invfd, err, sizeof err) < 0) {
		fprintf(stderr, "persona-bench: %s\n", err);
		return 1;
	}
	double verify_us = now_us() - t0;

	char *bargv[] = {(char *)(uintptr_t) "bwrap",
	                 (char *)(uintptr_t) "--unshare-all",
	                 (char *)(uintptr_t) "--die-with-parent",
	                 (char *)(uintptr_t) "--ro-bind",
	                 (char *)(uintptr_t)rootfs,
	                 (char *)(uintptr_t) "/",
	                 (char *)(uintptr_t) "--proc",
	                 (char *)(uintptr_t) "/proc",
	                 (char *)(uintptr_t) "--dev",
	                 (char *)(uintptr_t) "/dev",
	                 (char *)(uintptr_t) "/bin/persona-hello",
	                 NULL};
	double *ours = calloc((size_t)rounds, sizeof *ours);
	double *purge = calloc((size_t)rounds, sizeof *purge);
	double *bw = calloc((size_t)rounds, sizeof *bw);
	double *bws = calloc((size_t)rounds, sizeof *bws);
	/* The same with --new-session: bwrap's setsid(), which bay0 always does
	 * (kernel cost of a new session, its autogroup, included). */
	char *bargv_s[sizeof bargv / sizeof bargv[0] + 1];
	bargv_s[0] = bargv[0];
	bargv_s[1] = (char *)(uintptr_t) "--new-session";
	for (size_t k = 1; k < sizeof bargv / sizeof bargv[0]; k++)
		bargv_s[k + 1] = bargv[k];
	double first = 0;
	/* Rounds alternate bay0 and bwrap, so that the load of a shared
	 * machine weighs on both alike. */
	for (int i = 0; i < rounds; i++) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) < 0)
			return 1;
		struct persona_env env = {
		        .persist_root = persist, .stage_dir = stage, .stdio = {-1, pfd[1], 2}};
		double a = now_us();
		if (persona_launch(&p, &env, err, sizeof err) < 0) {
			fprintf(stderr, "persona-bench: launch: %s\n", err);
			return 1;
		}
		close(pfd[1]);
		if (wait_byte(pfd[0]) < 0) {
			fprintf(stderr, "persona-bench: entry wrote nothing\n");
			return 1;
		}
		double b = now_us();
		if (persona_purge(&p, &env, NULL, err, sizeof err) < 0) {
			fprintf(stderr, "persona-bench: purge: %s\n", err);
			return 1;
		}
		double c = now_us();
		close(pfd[0]);
		if (i == 0)
			first = b - a; /* includes the one-time image mount */
		ours[i] = b - a;
		purge[i] = c - b;

		if ((bw[i] = run_bwrap(bargv)) < 0 || (bws[i] = run_bwrap(bargv_s)) < 0)
			return 1;
	}
	long rss = field_kb("/proc/self/status", "VmRSS"),
	     hwm = field_kb("/proc/self/status", "VmHWM");
	persona_release(&p);
	double mo = median(ours, rounds), mb = median(bw, rounds), mp = median(purge, rounds);
	double ms = median(bws, rounds);
	char load[64] = "?";
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf && fgets(load, sizeof load, lf))
		load[strcspn(load, "\n")] = 0;
	if (lf)
		fclose(lf);
	printf("bench: persona launch to entry, median of %d: %.0f us\n", rounds, mo);
	printf("bench: bwrap --unshare-all to entry, median of %d: %.0f us\n", rounds, mb);
	printf("bench: ratio bay0/bwrap: %.2fx (target <= 0.50x)\n", mo / mb);
	printf("bench: bwrap --unshare-all --new-session, median of %d: %.0f us (ratio %.2fx)\n",
	       rounds, ms, mo / ms);
	printf("bench: purge, median of %d: %.0f us\n", rounds, mp);
	printf("bench: first launch (adds the one-time image mount): %.0f us\n", first);
	printf("bench: passport + image verify (one load): %.0f us\n", verify_us);
	printf("bench: launcher resident memory: VmRSS %ld KiB, VmHWM %ld KiB\n", rss, hwm);
	printf("bench: machine load average during the run: %s\n", load);
	return 0;
}
