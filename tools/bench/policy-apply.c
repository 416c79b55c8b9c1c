// SPDX-License-Identifier: GPL-2.0
/*
 * policy-apply: what applying a large policy costs the controller, and
 * how fast a block takes effect.
 *
 *   policy-apply [-r runs] [-d 1000,100000,1000000] [-o csv] [-k dir] [-K]
 *
 * For each size a YAML policy is written to a file (systems of 1000
 * devices, two conduits each, one host address per device), then each
 * run, in a fresh child process (so peak RSS is that run's alone), does
 * what mwctl load does: read + validate (mw_policy_load_file), compile
 * (mw_compile), check the image (mw_image_view), apply it to the XDP maps
 * (mw_xdp_load_image, private maps, device capacity 2^20).  Reported:
 * time of each phase, total, and the child's peak RSS (ru_maxrss).
 *
 * -K: apply to meterwall.ko instead (mw_nl_load_image: the image in a
 * generic netlink transaction, checked and built in the kernel, swapped
 * in); the module must be loaded; no block figure (kmod-bench runs this in
 * the qemu guest).
 *
 * Block: on the 1000-device policy, mw_xdp_block() of a device, then the
 * program is run (BPF_PROG_TEST_RUN, 1 frame) on a frame of that device
 * until it returns DROP: "block call" is the call's duration, "to effect"
 * the time from the call's return to the first DROP verdict (the first
 * frame after the return is already blocked: the figure is one test run).
 */
#include <getopt.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bench.h"
#include "compile.h"
#include "xdp.h"
#include "classify.h"
#include "nl.h"

#define MAX_SIZES 8
#define MAX_RUNS 32

static unsigned int runs = 5;
static size_t sizes[MAX_SIZES] = { 1000, 100000, 1000000 };
static size_t n_sizes = 3;
static const char *tmpdir = "/tmp";
static bool to_kmod;

static unsigned int resolve(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "ext0") == 0 ? 1 : 0;	/* lo */
}

static void write_yaml(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");
	size_t i, s, n_sys = (n + PG_PER_SYS - 1) / PG_PER_SYS;

	if (!f)
		bench_die("%s: %s", path, strerror(errno));
	fprintf(f, "meterwall: 1\nserial: 1\ninterfaces:\n"
		"  - name: ext0\n    zone: external\n"
		"  - name: sm0\n    zone: smart-meter\n"
		"zones:\n  - name: head-end\n"
		"    prefixes: [192.0.2.10, 2001:db8:10::10]\nsystems:\n");
	for (s = 0; s < n_sys; s++) {
		fprintf(f, "  - name: sys%zu\n    entity: \"Entity %zu\"\n"
			"    contact: \"ops%zu@example.net\"\n"
			"    agreement: \"AGR-%zu\"\n    interface: ext0\n"
			"    devices:\n", s, s, s, s);
		for (i = s * PG_PER_SYS; i < n && i < (s + 1) * PG_PER_SYS;
		     i++) {
			struct in_addr a = { .s_addr = pg_dev_addr(i) };

			fprintf(f, "      - name: d%zu\n        addresses: [%s]\n",
				i, inet_ntoa(a));
		}
		fprintf(f, "    conduits:\n"
			"      - name: https\n        direction: inbound\n"
			"        zone: head-end\n        proto: tcp\n"
			"        ports: [443]\n"
			"      - name: telemetry\n        direction: inbound\n"
			"        zone: head-end\n        proto: udp\n"
			"        ports: [9000]\n");
	}
	if (fclose(f))
		bench_die("%s: write failed", path);
}

enum phase { PH_PARSE, PH_COMPILE, PH_VIEW, PH_APPLY, PH_TOTAL, PH__N };
static const char *const phase_name[PH__N] = {
	"read+validate", "compile", "image check", "apply", "total",
};

