// SPDX-License-Identifier: GPL-2.0
/*
 * meterwall.ko from userspace: the genl client (userspace/lib/nl.c) and the
 * guest tool of tests/vm/guest/kmod.sh.
 *
 * Without arguments (tests/run.sh on the host, where the module cannot
 * load): a cmocka suite of the client's argument checks and its answer
 * when the family is absent (-ENOENT).
 *
 * With arguments (in the qemu guest): one command per run, for the shell
 * script; netlink commands print "rc=<-errno>" and exit 0 only when rc is
 * 0.  Commands:
 *   status | load IMG [rollback] | abort-test IMG | corrupt IMG MODE |
 *   gap IMG | clock-now | clock-set OFFSET [reset|FLAGS] | clock-test |
 *   begin LEN | block system|device ID [FOR_MS] | unblock KIND ID |
 *   island 0|1 | counter KIND ID | reason NAME | blocks | id IMG KIND NAME |
 *   fuzz N SEED | unpriv CMD ARGS... | txn-owner IMG | genl-hdr |
 *   [-s SRC] [-P SPORT] tcp-serve PORT | udp-serve PORT |
 *   tcp-probe ADDR PORT | udp-probe ADDR PORT [SIZE] |
 *   tcp-hold ADDR PORT SECS | udp-blast ADDR PORT SECS |
 *   udp-send ADDR PORT COUNT | udp-burst ADDR PORT COUNT |
 *   udp-gso ADDR PORT COUNT SEGS | udp-count PORT SECS |
 *   frame udp4 SMAC DMAC SRC DST SPORT DPORT |
 *   frame arp SMAC DMAC OP SHA SPA THA TPA |
 *   raw-send IFACE HEXFRAME [COUNT]
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "image.h"
#include "nl.h"
#include "frames.h"

/* ---------------------------------------------------------------------- */
/* Host suite                                                             */

static void t_absent_or_present(void **state)
{
	struct mw_nl *nl = NULL;
	int err = mw_nl_open(&nl);

	(void)state;
	assert_true(err == 0 || err == -ENOENT || err == -EPROTONOSUPPORT);
	if (err)
		assert_null(nl);
	mw_nl_close(nl);
}

static void t_null_handle(void **state)
{
	struct mw_nl_status st;
	uint32_t txn;
	char img[8] = { 0 };

	(void)state;
	assert_int_equal(mw_nl_load_image(NULL, img, sizeof(img)), -EINVAL);
	assert_int_equal(mw_nl_begin(NULL, 8, &txn), -EINVAL);
	assert_int_equal(mw_nl_chunk(NULL, 1, 0, img, 8), -EINVAL);
	assert_int_equal(mw_nl_commit(NULL, 1), -EINVAL);
	assert_int_equal(mw_nl_abort(NULL, 1), -EINVAL);
	assert_int_equal(mw_nl_block(NULL, MW_TARGET_DEVICE, 1, 0, 0), -EINVAL);
	assert_int_equal(mw_nl_unblock(NULL, MW_TARGET_DEVICE, 1), -EINVAL);
	assert_int_equal(mw_nl_island(NULL, true), -EINVAL);
	assert_int_equal(mw_nl_status(NULL, &st), -EINVAL);
	assert_int_equal(mw_nl_raw(NULL, 1, NULL, 0, false), -EINVAL);
	assert_int_equal(mw_nl_commit_opts(NULL, 1, NULL), -EINVAL);
	assert_int_equal(mw_nl_load_image_opts(NULL, img, sizeof(img), NULL),
			 -EINVAL);
	assert_int_equal(mw_nl_clock_set(NULL, 0, 0), -EINVAL);
	assert_string_equal(mw_nl_errmsg(NULL), "");
	mw_nl_close(NULL);
}

