#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# memx benchmarks (issue 4): memx side by side with brd, zram, NBD and AoE.
# `make bench` runs this, as root, on the host; nothing here loads a module
# on the host. It
#   1. installs what it needs (selftests/vm/deps.sh: fio, nbd-server and
#      nbd-client, vblade, aoetools, gnuplot, qemu, virtme-ng),
#   2. builds the modules for the chosen kernel (make modules-all) and the
#      tools (make -C selftests tools: memx_sort),
#   3. boots ONE guest (fio-guest.sh) where memx, brd, zram, NBD and AoE are
#      all set up on one veth pair, at each MTU, and runs the fio matrix,
#   4. runs the swap-heavy job: memx_sort with a working set about twice the
#      client guest's RAM, swapping to memx and to NBD (server in a second
#      guest, on a bridge of taps with it), to zram, and not at all
#      with enough RAM (swap-guest.sh),
#   5. writes selftests/bench/out/<date>/{results.csv,runs.csv,results.md,
#      chart.png} and prints the Markdown table.
#
# Knobs (environment):
#   RUNS=3              repetitions of every fio job and swap job (median)
#   RUNTIME=5           seconds per fio job      SIZE_MB=256  device size
#   MTUS="1500 9000"    WORKLOADS="randread-qd1 ..." (subset, see fio-guest.sh)
#   DEVICES="memx brd zram nbd aoe"
#   FIO=1               run the fio matrix (0: swap job only)
#   SWAP=1              run the swap-heavy job (0: fio only)
#   SWAP_VARIANTS="memx nbd zram noswap"
#   SWAP_MEM=256M       client guest RAM         SWAP_SET_MB=512 sort size
#   SWAP_MTU=1500       MTU of the two-guest link
#   SWAP_RUNS=$RUNS     repetitions of the swap job
#   SWAP_MIN_FREE_KB=0  vm.min_free_kbytes in the swap client (0: default)
#   SWAP_TIMEOUT=1500   seconds a swap client guest may take (then: failed)
#   SWAP_PERF=1         flat perf profile of both swap guests, 60 s of the
#                       job (swap/<variant>.<run>/perf.{client,server}.txt)
#   KERNELS=6.12        kernel series (kernels.sh prefix); newest one is used
#   MODDIR=DIR          use modules already built there (skip the build)
#   PERF=1              perf profile of memx 4k randread qd1 in the guest
#   FIO_CPUS=0          vCPUs fio runs on (--cpus_allowed), every device
#                       alike; empty: wherever the guest's scheduler puts it
#   RPS=1               fio guest: server end's receive work on vCPU 1,
#                       client end's on vCPU 0 (README: why it is off)
#   NO_DEPS=1           do not run deps.sh
#   OUTDIR=DIR          write there instead of out/<date> (two runs, e.g.
#                       FIO=0 and SWAP=0, can then share one report)
#   QUICK=1             smoke: RUNS=1, RUNTIME=3, SIZE_MB=128, SWAP_SET_MB=384,
#                       SWAP_TIMEOUT=600
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
VM=$TOP/selftests/vm

# The knobs given beyond those info.txt always names, so that its command
# line repeats the run (a subset of WORKLOADS or DEVICES changes its bars).
given=
for k in QUICK WORKLOADS DEVICES SWAP_VARIANTS SWAP_MEM SWAP_SET_MB SWAP_MTU \
	 SWAP_MIN_FREE_KB SWAP_PERF PERF RPS FIO_CPUS KERNELS; do
	[ -n "${!k+x}" ] && given+=$(printf '%s=%q ' "$k" "${!k}")
done

if [ "${QUICK:-0}" = 1 ]; then
	: "${RUNS:=1}" "${RUNTIME:=3}" "${SIZE_MB:=128}" "${SWAP_SET_MB:=384}" "${SWAP_TIMEOUT:=600}"
