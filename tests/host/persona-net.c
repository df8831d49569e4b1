/*
 * persona-net: host integration driver for a persona's network device
 * (docs/network.md), run by tests/host/persona-net.sh as PID 1 of a fresh
 * PID, mount and network namespace (the "Spine's" namespace here), in
 * which the script made a tap device. Through the real launcher code:
 *
 *   1. the owner gets the device: its script (tests/host/persona-net.sh
 *      writes it into the image) configures it with busybox ip, changes its
 *      MAC and MTU and renames it, then runs the escape probe with --netdev;
 *   2. while it runs the device is gone from this namespace; a second
 *      persona asking for it, and one asking for a device that does not
 *      exist, are refused with a reason;
 *   3. after purge the device is back here under its own name, down, with
 *      no address, its own MAC and MTU, and no fd of any process of this
 *      machine refers to the owner's network namespace any more;
 *   4. a second launch of the owner gets it again, clean.
 *
 *   persona-net --key K.pub --inventory DIR --stage DIR --dev NAME
 *               --own P --thief P --ghost P [--abstract NAME]
 *
 * --abstract: listen there in this ("the Spine's") namespace; the owner's
 * probe must not reach it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "persona.h"

static int fails;

__attribute__((format(printf, 2, 3))) static void report(bool ok, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("%s: persona net: %s\n", ok ? "PASS" : "FAIL", msg);
	fflush(stdout);
	if (!ok)
		fails++;
}

/* What `ip -o` prints about the device here, "" when it is absent. */
static void ip_show(const char *what, const char *dev, char *out, size_t cap)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "ip -o %s show dev %s 2>/dev/null", what, dev);
	FILE *f = popen(cmd, "r");
	size_t n = f ? fread(out, 1, cap - 1, f) : 0;
	out[n] = 0;
	if (f)
		pclose(f);
	out[strcspn(out, "\n")] = 0;
}

/* The word after key in s ("mtu 1500" -> "1500"). */
static void word_after(const char *s, const char *key, char *out, size_t cap)
{
	const char *p = strstr(s, key);
	out[0] = 0;
	if (p)
		sscanf(p + strlen(key), "%63s", out);
	(void)cap;
}

struct devstate {
	char link[512], addr[512], mac[64], mtu[64];
};

static void dev_state(const char *dev, struct devstate *d)
{
	ip_show("link", dev, d->link, sizeof d->link);
	ip_show("addr", dev, d->addr, sizeof d->addr);
	word_after(d->link, "link/ether ", d->mac, sizeof d->mac);
	word_after(d->link, " mtu ", d->mtu, sizeof d->mtu);
}

/* Any fd or namespace link of any process here naming net:[ino]. */
static int netns_refs(unsigned long ino)
{
	char want[64], path[PATH_MAX], got[128];
	int refs = 0;
	snprintf(want, sizeof want, "net:[%lu]", ino);
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/ns/net", e->d_name);
		ssize_t n = readlink(path, got, sizeof got - 1);
		if (n > 0 && (got[n] = 0, !strcmp(got, want)))
			refs++;
		snprintf(path, sizeof path, "/proc/%s/fd", e->d_name);
		DIR *fd = opendir(path);
		struct dirent *f;
		while (fd && (f = readdir(fd))) {
			char l[PATH_MAX + 300];
			snprintf(l, sizeof l, "%s/%s", path, f->d_name);
			n = readlink(l, got, sizeof got - 1);
			if (n > 0 && (got[n] = 0, !strcmp(got, want)))
				refs++;
		}
		if (fd)
			closedir(fd);
	}
	if (d)
		closedir(d);
	return refs;
}

static int load(const char *key, const char *inv, const char *pp_path, struct persona *p)
{
	static sv_pubkey k;
	static bool have;
	char err[256] = "";
	if (!have) {
		uint8_t buf[512];
		int fd = open(key, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0 || sv_pubkey_parse(buf, (size_t)n, &k)) {
			report(false, "key %s unreadable", key);
			return -1;
		}
		have = true;
	}
	int dfd = open(inv, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	struct passport pp;
	int r = passport_load(AT_FDCWD, pp_path, &k, 1, &pp, err, sizeof err);
	if (!r) {
		persona_init(p, &pp);
		r = persona_image_load(p, dfd, err, sizeof err);
	}
	close(dfd);
	if (r)
		report(false, "load %s: %s", pp_path, err);
	return r;
}

/* Reads the persona's output until the probe's last line (or 60 s),
 * grading every item line; returns the number of FAIL items. */
static int grade(int fd, const char *label)
{
	char buf[65536];
	size_t len = 0;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) > 0) {
			ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = 0;
			if (strstr(buf, "info: failures"))
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 60 || len + 1 >= sizeof buf)
			break;
	}
	buf[len] = 0;
	int bad = 0, items = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *sep = strstr(line, ": ok");
		bool is_item = !strncmp(line, "escape: ", 8) || !strncmp(line, "net: ", 5);
		if (!is_item)
			continue;
		items++;
		if (sep && (sep[4] == 0 || sep[4] == ' ')) {
			report(true, "%s: %s", label, line);
		} else if (strstr(line, ": skip ")) {
			printf("SKIP: persona net: %s: %s\n", label, line);
		} else {
			report(false, "%s: %s", label, line);
			bad++;
		}
	}
	report(items >= 40, "%s: %d item line(s) reported (want >= 40)", label, items);
	return bad;
}

