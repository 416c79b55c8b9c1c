// SPDX-License-Identifier: GPL-2.0
/*
 * xdp-testrun: ns per packet of the XDP program by BPF_PROG_TEST_RUN
 * (the kernel-reported duration), for every path at several policy sizes,
 * with bare XDP_DROP measured in the same run as the floor.
 *
 *   xdp-testrun [-r runs] [-n repeat] [-d 10,1000,...] [-p blocked,...]
 *               [-o csv] [-F flags] [-W]
 *
 * Paths (each verdict and reason is checked before it is timed):
 *   bare       bpf/bare_drop.bpf.c
 *   blocked    a blocked device (device block), TCP/443: DROP BLOCKED
 *   unknown    source that is no device: DROP UNKNOWN_SOURCE
 *   allowed    TCP/443 from a device, flow record exists: PASS ALLOWED
 *   newflow    as allowed, but a new source port every packet, so every
 *              packet creates a flow record (repeat 1 per call, so the
 *              figure includes one timer read; compare with bare1, bare
 *              drop measured the same way)
 *   ipv6x      IPv6 + destination options + TCP/443: PASS ALLOWED
 * Ratios: pps ratio to bare = bare_ns / path_ns (medians); scaling = the
 * median over the runs of each run's ns at this size / its ns at the
 * smallest size.  A run measures one path at every size in turn before
 * the next path (the first size rotating from run to run), so the two
 * figures of a run's ratio are seconds apart and drift on a shared
 * machine falls on both.  The kernel reports whole ns per packet; -W
 * takes the wall clock around each repeated run instead (the syscall's
 * share is 1 us in repeat), for differences below a ns between two builds
 * on a quiet machine (time the thread was preempted counts too).
 * The allowed and ipv6x runs start from an empty flow table (their first
 * packet takes its flow's home row): the newflow runs fill the table of
 * their size's instance, and those flows' rows were then 0 to 3 probes
 * from home by the luck of the table's state (79 to 93 ns for the same
 * allowed packet, at any size), no function of the policy's size.
 * newflow then runs on the table the allowed run's flush left with one
 * flow, and fills it (its later packets evict).
 */
#include <getopt.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench.h"
#include "compile.h"
#include "xdp.h"
#include "classify.h"
#include "bare_drop.skel.h"

enum path { P_BARE, P_BARE1, P_BLOCKED, P_UNKNOWN, P_ALLOWED, P_NEWFLOW,
	    P_IPV6X, P__N };
static const char *const path_name[P__N] = {
	"bare", "bare1", "blocked", "unknown", "allowed", "newflow", "ipv6x",
};
static const int path_reason[P__N] = {
	-1, -1, MW_R_BLOCKED, MW_R_UNKNOWN_SOURCE, MW_R_ALLOWED, MW_R_ALLOWED,
	MW_R_ALLOWED,
};

#define MAX_SIZES 8
#define MAX_RUNS 64

static unsigned int runs = 5, repeat = 1000000, newflow_pkts = 200000;
static size_t sizes[MAX_SIZES] = { 10, 1000, 100000, 1000000 };
static size_t n_sizes = 4;
static unsigned int open_flags;
static const unsigned int IFINDEX = 1;	/* lo: test_run needs a device */
static bool wall;	/* -W */
static unsigned int path_mask = (1U << P__N) - 1;	/* -p */

static unsigned int resolve(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "ext0") == 0 ? IFINDEX : 0;
}

/* One test_run; returns the kernel's ns per packet, *ret the verdict. */
static double run_once(int fd, const uint8_t *frame, size_t len,
		       uint32_t rep, uint32_t *ret)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len,
			      .ingress_ifindex = IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = rep);
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bpf_prog_test_run_opts(fd, &o) < 0)
		bench_die("test_run: %s", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret)
		*ret = o.retval;
	if (wall && rep > 1)
		return ((t1.tv_sec - t0.tv_sec) * 1e9 +
			(double)(t1.tv_nsec - t0.tv_nsec)) / rep;
	return o.duration;
}

