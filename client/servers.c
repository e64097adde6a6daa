// SPDX-License-Identifier: GPL-2.0
/*
 * The server table: soft state built from advertisements.
 *
 * A server appears with its first advert (DISCOVER asks for one), gets an
 * OPEN (our cli_gen) and is usable once the OPEN's ACK gives a session.
 * Its srv_gen is random per server load: a new one means the server
 * restarted and lost what we stored there, so its extents become lost and
 * a new session is opened. Without adverts for MEMX_SUSPECT_AFTER it is
 * suspect and gets no new extents; with nothing heard from it (advert or
 * reply) for MEMX_DEAD_AFTER it is dead, and while other servers are
 * heard, requests to it fail at once with EIO instead of each waiting
 * io_timeout (memx_server_gone()). Otherwise requests keep trying until
 * io_timeout.
 */
#include <linux/etherdevice.h>
#include <linux/random.h>
#include <linux/delay.h>
#include "memx_client.h"

static const u8 memx_bcast[ETH_ALEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static int memx_parse_macs(struct memx_dev *d, const char *list)
{
	const char *p = list;

	d->nr_allowed = 0;
	if (!list || !*list)
		return 0;
	while (*p) {
		char buf[18];
		size_t n = strcspn(p, ",");

		if (d->nr_allowed == MEMX_MAX_SERVERS) {
			pr_err("servers=: at most %u MAC addresses\n",
			       MEMX_MAX_SERVERS);
			return -EINVAL;
		}
		if (n != 17) {
			pr_err("servers=: '%.*s' is not a MAC address (xx:xx:xx:xx:xx:xx)\n",
			       (int)min_t(size_t, n, 32), p);
			return -EINVAL;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (!mac_pton(buf, d->allowed[d->nr_allowed]) ||
		    !is_valid_ether_addr(d->allowed[d->nr_allowed])) {
			pr_err("servers=: '%s' is not a unicast MAC address\n",
			       buf);
			return -EINVAL;
		}
		d->nr_allowed++;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool memx_server_allowed(struct memx_dev *d, const u8 *mac)
{
	unsigned int i;

	if (!d->nr_allowed)
		return true;
	for (i = 0; i < d->nr_allowed; i++)
		if (ether_addr_equal(d->allowed[i], mac))
			return true;
	return false;
}

/* The slot holds a server (whose MAC is then readable). */
bool memx_server_used(const struct memx_server *srv)
{
	/* Pairs with the release in memx_server_claim(). */
	return smp_load_acquire(&srv->used);
}

/* Nothing heard from it, advert or reply, for @t jiffies. */
bool memx_server_silent(const struct memx_server *srv, unsigned long t)
{
	return !time_before(jiffies, READ_ONCE(srv->last_heard) + t);
}

/* A read may go there now (lockless: the caller rechecks under the lock). */
bool memx_server_usable(const struct memx_server *srv)
{
	return READ_ONCE(srv->state) == MEMX_SRV_OPEN && !READ_ONCE(srv->losing);
}

bool memx_server_alive(const struct memx_server *srv)
{
	return time_before(jiffies,
			   READ_ONCE(srv->last_advert) + MEMX_SUSPECT_AFTER);
}

const char *memx_server_liveness(const struct memx_server *srv)
{
	unsigned long last = READ_ONCE(srv->last_advert);

	if (time_before(jiffies, last + MEMX_SUSPECT_AFTER))
		return READ_ONCE(srv->draining) ? "draining" : "alive";
	if (!memx_server_dead(srv))
		return "suspect";
	return "dead";
}

/* Dead: nothing heard from it, advert or reply, for MEMX_DEAD_AFTER. */
bool memx_server_dead(const struct memx_server *srv)
{
	return memx_server_silent(srv, MEMX_DEAD_AFTER);
}

/*
 * Requests to a dead server fail at once (memx_req_issue()), but only while
 * we hear others: if nothing reaches us at all (our link is down, or the
 * stack drops what we receive under memory pressure) the fault may be ours,
 * and requests keep trying until io_timeout.
 */
bool memx_server_gone(struct memx_dev *d, const struct memx_server *srv)
{
	return memx_server_dead(srv) &&
	       time_before(jiffies, READ_ONCE(d->last_rx) + MEMX_SUSPECT_AFTER);
}

struct memx_server *memx_server_find(struct memx_dev *d, const u8 *mac)
{
	unsigned int i;

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (memx_server_used(srv) &&
		    ether_addr_equal(srv->mac, mac))
			return srv;
	}
	return NULL;
}

/* A slot for a new server, or NULL when the table is full. */
static struct memx_server *memx_server_claim(struct memx_dev *d,
					     const u8 *mac)
{
	struct memx_server *srv;
	unsigned int i;

	spin_lock_bh(&d->srv_lock);
	srv = memx_server_find(d, mac);
	if (srv)
		goto out;
	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		if (!d->servers[i].used) {
			srv = &d->servers[i];
			ether_addr_copy(srv->mac, mac);
			WRITE_ONCE(srv->last_advert, jiffies);
			WRITE_ONCE(srv->last_heard, jiffies);
			srv->found = jiffies;
			/* jiffies starts near a wrap: never leave 0 here */
			WRITE_ONCE(srv->last_reply, jiffies - 1);
			srv->open_sent = jiffies - HZ;
			/* Publish the slot after its MAC: memx_server_used(). */
			smp_store_release(&srv->used, true);
			pr_info("server %pM found (slot %u)\n", mac, i);
			goto out;
		}
	}
	pr_warn_ratelimited("server %pM ignored: %u servers known already\n",
			    mac, MEMX_MAX_SERVERS);
out:
	spin_unlock_bh(&d->srv_lock);
	return srv;
}

/*
 * Send OPEN or CLOSE to @srv, with a new seq, or with @again the seq of
 * the last one (a retransmitted CLOSE: an ACK to any copy matches).
 */
static void memx_server_send_ctrl_seq(struct memx_dev *d,
				      struct memx_server *srv, u8 type,
				      bool again)
{
	struct memx_msg m = {
		.type = type,
		.session = type == MEMX_T_CLOSE ? srv->session : 0,
		.srv_gen = srv->srv_gen,
		.cli_gen = d->cli_gen,
		.tag = MEMX_TAG_CTRL,
	};
	struct sk_buff *skb;

	lockdep_assert_held(&srv->lock);
	if (!again)
		srv->open_seq = atomic64_inc_return(&d->seq);
	m.seq = srv->open_seq;
	if (type == MEMX_T_OPEN)
		srv->open_sent = jiffies;
	skb = memx_frame(d, &m, 0, MEMX_GFP_IO);
	if (!skb || memx_port_xmit(&d->port, skb, srv->mac))
		atomic64_inc(&d->stats.tx_failed);
}

static void memx_server_send_ctrl(struct memx_dev *d, struct memx_server *srv,
				  u8 type)
{
	memx_server_send_ctrl_seq(d, srv, type, false);
}

static void memx_send_discover(struct memx_dev *d)
{
	struct memx_msg m = {
		.type = MEMX_T_DISCOVER,
		.cli_gen = d->cli_gen,
	};
	struct sk_buff *skb;

	skb = memx_frame(d, &m, 0, MEMX_GFP_IO);
	if (!skb || memx_port_xmit(&d->port, skb, memx_bcast))
		atomic64_inc(&d->stats.tx_failed);
}

/*
 * Forget @srv's session (under @srv->lock, held by the caller): if @lose,
 * the pages we stored there are gone. Marking them lost takes a walk of
 * the extent table, done by @srv->lose_work; until it is done @losing
 * keeps OPEN from being sent or accepted (struct memx_server), so the
 * reset and the loss are one step as far as a new session can tell.
 */
static void memx_server_reset(struct memx_dev *d, struct memx_server *srv,
			      u32 gen, bool lose)
{
	lockdep_assert_held(&srv->lock);
	if (srv->state == MEMX_SRV_OPEN)
		atomic64_inc(&d->stats.sessions_lost);
	srv->state = MEMX_SRV_NEW;
	srv->session = 0;
	srv->srv_gen = gen;
	srv->open_sent = jiffies - HZ;
	/* A new session starts empty: nothing left to evict. */
	srv->evicting = false;
	if (lose) {
		srv->losing = true;
		srv->lose_seq++;
		queue_work(d->wq, &srv->lose_work);
	}
}

/* May an OPEN go to @srv now? Not while it drains: it would refuse. */
static bool memx_server_may_open(struct memx_dev *d, struct memx_server *srv)
{
	lockdep_assert_held(&srv->lock);
	return srv->state == MEMX_SRV_NEW && !srv->losing && !srv->draining &&
	       !READ_ONCE(d->stopping);
}

/**
 * memx_server_close_empty() - close our session on a drained or evicted
 *	server
 * @d: the device
 * @srv: a draining or evicted server the mover found none of our extents on
 *
 * Under place_lock, so no extent is placed there meanwhile (none is placed
 * on a draining or evicted server anyway), and only while its count of our
 * extents is 0. The CLOSE's ACK takes it back to NEW (not CLOSED, which is
 * for unload): a drained server is opened again once it stops draining,
 * an evicted one at once, with a new, empty session.
 */
void memx_server_close_empty(struct memx_dev *d, struct memx_server *srv)
{
	bool closing = false;

	spin_lock_bh(&d->place_lock);
	spin_lock(&srv->lock);
	if (srv->state == MEMX_SRV_OPEN && (srv->draining || srv->evicting) &&
	    !srv->extents && !READ_ONCE(d->stopping)) {
		srv->state = MEMX_SRV_CLOSING;
		memx_server_send_ctrl(d, srv, MEMX_T_CLOSE);
		closing = true;
	}
	spin_unlock(&srv->lock);
	spin_unlock_bh(&d->place_lock);
	if (closing)
		pr_info("server %pM %s: closing our session %08x\n", srv->mac,
			srv->evicting ? "evicted" : "drained", srv->session);
}

/**
 * memx_server_evict() - @srv missed a write, or died (replicas > 1)
 * @d: the device
 * @srv: the server
 * @why: what happened, for the log
 *
 * None of its copies is trusted for new work any more: the mover drops
 * them wherever the extent has another copy, and makes new ones elsewhere;
 * once it holds none, our session there is closed (its pages are freed)
 * and the server rejoins with a new, empty one. With one replica nothing
 * is evicted: its copies are the only ones. Any context (takes srv->lock).
 */
void memx_server_evict(struct memx_dev *d, struct memx_server *srv,
		       const char *why)
{
	bool now = false;

	if (d->replicas < 2)
		return;
	spin_lock_bh(&srv->lock);
	if (srv->state == MEMX_SRV_OPEN && !srv->evicting) {
		srv->evicting = true;
		now = true;
	}
	spin_unlock_bh(&srv->lock);
	if (now) {
		pr_warn("server %pM %s: evicted, its copies are made again elsewhere\n",
			srv->mac, why);
		memx_mover_kick(d);
	}
}

/* After a reset: mark @srv's extents lost, then open a new session. */
static void memx_lose_work(struct work_struct *work)
{
	struct memx_server *srv = container_of(work, struct memx_server,
					       lose_work);
	struct memx_dev *d = srv->dev;
	u32 seq;

	spin_lock_bh(&srv->lock);
	if (!srv->losing) {
		spin_unlock_bh(&srv->lock);
		return;
	}
	seq = srv->lose_seq;
	spin_unlock_bh(&srv->lock);

	memx_place_lose(d, srv);

	spin_lock_bh(&srv->lock);
	if (srv->lose_seq == seq) {
		srv->losing = false;
		if (memx_server_may_open(d, srv))
			memx_server_send_ctrl(d, srv, MEMX_T_OPEN);
	}
	/* Else another reset came meanwhile and queued us again. */
	spin_unlock_bh(&srv->lock);
}

/**
 * memx_server_session_lost() - a request was told NOSESSION
 * @d: the device
 * @srv: the server that said so
 * @srv_gen: the server generation the request was sent on
 * @session: the session the request was sent on
 *
 * If that is still the current session, the server no longer has it, nor
 * our pages: lose its extents and open a new session.
 */
void memx_server_session_lost(struct memx_dev *d, struct memx_server *srv,
			      u32 srv_gen, u32 session)
{
	bool lost = false;

	spin_lock_bh(&srv->lock);
	if (srv->state == MEMX_SRV_OPEN && srv->session == session &&
	    srv->srv_gen == srv_gen) {
		memx_server_reset(d, srv, srv->srv_gen, true);
		lost = true;
	}
	spin_unlock_bh(&srv->lock);
	if (lost)
		pr_warn("server %pM: session %08x unknown to the server\n",
			srv->mac, session);
}

static void memx_advert_rx(struct memx_dev *d, struct memx_server *srv,
			   struct sk_buff *skb, const struct memx_msg *m,
			   const u8 *src)
{
	struct memx_advert_info info;
	bool restarted = false, drain = false;
	struct memx_advert a;

	if (m->payload_len < sizeof(a) ||
	    skb_copy_bits(skb, MEMX_HDR_LEN, &a, sizeof(a)) ||
	    memx_advert_decode(&a, &info) != MEMX_DROP_NONE ||
	    !m->srv_gen)
		return;
	if (!srv) {
		if (!is_valid_ether_addr(src) || !memx_server_allowed(d, src))
			return;
		srv = memx_server_claim(d, src);
		if (!srv)
			return;
	}

	spin_lock_bh(&srv->lock);
	/* A drained server's CLOSE in flight: it restarted, session gone. */
	if (srv->srv_gen != m->srv_gen && srv->state != MEMX_SRV_CLOSED &&
	    (srv->state != MEMX_SRV_CLOSING || !READ_ONCE(d->stopping))) {
		restarted = srv->srv_gen != 0;
		memx_server_reset(d, srv, m->srv_gen, restarted);
	}
	srv->capacity = info.capacity_pages;
	srv->free = info.free_pages;
	srv->placed = 0;
	srv->load = info.load;
	srv->mtu = info.mtu;
	if (!srv->draining && (info.flags & MEMX_ADV_DRAINING) &&
	    srv->state == MEMX_SRV_OPEN)
		pr_info("server %pM is draining: moving our extents away\n",
			srv->mac);
	WRITE_ONCE(srv->draining, info.flags & MEMX_ADV_DRAINING);
	drain = srv->draining && srv->state == MEMX_SRV_OPEN;
	WRITE_ONCE(srv->last_advert, jiffies);
	WRITE_ONCE(srv->last_heard, jiffies);
	if (memx_server_may_open(d, srv) &&
	    time_after(jiffies, srv->open_sent + HZ / 4))
		memx_server_send_ctrl(d, srv, MEMX_T_OPEN);
	spin_unlock_bh(&srv->lock);

	if (restarted)
		pr_warn("server %pM restarted (generation %08x)\n", srv->mac,
			m->srv_gen);
	if (drain)
		memx_mover_kick(d);
}

/* ACK or ERROR to our OPEN or CLOSE. */
static void memx_ctrl_rx(struct memx_dev *d, struct memx_server *srv,
			 const struct memx_msg *m)
{
	bool restarted = false;

	spin_lock_bh(&srv->lock);
	/* 0: nothing outstanding (a CLOSE was acknowledged already). */
	if (!m->seq || m->seq != srv->open_seq) {
		spin_unlock_bh(&srv->lock);
		atomic64_inc(&d->stats.late_replies);
		return;
	}
	if (m->type == MEMX_T_ERROR) {
		spin_unlock_bh(&srv->lock);
		pr_warn_ratelimited("server %pM refused %s: status %u\n",
				    srv->mac,
				    srv->state == MEMX_SRV_CLOSING ?
				    "CLOSE" : "OPEN", m->status);
		return;
	}
	switch (srv->state) {
	case MEMX_SRV_NEW:
		/* No session while our extents there are being lost. */
		if (!m->session || !m->srv_gen || srv->losing)
			break;
		if (srv->srv_gen && srv->srv_gen != m->srv_gen) {
			/*
			 * It restarted since its last advert: what we stored
			 * there is gone. Lose it first; OPEN again after.
			 */
			restarted = true;
			memx_server_reset(d, srv, m->srv_gen, true);
			break;
		}
		srv->srv_gen = m->srv_gen;
		srv->session = m->session;
		srv->pages_held = m->count;
		srv->state = MEMX_SRV_OPEN;
		atomic64_inc(&d->stats.sessions_opened);
		pr_info("server %pM: session %08x open\n", srv->mac, m->session);
		break;
	case MEMX_SRV_CLOSING:
		atomic64_inc(&d->stats.sessions_closed);
		srv->pages_held = 0;
		if (READ_ONCE(d->stopping)) {
			srv->state = MEMX_SRV_CLOSED;
			break;
		}
		/*
		 * A drained server: open again once it stops draining; an
		 * evicted one: at once, with a new, empty session.
		 */
		srv->state = MEMX_SRV_NEW;
		srv->session = 0;
		srv->evicting = false;
		srv->open_sent = jiffies - HZ;
		/*
		 * The ACKs of the CLOSE's retransmissions carry its seq and
		 * the session closed: none may pass for the next OPEN's.
		 */
		srv->open_seq = 0;
		pr_info("server %pM: session closed\n", srv->mac);
		break;
	default:
		break;
	}
	spin_unlock_bh(&srv->lock);
	if (restarted)
		pr_warn("server %pM restarted (generation %08x)\n", srv->mac,
			m->srv_gen);
}

static bool memx_rx(struct memx_port *port, struct sk_buff *skb,
		    const struct memx_msg *m, const u8 *src)
{
	struct memx_dev *d = port->priv;
	struct memx_server *srv;

	/*
	 * Authentication does not exist yet: a frame claiming it cannot be
	 * checked, so it is never trusted. The parser lets MEMX_F_AUTH
	 * through for servers to answer UNSUPP; a client has nothing to
	 * answer: count it as malformed and drop it.
	 */
	if (unlikely(m->flags & MEMX_F_AUTH)) {
		atomic64_inc(&port->rx_drop[MEMX_DROP_FLAGS]);
		return false;
	}
	srv = memx_server_find(d, src);
	if (time_after(jiffies, READ_ONCE(d->last_rx)))
		WRITE_ONCE(d->last_rx, jiffies);
	switch (m->type) {
	case MEMX_T_ADVERT:
		memx_advert_rx(d, srv, skb, m, src);
		break;
	case MEMX_T_ACK:
	case MEMX_T_ERROR:
	case MEMX_T_DATA:
		if (!srv) {
			atomic64_inc(&d->stats.late_replies);
			break;
		}
		/* once a jiffy is enough: spare the cache line */
		if (time_after(jiffies, READ_ONCE(srv->last_reply))) {
			WRITE_ONCE(srv->last_reply, jiffies);
			WRITE_ONCE(srv->last_heard, jiffies);
		}
		if (m->tag == MEMX_TAG_CTRL && m->type != MEMX_T_DATA)
			memx_ctrl_rx(d, srv, m);
		else
			memx_req_rx(d, srv, skb, m);
		break;
	default:
		/* Requests of other clients on the segment: not for us. */
		break;
	}
	return false;
}

static void memx_event(struct memx_port *port, unsigned long event)
{
	struct memx_dev *d = port->priv;

	switch (event) {
	case NETDEV_UP:
		pr_info("%s up\n", port->ifname);
		memx_send_discover(d);
		break;
	case NETDEV_DOWN:
		pr_warn("%s down: requests retry until io_timeout\n",
			port->ifname);
		break;
	case NETDEV_UNREGISTER:
		pr_warn("%s unregistered: requests fail after io_timeout\n",
			port->ifname);
		break;
	default:
		break;
	}
}

const struct memx_port_ops memx_client_port_ops = {
	.rx = memx_rx,
	.event = memx_event,
};

/* Every second: liveness, OPEN retries, DISCOVER while nobody is known. */
static void memx_hk_timer(struct timer_list *t)
{
	struct memx_dev *d = timer_container_of(d, t, hk_timer);
	bool known = false, work = READ_ONCE(d->degraded);
	unsigned int i;
	u32 dead = 0;

	/*
	 * Unloading: CLOSE is on its way, an OPEN now would open a session
	 * nobody closes (memx_server_may_open() checks this too, for the
	 * OPENs sent from the receive path and lose_work).
	 */
	if (READ_ONCE(d->stopping))
		return;
	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		if (time_before(jiffies, srv->last_advert + MEMX_DEAD_AFTER)) {
			known = true;
			if (memx_server_may_open(d, srv) &&
			    time_after(jiffies, srv->open_sent + HZ / 2))
				memx_server_send_ctrl(d, srv, MEMX_T_OPEN);
			/* A drained server's CLOSE, until acknowledged. */
			if (srv->state == MEMX_SRV_CLOSING)
				memx_server_send_ctrl_seq(d, srv, MEMX_T_CLOSE,
							  true);
		}
		/* replicas > 1: a dead server's copies are made elsewhere. */
		if (d->replicas > 1 && srv->state == MEMX_SRV_OPEN &&
		    !srv->evicting && srv->extents && memx_server_gone(d, srv))
			dead |= BIT(i);
		if ((srv->draining && srv->state == MEMX_SRV_OPEN) ||
		    srv->evicting)
			work = true;
		spin_unlock_bh(&srv->lock);
	}
	for (i = 0; dead; i++) {
		if (!(dead & BIT(i)))
			continue;
		dead &= ~BIT(i);
		memx_server_evict(d, &d->servers[i], "is dead");
	}
	if (work)
		memx_mover_kick(d);
	if (!known)
		memx_send_discover(d);
	if (!READ_ONCE(d->stopping))
		mod_timer(&d->hk_timer, jiffies + HZ);
}

int memx_servers_init(struct memx_dev *d, const char *list)
{
	unsigned int i;
	int ret;

	ret = memx_parse_macs(d, list);
	if (ret)
		return ret;
	d->wq = alloc_workqueue("memx_client", WQ_MEM_RECLAIM, 0);
	if (!d->wq)
		return -ENOMEM;
	spin_lock_init(&d->srv_lock);
	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		spin_lock_init(&srv->lock);
		INIT_WORK(&srv->lose_work, memx_lose_work);
		srv->dev = d;
		srv->slot = i;
		memx_rtt_init(&srv->rtt, MEMX_RTO_INIT_US, MEMX_RTO_MIN_US,
			      MEMX_RTO_MAX_US);
		srv->cwnd = MEMX_CWND_INIT;
		srv->ssthresh = MEMX_CWND_MAX;
		INIT_LIST_HEAD(&srv->blocked);
	}
	do {
		d->cli_gen = get_random_u32();
	} while (!d->cli_gen);
	atomic64_set(&d->seq, 0);
	d->last_rx = jiffies - MEMX_DEAD_AFTER;
	timer_setup(&d->hk_timer, memx_hk_timer, 0);
	return 0;
}

