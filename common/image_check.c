// SPDX-License-Identifier: GPL-2.0
/*
 * The image validator, one source for userspace (libmw) and the kernel
 * module (meterwall.ko): header, sections, ids, references, strings,
 * prefixes and windows of a compiled policy image (layout in
 * include/uapi/linux/meterwall.h), and the id lookups on a validated view.
 * Freestanding: fixed-width types, memcmp/memcpy/memchr/strncmp only; the
 * SHA-256 digest is each side's own (OpenSSL, lib/crypto).  A refusal
 * returns -EBADMSG with *why naming the cause; the kernel turns it into
 * the extended ack.  Everything the datapaths rely on is checked here, so
 * a view that validated can be walked without further checks.
 */
#include <meterwall/image_check.h>
#include <meterwall/prefix.h>

#define BAD(why_, text) ({ *(why_) = (text); -EBADMSG; })

static const size_t sect_esize[MW_SEC_MAX] = {
	[MW_SEC_IFACES] = sizeof(struct mw_img_iface),
	[MW_SEC_ZONES] = sizeof(struct mw_img_zone),
	[MW_SEC_ZONE_PREFIXES] = sizeof(struct mw_img_prefix),
	[MW_SEC_SYSTEMS] = sizeof(struct mw_img_system),
	[MW_SEC_DEVICES] = sizeof(struct mw_img_device),
	[MW_SEC_DEV_PREFIXES] = sizeof(struct mw_img_prefix),
	[MW_SEC_CSETS] = sizeof(struct mw_img_cset),
	[MW_SEC_CONDUITS] = sizeof(struct mw_img_conduit),
	[MW_SEC_WINDOWS] = sizeof(struct mw_img_window),
	[MW_SEC_STRINGS] = 1,
};

static const uint32_t sect_max[MW_SEC_MAX] = {
	[MW_SEC_IFACES] = MW_MAX_IFACES,
	[MW_SEC_ZONES] = MW_MAX_ZONES,
	[MW_SEC_ZONE_PREFIXES] = UINT32_MAX,
	[MW_SEC_SYSTEMS] = MW_MAX_SYSTEMS,
	[MW_SEC_DEVICES] = MW_MAX_DEVICES,
	[MW_SEC_DEV_PREFIXES] = UINT32_MAX,
	[MW_SEC_CSETS] = MW_MAX_CSETS,
	[MW_SEC_CONDUITS] = MW_MAX_CONDUITS,
	[MW_SEC_WINDOWS] = MW_MAX_WINDOWS,
	[MW_SEC_STRINGS] = UINT32_MAX,
};

static int check_header(const uint8_t *d, size_t len, const char **why)
{
	const struct mw_image_hdr *h = (const void *)d;

	if (len < sizeof(*h))
		return BAD(why, "image shorter than its header");
	if (h->magic != MW_IMAGE_MAGIC)
		return BAD(why, "bad magic");
	if (h->version != MW_IMAGE_VERSION)
		return BAD(why, "unsupported image version");
	if (h->hdr_size != sizeof(*h))
		return BAD(why, "bad header size");
	if (h->total_size != len || len > MW_IMAGE_MAX)
		return BAD(why, "total size does not match the image length");
	if (h->flags & ~(uint32_t)__MW_IMG_F_ALL)
		return BAD(why, "unknown header flags");
	if (h->n_sections != MW_SEC_MAX)
		return BAD(why, "bad section count");
	if (!h->reply_lo || h->reply_lo > h->reply_hi)
		return BAD(why, "bad reply port range");
	return 0;
}

static int check_sections(const uint8_t *d, size_t len, const char **why)
{
	const struct mw_image_hdr *h = (const void *)d;
	unsigned int i;

	for (i = 0; i < MW_SEC_MAX; i++) {
		const struct mw_image_sect *s = &h->sect[i];

		if (s->entry_size != sect_esize[i])
			return BAD(why, "section entry size mismatch");
		if (s->reserved)
			return BAD(why, "reserved section field not zero");
		if (s->offset % 8)
			return BAD(why, "section not 8-byte aligned");
		if (s->offset < sizeof(*h) || s->offset > len ||
		    (uint64_t)s->count * s->entry_size > len - s->offset)
			return BAD(why, "section out of bounds");
		if (s->count > sect_max[i])
			return BAD(why, "section has too many records");
	}
	/* no two non-empty sections share a byte */
	for (i = 0; i < MW_SEC_MAX; i++) {
		const struct mw_image_sect *a = &h->sect[i];
		unsigned int j;

		for (j = i + 1; a->count && j < MW_SEC_MAX; j++) {
			const struct mw_image_sect *b = &h->sect[j];
			uint64_t a_end = a->offset +
					 (uint64_t)a->count * a->entry_size;
			uint64_t b_end = b->offset +
					 (uint64_t)b->count * b->entry_size;

			if (b->count && a->offset < b_end && b->offset < a_end)
				return BAD(why, "sections overlap");
		}
	}
	return 0;
}

