// SPDX-License-Identifier: GPL-2.0
/*
 * The policy compiler: struct mw_policy -> compiled image (see the layout
 * in include/uapi/linux/meterwall.h).
 *
 * Ids of interfaces, systems, devices and conduits are carried over from
 * the previous image by name; new names get the lowest free id.  Zones are
 * renumbered on every compile (a zone mask carries no runtime state): named
 * zones first, in policy order, then one anonymous zone per distinct set of
 * literal conduit prefixes.  Conduit sets: one per system, in policy order,
 * each followed by one per overriding device of that system.
 *
 * The creation time is time(NULL) unless the environment variable
 * MW_SOURCE_DATE_EPOCH holds a decimal unix time (reproducible builds,
 * tests).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/evp.h>

#include "image.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* ---------------------------------------------------------------------- */
/* String table: deduplicated, offset 0 is the empty string.               */

struct strtab {
	char *buf;
	size_t len, cap;
	uint32_t *slot;		/* open addressing: offset + 1, 0 = empty */
	size_t nslot, used;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static int strtab_grow(struct strtab *t)
{
	size_t n = t->nslot ? t->nslot * 2 : 1024, i;
	uint32_t *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	for (i = 0; i < t->nslot; i++) {
		uint32_t v = t->slot[i];
		size_t j;

		if (!v)
			continue;
		j = str_hash(t->buf + v - 1) & (n - 1);
		while (slot[j])
			j = (j + 1) & (n - 1);
		slot[j] = v;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = n;
	return 0;
}

static int strtab_append(struct strtab *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *b;

		while (cap < t->len + n)
			cap *= 2;
		b = realloc(t->buf, cap);
		if (!b)
			return -ENOMEM;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	return 0;
}

static int str_add(struct strtab *t, const char *s, uint32_t *off)
{
	size_t j, n = strlen(s) + 1;
	int err;

	if ((t->used + 1) * 2 > t->nslot) {
		err = strtab_grow(t);
		if (err)
			return err;
	}
	j = str_hash(s) & (t->nslot - 1);
	for (; t->slot[j]; j = (j + 1) & (t->nslot - 1)) {
		if (!strcmp(t->buf + t->slot[j] - 1, s)) {
			*off = t->slot[j] - 1;
			return 0;
		}
	}
	if (t->len + n > MW_IMAGE_MAX)
		return -E2BIG;
	*off = (uint32_t)t->len;
	err = strtab_append(t, s, n);
	if (err)
		return err;
	t->slot[j] = *off + 1;
	t->used++;
	return 0;
}

static void strtab_free(struct strtab *t)
{
	free(t->buf);
	free(t->slot);
}

/* ---------------------------------------------------------------------- */
/* Id assignment                                                          */

struct name_id {
	const char *name;
	uint32_t id;
};

static int cmp_name_id(const void *a, const void *b)
{
	return strcmp(((const struct name_id *)a)->name,
		      ((const struct name_id *)b)->name);
}

struct idmap {
	struct name_id *v;
	size_t n;
};

static void idmap_sort(struct idmap *m)
{
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), cmp_name_id);
}

static uint32_t idmap_find(const struct idmap *m, const char *name)
{
	struct name_id key = { .name = name }, *r;

	if (!m->n)
		return MW_ID_NONE;
	r = bsearch(&key, m->v, m->n, sizeof(*m->v), cmp_name_id);
	return r ? r->id : MW_ID_NONE;
}

/*
 * ids[i] for names[i]: prev's id when the name is in prev, else the lowest
 * id not taken.  -ENOSPC if an id would reach max.
 */
static int assign_ids(const char *const *names, size_t n,
		      const struct idmap *prev, uint32_t max, uint32_t *ids)
{
	uint8_t *used = calloc(max / 8 + 1, 1);
	uint32_t next = 0;
	size_t i;

	if (!used)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t id = idmap_find(prev, names[i]);

		if (id < max && !(used[id / 8] & (1u << (id % 8)))) {
			used[id / 8] |= (uint8_t)(1u << (id % 8));
			ids[i] = id;
		} else {
			ids[i] = MW_ID_NONE;
		}
	}
	for (i = 0; i < n; i++) {
		if (ids[i] != MW_ID_NONE)
			continue;
		while (next < max && (used[next / 8] & (1u << (next % 8))))
			next++;
		if (next >= max) {
			free(used);
			return -ENOSPC;
		}
		used[next / 8] |= (uint8_t)(1u << (next % 8));
		ids[i] = next;
	}
	free(used);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Compile context                                                        */

struct cdt {			/* one conduit, flattened */
	const struct mw_conduit_spec *spec;
	size_t sys;		/* policy index */
	size_t dev;		/* global device index, or SIZE_MAX */
	char name[3 * MW_NAME_MAX + 4];
	uint32_t id;
	uint64_t zones;
	uint16_t window;
};

