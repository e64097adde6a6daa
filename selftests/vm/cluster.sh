#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one client guest and one or more server guests on one virtual
# Ethernet segment, and run a command in each:
#
#   host: a network namespace (memx-lab-PID) holding a bridge and one tap
#   device per guest; each QEMU process runs in it and owns one tap
#
#   +- server guest 1 ---------------+  +- server guest N ---------------+
#   | NIC virtio-net 52:54:00:6d:78:01|  | NIC virtio-net 52:54:00:6d:78:NN|
#   +--------------|-----------------+  +--------------|-----------------+
#                tap-s1 ----------- br0 ---------- tap-sN
#                                    |
#                                  tap-c
#                    +- client guest, NIC 52:54:00:6d:78:02 -+
#
#   A tap queues up to txqueuelen frames (set to 10000) while its guest's
#   receive ring is full, and the rings have 1024 entries: the segment
#   drops a frame only under sustained overload, as a switch would. (QEMU's
#   "-netdev dgram" link drops whatever overflows a UDP socket buffer of
#   about 100 frames: a burst of writes lost 40% there.)
#
#   cluster.sh -d SHARED_DIR [-k KVER] [-C MEM] [-t SECS] [-K I]...
#              -c "CLIENT COMMAND"
#              [-S MEM] -s "SERVER COMMAND" [[-S MEM] -s "SERVER COMMAND"]...
#
# -S sets the RAM of the servers named after it (default 768M). Server i
# (1, 2, ...) has MAC 52:54:00:6d:78:01 for i = 1, and 52:54:00:6d:78:0(i+1)
# for i > 1 (the client keeps :02, as in vm/pair.sh). Every guest gets
# SHARED_DIR read-write (9p, same path) to hand files to the others, and the
# environment MEMX_NIC_MAC (its NIC's MAC, so it can find its interface),
# MEMX_PEER_MAC (the client's for a server, server 1's for the client),
# MEMX_SERVER_MACS (all servers', space separated), MEMX_SERVER_INDEX (i,
# 0 for the client) and MEMX_SHARE=SHARED_DIR. When the client command ends
# (or its guest dies), SHARED_DIR/client.done is created: server commands
# should wait for it, then finish. Consoles and outputs:
# SHARED_DIR/{client,server,server2,...}.{console,out}. Exit status: the
# client's, else the first failing server's (124 timeout, 125 guest panic)
# other than those named by -K (servers the test kills on purpose).
set -euo pipefail

VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kver='' smem=768M cmem=256M tmo=1200 dir='' ccmd=''
scmds=() smems=() killed=' '
while getopts k:S:C:t:d:s:c:K: opt; do
	case $opt in
	k) kver=$OPTARG ;;
	S) smem=$OPTARG ;;
	C) cmem=$OPTARG ;;
	t) tmo=$OPTARG ;;
	d) dir=$OPTARG ;;
	s) scmds+=("$OPTARG"); smems+=("$smem") ;;
	c) ccmd=$OPTARG ;;
	K) killed+="$OPTARG " ;;
	*) sed -n '24,40s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
if [ -z "$dir" ] || [ ${#scmds[@]} = 0 ] || [ -z "$ccmd" ]; then
	echo "cluster.sh: -d, -s and -c are required" >&2
	exit 2
fi
nsrv=${#scmds[@]}
# one server: -S counts wherever it was given (vm/pair.sh's usage)
[ "$nsrv" = 1 ] && smems=("$smem")
[ "$nsrv" -le 8 ] || { echo "cluster.sh: at most 8 servers" >&2; exit 2; }
mkdir -p "$dir"
rm -f "$dir/client.done"
[ -n "$kver" ] || kver=$("$VM/kernels.sh" | tail -n1 | cut -d' ' -f1)

cmac=52:54:00:6d:78:02
srv_mac() { if [ "$1" = 1 ]; then echo 52:54:00:6d:78:01; else echo "52:54:00:6d:78:0$(($1 + 1))"; fi; }
srv_name() { if [ "$1" = 1 ]; then echo server; else echo "server$1"; fi; }
macs=''
for i in $(seq 1 "$nsrv"); do macs+="${macs:+ }$(srv_mac "$i")"; done
ns=memx-lab-$$

nic() { # tap mac
	echo "-netdev tap,id=n1,ifname=$1,script=no,downscript=no -device virtio-net-pci,netdev=n1,mac=$2,rx_queue_size=1024"
}

spids=() cpid='' alive=0
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	local p
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
	touch "$dir/client.done" 2>/dev/null || true
	# give the servers their chance to unload and check, then stop them
	for _ in $(seq 1 120); do
		alive=0
		for p in "${spids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" = 1 ] || break
		sleep 1
	done
	for p in "${spids[@]}"; do
		kill -- -"$p" 2>/dev/null || kill "$p" 2>/dev/null || true
	done
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$ns"
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 up
for t in tap-c $(seq -f 'tap-s%g' 1 "$nsrv"); do
	ip -n "$ns" tuntap add dev "$t" mode tap
	# jumbo-capable, as a switch may be: the guests pick their MTU (the
	# bridge drops a frame longer than the MTU of the tap it leaves by)
	ip -n "$ns" link set "$t" master br0 txqueuelen 10000 mtu 9000 up
done

# each server guest in its own process group, so that cleanup can end it all
set -m
for i in $(seq 1 "$nsrv"); do
	mac=$(srv_mac "$i") name=$(srv_name "$i")
	ip netns exec "$ns" "$VM/guest.sh" -k "$kver" -m "${smems[i - 1]}" -c 1 \
		-t "$tmo" -w "$dir" -N "memx-$name" -l "$dir/$name.console" \
		-q "$(nic "tap-s$i" "$mac")" -- \
		env MEMX_NIC_MAC="$mac" MEMX_PEER_MAC=$cmac MEMX_SERVER_MACS="$macs" \
		MEMX_SERVER_INDEX="$i" MEMX_SHARE="$dir" \
		bash -c "${scmds[i - 1]}" >"$dir/$name.out" 2>&1 &
	spids+=($!)
done
set +m

# in the background too, so that a signal to cluster.sh reaches it (cleanup)
ip netns exec "$ns" "$VM/guest.sh" -k "$kver" -m "$cmem" -c 1 -t "$tmo" \
	-w "$dir" -N memx-client -l "$dir/client.console" -q "$(nic tap-c "$cmac")" -- \
	env MEMX_NIC_MAC=$cmac MEMX_PEER_MAC="$(srv_mac 1)" MEMX_SERVER_MACS="$macs" \
	MEMX_SERVER_INDEX=0 MEMX_SHARE="$dir" \
	bash -c "$ccmd" >"$dir/client.out" 2>&1 &
cpid=$!
crc=0
wait "$cpid" || crc=$?
cpid=''
touch "$dir/client.done"
src=0 i=0
for p in "${spids[@]}"; do
	rc=0 i=$((i + 1))
	wait "$p" || rc=$?
	[[ $killed == *" $i "* ]] && continue
	[ "$src" != 0 ] || src=$rc
done
spids=()
[ "$crc" != 0 ] && exit "$crc"
exit "$src"
