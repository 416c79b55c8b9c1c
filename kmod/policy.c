// SPDX-License-Identifier: GPL-2.0
/*
 * The running policy: strict image validation (the same checks, in the same
 * order, as userspace/lib/image.c), lookup tables built at commit, the RCU
 * swap, and the begin/chunk/commit/abort transaction that feeds it.  A
 * transaction that fails or is aborted never touches the running policy.
 */
#include <linux/bitmap.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <crypto/sha2.h>
#include <crypto/algapi.h>
#include <asm/unaligned.h>

#include "compat.h"
#include "mw.h"

#define BAD(text) ({ NL_SET_ERR_MSG(extack, text); -EBADMSG; })

static const u32 sect_esize[MW_SEC_MAX] = {
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

static const u32 sect_max[MW_SEC_MAX] = {
	[MW_SEC_IFACES] = MW_MAX_IFACES,
	[MW_SEC_ZONES] = MW_MAX_ZONES,
	[MW_SEC_ZONE_PREFIXES] = U32_MAX,
	[MW_SEC_SYSTEMS] = MW_MAX_SYSTEMS,
	[MW_SEC_DEVICES] = MW_MAX_DEVICES,
	[MW_SEC_DEV_PREFIXES] = U32_MAX,
	[MW_SEC_CSETS] = MW_MAX_CSETS,
	[MW_SEC_CONDUITS] = MW_MAX_CONDUITS,
	[MW_SEC_WINDOWS] = MW_MAX_WINDOWS,
	[MW_SEC_STRINGS] = U32_MAX,
};

/* A view of the image being validated (before any table exists). */
struct mw_view {
	const u8 *d;
	const struct mw_image_hdr *h;
	const struct mw_img_iface *ifaces;
	const struct mw_img_zone *zones;
	const struct mw_img_prefix *zpfx;
	const struct mw_img_system *systems;
	const struct mw_img_device *devices;
	const struct mw_img_prefix *dpfx;
	const struct mw_img_cset *csets;
	const struct mw_img_conduit *conduits;
	const struct mw_img_window *windows;
	const char *strings;
	u32 n[MW_SEC_MAX];
};

static int check_header(const u8 *d, u32 len, struct netlink_ext_ack *extack)
{
	const struct mw_image_hdr *h = (const void *)d;

	if (len < sizeof(*h))
		return BAD("image shorter than its header");
	if (h->magic != MW_IMAGE_MAGIC)
		return BAD("bad magic");
	if (h->version != MW_IMAGE_VERSION)
		return BAD("unsupported image version");
	if (h->hdr_size != sizeof(*h))
		return BAD("bad header size");
	if (h->total_size != len || len > MW_IMAGE_MAX)
		return BAD("total size does not match the image length");
	if (h->flags & ~(u32)__MW_IMG_F_ALL)
		return BAD("unknown header flags");
	if (h->n_sections != MW_SEC_MAX)
		return BAD("bad section count");
	if (!h->reply_lo || h->reply_lo > h->reply_hi)
		return BAD("bad reply port range");
	return 0;
}

static int check_sections(const u8 *d, u32 len, struct netlink_ext_ack *extack)
{
	const struct mw_image_hdr *h = (const void *)d;
	unsigned int i;

	for (i = 0; i < MW_SEC_MAX; i++) {
		const struct mw_image_sect *s = &h->sect[i];

		if (s->entry_size != sect_esize[i])
			return BAD("section entry size mismatch");
		if (s->reserved)
			return BAD("reserved section field not zero");
		if (s->offset % 8)
			return BAD("section not 8-byte aligned");
		if (s->offset < sizeof(*h) || s->offset > len ||
		    (u64)s->count * s->entry_size > len - s->offset)
			return BAD("section out of bounds");
		if (s->count > sect_max[i])
			return BAD("section has too many records");
	}
	/* no two non-empty sections share a byte */
	for (i = 0; i < MW_SEC_MAX; i++) {
		const struct mw_image_sect *a = &h->sect[i];
		unsigned int j;

		for (j = i + 1; a->count && j < MW_SEC_MAX; j++) {
			const struct mw_image_sect *b = &h->sect[j];
			u64 a_end = a->offset + (u64)a->count * a->entry_size;
			u64 b_end = b->offset + (u64)b->count * b->entry_size;

			if (b->count && a->offset < b_end && b->offset < a_end)
				return BAD("sections overlap");
		}
	}
	return 0;
}

static void fill_view(const u8 *d, struct mw_view *v)
{
	const struct mw_image_hdr *h = (const void *)d;
	unsigned int i;

	v->d = d;
	v->h = h;
	for (i = 0; i < MW_SEC_MAX; i++)
		v->n[i] = h->sect[i].count;
#define SECT(field, s) (v->field = (const void *)(d + h->sect[s].offset))
	SECT(ifaces, MW_SEC_IFACES);
	SECT(zones, MW_SEC_ZONES);
	SECT(zpfx, MW_SEC_ZONE_PREFIXES);
	SECT(systems, MW_SEC_SYSTEMS);
	SECT(devices, MW_SEC_DEVICES);
	SECT(dpfx, MW_SEC_DEV_PREFIXES);
	SECT(csets, MW_SEC_CSETS);
	SECT(conduits, MW_SEC_CONDUITS);
	SECT(windows, MW_SEC_WINDOWS);
	SECT(strings, MW_SEC_STRINGS);
#undef SECT
}

/* Binary search over records whose id is a u32 at id_off. */
static const void *find_id(const void *base, u32 n, size_t stride,
			   size_t id_off, u32 id)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const u8 *r = (const u8 *)base + (size_t)mid * stride;
		u32 x;

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

#define V_FIND(v, field, sec, id) \
	find_id((v)->field, (v)->n[sec], sizeof(*(v)->field), 0, (id))

static bool ids_sorted(const void *base, u32 n, size_t stride, size_t id_off,
		       u32 max)
{
	const u8 *p = (const u8 *)base + id_off;
	u32 prev = 0, id, i;

	for (i = 0; i < n; i++, p += stride) {
		memcpy(&id, p, 4);
		if (id >= max || (i && id <= prev))
			return false;
		prev = id;
	}
	return true;
}

static int check_ids(const struct mw_view *v, struct netlink_ext_ack *extack)
{
	if (!ids_sorted(v->ifaces, v->n[MW_SEC_IFACES], sizeof(*v->ifaces),
			offsetof(struct mw_img_iface, id), MW_MAX_IFACES))
		return BAD("interface ids not sorted or out of range");
	if (!ids_sorted(v->zones, v->n[MW_SEC_ZONES], sizeof(*v->zones), 0,
			MW_MAX_ZONES))
		return BAD("zone ids not sorted or out of range");
	if (!ids_sorted(v->systems, v->n[MW_SEC_SYSTEMS], sizeof(*v->systems),
			0, MW_MAX_SYSTEMS))
		return BAD("system ids not sorted or out of range");
	if (!ids_sorted(v->devices, v->n[MW_SEC_DEVICES], sizeof(*v->devices),
			0, MW_MAX_DEVICES))
		return BAD("device ids not sorted or out of range");
	if (!ids_sorted(v->csets, v->n[MW_SEC_CSETS], sizeof(*v->csets), 0,
			MW_MAX_CSETS))
		return BAD("conduit set ids not sorted or out of range");
	if (!ids_sorted(v->conduits, v->n[MW_SEC_CONDUITS],
			sizeof(*v->conduits), 0, MW_MAX_CONDUITS))
		return BAD("conduit ids not sorted or out of range");
	if (!ids_sorted(v->windows, v->n[MW_SEC_WINDOWS], sizeof(*v->windows),
			0, MW_MAX_WINDOWS))
		return BAD("window ids not sorted or out of range");
	return 0;
}

static bool str_ok(const struct mw_view *v, u32 off)
{
	return off < v->n[MW_SEC_STRINGS];	/* the section ends with NUL */
}

static bool window_ok(const struct mw_view *v, u16 w)
{
	return !w || V_FIND(v, windows, MW_SEC_WINDOWS, (u32)w - 1);
}

static int check_ifaces(const struct mw_view *v, struct netlink_ext_ack *extack)
{
	u32 i, j;

	for (i = 0; i < v->n[MW_SEC_IFACES]; i++) {
		const struct mw_img_iface *f = &v->ifaces[i];

		if (!memchr(f->name, '\0', sizeof(f->name)) || !f->name[0])
			return BAD("interface name not terminated");
		if (!f->zone || f->zone >= __MW_ZONE_LAST ||
		    f->arp >= __MW_L2_LAST || f->nd >= __MW_L2_LAST ||
		    (f->flags & ~__MW_IFACE_F_ALL))
			return BAD("bad interface mode or flags");
		for (j = 0; j < i; j++)
			if (!strncmp(v->ifaces[j].name, f->name,
				     sizeof(f->name)))
				return BAD("interface named twice");
	}
	return 0;
}

static int check_zones(const struct mw_view *v, u64 *all,
		       struct netlink_ext_ack *extack)
{
	u32 i;

	*all = 0;
	for (i = 0; i < v->n[MW_SEC_ZONES]; i++) {
		const struct mw_img_zone *z = &v->zones[i];

		if (!str_ok(v, z->name))
			return BAD("zone name offset out of range");
		if (z->flags & ~(u32)__MW_ZONE_F_ALL || z->reserved)
			return BAD("bad zone flags");
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
	for (i = 0; i < 16; i++) {
		u8 m;

		if (i * 8 >= p->plen)
			m = 0xff;
		else if (i * 8 + 8 > p->plen)
			m = (u8)(0xff >> (p->plen - i * 8));
		else
			m = 0;
		if (p->addr[i] & m)
			return false;
	}
	return true;
}

static int cmp_key(u8 fam, const u8 *addr, u8 plen,
		   const struct mw_img_prefix *p)
{
	int r;

	if (fam != p->family)
		return fam < p->family ? -1 : 1;
	r = memcmp(addr, p->addr, 16);
	if (r)
		return r;
	return (int)plen - (int)p->plen;
}

static int check_prefixes(const struct mw_img_prefix *p, u32 n,
			  struct netlink_ext_ack *extack)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (!prefix_ok(&p[i]))
			return BAD("bad prefix");
		if (i && cmp_key(p[i - 1].family, p[i - 1].addr,
				 p[i - 1].plen, &p[i]) >= 0)
			return BAD("prefixes not sorted or duplicated");
	}
	return 0;
}

