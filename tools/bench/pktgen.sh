#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pktgen benchmark: 64-byte UDP from 50,000 sources at the gateway's
# external interface; received / passed / dropped packets per second for:
# no filter, meterwall.ko loaded without a policy (conntrack only: the
# stateful floor), meterwall.ko with a 100,000-device policy (allowed traffic
# and traffic of a blocked system), the nftables set equivalent, iptables raw
# + ipset.  The guest's conntrack table is sized for the 50,000 flows, and
# each run shows conntrack entries and where lost packets went.  pktgen and module loading exist only in the qemu guest here, so
# this boots it (tests/vm/run.sh) with tests/vm/guest/kmod-bench.sh.
# Under TCG compare the conditions of one run only: absolute rates are
# emulation artefacts.
# Env: MW_BENCH_COUNT (packets per condition, default 200000),
#      MW_VM_TIMEOUT (default 900).
set -u
cd "$(dirname "$0")/../.." || exit 1
export O=${O:-build}
append=${MW_VM_APPEND:-}
[ -n "${MW_BENCH_COUNT:-}" ] && append+=" MW_BENCH_COUNT=$MW_BENCH_COUNT"
MW_VM_APPEND=$append exec tests/vm/run.sh kmod-bench.sh "${MW_VM_TIMEOUT:-900}"
