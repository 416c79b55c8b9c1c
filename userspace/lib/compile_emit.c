// SPDX-License-Identifier: GPL-2.0
/*
 * Emit: records sorted by id, the section layout, the header, the bytes.
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

#include "compile_int.h"

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

int cc_make_ifaces(struct cc *c)
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

int cc_make_zones(struct cc *c)
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
			err = cc_str_add(&c->st, c->pol->zones[i].name, &z->name);
			continue;
		}
		z->flags = MW_ZONE_F_ANON;
		name = anon_name(&c->anon[i - nz]);
		if (!name)
			return -ENOMEM;
		err = cc_str_add(&c->st, name, &z->name);
		free(name);
	}
	return err;
}

static int make_system(struct cc *c, size_t s, struct mw_img_system *o)
{
	const struct mw_system_spec *sp = &c->pol->systems[s];
	int err;

	o->id = c->sys_ids[s];
	err = cc_str_add(&c->st, sp->name, &o->name);
	if (!err)
		err = cc_str_add(&c->st, sp->entity, &o->entity);
	if (!err)
		err = cc_str_add(&c->st, sp->contact, &o->contact);
	if (!err)
		err = cc_str_add(&c->st, sp->agreement, &o->agreement);
	if (err)
		return err;
	err = mw_policy_iface_index(c->pol, sp->iface);
	if (err < 0) {	/* an index guard; the check is the parser's */
		cc_err(c, sp->loc, "system \"%s\": interface \"%s\" not resolved (the policy was not parsed)",
		       sp->name, sp->iface);
		return -EINVAL;
	}
	o->iface = c->iface_ids[err];
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
	o->ab_scan_pm = sp->auto_block.scan_targets_per_min;
	o->ab_over_limits = sp->auto_block.over_limits_secs;
	if (sp->auto_block.device)
		o->flags |= MW_SYS_F_AB_DEVICE;
	return 0;
}

int cc_make_systems(struct cc *c)
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

int cc_make_devices(struct cc *c)
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
		err = cc_str_add(&c->st, d->name, &o->name);
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
		mw_sort(c->o_dev, c->n_dev, sizeof(*c->o_dev), cmp_id);
	return 0;
}

int cc_make_conduits(struct cc *c)
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
		err = cc_str_add(&c->st, t->name, &o->name);
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


static void copy_sect(uint8_t *img, const struct layout *l, int s,
		      const void *src)
{
	if (l->count[s])
		memcpy(img + l->off[s], src, l->count[s] * l->esize[s]);
}

int cc_emit(struct cc *c, struct mw_image *out)
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
	cc_strtab_free(&c->st);
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
