#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lab: the MemX flow in two guests, from a fresh Debian 12 (as root).
#
#   +------ server guest (1 GiB) -------+      +----- client guest (256 MiB) ------+
#   |  memx_server.ko capacity=768M     |      |  memx_client.ko size=640M: memx0  |
#   |  NIC virtio-net 52:54:00:6d:78:01 |      |  NIC virtio-net 52:54:00:6d:78:02 |
#   +----------------|------------------+      +----------------|------------------+
#                    +-- tap -- bridge in a host netns (vm/cluster.sh) -- tap --+
#
# 1. install what is needed (vm/deps.sh), build for the newest kernel and the
#    test tools; 2. boot both guests (vm/pair.sh); 3. load the modules and
#    show discovery; 4. mkfs.ext4 + mount + a file and its checksum across a
#    remount; 5. swap on /dev/memx0 and run memx_pattern over twice the
#    client's RAM; 6. print a summary with timings.
#
# KERNELS=6.1 picks the kernel; MEMX_CLIENT_MEM the client's RAM (256M).
set -euo pipefail

ST=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$ST/.." && pwd)

# ---- inside the guests ----------------------------------------------------
guest_nic() {
	local ifc

	ifc=$(ip -o link | awk -v m="$MEMX_NIC_MAC" 'index($0, m) { sub(":", "", $2); print $2; exit }')
	ip link set "$ifc" up
	echo "$ifc"
}

ko() { echo "$TOP/build/$(uname -r)/$1/memx_$1.ko"; }

lab_server() {
	local ifc

	ifc=$(guest_nic)
	insmod "$(ko server)" ifname="$ifc" capacity=768M
	echo "server: memx_server on $ifc, capacity $(cat /sys/kernel/memx_server/capacity)"
	for _ in $(seq 1 900); do
		[ -e "$MEMX_SHARE/client.done" ] && break
		sleep 1
	done
	echo "server: used_pages $(cat /sys/kernel/memx_server/used_pages), frames in $(cat /sys/kernel/memx_server/frames_in) out $(cat /sys/kernel/memx_server/frames_out)"
	rmmod memx_server
	dmesg | grep 'memx_server: unloaded' | sed 's/^\[[^]]*\] /server: /'
}

lab_client() {
	local ifc t0 t ram mnt=/tmp/memx-lab sys=/sys/block/memx0/memx

	trap 'touch "$MEMX_SHARE/client.done"' EXIT
	ifc=$(guest_nic)
	t0=$(date +%s.%N)
	insmod "$(ko client)" ifname="$ifc" size=640M
	for _ in $(seq 1 120); do
		grep -qw alive $sys/servers && break
		sleep 0.5
	done
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "client: servers (MAC state capacity free srtt_us rto_us extents pages retransmits):"
	sed 's/^/client:   /' $sys/servers
	grep -qw alive $sys/servers || { echo "client: no server found"; exit 1; }
	printf 'summary: discovery %.1f s\n' "$t"

	t0=$(date +%s.%N)
	mkfs.ext4 -q -F /dev/memx0
	mkdir -p $mnt
	mount /dev/memx0 $mnt
	head -c 64M /dev/urandom >$mnt/file
	sum1=$(sha256sum <$mnt/file)
	umount $mnt
	echo 3 >/proc/sys/vm/drop_caches
	mount /dev/memx0 $mnt
	sum2=$(sha256sum <$mnt/file)
	umount $mnt
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "client: 64 MiB file sha256 ${sum1%% *} before, ${sum2%% *} after remount"
	[ "$sum1" = "$sum2" ] || { echo "client: CHECKSUM MISMATCH"; exit 1; }
	printf 'summary: mkfs.ext4 + mount + 64 MiB file + remount + checksum %.1f s\n' "$t"

	ram=$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
	mkswap /dev/memx0 >/dev/null
	swapon /dev/memx0
	t0=$(date +%s.%N)
	"$ST/out/memx_pattern" $((2 * ram)) 7 2>&1 | sed 's/^/client: memx_pattern: /'
	t=$(echo "$(date +%s.%N) - $t0" | bc)
	printf 'summary: swap job over %d MiB (client RAM %d MiB) %.1f s; pswpout %s pswpin %s; oom kills %s\n' \
		$((2 * ram)) "$ram" "$t" \
		"$(awk '/^pswpout/ { print $2 }' /proc/vmstat)" \
		"$(awk '/^pswpin/ { print $2 }' /proc/vmstat)" \
		"$(awk '/^oom_kill / { print $2 }' /proc/vmstat)"
	swapoff /dev/memx0
	echo "client: retransmits $(cat $sys/retransmits), timeouts $(cat $sys/timeouts), errors $(cat $sys/errors)"
	rmmod memx_client
	dmesg | grep 'memx_client: unloaded' | sed 's/^\[[^]]*\] /client: /'
	if dmesg | grep -qE 'WARNING:|BUG[: ]|Oops|[Cc]all [Tt]race'; then
		echo "client: KERNEL COMPLAINED:"
		dmesg | grep -E -A5 'WARNING:|BUG[: ]|Oops' | head -n 30
		exit 1
	fi
}

case ${1:-} in
--guest-server) lab_server; exit ;;
--guest-client) lab_client; exit ;;
esac

# ---- on the host ----------------------------------------------------------
T0=$(date +%s)
dir=''
# shellcheck disable=SC2317 # run by the trap
cleanup() { [ -z "$dir" ] || echo "lab: logs and consoles in $dir"; }
trap cleanup EXIT

echo "lab: installing what is needed"
"$ST/vm/deps.sh"
kver=$("$ST/vm/kernels.sh" --newest | tail -n1 | cut -d' ' -f1)
[ -n "$kver" ] || { echo "lab: no kernel with headers" >&2; exit 1; }
echo "lab: building for $kver"
t=$(date +%s)
(cd "$TOP" && KERNELS=$kver make -s modules-all && make -s -C selftests tools) >/dev/null
tb=$(($(date +%s) - t))

dir=$TOP/build/logs/lab-$kver
rm -rf "$dir"
mkdir -p "$dir"
echo "lab: booting a server guest and a client guest (${MEMX_CLIENT_MEM:-256M}) on $kver (TCG: a boot takes 15-40 s)"
t=$(date +%s)
rc=0
"$ST/vm/pair.sh" -k "$kver" -d "$dir" -S 1024M -C "${MEMX_CLIENT_MEM:-256M}" -t 900 \
	-s "$0 --guest-server" -c "$0 --guest-client" || rc=$?
tg=$(($(date +%s) - t))
grep -v '^summary' "$dir/server.out" || true
grep -v '^summary' "$dir/client.out" || true
echo
echo "==== memx lab summary ($kver) ===="
echo "build: ${tb} s"
grep '^summary' "$dir/client.out" | sed 's/^summary: //' || true
echo "two guests, boot to shutdown: ${tg} s; whole lab: $(($(date +%s) - T0)) s"
if [ "$rc" = 0 ]; then
	echo "result: OK"
else
	echo "result: FAILED (exit $rc; 124 timeout, 125 guest panic)"
	grep -h -m1 -A20 -E 'Kernel panic|Oops|BUG:|WARNING:' "$dir"/*.console 2>/dev/null || true
fi
exit "$rc"
