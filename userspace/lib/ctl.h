/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The controller: every change to enforcement, in one place for mwctl and
 * meterwalld.  It joins the two enforcement points (XDP, xdp.h; the kernel
 * module, nl.h) with the state they do not keep themselves:
 *
 *   state directory ($MW_STATE_DIR, default /var/lib/meterwall)
 *     policy.img   the image in force (names, and the ids the next load
 *                  carries over)
 *     policy.attrs what the policy says that its image does not carry
 *                  (two_person), written at every load (ctl_attrs.c)
 *     blocks       one block per line (ctl_blocks.c), re-applied at every
 *                  load and attach, so blocks survive reboots; with who
 *                  blocked, why, and the reconnect request when there is one
 *     blocks.history  one JSON object per block transition (ctl_history.c;
 *                  append only): blocked, reconnect-requested,
 *                  reconnected, expired
 *     audit.key    the audit chain's current key (ctl_audit.c)
 *     lock         flock'ed for the whole of every operation that changes
 *                  state: mwctl and meterwalld take turns
 *   log directory ($MW_LOG_DIR, default /var/log/meterwall)
 *     audit.log    one record per state change, refused attempts too, in
 *                  a forward-secure HMAC chain (audit.h); what opens
 *                  traffic is refused when its record cannot be written
 *                  first, what closes it goes on and raises an alert
 *   pin directory ($MW_PIN_DIR, default MW_XDP_PIN_DIR): the XDP maps, links
 *
 * The state and log directories are created 0750; they and the pin
 * directory are refused when they are symbolic links, not directories,
 * owned by anyone but root (or the caller), or writable by group or
 * others.  Files are created 0600 and never followed through a symbolic
 * link; policy.img and blocks are replaced atomically (a unique temporary
 * file, fsync, rename, fsync of the directory).
 *
 * Operations return 0 or -errno and never print.  Every message (errors,
 * warnings, notes; several per operation when it goes partly wrong) goes
 * to the report callback with its subject (a file, "file:line", or NULL
 * for the controller itself); the last error is also kept for
 * mw_ctl_errmsg().  A handle is not thread-safe.
 */
#ifndef MW_CTL_H
#define MW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>

#include "image.h"
#include "nl.h"
#include "xdp.h"

struct mw_ctl;

enum mw_ctl_level {
	MW_CTL_ERROR,
	MW_CTL_WARNING,
	MW_CTL_NOTE,
};

typedef void (*mw_ctl_report_fn)(enum mw_ctl_level level,
				 const char *subject, const char *msg,
				 void *arg);

struct mw_ctl_opts {
	/* NULL: $MW_STATE_DIR, $MW_LOG_DIR, $MW_PIN_DIR, else the defaults */
	const char *state_dir;
	const char *log_dir;
	const char *pin_dir;
	/* an identity the caller claims (e.g. sudo's SUDO_USER): recorded
	 * in audit records next to the uid, as claimed */
	const char *claimed_user;
	mw_ctl_report_fn report;	/* NULL: messages only in errmsg */
	void *report_arg;
};

int mw_ctl_open(const struct mw_ctl_opts *o, struct mw_ctl **out);
void mw_ctl_close(struct mw_ctl *c);
/* The last error reported on this handle ("" if none). */
const char *mw_ctl_errmsg(const struct mw_ctl *c);
const char *mw_ctl_state_dir(const struct mw_ctl *c);
const char *mw_ctl_pin_dir(const struct mw_ctl *c);
const char *mw_ctl_log_dir(const struct mw_ctl *c);

/*
 * XDP's drop events have one reader: a daemon holds this lock file of the
 * state directory, exclusively, while it reads them.  true when one does.
 */
#define MW_CTL_EVENTS_LOCK	"events.lock"
bool mw_ctl_events_taken(const struct mw_ctl *c);

/*
 * The state lock: exclusive, waited for (a note says so).  Operations
 * below take it themselves for their duration; a caller that reads state
 * and then changes it (one command) may hold it around both.  Nests.
 */
int mw_ctl_lock(struct mw_ctl *c);
void mw_ctl_unlock(struct mw_ctl *c);

/* --- handles and state -------------------------------------------------- */

