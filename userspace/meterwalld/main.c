// SPDX-License-Identifier: GPL-2.0
/*
 * meterwalld: keeps enforcement in force across boots, restarts and link
 * changes (issue 11, first part).
 *
 * At start: the policy in force (the state directory's policy.img) and
 * every recorded block go back into both enforcement points (mw_ctl_
 * restore), and the XDP program is attached to every external interface
 * of the policy that exists.  Then it watches:
 *   - links (rtnetlink): an external interface that appears, is
 *     re-created (a new ifindex: XDP's tables hold ifindexes) or renamed
 *     into a policy name gets the policy's tables reloaded for it and the
 *     program attached, before it carries traffic where the kernel allows
 *     (the link event comes when the device is created, before it is up);
 *     one the operator detached (mwctl detach) is left so until attached;
 *   - policy.img being replaced (mwctl load): newly named external
 *     interfaces are attached;
 *   - the wall clock (a timerfd cancelled on every step): both points'
 *     clock offsets synced at once (mw_ctl_clock_sync), so windows and
 *     valid_from follow the step; expiries follow only forward steps
 *     (uapi "Time base"), blocks not at all (boot clock);
 *   - the XDP flow table, every second: flow records as JSON lines in
 *     the log directory's flows.jsonl (flowlog.c), and the drop counters
 *     of systems with auto_block thresholds (autoblock.c);
 *   - Prometheus scrapes on metrics_listen (metrics.c), in this loop;
 *   - the audit log: mwctl's state changes passed on as events
 *     (auditfwd.c); XDP's drop events, as events too (dropev.c);
 *   - SIGHUP: restore and attach everything again; SIGTERM/SIGINT: exit.
 *     The pinned links and maps stay: enforcement goes on without the
 *     daemon, and the next start adopts them.
 * sd_notify: READY=1 once restored and attached, STATUS=, and WATCHDOG=1
 * when the unit asks for a watchdog.  Messages go to stderr (the journal).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "calendar.h"
#include "meterwalld.h"
#include "timefmt.h"

#define DEFAULT_CONFIG	"/etc/meterwall/meterwalld.yaml"

struct known {			/* an external interface as last attached */
	char name[MW_IFNAMSIZ];
	unsigned int ifindex;
};

/*
 * The external interfaces of the policy in force, read again only when
 * policy.img is another file or was rewritten (its identity below, from a
 * stat taken before the read: a replacement meanwhile is read at the next
 * use).  Every link event of the host asks for them, and the image of a
 * 10^6-device policy costs 0.14 s to read and check: a burst of events
 * from interfaces of no concern (containers, VLANs) must not stall the
 * loop, and its watchdog.
 */
struct policy_ext {
	bool valid;
	struct mwd_file_id id;
	uint32_t flow_entries;		/* the image header's */
	size_t n;
	char name[MW_MAX_IFACES][MW_IFNAMSIZ];
};

struct daemon {
	struct mwd_config cfg;
	struct mw_ctl *c;
	struct mw_xdp *x;	/* with the program, loaded once */
	struct known known[MW_MAX_IFACES];
	size_t n_known;
	unsigned int attached;	/* external interfaces attached now */
	struct mwd_flowlog *flows;	/* flow records (flowlog.c) */
	struct mwd_autoblock *ab;	/* auto_block (autoblock.c) */
	struct mwd_events *ev;		/* events.jsonl, syslog (events.c) */
	struct mwd_metrics *metrics;	/* Prometheus (metrics.c) */
	struct mwd_notify *notify;	/* notify_command (notify.c) */
	struct mw_calendar *cal;	/* agreements, windows (calendar.h) */
	uint64_t audit_failures;	/* audit records not written */
	bool storage_low;		/* log_dir under log_min_free_mb */
	struct mwd_auditfwd *audit;	/* mwctl's records as events */
	struct mwd_dropev *drops;	/* XDP's drop events (dropev.c) */
	bool drops_tried;
	unsigned int kmod_ask;
	int64_t next_flow_poll;	/* CLOCK_MONOTONIC ms */
	struct policy_ext pe;
};

