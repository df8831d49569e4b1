/*
 * persona_wifi.c: move a Wi-Fi device's wiphy into a persona and back
 * (docs/network.md, "Wi-Fi"). The interface of persona_net.c's callers is in
 * persona_wifi.h; rtnetlink (down, addresses) stays in persona_net.c.
 */
#define _GNU_SOURCE
#include "persona_wifi.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "passport.h"

/* ---- parsing (pure) ----------------------------------------------------- */

static int copy_str(char *dst, size_t cap, const uint8_t *d, size_t dl)
{
	const uint8_t *z = memchr(d, 0, dl);
	if (!z || z == d || (size_t)(z - d) >= cap)
		return -EBADMSG;
	memcpy(dst, d, (size_t)(z - d));
	dst[z - d] = 0;
	return 0;
}

static int get_u32(uint32_t *v, const uint8_t *d, size_t dl)
{
	if (dl != sizeof *v)
		return -EBADMSG;
	memcpy(v, d, sizeof *v);
	return 0;
}

/* One attribute of a controller or nl80211 message. */
static int take_attr(struct persona_wifi_msg *m, bool ctrl, unsigned type, const uint8_t *d,
                     size_t dl)
{
	if (ctrl) {
		if (type != CTRL_ATTR_FAMILY_ID)
			return 0;
		if (dl != sizeof m->family_id)
			return -EBADMSG;
		memcpy(&m->family_id, d, sizeof m->family_id);
		return m->family_id ? 0 : -EBADMSG;
	}
	switch (type) {
	case NL80211_ATTR_WIPHY:
		m->has_wiphy = true;
		return get_u32(&m->wiphy, d, dl);
	case NL80211_ATTR_IFINDEX:
		m->has_ifindex = true;
		return get_u32(&m->ifindex, d, dl);
	case NL80211_ATTR_IFTYPE:
		m->has_iftype = true;
		return get_u32(&m->iftype, d, dl);
	case NL80211_ATTR_WDEV:
		if (dl != sizeof m->wdev)
			return -EBADMSG;
		m->has_wdev = true;
		memcpy(&m->wdev, d, sizeof m->wdev);
		return 0;
	case NL80211_ATTR_WIPHY_NAME:
		return copy_str(m->phy, sizeof m->phy, d, dl);
	case NL80211_ATTR_IFNAME:
		return copy_str(m->ifname, sizeof m->ifname, d, dl);
	case NL80211_ATTR_SUPPORTED_COMMANDS:
		/* Nested: attribute i holds the i-th supported command, a u32. */
		for (size_t o = 0; o + NLA_HDRLEN <= dl;) {
			struct nlattr a;
			memcpy(&a, d + o, sizeof a);
			if (a.nla_len < NLA_HDRLEN || a.nla_len > dl - o)
				return -EBADMSG;
			uint32_t c;
			if (get_u32(&c, d + o + NLA_HDRLEN, a.nla_len - NLA_HDRLEN))
				return -EBADMSG;
			if (c == NL80211_CMD_SET_WIPHY_NETNS)
				m->can_netns = true;
			o += NLA_ALIGN(a.nla_len);
		}
		return 0;
	default:
		return 0;
	}
}

int persona_wifi_next(const void *buf, size_t len, size_t *off, uint32_t seq, bool ctrl,
                      struct persona_wifi_msg *m)
{
	const uint8_t *b = buf;
	for (;;) {
		if (*off >= len)
			return 0;
		size_t left = len - *off;
		struct nlmsghdr h;
		if (left < sizeof h)
			return -EBADMSG;
		memcpy(&h, b + *off, sizeof h);
		if (h.nlmsg_len < sizeof h || h.nlmsg_len > left)
			return -EBADMSG;
		const uint8_t *p = b + *off;
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		*off += step < left ? step : left;
		if (h.nlmsg_seq != seq)
			continue;
		memset(m, 0, sizeof *m);
		m->error = 1;
		if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
			int e = 0;
			if (h.nlmsg_len >= NLMSG_HDRLEN + sizeof e)
				memcpy(&e, p + NLMSG_HDRLEN, sizeof e);
			else if (h.nlmsg_type == NLMSG_ERROR)
				return -EBADMSG;
			if (e > 0 || e < -4095)
				return -EBADMSG;
			if (h.nlmsg_type == NLMSG_DONE)
				m->done = true;
			m->error = e;
			if (m->done && !e)
				m->error = 1;
			return 1;
		}
		if (h.nlmsg_type < NLMSG_MIN_TYPE || h.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
			return -EBADMSG;
		m->cmd = p[NLMSG_HDRLEN];
		for (size_t o = NLMSG_HDRLEN + GENL_HDRLEN; o + NLA_HDRLEN <= h.nlmsg_len;) {
			struct nlattr a;
			memcpy(&a, p + o, sizeof a);
			if (a.nla_len < NLA_HDRLEN || a.nla_len > h.nlmsg_len - o)
				return -EBADMSG;
			int r = take_attr(m, ctrl, a.nla_type & NLA_TYPE_MASK, p + o + NLA_HDRLEN,
			                  a.nla_len - NLA_HDRLEN);
			if (r)
				return r;
			o += NLA_ALIGN(a.nla_len);
		}
		return 1;
	}
}

