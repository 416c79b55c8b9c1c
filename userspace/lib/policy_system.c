// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser, second half: systems, their devices and conduits, and
 * the policy-wide checks on them (unique names, device addresses that
 * are repeated or overlap between systems).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

static const char *const system_keys[] = {
	"name", "entity", "contact", "agreement", "valid_from", "expires",
	"interface", "limits", "auto_block", "two_person", "devices",
	"conduits", NULL
};

static const char *const device_keys[] = {
	"name", "addresses", "mac", "conduits", NULL
};

static const char *const limit_keys[] = { "pps", "bps", NULL };
static const char *const ab_keys[] = {
	"drops_per_min", "new_flows_per_sec", "block_for",
	"scan_targets_per_min", "over_limits_secs", "scope", NULL
};

/* ---------------------------------------------------------------- */
/* Devices                                                          */

static int device_addrs(struct mwp_ctx *c, struct mwp_node *v,
			struct mw_device_spec *dev)
{
	size_t len, i;
	int err;

	err = mwp_seq(c, v, "addresses", &len);
	if (!err && !len)
		err = mwp_err_at(c, mwp_loc(v),
				 "addresses: device `%s' needs at least one address",
				 dev->name);
	if (err)
		return err;
	dev->addrs = calloc(len, sizeof(*dev->addrs));
	if (!dev->addrs)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		err = mwp_prefix(c, mwp_item(c, v, i), "device address",
				 &dev->addrs[i]);
		if (err)
			return err;
		dev->n_addrs++;
	}
	return 0;
}

static int device_mac(struct mwp_ctx *c, struct mwp_node *v,
		      struct mw_device_spec *dev)
{
	char buf[32], qb[MWP_QUOTE_MAX];
	int err;

	err = mwp_str(c, v, "mac", buf, sizeof(buf));
	if (err == -EINVAL && v->type == MWP_SCALAR)
		goto bad;
	if (err)
		return err;
	if (mw_mac_parse(buf, dev->mac))
		goto bad;
	dev->has_mac = true;
	return 0;
bad:
	return mwp_err_at(c, mwp_loc(v),
			  "invalid MAC address %s: expected six hex octets like \"02:00:5e:10:00:01\"",
			  mwp_quote(v, qb));
}

static int device_one(struct mwp_ctx *c, struct mwp_node *map,
		      struct mw_device_spec *dev)
{
	struct mwp_node *v;
	int err;

	err = mwp_mapping(c, map, "device");
	err = err ?: mwp_check_keys(c, map, device_keys, "device");
	err = err ?: mwp_require(c, map, "name", "device", &v);
	err = err ?: mwp_name(c, v, "device name", dev->name,
			      sizeof(dev->name));
	if (err)
		return err;
	dev->loc = mwp_loc(v);
	err = mwp_require(c, map, "addresses", "device", &v);
	err = err ?: device_addrs(c, v, dev);
	if (err)
		return err;
	v = mwp_get(c, map, "mac", NULL);
	if (v && (err = device_mac(c, v, dev)))
		return err;
	v = mwp_get(c, map, "conduits", NULL);
	if (!v)
		return 0;
	dev->override = true;
	return mwp_conduits(c, v, &dev->conduits, &dev->n_conduits);
}

static int parse_devices(struct mwp_ctx *c, struct mwp_node *seq,
			 struct mw_system_spec *s)
{
	size_t len, i;
	int err;

	err = mwp_seq(c, seq, "devices", &len);
	if (!err && !len)
		err = mwp_err_at(c, mwp_loc(seq),
				 "devices: system `%s' needs at least one device",
				 s->name);
	if (err)
		return err;
	s->devices = calloc(len, sizeof(*s->devices));
	if (!s->devices)
		return -ENOMEM;
	for (i = 0; i < len && !err; i++) {
		s->n_devices++;
		err = device_one(c, mwp_item(c, seq, i), &s->devices[i]);
	}
	return err;
}

