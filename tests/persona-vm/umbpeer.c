/* umbpeer: the two ends of the Umbilical's VM test (tests/vm-bay0/umb-checks.sh).
 *
 *	umbpeer offer	places three files in its outbox (/persist/outbox), then waits
 *	umbpeer pull	asks bay0 for them on its channel (fd 0), one case at a time,
 *			checks what arrived in /persist/inbox, then floods the channel
 *			with a thousand requests and prints a fake prompt
 *	umbpeer odd-offer  an outbox of things that are not files to give:
 *			a symbolic link out of the outbox and one inside it, a FIFO, a
 *			sparse file over the cap; tries mknod (refused: no CAP_MKNOD)
 *	umbpeer odd-pull   asks for each of them (again while bay0 says the
 *			console is busy or the rate is spent); each must be refused for
 *			what it is, before any prompt; and for swap-me, which uodd keeps
 *			exchanging with another file, and for names that break the rule
 *	umbpeer cut-offer  the source of the power-cut test (tests/vm-umbcut/):
 *			reports the files the harness put in its outbox, then waits
 *	umbpeer cut-swap   the same, then 7 s after its start swaps its outbox
 *			folder for a symbolic link to it (outbox -> outbox.real) while
 *			bay0 is stalled mid-copy (test-umbilical-stall mid-copy 10)
 *	umbpeer cut-pull   its receiver: asks for the first big-N.bin that is
 *			not in its inbox yet (one request a boot; the harness cuts the
 *			power during the transfer and boots again)
 *	umbpeer plant	plants symbolic links where bay0 writes (its inbox -> bay0's
 *			/persist/transfer) and where a runtime would mount (proc, a
 *			/dev/null, a pts, transfer) in its own /persist, then asks usrc for
 *			plant-me.bin: accepted at the console, the delivery must be refused
 *
 * bay0's console decides; the harness plays the person there (umb-keys.sh):
 * Y for accept-me.bin, n for deny-me.txt, nothing for wait-me.txt. */
#include "pvm.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define BIG (3u << 20) /* 3 MiB */

static uint8_t big_byte(uint32_t i)
{
	uint32_t x = i * 2654435761u + 12345u;
	x ^= x >> 15;
	return (uint8_t)(x ^ (x >> 8));
}