/*
 * The XDP enforcement point in the pin directory (flags: enum
 * mw_xdp_open_flags).  flow_entries (0 = default) sizes the flow table
 * when the maps are created; pinned maps keep their size (a note says so
 * when it differs).  The caller closes it with mw_xdp_close().
 */
int mw_ctl_xdp(struct mw_ctl *c, unsigned int flags, uint32_t flow_entries,
	       struct mw_xdp **x);
/* The kernel module's netlink family, or NULL when it is not loaded. */
struct mw_nl *mw_ctl_kmod(struct mw_ctl *c);

/*
 * The image in force: 0, -ENOENT (no error reported) when none was
 * loaded, or -errno.  img is freed by the caller (mw_image_free).
 */
int mw_ctl_active_image(struct mw_ctl *c, struct mw_image *img,
			struct mw_image_view *v);

/* "NAME", "system:NAME" or "device:NAME" in v. */
int mw_ctl_resolve(struct mw_ctl *c, const struct mw_image_view *v,
		   const char *name, enum mw_target *kind, uint32_t *id);
/* NAME without its "system:" / "device:" prefix. */
const char *mw_ctl_bare_name(const char *name);
const char *mw_ctl_kind_name(enum mw_target kind);
/* "manual" (MW_BLOCK_OPERATOR), "threshold", "incident" */
const char *mw_ctl_cause_name(enum mw_block_cause cause);

/* --- operations --------------------------------------------------------- */

struct mw_ctl_load_opts {
	bool allow_rollback;	/* a serial below the one in force */
};

struct mw_ctl_load_result {
	uint64_t serial;
	uint32_t generation;	/* XDP's new generation */
	uint32_t n_ifaces;	/* policy interfaces found on the host */
	uint32_t n_skipped;	/* ... and not found */
	uint32_t blocks;	/* recorded blocks put back */
	bool kmod;		/* the module enforces it too */
};

/*
 * Validate and compile the policy file (ids carried over from the image
 * in force), check its expiry and serial (anti-rollback), stage it in the
 * module, swap it into XDP, commit it in the module (both or neither: a
 * refused commit puts the previous image back into XDP), lift blocks of
 * ids that now name another system or device, record the image, put the
 * recorded blocks back, audit.  Errors before the swap leave the policy in
 * force unchanged; errors after it are reported and returned, and the new
 * policy stays.  Parser and compiler errors are reported with their
 * "file:line:col" subject.
 */
int mw_ctl_load(struct mw_ctl *c, const char *path,
		const struct mw_ctl_load_opts *o, struct mw_ctl_load_result *r);

/*
 * The image in force again, from the state directory (boot, a daemon's
 * start, an interface re-created: XDP's tables hold ifindexes): into XDP,
 * and into the module too unless xdp_only, then the recorded blocks.  No
 * block is lifted on the way.  -ENOENT when no policy was loaded.
 */
int mw_ctl_restore(struct mw_ctl *c, bool xdp_only,
		   struct mw_ctl_load_result *r);

/* Names of people, request references, contacts: longer ones are refused
 * (the state files hold them whole).  A block's reason (a daemon's carries
 * its evidence) and who blocked are cut to MW_CTL_REASON_MAX - 1 and
 * MW_CTL_TEXT_MAX - 1 bytes in the blocks file, never refused (a block
 * fails closed); the history and the audit log have them whole. */
#define MW_CTL_TEXT_MAX		256
#define MW_CTL_REASON_MAX	1024

struct mw_ctl_block_req {
	uint64_t secs;			/* 0: until reconnected */
	const char *reason;		/* required */
	enum mw_block_cause cause;
	/* who decided it: an operator's name, or the daemon's; recorded with
	 * the caller's uid and claimed user.  NULL: none given */
	const char *by;
};

struct mw_ctl_block_result {
	bool in_force;		/* XDP holds it: the rest is filled in */
	enum mw_target kind;
	uint64_t until_boot_ns;	/* 0: until unblocked */
	uint64_t until_unix_ns;	/* the same instant by the host's clock */
	bool recorded;		/* in the blocks file (survives reboots) */
	bool kmod;		/* the module holds it too */
};

