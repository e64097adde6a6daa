// SPDX-License-Identifier: GPL-2.0
/*
 * Fragment masks and the bounded reassembly table (see frag.h).
 *
 * Builds in the kernel and in userspace with nothing but shim.h. The table
 * never allocates: the caller hands it the slot array and owns every buffer.
 * A lookup is a linear scan; tables are small (tens to a few hundred slots).
 */
#include "frag.h"

#define MEMX_FRAG_MASK_ALL	(~0ULL)

u64 memx_frag_bits(u32 off, u32 len)
{
	u32 first, n;

	if (off >= MEMX_PAGE_SIZE || off % MEMX_FRAG_UNIT)
		return 0;
	if (!len || len > MEMX_PAGE_SIZE - off)
		return 0;
	/* Only the fragment that ends the page may end inside a unit. */
	if (off + len != MEMX_PAGE_SIZE && len % MEMX_FRAG_UNIT)
		return 0;

	first = off / MEMX_FRAG_UNIT;
	n = (len + MEMX_FRAG_UNIT - 1) / MEMX_FRAG_UNIT;
	if (n >= MEMX_FRAG_UNITS)
		return MEMX_FRAG_MASK_ALL;
	return ((1ULL << n) - 1) << first;
}

int memx_frag_add(u64 *mask, u32 off, u32 len)
{
	u64 bits = memx_frag_bits(off, len);
	u64 have;

	if (!bits)
		return MEMX_FRAG_BAD;
	have = *mask & bits;
	if (have == bits)
		return MEMX_FRAG_DUP;
	if (have)
		return MEMX_FRAG_BAD;
	*mask |= bits;
	return *mask == MEMX_FRAG_MASK_ALL ? MEMX_FRAG_COMPLETE :
					     MEMX_FRAG_PARTIAL;
}

void memx_reasm_init(struct memx_reasm *r, struct memx_reasm_slot *slots,
		     unsigned int nslots, u64 timeout)
{
	unsigned int i;

	r->slots = slots;
	r->nslots = nslots;
	r->used = 0;
	r->timeout = timeout;
	r->expired = 0;
	r->full = 0;
	for (i = 0; i < nslots; i++)
		memset(&slots[i], 0, sizeof(slots[i]));
}

static bool memx_reasm_key_eq(const struct memx_reasm_key *a,
			      const struct memx_reasm_key *b)
{
	return a->session == b->session && a->seq == b->seq &&
	       a->page == b->page;
}

/* Empty @s and return its buffer. */
static void *memx_reasm_free_slot(struct memx_reasm *r,
				  struct memx_reasm_slot *s)
{
	void *buf = s->buf;

	memset(s, 0, sizeof(*s));
	r->used--;
	return buf;
}

/* Release the slots in use that expired by @now, or all of them (@all). */
static unsigned int memx_reasm_sweep(struct memx_reasm *r, u64 now, bool all,
				     void (*release)(void *buf, void *ctx),
				     void *ctx)
{
	unsigned int i, n = 0;
	void *buf;

	for (i = 0; i < r->nslots && r->used; i++) {
		struct memx_reasm_slot *s = &r->slots[i];

		if (!s->used || (!all && now <= s->deadline))
			continue;
		buf = memx_reasm_free_slot(r, s);
		if (release)
			release(buf, ctx);
		n++;
	}
	return n;
}

unsigned int memx_reasm_expire(struct memx_reasm *r, u64 now,
			       void (*release)(void *buf, void *ctx),
			       void *ctx)
{
	unsigned int n = memx_reasm_sweep(r, now, false, release, ctx);

	r->expired += n;
	return n;
}

struct memx_reasm_slot *memx_reasm_find(struct memx_reasm *r,
					const struct memx_reasm_key *k)
{
	unsigned int i;

	if (!r->used)
		return NULL;
	for (i = 0; i < r->nslots; i++) {
		struct memx_reasm_slot *s = &r->slots[i];

		if (s->used && memx_reasm_key_eq(&s->key, k))
			return s;
	}
	return NULL;
}

struct memx_reasm_slot *memx_reasm_claim(struct memx_reasm *r,
					 const struct memx_reasm_key *k,
					 u64 now)
{
	unsigned int i;

	if (r->used < r->nslots) {
		for (i = 0; i < r->nslots; i++) {
			struct memx_reasm_slot *s = &r->slots[i];

			if (s->used)
				continue;
			s->key = *k;
			s->mask = 0;
			s->buf = NULL;
			/* Saturate: a huge timeout means "never". */
			if (now > ~0ULL - r->timeout)
				s->deadline = ~0ULL;
			else
				s->deadline = now + r->timeout;
			s->used = true;
			r->used++;
			return s;
		}
	}
	r->full++;
	return NULL;
}

void *memx_reasm_release(struct memx_reasm *r, struct memx_reasm_slot *s)
{
	/* A slot of another table, or one already free, changes nothing. */
	if (s < r->slots || s >= r->slots + r->nslots || !s->used)
		return NULL;
	return memx_reasm_free_slot(r, s);
}

unsigned int memx_reasm_drain(struct memx_reasm *r,
			      void (*release)(void *buf, void *ctx),
			      void *ctx)
{
	return memx_reasm_sweep(r, 0, true, release, ctx);
}
