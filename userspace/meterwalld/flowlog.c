// SPDX-License-Identifier: GPL-2.0
/*
 * Flow records (control 1.1.5), IPFIX semantics: every poll the XDP flow
 * table is read whole, row by row, each row against the flow tracked in
 * it before (the same key and first packet: the same flow; no sorting,
 * no search); a flow
 * is written as one JSON line when it goes idle (no packet for idle
 * seconds), every active seconds while it lasts, and when it leaves the
 * table (evicted or flushed) with packets not yet written.  Each record
 * carries its share of packets and bytes (what came since the flow's
 * last record), so the records of a flow add up to its counters.  The
 * table has a part per CPU: a flow whose packets came in on two CPUs is
 * two rows, tracked and written each on its own (IPFIX's flows per
 * observation point), and its records still add up.
 *
 * A line: time (RFC 3339 UTC, ms), end (idle | active | evicted), first
 * and last (RFC 3339, and the same in ns), iface, demarcation (the
 * system's interface in the policy), family, proto, src, sport, dst,
 * dport, system, entity, contact, device, conduit, verdict, reason,
 * packets, bytes.  Names come from the policy in force (re-read when
 * policy.img changes).
 *
 * What was written of each flow is kept in MARKS (the state directory's
 * flows.marks, replaced at most every 10 s and at exit): a restarted
 * daemon goes on from there instead of writing the flows' packets again.
 * A daemon killed between two saves writes again at most the records of
 * those seconds (the same first/last/packets: recognisable).
 *
 * An evicted flow's row comes from the program itself (the flow_export
 * ring, mwd_flowlog_export) as it was when another flow took it over: its
 * record is written then, with every packet, also for a flow that came
 * and went between two polls.  Only a full ring falls back to what the
 * last poll saw.
 *
 * The file is appended to (0640, never through a symbolic link) and
 * rotated to NAME.1 past max_bytes.  A record is appended whole or not at
 * all: one that fails (a full disk) is counted and dropped; enforcement
 * never waits for it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "fileio.h"
#include "json.h"
#include "meterwalld.h"
#include "timefmt.h"

/* A tracked flow: the flow in one row of the table (l->v[row]). */
struct fent {
	struct mw_flow_key k;
	uint32_t row;
	struct mw_flow f;		/* as last read */
	uint64_t out_packets;		/* written so far */
	uint64_t out_bytes;
	uint64_t out_last_ns;		/* last_ns at the last record */
	uint64_t out_at_ns;		/* when the last record was written */
	uint32_t seen;			/* the poll that saw it last */
	bool used;			/* a flow is tracked here */
	bool gone;			/* evicted and written (its row's next
					 * flow is another) */
};

struct mwd_flowlog {
	struct fent *v;			/* by row; NULL before the first poll */
	size_t n;			/* rows */
	struct fent *dep;		/* left their rows in this poll */
	size_t n_dep, cap_dep;
	struct fent *pend;		/* flows.marks, until rows are known */
	size_t n_pend;
	uint32_t epoch;			/* polls */
	char path[512];
	int fd;				/* flows.jsonl, O_APPEND; -1: closed */
	uint64_t idle_ns, active_ns, max_bytes;
	uint64_t max_age_ns, started_ns;	/* rotated that long after */
	struct mw_image img;		/* the policy in force, for names */
	struct mw_image_view view;
	bool have_view;
	struct mwd_file_id img_id;	/* policy.img as view was read */
	struct mwd_flow_stats st;
	struct mwd_newflow *news;	/* this poll's new flows */
	size_t n_news, cap_news;
	uint32_t *limited;		/* devices with rate-limit drops since */
	size_t n_limited, cap_limited;	/* the poll before */
	uint64_t polled_ns;		/* the poll before; 0 = none yet */
	char marks[512];		/* "" = not kept */
	bool marks_dirty;
	uint64_t marks_saved_ns;
	struct mw_xdp_events *ring;	/* flow_export */
	bool ring_tried;
	/* records gathered, appended at once at the end of a poll or of a
	 * drain of the ring (one write; a failing one is retried record by
	 * record, so a full disk loses only those that do not fit) */
	FILE *bm;
	char *bbuf;
	size_t blen, bn;
	struct { unsigned int ifindex; char name[IF_NAMESIZE]; } ifn[8];
	unsigned int n_ifn;		/* names this poll (no syscall each) */
	void (*yield)(void *arg);	/* now and then in a long poll */
	void *yield_arg;
};

