// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of rmap/frag.c: fragment masks (new, duplicate, overlapping,
 * out of bounds, complete) and the reassembly table (claim, find, release,
 * expire, the full counter, drain).
 */
#include "frag.h"
#include "tap.h"

#define ALL	(~0ULL)

static void test_bits(void)
{
	static const struct {
		u32 off, len;
		u64 want;
		const char *what;
	} cases[] = {
		{ 0, 64, 1ULL, "first unit" },
		{ 0, 1, 0, "1 byte at 0 (not the page end)" },
		{ 0, 128, 3ULL, "two units" },
		{ 4032, 64, 1ULL << 63, "last unit" },
		{ 4032, 1, 0, "1 byte not ending the page" },
		{ 0, 4096, ALL, "whole page" },
		{ 64, 4032, ALL << 1, "all but the first" },
		{ 0, 1408, (1ULL << 22) - 1, "MTU 1500 first" },
		{ 1408, 1408, ((1ULL << 22) - 1) << 22, "MTU 1500 second" },
		{ 2816, 1280, ((1ULL << 20) - 1) << 44, "MTU 1500 third" },
		{ 0, 0, 0, "zero length" },
		{ 1, 64, 0, "misaligned offset" },
		{ 63, 64, 0, "misaligned offset 63" },
		{ 4096, 64, 0, "offset at page end" },
		{ 8192, 64, 0, "offset past page end" },
		{ 0, 4097, 0, "longer than a page" },
		{ 64, 4033, 0, "runs past the page" },
		{ 0, 100, 0, "non-unit length mid-page" },
		{ 0xffffffc0, 128, 0, "offset near U32_MAX (no wrap)" },
		{ 64, 0xffffffc0, 0, "length near U32_MAX (no wrap)" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		eq(memx_frag_bits(cases[i].off, cases[i].len), cases[i].want,
		   "frag_bits %s (%u+%u)", cases[i].what, cases[i].off,
		   cases[i].len);
}

static void test_add(void)
{
	u64 mask = 0, before;
	int r;

	eq(memx_frag_add(&mask, 0, 1408), MEMX_FRAG_PARTIAL, "first: PARTIAL");
	eq(memx_frag_add(&mask, 0, 1408), MEMX_FRAG_DUP, "same again: DUP");
	eq(mask, (1ULL << 22) - 1, "DUP leaves the mask alone");
	eq(memx_frag_add(&mask, 0, 64), MEMX_FRAG_DUP,
	   "part of what arrived: DUP");

	before = mask;
	eq(memx_frag_add(&mask, 1344, 1408), MEMX_FRAG_BAD,
	   "overlap with the first fragment: BAD");
	eq(mask, before, "BAD (overlap) leaves the mask alone");
	eq(memx_frag_add(&mask, 0, 4096), MEMX_FRAG_BAD,
	   "whole page over a partial one: BAD");
	eq(memx_frag_add(&mask, 4096, 64), MEMX_FRAG_BAD, "out of bounds: BAD");
	eq(memx_frag_add(&mask, 2816, 1281), MEMX_FRAG_BAD,
	   "one byte past the page: BAD");
	eq(memx_frag_add(&mask, 1400, 64), MEMX_FRAG_BAD, "misaligned: BAD");
	eq(mask, before, "BAD (bounds) leaves the mask alone");

	eq(memx_frag_add(&mask, 2816, 1280), MEMX_FRAG_PARTIAL,
	   "third: PARTIAL");
	eq(memx_frag_add(&mask, 1408, 1408), MEMX_FRAG_COMPLETE,
	   "second (out of order): COMPLETE");
	eq(mask, ALL, "complete mask is all ones");
	eq(memx_frag_add(&mask, 1408, 1408), MEMX_FRAG_DUP,
	   "after completion: DUP");

	mask = 0;
	eq(memx_frag_add(&mask, 0, 4096), MEMX_FRAG_COMPLETE,
	   "one-frame page (MTU 9000): COMPLETE");

	/* 64 single units in reverse order; complete only at the last */
	mask = 0;
	for (r = 63; r > 0; r--)
		if (memx_frag_add(&mask, r * 64, 64) != MEMX_FRAG_PARTIAL)
			break;
	eq(r, 0, "63 units in reverse: all PARTIAL");
	eq(memx_frag_add(&mask, 0, 64), MEMX_FRAG_COMPLETE,
	   "64th unit: COMPLETE");
}

struct fake {
	int released[8];
	int calls;
};

static void fake_release(void *buf, void *ctx)
{
	struct fake *f = ctx;

	f->calls++;
	if (buf)
		f->released[*(int *)buf]++;
}

static unsigned int count_used(const struct memx_reasm *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < r->nslots; i++)
		n += r->slots[i].used;
	return n;
}

static void test_table(void)
{
	struct memx_reasm_slot slots[4], *s[4], *x;
	static int bufs[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	struct memx_reasm_key k[5];
	struct memx_reasm r;
	struct fake f = { .calls = 0 };
	unsigned int i;
	int bad;

	memset(slots, 0x5a, sizeof(slots));
	memx_reasm_init(&r, slots, 4, 100);
	ok(r.used == 0 && r.nslots == 4 && r.timeout == 100 && !r.expired &&
	   !r.full && count_used(&r) == 0, "init: empty table");

	for (i = 0; i < 5; i++) {
		k[i].session = 7;
		k[i].seq = 1000 + i;
		k[i].page = 50;
	}
	ok(!memx_reasm_find(&r, &k[0]), "find on an empty table: NULL");

	bad = 0;
	for (i = 0; i < 4; i++) {
		s[i] = memx_reasm_claim(&r, &k[i], 10 * i);
		if (!s[i] || s[i]->mask || s[i]->buf ||
		    s[i]->deadline != 10 * i + 100 || !s[i]->used ||
		    s[i]->key.seq != k[i].seq)
			bad++;
		else
			s[i]->buf = &bufs[i];
	}
	eq(bad, 0, "claim 4: key set, mask 0, buf NULL, deadline now+timeout");
	eq(r.used, 4, "4 slots used");
	eq(count_used(&r), 4, "used matches the slots");
	ok(s[0] != s[1] && s[1] != s[2] && s[2] != s[3] && s[0] != s[3],
	   "distinct slots");

	x = memx_reasm_claim(&r, &k[4], 50);
	ok(!x, "claim on a full table: NULL");
	eq(r.full, 1, "full counter counted the refusal");
	eq(r.used, 4, "refused claim changes nothing");

	for (i = 0, bad = 0; i < 4; i++)
		bad += memx_reasm_find(&r, &k[i]) != s[i];
	eq(bad, 0, "find returns each key's slot");
	x = NULL;
	k[4] = k[1];
	k[4].session = 8;
	x = memx_reasm_find(&r, &k[4]);
	k[4] = k[1];
	k[4].seq = 999;
	x = x ? x : memx_reasm_find(&r, &k[4]);
	k[4] = k[1];
	k[4].page = 51;
	x = x ? x : memx_reasm_find(&r, &k[4]);
	ok(!x, "keys differing in session, seq or page are not found");

	s[1]->mask = 0x55;
	ok(memx_reasm_release(&r, s[1]) == &bufs[1], "release returns buf");
	eq(r.used, 3, "3 used after release");
	ok(!memx_reasm_find(&r, &k[1]), "released key is gone");
	ok(!s[1]->used && !s[1]->mask && !s[1]->buf, "released slot cleared");
	ok(!memx_reasm_release(&r, s[1]), "second release: NULL");
	eq(r.used, 3, "second release does not underflow used");
	{
		struct memx_reasm_slot other = { .used = true };

		ok(!memx_reasm_release(&r, &other),
		   "release of a foreign slot: NULL");
		eq(r.used, 3, "foreign release changes nothing");
	}

	x = memx_reasm_claim(&r, &k[1], 200);
	ok(x == s[1] && x->deadline == 300 && !x->mask,
	   "claim reuses the freed slot, fresh");
	x->buf = &bufs[5];
	eq(r.used, 4, "4 used again");

	/* deadlines: s0 100, s2 120, s3 130, s1 300 */
	eq(memx_reasm_expire(&r, 100, fake_release, &f), 0,
	   "expire at the deadline: nothing (deadline is inclusive)");
	eq(memx_reasm_expire(&r, 125, fake_release, &f), 2,
	   "expire at 125: two slots");
	ok(f.calls == 2 && f.released[0] == 1 && f.released[2] == 1,
	   "expire passed both buffers to release");
	eq(r.expired, 2, "expired counter");
	eq(r.used, 2, "2 used after expiry");
	ok(!memx_reasm_find(&r, &k[0]) && !memx_reasm_find(&r, &k[2]) &&
	   memx_reasm_find(&r, &k[3]) == s[3] &&
	   memx_reasm_find(&r, &k[1]) == s[1],
	   "expiry dropped exactly the late slots");

	s[3]->buf = NULL;
	eq(memx_reasm_expire(&r, 131, NULL, NULL), 1,
	   "expire without a release callback");
	eq(r.used, 1, "1 used");

	f.calls = 0;
	eq(memx_reasm_drain(&r, fake_release, &f), 1, "drain releases 1");
	ok(f.calls == 1 && f.released[5] == 1, "drain passed the buffer");
	ok(r.used == 0 && count_used(&r) == 0, "table empty after drain");
	eq(r.expired, 3, "drain does not count as expiry");
	eq(memx_reasm_drain(&r, fake_release, &f), 0, "drain of empty: 0");

	/* deadline saturates instead of wrapping */
	memx_reasm_init(&r, slots, 4, ~0ULL - 5);
	x = memx_reasm_claim(&r, &k[0], 10);
	ok(x && x->deadline == ~0ULL, "deadline saturates at U64_MAX");
	eq(memx_reasm_expire(&r, ~0ULL, NULL, NULL), 0,
	   "saturated deadline never expires");

	/* zero-slot table: every claim refused */
	memx_reasm_init(&r, slots, 0, 10);
	ok(!memx_reasm_claim(&r, &k[0], 0) && r.full == 1,
	   "zero-slot table refuses and counts");
}

void test_frag(void)
{
	test_bits();
	test_add();
	test_table();
}
