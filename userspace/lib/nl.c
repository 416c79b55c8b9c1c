// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-3 client of the "meterwall" generic netlink family.  One request
 * at a time: send with NLM_F_ACK, then receive until the ACK, the error or
 * the end of the dump; the kernel's errno is returned as -errno.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nl.h"

struct mw_nl {
	struct nl_sock *sk;
	int family;
	char errmsg[256];	/* extack message of the last request */
};

struct mw_req {
	struct mw_nl *nl;
	int err;
	bool done;
	int (*parse)(struct nlattr **tb, void *arg);
	void *arg;
};

int mw_nl_open(struct mw_nl **out)
{
	struct mw_nl *nl;
	int err;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err) {
		err = -EPROTONOSUPPORT;
		goto out_free;
	}
	/* error messages (extack); errors echo the request's header only */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &(int){ 1 }, sizeof(int));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &(int){ 1 }, sizeof(int));
	nl->family = genl_ctrl_resolve(nl->sk, MW_GENL_NAME);
	if (nl->family < 0) {
		err = -ENOENT;
		goto out_free;
	}
	*out = nl;
	return 0;

out_free:
	nl_socket_free(nl->sk);
	free(nl);
	return err;
}

void mw_nl_close(struct mw_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

const char *mw_nl_errmsg(const struct mw_nl *nl)
{
	return nl ? nl->errmsg : "";
}

/*
 * The extack message of an error (NLMSGERR_ATTR_MSG): libnl hands over the
 * payload of the NLMSG_ERROR message, whose header is right before it.
 */
static void take_extack(struct mw_nl *nl, const struct nlmsgerr *e)
{
	const struct nlmsghdr *h = (const void *)((const char *)e -
						  NLMSG_HDRLEN);
	const char *end = (const char *)h + h->nlmsg_len, *p;
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	for (p = (const char *)h + off; p + NLA_HDRLEN <= end;) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = a->nla_len - NLA_HDRLEN;

			if (n >= sizeof(nl->errmsg))
				n = sizeof(nl->errmsg) - 1;
			memcpy(nl->errmsg, p + NLA_HDRLEN, n);
			nl->errmsg[n] = '\0';
			return;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct mw_req *r = arg;

	(void)who;
	if (r->nl)
		take_extack(r->nl, e);
	r->err = e->error;
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct mw_req *r = arg;

	(void)msg;
	r->done = true;
	return NL_STOP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct mw_req *r = arg;
	struct nlattr *tb[MW_A_MAX + 1];

	if (!r->parse)
		return NL_OK;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, MW_A_MAX, NULL) < 0) {
		r->err = -EBADMSG;
		return NL_SKIP;
	}
	if (!r->err && r->parse(tb, r->arg))
		r->err = -ECANCELED;
	return NL_OK;
}

/* Send msg (consumed) and collect the answer into r. */
static int transact(struct mw_nl *nl, struct nl_msg *msg, struct mw_req *r)
{
	struct nl_cb *cb;
	int err;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_ack, r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	r->nl = nl;
	nl->errmsg[0] = '\0';
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		nl_cb_put(cb);
		return -EIO;
	}
	while (!r->done) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !r->done) {
			nl_cb_put(cb);
			return r->err ? r->err : -EIO;
		}
	}
	nl_cb_put(cb);
	return r->err;
}

