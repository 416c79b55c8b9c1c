// SPDX-License-Identifier: GPL-2.0
/*
 * meterwall.ko -- the stateful netfilter enforcement point of meterwall.
 *
 * Per network namespace: the running policy (RCU), the load transaction,
 * blocks, island mode, counters and the netfilter hooks.  Userspace drives
 * it through the generic netlink family "meterwall".
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "mw.h"

/* 128 MiB: a 1,000,000-device policy with two conduits per system is ~67 MB */
unsigned int mw_image_max = 128U << 20;
module_param_named(image_max, mw_image_max, uint, 0644);
MODULE_PARM_DESC(image_max,
		 "largest policy image accepted, bytes (default 128 MiB, at most 256 MiB)");

bool mw_strict_new = true;
module_param_named(strict_new, mw_strict_new, bool, 0644);
MODULE_PARM_DESC(strict_new,
		 "a packet conntrack sees as NEW may not pass as the reply of a conduit (default Y; N gives the stateless classifier's verdict)");

unsigned int mw_event_rate = MW_EVENT_RATE_DEFAULT;
module_param_named(event_rate, mw_event_rate, uint, 0644);
MODULE_PARM_DESC(event_rate,
		 "drop events per device per second on the \"events\" group (0 = none; default "
		 __stringify(MW_EVENT_RATE_DEFAULT) ")");

/*
 * Before the first policy of a netns is committed the module cannot tell
 * external from internal: no_policy says what passes meanwhile.  Every drop
 * is counted as NO_POLICY.
 */
int mw_no_policy = MW_NOPOL_DROP_FORWARD;

static const char *const mw_no_policy_names[] = {
	[MW_NOPOL_DROP_FORWARD]	= "drop-forward",
	[MW_NOPOL_DROP_ALL]	= "drop-all",
	[MW_NOPOL_ACCEPT]	= "accept",
};

static int no_policy_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(mw_no_policy_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(mw_no_policy, i);
	return 0;
}

static int no_policy_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 mw_no_policy_names[READ_ONCE(mw_no_policy)]);
}

static const struct kernel_param_ops mw_no_policy_ops = {
	.set = no_policy_set,
	.get = no_policy_get,
};

module_param_cb(no_policy, &mw_no_policy_ops, NULL, 0644);
MODULE_PARM_DESC(no_policy,
		 "what passes in a netns with no policy loaded: drop-forward (default: nothing is relayed between interfaces, the gateway's own traffic passes), drop-all (nothing but loopback passes, ARP included), accept (nothing is judged; labs only)");

static unsigned int mw_net_id __read_mostly;

struct mw_net *mw_net(const struct net *net)
{
	return net_generic(net, mw_net_id);
}

/*
 * The netns's time base (uapi "Time base"; writer: mw_net.lock, or init):
 * boot_to_unix_ns = v; boot_to_unix_max_ns = the larger of itself and v,
 * or v with reset_max.
 */
void mw_clock_set(struct mw_net *mn, s64 v, bool reset_max)
{
	s64 max = READ_ONCE(mn->boot_to_unix_max_ns);

	WRITE_ONCE(mn->boot_to_unix_ns, v);
	WRITE_ONCE(mn->boot_to_unix_max_ns, reset_max || v > max ? v : max);
}

static int __net_init mw_net_init(struct net *net)
{
	struct mw_net *mn = mw_net(net);
	int err, i;

	mn->net = net;
	mutex_init(&mn->lock);
	for (i = 0; i < MW_BLOCK_KINDS; i++)
		xa_init(&mn->blocks[i]);
	xa_init(&mn->rates);
	mw_clock_set(mn, mw_clock_sample(), true);	/* cur = max = host's */
	err = mw_counters_init(mn);
	if (err)
		return err;
	err = mw_hooks_register(net);
	if (err)
		goto out_free_counters;
	return 0;

out_free_counters:
	mw_counters_destroy(mn);
	return err;
}

static void __net_exit mw_net_exit(struct net *net)
{
	struct mw_net *mn = mw_net(net);

	mw_hooks_unregister(net);
	mw_policy_teardown(mn);
	rcu_barrier();		/* kfree_rcu of blocks */
	mw_blocks_destroy(mn);
	mw_rates_destroy(mn);
	mw_counters_destroy(mn);
	mutex_destroy(&mn->lock);
}

static struct pernet_operations mw_net_ops = {
	.init = mw_net_init,
	.exit = mw_net_exit,
	.id = &mw_net_id,
	.size = sizeof(struct mw_net),
};

static int __init mw_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct mw_image_hdr) != 88 + 16 * MW_SEC_MAX);
	BUILD_BUG_ON(MW_R_MAX > 255);
	if (mw_image_max > MW_IMAGE_MAX)
		mw_image_max = MW_IMAGE_MAX;
	err = register_pernet_subsys(&mw_net_ops);
	if (err)
		return err;
	err = mw_ifaces_init();
	if (err)
		goto out_unregister_pernet;
	err = mw_genl_init();
	if (err)
		goto out_ifaces_exit;
	pr_info("meterwall: loaded\n");
	return 0;

out_ifaces_exit:
	mw_ifaces_exit();
out_unregister_pernet:
	unregister_pernet_subsys(&mw_net_ops);
	return err;
}

static void __exit mw_exit(void)
{
	mw_genl_exit();
	mw_ifaces_exit();
	unregister_pernet_subsys(&mw_net_ops);
	rcu_barrier();
}

module_init(mw_init);
module_exit(mw_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("meterwall: external-connection enforcement for smart meter gateways");
MODULE_ALIAS_GENL_FAMILY(MW_GENL_NAME);
