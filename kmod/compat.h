/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, as feature macros.  The rest of the module
 * uses only the MW_HAVE_* names and the helpers below.  This is the one
 * file allowed to test LINUX_VERSION_CODE (checkpatch's warning about it is
 * ignored here, and only here: tests/suites/style.sh).
 */
#ifndef MW_COMPAT_H
#define MW_COMPAT_H

#include <linux/if_vlan.h>
#include <linux/skbuff.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>

/* 6.0: nf_ct_iterate_cleanup_net() takes struct nf_ct_iter_data. */
#if KERNEL_VERSION(6, 0, 0) <= LINUX_VERSION_CODE
#define MW_HAVE_CT_ITER_DATA 1
#endif

/* 6.1: genl_family.resv_start_op (strict flags for older commands). */
#if KERNEL_VERSION(6, 1, 0) <= LINUX_VERSION_CODE
#define MW_HAVE_RESV_START_OP 1
#endif

/*
 * A VLAN tag the kernel took off before the IP hooks.  A priority tag (VID
 * 0), or a tag no VLAN device claims, is removed in the receive path; up
 * to 6.x kernels that still have skb->vlan_present, only that bit is
 * cleared and vlan_proto/vlan_tci keep the tag.  A tag consumed by a VLAN
 * device (skb->dev is that device) is not a tag on the judged interface.
 */
#ifdef PKT_VLAN_PRESENT_OFFSET
#define MW_HAVE_VLAN_PRESENT 1
#endif

static inline bool mw_vlan_tag_stripped(const struct sk_buff *skb, u16 *vid,
					bool *ad)
{
#ifdef MW_HAVE_VLAN_PRESENT
	if (!skb->vlan_present && skb->vlan_proto && !is_vlan_dev(skb->dev)) {
		*vid = skb->vlan_tci & VLAN_VID_MASK;
		*ad = skb->vlan_proto == htons(ETH_P_8021AD);
		return true;
	}
#endif
	return false;
}

/*
 * 6.2: NL_SET_ERR_MSG_FMT copies a formatted message into the extack.
 * Before, the extack keeps a pointer only: the text goes to buf (the
 * netns's, written under its lock; a concurrent command of the same netns
 * may overwrite it before the ACK is built, garbling one message).
 */
#ifdef NL_SET_ERR_MSG_FMT
#define MW_ERRMSG_FMT(extack, buf, fmt, ...) \
	NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__)
#else
#define MW_ERRMSG_FMT(extack, buf, fmt, ...) do {			\
	struct netlink_ext_ack *__ea = (extack);			\
									\
	snprintf(buf, sizeof(buf), fmt, ##__VA_ARGS__);			\
	if (__ea)							\
		__ea->_msg = buf;					\
} while (0)
#endif

static inline void mw_ct_cleanup_net(struct net *net,
				     int (*iter)(struct nf_conn *, void *),
				     void *data)
{
#ifdef MW_HAVE_CT_ITER_DATA
	struct nf_ct_iter_data d = { .net = net, .data = data };

	nf_ct_iterate_cleanup_net(iter, &d);
#else
	nf_ct_iterate_cleanup_net(net, iter, data, 0, 0);
#endif
}

#endif /* MW_COMPAT_H */
