// SPDX-License-Identifier: GPL-2.0
/*
 * memx_ra - read what was written, never stale, while read-ahead runs:
 * a sequential reader (the pattern that triggers the client's read-ahead)
 * and, in front of it, writes and discards of the pages it is about to
 * read, then the same with a writer thread racing the reader.
 *
 * usage: memx_ra DEVICE MIB SEED SECONDS
 *
 * Each 4 KiB page p of the first MIB MiB holds a version v: word 0 = p,
 * word 1 = v, the rest pat(SEED, p, v); a discarded page reads as zeroes.
 *  1. Single thread: write every page (version 1); then walk the area
 *     reading 1..8 pages at a time (O_DIRECT, each read where the last
 *     ended, now and then a jump), and before each read write or discard,
 *     at random, a page 0..40 pages ahead. Every page read must be the
 *     latest version (or zeroes when last discarded).
 *  2. SECONDS seconds: the same walk while a second thread writes pages
 *     just ahead of the reader. A page read must hold a version at least
 *     the one whose write ended before the read began (never older).
 * Prints "reads N pages N writes N discards N stale N torn N mixed N" and
 * exits 0 when nothing read was stale (older than it may be) or torn (a
 * page not all of one version, in phase 1), 1 otherwise, 2 on setup
 * errors. "mixed": phase 2 pages read while being written, not all of one
 * version: allowed, counted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "pattern.h"

#define PG	4096
#define WPP	(PG / 8)
#define MAXRD	8

static int fd;
static uint64_t seed, npages;
static atomic_uint_least64_t *done_ver;	/* version whose write ended */
static atomic_uint_least64_t *next_ver;	/* versions handed out */
static unsigned char *zeroed;		/* phase 1: last op was a discard */
static atomic_int stop;
static atomic_ulong n_reads, n_pages, n_writes, n_discards;
static atomic_ulong n_stale, n_torn, n_mixed;

static uint64_t word(uint64_t p, uint64_t v, unsigned int i)
{
	if (i == 0)
		return p;
	if (i == 1)
		return v;
	return memx_mix(seed ^ v, p * WPP + i);
}

static void fill(uint64_t *buf, uint64_t p, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < WPP; i++)
		buf[i] = word(p, v, i);
}

static uint64_t rnd(uint64_t *s)
{
	*s = memx_mix(*s, 0x9e3779b97f4a7c15ULL);
	return *s;
}

static int write_page(uint64_t *buf, uint64_t p)
{
	uint64_t v = atomic_fetch_add(&next_ver[p], 1) + 1;

	fill(buf, p, v);
	if (pwrite(fd, buf, PG, (off_t)p * PG) != PG) {
		perror("pwrite");
		return -1;
	}
	/* versions of one page are written by one thread at a time */
	atomic_store(&done_ver[p], v);
	zeroed[p] = 0;
	n_writes++;
	return 0;
}

static int discard_page(uint64_t p)
{
	uint64_t r[2] = { p * PG, PG };

	if (ioctl(fd, BLKDISCARD, r)) {
		perror("BLKDISCARD");
		return -1;
	}
	zeroed[p] = 1;
	n_discards++;
	return 0;
}

/* Check page @p as read into @b; @min: oldest acceptable version. */
static void check(const uint64_t *b, uint64_t p, uint64_t min, int exact)
{
	uint64_t v = b[1];
	unsigned int i;

	if (exact && zeroed[p]) {
		for (i = 0; i < WPP; i++)
			if (b[i])
				break;
		if (i < WPP) {
			fprintf(stderr, "page %llu: not zeroes after a discard (word 1 = %llu)\n",
				(unsigned long long)p, (unsigned long long)v);
			n_stale++;
		}
		return;
	}
	if (b[0] != p || v < min || (exact && v != min)) {
		fprintf(stderr, "page %llu: version %llu (word 0 %llu), want %s%llu\n",
			(unsigned long long)p, (unsigned long long)v,
			(unsigned long long)b[0], exact ? "" : ">= ",
			(unsigned long long)min);
		n_stale++;
		return;
	}
	for (i = 2; i < WPP; i++)
		if (b[i] != word(p, v, i))
			break;
	if (i < WPP) {
		/* with a write racing the read, a mix is the device's right */
		if (!exact) {
			n_mixed++;
			return;
		}
		fprintf(stderr, "page %llu version %llu: word %u differs\n",
			(unsigned long long)p, (unsigned long long)v, i);
		n_torn++;
	}
}

