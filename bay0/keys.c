/*
 * keys.c: the trusted persona keys, compiled into bay0 from their .pub files
 * (bay0/bay0.mk generates personakeys.h from PERSONA_PUBS). Passports are
 * signed with a persona key, never the slot key: whoever can sign a persona
 * cannot sign a Spine, and a passport signed with the slot key is refused
 * (docs/passport.md, "Keys"). bay0 trusts nothing read from disk to tell it
 * which keys to use: they come with the verified Spine.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bay0.h"
#include "log.h"
#include "personakeys.h"

int keys_load(struct bay0 *b)
{
	size_t n = sizeof(bay0_persona_pubs) / sizeof(bay0_persona_pubs[0]);

	if (n == 0 || n > BAY0_PERSONA_KEYS_MAX) {
		log_line("persona keys: %zu compiled in, want 1..%d", n, BAY0_PERSONA_KEYS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		sv_result r = sv_pubkey_parse(bay0_persona_pubs[i].pub, bay0_persona_pubs[i].len,
		                              &b->keys[i]);

		if (r != SV_OK) {
			log_line("persona key %zu: %s", i, sv_result_str(r));
			return -EINVAL;
		}
	}
	b->nkeys = n;
	return 0;
}
