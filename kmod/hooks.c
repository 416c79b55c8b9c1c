// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hooks, IPv4, IPv6 and ARP, registered per network
 * namespace.
 *
 *   PRE_ROUTING, before defrag (-450)   inbound on an external interface:
 *                                       fragments get the classifier's raw
 *                                       verdict each; other packets the
 *                                       decision for a NEW flow, and drops
 *                                       that no conntrack state can change
 *                                       happen here, before defrag, raw
 *                                       rules and conntrack spend anything
 *                                       on them
 *   PRE_ROUTING, after conntrack (-199) inbound: NEW and RELATED packets
 *                                       take the decision made at -450,
 *                                       established flows are judged again
 *                                       with their flow as the conduit
 *   FORWARD, LOCAL_OUT (0)              outbound: leaving by an external
 *                                       interface (relayed, or the gateway's
 *                                       own traffic)
 *   ARP IN (0)                          ARP received on an external
 *                                       interface, by its arp mode
 *
 * Inbound traffic for the gateway itself is decided at PRE_ROUTING like
 * relayed traffic, so LOCAL_IN needs no hook of its own.  One hook before
 * conntrack, not two: a packet of a blocked device costs one hook call.
 *
 * External means: an external interface of the policy or a device stacked
 * on one (ifaces.c: a VLAN device adds its tag, a shape the model cannot
 * judge drops as NOT_MANAGED).  Without a policy, the no_policy module
 * parameter decides (main.c).
 *
 * A packet of an established flow (conntrack ESTABLISHED, either
 * direction) is judged by the whole model with the flow standing in for the
 * conduit: a NO_CONDUIT result passes, every other drop stays a drop
 * (VLAN, parse errors, an external-side address that is not a device,
 * WRONG_IFACE, SPOOFED, BLOCKED, AGREEMENT, island ...).  RELATED packets
 * (ICMP errors, helper expectations) get no such help: they are judged
 * like NEW ones.  When a policy is committed, the conntrack entries whose
 * original direction the new policy would not let open are deleted
 * (mw_ct_revoke), so a removed conduit ends its connections.
 *
 * Verdicts and reasons are those of one decision after conntrack; the early
 * hook only moves work.  It drops a packet before conntrack when the result
 * cannot depend on the flow: every drop but NO_CONDUIT, and NO_CONDUIT
 * when conntrack holds no entry for the packet in the default zone (so it
 * will be NEW or RELATED, and judged the same way; expectations are not
 * consulted, conntrack zones set by raw rules neither, so with zones a
 * packet the policy drops is dropped here even if another zone tracks it).
 * A packet it passes is handed to the -199 hook of the same CPU with its
 * decision (struct mw_pass: the skb, the policy, the source), which only
 * picks the counters for NEW or established; anything else is decided
 * again there in full.  Island mode is left to the -199 hook (counted per
 * flow).
 *
 * Fragments: conntrack reassembles before its PRE_ROUTING hook.  Each
 * fragment is judged on its own at -450, exactly as the classifier
 * judges it (only port-less rules can pass it, else FRAGMENT); the packet
 * conntrack reassembles from passed fragments is then judged again whole.
 *
 * Rate limits (rate.c) are charged once per packet, where its verdict is
 * final (charge()): -450 for fragments, else -199 or FORWARD / LOCAL_OUT.
 * A packet of a limited system is never recalled from -450 (it is decided
 * again at -199, where it is charged), and a pass along a tracked flow is
 * charged like a pass by a conduit: the limit is the system's traffic.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_arp.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/timekeeping.h>
#include <linux/percpu.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "compat.h"
#include "mw.h"

#define MW_TCP_SYN	0x02

/*
 * The packets on the wire an skb stands for: a GRO-merged or TSO-built one
 * carries gso_segs of them (counted up from its length and segment size
 * when the sender left the count unset: charged at least once each).
 */
static u32 skb_segs(const struct sk_buff *skb)
{
	const struct skb_shared_info *si = skb_shinfo(skb);

	if (!skb_is_gso(skb))
		return 1;
	if (si->gso_segs)
		return si->gso_segs;
	return DIV_ROUND_UP(skb->len, max_t(u32, si->gso_size, 1));
}

