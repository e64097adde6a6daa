#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside one guest (run.sh boots it): the fio matrix against memx, brd,
# zram, NBD and AoE, all set up at once so that every workload runs against
# every device back to back (host load drifts; interleaving keeps ratios
# honest). Network peers share one veth pair, at each MTU in turn:
#
#   bxs0 10.88.0.1  memx_server, nbd-server, vblade
#     |   veth
#   bxc0 10.88.0.2  memx_client (/dev/memx0), nbd-client (/dev/nbd0),
#                   aoe (/dev/etherd/e0.1)
#
# Both ends live in one network namespace (memx binds its ports by name in
# init_net), so NBD's TCP is forced through the veth by policy routing: local
# delivery is looked up after a rule that sends traffic for the other end's
# address out of this end (and accept_local lets the peer take it).
#
#   fio-guest.sh OUTDIR    (knobs in the environment, see run.sh)
#
# Writes OUTDIR/raw/<mtu>/<workload>.<device>.<run>.json, OUTDIR/fio-guest.log
# entries and, per MTU, OUTDIR/raw/<mtu>/status.<device> ("ok" or why not).
set -uo pipefail

OUT=$1
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
RUNS=${RUNS:-3}
RUNTIME=${RUNTIME:-5}
SIZE_MB=${SIZE_MB:-256}
MTUS=${MTUS:-1500 9000}
WORKLOADS=${WORKLOADS:-randread-qd1 randread-qd16 randwrite-qd1 randwrite-qd16 seqread-qd4 seqwrite-qd4 randrw-qd16}
DEVICES=${DEVICES:-memx brd zram nbd aoe}
MODDIR=${MODDIR:-$TOP/build/$(uname -r)}
PERF=${PERF:-0}
RPS=${RPS:-0}
# nbd-server writes a reply header and its data separately without
# TCP_NODELAY: Nagle then waits for the client's delayed ACK (40 ms).
# quickack on the routes (NBD_QUICKACK=0 to measure without) avoids that.
QUICKACK=()
[ "${NBD_QUICKACK:-1}" = 1 ] && QUICKACK=(quickack 1)
SIF=bxs0 CIF=bxc0 SIP=10.88.0.1 CIP=10.88.0.2
TMPFS=/tmp/bench-tmpfs

log() { echo "bench: $*"; }

declare -A DEV ST

# shellcheck source=selftests/bench/workloads.sh
. "$BENCH/workloads.sh"
# fio on FIO_CPUS, every job and device alike (README: why)
read -ra PIN <<<"$(wl_pin)"

# A device that failed says why in ST[] and is left out from then on.
broken() {
	ST[$1]=$2
	log "$1: $2"
}

setup_local() {
	local kib=$((SIZE_MB * 1024))

	if [[ " $DEVICES " == *" brd "* ]]; then
		if modprobe brd rd_nr=1 rd_size=$kib max_part=0 && [ -b /dev/ram0 ]; then
			DEV[brd]=/dev/ram0 ST[brd]=ok
		else
			broken brd "modprobe brd failed"
		fi
	fi
	if [[ " $DEVICES " == *" zram "* ]]; then
		if modprobe zram num_devices=1 &&
		   echo "${SIZE_MB}M" >/sys/block/zram0/disksize; then
			DEV[zram]=/dev/zram0 ST[zram]=ok
		else
			broken zram "zram setup failed"
		fi
	fi
}

net_up() {
	local mtu=$1

	ip link add $SIF mtu "$mtu" type veth peer name $CIF mtu "$mtu" || return 1
	ip link set $SIF up
	ip link set $CIF up
	# RPS=1: each end's receive work on its own vCPU (server side 1,
	# client side 0), as if they were two machines. Off by default: the
	# cross-vCPU hand-off costs a TCG guest more than it gains (README).
	if [ "$RPS" = 1 ]; then
		echo 2 >/sys/class/net/$SIF/queues/rx-0/rps_cpus
		echo 1 >/sys/class/net/$CIF/queues/rx-0/rps_cpus
	fi
	ip addr add $SIP/24 dev $SIF
	ip addr add $CIP/24 dev $CIF
	sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.$SIF.rp_filter=0 \
		net.ipv4.conf.$CIF.rp_filter=0 net.ipv4.conf.$SIF.accept_local=1 \
		net.ipv4.conf.$CIF.accept_local=1
	# locally generated packets for the other end leave through this end
	ip route add $CIP dev $SIF src $SIP table 88 "${QUICKACK[@]}"
	ip route add $SIP dev $CIF src $CIP table 89 "${QUICKACK[@]}"
	ip rule add pref 10 iif lo to $CIP lookup 88
	ip rule add pref 11 iif lo to $SIP lookup 89
	ip rule del pref 0 lookup local 2>/dev/null
	ip rule add pref 100 lookup local 2>/dev/null
	ip neigh flush all
}