struct pfx_ent {
	struct mw_img_prefix p;
	size_t sys;		/* device prefixes: owner system index */
	size_t dev;		/* global device index */
	struct mw_loc loc;
};

struct anon_zone {
	struct mw_prefix *p;
	size_t n;
};

struct cc {
	const struct mw_policy *pol;
	const struct mw_image_view *prev;
	struct mw_diag *diag;
	struct strtab st;

	uint32_t *iface_ids;
	uint32_t *sys_ids;
	size_t n_dev;
	size_t *dev_base;		/* first global device index per system */
	const struct mw_device_spec **devs;	/* global index -> spec */
	size_t *dev_sys;
	uint32_t *dev_ids;
	uint32_t *dev_cset;

	struct cdt *cdts;
	size_t n_cdts;

	struct anon_zone anon[MW_MAX_ZONES];
	size_t n_anon;
	size_t n_zones;

	struct mw_img_window win[MW_MAX_WINDOWS];
	size_t n_win;

	struct mw_img_cset *csets;
	size_t n_csets;
	uint32_t *sys_cset;

	struct mw_img_prefix *zpfx;
	size_t n_zpfx;
	struct pfx_ent *dpfx;
	size_t n_dpfx;
	struct mw_img_prefix *dp;	/* dpfx once checked: the records */

	/* records, in policy order until sorted by id */
	struct mw_img_iface *o_iface;
	struct mw_img_zone *o_zone;
	struct mw_img_system *o_sys;
	struct mw_img_device *o_dev;
	struct mw_img_conduit *o_cdt;
};

static const char *pol_file(const struct cc *c)
{
	return c->pol->path[0] ? c->pol->path : "<policy>";
}

#define cc_err(c, loc, ...) mw_diag_set((c)->diag, pol_file(c), (loc), __VA_ARGS__)

static const struct mw_loc no_loc;

/* ---------------------------------------------------------------------- */
/* Interfaces, systems, devices: ids                                      */

static int prev_map(const struct mw_image_view *v, int kind,
		    struct idmap *m)
{
	size_t i, n = 0;

	m->v = NULL;
	m->n = 0;
	if (!v)
		return 0;
	switch (kind) {
	case MW_SEC_IFACES: n = v->n_ifaces; break;
	case MW_SEC_SYSTEMS: n = v->n_systems; break;
	case MW_SEC_DEVICES: n = v->n_devices; break;
	case MW_SEC_CONDUITS: n = v->n_conduits; break;
	}
	if (!n)
		return 0;
	m->v = calloc(n, sizeof(*m->v));
	if (!m->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct name_id *e = &m->v[i];

		switch (kind) {
		case MW_SEC_IFACES:
			e->name = v->ifaces[i].name;
			e->id = v->ifaces[i].id;
			break;
		case MW_SEC_SYSTEMS:
			e->name = mw_image_str(v, v->systems[i].name);
			e->id = v->systems[i].id;
			break;
		case MW_SEC_DEVICES:
			e->name = mw_image_str(v, v->devices[i].name);
			e->id = v->devices[i].id;
			break;
		case MW_SEC_CONDUITS:
			e->name = mw_image_str(v, v->conduits[i].name);
			e->id = v->conduits[i].id;
			break;
		}
		if (!e->name)
			e->name = "";
	}
	m->n = n;
	idmap_sort(m);
	return 0;
}

static int ids_for(struct cc *c, int kind, const char *const *names,
		   size_t n, uint32_t max, uint32_t *ids)
{
	struct idmap m;
	int err;

	err = prev_map(c->prev, kind, &m);
	if (err)
		return err;
	err = assign_ids(names, n, &m, max, ids);
	free(m.v);
	return err;
}

static int assign_iface_ids(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	const char **names;
	size_t i;
	int err;

	if (pol->n_ifaces > MW_MAX_IFACES) {
		cc_err(c, pol->ifaces[MW_MAX_IFACES].loc,
		       "too many interfaces: %zu, at most %u", pol->n_ifaces,
		       MW_MAX_IFACES);
		return -E2BIG;
	}
	c->iface_ids = calloc(pol->n_ifaces + 1, sizeof(uint32_t));
	names = calloc(pol->n_ifaces + 1, sizeof(*names));
	if (!c->iface_ids || !names) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < pol->n_ifaces; i++)
		names[i] = pol->ifaces[i].name;
	err = ids_for(c, MW_SEC_IFACES, names, pol->n_ifaces, MW_MAX_IFACES,
		      c->iface_ids);
	free(names);
	return err;
}

