/*
 * test_persona_wifi.c: the generic netlink parser of bay0/persona_wifi.c
 * over hand-built answers: the controller's family id, a split wiphy dump
 * part with and without SET_WIPHY_NETNS among its commands, an interface,
 * the end of a dump, errors, and every malformation it must refuse.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <string.h>

#include "persona_wifi.h"

static size_t put_attr(uint8_t *b, size_t at, uint16_t type, const void *d, size_t len)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
	memcpy(b + at, &a, sizeof a);
	memcpy(b + at + NLA_HDRLEN, d, len);
	size_t end = at + NLA_ALIGN(a.nla_len);
	memset(b + at + a.nla_len, 0, end - at - a.nla_len);
	return end;
}

/* A message header at b, to be closed by end_msg once its attributes are in. */
static size_t start_msg(uint8_t *b, uint16_t type, uint32_t seq, uint8_t cmd)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_seq = seq};
	memcpy(b, &h, sizeof h);
	b[NLMSG_HDRLEN] = cmd;
	b[NLMSG_HDRLEN + 1] = 1;
	b[NLMSG_HDRLEN + 2] = b[NLMSG_HDRLEN + 3] = 0;
	return NLMSG_HDRLEN + GENL_HDRLEN;
}

static size_t end_msg(uint8_t *b, size_t len)
{
	uint32_t l = (uint32_t)len;
	memcpy(b, &l, sizeof l);
	return len;
}

static size_t ctl_msg(uint8_t *b, uint16_t type, uint32_t seq, int err)
{
	struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_seq = seq};
	size_t len = NLMSG_HDRLEN + (type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int));
	h.nlmsg_len = (uint32_t)len;
	memset(b, 0, len);
	memcpy(b, &h, sizeof h);
	memcpy(b + NLMSG_HDRLEN, &err, sizeof err);
	return len;
}

static size_t wiphy_msg(uint8_t *b, uint32_t seq, const uint32_t *cmds, size_t ncmds)
{
	uint8_t nest[128];
	size_t nl = 0;
	for (size_t i = 0; i < ncmds; i++)
		nl = put_attr(nest, nl, (uint16_t)(i + 1), &cmds[i], 4);
	size_t o = start_msg(b, 0x22, seq, NL80211_CMD_NEW_WIPHY);
	uint32_t w = 3;
	o = put_attr(b, o, NL80211_ATTR_WIPHY, &w, 4);
	o = put_attr(b, o, NL80211_ATTR_WIPHY_NAME, "phy3", 5);
	o = put_attr(b, o, NL80211_ATTR_SUPPORTED_COMMANDS | NLA_F_NESTED, nest, nl);
	return end_msg(b, o);
}

Test(persona_wifi, controller_family_id_then_ack)
{
	uint8_t b[256];
	size_t o = start_msg(b, GENL_ID_CTRL, 9, CTRL_CMD_NEWFAMILY);
	uint16_t id = 0x1f;
	o = put_attr(b, o, CTRL_ATTR_FAMILY_NAME, "nl80211", 8);
	o = put_attr(b, o, CTRL_ATTR_FAMILY_ID, &id, 2);
	size_t n = end_msg(b, o);
	n += ctl_msg(b + n, NLMSG_ERROR, 9, 0);
	struct persona_wifi_msg m;
	size_t off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 9, true, &m), 1);
	cr_assert_eq(m.family_id, 0x1f);
	cr_assert_eq(m.error, 1);
	cr_assert_eq(persona_wifi_next(b, n, &off, 9, true, &m), 1);
	cr_assert_eq(m.error, 0); /* the ack */
	cr_assert_eq(persona_wifi_next(b, n, &off, 9, true, &m), 0);
	cr_assert_eq(off, n);
}

Test(persona_wifi, wiphy_commands_say_whether_it_can_move)
{
	uint8_t b[512];
	const uint32_t yes[] = {NL80211_CMD_GET_WIPHY, NL80211_CMD_SET_WIPHY_NETNS},
	               no[] = {NL80211_CMD_GET_WIPHY, NL80211_CMD_NEW_INTERFACE};
	struct persona_wifi_msg m;
	size_t off = 0, n = wiphy_msg(b, 4, yes, 2);
	cr_assert_eq(persona_wifi_next(b, n, &off, 4, false, &m), 1);
	cr_assert(m.has_wiphy && m.wiphy == 3 && !strcmp(m.phy, "phy3") && m.can_netns);
	off = 0;
	n = wiphy_msg(b, 4, no, 2);
	cr_assert_eq(persona_wifi_next(b, n, &off, 4, false, &m), 1);
	cr_assert(!m.can_netns);
}

