/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel only: one "port" per bound interface. A port registers a
 * packet_type for MEMX_ETH_P bound to its device (so a client and a server
 * in one kernel never see each other's frames), validates every header
 * before dispatch, transmits, and follows the device through a netdevice
 * notifier. The device is held with a tracked reference; once a port is
 * detached nothing transmits on it (tx takes the device under RCU).
 */
#ifndef _MEMX_NET_H
#define _MEMX_NET_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/if_ether.h>
#include "frame.h"

struct memx_port;

/**
 * struct memx_port_ops - what a module does with a port
 * @rx: a frame whose header passed memx_parse_hdr(). Runs in softirq.
 *	@skb->data points at the memx header; the header is linear
 *	(pskb_may_pull), the payload may not be: copy it with
 *	skb_copy_bits(skb, MEMX_HDR_LEN, ...). Return true when @skb is the
 *	callee's now (it became a reply's frame: memx_port_reuse_skb()),
 *	false to leave it to the caller, which frees it; the callee may also
 *	take a reference (skb_get()) to keep it. @src is a copy of the
 *	sender's MAC, valid until @rx returns.
 * @event: NETDEV_UP, NETDEV_DOWN, NETDEV_CHANGEMTU, NETDEV_UNREGISTER
 *	(after which the port is detached and transmits nothing). Process
 *	context, RTNL held. May be NULL.
 */
struct memx_port_ops {
	bool (*rx)(struct memx_port *port, struct sk_buff *skb,
		   const struct memx_msg *m, const u8 *src);
	void (*event)(struct memx_port *port, unsigned long event);
};

/**
 * struct memx_port - one interface bound by a module
 * @dev: the device while attached, else NULL. RCU: readers (tx) use
 *	rcu_dereference; written under RTNL.
 * @tracker: tracks our reference on @dev.
 * @pt: our packet_type, bound to @dev.
 * @ops, @priv: the owner's callbacks and data. Set once at open.
 * @ifname: interface name as given.
 * @mac: @dev's address, copied at attach.
 * @mtu: @dev's MTU, updated on NETDEV_CHANGEMTU (READ_ONCE/WRITE_ONCE).
 * @up: device is up and running (READ_ONCE/WRITE_ONCE).
 * @list: in the module's list of ports (memx_net_lock).
 * @rx_frames, @tx_frames, @tx_errors: counters.
 * @rx_drop: malformed frames dropped, per enum memx_drop reason.
 * @rx_nomem: frames dropped because skb_share_check/pskb_may_pull failed.
 */
struct memx_port {
	struct net_device __rcu *dev;
	netdevice_tracker tracker;
	struct packet_type pt;
	const struct memx_port_ops *ops;
	void *priv;
	char ifname[IFNAMSIZ];
	u8 mac[ETH_ALEN];
	unsigned int mtu;
	bool up;
	struct list_head list;
	atomic64_t rx_frames;
	atomic64_t tx_frames;
	atomic64_t tx_errors;
	atomic64_t rx_drop[MEMX_DROP_MAX];
	atomic64_t rx_nomem;
};

/* Module init/exit: register/unregister the netdevice notifier. */
int memx_net_init(void);
void memx_net_exit(void);

/**
 * memx_port_open() - bind @ifname in @net (the caller's netns: current's at
 * insmod). Fails with -ENODEV when there is no such device.
 */
int memx_port_open(struct memx_port *port, struct net *net,
		   const char *ifname, const struct memx_port_ops *ops,
		   void *priv);

/**
 * memx_port_close() - detach (if still attached), wait for receivers in
 * flight (synchronize_net), drop the device reference. Sleeps.
 */
void memx_port_close(struct memx_port *port);

/**
 * memx_port_alloc_skb() - a frame with room for Ethernet + memx headers and
 * @payload bytes; skb->data points at the (zeroed) memx header, the tail is
 * at the header's end: the caller skb_put()s the payload.
 * Frames of more than 2 KiB payload keep it in one page fragment instead of
 * an order-1 linear buffer; the caller then fills it with
 * memx_skb_put_payload().
 */
struct sk_buff *memx_port_alloc_skb(struct memx_port *port,
				    unsigned int payload, gfp_t gfp);

/**
 * memx_port_reuse_skb() - the frame @rx was handed, made into a frame as
 * memx_port_alloc_skb() gives with payload 0, for the reply: a server
 * answers each request with one allocation and one free less.
 * Return: @skb, then the caller's (its @rx returns true: memx_port_rcv()
 * no longer frees it; no extra reference: the transmit path may expand or
 * linearize it, which a shared skb must never be), or NULL when it is not
 * ours alone (a tap's clone, a reference someone keeps), came from the
 * memory reserves, or is a zerocopy, GSO or frag-list frame: allocate one
 * then. At most once per received frame.
 */
struct sk_buff *memx_port_reuse_skb(struct sk_buff *skb);

/**
 * memx_skb_put_payload() - append @len bytes from @src to a frame made by
 * memx_port_alloc_skb() with payload >= @len.
 */
void memx_skb_put_payload(struct sk_buff *skb, const void *src,
			  unsigned int len);

/**
 * memx_skb_attach_page() - append @len bytes of @page at @off to a frame
 * made by memx_port_alloc_skb() with payload 0, without copying them: the
 * frame takes a page reference. For pages that stay unchanged while the
 * request that sends them is in flight (swap-out), so writing out a page
 * under memory pressure costs a small header allocation, not a copy.
 */
void memx_skb_attach_page(struct sk_buff *skb, struct page *page,
			  unsigned int off, unsigned int len);

/**
 * memx_port_xmit() - send a frame from memx_port_alloc_skb() to @dst
 * (ETH_ALEN bytes; broadcast allowed). Consumes @skb in every case.
 * Callable from any context (process, softirq, timer). Return: 0, or
 * -ENETDOWN (detached or down), or the dev_queue_xmit() error.
 */
int memx_port_xmit(struct memx_port *port, struct sk_buff *skb,
		   const u8 *dst);

#endif /* _MEMX_NET_H */
