// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_frame into DIR: valid frames of every
 * type, pages cut at MTU 1500 and 9000 (in order, reversed, with duplicates
 * and overlaps), an advertisement, authenticated frames, and enough
 * interleaved pages to fill and expire the reassembly table.
 * Usage: fuzz_seed DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include "frame.h"
#include "fuzz_frame.h"

static u8 rec[1 << 16];
static size_t rec_len;
static const char *dir;

static void add_frame(u8 ctl, const struct memx_msg *m)
{
	size_t len = MEMX_HDR_LEN + m->payload_len + m->trailer_len;
	u8 *p = rec + rec_len;
	size_t i;

	if (rec_len + FUZZ_REC_HDR + len > sizeof(rec)) {
		fprintf(stderr, "fuzz_seed: seed too large\n");
		exit(1);
	}
	p[0] = ctl;
	p[1] = len >> 8;
	p[2] = len & 0xff;
	memx_build_hdr((struct memx_hdr *)(p + FUZZ_REC_HDR), m);
	for (i = MEMX_HDR_LEN; i < len; i++)
		p[FUZZ_REC_HDR + i] = (u8)(i * 31 + m->frag_off);
	rec_len += FUZZ_REC_HDR + len;
}

static void flush(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(rec, 1, rec_len, f) != rec_len || fclose(f)) {
		perror(path);
		exit(1);
	}
	rec_len = 0;
}

static struct memx_msg msg(u8 type)
{
	struct memx_msg m = {
		.type = type, .session = 1, .srv_gen = 2, .cli_gen = 3,
		.tag = 4, .seq = 5, .page = 6,
	};

	switch (type) {
	case MEMX_T_ADVERT:
		m.session = 0;
		m.frag_len = sizeof(struct memx_advert);
		m.total_len = m.frag_len;
		m.payload_len = m.frag_len;
		break;
	case MEMX_T_WRITE:
	case MEMX_T_DATA:
		m.count = 1;
		m.total_len = MEMX_PAGE_SIZE;
		break;
	case MEMX_T_READ:
		m.count = 4;
		break;
	case MEMX_T_DISCARD:
		m.count = 100;
		break;
	case MEMX_T_ACK:
		m.count = 1000;
		break;
	case MEMX_T_ERROR:
		m.status = MEMX_S_NOSPACE;
		break;
	}
	return m;
}

static struct memx_msg frag(u8 type, u64 seq, u64 page, unsigned int off,
			    unsigned int len)
{
	struct memx_msg m = msg(type);

	m.seq = seq;
	m.page = page;
	m.frag_off = off;
	m.frag_len = len;
	m.payload_len = len;
	return m;
}

/* A page cut for @mtu, fragments sent in order (or reversed). */
static void add_page(u8 ctl, u64 seq, u64 page, unsigned int mtu, bool rev)
{
	unsigned int chunk = memx_frag_chunk(mtu);
	unsigned int n = memx_frag_count(mtu), i, k, off;
	struct memx_msg m;

	for (k = 0; k < n; k++) {
		i = rev ? n - 1 - k : k;
		off = i * chunk;
		m = frag(MEMX_T_WRITE, seq, page, off,
			 min_t(unsigned int, chunk, MEMX_PAGE_SIZE - off));
		add_frame(ctl, &m);
	}
}

int main(int argc, char **argv)
{
	struct memx_advert_info ai = {
		.capacity_pages = 1 << 20, .free_pages = 1 << 19,
		.load = 10, .sessions = 2, .mtu = 1500,
	};
	struct memx_msg m;
	char name[64];
	u8 t;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_seed DIR\n");
		return 2;
	}
	dir = argv[1];

	for (t = 1; t <= MEMX_T_MAX; t++) {
		m = msg(t);
		if (t == MEMX_T_WRITE || t == MEMX_T_DATA)
			m = frag(t, 5, 6, 0, MEMX_PAGE_SIZE);
		add_frame(0, &m);
		snprintf(name, sizeof(name), "type-%02u", t);
		flush(name);
	}

	m = msg(MEMX_T_ADVERT);
	add_frame(0, &m);
	memx_advert_encode((struct memx_advert *)(rec + FUZZ_REC_HDR +
						  MEMX_HDR_LEN), &ai);
	flush("advert");

	m = msg(MEMX_T_DATA);
	m.flags = MEMX_F_ZERO;
	add_frame(0, &m);
	flush("data-zero");

	m = frag(MEMX_T_WRITE, 7, 8, 1408, 1408);
	m.flags = MEMX_F_AUTH;
	m.trailer_len = 16;
	add_frame(0, &m);
	flush("write-auth");

	add_page(1, 10, 100, 1500, false);
	flush("page-1500");
	add_page(1, 10, 100, 1500, true);
	flush("page-1500-rev");
	add_page(1, 10, 100, 9000, false);
	flush("page-9000");
	add_page(1, 10, 100, MEMX_MIN_MTU, false);
	flush("page-min-mtu");

	/* a write request of 4 pages: MORE on all but the last, then RUN */
	for (i = 0; i < 4; i++) {
		m = frag(MEMX_T_WRITE, 12, 300 + i, 0, MEMX_PAGE_SIZE);
		m.count = i + 1;
		m.flags = i < 3 ? MEMX_F_MORE : 0;
		add_frame(0, &m);
	}
	m = msg(MEMX_T_ACK);
	m.flags = MEMX_F_RUN;
	m.page = 303;
	add_frame(0, &m);
	flush("write-request");

	/* duplicates and an overlap */
	m = frag(MEMX_T_WRITE, 11, 101, 0, 1408);
	add_frame(0, &m);
	add_frame(0, &m);
	m = frag(MEMX_T_WRITE, 11, 101, 1344, 1408);
	add_frame(0, &m);
	m = frag(MEMX_T_WRITE, 11, 101, 1408, 1408);
	add_frame(0, &m);
	m = frag(MEMX_T_WRITE, 11, 101, 2816, 1280);
	add_frame(FUZZ_CTL_RTT, &m);
	flush("dup-overlap");

	/* 12 pages, first fragments only: fills the table; then expiry */
	for (i = 0; i < 12; i++) {
		m = frag(MEMX_T_WRITE, 20 + i, 200 + i, 0, 1408);
		add_frame(3, &m);
	}
	m = frag(MEMX_T_WRITE, 20, 200, 1408, 1408);
	add_frame(FUZZ_CTL_EXPIRE | 31, &m);
	m = frag(MEMX_T_WRITE, 21, 201, 1408, 1408);
	add_frame(FUZZ_CTL_RELEASE, &m);
	m = msg(MEMX_T_ACK);
	add_frame(FUZZ_CTL_EXPIRE | FUZZ_CTL_RTT | 31, &m);
	add_frame(FUZZ_CTL_EXPIRE | FUZZ_CTL_RTT | 31, &m);
	flush("table-full-expire");
	return 0;
}
