// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "meterwall": the commands documented at the top
 * of include/uapi/linux/meterwall.h.  Every op needs CAP_NET_ADMIN in the
 * caller's network namespace and acts on that namespace's state only.
 */
#include <linux/capability.h>
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "compat.h"
#include "mw.h"

bool mw_events_on;

static struct netlink_range_validation mw_image_len_range = {
	.min = 1,
	.max = MW_IMAGE_MAX,
};

/* An offset of +-2^62 ns (146 years) keeps boot + offset in an s64. */
static struct netlink_range_validation_signed mw_clock_range = {
	.min = -(1LL << 62),
	.max = 1LL << 62,
};

/* The only attribute level: no attribute nests. */
static const struct nla_policy mw_attr_policy[MW_A_MAX + 1] = {
	[MW_A_TXN_ID]		= NLA_POLICY_MIN(NLA_U32, 1),
	[MW_A_IMAGE_LEN]	= NLA_POLICY_FULL_RANGE(NLA_U32,
							&mw_image_len_range),
	[MW_A_CHUNK_OFF]	= { .type = NLA_U32 },
	[MW_A_CHUNK_DATA]	= { .type = NLA_BINARY, .len = MW_CHUNK_MAX },
	[MW_A_TARGET_KIND]	= NLA_POLICY_RANGE(NLA_U8, MW_TARGET_SYSTEM,
						   MW_TARGET_DEVICE),
	[MW_A_TARGET_ID]	= { .type = NLA_U32 },
	[MW_A_UNTIL]		= { .type = NLA_U64 },
	[MW_A_REASON]		= NLA_POLICY_MAX(NLA_U32, __MW_BLOCK_LAST - 1),
	[MW_A_ISLAND]		= NLA_POLICY_MAX(NLA_U8, 1),
	[MW_A_CLOCK]		= NLA_POLICY_FULL_RANGE_SIGNED(NLA_S64,
							       &mw_clock_range),
	[MW_A_FLAGS]		= { .type = NLA_U32 },
	/* output only */
	[MW_A_SERIAL]		= { .type = NLA_REJECT },
	[MW_A_DIGEST]		= { .type = NLA_REJECT },
	[MW_A_GENERATION]	= { .type = NLA_REJECT },
	[MW_A_COUNTERS]		= { .type = NLA_REJECT },
	[MW_A_EVENT]		= { .type = NLA_REJECT },
	[MW_A_PAD]		= { .type = NLA_REJECT },
	[MW_A_CLOCK_MAX]	= { .type = NLA_REJECT },
};

static struct mw_net *info_mn(struct genl_info *info)
{
	return mw_net(genl_info_net(info));
}

static int need(struct genl_info *info, int attr)
{
	if (info->attrs[attr])
		return 0;
	NL_SET_ERR_MSG(info->extack, "missing attribute");
	return -EINVAL;
}

/* Attributes a command does not take are an error, not ignored. */
static int only(struct genl_info *info, u64 allowed)
{
	int i;

	for (i = 1; i <= MW_A_MAX; i++) {
		if (info->attrs[i] && !(allowed & BIT_ULL(i))) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[i],
					    "attribute not supported by this command");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int reply_u32(struct genl_info *info, u8 cmd, int attr, u32 val)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mw_genl_family, 0, cmd);
	if (!hdr || nla_put_u32(msg, attr, val)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int mw_nl_begin(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	u32 id;
	int err;

	err = only(info, BIT_ULL(MW_A_IMAGE_LEN));
	if (!err)
		err = need(info, MW_A_IMAGE_LEN);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mw_txn_begin(mn, info->snd_portid,
			   nla_get_u32(info->attrs[MW_A_IMAGE_LEN]), &id);
	mutex_unlock(&mn->lock);
	if (err == -EFBIG)
		NL_SET_ERR_MSG(info->extack, "image larger than image_max");
	if (err == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "another socket has a transaction open");
	if (err)
		return err;
	return reply_u32(info, MW_CMD_POLICY_BEGIN, MW_A_TXN_ID, id);
}

static int mw_nl_chunk(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	struct nlattr *data;
	int err;

	err = only(info, BIT_ULL(MW_A_TXN_ID) | BIT_ULL(MW_A_CHUNK_OFF) |
			 BIT_ULL(MW_A_CHUNK_DATA));
	if (!err)
		err = need(info, MW_A_TXN_ID);
	if (!err)
		err = need(info, MW_A_CHUNK_OFF);
	if (!err)
		err = need(info, MW_A_CHUNK_DATA);
	if (err)
		return err;
	data = info->attrs[MW_A_CHUNK_DATA];
	mutex_lock(&mn->lock);
	err = mw_txn_chunk(mn, info->snd_portid,
			   nla_get_u32(info->attrs[MW_A_TXN_ID]),
			   nla_get_u32(info->attrs[MW_A_CHUNK_OFF]),
			   nla_data(data), nla_len(data), info->extack);
	mutex_unlock(&mn->lock);
	return err;
}

/* MW_A_FLAGS (0 when absent): bits outside all are an error. */
static int get_flags(struct genl_info *info, u32 all, u32 *flags)
{
	struct nlattr *a = info->attrs[MW_A_FLAGS];

	*flags = a ? nla_get_u32(a) : 0;
	if (*flags & ~all) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "unknown flags");
		return -EINVAL;
	}
	return 0;
}

