/* libFuzzer: the TCG firmware event-log reader (measure/tcglog.c): every
 * record it returns lies inside the input, and the replay never reads past
 * it or extends a PCR above 23. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcglog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not a hash: the fuzzer checks bounds, not digests. */
static int mix(uint16_t alg, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
               uint8_t *out)
{
	uint8_t t = (uint8_t)alg;

	for (size_t i = 0; i < alen; i++)
		t ^= a[i];
	for (size_t i = 0; i < blen; i++)
		t ^= b[i];
	memset(out, t, alen);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pcrs[TCGLOG_NPCR][TCG_MAX_DIGEST];
	struct tcglog log;
	struct tcglog_event ev;
	uint32_t mask = 0;
	int r;

	if (tcglog_open(&log, data, size))
		return 0;
	while ((r = tcglog_next(&log, &ev)) == 1) {
		if (ev.data < data || ev.data_size > size ||
		    ev.data - data > (ptrdiff_t)(size - ev.data_size))
			abort();
		if (ev.ndigests > TCGLOG_MAX_BANKS)
			abort();
		for (uint32_t i = 0; i < ev.ndigests; i++)
			if (ev.digests[i].bytes < data ||
			    ev.digests[i].bytes + ev.digests[i].size > data + size)
				abort();
	}
	if (r < 0 && !log.err)
		abort();
	for (uint32_t b = 0; b < log.nalgs; b++) {
		struct tcglog again;

		if (tcglog_open(&again, data, size))
			abort(); /* it opened once */
		if (tcglog_replay(&again, log.algs[b].alg, mix, pcrs, &mask) == 0 && (mask >> 24))
			abort();
	}
	return 0;
}
