// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the risk assessor (userspace/lib/risk.c).  Policies are
 * built by hand, not parsed, so these tests depend on the model only.
 * Every element gets its own line number so locations can be checked.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy.h"
#include "risk.h"

#define CAP	16
#define DAY	86400LL
#define NOW	1780000000LL	/* 2026-05-28T20:26:40Z */

static int next_line;

static struct mw_loc new_loc(void)
{
	struct mw_loc l = { ++next_line, 5 };

	return l;
}

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	assert_non_null(p);
	return p;
}

static void set_name(char *dst, size_t len, const char *src)
{
	assert_true(strlen(src) < len);
	strcpy(dst, src);
}

static void prefix(struct mw_prefix *p, const char *s)
{
	assert_int_equal(mw_prefix_parse(s, p), 0);
	p->loc = new_loc();
}

/* ---- builders -------------------------------------------------------- */

static struct mw_iface_spec *iface_add(struct mw_policy *p, const char *name,
				       enum mw_zone_kind zone)
{
	struct mw_iface_spec *i;

	assert_true(p->n_ifaces < CAP);
	i = &p->ifaces[p->n_ifaces++];
	set_name(i->name, sizeof(i->name), name);
	i->loc = new_loc();
	i->zone = zone;
	i->untagged = true;
	return i;
}

static struct mw_zone_spec *zone_add(struct mw_policy *p, const char *name,
				     bool l2_adjacent, const char *pfx)
{
	struct mw_zone_spec *z;

	assert_true(p->n_zones < CAP);
	z = &p->zones[p->n_zones++];
	set_name(z->name, sizeof(z->name), name);
	z->loc = new_loc();
	z->l2_adjacent = l2_adjacent;
	z->prefixes = zalloc(CAP, sizeof(*z->prefixes));
	prefix(&z->prefixes[z->n_prefixes++], pfx);
	return z;
}

static void zone_prefix(struct mw_zone_spec *z, const char *pfx)
{
	assert_true(z->n_prefixes < CAP);
	prefix(&z->prefixes[z->n_prefixes++], pfx);
}

/* A system that by itself yields no finding at all. */
static struct mw_system_spec *sys_add(struct mw_policy *p, const char *name)
{
	struct mw_system_spec *s;

	assert_true(p->n_systems < CAP);
	s = &p->systems[p->n_systems++];
	set_name(s->name, sizeof(s->name), name);
	s->loc = new_loc();
	strcpy(s->entity, "Kanto HEMS Services K.K.");
	strcpy(s->contact, "soc@hems.example");
	strcpy(s->agreement, "AGR-2026-014");
	strcpy(s->iface, "ext0");
	s->limits.pps = 2000;
	s->limits.bps = 10000000;
	s->auto_block.drops_per_min = 600;
	s->auto_block.new_flows_per_sec = 50;
	s->auto_block.block_for = 3600;
	s->devices = zalloc(CAP, sizeof(*s->devices));
	s->conduits = zalloc(CAP, sizeof(*s->conduits));
	return s;
}

static struct mw_device_spec *dev_add(struct mw_system_spec *s,
				      const char *name, bool mac,
				      const char *addr)
{
	struct mw_device_spec *d;

	assert_true(s->n_devices < CAP);
	d = &s->devices[s->n_devices++];
	set_name(d->name, sizeof(d->name), name);
	d->loc = new_loc();
	d->addrs = zalloc(CAP, sizeof(*d->addrs));
	prefix(&d->addrs[d->n_addrs++], addr);
	if (mac) {
		static const uint8_t m[6] = { 0x02, 0, 0x5e, 0x10, 0, 0x01 };

		d->has_mac = true;
		memcpy(d->mac, m, sizeof(m));
	}
	return d;
}

static void dev_addr(struct mw_device_spec *d, const char *addr)
{
	assert_true(d->n_addrs < CAP);
	prefix(&d->addrs[d->n_addrs++], addr);
}

/* zone NULL: no zone (any, unless prefixes are added); lo 0: no ports. */
static void cd_init(struct mw_conduit_spec *c, const char *name,
		    enum mw_direction dir, uint8_t proto, const char *zone,
		    uint16_t lo, uint16_t hi)
{
	set_name(c->name, sizeof(c->name), name);
	c->loc = new_loc();
	c->dir = dir;
	c->proto = proto;
	c->zones = zalloc(CAP, sizeof(*c->zones));
	c->zone_locs = zalloc(CAP, sizeof(*c->zone_locs));
	c->prefixes = zalloc(CAP, sizeof(*c->prefixes));
	c->ports = zalloc(CAP, sizeof(*c->ports));
	if (zone) {
		set_name(c->zones[0], sizeof(c->zones[0]), zone);
		c->zone_locs[0] = new_loc();
		c->n_zones = 1;
	}
	if (lo) {
		c->ports[0].lo = lo;
		c->ports[0].hi = hi;
		c->n_ports = 1;
	}
}

