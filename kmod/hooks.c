// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hooks, IPv4 and IPv6, registered per network namespace.
 *
 *   PRE_ROUTING, before defrag (-450)   inbound fragments on an external
 *                                       interface: the classifier's raw
 *                                       verdict on each fragment
 *   PRE_ROUTING, after conntrack (-199) inbound on an external interface:
 *                                       NEW flows decided, tracked flows
 *                                       follow their flow (island, blocks)
 *   FORWARD, LOCAL_OUT (0)              outbound: leaving by an external
 *                                       interface (relayed, or the gateway's
 *                                       own traffic)
 *
 * Inbound traffic for the gateway itself is decided at PRE_ROUTING like
 * relayed traffic, so LOCAL_IN needs no hook of its own.
 *
 * Fragments: conntrack reassembles before its PRE_ROUTING hook.  Each
 * fragment is judged on its own before defrag, exactly as the classifier
 * judges it (only port-less rules can pass it, else FRAGMENT); the packet
 * conntrack reassembles from passed fragments is then judged again whole.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/timekeeping.h>
#include <net/ip.h>
#include <net/netfilter/nf_conntrack.h>

#include "mw.h"

static unsigned int verdict(struct mw_net *mn, const struct mw_policy *pol,
			    const struct net_device *dev,
			    const struct sk_buff *skb,
			    const struct mw_kpkt *p, struct mw_kres *res,
			    u64 now)
{
	mw_count(mn, pol, res, skb->len);
	if (res->verdict == MW_VERDICT_PASS)
		return NF_ACCEPT;
	mw_event(mn, pol, dev, p, res, now);
	return NF_DROP;
}

static bool maybe_fragment(const struct sk_buff *skb, u8 pf)
{
	if (pf == NFPROTO_IPV4)
		return ip_is_fragment(ip_hdr(skb));
	switch (ipv6_hdr(skb)->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return false;
	default:
		return true;
	}
}

static unsigned int judge(const struct nf_hook_state *state,
			  struct sk_buff *skb, enum mw_direction dir,
			  bool fragments_only)
{
	const struct net_device *dev = dir == MW_DIR_INBOUND ? state->in :
							       state->out;
	struct mw_net *mn = mw_net(state->net);
	const struct mw_policy *pol;
	const struct mw_img_iface *f;
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;
	struct mw_kres res;
	struct mw_kpkt p;
	u64 now;

	pol = rcu_dereference(mn->policy);
	if (!pol || !dev)
		return NF_ACCEPT;	/* no policy: nothing is external */
	f = mw_pol_ext_iface(pol, dev);
	if (!f)
		return NF_ACCEPT;
	if (fragments_only && !maybe_fragment(skb, state->pf))
		return NF_ACCEPT;
	now = ktime_get_real_ns();
	mw_parse_skb(skb, state->pf, &p);
	if (fragments_only && !p.fragment)
		return NF_ACCEPT;
	ct = nf_ct_get(skb, &ctinfo);
	if (!fragments_only && ct && ctinfo != IP_CT_NEW &&
	    !p.parse_error) {
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
		} else if (mw_device_blocked(pol, mn, res.device, now)) {
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
		return verdict(mn, pol, dev, skb, &p, &res, now);
	}
	mw_decide(pol, mn, f, dir, &p, now, &res);
	/* A flow may not open as the reply of a conduit (stateful rule). */
	if (res.verdict == MW_VERDICT_PASS && res.reason == MW_R_REPLY &&
	    !fragments_only && mw_strict_new) {
		res.verdict = MW_VERDICT_DROP;
		res.reason = MW_R_NO_CONDUIT;
		res.conduit = MW_ID_NONE;
	}
	return verdict(mn, pol, dev, skb, &p, &res, now);
}

static unsigned int mw_hook_frag(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	return judge(state, skb, MW_DIR_INBOUND, true);
}

static unsigned int mw_hook_in(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	return judge(state, skb, MW_DIR_INBOUND, false);
}

static unsigned int mw_hook_out(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return judge(state, skb, MW_DIR_OUTBOUND, false);
}

#define MW_PRI_FRAG	NF_IP_PRI_RAW_BEFORE_DEFRAG
#define MW_PRI_IN	(NF_IP_PRI_CONNTRACK + 1)
#define MW_PRI_OUT	NF_IP_PRI_FILTER

static const struct nf_hook_ops mw_nf_ops[] = {
	{ .hook = mw_hook_frag, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = MW_PRI_FRAG },
	{ .hook = mw_hook_in, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = MW_PRI_IN },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_FORWARD, .priority = MW_PRI_OUT },
	{ .hook = mw_hook_out, .pf = NFPROTO_IPV4,
	  .hooknum = NF_INET_LOCAL_OUT, .priority = MW_PRI_OUT },
	{ .hook = mw_hook_frag, .pf = NFPROTO_IPV6,
	  .hooknum = NF_INET_PRE_ROUTING, .priority = NF_IP6_PRI_RAW_BEFORE_DEFRAG },
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
