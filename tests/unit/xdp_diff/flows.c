// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting: counters, events, the flow table (LRU, two CPUs, the zone
 * cache).
 */
#include "env.h"

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

void test_accounting(void **state)
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

void pin_cpu(int cpu, cpu_set_t *old)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(*old), old), 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* Sleep past a few ticks: flow times have tick resolution. */
void next_tick(void)
{
	usleep(25000);
}

/*
 * Rows fill in probe order from the home row; when the window is full a
 * new flow takes the row of the least recently seen one; hits update in
 * place; records are exact.  The test thread stays on one CPU, so every
 * packet goes to the same CPU's table.
 */
struct export_seen {
	size_t n;
	struct mw_flow_export last;
};

static int on_export(const struct mw_flow_export *e, void *arg)
{
	struct export_seen *x = arg;

	x->n++;
	x->last = *e;
	return 0;
}

void test_flow_table_lru(void **state)
{
	struct export_seen xp = { 0 };
	struct mw_xdp_events *ring;
	struct mw_xdp_clock clk;
	struct mw_flow_key k;
	struct flows_seen fs = {};
	uint16_t sp[6], dp[6];
	uint8_t buf[FR_MAX];
	uint32_t zero = 0, home, h;
	cpu_set_t old;
	size_t len, n = 0, i;
	uint64_t ev0, ev1;
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
	 * then E takes B's row (the least recently seen): one eviction */
	assert_int_equal(MW_XDP_FLOW_PROBES, 4);
	assert_int_equal(mw_xdp_flow_evictions(E.x, &ev0), 0);
	assert_int_equal(mw_xdp_flow_export_open(E.x, on_export, &xp, &ring), 0);
	mw_xdp_events_poll(ring, 0);		/* earlier tests' evictions */
	xp.n = 0;
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
	assert_int_equal(mw_xdp_flow_evictions(E.x, &ev1), 0);
	assert_int_equal(ev1 - ev0, 1);		/* and counted */
	/* and B's row as it was went out first, for its record */
	assert_int_equal(mw_xdp_events_poll(ring, 0), 1);
	assert_int_equal(xp.n, 1);
	assert_int_equal(ntohs(xp.last.key.sport), sp[1]);
	assert_int_equal(ntohs(xp.last.key.dport), dp[1]);
	assert_int_equal(xp.last.f.packets, 1);
	assert_int_equal(xp.last.f.verdict, MW_VERDICT_DROP);
	assert_int_equal(xp.last.f.reason, MW_R_NO_CONDUIT);
	assert_int_equal(xp.last.f.device, dev_id("hems-gw-1"));
	mw_xdp_events_close(ring);
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

/* Records of one flow seen on two CPUs are summed into one, and so are
 * the device's counters (each CPU has its row of dev_counters). */
void test_flow_two_cpus(void **state)
{
	struct flows_seen fs = {};
	struct mw_counter c0, c1, *all;
	uint8_t buf[FR_MAX];
	uint32_t dev;
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
	dev = dev_id("hems-gw-1");
	assert_int_equal(mw_xdp_dev_counter(E.x, dev, &c0), 0);
	for (cpu = 0; cpu < 2; cpu++) {
		pin_cpu(cpu, &old);
		for (i = 0; i < 3 + cpu; i++)
			assert_int_equal(judge_one(buf, len, IF_EXT0),
					 MW_R_ALLOWED);
		assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	}
	assert_int_equal(mw_xdp_dev_counter(E.x, dev, &c1), 0);
	assert_int_equal(c1.pass_packets - c0.pass_packets, 7);
	assert_int_equal(c1.pass_bytes - c0.pass_bytes, 7 * len);
	all = calloc(dev + 1, sizeof(*all));
	assert_non_null(all);
	assert_int_equal(mw_xdp_dev_counters(E.x, all, dev + 1), 0);
	assert_memory_equal(&all[dev], &c1, sizeof(c1));
	free(all);
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
void test_flow_zone_cache(void **state)
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
