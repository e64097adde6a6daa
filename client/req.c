// SPDX-License-Identifier: GPL-2.0
/*
 * Requests on the wire: sending, reply matching, retransmission, timeout.
 *
 * A request's whole state lives in its blk-mq pdu (struct memx_cmd): the
 * I/O path allocates nothing but the frames it sends, and those with
 * MEMX_GFP_IO, or MEMX_GFP_SWAP within a bound (see memx_client.h). If a
 * frame cannot be allocated or sent, the retransmission timer sends it
 * later; queue_rq never waits.
 *
 * Replies are matched in the receive softirq: the tag names the request
 * (blk_mq_unique_tag()), and under the request's lock only a reply with
 * the request's seq, from the server and session it was sent to, while
 * the request is in flight, is accepted. Everything else is a late or
 * duplicate reply: counted and dropped. A retransmission keeps its seq
 * (the server's handling is idempotent), so replies to any copy count.
 *
 * Loss is recovered only by retransmission, including frames the stack
 * drops before we see them: a frame received into pfmemalloc (reserve)
 * memory is delivered only to the core protocols (skb_pfmemalloc_protocol()
 * in net/core/dev.c), never to a custom ethertype, so under memory pressure
 * replies vanish and the retransmission timer brings them again.
 */
#include <linux/highmem.h>
#include <linux/delay.h>
#include "memx_client.h"

/* Frames allocated with __GFP_MEMALLOC and not yet freed or orphaned. */
static atomic_t memx_reserve_frames = ATOMIC_INIT(0);

static void memx_reserve_destructor(struct sk_buff *skb)
{
	atomic_dec(&memx_reserve_frames);
}

/**
 * memx_frame() - a frame with header @m and room for @payload bytes
 * @d: the device
 * @m: the header
 * @payload: payload bytes the caller appends
 * @gfp: MEMX_GFP_IO, or MEMX_GFP_SWAP: reserves allowed while fewer than
 *	MEMX_RESERVE_FRAMES such frames exist (memx_client.h)
 *
 * Return: the frame, or NULL.
 */
struct sk_buff *memx_frame(struct memx_dev *d, const struct memx_msg *m,
			   unsigned int payload, gfp_t gfp)
{
	bool reserve = false;
	struct sk_buff *skb;

	if (gfp & __GFP_MEMALLOC) {
		if (atomic_inc_return(&memx_reserve_frames) <=
		    MEMX_RESERVE_FRAMES)
			reserve = true;
		else
			atomic_dec(&memx_reserve_frames);
	}
	/*
	 * Past the budget, not even the reclaim context queue_rq may run in
	 * (kswapd, direct reclaim: PF_MEMALLOC) may take reserves: the NIC
	 * needs them to receive the replies that complete the swap-out.
	 */
	if (!reserve)
		gfp = (gfp & ~__GFP_MEMALLOC) | __GFP_NOMEMALLOC;
	skb = memx_port_alloc_skb(&d->port, payload, gfp);
	if (!skb) {
		if (reserve)
			atomic_dec(&memx_reserve_frames);
		return NULL;
	}
	if (reserve)
		skb->destructor = memx_reserve_destructor;
	memx_build_hdr((struct memx_hdr *)skb->data, m);
	return skb;
}

/*
 * Module exit, after memx_port_close(): a frame with our destructor may
 * still sit in a device queue or ring, and its destructor is our text.
 * Wait until none is left: that takes a device's TX completion, or its
 * queue's reset when it goes down; a device that keeps them for good would
 * keep us here, which is safer than a use-after-free. Say so if it lasts.
 */
void memx_frames_drain(void)
{
	unsigned int ms = 0;
	int n;

	while ((n = atomic_read(&memx_reserve_frames)) > 0) {
		if (ms == 5000 || (ms > 5000 && !(ms % 60000)))
			pr_warn("unload waits for %d frames still queued on the interface (they point into this module)\n",
				n);
		msleep(20);
		ms += 20;
	}
}

static u32 memx_req_full(const struct memx_cmd *cmd)
{
	return cmd->op == MEMX_T_DISCARD ? 1 : GENMASK(cmd->nr - 1, 0);
}

