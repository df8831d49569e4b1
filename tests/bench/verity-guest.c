/*
 * verity-guest: the entry of make bench-verity's personas, and the reader it
 * runs on the same erofs mounted without verity (tests/bench/verity-bench.c).
 * Static, so the image needs nothing else.
 *
 *   verity-guest hold       one byte on stdout (the start bench's mark),
 *                           then waits until it is killed (the memory
 *                           figures are taken while it runs)
 *   verity-guest read FILE  reads FILE from start to end, 1 MiB a read,
 *                           and prints "read <bytes> <nanoseconds>"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 20];

static int do_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "verity-guest: %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct timespec a, b;
	unsigned long long total = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Under verity a block that fails its hash is EIO here. */
			fprintf(stderr, "verity-guest: %s: read at %llu: %s\n", path, total,
			        strerror(errno));
			close(fd);
			return 1;
		}
		if (n == 0)
			break;
		total += (unsigned long long)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	long long ns = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	printf("read %llu %lld\n", total, ns);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "hold")) {
		if (write(1, "!", 1) != 1)
			return 1;
		for (;;)
			pause();
	}
	if (argc == 3 && !strcmp(argv[1], "read"))
		return do_read(argv[2]);
	fprintf(stderr, "verity-guest: usage: verity-guest hold | verity-guest read FILE\n");
	return 2;
}