static int check_zone_prefixes(const struct mw_view *v, u64 all,
			       struct netlink_ext_ack *extack)
{
	u32 i;
	int err;

	err = check_prefixes(v->zpfx, v->n[MW_SEC_ZONE_PREFIXES], extack);
	if (err)
		return err;
	for (i = 0; i < v->n[MW_SEC_ZONE_PREFIXES]; i++) {
		u64 m = v->zpfx[i].value;

		if (!m || (m & ~all))
			return BAD("zone prefix names an unknown zone");
	}
	return 0;
}

static int check_systems(const struct mw_view *v,
			 struct netlink_ext_ack *extack)
{
	const struct mw_img_iface *f;
	u32 i;

	for (i = 0; i < v->n[MW_SEC_SYSTEMS]; i++) {
		const struct mw_img_system *s = &v->systems[i];

		if (!str_ok(v, s->name) || !str_ok(v, s->entity) ||
		    !str_ok(v, s->contact) || !str_ok(v, s->agreement))
			return BAD("system string offset out of range");
		if (!V_FIND(v, csets, MW_SEC_CSETS, s->cset))
			return BAD("system refers to a missing conduit set");
		f = find_id(v->ifaces, v->n[MW_SEC_IFACES],
			    sizeof(*v->ifaces),
			    offsetof(struct mw_img_iface, id), s->iface);
		if (!f)
			return BAD("system refers to a missing interface");
		if (f->zone != MW_ZONE_EXTERNAL)
			return BAD("system demarcated on an interface that is not external");
		if (s->flags & ~(u32)__MW_SYS_F_ALL)
			return BAD("bad system flags");
	}
	return 0;
}