static void fill_view(const uint8_t *d, struct mw_image_view *v)
{
	const struct mw_image_hdr *h = (const void *)d;

	memset(v, 0, sizeof(*v));
	v->hdr = h;
#define SECT(field, n, s) do { \
		v->field = (const void *)(d + h->sect[s].offset); \
		v->n = h->sect[s].count; \
	} while (0)
	SECT(ifaces, n_ifaces, MW_SEC_IFACES);
	SECT(zones, n_zones, MW_SEC_ZONES);
	SECT(zone_prefixes, n_zone_prefixes, MW_SEC_ZONE_PREFIXES);
	SECT(systems, n_systems, MW_SEC_SYSTEMS);
	SECT(devices, n_devices, MW_SEC_DEVICES);
	SECT(dev_prefixes, n_dev_prefixes, MW_SEC_DEV_PREFIXES);
	SECT(csets, n_csets, MW_SEC_CSETS);
	SECT(conduits, n_conduits, MW_SEC_CONDUITS);
	SECT(windows, n_windows, MW_SEC_WINDOWS);
	SECT(strings, strings_len, MW_SEC_STRINGS);
#undef SECT
}

/* Ids strictly increasing and below max; stride is the record size. */
static bool ids_sorted(const void *base, size_t n, size_t stride,
		       size_t id_off, uint32_t max)
{
	const uint8_t *p = (const uint8_t *)base + id_off;
	uint32_t prev = 0, id;
	size_t i;

	for (i = 0; i < n; i++, p += stride) {
		memcpy(&id, p, 4);
		if (id >= max || (i && id <= prev))
			return false;
		prev = id;
	}
	return true;
}

static int check_ids(const struct mw_image_view *v, const char **why)
{
	if (!ids_sorted(v->ifaces, v->n_ifaces, sizeof(*v->ifaces),
			offsetof(struct mw_img_iface, id), MW_MAX_IFACES))
		return BAD(why, "interface ids not sorted or out of range");
	if (!ids_sorted(v->zones, v->n_zones, sizeof(*v->zones), 0,
			MW_MAX_ZONES))
		return BAD(why, "zone ids not sorted or out of range");
	if (!ids_sorted(v->systems, v->n_systems, sizeof(*v->systems), 0,
			MW_MAX_SYSTEMS))
		return BAD(why, "system ids not sorted or out of range");
	if (!ids_sorted(v->devices, v->n_devices, sizeof(*v->devices), 0,
			MW_MAX_DEVICES))
		return BAD(why, "device ids not sorted or out of range");
	if (!ids_sorted(v->csets, v->n_csets, sizeof(*v->csets), 0,
			MW_MAX_CSETS))
		return BAD(why, "conduit set ids not sorted or out of range");
	if (!ids_sorted(v->conduits, v->n_conduits, sizeof(*v->conduits), 0,
			MW_MAX_CONDUITS))
		return BAD(why, "conduit ids not sorted or out of range");
	if (!ids_sorted(v->windows, v->n_windows, sizeof(*v->windows), 0,
			MW_MAX_WINDOWS))
		return BAD(why, "window ids not sorted or out of range");
	return 0;
}

static bool str_ok(const struct mw_image_view *v, uint32_t off)
{
	return off < v->strings_len;	/* the section ends with a NUL */
}

static bool window_ok(const struct mw_image_view *v, uint16_t w)
{
	return !w || mw_image_window(v, (uint32_t)w - 1);
}

static int check_ifaces(const struct mw_image_view *v, const char **why)
{
	size_t i, j;

	for (i = 0; i < v->n_ifaces; i++) {
		const struct mw_img_iface *f = &v->ifaces[i];

		if (!memchr(f->name, '\0', sizeof(f->name)) || !f->name[0])
			return BAD(why, "interface name not terminated");
		if (!f->zone || f->zone >= __MW_ZONE_LAST ||
		    f->arp >= __MW_L2_LAST || f->nd >= __MW_L2_LAST ||
		    (f->flags & ~__MW_IFACE_F_ALL))
			return BAD(why, "bad interface mode or flags");
		for (j = 0; j < i; j++)
			if (!strncmp(v->ifaces[j].name, f->name,
				     sizeof(f->name)))
				return BAD(why, "interface named twice");
	}
	return 0;
}

static int check_zones(const struct mw_image_view *v, uint64_t *all,
		       const char **why)
{
	size_t i;

	*all = 0;
	for (i = 0; i < v->n_zones; i++) {
		const struct mw_img_zone *z = &v->zones[i];

		if (!str_ok(v, z->name))
			return BAD(why, "zone name offset out of range");
		if (z->flags & ~(uint32_t)__MW_ZONE_F_ALL || z->reserved)
			return BAD(why, "bad zone flags");
		*all |= 1ULL << z->id;
	}
	return 0;
}

