/*
 * test_persona_passport.c: the passport parser accepts the documented format
 * (docs/passport.md) and refuses, with a reason, everything else.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "passport.h"

#define HASH                                                                                       \
	"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2" \
	"877eec"                                                                                   \
	"2f63b931bd47417a81a538327af927da3e"

#define BASE                                                                                       \
	"name web\n"                                                                               \
	"image web.erofs " HASH "\n"                                                               \
	"entry /bin/httpd -f -p 8080\n"                                                            \
	"cores 2-3\n"                                                                              \
	"memory.max 256M\n"                                                                        \
	"pids.max 64\n"

static int parse(const char *text, struct passport *pp, char *err)
{
	return passport_parse(text, strlen(text), pp, err, 256);
}

Test(passport, minimal_with_defaults)
{
	struct passport pp;
	char err[256] = "";
	cr_assert_eq(parse(BASE, &pp, err), 0, "%s", err);
	cr_assert_str_eq(pp.name, "web");
	cr_assert_str_eq(pp.image, "web.erofs");
	cr_assert_eq(pp.image_sha512[0], 0xcf);
	cr_assert_eq(pp.image_sha512[63], 0x3e);
	cr_assert_eq(pp.argc, 4);
	cr_assert_str_eq(pp.argv[0], "/bin/httpd");
	cr_assert_str_eq(pp.argv[3], "8080");
	cr_assert_eq(pp.cpus, 0xcull);
	cr_assert_eq(pp.memory_max, 256ull << 20);
	cr_assert_eq(pp.pids_max, 64);
	/* Defaults: no cpu quota, no lifetime, no devices, no persist. */
	cr_assert_eq(pp.cpu_quota, 0);
	cr_assert_eq(pp.cpu_period, 100000);
	cr_assert_eq(pp.lifetime_s, 0);
	cr_assert_eq(pp.devices, 0);
	cr_assert_eq(pp.persist, PASSPORT_PERSIST_NONE);
	cr_assert_eq(pp.net, PASSPORT_NET_NONE);
	cr_assert_eq(pp.uid, passport_derived_id("web"));
	cr_assert_eq(pp.gid, pp.uid);
	char *argv[PASSPORT_ARGC_MAX + 1];
	passport_argv(&pp, argv);
	cr_assert_str_eq(argv[1], "-f");
	cr_assert_null(argv[4]);
}

Test(passport, every_directive)
{
	struct passport pp;
	char err[256] = "";
	cr_assert_eq(parse(BASE "cpu.max 50000 100000\nlifetime 3600\n"
	                        "devices null zero full random urandom tty\nnetwork none\n"
	                        "persist rw+exec\nuid 5000\ngid 5001\n",
	                   &pp, err),
	             0, "%s", err);
	cr_assert_eq(pp.cpu_quota, 50000);
	cr_assert_eq(pp.lifetime_s, 3600);
	cr_assert_eq(pp.devices, 0x3f);
	cr_assert_eq(pp.persist, PASSPORT_PERSIST_RW_EXEC);
	cr_assert_eq(pp.uid, 5000);
	cr_assert_eq(pp.gid, 5001);
	cr_assert_eq(parse(BASE "cpu.max max 20000\ncores 1,3-5,63\n", &pp, err), -EINVAL,
	             "cores twice");
	const char *cores = "name a\nimage a.img " HASH "\nentry /e\ncores 1,3-5,63\n"
	                    "memory.max 1048576\npids.max 1\ncpu.max max 20000\n";
	cr_assert_eq(parse(cores, &pp, err), 0, "%s", err);
	cr_assert_eq(pp.cpus, (1ull << 1) | (7ull << 3) | (1ull << 63));
	cr_assert_eq(pp.cpu_quota, 0);
	cr_assert_eq(pp.cpu_period, 20000);
}