static struct mw_conduit_spec *cd_add(struct mw_system_spec *s,
				      const char *name, enum mw_direction dir,
				      uint8_t proto, const char *zone,
				      uint16_t lo, uint16_t hi)
{
	struct mw_conduit_spec *c;

	assert_true(s->n_conduits < CAP);
	c = &s->conduits[s->n_conduits++];
	cd_init(c, name, dir, proto, zone, lo, hi);
	return c;
}

static struct mw_conduit_spec *dev_cd_add(struct mw_device_spec *d,
					  const char *name,
					  enum mw_direction dir, uint8_t proto,
					  const char *zone, uint16_t lo,
					  uint16_t hi)
{
	struct mw_conduit_spec *c;

	if (!d->conduits)
		d->conduits = zalloc(CAP, sizeof(*d->conduits));
	d->override = true;
	assert_true(d->n_conduits < CAP);
	c = &d->conduits[d->n_conduits++];
	cd_init(c, name, dir, proto, zone, lo, hi);
	return c;
}

static void cd_prefix(struct mw_conduit_spec *c, const char *pfx)
{
	assert_true(c->n_prefixes < CAP);
	prefix(&c->prefixes[c->n_prefixes++], pfx);
}

static void cd_port(struct mw_conduit_spec *c, uint16_t lo, uint16_t hi)
{
	assert_true(c->n_ports < CAP);
	c->ports[c->n_ports].lo = lo;
	c->ports[c->n_ports++].hi = hi;
}

static struct mw_policy *pol_new(void)
{
	struct mw_policy *p = zalloc(1, sizeof(*p));

	next_line = 0;
	strcpy(p->path, "test.yaml");
	p->serial = 42;
	p->tz_offset = 9 * 3600;
	p->ifaces = zalloc(CAP, sizeof(*p->ifaces));
	p->zones = zalloc(CAP, sizeof(*p->zones));
	p->systems = zalloc(CAP, sizeof(*p->systems));
	iface_add(p, "ext0", MW_ZONE_EXTERNAL);
	iface_add(p, "sm0", MW_ZONE_SMART_METER);
	return p;
}

/* A policy without any finding: the base of most tests. */
static struct mw_policy *pol_clean(void)
{
	struct mw_policy *p = pol_new();
	struct mw_system_spec *s;

	zone_add(p, "head-end", false, "192.0.2.0/28");
	zone_prefix(&p->zones[0], "2001:db8:10::/64");
	s = sys_add(p, "hems");
	s->has_valid_from = true;
	s->valid_from = NOW - 100 * DAY;
	s->has_expires = true;
	s->expires = NOW + 365 * DAY;
	s->expires_loc = new_loc();
	dev_add(s, "gw1", true, "198.51.100.10");
	dev_addr(&s->devices[0], "2001:db8:100::10");
	dev_add(s, "gw2", true, "198.51.100.16/28");
	cd_add(s, "echonet", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       3610, 3610);
	/* no outbound conduit: every one is a finding (MW-R080) */
	cd_add(s, "https", MW_DIR_INBOUND, IPPROTO_TCP, "head-end", 443, 443);
	cd_add(s, "ping", MW_DIR_INBOUND, IPPROTO_ICMP, "head-end", 0, 0);
	p->has_expires = true;
	p->expires = NOW + 400 * DAY;
	return p;
}

static void conduits_free(struct mw_conduit_spec *v)
{
	size_t i;

	for (i = 0; v && i < CAP; i++) {
		free(v[i].zones);
		free(v[i].zone_locs);
		free(v[i].prefixes);
		free(v[i].ports);
	}
	free(v);
}

static void pol_free(struct mw_policy *p)
{
	size_t i, j;

	for (i = 0; i < CAP; i++) {
		struct mw_system_spec *s = &p->systems[i];

		for (j = 0; s->devices && j < CAP; j++) {
			free(s->devices[j].addrs);
			conduits_free(s->devices[j].conduits);
		}
		free(s->devices);
		conduits_free(s->conduits);
		free(p->zones[i].prefixes);
	}
	free(p->systems);
	free(p->zones);
	free(p->ifaces);
	free(p);
}

/* ---- assertions ------------------------------------------------------ */

static const struct mw_finding *find(const struct mw_findings *f,
				     const char *id, const char *subject)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].id, id) &&
		    (!subject || !strcmp(f->v[i].subject, subject)))
			return &f->v[i];
	return NULL;
}

static size_t count(const struct mw_findings *f, const char *id)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].id, id);
	return n;
}

static const struct mw_finding *expect(const struct mw_findings *f,
				       const char *id, const char *subject,
				       enum mw_severity sev, int line)
{
	const struct mw_finding *x = find(f, id, subject);

	if (!x)
		fail_msg("no %s for %s", id, subject ? subject : "(any)");
	assert_int_equal(x->sev, sev);
	assert_int_equal(x->loc.line, line);
	assert_true(x->msg[0] != '\0');
	return x;
}

static void assess(const struct mw_policy *p, struct mw_findings *f)
{
	assert_int_equal(mw_risk_assess(p, NOW, f), 0);
}

