// SPDX-License-Identifier: GPL-2.0
/*
 * quiet: wait for a quiet machine (bench.h, bench_quiet), for the shell
 * scripts of the benchmarks (tools/bench/lib.sh, quiet_wait); prints the
 * share of the machine's CPU time last seen busy elsewhere, in percent.
 * Environment: MW_BENCH_QUIET, MW_BENCH_QUIET_WAIT (bench.h).
 */
#include "bench.h"

int main(void)
{
	printf("%.0f\n", bench_quiet() * 100);
	return 0;
}
