/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input format of fuzz_frame, shared with the seed generator: a sequence of
 * records, each
 *	u8	ctl	 bits 0-4: clock advance; 5: feed an RTT sample;
 *			 6: release the slot instead of adding; 7: expire first
 *	be16	len	 frame length (clipped to what is left of the input)
 *	u8	frame[len] the frame from the memx header on
 */
#ifndef _MEMX_FUZZ_FRAME_H
#define _MEMX_FUZZ_FRAME_H

#define FUZZ_CTL_CLOCK		0x1f
#define FUZZ_CTL_RTT		0x20
#define FUZZ_CTL_RELEASE	0x40
#define FUZZ_CTL_EXPIRE		0x80

#define FUZZ_REC_HDR		3

/* Reassembly table of the fuzzer: small, so "full" and expiry happen. */
#define FUZZ_SLOTS		8
#define FUZZ_TIMEOUT		50

#endif /* _MEMX_FUZZ_FRAME_H */
