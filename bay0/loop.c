/*
 * loop.c: starting personas and the event loop (docs/bay0.md, "Event loop").
 *
 * One epoll set over: a signalfd (every signal bay0 handles is blocked and
 * read from it, so no handler ever runs on bay0's stack), the watchdog's
 * keepalive timerfd, and per persona its pidfd (readable when the entry
 * exits), its lifetime timerfd and the read end of its stdout/stderr pipe.
 * SIGCHLD reaps every child: orphans re-parented to PID 1 and persona
 * entries alike. A persona's exit, from either side, leads to one purge.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "umbilical.h"
#include "util.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum ev_kind {
	EV_SIGNAL = 1,
	EV_WATCHDOG,
	EV_PIDFD,
	EV_LIFE,
	EV_LOG,
	EV_CG_MEM,
	EV_CG_PIDS,
	EV_CG_PSI,
	EV_HEALTH,
	EV_UMB_CHAN,
	EV_UMB_KEY,
	EV_UMB_TICK
};

static uint64_t ev(enum ev_kind k, size_t i)
{
	return (uint64_t)k << 32 | (uint64_t)i;
}

static int ep_add(struct bay0 *b, int fd, uint64_t data)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = data};

	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -errno;
	return 0;
}

/* The signals bay0 takes through signalfd. Everything else that can be
 * blocked is blocked too (a blocked signal to PID 1 just stays pending);
 * the synchronous ones (SEGV, BUS, ILL, FPE, ABRT, TRAP, SYS) are not: if
 * bay0 faults, the kernel panics and panic= reboots (docs/bay0.md). */
static void handled_signals(sigset_t *s)
{
	sigfillset(s);
	sigdelset(s, SIGSEGV);
	sigdelset(s, SIGBUS);
	sigdelset(s, SIGILL);
	sigdelset(s, SIGFPE);
	sigdelset(s, SIGABRT);
	sigdelset(s, SIGTRAP);
	sigdelset(s, SIGSYS);
}

int loop_setup(struct bay0 *b)
{
	sigset_t s;
	int r;

	handled_signals(&s);
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return -errno;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0)
		return -errno;
	b->sig_fd = signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
	if (b->sig_fd < 0)
		return -errno;
	r = ep_add(b, b->sig_fd, ev(EV_SIGNAL, 0));
	if (r)
		return r;
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++) {
		b->personas[i].life_fd = -1;
		b->personas[i].log_fd = -1;
		b->personas[i].ev_fd[0] = b->personas[i].ev_fd[1] = -1;
		b->personas[i].psi_fd = -1;
		b->personas[i].chan_fd = -1;
	}
	return 0;
}

static int watchdog_timer(struct bay0 *b)
{
	struct itimerspec its = {0};

	if (b->wd.fd < 0)
		return 0;
	b->wd.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->wd.timer_fd < 0)
		return -errno;
	/* timeout/3, at least 1 s; for timeouts below 3 s, half a second. */
	its.it_interval.tv_sec = b->wd.timeout / 3;
	if (its.it_interval.tv_sec == 0)
		its.it_interval.tv_nsec = 500 * 1000 * 1000;
	its.it_value = its.it_interval;
	if (timerfd_settime(b->wd.timer_fd, 0, &its, NULL) < 0)
		return -errno;
	return ep_add(b, b->wd.timer_fd, ev(EV_WATCHDOG, 0));
}

/* ---- persona output ------------------------------------------------------
 * Relayed to the console as "bay0: [name] text": the prefix is bay0's, so
 * no persona can print a line that reads as bay0's own (nor as the
 * Umbilical's prompt, docs/umbilical.md), and every byte but printable
 * ASCII is escaped (umb_escape) so none can drive the terminal. An escaped
 * line longer than a console line goes out as several, each marked. */

static void relay_emit(void *arg, const char *line)
{
	(void)arg;
	log_line("%s", line);
}

static void log_flush_line(struct running *r)
{
	umb_relay(r->p.pp.name, r->log_buf, r->log_len, relay_emit, NULL);
	r->log_len = 0;
}

static void log_feed(struct running *r, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			log_flush_line(r);
			continue;
		}
		r->log_buf[r->log_len++] = buf[i];
		if (r->log_len == sizeof(r->log_buf))
			log_flush_line(r);
	}
}

