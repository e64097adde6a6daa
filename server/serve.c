// SPDX-License-Identifier: GPL-2.0
/*
 * Requests, served in the receive softirq. Nothing here sleeps: pages come
 * from GFP_ATOMIC or the reserve, replies are built with GFP_ATOMIC and go
 * out on the port the request came in on, to its source MAC. Every reply
 * echoes the request's seq, tag, page and cli_gen, and carries our srv_gen
 * (the ACKs of single pages of a write request name those pages).
 *
 * A request that cannot be served is answered with an ERROR that says why
 * (never a silent drop). The ACK of a fragmented WRITE waits for the page
 * to be complete; a fragment that overlaps others is dropped and counted
 * (the client retransmits the whole page). A page sent with MEMX_F_MORE is
 * stored without an ACK of its own: the request's last page acknowledges
 * them all (memx_srv_ack_write()).
 */
#include <linux/etherdevice.h>
#include <linux/mm.h>
#include <linux/skbuff.h>
#include "memx_server.h"

/*
 * A request being served: its header, where the replies go, and the frame
 * it came in. The first reply is built in that frame when it can be
 * (memx_port_reuse_skb()): one allocation and one free less a request.
 * Nothing reads the frame once it was offered: a WRITE's payload is
 * copied before the request is answered.
 */
struct memx_srv_rq {
	struct memx_port *port;
	const struct memx_msg *m;
	const u8 *src;
	struct sk_buff *spare;	/* the request's frame, until offered */
	bool taken;		/* it became a reply's frame */
};

/* A frame for a reply, with a zeroed header and no payload. */
static struct sk_buff *memx_srv_skb(struct memx_srv_rq *r)
{
	struct sk_buff *skb = NULL;

	if (r->spare) {
		skb = memx_port_reuse_skb(r->spare);
		r->spare = NULL;
		if (skb) {
			r->taken = true;
			atomic64_inc(&memx_srv.st.reused);
		}
	}
	if (!skb)
		skb = memx_port_alloc_skb(r->port, 0, GFP_ATOMIC);
	if (!skb)
		atomic64_inc(&memx_srv.st.tx_fail);
	return skb;
}

static void memx_srv_send(struct memx_srv_rq *r, struct sk_buff *skb)
{
	if (memx_port_xmit(r->port, skb, r->src))
		atomic64_inc(&memx_srv.st.tx_fail);
}

/* A reply without payload (ACK, ERROR, DATA with MEMX_F_ZERO). */
static void memx_srv_reply_flags(struct memx_srv_rq *r, u8 type, u8 flags,
				 u8 status, u32 session, u32 count, u64 page)
{
	struct memx_msg m = {
		.type = type,
		.flags = flags,
		.status = status,
		.session = session,
		.srv_gen = memx_srv.srv_gen,
		.cli_gen = r->m->cli_gen,
		.tag = r->m->tag,
		.count = count,
		.seq = r->m->seq,
		.page = page,
	};
	struct sk_buff *skb;

	if (type == MEMX_T_ERROR && status <= MEMX_S_MAX)
		atomic64_inc(&memx_srv.st.errors[status]);
	skb = memx_srv_skb(r);
	if (!skb)
		return;
	memx_build_hdr((struct memx_hdr *)skb->data, &m);
	memx_srv_send(r, skb);
}

static void memx_srv_reply(struct memx_srv_rq *r, u8 type, u8 status,
			   u32 session, u32 count)
{
	memx_srv_reply_flags(r, type, 0, status, session, count, r->m->page);
}

static void memx_srv_error(struct memx_srv_rq *r, u8 status)
{
	memx_srv_reply(r, MEMX_T_ERROR, status, r->m->session, 0);
}

static u32 memx_count(unsigned long npages)
{
	return npages > U32_MAX ? U32_MAX : npages;
}

static void memx_srv_ack(struct memx_srv_rq *r, struct memx_session *s)
{
	memx_srv_reply(r, MEMX_T_ACK, MEMX_S_OK, s->id,
		       memx_count(READ_ONCE(s->npages)));
}

/*
 * The last page of a write request (a WRITE without MEMX_F_MORE) is stored
 * or was already: acknowledge the request's pages up to it (the WRITE's
 * count). All stored: one ACK with MEMX_F_RUN. Some missing (a frame lost
 * or late): an ACK for each page that is there, so the client resends
 * only the others, and a later copy of this page acknowledges the rest.
 */