static int host_suite(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_absent_or_present),
		cmocka_unit_test(t_null_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ---------------------------------------------------------------------- */
/* Netlink commands                                                       */

static struct mw_nl *g_nl;

static int rc_out(int rc)
{
	const char *m = mw_nl_errmsg(g_nl);

	if (*m)
		printf("rc=%d msg=%s\n", rc, m);
	else
		printf("rc=%d\n", rc);
	return rc ? 1 : 0;
}

static int kind_of(const char *s)
{
	if (!strcmp(s, "system"))
		return MW_TARGET_SYSTEM;
	if (!strcmp(s, "device"))
		return MW_TARGET_DEVICE;
	if (!strcmp(s, "conduit"))
		return MW_TARGET_CONDUIT;
	if (!strcmp(s, "reason"))
		return MW_TARGET_REASON;
	return atoi(s);
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* The datapaths' clock (uapi "Time base"): blocks expire on it. */
static int64_t boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

/* The host's offset: CLOCK_REALTIME - CLOCK_BOOTTIME. */
static int64_t host_offset(void)
{
	int64_t b = boot_ns(), r = now_ns(), b2 = boot_ns();

	return r - (b + (b2 - b) / 2);
}

static int read_img(const char *path, struct mw_image *img)
{
	int err = mw_image_read_file(path, img);

	if (err)
		fprintf(stderr, "cannot read `%s': %s\n", path, strerror(-err));
	return err;
}

static int cmd_status(void)
{
	struct mw_nl_status st;
	int rc = mw_nl_status(g_nl, &st);

	if (!rc)
		printf("loaded=%d gen=%u serial=%llu island=%d clock=%lld clock_max=%lld\n",
		       st.loaded, st.generation, (unsigned long long)st.serial,
		       st.island, (long long)st.boot_to_unix_ns,
		       (long long)st.boot_to_unix_max_ns);
	return rc_out(rc);
}

static int txn_expect(const char *what, int rc, int want);

/* load IMG [rollback]: the commit carries the host's clock (MW_A_CLOCK). */
static int cmd_load(const char *path, const char *opt)
{
	struct mw_nl_commit_opts o = { .have_clock = true };
	struct mw_image img;

	if (read_img(path, &img))
		return 2;
	if (opt && !strcmp(opt, "rollback"))
		o.flags = MW_COMMIT_F_ROLLBACK;
	else if (opt)
		return 2;
	o.boot_to_unix_ns = host_offset();
	return rc_out(mw_nl_load_image_opts(g_nl, img.data, img.len, &o));
}

static int cmd_clock_set(const char *off, const char *flags)
{
	uint32_t f = 0;

	if (flags)
		f = !strcmp(flags, "reset") ? MW_CLOCK_F_RESET_MAX :
					      (uint32_t)strtoul(flags, NULL, 0);
	return rc_out(mw_nl_clock_set(g_nl, strtoll(off, NULL, 0), f));
}

static int clock_expect(const char *what, int64_t cur, int64_t max)
{
	struct mw_nl_status st;
	int rc = mw_nl_status(g_nl, &st);
	bool ok = !rc && st.boot_to_unix_ns == cur &&
		  st.boot_to_unix_max_ns == max;

	printf("%s: rc=%d clock=%lld max=%lld (want %lld %lld)%s\n", what, rc,
	       (long long)st.boot_to_unix_ns,
	       (long long)st.boot_to_unix_max_ns, (long long)cur,
	       (long long)max, ok ? "" : " WRONG");
	return !ok;
}

/*
 * M1: CLOCK_SET and GET_STATUS.  The maximum only rises, a reset lowers
 * it, bad requests change nothing.  Ends with cur = max = the host's.
 */
static int cmd_clock_test(void)
{
	struct mw_nl_status st;
	int64_t h = host_offset(), base, hi, lo;
	int bad = 0;

	if (mw_nl_status(g_nl, &st))
		return rc_out(-EIO);
	base = st.boot_to_unix_max_ns > h ? st.boot_to_unix_max_ns : h;
	hi = base + 3600LL * 1000000000LL;
	lo = base - 7200LL * 1000000000LL;
	bad |= txn_expect("set host offset", mw_nl_clock_set(g_nl, h, 0), 0);
	bad |= clock_expect("  status", h, base);
	bad |= txn_expect("set +1 h", mw_nl_clock_set(g_nl, hi, 0), 0);
	bad |= clock_expect("  max rose", hi, hi);
	bad |= txn_expect("set -2 h", mw_nl_clock_set(g_nl, lo, 0), 0);
	bad |= clock_expect("  max kept", lo, hi);
	bad |= txn_expect("set host offset again", mw_nl_clock_set(g_nl, h, 0),
			  0);
	bad |= clock_expect("  max still kept", h, hi);
	bad |= txn_expect("unknown flag 2", mw_nl_clock_set(g_nl, lo, 2),
			  -EINVAL);
	bad |= txn_expect("  with a message",
			  strcmp(mw_nl_errmsg(g_nl), "unknown flags") ? 1 : 0,
			  0);
	bad |= txn_expect("flags ~0", mw_nl_clock_set(g_nl, lo, ~0u), -EINVAL);
	bad |= txn_expect("offset 2^62 + 1 (out of range)",
			  mw_nl_clock_set(g_nl, (1LL << 62) + 1, 0), -ERANGE);
	bad |= clock_expect("  refusals changed nothing", h, hi);
	bad |= txn_expect("reset to -2 h",
			  mw_nl_clock_set(g_nl, lo, MW_CLOCK_F_RESET_MAX), 0);
	bad |= clock_expect("  max lowered", lo, lo);
	bad |= txn_expect("reset to the host's",
			  mw_nl_clock_set(g_nl, h, MW_CLOCK_F_RESET_MAX), 0);
	bad |= clock_expect("  back", h, h);
	return bad ? 1 : 0;
}

/* Begin, half the chunks, abort; the aborted id must be gone. */
static int cmd_abort_test(const char *path)
{
	struct mw_image img;
	uint32_t txn;
	int rc;

	if (read_img(path, &img))
		return 2;
	rc = mw_nl_begin(g_nl, img.len, &txn);
	if (!rc)
		rc = mw_nl_chunk(g_nl, txn, 0, img.data, img.len / 2);
	if (!rc)
		rc = mw_nl_abort(g_nl, txn);
	if (!rc && mw_nl_commit(g_nl, txn) != -ESRCH)
		rc = -EPROTO;
	return rc_out(rc);
}

/* Commit a damaged copy; prints the kernel's answer. */
static int cmd_corrupt(const char *path, const char *mode)
{
	struct mw_image img;
	size_t len;
	int rc;

	if (read_img(path, &img))
		return 2;
	len = img.len;
	if (!strcmp(mode, "flip"))
		img.data[len - 1] ^= 0x55;	/* digest mismatch */
	else if (!strcmp(mode, "magic"))
		img.data[0] ^= 1;
	else if (!strcmp(mode, "trunc"))
		len -= 8;			/* total_size mismatch */
	else if (!strcmp(mode, "section"))
		img.data[offsetof(struct mw_image_hdr, sect) + 4] ^= 0x80;
	else if (!strcmp(mode, "version"))
		img.data[4] ^= 2;
	rc = mw_nl_load_image(g_nl, img.data, len);
	printf("rc=%d\n", rc);
	return rc == -EBADMSG ? 0 : 1;
}

/* A chunk out of order is refused, and the transaction can be aborted. */
static int cmd_gap(const char *path)
{
	struct mw_image img;
	uint32_t txn;
	int rc, rc2;

	if (read_img(path, &img))
		return 2;
	rc = mw_nl_begin(g_nl, img.len, &txn);
	if (rc)
		return rc_out(rc);
	rc = mw_nl_chunk(g_nl, txn, 8, img.data, 8);
	rc2 = mw_nl_abort(g_nl, txn);
	printf("rc=%d abort=%d\n", rc, rc2);
	return rc == -EINVAL && !rc2 ? 0 : 1;
}

/*
 * M5: a transaction belongs to the socket that began it.  A second socket
 * may not begin one (EBUSY), nor touch the first one's (EPERM); the owner
 * still commits; a closed owner's transaction is freed.
 */
static int txn_expect(const char *what, int rc, int want)
{
	printf("%s: rc=%d (want %d)%s\n", what, rc, want,
	       rc == want ? "" : " WRONG");
	return rc != want;
}

static int cmd_txn_owner(const char *path)
{
	struct mw_nl *b = NULL;
	struct mw_image img;
	uint32_t id, id2;
	int bad = 0;

	if (read_img(path, &img) || mw_nl_open(&b))
		return 2;
	bad |= txn_expect("A begin", mw_nl_begin(g_nl, img.len, &id), 0);
	bad |= txn_expect("B begin while A's is open",
			  mw_nl_begin(b, img.len, &id2), -EBUSY);
	bad |= txn_expect("B chunk into A's",
			  mw_nl_chunk(b, id, 0, img.data, img.len), -EPERM);
	bad |= txn_expect("B commit of A's", mw_nl_commit(b, id), -EPERM);
	bad |= txn_expect("B abort of A's", mw_nl_abort(b, id), -EPERM);
	bad |= txn_expect("B chunk, unknown id",
			  mw_nl_chunk(b, id + 1000, 0, img.data, 8), -ESRCH);
	bad |= txn_expect("A chunk",
			  mw_nl_chunk(g_nl, id, 0, img.data, img.len), 0);
	bad |= txn_expect("A commit", mw_nl_commit(g_nl, id), 0);
	bad |= txn_expect("A begin again", mw_nl_begin(g_nl, img.len, &id), 0);
	mw_nl_close(g_nl);		/* A's socket closes, mid-transaction */
	g_nl = NULL;
	bad |= txn_expect("B begin after A closed",
			  mw_nl_begin(b, img.len, &id2), 0);
	bad |= txn_expect("A's old id is gone", mw_nl_commit(b, id), -ESRCH);
	bad |= txn_expect("B abort", mw_nl_abort(b, id2), 0);
	mw_nl_close(b);
	return bad ? 1 : 0;
}

/*
 * L10: the genl header's reserved byte and unknown nlmsg_flags are refused
 * by every command (GET_STATUS and POLICY_BEGIN tried).  Raw socket: libnl
 * would not send such a header.
 */
static int genl_send_raw(int fd, int family, uint8_t cmd, uint8_t reserved,
			 uint16_t extra_flags, uint32_t image_len)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		struct nlattr a;
		uint32_t v;
	} req = { 0 };
	struct sockaddr_nl kern = { .nl_family = AF_NETLINK };
	char buf[8192];
	struct nlmsghdr *h = (void *)buf;
	ssize_t n;

	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = (uint16_t)family;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | extra_flags;
	req.n.nlmsg_seq = 1;
	req.g.cmd = cmd;
	req.g.version = MW_GENL_VERSION;
	req.g.reserved = reserved;
	if (image_len) {
		req.a.nla_len = NLA_HDRLEN + 4;
		req.a.nla_type = MW_A_IMAGE_LEN;
		req.v = image_len;
		req.n.nlmsg_len += NLA_HDRLEN + 4;
	}
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (void *)&kern,
		   sizeof(kern)) < 0)
		return -errno;
	/* the answer (status: a reply, then the ack), until the ack */
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)NLMSG_HDRLEN)
			return -EIO;
		for (h = (void *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
}

static int cmd_genl_hdr(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int family, fd, bad = 0;

	if (!sk || genl_connect(sk))
		return 2;
	family = genl_ctrl_resolve(sk, MW_GENL_NAME);
	nl_socket_free(sk);
	if (family < 0)
		return rc_out(-ENOENT);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0)
		return 2;
	bad |= txn_expect("status, clean header",
			  genl_send_raw(fd, family, MW_CMD_GET_STATUS, 0, 0, 0),
			  0);
	bad |= txn_expect("status, reserved byte 1",
			  genl_send_raw(fd, family, MW_CMD_GET_STATUS, 1, 0, 0),
			  -EINVAL);
	bad |= txn_expect("status, NLM_F_REPLACE",
			  genl_send_raw(fd, family, MW_CMD_GET_STATUS, 0,
					NLM_F_REPLACE, 0), -EINVAL);
	bad |= txn_expect("begin, reserved byte 0x80",
			  genl_send_raw(fd, family, MW_CMD_POLICY_BEGIN, 0x80,
					0, 64), -EINVAL);
	bad |= txn_expect("begin, NLM_F_CREATE",
			  genl_send_raw(fd, family, MW_CMD_POLICY_BEGIN, 0,
					NLM_F_CREATE, 64), -EINVAL);
	close(fd);		/* frees a transaction begun by mistake */
	return bad ? 1 : 0;
}

