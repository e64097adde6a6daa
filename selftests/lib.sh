# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared helpers of the memx guest tests (selftests/test_<group>_<nn>.sh),
# in the style of the kernel's ublk selftests: each test sources this file,
# sets up what it needs with these helpers and ends with memx_pass.
#
# Single-guest topology (one kernel hosts both modules, test_* default):
#
#   +------------------------- guest kernel --------------------------+
#   |  memx_server.ko                          memx_client.ko         |
#   |  ifname=mxs0                             ifname=mxc0 -> memx0   |
#   |     |                                        |                  |
#   |   [mxs0] <========== veth pair ==========> [mxc0]               |
#   |     (netem, MTU, link down applied here)                        |
#   +-----------------------------------------------------------------+
#
# Exit status (kselftest): 0 pass, 1 fail, 4 skip. A test run on the host
# re-executes itself inside a guest (vm/guest.sh): modules are only ever
# loaded in a kernel booted with memx_guest=1.

MEMX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MEMX_ST=$MEMX_TOP/selftests
MEMX_TEST=$(basename "$0" .sh)
MEMX_TEST=${MEMX_TEST#test_}
# shellcheck disable=SC2034 # used by the tests
MEMX_SYS_SRV=/sys/kernel/memx_server
MEMX_SYS_CLI=/sys/block/memx0/memx
MEMX_SIF=mxs0
MEMX_CIF=mxc0
MEMX_KSKIP=4

memx_log() { echo "# $MEMX_TEST: $*"; }
memx_fail() { echo "# $MEMX_TEST: FAIL: $*"; exit 1; }
memx_skip() { echo "# $MEMX_TEST: SKIP: $*"; exit "$MEMX_KSKIP"; }

memx_in_guest() { grep -qw memx_guest=1 /proc/cmdline 2>/dev/null; }

# On the host: boot a guest of the newest (or $KERNELS) kernel and run this
# very test there through the in-guest runner; never load modules here.
memx_reexec_in_guest() {
	local kver

	memx_in_guest && return 0
	kver=$("$MEMX_ST/vm/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
	[ -n "$kver" ] || memx_skip "no kernel with headers (run make deps)"
	echo "# $MEMX_TEST: not in a guest: booting $kver"
	exec "$MEMX_ST/vm/guest.sh" -k "$kver" -m "${MEMX_GUEST_MEM:-1536M}" \
		-t "${MEMX_GUEST_TIMEOUT:-1200}" -- \
		"$MEMX_ST/vm/in-guest.sh" "$MEMX_TEST"
}

# Modules built for the running kernel: build/<kver>/ (make modules-all),
# else the top-level build if its vermagic matches.
memx_find_modules() {
	local kver b

	kver=$(uname -r)
	b=$MEMX_TOP/build/$kver
	if [ -f "$b/server/memx_server.ko" ] && [ -f "$b/client/memx_client.ko" ]; then
		MEMX_SRV_KO=$b/server/memx_server.ko
		MEMX_CLI_KO=$b/client/memx_client.ko
		return 0
	fi
	b=$MEMX_TOP
	if [ -f "$b/server/memx_server.ko" ] &&
	   modinfo -F vermagic "$b/server/memx_server.ko" | grep -q "^$kver "; then
		MEMX_SRV_KO=$b/server/memx_server.ko
		MEMX_CLI_KO=$b/client/memx_client.ko
		return 0
	fi
	memx_skip "no modules built for $kver (make modules-all)"
}

memx_tool() {
	local t=$MEMX_ST/out/$1

	[ -x "$t" ] || memx_skip "$t missing (make -C selftests tools)"
	echo "$t"
}

# Cleanup stack, run in reverse order on exit (pass or fail).
MEMX_CLEANUP=()
memx_defer() { MEMX_CLEANUP+=("$*"); }
memx_cleanup() {
	local rc=$? i

	set +e
	for ((i = ${#MEMX_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${MEMX_CLEANUP[i]}" >/dev/null 2>&1
	done
	MEMX_CLEANUP=()
	memx_unload_all >/dev/null 2>&1
	exit "$rc"
}

# On the host, for a test run in several guests (vm/cluster.sh): the kernel
# (newest, or $KERNELS) in MEMX_KVER, a fresh log directory in MEMX_GDIR,
# this test's script in MEMX_ME; $1 says what the guests are, for the log.
memx_guests_prepare() {
	MEMX_KVER=$("$MEMX_ST/vm/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
	[ -n "$MEMX_KVER" ] || memx_skip "no kernel with headers (run make deps)"
	MEMX_GDIR=${MEMX_LOGDIR:-$MEMX_TOP/build/logs}/$MEMX_TEST-$MEMX_KVER
	rm -rf "$MEMX_GDIR"
	mkdir -p "$MEMX_GDIR"
	# shellcheck disable=SC2034 # used by the tests
	MEMX_ME=$MEMX_ST/test_$MEMX_TEST.sh
	echo "# $MEMX_TEST: $MEMX_KVER, $1, logs in $MEMX_GDIR"
}

# Host side of a test run in several guests (vm/cluster.sh) that ended with
# status RC, logs in DIR: show the client's output and the servers' verdict
# lines (DIR/GUEST.out for each GUEST named), say why it failed, exit.
memx_guests_report() {
	local rc=$1 dir=$2 g

	shift 2
	sed 's/^\([^#]\)/# client: \1/' "$dir/client.out"
	for g in "$@"; do
		sed "s/^\([^#]\)/# $g: \1/" "$dir/$g.out" |
			grep -E 'FAIL|unbalanced|dmesg|unloaded|passed|used|drain|rmmod' || true
	done
	case $rc in
	0 | 4) exit "$rc" ;;
	124) echo "# $MEMX_TEST: a guest timed out" ;;
	125) echo "# $MEMX_TEST: a guest panicked:"
	     grep -h -A25 -m1 -E 'Kernel panic|Oops|BUG:' "$dir"/*.console | sed 's/^/#   /' ;;
	esac
	exit 1
}

# In a guest of vm/cluster.sh: bring up the NIC whose MAC is $MEMX_NIC_MAC;
# its name goes to MEMX_NIC.
memx_guest_nic() {
	MEMX_NIC=$(ip -o link | awk -v m="$MEMX_NIC_MAC" 'index($0, m) { sub(":", "", $2); print $2; exit }')
	[ -n "$MEMX_NIC" ] || memx_fail "no NIC with MAC $MEMX_NIC_MAC"
	ip link set "$MEMX_NIC" up
}

# ---- the client guest of a multi-guest test (vm/cluster.sh) ----------------

# MAC of server $1 (1, 2, ...)
memx_srv_mac() { echo "$MEMX_SERVER_MACS" | cut -d' ' -f"$1"; }
# column $2 of the client's servers line for server $1: 2 state, 3 capacity,
# 4 free, 7 extents, 8 pages held, 12 evicting or -
memx_srv_col() {
	awk -v m="$(memx_srv_mac "$1")" -v c="$2" '$1 == m { print $c }' "$MEMX_SYS_CLI/servers"
}
# how many servers the client sees in state $1
memx_nstate() { awk -v s="$1" '$2 == s { n++ } END { print n + 0 }' "$MEMX_SYS_CLI/servers"; }
memx_servers_log() { memx_log "servers: $(tr '\n' '|' <"$MEMX_SYS_CLI/servers")"; }

# seconds, description, condition...: wait until the condition holds
memx_wait_for() {
	local tmo=$1 what=$2 i

	shift 2
	for ((i = 0; i < tmo * 2; i++)); do
		"$@" && return 0
		sleep 0.5
	done
	memx_fail "$what not after ${tmo}s: $(tr '\n' '|' <"$MEMX_SYS_CLI/servers")"
}

# fio with the test's MEMX_FIO_ARGS in the background (pid in MEMX_FIO):
# log [extra args]
memx_fio_bg() {
	local log=$1

	shift
	fio "${MEMX_FIO_ARGS[@]}" "$@" --output="$log" >/dev/null 2>&1 &
	MEMX_FIO=$!
}
# wait for it, bounded; fail on any fio error: what log [seconds]
memx_fio_wait() {
	local what=$1 log=$2 tmo=${3:-240} i rc=0

	for ((i = 0; i < tmo * 2; i++)); do
		kill -0 "$MEMX_FIO" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$MEMX_FIO" 2>/dev/null; then
		kill -9 "$MEMX_FIO"
		memx_fail "$what: fio still running after $tmo s"
	fi
	wait "$MEMX_FIO" || rc=$?
	if [ "$rc" != 0 ] || grep -qE 'err= *[1-9]|verify: bad|Input/output error' "$log"; then
		sed 's/^/# /' "$log" | tail -n 30
		memx_fail "$what: fio failed (rc $rc)"
	fi
	memx_log "$what: fio ok, $(grep -E '^ *(read|write):' "$log" | tr -s ' ' | tr '\n' ' ')"
}

memx_setup() {
	memx_reexec_in_guest "$@"
	set -euo pipefail
	trap memx_cleanup EXIT
	trap 'exit 1' INT TERM
	memx_find_modules
	modprobe -q veth
	MEMX_T0=$(date +%s)
	MEMX_DMESG_MARK="memx-test-start-$MEMX_TEST-$$"
	echo "$MEMX_DMESG_MARK" >/dev/kmsg
}

# veth pair mxs0 (server end) <-> mxc0 (client end) in this namespace
memx_veth() {
	local mtu=${1:-1500}

	# Fixed, locally administered addresses: a veth left with a random one
	# gets a new address from udev (MACAddressPolicy=persistent) a moment
	# after it appears, and the client would see a second server.
	ip link add "$MEMX_SIF" mtu "$mtu" address 02:6d:78:00:00:01 type veth \
		peer name "$MEMX_CIF" mtu "$mtu" address 02:6d:78:00:00:02
	memx_defer "ip link del $MEMX_SIF"
	ip link set "$MEMX_SIF" up
	ip link set "$MEMX_CIF" up
}

memx_mac() { cat "/sys/class/net/$1/address"; }

memx_server_load() {
	local ifname=$1 cap=$2

	shift 2
	insmod "$MEMX_SRV_KO" ifname="$ifname" capacity="$cap" "$@" ||
		memx_fail "insmod memx_server ifname=$ifname capacity=$cap $*"
	MEMX_LOADED_SRV=1
	memx_defer memx_unload_server
}

memx_client_load() {
	local ifname=$1 size=$2

	shift 2
	insmod "$MEMX_CLI_KO" ifname="$ifname" size="$size" "$@" ||
		memx_fail "insmod memx_client ifname=$ifname size=$size $*"
	MEMX_LOADED_CLI=1
	memx_defer memx_unload_client
	[ -b /dev/memx0 ] || udevadm settle 2>/dev/null || sleep 1
	[ -b /dev/memx0 ] || memx_fail "no /dev/memx0 after insmod"
}

# The client needs an advertisement (one a second) before it can place
# pages: wait, bounded, until the servers file lists one that is usable.
memx_wait_server() {
	local tmo=${1:-30} i

	for ((i = 0; i < tmo * 2; i++)); do
		if grep -qw alive "$MEMX_SYS_CLI/servers" 2>/dev/null; then
			memx_log "server found after $((i / 2)) s: $(head -n3 "$MEMX_SYS_CLI/servers" | tr '\n' '|')"
			return 0
		fi
		sleep 0.5
	done
	memx_fail "no server in $MEMX_SYS_CLI/servers after ${tmo}s: $(cat "$MEMX_SYS_CLI/servers" 2>&1)"
}

memx_cnt() { tr -d ' \n' <"$1"; }

# Both modules on the veth pair: the usual start of a single-guest test.
memx_start() {
	local size=${1:-512M} cap=${2:-768M} mtu=${3:-1500}

	shift 3 || true
	memx_veth "$mtu"
	memx_server_load "$MEMX_SIF" "$cap"
	memx_client_load "$MEMX_CIF" "$size" "$@"
	memx_wait_server 30
}

# fio write-then-verify (crc32c) of random 4k blocks over SIZE of DEV
memx_fio_verify() {
	local dev=$1 size=$2

	shift 2
	fio --name="$MEMX_TEST" --filename="$dev" --rw=randwrite --bs=4k \
		--size="$size" --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_dump=0 --randrepeat=0 --norandommap=0 \
		--output-format=terse --terse-version=3 "$@" >"/tmp/fio.$$" 2>&1 || {
		cat "/tmp/fio.$$"
		return 1
	}
	awk -F';' '{ printf "# fio: write %s KiB/s %s IOPS, read %s KiB/s\n", $48, $49, $7 }' "/tmp/fio.$$"
}

memx_unload_client() {
	grep -q '^memx_client ' /proc/modules || return 0
	rmmod memx_client
}

memx_unload_server() {
	grep -q '^memx_server ' /proc/modules || return 0
	rmmod memx_server
}

memx_unload_all() {
	memx_unload_client
	memx_unload_server
}

# The kernel log since this test started.
memx_dmesg() {
	dmesg | awk -v m="$MEMX_DMESG_MARK" 'index($0, m) { p = 1; next } p'
}

# Test 9, part 1: no kernel complaints.
# One exception: the report the page allocator prints when an atomic
# allocation fails without __GFP_NOWARN ("page allocation failure", with a
# call trace). Under swap a NIC driver refilling its receive ring prints
# it; that is memory pressure, not a bug (memx's own atomic allocations are
# all __GFP_NOWARN, so such a report is never ours). Its call trace is not
# held against the test; the reports are counted and shown.
memx_check_dmesg() {
	local log bad n l

	log=$(memx_dmesg)
	n=$(grep -c 'page allocation failure' <<<"$log" || true)
	[ "$n" = 0 ] || grep -m1 'page allocation failure' <<<"$log" |
		sed "s/^/# dmesg: $n report(s) of memory pressure, tolerated; first: /"
	bad=$(awk '/page allocation failure/ { a = NR } !(a && NR - a <= 12 && /Call Trace/)' <<<"$log" |
		grep -E 'WARNING:|BUG[: ]|Oops|KASAN|UBSAN|[Cc]all [Tt]race|general protection|blocked for more than|list_(add|del) corruption|refcount_t:|soft lockup|detected stalls? on' || true)
	[ -z "$bad" ] && return 0
	echo "$bad" | head -n 20 | sed 's/^/# dmesg: /'
	# what led to the first of them, and what followed
	l=$(grep -n -F -x -m1 -- "${bad%%$'\n'*}" <<<"$log" | cut -d: -f1)
	sed -n "$((l > 6 ? l - 6 : 1)),$((l + 14))p" <<<"$log" | sed 's/^/# dmesg context: /'
	return 1
}

# Test 9, part 2: after unload, each module's "unloaded:" line balances its
# object counters. Two spellings are understood:
#   key=value:  X_alloc=N ... X_freed=N   (also X_get/X_put)
#   prose:      "X started N ended M", "X opened N closed M [lost L]"
#               (started == ended, opened == closed + lost)
memx_check_unloaded() {
	local mod line bad=0

	for mod in "$@"; do
		line=$(memx_dmesg | grep -E "$mod: unloaded:" | tail -n1 || true)
		if [ -z "$line" ]; then
			echo "# no '$mod: unloaded:' line in dmesg"
			bad=1
			continue
		fi
		echo "# ${line#*] }"
		awk '
		function chk(what, a, b) { if (a != b) { printf "# unbalanced %s: %s != %s\n", what, a, b; bad = 1 } }
		{
			sub(/.*unloaded:/, "")
			gsub(/,/, " ")
			for (i = 1; i <= NF; i++) {
				if (split($i, kv, "=") == 2) v[kv[1]] = kv[2]
				w[i] = $i
			}
			for (k in v) {
				if (k ~ /_alloc$/) { b = k; sub(/_alloc$/, "", b)
					if ((b "_freed") in v) chk(b, v[k], v[b "_freed"])
					else if ((b "_free") in v) chk(b, v[k], v[b "_free"]) }
				if (k ~ /_get$/) { b = k; sub(/_get$/, "", b)
					if ((b "_put") in v) chk(b, v[k], v[b "_put"]) }
			}
			for (i = 1; i < NF; i++) {
				if (w[i] == "started" && w[i + 2] == "ended") chk(w[i - 1], w[i + 1], w[i + 3])
				if (w[i] == "opened" && w[i + 2] == "closed") {
					l = (w[i + 4] == "lost") ? w[i + 5] : 0
					chk(w[i - 1] " opened-closed-lost", w[i + 1], w[i + 3] + l)
				}
			}
		}
		END { exit bad }' <<<"$line" || bad=1
	done
	[ "$bad" = 0 ]
}

# Unload the modules this test loaded and check their "unloaded:" lines
# and the kernel log (test 9). Tests with several phases call it between
# them; memx_pass calls it at the end.
memx_stop() {
	local mods=()

	[ "${MEMX_LOADED_CLI:-0}" = 1 ] && mods+=(memx_client)
	[ "${MEMX_LOADED_SRV:-0}" = 1 ] && mods+=(memx_server)
	timeout 60 rmmod memx_client 2>/dev/null ||
		! grep -q '^memx_client ' /proc/modules || memx_fail "rmmod memx_client failed"
	timeout 60 rmmod memx_server 2>/dev/null ||
		! grep -q '^memx_server ' /proc/modules || memx_fail "rmmod memx_server failed"
	memx_check_unloaded "${mods[@]}" ||
		memx_fail "object counters after unload (above)"
	memx_check_dmesg || memx_fail "kernel complained (dmesg above)"
	MEMX_LOADED_CLI=0 MEMX_LOADED_SRV=0
	# the next phase's checks look only at what follows
	MEMX_DMESG_MARK="memx-test-phase-$MEMX_TEST-$$-$RANDOM"
	echo "$MEMX_DMESG_MARK" >/dev/kmsg
	ip link del "$MEMX_SIF" 2>/dev/null || true
}

# End of a test: test 9's checks, then exit 0.
memx_pass() {
	memx_stop
	memx_log "passed in $(($(date +%s) - MEMX_T0)) s"
	exit 0
}
