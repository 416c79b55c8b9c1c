// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic policy swap for the XDP program.
 *
 * Each per-policy table is an ARRAY_OF_MAPS with two slots.  A packet
 * reads mw_config once, takes cfg.slot and uses only that slot's inner
 * maps.  A load builds fresh inner maps sized to the policy, fills them
 * completely, puts them into the INACTIVE slot and then flips cfg.slot
 * (and bumps cfg.generation) with one array update.
 *
 * Why no packet is ever judged by a mix of old and new tables: the kernel
 * waits for an RCU grace period (synchronize_rcu in maybe_wait_bpf_programs)
 * at the end of every syscall update of a map-in-map outer map, and an XDP
 * program runs entirely inside one RCU read-side section.  So:
 *   1. before the first write into the inactive slot we rewrite the active
 *      slot's entry with the map it already holds (no change for readers);
 *      the grace period that follows means every packet that started
 *      before the previous flip -- the only ones that could still be using
 *      the inactive slot -- has finished;
 *   2. the inactive slot is now unused; we replace its inner maps (each
 *      replacement again waits a grace period: install_tables runs them
 *      concurrently);
 *   3. one mw_config update flips the slot: a packet reads the slot once,
 *      so it sees either the old complete set or the new complete set;
 *   4. a last no-op rewrite of the new active slot waits until every
 *      packet that read the old slot has finished, so when this function
 *      returns the old policy judges nothing any more.
 * The per-slot plain arrays (iface_direct, dev_tab4, dev_rec: both slots'
 * rows in one array, meterwall/xdp_abi.h) are written in step 2 too, the
 * inactive slot's rows only, after the same grace period.
 * A failure before step 3 leaves the active slot and mw_config untouched:
 * the old policy stays in force.  The previous policy's maps stay in the
 * (now inactive) slot until the next load replaces them, so two policies
 * are in memory between loads.
 */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "xdp_int.h"

#define N_TABLES (M_LAST_SLOT_TABLE - M_FIRST_SLOT_TABLE + 1)

/*
 * What this loader writes into each per-slot table (index = map -
 * M_FIRST_SLOT_TABLE): key and value sizes.  The tables' shapes (type,
 * key, value, flags) are the program's inner-map templates (bpf/maps.h),
 * taken when the object is opened (mw_xdp_take_shapes); a template whose
 * sizes differ from these is a refused open ("rebuild"), never a table
 * written with one layout and read with another.
 */
static const struct { uint32_t key_size, value_size; } writes[N_TABLES] = {
	{ sizeof(uint32_t), sizeof(struct mw_img_iface) },	/* ifaces */
	{ sizeof(struct mw_addr_key), sizeof(struct mw_xdp_dev) }, /* dev_hash */
	{ sizeof(struct mw_lpm_key), sizeof(struct mw_xdp_dev) },  /* dev_lpm */
	{ sizeof(uint32_t), sizeof(struct mw_img_device) },	/* devices */
	{ sizeof(uint32_t), sizeof(struct mw_img_system) },	/* systems */
	{ sizeof(uint32_t), sizeof(struct mw_img_cset) },	/* csets */
	{ sizeof(uint32_t), sizeof(struct mw_img_window) },	/* windows */
	{ sizeof(struct mw_addr_key), sizeof(uint64_t) },	/* zone_hash */
	{ sizeof(struct mw_lpm_key), sizeof(uint64_t) },	/* zone_lpm */
	{ sizeof(uint32_t), sizeof(struct mw_xdp_dev) },	/* dev_hash4 */
};