static int check_devices(const struct mw_view *v,
			 struct netlink_ext_ack *extack)
{
	u32 i;

	for (i = 0; i < v->n[MW_SEC_DEVICES]; i++) {
		const struct mw_img_device *d = &v->devices[i];

		if (!str_ok(v, d->name))
			return BAD("device name offset out of range");
		if (!V_FIND(v, systems, MW_SEC_SYSTEMS, d->system))
			return BAD("device refers to a missing system");
		if (!V_FIND(v, csets, MW_SEC_CSETS, d->cset))
			return BAD("device refers to a missing conduit set");
		if (d->flags & ~(u16)__MW_DEV_F_ALL)
			return BAD("bad device flags");
	}
	for (i = 0; i < v->n[MW_SEC_DEV_PREFIXES]; i++) {
		u64 id = v->dpfx[i].value;

		if (id >= MW_MAX_DEVICES ||
		    !V_FIND(v, devices, MW_SEC_DEVICES, (u32)id))
			return BAD("device prefix refers to a missing device");
	}
	return check_prefixes(v->dpfx, v->n[MW_SEC_DEV_PREFIXES], extack);
}

static int check_rule(const struct mw_view *v, const struct mw_rule *r,
		      struct netlink_ext_ack *extack)
{
	if (r->flags & ~(u8)__MW_RULE_F_ALL || r->reserved)
		return BAD("bad rule flags");
	if ((r->flags & MW_RULE_F_PORTS) && r->port_lo > r->port_hi)
		return BAD("rule port range inverted");
	if (!r->zones)
		return BAD("rule with an empty zone set");
	if (!V_FIND(v, conduits, MW_SEC_CONDUITS, r->conduit))
		return BAD("rule refers to a missing conduit");
	if (!window_ok(v, r->window))
		return BAD("rule refers to a missing window");
	return 0;
}

