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
 *                     control protocol (table `cleartext' below: telnet,
 *                     ftp, tftp, http, http-alt, snmp, snmp-trap, modbus,
 *                     iec104, dnp3, rexec, rlogin, rsh, vnc); one finding
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

#include "risk.h"

enum rule {
	R_ANY_ANY, R_ZONE_ANY, R_PROTO_ANY, R_WIDE_PORTS,
	R_PREFIX_HIGH, R_PREFIX_MEDIUM,
	R_CLEAR_IN, R_CLEAR_OUT,
	R_AGR_EXPIRED, R_AGR_EXPIRING, R_AGR_FUTURE,
	R_POL_EXPIRED, R_POL_EXPIRING,
	R_NO_CONTACT,
	R_DEV_OVERLAP, R_DEV_IN_ZONE,
	R_MAC_L2ADJ, R_MAC_L2ALL,
	R_NO_AUTOBLOCK, R_NO_LIMITS,
	R_REPLY_PATH, R_REPLY_WIDE,
	__R_LAST
};

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
#define WIDE_PORTS	1024u

/* Cleartext management and control protocols, by well-known port. */
struct cleartext {
	const char *name;
	uint8_t proto;
	uint16_t port;
};

static const struct cleartext cleartext[] = {
	{ "ftp", IPPROTO_TCP, 21 },
	{ "telnet", IPPROTO_TCP, 23 },
	{ "tftp", IPPROTO_UDP, 69 },
	{ "http", IPPROTO_TCP, 80 },
	{ "snmp", IPPROTO_UDP, 161 },
	{ "snmp-trap", IPPROTO_UDP, 162 },
	{ "modbus", IPPROTO_TCP, 502 },
	{ "rexec", IPPROTO_TCP, 512 },
	{ "rlogin", IPPROTO_TCP, 513 },
	{ "rsh", IPPROTO_TCP, 514 },
	{ "iec104", IPPROTO_TCP, 2404 },
	{ "vnc", IPPROTO_TCP, 5900 },
	{ "http-alt", IPPROTO_TCP, 8080 },
	{ "dnp3", IPPROTO_TCP, 20000 },
	{ "dnp3", IPPROTO_UDP, 20000 },
};

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

static void copy_str(char *dst, size_t len, const char *src)
{
	if (snprintf(dst, len, "%s", src) < 0)
		dst[0] = '\0';
}

static int __attribute__((format(printf, 6, 7)))
add(struct mw_findings *out, enum rule r, const char *system,
    const char *subject, struct mw_loc loc, const char *fmt, ...)
{
	struct mw_finding *f;
	va_list ap;
	int err;

	err = push(out, &f);
	if (err)
		return err;
	copy_str(f->id, sizeof(f->id), rules[r].id);
	f->sev = rules[r].sev;
	copy_str(f->system, sizeof(f->system), system);
	copy_str(f->subject, sizeof(f->subject), subject);
	f->loc = loc;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- policy lookups -------------------------------------------------- */

static const struct mw_zone_spec *find_zone(const struct mw_policy *pol,
					    const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_zones; i++)
		if (!strcmp(pol->zones[i].name, name))
			return &pol->zones[i];
	return NULL;
}

static const struct mw_iface_spec *find_iface(const struct mw_policy *pol,
					      const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_ifaces; i++)
		if (!strcmp(pol->ifaces[i].name, name))
			return &pol->ifaces[i];
	return NULL;
}

static bool zone_has_default(const struct mw_zone_spec *z)
{
	size_t i;

	for (i = 0; i < z->n_prefixes; i++)
		if (z->prefixes[i].plen == 0)
			return true;
	return false;
}

static bool conduit_zone_any(const struct mw_policy *pol,
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
		z = find_zone(pol, c->zones[i]);
		if (z && zone_has_default(z))
			return true;
	}
	return false;
}

static bool has_ports(const struct mw_conduit_spec *c)
{
	return c->proto == IPPROTO_TCP || c->proto == IPPROTO_UDP;
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case MW_ANY_PROTO:
		return "any";
	}
	return "?";
}

static const char *dir_name(enum mw_direction dir)
{
	return dir == MW_DIR_OUTBOUND ? "outbound" : "inbound";
}

/* A conduit's subject: its name, or "device/name" for a device's own. */
static void conduit_subject(char *buf, size_t len,
			    const struct mw_device_spec *dev,
			    const struct mw_conduit_spec *c)
{
	int n;

	if (!dev) {
		copy_str(buf, len, c->name);
		return;
	}
	n = snprintf(buf, len, "%s/%s", dev->name, c->name);
	if (n < 0)
		buf[0] = '\0';
}

/* ---- conduits: width and cleartext ----------------------------------- */

static int check_zone_proto(const struct mw_policy *pol, const char *sys,
			    const char *subj, const struct mw_conduit_spec *c,
			    struct mw_findings *out)
{
	bool zone_any = conduit_zone_any(pol, c);
	bool proto_any = c->proto == MW_ANY_PROTO;
	const char *dir = dir_name(c->dir);

	if (zone_any && proto_any)
		return add(out, R_ANY_ANY, sys, subj, c->loc,
			   "%s conduit allows any protocol to any address",
			   dir);
	if (zone_any)
		return add(out, R_ZONE_ANY, sys, subj, c->loc,
			   "%s %s conduit is not restricted to a zone", dir,
			   proto_name(c->proto));
	if (proto_any)
		return add(out, R_PROTO_ANY, sys, subj, c->loc,
			   "%s conduit allows any protocol", dir);
	return 0;
}

static int check_ports(const char *sys, const char *subj,
		       const struct mw_conduit_spec *c,
		       struct mw_findings *out)
{
	const struct mw_port_range *r;
	size_t i;

	if (!has_ports(c))
		return 0;
	if (!c->n_ports)
		return add(out, R_WIDE_PORTS, sys, subj, c->loc,
			   "%s %s conduit allows every port", dir_name(c->dir),
			   proto_name(c->proto));
	for (i = 0; i < c->n_ports; i++) {
		r = &c->ports[i];
		if ((unsigned int)r->hi - r->lo + 1 > WIDE_PORTS)
			return add(out, R_WIDE_PORTS, sys, subj, c->loc,
				   "%s %s conduit allows ports %u-%u "
				   "(%u ports)",
				   dir_name(c->dir), proto_name(c->proto),
				   r->lo, r->hi, r->hi - r->lo + 1u);
	}
	return 0;
}

static bool conduit_admits(const struct mw_conduit_spec *c,
			   const struct cleartext *ct)
{
	size_t i;

	if (c->proto != ct->proto && c->proto != MW_ANY_PROTO)
		return false;
	if (!c->n_ports)
		return true;
	for (i = 0; i < c->n_ports; i++)
		if (c->ports[i].lo <= ct->port && ct->port <= c->ports[i].hi)
			return true;
	return false;
}

/* Append ", item" to @buf; once an item does not fit, end with " ...". */
static void list_add(char *buf, size_t size, size_t *len, const char *item)
{
	static const char more[] = " ...";
	int n;

	if (*len >= size)
		return;
	n = snprintf(buf + *len, size - *len, "%s %s", *len ? "," : "", item);
	if (n > 0 && (size_t)n + sizeof(more) <= size - *len) {
		*len += (size_t)n;
		return;
	}
	buf[*len] = '\0';
	if (strlen(buf) + sizeof(more) <= size)
		strcat(buf, more);
	*len = size;
}

static int check_cleartext(const char *sys, const char *subj,
			   const struct mw_conduit_spec *c,
			   struct mw_findings *out)
{
	char list[208] = "", item[40];
	size_t i, len = 0;

	if (!has_ports(c) && c->proto != MW_ANY_PROTO)
		return 0;
	for (i = 0; i < sizeof(cleartext) / sizeof(cleartext[0]); i++) {
		const struct cleartext *ct = &cleartext[i];

		if (!conduit_admits(c, ct))
			continue;
		snprintf(item, sizeof(item), "%s %s/%u", ct->name,
			 proto_name(ct->proto), ct->port);
		list_add(list, sizeof(list), &len, item);
	}
	if (!len)
		return 0;
	return add(out, c->dir == MW_DIR_INBOUND ? R_CLEAR_IN : R_CLEAR_OUT,
		   sys, subj, c->loc, "%s conduit admits cleartext:%s",
		   dir_name(c->dir), list);
}

/* ---- conduits: stateless replies ------------------------------------ */

/* What a stateless reply to conduit c may be, apart from its ports. */
static const char *reply_kind(const struct mw_conduit_spec *c)
{
	switch (c->proto) {
	case IPPROTO_TCP:
		return "tcp with ACK";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp echo replies";
	case IPPROTO_ICMPV6:
		return "icmpv6 echo replies";
	case MW_ANY_PROTO:
		return "anything but a tcp SYN or an icmp request";
	}
	return "its protocol";
}

/* "zone a, zone b, 192.0.2.0/24" or "any address". */
static void conduit_zones(const struct mw_policy *pol,
			  const struct mw_conduit_spec *c, char *buf,
			  size_t size)
{
	char item[MW_NAME_MAX + 8];
	size_t i, len = 0;

	buf[0] = '\0';
	if (conduit_zone_any(pol, c)) {
		copy_str(buf, size, "any address");
		return;
	}
	for (i = 0; i < c->n_zones; i++) {
		snprintf(item, sizeof(item), "zone %s", c->zones[i]);
		list_add(buf, size, &len, item);
	}
	for (i = 0; i < c->n_prefixes; i++) {
		mw_prefix_format(&c->prefixes[i], item, sizeof(item));
		list_add(buf, size, &len, item);
	}
	/* list_add separates with ", " and starts with a blank */
	if (buf[0] == ' ')
		memmove(buf, buf + 1, strlen(buf));
}

/*
 * XDP takes a packet from a device's conduit port to a reply port for a
 * reply to an outbound conduit, without state (doc/datapath.md, step
 * 12): where it enforces alone, that is an inbound path of its own.
 */
static int check_reply_path(const struct mw_policy *pol, const char *sys,
			    const char *subj, const struct mw_conduit_spec *c,
			    struct mw_findings *out)
{
	bool wide = c->proto == MW_ANY_PROTO || (has_ports(c) && !c->n_ports);
	char from[80] = "", zones[96], item[16];
	uint16_t lo = pol->reply_ports.lo, hi = pol->reply_ports.hi;
	size_t i, len = 0;

	if (c->dir != MW_DIR_OUTBOUND)
		return 0;
	if (!lo)
		lo = MW_REPLY_PORT_LO, hi = MW_REPLY_PORT_HI;
	for (i = 0; i < c->n_ports; i++) {
		if (c->ports[i].lo == c->ports[i].hi)
			snprintf(item, sizeof(item), "%u", c->ports[i].lo);
		else
			snprintf(item, sizeof(item), "%u-%u", c->ports[i].lo,
				 c->ports[i].hi);
		list_add(from, sizeof(from), &len, item);
	}
	conduit_zones(pol, c, zones, sizeof(zones));
	if (!has_ports(c) && c->proto != MW_ANY_PROTO)
		return add(out, R_REPLY_PATH, sys, subj, c->loc,
			   "outbound conduit %s/%s opens a stateless inbound "
			   "path in XDP-only deployments: its devices may send "
			   "%s to %s, unasked", sys, subj, reply_kind(c),
			   zones);
	return add(out, wide ? R_REPLY_WIDE : R_REPLY_PATH, sys, subj, c->loc,
		   "outbound conduit %s/%s opens a stateless inbound path in "
		   "XDP-only deployments: its devices may send %s to %s "
		   "(%sfrom %s%s to ports %u-%u), unasked", sys, subj,
		   reply_kind(c), zones, has_ports(c) ? "" : "tcp/udp ",
		   len ? (c->n_ports > 1 ? "ports" : "port") : "any port",
		   from, lo, hi);
}

static int check_conduit(const struct mw_policy *pol, const char *sys,
			 const struct mw_device_spec *dev,
			 const struct mw_conduit_spec *c,
			 struct mw_findings *out)
{
	char subj[sizeof(((struct mw_finding *)0)->subject)];
	int err;

	conduit_subject(subj, sizeof(subj), dev, c);
	err = check_zone_proto(pol, sys, subj, c, out);
	if (!err)
		err = check_ports(sys, subj, c, out);
	if (!err)
		err = check_cleartext(sys, subj, c, out);
	if (!err)
		err = check_reply_path(pol, sys, subj, c, out);
	return err;
}

static int check_conduits(const struct mw_policy *pol,
			  const struct mw_system_spec *s,
			  struct mw_findings *out)
{
	const struct mw_device_spec *d;
	size_t i, j;
	int err;

	for (i = 0; i < s->n_conduits; i++) {
		err = check_conduit(pol, s->name, NULL, &s->conduits[i], out);
		if (err)
			return err;
	}
	for (i = 0; i < s->n_devices; i++) {
		d = &s->devices[i];
		for (j = 0; j < d->n_conduits; j++) {
			err = check_conduit(pol, s->name, d, &d->conduits[j],
					    out);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- device prefixes ------------------------------------------------- */

static int check_prefix_width(const struct mw_system_spec *s,
			      const struct mw_device_spec *d,
			      const struct mw_prefix *p,
			      struct mw_findings *out)
{
	bool v4 = p->family == AF_INET;
	unsigned int high = v4 ? 24 : 64, medium = v4 ? 28 : 120;
	char a[64];

	if (p->plen >= medium)
		return 0;
	mw_prefix_format(p, a, sizeof(a));
	return add(out, p->plen < high ? R_PREFIX_HIGH : R_PREFIX_MEDIUM,
		   s->name, d->name, p->loc,
		   "device address %s is wider than /%u", a,
		   p->plen < high ? high : medium);
}

static int check_in_zones(const struct mw_policy *pol,
			  const struct mw_system_spec *s,
			  const struct mw_device_spec *d,
			  const struct mw_prefix *p, struct mw_findings *out)
{
	const struct mw_zone_spec *z;
	char a[64], b[64];
	size_t i, j;

	for (i = 0; i < pol->n_zones; i++) {
		z = &pol->zones[i];
		for (j = 0; j < z->n_prefixes; j++) {
			if (!mw_prefix_overlap(p, &z->prefixes[j]))
				continue;
			mw_prefix_format(p, a, sizeof(a));
			mw_prefix_format(&z->prefixes[j], b, sizeof(b));
			return add(out, R_DEV_IN_ZONE, s->name, d->name, p->loc,
				   "device address %s overlaps %s of zone %s",
				   a, b, z->name);
		}
	}
	return 0;
}

static int check_devices(const struct mw_policy *pol,
			 const struct mw_system_spec *s,
			 struct mw_findings *out)
{
	const struct mw_device_spec *d;
	size_t i, j;
	int err;

	for (i = 0; i < s->n_devices; i++) {
		d = &s->devices[i];
		for (j = 0; j < d->n_addrs; j++) {
			err = check_prefix_width(s, d, &d->addrs[j], out);
			if (!err)
				err = check_in_zones(pol, s, d, &d->addrs[j],
						     out);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Overlaps between devices of one system.  Sorted by (family, address,
 * length), a prefix's enclosing prefixes precede it and form a chain, so
 * a stack finds every overlap in O(n log n).
 */
struct addr_ent {
	const struct mw_prefix *p;
	const struct mw_device_spec *dev;
};

static int addr_ent_cmp(const void *a, const void *b)
{
	const struct mw_prefix *x = ((const struct addr_ent *)a)->p;
	const struct mw_prefix *y = ((const struct addr_ent *)b)->p;

	return mw_prefix_cmp(x->family, x->addr, x->plen, y->family, y->addr,
			     y->plen);
}

static struct addr_ent *collect_addrs(const struct mw_system_spec *s,
				      size_t *n)
{
	struct addr_ent *v;
	size_t i, j, k = 0;

	for (i = 0; i < s->n_devices; i++)
		k += s->devices[i].n_addrs;
	v = calloc(k ? k : 1, sizeof(*v));
	if (!v)
		return NULL;
	k = 0;
	for (i = 0; i < s->n_devices; i++)
		for (j = 0; j < s->devices[i].n_addrs; j++) {
			v[k].p = &s->devices[i].addrs[j];
			v[k++].dev = &s->devices[i];
		}
	qsort(v, k, sizeof(*v), addr_ent_cmp);
	*n = k;
	return v;
}

static int report_overlap(const struct mw_system_spec *s,
			  const struct addr_ent *in,
			  const struct addr_ent *encl,
			  struct mw_findings *out)
{
	char a[64], b[64];

	mw_prefix_format(in->p, a, sizeof(a));
	mw_prefix_format(encl->p, b, sizeof(b));
	return add(out, R_DEV_OVERLAP, s->name, in->dev->name, in->p->loc,
		   "device address %s overlaps %s of device %s", a, b,
		   encl->dev->name);
}

static int check_overlaps(const struct mw_system_spec *s,
			  struct mw_findings *out)
{
	struct addr_ent *v, **stack;
	size_t n = 0, depth = 0, i, k;
	int err = 0;

	v = collect_addrs(s, &n);
	stack = calloc(n ? n : 1, sizeof(*stack));
	if (!v || !stack) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		while (depth &&
		       !mw_prefix_contains(stack[depth - 1]->p, v[i].p))
			depth--;
		for (k = depth; k > 0; k--) {
			if (stack[k - 1]->dev != v[i].dev) {
				err = report_overlap(s, &v[i], stack[k - 1],
						     out);
				break;
			}
		}
		stack[depth++] = &v[i];
	}
out:
	free(stack);
	free(v);
	return err;
}

/* ---- MAC binding ----------------------------------------------------- */

static bool zone_l2_reached(const struct mw_policy *pol,
			    const struct mw_conduit_spec *c,
			    const struct mw_zone_spec *z)
{
	size_t i, j;

	if (conduit_zone_any(pol, c))
		return true;
	for (i = 0; i < c->n_zones; i++)
		if (!strcmp(c->zones[i], z->name))
			return true;
	for (i = 0; i < c->n_prefixes; i++)
		for (j = 0; j < z->n_prefixes; j++)
			if (mw_prefix_overlap(&c->prefixes[i],
					      &z->prefixes[j]))
				return true;
	return false;
}

/* The first l2_adjacent zone one of @n conduits reaches, or NULL. */
static const struct mw_zone_spec *
l2_zone_reached(const struct mw_policy *pol, const struct mw_conduit_spec *c,
		size_t n, const struct mw_conduit_spec **via)
{
	const struct mw_zone_spec *z;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < pol->n_zones; j++) {
			z = &pol->zones[j];
			if (z->l2_adjacent && zone_l2_reached(pol, &c[i], z)) {
				*via = &c[i];
				return z;
			}
		}
	}
	return NULL;
}

static int report_mac_l2adj(const struct mw_system_spec *s,
			    const struct mw_device_spec *d,
			    const struct mw_conduit_spec *via,
			    const struct mw_zone_spec *z,
			    struct mw_findings *out)
{
	return add(out, R_MAC_L2ADJ, s->name, d->name, d->loc,
		   "device has no MAC binding and conduit %s reaches "
		   "L2-adjacent zone %s", via->name, z->name);
}

static const char *l2_all_name(const struct mw_iface_spec *ifc)
{
	if (!ifc)
		return NULL;
	if (ifc->arp == MW_L2_ALL && ifc->nd == MW_L2_ALL)
		return "ARP and ND";
	if (ifc->arp == MW_L2_ALL)
		return "ARP";
	return ifc->nd == MW_L2_ALL ? "ND" : NULL;
}

static int check_macs(const struct mw_policy *pol,
		      const struct mw_system_spec *s, struct mw_findings *out)
{
	const struct mw_iface_spec *ifc = find_iface(pol, s->iface);
	const char *l2_all = l2_all_name(ifc);
	const struct mw_conduit_spec *sys_via = NULL, *via = NULL;
	const struct mw_zone_spec *sys_z, *z;
	const struct mw_device_spec *d;
	size_t i;
	int err = 0;

	/* Devices without overrides share the system's answer. */
	sys_z = l2_zone_reached(pol, s->conduits, s->n_conduits, &sys_via);
	for (i = 0; i < s->n_devices && !err; i++) {
		d = &s->devices[i];
		if (d->has_mac)
			continue;
		z = sys_z;
		via = sys_via;
		if (d->override)
			z = l2_zone_reached(pol, d->conduits, d->n_conduits,
					    &via);
		if (z)
			err = report_mac_l2adj(s, d, via, z, out);
		if (!err && l2_all)
			err = add(out, R_MAC_L2ALL, s->name, d->name, d->loc,
				  "device has no MAC binding and interface %s "
				  "passes %s from any host", ifc->name, l2_all);
	}
	return err;
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
		err = add(out, R_AGR_EXPIRED, s->name, s->name, s->expires_loc,
			  "agreement %s expired at %s", s->agreement, t);
	} else if (s->has_expires && s->expires - now <= EXPIRY_WARN) {
		fmt_time(pol, s->expires, t, sizeof(t));
		err = add(out, R_AGR_EXPIRING, s->name, s->name,
			  s->expires_loc,
			  "agreement %s expires at %s, in %lld day(s)",
			  s->agreement, t, days_left(s->expires, now));
	}
	if (!err && s->has_valid_from && s->valid_from > now) {
		fmt_time(pol, s->valid_from, t, sizeof(t));
		err = add(out, R_AGR_FUTURE, s->name, s->name, s->loc,
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
		return add(out, R_POL_EXPIRED, "", "policy", at,
			   "policy serial %llu expired at %s",
			   (unsigned long long)pol->serial, t);
	if (pol->expires - now <= EXPIRY_WARN)
		return add(out, R_POL_EXPIRING, "", "policy", at,
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
		err = add(out, R_NO_CONTACT, s->name, s->name, s->loc,
			  "system of %s has no contact for incidents",
			  s->entity);
	if (!err && !s->auto_block.drops_per_min &&
	    !s->auto_block.new_flows_per_sec)
		err = add(out, R_NO_AUTOBLOCK, s->name, s->name, s->loc,
			  "system has no auto_block thresholds");
	if (!err && !s->limits.pps && !s->limits.bps)
		err = add(out, R_NO_LIMITS, s->name, s->name, s->loc,
			  "system has no pps/bps limits");
	return err;
}

/* ---- driver ---------------------------------------------------------- */

static int check_system(const struct mw_policy *pol,
			const struct mw_system_spec *s, int64_t now,
			struct mw_findings *out)
{
	int err;

	err = check_conduits(pol, s, out);
	if (!err)
		err = check_devices(pol, s, out);
	if (!err)
		err = check_overlaps(s, out);
	if (!err)
		err = check_macs(pol, s, out);
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