static int cmd_begin(const char *len)
{
	uint32_t txn;
	int rc = mw_nl_begin(g_nl, (uint32_t)strtoul(len, NULL, 0), &txn);

	if (!rc)
		mw_nl_abort(g_nl, txn);
	return rc_out(rc);
}

static int cmd_block(const char *kind, const char *id, const char *for_ms)
{
	uint64_t until = 0;

	if (for_ms && atoll(for_ms) > 0)
		until = (uint64_t)boot_ns() + (uint64_t)atoll(for_ms) * 1000000;
	return rc_out(mw_nl_block(g_nl, kind_of(kind), (uint32_t)atoi(id),
				  until, MW_BLOCK_OPERATOR));
}

struct ctr_q {
	int kind;
	uint32_t id;
	struct mw_counter c;
	bool found;
};

static int ctr_cb(enum mw_target kind, uint32_t id, const struct mw_counter *c,
		  void *arg)
{
	struct ctr_q *q = arg;

	if ((int)kind == q->kind && id == q->id) {
		q->c = *c;
		q->found = true;
	}
	return 0;
}

static int print_counter(int kind, uint32_t id)
{
	struct ctr_q q = { .kind = kind, .id = id };
	int rc = mw_nl_counters(g_nl, ctr_cb, &q);

	if (rc)
		return rc_out(rc);
	printf("pass=%llu drop=%llu found=%d\n",
	       (unsigned long long)q.c.pass_packets,
	       (unsigned long long)q.c.drop_packets, q.found);
	return q.found ? 0 : 1;
}

static int cmd_reason(const char *name)
{
	int r;

	for (r = 0; r <= MW_R_MAX; r++)
		if (!strcmp(mw_reason_name(r), name))
			return print_counter(MW_TARGET_REASON, (uint32_t)r);
	fprintf(stderr, "unknown reason `%s'\n", name);
	return 2;
}

static int count_cb(enum mw_target kind, uint32_t id, uint64_t until,
		    uint32_t cause, void *arg)
{
	(void)kind;
	(void)id;
	(void)until;
	(void)cause;
	(*(int *)arg)++;
	return 0;
}

