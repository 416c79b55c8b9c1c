#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The XDP program on Debian's kernel (6.1) in a qemu guest: tests/vm/guest/
# xdp.sh (differential corpus through BPF_PROG_TEST_RUN, XDP library tests,
# mwctl native attach/load/detach on veth).
set -u
cd "$(dirname "$0")/../.." || exit 1
SUITE=vm-xdp
. tests/lib/suite.sh
. tests/lib/vm-suite.sh
[ -x "${O:-build}/tests/test_xdp_diff" ] || cannot_run "test_xdp_diff not built (make unit)"
vm_suite "$SUITE" xdp.sh xdp