/* ---------------------------------------------------------------- */
/* Systems                                                          */

static int system_limits(struct mwp_ctx *c, struct mwp_node *map,
			 struct mw_system_spec *s)
{
	struct mwp_node *v;
	int err;

	err = mwp_mapping(c, map, "limits");
	err = err ?: mwp_check_keys(c, map, limit_keys, "limits");
	if (err)
		return err;
	v = mwp_get(c, map, "pps", NULL);
	if (v && (err = mwp_u64(c, v, "limits.pps", 0, MW_LIMIT_PPS_MAX,
				&s->limits.pps)))
		return err;
	v = mwp_get(c, map, "bps", NULL);
	return v ? mwp_u64(c, v, "limits.bps", 0, MW_LIMIT_BPS_MAX,
			   &s->limits.bps) : 0;
}

static const char *const ab_scopes[] = { "system", "device", NULL };

static int system_auto_block(struct mwp_ctx *c, struct mwp_node *map,
			     struct mw_system_spec *s)
{
	struct mw_auto_block *ab = &s->auto_block;
	uint32_t *dst[] = { &ab->drops_per_min, &ab->new_flows_per_sec,
			    &ab->block_for, &ab->scan_targets_per_min };
	struct mwp_node *v;
	char what[64];
	uint64_t secs;
	int i, scope, err;

	err = mwp_mapping(c, map, "auto_block");
	err = err ?: mwp_check_keys(c, map, ab_keys, "auto_block");
	for (i = 0; i < 4 && !err; i++) {
		v = mwp_get(c, map, ab_keys[i], NULL);
		snprintf(what, sizeof(what), "auto_block.%s", ab_keys[i]);
		if (v)
			err = mwp_u32(c, v, what, dst[i]);
	}
	v = err ? NULL : mwp_get(c, map, "over_limits_secs", NULL);
	if (v && !(err = mwp_u64(c, v, "auto_block.over_limits_secs", 0, 60,
				 &secs)))
		ab->over_limits_secs = (uint32_t)secs;
	v = err ? NULL : mwp_get(c, map, "scope", NULL);
	if (v && !(err = mwp_enum(c, v, "auto_block.scope", ab_scopes, &scope)))
		ab->device = scope == 1;
	return err;
}

static int system_dates(struct mwp_ctx *c, struct mwp_node *map,
			struct mw_system_spec *s)
{
	struct mwp_node *from = mwp_get(c, map, "valid_from", NULL);
	struct mwp_node *exp = mwp_get(c, map, "expires", NULL);
	char qb[MWP_QUOTE_MAX];
	int err;

	if (from && (err = mwp_date(c, from, "valid_from", false,
				    &s->valid_from)))
		return err;
	if (exp && (err = mwp_date(c, exp, "expires", true, &s->expires)))
		return err;
	s->has_valid_from = from != NULL;
	s->has_expires = exp != NULL;
	s->expires_loc = mwp_loc(exp);
	if (from && exp && s->valid_from >= s->expires)
		return mwp_err_at(c, mwp_loc(exp),
				  "invalid expires %s: must be after valid_from (line %d)",
				  mwp_quote(exp, qb), mwp_loc(from).line);
	return 0;
}

static int system_iface(struct mwp_ctx *c, struct mwp_node *v,
			struct mw_system_spec *s)
{
	char qb[MWP_QUOTE_MAX];
	int idx, err;

	err = mwp_name(c, v, "interface", s->iface, sizeof(s->iface));
	if (err)
		return err;
	idx = mw_policy_iface_index(c->pol, s->iface);
	if (idx < 0)
		return mwp_err_at(c, mwp_loc(v),
				  "unknown interface %s: not listed under interfaces",
				  mwp_quote(v, qb));
	if (c->pol->ifaces[idx].zone != MW_ZONE_EXTERNAL)
		return mwp_err_at(c, mwp_loc(v),
				  "interface %s is not external: a system must be demarcated on an external interface",
				  mwp_quote(v, qb));
	return 0;
}

