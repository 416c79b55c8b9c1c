// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser: conduits (direction, zones or prefixes, protocol, ports,
 * weekly time window) of a system or a device.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

static const char *const day_names[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", "daily", NULL
};

static const char *const window_keys[] = { "days", "from", "to", NULL };

static const char *const conduit_keys[] = {
	"name", "direction", "zone", "zones", "prefixes", "proto", "ports",
	"window", NULL
};

/* ---------------------------------------------------------------- */
/* Conduits                                                         */

void mwp_conduit_free(struct mw_conduit_spec *cd)
{
	free(cd->zones);
	free(cd->zone_locs);
	free(cd->prefixes);
	free(cd->ports);
}

static int window_day(struct mwp_ctx *c, struct mwp_node *n, uint8_t *days)
{
	char qb[MWP_QUOTE_MAX];
	uint8_t bit;
	int d, err;

	err = mwp_enum(c, n, "window day", day_names, &d);
	if (err)
		return err;
	bit = d == 7 ? 0x7f : (uint8_t)(1U << d);
	if (*days & bit)
		return mwp_err_at(c, mwp_loc(n), "window day %s listed twice",
				  mwp_quote(n, qb));
	*days |= bit;
	return 0;
}

static int window_days(struct mwp_ctx *c, struct mwp_node *n, uint8_t *days)
{
	size_t len, i;
	int err;

	if (n->type == MWP_SCALAR)
		return window_day(c, n, days);
	err = mwp_seq(c, n, "window days", &len);
	if (err)
		return err;
	if (!len)
		return mwp_err_at(c, mwp_loc(n),
				  "window days: expected at least one of mon..sun or daily");
	for (i = 0; i < len && !err; i++)
		err = window_day(c, mwp_item(c, n, i), days);
	return err;
}

static int window_one(struct mwp_ctx *c, struct mwp_node *map,
		      struct mw_window_spec *w)
{
	struct mwp_node *v, *to;
	int err;

	err = mwp_mapping(c, map, "window");
	err = err ?: mwp_check_keys(c, map, window_keys, "window");
	err = err ?: mwp_require(c, map, "from", "window", &v);
	err = err ?: mwp_hhmm(c, v, "window from", &w->from);
	err = err ?: mwp_require(c, map, "to", "window", &to);
	err = err ?: mwp_hhmm(c, to, "window to", &w->to);
	if (err)
		return err;
	if (w->from == w->to)
		return mwp_err_at(c, mwp_loc(to),
				  "invalid window: from and to are both %02u:%02u (an empty or full-day window); use 00:00-24:00 for all day",
				  w->from / 60, w->from % 60);
	v = mwp_get(c, map, "days", NULL);
	if (v) {
		err = window_days(c, v, &w->days);
		if (err)
			return err;
	} else {
		w->days = 0x7f;
	}
	w->set = true;
	w->loc = mwp_loc(map);
	return 0;
}

static int port_num(const char *s, const char *end, uint16_t *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return -2;
	*out = (uint16_t)v;
	return 0;
}

int mwp_port_item(struct mwp_ctx *c, struct mwp_node *n,
		  struct mw_port_range *r)
{
	char qb[MWP_QUOTE_MAX];
	const char *s, *dash;
	int e1, e2;

	if (n->type != MWP_SCALAR)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid port %s: expected an integer 1..65535 or a range \"lo-hi\"",
				  mwp_quote(n, qb));
	s = n->text;
	dash = strchr(s, '-');
	if (!dash) {
		e1 = port_num(s, s + strlen(s), &r->lo);
		r->hi = r->lo;
		e2 = 0;
	} else {
		e1 = port_num(s, dash, &r->lo);
		e2 = port_num(dash + 1, s + strlen(s), &r->hi);
	}
	if (e1 == -1 || e2 == -1)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid port %s: expected an integer 1..65535 or a range \"lo-hi\"",
				  mwp_quote(n, qb));
	if (e1 || e2)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid port %s: ports must be 1..65535",
				  mwp_quote(n, qb));
	if (r->lo > r->hi)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid port range %s: lo > hi",
				  mwp_quote(n, qb));
	return 0;
}

