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
 * Only inside global functions (mw_flow_find, mw_flow_enter: verified
 * once, on their own): inlined into the program, the probe loop's exits
 * multiplied every path of the program through the verifier.  Their
 * callers get scalars back, so they branch on nothing of it.  A call
 * costs a return, which is not cheap where returns are mitigated (SRSO
 * "safe RET" on AMD Zen: the JIT returns through the kernel's return
 * thunk), so the frame's own path makes one (mw_flow_enter).
 */
static __always_inline __u32 flow_find(const struct mw_flow_key *k)
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

/* The row of flow k, for a packet whose rules were not asked. */
__noinline __u32 mw_flow_find(const struct mw_flow_key *k)
{
	return flow_find(k);
}

/* What a packet writes into its flow row (mw_flow_update, mw_flow_enter). */
struct mw_flow_upd {
	__u32 row;		/* mw_flow_find's answer; mw_flow_enter's */
	__u32 len;
	__u32 device;
	__u32 conduit;
	__u32 generation;
	__u8 verdict;
	__u8 reason;
	__u8 zones_known;	/* zones is the destination's, for generation */
	__u8 slot;		/* mw_flow_enter: the zones' policy slot (0, 1;
				 * 40 bytes in all: the program's stack is
				 * at its limit) */
	__u64 zones;
	__u64 now;		/* unix ns, accounting clock */
};

/*
 * Row e (index row) taken over by flow k: the record of the flow that had
 * it, if any, goes out first (struct mw_flow_export).
 */
static __always_inline void flow_take(struct mw_xdp_flow *e, __u32 row,
				      const struct mw_flow_key *k, __u64 now)
{
	if (e->f.packets) {	/* another flow's row: evicted */
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&flow_evictions, &zero);
		struct mw_flow_export *x;

		if (n)
			(*n)++;
		x = bpf_ringbuf_reserve(&flow_export, sizeof(*x), 0);
		if (x) {
			__builtin_memcpy(&x->key, &e->key, sizeof(x->key));
			x->row = row;
			__builtin_memcpy(&x->f, &e->f, sizeof(x->f));
			bpf_ringbuf_submit(x, 0);
		}
	}
	__builtin_memcpy(&e->key, k, sizeof(e->key));
	e->zone_gen = 0;
	e->f.packets = 0;
	e->f.bytes = 0;
	e->f.first_ns = now;
}

/* The packet in its flow's row e: what is known before the verdict. */
static __always_inline void flow_count(struct mw_xdp_flow *e,
				       const struct mw_flow_upd *u)
{
	e->f.packets++;
	e->f.bytes += u->len;
	e->f.last_ns = u->now;
	e->f.device = u->device;
	e->f.generation = u->generation;
}

/* ... and what the verdict adds. */
static __always_inline void flow_verdict(struct mw_xdp_flow *e, __u32 conduit,
					 __u8 verdict, __u8 reason)
{
	e->f.conduit = conduit;
	e->f.verdict = verdict;
	e->f.reason = reason;
}

/*
 * The row of a known flow (mw_flow_enter's or mw_flow_find's answer,
 * MW_FLOW_HIT or not), or NULL.
 */
static __always_inline struct mw_xdp_flow *flow_at(__u32 row)
{
	if (row == MW_FLOW_NO_ROW)
		return NULL;
	row &= ~MW_FLOW_HIT;
	return bpf_map_lookup_elem(&flow_tab, &row);
}

/*
 * Count the packet in its row (u->row: mw_flow_find's answer); a row not
 * its own is taken over.  For a packet that mw_flow_enter did not count:
 * one whose rules were not asked.
 */
__noinline int mw_flow_update(const struct mw_flow_key *k,
			      const struct mw_flow_upd *u)
{
	struct mw_xdp_flow *e;

	if (!k || !u)
		return 0;
	e = flow_at(u->row);
	if (!e)
		return 0;
	if (!(u->row & MW_FLOW_HIT))
		flow_take(e, u->row, k, u->now);
	flow_count(e, u);
	flow_verdict(e, u->conduit, u->verdict, u->reason);
	if (u->zones_known) {
		e->zones = u->zones;
		e->zone_gen = u->generation;
	}
	return 0;
}

#endif /* MW_BPF_FLOW_H */