/* newflow: one packet per call, a new source port each time. */
static double run_newflow(int fd, uint8_t *frame, size_t len,
			  uint16_t *port, bool vary)
{
	double sum = 0;
	unsigned int i;

	for (i = 0; i < newflow_pkts; i++) {
		uint16_t p = htons(++*port ? *port : ++*port);

		if (vary)
			memcpy(frame + 14 + 20, &p, 2);
		sum += run_once(fd, frame, len, 1, NULL);
	}
	return sum / newflow_pkts;
}

static uint64_t reason_count(struct mw_xdp *x, int reason)
{
	struct mw_counter c[__MW_R_LAST];

	if (mw_xdp_reason_counters(x, c))
		bench_die("reason counters: %s", mw_xdp_errmsg(x));
	return c[reason].pass_packets + c[reason].drop_packets;
}

/* Judge the frame once and check verdict and reason. */
static void check(struct mw_xdp *x, enum path p, const uint8_t *frame,
		  size_t len)
{
	uint64_t before = reason_count(x, path_reason[p]);
	uint32_t ret;

	run_once(mw_xdp_prog_fd(x), frame, len, 1, &ret);
	if (reason_count(x, path_reason[p]) != before + 1 ||
	    ret != (path_reason[p] <= MW_R_L2_CONTROL ? XDP_PASS : XDP_DROP))
		bench_die("%s: wrong verdict %u or reason", path_name[p], ret);
}

struct result {
	size_t devices;
	enum path path;
	struct bench_stat s;
	double scale;		/* median of the runs' own size ratios */
};
static struct result results[MAX_SIZES * P__N];
static size_t n_results;

/* v[] (sorted by this), and the runs' ratios of v to the smallest size's
 * small[] (taken before either is sorted). */
static void record(size_t devices, enum path p, double *v,
		   const double *small, unsigned int n)
{
	struct result *r = &results[n_results++];
	double ratio[MAX_RUNS];
	unsigned int i;

	for (i = 0; i < n; i++)
		ratio[i] = small[i] > 0 ? v[i] / small[i] : 0;
	r->devices = devices;
	r->path = p;
	r->scale = bench_stats(ratio, n).median;
	r->s = bench_stats(v, n);
}

/* One policy size: its program, frames and timings. */
struct size_bench {
	size_t n;
	struct mw_xdp *x;
	struct mw_image img;
	uint8_t fr[P__N][128];
	size_t len[P__N];
	double t[P__N][MAX_RUNS];
	uint16_t port;
};
static struct size_bench sb[MAX_SIZES];

static void size_setup(struct size_bench *s)
{
	struct mw_xdp_opts o = { .pin_dir = "", .dev_capacity = 1U << 20,
				 .flags = open_flags };
	struct mw_xdp_load_opts lo = { .ifindex = resolve };
	struct mw_image_view v;
	struct mw_diag diag;
	struct pg_pol *b = pg_policy(s->n);
	const char *why = NULL;
	char err[512];
	uint32_t head = inet_addr("192.0.2.10"), dev_addr, blk_addr, id;
	size_t n = s->n;
	int p;

	if (mw_compile(&b->pol, NULL, &s->img, &diag))
		bench_die("compile %zu: %s", n, diag.msg);
	pg_policy_free(b);
	if (mw_image_view(s->img.data, s->img.len, &v, &why))
		bench_die("image: %s", why);
	if (mw_xdp_open(&o, &s->x, err, sizeof(err)))
		bench_die("open: %s", err);
	if (mw_xdp_load_image(s->x, &v, &lo, NULL))
		bench_die("load: %s", mw_xdp_errmsg(s->x));

	dev_addr = pg_dev_addr(n / 2);	/* allowed */
	blk_addr = pg_dev_addr(n / 2 + 1 < n ? n / 2 + 1 : 0);
	s->len[P_BLOCKED] = bench_frame4(s->fr[P_BLOCKED], blk_addr, head,
					 IPPROTO_TCP, 40000, 443);
	s->len[P_UNKNOWN] = bench_frame4(s->fr[P_UNKNOWN],
					 inet_addr("11.0.0.1"), head,
					 IPPROTO_TCP, 40000, 443);
	s->len[P_ALLOWED] = bench_frame4(s->fr[P_ALLOWED], dev_addr, head,
					 IPPROTO_TCP, 40000, 443);
	s->len[P_NEWFLOW] = bench_frame4(s->fr[P_NEWFLOW], dev_addr, head,
					 IPPROTO_TCP, 40001, 443);
	s->len[P_IPV6X] = bench_frame6x(s->fr[P_IPV6X], "2001:db8:1::1",
					"2001:db8:10::10", 40000, 443);
	id = mw_lookup_device(&v, AF_INET, (const uint8_t *)&blk_addr);
	if (id == MW_ID_NONE ||
	    mw_xdp_block(s->x, MW_TARGET_DEVICE, id, 0, MW_BLOCK_OPERATOR))
		bench_die("block");
	for (p = P_BLOCKED; p < P__N; p++)
		check(s->x, p, s->fr[p], s->len[p]);
	s->port = 1024;
}

