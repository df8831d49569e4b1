/*
 * watchdog.c: the hardware watchdog (docs/bay0.md, "Watchdog").
 *
 * Opened once and never closed: the "magic close" ('V') is never written,
 * so if bay0 stops (hangs, or the kernel panics without rebooting) the
 * device resets the machine, and a slot not yet marked good loses a try.
 * Fed from the event loop's timer every timeout/3 (Talos's period), so one
 * missed tick still leaves a margin. The shutdown path feeds it one last
 * time and leaves it armed: a reboot that hangs is still a reboot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"

#define WD_SYS "/sys/class/watchdog/watchdog0/dev"
#define WD_NODE "/dev/watchdog0"

int watchdog_open(struct bay0 *b)
{
	struct watchdog_info info = {0};
	struct stat st;
	int fd, t, r, opt = WDIOS_ENABLECARD;

	b->wd.fd = -1;
	if (b->conf.watchdog_sec == 0) {
		log_line("watchdog off (spine.conf)");
		return 0;
	}
	if (b->contained) {
		log_line("watchdog: skipped (contained)");
		return 0;
	}
	if (stat(WD_SYS, &st) < 0) {
		log_line("watchdog: no device");
		return -ENODEV;
	}
	r = dev_node_from_sys(WD_SYS, WD_NODE, 0600);
	if (r)
		return r;
	/* Opening starts the timer (for most drivers, i6300esb included). */
	fd = open(WD_NODE, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, WDIOC_GETSUPPORT, &info) < 0)
		info.identity[0] = '\0';
	t = (int)b->conf.watchdog_sec;
	if (!(info.options & WDIOF_SETTIMEOUT) || ioctl(fd, WDIOC_SETTIMEOUT, &t) < 0) {
		/* Keep the device's own timeout, and feed against it. */
		if (ioctl(fd, WDIOC_GETTIMEOUT, &t) < 0)
			t = -errno;
		else if (t <= 0)
			t = -EINVAL;
		if (t < 0) {
			/* Closed without 'V': the device stays armed and will
			 * reset the machine, which is what this fatal path
			 * ends in anyway. */
			close(fd);
			return t;
		}
		log_line("watchdog: timeout %us refused, device keeps %ds", b->conf.watchdog_sec,
		         t);
	}
	/* Some drivers need an explicit enable; the others refuse it. */
	(void)ioctl(fd, WDIOC_SETOPTIONS, &opt);
	b->wd.fd = fd;
	b->wd.timeout = (unsigned)t;
	r = watchdog_feed(b);
	if (r)
		return r;
	log_line("watchdog armed timeout=%us device=%.32s", b->wd.timeout,
	         info.identity[0] ? (const char *)info.identity : "unknown");
	return 0;
}

int watchdog_feed(struct bay0 *b)
{
	int dummy = 0;

	if (b->wd.fd < 0 || b->wd.starved)
		return 0;
	if (ioctl(b->wd.fd, WDIOC_KEEPALIVE, &dummy) < 0)
		return -errno;
	b->wd.last_fed_ms = bay0_now_ms();
	return 0;
}
