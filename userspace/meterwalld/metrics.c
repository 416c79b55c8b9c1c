// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus metrics (text format 0.0.4) on a loopback HTTP endpoint
 * (libmicrohttpd), served from the daemon's own loop: libmicrohttpd runs
 * without a thread of its own (its epoll fd is polled with the others),
 * so a scrape reads the maps on the thread that owns the XDP handle.
 *
 *   GET /metrics   meterwall_up, the policy's serial and generation, island,
 *                  packets by reason (XDP), packets and bytes by system,
 *                  device and conduit, active blocks, the daemon's flow
 *                  records, evictions, write errors, free log space
 *   anything else  404
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "classify.h"
#include "meterwalld.h"

struct mwd_metrics {
	struct MHD_Daemon *mhd;
	struct mw_ctl *c;
	struct mw_xdp **x;		/* the daemon's handle (may open late) */
	const struct mwd_flowlog *flows;
	char log_dir[256];
	uint64_t scrapes;
	const struct mwd_notify *notify;
	const struct mwd_autoblock *ab;
	const struct mwd_events *ev;
	const uint64_t *audit_failures;
};

void mwd_metrics_watch(struct mwd_metrics *m, const struct mwd_notify *n,
		       const struct mwd_autoblock *ab, const struct mwd_events *ev,
		       const uint64_t *audit_failures)
{
	if (m) {
		m->notify = n;
		m->ab = ab;
		m->ev = ev;
		m->audit_failures = audit_failures;
	}
}


struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
			      b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0 || b->oom)
			return;
		if (b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap ? b->cap * 2 : 65536) + (size_t)n;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			b->oom = true;
			return;
		}
	}
}

/* A label value: backslash, double quote and newline escaped. */
static const char *lv(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[n++] = '\\';
			out[n++] = *s == '\n' ? 'n' : *s;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

static void help(struct buf *b, const char *name, const char *type,
		 const char *text)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* A metric without labels: its help, its type and its one value. */
static void one(struct buf *b, const char *name, const char *type,
		const char *text, unsigned long long v)
{
	help(b, name, type, text);
	put(b, "%s %llu\n", name, v);
}

/* The notifier's and the auto-block's counters. */
static void responses(struct buf *b, const struct mwd_metrics *m)
{
	const struct mwd_notify_stats *ns = mwd_notify_stats(m->notify);

	one(b, "meterwall_notify_delivered_total", "counter",
	    "Events notify_command took (exit status 0).",
	    ns->delivered);
	one(b, "meterwall_notify_failures_total", "counter",
	    "Runs of notify_command that failed (each retried, up to 5).",
	    ns->failures);
	one(b, "meterwall_notify_lost_total", "counter",
	    "Events not notified: given up after 5 runs, or a full queue.",
	    ns->given_up + ns->dropped);
	one(b, "meterwall_events_lost_total", "counter",
	    "Events not written to events.jsonl or not sent to syslog.",
	    mwd_events_lost(m->ev));
	if (m->audit_failures) {
		one(b, "meterwall_audit_write_failures_total", "counter",
		    "Audit records that could not be written (each an alert).",
		    *m->audit_failures);
	}
	if (m->ab) {
		one(b, "meterwall_auto_blocks_total", "counter",
		    "Blocks put in force by auto_block thresholds.",
		    mwd_autoblock_stats(m->ab)->trips);
	}
}

static void reasons(struct buf *b, struct mw_xdp *x)
{
	struct mw_counter rc[__MW_R_LAST];
	int r;

	if (mw_xdp_reason_counters(x, rc))
		return;
	help(b, "meterwall_xdp_packets_total", "counter",
	     "Packets judged by the XDP program, by verdict and reason.");
	for (r = 1; r < __MW_R_LAST; r++) {
		if (rc[r].pass_packets)
			put(b, "meterwall_xdp_packets_total{verdict=\"pass\",reason=\"%s\"} %llu\n",
			    mw_reason_name(r),
			    (unsigned long long)rc[r].pass_packets);
		if (rc[r].drop_packets)
			put(b, "meterwall_xdp_packets_total{verdict=\"drop\",reason=\"%s\"} %llu\n",
			    mw_reason_name(r),
			    (unsigned long long)rc[r].drop_packets);
	}
}

static void devices(struct buf *b, struct mw_xdp *x,
		    const struct mw_image_view *v)
{
	const struct mw_img_system *s;
	struct mw_counter *c, *sys;
	char l1[256], l2[256];
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < v->n_devices; i++)
		if (v->devices[i].id >= n)
			n = v->devices[i].id + 1;
	c = calloc(n + 1, sizeof(*c));
	sys = calloc(MW_MAX_SYSTEMS, sizeof(*sys));
	/* one batched read for all devices (a million: a few syscalls) */
	if (!c || !sys || mw_xdp_dev_counters(x, c, n)) {
		free(c);
		free(sys);
		return;
	}
	help(b, "meterwall_device_packets_total", "counter",
	     "Packets from a device of an external system, by verdict.");
	help(b, "meterwall_device_bytes_total", "counter",
	     "Bytes from a device of an external system, by verdict.");
	for (i = 0; i < v->n_devices; i++) {
		const struct mw_counter *d = &c[v->devices[i].id];

		s = mw_image_system(v, v->devices[i].system);
		if (s && s->id < MW_MAX_SYSTEMS) {
			sys[s->id].pass_packets += d->pass_packets;
			sys[s->id].drop_packets += d->drop_packets;
			sys[s->id].pass_bytes += d->pass_bytes;
			sys[s->id].drop_bytes += d->drop_bytes;
		}
		lv(mw_image_str(v, v->devices[i].name), l1, sizeof(l1));
		lv(s ? mw_image_str(v, s->name) : "", l2, sizeof(l2));
		put(b, "meterwall_device_packets_total{system=\"%s\",device=\"%s\",verdict=\"pass\"} %llu\n"
		    "meterwall_device_packets_total{system=\"%s\",device=\"%s\",verdict=\"drop\"} %llu\n"
		    "meterwall_device_bytes_total{system=\"%s\",device=\"%s\",verdict=\"pass\"} %llu\n"
		    "meterwall_device_bytes_total{system=\"%s\",device=\"%s\",verdict=\"drop\"} %llu\n",
		    l2, l1, (unsigned long long)d->pass_packets,
		    l2, l1, (unsigned long long)d->drop_packets,
		    l2, l1, (unsigned long long)d->pass_bytes,
		    l2, l1, (unsigned long long)d->drop_bytes);
	}
	help(b, "meterwall_system_packets_total", "counter",
	     "Packets from an external system's devices, by verdict.");
	help(b, "meterwall_system_bytes_total", "counter",
	     "Bytes from an external system's devices, by verdict.");
	for (i = 0; i < v->n_systems; i++) {
		const struct mw_counter *t = &sys[v->systems[i].id];

		if (v->systems[i].id >= MW_MAX_SYSTEMS)
			continue;
		lv(mw_image_str(v, v->systems[i].name), l2, sizeof(l2));
		put(b, "meterwall_system_packets_total{system=\"%s\",verdict=\"pass\"} %llu\n"
		    "meterwall_system_packets_total{system=\"%s\",verdict=\"drop\"} %llu\n"
		    "meterwall_system_bytes_total{system=\"%s\",verdict=\"pass\"} %llu\n"
		    "meterwall_system_bytes_total{system=\"%s\",verdict=\"drop\"} %llu\n",
		    l2, (unsigned long long)t->pass_packets,
		    l2, (unsigned long long)t->drop_packets,
		    l2, (unsigned long long)t->pass_bytes,
		    l2, (unsigned long long)t->drop_bytes);
	}
	free(c);
	free(sys);
}

