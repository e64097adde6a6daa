#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live server drain (issue 3, test 5), in four guests on one bridge
# (vm/cluster.sh): servers s1..s3 of 128 MiB each and a client.
#
#  1. fio writes 32 MiB of random 4k blocks (crc32c verify headers), then
#     reads them back and verifies; while it writes, s2 is drained through
#     /sys/kernel/memx_server/drain. fio sees no error; the client moves
#     all of s2's extents away (drain_moved > 0, drain_pending 0), closes
#     its session there, and s2 ends with used_pages 0; a second fio pass
#     verifies every block again. The drain of s2 is stopped: the client
#     opens a session there again.
#  2. rmmod of s3 while it holds pages and fio verifies: rmmod drains s3
#     first (its extents go to s1 and s2), returns
#     before drain_timeout (30 s) with nothing left, and fio verifies
#     every block.
# At the end (the client unloaded) s2's rmmod returns within 10 s. Each guest
# checks its dmesg and its module's counters after unload.
#
# On the host: boots the four guests; in each guest runs this script as
# "test_drain_01.sh server|client".
# memx-timeout: 600
# shellcheck disable=SC2317 # the conditions are called through memx_wait_for

. "$(dirname "$0")/lib.sh"

role=${1:-host}
if ! memx_in_guest; then
	memx_guests_prepare "3 servers and a client"
	rc=0
	"$MEMX_ST/vm/cluster.sh" -k "$MEMX_KVER" -d "$MEMX_GDIR" -C 512M -t 600 \
		-S 512M -s "$MEMX_ME server" -s "$MEMX_ME server" -s "$MEMX_ME server" \
		-c "$MEMX_ME client" || rc=$?
	memx_guests_report "$rc" "$MEMX_GDIR" server server2 server3
fi

memx_setup "$@"
memx_guest_nic
ifc=$MEMX_NIC
done_=$MEMX_SHARE/client.done

if [ "$role" = server ]; then
	i=$MEMX_SERVER_INDEX
	memx_server_load "$ifc" 128M
	memx_log "s$i serving 128M on $ifc ($MEMX_NIC_MAC)"
	drained=0
	while [ ! -e "$done_" ]; do
		if [ "$drained" = 0 ] && [ -e "$MEMX_SHARE/drain$i" ]; then
			echo 1 >"$MEMX_SYS_SRV/drain"
			[ "$(memx_cnt "$MEMX_SYS_SRV/drain")" = 1 ] || memx_fail "s$i: drain reads $(cat "$MEMX_SYS_SRV/drain")"
			memx_log "s$i: draining, used_pages $(memx_cnt "$MEMX_SYS_SRV/used_pages")"
			drained=1
		fi
		if [ "$drained" = 1 ] && [ "$(memx_cnt "$MEMX_SYS_SRV/used_pages")" = 0 ] &&
		   [ "$(memx_cnt "$MEMX_SYS_SRV/sessions")" = 0 ]; then
			memx_log "s$i: drained, used_pages 0, no session"
			touch "$MEMX_SHARE/drained$i"
			drained=2
		fi
		if [ "$drained" = 2 ] && [ -e "$MEMX_SHARE/undrain$i" ]; then
			echo 0 >"$MEMX_SYS_SRV/drain"
			memx_log "s$i: drain stopped"
			drained=3
		fi
		if [ "$drained" = 3 ] && [ "$(memx_cnt "$MEMX_SYS_SRV/sessions")" = 1 ]; then
			memx_log "s$i: the client opened a session again"
			touch "$MEMX_SHARE/reopened$i"
			drained=4
		fi
		if [ -e "$MEMX_SHARE/rmmod$i" ]; then
			used=$(memx_cnt "$MEMX_SYS_SRV/used_pages")
			t0=$(date +%s%N)
			timeout 60 rmmod memx_server || memx_fail "s$i: rmmod failed"
			ms=$((($(date +%s%N) - t0) / 1000000))
			memx_log "s$i: rmmod with $used pages held returned in $ms ms"
			memx_dmesg | grep -E 'memx_server: unload' | sed 's/^/# /'
			memx_dmesg | grep -q 'memx_server: unload: drained' ||
				memx_fail "s$i: rmmod did not drain"
			echo "$ms" >"$MEMX_SHARE/rmmod$i.ms"
			while [ ! -e "$done_" ]; do sleep 0.5; done
			memx_pass
		fi
		sleep 0.2
	done
	used=$(memx_cnt "$MEMX_SYS_SRV/used_pages")
	memx_log "s$i: used_pages $used at the end"
	if [ "$drained" != 0 ]; then
		[ "$used" = 0 ] || memx_fail "s$i: drained, but used_pages $used"
		t0=$(date +%s%N)
		timeout 60 rmmod memx_server || memx_fail "s$i: rmmod failed"
		ms=$((($(date +%s%N) - t0) / 1000000))
		memx_log "s$i: rmmod of the drained server returned in $ms ms"
		# well under drain_timeout (30 s): it did not wait for pages
		[ "$ms" -le 10000 ] || memx_fail "s$i: rmmod took $ms ms"
	fi
	memx_pass
