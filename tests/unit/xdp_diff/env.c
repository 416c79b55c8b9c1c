// SPDX-License-Identifier: GPL-2.0
/* The XDP differential test's environment and judging (env.h). */
#include "env.h"

const char *const if_policy[IF_N] = { "ext0", "ext1", "sm0", NULL };
const char *const if_host[IF_N] = { "mwt0", "mwt2", "mwt1", "lo" };


struct env E;

int64_t t_normal;	/* Wed 2027-03-03 10:30 JST: all valid */

/* ---------------------------------------------------------------------- */
/* environment                                                             */

int64_t unix_ns(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm) * 1000000000LL;
}

int64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Make the datapath's clock read `when' now, for windows and valid_from
 * and for expiries alike (the largest offset reset to it).
 */
void set_now(struct mw_xdp *x, int64_t when)
{
	assert_int_equal(mw_xdp_set_clock(x, when - boot_ns(), true), 0);
}

/* ... for windows and valid_from only; expiries keep the largest. */
void set_wall(struct mw_xdp *x, int64_t when)
{
	assert_int_equal(mw_xdp_set_clock(x, when - boot_ns(), false), 0);
}

unsigned int resolve(const char *name, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < IF_N; i++)
		if (if_policy[i] && !strcmp(name, if_policy[i]))
			return E.ifindex[i];
	return 0;
}

int env_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(E.why, sizeof(E.why), fmt, ap);
	va_end(ap);
	E.ok = false;
	return 0;	/* tests skip (or fail under CI) one by one */
}

const struct mw_xdp_load_opts load_opts = { .ifindex = resolve };

int load_policy(struct mw_xdp *x, const struct mw_image_view *v,
		struct mw_xdp_load_result *res)
{
	struct mw_xdp_load_opts o = load_opts;

	o.boot_to_unix_ns = t_normal - boot_ns();
	return mw_xdp_load_image(x, v, &o, res);
}

/* Addresses of the image's devices, plus unknown sources. */
void collect_sources(void)
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

int group_setup(void **state)
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

int group_teardown(void **state)
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

void need_env(void)
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