int mw_xdp_take_shapes(struct mw_xdp *x)
{
	struct mw_xdp_shape *s;
	const struct bpf_map *in;
	int t;

	for (t = 0; t < N_TABLES; t++) {
		in = bpf_map__inner_map(x->map[t + M_FIRST_SLOT_TABLE]);
		if (!in)
			return mw_xdp_fail(x, -EPROTO,
					   "the XDP object's %s table has no "
					   "inner-map template: rebuild mwctl",
					   mw_xdp_map_names[t + M_FIRST_SLOT_TABLE]);
		s = &x->shape[t];
		s->type = bpf_map__type(in);
		s->key_size = bpf_map__key_size(in);
		s->value_size = bpf_map__value_size(in);
		s->flags = bpf_map__map_flags(in);
		if (s->key_size != writes[t].key_size ||
		    s->value_size != writes[t].value_size)
			return mw_xdp_fail(x, -EPROTO,
					   "the XDP object's %s table holds "
					   "%u-byte keys and %u-byte values, "
					   "this library writes %u and %u: "
					   "rebuild mwctl",
					   mw_xdp_map_names[t + M_FIRST_SLOT_TABLE],
					   s->key_size, s->value_size,
					   writes[t].key_size,
					   writes[t].value_size);
	}
	return 0;
}

/* A batch of entries for one inner map. */
struct batch {
	uint8_t *keys;
	uint8_t *vals;
	uint32_t n;
};

struct build {
	const struct mw_xdp_shape *shape;	/* [N_TABLES], x->shape */
	int fd[N_TABLES];
	struct batch b[N_TABLES];
	struct mw_xdp_slot_meta meta;
	struct mw_xdp_iface *direct;	/* [MW_XDP_IFINDEX_DIRECT] */
	struct mw_xdp_h4 *tab4;		/* this slot's dev_tab4 rows */
	uint32_t h4_bits;		/* 1 << h4_bits of them */
	uint32_t h4_probes;		/* the farthest placement + 1 */
	uint32_t h4_max_bits;		/* a slot's share of dev_tab4 */
	uint32_t dev_capacity;		/* a slot's share of dev_rec */
	bool by_mmap;			/* dev_tab4, dev_rec mmapable */
	uint32_t *rec_ids;		/* dev_rec: [n_rec] device ids, */
	struct mw_xdp_dev *recs;	/* their records */
	uint32_t n_rec;
};

int mw_xdp_h4_place(struct mw_xdp_h4 *tab, uint32_t bits, uint32_t addr,
		    uint32_t ref)
{
	uint32_t home = mw_xdp_h4_home(ntohl(addr), bits), i, k;

	for (i = 0; i < MW_XDP_H4_PROBES; i++) {
		k = (home + i) & ((1U << bits) - 1);
		if (!tab[k].ref || tab[k].addr == addr) {
			tab[k].addr = addr;
			tab[k].ref = ref;
			return (int)i;
		}
	}
	return -1;
}

uint32_t mw_xdp_h4_find(const struct mw_xdp_h4 *tab, uint32_t bits,
			uint32_t addr)
{
	uint32_t home = mw_xdp_h4_home(ntohl(addr), bits), i, k;

	for (i = 0; i < MW_XDP_H4_PROBES; i++) {
		k = (home + i) & ((1U << bits) - 1);
		if (!tab[k].ref)
			return 0;
		if (tab[k].addr == addr)
			return tab[k].ref;
	}
	return 0;
}

static unsigned int if_name_index(const char *name, void *arg)
{
	(void)arg;
	return if_nametoindex(name);
}

static bool is_host(const struct mw_img_prefix *p)
{
	return p->plen == (p->family == AF_INET ? 32 : 128);
}

static int batch_alloc(struct build *bd, int t, size_t n)
{
	const struct mw_xdp_shape *s = &bd->shape[t];

	bd->b[t].keys = calloc(n ? n : 1, s->key_size);
	bd->b[t].vals = calloc(n ? n : 1, s->value_size);
	return bd->b[t].keys && bd->b[t].vals ? 0 : -ENOMEM;
}

