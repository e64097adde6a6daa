// SPDX-License-Identifier: GPL-2.0
/*
 * Read-ahead for a lone sequential reader (readahead=).
 *
 * Swap-in is a synchronous reader: the faulting task waits for each read,
 * and the kernel's swap read-ahead asks for at most 2^page-cluster pages
 * (8) at a time, then faults on the next ones and waits again, a network
 * round trip per request. memx follows up to MEMX_PF_STREAMS readers
 * (a read that starts within a window after the last read of one, or
 * ends within a window before it, continues it, forward or backward:
 * quicksort's partitions walk both ways). When no other read is on the
 * network, it reads the next MEMX_PF_WINDOW pages of the reader's way
 * into a small cache of pages allocated at load, up to MEMX_PF_AHEAD
 * pages ahead, and a later read of those pages is served from it (a hit)
 * or, if they are still on their way, waits for them (parked) instead of
 * asking again. Random readers, readers with requests in flight of their
 * own and readers asking a whole window at a time do not trigger it.
 *
 * Never stale: a write or discard bumps the generation of the slots of its
 * pages when it starts and when it ends, and drops what they hold. A
 * read-ahead keeps its data only if its slots' generation did not move
 * between the moment it was built and its end, so it cannot keep data that
 * a write in flight meanwhile may have replaced at the server. A hit
 * consumes its slots (swap-in reads a page once; the swap cache holds it
 * from then on).
 *
 * Bounded: a read-ahead is a driver-private request (REQ_OP_DRV_IN) with
 * the timeouts of every request; a parked read ends when it ends, with
 * its data or sent on the network like any other read. Tags are taken
 * without waiting, at most MEMX_PF_INFLIGHT at a time, and nothing is
 * allocated: when a tag is not at hand, there is simply no read-ahead.
 */
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include "memx_client.h"

static struct memx_pf_slot *memx_pf_slot(struct memx_pf *pf, u64 page)
{
	return &pf->slots[page & (pf->nslots - 1)];
}

static struct page *memx_pf_page(struct memx_pf *pf, u64 page)
{
	return pf->pages[page & (pf->nslots - 1)];
}

/* Slot of @page holds it, or will. */
static bool memx_pf_has(struct memx_pf_slot *s, u64 page)
{
	return s->state != MEMX_PF_EMPTY && s->page == page;
}

/* A read-ahead may take the slot for @page now. */
static bool memx_pf_free(struct memx_pf_slot *s, u64 page)
{
	return s->state == MEMX_PF_EMPTY ||
	       (s->state == MEMX_PF_VALID && s->page != page);
}

/*
 * Plan the read-ahead of a reader going forward from page @end: the first
 * pages from @end on that are neither cached nor coming, if they start
 * less than MEMX_PF_AHEAD pages ahead, MEMX_PF_WINDOW at most, within an
 * extent. Return: true when the work should send it. Called with pf->lock
 * held.
 */
static bool memx_pf_plan_fwd(struct memx_dev *d, u64 end)
{
	struct memx_pf *pf = &d->pf;
	u64 p = end, lim = min(d->nr_pages, end + MEMX_PF_AHEAD);
	u32 n, i;

	while (p < lim && memx_pf_has(memx_pf_slot(pf, p), p))
		p++;
	if (p >= lim)
		return false;
	n = memx_extent_part(p, min_t(u64, MEMX_PF_WINDOW, d->nr_pages - p));
	for (i = 0; i < n; i++)
		if (!memx_pf_free(memx_pf_slot(pf, p + i), p + i))
			break;
	if (!i)
		return false;
	pf->want_page = p;
	pf->want_nr = i;
	return true;
}

/* The same for a reader going backward from page @start. */
static bool memx_pf_plan_bwd(struct memx_dev *d, u64 start)
{
	struct memx_pf *pf = &d->pf;
	u64 lim = start > MEMX_PF_AHEAD ? start - MEMX_PF_AHEAD : 0;
	u64 top = start, lo, floor;

	while (top > lim && memx_pf_has(memx_pf_slot(pf, top - 1), top - 1))
		top--;
	if (top <= lim)
		return false;
	/* [lo, top): free slots, a window at most, in the extent of top - 1 */
	floor = max(top > MEMX_PF_WINDOW ? top - MEMX_PF_WINDOW : 0,
		    (top - 1) & ~(u64)(MEMX_EXTENT_PAGES - 1));
	lo = top;
	while (lo > floor && memx_pf_free(memx_pf_slot(pf, lo - 1), lo - 1))
		lo--;
	if (lo == top)
		return false;
	pf->want_page = lo;
	pf->want_nr = top - lo;
	return true;
}

