#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 3: on ext4 on /dev/memx0, mmap a file larger than half the device,
# write a pattern through the mapping, msync, drop caches (and remount),
# read it back through a new mapping and verify every page.
# memx-timeout: 600

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

mnt=/tmp/memx-fs02
memx_start 128M 192M 1500
mkfs.ext4 -q -F /dev/memx0 || memx_fail "mkfs.ext4"
mkdir -p "$mnt"
mount /dev/memx0 "$mnt" || memx_fail "mount"
memx_defer "umount $mnt"

# 72 MiB > half of 128 MiB
mmap_py() {
	/usr/bin/python3 - "$mnt/mapped" $((72 * 256)) "$1" <<'PY'
import mmap, os, struct, sys
path, pages, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def page(i):
    return struct.pack("<QQ", i, i * 0x9E3779B97F4A7C15 & (2**64 - 1)) * 256
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
if mode == "write":
    os.ftruncate(fd, pages * 4096)
m = mmap.mmap(fd, pages * 4096)
if mode == "write":
    for i in range(pages):
        m[i * 4096:(i + 1) * 4096] = page(i)
    m.flush()
else:
    for i in range(pages):
        if m[i * 4096:(i + 1) * 4096] != page(i):
            sys.exit("page %d differs" % i)
m.close()
os.close(fd)
print("# %s %d pages through mmap" % (mode, pages))
PY
}
mmap_py write || memx_fail "write through the mapping"
echo 3 >/proc/sys/vm/drop_caches
mmap_py verify || memx_fail "verify after drop_caches"
umount "$mnt" || memx_fail "umount"
mount /dev/memx0 "$mnt" || memx_fail "remount"
mmap_py verify || memx_fail "verify after remount"
umount "$mnt"
memx_pass
