// SPDX-License-Identifier: GPL-2.0
/*
 * The module's drop events: its generic netlink family's multicast group
 * MW_GENL_MCGRP_EVENTS, MW_CMD_EVENT messages with MW_A_EVENT (struct
 * mw_event, the same as XDP's ring buffer carries).  A multicast group
 * has any number of listeners: reading does not take events from anyone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nl.h"

struct mw_nl_events {
	struct nl_sock *sk;
	mw_nl_event_fn fn;
	void *arg;
};

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct mw_nl_events *ev = arg;
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[MW_A_MAX + 1];
	struct mw_event e;

	if (g->cmd != MW_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, MW_A_MAX, NULL) < 0 ||
	    !tb[MW_A_EVENT] || nla_len(tb[MW_A_EVENT]) != sizeof(e))
		return NL_SKIP;
	memcpy(&e, nla_data(tb[MW_A_EVENT]), sizeof(e));
	ev->fn(&e, ev->arg);
	return NL_OK;
}

int mw_nl_events_open(mw_nl_event_fn fn, void *arg, struct mw_nl_events **out)
{
	struct mw_nl_events *ev = calloc(1, sizeof(*ev));
	int grp, err = -ENOMEM;

	if (!ev)
		return -ENOMEM;
	ev->fn = fn;
	ev->arg = arg;
	ev->sk = nl_socket_alloc();
	if (!ev->sk)
		goto fail;
	err = -EPROTONOSUPPORT;
	if (genl_connect(ev->sk))
		goto fail;
	grp = genl_ctrl_resolve_grp(ev->sk, MW_GENL_NAME, MW_GENL_MCGRP_EVENTS);
	err = -ENOENT;			/* the module is not loaded */
	if (grp < 0)
		goto fail;
	nl_socket_disable_seq_check(ev->sk);
	nl_socket_modify_cb(ev->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, ev);
	err = -EIO;
	if (nl_socket_add_membership(ev->sk, grp) ||
	    nl_socket_set_nonblocking(ev->sk))
		goto fail;
	*out = ev;
	return 0;
fail:
	if (ev->sk)
		nl_socket_free(ev->sk);
	free(ev);
	return err;
}

int mw_nl_events_fd(const struct mw_nl_events *ev)
{
	return ev ? nl_socket_get_fd(ev->sk) : -1;
}

int mw_nl_events_poll(struct mw_nl_events *ev)
{
	int err;

	if (!ev)
		return 0;
	err = nl_recvmsgs_default(ev->sk);
	return err == -NLE_AGAIN ? 0 : err < 0 ? -EIO : 0;
}

void mw_nl_events_close(struct mw_nl_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	free(ev);
}
