/* SPDX-License-Identifier: GPL-2.0 */
/* The controller's internals, shared by ctl*.c (ctl.h is the interface). */
#ifndef MW_CTL_INT_H
#define MW_CTL_INT_H

#include "ctl.h"

#define MW_CTL_BOOT_ID_LEN	36

struct mw_ctl {
	char state_dir[256];
	char log_dir[256];
	char pin_dir[256];
	char claimed_user[64];
	mw_ctl_report_fn report;
	void *report_arg;
	int lock_fd;
	int lock_depth;
	int state_checked;	/* 1: not yet; 0: fine; -errno: refused */
	int log_checked;
	char boot_id[MW_CTL_BOOT_ID_LEN + 1];
	bool boot_id_read;
	char err[1024];
};

/* Report a message; ctl_fail() also keeps it as the last error and
 * returns err. */
void ctl_say(struct mw_ctl *c, enum mw_ctl_level level, const char *subject,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int ctl_fail(struct mw_ctl *c, int err, const char *subject,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Both enforcement points, under the lock: XDP's maps, and the module
 * when it is loaded (nl NULL otherwise). */
struct ctl_points {
	struct mw_xdp *x;
	struct mw_nl *nl;
};

/* Takes the lock (nested if held); on error nothing is held. */
int ctl_points_open(struct mw_ctl *c, struct ctl_points *p);
/* Closes both and releases the lock once. */
void ctl_points_close(struct mw_ctl *c, struct ctl_points *p);

/* dir/name in the state directory (created and checked once). */
int ctl_state_path(struct mw_ctl *c, char *buf, size_t len,
		   const char *name);
/* The log directory, created and checked once. */
int ctl_log_dir(struct mw_ctl *c);
int ctl_save_image(struct mw_ctl *c, const struct mw_image *img);
/* This boot's id ("" when unknown). */
const char *ctl_boot_id(struct mw_ctl *c);

/* ctl_audit.c: a change that opens traffic is recorded first (result
 * "pending"): when that record cannot be written the change is refused,
 * the error reported ("refusing to WHAT: ...") and returned. */
int ctl_audit_first(struct mw_ctl *c, const char *what, const char *action,
		    const char *object, const char *reason, ...)
	__attribute__((sentinel));
/* An outcome's reason: "" when err is 0, else the last error. */
const char *ctl_audit_why(struct mw_ctl *c, int err);
/* A refused attempt, its reason the last error reported. */
void ctl_audit_refused(struct mw_ctl *c, const char *action,
		       const char *object);

/* ctl_blocks.c: the blocks file (callers hold the lock) */
struct ctl_block_line {
	struct mw_ctl_block_info i;
	uint64_t until_boot;		/* boot ns, valid in boot_id */
	char boot_id[MW_CTL_BOOT_ID_LEN + 1];	/* "" when not recorded */
	bool bad_field;		/* a KEY=VALUE field could not be read */
};
/* Record a block (replacing the target's line) with no more than this. */
int ctl_blocks_record(struct mw_ctl *c, enum mw_target kind,
		      const char *name, uint64_t until_boot_ns,
		      uint64_t until_unix_ns, enum mw_block_cause cause);
/* Record b whole, replacing the target's line. */
int ctl_blocks_put(struct mw_ctl *c, const struct ctl_block_line *b);
/* The target's line: 0, or -ENOENT (not reported). */
int ctl_blocks_get(struct mw_ctl *c, enum mw_target kind, const char *name,
		   struct ctl_block_line *b);
int ctl_blocks_forget(struct mw_ctl *c, enum mw_target kind,
		      const char *name);
/* The blocks file's path for messages. */
const char *ctl_blocks_path(struct mw_ctl *c, char *buf, size_t len);
/* The system a target belongs to in v ("" when v does not name it). */
const char *ctl_target_system(const struct mw_image_view *v,
			      enum mw_target kind, const char *name);

/* ctl_history.c: one record in blocks.history: ts_ns, event, kind,
 * target, system, uid, user, then f[0..n-1].  Reported on failure. */
int ctl_history_add(struct mw_ctl *c, const char *event, enum mw_target kind,
		    const char *target, const char *system,
		    const struct mw_ctl_field *f, size_t n);

/* ctl_attrs.c: policy.attrs, written after policy.img at a load */
struct mw_policy;
/* The file's body for pol (without its image line); freed by the caller. */
int ctl_attrs_body(const struct mw_policy *pol, char **body);
int ctl_attrs_save(struct mw_ctl *c, const struct mw_image_view *v,
		   const char *body);

#endif