static int system_one(struct mwp_ctx *c, struct mwp_node *map,
		      struct mw_system_spec *s)
{
	struct mwp_node *v;
	int err;

	err = mwp_mapping(c, map, "system");
	err = err ?: mwp_check_keys(c, map, system_keys, "system");
	err = err ?: mwp_require(c, map, "name", "system", &v);
	err = err ?: mwp_name(c, v, "system name", s->name, sizeof(s->name));
	if (err)
		return err;
	s->loc = mwp_loc(v);
	err = err ?: mwp_require(c, map, "entity", "system", &v);
	err = err ?: mwp_str(c, v, "entity", s->entity, sizeof(s->entity));
	err = err ?: mwp_require(c, map, "agreement", "system", &v);
	err = err ?: mwp_str(c, v, "agreement", s->agreement,
			     sizeof(s->agreement));
	err = err ?: mwp_require(c, map, "interface", "system", &v);
	err = err ?: system_iface(c, v, s);
	err = err ?: system_dates(c, map, s);
	if (err)
		return err;
	v = mwp_get(c, map, "contact", NULL);
	if (v && (err = mwp_str(c, v, "contact", s->contact,
				sizeof(s->contact))))
		return err;
	v = mwp_get(c, map, "limits", NULL);
	if (v && (err = system_limits(c, v, s)))
		return err;
	v = mwp_get(c, map, "auto_block", NULL);
	if (v && (err = system_auto_block(c, v, s)))
		return err;
	v = mwp_get(c, map, "two_person", NULL);
	if (v && (err = mwp_bool(c, v, "two_person", &s->two_person)))
		return err;
	v = mwp_get(c, map, "conduits", NULL);
	if (v && (err = mwp_conduits(c, v, &s->conduits, &s->n_conduits)))
		return err;
	err = mwp_require(c, map, "devices", "system", &v);
	return err ?: parse_devices(c, v, s);
}

void mwp_system_free(struct mw_system_spec *s)
{
	size_t i, j;

	for (i = 0; i < s->n_devices; i++) {
		struct mw_device_spec *d = &s->devices[i];

		for (j = 0; j < d->n_conduits; j++)
			mwp_conduit_free(&d->conduits[j]);
		free(d->conduits);
		free(d->addrs);
	}
	for (i = 0; i < s->n_conduits; i++)
		mwp_conduit_free(&s->conduits[i]);
	free(s->devices);
	free(s->conduits);
}

/* ---------------------------------------------------------------- */
/* Policy-wide checks                                               */

