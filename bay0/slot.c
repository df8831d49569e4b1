/* slot.c: pure slot parsers (slot.h). The efivarfs side is slot_mark.c. */
#include "slot.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/*
 * The value of the last word that starts with key, its double quotes removed
 * as the kernel's next_arg() does, into out (NUL-terminated). 0 and *vlen;
 * -ENOENT when no word starts with key; -EINVAL when the last one's value
 * does not fit in cap - 1 bytes.
 */
static int last_value(const char *s, size_t len, const char *key, char *out, size_t cap,
                      size_t *vlen)
{
	const size_t klen = strlen(key);
	int found = -ENOENT;
	size_t i = 0;

	while (i < len) {
		char w[64];
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
		if (full < klen || memcmp(w, key, klen))
			continue;
		if (full != wl || full - klen >= cap) {
			found = -EINVAL;
			continue;
		}
		memcpy(out, w + klen, full - klen);
		out[full - klen] = 0;
		*vlen = full - klen;
		found = 0;
	}
	return found;
}

int slot_from_cmdline(const char *s, size_t len, char *slot)
{
	char v[4];
	size_t n = 0;
	int r = last_value(s, len, "spine.slot=", v, sizeof(v), &n);

	if (r)
		return r;
	if (n != 1 || (v[0] != 'a' && v[0] != 'b'))
		return -EINVAL;
	*slot = v[0];
	return 0;
}

int slot_state_name(const char *s, size_t len, char *slot, char name[SLOT_NAME_LEN])
{
	char hex[20], sl;
	size_t n = 0;
	int r = slot_from_cmdline(s, len, &sl);

	if (r)
		return r;
	r = last_value(s, len, "spine.state=", hex, sizeof(hex), &n);
	if (r)
		return r;
	if (n != 16)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -EINVAL;
	memcpy(name, "SpineSlotA-", 11);
	name[9] = sl == 'a' ? 'A' : 'B';
	memcpy(name + 11, hex, 16);
	name[27] = 0;
	*slot = sl;
	return 0;
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
