// SPDX-License-Identifier: GPL-2.0
/*
 * memx_sort - sort N pseudo-random u64 of a known seed in memory (qsort),
 * then check the result is sorted and is the same multiset (an
 * order-independent checksum). A memory-bound benchmark for swap.
 *
 * usage: memx_sort N SEED	(N may end in K, M or G: powers of 1024)
 *
 * Prints "ok N sorted in T s" and exits 0, or says what is wrong and exits
 * 1 (2 on usage or allocation errors).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static unsigned long long mix(unsigned long long z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned long long value(unsigned long long seed, unsigned long long i)
{
	return mix(seed + (i + 1) * 0x9e3779b97f4a7c15ULL);
}

/* Sum and xor of a mixed value: independent of the order. */
struct sum {
	unsigned long long add, xor;
};

static void sum_add(struct sum *s, unsigned long long v)
{
	unsigned long long h = mix(v ^ 0x5bd1e9955bd1e995ULL);

	s->add += h;
	s->xor ^= h;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return 10;
	case 'M':
	case 'm':
		return 20;
	case 'G':
	case 'g':
		return 30;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long n, seed, i, *a;
	int shift;
	struct sum before = { 0, 0 }, after = { 0, 0 };
	double t0, t1;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: memx_sort N SEED\n");
		return 2;
	}
	n = strtoull(argv[1], &end, 0);
	shift = suffix_shift(*end);
	if (shift) {
		n <<= shift;
		end++;
	}
	if (*end || !n || n > (1ULL << 36)) {
		fprintf(stderr, "memx_sort: bad count %s\n", argv[1]);
		return 2;
	}
	seed = strtoull(argv[2], &end, 0);
	if (*end) {
		fprintf(stderr, "memx_sort: bad seed %s\n", argv[2]);
		return 2;
	}

	a = mmap(NULL, n * 8, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) {
		perror("memx_sort: mmap");
		return 2;
	}
	for (i = 0; i < n; i++) {
		a[i] = value(seed, i);
		sum_add(&before, a[i]);
	}

	t0 = now();
	qsort(a, n, sizeof(*a), cmp_u64);
	t1 = now();

	for (i = 0; i < n; i++) {
		if (i && a[i - 1] > a[i]) {
			printf("not sorted at %llu: 0x%016llx > 0x%016llx\n",
			       i, a[i - 1], a[i]);
			return 1;
		}
		sum_add(&after, a[i]);
	}
	if (before.add != after.add || before.xor != after.xor) {
		printf("checksum mismatch: the sorted data is not the input\n");
		return 1;
	}
	printf("ok %llu sorted in %.3f s\n", n, t1 - t0);
	munmap(a, n * 8);
	return 0;
}
