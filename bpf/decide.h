/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Decide" of doc/datapath.md for inbound frames, over the tables of one
 * policy slot.  Every function returns an enum mw_reason (0 = go on).
 */
#ifndef MW_BPF_DECIDE_H
#define MW_BPF_DECIDE_H

#include "consts.h"
#include "flow.h"
#include "judge.h"
#include "lookup.h"
#include "maps.h"
#include "parse.h"

/* Is minute m of the UTC week inside window wid of slot's policy? */
static __always_inline bool in_window(__u32 slot, __u32 wid, __u32 m)
{
	const struct mw_img_window *w;
	void *tbl = slot_table(&windows, slot);
	__u32 k, s, e;

	w = tbl ? bpf_map_lookup_elem(tbl, &wid) : NULL;
	if (!w)
		return false;
	for (k = 0; k < MW_WINDOW_RANGES; k++) {
		if (k >= w->n)
			break;
		s = w->r[k].start;
		e = w->r[k].end;
		/* start == end wraps too: the whole week */
		if (s < e ? (m >= s && m < e) : (m >= s || m < e))
			return true;
	}
	return false;
}

/*
 * The same as a global function, for the rule loop of the frame itself:
 * verified once, not once per rule of that loop (with its own loop
 * inside, that was a fifth of the verifier's walk of the program); only
 * a rule with a window pays the call.  The rule loops inside mw_related()
 * and mw_icmp_pre() keep in_window() inline: a third frame on their
 * stacks would pass the 512 bytes the verifier allows for a chain of
 * calls.
 */
__noinline int mw_in_window(__u32 slot, __u32 wid, __u32 m)
{
	return in_window(slot, wid, m);
}

static __always_inline bool in_range(__be16 port, const struct mw_rule *r)
{
	__u16 h = bpf_ntohs(port);

	return r->port_lo <= h && h <= r->port_hi;
}

/* Minute of the UTC week now (the clock is read once per packet). */
static __always_inline __u32 judge_minute(struct mw_judge *j)
{
	return (judge_now(j) / MW_NSEC_PER_MIN) % MW_MINUTES_PER_WEEK;
}

/* A reply's TCP flags: ACK without SYN (not FIN and RST), or SYN+ACK. */
static __always_inline bool reply_tcp_flags(__u8 f)
{
	if (!(f & MW_TCP_ACK))
		return false;
	if (f & MW_TCP_SYN)
		return (f & (MW_TCP_FIN | MW_TCP_SYN | MW_TCP_RST | MW_TCP_PSH |
			     MW_TCP_ACK | MW_TCP_URG)) ==
		       (MW_TCP_SYN | MW_TCP_ACK);
	return (f & (MW_TCP_FIN | MW_TCP_RST)) != (MW_TCP_FIN | MW_TCP_RST);
}

/*
 * Does rule r let packet p through, inbound?  Returns its reason or 0.
 * zones: zone mask of the destination.  The window test comes first, as
 * in the model; the clock is read only for a rule that has one.  reply:
 * p has the shape of a stateless reply (reply_shape()).  frame: the rule
 * loop of the frame itself (mw_in_window() then).
 */
static __always_inline int rule_matches(struct mw_judge *j,
					const struct mw_xpkt *p,
					const struct mw_rule *r, __u64 zones,
					bool reply, bool frame)
{
	__u32 m;

	if (r->window) {
		m = judge_minute(j);
		if (frame ? !mw_in_window(j->slot, r->window - 1, m) :
			    !in_window(j->slot, r->window - 1, m))
			return 0;
	}
	if (r->zones != MW_ZONES_ANY && !(r->zones & zones))
		return 0;
	if (r->proto != MW_ANY_PROTO && r->proto != p->fk.proto)
		return 0;
	if (!(r->flags & MW_RULE_F_OUTBOUND)) {		/* forward */
		if ((r->flags & MW_RULE_F_PORTS) &&
		    (p->fragment || !p->has_ports || !in_range(p->fk.dport, r)))
			return 0;
		return MW_R_ALLOWED;
	}
	/* reverse: a reply to an outbound conduit (reply: its shape) */
	if (!reply)
		return 0;
	if ((r->flags & MW_RULE_F_PORTS) &&
	    (p->fragment || !p->has_ports || !in_range(p->fk.sport, r)))
		return 0;
	return MW_R_REPLY;
}

