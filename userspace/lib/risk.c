// SPDX-License-Identifier: GPL-2.0
/*
 * Risk assessment of a policy (control 1.1.2): what an attacker on an
 * external system, or a mistake in the policy, could make of it.
 *
 * Rules.  Every id keeps its meaning and severity forever; retired ids are
 * never reused.  "Zone any" means a conduit with neither zones nor literal
 * prefixes, a literal prefix /0, or a named zone that contains a /0.
 * Conduit subjects are the conduit name, or "device/conduit" for a
 * device's own (overriding) conduits.
 *
 *  id       severity  rule
 *  MW-R001  critical  conduit with proto any and zone any (any-to-any);
 *                     reported instead of MW-R002 and MW-R003
 *  MW-R002  high      conduit with zone any
 *  MW-R003  medium    conduit with proto any
 *  MW-R004  medium    tcp/udp conduit with a port range wider than 1024
 *                     ports, or with no ports (all 65535)
 *  MW-R010  high      device prefix wider than IPv4 /24 or IPv6 /64
 *  MW-R011  medium    device prefix IPv4 /24../27 or IPv6 /64../119
 *  MW-R020  high      inbound conduit admits a cleartext management or
 *                     control protocol (table `cleartext' of
 *                     risk_conduits.c: telnet, ftp, tftp, http, http-alt,
 *                     snmp, snmp-trap, modbus, iec104, dnp3, rexec,
 *                     rlogin, rsh, vnc); one finding
 *                     per conduit listing every protocol matched.
 *                     DNP3-TLS 19999 and IEC 104 TLS 19998 are not flagged
 *  MW-R021  low       the same for an outbound conduit
 *  MW-R030  high      agreement expired: expires <= now
 *  MW-R031  medium    agreement expires within 30 days:
 *                     now < expires <= now + 30 * 86400
 *  MW-R032  info      agreement not yet valid: valid_from > now
 *  MW-R033  high      policy expired: expires <= now
 *  MW-R034  medium    policy expires within 30 days (as MW-R031)
 *  MW-R040  medium    system without contact
 *  MW-R050  low       address of a device overlaps an address of another
 *                     device of the same system (reported on the longer
 *                     prefix, against the nearest enclosing one)
 *  MW-R051  high      device address overlaps a prefix of a named
 *                     (smart-meter side) zone: spoofing of internal hosts
 *  MW-R060  medium    device without MAC binding whose effective conduits
 *                     (its own if it overrides, else its system's; either
 *                     direction) reach an l2_adjacent zone: by name, by a
 *                     literal prefix overlapping the zone, or by zone any
 *  MW-R061  low       device without MAC binding whose system's demarcation
 *                     interface has arp: all or nd: all
 *  MW-R070  info      system without auto_block thresholds (both 0)
 *  MW-R071  info      system without limits (pps and bps both 0)
 *  MW-R080  low       outbound conduit: XDP judges its replies without state,
 *                     so where XDP enforces alone its devices may send in
 *                     whatever looks like a reply (from the conduit's ports
 *                     to reply_ports of its zones; TCP with ACK, ICMP echo
 *                     replies); the kernel module's strict_new tracks them
 *  MW-R081  medium    the same for an outbound conduit with proto any, or
 *                     tcp/udp without ports (from any port); instead of
 *                     MW-R080
 *
 * Locations: conduit findings point at the conduit, prefix findings at the
 * address, agreement expiry at the system's expires, MAC findings at the
 * device, other system findings at the system.  Policy expiry has no
 * recorded location (line 0).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <meterwall/prefix.h>

#include "risk_int.h"
static const struct mw_risk_rule rules[__R_LAST] = {
	[R_ANY_ANY] = { "MW-R001", MW_SEV_CRITICAL,
		"conduit with proto any and zone any (any-to-any)" },
	[R_ZONE_ANY] = { "MW-R002", MW_SEV_HIGH, "conduit with zone any" },
	[R_PROTO_ANY] = { "MW-R003", MW_SEV_MEDIUM, "conduit with proto any" },
	[R_WIDE_PORTS] = { "MW-R004", MW_SEV_MEDIUM,
		"tcp/udp conduit with more than 1024 ports in one range" },
	[R_PREFIX_HIGH] = { "MW-R010", MW_SEV_HIGH,
		"device prefix wider than IPv4 /24 or IPv6 /64" },
	[R_PREFIX_MEDIUM] = { "MW-R011", MW_SEV_MEDIUM,
		"device prefix wider than IPv4 /28 or IPv6 /120" },
	[R_CLEAR_IN] = { "MW-R020", MW_SEV_HIGH,
		"inbound conduit admits a cleartext management protocol" },
	[R_CLEAR_OUT] = { "MW-R021", MW_SEV_LOW,
		"outbound conduit admits a cleartext management protocol" },
	[R_AGR_EXPIRED] = { "MW-R030", MW_SEV_HIGH, "agreement expired" },
	[R_AGR_EXPIRING] = { "MW-R031", MW_SEV_MEDIUM,
		"agreement expires within 30 days" },
	[R_AGR_FUTURE] = { "MW-R032", MW_SEV_INFO,
		"agreement not yet valid" },
	[R_POL_EXPIRED] = { "MW-R033", MW_SEV_HIGH, "policy expired" },
	[R_POL_EXPIRING] = { "MW-R034", MW_SEV_MEDIUM,
		"policy expires within 30 days" },
	[R_NO_CONTACT] = { "MW-R040", MW_SEV_MEDIUM,
		"system without contact" },
	[R_DEV_OVERLAP] = { "MW-R050", MW_SEV_LOW,
		"devices of one system with overlapping addresses" },
	[R_DEV_IN_ZONE] = { "MW-R051", MW_SEV_HIGH,
		"device address inside a smart-meter side zone" },
	[R_MAC_L2ADJ] = { "MW-R060", MW_SEV_MEDIUM,
		"device without MAC binding reaches an L2-adjacent zone" },
	[R_MAC_L2ALL] = { "MW-R061", MW_SEV_LOW,
		"device without MAC binding on an interface with arp/nd all" },
	[R_NO_AUTOBLOCK] = { "MW-R070", MW_SEV_INFO,
		"system without auto_block thresholds" },
	[R_NO_LIMITS] = { "MW-R071", MW_SEV_INFO, "system without limits" },
	[R_REPLY_PATH] = { "MW-R080", MW_SEV_LOW,
		"outbound conduit opens a stateless inbound path in XDP" },
	[R_REPLY_WIDE] = { "MW-R081", MW_SEV_MEDIUM,
		"outbound conduit of any port or protocol opens a stateless "
		"inbound path in XDP" },
};

#define EXPIRY_WARN	(30 * 86400LL)

/* ---- findings -------------------------------------------------------- */

