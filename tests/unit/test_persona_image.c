/*
 * test_persona_image.c: persona_image_load reads an inventory file once into
 * a sealed memfd and accepts it only if the sealed bytes hash to the
 * passport's SHA-512 and carry an erofs or squashfs superblock.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persona.h"

static char dir[] = "/tmp/persona-image-XXXXXX";
static int dfd = -1;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	dfd = open(dir, O_DIRECTORY | O_RDONLY);
	cr_assert_geq(dfd, 0);
}

static void teardown(void)
{
	static const char *const names[] = {"img", "link", "bad"};
	for (size_t i = 0; i < 3; i++)
		unlinkat(dfd, names[i], 0);
	close(dfd);
	rmdir(dir);
}

/* A fake erofs: the magic at 1024 is all the loader looks at. */
static void write_image(const char *name, uint8_t *buf, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void make(uint8_t *buf, size_t len, struct passport *pp)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7);
	buf[1024] = 0xe2, buf[1025] = 0xe1, buf[1026] = 0xf5, buf[1027] = 0xe0;
	memset(pp, 0, sizeof *pp);
	strcpy(pp->name, "img");
	strcpy(pp->image, "img");
	sv_sha512(buf, len, pp->image_sha512);
}

Test(image, verified_into_sealed_memfd, .init = setup, .fini = teardown)
{
	static uint8_t buf[8192];
	struct passport pp;
	struct persona p;
	char err[256] = "";
	make(buf, sizeof buf, &pp);
	write_image("img", buf, sizeof buf);
	persona_init(&p, &pp);
	cr_assert_eq(persona_image_load(&p, dfd, err, sizeof err), 0, "%s", err);
	cr_assert_eq(p.fs_type, PERSONA_FS_EROFS);
	int seals = fcntl(p.image_fd, F_GET_SEALS);
	int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	cr_assert_eq(seals & want, want, "seals %#x", seals);
	/* Whoever holds the fd cannot change the verified bytes. */
	cr_assert_eq(pwrite(p.image_fd, "x", 1, 0), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(p.image_fd, 1), -1);
	void *m = mmap(NULL, sizeof buf, PROT_READ | PROT_WRITE, MAP_SHARED, p.image_fd, 0);
	cr_assert_eq(m, MAP_FAILED);
	/* The inventory file changing afterwards changes nothing. */
	buf[0] ^= 1;
	write_image("img", buf, sizeof buf);
	uint8_t first;
	cr_assert_eq(pread(p.image_fd, &first, 1, 0), 1);
	cr_assert_eq(first, 0);
	persona_release(&p);
	cr_assert_eq(p.image_fd, -1);
}

Test(image, refusals, .init = setup, .fini = teardown)
{
	static uint8_t buf[8192];
	struct passport pp;
	struct persona p;
	char err[256];
	make(buf, sizeof buf, &pp);

	buf[5000] ^= 0x80; /* one bit */
	write_image("img", buf, sizeof buf);
	persona_init(&p, &pp);
	cr_assert_eq(persona_image_load(&p, dfd, err, sizeof err), -EPERM);
	cr_assert(strstr(err, "SHA-512 differs"), "%s", err);
	cr_assert_eq(p.image_fd, -1);

	/* Right hash, but no filesystem the loader knows. */
	buf[5000] ^= 0x80;
	buf[1024] = 0;
	sv_sha512(buf, sizeof buf, pp.image_sha512);
	write_image("img", buf, sizeof buf);
	persona_init(&p, &pp);
	cr_assert_eq(persona_image_load(&p, dfd, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "neither erofs nor squashfs"), "%s", err);

	/* A symlink in the inventory is not followed. */
	cr_assert_eq(symlinkat("img", dfd, "link"), 0);
	strcpy(pp.image, "link");
	persona_init(&p, &pp);
	cr_assert_eq(persona_image_load(&p, dfd, err, sizeof err), -ELOOP, "%s", err);

	/* Empty file. */
	write_image("bad", buf, 0);
	strcpy(pp.image, "bad");
	persona_init(&p, &pp);
	cr_assert_eq(persona_image_load(&p, dfd, err, sizeof err), -EFBIG, "%s", err);
}