/*
 * Can p be a stateless reply at all (step 12, reverse)?  Not a fragment;
 * ICMP: an echo reply; TCP and UDP: to a port of the reply range, TCP
 * with reply flags; nothing else.  A quote: TCP or UDP (its reply port
 * is the sender's choice, it has no flags).  Asked once per packet, not
 * per rule: one boolean is all the rule loop carries.
 */
static __always_inline bool reply_shape(struct mw_judge *j,
					const struct mw_xpkt *p, bool quoted)
{
	__u16 dport = bpf_ntohs(p->fk.dport);

	if (p->fragment)
		return false;
	if (p->fk.proto == MW_P_ICMP)
		return p->icmp_type == MW_ICMP_ECHOREPLY;
	if (p->fk.proto == MW_P_ICMPV6)
		return p->icmp_type == MW_ICMPV6_ECHOREPLY;
	if ((p->fk.proto != MW_P_TCP && p->fk.proto != MW_P_UDP) ||
	    !p->has_ports)
		return false;
	if (quoted)
		return true;
	if (dport < j->meta->reply_lo || dport > j->meta->reply_hi)
		return false;
	return p->fk.proto != MW_P_TCP || reply_tcp_flags(p->tcp_flags);
}

/*
 * Steps 11-13: the rules of conduit set cset_id in order, first match
 * decides.  A bounded loop (no callback per rule, as bpf_loop would
 * need): the verifier walks at most MW_CSET_RULES iterations.
 */
/*
 * How match_rules() is asked: for the frame (the flow row keeps the zones),
 * inside mw_judge_icmp() (no flow row, no further call: the stack is
 * shared), or for a quote turned around (also: its reply shape).
 */
enum mw_rules_for {
	MW_RULES_FRAME = 0,
	MW_RULES_ICMP,
	MW_RULES_QUOTE,
};

/*
 * The frame counted in its flow's row, and its destination's zones
 * (mw_flow_enter): asked where the rules need the zones, so that one call
 * does both; account_flow() adds the verdict.  Only frames of a known
 * device that passed its checks get here (the flows' rule, account()).
 */
static __always_inline __u64 frame_flow_zones(struct mw_judge *j,
					      const struct mw_xpkt *p)
{
	struct mw_flow_upd u = {
		.row = MW_FLOW_NO_ROW,
		.len = p->len,
		.device = j->device,
		.generation = j->generation,
		.slot = j->slot,
		.now = judge_acct_now(j),
	};
	__u64 zones = mw_flow_enter(&p->fk, &u);

	j->flow_row = u.row;
	j->flow_entered = 1;
	return zones;
}

static __always_inline int match_rules(struct mw_judge *j,
				       const struct mw_xpkt *p, __u32 cset_id,
				       enum mw_rules_for mode)
{
	void *tbl = slot_table(&csets, j->slot);
	const struct mw_img_cset *cs;
	__u32 n, i;
	__u64 zones;
	int r;

	cs = tbl ? bpf_map_lookup_elem(tbl, &cset_id) : NULL;
	if (cs && cs->n_rules) {
		bool reply = reply_shape(j, p, mode == MW_RULES_QUOTE);

		n = cs->n_rules;
		if (mode == MW_RULES_FRAME && mw_flows_enabled)
			zones = frame_flow_zones(j, p);
		else
			zones = lookup_zones(j->meta, j->slot, p->fk.family,
					     p->fk.dst);
		j->zones = zones;
		j->zones_known = 1;
		for (i = 0; i < MW_CSET_RULES; i++) {
			if (i >= n)
				break;
			r = rule_matches(j, p, &cs->rules[i], zones, reply,
					 mode == MW_RULES_FRAME);
			if (r) {
				j->conduit = cs->rules[i].conduit;
				return r;
			}
		}
	}
	return p->fragment ? MW_R_FRAGMENT : MW_R_NO_CONDUIT;
}

