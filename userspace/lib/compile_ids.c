// SPDX-License-Identifier: GPL-2.0
/*
 * Ids of interfaces, systems, devices and conduits: carried over from the
 * image in force by name; a new name gets the lowest free id.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

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

int cc_ids_for(struct cc *c, int kind, const char *const *names,
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

/*
 * Ids for n records of `stride' bytes from `first', each with its name
 * (char[]) at name_off and its location at loc_off: at most max of them,
 * then carried over by name (interfaces and systems alike).
 */
static int ids_of(struct cc *c, int kind, const void *first, size_t stride,
		  size_t name_off, size_t loc_off, size_t n, uint32_t max,
		  const char *what, uint32_t **out)
{
	const char *base = first;
	const char **names;
	size_t i;
	int err;

	if (n > max) {
		cc_err(c, *(const struct mw_loc *)(base + max * stride + loc_off),
		       "too many %s: %zu, at most %u", what, n, max);
		return -E2BIG;
	}
	*out = calloc(n + 1, sizeof(uint32_t));
	names = calloc(n + 1, sizeof(*names));
	if (!*out || !names) {
		free(names);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		names[i] = base + i * stride + name_off;
	err = cc_ids_for(c, kind, names, n, max, *out);
	free(names);
	return err;
}

int cc_assign_iface_ids(struct cc *c)
{
	return ids_of(c, MW_SEC_IFACES, c->pol->ifaces,
		      sizeof(*c->pol->ifaces),
		      offsetof(struct mw_iface_spec, name),
		      offsetof(struct mw_iface_spec, loc), c->pol->n_ifaces,
		      MW_MAX_IFACES, "interfaces", &c->iface_ids);
}

int cc_assign_sys_ids(struct cc *c)
{
	return ids_of(c, MW_SEC_SYSTEMS, c->pol->systems,
		      sizeof(*c->pol->systems),
		      offsetof(struct mw_system_spec, name),
		      offsetof(struct mw_system_spec, loc), c->pol->n_systems,
		      MW_MAX_SYSTEMS, "systems", &c->sys_ids);
}

int cc_flatten_devices(struct cc *c)
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

int cc_assign_dev_ids(struct cc *c)
{
	const char **names;
	size_t i;
	int err;

	names = calloc(c->n_dev + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < c->n_dev; i++)
		names[i] = c->devs[i]->name;
	err = cc_ids_for(c, MW_SEC_DEVICES, names, c->n_dev, MW_MAX_DEVICES,
		      c->dev_ids);
	free(names);
	return err;
}
