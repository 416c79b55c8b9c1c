// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hooks, IPv4 and IPv6, registered per network namespace.
 *
 *   PRE_ROUTING, before defrag (-450)   inbound on an external interface:
 *                                       fragments get the classifier's raw
 *                                       verdict each; other packets the
 *                                       decision for a NEW flow, and drops
 *                                       that no conntrack state can change
 *                                       happen here, before defrag, raw
 *                                       rules and conntrack spend anything
 *                                       on them
 *   PRE_ROUTING, after conntrack (-199) inbound: NEW flows take the decision
 *                                       made at -450, tracked flows follow
 *                                       their flow (island, blocks)
 *   FORWARD, LOCAL_OUT (0)              outbound: leaving by an external
 *                                       interface (relayed, or the gateway's
 *                                       own traffic)
 *
 * Inbound traffic for the gateway itself is decided at PRE_ROUTING like
 * relayed traffic, so LOCAL_IN needs no hook of its own.  One hook before
 * conntrack, not two: a packet of a blocked device costs one hook call.
 *
 * Verdicts and reasons are those of one decision after conntrack; the early
 * hook only moves work.  It drops a packet before conntrack when the result
 * cannot depend on the flow: BLOCKED (a tracked packet of a blocked device
 * is dropped as BLOCKED too), parse errors (never follow a flow), and other
 * drops when conntrack holds no entry for the packet in the default zone
 * (so it will be NEW: no expectation, not ICMP, which may be RELATED;
 * conntrack zones set by raw rules are not consulted, so with zones a
 * packet the policy drops is dropped here even if another zone tracks it).
 * A packet it passes is handed to the -199 hook of the same CPU with its
 * decision (struct mw_pass: the skb, the policy, the source), which only
 * picks the counters for NEW or tracked; anything else is decided again
 * there in full.  Island mode is left to the -199 hook (counted per flow).
 *
 * Fragments: conntrack reassembles before its PRE_ROUTING hook.  Each
 * fragment is judged on its own at -450, exactly as the classifier
 * judges it (only port-less rules can pass it, else FRAGMENT); the packet
 * conntrack reassembles from passed fragments is then judged again whole.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/timekeeping.h>
#include <linux/percpu.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_tuple.h>
#include <net/netfilter/nf_conntrack_zones.h>

#include "mw.h"

static unsigned int verdict(struct mw_net *mn, const struct mw_policy *pol,
			    const struct net_device *dev,
			    const struct sk_buff *skb,
			    const struct mw_kpkt *p, struct mw_kres *res,
			    struct mw_clock *clk)
{
	mw_count(mn, pol, res, skb->len);
	if (res->verdict == MW_VERDICT_PASS)
		return NF_ACCEPT;
	mw_event(mn, pol, dev, p, res, clk);
	return NF_DROP;
}

static unsigned int judge(const struct nf_hook_state *state,
			  struct sk_buff *skb, enum mw_direction dir)
{
	const struct net_device *dev = dir == MW_DIR_INBOUND ? state->in :
							       state->out;
	struct mw_net *mn = mw_net(state->net);
	const struct mw_policy *pol;
	const struct mw_img_iface *f;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	struct mw_kres res;
	struct mw_clock clk = { 0 };
	struct mw_kpkt p;

