// SPDX-License-Identifier: GPL-2.0
/*
 * The mover: copying extents between servers while I/O goes on, one
 * extent at a time, for three reasons:
 *  - drain: a server's adverts say MEMX_ADV_DRAINING: each extent with a
 *    copy there gets a copy elsewhere that replaces it;
 *  - rebuild (replicas > 1): an extent with fewer copies than replicas=
 *    (a server died, restarted, missed a write, or an extent was placed
 *    while too few servers could take it) gets a new copy, at most
 *    rebuild_rate= MiB per second;
 *  - eviction (replicas > 1): a server that missed a write or died is
 *    evicted (memx_server_evict()): its copies are dropped wherever the
 *    extent has another one (no I/O), the rebuild makes new ones.
 * A server being drained or evicted that holds none of our extents any
 * more gets our CLOSE (memx_server_close_empty()), so it ends with no
 * page of ours; an evicted one then rejoins with a new, empty session.
 *
 * A copy of extent E from server A (a valid copy) to server B:
 *  1. B is the alive, open server, neither draining nor evicted, holding
 *     no copy of E, with the most room (memx_place_move_target()); our
 *     session there is noted.
 *  2. The gate closes on E (memx_mover.gate): from now on a request to E,
 *     other than the mover's, that is not in flight yet waits in
 *     memx_req_issue() as for "no server yet" (WAITING, polled, bounded by
 *     io_timeout). Requests already in flight finish first: the mover
 *     waits until a walk of the started requests finds none in flight on
 *     E (each looked at under its lock). So while the gate is closed no
 *     write reaches E's copies, and the copy it makes is complete.
 *  3. The mover reads E from A and writes it to B through our own queue:
 *     driver-private requests on reserved tags (memx_cmd.mover), which
 *     pass the gate and go where memx_mover.route says, sixteen pages
 *     each, in parallel. On B it first discards the whole extent (nothing
 *     stale of an earlier stay of E there survives), then writes the pages
 *     that are not all zeroes (those read as zeroes without being stored).
 *  4. B's copy is added to E's word, replacing the draining server's
 *     (memx_place_move()), if E still needs it and B's session is still
 *     the one written to; the gate opens. The requests that waited go to
 *     E's copies as they are now.
 *  5. A drained copy is discarded on its server (its pages are freed
 *     there); after a failed switch, the copy on B is discarded instead.
 * A failed copy (I/O error, timeout, no room anywhere) leaves E as it was,
 * still served; the housekeeping timer kicks the mover again every second
 * while there is work.
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
 * failed them). Reserved tags (MEMX_MOVER_TAGS) are the mover's alone.
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
#define MEMX_MOVER_QUIET_POLL_MS	2

static void memx_mover_work(struct work_struct *work);

void memx_mover_init(struct memx_dev *d, unsigned int rate)
{
	struct memx_mover *mv = &d->mover;

	mv->gate = MEMX_MOVE_NONE;
	mv->ext = MEMX_MOVE_NONE;
	mv->route = 0;
	mv->rate = rate;
	mv->next_ns = 0;
	INIT_DELAYED_WORK(&mv->work, memx_mover_work);
}

/* Bios of one step of a move, waited for together. */
struct memx_mover_batch {
	atomic_t pending;
	blk_status_t status;
	struct completion done;
};

static enum rq_end_io_ret memx_mover_end_rq(struct request *rq,
					    blk_status_t st)
{
	struct memx_mover_batch *b = rq->end_io_data;

	if (st)
		WRITE_ONCE(b->status, st);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
	return RQ_END_IO_FREE;
}

static void memx_mover_batch_init(struct memx_mover_batch *b)
{
	atomic_set(&b->pending, 1);
	b->status = BLK_STS_OK;
	init_completion(&b->done);
}

static int memx_mover_batch_wait(struct memx_mover_batch *b)
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
static void memx_mover_submit(struct memx_dev *d, struct memx_mover_batch *b,
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
	cmd->prefetch = false;
	cmd->op = op;
	cmd->gfp = MEMX_GFP_IO;
	cmd->page = first;
	cmd->nr = nr;
	if (op != MEMX_T_DISCARD)
		for (i = 0; i < nr; i++)
			cmd->pages[i] = d->mover.pages[idx + i];
	rq->end_io = memx_mover_end_rq;
	rq->end_io_data = b;
	atomic_inc(&b->pending);
	blk_execute_rq_nowait(rq, false);
}

/*
 * Requests over a range: READ and WRITE of at most MEMX_MAX_PAGES_PER_OP
 * pages each, a DISCARD of all of it (at most an extent).
 */