static int cmd_blocks(void)
{
	int n = 0, rc = mw_nl_blocks(g_nl, count_cb, &n);

	if (!rc)
		printf("blocks=%d\n", n);
	return rc_out(rc);
}

static int cmd_id(const char *path, const char *kind, const char *name)
{
	struct mw_image img;
	struct mw_image_view v;

	if (read_img(path, &img) || mw_image_view(img.data, img.len, &v, NULL))
		return 2;
	if (!strcmp(kind, "system")) {
		const struct mw_img_system *s = mw_image_system_by_name(&v, name);

		if (!s)
			return 1;
		printf("%u\n", s->id);
	} else {
		const struct mw_img_device *d = mw_image_device_by_name(&v, name);

		if (!d)
			return 1;
		printf("%u\n", d->id);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Fuzz: malformed generic netlink requests                               */

struct abuf {
	uint8_t b[70000];
	size_t n;
};

static void a_put(struct abuf *a, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr nla = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			      .nla_type = type };

	memcpy(a->b + a->n, &nla, sizeof(nla));
	if (len)
		memcpy(a->b + a->n + NLA_HDRLEN, data, len);
	a->n += NLA_ALIGN(NLA_HDRLEN + len);
}

static void a_u8(struct abuf *a, uint16_t t, uint8_t v) { a_put(a, t, &v, 1); }
static void a_u32(struct abuf *a, uint16_t t, uint32_t v) { a_put(a, t, &v, 4); }
static void a_u64(struct abuf *a, uint16_t t, uint64_t v) { a_put(a, t, &v, 8); }

static int g_sent, g_rejected, g_accepted;

static void expect_reject(uint8_t cmd, struct abuf *a, const char *what)
{
	int rc = mw_nl_raw(g_nl, cmd, a->b, a->n, false);

	g_sent++;
	if (rc) {
		g_rejected++;
	} else {
		g_accepted++;
		printf("fuzz: accepted: cmd %u %s\n", cmd, what);
	}
	a->n = 0;
}

static uint32_t rnd(void)
{
	return (uint32_t)random();
}

static int cmd_fuzz(int n_random, unsigned int seed)
{
	static struct abuf a;
	static uint8_t big[MW_CHUNK_MAX + 64];
	uint8_t blob[64] = { 0 };
	uint32_t txn = 0;
	int cmd, i, rand_sent = 0, rand_err = 0;

	srandom(seed);
	/* every command with nothing: only the queries may succeed */
	for (cmd = MW_CMD_POLICY_BEGIN; cmd <= MW_CMD_ISLAND; cmd++)
		expect_reject((uint8_t)cmd, &a, "no attributes");
	/* commands that do not exist or are not requests */
	for (cmd = MW_CMD_EVENT; cmd < MW_CMD_EVENT + 20; cmd++)
		expect_reject((uint8_t)cmd, &a, "unknown command");
	expect_reject(MW_CMD_UNSPEC, &a, "cmd 0");
	expect_reject(255, &a, "cmd 255");
	/* BEGIN: lengths out of range, wrong widths */
	a_u32(&a, MW_A_IMAGE_LEN, 0); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len 0");
	a_u32(&a, MW_A_IMAGE_LEN, MW_IMAGE_MAX + 1); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len max+1");
	a_u32(&a, MW_A_IMAGE_LEN, 0xffffffff); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len ~0");
	a_u8(&a, MW_A_IMAGE_LEN, 8); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len u8");
	a_u64(&a, MW_A_IMAGE_LEN, 8); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len u64");
	a_put(&a, MW_A_IMAGE_LEN, "abcdefghijk", 11); expect_reject(MW_CMD_POLICY_BEGIN, &a, "len string");
	a_u32(&a, MW_A_IMAGE_LEN, 8); a_u32(&a, MW_A_TARGET_ID, 1);
	expect_reject(MW_CMD_POLICY_BEGIN, &a, "extra attribute");
	/* CHUNK / COMMIT / ABORT without an open transaction or with bad ids */
	for (i = 0; i < 8; i++) {
		uint32_t id = i == 0 ? 0 : rnd() | 0x80000000u;

		a_u32(&a, MW_A_TXN_ID, id); a_u32(&a, MW_A_CHUNK_OFF, 0);
		a_put(&a, MW_A_CHUNK_DATA, blob, 16);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "chunk, no txn");
		a_u32(&a, MW_A_TXN_ID, id); expect_reject(MW_CMD_POLICY_COMMIT, &a, "commit, no txn");
		a_u32(&a, MW_A_TXN_ID, id); expect_reject(MW_CMD_POLICY_ABORT, &a, "abort, no txn");
	}
	/* an open transaction of 128 bytes: bad chunks against it */
	if (!mw_nl_begin(g_nl, 128, &txn)) {
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CHUNK_OFF, 8);
		a_put(&a, MW_A_CHUNK_DATA, blob, 8);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "gap");
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CHUNK_OFF, 0);
		a_put(&a, MW_A_CHUNK_DATA, big, 200);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "past the end");
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CHUNK_OFF, 0);
		a_put(&a, MW_A_CHUNK_DATA, blob, 0);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "empty chunk");
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CHUNK_OFF, 0);
		a_put(&a, MW_A_CHUNK_DATA, big, MW_CHUNK_MAX + 1);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "oversized chunk");
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CHUNK_OFF, 0);
		expect_reject(MW_CMD_POLICY_CHUNK, &a, "no data");
		a_u32(&a, MW_A_TXN_ID, txn);
		expect_reject(MW_CMD_POLICY_COMMIT, &a, "incomplete image");
		a_u32(&a, MW_A_TXN_ID, txn);
		expect_reject(MW_CMD_POLICY_ABORT, &a, "abort after failed commit");
	}
	/* a complete transaction of garbage: commit must fail validation */
	for (i = 0; i < 10; i++) {
		uint32_t len = 64 + (rnd() % 4096), off;
		static uint8_t junk[8192];

		for (off = 0; off < len; off++)
			junk[off] = (uint8_t)rnd();
		if (i & 1)	/* a plausible header, garbage after */
			memcpy(junk, &(uint32_t){ MW_IMAGE_MAGIC }, 4);
		if (mw_nl_begin(g_nl, len, &txn) ||
		    mw_nl_chunk(g_nl, txn, 0, junk, len))
			continue;
		a_u32(&a, MW_A_TXN_ID, txn);
		expect_reject(MW_CMD_POLICY_COMMIT, &a, "garbage image");
	}
	/* BLOCK / UNBLOCK: kinds, ids, causes, widths */
	for (i = 0; i < 6; i++) {
		static const uint8_t kinds[] = { 0, 3, 4, 5, 200, 255 };

		a_u8(&a, MW_A_TARGET_KIND, kinds[i]); a_u32(&a, MW_A_TARGET_ID, 1);
		expect_reject(MW_CMD_BLOCK, &a, "bad kind");
		a_u8(&a, MW_A_TARGET_KIND, kinds[i]); a_u32(&a, MW_A_TARGET_ID, 1);
		expect_reject(MW_CMD_UNBLOCK, &a, "bad kind");
	}
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_SYSTEM); a_u32(&a, MW_A_TARGET_ID, MW_MAX_SYSTEMS);
	expect_reject(MW_CMD_BLOCK, &a, "system id too big");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, MW_MAX_DEVICES);
	expect_reject(MW_CMD_BLOCK, &a, "device id too big");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE);
	expect_reject(MW_CMD_BLOCK, &a, "no id");
	a_u32(&a, MW_A_TARGET_ID, 1);
	expect_reject(MW_CMD_BLOCK, &a, "no kind");
	for (i = 3; i < 8; i++) {
		a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, 1);
		a_u32(&a, MW_A_REASON, (uint32_t)i * 1000 + 3);
		expect_reject(MW_CMD_BLOCK, &a, "bad cause");
	}
	a_u32(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, 1);
	expect_reject(MW_CMD_BLOCK, &a, "kind u32");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u8(&a, MW_A_TARGET_ID, 1);
	expect_reject(MW_CMD_BLOCK, &a, "id u8");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, 1);
	a_u32(&a, MW_A_UNTIL, 5);
	expect_reject(MW_CMD_BLOCK, &a, "until u32");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, 1);
	a_u8(&a, MW_A_ISLAND, 1);
	expect_reject(MW_CMD_BLOCK, &a, "foreign attribute");
	a_u8(&a, MW_A_TARGET_KIND, MW_TARGET_DEVICE); a_u32(&a, MW_A_TARGET_ID, 999999);
	expect_reject(MW_CMD_UNBLOCK, &a, "unblock of nothing");
	/* CLOCK_SET, and the commit's new attributes (M1, M7c) */
	a_u32(&a, MW_A_CLOCK, 5); expect_reject(MW_CMD_CLOCK_SET, &a, "clock u32");
	a_u64(&a, MW_A_CLOCK, 5); a_u32(&a, MW_A_FLAGS, 2);
	expect_reject(MW_CMD_CLOCK_SET, &a, "clock, unknown flag");
	a_u64(&a, MW_A_CLOCK, 5); a_u8(&a, MW_A_FLAGS, 1);
	expect_reject(MW_CMD_CLOCK_SET, &a, "flags u8");
	a_u32(&a, MW_A_FLAGS, MW_CLOCK_F_RESET_MAX);
	expect_reject(MW_CMD_CLOCK_SET, &a, "flags without a clock");
	a_u64(&a, MW_A_CLOCK, (1ULL << 62) + 1);
	expect_reject(MW_CMD_CLOCK_SET, &a, "clock out of range");
	a_u64(&a, MW_A_CLOCK, -(1ULL << 62) - 1);
	expect_reject(MW_CMD_CLOCK_SET, &a, "clock out of range (negative)");
	a_u64(&a, MW_A_CLOCK, 5); a_u32(&a, MW_A_TXN_ID, 1);
	expect_reject(MW_CMD_CLOCK_SET, &a, "foreign attribute");
	a_u64(&a, MW_A_CLOCK, 5); a_u64(&a, MW_A_CLOCK_MAX, 5);
	expect_reject(MW_CMD_CLOCK_SET, &a, "clock_max is output only");
	a_u64(&a, MW_A_CLOCK, 5);
	expect_reject(MW_CMD_ISLAND, &a, "clock in island");
	a_u64(&a, MW_A_CLOCK, 5); a_u32(&a, MW_A_TXN_ID, 1);
	expect_reject(MW_CMD_POLICY_ABORT, &a, "clock in abort");
	if (!mw_nl_begin(g_nl, 128, &txn)) {
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_FLAGS, 2);
		expect_reject(MW_CMD_POLICY_COMMIT, &a, "commit, unknown flag");
		a_u32(&a, MW_A_TXN_ID, txn); a_u32(&a, MW_A_CLOCK, 1);
		expect_reject(MW_CMD_POLICY_COMMIT, &a, "commit, clock u32");
		mw_nl_abort(g_nl, txn);
	}
	/* ISLAND */
	for (i = 2; i < 12; i++) {
		a_u8(&a, MW_A_ISLAND, (uint8_t)(i * 23)); expect_reject(MW_CMD_ISLAND, &a, "island value");
	}
	a_u32(&a, MW_A_ISLAND, 1); expect_reject(MW_CMD_ISLAND, &a, "island u32");
	a_put(&a, MW_A_ISLAND, blob, 0); expect_reject(MW_CMD_ISLAND, &a, "island empty");
	/* output-only and unknown attribute types, in every command */
	for (cmd = MW_CMD_POLICY_BEGIN; cmd <= MW_CMD_GET_STATUS; cmd++) {
		static const uint16_t types[] = {
			MW_A_SERIAL, MW_A_DIGEST, MW_A_GENERATION,
			MW_A_COUNTERS, MW_A_EVENT, MW_A_PAD, MW_A_CLOCK_MAX,
			MW_A_MAX + 1,
			200, 0x7fff, NLA_F_NESTED | MW_A_TXN_ID,
		};

		for (i = 0; i < (int)(sizeof(types) / sizeof(types[0])); i++) {
			a_put(&a, types[i], blob, 8);
			expect_reject((uint8_t)cmd, &a, "bad attribute type");
		}
	}
	/* truncated attribute headers and lengths past the message */
	for (cmd = MW_CMD_POLICY_BEGIN; cmd <= MW_CMD_GET_STATUS; cmd++) {
		struct nlattr bad = { .nla_len = 200, .nla_type = MW_A_TXN_ID };

		memcpy(a.b, &bad, sizeof(bad));
		memset(a.b + 4, 0, 8);
		a.n = 12;
		expect_reject((uint8_t)cmd, &a, "attribute longer than message");
		bad.nla_len = 2;
		memcpy(a.b, &bad, sizeof(bad));
		a.n = 4;
		expect_reject((uint8_t)cmd, &a, "attribute shorter than header");
	}
	/* random attribute soup: must not crash or change state unnoticed */
	for (i = 0; i < n_random; i++) {
		int k, n_attr = 1 + (int)(rnd() % 5);

		cmd = MW_CMD_POLICY_BEGIN + (int)(rnd() % (MW_CMD_MAX + 1));
		if (cmd == MW_CMD_ISLAND || cmd == MW_CMD_BLOCK ||
		    cmd == MW_CMD_UNBLOCK || cmd == MW_CMD_CLOCK_SET)
			cmd = MW_CMD_POLICY_CHUNK;
		for (k = 0; k < n_attr; k++) {
			uint16_t len = (uint16_t)(rnd() % 40), j;

			for (j = 0; j < len; j++)
				blob[j] = (uint8_t)rnd();
			a_put(&a, (uint16_t)(rnd() % (MW_A_MAX + 4)), blob, len);
		}
		if (rnd() % 4 == 0)	/* raw bytes, not even attributes */
			for (k = 0; k < (int)a.n; k++)
				a.b[k] = (uint8_t)rnd();
		rand_sent++;
		if (mw_nl_raw(g_nl, (uint8_t)cmd, a.b, a.n,
			      cmd == MW_CMD_GET_COUNTERS ||
			      cmd == MW_CMD_GET_BLOCKS))
			rand_err++;
		a.n = 0;
	}
	printf("fuzz: %d malformed sent, %d rejected, %d accepted; %d random sent, %d rejected\n",
	       g_sent, g_rejected, g_accepted, rand_sent, rand_err);
	return g_accepted ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Traffic                                                                */

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) == 1 && (p.revents & ev);
}