/* The request covers its whole extent (the last one may be short). */
static bool memx_req_whole_extent(struct memx_dev *d, struct memx_cmd *cmd)
{
	return !(cmd->page & (MEMX_EXTENT_PAGES - 1)) &&
	       (cmd->nr == MEMX_EXTENT_PAGES ||
		cmd->page + cmd->nr == d->nr_pages);
}

/* Arm the timer @delay jiffies ahead, never past the request's deadline. */
static void memx_req_arm(struct memx_dev *d, struct memx_cmd *cmd,
			 unsigned long delay)
{
	unsigned long due = jiffies + max(delay, 1UL);
	unsigned long end = cmd->start + d->io_timeout;

	if (time_after(due, end))
		due = end;
	cmd->due = due;
	mod_timer(&cmd->timer, due);
}

static int memx_req_xmit(struct memx_dev *d, struct memx_server *srv,
			 struct sk_buff *skb)
{
	if (!skb) {
		atomic64_inc(&d->stats.tx_failed);
		return -ENOMEM;
	}
	if (memx_port_xmit(&d->port, skb, srv->mac)) {
		atomic64_inc(&d->stats.tx_failed);
		return -EIO;
	}
	return 0;
}

static void memx_send_write(struct memx_dev *d, struct memx_server *srv,
			    struct memx_cmd *cmd, struct memx_msg *m,
			    unsigned int chunk)
{
	unsigned int i, off;

	m->type = MEMX_T_WRITE;
	m->count = 1;
	m->total_len = MEMX_PAGE_SIZE;
	for (i = 0; i < cmd->nr; i++) {
		if (cmd->done & BIT(i))
			continue;
		m->page = cmd->page + i;
		for (off = 0; off < MEMX_PAGE_SIZE; off += chunk) {
			unsigned int len = min(chunk, MEMX_PAGE_SIZE - off);
			struct sk_buff *skb;
			void *p;

			m->frag_off = off;
			m->frag_len = len;
			if (cmd->gfp & __GFP_MEMALLOC) {
				/*
				 * Swap-out: the page stays as it is until
				 * the request ends; send it in place, so
				 * freeing a page costs no page-sized copy.
				 */
				skb = memx_frame(d, m, 0, cmd->gfp);
				if (skb)
					memx_skb_attach_page(skb,
							     cmd->pages[i],
							     off, len);
			} else {
				skb = memx_frame(d, m, len, cmd->gfp);
				if (skb) {
					p = kmap_local_page(cmd->pages[i]);
					memx_skb_put_payload(skb, p + off, len);
					kunmap_local(p);
				}
			}
			/* The rest waits for the retransmission timer. */
			if (memx_req_xmit(d, srv, skb))
				return;
		}
	}
}

static void memx_send_read(struct memx_dev *d, struct memx_server *srv,
			   struct memx_cmd *cmd, struct memx_msg *m,
			   unsigned int chunk)
{
	u32 missing = memx_req_full(cmd) & ~cmd->done;
	unsigned int first = __ffs(missing), last = __fls(missing), i;

	/* Fragments of a page may be cut differently this time (MTU). */
	for (i = first; i <= last; i++)
		if (!(cmd->done & BIT(i)))
			cmd->frags[i] = 0;
	m->type = MEMX_T_READ;
	m->page = cmd->page + first;
	m->count = last - first + 1;
	/* The largest DATA fragment we take (0: the server's choice). */
	m->frag_len = chunk;
	memx_req_xmit(d, srv, memx_frame(d, m, 0, cmd->gfp));
}

/*
 * A write to an extent no server can take: every server we may use is full
 * (what is stored stays as it is). Said once when the cluster becomes full,
 * counted always. Near the brim an advert may show room for an extent or
 * two more (free space is counted by pages written, not by extents
 * placed): that is not "room again", so the state only clears after
 * MEMX_FULL_CLEAR without ENOSPC.
 */
static void memx_req_cluster_full(struct memx_dev *d)
{
	atomic64_inc(&d->stats.nospace);
	WRITE_ONCE(d->full_last, jiffies);
	if (!READ_ONCE(d->full) && !xchg(&d->full, true))
		pr_warn("every server is full: writes to new extents fail with ENOSPC (counted in nospace)\n");
}

