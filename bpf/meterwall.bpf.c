// SPDX-License-Identifier: GPL-2.0
/*
 * meterwall XDP entry point: judges every frame arriving on an external
 * interface by the decision model of doc/datapath.md (inbound), counts the
 * verdict with its reason, and passes or drops it.
 *
 * Layout: consts.h (limits, wire constants), maps.h (pinned maps, policy
 * slots), parse.h (bounds-checked cursor parsers), decide.h (the
 * decision), account.h (counters, flows, events).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <linux/meterwall.h>

#include "account.h"

/*
 * Steps 1-3 (policy, interface, island), the policy's own expiry, then
 * the frame itself, and last the limits of a pass.
 */
static __always_inline int judge(__u32 ifindex, struct mw_judge *j,
				 struct mw_cursor *c, struct mw_xpkt *p)
{
	const struct mw_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&mw_config, &zero);
	if (!cfg || !cfg->generation)
		return MW_R_NO_POLICY;
	/* The one read of the slot: this packet uses only its tables. */
	j->slot = cfg->slot & 1;
	j->cfg = cfg;

	j->meta = bpf_map_lookup_elem(&slot_meta, &j->slot);
	if (!j->meta)
		return MW_R_NO_POLICY;		/* fail closed */
	/*
	 * The generation of the slot's own policy, not cfg->generation: the
	 * config is written as a whole but read field by field, so a packet
	 * may see the new generation with the old slot (a flow row would then
	 * keep the old slot's zones as the new generation's).
	 */
	j->generation = j->meta->generation;
	j->ifc = lookup_iface(j, ifindex);
	if (!j->ifc)
		return MW_R_NOT_MANAGED;
	if (cfg->island)
		return MW_R_ISLAND;
	/* expired by the largest offset ever set: a step back revives none */
	if (j->meta->expires &&
	    judge_secs(j, cfg->boot_to_unix_max_ns) >= j->meta->expires)
		return MW_R_POLICY_EXPIRED;
	return judge_rate(j, c, p, judge_frame(j, c, p));
}

/* Judge and account one frame; returns whether it passes. */
static __always_inline bool mw_run(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct mw_judge j = {
		.device = MW_ID_NONE,
		.system = MW_ID_NONE,
		.conduit = MW_ID_NONE,
		.eth = data,
	};
	struct mw_cursor c = { .xdp = ctx, .data = data, .data_end = data_end };
	struct mw_xpkt p = {};
	/* read once: each read of the field is three loads */
	__u32 ifindex = ctx->ingress_ifindex;

	p.len = data_end - data;
	p.fk.ifindex = ifindex;		/* flows are per interface */
	c.end = p.len;
	return account(&j, &p, ifindex, judge(ifindex, &j, &c, &p));
}

SEC("xdp")
int mw_xdp(struct xdp_md *ctx)
{
	return mw_run(ctx) ? XDP_PASS : XDP_DROP;
}

/*
 * For benchmarks only (MW_XDP_F_SINK; never loaded otherwise): the same
 * judgement and accounting, then every frame is dropped, so that the cost
 * of the allowed path can be measured without the stack's cost behind
 * XDP_PASS.
 */
SEC("xdp")
int mw_xdp_sink(struct xdp_md *ctx)
{
	mw_run(ctx);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