/* Run r of path p at one size (bare: with the allowed path's frame). */
static void size_run(struct size_bench *s, enum path p, unsigned int r,
		     int bare_fd)
{
	int fd = mw_xdp_prog_fd(s->x);

	if ((p == P_ALLOWED || p == P_IPV6X) && mw_xdp_flush_flows(s->x))
		bench_die("flush the flow table: %s", mw_xdp_errmsg(s->x));
	if (p == P_BARE)
		s->t[p][r] = run_once(bare_fd, s->fr[P_ALLOWED],
				      s->len[P_ALLOWED], repeat, NULL);
	else if (p == P_BARE1 || p == P_NEWFLOW)
		s->t[p][r] = run_newflow(p == P_BARE1 ? bare_fd : fd,
					 s->fr[P_NEWFLOW], s->len[P_NEWFLOW],
					 &s->port, p == P_NEWFLOW);
	else
		s->t[p][r] = run_once(fd, s->fr[p], s->len[p], repeat, NULL);
}

/* Every size's results; then the smallest size's (its own ratios, 1). */
static void sizes_done(void)
{
	size_t i;
	int p;

	for (i = n_sizes; i-- > 0;) {
		for (p = 0; p < P__N; p++)
			if (path_mask & 1U << p)
				record(sb[i].n, p, sb[i].t[p], sb[0].t[p], runs);
		mw_xdp_close(sb[i].x);
		mw_image_free(&sb[i].img);
	}
}

static const struct result *find(size_t devices, enum path p)
{
	size_t i;

	for (i = 0; i < n_results; i++)
		if (results[i].devices == devices && results[i].path == p)
			return &results[i];
	return NULL;
}

static void report(const char *csv)
{
	FILE *f = csv ? fopen(csv, "w") : NULL;
	size_t i;

	if (csv && !f)
		bench_die("%s: %s", csv, strerror(errno));
	printf("\nxdp-testrun: ns/packet, median of %u runs [min..max]; "
	       "repeat %u (newflow/bare1: %u calls of 1)\n", runs, repeat,
	       newflow_pkts);
	printf("%-9s %-8s %9s %17s %9s %8s\n", "devices", "path", "median",
	       "[min..max]", "xbare", "scaling");
	if (f)
		fprintf(f, "devices,path,median_ns,min_ns,max_ns,"
			"ratio_vs_bare,scaling_vs_smallest\n");
	for (i = 0; i < n_sizes * P__N; i++) {
		const struct result *r = find(sizes[i / P__N], i % P__N);
		const struct result *bare;
		double ratio, scale;
		char mm[40];

		if (!r)
			continue;	/* not asked for (-p) */
		bare = find(r->devices, r->path == P_NEWFLOW ||
			    r->path == P_BARE1 ? P_BARE1 : P_BARE);
		ratio = bare->s.median / r->s.median;
		scale = r->scale;
		snprintf(mm, sizeof(mm), wall ? "[%.2f..%.2f]" : "[%.0f..%.0f]",
			 r->s.min, r->s.max);
		printf(wall ? "%-9zu %-8s %9.2f %17s %9.3f %8.3f\n" :
		       "%-9zu %-8s %9.1f %17s %9.3f %8.3f\n", r->devices,
		       path_name[r->path], r->s.median, mm, ratio, scale);
		if (f)
			fprintf(f, "%zu,%s,%.1f,%.1f,%.1f,%.4f,%.4f\n",
				r->devices, path_name[r->path], r->s.median,
				r->s.min, r->s.max, ratio, scale);
	}
	if (f)
		fclose(f);
}