/* Frames a request puts on the link, both ways, at fragment size @chunk. */
static unsigned int memx_req_frames(const struct memx_cmd *cmd,
				    unsigned int chunk)
{
	if (cmd->op == MEMX_T_DISCARD)
		return 1;
	return cmd->nr * (chunk ? DIV_ROUND_UP(MEMX_PAGE_SIZE, chunk) : 1);
}

/*
 * An INFLIGHT discard starts over elsewhere: give back what it charged to
 * the server it was on (without waking anyone: we hold cmd->lock; the next
 * request to end there does). Called with cmd->lock held.
 */
static void memx_req_uncharge(struct memx_dev *d, struct memx_cmd *cmd)
{
	struct memx_server *srv = &d->servers[cmd->slot];

	lockdep_assert_held(&cmd->lock);
	if (!cmd->charged)
		return;
	spin_lock(&srv->lock);
	srv->inflight -= min_t(u32, srv->inflight, cmd->charged);
	spin_unlock(&srv->lock);
	cmd->charged = 0;
}

/*
 * Take a BLOCKED request off its server's list (its timer or blk-mq's
 * timeout is ending it). Called with cmd->lock held.
 */
static void memx_req_unblock(struct memx_dev *d, struct memx_cmd *cmd)
{
	struct memx_server *srv = &d->servers[cmd->slot];

	lockdep_assert_held(&cmd->lock);
	spin_lock(&srv->lock);
	list_del_init(&cmd->wait_node);
	spin_unlock(&srv->lock);
}

/*
 * Send the request (first time, after waiting, or again). Called with
 * cmd->lock held. Return: true when the request is to be ended now with
 * *@st (the caller does it, after unlocking), with state set to DONE.
 */
