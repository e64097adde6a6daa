// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of rmap/frame.c: every drop reason, every message type valid
 * and invalid, build -> parse round trips, boundary lengths, and a page
 * chunked at MTU 1500 and 9000 and put back together.
 */
#include <stdlib.h>
#include "frame.h"
#include "frag.h"
#include "tap.h"

#define BUF_LEN		(MEMX_HDR_LEN + MEMX_PAGE_SIZE + 256)
#define U64_ALL		(~0ULL)

static u8 buf[BUF_LEN];

static const char *const type_names[] = {
	[MEMX_T_DISCOVER] = "DISCOVER", [MEMX_T_ADVERT] = "ADVERT",
	[MEMX_T_OPEN] = "OPEN", [MEMX_T_CLOSE] = "CLOSE",
	[MEMX_T_WRITE] = "WRITE", [MEMX_T_READ] = "READ",
	[MEMX_T_DISCARD] = "DISCARD", [MEMX_T_DATA] = "DATA",
	[MEMX_T_ACK] = "ACK", [MEMX_T_ERROR] = "ERROR",
};

/* A valid message of @type, as a sender would fill it. */
static struct memx_msg tmpl(u8 type)
{
	struct memx_msg m = {
		.type = type,
		.session = 0x0a0b0c0d,
		.srv_gen = 0x11223344,
		.cli_gen = 0x55667788,
		.tag = 0x99aabbcc,
		.seq = 0x0102030405060708ULL,
		.page = 42,
	};

	switch (type) {
	case MEMX_T_ADVERT:
		m.frag_len = sizeof(struct memx_advert);
		m.total_len = m.frag_len;
		m.payload_len = m.frag_len;
		break;
	case MEMX_T_WRITE:
	case MEMX_T_DATA:
		m.count = 1;
		m.frag_off = 1408;
		m.frag_len = 1408;
		m.total_len = MEMX_PAGE_SIZE;
		m.payload_len = m.frag_len;
		break;
	case MEMX_T_READ:
		m.count = MEMX_MAX_PAGES_PER_OP;
		break;
	case MEMX_T_DISCARD:
		m.count = MEMX_MAX_DISCARD_PAGES;
		break;
	case MEMX_T_ACK:
		m.count = 123456;
		break;
	case MEMX_T_ERROR:
		m.status = MEMX_S_NOSESSION;
		break;
	}
	return m;
}

/* Build @m into buf with its payload and trailer; return the frame length. */
static size_t build(const struct memx_msg *m)
{
	size_t len = MEMX_HDR_LEN + m->payload_len + m->trailer_len;

	memset(buf, 0xa5, sizeof(buf));
	memx_build_hdr((struct memx_hdr *)buf, m);
	return len;
}

static enum memx_drop parse(size_t len, struct memx_msg *out)
{
	memset(out, 0xee, sizeof(*out));
	return memx_parse_hdr((const struct memx_hdr *)buf, len, out);
}

static struct memx_hdr *hdr(void)
{
	return (struct memx_hdr *)buf;
}

/* Build @m, apply nothing, expect @want. */
#define expect_msg(m, want, ...)					\
	({								\
		struct memx_msg _o;					\
		size_t _l = build(&(m));				\
		eq(parse(_l, &_o), (want), __VA_ARGS__);		\
	})

static int same_msg(const struct memx_msg *a, const struct memx_msg *b)
{
	return a->type == b->type && a->flags == b->flags &&
	       a->status == b->status && a->trailer_len == b->trailer_len &&
	       a->session == b->session && a->srv_gen == b->srv_gen &&
	       a->cli_gen == b->cli_gen && a->tag == b->tag &&
	       a->count == b->count && a->seq == b->seq &&
	       a->page == b->page && a->frag_off == b->frag_off &&
	       a->frag_len == b->frag_len && a->total_len == b->total_len &&
	       a->payload_len == b->payload_len;
}

