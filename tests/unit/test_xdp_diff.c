// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of the XDP program against the reference classifier.
 *
 * examples/gateway.yaml is compiled and loaded through the loader library
 * (userspace/lib/xdp.c) into a private pin directory; then a corpus of
 * frames (systematic products of sources x destinations x protocols x
 * interfaces, every truncation of several base frames, hand-made edge and
 * malformed frames) runs through BPF_PROG_TEST_RUN and through
 * mw_pkt_parse + mw_classify with the same interface, island flag, blocks,
 * rate limit state and clock.  Verdict and reason must agree on every
 * frame.  The clock: the classifier gets the datapath's two offsets
 * (mw_config) and CLOCK_BOOTTIME read before and after the test run; the
 * program read its clock in between, so it must agree with the classifier
 * at one of the two (every check is monotonic in time, or has one
 * boundary within microseconds).
 *
 * The program's reason is read from the per-reason counters
 * (reason_counters): exactly one of them moves by one per frame, which
 * also checks that every verdict is counted with its reason.
 *
 * Interfaces: the test runs in a private network namespace with two veth
 * pairs; the policy's ext0 / ext1 / sm0 are resolved to mwt0 / mwt2 /
 * mwt1 by the load callback, and lo is an interface the policy does not
 * know.  mwt2 gets an ifindex beyond MW_XDP_IFINDEX_DIRECT, so ext1 is
 * judged through the ifaces hash and ext0 through the direct array.  Frames shorter than 14 bytes are not tested: BPF_PROG_TEST_RUN
 * refuses them (no driver delivers them either).
 *
 * Needs root and BPF; otherwise skipped, or failed under CI=true.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "classify.h"
#include "compile.h"
#include "image.h"
#include "policy.h"
#include "xdp.h"
#include "xdp_int.h"
#include "frames.h"
#include "bare_drop.skel.h"
#include "attacks.h"

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define MW_NSEC_PER_SEC_ 1000000000ULL

enum { IF_EXT0, IF_EXT1, IF_SM0, IF_LO, IF_N };
static const char *const if_policy[IF_N] = { "ext0", "ext1", "sm0", NULL };
static const char *const if_host[IF_N] = { "mwt0", "mwt2", "mwt1", "lo" };

/* A source: one address of a device (or an unknown one). */
struct src {
	uint32_t dev;			/* MW_ID_NONE: unknown source */
	int family;
	char addr[INET6_ADDRSTRLEN];
	uint8_t mac[6];
};

static struct env {
	bool ok;
	char why[512];
	char pin_dir[128];
	struct mw_xdp *x;
	struct mw_policy *pol;
	struct mw_image img;
	struct mw_image_view v;
	unsigned int ifindex[IF_N];
	uint32_t iface_id[IF_N];
	struct mw_block *sys_blocks;	/* mirrors of what the maps hold */
	struct mw_block *dev_blocks;
	uint32_t dev_capacity;
	bool island;
	struct src srcs[64];
	size_t n_srcs;
	/* rate limit state for the classifier, by system id: the datapath's
	 * (sys_rate), copied before each frame; rate_fresh: zeroed on both
	 * sides before each frame instead (the corpus: every pass within) */
	struct mw_rate *sys_rate;
	bool rate_fresh;
	/* differential results */
	size_t corpus, agree, shown;
	size_t by_reason[__MW_R_LAST];	/* corpus by the oracle's reason */
	size_t covered[__MW_R_LAST];	/* agreeing frames of every test */
} E;

static int64_t t_normal;	/* Wed 2027-03-03 10:30 JST: all valid */

/* ---------------------------------------------------------------------- */
/* environment                                                             */

static int64_t unix_ns(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm) * 1000000000LL;
}

static int64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Make the datapath's clock read `when' now, for windows and valid_from
 * and for expiries alike (the largest offset reset to it).
 */
static void set_now(struct mw_xdp *x, int64_t when)
{
	assert_int_equal(mw_xdp_set_clock(x, when - boot_ns(), true), 0);
}

/* ... for windows and valid_from only; expiries keep the largest. */
static void set_wall(struct mw_xdp *x, int64_t when)
{
	assert_int_equal(mw_xdp_set_clock(x, when - boot_ns(), false), 0);
}

static unsigned int resolve(const char *name, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < IF_N; i++)
		if (if_policy[i] && !strcmp(name, if_policy[i]))
			return E.ifindex[i];
	return 0;
}

static int env_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(E.why, sizeof(E.why), fmt, ap);
	va_end(ap);
	E.ok = false;
	return 0;	/* tests skip (or fail under CI) one by one */
}

static const struct mw_xdp_load_opts load_opts = { .ifindex = resolve };

static int load_policy(struct mw_xdp *x, const struct mw_image_view *v,
		       struct mw_xdp_load_result *res)
{
	struct mw_xdp_load_opts o = load_opts;

	o.boot_to_unix_ns = t_normal - boot_ns();
	return mw_xdp_load_image(x, v, &o, res);
}

/* Addresses of the image's devices, plus unknown sources. */
static void collect_sources(void)
{
	const struct mw_image_view *v = &E.v;
	size_t i;

	for (i = 0; i < v->n_dev_prefixes && E.n_srcs < 60; i++) {
		const struct mw_img_prefix *p = &v->dev_prefixes[i];
		const struct mw_img_device *d = mw_image_device(v, (uint32_t)p->value);
		struct src *s = &E.srcs[E.n_srcs++];
		uint8_t a[16];

		memcpy(a, p->addr, 16);
		if (p->plen < (p->family == AF_INET ? 32 : 128))
			a[p->family == AF_INET ? 3 : 15] |= 5;
		s->dev = (uint32_t)p->value;
		s->family = p->family;
		inet_ntop(p->family, a, s->addr, sizeof(s->addr));
		memcpy(s->mac, d && (d->flags & MW_DEV_F_MAC) ? d->mac :
			       fr_mac_src, 6);
	}
	{
		static const char *const unknown[] = {
			"198.51.100.99", "203.0.113.200", "2001:db8:100::99",
			"2001:db8:999::1",
		};

		for (i = 0; i < 4; i++) {
			struct src *s = &E.srcs[E.n_srcs++];

			s->dev = MW_ID_NONE;
			s->family = strchr(unknown[i], ':') ? AF_INET6 : AF_INET;
			snprintf(s->addr, sizeof(s->addr), "%s", unknown[i]);
			memcpy(s->mac, fr_mac_src, 6);
		}
	}
}

static int group_setup(void **state)
{
	struct mw_xdp_opts o = {};
	struct mw_diag diag;
	const char *why = NULL;
	char err[512] = "";
	int i, rc;

	(void)state;
	E.ok = true;
	t_normal = unix_ns(2027, 3, 3, 1, 30);
	if (geteuid() != 0)
		return env_fail("needs root (BPF, network namespaces)");
	if (unshare(CLONE_NEWNET) < 0)
		return env_fail("unshare(CLONE_NEWNET): %s", strerror(errno));
	{
		/* /sbin/ip first: busybox shells run their own ip applet */
		const char *ip = access("/sbin/ip", X_OK) ? "ip" : "/sbin/ip";
		char cmd[512];

		snprintf(cmd, sizeof(cmd),
			 "%1$s link set lo up && "
			 "%1$s link add mwt0 type veth peer name mwt1 && "
			 "%1$s link add mwt2 index %2$u type veth peer name mwt3 && "
			 "%1$s link set mwt0 up && %1$s link set mwt1 up && "
			 "%1$s link set mwt2 up && %1$s link set mwt3 up", ip,
			 MW_XDP_IFINDEX_DIRECT + 904);
		rc = system(cmd);
	}
	if (rc != 0)
		return env_fail("cannot create veth pairs (ip link add)");
	for (i = 0; i < IF_N; i++)
		E.ifindex[i] = if_nametoindex(if_host[i]);

	rc = mw_policy_load_file("examples/gateway.yaml", &E.pol, &diag);
	if (rc)
		return env_fail("examples/gateway.yaml: %s", diag.msg);
	rc = mw_compile(E.pol, NULL, &E.img, &diag);
	if (rc)
		return env_fail("compile: %s", diag.msg);
	rc = mw_image_view(E.img.data, E.img.len, &E.v, &why);
	if (rc)
		return env_fail("image: %s", why ? why : strerror(-rc));
	for (i = 0; i < IF_N; i++) {
		const struct mw_img_iface *f = if_policy[i] ?
			mw_image_iface_by_name(&E.v, if_policy[i]) : NULL;

		E.iface_id[i] = f ? f->id : 0xfffe;
	}
	collect_sources();

	snprintf(E.pin_dir, sizeof(E.pin_dir), "/sys/fs/bpf/meterwall-test-%d",
		 (int)getpid());
	o.pin_dir = E.pin_dir;
	rc = mw_xdp_open(&o, &E.x, err, sizeof(err));
	if (rc)
		return env_fail("BPF unavailable: %s", err);
	E.dev_capacity = MW_XDP_DEF_DEV_CAPACITY;
	E.sys_blocks = calloc(MW_MAX_SYSTEMS, sizeof(struct mw_block));
	E.dev_blocks = calloc(E.dev_capacity, sizeof(struct mw_block));
	E.sys_rate = calloc(MW_MAX_SYSTEMS, sizeof(struct mw_rate));
	if (!E.sys_blocks || !E.dev_blocks || !E.sys_rate)
		return env_fail("out of memory");
	E.rate_fresh = true;
	rc = load_policy(E.x, &E.v, NULL);
	if (rc)
		return env_fail("load: %s", mw_xdp_errmsg(E.x));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (E.x) {
		for (int i = 0; i < IF_N; i++)
			mw_xdp_detach(E.x, if_host[i]);
		mw_xdp_remove_pins(E.x);
		mw_xdp_close(E.x);
	}
	mw_image_free(&E.img);
	mw_policy_free(E.pol);
	free(E.sys_blocks);
	free(E.dev_blocks);
	free(E.sys_rate);
	return 0;
}

static void need_env(void)
{
	const char *ci = getenv("CI");

	if (E.ok)
		return;
	if (ci && !strcmp(ci, "true"))
		fail_msg("cannot run under CI: %s", E.why);
	print_message("SKIP: %s\n", E.why);
	skip();
}

/* ---------------------------------------------------------------------- */
/* judging one frame both ways                                             */

struct judged {
	int verdict;		/* enum mw_verdict */
	int reason;		/* enum mw_reason, -1: not exactly one counted */
};

static int bpf_judge(struct mw_xdp *x, unsigned int ifindex,
		     const uint8_t *frame, size_t len, struct judged *out)
{
	struct mw_counter before[__MW_R_LAST], after[__MW_R_LAST];
	struct xdp_md ctx = { .data_end = (uint32_t)len,
			      .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int r, moved = 0;

	if (mw_xdp_reason_counters(x, before))
		return -1;
	if (bpf_prog_test_run_opts(mw_xdp_prog_fd(x), &o) < 0)
		return -errno;
	if (mw_xdp_reason_counters(x, after))
		return -1;
	out->verdict = o.retval == XDP_PASS_ ? MW_VERDICT_PASS :
		       o.retval == XDP_DROP_ ? MW_VERDICT_DROP :
					       MW_VERDICT_UNSPEC;
	out->reason = -1;
	for (r = 0; r < __MW_R_LAST; r++) {
		uint64_t d = after[r].pass_packets + after[r].drop_packets -
			     before[r].pass_packets - before[r].drop_packets;

		if (d) {
			moved++;
			out->reason = d == 1 ? r : -1;
		}
	}
	if (moved != 1)
		out->reason = -1;
	return 0;
}

/*
 * The rate limit state of v's limited systems: zeroed in the datapath and
 * in E.sys_rate (E.rate_fresh), or copied from the datapath into it.
 */
static void rate_sync(struct mw_xdp *x, const struct mw_image_view *v)
{
	static const struct mw_xdp_rate zero;
	struct mw_xdp_rate st;
	size_t i;

	for (i = 0; v && i < v->n_systems; i++) {
		const struct mw_img_system *s = &v->systems[i];
		struct mw_rate *r = &E.sys_rate[s->id];

		if (!s->limit_pps && !s->limit_bps)
			continue;
		if (E.rate_fresh) {
			assert_int_equal(bpf_map_update_elem(x->fd[M_SYS_RATE],
							     &s->id, &zero,
							     BPF_ANY), 0);
			memset(r, 0, sizeof(*r));
			continue;
		}
		assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s->id,
						     &st), 0);
		r->tat_pkt = st.tat_pkt;
		r->tat_bit = st.tat_bit;
	}
}

/*
 * The classifier on the frame at boot time `boot' with the datapath's
 * offsets cfg and the rate state in E.sys_rate (left as it was: the
 * classifier charges a copy).
 */
static void ref_judge(const struct mw_config *cfg,
		      const struct mw_image_view *v, uint32_t iface_id,
		      int64_t boot, const uint8_t *frame, size_t len,
		      struct judged *out)
{
	struct mw_runtime rt = {
		.island = E.island,
		.boot_ns = boot,
		.boot_to_unix_ns = cfg->boot_to_unix_ns,
		.boot_to_unix_max_ns = cfg->boot_to_unix_max_ns,
		.sys_blocks = E.sys_blocks,
		.n_sys_blocks = MW_MAX_SYSTEMS,
		.dev_blocks = E.dev_blocks,
		.n_dev_blocks = E.dev_capacity,
		.n_sys_rate = MW_MAX_SYSTEMS,
	};
	struct mw_rate saved[8];
	struct mw_result res;
	struct mw_pkt p;
	size_t i, n = 0;

