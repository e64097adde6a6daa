#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 2: mkfs.ext4 on /dev/memx0, mount, write files, unmount, remount:
# the files' checksums match.
# memx-timeout: 600

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

mnt=/tmp/memx-fs01
memx_start 256M 320M 1500
mkfs.ext4 -q -F /dev/memx0 || memx_fail "mkfs.ext4"
mkdir -p "$mnt"
mount /dev/memx0 "$mnt" || memx_fail "mount"
memx_defer "umount $mnt"
mkdir "$mnt/d"
for i in $(seq 1 24); do
	head -c $((i * 131072 + i * 517)) /dev/urandom >"$mnt/d/f$i"
done
head -c 48M /dev/urandom >"$mnt/big"
(cd "$mnt" && sha256sum big d/*) >/tmp/fs01.sum
umount "$mnt" || memx_fail "umount"
echo 3 >/proc/sys/vm/drop_caches
mount /dev/memx0 "$mnt" || memx_fail "remount"
(cd "$mnt" && sha256sum -c --quiet /tmp/fs01.sum) || memx_fail "checksums differ after remount"
umount "$mnt" || memx_fail "umount after check"
fsck.ext4 -fn /dev/memx0 >/tmp/fs01.fsck 2>&1 || { cat /tmp/fs01.fsck; memx_fail "fsck"; }
memx_log "$(wc -l </tmp/fs01.sum) files verified after remount, fsck clean"
memx_pass
