/* Cross-persona probes: one persona plants, another looks for it.
 *
 *	xpeer plant <me> <hold-seconds>
 *	xpeer probe <me> <peer> <delay-seconds>
 *
 * Inside a persona /persist is its own subtree (bay0 binds /persist/<name>
 * there), so the planter's file is /persist/secret in its view and
 * /persist/<me>/secret on the host's disk.
 *
 * plant: writes /persist/secret and /tmp/secret, binds and listens on
 * the abstract socket "@pvm-<me>", creates SysV shm, a message queue and a
 * semaphore set under the key PVM_KEY, catches every catchable signal,
 * prints "pvm: <me>-ready", then holds for hold-seconds, reporting any
 * connection or signal it receives (either means containment failed).
 *
 * probe: waits delay-seconds (tests/vm-bay0 checks that the planter's ready
 * line came first in the log), then tries to reach each of those from
 * outside and reports per item. Each negative is paired with the same
 * operation on the probe's own objects (the control) so that "not found"
 * cannot come from a probe that simply does not work. */
#include "pvm.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#define PVM_KEY ((key_t)0x50564d31) /* "PVM1" */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* sun_path[0] = '\0': the abstract namespace, bound to the net ns. */
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "pvm-%s", name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* CLOCK_MONOTONIC in ms: one clock for every persona (bay0 gives none a
 * time namespace), so the log can order events across personas whatever
 * order bay0 relays their lines in. */
static long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, text, strlen(text));
	close(fd);
	return w == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int plant(const char *me, long hold)
{
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, me);
	int s, shm, msq, sem;

	int pf = write_file("/persist/secret", "pvm secret\n");
	int tf = write_file("/tmp/secret", "pvm secret\n");
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int sb = (s >= 0 && bind(s, (struct sockaddr *)&a, al) == 0 && listen(s, 8) == 0) ? 0
	                                                                                  : -errno;
	shm = shmget(PVM_KEY, 4096, IPC_CREAT | 0666);
	msq = msgget(PVM_KEY, IPC_CREAT | 0666);
	sem = semget(PVM_KEY, 1, IPC_CREAT | 0666);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			signal(sig, on_signal);
	int ok = pf == 0 && tf == 0 && sb == 0 && shm >= 0 && msq >= 0 && sem >= 0;
	/* The probe's negatives mean something only if all of this exists. */
	pvm_report("xpeer-plant", ok, "persist %s, tmp %s, socket %s, shm %d, msg %d, sem %d",
	           pf ? pvm_errname(-pf) : "ok", tf ? pvm_errname(-tf) : "ok",
	           sb ? pvm_errname(-sb) : "ok", shm, msq, sem);
	pvm_line("pvm: %s-ready at %ld ms", me, mono_ms());

	struct timespec end, t;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += hold;
	int intruders = 0;
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec >= end.tv_sec)
			break;
		if (poll(&p, 1, 500) == 1) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				intruders++;
				close(c);
			}
		}
		if (got_signal) {
			pvm_report("xpeer-signalled", 0, "%s received signal %d from outside", me,
			           (int)got_signal);
			got_signal = 0;
			intruders++;
		}
	}
	pvm_report("xpeer-undisturbed", intruders == 0,
	           "%s held its objects %ld s: %d connection(s) or signal(s) received", me, hold,
	           intruders);
	return 0;
}

static int count_procs(char *names, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	size_t o = 0;

	names[0] = '\0';
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[300], comm[32] = "?";
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		n++;
		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t r = read(fd, comm, sizeof(comm) - 1);
			comm[r > 0 ? r - 1 : 0] = '\0';
			close(fd);
		}
		if (o + 40 < len)
			o += (size_t)snprintf(names + o, len - o, "%s%s:%s", o ? "," : "",
			                      e->d_name, comm);
	}
	closedir(d);
	return n;
}

/* Abstract sockets visible in this net namespace other than our own. */
static int foreign_abstract(const char *own)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/net/unix", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *at = strchr(line, '@');
		if (at && !strstr(at, own))
			n++;
	}
	fclose(f);
	return n;
}

static int try_connect(const char *name)
{
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, name);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int r = connect(s, (struct sockaddr *)&a, al) == 0 ? 0 : -errno;
	close(s);
	return r;
}