	/* the limited systems' state, put back after the classifier */
	for (i = 0; v && i < v->n_systems && n < 8; i++)
		if (v->systems[i].limit_pps || v->systems[i].limit_bps)
			saved[n++] = E.sys_rate[v->systems[i].id];
	assert_true(!v || n < 8);
	rt.sys_rate = E.sys_rate;
	mw_pkt_parse(frame, len, &p);
	mw_classify(v, &rt, iface_id, MW_DIR_INBOUND, &p, &res);
	for (i = 0, n = 0; v && i < v->n_systems && n < 8; i++)
		if (v->systems[i].limit_pps || v->systems[i].limit_bps)
			E.sys_rate[v->systems[i].id] = saved[n++];
	out->verdict = res.verdict;
	out->reason = res.reason;
}

/* The image interface id of test interface ifs in v. */
static uint32_t iface_in(const struct mw_image_view *v, int ifs)
{
	const struct mw_img_iface *f;

	if (v == &E.v)
		return E.iface_id[ifs];
	f = v && if_policy[ifs] ? mw_image_iface_by_name(v, if_policy[ifs]) :
				  NULL;
	return f ? f->id : 0xfffe;
}

/* One corpus frame: both judges, compare, count.  The program's reason. */
static int diff_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
		   const uint8_t *frame, size_t len, const char *label)
{
	struct judged b, r, r1;
	struct mw_config cfg;
	int64_t t0, t1;
	int rc;

	if (len < 14)
		return -1;
	E.corpus++;
	assert_int_equal(mw_xdp_read_config(x, &cfg), 0);
	rate_sync(x, v);
	t0 = boot_ns();
	rc = bpf_judge(x, E.ifindex[ifs], frame, len, &b);
	t1 = boot_ns();
	ref_judge(&cfg, v, iface_in(v, ifs), t0, frame, len, &r);
	ref_judge(&cfg, v, iface_in(v, ifs), t1, frame, len, &r1);
	/* on a boundary between t0 and t1: the program's read decides */
	if (!rc && (r1.verdict != r.verdict || r1.reason != r.reason) &&
	    b.verdict == r1.verdict && b.reason == r1.reason)
		r = r1;
	if (r.reason >= 0 && r.reason < __MW_R_LAST)
		E.by_reason[r.reason]++;
	if (!rc && b.verdict == r.verdict && b.reason == r.reason) {
		E.agree++;
		if (r.reason >= 0 && r.reason < __MW_R_LAST)
			E.covered[r.reason]++;
		return b.reason;
	}
	if (E.shown++ < 25) {
		print_message("DIFF %s on %s len %zu: xdp %s/%s (rc %d), "
			      "classifier %s/%s\n", label, if_host[ifs], len,
			      mw_verdict_name(b.verdict),
			      b.reason < 0 ? "?" : mw_reason_name(b.reason), rc,
			      mw_verdict_name(r.verdict),
			      mw_reason_name(r.reason));
	}
	return rc ? -1 : b.reason;
}

static void diff(int ifs, const uint8_t *frame, size_t len, const char *label)
{
	diff_on(E.x, &E.v, ifs, frame, len, label);
}

/* ---------------------------------------------------------------------- */
/* frame construction                                                      */

struct fspec {
	int family;
	const char *src, *dst;
	const uint8_t *smac;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;		/* TCP flags */
	uint8_t type;		/* ICMP type */
	uint8_t ttl;
	uint16_t frag;		/* IPv4 frag field */
	size_t opts;		/* IPv4 option bytes */
	int tags;		/* VLAN tags */
	uint16_t tpid;		/* of the outer tag; 0: 802.1ad */
	uint16_t vid;
	size_t payload;
};

static size_t build(const struct fspec *s, uint8_t *buf)
{
	struct fr f;
	size_t ip;
	int t;
	uint16_t et = s->family == AF_INET ? FR_ETH_IPV4 : FR_ETH_IPV6;

	fr_init(&f, buf, FR_MAX);
	fr_eth(&f, fr_mac_dst, s->smac ? s->smac : fr_mac_src,
	       s->tags ? (s->tpid ? s->tpid : FR_ETH_8021AD) : et);
	for (t = 0; t < s->tags; t++)
		fr_tag(&f, s->vid, 0, t + 1 < s->tags ? FR_ETH_8021Q : et);
	if (s->family == AF_INET)
		ip = fr_ipv4(&f, s->src, s->dst, s->proto, s->ttl ? s->ttl : 64,
			     s->frag, s->opts);
	else
		ip = fr_ipv6(&f, s->src, s->dst, s->proto,
			     s->ttl ? s->ttl : 64);
	switch (s->proto) {
	case IPPROTO_TCP:
		fr_tcp(&f, s->sport, s->dport, s->flags, 5);
		break;
	case IPPROTO_UDP:
		fr_udp(&f, s->sport, s->dport, 0);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		fr_icmp(&f, s->type, 0);
		break;
	default:
		break;
	}
	fr_payload(&f, s->payload, 0xab);
	if (s->family == AF_INET)
		fr_ipv4_end(&f, ip);
	else
		fr_ipv6_end(&f, ip);
	return f.err ? 0 : f.len;
}

static const char *const dst4[] = {
	"192.0.2.10", "192.0.2.20", "192.0.2.33", "192.0.2.130", "10.9.9.9",
};
static const char *const dst6[] = {
	"2001:db8:10::10", "2001:db8:10::20", "2001:db8:30::5",
	"2001:db8:20::5", "2001:db8:99::1",
};

/* Protocol variants of the product: every conduit, its replies, misses. */
struct variant {
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags, type4, type6;
};
static const struct variant variants[] = {
	{ IPPROTO_TCP, 40000, 443, FR_TCP_SYN },
	{ IPPROTO_TCP, 40000, 3610, FR_TCP_SYN },
	{ IPPROTO_TCP, 40000, 4059, FR_TCP_SYN | FR_TCP_ACK },
	{ IPPROTO_TCP, 40000, 8883, FR_TCP_SYN },
	{ IPPROTO_TCP, 40000, 8443, FR_TCP_SYN },
	{ IPPROTO_TCP, 40000, 8444, FR_TCP_PSH | FR_TCP_ACK },
	{ IPPROTO_TCP, 40000, 8445, FR_TCP_SYN },
	{ IPPROTO_TCP, 40000, 22, FR_TCP_SYN },
	{ IPPROTO_TCP, 443, 40000, FR_TCP_SYN | FR_TCP_ACK },	/* reply */
	{ IPPROTO_TCP, 443, 40000, FR_TCP_SYN },		/* no ACK */
	{ IPPROTO_TCP, 444, 40000, FR_TCP_ACK },
	{ IPPROTO_UDP, 40000, 3610, 0 },
	{ IPPROTO_UDP, 3610, 40000, 0 },
	{ IPPROTO_UDP, 40000, 53, 0 },
	{ IPPROTO_ICMP, 0, 0, 0, 8, 8 },	/* echo request (v4) */
	{ IPPROTO_ICMP, 0, 0, 0, 0, 0 },	/* echo reply (v4) */
	{ IPPROTO_ICMP, 0, 0, 0, 3, 3 },	/* unreachable */
	{ IPPROTO_ICMPV6, 0, 0, 0, 128, 128 },
	{ IPPROTO_ICMPV6, 0, 0, 0, 129, 129 },
	{ IPPROTO_ICMPV6, 0, 0, 0, 1, 1 },
	{ 47, 0, 0, 0 },			/* GRE: not parsed */
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static size_t build_variant(const struct src *s, const char *dst,
			    const struct variant *va, uint8_t *buf)
{
	struct fspec f = {
		.family = s->family, .src = s->addr, .dst = dst,
		.smac = s->mac, .proto = va->proto, .sport = va->sport,
		.dport = va->dport, .flags = va->flags,
		.type = s->family == AF_INET ? va->type4 : va->type6,
	};

	return build(&f, buf);
}

/* sources x destinations x variants on the given interfaces */
static void product(const int *ifs, size_t n_ifs, size_t max_srcs,
		    const char *tag)
{
	uint8_t buf[FR_MAX];
	char label[160];
	size_t s, d, k, i;

	for (s = 0; s < E.n_srcs && s < max_srcs; s++) {
		const struct src *src = &E.srcs[s];
		const char *const *dsts = src->family == AF_INET ? dst4 : dst6;

		for (d = 0; d < 5; d++)
			for (k = 0; k < N_VARIANTS; k++) {
				size_t len = build_variant(src, dsts[d],
							   &variants[k], buf);

				snprintf(label, sizeof(label),
					 "%s %s->%s proto %u %u->%u", tag,
					 src->addr, dsts[d], variants[k].proto,
					 variants[k].sport, variants[k].dport);
				for (i = 0; i < n_ifs; i++)
					diff(ifs[i], buf, len, label);
			}
	}
}

/* Every length from 14 to the full frame. */
static void truncations(int ifs, const uint8_t *frame, size_t len,
			const char *name)
{
	char label[96];
	size_t l;

	for (l = 14; l <= len; l++) {
		snprintf(label, sizeof(label), "truncated %s", name);
		diff(ifs, frame, l, label);
	}
}

static const struct src *src_of(const char *addr)
{
	size_t i;

	for (i = 0; i < E.n_srcs; i++)
		if (!strcmp(E.srcs[i].addr, addr))
			return &E.srcs[i];
	fail_msg("no source %s in the corpus", addr);
	return NULL;
}

static uint32_t dev_id(const char *name)
{
	const struct mw_img_device *d = mw_image_device_by_name(&E.v, name);

	assert_non_null(d);
	return d->id;
}

static uint32_t sys_id(const char *name)
{
	const struct mw_img_system *s = mw_image_system_by_name(&E.v, name);

	assert_non_null(s);
	return s->id;
}

/* ---------------------------------------------------------------------- */
/* hand-made edge and malformed frames                                     */

static void edge_ipv4(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *probe = src_of("203.0.113.30");
	struct fspec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 };
	uint8_t buf[FR_MAX], b2[FR_MAX];
	size_t len, i;
	int v;

	/* options of every length, then truncated at every byte */
	for (i = 0; i <= 40; i += 4) {
		f.opts = i;
		len = build(&f, buf);
		diff(IF_EXT0, buf, len, "ipv4 options");
	}
	f.opts = 8;
	len = build(&f, buf);
	truncations(IF_EXT0, buf, len, "ipv4+options udp");
	f.opts = 0;

	/* IHL 0..15 over a valid frame, version 0..15 */
	len = build(&f, buf);
	for (i = 0; i < 16; i++) {
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(0x40 | i);
		diff(IF_EXT0, b2, len, "ipv4 ihl");
		memcpy(b2, buf, len);
		b2[14] = (uint8_t)(i << 4 | 5);
		diff(IF_EXT0, b2, len, "ipv4 version");
	}
	/* total length: smaller than IHL, too short for L4, exact, beyond */
	for (v = 0; v < 70; v += 3) {
		memcpy(b2, buf, len);
		fr_be16(b2 + 16, (uint16_t)v);
		diff(IF_EXT0, b2, len, "ipv4 total length");
	}
	/* trailing padding after the datagram */
	memcpy(b2, buf, len);
	memset(b2 + len, 0, 20);
	diff(IF_EXT0, b2, len + 20, "ipv4 padding");

	/* fragments: first with MF, tiny, overlapping, later ones */
	{
		static const uint16_t frags[] = {
			FR_IP_MF, FR_IP_MF | 1, 1, 2, 0x1fff, FR_IP_DF,
			FR_IP_DF | FR_IP_MF, 0x8000,
		};
		static const uint8_t protos[] = {
			IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP, 47,
		};
		size_t p;

		for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++)
			for (p = 0; p < sizeof(protos); p++) {
				struct fspec g = f;

				g.frag = frags[i];
				g.proto = protos[p];
				g.dport = protos[p] == IPPROTO_TCP ? 3610 : 3610;
				len = build(&g, buf);
				diff(IF_EXT0, buf, len, "ipv4 fragment hems");
				/* tiny: only 8 bytes of L4 */
				diff(IF_EXT0, buf, 14 + 20 + 8, "tiny fragment");
				g.src = probe->addr;
				g.smac = probe->mac;
				g.dst = "192.0.2.20";
				g.type = 8;
				len = build(&g, buf);
				diff(IF_EXT1, buf, len, "ipv4 fragment probe");
			}
	}
}

