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
		/* One word with its double quotes removed, as the kernel's
		 * next_arg() reads it; only the first bytes matter. */
		char w[sizeof(SLOT_KEY) + 2];
		size_t wl = 0, full = 0;
		bool quoted = false;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		if (i >= len)
			break;
		while (i < len && (quoted || !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))) {
			if (s[i] == '"') {
				quoted = !quoted;
			} else {
				if (wl < sizeof(w))
					w[wl++] = s[i];
				full++;
			}
			i++;
		}
		if (full < sizeof(SLOT_KEY) - 1 || memcmp(w, SLOT_KEY, sizeof(SLOT_KEY) - 1))
			continue;
		if (full == sizeof(SLOT_KEY) && (w[wl - 1] == 'a' || w[wl - 1] == 'b')) {
			*slot = w[wl - 1];
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
