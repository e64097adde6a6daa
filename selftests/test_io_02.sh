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
	memx_log "MTU $mtu: server frames in $(($(memx_cnt $MEMX_SYS_SRV/frames_in) - fin)) for 96 MiB (24576 pages written)"
	memx_stop
done
memx_pass