static void edge_ipv6(void)
{
	const struct src *hems = src_of("2001:db8:100::10");
	uint8_t buf[FR_MAX], b2[FR_MAX];
	struct fr f;
	size_t ip, len;
	int n, k;
	static const uint8_t kinds[] = { 60, 43, 0, 51, 44 };

	/* chains of 0..9 destination-options headers before UDP */
	for (n = 0; n <= 9; n++) {
		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
		ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10",
			     n ? 60 : IPPROTO_UDP, 64);
		for (k = 0; k < n; k++)
			fr_ext(&f, k + 1 < n ? 60 : IPPROTO_UDP, k & 1);
		fr_udp(&f, 40000, 3610, 4);
		fr_ipv6_end(&f, ip);
		diff(IF_EXT0, buf, f.len, "ipv6 dstopts chain");
		if (n == 2 || n == 8 || n == 9)
			truncations(IF_EXT0, buf, f.len, "ipv6 chain");
	}
	/* each kind of header first, second, and in a mix */
	for (k = 0; k < 5; k++) {
		int second;

		for (second = 0; second < 2; second++) {
			uint8_t first = second ? 60 : kinds[k];

			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
			ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10", first,
				     64);
			if (second)
				fr_ext(&f, kinds[k], 0);
			if (kinds[k] == 51)
				fr_ah(&f, IPPROTO_TCP, 4);
			else if (kinds[k] == 44)
				fr_frag6(&f, IPPROTO_TCP, 0, false, 7);
			else
				fr_ext(&f, IPPROTO_TCP, 1);
			fr_tcp(&f, 40000, 3610, FR_TCP_SYN, 5);
			fr_ipv6_end(&f, ip);
			diff(IF_EXT0, buf, f.len, "ipv6 ext kind");
			truncations(IF_EXT0, buf, f.len, "ipv6 ext kind");
		}
	}
	/* fragments: offset, M, both; for TCP, UDP, ICMPv6 */
	{
		static const struct { uint16_t off; bool more; } fr6[] = {
			{ 0, true }, { 1, false }, { 1, true }, { 0, false },
			{ 8191, false },
		};
		static const uint8_t protos[] = {
			IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6, 60, 59,
		};
		size_t i, p;

		for (i = 0; i < 5; i++)
			for (p = 0; p < sizeof(protos); p++) {
				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
				ip = fr_ipv6(&f, hems->addr, "2001:db8:10::20",
					     44, 64);
				fr_frag6(&f, protos[p], fr6[i].off,
					 fr6[i].more, 9);
				if (protos[p] == IPPROTO_UDP)
					fr_udp(&f, 40000, 3610, 0);
				else if (protos[p] == IPPROTO_ICMPV6)
					fr_icmp(&f, 128, 0);
				else if (protos[p] == IPPROTO_TCP)
					fr_tcp(&f, 40000, 3610, FR_TCP_SYN, 5);
				fr_ipv6_end(&f, ip);
				diff(IF_EXT0, buf, f.len, "ipv6 fragment");
			}
	}
	/* ESP and no-next-header end the chain */
	{
		static const uint8_t ends[] = { 50, 59 };

		for (k = 0; k < 2; k++) {
			fr_init(&f, buf, sizeof(buf));
			fr_eth(&f, fr_mac_dst, hems->mac, FR_ETH_IPV6);
			ip = fr_ipv6(&f, hems->addr, "2001:db8:10::10", 60, 64);
			fr_ext(&f, ends[k], 0);
			fr_payload(&f, 16, 0);
			fr_ipv6_end(&f, ip);
			diff(IF_EXT0, buf, f.len, "ipv6 esp/none");
		}
	}
	/* payload length 0, beyond the frame, version wrong, padding */
	{
		struct fspec g = { .family = AF_INET6, .src = hems->addr,
				   .dst = "2001:db8:10::10", .smac = hems->mac,
				   .proto = IPPROTO_UDP, .sport = 1,
				   .dport = 3610 };
		int pl;

		len = build(&g, buf);
		for (pl = 0; pl < 24; pl += 1) {
			memcpy(b2, buf, len);
			fr_be16(b2 + 18, (uint16_t)pl);
			diff(IF_EXT0, b2, len, "ipv6 payload length");
		}
		memcpy(b2, buf, len);
		b2[14] = 0x40;
		diff(IF_EXT0, b2, len, "ipv6 version 4");
		memcpy(b2, buf, len);
		memset(b2 + len, 0, 30);
		diff(IF_EXT0, b2, len + 30, "ipv6 padding");
	}
}

static void edge_l2(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *hems6 = src_of("2001:db8:100::10");
	const struct src *dr = src_of("203.0.113.80");
	static const uint8_t bad_mac[6] = { 0x02, 0, 0, 0, 0x66, 0x66 };
	uint8_t buf[FR_MAX];
	struct fspec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 };
	struct fr fr;
	size_t len, ip;
	int t, i, vid;
	static const uint16_t vids[] = { 0, 1, 210, 211, 4095 };
	static const uint16_t odd_types[] = { 0x88cc, 0x8847, 0x0000, 0x05ff,
					      0xffff, 0x8863 };

	/* tags: 1 (several VIDs), QinQ, three, truncated */
	for (t = 1; t <= 3; t++)
		for (i = 0; i < 5; i++) {
			f.tags = t;
			f.vid = vids[i];
			len = build(&f, buf);
			diff(IF_EXT0, buf, len, "vlan");
			diff(IF_EXT1, buf, len, "vlan");
			if (i == 2)
				truncations(IF_EXT1, buf, len < 40 ? len : 40,
					    "vlan");
		}
	f.tags = 0;
	/* spoofed MAC: bound device, unbound device */
	f.smac = bad_mac;
	len = build(&f, buf);
	diff(IF_EXT0, buf, len, "spoofed mac");
	f.src = dr->addr;
	f.proto = IPPROTO_TCP;
	f.sport = 443;
	f.dport = 40000;
	f.flags = FR_TCP_ACK;
	len = build(&f, buf);
	diff(IF_EXT1, buf, len, "unbound mac reply");
	/* other ethertypes */
	for (i = 0; i < 6; i++) {
		fr_init(&fr, buf, sizeof(buf));
		fr_eth(&fr, fr_mac_dst, fr_mac_src, odd_types[i]);
		fr_payload(&fr, 46, 0);
		diff(IF_EXT0, buf, fr.len, "ethertype");
	}
	/* ARP: device, spoofed, unknown, malformed; on ext0, ext1, sm0 */
	{
		static const char *const spa[] = {
			"198.51.100.10", "198.51.100.40", "203.0.113.20",
			"198.51.100.66", "203.0.113.5",
		};
		for (i = 0; i < 5; i++)
			for (t = 0; t < 3; t++) {
				const uint8_t *mac = t == 1 ? bad_mac :
						     i == 3 ? fr_mac_src :
						     src_of(spa[i])->mac;

				fr_init(&fr, buf, sizeof(buf));
				fr_eth(&fr, fr_mac_dst, mac, FR_ETH_ARP);
				fr_arp(&fr, 1, mac, spa[i], fr_mac_dst,
				       "192.0.2.1");
				if (t == 2)
					buf[14 + 4] = 5;	/* hlen */
				diff(IF_EXT0, buf, fr.len, "arp");
				diff(IF_EXT1, buf, fr.len, "arp");
				diff(IF_SM0, buf, fr.len, "arp");
				if (i == 0 && t == 0)
					truncations(IF_EXT0, buf, fr.len, "arp");
			}
	}
	/* ND: link-local, unspecified, device, spoofed, unknown, hop 64 */
	{
		static const char *const nsrc[] = {
			"fe80::1", "::", "2001:db8:100::10", "2001:db8:100::10",
			"2001:db8:100::77", "2001:db8:180::80", "febf::1",
			"fec0::1",
		};
		static const uint8_t types[] = { 133, 134, 135, 136, 137, 132,
						 138 };
		int h, ty;

		for (i = 0; i < 8; i++)
			for (ty = 0; ty < 7; ty++)
				for (h = 0; h < 2; h++) {
					const uint8_t *mac = i == 3 ? bad_mac :
							     hems6->mac;

					fr_init(&fr, buf, sizeof(buf));
					fr_eth(&fr, fr_mac_dst, mac, FR_ETH_IPV6);
					ip = fr_ipv6(&fr, nsrc[i], "ff02::1:ff00:1",
						     IPPROTO_ICMPV6,
						     h ? 64 : 255);
					fr_icmp(&fr, types[ty], 0);
					fr_nd_target(&fr, "2001:db8:10::1");
					fr_ipv6_end(&fr, ip);
					diff(IF_EXT0, buf, fr.len, "nd");
					diff(IF_EXT1, buf, fr.len, "nd");
					if (i == 2 && ty == 2 && !h)
						truncations(IF_EXT0, buf,
							    fr.len, "nd");
				}
	}
	/* ICMP errors quoting a packet, from devices */
	{
		static const char *const from[] = { "203.0.113.30",
						    "198.51.100.10" };

		for (i = 0; i < 2; i++) {
			const struct src *s = src_of(from[i]);

			fr_init(&fr, buf, sizeof(buf));
			fr_eth(&fr, fr_mac_dst, s->mac, FR_ETH_IPV4);
			ip = fr_ipv4(&fr, s->addr, "192.0.2.20", IPPROTO_ICMP,
				     64, 0, 0);
			fr_icmp(&fr, 3, 3);
			{
				size_t in = fr_ipv4(&fr, "192.0.2.20", s->addr,
						    IPPROTO_UDP, 64, 0, 0);

				fr_udp(&fr, 3610, 40000, 0);
				fr_ipv4_end(&fr, in);
			}
			fr_ipv4_end(&fr, ip);
			diff(IF_EXT1, buf, fr.len, "icmp error");
			diff(IF_EXT0, buf, fr.len, "icmp error");
			truncations(IF_EXT1, buf, fr.len, "icmp error");
		}
	}
	/* TCP data offset 0..15 */
	for (vid = 0; vid < 16; vid++) {
		struct fspec g = { .family = AF_INET, .src = hems->addr,
				   .dst = "192.0.2.10", .smac = hems->mac,
				   .proto = IPPROTO_TCP, .sport = 40000,
				   .dport = 3610, .flags = FR_TCP_SYN,
				   .payload = 12 };

		len = build(&g, buf);
		buf[14 + 20 + 12] = (uint8_t)(vid << 4);
		diff(IF_EXT0, buf, len, "tcp doff");
	}
	(void)ip;
}

/* Truncations of the main base frames (IPv4/IPv6 TCP/UDP/ICMP). */
static void base_truncations(void)
{
	const struct src *hems = src_of("198.51.100.10");
	const struct src *hems6 = src_of("2001:db8:100::10");
	const struct src *probe = src_of("203.0.113.30");
	uint8_t buf[FR_MAX];
	size_t len;
	struct fspec f[] = {
		{ .family = AF_INET, .src = hems->addr, .dst = "192.0.2.10",
		  .smac = hems->mac, .proto = IPPROTO_TCP, .sport = 40000,
		  .dport = 3610, .flags = FR_TCP_SYN },
		{ .family = AF_INET6, .src = hems6->addr,
		  .dst = "2001:db8:10::10", .smac = hems6->mac,
		  .proto = IPPROTO_UDP, .sport = 40000, .dport = 3610 },
		{ .family = AF_INET, .src = probe->addr, .dst = "192.0.2.20",
		  .smac = probe->mac, .proto = IPPROTO_ICMP, .type = 8 },
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		len = build(&f[i], buf);
		truncations(i == 2 ? IF_EXT1 : IF_EXT0, buf, len, "base");
	}
}

/* ---------------------------------------------------------------------- */
/* tests                                                                   */

static void clear_blocks(void)
{
	size_t i;

	for (i = 0; i < MW_MAX_SYSTEMS; i++)
		if (E.sys_blocks[i].active) {
			mw_xdp_unblock(E.x, MW_TARGET_SYSTEM, (uint32_t)i);
			memset(&E.sys_blocks[i], 0, sizeof(E.sys_blocks[i]));
		}
	for (i = 0; i < E.dev_capacity; i++)
		if (E.dev_blocks[i].active) {
			mw_xdp_unblock(E.x, MW_TARGET_DEVICE, (uint32_t)i);
			memset(&E.dev_blocks[i], 0, sizeof(E.dev_blocks[i]));
		}
}

static void block(enum mw_target kind, uint32_t id, uint64_t until)
{
	struct mw_block *b = kind == MW_TARGET_SYSTEM ? &E.sys_blocks[id] :
							&E.dev_blocks[id];

	assert_int_equal(mw_xdp_block(E.x, kind, id, until,
				      MW_BLOCK_OPERATOR), 0);
	b->active = 1;
	b->cause = MW_BLOCK_OPERATOR;
	b->until = until;
}

/* The attack corpus (attacks.h) on both external interfaces. */
static const char *const techniques[] = {
	"source-route", "icmp-control", "arp-poison", "nd-poison",
	"fake-reply", "icmp-error",
};
static size_t by_technique[6];

static void attack_emit_xdp(const uint8_t *frame, size_t len,
			    const char *technique, void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < 6; i++)
		if (!strcmp(techniques[i], technique))
			by_technique[i]++;
	diff(IF_EXT0, frame, len, technique);
	diff(IF_EXT1, frame, len, technique);
}