/* Count a final verdict, a drop also as an event: the netfilter verdict. */
static __always_inline unsigned int verdict(struct mw_net *mn,
					    const struct mw_policy *pol,
					    const struct net_device *dev,
					    const struct sk_buff *skb,
					    const struct mw_kpkt *p,
					    struct mw_kres *res,
					    struct mw_clock *clk)
{
	mw_count(mn, pol, res, skb_segs(skb), skb->len);
	if (res->verdict == MW_VERDICT_PASS)
		return NF_ACCEPT;
	if (mw_events_wanted(mn))	/* a listener subscribed */
		mw_event(mn, pol, dev, p, res, clk);
	return NF_DROP;
}

/* The tags the devices between dev and its interface took off. */
static void apply_via(struct mw_kpkt *p, const struct mw_via *via)
{
	if (via->n_vlans) {
		p->n_vlans = via->n_vlans;
		p->vlan = via->vid;
	}
	if (via->qinq)
		p->tag_8021ad = true;
}

/* A datagram conntrack reassembled from fragments (PRE_ROUTING on). */
static bool reassembled(const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return IPCB(skb)->frag_max_size;
	return IP6CB(skb)->frag_max_size;
}

/*
 * Rate limits (M7a), at the one point where a packet's verdict is final:
 * a pass as ALLOWED, REPLY, RELATED or along its flow (FLOW) for a
 * device of a system with limits is charged, and beyond them becomes a
 * drop RATE_LIMIT that keeps the system, device and conduit.  Inbound
 * fragments were charged one by one at -450: what conntrack reassembles
 * from them is not charged again.
 */
static void charge(struct mw_net *mn, const struct mw_policy *pol,
		   const struct sk_buff *skb, u8 pf, const struct mw_kpkt *p,
		   struct mw_kres *res, struct mw_clock *clk)
{
	if (res->verdict != MW_VERDICT_PASS || res->system == MW_ID_NONE)
		return;
	switch (res->reason) {
	case MW_R_FLOW:
	case MW_R_ALLOWED:
	case MW_R_REPLY:
	case MW_R_RELATED:
		break;
	default:
		return;
	}
	if (!mw_rate_limited(pol, res->system))
		return;		/* nothing to charge: no read of skb_shinfo */
	if (res->dir == MW_DIR_INBOUND && !p->fragment && reassembled(skb, pf))
		return;
	if (!mw_rate_admit(mn, pol, res->system, p->ip_len, skb_segs(skb),
			   clk)) {
		res->verdict = MW_VERDICT_DROP;
		res->reason = MW_R_RATE_LIMIT;
	}
}

static void parse(const struct nf_hook_state *state,
		  const struct sk_buff *skb, struct mw_kpkt *p)
{
	if (state->pf == NFPROTO_ARP)
		mw_parse_arp_skb(skb, p);
	else
		mw_parse_skb(skb, state->pf, p);
}

/* No policy in this netns: the no_policy module parameter decides. */
static unsigned int no_policy(struct mw_net *mn,
			      const struct nf_hook_state *state,
			      struct sk_buff *skb,
			      const struct net_device *dev,
			      enum mw_direction dir)
{
	int mode = READ_ONCE(mw_no_policy);
	struct mw_clock clk = { 0 };
	struct mw_kres res;
	struct mw_kpkt p MW_KPKT_UNINIT;

	if (mode == MW_NOPOL_ACCEPT)
		return NF_ACCEPT;
	if (mode == MW_NOPOL_DROP_FORWARD &&
	    (state->pf == NFPROTO_ARP || state->hook != NF_INET_FORWARD))
		return NF_ACCEPT;
	if (mode == MW_NOPOL_DROP_ALL && dev && (dev->flags & IFF_LOOPBACK))
		return NF_ACCEPT;
	parse(state, skb, &p);
	mw_decide(NULL, mn, NULL, dir, &p, &clk, &res);	/* NO_POLICY */
	return verdict(mn, NULL, dev, skb, &p, &res, &clk);
}

