// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser tests.  Run from the repository root (tests/run.sh does):
 * fixtures are found at tests/fixtures/{valid,invalid}.
 *
 * Every .yaml file in tests/fixtures/invalid starts with
 *     # expect: LINE:COL: substring of the message
 * and must fail with -EINVAL at exactly that place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define INVALID_DIR "tests/fixtures/invalid"
#define VALID_DIR "tests/fixtures/valid"
#define MIN_INVALID 45

static struct mw_policy *load_ok(const char *path)
{
	struct mw_policy *pol = NULL;
	struct mw_diag d;
	int err;

	err = mw_policy_load_file(path, &pol, &d);
	if (err)
		mw_diag_print(&d);
	assert_int_equal(err, 0);
	assert_non_null(pol);
	return pol;
}

static const struct mw_system_spec *sys_by_name(const struct mw_policy *p,
						const char *name)
{
	size_t i;

	for (i = 0; i < p->n_systems; i++)
		if (!strcmp(p->systems[i].name, name))
			return &p->systems[i];
	fail_msg("no system %s", name);
	return NULL;
}

static void assert_prefix(const struct mw_prefix *p, const char *want)
{
	char buf[64];

	mw_prefix_format(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static bool vlan_set(const struct mw_iface_spec *ifc, unsigned int vid)
{
	return ifc->vlans[vid / 8] & (1U << (vid % 8));
}

/* ---------------------------------------------------------------- */
/* Examples                                                         */

static void test_example_gateway_header(void **state)
{
	struct mw_policy *p = load_ok("examples/gateway.yaml");
	const struct mw_zone_spec *z;

	assert_string_equal(p->path, "examples/gateway.yaml");
	assert_int_equal(p->serial, 2026112501ULL);
	assert_int_equal(p->tz_offset, 9 * 3600);
	assert_true(p->has_expires);
	assert_int_equal(p->expires, 1830265200);	/* 2028-01-01 00:00 +09 */
	assert_int_equal(p->flow_entries, 65536);

	assert_int_equal(p->n_ifaces, 3);
	assert_string_equal(p->ifaces[0].name, "ext0");
	assert_int_equal(p->ifaces[0].zone, MW_ZONE_EXTERNAL);
	assert_int_equal(p->ifaces[0].arp, MW_L2_DEVICES);
	assert_true(p->ifaces[0].untagged);
	assert_int_equal(p->ifaces[0].n_vlans, 0);
	assert_int_equal(p->ifaces[1].nd, MW_L2_NONE);
	assert_true(p->ifaces[1].untagged);
	assert_int_equal(p->ifaces[1].n_vlans, 0);
	assert_false(vlan_set(&p->ifaces[1], 210));
	assert_int_equal(p->ifaces[2].zone, MW_ZONE_SMART_METER);
	assert_int_equal(mw_policy_iface_index(p, "sm0"), 2);
	assert_int_equal(mw_policy_iface_index(p, "eth9"), -1);

	assert_int_equal(p->n_zones, 4);
	z = mw_policy_zone(p, "head-end");
	assert_non_null(z);
	assert_int_equal(z->n_prefixes, 2);
	assert_prefix(&z->prefixes[0], "192.0.2.10");
	assert_int_equal(z->prefixes[0].plen, 32);
	assert_prefix(&z->prefixes[1], "2001:db8:10::10");
	assert_int_equal(z->prefixes[1].family, AF_INET6);
	z = mw_policy_zone(p, "meters");
	assert_non_null(z);
	assert_prefix(&z->prefixes[0], "192.0.2.128/25");
	assert_prefix(&z->prefixes[1], "2001:db8:20::/64");
	assert_false(z->l2_adjacent);
	assert_null(mw_policy_zone(p, "billing"));
	mw_policy_free(p);
}

static void test_example_gateway_systems(void **state)
{
	struct mw_policy *p = load_ok("examples/gateway.yaml");
	const struct mw_system_spec *s;
	const struct mw_conduit_spec *cd;
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

	assert_int_equal(p->n_systems, 6);
	s = sys_by_name(p, "hems-aggregator");
	assert_string_equal(s->entity, "Kanto HEMS Services K.K.");
	assert_string_equal(s->contact, "soc@kanto-hems.example");
	assert_string_equal(s->agreement, "AGR-2026-014");
	assert_string_equal(s->iface, "ext0");
	assert_true(s->has_valid_from);
	assert_int_equal(s->valid_from, 1790780400);	/* 2026-10-01 +09 */
	assert_true(s->has_expires);
	assert_int_equal(s->expires, 1822316400);	/* 2027-10-01 +09 */
	assert_int_equal(s->limits.pps, 2000);
	assert_int_equal(s->limits.bps, 10000000);
	assert_int_equal(s->auto_block.drops_per_min, 600);
	assert_int_equal(s->auto_block.new_flows_per_sec, 50);
	assert_int_equal(s->auto_block.block_for, 3600);
	assert_false(s->two_person);
	assert_int_equal(s->auto_block.scan_targets_per_min, 0);
	assert_false(s->auto_block.device);
	assert_int_equal(s->n_devices, 2);
	assert_string_equal(s->devices[0].name, "hems-gw-1");
	assert_int_equal(s->devices[0].n_addrs, 2);
	assert_prefix(&s->devices[0].addrs[0], "198.51.100.10");
	assert_prefix(&s->devices[0].addrs[1], "2001:db8:100::10");
	assert_true(s->devices[0].has_mac);
	assert_memory_equal(s->devices[0].mac, mac, 6);
	assert_false(s->devices[0].override);
	assert_int_equal(s->n_conduits, 2);
	cd = &s->conduits[0];
	assert_string_equal(cd->name, "echonet-udp");
	assert_int_equal(cd->dir, MW_DIR_INBOUND);
	assert_int_equal(cd->proto, IPPROTO_UDP);
	assert_int_equal(cd->n_zones, 1);
	assert_string_equal(cd->zones[0], "head-end");
	assert_int_equal(cd->n_ports, 1);
	assert_int_equal(cd->ports[0].lo, 3610);
	assert_int_equal(cd->ports[0].hi, 3610);
	assert_false(cd->window.set);
	assert_int_equal(s->conduits[1].proto, IPPROTO_TCP);

	s = sys_by_name(p, "dlms-maintenance");
	assert_int_equal(s->valid_from, 1793458800);	/* 2026-11-01 +09 */
	assert_int_equal(s->expires, 1824994800);	/* 2027-11-01 +09 */
	assert_int_equal(s->auto_block.block_for, 0);
	assert_true(s->two_person);
	assert_int_equal(s->n_devices, 1);
	assert_true(s->devices[0].has_mac);
	cd = &s->conduits[0];
	assert_int_equal(cd->ports[0].lo, 4059);
	assert_true(cd->window.set);
	assert_int_equal(cd->window.days, 0x1f);
	assert_int_equal(cd->window.from, 9 * 60);
	assert_int_equal(cd->window.to, 18 * 60);

	s = sys_by_name(p, "retailer-api");
	assert_string_equal(s->iface, "ext1");
	assert_prefix(&s->devices[0].addrs[0], "203.0.113.0/28");
	assert_string_equal(s->conduits[0].zones[0], "mdms");

	s = sys_by_name(p, "dr-aggregator");
	cd = &s->conduits[0];
	assert_string_equal(cd->name, "outbound-1");
	assert_int_equal(cd->dir, MW_DIR_OUTBOUND);
	assert_int_equal(cd->ports[0].lo, 443);

	s = sys_by_name(p, "gas-water-iot");
	assert_true(s->devices[1].override);
	assert_int_equal(s->devices[1].n_conduits, 2);
	assert_int_equal(s->devices[1].conduits[1].proto, IPPROTO_ICMPV6);
	assert_int_equal(s->devices[1].conduits[1].n_ports, 0);
	assert_int_equal(s->conduits[0].n_ports, 2);
	assert_int_equal(s->conduits[0].ports[1].lo, 8443);
	assert_int_equal(s->conduits[0].ports[1].hi, 8444);

	s = sys_by_name(p, "ev-charging");
	assert_int_equal(s->conduits[0].ports[0].lo, 8883);
	assert_prefix(&s->devices[0].addrs[1], "2001:db8:140::/64");
	mw_policy_free(p);
}

static void test_example_minimal(void **state)
{
	struct mw_policy *p = load_ok("examples/minimal.yaml");

	assert_int_equal(p->serial, 1);
	assert_int_equal(p->tz_offset, 0);
	assert_false(p->has_expires);
	assert_int_equal(p->flow_entries, 0);
	assert_int_equal(p->n_systems, 1);
	assert_string_equal(p->systems[0].conduits[0].name, "inbound-1");
	assert_false(p->systems[0].has_valid_from);
	mw_policy_free(p);
}

/* ---------------------------------------------------------------- */
/* Valid fixtures                                                   */

static void test_valid_ipv6_only(void **state)
{
	struct mw_policy *p = load_ok(VALID_DIR "/ipv6-only.yaml");
	const struct mw_system_spec *s;
	static const uint8_t mac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0xaa };

	assert_int_equal(p->serial, 9223372036854775807ULL);
	assert_int_equal(p->tz_offset, -(5 * 3600 + 30 * 60));
	assert_int_equal(p->expires, 1814356800);	/* exact date-time */
	assert_int_equal(p->ifaces[0].arp, MW_L2_NONE);
	assert_int_equal(p->ifaces[0].nd, MW_L2_ALL);
	assert_true(p->zones[0].l2_adjacent);
	assert_prefix(&p->zones[0].prefixes[1], "2001:db8:10:1::/64");
	assert_int_equal(p->zones[0].prefixes[1].plen, 64);
	s = &p->systems[0];
	assert_string_equal(s->agreement, "AGR/2026/7");
	assert_string_equal(s->contact, "");
	assert_int_equal(s->valid_from, 1796081400);	/* own offset wins */
	assert_int_equal(s->expires, 1798867800);	/* end of day, -05:30 */
	assert_int_equal(s->expires_loc.line, 22);
	assert_int_equal(s->expires_loc.col, 14);
	assert_memory_equal(s->devices[0].mac, mac, 6);
	assert_prefix(&s->devices[0].addrs[1], "2001:db8:101::/48");
	assert_int_equal(s->conduits[0].proto, IPPROTO_ICMPV6);
	assert_string_equal(s->conduits[0].name, "inbound-1");
	assert_string_equal(s->conduits[1].name, "inbound-2");
	assert_int_equal(s->conduits[1].ports[1].lo, 60000);
	assert_int_equal(s->conduits[1].ports[1].hi, 60010);
	mw_policy_free(p);
}

static void test_valid_vlans(void **state)
{
	struct mw_policy *p = load_ok(VALID_DIR "/vlans.yaml");

	assert_int_equal(p->n_ifaces, 5);
	assert_int_equal(p->n_systems, 0);
	assert_int_equal(p->n_zones, 0);
	assert_int_equal(p->ifaces[0].n_vlans, 4);
	assert_true(vlan_set(&p->ifaces[0], 1));
	assert_true(vlan_set(&p->ifaces[0], 100));
	assert_true(vlan_set(&p->ifaces[0], 200));
	assert_true(vlan_set(&p->ifaces[0], 4094));
	assert_false(vlan_set(&p->ifaces[0], 101));
	assert_false(vlan_set(&p->ifaces[0], 0));
	assert_false(p->ifaces[0].untagged);
	assert_string_equal(p->ifaces[1].name, "ext1.10");
	assert_true(p->ifaces[1].untagged);
	assert_true(vlan_set(&p->ifaces[1], 10));
	assert_true(p->ifaces[2].untagged);
	assert_int_equal(p->ifaces[2].n_vlans, 0);
	assert_false(p->ifaces[3].untagged);
	assert_int_equal(p->ifaces[4].zone, MW_ZONE_SMART_METER);
	assert_true(vlan_set(&p->ifaces[4], 300));
	assert_int_equal(p->ifaces[4].loc.line, 16);
	assert_int_equal(p->ifaces[4].loc.col, 11);
	mw_policy_free(p);
}

static void test_valid_device_overrides(void **state)
{
	struct mw_policy *p = load_ok(VALID_DIR "/device-overrides.yaml");
	const struct mw_system_spec *s = &p->systems[0];
	const struct mw_device_spec *d;
	const struct mw_conduit_spec *cd;

	assert_int_equal(p->flow_entries, 1024);
	assert_int_equal(s->limits.pps, 0);
	assert_int_equal(s->limits.bps, MW_LIMIT_BPS_MAX);
	assert_int_equal(s->auto_block.new_flows_per_sec, 5);
	assert_int_equal(s->auto_block.drops_per_min, 0);
	assert_int_equal(s->auto_block.scan_targets_per_min, 40);
	assert_int_equal(s->auto_block.over_limits_secs, 10);
	assert_true(s->auto_block.device);
	assert_false(s->has_valid_from);
	assert_false(s->has_expires);
	assert_int_equal(s->n_conduits, 3);
	cd = &s->conduits[0];
	assert_string_equal(cd->name, "inbound-1");
	assert_int_equal(cd->proto, MW_ANY_PROTO);
	assert_int_equal(cd->n_zones, 0);
	assert_int_equal(cd->n_prefixes, 0);
	assert_string_equal(s->conduits[1].name, "outbound-2");
	assert_int_equal(s->conduits[1].proto, IPPROTO_ICMP);
	assert_string_equal(s->conduits[2].name, "custom");
	assert_int_equal(s->conduits[2].n_ports, 0);

	d = &s->devices[0];
	assert_false(d->override);
	assert_false(d->has_mac);
	d = &s->devices[1];
	assert_true(d->override);
	assert_int_equal(d->n_conduits, 2);
	cd = &d->conduits[0];
	assert_string_equal(cd->name, "ssh");
	assert_int_equal(cd->n_zones, 1);
	assert_string_equal(cd->zones[0], "meters");
	assert_int_equal(cd->zone_locs[0].line, 29);
	assert_int_equal(cd->zone_locs[0].col, 19);
	assert_int_equal(cd->n_prefixes, 2);
	assert_prefix(&cd->prefixes[1], "192.0.2.192/27");
	cd = &d->conduits[1];
	assert_string_equal(cd->name, "outbound-2");
	assert_int_equal(cd->dir, MW_DIR_OUTBOUND);
	assert_int_equal(cd->n_zones, 2);
	assert_string_equal(cd->zones[1], "meters");
	assert_int_equal(cd->ports[0].lo, 5683);
	assert_int_equal(cd->ports[0].hi, 5684);
	assert_int_equal(cd->ports[1].lo, 161);
	d = &s->devices[2];
	assert_true(d->override);
	assert_int_equal(d->n_conduits, 0);
	mw_policy_free(p);
}

static void test_valid_windows(void **state)
{
	struct mw_policy *p = load_ok(VALID_DIR "/windows.yaml");
	const struct mw_conduit_spec *cd = p->systems[0].conduits;

	assert_true(cd[0].window.set);
	assert_int_equal(cd[0].window.days, (1 << 4) | (1 << 5));
	assert_int_equal(cd[0].window.from, 22 * 60);
	assert_int_equal(cd[0].window.to, 6 * 60);	/* wraps */
	assert_int_equal(cd[0].window.loc.line, 21);
	assert_int_equal(cd[0].window.loc.col, 17);
	assert_int_equal(cd[1].window.days, 0x7f);
	assert_int_equal(cd[1].window.from, 0);
	assert_int_equal(cd[1].window.to, 24 * 60);
	assert_int_equal(cd[2].window.days, 0x7f);	/* days omitted */
	assert_int_equal(cd[2].window.from, 18 * 60 + 30);
	assert_int_equal(cd[2].window.to, 0);
	assert_int_equal(cd[3].window.days, (1 << 6) | (1 << 5));
	assert_int_equal(cd[3].window.to, 10 * 60 + 1);
	assert_int_equal(cd[0].n_zones, 0);
	mw_policy_free(p);
}

static void test_valid_minimal(void **state)
{
	struct mw_policy *p = load_ok(VALID_DIR "/minimal.yaml");

	assert_int_equal(p->n_ifaces, 1);
	assert_int_equal(p->n_zones, 0);
	assert_int_equal(p->n_systems, 0);
	assert_int_equal(p->ifaces[0].arp, MW_L2_DEVICES);
	assert_int_equal(p->ifaces[0].nd, MW_L2_DEVICES);
	assert_true(p->ifaces[0].untagged);
	mw_policy_free(p);
}

/* ---------------------------------------------------------------- */
/* Buffers, files, dates                                            */

#define HDR "meterwall: 1\nserial: 1\n"
#define IFS "interfaces:\n  - name: ext0\n    zone: external\n"

static int load_str(const char *s, struct mw_policy **p, struct mw_diag *d)
{
	return mw_policy_load_buf("buf.yaml", s, strlen(s), p, d);
}

static void test_missing_file(void **state)
{
	struct mw_policy *p = (void *)1;
	struct mw_diag d;

	assert_int_equal(mw_policy_load_file("tests/fixtures/nope.yaml", &p,
					     &d), -ENOENT);
	assert_null(p);
	assert_int_equal(d.loc.line, 0);
	assert_string_equal(d.file, "tests/fixtures/nope.yaml");
	assert_non_null(strstr(d.msg, "No such file"));
}

static void test_empty_buffer(void **state)
{
	struct mw_policy *p;
	struct mw_diag d;

	assert_int_equal(load_str("", &p, &d), -EINVAL);
	assert_null(p);
	assert_string_equal(d.file, "buf.yaml");
	assert_int_equal(d.loc.line, 1);
	assert_non_null(strstr(d.msg, "empty policy"));
	assert_int_equal(load_str("# only a comment\n", &p, &d), -EINVAL);
}

static void test_dates(void **state)
{
	static const struct {
		const char *tz, *exp;
		int64_t want;
	} cases[] = {
		{ "+00:00", "1970-01-01", 86400 },
		{ "Z", "2024-02-29", 1709251200 },	/* leap day */
		{ "+09:00", "2027-12-31", 1830265200 },
		{ "-10:00", "2026-12-31", 1798797600 },
		{ "+09:00", "2027-01-01T00:00:00Z", 1798761600 },
		{ "+09:00", "2027-01-01t09:00:00+09:00", 1798761600 },
		{ "+00:00", "2100-03-01", 4107628800 },
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_policy *p;
		struct mw_diag d;

		snprintf(buf, sizeof(buf), HDR "timezone: \"%s\"\nexpires: %s\n"
			 IFS, cases[i].tz, cases[i].exp);
		if (load_str(buf, &p, &d))
			fail_msg("%s: %s", cases[i].exp, d.msg);
		assert_int_equal(p->expires, cases[i].want);
		mw_policy_free(p);
	}
}

static void test_bad_dates(void **state)
{
	static const char *const bad[] = {
		"2100-02-29", "2023-02-29", "2027-04-31", "2027-00-10",
		"2027-01-00", "1969-12-31", "27-01-01", "2027-1-1",
		"2027-01-01T10:00Z", "2027-01-01T10:00:60Z",
		"2027-01-01 10:00:00Z", "2027-01-01T10:00:00.5Z",
	};
	char buf[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mw_policy *p;
		struct mw_diag d;

		snprintf(buf, sizeof(buf), HDR "expires: \"%s\"\n" IFS, bad[i]);
		if (load_str(buf, &p, &d) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(d.loc.line, 3);
		assert_int_equal(d.loc.col, 10);
		assert_non_null(strstr(d.msg, bad[i]));
	}
}

static void test_reload_is_independent(void **state)
{
	struct mw_policy *a = load_ok("examples/gateway.yaml");
	struct mw_policy *b = load_ok("examples/gateway.yaml");

	assert_ptr_not_equal(a->systems, b->systems);
	assert_int_equal(a->n_systems, b->n_systems);
	mw_policy_free(a);
	mw_policy_free(b);
	mw_policy_free(NULL);
}

/* ---------------------------------------------------------------- */
/* Invalid fixtures                                                 */

struct expect {
	int line, col;
	char msg[256];
};

static int read_expect(const char *path, struct expect *e)
{
	char first[512];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -errno;
	if (!fgets(first, sizeof(first), f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	first[strcspn(first, "\n")] = '\0';
	if (sscanf(first, "# expect: %d:%d: %n", &e->line, &e->col, &n) != 2 ||
	    !n || !first[n] || e->line < 1 || e->col < 1)
		return -EINVAL;
	snprintf(e->msg, sizeof(e->msg), "%s", first + n);
	return 0;
}

/* 0 if the fixture fails exactly as announced; prints why not. */
static int check_invalid(const char *path)
{
	struct mw_policy *p = NULL;
	struct expect e;
	struct mw_diag d;
	int err;

	if (read_expect(path, &e)) {
		print_error("%s: missing or malformed '# expect: L:C: msg' line\n",
			    path);
		return -1;
	}
	err = mw_policy_load_file(path, &p, &d);
	if (err != -EINVAL) {
		print_error("%s: returned %d, expected -EINVAL\n", path, err);
		mw_policy_free(p);
		return -1;
	}
	if (p || d.loc.line != e.line || d.loc.col != e.col ||
	    !strstr(d.msg, e.msg) || strcmp(d.file, path)) {
		print_error("%s: got %s:%d:%d: %s\n   expected %d:%d: ...%s...\n",
			    path, d.file, d.loc.line, d.loc.col, d.msg, e.line,
			    e.col, e.msg);
		return -1;
	}
	return 0;
}

static char **invalid_paths;
static int n_invalid = -1;	/* -1: directory unreadable */

static void scan_invalid(void)
{
	struct dirent **names;
	char path[512];
	int n, i;

	n = scandir(INVALID_DIR, &names, NULL, alphasort);
	if (n < 0)
		return;
	invalid_paths = calloc((size_t)n + 1, sizeof(*invalid_paths));
	n_invalid = 0;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);

		if (invalid_paths && len > 5 &&
		    !strcmp(names[i]->d_name + len - 5, ".yaml")) {
			snprintf(path, sizeof(path), INVALID_DIR "/%s",
				 names[i]->d_name);
			invalid_paths[n_invalid++] = strdup(path);
		}
		free(names[i]);
	}
	free(names);
}

/* Guards the per-file tests: too few fixtures is itself a failure. */
static void test_invalid_fixture_count(void **state)
{
	assert_true(n_invalid >= MIN_INVALID);
}

static void test_invalid_fixture(void **state)
{
	assert_int_equal(check_invalid(*state), 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_gateway_header),
		cmocka_unit_test(test_example_gateway_systems),
		cmocka_unit_test(test_example_minimal),
		cmocka_unit_test(test_valid_ipv6_only),
		cmocka_unit_test(test_valid_vlans),
		cmocka_unit_test(test_valid_device_overrides),
		cmocka_unit_test(test_valid_windows),
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_buffer),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_bad_dates),
		cmocka_unit_test(test_reload_is_independent),
		cmocka_unit_test(test_invalid_fixture_count),
	};
	size_t n_fixed = sizeof(tests) / sizeof(tests[0]), n_all, i;
	struct CMUnitTest *all;
	int rc;

	scan_invalid();
	n_all = n_fixed + (n_invalid > 0 ? (size_t)n_invalid : 0);
	all = calloc(n_all, sizeof(*all));
	if (!all)
		return 1;
	memcpy(all, tests, sizeof(tests));
	for (i = n_fixed; i < n_all; i++) {
		const char *path = invalid_paths[i - n_fixed];

		all[i] = (struct CMUnitTest){
			.name = path + sizeof(INVALID_DIR),
			.test_func = test_invalid_fixture,
			.initial_state = (void *)path,
		};
	}
	rc = _cmocka_run_group_tests("test_parser", all, n_all, NULL, NULL);
	for (i = 0; invalid_paths && invalid_paths[i]; i++)
		free(invalid_paths[i]);
	free(invalid_paths);
	free(all);
	return rc;
}
