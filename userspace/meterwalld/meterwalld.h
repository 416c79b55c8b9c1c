/* SPDX-License-Identifier: GPL-2.0 */
/* meterwalld: the enforcement that holds across restarts and link changes. */
#ifndef MW_METERWALLD_H
#define MW_METERWALLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ctl.h"

/*
 * policyfile.c: one version of the state directory's policy.img, as a
 * stat tells it apart (another file, or the same rewritten), so that the
 * daemon reads the policy in force again only when it changed.
 */
struct mwd_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

/* policy.img's version now (lstat: a link is refused by the read); -errno. */
int mwd_policy_id(struct mw_ctl *c, struct mwd_file_id *id);
bool mwd_file_id_eq(const struct mwd_file_id *a, const struct mwd_file_id *b);

struct mwd_config {
	char state_dir[256];	/* "" = the controller's default */
	char log_dir[256];
	char pin_dir[256];
	enum mw_xdp_mode mode;	/* attach mode of the external interfaces */
	uint64_t flow_idle;	/* flow records: seconds without a packet */
	uint64_t flow_active;	/* ... and every so many while active */
	uint64_t flow_log_max_mb;	/* rotated to .1 past this */
	uint64_t flow_log_max_age;	/* ... or this many seconds after
					 * it was started; 0 = no limit */
	char syslog_udp[300];	/* "HOST:PORT" of an RFC 5424 collector */
	char metrics_listen[64];	/* "ADDR:PORT"; "" = no metrics */
	uint64_t log_min_free_mb;	/* alert below this free in log_dir */
	char notify_command[1024];	/* "" = no notifications */
	uint64_t notify_severity;	/* syslog's: this and more severe */
};

/*
 * config.c: read path (YAML, a mapping of the keys above; attach_mode:
 * native | generic).  A missing file is the defaults when missing_ok.
 * Errors name file:line:col and the value; 0 or -errno.
 */
int mwd_config_read(const char *path, bool missing_ok, struct mwd_config *cfg);

/* flowlog.c: flow records (JSON lines) from the XDP flow table. */
struct mwd_flowlog;
struct mwd_flow_stats {
	uint64_t records;	/* written */
	uint64_t evicted;	/* flows that left the table with packets
				 * not yet written (written then) */
	uint64_t exported;	/* evicted rows from the program's ring */
	uint64_t rows, used;	/* the table's rows, those in use (last poll) */
	uint64_t poll_ns;	/* how long the last poll took (read, write) */
	uint64_t write_errors;	/* records lost to a failing write */
	uint64_t rotations;
};
/* marks: where what was written of each flow is kept (NULL: nowhere) */
int mwd_flowlog_open(const char *path, uint64_t idle_s, uint64_t active_s,
		     uint64_t max_bytes, uint64_t max_age_s, const char *marks,
		     struct mwd_flowlog **out);
void mwd_flowlog_close(struct mwd_flowlog *l);
/* fn(arg) now and then during a long poll (the daemon reads its drop
 * events there, so auto-block does not wait for the whole table). */
void mwd_flowlog_set_yield(struct mwd_flowlog *l, void (*fn)(void *arg),
			   void *arg);
/* Read the table, write what is due; 0 or -errno (the table unreadable). */
int mwd_flowlog_poll(struct mwd_flowlog *l, struct mw_ctl *c,
		     struct mw_xdp *x);
const struct mwd_flow_stats *mwd_flowlog_stats(const struct mwd_flowlog *l);

/* The policy in force as the flow log last read it (NULL: none). */
const struct mw_image_view *mwd_flowlog_view(const struct mwd_flowlog *l);

/* Evicted flows' rows (the program's flow_export ring, opened at the
 * first poll): their records written as they come. */
int mwd_flowlog_exports_fd(const struct mwd_flowlog *l);	/* -1: none */
void mwd_flowlog_drain(struct mwd_flowlog *l);

/* Flows of known devices that started since mwd_flowlog_news_done(). */
struct mwd_newflow {
	uint32_t device;
	uint8_t family;
	uint8_t proto;
	uint16_t dport;		/* host order */
	uint8_t dst[16];
};
const struct mwd_newflow *mwd_flowlog_news(const struct mwd_flowlog *l,
					   size_t *n);
void mwd_flowlog_news_done(struct mwd_flowlog *l);
/* Devices (repeated once per flow) dropped for their system's limits
 * since the poll before. */
const uint32_t *mwd_flowlog_limited(const struct mwd_flowlog *l, size_t *n);
/* A device's (system: a system's devices') top flows: dropped ones
 * first, then by packets. */
struct mwd_topflow {
	struct mw_flow_key k;
	struct mw_flow f;
};
size_t mwd_flowlog_top(const struct mwd_flowlog *l, bool system, uint32_t id,
		       struct mwd_topflow *out, size_t max);

/*
 * autoblock.c: a system's auto_block thresholds (drops_per_min,
 * new_flows_per_sec, scan_targets_per_min, over_limits_secs), per system
 * or per device (scope), checked every second (tick, after a flow poll)
 * and at once when a drop event names a device (kick).
 */