net_down() {
	ip rule del pref 10 2>/dev/null
	ip rule del pref 11 2>/dev/null
	ip route flush table 88 2>/dev/null
	ip route flush table 89 2>/dev/null
	ip link del $SIF 2>/dev/null
}

setup_memx() {
	local srv=$MODDIR/server/memx_server.ko cli=$MODDIR/client/memx_client.ko

	if [ ! -f "$srv" ] || [ ! -f "$cli" ]; then
		broken memx "no modules in $MODDIR"
		return
	fi
	if ! insmod "$srv" ifname=$SIF capacity=$((SIZE_MB + 64))M; then
		broken memx "insmod memx_server failed: $(dmesg | tail -n3 | tr '\n' '|')"
		return
	fi
	if ! insmod "$cli" ifname=$CIF size="${SIZE_MB}M"; then
		broken memx "insmod memx_client failed: $(dmesg | tail -n3 | tr '\n' '|')"
		return
	fi
	udevadm settle 2>/dev/null
	if ! wait_memx_server; then
		broken memx "no live server in servers after 30 s: $(tr '\n' '|' </sys/block/memx0/memx/servers 2>&1)"
		return
	fi
	DEV[memx]=/dev/memx0 ST[memx]=ok
}

setup_nbd() {
	local i

	modprobe nbd nbds_max=2 || { broken nbd "modprobe nbd failed"; return; }
	truncate -s "${SIZE_MB}M" $TMPFS/nbd.img
	cat >$TMPFS/nbd.conf <<-CONF
	[generic]
	listenaddr = $SIP
	allowlist = false
	[bench]
	exportname = $TMPFS/nbd.img
	CONF
	nbd-server -C $TMPFS/nbd.conf -p $TMPFS/nbd.pid >>"$OUT/fio-guest.log" 2>&1 ||
		{ broken nbd "nbd-server failed"; return; }
	for ((i = 0; i < 20; i++)); do
		nbd-client $SIP /dev/nbd0 -N bench -b 4096 >>"$OUT/fio-guest.log" 2>&1 && break
		sleep 0.5
	done
	if [ "$(cat /sys/block/nbd0/size 2>/dev/null)" != $((SIZE_MB * 2048)) ]; then
		broken nbd "nbd-client did not connect"
		return
	fi
	DEV[nbd]=/dev/nbd0 ST[nbd]=ok
}

setup_aoe() {
	local i

	truncate -s "${SIZE_MB}M" $TMPFS/aoe.img
	modprobe aoe aoe_iflist=$CIF || { broken aoe "modprobe aoe failed"; return; }
	vblade 0 1 $SIF $TMPFS/aoe.img >>"$OUT/fio-guest.log" 2>&1 &
	echo $! >$TMPFS/vblade.pid
	for ((i = 0; i < 40; i++)); do
		[ -b /dev/etherd/e0.1 ] && break
		echo $CIF >/dev/etherd/interfaces 2>/dev/null
		echo >/dev/etherd/discover 2>/dev/null
		udevadm settle 2>/dev/null
		sleep 0.5
	done
	[ -b /dev/etherd/e0.1 ] || { broken aoe "no /dev/etherd/e0.1"; return; }
	DEV[aoe]=/dev/etherd/e0.1 ST[aoe]=ok
}

