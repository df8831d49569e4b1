/*
 * persona_net.c: hand one Ethernet device to one persona and take it back
 * whole (docs/network.md, "What bay0 does").
 *
 * rtnetlink by hand: a request is one nlmsghdr + ifinfomsg + a few
 * attributes, and the answers bay0 reads are one RTM_NEWLINK or an ack.
 * bay0 links statically and Debian's libmnl-dev ships no libmnl.a, so the
 * hundred lines below are cheaper than carrying a library build.
 */
#define _GNU_SOURCE
#include "persona_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>
/* Before the linux/ headers: their libc-compat guard then skips linux/if.h's
 * copies of what net/if.h declares. */
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IFLA_PROP_LIST
#define IFLA_PROP_LIST 52
#define IFLA_ALT_IFNAME 53
#endif
#ifndef ALTIFNAMSIZ
#define ALTIFNAMSIZ 128
#endif
#ifndef RTM_DELLINKPROP
#define RTM_DELLINKPROP 109
#endif

/* Bits of ifi_flags bay0 puts back to what they were at claim (IFF_UP is
 * always cleared): what a persona with CAP_NET_ADMIN can change. */
#define RESTORED_FLAGS (IFF_UP | IFF_PROMISC | IFF_ALLMULTI | IFF_NOARP | IFF_MULTICAST)
/* A name to return the device under when its own is taken in the Spine's
 * namespace (a device that appeared while the persona held this one); the
 * kernel fills in %d. */
#define FALLBACK_NAME "spinenet%d"

void persona_net_init(struct persona_net *n)
{
	memset(n, 0, sizeof *n);
	n->netns_fd = n->userns_fd = -1;
}

/* ---- parsing (pure) ----------------------------------------------------- */

/* Also remembered by the caller: how many alternative names the link has
 * and the first of them (a persona can add some; bay0 removes them). */
struct link_extra {
	unsigned naltnames;
	char altname[ALTIFNAMSIZ];
	uint32_t txqlen;
	uint32_t group;
	bool has_alias;
};

static int parse_link(const void *buf, size_t len, uint32_t seq, struct persona_net_link *out,
                      struct link_extra *x)
{
	const struct nlmsghdr *h = buf;
	if (len < sizeof *h || h->nlmsg_len < sizeof *h || h->nlmsg_len > len)
		return -EBADMSG;
	if (h->nlmsg_seq != seq)
		return -EBADMSG;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
			return -EBADMSG;
		if (e->error > 0 || e->error < -4095)
			return -EBADMSG;
		return e->error ? e->error : -ENOMSG;
	}
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct persona_net_link l;
	struct link_extra e;
	memset(&l, 0, sizeof l);
	memset(&e, 0, sizeof e);
	l.ifindex = ifi->ifi_index;
	l.type = ifi->ifi_type;
	l.flags = ifi->ifi_flags;
	bool named = false;
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof *ifi));
	while (off + sizeof(struct rtattr) <= h->nlmsg_len) {
		const struct rtattr *a = (const void *)((const char *)h + off);
		if (a->rta_len < sizeof *a || a->rta_len > h->nlmsg_len - off)
			return -EBADMSG;
		size_t dl = a->rta_len - sizeof *a;
		const char *d = (const char *)RTA_DATA(a);
		switch (a->rta_type) {
		case IFLA_IFNAME: {
			/* NUL-terminated, 1..15 bytes before it. */
			const char *z = memchr(d, 0, dl);
			if (!z || z == d || (size_t)(z - d) > PASSPORT_NETDEV_MAX)
				return -EBADMSG;
			memcpy(l.name, d, (size_t)(z - d));
			named = true;
			break;
		}
		case IFLA_ADDRESS:
			if (dl > sizeof l.addr)
				return -EBADMSG;
			memcpy(l.addr, d, dl);
			l.addr_len = dl;
			break;
		case IFLA_MTU:
		case IFLA_TXQLEN:
		case IFLA_GROUP: {
			uint32_t v;
			if (dl != sizeof v)
				return -EBADMSG;
			memcpy(&v, d, sizeof v);
			if (a->rta_type == IFLA_MTU)
				l.mtu = v;
			else if (a->rta_type == IFLA_TXQLEN)
				e.txqlen = v;
			else
				e.group = v;
			break;
		}
		case IFLA_IFALIAS:
			e.has_alias = dl > 1;
			break;
		case IFLA_PROP_LIST | NLA_F_NESTED:
		case IFLA_PROP_LIST:
			for (size_t o = 0; o + sizeof(struct rtattr) <= dl;) {
				const struct rtattr *p = (const void *)(d + o);
				if (p->rta_len < sizeof *p || p->rta_len > dl - o)
					return -EBADMSG;
				size_t pl = p->rta_len - sizeof *p;
				const char *pd = (const char *)RTA_DATA(p);
				if (p->rta_type == IFLA_ALT_IFNAME) {
					if (pl < 2 || pl > ALTIFNAMSIZ || pd[pl - 1] != 0)
						return -EBADMSG;
					if (e.naltnames++ == 0)
						memcpy(e.altname, pd, pl);
				}
				o += RTA_ALIGN(p->rta_len);
			}
			break;
		default:
			break;
		}
		off += RTA_ALIGN(a->rta_len);
	}
	if (!named || l.ifindex <= 0)
		return -EBADMSG;
	*out = l;
	if (x)
		*x = e;
	return 0;
}