/* Plan the read-ahead of reader @st, if any. Called with pf->lock held. */
static bool memx_pf_plan(struct memx_dev *d, const struct memx_pf_stream *st)
{
	struct memx_pf *pf = &d->pf;

	if (!st->dir || pf->stop || atomic_read(&pf->reads) ||
	    atomic_read(&pf->inflight) >= MEMX_PF_INFLIGHT)
		return false;
	return st->dir > 0 ? memx_pf_plan_fwd(d, st->end) :
			     memx_pf_plan_bwd(d, st->start);
}

/*
 * A read of [@page, @page + @nr): is it the next read of a reader we
 * follow (starting up to a window after the end of its last one, or
 * ending up to a window before its start)? Then, from its second step in
 * the same way on, plan its read-ahead, if no other read is on the
 * network. Else it may be the first read of a new
 * reader: it replaces the oldest one. Return: true when the work should
 * send a read-ahead. Called with pf->lock held.
 */
static bool memx_pf_follow(struct memx_dev *d, u64 page, u32 nr)
{
	struct memx_pf *pf = &d->pf;
	struct memx_pf_stream *st;
	bool confirmed;
	int dir = 0;
	unsigned int k;

	lockdep_assert_held(&pf->lock);
	for (k = 0; k < MEMX_PF_STREAMS; k++) {
		st = &pf->streams[k];
		if (page >= st->end && page - st->end < MEMX_PF_WINDOW) {
			dir = 1;
			break;
		}
		if (page + nr <= st->start &&
		    st->start - (page + nr) < MEMX_PF_WINDOW) {
			dir = -1;
			break;
		}
	}
	if (!dir)
		st = &pf->streams[pf->next_stream++ % MEMX_PF_STREAMS];
	st->start = page;
	st->end = page + nr;
	/* a way is taken on the second step made in it: not by chance */
	confirmed = dir && st->dir == dir;
	st->dir = dir;
	return confirmed && memx_pf_plan(d, st);
}

/* A parked read goes on the network after all. */
static void memx_pf_unpark_send(struct memx_dev *d, struct request *rq)
{
	atomic_inc(&d->pf.reads);
	memx_req_start(rq);
}

/*
 * Copy the cached pages of @cmd to its bio and free their slots. Called
 * with pf->lock held, each page VALID.
 */
static void memx_pf_take(struct memx_pf *pf, struct memx_cmd *cmd)
{
	unsigned int i;

	for (i = 0; i < cmd->nr; i++) {
		memcpy_page(cmd->pages[i], 0, memx_pf_page(pf, cmd->page + i),
			    0, PAGE_SIZE);
		memx_pf_slot(pf, cmd->page + i)->state = MEMX_PF_EMPTY;
	}
}

/* 1: every page of @cmd cached; 0: some still coming; -1: some neither. */
static int memx_pf_lookup(struct memx_pf *pf, const struct memx_cmd *cmd)
{
	int ret = 1;
	unsigned int i;

	for (i = 0; i < cmd->nr; i++) {
		struct memx_pf_slot *s = memx_pf_slot(pf, cmd->page + i);

		if (!memx_pf_has(s, cmd->page + i))
			return -1;
		if (s->state == MEMX_PF_PENDING)
			ret = 0;
	}
	return ret;
}

/*
 * Read-ahead of [@page, @page + @nr) ended (@ok: with its data): keep what
 * no write touched meanwhile, then end or send the reads parked on it.
 */
