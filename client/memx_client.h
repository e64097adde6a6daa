/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx client: one block device (/dev/memx0) whose 4 KiB pages live in the
 * RAM of memx servers reached over RMAP (raw Ethernet).
 *
 * Contexts: queue_rq (process, may run with preemption disabled), the
 * receive handler (softirq), per-request and housekeeping timers (softirq),
 * the blk-mq timeout handler and sysfs (process). Every lock below is taken
 * with spin_lock_bh() so that any of them may be taken from any of these.
 *
 * Lock order: memx_cmd.lock -> memx_dev.place_lock -> memx_server.lock.
 * memx_dev.srv_lock (slot claims) nests inside none and takes none.
 */
#ifndef _MEMX_CLIENT_H
#define _MEMX_CLIENT_H

#include <linux/blk-mq.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include "net.h"
#include "rto.h"
#include "frag.h"

#if PAGE_SIZE != 4096
#error "memx_client keeps one 4 KiB block in one struct page: PAGE_SIZE must be 4096"
#endif

/*
 * Placement unit: an extent of 256 pages (1 MiB), held by up to
 * MEMX_MAX_REPLICAS servers. One 32-bit word per extent (4 KiB of client
 * memory per GiB of device), written whole under memx_dev.place_lock and
 * read whole, locklessly, on the I/O path, so a reader always sees one
 * consistent set of copies:
 *   bytes 0..2  slot + 1 of each server holding a copy, copies first
 *               (compacted), then zeroes;
 *   byte 3      flags (MEMX_EXT_LOST).
 * 0 (MEMX_EXT_UNPLACED): never written, reads as zeroes without touching
 * the network; placed at its first write. MEMX_EXT_LOST: every copy was
 * lost (servers restarted): I/O fails until a whole-extent discard.
 * A copy is valid: every write that completed reached it. A server that
 * misses a write loses its copy in the same step (memx_place_drop()).
 */
#define MEMX_EXTENT_SHIFT	8
#define MEMX_EXTENT_PAGES	BIT(MEMX_EXTENT_SHIFT)
#define MEMX_EXTENT_SECTORS	(MEMX_EXTENT_PAGES << (MEMX_PAGE_SHIFT - SECTOR_SHIFT))
#define MEMX_MAX_REPLICAS	3
#define MEMX_EXT_UNPLACED	0U
#define MEMX_EXT_LOST		BIT(24)
/* A full cluster has room again when a placement succeeds this long after. */
#define MEMX_FULL_CLEAR		(60 * HZ)

/* Copy @k of extent word @w: a slot + 1, or 0. */
static inline u8 memx_ext_copy(u32 w, unsigned int k)
{
	return (w >> (8 * k)) & 0xff;
}

/* Copies in extent word @w. */
static inline unsigned int memx_ext_ncopies(u32 w)
{
	unsigned int n = 0;

	while (n < MEMX_MAX_REPLICAS && memx_ext_copy(w, n))
		n++;
	return n;
}

/* Does extent word @w have a copy on the server of slot + 1 @v? */
static inline bool memx_ext_has(u32 w, u8 v)
{
	unsigned int k;

	for (k = 0; k < MEMX_MAX_REPLICAS; k++)
		if (memx_ext_copy(w, k) == v)
			return true;
	return false;
}

/* Pages from @page to the end of its extent, at most @nr. */
static inline u16 memx_extent_part(u64 page, u64 nr)
{
	return min_t(u64, nr, MEMX_EXTENT_PAGES -
		     (page & (MEMX_EXTENT_PAGES - 1)));
}

#define MEMX_MAX_SERVERS	16
/* Largest device: the extent table stays at most 64 MiB. */
#define MEMX_MAX_SIZE		(16ULL << 40)

/* Tag of control frames (OPEN, CLOSE): never a blk_mq_unique_tag(). */
#define MEMX_TAG_CTRL		0xffffffffU

/* Server liveness from its adverts (sent every second). */
#define MEMX_SUSPECT_AFTER	(3 * HZ)
#define MEMX_DEAD_AFTER		(10 * HZ)
/*
 * replicas > 1: a write whose copy on one server is still unacknowledged
 * while another copy acknowledged it, from a server that has not replied
 * to anything for this long (adverts do not count: a server may advertise
 * and still not serve), completes without it: that copy is dropped (it
 * missed the write) and the server evicted (mover.c).
 */
