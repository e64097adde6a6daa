#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 4: swap. A client guest with little RAM swaps on /dev/memx0, stored by
# a server in a second guest on a virtual Ethernet segment (vm/pair.sh draws
# it); memx_pattern touches twice the client's RAM with a known pattern and
# verifies every byte. It must not hang, OOM or corrupt.
#
# On the host: boots the pair (KERNELS picks the kernel, MEMX_CLIENT_MEM the
# client's RAM, default 256M) and runs this script in each guest as
# "test_swap_01.sh server|client".
# memx-timeout: 960

. "$(dirname "$0")/lib.sh"

role=${1:-host}
if ! memx_in_guest; then
	[ -x "$MEMX_ST/out/memx_pattern" ] || memx_skip "no out/memx_pattern (make -C selftests tools)"
	memx_guests_prepare "client RAM ${MEMX_CLIENT_MEM:-256M}"
	rc=0
	"$MEMX_ST/vm/pair.sh" -k "$MEMX_KVER" -d "$MEMX_GDIR" -S 1024M \
		-C "${MEMX_CLIENT_MEM:-256M}" -t "${MEMX_SWAP_TIMEOUT:-900}" \
		-s "$MEMX_ME server" -c "$MEMX_ME client" || rc=$?
	memx_guests_report "$rc" "$MEMX_GDIR" server
fi

memx_setup "$@"
memx_guest_nic
ifc=$MEMX_NIC

if [ "$role" = server ]; then
	memx_server_load "$ifc" 768M
	memx_log "serving on $ifc ($MEMX_NIC_MAC), waiting for the client"
	for _ in $(seq 1 900); do
		[ -e "$MEMX_SHARE/client.done" ] && break
		sleep 1
	done
	memx_log "used_pages at the end $(memx_cnt $MEMX_SYS_SRV/used_pages), frames in $(memx_cnt $MEMX_SYS_SRV/frames_in)"
	memx_pass
fi

memx_defer "touch $MEMX_SHARE/client.done"
ram=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
memx_client_load "$ifc" 640M
memx_wait_server 60
# as the README advises for swap over any network: headroom for the NIC's
# atomic allocations (the default in 256 MiB is about 2 MiB)
sysctl -qw vm.min_free_kbytes=8192
mkswap /dev/memx0 >/dev/null || memx_fail "mkswap"
swapon /dev/memx0 || memx_fail "swapon"
memx_defer "swapoff /dev/memx0"
memx_log "client RAM $ram MiB; memx_pattern over $((2 * ram)) MiB"
t0=$(date +%s)
"$MEMX_ST/out/memx_pattern" $((2 * ram)) 42 &
pat=$!
# a swap I/O error will not heal: stop at the first one instead of running
# into the guest's timeout (the kernel keeps the page and retries)
while kill -0 "$pat" 2>/dev/null; do
	if memx_dmesg | grep -qE 'Write-error on swap-device|Read-error on swap-device|I/O error, dev memx0'; then
		kill -9 "$pat"
		memx_dmesg | grep -vE 'I/O error, dev memx0' | grep -A3 -E 'timed out|allocation failure|swap-device' | head -n 20 | sed 's/^/# /'
		memx_fail "swap I/O error on /dev/memx0 after $(($(date +%s) - t0)) s (above)"
	fi
	sleep 2
done
wait "$pat" || memx_fail "memx_pattern (exit $?)"
memx_log "pattern verified in $(($(date +%s) - t0)) s; swap: $(grep -E 'memx0' /proc/swaps | awk '{ print $4 " KiB used at the end" }')"
grep -E '^(pswpin|pswpout|oom_kill) ' /proc/vmstat | tr '\n' ' ' | sed 's/^/# /'; echo
[ "$(awk '/^oom_kill / { print $2 }' /proc/vmstat)" = 0 ] || memx_fail "OOM killer ran"
[ "$(awk '/^pswpout / { print $2 }' /proc/vmstat)" -gt 0 ] || memx_fail "nothing was swapped out"
swapoff /dev/memx0 || memx_fail "swapoff"
memx_log "retransmits $(memx_cnt $MEMX_SYS_CLI/retransmits), pages stored $(memx_cnt $MEMX_SYS_CLI/pages_stored)"
memx_pass
