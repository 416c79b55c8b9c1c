#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot Debian's kernel in qemu with the meterwall initramfs and run one
# guest script (tests/vm/guest/NAME) as the test; see tests/vm/README.md.
#
#   tests/vm/run.sh GUEST_SCRIPT [TIMEOUT_SECONDS]     (default 600)
#
# Exit 0 only if the guest wrote "MW-VM-RESULT rc=0" and the success token
# to its second serial port AND the console shows no kernel panic, BUG,
# WARNING, oops, KASAN/UBSAN report, refcount or leak report.  Timeout:
# qemu is killed and the run fails.  Exit 77: cannot run here.
# Env: O (build dir, default build), KVER (guest kernel, default the newest
# in /lib/modules), MW_VM_KEEP=1 (keep the work dir), MW_VM_APPEND (extra
# kernel arguments; NAME=VALUE without a dot becomes an environment
# variable of the guest script), MW_VM_MEM (MiB, 1024), MW_VM_SMP (2),
# MW_VM_ICOUNT (qemu's -icount option, e.g. shift=0,sleep=off: the guest
# clock counts instructions; qemu 7.2 hangs bringing up a second vCPU
# under it, so with MW_VM_SMP=1).
set -u
cd "$(dirname "$0")/../.." || exit 1
O=${O:-build}
KVER=${KVER:-$(ls /lib/modules 2>/dev/null | sort -V | tail -n 1)}
script=$(basename "${1:?usage: tests/vm/run.sh GUEST_SCRIPT [TIMEOUT_SECONDS]}")
tmo=${2:-600}
TOKEN=MW-VM-TOKEN-4b1d7e0c
BAD='Kernel panic|BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|unreferenced object|Call Trace:'

cannot() { echo "vm: cannot run: $*"; exit 77; }
[ -f "tests/vm/guest/$script" ] || { echo "vm: no tests/vm/guest/$script"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || cannot "qemu-system-x86_64 missing (make deps)"
[ -n "$KVER" ] && [ -f "/boot/vmlinuz-$KVER" ] || cannot "no /boot/vmlinuz-$KVER (linux-image-amd64)"
[ -r "/boot/vmlinuz-$KVER" ] || cannot "/boot/vmlinuz-$KVER not readable"

mkdir -p "$O/vm"
INITRD=$O/vm/initramfs-$KVER.cpio.gz
# one builder at a time; concurrent runs share the image
if ! flock "$O/vm/.lock" env O="$O" KVER="$KVER" tests/vm/mkinitramfs.sh "$INITRD"; then
	echo "vm: initramfs build failed"
	exit 1
fi
W=$(mktemp -d "$O/vm/run-${script%.sh}.XXXXXX")
[ "${MW_VM_KEEP:-}" = 1 ] && echo "vm: work dir $W (kept)" || trap 'rm -rf "$W"' EXIT
: >"$W/result.txt"

accel="tcg,thread=multi"
cpu=max
# KVM only with a hardware KVM module (the paravirtual /dev/kvm here hangs)
if [ -w /dev/kvm ] && grep -qE '^kvm_(intel|amd) ' /proc/modules 2>/dev/null; then
	accel=kvm cpu=host
fi
# under icount the guest's clock counts the instructions it executes, not
# the host's time (TCG in one thread)
icount=()
if [ -n "${MW_VM_ICOUNT:-}" ] && [ "$accel" != kvm ]; then
	accel="tcg,thread=single" icount=(-icount "$MW_VM_ICOUNT")
fi
append="console=ttyS0 panic=-1 panic_on_warn=1 oops=panic softlockup_panic=1"
append+=" quiet mw_script=$script ${MW_VM_APPEND:-}"
echo "vm: $script on $KVER ($accel), initramfs $(du -h "$INITRD" | cut -f1), timeout ${tmo}s"
t0=$(date +%s.%N)
timeout -k 5 "$tmo" qemu-system-x86_64 -accel "$accel" "${icount[@]}" -cpu "$cpu" \
	-m "${MW_VM_MEM:-1024}" -smp "${MW_VM_SMP:-2}" \
	-kernel "/boot/vmlinuz-$KVER" -initrd "$INITRD" -append "$append" \
	-nographic -monitor none -serial stdio -serial "file:$W/result.txt" \
	-no-reboot -nic none </dev/null 2>&1 |
	sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//' | tee "$W/console.log"
qrc=${PIPESTATUS[0]}
t1=$(date +%s.%N)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

verdict=ok why=
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	verdict=FAIL why="timeout after ${tmo}s (qemu killed)"
elif ! grep -q "^$TOKEN" "$W/result.txt"; then
	verdict=FAIL why="no success token from the guest (qemu exit $qrc)"
else
	grc=$(tr -d '\r' <"$W/result.txt" | sed -n 's/^MW-VM-RESULT rc=\([0-9]*\).*/\1/p' | tail -n 1)
	[ "${grc:-x}" = 0 ] || verdict=FAIL why="guest script exited ${grc:-?}"
fi
if grep -nE "$BAD" "$W/console.log" >"$W/bad.txt"; then
	verdict=FAIL why="${why:+$why; }kernel trouble on the console:"
fi
echo "vm: $verdict $script, wall ${wall}s${why:+: $why}"
[ -s "$W/bad.txt" ] && head -n 20 "$W/bad.txt" | sed 's/^/vm:   /'
[ "$verdict" = ok ]