static int unique_names(struct mwp_ctx *c)
{
	struct mw_policy *pol = c->pol;
	struct mwp_ref *refs;
	size_t i, j, n = 0;
	int err;

	for (i = 0; i < pol->n_systems; i++)
		n += pol->systems[i].n_devices;
	refs = calloc((n > pol->n_systems ? n : pol->n_systems) ?: 1,
		      sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (i = 0; i < pol->n_systems; i++) {
		refs[i].name = pol->systems[i].name;
		refs[i].loc = pol->systems[i].loc;
	}
	err = mwp_unique(c, refs, pol->n_systems, "system");
	for (i = 0, n = 0; i < pol->n_systems && !err; i++) {
		for (j = 0; j < pol->systems[i].n_devices; j++) {
			refs[n].name = pol->systems[i].devices[j].name;
			refs[n++].loc = pol->systems[i].devices[j].loc;
		}
	}
	if (!err)
		err = mwp_unique(c, refs, n, "device");
	free(refs);
	return err;
}

struct addr_ref {
	const struct mw_prefix *p;
	const struct mw_system_spec *sys;
	const struct mw_device_spec *dev;
};

static int addr_cmp(const void *a, const void *b)
{
	const struct mw_prefix *x = ((const struct addr_ref *)a)->p;
	const struct mw_prefix *y = ((const struct addr_ref *)b)->p;
	int r;

	if (x->family != y->family)
		return x->family - y->family;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	if (x->plen != y->plen)
		return x->plen - y->plen;
	if (x->loc.line != y->loc.line)
		return x->loc.line - y->loc.line;
	return x->loc.col - y->loc.col;
}

static bool loc_before(struct mw_loc a, struct mw_loc b)
{
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

/* Error at whichever of the two comes later in the file. */
static int addr_clash(struct mwp_ctx *c, const struct addr_ref *a,
		      const struct addr_ref *b)
{
	char as[64], bs[64], qa[MWP_QUOTE_MAX], qb[MWP_QUOTE_MAX];
	bool same = a->p->plen == b->p->plen;

	if (loc_before(b->p->loc, a->p->loc)) {
		const struct addr_ref *t = a;

		a = b;
		b = t;
	}
	mw_prefix_format(a->p, as, sizeof(as));
	mw_prefix_format(b->p, bs, sizeof(bs));
	mwp_quote_str(bs, qb);
	mwp_quote_str(as, qa);
	if (same)
		return mwp_err_at(c, b->p->loc,
				  "device address %s is used twice (first by device `%s' at line %d)",
				  qb, a->dev->name, a->p->loc.line);
	return mwp_err_at(c, b->p->loc,
			  "device address %s of system `%s' overlaps %s of device `%s' of system `%s' (line %d)",
			  qb, b->sys->name, qa, a->dev->name, a->sys->name,
			  a->p->loc.line);
}

/* Sorted by address then length, a prefix's containers are on the stack. */
static int check_sorted_addrs(struct mwp_ctx *c, struct addr_ref *v,
			      size_t n)
{
	struct addr_ref *stack[130];
	size_t depth = 0, i, j;

	for (i = 0; i < n; i++) {
		while (depth &&
		       !mw_prefix_contains(stack[depth - 1]->p, v[i].p))
			depth--;
		for (j = 0; j < depth; j++) {
			if (stack[j]->p->plen == v[i].p->plen ||
			    stack[j]->sys != v[i].sys)
				return addr_clash(c, stack[j], &v[i]);
		}
		stack[depth++] = &v[i];
	}
	return 0;
}

static int check_addrs(struct mwp_ctx *c)
{
	struct mw_policy *pol = c->pol;
	struct addr_ref *v;
	size_t i, j, k, n = 0;
	int err;

	for (i = 0; i < pol->n_systems; i++)
		for (j = 0; j < pol->systems[i].n_devices; j++)
			n += pol->systems[i].devices[j].n_addrs;
	v = calloc(n ?: 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0, n = 0; i < pol->n_systems; i++) {
		const struct mw_system_spec *s = &pol->systems[i];

		for (j = 0; j < s->n_devices; j++)
			for (k = 0; k < s->devices[j].n_addrs; k++) {
				v[n].p = &s->devices[j].addrs[k];
				v[n].sys = s;
				v[n++].dev = &s->devices[j];
			}
	}
	mw_sort(v, n, sizeof(*v), addr_cmp);
	err = check_sorted_addrs(c, v, n);
	free(v);
	return err;
}

int mwp_systems(struct mwp_ctx *c, struct mwp_node *seq)
{
	struct mw_policy *pol = c->pol;
	size_t len, i;
	int err;

	err = mwp_seq(c, seq, "systems", &len);
	if (err)
		return err;
	pol->systems = calloc(len ?: 1, sizeof(*pol->systems));
	if (!pol->systems)
		return -ENOMEM;
	for (i = 0; i < len && !err; i++) {
		pol->n_systems++;
		err = system_one(c, mwp_item(c, seq, i), &pol->systems[i]);
	}
	return err;
}

/* After mwp_systems, on the model alone (the YAML tree may be gone). */
int mwp_policy_checks(struct mwp_ctx *c)
{
	return unique_names(c) ?: check_addrs(c);
}