static int check_csets(const struct mw_view *v, struct netlink_ext_ack *extack)
{
	u32 i, j;
	int err;

	for (i = 0; i < v->n[MW_SEC_CSETS]; i++) {
		const struct mw_img_cset *c = &v->csets[i];

		if (c->n_rules > MW_CSET_RULES)
			return BAD("conduit set has too many rules");
		for (j = 0; j < c->n_rules; j++) {
			err = check_rule(v, &c->rules[j], extack);
			if (err)
				return err;
		}
	}
	return 0;
}

static int check_conduits(const struct mw_view *v,
			  struct netlink_ext_ack *extack)
{
	u32 i;

	for (i = 0; i < v->n[MW_SEC_CONDUITS]; i++) {
		const struct mw_img_conduit *c = &v->conduits[i];

		if (!str_ok(v, c->name))
			return BAD("conduit name offset out of range");
		if (!V_FIND(v, systems, MW_SEC_SYSTEMS, c->system))
			return BAD("conduit refers to a missing system");
		if (c->device != MW_ID_NONE &&
		    !V_FIND(v, devices, MW_SEC_DEVICES, c->device))
			return BAD("conduit refers to a missing device");
		if (c->direction >= __MW_DIR_LAST)
			return BAD("bad conduit direction");
		if (!window_ok(v, c->window))
			return BAD("conduit refers to a missing window");
	}
	return 0;
}

static int check_windows(const struct mw_view *v,
			 struct netlink_ext_ack *extack)
{
	u32 i, j;

	for (i = 0; i < v->n[MW_SEC_WINDOWS]; i++) {
		const struct mw_img_window *w = &v->windows[i];

		if (w->n > MW_WINDOW_RANGES)
			return BAD("window has too many ranges");
		for (j = 0; j < w->n; j++)
			if (w->r[j].start >= MW_MINUTES_PER_WEEK ||
			    w->r[j].end > MW_MINUTES_PER_WEEK ||
			    w->r[j].start == w->r[j].end)
				return BAD("bad window range");
	}
	return 0;
}

/* The digest names the content: digest and created read as zeros. */
static int check_digest(const u8 *d, u32 len, struct netlink_ext_ack *extack)
{
	const struct mw_image_hdr *h = (const void *)d;
	struct mw_image_hdr z;
	struct sha256_state st;
	u8 md[32];

	memcpy(&z, d, sizeof(z));
	z.created = 0;
	memset(z.digest, 0, sizeof(z.digest));
	sha256_init(&st);
	sha256_update(&st, (const u8 *)&z, sizeof(z));
	sha256_update(&st, d + sizeof(z), len - sizeof(z));
	sha256_final(&st, md);
	if (crypto_memneq(md, h->digest, sizeof(md)))
		return BAD("digest mismatch");
	return 0;
}

static int check_refs(const struct mw_view *v, struct netlink_ext_ack *extack)
{
	u32 slen = v->n[MW_SEC_STRINGS];
	u64 all;
	int err;

	if (slen && v->strings[slen - 1])
		return BAD("string section not NUL-terminated");
	err = check_ids(v, extack);
	if (!err)
		err = check_ifaces(v, extack);
	if (!err)
		err = check_zones(v, &all, extack);
	if (!err)
		err = check_zone_prefixes(v, all, extack);
	if (!err)
		err = check_windows(v, extack);
	if (!err)
		err = check_systems(v, extack);
	if (!err)
		err = check_devices(v, extack);
	if (!err)
		err = check_conduits(v, extack);
	if (!err)
		err = check_csets(v, extack);
	return err;
}

