/*
 * spine-verify: OpenBSD signify's verification verbs over verify/, so that the
 * module that boots the machine is held against the real signify on the same
 * files, and image/ can check slots on Linux.
 *
 *   spine-verify -V [-eq] [-x sigfile] -p pubkey -m message
 *   spine-verify -C [-q] -p pubkey -x sigfile [file ...]
 *
 * Flags, output lines ("Signature Verified", "<name>: OK", "<name>: FAIL")
 * and exit codes (0 good, 1 anything else) are signify's. On failure it adds
 * one line, "spine-verify: <file>: <reason>". -p may be given more than once:
 * the keys form a trusted set and the signature's key number picks one.
 * Where it is stricter than signify: docs/formats.md.
 *
 * Every file is read once, whole, into memory and checked there; listed
 * files are hashed as they stream past. -V -e writes the message only after
 * it verified, through a temporary file and rename(2), so -m never names a
 * half-written file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv.h"

#define PROG "spine-verify"
#define MAX_KEYS 16
/* A key or detached signature: a comment under SV_COMMENT_MAX, a base64 line
 * of 100 bytes and two newlines fit with room to spare. */
#define SMALL_MAX 4096
/* Messages and embedded signature files: signify's own cap. */
#define MSG_MAX ((size_t)1 << 30)
#define CHUNK ((size_t)1 << 16)

struct buf {
	uint8_t *p;
	size_t len;
};

_Noreturn static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "%s\n", why);
	fprintf(stderr, "usage:\t" PROG " -C [-q] -p pubkey -x sigfile [file ...]\n"
	                "\t" PROG " -V [-eq] [-x sigfile] -p pubkey -m message\n");
	exit(1);
}

__attribute__((format(printf, 1, 2))) _Noreturn static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		die("out of memory (%zu bytes)", n);
	return q;
}

/*
 * The whole of name ("-": standard input), at most cap bytes. Like signify,
 * a symbolic link is not followed and a directory is not a file.
 */
static struct buf read_whole(const char *name, size_t cap)
{
	struct buf b = {NULL, 0};
	size_t space;
	struct stat st;
	int fd;

