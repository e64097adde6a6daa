# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The fio workloads of the benchmarks (fio-guest.sh, replicas.sh), by name.

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
