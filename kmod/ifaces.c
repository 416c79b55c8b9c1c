// SPDX-License-Identifier: GPL-2.0
/*
 * Which devices are external.  The image names its interfaces; the packet
 * path sees state->in / state->out, which is often a device stacked on the
 * named one: a VLAN sub-interface (ext0.100), a macvlan or ipvlan, a bond or
 * team master, a bridge, a tunnel bound to it.  Every such device is judged
 * as the external interface under it, or dropped when the model cannot say
 * what it is.
 *
 * A device resolves by walking its lower devices (the kernel's adjacency
 * lists) down a single chain: the first device on the way that the policy
 * names as external is the judged interface, and each VLAN device passed
 * adds one tag (its VID for the first), judged against the interface's
 * vlans: bitmap (two tags, or a VLAN device of protocol 802.1ad: VLAN
 * drop).  A chain that forks (a bond or
 * bridge with more than one port) or ends in a tunnel while an external
 * interface is somewhere below cannot be judged: NOT_MANAGED.  Tunnels are
 * followed to the device they are bound to (their link); an unbound tunnel
 * cannot be traced to the interface its outer packets came in by.
 *
 * The result is a small table per policy (struct mw_ifmap), sorted by
 * ifindex.  It is built at commit and rebuilt when a device of the policy's
 * netns is registered, renamed, unregistered or (un)linked to an upper
 * device (netdevice notifier: RTNL, then mw_net.lock).  Readers use RCU; a
 * policy whose table could not be allocated (ifmap NULL) resolves every
 * packet's device by the same walk.
 */
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/rtnetlink.h>

#include "mw.h"

enum { MW_RES_NONE, MW_RES_EXT, MW_RES_UNJUDGED };

/* A device below this many stacking levels is not looked for. */
#define MW_STACK_MAX	8

/* Tunnels whose link (dev_get_iflink) is the device they are bound to. */
static const char *const mw_tunnel_kinds[] = {
	"gre", "gretap", "erspan", "ipip", "sit", "vti", "ip6tnl", "ip6gre",
	"ip6gretap", "ip6erspan", "vti6", "xfrm", "vxlan", "bareudp",
};

/* The index in p->ifaces of the external interface named like dev, or -1. */
static int ext_by_name(const struct mw_policy *p, const struct net_device *dev)
{
	u64 ext = p->ext_ifaces;

	while (ext) {
		unsigned int i = __ffs64(ext);

		ext &= ext - 1;
		if (!strncmp(p->ifaces[i].name, dev->name, MW_IFNAMSIZ))
			return i;
	}
	return -1;
}

/* RCU: the device the tunnel dev is bound to, in its netns, or NULL. */
static struct net_device *tunnel_link(struct net_device *dev)
{
	const struct rtnl_link_ops *ops = dev->rtnl_link_ops;
	int i, link;

	if (!ops || !ops->kind)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(mw_tunnel_kinds); i++)
		if (!strcmp(ops->kind, mw_tunnel_kinds[i]))
			break;
	if (i == ARRAY_SIZE(mw_tunnel_kinds))
		return NULL;
	if (ops->get_link_net && !net_eq(ops->get_link_net(dev), dev_net(dev)))
		return NULL;	/* outer packets in another netns */
	link = dev_get_iflink(dev);
	if (!link || link == dev->ifindex)
		return NULL;
	return dev_get_by_index_rcu(dev_net(dev), link);
}

/* Tunnels over tunnels deeper than this are not followed: NOT_MANAGED. */
#define MW_TUNNEL_MAX	4

struct mw_walk {
	const struct mw_policy *p;
	const struct net_device *gone;
	int depth;		/* tunnels followed */
};

static int resolve(struct mw_walk *w, struct net_device *dev,
		   struct mw_ifmap_ent *out);

/* netdev_walk_all_lower_dev_rcu: stop (1) at an external device below. */
static int lower_is_ext(struct net_device *lower,
			struct netdev_nested_priv *priv)
{
	struct mw_walk *w = priv->data;
	struct mw_ifmap_ent e;
	struct net_device *t;
	int r;

	if (lower == w->gone)
		return 0;
	if (ext_by_name(w->p, lower) >= 0)
		return 1;
	t = tunnel_link(lower);
	if (!t)
		return 0;
	if (w->depth >= MW_TUNNEL_MAX)
		return 1;	/* cannot tell: closed */
	w->depth++;
	r = resolve(w, t, &e);
	w->depth--;
	return r != MW_RES_NONE;
}

/* Is an external interface anywhere below dev (dev included)? */
static bool ext_below(struct mw_walk *w, struct net_device *dev)
{
	struct netdev_nested_priv priv = { .data = w };

	if (lower_is_ext(dev, &priv))
		return true;
	return netdev_walk_all_lower_dev_rcu(dev, lower_is_ext, &priv) != 0;
}

/* RCU: what dev is to the policy (MW_RES_*); out set for MW_RES_EXT. */
static int resolve(struct mw_walk *w, struct net_device *dev,
		   struct mw_ifmap_ent *out)
{
	struct net_device *cur = dev, *lower, *next;
	struct list_head *iter;
	int depth, i, n;

