// SPDX-License-Identifier: GPL-2.0
/*
 * Drain: moving our extents off servers whose adverts say
 * MEMX_ADV_DRAINING, one extent at a time, while I/O goes on.
 *
 * A move of extent E from server A (draining) to server B:
 *  1. B is the alive, open, non-draining server with the most room
 *     (memx_place_move_target()); our session there is noted.
 *  2. The gate closes on E (memx_drain.gate): from now on a request to E,
 *     other than the mover's, that is not in flight yet waits in
 *     memx_req_issue() as for "no server yet" (WAITING, polled, bounded by
 *     io_timeout). Requests already in flight to A finish first: the
 *     mover waits until a walk of the started requests finds none in
 *     flight on E (each looked at under its lock).
 *  3. The mover reads E from A and writes it to B through our own queue:
 *     driver-private requests on reserved tags (memx_cmd.mover), which
 *     pass the gate and go where memx_drain.route says, sixteen pages
 *     each, in parallel. On B it first discards the whole extent (nothing
 *     stale of an earlier stay of E there survives), then writes the pages
 *     that are not all zeroes (those read as zeroes without being stored).
 *  4. E's byte is switched to B (memx_place_move()) if it still names A
 *     and B's session is still the one written to; the gate opens. The
 *     requests that waited go to B.
 *  5. E is discarded on A (its pages are freed there); after a failed
 *     switch, the copy on B is discarded instead and E stays on A.
 * A failed move (I/O error, timeout, no room anywhere) leaves E on A,
 * which still serves it; the next advert of A (every second) queues the
 * mover again. Once A holds none of our extents, our session there is
 * closed (memx_server_close_drained()), so it ends with no page of ours.
 *
 * Ordering of the gate against a request being issued: the mover writes
 * ->gate then a full barrier, then walks the started requests; a request
 * is marked started (blk_mq_start_request()) and then, under its lock and
 * after smp_mb__after_spinlock() (memx_req_start()), reads ->gate. So
 * either the walk finds it started and waits for its lock (it then sees
 * it in flight, or it saw the gate closed), or it sees the gate closed.
 *
 * Why requests of our own rather than bios (REQ_DRV) to our own disk:
 * requests waiting at the gate hold their tags, and a bio needs a tag from
 * the same pool: if a queue's worth of requests waited on E, the mover
 * would wait for a tag that only its own progress frees (until io_timeout
 * failed them). Reserved tags (MEMX_DRAIN_TAGS) are the mover's alone.
 * Driver-private requests are also never merged with the I/O around them
 * nor split, and the mover fills their op, range and pages itself.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "memx_client.h"

/* How often the mover looks whether E's requests in flight are done. */
#define MEMX_DRAIN_QUIET_POLL_MS	2

static void memx_drain_work(struct work_struct *work);

void memx_drain_init(struct memx_dev *d)
{
	struct memx_drain *dr = &d->drain;

	dr->gate = MEMX_DRAIN_NONE;
	dr->ext = MEMX_DRAIN_NONE;
	dr->route = MEMX_EXT_UNPLACED;
	INIT_WORK(&dr->work, memx_drain_work);
}

/* Bios of one step of a move, waited for together. */
struct memx_drain_batch {
	atomic_t pending;
	blk_status_t status;
	struct completion done;
};

static enum rq_end_io_ret memx_drain_end_rq(struct request *rq,
					    blk_status_t st)
{
	struct memx_drain_batch *b = rq->end_io_data;

	if (st)
		WRITE_ONCE(b->status, st);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
	return RQ_END_IO_FREE;
}

static void memx_drain_batch_init(struct memx_drain_batch *b)
{
	atomic_set(&b->pending, 1);
	b->status = BLK_STS_OK;
	init_completion(&b->done);
}

static int memx_drain_batch_wait(struct memx_drain_batch *b)
{
	if (!atomic_dec_and_test(&b->pending))
		wait_for_completion(&b->done);
	return blk_status_to_errno(READ_ONCE(b->status));
}

/*
 * One request of the mover (@op: MEMX_T_*) on pages [@first, @first +
 * @nr), @nr at most MEMX_MAX_PAGES_PER_OP for READ and WRITE, whose data
 * are drain.pages[@idx...]. A driver-private request on a reserved tag
 * (memx_blk_init()): the mover never waits for a tag held by a request
 * that waits for the mover (at the gate), and the block layer neither
 * merges nor splits it. queue_rq takes op, pages and range from the pdu.
 */
