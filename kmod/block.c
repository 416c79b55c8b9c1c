// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks of systems and devices, by id, with an optional expiry on the
 * CLOCK_BOOTTIME clock (no wall-clock step lengthens or shortens one).
 * They live outside the policy (per netns), so a reload never lifts one.
 * Setting a block also removes the conntrack entries of the target's
 * addresses, so established connections end at once instead of following
 * their flow.
 */
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_tuple.h>

#include "compat.h"
#include "mw.h"

struct mw_block_ent {
	struct mw_block b;
	struct rcu_head rcu;
};

/* The index of kind (checked by genl: system or device) in the arrays. */
static int kind_idx(u8 kind)
{
	return kind == MW_TARGET_SYSTEM ? 0 : 1;
}

static struct mw_blockv *blockv_of(struct mw_net *mn, int k)
{
	return rcu_dereference_protected(mn->blockv[k],
					 lockdep_is_held(&mn->lock));
}

/* A block's end as the packet path keeps it: U64_MAX for none. */
static u64 blockv_until(const struct mw_block *b)
{
	return b->until ? b->until : U64_MAX;
}

/*
 * Writer: make kind k's array cover ids below need, a copy of the blocks
 * in the xarray (the record) published in place of the old one.
 */
static int blockv_grow(struct mw_net *mn, int k, u32 need)
{
	u32 n = k ? MW_MAX_DEVICES : MW_MAX_SYSTEMS;	/* ids below */
	struct mw_blockv *v, *old = blockv_of(mn, k);
	const struct mw_block_ent *e;
	unsigned long idx;
	size_t bits;

	if (old && need <= old->n)
		return 0;
	/* doubling (up to the id space) keeps ascending blocks cheap */
	n = round_up(max(need, min(old ? old->n * 2 : 64U, n)),
		     BITS_PER_LONG);
	bits = BITS_TO_LONGS(n) * sizeof(unsigned long);
	v = kvzalloc(sizeof(*v) + bits + (size_t)n * sizeof(u64), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->n = n;
	v->until = (u64 *)((u8 *)v->bits + bits);
	xa_for_each(&mn->blocks[k], idx, e) {
		v->until[idx] = blockv_until(&e->b);
		__set_bit(idx, v->bits);
	}
	rcu_assign_pointer(mn->blockv[k], v);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
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
	int k = kind_idx(kind);
	struct mw_blockv *v;
	struct mw_ct_kill c;
	int err;

	lockdep_assert_held(&mn->lock);
	err = blockv_grow(mn, k, id + 1);
	if (err)
		return err;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->b.active = 1;
	e->b.cause = cause;
	e->b.until = until;
	old = xa_store(&mn->blocks[k], id, e, GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(e);
		return xa_err(old);
	}
	if (old)
		kfree_rcu(old, rcu);
	/* the packet path's copy: the until before the bit */
	v = blockv_of(mn, k);
	WRITE_ONCE(v->until[id], blockv_until(&e->b));
	smp_wmb();	/* until visible before the bit */
	set_bit(id, v->bits);
	/* New packets now see the block; end the flows that exist. */
	c.pol = rcu_dereference_protected(mn->policy,
					  lockdep_is_held(&mn->lock));
	c.kind = kind;
	c.id = id;
	if (c.pol)
		mw_ct_cleanup_net(mn->net, mw_ct_match, &c);
	return 0;
}

int mw_block_clear(struct mw_net *mn, u8 kind, u32 id)
{
	int k = kind_idx(kind);
	struct mw_block_ent *old;

	lockdep_assert_held(&mn->lock);
	old = xa_erase(&mn->blocks[k], id);
	if (!old)
		return -ENOENT;
	/* every stored id is below the array's n (blockv_grow) */
	clear_bit(id, blockv_of(mn, k)->bits);
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
		kvfree(rcu_dereference_protected(mn->blockv[k], 1));
		RCU_INIT_POINTER(mn->blockv[k], NULL);
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