static atomic_uint_least64_t reader_at;

/* The walk; @exact: phase 1 (also writes and discards ahead itself). */
static int walk(uint64_t *buf, uint64_t *wbuf, uint64_t *s, int exact,
		unsigned long steps)
{
	uint64_t min[MAXRD], p = 0;
	unsigned long k;
	unsigned int n, i;

	for (k = 0; !atomic_load(&stop) && (!steps || k < steps); k++) {
		n = 1 + rnd(s) % MAXRD;
		if (rnd(s) % 64 == 0 || p + n > npages)
			p = rnd(s) % (npages - MAXRD);
		if (exact) {
			uint64_t q = p + rnd(s) % 41;

			if (q < npages) {
				if (rnd(s) % 4 == 0) {
					if (discard_page(q))
						return -1;
				} else if (write_page(wbuf, q)) {
					return -1;
				}
			}
		}
		atomic_store(&reader_at, p);
		for (i = 0; i < n; i++)
			min[i] = atomic_load(&done_ver[p + i]);
		if (pread(fd, buf, (size_t)n * PG, (off_t)p * PG) !=
		    (ssize_t)n * PG) {
			perror("pread");
			return -1;
		}
		for (i = 0; i < n; i++)
			check(buf + i * WPP, p + i, min[i], exact);
		n_reads++;
		n_pages += n;
		p += n;
	}
	return 0;
}

static void *writer(void *arg)
{
	uint64_t *buf = arg, s = seed ^ 0xabcdef, p;

	while (!atomic_load(&stop)) {
		p = atomic_load(&reader_at) + 1 + rnd(&s) % 24;
		if (p < npages && write_page(buf, p))
			break;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	uint64_t *buf, *wbuf, *wbuf2, s, p;
	pthread_t th;
	int secs;

	if (argc != 5) {
		fprintf(stderr, "usage: memx_ra DEVICE MIB SEED SECONDS\n");
		return 2;
	}
	npages = strtoull(argv[2], NULL, 0) * 256;
	seed = strtoull(argv[3], NULL, 0);
	secs = atoi(argv[4]);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	done_ver = calloc(npages, sizeof(*done_ver));
	next_ver = calloc(npages, sizeof(*next_ver));
	zeroed = calloc(npages, 1);
	if (fd < 0 || npages < 64 || !done_ver || !next_ver || !zeroed ||
	    posix_memalign((void **)&buf, PG, MAXRD * PG) ||
	    posix_memalign((void **)&wbuf, PG, PG) ||
	    posix_memalign((void **)&wbuf2, PG, PG)) {
		perror("setup");
		return 2;
	}
	for (p = 0; p < npages; p++)
		if (write_page(wbuf, p))
			return 2;
	s = seed;
	if (walk(buf, wbuf, &s, 1, npages / 2))
		return 2;
	/* phase 2 has no discards: every page holds a version again */
	for (p = 0; p < npages; p++)
		if (zeroed[p] && write_page(wbuf, p))
			return 2;
	if (pthread_create(&th, NULL, writer, wbuf2))
		return 2;
	{
		time_t end = time(NULL) + secs;
		int r;

		while (time(NULL) < end && !n_stale && !n_torn) {
			r = walk(buf, wbuf, &s, 0, 256);
			if (r)
				break;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	printf("reads %lu pages %lu writes %lu discards %lu stale %lu torn %lu mixed %lu\n",
	       n_reads, n_pages, n_writes, n_discards, n_stale, n_torn,
	       n_mixed);
	return n_stale || n_torn ? 1 : 0;
}