static void test_names(void)
{
	static const char *const want[MEMX_DROP_MAX] = {
		"none", "trunc", "version", "type", "flags", "len", "frag",
		"field",
	};
	int i;

	for (i = 0; i < MEMX_DROP_MAX; i++)
		ok(memx_drop_names[i] && !strcmp(memx_drop_names[i], want[i]),
		   "drop name %d is \"%s\"", i, want[i]);
}

static void test_valid_roundtrip(void)
{
	struct memx_msg m, o;
	u8 t;

	for (t = 1; t <= MEMX_T_MAX; t++) {
		m = tmpl(t);
		eq(parse(build(&m), &o), MEMX_DROP_NONE,
		   "%s: valid frame accepted", type_names[t]);
		ok(same_msg(&m, &o), "%s: build -> parse round trip",
		   type_names[t]);
	}

	/* Wire layout: big endian, reserved zeroed, version set. */
	m = tmpl(MEMX_T_WRITE);
	build(&m);
	ok(buf[0] == MEMX_VERSION && buf[1] == MEMX_T_WRITE &&
	   buf[4] == 0x0a && buf[7] == 0x0d && buf[8] == 0x01 &&
	   buf[15] == 0x08 && buf[23] == 42 && buf[24] == 0x11 &&
	   buf[28] == 0x55 && buf[32] == 0x99 && buf[40] == 0x05 &&
	   buf[41] == 0x80 && buf[44] == 0x10 && buf[45] == 0x00,
	   "build_hdr writes big-endian fields at the wire offsets");
	ok(buf[47] == 0, "build_hdr zeroes reserved");

	/* reserved is ignored on receive */
	m = tmpl(MEMX_T_READ);
	build(&m);
	hdr()->reserved = 0xff;
	eq(parse(MEMX_HDR_LEN, &o), MEMX_DROP_NONE, "reserved ignored");

	/* payload_len per type */
	m = tmpl(MEMX_T_WRITE);
	parse(build(&m), &o);
	eq(o.payload_len, 1408, "WRITE payload_len == frag_len");
	m = tmpl(MEMX_T_ADVERT);
	parse(build(&m), &o);
	eq(o.payload_len, 32, "ADVERT payload_len == 32");
	m = tmpl(MEMX_T_DISCARD);
	parse(build(&m), &o);
	eq(o.payload_len, 0, "DISCARD payload_len == 0");
}

static void test_trunc(void)
{
	struct memx_msg m, o;
	size_t len;

	eq(memx_parse_hdr(NULL, 0, &o), MEMX_DROP_TRUNC,
	   "empty frame: TRUNC without reading");
	eq(memx_parse_hdr(NULL, MEMX_HDR_LEN - 1, &o), MEMX_DROP_TRUNC,
	   "47 bytes: TRUNC without reading");

	m = tmpl(MEMX_T_DISCOVER);
	build(&m);
	eq(parse(MEMX_HDR_LEN - 1, &o), MEMX_DROP_TRUNC,
	   "DISCOVER cut to 47 bytes");
	eq(parse(MEMX_HDR_LEN, &o), MEMX_DROP_NONE, "DISCOVER of 48 bytes");

	m = tmpl(MEMX_T_WRITE);
	len = build(&m);
	eq(parse(len - 1, &o), MEMX_DROP_TRUNC, "WRITE one byte short");
	eq(parse(MEMX_HDR_LEN, &o), MEMX_DROP_TRUNC, "WRITE without payload");

	m = tmpl(MEMX_T_ADVERT);
	len = build(&m);
	eq(parse(len - 1, &o), MEMX_DROP_TRUNC, "ADVERT one byte short");

	m = tmpl(MEMX_T_WRITE);
	m.flags = MEMX_F_AUTH;
	m.trailer_len = 16;
	len = build(&m);
	eq(parse(len - 1, &o), MEMX_DROP_TRUNC,
	   "WRITE with trailer one byte short");
	eq(parse(len - 16, &o), MEMX_DROP_TRUNC, "WRITE missing its trailer");
}

