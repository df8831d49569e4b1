/* CPU spinner, run as a persona's entry.
 *
 *	spinner <cpu.max percent> <cpulist> <seconds>
 *
 * Starts one spinning process per CPU it may use, plus one, for <seconds>
 * of wall time. Each spinner records every CPU sched_getcpu() saw it on.
 * PID 1 then compares the CPU time its children used (getrusage) with the
 * wall time: under cpu.max "<q> <period>" the whole cgroup gets at most
 * q/period of one CPU, however many spinners there are. It also checks
 * that its affinity mask is exactly the passport's cores, that no spinner
 * ever ran outside them, and that it cannot widen its mask to core 0
 * (cpuset refuses: EINVAL). */
#include "pvm.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* "2-3", "1", "4-7,9" -> a cpu_set_t. Returns 0 or -1. */
static int parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b;
		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= CPU_SETSIZE)
				return -1;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, set);
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		s = end;
	}
	return 0;
}

static void fmt_cpus(const cpu_set_t *set, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && o + 8 < len; c++)
		if (CPU_ISSET(c, set))
			o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", c);
	if (!o)
		snprintf(buf, len, "none");
}

int main(int argc, char **argv)
{
	cpu_set_t want, have, seen, zero;
	char b1[128], b2[128], b3[128];
	int fds[2], nspin;
	double secs, pct, t0, wall;
	struct rusage ru;

	if (argc != 4 || parse_cpulist(argv[2], &want) < 0)
		return 2;
	pct = strtod(argv[1], NULL);
	secs = strtod(argv[3], NULL);
	if (sched_getaffinity(0, sizeof(have), &have) < 0)
		return 2;
	fmt_cpus(&want, b1, sizeof(b1));
	fmt_cpus(&have, b2, sizeof(b2));
	pvm_report("spinner-affinity", CPU_EQUAL(&want, &have), "affinity %s, passport cores %s",
	           b2, b1);

	if (pipe2(fds, O_CLOEXEC) < 0)
		return 2;
	nspin = CPU_COUNT(&have) + 1;
	t0 = now();
	for (int i = 0; i < nspin; i++) {
		pid_t p = fork();
		if (p < 0) {
			pvm_report("spinner-cpumax", 0, "fork: %s", pvm_errname(errno));
			return 1;
		}
		if (p == 0) {
			cpu_set_t mine;
			volatile unsigned long x = 0;
			CPU_ZERO(&mine);
			while (now() - t0 < secs) {
				for (int k = 0; k < 100000; k++)
					x++;
				int c = sched_getcpu();
				if (c >= 0 && c < CPU_SETSIZE)
					CPU_SET(c, &mine);
			}
			(void)!write(fds[1], &mine, sizeof(mine));
			_exit(0);
		}
	}
	close(fds[1]);
	CPU_ZERO(&seen);
	cpu_set_t one;
	while (read(fds[0], &one, sizeof(one)) == sizeof(one))
		CPU_OR(&seen, &seen, &one);
	while (wait(NULL) > 0)
		;
	wall = now() - t0;
	getrusage(RUSAGE_CHILDREN, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	double share = 100.0 * cpu / wall;
	/* The bound: the quota plus 25% of it for the period boundaries and
	 * timer slack under emulation. Unthrottled, nspin >= 2 spinners would
	 * use 100% or more. The floor shows the spinners really ran. */
	pvm_report("spinner-cpumax", share <= pct * 1.25 && share >= pct * 0.2,
	           "%d spinners used %.2f s CPU in %.2f s wall = %.1f%% of a CPU, cpu.max %.0f%%",
	           nspin, cpu, wall, share, pct);

	fmt_cpus(&seen, b3, sizeof(b3));
	cpu_set_t outside;
	CPU_XOR(&outside, &seen, &want);
	CPU_AND(&outside, &outside, &seen);
	pvm_report("spinner-cpuset", CPU_COUNT(&outside) == 0 && CPU_COUNT(&seen) > 0,
	           "spinners ran on %s, passport cores %s", b3, b1);

	CPU_ZERO(&zero);
	CPU_SET(0, &zero);
	int r = sched_setaffinity(0, sizeof(zero), &zero);
	int e = errno;
	pvm_report("spinner-core0", r < 0, "sched_setaffinity({0}) %s",
	           r < 0 ? pvm_errname(e) : "succeeded");
	return 0;
}