/* One run in this (child) process: phase times in seconds. */
static void one_run(const char *path, double t[PH__N])
{
	struct mw_xdp_opts o = { .pin_dir = "", .dev_capacity = 1U << 20 };
	struct mw_xdp_load_opts lo = { .ifindex = resolve };
	struct mw_policy *pol = NULL;
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag = {};
	struct mw_xdp *x = NULL;
	struct mw_nl *nl = NULL;
	const char *why;
	char err[512];
	double t0, t1;
	int rc = 0;

	/* not timed: what an attached controller holds already */
	if (to_kmod ? (rc = mw_nl_open(&nl)) != 0 :
		      mw_xdp_open(&o, &x, err, sizeof(err)) != 0)
		bench_die("open: %s", to_kmod ? strerror(-rc) : err);
	t0 = bench_now();
	if (mw_policy_load_file(path, &pol, &diag))
		bench_die("%s: %s", path, diag.msg);
	t1 = bench_now();
	t[PH_PARSE] = t1 - t0;
	if (mw_compile(pol, NULL, &img, &diag))
		bench_die("compile: %s", diag.msg);
	t[PH_COMPILE] = bench_now() - t1;
	t1 = bench_now();
	mw_policy_free(pol);
	if (mw_image_view(img.data, img.len, &v, &why))
		bench_die("image: %s", why);
	t[PH_VIEW] = bench_now() - t1;
	t1 = bench_now();
	if (to_kmod) {
		rc = mw_nl_load_image(nl, img.data, img.len);
		if (rc)
			bench_die("module load: %s", strerror(-rc));
	} else if (mw_xdp_load_image(x, &v, &lo, NULL)) {
		bench_die("load: %s", mw_xdp_errmsg(x));
	}
	t[PH_APPLY] = bench_now() - t1;
	t[PH_TOTAL] = bench_now() - t0;
	mw_image_free(&img);
	if (to_kmod)
		mw_nl_close(nl);
	else
		mw_xdp_close(x);
}

/* Fork a child for one run; returns its peak RSS in kB. */
static long run_child(const char *path, double t[PH__N])
{
	struct rusage ru;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		bench_die("pipe");
	fflush(stdout);		/* or the child prints it again */
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		close(fds[0]);
		one_run(path, t);
		if (write(fds[1], t, sizeof(double) * PH__N) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], t, sizeof(double) * PH__N) !=
	    (ssize_t)(sizeof(double) * PH__N))
		bench_die("child run failed");
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		bench_die("child failed");
	return ru.ru_maxrss;
}

static void bench_block(FILE *csv)
{
	struct mw_xdp_opts o = { .pin_dir = "" };
	struct mw_xdp_load_opts lo = { .ifindex = resolve };
	struct pg_pol *b = pg_policy(1000);
	struct mw_image img = {};
	struct mw_image_view v;
	struct mw_diag diag;
	struct mw_xdp *x = NULL;
	const char *why;
	char err[512];
	uint8_t frame[128];
	uint32_t addr = pg_dev_addr(500), id;
	double call[MAX_RUNS], eff[MAX_RUNS];
	struct bench_stat sc, se;
	unsigned int r;
	size_t len;

	if (mw_compile(&b->pol, NULL, &img, &diag) ||
	    mw_image_view(img.data, img.len, &v, &why) ||
	    mw_xdp_open(&o, &x, err, sizeof(err)) ||
	    mw_xdp_load_image(x, &v, &lo, NULL))
		bench_die("block setup");
	id = mw_lookup_device(&v, AF_INET, (uint8_t *)&addr);
	len = bench_frame4(frame, addr, inet_addr("192.0.2.10"), IPPROTO_TCP,
			   40000, 443);
	for (r = 0; r < runs; r++) {
		struct xdp_md ctx = { .data_end = (uint32_t)len,
				      .ingress_ifindex = 1 };
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame,
			    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);
		double t0, t1, t2;

		if (bpf_prog_test_run_opts(mw_xdp_prog_fd(x), &t) ||
		    t.retval != XDP_PASS)
			bench_die("not allowed before the block");
		t0 = bench_now();
		if (mw_xdp_block(x, MW_TARGET_DEVICE, id, 0,
				 MW_BLOCK_OPERATOR))
			bench_die("block");
		t1 = bench_now();
		do {
			if (bpf_prog_test_run_opts(mw_xdp_prog_fd(x), &t))
				bench_die("test_run");
			t2 = bench_now();
		} while (t.retval != XDP_DROP && t2 - t1 < 1.0);
		if (t.retval != XDP_DROP)
			bench_die("block not in effect after 1 s");
		call[r] = (t1 - t0) * 1e6;
		eff[r] = (t2 - t1) * 1e6;
		if (mw_xdp_unblock(x, MW_TARGET_DEVICE, id))
			bench_die("unblock");
	}
	sc = bench_stats(call, runs);
	se = bench_stats(eff, runs);
	printf("\nblock (device, 1000-device policy), median of %u [min..max]:\n"
	       "  block call   %8.1f us [%.1f..%.1f]\n"
	       "  to effect    %8.1f us [%.1f..%.1f]  (return -> first DROP "
	       "verdict; target <= 1000 us)\n", runs, sc.median, sc.min,
	       sc.max, se.median, se.min, se.max);
	if (csv) {
		fprintf(csv, "block,call_us,%.1f,%.1f,%.1f,,\n", sc.median,
			sc.min, sc.max);
		fprintf(csv, "block,to_effect_us,%.1f,%.1f,%.1f,,\n", se.median,
			se.min, se.max);
	}
	mw_xdp_close(x);
	mw_image_free(&img);
	pg_policy_free(b);
}

