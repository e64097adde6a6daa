#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Many servers (issue 3, tests 1, 2, 3 and 6), in five guests on one
# bridge (vm/cluster.sh): servers s1..s3 of 256, 512 and 768 MiB, a fourth
# of 256 MiB that loads its module only when told, and a client
# (replicas=1, io_timeout=20).
#
#  1. the client writes 1 GiB of a known pattern: each server's share of
#     the pages (as the servers count them, ACK.count) is within 15 % of
#     its share of the capacity;
#  2. s4 appears and s2's link is cut: once s2 is suspect, 256 MiB more
#     go to s1, s3, s4 (s4 gets extents, s2 none);
#  6. the first GiB read back: exactly s2's extents fail with EIO, within
#     io_timeout + 10 s, and every other extent verifies;
#  3. writing 1.75 GiB more overflows what is left: the excess fails with
#     ENOSPC ("every server is full" logged once, counted in nospace), and
#     everything written before still verifies (s2's extents: EIO).
# Each guest checks its dmesg and its module's counters after unload.
#
# On the host: boots the five guests; in each guest runs this script as
# "test_cluster_01.sh server|client".
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"

role=${1:-host}
if ! memx_in_guest; then
	[ -x "$MEMX_ST/out/memx_blkpat" ] || memx_skip "no out/memx_blkpat (make -C selftests tools)"
	memx_guests_prepare "4 servers and a client"
	rc=0
	"$MEMX_ST/vm/cluster.sh" -k "$MEMX_KVER" -d "$MEMX_GDIR" -C 512M -t 600 \
		-S 512M -s "$MEMX_ME server" -S 768M -s "$MEMX_ME server" \
		-S 1280M -s "$MEMX_ME server" -S 512M -s "$MEMX_ME server" \
		-c "$MEMX_ME client" || rc=$?
	memx_guests_report "$rc" "$MEMX_GDIR" server server2 server3 server4
fi

memx_setup "$@"
memx_guest_nic
ifc=$MEMX_NIC
done_=$MEMX_SHARE/client.done

if [ "$role" = server ]; then
	i=$MEMX_SERVER_INDEX
	caps=(0 256M 512M 768M 256M)
	if [ "$i" = 4 ]; then
		# the fourth server appears mid-run
		while [ ! -e "$MEMX_SHARE/load4" ] && [ ! -e "$done_" ]; do sleep 0.5; done
		[ -e "$done_" ] && memx_fail "the client ended before s4 was wanted"
	fi
	memx_server_load "$ifc" "${caps[i]}"
	memx_log "s$i serving ${caps[i]} on $ifc ($MEMX_NIC_MAC)"
	cut=0
	while [ ! -e "$done_" ]; do
		if [ "$cut" = 0 ] && [ -e "$MEMX_SHARE/cut$i" ]; then
			ip link set "$ifc" down
			# its client's CLOSE cannot arrive: unload at once
			# rather than drain for drain_timeout
			echo 0 >/sys/module/memx_server/parameters/drain_timeout
			memx_log "s$i: link cut"
			cut=1
		fi
		sleep 0.5
	done
	used=$(memx_cnt "$MEMX_SYS_SRV"/used_pages)
	cap=$(memx_cnt "$MEMX_SYS_SRV"/capacity)
	memx_log "s$i: used_pages $used of $((cap / 4096)), malformed $(memx_cnt "$MEMX_SYS_SRV"/malformed)"
	[ "$used" -le $((cap / 4096)) ] || memx_fail "s$i holds more than its capacity"
	memx_pass
fi

memx_defer "touch $done_"
pat=$MEMX_ST/out/memx_blkpat
# run memx_blkpat, print its summary; fields land in P_ok, P_eio, ...
blkpat() {
	local out

	out=$("$pat" "$@" 2>"/tmp/blkpat.err") || {
		head -n 5 /tmp/blkpat.err | sed 's/^/# /'
		memx_fail "memx_blkpat $*: $(head -n1 <<<"$out")"
	}
	memx_log "memx_blkpat $1 $3+$4 MiB: $(head -n1 <<<"$out")"
	read -r _ P_ok _ P_eio _ P_enospc _ P_other _ _ _ P_ms <<<"$(head -n1 <<<"$out")"
	P_eio_list=$(sed -n 's/^eio_list *//p' <<<"$out")
}

memx_client_load "$ifc" 4G io_timeout=20 queue_depth=128
# shellcheck disable=SC2317 # called through memx_wait_for
three_alive() { [ "$(memx_nstate alive)" = 3 ]; }
memx_wait_for 60 "three servers alive" three_alive
memx_log "servers: $(tr '\n' '|' <"$MEMX_SYS_CLI/servers")"

