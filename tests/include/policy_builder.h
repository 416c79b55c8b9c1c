/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helper: build a struct mw_policy in code (no YAML), and compile it.
 * Shared by the compiler and classifier tests.  Header-only on purpose:
 * each test binary is one translation unit.
 */
#ifndef MW_TEST_POLICY_BUILDER_H
#define MW_TEST_POLICY_BUILDER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "compile.h"
#include "policy.h"

#define PB_CAP 96

static inline void *pb_alloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		abort();
	return p;
}

static inline struct mw_policy *pb_new(uint64_t serial)
{
	struct mw_policy *p = pb_alloc(1, sizeof(*p));

	snprintf(p->path, sizeof(p->path), "test.yaml");
	p->serial = serial;
	p->ifaces = pb_alloc(PB_CAP, sizeof(*p->ifaces));
	p->zones = pb_alloc(PB_CAP, sizeof(*p->zones));
	p->systems = pb_alloc(PB_CAP, sizeof(*p->systems));
	return p;
}

static inline struct mw_iface_spec *pb_iface(struct mw_policy *p, const char *name,
				      enum mw_zone_kind zone)
{
	struct mw_iface_spec *f = &p->ifaces[p->n_ifaces++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->zone = zone;
	f->untagged = true;
	f->loc.line = 10 + (int)p->n_ifaces;
	f->loc.col = 5;
	return f;
}

static inline void pb_vlan(struct mw_iface_spec *f, unsigned int vid)
{
	f->vlans[vid / 8] |= (uint8_t)(1u << (vid % 8));
	f->n_vlans++;
}

/* "a,b,c" -> prefixes */
static inline size_t pb_prefixes(const char *list, struct mw_prefix **out)
{
	char buf[4096], *save = NULL, *tok;
	size_t n = 0;

	*out = pb_alloc(64, sizeof(**out));
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (mw_prefix_parse(tok, &(*out)[n]))
			abort();
		(*out)[n].loc.line = 100;
		n++;
	}
	return n;
}

static inline struct mw_zone_spec *pb_zone(struct mw_policy *p, const char *name,
				    const char *prefixes)
{
	struct mw_zone_spec *z = &p->zones[p->n_zones++];

	snprintf(z->name, sizeof(z->name), "%s", name);
	z->n_prefixes = pb_prefixes(prefixes, &z->prefixes);
	z->loc.line = 20 + (int)p->n_zones;
	return z;
}

static inline struct mw_system_spec *pb_system(struct mw_policy *p, const char *name,
					const char *iface)
{
	struct mw_system_spec *s;

	if (p->n_systems >= PB_CAP)
		abort();
	s = &p->systems[p->n_systems++];

	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->entity, sizeof(s->entity), "Entity of %s", name);
	snprintf(s->agreement, sizeof(s->agreement), "AGR-%s", name);
	snprintf(s->iface, sizeof(s->iface), "%s", iface);
	s->devices = pb_alloc(PB_CAP, sizeof(*s->devices));
	s->conduits = pb_alloc(PB_CAP, sizeof(*s->conduits));
	s->loc.line = 40 + (int)p->n_systems;
	s->loc.col = 5;
	return s;
}

static inline struct mw_device_spec *pb_device(struct mw_system_spec *s,
					const char *name, const char *addrs)
{
	struct mw_device_spec *d = &s->devices[s->n_devices++];

	snprintf(d->name, sizeof(d->name), "%s", name);
	d->n_addrs = pb_prefixes(addrs, &d->addrs);
	d->loc.line = 60 + (int)s->n_devices;
	d->loc.col = 9;
	return d;
}

static inline void pb_mac(struct mw_device_spec *d, const char *mac)
{
	if (mw_mac_parse(mac, d->mac))
		abort();
	d->has_mac = true;
}

/* ports: "80,8000-8010" or NULL; zones: "a,b" or NULL; prefixes or NULL */
static inline struct mw_conduit_spec *pb_conduit_in(struct mw_conduit_spec *arr,
					     size_t *n, const char *name,
					     enum mw_direction dir,
					     uint8_t proto, const char *zones,
					     const char *prefixes,
					     const char *ports)
{
	struct mw_conduit_spec *c = &arr[(*n)++];
	char buf[1024], *save = NULL, *tok;

	snprintf(c->name, sizeof(c->name), "%s", name);
	c->dir = dir;
	c->proto = proto;
	c->loc.line = 80 + (int)*n;
	c->zones = pb_alloc(MW_MAX_ZONES + 2, sizeof(*c->zones));
	c->zone_locs = pb_alloc(MW_MAX_ZONES + 2, sizeof(*c->zone_locs));
	if (zones) {
		snprintf(buf, sizeof(buf), "%s", zones);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			snprintf(c->zones[c->n_zones++], MW_NAME_MAX, "%s", tok);
	}
	if (prefixes)
		c->n_prefixes = pb_prefixes(prefixes, &c->prefixes);
	c->ports = pb_alloc(64, sizeof(*c->ports));
	if (ports) {
		save = NULL;
		snprintf(buf, sizeof(buf), "%s", ports);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			struct mw_port_range *r = &c->ports[c->n_ports++];
			char *dash = strchr(tok, '-');

			r->lo = (uint16_t)atoi(tok);
			r->hi = dash ? (uint16_t)atoi(dash + 1) : r->lo;
		}
	}
	return c;
}

static inline struct mw_conduit_spec *pb_conduit(struct mw_system_spec *s,
					  const char *name,
					  enum mw_direction dir, uint8_t proto,
					  const char *zones,
					  const char *prefixes,
					  const char *ports)
{
	return pb_conduit_in(s->conduits, &s->n_conduits, name, dir, proto,
			     zones, prefixes, ports);
}

static inline struct mw_conduit_spec *pb_dconduit(struct mw_device_spec *d,
					   const char *name,
					   enum mw_direction dir,
					   uint8_t proto, const char *zones,
					   const char *prefixes,
					   const char *ports)
{
	if (!d->conduits)
		d->conduits = pb_alloc(PB_CAP, sizeof(*d->conduits));
	d->override = true;
	return pb_conduit_in(d->conduits, &d->n_conduits, name, dir, proto,
			     zones, prefixes, ports);
}

/* days: bit 0 = Monday; from/to in minutes */
static inline void pb_window(struct mw_conduit_spec *c, uint8_t days,
		      uint16_t from, uint16_t to)
{
	c->window.set = true;
	c->window.days = days;
	c->window.from = from;
	c->window.to = to;
	c->window.loc.line = 90;
}

/* Compile and view; the image buffer is returned in *img. */
static inline int pb_compile(const struct mw_policy *p,
		      const struct mw_image_view *prev, struct mw_image *img,
		      struct mw_image_view *v, struct mw_diag *diag)
{
	const char *why = NULL;
	int err;

	setenv("MW_SOURCE_DATE_EPOCH", "1700000000", 1);
	err = mw_compile(p, prev, img, diag);
	if (err)
		return err;
	err = mw_image_view(img->data, img->len, v, &why);
	if (err)
		fprintf(stderr, "view: %s\n", why);
	return err;
}

#endif /* MW_TEST_POLICY_BUILDER_H */
