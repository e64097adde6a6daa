// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: RMAP over one Ethernet interface each. Kernel only; the API and its
 * rules are in net.h.
 *
 * Lifetime of a port's device (the aoe CVE-2023-6270 hazard: a device
 * reference dropped while a transmit still used the device):
 *  - open, under RTNL: look the device up, take a tracked reference, bind a
 *    packet_type to it, publish port->dev.
 *  - detach (NETDEV_UNREGISTER, or close), under RTNL: clear port->dev, then
 *    dev_remove_pack(), which waits (synchronize_net) for every receiver in
 *    flight and for every RCU reader that may still hold the old port->dev
 *    (transmitters take it under rcu_read_lock); only then drop the
 *    reference. No frame is received or sent on the device afterwards.
 *
 * Lock order: RTNL, then memx_net_lock. The netdevice notifier runs with
 * RTNL held and walks memx_net_ports under memx_net_lock.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/sock.h>
#include "net.h"

/* Frames with more payload than this carry it in one page fragment. */
#define MEMX_LINEAR_MAX		2048U

/* Guards memx_net_ports (taken after RTNL). */
static DEFINE_MUTEX(memx_net_lock);
static LIST_HEAD(memx_net_ports);

static int memx_port_rcv(struct sk_buff *skb, struct net_device *dev,
			 struct packet_type *pt, struct net_device *orig_dev)
{
	struct memx_port *port = container_of(pt, struct memx_port, pt);
	u8 src[ETH_ALEN] __aligned(2);
	enum memx_drop why;
	struct memx_msg m;

	switch (skb->pkt_type) {
	case PACKET_HOST:
	case PACKET_BROADCAST:
	case PACKET_MULTICAST:
		break;
	default:
		/* OTHERHOST (promiscuous), our own outgoing frames, loopback */
		goto drop;
	}

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb) {
		atomic64_inc(&port->rx_nomem);
		return NET_RX_DROP;
	}

	atomic64_inc(&port->rx_frames);

	if (skb->len < MEMX_HDR_LEN) {
		why = MEMX_DROP_TRUNC;
		goto malformed;
	}
	if (!pskb_may_pull(skb, MEMX_HDR_LEN)) {
		atomic64_inc(&port->rx_nomem);
		goto drop;
	}

	/* A copy: a reply built in this frame rewrites its MAC header. */
	ether_addr_copy(src, eth_hdr(skb)->h_source);
	if (ether_addr_equal(src, dev->dev_addr))
		goto drop;	/* our own frame, looped back by a bridge */
	if (!is_valid_ether_addr(src)) {
		/* A multicast or zero source could turn replies into floods. */
		why = MEMX_DROP_FIELD;
		goto malformed;
	}

	why = memx_parse_hdr((const struct memx_hdr *)skb->data, skb->len, &m);
	if (why != MEMX_DROP_NONE)
		goto malformed;

	if (!port->ops->rx(port, skb, &m, src))
		consume_skb(skb);
	return NET_RX_SUCCESS;

malformed:
	if (why >= MEMX_DROP_MAX || why == MEMX_DROP_NONE)
		why = MEMX_DROP_FIELD;
	atomic64_inc(&port->rx_drop[why]);
drop:
	kfree_skb(skb);
	return NET_RX_DROP;
}

/* Under RTNL: unbind from the device and drop our reference. */
static void memx_port_detach(struct memx_port *port)
{
	struct net_device *dev = rtnl_dereference(port->dev);

	ASSERT_RTNL();
	if (!dev)
		return;
	WRITE_ONCE(port->up, false);
	RCU_INIT_POINTER(port->dev, NULL);
	/*
	 * dev_remove_pack() waits in synchronize_net() for receivers in
	 * flight and, as that is a full RCU grace period, for transmitters
	 * that loaded the old port->dev under rcu_read_lock().
	 */
	dev_remove_pack(&port->pt);
	port->pt.dev = NULL;
	netdev_put(dev, &port->tracker);
}