static bool memx_req_issue(struct memx_dev *d, struct memx_cmd *cmd,
			   blk_status_t *st)
{
	struct memx_msg m = { .cli_gen = d->cli_gen };
	unsigned int mtu, chunk, i, rounds = 0;
	struct memx_server *srv;
	unsigned long rto;
	int res;
	u8 v;

	lockdep_assert_held(&cmd->lock);
again:
	v = memx_drain_route(d, cmd);
	if (cmd->state == MEMX_CMD_INFLIGHT && v != cmd->slot + 1) {
		/*
		 * Since it was sent, its extent was lost, or discarded as a
		 * whole (and maybe placed again): what it stored there is
		 * gone, what it read may not be its data. A discard just
		 * starts over as a new operation; reads and writes fail.
		 */
		if (cmd->op != MEMX_T_DISCARD)
			goto eio;
		memx_req_uncharge(d, cmd);
		cmd->state = MEMX_CMD_IDLE;
		cmd->tries = 0;
		cmd->done = 0;
	}
	/*
	 * Its extent is being moved (drain.c): not sent until it is done.
	 * One in flight already goes on; the mover waits for it.
	 */
	if (cmd->state != MEMX_CMD_INFLIGHT && memx_drain_gated(d, cmd))
		goto wait;
	if (v == MEMX_EXT_LOST) {
		if (cmd->op == MEMX_T_DISCARD &&
		    memx_req_whole_extent(d, cmd)) {
			/* All of it reads as zeroes again: truthfully. */
			memx_place_reset(d, cmd->page, MEMX_EXT_LOST);
			*st = BLK_STS_OK;
		} else {
			*st = BLK_STS_IOERR;
		}
		goto end;
	}
	if (v == MEMX_EXT_UNPLACED) {
		switch (cmd->op) {
		case MEMX_T_READ:
			for (i = 0; i < cmd->nr; i++)
				memzero_page(cmd->pages[i], 0, PAGE_SIZE);
			fallthrough;
		case MEMX_T_DISCARD:
			*st = BLK_STS_OK;
			goto end;
		default:
			res = memx_place_extent(d, cmd->page);
			if (res == MEMX_PLACE_FULL) {
				memx_req_cluster_full(d);
				*st = BLK_STS_NOSPC;
				goto end;
			}
			v = res;
			if (v == MEMX_EXT_UNPLACED)
				goto wait;
			if (READ_ONCE(d->full) && v != MEMX_EXT_LOST &&
			    time_after(jiffies, READ_ONCE(d->full_last) +
				       MEMX_FULL_CLEAR)) {
				WRITE_ONCE(d->full, false);
				pr_info("servers have room again: new extents are placed\n");
			}
			if (v == MEMX_EXT_LOST) {
				*st = BLK_STS_IOERR;
				goto end;
			}
		}
	}

	srv = &d->servers[v - 1];
	spin_lock(&srv->lock);
	/*
	 * The extent byte again, under srv->lock: a server reset and the
	 * loss of its extents are one step for anyone who sees the server
	 * OPEN here (struct memx_server, ->losing), so a byte still naming
	 * it now belongs to its current session.
	 */
	if (memx_drain_route(d, cmd) != v) {
		spin_unlock(&srv->lock);
		if (++rounds < 4)
			goto again;
		goto wait;
	}
	if (cmd->state == MEMX_CMD_INFLIGHT &&
	    (srv->state != MEMX_SRV_OPEN || cmd->srv_gen != srv->srv_gen ||
	     cmd->session != srv->session)) {
		/*
		 * Its session went away under it (the server restarted, or
		 * lost it): the pages it stored are gone and its done bits
		 * stale. Never resume it on another session: fail it.
		 */
		spin_unlock(&srv->lock);
		goto eio;
	}
	if (memx_server_gone(d, srv)) {
		/* Silent for MEMX_DEAD_AFTER: do not wait io_timeout too. */
		spin_unlock(&srv->lock);
		goto eio;
	}
	if (srv->state != MEMX_SRV_OPEN) {
		spin_unlock(&srv->lock);
		goto wait;
	}
	mtu = READ_ONCE(d->port.mtu);
	if (srv->mtu)
		mtu = min_t(unsigned int, mtu, srv->mtu);
	chunk = memx_frag_chunk(mtu);
	if (cmd->state == MEMX_CMD_INFLIGHT) {
		cmd->tries++;
		srv->retransmits++;
		atomic64_inc(&d->stats.retransmits);
		/* A loss: halve the window, once per RTO. */
		if (time_after(jiffies, srv->cwnd_cut + cmd->rto)) {
			srv->cwnd = max_t(u32, srv->cwnd / 2, MEMX_CWND_MIN);
			srv->ssthresh = srv->cwnd;
			srv->cwnd_acc = 0;
			srv->cwnd_cut = jiffies;
		}
	} else {
		cmd->need = memx_req_frames(cmd, chunk);
		/*
		 * First come, first served: a new request queues behind the
		 * blocked ones, a woken one that still does not fit goes
		 * back to the head. One larger than the whole window goes
		 * when the window is free.
		 */
		if (srv->inflight &&
		    ((cmd->state != MEMX_CMD_BLOCKED &&
		      !list_empty(&srv->blocked)) ||
		     srv->inflight + min(cmd->need, srv->cwnd) > srv->cwnd)) {
			/* memx_win_release() wakes it; its timer bounds it. */
			if (cmd->state == MEMX_CMD_BLOCKED)
				list_add(&cmd->wait_node, &srv->blocked);
			else
				list_add_tail(&cmd->wait_node, &srv->blocked);
			cmd->slot = srv->slot;
			cmd->seq = atomic64_inc_return(&d->seq);
			cmd->state = MEMX_CMD_BLOCKED;
			spin_unlock(&srv->lock);
			memx_req_arm(d, cmd, d->io_timeout);
			return false;
		}
		srv->inflight += cmd->need;
		cmd->charged = cmd->need;
	}
	cmd->slot = srv->slot;
	cmd->session = srv->session;
	cmd->srv_gen = srv->srv_gen;
	rto = usecs_to_jiffies(memx_rto_backoff_us(&srv->rtt, cmd->tries));
	spin_unlock(&srv->lock);

	if (cmd->state != MEMX_CMD_INFLIGHT) {
		cmd->seq = atomic64_inc_return(&d->seq);
		cmd->sent_ns = ktime_get_ns();
		cmd->state = MEMX_CMD_INFLIGHT;
	}

	m.session = cmd->session;
	m.srv_gen = cmd->srv_gen;
	m.tag = blk_mq_unique_tag(blk_mq_rq_from_pdu(cmd));
	m.seq = cmd->seq;
	switch (cmd->op) {
	case MEMX_T_WRITE:
		if (chunk)
			memx_send_write(d, srv, cmd, &m, chunk);
		break;
	case MEMX_T_READ:
		memx_send_read(d, srv, cmd, &m, chunk);
		break;
	default:
		m.type = MEMX_T_DISCARD;
		m.page = cmd->page;
		m.count = cmd->nr;
		memx_req_xmit(d, srv, memx_frame(d, &m, 0, cmd->gfp));
		break;
	}
	cmd->mark = jiffies;
	cmd->defers = 0;
	cmd->rto = rto;
	memx_req_arm(d, cmd, rto);
	return false;

wait:
	/* Never sent yet (an INFLIGHT request ends instead): no done bits. */
	cmd->state = MEMX_CMD_WAITING;
	memx_req_arm(d, cmd, MEMX_WAIT_POLL);
	return false;
eio:
	*st = BLK_STS_IOERR;
end:
	cmd->state = MEMX_CMD_DONE;
	return true;
}