static void log_close(struct bay0 *b, struct running *r)
{
	if (r->log_fd < 0)
		return;
	if (r->log_len)
		log_flush_line(r);
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, r->log_fd, NULL);
	close(r->log_fd);
	r->log_fd = -1;
}

static void log_relay(struct bay0 *b, struct running *r)
{
	char buf[512];
	ssize_t n = read(r->log_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_close(b, r);
		return;
	}
	log_feed(r, buf, (size_t)n);
}

static void log_drain(struct bay0 *b, struct running *r)
{
	char buf[512];
	ssize_t n;

	if (r->log_fd < 0)
		return;
	while ((n = read(r->log_fd, buf, sizeof(buf))) > 0)
		log_feed(r, buf, (size_t)n);
	log_close(b, r);
}

/* ---- persona limits ------------------------------------------------------
 * The kernel enforces memory.max and pids.max inside the persona's cgroup;
 * bay0 watches memory.events (oom_kill) and pids.events (max) and logs each
 * time a limit bites. A cgroup event file signals a change with EPOLLPRI
 * (kernfs), re-armed by reading it again from the start. */

static const char *const cg_file[2] = {"memory.events", "pids.events"};
static const char *const cg_key[2] = {"oom_kill", "max"};

static int cg_read(int fd, const char *key, unsigned long long *v)
{
	char buf[512];
	size_t kl = strlen(key);
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* "key value" lines; the key must match a whole word. */
	for (const char *p = buf; *p;) {
		const char *nl = strchr(p, '\n');

		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*v = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return -ENOENT;
}

static void cg_watch(struct bay0 *b, struct running *r, size_t slot)
{
	if (r->p.cgroup_fd < 0)
		return;
	for (int i = 0; i < 2; i++) {
		struct epoll_event e = {.events = EPOLLPRI,
		                        .data.u64 = ev(i ? EV_CG_PIDS : EV_CG_MEM, slot)};
		int fd = openat(r->p.cgroup_fd, cg_file[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0 || cg_read(fd, cg_key[i], &r->ev_seen[i]) ||
		    epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
			log_err(-errno, "persona %s: watch %s", r->p.pp.name, cg_file[i]);
			if (fd >= 0)
				close(fd);
			continue;
		}
		r->ev_fd[i] = fd;
	}
}

/* A persona whose every task waits on memory for psi_stall_ms of each
 * psi_window_ms is thrashing inside its limit: it takes the machine's memory
 * bandwidth and gets nothing done. bay0 purges it (research/runtime.md:
 * "PSI trigger -> cgroup.kill"). The trigger fires once per window at most. */
static void psi_watch(struct bay0 *b, struct running *r, size_t slot)
{
	struct epoll_event e = {.events = EPOLLPRI, .data.u64 = ev(EV_CG_PSI, slot)};
	char trig[64];
	int fd, n;

	if (r->p.cgroup_fd < 0 || !b->conf.psi_window_ms)
		return;
	n = snprintf(trig, sizeof(trig), "full %u %u", b->conf.psi_stall_ms * 1000,
	             b->conf.psi_window_ms * 1000);
	fd = openat(r->p.cgroup_fd, "memory.pressure", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || write(fd, trig, (size_t)n + 1) < 0 ||
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		log_err(-errno, "persona %s: memory.pressure trigger", r->p.pp.name);
		if (fd >= 0)
			close(fd);
		return;
	}
	r->psi_fd = fd;
}

static void cg_event(struct running *r, int i)
{
	unsigned long long v;

	if (r->ev_fd[i] < 0 || cg_read(r->ev_fd[i], cg_key[i], &v))
		return;
	if (v != r->ev_seen[i])
		log_line("persona %s: %s %s %llu", r->p.pp.name,
		         i ? "pids.max reached," : "memory.max reached,", cg_key[i], v);
	r->ev_seen[i] = v;
}

static void cg_unwatch(struct running *r)
{
	for (int i = 0; i < 2; i++)
		if (r->ev_fd[i] >= 0) {
			close(r->ev_fd[i]);
			r->ev_fd[i] = -1;
		}
	if (r->psi_fd >= 0) {
		close(r->psi_fd);
		r->psi_fd = -1;
	}
}

/* ---- persona lifetimes --------------------------------------------------- */

static int start_one(struct bay0 *b, size_t slot, const char *path);

/* TEST BUILDS ONLY (spine.conf test-relaunch): the persona starts once more
 * from its passport after its first purge. A release bay0 never restarts. */
static void test_maybe_relaunch(struct bay0 *b, struct running *r)
{
#ifdef BAY0_TEST_BUILD
	size_t slot = (size_t)(r - b->personas);
	if (b->shutting_down)
		return;
	for (size_t i = 0; i < b->conf.ntest_relaunch; i++)
		if (!strcmp(b->conf.test_relaunch[i], r->p.pp.name)) {
			b->conf.test_relaunch[i][0] = 0; /* once */
			log_line("persona %s: relaunched (test-relaunch)", r->p.pp.name);
			r->used = false; /* its purged entry would clash by name */
			start_one(b, slot, b->conf.personas[slot]);
			return;
		}
#else
	(void)b;
	(void)r;
#endif
}

/* A verity persona whose image the kernel has found corrupt: one line that
 * names it (the first time only). Returns true if it is. */
static bool verity_report(struct running *r)
{
	int st = persona_verity_check(&r->p);
	if (st < 0 && !r->verity_bad) {
		log_err(st, "persona %s: verity status of %s", r->p.pp.name, r->p.dm_name);
		return false;
	}
	if (st != 'C')
		return false;
	if (!r->verity_bad)
		log_line("persona %s: verity: image %s is corrupt: a block failed verification "
		         "and its reader got EIO (device %s)",
		         r->p.pp.name, r->p.pp.image, r->p.dm_name);
	r->verity_bad = true;
	return true;
}

static void purge(struct bay0 *b, struct running *r, const char *why);

/* At each watchdog tick: a verity persona with a corrupt image is purged
 * (docs/passport.md, "Verity images"). It never saw the bad bytes (only
 * EIO); it stops because its image is known to be bad. */
static void verity_watch(struct bay0 *b)
{
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++) {
		struct running *r = &b->personas[i];
		if (r->used && r->p.state == PERSONA_RUNNING &&
		    r->p.pp.form == PASSPORT_IMAGE_VERITY && verity_report(r))
			purge(b, r, "verity: image corrupt");
	}
}

static void purge(struct bay0 *b, struct running *r, const char *why)
{
	char err[256] = "";
	int e;

	if (r->p.state != PERSONA_RUNNING)
		return;
	if (r->life_fd >= 0) {
		close(r->life_fd); /* closing removes it from the epoll set */
		r->life_fd = -1;
	}
	/* The pidfd stays readable for ever once the entry is gone: out of
	 * the (level-triggered) set before anything else. */
	epoll_ctl(b->epfd, EPOLL_CTL_DEL, r->p.pidfd, NULL);
	/* A limit that bit as the persona died (an OOM kill under
	 * memory.oom.group takes the whole persona at once) may not have
	 * been read from its event file yet: read both before closing. */
	cg_event(r, 0);
	cg_event(r, 1);
	cg_unwatch(r);
	umbr_persona_gone(b, r);
	e = persona_purge(&r->p, &b->env, why, err, sizeof(err));
	/* Whatever the entry wrote before it died is still in the pipe; with
	 * every process of the persona dead, the pipe has no writer left. */
	log_drain(b, r);
	if (e) {
		/* A persona we cannot kill is a containment failure:
		 * violation = halt. */
		if (!b->shutting_down)
			power_fatal(b, "persona %s: purge failed: %s", r->p.pp.name, err);
		log_err(e, "persona %s: purge failed: %s", r->p.pp.name, err);
		return;
	}
	log_line("persona %s purged: %s", r->p.pp.name, why);
	if (r->p.pp.net == PASSPORT_NET_DEVICE)
		log_line("persona %s: %s", r->p.pp.name, r->p.net.report);
	verity_report(r);
	persona_release(&r->p);
	if (r->p.teardown[0])
		log_line("persona %s: %s", r->p.pp.name, r->p.teardown);
	/* Last: a needed persona gone during the slot's probation may end in a
	 * reboot, which purges the others. */
	health_persona_gone(b, r->p.pp.name, why);
	test_maybe_relaunch(b, r);
}

static void persona_exited(struct bay0 *b, struct running *r, const siginfo_t *si)
{
	char why[64];

	if (si->si_code == CLD_EXITED)
		snprintf(why, sizeof(why), "exited status %d", si->si_status);
	else
		snprintf(why, sizeof(why), "killed by signal %d", si->si_status);
	r->p.exit_status =
	        si->si_code == CLD_EXITED ? (si->si_status & 0xff) << 8 : si->si_status & 0x7f;
	purge(b, r, why);
}

static struct running *persona_by_pid(struct bay0 *b, pid_t pid)
{
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++)
		if (b->personas[i].used && b->personas[i].p.state == PERSONA_RUNNING &&
		    b->personas[i].p.pid == pid)
			return &b->personas[i];
	return NULL;
}