#define MEMX_STRAGGLE_AFTER	(3 * HZ)

/* RTO bounds, microseconds: TCG guests have millisecond jitter. */
#define MEMX_RTO_INIT_US	20000
#define MEMX_RTO_MIN_US		2000
#define MEMX_RTO_MAX_US		1000000

/*
 * A request's timer expires while its server keeps answering others: the
 * reply is likely queued behind theirs (a burst of swap-out), not lost.
 * Like TCP, which restarts its timer on every ACK, wait another RTO then,
 * up to this many times per transmission, before sending it again: a
 * spurious retransmission adds to the very queue that delayed the reply,
 * and Karn's rule keeps its RTT, the one the estimator needs, out of it.
 */
#define MEMX_RTO_DEFERS		3

/*
 * Congestion window, per server, in frames (request frames sent and reply
 * frames expected): a request is sent only while the frames of the
 * requests in flight to its server stay within the window, else it waits
 * on the server's blocked list until a request ends. The window halves
 * (at most once per RTO) when a request must be sent again; it grows with
 * the requests that succeed at the first try: by what they charged until
 * the first loss (slow start), then by about MEMX_CWND_GROW frames per
 * window (AIMD, as in TCP and in AoE's per-target window). Without it, a
 * burst (swap-out: queue_depth x 16 pages x 3 frames) overflows the
 * receive rings of a server, or of the client when the pages come back,
 * and each retransmission adds to the flood.
 */
#define MEMX_CWND_INIT		256
#define MEMX_CWND_MIN		64
#define MEMX_CWND_MAX		4096
#define MEMX_CWND_GROW		16
/* Blocked requests woken per request that ends (the rest: the next). */
#define MEMX_WAKE_BATCH		16

/* A request waiting for a server polls this often. */
#define MEMX_WAIT_POLL		msecs_to_jiffies(20)

/*
 * Frames, and how the swap path stays bounded.
 *
 * Every frame is allocated GFP_ATOMIC (we never sleep on the I/O path;
 * a frame that cannot be allocated is sent by the retransmission timer).
 * Only requests of swap I/O (REQ_SWAP: swap-out and swap-in of the swap
 * code, 6.1 and 6.12 alike) may dip into the emergency reserves with
 * __GFP_MEMALLOC: each such frame helps free a page, which is what the
 * reserves are for. Ordinary I/O (a filesystem, fio, page cache
 * write-back) must not drain them, or swap-out finds them empty.
 *
 * What swap may take from the reserves is bounded twice:
 * - by the I/O: at most nr_queues x queue_depth requests, each of at most
 *   MEMX_MAX_PAGES_PER_OP pages, each page memx_frag_count(mtu) frames
 *   (3 at MTU 1500, 1 at 9000), sent once per RTO; a retransmission
 *   (after an RTO, when the previous copy has left the device or was
 *   dropped by its queue) sends only the pages still missing;
 * - by a count: at most MEMX_RESERVE_FRAMES __GFP_MEMALLOC frames exist at
 *   once (memx_reserve_frames, decremented by the frame's destructor when
 *   the stack frees or orphans it). Beyond that a swap frame is allocated
 *   GFP_ATOMIC | __GFP_NOMEMALLOC: queue_rq often runs in reclaim context
 *   (kswapd, direct reclaim: PF_MEMALLOC), which would otherwise let every
 *   frame into the reserves and leave none for the NIC to receive the
 *   replies that complete the swap-out. Module exit waits until no frame
 *   with that destructor is left (memx_frames_drain()).
 * - by size: write frames carry the page being written in place (a page
 *   reference, memx_skb_attach_page()), not a copy: a frame costs its
 *   header allocation (under 1 KiB), so 512 frames are under 0.5 MiB.
 * Control frames (OPEN, CLOSE, DISCOVER) are few and use MEMX_GFP_IO.
 */
#define MEMX_GFP_IO		(GFP_ATOMIC | __GFP_NOWARN)
#define MEMX_GFP_SWAP		(MEMX_GFP_IO | __GFP_MEMALLOC)
#define MEMX_RESERVE_FRAMES	512

