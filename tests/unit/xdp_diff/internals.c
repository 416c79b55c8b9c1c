// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's and program's internals: torn config reads, the sink
 * variant, attach/detach, the bench helper, dev_tab4 probing, the
 * verifier's budget.
 */
#include <sys/stat.h>

#include "env.h"

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
void test_torn_config(void **state)
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
void test_sink_variant(void **state)
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

void test_attach_detach(void **state)
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
	struct pg_pol *b = pg_policy(n);
	const char *why = NULL;
	char err[512], a[32];
	uint8_t buf[FR_MAX];
	struct timespec t0, t1;
	double allowed, blocked, unknown;
	size_t len, dev = n / 2;
	struct fr_spec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };

	assert_int_equal(mw_compile(&b->pol, NULL, &img, &diag), 0);
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mw_xdp_load_image(x, &v, &load_opts, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	pg_dev_addr_str(dev, a, sizeof(a));
	f.src = a;
	len = fr_build(&f, buf);
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
	len = fr_build(&f, buf);
	unknown = ns_per_packet(mw_xdp_prog_fd(x), E.ifindex[IF_EXT0], buf,
				len, bench_repeat());
	print_message("bench %6zu devices: allowed+flow %.0f ns, blocked %.0f "
		      "ns, unknown source %.0f ns per packet (load %.0f ms)\n",
		      n, allowed, blocked, unknown,
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
		      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	mw_xdp_close(x);
	mw_image_free(&img);
	pg_policy_free(b);
}

void test_bench(void **state)
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

void test_h4_probe_bound(void **state)
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
	home = mw_xdp_h4_home(0x0a000001U, bits);
	for (i = 0, x = 0x0a000001U; i < 20; x++)
		if (mw_xdp_h4_home(x, bits) == home)
			a[i++] = htonl(x);
	h4_check(1024, a, 20, 12, "20 colliding");
	free(a);
}

/*
 * The program's side of spilled keys: 20 devices whose IPv4 addresses share
 * one home row of the inline table (8 fit, 12 stay in dev_hash4).  Every
 * one must still be found (ALLOWED), a block on a spilled device must hold
 * (BLOCKED), and an address next to them must stay UNKNOWN_SOURCE.  The
 * slot's table is sized to the policy's 20 hosts, not to the capacity.
 * Then two loads of a policy without them (each slot rewritten once): no
 * key of the older policy may stay in either slot's table.
 */
void test_h4_spill_path(void **state)
{
	struct mw_xdp_opts o = { .pin_dir = "", .dev_capacity = 1024 };
	struct fr_spec f = { .family = AF_INET, .dst = "192.0.2.10",
			   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
			   .flags = FR_TCP_ACK };
	struct pg_pol *b = pg_policy(20);
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	struct mw_xdp *x = NULL;
	const char *why = NULL;
	char err[512], a[20][INET_ADDRSTRLEN], miss[INET_ADDRSTRLEN];
	uint32_t bits = mw_xdp_h4_bits(20), home, addr;
	uint8_t buf[FR_MAX];
	struct judged j;
	size_t i, len;

	(void)state;
	need_env();
	home = mw_xdp_h4_home(0x0a000001U, bits);
	for (i = 0, addr = 0x0a000001U; i < 20; addr++) {
		uint32_t be = htonl(addr);

		if (mw_xdp_h4_home(addr, bits) != home)
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
		len = fr_build(&f, buf);
		assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
		if (j.reason != MW_R_ALLOWED)
			fail_msg("device %zu (%s): reason %d", i, a[i], j.reason);
	}
	f.src = a[19];			/* spilled: placed last */
	len = fr_build(&f, buf);
	assert_int_equal(mw_xdp_block(x, MW_TARGET_DEVICE,
				      mw_lookup_device(&v, AF_INET, buf + 26),
				      0, MW_BLOCK_OPERATOR), 0);
	assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
	assert_int_equal(j.reason, MW_R_BLOCKED);
	f.src = miss;
	len = fr_build(&f, buf);
	assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf, len, &j), 0);
	assert_int_equal(j.reason, MW_R_UNKNOWN_SOURCE);
	mw_image_free(&img);
	pg_policy_free(b);
	b = pg_policy(5);
	assert_int_equal(mw_compile(&b->pol, NULL, &img, &diag), 0);
	assert_int_equal(mw_image_view(img.data, img.len, &v, &why), 0);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(mw_xdp_load_image(x, &v, &load_opts, NULL), 0);
		for (i = 0; i < 20; i++) {
			f.src = a[i];
			len = fr_build(&f, buf);
			if (mw_lookup_device(&v, AF_INET, buf + 26) !=
			    MW_ID_NONE)
				continue;	/* in the new policy too */
			assert_int_equal(bpf_judge(x, E.ifindex[IF_EXT0], buf,
						   len, &j), 0);
			if (j.reason != MW_R_UNKNOWN_SOURCE)
				fail_msg("load %d: device %zu (%s) of the old "
					 "policy: reason %d", round, i, a[i],
					 j.reason);
		}
	}
	mw_xdp_close(x);
	mw_image_free(&img);
	pg_policy_free(b);
}