static bool prefix_ok(const struct mw_img_prefix *p)
{
	unsigned int alen, i;

	if (p->family == AF_INET)
		alen = 4;
	else if (p->family == AF_INET6)
		alen = 16;
	else
		return false;
	if (p->plen > alen * 8)
		return false;
	for (i = 0; i < 6; i++)
		if (p->reserved[i])
			return false;
	return mw_host_bits_zero(p->addr, p->plen);
}

static int cmp_pfx(const struct mw_img_prefix *a, const struct mw_img_prefix *b)
{
	return mw_prefix_cmp(a->family, a->addr, a->plen,
			   b->family, b->addr, b->plen);
}

static int check_prefixes(const struct mw_img_prefix *p, size_t n,
			  const char **why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!prefix_ok(&p[i]))
			return BAD(why, "bad prefix");
		if (i && cmp_pfx(&p[i - 1], &p[i]) >= 0)
			return BAD(why, "prefixes not sorted or duplicated");
	}
	return 0;
}

static int check_zone_prefixes(const struct mw_image_view *v, uint64_t all,
			       const char **why)
{
	size_t i;
	int err;

	err = check_prefixes(v->zone_prefixes, v->n_zone_prefixes, why);
	if (err)
		return err;
	for (i = 0; i < v->n_zone_prefixes; i++) {
		uint64_t m = v->zone_prefixes[i].value;

		if (!m || (m & ~all))
			return BAD(why, "zone prefix names an unknown zone");
	}
	return 0;
}

static int check_systems(const struct mw_image_view *v, const char **why)
{
	size_t i;

	for (i = 0; i < v->n_systems; i++) {
		const struct mw_img_system *s = &v->systems[i];

		if (!str_ok(v, s->name) || !str_ok(v, s->entity) ||
		    !str_ok(v, s->contact) || !str_ok(v, s->agreement))
			return BAD(why, "system string offset out of range");
		if (!mw_image_cset(v, s->cset))
			return BAD(why, "system refers to a missing conduit set");
		if (!mw_image_iface(v, s->iface))
			return BAD(why, "system refers to a missing interface");
		if (mw_image_iface(v, s->iface)->zone != MW_ZONE_EXTERNAL)
			return BAD(why, "system demarcated on an interface that is not external");
		if (s->flags & ~(uint32_t)__MW_SYS_F_ALL)
			return BAD(why, "bad system flags");
		if (s->ab_over_limits > 60 || s->reserved)
			return BAD(why, "bad system auto-block settings");
	}
	return 0;
}

static int check_devices(const struct mw_image_view *v, const char **why)
{
	size_t i;

	for (i = 0; i < v->n_devices; i++) {
		const struct mw_img_device *d = &v->devices[i];

		if (!str_ok(v, d->name))
			return BAD(why, "device name offset out of range");
		if (!mw_image_system(v, d->system))
			return BAD(why, "device refers to a missing system");
		if (!mw_image_cset(v, d->cset))
			return BAD(why, "device refers to a missing conduit set");
		if (d->flags & ~(uint16_t)__MW_DEV_F_ALL)
			return BAD(why, "bad device flags");
	}
	for (i = 0; i < v->n_dev_prefixes; i++) {
		uint64_t id = v->dev_prefixes[i].value;

		if (id >= MW_MAX_DEVICES || !mw_image_device(v, (uint32_t)id))
			return BAD(why, "device prefix refers to a missing device");
	}
	return check_prefixes(v->dev_prefixes, v->n_dev_prefixes, why);
}

static int check_rule(const struct mw_image_view *v, const struct mw_rule *r,
		      const char **why)
{
	if (r->flags & ~(uint8_t)__MW_RULE_F_ALL || r->reserved)
		return BAD(why, "bad rule flags");
	if ((r->flags & MW_RULE_F_PORTS) && r->port_lo > r->port_hi)
		return BAD(why, "rule port range inverted");
	if (!r->zones)
		return BAD(why, "rule with an empty zone set");
	if (!mw_image_conduit(v, r->conduit))
		return BAD(why, "rule refers to a missing conduit");
	if (!window_ok(v, r->window))
		return BAD(why, "rule refers to a missing window");
	return 0;
}

static int check_csets(const struct mw_image_view *v, const char **why)
{
	size_t i, j;
	int err;

	for (i = 0; i < v->n_csets; i++) {
		const struct mw_img_cset *c = &v->csets[i];

		if (c->n_rules > MW_CSET_RULES)
			return BAD(why, "conduit set has too many rules");
		for (j = 0; j < c->n_rules; j++) {
			err = check_rule(v, &c->rules[j], why);
			if (err)
				return err;
		}
	}
	return 0;
}

