/*
 * keys.c: the trusted signify public key, compiled into bay0 from the slot
 * key's .pub file (bay0/bay0.mk generates slotkey.h). The same key signs the
 * slots and the passports (DESIGN.md, "Keys"); bay0 trusts nothing read
 * from disk to tell it which key to use.
 */
#include <errno.h>
#include <stdint.h>

#include "bay0.h"
#include "log.h"
#include "slotkey.h"

int keys_load(struct bay0 *b)
{
	sv_result r = sv_pubkey_parse(bay0_slot_pub, sizeof(bay0_slot_pub), &b->keys[0]);

	if (r != SV_OK) {
		log_line("slot key: %s", sv_result_str(r));
		return -EINVAL;
	}
	b->nkeys = 1;
	return 0;
}
