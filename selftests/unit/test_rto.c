// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of rmap/rto.c: initial value, first sample, convergence,
 * variation, clamping, huge samples, and backoff without overflow.
 */
#include "rto.h"
#include "tap.h"

#define MS	1000U
#define SEC	(1000U * MS)

static void test_init(void)
{
	struct memx_rtt r;

	memx_rtt_init(&r, 100 * MS, 1 * MS, 10 * SEC);
	eq(memx_rtt_rto_us(&r), 100 * MS, "initial RTO as given");
	eq(memx_rtt_srtt_us(&r), 0, "no srtt before a sample");
	eq(r.samples, 0, "no samples");
	eq(memx_rto_backoff_us(&r, 0), 100 * MS, "backoff 0 == rto");

	memx_rtt_init(&r, 10, 1 * MS, 10 * SEC);
	eq(memx_rtt_rto_us(&r), 1 * MS, "initial RTO clamped up to min");
	memx_rtt_init(&r, 100 * SEC, 1 * MS, 10 * SEC);
	eq(memx_rtt_rto_us(&r), 10 * SEC, "initial RTO clamped down to max");
	memx_rtt_init(&r, 5, 20, 10);
	ok(r.min_us <= r.max_us && memx_rtt_rto_us(&r) == 20,
	   "max < min: bounds made consistent");
}

static void test_first_sample(void)
{
	struct memx_rtt r;

	memx_rtt_init(&r, 100 * MS, 1, 10 * SEC);
	memx_rtt_sample(&r, 1000);
	eq(memx_rtt_srtt_us(&r), 1000, "first sample: srtt = R");
	eq(r.srtt8, 8000, "srtt8 = R << 3");
	eq(r.rttvar4, 2000, "rttvar4 = (R / 2) << 2");
	eq(memx_rtt_rto_us(&r), 3000, "rto = R + 4 * R / 2 = 3R");
	eq(r.samples, 1, "one sample counted");

	/* second sample: RFC 6298 2.3 by hand */
	memx_rtt_sample(&r, 2000);
	/* rttvar = 3/4 * 500 + 1/4 * 1000 = 625; srtt = 7/8 1000 + 250 */
	eq(r.rttvar4, 2500, "second sample: rttvar = 3/4 rttvar + 1/4 |e|");
	eq(memx_rtt_srtt_us(&r), 1125, "second sample: srtt = 7/8 srtt + R/8");
	eq(memx_rtt_rto_us(&r), 1125 + 2500, "second sample: rto");

	memx_rtt_init(&r, 100 * MS, 0, 10 * SEC);
	memx_rtt_sample(&r, 0);
	eq(memx_rtt_rto_us(&r), 1, "zero sample: rto = 1 us granularity");
}

static void test_convergence(void)
{
	struct memx_rtt r;
	u32 prev, rto;
	int i, mono = 1;

	memx_rtt_init(&r, 1 * SEC, 1, 10 * SEC);
	memx_rtt_sample(&r, 100 * MS);
	for (i = 0; i < 500; i++)
		memx_rtt_sample(&r, 500);
	eq(memx_rtt_srtt_us(&r), 500, "srtt converges to a steady RTT");
	rto = memx_rtt_rto_us(&r);
	ok(rto >= 501 && rto <= 504, "rto converges to srtt + G (%u)", rto);

	/* a step up: srtt rises monotonically towards the new value */
	prev = memx_rtt_srtt_us(&r);
	for (i = 0; i < 200; i++) {
		memx_rtt_sample(&r, 4000);
		if (memx_rtt_srtt_us(&r) < prev ||
		    memx_rtt_srtt_us(&r) > 4000)
			mono = 0;
		prev = memx_rtt_srtt_us(&r);
	}
	ok(mono, "srtt climbs monotonically and never overshoots");
	eq(memx_rtt_srtt_us(&r), 4000, "srtt reaches the new RTT");

	/* jitter: alternating samples keep rto above their maximum */
	memx_rtt_init(&r, 1 * SEC, 1, 10 * SEC);
	for (i = 0; i < 1000; i++)
		memx_rtt_sample(&r, i & 1 ? 1200 : 800);
	rto = memx_rtt_rto_us(&r);
	ok(memx_rtt_srtt_us(&r) >= 950 && memx_rtt_srtt_us(&r) <= 1050,
	   "jitter: srtt near the mean (%u)", memx_rtt_srtt_us(&r));
	ok(rto > 1200 && rto < 3000, "jitter: rto covers the spread (%u)",
	   rto);
	eq(r.samples, 1000, "1000 samples counted");
}

