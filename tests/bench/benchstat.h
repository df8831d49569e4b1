/*
 * benchstat.h: what the bench programs (persona-bench.c, verity-bench.c)
 * share: a monotonic clock in microseconds, the median of a sample, and a
 * "Key: N kB" field of a /proc file.
 */
#ifndef BENCHSTAT_H
#define BENCHSTAT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bench_cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The number after "key:" in file (/proc/self/status, /proc/meminfo), or -1. */
static inline long field_kb(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

#endif