struct mwd_autoblock;
struct mwd_events;
int mwd_autoblock_open(struct mw_ctl *c, struct mwd_events *ev,
		       struct mwd_autoblock **out);
void mwd_autoblock_close(struct mwd_autoblock *a);
void mwd_autoblock_tick(struct mwd_autoblock *a, struct mw_xdp *x,
			const struct mwd_flowlog *l);
void mwd_autoblock_kick(struct mwd_autoblock *a, struct mw_xdp *x,
			const struct mwd_flowlog *l, uint32_t device);
struct mwd_autoblock_stats {
	uint64_t trips;		/* blocks it put in force */
	uint64_t last_latency_us;	/* crossing seen -> block in force */
};
const struct mwd_autoblock_stats *
mwd_autoblock_stats(const struct mwd_autoblock *a);
/* Timed blocks lift themselves in the datapaths: say so, once (an event,
 * blocks.history, audit.log); otherwise a read of the blocks file. */
void mwd_autoblock_expire(struct mwd_autoblock *a,
			  const struct mwd_flowlog *l);

/* events.c: the daemon's events, JSON lines and RFC 5424 syslog. */
struct mwd_events;
int mwd_events_open(const char *path, const char *syslog_udp,
		    struct mwd_events **out);
void mwd_events_close(struct mwd_events *e);
/* severity: syslog's (6 info, 5 notice, 4 warning); kv: key, value
 * pairs, NULL-terminated (SD-PARAMs and JSON fields). */
void mwd_event(struct mwd_events *e, int severity, const char *msgid,
	       const char *const *kv, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* events.c: each event (its JSON line) also to the notifier. */
struct mwd_notify;
void mwd_events_set_notify(struct mwd_events *e, struct mwd_notify *n);
/* Events lost: a line not written, a datagram not sent. */
uint64_t mwd_events_lost(const struct mwd_events *e);

/* notify.c: notify_command, one event on stdin per run, retried. */
struct mwd_notify_stats {
	uint64_t runs, delivered, failures, given_up, dropped;
};
int mwd_notify_open(const char *cmd, int min_severity, struct mwd_notify **out);
void mwd_notify_set_events(struct mwd_notify *n, struct mwd_events *ev);
void mwd_notify_close(struct mwd_notify *n);
void mwd_notify_event(struct mwd_notify *n, int severity, const char *id,
		      const char *json, size_t len);
/* Reap, retry, start: each time round the daemon's loop. */
void mwd_notify_run(struct mwd_notify *n);
const struct mwd_notify_stats *mwd_notify_stats(const struct mwd_notify *n);

/* dropev.c: XDP's drop events as the daemon's "drop" events; holds the
 * state directory's events.lock (-EBUSY: another reader holds it). */
struct mwd_dropev;
/* kick: each XDP drop event of a known device, before it is emitted */
typedef void (*mwd_kick_fn)(uint32_t device, void *arg);
int mwd_dropev_open(struct mw_ctl *c, struct mw_xdp *x, struct mwd_events *ev,
		    const struct mwd_flowlog *names, mwd_kick_fn kick,
		    void *kick_arg, struct mwd_dropev **out);
int mwd_dropev_fd(const struct mwd_dropev *d);
int mwd_dropev_kfd(const struct mwd_dropev *d);	/* the module's, or -1 */
/* The module's group, when it was not loaded before (ask now and then:
 * the family's lookup may autoload the module). */
void mwd_dropev_kmod(struct mwd_dropev *d);
void mwd_dropev_poll(struct mwd_dropev *d);
void mwd_dropev_close(struct mwd_dropev *d);

/* auditfwd.c: mwctl's audit records, passed on as events each second. */
struct mwd_auditfwd;
int mwd_auditfwd_open(const char *log_dir, struct mwd_auditfwd **out);
void mwd_auditfwd_close(struct mwd_auditfwd *a);
void mwd_auditfwd_poll(struct mwd_auditfwd *a, struct mwd_events *ev);

/* metrics.c: Prometheus text format on ADDR:PORT (IPv4), served when
 * mwd_metrics_run() is called (its fd polled readable, or on any wake). */
struct mwd_metrics;
int mwd_metrics_open(const char *listen, struct mw_ctl *c, struct mw_xdp **x,
		     const struct mwd_flowlog *flows, const char *log_dir,
		     struct mwd_metrics **out);
int mwd_metrics_fd(const struct mwd_metrics *m);
void mwd_metrics_run(struct mwd_metrics *m);
void mwd_metrics_close(struct mwd_metrics *m);
/* Counters of the notifier and the auto-block, also exported. */
void mwd_metrics_watch(struct mwd_metrics *m, const struct mwd_notify *n,
		       const struct mwd_autoblock *ab, const struct mwd_events *ev,
		       const uint64_t *audit_failures);

/* links.c: rtnetlink link events (RTMGRP_LINK). */
int mwd_links_open(void);
/*
 * Read what is pending on fd; for each link that appeared or changed, fn
 * with its name and ifindex.  0 or -errno.
 */
int mwd_links_read(int fd, void (*fn)(const char *name, unsigned int ifindex,
				      void *arg), void *arg);

#endif