static int mw_image_validate(const u8 *d, u32 len, struct mw_view *v,
			     struct netlink_ext_ack *extack)
{
	int err;

	if (!d || ((uintptr_t)d % 8))
		return BAD("image buffer missing or not 8-byte aligned");
	err = check_header(d, len, extack);
	if (!err)
		err = check_sections(d, len, extack);
	if (err)
		return err;
	fill_view(d, v);
	err = check_refs(v, extack);
	if (!err)
		err = check_digest(d, len, extack);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                 */

static u32 *build_idx(const void *base, u32 n, size_t stride, u32 *n_idx)
{
	u32 max, i, *idx;

	if (!n) {
		*n_idx = 0;
		return NULL;
	}
	memcpy(&max, (const u8 *)base + (size_t)(n - 1) * stride, 4);
	idx = kvmalloc_array((size_t)max + 1, sizeof(*idx), GFP_KERNEL);
	if (!idx)
		return ERR_PTR(-ENOMEM);
	memset(idx, 0xff, ((size_t)max + 1) * sizeof(*idx));
	for (i = 0; i < n; i++) {
		u32 id;

		memcpy(&id, (const u8 *)base + (size_t)i * stride, 4);
		idx[id] = i;
	}
	*n_idx = max + 1;
	return idx;
}

static bool is_host(const struct mw_img_prefix *p)
{
	return p->plen == (p->family == AF_INET ? 32 : 128);
}

/*
 * Home slot of a host address (16 bytes, IPv4 zero-padded): the two halves
 * folded and hashed by multiplication (hash_64 keeps the high bits), a
 * few instructions where jhash of 16 bytes took dozens.  The policy's
 * addresses make the table's clusters; a packet only probes them.
 */
static u32 host_home(const struct mw_host_table *t, u8 family, const u8 *addr)
{
	u64 lo = get_unaligned((const u64 *)addr);
	u64 hi = get_unaligned((const u64 *)(addr + 8));

	return hash_64(lo ^ (hi * GOLDEN_RATIO_64) ^ family, t->bits);
}

static int build_hosts(struct mw_policy *pol, const struct mw_img_prefix *v,
		       u32 n)
{
	struct mw_host_table *t = &pol->hosts;
	u32 i, hosts = 0, size;

	for (i = 0; i < n; i++)
		hosts += is_host(&v[i]);
	if (!hosts)
		return 0;
	size = roundup_pow_of_two(hosts * 2);
	t->slots = kvmalloc_array(size, sizeof(*t->slots), GFP_KERNEL);
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0xff, (size_t)size * sizeof(*t->slots));
	t->mask = size - 1;
	t->bits = ilog2(size);
	for (i = 0; i < n; i++) {
		u32 h;

		if (!is_host(&v[i]))
			continue;
		h = host_home(t, v[i].family, v[i].addr);
		while (t->slots[h].value != MW_ID_NONE)
			h = (h + 1) & t->mask;
		t->slots[h].family = v[i].family;
		memcpy(t->slots[h].addr, v[i].addr, 16);
		t->slots[h].value = (u32)v[i].value;
	}
	return 0;
}

static void build_lpm(struct mw_lpm *l, const struct mw_img_prefix *v, u32 n,
		      bool skip_hosts)
{
	u32 i;

	l->v = v;
	l->n = n;
	for (i = 0; i < n; i++) {
		if (skip_hosts && is_host(&v[i]))
			continue;
		if (v[i].family == AF_INET)
			__set_bit(v[i].plen, l->plen4);
		else
			__set_bit(v[i].plen, l->plen6);
	}
}