static void memx_mover_submit_range(struct memx_dev *d,
				    struct memx_mover_batch *b, u8 op,
				    u64 first, u32 nr, u32 idx)
{
	u32 n;

	while (nr) {
		n = op == MEMX_T_DISCARD ? nr :
		    min_t(u32, nr, MEMX_MAX_PAGES_PER_OP);
		memx_mover_submit(d, b, op, first, n, idx);
		first += n;
		idx += n;
		nr -= n;
	}
}

/*
 * Route the mover's requests on @ext to @v (slot + 1), on session
 * @session only: they fail rather than go to another session there.
 */
static void memx_mover_route_to(struct memx_dev *d, u32 ext, u8 v,
				u32 session)
{
	WRITE_ONCE(d->mover.route, v);
	WRITE_ONCE(d->mover.session, session);
	WRITE_ONCE(d->mover.ext, ext);
}

/* Our session on the server of slot + 1 @v now (0: none open). */
static u32 memx_mover_session(struct memx_dev *d, u8 v)
{
	struct memx_server *srv = &d->servers[v - 1];
	u32 session;

	spin_lock_bh(&srv->lock);
	session = srv->state == MEMX_SRV_OPEN ? srv->session : 0;
	spin_unlock_bh(&srv->lock);
	return session;
}

/* One step of a copy: @op over the range, on @session of slot + 1 @v. */
static int memx_mover_io(struct memx_dev *d, u8 op, u32 ext, u64 first,
			 u32 nr, u8 v, u32 session)
{
	struct memx_mover_batch b;

	memx_mover_route_to(d, ext, v, session);
	memx_mover_batch_init(&b);
	memx_mover_submit_range(d, &b, op, first, nr, 0);
	return memx_mover_batch_wait(&b);
}

/* Attempts at the discard that frees a copy no longer wanted. */
#define MEMX_MOVER_DISCARD_TRIES	3

/*
 * Free a copy of @ext that is not the extent's any more, on @session of
 * the server of slot + 1 @v. If that keeps failing, the pages stay there
 * until that session closes: the caller says what then.
 */
static int memx_mover_drop(struct memx_dev *d, u32 ext, u8 v, u32 session)
{
	u64 first = (u64)ext << MEMX_EXTENT_SHIFT;
	u32 nr = memx_extent_part(first, d->nr_pages - first);
	unsigned int i;
	int ret = 0;

	for (i = 0; i < MEMX_MOVER_DISCARD_TRIES; i++) {
		ret = memx_mover_io(d, MEMX_T_DISCARD, ext, first, nr, v,
				    session);
		if (!ret)
			break;
	}
	memx_mover_route_to(d, MEMX_MOVE_NONE, 0, 0);
	return ret;
}

static bool memx_mover_page_zero(struct page *page)
{
	void *p = kmap_local_page(page);
	bool zero = !memchr_inv(p, 0, MEMX_PAGE_SIZE);

	kunmap_local(p);
	return zero;
}

/* Write the pages of the extent that are not all zeroes. */
static int memx_mover_write(struct memx_dev *d, u32 ext, u64 first, u32 nr,
			    u8 v, u32 session)
{
	struct memx_mover_batch b;
	u32 i = 0, start;

	memx_mover_route_to(d, ext, v, session);
	memx_mover_batch_init(&b);
	while (i < nr) {
		if (memx_mover_page_zero(d->mover.pages[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < nr && !memx_mover_page_zero(d->mover.pages[i]))
			i++;
		memx_mover_submit_range(d, &b, MEMX_T_WRITE, first + start,
					i - start, start);
	}
	return memx_mover_batch_wait(&b);
}

struct memx_mover_scan {
	u32 ext;
	bool reads;
	unsigned int busy;
};

static bool memx_mover_busy_one(struct request *rq, void *data)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_mover_scan *sc = data;

	spin_lock_bh(&cmd->lock);
	if (cmd->state == MEMX_CMD_INFLIGHT && !cmd->mover &&
	    cmd->page >> MEMX_EXTENT_SHIFT == sc->ext &&
	    (sc->reads || cmd->op != MEMX_T_READ))
		sc->busy++;
	spin_unlock_bh(&cmd->lock);
	return true;
}

/*
 * The gate is closed on @ext: wait until no request of it is in flight
 * (no write or discard, and with @reads no read either).
 * Return: 0, or -ETIMEDOUT after io_timeout (and a margin).
 */
static int memx_mover_quiesce(struct memx_dev *d, u32 ext, bool reads)
{
	unsigned long end = jiffies + d->io_timeout + 5 * HZ;
	struct memx_mover_scan sc = { .ext = ext, .reads = reads };

	for (;;) {
		sc.busy = 0;
		blk_mq_tagset_busy_iter(&d->tag_set, memx_mover_busy_one, &sc);
		if (!sc.busy)
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		msleep(MEMX_MOVER_QUIET_POLL_MS);
	}
}

static int memx_mover_alloc_pages(struct memx_mover *mv)
{
	unsigned int i;

	if (mv->pages)
		return 0;
	mv->pages = kcalloc(MEMX_EXTENT_PAGES, sizeof(*mv->pages), GFP_NOIO);
	if (!mv->pages)
		return -ENOMEM;
	for (i = 0; i < MEMX_EXTENT_PAGES; i++) {
		mv->pages[i] = alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!mv->pages[i])
			return -ENOMEM;	/* the rest is freed later */
	}
	return 0;
}

