# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the benchmarks share: the fio workloads (fio-guest.sh, replicas.sh,
# ab.sh), by name, the vCPUs fio runs on, the wait for memx_client's first live server, and the
# top of a perf profile.

# $1 = workload: its fio options
wl_opts() {
	case $1 in
	randread-qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	randread-qd16) echo "--rw=randread --bs=4k --iodepth=16" ;;
	randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	seqread-qd4) echo "--rw=read --bs=64k --iodepth=4" ;;
	seqwrite-qd4) echo "--rw=write --bs=64k --iodepth=4" ;;
	randrw-qd16) echo "--rw=randrw --rwmixread=70 --bs=4k --iodepth=16" ;;
	*) return 1 ;;
	esac
}

# fio's options for the vCPUs FIO_CPUS names (run.sh: 0 unless set; empty:
# none, fio goes wherever the scheduler puts it), every device alike.
wl_pin() {
	[ -z "${FIO_CPUS-0}" ] || echo "--cpus_allowed=${FIO_CPUS-0}"
}

# Up to 30 s for /dev/memx0's client to see a live server; 1 if none.
wait_memx_server() {
	local i

	for ((i = 0; i < 60; i++)); do
		grep -q ' alive ' /sys/block/memx0/memx/servers 2>/dev/null && return 0
		sleep 0.5
	done
	return 1
}

# The top $2 kernel and user symbols of perf data $1 (cpu-clock samples,
# own time, call chains folded), one line each.
perf_top() {
	perf report -i "$1" --no-children --sort sym -g none \
		--kallsyms=/proc/kallsyms --stdio 2>/dev/null |
		grep -v '^#' | grep '%' | head -n "$2"
}