/* Each refused: the message names the problem. */
static void refused(const char *text, const char *needle)
{
	struct passport pp;
	char err[256] = "";
	memset(&pp, 0x5a, sizeof pp);
	int r = parse(text, &pp, err);
	cr_assert_lt(r, 0, "accepted: %s", text);
	cr_assert(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
	cr_assert_eq(((unsigned char *)&pp)[0], 0x5a, "output written on refusal");
}

Test(passport, refuses_structure)
{
	refused("", "empty");
	refused(BASE "bogus 1\n", "unknown directive 'bogus'");
	refused(BASE "name other\n", "duplicate directive 'name'");
	refused(BASE "pids.max 64", "newline");
	refused(BASE "\n", "empty line");
	refused(BASE " lifetime 5\n", "stray space");
	refused(BASE "lifetime  5\n", "stray space");
	refused(BASE "lifetime 5 \n", "stray space");
	refused(BASE "lifetime\t5\n", "byte 0x09");
	refused(BASE "lifetime 5\r\n", "byte 0x0d");
	refused(BASE "# comment\n", "unknown directive");
	refused(BASE "NAME web\n", "unknown directive");
	/* Found by fuzz_passport: a directive with no value read a stale word. */
	refused(BASE "cpu.max\n", "cpu.max: needs a value");
	refused("name\n", "name: needs a value");
}

Test(passport, refuses_nul_byte)
{
	static const char text[] = BASE "lifetime 5\0\n";
	struct passport pp;
	char err[256] = "";
	cr_assert_eq(passport_parse(text, sizeof text - 1, &pp, err, sizeof err), -EINVAL);
	cr_assert(strstr(err, "byte 0x00"), "%s", err);
}

Test(passport, refuses_missing)
{
	static const char *const lines[] = {"name web\n",         "image web.erofs " HASH "\n",
	                                    "entry /bin/httpd\n", "cores 2-3\n",
	                                    "memory.max 256M\n",  "pids.max 64\n"};
	static const char *const names[] = {"name",  "image",      "entry",
	                                    "cores", "memory.max", "pids.max"};
	for (size_t skip = 0; skip < 6; skip++) {
		char text[1024] = "", want[64];
		for (size_t i = 0; i < 6; i++)
			if (i != skip)
				strcat(text, lines[i]);
		snprintf(want, sizeof want, "missing directive '%s'", names[skip]);
		refused(text, want);
	}
}

#define NO_NAME                                                                                    \
	"image web.erofs " HASH "\nentry /bin/httpd\ncores 2-3\nmemory.max 256M\npids.max 64\n"
#define NO_IMAGE "name web\nentry /bin/httpd\ncores 2-3\nmemory.max 256M\npids.max 64\n"
#define NO_CORES                                                                                   \
	"name web\nimage web.erofs " HASH "\nentry /bin/httpd\nmemory.max 256M\npids.max 64\n"

Test(passport, refuses_values)
{
	refused("name Web\n" NO_NAME, "name:");
	refused("name 1web\n" NO_NAME, "name:");
	refused("name web-\n" NO_NAME, "name:");
	refused("name we_b\n" NO_NAME, "name:");
	refused("name abcdefghijabcdefghijabcdefghijab\n" NO_NAME, "name:");
	refused("image ../web.erofs " HASH "\n" NO_IMAGE, "image:");
	refused("image a/b " HASH "\n" NO_IMAGE, "image:");
	refused("image .hidden " HASH "\n" NO_IMAGE, "image:");
	refused("image web.erofs " HASH "0\n" NO_IMAGE, "128 lower-case hex");
	refused("image web.erofs CF83" HASH "\n" NO_IMAGE, "128 lower-case hex");
	refused("image web.erofs\n" NO_IMAGE, "image:");
	refused("cores 0-3\n" NO_CORES, "core 0");
	refused("cores 0\n" NO_CORES, "core 0");
	refused("cores 3-2\n" NO_CORES, "cores:");
	refused("cores 2,2\n" NO_CORES, "cores:");
	refused("cores 3,2\n" NO_CORES, "cores:");
	refused("cores 2,\n" NO_CORES, "cores:");
	refused("cores 64\n" NO_CORES, "cores:");
	refused("cores 02\n" NO_CORES, "cores:");
	refused("cores -2\n" NO_CORES, "cores:");
	refused(BASE "cpu.max 999 100000\n", "cpu.max");
	refused(BASE "cpu.max 50000 1000001\n", "cpu.max");
	refused(BASE "cpu.max 50000\n", "cpu.max");
	refused(BASE "cpu.max -1 100000\n", "cpu.max");
	refused(BASE "lifetime 0\n", "lifetime");
	refused(BASE "lifetime 18446744073709551616\n", "lifetime");
	refused(BASE "lifetime 1h\n", "lifetime");
	refused(BASE "devices mem\n", "not on the allow-list");
	refused(BASE "devices kmsg\n", "not on the allow-list");
	refused(BASE "devices watchdog\n", "not on the allow-list");
	refused(BASE "devices null null\n", "twice");
	refused(BASE "devices\n", "devices");
	refused(BASE "network host\n", "network");
	refused(BASE "persist rwx\n", "persist");
	refused(BASE "persist rw exec\n", "persist");
	refused(BASE "uid 0\n", "uid");
	refused(BASE "uid 999\n", "uid");
	refused(BASE "uid 2147483647\n", "uid");
	refused(BASE "gid 0\n", "gid");
	refused(BASE "uid 4294967296\n", "uid");
}

Test(passport, refuses_sizes_and_overflow)
{
	const char *head = "name web\nimage web.erofs " HASH "\nentry /bin/httpd\ncores 2-3\n"
	                   "pids.max 64\n";
	char text[1024];
	static const char *const bad[] = {
	        "1K", "1048575", "0",   "16777216G", "18446744073709551615", "99999999999999999999",
	        "1T", "M",       "1MM", "-1M"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "%smemory.max %s\n", head, bad[i]);
		refused(text, "memory.max");
	}
	snprintf(text, sizeof text, "%smemory.max 1G\n", head);
	struct passport pp;
	char err[256];
	cr_assert_eq(parse(text, &pp, err), 0, "%s", err);
	cr_assert_eq(pp.memory_max, 1ull << 30);
	refused("name web\nimage web.erofs " HASH "\nentry /bin/x\ncores 2\nmemory.max 1M\n"
	        "pids.max 0\n",
	        "pids.max");
	refused("name web\nimage web.erofs " HASH "\nentry /bin/x\ncores 2\nmemory.max 1M\n"
	        "pids.max 4194305\n",
	        "pids.max");
}