/* Every child bay0 has, whoever made it. */
static void reap_all(struct bay0 *b)
{
	for (;;) {
		siginfo_t si = {0};
		struct running *r;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue;
			return; /* ECHILD: none left */
		}
		if (si.si_pid == 0)
			return;
		r = persona_by_pid(b, si.si_pid);
		if (r)
			persona_exited(b, r, &si);
		else
			log_line("reaped pid %d (%s %d)", (int)si.si_pid,
			         si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
	}
}

/* What verity personas could leave behind: device-mapper devices, and loop
 * devices bound to an inventory file (the whole-file path's loops are bound
 * to memfds). Counted from sysfs after every persona is purged. */
static void verity_leftovers(void)
{
	DIR *d = opendir("/sys/block");
	unsigned dm = 0, loops = 0;
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], back[300];
		ssize_t n;

		if (!strncmp(e->d_name, "dm-", 3)) {
			dm++;
			continue;
		}
		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", e->d_name);
		n = read_file(path, back, sizeof(back) - 1);
		if (n <= 0)
			continue;
		back[n] = 0;
		if (strncmp(back, "/memfd:", 7))
			loops++;
	}
	closedir(d);
	log_line("personas purged: %u device-mapper device(s), %u loop device(s) on inventory "
	         "files left",
	         dm, loops);
}

