/*
 * umbilical_run.c: the Umbilical inside bay0 (docs/umbilical.md): each
 * persona's channel, the prompt on bay0's console, the keys read there,
 * and the log of every request and decision with both personas' names.
 *
 * The channel is one end of a SOCK_SEQPACKET socketpair made for that
 * persona alone and handed to it as its fd 0: nothing else can reach it,
 * so bay0 knows who asks from the fd it read. The keyboard is the first
 * VT (/dev/tty1), which no persona can open; the prompt is drawn there and
 * on the serial console, where every persona line bay0 relays is marked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "bay0.h"
#include "log.h"

#define UMB_TTY "/dev/tty1"
#define UMB_TICK_MS 200

/* spine.conf's umbilical-max-mib and umbilical-max-files. */
static struct umb_caps conf_caps(const struct bay0 *b)
{
	struct umb_caps c = {(uint64_t)b->conf.umb_max_mib << 20, b->conf.umb_max_files};

	return c;
}

int umbr_setup(struct bay0 *b)
{
	struct termios t;

	b->umb.tty_fd = -1;
	b->umb.st.fd = -1;
	b->umb.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (b->umb.timer_fd < 0)
		return -errno;
	/* A contained bay0 (host tests) must not take the host's VT. */
	if (b->contained) {
		log_line("umbilical: contained: no console keyboard, every request is refused");
		return 0;
	}
	if (mknod(UMB_TTY, S_IFCHR | 0600, makedev(4, 1)) < 0 && errno != EEXIST) {
		log_err(-errno, "umbilical: %s: every request is refused", UMB_TTY);
		return 0;
	}
	b->umb.tty_fd = open(UMB_TTY, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (b->umb.tty_fd < 0) {
		log_err(-errno, "umbilical: %s: every request is refused", UMB_TTY);
		return 0;
	}
	if (tcgetattr(b->umb.tty_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(b->umb.tty_fd, TCSANOW, &t);
	}
	tcflush(b->umb.tty_fd, TCIFLUSH);
	log_line("umbilical: console keyboard on %s", UMB_TTY);
	return 0;
}

int umbr_channel(struct bay0 *b, struct running *r, int *child_end)
{
	int sv[2];

	r->chan_fd = -1;
	*child_end = -1;
	memset(&r->rate, 0, sizeof(r->rate));
	r->rate_refused = 0;
	/* A channel for a persona that may pull, and for the one that may
	 * offer Spine updates. */
	if (!(r->p.pp.umbilical & PASSPORT_UMB_PULL) &&
	    !((r->p.pp.umbilical & PASSPORT_UMB_OFFER) && b->conf.spine_updates_from[0] &&
	      !strcmp(r->p.pp.name, b->conf.spine_updates_from)))
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	r->chan_fd = sv[0];
	*child_end = sv[1];
	return 0;
}

/* One reply datagram to the persona that asked: what and detail. */
void umbr_reply(struct running *r, const char *what, const char *detail)
{
	char m[UMB_REQ_MAX];
	int n = snprintf(m, sizeof(m), "%s%s", what, detail);

	if (r->chan_fd >= 0 && n > 0)
		(void)send(r->chan_fd, m, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1,
		           MSG_DONTWAIT | MSG_NOSIGNAL);
}

void umbr_tty(struct bay0 *b, const char *line)
{
	if (b->umb.tty_fd >= 0) {
		(void)!write(b->umb.tty_fd, "bay0: ", 6);
		(void)!write(b->umb.tty_fd, line, strlen(line));
		(void)!write(b->umb.tty_fd, "\r\n", 2);
	}
}

static void timer_arm(struct bay0 *b, bool on)
{
	struct itimerspec its = {0};

	if (on) {
		its.it_interval.tv_nsec = UMB_TICK_MS * 1000000L;
		its.it_value = its.it_interval;
	}
	timerfd_settime(b->umb.timer_fd, 0, &its, NULL);
}

/* The copy feeds the watchdog: a large file under emulation takes longer
 * than the watchdog's timeout. */
static void copy_feed(void *arg, uint64_t copied)
{
	struct bay0 *b = arg;

	(void)copied;
	if (bay0_now_ms() - b->wd.last_fed_ms >= 1000)
		(void)watchdog_feed(b);
}

static int subtree(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%s", BAY0_PERSIST, name);
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int stage_dir(void)
{
	return open(BAY0_PERSIST "/" UMB_STAGE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static struct running *by_name(struct bay0 *b, const char *name)
{
	for (size_t i = 0; i < CONF_MAX_PERSONAS; i++)
		if (b->personas[i].used && b->personas[i].p.state == PERSONA_RUNNING &&
		    !strcmp(b->personas[i].p.pp.name, name))
			return &b->personas[i];
	return NULL;
}

/* The refusals of the rate limit are counted, and logged at 1, 10, 100,
 * ...: a flood cannot flood the console. */
static void rate_refused(struct running *r)
{
	unsigned long n = ++r->rate_refused, p = 1;

	while (p * 10 <= n)
		p *= 10;
	if (n == p)
		log_line("umbilical: %s: %lu request(s) refused by the rate limit", r->p.pp.name,
		         n);
	umbr_reply(r, "refused: rate limit", "");
}

void umbr_draw_prompt(struct bay0 *b, char lines[][UMB_RELAY_MAX + 1], size_t n)
{
	if (b->umb.tty_fd >= 0)
		tcflush(b->umb.tty_fd, TCIFLUSH); /* no key typed before it counts */
	for (size_t i = 0; i < n; i++) {
		log_line("%s", lines[i]);
		umbr_tty(b, lines[i]);
	}
	b->umb.prompt.timeout_ms = (long long)b->conf.umb_timeout_s * 1000;
	umb_prompt_show(&b->umb.prompt, bay0_now_ms());
	timer_arm(b, true);
}

/* "spine FOLDER" from r: only from the persona spine.conf names, with
 * offer in its passport; then as a transfer, but the receiver is the
 * Spine and the copy goes to the ESP (umbilical_spine.c). */
static void spine_request(struct bay0 *b, struct running *r, unsigned long long id,
                          const struct umb_request *rq, const char *ename)
{
	const char *rn = r->p.pp.name;
	char err[256] = "";

	log_line("umbilical: request %llu: %s offers a Spine update from its folder '%s'", id, rn,
	         ename);
	if (!b->conf.spine_updates_from[0])
		snprintf(err, sizeof(err), "spine.conf names no persona for Spine updates");
	else if (strcmp(rn, b->conf.spine_updates_from))
		snprintf(err, sizeof(err), "spine.conf takes Spine updates from %s only",
		         b->conf.spine_updates_from);
	else if (!(r->p.pp.umbilical & PASSPORT_UMB_OFFER))
		snprintf(err, sizeof(err), "%s's passport does not grant offer", rn);
	else if (b->umb.pending)
		snprintf(err, sizeof(err), "busy: request %llu is at the console", b->umb.id);
	else if (b->umb.tty_fd < 0)
		snprintf(err, sizeof(err), "no keyboard at bay0's console: nobody can say yes");
	else if (!b->persist_mounted)
		snprintf(err, sizeof(err), "no /persist");
	if (!err[0] && umbs_request(b, r, id, rq->name, err, sizeof(err)) == 0) {
		b->umb.pending = true;
		b->umb.id = id;
		b->umb.rslot = b->umb.sslot = (size_t)(r - b->personas);
		snprintf(b->umb.name, sizeof(b->umb.name), "%s", rq->name);
		return;
	}
	log_line("umbilical: request %llu: %s offers a Spine update from '%s': refused: %s", id, rn,
	         ename, err);
	umbr_reply(r, "refused: ", err);
}

void umbr_on_channel(struct bay0 *b, struct running *r)
{
	uint8_t msg[UMB_REQ_MAX + 1];
	char err[256] = "", ename[UMB_NAME_MAX * UMB_ESCAPED_MAX + 1];
	struct umb_request rq;
	struct running *s;
	const char *rn = r->p.pp.name;
	unsigned long long id;
	ssize_t n;
	int e, sroot, sdir;

	if (r->chan_fd < 0)
		return;
	n = recv(r->chan_fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* the persona closed its end */
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, r->chan_fd, NULL);
		close(r->chan_fd);
		r->chan_fd = -1;
		return;
	}
	if (!umb_rate_allow(&r->rate, bay0_now_ms())) {
		rate_refused(r);
		return;
	}
	if (r->rate_refused) {
		log_line("umbilical: %s: %lu request(s) refused by the rate limit before this one",
		         rn, r->rate_refused);
		r->rate_refused = 0;
	}
	id = ++b->umb.next_id;
	e = umb_request_parse(msg, (size_t)n, &rq, err, sizeof(err));
	if (e) {
		log_line("umbilical: request %llu from %s: refused: %s", id, rn, err);
		umbr_reply(r, "refused: ", err);
		return;
	}
	umb_escape(rq.name, strlen(rq.name), ename, sizeof(ename));
	if (rq.op == UMB_OP_SPINE) {
		spine_request(b, r, id, &rq, ename);
		return;
	}
	s = by_name(b, rq.source);
	if (!s) {
		snprintf(err, sizeof(err), "no running persona '%s'", rq.source);
		goto refused;
	}
	e = umb_may(rn, r->p.pp.umbilical, rq.source, s->p.pp.umbilical, err, sizeof(err));
	if (e)
		goto refused;
	if (b->umb.pending) {
		snprintf(err, sizeof(err), "busy: request %llu is at the console", b->umb.id);
		goto refused;
	}
	if (b->umb.tty_fd < 0) {
		snprintf(err, sizeof(err), "no keyboard at bay0's console: nobody can say yes");
		goto refused;
	}
	if (!b->persist_mounted) {
		snprintf(err, sizeof(err), "no /persist");
		goto refused;
	}
	log_line("umbilical: request %llu: %s asks for '%s' from %s", id, rn, ename, rq.source);
	sroot = subtree(rq.source);
	sdir = stage_dir();
	if (sroot < 0 || sdir < 0) {
		snprintf(err, sizeof(err), "%s: %s", sroot < 0 ? rq.source : "/persist/transfer",
		         strerror(errno));
		if (sroot >= 0)
			close(sroot);
		if (sdir >= 0)
			close(sdir);
		goto refused;
	}
	{
		struct umb_copy_hooks hooks = {
		        .after_chunk = copy_feed, .at = umb_stall_hook(b), .arg = b};
		struct umb_caps caps = conf_caps(b);
		char sname[64];

		snprintf(sname, sizeof(sname), "r%llu", id);
		e = umb_stage(sroot, rq.name, sdir, sname, &caps, &hooks, &b->umb.st, err,
		              sizeof(err));
	}
	close(sroot);
	close(sdir);
	if (e)
		goto refused;
	b->umb.pending = true;
	b->umb.id = id;
	b->umb.rslot = (size_t)(r - b->personas);
	b->umb.sslot = (size_t)(s - b->personas);
	snprintf(b->umb.name, sizeof(b->umb.name), "%s", rq.name);
	{
		char lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1];
		struct umb_prompt_info pi = {.id = id,
		                             .source = rq.source,
		                             .receiver = rn,
		                             .name = rq.name,
		                             .size = b->umb.st.size,
		                             .timeout_s = b->conf.umb_timeout_s};

		memcpy(pi.sha512, b->umb.st.sha512, sizeof(pi.sha512));
		umbr_draw_prompt(b, lines, umb_prompt_text(&pi, lines));
	}
	return;

refused:
	log_line("umbilical: request %llu: %s asks for '%s' from %s: refused: %s", id, rn, ename,
	         rq.source, err);
	umbr_reply(r, "refused: ", err);
}

static void decide(struct bay0 *b, enum umb_decision d, const char *how)
{
	struct running *r = &b->personas[b->umb.rslot], *s = &b->personas[b->umb.sslot];
	char err[256] = "", ename[UMB_NAME_MAX * UMB_ESCAPED_MAX + 1];
	struct umb_caps caps = conf_caps(b);
	int sdir = stage_dir(), droot;

	b->umb.pending = false;
	timer_arm(b, false);
	if (b->umb.spine) {
		if (sdir >= 0)
			close(sdir);
		umbs_decide(b, s, d, how);
		return;
	}
	umb_escape(b->umb.name, strlen(b->umb.name), ename, sizeof(ename));
	if (d != UMB_ACCEPTED) {
		if (sdir >= 0)
			umb_discard(&b->umb.st, sdir);
		log_line("umbilical: request %llu: %s (%s): %s gets nothing of '%s' from %s",
		         b->umb.id, umb_decision_str(d), how, r->p.pp.name, ename, s->p.pp.name);
		umbr_tty(b,
		         d == UMB_TIMED_OUT ? "umbilical: timed out: denied" : "umbilical: denied");
		umbr_reply(r, umb_decision_str(d), "");
		if (sdir >= 0)
			close(sdir);
		return;
	}
	droot = subtree(r->p.pp.name);
	if (sdir < 0 || droot < 0) {
		snprintf(err, sizeof(err), "open /persist: %s", strerror(errno));
		if (sdir >= 0)
			umb_discard(&b->umb.st, sdir);
	} else {
		struct umb_copy_hooks hooks = {.at = umb_stall_hook(b), .arg = b};

		if (!umb_deliver(&b->umb.st, sdir, droot, b->umb.name, (uid_t)r->p.pp.uid,
		                 (gid_t)r->p.pp.gid, &caps, &hooks, err, sizeof(err)))
			err[0] = 0;
	}
	if (err[0]) {
		log_line("umbilical: request %llu: accepted (%s), but not delivered to %s from %s: "
		         "%s",
		         b->umb.id, how, r->p.pp.name, s->p.pp.name, err);
		umbr_reply(r, "refused: ", err);
	} else {
		log_line("umbilical: request %llu: accepted (%s): '%s' from %s delivered to %s's "
		         "inbox",
		         b->umb.id, how, ename, s->p.pp.name, r->p.pp.name);
		umbr_tty(b, "umbilical: accepted, delivered");
		umbr_reply(r, "delivered ", b->umb.name);
	}
	if (sdir >= 0)
		close(sdir);
	if (droot >= 0)
		close(droot);
}

void umbr_on_key(struct bay0 *b)
{
	unsigned char k[32];
	ssize_t n = read(b->umb.tty_fd, k, sizeof(k));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_err(n < 0 ? -errno : -EIO, "umbilical: %s: no more keys", UMB_TTY);
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, b->umb.tty_fd, NULL);
		close(b->umb.tty_fd);
		b->umb.tty_fd = -1;
		if (b->umb.pending)
			decide(b, UMB_DENIED, "keyboard gone");
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		enum umb_decision d;

		if (!b->umb.pending) {
			log_line("umbilical: key 0x%02x with no request at the console: ignored",
			         k[i]);
			continue;
		}
		d = umb_prompt_key(&b->umb.prompt, k[i], bay0_now_ms());
		if (d != UMB_PENDING) {
			decide(b, d,
			       d == UMB_ACCEPTED ? "key Y at the console" : "key at the console");
			break;
		}
	}
}

void umbr_on_timer(struct bay0 *b)
{
	uint64_t ticks;
	enum umb_decision d;

	if (read(b->umb.timer_fd, &ticks, sizeof(ticks)) < 0 || !b->umb.pending)
		return;
	d = umb_prompt_tick(&b->umb.prompt, bay0_now_ms());
	if (d != UMB_PENDING) {
		char how[40];

		snprintf(how, sizeof(how), "no answer in %u s", b->conf.umb_timeout_s);
		decide(b, d, how);
	}
}

void umbr_persona_gone(struct bay0 *b, struct running *r)
{
	size_t slot = (size_t)(r - b->personas);

	if (b->umb.pending && (b->umb.rslot == slot || b->umb.sslot == slot))
		decide(b, UMB_DENIED, "a persona of the request ended");
	if (r->chan_fd >= 0) {
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, r->chan_fd, NULL);
		close(r->chan_fd);
		r->chan_fd = -1;
	}
}
