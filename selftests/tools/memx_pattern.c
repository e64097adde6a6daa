// SPDX-License-Identifier: GPL-2.0
/*
 * memx_pattern - touch more anonymous memory than the machine has, with a
 * known pattern, and verify every word (the swap test).
 *
 * usage: memx_pattern MiB SEED
 *
 * Pass 1 writes word i as pat(SEED, i) in address order. Pass 2 visits the
 * pages in a scattered order (a stride coprime with the page count),
 * checks each word and rewrites it as pat(SEED, i) ^ FLIP, so pages come
 * back from swap, change and go out again. Pass 3 checks every word in
 * reverse order. Prints "ok N bytes verified" and exits 0, or reports the
 * first mismatch and exits 1 (2 on usage or allocation errors). Timings go
 * to stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include "pattern.h"

#define WORDS_PER_PAGE	(4096 / 8)
#define FLIP		0xa5a5a5a55a5a5a5aULL

static unsigned long long gcd(unsigned long long a, unsigned long long b)
{
	while (b) {
		unsigned long long t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int report_bad(const char *pass, unsigned long long i,
		      unsigned long long got, unsigned long long want)
{
	printf("mismatch in %s at word %llu (byte offset %llu): got 0x%016llx, want 0x%016llx\n",
	       pass, i, i * 8, got, want);
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long long mib, seed, words, pages, stride, p, k, i, w;
	unsigned long long *mem;
	double t0, t1, t2, t3;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: memx_pattern MiB SEED\n");
		return 2;
	}
	mib = strtoull(argv[1], &end, 0);
	if (*end || !mib || mib > (1ULL << 24)) {
		fprintf(stderr, "memx_pattern: bad size %s\n", argv[1]);
		return 2;
	}
	seed = strtoull(argv[2], &end, 0);
	if (*end) {
		fprintf(stderr, "memx_pattern: bad seed %s\n", argv[2]);
		return 2;
	}
	words = mib << 17;
	pages = words / WORDS_PER_PAGE;

	mem = mmap(NULL, words * 8, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("memx_pattern: mmap");
		return 2;
	}

	t0 = memx_now();
	for (i = 0; i < words; i++)
		mem[i] = memx_mix(seed, i);
	t1 = memx_now();

	/* a stride near 0.618 * pages, coprime with pages: scattered order */
	stride = pages * 618 / 1000 | 1;
	while (gcd(stride, pages) != 1)
		stride += 2;
	for (k = 0, p = 0; k < pages; k++, p = (p + stride) % pages) {
		for (w = 0; w < WORDS_PER_PAGE; w++) {
			i = p * WORDS_PER_PAGE + w;
			if (mem[i] != memx_mix(seed, i))
				return report_bad("pass 2", i, mem[i],
						memx_mix(seed, i));
			mem[i] ^= FLIP;
		}
	}
	t2 = memx_now();

	for (i = words; i-- > 0;)
		if (mem[i] != (memx_mix(seed, i) ^ FLIP))
			return report_bad("pass 3", i, mem[i],
					memx_mix(seed, i) ^ FLIP);
	t3 = memx_now();

	fprintf(stderr,
		"memx_pattern: %llu MiB: fill %.2f s, scatter %.2f s, verify %.2f s\n",
		mib, t1 - t0, t2 - t1, t3 - t2);
	printf("ok %llu bytes verified\n", words * 8);
	munmap(mem, words * 8);
	return 0;
}
