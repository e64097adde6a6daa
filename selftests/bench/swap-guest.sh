#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside a guest (run.sh boots it): one side of the swap-heavy job.
#
#   swap-guest.sh server memx|nbd SHAREDIR
#       serve on the two-guest link (memx_server, or nbd-server exporting a
#       tmpfs file), write SHAREDIR/ready, then serve until
#       SHAREDIR/client.done appears (vm/pair.sh creates it when the client
#       guest ends)
#   swap-guest.sh client memx|nbd|zram|noswap SHAREDIR N
#       swap on that device (none for noswap), run memx_sort N, print its
#       result line and "wall SECONDS"
#
# memx and nbd run in the guest pair of vm/pair.sh: the link is the NIC
# whose MAC is $MEMX_NIC_MAC; IP 10.89.0.1 (server) and 10.89.0.2 (client)
# for NBD. zram and noswap run in one guest with no link.
set -uo pipefail

ROLE=$1 KIND=$2 SYNC=$3
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
MODDIR=${MODDIR:-$TOP/build/$(uname -r)}
SWAP_MTU=${SWAP_MTU:-1500}
SWAP_DEV_MB=${SWAP_DEV_MB:-1024}
TMPFS=/tmp/bench-tmpfs

# shellcheck source=selftests/bench/workloads.sh
. "$BENCH/workloads.sh"

log() { echo "swap-$ROLE-$KIND: $*" >&2; }

# SWAP_PERF=1: a flat profile of the whole guest, in the background, over
# seconds 30 to 90 after the call (the client: of memx_sort; the server: of
# serving); its top symbols go to SHAREDIR/perf.ROLE.txt.
# The data stays in the guest's RAM (/dev/shm, a few MiB): written to the
# 9p share it would profile its own writes.
swap_perf() {
	[ "${SWAP_PERF:-0}" = 1 ] && command -v perf >/dev/null || return 0
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
	(
		sleep 30
		perf record -q -e cpu-clock -a -o "/dev/shm/perf.$ROLE" -- sleep 60 &&
			perf_top "/dev/shm/perf.$ROLE" 60 >"$SYNC/perf.$ROLE.txt"
		rm -f "/dev/shm/perf.$ROLE"
	) >/dev/null 2>&1 &
}

