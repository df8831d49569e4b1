/* libFuzzer: bay0's run-time log reader (measure/runlog.c, docs/measure.md,
 * "The run-time log"). The input is copied to a buffer of exactly its size
 * so ASan sees any read past the end. Every event read must be one the
 * grammar allows (a persona string re-made from its fields is the same
 * bytes), and a refusal must carry a line number and a reason. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1), s[RUNLOG_STRING_MAX + 1];
	struct runlog_event ev;
	struct runlog rl;
	unsigned n = 0;
	int r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (runlog_open(&rl, copy, size) != 0) {
		free(copy);
		return 0;
	}
	while ((r = runlog_next(&rl, &ev)) == 1) {
		n++;
		if (ev.str < copy || ev.str + ev.len > copy + size || rl.line != n)
			abort();
		if (ev.kind == RUNLOG_PERSONA) {
			int len = runlog_persona_string(s, sizeof(s), ev.name, ev.passport_sha512,
			                                ev.image_sha512);
			if (len < 0 || (size_t)len != ev.len || memcmp(s, ev.str, ev.len) != 0)
				abort();
		} else if (ev.kind == RUNLOG_PERSONAS) {
			if (n != 1 || ev.len != strlen(RUNLOG_S_PERSONAS))
				abort();
		} else if (ev.kind != RUNLOG_SHUTDOWN) {
			abort();
		}
	}
	if (r != 0 && (r != -EINVAL || !rl.err[0] || rl.line == 0 || rl.line > n + 1))
		abort();
	if (r == 0 && rl.pos != size)
		abort();
	free(copy);
	return 0;
}