static void memx_srv_ack_write(struct memx_srv_rq *r, struct memx_session *s)
{
	const struct memx_msg *req = r->m;
	u64 first = req->page - (req->count - 1);
	unsigned long stored;
	u32 held, i;

	if (req->count == 1) {
		memx_srv_ack(r, s);
		return;
	}
	if (memx_store_applied(s, first, req->count, req->seq, &stored)) {
		/* Closed since the page was stored: nothing of it is left. */
		memx_srv_error(r, MEMX_S_NOSESSION);
		return;
	}
	held = memx_count(READ_ONCE(s->npages));
	if (stored == GENMASK(req->count - 1, 0)) {
		memx_srv_reply_flags(r, MEMX_T_ACK, MEMX_F_RUN, MEMX_S_OK,
				     s->id, held, req->page);
		return;
	}
	for_each_set_bit(i, &stored, req->count)
		memx_srv_reply_flags(r, MEMX_T_ACK, 0, MEMX_S_OK, s->id, held,
				     first + i);
}

/*
 * Send one page (or a ZERO marker) as DATA fragments. Return: MEMX_S_OK,
 * MEMX_S_BUSY (out of memory, partly sent) or MEMX_S_NOSESSION (closed).
 */
static int memx_send_page(struct memx_srv_rq *r, struct memx_session *s,
			  u64 index, unsigned int chunk)
{
	struct memx_msg m = {
		.type = MEMX_T_DATA,
		.session = s->id,
		.srv_gen = memx_srv.srv_gen,
		.cli_gen = r->m->cli_gen,
		.tag = r->m->tag,
		.count = 1,
		.seq = r->m->seq,
		.page = index,
		.total_len = MEMX_PAGE_SIZE,
	};
	struct sk_buff *skb;
	struct page *page;
	unsigned int off;
	int st;

	st = memx_store_read(s, index, &page);
	if (st != MEMX_S_OK)
		return st;
	if (!page) {
		memx_srv_reply_flags(r, MEMX_T_DATA, MEMX_F_ZERO, MEMX_S_OK,
				     s->id, 1, index);
		return MEMX_S_OK;
	}
	/*
	 * Stored pages are never written in place (a write stores a new
	 * page): no torn reads, and each fragment can carry the stored page
	 * itself (a reference, not a copy), however long it stays queued.
	 */
	for (off = 0; off < MEMX_PAGE_SIZE; off += chunk) {
		m.frag_off = off;
		m.frag_len = min(chunk, MEMX_PAGE_SIZE - off);
		skb = memx_srv_skb(r);
		if (!skb) {
			st = MEMX_S_BUSY;
			break;
		}
		memx_build_hdr((struct memx_hdr *)skb->data, &m);
		memx_skb_attach_page(skb, page, off, m.frag_len);
		memx_srv_send(r, skb);
	}
	put_page(page);
	return st;
}

static void memx_srv_read(struct memx_srv_rq *r, struct memx_session *s)
{
	unsigned int chunk = memx_frag_chunk(READ_ONCE(r->port->mtu));
	const struct memx_msg *m = r->m;
	u32 i;
	int st;

	/*
	 * The client's own limit (its MTU may be smaller than ours): the
	 * parser checked it is whole MEMX_FRAG_UNITs of at most a page.
	 */
	if (m->frag_len)
		chunk = min_t(unsigned int, chunk, m->frag_len);
	if (!chunk) {
		memx_srv_error(r, MEMX_S_BADREQ);
		return;
	}
	for (i = 0; i < m->count; i++) {
		st = memx_send_page(r, s, m->page + i, chunk);
		if (st != MEMX_S_OK) {
			/* BUSY: partly sent, the client retries soon. */
			memx_srv_error(r, st);
			return;
		}
	}
}

static void memx_srv_write(struct memx_srv_rq *r, struct sk_buff *skb,
			   struct memx_session *s)
{
	const struct memx_msg *m = r->m;
	bool last = m->frag_off + m->frag_len == MEMX_PAGE_SIZE;
	struct page *page;
	bool stale;
	int st;

	/*
	 * Refused (server full, session closed): answer every fragment,
	 * and take neither a reassembly slot nor a page for it. Already
	 * applied or superseded (a retransmission whose ACK was lost, a
	 * late duplicate): acknowledge once per copy of the page (its last
	 * fragment), likewise without a slot; a request's last page
	 * acknowledges the request's stored pages.
	 */
	st = memx_store_write_check(s, m->page, m->seq, &stale);
	if (st != MEMX_S_OK) {
		memx_srv_error(r, st);
		return;
	}
	if (stale) {
		atomic64_inc(&memx_srv.st.stale_writes);
		if (!last)
			return;
		/* A MORE page sent again: its ACK was lost, or never due. */
		if (m->flags & MEMX_F_MORE)
			memx_srv_ack(r, s);
		else
			memx_srv_ack_write(r, s);
		return;
	}

