/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generated policy of the benchmarks and the tests (structs, as the
 * YAML parser would produce them), n devices:
 *   interfaces ext0 (external, untagged), sm0 (smart-meter)
 *   zone head-end: 192.0.2.10, 2001:db8:10::10
 *   systems sys0..: 1000 devices each, on ext0, two inbound conduits each:
 *     https tcp/443 and telemetry udp/9000 to head-end
 *   device i, "d<i>" (0 <= i < n): one host address, 10.0.0.1 + i
 *   plus one IPv6 device "v6" (2001:db8:1::1) in sys0 (in a system
 *   "sys-v6" of its own when sys0 is full)
 * Header-only (static functions).  Out of memory ends the process.
 */
#ifndef MW_TEST_POLICY_GEN_H
#define MW_TEST_POLICY_GEN_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define PG_PER_SYS	1000

static inline void pg_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void pg_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("policy_gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Address of generated device i, network order. */
static inline uint32_t pg_dev_addr(size_t i)
{
	return htonl(0x0a000001u + (uint32_t)i);
}

/* --- generated policy (structs, as the YAML parser would produce) ------- */

struct pg_pol {
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

static inline struct pg_pol *pg_policy(size_t n)
{
	struct pg_pol *b = calloc(1, sizeof(*b));
	size_t n_sys = (n + PG_PER_SYS - 1) / PG_PER_SYS, i;

	if (!b)
		pg_die("out of memory");
	if (!n_sys)
		n_sys = 1;
	b->n = n;
	b->sys = calloc(n_sys, sizeof(*b->sys));
	b->devs = calloc(n + 1, sizeof(*b->devs));
	b->addrs = calloc(n + 1, sizeof(*b->addrs));
	b->conds = calloc(2 * n_sys, sizeof(*b->conds));
	if (!b->sys || !b->devs || !b->addrs || !b->conds)
		pg_die("out of memory");
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
		pg_die("prefix");
	b->zone.prefixes = b->zone_pfx;
	b->zone.n_prefixes = 2;
	b->pol.zones = &b->zone;
	b->pol.n_zones = 1;
	snprintf(b->zone_name[0], MW_NAME_MAX, "head-end");
	b->port[0].lo = b->port[0].hi = 443;
	b->port[1].lo = b->port[1].hi = 9000;
	for (i = 0; i < n_sys; i++) {
		struct mw_system_spec *s = &b->sys[i];
		size_t first = i * PG_PER_SYS, k;

		snprintf(s->name, MW_NAME_MAX, "sys%zu", i);
		snprintf(s->entity, sizeof(s->entity), "Entity %zu", i);
		snprintf(s->contact, sizeof(s->contact), "ops%zu@example.net", i);
		snprintf(s->agreement, MW_NAME_MAX, "AGR-%zu", i);
		snprintf(s->iface, MW_IFNAMSIZ, "ext0");
		s->devices = &b->devs[first];
		s->n_devices = n - first < PG_PER_SYS ? n - first :
			       PG_PER_SYS;
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
		uint32_t a = pg_dev_addr(i);

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
		pg_die("prefix");
	b->devs[n].addrs = &b->addrs[n];
	b->devs[n].n_addrs = 1;
	if (n <= PG_PER_SYS) {
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

static inline void pg_policy_free(struct pg_pol *b)
{
	if (!b)
		return;
	free(b->sys);
	free(b->devs);
	free(b->addrs);
	free(b->conds);
	free(b);
}

/* Device i's address as text ("10.0.0.1" for 0). */
static inline void pg_dev_addr_str(size_t i, char *buf, size_t len)
{
	uint32_t a = pg_dev_addr(i);

	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

#endif /* MW_TEST_POLICY_GEN_H */