static bool established(enum ip_conntrack_info ctinfo)
{
	return ctinfo == IP_CT_ESTABLISHED ||
	       ctinfo == IP_CT_ESTABLISHED_REPLY;
}

static unsigned int judge(struct mw_net *mn, const struct nf_hook_state *state,
			  struct sk_buff *skb, enum mw_direction dir)
{
	const struct net_device *dev = dir == MW_DIR_INBOUND ? state->in :
							       state->out;
	const struct mw_policy *pol;
	enum ip_conntrack_info ctinfo;
	struct mw_clock clk = { 0 };
	struct nf_conn *ct;
	struct mw_kres res;
	struct mw_via via;
	struct mw_kpkt p MW_KPKT_UNINIT;

	pol = rcu_dereference(mn->policy);
	if (!pol)
		return no_policy(mn, state, skb, dev, dir);
	if (!dev || !mw_pol_resolve(pol, dev, &via))
		return NF_ACCEPT;	/* not external */
	mw_parse_skb(skb, state->pf, &p);
	apply_via(&p, &via);
	mw_decide(pol, mn, via.f, dir, &p, &clk, &res);
	ct = nf_ct_get(skb, &ctinfo);
	if (ct && established(ctinfo)) {
		/*
		 * The flow is the conduit; every other check of the model
		 * stands (the device on the external side, its interface,
		 * MAC binding, blocks, agreement, island, VLAN, parse).
		 */
		if (res.verdict == MW_VERDICT_PASS ||
		    res.reason == MW_R_NO_CONDUIT) {
			res.verdict = MW_VERDICT_PASS;
			res.reason = MW_R_FLOW;
			res.conduit = MW_ID_NONE;
		}
	} else if (res.verdict == MW_VERDICT_PASS &&
		   res.reason == MW_R_REPLY && mw_strict_new) {
		/* a flow may not open as the reply of a conduit */
		res.verdict = MW_VERDICT_DROP;
		res.reason = MW_R_NO_CONDUIT;
		res.conduit = MW_ID_NONE;
	}
	charge(mn, pol, skb, state->pf, &p, &res, &clk);
	return verdict(mn, pol, dev, skb, &p, &res, &clk);
}

/*
 * A packet the -450 hook passed, for the -199 hook of the same CPU (both run
 * in one softirq traversal of PRE_ROUTING).  Keyed by the skb, checked
 * against the policy and the source address, cleared when read.
 */
struct mw_pass {
	const struct sk_buff *skb;
	const struct mw_policy *pol;
	struct mw_kres res;
	u8 src[16];
};

static DEFINE_PER_CPU(struct mw_pass, mw_pass);

static const u8 *skb_src(const struct sk_buff *skb, u8 pf)
{
	return pf == NFPROTO_IPV4 ? (const u8 *)&ip_hdr(skb)->saddr :
				    ipv6_hdr(skb)->saddr.s6_addr;
}

/*
 * Is a drop at -450 final?  Only NO_CONDUIT can turn into a pass later (an
 * established flow is its own conduit), and only when conntrack has the
 * packet's tuple: without it the packet is NEW or RELATED and judged the
 * same way at -199.  Expectations (conntrack helpers) are not consulted:
 * their counter is not exported to modules on 6.1, and an expected packet
 * is RELATED, judged like a NEW one anyway.
 */
static bool drop_is_final(const struct nf_hook_state *state,
			  const struct sk_buff *skb, const struct mw_kres *res)
{
	const struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple t;

	if (res->reason != MW_R_NO_CONDUIT)
		return true;
	if (skb_nfct(skb))
		return false;
	if (!nf_ct_get_tuplepr(skb, skb_network_offset(skb), state->pf,
			       state->net, &t))
		return false;
	h = nf_conntrack_find_get(state->net, &nf_ct_zone_dflt, &t);
	if (!h)
		return true;
	nf_ct_put(nf_ct_tuplehash_to_ctrack(h));
	return false;
}