/* ---- clean policy, API ----------------------------------------------- */

static void test_clean_policy(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_findings f;
	size_t i;

	assess(p, &f);
	for (i = 0; i < f.n; i++)
		print_message("unexpected %s %s %s\n", f.v[i].id,
			      f.v[i].subject, f.v[i].msg);
	assert_int_equal(f.n, 0);
	assert_int_equal(mw_findings_max(&f), MW_SEV_NONE);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_invalid_args(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_findings f = { 0 };

	assert_int_equal(mw_risk_assess(NULL, NOW, &f), -EINVAL);
	assert_int_equal(f.n, 0);
	assert_int_equal(mw_risk_assess(p, NOW, NULL), -EINVAL);
	mw_findings_free(&f);
	mw_findings_free(NULL);
	assert_int_equal(mw_findings_max(NULL), MW_SEV_NONE);
	pol_free(p);
}

static void test_severity_names_exit_codes(void **state)
{
	assert_string_equal(mw_severity_name(MW_SEV_NONE), "none");
	assert_string_equal(mw_severity_name(MW_SEV_INFO), "info");
	assert_string_equal(mw_severity_name(MW_SEV_LOW), "low");
	assert_string_equal(mw_severity_name(MW_SEV_MEDIUM), "medium");
	assert_string_equal(mw_severity_name(MW_SEV_HIGH), "high");
	assert_string_equal(mw_severity_name(MW_SEV_CRITICAL), "critical");
	assert_string_equal(mw_severity_name((enum mw_severity)99), "?");
	assert_int_equal(mw_risk_exit_code(MW_SEV_NONE), 0);
	assert_int_equal(mw_risk_exit_code(MW_SEV_INFO), 0);
	assert_int_equal(mw_risk_exit_code(MW_SEV_LOW), 0);
	assert_int_equal(mw_risk_exit_code(MW_SEV_MEDIUM), 2);
	assert_int_equal(mw_risk_exit_code(MW_SEV_HIGH), 3);
	assert_int_equal(mw_risk_exit_code(MW_SEV_CRITICAL), 4);
}

static void test_rule_table(void **state)
{
	const struct mw_risk_rule *r;
	size_t n, i;

	r = mw_risk_rules(&n);
	assert_int_equal(n, 22);
	for (i = 0; i < n; i++) {
		assert_int_equal(strlen(r[i].id), 7);
		assert_memory_equal(r[i].id, "MW-R", 4);
		assert_true(r[i].sev >= MW_SEV_INFO &&
			    r[i].sev <= MW_SEV_CRITICAL);
		assert_non_null(r[i].summary);
		if (i)
			assert_true(strcmp(r[i - 1].id, r[i].id) < 0);
	}
}

/* ---- conduits -------------------------------------------------------- */

static void test_r001_any_to_any(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_conduit_spec *c;
	struct mw_findings f;

	c = cd_add(&p->systems[0], "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL,
		   0, 0);
	assess(p, &f);
	expect(&f, "MW-R001", "all", MW_SEV_CRITICAL, c->loc.line);
	assert_string_equal(find(&f, "MW-R001", "all")->system, "hems");
	/* Subsumes the zone-any and proto-any findings. */
	assert_null(find(&f, "MW-R002", "all"));
	assert_null(find(&f, "MW-R003", "all"));
	assert_int_equal(mw_findings_max(&f), MW_SEV_CRITICAL);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 4);
	/* The most severe comes first. */
	assert_string_equal(f.v[0].id, "MW-R001");
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r002_zone_any(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_conduit_spec *a, *b, *c;
	struct mw_findings f;

	a = cd_add(s, "tls-any", MW_DIR_INBOUND, IPPROTO_TCP, NULL, 443, 443);
	b = cd_add(s, "slash0", MW_DIR_INBOUND, IPPROTO_TCP, NULL, 443, 443);
	cd_prefix(b, "0.0.0.0/0");
	zone_add(p, "world", false, "192.0.2.128/25");
	zone_prefix(&p->zones[1], "::/0");
	c = cd_add(s, "to-world", MW_DIR_OUTBOUND, IPPROTO_TCP, "world",
		   443, 443);
	assess(p, &f);
	expect(&f, "MW-R002", "tls-any", MW_SEV_HIGH, a->loc.line);
	expect(&f, "MW-R002", "slash0", MW_SEV_HIGH, b->loc.line);
	expect(&f, "MW-R002", "to-world", MW_SEV_HIGH, c->loc.line);
	assert_int_equal(count(&f, "MW-R002"), 3);
	assert_int_equal(count(&f, "MW-R001"), 0);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 3);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r003_proto_any(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_conduit_spec *c;
	struct mw_findings f;

	c = cd_add(&p->systems[0], "anything", MW_DIR_OUTBOUND, MW_ANY_PROTO,
		   "head-end", 0, 0);
	assess(p, &f);
	expect(&f, "MW-R003", "anything", MW_SEV_MEDIUM, c->loc.line);
	assert_int_equal(count(&f, "MW-R002"), 0);
	assert_int_equal(count(&f, "MW-R004"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r004_wide_ports(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_conduit_spec *wide, *all, *multi;
	struct mw_findings f;

	wide = cd_add(s, "wide", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
		      30000, 31024);			/* 1025 ports */
	cd_add(s, "k", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       30000, 31023);				/* 1024: fine */
	all = cd_add(s, "all-udp", MW_DIR_OUTBOUND, IPPROTO_UDP, "head-end",
		     0, 0);
	multi = cd_add(s, "multi", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
		       3610, 3610);
	cd_port(multi, 40000, 50000);
	cd_add(s, "icmp6", MW_DIR_INBOUND, IPPROTO_ICMPV6, "head-end", 0, 0);
	assess(p, &f);
	expect(&f, "MW-R004", "wide", MW_SEV_MEDIUM, wide->loc.line);
	assert_non_null(strstr(find(&f, "MW-R004", "wide")->msg, "1025"));
	expect(&f, "MW-R004", "all-udp", MW_SEV_MEDIUM, all->loc.line);
	expect(&f, "MW-R004", "multi", MW_SEV_MEDIUM, multi->loc.line);
	assert_null(find(&f, "MW-R004", "k"));
	assert_null(find(&f, "MW-R004", "icmp6"));
	assert_int_equal(count(&f, "MW-R004"), 3);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_device_conduit_subject(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_device_spec *d = &p->systems[0].devices[1];
	struct mw_conduit_spec *c;
	struct mw_findings f;

	c = dev_cd_add(d, "own", MW_DIR_INBOUND, IPPROTO_TCP, NULL, 443, 443);
	assess(p, &f);
	expect(&f, "MW-R002", "gw2/own", MW_SEV_HIGH, c->loc.line);
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- cleartext protocols --------------------------------------------- */

static void test_r020_inbound_cleartext(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_conduit_spec *legacy, *snmp, *dnp3, *iec, *vnc, *anyp;
	const struct mw_finding *x;
	struct mw_findings f;

	legacy = cd_add(s, "legacy", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
			20, 25);
	snmp = cd_add(s, "snmp", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
		      161, 161);
	cd_add(s, "snmp-tcp", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       161, 162);
	dnp3 = cd_add(s, "dnp3", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
		      20000, 20000);
	iec = cd_add(s, "iec104", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
		     2404, 2404);
	vnc = cd_add(s, "vnc", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
		     5900, 5900);
	cd_port(vnc, 8080, 8080);
	anyp = cd_add(s, "anyp", MW_DIR_INBOUND, MW_ANY_PROTO, "head-end",
		      0, 0);
	assess(p, &f);
	x = expect(&f, "MW-R020", "legacy", MW_SEV_HIGH, legacy->loc.line);
	assert_non_null(strstr(x->msg, "ftp tcp/21"));
	assert_non_null(strstr(x->msg, "telnet tcp/23"));
	assert_null(strstr(x->msg, "http"));
	x = expect(&f, "MW-R020", "snmp", MW_SEV_HIGH, snmp->loc.line);
	assert_non_null(strstr(x->msg, "snmp udp/161"));
	assert_null(find(&f, "MW-R020", "snmp-tcp"));
	expect(&f, "MW-R020", "dnp3", MW_SEV_HIGH, dnp3->loc.line);
	expect(&f, "MW-R020", "iec104", MW_SEV_HIGH, iec->loc.line);
	x = expect(&f, "MW-R020", "vnc", MW_SEV_HIGH, vnc->loc.line);
	assert_non_null(strstr(x->msg, "vnc tcp/5900"));
	assert_non_null(strstr(x->msg, "http-alt tcp/8080"));
	x = expect(&f, "MW-R020", "anyp", MW_SEV_HIGH, anyp->loc.line);
	assert_non_null(strstr(x->msg, "modbus tcp/502"));
	assert_non_null(strstr(x->msg, "tftp udp/69"));
	assert_non_null(strstr(x->msg, "rsh tcp/514"));
	assert_int_equal(count(&f, "MW-R020"), 6);
	assert_int_equal(count(&f, "MW-R021"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_secure_variants_not_flagged(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_findings f;

	cd_add(s, "dnp3-tls", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       19999, 19999);
	cd_add(s, "iec104-tls", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       19998, 19998);
	cd_add(s, "both-tls", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       19998, 19999);
	cd_add(s, "https-alt", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       8443, 8443);
	cd_add(s, "snmp-tls", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       10161, 10162);
	cd_add(s, "dnp3-tcp-near", MW_DIR_INBOUND, IPPROTO_TCP, "head-end",
	       20001, 20010);
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r021_outbound_cleartext_low(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_conduit_spec *c;
	struct mw_findings f;

	c = cd_add(&p->systems[0], "push-http", MW_DIR_OUTBOUND, IPPROTO_TCP,
		   "head-end", 80, 80);
	assess(p, &f);
	expect(&f, "MW-R021", "push-http", MW_SEV_LOW, c->loc.line);
	assert_null(find(&f, "MW-R020", NULL));
	/* and the stateless reply path every outbound conduit opens */
	expect(&f, "MW-R080", "push-http", MW_SEV_LOW, c->loc.line);
	assert_int_equal(f.n, 2);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 0);
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- stateless replies ---------------------------------------------- */

static void test_r080_r081_reply_path(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_conduit_spec *https, *dns, *udp, *anyp, *ping, *own;
	const struct mw_finding *x;
	struct mw_findings f;

	https = cd_add(s, "push", MW_DIR_OUTBOUND, IPPROTO_TCP, "head-end",
		       443, 443);
	dns = cd_add(s, "dns", MW_DIR_OUTBOUND, IPPROTO_UDP, "head-end",
		     53, 53);
	cd_port(dns, 5353, 5354);
	udp = cd_add(s, "all-udp", MW_DIR_OUTBOUND, IPPROTO_UDP, "head-end",
		     0, 0);
	anyp = cd_add(s, "anyp", MW_DIR_OUTBOUND, MW_ANY_PROTO, "head-end",
		      0, 0);
	ping = cd_add(s, "ping-out", MW_DIR_OUTBOUND, IPPROTO_ICMP,
		      "head-end", 0, 0);
	own = dev_cd_add(&s->devices[1], "own", MW_DIR_OUTBOUND, IPPROTO_TCP,
			 NULL, 8443, 8443);
	cd_prefix(own, "192.0.2.5");
	p->reply_ports.lo = 32768;
	p->reply_ports.hi = 60999;
	assess(p, &f);
	x = expect(&f, "MW-R080", "push", MW_SEV_LOW, https->loc.line);
	assert_string_equal(x->system, "hems");
	assert_string_equal(x->msg,
		"outbound conduit hems/push opens a stateless inbound path in "
		"XDP-only deployments: its devices may send tcp with ACK to "
		"zone head-end (from port 443 to ports 32768-60999), unasked");
	x = expect(&f, "MW-R080", "dns", MW_SEV_LOW, dns->loc.line);
	assert_non_null(strstr(x->msg, "may send udp to zone head-end "
				       "(from ports 53, 5353-5354 to ports "
				       "32768-60999)"));
	/* no ports, or any protocol: from any port, a higher severity */
	x = expect(&f, "MW-R081", "all-udp", MW_SEV_MEDIUM, udp->loc.line);
	assert_non_null(strstr(x->msg, "hems/all-udp"));
	assert_non_null(strstr(x->msg, "(from any port to ports "
				       "32768-60999)"));
	x = expect(&f, "MW-R081", "anyp", MW_SEV_MEDIUM, anyp->loc.line);
	assert_string_equal(x->msg,
		"outbound conduit hems/anyp opens a stateless inbound path in "
		"XDP-only deployments: its devices may send anything but a "
		"tcp SYN or an icmp request to zone head-end (tcp/udp from any "
		"port to ports 32768-60999), unasked");
	assert_null(find(&f, "MW-R080", "all-udp"));
	assert_null(find(&f, "MW-R080", "anyp"));
	/* ICMP: only echo replies come back */
	x = expect(&f, "MW-R080", "ping-out", MW_SEV_LOW, ping->loc.line);
	assert_string_equal(x->msg,
		"outbound conduit hems/ping-out opens a stateless inbound "
		"path in XDP-only deployments: its devices may send icmp echo "
		"replies to zone head-end, unasked");
	x = expect(&f, "MW-R080", "gw2/own", MW_SEV_LOW, own->loc.line);
	assert_non_null(strstr(x->msg, "hems/gw2/own"));
	assert_non_null(strstr(x->msg, "to 192.0.2.5 (from port 8443"));
	/* inbound conduits open no such path */
	assert_null(find(&f, "MW-R080", "echonet"));
	assert_null(find(&f, "MW-R080", "https"));
	assert_int_equal(count(&f, "MW-R080"), 4);
	assert_int_equal(count(&f, "MW-R081"), 2);
	mw_findings_free(&f);

	/* reply_ports not set (a policy built by hand): the default range */
	p->reply_ports.lo = p->reply_ports.hi = 0;
	assess(p, &f);
	assert_non_null(strstr(find(&f, "MW-R080", "push")->msg,
			       "to ports 1024-65535)"));
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- device prefixes ------------------------------------------------- */

static void test_r010_r011_prefix_width(void **state)
{
	static const struct {
		const char *addr;
		const char *id;	/* NULL: no finding */
	} cases[] = {
		{ "10.1.0.0/23", "MW-R010" },
		{ "10.2.0.0/24", "MW-R011" },
		{ "10.3.0.0/27", "MW-R011" },
		{ "10.4.0.0/28", NULL },
		{ "2001:db8:1::/63", "MW-R010" },
		{ "2001:db8:2::/64", "MW-R011" },
		{ "2001:db8:3::/119", "MW-R011" },
		{ "2001:db8:4::/120", NULL },
	};
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = sys_add(p, "wide");
	struct mw_findings f;
	char name[16];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "d%zu", i);
		dev_add(s, name, true, cases[i].addr);
	}
	cd_add(s, "echonet", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       3610, 3610);
	assess(p, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "d%zu", i);
		if (!cases[i].id) {
			assert_null(find(&f, "MW-R010", name));
			assert_null(find(&f, "MW-R011", name));
			continue;
		}
		expect(&f, cases[i].id, name,
		       cases[i].id[6] == '0' ? MW_SEV_HIGH : MW_SEV_MEDIUM,
		       s->devices[i].addrs[0].loc.line);
		assert_string_equal(find(&f, cases[i].id, name)->system,
				    "wide");
	}
	assert_int_equal(count(&f, "MW-R010"), 2);
	assert_int_equal(count(&f, "MW-R011"), 4);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r050_overlap_in_system(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = sys_add(p, "grid");
	struct mw_device_spec *a, *b, *c;
	const struct mw_finding *x;
	struct mw_findings f;

	a = dev_add(s, "rtu-net", true, "203.0.113.0/28");
	b = dev_add(s, "rtu-5", true, "203.0.113.5");
	/* One device's own addresses overlapping: not a finding. */
	c = dev_add(s, "self", true, "203.0.113.64/28");
	dev_addr(c, "203.0.113.66");
	dev_add(s, "apart", true, "203.0.113.32/28");
	cd_add(s, "echonet", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       3610, 3610);
	assess(p, &f);
	x = expect(&f, "MW-R050", "rtu-5", MW_SEV_LOW, b->addrs[0].loc.line);
	assert_string_equal(x->system, "grid");
	assert_non_null(strstr(x->msg, a->name));
	assert_int_equal(count(&f, "MW-R050"), 1);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r050_ipv6_nested(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = sys_add(p, "v6");
	struct mw_device_spec *b, *c;
	struct mw_findings f;

	dev_add(s, "outer", true, "2001:db8:200::/120");
	b = dev_add(s, "mid", true, "2001:db8:200::80/121");
	c = dev_add(s, "inner", true, "2001:db8:200::81");
	dev_addr(c, "2001:db8:300::1");
	cd_add(s, "echonet", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       3610, 3610);
	assess(p, &f);
	expect(&f, "MW-R050", "mid", MW_SEV_LOW, b->addrs[0].loc.line);
	expect(&f, "MW-R050", "inner", MW_SEV_LOW, c->addrs[0].loc.line);
	assert_non_null(strstr(find(&f, "MW-R050", "inner")->msg, "mid"));
	assert_int_equal(count(&f, "MW-R050"), 2);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r051_device_in_zone(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_device_spec *in, *wide, *v6;
	const struct mw_finding *x;
	struct mw_findings f;

	in = dev_add(s, "spoof", true, "192.0.2.5");
	wide = dev_add(s, "cover", true, "192.0.0.0/22");
	v6 = dev_add(s, "spoof6", true, "2001:db8:10::99");
	dev_add(s, "outside", true, "192.0.2.16");
	assess(p, &f);
	x = expect(&f, "MW-R051", "spoof", MW_SEV_HIGH, in->addrs[0].loc.line);
	assert_non_null(strstr(x->msg, "head-end"));
	expect(&f, "MW-R051", "cover", MW_SEV_HIGH, wide->addrs[0].loc.line);
	expect(&f, "MW-R051", "spoof6", MW_SEV_HIGH, v6->addrs[0].loc.line);
	assert_null(find(&f, "MW-R051", "outside"));
	assert_null(find(&f, "MW-R051", "gw1"));
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- MAC binding ----------------------------------------------------- */

static void test_r060_l2_adjacent(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = sys_add(p, "field");
	struct mw_device_spec *nomac, *own, *lit;
	struct mw_conduit_spec *c;
	const struct mw_finding *x;
	struct mw_findings f;

	zone_add(p, "meters", true, "192.0.2.64/26");
	nomac = dev_add(s, "nomac", false, "203.0.113.1");
	dev_add(s, "bound", true, "203.0.113.2");
	own = dev_add(s, "own", false, "203.0.113.3");
	dev_cd_add(own, "he", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
		   3610, 3610);
	lit = dev_add(s, "literal", false, "203.0.113.4");
	c = dev_cd_add(lit, "lit", MW_DIR_OUTBOUND, IPPROTO_UDP, NULL,
		       3610, 3610);
	cd_prefix(c, "192.0.2.70");
	cd_add(s, "read", MW_DIR_INBOUND, IPPROTO_UDP, "meters", 3610, 3610);
	assess(p, &f);
	x = expect(&f, "MW-R060", "nomac", MW_SEV_MEDIUM, nomac->loc.line);
	assert_string_equal(x->system, "field");
	assert_non_null(strstr(x->msg, "meters"));
	expect(&f, "MW-R060", "literal", MW_SEV_MEDIUM, lit->loc.line);
	assert_null(find(&f, "MW-R060", "bound"));
	assert_null(find(&f, "MW-R060", "own"));
	assert_int_equal(count(&f, "MW-R060"), 2);
	assert_int_equal(count(&f, "MW-R061"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r060_zone_any_reaches_l2(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = sys_add(p, "field");
	struct mw_device_spec *d;
	struct mw_findings f;

	zone_add(p, "meters", true, "192.0.2.64/26");
	d = dev_add(s, "nomac", false, "203.0.113.1");
	cd_add(s, "wide", MW_DIR_INBOUND, IPPROTO_UDP, NULL, 3610, 3610);
	assess(p, &f);
	expect(&f, "MW-R060", "nomac", MW_SEV_MEDIUM, d->loc.line);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r061_l2_all(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0], *t;
	struct mw_device_spec *d, *e;
	struct mw_iface_spec *i;
	struct mw_findings f;

	p->ifaces[0].arp = MW_L2_ALL;
	d = dev_add(s, "nomac", false, "198.51.100.40");
	i = iface_add(p, "ext1", MW_ZONE_EXTERNAL);
	i->nd = MW_L2_ALL;
	t = sys_add(p, "other");
	strcpy(t->iface, "ext1");
	e = dev_add(t, "nomac6", false, "2001:db8:300::1");
	dev_add(t, "bound", true, "2001:db8:300::2");
	cd_add(t, "echonet", MW_DIR_INBOUND, IPPROTO_UDP, "head-end",
	       3610, 3610);
	assess(p, &f);
	expect(&f, "MW-R061", "nomac", MW_SEV_LOW, d->loc.line);
	assert_non_null(strstr(find(&f, "MW-R061", "nomac")->msg, "ARP"));
	expect(&f, "MW-R061", "nomac6", MW_SEV_LOW, e->loc.line);
	assert_non_null(strstr(find(&f, "MW-R061", "nomac6")->msg, "ND"));
	assert_int_equal(count(&f, "MW-R061"), 2);
	assert_int_equal(count(&f, "MW-R060"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_no_mac_default_l2_not_flagged(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_findings f;

	dev_add(&p->systems[0], "nomac", false, "198.51.100.40");
	p->ifaces[0].arp = MW_L2_NONE;
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- dates ----------------------------------------------------------- */

static void test_r030_agreement_expired(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0], *t;
	const struct mw_finding *x;
	struct mw_findings f;

	s->expires = NOW;		/* first instant not valid: expired */
	t = sys_add(p, "old");
	t->has_expires = true;
	t->expires = NOW - 10 * DAY;
	t->expires_loc = new_loc();
	dev_add(t, "o1", true, "203.0.113.9");
	assess(p, &f);
	x = expect(&f, "MW-R030", "hems", MW_SEV_HIGH, s->expires_loc.line);
	assert_non_null(strstr(x->msg, "AGR-2026-014"));
	assert_non_null(strstr(x->msg, "+09:00"));
	expect(&f, "MW-R030", "old", MW_SEV_HIGH, t->expires_loc.line);
	assert_int_equal(count(&f, "MW-R031"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r031_expiry_boundary(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_findings f;

	s->expires = NOW + 30 * DAY;	/* exactly 30 days: warned */
	assess(p, &f);
	expect(&f, "MW-R031", "hems", MW_SEV_MEDIUM, s->expires_loc.line);
	assert_non_null(strstr(find(&f, "MW-R031", "hems")->msg, "30 day"));
	assert_int_equal(f.n, 1);
	mw_findings_free(&f);

	s->expires = NOW + 30 * DAY + 1;	/* one second more: silent */
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);

	s->expires = NOW + 1;		/* last second */
	assess(p, &f);
	expect(&f, "MW-R031", "hems", MW_SEV_MEDIUM, s->expires_loc.line);
	assert_int_equal(count(&f, "MW-R030"), 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r032_not_yet_valid(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	struct mw_findings f;

	s->valid_from = NOW + 1;
	assess(p, &f);
	expect(&f, "MW-R032", "hems", MW_SEV_INFO, s->loc.line);
	assert_int_equal(f.n, 1);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 0);
	mw_findings_free(&f);

	s->valid_from = NOW;
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r033_r034_policy_expiry(void **state)
{
	struct mw_policy *p = pol_clean();
	const struct mw_finding *x;
	struct mw_findings f;

	p->expires = NOW;
	assess(p, &f);
	x = expect(&f, "MW-R033", "policy", MW_SEV_HIGH, 0);
	assert_string_equal(x->system, "");
	assert_non_null(strstr(x->msg, "42"));
	assert_int_equal(f.n, 1);
	mw_findings_free(&f);

	p->expires = NOW + 30 * DAY;
	assess(p, &f);
	expect(&f, "MW-R034", "policy", MW_SEV_MEDIUM, 0);
	assert_int_equal(f.n, 1);
	mw_findings_free(&f);

	p->expires = NOW + 30 * DAY + 1;
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);

	p->has_expires = false;
	p->expires = NOW - DAY;
	assess(p, &f);
	assert_int_equal(f.n, 0);
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- system housekeeping --------------------------------------------- */

static void test_r040_no_contact(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0], *t;
	struct mw_findings f;

	s->contact[0] = '\0';
	t = sys_add(p, "blank");
	strcpy(t->contact, "  ");
	dev_add(t, "b1", true, "203.0.113.9");
	assess(p, &f);
	expect(&f, "MW-R040", "hems", MW_SEV_MEDIUM, s->loc.line);
	expect(&f, "MW-R040", "blank", MW_SEV_MEDIUM, t->loc.line);
	assert_int_equal(f.n, 2);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 2);
	mw_findings_free(&f);
	pol_free(p);
}

static void test_r070_r071_no_protection(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0], *t;
	struct mw_findings f;

	memset(&s->auto_block, 0, sizeof(s->auto_block));
	memset(&s->limits, 0, sizeof(s->limits));
	/* One threshold, one limit is enough. */
	t = sys_add(p, "half");
	t->auto_block.drops_per_min = 0;
	t->limits.pps = 0;
	dev_add(t, "h1", true, "203.0.113.9");
	assess(p, &f);
	expect(&f, "MW-R070", "hems", MW_SEV_INFO, s->loc.line);
	expect(&f, "MW-R071", "hems", MW_SEV_INFO, s->loc.line);
	assert_int_equal(f.n, 2);
	assert_int_equal(mw_findings_max(&f), MW_SEV_INFO);
	assert_int_equal(mw_risk_exit_code(mw_findings_max(&f)), 0);
	mw_findings_free(&f);
	pol_free(p);
}

/* ---- order and determinism ------------------------------------------- */

static void test_sorted_and_stable(void **state)
{
	struct mw_policy *p = pol_clean();
	struct mw_system_spec *s = &p->systems[0];
	const struct mw_risk_rule *r;
	struct mw_findings f, g;
	size_t i, j, n;

	/* Findings of many kinds, some sharing a location. */
	s->contact[0] = '\0';
	memset(&s->limits, 0, sizeof(s->limits));
	memset(&s->auto_block, 0, sizeof(s->auto_block));
	s->expires = NOW + DAY;
	cd_add(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, 0, 0);
	cd_add(s, "telnet", MW_DIR_INBOUND, IPPROTO_TCP, NULL, 23, 23);
	dev_add(s, "wide", false, "10.0.0.0/8");
	p->ifaces[0].nd = MW_L2_ALL;
	p->expires = NOW - 1;
	assess(p, &f);
	assert_true(f.n >= 10);
	for (i = 1; i < f.n; i++) {
		const struct mw_finding *a = &f.v[i - 1], *b = &f.v[i];

		assert_true(a->sev >= b->sev);
		if (a->sev == b->sev)
			assert_true(a->loc.line < b->loc.line ||
				    (a->loc.line == b->loc.line &&
				     strcmp(a->id, b->id) <= 0));
	}
	/* Every id comes from the table, with the table's severity. */
	r = mw_risk_rules(&n);
	for (i = 0; i < f.n; i++) {
		for (j = 0; j < n && strcmp(r[j].id, f.v[i].id); j++)
			;
		assert_true(j < n);
		assert_int_equal(r[j].sev, f.v[i].sev);
	}
	/* Same input, same output. */
	assess(p, &g);
	assert_int_equal(f.n, g.n);
	assert_memory_equal(f.v, g.v, f.n * sizeof(*f.v));
	mw_findings_free(&g);
	mw_findings_free(&f);
	pol_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_policy),
		cmocka_unit_test(test_invalid_args),
		cmocka_unit_test(test_severity_names_exit_codes),
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_r001_any_to_any),
		cmocka_unit_test(test_r002_zone_any),
		cmocka_unit_test(test_r003_proto_any),
		cmocka_unit_test(test_r004_wide_ports),
		cmocka_unit_test(test_device_conduit_subject),
		cmocka_unit_test(test_r020_inbound_cleartext),
		cmocka_unit_test(test_secure_variants_not_flagged),
		cmocka_unit_test(test_r021_outbound_cleartext_low),
		cmocka_unit_test(test_r080_r081_reply_path),
		cmocka_unit_test(test_r010_r011_prefix_width),
		cmocka_unit_test(test_r050_overlap_in_system),
		cmocka_unit_test(test_r050_ipv6_nested),
		cmocka_unit_test(test_r051_device_in_zone),
		cmocka_unit_test(test_r060_l2_adjacent),
		cmocka_unit_test(test_r060_zone_any_reaches_l2),
		cmocka_unit_test(test_r061_l2_all),
		cmocka_unit_test(test_no_mac_default_l2_not_flagged),
		cmocka_unit_test(test_r030_agreement_expired),
		cmocka_unit_test(test_r031_expiry_boundary),
		cmocka_unit_test(test_r032_not_yet_valid),
		cmocka_unit_test(test_r033_r034_policy_expiry),
		cmocka_unit_test(test_r040_no_contact),
		cmocka_unit_test(test_r070_r071_no_protection),
		cmocka_unit_test(test_sorted_and_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