static int probe(const char *me, const char *peer, long delay)
{
	char path[256], names[256], own[64];
	struct stat st;
	int r, e;

	sleep((unsigned)delay);
	pvm_line("pvm: %s-probing %s at %ld ms", me, peer, mono_ms());

	/* Processes: our /proc is our PID namespace's; only we are in it. */
	int n = count_procs(names, sizeof(names));
	pvm_report("xpeer-procs", n == 1, "%d process(es) visible: %s", n, names);
	r = kill(-1, SIGTERM);
	e = errno;
	pvm_report("xpeer-kill-all", r < 0 && e == ESRCH, "kill(-1, SIGTERM): %s",
	           r < 0 ? pvm_errname(e) : "delivered to someone");
	int hits = 0;
	for (pid_t p = 2; p < 4096; p++)
		if (kill(p, 0) == 0 || errno != ESRCH)
			hits++;
	pvm_report("xpeer-kill-pids", hits == 0, "kill(2..4095, 0): %d pid(s) reachable", hits);

	/* Files: the peer's subtree is nowhere in our view, by any spelling
	 * (our /persist is our own subtree, bound; its ".." is our root). */
	static const char *const spell[] = {"/persist/", "/persist/../", "/",
	                                    "/persist/../persist/"};
	char seen[256] = "";
	int reached = 0;
	for (size_t i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/secret", spell[i], peer);
		if (stat(path, &st) == 0) {
			reached++;
			snprintf(seen, sizeof(seen), "%s", path);
		}
	}
	int own_dir = stat("/persist", &st) == 0 && S_ISDIR(st.st_mode);
	pvm_report("xpeer-persist", !reached && own_dir,
	           "%d of 4 spellings of %s's /persist/secret reachable%s%s; own /persist %s",
	           reached, peer, reached ? ": " : "", seen, own_dir ? "present" : "missing");
	int r2 = open("/tmp/secret", O_RDONLY | O_CLOEXEC);
	e = errno;
	pvm_report("xpeer-tmp", r2 < 0 && e == ENOENT, "open /tmp/secret: %s",
	           r2 < 0 ? pvm_errname(e) : "opened");

	/* Abstract sockets: the peer's name must not connect; ours must. */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	socklen_t al = abstract_addr(&a, me);
	int ctl = (s >= 0 && bind(s, (struct sockaddr *)&a, al) == 0 && listen(s, 1) == 0)
	                  ? try_connect(me)
	                  : -errno;
	r = try_connect(peer);
	pvm_report("xpeer-abstract", r == -ECONNREFUSED && ctl == 0,
	           "connect @pvm-%s: %s (own @pvm-%s: %s)", peer, r ? pvm_errname(-r) : "connected",
	           me, ctl ? pvm_errname(-ctl) : "connected");
	snprintf(own, sizeof(own), "@pvm-%s", me);
	n = foreign_abstract(own);
	pvm_report("xpeer-abstract-list", n == 0,
	           "%d abstract socket(s) of others (bay0's, peers') in /proc/net/unix", n);
	if (s >= 0)
		close(s);

	/* SysV IPC: the peer's key does not exist here; we can then create it. */
	int shm = shmget(PVM_KEY, 0, 0), es = errno;
	int msq = msgget(PVM_KEY, 0), em = errno;
	int sem = semget(PVM_KEY, 0, 0), ee = errno;
	int mine = shmget(PVM_KEY, 4096, IPC_CREAT | IPC_EXCL | 0600);
	pvm_report("xpeer-ipc",
	           shm < 0 && es == ENOENT && msq < 0 && em == ENOENT && sem < 0 && ee == ENOENT &&
	                   mine >= 0,
	           "peer key: shm %s, msg %s, sem %s; own IPC_CREAT|IPC_EXCL %s",
	           shm < 0 ? pvm_errname(es) : "found", msq < 0 ? pvm_errname(em) : "found",
	           sem < 0 ? pvm_errname(ee) : "found", mine >= 0 ? "ok" : pvm_errname(errno));
	if (mine >= 0)
		shmctl(mine, IPC_RMID, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "plant"))
		return plant(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 5 && !strcmp(argv[1], "probe"))
		return probe(argv[2], argv[3], strtol(argv[4], NULL, 10));
	fprintf(stderr, "usage: xpeer plant <me> <hold> | probe <me> <peer> <delay>\n");
	return 2;
}
