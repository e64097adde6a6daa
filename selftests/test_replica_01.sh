#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replication (issue 3, test 4), in four guests on one bridge
# (vm/cluster.sh): servers s1..s3 of 256 MiB each and a client with
# replicas=2.
#
#  1. fio writes 48 MiB of random 4k blocks (crc32c verify headers) and
#     reads them back; while it writes, s3's link is cut. fio sees no
#     error; s3 is evicted (its copies dropped where they had another,
#     none is lost), the client re-creates the missing copies on s1 and s2
#     (rebuilt > 0) until no extent is degraded and s1 and s2 hold two
#     copies of every extent between them; a second pass verifies every
#     block again.
#  2. s3's link comes back: the client closes its old session there (its
#     stale pages are freed) and opens a new, empty one. fio writes 48 MiB
#     more, so s3 holds copies again; then, while fio verifies all 96 MiB,
#     s3 is reloaded (rmmod without drain, insmod: its memory is lost, it
#     has a new generation). fio sees no error, nothing is lost, and the
#     rebuild again leaves every extent with two copies; a last pass
#     verifies every block.
# Each guest checks its dmesg and its module's counters after unload.
#
# On the host: boots the four guests; in each guest runs this script as
# "test_replica_01.sh server|client".
# memx-timeout: 600
# shellcheck disable=SC2317 # the conditions are called through memx_wait_for

. "$(dirname "$0")/lib.sh"

role=${1:-host}
if ! memx_in_guest; then
	memx_guests_prepare "3 servers and a client (replicas=2)"
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
	memx_server_load "$ifc" 256M
	memx_log "s$i serving 256M on $ifc ($MEMX_NIC_MAC)"
	step=0
	while [ ! -e "$done_" ]; do
		if [ "$step" = 0 ] && [ -e "$MEMX_SHARE/cut$i" ]; then
			ip link set "$ifc" down
			memx_log "s$i: link cut, used_pages $(memx_cnt "$MEMX_SYS_SRV/used_pages")"
			step=1
		fi
		if [ "$step" = 1 ] && [ -e "$MEMX_SHARE/up$i" ]; then
			ip link set "$ifc" up
			memx_log "s$i: link up, used_pages $(memx_cnt "$MEMX_SYS_SRV/used_pages"), sessions $(memx_cnt "$MEMX_SYS_SRV/sessions")"
			step=2
		fi
		if [ "$step" = 2 ] && [ -e "$MEMX_SHARE/reload$i" ]; then
			used=$(memx_cnt "$MEMX_SYS_SRV/used_pages")
			# a crash: its pages go, nobody drains them first
			echo 0 >/sys/module/memx_server/parameters/drain_timeout
			rmmod memx_server || memx_fail "s$i: rmmod"
			memx_server_load "$ifc" 256M
			memx_log "s$i: reloaded with $used pages held, generation $(memx_cnt "$MEMX_SYS_SRV/srv_gen")"
			touch "$MEMX_SHARE/reloaded$i"
			step=3
		fi
		sleep 0.2
	done
	used=$(memx_cnt "$MEMX_SYS_SRV/used_pages")
	memx_log "s$i: used_pages $used, sessions $(memx_cnt "$MEMX_SYS_SRV/sessions") at the end"
	memx_pass
fi

memx_defer "touch $done_"
# fio jobs over regions A (0-48 MiB) and B (48-96 MiB): random 4k writes
# with crc32c headers, then the verify; with --verify_only they read back
# what the same jobs wrote
MEMX_FIO_ARGS=(--filename=/dev/memx0 --rw=randwrite --bs=4k
	--direct=1 --ioengine=libaio --iodepth=16 --randseed=4343
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_dump=0)
A=(--name=a --offset=0 --size=48M)
B=(--name=b --offset=48M --size=48M)
stored() { memx_cnt "$MEMX_SYS_CLI/pages_stored"; }
cnt() { memx_cnt "$MEMX_SYS_CLI/$1"; }
# two copies of every extent, none on the servers named (state not alive)
two_copies() { # servers that must hold none
	local s sum=0

	[ "$(cnt degraded)" = 0 ] || return 1
	for s in 1 2 3; do
		if [[ " $* " == *" $s "* ]]; then
			[ "$(memx_srv_col "$s" 7)" = 0 ] || return 1
		else
			sum=$((sum + $(memx_srv_col "$s" 7)))
		fi
	done
	[ "$sum" = $((2 * $(cnt placed))) ]
}
copies_log() {
	memx_log "$1: placed $(cnt placed), degraded $(cnt degraded), rebuilt $(cnt rebuilt), dropped $(cnt dropped), lost $(cnt lost_extents), errors $(cnt errors)"
	memx_servers_log
}

