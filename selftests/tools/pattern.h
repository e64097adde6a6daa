/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data pattern the test tools write and check: word i of a region is
 * memx_mix(seed, i) (splitmix64), so any word can be checked alone, and a
 * monotonic clock for their timings.
 */
#ifndef MEMX_TOOLS_PATTERN_H
#define MEMX_TOOLS_PATTERN_H

#include <time.h>

static inline unsigned long long memx_mix(unsigned long long seed,
					  unsigned long long i)
{
	unsigned long long z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline double memx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* MEMX_TOOLS_PATTERN_H */