static int mw_nl_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	struct mw_commit_opts o = { 0 };
	int err;

	err = only(info, BIT_ULL(MW_A_TXN_ID) | BIT_ULL(MW_A_CLOCK) |
			 BIT_ULL(MW_A_FLAGS));
	if (!err)
		err = need(info, MW_A_TXN_ID);
	if (!err)
		err = get_flags(info, __MW_COMMIT_F_ALL, &o.flags);
	if (err)
		return err;
	if (info->attrs[MW_A_CLOCK]) {
		o.have_clock = true;
		o.boot_to_unix_ns = nla_get_s64(info->attrs[MW_A_CLOCK]);
	}
	mutex_lock(&mn->lock);
	err = mw_txn_commit(mn, info->snd_portid,
			    nla_get_u32(info->attrs[MW_A_TXN_ID]), &o,
			    info->extack);
	mutex_unlock(&mn->lock);
	return err;
}

static int mw_nl_abort(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	int err;

	err = only(info, BIT_ULL(MW_A_TXN_ID));
	if (!err)
		err = need(info, MW_A_TXN_ID);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mw_txn_abort(mn, info->snd_portid,
			   nla_get_u32(info->attrs[MW_A_TXN_ID]), info->extack);
	mutex_unlock(&mn->lock);
	return err;
}

static int mw_nl_clock(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	u32 flags;
	int err;

	err = only(info, BIT_ULL(MW_A_CLOCK) | BIT_ULL(MW_A_FLAGS));
	if (!err)
		err = need(info, MW_A_CLOCK);
	if (!err)
		err = get_flags(info, __MW_CLOCK_F_ALL, &flags);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	mw_clock_set(mn, nla_get_s64(info->attrs[MW_A_CLOCK]),
		     flags & MW_CLOCK_F_RESET_MAX);
	mutex_unlock(&mn->lock);
	return 0;
}

static int target(struct genl_info *info, u8 *kind, u32 *id)
{
	int err = need(info, MW_A_TARGET_KIND);

	if (!err)
		err = need(info, MW_A_TARGET_ID);
	if (err)
		return err;
	*kind = nla_get_u8(info->attrs[MW_A_TARGET_KIND]);
	*id = nla_get_u32(info->attrs[MW_A_TARGET_ID]);
	if (*id >= (*kind == MW_TARGET_SYSTEM ? MW_MAX_SYSTEMS :
						MW_MAX_DEVICES)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[MW_A_TARGET_ID],
				    "id out of range for its kind");
		return -ERANGE;
	}
	return 0;
}

static int mw_nl_block(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	u64 until = 0;
	u32 id, cause = MW_BLOCK_OPERATOR;
	u8 kind;
	int err;

	err = only(info, BIT_ULL(MW_A_TARGET_KIND) | BIT_ULL(MW_A_TARGET_ID) |
			 BIT_ULL(MW_A_UNTIL) | BIT_ULL(MW_A_REASON));
	if (!err)
		err = target(info, &kind, &id);
	if (err)
		return err;
	if (info->attrs[MW_A_UNTIL])
		until = nla_get_u64(info->attrs[MW_A_UNTIL]);
	if (info->attrs[MW_A_REASON])
		cause = nla_get_u32(info->attrs[MW_A_REASON]);
	mutex_lock(&mn->lock);
	err = mw_block_set(mn, kind, id, until, cause);
	mutex_unlock(&mn->lock);
	return err;
}

static int mw_nl_unblock(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	u32 id;
	u8 kind;
	int err;

	err = only(info, BIT_ULL(MW_A_TARGET_KIND) | BIT_ULL(MW_A_TARGET_ID));
	if (!err)
		err = target(info, &kind, &id);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mw_block_clear(mn, kind, id);
	mutex_unlock(&mn->lock);
	return err;
}

static int mw_nl_island(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	int err;

	err = only(info, BIT_ULL(MW_A_ISLAND));
	if (!err)
		err = need(info, MW_A_ISLAND);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	WRITE_ONCE(mn->island, nla_get_u8(info->attrs[MW_A_ISLAND]));
	mutex_unlock(&mn->lock);
	return 0;
}