static void batch_add(struct build *bd, int t, const void *key,
		      const void *val)
{
	const struct mw_xdp_shape *s = &bd->shape[t];
	struct batch *b = &bd->b[t];

	memcpy(b->keys + (size_t)b->n * s->key_size, key, s->key_size);
	memcpy(b->vals + (size_t)b->n * s->value_size, val, s->value_size);
	b->n++;
}

/* ARRAY tables: index = id, so the map holds max id + 1 entries. */
static uint32_t array_size(const void *recs, size_t n, size_t size)
{
	uint32_t max = 0, id;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&id, (const uint8_t *)recs + i * size, sizeof(id));
		if (id + 1 > max)
			max = id + 1;
	}
	return max ? max : 1;
}

static void add_records(struct build *bd, int t, const void *recs, size_t n,
			size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *r = (const uint8_t *)recs + i * size;

		batch_add(bd, t, r, r);	/* key = the record's leading id */
	}
}

static void addr_key(const struct mw_img_prefix *p, struct mw_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	memcpy(k->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

static void lpm_key(const struct mw_img_prefix *p, struct mw_lpm_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 8 + p->plen;
	k->family = p->family;
	memcpy(k->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

/* Device and zone prefixes: hosts exact, the rest longest-prefix. */
/* The device-table value of device id: the device joined with its
 * system (struct mw_xdp_dev). */
static void dev_record(const struct mw_image_view *v, uint32_t id,
		       struct mw_xdp_dev *d)
{
	const struct mw_img_device *dev = mw_image_device(v, id);
	const struct mw_img_system *sys;

	memset(d, 0, sizeof(*d));
	d->id = id;
	if (!dev) {
		d->xflags = MW_XDEV_F_NO_RECORD;
		return;
	}
	d->system = dev->system;
	d->cset = dev->cset;
	d->dev_flags = dev->flags;
	memcpy(d->mac, dev->mac, sizeof(d->mac));
	sys = mw_image_system(v, dev->system);
	if (!sys) {
		d->xflags = MW_XDEV_F_NO_SYSTEM;
		return;
	}
	d->sys_iface = sys->iface;
	d->sys_flags = sys->flags;
	d->valid_from = sys->valid_from;
	d->expires = sys->expires;
	d->limit_pps = sys->limit_pps;
	d->limit_bps = sys->limit_bps;
	if (sys->limit_pps || sys->limit_bps)
		d->xflags |= MW_XDEV_F_LIMITED;
}

/* Prefixes into the hash (hosts) and trie (the rest); v non-NULL: device
 * prefixes (value = the joined device record), else zone masks.  th4 >= 0:
 * IPv4 hosts go there instead, keyed by their 4 bytes. */
static void add_prefixes(struct build *bd, int th4, int th, int tl,
			 const struct mw_img_prefix *p, size_t n,
			 const struct mw_image_view *v,
			 uint32_t *n_hosts, uint32_t *n_prefixes)
{
	struct mw_xdp_dev d;
	size_t i;

	for (i = 0; i < n; i++) {
		const void *val = &p[i].value;

		if (v) {
			dev_record(v, (uint32_t)p[i].value, &d);
			val = &d;
		}

		if (is_host(&p[i]) && th4 >= 0 && p[i].family == AF_INET) {
			uint32_t a4;
			int at = -1;

			memcpy(&a4, p[i].addr, 4);
			(*n_hosts)++;
			/* the table when the record is in dev_rec and the
			 * key fits within the probe bound, else the hash */
			if (!(d.xflags & MW_XDEV_F_NO_RECORD) &&
			    d.id < bd->dev_capacity)
				at = mw_xdp_h4_place(bd->tab4, bd->h4_bits, a4,
						     d.id + 1);
			if (at >= 0) {
				if ((uint32_t)at + 1 > bd->h4_probes)
					bd->h4_probes = (uint32_t)at + 1;
				continue;
			}
			batch_add(bd, th4, &a4, val);
		} else if (is_host(&p[i])) {
			struct mw_addr_key k;

			addr_key(&p[i], &k);
			batch_add(bd, th, &k, val);
			(*n_hosts)++;
		} else {
			struct mw_lpm_key k;

			lpm_key(&p[i], &k);
			batch_add(bd, tl, &k, val);
			(*n_prefixes)++;
		}
	}
}

/* dev_rec's joined record of every device; whether dev_hash4 holds any
 * IPv4 host (a key the table could not place). */
static void add_dev_records(struct build *bd, const struct mw_image_view *v)
{
	size_t i;

	bd->meta.h4_bits = (uint8_t)bd->h4_bits;
	bd->meta.h4_spill = bd->b[M_DEV_HASH4 - M_FIRST_SLOT_TABLE].n != 0;
	bd->meta.h4_probes = (uint8_t)bd->h4_probes;
	for (i = 0; i < v->n_devices && !bd->by_mmap; i++) {
		if (v->devices[i].id >= bd->dev_capacity)
			continue;	/* refused by mw_xdp_check_capacity */
		bd->rec_ids[bd->n_rec] = v->devices[i].id;
		dev_record(v, v->devices[i].id, &bd->recs[bd->n_rec++]);
	}
}

/* dev_tab4 rows for a slot: enough for its IPv4 hosts, at most the
 * capacity's (the rest spill to dev_hash4). */
static uint32_t slot_h4_bits(const struct mw_image_view *v, uint32_t max)
{
	uint32_t n = 0, bits;
	size_t i;

	for (i = 0; i < v->n_dev_prefixes; i++)
		n += is_host(&v->dev_prefixes[i]) &&
		     v->dev_prefixes[i].family == AF_INET;
	bits = mw_xdp_h4_bits(n);
	return bits < max ? bits : max;
}

/* The most entries table t's batch takes from v. */
static size_t batch_entries(const struct mw_image_view *v, int t)
{
	switch (t + M_FIRST_SLOT_TABLE) {
	case M_IFACES: return v->n_ifaces;
	case M_DEV_HASH: case M_DEV_LPM: case M_DEV_HASH4:
		return v->n_dev_prefixes;
	case M_DEVICES: return v->n_devices;
	case M_SYSTEMS: return v->n_systems;
	case M_CSETS: return v->n_csets;
	case M_WINDOWS: return v->n_windows;
	case M_ZONE_HASH: case M_ZONE_LPM: return v->n_zone_prefixes;
	}
	return 1;
}

/* Collect every entry of every inner map from the image. */
static int collect(struct mw_xdp *x, const struct mw_image_view *v,
		   const struct mw_xdp_load_opts *o, struct build *bd,
		   struct mw_xdp_load_result *res)
{
	unsigned int (*resolve)(const char *, void *) =
		o && o->ifindex ? o->ifindex : if_name_index;
	void *arg = o ? o->arg : NULL;
	struct mw_xdp_slot_meta *m = &bd->meta;
	size_t i, n_dev_pfx = v->n_dev_prefixes, n_zone_pfx = v->n_zone_prefixes;
	size_t n_rec;
	int t;

	for (t = 0; t < N_TABLES; t++)
		if (batch_alloc(bd, t, batch_entries(v, t)))
			return mw_xdp_fail(x, -ENOMEM, "out of memory");
	bd->direct = calloc(MW_XDP_IFINDEX_DIRECT, sizeof(*bd->direct));
	bd->h4_max_bits = x->h4_bits;
	bd->h4_bits = slot_h4_bits(v, x->h4_bits);
	bd->dev_capacity = x->dev_capacity;
	bd->tab4 = calloc(1U << bd->h4_bits, sizeof(*bd->tab4));
	/* by mmap, the records go straight into dev_rec (copy_dev_tables) */
	bd->by_mmap = x->mmapable[M_DEV_TAB4] && x->mmapable[M_DEV_REC];
	n_rec = bd->by_mmap ? 1 : v->n_devices + 1;
	bd->rec_ids = calloc(n_rec, sizeof(*bd->rec_ids));
	bd->recs = calloc(n_rec, sizeof(*bd->recs));
	if (!bd->direct || !bd->tab4 || !bd->rec_ids || !bd->recs)
		return mw_xdp_fail(x, -ENOMEM, "out of memory");
	for (i = 0; i < v->n_ifaces; i++) {
		char name[MW_IFNAMSIZ + 1] = "";
		uint32_t ifindex;

		memcpy(name, v->ifaces[i].name, MW_IFNAMSIZ);
		ifindex = resolve(name, arg);
		if (!ifindex) {
			res->n_skipped++;
			continue;
		}
		batch_add(bd, M_IFACES - M_FIRST_SLOT_TABLE, &ifindex,
			  &v->ifaces[i]);
		if (ifindex < MW_XDP_IFINDEX_DIRECT) {
			bd->direct[ifindex].ifc = v->ifaces[i];
			bd->direct[ifindex].present = 1;
		}
		res->n_ifaces++;
	}
	add_prefixes(bd, M_DEV_HASH4 - M_FIRST_SLOT_TABLE,
		     M_DEV_HASH - M_FIRST_SLOT_TABLE,
		     M_DEV_LPM - M_FIRST_SLOT_TABLE, v->dev_prefixes, n_dev_pfx,
		     v, &m->n_dev_hosts, &m->n_dev_prefixes);
	add_prefixes(bd, -1, M_ZONE_HASH - M_FIRST_SLOT_TABLE,
		     M_ZONE_LPM - M_FIRST_SLOT_TABLE, v->zone_prefixes,
		     n_zone_pfx, NULL, &m->n_zone_hosts, &m->n_zone_prefixes);
	add_dev_records(bd, v);
	add_records(bd, M_DEVICES - M_FIRST_SLOT_TABLE, v->devices,
		    v->n_devices, sizeof(*v->devices));
	add_records(bd, M_SYSTEMS - M_FIRST_SLOT_TABLE, v->systems,
		    v->n_systems, sizeof(*v->systems));
	add_records(bd, M_CSETS - M_FIRST_SLOT_TABLE, v->csets, v->n_csets,
		    sizeof(*v->csets));
	add_records(bd, M_WINDOWS - M_FIRST_SLOT_TABLE, v->windows,
		    v->n_windows, sizeof(*v->windows));
	m->n_ifaces = res->n_ifaces;
	m->n_devices = v->n_devices;
	m->n_systems = v->n_systems;
	m->serial = v->hdr->serial;
	m->reply_lo = v->hdr->reply_lo;
	m->reply_hi = v->hdr->reply_hi;
	m->expires = v->hdr->expires;
	memcpy(m->digest, v->hdr->digest, sizeof(m->digest));
	return 0;
}

/* Insert a batch: one syscall where the map type allows, else one each. */
static int fill(int fd, const struct mw_xdp_shape *s, struct batch *b)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t i, n = b->n;

	if (!n)
		return 0;
	if (s->type != BPF_MAP_TYPE_LPM_TRIE &&
	    bpf_map_update_batch(fd, b->keys, b->vals, &n, &bo) == 0)
		return 0;
	for (i = 0; i < b->n; i++)
		if (bpf_map_update_elem(fd, b->keys + (size_t)i * s->key_size,
					b->vals + (size_t)i * s->value_size,
					BPF_ANY) < 0)
			return -errno;
	return 0;
}

static uint32_t table_size(const struct mw_image_view *v, int t,
			   const struct build *bd)
{
	switch (t + M_FIRST_SLOT_TABLE) {
	case M_DEVICES:
		return array_size(v->devices, v->n_devices, sizeof(*v->devices));
	case M_SYSTEMS:
		return array_size(v->systems, v->n_systems, sizeof(*v->systems));
	case M_CSETS:
		return array_size(v->csets, v->n_csets, sizeof(*v->csets));
	case M_WINDOWS:
		return array_size(v->windows, v->n_windows, sizeof(*v->windows));
	}
	return bd->b[t].n ? bd->b[t].n : 1;
}

static int create_tables(struct mw_xdp *x, const struct mw_image_view *v,
			 struct build *bd)
{
	int t, err;

	for (t = 0; t < N_TABLES; t++) {
		const struct mw_xdp_shape *s = &bd->shape[t];
		LIBBPF_OPTS(bpf_map_create_opts, co, .map_flags = s->flags);
		uint32_t size = table_size(v, t, bd);

		bd->fd[t] = bpf_map_create(s->type,
					   mw_xdp_map_names[t + M_FIRST_SLOT_TABLE],
					   s->key_size, s->value_size, size,
					   &co);
		if (bd->fd[t] < 0)
			return mw_xdp_fail(x, -errno,
					   "cannot create the %s table (%u "
					   "entries): %s",
					   mw_xdp_map_names[t + M_FIRST_SLOT_TABLE],
					   size, strerror(errno));
		err = fill(bd->fd[t], s, &bd->b[t]);
		if (err)
			return mw_xdp_fail(x, err, "cannot fill the %s table: %s",
					   mw_xdp_map_names[t + M_FIRST_SLOT_TABLE],
					   strerror(-err));
	}
	return 0;
}

/* n entries of array map fd at keys[] (batched where the kernel can). */
static int write_rows(int fd, const uint32_t *keys, const void *vals,
		      uint32_t n, size_t size)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t i, done = n;

	if (!n || bpf_map_update_batch(fd, keys, vals, &done, &bo) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i],
					(const uint8_t *)vals + i * size,
					BPF_ANY) < 0)
			return -errno;
	return 0;
}

