/*
 * fuzz_persona_net.c: libFuzzer target for the rtnetlink answer parser bay0
 * reads a device's name, link address and MTU with (bay0/persona_net.c).
 * The kernel is trusted, but the parser must still never read past the
 * datagram: the input is one datagram; the first 4 bytes pick the sequence
 * number (so the fuzzer reaches both the match and the mismatch). Checks:
 * an accepted link has a NUL-terminated name of 1-15 bytes, a positive
 * index and a link address within its buffer.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "persona_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq;
	if (size < sizeof seq)
		return 0;
	memcpy(&seq, data, sizeof seq);
	/* A copy of exactly the datagram, so ASan sees any read past it. */
	size_t n = size - sizeof seq;
	uint8_t *buf = __builtin_malloc(n ? n : 1);
	memcpy(buf, data + sizeof seq, n);
	struct persona_net_link l;
	memset(&l, 0xa5, sizeof l);
	int r = persona_net_parse_link(buf, n, seq, &l);
	if (r == 0) {
		size_t len = strnlen(l.name, sizeof l.name);
		assert(len >= 1 && len < sizeof l.name);
		assert(l.ifindex > 0);
		assert(l.addr_len <= sizeof l.addr);
	} else {
		assert(r < 0);
		assert(((const unsigned char *)&l)[0] == 0xa5);
	}
	__builtin_free(buf);
	return 0;
}
