#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 7: the server becomes unreachable in the middle of I/O, (a) by link
# down on its end, (b) by rmmod memx_server. With io_timeout=10 the I/O
# must fail with EIO within io_timeout + 10 s, nothing hangs, and the
# client unloads cleanly. After (a) the link comes back and the device
# serves I/O again.
# memx-timeout: 600

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

limit=20	# io_timeout + 10

# fio writing until it fails; returns once it is running
fio_bg() {
	fio --name=fail --filename=/dev/memx0 --rw=randwrite --bs=4k --size=64M \
		--direct=1 --ioengine=libaio --iodepth=8 --time_based --runtime=300 \
		--output=/tmp/fail01.fio >/dev/null 2>&1 &
	FIO=$!
	# "mid-I/O": the fault comes only once writes are completing (fio
	# can take many seconds to start on a loaded TCG guest)
	local i w=0
	for ((i = 0; i < 120; i++)); do
		w=$(awk '{ print $5 }' /sys/block/memx0/stat)
		[ "$w" -ge 256 ] && break
		kill -0 "$FIO" 2>/dev/null || break
		sleep 0.5
	done
	kill -0 "$FIO" 2>/dev/null || { cat /tmp/fail01.fio; memx_fail "fio ended before the fault"; }
	[ "$w" -ge 256 ] || memx_fail "fio completed only $w writes in 60 s"
}

# the fault happens right after a marker in the kernel log
fault() { # what command...
	FAULT_MARK="memx-fault-$RANDOM"
	echo "$FAULT_MARK" >/dev/kmsg
	T0=$(date +%s)
	shift
	"$@"
}

# Wait for fio to end (bounded: no hang), check it saw EIO, and that the
# kernel's first I/O error on memx0 came within io_timeout + 10 s of the
# fault (kernel timestamps: fio's own exit adds seconds under TCG).
fio_wait_eio() {
	local what=$1 i rc=0 el

	for ((i = 0; i < (limit + 20) * 2; i++)); do
		kill -0 "$FIO" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$FIO" 2>/dev/null; then
		kill -9 "$FIO"
		memx_fail "$what: I/O still running $((limit + 20)) s after the fault"
	fi
	wait "$FIO" || rc=$?
	grep -qE 'Input/output error|error=5|err= *5' /tmp/fail01.fio ||
		{ cat /tmp/fail01.fio; memx_fail "$what: fio (rc $rc) did not report EIO"; }
	el=$(dmesg | awk -v m="$FAULT_MARK" '
		function ts(l) { sub(/^\[ */, "", l); sub(/\].*/, "", l); return l + 0 }
		index($0, m) { t0 = ts($0); next }
		t0 && /I\/O error, dev memx0/ { printf "%.1f", ts($0) - t0; exit }')
	[ -n "$el" ] || memx_fail "$what: no 'I/O error, dev memx0' in the kernel log"
	memx_log "$what: EIO $el s after the fault (limit $limit s), fio ended after $(($(date +%s) - T0)) s"
	awk -v e="$el" -v l="$limit" 'BEGIN { exit !(e <= l) }' ||
		memx_fail "$what: EIO took $el s > $limit s"
}

# (a) link down on the server end
memx_start 128M 192M 1500 io_timeout=10
fio_bg
fault "link down" ip link set "$MEMX_SIF" down
fio_wait_eio "link down"
ip link set "$MEMX_SIF" up
memx_wait_server 30
dd if=/dev/zero of=/dev/memx0 bs=4k count=256 oflag=direct status=none ||
	memx_fail "device unusable after the link came back"
dd if=/dev/memx0 of=/dev/null bs=4k count=256 iflag=direct status=none ||
	memx_fail "read after the link came back"
memx_stop

# (b) server unloaded
memx_start 128M 192M 1500 io_timeout=10
fio_bg
# an abrupt unload: rmmod would otherwise drain first (drain_timeout)
echo 0 >/sys/module/memx_server/parameters/drain_timeout
fault "rmmod" timeout 60 rmmod memx_server || memx_fail "rmmod memx_server during I/O"
fio_wait_eio "server unloaded"
timeout 60 rmmod memx_client || memx_fail "client did not unload after the server left"
memx_pass