/* ---- requests ------------------------------------------------------------ */

struct greq {
	union {
		struct nlmsghdr h;
		char raw[512];
	};
};

static void greq_init(struct greq *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
	static uint32_t seq;
	if (!seq)
		seq = (uint32_t)time(NULL) ^ 0x5a5a0000u;
	memset(r, 0, sizeof *r);
	r->h.nlmsg_type = family;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = ++seq;
	r->h.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	struct genlmsghdr g = {.cmd = cmd, .version = 1};
	memcpy(NLMSG_DATA(&r->h), &g, sizeof g);
}

/* A few fixed attributes per request: running out of room is a bug. */
static bool greq_attr(struct greq *r, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	if (at + NLA_HDRLEN + NLA_ALIGN(len) > sizeof r->raw)
		return false;
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
	memcpy(r->raw + at, &a, sizeof a);
	if (len)
		memcpy(r->raw + at + NLA_HDRLEN, data, len);
	r->h.nlmsg_len = (uint32_t)(at + NLA_ALIGN(a.nla_len));
	return true;
}

int persona_netlink_open(int protocol)
{
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	if (s < 0)
		return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(s);
		return -e;
	}
	return s;
}

static int genl_open(void)
{
	return persona_netlink_open(NETLINK_GENERIC);
}

typedef int (*each_fn)(const struct persona_wifi_msg *m, void *ctx);

/* Sends r and reads until its dump ends (NLMSG_DONE) or its ack or error
 * arrives; each data message goes to each(). */
static int genl_talk(int s, struct greq *r, bool ctrl, each_fn each, void *ctx)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	if (sendto(s, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		return -errno;
	static char buf[32768];
	for (;;) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof buf)
			return -EMSGSIZE;
		if (from.nl_pid != 0)
			continue;
		size_t off = 0;
		struct persona_wifi_msg m;
		int k;
		while ((k = persona_wifi_next(buf, (size_t)n, &off, r->h.nlmsg_seq, ctrl, &m)) ==
		       1) {
			if (m.done)
				return m.error == 1 ? 0 : m.error;
			if (m.error != 1)
				return m.error;
			if (each) {
				int e = each(&m, ctx);
				if (e)
					return e;
			}
		}
		if (k < 0)
			return k;
	}
}

static int take_family(const struct persona_wifi_msg *m, void *ctx)
{
	if (m->family_id)
		*(uint16_t *)ctx = m->family_id;
	return 0;
}

static int family_id(int s, uint16_t *id)
{
	struct greq r;
	greq_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	if (!greq_attr(&r, CTRL_ATTR_FAMILY_NAME, NL80211_GENL_NAME, sizeof NL80211_GENL_NAME))
		return -EMSGSIZE;
	*id = 0;
	int e = genl_talk(s, &r, true, take_family, id);
	if (!e && !*id)
		e = -ENOENT;
	return e;
}

struct wiphy_seen {
	uint32_t wiphy;
	bool seen, can_netns;
	char phy[PERSONA_WIFI_PHY_MAX + 1];
};