static void memx_req_end(struct memx_dev *d, struct request *rq,
			 blk_status_t st);

/*
 * A request that charged its server's window ends (@ok: at the first try):
 * give its frames back, grow the window, and send the blocked requests
 * that now fit. A woken request is identified by its seq, so one that its
 * timer ended meanwhile (and whose tag may carry a new request by now) is
 * left alone.
 */
static void memx_win_release(struct memx_dev *d, struct memx_cmd *cmd,
			     bool ok)
{
	struct memx_server *srv = &d->servers[cmd->slot];
	struct memx_cmd *wake[MEMX_WAKE_BATCH];
	u64 seq[MEMX_WAKE_BATCH];
	unsigned int n, i;
	u32 room;

	spin_lock_bh(&srv->lock);
	srv->inflight -= min_t(u32, srv->inflight, cmd->charged);
	if (ok && srv->cwnd < srv->ssthresh) {
		/* slow start: doubles per window until the first loss */
		srv->cwnd = min_t(u32, srv->cwnd + cmd->charged,
				  min_t(u32, srv->ssthresh, MEMX_CWND_MAX));
	} else if (ok) {
		srv->cwnd_acc += cmd->charged;
		if (srv->cwnd_acc >= srv->cwnd / MEMX_CWND_GROW) {
			srv->cwnd = min_t(u32, srv->cwnd + 1, MEMX_CWND_MAX);
			srv->cwnd_acc = 0;
		}
	}
	cmd->charged = 0;
again:
	n = 0;
	room = srv->cwnd - min(srv->cwnd, srv->inflight);
	while (n < MEMX_WAKE_BATCH && !list_empty(&srv->blocked)) {
		struct memx_cmd *w = list_first_entry(&srv->blocked,
						      struct memx_cmd,
						      wait_node);

		if (srv->inflight && min(w->need, srv->cwnd) > room)
			break;
		room -= min_t(u32, room, w->need);
		list_del_init(&w->wait_node);
		wake[n] = w;
		seq[n++] = READ_ONCE(w->seq);
	}
	spin_unlock_bh(&srv->lock);

	for (i = 0; i < n; i++) {
		struct memx_cmd *w = wake[i];
		blk_status_t st;
		bool end = false;

		spin_lock_bh(&w->lock);
		if (w->state == MEMX_CMD_BLOCKED && w->seq == seq[i] &&
		    list_empty(&w->wait_node))
			end = memx_req_issue(d, w, &st);
		spin_unlock_bh(&w->lock);
		if (end)
			memx_req_end(d, blk_mq_rq_from_pdu(w), st);
	}
	/* A full batch: more may fit (some woken ones may have ended). */
	if (n == MEMX_WAKE_BATCH) {
		spin_lock_bh(&srv->lock);
		goto again;
	}
}

