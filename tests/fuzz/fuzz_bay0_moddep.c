/* libFuzzer: modules.dep parsing and resolution (bay0/moddep.c). The first
 * line of the input names the modules to resolve; the rest is modules.dep. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moddep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(data, '\n', size);
	struct moddep m;
	size_t order[64], n = 0, hl;
	char names[256];

	if (!nl)
		return 0;
	hl = (size_t)(nl - text);
	if (hl >= sizeof(names))
		return 0;
	memcpy(names, text, hl);
	names[hl] = '\0';
	if (moddep_parse(nl + 1, size - hl - 1, &m))
		return 0;
	for (char *w = strtok(names, " "); w; w = strtok(NULL, " ")) {
		int r = moddep_resolve(&m, w, order, 64, &n);
		if (r && r != -ENOENT && r != -ELOOP && r != -ENOSPC)
			__builtin_trap();
		if (n > 64)
			__builtin_trap();
	}
	/* Each module at most once. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (order[i] == order[j])
				__builtin_trap();
	moddep_free(&m);
	return 0;
}
