#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-off of 2026-12-04 (not part of make bench): 4k random reads at qd 1,
# MTU 1500, with fio pinned to vCPU 0 or vCPU 1, memx and brd in one guest.
# From the repository's top, after make modules-all:
#
#   selftests/vm/guest.sh -k KVER -m 2048M -c 2 -w /tmp -- \
#       "$PWD/selftests/bench/results/2026-12-04/vcpu-modes/vcpu.sh"
#
# COUNT=1: around each memx run, per-CPU counts of timer, softirq, IPI and
# scheduler events (perf stat -a -A) on one line. Prints device, vCPU,
# IOPS, mean latency (us), fio's context switches.
set -u
OUT=${OUT:-/tmp/vcpu-modes}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../.." && pwd)
MOD=${MOD:-$TOP/build/$(uname -r)}
SIF=bxs0 CIF=bxc0
# shellcheck source=selftests/bench/workloads.sh
. "$TOP/selftests/bench/workloads.sh"
EV=timer:timer_expire_entry,timer:timer_start,irq:softirq_entry
EV=$EV,irq_vectors:local_timer_entry,irq_vectors:call_function_single_entry
EV=$EV,sched:sched_switch,irq_vectors:reschedule_entry
mkdir -p "$OUT"
ip link add $SIF mtu 1500 type veth peer name $CIF mtu 1500
ip link set $SIF up
ip link set $CIF up
insmod "$MOD/server/memx_server.ko" ifname=$SIF capacity=320M
insmod "$MOD/client/memx_client.ko" ifname=$CIF size=256M
modprobe brd rd_nr=1 rd_size=262144 max_part=0
wait_memx_server || { echo "no live server after 30 s" >&2; exit 1; }
fio --name=p --filename=/dev/memx0 --direct=1 --ioengine=libaio --rw=write \
	--bs=1M --iodepth=4 --size=256M >/dev/null
run() {
	fio --name=p --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=1 --time_based --runtime=3 \
		--size=256M --output-format=json --cpus_allowed="$3" \
		>"$OUT/f.json" &
	if [ "${COUNT:-0}" = 1 ]; then
		sleep 0.7
		perf stat -a -A -x, -o "$OUT/st.txt" -e "$EV" -- sleep 2 \
			2>/dev/null
	fi
	wait
	[ "${COUNT:-0}" = 1 ] && grep -v '^#' "$OUT/st.txt" | grep . |
		awk -F, '{ n = split($4, a, ":"); printf "%s:%s=%d ", $1, a[n], $2 } END { print "" }'
	python3 -c "import json; j = json.load(open('$OUT/f.json'))['jobs'][0]; r = j['read']; print('$2 cpu$3', round(r['iops']), round(r['lat_ns']['mean'] / 1000, 1), 'ctx', j['ctx'])"
}
for _ in $(seq 6); do
	run /dev/memx0 memx 0
	run /dev/memx0 memx 1
done
for _ in 1 2; do
	run /dev/ram0 brd 0
	run /dev/ram0 brd 1
done