static int listen_any(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	int fd = socket(AF_INET6, type, 0), zero = 0, one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_tcp_serve(int port)
{
	int fd = listen_any(SOCK_STREAM, port);

	if (fd < 0)
		return 2;
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		char buf[4096];
		ssize_t n;
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			close(fd);
			while ((n = read(c, buf, sizeof(buf))) > 0)
				if (write(c, buf, (size_t)n) != n)
					break;
			_exit(0);
		}
		close(c);
	}
}

static int cmd_udp_serve(int port)
{
	int fd = listen_any(SOCK_DGRAM, port);
	static char buf[65536];

	if (fd < 0)
		return 2;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);

		if (n > 0)
			sendto(fd, buf, (size_t)n, 0, (void *)&from, fl);
	}
}

static const char *g_src;	/* -s ADDR: source address to bind */
static int g_sport;		/* -P PORT: source port to bind */

static int bind_src(int fd, int fam)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (!g_src && !g_sport)
		return 0;
	if (parse_addr(g_src ? g_src : fam == AF_INET ? "0.0.0.0" : "::",
		       g_sport, &ss, &len) != fam)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return bind(fd, (void *)&ss, len);
}

static int tcp_connect(const char *addr, int port, int ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = parse_addr(addr, port, &ss, &len), fd, err = 0;
	socklen_t el = sizeof(err);

	if (fam < 0)
		return -1;
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind_src(fd, fam))
		goto fail;
	if (connect(fd, (void *)&ss, len) && errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, ms) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int echo_once(int fd, int ms)
{
	char out[16] = "meterwall-ping", in[16];
	ssize_t got = 0, n;

	if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
		return -1;
	while (got < (ssize_t)sizeof(in)) {
		if (!wait_fd(fd, POLLIN, ms))
			return -1;
		n = read(fd, in + got, sizeof(in) - (size_t)got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return memcmp(in, out, sizeof(in)) ? -1 : 0;
}

static int cmd_tcp_probe(const char *addr, int port)
{
	int fd = tcp_connect(addr, port, 1500), rc;

	if (fd < 0)
		return 1;
	rc = echo_once(fd, 1500);
	close(fd);
	return rc ? 1 : 0;
}

/* Hold an echoing TCP connection for secs; 2 if it stalls or breaks. */
static int cmd_tcp_hold(const char *addr, int port, int secs)
{
	int64_t start = now_ns(), end = start + (int64_t)secs * 1000000000LL;
	int fd = tcp_connect(addr, port, 2000);

	if (fd < 0)
		return 1;
	printf("hold: connected\n");
	fflush(stdout);
	while (now_ns() < end) {
		if (echo_once(fd, 1000)) {
			printf("hold: broke after %lld ms\n",
			       (long long)((now_ns() - start) / 1000000));
			close(fd);
			return 2;
		}
		usleep(100000);
	}
	close(fd);
	printf("hold: held %d s\n", secs);
	return 0;
}

static int cmd_udp_probe(const char *addr, int port, int size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	static char out[65536], in[65536];
	int fam = parse_addr(addr, port, &ss, &len), fd, i;
	ssize_t n;

	if (fam < 0 || size < 1 || size > 65000)
		return 2;
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || bind_src(fd, fam) || connect(fd, (void *)&ss, len))
		return 2;
	for (i = 0; i < size; i++)
		out[i] = (char)('a' + i % 26);
	if (send(fd, out, (size_t)size, 0) != size || !wait_fd(fd, POLLIN, 1500)) {
		close(fd);
		return 1;
	}
	n = recv(fd, in, sizeof(in), 0);
	close(fd);
	return n == size && !memcmp(in, out, (size_t)size) ? 0 : 1;
}

/*
 * udp-blast pacing: a batch of MW_BLAST_BATCH datagrams every
 * MW_BLAST_PERIOD_NS, at absolute deadlines on CLOCK_MONOTONIC.  A sender
 * that is late skips the deadlines it missed instead of catching up, so
 * the load is bounded (125 datagrams/s per blaster) however slow the
 * guest is: under TCG a sender in a tight loop kept a vCPU in send and
 * softirq long enough for the soft-lockup watchdog to panic the guest
 * (4,000/s still did once in 11 runs, 1,000/s once in 7, 250/s once in
 * about 30, each time while the other vCPU's timers stalled).
 */
#define MW_BLAST_BATCH		1
#define MW_BLAST_PERIOD_NS	8000000LL

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The first deadline after now on the grid start + k * period. */
static int64_t next_deadline(int64_t start, int64_t prev, int64_t now)
{
	int64_t next = prev + MW_BLAST_PERIOD_NS;

	if (next <= now)	/* late: skip, never send the missed batches */
		next = start + ((now - start) / MW_BLAST_PERIOD_NS + 1) *
			       MW_BLAST_PERIOD_NS;
	return next;
}

static int cmd_udp_blast(const char *addr, int port, int secs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int64_t start = mono_ns(), end = start + (int64_t)secs * 1000000000LL;
	int64_t due = start;
	int fam = parse_addr(addr, port, &ss, &len), fd;
	char buf[64] = { 0 };
	long sent = 0, batches = 0, skipped = 0;

	if (fam < 0)
		return 2;
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind_src(fd, fam) || connect(fd, (void *)&ss, len))
		return 2;
	while (due < end) {
		struct timespec ts = { .tv_sec = due / 1000000000LL,
				       .tv_nsec = due % 1000000000LL };
		int64_t now, next;
		int i;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		for (i = 0; i < MW_BLAST_BATCH; i++)
			sent += send(fd, buf, sizeof(buf), 0) > 0;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		batches++;
		now = mono_ns();
		next = next_deadline(start, due, now);
		skipped += (next - due) / MW_BLAST_PERIOD_NS - 1;
		due = next;
	}
	printf("blast: %ld sent in %ld batches, %ld deadlines skipped\n",
	       sent, batches, skipped);
	close(fd);
	return 0;
}

