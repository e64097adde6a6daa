#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything make check / make lab need on Debian 12, as root.
# Idempotent and quick when all is there: apt is only asked (update, then
# install) for packages that are missing.
#
#   kernels     linux-image/headers-amd64 (6.1) and the newest 6.12 backport
#               kernel with its headers (an installed 6.12 with headers is kept
#               unless MEMX_DEPS_UPGRADE=1)
#   guests      qemu-system-x86, virtme-ng (PyPI), busybox-static
#   tests       fio, e2fsprogs, iproute2, kmod, ethtool, tcpdump, iputils-ping
#   checks      sparse, clang + libclang-rt-14-dev (libFuzzer), shellcheck,
#               linux-source-6.12 (scripts/checkpatch.pl)
#   benchmarks  nbd-client nbd-server vblade aoetools gnuplot-nox
set -euo pipefail

log() { echo "deps: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root (installs Debian packages)"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
updated=0

apt_update() {
	[ "$updated" = 1 ] && return 0
	log "apt-get update"
	apt-get update -qq
	updated=1
}

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

want=(linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static
      fio sparse clang libclang-rt-14-dev e2fsprogs iproute2 kmod ethtool
      tcpdump iputils-ping shellcheck linux-source-6.12 python3-pip
      nbd-client nbd-server vblade aoetools gnuplot-nox make gcc rsync bc)

missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done

# The newest 6.12 kernel that has both an image and headers in the archive.
have612=
for img in /boot/vmlinuz-6.12.*+deb12-amd64; do
	[ -e "$img" ] || continue
	v=${img#/boot/vmlinuz-}
	installed "linux-headers-$v" && have612=$v
done
if [ -z "$have612" ] || [ "${MEMX_DEPS_UPGRADE:-0}" = 1 ]; then
	apt_update
	imgs=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
	       sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\) .*/\1/p')
	hdrs=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
	       sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\) .*/\1/p')
	v=$(comm -12 <(echo "$imgs" | sort) <(echo "$hdrs" | sort) | sort -V | tail -n1)
	if [ -z "$v" ]; then
		log "no linux-image-6.12.*+deb12-amd64 with headers in apt (backports?)"
		exit 1
	fi
	installed "linux-image-$v" || missing+=("linux-image-$v")
	installed "linux-headers-$v" || missing+=("linux-headers-$v")
fi

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# virtme-ng from PyPI. pip may be pyenv's or Debian's; with Debian's,
# --break-system-packages is needed (PEP 668) and vng lands in
# /usr/local/bin. Scripts find vng through vm/guest.sh's lookup.
find_vng() {
	command -v vng 2>/dev/null && return 0
	local d
	for d in /usr/local/bin /root/.local/bin; do
		[ -x "$d/vng" ] && { echo "$d/vng"; return 0; }
	done
	return 1
}
if ! find_vng >/dev/null; then
	log "pip install virtme-ng"
	if command -v pip3 >/dev/null && pip3 --version | grep -q '/usr/lib/python3/'; then
		pip3 install -q --break-system-packages virtme-ng >&2
	else
		python3 -m pip install -q virtme-ng >&2 ||
			/usr/bin/python3 -m pip install -q --break-system-packages virtme-ng >&2
	fi
	if command -v pyenv >/dev/null; then
		pyenv rehash 2>/dev/null || true
	fi
	find_vng >/dev/null || { log "vng not found after pip install"; exit 1; }
fi

# checkpatch.pl and the data files it reads, from the 6.12 source tarball.
ksrc=/usr/src/ksrc/linux-source-6.12
if [ ! -x "$ksrc/scripts/checkpatch.pl" ]; then
	log "extracting checkpatch.pl from linux-source-6.12"
	mkdir -p /usr/src/ksrc
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C /usr/src/ksrc \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch
fi

log "ok ($(find_vng), $(qemu-system-x86_64 --version | head -n1))"
