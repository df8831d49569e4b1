/* Fork bomb, run as a persona's entry (PID 1 of its PID namespace).
 *
 *	forkbomb <pids.max> <hold-seconds>
 *
 * One child starts a real bomb: every process forks for ever and, once fork
 * fails, sleeps. PID 1 waits until fork has failed, holds the bomb for
 * hold-seconds (so the rest of the Spine runs beside a saturated cgroup),
 * counts the tasks in its PID namespace through its own /proc and reports.
 * Expected: fork fails with EAGAIN, and the namespace (= the cgroup, since
 * nothing else lives there) never holds more than pids.max tasks. Then PID 1
 * exits, which ends the namespace; bay0 purges the cgroup. */
#include "pvm.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static int count_tasks(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

/* Every bomb process runs this: fork until it fails, then report the
 * first failure's errno through the pipe (only one write wins: O_NONBLOCK
 * and a one-int pipe buffer are not needed, the reader takes the first). */
static void __attribute__((noreturn)) bomb(int wfd)
{
	for (;;) {
		pid_t p = fork();
		if (p < 0) {
			int e = errno;
			(void)!write(wfd, &e, sizeof(e));
			for (;;)
				pause();
		}
		/* Parent and child both go round again. */
	}
}

int main(int argc, char **argv)
{
	int fds[2], first_errno = 0, peak = 0, n;
	long pids_max, hold;
	struct timespec t0, t1;
	pid_t p;

	if (argc != 3)
		return 2;
	pids_max = strtol(argv[1], NULL, 10);
	hold = strtol(argv[2], NULL, 10);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = fork();
	if (p < 0) {
		pvm_report("forkbomb", 0, "first fork failed: %s", pvm_errname(errno));
		return 1;
	}
	if (p == 0) {
		close(fds[0]);
		bomb(fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &first_errno, sizeof(first_errno)) != sizeof(first_errno)) {
		pvm_report("forkbomb", 0, "no bomb process saw fork fail");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pvm_line("pvm: forkbomb: saturated after %ld ms, holding %ld s",
	         (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, hold);
	for (long i = 0; i < hold * 4; i++) {
		n = count_tasks();
		if (n > peak)
			peak = n;
		usleep(250000);
	}
	/* PID 1's own fork must fail too: the limit is the cgroup's, not a
	 * per-process one. */
	p = fork();
	if (p == 0)
		_exit(0);
	int e = p < 0 ? errno : 0;
	pvm_report("forkbomb", first_errno == EAGAIN && peak > 1 && peak <= pids_max && p < 0,
	           "fork errno %s, peak %d tasks in the namespace, pids.max %ld, pid 1 fork %s",
	           pvm_errname(first_errno), peak, pids_max, p < 0 ? pvm_errname(e) : "succeeded");
	/* Exiting as PID 1 SIGKILLs the whole namespace. */
	return 0;
}