static int push(struct mw_findings *out, struct mw_finding **f)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		struct mw_finding *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	*f = &out->v[out->n++];
	memset(*f, 0, sizeof(**f));
	return 0;
}

void rk_copy_str(char *dst, size_t len, const char *src)
{
	if (snprintf(dst, len, "%s", src) < 0)
		dst[0] = '\0';
}

int rk_add(struct mw_findings *out, enum rule r, const char *system,
	   const char *subject, struct mw_loc loc, const char *fmt, ...)
{
	struct mw_finding *f;
	va_list ap;
	int err;

	err = push(out, &f);
	if (err)
		return err;
	rk_copy_str(f->id, sizeof(f->id), rules[r].id);
	f->sev = rules[r].sev;
	rk_copy_str(f->system, sizeof(f->system), system);
	rk_copy_str(f->subject, sizeof(f->subject), subject);
	f->loc = loc;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- policy lookups -------------------------------------------------- */

const struct mw_zone_spec *rk_find_zone(const struct mw_policy *pol,
					    const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_zones; i++)
		if (!strcmp(pol->zones[i].name, name))
			return &pol->zones[i];
	return NULL;
}

const struct mw_iface_spec *rk_find_iface(const struct mw_policy *pol,
					      const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_ifaces; i++)
		if (!strcmp(pol->ifaces[i].name, name))
			return &pol->ifaces[i];
	return NULL;
}

