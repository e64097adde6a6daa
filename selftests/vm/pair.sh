#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot two guests on one virtual Ethernet segment and run a command in each:
#
#   host: two QEMU processes, linked by UDP datagrams on loopback only
#
#   +------ server guest (-S RAM) ------+      +------ client guest (-C RAM) ------+
#   |  memx_server.ko ifname=<NIC>      |      |  memx_client.ko ifname=<NIC>      |
#   |  NIC virtio-net 52:54:00:6d:78:01 |      |  NIC virtio-net 52:54:00:6d:78:02 |
#   +----------------|------------------+      +----------------|------------------+
#                    |   -netdev dgram                          |
#                    +-- 127.0.0.1:PORT_S <===> 127.0.0.1:PORT_C +
#
#   pair.sh -d SHARED_DIR [-k KVER] [-S MEM] [-C MEM] [-t SECS]
#           -s "SERVER COMMAND" -c "CLIENT COMMAND"
#
# Both guests get SHARED_DIR read-write (9p, same path) to hand files to
# each other, and the environment MEMX_NIC_MAC (their NIC's MAC, so the
# guest can find its interface), MEMX_PEER_MAC and MEMX_SHARE=SHARED_DIR.
# When the client command ends (or its guest dies), SHARED_DIR/client.done
# is created: the server command should wait for it, then finish. Consoles
# and outputs: SHARED_DIR/{server,client}.{console,out}. Exit status: the
# client's, else the server's (124 timeout, 125 guest panic).
set -euo pipefail

VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kver='' smem=768M cmem=256M tmo=1200 dir='' scmd='' ccmd=''
while getopts k:S:C:t:d:s:c: opt; do
	case $opt in
	k) kver=$OPTARG ;;
	S) smem=$OPTARG ;;
	C) cmem=$OPTARG ;;
	t) tmo=$OPTARG ;;
	d) dir=$OPTARG ;;
	s) scmd=$OPTARG ;;
	c) ccmd=$OPTARG ;;
	*) sed -n '14,24s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
if [ -z "$dir" ] || [ -z "$scmd" ] || [ -z "$ccmd" ]; then
	echo "pair.sh: -d, -s and -c are required" >&2
	exit 2
fi
mkdir -p "$dir"
rm -f "$dir/client.done"
[ -n "$kver" ] || kver=$("$VM/kernels.sh" | tail -n1 | cut -d' ' -f1)

smac=52:54:00:6d:78:01
cmac=52:54:00:6d:78:02
# two free UDP ports on loopback
while :; do
	ps_=$((20000 + RANDOM % 20000))
	pc_=$((ps_ + 1))
	ss -Hlun "sport = :$ps_ or sport = :$pc_" | grep -q . || break
done

nic() { # local-port remote-port mac
	echo "-netdev dgram,id=n1,local.type=inet,local.host=127.0.0.1,local.port=$1,remote.type=inet,remote.host=127.0.0.1,remote.port=$2 -device virtio-net-pci,netdev=n1,mac=$3"
}

spid='' cpid=''
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
	touch "$dir/client.done" 2>/dev/null || true
	if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
		# give the server its chance to unload and check, then stop it
		for _ in $(seq 1 120); do
			kill -0 "$spid" 2>/dev/null || break
			sleep 1
		done
		kill -- -"$spid" 2>/dev/null || kill "$spid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# the server guest in its own process group, so that cleanup can end it all
set -m
"$VM/guest.sh" -k "$kver" -m "$smem" -c 1 -t "$tmo" -w "$dir" -N memx-server \
	-l "$dir/server.console" -q "$(nic "$ps_" "$pc_" "$smac")" -- \
	env MEMX_NIC_MAC=$smac MEMX_PEER_MAC=$cmac MEMX_SHARE="$dir" \
	bash -c "$scmd" >"$dir/server.out" 2>&1 &
spid=$!
set +m

# in the background too, so that a signal to pair.sh reaches it (cleanup)
"$VM/guest.sh" -k "$kver" -m "$cmem" -c 1 -t "$tmo" -w "$dir" -N memx-client \
	-l "$dir/client.console" -q "$(nic "$pc_" "$ps_" "$cmac")" -- \
	env MEMX_NIC_MAC=$cmac MEMX_PEER_MAC=$smac MEMX_SHARE="$dir" \
	bash -c "$ccmd" >"$dir/client.out" 2>&1 &
cpid=$!
crc=0
wait "$cpid" || crc=$?
cpid=''
touch "$dir/client.done"
src=0
wait "$spid" || src=$?
spid=
[ "$crc" != 0 ] && exit "$crc"
exit "$src"
