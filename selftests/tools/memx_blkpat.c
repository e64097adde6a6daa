// SPDX-License-Identifier: GPL-2.0
/*
 * memx_blkpat - write or check a known pattern on a block device, one
 * extent (1 MiB, O_DIRECT) at a time, from several threads, and say what
 * happened to each extent.
 *
 * usage: memx_blkpat write|check DEVICE OFFSET_MIB LENGTH_MIB SEED [THREADS]
 *
 * 8-byte word w of the device (counted from byte 0, not from OFFSET) holds
 * pat(SEED, w), so any extent can be checked alone. Each extent ends up
 * in one of: ok (written, or read back equal), eio, enospc, other (another
 * errno) or bad (read back different: the one outcome never acceptable).
 * Prints one line
 *   ok N eio N enospc N other N bad N ms MAX_MS
 * (MAX_MS: the slowest extent's time) and "eio_list A B ..." with the
 * extent numbers (offset / 1 MiB) that failed with EIO. Exit status 0
 * when no extent is bad, 1 otherwise, 2 on usage or setup errors: the
 * caller decides which error counts are acceptable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pattern.h"
#include <unistd.h>

#define EXT	(1024 * 1024)
#define WORDS	(EXT / 8)

enum { RES_OK, RES_EIO, RES_ENOSPC, RES_OTHER, RES_BAD, RES_MAX };

static const char *dev;
static int writing, nthreads = 16;
static unsigned long long seed, first, count;
static unsigned char *result;
static double *took;

static unsigned long long pat(unsigned long long w)
{
	return memx_mix(seed, w);
}

static int outcome(int err)
{
	return err == EIO ? RES_EIO : err == ENOSPC ? RES_ENOSPC : RES_OTHER;
}

static void *worker(void *arg)
{
	long t = (long)arg;
	unsigned long long e, i, w0;
	uint64_t *buf;
	ssize_t n;
	int fd;

	fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, EXT)) {
		perror(dev);
		exit(2);
	}
	for (e = first + t; e < first + count; e += nthreads) {
		double t0 = memx_now();
		int r = RES_OK;

		w0 = e * WORDS;
		if (writing) {
			for (i = 0; i < WORDS; i++)
				buf[i] = pat(w0 + i);
			n = pwrite(fd, buf, EXT, e * EXT);
		} else {
			n = pread(fd, buf, EXT, e * EXT);
		}
		if (n < 0)
			r = outcome(errno);
		else if (n != EXT)
			r = RES_OTHER;
		for (i = 0; !writing && r == RES_OK && i < WORDS; i++)
			if (buf[i] != pat(w0 + i)) {
				fprintf(stderr, "extent %llu: word %llu is %#llx, wrote %#llx\n",
					e, i, (unsigned long long)buf[i],
					pat(w0 + i));
				r = RES_BAD;
			}
		result[e - first] = r;
		took[e - first] = memx_now() - t0;
	}
	free(buf);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long long n[RES_MAX] = { 0 }, e;
	pthread_t th[64];
	double max = 0;
	long t;

	if (argc < 6 || argc > 7 ||
	    (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: %s write|check DEVICE OFFSET_MIB %s\n",
			argv[0], "LENGTH_MIB SEED [THREADS]");
		return 2;
	}
	writing = !strcmp(argv[1], "write");
	dev = argv[2];
	first = strtoull(argv[3], NULL, 0);
	count = strtoull(argv[4], NULL, 0);
	seed = strtoull(argv[5], NULL, 0);
	if (argc == 7)
		nthreads = atoi(argv[6]);
	if (!count || nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "memx_blkpat: bad length or thread count\n");
		return 2;
	}
	result = calloc(count, 1);
	took = calloc(count, sizeof(*took));
	if (!result || !took)
		return 2;
	for (t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t))
			return 2;
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	for (e = 0; e < count; e++) {
		n[result[e]]++;
		if (took[e] > max)
			max = took[e];
	}
	printf("ok %llu eio %llu enospc %llu other %llu bad %llu ms %.0f\n",
	       n[RES_OK], n[RES_EIO], n[RES_ENOSPC], n[RES_OTHER], n[RES_BAD],
	       max * 1000);
	printf("eio_list");
	for (e = 0; e < count; e++)
		if (result[e] == RES_EIO)
			printf(" %llu", first + e);
	printf("\n");
	return n[RES_BAD] ? 1 : 0;
}
