// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes through memx_parse_hdr(),
 * memx_advert_decode(), a reassembly table driven by the fragments that
 * parse, and the RTT estimator, checking invariants all along:
 *  - the parser answers a known reason; what it accepts is exactly
 *    header + payload + trailer long, obeys the per-type rules, and
 *    rebuilds to the same header bytes (but reserved);
 *  - a fragment mask only grows, and the result of memx_frag_add() says
 *    how it changed;
 *  - the table's used count matches its slots and the fake buffers handed
 *    out, never exceeds nslots, and every buffer comes back exactly once;
 *  - RTO stays within its bounds, backoff never below it nor above max.
 */
#include <stdio.h>
#include <stdlib.h>
#include "frame.h"
#include "frag.h"
#include "rto.h"
#include "fuzz_frame.h"

#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",\
				__FILE__, __LINE__, #c);		\
			abort();					\
		}							\
	} while (0)

struct fuzz_buf {
	u8 data[MEMX_PAGE_SIZE];
	bool busy;
};

static struct fuzz_buf pool[FUZZ_SLOTS];
static unsigned int pool_busy;
static struct memx_reasm_slot slots[FUZZ_SLOTS];
static struct memx_reasm table;
static struct memx_rtt rtt;
static u64 now;

static struct fuzz_buf *buf_get(void)
{
	unsigned int i;

	for (i = 0; i < FUZZ_SLOTS; i++) {
		if (!pool[i].busy) {
			pool[i].busy = true;
			pool_busy++;
			return &pool[i];
		}
	}
	return NULL;
}

static void buf_put(void *p, void *ctx)
{
	struct fuzz_buf *b = p;

	CHECK(ctx == &table);
	CHECK(b >= pool && b < pool + FUZZ_SLOTS);
	CHECK(b->busy);
	b->busy = false;
	pool_busy--;
}

static void check_table(void)
{
	unsigned int i, j, used = 0;

	CHECK(table.used <= table.nslots);
	for (i = 0; i < table.nslots; i++) {
		if (!slots[i].used)
			continue;
		used++;
		CHECK(slots[i].buf);
		for (j = i + 1; j < table.nslots; j++)
			CHECK(!slots[j].used || slots[j].buf != slots[i].buf);
	}
	CHECK(used == table.used);
	CHECK(pool_busy == table.used);
}

static void check_advert(const struct memx_advert *a)
{
	struct memx_advert_info i, j;
	struct memx_advert b;

	memset(&i, 0, sizeof(i));	/* padding: compared below */
	memset(&j, 0, sizeof(j));
	if (memx_advert_decode(a, &i) != MEMX_DROP_NONE)
		return;
	CHECK(i.free_pages <= i.capacity_pages);
	CHECK(!(i.flags & ~MEMX_ADV_DRAINING));
	memx_advert_encode(&b, &i);
	CHECK(memx_advert_decode(&b, &j) == MEMX_DROP_NONE);
	CHECK(!memcmp(&i, &j, sizeof(i)));
	CHECK(!memcmp(&b, a, offsetof(struct memx_advert, reserved)));
}

static void check_accepted(const struct memx_hdr *h, size_t len,
			   const struct memx_msg *m)
{
	struct memx_hdr again;
	struct memx_msg m2;

	CHECK(len == MEMX_HDR_LEN + m->payload_len + m->trailer_len);
	CHECK(m->type >= 1 && m->type <= MEMX_T_MAX);
	CHECK(!(m->flags & ~(MEMX_F_KNOWN | MEMX_F_AUTH)));
	CHECK(!m->trailer_len || (m->flags & MEMX_F_AUTH));
	CHECK(!(m->flags & MEMX_F_MORE) || m->type == MEMX_T_WRITE);
	CHECK(!(m->flags & MEMX_F_RUN) || m->type == MEMX_T_ACK);
	CHECK(m->type == MEMX_T_ERROR ? m->status >= 1 &&
	      m->status <= MEMX_S_MAX : !m->status);

	switch (m->type) {
	case MEMX_T_WRITE:
	case MEMX_T_DATA:
		if (m->type == MEMX_T_WRITE)
			CHECK(m->count >= 1 &&
			      m->count <= MEMX_MAX_PAGES_PER_OP &&
			      m->count - 1 <= m->page);
		else
			CHECK(m->count == 1);
		if (m->flags & MEMX_F_ZERO) {
			CHECK(m->type == MEMX_T_DATA && !m->payload_len);
			break;
		}
		CHECK(m->payload_len == m->frag_len);
		CHECK(m->total_len == MEMX_PAGE_SIZE);
		CHECK(memx_frag_bits(m->frag_off, m->frag_len));
		CHECK(m->page != ~0ULL);
		break;
	case MEMX_T_ADVERT:
		CHECK(m->payload_len == sizeof(struct memx_advert));
		check_advert((const void *)((const u8 *)h + MEMX_HDR_LEN));
		break;
	case MEMX_T_READ:
		CHECK(m->count >= 1 && m->count <= MEMX_MAX_PAGES_PER_OP);
		CHECK(!m->payload_len);
		break;
	case MEMX_T_DISCARD:
		CHECK(m->count >= 1 && m->count <= MEMX_MAX_DISCARD_PAGES);
		CHECK(!m->payload_len);
		break;
	default:
		CHECK(!m->payload_len);
		CHECK(m->type == MEMX_T_ACK || !m->count);
		break;
	}

	/* Rebuilding gives the same bytes, and parses to the same message. */
	memset(&m2, 0, sizeof(m2));	/* padding: compared below */
	memx_build_hdr(&again, m);
	CHECK(!memcmp(&again, h, offsetof(struct memx_hdr, reserved)));
	CHECK(!again.reserved);
	CHECK(memx_parse_hdr(&again, len, &m2) == MEMX_DROP_NONE);
	CHECK(!memcmp(m, &m2, sizeof(m2)));
}