	pol = rcu_dereference(mn->policy);
	if (!pol || !dev)
		return NF_ACCEPT;	/* no policy: nothing is external */
	f = mw_pol_ext_iface(pol, dev);
	if (!f)
		return NF_ACCEPT;
	mw_parse_skb(skb, state->pf, &p);
	ct = nf_ct_get(skb, &ctinfo);
	if (ct && ctinfo != IP_CT_NEW && !p.parse_error) {
		/*
		 * A tracked packet follows its flow: it passes unless island
		 * mode is on or the device on the external side is blocked.
		 */
		memset(&res, 0, sizeof(res));
		res.dir = dir;
		res.system = MW_ID_NONE;
		res.device = MW_ID_NONE;
		res.conduit = MW_ID_NONE;
		res.device = mw_pol_lookup_device(pol, p.family,
						  dir == MW_DIR_INBOUND ?
						  p.src : p.dst);
		if (READ_ONCE(mn->island)) {
			res.verdict = MW_VERDICT_DROP;
			res.reason = MW_R_ISLAND;
		} else if (mw_device_blocked(pol, mn, res.device, &clk)) {
			res.verdict = MW_VERDICT_DROP;
			res.reason = MW_R_BLOCKED;
		} else {
			res.verdict = MW_VERDICT_PASS;
			res.reason = MW_R_UNSPEC;
		}
		if (res.device != MW_ID_NONE) {
			const struct mw_img_device *d =
				mw_pol_device(pol, res.device);

			res.system = d ? d->system : MW_ID_NONE;
		}
		return verdict(mn, pol, dev, skb, &p, &res, &clk);
	}
	mw_decide(pol, mn, f, dir, &p, &clk, &res);
	/* A flow may not open as the reply of a conduit (stateful rule). */
	if (res.verdict == MW_VERDICT_PASS && res.reason == MW_R_REPLY &&
	    mw_strict_new) {
		res.verdict = MW_VERDICT_DROP;
		res.reason = MW_R_NO_CONDUIT;
		res.conduit = MW_ID_NONE;
	}
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
 * A non-BLOCKED drop is final if conntrack will see the packet as NEW.
 * Expectations (conntrack helpers) are not consulted: their counter is not
 * exported to modules on 6.1, so a packet an expectation would make
 * RELATED is still dropped here when the policy drops it (fail closed;
 * meterwall configures no helpers).
 */
static bool drop_is_final(const struct nf_hook_state *state,
			  const struct sk_buff *skb, const struct mw_kpkt *p,
			  const struct mw_kres *res)
{
	const struct nf_conntrack_tuple_hash *h;
	struct nf_conntrack_tuple t;

	if (res->reason == MW_R_BLOCKED ||
	    (p->parse_error && res->reason == p->parse_error))
		return true;
	if (skb_nfct(skb) || p->proto == IPPROTO_ICMP ||
	    p->proto == IPPROTO_ICMPV6)
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
	struct mw_net *mn = mw_net(state->net);
	const struct net_device *dev = state->in;
	struct mw_clock clk = { 0 };
	const struct mw_policy *pol;
	const struct mw_img_iface *f;
	struct mw_pass *c;
	struct mw_kres res;
	struct mw_kpkt p;

	pol = rcu_dereference(mn->policy);
	if (!pol || !dev)
		return NF_ACCEPT;
	f = mw_pol_ext_iface(pol, dev);
	if (!f)
		return NF_ACCEPT;
	mw_parse_skb(skb, state->pf, &p);
	if (p.fragment) {
		/* judged as it is, before defrag (the classifier's verdict) */
		mw_decide(pol, mn, f, MW_DIR_INBOUND, &p, &clk, &res);
		return verdict(mn, pol, dev, skb, &p, &res, &clk);
	}
	if (READ_ONCE(mn->island))
		return NF_ACCEPT;
	mw_decide(pol, mn, f, MW_DIR_INBOUND, &p, &clk, &res);
	if (res.verdict == MW_VERDICT_PASS) {
		if (res.reason != MW_R_ALLOWED && res.reason != MW_R_REPLY)
			return NF_ACCEPT;
		c = this_cpu_ptr(&mw_pass);
		c->pol = pol;
		c->res = res;
		memcpy(c->src, p.src, sizeof(c->src));
		c->skb = skb;
		return NF_ACCEPT;
	}
	if (!drop_is_final(state, skb, &p, &res))
		return NF_ACCEPT;
	return verdict(mn, pol, dev, skb, &p, &res, &clk);
}

/* -199 with what -450 passed: count it, or false to decide again. */
static bool pass_recalled(const struct mw_pass *c, const struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	struct mw_net *mn = mw_net(state->net);
	enum ip_conntrack_info ctinfo;
	const struct nf_conn *ct;
	struct mw_kres res;

	if (rcu_access_pointer(mn->policy) != c->pol ||
	    READ_ONCE(mn->island) ||
	    memcmp(skb_src(skb, state->pf), c->src,
		   state->pf == NFPROTO_IPV4 ? 4 : 16))
		return false;
	res = c->res;
	ct = nf_ct_get(skb, &ctinfo);
	if (ct && ctinfo != IP_CT_NEW) {
		res.reason = MW_R_UNSPEC;	/* followed its flow */
		res.conduit = MW_ID_NONE;
	} else if (res.reason == MW_R_REPLY && mw_strict_new) {
		return false;			/* dropped, with an event */
	}
	mw_count(mn, c->pol, &res, skb->len);
	return true;
}

static unsigned int mw_hook_in(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	struct mw_pass *c = this_cpu_ptr(&mw_pass);

	if (c->skb == skb) {
		c->skb = NULL;
		if (pass_recalled(c, skb, state))
			return NF_ACCEPT;
	}
	return judge(state, skb, MW_DIR_INBOUND);
}

static unsigned int mw_hook_out(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return judge(state, skb, MW_DIR_OUTBOUND);
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
};

int mw_hooks_register(struct net *net)
{
	int err;

	err = nf_ct_netns_get(net, NFPROTO_IPV4);
	if (err)
		return err;
	err = nf_ct_netns_get(net, NFPROTO_IPV6);
	if (err)
		goto out_put_ipv4;
	err = nf_register_net_hooks(net, mw_nf_ops, ARRAY_SIZE(mw_nf_ops));
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
	nf_unregister_net_hooks(net, mw_nf_ops, ARRAY_SIZE(mw_nf_ops));
	nf_ct_netns_put(net, NFPROTO_IPV6);
	nf_ct_netns_put(net, NFPROTO_IPV4);
}
