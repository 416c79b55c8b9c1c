// SPDX-License-Identifier: GPL-2.0
/*
 * meterwalld under load (issue 11's performance): the daemon's CPU and
 * RSS with F active flows, the flow records it writes per second and
 * per CPU-second, and the time from an auto_block threshold crossing to
 * the block in force.
 *
 *   daemon-load -d METERWALLD [-f 10000,100000] [-s SECONDS] [-r ROUNDS]
 *
 * Run as root in a network namespace of its own (tools/bench/daemon.sh
 * does): the policy's external interface is that namespace's lo, which
 * the daemon attaches to.  The policy is loaded through the controller,
 * the daemon started on the same state, log and pin directories; this
 * program opens the same pinned maps with a program of its own and
 * feeds frames through BPF_PROG_TEST_RUN (the flow table, counters and
 * event rings are the daemon's), one per flow each second.  Records are
 * written every second per active flow (flow_active: 1).
 *
 * Latency: a device of a system with auto_block { drops_per_min: 100,
 * scope: device } gets 100 dropped frames in one test run; from the
 * run's return to the device's block seen in XDP's block map.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bench.h"
#include "ctl.h"
#include "xdp.h"

#define PER_DEV		100	/* flows per device */
#define ABUSERS		32
#define HEAD		"192.0.2.10"

static char dir[256], pins[128];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		bench_die("`%s' failed", cmd);
}

static uint32_t dev_addr(size_t i)	/* 10.1.0.1 ... */
{
	return htonl(0x0a010000u + (uint32_t)(i / 250) * 256 +
		     (uint32_t)(i % 250) + 1);
}

static uint32_t abuser_addr(size_t i)	/* 10.2.0.1 ... */
{
	return htonl(0x0a020001u + (uint32_t)i);
}

static void write_policy(const char *path, size_t devs, size_t flows)
{
	FILE *f = fopen(path, "w");
	char a[INET_ADDRSTRLEN];
	uint32_t x;
	size_t i;

	if (!f)
		bench_die("%s: %s", path, strerror(errno));
	fprintf(f, "meterwall: 1\nserial: 1\nflow_entries: %zu\n"
		"interfaces:\n  - { name: lo, zone: external }\n"
		"  - { name: sm0, zone: smart-meter }\n"
		"zones:\n  - { name: head-end, prefixes: [" HEAD "] }\n"
		"systems:\n  - name: bench\n    entity: \"Bench K.K.\"\n"
		"    agreement: \"AGR-B\"\n    interface: lo\n    devices:\n",
		flows < 512 ? 1024 : 2 * flows);
	for (i = 0; i < devs; i++) {
		x = dev_addr(i);
		fprintf(f, "      - { name: d%zu, addresses: [%s] }\n", i,
			inet_ntop(AF_INET, &x, a, sizeof(a)));
	}
	fprintf(f, "    conduits:\n      - { direction: inbound, zone: head-end, proto: udp, ports: [3610] }\n"
		"  - name: abuser\n    entity: \"Abuse Ltd.\"\n    agreement: \"AGR-A\"\n"
		"    interface: lo\n"
		"    auto_block: { drops_per_min: 100, scope: device, block_for: 0 }\n"
		"    devices:\n");
	for (i = 0; i < ABUSERS; i++) {
		x = abuser_addr(i);
		fprintf(f, "      - { name: a%zu, addresses: [%s] }\n", i,
			inet_ntop(AF_INET, &x, a, sizeof(a)));
	}
	fprintf(f, "    conduits:\n      - { direction: inbound, zone: head-end, proto: udp, ports: [3610] }\n");
	fclose(f);
}

static void run(int fd, const uint8_t *fr, size_t len, uint32_t repeat)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr,
		    .data_size_in = (uint32_t)len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o) < 0)
		bench_die("test_run: %s", strerror(errno));
}

