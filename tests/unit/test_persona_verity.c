/*
 * test_persona_verity.c: the verity table bay0 loads is built from the
 * passport's values only, in the kernel's order (Documentation/admin-guide/
 * device-mapper/verity.rst), with no optional argument (corruption = EIO).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "passport.h"
#include "persona_verity.h"

#define ROOT "044036463c100ef67694a96140e4fb50dc57b3be3d23d946adf934855e081586"

static struct passport parsed(const char *salt)
{
	char text[1024];
	struct passport pp;
	char err[256] = "";
	snprintf(text, sizeof text,
	         "name big\nverity big.img 540672 129 528384 4096 4096 sha256 %s " ROOT "\n"
	         "entry /bin/sh\ncores 1\nmemory.max 64M\npids.max 8\n",
	         salt);
	cr_assert_eq(passport_parse(text, strlen(text), &pp, err, sizeof err), 0, "%s", err);
	return pp;
}

Test(verity, table_from_the_passport)
{
	struct passport pp = parsed("00112233");
	char t[VERITY_TABLE_MAX];
	int n = verity_table(&pp.verity, 7, 3, t, sizeof t);
	cr_assert_str_eq(t, "1 7:3 7:3 4096 4096 129 129 sha256 " ROOT " 00112233");
	cr_assert_eq(n, (int)strlen(t));
}

Test(verity, no_salt_is_a_dash)
{
	struct passport pp = parsed("-");
	char t[VERITY_TABLE_MAX];
	verity_table(&pp.verity, 259, 70000, t, sizeof t);
	cr_assert_str_eq(t, "1 259:70000 259:70000 4096 4096 129 129 sha256 " ROOT " -");
}

Test(verity, longest_salt_fits_and_short_buffer_refused)
{
	char salt[513];
	memset(salt, 'a', 512);
	salt[512] = 0;
	struct passport pp = parsed(salt);
	char t[VERITY_TABLE_MAX];
	int n = verity_table(&pp.verity, 7, 0, t, sizeof t);
	cr_assert_gt(n, 512);
	cr_assert(strstr(t, salt), "salt missing: %s", t);
	char small[64];
	cr_assert_eq(verity_table(&pp.verity, 7, 0, small, sizeof small), -ENAMETOOLONG);
}
