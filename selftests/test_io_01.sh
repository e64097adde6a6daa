#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 1: client and server in one guest on a veth pair; fio writes random
# 4 KiB blocks over 256 MiB of /dev/memx0, then reads and verifies them
# (crc32c).
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

memx_start 320M 384M 1500
memx_fio_verify /dev/memx0 256M || memx_fail "fio verify over 256 MiB"
memx_log "pages stored $(memx_cnt $MEMX_SYS_CLI/pages_stored), server used_pages $(memx_cnt $MEMX_SYS_SRV/used_pages), retransmits $(memx_cnt $MEMX_SYS_CLI/retransmits)"
[ "$(memx_cnt $MEMX_SYS_SRV/used_pages)" -gt 0 ] || memx_fail "server holds no pages"
memx_pass