enum memx_srv_state {
	MEMX_SRV_NEW = 0,	/* known, no session: OPEN is (re)sent */
	MEMX_SRV_OPEN,		/* session open */
	MEMX_SRV_CLOSING,	/* unload: CLOSE sent */
	MEMX_SRV_CLOSED,	/* unload: CLOSE acknowledged */
};

/**
 * struct memx_server - one server slot
 * @used: slot holds a server. Set once (smp_store_release) after @mac and
 *	@slot are written, under memx_dev.srv_lock; never cleared while the
 *	module is loaded (extents refer to the slot).
 * @slot: index in memx_dev.servers. Constant.
 * @mac: the server's address. Constant once @used.
 * @dev: back pointer. Constant.
 * @lose_work: marks this server's extents lost after a reset (process
 *	context: the extent table may be large), then sends OPEN.
 * @lock: guards every field below.
 * @state: enum memx_srv_state.
 * @losing: a reset is waiting for @lose_work to mark our extents here
 *	lost. While set, no OPEN is sent and no OPEN's ACK accepted, so a
 *	session is never OPEN while extents of an earlier one still name
 *	this slot: a request that sees OPEN under @lock and its extent word
 *	naming this slot sends to the session that holds its pages.
 * @lose_seq: counts resets; @lose_work clears @losing only if no reset
 *	came while it ran.
 * @srv_gen: the server generation our session (or its OPEN) belongs to.
 * @session: session id while @state is OPEN.
 * @open_seq: seq of the last OPEN or CLOSE sent (matched by its ACK).
 * @open_sent: jiffies of the last OPEN sent.
 * @last_advert: jiffies of the last advert.
 * @last_heard: jiffies of the last frame of any kind from it (written
 *	locklessly, READ/WRITE_ONCE, like @last_advert).
 * @last_reply: jiffies of the last reply (ACK, ERROR, DATA) from it
 *	(READ/WRITE_ONCE): progress for MEMX_RTO_DEFERS.
 * @capacity: advertised capacity, pages.
 * @free: advertised free pages.
 * @placed: pages of extents we placed here since the last advert.
 * @load: advertised load.
 * @mtu: advertised MTU.
 * @draining: advert says MEMX_ADV_DRAINING.
 * @evicting: (replicas > 1) it missed a write or died: none of its copies
 *	is trusted for new work; the mover drops them where other copies
 *	exist, then closes the session, and the server rejoins empty with
 *	a new one (its old pages are freed by that CLOSE). Cleared when the
 *	session ends (CLOSE acknowledged, or the server restarted).
 * @found: jiffies when the slot was claimed.
 * @rtt: RTT estimator.
 * @extents: extents with a copy here (also changed under
 *	memx_dev.place_lock, which is held around this lock for that).
 * @pages_held: pages the server holds for us (ACK.count).
 * @retransmits: retransmissions of requests sent here.
 * @cwnd: congestion window, frames (MEMX_CWND_*).
 * @ssthresh: below it @cwnd grows by what each request charged (slow
 *	start); MEMX_CWND_MAX until the first loss, then the halved window.
 * @cwnd_acc: frames of requests acknowledged since @cwnd last grew.
 * @cwnd_cut: jiffies of the last halving.
 * @inflight: frames charged by requests in flight here (memx_cmd.charged).
 * @blocked: requests waiting for room in the window (memx_cmd.wait_node).
 */
struct memx_server {
	bool used;
	u8 slot;
	u8 mac[ETH_ALEN];
	struct memx_dev *dev;
	struct work_struct lose_work;
	spinlock_t lock;		/* see above */
	enum memx_srv_state state;
	bool losing;
	u32 lose_seq;
	u32 srv_gen;
	u32 session;
	u64 open_seq;
	unsigned long open_sent;
	unsigned long last_advert;
	unsigned long last_heard;
	unsigned long last_reply;
	u64 capacity;
	u64 free;
	u64 placed;
	u32 load;
	u16 mtu;
	bool draining;
	bool evicting;
	unsigned long found;
	struct memx_rtt rtt;
	u32 extents;
	u64 pages_held;
	u64 retransmits;
	u32 cwnd;
	u32 ssthresh;
	u32 cwnd_acc;
	unsigned long cwnd_cut;
	u32 inflight;
	struct list_head blocked;
};