/* COUNT datagrams, 10 ms apart, no answer awaited. */
static int cmd_udp_send(const char *addr, int port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = parse_addr(addr, port, &ss, &len), fd, i, sent = 0;
	char buf[32] = "meterwall-udp-send";

	if (fam < 0)
		return 2;
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || bind_src(fd, fam))
		return 2;
	for (i = 0; i < count; i++) {
		sent += sendto(fd, buf, sizeof(buf), 0, (void *)&ss, len) > 0;
		usleep(10000);
	}
	close(fd);
	printf("udp-send: %d sent\n", sent);
	return sent == count ? 0 : 1;
}

/*
 * COUNT datagrams of 100 bytes, 1 ms apart (paced on CLOCK_MONOTONIC, no
 * catching up); prints how many were sent and the time from the first
 * send to the last, the window a rate limit is measured over.
 */
static int cmd_udp_burst(const char *addr, int port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = parse_addr(addr, port, &ss, &len), fd, i, sent = 0;
	int64_t first = 0, last = 0;
	char buf[100 - 28] = "meterwall-udp-burst";

	if (fam != AF_INET || count < 1)
		return 2;
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || bind_src(fd, fam))
		return 2;
	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, sizeof(buf), 0, (void *)&ss, len) > 0) {
			last = mono_ns();
			if (!sent++)
				first = last;
		}
		usleep(1000);
	}
	close(fd);
	printf("burst: sent=%d elapsed_ms=%lld\n", sent,
	       (long long)((last - first) / 1000000));
	return sent == count ? 0 : 1;
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103		/* linux/udp.h */
#endif

