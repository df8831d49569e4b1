/*
 * fuzz_passport.c: libFuzzer target for the passport parser. The input is
 * taken as the signed body (the parser's real attack surface is whatever a
 * key holder signed, and a bug there would run with bay0's privileges).
 * Checks, beyond "no crash": a refusal writes nothing and always says why;
 * an accepted passport satisfies the invariants launch relies on.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "passport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passport pp;
	char err[256];
	memset(&pp, 0xa5, sizeof pp);
	err[0] = 0;
	int r = passport_parse((const char *)data, size, &pp, err, sizeof err);
	if (r) {
		assert(r < 0 && err[0] != 0);
		assert(((const unsigned char *)&pp)[0] == 0xa5);
		return 0;
	}
	assert(pp.name[0] >= 'a' && pp.name[0] <= 'z');
	assert(strlen(pp.name) <= PASSPORT_NAME_MAX);
	assert(!strchr(pp.image, '/') && pp.image[0] != '.' && pp.image[0] != 0);
	assert(pp.argc >= 1 && pp.argc <= PASSPORT_ARGC_MAX && pp.argv[0][0] == '/');
	assert(pp.cpus != 0 && !(pp.cpus & 1));
	assert(pp.memory_max >= (1u << 20) && pp.pids_max >= 1);
	assert(pp.uid >= 1000 && pp.gid >= 1000);
	/* A device name reaches the kernel's IFLA_IFNAME: NUL-terminated within
	 * IFNAMSIZ, never a path or a %d pattern, never loopback. */
	size_t dn = strnlen(pp.net_device, sizeof pp.net_device);
	assert(dn < sizeof pp.net_device);
	assert(pp.net == PASSPORT_NET_DEVICE ? dn >= 1 : dn == 0);
	assert(!strpbrk(pp.net_device, "/:% ") && strcmp(pp.net_device, "lo") != 0);
	/* One form; a verity passport's values are what the kernel's table is
	 * built from: the layout bay0 relies on holds for every accepted one. */
	assert(pp.form == PASSPORT_IMAGE_SHA512 || pp.form == PASSPORT_IMAGE_VERITY);
	if (pp.form == PASSPORT_IMAGE_VERITY) {
		const struct passport_verity *v = &pp.verity;
		static const uint8_t zero[SV_SHA512_LEN];
		assert(v->data_block_size == 4096 && v->hash_block_size == 4096);
		assert(v->data_blocks >= 1 && v->hash_offset == v->data_blocks * 4096);
		assert(v->size == v->hash_offset + passport_verity_tree_bytes(v->data_blocks));
		assert(v->size <= PASSPORT_VERITY_SIZE_MAX);
		assert(v->salt_len <= PASSPORT_VERITY_SALT_MAX);
		assert(memcmp(pp.image_sha512, zero, sizeof zero) == 0);
	}
	return 0;
}