/**
 * struct memx_stats - device counters (atomic: no lock)
 * @drain_moved: extents moved off draining servers.
 * @rebuilt: copies re-created by the mover (replicas > 1).
 * @dropped: copies dropped (their server missed a write, died, or was
 *	evicted).
 */
struct memx_stats {
	atomic64_t retransmits;
	atomic64_t timeouts;
	atomic64_t errors;
	atomic64_t late_replies;
	atomic64_t nospace;
	atomic64_t lost_extents;
	atomic64_t tx_failed;
	atomic64_t rq_started;
	atomic64_t rq_ended;
	atomic64_t sessions_opened;
	atomic64_t sessions_closed;
	atomic64_t sessions_lost;
	atomic64_t drain_moved;
	atomic64_t rebuilt;
	atomic64_t dropped;
	atomic64_t ra_pages;
	atomic64_t ra_hits;
};

/*
 * Pages one read-ahead request fetches; how far ahead of a reader pages
 * are read; read-ahead requests in flight; readers followed at a time.
 */
#define MEMX_PF_WINDOW		MEMX_MAX_PAGES_PER_OP
#define MEMX_PF_AHEAD		MEMX_PF_WINDOW
#define MEMX_PF_INFLIGHT	2
#define MEMX_PF_STREAMS		4

enum memx_pf_state {
	MEMX_PF_EMPTY = 0,
	MEMX_PF_PENDING,	/* its read-ahead request is in flight */
	MEMX_PF_VALID,		/* holds the server's data of @page */
};

/**
 * struct memx_pf_slot - one page of the read-ahead cache
 * @page: the page it holds or awaits (state not EMPTY).
 * @gen: bumped by every write or discard over a page of this slot, when it
 *	starts and when it ends.
 * @want: @gen when its read-ahead request was built: the data is kept
 *	only if @gen has not moved since.
 * @state: enum memx_pf_state.
 */
struct memx_pf_slot {
	u64 page;
	u32 gen;
	u32 want;
	u8 state;
};

/**
 * struct memx_pf_stream - a reader followed: the last read it made
 * @start: its first page.
 * @end: the page after its last.
 * @dir: 1 forward, -1 backward, 0 not known yet.
 */
struct memx_pf_stream {
	u64 start;
	u64 end;
	s8 dir;
};

/**
 * struct memx_pf - read-ahead for a lone sequential reader (readahead=)
 * @lock: guards every field below but @work, @reads and @inflight.
 * @slots: page p lives in slot p & (@nslots - 1) (direct mapped).
 * @pages: each slot's page. Allocated at load: read-ahead needs no
 *	memory on the I/O path.
 * @nslots: a power of 2, or 0: read-ahead off. Constant.
 * @streams: the readers followed, forward or backward.
 * @next_stream: the entry of @streams a new reader takes (round robin).
 * @want_page, @want_nr: the next range to read ahead (@want_nr 0: none),
 *	for @work.
 * @parked: reads whose every page is awaited from a read-ahead request:
 *	they end with it (struct memx_cmd.pf_node).
 * @stop: unload: no new read-ahead.
 * @work: sends the read-ahead requests, on memx_dev.wq.
 * @reads: reads of the device on the network (not read-ahead).
 * @inflight: read-ahead requests in flight.
 */
struct memx_pf {
	spinlock_t lock;		/* see above */
	struct memx_pf_slot *slots;
	struct page **pages;
	u32 nslots;
	struct memx_pf_stream streams[MEMX_PF_STREAMS];
	unsigned int next_stream;
	u64 want_page;
	u32 want_nr;
	struct list_head parked;
	bool stop;
	struct work_struct work;
	atomic_t reads;
	atomic_t inflight;
};

/* memx_mover.gate and .ext when no extent is concerned. */
#define MEMX_MOVE_NONE		U32_MAX
/* Tags per hardware queue reserved for the mover's requests. */
#define MEMX_MOVER_TAGS		16

