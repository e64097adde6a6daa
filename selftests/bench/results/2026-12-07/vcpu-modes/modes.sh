#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-off of 2026-12-07 (not part of make bench): 4k random reads at qd 1
# with fio pinned to vCPU 0 and vCPU 1 in turn, memx then brd, at each MTU,
# one guest. From the repository's top, after make modules-all:
#
#   selftests/vm/guest.sh -k KVER -m 2048M -c 2 -w /tmp -- \
#       "$PWD/selftests/bench/results/2026-12-07/vcpu-modes/modes.sh"
#
# Prints MTU, device, vCPU, IOPS, mean latency (us), fio's context switches;
# OUT/marks has each run's start and end (host clock) for a host-side
# sampler of QEMU's threads.
set -u
OUT=${OUT:-/tmp/vcpu-modes}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../.." && pwd)
MOD=${MOD:-$TOP/build/$(uname -r)}
mkdir -p "$OUT"
SIF=bxs0 CIF=bxc0
# shellcheck source=selftests/bench/workloads.sh
. "$TOP/selftests/bench/workloads.sh"
modprobe brd rd_nr=1 rd_size=262144 max_part=0
run() {
	echo "start $2 $3 $4 $(date +%s.%N)" >>"$OUT/marks"
	fio --name=p --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=1 --time_based --runtime=3 \
		--size=256M --output-format=json --cpus_allowed="$3" \
		>"$OUT/f.json"
	echo "end $2 $3 $4 $(date +%s.%N)" >>"$OUT/marks"
	python3 -c "import json; j = json.load(open('$OUT/f.json'))['jobs'][0]; r = j['read']; print('$4 $2 cpu$3', round(r['iops']), round(r['lat_ns']['mean'] / 1000, 1), 'ctx', j['ctx'])"
}
for mtu in ${MTUS:-1500 9000}; do
	ip link add $SIF mtu "$mtu" type veth peer name $CIF mtu "$mtu"
	ip link set $SIF up
	ip link set $CIF up
	insmod "$MOD/server/memx_server.ko" ifname=$SIF capacity=320M
	insmod "$MOD/client/memx_client.ko" ifname=$CIF size=256M
	wait_memx_server || { echo "no live server" >&2; exit 1; }
	fio --name=p --filename=/dev/memx0 --direct=1 --ioengine=libaio --rw=write \
		--bs=1M --iodepth=4 --size=256M >/dev/null
	for _ in $(seq "${REPS:-4}"); do
		run /dev/memx0 memx 0 "$mtu"
		run /dev/memx0 memx 1 "$mtu"
	done
	run /dev/ram0 brd 0 "$mtu"
	run /dev/ram0 brd 1 "$mtu"
	rmmod memx_client memx_server
	ip link del $SIF
done
dmesg | grep -E "WARNING|BUG|Oops" || true
