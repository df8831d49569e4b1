/*
 * spine-loader-keys: which signify keys a spineboot.efi trusts, read from its
 * .spkeys section (docs/boot.md, "Keys").
 *
 *   spine-loader-keys LOADER              one "<keynum hex> <key hex>" line per key
 *   spine-loader-keys LOADER KEY.pub...   exit 0 only if LOADER trusts exactly
 *                                         these keys (in any order)
 *
 * Exit 0, 1 when the keys differ, 2 on bad input, with one line on stderr
 * naming the file and what is wrong. The keys scripts use it before signing
 * or installing a loader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loaderkeys.h"
#include "sv.h"

/* Loaders are about 200 KiB; anything past this is not one. */
#define MAX_LOADER (16u << 20)
#define MAX_PUB 4096u

static const char *prog = "spine-loader-keys";

static uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, ferror(f) ? "read error" : "too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int has(const struct lk_key *keys, size_t n, const sv_pubkey *k)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(keys[i].keynum, k->keynum, 8) && !memcmp(keys[i].key, k->key, 32))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct lk_key keys[LK_MAX_KEYS];
	const uint8_t *sect;
	const char *why = "";
	size_t len = 0, slen = 0, n = 0, npub;
	uint8_t *pe;
	int rc = 0;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s LOADER.efi [KEY.pub ...]\n", prog);
		return 2;
	}
	pe = slurp(argv[1], MAX_LOADER, &len);
	if (!pe)
		return 2;
	if (lk_find_section(pe, len, ".spkeys", &sect, &slen, &why) ||
	    lk_parse_marker(sect, slen, keys, &n, &why)) {
		fprintf(stderr, "%s: %s: .spkeys: %s\n", prog, argv[1], why);
		free(pe);
		return 2;
	}
	npub = (size_t)argc - 2;
	if (npub == 0) {
		for (size_t i = 0; i < n; i++) {
			hex(keys[i].keynum, 8);
			putchar(' ');
			hex(keys[i].key, 32);
			putchar('\n');
		}
		free(pe);
		return 0;
	}
	for (size_t i = 0; i < npub; i++) {
		const char *path = argv[2 + i];
		size_t plen = 0;
		uint8_t *pub = slurp(path, MAX_PUB, &plen);
		sv_pubkey k;
		sv_result r;

		if (!pub) {
			rc = 2;
			break;
		}
		r = sv_pubkey_parse(pub, plen, &k);
		free(pub);
		if (r != SV_OK) {
			fprintf(stderr, "%s: %s: %s\n", prog, path, sv_result_str(r));
			rc = 2;
			break;
		}
		if (!has(keys, n, &k)) {
			fprintf(stderr, "%s: %s: does not trust %s\n", prog, argv[1], path);
			rc = 1;
		}
	}
	/* Exactly these: as many distinct keys in the loader as were given (a
	 * key given twice counts once, and the loader never lists one twice). */
	if (rc == 0 && n != npub) {
		fprintf(stderr, "%s: %s: trusts %zu keys, %zu given\n", prog, argv[1], n, npub);
		rc = 1;
	}
	free(pe);
	return rc;
}