int persona_net_parse_link(const void *buf, size_t len, uint32_t seq, struct persona_net_link *out)
{
	return parse_link(buf, len, seq, out, NULL);
}

/* ---- requests ------------------------------------------------------------ */

struct req {
	union {
		struct nlmsghdr h;
		char raw[1024];
	};
};

static uint32_t next_seq(void)
{
	static uint32_t seq;
	if (!seq)
		seq = (uint32_t)time(NULL);
	return ++seq;
}

static void req_init(struct req *r, uint16_t type, uint16_t flags, const void *body, size_t len)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | flags;
	r->h.nlmsg_seq = next_seq();
	memcpy(NLMSG_DATA(&r->h), body, len);
	r->h.nlmsg_len = NLMSG_LENGTH(len);
}

/* Every request here is a few fixed attributes: sizeof(struct req) is far
 * more than they need, so running out is a bug, caught before sending. */
static struct rtattr *req_attr(struct req *r, uint16_t type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof r->raw)
		return NULL;
	struct rtattr *a = (struct rtattr *)(r->raw + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = (uint32_t)(at + RTA_ALIGN(a->rta_len));
	return a;
}

static int nl_open(void)
{
	return persona_netlink_open(NETLINK_ROUTE);
}

/* Sends r and reads datagrams until the one answering it. What it says is
 * parsed into *link when the caller wants one (RTM_GETLINK), else the ack's
 * error is returned. */
static int nl_talk(int s, struct req *r, struct persona_net_link *link, struct link_extra *x)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	if (sendto(s, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		return -errno;
	for (;;) {
		static char buf[16384];
		struct sockaddr_nl from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof buf)
			return -EMSGSIZE;
		if (from.nl_pid != 0) /* only the kernel answers */
			continue;
		const struct nlmsghdr *h = (const void *)buf;
		if ((size_t)n < sizeof *h || h->nlmsg_seq != r->h.nlmsg_seq)
			continue; /* a stale answer */
		if (link) {
			struct persona_net_link l;
			int e = parse_link(buf, (size_t)n, r->h.nlmsg_seq, &l, x);
			if (e == 0)
				*link = l;
			return e;
		}
		if (h->nlmsg_type != NLMSG_ERROR ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
			return -EBADMSG;
		return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
}

static int link_get(int s, int ifindex, const char *name, struct persona_net_link *l,
                    struct link_extra *x)
{
	struct req r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
	if (name && !req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1))
		return -EMSGSIZE;
	return nl_talk(s, &r, l, x);
}

/* RTM_NEWLINK on an existing link (no NLM_F_CREATE: the kernel's do_setlink):
 * into the namespace netns_fd (>= 0) under name, in one message, so the
 * device is never in the target under another name. flags/change: ifi_*. */
static int link_move(int s, int ifindex, int netns_fd, const char *name, unsigned flags,
                     unsigned change)
{
	struct req r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = ifindex,
	                        .ifi_flags = flags,
	                        .ifi_change = change};
	uint32_t fd = (uint32_t)netns_fd;
	req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	if (!req_attr(&r, IFLA_NET_NS_FD, &fd, sizeof fd) ||
	    !req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1))
		return -EMSGSIZE;
	return nl_talk(s, &r, NULL, NULL);
}

