// SPDX-License-Identifier: GPL-2.0
/*
 * Block and reconnect (control 2.1.3), per system and per device:
 *
 *   active -> blocked (manual or automatic: cause, reason, who, until)
 *          -> reconnect requested (the owner's reference, who asked,
 *             through which contact)
 *          -> reconnected (who approved): active again
 *   blocked -> expired (a timed block ended): active again
 *
 * The blocks file (ctl_blocks.c) holds the state of every block in
 * force, blocks.history (ctl_history.c) every transition, audit.log every
 * change.  A system with two_person (ctl_attrs.c) is reconnected only by
 * an approver who neither asked nor recorded the request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl_int.h"

/* What the operations work on: the image in force, the target, both
 * enforcement points; the lock held throughout. */
struct target {
	struct mw_image img;
	struct mw_image_view v;
	enum mw_target kind;
	uint32_t id;
	const char *name;	/* bare */
	char object[MW_NAME_MAX + 16];	/* KIND:NAME, the audit records' */
	struct mw_xdp *x;
	struct mw_nl *nl;
};

/* A name the state files can hold whole (never truncated); checked before
 * anything is touched. */
static int check_name(struct mw_ctl *c, const char *cmd, const char *name)
{
	if (strlen(mw_ctl_bare_name(name)) < MW_NAME_MAX)
		return 0;
	return ctl_fail(c, -ENAMETOOLONG, NULL,
			"%s: `%s' is longer than any system or device name (at most %d bytes)",
			cmd, name, MW_NAME_MAX - 1);
}

/* Free text the state files hold whole: required ones not empty. */
static int check_text(struct mw_ctl *c, const char *cmd, const char *what,
		      const char *s, bool required)
{
	if (required && (!s || !*s))
		return ctl_fail(c, -EINVAL, NULL, "%s: %s is required", cmd,
				what);
	if (!s || strlen(s) < MW_CTL_TEXT_MAX)
		return 0;
	return ctl_fail(c, -ENAMETOOLONG, NULL,
			"%s: the %s is too long (at most %d bytes)", cmd, what,
			MW_CTL_TEXT_MAX - 1);
}

/* The name first, then the lock; on error nothing is held.  Ended blocks
 * are recorded as such first. */
static int open_target(struct mw_ctl *c, const char *cmd, const char *name,
		       struct target *t)
{
	struct ctl_points p;
	int err;

	memset(t, 0, sizeof(*t));
	t->name = mw_ctl_bare_name(name);
	err = check_name(c, cmd, name);
	if (!err)
		err = mw_ctl_lock(c);
	if (err)
		return err;
	mw_ctl_blocks_expire(c, NULL, NULL);	/* reported; not in our way */
	err = mw_ctl_active_image(c, &t->img, &t->v);
	if (err == -ENOENT)
		err = ctl_fail(c, err, NULL,
			       "no policy in force (load one first)");
	if (!err)
		err = mw_ctl_resolve(c, &t->v, name, &t->kind, &t->id);
	if (!err)
		err = ctl_points_open(c, &p);
	if (err) {
		ctl_audit_refused(c, cmd, name);
		mw_image_free(&t->img);
		mw_ctl_unlock(c);
		return err;
	}
	snprintf(t->object, sizeof(t->object), "%s:%s",
		 mw_ctl_kind_name(t->kind), t->name);
	t->x = p.x;
	t->nl = p.nl;
	return 0;
}

static void close_target(struct mw_ctl *c, struct target *t)
{
	struct ctl_points p = { t->x, t->nl };

	ctl_points_close(c, &p);
	mw_image_free(&t->img);
	mw_ctl_unlock(c);
}

static const char *target_system(const struct target *t)
{
	return ctl_target_system(&t->v, t->kind, t->name);
}

