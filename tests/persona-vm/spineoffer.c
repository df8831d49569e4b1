/* spineoffer: the persona side of the Spine-update VM test
 * (tests/vm-spineupd/run.sh; docs/umbilical.md, "Spine updates").
 *
 *	spineoffer offer	offers, one after the other, the slot folders the test put in its
 *			outbox (/persist/outbox): link (a symbolic link to v3), tampered,
 *			badsig, old, then v3, which the person at the console accepts; it
 *			asks again while bay0 answers that the rate is spent. After v3 is
 *			written it leaves /persist/updated, so that the next boot offers
 *			nothing and says so. When the test left /persist/outbox/only
 *			("FOLDER" or "FOLDER WANT"), it offers that folder alone and
 *			expects an answer starting "updated ", or WANT.
 *	spineoffer impostor	asks for a Spine update as a persona spine.conf does not name
 *
 * Each answer is one "pvm: spine-<folder>: ok|FAIL" line; the harness checks
 * what bay0 logged and what is on the ESP, not these lines alone. */
#include "pvm.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Asks until the answer is not the rate limit's or the console's "busy". */
static void offer_one(const char *folder, const char *want)
{
	char req[300], ans[512], item[64];

	snprintf(req, sizeof(req), "spine %s", folder);
	snprintf(item, sizeof(item), "spine-%s", folder);
	for (int i = 0; i < 40; i++) {
		pvm_ask(req, ans, sizeof(ans));
		if (strcmp(ans, "refused: rate limit") && strncmp(ans, "refused: busy", 13))
			break;
		sleep(2);
	}
	pvm_report(item, strncmp(ans, want, strlen(want)) == 0, "'%s' -> '%s'", req, ans);
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc == 2 && !strcmp(argv[1], "impostor")) {
		offer_one("v3", "refused: spine.conf takes Spine updates from uoff only");
	} else if (argc == 2 && !strcmp(argv[1], "offer")) {
		char only[160] = "", *want;
		int fd = open("/persist/outbox/only", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, only, sizeof(only) - 1) : 0;

		if (fd >= 0)
			close(fd);
		only[n > 0 ? strcspn(only, "\n") : 0] = 0;
		if (stat("/persist/updated", &st) == 0) {
			pvm_line("pvm: spine-booted-again: ok updated before; nothing to offer");
		} else if (only[0]) {
			want = strchr(only, ' ');
			if (want)
				*want++ = 0;
			offer_one(only, want ? want : "updated ");
		} else {
			offer_one("link", "refused: vmlinuz: a symbolic link on the way");
			offer_one("tampered", "refused: spinectl refused it");
			offer_one("badsig", "refused: spinectl refused it");
			offer_one("old", "refused: spinectl refused it");
			offer_one("v3", "updated v3");
			close(open("/persist/updated", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
			sync();
			pvm_line("pvm: spine-offers-done: ok");
		}
	} else {
		pvm_line("usage: spineoffer offer|impostor");
		return 2;
	}
	for (;;)
		pause();
}
