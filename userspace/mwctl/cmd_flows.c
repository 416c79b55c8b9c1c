// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl flows [--system S] [--device D] [--top N]
 * mwctl events [-f]
 * Per-flow records and drop events of the XDP enforcement point (1.1.5),
 * each naming the device's system, entity, contact and demarcation
 * interface (2.1.4).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "classify.h"
#include "mwctl.h"
#include "timefmt.h"

struct flow_row {
	struct mw_flow_key k;
	struct mw_flow f;
};

struct flow_set {
	struct flow_row *v;
	size_t n, cap;
	const struct mw_image_view *img;
	uint32_t system, device;	/* filters, MW_ID_NONE = any */
};

static int collect(const struct mw_flow_key *k, const struct mw_flow *f,
		   void *arg)
{
	struct flow_set *s = arg;
	const struct mw_img_device *d;

	if (s->device != MW_ID_NONE && f->device != s->device)
		return 0;
	if (s->system != MW_ID_NONE) {
		d = mw_image_device(s->img, f->device);
		if (!d || d->system != s->system)
			return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *nv = realloc(s->v, cap * sizeof(*s->v));

		if (!nv)
			return -1;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].k = *k;
	s->v[s->n].f = *f;
	s->n++;
	return 0;
}

static int by_bytes(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	return x->f.bytes < y->f.bytes ? 1 : x->f.bytes > y->f.bytes ? -1 : 0;
}

static void addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	inet_ntop(family, a, buf, (socklen_t)len);
}

/* Times in text output: RFC 3339 in the policy's time zone, ms. */
static const char *time_str(uint64_t unix_ns, const struct mw_image_view *v,
			    char *buf, size_t len)
{
	return mw_time_format((int64_t)unix_ns, v ? v->hdr->tz_offset : 0, 3,
			      buf, len);
}

static const char *dev_name(const struct mw_image_view *v, uint32_t id)
{
	const struct mw_img_device *d = v ? mw_image_device(v, id) : NULL;

	return d ? mw_image_str(v, d->name) : "?";
}

