/*
 * persona_wifi.h: a Wi-Fi device moves with its wiphy (docs/network.md,
 * "Wi-Fi").
 *
 * A wireless netdev cannot change network namespace by itself (the kernel
 * answers RTM_NEWLINK + IFLA_NET_NS_FD with EINVAL for it): cfg80211 moves
 * the whole wiphy, with every interface on it, through nl80211's
 * SET_WIPHY_NETNS, and only for drivers that allow it (WIPHY_FLAG_NETNS_OK,
 * which nl80211 shows by listing the command among the wiphy's supported
 * commands). persona_net.c calls these when the passport's device has a
 * /sys/class/net/<name>/phy80211.
 *
 * Generic netlink by hand, as rtnetlink is in persona_net.c (bay0 is static;
 * Debian ships libnl and libmnl as shared libraries only).
 *
 * Every function returns 0 or -errno and writes a one-line reason into err.
 */
#ifndef BAY0_PERSONA_WIFI_H
#define BAY0_PERSONA_WIFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERSONA_WIFI_PHY_MAX 63 /* a wiphy name, as bay0 keeps it */

struct persona_wifi {
	bool active;                        /* the persona's device is a wiphy's interface */
	uint16_t family;                    /* nl80211's generic netlink id */
	uint32_t wiphy;                     /* its index (/sys/class/net/<dev>/phy80211/index) */
	char phy[PERSONA_WIFI_PHY_MAX + 1]; /* its name at claim */
};

/* One generic netlink message, as far as bay0 reads it. */
struct persona_wifi_msg {
	bool done;          /* NLMSG_DONE: the end of a dump */
	int error;          /* NLMSG_ERROR: 0 (an ack) or -errno; else 1 */
	uint8_t cmd;        /* genlmsghdr.cmd of a data message */
	uint16_t family_id; /* CTRL_ATTR_FAMILY_ID, from the controller */
	bool has_wiphy, has_ifindex, has_iftype, has_wdev;
	uint32_t wiphy, ifindex, iftype;
	uint64_t wdev;
	char ifname[16];
	char phy[PERSONA_WIFI_PHY_MAX + 1];
	bool can_netns; /* NL80211_CMD_SET_WIPHY_NETNS among SUPPORTED_COMMANDS */
};

/* Before the namespaces are made: dev's wiphy (index and name from sysfs),
 * nl80211's family id, and whether the driver can move the wiphy at all.
 * A driver that cannot is refused here, with nothing changed. */
int persona_wifi_probe(struct persona_wifi *w, const char *dev, char *err, size_t errlen);

/* The wiphy, with every interface on it, into netns_fd. */
int persona_wifi_move_in(struct persona_wifi *w, const char *dev, int netns_fd, char *err,
                         size_t errlen);

/* Once no process of the persona is left: the wiphy back from netns_fd to
 * the Spine's namespace (spine_fd, bay0's own), its name as at claim, and in
 * place of whatever interfaces the persona left on it one fresh station
 * interface named dev (down, no address, no association: a new netdev).
 * *ifindex gets the new interface's index. */
int persona_wifi_return(struct persona_wifi *w, const char *dev, int netns_fd, int spine_fd,
                        int *ifindex, char *err, size_t errlen);

/* A bound netlink socket of that protocol (NETLINK_ROUTE, NETLINK_GENERIC),
 * close-on-exec: an fd, or -errno. persona_net.c uses it too. */
int persona_netlink_open(int protocol);

/* Parses the message at *off of one datagram (len bytes) answering seq and
 * steps *off past it: 1 with *m filled, 0 at the datagram's end, -EBADMSG
 * when anything is malformed. Messages for other sequence numbers are
 * skipped. ctrl: the message is the generic netlink controller's (its
 * attributes are numbered differently). Pure, for the fuzzer. */
int persona_wifi_next(const void *buf, size_t len, size_t *off, uint32_t seq, bool ctrl,
                      struct persona_wifi_msg *m);

#endif
