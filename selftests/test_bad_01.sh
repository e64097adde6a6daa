#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 8: memx_inject sends every kind of bad frame (truncated, oversized,
# wrong version, unknown type, bad fragments, bad flags, random) at the
# server's MAC and at the client's MAC while fio verify runs: nothing
# crashes, both malformed counters rise, fio still passes.
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

inject=$(memx_tool memx_inject)
memx_start 128M 192M 1500
smal=$(memx_cnt $MEMX_SYS_SRV/malformed)
cmal=$(memx_cnt $MEMX_SYS_CLI/malformed)

memx_fio_verify /dev/memx0 64M >/tmp/bad01.fio 2>&1 &
fio=$!
# frames sent on one end of the veth arrive at the module on the other
for i in 1 2 3; do
	"$inject" -i "$MEMX_CIF" -d "$(memx_mac "$MEMX_SIF")" -n 200 -s "$i" all ||
		memx_fail "memx_inject at the server"
	"$inject" -i "$MEMX_SIF" -d "$(memx_mac "$MEMX_CIF")" -n 200 -s "$i" all ||
		memx_fail "memx_inject at the client"
	kill -0 "$fio" 2>/dev/null || break
done
"$inject" -i "$MEMX_CIF" -d "$(memx_mac "$MEMX_SIF")" -n 200 write-frags ||
	memx_fail "memx_inject write-frags"
wait "$fio" || { cat /tmp/bad01.fio; memx_fail "fio verify with bad frames around"; }
cat /tmp/bad01.fio
smal=$(($(memx_cnt $MEMX_SYS_SRV/malformed) - smal))
cmal=$(($(memx_cnt $MEMX_SYS_CLI/malformed) - cmal))
memx_log "malformed: server +$smal, client +$cmal"
[ -r $MEMX_SYS_SRV/malformed_detail ] && sed 's/^/# server /' $MEMX_SYS_SRV/malformed_detail | tr '\n' ' ' && echo
[ "$smal" -gt 0 ] || memx_fail "server malformed counter did not rise"
[ "$cmal" -gt 0 ] || memx_fail "client malformed counter did not rise"
memx_pass
