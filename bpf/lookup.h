/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lookups of "Decide" (doc/datapath.md) over one policy slot: source
 * device (dev_tab4, dev_hash4, dev_hash, dev_lpm), destination zones, and
 * the checks on the device found (block, MAC binding, agreement).
 */
#ifndef MW_BPF_LOOKUP_H
#define MW_BPF_LOOKUP_H

#include "consts.h"
#include "flow.h"
#include "judge.h"
#include "maps.h"
#include "parse.h"

/* Geometry of dev_tab4 and dev_rec, set by the loader from the device
 * capacity (meterwall/xdp_abi.h): slot s's table starts at row
 * s << mw_h4_max_bits, its records at s * mw_dev_capacity. */
const volatile __u32 mw_h4_max_bits = MW_XDP_H4_MIN_BITS;
const volatile __u32 mw_dev_capacity = MW_XDP_DEF_DEV_CAPACITY;

/* The joined record of device id in slot (dev_rec), or NULL. */
static __always_inline const struct mw_xdp_dev *dev_rec_of(__u32 slot,
							  __u32 id)
{
	__u32 k = slot * mw_dev_capacity + id;

	if (id >= mw_dev_capacity)
		return NULL;	/* not reached: the loader checks ids */
	return bpf_map_lookup_elem(&dev_rec, &k);
}

/*
 * IPv4 host in the slot's dev_tab4 (inlined array loads only).  Returns
 * the record, or NULL with *spill set when the key may be among the ones
 * the loader left in dev_hash4 (then the hash decides).
 */
static __always_inline const struct mw_xdp_dev *
lookup_tab4(struct mw_judge *j, __u32 a4, bool *spill, __u32 *id)
{
	__u32 bits = j->meta->h4_bits, probes = j->meta->h4_probes;
	__u32 base, mask, home, i, k;
	const struct mw_xdp_h4 *e;

	*spill = true;
	if (bits < MW_XDP_H4_MIN_BITS || bits > mw_h4_max_bits)
		return NULL;		/* no table: the hash has every key */
	base = j->slot << mw_h4_max_bits;
	mask = (1U << bits) - 1;
	home = mw_xdp_h4_home(bpf_ntohl(a4), bits);
#pragma unroll
	for (i = 0; i < MW_XDP_H4_PROBES; i++) {
		if (i >= probes)
			break;		/* no key was placed farther */
		k = base + ((home + i) & mask);
		e = bpf_map_lookup_elem(&dev_tab4, &k);
		if (!e || !e->ref)
			break;			/* empty: not placed here */
		if (e->addr == a4) {
			*spill = false;
			*id = e->ref - 1;
			return dev_rec_of(j->slot, *id);
		}
	}
	*spill = j->meta->h4_spill;
	return NULL;
}

/*
 * Keys of the address tables, built only by the lookup that needs one
 * (the IPv4 host path uses neither: zeroing them cost as much as a probe).
 */
static __always_inline void *lookup_host(void *tbl, __u8 family,
					 const __u8 *addr)
{
	struct mw_addr_key k = { .family = family };

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(tbl, &k);
}

static __always_inline void *lookup_prefix(void *tbl, __u8 family,
					   const __u8 *addr)
{
	struct mw_lpm_key lk = { .prefixlen = 8 + 128, .family = family };

	__builtin_memcpy(lk.addr, addr, 16);
	return bpf_map_lookup_elem(tbl, &lk);
}

/*
 * Exact host address first, then the longest prefix; NULL if none.  *id:
 * the device's id, from the dev_tab4 entry when it was found there (the
 * record at that row has the same id, but its rows in dev_blocks and
 * dev_counters are then addressed without waiting for the record's load:
 * two dependent loads of cold rows in a row, not three), else d->id.
 */
static __always_inline const struct mw_xdp_dev *
lookup_device_id(struct mw_judge *j, __u8 family, const __u8 *addr,
		 __u32 *id)
{
	const struct mw_xdp_dev *d = NULL;
	void *tbl;

	if (j->meta->n_dev_hosts && family == MW_AF_INET) {
		bool spill;
		__u32 a4;

		__builtin_memcpy(&a4, addr, 4);
		d = lookup_tab4(j, a4, &spill, id);
		if (d)
			return d;
		if (spill && (tbl = slot_table(&dev_hash4, j->slot)))
			d = bpf_map_lookup_elem(tbl, &a4);
	} else if (j->meta->n_dev_hosts &&
		   (tbl = slot_table(&dev_hash, j->slot))) {
		d = lookup_host(tbl, family, addr);
	}
	if (!d && j->meta->n_dev_prefixes &&
	    (tbl = slot_table(&dev_lpm, j->slot)))
		d = lookup_prefix(tbl, family, addr);
	if (d)
		*id = d->id;
	return d;
}

static __always_inline const struct mw_xdp_dev *
lookup_device(struct mw_judge *j, __u8 family, const __u8 *addr)
{
	__u32 id;

	return lookup_device_id(j, family, addr, &id);
}

/* Zone mask of an address: exact host prefix, then longest prefix. */
static __always_inline __u64 lookup_zones(const struct mw_xdp_slot_meta *meta,
					  __u32 slot, __u8 family,
					  const __u8 *addr)
{
	void *tbl;
	__u64 *mask;

	if (meta->n_zone_hosts && (tbl = slot_table(&zone_hash, slot))) {
		mask = lookup_host(tbl, family, addr);
		if (mask)
			return *mask;
	}
	if (!meta->n_zone_prefixes || !(tbl = slot_table(&zone_lpm, slot)))
		return 0;
	mask = lookup_prefix(tbl, family, addr);
	return mask ? *mask : 0;
}

