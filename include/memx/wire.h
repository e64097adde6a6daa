/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RMAP: the memx wire protocol. On-wire formats only.
 *
 * Every frame is an Ethernet II frame with ethertype MEMX_ETH_P, followed by
 * struct memx_hdr and a payload whose length the header states. All
 * multi-byte fields are big endian. This header builds in the kernel and in
 * userspace (unit tests, fuzzers, the frame injector).
 *
 * Sequence of a write of k pages (client C, server S, MTU 1500, three
 * fragments a page):
 *   C -> S  WRITE seq=n page=p+i count=i+1 MORE frag 0/1408/2816, i < k-1
 *   C -> S  WRITE seq=n page=p+k-1 count=k frag 0/1408/2816
 *   S -> C  ACK   seq=n page=p+k-1 RUN      (once pages p..p+k-1 are stored)
 * A page sent with MEMX_F_MORE is acknowledged with the request's last
 * page, so a request costs one ACK, not one a page. When the last page
 * finds some of the others missing (a frame lost), the server acknowledges
 * the stored ones one by one instead, and a retransmitted MORE page (one
 * already stored) is acknowledged on its own, as is every page of a
 * request of one page.
 * Sequence of a read:
 *   C -> S  READ  seq=n page=p count=k            (one frame for k pages)
 *   S -> C  DATA  seq=n page=p..p+k-1 frag ...    (k * 3 frames)
 * A lost frame is recovered by the client retransmitting the whole
 * operation with the same seq; the server's handling is idempotent.
 */
#ifndef _MEMX_WIRE_H
#define _MEMX_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#else
#include <linux/types.h>
#include <assert.h>
#endif

/* IEEE 802 local experimental ethertype 1. */
#define MEMX_ETH_P		0x88B5
/*
 * 2: a WRITE names its request's pages before it (count) and the server
 * acknowledges a request, not a page (MEMX_F_MORE, MEMX_F_RUN).
 */
#define MEMX_VERSION		2

/* The unit of storage: one 4 KiB page, whatever the host's PAGE_SIZE. */
#define MEMX_PAGE_SHIFT		12
#define MEMX_PAGE_SIZE		4096U	/* 1 << MEMX_PAGE_SHIFT */

/*
 * Fragments of a page start at multiples of MEMX_FRAG_UNIT, so a receiver
 * tracks what arrived in one 64-bit mask (4096 / 64 = 64 units).
 */
#define MEMX_FRAG_UNIT		64U
#define MEMX_FRAG_UNITS		(MEMX_PAGE_SIZE / MEMX_FRAG_UNIT)

/* Most pages one READ asks for (and one client request carries). */
#define MEMX_MAX_PAGES_PER_OP	16U
/* Most pages one DISCARD covers. */
#define MEMX_MAX_DISCARD_PAGES	256U

/**
 * enum memx_type - message types
 * @MEMX_T_DISCOVER: client, broadcast: servers answer with an ADVERT.
 * @MEMX_T_ADVERT: server, broadcast every second and in answer to DISCOVER;
 *	payload struct memx_advert.
 * @MEMX_T_OPEN: client -> server: open (or find again) the session of
 *	(client MAC, cli_gen). Answered by ACK carrying session and srv_gen.
 * @MEMX_T_CLOSE: client -> server: close the session, free its pages.
 * @MEMX_T_WRITE: client -> server: one fragment of one page.
 * @MEMX_T_READ: client -> server: read @count pages from @page.
 * @MEMX_T_DISCARD: client -> server: drop @count pages from @page; they read
 *	as zeroes afterwards. Also serves write-zeroes.
 * @MEMX_T_DATA: server -> client: one fragment of a page read, or with
 *	MEMX_F_ZERO and no payload: that page reads as zeroes.
 * @MEMX_T_ACK: reply, status MEMX_S_OK: echoes seq, tag and page (of a
 *	write request whose last page found others missing: one ACK per
 *	stored page, each with that page's number); its
 *	@count is the number of pages the session holds on the server after
 *	the operation (for OPEN, CLOSE: after it), saturated at U32_MAX.
 * @MEMX_T_ERROR: reply, status says why: echoes seq, tag and page.
 */
enum memx_type {
	MEMX_T_DISCOVER	= 1,
	MEMX_T_ADVERT	= 2,
	MEMX_T_OPEN	= 3,
	MEMX_T_CLOSE	= 4,
	MEMX_T_WRITE	= 5,
	MEMX_T_READ	= 6,
	MEMX_T_DISCARD	= 7,
	MEMX_T_DATA	= 8,
	MEMX_T_ACK	= 9,
	MEMX_T_ERROR	= 10,
	MEMX_T_MAX	= MEMX_T_ERROR,
};

/**
 * enum memx_status - why a request failed (MEMX_T_ERROR)
 * @MEMX_S_OK: success (ACK, DATA).
 * @MEMX_S_NOSPACE: the server is at capacity; nothing was stored.
 * @MEMX_S_NOSESSION: unknown session or stale srv_gen: open a new session;
 *	a stale srv_gen means the server restarted and lost its pages.
 * @MEMX_S_BADREQ: the request was well formed but not acceptable.
 * @MEMX_S_BUSY: transient shortage (memory, reassembly slots): retry later.
 * @MEMX_S_UNSUPP: a flag or feature this server does not implement.
 */