static int conduit_ports(struct mwp_ctx *c, struct mwp_node *map,
			 struct mw_conduit_spec *cd, const char *proto)
{
	struct mwp_node *k, *v = mwp_get(c, map, "ports", &k);
	size_t len, i;
	int err;

	if (!v)
		return 0;
	if (cd->proto != IPPROTO_TCP && cd->proto != IPPROTO_UDP)
		return mwp_err_at(c, mwp_loc(k),
				  "ports are only allowed with proto tcp or udp, not `%s'",
				  proto);
	err = mwp_seq(c, v, "ports", &len);
	if (err)
		return err;
	if (!len)
		return mwp_err_at(c, mwp_loc(v),
				  "ports: expected at least one port (omit the key for any port)");
	cd->ports = calloc(len, sizeof(*cd->ports));
	if (!cd->ports)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		err = mwp_port_item(c, mwp_item(c, v, i), &cd->ports[i]);
		if (err)
			return err;
		cd->n_ports++;
	}
	return 0;
}

static int zone_ref(struct mwp_ctx *c, struct mwp_node *n,
		    struct mw_conduit_spec *cd)
{
	char qb[MWP_QUOTE_MAX];
	size_t i;
	int err;

	err = mwp_name(c, n, "zone", cd->zones[cd->n_zones], MW_NAME_MAX);
	if (err)
		return err;
	if (!strcmp(cd->zones[cd->n_zones], "any"))
		return mwp_err_at(c, mwp_loc(n),
				  "zone `any' must stand alone as `zone: any'");
	if (!mw_policy_zone(c->pol, cd->zones[cd->n_zones]))
		return mwp_err_at(c, mwp_loc(n),
				  "unknown zone %s: no zone of that name is defined",
				  mwp_quote(n, qb));
	for (i = 0; i < cd->n_zones; i++)
		if (!strcmp(cd->zones[i], cd->zones[cd->n_zones]))
			return mwp_err_at(c, mwp_loc(n),
					  "zone %s listed twice in conduit",
					  mwp_quote(n, qb));
	cd->zone_locs[cd->n_zones++] = mwp_loc(n);
	return 0;
}

static int conduit_zone_list(struct mwp_ctx *c, struct mwp_node *zone,
			     struct mwp_node *zones, struct mw_conduit_spec *cd)
{
	size_t len = 1, i;
	int err = 0;

	if (zones) {
		err = mwp_seq(c, zones, "zones", &len);
		if (!err && !len)
			err = mwp_err_at(c, mwp_loc(zones),
					 "zones: expected at least one zone name");
		if (err)
			return err;
	}
	cd->zones = calloc(len, sizeof(*cd->zones));
	cd->zone_locs = calloc(len, sizeof(*cd->zone_locs));
	if (!cd->zones || !cd->zone_locs)
		return -ENOMEM;
	if (zone)
		return zone_ref(c, zone, cd);
	for (i = 0; i < len && !err; i++)
		err = zone_ref(c, mwp_item(c, zones, i), cd);
	return err;
}

static int conduit_prefixes(struct mwp_ctx *c, struct mwp_node *v,
			    struct mw_conduit_spec *cd)
{
	size_t len, i;
	int err;

	err = mwp_seq(c, v, "prefixes", &len);
	if (!err && !len)
		err = mwp_err_at(c, mwp_loc(v),
				 "prefixes: expected at least one prefix");
	if (err)
		return err;
	cd->prefixes = calloc(len, sizeof(*cd->prefixes));
	if (!cd->prefixes)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		err = mwp_prefix(c, mwp_item(c, v, i), "conduit prefix",
				 &cd->prefixes[i]);
		if (err)
			return err;
		cd->n_prefixes++;
	}
	return 0;
}