/**
 * struct memx_mover - copying extents between servers, while I/O goes on
 *
 * One extent at a time, by @work: off a draining server (a move), onto a
 * new server when an extent has fewer copies than replicas= (a rebuild),
 * and dropping the copies of evicted servers where other copies exist.
 * A copy: close the gate on the extent (its requests wait, as for "no
 * server yet"), wait until none of its requests is in flight, read it from
 * a valid copy and write it to the new server through our own queue
 * (driver-private requests on reserved tags: memx_cmd.mover), add the new
 * copy (replacing the draining one for a move), open the gate. See
 * client/mover.c.
 *
 * @work: the mover, on memx_dev.wq; does one copy per run and queues
 *	itself again while there is more to do, no sooner than @rate allows.
 * @ready: the disk is added, requests may be sent. Set once (READ_ONCE).
 * @stop: unload: the mover does nothing more (READ_ONCE).
 * @gate: the extent whose requests (other than the mover's) wait, or
 *	MEMX_MOVE_NONE. Written by @work only (WRITE_ONCE, then a full
 *	barrier); read in memx_req_issue() under memx_cmd.lock (READ_ONCE).
 * @ext: the extent the mover's requests are about, or MEMX_MOVE_NONE.
 * @route: where the mover's requests on @ext go (slot + 1).
 * @session: and on which session: a request that would go to another one
 *	fails. @ext, @route and @session are written by @work before it
 *	sends requests, read on the I/O path (READ_ONCE).
 * @gate_reads: reads of @gate wait too (a drain frees the copy they read;
 *	a new copy changes nothing for them). Written by @work before @gate.
 * @rate: most extents (MiB) copied per second (rebuild_rate=). Constant.
 * Fields below: @work only.
 * @pages: MEMX_EXTENT_PAGES pages holding the extent being copied, or NULL.
 * @cursor: where the next search for work starts.
 * @next_ns: ktime before which no new copy starts (@rate).
 * @warned: "no server can take it" was logged (reset by a copy).
 */
struct memx_mover {
	struct delayed_work work;
	bool ready;
	bool stop;
	u32 gate;
	u32 ext;
	u8 route;
	u32 session;
	bool gate_reads;
	unsigned int rate;
	struct page **pages;
	u32 cursor;
	u64 next_ns;
	bool warned;
};

/*
 * Dropped copies whose server keeps their pages (it refused a write, but
 * answers): the mover discards them there, and until then that server is
 * not given the extent again (a first placement there would find old
 * pages where it expects none). More at once: the server is evicted.
 */
#define MEMX_STALE_MAX		64

/**
 * struct memx_stale - a dropped copy to discard on its server
 * @ext: the extent
 * @v: its server's slot + 1
 * @session: the session holding the pages (only that one is meant)
 */
struct memx_stale {
	u32 ext;
	u8 v;
	u32 session;
};

/**
 * struct memx_dev - the device
 * @port: our interface. Its own locking (rmap/net.h).
 * @tag_set, @disk: blk-mq. @disk is NULL until allocated.
 * @nr_pages: device size in 4 KiB pages. Constant.
 * @nr_extents: extents covering it (the last may be partial). Constant.
 * @replicas: copies of each extent (replicas=, 1..MEMX_MAX_REPLICAS).
 *	Constant.
 * @extents: one word per extent (see MEMX_EXTENT_SHIFT). Written under
 *	@place_lock; read locklessly (READ_ONCE) on the I/O path.
 * @place_lock: guards @extents changes, @placed, @degraded, @few_warned,
 *	@stale, @nstale and server extent counts.
 * @placed: extents with at least one copy.
 * @degraded: extents with at least one and fewer than @replicas copies
 *	(read locklessly by sysfs and the housekeeping timer).
 * @few_warned: "fewer servers than replicas" was logged.
 * @stale, @nstale: dropped copies to discard on their servers.
 * @srv_lock: serialises claiming a free server slot.
 * @servers: the server table.
 * @allowed, @nr_allowed: servers= restriction (none: any). Constant.
 * @cli_gen: our generation, random and non-zero. Constant.
 * @seq: source of request sequence numbers.
 * @io_timeout: jiffies a request may take before it fails. Constant.
 * @wq: runs each server's lose_work and the mover (WQ_MEM_RECLAIM: swap
 *	I/O waits on it to reopen a session).
 * @hk_timer: housekeeping (liveness, OPEN retries, DISCOVER), every second.
 * @stopping: unload in progress: housekeeping stops re-arming.
 * @last_rx: jiffies of the last well-formed frame received from any server
 *	(READ/WRITE_ONCE): our own receive path works (memx_server_gone()).
 * @full: the cluster was full at the last placement attempt (logged when it
 *	becomes so, cleared by a placement that succeeds MEMX_FULL_CLEAR after
 *	the last ENOSPC). READ/WRITE_ONCE.
 * @full_last: jiffies of the last ENOSPC for want of a server. READ/WRITE_ONCE.
 * @mover: copies extents between servers (its own rules).
 * @pf: read-ahead (prefetch.c).
 * @stats: counters.
 */