fi
RUNS=${RUNS:-3}
RUNTIME=${RUNTIME:-5}
SIZE_MB=${SIZE_MB:-256}
MTUS=${MTUS:-1500 9000}
WORKLOADS=${WORKLOADS:-randread-qd1 randread-qd16 randwrite-qd1 randwrite-qd16 seqread-qd4 seqwrite-qd4 randrw-qd16}
DEVICES=${DEVICES:-memx brd zram nbd aoe}
FIO=${FIO:-1}
SWAP=${SWAP:-1}
SWAP_VARIANTS=${SWAP_VARIANTS:-memx nbd zram noswap}
SWAP_MEM=${SWAP_MEM:-256M}
SWAP_SET_MB=${SWAP_SET_MB:-512}
SWAP_MTU=${SWAP_MTU:-1500}
SWAP_RUNS=${SWAP_RUNS:-$RUNS}
SWAP_TIMEOUT=${SWAP_TIMEOUT:-1500}
PERF=${PERF:-0}
FIO_CPUS=${FIO_CPUS-0}
export KERNELS=${KERNELS:-6.12}

log() { echo "bench: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root (installs packages, boots guests)"; exit 1; }
[ "${NO_DEPS:-0}" = 1 ] || "$VM/deps.sh"

kver=$("$VM/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
[ -n "$kver" ] || { log "no kernel matching KERNELS=$KERNELS with headers"; exit 1; }

OUT=${OUTDIR:-$BENCH/out/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/swap"
log "output in $OUT"

make -C "$TOP/selftests" tools >"$OUT/build.log" 2>&1 ||
	{ log "make -C selftests tools failed (see $OUT/build.log)"; exit 1; }

# memx itself may not build yet: then the peers still run, and the report
# says why memx is missing.
if [ -z "${MODDIR:-}" ]; then
	MODDIR=$TOP/build/$kver
	if ! make -C "$TOP" modules-all KERNELS="$kver" >>"$OUT/build.log" 2>&1; then
		log "memx modules do not build for $kver (see $OUT/build.log): benchmarking the peers only"
		echo "memx: modules do not build for $kver" >"$OUT/memx-build-failed"
	fi
fi

[ -e "$OUT/info.txt" ] || cat >"$OUT/info.txt" <<INFO
date:    $(date -u '+%Y-%m-%d %H:%M UTC')
command: $(printf '%s=%q ' RUNS "$RUNS" RUNTIME "$RUNTIME" SIZE_MB "$SIZE_MB" MTUS "$MTUS" FIO "$FIO" SWAP "$SWAP")$(
	[ "$SWAP" = 1 ] && printf '%s=%q ' SWAP_RUNS "$SWAP_RUNS" SWAP_TIMEOUT "$SWAP_TIMEOUT")${given}make bench
memx:    $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?')
guest:   $kver, TCG, 2 vCPUs; host $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
fio:     ${RUNS} runs x ${RUNTIME} s per job, direct I/O, libaio, ${SIZE_MB} MiB per device, prefilled, fio on vCPUs ${FIO_CPUS:-any}
INFO
[ "$SWAP" = 1 ] && echo "swap:    memx_sort of ${SWAP_SET_MB} MiB in a ${SWAP_MEM} guest, link MTU $SWAP_MTU, ${SWAP_RUNS} runs, min_free_kbytes ${SWAP_MIN_FREE_KB:-default}" >>"$OUT/info.txt"

genv=(env RUNS="$RUNS" RUNTIME="$RUNTIME" SIZE_MB="$SIZE_MB" MTUS="$MTUS"
      WORKLOADS="$WORKLOADS" DEVICES="$DEVICES" MODDIR="$MODDIR" PERF="$PERF" RPS="${RPS:-0}"
      FIO_CPUS="$FIO_CPUS"
      PATH="$PATH")

# --- fio: one guest, every device ---------------------------------------
nd=$(wc -w <<<"$DEVICES") nw=$(wc -w <<<"$WORKLOADS") nm=$(wc -w <<<"$MTUS")
tmo=$((900 + nm * (900 + RUNS * nw * nd * (RUNTIME * 3 + 20))))
rc=0
if [ "$FIO" = 1 ]; then
	log "fio guest: $kver, MTUs $MTUS, $RUNS runs x $nw workloads x $nd devices (timeout $tmo s)"
	"$VM/guest.sh" -k "$kver" -m "${GUEST_MEM:-$((SIZE_MB * 6 + 1024))M}" -c 2 \
		-t "$tmo" -w "$OUT" -N memx-bench -l "$OUT/console-fio.log" -- \
		"${genv[@]}" "$BENCH/fio-guest.sh" "$OUT" 2>&1 | tee "$OUT/fio-guest.out" >&2 ||
		rc=$?
	[ "$rc" = 0 ] || log "fio guest exited with $rc (124: timeout, 125: panic; see $OUT/console-fio.log)"
fi

# --- swap-heavy job ------------------------------------------------------
# memx and NBD: a server guest and a client guest on vm/pair.sh's link (QEMU
# tap devices on a bridge in a host network namespace); zram and no swap:
# the client guest alone.
swap_one() {
	local v=$1 r=$2
	local dir=$OUT/swap/$v.$r res=$OUT/swap/$v.$r.txt
	local n=$((SWAP_SET_MB * 1024 * 1024 / 8)) mem=$SWAP_MEM rc=0
	local senv=(env MODDIR="$MODDIR" SWAP_MTU="$SWAP_MTU" SWAP_DEV_MB=$((SWAP_SET_MB * 2))
		    SWAP_MIN_FREE_KB="${SWAP_MIN_FREE_KB:-0}" SWAP_PERF="${SWAP_PERF:-0}")

	mkdir -p "$dir"
	[ "$v" = noswap ] && mem=$((SWAP_SET_MB * 2 + 512))M
	log "swap job $v run $r: memx_sort of $SWAP_SET_MB MiB in $mem"
	case $v in
	memx | nbd)
		"$VM/pair.sh" -k "$kver" -d "$dir" -S "$((SWAP_SET_MB * 2 + 512))M" \
			-C "$mem" -t "$SWAP_TIMEOUT" \
			-s "${senv[*]} $BENCH/swap-guest.sh server $v $dir" \
			-c "${senv[*]} $BENCH/swap-guest.sh client $v $dir $n" || rc=$?
		cp "$dir/client.out" "$res" 2>/dev/null || true
		;;
	*)
		"$VM/guest.sh" -k "$kver" -m "$mem" -c 1 -t "$SWAP_TIMEOUT" \
			-N memx-bench-swap -l "$dir/client.console" -- \
			"${senv[@]}" "$BENCH/swap-guest.sh" client "$v" "$dir" "$n" \
			>"$res" 2>&1 || rc=$?
		;;
	esac
	[ "$rc" = 0 ] || echo "client guest exit $rc (124: timeout, 125: panic)" >>"$res"
	grep -E '^(ok|wall|client guest)' "$res" | tr '\n' ' ' >&2
	echo >&2
}

if [ "$SWAP" = 1 ]; then
	for ((r = 1; r <= SWAP_RUNS; r++)); do
		for v in $SWAP_VARIANTS; do
			swap_one "$v" "$r"
		done
	done
fi

# --- report --------------------------------------------------------------
python3 "$BENCH/report.py" "$OUT" >"$OUT/report.out"
swapflag=0
[ -s "$OUT/swap.dat" ] && [ "$(wc -l <"$OUT/swap.dat")" -gt 1 ] && swapflag=1
mtus_done=$({ find "$OUT/raw" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null || :; } | sort -n | tr '\n' ' ')
gnuplot -e "dir='$OUT'; mtus='$mtus_done'; swap=$swapflag" "$BENCH/chart.gp" 2>"$OUT/gnuplot.err" ||
	log "gnuplot failed: $(cat "$OUT/gnuplot.err")"
[ "$(dirname "$OUT")" -ef "$BENCH/out" ] && ln -sfn "$(basename "$OUT")" "$BENCH/out/latest"
cat "$OUT/report.out"
log "results: $OUT/results.md, results.csv, chart.png"