static unsigned int mw_hook_early(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct mw_pass *c = this_cpu_ptr(&mw_pass);
	struct mw_net *mn = priv;
	const struct net_device *dev = state->in;
	struct mw_clock clk = { 0 };
	const struct mw_policy *pol;
	struct mw_kres res;
	struct mw_via via;
	struct mw_kpkt p MW_KPKT_UNINIT;

	/*
	 * Forget what the last packet on this CPU left.  A packet passed
	 * here and then dropped or stolen before -199 (raw table, a full
	 * conntrack table, NFQUEUE) never clears its entry; a later skb at
	 * the same address (slab reuse) would inherit its verdict.
	 */
	c->skb = NULL;
	pol = rcu_dereference(mn->policy);
	if (!pol)
		return no_policy(mn, state, skb, dev, MW_DIR_INBOUND);
	if (!dev || !mw_pol_resolve(pol, dev, &via))
		return NF_ACCEPT;
	mw_parse_skb(skb, state->pf, &p);
	apply_via(&p, &via);
	if (p.fragment) {
		/* judged as it is, before defrag (the classifier's verdict) */
		mw_decide(pol, mn, via.f, MW_DIR_INBOUND, &p, &clk, &res);
		charge(mn, pol, skb, state->pf, &p, &res, &clk);
		return verdict(mn, pol, dev, skb, &p, &res, &clk);
	}
	if (READ_ONCE(mn->island))
		return NF_ACCEPT;
	mw_decide(pol, mn, via.f, MW_DIR_INBOUND, &p, &clk, &res);
	if (res.verdict == MW_VERDICT_PASS) {
		if (res.reason != MW_R_ALLOWED && res.reason != MW_R_REPLY)
			return NF_ACCEPT;
		c->pol = pol;
		c->res = res;
		memcpy(c->src, p.src, sizeof(c->src));
		c->skb = skb;
		return NF_ACCEPT;
	}
	if (!drop_is_final(state, skb, &res))
		return NF_ACCEPT;
	return verdict(mn, pol, dev, skb, &p, &res, &clk);
}

/* -199 with what -450 passed: count it, or false to decide again. */
static bool pass_recalled(struct mw_net *mn, const struct mw_pass *c,
			  const struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct;
	struct mw_kres res;

	if (rcu_access_pointer(mn->policy) != c->pol ||
	    READ_ONCE(mn->island) ||
	    mw_rate_limited(c->pol, c->res.system) ||
	    (state->pf == NFPROTO_IPV4 ?
	     memcmp(skb_src(skb, state->pf), c->src, 4) :
	     memcmp(skb_src(skb, state->pf), c->src, 16)))
		return false;
	res = c->res;
	ct = nf_ct_get(skb, &ctinfo);
	if (ct && established(ctinfo)) {
		res.reason = MW_R_FLOW;
		res.conduit = MW_ID_NONE;
	} else if (res.reason == MW_R_REPLY && mw_strict_new) {
		return false;			/* dropped, with an event */
	}
	mw_count(mn, c->pol, &res, skb_segs(skb), skb->len);
	return true;
}

static unsigned int mw_hook_in(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct mw_pass *c = this_cpu_ptr(&mw_pass);
	const struct sk_buff *mine = c->skb;

	c->skb = NULL;		/* read once, whoever it was for */
	if (mine == skb && pass_recalled(priv, c, skb, state))
		return NF_ACCEPT;
	return judge(priv, state, skb, MW_DIR_INBOUND);
}

static unsigned int mw_hook_out(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return judge(priv, state, skb, MW_DIR_OUTBOUND);
}

/* ARP received on an external interface (or a device stacked on one). */
static unsigned int mw_hook_arp(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	struct mw_net *mn = priv;
	const struct net_device *dev = state->in;
	struct mw_clock clk = { 0 };
	const struct mw_policy *pol;
	struct mw_kres res;
	struct mw_via via;
	struct mw_kpkt p MW_KPKT_UNINIT;

	pol = rcu_dereference(mn->policy);
	if (!pol)
		return no_policy(mn, state, skb, dev, MW_DIR_INBOUND);
	if (!dev || !mw_pol_resolve(pol, dev, &via))
		return NF_ACCEPT;
	mw_parse_arp_skb(skb, &p);
	apply_via(&p, &via);
	mw_decide(pol, mn, via.f, MW_DIR_INBOUND, &p, &clk, &res);
	return verdict(mn, pol, dev, skb, &p, &res, &clk);
}