static void conduits(struct buf *b, struct mw_xdp *x,
		     const struct mw_image_view *v)
{
	struct mw_counter c;
	char l1[256];
	size_t i;

	help(b, "meterwall_conduit_packets_total", "counter",
	     "Packets passed through a conduit.");
	for (i = 0; i < v->n_conduits; i++) {
		if (mw_xdp_conduit_counter(x, v->conduits[i].id, &c))
			continue;
		put(b, "meterwall_conduit_packets_total{conduit=\"%s\"} %llu\n",
		    lv(mw_image_str(v, v->conduits[i].name), l1, sizeof(l1)),
		    (unsigned long long)c.pass_packets);
	}
}

struct nblocks {
	uint64_t n[2];
};

static int count_block(enum mw_target kind, uint32_t id,
		       const struct mw_block *bl, void *arg)
{
	struct nblocks *nb = arg;

	(void)id;
	if (mw_block_in_force(bl, mw_now_boot_ns()))
		nb->n[kind == MW_TARGET_DEVICE]++;
	return 0;
}

/* The flow table and the flow records. */
static void flow_metrics(struct buf *b, const struct mwd_flow_stats *fs)
{
	one(b, "meterwall_flow_table_rows", "gauge",
	    "Rows of XDP's flow table, all CPUs (at the last poll).",
	    fs->rows);
	one(b, "meterwall_flow_table_used_rows", "gauge",
	    "Rows holding a flow (at the last poll).",
	    fs->used);
	help(b, "meterwall_flow_poll_seconds", "gauge",
	     "The last read of the flow table with its records: a flow's record "
	     "is written at most 1 s plus this after it is due.");
	put(b, "meterwall_flow_poll_seconds %.6f\n", fs->poll_ns / 1e9);
	one(b, "meterwall_flow_records_total", "counter",
	    "Flow records written.",
	    fs->records);
	one(b, "meterwall_flows_evicted_total", "counter",
	    "Flows that left the table with packets not yet written.",
	    fs->evicted);
	one(b, "meterwall_flow_write_errors_total", "counter",
	    "Flow records lost to a failing write.",
	    fs->write_errors);
}

/*
 * Seconds since the policy in force was put in place (policy.img, by the
 * same lstat as the daemon's reload check: a link there is no policy).
 */
