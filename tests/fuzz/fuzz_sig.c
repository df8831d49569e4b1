/*
 * fuzz_sig.c: sv_sig_parse, sv_verify_detached and sv_verify_embedded on
 * arbitrary bytes, against the fixture key (tests/data/signify/key.pub).
 * Properties: no crash or over-read; nothing written on failure; a parsed
 * signature's body offset lies inside the file; a file that verifies as
 * embedded has the message where sv_sig_parse says it starts.
 */
#include <stdlib.h>
#include <string.h>

#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* keynum and key of tests/data/signify/key.pub */
static const char KEY_B64[] = "RWRQ+NlIIXXDM8onMUGQWNvyvhkne1Ze1Di9O7PpTx+T9edcfu1KOh+M";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1), raw[42];
	sv_pubkey key;
	sv_sig s, s0;
	size_t off = 99999, moff = 88888, n;
	sv_result r;

	if (sv_base64_decode(KEY_B64, sizeof(KEY_B64) - 1, raw, sizeof(raw), &n) != SV_OK)
		abort();
	memcpy(key.keynum, raw + 2, 8);
	memcpy(key.key, raw + 10, 32);
	memcpy(f, data, size);

	memset(&s, 0x5c, sizeof(s));
	s0 = s;
	r = sv_sig_parse(f, size, &s, &off);
	if (r == SV_OK) {
		if (off > size || off < 19 + 2 + 100 + 1)
			abort();
		/* the message part, as a detached check of the signature */
		(void)sv_sig_verify(&key, 1, &s, f + off, size - off);
	} else if (memcmp(&s, &s0, sizeof(s)) != 0 || off != 99999) {
		abort();
	}
	r = sv_verify_embedded(&key, 1, f, size, &moff);
	if (r == SV_OK && moff != off)
		abort();
	if (r != SV_OK && moff != 88888)
		abort();
	/* as a detached signature over itself, and over nothing */
	(void)sv_verify_detached(&key, 1, f, size, f, size);
	(void)sv_verify_detached(&key, 1, f, size, NULL, 0);
	free(f);
	return 0;
}