Test(persona_wifi, interface_then_done_and_other_sequences_skipped)
{
	uint8_t b[512];
	size_t o = start_msg(b, 0x22, 5, NL80211_CMD_NEW_INTERFACE);
	uint32_t idx = 7, w = 0, t = NL80211_IFTYPE_STATION;
	uint64_t wdev = 0x100000001ull;
	o = put_attr(b, o, NL80211_ATTR_IFINDEX, &idx, 4);
	o = put_attr(b, o, NL80211_ATTR_IFNAME, "wlan0", 6);
	o = put_attr(b, o, NL80211_ATTR_WIPHY, &w, 4);
	o = put_attr(b, o, NL80211_ATTR_IFTYPE, &t, 4);
	o = put_attr(b, o, NL80211_ATTR_WDEV, &wdev, 8);
	size_t n = end_msg(b, o);
	n += ctl_msg(b + n, NLMSG_ERROR, 99, -EPERM); /* a stale answer */
	n += ctl_msg(b + n, NLMSG_DONE, 5, 0);
	struct persona_wifi_msg m;
	size_t off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 5, false, &m), 1);
	cr_assert(m.has_ifindex && m.ifindex == 7 && !strcmp(m.ifname, "wlan0"));
	cr_assert(m.has_iftype && m.iftype == NL80211_IFTYPE_STATION);
	cr_assert(m.has_wdev && m.wdev == wdev);
	cr_assert_eq(persona_wifi_next(b, n, &off, 5, false, &m), 1);
	cr_assert(m.done);
	cr_assert_eq(m.error, 1);
}

Test(persona_wifi, errors_are_errnos)
{
	uint8_t b[64];
	size_t n = ctl_msg(b, NLMSG_ERROR, 2, -EOPNOTSUPP);
	struct persona_wifi_msg m;
	size_t off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 2, false, &m), 1);
	cr_assert_eq(m.error, -EOPNOTSUPP);
	off = 0;
	n = ctl_msg(b, NLMSG_DONE, 2, -ENODEV);
	cr_assert_eq(persona_wifi_next(b, n, &off, 2, false, &m), 1);
	cr_assert(m.done && m.error == -ENODEV);
	/* Not an errno. */
	off = 0;
	n = ctl_msg(b, NLMSG_ERROR, 2, 5);
	cr_assert_eq(persona_wifi_next(b, n, &off, 2, false, &m), -EBADMSG);
	off = 0;
	n = ctl_msg(b, NLMSG_ERROR, 2, -5000);
	cr_assert_eq(persona_wifi_next(b, n, &off, 2, false, &m), -EBADMSG);
}

Test(persona_wifi, malformed_is_refused)
{
	uint8_t b[256];
	struct persona_wifi_msg m;
	size_t off, o, n;
	uint32_t v = 1;

	/* Name without NUL, name too long, u32 of 2 bytes. */
	o = start_msg(b, 0x22, 1, 7);
	n = end_msg(b, put_attr(b, o, NL80211_ATTR_IFNAME, "wlan0", 5));
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, false, &m), -EBADMSG);
	o = start_msg(b, 0x22, 1, 7);
	n = end_msg(b, put_attr(b, o, NL80211_ATTR_IFNAME, "abcdefghijklmnop", 17));
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, false, &m), -EBADMSG);
	o = start_msg(b, 0x22, 1, 7);
	n = end_msg(b, put_attr(b, o, NL80211_ATTR_IFINDEX, &v, 2));
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, false, &m), -EBADMSG);
	/* An attribute longer than its message. */
	o = start_msg(b, 0x22, 1, 7);
	n = end_msg(b, put_attr(b, o, NL80211_ATTR_IFINDEX, &v, 4));
	struct nlattr a = {.nla_len = 200, .nla_type = NL80211_ATTR_IFINDEX};
	memcpy(b + o, &a, sizeof a);
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, false, &m), -EBADMSG);
	/* A message longer than the datagram, and one too short for a genl header. */
	o = start_msg(b, 0x22, 1, 7);
	n = end_msg(b, put_attr(b, o, NL80211_ATTR_IFINDEX, &v, 4));
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n - 1, &off, 1, false, &m), -EBADMSG);
	n = end_msg(b, NLMSG_HDRLEN + 2);
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, false, &m), -EBADMSG);
	/* A family id of 0 from the controller. */
	uint16_t zero = 0;
	o = start_msg(b, GENL_ID_CTRL, 1, CTRL_CMD_NEWFAMILY);
	n = end_msg(b, put_attr(b, o, CTRL_ATTR_FAMILY_ID, &zero, 2));
	off = 0;
	cr_assert_eq(persona_wifi_next(b, n, &off, 1, true, &m), -EBADMSG);
	/* Every truncation of a good wiphy message ends in 0 or an error,
	 * never past the buffer (ASan). */
	const uint32_t yes[] = {NL80211_CMD_SET_WIPHY_NETNS};
	size_t full = wiphy_msg(b, 4, yes, 1);
	for (size_t cut = 0; cut < full; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, b, cut);
		off = 0;
		int r = persona_wifi_next(c, cut, &off, 4, false, &m);
		cr_assert(r == 0 || r == -EBADMSG, "cut %zu: %d", cut, r);
		cr_assert(cut == 0 ? r == 0 : r == -EBADMSG, "cut %zu: %d", cut, r);
		free(c);
	}
}