void loop_purge_all(struct bay0 *b, const char *why)
{
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++)
		if (b->personas[i].used)
			purge(b, &b->personas[i], why);
	verity_leftovers();
}

/* ---- starting personas --------------------------------------------------- */

static int start_one(struct bay0 *b, size_t slot, const char *path)
{
	struct running *r = &b->personas[slot];
	struct persona_env env = b->env;
	struct passport pp;
	char dir[CONF_PATH_MAX], err[256] = "";
	const char *base = strrchr(path, '/') + 1;
	int dfd, e, pipefd[2] = {-1, -1}, chan = -1;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		log_err(-errno, "persona %s refused: inventory", path);
		return -errno;
	}
	e = passport_load(dfd, base, b->keys, b->nkeys, &pp, err, sizeof(err));
	if (e)
		goto refused;
	if (!passport_file_matches(base, pp.name)) {
		snprintf(err, sizeof(err), "%s holds the passport of persona %s, not %s.passport",
		         base, pp.name, pp.name);
		e = -EINVAL;
		goto refused;
	}
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++) {
		const struct running *o = &b->personas[i];
		if (!o->used)
			continue;
		if (!strcmp(o->p.pp.name, pp.name) || o->p.pp.uid == pp.uid ||
		    o->p.pp.gid == pp.gid) {
			snprintf(err, sizeof(err), "name or uid/gid shared with persona %s",
			         o->p.pp.name);
			e = -EEXIST;
			goto refused;
		}
		/* One device, one running persona (docs/network.md). */
		if (pp.net == PASSPORT_NET_DEVICE && o->p.state == PERSONA_RUNNING &&
		    o->p.pp.net == PASSPORT_NET_DEVICE &&
		    !strcmp(o->p.pp.net_device, pp.net_device)) {
			snprintf(err, sizeof(err), "network device %s is held by persona %s",
			         pp.net_device, o->p.pp.name);
			e = -EBUSY;
			goto refused;
		}
	}
	persona_init(&r->p, &pp);
	r->used = true;
	r->verity_bad = false;
	e = persona_image_load(&r->p, dfd, err, sizeof(err));
	if (e)
		goto refused_release;
	if (pp.persist != PASSPORT_PERSIST_NONE && b->persist_mounted) {
		e = persist_subtree(pp.name, pp.uid, pp.gid);
		if (e) {
			snprintf(err, sizeof(err), "/persist/%s: %s", pp.name, strerror(-e));
			goto refused_release;
		}
	}
	/* Its identity goes into PCR 11 before any of its code runs; an
	 * extend that does not take refuses the persona (docs/measure.md). */
	if (b->tpm.barrier) {
		char id[MEASURE_STRING_MAX];
		measure_persona_string(id, pp.name, pp.file_sha512, pp.image_sha512);
		e = measure_extend(&b->tpm, id, err, sizeof(err));
		if (e)
			goto refused_release;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		e = -errno;
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		goto refused_release;
	}
	/* fd 0: its own Umbilical channel with a pull grant, else /dev/null. */
	e = umbr_channel(b, r, &chan);
	if (e) {
		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(err, sizeof(err), "umbilical channel: %s", strerror(-e));
		goto refused_release;
	}
	env.stdio[0] = chan;
	env.stdio[1] = pipefd[1];
	env.stdio[2] = pipefd[1];
	e = persona_launch(&r->p, &env, err, sizeof(err));
	close(pipefd[1]);
	if (chan >= 0)
		close(chan);
	if (e) {
		close(pipefd[0]);
		if (r->chan_fd >= 0)
			close(r->chan_fd);
		r->chan_fd = -1;
		goto refused_release;
	}
	close(dfd);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	r->log_fd = pipefd[0];
	r->log_len = 0;
	if (r->p.dm_name[0])
		log_line("persona %s: verity device %s, live table: %s", pp.name, r->p.dm_name,
		         r->p.dm_table);
	log_line("persona %s started pid %d", pp.name, (int)r->p.pid);
	if (pp.net == PASSPORT_NET_DEVICE)
		log_line("persona %s: %s", pp.name, r->p.net.report);
	if (ep_add(b, r->p.pidfd, ev(EV_PIDFD, slot)) || ep_add(b, r->log_fd, ev(EV_LOG, slot)) ||
	    (r->chan_fd >= 0 && ep_add(b, r->chan_fd, ev(EV_UMB_CHAN, slot))))
		power_fatal(b, "persona %s: epoll: %s", pp.name, strerror(errno));
	cg_watch(b, r, slot);
	psi_watch(b, r, slot);
	if (pp.lifetime_s) {
		struct itimerspec its = {.it_value.tv_sec = (time_t)pp.lifetime_s};
		r->life_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (r->life_fd < 0 || timerfd_settime(r->life_fd, 0, &its, NULL) < 0 ||
		    ep_add(b, r->life_fd, ev(EV_LIFE, slot)))
			power_fatal(b, "persona %s: lifetime timer: %s", pp.name, strerror(errno));
	}
	return 0;

