/* slot.c: pure slot parsers (slot.h). The efivarfs side is slot_mark.c. */
#include "slot.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define SLOT_KEY "spine.slot="

int slot_from_cmdline(const char *s, size_t len, char *slot)
{
	int found = -ENOENT;
	size_t i = 0;

	while (i < len) {
		size_t start, vstart;
		bool quoted = false;
		char val[3];
		size_t vl = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		if (i >= len)
			break;
		start = i;
		/* A word ends at a blank outside double quotes; quotes are
		 * not part of the value (the kernel's next_arg()). */
		while (i < len && (quoted || !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))) {
			if (s[i] == '"')
				quoted = !quoted;
			i++;
		}
		if (i - start < sizeof(SLOT_KEY) - 1 ||
		    memcmp(s + start, SLOT_KEY, sizeof(SLOT_KEY) - 1))
			continue;
		vstart = start + sizeof(SLOT_KEY) - 1;
		for (size_t j = vstart; j < i; j++) {
			if (s[j] == '"')
				continue;
			if (vl == sizeof(val) - 1) {
				vl++;
				break;
			}
			val[vl++] = s[j];
		}
		if (vl == 1 && (val[0] == 'a' || val[0] == 'b')) {
			*slot = val[0];
			found = 0;
		} else {
			found = -EINVAL;
		}
	}
	return found;
}

int slot_state_mark_good(uint8_t *var, size_t len)
{
	const uint32_t need = EFI_VAR_NV | EFI_VAR_BS | EFI_VAR_RT;
	uint32_t attrs;
	uint8_t *st = var + 4;

	if (len != SLOT_VAR_LEN)
		return -EINVAL;
	attrs = (uint32_t)var[0] | (uint32_t)var[1] << 8 | (uint32_t)var[2] << 16 |
	        (uint32_t)var[3] << 24;
	if ((attrs & need) != need)
		return -EINVAL;
	if (memcmp(st, "SPS1", 4))
		return -EINVAL;
	if (st[5] > 1)
		return -EINVAL;
	if (st[5] == 1)
		return 1;
	st[5] = 1;
	return 0;
}