struct memx_dev {
	struct memx_port port;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	u64 nr_pages;
	u32 nr_extents;
	unsigned int replicas;
	u32 *extents;
	spinlock_t place_lock;		/* see above */
	u32 placed;
	u32 degraded;
	bool few_warned;
	struct memx_stale stale[MEMX_STALE_MAX];
	unsigned int nstale;
	spinlock_t srv_lock;		/* see above */
	struct memx_server servers[MEMX_MAX_SERVERS];
	u8 allowed[MEMX_MAX_SERVERS][ETH_ALEN];
	unsigned int nr_allowed;
	u32 cli_gen;
	atomic64_t seq;
	unsigned long io_timeout;
	struct workqueue_struct *wq;
	struct timer_list hk_timer;
	bool stopping;
	bool full;
	unsigned long full_last;
	unsigned long last_rx;
	struct memx_mover mover;
	struct memx_pf pf;
	struct memx_stats stats;
};

enum memx_cmd_state {
	MEMX_CMD_IDLE = 0,
	MEMX_CMD_WAITING,	/* nothing sent: no server yet, the timer retries */
	MEMX_CMD_BLOCKED,	/* nothing sent: on a server's blocked list */
	MEMX_CMD_INFLIGHT,	/* sent to a target at least, replies awaited */
	MEMX_CMD_DONE,		/* ended or ending: nothing may touch it */
	MEMX_CMD_PARKED,	/* READ: waits for read-ahead (prefetch.c) */
};

enum memx_tgt_state {
	MEMX_TGT_IDLE = 0,	/* not sent yet (maybe blocked on its window) */
	MEMX_TGT_SENT,		/* sent, replies awaited */
	MEMX_TGT_DONE,		/* every page acknowledged (or received) */
	MEMX_TGT_DROPPED,	/* its copy was dropped: nothing more to do */
};

/**
 * struct memx_tgt - one server a request goes to (guarded by memx_cmd.lock)
 * @slot: the server's slot.
 * @state: enum memx_tgt_state.
 * @charged: frames charged to that server's window while sent (0: none).
 * @session, @srv_gen: the session it was sent on.
 * @done: WRITE: bit i, page memx_cmd.page + i acknowledged; DISCARD: 1.
 * @sent_ns: ktime of its first transmission (RTT sample).
 */
struct memx_tgt {
	u8 slot;
	u8 state;
	u16 charged;
	u32 session;
	u32 srv_gen;
	u32 done;
	u64 sent_ns;
};