static void memx_drain_submit(struct memx_dev *d, struct memx_drain_batch *b,
			      u8 op, u64 first, u32 nr, u32 idx)
{
	struct request *rq;
	struct memx_cmd *cmd;
	u32 i;

	rq = blk_mq_alloc_request(d->disk->queue,
				  op == MEMX_T_READ ? REQ_OP_DRV_IN :
				  REQ_OP_DRV_OUT, BLK_MQ_REQ_RESERVED);
	if (IS_ERR(rq)) {
		WRITE_ONCE(b->status, BLK_STS_RESOURCE);
		return;
	}
	cmd = blk_mq_rq_to_pdu(rq);
	cmd->mover = true;
	cmd->op = op;
	cmd->gfp = MEMX_GFP_IO;
	cmd->page = first;
	cmd->nr = nr;
	if (op != MEMX_T_DISCARD)
		for (i = 0; i < nr; i++)
			cmd->pages[i] = d->drain.pages[idx + i];
	rq->end_io = memx_drain_end_rq;
	rq->end_io_data = b;
	atomic_inc(&b->pending);
	blk_execute_rq_nowait(rq, false);
}

/* Requests of at most MEMX_MAX_PAGES_PER_OP pages over a range. */
static void memx_drain_submit_range(struct memx_dev *d,
				    struct memx_drain_batch *b, u8 op,
				    u64 first, u32 nr, u32 idx)
{
	u32 n;

	while (nr) {
		n = min_t(u32, nr, MEMX_MAX_PAGES_PER_OP);
		memx_drain_submit(d, b, op, first, n, idx);
		first += n;
		idx += n;
		nr -= n;
	}
}

/* Route the mover's requests on @ext to @v (slot + 1). */
static void memx_drain_route_to(struct memx_dev *d, u32 ext, u8 v)
{
	WRITE_ONCE(d->drain.route, v);
	WRITE_ONCE(d->drain.ext, ext);
}

static int memx_drain_discard(struct memx_dev *d, u32 ext, u64 first, u32 nr,
			      u8 v)
{
	struct memx_drain_batch b;

	memx_drain_route_to(d, ext, v);
	memx_drain_batch_init(&b);
	memx_drain_submit(d, &b, MEMX_T_DISCARD, first, nr, 0);
	return memx_drain_batch_wait(&b);
}

/* Attempts at the discard that frees a copy no longer wanted. */
#define MEMX_DRAIN_DISCARD_TRIES	3

/*
 * Free a copy of @ext that is not the extent's any more. If that keeps
 * failing, the pages stay on that server until our session there closes,
 * and a later first placement of @ext there would find them: say so.
 */
static void memx_drain_drop(struct memx_dev *d, u32 ext, u64 first, u32 nr,
			    u8 v)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < MEMX_DRAIN_DISCARD_TRIES; i++) {
		ret = memx_drain_discard(d, ext, first, nr, v);
		if (!ret)
			return;
	}
	pr_warn_ratelimited("drain: extent %u left on %pM: discard failed (%d)\n",
			    ext, d->servers[v - 1].mac, ret);
}

static int memx_drain_read(struct memx_dev *d, u32 ext, u64 first, u32 nr,
			   u8 v)
{
	struct memx_drain_batch b;

	memx_drain_route_to(d, ext, v);
	memx_drain_batch_init(&b);
	memx_drain_submit_range(d, &b, MEMX_T_READ, first, nr, 0);
	return memx_drain_batch_wait(&b);
}

static bool memx_drain_page_zero(struct page *page)
{
	void *p = kmap_local_page(page);
	bool zero = !memchr_inv(p, 0, MEMX_PAGE_SIZE);

	kunmap_local(p);
	return zero;
}