bool rk_zone_has_default(const struct mw_zone_spec *z)
{
	size_t i;

	for (i = 0; i < z->n_prefixes; i++)
		if (z->prefixes[i].plen == 0)
			return true;
	return false;
}

bool rk_conduit_zone_any(const struct mw_policy *pol,
			     const struct mw_conduit_spec *c)
{
	const struct mw_zone_spec *z;
	size_t i;

	if (!c->n_zones && !c->n_prefixes)
		return true;
	for (i = 0; i < c->n_prefixes; i++)
		if (c->prefixes[i].plen == 0)
			return true;
	for (i = 0; i < c->n_zones; i++) {
		z = rk_find_zone(pol, c->zones[i]);
		if (z && rk_zone_has_default(z))
			return true;
	}
	return false;
}

bool rk_has_ports(const struct mw_conduit_spec *c)
{
	return c->proto == IPPROTO_TCP || c->proto == IPPROTO_UDP;
}


const char *rk_dir_name(enum mw_direction dir)
{
	return dir == MW_DIR_OUTBOUND ? "outbound" : "inbound";
}

/* A conduit's subject: its name, or "device/name" for a device's own. */
void rk_conduit_subject(char *buf, size_t len,
			    const struct mw_device_spec *dev,
			    const struct mw_conduit_spec *c)
{
	int n;

	if (!dev) {
		rk_copy_str(buf, len, c->name);
		return;
	}
	n = snprintf(buf, len, "%s/%s", dev->name, c->name);
	if (n < 0)
		buf[0] = '\0';
}

/* ---- dates ----------------------------------------------------------- */

static void fmt_time(const struct mw_policy *pol, int64_t t, char *buf,
		     size_t len)
{
	int32_t off = pol->tz_offset;
	time_t lt = (time_t)(t + off);
	unsigned int a = (unsigned int)(off < 0 ? -off : off);
	struct tm tm;

	if (!gmtime_r(&lt, &tm)) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02u:%02u",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', a / 3600,
		 a % 3600 / 60);
}

static long long days_left(int64_t expires, int64_t now)
{
	return (long long)((expires - now + 86399) / 86400);
}

static int check_agreement(const struct mw_policy *pol,
			   const struct mw_system_spec *s, int64_t now,
			   struct mw_findings *out)
{
	char t[48];
	int err = 0;

	if (s->has_expires && s->expires <= now) {
		fmt_time(pol, s->expires, t, sizeof(t));
		err = rk_add(out, R_AGR_EXPIRED, s->name, s->name, s->expires_loc,
			  "agreement %s expired at %s", s->agreement, t);
	} else if (s->has_expires && s->expires - now <= EXPIRY_WARN) {
		fmt_time(pol, s->expires, t, sizeof(t));
		err = rk_add(out, R_AGR_EXPIRING, s->name, s->name,
			  s->expires_loc,
			  "agreement %s expires at %s, in %lld day(s)",
			  s->agreement, t, days_left(s->expires, now));
	}
	if (!err && s->has_valid_from && s->valid_from > now) {
		fmt_time(pol, s->valid_from, t, sizeof(t));
		err = rk_add(out, R_AGR_FUTURE, s->name, s->name, s->loc,
			  "agreement %s is valid only from %s", s->agreement,
			  t);
	}
	return err;
}

static int check_policy_expiry(const struct mw_policy *pol, int64_t now,
			       struct mw_findings *out)
{
	struct mw_loc at = pol->expires_loc;
	char t[48];

	if (!pol->has_expires)
		return 0;
	fmt_time(pol, pol->expires, t, sizeof(t));
	if (pol->expires <= now)
		return rk_add(out, R_POL_EXPIRED, "", "policy", at,
			   "policy serial %llu expired at %s",
			   (unsigned long long)pol->serial, t);
	if (pol->expires - now <= EXPIRY_WARN)
		return rk_add(out, R_POL_EXPIRING, "", "policy", at,
			   "policy serial %llu expires at %s, in %lld day(s)",
			   (unsigned long long)pol->serial, t,
			   days_left(pol->expires, now));
	return 0;
}

