/* Memory hog, run as a persona's entry (PID 1 of its PID namespace).
 *
 *	memhog <memory.max MiB>
 *
 * A child maps and touches anonymous memory one MiB at a time, up to four
 * times the limit, telling PID 1 each MiB it has touched. With memory.max
 * and memory.swap.max=0 the kernel's memcg OOM killer must SIGKILL the
 * child (the biggest task in the cgroup) before it gets far past the limit,
 * and nothing outside the cgroup: PID 1, in the same cgroup but small,
 * survives to report -- unless bay0 set memory.oom.group=1 (it does: a
 * persona is one unit), in which case the kernel kills the whole cgroup,
 * PID 1 included, and this program reports nothing. tests/vm-bay0 then
 * judges from outside: the kernel's "Memory cgroup out of memory: Killed
 * process N (memhog)" lines, bay0's purge line, the other personas going on. */
#include "pvm.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define MIB (1024L * 1024L)

static long swap_total_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SwapTotal: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	int fds[2], status;
	long limit, touched = 0, got;
	pid_t p;

	if (argc != 2)
		return 2;
	limit = strtol(argv[1], NULL, 10);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return 2;
	p = fork();
	if (p < 0) {
		pvm_report("memhog", 0, "fork: %s", pvm_errname(errno));
		return 1;
	}
	if (p == 0) {
		close(fds[0]);
		for (long i = 0; i < 4 * limit; i++) {
			char *m = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(3);
			memset(m, 0x5a, MIB);
			(void)!write(fds[1], &i, sizeof(i));
		}
		_exit(0); /* survived four times its limit: not contained */
	}
	close(fds[1]);
	while (read(fds[0], &got, sizeof(got)) == sizeof(got))
		touched = got + 1;
	if (waitpid(p, &status, 0) < 0) {
		pvm_report("memhog", 0, "waitpid: %s", pvm_errname(errno));
		return 1;
	}
	int killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	pvm_report("memhog", killed && touched <= limit + 1,
	           "child %s after touching %ld MiB, memory.max %ld MiB; pid 1 alive",
	           killed ? "SIGKILLed" : "was not SIGKILLed", touched, limit);
	long swap = swap_total_kib();
	pvm_report("memhog-noswap", swap == 0, "SwapTotal %ld kB", swap);
	return 0;
}
