#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# meterwall.ko on Debian's kernel (6.1) in a qemu guest: boots it with
# tests/vm/run.sh and runs tests/vm/guest/kmod.sh there (load/unload,
# policy transactions and rejected images, conduits with real TCP/UDP
# through veth, blocks ending established connections, island, fragments,
# malformed and unprivileged generic netlink, unload under traffic).
# Relays the guest's counts; a boot failure, timeout, kernel oops/warning
# or missing result is one more failure.
# Env: MW_VM_TIMEOUT (seconds, default 600), and tests/vm/run.sh's.
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=vm-kmod
. tests/lib/suite.sh
O=${O:-build}
export O

command -v qemu-system-x86_64 >/dev/null || cannot_run "qemu-system-x86_64 missing (make deps)"
ls /boot/vmlinuz-* >/dev/null 2>&1 || cannot_run "no /boot/vmlinuz-* (linux-image-amd64)"
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || cannot_run "busybox missing (busybox-static)"
for t in cpio gzip depmod flock ldd; do
	command -v $t >/dev/null || cannot_run "$t missing (make deps)"
done
[ -x "$O/mwctl" ] || cannot_run "$O/mwctl not built (make)"
[ -f kmod/meterwall.ko ] || cannot_run "kmod/meterwall.ko not built (make kmod)"
[ -x "$O/tests/test_nl_kmod" ] || cannot_run "$O/tests/test_nl_kmod not built (make unit)"

start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
tests/vm/run.sh kmod.sh "${MW_VM_TIMEOUT:-600}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 77 ] && cannot_run "$(grep '^vm: cannot run' "$log" | tail -n 1)"

line=$(grep -E '^kmod: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
p=$(sed -n 's/^kmod: \([0-9]*\) passed.*/\1/p' <<<"$line")
f=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$line")
p=${p:-0} f=${f:-0}
if [ "$rc" -ne 0 ]; then
	[ -n "$line" ] && [ "$f" -gt 0 ] || {
		f=$((f + 1))
		echo "FAIL  VM run: $(grep '^vm: FAIL' "$log" | tail -n 1)"
	}
fi
echo "vm-kmod: total $(($(date +%s) - start))s"
echo "$SUITE: $p passed, $f failed, 0 skipped"
[ "$f" -eq 0 ]