link_if() {
	local d

	for d in /sys/class/net/*; do
		grep -qix "${MEMX_NIC_MAC:-none}" "$d/address" 2>/dev/null &&
			{ basename "$d"; return 0; }
	done
	return 1
}

link_up() {
	IF=$(link_if) || { log "no NIC with MAC ${MEMX_NIC_MAC:-(unset)}"; return 1; }
	ip link set "$IF" mtu "$SWAP_MTU" && ip link set "$IF" up
}

# As in fio-guest.sh: no delayed ACKs on the link (nbd-server sends a reply
# in two writes without TCP_NODELAY; Nagle would wait for the ACK).
nbd_quickack() {
	[ "${NBD_QUICKACK:-1}" = 1 ] || return 0
	ip route replace 10.89.0.0/24 dev "$IF" quickack 1
}

server() {
	local i

	link_up || return 1
	case $KIND in
	memx)
		insmod "$MODDIR/server/memx_server.ko" ifname="$IF" \
			capacity=$((SWAP_DEV_MB + 64))M ||
			{ log "insmod memx_server failed: $(dmesg | tail -n3)"; return 1; }
		;;
	nbd)
		ip addr add 10.89.0.1/24 dev "$IF"
		nbd_quickack
		mkdir -p $TMPFS
		mount -t tmpfs -o size=$((SWAP_DEV_MB + 64))M bench $TMPFS
		truncate -s "${SWAP_DEV_MB}M" $TMPFS/swap.img
		printf '[generic]\nlistenaddr = 10.89.0.1\n[swap]\nexportname = %s\n' \
			$TMPFS/swap.img >$TMPFS/nbd.conf
		nbd-server -C $TMPFS/nbd.conf || { log "nbd-server failed"; return 1; }
		;;
	esac
	log "serving on $IF"
	swap_perf
	touch "$SYNC/ready"
	# the client guest or the host ends this; the guest's timeout bounds it
	for ((i = 0; ; i++)); do
		[ -e "$SYNC/client.done" ] && break
		sleep 1
	done
	[ "$KIND" = memx ] && { cat /sys/kernel/memx_server/* 2>/dev/null | head -n 20; rmmod memx_server; }
	return 0
}

swap_dev() {
	local i

	case $KIND in
	memx)
		insmod "$MODDIR/client/memx_client.ko" ifname="$IF" size="${SWAP_DEV_MB}M" ||
			{ log "insmod memx_client failed: $(dmesg | tail -n3)"; return 1; }
		udevadm settle 2>/dev/null
		wait_memx_server || { log "no memx server alive"; return 1; }
		DEV=/dev/memx0
		;;
	nbd)
		ip addr add 10.89.0.2/24 dev "$IF"
		nbd_quickack
		modprobe nbd nbds_max=1
		for ((i = 0; i < 20; i++)); do
			nbd-client 10.89.0.1 /dev/nbd0 -N swap -b 4096 -swap >&2 && break
			sleep 1
		done
		DEV=/dev/nbd0
		;;
	zram)
		modprobe zram num_devices=1
		echo "${SWAP_DEV_MB}M" >/sys/block/zram0/disksize
		DEV=/dev/zram0
		;;
	esac
	if ! mkswap "$DEV" >/dev/null || ! swapon "$DEV"; then
		log "mkswap/swapon $DEV failed"
		return 1
	fi
}

client() {
	local n=$1 t0 t1 pid tick rc=0

	if [ "$KIND" = memx ] || [ "$KIND" = nbd ]; then
		link_up || return 1
	fi
	[ "$KIND" = noswap ] || swap_dev || return 1
	# Swap over a network needs receive buffers while memory is short: a
	# larger atomic reserve keeps the NIC's rx ring refilled (0: default).
	if [ "${SWAP_MIN_FREE_KB:-0}" -gt 0 ]; then
		sysctl -qw vm.min_free_kbytes="$SWAP_MIN_FREE_KB"
	fi
	echo "vm.min_free_kbytes $(cat /proc/sys/vm/min_free_kbytes)"
	free -m >&2
	t0=$(date +%s.%N)
	swap_perf
	"$TOP/selftests/out/memx_sort" "$n" 42 &
	pid=$!
	# A line a minute while it runs: when the guest's timeout ends a
	# run, the last one is a lower bound of its time (report.py). One
	# process a minute, not one a second: in a guest that swaps, every
	# fork and exec pages bash and sleep back in. With a poll each second
	# memx's job took 834 to 1,079 s (2026-12-03), without it 247 s.
	(
		s0=$SECONDS
		while sleep 60; do
			echo "running $((SECONDS - s0)) s"
		done
	) &
	tick=$!
	wait "$pid" || rc=$?
	kill "$tick" 2>/dev/null
	wait "$tick" 2>/dev/null
	t1=$(date +%s.%N)
	echo "wall $(echo "$t1 - $t0" | bc)"
	grep -E '^(pswpin|pswpout) ' /proc/vmstat | tr '\n' ' '
	echo
	grep -E '^oom_kill ' /proc/vmstat
	# reads, merges, sectors, ms; writes, ...: the requests the device saw
	[ -n "${DEV:-}" ] && echo "blkstat $(cat "/sys/block/${DEV#/dev/}/stat")"
	[ -n "${IF:-}" ] && echo "qdisc $(tc -s qdisc show dev "$IF" | tr -s ' \n' ' ')"
	# no swapoff: it would have to read everything back into a guest that
	# is about to end anyway (and after an OOM kill it can take minutes)
	if [ "$KIND" = memx ]; then
		echo "memx servers: $(tr '\n' '|' </sys/block/memx0/memx/servers)"
		echo "memx retransmits $(cat /sys/block/memx0/memx/retransmits 2>/dev/null) ra_pages $(cat /sys/block/memx0/memx/ra_pages 2>/dev/null) ra_hits $(cat /sys/block/memx0/memx/ra_hits 2>/dev/null)"
	fi
	return "$rc"
}

rc=0
case $ROLE in
server) server || rc=$? ;;
client) client "$4" || rc=$? ;;
*) log "bad role"; rc=2 ;;
esac
exit "$rc"