/*
 * Untagged, or one 802.1Q tag of an allowed VID (an 802.1ad tag counts
 * as 1 | MW_TAGS_AD: never allowed).
 */
static __always_inline bool vlan_allowed(const struct mw_img_iface *ifc,
					 const struct mw_xpkt *p)
{
	if (p->n_vlans == 0)
		return ifc->flags & MW_IFACE_F_UNTAGGED;
	if (p->n_vlans == 1)
		return ifc->vlans[(p->vid >> 3) & 0x1ff] & (1U << (p->vid & 7));
	return false;
}

/* ARP by the interface's mode (step 6). */
static __always_inline int judge_arp(struct mw_judge *j, struct mw_cursor *c,
				     struct mw_xpkt *p)
{
	__u32 cset;
	int r;

	p->l3 = MW_L3_ARP;
	if (j->ifc->arp == MW_L2_NONE)
		return MW_R_L2_DENIED;
	if (j->ifc->arp == MW_L2_ALL)
		return MW_R_L2_CONTROL;
	if (parse_arp(c, p) < 0)
		return MW_R_MALFORMED;
	r = source_device(j, MW_AF_INET, p->fk.src, MW_R_L2_DENIED, &cset);
	if (r)
		return r;
	/* the kernel learns the sender hardware address, not the frame's */
	return p->arp_sha_ok ? MW_R_L2_CONTROL : MW_R_SPOOFED;
}

static __always_inline bool is_nd(const struct mw_xpkt *p)
{
	return p->fk.family == MW_AF_INET6 && p->fk.proto == MW_P_ICMPV6 &&
	       !p->fragment && p->hop_limit == MW_ND_HOPLIMIT &&
	       p->icmp_type >= MW_ND_FIRST && p->icmp_type <= MW_ND_LAST;
}

/* Redirects and router discovery (step 7): never inbound. */
static __always_inline bool icmp_control(const struct mw_xpkt *p)
{
	__u8 t = p->icmp_type;

	if (p->fragment)
		return false;
	if (p->fk.family == MW_AF_INET && p->fk.proto == MW_P_ICMP)
		return t == MW_ICMP_REDIRECT || t == MW_ICMP_ROUTERADVERT ||
		       t == MW_ICMP_ROUTERSOLICIT;
	if (p->fk.family == MW_AF_INET6 && p->fk.proto == MW_P_ICMPV6)
		return t == MW_ICMPV6_ROUTER_SOL || t == MW_ICMPV6_ROUTER_ADV ||
		       t == MW_ICMPV6_REDIRECT || t == MW_ICMPV6_ROUTER_RENUM;
	return false;
}

/* fe80::/10 or :: */
static __always_inline bool nd_link_only(const __u8 *a)
{
	__u64 hi, lo;

	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true;
	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	return !hi && !lo;
}

/*
 * NS/NA options, walked by bpf_loop() with bpf_xdp_load_bytes(): see
 * parse_nd() in userspace/lib/pkt.c.
 */
struct mw_ndopts {
	struct xdp_md *xdp;
	__u32 o;		/* next option (frame offset) */
	__u32 end;		/* end of the ICMPv6 message */
	__u8 want;		/* SLLAO for NS, TLLAO for NA */
	__u8 has;		/* mac holds the option's address */
	__u8 bad;
	__u8 reserved;
	__u8 mac[6];
};

static long nd_opt_step(__u32 i, void *ctx)
{
	struct mw_ndopts *x = ctx;
	__u8 h[8];
	__u32 l;

	if (x->o >= x->end)
		return 1;
	if (i >= MW_ND_MAX_OPTS || x->end - x->o < 2 ||
	    bpf_xdp_load_bytes(x->xdp, x->o, h, 2))
		goto bad;
	l = (__u32)h[1] * 8;
	if (!l || l > x->end - x->o)
		goto bad;
	if (h[0] == x->want) {
		if (bpf_xdp_load_bytes(x->xdp, x->o, h, 8))
			goto bad;
		if (x->has && mac_differs(x->mac, h + 2))
			goto bad;
		__builtin_memcpy(x->mac, h + 2, 6);
		x->has = 1;
	}
	x->o += l;
	return 0;
bad:
	x->bad = 1;
	return 1;
}

