/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing and building of RMAP headers. Builds in kernel and userspace.
 * Every field of a received header is validated here before anyone uses it.
 */
#ifndef _MEMX_FRAME_H
#define _MEMX_FRAME_H

#include "shim.h"
#include <memx/wire.h>

/**
 * enum memx_drop - why a received frame was rejected; each has a counter
 * @MEMX_DROP_NONE: accepted.
 * @MEMX_DROP_TRUNC: shorter than a header, or than the payload it states.
 * @MEMX_DROP_VERSION: version is not MEMX_VERSION.
 * @MEMX_DROP_TYPE: unknown message type.
 * @MEMX_DROP_FLAGS: unknown flag, or a flag the type does not allow.
 * @MEMX_DROP_LEN: payload length does not match what the type requires.
 * @MEMX_DROP_FRAG: fragment offset/length/total out of bounds or misaligned.
 * @MEMX_DROP_FIELD: another field out of range (count, status, page range).
 * @MEMX_DROP_MAX: number of reasons.
 */
enum memx_drop {
	MEMX_DROP_NONE = 0,
	MEMX_DROP_TRUNC,
	MEMX_DROP_VERSION,
	MEMX_DROP_TYPE,
	MEMX_DROP_FLAGS,
	MEMX_DROP_LEN,
	MEMX_DROP_FRAG,
	MEMX_DROP_FIELD,
	MEMX_DROP_MAX,
};

/* Short names for counters: "trunc", "version", ... ("none" for 0). */
extern const char *const memx_drop_names[MEMX_DROP_MAX];

/**
 * struct memx_msg - a validated header in host byte order
 * @payload_len: bytes of payload following the header (== frag_len for
 *	WRITE/DATA, sizeof(struct memx_advert) for ADVERT, else 0). The
 *	authentication trailer, if any, follows the payload and is not counted.
 * Other fields: as in struct memx_hdr.
 */
struct memx_msg {
	u8 type;
	u8 flags;
	u8 status;
	u8 trailer_len;
	u32 session;
	u32 srv_gen;
	u32 cli_gen;
	u32 tag;
	u32 count;
	u64 seq;
	u64 page;
	u16 frag_off;
	u16 frag_len;
	u16 total_len;
	u32 payload_len;
};

/**
 * memx_parse_hdr() - validate a received header
 * @h: the header (at least MEMX_HDR_LEN readable bytes if frame_len allows;
 *	the function reads nothing when frame_len < MEMX_HDR_LEN)
 * @frame_len: bytes from the start of the header to the end of the frame
 * @m: filled in on success
 *
 * Rules: version MEMX_VERSION; known type; flags within MEMX_F_KNOWN |
 * MEMX_F_AUTH, MEMX_F_ZERO only on DATA, MEMX_F_MORE only on WRITE,
 * MEMX_F_RUN only on ACK; status 0 except on ERROR (where it is
 * 1..MEMX_S_MAX); frame_len == HDR + payload + trailer_len exactly, with
 * trailer_len 0 unless MEMX_F_AUTH (MEMX_DROP_FLAGS); MEMX_F_AUTH itself is
 * accepted with any trailer_len, for the receiver to answer MEMX_S_UNSUPP.
 * The payload a header states is frag_len (MEMX_DROP_LEN when the type
 * requires another length); a frame shorter than that plus the trailer is
 * MEMX_DROP_TRUNC, a longer one MEMX_DROP_LEN. Per type:
 *  DISCOVER, OPEN, CLOSE, ACK, ERROR: no payload, frag fields 0; count
 *	is free in ACK, 0 elsewhere.
 *  ADVERT: payload sizeof(struct memx_advert), frag_off 0,
 *	frag_len == total_len == payload, count 0.
 *  WRITE, DATA (without ZERO): count 1 in DATA; in WRITE
 *	1..MEMX_MAX_PAGES_PER_OP with count - 1 <= page; total_len MEMX_PAGE_SIZE,
 *	frag_len > 0, frag_off a multiple of MEMX_FRAG_UNIT,
 *	frag_off + frag_len <= total_len, frag_len a multiple of
 *	MEMX_FRAG_UNIT unless the fragment ends the page, payload == frag_len.
 *  DATA with ZERO: count 1, no payload, frag fields 0.
 *  READ: count 1..MEMX_MAX_PAGES_PER_OP, no payload, frag_off and total_len
 *	0; frag_len 0 or a multiple of MEMX_FRAG_UNIT up to MEMX_PAGE_SIZE: the
 *	largest fragment the reader accepts in the DATA replies.
 *  DISCARD: count 1..MEMX_MAX_DISCARD_PAGES, no payload, frag fields 0.
 *  page + count must not overflow U64 page numbers (except in ACK; in
 *	WRITE page + 1 must not: its count pages end at page).
 * The checks run in this order: TRUNC (header), VERSION, TYPE, FLAGS,
 * status (FIELD), the type's rules, page range, frame length. Nothing in
 * session, srv_gen, cli_gen, tag, seq or reserved is checked here.
 *
 * Return: MEMX_DROP_NONE, or the reason to drop.
 */
enum memx_drop memx_parse_hdr(const struct memx_hdr *h, size_t frame_len,
			      struct memx_msg *m);

/*
 * Pages from @m->page on that @m is about: a WRITE's @count names its
 * request's pages up to @page, not after it.
 */
static inline u64 memx_msg_pages_from(const struct memx_msg *m)
{
	return m->type == MEMX_T_WRITE ? 1 : m->count;
}

/**
 * memx_build_hdr() - write a header from @m (version set, reserved zeroed)
 */
void memx_build_hdr(struct memx_hdr *h, const struct memx_msg *m);

/**
 * memx_frag_chunk() - payload bytes per fragment on a link of @mtu
 *
 * min(MEMX_PAGE_SIZE, (mtu - MEMX_HDR_LEN) rounded down to MEMX_FRAG_UNIT),
 * or 0 when @mtu < MEMX_MIN_MTU. MTU 1500 gives 1408 (three frames a page),
 * MTU 9000 gives 4096 (one frame).
 */
unsigned int memx_frag_chunk(unsigned int mtu);

/** memx_frag_count() - frames needed for one page at @mtu (0 if unusable) */
unsigned int memx_frag_count(unsigned int mtu);

/**
 * struct memx_advert_info - decoded advertisement
 */
struct memx_advert_info {
	u64 capacity_pages;
	u64 free_pages;
	u32 load;
	u32 sessions;
	u16 mtu;
	u8 flags;
};

void memx_advert_encode(struct memx_advert *a,
			const struct memx_advert_info *i);

/**
 * memx_advert_decode() - decode and check an advertisement payload
 *
 * Return: MEMX_DROP_NONE, or MEMX_DROP_FIELD when free > capacity or flags
 * are unknown.
 */
enum memx_drop memx_advert_decode(const struct memx_advert *a,
				  struct memx_advert_info *i);

#endif /* _MEMX_FRAME_H */