static void test_version_type(void)
{
	static const u8 bad_versions[] = {
		0, MEMX_VERSION - 1, MEMX_VERSION + 1, 0x81, 0xff
	};
	static const u8 bad_types[] = { 0, MEMX_T_MAX + 1, 0x80, 0xff };
	struct memx_msg m, o;
	size_t len, i;

	m = tmpl(MEMX_T_WRITE);
	for (i = 0; i < ARRAY_SIZE(bad_versions); i++) {
		len = build(&m);
		hdr()->version = bad_versions[i];
		eq(parse(len, &o), MEMX_DROP_VERSION, "version %u: VERSION",
		   bad_versions[i]);
	}
	/* version is checked before anything else in the header */
	len = build(&m);
	hdr()->version = MEMX_VERSION + 1;
	hdr()->type = 0;
	hdr()->flags = 0xff;
	eq(parse(len + 5, &o), MEMX_DROP_VERSION,
	   "bad version wins over bad type, flags and length");

	m = tmpl(MEMX_T_DISCOVER);
	for (i = 0; i < ARRAY_SIZE(bad_types); i++) {
		len = build(&m);
		hdr()->type = bad_types[i];
		eq(parse(len, &o), MEMX_DROP_TYPE, "type %u: TYPE",
		   bad_types[i]);
	}
}

/* @flag is accepted on type @only (its template) and on no other type. */
static void flag_only_on(u8 flag, const char *name, u8 only)
{
	struct memx_msg m, o;
	u8 t;

	for (t = 1; t <= MEMX_T_MAX; t++) {
		m = tmpl(t);
		m.flags = flag;
		eq(parse(build(&m), &o),
		   t == only ? MEMX_DROP_NONE : MEMX_DROP_FLAGS,
		   "%s on %s: %s", name, type_names[t],
		   t == only ? "accepted" : "FLAGS");
	}
}

static void test_flags(void)
{
	struct memx_msg m, o;
	size_t len;
	u8 t;
	int bit;

	for (bit = 1; bit < 7; bit++) {
		if ((1U << bit) & MEMX_F_KNOWN)
			continue;
		m = tmpl(MEMX_T_DATA);
		m.flags = 1U << bit;
		eq(parse(build(&m), &o), MEMX_DROP_FLAGS,
		   "unknown flag 0x%02x: FLAGS", 1U << bit);
	}
	for (t = 1; t <= MEMX_T_MAX; t++) {
		if (t == MEMX_T_DATA)
			continue;
		m = tmpl(t);
		m.flags = MEMX_F_ZERO;
		eq(parse(build(&m), &o), MEMX_DROP_FLAGS,
		   "ZERO on %s: FLAGS", type_names[t]);
	}

	flag_only_on(MEMX_F_MORE, "MORE", MEMX_T_WRITE);
	flag_only_on(MEMX_F_RUN, "RUN", MEMX_T_ACK);

	m = tmpl(MEMX_T_READ);
	m.trailer_len = 8;
	eq(parse(build(&m), &o), MEMX_DROP_FLAGS,
	   "trailer without AUTH: FLAGS");

	/* AUTH: accepted, the payload excludes the trailer */
	for (t = 1; t <= MEMX_T_MAX; t++) {
		m = tmpl(t);
		m.flags = MEMX_F_AUTH;
		m.trailer_len = 255;
		eq(parse(build(&m), &o), MEMX_DROP_NONE,
		   "%s with AUTH and a 255-byte trailer", type_names[t]);
		ok(o.payload_len == m.payload_len && o.trailer_len == 255 &&
		   o.flags == MEMX_F_AUTH,
		   "%s with AUTH: payload excludes the trailer",
		   type_names[t]);
	}
	m = tmpl(MEMX_T_DISCOVER);
	m.flags = MEMX_F_AUTH;
	expect_msg(m, MEMX_DROP_NONE, "AUTH with an empty trailer");
	m = tmpl(MEMX_T_WRITE);
	m.flags = MEMX_F_AUTH;
	m.trailer_len = 32;
	len = build(&m);
	eq(parse(len + 1, &o), MEMX_DROP_LEN,
	   "WRITE with trailer and one byte extra: LEN");
}

