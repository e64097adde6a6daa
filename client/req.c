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
 * Replicas (replicas= > 1): a write or discard goes to every copy of its
 * extent (struct memx_tgt per copy) and completes when each copy has
 * acknowledged it, or has been dropped: a copy whose server cannot take
 * it (dead, silent for MEMX_STRAGGLE_AFTER while another copy answered,
 * full, session lost) leaves the extent in the same step
 * (memx_place_drop()), so no read can find it stale, and its server is
 * evicted (mover.c). The last copy is never dropped: then the request
 * fails, as with one replica. A read goes to one copy, the one with the
 * lowest smoothed RTT, and to another one when it times out or is
 * refused; pages already received are kept.
 *
 * Loss is recovered only by retransmission, including frames the stack
 * drops before we see them: a frame received into pfmemalloc (reserve)
 * memory is delivered only to the core protocols (skb_pfmemalloc_protocol()
 * in net/core/dev.c), never to a custom ethertype, so under memory pressure
 * replies vanish and the retransmission timer brings them again.
 */
#include <linux/highmem.h>
#include <linux/net.h>
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

static u32 memx_req_ext(const struct memx_cmd *cmd)
{
	return cmd->page >> MEMX_EXTENT_SHIFT;
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
	/*
	 * A timer due no later is left as it is: it fires early and re-arms
	 * itself for cmd->due (memx_req_timer()). Nor does a request delete
	 * its timer when it ends (memx_req_end()): a tag's timer stays armed
	 * across its requests, and back-to-back requests on a tag cost no
	 * timer operation until that expiry comes (once a jiffy or so),
	 * where two per request (enqueue, dequeue) were the rule.
	 */
	if (timer_pending(&cmd->timer) &&
	    time_before_eq(READ_ONCE(cmd->timer.expires), due))
		return;
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
			    struct memx_cmd *cmd, struct memx_tgt *t,
			    struct memx_msg *m, unsigned int chunk, bool again)
{
	unsigned int i, off, last;