/* s into dst (len bytes), cut at a character boundary; true if cut. */
static bool copy_cut(char *dst, size_t len, const char *s)
{
	size_t n = strlen(s ? s : "");

	if (n < len) {
		memcpy(dst, s ? s : "", n + 1);
		return false;
	}
	n = len - 1;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;	/* s[n] starts a character: cut before it */
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static void copy_text(char *dst, const char *s)
{
	copy_cut(dst, MW_CTL_TEXT_MAX, s);
}

/* --- block --------------------------------------------------------------- */

/* The block's line: its times, who, why. */
static void block_line(struct mw_ctl *c, const struct target *t,
		       const struct mw_ctl_block_req *req, uint64_t until,
		       uint64_t wall, struct ctl_block_line *b)
{
	memset(b, 0, sizeof(*b));
	b->i.kind = t->kind;
	snprintf(b->i.name, sizeof(b->i.name), "%s", t->name);
	b->i.cause = req->cause;
	b->i.since_unix_ns = (uint64_t)mw_now_unix_ns();
	b->i.uid = getuid();
	b->i.req_uid = -1;
	copy_text(b->i.user, c->claimed_user);
	copy_text(b->i.by, req->by);
	if (copy_cut(b->i.reason, sizeof(b->i.reason), req->reason))
		ctl_say(c, MW_CTL_NOTE, NULL,
			"note: the reason is cut to %zu bytes in the blocks file; the audit log has it whole",
			strlen(b->i.reason));
	if (until) {
		b->i.until_unix_ns = wall;
		b->until_boot = until;
		snprintf(b->boot_id, sizeof(b->boot_id), "%s", ctl_boot_id(c));
	}
}

static int block_history(struct mw_ctl *c, const struct target *t,
			 const struct mw_ctl_block_req *req, uint64_t wall)
{
	struct mw_ctl_field f[] = {
		{ .key = "cause", .str = mw_ctl_cause_name(req->cause) },
		{ .key = "reason", .str = req->reason },
		{ .key = "by", .str = req->by },
		{ .key = "until_ns", .num = (int64_t)wall, .is_num = true },
	};

	return ctl_history_add(c, "blocked", t->kind, t->name,
			       target_system(t), f, sizeof(f) / sizeof(f[0]));
}

static int do_block(struct mw_ctl *c, struct target *t,
		    const struct mw_ctl_block_req *req,
		    struct mw_ctl_block_result *r)
{
	struct ctl_block_line line;
	uint64_t until = 0, wall;
	char path[512], buf[32];
	int err, kerr = 0, rerr, herr;

	/* from now, not from before the lock was free */
	if (req->secs && mw_block_until(req->secs, &until)) {
		ctl_fail(c, -ERANGE, NULL,
			 "block: the duration is too long: at most %llud",
			 (unsigned long long)mw_block_max_days());
		ctl_audit_refused(c, "block", t->object);
		return -ERANGE;
	}
	err = mw_xdp_block(t->x, t->kind, t->id, until, req->cause);
	if (err) {
		ctl_fail(c, err, NULL, "block failed: %s", mw_xdp_errmsg(t->x));
		mw_ctl_audit(c, "block", t->object, req->reason, "failed",
			     "kind", mw_ctl_kind_name(t->kind), "target",
			     t->name, "error", ctl_audit_why(c, err), NULL);
		return err;
	}
	/* a block that holds in XDP only is still a block: fail closed */
	if (t->nl &&
	    (kerr = mw_nl_block(t->nl, t->kind, t->id, until, req->cause)))
		ctl_fail(c, kerr, NULL,
			 "block: in force in XDP, but the kernel module refused it: %s",
			 strerror(-kerr));
	/* not recorded = lost at the next reboot: an error, but the block
	 * stays in force (fail closed) */
	/* people read unix time; the datapaths keep the boot clock's (one
	 * sample for the record and the result) */
	wall = mw_block_unix_time(until);
	block_line(c, t, req, until, wall, &line);
	rerr = ctl_blocks_put(c, &line);
	if (rerr)
		ctl_fail(c, rerr, NULL,
			 "error: %s `%s' is blocked now, but the block could not be recorded in %s (%s): it will not survive a reboot; fix that and run the block again",
			 mw_ctl_kind_name(t->kind), t->name,
			 ctl_blocks_path(c, path, sizeof(path)),
			 strerror(-rerr));
	*r = (struct mw_ctl_block_result){
		.in_force = true,
		.kind = t->kind,
		.until_boot_ns = until,
		.until_unix_ns = wall,
		.recorded = !rerr,
		.kmod = t->nl && !kerr,
	};
	herr = block_history(c, t, req, wall);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->until_unix_ns);
	/* it closes traffic: in force whether or not its record is written */
	mw_ctl_audit(c, "block", t->object, req->reason,
		     kerr || rerr ? "partial" : "ok", "kind",
		     mw_ctl_kind_name(t->kind), "target", t->name, "until_ns",
		     buf, "by", req->by ? req->by : "", "kmod",
		     t->nl ? (kerr ? "refused" : "yes") : "no", "recorded",
		     rerr ? "no" : "yes", NULL);
	return kerr ? kerr : rerr ? rerr : herr;
}

