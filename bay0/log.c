/* log.c: console lines (log.h). */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LOG_MAX 512

static void log_emit(int err, const char *fmt, va_list ap) BAY0_PRINTF(2, 0);

static void log_emit(int err, const char *fmt, va_list ap)
{
	char buf[LOG_MAX];
	size_t n = 0;
	int r;

	r = snprintf(buf, sizeof(buf), "bay0: ");
	n = (size_t)r;
	r = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(buf) - n ? (size_t)r : sizeof(buf) - n - 1;
	if (err && n < sizeof(buf) - 1) {
		r = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(-err));
		if (r > 0)
			n += (size_t)r < sizeof(buf) - n ? (size_t)r : sizeof(buf) - n - 1;
	}
	/* A long line is cut, but always ends in a newline. */
	if (n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* The console may be a slow UART: retry short writes, give up on error. */
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

void log_line(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_err(int err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(err, fmt, ap);
	va_end(ap);
	errno = saved;
}

void log_attach_console(void)
{
	int fd;

	if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	for (int i = 0; i <= 2; i++)
		if (fd != i && fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}