void mwd_flowlog_set_yield(struct mwd_flowlog *l, void (*fn)(void *arg),
			   void *arg)
{
	l->yield = fn;
	l->yield_arg = arg;
}

/* One flow's mark in flows.marks. */
struct fmark {
	struct mw_flow_key k;
	uint32_t row;
	uint64_t out_packets, out_bytes, out_last_ns, out_at_ns;
};

/* By key, then CPU: a row of the table is one tracked flow. */
/* The marks of a previous daemon: placed in their rows at the first poll. */
static void marks_load(struct mwd_flowlog *l)
{
	struct stat st;
	struct fmark m;
	size_t cap;
	FILE *f;
	int fd;

	fd = open(l->marks, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f || fstat(fd, &st) || st.st_size % sizeof(m)) {
		if (f)
			fclose(f);	/* (another version's: not ours) */
		else if (fd >= 0)
			close(fd);
		return;
	}
	cap = (size_t)st.st_size / sizeof(m);
	l->pend = calloc(cap + 1, sizeof(*l->pend));
	while (l->pend && l->n_pend < cap && fread(&m, sizeof(m), 1, f) == 1) {
		struct fent *e = &l->pend[l->n_pend++];

		e->k = m.k;
		e->row = m.row;
		e->used = true;
		e->f.packets = m.out_packets;	/* as if read then */
		e->f.bytes = m.out_bytes;
		e->out_packets = m.out_packets;
		e->out_bytes = m.out_bytes;
		e->out_last_ns = m.out_last_ns;
		e->out_at_ns = m.out_at_ns;
	}
	fclose(f);
}

static void marks_save(struct mwd_flowlog *l, uint64_t now)
{
	struct fmark *m;
	size_t i, n = 0;

	if (!l->marks[0] || !l->marks_dirty || !l->v)
		return;
	m = calloc(l->n + 1, sizeof(*m));
	if (!m)
		return;
	for (i = 0; i < l->n; i++)
		if (l->v[i].used && !l->v[i].gone)
			m[n++] = (struct fmark){ l->v[i].k, l->v[i].row,
						 l->v[i].out_packets,
						 l->v[i].out_bytes,
						 l->v[i].out_last_ns,
						 l->v[i].out_at_ns };
	if (!mw_replace_file(l->marks, m, n * sizeof(*m), 0600)) {
		l->marks_dirty = false;
		l->marks_saved_ns = now;
	}
	free(m);
}

int mwd_flowlog_open(const char *path, uint64_t idle_s, uint64_t active_s,
		     uint64_t max_bytes, uint64_t max_age_s, const char *marks,
		     struct mwd_flowlog **out)
{
	struct mwd_flowlog *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	if ((size_t)snprintf(l->path, sizeof(l->path), "%s", path) >=
	    sizeof(l->path)) {
		free(l);
		return -ENAMETOOLONG;
	}
	l->fd = -1;
	l->idle_ns = idle_s * 1000000000ULL;
	l->active_ns = active_s * 1000000000ULL;
	l->max_bytes = max_bytes;
	l->max_age_ns = max_age_s * 1000000000ULL;
	if (marks && (size_t)snprintf(l->marks, sizeof(l->marks), "%s",
				      marks) < sizeof(l->marks))
		marks_load(l);
	else
		l->marks[0] = '\0';
	*out = l;
	return 0;
}

static void flush(struct mwd_flowlog *l);

void mwd_flowlog_close(struct mwd_flowlog *l)
{
	if (!l)
		return;
	flush(l);
	marks_save(l, 0);
	if (l->fd >= 0)
		close(l->fd);
	if (l->have_view)
		mw_image_free(&l->img);
	free(l->v);
	free(l->news);
	free(l->limited);
	free(l->dep);
	free(l->pend);
	mw_xdp_events_close(l->ring);
	free(l);
}

const struct mwd_newflow *mwd_flowlog_news(const struct mwd_flowlog *l,
					   size_t *n)
{
	*n = l->n_news;
	return l->news;
}