/* zone | zones | prefixes (zone(s) and prefixes may be combined). */
static int conduit_where(struct mwp_ctx *c, struct mwp_node *map,
			 struct mw_conduit_spec *cd)
{
	struct mwp_node *zk, *zsk, *pk;
	struct mwp_node *zone = mwp_get(c, map, "zone", &zk);
	struct mwp_node *zones = mwp_get(c, map, "zones", &zsk);
	struct mwp_node *pfx = mwp_get(c, map, "prefixes", &pk);
	bool any;
	int err;

	if (!zone && !zones && !pfx)
		return mwp_err_at(c, mwp_loc(map),
				  "missing required key `zone' (or `zones' or `prefixes') in conduit");
	if (zone && zones)
		return mwp_err_at(c, mwp_loc(zk->line > zsk->line ||
					     (zk->line == zsk->line &&
					      zk->col > zsk->col) ? zk : zsk),
				  "use either `zone' or `zones' in a conduit, not both");
	any = zone && zone->type == MWP_SCALAR &&
	      !strcmp(zone->text, "any");
	if (any && pfx)
		return mwp_err_at(c, mwp_loc(pk),
				  "`zone: any' cannot be combined with prefixes");
	if (!any && (zone || zones)) {
		err = conduit_zone_list(c, zone, zones, cd);
		if (err)
			return err;
	}
	return pfx ? conduit_prefixes(c, pfx, cd) : 0;
}

static int conduit_one(struct mwp_ctx *c, struct mwp_node *map, size_t idx,
		       struct mw_conduit_spec *cd, struct mwp_ref *ref)
{
	static const char *const dirs[] = { "inbound", "outbound", NULL };
	static const char *const protos[] = {
		"tcp", "udp", "icmp", "icmpv6", "any", NULL
	};
	static const uint8_t proto_nums[] = {
		IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6,
		MW_ANY_PROTO
	};
	struct mwp_node *v, *name;
	int d, p, err;

	err = mwp_mapping(c, map, "conduit");
	err = err ?: mwp_check_keys(c, map, conduit_keys, "conduit");
	err = err ?: mwp_require(c, map, "direction", "conduit", &v);
	err = err ?: mwp_enum(c, v, "direction", dirs, &d);
	if (err)
		return err;
	cd->loc = mwp_loc(map);
	cd->dir = d ? MW_DIR_OUTBOUND : MW_DIR_INBOUND;
	name = mwp_get(c, map, "name", NULL);
	if (name)
		err = mwp_name(c, name, "conduit name", cd->name,
			       sizeof(cd->name));
	else
		snprintf(cd->name, sizeof(cd->name), "%s-%zu", dirs[d],
			 idx + 1);
	ref->loc = name ? mwp_loc(name) : cd->loc;
	err = err ?: mwp_require(c, map, "proto", "conduit", &v);
	err = err ?: mwp_enum(c, v, "proto", protos, &p);
	if (err)
		return err;
	cd->proto = proto_nums[p];
	err = conduit_where(c, map, cd);
	err = err ?: conduit_ports(c, map, cd, protos[p]);
	if (err)
		return err;
	v = mwp_get(c, map, "window", NULL);
	return v ? window_one(c, v, &cd->window) : 0;
}

int mwp_conduits(struct mwp_ctx *c, struct mwp_node *seq,
			  struct mw_conduit_spec **out, size_t *n)
{
	struct mwp_ref *refs;
	size_t len, i;
	int err;

	err = mwp_seq(c, seq, "conduits", &len);
	if (err)
		return err;
	*out = calloc(len ?: 1, sizeof(**out));
	refs = calloc(len ?: 1, sizeof(*refs));
	if (!*out || !refs) {
		free(refs);
		return -ENOMEM;
	}
	for (i = 0; i < len && !err; i++) {
		(*n)++;
		err = conduit_one(c, mwp_item(c, seq, i), i, &(*out)[i],
				  &refs[i]);
		refs[i].name = (*out)[i].name;
	}
	if (!err)
		err = mwp_unique(c, refs, len, "conduit");
	free(refs);
	return err;
}