static int assign_sys_ids(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	const char **names;
	size_t i;
	int err;

	if (pol->n_systems > MW_MAX_SYSTEMS) {
		cc_err(c, pol->systems[MW_MAX_SYSTEMS].loc,
		       "too many systems: %zu, at most %u", pol->n_systems,
		       MW_MAX_SYSTEMS);
		return -E2BIG;
	}
	c->sys_ids = calloc(pol->n_systems + 1, sizeof(uint32_t));
	names = calloc(pol->n_systems + 1, sizeof(*names));
	if (!c->sys_ids || !names) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < pol->n_systems; i++)
		names[i] = pol->systems[i].name;
	err = ids_for(c, MW_SEC_SYSTEMS, names, pol->n_systems,
		      MW_MAX_SYSTEMS, c->sys_ids);
	free(names);
	return err;
}

static int flatten_devices(struct cc *c)
{
	const struct mw_policy *pol = c->pol;
	size_t s, d, n = 0;

	c->dev_base = calloc(pol->n_systems + 1, sizeof(size_t));
	if (!c->dev_base)
		return -ENOMEM;
	for (s = 0; s < pol->n_systems; s++) {
		c->dev_base[s] = n;
		n += pol->systems[s].n_devices;
		if (n > MW_MAX_DEVICES) {
			cc_err(c, pol->systems[s].loc,
			       "too many devices: more than %u (system \"%s\")",
			       MW_MAX_DEVICES, pol->systems[s].name);
			return -E2BIG;
		}
	}
	c->dev_base[s] = n;
	c->n_dev = n;
	c->devs = calloc(n + 1, sizeof(*c->devs));
	c->dev_sys = calloc(n + 1, sizeof(size_t));
	c->dev_ids = calloc(n + 1, sizeof(uint32_t));
	c->dev_cset = calloc(n + 1, sizeof(uint32_t));
	if (!c->devs || !c->dev_sys || !c->dev_ids || !c->dev_cset)
		return -ENOMEM;
	for (s = 0; s < pol->n_systems; s++) {
		for (d = 0; d < pol->systems[s].n_devices; d++) {
			c->devs[c->dev_base[s] + d] = &pol->systems[s].devices[d];
			c->dev_sys[c->dev_base[s] + d] = s;
		}
	}
	return 0;
}

static int assign_dev_ids(struct cc *c)
{
	const char **names;
	size_t i;
	int err;

	names = calloc(c->n_dev + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < c->n_dev; i++)
		names[i] = c->devs[i]->name;
	err = ids_for(c, MW_SEC_DEVICES, names, c->n_dev, MW_MAX_DEVICES,
		      c->dev_ids);
	free(names);
	return err;
}

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

static int flatten_conduits(struct cc *c)
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
	err = ids_for(c, MW_SEC_CONDUITS, names, c->n_cdts, MW_MAX_CONDUITS,
		      ids);
	for (i = 0; !err && i < c->n_cdts; i++)
		c->cdts[i].id = ids[i];
	free(names);
	free(ids);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Zones                                                                  */

static int cmp_prefix(const struct mw_prefix *a, const struct mw_prefix *b)
{
	return mw_addr_cmp(a->family, a->addr, a->plen,
			   b->family, b->addr, b->plen);
}

static int cmp_prefix_q(const void *a, const void *b)
{
	return cmp_prefix(a, b);
}

static int find_named_zone(const struct cc *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->pol->n_zones; i++)
		if (!strcmp(c->pol->zones[i].name, name))
			return (int)i;
	return -1;
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

static int build_zones(struct cc *c)
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

static void to_img_prefix(const struct mw_prefix *p, struct mw_img_prefix *o)
{
	memset(o, 0, sizeof(*o));
	o->family = p->family;
	o->plen = p->plen;
	memcpy(o->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

static int cmp_img_prefix(const void *a, const void *b)
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

static void mask_addr(uint8_t *addr, unsigned int plen)
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
	to_img_prefix(p, &v[*n]);
	v[(*n)++].value = 1ULL << zone;
	return 0;
}

/* Every distinct zone prefix, value = zones containing it (supersets). */
static int build_zone_prefixes(struct cc *c)
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
		qsort(v, n, sizeof(*v), cmp_img_prefix);
	for (i = 0, j = 0; i < n; i++) {
		if (j && !cmp_img_prefix(&v[j - 1], &v[i]))
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
			mask_addr(key.addr, l);
			r = bsearch(&key, v, n, sizeof(*v), cmp_img_prefix);
			if (r)
				v[i].value |= own[r - v];
		}
	}
	free(own);
	c->zpfx = v;
	c->n_zpfx = n;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Windows                                                                */

#define WEEK MW_MINUTES_PER_WEEK

static void set_minutes(uint8_t *bits, long start, long len)
{
	long m;

	for (m = 0; m < len; m++) {
		long x = ((start + m) % WEEK + WEEK) % WEEK;

		bits[x / 8] |= (uint8_t)(1u << (x % 8));
	}
}

