/*
 * fuzz_efi_policy.c: libFuzzer target for spineboot's parsers (efi/policy.c).
 *
 * The first input byte picks the parser, the rest is its input; each run
 * also checks the invariants the loader relies on: outputs only on success,
 * values inside their documented ranges, encode(decode(x)) == x.
 */
#include <stdlib.h>
#include <string.h>

#include "loaderkeys.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t sel = data[0];
	const uint8_t *p = data + 1;
	const size_t n = size - 1;

	switch (sel % 6) {
	case 0: {
		struct spine_conf c = {.version = 7, .tries = 99};
		if (spine_conf_parse(p, n, &c) == SPINE_CONF_OK)
			CHECK(c.tries >= 1 && c.tries <= SPINE_TRIES_MAX);
		else
			CHECK(c.version == 7 && c.tries == 99);
		break;
	}
	case 1: {
		static uint16_t out[SPINE_CAP_CMDLINE + 32];
		size_t units = 0;
		size_t cap = (size_t)(sel >> 3) * 200 + 1;
		if (cap > sizeof(out) / sizeof(out[0]))
			cap = sizeof(out) / sizeof(out[0]);
		static const uint8_t id[SPINE_STATE_DIGEST_LEN] = {0xa5};
		if (spine_cmdline_build(p, n, 'a', id, out, cap, &units) == SPINE_CMD_OK) {
			/* Never longer than the kernel keeps, never a quote: the
			 * marker always survives the kernel's parser. */
			CHECK(units >= SPINE_MARKER_LEN && units <= cap);
			CHECK(units - 1 <= SPINE_CMDLINE_KEPT);
			CHECK(out[units - 1] == 0);
			for (size_t i = 0; i + 1 < units; i++)
				CHECK(out[i] >= 0x20 && out[i] <= 0x7e && out[i] != '"');
		} else {
			CHECK(units == 0);
		}
		break;
	}
	case 2:
		(void)spine_pe_check(p, n);
		break;
	case 3: {
		struct spine_state s;
		uint8_t again[SPINE_STATE_LEN];
		if (spine_state_decode(p, n, SPINE_STATE_ATTRS, &s) == SPINE_STATE_OK) {
			spine_state_encode(&s, again);
			CHECK(n == SPINE_STATE_LEN && memcmp(again, p, n) == 0);
		}
		uint64_t f;
		if (spine_floor_decode(p, n, SPINE_FLOOR_ATTRS, &f) == SPINE_FLOOR_OK) {
			uint8_t e[8];
			spine_floor_encode(f, e);
			CHECK(n == 8 && memcmp(e, p, 8) == 0);
		}
		break;
	}
	case 4: {
		uint8_t d[SPINE_NFILES][SV_SHA512_LEN];
		sv_result sv = SV_OK;
		enum spine_file w = SPINE_F_KERNEL;
		if (spine_manifest_parse(p, n, d, &sv, &w) == SPINE_MF_LIST)
			CHECK(sv != SV_OK);
		break;
	}
	case 5: {
		/* image/loaderkeys.c: the PE section table, then the marker,
		 * the way spine-loader-keys reads a loader. */
		struct lk_key keys[LK_MAX_KEYS];
		const uint8_t *sect = NULL;
		const char *why = NULL;
		size_t slen = 0, nk = 99;
		if (lk_find_section(p, n, ".spkeys", &sect, &slen, &why) == 0) {
			CHECK(sect >= p && slen <= n && (size_t)(sect - p) <= n - slen);
			if (lk_parse_marker(sect, slen, keys, &nk, &why) == 0)
				CHECK(nk >= 1 && nk <= LK_MAX_KEYS);
			else
				CHECK(why && nk == 99);
		} else {
			CHECK(why);
		}
		/* The marker parser alone, on any bytes. */
		nk = 99;
		if (lk_parse_marker(p, n, keys, &nk, &why) == 0)
			CHECK(nk >= 1 && nk <= LK_MAX_KEYS);
		else
			CHECK(nk == 99);
		break;
	}
	}
	return 0;
}