static void memx_pf_done(struct memx_dev *d, u64 page, u32 nr, bool ok)
{
	struct memx_pf *pf = &d->pf;
	struct memx_cmd *cmd, *tmp;
	LIST_HEAD(hits);
	LIST_HEAD(sends);
	u64 hit = U64_MAX;
	bool plan = false;
	u32 i, k;

	spin_lock_bh(&pf->lock);
	for (i = 0; i < nr; i++) {
		struct memx_pf_slot *s = memx_pf_slot(pf, page + i);

		if (s->state != MEMX_PF_PENDING || s->page != page + i)
			continue;
		s->state = ok && s->gen == s->want ? MEMX_PF_VALID :
			   MEMX_PF_EMPTY;
	}
	list_for_each_entry_safe(cmd, tmp, &pf->parked, pf_node) {
		int found = memx_pf_lookup(pf, cmd);

		if (!found)
			continue;
		if (found > 0) {
			memx_pf_take(pf, cmd);
			list_move_tail(&cmd->pf_node, &hits);
			hit = cmd->page;
		} else {
			list_move_tail(&cmd->pf_node, &sends);
		}
	}
	/* the reader of the last read served goes on: read ahead again */
	for (k = 0; hit != U64_MAX && !plan && k < MEMX_PF_STREAMS; k++)
		if (pf->streams[k].start == hit)
			plan = memx_pf_plan(d, &pf->streams[k]);
	spin_unlock_bh(&pf->lock);

	if (plan)
		queue_work(d->wq, &pf->work);
	list_for_each_entry_safe(cmd, tmp, &hits, pf_node) {
		list_del_init(&cmd->pf_node);
		spin_lock_bh(&cmd->lock);
		cmd->state = MEMX_CMD_DONE;
		spin_unlock_bh(&cmd->lock);
		atomic64_inc(&d->stats.ra_hits);
		blk_mq_end_request(blk_mq_rq_from_pdu(cmd), BLK_STS_OK);
	}
	list_for_each_entry_safe(cmd, tmp, &sends, pf_node) {
		list_del_init(&cmd->pf_node);
		memx_pf_unpark_send(d, blk_mq_rq_from_pdu(cmd));
	}
}

static enum rq_end_io_ret memx_pf_end_rq(struct request *rq, blk_status_t st)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_dev *d = rq->end_io_data;

	atomic_dec(&d->pf.inflight);
	memx_pf_done(d, cmd->page, cmd->nr, st == BLK_STS_OK);
	return RQ_END_IO_FREE;
}

static void memx_pf_work(struct work_struct *work)
{
	struct memx_pf *pf = container_of(work, struct memx_pf, work);
	struct memx_dev *d = container_of(pf, struct memx_dev, pf);
	struct memx_cmd *cmd;
	struct request *rq;
	u32 n, i;
	u64 p;

	spin_lock_bh(&pf->lock);
	p = pf->want_page;
	n = pf->want_nr;
	pf->want_nr = 0;
	if (pf->stop || atomic_read(&pf->inflight) >= MEMX_PF_INFLIGHT)
		n = 0;
	for (i = 0; i < n; i++)
		if (!memx_pf_free(memx_pf_slot(pf, p + i), p + i))
			break;
	n = i;
	for (i = 0; i < n; i++) {
		struct memx_pf_slot *s = memx_pf_slot(pf, p + i);

		s->page = p + i;
		s->state = MEMX_PF_PENDING;
		s->want = s->gen;
	}
	if (n)
		atomic_inc(&pf->inflight);
	spin_unlock_bh(&pf->lock);
	if (!n)
		return;

	rq = blk_mq_alloc_request(d->disk->queue, REQ_OP_DRV_IN,
				  BLK_MQ_REQ_NOWAIT);
	if (IS_ERR(rq)) {
		atomic_dec(&pf->inflight);
		memx_pf_done(d, p, n, false);
		return;
	}
	cmd = blk_mq_rq_to_pdu(rq);
	cmd->prefetch = true;
	cmd->mover = false;
	cmd->op = MEMX_T_READ;
	cmd->gfp = MEMX_GFP_IO;
	cmd->page = p;
	cmd->nr = n;
	for (i = 0; i < n; i++)
		cmd->pages[i] = memx_pf_page(pf, p + i);
	rq->end_io = memx_pf_end_rq;
	rq->end_io_data = d;
	atomic64_add(n, &d->stats.ra_pages);
	blk_execute_rq_nowait(rq, false);
}

/**
 * memx_pf_read() - serve a read from the read-ahead cache if it can be
 * @d: the device
 * @rq: a READ, started, its pdu's page, nr and pages filled
 *
 * Return: true when it is taken care of (ended with cached data, or parked
 * on the read-ahead that brings them); false: send it (memx_req_start()).
 */