static bool minute_set(const uint8_t *bits, long m)
{
	m = ((m % WEEK) + WEEK) % WEEK;
	return bits[m / 8] & (1u << (m % 8));
}

static int cmp_range(const void *a, const void *b)
{
	const struct mw_window_range *x = a, *y = b;

	return (int)x->start - (int)y->start;
}

/* Runs of set minutes, around the week; all set = [0, WEEK). */
static void runs_to_window(const uint8_t *bits, struct mw_img_window *w)
{
	long m, first = -1, start, end;

	for (m = 0; m < WEEK; m++) {
		if (!minute_set(bits, m)) {
			first = m;
			break;
		}
	}
	if (first < 0) {
		w->n = 1;
		w->r[0].start = 0;
		w->r[0].end = WEEK;
		return;
	}
	for (m = first; m < first + WEEK; m++) {
		if (!minute_set(bits, m) || minute_set(bits, m - 1))
			continue;
		start = m;
		while (minute_set(bits, m))
			m++;
		end = m % WEEK;
		if (w->n >= MW_WINDOW_RANGES)
			return;		/* cannot happen: <= 7 days */
		w->r[w->n].start = (uint16_t)(start % WEEK);
		w->r[w->n].end = (uint16_t)(end ? end : WEEK);
		w->n++;
	}
	qsort(w->r, w->n, sizeof(w->r[0]), cmp_range);
}

/* Local days/from/to -> UTC minute-of-week ranges (Thursday 00:00 = 0). */
static void window_ranges(const struct mw_window_spec *ws, int32_t tz,
			  struct mw_img_window *w)
{
	uint8_t bits[WEEK / 8 + 1] = { 0 };
	long len, tzmin = tz / 60;
	int d;

	memset(w, 0, sizeof(*w));
	len = ws->to > ws->from ? ws->to - ws->from : 1440 - ws->from + ws->to;
	for (d = 0; d < 7; d++) {
		long day = (d + 4) % 7;	/* Monday = 0 -> Thursday-based */

		if (ws->days & (1u << d))
			set_minutes(bits, day * 1440 + ws->from - tzmin, len);
	}
	runs_to_window(bits, w);
}

static int window_id(struct cc *c, const struct cdt *t, uint16_t *out)
{
	struct mw_img_window w;
	size_t i;

	*out = 0;
	if (!t->spec->window.set)
		return 0;
	window_ranges(&t->spec->window, c->pol->tz_offset, &w);
	for (i = 0; i < c->n_win; i++) {
		w.id = (uint32_t)i;
		if (!memcmp(&w, &c->win[i], sizeof(w))) {
			*out = (uint16_t)(i + 1);
			return 0;
		}
	}
	if (c->n_win >= MW_MAX_WINDOWS) {
		cc_err(c, t->spec->window.loc,
		       "conduit \"%s\": too many distinct windows, at most %u",
		       t->name, MW_MAX_WINDOWS);
		return -E2BIG;
	}
	w.id = (uint32_t)c->n_win;
	c->win[c->n_win++] = w;
	*out = (uint16_t)c->n_win;
	return 0;
}