static void memx_mover_free_pages(struct memx_mover *mv)
{
	unsigned int i;

	if (!mv->pages)
		return;
	for (i = 0; i < MEMX_EXTENT_PAGES; i++)
		if (mv->pages[i])
			__free_page(mv->pages[i]);
	kfree(mv->pages);
	mv->pages = NULL;
}

/*
 * The copy of @w the mover reads: the usable one (session open, alive, not
 * evicted if another will do) with the lowest smoothed RTT. Return: its
 * slot + 1 (*@session: our session there), or 0.
 */
static u8 memx_mover_source(struct memx_dev *d, u32 w, u32 *session)
{
	u32 best_rtt = U32_MAX, rtt, sess = 0;
	unsigned int k;
	u8 best = 0;

	for (k = 0; k < memx_ext_ncopies(w); k++) {
		u8 v = memx_ext_copy(w, k);
		struct memx_server *srv = &d->servers[v - 1];

		spin_lock_bh(&srv->lock);
		rtt = memx_rtt_srtt_us(&srv->rtt);
		if (srv->evicting)
			rtt = U32_MAX - 1;
		if (srv->state != MEMX_SRV_OPEN || srv->losing ||
		    !memx_server_alive(srv))
			rtt = U32_MAX;
		sess = srv->session;
		spin_unlock_bh(&srv->lock);
		if (rtt < best_rtt) {
			best_rtt = rtt;
			best = v;
			*session = sess;
		}
	}
	return best;
}

/*
 * Does extent word @w still want the copy the mover is making: one in
 * place of @from (slot + 1), or (@from 0) one more, and none on @vto yet?
 */
static bool memx_mover_wanted(struct memx_dev *d, u32 w, u8 from, u8 vto)
{
	if (w == MEMX_EXT_UNPLACED || w == MEMX_EXT_LOST ||
	    memx_ext_has(w, vto))
		return false;
	return from ? memx_ext_has(w, from) :
		      memx_ext_ncopies(w) < d->replicas;
}

/*
 * Give extent @ext a copy on a new server: in place of the copy on @from
 * (slot + 1, a draining server), or (@from 0) one more copy. Return: 0
 * when done, -EAGAIN when it cannot be done now (the extent changed, no
 * copy can be read, or the new copy's session went away), -ENOSPC when no
 * server can take it, else an I/O error.
 */
