#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The XDP program's own cost in instructions (started by
# tools/bench/xdp-cost.sh): xdp-testrun in the qemu guest, which runs with
# one vCPU under icount (shift=0): the duration BPF_PROG_TEST_RUN reports
# is then the instructions its loop executed, 1 ns each, whatever the host
# is doing.  bare (bpf/bare_drop.bpf.c, measured in the same run) is the
# loop's own share; a path's figure over bare's is what the program does
# per packet on that path.  Debian's kernel of the guest (6.1) inlines
# fewer helpers than a newer one, so the figures are this kernel's; they
# are compared between builds and between runs, not with a host's ns.
#
# Output: MW-CLOCK,<icount|wall>, the xdp-testrun table, and its CSV
# between MW-COST-CSV-BEGIN and MW-COST-CSV-END.
# Env (kernel command line): MW_COST_SIZES (10,1000000), MW_COST_RUNS (2),
# MW_COST_REPEAT (20000), MW_COST_PATHS (bare,blocked,unknown,allowed,ipv6x).
set -u
cd /mw || exit 1
echo "MW-CLOCK,${MW_BENCH_CLOCK:-wall}"
build/bench/xdp-testrun -r "${MW_COST_RUNS:-2}" -n "${MW_COST_REPEAT:-20000}" \
	-d "${MW_COST_SIZES:-10,1000000}" \
	-p "${MW_COST_PATHS:-bare,blocked,unknown,allowed,ipv6x}" \
	-o /tmp/xdp-cost.csv || exit 1
echo MW-COST-CSV-BEGIN
cat /tmp/xdp-cost.csv
echo MW-COST-CSV-END