static int link_set_flags(int s, int ifindex, unsigned flags, unsigned change)
{
	struct req r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = ifindex,
	                        .ifi_flags = flags,
	                        .ifi_change = change};
	req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	return nl_talk(s, &r, NULL, NULL);
}

/* Address, MTU, queue length, group, alias and flags back to the claim's. */
static int link_restore(int s, const struct persona_net *n, const struct persona_net_link *now,
                        const struct link_extra *x, unsigned flags)
{
	struct req r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
	                        .ifi_index = now->ifindex,
	                        .ifi_flags = flags & RESTORED_FLAGS & ~(unsigned)IFF_UP,
	                        .ifi_change = RESTORED_FLAGS};
	uint32_t zero = 0;
	req_init(&r, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
	if (n->addr_len &&
	    (now->addr_len != n->addr_len || memcmp(now->addr, n->addr, n->addr_len)) &&
	    !req_attr(&r, IFLA_ADDRESS, n->addr, n->addr_len))
		return -EMSGSIZE;
	if (n->mtu && now->mtu != n->mtu && !req_attr(&r, IFLA_MTU, &n->mtu, sizeof n->mtu))
		return -EMSGSIZE;
	if (x->txqlen != n->txqlen && !req_attr(&r, IFLA_TXQLEN, &n->txqlen, sizeof n->txqlen))
		return -EMSGSIZE;
	if (x->group && !req_attr(&r, IFLA_GROUP, &zero, sizeof zero))
		return -EMSGSIZE;
	/* An empty alias deletes it. */
	if (x->has_alias && !req_attr(&r, IFLA_IFALIAS, "", 0))
		return -EMSGSIZE;
	return nl_talk(s, &r, NULL, NULL);
}

static int link_del_altname(int s, int ifindex, const char *alt)
{
	struct req r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	req_init(&r, RTM_DELLINKPROP, NLM_F_ACK, &ifi, sizeof ifi);
	struct rtattr *list = req_attr(&r, IFLA_PROP_LIST | NLA_F_NESTED, NULL, 0);
	if (!list || !req_attr(&r, IFLA_ALT_IFNAME, alt, strlen(alt) + 1))
		return -EMSGSIZE;
	list->rta_len = (unsigned short)(r.h.nlmsg_len - ((char *)list - r.raw));
	return nl_talk(s, &r, NULL, NULL);
}

/* How many addresses (any family) sit on ifindex: a dump of RTM_GETADDR. */
static int addr_count(int s, int ifindex, unsigned *count)
{
	struct req r;
	struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC};
	req_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	if (sendto(s, &r.h, r.h.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0)
		return -errno;
	*count = 0;
	for (;;) {
		static char buf[32768];
		ssize_t n = recv(s, buf, sizeof buf, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > sizeof buf)
			return -EMSGSIZE;
		size_t left = (size_t)n;
		for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != r.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))
				               ? ((const struct nlmsgerr *)NLMSG_DATA(h))->error
				               : -EBADMSG;
			if (h->nlmsg_type == RTM_NEWADDR &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg)) &&
			    (int)((const struct ifaddrmsg *)NLMSG_DATA(h))->ifa_index == ifindex)
				(*count)++;
		}
	}
}

/* ---- namespaces ------------------------------------------------------------ */

static int write_at(int dirfd, const char *file, const char *text)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = n < 0 ? errno : 0;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == strlen(text) ? 0 : -EIO;
}

/* The Spine sets user.max_user_namespaces=0 (harden.c), which binds root
 * too. bay0 opens it for the one clone below and shuts it again at once:
 * no persona can use the gap, its seccomp filter refuses every way to a
 * new namespace (docs/network.md, "Cost"). Where the limit is not 0 (the
 * host tests), bay0 leaves it alone. */
#define USERNS_SYSCTL "/proc/sys/user/max_user_namespaces"
#define USERNS_WINDOW "64"

