/*
 * persona_net.h: one Ethernet device, owned by one persona at a time
 * (passport `network device <name>`; the lifecycle and the reasons are in
 * docs/network.md).
 *
 * persona_launch() calls persona_net_claim() before the clone: bay0 makes
 * the persona's network namespace and moves the device into it, down,
 * under its own name, so it is there before the entry runs. persona_purge()
 * calls persona_net_return() once every process of the persona is dead: the
 * device goes back to the Spine's namespace under its own name, down, with
 * no address and its own MAC and MTU, and bay0 closes the last fd it holds
 * on the namespace. rtnetlink is spoken directly (bay0 is static and Debian
 * ships libmnl only as a shared library).
 *
 * Every function returns 0 or -errno and writes a one-line reason into err.
 */
#ifndef BAY0_PERSONA_NET_H
#define BAY0_PERSONA_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "passport.h"
#include "persona_wifi.h"

#define PERSONA_NET_ADDR_MAX 32 /* MAX_ADDR_LEN */

struct persona_net {
	int netns_fd;  /* the persona's network namespace, claim..return; else -1 */
	int userns_fd; /* the user namespace that owns it, claim..return; else -1 */
	int ifindex;   /* the device's index while claimed, else 0 */
	uint8_t addr[PERSONA_NET_ADDR_MAX]; /* its link address at claim */
	size_t addr_len;
	uint32_t mtu;             /* its MTU at claim */
	unsigned flags;           /* its IFF_* flags at claim */
	uint32_t txqlen;          /* its transmit queue length at claim */
	unsigned long netns_ino;  /* inode of the persona's netns (for leak checks) */
	struct persona_wifi wifi; /* a Wi-Fi device: its wiphy moves (wifi.active) */
	char report[320];         /* the last claim or return, for the caller's log */
};

/* What an RTM_NEWLINK message says about one link. */
struct persona_net_link {
	int ifindex;
	unsigned type;  /* ARPHRD_* */
	unsigned flags; /* IFF_* */
	char name[PASSPORT_NETDEV_MAX + 1];
	uint8_t addr[PERSONA_NET_ADDR_MAX];
	size_t addr_len;
	uint32_t mtu;
};

void persona_net_init(struct persona_net *n);

/* For a passport with PASSPORT_NET_DEVICE (nothing to do otherwise): makes
 * the persona's network namespace, owned by a user namespace of its own
 * that maps only uid and gid, and moves the device into it, down, under its
 * own name. On failure nothing is left behind and the device is where it
 * was. */
int persona_net_claim(struct persona_net *n, const struct passport *pp, char *err, size_t errlen);

/* Once no process of the persona is left (or a launch failed): moves the
 * device back to the Spine's namespace under its own name (restoring name,
 * link address and MTU, down), checks that no address is left on it, and
 * closes bay0's fds on the namespaces, which then die. A device that is gone
 * (unplugged) is reported, not an error. */
int persona_net_return(struct persona_net *n, const struct passport *pp, char *err, size_t errlen);

/* The capabilities a device owner keeps, over its own network namespace
 * only: CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE. */
#define PERSONA_NET_CAPS ((1ull << 12) | (1ull << 13) | (1ull << 10))

/* In the child of a persona with a device, instead of
 * persona_drop_privileges() (caps.h), in order, stopping at the first error
 * (*step names it):
 *   1. setgroups(0) while still root of the initial user namespace;
 *   2. setns() into userns_fd, the user namespace owning its network
 *      namespace (the child must not share bay0's memory: mm_users == 1);
 *   3. drop every capability but PERSONA_NET_CAPS from the bounding set;
 *   4. securebits NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, each locked;
 *   5. setresgid, setresuid to the persona's ids (mapped to themselves);
 *   6. permitted, effective, inheritable = PERSONA_NET_CAPS + CAP_SETPCAP,
 *      raise the three in the ambient set (so they survive exec), lock
 *      NO_CAP_AMBIENT_RAISE, then drop CAP_SETPCAP;
 *   7. no_new_privs.
 * 0 or -errno. */
int persona_net_drop_privileges(int userns_fd, uint32_t uid, uint32_t gid, const char **step);

/* Parses one netlink datagram from the kernel holding the answer to request
 * seq: an RTM_NEWLINK (filled into out, returns 0) or an NLMSG_ERROR
 * (returns its -errno; 0 from an ack is -ENOMSG here). Anything malformed:
 * -EBADMSG. Pure, for the fuzzer. */
int persona_net_parse_link(const void *buf, size_t len, uint32_t seq, struct persona_net_link *out);

#endif