void memx_servers_start(struct memx_dev *d)
{
	memx_send_discover(d);
	mod_timer(&d->hk_timer, jiffies + HZ);
}

/* CLOSE is sent again this often while unloading, for at most ... */
#define MEMX_CLOSE_RESEND_MS	100
/* ... this long in all. */
#define MEMX_CLOSE_WAIT_MS	2000
#define MEMX_CLOSE_POLL_MS	20

/*
 * Unload: stop housekeeping, CLOSE open sessions, and wait for the ACKs,
 * sending CLOSE again every MEMX_CLOSE_RESEND_MS (a lost CLOSE would
 * leave our pages on the server until it unloads).
 */
void memx_servers_stop(struct memx_dev *d)
{
	unsigned int i, waits;
	bool pending, resend;

	WRITE_ONCE(d->stopping, true);
	timer_delete_sync(&d->hk_timer);

	for (i = 0; i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		if (!memx_server_used(srv))
			continue;
		spin_lock_bh(&srv->lock);
		if (srv->state == MEMX_SRV_OPEN) {
			srv->state = MEMX_SRV_CLOSING;
			memx_server_send_ctrl(d, srv, MEMX_T_CLOSE);
		}
		spin_unlock_bh(&srv->lock);
	}

	for (waits = 0; waits < MEMX_CLOSE_WAIT_MS / MEMX_CLOSE_POLL_MS;
	     waits++) {
		pending = false;
		resend = waits && !(waits % (MEMX_CLOSE_RESEND_MS /
					     MEMX_CLOSE_POLL_MS));
		for (i = 0; i < MEMX_MAX_SERVERS; i++) {
			struct memx_server *srv = &d->servers[i];

			if (!memx_server_used(srv))
				continue;
			spin_lock_bh(&srv->lock);
			if (srv->state == MEMX_SRV_CLOSING) {
				pending = true;
				if (resend)
					memx_server_send_ctrl_seq(d, srv,
								  MEMX_T_CLOSE,
								  true);
			}
			spin_unlock_bh(&srv->lock);
		}
		if (!pending)
			break;
		msleep(MEMX_CLOSE_POLL_MS);
	}
	for (i = 0; pending && i < MEMX_MAX_SERVERS; i++) {
		struct memx_server *srv = &d->servers[i];

		spin_lock_bh(&srv->lock);
		if (srv->state == MEMX_SRV_CLOSING) {
			/* Its pages stay until the server drops the session. */
			pr_warn("server %pM did not acknowledge CLOSE\n",
				srv->mac);
			srv->state = MEMX_SRV_CLOSED;
			atomic64_inc(&d->stats.sessions_lost);
		}
		spin_unlock_bh(&srv->lock);
	}
}

/*
 * After memx_servers_stop() and memx_port_close(): nothing queues work
 * any more (receivers are done, timers stopped); finish what is queued.
 */
void memx_servers_exit(struct memx_dev *d)
{
	destroy_workqueue(d->wq);
	d->wq = NULL;
}
