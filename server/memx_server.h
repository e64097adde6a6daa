/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx_server: stores 4 KiB pages for memx clients, in the receive softirq.
 *
 * Objects and their lifetimes:
 *  - struct memx_srv (one, static): parameters, ports, session table,
 *    counters. Lives from module init to exit.
 *  - struct memx_session: one per (client MAC, cli_gen). Found from the
 *    receive path under RCU and pinned with a reference; unlinked from the
 *    table on CLOSE or at rmmod, after which a work item frees its pages in
 *    process context.
 *  - pages: one struct page per stored 4 KiB page, in the session's xarray.
 *    A stored page is never written again: a write fills a fresh page and
 *    swaps it in, so a reply that took a reference never sees a torn page.
 */
#ifndef _MEMX_SERVER_H
#define _MEMX_SERVER_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include "net.h"
#include "frag.h"

#define MEMX_SRV_MAX_PORTS	8
#define MEMX_SRV_MAX_SESSIONS	4096
#define MEMX_SRV_REASM_SLOTS	32
/*
 * Page numbers a session may use: 0 .. 2^32 - 1 (16 TiB, the client's size
 * limit). Bounds the xarray nodes a client can make us allocate, which are
 * not counted against the capacity.
 */
#define MEMX_SRV_MAX_PAGE_INDEX	BIT_ULL(32)

/* Session id: low 16 bits slot + 1 (never 0), high 16 bits a generation. */
#define MEMX_SID_SLOT_BITS	16
#define MEMX_SID_SLOT_MASK	((1U << MEMX_SID_SLOT_BITS) - 1)

/**
 * struct memx_session - the pages of one client instance
 * @id: session id sent to the client. Constant.
 * @cli_gen: the client's generation. Constant.
 * @mac: the client's MAC address; requests from another source are
 *	answered NOSESSION. Constant.
 * @ref: one for the session table (moved to the reap list on close), one per
 *	receive path user. The memory is freed with kfree_rcu() at zero, so
 *	a lookup under RCU may still try refcount_inc_not_zero().
 * @rcu: for kfree_rcu().
 * @reap_node: on memx_srv.reap_list once unlinked (memx_srv.sess_lock).
 * @pages: page store, index = page number; entries are struct page *
 *	(page_private = seq of the write that produced it) or a tombstone
 *	xa_mk_value(seq & LONG_MAX) left by DISCARD. Its lock (xa_lock_bh;
 *	plain xa_lock in the receive path, where BH is off) also guards
 *	@npages and @dead.
 * @npages: pages (not tombstones) in @pages. Written under the xa_lock,
 *	read with READ_ONCE.
 * @dead: set once unlinked; nothing is inserted afterwards. Under the
 *	xa_lock of @pages, and separately under @reasm_lock for @reasm (both
 *	are set by memx_session_kill()).
 * @reasm_lock: guards @reasm, @reasm_slots, @reasm_dead and the fragment
 *	data being copied into slot buffers.
 * @reasm_dead: @dead as seen under @reasm_lock.
 * @reasm: fragments of pages being written (slot buf: struct page *).
 * @reasm_slots: its storage.
 */
struct memx_session {
	u32 id;
	u32 cli_gen;
	u8 mac[ETH_ALEN];
	refcount_t ref;
	struct rcu_head rcu;
	struct list_head reap_node;

	struct xarray pages;
	unsigned long npages;
	bool dead;

	spinlock_t reasm_lock;		/* see above */
	bool reasm_dead;
	struct memx_reasm reasm;
	struct memx_reasm_slot reasm_slots[MEMX_SRV_REASM_SLOTS];
};

/**
 * struct memx_srv_stats - module-wide counters (atomics: any context)
 * @errors: ERROR replies sent, by enum memx_status.
 * @pages_alloc, @pages_freed: pages taken from and given back to the page
 *	allocator (store, reassembly and reserve pages alike). Equal after
 *	unload.
 * @sessions_alloc, @sessions_freed: session objects.
 * @reserve_used: pages taken from the reserve because GFP_ATOMIC failed.
 * @tombstones: DISCARD tombstones held, all sessions. They cost xarray
 *	memory the capacity does not count (bounded by the pages a session
 *	may address, MEMX_SRV_MAX_PAGE_INDEX); 0 after unload.
 * @stale_writes: writes not applied because a newer one (or a discard) was
 *	there already; still acknowledged.
 * @reasm_bad: fragments rejected by memx_frag_add() (overlaps).
 * @reasm_expired: reassemblies dropped after reasm_timeout_ms.
 * @ignored: well-formed frames of a type a server does not take.
 * @tx_fail: replies that could not be built or sent.
 * @reused: replies built in their request's frame (memx_port_reuse_skb()).
 */
struct memx_srv_stats {
	atomic64_t errors[MEMX_S_MAX + 1];
	atomic64_t pages_alloc;
	atomic64_t pages_freed;
	atomic64_t sessions_alloc;
	atomic64_t sessions_freed;
	atomic64_t reserve_used;
	atomic64_t tombstones;
	atomic64_t stale_writes;
	atomic64_t reasm_bad;
	atomic64_t reasm_expired;
	atomic64_t ignored;
	atomic64_t tx_fail;
	atomic64_t reused;
};

