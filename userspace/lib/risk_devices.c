// SPDX-License-Identifier: GPL-2.0
/*
 * Risk rules on devices (risk.c describes every rule): prefix width
 * (MW-R010, R011), addresses inside smart-meter side zones (MW-R051),
 * overlaps within a system (MW-R050), MAC binding (MW-R060, R061).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <meterwall/prefix.h>

#include "risk_int.h"

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
	return rk_add(out, p->plen < high ? R_PREFIX_HIGH : R_PREFIX_MEDIUM,
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
			return rk_add(out, R_DEV_IN_ZONE, s->name, d->name, p->loc,
				   "device address %s overlaps %s of zone %s",
				   a, b, z->name);
		}
	}
	return 0;
}

int rk_check_devices(const struct mw_policy *pol,
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
	return rk_add(out, R_DEV_OVERLAP, s->name, in->dev->name, in->p->loc,
		   "device address %s overlaps %s of device %s", a, b,
		   encl->dev->name);
}

int rk_check_overlaps(const struct mw_system_spec *s,
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

	if (rk_conduit_zone_any(pol, c))
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
	return rk_add(out, R_MAC_L2ADJ, s->name, d->name, d->loc,
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

int rk_check_macs(const struct mw_policy *pol,
		      const struct mw_system_spec *s, struct mw_findings *out)
{
	const struct mw_iface_spec *ifc = rk_find_iface(pol, s->iface);
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
			err = rk_add(out, R_MAC_L2ALL, s->name, d->name, d->loc,
				  "device has no MAC binding and interface %s "
				  "passes %s from any host", ifc->name, l2_all);
	}
	return err;
}