	out->n_vlans = 0;
	out->vid = 0;
	out->qinq = 0;
	for (depth = 0; depth < MW_STACK_MAX; depth++) {
		i = ext_by_name(w->p, cur);
		if (i >= 0) {
			out->idx = i;
			return MW_RES_EXT;
		}
		n = 0;
		next = NULL;
		iter = &cur->adj_list.lower;
		while ((lower = netdev_next_lower_dev_rcu(cur, &iter))) {
			if (lower == w->gone)
				continue;
			n++;
			next = lower;
		}
		if (n != 1)	/* a fork, a tunnel or the bottom */
			return ext_below(w, cur) ? MW_RES_UNJUDGED :
						   MW_RES_NONE;
		if (is_vlan_dev(cur)) {
			if (!out->n_vlans)
				out->vid = vlan_dev_vlan_id(cur);
			out->n_vlans++;
			if (vlan_dev_vlan_proto(cur) == htons(ETH_P_8021AD))
				out->qinq = 1;	/* L14: never allowed */
		}
		cur = next;
	}
	return ext_below(w, cur) ? MW_RES_UNJUDGED : MW_RES_NONE;
}

static int resolve_dev(const struct mw_policy *p, struct net_device *dev,
		       const struct net_device *gone, struct mw_ifmap_ent *out)
{
	struct mw_walk w = { .p = p, .gone = gone };
	int r = resolve(&w, dev, out);

	out->ifindex = dev->ifindex;
	if (r == MW_RES_UNJUDGED) {
		out->idx = MW_IFMAP_UNJUDGED;
		out->n_vlans = 0;
		out->vid = 0;
		out->qinq = 0;
	}
	return r;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct mw_ifmap_ent *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/* The devices of net that pol judges, without gone. */
static struct mw_ifmap *ifmap_build(struct net *net,
				    const struct mw_policy *pol,
				    const struct net_device *gone)
{
	struct net_device *dev;
	struct mw_ifmap *m;
	u32 cap = 16;

	for (;;) {
		bool full = false;

		m = kzalloc(struct_size(m, e, cap), GFP_KERNEL);
		if (!m)
			return NULL;
		rcu_read_lock();
		for_each_netdev_rcu(net, dev) {
			struct mw_ifmap_ent e;

			if (dev == gone ||
			    resolve_dev(pol, dev, gone, &e) == MW_RES_NONE)
				continue;
			if (m->n == cap) {
				full = true;
				m->n++;
				continue;
			}
			m->e[m->n++] = e;
		}
		rcu_read_unlock();
		if (!full)
			break;
		/* devices appeared while counting: again, with room */
		cap = m->n + 4;
		kfree(m);
	}
	sort(m->e, m->n, sizeof(m->e[0]), ent_cmp, NULL);
	return m;
}

/* Writer (mw_net.lock): replace pol's table; on ENOMEM resolve per packet. */
void mw_ifmap_refresh(struct mw_net *mn, struct mw_policy *pol,
		      const struct net_device *gone)
{
	struct mw_ifmap *old, *m = ifmap_build(mn->net, pol, gone);

	old = rcu_dereference_protected(pol->ifmap,
					lockdep_is_held(&mn->lock));
	rcu_assign_pointer(pol->ifmap, m);
	if (old)
		kfree_rcu(old, rcu);
}

/* The policy is unreachable (after a grace period): free its table. */
void mw_ifmap_free(struct mw_policy *pol)
{
	kfree(rcu_dereference_protected(pol->ifmap, 1));
}

/* mw_pol_resolve() of a policy without its table: the walk, per packet. */
bool mw_pol_resolve_walk(const struct mw_policy *p,
			 const struct net_device *dev, struct mw_via *via)
{
	struct mw_ifmap_ent e;

	if (resolve_dev(p, (struct net_device *)dev, NULL, &e) == MW_RES_NONE)
		return false;
	mw_via_of(p, &e, via);
	return true;
}

/* Set while the notifier is unregistered: its replay is no real event. */
static bool mw_ifaces_stopping;

static int mw_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct mw_policy *pol;
	struct mw_net *mn;

	switch (event) {
	case NETDEV_REGISTER:
	case NETDEV_CHANGENAME:
	case NETDEV_UNREGISTER:
	case NETDEV_CHANGEUPPER:	/* stacked on or taken off a device */
		break;
	default:
		return NOTIFY_DONE;
	}
	if (READ_ONCE(mw_ifaces_stopping))
		return NOTIFY_DONE;
	mn = mw_net(dev_net(dev));
	mutex_lock(&mn->lock);
	pol = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	if (pol && pol->ext_ifaces)
		mw_ifmap_refresh(mn, pol,
				 event == NETDEV_UNREGISTER ? dev : NULL);
	mutex_unlock(&mn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block mw_netdev_nb = {
	.notifier_call = mw_netdev_event,
};

int mw_ifaces_init(void)
{
	return register_netdevice_notifier(&mw_netdev_nb);
}

void mw_ifaces_exit(void)
{
	WRITE_ONCE(mw_ifaces_stopping, true);
	unregister_netdevice_notifier(&mw_netdev_nb);
}