/*
 * The whole iface_direct range of slot (every row: absent ones cleared),
 * like an inner map of the slot: only while no packet reads the slot.
 */
static int write_direct(struct mw_xdp *x, const struct build *bd,
			uint32_t slot)
{
	uint32_t keys[MW_XDP_IFINDEX_DIRECT], i;

	for (i = 0; i < MW_XDP_IFINDEX_DIRECT; i++)
		keys[i] = slot * MW_XDP_IFINDEX_DIRECT + i;
	return write_rows(x->fd[M_IFACE_DIRECT], keys, bd->direct,
			  MW_XDP_IFINDEX_DIRECT, sizeof(*bd->direct));
}

void *mw_xdp_map_rows(int fd, uint64_t first, uint64_t n, size_t size,
		      int prot, void **base, size_t *len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t from = first * size, start = from & ~(page - 1);
	uint64_t end = (from + n * size + page - 1) & ~(page - 1);
	uint8_t *m;

	m = mmap(NULL, end - start, prot, MAP_SHARED, fd, (off_t)start);
	if (m == MAP_FAILED)
		return NULL;
	*base = m;
	*len = end - start;
	return m + (from - start);
}

/* write_dev_tables by mmap: one copy of the table (its buffer freed),
 * each device's record built in its row; -errno if a map cannot be
 * mapped. */