fi

memx_defer "touch $done_"

# fio over the first 32 MiB: random 4k writes with crc32c headers, then
# the verify; "verify" alone reads back and checks what the first wrote
MEMX_FIO_ARGS=(--name=drain --filename=/dev/memx0 --rw=randwrite --bs=4k
	--size=32M --direct=1 --ioengine=libaio --iodepth=16 --randseed=4242
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_dump=0)

memx_client_load "$ifc" 256M io_timeout=30
three_alive() { [ "$(memx_nstate alive)" = 3 ]; }
memx_wait_for 60 "three servers alive" three_alive
memx_servers_log

# 1. drain s2 while fio writes
memx_fio_bg /tmp/drain1.fio
# while fio writes: once 4 MiB are stored, of its 32
stored() { memx_cnt "$MEMX_SYS_CLI/pages_stored"; }
for ((i = 0; i < 600; i++)); do
	[ "$(stored)" -ge 1024 ] && break
	kill -0 "$MEMX_FIO" 2>/dev/null || break
	sleep 0.1
done
[ "$(stored)" -ge 1024 ] || memx_fail "fio stored only $(stored) pages"
ext2=$(memx_srv_col 2 7)
[ "$ext2" -gt 0 ] || memx_fail "s2 holds none of our extents before the drain"
memx_log "draining s2 ($ext2 extents, $(memx_srv_col 2 8) pages) with $(stored) pages stored"

touch "$MEMX_SHARE/drain2"
memx_fio_wait "write+verify during the drain of s2" /tmp/drain1.fio
s2_empty() { [ "$(memx_srv_col 2 7)" = 0 ] && [ "$(memx_cnt "$MEMX_SYS_CLI/drain_pending")" = 0 ]; }
memx_wait_for 120 "s2 empty" s2_empty
s2_drained() { [ -e "$MEMX_SHARE/drained2" ]; }
memx_wait_for 60 "s2 reporting used_pages 0" s2_drained
moved=$(memx_cnt "$MEMX_SYS_CLI/drain_moved")
[ "$moved" -ge "$ext2" ] || memx_fail "drain_moved $moved < $ext2 extents s2 held"
memx_servers_log
memx_log "s2 drained: $moved extents moved, s2 holds $(memx_srv_col 2 8) pages for us"
memx_fio_bg /tmp/drain2.fio --verify_only
memx_fio_wait "verify after the drain" /tmp/drain2.fio

# the drain of s2 stops: the client opens a session there again, and s2
# may take extents again (below: some of s3's)
touch "$MEMX_SHARE/undrain2"
s2_back() { [ -e "$MEMX_SHARE/reopened2" ]; }
memx_wait_for 30 "a session on s2 again" s2_back

# 2. rmmod s3 while it holds pages and fio verifies
ext3=$(memx_srv_col 3 7)
[ "$ext3" -gt 0 ] || memx_fail "s3 holds none of our extents"
memx_fio_bg /tmp/drain3.fio --verify_only --loops=2
touch "$MEMX_SHARE/rmmod3"
s3_gone() { [ -e "$MEMX_SHARE/rmmod3.ms" ]; }
memx_wait_for 90 "rmmod of s3" s3_gone
ms=$(cat "$MEMX_SHARE/rmmod3.ms")
[ "$ms" -le 29000 ] || memx_fail "rmmod of s3 took $ms ms"
memx_fio_wait "verify during the rmmod of s3" /tmp/drain3.fio
[ "$(memx_srv_col 3 7)" = 0 ] || memx_fail "s3 still holds $(memx_srv_col 3 7) of our extents"
memx_servers_log
memx_log "s3 unloaded in $ms ms after its $ext3 extents moved; drain_moved $(memx_cnt "$MEMX_SYS_CLI/drain_moved")"
memx_fio_bg /tmp/drain4.fio --verify_only
memx_fio_wait "verify after the rmmod of s3" /tmp/drain4.fio
errs=$(memx_cnt "$MEMX_SYS_CLI/errors")
[ "$errs" = 0 ] || memx_fail "the client counted $errs failed requests"
memx_pass