static void report(enum mw_ctl_level level, const char *subject,
		   const char *msg, void *arg)
{
	struct daemon *d = arg;

	fprintf(stderr, "meterwalld: %s%s%s\n", subject ? subject : "",
		subject ? ": " : "", msg);
	/* the controller's alerts (an audit record not written) */
	if (level == MW_CTL_WARNING && !strncmp(msg, "alert: ", 7))
		d->audit_failures++;
	if (level == MW_CTL_WARNING && !strncmp(msg, "alert: ", 7) && d->ev) {
		const char *kv[] = { "reason", msg + 7, NULL };

		mwd_event(d->ev, 1, "alert", kv, "%s", msg);
	}
}

static struct known *known_of(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_known; i++)
		if (!strcmp(d->known[i].name, name))
			return &d->known[i];
	if (d->n_known == MW_MAX_IFACES)
		return NULL;
	snprintf(d->known[d->n_known].name, MW_IFNAMSIZ, "%s", name);
	d->known[d->n_known].ifindex = 0;
	return &d->known[d->n_known++];
}

/* The program on the external interface name (ifindex now): the policy's
 * tables reloaded first when the interface is new to them. */
static void enforce_on(struct daemon *d, const char *name,
		       unsigned int ifindex)
{
	struct mw_xdp_iface_info info;
	struct known *k = known_of(d, name);

	if (!k || !d->x || mw_xdp_iface_query(d->x, name, &info) ||
	    !info.ifindex || mw_ctl_is_detached(d->c, name))
		return;		/* (an operator's detach stands) */
	if (info.linked && info.ours && k->ifindex == ifindex)
		return;			/* in force already */
	if (k->ifindex != ifindex && mw_ctl_restore(d->c, true, NULL))
		fprintf(stderr, "meterwalld: %s (ifindex %u): the policy's tables could not be reloaded for it\n",
			name, ifindex);
	if (!mw_ctl_attach_with(d->c, d->x, name, d->cfg.mode, NULL)) {
		char idx[16];
		const char *kv[] = { "iface", name, "ifindex", idx, NULL };

		k->ifindex = ifindex;
		snprintf(idx, sizeof(idx), "%u", ifindex);
		fprintf(stderr, "meterwalld: %s (ifindex %u): attached\n", name,
			ifindex);
		mwd_event(d->ev, 5, "attach", kv,
			  "XDP attached to %s (ifindex %u)", name, ifindex);
	}
}

/* The external interfaces of the policy in force (NULL: none is, or it
 * cannot be read: mw_ctl_active_image said why). */
static const struct policy_ext *policy_ext(struct daemon *d)
{
	struct policy_ext *e = &d->pe;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct mwd_file_id id;
	size_t i;

	if (mwd_policy_id(d->c, &id)) {
		e->valid = false;
		return NULL;
	}
	if (e->valid && mwd_file_id_eq(&e->id, &id))
		return e;
	e->valid = false;
	if (mw_ctl_active_image(d->c, &img, &v))
		return NULL;
	e->n = 0;
	for (i = 0; i < v.n_ifaces && e->n < MW_MAX_IFACES; i++)
		if (v.ifaces[i].zone == MW_ZONE_EXTERNAL)
			snprintf(e->name[e->n++], MW_IFNAMSIZ, "%s",
				 v.ifaces[i].name);
	e->flow_entries = v.hdr->flow_entries;
	mw_image_free(&img);
	e->id = id;
	e->valid = true;
	return e;
}

/* Every external interface of the policy in force that exists. */
static void enforce_all(struct daemon *d)
{
	const struct policy_ext *e = policy_ext(d);
	unsigned int ifindex, n = 0;
	size_t i;

	if (!e)
		return;
	/* the program, loaded once the policy is known: the maps it may
	 * create are sized by it */
	if (!d->x && mw_ctl_xdp(d->c, 0, e->flow_entries, &d->x))
		return;
	for (i = 0; i < e->n; i++) {
		ifindex = if_nametoindex(e->name[i]);
		if (!ifindex)
			continue;
		enforce_on(d, e->name[i], ifindex);
		n++;
	}
	d->attached = n;
	sd_notifyf(0, "STATUS=enforcing on %u external interface%s", n,
		   n == 1 ? "" : "s");
}