int bpf_judge(struct mw_xdp *x, unsigned int ifindex,
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
void rate_sync(struct mw_xdp *x, const struct mw_image_view *v)
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
void ref_judge(const struct mw_config *cfg,
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
uint32_t iface_in(const struct mw_image_view *v, int ifs)
{
	const struct mw_img_iface *f;

	if (v == &E.v)
		return E.iface_id[ifs];
	f = v && if_policy[ifs] ? mw_image_iface_by_name(v, if_policy[ifs]) :
				  NULL;
	return f ? f->id : 0xfffe;
}

/* One corpus frame: both judges, compare, count.  The program's reason. */
int diff_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
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

void diff(int ifs, const uint8_t *frame, size_t len, const char *label)
{
	diff_on(E.x, &E.v, ifs, frame, len, label);
}

/* ---------------------------------------------------------------------- */
/* frame construction                                                      */


const char *const dst4[] = {
	"192.0.2.10", "192.0.2.20", "192.0.2.33", "192.0.2.130", "10.9.9.9",
};
const char *const dst6[] = {
	"2001:db8:10::10", "2001:db8:10::20", "2001:db8:30::5",
	"2001:db8:20::5", "2001:db8:99::1",
};

const struct variant variants[] = {
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
const size_t n_variants = sizeof(variants) / sizeof(variants[0]);

size_t build_variant(const struct src *s, const char *dst,
		     const struct variant *va, uint8_t *buf)
{
	struct fr_spec f = {
		.family = s->family, .src = s->addr, .dst = dst,
		.smac = s->mac, .proto = va->proto, .sport = va->sport,
		.dport = va->dport, .flags = va->flags,
		.type = s->family == AF_INET ? va->type4 : va->type6,
	};

	return fr_build(&f, buf);
}

/* sources x destinations x variants on the given interfaces */
void product(const int *ifs, size_t n_ifs, size_t max_srcs,
	     const char *tag)
{
	uint8_t buf[FR_MAX];
	char label[160];
	size_t s, d, k, i;

	for (s = 0; s < E.n_srcs && s < max_srcs; s++) {
		const struct src *src = &E.srcs[s];
		const char *const *dsts = src->family == AF_INET ? dst4 : dst6;

		for (d = 0; d < 5; d++)
			for (k = 0; k < n_variants; k++) {
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
void truncations(int ifs, const uint8_t *frame, size_t len,
		 const char *name)
{
	char label[96];
	size_t l;

	for (l = 14; l <= len; l++) {
		snprintf(label, sizeof(label), "truncated %s", name);
		diff(ifs, frame, l, label);
	}
}

const struct src *src_of(const char *addr)
{
	size_t i;

	for (i = 0; i < E.n_srcs; i++)
		if (!strcmp(E.srcs[i].addr, addr))
			return &E.srcs[i];
	fail_msg("no source %s in the corpus", addr);
	return NULL;
}

/* The policy's interface called name (E.pol: change it, compile). */
struct mw_iface_spec *policy_iface(const char *name)
{
	size_t i;

	for (i = 0; i < E.pol->n_ifaces; i++)
		if (!strcmp(E.pol->ifaces[i].name, name))
			return &E.pol->ifaces[i];
	fail_msg("no interface %s in the policy", name);
	return NULL;
}

/* The corpus's sources as attacks.h takes them: how many (at most max). */
size_t attack_sources(struct attack_src *as, size_t max)
{
	size_t i;

	for (i = 0; i < E.n_srcs && i < max; i++) {
		as[i].family = E.srcs[i].family;
		as[i].addr = E.srcs[i].addr;
		as[i].mac = E.srcs[i].mac;
	}
	return i;
}

uint32_t dev_id(const char *name)
{
	const struct mw_img_device *d = mw_image_device_by_name(&E.v, name);

	assert_non_null(d);
	return d->id;
}

uint32_t sys_id(const char *name)
{
	const struct mw_img_system *s = mw_image_system_by_name(&E.v, name);

	assert_non_null(s);
	return s->id;
}


void clear_blocks(void)
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

void block(enum mw_target kind, uint32_t id, uint64_t until)
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

int judge_one(const uint8_t *frame, size_t len, int ifs)
{
	struct judged b;

	assert_int_equal(bpf_judge(E.x, E.ifindex[ifs], frame, len, &b), 0);
	return b.reason;
}

/* A HEMS UDP frame with these ports (dport 3610 is its conduit). */
size_t hems_ports(uint8_t *buf, uint16_t sport, uint16_t dport)
{
	const struct src *hems = src_of("198.51.100.10");
	struct fr_spec f = { .family = AF_INET, .src = hems->addr,
			   .dst = "192.0.2.10", .smac = hems->mac,
			   .proto = IPPROTO_UDP, .sport = sport,
			   .dport = dport };

	return fr_build(&f, buf);
}

size_t hems_udp(uint8_t *buf)
{
	return hems_ports(buf, 40000, 3610);
}




/* ---------------------------------------------------------------------- */
/* time base, policy expiry, rate limits, 802.1ad                          */

/* The datapath's reason for the frame, which the classifier shares. */
int expect_on(struct mw_xdp *x, const struct mw_image_view *v, int ifs,
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

int expect(int ifs, const uint8_t *frame, size_t len, int want,
	   const char *label)
{
	return expect_on(E.x, &E.v, ifs, frame, len, want, label);
}

size_t frame_of(const char *src, const char *dst, uint8_t proto,
		uint16_t dport, uint8_t *buf)
{
	const struct src *s = src_of(src);
	struct fr_spec f = { .family = s->family, .src = src, .dst = dst,
			   .smac = s->mac, .proto = proto, .sport = 40000,
			   .dport = dport, .flags = FR_TCP_SYN };

	return fr_build(&f, buf);
}

/* Both offsets as the datapath holds them. */
void clock_of(struct mw_xdp *x, int64_t *cur, int64_t *max)
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