static void print_flow(const struct mw_image_view *v, const struct flow_row *r)
{
	const struct mw_img_conduit *c = r->f.conduit == MW_ID_NONE || !v ? NULL :
					 mw_image_conduit(v, r->f.conduit);
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	char pb[MW_PROTO_LEN], t1[MW_TIME_LEN], t2[MW_TIME_LEN], own[400];
	const struct mw_img_system *sys = device_system(v, r->f.device);
	const char *proto = mw_proto_name(r->k.proto, pb);
	int32_t tz = v ? v->hdr->tz_offset : 0;

	addr_str(r->k.family, r->k.src, src, sizeof(src));
	addr_str(r->k.family, r->k.dst, dst, sizeof(dst));
	if (!if_indextoname(r->k.ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "if%u", r->k.ifindex);
	if (!jp_json()) {
		printf("%-5s %-11s %-8s %-16s %-6s %s %u -> %s %u  %s %s  %llu pkts %llu bytes  %s  %s .. %s\n",
		       mw_verdict_name(r->f.verdict), mw_reason_name(r->f.reason),
		       ifname, dev_name(v, r->f.device), proto, src,
		       ntohs(r->k.sport),
		       dst, ntohs(r->k.dport), c ? "via" : "",
		       c ? mw_image_str(v, c->name) : "",
		       (unsigned long long)r->f.packets,
		       (unsigned long long)r->f.bytes,
		       owner_text(v, sys, own, sizeof(own)),
		       time_str(r->f.first_ns, v, t1, sizeof(t1)),
		       time_str(r->f.last_ns, v, t2, sizeof(t2)));
		return;
	}
	jp_open_obj(NULL);
	jp_str("src", src);
	jp_str("dst", dst);
	jp_u64("proto", r->k.proto);
	jp_str("proto_name", proto);
	jp_u64("sport", ntohs(r->k.sport));
	jp_u64("dport", ntohs(r->k.dport));
	jp_u64("ifindex", r->k.ifindex);
	jp_str("iface", ifname);
	jp_str("device", dev_name(v, r->f.device));
	print_owner(v, sys);
	jp_str("conduit", c ? mw_image_str(v, c->name) : "");
	jp_str("verdict", mw_verdict_name(r->f.verdict));
	jp_str("reason", mw_reason_name(r->f.reason));
	jp_u64("packets", r->f.packets);
	jp_u64("bytes", r->f.bytes);
	jp_time("first", r->f.first_ns, tz, 3);
	jp_time("last", r->f.last_ns, tz, 3);
	jp_close_obj();
}

/* --system / --device names to ids in set (the image in force). */
static int filter_ids(struct flow_set *set, const char *sys, const char *dev)
{
	const struct mw_img_system *s;
	const struct mw_img_device *d;

	if (sys) {
		s = mw_image_system_by_name(set->img, sys);
		if (!s) {
			fprintf(stderr, "%s: no system named `%s'\n", prog_name, sys);
			return -ENOENT;
		}
		set->system = s->id;
	}
	if (dev) {
		d = mw_image_device_by_name(set->img, dev);
		if (!d) {
			fprintf(stderr, "%s: no device named `%s'\n", prog_name, dev);
			return -ENOENT;
		}
		set->device = d->id;
	}
	return 0;
}

int flows_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "system", required_argument, NULL, 's' },
		{ "device", required_argument, NULL, 'd' },
		{ "top", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct flow_set set = { .system = MW_ID_NONE, .device = MW_ID_NONE };
	const char *sys = NULL, *dev = NULL;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	unsigned long top = 0;
	bool have_img;
	struct mw_xdp *x;
	size_t i;
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': sys = optarg; break;
		case 'd': dev = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h':
			printf("Usage: %s flows [--system S] [--device D] [--top N]\n\n"
			       "Flow records (largest first): verdict, reason, device,\n"
			       "protocol, addresses and ports, conduit, packets, bytes,\n"
			       "the system with its entity, contact and demarcation\n"
			       "interface, first and last seen (in the policy's time zone).\n",
			       prog_name);
			return 0;
		case 't':
			if (parse_u32(optarg, 1000000, &top) || !top) {
				fprintf(stderr, "%s flows: invalid --top `%s'\n", prog_name, optarg);
				return 1;
			}
			break;
		default: return 1;
		}
	}
	have_img = mw_ctl_active_image(ctl, &img, &v) == 0;
	set.img = have_img ? &v : NULL;
	if ((sys || dev) && !have_img) {
		fprintf(stderr, "%s: no policy in force to resolve names\n", prog_name);
		return 1;
	}
	if (filter_ids(&set, sys, dev) || mw_ctl_xdp(ctl, MW_XDP_F_NO_PROG, 0, &x))
		goto out_img;
	if (mw_xdp_foreach_flow(x, collect, &set)) {
		fprintf(stderr, "%s: reading flows failed: %s\n", prog_name, mw_xdp_errmsg(x));
		goto out;
	}
	qsort(set.v, set.n, sizeof(*set.v), by_bytes);
	if (top && set.n > top)
		set.n = top;
	jp_open_arr(NULL);
	for (i = 0; i < set.n; i++)
		print_flow(set.img, &set.v[i]);
	jp_close_arr();
	jp_finish();
	ret = 0;
out:
	mw_xdp_close(x);
