/*
 * log.h: bay0's console lines. Every line starts with "bay0: " and is
 * written with one write(2), so lines from bay0 never interleave with
 * each other on the serial console (docs/bay0.md lists the lines tests read).
 */
#ifndef BAY0_LOG_H
#define BAY0_LOG_H

#define BAY0_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* One line on the console: "bay0: <text>\n". Never fails visibly: a PID 1
 * without a console still has to run. */
void log_line(const char *fmt, ...) BAY0_PRINTF(1, 2);

/* As log_line, with ": <strerror(-err)>" appended; err is a -errno. */
void log_err(int err, const char *fmt, ...) BAY0_PRINTF(2, 3);

/* If fds 0-2 are not open (the kernel found no /dev/console in the
 * initramfs), open the console we made in /dev onto them. */
void log_attach_console(void);

#endif
