/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accounting of a verdict: per reason (always), per device, per conduit,
 * the flow record and a rate-limited drop event.
 */
#ifndef MW_BPF_ACCOUNT_H
#define MW_BPF_ACCOUNT_H

#include "decide.h"

/* Set by the loader before load (rodata): drop events at all, and one
 * second in jiffies (HZ: 1 s / the coarse clock's resolution). */
const volatile __u32 mw_events_enabled = 1;
const volatile __u32 mw_jiffies_per_sec = 250;

/* One packet of len bytes in c: its pass_* or its drop_* pair. */
static __always_inline void count(struct mw_counter *c, bool pass, __u32 len)
{
	__u64 *v;

	if (!c)
		return;
	/* drop_packets follows pass_bytes: an offset, not a branch */
	_Static_assert(__builtin_offsetof(struct mw_counter, drop_packets) ==
		       2 * sizeof(__u64), "mw_counter layout");
	v = &c->pass_packets + ((__u32)!pass << 1);
	v[0]++;
	v[1] += len;
}

/*
 * Flow record of an IP packet from a known device, unless it is dropped
 * as BLOCKED: the packet's row in this CPU's flow table (flow.h), updated
 * in place; a new flow takes its row over.  No helper call, no map update.
 * A packet whose rules were asked is counted already (mw_flow_enter):
 * here it gets its verdict, inline; the others find their row and are
 * counted here (mw_flow_find, mw_flow_update).
 */
static __always_inline void account_flow(struct mw_judge *j,
					 const struct mw_xpkt *p, int reason,
					 bool pass)
{
	struct mw_flow_upd u = {
		.len = p->len,
		.device = j->device,
		.conduit = pass ? j->conduit : MW_ID_NONE,
		.generation = j->generation,
		.verdict = pass ? MW_VERDICT_PASS : MW_VERDICT_DROP,
		.reason = reason,
		.zones_known = j->zones_known,
		.zones = j->zones,
	};
	struct mw_xdp_flow *e;

	if (j->flow_entered) {
		e = flow_at(j->flow_row);
		if (e)
			flow_verdict(e, u.conduit, u.verdict, u.reason);
		return;
	}
	u.row = mw_flow_find(&p->fk);
	if (u.row == MW_FLOW_NO_ROW)
		return;
	u.now = judge_acct_now(j);
	mw_flow_update(&p->fk, &u);
}

/*
 * At most event_rate events per second per device (all unknown-device
 * drops share one budget).  The state is written only when a window
 * restarts or an event goes out; races between CPUs may let a few extra
 * through, never block all of them.  The window is counted in jiffies
 * (one load: the verifier inlines bpf_jiffies64()), so a drop that sends
 * nothing reads no clock and no per-CPU tick state.
 */
static __always_inline bool event_allowed(struct mw_judge *j)
{
	struct mw_xdp_devstate *ds;
	struct mw_xdp_evstate *st;
	__u32 zero = 0, rate;
	__u64 t;

	/* read once: the controller may rewrite mw_config meanwhile */
	rate = j->cfg ? j->cfg->event_rate : 0;
	if (!rate)
		return false;
	if (j->device != MW_ID_NONE) {
		/* beside the device's block: the row its checks read
		 * (j->ds), unless they stopped before the block */
		ds = j->ds;
		if (!ds)
			ds = bpf_map_lookup_elem(&dev_blocks, &j->device);
		if (!ds)
			return false;
		st = &ds->ev;
	} else {
		st = bpf_map_lookup_elem(&glob_evstate, &zero);
		if (!st)
			return false;
	}
	t = bpf_jiffies64();
	if (t - st->win_start >= mw_jiffies_per_sec) {
		st->win_start = t;
		st->count = 1;
		return true;
	}
	if (st->count >= rate)
		return false;
	st->count++;
	return true;
}

static __always_inline void send_event(struct mw_judge *j,
				       const struct mw_xpkt *p, __u32 ifindex,
				       int reason)
{
	struct mw_event *e;

	if (!event_allowed(j))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->ts_ns = judge_now(j);
	e->ifindex = ifindex;
	e->device = j->device;
	e->system = j->system;
	e->verdict = MW_VERDICT_DROP;
	e->reason = reason;
	e->family = p->fk.family;
	e->proto = p->fk.proto;
	e->sport = p->fk.sport;
	e->dport = p->fk.dport;
	e->reserved = 0;
	__builtin_memcpy(e->src, p->fk.src, 16);
	__builtin_memcpy(e->dst, p->fk.dst, 16);
	bpf_ringbuf_submit(e, 0);
}

/* Account the verdict of reason; returns whether it is a pass. */
static __always_inline bool account(struct mw_judge *j,
				    const struct mw_xpkt *p, __u32 ifindex,
				    int reason)
{
	bool pass = is_pass(reason);
	__u32 r = reason;

	count(bpf_map_lookup_elem(&reason_counters, &r), pass, p->len);
	if (j->device != MW_ID_NONE) {
		/* this CPU's row of the device (maps.h, dev_counters); ids
		 * are below the capacity (the loader checks them) */
		__u32 k = bpf_get_smp_processor_id() * mw_dev_capacity +
			  j->device;

		if (j->device < mw_dev_capacity)
			count(bpf_map_lookup_elem(&dev_counters, &k), pass,
			      p->len);
		/* none for BLOCKED: low-value evidence a flood would thrash
		 * the table with (counters and events still record it) */
		if (reason != MW_R_BLOCKED && mw_flows_enabled &&
		    p->l3 == MW_L3_IP)
			account_flow(j, p, reason, pass);
	}
	if (pass && j->conduit != MW_ID_NONE)
		count(bpf_map_lookup_elem(&conduit_counters, &j->conduit), true,
		      p->len);
	if (!pass && mw_events_enabled)
		send_event(j, p, ifindex, reason);
	return pass;
}

#endif /* MW_BPF_ACCOUNT_H */