static void reassemble(const struct memx_msg *m, const u8 *payload, u8 ctl)
{
	struct memx_reasm_key k = {
		.session = m->session, .seq = m->seq, .page = m->page,
	};
	struct memx_reasm_slot *s;
	struct fuzz_buf *b;
	u64 old;
	int res;

	if (ctl & FUZZ_CTL_EXPIRE) {
		unsigned int before = table.used;
		unsigned int n = memx_reasm_expire(&table, now, buf_put,
						   &table);

		CHECK(n <= before && table.used == before - n);
		check_table();
	}

	s = memx_reasm_find(&table, &k);
	if (s && (ctl & FUZZ_CTL_RELEASE)) {
		buf_put(memx_reasm_release(&table, s), &table);
		CHECK(!memx_reasm_find(&table, &k));
		check_table();
		return;
	}
	if (!s) {
		u64 full = table.full;

		s = memx_reasm_claim(&table, &k, now);
		if (!s) {
			CHECK(table.used == table.nslots);
			CHECK(table.full == full + 1);
			return;
		}
		CHECK(!s->mask && !s->buf && s->used);
		CHECK(s->deadline >= now);
		CHECK(memx_reasm_find(&table, &k) == s);
		b = buf_get();
		CHECK(b);
		s->buf = b;
	}
	check_table();

	old = s->mask;
	res = memx_frag_add(&s->mask, m->frag_off, m->frag_len);
	CHECK(!(old & ~s->mask));		/* the mask only grows */
	switch (res) {
	case MEMX_FRAG_BAD:
	case MEMX_FRAG_DUP:
		CHECK(s->mask == old);
		break;
	case MEMX_FRAG_PARTIAL:
		CHECK(s->mask != old && s->mask != ~0ULL);
		break;
	case MEMX_FRAG_COMPLETE:
		CHECK(s->mask == ~0ULL && old != ~0ULL);
		break;
	default:
		CHECK(0);
	}
	if (res == MEMX_FRAG_PARTIAL || res == MEMX_FRAG_COMPLETE) {
		b = s->buf;
		CHECK((u32)m->frag_off + m->frag_len <= MEMX_PAGE_SIZE);
		memcpy(b->data + m->frag_off, payload, m->frag_len);
	}
	if (res == MEMX_FRAG_COMPLETE) {
		b = memx_reasm_release(&table, s);
		buf_put(b, &table);
	}
	check_table();
}

static void one_frame(const u8 *data, size_t len, u8 ctl)
{
	struct memx_msg m;
	enum memx_drop d;
	u8 *copy;

	/* An exact-size copy, so ASan sees any read past the frame. */
	copy = malloc(len ? len : 1);
	CHECK(copy);
	memcpy(copy, data, len);

	now += ctl & FUZZ_CTL_CLOCK;
	memset(&m, 0, sizeof(m));
	d = memx_parse_hdr((const struct memx_hdr *)copy, len, &m);
	CHECK(d < MEMX_DROP_MAX && memx_drop_names[d]);
	if (len < MEMX_HDR_LEN)
		CHECK(d == MEMX_DROP_TRUNC);
	if (d == MEMX_DROP_NONE) {
		check_accepted((const struct memx_hdr *)copy, len, &m);
		if ((m.type == MEMX_T_WRITE || m.type == MEMX_T_DATA) &&
		    !(m.flags & MEMX_F_ZERO))
			reassemble(&m, copy + MEMX_HDR_LEN, ctl);
	}

	if (ctl & FUZZ_CTL_RTT) {
		u32 sample = len >= 8 ? (u32)copy[4] << 24 | copy[5] << 16 |
					copy[6] << 8 | copy[7] : (u32)len;
		u32 rto, b;

		memx_rtt_sample(&rtt, sample);
		rto = memx_rtt_rto_us(&rtt);
		CHECK(rto >= rtt.min_us && rto <= rtt.max_us);
		b = memx_rto_backoff_us(&rtt, ctl);
		CHECK(b >= rto && b <= rtt.max_us);
		CHECK(memx_rto_backoff_us(&rtt, ctl + 1) >= b);
	}
	free(copy);
}

/* The Makefile defines fuzz_one_input as libFuzzer's entry point name. */
int fuzz_one_input(const u8 *data, size_t size);

int fuzz_one_input(const u8 *data, size_t size)
{
	unsigned int n;

	memset(pool, 0, sizeof(pool));
	pool_busy = 0;
	memx_reasm_init(&table, slots, FUZZ_SLOTS, FUZZ_TIMEOUT);
	memx_rtt_init(&rtt, 1000000, 200, 30000000);
	now = 0;

	if (size >= sizeof(struct memx_advert))
		check_advert((const struct memx_advert *)data);

	while (size >= FUZZ_REC_HDR) {
		u8 ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += FUZZ_REC_HDR;
		size -= FUZZ_REC_HDR;
		if (len > size)
			len = size;
		one_frame(data, len, ctl);
		data += len;
		size -= len;
	}

	n = table.used;
	CHECK(memx_reasm_drain(&table, buf_put, &table) == n);
	CHECK(!table.used && !pool_busy);
	return 0;
}