/* The interface of ifindex in slot j->slot (j->slot set): NULL if none. */
static __always_inline const struct mw_img_iface *
lookup_iface(struct mw_judge *j, __u32 ifindex)
{
	const struct mw_xdp_iface *xi;
	void *tbl;

	/* The direct array first (inlined), the slot's hash otherwise. */
	if (ifindex < MW_XDP_IFINDEX_DIRECT) {
		__u32 k = j->slot * MW_XDP_IFINDEX_DIRECT + ifindex;

		xi = bpf_map_lookup_elem(&iface_direct, &k);
		if (xi && xi->present)
			return &xi->ifc;
	}
	tbl = slot_table(&ifaces, j->slot);
	return tbl ? bpf_map_lookup_elem(tbl, &ifindex) : NULL;
}

/* ICMP errors that quote a packet (step 13). */
static __always_inline bool icmp_error(const struct mw_xpkt *p)
{
	__u8 t = p->icmp_type;

	if (p->fragment)
		return false;
	if (p->fk.family == MW_AF_INET && p->fk.proto == MW_P_ICMP)
		return t == MW_ICMP_DEST_UNREACH || t == MW_ICMP_TIME_EXCEEDED ||
		       t == MW_ICMP_PARAMETERPROB;
	if (p->fk.family == MW_AF_INET6 && p->fk.proto == MW_P_ICMPV6)
		return t >= MW_ICMPV6_DEST_UNREACH && t <= MW_ICMPV6_PARAMPROB;
	return false;
}

/* What mw_judge_icmp() needs of the packet (in) and answers (out). */
struct mw_icmpq {
	__u32 off;		/* ICMP header, frame offset */
	__u32 end;		/* end of the IP payload */
	__u32 slot;
	__u32 device;		/* out */
	__u32 system;		/* out */
	__u32 conduit;		/* out */
};

/* NS/NA (step 8, inbound, mode devices or parse): the reason. */
static __always_inline int icmp_nd(struct mw_judge *j, struct xdp_md *ctx,
				   const struct mw_icmpq *q,
				   const struct mw_xpkt *p, __u8 *target)
{
	struct mw_ndopts x = {
		.xdp = ctx,
		.o = q->off + MW_ND_MSG_LEN,
		.end = q->end,
		.want = p->icmp_type == MW_ICMPV6_NEIGH_SOL ? MW_ND_OPT_SLLAO :
							     MW_ND_OPT_TLLAO,
	};
	const struct mw_xdp_dev *d, *s;
	__u32 cset;
	int r;

	if (q->off + MW_ND_MSG_LEN > q->end ||
	    bpf_xdp_load_bytes(ctx, q->off + 8, target, 16))
		return MW_R_MALFORMED;
	bpf_loop(MW_ND_MAX_OPTS + 1, nd_opt_step, &x, 0);
	if (x.bad)
		return MW_R_MALFORMED;
	if (j->ifc->nd == MW_L2_NONE)
		return MW_R_L2_DENIED;
	if (j->ifc->nd == MW_L2_ALL)
		return MW_R_L2_CONTROL;
	if (x.has && mac_differs(x.mac, j->eth + 6))
		return MW_R_SPOOFED;
	if (p->icmp_type == MW_ICMPV6_NEIGH_ADV &&
	    (d = lookup_device(j, MW_AF_INET6, target)) &&
	    !(d->xflags & MW_XDEV_F_NO_RECORD)) {
		/* a device's address is advertised by that device */
		s = lookup_device(j, MW_AF_INET6, p->fk.src);
		if (!s || (s->xflags & MW_XDEV_F_NO_RECORD) || s->id != d->id)
			return MW_R_L2_DENIED;
		r = device_checks(j, d, d->id, &cset);
	} else if (nd_link_only(p->fk.src)) {
		r = 0;
	} else {
		r = source_device(j, MW_AF_INET6, p->fk.src, MW_R_L2_DENIED,
				  &cset);
	}
	return r ? r : MW_R_L2_CONTROL;
}