static int copy_dev_tables(struct mw_xdp *x, const struct mw_image_view *v,
			   struct build *bd, uint32_t slot)
{
	uint32_t rows = 1U << bd->h4_bits, top, id;
	struct mw_xdp_dev *rec;
	struct mw_xdp_h4 *tab;
	void *base;
	size_t len, i;

	tab = mw_xdp_map_rows(x->fd[M_DEV_TAB4],
			      (uint64_t)slot << bd->h4_max_bits, rows,
			      sizeof(*tab), PROT_READ | PROT_WRITE, &base, &len);
	if (!tab)
		return -errno;
	memcpy(tab, bd->tab4, (size_t)rows * sizeof(*tab));
	munmap(base, len);
	free(bd->tab4);
	bd->tab4 = NULL;
	if (!v->n_devices)
		return 0;
	/* every id is below the capacity (mw_xdp_check_capacity) */
	top = array_size(v->devices, v->n_devices, sizeof(*v->devices));
	rec = mw_xdp_map_rows(x->fd[M_DEV_REC],
			      (uint64_t)slot * bd->dev_capacity, top,
			      sizeof(*rec), PROT_READ | PROT_WRITE, &base, &len);
	if (!rec)
		return -errno;
	for (i = 0; i < v->n_devices; i++) {
		id = v->devices[i].id;
		if (id < bd->dev_capacity)	/* else refused already */
			dev_record(v, id, &rec[id]);
	}
	munmap(base, len);
	return 0;
}

