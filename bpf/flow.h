/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The flow table (struct mw_xdp_flow in meterwall/xdp_abi.h): this CPU's rows,
 * plain array loads only.
 */
#ifndef MW_BPF_FLOW_H
#define MW_BPF_FLOW_H

#include "maps.h"

/* Set by the loader before load (rodata). */
const volatile __u32 mw_flows_enabled = 1;
const volatile __u32 mw_flow_bits = MW_XDP_FLOW_MIN_BITS;

/* 5 eight-byte words and a four-byte one; b may be unaligned (an
 * argument of a global function: not stack, so no alignment rule). */
static __always_inline bool flow_key_eq(const struct mw_flow_key *a,
					const struct mw_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	__u64 d = 0;
	int i;

#pragma unroll
	for (i = 0; i < 5; i++)
		d |= x[i] ^ y[i];
	d |= ((const __u32 *)a)[10] ^ ((const __u32 *)b)[10];
	return !d;
}

#define MW_FLOW_NO_ROW	0xffffffffU
#define MW_FLOW_HIT	(1U << 31)	/* with a row: the flow's own */

/*
 * The row of flow k in this CPU's table: its own (| MW_FLOW_HIT), else the
 * one to take (the first empty row of the probe window, or its least
 * recently seen); MW_FLOW_NO_ROW if the table is not there.
 *
 * A global function (verified once, on its own), like mw_flow_update:
 * inlined, the probe loop's exits multiplied every path of the program
 * through the verifier.  The callers get scalars back, and pass the rest
 * of the update in as scalars, so they branch on nothing of it.
 */
__noinline __u32 mw_flow_find(const struct mw_flow_key *k)
{
	__u32 bits = mw_flow_bits, mask = (1U << bits) - 1, zero = 0;
	__u32 base, home, i, idx, victim = MW_FLOW_NO_ROW;
	const struct mw_xdp_clock *clk;
	const struct mw_xdp_flow *e;
	__u64 oldest = ~0ULL;

	clk = bpf_map_lookup_elem(&mw_clock, &zero);
	if (!k || !clk)
		return MW_FLOW_NO_ROW;
	base = bpf_get_smp_processor_id() << bits;
	home = mw_xdp_flow_hash(k, clk->flow_seed, bits);
#pragma unroll
	for (i = 0; i < MW_XDP_FLOW_PROBES; i++) {
		idx = base | ((home + i) & mask);
		e = bpf_map_lookup_elem(&flow_tab, &idx);
		if (!e)
			break;
		if (!e->f.packets)
			return idx;		/* empty: k is not further on */
		if (flow_key_eq(&e->key, k))
			return idx | MW_FLOW_HIT;
		if (e->f.last_ns < oldest) {
			oldest = e->f.last_ns;
			victim = idx;
		}
	}
	return victim;
}

/* What a packet writes into its flow row (mw_flow_update). */
struct mw_flow_upd {
	__u32 row;		/* mw_flow_find's answer */
	__u32 len;
	__u32 device;
	__u32 conduit;
	__u32 generation;
	__u8 verdict;
	__u8 reason;
	__u8 zones_known;	/* zones is the destination's, for generation */
	__u8 reserved;
	__u64 zones;
	__u64 now;		/* unix ns, accounting clock */
};

/* Count the packet in its row; a row not its own is taken over. */
__noinline int mw_flow_update(const struct mw_flow_key *k,
			      const struct mw_flow_upd *u)
{
	struct mw_xdp_flow *e;
	__u32 row;

	if (!k || !u || u->row == MW_FLOW_NO_ROW)
		return 0;
	row = u->row & ~MW_FLOW_HIT;
	e = bpf_map_lookup_elem(&flow_tab, &row);
	if (!e)
		return 0;
	if (!(u->row & MW_FLOW_HIT)) {
		if (e->f.packets) {	/* another flow's row: evicted */
			__u32 zero = 0;
			__u64 *n = bpf_map_lookup_elem(&flow_evictions, &zero);
			struct mw_flow_export *x;

			if (n)
				(*n)++;
			x = bpf_ringbuf_reserve(&flow_export, sizeof(*x), 0);
			if (x) {
				__builtin_memcpy(&x->key, &e->key,
						 sizeof(x->key));
				x->row = row;
				__builtin_memcpy(&x->f, &e->f, sizeof(x->f));
				bpf_ringbuf_submit(x, 0);
			}
		}
		__builtin_memcpy(&e->key, k, sizeof(e->key));
		e->zone_gen = 0;
		e->f.packets = 0;
		e->f.bytes = 0;
		e->f.first_ns = u->now;
	}
	e->f.packets++;
	e->f.bytes += u->len;
	e->f.last_ns = u->now;
	e->f.device = u->device;
	e->f.conduit = u->conduit;
	e->f.generation = u->generation;
	e->f.verdict = u->verdict;
	e->f.reason = u->reason;
	if (u->zones_known) {
		e->zones = u->zones;
		e->zone_gen = u->generation;
	}
	return 0;
}

#endif /* MW_BPF_FLOW_H */
