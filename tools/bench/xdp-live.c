// SPDX-License-Identifier: GPL-2.0
/*
 * xdp-live: packets per second through a veth pair with live frames.
 *
 * The generator (livegen.bpf.c) runs by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on interface A and XDP_TXes 64-byte IPv4/UDP
 * frames (n_src source addresses, 10.0.0.1 + i) out of A; they arrive at
 * the peer B, where the filter under test runs.  The process is pinned to
 * one CPU, so the generator and B's NAPI share that core, as in the
 * platform figures.  The rate is the receive side's counter delta (B's
 * rx_packets, which counts every frame B's NAPI took, XDP verdict or not)
 * over the wall time.
 *
 * Run inside the benchmark's network namespace with `nsenter --net=...`
 * (not `ip netns exec`: bpffs must stay visible for the pins).
 *
 *   xdp-live -m MODE -a IF_A -b IF_B [-r runs] [-t seconds] [-s n_src]
 *            [-d devices] [-p pin_dir] [-T rx_cpu] [-S] [-F xdp_flags]
 * MODE:
 *   bare        bpf/bare_drop.bpf.c on B (native)
 *   mw-blocked  meterwall on B; every source is a device, each blocked
 *               (device blocks): DROP BLOCKED, flow records on
 *   mw-allowed  meterwall on B; every source is a device with a udp/9000
 *               conduit: PASS ALLOWED, flow records on (then the stack)
 *   mw-allowed-prog  as mw-allowed, with the program's sink variant
 *               (MW_XDP_F_SINK): judged and accounted the same, then
 *               dropped, so the figure is the program's, not the stack's
 *   none        nothing on B (GRO switched on so B receives): whatever
 *               the script put in netfilter (nftables, iptables + ipset)
 *               or nothing at all
 *   gen         the generator alone: nothing on B and GRO off, so B has
 *               no NAPI and A's transmit drops every frame at once; the
 *               rate is the frames the generator sent (its test runs'
 *               repeat count) per second.  1/rate is the generator's own
 *               cost per frame on the shared core, which the other modes
 *               include (tools/bench/summary.py subtracts it)
 * -S: after each run's rate, a second run of the same length with the
 *     kernel's BPF run-time statistics on (BPF_ENABLE_STATS, for this
 *     process's life only) gives the filter program's own time per frame:
 *     the delta of its run_time_ns over the delta of its run_cnt, neither
 *     the generator's nor the stack's cost (the statistics' two clock
 *     reads per frame are in every program's figure alike).  The rate is
 *     measured with the statistics off.
 * -F: extra MW_XDP_F_* flags for the meterwall modes (experiments: e.g.
 *     0x4, MW_XDP_F_NO_EVENTS).
 * Prints one CSV line:
 *   mode,median_pps,min_pps,max_pps,runs[,median_ns,min_ns,max_ns]
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "compile.h"
#include "xdp.h"
#include "classify.h"
#include "bare_drop.skel.h"
#include "livegen.skel.h"

static const char *mode, *if_a, *if_b, *pin_dir;
static unsigned int runs = 5, n_src = 1024;
static double seconds = 1.0;
static size_t n_devices = 10000;
static int rx_cpu = -1;
static bool want_stats;
static unsigned int xflags;

static uint64_t rx_packets(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	uint64_t n = 0;

	if (getifaddrs(&ifa))
		bench_die("getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET &&
		    !strcmp(i->ifa_name, ifname) && i->ifa_data)
			n = ((struct rtnl_link_stats *)i->ifa_data)->rx_packets;
	freeifaddrs(ifa);
	return n;
}

static void set_gro(const char *ifname, bool on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = on };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ev;
	if (fd < 0 || ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		bench_die("GRO on %s: %s", ifname, strerror(errno));
	close(fd);
}

/* Generate for `seconds'; returns frames received by B per second. */
static double generate(int gen_fd, unsigned int ifindex_a,
		       const uint8_t *frame, size_t len, double secs)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len,
			      .ingress_ifindex = ifindex_a };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1U << 20,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
	uint64_t r0, r1, sent = 0;
	double t0, t1;

	usleep(20000);
	r0 = rx_packets(if_b);
	t0 = bench_now();
	do {
		if (bpf_prog_test_run_opts(gen_fd, &o) < 0)
			bench_die("live test_run: %s", strerror(errno));
		sent += o.repeat;
		t1 = bench_now();
	} while (t1 - t0 < secs);
	if (!strcmp(mode, "gen"))
		return (double)sent / (t1 - t0);
	usleep(20000);	/* let B's NAPI finish what is queued */
	r1 = rx_packets(if_b);
	return (double)(uint32_t)(r1 - r0) / (t1 - t0);
}

static unsigned int resolve_b(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "ext0") == 0 ? if_nametoindex(if_b) : 0;
}