/*
 * slot's dev_tab4 rows (all of its table's range: empty ones cleared, so
 * no key of an older policy stays) and its dev_rec records; like an inner
 * map of the slot, only while no packet reads the slot.  dev_rec rows of
 * ids this policy does not have are never reached (no table points there).
 * The flip that follows is a syscall: the copies are visible to the
 * program before the slot is.
 */
static int write_dev_tables(struct mw_xdp *x, const struct mw_image_view *v,
			    struct build *bd, uint32_t slot)
{
	uint32_t rows = 1U << bd->h4_bits, n = rows > bd->n_rec ? rows :
					       bd->n_rec, i;
	uint32_t *keys;
	int err;

	if (bd->by_mmap)
		return copy_dev_tables(x, v, bd, slot);
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < rows; i++)
		keys[i] = (slot << bd->h4_max_bits) + i;
	err = write_rows(x->fd[M_DEV_TAB4], keys, bd->tab4, rows,
			 sizeof(*bd->tab4));
	for (i = 0; i < bd->n_rec && !err; i++)
		keys[i] = slot * bd->dev_capacity + bd->rec_ids[i];
	if (!err)
		err = write_rows(x->fd[M_DEV_REC], keys, bd->recs, bd->n_rec,
				 sizeof(*bd->recs));
	free(keys);
	return err;
}