void mwd_flowlog_news_done(struct mwd_flowlog *l)
{
	l->n_news = 0;
}

const uint32_t *mwd_flowlog_limited(const struct mwd_flowlog *l, size_t *n)
{
	*n = l->n_limited;
	return l->limited;
}

/* Rank for the evidence: dropped flows first, then by packets. */
static bool ranks_before(const struct mw_flow *a, const struct mw_flow *b)
{
	if (a->verdict != b->verdict)
		return a->verdict == MW_VERDICT_DROP;
	return a->packets > b->packets;
}

/* The top max flows of a device (system: of a system's devices) in the
 * table as last read, dropped ones first, then by packets; how many. */
size_t mwd_flowlog_top(const struct mwd_flowlog *l, bool system, uint32_t id,
		       struct mwd_topflow *out, size_t max)
{
	const struct mw_img_device *d;
	size_t i, j, n = 0;

	for (i = 0; i < l->n && max; i++) {
		const struct fent *e = &l->v[i];

		if (!e->used)
			continue;
		if (system) {
			d = l->have_view ? mw_image_device(&l->view,
							   e->f.device) : NULL;
			if (!d || d->system != id)
				continue;
		} else if (e->f.device != id) {
			continue;
		}
		if (n == max && !ranks_before(&e->f, &out[n - 1].f))
			continue;
		j = n < max ? n++ : n - 1;
		for (; j && ranks_before(&e->f, &out[j - 1].f); j--)
			out[j] = out[j - 1];
		out[j] = (struct mwd_topflow){ e->k, e->f };
	}
	return n;
}

const struct mw_image_view *mwd_flowlog_view(const struct mwd_flowlog *l)
{
	return l->have_view ? &l->view : NULL;
}

const struct mwd_flow_stats *mwd_flowlog_stats(const struct mwd_flowlog *l)
{
	return &l->st;
}

/* The policy in force, re-read when policy.img changed. */
static void refresh_names(struct mwd_flowlog *l, struct mw_ctl *c)
{
	struct mwd_file_id id;

	if (mwd_policy_id(c, &id) ||
	    (l->have_view && mwd_file_id_eq(&id, &l->img_id)))
		return;
	if (l->have_view)
		mw_image_free(&l->img);
	l->have_view = !mw_ctl_active_image(c, &l->img, &l->view);
	l->img_id = id;
}

/* When the file was started: its birth time where the file system keeps
 * one, else now (a file found at start is then kept a while longer). */
static uint64_t started_ns(int fd)
{
	struct statx sx;
	struct timespec ts;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) &&
	    (sx.stx_mask & STATX_BTIME))
		return (uint64_t)sx.stx_btime.tv_sec * 1000000000ULL +
		       sx.stx_btime.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int log_fd(struct mwd_flowlog *l)
{
	struct timespec ts;
	struct stat st;
	char old[600];
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	if (l->fd >= 0 && !fstat(l->fd, &st) && st.st_size &&
	    ((l->max_bytes && (uint64_t)st.st_size >= l->max_bytes) ||
	     (l->max_age_ns && now - l->started_ns >= l->max_age_ns))) {
		close(l->fd);
		l->fd = -1;
		snprintf(old, sizeof(old), "%s.1", l->path);
		if (rename(l->path, old) == 0)
			l->st.rotations++;
	}
	if (l->fd < 0) {
		l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT |
			     O_NOFOLLOW | O_CLOEXEC, 0640);
		if (l->fd >= 0)
			l->started_ns = started_ns(l->fd);
	}
	return l->fd;
}

static void rfc3339(uint64_t unix_ns, char *buf, size_t len)
{
	mw_time_format((int64_t)unix_ns, 0, 3, buf, len);
}