static void policy_age(struct buf *b, const struct mwd_metrics *m)
{
	struct mwd_file_id id;

	if (mwd_policy_id(m->c, &id))
		return;
	help(b, "meterwall_policy_age_seconds", "gauge",
	     "Seconds since the policy in force was loaded.");
	put(b, "meterwall_policy_age_seconds %lld\n",
	    (long long)(time(NULL) - id.mtim.tv_sec));
}

static char *render(struct mwd_metrics *m, size_t *len)
{
	const struct mw_image_view *v = mwd_flowlog_view(m->flows);
	const struct mwd_flow_stats *fs = mwd_flowlog_stats(m->flows);
	struct mw_xdp *x = *m->x;
	struct mw_xdp_status st;
	struct nblocks nb = { { 0, 0 } };
	struct statvfs fs_st;
	uint64_t evicted;
	struct buf b = { 0 };

	help(&b, "meterwall_up", "gauge", "1: meterwalld answers.");
	put(&b, "meterwall_up 1\n");
	if (x && !mw_xdp_status(x, &st)) {
		help(&b, "meterwall_policy_serial", "gauge",
		     "Serial of the policy in force in XDP (0: none).");
		put(&b, "meterwall_policy_serial %llu\n",
		    (unsigned long long)(st.cfg.generation ?
					 st.active.serial : 0));
		help(&b, "meterwall_policy_generation", "counter",
		     "Policy loads into XDP since its maps were created.");
		put(&b, "meterwall_policy_generation %u\n", st.cfg.generation);
		help(&b, "meterwall_island", "gauge",
		     "1: island mode, all external traffic dropped.");
		put(&b, "meterwall_island %u\n", st.cfg.island ? 1 : 0);
		reasons(&b, x);
		mw_xdp_foreach_block(x, count_block, &nb);
		help(&b, "meterwall_blocks_active", "gauge",
		     "Blocks in force, by kind.");
		put(&b, "meterwall_blocks_active{kind=\"system\"} %llu\n"
		    "meterwall_blocks_active{kind=\"device\"} %llu\n",
		    (unsigned long long)nb.n[0], (unsigned long long)nb.n[1]);
		if (v) {
			devices(&b, x, v);
			conduits(&b, x, v);
		}
	}
	if (x && !mw_xdp_flow_evictions(x, &evicted)) {
		help(&b, "meterwall_xdp_flow_evictions_total", "counter",
		     "Flow rows XDP gave to another flow (LRU): flows that may "
		     "have left the table before a record was written.");
		put(&b, "meterwall_xdp_flow_evictions_total %llu\n",
		    (unsigned long long)evicted);
	}
	flow_metrics(&b, fs);
	policy_age(&b, m);
	if (!statvfs(m->log_dir, &fs_st)) {
		help(&b, "meterwall_log_free_bytes", "gauge",
		     "Free space for the logs (flow records, events, audit).");
		put(&b, "meterwall_log_free_bytes %llu\n",
		    (unsigned long long)fs_st.f_bavail *
		    (unsigned long long)fs_st.f_frsize);
	}
	responses(&b, m);
	help(&b, "meterwall_scrapes_total", "counter", "Scrapes answered.");
	put(&b, "meterwall_scrapes_total %llu\n",
	    (unsigned long long)++m->scrapes);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct mwd_metrics *m = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;
	size_t len = 0;
	char *body;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, "GET") || strcmp(url, "/metrics")) {
		static const char nf[] = "not found: GET /metrics\n";

		r = MHD_create_response_from_buffer(sizeof(nf) - 1,
						    (void *)nf,
						    MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	} else {
		body = render(m, &len);
		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(len, body,
						    MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, "Content-Type",
					"text/plain; version=0.0.4");
	}
	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

int mwd_metrics_open(const char *listen, struct mw_ctl *c, struct mw_xdp **x,
		     const struct mwd_flowlog *flows, const char *log_dir,
		     struct mwd_metrics **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64], *port;
	struct mwd_metrics *m;

	if ((size_t)snprintf(host, sizeof(host), "%s", listen) >= sizeof(host))
		return -EINVAL;
	port = strrchr(host, ':');
	if (!port)
		return -EINVAL;
	*port++ = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || !atoi(port))
		return -EINVAL;
	sa.sin_port = htons((uint16_t)atoi(port));
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->c = c;
	m->x = x;
	m->flows = flows;
	snprintf(m->log_dir, sizeof(m->log_dir), "%s", log_dir);
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL,
				  0, NULL, NULL, answer, m,
				  MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_LIMIT, 16,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10,
				  MHD_OPTION_END);
	if (!m->mhd) {
		free(m);
		return -EADDRNOTAVAIL;
	}
	*out = m;
	return 0;
}

int mwd_metrics_fd(const struct mwd_metrics *m)
{
	const union MHD_DaemonInfo *i;

	if (!m)
		return -1;
	i = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return i ? i->epoll_fd : -1;
}

void mwd_metrics_run(struct mwd_metrics *m)
{
	if (m)
		MHD_run(m->mhd);
}

void mwd_metrics_close(struct mwd_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
