/*
 * umb_stall.c: TEST BUILDS ONLY. spine.conf's `test-umbilical-stall
 * mid-copy|staged|owned|linked [SECONDS]` stops the Umbilical's copy at
 * that point, for good or for SECONDS, so that the power-cut test (tests/vm-umbcut/) can kill the
 * machine there (docs/umbilical.md, "Power cuts"). bay0 logs
 * "TEST: umbilical stalls at <point>" and sleeps, feeding the watchdog,
 * so that it is the power cut that ends the run and not the watchdog.
 * With SECONDS the copy then goes on ("TEST: umbilical resumes"): the
 * source persona can change its outbox in the meantime.
 * A release bay0 has none of this: umb_stall_hook() returns NULL and the
 * marker string is not in the binary (tests/host/bay0-release.sh).
 */
#include "bay0.h"
#include "log.h"

#include <unistd.h>

#ifdef BAY0_TEST_BUILD
static void stall(void *arg, enum umb_point p)
{
	static const char *const names[UMB_POINTS] = {"mid-copy", "staged", "owned", "linked"};
	struct bay0 *b = arg;

	if (b->conf.test_umb_stall != (unsigned)p + 1)
		return;
	unsigned n = b->conf.test_umb_stall_s;

	if (n)
		log_line("TEST: umbilical stalls at %s (test-umbilical-stall) for %u s", names[p],
		         n);
	else
		log_line("TEST: umbilical stalls at %s (test-umbilical-stall): waiting for the "
		         "power cut",
		         names[p]);
	/* Without SECONDS, for good: only the power cut ends it. */
	for (unsigned i = 0; !n || i < n; i++) {
		(void)watchdog_feed(b);
		sleep(1);
	}
	(void)watchdog_feed(b);
	log_line("TEST: umbilical resumes at %s", names[p]);
}
#endif

umb_at_fn *umb_stall_hook(const struct bay0 *b)
{
#ifdef BAY0_TEST_BUILD
	return b->conf.test_umb_stall ? stall : NULL;
#else
	(void)b;
	return NULL;
#endif
}
