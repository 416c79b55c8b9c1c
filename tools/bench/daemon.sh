#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# meterwalld under load (root): CPU and RSS at 10k and 100k active flows,
# flow records per CPU-second (target >= 200,000 on one core), and the
# time from an auto_block threshold crossing to the block in force
# (target <= 100 ms).  In a network namespace of its own: the bench
# policy's external interface is that namespace's lo.
#   O=build tools/bench/daemon.sh      (FLOWS=10000,100000 RUN_SECONDS=10 ROUNDS=10)
# Results: bench-results/daemon.txt
set -euo pipefail

O=${O:-build}
OUT=${OUT:-bench-results}
FLOWS=${FLOWS:-10000,100000}
RUN_SECONDS=${RUN_SECONDS:-10}
ROUNDS=${ROUNDS:-10}
[ "$(id -u)" = 0 ] || { echo "daemon.sh: needs root" >&2; exit 1; }
[ -x "$O/bench/daemon-load" ] && [ -x "$O/meterwalld" ] ||
	{ echo "daemon.sh: $O/bench/daemon-load or $O/meterwalld missing: make bench-build" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
mkdir -p "$OUT"
unshare -n sh -c "ip link set lo up && '$O/bench/daemon-load' -d '$PWD/$O/meterwalld' -f '$FLOWS' -s '$RUN_SECONDS' -r '$ROUNDS'" |
	tee "$OUT/daemon.txt"
awk 'NR > 1 {
	rc = $5 >= 200000 ? "met" : "missed"
	printf "target: %s flows: flow records per CPU-second %s >= 200000: %s\n", $1, $5, rc
	lat = $6 <= 100 ? "met" : "missed"
	printf "target: %s flows: threshold -> block median %s ms <= 100 ms: %s\n", $1, $6, lat
}' "$OUT/daemon.txt" | tee -a "$OUT/daemon.txt"
