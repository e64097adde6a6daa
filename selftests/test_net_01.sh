#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 6: tc netem on both ends of the link (5% loss, 5% duplication, 25%
# reordering, 1 ms +- 1 ms delay): fio verify still passes and the client's
# retransmission counter shows the loss was met.
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

modprobe -q sch_netem || memx_skip "no sch_netem"
memx_veth 1500
for ifc in $MEMX_SIF $MEMX_CIF; do
	tc qdisc add dev "$ifc" root netem loss 5% duplicate 5% \
		delay 1ms 1ms reorder 25% || memx_fail "tc netem on $ifc"
done
memx_server_load "$MEMX_SIF" 192M
memx_client_load "$MEMX_CIF" 128M
memx_wait_server 60
memx_fio_verify /dev/memx0 64M || memx_fail "fio verify under netem"
tc -s qdisc show dev "$MEMX_CIF" | sed -n 's/^ *Sent/# netem mxc0: Sent/p'
rt=$(memx_cnt $MEMX_SYS_CLI/retransmits)
memx_log "retransmits $rt, late replies $(memx_cnt $MEMX_SYS_CLI/late_replies), timeouts $(memx_cnt $MEMX_SYS_CLI/timeouts)"
[ "$rt" -gt 0 ] || memx_fail "retransmits counter did not rise under 5% loss"
memx_pass
