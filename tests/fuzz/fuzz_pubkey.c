/*
 * fuzz_pubkey.c: sv_pubkey_parse on arbitrary bytes. An accepted file is
 * exactly "untrusted comment: <1..1023 bytes>\n" + 56 base64 bytes + "\n",
 * and a refused one leaves the output untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1);
	sv_pubkey k, k0;
	sv_result r;

	memcpy(f, data, size);
	memset(&k, 0x5c, sizeof(k));
	k0 = k;
	r = sv_pubkey_parse(f, size, &k);
	if (r == SV_OK) {
		const uint8_t *nl = memchr(f, '\n', size);

		if (size < 19 + 2 + 56 + 1 || nl == NULL || nl - f < 20 || nl - f > 19 + 1023 ||
		    (size_t)(nl - f) + 1 + 56 + 1 != size || f[size - 1] != '\n')
			abort();
	} else if (memcmp(&k, &k0, sizeof(k)) != 0) {
		abort(); /* written on failure */
	}
	free(f);
	return 0;
}