static int userns_window(bool open_it, bool *was_zero)
{
	if (open_it) {
		char v[32] = "";
		int fd = open(USERNS_SYSCTL, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ssize_t n = read(fd, v, sizeof v - 1);
		close(fd);
		*was_zero = n > 0 && v[0] == '0' && (v[1] == '\n' || v[1] == 0);
		if (!*was_zero)
			return 0;
	} else if (!*was_zero) {
		return 0;
	}
	return write_at(AT_FDCWD, USERNS_SYSCTL, open_it ? USERNS_WINDOW : "0");
}

/* A helper child of bay0 is born in a new user namespace and a new network
 * namespace owned by it; bay0 writes its id maps (uid and gid to
 * themselves, one id each, setgroups denied), keeps an fd on each
 * namespace, and lets the helper exit. The helper runs nothing but read()
 * and _exit() on its copy of bay0's memory. */
static int make_namespaces(struct persona_net *n, uint32_t uid, uint32_t gid, const char **step)
{
	int go[2], r = 0, dfd = -1;
	bool was_zero = false;
	char path[64], map[64];

	*step = "pipe";
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	*step = "open user.max_user_namespaces";
	if ((r = userns_window(true, &was_zero)))
		goto out_pipe;
	*step = "clone user+network namespace helper";
	long pid =
	        syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c;
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	int clone_errno = errno;
	int wr = userns_window(false, &was_zero);
	if (pid < 0) {
		r = -clone_errno;
		goto out_pipe;
	}
	if (wr) {
		*step = "close user.max_user_namespaces again";
		r = wr;
		goto out_child;
	}
	snprintf(path, sizeof path, "/proc/%ld", pid);
	*step = "open the helper's /proc";
	if ((dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0) {
		r = -errno;
		goto out_child;
	}
	*step = "write setgroups (deny)";
	if ((r = write_at(dfd, "setgroups", "deny")))
		goto out_child;
	*step = "write uid_map";
	snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
	if ((r = write_at(dfd, "uid_map", map)))
		goto out_child;
	*step = "write gid_map";
	snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
	if ((r = write_at(dfd, "gid_map", map)))
		goto out_child;
	*step = "open the namespaces";
	n->userns_fd = openat(dfd, "ns/user", O_RDONLY | O_CLOEXEC);
	n->netns_fd = openat(dfd, "ns/net", O_RDONLY | O_CLOEXEC);
	if (n->userns_fd < 0 || n->netns_fd < 0)
		r = -errno;
out_child:
	if (dfd >= 0)
		close(dfd);
	close(go[1]);
	go[1] = -1;
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
out_pipe:
	close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	if (r) {
		if (n->userns_fd >= 0)
			close(n->userns_fd);
		if (n->netns_fd >= 0)
			close(n->netns_fd);
		n->userns_fd = n->netns_fd = -1;
	}
	return r;
}

static void close_namespaces(struct persona_net *n)
{
	if (n->netns_fd >= 0)
		close(n->netns_fd);
	if (n->userns_fd >= 0)
		close(n->userns_fd);
	n->netns_fd = n->userns_fd = -1;
}

/* A netlink socket inside the persona's namespace: bay0 steps in, opens
 * it, and steps back to the Spine's namespace (spine_fd). */
static int nl_open_in(int netns_fd, int spine_fd, const char **step)
{
	*step = "enter the persona's network namespace";
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return -errno;
	int s = nl_open();
	*step = "return to the Spine's network namespace";
	if (setns(spine_fd, CLONE_NEWNET) < 0) {
		/* bay0 must not go on in a persona's namespace. */
		int e = errno;
		if (s >= 0)
			close(s);
		return -e;
	}
	*step = "netlink socket in the persona's namespace";
	return s;
}

/* ---- claim and return ---------------------------------------------------- */

/* The Wi-Fi half of persona_net_return: the wiphy back, then from bay0's
 * side the fresh station interface checked as an Ethernet device is. */
static int wifi_return(struct persona_net *n, const char *dev, int spine, char *err, size_t errlen)
{
	struct persona_net_link l;
	int ifindex = 0, s = -1;
	int r = persona_wifi_return(&n->wifi, dev, n->netns_fd, spine, &ifindex, err, errlen);
	if (r == -ENODEV) {
		snprintf(n->report, sizeof n->report,
		         "network device %s: Wi-Fi %s is gone (unplugged?): nothing to return", dev,
		         n->wifi.phy);
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	close_namespaces(n);
	unsigned naddr = 0;
	if ((s = nl_open()) < 0) {
		r = persona_refuse(err, errlen, -s, "network device %s: netlink: %s", dev,
		                   strerror(-s));
		goto out;
	}
	if ((r = link_get(s, ifindex, NULL, &l, NULL)) || (r = addr_count(s, ifindex, &naddr))) {
		r = persona_refuse(err, errlen, -r, "network device %s: new interface %d: %s", dev,
		                   ifindex, strerror(-r));
		goto out;
	}
	if ((l.flags & IFF_UP) || naddr || strcmp(l.name, dev)) {
		r = persona_refuse(err, errlen, EIO,
		                   "network device %s: new interface %s not clean: %s, %u "
		                   "address(es)",
		                   dev, l.name, l.flags & IFF_UP ? "up" : "down", naddr);
		goto out;
	}
	snprintf(n->report, sizeof n->report,
	         "network device %s returned to the Spine with Wi-Fi %s: one new station "
	         "interface %s, ifindex %d, down, no addresses",
	         dev, n->wifi.phy, l.name, ifindex);
out:
	if (s >= 0)
		close(s);
	n->wifi.active = false;
	return r;
}

int persona_net_claim(struct persona_net *n, const struct passport *pp, char *err, size_t errlen)
{
	const char *dev = pp->net_device, *step = "";
	struct persona_net_link l;
	struct link_extra x;
	int s, r;

	if (pp->net != PASSPORT_NET_DEVICE)
		return 0;
	if (n->netns_fd >= 0)
		return persona_refuse(err, errlen, EBUSY, "network device %s: claimed already",
		                      dev);
	if ((s = nl_open()) < 0)
		return persona_refuse(err, errlen, -s, "network device %s: netlink: %s", dev,
		                      strerror(-s));
	r = link_get(s, 0, dev, &l, &x);
	if (r == -ENODEV) {
		r = persona_refuse(err, errlen, ENODEV,
		                   "network device %s: not in the Spine's network namespace "
		                   "(absent, or held by another persona)",
		                   dev);
		goto out;
	}
	if (r) {
		r = persona_refuse(err, errlen, -r, "network device %s: RTM_GETLINK: %s", dev,
		                   strerror(-r));
		goto out;
	}
	/* A Wi-Fi device moves with its wiphy, if its driver allows. */
	char sys[64];
	snprintf(sys, sizeof sys, "/sys/class/net/%s/phy80211", dev);
	bool wifi = access(sys, F_OK) == 0;
	if (wifi && (r = persona_wifi_probe(&n->wifi, dev, err, errlen)))
		goto out;
	if (l.type != ARPHRD_ETHER) {
		r = persona_refuse(err, errlen, EPROTOTYPE,
		                   "network device %s: link type %u is not Ethernet", dev, l.type);
		goto out;
	}
	n->ifindex = l.ifindex;
	memcpy(n->addr, l.addr, l.addr_len);
	n->addr_len = l.addr_len;
	n->mtu = l.mtu;
	n->flags = l.flags;
	n->txqlen = x.txqlen;
	if ((r = make_namespaces(n, pp->uid, pp->gid, &step))) {
		r = persona_refuse(err, errlen, -r, "network device %s: %s: %s", dev, step,
		                   strerror(-r));
		goto out;
	}
	struct stat st;
	if (fstat(n->netns_fd, &st) == 0)
		n->netns_ino = (unsigned long)st.st_ino;
	if (wifi) {
		/* Down first: the interfaces follow the wiphy as they are. */
		r = link_set_flags(s, l.ifindex, 0, IFF_UP);
		if (r)
			r = persona_refuse(err, errlen, -r, "network device %s: set down: %s", dev,
			                   strerror(-r));
		else
			r = persona_wifi_move_in(&n->wifi, dev, n->netns_fd, err, errlen);
	} else {
		r = link_move(s, l.ifindex, n->netns_fd, dev, 0, IFF_UP);
		if (r)
			r = persona_refuse(err, errlen, -r,
			                   "network device %s: move into the persona: %s", dev,
			                   strerror(-r));
	}
	if (r) {
		close_namespaces(n);
		goto out;
	}
	/* The kernel's word that it is gone from the Spine's namespace. */
	struct persona_net_link gone;
	if (link_get(s, l.ifindex, NULL, &gone, NULL) != -ENODEV) {
		r = persona_refuse(err, errlen, EIO,
		                   "network device %s: still in the Spine's namespace after the "
		                   "move",
		                   dev);
		close_namespaces(n);
		goto out;
	}
	if (wifi)
		snprintf(n->report, sizeof n->report,
		         "network device %s (ifindex %d) moved into its namespace with Wi-Fi %s, "
		         "down",
		         dev, l.ifindex, n->wifi.phy);
	else
		snprintf(n->report, sizeof n->report,
		         "network device %s (ifindex %d) moved into its namespace, down", dev,
		         l.ifindex);
	r = 0;
out:
	if (r) {
		n->ifindex = 0;
		n->wifi.active = false;
	}
	close(s);
	return r;
}

int persona_net_return(struct persona_net *n, const struct passport *pp, char *err, size_t errlen)
{
	const char *dev = pp->net_device, *step = "";
	char got[PASSPORT_NETDEV_MAX + 1] = "";
	struct persona_net_link l;
	struct link_extra x;
	int s = -1, in = -1, spine = -1, r;

	if (n->netns_fd < 0)
		return 0;
	spine = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (spine < 0) {
		r = persona_refuse(err, errlen, errno, "network device %s: open own netns: %s", dev,
		                   strerror(errno));
		goto out;
	}
	if (n->wifi.active) {
		r = wifi_return(n, dev, spine, err, errlen);
		goto out;
	}
	if ((in = nl_open_in(n->netns_fd, spine, &step)) < 0) {
		r = persona_refuse(err, errlen, -in, "network device %s: %s: %s", dev, step,
		                   strerror(-in));
		goto out;
	}
	r = link_get(in, n->ifindex, NULL, &l, NULL);
	if (r == -ENODEV) {
		/* Unplugged while the persona held it: nothing to give back. */
		snprintf(n->report, sizeof n->report,
		         "network device %s (ifindex %d) is gone (unplugged?): nothing to return",
		         dev, n->ifindex);
		r = 0;
		goto out;
	}
	if (r) {
		r = persona_refuse(err, errlen, -r, "network device %s: RTM_GETLINK inside: %s",
		                   dev, strerror(-r));
		goto out;
	}
	r = link_move(in, n->ifindex, spine, dev, 0, IFF_UP);
	if (r == -EEXIST) {
		r = link_move(in, n->ifindex, spine, FALLBACK_NAME, 0, IFF_UP);
		snprintf(got, sizeof got, "%s", "taken");
	}
	if (r) {
		r = persona_refuse(err, errlen, -r, "network device %s: move back to the Spine: %s",
		                   dev, strerror(-r));
		goto out;
	}
	close(in);
	in = -1;
	/* The device is out: the namespaces may die now (bay0 holds nothing
	 * else of them; the persona's processes are all gone). */
	close_namespaces(n);

	if ((s = nl_open()) < 0) {
		r = persona_refuse(err, errlen, -s, "network device %s: netlink: %s", dev,
		                   strerror(-s));
		goto out;
	}
	if ((r = link_get(s, n->ifindex, NULL, &l, &x))) {
		r = persona_refuse(err, errlen, -r,
		                   "network device %s: not back in the Spine's namespace: %s", dev,
		                   strerror(-r));
		goto out;
	}
	/* Whatever the persona set that outlives a namespace move. */
	for (unsigned i = 0; i < 64 && x.naltnames; i++) {
		if ((r = link_del_altname(s, l.ifindex, x.altname)) ||
		    (r = link_get(s, n->ifindex, NULL, &l, &x))) {
			r = persona_refuse(err, errlen, -r,
			                   "network device %s: remove alternative name: %s", dev,
			                   strerror(-r));
			goto out;
		}
	}
	if ((r = link_restore(s, n, &l, &x, n->flags)) ||
	    (r = link_get(s, n->ifindex, NULL, &l, &x))) {
		r = persona_refuse(err, errlen, -r, "network device %s: restore: %s", dev,
		                   strerror(-r));
		goto out;
	}
	unsigned naddr = 0;
	if ((r = addr_count(s, l.ifindex, &naddr))) {
		r = persona_refuse(err, errlen, -r, "network device %s: RTM_GETADDR: %s", dev,
		                   strerror(-r));
		goto out;
	}
	bool same_addr = l.addr_len == n->addr_len && !memcmp(l.addr, n->addr, n->addr_len);
	if ((l.flags & IFF_UP) || naddr || !same_addr || l.mtu != n->mtu || x.txqlen != n->txqlen ||
	    x.group || x.naltnames || x.has_alias || (!got[0] && strcmp(l.name, dev))) {
		r = persona_refuse(err, errlen, EIO,
		                   "network device %s: back as %s but not clean: %s, %u "
		                   "address(es), link address %s, MTU %u (was %u)",
		                   dev, l.name, l.flags & IFF_UP ? "up" : "down", naddr,
		                   same_addr ? "kept" : "changed", l.mtu, n->mtu);
		goto out;
	}
	if (got[0])
		snprintf(n->report, sizeof n->report,
		         "network device %s returned as %s (its name is taken in the Spine), "
		         "ifindex %d, down, no addresses",
		         dev, l.name, l.ifindex);
	else
		snprintf(n->report, sizeof n->report,
		         "network device %s returned to the Spine, ifindex %d, down, no addresses, "
		         "link address and MTU %u as claimed",
		         dev, l.ifindex, l.mtu);
	r = 0;
out:
	if (in >= 0)
		close(in);
	if (s >= 0)
		close(s);
	if (spine >= 0)
		close(spine);
	/* Even on failure: no fd of bay0's keeps a dead persona's namespace
	 * alive (the kernel then returns a physical device to the initial
	 * namespace by itself, as dev<ifindex> if its name is taken). */
	close_namespaces(n);
	if (!r)
		n->ifindex = 0;
	return r;
}

/* ---- the child's identity -------------------------------------------------- */

static int capset3(uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
	        {(uint32_t)prm, (uint32_t)prm, (uint32_t)inh},
	        {(uint32_t)(prm >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)}};
	return (int)syscall(SYS_capset, &hdr, d);
}

/* Plain syscalls on the calling task only, as caps.c does. */
int persona_net_drop_privileges(int userns_fd, uint32_t uid, uint32_t gid, const char **step)
{
	const uint64_t keep = PERSONA_NET_CAPS, setpcap = 1ull << CAP_SETPCAP;
	const unsigned long locks = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                            SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;

	/* After the setns below the user namespace denies setgroups (bay0
	 * wrote "deny"): clear the groups while that is still possible. */
	*step = "setgroups";
	if (syscall(SYS_setgroups, 0, NULL) < 0)
		return -errno;
	/* From here the task's capabilities are the full set of the new user
	 * namespace and none of the initial one; the bounding set, ambient set
	 * and securebits start afresh (the kernel's set_cred_user_ns). */
	*step = "setns into the persona's user namespace";
	if (setns(userns_fd, CLONE_NEWUSER) < 0)
		return -errno;
	*step = "drop bounding set";
	for (int c = 0; c < cap_max_bits(); c++)
		if (!(keep & (1ull << c)) &&
		    prctl(PR_CAPBSET_DROP, (unsigned long)c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	*step = "clear ambient set";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	*step = "lock securebits";
	if (prctl(PR_SET_SECUREBITS, locks, 0, 0, 0) < 0)
		return -errno;
	*step = "setresgid";
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		return -errno;
	*step = "setresuid";
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		return -errno;
	*step = "keep the network capabilities";
	if (capset3(keep | setpcap, keep) < 0)
		return -errno;
	*step = "raise the network capabilities into the ambient set";
	for (int c = 0; c < 64; c++)
		if ((keep & (1ull << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c, 0, 0) < 0)
			return -errno;
	*step = "lock NO_CAP_AMBIENT_RAISE";
	if (prctl(PR_SET_SECUREBITS,
	          locks | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0,
	          0) < 0)
		return -errno;
	*step = "drop CAP_SETPCAP";
	if (capset3(keep, keep) < 0)
		return -errno;
	*step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	*step = NULL;
	return 0;
}