static int take_wiphy(const struct persona_wifi_msg *m, void *ctx)
{
	struct wiphy_seen *w = ctx;
	if (!m->has_wiphy || m->wiphy != w->wiphy)
		return 0;
	w->seen = true;
	w->can_netns |= m->can_netns;
	if (m->phy[0])
		memcpy(w->phy, m->phy, sizeof w->phy);
	return 0;
}

/* The wiphy as nl80211 sees it from the socket's namespace: a split dump
 * (the commands come in one of its parts). -ENODEV: not there. */
static int wiphy_get(int s, uint16_t family, struct wiphy_seen *w)
{
	struct greq r;
	greq_init(&r, family, NL80211_CMD_GET_WIPHY, NLM_F_DUMP);
	if (!greq_attr(&r, NL80211_ATTR_WIPHY, &w->wiphy, sizeof w->wiphy) ||
	    !greq_attr(&r, NL80211_ATTR_SPLIT_WIPHY_DUMP, NULL, 0))
		return -EMSGSIZE;
	w->seen = w->can_netns = false;
	w->phy[0] = 0;
	int e = genl_talk(s, &r, false, take_wiphy, w);
	if (e == -ENODEV || e == -ENOENT || (!e && !w->seen))
		return -ENODEV;
	return e;
}

#define IFACES_MAX 16
struct ifaces {
	uint32_t wiphy;
	unsigned n;
	bool overflow;
	struct {
		uint32_t ifindex, iftype;
		uint64_t wdev;
		bool has_wdev;
		char name[16];
	} i[IFACES_MAX];
};

static int take_iface(const struct persona_wifi_msg *m, void *ctx)
{
	struct ifaces *f = ctx;
	if (!m->has_wiphy || m->wiphy != f->wiphy)
		return 0;
	if (f->n == IFACES_MAX) {
		f->overflow = true;
		return 0;
	}
	f->i[f->n].ifindex = m->has_ifindex ? m->ifindex : 0;
	f->i[f->n].iftype = m->has_iftype ? m->iftype : 0;
	f->i[f->n].wdev = m->wdev;
	f->i[f->n].has_wdev = m->has_wdev;
	memcpy(f->i[f->n].name, m->ifname, sizeof f->i[f->n].name);
	f->n++;
	return 0;
}

static int ifaces_get(int s, uint16_t family, struct ifaces *f)
{
	struct greq r;
	greq_init(&r, family, NL80211_CMD_GET_INTERFACE, NLM_F_DUMP);
	if (!greq_attr(&r, NL80211_ATTR_WIPHY, &f->wiphy, sizeof f->wiphy))
		return -EMSGSIZE;
	f->n = 0;
	f->overflow = false;
	return genl_talk(s, &r, false, take_iface, f);
}

static int wiphy_cmd_u32(int s, uint16_t family, uint8_t cmd, uint16_t a1, uint32_t v1, uint16_t a2,
                         const void *d2, size_t l2)
{
	struct greq r;
	greq_init(&r, family, cmd, NLM_F_ACK);
	if (!greq_attr(&r, a1, &v1, sizeof v1) || (d2 && !greq_attr(&r, a2, d2, l2)))
		return -EMSGSIZE;
	return genl_talk(s, &r, false, NULL, NULL);
}

