/*
 * spine-sbvar: the parts of keys/spine-keys that a shell does badly: reading
 * EFI signature lists (PK, KEK, db, dbx) and writing an efivarfs variable in
 * exactly one write() (docs/keys.md, "Why shell over C helpers").
 *
 *   spine-sbvar list [-v] FILE        one line per entry:
 *                                     "<n> x509 <owner> <bytes>",
 *                                     "<n> sha256 <owner> <hex>" or
 *                                     "<n> other:<type guid> <owner> <bytes>"
 *   spine-sbvar der [-v] FILE N       entry N's data (an X.509 DER) on stdout
 *   spine-sbvar sha256 OWNER HEX...   an EFI_CERT_SHA256 list of those digests
 *                                     on stdout
 *   spine-sbvar without [-v] FILE DER FILE's signature lists on stdout minus
 *                                     every X509 entry whose data is DER's
 *                                     bytes (a list left empty is dropped,
 *                                     every other byte kept)
 *   spine-sbvar write [-n] VAR ATTR FILE
 *                                     VAR (an efivarfs path) := the 32-bit
 *                                     attributes ATTR (hex) then FILE's bytes,
 *                                     in one write(), after clearing the
 *                                     immutable bit; -n prints what it would
 *                                     write and changes nothing
 *   spine-sbvar bootpath FILE         the file path of the Boot#### load
 *                                     option FILE (an efivarfs file), as
 *                                     "/EFI/x/y.efi"; nothing if it has no
 *                                     file path node (a firmware app)
 *
 * -v: FILE is an efivarfs file (4 attribute bytes, then the list). An empty
 * list (an absent or empty variable) lists nothing. Exit 0, or 2 with one
 * line naming the file and what is wrong (3: the firmware refused a write).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "esl.h"
#include "loadopt.h"

#define MAX_VAR (1u << 20)
#define MAX_DIGESTS 256

static const char *prog = "spine-sbvar";

static int usage(void)
{
	fprintf(stderr,
	        "usage: %s list [-v] FILE | der [-v] FILE N | sha256 OWNER HEX... | "
	        "without [-v] FILE DER | write [-n] VAR ATTR FILE | bootpath FILE\n",
	        prog);
	return 2;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_VAR + 1);
	n = buf ? fread(buf, 1, MAX_VAR + 1, f) : 0;
	if (!buf || ferror(f) || n > MAX_VAR) {
		fprintf(stderr, "%s: %s: %s\n", prog, path,
		        !buf        ? "out of memory"
		        : ferror(f) ? "read error"
		                    : "too large");
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

/* list and der: walk FILE's entries; print them all, or write entry `want`. */
static int walk(int argc, char **argv, int der)
{
	struct esl_iter it;
	struct esl_entry e;
	const char *path;
	size_t len = 0, skip = 0, want = 0, n = 0;
	uint8_t *buf;
	int v = 0, r, found = 0;

	if (argc > 0 && !strcmp(argv[0], "-v")) {
		v = 1;
		argc--;
		argv++;
	}
	if (argc != (der ? 2 : 1))
		return usage();
	path = argv[0];
	if (der) {
		char *end;

		errno = 0;
		want = strtoul(argv[1], &end, 10);
		if (errno || *end || end == argv[1])
			return usage();
	}
	buf = slurp(path, &len);
	if (!buf)
		return 2;
	if (v && len > 0) {
		if (len < 4) {
			fprintf(stderr, "%s: %s: shorter than its attributes\n", prog, path);
			free(buf);
			return 2;
		}
		skip = 4;
	}
	esl_begin(&it, buf + skip, len - skip);
	while ((r = esl_next(&it, &e)) == 1) {
		char owner[37], type[37];

		if (der) {
			if (n++ != want)
				continue;
			found = 1;
			if (fwrite(e.data, 1, e.size, stdout) != e.size) {
				fprintf(stderr, "%s: stdout: write error\n", prog);
				free(buf);
				return 2;
			}
			break;
		}
		esl_guid_str(e.owner, owner);
		printf("%zu ", n++);
		switch (e.type) {
		case ESL_X509:
			printf("x509 %s %zu\n", owner, e.size);
			break;
		case ESL_SHA256:
			printf("sha256 %s ", owner);
			hex(e.data, e.size);
			putchar('\n');
			break;
		case ESL_X509_SHA256:
			printf("x509-sha256 %s ", owner);
			hex(e.data, 32);
			putchar('\n');
			break;
		default:
			esl_guid_str(e.type_guid, type);
			printf("other:%s %s %zu\n", type, owner, e.size);
		}
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s: offset %zu: %s\n", prog, path, it.err_offset + skip,
		        it.why);
		free(buf);
		return 2;
	}
	free(buf);
	if (der && !found) {
		fprintf(stderr, "%s: %s: no entry %zu\n", prog, path, want);
		return 2;
	}
	return fflush(stdout) ? 2 : 0;
}