/*
 * Block a system or device of the policy in force for req->secs seconds
 * (0 = until reconnected), in both enforcement points and in the blocks
 * file, with its history record, audited with the reason.  A new block
 * of a blocked target replaces it (and a pending reconnect request).  A
 * block that holds in one point is kept (fail closed) and the failure
 * returned.
 */
int mw_ctl_block(struct mw_ctl *c, const char *target,
		 const struct mw_ctl_block_req *req,
		 struct mw_ctl_block_result *r);

/* A block as the blocks file records it. */
struct mw_ctl_block_info {
	enum mw_target kind;
	char name[MW_NAME_MAX];
	enum mw_block_cause cause;
	uint64_t until_unix_ns;		/* 0: until reconnected */
	uint64_t since_unix_ns;		/* 0: not recorded (older line) */
	int64_t uid;			/* who blocked; -1: not recorded */
	char user[MW_CTL_TEXT_MAX];	/* ... the user they claimed (sudo) */
	char by[MW_CTL_TEXT_MAX];	/* ... the name they gave */
	char reason[MW_CTL_REASON_MAX];
	bool requested;			/* a reconnect request is pending: */
	char req_ref[MW_CTL_TEXT_MAX];	/* the owner's reference */
	char req_by[MW_CTL_TEXT_MAX];	/* who asked */
	char req_contact[MW_CTL_TEXT_MAX]; /* through which contact */
	char req_user[MW_CTL_TEXT_MAX];	/* the user who recorded it (sudo) */
	int64_t req_uid;
	uint64_t req_unix_ns;
};

struct mw_ctl_request {
	const char *ref;	/* the owner's request reference: required */
	const char *by;		/* who asked: required */
	const char *contact;	/* through which contact; NULL or "": the
				 * system's contact in the policy */
};

/*
 * Record the owner's request to reconnect a blocked target (blocks file,
 * history, audit); a later request replaces it.  -ENOENT (reported) when
 * the target is not blocked.
 */
int mw_ctl_reconnect_request(struct mw_ctl *c, const char *target,
			     const struct mw_ctl_request *rq,
			     enum mw_target *kind);
/*
 * Approve the pending request: the block is lifted as by mw_ctl_unblock,
 * and the transition recorded.  Refused (-EPERM, reported) without a
 * pending request, and, when the system has two_person, when the approver
 * (by, or the claimed user) is who asked or who recorded the request.
 * *done (may be NULL): the record lifted.
 */
int mw_ctl_reconnect_approve(struct mw_ctl *c, const char *target,
			     const char *by, struct mw_ctl_block_info *done);
/*
 * Request and approval in one step (request: the owner's reference, by:
 * the approver, who is taken to have asked as well): the record first,
 * then the module, then XDP; both or neither.  -ENOENT (reported) when
 * the target is not blocked, -EPERM when its system has two_person.
 */
int mw_ctl_unblock(struct mw_ctl *c, const char *target,
		   const char *request, const char *by, enum mw_target *kind);
typedef int (*mw_ctl_block_fn)(const struct mw_ctl_block_info *b,
			       void *arg);
/*
 * Timed blocks lift themselves in the datapaths; this records it: every
 * recorded block whose end has passed gets one "expired" history record
 * and audit record, and leaves the blocks file; fn (may be NULL; under
 * the lock: it must not call the controller) hears of each.  Takes the
 * lock only when there is one.  The count, or -errno.  Block, unblock,
 * reconnect and mw_ctl_blocks_list do it first; a daemon now and then.
 */
int mw_ctl_blocks_expire(struct mw_ctl *c, mw_ctl_block_fn fn, void *arg);
/* Every recorded block in force (ended ones recorded as expired first). */
int mw_ctl_blocks_list(struct mw_ctl *c, mw_ctl_block_fn fn, void *arg);

/* One field of a history record: a string, or an integer (is_num). */
struct mw_ctl_field {
	const char *key;
	const char *str;
	int64_t num;
	bool is_num;
};
/* Every record of blocks.history, oldest first.  A line that is not a
 * record is reported as file:line and skipped. */
typedef int (*mw_ctl_history_fn)(const struct mw_ctl_field *f, size_t n,
				 void *arg);