/*
 * COUNT sends back to back, each one skb of SEGS 72-byte datagrams (UDP
 * GSO, UDP_SEGMENT): over veth the skb reaches the gateway whole, as a
 * GRO-merged or TSO-built one does from a NIC or a local sender.
 */
static int cmd_udp_gso(const char *addr, int port, int count, int segs)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam = parse_addr(addr, port, &ss, &len), fd, i, sent = 0;
	int size = 100 - 28;
	static char buf[64 * 72];

	if (fam != AF_INET || count < 1 || segs < 2 || segs > 64)
		return 2;
	memset(buf, 'g', sizeof(buf));
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || bind_src(fd, fam) ||
	    setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &size, sizeof(size)))
		return 2;
	for (i = 0; i < count; i++)
		sent += sendto(fd, buf, (size_t)segs * (size_t)size, 0,
			       (void *)&ss, len) == (ssize_t)segs * size;
	close(fd);
	printf("gso: sent=%d segs=%d\n", sent, segs);
	return sent == count ? 0 : 1;
}

/* Count datagrams on PORT until SECS without one; print the count. */
static int cmd_udp_count(int port, int secs)
{
	int fd = listen_any(SOCK_DGRAM, port), n = 0;
	char buf[2048];

	if (fd < 0)
		return 2;
	printf("count: listening\n");
	while (wait_fd(fd, POLLIN, secs * 1000))
		n += recv(fd, buf, sizeof(buf), 0) >= 0;
	close(fd);
	printf("count: received=%d\n", n);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Raw frames (AF_PACKET), for what a socket cannot send                  */

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Print an Ethernet frame as hex, for raw-send. */
static int cmd_frame(int argc, char **argv)
{
	uint8_t f[128] = { 0 }, *ip = f + 14;
	struct in_addr a;
	size_t n = 0, i;

	if (argc < 3 || fr_mac(argv[1], f + 6) || fr_mac(argv[2], f))
		return 2;
	if (!strcmp(argv[0], "udp4") && argc == 7) {
		put16(f + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, 20 + 8 + 16);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		if (inet_pton(AF_INET, argv[3], ip + 12) != 1 ||
		    inet_pton(AF_INET, argv[4], ip + 16) != 1)
			return 2;
		put16(ip + 10, fr_csum(ip, 20));
		put16(ip + 20, (unsigned int)atoi(argv[5]));
		put16(ip + 22, (unsigned int)atoi(argv[6]));
		put16(ip + 24, 8 + 16);		/* checksum 0: none (IPv4) */
		memcpy(ip + 28, "meterwall-raw-16", 16);
		n = 14 + 20 + 8 + 16;
	} else if (!strcmp(argv[0], "arp") && argc == 8) {
		put16(f + 12, 0x0806);
		put16(ip, 1);			/* Ethernet */
		put16(ip + 2, 0x0800);
		ip[4] = 6;
		ip[5] = 4;
		put16(ip + 6, (unsigned int)atoi(argv[3]));
		if (fr_mac(argv[4], ip + 8) || fr_mac(argv[6], ip + 18) ||
		    inet_pton(AF_INET, argv[5], &a) != 1)
			return 2;
		memcpy(ip + 14, &a, 4);
		if (inet_pton(AF_INET, argv[7], &a) != 1)
			return 2;
		memcpy(ip + 24, &a, 4);
		n = 60;				/* padded to the minimum */
	} else {
		return 2;
	}
	for (i = 0; i < n; i++)
		printf("%02x", f[i]);
	printf("\n");
	return 0;
}

static int cmd_raw_send(const char *ifname, const char *hex, int count)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
	uint8_t f[1600];
	size_t n = strlen(hex) / 2, i;
	int fd, k, sent = 0;

	if (n < 14 || n > sizeof(f) || strlen(hex) % 2)
		return 2;
	for (i = 0; i < n; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return 2;
		f[i] = (uint8_t)b;
	}
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	memcpy(sll.sll_addr, f, 6);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || !sll.sll_ifindex)
		return 2;
	for (k = 0; k < count; k++) {
		sent += sendto(fd, f, n, 0, (void *)&sll, sizeof(sll)) ==
			(ssize_t)n;
		usleep(10000);
	}
	close(fd);
	printf("raw-send: %d sent\n", sent);
	return sent == count ? 0 : 1;
}