static struct nl_msg *new_msg(struct mw_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags | NLM_F_ACK, cmd, MW_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int parse_txn(struct nlattr **tb, void *arg)
{
	if (!tb[MW_A_TXN_ID])
		return -1;
	*(uint32_t *)arg = nla_get_u32(tb[MW_A_TXN_ID]);
	return 0;
}

int mw_nl_begin(struct mw_nl *nl, uint32_t len, uint32_t *txn)
{
	struct mw_req r = { .parse = parse_txn, .arg = txn };
	struct nl_msg *msg;

	if (!nl || !txn)
		return -EINVAL;
	*txn = 0;
	msg = new_msg(nl, MW_CMD_POLICY_BEGIN, 0);
	if (!msg || nla_put_u32(msg, MW_A_IMAGE_LEN, len)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r.err = transact(nl, msg, &r);
	if (!r.err && !*txn)
		return -EPROTO;
	return r.err;
}

int mw_nl_chunk(struct mw_nl *nl, uint32_t txn, uint32_t off,
		const void *data, uint32_t len)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = nlmsg_alloc_size(len + 4096);
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 NLM_F_ACK, MW_CMD_POLICY_CHUNK, MW_GENL_VERSION) ||
	    nla_put_u32(msg, MW_A_TXN_ID, txn) ||
	    nla_put_u32(msg, MW_A_CHUNK_OFF, off) ||
	    nla_put(msg, MW_A_CHUNK_DATA, (int)len, data)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

static int txn_cmd(struct mw_nl *nl, uint8_t cmd, uint32_t txn)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, cmd, 0);
	if (!msg || nla_put_u32(msg, MW_A_TXN_ID, txn)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

int mw_nl_commit_opts(struct mw_nl *nl, uint32_t txn,
		      const struct mw_nl_commit_opts *o)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_POLICY_COMMIT, 0);
	if (!msg || nla_put_u32(msg, MW_A_TXN_ID, txn) ||
	    (o && o->have_clock &&
	     nla_put_u64(msg, MW_A_CLOCK, (uint64_t)o->boot_to_unix_ns)) ||
	    (o && o->flags && nla_put_u32(msg, MW_A_FLAGS, o->flags))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

int mw_nl_commit(struct mw_nl *nl, uint32_t txn)
{
	return mw_nl_commit_opts(nl, txn, NULL);
}

int mw_nl_abort(struct mw_nl *nl, uint32_t txn)
{
	return txn_cmd(nl, MW_CMD_POLICY_ABORT, txn);
}

int mw_nl_load_image(struct mw_nl *nl, const void *img, size_t len)
{
	return mw_nl_load_image_opts(nl, img, len, NULL);
}

int mw_nl_load_image_opts(struct mw_nl *nl, const void *img, size_t len,
			  const struct mw_nl_commit_opts *o)
{
	const uint8_t *p = img;
	uint32_t txn, off = 0;
	int err;

	if (!nl || !img || !len || len > MW_IMAGE_MAX)
		return -EINVAL;
	err = mw_nl_begin(nl, (uint32_t)len, &txn);
	if (err)
		return err;
	while (off < len) {
		uint32_t n = len - off > MW_CHUNK_MAX ? MW_CHUNK_MAX :
						       (uint32_t)(len - off);

		err = mw_nl_chunk(nl, txn, off, p + off, n);
		if (err) {
			char keep[sizeof(nl->errmsg)];

			memcpy(keep, nl->errmsg, sizeof(keep));
			mw_nl_abort(nl, txn);	/* the chunk's message stays */
			memcpy(nl->errmsg, keep, sizeof(keep));
			return err;
		}
		off += n;
	}
	return mw_nl_commit_opts(nl, txn, o);
}

int mw_nl_block(struct mw_nl *nl, enum mw_target kind, uint32_t id,
		uint64_t until_ns, enum mw_block_cause cause)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_BLOCK, 0);
	if (!msg || nla_put_u8(msg, MW_A_TARGET_KIND, (uint8_t)kind) ||
	    nla_put_u32(msg, MW_A_TARGET_ID, id) ||
	    nla_put_u64(msg, MW_A_UNTIL, until_ns) ||
	    nla_put_u32(msg, MW_A_REASON, (uint32_t)cause)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

int mw_nl_unblock(struct mw_nl *nl, enum mw_target kind, uint32_t id)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_UNBLOCK, 0);
	if (!msg || nla_put_u8(msg, MW_A_TARGET_KIND, (uint8_t)kind) ||
	    nla_put_u32(msg, MW_A_TARGET_ID, id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

int mw_nl_island(struct mw_nl *nl, bool on)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_ISLAND, 0);
	if (!msg || nla_put_u8(msg, MW_A_ISLAND, on)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

int mw_nl_clock_set(struct mw_nl *nl, int64_t boot_to_unix_ns,
		    uint32_t flags)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_CLOCK_SET, 0);
	if (!msg || nla_put_u64(msg, MW_A_CLOCK, (uint64_t)boot_to_unix_ns) ||
	    (flags && nla_put_u32(msg, MW_A_FLAGS, flags))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}

static int parse_status(struct nlattr **tb, void *arg)
{
	struct mw_nl_status *st = arg;

	if (tb[MW_A_ISLAND])
		st->island = nla_get_u8(tb[MW_A_ISLAND]);
	if (tb[MW_A_GENERATION])
		st->generation = nla_get_u32(tb[MW_A_GENERATION]);
	if (tb[MW_A_SERIAL]) {
		st->loaded = true;
		st->serial = nla_get_u64(tb[MW_A_SERIAL]);
	}
	if (tb[MW_A_DIGEST] && nla_len(tb[MW_A_DIGEST]) == 32)
		memcpy(st->digest, nla_data(tb[MW_A_DIGEST]), 32);
	if (tb[MW_A_CLOCK] && nla_len(tb[MW_A_CLOCK]) == 8)
		st->boot_to_unix_ns = (int64_t)nla_get_u64(tb[MW_A_CLOCK]);
	if (tb[MW_A_CLOCK_MAX] && nla_len(tb[MW_A_CLOCK_MAX]) == 8)
		st->boot_to_unix_max_ns =
			(int64_t)nla_get_u64(tb[MW_A_CLOCK_MAX]);
	return 0;
}

int mw_nl_status(struct mw_nl *nl, struct mw_nl_status *st)
{
	struct mw_req r = { .parse = parse_status, .arg = st };
	struct nl_msg *msg;

	if (!nl || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	msg = new_msg(nl, MW_CMD_GET_STATUS, 0);
	if (!msg)
		return -ENOMEM;
	return transact(nl, msg, &r);
}

struct counters_arg {
	mw_nl_counter_fn fn;
	void *arg;
};

static int parse_counter(struct nlattr **tb, void *arg)
{
	struct counters_arg *a = arg;
	struct mw_counter c;

	if (!tb[MW_A_TARGET_KIND] || !tb[MW_A_TARGET_ID] ||
	    !tb[MW_A_COUNTERS] || nla_len(tb[MW_A_COUNTERS]) != sizeof(c))
		return 0;
	memcpy(&c, nla_data(tb[MW_A_COUNTERS]), sizeof(c));
	return a->fn(nla_get_u8(tb[MW_A_TARGET_KIND]),
		     nla_get_u32(tb[MW_A_TARGET_ID]), &c, a->arg);
}

int mw_nl_counters(struct mw_nl *nl, mw_nl_counter_fn cb, void *arg)
{
	struct counters_arg a = { cb, arg };
	struct mw_req r = { .parse = parse_counter, .arg = &a };
	struct nl_msg *msg;

	if (!nl || !cb)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_GET_COUNTERS, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	return transact(nl, msg, &r);
}

struct blocks_arg {
	mw_nl_block_fn fn;
	void *arg;
};

static int parse_block(struct nlattr **tb, void *arg)
{
	struct blocks_arg *a = arg;

	if (!tb[MW_A_TARGET_KIND] || !tb[MW_A_TARGET_ID])
		return 0;
	return a->fn(nla_get_u8(tb[MW_A_TARGET_KIND]),
		     nla_get_u32(tb[MW_A_TARGET_ID]),
		     tb[MW_A_UNTIL] ? nla_get_u64(tb[MW_A_UNTIL]) : 0,
		     tb[MW_A_REASON] ? nla_get_u32(tb[MW_A_REASON]) : 0,
		     a->arg);
}

int mw_nl_blocks(struct mw_nl *nl, mw_nl_block_fn cb, void *arg)
{
	struct blocks_arg a = { cb, arg };
	struct mw_req r = { .parse = parse_block, .arg = &a };
	struct nl_msg *msg;

	if (!nl || !cb)
		return -EINVAL;
	msg = new_msg(nl, MW_CMD_GET_BLOCKS, NLM_F_DUMP);
	if (!msg)
		return -ENOMEM;
	return transact(nl, msg, &r);
}

int mw_nl_raw(struct mw_nl *nl, uint8_t cmd, const void *attrs, size_t len,
	      bool dump)
{
	struct mw_req r = { 0 };
	struct nl_msg *msg;

	if (!nl || len > 65000)
		return -EINVAL;
	msg = nlmsg_alloc_size(len + 4096);
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 NLM_F_ACK | (dump ? NLM_F_DUMP : 0), cmd,
			 MW_GENL_VERSION) ||
	    (len && nlmsg_append(msg, (void *)attrs, len, 1) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return transact(nl, msg, &r);
}