static void test_status(void)
{
	struct memx_msg m, o;
	u8 t, s;

	for (t = 1; t <= MEMX_T_MAX; t++) {
		if (t == MEMX_T_ERROR)
			continue;
		m = tmpl(t);
		m.status = MEMX_S_BUSY;
		eq(parse(build(&m), &o), MEMX_DROP_FIELD,
		   "status on %s: FIELD", type_names[t]);
	}
	for (s = MEMX_S_NOSPACE; s <= MEMX_S_MAX; s++) {
		m = tmpl(MEMX_T_ERROR);
		m.status = s;
		expect_msg(m, MEMX_DROP_NONE, "ERROR status %u accepted", s);
	}
	m = tmpl(MEMX_T_ERROR);
	m.status = MEMX_S_OK;
	expect_msg(m, MEMX_DROP_FIELD, "ERROR with status OK: FIELD");
	m.status = MEMX_S_MAX + 1;
	expect_msg(m, MEMX_DROP_FIELD, "ERROR with status MAX+1: FIELD");
	m.status = 0xff;
	expect_msg(m, MEMX_DROP_FIELD, "ERROR with status 255: FIELD");
}

static void test_nopayload_types(void)
{
	static const u8 types[] = {
		MEMX_T_DISCOVER, MEMX_T_OPEN, MEMX_T_CLOSE, MEMX_T_ACK,
		MEMX_T_ERROR, MEMX_T_READ, MEMX_T_DISCARD,
	};
	static const u8 count0[] = {
		MEMX_T_DISCOVER, MEMX_T_OPEN, MEMX_T_CLOSE, MEMX_T_ERROR,
	};
	struct memx_msg m, o;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		const char *n = type_names[types[i]];

		m = tmpl(types[i]);
		len = build(&m);
		eq(parse(len + 1, &o), MEMX_DROP_LEN, "%s + 1 byte: LEN", n);
		eq(parse(len + 1000, &o), MEMX_DROP_LEN,
		   "%s + 1000 bytes: LEN", n);

		m = tmpl(types[i]);
		m.frag_len = 64;
		m.payload_len = 64;	/* the frame carries the bytes */
		expect_msg(m, MEMX_DROP_LEN, "%s with frag_len 64: LEN", n);

		m = tmpl(types[i]);
		m.frag_off = 64;
		expect_msg(m, MEMX_DROP_FRAG, "%s with frag_off: FRAG", n);

		m = tmpl(types[i]);
		m.total_len = MEMX_PAGE_SIZE;
		expect_msg(m, MEMX_DROP_FRAG, "%s with total_len: FRAG", n);
	}

	/* count: 0 for DISCOVER, OPEN, CLOSE, ERROR; free in ACK */
	for (i = 0; i < ARRAY_SIZE(count0); i++) {
		m = tmpl(count0[i]);
		m.count = 1;
		expect_msg(m, MEMX_DROP_FIELD, "%s with count 1: FIELD",
			   type_names[m.type]);
	}
	m = tmpl(MEMX_T_ACK);
	m.count = 0;
	expect_msg(m, MEMX_DROP_NONE, "ACK with count 0");
	m.count = 0xffffffff;
	m.page = U64_ALL;
	expect_msg(m, MEMX_DROP_NONE,
		   "ACK with count U32_MAX at page U64_MAX (count is a total)");

	/* READ and DISCARD count bounds */
	m = tmpl(MEMX_T_READ);
	m.count = 0;
	expect_msg(m, MEMX_DROP_FIELD, "READ count 0: FIELD");
	m.count = 1;
	expect_msg(m, MEMX_DROP_NONE, "READ count 1");
	m.count = MEMX_MAX_PAGES_PER_OP;
	expect_msg(m, MEMX_DROP_NONE, "READ count 16");
	m.count = MEMX_MAX_PAGES_PER_OP + 1;
	expect_msg(m, MEMX_DROP_FIELD, "READ count 17: FIELD");
	m.count = 0xffffffff;
	expect_msg(m, MEMX_DROP_FIELD, "READ count U32_MAX: FIELD");

	/* READ's frag_len: the largest fragment the reader accepts */
	m = tmpl(MEMX_T_READ);
	m.frag_len = 1408;
	expect_msg(m, MEMX_DROP_NONE, "READ accepting 1408-byte fragments");
	o.frag_len = 0;
	eq(parse(build(&m), &o), MEMX_DROP_NONE, "READ frag_len parses");
	ok(o.frag_len == 1408 && o.payload_len == 0,
	   "READ frag_len 1408 is no payload");
	m.frag_len = MEMX_PAGE_SIZE;
	expect_msg(m, MEMX_DROP_NONE, "READ accepting whole pages");
	m.frag_len = MEMX_FRAG_UNIT;
	expect_msg(m, MEMX_DROP_NONE, "READ accepting one unit");
	m.frag_len = 100;
	expect_msg(m, MEMX_DROP_FRAG, "READ frag_len 100 (not units): FRAG");
	m.frag_len = MEMX_PAGE_SIZE + MEMX_FRAG_UNIT;
	expect_msg(m, MEMX_DROP_FRAG, "READ frag_len over a page: FRAG");

	m = tmpl(MEMX_T_DISCARD);
	m.count = 0;
	expect_msg(m, MEMX_DROP_FIELD, "DISCARD count 0: FIELD");
	m.count = 1;
	expect_msg(m, MEMX_DROP_NONE, "DISCARD count 1");
	m.count = MEMX_MAX_DISCARD_PAGES;
	expect_msg(m, MEMX_DROP_NONE, "DISCARD count 256");
	m.count = MEMX_MAX_DISCARD_PAGES + 1;
	expect_msg(m, MEMX_DROP_FIELD, "DISCARD count 257: FIELD");
}