# 1. 1 GiB over 256 + 512 + 768 MiB: shares follow capacities
blkpat write /dev/memx0 0 1024 1 16
[ "$P_ok" = 1024 ] || memx_fail "writing the first GiB: $P_ok of 1024 extents"
held=0
for s in 1 2 3; do held=$((held + $(memx_srv_col "$s" 8))); done
[ "$held" = 262144 ] || memx_fail "servers hold $held pages for us, not 262144"
caps=(0 256 512 768)
for s in 1 2 3; do
	h=$(memx_srv_col "$s" 8)
	# share of pages vs share of capacity, in per mille; 15 % of the latter
	got=$((h * 1000 / held)) want=$((caps[s] * 1000 / 1536))
	memx_log "s$s: $h pages ($got per mille), capacity share $want per mille, extents $(memx_srv_col "$s" 7)"
	diff=$((got > want ? got - want : want - got))
	[ $((diff * 100)) -le $((want * 15)) ] ||
		memx_fail "s$s's share $got per mille is not within 15 % of $want"
done
s2ext=$(memx_srv_col 2 7)

# 2. s4 appears, s2 stops advertising
touch "$MEMX_SHARE/load4"
# shellcheck disable=SC2317 # called through memx_wait_for
s4_alive() { [ "$(memx_srv_col 4 2)" = alive ]; }
memx_wait_for 60 "s4 alive" s4_alive
touch "$MEMX_SHARE/cut2"
# shellcheck disable=SC2317 # called through memx_wait_for
s2_gone() { [ "$(memx_srv_col 2 2)" != alive ]; }
memx_wait_for 30 "s2 suspect" s2_gone
memx_log "s2 $(memx_srv_col 2 2), s4 $(memx_srv_col 4 2)"
ext4=$(memx_srv_col 4 7)
blkpat write /dev/memx0 1024 256 1 16
[ "$P_ok" = 256 ] || memx_fail "writing 256 MiB more: $P_ok of 256 extents"
[ "$(memx_srv_col 2 7)" = "$s2ext" ] || memx_fail "s2 got extents while not advertising: $(memx_srv_col 2 7) != $s2ext"
[ "$(memx_srv_col 4 7)" -gt "$ext4" ] || memx_fail "s4 got no new extents"
memx_log "after 256 MiB more: s4 holds $(memx_srv_col 4 7) extents, s2 still $s2ext"

# 6. replicas=1: s2's extents fail with EIO, the rest verifies
# shellcheck disable=SC2317 # called through memx_wait_for
s2_dead() { [ "$(memx_srv_col 2 2)" = dead ]; }
memx_wait_for 30 "s2 dead" s2_dead
t0=$(date +%s)
blkpat check /dev/memx0 0 1024 1 16
[ "$P_eio" = "$s2ext" ] || memx_fail "$P_eio extents failed with EIO, s2 held $s2ext"
if [ "$P_ok" != $((1024 - s2ext)) ] || [ "$P_other" != 0 ]; then
	memx_fail "reads elsewhere: ok $P_ok other $P_other of $((1024 - s2ext))"
fi
[ "$P_ms" -le 30000 ] || memx_fail "an extent took $P_ms ms (io_timeout is 20 s)"
memx_log "EIO on s2's $s2ext extents, $P_ok others verified, in $(($(date +%s) - t0)) s"
eio_before=$P_eio_list

# 3. beyond capacity: the excess fails with ENOSPC, nothing earlier changes
nospc0=$(memx_cnt "$MEMX_SYS_CLI/nospace")
blkpat write /dev/memx0 1280 1792 1 16
[ "$P_enospc" -gt 0 ] || memx_fail "1.75 GiB more over 1.25 GiB left: no ENOSPC"
if [ "$P_ok" = 0 ] || [ "$P_eio" != 0 ] || [ "$P_other" != 0 ]; then
	memx_fail "filling up: ok $P_ok eio $P_eio other $P_other"
fi
[ "$(memx_cnt "$MEMX_SYS_CLI/nospace")" -gt "$nospc0" ] || memx_fail "nospace did not count"
n=$(memx_dmesg | grep -c 'every server is full' || true)
[ "$n" = 1 ] || memx_fail "'every server is full' logged $n times, not once"
memx_log "full: $P_ok extents more stored, $P_enospc failed with ENOSPC"
blkpat check /dev/memx0 0 1280 1 16
if [ "$P_eio_list" != "$eio_before" ] || [ "$P_ok" != $((1280 - s2ext)) ]; then
	memx_fail "after filling up: ok $P_ok eio $P_eio (s2 held $s2ext)"
fi
memx_log "after filling up, the first 1.25 GiB still verify (s2's extents: EIO)"
memx_pass
