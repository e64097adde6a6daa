#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs INSIDE a guest (booted by guest.sh): the single-guest tests given as
# names ("io_01 fs_01"), one after the other, each under its own timeout
# (a "# memx-timeout: SECS" line in the test, default 600).
#
#   in-guest.sh [-o LOGDIR] NAME...
#
# Prints one line per test for run.sh to collate:
#   MEMX-RESULT ok|fail|skip NAME SECONDS
# preceded, for a failed test, by the tail of its output as "# " lines.
# Full output and the test's kernel log go to LOGDIR/NAME.{log,dmesg}.
set -uo pipefail

ST=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
logdir=/tmp/memx-logs
if [ "${1:-}" = -o ]; then
	logdir=$2
	shift 2
fi
mkdir -p "$logdir"

if ! grep -qw memx_guest=1 /proc/cmdline; then
	echo "in-guest.sh: not in a memx guest (use vm/guest.sh)" >&2
	exit 2
fi

echo "# guest: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
for name in "$@"; do
	t=$ST/test_$name.sh
	if [ ! -f "$t" ]; then
		echo "MEMX-RESULT fail $name 0 (no $t)"
		continue
	fi
	tmo=$(sed -n 's/^# memx-timeout: *\([0-9]*\).*/\1/p' "$t" | head -n1)
	tmo=${tmo:-600}
	mark="memx-runner-$name-$RANDOM"
	echo "$mark" >/dev/kmsg
	start=$(date +%s)
	timeout -k 10 "$tmo" bash "$t" >"$logdir/$name.log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	[ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "# $name: timed out after ${tmo}s" >>"$logdir/$name.log"
	# a test must leave no module behind
	for m in memx_client memx_server; do
		if grep -q "^$m " /proc/modules; then
			echo "# $name: $m still loaded after the test" >>"$logdir/$name.log"
			timeout 60 rmmod "$m" >>"$logdir/$name.log" 2>&1
			[ "$rc" = 4 ] || rc=1
		fi
	done
	dmesg | awk -v m="$mark" 'index($0, m) { p = 1; next } p' >"$logdir/$name.dmesg"
	if grep -qE 'WARNING:|BUG[: ]|Oops|KASAN|[Cc]all [Tt]race|general protection|blocked for more than|soft lockup' "$logdir/$name.dmesg"; then
		echo "# $name: kernel complained during the test" >>"$logdir/$name.log"
		[ "$rc" = 4 ] || rc=1
	fi
	case $rc in
	0) res=ok ;;
	4) res=skip ;;
	*) res=fail ;;
	esac
	if [ "$res" = ok ]; then
		grep -E '^# ' "$logdir/$name.log" | grep -E 'fio:|passed in|retransmits|malformed|EIO|found after' | head -n 12
	else
		echo "# ---- $name (exit $rc): last lines of its output"
		tail -n 40 "$logdir/$name.log" | sed 's/^/#   /'
		if [ -s "$logdir/$name.dmesg" ]; then
			echo "# ---- $name: last kernel messages"
			tail -n 25 "$logdir/$name.dmesg" | sed 's/^/#   /'
		fi
	fi
	echo "MEMX-RESULT $res $name $secs"
	# leftovers of a failed test must not break the next one
	swapoff -a 2>/dev/null
	ip link del mxs0 2>/dev/null
	sync
	echo 3 >/proc/sys/vm/drop_caches
done
exit 0
