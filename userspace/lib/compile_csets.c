// SPDX-License-Identifier: GPL-2.0
/*
 * Conduits flattened (system conduits, then each device's own), and the
 * conduit sets: one per system, in policy order, each followed by one per
 * overriding device of that system.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

/* ---------------------------------------------------------------------- */
/* Conduits                                                               */

static int add_cdts(struct cc *c, size_t s, size_t dev,
		    const struct mw_conduit_spec *cs, size_t n, size_t *cap)
{
	const struct mw_system_spec *sys = &c->pol->systems[s];
	size_t i;

	for (i = 0; i < n; i++) {
		struct cdt *t;

		if (c->n_cdts >= MW_MAX_CONDUITS) {
			cc_err(c, cs[i].loc, "too many conduits: at most %u",
			       MW_MAX_CONDUITS);
			return -E2BIG;
		}
		if (c->n_cdts == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct cdt *v = realloc(c->cdts, nc * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->cdts = v;
			*cap = nc;
		}
		t = &c->cdts[c->n_cdts++];
		memset(t, 0, sizeof(*t));
		t->spec = &cs[i];
		t->sys = s;
		t->dev = dev;
		if (dev == SIZE_MAX)
			snprintf(t->name, sizeof(t->name), "%s/%s", sys->name,
				 cs[i].name);
		else
			snprintf(t->name, sizeof(t->name), "%s/%s/%s",
				 sys->name, c->devs[dev]->name, cs[i].name);
	}
	return 0;
}

int cc_flatten_conduits(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	const char **names;
	uint32_t *ids;
	size_t s, d, i, cap = 0;
	int err;

	for (s = 0; s < pol->n_systems; s++) {
		const struct mw_system_spec *sys = &pol->systems[s];

		err = add_cdts(c, s, SIZE_MAX, sys->conduits, sys->n_conduits,
			       &cap);
		if (err)
			return err;
		for (d = 0; d < sys->n_devices; d++) {
			const struct mw_device_spec *dv = &sys->devices[d];

			if (!dv->override)
				continue;
			err = add_cdts(c, s, c->dev_base[s] + d, dv->conduits,
				       dv->n_conduits, &cap);
			if (err)
				return err;
		}
	}
	names = calloc(c->n_cdts + 1, sizeof(*names));
	ids = calloc(c->n_cdts + 1, sizeof(*ids));
	if (!names || !ids) {
		free(names);
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < c->n_cdts; i++)
		names[i] = c->cdts[i].name;
	err = cc_ids_for(c, MW_SEC_CONDUITS, names, c->n_cdts, MW_MAX_CONDUITS,
		      ids);
	for (i = 0; !err && i < c->n_cdts; i++)
		c->cdts[i].id = ids[i];
	free(names);
	free(ids);
	return err;
}


/* ---------------------------------------------------------------------- */
/* Conduit sets                                                           */

static int cset_fill(struct cc *c, struct mw_img_cset *set, size_t from,
		     size_t to, const char *owner, struct mw_loc loc)
{
	size_t i, j, n = 0;

	for (i = from; i < to; i++)
		n += c->cdts[i].spec->n_ports ? c->cdts[i].spec->n_ports : 1;
	if (n > MW_CSET_RULES) {
		cc_err(c, loc, "%s: %zu rules in its conduit set, at most %u",
		       owner, n, MW_CSET_RULES);
		return -E2BIG;
	}
	set->n_rules = (uint32_t)n;
	n = 0;
	for (i = from; i < to; i++) {
		const struct cdt *t = &c->cdts[i];
		const struct mw_conduit_spec *cs = t->spec;
		size_t np = cs->n_ports ? cs->n_ports : 1;

		for (j = 0; j < np; j++) {
			struct mw_rule *r = &set->rules[n++];

			r->zones = t->zones;
			r->proto = cs->proto;
			r->window = t->window;
			r->conduit = t->id;
			if (cs->dir == MW_DIR_OUTBOUND)
				r->flags |= MW_RULE_F_OUTBOUND;
			if (cs->n_ports) {
				r->flags |= MW_RULE_F_PORTS;
				r->port_lo = cs->ports[j].lo;
				r->port_hi = cs->ports[j].hi;
			}
		}
	}
	return 0;
}

int cc_build_csets(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	char owner[3 * MW_NAME_MAX + 16];
	size_t s, k = 0, n = pol->n_systems, i;
	int err;

	for (i = 0; i < c->n_dev; i++)
		n += c->devs[i]->override;
	if (n > MW_MAX_CSETS) {
		cc_err(c, no_loc,
		       "too many conduit sets (systems + overriding devices): %zu, at most %u",
		       n, MW_MAX_CSETS);
		return -E2BIG;
	}
	c->csets = calloc(n + 1, sizeof(*c->csets));
	c->sys_cset = calloc(pol->n_systems + 1, sizeof(uint32_t));
	if (!c->csets || !c->sys_cset)
		return -ENOMEM;
	for (s = 0; s < pol->n_systems; s++) {
		const struct mw_system_spec *sys = &pol->systems[s];
		size_t from = k, d;

		while (k < c->n_cdts && c->cdts[k].sys == s &&
		       c->cdts[k].dev == SIZE_MAX)
			k++;
		snprintf(owner, sizeof(owner), "system \"%s\"", sys->name);
		c->sys_cset[s] = (uint32_t)c->n_csets;
		c->csets[c->n_csets].id = (uint32_t)c->n_csets;
		err = cset_fill(c, &c->csets[c->n_csets++], from, k, owner,
				sys->loc);
		if (err)
			return err;
		for (d = c->dev_base[s]; d < c->dev_base[s + 1]; d++) {
			c->dev_cset[d] = c->sys_cset[s];
			if (!c->devs[d]->override)
				continue;
			from = k;
			while (k < c->n_cdts && c->cdts[k].dev == d)
				k++;
			snprintf(owner, sizeof(owner), "device \"%s/%s\"",
				 sys->name, c->devs[d]->name);
			c->dev_cset[d] = (uint32_t)c->n_csets;
			c->csets[c->n_csets].id = (uint32_t)c->n_csets;
			err = cset_fill(c, &c->csets[c->n_csets++], from, k,
					owner, c->devs[d]->loc);
			if (err)
				return err;
		}
	}
	return 0;
}