int mw_ctl_block(struct mw_ctl *c, const char *target,
		 const struct mw_ctl_block_req *req,
		 struct mw_ctl_block_result *r)
{
	struct mw_ctl_block_result dummy;
	struct target t;
	int err;

	/* never refused for its length: a block fails closed */
	if (!req->reason || !*req->reason)
		return ctl_fail(c, -EINVAL, NULL, "block: a reason is required");
	err = open_target(c, "block", target, &t);
	if (err)
		return err;
	err = do_block(c, &t, req, r ? r : &dummy);
	close_target(c, &t);
	return err;
}

/* --- lifting a block ------------------------------------------------------ */

/*
 * Lift the block (rec: its record, NULL when the file has none): the
 * record first, then the module, then XDP; both or neither.
 */
static int lift(struct mw_ctl *c, struct target *t,
		const struct ctl_block_line *rec, const char *request,
		const char *by)
{
	char path[512], why[600];
	struct mw_block b;
	int err;

	err = mw_xdp_get_block(t->x, t->kind, t->id, &b);
	if (err)
		return ctl_fail(c, err, NULL, "%s", mw_xdp_errmsg(t->x));
	if (!mw_block_in_force(&b, mw_now_boot_ns())) {
		ctl_fail(c, -ENOENT, NULL, "%s `%s' is not blocked",
			 mw_ctl_kind_name(t->kind), t->name);
		ctl_audit_refused(c, "unblock", t->object);
		return -ENOENT;
	}
	/* it opens traffic: audited first, or not done */
	snprintf(why, sizeof(why), "the owner's request %s, approved by %s",
		 request, by);
	err = ctl_audit_first(c, "unblock", "unblock", t->object, why, "kind",
			      mw_ctl_kind_name(t->kind), "target", t->name,
			      "request", request, "approved_by", by, NULL);
	if (err)
		return err;
	/* the record first: a block lifted but still on file would return
	 * at the next load or reboot */
	err = ctl_blocks_forget(c, t->kind, t->name);
	if (err) {
		ctl_fail(c, err, NULL,
			 "error: cannot update %s (%s): still blocked everywhere",
			 ctl_blocks_path(c, path, sizeof(path)),
			 strerror(-err));
		goto failed;
	}
	if (t->nl && (err = mw_nl_unblock(t->nl, t->kind, t->id)) &&
	    err != -ENOENT) {
		ctl_fail(c, err, NULL,
			 "unblock failed in the kernel module (%s): still blocked everywhere",
			 strerror(-err));
		goto restore;
	}
	err = mw_xdp_unblock(t->x, t->kind, t->id);
	if (err) {
		ctl_fail(c, err, NULL, "unblock failed: %s", mw_xdp_errmsg(t->x));
		if (t->nl)	/* both or neither */
			mw_nl_block(t->nl, t->kind, t->id, b.until, b.cause);
		goto restore;
	}
	mw_ctl_audit(c, "unblock", t->object, why, "ok", "kind",
		     mw_ctl_kind_name(t->kind), "target", t->name, "request",
		     request, "approved_by", by, NULL);
	return 0;
restore:
	if (rec ? ctl_blocks_put(c, rec) :
	    ctl_blocks_record(c, t->kind, t->name, b.until,
			      mw_block_unix_time(b.until),
			      (enum mw_block_cause)b.cause))
		ctl_fail(c, err, NULL,
			 "error: %s no longer holds the block, which is still in force: run the block again",
			 ctl_blocks_path(c, path, sizeof(path)));
failed:
	mw_ctl_audit(c, "unblock", t->object, why, "failed", "kind",
		     mw_ctl_kind_name(t->kind), "target", t->name, "request",
		     request, "approved_by", by, "error",
		     ctl_audit_why(c, err), NULL);
	return err;
}

