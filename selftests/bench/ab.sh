#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two builds of memx side by side in one guest: A, B, A, B, ... on one veth
# pair, so that host noise (runs of one build here vary up to 2x) hits both
# alike. For changes to the hot path, where make bench's spread hides them.
#
#   selftests/bench/ab.sh OUTDIR MODDIR_A MODDIR_B     (as root, on the host)
#
# MODDIR_*: a build/<kver> directory (make modules-all in each checkout).
# Knobs: RUNS (3), RUNTIME (5), MTUS ("1500 9000"), JOBS ("randread
# randwrite"; also seqread, seqwrite = 64k qd 4), COUNT=1 (perf stat of timer and
# softirq tracepoints around each job), FIO_CPUS (0: fio's vCPUs, as in
# make bench; empty: unpinned), KERNELS (newest 6.12).
# Prints and writes OUTDIR/summary.txt, one line per job and run: IOPS, mean
# latency (µs), context switches and NET_RX softirqs per I/O, srtt (µs).
# Inside the guest it runs itself as "ab.sh guest OUTDIR A B".
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$BENCH/../vm
RUNS=${RUNS:-3}
RUNTIME=${RUNTIME:-5}
MTUS=${MTUS:-1500 9000}
JOBS=${JOBS:-randread randwrite}
FIO_CPUS=${FIO_CPUS-0}

if [ "${1:-}" != guest ]; then
	[ $# = 3 ] || { echo "usage: ab.sh OUTDIR MODDIR_A MODDIR_B" >&2; exit 2; }
	mkdir -p "$1"
	out=$(cd "$1" && pwd)
	export KERNELS=${KERNELS:-6.12}
	kver=$("$VM/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
	exec "$VM/guest.sh" -k "$kver" -m 1536M -c 2 -t $((600 + RUNS * 120 * $(wc -w <<<"$MTUS $JOBS"))) \
		-w "$out" -N memx-ab -l "$out/console.log" -- \
		env RUNS="$RUNS" RUNTIME="$RUNTIME" MTUS="$MTUS" JOBS="$JOBS" COUNT="${COUNT:-0}" \
		FIO_CPUS="$FIO_CPUS" \
		PATH="$PATH" "$BENCH/ab.sh" guest "$out" "$2" "$3" </dev/null
fi

OUT=$2
declare -A MOD=([A]=$3 [B]=$4)
# shellcheck source=selftests/bench/workloads.sh
. "$BENCH/workloads.sh"
EVENTS=timer:timer_start,timer:timer_cancel,irq:softirq_raise,sched:sched_switch

counter() {	# the sum of two columns of a /proc line
	awk -v k="$1" '$1 == k { print $2 + $3 }' "$2"
}

one_job() {
	local mtu=$1 j=$2 v=$3 r=$4 o c0 n0 c1 n1 srtt pst=()
	local f=$OUT/$mtu.$j.$v.$r

	case $j in
	seqread | seqwrite) o=$(wl_opts "$j-qd4") ;;
	*) o=$(wl_opts "$j-qd1") || { echo "ab: no job $j" >&2; exit 2; } ;;
	esac
	[ "${COUNT:-0}" = 1 ] &&
		pst=(perf stat -x ';' -a -o "$f.stat" -e "$EVENTS" --)
	c0=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
	n0=$(counter NET_RX: /proc/softirqs)
	# shellcheck disable=SC2086,SC2046 # $o, wl_pin: lists of fio options
	"${pst[@]}" fio --name=ab --filename=/dev/memx0 --direct=1 --ioengine=libaio $o $(wl_pin) \
		--size=128M --time_based --runtime="$RUNTIME" --output-format=json >"$f.json" 2>/dev/null
	c1=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
	n1=$(counter NET_RX: /proc/softirqs)
	srtt=$(awk '{ print $5 }' /sys/block/memx0/memx/servers)
	python3 - "$f.json" "$mtu $j $v $r" $((c1 - c0)) $((n1 - n0)) "$srtt" <<-'PY' | tee -a "$OUT/summary.txt"
	import json, sys
	j = json.load(open(sys.argv[1]))['jobs'][0]
	x = j['read'] if j['read']['io_bytes'] else j['write']
	n = max(x['total_ios'], 1)
	print(sys.argv[2], 'iops', round(x['iops']), 'lat', round(x['lat_ns']['mean'] / 1000, 1),
	      'ctxt/io', round(int(sys.argv[3]) / n, 2), 'netrx/io', round(int(sys.argv[4]) / n, 2),
	      'srtt', sys.argv[5])
	PY
}

modprobe veth || exit 1
for mtu in $MTUS; do
	ip link add bxs0 mtu "$mtu" type veth peer name bxc0 mtu "$mtu" || exit 1
	ip link set bxs0 up
	ip link set bxc0 up
	for ((r = 1; r <= RUNS; r++)); do
		for v in A B; do
			m=${MOD[$v]}
			insmod "$m/server/memx_server.ko" ifname=bxs0 capacity=192M || exit 1
			insmod "$m/client/memx_client.ko" ifname=bxc0 size=128M || exit 1
			wait_memx_server || { echo "ab: $v: no live server" >&2; exit 1; }
			dd if=/dev/urandom of=/dev/memx0 bs=1M count=128 oflag=direct status=none
			for j in $JOBS; do
				one_job "$mtu" "$j" "$v" "$r"
			done
			rmmod memx_client
			rmmod memx_server
		done
	done
	ip link del bxs0
done
if dmesg | grep -E 'WARNING|BUG|Oops'; then
	echo "ab: the kernel complained (above)"
	exit 1
fi
