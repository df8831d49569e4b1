/*
 * test_persona_cgroup.c: what bay0 writes into cpuset.cpus is the list the
 * passport granted (the VM tests show the kernel enforcing it; this shows
 * the text is right on the build host, where no cgroup v2 controller is
 * available).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "cgroup.h"

static void cpus(uint64_t mask, const char *want)
{
	char buf[256];
	memset(buf, 'x', sizeof buf);
	cr_assert_eq(persona_cgroup_cpus(mask, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, want, "mask %#llx", (unsigned long long)mask);
}

Test(cgroup, cpuset_lists)
{
	cpus(1ull << 1, "1");
	cpus(0x6, "1-2");
	cpus(0xc | 1ull << 5, "2-3,5");
	cpus(0xf0, "4-7");
	cpus(1ull << 63, "63");
	cpus(0xfffffffffffffffeull, "1-63");
	cpus(0xaaull, "1,3,5,7");
	cpus(0, "");
}

Test(cgroup, cpuset_list_too_long_for_buffer)
{
	char buf[4];
	cr_assert_eq(persona_cgroup_cpus(0xaaull, buf, sizeof buf), -ENAMETOOLONG);
}

Test(cgroup, passport_cores_round_trip)
{
	struct passport pp;
	char err[256], buf[256];
	static const char text[] = "name web\nimage web.erofs "
	                           "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9c"
	                           "e47d0d13c5d85f2b0ff8318d287"
	                           "7eec2f63b931bd47417a81a538327af927da3e\n"
	                           "entry /e\ncores 1,3-5,9-10,63\nmemory.max 1M\npids.max 1\n";
	cr_assert_eq(passport_parse(text, sizeof text - 1, &pp, err, sizeof err), 0, "%s", err);
	cr_assert_eq(persona_cgroup_cpus(pp.cpus, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "1,3-5,9-10,63");
}