static int memx_mover_copy(struct memx_dev *d, u32 ext, u8 from)
{
	struct memx_mover *mv = &d->mover;
	u64 first = (u64)ext << MEMX_EXTENT_SHIFT;
	u32 nr = memx_extent_part(first, d->nr_pages - first);
	u32 srv_gen, session, src_session, from_session = 0, w;
	struct memx_server *to;
	u8 vto, src;
	bool moved;
	int ret;

	w = READ_ONCE(d->extents[ext]);
	if (!memx_mover_source(d, w, &src_session))
		return -EAGAIN;
	if (from)
		from_session = memx_mover_session(d, from);
	to = memx_place_move_target(d, ext, w, &srv_gen, &session);
	if (!to)
		return -ENOSPC;
	vto = to->slot + 1;
	/* Only now: a mover with nowhere to copy to holds no memory. */
	ret = memx_mover_alloc_pages(mv);
	if (ret) {
		memx_place_unreserve(to);
		return ret;
	}

	/*
	 * Close the gate, then wait for what went through it before. Reads
	 * may go on during a new copy (it is not in the word yet, nothing is
	 * discarded), not while a drain frees the copy they may read.
	 */
	WRITE_ONCE(mv->gate_reads, !!from);
	WRITE_ONCE(mv->gate, ext);
	smp_mb();	/* gate before the walk: see the top of this file */
	ret = memx_mover_quiesce(d, ext, !!from);
	if (ret)
		goto open;
	w = READ_ONCE(d->extents[ext]);
	src = memx_mover_source(d, w, &src_session);
	if (!src || !memx_mover_wanted(d, w, from, vto)) {
		ret = -EAGAIN;
		goto open;
	}
	ret = memx_mover_io(d, MEMX_T_READ, ext, first, nr, src,
			    src_session);
	if (ret)
		goto open;
	ret = memx_mover_io(d, MEMX_T_DISCARD, ext, first, nr, vto,
			    session);
	if (!ret)
		ret = memx_mover_write(d, ext, first, nr, vto, session);
	if (ret)
		goto undo;
	moved = memx_place_move(d, ext, from, to, srv_gen, session);
	/* The new word before the open gate: memx_req_issue() reads both. */
	smp_wmb();
	WRITE_ONCE(mv->gate, MEMX_MOVE_NONE);
	if (!moved) {
		ret = -EAGAIN;
		goto undo;
	}
	atomic64_inc(from ? &d->stats.drain_moved : &d->stats.rebuilt);
	mv->warned = false;
	/* Free its pages on @from now (CLOSE frees what is left). */
	if (from && memx_mover_drop(d, ext, from, from_session))
		pr_warn_ratelimited("drain: extent %u left on %pM until our session there closes: discard failed\n",
				    ext, d->servers[from - 1].mac);
	memx_mover_route_to(d, MEMX_MOVE_NONE, 0, 0);
	return 0;

undo:
	WRITE_ONCE(mv->gate, MEMX_MOVE_NONE);
	/* Nothing of it may stay on @to: it may come back there later. */
	if (memx_mover_drop(d, ext, vto, session))
		memx_server_evict(d, to, "kept a copy we could not discard");
	memx_place_unreserve(to);
	return ret;
open:
	WRITE_ONCE(mv->gate, MEMX_MOVE_NONE);
	memx_mover_route_to(d, MEMX_MOVE_NONE, 0, 0);
	memx_place_unreserve(to);
	return ret;
}

/* Servers we have a session with that drain, and those evicted (slots). */
static void memx_mover_masks(struct memx_dev *d, u32 *drain, u32 *evict)
{
	unsigned int i;

	*drain = 0;
	*evict = 0;
	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		if (srv->draining && srv->state == MEMX_SRV_OPEN &&
		    memx_server_alive(srv))
			*drain |= BIT(i);
		if (srv->evicting)
			*evict |= BIT(i);
		spin_unlock_bh(&srv->lock);
	}
}

/* The first copy of @w on a server of @mask (slot + 1), or 0. */
static u8 memx_mover_copy_in(u32 w, u32 mask)
{
	unsigned int k;

	for (k = 0; k < memx_ext_ncopies(w); k++)
		if (mask & BIT(memx_ext_copy(w, k) - 1))
			return memx_ext_copy(w, k);
	return 0;
}

/* Extent words a run could not make a copy for (others would fail too). */
#define MEMX_MOVER_STUCK	8

struct memx_mover_stuck {
	u32 stuck[MEMX_MOVER_STUCK];
	unsigned int nstuck;
};

static bool memx_mover_is_stuck(const struct memx_mover_stuck *sc, u32 w)
{
	unsigned int i;

	for (i = 0; i < sc->nstuck; i++)
		if (sc->stuck[i] == w)
			return true;
	return false;
}

/*
 * The next extent with work, from the cursor on: copies of evicted servers
 * are shed on the way; *@from is set to the draining copy to replace (0:
 * one more copy is wanted). Return: the extent, or MEMX_MOVE_NONE.
 */
static u32 memx_mover_next(struct memx_dev *d, u32 drain, u32 evict,
			   const struct memx_mover_stuck *sc, u8 *from)
{
	u32 i, w, ext = d->mover.cursor;

	for (i = 0; i < d->nr_extents; i++, ext++) {
		if (ext >= d->nr_extents)
			ext = 0;
		if (!(i % 4096))
			cond_resched();
		w = READ_ONCE(d->extents[ext]);
		if (w == MEMX_EXT_UNPLACED || w == MEMX_EXT_LOST)
			continue;
		if (memx_mover_copy_in(w, evict))
			w = memx_place_shed(d, ext, evict);
		*from = memx_mover_copy_in(w, drain);
		if ((*from || memx_ext_ncopies(w) < d->replicas) &&
		    !memx_mover_is_stuck(sc, w))
			return ext;
	}
	return MEMX_MOVE_NONE;
}