#define MW_PRI_EARLY	NF_IP_PRI_RAW_BEFORE_DEFRAG
#define MW_PRI_IN	(NF_IP_PRI_CONNTRACK + 1)
#define MW_PRI_OUT	NF_IP_PRI_FILTER

static const struct nf_hook_ops mw_nf_ops[] = {
	{ .hook = mw_hook_early, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = MW_PRI_EARLY },
	{ .hook = mw_hook_in, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = MW_PRI_IN },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_FORWARD, .priority = MW_PRI_OUT },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = MW_PRI_OUT },
	{ .hook = mw_hook_early, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_PRE_ROUTING,
	  .priority = NF_IP6_PRI_RAW_BEFORE_DEFRAG },
	{ .hook = mw_hook_in, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = NF_IP6_PRI_CONNTRACK + 1 },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_FORWARD, .priority = NF_IP6_PRI_FILTER },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = NF_IP6_PRI_FILTER },
	{ .hook = mw_hook_arp, .pf = NFPROTO_ARP,
	  .hooknum = NF_ARP_IN, .priority = 0 },
};

/*
 * The hooks of net, their priv its mw_net (the ops are the netns's own copy:
 * no net_generic lookup per packet and hook).
 */
int mw_hooks_register(struct net *net)
{
	struct mw_net *mn = mw_net(net);
	int err, i;

	BUILD_BUG_ON(ARRAY_SIZE(mw_nf_ops) != MW_N_HOOKS);
	memcpy(mn->ops, mw_nf_ops, sizeof(mn->ops));
	for (i = 0; i < MW_N_HOOKS; i++)
		mn->ops[i].priv = mn;

	err = nf_ct_netns_get(net, NFPROTO_IPV4);
	if (err)
		return err;
	err = nf_ct_netns_get(net, NFPROTO_IPV6);
	if (err)
		goto out_put_ipv4;
	err = nf_register_net_hooks(net, mn->ops, MW_N_HOOKS);
	if (err)
		goto out_put_ipv6;
	return 0;

out_put_ipv6:
	nf_ct_netns_put(net, NFPROTO_IPV6);
out_put_ipv4:
	nf_ct_netns_put(net, NFPROTO_IPV4);
	return err;
}

void mw_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, mw_net(net)->ops, MW_N_HOOKS);
	nf_ct_netns_put(net, NFPROTO_IPV6);
	nf_ct_netns_put(net, NFPROTO_IPV4);
}

/* ---------------------------------------------------------------------- */
/* Conntrack entries a new policy no longer allows                        */

struct mw_revoke {
	struct mw_net *mn;
	const struct mw_policy *pol;
	u64 now;		/* one clock for the whole walk (boot ns) */
};

/* The original direction of a conntrack entry as its first packet. */
static void kpkt_from_tuple(const struct nf_conntrack_tuple *t,
			    struct mw_kpkt *p)
{
	unsigned int alen = t->src.l3num == AF_INET ? 4 : 16;

	memset(p, 0, sizeof(*p));
	p->family = t->src.l3num;
	p->proto = t->dst.protonum;
	p->hop_limit = 64;
	p->len = ETH_HLEN;
	memcpy(p->src, t->src.u3.all, alen);
	memcpy(p->dst, t->dst.u3.all, alen);
	switch (p->proto) {
	case IPPROTO_TCP:
		p->tcp_flags = MW_TCP_SYN;
		fallthrough;
	case IPPROTO_UDP:
		p->has_ports = true;
		p->sport = ntohs(t->src.u.all);
		p->dport = ntohs(t->dst.u.all);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		p->icmp_type = t->dst.u.icmp.type;
		break;
	}
}