int main(int argc, char **argv)
{
	const char *key = NULL, *inv = NULL, *stage = NULL, *dev = NULL, *own = NULL, *thief = NULL,
	           *ghost = NULL, *abstract = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--key"))
			key = v;
		else if (!strcmp(k, "--inventory"))
			inv = v;
		else if (!strcmp(k, "--stage"))
			stage = v;
		else if (!strcmp(k, "--dev"))
			dev = v;
		else if (!strcmp(k, "--own"))
			own = v;
		else if (!strcmp(k, "--thief"))
			thief = v;
		else if (!strcmp(k, "--ghost"))
			ghost = v;
		else if (!strcmp(k, "--abstract"))
			abstract = v;
	}
	if (!key || !inv || !stage || !dev || !own || !thief || !ghost) {
		fprintf(stderr, "persona-net: missing arguments\n");
		return 2;
	}
	if (abstract) {
		int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		size_t alen = strlen(abstract) < sizeof sa.sun_path - 1 ? strlen(abstract) : 0;
		memcpy(sa.sun_path + 1, abstract, alen);
		if (ls < 0 ||
		    bind(ls, (struct sockaddr *)&sa,
		         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + alen)) < 0 ||
		    listen(ls, 1) < 0) {
			report(false, "abstract listener @%s: %s", abstract, strerror(errno));
			return 1;
		}
	}
	struct devstate before, st;
	dev_state(dev, &before);
	if (!before.link[0] || !before.mac[0]) {
		report(false, "no device %s in this namespace to start from", dev);
		return 1;
	}
	static struct persona p, q;
	char err[256];
	for (int round = 1; round <= 2; round++) {
		char label[32];
		snprintf(label, sizeof label, "launch %d", round);
		if (load(key, inv, own, &p))
			return 1;
		int out[2];
		if (pipe2(out, O_CLOEXEC) < 0)
			return 1;
		struct persona_env env = {.stage_dir = stage, .stdio = {-1, out[1], out[1]}};
		err[0] = 0;
		int r = persona_launch(&p, &env, err, sizeof err);
		close(out[1]);
		report(r == 0, "%s: owner of %s started%s%s", label, dev, r ? ": " : "", err);
		if (r)
			return 1;
		unsigned long ino = p.net.netns_ino;
		report(ino != 0 && p.net.netns_fd >= 0, "%s: %s", label, p.net.report);
		int bad = grade(out[0], label);
		close(out[0]);
		report(bad == 0, "%s: the owner's script and probe: %d failure(s)", label, bad);
		dev_state(dev, &st);
		report(!st.link[0], "%s: %s is gone from the Spine's namespace while held%s%s",
		       label, dev, st.link[0] ? ": " : "", st.link);

		if (round == 1) {
			/* A second asker, and one for a device that does not
			 * exist: refused, nothing left behind. */
			const char *who[2] = {thief, ghost};
			const char *need[2] = {"not in the Spine's network namespace",
			                       "not in the Spine's network namespace"};
			for (int k = 0; k < 2; k++) {
				if (load(key, inv, who[k], &q))
					return 1;
				struct persona_env qe = {.stage_dir = stage, .stdio = {-1, -1, -1}};
				err[0] = 0;
				r = persona_launch(&q, &qe, err, sizeof err);
				report(r < 0 && strstr(err, need[k]) &&
				               q.state != PERSONA_RUNNING && q.net.netns_fd < 0 &&
				               q.net.userns_fd < 0,
				       "%s for %s refused: %s", k ? "ghost" : "thief",
				       q.pp.net_device, err[0] ? err : "(no reason)");
				if (!r)
					persona_purge(&q, &qe, "test", err, sizeof err);
				persona_release(&q);
			}
		}

		err[0] = 0;
		r = persona_purge(&p, &env, "test", err, sizeof err);
		report(r == 0, "%s: purge%s%s", label, r ? ": " : "", err);
		report(p.net.netns_fd < 0 && p.net.userns_fd < 0, "%s: bay0 holds no namespace fd",
		       label);
		report(r == 0 && strstr(p.net.report, "returned"), "%s: %s", label, p.net.report);
		persona_release(&p);
		dev_state(dev, &st);
		report(st.link[0] != 0, "%s: %s back in the Spine's namespace under its own name",
		       label, dev);
		report(st.link[0] && !strstr(st.link, ",UP") && !strstr(st.link, "<UP"),
		       "%s: %s is down: %s", label, dev, st.link);
		report(!st.addr[0], "%s: %s has no address%s%s", label, dev, st.addr[0] ? ": " : "",
		       st.addr);
		report(!strcmp(st.mac, before.mac) && !strcmp(st.mtu, before.mtu),
		       "%s: MAC %s and MTU %s as before (%s, %s)", label, st.mac, st.mtu,
		       before.mac, before.mtu);
		report(!strstr(st.link, "PROMISC") && !strstr(st.link, "UP100"),
		       "%s: promiscuous mode off", label);
		int refs = netns_refs(ino);
		report(refs == 0, "%s: no fd or process refers to the owner's netns net:[%lu] (%d)",
		       label, ino, refs);
	}
	printf("persona-net: %d failure(s)\n", fails);
	return fails ? 1 : 0;
}