static int sha256_list(int argc, char **argv)
{
	static uint8_t d[MAX_DIGESTS][32];
	static uint8_t out[ESL_HDR + MAX_DIGESTS * 48];
	uint8_t owner[16];
	size_t n = (size_t)argc - 1, len;

	if (argc < 2 || n > MAX_DIGESTS)
		return usage();
	if (esl_guid_parse(argv[0], owner)) {
		fprintf(stderr, "%s: owner '%s': not a GUID\n", prog, argv[0]);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		const char *h = argv[1 + i];

		if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64) {
			fprintf(stderr, "%s: digest '%s': not 64 lowercase hex digits\n", prog, h);
			return 2;
		}
		for (size_t j = 0; j < 32; j++) {
			unsigned int b;

			sscanf(h + 2 * j, "%2x", &b);
			d[i][j] = (uint8_t)b;
		}
	}
	len = esl_build_sha256(owner, (const uint8_t(*)[32])d, n, out, sizeof(out));
	if (!len || fwrite(out, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "%s: stdout: write error\n", prog);
		return 2;
	}
	return 0;
}

/* without: FILE's lists minus one certificate (esl_without), for rotate-db's
 * new db: what is not the old db certificate stays exactly as it was. */
static int without(int argc, char **argv)
{
	const char *path, *why = NULL;
	uint8_t *buf, *der, *out;
	size_t len = 0, dlen = 0, skip = 0, olen = 0, n = 0, off = 0;
	int v = 0;

	if (argc > 0 && !strcmp(argv[0], "-v")) {
		v = 1;
		argc--;
		argv++;
	}
	if (argc != 2)
		return usage();
	path = argv[0];
	der = slurp(argv[1], &dlen);
	if (!der)
		return 2;
	if (dlen == 0) {
		fprintf(stderr, "%s: %s: empty, not a certificate\n", prog, argv[1]);
		free(der);
		return 2;
	}
	buf = slurp(path, &len);
	if (!buf) {
		free(der);
		return 2;
	}
	if (v && len > 0) {
		if (len < 4) {
			fprintf(stderr, "%s: %s: shorter than its attributes\n", prog, path);
			free(buf);
			free(der);
			return 2;
		}
		skip = 4;
	}
	out = malloc(len - skip + 1);
	if (!out) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		free(buf);
		free(der);
		return 2;
	}
	if (esl_without(buf + skip, len - skip, der, dlen, out, len - skip, &olen, &n, &why,
	                &off)) {
		fprintf(stderr, "%s: %s: offset %zu: %s\n", prog, path, off + skip, why);
		free(out);
		free(buf);
		free(der);
		return 2;
	}
	free(buf);
	free(der);
	if (fwrite(out, 1, olen, stdout) != olen || fflush(stdout)) {
		fprintf(stderr, "%s: stdout: write error\n", prog);
		free(out);
		return 2;
	}
	free(out);
	return 0;
}

/* What the kernel's efivarfs makes of the firmware's EFI_STATUS
 * (fs/efivarfs, efi_status_to_err). */
static const char *refusal(int e)
{
	switch (e) {
	case EACCES:
		return "refused by the firmware: security violation (not in setup mode, or a bad "
		       "signature or timestamp)";
	case EROFS:
		return "refused by the firmware: write protected";
	case ENOSPC:
		return "refused by the firmware: no room left in the variable store";
	case EINVAL:
		return "refused by the firmware: invalid parameter (malformed payload)";
	default:
		return strerror(e);
	}
}

/* Linux 4.5+ makes efivarfs files immutable; a write to one needs the bit
 * cleared first. A file system without the flags (a test tree) has none. */
