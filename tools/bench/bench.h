/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the meterwall benchmarks in tools/bench: frame
 * builders, statistics, CSV; the generated policy is the tests' (tests/
 * include/policy_gen.h).  Header-only (static functions) so every
 * benchmark is one translation unit.
 */
#ifndef MW_BENCH_H
#define MW_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "image.h"
#include "policy_gen.h"

static inline void bench_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* --- frames --------------------------------------------------------------- */

#define BENCH_FRAME_MIN	64

static inline uint16_t bench_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static inline size_t bench_l4(uint8_t *l4, uint8_t proto, uint16_t sport,
			      uint16_t dport)
{
	uint16_t sp = htons(sport), dp = htons(dport);

	memcpy(l4, &sp, 2);
	memcpy(l4 + 2, &dp, 2);
	if (proto == IPPROTO_TCP) {
		l4[12] = 5 << 4;
		l4[13] = 0x10;		/* ACK */
		return 20;
	}
	return 8;
}

/* Ethernet + IPv4 + TCP (ACK) or UDP, padded to 64 bytes. */
static inline size_t bench_frame4(uint8_t *buf, uint32_t src, uint32_t dst,
				  uint8_t proto, uint16_t sport, uint16_t dport)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint8_t *ip = buf + 14;
	size_t l4len, tot;

	memset(buf, 0, BENCH_FRAME_MIN);
	memcpy(buf, mac, 12);
	buf[12] = 0x08;
	buf[13] = 0x00;
	l4len = bench_l4(ip + 20, proto, sport, dport);
	if (proto == IPPROTO_UDP) {
		uint16_t ul = htons((uint16_t)(BENCH_FRAME_MIN - 14 - 20));

		memcpy(ip + 20 + 4, &ul, 2);
		l4len = BENCH_FRAME_MIN - 14 - 20;
	}
	tot = 20 + l4len;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	{
		uint16_t c = bench_csum(ip, 20);

		memcpy(ip + 10, &c, 2);
	}
	return 14 + tot < BENCH_FRAME_MIN ? BENCH_FRAME_MIN : 14 + tot;
}

/* Ethernet + IPv6 + destination options (8 bytes) + TCP (ACK). */
static inline size_t bench_frame6x(uint8_t *buf, const char *src,
				   const char *dst, uint16_t sport,
				   uint16_t dport)
{
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	uint8_t *ip = buf + 14, *x = ip + 40;
	size_t plen = 8 + 20;

	memset(buf, 0, 14 + 40 + plen + 8);
	memcpy(buf, mac, 12);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = (uint8_t)plen;
	ip[6] = 60;		/* destination options */
	ip[7] = 64;
	if (inet_pton(AF_INET6, src, ip + 8) != 1 ||
	    inet_pton(AF_INET6, dst, ip + 24) != 1)
		bench_die("bad IPv6 address");
	x[0] = IPPROTO_TCP;
	x[1] = 0;		/* 8 bytes */
	x[2] = 1;		/* PadN, 4 bytes of padding */
	x[3] = 4;
	bench_l4(x + 8, IPPROTO_TCP, sport, dport);
	return 14 + 40 + plen;
}

/* --- statistics -------------------------------------------------------------- */

struct bench_stat {
	double median, min, max;
};

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline struct bench_stat bench_stats(double *v, size_t n)
{
	struct bench_stat s = {};

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), bench_cmp);
	s.min = v[0];
	s.max = v[n - 1];
	s.median = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* The share of all CPUs' time busy (not idle, not iowait) over 0.5 s;
 * the caller sleeps meanwhile, so it is the rest of the machine's. */
static inline double bench_busy(void)
{
	unsigned long long v[2][10] = { { 0 } }, tot = 0, idle = 0;
	struct timespec half = { 0, 500000000L };
	int k, i;

	for (k = 0; k < 2; k++) {
		FILE *f = fopen("/proc/stat", "r");

		if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu "
				 "%llu %llu %llu", &v[k][0], &v[k][1], &v[k][2],
				 &v[k][3], &v[k][4], &v[k][5], &v[k][6],
				 &v[k][7], &v[k][8], &v[k][9]) < 8) {
			if (f)
				fclose(f);
			return 0;
		}
		fclose(f);
		if (!k)
			nanosleep(&half, NULL);
	}
	for (i = 0; i < 8; i++)	/* guest time is in user time already */
		tot += v[1][i] - v[0][i];
	idle = (v[1][3] - v[0][3]) + (v[1][4] - v[0][4]);
	return tot ? (double)(tot - idle) / (double)tot : 0;
}

/*
 * Wait for a quiet machine: bench_busy() until it is at most
 * MW_BENCH_QUIET of the environment (0.05 without it) or
 * MW_BENCH_QUIET_WAIT seconds (30) have passed.  Returns the last share
 * seen, for the record.  The one definition of quiet: the shell scripts
 * ask tools/bench/quiet.c.
 */
static inline double bench_quiet(void)
{
	const char *e = getenv("MW_BENCH_QUIET"), *w = getenv("MW_BENCH_QUIET_WAIT");
	double max = e ? atof(e) : 0.05, wait = w ? atof(w) : 30, t0, b;

	t0 = bench_now();
	do
		b = bench_busy();
	while (b > max && bench_now() - t0 < wait);
	return b;
}

/* Peak resident set of this process, kB (VmHWM). */
static inline long bench_peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

#endif /* MW_BENCH_H */
