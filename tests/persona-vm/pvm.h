/* Shared by the in-VM persona test programs (tests/persona-vm/).
 *
 * Each program runs inside a persona on the Spine and reports one line per
 * item on stdout, which bay0 hands to the serial console:
 *
 *	pvm: <item>: ok <detail>
 *	pvm: <item>: FAIL <detail>
 *
 * tests/vm-bay0/ turns every such line into PASS/FAIL and fails any item
 * it expected but never saw. Lines are written with one write(2) each so
 * that lines from several personas never interleave mid-line. */
#ifndef PVM_H
#define PVM_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__GNUC__)
#define PVM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PVM_PRINTF(a, b)
#endif

static inline void pvm_line(const char *fmt, ...) PVM_PRINTF(1, 2);
static inline void pvm_line(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(STDOUT_FILENO, buf, (size_t)n);
}

/* One result line: ok is the verdict, the rest is evidence for a reader. */
static inline void pvm_report(const char *item, int ok, const char *fmt, ...) PVM_PRINTF(3, 4);
static inline void pvm_report(const char *item, int ok, const char *fmt, ...)
{
	char detail[180]; /* bay0 relays lines of up to 255 bytes */
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(detail, sizeof(detail), fmt, ap) < 0)
		detail[0] = '\0';
	va_end(ap);
	pvm_line("pvm: %s: %s %s", item, ok ? "ok" : "FAIL", detail);
}

/* One request on the persona's channel to bay0 (fd 0) and bay0's
 * one-line answer, or "write: ..."/"read: ..." naming what failed. */
static inline void pvm_ask(const char *req, char *ans, size_t len)
{
	ssize_t n;

	if (write(0, req, strlen(req)) < 0) {
		snprintf(ans, len, "write: %s", strerror(errno));
		return;
	}
	n = read(0, ans, len - 1);
	if (n < 0)
		snprintf(ans, len, "read: %s", strerror(errno));
	else
		ans[n] = 0;
}

/* "EROFS" rather than "Read-only file system": the log is read by tests. */
static inline const char *pvm_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

#endif
