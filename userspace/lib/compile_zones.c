// SPDX-License-Identifier: GPL-2.0
/*
 * Zones are renumbered on every compile (a zone mask carries no runtime
 * state): named zones first, in policy order, then one anonymous zone per
 * distinct set of literal conduit prefixes; then the zone-prefix table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile_int.h"

/* ---------------------------------------------------------------------- */
/* Zones                                                                  */

static int cmp_prefix(const struct mw_prefix *a, const struct mw_prefix *b)
{
	return mw_prefix_cmp(a->family, a->addr, a->plen,
			   b->family, b->addr, b->plen);
}

static int cmp_prefix_q(const void *a, const void *b)
{
	return cmp_prefix(a, b);
}

/* Index of a named zone (its bit in a zone mask), -1 if none. */
static int find_named_zone(const struct cc *c, const char *name)
{
	const struct mw_zone_spec *z = mw_policy_zone(c->pol, name);

	return z ? (int)(z - c->pol->zones) : -1;
}

/* Sorted, deduplicated copy of a conduit's literal prefixes. */
static int anon_set(const struct mw_conduit_spec *cs, struct anon_zone *z)
{
	size_t i, n = 0;

	z->p = calloc(cs->n_prefixes, sizeof(*z->p));
	if (!z->p)
		return -ENOMEM;
	memcpy(z->p, cs->prefixes, cs->n_prefixes * sizeof(*z->p));
	for (i = 0; i < cs->n_prefixes; i++)
		memset(&z->p[i].loc, 0, sizeof(z->p[i].loc));
	qsort(z->p, cs->n_prefixes, sizeof(*z->p), cmp_prefix_q);
	for (i = 0; i < cs->n_prefixes; i++)
		if (!n || cmp_prefix(&z->p[n - 1], &z->p[i]))
			z->p[n++] = z->p[i];
	z->n = n;
	return 0;
}

static bool anon_equal(const struct anon_zone *a, const struct anon_zone *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (cmp_prefix(&a->p[i], &b->p[i]))
			return false;
	return true;
}

/* Zone id of a conduit's literal prefixes (a new or a shared anon zone). */
static int anon_zone_id(struct cc *c, const struct mw_conduit_spec *cs,
			const char *cname, unsigned int *id)
{
	struct anon_zone z;
	size_t i;
	int err;

	err = anon_set(cs, &z);
	if (err)
		return err;
	for (i = 0; i < c->n_anon; i++) {
		if (anon_equal(&c->anon[i], &z)) {
			free(z.p);
			*id = (unsigned int)(c->pol->n_zones + i);
			return 0;
		}
	}
	if (c->pol->n_zones + c->n_anon >= MW_MAX_ZONES) {
		free(z.p);
		cc_err(c, cs->loc,
		       "conduit \"%s\": too many zones (named and anonymous), at most %u",
		       cname, MW_MAX_ZONES);
		return -E2BIG;
	}
	c->anon[c->n_anon] = z;
	*id = (unsigned int)(c->pol->n_zones + c->n_anon++);
	return 0;
}

static int conduit_zones(struct cc *c, struct cdt *t)
{
	const struct mw_conduit_spec *cs = t->spec;
	uint64_t mask = 0;
	unsigned int id;
	size_t i;
	int z, err;

	if (!cs->n_zones && !cs->n_prefixes) {
		t->zones = MW_ZONES_ANY;
		return 0;
	}
	for (i = 0; i < cs->n_zones; i++) {
		z = find_named_zone(c, cs->zones[i]);
		if (z < 0 && !strcmp(cs->zones[i], "any")) {
			t->zones = MW_ZONES_ANY;
			return 0;
		}
		if (z < 0) {
			cc_err(c, cs->zone_locs ? cs->zone_locs[i] : cs->loc,
			       "conduit \"%s\": unknown zone \"%s\"", t->name,
			       cs->zones[i]);
			return -ENOENT;
		}
		mask |= 1ULL << z;
	}
	if (cs->n_prefixes) {
		err = anon_zone_id(c, cs, t->name, &id);
		if (err)
			return err;
		mask |= 1ULL << id;
	}
	t->zones = mask;
	return 0;
}

int cc_build_zones(struct cc *c)
{
	size_t i;
	int err;

	if (c->pol->n_zones > MW_MAX_ZONES) {
		cc_err(c, c->pol->zones[MW_MAX_ZONES].loc,
		       "too many zones: %zu, at most %u", c->pol->n_zones,
		       MW_MAX_ZONES);
		return -E2BIG;
	}
	for (i = 0; i < c->n_cdts; i++) {
		err = conduit_zones(c, &c->cdts[i]);
		if (err)
			return err;
	}
	c->n_zones = c->pol->n_zones + c->n_anon;
	return 0;
}

void cc_to_img_prefix(const struct mw_prefix *p, struct mw_img_prefix *o)
{
	memset(o, 0, sizeof(*o));
	o->family = p->family;
	o->plen = p->plen;
	memcpy(o->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

int cc_cmp_img_prefix(const void *a, const void *b)
{
	const struct mw_img_prefix *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, 16);
	if (r)
		return r;
	return (int)x->plen - (int)y->plen;
}

void cc_mask_addr(uint8_t *addr, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (i * 8 >= plen)
			addr[i] = 0;
		else if (i * 8 + 8 > plen)
			addr[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
}

static int zone_pfx_add(struct mw_img_prefix *v, size_t *n,
			const struct mw_prefix *p, unsigned int zone)
{
	cc_to_img_prefix(p, &v[*n]);
	v[(*n)++].value = 1ULL << zone;
	return 0;
}

/* Every distinct zone prefix, value = zones containing it (supersets). */
int cc_build_zone_prefixes(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	struct mw_img_prefix *v, key;
	uint64_t *own;
	size_t i, j, n = 0, total = 0;
	unsigned int l;

	for (i = 0; i < pol->n_zones; i++)
		total += pol->zones[i].n_prefixes;
	for (i = 0; i < c->n_anon; i++)
		total += c->anon[i].n;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < pol->n_zones; i++)
		for (j = 0; j < pol->zones[i].n_prefixes; j++)
			zone_pfx_add(v, &n, &pol->zones[i].prefixes[j],
				     (unsigned int)i);
	for (i = 0; i < c->n_anon; i++)
		for (j = 0; j < c->anon[i].n; j++)
			zone_pfx_add(v, &n, &c->anon[i].p[j],
				     (unsigned int)(pol->n_zones + i));
	if (n)
		qsort(v, n, sizeof(*v), cc_cmp_img_prefix);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !cc_cmp_img_prefix(&v[j - 1], &v[i]))
			v[j - 1].value |= v[i].value;
		else
			v[j++] = v[i];
	}
	n = j;
	own = calloc(n + 1, sizeof(*own));
	if (!own) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		own[i] = v[i].value;
	for (i = 0; i < n; i++) {
		for (l = 0; l < v[i].plen; l++) {
			const struct mw_img_prefix *r;

			key = v[i];
			key.plen = (uint8_t)l;
			cc_mask_addr(key.addr, l);
			r = bsearch(&key, v, n, sizeof(*v), cc_cmp_img_prefix);
			if (r)
				v[i].value |= own[r - v];
		}
	}
	free(own);
	c->zpfx = v;
	c->n_zpfx = n;
	return 0;
}
