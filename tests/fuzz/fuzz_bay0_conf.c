/* libFuzzer: the spine.conf parser (bay0/config.c), both build flavours. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spine_conf c;
	char err[128];
	unsigned line;

	for (int test_build = 0; test_build < 2; test_build++) {
		if (conf_parse((const char *)data, size, test_build, &c, &line, err, sizeof(err)) ==
		    0) {
			/* Whatever is accepted is bounded and NUL-terminated. */
			if (c.nmodules > CONF_MAX_MODULES || c.npersonas > CONF_MAX_PERSONAS)
				__builtin_trap();
			for (size_t i = 0; i < c.npersonas; i++)
				if (c.personas[i][0] != '/' ||
				    strlen(c.personas[i]) >= CONF_PATH_MAX)
					__builtin_trap();
		} else if (memchr(err, '\0', sizeof(err)) == NULL || line == 0) {
			__builtin_trap();
		}
	}
	return 0;
}
