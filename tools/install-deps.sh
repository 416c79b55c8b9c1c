#!/usr/bin/env bash
# Install every Debian package meterwall needs to build, run and test.
# Idempotent: packages already present are left alone.
set -euo pipefail

PKGS=(
	# build: userspace, BPF, kernel module
	build-essential pkg-config make gcc clang llvm
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libnl-3-dev libnl-genl-3-dev libssl-dev libyaml-dev libsystemd-dev
	libarchive-dev
	libmicrohttpd-dev
	linux-headers-amd64 linux-source
	# tests
	libcmocka-dev iproute2 nftables iptables ipset python3-scapy
	# fuzzing (libFuzzer runtime)
	libclang-rt-14-dev
	iputils-ping tcpdump ethtool socat netcat-openbsd util-linux systemd rsyslog strace
	prometheus
	# VM test harness (kernel module on Debian's kernel)
	linux-image-amd64 qemu-system-x86 busybox-static cpio gzip kmod
	# benchmarks
	gnuplot-nox linux-perf
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
