#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-off ablation of 2026-12-04 (not part of make bench): how much of a
# 4k qd-1 read is the block layer and how much the network. Inside a guest:
#
#   MOD=CHECKOUT/build/KVER selftests/vm/guest.sh -k KVER -m 2048M -c 2 \
#       -w /tmp -- "$PWD/ablation.sh"
#
# where CHECKOUT has shortcut.patch applied and make modules-all run. Four
# rounds of 3 s each: brd; null_blk (blk-mq, memory-backed); memx with
# shortcut=1 (queue_rq ends every read at once: blk-mq and queue_rq, no
# network, no copy); memx. Prints device, IOPS, mean latency (us).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../.." && pwd)
OUT=${OUT:-/tmp/ablation}
MOD=${MOD:?MOD=CHECKOUT/build/KVER, CHECKOUT with shortcut.patch}
SIF=bxs0 CIF=bxc0
# shellcheck source=selftests/bench/workloads.sh
. "$TOP/selftests/bench/workloads.sh"
mkdir -p "$OUT"
ip link add $SIF mtu 9000 type veth peer name $CIF mtu 9000
ip link set $SIF up
ip link set $CIF up
insmod "$MOD/server/memx_server.ko" ifname=$SIF capacity=320M
insmod "$MOD/client/memx_client.ko" ifname=$CIF size=256M
modprobe brd rd_nr=1 rd_size=262144 max_part=0
modprobe null_blk queue_mode=2 gb=1 memory_backed=1 nr_devices=1 bs=4096 \
	submit_queues=2 hw_queue_depth=128
wait_memx_server || { echo "no live server after 30 s" >&2; exit 1; }
for d in /dev/memx0 /dev/nullb0 /dev/ram0; do
	fio --name=p --filename=$d --direct=1 --ioengine=libaio --rw=write \
		--bs=1M --iodepth=4 --size=256M >/dev/null
done
run() {
	fio --name=p --filename="$1" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=1 --time_based --runtime=3 \
		--size=256M --output-format=json >"$OUT/f.json"
	python3 -c "import json; j = json.load(open('$OUT/f.json'))['jobs'][0]['read']; print('$2', round(j['iops']), round(j['lat_ns']['mean'] / 1000, 1))"
}
P=/sys/module/memx_client/parameters/shortcut
for _ in 1 2 3 4; do
	run /dev/ram0 brd
	run /dev/nullb0 nullb
	echo 1 >$P
	run /dev/memx0 memx-shortcut
	echo 0 >$P
	run /dev/memx0 memx
done
