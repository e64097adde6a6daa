// SPDX-License-Identifier: GPL-2.0
/*
 * RTT estimation and retransmission timeout, RFC 6298 in integers, scaled
 * as TCP does it: srtt8 holds SRTT << 3 and rttvar4 holds RTTVAR << 2, so
 *
 *	SRTT   = 7/8 SRTT + 1/8 R		srtt8   += R - srtt8 / 8
 *	RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|	rttvar4 += |SRTT - R| - rttvar4 / 4
 *	RTO    = SRTT + max(G, 4 RTTVAR)	RTO = srtt8 / 8 + max(1, rttvar4)
 *
 * with a clock granularity G of 1 us, then clamped to [min_us, max_us].
 * Builds in the kernel and in userspace with nothing but shim.h.
 */
#include "rto.h"

/* Largest sample taken as is: srtt8 = R << 3 must fit in 32 bits. */
#define MEMX_RTT_MAX_SAMPLE	(~0U >> 3)

static void memx_rtt_update_rto(struct memx_rtt *r)
{
	u64 rto = (r->srtt8 >> 3) + max_t(u32, r->rttvar4, 1);

	r->rto_us = (u32)clamp_t(u64, rto, r->min_us, r->max_us);
}

void memx_rtt_init(struct memx_rtt *r, u32 initial_us, u32 min_us,
		   u32 max_us)
{
	if (max_us < min_us)
		max_us = min_us;
	r->srtt8 = 0;
	r->rttvar4 = 0;
	r->min_us = min_us;
	r->max_us = max_us;
	r->rto_us = clamp_t(u32, initial_us, min_us, max_us);
	r->samples = 0;
}

void memx_rtt_sample(struct memx_rtt *r, u32 sample_us)
{
	u32 m = min_t(u32, sample_us, MEMX_RTT_MAX_SAMPLE);
	u32 srtt = r->srtt8 >> 3;
	u32 err;

	if (!r->samples) {
		r->srtt8 = m << 3;
		r->rttvar4 = m << 1;		/* (R / 2) << 2 */
	} else {
		err = m > srtt ? m - srtt : srtt - m;
		/* Both stay below 8 and 4 times the largest sample. */
		r->rttvar4 = r->rttvar4 - (r->rttvar4 >> 2) + err;
		r->srtt8 = r->srtt8 - (r->srtt8 >> 3) + m;
	}
	r->samples++;
	memx_rtt_update_rto(r);
}

u32 memx_rtt_srtt_us(const struct memx_rtt *r)
{
	return r->samples ? r->srtt8 >> 3 : 0;
}

u32 memx_rtt_rto_us(const struct memx_rtt *r)
{
	return r->rto_us;
}

u32 memx_rto_backoff_us(const struct memx_rtt *r, unsigned int tries)
{
	u32 rto = r->rto_us;

	if (!rto)
		return 0;
	/* rto >= 1, so rto << 32 and beyond exceeds any u32 bound. */
	if (tries >= 32 || rto > (r->max_us >> tries))
		return r->max_us;
	return rto << tries;
}