static int build_windows(struct cc *c)
{
	size_t i;
	int err;

	for (i = 0; i < c->n_cdts; i++) {
		err = window_id(c, &c->cdts[i], &c->cdts[i].window);
		if (err)
			return err;
	}
	return 0;
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

static int build_csets(struct cc *c)
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

/* ---------------------------------------------------------------------- */
/* Device prefixes                                                        */

static int cmp_pfx_ent(const void *a, const void *b)
{
	return cmp_img_prefix(&((const struct pfx_ent *)a)->p,
			      &((const struct pfx_ent *)b)->p);
}

static bool img_contains(const struct mw_img_prefix *o,
			 const struct mw_img_prefix *i)
{
	struct mw_img_prefix k = *i;

	if (o->family != i->family || o->plen > i->plen)
		return false;
	mask_addr(k.addr, o->plen);
	return !memcmp(k.addr, o->addr, 16);
}

static int dev_pfx_conflict(struct cc *c, const struct pfx_ent *a,
			    const struct pfx_ent *b, bool same)
{
	struct mw_prefix p = { .family = b->p.family, .plen = b->p.plen };
	char buf[64];

	memcpy(p.addr, b->p.addr, 16);
	mw_prefix_format(&p, buf, sizeof(buf));
	if (same)
		cc_err(c, b->loc,
		       "device \"%s\": address %s is also device \"%s\"'s",
		       c->devs[b->dev]->name, buf, c->devs[a->dev]->name);
	else
		cc_err(c, b->loc,
		       "device \"%s\": address %s overlaps device \"%s\" of system \"%s\"",
		       c->devs[b->dev]->name, buf, c->devs[a->dev]->name,
		       c->pol->systems[a->sys].name);
	return -EEXIST;
}

/* Sorted; duplicates and overlaps across systems are errors. */
static int check_dev_prefixes(struct cc *c)
{
	size_t *stack, sp = 0, i;
	int err = 0;

	stack = calloc(130, sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	for (i = 0; i < c->n_dpfx && !err; i++) {
		const struct pfx_ent *e = &c->dpfx[i];

		if (i && !cmp_img_prefix(&c->dpfx[i - 1].p, &e->p)) {
			err = dev_pfx_conflict(c, &c->dpfx[i - 1], e, true);
			break;
		}
		while (sp && !img_contains(&c->dpfx[stack[sp - 1]].p, &e->p))
			sp--;
		if (sp && c->dpfx[stack[sp - 1]].sys != e->sys)
			err = dev_pfx_conflict(c, &c->dpfx[stack[sp - 1]], e,
					       false);
		if (sp < 130)
			stack[sp++] = i;
	}
	free(stack);
	return err;
}

static int build_dev_prefixes(struct cc *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->n_dev; i++)
		n += c->devs[i]->n_addrs;
	c->dpfx = calloc(n + 1, sizeof(*c->dpfx));
	if (!c->dpfx)
		return -ENOMEM;
	for (i = 0, n = 0; i < c->n_dev; i++) {
		const struct mw_device_spec *d = c->devs[i];

		for (j = 0; j < d->n_addrs; j++, n++) {
			to_img_prefix(&d->addrs[j], &c->dpfx[n].p);
			c->dpfx[n].p.value = c->dev_ids[i];
			c->dpfx[n].sys = c->dev_sys[i];
			c->dpfx[n].dev = i;
			c->dpfx[n].loc = d->addrs[j].loc.line ?
					 d->addrs[j].loc : d->loc;
		}
	}
	c->n_dpfx = n;
	if (n)
		qsort(c->dpfx, n, sizeof(*c->dpfx), cmp_pfx_ent);
	return check_dev_prefixes(c);
}

/* Checked: keep only the image records (in place, then shrunk). */
static void compact_dev_prefixes(struct cc *c)
{
	struct mw_img_prefix *dp = (struct mw_img_prefix *)c->dpfx, *r;
	size_t i;

	for (i = 0; i < c->n_dpfx; i++)
		memmove(&dp[i], &c->dpfx[i].p, sizeof(dp[i]));
	r = realloc(dp, (c->n_dpfx + 1) * sizeof(*dp));
	c->dp = r ?: dp;
	c->dpfx = NULL;
}

/* ---------------------------------------------------------------------- */
/* Interfaces' system reference                                           */

static int iface_index(const struct mw_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->n_ifaces; i++)
		if (!strcmp(pol->ifaces[i].name, name))
			return (int)i;
	return -1;
}

