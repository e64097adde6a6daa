#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 5: test 1's fio verify at MTU 1500 (a page travels as three
# fragments) and at MTU 9000 (one frame per page), 96 MiB each.
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

for mtu in 1500 9000; do
	memx_log "MTU $mtu"
	memx_start 128M 192M "$mtu"
	fin=$(memx_cnt $MEMX_SYS_SRV/frames_in)
	memx_fio_verify /dev/memx0 96M || memx_fail "fio verify at MTU $mtu"
	fin=$(($(memx_cnt $MEMX_SYS_SRV/frames_in) - fin))
	memx_log "MTU $mtu: server frames in $fin for 24576 pages written, then read"
	# a write is 3 frames at MTU 1500 and 1 at 9000, a read request 1
	if [ "$mtu" = 1500 ]; then
		[ "$fin" -ge $((24576 * 3)) ] || memx_fail "MTU 1500: pages were not fragmented"
	else
		[ "$fin" -lt $((24576 * 3)) ] || memx_fail "MTU 9000: pages were fragmented"
	fi
	memx_stop
done
memx_pass