static bool is_external(const struct policy_ext *e, const char *name)
{
	size_t i;

	for (i = 0; e && i < e->n; i++)
		if (!strcmp(e->name[i], name))
			return true;
	return false;
}

static void on_link(const char *name, unsigned int ifindex, void *arg)
{
	struct daemon *d = arg;

	if (!is_external(policy_ext(d), name))
		return;
	if (!d->x)
		enforce_all(d);		/* opens the program first */
	else
		enforce_on(d, name, ifindex);
}

/* After a restore: the tables hold every present interface's ifindex. */
static void remember_ifindexes(struct daemon *d)
{
	const struct policy_ext *e = policy_ext(d);
	struct known *k;
	size_t i;

	for (i = 0; e && i < e->n; i++)
		if ((k = known_of(d, e->name[i])))
			k->ifindex = if_nametoindex(e->name[i]);
}

static const char *log_dir(struct daemon *d)
{
	return mw_ctl_log_dir(d->c);	/* the config's, else as mwctl's */
}

static int open_events(struct daemon *d)
{
	char path[512];
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/events.jsonl",
			     log_dir(d)) >= sizeof(path))
		return -ENAMETOOLONG;
	/* the log directory, created and checked as the controller does */
	mw_ctl_audit(d->c, "daemon-start", "meterwalld", "", "ok", NULL);
	err = mwd_events_open(path, d->cfg.syslog_udp, &d->ev);
	if (err) {
		fprintf(stderr, "meterwalld: %s or syslog_udp %s: %s\n", path,
			d->cfg.syslog_udp, strerror(-err));
		return err;
	}
	if (d->cfg.notify_command[0]) {
		err = mwd_notify_open(d->cfg.notify_command,
				      (int)d->cfg.notify_severity, &d->notify);
		mwd_notify_set_events(d->notify, d->ev);
		mwd_events_set_notify(d->ev, d->notify);
	}
	return err;
}

/* In a long flow poll: the drop events waiting, read now. */
static void flow_yield(void *arg)
{
	struct daemon *d = arg;

	mwd_dropev_poll(d->drops);
}