static int mw_nl_status(struct sk_buff *skb, struct genl_info *info)
{
	struct mw_net *mn = info_mn(info);
	const struct mw_policy *pol;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = only(info, 0);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mw_genl_family, 0,
				MW_CMD_GET_STATUS);
	if (!hdr)
		goto out_free;
	mutex_lock(&mn->lock);
	pol = rcu_dereference_protected(mn->policy,
					lockdep_is_held(&mn->lock));
	err = nla_put_u8(msg, MW_A_ISLAND, READ_ONCE(mn->island)) ||
	      nla_put_u32(msg, MW_A_GENERATION, pol ? pol->generation : 0) ||
	      nla_put_s64(msg, MW_A_CLOCK, mn->boot_to_unix_ns, MW_A_PAD) ||
	      nla_put_s64(msg, MW_A_CLOCK_MAX, mn->boot_to_unix_max_ns,
			  MW_A_PAD);
	if (!err && pol)
		err = nla_put_u64_64bit(msg, MW_A_SERIAL, pol->hdr->serial,
					MW_A_PAD) ||
		      nla_put(msg, MW_A_DIGEST, 32, pol->hdr->digest);
	mutex_unlock(&mn->lock);
	if (err)
		goto out_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

void *mw_genl_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &mw_genl_family, NLM_F_MULTI,
			   cmd);
}

static int mw_nl_dump_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	int i;

	for (i = 1; i <= MW_A_MAX; i++)
		if (di->attrs[i])
			return -EOPNOTSUPP;
	cb->args[0] = 0;
	cb->args[1] = 0;
	return 0;
}

static int mw_nl_counters(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mw_counters_dump(mw_net(sock_net(skb->sk)), skb, cb);
}

static int mw_nl_blocks(struct sk_buff *skb, struct netlink_callback *cb)
{
	return mw_blocks_dump(mw_net(sock_net(skb->sk)), skb, cb);
}

static const struct genl_ops mw_genl_ops[] = {
	{ .cmd = MW_CMD_POLICY_BEGIN, .doit = mw_nl_begin,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_POLICY_CHUNK, .doit = mw_nl_chunk,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_POLICY_COMMIT, .doit = mw_nl_commit,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_POLICY_ABORT, .doit = mw_nl_abort,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_BLOCK, .doit = mw_nl_block,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_UNBLOCK, .doit = mw_nl_unblock,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_ISLAND, .doit = mw_nl_island,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_GET_STATUS, .doit = mw_nl_status,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_GET_COUNTERS, .start = mw_nl_dump_start,
	  .dumpit = mw_nl_counters, .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_GET_BLOCKS, .start = mw_nl_dump_start,
	  .dumpit = mw_nl_blocks, .flags = GENL_ADMIN_PERM },
	{ .cmd = MW_CMD_CLOCK_SET, .doit = mw_nl_clock,
	  .flags = GENL_ADMIN_PERM },
};

static const struct genl_multicast_group mw_genl_mcgrps[] = {
	{ .name = MW_GENL_MCGRP_EVENTS, .flags = GENL_UNS_ADMIN_PERM },
};

struct genl_family mw_genl_family __ro_after_init = {
	.name = MW_GENL_NAME,
	.version = MW_GENL_VERSION,
	.maxattr = MW_A_MAX,
	.policy = mw_attr_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = mw_genl_ops,
	.n_ops = ARRAY_SIZE(mw_genl_ops),
	.mcgrps = mw_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(mw_genl_mcgrps),
	/*
	 * resv_start_op stays 0: every command is validated the strict way,
	 * the reserved byte of the genl header included (non-zero: EINVAL),
	 * and nlmsg_flags beyond REQUEST, ACK, ECHO and DUMP are refused.
	 */
};

/* A generic netlink socket was closed: free its open transaction. */
static int mw_nl_release(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	mw_txn_release(mw_net(n->net), n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block mw_nl_nb = {
	.notifier_call = mw_nl_release,
};

int mw_genl_init(void)
{
	int err = netlink_register_notifier(&mw_nl_nb);

	if (err)
		return err;
	err = genl_register_family(&mw_genl_family);
	if (err)
		goto out_unregister_notifier;
	WRITE_ONCE(mw_events_on, true);
	return 0;

out_unregister_notifier:
	netlink_unregister_notifier(&mw_nl_nb);
	return err;
}

void mw_genl_exit(void)
{
	WRITE_ONCE(mw_events_on, false);
	synchronize_net();	/* no hook is sending an event any more */
	genl_unregister_family(&mw_genl_family);
	netlink_unregister_notifier(&mw_nl_nb);
}
