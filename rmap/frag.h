/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fragments of a page and their bounded reassembly. Builds in kernel and
 * userspace. No locking inside: callers serialise access to one table.
 */
#ifndef _MEMX_FRAG_H
#define _MEMX_FRAG_H

#include "shim.h"
#include <memx/wire.h>

/**
 * enum memx_frag_res - outcome of adding one fragment to a page's mask
 * @MEMX_FRAG_BAD: overlaps part of what arrived already (not an exact
 *	duplicate), or is out of bounds: reject and count.
 * @MEMX_FRAG_PARTIAL: new data, page not complete yet.
 * @MEMX_FRAG_COMPLETE: new data, and the page is now complete.
 * @MEMX_FRAG_DUP: covers only units already received (a retransmitted
 *	fragment): ignore.
 */
enum memx_frag_res {
	MEMX_FRAG_BAD = -1,
	MEMX_FRAG_PARTIAL = 0,
	MEMX_FRAG_COMPLETE = 1,
	MEMX_FRAG_DUP = 2,
};

/**
 * memx_frag_bits() - the MEMX_FRAG_UNIT units a fragment covers
 * @off: fragment offset, multiple of MEMX_FRAG_UNIT, < MEMX_PAGE_SIZE
 * @len: fragment length, > 0, off + len <= MEMX_PAGE_SIZE, and a multiple
 *	of MEMX_FRAG_UNIT unless the fragment ends the page
 *
 * Return: the mask, or 0 when @off/@len break those rules.
 */
u64 memx_frag_bits(u32 off, u32 len);

/**
 * memx_frag_add() - record a fragment in @mask
 *
 * Return: enum memx_frag_res; @mask is changed only for PARTIAL/COMPLETE.
 */
int memx_frag_add(u64 *mask, u32 off, u32 len);

/**
 * struct memx_reasm_key - what one reassembly is for
 */
struct memx_reasm_key {
	u32 session;
	u64 seq;
	u64 page;
};

/**
 * struct memx_reasm_slot - one page under reassembly
 * @key: owner.
 * @mask: units received (memx_frag_add()).
 * @deadline: the caller's clock value after which the slot expires.
 * @buf: caller-owned buffer the fragments are copied into (the server: a
 *	struct page). The table never allocates or frees it; it hands it back.
 * @used: slot in use.
 */
struct memx_reasm_slot {
	struct memx_reasm_key key;
	u64 mask;
	u64 deadline;
	void *buf;
	bool used;
};

/**
 * struct memx_reasm - a bounded reassembly table
 * @slots: caller-provided array of @nslots.
 * @nslots: its size: the most pages under reassembly at once.
 * @used: slots in use.
 * @timeout: how long a slot may wait for its remaining fragments, in the
 *	units of the clock the caller passes as @now.
 * @expired: slots dropped because they timed out (counter).
 * @full: claims refused because every slot was busy (counter).
 */
struct memx_reasm {
	struct memx_reasm_slot *slots;
	unsigned int nslots;
	unsigned int used;
	u64 timeout;
	u64 expired;
	u64 full;
};

void memx_reasm_init(struct memx_reasm *r, struct memx_reasm_slot *slots,
		     unsigned int nslots, u64 timeout);

/**
 * memx_reasm_expire() - drop slots whose deadline passed
 * @release: called with each dropped slot's buf (may be NULL) and @ctx
 *
 * Return: number of slots dropped.
 */
unsigned int memx_reasm_expire(struct memx_reasm *r, u64 now,
			       void (*release)(void *buf, void *ctx),
			       void *ctx);

/**
 * memx_reasm_find() - the slot for @k, or NULL
 */
struct memx_reasm_slot *memx_reasm_find(struct memx_reasm *r,
					const struct memx_reasm_key *k);

/**
 * memx_reasm_claim() - take a free slot for @k (which must not be present)
 *
 * The slot comes back with key set, mask 0, buf NULL (the caller attaches
 * its buffer) and deadline @now + timeout. Return: the slot, or NULL (and
 * ->full counted) when all are in use; expire first to make room.
 */
struct memx_reasm_slot *memx_reasm_claim(struct memx_reasm *r,
					 const struct memx_reasm_key *k,
					 u64 now);

/**
 * memx_reasm_release() - free a slot; returns its buf for the caller
 */
void *memx_reasm_release(struct memx_reasm *r, struct memx_reasm_slot *s);

/**
 * memx_reasm_drain() - release every slot (teardown), passing each buf to
 * @release. Return: slots released.
 */
unsigned int memx_reasm_drain(struct memx_reasm *r,
			      void (*release)(void *buf, void *ctx),
			      void *ctx);

#endif /* _MEMX_FRAG_H */
