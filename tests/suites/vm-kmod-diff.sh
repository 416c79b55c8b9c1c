#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The differential corpus through meterwall.ko's netfilter hooks (veth, two
# namespaces) against the reference classifier, in a qemu guest with
# Debian's kernel: tests/vm/guest/kmod-diff.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=vm-kmod-diff
. tests/lib/suite.sh
. tests/lib/vm-suite.sh
[ -e kmod/meterwall.ko ] || cannot_run "kmod/meterwall.ko not built (make kmod)"
vm_suite "$SUITE" kmod-diff.sh kmod-diff