/* ---------------------------------------------------------------------- */

static int drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	return (int)syscall(SYS_capset, &h, d);
}

static int run(int argc, char **argv);

static int nl_cmd(int argc, char **argv)
{
	const char *c = argv[0];
	int rc;

#define ARGS(n) do { if (argc < (n) + 1) return 2; } while (0)
	if (!strcmp(c, "unpriv")) {
		ARGS(1);
		if (drop_caps())
			return 2;
		return run(argc - 1, argv + 1);
	}
	rc = mw_nl_open(&g_nl);
	if (rc)
		return rc_out(rc);
	if (!strcmp(c, "status"))
		rc = cmd_status();
	else if (!strcmp(c, "load") && argc > 1)
		rc = cmd_load(argv[1], argc > 2 ? argv[2] : NULL);
	else if (!strcmp(c, "clock-set") && argc > 1)
		rc = cmd_clock_set(argv[1], argc > 2 ? argv[2] : NULL);
	else if (!strcmp(c, "clock-test"))
		rc = cmd_clock_test();
	else if (!strcmp(c, "abort-test") && argc > 1)
		rc = cmd_abort_test(argv[1]);
	else if (!strcmp(c, "corrupt") && argc > 2)
		rc = cmd_corrupt(argv[1], argv[2]);
	else if (!strcmp(c, "gap") && argc > 1)
		rc = cmd_gap(argv[1]);
	else if (!strcmp(c, "begin") && argc > 1)
		rc = cmd_begin(argv[1]);
	else if (!strcmp(c, "block") && argc > 2)
		rc = cmd_block(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
	else if (!strcmp(c, "unblock") && argc > 2)
		rc = rc_out(mw_nl_unblock(g_nl, kind_of(argv[1]),
					  (uint32_t)atoi(argv[2])));
	else if (!strcmp(c, "island") && argc > 1)
		rc = rc_out(mw_nl_island(g_nl, atoi(argv[1])));
	else if (!strcmp(c, "counter") && argc > 2)
		rc = print_counter(kind_of(argv[1]), (uint32_t)atoi(argv[2]));
	else if (!strcmp(c, "reason") && argc > 1)
		rc = cmd_reason(argv[1]);
	else if (!strcmp(c, "blocks"))
		rc = cmd_blocks();
	else if (!strcmp(c, "fuzz") && argc > 2)
		rc = cmd_fuzz(atoi(argv[1]), (unsigned int)atoi(argv[2]));
	else if (!strcmp(c, "txn-owner") && argc > 1)
		rc = cmd_txn_owner(argv[1]);
	else if (!strcmp(c, "genl-hdr"))
		rc = cmd_genl_hdr();
	else
		rc = 2;
	mw_nl_close(g_nl);
	return rc;
}

static int run(int argc, char **argv)
{
	const char *c = argv[0];

	if (!strcmp(c, "id") && argc > 3)
		return cmd_id(argv[1], argv[2], argv[3]);
	if (!strcmp(c, "clock-now")) {
		printf("%lld\n", (long long)host_offset());
		return 0;
	}
	if (!strcmp(c, "udp-burst") && argc > 3)
		return cmd_udp_burst(argv[1], atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "udp-gso") && argc > 4)
		return cmd_udp_gso(argv[1], atoi(argv[2]), atoi(argv[3]),
				   atoi(argv[4]));
	if (!strcmp(c, "udp-count") && argc > 2)
		return cmd_udp_count(atoi(argv[1]), atoi(argv[2]));
	if (!strcmp(c, "tcp-serve") && argc > 1)
		return cmd_tcp_serve(atoi(argv[1]));
	if (!strcmp(c, "udp-serve") && argc > 1)
		return cmd_udp_serve(atoi(argv[1]));
	if (!strcmp(c, "tcp-probe") && argc > 2)
		return cmd_tcp_probe(argv[1], atoi(argv[2]));
	if (!strcmp(c, "udp-probe") && argc > 2)
		return cmd_udp_probe(argv[1], atoi(argv[2]),
				     argc > 3 ? atoi(argv[3]) : 16);
	if (!strcmp(c, "tcp-hold") && argc > 3)
		return cmd_tcp_hold(argv[1], atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "udp-blast") && argc > 3)
		return cmd_udp_blast(argv[1], atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "udp-send") && argc > 3)
		return cmd_udp_send(argv[1], atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "frame") && argc > 1)
		return cmd_frame(argc - 1, argv + 1);
	if (!strcmp(c, "raw-send") && argc > 2)
		return cmd_raw_send(argv[1], argv[2],
				    argc > 3 ? atoi(argv[3]) : 1);
	return nl_cmd(argc, argv);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return host_suite();
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (argc > 3 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "-P"))) {
		if (argv[1][1] == 's')
			g_src = argv[2];
		else
			g_sport = atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	return run(argc - 1, argv + 1);
}
