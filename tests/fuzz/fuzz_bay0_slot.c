/* libFuzzer: the loader's marker on the kernel command line (spine.slot=,
 * spine.state=) and the slot state update (bay0/slot.c). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t v[SLOT_VAR_LEN], before[SLOT_VAR_LEN];
	char slot = 0;
	int r = slot_from_cmdline((const char *)data, size, &slot);

	if (r == 0 && slot != 'a' && slot != 'b')
		__builtin_trap();
	if (r != 0 && r != -ENOENT && r != -EINVAL)
		__builtin_trap();
	{
		char name[SLOT_NAME_LEN];

		memset(name, 'z', sizeof(name));
		r = slot_state_name((const char *)data, size, &slot, name);
		/* Only a name of our own form ever comes out: efivarfs is asked
		 * for nothing else. */
		if (r == 0) {
			if (strncmp(name, "SpineSlot", 9) || (name[9] != 'A' && name[9] != 'B') ||
			    name[10] != '-' || name[27] != 0 ||
			    strspn(name + 11, "0123456789abcdef") != 16)
				__builtin_trap();
		} else if (r != -ENOENT && r != -EINVAL) {
			__builtin_trap();
		}
	}
	if (size >= SLOT_VAR_LEN) {
		memcpy(v, data, SLOT_VAR_LEN);
		memcpy(before, v, SLOT_VAR_LEN);
		r = slot_state_mark_good(v, SLOT_VAR_LEN);
		/* Only byte 9 (good) may change, and only from 0 to 1. */
		for (size_t i = 0; i < SLOT_VAR_LEN; i++)
			if (i != 9 && v[i] != before[i])
				__builtin_trap();
		if (r == 0 && !(before[9] == 0 && v[9] == 1))
			__builtin_trap();
		if (r != 0 && v[9] != before[9])
			__builtin_trap();
	}
	return 0;
}