refused_release:
	persona_release(&r->p);
	r->used = false;
refused:
	close(dfd);
	log_line("persona %s refused: %s", path, err[0] ? err : strerror(-e));
	return e;
}

int loop_start_personas(struct bay0 *b)
{
	int started = 0;

	for (size_t i = 0; i < b->conf.npersonas; i++) {
		/* Hashing an image can take a while under emulation: feed
		 * the watchdog between personas (the loop is not running). */
		(void)watchdog_feed(b);
		if (start_one(b, i, b->conf.personas[i]) == 0)
			started++;
	}
	/* Monotonic time is, to a few ms, time since the kernel began: the
	 * bench reads both figures from this line. */
	log_line("personas started: %d of %zu at %lld ms (bay0 started at %lld ms)", started,
	         b->conf.npersonas, bay0_now_ms(), b->start_ms);
	if (b->tpm.on)
		log_line("tpm: %u runs of spine-tpm took %lld ms of bay0's start", b->tpm.runs,
		         b->tpm.spent_ms);
	return started;
}

/* ---- the loop ------------------------------------------------------------ */

static void on_signal(struct bay0 *b)
{
	struct signalfd_siginfo si;

	while (read(b->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_all(b);
			break;
		case SIGTERM:
			power_shutdown(b, b->conf.on_signal, "SIGTERM");
		case SIGINT:
			/* ctrl-alt-del, with CAD off (power_cad_off). */
			power_shutdown(b, CONF_REBOOT, "SIGINT (ctrl-alt-del)");
		default:
			log_line("signal %d from pid %u ignored", (int)si.ssi_signo, si.ssi_pid);
			break;
		}
	}
}