static void attack_corpus(void)
{
	static const uint16_t ports[] = { 443, 3610, 8443, 4059, 53 };
	struct attack_src as[64];
	struct attack_ctx a = {
		.srcs = as, .dst4 = dst4, .dst6 = dst6, .n_dst = 5,
		.ports = ports, .n_ports = 5, .emit = attack_emit_xdp,
	};
	size_t i;

	for (i = 0; i < E.n_srcs && i < 64; i++) {
		as[i].family = E.srcs[i].family;
		as[i].addr = E.srcs[i].addr;
		as[i].mac = E.srcs[i].mac;
	}
	a.n_srcs = i;
	memset(by_technique, 0, sizeof(by_technique));
	attacks(&a);
	for (i = 0; i < 6; i++) {
		print_message("  attack %-13s %zu frames x 2 interfaces\n",
			      techniques[i], by_technique[i]);
		assert_true(by_technique[i] > 0);
	}
}

static void test_diff_corpus(void **state)
{
	static const int all_ext[] = { IF_EXT0, IF_EXT1 };
	static const int others[] = { IF_SM0, IF_LO };
	struct mw_xdp *empty = NULL;
	struct mw_xdp_opts eo = { .pin_dir = "" };
	char err[512];
	size_t before;

	(void)state;
	need_env();
	E.corpus = E.agree = E.shown = 0;
	memset(E.by_reason, 0, sizeof(E.by_reason));
	set_now(E.x, t_normal);

	product(all_ext, 2, E.n_srcs, "normal");
	product(others, 2, 6, "other iface");
	base_truncations();
	edge_ipv4();
	edge_ipv6();
	edge_l2();
	attack_corpus();
	print_message("normal state: %zu frames\n", E.corpus);

	/* Sunday: the maintenance window is closed */
	set_now(E.x, unix_ns(2027, 3, 7, 3, 0));
	product(all_ext, 2, E.n_srcs, "sunday");
	/* before every agreement; after most (not the policy's own
	 * expiry); after the policy's own expiry */
	set_now(E.x, unix_ns(2026, 6, 1, 0, 0));
	product(all_ext, 1, E.n_srcs, "before validity");
	set_now(E.x, unix_ns(2027, 12, 15, 0, 0));
	product(all_ext, 1, E.n_srcs, "after agreements");
	set_now(E.x, unix_ns(2028, 6, 1, 0, 0));
	product(all_ext, 1, E.n_srcs, "after expiry");
	edge_l2();
	set_now(E.x, t_normal);

	/* blocks: a system, a device until the future, one in the past
	 * (CLOCK_BOOTTIME) */
	block(MW_TARGET_SYSTEM, sys_id("hems-aggregator"), 0);
	block(MW_TARGET_DEVICE, dev_id("gw-probe"),
	      (uint64_t)boot_ns() + 3600ULL * 1000000000ULL);
	block(MW_TARGET_DEVICE, dev_id("maint-jump-1"),
	      (uint64_t)boot_ns() / 2);
	product(all_ext, 2, E.n_srcs, "blocked");
	edge_l2();
	clear_blocks();

	/* island */
	assert_int_equal(mw_xdp_island(E.x, true), 0);
	E.island = true;
	product(all_ext, 1, 8, "island");
	edge_l2();
	assert_int_equal(mw_xdp_island(E.x, false), 0);
	E.island = false;

	/* no policy at all: a private instance that never loaded one */
	before = E.corpus;
	assert_int_equal(mw_xdp_open(&eo, &empty, err, sizeof(err)), 0);
	{
		uint8_t buf[FR_MAX];
		size_t s, k, len;

		for (s = 0; s < E.n_srcs; s++)
			for (k = 0; k < N_VARIANTS; k += 4) {
				len = build_variant(&E.srcs[s],
						    E.srcs[s].family == AF_INET ?
						    dst4[0] : dst6[0],
						    &variants[k], buf);
				diff_on(empty, NULL, IF_EXT0, buf, len,
					"no policy");
			}
	}
	mw_xdp_close(empty);
	print_message("no-policy frames: %zu\n", E.corpus - before);

	for (int r = 0; r < __MW_R_LAST; r++)
		if (E.by_reason[r])
			print_message("  %-15s %zu\n", mw_reason_name(r),
				      E.by_reason[r]);
	print_message("corpus: %zu frames, %zu agree, %zu differ\n", E.corpus,
		      E.agree, E.corpus - E.agree);
	assert_true(E.corpus >= 500);
	assert_int_equal(E.agree, E.corpus);
	/* the attack classes reached the decisions made for them */
	assert_true(E.by_reason[MW_R_SOURCE_ROUTE] > 0);
	assert_true(E.by_reason[MW_R_ICMP_CONTROL] > 0);
	assert_true(E.by_reason[MW_R_RELATED] > 0);
	assert_true(E.by_reason[MW_R_SPOOFED] > 0);
	assert_true(E.by_reason[MW_R_AGREEMENT] > 0);
	assert_true(E.by_reason[MW_R_POLICY_EXPIRED] > 0);
	assert_true(E.by_reason[MW_R_BLOCKED] > 0);
}

/* One frame, judged by the datapath; its reason. */
static int judge_one(const uint8_t *frame, size_t len, int ifs)
{
	struct judged b;

	assert_int_equal(bpf_judge(E.x, E.ifindex[ifs], frame, len, &b), 0);
	return b.reason;
}

/* A HEMS UDP frame with these ports (dport 3610 is its conduit). */
static size_t hems_ports(uint8_t *buf, uint16_t sport, uint16_t dport)
{
	const struct src *hems = src_of("198.51.100.10");
	struct fspec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = sport,
			   .dport = dport };

	return build(&f, buf);
}

static size_t hems_udp(uint8_t *buf)
{
	return hems_ports(buf, 40000, 3610);
}

static void test_block_survives_reload(void **state)
{
	struct mw_xdp_load_result res;
	struct mw_xdp_status st0, st1;
	uint8_t buf[FR_MAX];
	size_t len;
	uint32_t dev;

	(void)state;
	need_env();
	len = hems_udp(buf);
	dev = dev_id("hems-gw-1");
	set_now(E.x, t_normal);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	block(MW_TARGET_DEVICE, dev, 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_BLOCKED);

	assert_int_equal(mw_xdp_status(E.x, &st0), 0);
	assert_int_equal(load_policy(E.x, &E.v, &res), 0);
	assert_int_equal(mw_xdp_status(E.x, &st1), 0);
	assert_int_equal(st1.cfg.generation, st0.cfg.generation + 1);
	assert_int_equal(res.generation, st1.cfg.generation);
	assert_int_not_equal(st1.cfg.slot, st0.cfg.slot);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_BLOCKED);

	/* an expired block no longer applies (CLOCK_BOOTTIME) */
	block(MW_TARGET_DEVICE, dev, (uint64_t)boot_ns() - 1);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	clear_blocks();
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
}

static void test_swap_atomic(void **state)
{
	struct mw_xdp_load_result res;
	struct mw_xdp_status st0, st1;
	struct mw_image img2 = {};
	struct mw_image_view v2;
	struct mw_diag diag;
	const char *why = NULL;
	uint8_t buf[FR_MAX];
	size_t len, i, saved = 0;
	struct mw_system_spec *hs = NULL;

	(void)state;
	need_env();
	/* policy B: hems-aggregator without conduits */
	for (i = 0; i < E.pol->n_systems; i++)
		if (!strcmp(E.pol->systems[i].name, "hems-aggregator"))
			hs = &E.pol->systems[i];
	assert_non_null(hs);
	saved = hs->n_conduits;
	hs->n_conduits = 0;
	assert_int_equal(mw_compile(E.pol, &E.v, &img2, &diag), 0);
	hs->n_conduits = saved;
	assert_int_equal(mw_image_view(img2.data, img2.len, &v2, &why), 0);

	len = hems_udp(buf);
	set_now(E.x, t_normal);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	for (i = 0; i < 4; i++) {
		const struct mw_image_view *v = (i & 1) ? &E.v : &v2;

		assert_int_equal(mw_xdp_status(E.x, &st0), 0);
		assert_int_equal(load_policy(E.x, v, &res), 0);
		assert_int_equal(mw_xdp_status(E.x, &st1), 0);
		assert_int_equal(st1.cfg.generation, st0.cfg.generation + 1);
		assert_int_equal(st1.active.generation, st1.cfg.generation);
		assert_int_equal(st1.cfg.slot, st0.cfg.slot ^ 1);
		assert_int_equal(st1.active.serial, v->hdr->serial);
		set_now(E.x, t_normal);
		assert_int_equal(judge_one(buf, len, IF_EXT0),
				 (i & 1) ? MW_R_ALLOWED : MW_R_NO_CONDUIT);
		/* the oracle agrees with the new image */
		diff_on(E.x, v, IF_EXT0, buf, len, "swap");
	}

	/* a policy the maps cannot hold is refused; the old one stays */
	{
		struct mw_xdp *small = NULL;
		struct mw_xdp_opts so = { .pin_dir = "", .dev_capacity = 2 };
		char err[512];
		int rc;

		assert_int_equal(mw_xdp_open(&so, &small, err, sizeof(err)), 0);
		rc = mw_xdp_load_image(small, &E.v, &load_opts, NULL);
		assert_int_equal(rc, -E2BIG);
		print_message("capacity refusal: %s\n", mw_xdp_errmsg(small));
		assert_int_equal(mw_xdp_status(small, &st0), 0);
		assert_int_equal(st0.cfg.generation, 0);
		mw_xdp_close(small);
	}
	mw_image_free(&img2);
}

/* A second process's view: the pinned maps are shared, sizes are fixed. */
static void test_reopen_pins(void **state)
{
	struct mw_xdp_opts o = { .pin_dir = E.pin_dir,
				 .flags = MW_XDP_F_NO_PROG };
	struct mw_xdp_opts bad = { .pin_dir = E.pin_dir, .dev_capacity = 1024,
				   .flags = MW_XDP_F_NO_PROG };
	struct mw_xdp_status a, b;
	struct mw_xdp *y = NULL, *z = NULL;
	struct mw_block blk;
	uint8_t buf[FR_MAX];
	char err[512];
	size_t len;
	uint32_t sys;

	(void)state;
	need_env();
	assert_int_equal(mw_xdp_open(&o, &y, err, sizeof(err)), 0);
	assert_int_equal(mw_xdp_prog_fd(y), -1);
	assert_int_equal(mw_xdp_status(E.x, &a), 0);
	assert_int_equal(mw_xdp_status(y, &b), 0);
	assert_int_equal(a.cfg.generation, b.cfg.generation);
	assert_memory_equal(a.active.digest, b.active.digest, 32);
	/* a block written through y stops E.x's program at once */
	len = hems_udp(buf);
	set_now(E.x, t_normal);
	sys = sys_id("hems-aggregator");
	assert_int_equal(mw_xdp_block(y, MW_TARGET_SYSTEM, sys, 0,
				      MW_BLOCK_INCIDENT), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_BLOCKED);
	assert_int_equal(mw_xdp_get_block(E.x, MW_TARGET_SYSTEM, sys, &blk), 0);
	assert_int_equal(blk.cause, MW_BLOCK_INCIDENT);
	assert_int_equal(mw_xdp_unblock(y, MW_TARGET_SYSTEM, sys), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	/* a policy loaded through y is the one E.x's program uses */
	assert_int_equal(load_policy(y, &E.v, NULL), 0);
	assert_int_equal(mw_xdp_status(E.x, &a), 0);
	assert_int_equal(a.cfg.generation, b.cfg.generation + 1);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	mw_xdp_close(y);
	/* other sizes than the pinned maps' are refused */
	assert_int_equal(mw_xdp_open(&bad, &z, err, sizeof(err)), -EEXIST);
	print_message("resize refusal: %s\n", err);
}

static void test_island(void **state)
{
	uint8_t buf[FR_MAX];
	size_t len;

	(void)state;
	need_env();
	len = hems_udp(buf);
	set_now(E.x, t_normal);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	assert_int_equal(mw_xdp_island(E.x, true), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ISLAND);
	assert_int_equal(judge_one(buf, len, IF_EXT1), MW_R_ISLAND);
	assert_int_equal(mw_xdp_island(E.x, false), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
}

/* Synthetic policies (rate limits here, benchmarks below). */
struct bigpol {
	struct mw_policy pol;
	struct mw_iface_spec ifaces[2];
	struct mw_zone_spec zone;
	struct mw_prefix zone_pfx;
	struct mw_system_spec *sys;
	struct mw_device_spec *devs;
	struct mw_prefix *addrs;
	struct mw_conduit_spec *conds;
	char (*zone_names)[MW_NAME_MAX];
	struct mw_port_range port;
};

#define BIG_PER_SYS 1000

static void big_addr(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255,
		 i & 255);
}

/* n devices (host addresses 10.x.y.z) in systems of 1000 on ext0, one
 * inbound conduit each: tcp/443 to the head-end. */
static struct bigpol *big_policy(size_t n)
{
	struct bigpol *b = calloc(1, sizeof(*b));
	size_t n_sys = (n + BIG_PER_SYS - 1) / BIG_PER_SYS, i;
	char a[32];

	b->sys = calloc(n_sys, sizeof(*b->sys));
	b->devs = calloc(n, sizeof(*b->devs));
	b->addrs = calloc(n, sizeof(*b->addrs));
	b->conds = calloc(n_sys, sizeof(*b->conds));
	b->zone_names = calloc(1, sizeof(*b->zone_names));
	assert_true(b->sys && b->devs && b->addrs && b->conds);
	b->pol.serial = 7;
	snprintf(b->pol.path, sizeof(b->pol.path), "big.yaml");
	snprintf(b->ifaces[0].name, MW_IFNAMSIZ, "ext0");
	b->ifaces[0].zone = MW_ZONE_EXTERNAL;
	b->ifaces[0].untagged = true;
	snprintf(b->ifaces[1].name, MW_IFNAMSIZ, "sm0");
	b->ifaces[1].zone = MW_ZONE_SMART_METER;
	b->ifaces[1].untagged = true;
	b->pol.ifaces = b->ifaces;
	b->pol.n_ifaces = 2;
	snprintf(b->zone.name, MW_NAME_MAX, "head-end");
	assert_int_equal(mw_prefix_parse("192.0.2.10", &b->zone_pfx), 0);
	b->zone.prefixes = &b->zone_pfx;
	b->zone.n_prefixes = 1;
	b->pol.zones = &b->zone;
	b->pol.n_zones = 1;
	snprintf(b->zone_names[0], MW_NAME_MAX, "head-end");
	b->port.lo = b->port.hi = 443;
	for (i = 0; i < n_sys; i++) {
		struct mw_system_spec *s = &b->sys[i];
		struct mw_conduit_spec *c = &b->conds[i];

		snprintf(s->name, MW_NAME_MAX, "sys%zu", i);
		snprintf(s->entity, sizeof(s->entity), "Entity %zu", i);
		snprintf(s->agreement, MW_NAME_MAX, "AGR-%zu", i);
		snprintf(s->iface, MW_IFNAMSIZ, "ext0");
		s->devices = &b->devs[i * BIG_PER_SYS];
		s->n_devices = n - i * BIG_PER_SYS < BIG_PER_SYS ?
			       n - i * BIG_PER_SYS : BIG_PER_SYS;
		snprintf(c->name, MW_NAME_MAX, "https");
		c->dir = MW_DIR_INBOUND;
		c->proto = IPPROTO_TCP;
		c->zones = b->zone_names;
		c->n_zones = 1;
		c->ports = &b->port;
		c->n_ports = 1;
		s->conduits = c;
		s->n_conduits = 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(b->devs[i].name, MW_NAME_MAX, "d%zu", i);
		big_addr(i, a, sizeof(a));
		assert_int_equal(mw_prefix_parse(a, &b->addrs[i]), 0);
		b->devs[i].addrs = &b->addrs[i];
		b->devs[i].n_addrs = 1;
	}
	b->pol.systems = b->sys;
	b->pol.n_systems = n_sys;
	return b;
}

static void big_free(struct bigpol *b)
{
	free(b->sys);
	free(b->devs);
	free(b->addrs);
	free(b->conds);
	free(b->zone_names);
	free(b);
}

/* ---------------------------------------------------------------------- */
/* time base, policy expiry, rate limits, 802.1ad                          */

/* The datapath's reason for the frame, which the classifier shares. */
static int expect_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
		     const uint8_t *frame, size_t len, int want,
		     const char *label)
{
	size_t agree = E.agree;
	int got = diff_on(x, v, ifs, frame, len, label);

	if (got != want)
		fail_msg("%s: reason %s, expected %s", label,
			 got < 0 ? "?" : mw_reason_name(got),
			 mw_reason_name(want));
	if (E.agree != agree + 1)
		fail_msg("%s: the classifier disagrees", label);
	return got;
}

