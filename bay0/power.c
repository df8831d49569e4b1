/*
 * power.c: the only ways bay0 stops (docs/bay0.md, "Shutdown and the fatal
 * path"). Orderly: purge every persona, SIGTERM then SIGKILL whatever else
 * is left, reap, sync, unmount /persist, sync, feed the watchdog one last
 * time, reboot(2). The fatal path is the same walk with a logged reason and
 * spine.conf's on-fatal choice; a fatal error during shutdown skips straight
 * to the final sync and reboot. In a nested PID namespace reboot(2) ends the
 * namespace instead (SIGHUP for restart, SIGINT for power-off), which is
 * how the host tests observe it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"

/* Reaps until nothing is left or the deadline passes. 0 = none left. */
static int reap_until(time_t seconds)
{
	struct timespec now, end;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		struct timespec left;
		siginfo_t si;

		for (;;) {
			si.si_pid = 0;
			if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0)
				return errno == ECHILD ? 0 : -errno;
			if (si.si_pid == 0)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return -ETIMEDOUT;
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		/* SIGCHLD is blocked (the loop reads it through signalfd), so
		 * it can be waited for here without a handler. */
		(void)sigtimedwait(&chld, NULL, &left);
	}
}

static void kill_the_rest(const struct bay0 *b)
{
	/* kill(-1) reaches every process but bay0 in its PID namespace:
	 * anything left outside the personas' cgroups. */
	if (kill(-1, SIGTERM) == 0 && reap_until((time_t)b->conf.shutdown_sec) == -ETIMEDOUT)
		log_line("shutdown: processes left after %us, killing", b->conf.shutdown_sec);
	if (kill(-1, SIGKILL) == 0 && reap_until(5) == -ETIMEDOUT)
		log_line("shutdown: processes that cannot be killed remain");
}

void power_shutdown(struct bay0 *b, enum conf_power how, const char *why)
{
	int cmd = how == CONF_POWEROFF ? RB_POWER_OFF : RB_AUTOBOOT;

	if (!b->shutting_down) {
		b->shutting_down = true;
		log_line("shutdown: %s", why);
		/* The last phase, while the personas still run: nothing that
		 * unseals after this point was sealed to a running Spine. */
		if (b->tpm.barrier) {
			char err[512];
			if (measure_extend(&b->tpm, "spine:shutdown", err, sizeof(err)))
				log_line("tpm: %s", err);
		}
		loop_purge_all(b, why);
		kill_the_rest(b);
		sync();
		(void)persist_unmount(b);
		inventory_unmount(b);
	} else {
		log_line("shutdown: %s (during shutdown: going down now)", why);
	}
	sync();
	(void)watchdog_feed(b);
	log_line("%s", how == CONF_POWEROFF ? "powering off" : "rebooting");
	reboot(cmd);
	/* Only reached when the kernel refused. Try the other way; then stay
	 * still: an armed watchdog resets the machine. */
	log_err(-errno, "reboot");
	reboot(cmd == RB_POWER_OFF ? RB_AUTOBOOT : RB_POWER_OFF);
	log_err(-errno, "reboot");
	b->wd.starved = true;
	for (;;)
		pause();
}

void power_fatal(struct bay0 *b, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_line("fatal: %s", why);
	power_shutdown(b, b->conf.on_fatal, why);
}

int power_cad_off(const struct bay0 *b)
{
	if (b->contained)
		return 0; /* a PID namespace has no ctrl-alt-del of its own */
	/* With CAD off the kernel sends SIGINT to PID 1 instead of rebooting
	 * at once: the loop turns it into an orderly reboot. */
	if (reboot(RB_DISABLE_CAD) < 0)
		return -errno;
	return 0;
}
