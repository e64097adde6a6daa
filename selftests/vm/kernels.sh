#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print "KVER KDIR" for every installed Debian kernel that can both boot a
# guest (/boot/vmlinuz-KVER) and build modules (headers with a Makefile),
# oldest first. KERNELS="6.1" or "6.12" (space separated prefixes, or exact
# versions) keeps only the matching ones. "kernels.sh --newest" prints only
# the newest kernel of each major.minor series (what make check tests).
set -euo pipefail

newest=0
[ "${1:-}" = --newest ] && newest=1

match() {
	local kver=$1 p

	[ -z "${KERNELS:-}" ] && return 0
	for p in ${KERNELS//,/ }; do
		case $kver in
		"$p" | "$p".* | "$p"-*) return 0 ;;
		esac
	done
	return 1
}

list() {
	local img kver kdir

	for img in /boot/vmlinuz-*; do
		[ -e "$img" ] || continue
		kver=${img#/boot/vmlinuz-}
		kdir=
		if [ -f "/lib/modules/$kver/build/Makefile" ]; then
			kdir=$(readlink -f "/lib/modules/$kver/build")
		elif [ -f "/usr/src/linux-headers-$kver/Makefile" ]; then
			kdir=/usr/src/linux-headers-$kver
		fi
		[ -n "$kdir" ] || continue
		# modules of the guest kernel (veth, netem, brd) come from here
		[ -d "/lib/modules/$kver/kernel" ] || continue
		match "$kver" || continue
		echo "$kver $kdir"
	done | sort -V
}

if [ "$newest" = 1 ]; then
	# last of each series wins: "6.12.117+deb12-amd64" -> "6.12"
	list | awk '{ split($1, v, "."); s = v[1] "." v[2]; last[s] = $0;
		      if (!(s in seen)) { seen[s] = 1; order[++n] = s } }
		    END { for (i = 1; i <= n; i++) print last[order[i]] }'
else
	list
fi