int main(int argc, char **argv)
{
	const char *csv_path = NULL;
	FILE *csv = NULL;
	size_t i;
	int c, p;

	while ((c = getopt(argc, argv, "r:d:o:k:K")) != -1) {
		switch (c) {
		case 'r': runs = strtoul(optarg, NULL, 0); break;
		case 'd': {
			char *tok, *save = NULL;

			n_sizes = 0;
			for (tok = strtok_r(optarg, ",", &save);
			     tok && n_sizes < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				sizes[n_sizes++] = strtoul(tok, NULL, 0);
			break;
		}
		case 'o': csv_path = optarg; break;
		case 'k': tmpdir = optarg; break;
		case 'K': to_kmod = true; break;
		default:
			fprintf(stderr, "usage: %s [-r runs] [-d sizes] "
				"[-o csv] [-k tmpdir] [-K]\n", argv[0]);
			return 2;
		}
	}
	if (!runs || runs > MAX_RUNS || !n_sizes)
		bench_die("bad -r/-d");
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv)
			bench_die("%s: %s", csv_path, strerror(errno));
		fprintf(csv, "devices,phase,median,min,max,peak_rss_mb_median,"
			"peak_rss_mb_max\n");
	}
	printf("policy-apply%s: seconds, median of %u runs [min..max]; peak "
	       "RSS of the run (MiB)\n", to_kmod ? " to meterwall.ko" : "",
	       runs);
	printf("%-9s %-14s %9s %21s %10s %10s\n", "devices", "phase", "median",
	       "[min..max]", "rss(med)", "rss(max)");
	for (i = 0; i < n_sizes; i++) {
		double t[PH__N][MAX_RUNS], one[PH__N], rss[MAX_RUNS];
		struct bench_stat sr;
		char path[512], mm[48];
		unsigned int r;

		snprintf(path, sizeof(path), "%s/mw-bench-%zu-%d.yaml", tmpdir,
			 sizes[i], (int)getpid());
		write_yaml(path, sizes[i]);
		for (r = 0; r < runs; r++) {
			bench_quiet();		/* each run on a quiet machine */
			rss[r] = run_child(path, one) / 1024.0;
			for (p = 0; p < PH__N; p++)
				t[p][r] = one[p];
		}
		unlink(path);
		sr = bench_stats(rss, runs);
		for (p = 0; p < PH__N; p++) {
			struct bench_stat s = bench_stats(t[p], runs);

			snprintf(mm, sizeof(mm), "[%.3f..%.3f]", s.min, s.max);
			printf("%-9zu %-14s %9.3f %21s %10.0f %10.0f\n",
			       sizes[i], phase_name[p], s.median, mm,
			       sr.median, sr.max);
			if (csv)
				fprintf(csv, "%zu,%s,%.4f,%.4f,%.4f,%.1f,%.1f\n",
					sizes[i], phase_name[p], s.median,
					s.min, s.max, sr.median, sr.max);
		}
	}
	if (!to_kmod)
		bench_block(csv);
	if (csv)
		fclose(csv);
	return 0;
}