/**
 * struct memx_cmd - per-request state, in the blk-mq pdu
 * @lock: guards every field below except @timer and @dev. Initialised
 *	once (init_request), not per request.
 * @state: enum memx_cmd_state.
 * @op: MEMX_T_WRITE, MEMX_T_READ or MEMX_T_DISCARD.
 * @nr: pages covered (1..16 for READ/WRITE, 1..256 for DISCARD). A
 *	DISCARD covers one extent's part of its request at a time.
 * @tries: retransmissions so far.
 * @gfp: MEMX_GFP_SWAP for swap I/O (REQ_SWAP), else MEMX_GFP_IO.
 * @mover: a request of the mover (REQ_OP_DRV_IN/OUT, on a reserved tag;
 *	its op, page, nr and pages are filled by the mover): it passes the
 *	gate, goes where memx_mover.route says, and never drops a copy.
 *	Cleared by queue_rq for every other request.
 * @prefetch: a read-ahead request (REQ_OP_DRV_IN, filled by prefetch.c);
 *	cleared by queue_rq for every other request.
 * @nt: targets in @t. A WRITE or DISCARD goes to every copy of its extent
 *	(the copies when it was first sent); a READ to one copy at a time,
 *	@t[0], and to another one when that one fails or times out.
 * @t: the targets.
 * @blocked: slot + 1 of the server on whose blocked list (window) it
 *	waits, else 0; it is on that list (@wait_node) only while set.
 * @kick: servers (bitmask of slots) whose window lost a charge without
 *	waking its blocked requests (we held @lock): the caller kicks them
 *	once @lock is dropped (memx_req_kick()).
 * @seq: sequence number, assigned when first sent, kept on retransmission.
 * @page: first page.
 * @done: READ: bit i, page @page + i received.
 * @start: jiffies when queue_rq started it.
 * @due: jiffies when the timer should act next.
 * @mark: jiffies of the last transmission, or of the last time the timer
 *	let it wait on (see @defers).
 * @defers: times the timer found its servers answering (other requests)
 *	since @mark and let this one wait another RTO instead of sending it
 *	again: at most MEMX_RTO_DEFERS per transmission.
 * @failover: READ: the next transmission goes to another copy if there is
 *	one (its target timed out or refused it).
 * @refused: READ: copies (a mask of slots) that answered it with an error
 *	since its timer last fired: not asked again before that.
 * @rto: the RTO (jiffies) of the last transmission.
 * @need: frames it charges a target's window (READ and WRITE: per page,
 *	at that server's fragment size).
 * @pf_node: on memx_pf.parked while PARKED, under memx_pf.lock.
 * @wait_node: on the blocked list of server @blocked - 1; only under that
 *	server's lock (empty otherwise).
 * @pages: the bio's page for each 4 KiB block (READ, WRITE).
 * @frags: fragments received of each page (READ).
 * @timer: retransmission and timeout. Its callback takes @lock and
 *	rechecks @state and @due, so it tolerates running late, and early:
 *	it stays armed across the tag's requests (memx_req_arm()).
 * @dev: back pointer. Constant.
 */
struct memx_cmd {
	spinlock_t lock;		/* see above */
	u8 state;
	u8 op;
	u16 nr;
	u16 tries;
	gfp_t gfp;
	bool mover;
	bool prefetch;
	u8 nt;
	struct memx_tgt t[MEMX_MAX_REPLICAS];
	u8 blocked;
	u16 kick;
	u64 seq;
	u64 page;
	u32 done;
	unsigned long start;
	unsigned long due;
	unsigned long mark;
	u8 defers;
	bool failover;
	u16 refused;
	unsigned long rto;
	u16 need;
	struct list_head wait_node;
	struct list_head pf_node;
	struct page *pages[MEMX_MAX_PAGES_PER_OP];
	u64 frags[MEMX_MAX_PAGES_PER_OP];
	struct timer_list timer;
	struct memx_dev *dev;
};

/* blk.c */
int memx_blk_init(struct memx_dev *d, unsigned int nr_queues,
		  unsigned int depth);
int memx_blk_add(struct memx_dev *d);
void memx_blk_del(struct memx_dev *d);
void memx_blk_exit(struct memx_dev *d);
struct request *memx_blk_find(struct memx_dev *d, u32 tag);

/* req.c */
void memx_req_init(struct memx_cmd *cmd, struct memx_dev *d);
void memx_req_exit(struct memx_cmd *cmd);
void memx_req_start(struct request *rq);
enum blk_eh_timer_return memx_req_timeout(struct request *rq);
void memx_req_rx(struct memx_dev *d, struct memx_server *srv,
		 struct sk_buff *skb, const struct memx_msg *m);
struct sk_buff *memx_frame(struct memx_dev *d, const struct memx_msg *m,
			   unsigned int payload, gfp_t gfp);
void memx_frames_drain(void);