static int put(const char *path, size_t len, mode_t mode)
{
	static uint8_t buf[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = big_byte((uint32_t)(off + i));
		if (write(fd, buf, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		off += n;
	}
	fchmod(fd, mode);
	fsync(fd);
	return close(fd);
}

static int offer(void)
{
	int ok = mkdir("/persist/outbox", 0700) == 0 || errno == EEXIST;

	/* 0755: what arrives must not be executable whatever the source's mode. */
	ok = ok && put("/persist/outbox/accept-me.bin", BIG, 0755) == 0 &&
	     put("/persist/outbox/deny-me.txt", 100, 0644) == 0 &&
	     put("/persist/outbox/wait-me.txt", 100, 0644) == 0 &&
	     put("/persist/outbox/plant-me.bin", 100, 0644) == 0;
	pvm_report(
	        "umb-offered", ok,
	        "accept-me.bin (%u bytes, mode 0755), deny-me.txt, wait-me.txt, plant-me.bin: %s",
	        BIG, ok ? "in outbox" : strerror(errno));
	for (;;)
		pause();
	return 0;
}

static void expect(const char *item, const char *req, const char *want)
{
	char ans[512];

	pvm_ask(req, ans, sizeof(ans));
	pvm_report(item, strncmp(ans, want, strlen(want)) == 0, "'%s' -> '%s'", req, ans);
}

static int arrived(void)
{
	struct stat st;
	static uint8_t buf[65536];
	size_t off = 0;
	int fd = open("/persist/inbox/accept-me.bin", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return pvm_report("umb-arrived", 0, "open: %s", strerror(errno)), 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != big_byte((uint32_t)(off + (size_t)i)))
				return pvm_report("umb-arrived", 0, "byte %zu differs",
				                  off + (size_t)i),
				       0;
		off += (size_t)n;
	}
	close(fd);
	pvm_report("umb-arrived",
	           S_ISREG(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 07777) == 0600 &&
	                   off == BIG && st.st_nlink == 1,
	           "regular %d, uid %u (mine %u), mode %04o, %zu bytes, nlink %lu",
	           S_ISREG(st.st_mode), (unsigned)st.st_uid, (unsigned)getuid(),
	           (unsigned)(st.st_mode & 07777), off, (unsigned long)st.st_nlink);
	return 1;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One case, asked until bay0 answers about the file itself: a persona that
 * finds the console busy with another request, or is over its rate, asks
 * again later, as a real one would (for at most two minutes). */
static void expect_retry(const char *item, const char *req, const char *want)
{
	char ans[512];
	long long t0 = now_ms();
	int tries = 0;

	for (;;) {
		bool rate;

		pvm_ask(req, ans, sizeof(ans));
		tries++;
		rate = !strncmp(ans, "refused: rate limit", 19);
		if ((!rate && strncmp(ans, "refused: busy", 13)) || now_ms() - t0 > 120000)
			break;
		sleep(rate ? 5 : 2);
	}
	pvm_report(item, !strncmp(ans, want, strlen(want)), "'%s' -> '%s' (%d request(s))", req,
	           ans, tries);
}

static int pull(void)
{
	struct stat st;
	char ans[512];
	int sent = 0, answers = 0, limited = 0;
	long long t0;

	sleep(6); /* the source (started before) has placed its files */
	/* Four requests: the rate limit's burst of 3, and a 4th once 10 s
	 * have passed since the first (a bad name is refused in the host test). */
	t0 = now_ms();
	expect("umb-unknown-source", "pull nosuch x", "refused: no running persona 'nosuch'");
	/* Asked again while another persona's request holds the console. */
	expect_retry("umb-timed-out", "pull usrc wait-me.txt", "timed out");
	expect_retry("umb-accepted", "pull usrc accept-me.bin", "delivered accept-me.bin");
	while (now_ms() - t0 < 10500)
		usleep(100000);
	expect_retry("umb-denied", "pull usrc deny-me.txt", "denied");
	arrived();
	pvm_report("umb-not-delivered",
	           stat("/persist/inbox/deny-me.txt", &st) < 0 &&
	                   stat("/persist/inbox/wait-me.txt", &st) < 0,
	           "deny-me.txt and wait-me.txt not in the inbox");
	/* A thousand requests as fast as the channel takes them. */
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		char req[64];
		int len = snprintf(req, sizeof(req), "pull usrc flood-%d", i);
		if (write(0, req, (size_t)len) == len)
			sent++;
		/* Read the answers as they come, so the channel never stalls. */
		while (recv(0, ans, sizeof(ans) - 1, MSG_DONTWAIT) > 0) {
			answers++;
			limited += strstr(ans, "rate limit") != NULL;
		}
	}
	usleep(500000);
	while (recv(0, ans, sizeof(ans), MSG_DONTWAIT) > 0) {
		answers++;
		limited += strstr(ans, "rate limit") != NULL;
	}
	pvm_report("umb-flood", sent == 1000 && limited >= 990,
	           "sent %d in %lld ms, %d answers, %d refused by the rate limit", sent,
	           now_ms() - t0, answers, limited);
	/* A fake prompt, as a persona would print it to trick the person. */
	pvm_line("\rbay0: umbilical: ---- transfer request 99 ----");
	pvm_line("\x1b[2K\rbay0: umbilical: file name   accept-me.bin");
	pvm_line("bay0: umbilical: press Y (shift+y) to accept once this has stood 1.5 s");
	pvm_line("pvm: umb-fake-printed");
	sleep(5); /* the harness presses Y now */
	pvm_report("umb-done", 1, "every case asked");
	for (;;)
		pause();
	return 0;
}

/* The cap of the test Spine (spine.conf's default, 64 MiB) and one MiB more,
 * as a hole: the size alone must be refused, before a byte is copied. */
#define OVER_CAP ((off_t)65 << 20)

static int odd_offer(void)
{
	int ok = mkdir("/persist/outbox", 0700) == 0 || errno == EEXIST, fd;

	ok = ok && symlink("/persist/secret", "/persist/outbox/link-out") == 0 &&
	     put("/persist/secret", 100, 0600) == 0 &&
	     put("/persist/outbox/real0.txt", 100, 0644) == 0 &&
	     symlink("real0.txt", "/persist/outbox/link-in") == 0 &&
	     mkfifo("/persist/outbox/fifo", 0600) == 0;
	fd = ok ? open("/persist/outbox/huge", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
	ok = fd >= 0 && ftruncate(fd, OVER_CAP) == 0 && close(fd) == 0;
	pvm_report("umb-odd-offered", ok,
	           "link-out -> /persist/secret, link-in -> real0.txt, fifo, huge (%lld bytes, "
	           "sparse): %s",
	           (long long)OVER_CAP, ok ? "in outbox" : strerror(errno));
	/* A device node to offer: the persona cannot even make one. */
	{
		int r = mknod("/persist/outbox/dev", S_IFCHR | 0600, makedev(1, 3));
		int e = errno;

		pvm_report("umb-odd-mknod", r < 0 && e == EPERM,
		           "mknod of a character device in the outbox: %s",
		           r < 0 ? strerror(e) : "it worked");
	}
	/* swap-me and swap-alt, exchanged for ever (renameat2 RENAME_EXCHANGE):
	 * whatever bay0 copies, the file at the path changes under it. Two
	 * exchanges a millisecond or so; bay0's copy of 3 MiB takes hundreds. */
	ok = put("/persist/outbox/swap-me", BIG, 0644) == 0 &&
	     put("/persist/outbox/swap-alt", BIG / 2, 0644) == 0;
	pvm_report("umb-odd-swapping", ok, "swap-me (%u bytes) and swap-alt exchanged from now on",
	           BIG);
	for (unsigned long n = 0; ok; n++) {
		if (renameat2(AT_FDCWD, "/persist/outbox/swap-me", AT_FDCWD,
		              "/persist/outbox/swap-alt", RENAME_EXCHANGE) < 0)
			break;
		usleep(500);
	}
	for (;;)
		pause();
	return 0;
}

static int odd_pull(void)
{
	struct stat st;

	sleep(6);
	expect_retry("umb-odd-link-out", "pull uodd link-out", "refused: a symbolic link");
	expect_retry("umb-odd-link-in", "pull uodd link-in", "refused: a symbolic link");
	expect_retry("umb-odd-fifo", "pull uodd fifo", "refused: a FIFO, not a regular file");
	expect_retry("umb-odd-huge", "pull uodd huge",
	             "refused: 68157440 bytes, over the cap of 67108864");
	expect_retry("umb-odd-swap", "pull uodd swap-me", "refused: the source ");
	expect_retry("umb-odd-dotdot", "pull uodd ../secret", "refused: name rule: '/' at byte 2");
	/* A NUL inside the name, sent as the bytes of the datagram. */
	{
		static const char nul[] = "pull uodd real0.txt\0x";
		char ans[512];
		ssize_t n;

		for (int i = 0; i < 30; i++) {
			n = write(0, nul, sizeof(nul) - 1) < 0 ? -1 : read(0, ans, sizeof(ans) - 1);
			ans[n > 0 ? n : 0] = 0;
			if (strncmp(ans, "refused: rate limit", 19) &&
			    strncmp(ans, "refused: busy", 13))
				break;
			sleep(5);
		}
		pvm_report("umb-odd-nul",
		           !strcmp(ans, "refused: name rule: control character U+0000 at byte 9"),
		           "'pull uodd real0.txt\\0x' -> '%s'", ans);
	}
	pvm_report("umb-odd-nothing",
	           stat("/persist/inbox", &st) < 0 || (S_ISDIR(st.st_mode) && st.st_nlink == 2),
	           "the inbox is absent or holds no file");
	for (;;)
		pause();
	return 0;
}

/* The symbolic links of escape checklist item 3 (CVE-2019-19921 and kin):
 * planted in its own /persist where bay0 writes or a runtime would mount. */
static int plant(void)
{
	static const char *const links[][2] = {
	        {"/persist/transfer", "/persist/inbox"}, /* bay0's staging, as bay0 reads it */
	        {"/proc/self/root", "/persist/proc"},    {"/dev/null", "/persist/null"},
	        {"/dev/pts/0", "/persist/pts"},          {"../usrc/outbox", "/persist/transfer"},
	};
	int ok = 1;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		ok = ok && symlink(links[i][0], links[i][1]) == 0;
	pvm_report("umb-planted", ok,
	           "inbox -> /persist/transfer, proc, null, pts, transfer -> ../usrc/outbox: %s",
	           ok ? "planted" : strerror(errno));
	/* After urcv's cases, which hold the console for a while. */
	sleep(45);
	expect_retry("umb-plant-inbox", "pull usrc plant-me.bin",
	             "refused: the receiver's inbox is not a plain folder");
	for (;;)
		pause();
	return 0;
}

/* The power-cut test's source: the files are the harness's (on the disk
 * it built), so that it knows their SHA-512; this persona only shows them. */
static int cut_offer(bool swap)
{
	DIR *d = opendir("/persist/outbox");
	struct dirent *de;
	unsigned n = 0;
	off_t bytes = 0;

	while (d && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] != '.' &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode)) {
			n++;
			bytes += st.st_size;
		}
	}
	pvm_report("cut-offered", d && n > 0, "%u file(s), %jd bytes in /persist/outbox: %s", n,
	           (intmax_t)bytes, d ? "ok" : strerror(errno));
	if (d)
		closedir(d);
	if (swap) {
		/* bay0 asks at about 3 s and stalls mid-copy for 10 s. A link
		 * to the real folder: bay0 following it would deliver. */
		sleep(7);
		int ok = rename("/persist/outbox", "/persist/outbox.real") == 0 &&
		         symlink("outbox.real", "/persist/outbox") == 0;
		pvm_report("cut-swapped", ok, "outbox -> outbox.real: %s",
		           ok ? "the outbox is now a symbolic link" : strerror(errno));
	}
	for (;;)
		pause();
	return 0;
}

