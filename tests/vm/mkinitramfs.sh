#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs for the meterwall VM tests (tests/vm/run.sh calls it).
#
#   tests/vm/mkinitramfs.sh [OUTPUT]     default $O/vm/initramfs-$KVER.cpio.gz
#
# Contents (merged /usr layout like Debian 12):
#   busybox-static applets; bash as /bin/bash and /bin/sh (so system() and
#   scripts honour PATH and run iproute2's ip, not busybox's applet);
#   ip, nft, bpftool, kmod (modprobe/insmod/rmmod/lsmod/modinfo), nsenter,
#   iptables (legacy + nft) + extensions, ipset, with their libraries (ldd);
#   Debian's modules for $KVER (list below, with modules.dep dependencies),
#   kmod/meterwall.ko if built (also as extra/meterwall.ko: `modprobe meterwall`);
#   /mw = the repository subset the guest scripts need, with $O's binaries
#   at /mw/build (the guest always runs with O=build).
# Rebuilt only when an input changes (key: path, size, mtime of every input).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
KVER=${KVER:-$(ls /lib/modules | sort -V | tail -n 1)}
OUT=${1:-$O/vm/initramfs-$KVER.cpio.gz}
KEY=$OUT.key
MODDIR=/lib/modules/$KVER

MODULES=(
	veth pktgen bridge 8021q macvlan dummy
	nfnetlink nf_tables nft_ct nft_limit nft_log nft_reject nft_reject_inet
	nft_fib nft_fib_inet nft_compat nft_chain_nat nft_nat nf_nat
	nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6 nf_conntrack_netlink
	nfnetlink_log nfnetlink_queue
	libcrc32c crc32c_generic crc32c-intel
	x_tables ip_tables iptable_raw iptable_filter ip6_tables ip6table_raw
	xt_tcpudp xt_conntrack xt_set
	ip_set ip_set_hash_ip ip_set_hash_net
)
HOST_BINS=(
	/bin/bash /usr/bin/busybox /sbin/ip /usr/sbin/nft /usr/sbin/bpftool
	/bin/kmod /usr/bin/nsenter /usr/sbin/ipset
	/usr/sbin/xtables-legacy-multi /usr/sbin/xtables-nft-multi
)
# MW_VM_PERF=1: perf as well (profiling in the guest: tools/bench/pktgen.sh
# with MW_BENCH_PERF=1; cpu-clock only, TCG has no PMU)
[ "${MW_VM_PERF:-0}" = 1 ] && HOST_BINS+=(/usr/bin/perf)
# busybox applets that a real tool above replaces
REPLACED=" sh ip modprobe insmod rmmod lsmod modinfo depmod nsenter "

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ -d "$MODDIR" ] || die "no $MODDIR (KVER=$KVER)"
[ -x /usr/bin/busybox ] || [ -x /bin/busybox ] || die "busybox missing (busybox-static)"
[ -x "$O/mwctl" ] || die "$O/mwctl not built (make)"

# the benchmarks the guest runs, when bench-build made them (kmod-bench:
# policy-apply; xdp-cost: xdp-testrun)
GUEST_BENCH_NAMES=(policy-apply xdp-testrun)