/* servers.c */
int memx_servers_init(struct memx_dev *d, const char *list);
void memx_servers_start(struct memx_dev *d);
void memx_servers_stop(struct memx_dev *d);
struct memx_server *memx_server_find(struct memx_dev *d, const u8 *mac);
void memx_server_rx(struct memx_dev *d, struct memx_server *srv,
		    struct sk_buff *skb, const struct memx_msg *m,
		    const u8 *src);
void memx_servers_exit(struct memx_dev *d);
void memx_server_session_lost(struct memx_dev *d, struct memx_server *srv,
			      u32 srv_gen, u32 session);
const char *memx_server_liveness(const struct memx_server *srv);
bool memx_server_used(const struct memx_server *srv);
bool memx_server_alive(const struct memx_server *srv);
bool memx_server_dead(const struct memx_server *srv);
bool memx_server_gone(struct memx_dev *d, const struct memx_server *srv);
bool memx_server_silent(const struct memx_server *srv, unsigned long t);
bool memx_server_usable(const struct memx_server *srv);
void memx_server_evict(struct memx_dev *d, struct memx_server *srv,
		       const char *why);
void memx_server_close_empty(struct memx_dev *d, struct memx_server *srv);
extern const struct memx_port_ops memx_client_port_ops;

/* prefetch.c */
int memx_pf_init(struct memx_dev *d, unsigned int pages);
void memx_pf_stop(struct memx_dev *d);
void memx_pf_exit(struct memx_dev *d);
bool memx_pf_read(struct memx_dev *d, struct request *rq);
void memx_pf_write(struct memx_dev *d, u64 page, u64 nr);
void memx_pf_read_end(struct memx_dev *d, struct memx_cmd *cmd);

/* mover.c */
void memx_mover_init(struct memx_dev *d, unsigned int rate);
void memx_mover_start(struct memx_dev *d);
void memx_mover_stop(struct memx_dev *d);
void memx_mover_kick(struct memx_dev *d);
u64 memx_drain_pending(struct memx_dev *d);

/* Requests on the extent being copied wait (the mover's own pass). */
static inline bool memx_mover_gated(struct memx_dev *d,
				    const struct memx_cmd *cmd)
{
	return !cmd->mover &&
	       cmd->page >> MEMX_EXTENT_SHIFT == READ_ONCE(d->mover.gate) &&
	       (cmd->op != MEMX_T_READ || READ_ONCE(d->mover.gate_reads));
}

/*
 * The copies a request goes to: its extent's word, or for the mover's
 * requests the one server of its route.
 */
static inline u32 memx_req_route(struct memx_dev *d,
				 const struct memx_cmd *cmd)
{
	if (unlikely(cmd->mover) &&
	    cmd->page >> MEMX_EXTENT_SHIFT == READ_ONCE(d->mover.ext))
		return READ_ONCE(d->mover.route);
	return READ_ONCE(d->extents[cmd->page >> MEMX_EXTENT_SHIFT]);
}

/* place.c */
int memx_place_init(struct memx_dev *d, u64 size, unsigned int replicas);
void memx_place_exit(struct memx_dev *d);
int memx_place_extent(struct memx_dev *d, u64 page, u32 *w);
void memx_place_reset(struct memx_dev *d, u64 page, u32 expect);
int memx_place_drop(struct memx_dev *d, u32 ext, u8 v, bool stale);
bool memx_place_stale_next(struct memx_dev *d, struct memx_stale *e);
void memx_place_stale_done(struct memx_dev *d, const struct memx_stale *e);
void memx_place_lose(struct memx_dev *d, struct memx_server *srv);
u32 memx_place_shed(struct memx_dev *d, u32 ext, u32 mask);
struct memx_server *memx_place_move_target(struct memx_dev *d, u32 ext,
					   u32 exclude, u32 *srv_gen,
					   u32 *session);
void memx_place_unreserve(struct memx_server *srv);
bool memx_place_move(struct memx_dev *d, u32 ext, u8 from,
		     struct memx_server *to, u32 srv_gen, u32 session);
bool memx_place_holds(struct memx_dev *d, struct memx_server *srv);

/* sysfs.c */
extern const struct attribute_group *memx_attr_groups[];

#endif /* _MEMX_CLIENT_H */