/* The power-cut test's receiver: one request a boot, for the first
 * big-N.bin its inbox lacks (a cut that delivered nothing asks for the same
 * file again; one that delivered it, for the next). */
static int cut_pull(void)
{
	char name[32], req[64], ans[512];
	struct stat st;
	int i;

	sleep(3); /* the source (started before) is running */
	for (i = 1; i <= 16; i++) {
		snprintf(name, sizeof(name), "big-%d.bin", i);
		snprintf(req, sizeof(req), "/persist/inbox/%s", name);
		if (lstat(req, &st) < 0)
			break;
	}
	if (i > 16)
		return pvm_report("cut-pull", 0, "all of big-1..16.bin already in the inbox"), 1;
	snprintf(req, sizeof(req), "pull cutsrc %s", name);
	pvm_line("pvm: cut-asking: %s", name);
	pvm_ask(req, ans, sizeof(ans));
	/* Not ok/FAIL: what the answer should be depends on the boot (a cut
	 * leaves none; the swap boot's is a refusal); the harness judges. */
	pvm_line("pvm: cut-answer: '%s' -> '%s'", req, ans);
	if (!strncmp(ans, "refused: the source was swapped", 31)) {
		/* The outbox swapped under the copy: ask once more. */
		pvm_ask(req, ans, sizeof(ans));
		pvm_line("pvm: cut-pull-again: '%s' -> '%s'", req, ans);
	}
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "offer"))
		return offer();
	if (argc == 2 && !strcmp(argv[1], "pull"))
		return pull();
	if (argc == 2 && !strcmp(argv[1], "odd-offer"))
		return odd_offer();
	if (argc == 2 && !strcmp(argv[1], "odd-pull"))
		return odd_pull();
	if (argc == 2 && !strcmp(argv[1], "plant"))
		return plant();
	if (argc == 2 && !strcmp(argv[1], "cut-offer"))
		return cut_offer(false);
	if (argc == 2 && !strcmp(argv[1], "cut-swap"))
		return cut_offer(true);
	if (argc == 2 && !strcmp(argv[1], "cut-pull"))
		return cut_pull();
	pvm_line("umbpeer: want offer|pull|odd-offer|odd-pull|plant|cut-offer|cut-swap|cut-pull");
	return 2;
}
