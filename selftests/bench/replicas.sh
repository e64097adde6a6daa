#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The cost of replicas=2 against replicas=1 (issue 3), measured side by
# side in one run: three guests on one bridge (selftests/vm/cluster.sh),
# two memx servers and a client. The client guest loads memx_client with
# replicas=1, prefills the device, runs the fio jobs below, unloads it, and
# does the same with replicas=2; RUNS times, alternating, so that drifting
# host load hits both alike. Direct I/O, libaio, RUNTIME seconds per job,
# the jobs of workloads.sh: randwrite-qd1, randwrite-qd16, seqwrite-qd4 and
# randread-qd1 (a read goes to one copy: the same cost is expected).
#
#   selftests/bench/replicas.sh        (as root, on the host; make bench-replicas)
#
# Knobs: RUNS (3), RUNTIME (5), SIZE_MB (128), KERNELS (6.12), MTU (1500),
# OUTDIR (default selftests/bench/out/replicas-<date>), NO_DEPS=1.
# Writes OUTDIR/replicas.csv (every run), replicas.md (medians and the
# ratios) and prints the latter. Inside the client guest it runs itself as
# "replicas.sh client OUTDIR"; in a server guest as "replicas.sh server".
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
VM=$TOP/selftests/vm
RUNS=${RUNS:-3}
RUNTIME=${RUNTIME:-5}
SIZE_MB=${SIZE_MB:-128}
MTU=${MTU:-1500}
JOBS=(randwrite-qd1 randwrite-qd16 seqwrite-qd4 randread-qd1)

# shellcheck source=selftests/bench/workloads.sh
. "$BENCH/workloads.sh"

log() { echo "replicas: $*" >&2; }

