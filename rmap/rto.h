/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Round-trip estimation and retransmission timeout (Jacobson/Karels, as in
 * RFC 6298), in microseconds. Builds in kernel and userspace. No locking
 * inside: callers serialise updates to one estimator.
 */
#ifndef _MEMX_RTO_H
#define _MEMX_RTO_H

#include "shim.h"

/**
 * struct memx_rtt - one peer's RTT estimator
 * @srtt8: smoothed RTT, microseconds << 3.
 * @rttvar4: RTT variation, microseconds << 2.
 * @rto_us: current timeout, within [min_us, max_us].
 * @min_us: lower bound for the timeout.
 * @max_us: upper bound for the timeout (and for backoff).
 * @samples: samples taken; 0 means @rto_us is still the initial value.
 */
struct memx_rtt {
	u32 srtt8;
	u32 rttvar4;
	u32 rto_us;
	u32 min_us;
	u32 max_us;
	u64 samples;
};

/** memx_rtt_init() - no samples yet: RTO is @initial_us (clamped) */
void memx_rtt_init(struct memx_rtt *r, u32 initial_us, u32 min_us,
		   u32 max_us);

/**
 * memx_rtt_sample() - feed one RTT measurement (never from a retransmitted
 * operation: Karn's rule is the caller's).
 *
 * First sample: srtt = R, rttvar = R / 2. Then rttvar = 3/4 rttvar +
 * 1/4 |srtt - R|, srtt = 7/8 srtt + 1/8 R. rto = srtt + max(4 * rttvar,
 * 1 us clock granularity), clamped to [min_us, max_us]. Samples above
 * 2^29 - 1 us (about 9 minutes) count as that.
 */
void memx_rtt_sample(struct memx_rtt *r, u32 sample_us);

/** memx_rtt_srtt_us() - smoothed RTT in microseconds (0 before a sample) */
u32 memx_rtt_srtt_us(const struct memx_rtt *r);

/** memx_rtt_rto_us() - current timeout */
u32 memx_rtt_rto_us(const struct memx_rtt *r);

/**
 * memx_rto_backoff_us() - timeout for the @tries-th retransmission:
 * rto << tries, clamped to max_us (no overflow for any @tries).
 */
u32 memx_rto_backoff_us(const struct memx_rtt *r, unsigned int tries);

#endif /* _MEMX_RTO_H */
