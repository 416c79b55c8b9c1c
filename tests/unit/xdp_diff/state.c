// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime state in XDP against the reference classifier: blocks across
 * reloads, the atomic swap, pinned maps reopened, island, the clock,
 * policy expiry, rate limits, 802.1ad.
 */
#include "env.h"

void test_block_survives_reload(void **state)
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

void test_swap_atomic(void **state)
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
void test_reopen_pins(void **state)
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

void test_island(void **state)
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

void test_clock_offsets(void **state)
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
		struct fr_spec f = { .family = AF_INET, .src = "198.51.100.65",
				   .dst = "192.0.2.10", .proto = IPPROTO_TCP,
				   .sport = 40000, .dport = 8883,
				   .flags = FR_TCP_SYN };

		le = fr_build(&f, ev);
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
void test_policy_expired(void **state)
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
		struct fr_spec g = { .family = AF_INET, .src = "198.51.100.10",
				   .dst = "192.0.2.10", .smac = hems->mac,
				   .proto = IPPROTO_UDP, .sport = 40000,
				   .dport = 3610, .tags = i == 2 ? 2 : 1,
				   .tpid = i == 0 ? FR_ETH_8021Q :
					   FR_ETH_8021AD,
				   .vid = 210 };

		len[n] = fr_build(&g, f[n]);
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
/* The batched read of devices [0, n) equals one lookup each (a chunk of
 * 4096 spans them in one call here; the tick of meterwalld relies on it). */
static void batch_agrees(struct mw_xdp *x, uint32_t n)
{
	struct mw_counter *all = calloc(n, sizeof(*all)), one;
	uint32_t i;

	assert_non_null(all);
	assert_int_equal(mw_xdp_dev_counters(x, all, n), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(mw_xdp_dev_counter(x, i, &one), 0);
		assert_memory_equal(&all[i], &one, sizeof(one));
	}
	assert_int_equal(mw_xdp_dev_counters(x, all, x->dev_capacity + 1),
			 -ERANGE);
	free(all);
}

struct walked {
	uint32_t ids[8];
	size_t n;
};

static int walk_one(enum mw_target kind, uint32_t id, const struct mw_block *b,
		    void *arg)
{
	struct walked *w = arg;

	if (kind == MW_TARGET_DEVICE && w->n < 8 && b->active)
		w->ids[w->n++] = id;
	return 0;
}

/* The batched walk of the block maps finds blocks on both sides of its
 * chunks (4,096) and at the last id, and nothing else. */
static void blocks_walk_agrees(struct mw_xdp *x)
{
	const uint32_t ids[] = { 1, 4095, 4096, x->dev_capacity - 1 };
	struct walked w = { .n = 0 };
	size_t i;

	for (i = 0; i < 4; i++)
		assert_int_equal(mw_xdp_block(x, MW_TARGET_DEVICE, ids[i], 0,
					      MW_BLOCK_OPERATOR), 0);
	assert_int_equal(mw_xdp_foreach_block(x, walk_one, &w), 0);
	assert_int_equal(w.n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(w.ids[i], ids[i]);
	for (i = 0; i < 4; i++)
		assert_int_equal(mw_xdp_unblock(x, MW_TARGET_DEVICE, ids[i]), 0);
	w.n = 0;
	assert_int_equal(mw_xdp_foreach_block(x, walk_one, &w), 0);
	assert_int_equal(w.n, 0);
}

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

/* The pg_policy() of the benchmarks with 3 systems of limits. */
struct ratepol {
	struct pg_pol *b;
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
void test_rate_limit(void **state)
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
	struct fr_spec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };

	(void)state;
	need_env();
	r.b = pg_policy(3 * PG_PER_SYS);
	assert_int_equal(mw_prefix_parse("192.0.2.10", &r.zone_pfx[0]), 0);
	assert_int_equal(mw_prefix_parse("2001:db8:10::10", &r.zone_pfx[1]), 0);
	r.b->zone.prefixes = r.zone_pfx;
	r.b->zone.n_prefixes = 2;
	assert_int_equal(mw_prefix_parse("2001:db8:77::1",
					 &r.b->addrs[PG_PER_SYS]), 0);
	ratepol_compile(&r, RATE_PPS, NULL);
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	assert_int_equal(mw_xdp_load_image(x, &r.v, &load_opts, NULL), 0);
	d0 = mw_image_device_by_name(&r.v, "d0")->id;
	d1 = mw_image_device_by_name(&r.v, "d1000")->id;
	d2 = mw_image_device_by_name(&r.v, "d2000")->id;
	s0 = mw_image_system_by_name(&r.v, "sys0")->id;
	s1 = mw_image_system_by_name(&r.v, "sys1")->id;
	s2 = mw_image_system_by_name(&r.v, "sys2")->id;

	pg_dev_addr_str(0, a, sizeof(a));
	f.src = a;
	l4 = fr_build(&f, f4);
	pg_dev_addr_str(2 * PG_PER_SYS, a, sizeof(a));
	f.src = a;
	lu = fr_build(&f, fu);
	f.family = AF_INET6;
	f.src = "2001:db8:77::1";
	f.dst = "2001:db8:10::10";
	l6 = fr_build(&f, f6);
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
	/* last: many lookups take a while (the rate checks above must not
	 * wait for them) */
	batch_agrees(x, x->dev_capacity);
	blocks_walk_agrees(x);

	mw_xdp_close(x);
	mw_image_free(&r.img);
	pg_policy_free(r.b);
}

/* L14: one 802.1ad tag is never accepted, even of an allowed VID. */
void test_vlan_8021ad(void **state)
{
	struct mw_iface_spec *ext1, saved;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	const char *why = NULL;
	uint8_t buf[FR_MAX];
	size_t len, i;
	struct fr_spec g = { .family = AF_INET, .src = "203.0.113.20",
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
	ext1 = policy_iface("ext1");
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
		len = fr_build(&g, buf);
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
