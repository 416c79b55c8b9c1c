// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks of systems and devices, by id, with an optional expiry on the
 * CLOCK_BOOTTIME clock (no wall-clock step lengthens or shortens one).
 * They live outside the policy (per netns), so a reload never lifts one.
 * Setting a block also removes the conntrack entries of the target's
 * addresses, so established connections end at once instead of following
 * their flow.
 */
#include <linux/hash.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_tuple.h>

#include "compat.h"
#include "mw.h"

struct mw_block_ent {
	struct mw_block b;
	struct rcu_head rcu;
};

/* The xarray of kind's blocks (kind checked by genl: system or device). */
static struct xarray *blocks_of(struct mw_net *mn, u8 kind)
{
	return &mn->blocks[kind == MW_TARGET_SYSTEM ? 0 : 1];
}

/* mw_block_active() past the filter: the entry, and its expiry. */
bool mw_block_found(struct mw_net *mn, u8 kind, u32 id, struct mw_clock *clk)
{
	const struct mw_block_ent *e;

	e = xa_load(blocks_of(mn, kind), id);
	if (!e || !e->b.active)
		return false;
	return !e->b.until || mw_now(clk) < e->b.until;
}

struct mw_ct_kill {
	const struct mw_policy *pol;
	u8 kind;
	u32 id;
};

static bool addr_is_target(const struct mw_ct_kill *k, u8 family,
			   const union nf_inet_addr *a)
{
	const struct mw_img_device *dev;
	u8 addr[16] = { 0 };
	u32 id;

	memcpy(addr, a->all, family == AF_INET ? 4 : 16);
	id = mw_pol_lookup_device(k->pol, family, addr);
	dev = id == MW_ID_NONE ? NULL : mw_pol_device(k->pol, id);
	if (!dev)
		return false;
	return k->kind == MW_TARGET_DEVICE ? dev->id == k->id :
					     dev->system == k->id;
}

/* Called under the conntrack bucket lock: no sleeping. */
static int mw_ct_match(struct nf_conn *ct, void *data)
{
	const struct mw_ct_kill *k = data;
	const struct nf_conntrack_tuple *o, *r;
	u8 family;

	o = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	family = o->src.l3num;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return addr_is_target(k, family, &o->src.u3) ||
	       addr_is_target(k, family, &o->dst.u3) ||
	       addr_is_target(k, family, &r->src.u3) ||
	       addr_is_target(k, family, &r->dst.u3);
}

int mw_block_set(struct mw_net *mn, u8 kind, u32 id, u64 until, u32 cause)
{
	struct mw_block_ent *e, *old;
	struct mw_ct_kill k;

	lockdep_assert_held(&mn->lock);
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->b.active = 1;
	e->b.cause = cause;
	e->b.until = until;
	/*
	 * The filter bit before the entry: a reader that can find the
	 * entry sees the bit (the barrier orders the two stores).
	 */
	set_bit(mw_block_bit(kind, id), mn->block_filter);
	smp_mb__after_atomic();	/* bit visible before the entry */
	old = xa_store(blocks_of(mn, kind), id, e, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(e);
		return xa_err(old);
	}
	if (old)
		kfree_rcu(old, rcu);
	/* New packets now see the block; end the flows that exist. */
	k.pol = rcu_dereference_protected(mn->policy,
					  lockdep_is_held(&mn->lock));
	k.kind = kind;
	k.id = id;
	if (k.pol)
		mw_ct_cleanup_net(mn->net, mw_ct_match, &k);
	return 0;
}

int mw_block_clear(struct mw_net *mn, u8 kind, u32 id)
{
	struct mw_block_ent *old;

	lockdep_assert_held(&mn->lock);
	old = xa_erase(blocks_of(mn, kind), id);
	if (!old)
		return -ENOENT;
	kfree_rcu(old, rcu);
	return 0;
}

/* Netns exit: no reader is left (hooks unregistered). */
void mw_blocks_destroy(struct mw_net *mn)
{
	struct mw_block_ent *e;
	unsigned long idx;
	int k;

	for (k = 0; k < MW_BLOCK_KINDS; k++) {
		xa_for_each(&mn->blocks[k], idx, e)
			kfree(e);
		xa_destroy(&mn->blocks[k]);
	}
}

/* cb->args[0]: kind index (0 systems, 1 devices, 2 done), [1]: next id. */
int mw_blocks_dump(struct mw_net *mn, struct sk_buff *skb,
		   struct netlink_callback *cb)
{
	struct mw_block_ent *e;
	unsigned long idx;

	mutex_lock(&mn->lock);
	for (; cb->args[0] < MW_BLOCK_KINDS; cb->args[0]++, cb->args[1] = 0) {
		u8 kind = cb->args[0] ? MW_TARGET_DEVICE : MW_TARGET_SYSTEM;

		idx = cb->args[1];
		xa_for_each_start(&mn->blocks[cb->args[0]], idx, e, idx) {
			void *hdr = mw_genl_put(skb, cb, MW_CMD_GET_BLOCKS);

			if (!hdr)
				goto out_full;
			if (nla_put_u8(skb, MW_A_TARGET_KIND, kind) ||
			    nla_put_u32(skb, MW_A_TARGET_ID, (u32)idx) ||
			    nla_put_u64_64bit(skb, MW_A_UNTIL, e->b.until,
					      MW_A_PAD) ||
			    nla_put_u32(skb, MW_A_REASON, e->b.cause)) {
				genlmsg_cancel(skb, hdr);
				goto out_full;
			}
			genlmsg_end(skb, hdr);
		}
	}
	mutex_unlock(&mn->lock);
	return skb->len;

out_full:
	cb->args[1] = idx;	/* this one again in the next message */
	mutex_unlock(&mn->lock);
	return skb->len;
}