nic_up() {
	local d

	for d in /sys/class/net/*; do
		if grep -qix "$MEMX_NIC_MAC" "$d/address" 2>/dev/null; then
			IF=$(basename "$d")
			ip link set "$IF" mtu "$MTU" up
			return 0
		fi
	done
	log "no NIC with MAC $MEMX_NIC_MAC"
	return 1
}

case ${1:-host} in
server)
	nic_up
	insmod "$TOP/build/$(uname -r)/server/memx_server.ko" ifname="$IF" capacity=$((SIZE_MB + 64))M
	while [ ! -e "$MEMX_SHARE/client.done" ]; do sleep 1; done
	rmmod memx_server
	exit 0
	;;
client)
	out=$2
	nic_up
	ko=$TOP/build/$(uname -r)/client/memx_client.ko
	for ((r = 1; r <= RUNS; r++)); do
		for rep in 1 2; do
			insmod "$ko" ifname="$IF" size="${SIZE_MB}M" replicas=$rep
			for _ in $(seq 1 120); do
				[ "$(grep -cw alive /sys/block/memx0/memx/servers)" = 2 ] && break
				sleep 0.5
			done
			fio --name=prefill --filename=/dev/memx0 --direct=1 --ioengine=libaio \
				--rw=write --bs=1M --iodepth=4 --size="${SIZE_MB}M" >/dev/null
			[ "$(cat /sys/block/memx0/memx/degraded)" = 0 ] ||
				{ log "replicas=$rep: degraded extents after the prefill"; exit 1; }
			for j in "${JOBS[@]}"; do
				# shellcheck disable=SC2046 # wl_opts is a list of options
				fio --name="$j" --filename=/dev/memx0 --direct=1 --ioengine=libaio \
					--time_based --runtime="$RUNTIME" --randrepeat=0 --norandommap \
					--size="${SIZE_MB}M" $(wl_opts "$j") \
					--output-format=json --output="$out/raw/$j.r$rep.$r.json"
				log "run $r replicas=$rep $j done"
			done
			echo "run $r replicas=$rep errors $(cat /sys/block/memx0/memx/errors) retransmits $(cat /sys/block/memx0/memx/retransmits)" >>"$out/client-counters.txt"
			rmmod memx_client
		done
	done
	exit 0
	;;
esac

[ "$(id -u)" = 0 ] || { log "must run as root (boots guests)"; exit 1; }
[ "${NO_DEPS:-0}" = 1 ] || "$VM/deps.sh"
export KERNELS=${KERNELS:-6.12}
kver=$("$VM/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
[ -n "$kver" ] || { log "no kernel matching KERNELS=$KERNELS with headers"; exit 1; }
out=${OUTDIR:-$BENCH/out/replicas-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
make -C "$TOP" modules-all KERNELS="$kver" >"$out/build.log" 2>&1 ||
	{ log "modules do not build (see $out/build.log)"; exit 1; }
cat >"$out/info.txt" <<INFO
date:    $(date -u '+%Y-%m-%d %H:%M UTC')
command: RUNS=$RUNS RUNTIME=$RUNTIME SIZE_MB=$SIZE_MB MTU=$MTU selftests/bench/replicas.sh
memx:    $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?')
guests:  $kver, TCG: two servers and a client (1 vCPU each) on one bridge; host $(nproc) CPUs
INFO
log "three guests, $RUNS runs x 2 replica settings x ${#JOBS[@]} jobs; output in $out"
me=$BENCH/replicas.sh
envs="env RUNS=$RUNS RUNTIME=$RUNTIME SIZE_MB=$SIZE_MB MTU=$MTU"
"$VM/cluster.sh" -k "$kver" -d "$out" -C 1024M -S 768M -t $((600 + RUNS * 2 * ${#JOBS[@]} * (RUNTIME + 30))) \
	-s "$envs $me server" -s "$envs $me server" -c "$envs $me client $out"

python3 - "$out" "${JOBS[@]}" <<'PY'
import glob, json, os, statistics, sys

out, jobs = sys.argv[1], sys.argv[2:]
rows, csv = [], ["job,replicas,run,iops,mib_s,mean_lat_us,p99_lat_us"]
def stats(path):
    j = json.load(open(path))["jobs"][0]
    side = j["write"] if j["write"]["io_bytes"] else j["read"]
    pct = side["clat_ns"].get("percentile", {})
    p99 = pct.get("99.000000", 0) / 1000
    return side["iops"], side["bw"] / 1024, side["lat_ns"]["mean"] / 1000, p99
res = {}
for job in jobs:
    for rep in (1, 2):
        for f in sorted(glob.glob(f"{out}/raw/{job}.r{rep}.*.json")):
            run = f.rsplit(".", 2)[1]
            s = stats(f)
            res.setdefault((job, rep), []).append(s)
            csv.append(f"{job},{rep},{run}," + ",".join(f"{v:.1f}" for v in s))
open(f"{out}/replicas.csv", "w").write("\n".join(csv) + "\n")
md = [open(f"{out}/info.txt").read().strip(), "",
      "Medians of the runs; r2/r1: replicas=2 over replicas=1 in the same run.", "",
      "| job | IOPS r1 | IOPS r2 | r2/r1 | MiB/s r1 | MiB/s r2 | mean lat r1 (µs) | mean lat r2 (µs) | r2/r1 | p99 r1 | p99 r2 |",
      "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
for job in jobs:
    a, b = res.get((job, 1)), res.get((job, 2))
    if not a or not b:
        md.append(f"| {job} | missing | | | | | | | | | |")
        continue
    m = lambda v, i: statistics.median(x[i] for x in v)
    md.append(f"| {job} | {m(a,0):,.0f} | {m(b,0):,.0f} | {m(b,0)/m(a,0):.2f} | {m(a,1):.1f} | {m(b,1):.1f} "
              f"| {m(a,2):,.0f} | {m(b,2):,.0f} | {m(b,2)/m(a,2):.2f} | {m(a,3):,.0f} | {m(b,3):,.0f} |")
open(f"{out}/replicas.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