static void test_page_range(void)
{
	struct memx_msg m;

	m = tmpl(MEMX_T_READ);
	m.count = 16;
	m.page = U64_ALL - 16;
	expect_msg(m, MEMX_DROP_NONE, "READ of the last 16 pages");
	m.page = U64_ALL - 15;
	expect_msg(m, MEMX_DROP_FIELD, "READ past U64 page numbers: FIELD");

	m = tmpl(MEMX_T_DISCARD);
	m.page = U64_ALL - 255;
	expect_msg(m, MEMX_DROP_FIELD,
		   "DISCARD past U64 page numbers: FIELD");

	m = tmpl(MEMX_T_WRITE);
	m.page = U64_ALL - 1;
	expect_msg(m, MEMX_DROP_NONE, "WRITE page U64_MAX - 1");
	m.page = U64_ALL;
	expect_msg(m, MEMX_DROP_FIELD, "WRITE page U64_MAX: FIELD");

	m = tmpl(MEMX_T_DATA);
	m.page = U64_ALL;
	expect_msg(m, MEMX_DROP_FIELD, "DATA page U64_MAX: FIELD");

	m = tmpl(MEMX_T_DISCOVER);
	m.page = U64_ALL;
	expect_msg(m, MEMX_DROP_NONE, "DISCOVER (count 0) at page U64_MAX");
}

static void test_advert_hdr(void)
{
	struct memx_msg m, o;
	size_t len;

	m = tmpl(MEMX_T_ADVERT);
	len = build(&m);
	eq(parse(len + 1, &o), MEMX_DROP_LEN, "ADVERT + 1 byte: LEN");

	m = tmpl(MEMX_T_ADVERT);
	m.frag_len = 31;
	m.total_len = 31;
	m.payload_len = 31;
	expect_msg(m, MEMX_DROP_LEN, "ADVERT payload 31: LEN");
	m.frag_len = 33;
	m.total_len = 33;
	m.payload_len = 33;
	expect_msg(m, MEMX_DROP_LEN, "ADVERT payload 33: LEN");
	m.frag_len = 0;
	m.total_len = 0;
	m.payload_len = 0;
	expect_msg(m, MEMX_DROP_LEN, "ADVERT without payload: LEN");

	m = tmpl(MEMX_T_ADVERT);
	m.frag_off = 64;
	expect_msg(m, MEMX_DROP_FRAG, "ADVERT frag_off 64: FRAG");
	m = tmpl(MEMX_T_ADVERT);
	m.total_len = 64;
	expect_msg(m, MEMX_DROP_FRAG, "ADVERT total_len != frag_len: FRAG");
	m = tmpl(MEMX_T_ADVERT);
	m.count = 1;
	expect_msg(m, MEMX_DROP_FIELD, "ADVERT count 1: FIELD");
}