/*
 * B's NAPI into a kernel thread pinned to rx_cpu.  B must have its NAPI
 * by now (XDP attached or GRO on).  /sys of this process shows the
 * namespace it was mounted in, so a sysfs of this network namespace is
 * mounted in a private mount namespace; the thread is found by its name,
 * napi/B-<id>.
 */
static void rx_thread(void)
{
	char dir[] = "/tmp/mwbench-sysXXXXXX", path[512], comm[32], want[32];
	struct dirent *de;
	cpu_set_t set;
	DIR *d;
	FILE *f;
	int found = 0;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    !mkdtemp(dir) || mount("sysfs", dir, "sysfs", 0, NULL))
		bench_die("sysfs of the namespace: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/class/net/%s/threaded", dir, if_b);
	f = fopen(path, "w");
	if (!f || fputs("1", f) < 0 || fclose(f))
		bench_die("%s: %s", path, strerror(errno));
	umount(dir);
	rmdir(dir);
	snprintf(want, sizeof(want), "napi/%s-", if_b);
	CPU_ZERO(&set);
	CPU_SET(rx_cpu, &set);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, want, strlen(want))) {
			if (sched_setaffinity(atoi(de->d_name), sizeof(set),
					      &set))
				bench_die("pin %s: %s", comm, strerror(errno));
			found++;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	if (!found)
		bench_die("no NAPI thread %s* for %s", want, if_b);
}

/* run_time_ns and run_cnt of program fd */
static void prog_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		bench_die("prog info: %s", strerror(errno));
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
}

/*
 * The filter program's time per frame over one run of `seconds', from
 * the kernel's run-time statistics, switched on for this run only.
 */
static double prog_ns(int prog_fd, int gen_fd, unsigned int ifindex_a,
		      const uint8_t *frame, size_t len)
{
	uint64_t t0, c0, t1, c1;
	int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (sfd < 0)
		bench_die("BPF_ENABLE_STATS: %s", strerror(errno));
	prog_stats(prog_fd, &t0, &c0);
	generate(gen_fd, ifindex_a, frame, len, seconds);
	prog_stats(prog_fd, &t1, &c1);
	close(sfd);
	if (c1 == c0)
		bench_die("the program under test ran no frame");
	return (double)(t1 - t0) / (double)(c1 - c0);
}

/* meterwall on B with the generated policy; blocks for mw-blocked. */
static struct mw_xdp *mw_setup(struct mw_image *img)
{
	struct mw_xdp_opts o = { .pin_dir = pin_dir,
				 .dev_capacity = 1U << 20,
				 .flags = xflags |
					  (strcmp(mode, "mw-allowed-prog") ? 0 :
					   MW_XDP_F_SINK) };
	struct mw_xdp_load_opts lo = { .ifindex = resolve_b };
	struct pg_pol *b = pg_policy(n_devices);
	struct mw_image_view v;
	struct mw_diag diag;
	struct mw_xdp *x = NULL;
	const char *why;
	char err[512];
	unsigned int i;

	if (mw_compile(&b->pol, NULL, img, &diag))
		bench_die("compile: %s", diag.msg);
	pg_policy_free(b);
	if (mw_image_view(img->data, img->len, &v, &why))
		bench_die("image: %s", why);
	if (mw_xdp_open(&o, &x, err, sizeof(err)))
		bench_die("open: %s", err);
	if (mw_xdp_load_image(x, &v, &lo, NULL))
		bench_die("load: %s", mw_xdp_errmsg(x));
	if (!strcmp(mode, "mw-blocked"))
		for (i = 0; i < n_src; i++) {
			uint32_t a = pg_dev_addr(i);
			uint32_t id = mw_lookup_device(&v, AF_INET,
						       (uint8_t *)&a);

			if (id == MW_ID_NONE ||
			    mw_xdp_block(x, MW_TARGET_DEVICE, id, 0,
					 MW_BLOCK_OPERATOR))
				bench_die("block %u", i);
		}
	if (mw_xdp_attach(x, if_b, MW_XDP_MODE_NATIVE))
		bench_die("attach: %s", mw_xdp_errmsg(x));
	return x;
}

