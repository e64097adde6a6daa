#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Read-ahead: the client's read-ahead (readahead=, on by default) serves a
# sequential reader and is never stale. memx_ra walks 32 MiB reading 1-8
# pages at a time, writing and discarding pages just ahead of itself, then
# with a second thread writing in front of it: every page read must be
# the last version written (or zeroes after a discard; in the race, no
# older than the last write that ended before the read began). The walk
# must have used the read-ahead (ra_hits). Then fio random 4 KiB reads at
# queue depth 1 must not trigger it, and with readahead=0 nothing is read
# ahead at all.
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

ra=$MEMX_ST/out/memx_ra
[ -x "$ra" ] || memx_skip "no out/memx_ra (make -C selftests tools)"

memx_start 64M 96M 1500
out=$("$ra" /dev/memx0 32 7 20) || memx_fail "memx_ra: $out"
memx_log "memx_ra: $out; ra_pages $(memx_cnt $MEMX_SYS_CLI/ra_pages) ra_hits $(memx_cnt $MEMX_SYS_CLI/ra_hits)"
[ "$(memx_cnt $MEMX_SYS_CLI/ra_hits)" -gt 0 ] ||
	memx_fail "a sequential reader got no read-ahead hit"
[ "$(memx_cnt $MEMX_SYS_CLI/errors)" = 0 ] ||
	memx_fail "errors $(memx_cnt $MEMX_SYS_CLI/errors)"

# random reads: at most a stray read-ahead where two happen to touch
p0=$(memx_cnt $MEMX_SYS_CLI/ra_pages)
fio --name=rand --filename=/dev/memx0 --rw=randread --bs=4k --size=64M \
	--direct=1 --ioengine=libaio --iodepth=1 --runtime=5 --time_based \
	--output-format=terse --terse-version=3 >/tmp/fio.$$ ||
	memx_fail "fio randread: $(cat /tmp/fio.$$)"
reads=$(awk -F';' '{ print int($6 / 4) }' /tmp/fio.$$)
pn=$(($(memx_cnt $MEMX_SYS_CLI/ra_pages) - p0))
memx_log "random 4k reads: $reads, pages read ahead $pn"
[ "$reads" -gt 0 ] || memx_fail "fio read nothing"
[ "$pn" -le $((reads / 8)) ] ||
	memx_fail "random reads triggered read-ahead: $pn pages for $reads reads"
memx_stop

memx_start 64M 96M 1500 readahead=0
out=$("$ra" /dev/memx0 8 8 2) || memx_fail "memx_ra, readahead=0: $out"
memx_log "readahead=0: memx_ra: $out"
[ "$(memx_cnt $MEMX_SYS_CLI/ra_pages)" = 0 ] ||
	memx_fail "readahead=0 read $(memx_cnt $MEMX_SYS_CLI/ra_pages) pages ahead"
memx_stop

# a bad value is refused with a clear error
insmod "$MEMX_CLI_KO" ifname=lo size=64M readahead=3 2>/dev/null &&
	{ rmmod memx_client; memx_fail "readahead=3 was accepted"; }
dmesg | grep -q 'readahead=3: must be 0 or' ||
	memx_fail "no error message for readahead=3"
memx_pass
