/*
 * fuzz_sumlist.c: signify checksum lists on arbitrary bytes. Properties: the
 * iterator and sv_sumlist_check agree; in a list that passes the check every
 * entry is found by its own name with its own digest, and names are plain.
 */
#include <stdlib.h>
#include <string.h>

#include "sv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f = malloc(size ? size : 1), d[SV_SHA512_LEN];
	sv_sumlist it;
	sv_sum s;
	bool done = false;
	sv_result r, rc;
	size_t entries = 0;

	memcpy(f, data, size);
	rc = sv_sumlist_check(f, size);
	sv_sumlist_init(&it, f, size);
	for (;;) {
		r = sv_sumlist_next(&it, &s, &done);
		if (r != SV_OK) {
			if (rc == SV_OK)
				abort(); /* check passed a list the iterator refuses */
			break;
		}
		if (done)
			break;
		entries++;
		if (s.name_len == 0 || s.name_len > SV_NAME_MAX || (const uint8_t *)s.name < f ||
		    (const uint8_t *)s.name + s.name_len > f + size)
			abort();
		for (size_t i = 0; i < s.name_len; i++) {
			unsigned char c = (unsigned char)s.name[i];

			if (c <= ' ' || c == '/' || c == '\\' || c == 0x7f)
				abort();
		}
		if (rc == SV_OK) {
			if (sv_sumlist_find(f, size, s.name, s.name_len, d) != SV_OK ||
			    memcmp(d, s.digest, sizeof(d)) != 0)
				abort();
		}
	}
	if (rc == SV_OK && !done)
		abort();
	if (rc != SV_OK && rc != SV_E_DUPLICATE && done)
		abort(); /* a parse error the iterator did not see */
	if (rc == SV_OK && entries == 0 && size != 0)
		abort();
	(void)sv_sumlist_find(f, size, "vmlinuz", 7, d);
	free(f);
	return 0;
}