static int expect(int ifs, const uint8_t *frame, size_t len, int want,
		  const char *label)
{
	return expect_on(E.x, &E.v, ifs, frame, len, want, label);
}

static size_t frame_of(const char *src, const char *dst, uint8_t proto,
		       uint16_t dport, uint8_t *buf)
{
	const struct src *s = src_of(src);
	struct fspec f = { .family = s->family, .src = src, .dst = dst,
			   .smac = s->mac, .proto = proto, .sport = 40000,
			   .dport = dport, .flags = FR_TCP_SYN };

	return build(&f, buf);
}

/* Both offsets as the datapath holds them. */
static void clock_of(struct mw_xdp *x, int64_t *cur, int64_t *max)
{
	struct mw_xdp_status st;

	assert_int_equal(mw_xdp_status(x, &st), 0);
	*cur = st.cfg.boot_to_unix_ns;
	*max = st.cfg.boot_to_unix_max_ns;
}

/*
 * M1: one time base.  Windows and valid_from follow boot_to_unix_ns,
 * agreement expiries boot_to_unix_max_ns (the largest offset set), and
 * blocks the boot clock alone, whatever the offsets say.
 */
static void test_clock_offsets(void **state)
{
	uint8_t hems[FR_MAX], maint[FR_MAX], ev[FR_MAX];
	size_t lh, lm, le;
	int64_t cur, max, off, b;
	uint32_t maint_dev = dev_id("maint-jump-1");

	(void)state;
	need_env();
	lh = hems_udp(hems);
	lm = frame_of("198.51.100.40", "192.0.2.130", IPPROTO_TCP, 4059, maint);
	{
		struct fspec f = { .family = AF_INET, .src = "198.51.100.65",
				   .dst = "192.0.2.10", .proto = IPPROTO_TCP,
				   .sport = 40000, .dport = 8883,
				   .flags = FR_TCP_SYN };

		le = build(&f, ev);
	}

	/* the setter: cur as given, max the largest unless reset */
	off = unix_ns(2027, 10, 3, 0, 0) - boot_ns();
	assert_int_equal(mw_xdp_set_clock(E.x, off, true), 0);
	clock_of(E.x, &cur, &max);
	assert_true(cur == off && max == off);
	assert_int_equal(mw_xdp_set_clock(E.x, off - 1000, false), 0);
	clock_of(E.x, &cur, &max);
	assert_true(cur == off - 1000 && max == off);
	assert_int_equal(mw_xdp_set_clock(E.x, off + 1000, false), 0);
	clock_of(E.x, &cur, &max);
	assert_true(cur == off + 1000 && max == off + 1000);
	assert_int_equal(mw_xdp_set_clock(E.x, 0, true), 0);	/* the host's */
	clock_of(E.x, &cur, &max);
	assert_true(cur == max && llabs(cur - mw_xdp_clock_offset()) <
		    1000000000LL);

	/* max: Sunday 2027-10-03 09:00 JST (hems-aggregator's agreement
	 * ended 2027-09-30); cur: Wednesday 2027-03-03 10:30 JST */
	set_now(E.x, unix_ns(2027, 10, 3, 0, 0));
	set_wall(E.x, t_normal);
	clock_of(E.x, &cur, &max);
	assert_true(max - cur > 200LL * 86400 * 1000000000LL);
	expect(IF_EXT0, hems, lh, MW_R_AGREEMENT, "expired by the max offset");
	/* the maintenance window (Mon-Fri 09-18 JST) by cur: open */
	expect(IF_EXT0, maint, lm, MW_R_ALLOWED, "window by the cur offset");
	expect(IF_EXT0, ev, le, MW_R_ALLOWED, "valid by both");
	/* cur before ev-charging's valid_from (2027-01-01): by cur */
	set_wall(E.x, unix_ns(2026, 12, 15, 1, 30));
	expect(IF_EXT0, ev, le, MW_R_AGREEMENT, "valid_from by the cur offset");
	/* the reverse: max ahead only on a Sunday night: window closed by
	 * cur, agreements valid by max */
	set_now(E.x, unix_ns(2027, 3, 10, 1, 30));	/* Wed 10:30 JST */
	set_wall(E.x, unix_ns(2027, 3, 7, 3, 0));	/* Sun 12:00 JST */
	expect(IF_EXT0, maint, lm, MW_R_NO_CONDUIT, "window closed by cur");
	expect(IF_EXT0, hems, lh, MW_R_ALLOWED, "not expired by max");

	/* blocks: CLOCK_BOOTTIME, whatever the offsets */
	b = boot_ns();
	set_now(E.x, t_normal);
	block(MW_TARGET_DEVICE, maint_dev, (uint64_t)b + 3600000000000ULL);
	expect(IF_EXT0, maint, lm, MW_R_BLOCKED, "block until boot + 1h");
	set_now(E.x, unix_ns(2031, 1, 1, 0, 0));	/* offsets far ahead */
	set_now(E.x, t_normal);
	expect(IF_EXT0, maint, lm, MW_R_BLOCKED, "... after a step ahead");
	off = unix_ns(2027, 3, 3, 1, 30) - 7200000000000LL - boot_ns();
	assert_int_equal(mw_xdp_set_clock(E.x, off, true), 0);
	expect(IF_EXT0, maint, lm, MW_R_BLOCKED, "... and back");
	set_now(E.x, t_normal);
	block(MW_TARGET_DEVICE, maint_dev, (uint64_t)b / 2);
	expect(IF_EXT0, maint, lm, MW_R_ALLOWED, "block until boot / 2: over");
	clear_blocks();
	expect(IF_EXT0, maint, lm, MW_R_ALLOWED, "unblocked");
	/* a load keeps the largest offset too */
	set_now(E.x, unix_ns(2027, 10, 3, 0, 0));
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	clock_of(E.x, &cur, &max);
	assert_true(cur < max);
	expect(IF_EXT0, hems, lh, MW_R_AGREEMENT, "expired after a load");
	set_now(E.x, t_normal);
	expect(IF_EXT0, hems, lh, MW_R_ALLOWED, "after a reset");
}

/*
 * M7b: the policy's own expires, by the largest offset: every frame on a
 * managed interface drops POLICY_EXPIRED right after the island check,
 * before any parsing verdict; a step back does not revive the policy.
 */
static void test_policy_expired(void **state)
{
	static const uint8_t bad_mac[6] = { 0x02, 0, 0, 0, 0x66, 0x66 };
	uint8_t f[10][FR_MAX];
	size_t len[10], i, n = 0;
	int64_t exp_ns;
	const struct src *hems;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	const char *why = NULL;
	struct fr fr;
	int ifs;

	(void)state;
	need_env();
	hems = src_of("198.51.100.10");
	assert_non_null(hems);
	/* the example policy, expiring while every agreement is valid */
	{
		bool had = E.pol->has_expires;
		int64_t was = E.pol->expires;

		E.pol->has_expires = true;
		E.pol->expires = unix_ns(2027, 6, 1, 0, 0) / 1000000000LL;
		assert_int_equal(mw_compile(E.pol, &E.v, &img, &diag), 0);
		E.pol->has_expires = had;
		E.pol->expires = was;
	}
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	exp_ns = v.hdr->expires * 1000000000LL;
	assert_true(exp_ns == unix_ns(2027, 6, 1, 0, 0));
	assert_int_equal(load_policy(E.x, &v, NULL), 0);
	len[n] = hems_udp(f[n]);					/* IP */
	n++;
	fr_init(&fr, f[n], FR_MAX);					/* ARP */
	fr_eth(&fr, fr_mac_dst, hems->mac, FR_ETH_ARP);
	fr_arp(&fr, 1, hems->mac, "198.51.100.10", fr_mac_dst, "192.0.2.1");
	len[n++] = fr.len;
	for (i = 0; i < 3; i++) {			/* tagged: 1Q, 1ad, QinQ */
		struct fspec g = { .family = AF_INET, .src = "198.51.100.10",
				   .dst = "192.0.2.10", .smac = hems->mac,
				   .proto = IPPROTO_UDP, .sport = 40000,
				   .dport = 3610, .tags = i == 2 ? 2 : 1,
				   .tpid = i == 0 ? FR_ETH_8021Q : 0,
				   .vid = 210 };

		len[n] = build(&g, f[n]);
		n++;
	}
	fr_init(&fr, f[n], FR_MAX);				/* ND NS */
	fr_eth(&fr, fr_mac_dst, bad_mac, FR_ETH_IPV6);
	{
		size_t ip = fr_ipv6(&fr, "fe80::1", "ff02::1:ff00:1",
				    IPPROTO_ICMPV6, 255);

		fr_icmp(&fr, 135, 0);
		fr_nd_target(&fr, "2001:db8:10::1");
		fr_ipv6_end(&fr, ip);
	}
	len[n++] = fr.len;
	memcpy(f[n], f[0], 14);				/* truncated IPv4 */
	len[n++] = 20;
	fr_init(&fr, f[n], FR_MAX);				/* non-IP */
	fr_eth(&fr, fr_mac_dst, fr_mac_src, 0x88cc);
	fr_payload(&fr, 46, 0);
	len[n++] = fr.len;
	len[n] = frame_of("203.0.113.20", "192.0.2.20", IPPROTO_TCP, 443,
			  f[n]);
	n++;

	/* 5 s before: in force; 5 s after: expired */
	set_now(E.x, exp_ns - 5000000000LL);
	expect_on(E.x, &v, IF_EXT0, f[0], len[0], MW_R_ALLOWED,
		  "5 s before expiry");
	set_now(E.x, exp_ns + 5000000000LL);
	for (ifs = IF_EXT0; ifs <= IF_EXT1; ifs++)
		for (i = 0; i < n; i++)
			expect_on(E.x, &v, ifs, f[i], len[i],
				  MW_R_POLICY_EXPIRED, "expired policy");
	expect_on(E.x, &v, IF_LO, f[0], len[0], MW_R_NOT_MANAGED,
		  "expired, not managed");
	assert_int_equal(mw_xdp_island(E.x, true), 0);
	E.island = true;
	expect_on(E.x, &v, IF_EXT0, f[0], len[0], MW_R_ISLAND, "island wins");
	assert_int_equal(mw_xdp_island(E.x, false), 0);
	E.island = false;
	/* a step back of the wall clock: still expired (windows move) */
	set_wall(E.x, t_normal);
	for (i = 0; i < n; i++)
		expect_on(E.x, &v, IF_EXT1, f[i], len[i],
			  MW_R_POLICY_EXPIRED, "expired, clock stepped back");
	/* a reload (same image) does not revive it either */
	assert_int_equal(load_policy(E.x, &v, NULL), 0);
	expect_on(E.x, &v, IF_EXT0, f[0], len[0], MW_R_POLICY_EXPIRED,
		  "expired, reloaded");
	/* only an explicit reset of the maximum does */
	set_now(E.x, t_normal);
	expect_on(E.x, &v, IF_EXT0, f[0], len[0], MW_R_ALLOWED,
		  "after a reset");
	expect_on(E.x, &v, IF_EXT1, f[n - 1], len[n - 1], MW_R_ALLOWED,
		  "after a reset");
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	mw_image_free(&img);
}