/* ---- system housekeeping --------------------------------------------- */

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

static int check_system_meta(const struct mw_system_spec *s,
			     struct mw_findings *out)
{
	int err = 0;

	if (blank(s->contact))
		err = rk_add(out, R_NO_CONTACT, s->name, s->name, s->loc,
			  "system of %s has no contact for incidents",
			  s->entity);
	if (!err && !s->auto_block.drops_per_min &&
	    !s->auto_block.new_flows_per_sec)
		err = rk_add(out, R_NO_AUTOBLOCK, s->name, s->name, s->loc,
			  "system has no auto_block thresholds");
	if (!err && !s->limits.pps && !s->limits.bps)
		err = rk_add(out, R_NO_LIMITS, s->name, s->name, s->loc,
			  "system has no pps/bps limits");
	return err;
}

/* ---- driver ---------------------------------------------------------- */

static int check_system(const struct mw_policy *pol,
			const struct mw_system_spec *s, int64_t now,
			struct mw_findings *out)
{
	int err;

	err = rk_check_conduits(pol, s, out);
	if (!err)
		err = rk_check_devices(pol, s, out);
	if (!err)
		err = rk_check_overlaps(s, out);
	if (!err)
		err = rk_check_macs(pol, s, out);
	if (!err)
		err = check_agreement(pol, s, now, out);
	if (!err)
		err = check_system_meta(s, out);
	return err;
}

static int loc_cmp(struct mw_loc a, struct mw_loc b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	if (a.col != b.col)
		return a.col < b.col ? -1 : 1;
	return 0;
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct mw_finding *a = pa, *b = pb;
	int c;

	if (a->sev != b->sev)
		return a->sev > b->sev ? -1 : 1;
	c = loc_cmp(a->loc, b->loc);
	if (!c)
		c = strcmp(a->id, b->id);
	if (!c)
		c = strcmp(a->system, b->system);
	if (!c)
		c = strcmp(a->subject, b->subject);
	if (!c)
		c = strcmp(a->msg, b->msg);
	return c;
}

int mw_risk_assess(const struct mw_policy *pol, int64_t now,
		   struct mw_findings *out)
{
	size_t i;
	int err;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!pol)
		return -EINVAL;
	err = check_policy_expiry(pol, now, out);
	for (i = 0; i < pol->n_systems && !err; i++)
		err = check_system(pol, &pol->systems[i], now, out);
	if (err) {
		mw_findings_free(out);
		return err;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), finding_cmp);
	return 0;
}

void mw_findings_free(struct mw_findings *f)
{
	if (!f)
		return;
	free(f->v);
	memset(f, 0, sizeof(*f));
}

enum mw_severity mw_findings_max(const struct mw_findings *f)
{
	enum mw_severity max = MW_SEV_NONE;
	size_t i;

	for (i = 0; f && i < f->n; i++)
		if (f->v[i].sev > max)
			max = f->v[i].sev;
	return max;
}

const char *mw_severity_name(enum mw_severity sev)
{
	switch (sev) {
	case MW_SEV_NONE:
		return "none";
	case MW_SEV_INFO:
		return "info";
	case MW_SEV_LOW:
		return "low";
	case MW_SEV_MEDIUM:
		return "medium";
	case MW_SEV_HIGH:
		return "high";
	case MW_SEV_CRITICAL:
		return "critical";
	}
	return "?";
}

int mw_risk_exit_code(enum mw_severity max)
{
	switch (max) {
	case MW_SEV_MEDIUM:
		return 2;
	case MW_SEV_HIGH:
		return 3;
	case MW_SEV_CRITICAL:
		return 4;
	default:
		return 0;
	}
}

const struct mw_risk_rule *mw_risk_rules(size_t *n)
{
	if (n)
		*n = __R_LAST;
	return rules;
}