/*
 * The verifier walks at most 1,000,000 instructions of a program
 * (BPF_COMPLEXITY_LIMIT_INSNS) and refuses it beyond: the program then
 * does not load at all, on that kernel.  A change that keeps more state
 * per packet can multiply the walk (one such change took it past the
 * limit on 6.1 while 6.18 stayed at half), so both programs must stay
 * under 90 % of it on the kernel at hand (this test runs on the host and
 * on the 6.1 guest): the margin is seen before it is gone.
 */
#define VERIFIER_LIMIT	1000000u

void test_verifier_budget(void **state)
{
	static const unsigned int flags[] = { 0, MW_XDP_F_SINK };
	size_t i;

	(void)state;
	need_env();
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct mw_xdp_opts o = { .pin_dir = "", .flags = flags[i] };
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		struct mw_xdp *x = NULL;
		char err[512];

		assert_int_equal(mw_xdp_open(&o, &x, err, sizeof(err)), 0);
		assert_int_equal(bpf_obj_get_info_by_fd(mw_xdp_prog_fd(x),
							 &info, &len), 0);
		printf("verifier: %s walked %u instructions (%.0f %% of "
		       "%u)\n", info.name, info.verified_insns,
		       100.0 * info.verified_insns / VERIFIER_LIMIT,
		       VERIFIER_LIMIT);
		assert_true(info.verified_insns > 0);
		assert_true(info.verified_insns < VERIFIER_LIMIT / 10 * 9);
		mw_xdp_close(x);
	}
}

/* Pin an ARRAY map `name' in dir without BPF_F_MMAPABLE (as versions
 * before the flag made dev_tab4 and dev_rec); its flags after. */
static uint32_t pin_plain_array(const char *dir, const char *name,
				uint32_t value_size, uint32_t entries)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	char path[192];
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, value_size, entries,
			    NULL);
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	return info.map_flags;
}

/* The corpus's sources and variants to dst4/dst6[0], on x: how many the
 * program and the reference judged alike, of *n. */
static size_t agree_on(struct mw_xdp *x, size_t *n)
{
	size_t s, k, corpus = E.corpus, agree = E.agree;
	uint8_t buf[FR_MAX];

	for (s = 0; s < E.n_srcs; s++)
		for (k = 0; k < n_variants; k++) {
			const struct src *src = &E.srcs[s];
			size_t len = build_variant(src, src->family == AF_INET ?
						   dst4[0] : dst6[0],
						   &variants[k], buf);

			diff_on(x, &E.v, IF_EXT0, buf, len, "pre-mmap pins");
		}
	*n = E.corpus - corpus;
	return E.agree - agree;
}

/*
 * dev_tab4 and dev_rec are mmapable, a policy's rows copied into them; a
 * pin directory from a version before (the two maps pinned without the
 * flag) is reused as it is (libbpf refuses a pin whose flags differ, which
 * would leave an upgraded host unable to attach), the rows then written
 * by syscall; the program judges as the reference in both slots.
 */
void test_pins_before_mmap(void **state)
{
	char dir[128], err[512], path[192];
	struct mw_xdp_opts o = { .pin_dir = dir,
				 .dev_capacity = E.dev_capacity };
	uint32_t bits = mw_xdp_h4_bits(E.dev_capacity);
	struct bpf_map_info info = {};
	uint32_t ilen = sizeof(info);
	struct mw_xdp *x = NULL;
	size_t n, agree, round;
	int fd;

	(void)state;
	need_env();
	assert_true(E.x->mmapable[M_DEV_TAB4] && E.x->mmapable[M_DEV_REC]);
	clear_blocks();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/meterwall-test-mm-%d",
		 (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pin_plain_array(dir, "dev_tab4",
					 sizeof(struct mw_xdp_h4),
					 MW_XDP_SLOTS << bits), 0);
	assert_int_equal(pin_plain_array(dir, "dev_rec",
					 sizeof(struct mw_xdp_dev),
					 MW_XDP_SLOTS * E.dev_capacity), 0);
	if (mw_xdp_open(&o, &x, err, sizeof(err)))
		fail_msg("open on pins before mmap: %s", err);
	assert_false(x->mmapable[M_DEV_TAB4]);
	assert_false(x->mmapable[M_DEV_REC]);
	set_now(x, t_normal);
	for (round = 0; round < 2; round++) {	/* slot 0, then slot 1 */
		assert_int_equal(load_policy(x, &E.v, NULL), 0);
		agree = agree_on(x, &n);
		assert_int_equal(agree, n);
		assert_true(n >= E.n_srcs * n_variants);
	}
	snprintf(path, sizeof(path), "%s/dev_rec", dir);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &ilen), 0);
	assert_int_equal(info.map_flags & BPF_F_MMAPABLE, 0);
	close(fd);
	assert_int_equal(mw_xdp_remove_pins(x), 0);
	mw_xdp_close(x);
}