static const struct mw_img_iface *iface_by_id(const struct mw_policy *pol,
					      u32 id)
{
	u32 i;

	for (i = 0; i < pol->n_ifaces; i++)
		if (pol->ifaces[i].id == id)
			return &pol->ifaces[i];
	return NULL;
}

/*
 * Would pol refuse to open the flow p in direction dir, as a packet of the
 * device dev on its own interface?  The frame's own properties (VLAN tag,
 * MAC source) are taken as the interface and the binding want them: they
 * are judged on every packet anyway; island is a state, not a revocation.
 */
static bool refused(struct mw_revoke *r, enum mw_direction dir,
		    struct mw_kpkt *p, const struct mw_img_device *dev)
{
	const struct mw_img_system *sys = mw_pol_system(r->pol, dev->system);
	const struct mw_img_iface *f = sys ? iface_by_id(r->pol, sys->iface) :
					     NULL;
	struct mw_clock clk = { .ns = r->now };
	struct mw_kres res;
	unsigned int v;

	if (!f)
		return false;
	p->n_vlans = 0;
	if (!(f->flags & MW_IFACE_F_UNTAGGED)) {
		for (v = 1; v < MW_MAX_VLANS; v++)
			if (f->vlans[v / 8] & (1u << (v % 8)))
				break;
		if (v == MW_MAX_VLANS)
			return true;	/* the interface passes nothing */
		p->n_vlans = 1;
		p->vlan = v;
	}
	p->have_mac = dir == MW_DIR_INBOUND && (dev->flags & MW_DEV_F_MAC);
	if (p->have_mac)
		memcpy(p->src_mac, dev->mac, ETH_ALEN);
	mw_decide(r->pol, r->mn, f, dir, p, &clk, &res);
	if (res.verdict == MW_VERDICT_PASS)
		return res.reason == MW_R_REPLY && mw_strict_new;
	switch (res.reason) {
	case MW_R_NO_CONDUIT:
	case MW_R_FRAGMENT:
	case MW_R_UNKNOWN_SOURCE:
	case MW_R_UNKNOWN_DEST:
	case MW_R_WRONG_IFACE:
	case MW_R_BLOCKED:
	case MW_R_AGREEMENT:
		return true;
	default:
		return false;
	}
}

/* Conntrack iterator (bucket lock held, BH off): 1 deletes the entry. */
static int revoke_match(struct nf_conn *ct, void *data)
{
	const struct nf_conntrack_tuple *o;
	const struct mw_img_device *dev;
	struct mw_revoke *r = data;
	struct mw_kpkt p;
	u32 id;

	o = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (o->src.l3num != AF_INET && o->src.l3num != AF_INET6)
		return 0;
	kpkt_from_tuple(o, &p);
	/* opened by a device: inbound on its interface */
	id = mw_pol_lookup_device(r->pol, p.family, p.src);
	dev = id == MW_ID_NONE ? NULL : mw_pol_device(r->pol, id);
	if (dev && refused(r, MW_DIR_INBOUND, &p, dev))
		return 1;
	/* opened towards a device: outbound on its interface */
	id = mw_pol_lookup_device(r->pol, p.family, p.dst);
	dev = id == MW_ID_NONE ? NULL : mw_pol_device(r->pol, id);
	if (dev && refused(r, MW_DIR_OUTBOUND, &p, dev))
		return 1;
	return 0;
}

/*
 * Writer (mw_net.lock), after pol is in force: delete the conntrack
 * entries pol would not let open.  Their next packet is NEW again and
 * judged by pol (TCP mid-stream, UDP), so a connection through a removed
 * conduit stops, one through a conduit that stays goes on.
 */
void mw_ct_revoke(struct mw_net *mn, const struct mw_policy *pol)
{
	struct mw_revoke r = {
		.mn = mn,
		.pol = pol,
		.now = ktime_get_boottime_ns(),
	};

	lockdep_assert_held(&mn->lock);
	mw_ct_cleanup_net(mn->net, revoke_match, &r);
}