static int clear_immutable(const char *var)
{
	int fd = open(var, O_RDONLY | O_CLOEXEC), flags;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return e == ENOTTY || e == EOPNOTSUPP || e == EINVAL ? 0 : -1;
	}
	if (flags & FS_IMMUTABLE_FL) {
		flags &= ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int write_var(int argc, char **argv)
{
	const char *var, *path;
	uint8_t *buf, *all;
	unsigned long attr;
	size_t len = 0;
	char *end;
	int dry = 0, fd;
	ssize_t w;

	if (argc > 0 && !strcmp(argv[0], "-n")) {
		dry = 1;
		argc--;
		argv++;
	}
	if (argc != 3)
		return usage();
	var = argv[0];
	path = argv[2];
	errno = 0;
	attr = strtoul(argv[1], &end, 16);
	if (errno || *end || end == argv[1] || attr > 0xffffffffu) {
		fprintf(stderr, "%s: attributes '%s': not a 32-bit hex number\n", prog, argv[1]);
		return 2;
	}
	buf = slurp(path, &len);
	if (!buf)
		return 2;
	if (dry) {
		printf("would write %s: %zu bytes (attributes 0x%08lx, then %s)\n", var, len + 4,
		       attr, path);
		free(buf);
		return 0;
	}
	all = malloc(len + 4);
	if (!all) {
		fprintf(stderr, "%s: %s: out of memory\n", prog, path);
		free(buf);
		return 2;
	}
	for (int i = 0; i < 4; i++)
		all[i] = (uint8_t)(attr >> (8 * i));
	memcpy(all + 4, buf, len);
	free(buf);
	if (clear_immutable(var)) {
		fprintf(stderr, "%s: %s: clearing the immutable bit: %s\n", prog, var,
		        strerror(errno));
		free(all);
		return 2;
	}
	/* efivarfs takes one SetVariable per write(): never split it. */
	fd = open(var, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, var, strerror(errno));
		free(all);
		return 2;
	}
	w = write(fd, all, len + 4);
	if (w < 0 || (size_t)w != len + 4) {
		int e = w < 0 ? errno : EIO;

		fprintf(stderr, "%s: %s: %s\n", prog, var, refusal(e));
		close(fd);
		free(all);
		return 3;
	}
	free(all);
	if (close(fd)) {
		fprintf(stderr, "%s: %s: %s\n", prog, var, refusal(errno));
		return 3;
	}
	return 0;
}

/* The file path of a Boot#### variable (4 efivarfs attribute bytes, then an
 * EFI_LOAD_OPTION), read by spinectl's decoder (spinectl/loadopt.c, fuzzed
 * by fuzz_spinectl_loadopt), printed with '/' separators and a leading '/'.
 * A path that is not printable ASCII, or longer than the decoder keeps, is
 * refused: revoke must know exactly which file the firmware boots. */
static int bootpath(int argc, char **argv)
{
	const char *path, *why = NULL;
	uint8_t *buf;
	size_t len = 0, o = 0;
	struct lo_option opt;
	char out[LO_PATH_MAX + 2];

	if (argc != 1)
		return usage();
	path = argv[0];
	buf = slurp(path, &len);
	if (!buf)
		return 2;
	if (len < 4)
		why = "shorter than its attributes";
	else if (lo_decode(buf + 4, len - 4, &opt, &why) == 0) {
		if (strchr(opt.path, '?'))
			why = "a file path that is not printable ASCII";
		else if (strlen(opt.path) >= LO_PATH_MAX)
			why = "a file path of 255 characters or more";
	}
	free(buf);
	if (why) {
		fprintf(stderr, "%s: %s: not a load option: %s\n", prog, path, why);
		return 2;
	}
	for (const char *c = opt.path; *c; c++) {
		char ch = *c == '\\' ? '/' : *c;

		if (o == 0 && ch != '/')
			out[o++] = '/';
		if (!(ch == '/' && o > 0 && out[o - 1] == '/'))
			out[o++] = ch;
	}
	out[o] = 0;
	if (o)
		printf("%s\n", out);
	return fflush(stdout) ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "list"))
		return walk(argc - 2, argv + 2, 0);
	if (!strcmp(argv[1], "der"))
		return walk(argc - 2, argv + 2, 1);
	if (!strcmp(argv[1], "sha256"))
		return sha256_list(argc - 2, argv + 2);
	if (!strcmp(argv[1], "without"))
		return without(argc - 2, argv + 2);
	if (!strcmp(argv[1], "write"))
		return write_var(argc - 2, argv + 2);
	if (!strcmp(argv[1], "bootpath"))
		return bootpath(argc - 2, argv + 2);
	return usage();
}