static int read_sys(const char *dev, const char *leaf, char *out, size_t cap)
{
	char path[96];
	snprintf(path, sizeof path, "/sys/class/net/%s/phy80211/%s", dev, leaf);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, out, cap - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

/* ---- claim and return ---------------------------------------------------- */

int persona_wifi_probe(struct persona_wifi *w, const char *dev, char *err, size_t errlen)
{
	char idx[32], *end;
	memset(w, 0, sizeof *w);
	int r = read_sys(dev, "index", idx, sizeof idx);
	if (r)
		return persona_refuse(err, errlen, -r, "network device %s: phy80211/index: %s", dev,
		                      strerror(-r));
	errno = 0;
	unsigned long v = strtoul(idx, &end, 10);
	if (errno || end == idx || *end || v > UINT32_MAX)
		return persona_refuse(err, errlen, EINVAL,
		                      "network device %s: phy80211/index '%s' is not a number", dev,
		                      idx);
	w->wiphy = (uint32_t)v;
	int s = genl_open();
	if (s < 0)
		return persona_refuse(err, errlen, -s, "network device %s: generic netlink: %s",
		                      dev, strerror(-s));
	struct wiphy_seen seen = {.wiphy = w->wiphy};
	if ((r = family_id(s, &w->family))) {
		r = persona_refuse(err, errlen, -r, "network device %s: nl80211 family: %s", dev,
		                   strerror(-r));
		goto out;
	}
	if ((r = wiphy_get(s, w->family, &seen))) {
		r = persona_refuse(err, errlen, -r, "network device %s: wiphy %u: %s", dev,
		                   w->wiphy, strerror(-r));
		goto out;
	}
	memcpy(w->phy, seen.phy, sizeof w->phy);
	if (!seen.can_netns) {
		r = persona_refuse(err, errlen, EOPNOTSUPP,
		                   "network device %s: the driver of Wi-Fi %s cannot move it to "
		                   "another network namespace (no set_wiphy_netns)",
		                   dev, w->phy);
		goto out;
	}
	w->active = true;
out:
	close(s);
	return r;
}

int persona_wifi_move_in(struct persona_wifi *w, const char *dev, int netns_fd, char *err,
                         size_t errlen)
{
	int s = genl_open();
	if (s < 0)
		return persona_refuse(err, errlen, -s, "network device %s: generic netlink: %s",
		                      dev, strerror(-s));
	uint32_t fd = (uint32_t)netns_fd;
	int r = wiphy_cmd_u32(s, w->family, NL80211_CMD_SET_WIPHY_NETNS, NL80211_ATTR_WIPHY,
	                      w->wiphy, NL80211_ATTR_NETNS_FD, &fd, sizeof fd);
	if (r)
		r = persona_refuse(err, errlen, -r,
		                   "network device %s: move Wi-Fi %s into the persona: %s", dev,
		                   w->phy, strerror(-r));
	else {
		struct wiphy_seen seen = {.wiphy = w->wiphy};
		int g = wiphy_get(s, w->family, &seen);
		if (g != -ENODEV)
			r = persona_refuse(err, errlen, EIO,
			                   "network device %s: Wi-Fi %s still in the Spine's "
			                   "namespace after the move (%s)",
			                   dev, w->phy, g ? strerror(-g) : "listed");
	}
	close(s);
	return r;
}

int persona_wifi_return(struct persona_wifi *w, const char *dev, int netns_fd, int spine_fd,
                        int *ifindex, char *err, size_t errlen)
{
	int s = -1, in = -1, r;
	struct wiphy_seen seen = {.wiphy = w->wiphy};
	struct ifaces f = {.wiphy = w->wiphy};

	*ifindex = 0;
	/* A generic netlink socket inside the persona's namespace: nl80211
	 * acts on the wiphy only where it is. */
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return persona_refuse(
		        err, errlen, errno,
		        "network device %s: enter the persona's network namespace: %s", dev,
		        strerror(errno));
	in = genl_open();
	if (setns(spine_fd, CLONE_NEWNET) < 0) {
		r = persona_refuse(err, errlen, errno,
		                   "network device %s: return to the Spine's network namespace: %s",
		                   dev, strerror(errno));
		goto out;
	}
	if (in < 0) {
		r = persona_refuse(err, errlen, -in,
		                   "network device %s: generic netlink inside: %s", dev,
		                   strerror(-in));
		in = -1;
		goto out;
	}
	uint32_t fd = (uint32_t)spine_fd;
	r = wiphy_cmd_u32(in, w->family, NL80211_CMD_SET_WIPHY_NETNS, NL80211_ATTR_WIPHY, w->wiphy,
	                  NL80211_ATTR_NETNS_FD, &fd, sizeof fd);
	if (r == -ENODEV || r == -ENOENT) {
		/* Unplugged (or its driver unloaded) while the persona held it. */
		r = persona_refuse(err, errlen, ENODEV,
		                   "network device %s: Wi-Fi %s is gone: nothing to return", dev,
		                   w->phy);
		goto out;
	}
	if (r) {
		r = persona_refuse(err, errlen, -r, "network device %s: move Wi-Fi %s back: %s",
		                   dev, w->phy, strerror(-r));
		goto out;
	}
	if ((s = genl_open()) < 0) {
		r = persona_refuse(err, errlen, -s, "network device %s: generic netlink: %s", dev,
		                   strerror(-s));
		s = -1;
		goto out;
	}
	if ((r = wiphy_get(s, w->family, &seen))) {
		r = persona_refuse(
		        err, errlen, -r,
		        "network device %s: Wi-Fi %s not back in the Spine's namespace: %s", dev,
		        w->phy, strerror(-r));
		goto out;
	}
	/* Its name, which a persona can change (SET_WIPHY needs only
	 * CAP_NET_ADMIN over the wiphy's namespace). */
	if (strcmp(seen.phy, w->phy) &&
	    (r = wiphy_cmd_u32(s, w->family, NL80211_CMD_SET_WIPHY, NL80211_ATTR_WIPHY, w->wiphy,
	                       NL80211_ATTR_WIPHY_NAME, w->phy, strlen(w->phy) + 1))) {
		r = persona_refuse(err, errlen, -r, "network device %s: rename %s back to %s: %s",
		                   dev, seen.phy, w->phy, strerror(-r));
		goto out;
	}
	/* Whatever interfaces it left (renamed, retyped, added, associated):
	 * gone; one new station under the device's name. */
	if ((r = ifaces_get(s, w->family, &f)))
		goto fail_ifaces;
	if (f.overflow) {
		r = persona_refuse(err, errlen, EIO,
		                   "network device %s: Wi-Fi %s came back with over %u interfaces",
		                   dev, w->phy, IFACES_MAX);
		goto out;
	}
	for (unsigned i = 0; i < f.n; i++) {
		/* By index, or for a wdev without a netdev (a P2P device) by its
		 * wdev id. */
		struct greq d;
		greq_init(&d, w->family, NL80211_CMD_DEL_INTERFACE, NLM_F_ACK);
		bool ok = f.i[i].ifindex
		                  ? greq_attr(&d, NL80211_ATTR_IFINDEX, &f.i[i].ifindex,
		                              sizeof f.i[i].ifindex)
		                  : f.i[i].has_wdev && greq_attr(&d, NL80211_ATTR_WDEV,
		                                                 &f.i[i].wdev, sizeof f.i[i].wdev);
		r = ok ? genl_talk(s, &d, false, NULL, NULL) : -EINVAL;
		if (r) {
			r = persona_refuse(
			        err, errlen, -r,
			        "network device %s: delete interface '%s' the persona left: "
			        "%s",
			        dev, f.i[i].name, strerror(-r));
			goto out;
		}
	}
	uint32_t station = NL80211_IFTYPE_STATION;
	struct greq q;
	greq_init(&q, w->family, NL80211_CMD_NEW_INTERFACE, NLM_F_ACK);
	if (!greq_attr(&q, NL80211_ATTR_WIPHY, &w->wiphy, sizeof w->wiphy) ||
	    !greq_attr(&q, NL80211_ATTR_IFNAME, dev, strlen(dev) + 1) ||
	    !greq_attr(&q, NL80211_ATTR_IFTYPE, &station, sizeof station)) {
		r = -EMSGSIZE;
		goto fail_ifaces;
	}
	if ((r = genl_talk(s, &q, false, NULL, NULL))) {
		r = persona_refuse(err, errlen, -r,
		                   "network device %s: new station interface on %s: %s", dev,
		                   w->phy, strerror(-r));
		goto out;
	}
	if ((r = ifaces_get(s, w->family, &f)))
		goto fail_ifaces;
	/* A wdev without a netdev (a P2P device) has no ifindex: it counts. */
	if (f.n != 1 || f.overflow || strcmp(f.i[0].name, dev) ||
	    f.i[0].iftype != NL80211_IFTYPE_STATION || !f.i[0].ifindex) {
		r = persona_refuse(err, errlen, EIO,
		                   "network device %s: Wi-Fi %s back with %u interface(s), not one "
		                   "station named %s",
		                   dev, w->phy, f.n, dev);
		goto out;
	}
	*ifindex = (int)f.i[0].ifindex;
	r = 0;
	goto out;
fail_ifaces:
	r = persona_refuse(err, errlen, -r, "network device %s: interfaces of %s: %s", dev, w->phy,
	                   strerror(-r));
out:
	if (in >= 0)
		close(in);
	if (s >= 0)
		close(s);
	return r;
}
