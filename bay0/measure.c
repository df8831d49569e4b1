/* measure.c: bay0's side of the run-time measurements (measure.h). */
#define _GNU_SOURCE
#include "measure.h"
#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* A TPM2_PCR_Extend and four reads take milliseconds on hardware and under
 * a second on swtpm without KVM; a TPM that does not answer in this long is
 * treated as a failed one. */
#define TOOL_TIMEOUT_MS 10000

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void measure_init(struct measure *m, const char *tool, const char *log_path)
{
	memset(m, 0, sizeof(*m));
	m->tool = tool;
	m->log_path = log_path;
	m->log_fd = -1;
}

/* Reads what is there into buf (keeping room for the NUL); drops the rest.
 * Returns 0 at EOF, 1 if more may come. */
static int drain(int fd, char *buf, size_t cap, size_t *len)
{
	char scratch[512];
	for (;;) {
		char *to = *len + 1 < cap ? buf + *len : scratch;
		size_t room = *len + 1 < cap ? cap - 1 - *len : sizeof(scratch);
		ssize_t n = read(fd, to, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 1 : 0;
		if (n == 0)
			return 0;
		if (to != scratch)
			*len += (size_t)n;
	}
}

int measure_run(char *const argv[], char *out, size_t outcap, char *err, size_t errcap,
                int timeout_ms)
{
	int po[2], pe[2], st = 0;
	size_t lo = 0, le = 0;

	if (pipe2(po, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = -errno;
		close(po[0]);
		close(po[1]);
		return e;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* bay0 blocks the signals it reads through signalfd; a child
		 * must start with none blocked. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(127);
		char *const envp[] = {NULL};
		execve(argv[0], argv, envp);
		dprintf(2, "%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	int fork_errno = errno;
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		close(po[0]);
		close(pe[0]);
		return -fork_errno;
	}
	struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	long long end = now_ms() + timeout_ms;
	bool killed = false;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		long long left = end - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		int n = poll(fds, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (fds[0].fd >= 0 && fds[0].revents && !drain(po[0], out, outcap, &lo))
			fds[0].fd = -1;
		if (fds[1].fd >= 0 && fds[1].revents && !drain(pe[0], err, errcap, &le))
			fds[1].fd = -1;
	}
	close(po[0]);
	close(pe[0]);
	if (outcap)
		out[lo] = 0;
	if (errcap)
		err[le] = 0;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (killed)
		return 256 + SIGKILL;
	if (WIFSIGNALED(st))
		return 256 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* The first line of s, without its newline, for a log line. */
static void first_line(char *s)
{
	s[strcspn(s, "\n")] = 0;
}

static int tool(struct measure *m, char *const argv[], char *out, size_t outcap, char *err,
                size_t errcap)
{
	long long t0 = now_ms();
	int rc = measure_run(argv, out, outcap, err, errcap, TOOL_TIMEOUT_MS);
	m->spent_ms += now_ms() - t0;
	m->runs++;
	return rc;
}

enum measure_replay measure_replay(struct measure *m)
{
	char out[512], err[512], path[256], verb[] = "replay";
	char *argv[] = {path, verb, NULL};

	if (access(m->tool, X_OK) != 0) {
		/* A Spine built without it measures nothing; with a TPM that
		 * leaves PCR 11 open, which the operator must know. */
		log_line("tpm: no %s in this Spine: nothing is measured at run time", m->tool);
		return MEASURE_NO_TPM;
	}
	snprintf(path, sizeof(path), "%s", m->tool);
	int rc = tool(m, argv, out, sizeof(out), err, sizeof(err));
	first_line(out);
	first_line(err);
	switch (rc) {
	case 4:
		/* Said once; no later step touches the TPM. */
		log_line(
		        "tpm: none (no /dev/tpmrm0 or /dev/tpm0): nothing is measured at run time");
		return MEASURE_NO_TPM;
	case 0:
		m->on = true;
		log_line("tpm: %s", strncmp(out, "spine-tpm: ", 11) == 0 ? out + 11 : out);
		return MEASURE_MATCH;
	case 3:
		m->on = true;
		log_line("tpm: %s", strncmp(out, "spine-tpm: ", 11) == 0 ? out + 11 : out);
		return MEASURE_DIFFERS;
	default:
		/* The TPM may still take extends (a firmware without a log):
		 * the extends decide whether it works. */
		m->on = true;
		log_line("tpm: firmware log replay failed (exit %d): %s", rc,
		         err[0]   ? err
		         : out[0] ? out
		                  : "no message");
		return MEASURE_FAILED;
	}
}

int measure_open_log(struct measure *m)
{
	m->log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	return m->log_fd < 0 ? -errno : 0;
}

int measure_extend(struct measure *m, const char *s, char *err, size_t errlen)
{
	char out[1024], emsg[512], path[256], verb[] = "extend", pcr[4], str[MEASURE_STRING_MAX];
	char *argv[] = {path, verb, pcr, str, NULL};

	snprintf(path, sizeof(path), "%s", m->tool);
	snprintf(pcr, sizeof(pcr), "%d", MEASURE_PCR);
	if ((size_t)snprintf(str, sizeof(str), "%s", s) >= sizeof(str)) {
		snprintf(err, errlen, "event string longer than %d bytes", MEASURE_STRING_MAX - 1);
		return -E2BIG;
	}

	int rc = tool(m, argv, out, sizeof(out), emsg, sizeof(emsg));
	if (rc != 0) {
		first_line(emsg);
		snprintf(err, errlen, "spine-tpm extend %d %s: exit %d: %s", MEASURE_PCR, s, rc,
		         emsg[0] ? emsg : "no message");
		return -EIO;
	}
	/* The run-time log holds what is in the PCR: written after the
	 * extend took, one write(2) per line, in extend order. */
	char line[MEASURE_STRING_MAX + 8];
	int n = snprintf(line, sizeof(line), "%d %s\n", MEASURE_PCR, s);
	if (m->log_fd >= 0 && (n <= 0 || (size_t)n >= sizeof(line) ||
	                       write(m->log_fd, line, (size_t)n) != (ssize_t)n))
		log_line("tpm: %s: could not append the event for %s", m->log_path, s);
	log_line("tpm: log %d %s", MEASURE_PCR, s);
	/* "BANK 11 HEX" per bank, as the TPM read it back. */
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		log_line("tpm: %s", l);
	return 0;
}

void measure_persona_string(char out[MEASURE_STRING_MAX], const char *name,
                            const uint8_t passport_sha512[64], const uint8_t image_sha512[64])
{
	int n = snprintf(out, MEASURE_STRING_MAX, "spine:persona:%.31s:", name);
	char *p = hex_lower(passport_sha512, 64, out + n);

	*p++ = ':';
	hex_lower(image_sha512, 64, p);
}