static int memx_net_event(struct notifier_block *nb, unsigned long event,
			  void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct memx_port *port;

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGEMTU:
	case NETDEV_UNREGISTER:
		break;
	default:
		return NOTIFY_DONE;
	}

	mutex_lock(&memx_net_lock);
	list_for_each_entry(port, &memx_net_ports, list) {
		if (rtnl_dereference(port->dev) != dev)
			continue;
		switch (event) {
		case NETDEV_UP:
		case NETDEV_DOWN:
			WRITE_ONCE(port->up, netif_running(dev));
			break;
		case NETDEV_CHANGEMTU:
			WRITE_ONCE(port->mtu, READ_ONCE(dev->mtu));
			break;
		case NETDEV_UNREGISTER:
			memx_port_detach(port);
			pr_info("%s: interface gone, port detached\n",
				port->ifname);
			break;
		}
		if (port->ops->event)
			port->ops->event(port, event);
	}
	mutex_unlock(&memx_net_lock);
	return NOTIFY_DONE;
}

static struct notifier_block memx_net_notifier = {
	.notifier_call = memx_net_event,
};

int memx_net_init(void)
{
	return register_netdevice_notifier(&memx_net_notifier);
}

void memx_net_exit(void)
{
	/* Every port is closed by now: the notifier's replay finds none. */
	WARN_ON(!list_empty(&memx_net_ports));
	unregister_netdevice_notifier(&memx_net_notifier);
}

int memx_port_open(struct memx_port *port, struct net *net,
		   const char *ifname, const struct memx_port_ops *ops,
		   void *priv)
{
	struct net_device *dev;
	int i, err;

	memset(port, 0, sizeof(*port));
	INIT_LIST_HEAD(&port->list);
	port->ops = ops;
	port->priv = priv;
	atomic64_set(&port->rx_frames, 0);
	atomic64_set(&port->tx_frames, 0);
	atomic64_set(&port->tx_errors, 0);
	atomic64_set(&port->rx_nomem, 0);
	for (i = 0; i < MEMX_DROP_MAX; i++)
		atomic64_set(&port->rx_drop[i], 0);

	if (!ops || !ops->rx)
		return -EINVAL;
	if (strscpy(port->ifname, ifname, sizeof(port->ifname)) <= 0)
		return -ENODEV;

	rtnl_lock();
	dev = __dev_get_by_name(net, port->ifname);
	if (!dev) {
		err = -ENODEV;
		goto out_unlock;
	}
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN) {
		pr_err("%s: not an Ethernet interface\n", port->ifname);
		err = -EINVAL;
		goto out_unlock;
	}

	netdev_hold(dev, &port->tracker, GFP_KERNEL);
	ether_addr_copy(port->mac, dev->dev_addr);
	port->mtu = READ_ONCE(dev->mtu);
	port->up = netif_running(dev);

	port->pt.type = htons(MEMX_ETH_P);
	port->pt.dev = dev;
	port->pt.func = memx_port_rcv;
	rcu_assign_pointer(port->dev, dev);
	dev_add_pack(&port->pt);

	mutex_lock(&memx_net_lock);
	list_add_tail(&port->list, &memx_net_ports);
	mutex_unlock(&memx_net_lock);
	err = 0;
out_unlock:
	rtnl_unlock();
	return err;
}

void memx_port_close(struct memx_port *port)
{
	rtnl_lock();
	mutex_lock(&memx_net_lock);
	if (!list_empty(&port->list)) {
		memx_port_detach(port);
		list_del_init(&port->list);
	}
	mutex_unlock(&memx_net_lock);
	rtnl_unlock();
	/* Detached earlier by the notifier: its dev_remove_pack() waited. */
}

struct sk_buff *memx_port_alloc_skb(struct memx_port *port,
				    unsigned int payload, gfp_t gfp)
{
	unsigned int linear = payload <= MEMX_LINEAR_MAX ? payload : 0;
	unsigned int head = LL_MAX_HEADER, tail = 0;
	struct net_device *dev;
	struct sk_buff *skb;
	struct page *page;

	if (WARN_ON_ONCE(payload > PAGE_SIZE))
		return NULL;

	rcu_read_lock();
	dev = rcu_dereference(port->dev);
	if (dev) {
		/* LL_RESERVED_SPACE covers the hard (Ethernet) header. */
		head = LL_RESERVED_SPACE(dev);
		tail = READ_ONCE(dev->needed_tailroom);
	}
	rcu_read_unlock();

	skb = alloc_skb(head + MEMX_HDR_LEN + linear + tail, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, head);
	skb_reset_network_header(skb);
	skb_put_zero(skb, MEMX_HDR_LEN);
	skb->protocol = htons(MEMX_ETH_P);
	skb->priority = TC_PRIO_INTERACTIVE;

	if (payload > MEMX_LINEAR_MAX) {
		page = alloc_page(gfp);
		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		/* Empty fragment 0; memx_skb_put_payload() fills it. */
		skb_fill_page_desc(skb, 0, page, 0, 0);
		skb->truesize += PAGE_SIZE;
	}
	return skb;
}