/* One table into its outer map's slot (a thread of install_tables). */
struct install {
	pthread_t th;
	int outer, fd, err;
	uint32_t slot;
	bool threaded;
};

static void *install_one(void *arg)
{
	struct install *in = arg;

	if (bpf_map_update_elem(in->outer, &in->slot, &in->fd, BPF_ANY) < 0)
		in->err = errno;
	return NULL;
}

/*
 * Step 2: every table into the inactive slot.  Each outer-map update
 * returns only after an RCU grace period (the kernel's wait after a
 * map-in-map update, some 8 ms); the slot is unused, so those waits guard
 * nothing here, and the updates run concurrently, a thread each: their
 * waits overlap, about one grace period for all instead of one per table.
 * A table that cannot be created a thread is installed from this one.
 */
static int install_tables(struct mw_xdp *x, struct build *bd, uint32_t slot)
{
	struct install in[N_TABLES];
	int t, err = 0;

	for (t = 0; t < N_TABLES; t++) {
		in[t] = (struct install){
			.outer = x->fd[t + M_FIRST_SLOT_TABLE],
			.fd = bd->fd[t], .slot = slot,
		};
		in[t].threaded = !pthread_create(&in[t].th, NULL, install_one,
						 &in[t]);
		if (!in[t].threaded)
			install_one(&in[t]);
	}
	for (t = 0; t < N_TABLES; t++) {
		if (in[t].threaded)
			pthread_join(in[t].th, NULL);
		if (in[t].err && !err)
			err = mw_xdp_fail(x, -in[t].err,
					  "cannot install the %s table: %s "
					  "(the previous policy stays in force)",
					  mw_xdp_map_names[t + M_FIRST_SLOT_TABLE],
					  strerror(in[t].err));
	}
	return err;
}