/* Write the pages of the extent that are not all zeroes. */
static int memx_drain_write(struct memx_dev *d, u32 ext, u64 first, u32 nr,
			    u8 v)
{
	struct memx_drain_batch b;
	u32 i = 0, start;

	memx_drain_route_to(d, ext, v);
	memx_drain_batch_init(&b);
	while (i < nr) {
		if (memx_drain_page_zero(d->drain.pages[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < nr && !memx_drain_page_zero(d->drain.pages[i]))
			i++;
		memx_drain_submit_range(d, &b, MEMX_T_WRITE, first + start,
					i - start, start);
	}
	return memx_drain_batch_wait(&b);
}

struct memx_drain_scan {
	u32 ext;
	unsigned int busy;
};

static bool memx_drain_busy_one(struct request *rq, void *data)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_drain_scan *sc = data;

	spin_lock_bh(&cmd->lock);
	if (cmd->state == MEMX_CMD_INFLIGHT && !cmd->mover &&
	    cmd->page >> MEMX_EXTENT_SHIFT == sc->ext)
		sc->busy++;
	spin_unlock_bh(&cmd->lock);
	return true;
}

/*
 * The gate is closed on @ext: wait until no request of it is in flight.
 * Return: 0, or -ETIMEDOUT after io_timeout (and a margin).
 */
static int memx_drain_quiesce(struct memx_dev *d, u32 ext)
{
	unsigned long end = jiffies + d->io_timeout + 5 * HZ;
	struct memx_drain_scan sc = { .ext = ext };

	for (;;) {
		sc.busy = 0;
		blk_mq_tagset_busy_iter(&d->tag_set, memx_drain_busy_one, &sc);
		if (!sc.busy)
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		msleep(MEMX_DRAIN_QUIET_POLL_MS);
	}
}

static int memx_drain_alloc_pages(struct memx_drain *dr)
{
	unsigned int i;

	if (dr->pages)
		return 0;
	dr->pages = kcalloc(MEMX_EXTENT_PAGES, sizeof(*dr->pages), GFP_NOIO);
	if (!dr->pages)
		return -ENOMEM;
	for (i = 0; i < MEMX_EXTENT_PAGES; i++) {
		dr->pages[i] = alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!dr->pages[i])
			return -ENOMEM;	/* the rest is freed later */
	}
	return 0;
}

static void memx_drain_free_pages(struct memx_drain *dr)
{
	unsigned int i;

	if (!dr->pages)
		return;
	for (i = 0; i < MEMX_EXTENT_PAGES; i++)
		if (dr->pages[i])
			__free_page(dr->pages[i]);
	kfree(dr->pages);
	dr->pages = NULL;
}

/*
 * Move extent @ext off @from. Return: 0 when moved, -EAGAIN when it need
 * not move any more (lost, discarded, or its copy's session went away:
 * the next run looks again), else an error (no room, I/O).
 */
static int memx_drain_move(struct memx_dev *d, u32 ext,
			   struct memx_server *from)
{
	struct memx_drain *dr = &d->drain;
	u64 first = (u64)ext << MEMX_EXTENT_SHIFT;
	u32 nr = memx_extent_part(first, d->nr_pages - first);
	u8 vfrom = from->slot + 1, vto;
	struct memx_server *to;
	u32 srv_gen, session;
	bool moved;
	int ret;

	ret = memx_drain_alloc_pages(dr);
	if (ret)
		return ret;
	to = memx_place_move_target(d, from, &srv_gen, &session);
	if (!to) {
		if (!dr->warned)
			pr_warn("drain: no server can take extents of %pM now: they stay there, retrying\n",
				from->mac);
		dr->warned = true;
		return -ENOSPC;
	}
	vto = to->slot + 1;

	/* Close the gate, then wait for what went through it before. */
	WRITE_ONCE(dr->gate, ext);
	smp_mb();	/* gate before the walk: see the top of this file */
	ret = memx_drain_quiesce(d, ext);
	if (ret)
		goto open;
	if (READ_ONCE(d->extents[ext]) != vfrom) {
		ret = -EAGAIN;
		goto open;
	}
	ret = memx_drain_read(d, ext, first, nr, vfrom);
	if (ret)
		goto open;
	ret = memx_drain_discard(d, ext, first, nr, vto);
	if (!ret)
		ret = memx_drain_write(d, ext, first, nr, vto);
	if (ret)
		goto undo;
	moved = memx_place_move(d, ext, from, to, srv_gen, session);
	WRITE_ONCE(dr->gate, MEMX_DRAIN_NONE);
	if (!moved) {
		ret = -EAGAIN;
		goto undo;
	}
	atomic64_inc(&d->stats.drain_moved);
	dr->warned = false;
	/* Free its pages on @from now (CLOSE frees what is left). */
	memx_drain_drop(d, ext, first, nr, vfrom);
	memx_drain_route_to(d, MEMX_DRAIN_NONE, MEMX_EXT_UNPLACED);
	return 0;

undo:
	WRITE_ONCE(dr->gate, MEMX_DRAIN_NONE);
	/* Nothing of it may stay on @to: it may come back there later. */
	memx_drain_drop(d, ext, first, nr, vto);
	memx_drain_route_to(d, MEMX_DRAIN_NONE, MEMX_EXT_UNPLACED);
	return ret;
open:
	WRITE_ONCE(dr->gate, MEMX_DRAIN_NONE);
	memx_drain_route_to(d, MEMX_DRAIN_NONE, MEMX_EXT_UNPLACED);
	return ret;
}