teardown_net_devs() {
	if [ -n "${DEV[memx]:-}" ]; then
		rmmod memx_client 2>/dev/null || log "rmmod memx_client failed"
		rmmod memx_server 2>/dev/null || log "rmmod memx_server failed"
	fi
	grep -q '^memx_client ' /proc/modules && rmmod memx_client
	grep -q '^memx_server ' /proc/modules && rmmod memx_server
	nbd-client -d /dev/nbd0 >/dev/null 2>&1
	[ -f $TMPFS/nbd.pid ] && kill "$(cat $TMPFS/nbd.pid)" 2>/dev/null
	[ -f $TMPFS/vblade.pid ] && kill "$(cat $TMPFS/vblade.pid)" 2>/dev/null
	sleep 1
	rmmod aoe 2>/dev/null
	rm -f $TMPFS/nbd.img $TMPFS/aoe.img $TMPFS/*.pid
	unset 'DEV[memx]' 'DEV[nbd]' 'DEV[aoe]'
}

# fio, bounded: a device that hangs must not take the whole run with it.
fio_run() {
	local dev=$1 json=$2 tmo=$3

	shift 3
	timeout -k 10 "$tmo" fio --name=bench --filename="$dev" --direct=1 \
		--ioengine=libaio --numjobs=1 --group_reporting \
		--randrepeat=0 --norandommap --lat_percentiles=1 \
		--output-format=json --output="$json" "${PIN[@]}" "$@" \
		>>"$OUT/fio-guest.log" 2>&1
}

prefill() {
	local d=$1 t0 rc=0

	t0=$(date +%s.%N)
	fio_run "${DEV[$d]}" "$OUT/raw/$mtu/prefill.$d.json" 600 \
		--rw=write --bs=1M --iodepth=4 --size="${SIZE_MB}M" || rc=$?
	if [ "$rc" != 0 ]; then
		broken "$d" "prefill failed (fio rc $rc): $(grep -m3 -iE 'err|fail' "$OUT/fio-guest.log" | tail -n3 | tr '\n' '|')"
		return 1
	fi
	log "$d: prefilled ${SIZE_MB} MiB in $(echo "$(date +%s.%N) - $t0" | bc) s"
}

run_mtu() {
	local mtu=$1 r w d rc opts json

	mkdir -p "$OUT/raw/$mtu"
	net_up "$mtu" || { log "veth at MTU $mtu failed"; return 1; }
	for d in $DEVICES; do
		case $d in
		memx) setup_memx ;;
		nbd) setup_nbd ;;
		aoe) setup_aoe ;;
		esac
	done
	ip -s link show $CIF >"$OUT/raw/$mtu/link.before"
	for d in $DEVICES; do
		[ "${ST[$d]:-}" = ok ] && prefill "$d"
	done
	for ((r = 1; r <= RUNS; r++)); do
		for w in $WORKLOADS; do
			read -ra opts <<<"$(wl_opts "$w")"
			for d in $DEVICES; do
				[ "${ST[$d]:-}" = ok ] || continue
				json=$OUT/raw/$mtu/$w.$d.$r.json
				rc=0
				fio_run "${DEV[$d]}" "$json" $((RUNTIME * 4 + 60)) \
					"${opts[@]}" --size="${SIZE_MB}M" \
					--time_based --runtime="$RUNTIME" || rc=$?
				if [ "$rc" != 0 ]; then
					rm -f "$json"
					broken "$d" "fio $w run $r at MTU $mtu: rc $rc$([ "$rc" = 124 ] && echo ' (timed out)')"
				fi
			done
			log "MTU $mtu run $r/$RUNS $w done"
		done
	done
	ip -s link show $CIF >"$OUT/raw/$mtu/link.after"
	[ "$PERF" = 1 ] && [ "${ST[memx]:-}" = ok ] && perf_memx "$mtu"
	[ -n "${DEV[memx]:-}" ] && grep -H . /sys/block/memx0/memx/* >"$OUT/raw/$mtu/memx.sysfs" 2>&1
	for d in $DEVICES; do
		echo "${ST[$d]:-not set up}" >"$OUT/raw/$mtu/status.$d"
	done
	teardown_net_devs
	net_down
	# a network peer that failed at one MTU gets another chance at the next
	for d in memx nbd aoe; do
		[ -n "${ST[$d]:-}" ] && unset "ST[$d]"
	done
}

# Where memx's time goes: a system-wide profile of 4k randread qd1.
perf_memx() {
	local mtu=$1

	command -v perf >/dev/null || return 0
	# kernel symbols in the report, not bare addresses
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
	perf record -e cpu-clock -a -g -o "$OUT/raw/$mtu/perf.data" -- \
		fio --name=perf --filename=/dev/memx0 --direct=1 --ioengine=libaio "${PIN[@]}" \
		--rw=randread --bs=4k --iodepth=1 --size="${SIZE_MB}M" \
		--time_based --runtime="$RUNTIME" >/dev/null 2>&1 || return 0
	perf_top "$OUT/raw/$mtu/perf.data" 40 >"$OUT/raw/$mtu/perf.memx-randread-qd1.txt"
	rm -f "$OUT/raw/$mtu/perf.data"
}

main() {
	local mtu

	mkdir -p "$OUT/raw" $TMPFS
	mount -t tmpfs -o size=$((SIZE_MB * 3))M bench $TMPFS
	modprobe veth
	{
		uname -r
		nproc
		free -m
		fio --version
	} >"$OUT/guest-info.txt" 2>&1
	setup_local
	for mtu in $MTUS; do
		log "== MTU $mtu"
		run_mtu "$mtu"
	done
	dmesg >"$OUT/dmesg.txt"
	umount $TMPFS
}

main