static int reconnected_history(struct mw_ctl *c, const struct target *t,
			       const char *request, const char *asked,
			       const char *by, bool one_step)
{
	struct mw_ctl_field f[] = {
		{ .key = "request", .str = request },
		{ .key = "requested_by", .str = asked },
		{ .key = "approved_by", .str = by },
		{ .key = "one_step", .num = one_step, .is_num = true },
	};

	return ctl_history_add(c, "reconnected", t->kind, t->name,
			       target_system(t), f, sizeof(f) / sizeof(f[0]));
}

/* Whether the target's system needs two people: -EPERM (reported) when
 * it does and the approval is by one of them. */
static bool same_person(const char *a, const char *b)
{
	return *a && *b && !strcasecmp(a, b);
}

static int check_two_person(struct mw_ctl *c, const struct target *t,
			    const struct mw_ctl_block_info *i, const char *by)
{
	const char *me = c->claimed_user;
	bool on;
	int err;

	err = mw_ctl_two_person(c, &t->v, t->kind, t->name, &on);
	if (err || !on)
		return err;
	if (!same_person(by, i->req_by) && !same_person(by, i->req_user) &&
	    !same_person(me, i->req_by) && !same_person(me, i->req_user))
		return 0;
	return ctl_fail(c, -EPERM, NULL,
			"reconnect approve: system `%s' needs two people (two_person): request `%s' was asked by `%s'%s%s%s, so `%s'%s%s%s cannot approve it; another person must",
			target_system(t), i->req_ref, i->req_by,
			*i->req_user ? " and recorded by `" : "", i->req_user,
			*i->req_user ? "'" : "", by, *me ? " (user `" : "", me,
			*me ? "')" : "");
}

/* The target's record with its pending request, or -EPERM (reported). */
static int pending_request(struct mw_ctl *c, const struct target *t,
			   struct ctl_block_line *rec)
{
	char path[512];
	int err = ctl_blocks_get(c, t->kind, t->name, rec);

	if (err == -ENOENT)
		return ctl_fail(c, -ENOENT, NULL,
				"%s `%s' is not blocked (no block of it in %s)",
				mw_ctl_kind_name(t->kind), t->name,
				ctl_blocks_path(c, path, sizeof(path)));
	if (!err && !rec->i.requested)
		err = ctl_fail(c, -EPERM, NULL,
			       "reconnect approve: no reconnect request of %s `%s' to approve: record the owner's request first (mwctl reconnect request %s --ref REF --by NAME)",
			       mw_ctl_kind_name(t->kind), t->name, t->name);
	return err;
}

int mw_ctl_reconnect_approve(struct mw_ctl *c, const char *target,
			     const char *by, struct mw_ctl_block_info *done)
{
	struct ctl_block_line rec;
	struct target t;
	int err;

	err = check_text(c, "reconnect approve", "approver (--by)", by, true);
	if (!err)
		err = open_target(c, "reconnect approve", target, &t);
	if (err)
		return err;
	err = pending_request(c, &t, &rec);
	if (!err)
		err = check_two_person(c, &t, &rec.i, by);
	if (err)
		ctl_audit_refused(c, "reconnect-approve", t.object);
	else
		err = lift(c, &t, &rec, rec.i.req_ref, by);
	if (!err) {
		/* lifted: the record says so, even if history fails */
		if (done)
			*done = rec.i;
		err = reconnected_history(c, &t, rec.i.req_ref, rec.i.req_by,
					  by, false);
	}
	close_target(c, &t);
	return err;
}