static void names(const struct mwd_flowlog *l, const struct fent *e,
		  const char **dev, const char **sys, const char **entity,
		  const char **contact, const char **demarc,
		  const char **conduit)
{
	const struct mw_image_view *v = l->have_view ? &l->view : NULL;
	const struct mw_img_device *d = v ? mw_image_device(v, e->f.device) :
					NULL;
	const struct mw_img_system *s = d ? mw_image_system(v, d->system) :
					NULL;
	const struct mw_img_conduit *c = v && e->f.conduit != MW_ID_NONE ?
					 mw_image_conduit(v, e->f.conduit) :
					 NULL;
	const struct mw_img_iface *f = s ? mw_image_iface(v, s->iface) : NULL;
	*dev = d ? mw_image_str(v, d->name) : "";
	*sys = s ? mw_image_str(v, s->name) : "";
	*entity = s ? mw_image_str(v, s->entity) : "";
	*contact = s ? mw_image_str(v, s->contact) : "";
	*demarc = f ? f->name : "";
	*conduit = c ? mw_image_str(v, c->name) : "";
}

static const char *ifname_of(struct mwd_flowlog *l, unsigned int ifindex,
			     char buf[IF_NAMESIZE])
{
	unsigned int i;

	for (i = 0; i < l->n_ifn; i++)
		if (l->ifn[i].ifindex == ifindex)
			return l->ifn[i].name;
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	if (l->n_ifn < sizeof(l->ifn) / sizeof(l->ifn[0])) {
		l->ifn[l->n_ifn].ifindex = ifindex;
		memcpy(l->ifn[l->n_ifn++].name, buf, IF_NAMESIZE);
	}
	return buf;
}

/* The records gathered, appended: all at once, else one by one. */
static void flush(struct mwd_flowlog *l)
{
	char *p, *nl;
	int fd;

	if (!l->bm)
		return;
	fclose(l->bm);
	l->bm = NULL;
	fd = log_fd(l);
	if (fd >= 0 && l->bbuf && !mw_append_record(fd, l->bbuf, l->blen)) {
		l->st.records += l->bn;
	} else {
		for (p = l->bbuf; fd >= 0 && p && p < l->bbuf + l->blen;
		     p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(l->bbuf + l->blen - p));
			if (!nl)
				break;
			if (mw_append_record(fd, p, (size_t)(nl - p + 1)))
				l->st.write_errors++;
			else
				l->st.records++;
		}
		if (fd < 0)
			l->st.write_errors += l->bn;
	}
	free(l->bbuf);
	l->bbuf = NULL;
	l->blen = l->bn = 0;
}

/* One record: e's packets and bytes since its last record (gathered;
 * flush() appends them). */
static void write_record(struct mwd_flowlog *l, struct fent *e,
			 const char *end, uint64_t now)
{
	const char *dev, *sys, *entity, *contact, *demarc, *conduit;
	char t[40], a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	char ifname[IF_NAMESIZE], pbuf[MW_PROTO_LEN];
	int af = e->k.family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!l->bm && !(l->bm = open_memstream(&l->bbuf, &l->blen))) {
		l->st.write_errors++;
		return;
	}
	names(l, e, &dev, &sys, &entity, &contact, &demarc, &conduit);
	inet_ntop(af, e->k.src, a, sizeof(a));
	inet_ntop(af, e->k.dst, b, sizeof(b));
	jp_init(l->bm, true);
	jp_open_obj(NULL);
	rfc3339(now, t, sizeof(t));
	jp_str("time", t);
	jp_str("end", end);
	rfc3339(e->f.first_ns, t, sizeof(t));
	jp_str("first", t);
	rfc3339(e->f.last_ns, t, sizeof(t));
	jp_str("last", t);
	jp_u64("first_ns", e->f.first_ns);
	jp_u64("last_ns", e->f.last_ns);
	jp_str("iface", ifname_of(l, e->k.ifindex, ifname));
	jp_str("demarcation", demarc);
	jp_str("family", af == AF_INET ? "ipv4" : "ipv6");
	jp_str("proto", mw_proto_name(e->k.proto, pbuf));
	jp_str("src", a);
	jp_u64("sport", ntohs(e->k.sport));
	jp_str("dst", b);
	jp_u64("dport", ntohs(e->k.dport));
	jp_str("system", sys);
	jp_str("entity", entity);
	jp_str("contact", contact);
	jp_str("device", dev);
	jp_str("conduit", conduit);
	jp_str("verdict", mw_verdict_name(e->f.verdict));
	jp_str("reason", mw_reason_name(e->f.reason));
	jp_u64("packets", e->f.packets - e->out_packets);
	jp_u64("bytes", e->f.bytes - e->out_bytes);
	jp_close_obj();
	jp_finish();
	l->bn++;
	e->out_packets = e->f.packets;
	e->out_bytes = e->f.bytes;
	e->out_last_ns = e->f.last_ns;
	e->out_at_ns = now;
	l->marks_dirty = true;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? 2 * *cap : 256;
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*v, c * size);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