/* utime + stime of pid, in seconds */
static double cpu_s(pid_t pid)
{
	unsigned long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		bench_die("%s", path);
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		bench_die("%s: unreadable", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long lines(const char *path)
{
	long n = 0;
	int c;
	FILE *f = fopen(path, "r");

	while (f && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static pid_t start_daemon(const char *bin)
{
	char cfg[300], log[300];
	FILE *f;
	pid_t pid;

	snprintf(cfg, sizeof(cfg), "%s/mwd.yaml", dir);
	snprintf(log, sizeof(log), "%s/mwd.log", dir);
	f = fopen(cfg, "w");
	if (!f)
		bench_die("%s", cfg);
	fprintf(f, "state_dir: %s/st\nlog_dir: %s/log\npin_dir: %s\n"
		"attach_mode: generic\nflow_idle: 5\nflow_active: 1\n"
		"flow_log_max_mb: 4096\nmetrics_listen: off\nlog_min_free_mb: 0\n",
		dir, dir, pins);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", cfg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

struct result {
	size_t flows;
	double cpu_pct, rss_mib, rec_s, rec_cpu_s;
	double lat_ms[ABUSERS];
	size_t n_lat;
};

/* Every flow a frame each second for secs seconds; the daemon's share. */
static void active_phase(int fd, pid_t pid, size_t flows, unsigned int secs,
			 struct result *r)
{
	uint32_t head = inet_addr(HEAD);
	char path[300];
	double c0, c1, t0, next;
	long n0, n1;
	uint8_t fr[128];
	size_t i, len;
	unsigned int s;

	snprintf(path, sizeof(path), "%s/log/flows.jsonl", dir);
	/* warm up: every flow in the table, two polls */
	for (i = 0; i < flows; i++) {
		len = bench_frame4(fr, dev_addr(i / PER_DEV), head, IPPROTO_UDP,
				   (uint16_t)(1024 + i % PER_DEV), 3610);
		run(fd, fr, len, 1);
	}
	sleep(3);
	c0 = cpu_s(pid);
	n0 = lines(path);
	t0 = bench_now();
	for (s = 0, next = t0; s < secs; s++) {
		for (i = 0; i < flows; i++) {
			len = bench_frame4(fr, dev_addr(i / PER_DEV), head,
					   IPPROTO_UDP,
					   (uint16_t)(1024 + i % PER_DEV), 3610);
			run(fd, fr, len, 1);
		}
		next += 1.0;
		while (bench_now() < next)
			usleep(10000);
	}
	c1 = cpu_s(pid);
	n1 = lines(path);
	r->cpu_pct = 100.0 * (c1 - c0) / (bench_now() - t0);
	r->rss_mib = rss_kb(pid) / 1024.0;
	r->rec_s = (double)(n1 - n0) / (bench_now() - t0);
	r->rec_cpu_s = c1 > c0 ? (double)(n1 - n0) / (c1 - c0) : 0;
}

/* Each abuser: 100 drops in one run, then until its block is in XDP. */
static void latency_phase(struct mw_xdp *x, int fd, unsigned int rounds,
			  struct result *r)
{
	uint32_t head = inet_addr(HEAD), id;
	struct mw_image img;
	struct mw_image_view v;
	struct mw_block b;
	uint8_t fr[128];
	char name[16];
	double t0;
	size_t len;
	unsigned int i;
	struct mw_ctl *c;
	struct mw_ctl_opts o = { 0 };

	if (mw_ctl_open(&o, &c) || mw_ctl_active_image(c, &img, &v))
		bench_die("the policy in force");
	for (i = 0; i < rounds && i < ABUSERS; i++) {
		snprintf(name, sizeof(name), "a%u", i);
		id = mw_image_device_by_name(&v, name) ?
		     mw_image_device_by_name(&v, name)->id : MW_ID_NONE;
		if (id == MW_ID_NONE)
			bench_die("device %s", name);
		len = bench_frame4(fr, abuser_addr(i), head, IPPROTO_UDP, 5000,
				   9999);	/* NO_CONDUIT */
		sleep(1);	/* a quiet second between rounds */
		run(fd, fr, len, 100);
		t0 = bench_now();
		do {
			if (bench_now() - t0 > 5)
				bench_die("%s not blocked within 5 s", name);
			usleep(200);
		} while (mw_xdp_get_block(x, MW_TARGET_DEVICE, id, &b) ||
			 !b.active);
		r->lat_ms[r->n_lat++] = (bench_now() - t0) * 1000;
	}
	mw_image_free(&img);
	mw_ctl_close(c);
}

static void one_size(const char *bin, size_t flows, unsigned int secs,
		     unsigned int rounds, struct result *r)
{
	size_t devs = (flows + PER_DEV - 1) / PER_DEV;
	struct mw_ctl_load_result lr;
	struct mw_xdp_opts xo = { 0 };
	struct mw_ctl_opts co = { 0 };
	struct mw_xdp *x;
	struct mw_ctl *c;
	char path[300], err[512], line[256];
	double t0;
	pid_t pid;
	FILE *f;
	bool ready = false;

	snprintf(dir, sizeof(dir), "/tmp/mwb-daemon-XXXXXX");
	if (!mkdtemp(dir))
		bench_die("mkdtemp: %s", strerror(errno));
	snprintf(pins, sizeof(pins), "/sys/fs/bpf/mwb-daemon-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/st", dir);
	setenv("MW_STATE_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/log", dir);
	setenv("MW_LOG_DIR", path, 1);
	setenv("MW_PIN_DIR", pins, 1);
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	write_policy(path, devs, flows);
	if (mw_ctl_open(&co, &c) || mw_ctl_load(c, path, NULL, &lr))
		bench_die("load %s: %s", path, c ? mw_ctl_errmsg(c) : "");
	mw_ctl_close(c);
	pid = start_daemon(bin);
	snprintf(path, sizeof(path), "%s/mwd.log", dir);
	for (t0 = bench_now(); !ready && bench_now() - t0 < 30; usleep(50000)) {
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			ready |= !strcmp(line, "meterwalld: ready\n");
		if (f)
			fclose(f);
	}
	if (!ready)
		bench_die("meterwalld not ready in 30 s (%s)", path);
	xo.pin_dir = pins;
	if (mw_xdp_open(&xo, &x, err, sizeof(err)))
		bench_die("open the pinned maps: %s", err);
	r->flows = flows;
	active_phase(mw_xdp_prog_fd(x), pid, flows, secs, r);
	latency_phase(x, mw_xdp_prog_fd(x), rounds, r);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	mw_xdp_close(x);
	sh("rm -rf '%s' '%s'", pins, dir);
}

int main(int argc, char **argv)
{
	const char *bin = NULL, *sizes = "10000,100000";
	unsigned int secs = 10, rounds = 10;
	struct result r;
	struct bench_stat st;
	char *list, *tok, *save = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "d:f:s:r:")) != -1) {
		switch (opt) {
		case 'd': bin = optarg; break;
		case 'f': sizes = optarg; break;
		case 's': secs = (unsigned int)atoi(optarg); break;
		case 'r': rounds = (unsigned int)atoi(optarg); break;
		default:
			bench_die("usage: daemon-load -d METERWALLD [-f FLOWS,...] [-s SECONDS] [-r ROUNDS]");
		}
	}
	if (!bin || rounds > ABUSERS || !rounds || !secs)
		bench_die("usage: daemon-load -d METERWALLD [-f FLOWS,...] [-s SECONDS] [-r ROUNDS<=%d]",
			  ABUSERS);
	printf("%-8s %9s %9s %12s %16s %28s\n", "flows", "cpu %", "rss MiB",
	       "records/s", "records/cpu-s", "threshold->block ms med [min..max]");
	list = strdup(sizes);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		memset(&r, 0, sizeof(r));
		one_size(bin, (size_t)atol(tok), secs, rounds, &r);
		st = bench_stats(r.lat_ms, r.n_lat);
		printf("%-8zu %9.1f %9.1f %12.0f %16.0f %14.2f [%.2f..%.2f]\n",
		       r.flows, r.cpu_pct, r.rss_mib, r.rec_s, r.rec_cpu_s,
		       st.median, st.min, st.max);
		fflush(stdout);
	}
	free(list);
	return 0;
}