/*
 * The packet of flow k (u: what is known before the verdict) counted in
 * its row, which it takes over if it is not its own (u->row: the row, or
 * MW_FLOW_NO_ROW); returns the zone mask of k's destination under the
 * policy in u->slot, as u->generation: the row's when it has it for that
 * generation, else looked up and kept in the row.  The verdict's fields
 * follow in flow_verdict() (account.h): one call per packet for flow and
 * zones, where finding, zones and the update were three, each paying a
 * return.  A global function: the probe loop verified once, not once per
 * path of the program into it; the caller branches on nothing of it.
 */
__noinline __u64 mw_flow_enter(const struct mw_flow_key *k,
			       struct mw_flow_upd *u)
{
	const struct mw_xdp_slot_meta *meta;
	struct mw_xdp_flow *e;
	__u32 row, slot;
	__u64 zones;

	if (!k || !u)
		return 0;
	row = flow_find(k);
	e = flow_at(row);
	u->row = e ? row : MW_FLOW_NO_ROW;
	if (e) {
		if (!(row & MW_FLOW_HIT))
			flow_take(e, row, k, u->now);
		flow_count(e, u);
		if (e->zone_gen == u->generation)
			return e->zones;
	}
	slot = u->slot;		/* a key on the stack (6.1: not in u) */
	meta = bpf_map_lookup_elem(&slot_meta, &slot);
	zones = meta ? lookup_zones(meta, slot, k->family, k->dst) : 0;
	if (e) {
		e->zones = zones;
		e->zone_gen = u->generation;
	}
	return zones;
}

/*
 * until is CLOCK_BOOTTIME ns: no clock step moves a block's end.  The
 * clock is read only for an active block with an expiry.
 */
static __always_inline bool block_active(struct mw_judge *j,
					 const struct mw_block *b)
{
	return b && b->active && (b->until == 0 || judge_boot_ns(j) < b->until);
}

/* The block of device id (struct mw_xdp_devstate), or NULL. */
static __always_inline const struct mw_block *dev_block(__u32 id)
{
	const struct mw_xdp_devstate *s = bpf_map_lookup_elem(&dev_blocks, &id);

	return s ? &s->block : NULL;
}

static __always_inline bool mac_differs(const __u8 *a, const __u8 *b)
{
	return a[0] != b[0] || a[1] != b[1] || a[2] != b[2] ||
	       a[3] != b[3] || a[4] != b[4] || a[5] != b[5];
}

/*
 * Inside the system's agreement validity?  (the clock only if it has one)
 * valid_from by the latest offset, expires by the largest one.
 */
static __always_inline bool agreement_ok(struct mw_judge *j,
					 const struct mw_xdp_dev *d)
{
	__u64 boot;

	if (!(d->sys_flags & (MW_SYS_F_VALID_FROM | MW_SYS_F_EXPIRES)))
		return true;
	boot = judge_boot_ns(j);	/* one test of the cache, not two */
	if ((d->sys_flags & MW_SYS_F_VALID_FROM) &&
	    (__s64)((boot + j->cfg->boot_to_unix_ns) / MW_NSEC_PER_SEC) <
	    d->valid_from)
		return false;
	return !(d->sys_flags & MW_SYS_F_EXPIRES) ||
	       (__s64)((boot + j->cfg->boot_to_unix_max_ns) / MW_NSEC_PER_SEC) <
	       d->expires;
}

/*
 * Device checks (step 10) for device d (id: its id), inbound.  Sets j->device,
 * j->system and *cset; returns 0, the drop reason, or -1 when the device
 * has no record (then it counts as no device at all; not reached with a
 * checked image).  d joins the device and its system (struct mw_xdp_dev).
 */
static __always_inline int device_checks(struct mw_judge *j,
					 const struct mw_xdp_dev *d, __u32 id,
					 __u32 *cset)
{
	struct mw_xdp_devstate *ds;

	if (d->xflags & MW_XDEV_F_NO_RECORD)
		return -1;
	j->device = id;
	j->system = d->system;
	*cset = d->cset;
	if ((d->xflags & MW_XDEV_F_NO_SYSTEM) || d->sys_iface != j->ifc->id)
		return MW_R_WRONG_IFACE;
	if ((d->dev_flags & MW_DEV_F_MAC) && mac_differs(j->eth + 6, d->mac))
		return MW_R_SPOOFED;
	/*
	 * The device's row (block and event window) stays in j->ds for the
	 * drop event's window (event_allowed).  Every id below the capacity
	 * has one; without it the device counts as blocked (fail closed, and
	 * the verifier walks what follows with one kind of j->ds, not two).
	 */
	ds = bpf_map_lookup_elem(&dev_blocks, &j->device);
	if (!ds)
		return MW_R_BLOCKED;
	j->ds = ds;
	if (block_active(j, &ds->block) ||
	    block_active(j, bpf_map_lookup_elem(&sys_blocks, &j->system)))
		return MW_R_BLOCKED;
	if (!agreement_ok(j, d))
		return MW_R_AGREEMENT;
	j->limited = (d->xflags & MW_XDEV_F_LIMITED) != 0;	/* judge_rate */
	return 0;
}

/* Step 9-10 for source address addr: 0 or the drop reason. */
static __always_inline int source_device(struct mw_judge *j, __u8 family,
					 const __u8 *addr, int unknown,
					 __u32 *cset)
{
	const struct mw_xdp_dev *d;
	int r;

	/* the id straight into the judgement: no stack slot of its own */
	d = lookup_device_id(j, family, addr, &j->device);
	if (!d) {
		j->device = MW_ID_NONE;
		return unknown;
	}
	r = device_checks(j, d, j->device, cset);
	if (r < 0) {
		j->device = MW_ID_NONE;
		return unknown;
	}
	return r;
}

#endif /* MW_BPF_LOOKUP_H */