int mw_ctl_blocks_history(struct mw_ctl *c, mw_ctl_history_fn fn, void *arg);
/*
 * two_person of the system (a device: its system) in the policy in force
 * v, from policy.attrs.  When that file belongs to another image, true
 * for every system (fail closed), with a warning.
 */
int mw_ctl_two_person(struct mw_ctl *c, const struct mw_image_view *v,
		      enum mw_target kind, const char *name, bool *on);

/* Island mode in both points (on: drop everything external). */
int mw_ctl_island(struct mw_ctl *c, bool on, bool *kmod);
/*
 * Attach the XDP program to an external interface: the receive VLAN
 * offloads turned off first (*rxvlan_changed says whether they were on),
 * then the recorded blocks put back (new maps after a reboot).
 */
int mw_ctl_attach(struct mw_ctl *c, const char *ifname,
		  enum mw_xdp_mode mode, bool *rxvlan_changed);
/* The same with the caller's handle x (opened with the program): a
 * daemon loads the program once, not at every attach. */
int mw_ctl_attach_with(struct mw_ctl *c, struct mw_xdp *x, const char *ifname,
		       enum mw_xdp_mode mode, bool *rxvlan_changed);
/* Detach; the interface is recorded as detached by the operator (the
 * state directory's "detached"), and a daemon leaves it so until it is
 * attached again. */
int mw_ctl_detach(struct mw_ctl *c, const char *ifname);
/* ifname was detached by the operator and not attached since. */
bool mw_ctl_is_detached(struct mw_ctl *c, const char *ifname);
/* Both points' clock offsets from the host's clocks now (uapi "Time
 * base"); reset_max lowers the expiry clock too. */
int mw_ctl_clock_sync(struct mw_ctl *c, bool reset_max, int64_t *offset,
		      bool *kmod);

/*
 * Re-apply recorded blocks by name onto the ids of v, in XDP and (nl not
 * NULL) the module; the count or -errno.  Callers hold the lock.
 */
int mw_ctl_blocks_reapply(struct mw_ctl *c, struct mw_xdp *x,
			  struct mw_nl *nl, const struct mw_image_view *v);

/* --- the audit log (audit.h, ctl_audit.c) ---------------------------------- */

/*
 * Append one audit record: action, object, reason, result, then the
 * operation's own key, value pairs, NULL; the actor is getuid() and its
 * name, with the handle's claimed_user as claimed.  A record that cannot
 * be written is reported as a warning starting "alert: " (a daemon turns
 * it into an alert) and returned.
 */
int mw_ctl_audit(struct mw_ctl *c, const char *action, const char *object,
		 const char *reason, const char *result, ...)
	__attribute__((sentinel));
/* A seal record (audit.h): shipped off the host, it marks how far the log
 * went (meterwalld writes one when it starts and stops). */
int mw_ctl_audit_seal(struct mw_ctl *c, const char *reason);
/*
 * `mwctl audit init': a new chain with a new initial key, or (exported
 * set) the initial key of the chain started without it, taken off the
 * host.  The key goes to the new file out (0600), else only into key0 for
 * the caller.  A chain whose key was taken off already, or a log without
 * a key state, is refused (-EEXIST) unless force: then a new chain starts
 * and the log is kept aside (audit.log.TIME), the new chain's first
 * record saying so.
 */
int mw_ctl_audit_init(struct mw_ctl *c, bool force, const char *out,
		      uint8_t key0[32], bool *exported);

/* --- time (uapi "Time base") ---------------------------------------------- */

int64_t mw_now_unix_ns(void);
int64_t mw_now_boot_ns(void);	/* CLOCK_BOOTTIME: the datapaths' clock */
/* "90s", "15m", "2h", "7d" -> seconds; -EINVAL, or -ERANGE (too large) */
int mw_parse_duration(const char *s, uint64_t *secs);
/* now + secs on the boot clock; -ERANGE unless it ends before INT64_MAX
 * ns of that clock (never wraps). */
int mw_block_until(uint64_t secs, uint64_t *until_ns);
/* A block's end on the boot clock as unix ns by the host's clock now. */
uint64_t mw_block_unix_time(uint64_t until_boot_ns);
/* The longest mw_block_until() accepts now, in whole days. */
uint64_t mw_block_max_days(void);

#endif /* MW_CTL_H */
