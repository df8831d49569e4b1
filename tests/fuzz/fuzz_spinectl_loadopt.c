/* libFuzzer: spinectl's EFI_LOAD_OPTION and BootOrder decoders over
 * arbitrary variable contents; a decoded option is re-encoded when it can
 * be, and must decode again to the same fields. */
#include <stdint.h>
#include <string.h>

#include "loadopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lo_option o, o2;
	const char *why = 0;
	uint16_t order[64], out[65];
	size_t n = 0, len = 0;
	uint8_t buf[1024];

	if (lo_order_decode(data, size, order, 64, &n) == 0) {
		size_t m = lo_order_first(order, n, 0x1234, out, 65);
		if (m > n + 1 || out[0] != 0x1234)
			__builtin_trap();
		m = lo_order_remove(out, m, 0x1234, order, 64);
		(void)lo_order_index(order, m, 0x1234);
	}
	(void)lo_boot_number((const char *)data, size);
	if (lo_decode(data, size, &o, &why) != 0)
		return 0;
	if (o.has_hd && o.has_path && o.path[0] && strchr(o.path, '?') == 0 &&
	    lo_encode(o.attrs, o.desc, &o.hd, o.path, buf, sizeof(buf), &len, &why) == 0) {
		if (lo_decode(buf, len, &o2, &why) != 0 || strcmp(o.desc, o2.desc) != 0 ||
		    strcmp(o.path, o2.path) != 0 || memcmp(&o.hd, &o2.hd, sizeof(o.hd)) != 0 ||
		    !lo_matches(&o2, o.hd.guid, o.path))
			__builtin_trap();
	}
	return 0;
}