/* WRITE and DATA fragment rules, with frames that carry what they state. */
static void test_page_frags(void)
{
	static const struct {
		u16 off, len, total;
		enum memx_drop want;
		const char *what;
	} cases[] = {
		{ 0, 4096, 4096, MEMX_DROP_NONE, "whole page" },
		{ 0, 64, 4096, MEMX_DROP_NONE, "first unit" },
		{ 4032, 64, 4096, MEMX_DROP_NONE, "last unit" },
		{ 4032, 1, 4096, MEMX_DROP_FRAG, "1 byte not ending the page" },
		{ 2816, 1280, 4096, MEMX_DROP_NONE, "MTU 1500 tail" },
		{ 64, 4032, 4096, MEMX_DROP_NONE, "all but the first unit" },
		{ 0, 4095, 4096, MEMX_DROP_FRAG, "short, not ending the page" },
		{ 0, 100, 4096, MEMX_DROP_FRAG, "non-unit length mid-page" },
		{ 0, 0, 4096, MEMX_DROP_FRAG, "zero length" },
		{ 32, 64, 4096, MEMX_DROP_FRAG, "misaligned offset" },
		{ 4095, 1, 4096, MEMX_DROP_FRAG, "misaligned tail byte" },
		{ 4096, 64, 4096, MEMX_DROP_FRAG, "offset at page end" },
		{ 64, 4096, 4096, MEMX_DROP_FRAG, "past the page end" },
		{ 0, 4097, 4096, MEMX_DROP_FRAG, "longer than a page" },
		{ 3968, 1408, 4096, MEMX_DROP_FRAG, "runs off the page" },
		{ 0, 1408, 4095, MEMX_DROP_FRAG, "total_len 4095" },
		{ 0, 1408, 8192, MEMX_DROP_FRAG, "total_len 8192" },
		{ 0, 1408, 0, MEMX_DROP_FRAG, "total_len 0" },
		{ 0xffc0, 0xffff, 0xffff, MEMX_DROP_FRAG, "all ones" },
	};
	struct memx_msg m, o;
	size_t i;
	u8 t;

	for (t = MEMX_T_WRITE; t <= MEMX_T_DATA; t += MEMX_T_DATA - MEMX_T_WRITE) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			m = tmpl(t);
			m.frag_off = cases[i].off;
			m.frag_len = cases[i].len;
			m.total_len = cases[i].total;
			m.payload_len = cases[i].len;
			if (MEMX_HDR_LEN + m.payload_len > sizeof(buf))
				m.payload_len = sizeof(buf) - MEMX_HDR_LEN;
			expect_msg(m, cases[i].want, "%s %s (%u+%u/%u)",
				   type_names[t], cases[i].what, cases[i].off,
				   cases[i].len, cases[i].total);
		}
		m = tmpl(t);
		m.count = 0;
		expect_msg(m, MEMX_DROP_FIELD, "%s count 0: FIELD",
			   type_names[t]);
		m.count = 2;
		expect_msg(m, t == MEMX_T_WRITE ? MEMX_DROP_NONE :
			   MEMX_DROP_FIELD, "%s count 2: %s", type_names[t],
			   t == MEMX_T_WRITE ? "accepted" : "FIELD");
		m = tmpl(t);
		eq(parse(build(&m) + 1, &o), MEMX_DROP_LEN,
		   "%s one byte longer than frag_len: LEN", type_names[t]);
	}

	/* WRITE count: its request's pages up to @page, none below 0 */
	m = tmpl(MEMX_T_WRITE);
	m.count = MEMX_MAX_PAGES_PER_OP;
	m.flags = MEMX_F_MORE;
	expect_msg(m, MEMX_DROP_NONE, "WRITE MORE count 16 at page 42");
	m.count = MEMX_MAX_PAGES_PER_OP + 1;
	expect_msg(m, MEMX_DROP_FIELD, "WRITE count 17: FIELD");
	m.count = 3;
	m.page = 2;
	expect_msg(m, MEMX_DROP_NONE, "WRITE count 3 at page 2");
	m.count = 4;
	expect_msg(m, MEMX_DROP_FIELD, "WRITE count 4 at page 2: FIELD");
	m.count = MEMX_MAX_PAGES_PER_OP;
	m.page = ~0ULL - 1;
	expect_msg(m, MEMX_DROP_NONE, "WRITE count 16 at page U64_MAX - 1");
	m.page = ~0ULL;
	expect_msg(m, MEMX_DROP_FIELD, "WRITE count 16 at page U64_MAX: FIELD");

	/* DATA with ZERO: no payload, frag fields 0, count 1 */
	m = tmpl(MEMX_T_DATA);
	m.flags = MEMX_F_ZERO;
	m.frag_off = 0;
	m.frag_len = 0;
	m.total_len = 0;
	m.payload_len = 0;
	expect_msg(m, MEMX_DROP_NONE, "DATA ZERO accepted");
	parse(build(&m), &o);
	ok(o.payload_len == 0 && o.flags == MEMX_F_ZERO,
	   "DATA ZERO: no payload, flag kept");
	eq(parse(build(&m) + 1, &o), MEMX_DROP_LEN, "DATA ZERO + 1 byte: LEN");
	m.count = 2;
	expect_msg(m, MEMX_DROP_FIELD, "DATA ZERO count 2: FIELD");
	m.count = 1;
	m.total_len = MEMX_PAGE_SIZE;
	expect_msg(m, MEMX_DROP_FRAG, "DATA ZERO with total_len: FRAG");
	m.total_len = 0;
	m.frag_len = 64;
	m.payload_len = 64;
	expect_msg(m, MEMX_DROP_LEN, "DATA ZERO with a payload: LEN");
}