/* Steps 1-4 of the comment on top, under the pin-directory lock. */
static int swap_in(struct mw_xdp *x, const struct mw_image_view *v,
		   struct build *bd, const struct mw_xdp_load_opts *o,
		   struct mw_xdp_load_result *res)
{
	struct mw_config cfg;
	uint32_t active, target;
	int err;

	err = mw_xdp_read_config(x, &cfg);
	if (!err)
		err = mw_xdp_reset_rates(x, v, &cfg);
	if (err)
		return err;
	active = cfg.slot & 1;
	target = cfg.generation ? active ^ 1 : 0;
	if (cfg.generation) {
		err = mw_xdp_rcu_barrier(x, active);
		if (err)
			return mw_xdp_fail(x, err, "cannot synchronise with "
					   "the datapath: %s", strerror(-err));
	}
	err = install_tables(x, bd, target);
	if (err)
		return err;
	err = write_direct(x, bd, target);
	if (err)
		return mw_xdp_fail(x, err, "cannot write the iface_direct "
				   "table: %s (the previous policy stays in "
				   "force)", strerror(-err));
	err = write_dev_tables(x, v, bd, target);
	if (err)
		return mw_xdp_fail(x, err, "cannot write the dev_tab4 and "
				   "dev_rec tables: %s (the previous policy "
				   "stays in force)", strerror(-err));
	bd->meta.generation = cfg.generation + 1 ? cfg.generation + 1 : 1;
	bd->meta.loaded_ns = (int64_t)time(NULL) * 1000000000LL;
	if (bpf_map_update_elem(x->fd[M_SLOT_META], &target, &bd->meta,
				BPF_ANY) < 0)
		return mw_xdp_fail(x, -errno, "cannot write slot_meta: %s "
				   "(the previous policy stays in force)",
				   strerror(errno));
	/* the flip: one array update */
	/* the clock: the given offset (or the host's); the largest one
	 * stays, but on maps that never had a policy */
	mw_xdp_config_clock(&cfg, o ? o->boot_to_unix_ns : 0,
			    !cfg.generation);
	cfg.slot = target;
	cfg.generation = bd->meta.generation;
	err = mw_xdp_write_config(x, &cfg);
	if (err)
		return err;
	res->generation = cfg.generation;
	res->slot = target;
	err = mw_xdp_rcu_barrier(x, target);
	if (err)	/* in force already; only the wait failed */
		return mw_xdp_fail(x, err, "policy generation %u is in force, "
				   "but waiting for the old one failed: %s",
				   cfg.generation, strerror(-err));
	return 0;
}

int mw_xdp_load_image(struct mw_xdp *x, const struct mw_image_view *v,
		      const struct mw_xdp_load_opts *opts,
		      struct mw_xdp_load_result *res)
{
	struct mw_xdp_load_result dummy;
	struct build bd;
	int t, err;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	memset(&bd, 0, sizeof(bd));
	bd.shape = x->shape;
	for (t = 0; t < N_TABLES; t++)
		bd.fd[t] = -1;
	if (!v || !v->hdr)
		return mw_xdp_fail(x, -EINVAL, "no policy image");
	err = mw_xdp_check_capacity(x, v);
	if (!err)
		err = collect(x, v, opts, &bd, res);
	if (!err)
		err = create_tables(x, v, &bd);
	if (!err) {
		err = mw_xdp_lock(x);
		if (!err) {
			err = swap_in(x, v, &bd, opts, res);
			mw_xdp_unlock(x);
		}
	}
	for (t = 0; t < N_TABLES; t++) {
		if (bd.fd[t] >= 0)
			close(bd.fd[t]);	/* the outer map holds them */
		free(bd.b[t].keys);
		free(bd.b[t].vals);
	}
	free(bd.direct);
	free(bd.tab4);
	free(bd.rec_ids);
	free(bd.recs);
	return err;
}
