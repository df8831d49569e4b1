/* libFuzzer: the TCG event-log reader and replay (measure/, docs/measure.md).
 * The input is copied to a buffer of exactly its size so ASan sees any read
 * past the end; the replay must end in 0 or -EINVAL with a reason. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcglog.h"
#include "tcgreplay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	struct tcglog log;
	struct tcg_pcrs p;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	int r = tcglog_open(&log, copy, size);
	if (r == 0)
		r = tcg_replay(&log, &p);
	if (r != 0 && (r != -EINVAL || !log.err || log.err_offset > size))
		abort();
	if (r == 0 && log.pos > size)
		abort();
	free(copy);
	return 0;
}