static void test_chunk(void)
{
	static const struct {
		unsigned int mtu, chunk, count;
	} cases[] = {
		{ 0, 0, 0 }, { 47, 0, 0 }, { MEMX_MIN_MTU - 1, 0, 0 },
		{ MEMX_MIN_MTU, 64, 64 }, { 576, 512, 8 }, { 1280, 1216, 4 },
		{ 1500, 1408, 3 }, { 4143, 4032, 2 }, { 4144, 4096, 1 },
		{ 9000, 4096, 1 }, { 65535, 4096, 1 }, { ~0U, 4096, 1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		eq(memx_frag_chunk(cases[i].mtu), cases[i].chunk,
		   "memx_frag_chunk(%u) == %u", cases[i].mtu, cases[i].chunk);
		eq(memx_frag_count(cases[i].mtu), cases[i].count,
		   "memx_frag_count(%u) == %u", cases[i].mtu, cases[i].count);
	}
}

/*
 * What a sender and receiver do with a page at @mtu: cut it into frames of
 * at most @mtu bytes, parse each, record it in a mask and copy it into
 * place; the page must come back whole after exactly frag_count frames.
 */
static void test_page_transfer(unsigned int mtu)
{
	static u8 page[MEMX_PAGE_SIZE], out[MEMX_PAGE_SIZE];
	unsigned int chunk = memx_frag_chunk(mtu), frames = 0, off;
	int res = MEMX_FRAG_BAD, bad = 0;
	struct memx_msg m, o;
	u64 mask = 0;
	size_t len, i;

	for (i = 0; i < sizeof(page); i++)
		page[i] = (u8)(i * 7 + mtu);
	memset(out, 0, sizeof(out));

	for (off = 0; off < MEMX_PAGE_SIZE; off += chunk) {
		m = tmpl(MEMX_T_WRITE);
		m.frag_off = off;
		m.frag_len = min_t(unsigned int, chunk, MEMX_PAGE_SIZE - off);
		m.payload_len = m.frag_len;
		len = build(&m);
		memcpy(buf + MEMX_HDR_LEN, page + off, m.frag_len);
		if (len > mtu || parse(len, &o) != MEMX_DROP_NONE) {
			bad++;
			continue;
		}
		res = memx_frag_add(&mask, o.frag_off, o.frag_len);
		if (res != MEMX_FRAG_PARTIAL && res != MEMX_FRAG_COMPLETE)
			bad++;
		memcpy(out + o.frag_off, buf + MEMX_HDR_LEN, o.payload_len);
		frames++;
	}
	eq(bad, 0, "MTU %u: every frame fits the MTU, parses, is new data",
	   mtu);
	eq(frames, memx_frag_count(mtu), "MTU %u: %u frames per page", mtu,
	   memx_frag_count(mtu));
	eq(res, MEMX_FRAG_COMPLETE, "MTU %u: last frame completes the page",
	   mtu);
	ok(!memcmp(page, out, sizeof(page)), "MTU %u: page reassembled", mtu);
}

static void test_advert_payload(void)
{
	struct memx_advert_info in = {
		.capacity_pages = 0x0102030405060708ULL,
		.free_pages = 0x0102030405060700ULL,
		.load = 0xdeadbeef,
		.sessions = 77,
		.mtu = 9000,
		.flags = MEMX_ADV_DRAINING,
	}, out;
	struct memx_advert a;

	memset(&a, 0xff, sizeof(a));
	memx_advert_encode(&a, &in);
	ok(!a.reserved[0] && !a.reserved[4], "advert encode zeroes reserved");
	ok(((u8 *)&a)[0] == 0x01 && ((u8 *)&a)[7] == 0x08 &&
	   ((u8 *)&a)[24] == 0x23 && ((u8 *)&a)[25] == 0x28,
	   "advert fields big endian at their offsets");
	memset(&out, 0, sizeof(out));
	eq(memx_advert_decode(&a, &out), MEMX_DROP_NONE, "advert decodes");
	ok(out.capacity_pages == in.capacity_pages &&
	   out.free_pages == in.free_pages && out.load == in.load &&
	   out.sessions == in.sessions && out.mtu == in.mtu &&
	   out.flags == in.flags, "advert round trip");

	a.reserved[2] = 0x55;
	eq(memx_advert_decode(&a, &out), MEMX_DROP_NONE,
	   "advert reserved ignored");

	in.free_pages = in.capacity_pages;
	memx_advert_encode(&a, &in);
	eq(memx_advert_decode(&a, &out), MEMX_DROP_NONE,
	   "advert free == capacity");
	in.free_pages = in.capacity_pages + 1;
	memx_advert_encode(&a, &in);
	eq(memx_advert_decode(&a, &out), MEMX_DROP_FIELD,
	   "advert free > capacity: FIELD");
	in.free_pages = 0;
	in.flags = 0x02;
	memx_advert_encode(&a, &in);
	eq(memx_advert_decode(&a, &out), MEMX_DROP_FIELD,
	   "advert unknown flag: FIELD");
	in.flags = 0;
	memx_advert_encode(&a, &in);
	eq(memx_advert_decode(&a, &out), MEMX_DROP_NONE, "advert flags 0");
}

void test_frame(void)
{
	test_names();
	test_valid_roundtrip();
	test_trunc();
	test_version_type();
	test_flags();
	test_status();
	test_nopayload_types();
	test_page_range();
	test_advert_hdr();
	test_page_frags();
	test_chunk();
	test_page_transfer(1500);
	test_page_transfer(9000);
	test_page_transfer(MEMX_MIN_MTU);
	test_advert_payload();
}