/*
 * Step 13: does the packet the ICMP error quotes, turned around (t), pass
 * by the rules of its external device (inbound: the quote's destination),
 * a device of the error's system that passes its checks but the MAC
 * binding?  MW_R_RELATED with j->conduit, or MW_R_NO_CONDUIT.
 */
static __always_inline int icmp_related(struct mw_judge *j,
					struct xdp_md *ctx,
					const struct mw_icmpq *q,
					const struct mw_xpkt *p,
					struct mw_xpkt *t)
{
	const struct mw_xdp_dev *d;
	__u32 qo = q->off + MW_ICMP_HLEN, l4, system = j->system;
	__u8 h[12];
	int r;

	if (p->fk.family == MW_AF_INET) {
		if (qo + MW_IPV4_HLEN > q->end ||
		    bpf_xdp_load_bytes(ctx, qo, h, 12) ||
		    bpf_xdp_load_bytes(ctx, qo + 12, t->fk.dst, 4) ||
		    bpf_xdp_load_bytes(ctx, qo + 16, t->fk.src, 4))
			return MW_R_NO_CONDUIT;
		if ((h[0] >> 4) != 4 || (h[0] & 0x0f) < 5 ||
		    (rd16(h + 6) & MW_IP_OFFMASK))
			return MW_R_NO_CONDUIT;
		l4 = qo + (h[0] & 0x0f) * 4;
		t->fk.proto = h[9];
	} else {
		if (qo + MW_IPV6_HLEN > q->end ||
		    bpf_xdp_load_bytes(ctx, qo, h, 8) ||
		    bpf_xdp_load_bytes(ctx, qo + 8, t->fk.dst, 16) ||
		    bpf_xdp_load_bytes(ctx, qo + 24, t->fk.src, 16))
			return MW_R_NO_CONDUIT;
		if ((h[0] >> 4) != 6)
			return MW_R_NO_CONDUIT;
		l4 = qo + MW_IPV6_HLEN;
		t->fk.proto = h[6];
	}
	if ((t->fk.proto != MW_P_TCP && t->fk.proto != MW_P_UDP) ||
	    l4 + 8 > q->end || bpf_xdp_load_bytes(ctx, l4, h, 4))
		return MW_R_NO_CONDUIT;
	__builtin_memcpy(&t->fk.sport, h + 2, 2);
	__builtin_memcpy(&t->fk.dport, h, 2);
	t->fk.family = p->fk.family;
	t->has_ports = 1;
	d = lookup_device(j, t->fk.family, t->fk.src);
	if (!d || (d->xflags & (MW_XDEV_F_NO_RECORD | MW_XDEV_F_NO_SYSTEM)) ||
	    d->system != system || d->sys_iface != j->ifc->id ||
	    block_active(j, dev_block(d->id)) ||
	    block_active(j, bpf_map_lookup_elem(&sys_blocks, &d->system)) ||
	    !agreement_ok(j, d))
		return MW_R_NO_CONDUIT;
	r = match_rules(j, t, d->cset, MW_RULES_QUOTE);
	return r == MW_R_ALLOWED || r == MW_R_REPLY ? MW_R_RELATED :
						      MW_R_NO_CONDUIT;
}

/* The judgement state of a global function, from the error's mw_icmpq. */
static __always_inline int icmp_judge_init(struct mw_judge *j,
					   struct xdp_md *ctx,
					   const struct mw_icmpq *q)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct mw_config *cfg;
	__u32 zero = 0;

	if (data + MW_ETH_HLEN > data_end)
		return MW_R_MALFORMED;
	/* the clock offsets again (an update meanwhile changes no policy) */
	cfg = bpf_map_lookup_elem(&mw_config, &zero);
	if (!cfg)
		return MW_R_NO_POLICY;
	j->cfg = cfg;
	j->eth = data;
	j->slot = q->slot & 1;
	j->meta = bpf_map_lookup_elem(&slot_meta, &j->slot);
	j->ifc = lookup_iface(j, ctx->ingress_ifindex);
	if (!j->meta || !j->ifc)
		return MW_R_NO_POLICY;		/* gone meanwhile: fail closed */
	return 0;
}

