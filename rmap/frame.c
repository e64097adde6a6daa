// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and building of RMAP headers (see frame.h for the rules).
 *
 * Builds in the kernel (#included by client/rmap.c and server/rmap.c) and in
 * userspace (unit tests, fuzzer, injector) with nothing but shim.h: no
 * allocation, no locking, no kernel-only helpers.
 */
#include "frame.h"

const char *const memx_drop_names[MEMX_DROP_MAX] = {
	[MEMX_DROP_NONE]	= "none",
	[MEMX_DROP_TRUNC]	= "trunc",
	[MEMX_DROP_VERSION]	= "version",
	[MEMX_DROP_TYPE]	= "type",
	[MEMX_DROP_FLAGS]	= "flags",
	[MEMX_DROP_LEN]		= "len",
	[MEMX_DROP_FRAG]	= "frag",
	[MEMX_DROP_FIELD]	= "field",
};

/* Types that carry neither payload nor fragment fields. */
static enum memx_drop memx_check_nopayload(const struct memx_msg *m)
{
	if (m->frag_len)
		return MEMX_DROP_LEN;
	if (m->frag_off || m->total_len)
		return MEMX_DROP_FRAG;
	return MEMX_DROP_NONE;
}

/* One fragment of a page: WRITE, and DATA without MEMX_F_ZERO. */
static enum memx_drop memx_check_page_frag(const struct memx_msg *m)
{
	u32 end = (u32)m->frag_off + m->frag_len;

	if (m->type == MEMX_T_DATA && m->count != 1)
		return MEMX_DROP_FIELD;
	/* WRITE: the request's pages up to this one, none before page 0. */
	if (m->type == MEMX_T_WRITE &&
	    (!m->count || m->count > MEMX_MAX_PAGES_PER_OP ||
	     m->count - 1 > m->page))
		return MEMX_DROP_FIELD;
	if (m->total_len != MEMX_PAGE_SIZE || !m->frag_len ||
	    m->frag_off % MEMX_FRAG_UNIT || end > m->total_len)
		return MEMX_DROP_FRAG;
	if (end != m->total_len && m->frag_len % MEMX_FRAG_UNIT)
		return MEMX_DROP_FRAG;
	return MEMX_DROP_NONE;
}

/* Per-type rules; sets m->payload_len for the types that carry one. */
static enum memx_drop memx_check_type(struct memx_msg *m)
{
	enum memx_drop d;

	switch (m->type) {
	case MEMX_T_ACK:
		/* count: the pages the session holds, any value. */
		return memx_check_nopayload(m);
	case MEMX_T_DISCOVER:
	case MEMX_T_OPEN:
	case MEMX_T_CLOSE:
	case MEMX_T_ERROR:
		d = memx_check_nopayload(m);
		if (d == MEMX_DROP_NONE && m->count)
			d = MEMX_DROP_FIELD;
		return d;
	case MEMX_T_ADVERT:
		if (m->frag_len != sizeof(struct memx_advert))
			return MEMX_DROP_LEN;
		if (m->frag_off || m->total_len != m->frag_len)
			return MEMX_DROP_FRAG;
		if (m->count)
			return MEMX_DROP_FIELD;
		m->payload_len = m->frag_len;
		return MEMX_DROP_NONE;
	case MEMX_T_WRITE:
	case MEMX_T_DATA:
		if (m->flags & MEMX_F_ZERO) {
			d = memx_check_nopayload(m);
			if (d == MEMX_DROP_NONE && m->count != 1)
				d = MEMX_DROP_FIELD;
			return d;
		}
		d = memx_check_page_frag(m);
		if (d == MEMX_DROP_NONE)
			m->payload_len = m->frag_len;
		return d;
	case MEMX_T_READ:
		/*
		 * frag_len: the largest fragment the reader takes (0: the
		 * server's choice), not a payload; whole units, at most a page.
		 */
		if (m->frag_off || m->total_len)
			return MEMX_DROP_FRAG;
		if (m->frag_len % MEMX_FRAG_UNIT || m->frag_len > MEMX_PAGE_SIZE)
			return MEMX_DROP_FRAG;
		if (!m->count || m->count > MEMX_MAX_PAGES_PER_OP)
			return MEMX_DROP_FIELD;
		return MEMX_DROP_NONE;
	case MEMX_T_DISCARD:
		d = memx_check_nopayload(m);
		if (d == MEMX_DROP_NONE &&
		    (!m->count || m->count > MEMX_MAX_DISCARD_PAGES))
			d = MEMX_DROP_FIELD;
		return d;
	}
	return MEMX_DROP_TYPE;
}

enum memx_drop memx_parse_hdr(const struct memx_hdr *wire, size_t frame_len,
			      struct memx_msg *m)
{
	struct memx_hdr hdr, *h = &hdr;
	enum memx_drop d;
	size_t need;

	if (frame_len < MEMX_HDR_LEN)
		return MEMX_DROP_TRUNC;
	memcpy(&hdr, wire, sizeof(hdr));	/* @wire may be misaligned */
	if (h->version != MEMX_VERSION)
		return MEMX_DROP_VERSION;
	if (!h->type || h->type > MEMX_T_MAX)
		return MEMX_DROP_TYPE;

	m->type = h->type;
	m->flags = h->flags;
	m->status = h->status;
	m->trailer_len = h->trailer_len;
	m->session = be32_to_cpu(h->session);
	m->srv_gen = be32_to_cpu(h->srv_gen);
	m->cli_gen = be32_to_cpu(h->cli_gen);
	m->tag = be32_to_cpu(h->tag);
	m->count = be32_to_cpu(h->count);
	m->seq = be64_to_cpu(h->seq);
	m->page = be64_to_cpu(h->page);
	m->frag_off = be16_to_cpu(h->frag_off);
	m->frag_len = be16_to_cpu(h->frag_len);
	m->total_len = be16_to_cpu(h->total_len);
	m->payload_len = 0;

	if (m->flags & ~(MEMX_F_KNOWN | MEMX_F_AUTH))
		return MEMX_DROP_FLAGS;
	if ((m->flags & MEMX_F_ZERO) && m->type != MEMX_T_DATA)
		return MEMX_DROP_FLAGS;
	if ((m->flags & MEMX_F_MORE) && m->type != MEMX_T_WRITE)
		return MEMX_DROP_FLAGS;
	if ((m->flags & MEMX_F_RUN) && m->type != MEMX_T_ACK)
		return MEMX_DROP_FLAGS;
	if (m->trailer_len && !(m->flags & MEMX_F_AUTH))
		return MEMX_DROP_FLAGS;

	if (m->type == MEMX_T_ERROR) {
		if (!m->status || m->status > MEMX_S_MAX)
			return MEMX_DROP_FIELD;
	} else if (m->status) {
		return MEMX_DROP_FIELD;
	}

	d = memx_check_type(m);
	if (d != MEMX_DROP_NONE)
		return d;

	/*
	 * Pages page .. page + count - 1 must exist (ACK's count is a total;
	 * a WRITE's pages end at page, memx_check_page_frag() checked them).
	 */
	if (m->type != MEMX_T_ACK && memx_msg_pages_from(m) > ~0ULL - m->page)
		return MEMX_DROP_FIELD;

	need = (size_t)MEMX_HDR_LEN + m->payload_len + m->trailer_len;
	if (frame_len < need)
		return MEMX_DROP_TRUNC;
	if (frame_len > need)
		return MEMX_DROP_LEN;
	return MEMX_DROP_NONE;
}

void memx_build_hdr(struct memx_hdr *wire, const struct memx_msg *m)
{
	struct memx_hdr hdr, *h = &hdr;

	h->version = MEMX_VERSION;
	h->type = m->type;
	h->flags = m->flags;
	h->status = m->status;
	h->session = cpu_to_be32(m->session);
	h->srv_gen = cpu_to_be32(m->srv_gen);
	h->cli_gen = cpu_to_be32(m->cli_gen);
	h->tag = cpu_to_be32(m->tag);
	h->count = cpu_to_be32(m->count);
	h->seq = cpu_to_be64(m->seq);
	h->page = cpu_to_be64(m->page);
	h->frag_off = cpu_to_be16(m->frag_off);
	h->frag_len = cpu_to_be16(m->frag_len);
	h->total_len = cpu_to_be16(m->total_len);
	h->trailer_len = m->trailer_len;
	h->reserved = 0;
	memcpy(wire, &hdr, sizeof(hdr));	/* @wire may be misaligned */
}

unsigned int memx_frag_chunk(unsigned int mtu)
{
	unsigned int chunk;

	if (mtu < MEMX_MIN_MTU)
		return 0;
	chunk = (mtu - MEMX_HDR_LEN) / MEMX_FRAG_UNIT * MEMX_FRAG_UNIT;
	return min_t(unsigned int, chunk, MEMX_PAGE_SIZE);
}

unsigned int memx_frag_count(unsigned int mtu)
{
	unsigned int chunk = memx_frag_chunk(mtu);

	if (!chunk)
		return 0;
	return (MEMX_PAGE_SIZE + chunk - 1) / chunk;
}

void memx_advert_encode(struct memx_advert *wire,
			const struct memx_advert_info *i)
{
	struct memx_advert adv, *a = &adv;

	a->capacity_pages = cpu_to_be64(i->capacity_pages);
	a->free_pages = cpu_to_be64(i->free_pages);
	a->load = cpu_to_be32(i->load);
	a->sessions = cpu_to_be32(i->sessions);
	a->mtu = cpu_to_be16(i->mtu);
	a->flags = i->flags;
	memset(a->reserved, 0, sizeof(a->reserved));
	memcpy(wire, &adv, sizeof(adv));	/* @wire may be misaligned */
}

enum memx_drop memx_advert_decode(const struct memx_advert *wire,
				  struct memx_advert_info *i)
{
	struct memx_advert adv, *a = &adv;

	memcpy(&adv, wire, sizeof(adv));	/* @wire may be misaligned */
	i->capacity_pages = be64_to_cpu(a->capacity_pages);
	i->free_pages = be64_to_cpu(a->free_pages);
	i->load = be32_to_cpu(a->load);
	i->sessions = be32_to_cpu(a->sessions);
	i->mtu = be16_to_cpu(a->mtu);
	i->flags = a->flags;

	if (i->free_pages > i->capacity_pages)
		return MEMX_DROP_FIELD;
	if (i->flags & ~MEMX_ADV_DRAINING)
		return MEMX_DROP_FIELD;
	return MEMX_DROP_NONE;
}
