#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one virtme-ng guest (TCG, 9p root: the host's / read-only, so the
# guest sees this repository at the same path) and run a command in it.
#
#   guest.sh [-k KVER] [-m MEM] [-c CPUS] [-t SECS] [-w DIR]... [-q OPTS]
#            [-a CMDLINE] [-l CONSOLE_LOG] [-N NAME] -- COMMAND [ARG]...
#
#   -k  kernel version (/boot/vmlinuz-KVER); default: newest from kernels.sh
#   -m  guest RAM (1024M)        -c  vCPUs (2)
#   -t  hard timeout in seconds (600): the guest is killed after it
#   -w  host directory the guest may write (same path inside); repeatable
#   -q  extra QEMU options, e.g. a NIC:
#       "-netdev tap,id=n1,... -device virtio-net-pci,netdev=n1,mac=..."
#   -a  extra kernel command line
#   -l  file for the serial console (kernel log); default: discarded
#
# The command's stdout/stderr arrive on guest.sh's stdout/stderr. Exit
# status: the command's; 124 if the guest hit the timeout; 125 if the
# console shows a panic or oops (the guest died; the kernel's cmdline has
# oops=panic and panic=-1 with QEMU's -no-reboot, so it exits at once).
#
# MEMX_PANIC_ON_WARN=1 adds panic_on_warn=1: the first WARN kills the guest
# (and so every test still to run in it). The default is 0: a WARN fails
# the test it happened in (lib.sh scans dmesg after every test) and the
# remaining tests still run.
set -euo pipefail

VM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kver='' mem=1024M cpus=2 tmo=600 qopts='' append='' console=/dev/null name=memx
rw=()
while getopts k:m:c:t:w:q:a:l:N: opt; do
	case $opt in
	k) kver=$OPTARG ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	t) tmo=$OPTARG ;;
	w) rw+=(--rwdir "$OPTARG") ;;
	q) qopts=$OPTARG ;;
	a) append=$OPTARG ;;
	l) console=$OPTARG ;;
	N) name=$OPTARG ;;
	*) sed -n '5,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "guest.sh: no command" >&2; exit 2; }

if [ -z "$kver" ]; then
	kver=$("$VM/kernels.sh" | tail -n1 | cut -d' ' -f1)
fi
[ -e "/boot/vmlinuz-$kver" ] || { echo "guest.sh: no /boot/vmlinuz-$kver" >&2; exit 2; }

vng=$(command -v vng 2>/dev/null || true)
for d in /usr/local/bin /root/.local/bin; do
	[ -n "$vng" ] || { [ -x "$d/vng" ] && vng=$d/vng; } || true
done
[ -n "$vng" ] || { echo "guest.sh: vng not found (run selftests/vm/deps.sh)" >&2; exit 2; }

cmd=$(printf '%q ' "$@")
# memx_guest=1 marks the guest for lib.sh (modules are only ever loaded
# where it is set); hung-task reports after 60 s land in dmesg. A soft
# lockup is reported after 2 x watchdog_thresh s: 60 s, not the default
# 20, because a TCG vCPU on a 2-core host running several guests can
# stand still for over 20 s (seen in swap_02: 23 s inside clear_page()
# while swapping in) without any kernel code looping. RCU's stall report
# comes after 60 s too, not 21, for the same reason (seen in swap_02 on
# 6.1: the grace-period kthread "starved" for 21 s with all quiescent
# states seen, so no CPU was stuck in a non-preemptible section, while a
# single vCPU sat in clear_page()). A driver that spins for a minute is
# still reported, and every test has its own timeout.
cmdline="memx_guest=1 oops=panic panic_on_warn=${MEMX_PANIC_ON_WARN:-0}"
cmdline+=" hung_task_timeout_secs=60 nmi_watchdog=0 watchdog_thresh=30"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=60 $append"

vargs=(--disable-kvm --force-9p -r "/boot/vmlinuz-$kver" --name "$name"
       --memory "$mem" --cpus "$cpus" --verbose --append "$cmdline"
       "${rw[@]}")
[ -n "$qopts" ] && vargs+=(--qemu-opts="$qopts")

# timeout(1) runs in a process group of its own and, on expiry or on a
# signal it receives, signals that whole group: vng and QEMU alike. It is
# started in the background so that a signal to guest.sh (a runner's
# cleanup) reaches it too.
rc=0 t0=$SECONDS
timeout --kill-after=20 "$tmo" "$vng" "${vargs[@]}" --exec "$cmd" \
	</dev/null 2>"$console" &
tpid=$!
trap 'kill -TERM "$tpid" 2>/dev/null' TERM INT HUP
while :; do
	rc=0
	wait "$tpid" || rc=$?
	# wait returns early (>128) when a trapped signal arrives
	kill -0 "$tpid" 2>/dev/null || break
done
trap - TERM INT HUP
# 137: killed after the grace time (a timeout too), or the command's own
# status (its last process SIGKILLed, e.g. by the OOM killer): only the
# former ran for the whole time.
[ "$rc" = 137 ] && [ $((SECONDS - t0)) -ge "$tmo" ] && rc=124
if [ -f "$console" ] && grep -qE 'Kernel panic|end Kernel panic|BUG: kernel NULL|Oops:' "$console"; then
	rc=125
fi
exit "$rc"