static void test_clamp(void)
{
	struct memx_rtt r;
	int i;

	memx_rtt_init(&r, 1 * SEC, 200 * MS, 2 * SEC);
	memx_rtt_sample(&r, 10);
	eq(memx_rtt_rto_us(&r), 200 * MS, "small RTT: rto clamped to min");
	eq(memx_rtt_srtt_us(&r), 10, "srtt itself is not clamped");
	memx_rtt_sample(&r, 5 * SEC);
	eq(memx_rtt_rto_us(&r), 2 * SEC, "large RTT: rto clamped to max");

	memx_rtt_init(&r, 1 * SEC, 1, ~0U);
	for (i = 0; i < 100; i++)
		memx_rtt_sample(&r, ~0U);
	eq(memx_rtt_srtt_us(&r), ~0U >> 3, "huge samples: srtt saturates");
	ok(memx_rtt_rto_us(&r) >= (~0U >> 3), "huge samples: rto no wrap");
	memx_rtt_sample(&r, 0);
	ok(memx_rtt_srtt_us(&r) < (~0U >> 3) &&
	   memx_rtt_rto_us(&r) > memx_rtt_srtt_us(&r),
	   "from huge to zero: no wrap");
}

static void test_backoff(void)
{
	struct memx_rtt r;
	unsigned int t;
	u32 prev = 0, b;
	int mono = 1;

	memx_rtt_init(&r, 3000, 1, 1 * SEC);
	eq(memx_rto_backoff_us(&r, 0), 3000, "backoff 0: rto");
	eq(memx_rto_backoff_us(&r, 1), 6000, "backoff 1: 2 * rto");
	eq(memx_rto_backoff_us(&r, 8), 3000 << 8, "backoff 8: 256 * rto");
	eq(memx_rto_backoff_us(&r, 9), 1 * SEC, "backoff 9: clamped to max");
	eq(memx_rto_backoff_us(&r, 31), 1 * SEC, "backoff 31: max");
	eq(memx_rto_backoff_us(&r, 32), 1 * SEC, "backoff 32: max");
	eq(memx_rto_backoff_us(&r, 64), 1 * SEC, "backoff 64: max");
	eq(memx_rto_backoff_us(&r, ~0U), 1 * SEC, "backoff UINT_MAX: max");
	for (t = 0; t < 200; t++) {
		b = memx_rto_backoff_us(&r, t);
		if (b < prev || b > 1 * SEC)
			mono = 0;
		prev = b;
	}
	ok(mono, "backoff non-decreasing and bounded for tries 0..199");

	/* max_us = U32_MAX: the shift itself must not overflow */
	memx_rtt_init(&r, 3000, 1, ~0U);
	eq(memx_rto_backoff_us(&r, 20), 3000U << 20, "3000 << 20 exact");
	eq(memx_rto_backoff_us(&r, 21), ~0U, "3000 << 21 saturates");
	eq(memx_rto_backoff_us(&r, 64), ~0U, "tries 64 saturates");
	memx_rtt_init(&r, 1, 1, ~0U);
	eq(memx_rto_backoff_us(&r, 31), 1U << 31, "1 << 31 exact");
	eq(memx_rto_backoff_us(&r, 32), ~0U, "1 << 32 saturates");
}

void test_rto(void)
{
	test_init();
	test_first_sample();
	test_convergence();
	test_clamp();
	test_backoff();
}