/* Draining servers we have a session with, as a mask of slots. */
static u32 memx_drain_sources(struct memx_dev *d)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		if (srv->draining && srv->state == MEMX_SRV_OPEN &&
		    memx_server_alive(srv))
			mask |= BIT(i);
		spin_unlock_bh(&srv->lock);
	}
	return mask;
}

/* The next extent, from the cursor on, on a server of @mask (*@v: its byte). */
static u32 memx_drain_next(struct memx_dev *d, u32 mask, u8 *v)
{
	u32 i, ext = d->drain.cursor;

	for (i = 0; i < d->nr_extents; i++) {
		if (ext >= d->nr_extents)
			ext = 0;
		*v = READ_ONCE(d->extents[ext]);
		if (*v != MEMX_EXT_UNPLACED && *v != MEMX_EXT_LOST &&
		    (mask & BIT(*v - 1)))
			return ext;
		ext++;
		if (!(i % 4096))
			cond_resched();
	}
	return MEMX_DRAIN_NONE;
}

static void memx_drain_work(struct work_struct *work)
{
	struct memx_dev *d = container_of(work, struct memx_dev, drain.work);
	struct memx_drain *dr = &d->drain;
	u32 mask, ext;
	unsigned int i;
	u8 v = 0;
	int ret;

	if (READ_ONCE(dr->stop))
		return;
	mask = memx_drain_sources(d);
	/* Those that hold none of our extents any more: close. */
	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];
		u32 n;

		if (!(mask & BIT(i)))
			continue;
		spin_lock_bh(&srv->lock);
		n = srv->extents;
		spin_unlock_bh(&srv->lock);
		if (!n && !memx_place_holds(d, srv)) {
			memx_server_close_drained(d, srv);
			mask &= ~BIT(i);
		}
	}
	ext = mask ? memx_drain_next(d, mask, &v) : MEMX_DRAIN_NONE;
	if (ext == MEMX_DRAIN_NONE) {
		memx_drain_free_pages(dr);
		return;
	}
	dr->cursor = ext + 1;
	ret = memx_drain_move(d, ext, &d->servers[v - 1]);
	if (!ret || ret == -EAGAIN) {
		/* More to do: go on (a work item at a time on d->wq). */
		memx_drain_kick(d);
		return;
	}
	if (ret != -ENOSPC)
		pr_warn_ratelimited("drain: moving extent %u failed (%d): it stays, retrying\n",
				    ext, ret);
	/* The next advert of a draining server queues us again. */
}

/**
 * memx_drain_kick() - have the mover look for extents to move
 * @d: the device
 *
 * Called on every advert of a draining server (any context).
 */
void memx_drain_kick(struct memx_dev *d)
{
	if (READ_ONCE(d->drain.ready) && !READ_ONCE(d->drain.stop))
		queue_work(d->wq, &d->drain.work);
}

/* The disk is added: the mover may send requests to its queue. */
void memx_drain_start(struct memx_dev *d)
{
	WRITE_ONCE(d->drain.ready, true);
}

/* Unload, before the disk goes: the mover stops for good. */
void memx_drain_stop(struct memx_dev *d)
{
	WRITE_ONCE(d->drain.stop, true);
	cancel_work_sync(&d->drain.work);
	memx_drain_free_pages(&d->drain);
}

/* Extents still on draining servers (sysfs drain_pending). */
u64 memx_drain_pending(struct memx_dev *d)
{
	unsigned int i;
	u64 n = 0;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		if (srv->draining)
			n += srv->extents;
		spin_unlock_bh(&srv->lock);
	}
	return n;
}