static int check_conduits(const struct mw_image_view *v, const char **why)
{
	size_t i;

	for (i = 0; i < v->n_conduits; i++) {
		const struct mw_img_conduit *c = &v->conduits[i];

		if (!str_ok(v, c->name))
			return BAD(why, "conduit name offset out of range");
		if (!mw_image_system(v, c->system))
			return BAD(why, "conduit refers to a missing system");
		if (c->device != MW_ID_NONE && !mw_image_device(v, c->device))
			return BAD(why, "conduit refers to a missing device");
		if (c->direction >= __MW_DIR_LAST)
			return BAD(why, "bad conduit direction");
		if (!window_ok(v, c->window))
			return BAD(why, "conduit refers to a missing window");
	}
	return 0;
}

static int check_windows(const struct mw_image_view *v, const char **why)
{
	size_t i, j;

	for (i = 0; i < v->n_windows; i++) {
		const struct mw_img_window *w = &v->windows[i];

		if (w->n > MW_WINDOW_RANGES)
			return BAD(why, "window has too many ranges");
		for (j = 0; j < w->n; j++)
			if (w->r[j].start >= MW_MINUTES_PER_WEEK ||
			    w->r[j].end > MW_MINUTES_PER_WEEK ||
			    w->r[j].start == w->r[j].end)
				return BAD(why, "bad window range");
	}
	return 0;
}


static int check_refs(const struct mw_image_view *v, const char **why)
{
	uint64_t all;
	int err;

	if (v->strings_len && v->strings[v->strings_len - 1])
		return BAD(why, "string section not NUL-terminated");
	err = check_ids(v, why);
	if (!err)
		err = check_ifaces(v, why);
	if (!err)
		err = check_zones(v, &all, why);
	if (!err)
		err = check_zone_prefixes(v, all, why);
	if (!err)
		err = check_windows(v, why);
	if (!err)
		err = check_systems(v, why);
	if (!err)
		err = check_devices(v, why);
	if (!err)
		err = check_conduits(v, why);
	if (!err)
		err = check_csets(v, why);
	return err;
}

int mw_image_check(const void *data, size_t len, struct mw_image_view *v,
		   const char **why)
{
	const char *dummy;
	struct mw_image_view tmp;
	int err;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!data || ((uintptr_t)data % 8))
		return BAD(why, "image buffer missing or not 8-byte aligned");
	err = check_header(data, len, why);
	if (!err)
		err = check_sections(data, len, why);
	if (err)
		return err;
	fill_view(data, &tmp);
	err = check_refs(&tmp, why);
	if (err)
		return err;
	*v = tmp;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Lookups on a validated view                                            */

const char *mw_image_str(const struct mw_image_view *v, uint32_t off)
{
	if (!v || off >= v->strings_len)
		return NULL;
	return v->strings + off;
}

const void *mw_find_id(const void *base, size_t n, size_t stride,
		       size_t id_off, uint32_t id)
{
	size_t lo = 0, hi = n;
	const uint8_t *r;
	uint32_t x;

	/*
	 * The compiler numbers records 0, 1, ...: where none is missing
	 * below id, its record is at index id (ids are unique).
	 */
	if (id < n) {
		r = (const uint8_t *)base + (size_t)id * stride;
		memcpy(&x, r + id_off, 4);
		if (x == id)
			return r;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		r = (const uint8_t *)base + mid * stride;
		memcpy(&x, r + id_off, 4);
		if (x == id)
			return r;
		if (x < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct mw_img_system *mw_image_system(const struct mw_image_view *v,
					    uint32_t id)
{
	return mw_find_id(v->systems, v->n_systems, sizeof(*v->systems), 0, id);
}

const struct mw_img_device *mw_image_device(const struct mw_image_view *v,
					    uint32_t id)
{
	return mw_find_id(v->devices, v->n_devices, sizeof(*v->devices), 0, id);
}

const struct mw_img_cset *mw_image_cset(const struct mw_image_view *v,
					uint32_t id)
{
	return mw_find_id(v->csets, v->n_csets, sizeof(*v->csets), 0, id);
}

const struct mw_img_conduit *mw_image_conduit(const struct mw_image_view *v,
					      uint32_t id)
{
	return mw_find_id(v->conduits, v->n_conduits, sizeof(*v->conduits), 0,
		       id);
}

const struct mw_img_window *mw_image_window(const struct mw_image_view *v,
					    uint32_t id)
{
	return mw_find_id(v->windows, v->n_windows, sizeof(*v->windows), 0, id);
}

const struct mw_img_iface *mw_image_iface(const struct mw_image_view *v,
					  uint32_t id)
{
	return mw_find_id(v->ifaces, v->n_ifaces, sizeof(*v->ifaces),
		       offsetof(struct mw_img_iface, id), id);
}