/*
 * End a request whose state was set to DONE under its lock.
 *
 * A discard or write-zeroes may cross extents (the block layer does not
 * split them at chunk_sectors): each extent's part is one operation. When
 * a part succeeds, blk_update_request() completes its bytes and, if more
 * is left, the rest is issued as a new operation (new seq, no done bits,
 * no tries) on the next extent, with the request's start, so io_timeout
 * still bounds the whole. A part on an unplaced or lost extent ends at
 * once and the loop goes on; only the last part ends the request.
 */
static void memx_req_end(struct memx_dev *d, struct request *rq,
			 blk_status_t st)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	bool end;

	if (cmd->charged)
		memx_win_release(d, cmd, st == BLK_STS_OK && !cmd->tries);
	while (st == BLK_STS_OK && cmd->op == MEMX_T_DISCARD &&
	       blk_update_request(rq, BLK_STS_OK,
				  (unsigned int)cmd->nr << MEMX_PAGE_SHIFT)) {
		spin_lock_bh(&cmd->lock);
		cmd->page = blk_rq_pos(rq) >> (MEMX_PAGE_SHIFT - SECTOR_SHIFT);
		cmd->nr = memx_extent_part(cmd->page,
					   blk_rq_bytes(rq) >> MEMX_PAGE_SHIFT);
		cmd->state = MEMX_CMD_IDLE;
		cmd->tries = 0;
		cmd->done = 0;
		cmd->seq = 0;
		end = memx_req_issue(d, cmd, &st);
		spin_unlock_bh(&cmd->lock);
		if (!end)
			return;
		if (cmd->charged)
			memx_win_release(d, cmd, false);
	}

	/* Not _sync: we may be in softirq; the callback rechecks state. */
	timer_delete(&cmd->timer);
	if (st != BLK_STS_OK)
		atomic64_inc(&d->stats.errors);
	atomic64_inc(&d->stats.rq_ended);
	blk_mq_end_request(rq, st);
}

/* queue_rq, after blk_mq_start_request() and filling op/page/nr/pages. */
void memx_req_start(struct request *rq)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_dev *d = cmd->dev;
	blk_status_t st;
	bool end;

	atomic64_inc(&d->stats.rq_started);
	spin_lock_bh(&cmd->lock);
	/*
	 * Started (blk_mq_start_request()) before the drain gate is read:
	 * pairs with the barrier between closing the gate and walking the
	 * started requests (drain.c).
	 */
	smp_mb__after_spinlock();
	cmd->state = MEMX_CMD_IDLE;
	cmd->tries = 0;
	cmd->done = 0;
	cmd->seq = 0;
	cmd->start = jiffies;
	end = memx_req_issue(d, cmd, &st);
	spin_unlock_bh(&cmd->lock);
	if (end)
		memx_req_end(d, rq, st);
}

/* The request's server answered something since cmd->mark (MEMX_RTO_DEFERS). */
static bool memx_req_progress(struct memx_dev *d, struct memx_cmd *cmd)
{
	struct memx_server *srv = &d->servers[cmd->slot];

	lockdep_assert_held(&cmd->lock);
	return time_after_eq(READ_ONCE(srv->last_reply), cmd->mark);
}