int mw_ctl_unblock(struct mw_ctl *c, const char *target, const char *request,
		   const char *by, enum mw_target *kind)
{
	struct ctl_block_line rec;
	struct target t;
	bool two, have;
	int err;

	err = check_text(c, "unblock", "request reference", request, true);
	if (!err)
		err = check_text(c, "unblock", "approver (--by)", by, true);
	if (!err)
		err = open_target(c, "unblock", target, &t);
	if (err)
		return err;
	err = mw_ctl_two_person(c, &t.v, t.kind, t.name, &two);
	if (!err && two)
		err = ctl_fail(c, -EPERM, NULL,
			       "unblock: system `%s' needs two people (two_person): the owner's request and its approval are two steps by two people: mwctl reconnect request %s --ref %s --by NAME, then mwctl reconnect approve %s --by ANOTHER",
			       target_system(&t), t.name, request, t.name);
	if (err)
		ctl_audit_refused(c, "unblock", t.object);
	have = !err && !ctl_blocks_get(c, t.kind, t.name, &rec);
	if (!err)
		err = lift(c, &t, have ? &rec : NULL, request, by);
	if (!err)
		err = reconnected_history(c, &t, request, by, by, true);
	if (kind)
		*kind = t.kind;
	close_target(c, &t);
	return err;
}

/* --- the owner's request ---------------------------------------------------- */

static const char *policy_contact(const struct target *t)
{
	const struct mw_img_system *s;
	const char *name = target_system(t);

	s = *name ? mw_image_system_by_name(&t->v, name) : NULL;
	return s ? mw_image_str(&t->v, s->contact) : "";
}

static int do_request(struct mw_ctl *c, struct target *t,
		      const struct mw_ctl_request *rq)
{
	const char *contact = rq->contact && *rq->contact ? rq->contact :
			      policy_contact(t);
	struct ctl_block_line rec;
	char path[512];
	int err;

	err = ctl_blocks_get(c, t->kind, t->name, &rec);
	if (err == -ENOENT)
		ctl_fail(c, err, NULL,
			 "reconnect request: %s `%s' is not blocked (no block of it in %s)",
			 mw_ctl_kind_name(t->kind), t->name,
			 ctl_blocks_path(c, path, sizeof(path)));
	if (err) {
		ctl_audit_refused(c, "reconnect-request", t->object);
		return err;
	}
	rec.i.requested = true;
	copy_text(rec.i.req_ref, rq->ref);
	copy_text(rec.i.req_by, rq->by);
	copy_text(rec.i.req_contact, contact);
	copy_text(rec.i.req_user, c->claimed_user);
	rec.i.req_uid = getuid();
	rec.i.req_unix_ns = (uint64_t)mw_now_unix_ns();
	err = ctl_blocks_put(c, &rec);
	if (err)
		return ctl_fail(c, err, NULL,
				"error: cannot record the request in %s (%s)",
				ctl_blocks_path(c, path, sizeof(path)),
				strerror(-err));
	mw_ctl_audit(c, "reconnect-request", t->object, rq->ref, "ok", "kind",
		     mw_ctl_kind_name(t->kind), "target", t->name, "request",
		     rq->ref, "requested_by", rq->by, "contact", contact, NULL);
	return ctl_history_add(c, "reconnect-requested", t->kind, t->name,
			       target_system(t), (struct mw_ctl_field[]){
				       { .key = "request", .str = rq->ref },
				       { .key = "requested_by", .str = rq->by },
				       { .key = "contact", .str = contact },
			       }, 3);
}

int mw_ctl_reconnect_request(struct mw_ctl *c, const char *target,
			     const struct mw_ctl_request *rq,
			     enum mw_target *kind)
{
	const char *cmd = "reconnect request";
	struct target t;
	int err;

	err = check_text(c, cmd, "request reference (--ref)", rq->ref, true);
	if (!err)
		err = check_text(c, cmd, "requester (--by)", rq->by, true);
	if (!err)
		err = check_text(c, cmd, "contact", rq->contact, false);
	if (!err)
		err = open_target(c, cmd, target, &t);
	if (err)
		return err;
	err = do_request(c, &t, rq);
	if (kind)
		*kind = t.kind;
	close_target(c, &t);
	return err;
}