	if (t->done == memx_req_full(cmd))
		return;
	/*
	 * Every page but the last one sent now goes with MEMX_F_MORE: the
	 * server acknowledges them all with that one (one ACK a request).
	 * Not when sent again: something was lost, and each page goes as a
	 * request of its own (count 1, an ACK of its own), so that the next
	 * retransmission, if any, leaves out every page that arrived.
	 */
	last = __fls(memx_req_full(cmd) & ~t->done);
	m->type = MEMX_T_WRITE;
	m->total_len = MEMX_PAGE_SIZE;
	for (i = 0; i < cmd->nr; i++) {
		if (t->done & BIT(i))
			continue;
		m->page = cmd->page + i;
		m->count = again ? 1 : i + 1;
		m->flags = again || i == last ? 0 : MEMX_F_MORE;
		for (off = 0; off < MEMX_PAGE_SIZE; off += chunk) {
			unsigned int len = min(chunk, MEMX_PAGE_SIZE - off);
			struct sk_buff *skb;
			void *p;

			m->frag_off = off;
			m->frag_len = len;
			/*
			 * The bio's page goes in place (a reference, not a
			 * copy): a frame costs its header only, which is
			 * what lets swap-out free memory at all. A copy
			 * still queued when the request has ended carries
			 * whatever the page holds by then, but with this
			 * request's seq, which the server has applied
			 * already (every page was acknowledged): it is
			 * dropped as stale there. Slab memory may not be
			 * referenced from a frame (sendpage_ok()): copied.
			 */
			if (sendpage_ok(cmd->pages[i])) {
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
 * Send what target @t still lacks, at fragment size @chunk; @again: not
 * the request's first transmission (a retransmission, a resend after an
 * error or to another copy).
 */
static void memx_tgt_send(struct memx_dev *d, struct memx_cmd *cmd,
			  struct memx_tgt *t, unsigned int chunk, bool again)
{
	struct memx_server *srv = &d->servers[t->slot];
	struct memx_msg m = {
		.cli_gen = d->cli_gen,
		.session = t->session,
		.srv_gen = t->srv_gen,
		.tag = blk_mq_unique_tag(blk_mq_rq_from_pdu(cmd)),
		.seq = cmd->seq,
	};

	switch (cmd->op) {
	case MEMX_T_WRITE:
		if (chunk)
			memx_send_write(d, srv, cmd, t, &m, chunk, again);
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

/* A placement succeeded: the cluster has room again, if long enough. */
static void memx_req_cluster_room(struct memx_dev *d)
{
	if (READ_ONCE(d->full) &&
	    time_after(jiffies, READ_ONCE(d->full_last) + MEMX_FULL_CLEAR)) {
		WRITE_ONCE(d->full, false);
		pr_info("servers have room again: new extents are placed\n");
	}
}

/* Frames a request puts on the link, both ways, at fragment size @chunk. */
static unsigned int memx_req_frames(const struct memx_cmd *cmd,
				    unsigned int chunk)
{
	if (cmd->op == MEMX_T_DISCARD)
		return 1;
	return cmd->nr * (chunk ? DIV_ROUND_UP(MEMX_PAGE_SIZE, chunk) : 1);
}

/* Fragment size towards @srv: the smaller of our MTU and its own. */
static unsigned int memx_req_chunk(struct memx_dev *d,
				   const struct memx_server *srv)
{
	unsigned int mtu = READ_ONCE(d->port.mtu);

	if (srv->mtu)
		mtu = min_t(unsigned int, mtu, srv->mtu);
	return memx_frag_chunk(mtu);
}

/*
 * Give back what target @t charged to its server's window without waking
 * that server's blocked requests (we hold cmd->lock, and waking takes
 * theirs): the server is noted in cmd->kick, for memx_req_kick() once the
 * lock is dropped. Called with cmd->lock held.
 */
static void memx_tgt_uncharge(struct memx_dev *d, struct memx_cmd *cmd,
			      struct memx_tgt *t)
{
	struct memx_server *srv = &d->servers[t->slot];

	lockdep_assert_held(&cmd->lock);
	if (!t->charged)
		return;
	spin_lock(&srv->lock);
	srv->inflight -= min_t(u32, srv->inflight, t->charged);
	spin_unlock(&srv->lock);
	t->charged = 0;
	cmd->kick |= BIT(t->slot);
}

/*
 * Take the request off the blocked list it is on (its timer or blk-mq's
 * timeout is ending it, or its target there was dropped). Called with
 * cmd->lock held.
 */
static void memx_req_unblock(struct memx_dev *d, struct memx_cmd *cmd)
{
	struct memx_server *srv;

	lockdep_assert_held(&cmd->lock);
	if (!cmd->blocked)
		return;
	srv = &d->servers[cmd->blocked - 1];
	spin_lock(&srv->lock);
	list_del_init(&cmd->wait_node);
	spin_unlock(&srv->lock);
	cmd->blocked = 0;
}

/* How memx_req_issue() is called. */
enum memx_issue {
	MEMX_ISSUE_NEW,		/* first time, or after waiting */
	MEMX_ISSUE_WOKEN,	/* its window has room (memx_win_release()) */
	MEMX_ISSUE_RESEND,	/* its RTO expired: send what is missing again */
};

/*
 * May target @t be sent now under its server's window? If not, the
 * request goes on that server's blocked list (memx_win_release() wakes
 * it; its timer still bounds it). First come, first served: a new request
 * queues behind the blocked ones, a woken one that still does not fit goes
 * back to the head. One larger than the whole window goes when the window
 * is free. Called with cmd->lock and srv->lock held.
 */
static bool memx_tgt_fits(struct memx_cmd *cmd, struct memx_server *srv,
			  unsigned int need, enum memx_issue how)
{
	if (!srv->inflight ||
	    ((how == MEMX_ISSUE_WOKEN || list_empty(&srv->blocked)) &&
	     srv->inflight + min(need, srv->cwnd) <= srv->cwnd)) {
		srv->inflight += need;
		return true;
	}
	if (how == MEMX_ISSUE_WOKEN)
		list_add(&cmd->wait_node, &srv->blocked);
	else
		list_add_tail(&cmd->wait_node, &srv->blocked);
	cmd->blocked = srv->slot + 1;
	return false;
}

/* A retransmission to @srv: count it; halve the window, once per RTO. */
static void memx_req_count_retransmit(struct memx_dev *d,
				      struct memx_cmd *cmd,
				      struct memx_server *srv, bool cut)
{
	lockdep_assert_held(&srv->lock);
	srv->retransmits++;
	atomic64_inc(&d->stats.retransmits);
	if (cut && time_after(jiffies, srv->cwnd_cut + cmd->rto)) {
		srv->cwnd = max_t(u32, srv->cwnd / 2, MEMX_CWND_MIN);
		srv->ssthresh = srv->cwnd;
		srv->cwnd_acc = 0;
		srv->cwnd_cut = jiffies;
	}
}

/*
 * Target @t of a write or discard cannot complete: its copy leaves the
 * extent (the server missed this write and may not serve the extent
 * again), if another copy stays live. @why says why, for the log, or is
 * NULL when its session is gone (memx_place_lose() deals with the rest).
 * With @evict the server is not reachable (dead, silent, too slow): it is
 * evicted, and its session's close frees what it holds; else it answered
 * (full, refused): the mover discards that copy there. Return: true when
 * the request goes on without it; false when it must fail (its last live
 * copy, replicas=1, or a mover's request, whose failure the mover
 * handles). Called with cmd->lock held.
 */
static bool memx_tgt_drop(struct memx_dev *d, struct memx_cmd *cmd,
			  struct memx_tgt *t, const char *why, bool evict)
{
	struct memx_server *srv = &d->servers[t->slot];
	int ret;

	lockdep_assert_held(&cmd->lock);
	if (cmd->mover || d->replicas < 2)
		return false;
	ret = memx_place_drop(d, memx_req_ext(cmd), t->slot + 1,
			      why && !evict);
	if (ret == -EBUSY)
		return false;
	memx_tgt_uncharge(d, cmd, t);
	if (cmd->blocked == t->slot + 1)
		memx_req_unblock(d, cmd);
	t->state = MEMX_TGT_DROPPED;
	if (why && (evict || ret == -ENOSPC))
		memx_server_evict(d, srv, why);
	else if (why)
		pr_warn_ratelimited("server %pM %s: its copy of extent %u is dropped and made elsewhere\n",
				    srv->mac, why, memx_req_ext(cmd));
	return true;
}

/*
 * Sent MEMX_STRAGGLE_AFTER ago, and its server has replied to nothing
 * since: not queued behind others, gone. Called with srv->lock held.
 */
static bool memx_tgt_straggles(const struct memx_tgt *t,
			       const struct memx_server *srv)
{
	u64 after_ns = (u64)jiffies_to_msecs(MEMX_STRAGGLE_AFTER) *
		       NSEC_PER_MSEC;

	return ktime_get_ns() - t->sent_ns >= after_ns &&
	       !time_before(jiffies, READ_ONCE(srv->last_reply) +
			    MEMX_STRAGGLE_AFTER);
}

static bool memx_req_any_done(const struct memx_cmd *cmd)
{
	unsigned int k;

	for (k = 0; k < cmd->nt; k++)
		if (cmd->t[k].state == MEMX_TGT_DONE)
			return true;
	return false;
}

/*
 * A write or discard whose targets are all done or dropped may complete;
 * a whole-extent discard then returns its extent to unplaced (the mover's
 * discards free one copy, not the extent). Return: 0 to complete it; -EIO:
 * no copy took it, or its extent has a copy that did not (it was
 * discarded whole and placed again meanwhile), or a write's extent lost
 * every copy since; -EAGAIN: targets are still pending.
 */
static int memx_req_settle(struct memx_dev *d, struct memx_cmd *cmd)
{
	u32 w = memx_req_route(d, cmd), acked = 0;
	unsigned int k, n = 0;

	for (k = 0; k < cmd->nt; k++) {
		struct memx_tgt *t = &cmd->t[k];

		if (t->state == MEMX_TGT_IDLE || t->state == MEMX_TGT_SENT)
			return -EAGAIN;
		if (t->state == MEMX_TGT_DONE)
			acked |= (u32)(t->slot + 1) << (8 * n++);
	}
	if (!n)
		return -EIO;
	if (w == MEMX_EXT_LOST || w == MEMX_EXT_UNPLACED)
		return cmd->op == MEMX_T_DISCARD ? 0 : -EIO;
	for (k = 0; k < memx_ext_ncopies(w); k++)
		if (!memx_ext_has(acked, memx_ext_copy(w, k)))
			return -EIO;
	if (cmd->op == MEMX_T_DISCARD && !cmd->mover &&
	    memx_req_whole_extent(d, cmd))
		memx_place_reset(d, cmd->page, acked);
	return 0;
}

/*
 * Send a write or discard to each copy of its extent, word @w: those not
 * sent yet (as their windows allow) and, with MEMX_ISSUE_RESEND, what
 * those sent still lack. Drops the targets that cannot complete. Called
 * with cmd->lock held. Return: 1 when the request is to be ended with
 * *@st, 0 when it goes on, -EAGAIN when nothing was sent yet and the word
 * changed (memx_req_issue() looks again).
 */
static int memx_req_issue_copies(struct memx_dev *d, struct memx_cmd *cmd,
				 u32 w, enum memx_issue how, blk_status_t *st)
{
	bool sent = false, pending = false, waiting = false;
	unsigned long rto = 0;
	unsigned int k;
	int res;

	if (cmd->state != MEMX_CMD_INFLIGHT) {
		/* Nothing sent yet: its targets are the copies now. */
		cmd->nt = memx_ext_ncopies(w);
		for (k = 0; k < cmd->nt; k++) {
			cmd->t[k] = (struct memx_tgt){
				.slot = memx_ext_copy(w, k) - 1,
			};
		}
		cmd->seq = atomic64_inc_return(&d->seq);
	}
	for (k = 0; k < cmd->nt; k++) {
		struct memx_tgt *t = &cmd->t[k];
		struct memx_server *srv = &d->servers[t->slot];
		const char *why = NULL;
		unsigned int chunk;
		bool bad;

		if (t->state == MEMX_TGT_DONE || t->state == MEMX_TGT_DROPPED)
			continue;
		if (!memx_ext_has(w, t->slot + 1)) {
			/* Its copy was dropped meanwhile (lost, evicted). */
			memx_tgt_uncharge(d, cmd, t);
			if (cmd->blocked == t->slot + 1)
				memx_req_unblock(d, cmd);
			t->state = MEMX_TGT_DROPPED;
			continue;
		}
		spin_lock(&srv->lock);
		if (memx_server_gone(d, srv)) {
			why = "is dead";
			bad = true;
		} else if (t->state == MEMX_TGT_SENT &&
			   (srv->state != MEMX_SRV_OPEN ||
			    t->session != srv->session ||
			    t->srv_gen != srv->srv_gen)) {
			/*
			 * Its session went away under it (the server
			 * restarted, or lost it): what it stored there is
			 * gone. Never resume it on another session.
			 */
			bad = true;
		} else if (t->state == MEMX_TGT_SENT &&
			   how == MEMX_ISSUE_RESEND && memx_req_any_done(cmd) &&
			   memx_tgt_straggles(t, srv)) {
			why = "does not answer while another copy does";
			bad = true;
		} else {
			bad = false;
		}
		if (bad) {
			spin_unlock(&srv->lock);
			if (memx_tgt_drop(d, cmd, t, why, true))
				continue;
			goto eio;
		}
		if (t->state == MEMX_TGT_IDLE && srv->state != MEMX_SRV_OPEN) {
			/* Opening a session: the timer looks again. */
			spin_unlock(&srv->lock);
			waiting = true;
			continue;
		}
		if (t->state == MEMX_TGT_IDLE &&
		    !memx_ext_has(memx_req_route(d, cmd), t->slot + 1)) {
			/*
			 * The word again, under srv->lock: a server reset
			 * and the loss of its copies are one step for anyone
			 * who sees it OPEN (struct memx_server, ->losing), so
			 * a word still naming it now belongs to this session.
			 */
			spin_unlock(&srv->lock);
			if (!sent && cmd->state != MEMX_CMD_INFLIGHT)
				return -EAGAIN;
			t->state = MEMX_TGT_DROPPED;
			continue;
		}
		if (cmd->mover && t->state == MEMX_TGT_IDLE &&
		    srv->session != READ_ONCE(d->mover.session)) {
			/* Not the session the mover meant (mover.c). */
			spin_unlock(&srv->lock);
			goto eio;
		}
		chunk = memx_req_chunk(d, srv);
		if (t->state == MEMX_TGT_SENT) {
			pending = true;
			if (how != MEMX_ISSUE_RESEND) {
				spin_unlock(&srv->lock);
				continue;
			}
			memx_req_count_retransmit(d, cmd, srv, true);
		} else {
			if (cmd->blocked) {
				/* Waits for another window first. */
				spin_unlock(&srv->lock);
				continue;
			}
			cmd->need = memx_req_frames(cmd, chunk);
			if (!memx_tgt_fits(cmd, srv, cmd->need, how)) {
				spin_unlock(&srv->lock);
				continue;
			}
			t->charged = cmd->need;
			t->session = srv->session;
			t->srv_gen = srv->srv_gen;
			t->state = MEMX_TGT_SENT;
			t->sent_ns = ktime_get_ns();
			t->done = 0;
			pending = true;
		}
		rto = max_t(unsigned long, rto,
			    usecs_to_jiffies(memx_rto_backoff_us(&srv->rtt,
								 cmd->tries +
								 (how == MEMX_ISSUE_RESEND))));
		spin_unlock(&srv->lock);
		memx_tgt_send(d, cmd, t, chunk,
			      cmd->tries || how == MEMX_ISSUE_RESEND);
		sent = true;
	}
	if (how == MEMX_ISSUE_RESEND && sent)
		cmd->tries++;

	if (!pending && !cmd->blocked && !waiting) {
		res = memx_req_settle(d, cmd);
		if (res == -EIO)
			goto eio;
		if (res == 0) {
			*st = BLK_STS_OK;
			goto end;
		}
	}
	if (sent) {
		cmd->state = MEMX_CMD_INFLIGHT;
		cmd->mark = jiffies;
		cmd->defers = 0;
		cmd->rto = rto;
		memx_req_arm(d, cmd, rto);
	} else if (cmd->state == MEMX_CMD_INFLIGHT || pending) {
		/* Only blocked or opening targets left: look again soon. */
		if (!pending)
			memx_req_arm(d, cmd, cmd->blocked ? HZ : MEMX_WAIT_POLL);
	} else if (cmd->blocked) {
		cmd->state = MEMX_CMD_BLOCKED;
		memx_req_arm(d, cmd, HZ);
	} else {
		cmd->state = MEMX_CMD_WAITING;
		memx_req_arm(d, cmd, MEMX_WAIT_POLL);
	}
	if (memx_req_any_done(cmd) || sent)
		cmd->state = MEMX_CMD_INFLIGHT;
	return 0;
eio:
	*st = BLK_STS_IOERR;
end:
	cmd->state = MEMX_CMD_DONE;
	return 1;
}

/*
 * The copy of @w a read goes to: the usable one (session open, not gone)
 * with the lowest smoothed RTT, never one in @exclude (a mask of slots),
 * and @avoid (slot + 1) only if no other is usable. Return: its slot + 1;
 * 0 when none is usable now; *@all_gone when the server of every copy not
 * excluded is gone.
 */
static u8 memx_req_pick_copy(struct memx_dev *d, u32 w, u8 avoid,
			     u32 exclude, bool *all_gone)
{
	u32 best_rtt = U32_MAX;
	unsigned int k;
	u8 best = 0, fallback = 0;

	*all_gone = true;
	for (k = 0; k < memx_ext_ncopies(w); k++) {
		u8 v = memx_ext_copy(w, k);
		struct memx_server *srv = &d->servers[v - 1];
		u32 rtt;

		if ((exclude & BIT(v - 1)) || memx_server_gone(d, srv))
			continue;
		*all_gone = false;
		if (!memx_server_usable(srv))
			continue;
		if (v == avoid) {
			fallback = v;
			continue;
		}
		rtt = READ_ONCE(srv->rtt.srtt8);
		if (rtt < best_rtt) {
			best_rtt = rtt;
			best = v;
		}
	}
	return best ?: fallback;
}

/* The read's target @t can still answer on its session. */
static bool memx_req_tgt_ok(struct memx_dev *d, const struct memx_tgt *t,
			    u32 w)
{
	struct memx_server *srv = &d->servers[t->slot];
	bool ok;

	if (!memx_ext_has(w, t->slot + 1))
		return false;
	spin_lock(&srv->lock);
	ok = !memx_server_gone(d, srv) && srv->state == MEMX_SRV_OPEN &&
	     t->session == srv->session && t->srv_gen == srv->srv_gen;
	spin_unlock(&srv->lock);
	return ok;
}

/*
 * Send a read to one copy of its extent, word @w: after an RTO the same
 * one again if it is the only one usable, else another one (a failover:
 * pages received already stay); after an error (@how MEMX_ISSUE_RESEND
 * with cmd->refused set) one that has not refused it yet. Called with
 * cmd->lock held; return as memx_req_issue_copies().
 */
static int memx_req_issue_read(struct memx_dev *d, struct memx_cmd *cmd,
			       u32 w, enum memx_issue how, blk_status_t *st)
{
	struct memx_tgt *t = &cmd->t[0];
	bool inflight = cmd->state == MEMX_CMD_INFLIGHT, cur_ok, all_gone;
	u8 v, cur = inflight ? t->slot + 1 : 0;
	struct memx_server *srv;
	unsigned int chunk;
	unsigned long rto;

	if (inflight && how != MEMX_ISSUE_RESEND)
		return 0;
	cur_ok = inflight && !(cmd->refused & BIT(t->slot)) &&
		 memx_req_tgt_ok(d, t, w);
	if (inflight && d->replicas > 1)
		cmd->failover = true;
	if (cur_ok && !cmd->failover) {
		v = cur;
	} else {
		v = memx_req_pick_copy(d, w, cur, cmd->refused |
				       (cur && !cur_ok ? BIT(cur - 1) : 0),
				       &all_gone);
		if (!v && (all_gone || cmd->refused))
			goto eio;
		if (!v)
			goto wait;	/* its copies' servers are opening */
	}
	srv = &d->servers[v - 1];
	spin_lock(&srv->lock);
	if (srv->state != MEMX_SRV_OPEN) {
		spin_unlock(&srv->lock);
		goto wait;
	}
	if (!memx_ext_has(memx_req_route(d, cmd), v) ||
	    (v == cur && (t->session != srv->session ||
			  t->srv_gen != srv->srv_gen))) {
		/* Changed under us: see memx_req_issue_copies(). */
		spin_unlock(&srv->lock);
		return -EAGAIN;
	}
	if (cmd->mover && srv->session != READ_ONCE(d->mover.session)) {
		spin_unlock(&srv->lock);
		goto eio;
	}
	chunk = memx_req_chunk(d, srv);
	if (!inflight) {
		cmd->seq = atomic64_inc_return(&d->seq);
		cmd->need = memx_req_frames(cmd, chunk);
		if (!memx_tgt_fits(cmd, srv, cmd->need, how)) {
			spin_unlock(&srv->lock);
			cmd->state = MEMX_CMD_BLOCKED;
			memx_req_arm(d, cmd, d->io_timeout);
			return 0;
		}
		cmd->nt = 1;
		*t = (struct memx_tgt){
			.slot = srv->slot,
			.charged = cmd->need,
			.sent_ns = ktime_get_ns(),
		};
	} else if (v == cur) {
		memx_req_count_retransmit(d, cmd, srv, true);
		cmd->tries++;
	} else {
		/* Failover: the charge moves with it. */
		srv->inflight += cmd->need;
		spin_unlock(&srv->lock);
		spin_lock(&d->servers[t->slot].lock);
		memx_req_count_retransmit(d, cmd, &d->servers[t->slot], false);
		spin_unlock(&d->servers[t->slot].lock);
		memx_tgt_uncharge(d, cmd, t);
		cmd->tries++;
		t->slot = v - 1;
		t->charged = cmd->need;
		spin_lock(&srv->lock);
	}
	cmd->failover = false;
	t->state = MEMX_TGT_SENT;
	t->session = srv->session;
	t->srv_gen = srv->srv_gen;
	rto = usecs_to_jiffies(memx_rto_backoff_us(&srv->rtt, cmd->tries));
	spin_unlock(&srv->lock);

	cmd->state = MEMX_CMD_INFLIGHT;
	memx_tgt_send(d, cmd, t, chunk, cmd->tries);
	cmd->mark = jiffies;
	cmd->defers = 0;
	cmd->rto = rto;
	memx_req_arm(d, cmd, rto);
	return 0;
wait:
	memx_req_arm(d, cmd, MEMX_WAIT_POLL);
	if (!inflight)
		cmd->state = MEMX_CMD_WAITING;
	return 0;
eio:
	*st = BLK_STS_IOERR;
	cmd->state = MEMX_CMD_DONE;
	return 1;
}

/*
 * Send the request (first time, after waiting, woken, or again). Called
 * with cmd->lock held. Return: true when the request is to be ended now
 * with *@st (the caller does it, after unlocking), with state set to
 * DONE.
 */
static bool memx_req_issue(struct memx_dev *d, struct memx_cmd *cmd,
			   blk_status_t *st, enum memx_issue how)
{
	unsigned int i, rounds = 0;
	bool gated;
	u32 w;
	int res;

	lockdep_assert_held(&cmd->lock);
again:
	/*
	 * Its extent is being copied (mover.c): not sent until that is done.
	 * One in flight already goes on; the mover waits for it. The gate is
	 * read before the word: the mover changes the word, then opens the
	 * gate (smp_wmb()), so a request that sees it open sees the new word.
	 */
	gated = cmd->state != MEMX_CMD_INFLIGHT && memx_mover_gated(d, cmd);
	smp_rmb();	/* gate, then word: pairs with smp_wmb() in mover.c */
	w = memx_req_route(d, cmd);
	if (cmd->state == MEMX_CMD_INFLIGHT &&
	    (w == MEMX_EXT_LOST || w == MEMX_EXT_UNPLACED)) {
		/*
		 * Since it was sent, its extent lost every copy, or was
		 * discarded as a whole: what it stored there is gone, what
		 * it read may not be its data. A discard just starts over as
		 * a new operation; reads and writes fail.
		 */
		if (cmd->op != MEMX_T_DISCARD)
			goto eio;
		for (i = 0; i < cmd->nt; i++)
			memx_tgt_uncharge(d, cmd, &cmd->t[i]);
		memx_req_unblock(d, cmd);
		cmd->state = MEMX_CMD_IDLE;
		cmd->tries = 0;
		cmd->nt = 0;
		goto again;
	}
	if (gated)
		goto wait;
	if (w == MEMX_EXT_LOST) {
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
	if (w == MEMX_EXT_UNPLACED) {
		switch (cmd->op) {
		case MEMX_T_READ:
			for (i = 0; i < cmd->nr; i++)
				memzero_page(cmd->pages[i], 0, PAGE_SIZE);
			fallthrough;
		case MEMX_T_DISCARD:
			*st = BLK_STS_OK;
			goto end;
		default:
			if (cmd->mover)
				goto eio;
			res = memx_place_extent(d, cmd->page, &w);
			if (res == -ENOSPC) {
				memx_req_cluster_full(d);
				*st = BLK_STS_NOSPC;
				goto end;
			}
			if (res)
				goto wait;
			if (w == MEMX_EXT_LOST)
				goto eio;
			memx_req_cluster_room(d);
		}
	}
	if (cmd->op == MEMX_T_READ)
		res = memx_req_issue_read(d, cmd, w, how, st);
	else
		res = memx_req_issue_copies(d, cmd, w, how, st);
	if (res != -EAGAIN)
		return res;
	/* Its word changed under it (seen under a server's lock): again. */
	if (++rounds < 4)
		goto again;
	if (cmd->state == MEMX_CMD_INFLIGHT) {
		memx_req_arm(d, cmd, MEMX_WAIT_POLL);
		return false;
	}
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
static void memx_req_kick(struct memx_dev *d, u16 kick);

/* Under cmd->lock: the servers to kick once it is dropped. */
static u16 memx_req_take_kick(struct memx_cmd *cmd)
{
	u16 kick = cmd->kick;

	lockdep_assert_held(&cmd->lock);
	cmd->kick = 0;
	return kick;
}

/*
 * @charged frames of a request that was sent to @srv are given back (@ok:
 * it succeeded at the first try; @rtt_us, if not 0, is its round trip for
 * the RTO estimator, sampled under the same lock): grow the window, and
 * send the blocked requests that now fit. A woken request is identified by
 * its seq, so one that its timer ended meanwhile (and whose tag may carry
 * a new request by now) is left alone.
 */
static void memx_win_release(struct memx_dev *d, struct memx_server *srv,
			     u32 charged, bool ok, u64 rtt_us)
{
	struct memx_cmd *wake[MEMX_WAKE_BATCH];
	u64 seq[MEMX_WAKE_BATCH];
	unsigned int n, i;
	u32 room;

	spin_lock_bh(&srv->lock);
	if (rtt_us)
		memx_rtt_sample(&srv->rtt, min_t(u64, rtt_us, U32_MAX));
	srv->inflight -= min_t(u32, srv->inflight, charged);
	if (ok && srv->cwnd < srv->ssthresh) {
		/* slow start: doubles per window until the first loss */
		srv->cwnd = min_t(u32, srv->cwnd + charged,
				  min_t(u32, srv->ssthresh, MEMX_CWND_MAX));
	} else if (ok) {
		srv->cwnd_acc += charged;
		if (srv->cwnd_acc >= srv->cwnd / MEMX_CWND_GROW) {
			srv->cwnd = min_t(u32, srv->cwnd + 1, MEMX_CWND_MAX);
			srv->cwnd_acc = 0;
		}
	}
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
		u16 kick;

		spin_lock_bh(&w->lock);
		if (w->blocked == srv->slot + 1 && w->seq == seq[i] &&
		    list_empty(&w->wait_node) &&
		    (w->state == MEMX_CMD_BLOCKED ||
		     w->state == MEMX_CMD_INFLIGHT)) {
			w->blocked = 0;
			end = memx_req_issue(d, w, &st, MEMX_ISSUE_WOKEN);
		}
		kick = memx_req_take_kick(w);
		spin_unlock_bh(&w->lock);
		memx_req_kick(d, kick);
		if (end)
			memx_req_end(d, blk_mq_rq_from_pdu(w), st);
	}
	/* A full batch: more may fit (some woken ones may have ended). */
	if (n == MEMX_WAKE_BATCH) {
		spin_lock_bh(&srv->lock);
		goto again;
	}
}

/* Wake what waits on the windows of the servers in @kick (slots). */
static void memx_req_kick(struct memx_dev *d, u16 kick)
{
	while (kick) {
		unsigned int s = __ffs(kick);

		kick &= ~BIT(s);
		memx_win_release(d, &d->servers[s], 0, false, 0);
	}
}

/*
 * A request has ended (DONE): off the blocked list it may still be on (a
 * write waiting for the window of one copy when another failed it;
 * nothing puts it back once DONE), and every window charge given back.
 */
static void memx_req_release(struct memx_dev *d, struct memx_cmd *cmd,
			     bool ok)
{
	unsigned int k;

	if (READ_ONCE(cmd->blocked)) {
		spin_lock_bh(&cmd->lock);
		memx_req_unblock(d, cmd);
		spin_unlock_bh(&cmd->lock);
	}

	for (k = 0; k < cmd->nt; k++) {
		struct memx_tgt *t = &cmd->t[k];

		if (t->charged) {
			memx_win_release(d, &d->servers[t->slot], t->charged,
					 ok, 0);
			t->charged = 0;
		}
	}
	memx_req_kick(d, cmd->kick);
	cmd->kick = 0;
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
	u16 kick;

	memx_req_release(d, cmd, st == BLK_STS_OK && !cmd->tries);
	/* Read-ahead: a read's end; a write's or discard part's end. */
	if (cmd->op == MEMX_T_READ)
		memx_pf_read_end(d, cmd);
	else
		memx_pf_write(d, cmd->page, cmd->nr);
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
		cmd->nt = 0;
		end = memx_req_issue(d, cmd, &st, MEMX_ISSUE_NEW);
		kick = memx_req_take_kick(cmd);
		spin_unlock_bh(&cmd->lock);
		memx_req_kick(d, kick);
		if (!end)
			return;
		memx_req_release(d, cmd, false);
		memx_pf_write(d, cmd->page, cmd->nr);
	}

	/*
	 * Its timer stays armed (see memx_req_arm()): the callback finds the
	 * request DONE, or a new one on the tag, and rechecks its due time.
	 */
	/* A read-ahead that fails is no one's I/O error. */
	if (st != BLK_STS_OK && !cmd->prefetch)
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
	u16 kick;

	atomic64_inc(&d->stats.rq_started);
	spin_lock_bh(&cmd->lock);
	/*
	 * Started (blk_mq_start_request()) before the mover's gate is read:
	 * pairs with the barrier between closing the gate and walking the
	 * started requests (mover.c).
	 */
	smp_mb__after_spinlock();
	cmd->state = MEMX_CMD_IDLE;
	cmd->tries = 0;
	cmd->done = 0;
	cmd->seq = 0;
	cmd->nt = 0;
	cmd->failover = false;
	cmd->refused = 0;
	cmd->start = jiffies;
	end = memx_req_issue(d, cmd, &st, MEMX_ISSUE_NEW);
	kick = memx_req_take_kick(cmd);
	spin_unlock_bh(&cmd->lock);
	memx_req_kick(d, kick);
	if (end)
		memx_req_end(d, rq, st);
}

/*
 * The servers the request waits for answered something since cmd->mark
 * (MEMX_RTO_DEFERS): each server of a target sent and not done.
 */
static bool memx_req_progress(struct memx_dev *d, struct memx_cmd *cmd)
{
	unsigned int k;
	bool any = false;

	lockdep_assert_held(&cmd->lock);
	for (k = 0; k < cmd->nt; k++) {
		struct memx_tgt *t = &cmd->t[k];

		if (t->state != MEMX_TGT_SENT)
			continue;
		if (time_before(READ_ONCE(d->servers[t->slot].last_reply),
				cmd->mark))
			return false;
		any = true;
	}
	return any;
}

/*
 * A write or discard at its deadline that some copies acknowledged: the
 * others did not in io_timeout. Rather than fail it and leave copies that
 * differ (reads would find either), they are dropped (and their servers
 * evicted) and it completes. Return: true when it may complete.
 */
static bool memx_req_deadline(struct memx_dev *d, struct memx_cmd *cmd)
{
	unsigned int k;

	lockdep_assert_held(&cmd->lock);
	if (cmd->op == MEMX_T_READ || cmd->state != MEMX_CMD_INFLIGHT ||
	    !memx_req_any_done(cmd))
		return false;
	for (k = 0; k < cmd->nt; k++) {
		struct memx_tgt *t = &cmd->t[k];

		if ((t->state == MEMX_TGT_IDLE || t->state == MEMX_TGT_SENT) &&
		    !memx_tgt_drop(d, cmd, t, "did not answer in io_timeout",
				   true))
			return false;
	}
	return !memx_req_settle(d, cmd);
}

static void memx_req_timer(struct timer_list *tl)
{
	struct memx_cmd *cmd = timer_container_of(cmd, tl, timer);
	struct memx_dev *d = cmd->dev;
	blk_status_t st = BLK_STS_IOERR;
	bool end = false;
	u16 kick;

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
		if (memx_req_deadline(d, cmd)) {
			st = BLK_STS_OK;
			cmd->state = MEMX_CMD_DONE;
			end = true;
			goto unlock;
		}
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
		/* Nothing sent: only memx_win_release() sends it. */
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
	cmd->refused = 0;
	end = memx_req_issue(d, cmd, &st, cmd->state == MEMX_CMD_INFLIGHT ?
			     MEMX_ISSUE_RESEND : MEMX_ISSUE_NEW);
unlock:
	kick = memx_req_take_kick(cmd);
	spin_unlock_bh(&cmd->lock);
	memx_req_kick(d, kick);
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
	/* A parked read ends with its read-ahead, bounded by its timeout. */
	if (cmd->state == MEMX_CMD_PARKED) {
		spin_unlock_bh(&cmd->lock);
		return BLK_EH_RESET_TIMER;
	}
	if (cmd->state == MEMX_CMD_WAITING ||
	    cmd->state == MEMX_CMD_INFLIGHT ||
	    cmd->state == MEMX_CMD_BLOCKED) {
		if (time_before(jiffies, cmd->start + d->io_timeout + 5 * HZ)) {
			spin_unlock_bh(&cmd->lock);
			return BLK_EH_RESET_TIMER;
		}
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

/* The target of @cmd that was sent to @srv and awaits replies, or NULL. */
static struct memx_tgt *memx_req_tgt(struct memx_cmd *cmd,
				     const struct memx_server *srv)
{
	unsigned int k;

	for (k = 0; k < cmd->nt; k++)
		if (cmd->t[k].slot == srv->slot &&
		    cmd->t[k].state == MEMX_TGT_SENT)
			return &cmd->t[k];
	return NULL;
}

/*
 * An ERROR reply from target @t. Return: true when the request is to end
 * with *@st; false when it goes on (BUSY: the timer retries; a dropped
 * copy; a read's failover) or waits.
 */
static bool memx_req_error(struct memx_dev *d, struct memx_cmd *cmd,
			   struct memx_tgt *t, struct memx_server *srv,
			   const struct memx_msg *m, blk_status_t *st,
			   bool *lost_session)
{
	const char *why = "refused a write";

	switch (m->status) {
	case MEMX_S_BUSY:
		return false;
	case MEMX_S_NOSPACE:
		atomic64_inc(&d->stats.nospace);
		pr_warn_ratelimited("server %pM is full: write failed\n",
				    srv->mac);
		/* No new extent there before its next advert says otherwise. */
		spin_lock(&srv->lock);
		srv->placed = max(srv->placed, srv->free);
		spin_unlock(&srv->lock);
		*st = BLK_STS_NOSPC;
		why = "is full";
		break;
	case MEMX_S_NOSESSION:
		*lost_session = true;
		*st = BLK_STS_IOERR;
		why = NULL;
		break;
	default:
		pr_warn_ratelimited("server %pM refused a request: status %u\n",
				    srv->mac, m->status);
		*st = BLK_STS_IOERR;
		break;
	}
	if (cmd->op == MEMX_T_READ) {
		if (memx_ext_ncopies(memx_req_route(d, cmd)) < 2)
			goto end;
		/*
		 * Another copy, at once; once every copy refused it, the
		 * request ends (the timer's next round starts afresh).
		 */
		cmd->refused |= BIT(t->slot);
		cmd->failover = true;
		return memx_req_issue(d, cmd, st, MEMX_ISSUE_RESEND);
	}
	if (!memx_tgt_drop(d, cmd, t, why, false))
		goto end;
	return memx_req_issue(d, cmd, st, MEMX_ISSUE_NEW);
end:
	cmd->state = MEMX_CMD_DONE;
	return true;
}

/* A reply (ACK, ERROR, DATA) to a request, from @srv. Softirq. */
void memx_req_rx(struct memx_dev *d, struct memx_server *srv,
		 struct sk_buff *skb, const struct memx_msg *m)
{
	blk_status_t st = BLK_STS_OK;
	bool end = false, lost_session = false, tgt_done = false, first;
	u32 srv_gen = 0, session = 0, charged = 0;
	struct memx_cmd *cmd;
	struct memx_tgt *t;
	struct request *rq;
	u64 rtt_us = 0;
	u16 kick;

	if (m->cli_gen != d->cli_gen)
		goto late;
	rq = memx_blk_find(d, m->tag);
	if (!rq)
		goto late;
	cmd = blk_mq_rq_to_pdu(rq);

	/*
	 * Only a reply to this request's seq, from a server it was sent to
	 * and awaits, on the session and server generation it was sent on.
	 * One exception: NOSESSION from a server that restarted carries its
	 * new srv_gen; it can only fail that target, which is what a
	 * restart means for it. The receive path runs with BH off: the
	 * lock needs no _bh here (one call less a reply).
	 */
	lockdep_assert_in_softirq();
	spin_lock(&cmd->lock);
	if (cmd->state != MEMX_CMD_INFLIGHT || cmd->seq != m->seq ||
	    m->page < cmd->page || m->page - cmd->page >= cmd->nr)
		goto late_unlock;
	t = memx_req_tgt(cmd, srv);
	if (!t || t->session != m->session ||
	    (t->srv_gen != m->srv_gen &&
	     (m->type != MEMX_T_ERROR || m->status != MEMX_S_NOSESSION)))
		goto late_unlock;

	switch (m->type) {
	case MEMX_T_ERROR:
		srv_gen = t->srv_gen;
		session = t->session;
		end = memx_req_error(d, cmd, t, srv, m, &st, &lost_session);
		goto unlock;
	case MEMX_T_ACK:
		if (cmd->op == MEMX_T_READ)
			goto late_unlock;
		spin_lock(&srv->lock);
		srv->pages_held = m->count;
		spin_unlock(&srv->lock);
		if (cmd->op == MEMX_T_DISCARD) {
			if (m->page != cmd->page || (m->flags & MEMX_F_RUN))
				goto late_unlock;
			t->done = 1;
		} else if (m->flags & MEMX_F_RUN) {
			/* Every page of the request up to this one. */
			t->done |= GENMASK(m->page - cmd->page, 0);
		} else {
			t->done |= BIT(m->page - cmd->page);
		}
		tgt_done = t->done == memx_req_full(cmd);
		break;
	case MEMX_T_DATA:
		if (cmd->op != MEMX_T_READ)
			goto late_unlock;
		tgt_done = memx_req_data(d, cmd, skb, m);
		break;
	default:
		goto late_unlock;
	}
	if (!tgt_done)
		goto unlock;
	t->state = MEMX_TGT_DONE;
	first = !cmd->tries;
	if (first)	/* Karn: never a retry */
		rtt_us = div_u64(ktime_get_ns() - t->sent_ns, NSEC_PER_USEC);
	/* Its window charge goes back now: the others may take longer. */
	charged = t->charged;
	t->charged = 0;
	if (cmd->op == MEMX_T_READ) {
		cmd->state = MEMX_CMD_DONE;
		end = true;
	} else {
		end = memx_req_issue(d, cmd, &st, MEMX_ISSUE_NEW);
	}
unlock:
	kick = memx_req_take_kick(cmd);
	spin_unlock(&cmd->lock);

	if (tgt_done)
		memx_win_release(d, srv, charged, first, rtt_us);
	memx_req_kick(d, kick);
	if (lost_session)
		memx_server_session_lost(d, srv, srv_gen, session);
	if (end)
		memx_req_end(d, rq, st);
	return;

late_unlock:
	spin_unlock(&cmd->lock);
late:
	atomic64_inc(&d->stats.late_replies);
}

void memx_req_init(struct memx_cmd *cmd, struct memx_dev *d)
{
	spin_lock_init(&cmd->lock);
	INIT_LIST_HEAD(&cmd->wait_node);
	INIT_LIST_HEAD(&cmd->pf_node);
	cmd->nt = 0;
	cmd->blocked = 0;
	cmd->kick = 0;
	cmd->state = MEMX_CMD_IDLE;
	cmd->dev = d;
	timer_setup(&cmd->timer, memx_req_timer, 0);
}

void memx_req_exit(struct memx_cmd *cmd)
{
	timer_delete_sync(&cmd->timer);
}