static void memx_req_timer(struct timer_list *t)
{
	struct memx_cmd *cmd = timer_container_of(cmd, t, timer);
	struct memx_dev *d = cmd->dev;
	blk_status_t st = BLK_STS_IOERR;
	bool end = false;

	spin_lock_bh(&cmd->lock);
	if (cmd->state != MEMX_CMD_WAITING &&
	    cmd->state != MEMX_CMD_INFLIGHT &&
	    cmd->state != MEMX_CMD_BLOCKED)
		goto unlock;
	if (time_before(jiffies, cmd->due)) {
		/* A stale expiry (the request was reissued): re-arm. */
		mod_timer(&cmd->timer, cmd->due);
		goto unlock;
	}
	if (time_after_eq(jiffies, cmd->start + d->io_timeout)) {
		if (cmd->state == MEMX_CMD_BLOCKED)
			memx_req_unblock(d, cmd);
		atomic64_inc(&d->stats.timeouts);
		pr_warn_ratelimited("%s of page %llu (+%u) timed out after %u tries\n",
				    cmd->op == MEMX_T_WRITE ? "write" :
				    cmd->op == MEMX_T_READ ? "read" : "discard",
				    cmd->page, cmd->nr, cmd->tries + 1);
		cmd->state = MEMX_CMD_DONE;
		end = true;
		goto unlock;
	}
	if (cmd->state == MEMX_CMD_BLOCKED) {
		/* Not due before its deadline; only memx_win_release() sends it. */
		memx_req_arm(d, cmd, d->io_timeout);
		goto unlock;
	}
	if (cmd->state == MEMX_CMD_INFLIGHT && cmd->defers < MEMX_RTO_DEFERS &&
	    memx_req_progress(d, cmd)) {
		cmd->defers++;
		cmd->mark = jiffies;
		memx_req_arm(d, cmd, cmd->rto);
		goto unlock;
	}
	end = memx_req_issue(d, cmd, &st);
unlock:
	spin_unlock_bh(&cmd->lock);
	if (end)
		memx_req_end(d, blk_mq_rq_from_pdu(cmd), st);
}

/*
 * blk-mq's own timeout, io_timeout plus a margin: a backstop only. While
 * our timer owns the request, ask for more time; past the margin, fail it.
 */
enum blk_eh_timer_return memx_req_timeout(struct request *rq)
{
	struct memx_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct memx_dev *d = cmd->dev;
	bool end = false;

	spin_lock_bh(&cmd->lock);
	if (cmd->state == MEMX_CMD_WAITING ||
	    cmd->state == MEMX_CMD_INFLIGHT ||
	    cmd->state == MEMX_CMD_BLOCKED) {
		if (time_before(jiffies, cmd->start + d->io_timeout + 5 * HZ)) {
			spin_unlock_bh(&cmd->lock);
			return BLK_EH_RESET_TIMER;
		}
		if (cmd->state == MEMX_CMD_BLOCKED)
			memx_req_unblock(d, cmd);
		cmd->state = MEMX_CMD_DONE;
		end = true;
	}
	spin_unlock_bh(&cmd->lock);
	if (end) {
		atomic64_inc(&d->stats.timeouts);
		pr_warn_ratelimited("request of page %llu failed by the block layer's timeout\n",
				    cmd->page);
		memx_req_end(d, rq, BLK_STS_IOERR);
	}
	return BLK_EH_DONE;
}

/* DATA for a READ. Return: true when the request is now complete. */
static bool memx_req_data(struct memx_dev *d, struct memx_cmd *cmd,
			  struct sk_buff *skb, const struct memx_msg *m)
{
	unsigned int i = m->page - cmd->page;
	u64 old = cmd->frags[i];
	void *p;
	int res;

	if (cmd->done & BIT(i))
		return false;	/* a duplicate */
	if (m->flags & MEMX_F_ZERO) {
		memzero_page(cmd->pages[i], 0, PAGE_SIZE);
		cmd->done |= BIT(i);
		return cmd->done == memx_req_full(cmd);
	}
	res = memx_frag_add(&cmd->frags[i], m->frag_off, m->frag_len);
	if (res == MEMX_FRAG_BAD) {
		atomic64_inc(&d->stats.late_replies);
		return false;
	}
	if (res == MEMX_FRAG_DUP)
		return false;
	p = kmap_local_page(cmd->pages[i]);
	if (skb_copy_bits(skb, MEMX_HDR_LEN, p + m->frag_off, m->frag_len)) {
		cmd->frags[i] = old;
		res = MEMX_FRAG_BAD;
	}
	kunmap_local(p);
	if (res != MEMX_FRAG_COMPLETE)
		return false;
	cmd->done |= BIT(i);
	return cmd->done == memx_req_full(cmd);
}

/* A reply (ACK, ERROR, DATA) to a request, from @srv. Softirq. */
void memx_req_rx(struct memx_dev *d, struct memx_server *srv,
		 struct sk_buff *skb, const struct memx_msg *m)
{
	blk_status_t st = BLK_STS_OK;
	bool end = false, lost_session = false, reset = false;
	u32 srv_gen = 0, session = 0;
	struct memx_cmd *cmd;
	struct request *rq;
	u64 rtt_us = 0;