/* Limits for test_rate_limit: sys0 pps, sys1 bps, sys2 none. */
#define RATE_PPS	100ULL
#define RATE_V6_LEN	60U			/* IPv6 + TCP, no payload */
#define RATE_BPS	(RATE_V6_LEN * 8ULL * 50)	/* 50 packets/s */
#define RATE_K		1000U

struct rate_run {
	uint64_t passed, limited, dev_drops;
	int64_t elapsed;
	struct mw_xdp_rate st;
};

/* K frames through the program in one test run (repeat). */
static void rate_run(struct mw_xdp *x, uint32_t dev, uint32_t sys,
		     const uint8_t *frame, size_t len, uint32_t k,
		     struct rate_run *out)
{
	struct mw_counter c0[__MW_R_LAST], c1[__MW_R_LAST], d0, d1;
	struct xdp_md ctx = { .data_end = (uint32_t)len,
			      .ingress_ifindex = E.ifindex[IF_EXT0] };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = k);
	int64_t t0;

	assert_int_equal(mw_xdp_reason_counters(x, c0), 0);
	assert_int_equal(mw_xdp_dev_counter(x, dev, &d0), 0);
	t0 = boot_ns();
	assert_int_equal(bpf_prog_test_run_opts(mw_xdp_prog_fd(x), &o), 0);
	out->elapsed = boot_ns() - t0;
	assert_int_equal(mw_xdp_reason_counters(x, c1), 0);
	assert_int_equal(mw_xdp_dev_counter(x, dev, &d1), 0);
	out->passed = c1[MW_R_ALLOWED].pass_packets -
		      c0[MW_R_ALLOWED].pass_packets;
	out->limited = c1[MW_R_RATE_LIMIT].drop_packets -
		       c0[MW_R_RATE_LIMIT].drop_packets;
	out->dev_drops = d1.drop_packets - d0.drop_packets;
	assert_int_equal(d1.pass_packets - d0.pass_packets, out->passed);
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &sys,
					     &out->st), 0);
}

/*
 * The GCRA bound of K back-to-back frames at cost_ns each (burst: 1 s
 * worth): exactly the burst at least, at most the burst plus what the
 * elapsed time earns (+1); the rest RATE_LIMIT, counted per reason and
 * as drops of the device; drops not charged (the state is at most one
 * burst ahead of the clock).
 */
static void rate_check(const struct rate_run *r, uint64_t cost_ns,
		       uint32_t k, const char *what)
{
	uint64_t burst = MW_RATE_BURST_NS / cost_ns;
	uint64_t hi = burst + (uint64_t)r->elapsed / cost_ns + 1;

	print_message("rate %s: %llu of %u passed in %.2f ms (bound %llu.."
		      "%llu)\n", what, (unsigned long long)r->passed, k,
		      r->elapsed / 1e6, (unsigned long long)burst,
		      (unsigned long long)hi);
	assert_true(r->passed >= burst);
	assert_true(r->passed <= hi);
	assert_int_equal(r->limited, k - r->passed);
	assert_int_equal(r->dev_drops, k - r->passed);
	assert_true((int64_t)(r->st.tat_pkt > r->st.tat_bit ? r->st.tat_pkt :
			      r->st.tat_bit) <= boot_ns() +
		    (int64_t)MW_RATE_BURST_NS);
}

/* The big_policy() of the benchmarks with 3 systems of limits. */
struct ratepol {
	struct bigpol *b;
	struct mw_prefix zone_pfx[2];
	struct mw_image img;
	struct mw_image_view v;
};

static void ratepol_compile(struct ratepol *r, uint64_t pps,
			    const struct mw_image_view *prev)
{
	struct mw_diag diag;
	const char *why = NULL;

	r->b->sys[0].limits.pps = pps;
	r->b->sys[1].limits.bps = RATE_BPS;
	mw_image_free(&r->img);
	memset(&r->img, 0, sizeof(r->img));
	assert_int_equal(mw_compile(&r->b->pol, prev, &r->img, &diag), 0);
	assert_int_equal(mw_image_view(r->img.data, r->img.len, &r->v, &why),
			 0);
}

/*
 * M7a: per-system limits.  sys0 {pps: 100} (IPv4), sys1 {bps: 50 frames
 * of 60 IP bytes a second} (IPv6, the frame padded to 200 bytes: the IP
 * length counts, not the frame's), sys2 none.
 */
static void test_rate_limit(void **state)
{
	struct mw_xdp_opts o = { .pin_dir = "" };
	struct ratepol r = {};
	struct mw_xdp *x = NULL;
	struct rate_run run;
	struct mw_xdp_rate st0, st1;
	uint8_t f4[FR_MAX], f6[FR_MAX], fu[FR_MAX], fn[FR_MAX];
	size_t l4, l6, lu, i, n, agree;
	uint32_t d0, d1, d2, s0, s1, s2;
	char err[512], a[32];
	struct fspec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };

	(void)state;
	need_env();
	r.b = big_policy(3 * BIG_PER_SYS);
	assert_int_equal(mw_prefix_parse("192.0.2.10", &r.zone_pfx[0]), 0);
	assert_int_equal(mw_prefix_parse("2001:db8:10::10", &r.zone_pfx[1]), 0);
	r.b->zone.prefixes = r.zone_pfx;
	r.b->zone.n_prefixes = 2;
	assert_int_equal(mw_prefix_parse("2001:db8:77::1",
					 &r.b->addrs[BIG_PER_SYS]), 0);
	ratepol_compile(&r, RATE_PPS, NULL);
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	assert_int_equal(mw_xdp_load_image(x, &r.v, &load_opts, NULL), 0);
	d0 = mw_image_device_by_name(&r.v, "d0")->id;
	d1 = mw_image_device_by_name(&r.v, "d1000")->id;
	d2 = mw_image_device_by_name(&r.v, "d2000")->id;
	s0 = mw_image_system_by_name(&r.v, "sys0")->id;
	s1 = mw_image_system_by_name(&r.v, "sys1")->id;
	s2 = mw_image_system_by_name(&r.v, "sys2")->id;

	big_addr(0, a, sizeof(a));
	f.src = a;
	l4 = build(&f, f4);
	big_addr(2 * BIG_PER_SYS, a, sizeof(a));
	f.src = a;
	lu = build(&f, fu);
	f.family = AF_INET6;
	f.src = "2001:db8:77::1";
	f.dst = "2001:db8:10::10";
	l6 = build(&f, f6);
	assert_int_equal(l6, 14 + RATE_V6_LEN);
	memset(f6 + l6, 0, 200 - l6);		/* Ethernet padding */
	l6 = 200;

	/* pps: 100 at once, then 1 every 10 ms */
	rate_run(x, d0, s0, f4, l4, RATE_K, &run);
	rate_check(&run, MW_NSEC_PER_SEC_ / RATE_PPS, RATE_K, "pps 100");
	/* bps: by the IP length (60), not the frame's (200) */
	rate_run(x, d1, s1, f6, l6, RATE_K, &run);
	rate_check(&run, RATE_V6_LEN * 8 * MW_NSEC_PER_SEC_ / RATE_BPS,
		   RATE_K, "bps (IPv6)");
	/* drops of a limited system are not charged: its state holds */
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s0, &st0), 0);
	memcpy(fn, f4, l4);
	fn[14 + 20 + 3] = 0xbc;			/* dport 444: NO_CONDUIT */
	{
		struct judged j;

		for (i = 0; i < 20; i++) {
			assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], fn,
						   l4, &j), 0);
			assert_int_equal(j.reason, MW_R_NO_CONDUIT);
		}
	}
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s0, &st1), 0);
	assert_true(st1.tat_pkt == st0.tat_pkt && st1.tat_bit == st0.tat_bit);
	/* no limits: all pass, no state */
	rate_run(x, d2, s2, fu, lu, RATE_K, &run);
	assert_int_equal(run.passed, RATE_K);
	assert_int_equal(run.limited, 0);
	assert_int_equal(run.st.tat_pkt + run.st.tat_bit, 0);

	/* the classifier with the datapath's state, frame by frame: the
	 * tokens earned meanwhile pass, then RATE_LIMIT again */
	E.rate_fresh = false;
	n = E.covered[MW_R_RATE_LIMIT];
	agree = E.agree;
	for (i = 0; i < 20; i++) {
		diff_on(x, &r.v, IF_EXT0, f4, l4, "rate pps");
		diff_on(x, &r.v, IF_EXT0, f6, l6, "rate bps");
	}
	E.rate_fresh = true;
	assert_int_equal(E.agree, agree + 40);
	print_message("rate: %zu of 40 frames RATE_LIMIT, the classifier "
		      "agreeing\n", E.covered[MW_R_RATE_LIMIT] - n);
	assert_true(E.covered[MW_R_RATE_LIMIT] > n);

	/* a reload with the same limits keeps the state; new limits of a
	 * system start it afresh */
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s0, &st0), 0);
	assert_true(st0.tat_pkt > 0);
	assert_int_equal(mw_xdp_load_image(x, &r.v, &load_opts, NULL), 0);
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s0, &st1), 0);
	assert_int_equal(st1.tat_pkt, st0.tat_pkt);
	{
		struct mw_image prev = r.img;
		struct mw_image_view pv = r.v;

		memset(&r.img, 0, sizeof(r.img));
		r.b->sys[0].limits.pps = 2 * RATE_PPS;
		assert_int_equal(mw_compile(&r.b->pol, &pv, &r.img,
					    &(struct mw_diag){}), 0);
		assert_int_equal(mw_image_view(r.img.data, r.img.len, &r.v,
					       &(const char *){ NULL }), 0);
		mw_image_free(&prev);
	}
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s1, &st0), 0);
	assert_int_equal(mw_xdp_load_image(x, &r.v, &load_opts, NULL), 0);
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s0, &st1), 0);
	assert_int_equal(st1.tat_pkt + st1.tat_bit, 0);	/* pps changed */
	assert_int_equal(bpf_map_lookup_elem(x->fd[M_SYS_RATE], &s1, &st1), 0);
	assert_int_equal(st1.tat_bit, st0.tat_bit);		/* kept */
	rate_run(x, d0, s0, f4, l4, RATE_K, &run);
	rate_check(&run, MW_NSEC_PER_SEC_ / (2 * RATE_PPS), RATE_K, "pps 200");

	mw_xdp_close(x);
	mw_image_free(&r.img);
	big_free(r.b);
}

/* L14: one 802.1ad tag is never accepted, even of an allowed VID. */
static void test_vlan_8021ad(void **state)
{
	struct mw_iface_spec *ext1 = NULL, saved;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	const char *why = NULL;
	uint8_t buf[FR_MAX];
	size_t len, i;
	struct fspec g = { .family = AF_INET, .src = "203.0.113.20",
			   .dst = "192.0.2.20",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_SYN, .vid = 210 };
	static const struct { int tags; uint16_t tpid, vid; int want; } c[] = {
		{ 0, 0, 0, MW_R_ALLOWED },
		{ 1, FR_ETH_8021Q, 210, MW_R_ALLOWED },
		{ 1, FR_ETH_8021AD, 210, MW_R_VLAN },
		{ 1, FR_ETH_8021Q, 211, MW_R_VLAN },
		{ 1, FR_ETH_8021AD, 211, MW_R_VLAN },
		{ 2, FR_ETH_8021AD, 210, MW_R_VLAN },
		{ 2, FR_ETH_8021Q, 210, MW_R_VLAN },
	};

	(void)state;
	need_env();
	g.smac = src_of("203.0.113.20")->mac;
	for (i = 0; i < E.pol->n_ifaces; i++)
		if (!strcmp(E.pol->ifaces[i].name, "ext1"))
			ext1 = &E.pol->ifaces[i];
	assert_non_null(ext1);
	saved = *ext1;
	ext1->vlans[210 / 8] |= 1u << (210 % 8);
	ext1->n_vlans = 1;
	ext1->untagged = true;
	assert_int_equal(mw_compile(E.pol, &E.v, &img, &diag), 0);
	*ext1 = saved;
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	set_now(E.x, t_normal);
	assert_int_equal(load_policy(E.x, &v, NULL), 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		g.tags = c[i].tags;
		g.tpid = c[i].tpid;
		g.vid = c[i].vid;
		len = build(&g, buf);
		expect_on(E.x, &v, IF_EXT1, buf, len, c[i].want, "802.1ad");
	}
	/* ARP in an 802.1ad tag */
	{
		struct fr fr;

		fr_init(&fr, buf, sizeof(buf));
		fr_eth(&fr, fr_mac_dst, g.smac, FR_ETH_8021AD);
		fr_tag(&fr, 210, 0, FR_ETH_ARP);
		fr_arp(&fr, 1, g.smac, "203.0.113.20", fr_mac_dst, "192.0.2.1");
		expect_on(E.x, &v, IF_EXT1, buf, fr.len, MW_R_VLAN,
			  "802.1ad arp");
		fr_init(&fr, buf, sizeof(buf));
		fr_eth(&fr, fr_mac_dst, g.smac, FR_ETH_8021Q);
		fr_tag(&fr, 210, 0, FR_ETH_ARP);
		fr_arp(&fr, 1, g.smac, "203.0.113.20", fr_mac_dst, "192.0.2.1");
		expect_on(E.x, &v, IF_EXT1, buf, fr.len, MW_R_L2_CONTROL,
			  "802.1q arp");
	}
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	mw_image_free(&img);
}