	if (strcmp(name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		die("%s: %s", name,
		    errno == ELOOP ? "a symbolic link (not followed)" : strerror(errno));
	if (fstat(fd, &st) == -1)
		die("%s: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die("%s: not a valid file (a directory)", name);
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > cap)
		die("%s: %s (over %zu bytes)", name, sv_result_str(SV_E_TOO_LARGE), cap);
	/* One byte beyond the expected size, to see EOF without a realloc. */
	space = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : CHUNK;
	b.p = xrealloc(NULL, space);
	for (;;) {
		ssize_t n;

		if (b.len == space) {
			if (space > cap)
				die("%s: %s (over %zu bytes)", name, sv_result_str(SV_E_TOO_LARGE),
				    cap);
			space = space > cap / 2 ? cap + 1 : space * 2;
			b.p = xrealloc(b.p, space);
		}
		n = read(fd, b.p + b.len, space - b.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die("%s: %s", name, strerror(errno));
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	if (b.len > cap)
		die("%s: %s (over %zu bytes)", name, sv_result_str(SV_E_TOO_LARGE), cap);
	if (fd != STDIN_FILENO)
		close(fd);
	return b;
}

static size_t load_keys(char *const *names, size_t n, sv_pubkey *keys)
{
	for (size_t i = 0; i < n; i++) {
		struct buf f = read_whole(names[i], SMALL_MAX);
		sv_result r = sv_pubkey_parse(f.p, f.len, &keys[i]);

		if (r != SV_OK)
			die("%s: %s", names[i], sv_result_str(r));
		free(f.p);
	}
	return n;
}

/* 0, or -1 with errno set. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * name gets exactly p[0, n), or stays as it was: a temporary file in the
 * same directory, synced, then renamed over name. A symbolic link at name is
 * replaced, never written through.
 */
static void write_atomically(const char *name, const uint8_t *p, size_t n)
{
	char *dcopy, *bcopy, *tmp;
	const char *dir, *base;
	mode_t mask;
	size_t tlen;
	int fd, dfd;

	if (strcmp(name, "-") == 0) {
		if (fflush(stdout) == EOF || write_all(STDOUT_FILENO, p, n) == -1)
			die("standard output: %s", strerror(errno));
		return;
	}
	dcopy = strdup(name);
	bcopy = strdup(name);
	if (dcopy == NULL || bcopy == NULL)
		die("out of memory");
	dir = dirname(dcopy);
	base = basename(bcopy);
	tlen = strlen(dir) + strlen(base) + sizeof("/..XXXXXX");
	tmp = xrealloc(NULL, tlen);
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);
	if ((fd = mkstemp(tmp)) == -1)
		die("%s: cannot create a temporary file: %s", name, strerror(errno));
	mask = umask(0);
	umask(mask);
	/* signify creates the file 0666 less the umask; mkstemp made it 0600. */
	if (fchmod(fd, 0666 & ~mask) == -1 || write_all(fd, p, n) == -1 || fsync(fd) == -1) {
		int e = errno;

		close(fd);
		unlink(tmp);
		die("%s: %s", name, strerror(e));
	}
	if (close(fd) == -1 || rename(tmp, name) == -1) {
		int e = errno;

		unlink(tmp);
		die("%s: %s", name, strerror(e));
	}
	/* Make the rename itself durable. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dcopy);
	free(bcopy);
}

/* -V: a detached signature over message, or (-e) a signed file whose message
 * is written to msgfile once it verified. */
static int verify(const sv_pubkey *keys, size_t nkeys, const char *sigfile, const char *msgfile,
                  bool embedded, bool quiet)
{
	struct buf sig, msg;
	size_t off = 0;
	sv_result r;

	if (embedded) {
		sig = read_whole(sigfile, MSG_MAX + SMALL_MAX);
		r = sv_verify_embedded(keys, nkeys, sig.p, sig.len, &off);
	} else {
		msg = read_whole(msgfile, MSG_MAX);
		sig = read_whole(sigfile, SMALL_MAX);
		r = sv_verify_detached(keys, nkeys, sig.p, sig.len, msg.p, msg.len);
		free(msg.p);
	}
	if (r != SV_OK)
		die("%s: %s", sigfile, sv_result_str(r));
	if (!quiet)
		printf("Signature Verified\n");
	if (embedded)
		write_atomically(msgfile, sig.p + off, sig.len - off);
	free(sig.p);
	return 0;
}

/* The line of the first fault in a list that sv_sumlist_check refused. */
static size_t fault_line(const uint8_t *list, size_t len)
{
	sv_sumlist it, prev;
	sv_sum cur, old;
	bool done;

	sv_sumlist_init(&it, list, len);
	for (;;) {
		size_t start = it.off;

		if (sv_sumlist_next(&it, &cur, &done) != SV_OK)
			return it.line;
		if (done)
			return 0;
		sv_sumlist_init(&prev, list, start);
		while (sv_sumlist_next(&prev, &old, &done) == SV_OK && !done) {
			if (old.name_len == cur.name_len &&
			    memcmp(old.name, cur.name, cur.name_len) == 0)
				return it.line;
		}
	}
}

/* "" when name's SHA-512 is digest, else why not. Streams the file. */
static const char *check_file(const char *name, const uint8_t digest[SV_SHA512_LEN])
{
	static char why[256];
	struct sv_sha512 c;
	uint8_t got[SV_SHA512_LEN];
	uint8_t *chunk;
	int fd;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		return why;
	}
	chunk = xrealloc(NULL, CHUNK);
	sv_sha512_init(&c);
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(why, sizeof(why), "%s", strerror(errno));
			close(fd);
			free(chunk);
			return why;
		}
		if (n == 0)
			break;
		sv_sha512_update(&c, chunk, (size_t)n);
	}
	close(fd);
	free(chunk);
	sv_sha512_final(&c, got);
	return sv_ct_equal(got, digest, SV_SHA512_LEN) ? "" : sv_result_str(SV_E_HASH_MISMATCH);
}

/* One verdict line: "<name>: OK" on stdout, or "<name>: FAIL" on stderr
 * (as signify) and then the reason. */
static bool report(const char *name, const char *why, bool quiet)
{
	if (why[0] == '\0') {
		if (!quiet)
			printf("%s: OK\n", name);
		return true;
	}
	fflush(stdout);
	fprintf(stderr, "%s: FAIL\n", name);
	fprintf(stderr, PROG ": %s: %s\n", name, why);
	return false;
}

/* -C: the embedded list in sigfile, then every listed file, or only those
 * named on the command line (each must be listed). */
static int check(const sv_pubkey *keys, size_t nkeys, const char *sigfile, char **files, int nfiles,
                 bool quiet)
{
	struct buf sig = read_whole(sigfile, MSG_MAX + SMALL_MAX);
	const uint8_t *list;
	size_t off = 0, len;
	bool ok = true;
	sv_result r;

	r = sv_verify_embedded(keys, nkeys, sig.p, sig.len, &off);
	if (r != SV_OK)
		die("%s: %s", sigfile, sv_result_str(r));
	if (!quiet)
		printf("Signature Verified\n");
	list = sig.p + off;
	len = sig.len - off;
	/* The whole list must parse before any file is looked at. */
	r = sv_sumlist_check(list, len);
	if (r != SV_OK)
		die("%s: line %zu: %s", sigfile, fault_line(list, len), sv_result_str(r));

	if (nfiles == 0) {
		sv_sumlist it;
		sv_sum s;
		bool done;
		char name[SV_NAME_MAX + 1];

		sv_sumlist_init(&it, list, len);
		while (sv_sumlist_next(&it, &s, &done) == SV_OK && !done) {
			memcpy(name, s.name, s.name_len);
			name[s.name_len] = '\0';
			ok &= report(name, check_file(name, s.digest), quiet);
		}
	}
	for (int i = 0; i < nfiles; i++) {
		uint8_t digest[SV_SHA512_LEN];
		bool seen = false;

		/* signify checks a file named twice once */
		for (int j = 0; j < i; j++)
			seen |= strcmp(files[i], files[j]) == 0;
		if (seen)
			continue;
		r = sv_sumlist_find(list, len, files[i], strlen(files[i]), digest);
		if (r == SV_E_BAD_NAME)
			r = SV_E_NOT_LISTED; /* such a name is never in a list */
		ok &= report(files[i], r == SV_OK ? check_file(files[i], digest) : sv_result_str(r),
		             quiet);
	}
	free(sig.p);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	char *keyfiles[MAX_KEYS];
	sv_pubkey keys[MAX_KEYS];
	const char *sigfile = NULL, *msgfile = NULL;
	char *sigbuf = NULL;
	size_t nkeyfiles = 0, nkeys;
	bool embedded = false, quiet = false;
	int verb = 0, ch, rc;

	while ((ch = getopt(argc, argv, "CVem:p:qx:")) != -1) {
		switch (ch) {
		case 'C':
		case 'V':
			if (verb != 0)
				usage(NULL);
			verb = ch;
			break;
		case 'e':
			embedded = true;
			break;
		case 'm':
			msgfile = optarg;
			break;
		case 'p':
			if (nkeyfiles == MAX_KEYS)
				usage("too many public keys");
			keyfiles[nkeyfiles++] = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'x':
			sigfile = optarg;
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0)
		die("setvbuf failed");

	/* Unlike signify, never fall back to a key named in the untrusted
	 * comment ("verify with ..."): the caller says which keys it trusts. */
	if (verb == 'C') {
		if (sigfile == NULL)
			usage("must specify sigfile");
		if (nkeyfiles == 0)
			usage("must specify pubkey");
		nkeys = load_keys(keyfiles, nkeyfiles, keys);
		rc = check(keys, nkeys, sigfile, argv, argc, quiet);
	} else if (verb == 'V') {
		if (argc != 0)
			usage(NULL);
		if (msgfile == NULL)
			usage("must specify message");
		if (nkeyfiles == 0)
			usage("must specify pubkey");
		if (sigfile == NULL) {
			size_t n = strlen(msgfile) + sizeof(".sig");

			if (strcmp(msgfile, "-") == 0)
				usage("must specify sigfile with - message");
			sigbuf = xrealloc(NULL, n);
			snprintf(sigbuf, n, "%s.sig", msgfile);
			sigfile = sigbuf;
		}
		if (!embedded && strcmp(sigfile, "-") == 0 && strcmp(msgfile, "-") == 0)
			usage("the signature and the message cannot both be standard input");
		nkeys = load_keys(keyfiles, nkeyfiles, keys);
		rc = verify(keys, nkeys, sigfile, msgfile, embedded, quiet);
	} else {
		usage(NULL);
	}
	free(sigbuf);
	if (fflush(stdout) == EOF)
		die("standard output: %s", strerror(errno));
	return rc;
}
