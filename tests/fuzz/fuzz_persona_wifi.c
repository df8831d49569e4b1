/*
 * fuzz_persona_wifi.c: libFuzzer target for the generic netlink parser bay0
 * reads nl80211's and the controller's answers with (bay0/persona_wifi.c).
 * The input is one datagram after a 5-byte prefix: 4 bytes of sequence
 * number and one byte whose low bit picks the controller's attribute
 * numbering. The parser is driven over the whole datagram as genl_talk
 * drives it. Checks: it always advances, never past the end; every parsed
 * name is NUL-terminated within its buffer; an error is an errno.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "persona_wifi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq;
	if (size < sizeof seq + 1)
		return 0;
	memcpy(&seq, data, sizeof seq);
	bool ctrl = data[sizeof seq] & 1;
	/* A copy of exactly the datagram, so ASan sees any read past it. */
	size_t n = size - sizeof seq - 1;
	uint8_t *buf = __builtin_malloc(n ? n : 1);
	memcpy(buf, data + sizeof seq + 1, n);
	size_t off = 0;
	for (;;) {
		struct persona_wifi_msg m;
		size_t before = off;
		int r = persona_wifi_next(buf, n, &off, seq, ctrl, &m);
		assert(off <= n);
		if (r <= 0) {
			assert(r == 0 || (r < 0 && r >= -4095));
			break;
		}
		assert(off > before);
		assert(strnlen(m.ifname, sizeof m.ifname) < sizeof m.ifname);
		assert(strnlen(m.phy, sizeof m.phy) < sizeof m.phy);
		assert(m.error == 1 || (m.error <= 0 && m.error >= -4095));
		if (m.done)
			break;
	}
	__builtin_free(buf);
	return 0;
}
