#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mwctl driving both enforcement points, XDP and meterwall.ko, with one
# command each, in a qemu guest with Debian's kernel: tests/vm/guest/both.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=vm-both
. tests/lib/suite.sh
. tests/lib/vm-suite.sh
[ -e kmod/meterwall.ko ] || cannot_run "kmod/meterwall.ko not built (make kmod)"
vm_suite "$SUITE" both.sh both