memx_client_load "$ifc" 256M replicas=2 io_timeout=30
[ "$(cnt replicas)" = 2 ] || memx_fail "replicas reads $(cnt replicas)"
three_alive() { [ "$(memx_nstate alive)" = 3 ]; }
memx_wait_for 60 "three servers alive" three_alive
memx_servers_log

# 1. s3's link is cut while fio writes
memx_fio_bg /tmp/replica1.fio "${A[@]}"
for ((i = 0; i < 600; i++)); do
	# 4 MiB written, twice
	[ "$(stored)" -ge 2048 ] && break
	kill -0 "$MEMX_FIO" 2>/dev/null || break
	sleep 0.1
done
[ "$(stored)" -ge 2048 ] || memx_fail "fio stored only $(stored) pages"
[ "$(memx_srv_col 3 7)" -gt 0 ] || memx_fail "s3 holds no copy before its link is cut"
memx_log "cutting s3's link: it holds $(memx_srv_col 3 7) copies, $(stored) pages stored in all"
touch "$MEMX_SHARE/cut3"
memx_fio_wait "write+verify while s3's link is cut" /tmp/replica1.fio
s3_evicted() { [ "$(memx_srv_col 3 12)" = evicting ]; }
memx_wait_for 30 "s3 evicted" s3_evicted
rebuilt() { two_copies 3; }
memx_wait_for 120 "two copies of every extent on s1 and s2" rebuilt
copies_log "s3 cut, copies rebuilt"
[ "$(cnt rebuilt)" -gt 0 ] || memx_fail "nothing was rebuilt"
[ "$(cnt lost_extents)" = 0 ] || memx_fail "extents were lost"
memx_fio_bg /tmp/replica2.fio --verify_only "${A[@]}"
memx_fio_wait "verify after the rebuild" /tmp/replica2.fio

# 2. s3 comes back empty, takes copies, and is reloaded during a verify
touch "$MEMX_SHARE/up3"
s3_back() { [ "$(memx_srv_col 3 2)" = alive ] && [ "$(memx_srv_col 3 12)" = - ] &&
	    grep -q "server $(memx_srv_mac 3): session .* open" <(memx_dmesg | tail -n 20); }
memx_wait_for 60 "s3 back with a new session" s3_back
memx_dmesg | grep -E "$(memx_srv_mac 3).*(evicted|closing|session)" | tail -n 4 | sed 's/^/# /'
memx_fio_bg /tmp/replica3.fio "${B[@]}"
memx_fio_wait "write+verify of 48 MiB more" /tmp/replica3.fio
[ "$(memx_srv_col 3 7)" -gt 0 ] || memx_fail "s3 got no copy after it came back"
copies_log "after 48 MiB more"
rebuilt0=$(cnt rebuilt)
memx_fio_bg /tmp/replica4.fio --verify_only --loops=2 "${A[@]}" "${B[@]}"
touch "$MEMX_SHARE/reload3"
s3_reloaded() { [ -e "$MEMX_SHARE/reloaded3" ]; }
memx_wait_for 60 "s3 reloaded" s3_reloaded
memx_fio_wait "verify while s3 is reloaded" /tmp/replica4.fio
all_two() { two_copies; }
memx_wait_for 120 "two copies of every extent again" all_two
copies_log "s3 reloaded, copies rebuilt"
[ "$(cnt rebuilt)" -gt "$rebuilt0" ] || memx_fail "nothing was rebuilt after the reload"
[ "$(cnt lost_extents)" = 0 ] || memx_fail "extents were lost"
memx_dmesg | grep -q "server $(memx_srv_mac 3) restarted" || memx_fail "the client did not see s3 restart"
memx_fio_bg /tmp/replica5.fio --verify_only "${A[@]}" "${B[@]}"
memx_fio_wait "verify after the second rebuild" /tmp/replica5.fio
[ "$(cnt errors)" = 0 ] || memx_fail "the client counted $(cnt errors) failed requests"
memx_pass