static int open_flowlog(struct daemon *d)
{
	const char *dir = log_dir(d);
	char path[512], marks[512];
	int err;

	if ((size_t)snprintf(path, sizeof(path), "%s/flows.jsonl", dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if ((size_t)snprintf(marks, sizeof(marks), "%s/flows.marks",
			     mw_ctl_state_dir(d->c)) >= sizeof(marks))
		return -ENAMETOOLONG;
	err = mwd_flowlog_open(path, d->cfg.flow_idle, d->cfg.flow_active,
			       d->cfg.flow_log_max_mb << 20,
			       d->cfg.flow_log_max_age, marks, &d->flows);
	if (!err)
		mwd_flowlog_set_yield(d->flows, flow_yield, d);
	return err;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The log directory's free space against log_min_free_mb: one warning
 * event (and syslog, off the host) when it falls under, one notice when it
 * is back over by 10 %.  A full disk loses records, never enforcement.
 */
static void check_storage(struct daemon *d)
{
	uint64_t min = d->cfg.log_min_free_mb << 20, free_b;
	char fb[24], mb[24];
	const char *kv[] = { "log_dir", log_dir(d), "free_bytes", fb,
			     "min_bytes", mb, NULL };
	struct statvfs st;

	if (!min || statvfs(log_dir(d), &st))
		return;
	free_b = (uint64_t)st.f_bavail * st.f_frsize;
	snprintf(fb, sizeof(fb), "%llu", (unsigned long long)free_b);
	snprintf(mb, sizeof(mb), "%llu", (unsigned long long)min);
	if (!d->storage_low && free_b < min) {
		d->storage_low = true;
		fprintf(stderr, "meterwalld: warning: %s has %llu bytes free, under log_min_free_mb\n",
			log_dir(d), (unsigned long long)free_b);
		mwd_event(d->ev, 4, "storage-low", kv,
			  "%s is running out of space: logs will be lost, enforcement goes on",
			  log_dir(d));
	} else if (d->storage_low && free_b >= min + min / 10) {
		d->storage_low = false;
		mwd_event(d->ev, 5, "storage-ok", kv, "%s has space again",
			  log_dir(d));
	}
}

/* Once a second: flow records due, auto-block thresholds (a policy is
 * needed for both). */
/* The policy's calendar as events: agreements about to expire or expired
 * (warning: notified by default), maintenance windows opening and closing
 * (notice). */
static void on_calendar(const struct mw_cal_event *e, void *arg)
{
	struct daemon *d = arg;
	const struct mw_image_view *v = mwd_flowlog_view(d->flows);
	const char *sys = e->sys ? mw_image_str(v, e->sys->name) : "";
	const struct mw_img_iface *f = e->sys ? mw_image_iface(v, e->sys->iface) :
				       NULL;
	char when[MW_TIME_LEN], days[24];
	const char *kv[] = {
		"system", sys,
		"entity", e->sys ? mw_image_str(v, e->sys->entity) : "",
		"contact", e->sys ? mw_image_str(v, e->sys->contact) : "",
		"demarcation", f ? f->name : "",
		"agreement", e->sys ? mw_image_str(v, e->sys->agreement) : "",
		"expires", when, "days_left", days, NULL, NULL, NULL, NULL
	};

	mw_time_format(e->expires * 1000000000LL, v->hdr->tz_offset, 0, when,
		       sizeof(when));
	snprintf(days, sizeof(days), "%lld", (long long)e->days_left);
	switch (e->kind) {
	case MW_CAL_EXPIRING:
		mwd_event(d->ev, 4, "agreement-expiring", kv,
			  "the agreement %s of system %s expires in %s day(s), at %s: its traffic is dropped from then",
			  kv[9], sys, days, when);
		break;
	case MW_CAL_EXPIRED:
		mwd_event(d->ev, 4, "agreement-expired", kv,
			  "the agreement %s of system %s expired at %s: its traffic is dropped",
			  kv[9], sys, when);
		break;
	case MW_CAL_WINDOW_OPEN:
	case MW_CAL_WINDOW_CLOSE:
		kv[10] = "conduit";
		kv[11] = mw_image_str(v, e->conduit->name);
		kv[12] = "first";
		kv[13] = e->first ? "yes" : "no";
		kv[14] = NULL;
		mwd_event(d->ev, 5, e->kind == MW_CAL_WINDOW_OPEN ? "window-open" :
			  "window-close", kv, "the window of conduit %s %s%s",
			  kv[11], e->kind == MW_CAL_WINDOW_OPEN ? "opened" : "closed",
			  e->first ? " (open when meterwalld started)" : "");
		break;
	}
}

/* A drop event: the auto-block's drops_per_min checked at once. */
static void on_drop(uint32_t device, void *arg)
{
	struct daemon *d = arg;

	mwd_autoblock_kick(d->ab, d->x, d->flows, device);
}

static void poll_flows(struct daemon *d)
{
	int64_t now = mono_ms();

	if (now < d->next_flow_poll)
		return;
	d->next_flow_poll = now + 1000;
	check_storage(d);
	mwd_auditfwd_poll(d->audit, d->ev);
	if (!d->x)
		return;
	/* a module loaded since (each ask may autoload it: not each second) */
	if (++d->kmod_ask % 30 == 0)
		mwd_dropev_kmod(d->drops);
	if (!d->drops && !d->drops_tried) {
		int err = mwd_dropev_open(d->c, d->x, d->ev, d->flows,
					  on_drop, d, &d->drops);

		d->drops_tried = true;
		if (err)
			fprintf(stderr, "meterwalld: warning: drop events not read: %s\n",
				err == -EBUSY ? "another reader holds events.lock" :
				strerror(-err));
	}
	if (mwd_flowlog_poll(d->flows, d->c, d->x))
		fprintf(stderr, "meterwalld: the flow table cannot be read\n");
	mwd_autoblock_tick(d->ab, d->x, d->flows);
	mwd_flowlog_news_done(d->flows);
	mwd_autoblock_expire(d->ab, d->flows);
	if (mwd_flowlog_view(d->flows) && d->cal)
		mw_calendar_step(d->cal, mwd_flowlog_view(d->flows),
				 mw_now_unix_ns() / 1000000000LL, on_calendar, d);
}

static int start(struct daemon *d)
{
	struct mw_ctl_opts o = {
		.state_dir = d->cfg.state_dir[0] ? d->cfg.state_dir : NULL,
		.log_dir = d->cfg.log_dir[0] ? d->cfg.log_dir : NULL,
		.pin_dir = d->cfg.pin_dir[0] ? d->cfg.pin_dir : NULL,
		.claimed_user = "meterwalld",
		.report = report,
		.report_arg = d,
	};
	struct mw_ctl_load_result r;
	int err;

	err = mw_ctl_open(&o, &d->c);
	if (!err)
		err = open_events(d);
	if (err)
		return err;
	err = mw_ctl_restore(d->c, false, &r);
	if (err && err != -ENOENT)
		return err;
	if (!err) {
		fprintf(stderr, "meterwalld: policy serial %llu in force (%s), %u blocks\n",
			(unsigned long long)r.serial,
			r.kmod ? "xdp+kmod" : "xdp", r.blocks);
		remember_ifindexes(d);	/* the tables were just resolved */
	}
	enforce_all(d);
	err = open_flowlog(d);
	if (!err)
		err = mwd_autoblock_open(d->c, d->ev, &d->ab);
	if (!err)
		err = mw_calendar_new(&d->cal);
	if (!err)
		err = mwd_auditfwd_open(log_dir(d), &d->audit);
	if (err)
		return err;
	mw_ctl_audit_seal(d->c, "daemon-start");	/* forwarded: a seal */
	if (d->cfg.metrics_listen[0] &&
	    mwd_metrics_open(d->cfg.metrics_listen, d->c, &d->x, d->flows,
			     log_dir(d), &d->metrics))
		/* enforcement does not depend on it: go on without */
		fprintf(stderr, "meterwalld: warning: no metrics: cannot listen on %s\n",
			d->cfg.metrics_listen);
	mwd_metrics_watch(d->metrics, d->notify, d->ab, d->ev,
			  &d->audit_failures);
	{
		const char *kv[] = { NULL };

		mwd_event(d->ev, 5, "start", kv,
			  "meterwalld started: enforcing on %u external interface%s",
			  d->attached, d->attached == 1 ? "" : "s");
	}
	return 0;
}

static int watch_state(struct daemon *d)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd >= 0 && inotify_add_watch(fd, mw_ctl_state_dir(d->c),
					 IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A CLOCK_REALTIME timer far ahead, cancelled by any step of the clock
 * (TFD_TIMER_CANCEL_ON_SET): its fd turns readable when the clock is set. */
static int clock_arm(int fd)
{
	struct itimerspec its = { .it_value = { .tv_sec = INT32_MAX } };

	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			       &its, NULL);
}

static int watch_clock(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && clock_arm(fd) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void on_clock_step(struct daemon *d, int fd)
{
	uint64_t n;
	int64_t off;

	(void)!read(fd, &n, sizeof(n));	/* ECANCELED: the clock was set */
	clock_arm(fd);
	if (!d->x)
		return;		/* no policy yet: each load sets the clock */
	if (!mw_ctl_clock_sync(d->c, false, &off, NULL)) {
		char o[24];
		const char *kv[] = { "boot_to_unix_ns", o, NULL };

		snprintf(o, sizeof(o), "%lld", (long long)off);
		fprintf(stderr, "meterwalld: the wall clock was set: both enforcement points follow (boot_to_unix_ns %lld)\n",
			(long long)off);
		mwd_event(d->ev, 5, "clock-step", kv,
			  "the wall clock was set; both enforcement points follow");
	}
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int run(struct daemon *d)
{
	struct signalfd_siginfo si;
	struct pollfd pf[8];
	uint64_t wd_usec = 0;
	sigset_t set;
	int timeout;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pf[0].fd = signalfd(-1, &set, SFD_CLOEXEC);
	pf[1].fd = mwd_links_open();
	pf[2].fd = watch_state(d);
	pf[3].fd = watch_clock();
	if (pf[0].fd < 0 || pf[1].fd < 0 || pf[3].fd < 0) {
		fprintf(stderr, "meterwalld: cannot watch signals, links and the clock: %s\n",
			strerror(errno));
		return 1;
	}
	pf[4].fd = mwd_metrics_fd(d->metrics);
	pf[5].fd = pf[6].fd = pf[7].fd = -1;	/* rings, once opened */
	pf[0].events = pf[1].events = pf[2].events = pf[3].events =
		pf[4].events = pf[5].events = pf[6].events = pf[7].events =
		POLLIN;
	timeout = sd_watchdog_enabled(0, &wd_usec) > 0 ?
		  (int)(wd_usec / 2000) : 1000;
	if (timeout > 1000)
		timeout = 1000;		/* the flow table's poll */
	enforce_all(d);		/* links that came while starting */
	sd_notify(0, "READY=1");
	fprintf(stderr, "meterwalld: ready\n");
	for (;;) {
		pf[5].fd = mwd_dropev_fd(d->drops);
		pf[6].fd = mwd_dropev_kfd(d->drops);
		pf[7].fd = mwd_flowlog_exports_fd(d->flows);
		if (poll(pf, 8, timeout) < 0 && errno != EINTR)
			return 1;
		if (wd_usec)
			sd_notify(0, "WATCHDOG=1");
		poll_flows(d);
		mwd_dropev_poll(d->drops);
		mwd_flowlog_drain(d->flows);	/* evicted flows' rows */
		mwd_metrics_run(d->metrics);	/* scrapes, and its timeouts */
		mwd_notify_run(d->notify);
		if (pf[1].revents & POLLIN &&
		    mwd_links_read(pf[1].fd, on_link, d) == -ENOBUFS)
			enforce_all(d);	/* events were lost: look at all */
		if (pf[3].revents & POLLIN)
			on_clock_step(d, pf[3].fd);
		if (pf[2].fd >= 0 && pf[2].revents & POLLIN) {
			drain(pf[2].fd);
			enforce_all(d);
		}
		if (!(pf[0].revents & POLLIN) ||
		    read(pf[0].fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGHUP)
			break;
		sd_notify(0, "RELOADING=1");
		if (!mw_ctl_restore(d->c, false, NULL))
			remember_ifindexes(d);
		enforce_all(d);
		sd_notify(0, "READY=1");
	}
	sd_notify(0, "STOPPING=1");
	mw_ctl_audit(d->c, "daemon-stop", "meterwalld", "", "ok", NULL);
	/* how far the log went, off the host before the daemon goes */
	mw_ctl_audit_seal(d->c, "daemon-stop");
	if (d->audit)
		mwd_auditfwd_poll(d->audit, d->ev);
	{
		const char *kv[] = { NULL };

		mwd_event(d->ev, 5, "stop", kv,
			  "meterwalld stopped; enforcement stays in force");
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: meterwalld [-c CONFIG]\n\n"
		"Keeps meterwall's policy and blocks in force in XDP and the kernel\n"
		"module across boots, restarts and interface changes.  CONFIG:\n"
		"%s (optional).  See meterwalld(8).\n", DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct daemon *d = calloc(1, sizeof(*d));
	const char *config = NULL;
	int c, err, ret;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !d) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (mwd_config_read(config ? config : DEFAULT_CONFIG, !config, &d->cfg))
		return 1;
	err = start(d);
	if (err) {
		fprintf(stderr, "meterwalld: cannot start: %s\n",
			d->c && *mw_ctl_errmsg(d->c) ? mw_ctl_errmsg(d->c) :
			strerror(-err));
		sd_notifyf(0, "STATUS=cannot start: %s", strerror(-err));
		return 1;
	}
	ret = run(d);
	mwd_flowlog_close(d->flows);
	mwd_autoblock_close(d->ab);
	mw_calendar_free(d->cal);
	mwd_notify_close(d->notify);
	mwd_events_close(d->ev);
	mwd_metrics_close(d->metrics);
	mwd_auditfwd_close(d->audit);
	mwd_dropev_close(d->drops);
	mw_xdp_close(d->x);
	mw_ctl_close(d->c);
	free(d);
	return ret;
}