/* -p: the paths to measure; bare (and bare1 with newflow) always. */
static void parse_paths(char *s)
{
	char *tok, *save = NULL;
	int p;

	path_mask = 1U << P_BARE;
	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (p = 0; p < P__N && strcmp(tok, path_name[p]); p++)
			;
		if (p == P__N)
			bench_die("-p: no path %s", tok);
		path_mask |= 1U << p;
	}
	if (path_mask & 1U << P_NEWFLOW)
		path_mask |= 1U << P_BARE1;
}

static void parse_sizes(char *s)
{
	char *tok, *save = NULL;

	n_sizes = 0;
	for (tok = strtok_r(s, ",", &save); tok && n_sizes < MAX_SIZES;
	     tok = strtok_r(NULL, ",", &save))
		sizes[n_sizes++] = strtoul(tok, NULL, 0);
	if (!n_sizes)
		bench_die("no sizes");
}

int main(int argc, char **argv)
{
	const char *csv = NULL;
	struct bare_drop *bd;
	cpu_set_t set;
	unsigned int r;
	size_t i;
	int c;

	while ((c = getopt(argc, argv, "r:n:N:d:p:o:F:W")) != -1) {
		switch (c) {
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'n': repeat = strtoul(optarg, NULL, 0); break;
		case 'N': newflow_pkts = strtoul(optarg, NULL, 0); break;
		case 'd': parse_sizes(optarg); break;
		case 'p': parse_paths(optarg); break;
		case 'o': csv = optarg; break;
		case 'F': open_flags = strtoul(optarg, NULL, 0); break;
		case 'W': wall = true; break;
		default:
			fprintf(stderr, "usage: %s [-r runs] [-n repeat] "
				"[-N newflow-packets] [-d sizes] [-p paths] "
				"[-o csv] "
				"[-F open-flags] [-W]\n", argv[0]);
			return 2;
		}
	}
	if (!runs || runs > MAX_RUNS || !repeat || !newflow_pkts)
		bench_die("bad -r/-n/-N");
	CPU_ZERO(&set);		/* one CPU: per-CPU maps stay warm */
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	bd = bare_drop__open_and_load();
	if (!bd)
		bench_die("cannot load bare_drop");
	/* every size loaded first; then each run takes each path at all
	 * sizes in turn, so a burst of load from elsewhere on this shared
	 * machine falls on every size alike instead of on one */
	for (i = 0; i < n_sizes; i++) {
		fprintf(stderr, "xdp-testrun: %zu devices...\n", sizes[i]);
		sb[i].n = sizes[i];
		size_setup(&sb[i]);
	}
	for (r = 0; r < runs; r++) {
		double busy = bench_quiet();	/* each round on a quiet machine */
		int p;

		fprintf(stderr, "xdp-testrun: round %u of %u (the rest of the "
			"machine %.0f%% busy)\n", r + 1, runs, busy * 100);
		for (p = 0; p < P__N; p++)
			for (i = 0; (path_mask & 1U << p) && i < n_sizes; i++)
				size_run(&sb[(i + r) % n_sizes], p, r,
					 bpf_program__fd(bd->progs.bare_drop));
	}
	sizes_done();
	bare_drop__destroy(bd);
	report(csv);
	return 0;
}
