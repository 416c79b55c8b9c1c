#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# meterwall.ko on Debian's kernel (6.1) in a qemu guest: tests/vm/guest/
# kmod.sh (load/unload, policy transactions and rejected images, conduits
# with real TCP/UDP through veth, blocks ending established connections,
# island, fragments, malformed and unprivileged generic netlink, unload
# under traffic).
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=vm-kmod
. tests/lib/suite.sh
. tests/lib/vm-suite.sh
O=${O:-build}
[ -f kmod/meterwall.ko ] || cannot_run "kmod/meterwall.ko not built (make kmod)"
[ -x "$O/tests/test_nl_kmod" ] || cannot_run "$O/tests/test_nl_kmod not built (make unit)"
vm_suite "$SUITE" kmod.sh kmod