enum memx_status {
	MEMX_S_OK		= 0,
	MEMX_S_NOSPACE		= 1,
	MEMX_S_NOSESSION	= 2,
	MEMX_S_BADREQ		= 3,
	MEMX_S_BUSY		= 4,
	MEMX_S_UNSUPP		= 5,
	MEMX_S_MAX		= MEMX_S_UNSUPP,
};

/* Header flags. */
#define MEMX_F_ZERO	0x01	/* DATA: page is all zeroes, no payload */
#define MEMX_F_MORE	0x02	/* WRITE: a later page of the request
				 * follows; acknowledge this one with it
				 */
#define MEMX_F_RUN	0x04	/* ACK of a WRITE: every page of the
				 * request up to @page is stored (the
				 * WRITE's @count pages ending at @page)
				 */
#define MEMX_F_AUTH	0x80	/* reserved: an authentication trailer of
				 * trailer_len bytes follows the payload.
				 * Version 2 peers answer MEMX_S_UNSUPP.
				 */
#define MEMX_F_KNOWN	(MEMX_F_ZERO | MEMX_F_MORE | MEMX_F_RUN)

/**
 * struct memx_hdr - the header every RMAP frame starts with (48 bytes)
 * @version: MEMX_VERSION; frames of another version are dropped and counted.
 * @type: enum memx_type.
 * @flags: MEMX_F_*; unknown flags are rejected.
 * @status: enum memx_status in replies, 0 in requests.
 * @session: server-assigned session id (0 for DISCOVER, ADVERT, OPEN).
 * @srv_gen: the server's boot generation: random, non-zero, new at every
 *	load of memx_server. Servers set it; clients echo it in requests.
 * @cli_gen: the client's instance generation, new at every client load.
 * @tag: client's request handle, echoed in replies (blk-mq unique tag).
 * @seq: per-session sequence of the client, strictly increasing over
 *	operations (retransmissions keep theirs). Echoed in replies. Servers
 *	apply a write or discard to a page only when its seq is newer than the
 *	last one applied there, so late duplicates never undo newer data.
 * @page: page index (byte offset / MEMX_PAGE_SIZE) the frame is about.
 * @count: pages covered by READ and DISCARD; in WRITE, the pages of its
 *	request from the request's first page up to and including @page
 *	(1 .. MEMX_MAX_PAGES_PER_OP); 1 for DATA; pages held by the session
 *	in ACK; 0 otherwise.
 * @frag_off: byte offset of this fragment's payload within the page.
 * @frag_len: payload bytes carried by this frame; in READ (which carries no
 *	payload) the largest fragment the client accepts in the DATA replies,
 *	so a server on a larger MTU never sends frames the client cannot
 *	receive (0: the server's choice).
 * @total_len: bytes of the whole object the fragments build (the page:
 *	MEMX_PAGE_SIZE for WRITE/DATA, else the payload length).
 * @trailer_len: length of the authentication trailer (MEMX_F_AUTH), else 0.
 * @reserved: zero on send; ignored on receive (room for later versions).
 *
 * Every field sits at its natural alignment, so the layout needs no packing
 * attribute. In a frame the header follows the 14-byte Ethernet header and
 * may be misaligned in memory: memx_parse_hdr() and memx_build_hdr() copy
 * it whole rather than touch fields in place.
 */
struct memx_hdr {
	__u8	version;
	__u8	type;
	__u8	flags;
	__u8	status;
	__be32	session;
	__be64	seq;
	__be64	page;
	__be32	srv_gen;
	__be32	cli_gen;
	__be32	tag;
	__be32	count;
	__be16	frag_off;
	__be16	frag_len;
	__be16	total_len;
	__u8	trailer_len;
	__u8	reserved;
};

static_assert(sizeof(struct memx_hdr) == 48, "memx_hdr is 48 bytes");

/*
 * Advertisement flags. A draining server still serves the sessions it has
 * (reads, writes, discards, CLOSE) while their clients move their pages
 * away; it answers OPEN of a new session MEMX_S_BUSY.
 */
#define MEMX_ADV_DRAINING	0x01	/* server asks clients to move away */

/**
 * struct memx_advert - payload of MEMX_T_ADVERT (32 bytes)
 * @capacity_pages: pages the server will store in total.
 * @free_pages: pages still free.
 * @load: receive load over the last second, frames per second / 16.
 * @sessions: open sessions.
 * @mtu: MTU of the interface the advert was sent on.
 * @flags: MEMX_ADV_*.
 * @reserved: zero.
 */
struct memx_advert {
	__be64	capacity_pages;
	__be64	free_pages;
	__be32	load;
	__be32	sessions;
	__be16	mtu;
	__u8	flags;
	__u8	reserved[5];
};

static_assert(sizeof(struct memx_advert) == 32, "memx_advert is 32 bytes");

#define MEMX_HDR_LEN		((unsigned int)sizeof(struct memx_hdr))
/* Smallest MTU memx runs on: a header and one fragment unit. */
#define MEMX_MIN_MTU		(MEMX_HDR_LEN + MEMX_FRAG_UNIT)

#endif /* _MEMX_WIRE_H */