	if (m->frag_off == 0 && m->frag_len == MEMX_PAGE_SIZE) {
		page = memx_page_get();
		if (!page) {
			memx_srv_error(r, MEMX_S_BUSY);
			return;
		}
		if (WARN_ON_ONCE(skb_copy_bits(skb, MEMX_HDR_LEN,
					       page_address(page),
					       MEMX_PAGE_SIZE))) {
			memx_page_free(page);
			return;
		}
	} else {
		st = memx_write_frag(s, m, skb, &page);
		if (st != MEMX_S_OK) {
			memx_srv_error(r, st);
			return;
		}
		if (!page)
			return;		/* more fragments to come */
	}

	st = memx_store_write(s, m->page, m->seq, page);
	if (st != MEMX_S_OK)
		memx_srv_error(r, st);
	else if (!(m->flags & MEMX_F_MORE))
		memx_srv_ack_write(r, s);
}

static void memx_srv_open(struct memx_srv_rq *r)
{
	unsigned long npages;
	u32 id;
	int err;

	/*
	 * Draining: a client that has a session here finds it again (its
	 * extents are still here until it moved them), a new one is told
	 * BUSY: it may come back once the drain is stopped, and BUSY is what
	 * clients already take as "not now" (UNSUPP would mean "never").
	 */
	err = memx_session_open(r->src, r->m->cli_gen,
				!READ_ONCE(memx_srv.draining), &id, &npages);
	if (err) {
		/* Full (max_sessions), draining, no memory: all may pass. */
		memx_srv_error(r, MEMX_S_BUSY);
		return;
	}
	memx_srv_reply(r, MEMX_T_ACK, MEMX_S_OK, id, memx_count(npages));
}

/* Return: true when the frame became a reply's (memx_srv_skb()). */
static bool memx_srv_rx(struct memx_port *port, struct sk_buff *skb,
			const struct memx_msg *m, const u8 *src)
{
	struct memx_srv_rq r = {
		.port = port,
		.m = m,
		.src = src,
		.spare = skb,
	};
	struct memx_session *s;

	switch (m->type) {
	case MEMX_T_DISCOVER:
		memx_advert_send(port, src);
		return r.taken;
	case MEMX_T_OPEN:
	case MEMX_T_CLOSE:
	case MEMX_T_WRITE:
	case MEMX_T_READ:
	case MEMX_T_DISCARD:
		break;
	default:
		/* ADVERTs of other servers, stray replies. */
		atomic64_inc(&memx_srv.st.ignored);
		return r.taken;
	}

	if (m->flags & MEMX_F_AUTH) {
		memx_srv_error(&r, MEMX_S_UNSUPP);
		return r.taken;
	}
	if (m->type == MEMX_T_OPEN) {
		memx_srv_open(&r);
		return r.taken;
	}
	/*
	 * A WRITE's pages end at page; memx_parse_hdr() ruled out an
	 * overflow for the others.
	 */
	if (m->type != MEMX_T_CLOSE &&
	    m->page + memx_msg_pages_from(m) > MEMX_SRV_MAX_PAGE_INDEX) {
		memx_srv_error(&r, MEMX_S_BADREQ);
		return r.taken;
	}

	s = NULL;
	if (m->srv_gen == memx_srv.srv_gen)
		s = memx_session_lookup(m->session);
	if (s && (s->cli_gen != m->cli_gen || !ether_addr_equal(s->mac, src))) {
		memx_session_put(s);
		s = NULL;
	}
	if (!s) {
		/* Closing what is not there is done already. */
		if (m->type == MEMX_T_CLOSE)
			memx_srv_reply(&r, MEMX_T_ACK, MEMX_S_OK, m->session,
				       0);
		else
			memx_srv_error(&r, MEMX_S_NOSESSION);
		return r.taken;
	}

	switch (m->type) {
	case MEMX_T_WRITE:
		memx_srv_write(&r, skb, s);
		break;
	case MEMX_T_READ:
		memx_srv_read(&r, s);
		break;
	case MEMX_T_DISCARD:
		if (memx_store_discard(s, m->page, m->count, m->seq))
			memx_srv_error(&r, MEMX_S_NOSESSION);
		else
			memx_srv_ack(&r, s);
		break;
	case MEMX_T_CLOSE:
		memx_session_close(s);
		memx_srv_reply(&r, MEMX_T_ACK, MEMX_S_OK, s->id, 0);
		break;
	}
	memx_session_put(s);
	return r.taken;
}

static void memx_srv_event(struct memx_port *port, unsigned long event)
{
	switch (event) {
	case NETDEV_UP:
		pr_info("%s: up, advertising\n", port->ifname);
		memx_advert_send(port, NULL);
		break;
	case NETDEV_DOWN:
		pr_info("%s: down, adverts stopped\n", port->ifname);
		break;
	case NETDEV_UNREGISTER:
		pr_info("%s: gone, still serving on the other interfaces\n",
			port->ifname);
		break;
	}
}

const struct memx_port_ops memx_srv_port_ops = {
	.rx = memx_srv_rx,
	.event = memx_srv_event,
};