bool memx_pf_read(struct memx_dev *d, struct request *rq)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_pf *pf = &d->pf;
	bool plan;
	int found;

	if (!pf->nslots)
		return false;
	spin_lock_bh(&pf->lock);
	found = memx_pf_lookup(pf, cmd);
	/* A reader asking a window at a time needs no read-ahead of ours. */
	if (found < 0 && cmd->nr >= MEMX_PF_WINDOW) {
		spin_unlock_bh(&pf->lock);
		atomic_inc(&pf->reads);
		return false;
	}
	if (found > 0) {
		memx_pf_take(pf, cmd);
	} else if (!found) {
		spin_lock(&cmd->lock);
		cmd->state = MEMX_CMD_PARKED;
		spin_unlock(&cmd->lock);
		list_add_tail(&cmd->pf_node, &pf->parked);
	}
	plan = memx_pf_follow(d, cmd->page, cmd->nr);
	spin_unlock_bh(&pf->lock);

	if (plan)
		queue_work(d->wq, &pf->work);
	if (found > 0) {
		atomic64_inc(&d->stats.ra_hits);
		blk_mq_end_request(rq, BLK_STS_OK);
		return true;
	}
	if (!found)
		return true;
	atomic_inc(&pf->reads);
	return false;
}

/* A read sent by memx_pf_read()'s caller ended. */
void memx_pf_read_end(struct memx_dev *d, struct memx_cmd *cmd)
{
	if (d->pf.nslots && cmd->op == MEMX_T_READ && !cmd->mover &&
	    !cmd->prefetch)
		atomic_dec(&d->pf.reads);
}

/**
 * memx_pf_write() - a write or discard of [@page, @page + @nr) starts or ends
 * @d: the device
 * @page: first page
 * @nr: pages
 *
 * Cached copies of those pages go, and a read-ahead of them in flight will
 * not keep its data.
 */
void memx_pf_write(struct memx_dev *d, u64 page, u64 nr)
{
	struct memx_pf *pf = &d->pf;
	u64 i;

	if (!pf->nslots)
		return;
	spin_lock_bh(&pf->lock);
	if (nr >= pf->nslots) {
		page = 0;
		nr = pf->nslots;
	}
	for (i = 0; i < nr; i++) {
		struct memx_pf_slot *s = memx_pf_slot(pf, page + i);

		s->gen++;
		if (s->state == MEMX_PF_VALID)
			s->state = MEMX_PF_EMPTY;
	}
	spin_unlock_bh(&pf->lock);
}

/**
 * memx_pf_init() - allocate a read-ahead cache of @pages pages
 * @d: the device
 * @pages: 0 (no read-ahead), or at least 4 * MEMX_PF_WINDOW; rounded down
 *	to a power of 2
 *
 * Return: 0 or -ENOMEM.
 */
int memx_pf_init(struct memx_dev *d, unsigned int pages)
{
	struct memx_pf *pf = &d->pf;
	u32 i;

	spin_lock_init(&pf->lock);
	INIT_LIST_HEAD(&pf->parked);
	INIT_WORK(&pf->work, memx_pf_work);
	for (i = 0; i < MEMX_PF_STREAMS; i++) {
		pf->streams[i].start = U64_MAX;
		pf->streams[i].end = U64_MAX;
	}
	if (!pages)
		return 0;
	pages = rounddown_pow_of_two(pages);
	pf->slots = kvcalloc(pages, sizeof(*pf->slots), GFP_KERNEL);
	pf->pages = kvcalloc(pages, sizeof(*pf->pages), GFP_KERNEL);
	if (!pf->slots || !pf->pages)
		goto err;
	for (i = 0; i < pages; i++) {
		pf->pages[i] = alloc_page(GFP_KERNEL);
		if (!pf->pages[i])
			goto err;
	}
	pf->nslots = pages;
	return 0;

err:
	pf->nslots = pages;
	memx_pf_exit(d);
	return -ENOMEM;
}

/* Unload, before the disk goes: no read-ahead from now on. */
void memx_pf_stop(struct memx_dev *d)
{
	spin_lock_bh(&d->pf.lock);
	d->pf.stop = true;
	spin_unlock_bh(&d->pf.lock);
	cancel_work_sync(&d->pf.work);
}

/* After the disk is gone (every request ended), or on memx_pf_init()'s failure. */
void memx_pf_exit(struct memx_dev *d)
{
	struct memx_pf *pf = &d->pf;
	u32 i;

	cancel_work_sync(&pf->work);
	for (i = 0; pf->pages && i < pf->nslots; i++)
		if (pf->pages[i])
			__free_page(pf->pages[i]);
	kvfree(pf->pages);
	kvfree(pf->slots);
	pf->pages = NULL;
	pf->slots = NULL;
	pf->nslots = 0;
}
