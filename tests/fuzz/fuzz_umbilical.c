/* libFuzzer: the Umbilical's request parser, file-name rule and console
 * escaper (bay0/umbilical.c), on bytes a persona chooses; and the reading
 * of spinectl's dry-run output with the Spine-update prompt built from it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "umbilical.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every relayed line is marked, printable ASCII, and fits a console line. */
static void relayed(void *arg, const char *line)
{
	size_t n = strlen(line);

	(*(size_t *)arg)++;
	if (strncmp(line, "[fuzz] ", 7) || n > UMB_RELAY_MAX)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct umb_request rq;
	char err[256], out[UMB_ESCAPED_MAX * 600 + 1];
	int r;

	memset(&rq, 0, sizeof(rq));
	err[0] = 0;
	r = umb_request_parse(data, size, &rq, err, sizeof(err));
	if (r == 0) {
		/* What comes out passes the name rule on its own, and the
		 * source is a persona name. */
		size_t n = strlen(rq.name);
		if ((rq.op != UMB_OP_PULL && rq.op != UMB_OP_SPINE) ||
		    umb_name_check(rq.name, n, NULL, 0) || strchr(rq.name, '/') ||
		    !strcmp(rq.name, ".") || !strcmp(rq.name, "..") ||
		    (rq.op == UMB_OP_PULL) != (rq.source[0] != 0) ||
		    strspn(rq.source, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(rq.source))
			__builtin_trap();
	} else if (!err[0] || memchr(err, '\n', strlen(err))) {
		/* A refusal always says which rule, on one line. */
		__builtin_trap();
	}
	r = umb_name_check((const char *)data, size, err, sizeof(err));
	if (r == 0 &&
	    (size == 0 || size > UMB_NAME_MAX || memchr(data, '/', size) || memchr(data, 0, size)))
		__builtin_trap();
	if (size <= 600) {
		size_t took = umb_escape((const char *)data, size, out, sizeof(out));
		if (took != size || strlen(out) > UMB_ESCAPED_MAX * size)
			__builtin_trap();
		/* Only printable ASCII reaches the console. */
		for (const char *p = out; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				__builtin_trap();
	}
	{
		size_t lines = 0;
		umb_relay("fuzz", (const char *)data, size, relayed, &lines);
		if (lines == 0 || lines > size + 1)
			__builtin_trap();
	}
	/* The prompt shows any name that passed the rule whole, in marked,
	 * printable lines. */
	if (umb_name_check((const char *)data, size, NULL, 0) == 0) {
		char nm[UMB_NAME_MAX + 1], lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1];
		struct umb_prompt_info pi = {.source = "web", .receiver = "work", .name = nm};
		size_t n, shown = 0;

		memcpy(nm, data, size);
		nm[size] = 0;
		n = umb_prompt_text(&pi, lines);
		if (n > UMB_PROMPT_LINES || n < 8)
			__builtin_trap();
		for (size_t i = 0; i < n; i++) {
			if (strncmp(lines[i], "umbilical: ", 11) ||
			    strlen(lines[i]) > UMB_RELAY_MAX)
				__builtin_trap();
			for (const char *p = lines[i]; *p; p++)
				if (*p < 0x20 || *p > 0x7e)
					__builtin_trap();
			if (i >= 3 && i < n - 4)
				shown += strlen(lines[i]) - 23;
		}
		if (shown < size)
			__builtin_trap();
	}
	/* spinectl's output read back: a version only from a whole line, and
	 * the prompt built from what was read stays marked and printable. */
	if (size <= 4096) {
		char text[4097], lines[UMB_PROMPT_LINES][UMB_RELAY_MAX + 1];
		struct umb_spine_summary sum;

		memcpy(text, data, size);
		text[size] = 0;
		r = umb_spine_summary_parse(text, &sum, err, sizeof(err));
		if (r == 0 && (!sum.have_version || !strstr(text, "new slot (")))
			__builtin_trap();
		if (r != 0 && (!err[0] || sum.have_version))
			__builtin_trap();
		if (r == 0) {
			struct umb_spine_prompt_info pi = {
			        .source = "web", .folder = "v3", .sum = &sum};
			size_t n = umb_spine_prompt_text(&pi, lines);

			if (n > UMB_PROMPT_LINES || n < 11)
				__builtin_trap();
			for (size_t i = 0; i < n; i++)
				for (const char *p = lines[i]; *p; p++)
					if (*p < 0x20 || *p > 0x7e ||
					    strlen(lines[i]) > UMB_RELAY_MAX)
						__builtin_trap();
		}
	}
	/* A small buffer: progress, and never past its end (ASan). */
	if (size) {
		char small[6];
		if (umb_escape((const char *)data, size, small, sizeof(small)) == 0)
			__builtin_trap();
	}
	return 0;
}