static const struct mw_img_prefix *pfx_find(const struct mw_lpm *l, u8 fam,
					    const u8 *key, u8 plen)
{
	u32 lo = 0, hi = l->n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int r = cmp_key(fam, key, plen, &l->v[mid]);

		if (!r)
			return &l->v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Longest prefix containing addr, over the lengths present only. */
static const struct mw_img_prefix *lpm_lookup(const struct mw_lpm *l, u8 fam,
					      const u8 *addr)
{
	const unsigned long *bits;
	unsigned int max, plen;
	u8 key[16] = { 0 };

	if (!l->n)
		return NULL;
	if (fam == AF_INET) {
		bits = l->plen4;
		max = 32;
	} else if (fam == AF_INET6) {
		bits = l->plen6;
		max = 128;
	} else {
		return NULL;
	}
	for (plen = max + 1; plen-- > 0;) {
		const struct mw_img_prefix *p;
		unsigned int i;

		if (!test_bit(plen, bits))
			continue;
		memcpy(key, addr, fam == AF_INET ? 4 : 16);
		for (i = plen / 8; i < 16; i++)
			key[i] = 0;
		if (plen % 8)
			key[plen / 8] = addr[plen / 8] & (u8)(0xff << (8 - plen % 8));
		if (fam == AF_INET)
			memset(key + 4, 0, 12);
		p = pfx_find(l, fam, key, (u8)plen);
		if (p)
			return p;
	}
	return NULL;
}

u32 mw_pol_lookup_device(const struct mw_policy *p, u8 family, const u8 *addr)
{
	const struct mw_host_table *t = &p->hosts;
	const struct mw_img_prefix *pf;
	u8 key[16] = { 0 };

	memcpy(key, addr, family == AF_INET ? 4 : 16);
	if (t->slots) {
		u32 h = host_home(t, family, key);

		while (t->slots[h].value != MW_ID_NONE) {
			if (t->slots[h].family == family &&
			    !memcmp(t->slots[h].addr, key, 16))
				return t->slots[h].value;
			h = (h + 1) & t->mask;
		}
	}
	pf = lpm_lookup(&p->dev_lpm, family, key);
	return pf ? (u32)pf->value : MW_ID_NONE;
}

u64 mw_pol_lookup_zones(const struct mw_policy *p, u8 family, const u8 *addr)
{
	const struct mw_img_prefix *pf = lpm_lookup(&p->zone_lpm, family, addr);

	return pf ? pf->value : 0;
}

static const void *by_idx(const void *base, size_t stride, const u32 *idx,
			  u32 n_idx, u32 id)
{
	if (id >= n_idx || idx[id] == U32_MAX)
		return NULL;
	return (const u8 *)base + (size_t)idx[id] * stride;
}

const struct mw_img_device *mw_pol_device(const struct mw_policy *p, u32 id)
{
	return by_idx(p->devices, sizeof(*p->devices), p->dev_idx,
		      p->n_dev_idx, id);
}

const struct mw_img_system *mw_pol_system(const struct mw_policy *p, u32 id)
{
	return by_idx(p->systems, sizeof(*p->systems), p->sys_idx,
		      p->n_sys_idx, id);
}

const struct mw_img_cset *mw_pol_cset(const struct mw_policy *p, u32 id)
{
	return by_idx(p->csets, sizeof(*p->csets), p->cset_idx,
		      p->n_cset_idx, id);
}

const struct mw_img_window *mw_pol_window(const struct mw_policy *p, u32 id)
{
	return find_id(p->windows, p->n_windows, sizeof(*p->windows), 0, id);
}

void mw_policy_free(struct mw_policy *pol)
{
	if (!pol)
		return;
	mw_pol_counters_free(pol);
	mw_ifmap_free(pol);
	kvfree(pol->dev_ev);
	kvfree(pol->hosts.slots);
	kvfree(pol->cset_idx);
	kvfree(pol->dev_idx);
	kvfree(pol->sys_idx);
	vfree(pol->img);
	kfree(pol);
}

static int build_tables(struct mw_policy *pol, const struct mw_view *v)
{
	u32 *idx, i;

	idx = build_idx(v->systems, v->n[MW_SEC_SYSTEMS], sizeof(*v->systems),
			&pol->n_sys_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->sys_idx = idx;
	idx = build_idx(v->devices, v->n[MW_SEC_DEVICES], sizeof(*v->devices),
			&pol->n_dev_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->dev_idx = idx;
	idx = build_idx(v->csets, v->n[MW_SEC_CSETS], sizeof(*v->csets),
			&pol->n_cset_idx);
	if (IS_ERR(idx))
		return PTR_ERR(idx);
	pol->cset_idx = idx;
	if (v->n[MW_SEC_CONDUITS])
		pol->n_cond_ids = v->conduits[v->n[MW_SEC_CONDUITS] - 1].id + 1;
	if (build_hosts(pol, v->dpfx, v->n[MW_SEC_DEV_PREFIXES]))
		return -ENOMEM;
	build_lpm(&pol->dev_lpm, v->dpfx, v->n[MW_SEC_DEV_PREFIXES], true);
	build_lpm(&pol->zone_lpm, v->zpfx, v->n[MW_SEC_ZONE_PREFIXES], false);
	for (i = 0; i < v->n[MW_SEC_IFACES]; i++)
		if (v->ifaces[i].zone == MW_ZONE_EXTERNAL)
			pol->ext_ifaces |= 1ULL << i;
	if (pol->n_dev_idx) {
		pol->dev_ev = kvcalloc(pol->n_dev_idx, sizeof(*pol->dev_ev),
				       GFP_KERNEL);
		if (!pol->dev_ev)
			return -ENOMEM;
	}
	return mw_pol_counters_alloc(pol);
}

/* Validate img and build a policy that owns it (also on failure: freed). */
int mw_policy_build(void *img, u32 len, struct mw_policy **out,
		    struct netlink_ext_ack *extack)
{
	struct mw_policy *pol;
	struct mw_view v = { 0 };
	int err;

	err = mw_image_validate(img, len, &v, extack);
	if (err)
		goto out_free_img;
	pol = kzalloc(sizeof(*pol), GFP_KERNEL);
	if (!pol) {
		err = -ENOMEM;
		goto out_free_img;
	}
	pol->img = img;
	pol->len = len;
	pol->hdr = v.h;
	pol->ifaces = v.ifaces;
	pol->n_ifaces = v.n[MW_SEC_IFACES];
	pol->systems = v.systems;
	pol->n_systems = v.n[MW_SEC_SYSTEMS];
	pol->devices = v.devices;
	pol->n_devices = v.n[MW_SEC_DEVICES];
	pol->csets = v.csets;
	pol->n_csets = v.n[MW_SEC_CSETS];
	pol->conduits = v.conduits;
	pol->n_conduits = v.n[MW_SEC_CONDUITS];
	pol->windows = v.windows;
	pol->n_windows = v.n[MW_SEC_WINDOWS];
	err = build_tables(pol, &v);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory building policy tables");
		mw_policy_free(pol);
		return err;
	}
	*out = pol;
	return 0;

out_free_img:
	vfree(img);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Transactions                                                           */

void mw_txn_end(struct mw_txn *txn)
{
	vfree(txn->buf);
	memset(txn, 0, sizeof(*txn));
}

/*
 * The open transaction id of portid, or an error: ESRCH if id is not open,
 * EPERM if another socket began it.
 */
static struct mw_txn *txn_get(struct mw_net *mn, u32 portid, u32 id,
			      struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = &mn->txn;

	lockdep_assert_held(&mn->lock);
	if (!txn->id || txn->id != id) {
		NL_SET_ERR_MSG(extack, "no such transaction");
		return ERR_PTR(-ESRCH);
	}
	if (txn->portid != portid) {
		NL_SET_ERR_MSG(extack, "transaction of another socket");
		return ERR_PTR(-EPERM);
	}
	return txn;
}

int mw_txn_begin(struct mw_net *mn, u32 portid, u32 len, u32 *id)
{
	struct mw_txn *txn = &mn->txn;
	void *buf;

	lockdep_assert_held(&mn->lock);
	if (!len || len > mw_image_max || len > MW_IMAGE_MAX)
		return -EFBIG;
	if (txn->id && txn->portid != portid)
		return -EBUSY;		/* another socket is loading */
	mw_txn_end(txn);		/* the owner's previous one is aborted */
	buf = vmalloc(len);
	if (!buf)
		return -ENOMEM;
	if (!++mn->txn_next)
		mn->txn_next = 1;
	txn->id = mn->txn_next;
	txn->portid = portid;
	txn->len = len;
	txn->filled = 0;
	txn->buf = buf;
	*id = txn->id;
	return 0;
}

int mw_txn_chunk(struct mw_net *mn, u32 portid, u32 id, u32 off,
		 const void *data, u32 len, struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	if (off != txn->filled) {
		NL_SET_ERR_MSG(extack, "chunk out of order");
		return -EINVAL;
	}
	if (!len || len > txn->len - txn->filled) {
		NL_SET_ERR_MSG(extack, "chunk past the announced image length");
		return -EMSGSIZE;
	}
	memcpy((u8 *)txn->buf + off, data, len);
	txn->filled += len;
	return 0;
}

/*
 * M7c: may pol replace old?  A serial below the one in force only with
 * MW_COMMIT_F_ROLLBACK (-ESTALE), an equal serial only with the same
 * digest (-EEXIST: a reload of the same image).
 */
static int check_serial(struct mw_net *mn, const struct mw_policy *old,
			const struct mw_policy *pol, u32 flags,
			struct netlink_ext_ack *extack)
{
	u64 was, now = pol->hdr->serial;

	if (!old)
		return 0;
	was = old->hdr->serial;
	if (now < was && !(flags & MW_COMMIT_F_ROLLBACK)) {
		MW_ERRMSG_FMT(extack, mn->errmsg,
			      "serial %llu is below the serial in force (%llu): refusing a rollback",
			      now, was);
		return -ESTALE;
	}
	if (now == was && memcmp(pol->hdr->digest, old->hdr->digest,
				 sizeof(pol->hdr->digest))) {
		MW_ERRMSG_FMT(extack, mn->errmsg,
			      "serial %llu is already in force with different content",
			      now);
		return -EEXIST;
	}
	return 0;
}

int mw_txn_commit(struct mw_net *mn, u32 portid, u32 id,
		  const struct mw_commit_opts *o,
		  struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);
	struct mw_policy *pol, *old;
	void *buf;
	u32 len;
	int err;

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	if (txn->filled != txn->len) {
		NL_SET_ERR_MSG(extack, "image incomplete");
		mw_txn_end(txn);
		return -EINVAL;
	}
	buf = txn->buf;
	len = txn->len;
	txn->buf = NULL;		/* the build owns it now */
	mw_txn_end(txn);
	err = mw_policy_build(buf, len, &pol, extack);
	if (err)
		return err;
	old = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	err = check_serial(mn, old, pol, o->flags, extack);
	if (!err)
		err = mw_rates_prepare(mn, pol);
	if (err) {
		if (err == -ENOMEM)
			NL_SET_ERR_MSG(extack, "out of memory for rate limits");
		mw_policy_free(pol);
		return err;
	}
	if (old)
		mw_pol_counters_carry(pol, old);
	if (pol->ext_ifaces)
		mw_ifmap_refresh(mn, pol, NULL);
	if (!++mn->generation)
		mn->generation = 1;
	pol->generation = mn->generation;
	/* nothing fails from here: the clock, then the policy */
	mw_clock_set(mn, o->have_clock ? o->boot_to_unix_ns :
					 mw_clock_sample(), false);
	rcu_assign_pointer(mn->policy, pol);
	synchronize_net();
	mw_policy_free(old);
	mw_rates_prune(mn, pol);
	/* established flows the new policy would not let open end here */
	mw_ct_revoke(mn, pol);
	return 0;
}

int mw_txn_abort(struct mw_net *mn, u32 portid, u32 id,
		 struct netlink_ext_ack *extack)
{
	struct mw_txn *txn = txn_get(mn, portid, id, extack);

	if (IS_ERR(txn))
		return PTR_ERR(txn);
	mw_txn_end(txn);
	return 0;
}

/* The socket portid is closed: its open transaction, if any, is freed. */
void mw_txn_release(struct mw_net *mn, u32 portid)
{
	/* most sockets never began one: no lock for them */
	if (!READ_ONCE(mn->txn.id) || READ_ONCE(mn->txn.portid) != portid)
		return;
	mutex_lock(&mn->lock);
	if (mn->txn.id && mn->txn.portid == portid)
		mw_txn_end(&mn->txn);
	mutex_unlock(&mn->lock);
}

/* Netns exit: the hooks are gone, nothing reads the policy any more. */
void mw_policy_teardown(struct mw_net *mn)
{
	struct mw_policy *pol;

	mutex_lock(&mn->lock);
	mw_txn_end(&mn->txn);
	pol = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	RCU_INIT_POINTER(mn->policy, NULL);
	mutex_unlock(&mn->lock);
	synchronize_net();
	mw_policy_free(pol);
}
