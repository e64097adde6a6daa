// SPDX-License-Identifier: GPL-2.0
/*
 * Advertisements: broadcast every second on every port that is up, and sent
 * to a client that asks (DISCOVER). The same timer measures the receive
 * load and expires stale reassemblies.
 *
 * At rmmod, memx_advert_stop() sets ->stopping (no advert is sent and the
 * timer does not re-arm afterwards) and waits for a running timer, before
 * the ports are closed. Before that, rmmod of a server that holds pages
 * drains it (memx_drain_unload()): the timer keeps advertising
 * MEMX_ADV_DRAINING, and the receive path keeps serving, while rmmod waits.
 */
#include <linux/etherdevice.h>
#include <linux/jiffies.h>
#include "memx_server.h"

static const u8 memx_bcast[ETH_ALEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/**
 * memx_advert_send() - send an advertisement
 * @port: where
 * @dst: to whom (NULL: broadcast)
 */
void memx_advert_send(struct memx_port *port, const u8 *dst)
{
	struct memx_srv *srv = &memx_srv;
	struct memx_msg m = {
		.type = MEMX_T_ADVERT,
		.srv_gen = srv->srv_gen,
		.frag_len = sizeof(struct memx_advert),
		.total_len = sizeof(struct memx_advert),
	};
	struct memx_advert_info info = {};
	struct sk_buff *skb;
	s64 used;

	if (READ_ONCE(srv->stopping) || !READ_ONCE(port->up))
		return;

	used = atomic64_read(&srv->used_pages);
	info.capacity_pages = srv->capacity_pages;
	info.free_pages = used >= (s64)srv->capacity_pages ? 0 :
			  srv->capacity_pages - used;
	info.load = READ_ONCE(srv->load);
	info.sessions = memx_session_count();
	info.mtu = min_t(unsigned int, READ_ONCE(port->mtu), U16_MAX);
	info.flags = READ_ONCE(srv->draining) ? MEMX_ADV_DRAINING : 0;

	skb = memx_port_alloc_skb(port, sizeof(struct memx_advert),
				  GFP_ATOMIC);
	if (!skb) {
		atomic64_inc(&srv->st.tx_fail);
		return;
	}
	memx_build_hdr((struct memx_hdr *)skb->data, &m);
	memx_advert_encode(skb_put(skb, sizeof(struct memx_advert)), &info);
	if (memx_port_xmit(port, skb, dst ? dst : memx_bcast))
		atomic64_inc(&srv->st.tx_fail);
}

/* An advert on every port now (process context or softirq). */
void memx_advert_all(void)
{
	unsigned int i;

	for (i = 0; i < memx_srv.nports; i++)
		memx_advert_send(&memx_srv.ports[i], NULL);
}

/**
 * memx_drain_set() - start or stop draining (sysfs "drain")
 * @on: drain
 *
 * Clients move their extents away from a draining server and then close
 * their sessions; it keeps serving what it holds meanwhile. One advert
 * goes out at once, so they learn it now rather than within a second.
 * Return: 0, or -EBUSY to stop a drain that rmmod started.
 */
int memx_drain_set(bool on)
{
	struct memx_srv *srv = &memx_srv;
	bool changed;

	spin_lock(&srv->drain_lock);
	if (srv->unloading && !on) {
		spin_unlock(&srv->drain_lock);
		return -EBUSY;
	}
	changed = srv->draining != on;
	WRITE_ONCE(srv->draining, on);
	spin_unlock(&srv->drain_lock);
	if (changed) {
		pr_info("%s: %lld pages held, %u sessions\n",
			on ? "draining" : "drain stopped",
			atomic64_read(&srv->used_pages), memx_session_count());
		memx_advert_all();
	}
	return 0;
}

/* rmmod: drain, for good. */
void memx_drain_unload(void)
{
	struct memx_srv *srv = &memx_srv;

	spin_lock(&srv->drain_lock);
	srv->unloading = true;
	WRITE_ONCE(srv->draining, true);
	spin_unlock(&srv->drain_lock);
	memx_advert_all();
}

static void memx_advert_tick(struct timer_list *t)
{
	struct memx_srv *srv = timer_container_of(srv, t, advert_timer);
	u64 frames;

	if (READ_ONCE(srv->stopping))
		return;

	frames = memx_frames_in();
	WRITE_ONCE(srv->load, min_t(u64, (frames - srv->load_last) / 16,
				    U32_MAX));
	srv->load_last = frames;

	memx_advert_all();
	memx_reasm_expire_all();

	if (!READ_ONCE(srv->stopping))
		mod_timer(&srv->advert_timer, jiffies + HZ);
}

void memx_advert_start(void)
{
	struct memx_srv *srv = &memx_srv;

	srv->load_last = memx_frames_in();
	timer_setup(&srv->advert_timer, memx_advert_tick, 0);
	/* The first advert goes out at once: clients find us quickly. */
	mod_timer(&srv->advert_timer, jiffies + 1);
}

void memx_advert_stop(void)
{
	struct memx_srv *srv = &memx_srv;

	WRITE_ONCE(srv->stopping, true);
	timer_delete_sync(&srv->advert_timer);
}