/*
 * Every reason the inbound datapath can give was given by the program,
 * with the classifier agreeing, somewhere in this run (UNKNOWN_DEST is
 * outbound only, UNSPEC never).
 */
static void test_every_reason(void **state)
{
	int r, missing = 0;

	(void)state;
	need_env();
	for (r = MW_R_UNSPEC + 1; r < __MW_R_LAST; r++) {
		if (r == MW_R_UNKNOWN_DEST || r == MW_R_FLOW)
			continue;	/* outbound / tracked flows: kmod only */
		if (!E.covered[r]) {
			print_message("reason %s: no agreeing frame\n",
				      mw_reason_name(r));
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static int count_flow(const struct mw_flow_key *k, const struct mw_flow *f,
		      void *arg)
{
	size_t *n = arg;

	/* every record names the interface it came in on (ext0 here) */
	if (k->ifindex != E.ifindex[IF_EXT0])
		n[2]++;
	if (f->verdict == MW_VERDICT_PASS && f->reason == MW_R_ALLOWED &&
	    f->conduit != MW_ID_NONE && f->packets > 0)
		n[0]++;
	n[1]++;
	return 0;
}

static int count_event(const struct mw_event *e, void *arg)
{
	size_t *n = arg;

	if (e->verdict == MW_VERDICT_DROP && e->reason != MW_R_UNSPEC)
		(*n)++;
	return 0;
}

static void test_accounting(void **state)
{
	struct mw_xdp_events *ev = NULL;
	struct mw_counter c;
	uint8_t buf[FR_MAX];
	size_t len, flows[3] = { 0, 0, 0 }, events = 0;
	int i;

	(void)state;
	need_env();
	set_now(E.x, t_normal);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	assert_int_equal(mw_xdp_events_open(E.x, count_event, &events, &ev), 0);
	len = hems_udp(buf);
	for (i = 0; i < 5; i++)
		assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	buf[14 + 12 + 3] = 99;	/* now an unknown source */
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_UNKNOWN_SOURCE);
	assert_int_equal(mw_xdp_dev_counter(E.x, dev_id("hems-gw-1"), &c), 0);
	assert_true(c.pass_packets >= 5);
	assert_int_equal(mw_xdp_foreach_flow(E.x, count_flow, flows), 0);
	assert_true(flows[0] >= 1);
	assert_int_equal(flows[2], 0);
	assert_true(mw_xdp_events_poll(ev, 100) >= 0);
	assert_true(events >= 1);
	print_message("flows %zu (allowed %zu), events %zu\n", flows[1],
		      flows[0], events);
	mw_xdp_events_close(ev);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
}

/* ---------------------------------------------------------------------- */
/* the flow table (struct mw_xdp_flow)                                     */

struct flows_seen {
	size_t n;
	struct mw_flow_key k[16];
	struct mw_flow f[16];
};

static int collect_flow(const struct mw_flow_key *k, const struct mw_flow *f,
			void *arg)
{
	struct flows_seen *s = arg;

	if (s->n < 16) {
		s->k[s->n] = *k;
		s->f[s->n] = *f;
	}
	s->n++;
	return 0;
}

/* The record of the flow with these ports, or NULL. */
static const struct mw_flow *seen(const struct flows_seen *s, uint16_t sport,
				  uint16_t dport)
{
	size_t i;

	for (i = 0; i < s->n && i < 16; i++)
		if (s->k[i].sport == htons(sport) && s->k[i].dport == htons(dport))
			return &s->f[i];
	return NULL;
}

static void pin_cpu(int cpu, cpu_set_t *old)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(*old), old), 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* Sleep past a few ticks: flow times have tick resolution. */
static void next_tick(void)
{
	usleep(25000);
}

/*
 * Rows fill in probe order from the home row; when the window is full a
 * new flow takes the row of the least recently seen one; hits update in
 * place; records are exact.  The test thread stays on one CPU, so every
 * packet goes to the same CPU's table.
 */
static void test_flow_table_lru(void **state)
{
	struct mw_xdp_clock clk;
	struct mw_flow_key k;
	struct flows_seen fs = {};
	uint16_t sp[6], dp[6];
	uint8_t buf[FR_MAX];
	uint32_t zero = 0, home, h;
	cpu_set_t old;
	size_t len, n = 0, i;
	int sport, dport;

	(void)state;
	need_env();
	set_now(E.x, t_normal);
	pin_cpu(0, &old);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	assert_int_equal(bpf_map_lookup_elem(E.x->fd[M_CLOCK], &zero, &clk), 0);
	for (i = 0, h = 0; i < MW_XDP_FLOW_SEEDS; i++)
		h |= clk.flow_seed[i];
	assert_true(h != 0);		/* seeded */

	/* the key the program builds, taken from the table */
	len = hems_ports(buf, 40000, 3610);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 1);
	k = fs.k[0];
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	fs.n = 0;
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 0);	/* flushed */

	/* six flows with one home row: the conduit's port and others
	 * (NO_CONDUIT drops of a known device have records too) */
	k.sport = htons(40000);
	k.dport = htons(3610);
	home = mw_xdp_flow_hash(&k, clk.flow_seed, E.x->flow_bits);
	sp[n] = 40000;
	dp[n++] = 3610;
	for (dport = 3611; dport < 3611 + 256 && n < 6; dport++)
		for (sport = 1024; sport < 65536 && n < 6; sport++) {
			k.sport = htons(sport);
			k.dport = htons(dport);
			if (mw_xdp_flow_hash(&k, clk.flow_seed,
					     E.x->flow_bits) == home) {
				sp[n] = sport;
				dp[n++] = dport;
			}
		}
	assert_int_equal(n, 6);

	/* A B C D fill the window (MW_XDP_FLOW_PROBES = 4), A again,
	 * then E takes B's row (the least recently seen) */
	assert_int_equal(MW_XDP_FLOW_PROBES, 4);
	for (i = 0; i < 4; i++) {
		len = hems_ports(buf, sp[i], dp[i]);
		assert_int_equal(judge_one(buf, len, IF_EXT0),
				 i ? MW_R_NO_CONDUIT : MW_R_ALLOWED);
		next_tick();
	}
	len = hems_ports(buf, sp[0], dp[0]);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	next_tick();
	len = hems_ports(buf, sp[4], dp[4]);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	fs.n = 0;
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 4);
	assert_non_null(seen(&fs, sp[0], dp[0]));
	assert_null(seen(&fs, sp[1], dp[1]));		/* evicted */
	assert_non_null(seen(&fs, sp[2], dp[2]));
	assert_non_null(seen(&fs, sp[3], dp[3]));
	assert_non_null(seen(&fs, sp[4], dp[4]));
	{
		const struct mw_flow *a = seen(&fs, sp[0], dp[0]);
		const struct mw_flow *e = seen(&fs, sp[4], dp[4]);

		assert_int_equal(a->packets, 2);
		assert_int_equal(a->bytes, 2 * len);
		assert_true(a->last_ns > a->first_ns);
		assert_int_equal(a->verdict, MW_VERDICT_PASS);
		assert_int_equal(a->reason, MW_R_ALLOWED);
		assert_int_not_equal(a->conduit, MW_ID_NONE);
		assert_int_equal(a->device, dev_id("hems-gw-1"));
		assert_int_equal(e->packets, 1);
		assert_int_equal(e->verdict, MW_VERDICT_DROP);
		assert_int_equal(e->reason, MW_R_NO_CONDUIT);
		assert_int_equal(e->conduit, MW_ID_NONE);
	}
	/* F: C is now the least recently seen */
	next_tick();
	len = hems_ports(buf, sp[5], dp[5]);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	fs.n = 0;
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 4);
	assert_null(seen(&fs, sp[2], dp[2]));
	assert_non_null(seen(&fs, sp[5], dp[5]));
	assert_int_equal(seen(&fs, sp[0], dp[0])->packets, 2);

	/* the seed is kept across config writes (rows stay findable) */
	{
		struct mw_xdp_clock again;
		struct mw_config cfg;

		assert_int_equal(mw_xdp_read_config(E.x, &cfg), 0);
		assert_int_equal(mw_xdp_write_config(E.x, &cfg), 0);
		assert_int_equal(bpf_map_lookup_elem(E.x->fd[M_CLOCK], &zero,
						     &again), 0);
		assert_memory_equal(again.flow_seed, clk.flow_seed,
				    sizeof(clk.flow_seed));
	}
	len = hems_ports(buf, sp[0], dp[0]);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	fs.n = 0;
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 4);
	assert_int_equal(seen(&fs, sp[0], dp[0])->packets, 3);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
}