/* Close our sessions on drained or evicted servers that hold nothing. */
static void memx_mover_close_empty(struct memx_dev *d, u32 mask)
{
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];
		u32 n;

		if (!(mask & BIT(i)))
			continue;
		spin_lock_bh(&srv->lock);
		n = srv->extents;
		spin_unlock_bh(&srv->lock);
		if (!n && !memx_place_holds(d, srv))
			memx_server_close_empty(d, srv);
	}
}

/*
 * Discard the copies dropped on servers that keep them (memx_dev.stale),
 * on the session that holds them; a server where that fails is evicted:
 * the close of that session frees them.
 */
static void memx_mover_scrub(struct memx_dev *d)
{
	struct memx_stale e;

	while (!READ_ONCE(d->mover.stop) && memx_place_stale_next(d, &e)) {
		/* A session gone took its pages with it. */
		if (memx_mover_session(d, e.v) == e.session &&
		    memx_mover_drop(d, e.ext, e.v, e.session))
			memx_server_evict(d, &d->servers[e.v - 1],
					  "kept a copy we could not discard");
		memx_place_stale_done(d, &e);
	}
}

/* A copy was made at @t (ns): the next no sooner than rebuild_rate allows. */
static void memx_mover_pace(struct memx_mover *mv, u64 t)
{
	mv->next_ns = max(mv->next_ns, t) + div_u64(NSEC_PER_SEC, mv->rate);
}

static void memx_mover_work(struct work_struct *work)
{
	struct memx_dev *d = container_of(to_delayed_work(work),
					  struct memx_dev, mover.work);
	struct memx_mover *mv = &d->mover;
	struct memx_mover_stuck sc = { .nstuck = 0 };
	u32 drain, evict, ext;
	u64 now;
	int ret;
	u8 from = 0;

	if (READ_ONCE(mv->stop))
		return;
	memx_mover_scrub(d);
	memx_mover_masks(d, &drain, &evict);
	memx_mover_close_empty(d, drain | evict);
	for (;;) {
		ext = memx_mover_next(d, drain, evict, &sc, &from);
		if (ext == MEMX_MOVE_NONE)
			break;
		now = ktime_get_ns();
		if (!from && now < mv->next_ns) {
			/* A rebuild, at rebuild_rate; drains go at once. */
			queue_delayed_work(d->wq, &mv->work,
					   max(1UL, nsecs_to_jiffies(mv->next_ns - now)));
			return;
		}
		mv->cursor = ext + 1;
		ret = memx_mover_copy(d, ext, from);
		if (!ret) {
			if (!from)
				memx_mover_pace(mv, now);
			/* One copy per run: the next run goes on. */
			memx_mover_kick(d);
			return;
		}
		if (ret != -ENOSPC && ret != -EAGAIN) {
			pr_warn_ratelimited("moving extent %u failed (%d): it stays as it is, retrying\n",
					    ext, ret);
			break;
		}
		if (ret == -ENOSPC && from && !mv->warned) {
			pr_warn("drain: no server can take extents of %pM now: they stay there, retrying\n",
				d->servers[from - 1].mac);
			mv->warned = true;
		}
		/* The next kick (every second while there is work) retries. */
		if (sc.nstuck == MEMX_MOVER_STUCK)
			break;
		sc.stuck[sc.nstuck++] = READ_ONCE(d->extents[ext]);
	}
	memx_mover_close_empty(d, drain | evict);
	memx_mover_free_pages(mv);
}

/**
 * memx_mover_kick() - have the mover look for work
 * @d: the device
 *
 * Called from any context: on adverts of draining servers, when a copy is
 * dropped, every second from housekeeping while there is work.
 */
void memx_mover_kick(struct memx_dev *d)
{
	if (READ_ONCE(d->mover.ready) && !READ_ONCE(d->mover.stop))
		queue_delayed_work(d->wq, &d->mover.work, 0);
}

/* The disk is added: the mover may send requests to its queue. */
void memx_mover_start(struct memx_dev *d)
{
	WRITE_ONCE(d->mover.ready, true);
}

/* Unload, before the disk goes: the mover stops for good. */
void memx_mover_stop(struct memx_dev *d)
{
	WRITE_ONCE(d->mover.stop, true);
	cancel_delayed_work_sync(&d->mover.work);
	memx_mover_free_pages(&d->mover);
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
