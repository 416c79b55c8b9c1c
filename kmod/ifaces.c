// SPDX-License-Identifier: GPL-2.0
/*
 * External interfaces by ifindex.  The image names its interfaces; the
 * packet path matches state->in / state->out by ifindex in a small table
 * (struct mw_ifmap) that belongs to the running policy.  It is built from
 * the names at commit, and rebuilt when a device of the policy's netns is
 * registered, renamed or unregistered (netdevice notifier: RTNL, then
 * mw_net.lock).  Readers use RCU; a policy whose table could not be
 * allocated (ifmap NULL) is matched by name, as before the table existed.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "mw.h"

/* The external interfaces of pol present in net now, without gone. */
static struct mw_ifmap *ifmap_build(struct net *net,
				    const struct mw_policy *pol,
				    const struct net_device *gone)
{
	struct mw_ifmap *m;
	u64 ext = pol->ext_ifaces;

	m = kzalloc(struct_size(m, e, hweight64(ext)), GFP_KERNEL);
	if (!m)
		return NULL;
	rcu_read_lock();
	while (ext) {
		unsigned int i = __ffs64(ext);
		struct net_device *dev;

		ext &= ext - 1;
		dev = dev_get_by_name_rcu(net, pol->ifaces[i].name);
		if (!dev || dev == gone)
			continue;
		m->e[m->n].ifindex = dev->ifindex;
		m->e[m->n].idx = i;
		m->n++;
	}
	rcu_read_unlock();
	return m;
}

/* Writer (mw_net.lock): replace pol's table; on ENOMEM match by name. */
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

/* Packet path (RCU): the external interface of the policy dev is, or NULL. */
const struct mw_img_iface *mw_pol_ext_iface(const struct mw_policy *p,
					    const struct net_device *dev)
{
	const struct mw_ifmap *m = rcu_dereference(p->ifmap);
	u64 ext = p->ext_ifaces;
	u32 i;

	if (likely(m)) {
		for (i = 0; i < m->n; i++)
			if (m->e[i].ifindex == dev->ifindex)
				return &p->ifaces[m->e[i].idx];
		return NULL;
	}
	while (ext) {
		i = __ffs64(ext);
		ext &= ext - 1;
		if (!strncmp(p->ifaces[i].name, dev->name, MW_IFNAMSIZ))
			return &p->ifaces[i];
	}
	return NULL;
}

/* Set while the notifier is unregistered: its replay is no real event. */
static bool mw_ifaces_stopping;

static int mw_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct mw_policy *pol;
	struct mw_net *mn;

	if ((event != NETDEV_REGISTER && event != NETDEV_CHANGENAME &&
	     event != NETDEV_UNREGISTER) || READ_ONCE(mw_ifaces_stopping))
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
