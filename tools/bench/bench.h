/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the meterwall benchmarks in tools/bench: generated
 * policies, frame builders, statistics, CSV.  Header-only (static
 * functions) so every benchmark is one translation unit.
 *
 * Generated policy of n devices ("gen policy"):
 *   interfaces ext0 (external, untagged), sm0 (smart-meter)
 *   zone head-end: 192.0.2.10, 2001:db8:10::10
 *   systems sys0..: 1000 devices each, on ext0, two inbound conduits each:
 *     tcp/443 and udp/9000 to head-end
 *   device i (0 <= i < n): one host address, 10.0.0.1 + i
 *   plus one IPv6 device "v6" (2001:db8:1::1) in sys0
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

#define BENCH_PER_SYS	1000

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

/* Address of generated device i, network order. */
static inline uint32_t bench_dev_addr(size_t i)
{
	return htonl(0x0a000001u + (uint32_t)i);
}

/* --- generated policy (structs, as the YAML parser would produce) ------- */

struct bench_pol {
	struct mw_policy pol;
	struct mw_iface_spec ifaces[2];
	struct mw_zone_spec zone;
	struct mw_prefix zone_pfx[2];
	struct mw_system_spec *sys;
	struct mw_device_spec *devs;	/* n + 1 (the last is "v6") */
	struct mw_prefix *addrs;
	struct mw_conduit_spec *conds;	/* 2 per system */
	char zone_name[1][MW_NAME_MAX];
	struct mw_port_range port[2];
	size_t n;
};

static inline struct bench_pol *bench_policy(size_t n)
{
	struct bench_pol *b = calloc(1, sizeof(*b));
	size_t n_sys = (n + BENCH_PER_SYS - 1) / BENCH_PER_SYS, i;

	if (!b)
		bench_die("out of memory");
	if (!n_sys)
		n_sys = 1;
	b->n = n;
	b->sys = calloc(n_sys, sizeof(*b->sys));
	b->devs = calloc(n + 1, sizeof(*b->devs));
	b->addrs = calloc(n + 1, sizeof(*b->addrs));
	b->conds = calloc(2 * n_sys, sizeof(*b->conds));
	if (!b->sys || !b->devs || !b->addrs || !b->conds)
		bench_die("out of memory");
	b->pol.serial = 1;
	snprintf(b->pol.path, sizeof(b->pol.path), "bench-%zu.yaml", n);
	snprintf(b->ifaces[0].name, MW_IFNAMSIZ, "ext0");
	b->ifaces[0].zone = MW_ZONE_EXTERNAL;
	b->ifaces[0].untagged = true;
	snprintf(b->ifaces[1].name, MW_IFNAMSIZ, "sm0");
	b->ifaces[1].zone = MW_ZONE_SMART_METER;
	b->ifaces[1].untagged = true;
	b->pol.ifaces = b->ifaces;
	b->pol.n_ifaces = 2;
	snprintf(b->zone.name, MW_NAME_MAX, "head-end");
	if (mw_prefix_parse("192.0.2.10", &b->zone_pfx[0]) ||
	    mw_prefix_parse("2001:db8:10::10", &b->zone_pfx[1]))
		bench_die("prefix");
	b->zone.prefixes = b->zone_pfx;
	b->zone.n_prefixes = 2;
	b->pol.zones = &b->zone;
	b->pol.n_zones = 1;
	snprintf(b->zone_name[0], MW_NAME_MAX, "head-end");
	b->port[0].lo = b->port[0].hi = 443;
	b->port[1].lo = b->port[1].hi = 9000;
	for (i = 0; i < n_sys; i++) {
		struct mw_system_spec *s = &b->sys[i];
		size_t first = i * BENCH_PER_SYS, k;

		snprintf(s->name, MW_NAME_MAX, "sys%zu", i);
		snprintf(s->entity, sizeof(s->entity), "Entity %zu", i);
		snprintf(s->contact, sizeof(s->contact), "ops%zu@example.net", i);
		snprintf(s->agreement, MW_NAME_MAX, "AGR-%zu", i);
		snprintf(s->iface, MW_IFNAMSIZ, "ext0");
		s->devices = &b->devs[first];
		s->n_devices = n - first < BENCH_PER_SYS ? n - first :
			       BENCH_PER_SYS;
		for (k = 0; k < 2; k++) {
			struct mw_conduit_spec *c = &b->conds[2 * i + k];

			snprintf(c->name, MW_NAME_MAX, k ? "telemetry" :
				 "https");
			c->dir = MW_DIR_INBOUND;
			c->proto = k ? IPPROTO_UDP : IPPROTO_TCP;
			c->zones = b->zone_name;
			c->n_zones = 1;
			c->ports = &b->port[k];
			c->n_ports = 1;
		}
		s->conduits = &b->conds[2 * i];
		s->n_conduits = 2;
	}
	for (i = 0; i < n; i++) {
		struct mw_prefix *p = &b->addrs[i];
		uint32_t a = bench_dev_addr(i);

		snprintf(b->devs[i].name, MW_NAME_MAX, "d%zu", i);
		p->family = AF_INET;
		p->plen = 32;
		memcpy(p->addr, &a, 4);
		b->devs[i].addrs = p;
		b->devs[i].n_addrs = 1;
	}
	/* the IPv6 device, appended to sys0 (its devices are contiguous) */
	snprintf(b->devs[n].name, MW_NAME_MAX, "v6");
	if (mw_prefix_parse("2001:db8:1::1", &b->addrs[n]))
		bench_die("prefix");
	b->devs[n].addrs = &b->addrs[n];
	b->devs[n].n_addrs = 1;
	if (n <= BENCH_PER_SYS) {
		b->sys[0].n_devices++;
	} else {
		/* sys0 is full: the IPv6 device gets a system of its own
		 * (sharing sys0's conduit specs) */
		b->sys = realloc(b->sys, (n_sys + 1) * sizeof(*b->sys));
		b->sys[n_sys] = b->sys[0];
		snprintf(b->sys[n_sys].name, MW_NAME_MAX, "sys-v6");
		b->sys[n_sys].devices = &b->devs[n];
		b->sys[n_sys].n_devices = 1;
		n_sys++;
	}
	b->pol.systems = b->sys;
	b->pol.n_systems = n_sys;
	return b;
}

static inline void bench_policy_free(struct bench_pol *b)
{
	if (!b)
		return;
	free(b->sys);
	free(b->devs);
	free(b->addrs);
	free(b->conds);
	free(b);
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