Test(passport, refuses_entry)
{
	char text[8192];
	refused("entry bin/sh\n" NO_NAME "name web\n", "absolute path");
	refused(BASE "entry /bin/sh\n", "duplicate");
	/* 17 words */
	snprintf(text, sizeof text,
	         "name web\nimage web.erofs " HASH "\ncores 2\nmemory.max 1M\npids.max 1\n"
	         "entry /e 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
	refused(text, "more than 16 words");
	/* 16 words is fine */
	snprintf(text, sizeof text,
	         "name web\nimage web.erofs " HASH "\ncores 2\nmemory.max 1M\npids.max 1\n"
	         "entry /e 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n");
	struct passport pp;
	char err[256];
	cr_assert_eq(parse(text, &pp, err), 0, "%s", err);
	cr_assert_eq(pp.argc, 16);
	char longw[300];
	memset(longw, 'a', 256);
	longw[256] = 0;
	snprintf(text, sizeof text,
	         "name web\nimage web.erofs " HASH "\ncores 2\nmemory.max 1M\npids.max 1\n"
	         "entry /e %s\n",
	         longw);
	refused(text, "longer than 255");
}

Test(passport, refuses_oversize_file)
{
	static char text[PASSPORT_FILE_MAX + 64];
	strcpy(text, BASE);
	size_t n = strlen(text);
	while (n < PASSPORT_FILE_MAX + 10)
		text[n++] = '\n';
	text[n] = 0;
	refused(text, "longer than");
}

Test(passport, unsigned_text_is_refused)
{
	struct passport pp;
	char err[256] = "";
	const char *t = BASE;
	sv_pubkey k;
	memset(&k, 0, sizeof k);
	int r = passport_verify_parse((const uint8_t *)t, strlen(t), &k, 1, &pp, err, sizeof err);
	cr_assert_eq(r, -EPERM);
	cr_assert(strstr(err, "signature"), "%s", err);
}

Test(passport, derived_ids)
{
	uint32_t a = passport_derived_id("web"), b = passport_derived_id("work");
	cr_assert_geq(a, PASSPORT_UID_BASE);
	cr_assert_lt(a, PASSPORT_UID_BASE + PASSPORT_UID_SPAN);
	cr_assert_neq(a, b);
	cr_assert_eq(a, passport_derived_id("web"), "stable");
	cr_assert_str_eq(passport_dev_name(PASSPORT_DEV_URANDOM), "urandom");
	cr_assert_null(passport_dev_name(1u << 20));
}

/* network: none, or one device by name (docs/network.md). */
Test(passport, network_device)
{
	struct passport pp;
	char err[256] = "";
	cr_assert_eq(parse(BASE "network device eth0\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.net, PASSPORT_NET_DEVICE);
	cr_assert_str_eq(pp.net_device, "eth0");
	cr_assert_eq(parse(BASE "network device enp0s31f6.1_a-b\n", &pp, err), 0, "%s", err);
	cr_assert_str_eq(pp.net_device, "enp0s31f6.1_a-b");
	cr_assert_eq(parse(BASE "network device 0123456789abcde\n", &pp, err), 0, "%s", err);
	cr_assert_str_eq(pp.net_device, "0123456789abcde");
	cr_assert_eq(parse(BASE "network none\n", &pp, err), 0, "%s", err);
	cr_assert_eq(pp.net, PASSPORT_NET_NONE);
	cr_assert_str_eq(pp.net_device, "");
	cr_assert_eq(parse(BASE, &pp, err), 0, "%s", err);
	cr_assert_str_eq(pp.net_device, "");
}

Test(passport, refuses_network)
{
	refused(BASE "network device\n", "network:");
	refused(BASE "network device 0123456789abcdef\n", "network:"); /* 16 bytes */
	refused(BASE "network device lo\n", "not lo");
	refused(BASE "network device eth0 eth1\n", "network:");
	refused(BASE "network device eth/0\n", "network:");
	refused(BASE "network device eth:0\n", "network:");
	refused(BASE "network device .\n", "network:");
	refused(BASE "network device ..\n", "network:");
	refused(BASE "network device -eth0\n", "network:");
	refused(BASE "network device eth%d\n", "network:");
	refused(BASE "network device eth0\nnetwork none\n", "duplicate");
	refused(BASE "network none device\n", "network:");
	refused(BASE "network eth0\n", "network:");
	refused(BASE "network devices eth0\n", "network:");
	refused(BASE "network wiphy phy0\n", "network:");
}

/* ---- verity form (docs/passport.md, "Verity images") ------------------- */

/* What veritysetup made for 129 random data blocks (tests/host/persona-host.sh
 * and the VM test check real images): 129 data blocks, a 3-block tree. */
#define ROOT "044036463c100ef67694a96140e4fb50dc57b3be3d23d946adf934855e081586"
#define VLINE "verity big.img 540672 129 528384 4096 4096 sha256 00112233 " ROOT "\n"
#define VBASE                                                                                      \
	"name big\n" VLINE "entry /bin/sh\n"                                                       \
	"cores 1\n"                                                                                \
	"memory.max 64M\n"                                                                         \
	"pids.max 8\n"
#define VREST "entry /bin/sh\ncores 1\nmemory.max 64M\npids.max 8\n"

Test(passport, verity_form)
{
	struct passport pp;
	char err[256] = "";
	memset(&pp, 0x5a, sizeof pp);
	cr_assert_eq(parse(VBASE, &pp, err), 0, "%s", err);
	cr_assert_eq(pp.form, PASSPORT_IMAGE_VERITY);
	cr_assert_str_eq(pp.image, "big.img");
	cr_assert_eq(pp.verity.size, 540672);
	cr_assert_eq(pp.verity.data_blocks, 129);
	cr_assert_eq(pp.verity.hash_offset, 528384);
	cr_assert_eq(pp.verity.data_block_size, 4096);
	cr_assert_eq(pp.verity.hash_block_size, 4096);
	cr_assert_eq(pp.verity.salt_len, 4);
	cr_assert_eq(pp.verity.salt[0], 0x00);
	cr_assert_eq(pp.verity.salt[3], 0x33);
	cr_assert_eq(pp.verity.root[0], 0x04);
	cr_assert_eq(pp.verity.root[31], 0x86);
	/* The whole-file hash is not what pins a verity image. */
	for (size_t i = 0; i < sizeof pp.image_sha512; i++)
		cr_assert_eq(pp.image_sha512[i], 0);
	/* No salt is written '-'. */
	cr_assert_eq(parse("name big\nverity big.img 540672 129 528384 4096 4096 sha256 - " ROOT
	                   "\n" VREST,
	                   &pp, err),
	             0, "%s", err);
	cr_assert_eq(pp.verity.salt_len, 0);
	/* The whole-file form says so too. */
	cr_assert_eq(parse(BASE, &pp, err), 0, "%s", err);
	cr_assert_eq(pp.form, PASSPORT_IMAGE_SHA512);
}

/* Sizes veritysetup 2.6.1 wrote for these block counts (format 1, sha256,
 * 4096-byte blocks, no superblock), minus the data. */
Test(passport, verity_tree_bytes)
{
	cr_assert_eq(passport_verity_tree_bytes(1), 0);
	cr_assert_eq(passport_verity_tree_bytes(2), 4096);
	cr_assert_eq(passport_verity_tree_bytes(128), 4096);
	cr_assert_eq(passport_verity_tree_bytes(129), 3 * 4096);
	cr_assert_eq(passport_verity_tree_bytes(300), 4 * 4096);
	cr_assert_eq(passport_verity_tree_bytes(16385), 132 * 4096);
	/* 1 TiB of data: 2^28 blocks, levels 2^21 + 2^14 + 2^7 + 1. */
	cr_assert_eq(passport_verity_tree_bytes(1ull << 28),
	             ((1ull << 21) + (1ull << 14) + (1ull << 7) + 1) * 4096);
}

#define VPRE "name big\nverity big.img "
#define VPOST " " ROOT "\n" VREST

Test(passport, verity_refuses)
{
	/* One form per passport, and one is needed. */
	refused(BASE VLINE, "one form");
	refused("name big\n" VREST, "missing directive 'image' or 'verity'");
	refused(VBASE VLINE, "duplicate directive 'verity'");
	/* Word count and file name. */
	refused(VPRE "540672 129 528384 4096 4096 sha256 00112233\n" VREST, "verity: want");
	refused(VPRE "540672 129 528384 4096 4096 sha256 00112233 " ROOT " x\n" VREST,
	        "verity: want");
	refused("name big\nverity ../big.img 540672 129 528384 4096 4096 sha256 00" VPOST,
	        "plain file name");
	refused("name big\nverity .big 540672 129 528384 4096 4096 sha256 00" VPOST,
	        "plain file name");
	/* Numbers. */
	refused(VPRE "0540672 129 528384 4096 4096 sha256 00" VPOST, "decimals");
	refused(VPRE "540672 0 0 4096 4096 sha256 00" VPOST, "blocks >= 1");
	refused(VPRE "2199023255553 129 528384 4096 4096 sha256 00" VPOST, "1 TiB");
	refused(VPRE "540672 -1 528384 4096 4096 sha256 00" VPOST, "decimals");
	/* Block sizes and algorithm: one value each. */
	refused(VPRE "540672 129 528384 512 4096 sha256 00" VPOST, "block sizes must be 4096");
	refused(VPRE "540672 129 528384 4096 1024 sha256 00" VPOST, "block sizes must be 4096");
	refused(VPRE "540672 129 528384 4096 4096 sha1 00" VPOST, "sha256");
	refused(VPRE "540672 129 528384 4096 4096 SHA256 00" VPOST, "sha256");
	/* Salt: '-' or whole lower-case bytes, at most 256. */
	refused(VPRE "540672 129 528384 4096 4096 sha256 001" VPOST, "salt");
	refused(VPRE "540672 129 528384 4096 4096 sha256 00AB" VPOST, "salt");
	refused(VPRE "540672 129 528384 4096 4096 sha256 --" VPOST, "salt");
	char big[1024];
	snprintf(big, sizeof big, VPRE "540672 129 528384 4096 4096 sha256 %0514d" VPOST, 0);
	refused(big, "salt");
	snprintf(big, sizeof big, VPRE "540672 129 528384 4096 4096 sha256 %0512d" VPOST, 0);
	struct passport pp;
	char err[256] = "";
	cr_assert_eq(parse(big, &pp, err), 0, "256-byte salt: %s", err);
	cr_assert_eq(pp.verity.salt_len, 256);
	/* Root: exactly 64 lower-case hex digits. */
	refused(VPRE "540672 129 528384 4096 4096 sha256 00 " ROOT "0\n" VREST, "root hash");
	refused(VPRE "540672 129 528384 4096 4096 sha256 00 "
	             "044036463C100ef67694a96140e4fb50dc57b3be3d23d946adf934855e081586\n" VREST,
	        "root hash");
	/* Layout: the tree right after the data, the file right after the tree:
	 * a gap, an overlap, a tail or a short file are all refused. */
	refused(VPRE "544768 129 532480 4096 4096 sha256 00" VPOST, "hash offset");
	refused(VPRE "536576 129 524288 4096 4096 sha256 00" VPOST, "hash offset");
	refused(VPRE "544768 129 528384 4096 4096 sha256 00" VPOST, "size 544768");
	refused(VPRE "536576 129 528384 4096 4096 sha256 00" VPOST, "size 536576");
	refused(VPRE "540673 129 528384 4096 4096 sha256 00" VPOST, "size 540673");
}

Test(passport, file_name_must_be_the_persona_name)
{
	cr_assert(passport_file_matches("web.passport", "web"));
	cr_assert(passport_file_matches("work-2.passport", "work-2"));
	cr_assert_not(passport_file_matches("vault.passport", "web"));
	cr_assert_not(passport_file_matches("webx.passport", "web"));
	cr_assert_not(passport_file_matches("we.passport", "web"));
	cr_assert_not(passport_file_matches("web.passport.old", "web"));
	cr_assert_not(passport_file_matches("web", "web"));
	cr_assert_not(passport_file_matches(".passport", ""));
}
