#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The XDP program's own cost in instructions per packet: xdp-testrun in
# the qemu guest (tests/vm/guest/xdp-cost.sh) with one vCPU under icount
# (shift=0: the guest's clock advances 1 ns per instruction executed), for
# every path at 10 and 1,000,000 devices, bare XDP_DROP in the same run.
# The figures do not move with the host's load: two runs of the same build
# give the same counts, so a change to the program shows as a difference
# of a few instructions, which the live wall-clock figures (xdp-live on
# this shared host: +-25 % from run to run) cannot show.  Instructions are
# not time (no cache misses, no stalls): the ns targets stay with
# xdp-live; this is the reproducible side of the same cost.
# Writes $OUT/xdp-cost.log (the guest's output), xdp-cost.csv and
# xdp-cost.txt.
# Env: OUT (bench-results), MW_COST_SIZES, MW_COST_RUNS, MW_COST_REPEAT,
#      MW_COST_PATHS (tests/vm/guest/xdp-cost.sh), MW_VM_ICOUNT (shift=0,sleep=off;
#      empty: the guest's wall clock, ns), MW_VM_TIMEOUT (600),
#      MW_COST_LOG (a guest's output kept from before: its summary only).
set -u
cd "$(dirname "$0")/../.." || exit 1
export O=${O:-build}
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
export MW_VM_SMP=1 MW_VM_ICOUNT=${MW_VM_ICOUNT-shift=0,sleep=off}
. tools/bench/lib.sh
# 2 GiB: the 1,000,000-device policy's maps and its compilation
guest_log xdp-cost xdp-cost.sh "${MW_VM_TIMEOUT:-600}" "${MW_COST_LOG:-}" \
	MW_COST_SIZES MW_COST_RUNS MW_COST_REPEAT MW_COST_PATHS || exit
clock=$(sed -n 's/^MW-CLOCK,//p' "$OUT/xdp-cost.log" | head -n 1)
sed -n '/^MW-COST-CSV-BEGIN$/,/^MW-COST-CSV-END$/p' "$OUT/xdp-cost.log" |
	sed '1d;$d' >"$OUT/xdp-cost.csv"
[ -s "$OUT/xdp-cost.csv" ] || { echo "xdp-cost: no results in $OUT/xdp-cost.log" >&2; exit 1; }
python3 tools/bench/summary.py cost "$OUT/xdp-cost.csv" "${clock:-?}" |
	tee "$OUT/xdp-cost.txt"
