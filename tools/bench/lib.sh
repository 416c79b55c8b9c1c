# SPDX-License-Identifier: GPL-2.0
# Shell helpers of the benchmark scripts (sourced; O is the build dir).

# quiet_wait: wait for a quiet machine ($O/bench/quiet: bench.h's
# bench_quiet, the one definition of quiet for the C benchmarks and the
# scripts); prints the share of the CPU time busy elsewhere last seen, in
# percent.
quiet_wait() {
	"${O:-build}/bench/quiet"
}
