#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One-off of 2026-12-07, on the host beside modes.sh's guest (guest.sh
# -N memx-exp): every 0.2 s, for each thread of that QEMU process, the host
# CPU it last ran on and its user+system ticks, one line per sample:
#   <epoch> <tid>:<cpu>:<ticks> ...
while sleep 0.2; do
	p=$(pgrep -f "qemu-system.*memx-exp" | head -1)
	[ -n "$p" ] || continue
	l="$(date +%s.%N)"
	for t in "/proc/$p/task/"*; do
		l+=" ${t##*/}:$(awk '{print $39":"$14+$15}' "$t/stat" 2>/dev/null)"
	done
	echo "$l"
done
