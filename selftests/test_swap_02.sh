#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap over two copies (issue 3, test 7): as swap_01, a client guest with
# little RAM swaps on /dev/memx0 while memx_pattern touches twice its RAM
# with a known pattern and verifies every byte, but the device has
# replicas=2 over two server guests (vm/cluster.sh), and once swapping is
# well under way (15,000 pages out) the second server guest is killed: it
# resets at once (sysrq b; QEMU exits), no module unload, no CLOSE, no
# drain. The client drops that server's copies and swaps on the other:
# memx_pattern finishes and verifies, no swap I/O error, no OOM kill, no
# data lost.
#
# On the host: boots the three guests (KERNELS picks the kernel,
# MEMX_CLIENT_MEM the client's RAM, default 192M, less than swap_01's to
# keep make check short) and runs this script in each as
# "test_swap_02.sh server|client".
# memx-timeout: 960

. "$(dirname "$0")/lib.sh"

role=${1:-host}
if ! memx_in_guest; then
	[ -x "$MEMX_ST/out/memx_pattern" ] || memx_skip "no out/memx_pattern (make -C selftests tools)"
	memx_guests_prepare "client RAM ${MEMX_CLIENT_MEM:-192M}, replicas=2 on two servers, one killed"
	rc=0
	"$MEMX_ST/vm/cluster.sh" -k "$MEMX_KVER" -d "$MEMX_GDIR" -S 1024M -K 2 \
		-C "${MEMX_CLIENT_MEM:-192M}" -t "${MEMX_SWAP_TIMEOUT:-900}" \
		-s "$MEMX_ME server" -s "$MEMX_ME server" -c "$MEMX_ME client" || rc=$?
	grep -q 'killed itself' "$MEMX_GDIR/server2.out" ||
		{ echo "# swap_02: server 2 was never killed"; rc=1; }
	memx_guests_report "$rc" "$MEMX_GDIR" server server2
fi

memx_setup "$@"
memx_guest_nic
ifc=$MEMX_NIC

if [ "$role" = server ]; then
	i=$MEMX_SERVER_INDEX
	memx_server_load "$ifc" 768M
	memx_log "s$i serving on $ifc ($MEMX_NIC_MAC), waiting for the client"
	for _ in $(seq 1 4500); do
		[ -e "$MEMX_SHARE/client.done" ] && break
		if [ "$i" = 2 ] && [ -e "$MEMX_SHARE/kill2" ]; then
			memx_log "s$i killed itself holding $(memx_cnt $MEMX_SYS_SRV/used_pages) pages"
			sync
			# an immediate reset, which QEMU's -no-reboot turns
			# into its exit (a power-off request may leave 6.1
			# spinning in a guest that no longer serves)
			echo 1 >/proc/sys/kernel/sysrq
			echo b >/proc/sysrq-trigger
			sleep 60
		fi
		sleep 0.2
	done
	memx_log "used_pages at the end $(memx_cnt $MEMX_SYS_SRV/used_pages), frames in $(memx_cnt $MEMX_SYS_SRV/frames_in)"
	memx_pass
fi

memx_defer "touch $MEMX_SHARE/client.done"
cnt() { memx_cnt "$MEMX_SYS_CLI/$1"; }
ram=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
memx_client_load "$ifc" 640M replicas=2
# shellcheck disable=SC2317 # called through memx_wait_for
two_alive() { [ "$(memx_nstate alive)" = 2 ]; }
memx_wait_for 60 "two servers alive" two_alive
memx_servers_log
# as swap_01: headroom for the NIC's atomic allocations
sysctl -qw vm.min_free_kbytes=8192
mkswap /dev/memx0 >/dev/null || memx_fail "mkswap"
swapon /dev/memx0 || memx_fail "swapon"
memx_defer "swapoff /dev/memx0"
memx_log "client RAM $ram MiB; memx_pattern over $((2 * ram)) MiB"
t0=$(date +%s)
"$MEMX_ST/out/memx_pattern" $((2 * ram)) 42 &
pat=$!
killed=0
while kill -0 "$pat" 2>/dev/null; do
	if memx_dmesg | grep -qE 'Write-error on swap-device|Read-error on swap-device|I/O error, dev memx0'; then
		kill -9 "$pat"
		memx_dmesg | grep -vE 'I/O error, dev memx0' | grep -A3 -E 'timed out|allocation failure|swap-device|evicted' | head -n 20 | sed 's/^/# /'
		memx_fail "swap I/O error on /dev/memx0 after $(($(date +%s) - t0)) s (above)"
	fi
	if [ "$killed" = 0 ] &&
	   [ "$(awk '/^pswpout / { print $2 }' /proc/vmstat)" -ge 15000 ]; then
		memx_log "killing s2 at $(($(date +%s) - t0)) s: $(grep -E '^pswp(in|out) ' /proc/vmstat | tr '\n' ' ')"
		memx_servers_log
		touch "$MEMX_SHARE/kill2"
		killed=1
	fi
	sleep 1
done
wait "$pat" || memx_fail "memx_pattern (exit $?)"
memx_log "pattern verified in $(($(date +%s) - t0)) s"
[ "$killed" = 1 ] || memx_fail "memx_pattern ended before s2 was killed"
grep -E '^(pswpin|pswpout|oom_kill) ' /proc/vmstat | tr '\n' ' ' | sed 's/^/# /'; echo
memx_servers_log
memx_log "dropped $(cnt dropped), degraded $(cnt degraded), lost $(cnt lost_extents), errors $(cnt errors), retransmits $(cnt retransmits)"
memx_dmesg | grep -E 'evicted|fewer servers' | head -n 3 | sed 's/^/# /'
[ "$(awk '/^oom_kill / { print $2 }' /proc/vmstat)" = 0 ] || memx_fail "OOM killer ran"
[ "$(cnt dropped)" -gt 0 ] || memx_fail "no copy of s2 was dropped"
[ "$(memx_srv_col 2 7)" = 0 ] || memx_fail "s2 still holds $(memx_srv_col 2 7) copies"
[ "$(cnt lost_extents)" = 0 ] || memx_fail "extents were lost"
[ "$(cnt errors)" = 0 ] || memx_fail "the client counted $(cnt errors) failed requests"
swapoff /dev/memx0 || memx_fail "swapoff"
memx_pass