/* Records of one flow seen on two CPUs are summed into one. */
static void test_flow_two_cpus(void **state)
{
	struct flows_seen fs = {};
	uint8_t buf[FR_MAX];
	cpu_set_t old;
	size_t len;
	int cpu, i;

	(void)state;
	need_env();
	if (libbpf_num_possible_cpus() < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	set_now(E.x, t_normal);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	len = hems_ports(buf, 41000, 3610);
	for (cpu = 0; cpu < 2; cpu++) {
		pin_cpu(cpu, &old);
		for (i = 0; i < 3 + cpu; i++)
			assert_int_equal(judge_one(buf, len, IF_EXT0),
					 MW_R_ALLOWED);
		assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	}
	assert_int_equal(mw_xdp_foreach_flow(E.x, collect_flow, &fs), 0);
	assert_int_equal(fs.n, 1);
	assert_int_equal(fs.f[0].packets, 7);
	assert_int_equal(fs.f[0].bytes, 7 * len);
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
}

/*
 * A flow's row keeps its destination's zones for the policy generation
 * that found them; a new policy that takes the destination out of the
 * conduit's zone drops the flow's next packet, and putting it back
 * passes it again.
 */
static void test_flow_zone_cache(void **state)
{
	struct mw_zone_spec *z = NULL;
	struct mw_prefix saved;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	const char *why;
	uint8_t buf[FR_MAX];
	size_t len, i;
	int k;

	(void)state;
	need_env();
	set_now(E.x, t_normal);
	len = hems_udp(buf);
	for (k = 0; k < 3; k++)		/* the row has the zones now */
		assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	for (i = 0; i < E.pol->n_zones; i++)
		if (!strcmp(E.pol->zones[i].name, "head-end"))
			z = &E.pol->zones[i];
	assert_non_null(z);
	saved = z->prefixes[0];
	assert_int_equal(mw_prefix_parse("192.0.2.11", &z->prefixes[0]), 0);
	assert_int_equal(mw_compile(E.pol, &E.v, &img, &diag), 0);
	z->prefixes[0] = saved;
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	assert_int_equal(load_policy(E.x, &v, NULL), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	mw_image_free(&img);
}

/* mw_config of the pins, read or written whole. */
static int config_rw(struct mw_config *c, bool write)
{
	char path[192];
	__u32 zero = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/mw_config", E.pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = write ? bpf_map_update_elem(fd, &zero, c, BPF_ANY) :
		      bpf_map_lookup_elem(fd, &zero, c);
	close(fd);
	return err;
}

/*
 * M8: a packet reads mw_config field by field, so during a swap it may see
 * the new generation with the old slot.  It must then be judged as the
 * old slot's policy through and through: a flow row must not keep the old
 * slot's zones under the new generation, or later packets of the flow
 * would be judged with them.  The torn read is made by hand here.
 */
static void test_torn_config(void **state)
{
	struct mw_zone_spec *z = NULL;
	struct mw_config good, torn;
	struct mw_prefix saved;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	const char *why;
	uint8_t buf[FR_MAX];
	cpu_set_t old;
	size_t len, i;

	(void)state;
	need_env();
	set_now(E.x, t_normal);
	pin_cpu(0, &old);		/* one CPU's flow rows */
	assert_int_equal(mw_xdp_flush_flows(E.x), 0);
	len = hems_udp(buf);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	/* the new policy takes the destination out of the zone */
	for (i = 0; i < E.pol->n_zones; i++)
		if (!strcmp(E.pol->zones[i].name, "head-end"))
			z = &E.pol->zones[i];
	assert_non_null(z);
	saved = z->prefixes[0];
	assert_int_equal(mw_prefix_parse("192.0.2.11", &z->prefixes[0]), 0);
	assert_int_equal(mw_compile(E.pol, &E.v, &img, &diag), 0);
	z->prefixes[0] = saved;
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	assert_int_equal(load_policy(E.x, &v, NULL), 0);
	assert_int_equal(config_rw(&good, false), 0);
	torn = good;
	torn.slot ^= 1;			/* new generation, old slot */
	assert_int_equal(config_rw(&torn, true), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	assert_int_equal(config_rw(&good, true), 0);
	/* the new policy, not the old zones kept under its generation */
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_NO_CONDUIT);
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	mw_image_free(&img);
}

/* The benchmarks' sink variant judges and counts alike, then drops. */
static void test_sink_variant(void **state)
{
	struct mw_xdp_opts o = { .pin_dir = "", .flags = MW_XDP_F_SINK };
	struct mw_counter c0[__MW_R_LAST], c1[__MW_R_LAST];
	struct xdp_md ctx = { .ingress_ifindex = 0 };
	uint8_t buf[FR_MAX];
	struct mw_xdp *x = NULL;
	char err[512];
	size_t len;

	(void)state;
	need_env();
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	assert_int_equal(load_policy(x, &E.v, NULL), 0);
	len = hems_udp(buf);
	ctx.data_end = (uint32_t)len;
	ctx.ingress_ifindex = E.ifindex[IF_EXT0];
	{
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = buf,
			    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);

		assert_int_equal(mw_xdp_reason_counters(x, c0), 0);
		assert_int_equal(bpf_prog_test_run_opts(mw_xdp_prog_fd(x), &t),
				 0);
		assert_int_equal(t.retval, XDP_DROP_);
		assert_int_equal(mw_xdp_reason_counters(x, c1), 0);
		assert_int_equal(c1[MW_R_ALLOWED].pass_packets,
				 c0[MW_R_ALLOWED].pass_packets + 1);
	}
	/* the production program passes the same frame */
	assert_int_equal(judge_one(buf, len, IF_EXT0), MW_R_ALLOWED);
	mw_xdp_close(x);
}

static void test_attach_detach(void **state)
{
	struct mw_xdp_iface_info info;

	(void)state;
	need_env();
	assert_int_equal(mw_xdp_attach(E.x, "mwt0", MW_XDP_MODE_NATIVE), 0);
	assert_int_equal(mw_xdp_iface_query(E.x, "mwt0", &info), 0);
	assert_true(info.linked && info.ours && info.same_prog);
	assert_int_equal(info.mode, MW_XDP_MODE_NATIVE);
	/* again: the pinned link is updated, not replaced */
	assert_int_equal(mw_xdp_attach(E.x, "mwt0", MW_XDP_MODE_NATIVE), 0);
	assert_int_equal(mw_xdp_attach(E.x, "mwt2", MW_XDP_MODE_SKB), 0);
	assert_int_equal(mw_xdp_iface_query(E.x, "mwt2", &info), 0);
	assert_true(info.ours);
	assert_int_equal(info.mode, MW_XDP_MODE_SKB);
	/* pins cannot go while attached */
	assert_int_equal(mw_xdp_remove_pins(E.x), -EBUSY);
	assert_int_equal(mw_xdp_detach(E.x, "mwt0"), 0);
	assert_int_equal(mw_xdp_detach(E.x, "mwt2"), 0);
	assert_int_equal(mw_xdp_iface_query(E.x, "mwt0", &info), 0);
	assert_false(info.linked || info.prog_id);
	assert_int_equal(mw_xdp_detach(E.x, "mwt0"), -ENOENT);
}

/* ---------------------------------------------------------------------- */
/* benchmarks (printed, not asserted)                                      */


static double ns_per_packet(int prog_fd, unsigned int ifindex,
			    const uint8_t *frame, size_t len, uint32_t repeat)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len,
			      .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		return -1;
	return o.duration;
}

/* MW_BENCH_REPEAT overrides (e.g. small under emulation). */
static uint32_t bench_repeat(void)
{
	const char *r = getenv("MW_BENCH_REPEAT");

	return r && atoi(r) > 0 ? (uint32_t)atoi(r) : 2000000;
}

static void bench_policy(size_t n)
{
	struct mw_xdp_opts o = { .pin_dir = "", .dev_capacity = 131072 };
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	struct mw_xdp *x = NULL;
	struct bigpol *b = big_policy(n);
	const char *why = NULL;
	char err[512], a[32];
	uint8_t buf[FR_MAX];
	struct timespec t0, t1;
	double allowed, blocked, unknown;
	size_t len, dev = n / 2;
	struct fspec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };

	assert_int_equal(mw_compile(&b->pol, NULL, &img, &diag), 0);
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mw_xdp_load_image(x, &v, &load_opts, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	big_addr(dev, a, sizeof(a));
	f.src = a;
	len = build(&f, buf);
	{
		struct judged j;

		assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
		assert_int_equal(j.reason, MW_R_ALLOWED);
	}
	allowed = ns_per_packet(mw_xdp_prog_fd(x), E.ifindex[IF_EXT0], buf,
				len, bench_repeat());
	{
		/* block exactly the device that owns the source */
		uint32_t id = mw_lookup_device(&v, AF_INET,
					       buf + 14 + 12);

		assert_int_equal(mw_xdp_block(x, MW_TARGET_DEVICE, id, 0,
					      MW_BLOCK_OPERATOR), 0);
	}
	blocked = ns_per_packet(mw_xdp_prog_fd(x), E.ifindex[IF_EXT0], buf,
				len, bench_repeat());
	f.src = "10.200.0.1";
	len = build(&f, buf);
	unknown = ns_per_packet(mw_xdp_prog_fd(x), E.ifindex[IF_EXT0], buf,
				len, bench_repeat());
	print_message("bench %6zu devices: allowed+flow %.0f ns, blocked %.0f "
		      "ns, unknown source %.0f ns per packet (load %.0f ms)\n",
		      n, allowed, blocked, unknown,
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
		      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	mw_xdp_close(x);
	mw_image_free(&img);
	big_free(b);
}

static void test_bench(void **state)
{
	struct bare_drop *bd;
	uint8_t buf[FR_MAX];
	size_t len;

	(void)state;
	need_env();
	bd = bare_drop__open_and_load();
	assert_non_null(bd);
	len = hems_udp(buf);
	print_message("bench bare XDP_DROP: %.0f ns per packet\n",
		      ns_per_packet(bpf_program__fd(bd->progs.bare_drop),
				    E.ifindex[IF_EXT0], buf, len,
				    bench_repeat()));
	bare_drop__destroy(bd);
	bench_policy(10);
	bench_policy(100000);
}

/*
 * dev_tab4 placement (meterwall/xdp_abi.h): every key the loader places is found
 * by the program's lookup within MW_XDP_H4_PROBES rows; a key that does
 * not fit is reported (it goes to dev_hash4) and is not found in the
 * table.  1M sequential addresses at the 1M capacity, 100k random ones,
 * and an adversarial set that all share one home row.
 */
static void h4_check(uint32_t cap, const uint32_t *addr, size_t n,
		     size_t max_spill, const char *what)
{
	uint32_t bits = mw_xdp_h4_bits(cap), rows = 1U << bits;
	struct mw_xdp_h4 *tab = calloc(rows + 1, sizeof(*tab));
	uint8_t *spilled = calloc(n, 1);
	size_t i, spill = 0, probes[MW_XDP_H4_PROBES] = { 0 };
	int p;

	assert_non_null(tab);
	assert_non_null(spilled);
	for (i = 0; i < n; i++) {
		p = mw_xdp_h4_place(tab, bits, addr[i], (uint32_t)i + 1);
		assert_true(p < MW_XDP_H4_PROBES);
		if (p < 0) {
			spilled[i] = 1;
			spill++;
		} else {
			probes[p]++;
		}
	}
	for (i = 0; i < n; i++)
		assert_int_equal(mw_xdp_h4_find(tab, bits, addr[i]),
				 spilled[i] ? 0 : (uint32_t)i + 1);
	print_message("dev_tab4 %s: %zu keys in %u rows, %zu spilled, "
		      "placed at probe 0..7: %zu %zu %zu %zu %zu %zu %zu %zu\n",
		      what, n, rows, spill, probes[0], probes[1], probes[2],
		      probes[3], probes[4], probes[5], probes[6], probes[7]);
	assert_true(spill <= max_spill);
	free(tab);
	free(spilled);
}

static void test_h4_probe_bound(void **state)
{
	size_t n = 1U << 20, i;
	uint32_t *a = calloc(n, sizeof(*a)), x = 0x12345678, bits, home;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < n; i++)		/* 10.0.0.0 ... sequential */
		a[i] = htonl(0x0a000000U + (uint32_t)i);
	h4_check(1U << 20, a, n, 0, "1M sequential");
	for (i = 0; i < 100000; i++) {	/* xorshift32, distinct enough */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		a[i] = x;
	}
	h4_check(100000, a, 100000, 100, "100k random");
	/* adversarial: 20 addresses with one home row: 8 fit, 12 spill */
	bits = mw_xdp_h4_bits(1024);
	home = mw_xdp_h4_hash(0x0a000001U) >> (32 - bits);
	for (i = 0, x = 0x0a000001U; i < 20; x++)
		if (mw_xdp_h4_hash(x) >> (32 - bits) == home)
			a[i++] = htonl(x);
	h4_check(1024, a, 20, 12, "20 colliding");
	free(a);
}

/*
 * The program's side of spilled keys: 20 devices whose IPv4 addresses share
 * one home row of the inline table (8 fit, 12 stay in dev_hash4).  Every
 * one must still be found (ALLOWED), a block on a spilled device must hold
 * (BLOCKED), and an address next to them must stay UNKNOWN_SOURCE.
 */
static void test_h4_spill_path(void **state)
{
	struct mw_xdp_opts o = { .pin_dir = "", .dev_capacity = 1024 };
	struct fspec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };
	struct bigpol *b = big_policy(20);
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	struct mw_xdp *x = NULL;
	const char *why = NULL;
	char err[512], a[20][INET_ADDRSTRLEN], miss[INET_ADDRSTRLEN];
	uint32_t bits = mw_xdp_h4_bits(1024), home, addr;
	uint8_t buf[FR_MAX];
	struct judged j;
	size_t i, len;

	(void)state;
	need_env();
	home = mw_xdp_h4_hash(0x0a000001U) >> (32 - bits);
	for (i = 0, addr = 0x0a000001U; i < 20; addr++) {
		uint32_t be = htonl(addr);

		if (mw_xdp_h4_hash(addr) >> (32 - bits) != home)
			continue;
		inet_ntop(AF_INET, &be, a[i], sizeof(a[i]));
		assert_int_equal(mw_prefix_parse(a[i], &b->addrs[i]), 0);
		i++;
	}
	addr = htonl(addr);
	inet_ntop(AF_INET, &addr, miss, sizeof(miss));
	assert_int_equal(mw_compile(&b->pol, NULL, &img, &diag), 0);
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	assert_int_equal(mw_xdp_load_image(x, &v, &load_opts, NULL), 0);
	for (i = 0; i < 20; i++) {
		f.src = a[i];
		len = build(&f, buf);
		assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
		if (j.reason != MW_R_ALLOWED)
			fail_msg("device %zu (%s): reason %d", i, a[i], j.reason);
	}
	f.src = a[19];			/* spilled: placed last */
	len = build(&f, buf);
	assert_int_equal(mw_xdp_block(x, MW_TARGET_DEVICE,
				      mw_lookup_device(&v, AF_INET, buf + 26),
				      0, MW_BLOCK_OPERATOR), 0);
	assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
	assert_int_equal(j.reason, MW_R_BLOCKED);
	f.src = miss;
	len = build(&f, buf);
	assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
	assert_int_equal(j.reason, MW_R_UNKNOWN_SOURCE);
	mw_xdp_close(x);
	mw_image_free(&img);
	big_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_corpus),
		cmocka_unit_test(test_block_survives_reload),
		cmocka_unit_test(test_swap_atomic),
		cmocka_unit_test(test_reopen_pins),
		cmocka_unit_test(test_island),
		cmocka_unit_test(test_clock_offsets),
		cmocka_unit_test(test_policy_expired),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_vlan_8021ad),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_flow_table_lru),
		cmocka_unit_test(test_flow_two_cpus),
		cmocka_unit_test(test_flow_zone_cache),
		cmocka_unit_test(test_torn_config),
		cmocka_unit_test(test_sink_variant),
		cmocka_unit_test(test_attach_detach),
		cmocka_unit_test(test_bench),
		cmocka_unit_test(test_h4_probe_bound),
		cmocka_unit_test(test_h4_spill_path),
		cmocka_unit_test(test_every_reason),
	};

	return cmocka_run_group_tests_name("xdp_diff", tests, group_setup,
					   group_teardown);
}