# --- inputs and the cache key ---------------------------------------------
repo_inputs() {
	find tests/vm tests/lib tests/fixtures examples tools/lib -type f 2>/dev/null
	ls "$O"/mwctl "$O"/meterwalld "$O"/tests/test_* "$O"/guest/* \
		"${GUEST_BENCH_NAMES[@]/#/$O/bench/}" \
		"$O"/*.bpf.o \
		kmod/meterwall.ko 2>/dev/null || true
}
mod_path() {	# module name -> path relative to $MODDIR (- and _ equal)
	local n
	n=$(sed 's/[-_]/[-_]/g' <<<"$1")
	grep -E "(^|/)${n}\.ko(\.[gx]z|\.zst)?:" "$MODDIR/modules.dep" | head -n 1 | cut -d: -f1 || true
}
declare -A MODSET=()
add_mod() {	# path relative to $MODDIR, with its dependencies
	local p=$1 d
	[ -n "${MODSET[$p]:-}" ] && return
	MODSET[$p]=1
	for d in $(grep -E "^${p}:" "$MODDIR/modules.dep" | cut -d: -f2-); do
		add_mod "$d"
	done
}
for m in "${MODULES[@]}"; do
	p=$(mod_path "$m")
	if [ -n "$p" ]; then add_mod "$p"
	elif ! grep -qE "/${m}\.ko" "$MODDIR/modules.builtin"; then
		echo "mkinitramfs: note: module $m not in $KVER" >&2
	fi
done
if [ -f kmod/meterwall.ko ]; then
	for m in $(/sbin/modinfo -F depends kmod/meterwall.ko | tr , ' '); do
		p=$(mod_path "$m")
		[ -n "$p" ] && add_mod "$p"
	done
fi
host_libs() {	# shared libraries of the given ELF files, incl. the loader
	{ ldd "$@" 2>/dev/null || true; } |
		awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u
}
XT_DIR=/usr/lib/x86_64-linux-gnu/xtables
EXISTING_BINS=()
for b in "${HOST_BINS[@]}"; do [ -x "$b" ] && EXISTING_BINS+=("$b"); done
PROJ_BINS=("$O"/mwctl "$O"/meterwalld)
for t in "$O"/tests/test_* "$O"/guest/*; do [ -x "$t" ] && PROJ_BINS+=("$t"); done
GUEST_BENCH=()
for b in "${GUEST_BENCH_NAMES[@]}"; do
	[ -x "$O/bench/$b" ] && GUEST_BENCH+=("$O/bench/$b")
done
XT_LIBS=()
[ -d "$XT_DIR" ] && XT_LIBS=("$XT_DIR"/*.so)
LIBS=$(host_libs "${EXISTING_BINS[@]}" "${PROJ_BINS[@]}" "${GUEST_BENCH[@]}" "${XT_LIBS[@]}")

key=$( {
	echo "kver $KVER"
	repo_inputs | sort | xargs -r stat -L -c '%n %s %Y'
	for p in "${!MODSET[@]}"; do echo "$MODDIR/$p"; done |
		sort | xargs -r stat -L -c '%n %s %Y'
	printf '%s\n' "${EXISTING_BINS[@]}" $LIBS |
		sort | xargs -r stat -L -c '%n %s %Y'
} | sha256sum | cut -d' ' -f1)
if [ -f "$OUT" ] && [ "$(cat "$KEY" 2>/dev/null)" = "$key" ]; then
	echo "mkinitramfs: $OUT up to date"
	exit 0
fi

# --- the tree -----------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
ROOT=$(mktemp -d "$(dirname "$OUT")/root.XXXXXX")
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/usr/{bin,sbin,lib,lib64} "$ROOT"/{proc,sys,dev,tmp,run,root,etc,mnt} \
	"$ROOT"/var/lib "$ROOT"/var/log
for d in bin sbin lib lib64; do ln -s usr/$d "$ROOT/$d"; done
ln -s ../run "$ROOT/var/run"
put() {	# host file -> same path in ROOT (symlinks followed)
	mkdir -p "$ROOT$(dirname "$1")"
	cp -L "$1" "$ROOT$1"
}
for f in $LIBS "${XT_LIBS[@]}"; do put "$f"; done
for b in "${EXISTING_BINS[@]}"; do put "$b"; done
# usr-merged names: the binaries are reachable under /bin, /sbin as well
BB=/usr/bin/busybox
[ -x "$ROOT$BB" ] || { put /bin/busybox; BB=/bin/busybox; }
for a in $("$ROOT$BB" --list); do
	case "$REPLACED" in *" $a "*) continue ;; esac
	[ -e "$ROOT/usr/bin/$a" ] || [ -e "$ROOT/usr/sbin/$a" ] || ln -s "$BB" "$ROOT/usr/bin/$a"
done
ln -sf bash "$ROOT/usr/bin/sh"
for a in modprobe insmod rmmod lsmod modinfo depmod; do ln -sf /usr/bin/kmod "$ROOT/usr/sbin/$a"; done
if [ -x "$ROOT/usr/sbin/xtables-legacy-multi" ]; then
	for a in iptables ip6tables iptables-save iptables-restore; do
		ln -s xtables-legacy-multi "$ROOT/usr/sbin/$a"
		ln -s xtables-legacy-multi "$ROOT/usr/sbin/${a/ables/ables-legacy}"
	done
fi
if [ -x "$ROOT/usr/sbin/xtables-nft-multi" ]; then
	for a in iptables ip6tables iptables-save iptables-restore; do
		ln -s xtables-nft-multi "$ROOT/usr/sbin/${a/ables/ables-nft}"
	done
fi
echo "root:x:0:0:root:/root:/bin/bash" >"$ROOT/etc/passwd"
echo "root:x:0:" >"$ROOT/etc/group"
: >"$ROOT/etc/fstab"
printf '%s\n' "127.0.0.1 localhost" "::1 localhost" >"$ROOT/etc/hosts"

# kernel modules
for p in "${!MODSET[@]}"; do
	mkdir -p "$ROOT$MODDIR/$(dirname "$p")"
	cp "$MODDIR/$p" "$ROOT$MODDIR/$p"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$ROOT$MODDIR/"
done
if [ -f kmod/meterwall.ko ]; then
	mkdir -p "$ROOT$MODDIR/extra"
	# without DWARF (2-3 MB; oopses symbolise from kallsyms anyway)
	strip --strip-debug -o "$ROOT$MODDIR/extra/meterwall.ko" kmod/meterwall.ko 2>/dev/null ||
		cp kmod/meterwall.ko "$ROOT$MODDIR/extra/"
fi
/sbin/depmod -b "$ROOT" "$KVER"

# the repository subset and the project's binaries
M=$ROOT/mw
mkdir -p "$M/build/tests" "$M/build/guest" "$M/tests" "$M/tools" "$M/kmod"
cp -r tests/vm tests/lib tests/fixtures "$M/tests/"
cp -r examples "$M/"
[ -d tools/lib ] && cp -r tools/lib "$M/tools/"
cp "$O"/mwctl "$M/build/"
cp "$O"/meterwalld "$M/build/"
for t in "${PROJ_BINS[@]:2}"; do
	cp "$t" "$M/build/$(basename "$(dirname "$t")")/"	# tests/ or guest/
done
if [ ${#GUEST_BENCH[@]} -gt 0 ]; then
	mkdir -p "$M/build/bench"
	cp "${GUEST_BENCH[@]}" "$M/build/bench/"
fi
for f in "$O"/*.bpf.o; do [ -f "$f" ] && cp "$f" "$M/build/"; done
[ -f kmod/meterwall.ko ] && ln -s "$MODDIR/extra/meterwall.ko" "$M/kmod/meterwall.ko"
cp tests/vm/init "$ROOT/init"
chmod 755 "$ROOT/init"

(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$key" >"$KEY"
echo "mkinitramfs: $OUT ($(du -h "$OUT" | cut -f1), ${#MODSET[@]} modules, kernel $KVER)"
