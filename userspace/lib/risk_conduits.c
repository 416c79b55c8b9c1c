// SPDX-License-Identifier: GPL-2.0
/*
 * Risk rules on conduits (risk.c describes every rule): width (MW-R001..
 * R004), cleartext management protocols (MW-R020, R021), the stateless
 * reply path XDP opens for outbound conduits (MW-R080, R081).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "risk_int.h"

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

/* ---- conduits: width and cleartext ----------------------------------- */

static int check_zone_proto(const struct mw_policy *pol, const char *sys,
			    const char *subj, const struct mw_conduit_spec *c,
			    struct mw_findings *out)
{
	bool zone_any = rk_conduit_zone_any(pol, c);
	bool proto_any = c->proto == MW_ANY_PROTO;
	const char *dir = rk_dir_name(c->dir);

	if (zone_any && proto_any)
		return rk_add(out, R_ANY_ANY, sys, subj, c->loc,
			   "%s conduit allows any protocol to any address",
			   dir);
	if (zone_any)
		return rk_add(out, R_ZONE_ANY, sys, subj, c->loc,
			   "%s %s conduit is not restricted to a zone", dir,
			   rk_proto_name(c->proto));
	if (proto_any)
		return rk_add(out, R_PROTO_ANY, sys, subj, c->loc,
			   "%s conduit allows any protocol", dir);
	return 0;
}

static int check_ports(const char *sys, const char *subj,
		       const struct mw_conduit_spec *c,
		       struct mw_findings *out)
{
	const struct mw_port_range *r;
	size_t i;

	if (!rk_has_ports(c))
		return 0;
	if (!c->n_ports)
		return rk_add(out, R_WIDE_PORTS, sys, subj, c->loc,
			   "%s %s conduit allows every port", rk_dir_name(c->dir),
			   rk_proto_name(c->proto));
	for (i = 0; i < c->n_ports; i++) {
		r = &c->ports[i];
		if ((unsigned int)r->hi - r->lo + 1 > WIDE_PORTS)
			return rk_add(out, R_WIDE_PORTS, sys, subj, c->loc,
				   "%s %s conduit allows ports %u-%u "
				   "(%u ports)",
				   rk_dir_name(c->dir), rk_proto_name(c->proto),
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

	if (!rk_has_ports(c) && c->proto != MW_ANY_PROTO)
		return 0;
	for (i = 0; i < sizeof(cleartext) / sizeof(cleartext[0]); i++) {
		const struct cleartext *ct = &cleartext[i];

		if (!conduit_admits(c, ct))
			continue;
		snprintf(item, sizeof(item), "%s %s/%u", ct->name,
			 rk_proto_name(ct->proto), ct->port);
		list_add(list, sizeof(list), &len, item);
	}
	if (!len)
		return 0;
	return rk_add(out, c->dir == MW_DIR_INBOUND ? R_CLEAR_IN : R_CLEAR_OUT,
		   sys, subj, c->loc, "%s conduit admits cleartext:%s",
		   rk_dir_name(c->dir), list);
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
	if (rk_conduit_zone_any(pol, c)) {
		rk_copy_str(buf, size, "any address");
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
	bool wide = c->proto == MW_ANY_PROTO || (rk_has_ports(c) && !c->n_ports);
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
	if (!rk_has_ports(c) && c->proto != MW_ANY_PROTO)
		return rk_add(out, R_REPLY_PATH, sys, subj, c->loc,
			   "outbound conduit %s/%s opens a stateless inbound "
			   "path in XDP-only deployments: its devices may send "
			   "%s to %s, unasked", sys, subj, reply_kind(c),
			   zones);
	return rk_add(out, wide ? R_REPLY_WIDE : R_REPLY_PATH, sys, subj, c->loc,
		   "outbound conduit %s/%s opens a stateless inbound path in "
		   "XDP-only deployments: its devices may send %s to %s "
		   "(%sfrom %s%s to ports %u-%u), unasked", sys, subj,
		   reply_kind(c), zones, rk_has_ports(c) ? "" : "tcp/udp ",
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

	rk_conduit_subject(subj, sizeof(subj), dev, c);
	err = check_zone_proto(pol, sys, subj, c, out);
	if (!err)
		err = check_ports(sys, subj, c, out);
	if (!err)
		err = check_cleartext(sys, subj, c, out);
	if (!err)
		err = check_reply_path(pol, sys, subj, c, out);
	return err;
}

int rk_check_conduits(const struct mw_policy *pol,
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