/**
 * struct memx_srv - the server
 * @srv_gen: random, non-zero, chosen at load. Constant.
 * @capacity_pages: most pages stored at once. Constant.
 * @max_sessions, @reasm_timeout, @reserve_target: parameters. Constant
 *	(@reasm_timeout in jiffies).
 * @ports, @nports: bound interfaces. Set at init, closed at exit.
 * @used_pages: pages stored, all sessions; never above @capacity_pages
 *	(raised with a cmpxchg loop before a page is inserted).
 * @sess_lock: guards writes to @sessions and @slot_gen, @nsessions,
 *	@reap_list. Taken with _bh (the receive softirq takes it).
 * @sessions: session table, @max_sessions entries. RCU for readers.
 * @slot_gen: per-slot generation for the next id; random at load.
 * @nsessions: sessions in the table.
 * @reap_list: sessions unlinked whose pages @reap_work frees.
 * @reap_work: frees reaped sessions' pages in process context.
 * @reserve_lock: guards @reserve and @reserve_count.
 * @reserve: free pages (page->lru) for when GFP_ATOMIC fails.
 * @reserve_count: pages in @reserve.
 * @refill_work: tops @reserve up to @reserve_target with GFP_KERNEL.
 * @advert_timer: sends adverts every second, expires reassemblies.
 * @stopping: set at exit before the timer is stopped (READ_ONCE).
 * @drain_lock: serialises changes of @draining and @unloading (sysfs
 *	writes, rmmod: process context only), so a drain started by rmmod is
 *	never stopped by a sysfs write racing with it.
 * @draining: adverts say MEMX_ADV_DRAINING and no new session is opened
 *	(OPEN of an unknown client instance is answered MEMX_S_BUSY). Set and
 *	cleared under @drain_lock, read anywhere with READ_ONCE.
 * @unloading: rmmod is draining before it unloads: @draining stays set.
 *	Under @drain_lock.
 * @load_last: frames_in at the previous tick (timer only).
 * @load: frames per second / 16 over the last second (READ_ONCE).
 * @kobj: /sys/kernel/memx_server.
 * @st: counters.
 */
struct memx_srv {
	u32 srv_gen;
	u64 capacity_pages;
	unsigned int max_sessions;
	unsigned long reasm_timeout;
	unsigned int reserve_target;

	struct memx_port ports[MEMX_SRV_MAX_PORTS];
	unsigned int nports;

	atomic64_t used_pages;

	spinlock_t sess_lock;		/* see above */
	struct memx_session __rcu **sessions;
	u16 *slot_gen;
	unsigned int nsessions;
	struct list_head reap_list;
	struct work_struct reap_work;

	spinlock_t reserve_lock;	/* see above */
	struct list_head reserve;
	unsigned int reserve_count;
	struct work_struct refill_work;

	struct timer_list advert_timer;
	bool stopping;
	spinlock_t drain_lock;		/* see above */
	bool draining;
	bool unloading;
	u64 load_last;
	u32 load;

	struct kobject *kobj;
	struct memx_srv_stats st;
};

extern struct memx_srv memx_srv;

/* store.c */
int memx_store_init(void);
void memx_store_exit(void);
struct page *memx_page_get(void);
void memx_page_free(struct page *page);
struct memx_session *memx_session_lookup(u32 id);
void memx_session_put(struct memx_session *s);
int memx_session_open(const u8 *mac, u32 cli_gen, bool create, u32 *id,
		      unsigned long *npages);
void memx_session_close(struct memx_session *s);
void memx_session_close_all(void);
int memx_store_write(struct memx_session *s, u64 index, u64 seq,
		     struct page *page);
int memx_store_write_check(struct memx_session *s, u64 index, u64 seq,
			   bool *stale);
int memx_store_applied(struct memx_session *s, u64 first, unsigned int n,
		       u64 seq, unsigned long *stored);
int memx_store_read(struct memx_session *s, u64 index, struct page **page);
int memx_store_discard(struct memx_session *s, u64 index, u32 count,
		       u64 seq);
int memx_write_frag(struct memx_session *s, const struct memx_msg *m,
		    struct sk_buff *skb, struct page **done);
void memx_reasm_expire_all(void);
unsigned int memx_session_count(void);

/* main.c */
u64 memx_frames_in(void);
u64 memx_frames_out(void);

/* serve.c */
extern const struct memx_port_ops memx_srv_port_ops;

/* advert.c */
void memx_advert_start(void);
void memx_advert_stop(void);
void memx_advert_send(struct memx_port *port, const u8 *dst);
void memx_advert_all(void);
int memx_drain_set(bool on);
void memx_drain_unload(void);

/* sysfs.c */
int memx_sysfs_init(void);
void memx_sysfs_exit(void);

#endif /* _MEMX_SERVER_H */