/*
 * Steps 7-8 for an ICMP or ICMPv6 packet that is no fragment: routing
 * control, neighbour discovery.  The reason, or 0 to go on with step 9;
 * q->device and system for accounting.  A global function (verified once,
 * only ICMP pays for the call), as mw_related().
 */
__noinline int mw_icmp_pre(struct xdp_md *ctx, struct mw_icmpq *q,
			   const struct mw_xpkt *p)
{
	struct mw_judge jj = {
		.device = MW_ID_NONE,
		.system = MW_ID_NONE,
		.conduit = MW_ID_NONE,
	}, *j = &jj;
	struct mw_scratch *sc;
	int r;

	if (!ctx || !q || !p)
		return MW_R_MALFORMED;
	if (icmp_control(p))				/* step 7 */
		return MW_R_ICMP_CONTROL;
	if (!is_nd(p))
		return 0;
	sc = scratch_get();
	if (!sc)
		return MW_R_MALFORMED;
	r = icmp_judge_init(j, ctx, q);
	if (!r)
		r = icmp_nd(j, ctx, q, p, sc->target);	/* step 8 */
	q->device = j->device;
	q->system = j->system;
	return r;
}

/*
 * Step 13 for an ICMP error whose sender (q->system) passed steps 9-10:
 * 1 with q->conduit when the packet it quotes, turned around, passes.
 */
__noinline int mw_related(struct xdp_md *ctx, struct mw_icmpq *q,
			  const struct mw_xpkt *p)
{
	struct mw_judge jj = {
		.device = MW_ID_NONE,
		.system = MW_ID_NONE,
		.conduit = MW_ID_NONE,
	}, *j = &jj;
	struct mw_scratch *sc = scratch_get();
	int r;

	if (!ctx || !q || !p || !sc || icmp_judge_init(j, ctx, q))
		return 0;
	j->system = q->system;
	r = icmp_related(j, ctx, q, p, &sc->t);
	if (r != MW_R_RELATED)
		return 0;
	q->conduit = j->conduit;
	return 1;
}

static __always_inline void icmpq_init(struct mw_icmpq *q,
				       const struct mw_judge *j,
				       const struct mw_cursor *c)
{
	q->off = c->off;
	q->end = c->end;
	q->slot = j->slot;
	q->device = j->device;
	q->system = j->system;
	q->conduit = MW_ID_NONE;
}

/* Steps 7-8 of an ICMP packet (mw_icmp_pre): its reason, or 0. */
static __always_inline int judge_icmp(struct mw_judge *j, struct mw_cursor *c,
				      const struct mw_xpkt *p)
{
	struct mw_icmpq q;
	int r;

	icmpq_init(&q, j, c);
	r = mw_icmp_pre(c->xdp, &q, p);
	j->device = q.device;
	j->system = q.system;
	return r;
}

/* Step 13 (mw_related): the conduit + 1 of the quote's match, or 0. */
static __always_inline __u32 judge_related(struct mw_judge *j,
					   struct mw_cursor *c,
					   const struct mw_xpkt *p)
{
	struct mw_icmpq q;
	int r;

	icmpq_init(&q, j, c);
	r = mw_related(c->xdp, &q, p);
	if (!r)
		return 0;
	return q.conduit + 1;
}

static __always_inline bool is_icmp(const struct mw_xpkt *p)
{
	return !p->fragment &&
	       ((p->fk.family == MW_AF_INET && p->fk.proto == MW_P_ICMP) ||
		(p->fk.family == MW_AF_INET6 && p->fk.proto == MW_P_ICMPV6));
}

/*
 * The whole decision for one inbound frame on j->ifc.  The caller has
 * handled NO_POLICY, NOT_MANAGED and ISLAND (steps 1-3).
 */
static __always_inline int judge_frame(struct mw_judge *j, struct mw_cursor *c,
				       struct mw_xpkt *p)
{
	__u32 cset, rel;
	int proto, r;