int main(int argc, char **argv)
{
	struct mw_image img = {};
	struct mw_xdp *x = NULL;
	struct bare_drop *bd = NULL;
	struct livegen *gen;
	uint8_t frame[128];
	double pps[64], ns[64];
	struct bench_stat s;
	int prog_fd, gen_fd;
	struct mw_counter rc0[__MW_R_LAST], rc1[__MW_R_LAST];
	unsigned int ifa, ifb, r;
	size_t len;
	cpu_set_t set;
	int c, want = -1;

	while ((c = getopt(argc, argv, "m:a:b:r:t:s:d:p:T:SF:")) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'a': if_a = optarg; break;
		case 'b': if_b = optarg; break;
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 's': n_src = strtoul(optarg, NULL, 0); break;
		case 'd': n_devices = strtoul(optarg, NULL, 0); break;
		case 'p': pin_dir = optarg; break;
		case 'T': rx_cpu = atoi(optarg); break;
		case 'S': want_stats = true; break;
		case 'F': xflags = strtoul(optarg, NULL, 0); break;
		default: mode = NULL; break;
		}
	}
	if (!mode || !if_a || !if_b || !runs || runs > 64 ||
	    (n_src & (n_src - 1)) || n_src > n_devices || rx_cpu == 0 ||
	    rx_cpu >= CPU_SETSIZE)
		bench_die("usage: xdp-live -m bare|mw-blocked|mw-allowed|"
			  "mw-allowed-prog|none|gen "
			  "-a IF_A -b IF_B [-r runs<=64] [-t s] "
			  "[-s n_src (power of 2, <= devices)] [-d devices] "
			  "[-p pin_dir] [-T rx_cpu (not 0)] [-S] [-F flags]");
	ifa = if_nametoindex(if_a);
	ifb = if_nametoindex(if_b);
	if (!ifa || !ifb)
		bench_die("no interface %s or %s here", if_a, if_b);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);

	if (!strcmp(mode, "bare")) {
		bd = bare_drop__open_and_load();
		if (!bd || bpf_xdp_attach(ifb,
					  bpf_program__fd(bd->progs.bare_drop),
					  XDP_FLAGS_DRV_MODE, NULL))
			bench_die("bare_drop on %s", if_b);
	} else if (!strncmp(mode, "mw-", 3)) {
		if (!pin_dir)
			bench_die("-p pin_dir needed for meterwall");
		x = mw_setup(&img);
		want = strcmp(mode, "mw-blocked") ? MW_R_ALLOWED :
						    MW_R_BLOCKED;
	} else if (!strcmp(mode, "none")) {
		set_gro(if_b, true);
	} else if (!strcmp(mode, "gen")) {
		set_gro(if_b, false);
	} else {
		bench_die("unknown mode %s", mode);
	}
	if (rx_cpu > 0)
		rx_thread();

	gen = livegen__open();
	if (!gen)
		bench_die("livegen open");
	gen->rodata->src_base = ntohl(pg_dev_addr(0));
	gen->rodata->src_mask = n_src - 1;
	if (livegen__load(gen))
		bench_die("livegen load");
	len = bench_frame4(frame, pg_dev_addr(0), inet_addr("192.0.2.10"),
			   IPPROTO_UDP, 40000, 9000);
	{	/* to B's own MAC: the stack must not drop it as OTHERHOST */
		struct ifreq ifr = {};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", if_b);
		if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
			bench_die("MAC of %s: %s", if_b, strerror(errno));
		memcpy(frame, ifr.ifr_hwaddr.sa_data, 6);
		close(fd);
	}

	if (x && mw_xdp_reason_counters(x, rc0))
		bench_die("counters");
	prog_fd = bd ? bpf_program__fd(bd->progs.bare_drop) :
		  x ? mw_xdp_prog_fd(x) : -1;
	if (want_stats && prog_fd < 0)
		bench_die("-S: mode %s runs no program", mode);
	gen_fd = bpf_program__fd(gen->progs.livegen);
	generate(gen_fd, ifa, frame, len, 0.25);	/* warm up */
	for (r = 0; r < runs; r++) {
		pps[r] = generate(gen_fd, ifa, frame, len, seconds);
		if (want_stats)
			ns[r] = prog_ns(prog_fd, gen_fd, ifa, frame, len);
	}
	if (x) {
		uint64_t all = 0, hit;
		int k;

		if (mw_xdp_reason_counters(x, rc1))
			bench_die("counters");
		for (k = 0; k < __MW_R_LAST; k++)
			all += rc1[k].pass_packets + rc1[k].drop_packets -
			       rc0[k].pass_packets - rc0[k].drop_packets;
		hit = rc1[want].pass_packets + rc1[want].drop_packets -
		      rc0[want].pass_packets - rc0[want].drop_packets;
		/* a stray frame of the kernel's own (IPv6 ND on the link)
		 * may be judged too: 99.9% must have the expected reason */
		if (!all || hit * 1000 < all * 999)
			bench_die("%s: %llu of %llu frames had the expected "
				  "reason", mode, (unsigned long long)hit,
				  (unsigned long long)all);
		mw_xdp_detach(x, if_b);
		mw_xdp_remove_pins(x);
		mw_xdp_close(x);
		mw_image_free(&img);
	}
	if (bd) {
		bpf_xdp_detach(ifb, XDP_FLAGS_DRV_MODE, NULL);
		bare_drop__destroy(bd);
	}
	if (!strcmp(mode, "none"))
		set_gro(if_b, false);
	livegen__destroy(gen);
	s = bench_stats(pps, runs);
	printf("%s,%.0f,%.0f,%.0f,%u", mode, s.median, s.min, s.max, runs);
	if (want_stats) {
		s = bench_stats(ns, runs);
		printf(",%.2f,%.2f,%.2f", s.median, s.min, s.max);
	}
	printf("\n");
	return 0;
}
