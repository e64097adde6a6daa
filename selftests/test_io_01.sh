#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 1: client and server in one guest on a veth pair; fio writes random
# 4 KiB blocks over 256 MiB of /dev/memx0, then reads and verifies them
# (crc32c). Then 64 KiB sequential writes over 64 MiB, verified too: a
# write request is acknowledged once, so the client's end of the link
# receives about one frame per request (16 with an ACK a page), and sends
# three a page (MTU 1500).
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

memx_start 320M 384M 1500
memx_fio_verify /dev/memx0 256M || memx_fail "fio verify over 256 MiB"
memx_log "pages stored $(memx_cnt $MEMX_SYS_CLI/pages_stored), server used_pages $(memx_cnt $MEMX_SYS_SRV/used_pages), retransmits $(memx_cnt $MEMX_SYS_CLI/retransmits)"
[ "$(memx_cnt $MEMX_SYS_SRV/used_pages)" -gt 0 ] || memx_fail "server holds no pages"

pkts() { cat "/sys/class/net/$MEMX_CIF/statistics/$1_packets"; }
reqs=1024	# 64 MiB in 64 KiB requests of 16 pages
rx0=$(pkts rx) tx0=$(pkts tx) re0=$(memx_cnt $MEMX_SYS_CLI/retransmits)
memx_fio_verify /dev/memx0 64M --rw=write --bs=64k --iodepth=4 --do_verify=0 ||
	memx_fail "fio 64k sequential write"
rxn=$(($(pkts rx) - rx0)) txn=$(($(pkts tx) - tx0))
ren=$(($(memx_cnt $MEMX_SYS_CLI/retransmits) - re0))
memx_log "64k writes: $reqs requests, $txn frames sent, $rxn received, $ren retransmits"
[ "$txn" -ge $((reqs * 48)) ] || memx_fail "64k writes sent $txn frames, fewer than 48 a request"
# adverts (one a second) and the ACKs of retransmitted pages on top
[ "$rxn" -le $((reqs + reqs / 4 + ren * 16)) ] ||
	memx_fail "64k writes: $rxn frames received for $reqs requests: not one ACK a request"
memx_fio_verify /dev/memx0 64M --rw=write --bs=64k --iodepth=4 --verify_only ||
	memx_fail "verify of the 64k sequential writes"
memx_pass