	proto = parse_l2(c, p);				/* step 4 */
	if (proto < 0)
		return MW_R_MALFORMED;
	if (!vlan_allowed(j->ifc, p))			/* step 5 */
		return MW_R_VLAN;
	if (proto == MW_ETH_P_ARP)			/* step 6 */
		return judge_arp(j, c, p);
	if (proto != MW_ETH_P_IP && proto != MW_ETH_P_IPV6)	/* step 7 */
		return MW_R_NON_IP;
	if (!(proto == MW_ETH_P_IP && parse_ip4_plain(c, p)) &&
	    parse_ip(c, p, proto) < 0)
		return p->err;
	if (is_icmp(p) && (r = judge_icmp(j, c, p)))	/* steps 7-8 */
		return r;
	r = source_device(j, p->fk.family, p->fk.src,	/* steps 9-10 */
			  MW_R_UNKNOWN_SOURCE, &cset);
	if (r)
		return r;
	/*
	 * Step 13 is asked before steps 11-12 and its answer kept: the
	 * verifier then walks the rules once per answer, not the error's
	 * step once per way out of the rules.
	 */
	rel = is_icmp(p) && icmp_error(p) ? judge_related(j, c, p) : 0;
	r = match_rules(j, p, cset, MW_RULES_FRAME);	/* steps 11-12 */
	if (r == MW_R_NO_CONDUIT && rel) {
		j->conduit = rel - 1;
		r = MW_R_RELATED;
	}
	return r;
}

/*
 * Step 14, rate limits (include/uapi/linux/meterwall.h, "Rate limits"):
 * charge a packet of len IP bytes that would pass to the GCRA of the
 * system of device (its limits: the device's joined record in slot's
 * rows of dev_rec); 1 when it is within them, else 0 and nothing charged.
 * *boot_ns is the packet's clock (read here if 0).  A global function:
 * verified once; no helper call under the lock.
 */
__noinline int mw_rate_admit(__u32 slot, __u32 device, __u32 len,
			     __u64 *boot_ns)
{
	const struct mw_xdp_dev *d = dev_rec_of(slot, device);
	struct mw_xdp_rate *st;
	__u64 now, cp = 0, cb = 0, tp, tb;
	__u32 sys;
	int ok = 0;

	if (!boot_ns || !d)
		return 1;	/* not reached: the caller had the record */
	sys = d->system;
	st = bpf_map_lookup_elem(&sys_rate, &sys);
	if (!st)
		return 1;	/* not reached: the loader refuses such ids */
	now = *boot_ns;
	if (!now) {
		now = bpf_ktime_get_boot_ns();
		*boot_ns = now;
	}
	if (d->limit_pps)
		cp = MW_NSEC_PER_SEC / d->limit_pps;
	if (d->limit_bps)
		cb = (__u64)len * 8 * MW_NSEC_PER_SEC / d->limit_bps;
	bpf_spin_lock(&st->lock);
	tp = st->tat_pkt > now ? st->tat_pkt : now;
	tb = st->tat_bit > now ? st->tat_bit : now;
	if (tp + cp <= now + MW_RATE_BURST_NS &&
	    tb + cb <= now + MW_RATE_BURST_NS) {
		st->tat_pkt = tp + cp;
		st->tat_bit = tb + cb;
		ok = 1;
	}
	bpf_spin_unlock(&st->lock);
	return ok;
}

/*
 * The verdict r of the frame, after its system's limits: a pass (ALLOWED,
 * REPLY, RELATED) of a device whose system has limits is charged, and
 * beyond them it is a RATE_LIMIT drop that keeps device, system and
 * conduit for the counters.  Systems without limits pay one test.  The
 * IP length: the cursor's end is the end of the datagram (parse_ipv4,
 * parse_ipv6), which starts after Ethernet and the one 802.1Q tag a
 * passing frame may have.
 */
static __always_inline int judge_rate(struct mw_judge *j,
				      const struct mw_cursor *c,
				      const struct mw_xpkt *p, int r)
{
	__u32 len;

	if (!j->limited ||
	    (r != MW_R_ALLOWED && r != MW_R_REPLY && r != MW_R_RELATED))
		return r;
	len = c->end - MW_ETH_HLEN - (p->n_vlans ? MW_VLAN_HLEN : 0);
	return mw_rate_admit(j->slot, j->device, len, &j->boot_ns) ?
	       r : MW_R_RATE_LIMIT;
}

#endif /* MW_BPF_DECIDE_H */