struct sk_buff *memx_port_reuse_skb(struct sk_buff *skb)
{
	/*
	 * Shared: someone else reads it. Cloned: the head (where the reply
	 * header goes) is another skb's too. From the reserves: back to
	 * them, not on the wire again. Zerocopy: its sender waits for the
	 * completion of that frame.
	 */
	if (skb_shared(skb) || skb_cloned(skb) || skb_pfmemalloc(skb) ||
	    skb_zcopy(skb) || skb_is_gso(skb) || skb_has_frag_list(skb))
		return NULL;
	/* A WRITE's payload goes (its page references with it). */
	if (pskb_trim(skb, MEMX_HDR_LEN))
		return NULL;
	/*
	 * What receiving left: the sender's socket and destructor (veth
	 * keeps them), a delivery time or timestamp (an egress qdisc would
	 * take it for a departure time), dst, conntrack, extensions, mark,
	 * a tc redirect, a VLAN tag, a checksum state.
	 */
	skb_orphan(skb);
	skb_clear_delivery_time(skb);
	skb_scrub_packet(skb, true);
	skb_reset_redirect(skb);
	__vlan_hwaccel_clear_tag(skb);
	skb->ip_summed = CHECKSUM_NONE;
	skb->priority = TC_PRIO_INTERACTIVE;
	skb_reset_network_header(skb);
	memset(skb->data, 0, MEMX_HDR_LEN);
	return skb;
}

void memx_skb_put_payload(struct sk_buff *skb, const void *src,
			  unsigned int len)
{
	struct skb_shared_info *sh = skb_shinfo(skb);
	skb_frag_t *frag;
	unsigned int off;

	if (!sh->nr_frags) {
		skb_put_data(skb, src, len);
		return;
	}
	frag = &sh->frags[0];
	off = skb_frag_off(frag) + skb_frag_size(frag);
	if (WARN_ON_ONCE(off + len > PAGE_SIZE))
		return;
	memcpy(page_address(skb_frag_page(frag)) + off, src, len);
	skb_frag_size_add(frag, len);
	skb->len += len;
	skb->data_len += len;
}

void memx_skb_attach_page(struct sk_buff *skb, struct page *page,
			  unsigned int off, unsigned int len)
{
	get_page(page);
	skb_fill_page_desc(skb, skb_shinfo(skb)->nr_frags, page, off, len);
	skb->len += len;
	skb->data_len += len;
	skb->truesize += len;
}

int memx_port_xmit(struct memx_port *port, struct sk_buff *skb,
		   const u8 *dst)
{
	struct net_device *dev;
	int rc;

	rcu_read_lock();
	dev = rcu_dereference(port->dev);
	if (!dev || !netif_running(dev)) {
		rc = -ENETDOWN;
		goto drop;
	}
	/* A clone shares its head: make it ours before pushing into it. */
	if (skb_cow_head(skb, LL_RESERVED_SPACE(dev))) {
		rc = -ENOMEM;
		goto drop;
	}
	skb->dev = dev;
	skb->protocol = htons(MEMX_ETH_P);
	skb_reset_network_header(skb);
	if (dev_hard_header(skb, dev, MEMX_ETH_P, dst, dev->dev_addr,
			    skb->len) < 0) {
		rc = -EINVAL;
		goto drop;
	}
	/* net_xmit_eval() evaluates its argument twice: never pass a call. */
	rc = dev_queue_xmit(skb);
	rc = net_xmit_eval(rc);
	rcu_read_unlock();
	if (rc) {
		if (rc > 0)
			rc = -ENOBUFS;
		atomic64_inc(&port->tx_errors);
		return rc;
	}
	atomic64_inc(&port->tx_frames);
	return 0;

drop:
	rcu_read_unlock();
	atomic64_inc(&port->tx_errors);
	kfree_skb(skb);
	return rc;
}