out_img:
	free(set.v);
	if (have_img)
		mw_image_free(&img);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_event(const struct mw_event *e, void *arg)
{
	const struct mw_image_view *v = arg;
	char src[INET6_ADDRSTRLEN] = "-", dst[INET6_ADDRSTRLEN] = "-";
	char pb[MW_PROTO_LEN], t[MW_TIME_LEN], own[400];
	const struct mw_img_system *sys = device_system(v, e->device);
	const char *proto = mw_proto_name(e->proto, pb);

	if (e->family) {
		addr_str(e->family, e->src, src, sizeof(src));
		addr_str(e->family, e->dst, dst, sizeof(dst));
	}
	time_str(e->ts_ns, v, t, sizeof(t));
	if (jp_json()) {
		jp_init(stdout, true);
		jp_open_obj(NULL);
		jp_u64("ts_ns", e->ts_ns);
		jp_str("time", t);
		jp_str("reason", mw_reason_name(e->reason));
		jp_str("device", e->device == MW_ID_NONE ? "" : dev_name(v, e->device));
		print_owner(v, sys);
		jp_str("src", src);
		jp_str("dst", dst);
		jp_u64("proto", e->proto);
		jp_str("proto_name", proto);
		jp_u64("sport", ntohs(e->sport));
		jp_u64("dport", ntohs(e->dport));
		jp_u64("ifindex", e->ifindex);
		jp_close_obj();
		jp_finish();
	} else {
		printf("%s DROP %-14s %-16s %-6s %s port %u -> %s port %u if %u  %s\n",
		       t, mw_reason_name(e->reason),
		       e->device == MW_ID_NONE ? "-" : dev_name(v, e->device),
		       proto, src, ntohs(e->sport), dst, ntohs(e->dport),
		       e->ifindex, owner_text(v, sys, own, sizeof(own)));
	}
	fflush(stdout);
	return 0;
}

/*
 * With meterwalld running it reads the ring buffer (it holds the state
 * directory's events.lock): its drop events are the "drop" lines of
 * events.jsonl, shown as they are (JSON lines), followed with -f.
 * 1: the daemon reads them (shown here), 0: ours to read, -1: error.
 */
static int daemon_events(bool follow)
{
	char path[600], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (!mw_ctl_events_taken(ctl))
		return 0;
	snprintf(path, sizeof(path), "%s/events.jsonl", mw_ctl_log_dir(ctl));
	fprintf(stderr, "%s: meterwalld reads the drop events: its \"drop\" events in %s (and its syslog)\n",
		prog_name, path);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: cannot read %s: %s\n", prog_name, path,
			strerror(errno));
		return -1;
	}
	do {
		while (getline(&line, &cap, f) > 0)
			if (strstr(line, "\"event\":\"drop\""))
				fputs(line, stdout);
		fflush(stdout);
		clearerr(f);
		if (follow && !stop)
			usleep(200000);
	} while (follow && !stop);
	free(line);
	fclose(f);
	return 1;
}

int events_main(int argc, char **argv)
{
	struct mw_xdp_events *ev = NULL;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	bool follow = false, have_img;
	struct mw_xdp *x;
	int i, n, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
			follow = true;
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			jp_init(stdout, true);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: %s events [-f]\n\nDrop events (rate-limited per device): the pending ones,\nor with -f follow until interrupted.\n",
			       prog_name);
			return 0;
		} else {
			fprintf(stderr, "%s events: unknown argument `%s'\n", prog_name, argv[i]);
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	i = daemon_events(follow);
	if (i)
		return i < 0 ? 1 : 0;
	have_img = mw_ctl_active_image(ctl, &img, &v) == 0;
	if (mw_ctl_xdp(ctl, MW_XDP_F_NO_PROG, 0, &x))
		goto out_img;
	if (mw_xdp_events_open(x, print_event, have_img ? &v : NULL, &ev)) {
		fprintf(stderr, "%s: %s\n", prog_name, mw_xdp_errmsg(x));
		goto out;
	}
	do {
		n = mw_xdp_events_poll(ev, follow ? 200 : 0);
		if (n < 0 && !stop) {
			fprintf(stderr, "%s: reading events failed\n", prog_name);
			goto out;
		}
	} while (!stop && (follow || n > 0));
	ret = 0;
out:
	mw_xdp_events_close(ev);
	mw_xdp_close(x);
out_img:
	if (have_img)
		mw_image_free(&img);
	return ret;
}