	if (m->cli_gen != d->cli_gen)
		goto late;
	rq = memx_blk_find(d, m->tag);
	if (!rq)
		goto late;
	cmd = blk_mq_rq_to_pdu(rq);

	/*
	 * Only a reply to this request's seq, from the server, session and
	 * server generation it was sent on. One exception: NOSESSION from a
	 * server that restarted carries its new srv_gen; it can only fail
	 * the request, which is what a restart means for it.
	 */
	spin_lock_bh(&cmd->lock);
	if (cmd->state != MEMX_CMD_INFLIGHT || cmd->seq != m->seq ||
	    cmd->slot != srv->slot || cmd->session != m->session ||
	    (cmd->srv_gen != m->srv_gen &&
	     (m->type != MEMX_T_ERROR || m->status != MEMX_S_NOSESSION)) ||
	    m->page < cmd->page || m->page - cmd->page >= cmd->nr)
		goto late_unlock;

	switch (m->type) {
	case MEMX_T_ERROR:
		switch (m->status) {
		case MEMX_S_BUSY:
			/* The retransmission timer tries again. */
			goto unlock;
		case MEMX_S_NOSPACE:
			atomic64_inc(&d->stats.nospace);
			pr_warn_ratelimited("server %pM is full: write failed\n",
					    srv->mac);
			st = BLK_STS_NOSPC;
			break;
		case MEMX_S_NOSESSION:
			lost_session = true;
			srv_gen = cmd->srv_gen;
			session = cmd->session;
			st = BLK_STS_IOERR;
			break;
		default:
			pr_warn_ratelimited("server %pM refused a request: status %u\n",
					    srv->mac, m->status);
			st = BLK_STS_IOERR;
			break;
		}
		end = true;
		break;
	case MEMX_T_ACK:
		if (cmd->op == MEMX_T_READ)
			goto late_unlock;
		spin_lock(&srv->lock);
		srv->pages_held = m->count;
		spin_unlock(&srv->lock);
		if (cmd->op == MEMX_T_DISCARD) {
			if (m->page != cmd->page)
				goto late_unlock;
			cmd->done = 1;
			reset = memx_req_whole_extent(d, cmd);
		} else {
			cmd->done |= BIT(m->page - cmd->page);
		}
		end = cmd->done == memx_req_full(cmd);
		break;
	case MEMX_T_DATA:
		if (cmd->op != MEMX_T_READ)
			goto late_unlock;
		end = memx_req_data(d, cmd, skb, m);
		break;
	default:
		goto late_unlock;
	}
	if (!end)
		goto unlock;
	cmd->state = MEMX_CMD_DONE;
	if (st == BLK_STS_OK && !cmd->tries)	/* Karn: never a retry */
		rtt_us = div_u64(ktime_get_ns() - cmd->sent_ns, NSEC_PER_USEC);
	spin_unlock_bh(&cmd->lock);

	if (rtt_us) {
		spin_lock_bh(&srv->lock);
		memx_rtt_sample(&srv->rtt, min_t(u64, rtt_us, U32_MAX));
		spin_unlock_bh(&srv->lock);
	}
	if (reset)
		memx_place_reset(d, cmd->page, srv->slot + 1);
	if (lost_session)
		memx_server_session_lost(d, srv, srv_gen, session);
	memx_req_end(d, rq, st);
	return;

unlock:
	spin_unlock_bh(&cmd->lock);
	return;
late_unlock:
	spin_unlock_bh(&cmd->lock);
late:
	atomic64_inc(&d->stats.late_replies);
}

void memx_req_init(struct memx_cmd *cmd, struct memx_dev *d)
{
	spin_lock_init(&cmd->lock);
	INIT_LIST_HEAD(&cmd->wait_node);
	cmd->charged = 0;
	cmd->state = MEMX_CMD_IDLE;
	cmd->dev = d;
	timer_setup(&cmd->timer, memx_req_timer, 0);
}

void memx_req_exit(struct memx_cmd *cmd)
{
	timer_delete_sync(&cmd->timer);
}