static void on_pidfd(struct bay0 *b, struct running *r)
{
	siginfo_t si = {0};

	if (r->p.state != PERSONA_RUNNING)
		return;
	if (waitid((idtype_t)P_PIDFD, (id_t)r->p.pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0) {
		/* Reaped already (reap_all got there first) or not yet a
		 * zombie: reap_all will see it. */
		return;
	}
	persona_exited(b, r, &si);
}

#ifdef BAY0_TEST_BUILD
/* TEST BUILDS ONLY: stop feeding the watchdog starve_after_sec - 1 seconds
 * after the loop starts, to prove that the hardware resets a stuck bay0. */
static void test_maybe_starve(struct bay0 *b, const struct timespec *t0)
{
	struct timespec now;

	if (!b->conf.starve_after_sec || b->wd.starved)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - t0->tv_sec >= (time_t)b->conf.starve_after_sec - 1) {
		b->wd.starved = true;
		log_line("TEST: watchdog feeding stopped");
	}
}
#endif

void loop_run(struct bay0 *b)
{
	struct epoll_event evs[16];
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (watchdog_timer(b))
		power_fatal(b, "watchdog timer: %s", strerror(errno));
	(void)watchdog_feed(b);
	if (b->health.timer_fd >= 0 && ep_add(b, b->health.timer_fd, ev(EV_HEALTH, 0)))
		power_fatal(b, "slot health timer: %s", strerror(errno));
	if ((b->umb.tty_fd >= 0 && ep_add(b, b->umb.tty_fd, ev(EV_UMB_KEY, 0))) ||
	    (b->umb.timer_fd >= 0 && ep_add(b, b->umb.timer_fd, ev(EV_UMB_TICK, 0))))
		power_fatal(b, "umbilical console: %s", strerror(errno));
	/* Children that exited before now are reaped at once. */
	reap_all(b);
	for (;;) {
		int n = epoll_wait(b->epfd, evs, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			power_fatal(b, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			enum ev_kind k = (enum ev_kind)(evs[i].data.u64 >> 32);
			size_t idx = (size_t)(evs[i].data.u64 & 0xffffffffu);
			struct running *r = &b->personas[idx];
			uint64_t ticks;

			switch (k) {
			case EV_SIGNAL:
				on_signal(b);
				break;
			case EV_WATCHDOG:
				if (read(b->wd.timer_fd, &ticks, sizeof(ticks)) < 0)
					break;
#ifdef BAY0_TEST_BUILD
				test_maybe_starve(b, &t0);
#endif
				if (watchdog_feed(b))
					log_err(-errno, "watchdog: keepalive");
				verity_watch(b);
				break;
			case EV_PIDFD:
				on_pidfd(b, r);
				break;
			case EV_LIFE:
				if (r->life_fd >= 0 && read(r->life_fd, &ticks, sizeof(ticks)) > 0)
					purge(b, r, "lifetime ended");
				break;
			case EV_LOG:
				if (r->log_fd >= 0)
					log_relay(b, r);
				break;
			case EV_CG_MEM:
			case EV_CG_PIDS:
				cg_event(r, k == EV_CG_PIDS);
				break;
			case EV_CG_PSI:
				if (r->psi_fd >= 0)
					purge(b, r, "memory pressure");
				break;
			case EV_HEALTH:
				health_deadline(b);
				break;
			case EV_UMB_CHAN:
				umbr_on_channel(b, r);
				break;
			case EV_UMB_KEY:
				umbr_on_key(b);
				break;
			case EV_UMB_TICK:
				umbr_on_timer(b);
				break;
			}
		}
	}
}