/* A flow that started since the last poll (auto-block counts them). */
static void count_new(struct mwd_flowlog *l, const struct fent *e)
{
	struct mwd_newflow *nf;

	if (!l->polled_ns || e->f.device == MW_ID_NONE ||
	    !grow((void **)&l->news, &l->cap_news, l->n_news, sizeof(*nf)))
		return;		/* the first poll: every flow is "new" */
	nf = &l->news[l->n_news++];
	nf->device = e->f.device;
	nf->family = e->k.family;
	nf->proto = e->k.proto;
	nf->dport = ntohs(e->k.dport);
	memcpy(nf->dst, e->k.dst, sizeof(nf->dst));
}

/* Devices whose flows were dropped for their system's limits since the
 * poll before (a row's latest packet: a second may be missed, never
 * made up). */
static void find_limited(struct mwd_flowlog *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct fent *e = &l->v[i];

		if (!e->used || e->f.reason != MW_R_RATE_LIMIT ||
		    e->f.last_ns <= l->polled_ns ||
		    e->f.device == MW_ID_NONE ||
		    !grow((void **)&l->limited, &l->cap_limited, l->n_limited,
			  sizeof(*l->limited)))
			continue;
		l->limited[l->n_limited++] = e->f.device;
	}
}

/* A flow left its row (evicted, or the table flushed): its record once
 * the ring has been read (its row as it was may be there), else from
 * what the last poll read. */
static void depart(struct mwd_flowlog *l, struct fent *e)
{
	if (e->used && !e->gone && e->f.packets > e->out_packets &&
	    grow((void **)&l->dep, &l->cap_dep, l->n_dep, sizeof(*e)))
		l->dep[l->n_dep++] = *e;
	e->used = false;
}

static bool same_flow(const struct fent *e, const struct mw_flow_key *k,
		      const struct mw_flow *f)
{
	/* (a flow carried over from flows.marks has no first_ns yet) */
	return e->used && !memcmp(&e->k, k, sizeof(*k)) &&
	       (!e->f.first_ns || e->f.first_ns == f->first_ns) &&
	       f->packets >= e->out_packets;
}

struct visit {
	struct mwd_flowlog *l;
	uint64_t now;
	size_t n;
};

/* A row in use now: the same flow as before, or a new one. */
static int visit_row(const struct mw_flow_key *k, uint32_t row,
		     const struct mw_flow *f, void *arg)
{
	struct visit *vi = arg;
	struct mwd_flowlog *l = vi->l;
	struct fent *e;

	if (row >= l->n)
		return 0;
	e = &l->v[row];
	if (e->used && !same_flow(e, k, f))
		depart(l, e);
	if (!e->used) {
		memset(e, 0, sizeof(*e));
		e->k = *k;
		e->row = row;
		e->used = true;
		e->out_at_ns = vi->now;
		e->f = *f;
		count_new(l, e);
	} else {
		e->f = *f;
	}
	e->seen = l->epoch;
	if (l->yield && !(++vi->n % 16384))
		l->yield(l->yield_arg);
	return 0;
}

/* An evicted flow's row as it was: its record now, with all its packets
 * since the last one (the whole flow when no poll saw it). */
static int on_export(const struct mw_flow_export *x, void *arg)
{
	struct mwd_flowlog *l = arg;
	struct fent one = { .k = x->key, .row = x->row, .f = x->f };
	struct fent *e = NULL;
	struct timespec ts;
	uint64_t now;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	l->st.exported++;
	for (i = 0; i < l->n_dep && !e; i++)	/* left in this poll */
		if (l->dep[i].row == x->row && same_flow(&l->dep[i], &x->key,
							 &x->f))
			e = &l->dep[i];
	if (!e && l->v && x->row < l->n &&
	    same_flow(&l->v[x->row], &x->key, &x->f))
		e = &l->v[x->row];
	if (e) {
		e->f = x->f;		/* the same flow, since its last read */
	} else {
		e = &one;		/* a flow no poll saw */
		one.used = true;
		count_new(l, e);
	}
	if (e->f.packets > e->out_packets) {
		write_record(l, e, "evicted", now);
		l->st.evicted++;
	}
	e->gone = true;
	return 0;
}

