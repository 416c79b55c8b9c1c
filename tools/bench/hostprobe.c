// SPDX-License-Identifier: GPL-2.0
/*
 * hostprobe: the speed of this machine's core and caches now, for the
 * record of each benchmark round.  A virtual machine's neighbours on the
 * same host (a sibling hyperthread, the shared last-level cache, memory
 * bandwidth) slow it down without showing in its own CPU time, which is
 * all bench_quiet() can see; these three figures do show it.
 *
 *   hostprobe     prints  alu_ns,l2_ns,mem_ns
 *
 *   alu_ns  ns per step of a dependent 64-bit multiply-add chain (the
 *           core's clock and what its sibling takes of it)
 *   l2_ns   ns per load of a dependent pointer chase through 1 MiB (a
 *           private L2 on the servers of this kind; the device rows of
 *           the live benchmark's 1024 sources live at this level)
 *   mem_ns  the same through 64 MiB (last-level cache and memory)
 *
 * Each is the median of 9 passes (a pass is 10-30 ms; under a second in
 * all): the state of the machine at the time, which the program measured
 * next meets (their smallest would hide it: the passes of the 1 MiB chase
 * spread from 7 to 14 ns on a host with busy neighbours).  The chase
 * visits the lines in a random cyclic order (one cycle through every
 * line) so that no prefetcher helps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

#define LINE	64
#define PASSES	9

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(double (*pass)(void *), void *arg)
{
	double v[PASSES];
	int i;

	for (i = 0; i < PASSES; i++)
		v[i] = pass(arg);
	qsort(v, PASSES, sizeof(v[0]), cmp_double);
	return v[PASSES / 2];
}

static double alu_pass(void *arg)
{
	volatile uint64_t sink;
	uint64_t x = (uintptr_t)arg | 1, i, n = 20000000;
	double t0 = bench_now();

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
	(void)sink;
	return (bench_now() - t0) * 1e9 / n;
}

struct chase {
	void **start;
	size_t loads;
};

static double chase_pass(void *arg)
{
	struct chase *c = arg;
	void **p = c->start;
	void *volatile sink;
	double t0 = bench_now();
	size_t i;

	for (i = 0; i < c->loads; i++)
		p = *p;
	sink = p;
	(void)sink;
	return (bench_now() - t0) * 1e9 / c->loads;
}

/* ns per dependent load through `bytes' of lines in one random cycle,
 * `loads' loads a pass */
static double chase_ns(size_t bytes, size_t loads, uint64_t seed)
{
	size_t n = bytes / LINE, i, j, *order;
	char *buf = aligned_alloc(LINE, bytes);
	struct chase c;
	double ns;

	order = malloc(n * sizeof(*order));
	if (!buf || !order)
		bench_die("hostprobe: out of memory");
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {		/* Fisher-Yates */
		size_t t;

		seed = seed * 6364136223846793005ULL + 1;
		j = (size_t)(seed >> 33) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(void **)(buf + order[i] * LINE) =
			buf + order[(i + 1) % n] * LINE;
	c.start = (void **)(buf + order[0] * LINE);
	c.loads = loads;
	chase_pass(&c);				/* into the caches */
	ns = median_of(chase_pass, &c);
	free(order);
	free(buf);
	return ns;
}

int main(void)
{
	double alu = median_of(alu_pass, (void *)(uintptr_t)time(NULL));
	double l2 = chase_ns(1 << 20, 2000000, 1);
	double mem = chase_ns(64 << 20, 150000, 2);

	printf("%.3f,%.2f,%.1f\n", alu, l2, mem);
	return 0;
}
