# SPDX-License-Identifier: GPL-2.0
# Shell helpers of the benchmark scripts (sourced).

# quiet_wait: wait for a quiet machine (tools/bench/bench.h, bench_quiet:
# the share of all CPUs' time busy over 0.5 s at most MW_BENCH_QUIET, 0.05,
# or MW_BENCH_QUIET_WAIT seconds, 30, passed); prints the last share seen
# in percent, for the record.
quiet_wait() {
	local max=${MW_BENCH_QUIET:-0.05} wait=${MW_BENCH_QUIET_WAIT:-30}
	local t0=$EPOCHSECONDS a b busy
	while :; do
		read -r -a a </proc/stat
		sleep 0.5
		read -r -a b </proc/stat
		busy=$(awk -v u="${a[*]}" -v v="${b[*]}" 'BEGIN {
			n = split(u, x, " "); split(v, y, " "); t = 0
			for (i = 2; i <= 9 && i <= n; i++) t += y[i] - x[i]
			idle = y[5] - x[5] + y[6] - x[6]
			printf "%.3f", t ? (t - idle) / t : 0 }')
		awk -v b="$busy" -v m="$max" 'BEGIN { exit !(b <= m) }' && break
		((EPOCHSECONDS - t0 >= wait)) && break
	done
	awk -v b="$busy" 'BEGIN { printf "%.0f\n", b * 100 }'
}