static int check_sys_ifaces(struct cc *c)
{
	size_t s;

	for (s = 0; s < c->pol->n_systems; s++) {
		const struct mw_system_spec *sys = &c->pol->systems[s];

		if (iface_index(c->pol, sys->iface) < 0) {
			cc_err(c, sys->loc,
			       "system \"%s\": unknown interface \"%s\"",
			       sys->name, sys->iface);
			return -ENOENT;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Emit                                                                   */

struct layout {
	size_t off[MW_SEC_MAX];
	size_t count[MW_SEC_MAX];
	size_t esize[MW_SEC_MAX];
	size_t total;
};

static void plan_layout(const struct cc *c, struct layout *l)
{
	size_t i, pos = sizeof(struct mw_image_hdr);

	l->count[MW_SEC_IFACES] = c->pol->n_ifaces;
	l->esize[MW_SEC_IFACES] = sizeof(struct mw_img_iface);
	l->count[MW_SEC_ZONES] = c->n_zones;
	l->esize[MW_SEC_ZONES] = sizeof(struct mw_img_zone);
	l->count[MW_SEC_ZONE_PREFIXES] = c->n_zpfx;
	l->esize[MW_SEC_ZONE_PREFIXES] = sizeof(struct mw_img_prefix);
	l->count[MW_SEC_SYSTEMS] = c->pol->n_systems;
	l->esize[MW_SEC_SYSTEMS] = sizeof(struct mw_img_system);
	l->count[MW_SEC_DEVICES] = c->n_dev;
	l->esize[MW_SEC_DEVICES] = sizeof(struct mw_img_device);
	l->count[MW_SEC_DEV_PREFIXES] = c->n_dpfx;
	l->esize[MW_SEC_DEV_PREFIXES] = sizeof(struct mw_img_prefix);
	l->count[MW_SEC_CSETS] = c->n_csets;
	l->esize[MW_SEC_CSETS] = sizeof(struct mw_img_cset);
	l->count[MW_SEC_CONDUITS] = c->n_cdts;
	l->esize[MW_SEC_CONDUITS] = sizeof(struct mw_img_conduit);
	l->count[MW_SEC_WINDOWS] = c->n_win;
	l->esize[MW_SEC_WINDOWS] = sizeof(struct mw_img_window);
	l->count[MW_SEC_STRINGS] = c->st.len;
	l->esize[MW_SEC_STRINGS] = 1;
	for (i = 0; i < MW_SEC_MAX; i++) {
		pos = ALIGN8(pos);
		l->off[i] = pos;
		pos += l->count[i] * l->esize[i];
	}
	l->total = ALIGN8(pos);
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x, y;

	memcpy(&x, a, 4);	/* every record but ifaces starts with its id */
	memcpy(&y, b, 4);
	return x < y ? -1 : x > y;
}

static int cmp_iface(const void *a, const void *b)
{
	const struct mw_img_iface *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int make_ifaces(struct cc *c)
{
	size_t i, n = c->pol->n_ifaces;

	c->o_iface = calloc(n + 1, sizeof(*c->o_iface));
	if (!c->o_iface)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct mw_iface_spec *s = &c->pol->ifaces[i];
		struct mw_img_iface *o = &c->o_iface[i];

		memcpy(o->name, s->name, sizeof(o->name));
		o->name[MW_IFNAMSIZ - 1] = '\0';
		o->id = c->iface_ids[i];
		o->zone = (uint8_t)s->zone;
		o->arp = (uint8_t)s->arp;
		o->nd = (uint8_t)s->nd;
		o->flags = s->untagged ? MW_IFACE_F_UNTAGGED : 0;
		memcpy(o->vlans, s->vlans, sizeof(o->vlans));
	}
	if (n)
		qsort(c->o_iface, n, sizeof(*c->o_iface), cmp_iface);
	return 0;
}

/* "192.0.2.0/24,2001:db8::/32": the name of an anonymous zone. */
static char *anon_name(const struct anon_zone *z)
{
	size_t i, len = 0;
	char *s = malloc(z->n * 48 + 1);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < z->n; i++) {
		if (i)
			s[len++] = ',';
		mw_prefix_format(&z->p[i], s + len, 48);
		len += strlen(s + len);
	}
	return s;
}

static int make_zones(struct cc *c)
{
	size_t i, nz = c->pol->n_zones;
	int err = 0;

	c->o_zone = calloc(c->n_zones + 1, sizeof(*c->o_zone));
	if (!c->o_zone)
		return -ENOMEM;
	for (i = 0; i < c->n_zones && !err; i++) {
		struct mw_img_zone *z = &c->o_zone[i];
		char *name;

		z->id = (uint32_t)i;
		if (i < nz) {
			err = str_add(&c->st, c->pol->zones[i].name, &z->name);
			continue;
		}
		z->flags = MW_ZONE_F_ANON;
		name = anon_name(&c->anon[i - nz]);
		if (!name)
			return -ENOMEM;
		err = str_add(&c->st, name, &z->name);
		free(name);
	}
	return err;
}

static int make_system(struct cc *c, size_t s, struct mw_img_system *o)
{
	const struct mw_system_spec *sp = &c->pol->systems[s];
	int err;

	o->id = c->sys_ids[s];
	err = str_add(&c->st, sp->name, &o->name);
	if (!err)
		err = str_add(&c->st, sp->entity, &o->entity);
	if (!err)
		err = str_add(&c->st, sp->contact, &o->contact);
	if (!err)
		err = str_add(&c->st, sp->agreement, &o->agreement);
	if (err)
		return err;
	o->iface = c->iface_ids[iface_index(c->pol, sp->iface)];
	o->cset = c->sys_cset[s];
	if (sp->has_valid_from) {
		o->flags |= MW_SYS_F_VALID_FROM;
		o->valid_from = sp->valid_from;
	}
	if (sp->has_expires) {
		o->flags |= MW_SYS_F_EXPIRES;
		o->expires = sp->expires;
	}
	o->limit_pps = sp->limits.pps;
	o->limit_bps = sp->limits.bps;
	o->ab_drops_pm = sp->auto_block.drops_per_min;
	o->ab_flows_ps = sp->auto_block.new_flows_per_sec;
	o->ab_block_for = sp->auto_block.block_for;
	return 0;
}

static int make_systems(struct cc *c)
{
	size_t s, n = c->pol->n_systems;
	int err;

	c->o_sys = calloc(n + 1, sizeof(*c->o_sys));
	if (!c->o_sys)
		return -ENOMEM;
	for (s = 0; s < n; s++) {
		err = make_system(c, s, &c->o_sys[s]);
		if (err)
			return err;
	}
	if (n)
		qsort(c->o_sys, n, sizeof(*c->o_sys), cmp_id);
	return 0;
}

static int make_devices(struct cc *c)
{
	size_t i;
	int err;

	c->o_dev = calloc(c->n_dev + 1, sizeof(*c->o_dev));
	if (!c->o_dev)
		return -ENOMEM;
	for (i = 0; i < c->n_dev; i++) {
		const struct mw_device_spec *d = c->devs[i];
		struct mw_img_device *o = &c->o_dev[i];

		o->id = c->dev_ids[i];
		o->system = c->sys_ids[c->dev_sys[i]];
		err = str_add(&c->st, d->name, &o->name);
		if (err)
			return err;
		o->cset = c->dev_cset[i];
		if (d->has_mac) {
			memcpy(o->mac, d->mac, 6);
			o->flags |= MW_DEV_F_MAC;
		}
		if (d->override)
			o->flags |= MW_DEV_F_OVERRIDE;
	}
	if (c->n_dev)
		qsort(c->o_dev, c->n_dev, sizeof(*c->o_dev), cmp_id);
	return 0;
}

static int make_conduits(struct cc *c)
{
	size_t i;
	int err;

	c->o_cdt = calloc(c->n_cdts + 1, sizeof(*c->o_cdt));
	if (!c->o_cdt)
		return -ENOMEM;
	for (i = 0; i < c->n_cdts; i++) {
		const struct cdt *t = &c->cdts[i];
		struct mw_img_conduit *o = &c->o_cdt[i];

		o->id = t->id;
		o->system = c->sys_ids[t->sys];
		o->device = t->dev == SIZE_MAX ? MW_ID_NONE :
			    c->dev_ids[t->dev];
		err = str_add(&c->st, t->name, &o->name);
		if (err)
			return err;
		o->direction = (uint8_t)t->spec->dir;
		o->proto = t->spec->proto;
		o->window = t->window;
	}
	if (c->n_cdts)
		qsort(c->o_cdt, c->n_cdts, sizeof(*c->o_cdt), cmp_id);
	return 0;
}

static int64_t created_time(void)
{
	const char *e = getenv("MW_SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (e && *e) {
		errno = 0;
		v = strtoll(e, &end, 10);
		if (!errno && !*end)
			return v;
	}
	return (int64_t)time(NULL);
}

static uint32_t flow_entries(const struct cc *c)
{
	uint64_t n = (uint64_t)c->n_dev * 4;

	if (c->pol->flow_entries)
		return c->pol->flow_entries;
	if (n < 4096)
		n = 4096;
	if (n > (1U << 22))
		n = 1U << 22;
	return (uint32_t)n;
}

static void fill_header(const struct cc *c, const struct layout *l,
			struct mw_image_hdr *h)
{
	size_t i;

	h->magic = MW_IMAGE_MAGIC;
	h->version = MW_IMAGE_VERSION;
	h->hdr_size = sizeof(*h);
	h->total_size = (uint32_t)l->total;
	h->serial = c->pol->serial;
	h->created = created_time();
	h->expires = c->pol->has_expires ? c->pol->expires : 0;
	h->tz_offset = c->pol->tz_offset;
	h->flow_entries = flow_entries(c);
	h->reply_lo = c->pol->reply_ports.lo ?: MW_REPLY_PORT_LO;
	h->reply_hi = c->pol->reply_ports.lo ? c->pol->reply_ports.hi :
					       MW_REPLY_PORT_HI;
	h->n_sections = MW_SEC_MAX;
	for (i = 0; i < MW_SEC_MAX; i++) {
		h->sect[i].offset = (uint32_t)l->off[i];
		h->sect[i].count = (uint32_t)l->count[i];
		h->sect[i].entry_size = (uint32_t)l->esize[i];
	}
}

int mw_image_digest(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t zero[32];
	size_t doff = offsetof(struct mw_image_hdr, digest);
	EVP_MD_CTX *ctx;
	unsigned int n = 0;
	int ok;

	if (len < doff + 32)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, data, doff) &&
	     EVP_DigestUpdate(ctx, zero, 32) &&
	     EVP_DigestUpdate(ctx, (const uint8_t *)data + doff + 32,
			      len - doff - 32) &&
	     EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
	return ok && n == 32 ? 0 : -EIO;
}

static void copy_sect(uint8_t *img, const struct layout *l, int s,
		      const void *src)
{
	if (l->count[s])
		memcpy(img + l->off[s], src, l->count[s] * l->esize[s]);
}

static int emit(struct cc *c, struct mw_image *out)
{
	struct layout l;
	uint8_t *img;
	int err;

	plan_layout(c, &l);
	if (l.total > MW_IMAGE_MAX) {
		cc_err(c, no_loc, "compiled image too large: %zu bytes, at most %u",
		       l.total, MW_IMAGE_MAX);
		return -E2BIG;
	}
	img = calloc(1, l.total);
	if (!img)
		return -ENOMEM;
	fill_header(c, &l, (struct mw_image_hdr *)img);
	/* the big ones first, each freed once copied: the image grows as
	 * they go (calloc'd pages are touched only when written) */
	copy_sect(img, &l, MW_SEC_DEV_PREFIXES, c->dp);
	free(c->dp);
	c->dp = NULL;
	copy_sect(img, &l, MW_SEC_DEVICES, c->o_dev);
	free(c->o_dev);
	c->o_dev = NULL;
	copy_sect(img, &l, MW_SEC_STRINGS, c->st.buf);
	strtab_free(&c->st);
	memset(&c->st, 0, sizeof(c->st));
	copy_sect(img, &l, MW_SEC_IFACES, c->o_iface);
	copy_sect(img, &l, MW_SEC_ZONES, c->o_zone);
	copy_sect(img, &l, MW_SEC_ZONE_PREFIXES, c->zpfx);
	copy_sect(img, &l, MW_SEC_SYSTEMS, c->o_sys);
	copy_sect(img, &l, MW_SEC_CSETS, c->csets);
	copy_sect(img, &l, MW_SEC_CONDUITS, c->o_cdt);
	copy_sect(img, &l, MW_SEC_WINDOWS, c->win);
	err = mw_image_digest(img, l.total,
			      ((struct mw_image_hdr *)img)->digest);
	if (err) {
		free(img);
		return err;
	}
	out->data = img;
	out->len = l.total;
	return 0;
}

static void cc_free(struct cc *c)
{
	size_t i;

	strtab_free(&c->st);
	free(c->iface_ids);
	free(c->sys_ids);
	free(c->dev_base);
	free(c->devs);
	free(c->dev_sys);
	free(c->dev_ids);
	free(c->dev_cset);
	free(c->cdts);
	for (i = 0; i < c->n_anon; i++)
		free(c->anon[i].p);
	free(c->csets);
	free(c->sys_cset);
	free(c->zpfx);
	free(c->dpfx);
	free(c->dp);
	free(c->o_iface);
	free(c->o_zone);
	free(c->o_sys);
	free(c->o_dev);
	free(c->o_cdt);
}

/* All records made: what only built them goes before the image exists. */
static void release_flat(struct cc *c)
{
	free(c->devs);
	free(c->dev_sys);
	free(c->dev_ids);
	free(c->dev_cset);
	free(c->st.slot);
	c->devs = NULL;
	c->dev_sys = NULL;
	c->dev_ids = NULL;
	c->dev_cset = NULL;
	c->st.slot = NULL;
	c->st.nslot = 0;
}

static int compile_steps(struct cc *c)
{
	uint32_t empty;
	int err;

	err = str_add(&c->st, "", &empty);		/* offset 0 */
	if (!err)
		err = assign_iface_ids(c);
	if (!err)
		err = check_sys_ifaces(c);
	if (!err)
		err = assign_sys_ids(c);
	if (!err)
		err = flatten_devices(c);
	if (!err)
		err = assign_dev_ids(c);
	if (!err)
		err = flatten_conduits(c);
	if (!err)
		err = build_zones(c);
	if (!err)
		err = build_zone_prefixes(c);
	if (!err)
		err = build_windows(c);
	if (!err)
		err = build_csets(c);
	if (!err)
		err = build_dev_prefixes(c);
	if (!err)
		compact_dev_prefixes(c);
	if (!err)
		err = make_ifaces(c);
	if (!err)
		err = make_zones(c);
	if (!err)
		err = make_systems(c);
	if (!err)
		err = make_devices(c);
	if (!err)
		err = make_conduits(c);
	if (!err)
		release_flat(c);
	return err;
}

int mw_compile(const struct mw_policy *pol, const struct mw_image_view *prev,
	       struct mw_image *out, struct mw_diag *diag)
{
	struct cc *c;
	int err;

	out->data = NULL;
	out->len = 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pol = pol;
	c->prev = prev;
	c->diag = diag;
	if (diag)
		memset(diag, 0, sizeof(*diag));
	err = compile_steps(c);
	if (!err)
		err = emit(c, out);
	else if (diag && err != -ENOMEM && !diag->msg[0])
		cc_err(c, no_loc, "compile failed: %s", strerror(-err));
	if (err == -ENOMEM && diag)
		cc_err(c, no_loc, "out of memory");
	cc_free(c);
	return err;
}

void mw_image_free(struct mw_image *img)
{
	if (!img)
		return;
	free(img->data);
	img->data = NULL;
	img->len = 0;
}