int mwd_flowlog_exports_fd(const struct mwd_flowlog *l)
{
	return l->ring ? mw_xdp_events_fd(l->ring) : -1;
}

void mwd_flowlog_drain(struct mwd_flowlog *l)
{
	if (l->ring)
		mw_xdp_events_poll(l->ring, 0);
	flush(l);
}

/* The rows, and the flows of a previous daemon placed in theirs. */
static int rows_init(struct mwd_flowlog *l, struct mw_xdp *x)
{
	size_t i;

	l->n = mw_xdp_flow_table_rows(x);
	l->v = calloc(l->n, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (i = 0; i < l->n_pend; i++)
		if (l->pend[i].row < l->n)
			l->v[l->pend[i].row] = l->pend[i];
	free(l->pend);
	l->pend = NULL;
	l->n_pend = 0;
	return 0;
}

/* Read the table (rows flows left are written once the ring has been
 * read), then write what is due. */
static int read_table(struct mwd_flowlog *l, struct mw_xdp *x, uint64_t now)
{
	struct visit vi = { .l = l, .now = now };
	size_t i;
	int err;

	/* rows taken over since the last poll: against what was tracked */
	mwd_flowlog_drain(l);
	l->epoch++;
	l->n_dep = 0;
	err = mw_xdp_foreach_flow_row(x, visit_row, &vi);
	if (err)
		return err;
	for (i = 0; i < l->n; i++)	/* rows emptied (a flush) */
		if (l->v[i].used && l->v[i].seen != l->epoch)
			depart(l, &l->v[i]);
	/* every row taken over before or while the table was read is in
	 * the ring now (the program submits it first) */
	if (l->ring)
		mw_xdp_events_poll(l->ring, 0);
	for (i = 0; i < l->n_dep; i++)
		if (!l->dep[i].gone) {
			write_record(l, &l->dep[i], "evicted", now);
			l->st.evicted++;
		}
	l->n_dep = 0;
	return 0;
}

int mwd_flowlog_poll(struct mwd_flowlog *l, struct mw_ctl *c,
		     struct mw_xdp *x)
{
	struct timespec ts;
	uint64_t now;
	size_t i;
	int err;

	refresh_names(l, c);
	l->n_ifn = 0;		/* interfaces are looked up anew each poll */
	if (!l->ring && !l->ring_tried) {
		l->ring_tried = true;
		if (mw_xdp_flow_export_open(x, on_export, l, &l->ring))
			fprintf(stderr, "meterwalld: warning: evicted flows' rows are not read: %s\n",
				mw_xdp_errmsg(x));
	}
	if (!l->v && (err = rows_init(l, x)))
		return err;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	l->n_limited = 0;
	err = read_table(l, x, now);
	if (err)
		return err;
	l->st.rows = l->n;
	for (i = 0, l->st.used = 0; i < l->n; i++)
		l->st.used += l->v[i].used;
	if (l->polled_ns)
		find_limited(l);
	l->polled_ns = now;
	for (i = 0; i < l->n; i++) {
		struct fent *e = &l->v[i];

		/* a large table takes a while: drop events (auto-block's
		 * drops_per_min) are not kept waiting for all of it */
		if (l->yield && !(i % 16384) && i)
			l->yield(l->yield_arg);
		if (!e->used || e->gone || e->f.packets == e->out_packets)
			continue;	/* nothing new since its record */
		if (now >= e->f.last_ns && now - e->f.last_ns >= l->idle_ns)
			write_record(l, e, "idle", now);
		else if (now - e->out_at_ns >= l->active_ns)
			write_record(l, e, "active", now);
	}
	flush(l);
	if (now - l->marks_saved_ns >= 10ULL * 1000000000ULL)
		marks_save(l, now);
	clock_gettime(CLOCK_REALTIME, &ts);
	l->st.poll_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			(uint64_t)ts.tv_nsec - now;
	return 0;
}
