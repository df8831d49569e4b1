/*
 * health.c: when the booted slot is marked good (docs/bay0.md, "Marking the
 * slot good").
 *
 * The loader counts a boot attempt for every boot of a slot not yet marked
 * good, and falls back to the other slot when they run out. So "good" must
 * mean "this Spine works": the personas spine.conf needs have run for
 * healthy-after seconds and the watchdog is being fed. A needed persona
 * that is refused, exits or is purged before then fails the probation: on a
 * slot not yet good, bay0 reboots, and that boot's attempt stays used; a
 * slot already good stays good (one bad boot does not undo the proof).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"
#include "slot.h"

static bool needed(const struct bay0 *b, const char *name)
{
	if (b->conf.nhealthy_needs == 0)
		return true; /* every persona spine.conf lists */
	for (size_t i = 0; i < b->conf.nhealthy_needs; i++)
		if (!strcmp(b->conf.healthy_needs[i], name))
			return true;
	return false;
}

static bool running(const struct bay0 *b, const char *name)
{
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++) {
		const struct running *r = &b->personas[i];

		if (r->used && r->p.state == PERSONA_RUNNING && !strcmp(r->p.pp.name, name))
			return true;
	}
	return false;
}

static void disarm(struct bay0 *b)
{
	b->health.judged = true;
	if (b->health.timer_fd >= 0) {
		close(b->health.timer_fd); /* closing removes it from the epoll set */
		b->health.timer_fd = -1;
	}
}

static void unhealthy(struct bay0 *b, const char *why)
{
	int r;

	disarm(b);
	r = mount_efivarfs();
	if (!r)
		r = slot_is_good(BAY0_EFIVARS, "/proc/cmdline");
	if (r == 1) {
		log_line("slot: not healthy this boot (%s); marked good before, it stays good",
		         why);
		return;
	}
	if (r < 0) {
		/* No loader state to go by (booted without spineboot): a reboot
		 * would count nothing. */
		log_err(r, "slot: not healthy (%s); its state is unreadable, not rebooting", why);
		return;
	}
	log_line("slot: not healthy (%s): rebooting, this boot's attempt stays used", why);
	power_shutdown(b, CONF_REBOOT, "slot not healthy");
}

int health_start(struct bay0 *b, size_t started)
{
	struct itimerspec its = {.it_value.tv_sec = (time_t)b->conf.healthy_sec};
	char why[96];

	b->health.timer_fd = -1;
	b->health.judged = false;
	if (b->contained) {
		log_line("slot: skipped (contained)");
		b->health.judged = true;
		return 0;
	}
	/* How the firmware got here: said once per boot, never repaired. */
	if (mount_efivarfs() == 0 && bootvar_read(BAY0_EFIVARS, &b->health.boot) == 0) {
		b->health.boot_read = true;
		bootvar_report(&b->health.boot);
	}
	if (b->conf.nhealthy_needs == 0 && started < b->conf.npersonas) {
		snprintf(why, sizeof(why), "%zu of %zu personas started", started,
		         b->conf.npersonas);
		unhealthy(b, why);
		return 0;
	}
	for (size_t i = 0; i < b->conf.nhealthy_needs; i++) {
		if (!running(b, b->conf.healthy_needs[i])) {
			snprintf(why, sizeof(why), "needed persona %s did not start",
			         b->conf.healthy_needs[i]);
			unhealthy(b, why);
			return 0;
		}
	}
	b->health.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->health.timer_fd < 0 || timerfd_settime(b->health.timer_fd, 0, &its, NULL) < 0)
		return -errno;
	log_line("slot: marked good after %u s if the needed personas keep running",
	         b->conf.healthy_sec);
	return 0;
}

void health_persona_gone(struct bay0 *b, const char *name, const char *why)
{
	char line[160];

	if (b->health.judged || b->shutting_down || !needed(b, name))
		return;
	snprintf(line, sizeof(line), "needed persona %s ended before %u s: %s", name,
	         b->conf.healthy_sec, why);
	unhealthy(b, line);
}

void health_deadline(struct bay0 *b)
{
	uint64_t ticks;
	int r;

	if (b->health.judged || b->health.timer_fd < 0 ||
	    read(b->health.timer_fd, &ticks, sizeof(ticks)) <= 0)
		return;
	/* The loop feeds the watchdog at a third of its timeout; a keepalive
	 * older than the whole timeout means feeding has stopped. */
	if (b->wd.fd >= 0 && bay0_now_ms() - b->wd.last_fed_ms > (long long)b->wd.timeout * 1000) {
		unhealthy(b, "the watchdog is not being fed");
		return;
	}
	disarm(b);
	r = mount_efivarfs();
	if (!r)
		r = slot_mark_good(BAY0_EFIVARS, "/proc/cmdline", &b->slot);
	/* Not fatal: an unmarked slot only keeps counting tries, and the
	 * loader falls back to the other slot when they run out. */
	if (r) {
		log_err(r, "slot: not marked good");
		return;
	}
	log_line("slot %c marked good (healthy for %u s)", b->slot, b->conf.healthy_sec);
	/* A new loader on trial has now booted a good slot: it goes first
	 * in BootOrder; until this write the firmware keeps starting the
	 * loader it had (docs/bay0.md, "How the firmware booted"). */
	if (b->health.boot_read) {
		struct bootvars *bv = &b->health.boot;

		r = bootvar_promote(BAY0_EFIVARS, bv);
		if (r < 0)
			log_err(r, "boot: the new loader Boot%04X was not promoted in BootOrder",
			        bv->current);
		else if (r == 1)
			log_line("boot: the new loader Boot%04X (%s) promoted: first of ours in "
			         "BootOrder, the previous one after it",
			         bv->current, be_loader_efi[bv->v.loader]);
	}
}
