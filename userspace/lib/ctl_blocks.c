// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks (control 2.1.3): block and unblock in both enforcement points,
 * and the blocks file that carries them across loads and reboots.
 *
 * One line of the blocks file:
 *   system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID]
 * The unix time is for people and for other boots; within the boot that
 * wrote it (BOOT_ID, /proc/sys/kernel/random/boot_id) the boot clock
 * value is used as it is, so no clock step moves a block.  A line that is
 * not a block is reported as file:line and kept for the operator.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_int.h"
#include "fileio.h"

struct block_line {
	enum mw_target kind;
	char name[MW_NAME_MAX];
	uint64_t until;			/* unix ns, 0 = until unblocked */
	unsigned int cause;
	uint64_t until_boot;		/* boot ns, valid in boot_id */
	char boot_id[MW_CTL_BOOT_ID_LEN + 1];	/* "" when not recorded */
};

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static bool is_boot_id(const char *s)
{
	return strlen(s) == MW_CTL_BOOT_ID_LEN &&
	       strspn(s, "0123456789abcdef-") == MW_CTL_BOOT_ID_LEN;
}

/* A block line (s is modified); -EINVAL if it is not one. */
static int parse_line(char *s, struct block_line *b)
{
	char *f[7], *save = NULL;
	uint64_t cause;
	int n;

	for (n = 0; n < 7; n++)
		f[n] = strtok_r(n ? NULL : s, " \t", &save);
	if (!f[3] || f[6] || (f[4] && !f[5]))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	if (f[4] && (parse_u64(f[4], &b->until_boot) || !is_boot_id(f[5])))
		return -EINVAL;
	if (f[4])
		strcpy(b->boot_id, f[5]);
	if (!strcmp(f[0], "system"))
		b->kind = MW_TARGET_SYSTEM;
	else if (!strcmp(f[0], "device"))
		b->kind = MW_TARGET_DEVICE;
	else
		return -EINVAL;
	if (strlen(f[1]) >= sizeof(b->name) || parse_u64(f[2], &b->until) ||
	    parse_u64(f[3], &cause) || cause >= __MW_BLOCK_LAST)
		return -EINVAL;
	strcpy(b->name, f[1]);
	b->cause = (unsigned int)cause;
	return 0;
}

static int write_line(FILE *f, const struct block_line *b)
{
	int n = fprintf(f, "%s %s %" PRIu64 " %u", mw_ctl_kind_name(b->kind),
			b->name, b->until, b->cause);

	if (n >= 0 && b->boot_id[0])
		n = fprintf(f, " %" PRIu64 " %s", b->until_boot, b->boot_id);
	if (n >= 0)
		n = fputc('\n', f);
	return n < 0 ? -EIO : 0;
}

/*
 * The boot clock deadline of a recorded block now: as written in this
 * boot, else converted from the unix time.  false: it has ended.
 */
static bool line_until_boot(struct mw_ctl *c, const struct block_line *b,
			    uint64_t *until)
{
	int64_t t;

	if (!b->until) {
		*until = 0;
		return true;
	}
	if (b->boot_id[0] && !strcmp(b->boot_id, ctl_boot_id(c))) {
		*until = b->until_boot;
	} else {
		t = (int64_t)b->until - mw_xdp_clock_offset();
		if (b->until > INT64_MAX || t <= 0)
			return false;
		*until = (uint64_t)t;
	}
	return *until > (uint64_t)mw_now_boot_ns();
}

const char *ctl_blocks_path(struct mw_ctl *c, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/blocks", c->state_dir) >= len)
		snprintf(buf, len, "the blocks file");
	return buf;
}

typedef int (*walk_fn)(struct mw_ctl *c, const struct block_line *b,
		       const char *raw, void *arg);

static int walk_file(struct mw_ctl *c, FILE *f, const char *path, walk_fn fn,
		     void *arg)
{
	struct block_line b;
	char *line = NULL, *copy, where[600];
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		copy = strdup(line);
		if (!copy) {
			err = -ENOMEM;
			break;
		}
		if (parse_line(copy, &b)) {
			snprintf(where, sizeof(where), "%s:%u", path, lineno);
			ctl_say(c, MW_CTL_WARNING, where,
				"warning: not a block (system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID]): `%s'; kept, and skipped",
				line);
			err = fn(c, NULL, line, arg);
		} else {
			err = fn(c, &b, line, arg);
		}
		free(copy);
	}
	if (!err && ferror(f))
		err = ctl_fail(c, -EIO, NULL, "error: cannot read %s", path);
	free(line);
	return err;
}

/*
 * Call fn for every line of the blocks file with its block, or with NULL
 * for a line that is not one (passed on so a rewrite keeps it).  No file:
 * no call.  fn returning non-zero stops the walk and is returned.
 */
static int blocks_walk(struct mw_ctl *c, walk_fn fn, void *arg)
{
	char path[512];
	FILE *f;
	int fd, err;

	err = ctl_state_path(c, path, sizeof(path), "blocks");
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err = -errno;
		return ctl_fail(c, err, NULL, "error: cannot open %s: %s", path,
				err == -ELOOP ? "it is a symbolic link" :
				strerror(-err));
	}
	f = fdopen(fd, "r");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	err = walk_file(c, f, path, fn, arg);
	fclose(f);
	return err;
}

struct rewrite_ctx {
	FILE *out;
	enum mw_target kind;
	const char *name;
};

static int rewrite_one(struct mw_ctl *c, const struct block_line *b,
		       const char *raw, void *arg)
{
	struct rewrite_ctx *r = arg;

	(void)c;
	if (!b)
		return fprintf(r->out, "%s\n", raw) < 0 ? -EIO : 0;
	if (b->kind == r->kind && !strcmp(b->name, r->name))
		return 0;
	return write_line(r->out, b);
}

/*
 * Rewrite the blocks file without (kind, name), plus an optional new line.
 * Callers hold the lock, so no concurrent update is lost; the file is
 * replaced atomically.
 */
static int blocks_rewrite(struct mw_ctl *c, enum mw_target kind,
			  const char *name, const struct block_line *add)
{
	struct rewrite_ctx r = { .kind = kind, .name = name };
	char *buf = NULL, path[512];
	size_t len = 0;
	int err;

	r.out = open_memstream(&buf, &len);
	if (!r.out)
		return -errno;
	err = blocks_walk(c, rewrite_one, &r);
	if (!err && add)
		err = write_line(r.out, add);
	if (ferror(r.out) && !err)
		err = -EIO;
	if (fclose(r.out) && !err)
		err = -errno;
	if (!err)
		err = ctl_state_path(c, path, sizeof(path), "blocks");
	if (!err)
		err = mw_replace_file(path, buf, len, 0600);
	free(buf);
	return err;
}

int ctl_blocks_record(struct mw_ctl *c, enum mw_target kind,
		      const char *name, uint64_t until_boot_ns,
		      uint64_t until_unix_ns, enum mw_block_cause cause)
{
	struct block_line b = { .kind = kind, .cause = cause,
				.until_boot = until_boot_ns };

	if (strlen(name) >= sizeof(b.name))
		return -ENAMETOOLONG;
	strcpy(b.name, name);
	if (until_boot_ns) {
		b.until = until_unix_ns;
		snprintf(b.boot_id, sizeof(b.boot_id), "%s", ctl_boot_id(c));
	}
	return blocks_rewrite(c, kind, name, &b);
}

int ctl_blocks_forget(struct mw_ctl *c, enum mw_target kind, const char *name)
{
	return blocks_rewrite(c, kind, name, NULL);
}

struct reapply_ctx {
	struct mw_xdp *x;
	struct mw_nl *nl;
	const struct mw_image_view *v;
	uint32_t n;
};

static int reapply_one(struct mw_ctl *c, const struct block_line *b,
		       const char *raw, void *arg)
{
	struct reapply_ctx *r = arg;
	const struct mw_img_system *s = NULL;
	const struct mw_img_device *d = NULL;
	uint64_t until;
	uint32_t id;
	int err;

	(void)raw;
	if (!b || !line_until_boot(c, b, &until))
		return 0;	/* not a block, or ended: nothing to apply */
	if (b->kind == MW_TARGET_SYSTEM)
		s = mw_image_system_by_name(r->v, b->name);
	else
		d = mw_image_device_by_name(r->v, b->name);
	if (!s && !d)
		return 0;	/* kept on file: the name may come back */
	id = s ? s->id : d->id;
	err = mw_xdp_block(r->x, b->kind, id, until, b->cause);
	if (err)
		return ctl_fail(c, err, NULL,
				"error: cannot re-apply the block of %s `%s': %s",
				mw_ctl_kind_name(b->kind), b->name,
				mw_xdp_errmsg(r->x));
	if (r->nl && (err = mw_nl_block(r->nl, b->kind, id, until, b->cause)))
		return ctl_fail(c, err, NULL,
				"error: the kernel module refused the block of `%s': %s",
				b->name, strerror(-err));
	r->n++;
	return 0;
}

int mw_ctl_blocks_reapply(struct mw_ctl *c, struct mw_xdp *x,
			  struct mw_nl *nl, const struct mw_image_view *v)
{
	struct reapply_ctx r = { x, nl, v, 0 };
	int err = blocks_walk(c, reapply_one, &r);

	return err ? err : (int)r.n;
}

/* --- block, unblock ---------------------------------------------------------- */

/* What block and unblock work on: the image in force, the target, both
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

/* The name first, then the lock; on error nothing is held. */
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

static int do_block(struct mw_ctl *c, struct target *t, uint64_t secs,
		    const char *reason, enum mw_block_cause cause,
		    struct mw_ctl_block_result *r)
{
	uint64_t until = 0, wall;
	char path[512], buf[32];
	int err, kerr = 0, rerr;

	/* from now, not from before the lock was free */
	if (secs && mw_block_until(secs, &until)) {
		ctl_fail(c, -ERANGE, NULL,
			 "block: the duration is too long: at most %llud",
			 (unsigned long long)mw_block_max_days());
		ctl_audit_refused(c, "block", t->object);
		return -ERANGE;
	}
	err = mw_xdp_block(t->x, t->kind, t->id, until, cause);
	if (err) {
		ctl_fail(c, err, NULL, "block failed: %s", mw_xdp_errmsg(t->x));
		mw_ctl_audit(c, "block", t->object, reason, "failed", "kind",
			     mw_ctl_kind_name(t->kind), "target", t->name,
			     "error", ctl_audit_why(c, err), NULL);
		return err;
	}
	/* a block that holds in XDP only is still a block: fail closed */
	if (t->nl && (kerr = mw_nl_block(t->nl, t->kind, t->id, until, cause)))
		ctl_fail(c, kerr, NULL,
			 "block: in force in XDP, but the kernel module refused it: %s",
			 strerror(-kerr));
	/* not recorded = lost at the next reboot: an error, but the block
	 * stays in force (fail closed) */
	/* people read unix time; the datapaths keep the boot clock's (one
	 * sample for the record and the result) */
	wall = mw_block_unix_time(until);
	rerr = ctl_blocks_record(c, t->kind, t->name, until, wall, cause);
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
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->until_unix_ns);
	/* it closes traffic: in force whether or not its record is written */
	mw_ctl_audit(c, "block", t->object, reason,
		     kerr || rerr ? "partial" : "ok", "kind",
		     mw_ctl_kind_name(t->kind), "target", t->name, "until_ns",
		     buf, "kmod", t->nl ? (kerr ? "refused" : "yes") : "no",
		     "recorded", rerr ? "no" : "yes", NULL);
	return kerr ? kerr : rerr;
}

int mw_ctl_block(struct mw_ctl *c, const char *target, uint64_t secs,
		 const char *reason, enum mw_block_cause cause,
		 struct mw_ctl_block_result *r)
{
	struct mw_ctl_block_result dummy;
	struct target t;
	int err;

	err = open_target(c, "block", target, &t);
	if (err)
		return err;
	err = do_block(c, &t, secs, reason, cause, r ? r : &dummy);
	close_target(c, &t);
	return err;
}

static int do_unblock(struct mw_ctl *c, struct target *t, const char *request,
		      const char *by)
{
	char path[512], why[600];
	struct mw_block b;
	int err;

	err = mw_xdp_get_block(t->x, t->kind, t->id, &b);
	if (err)
		return ctl_fail(c, err, NULL, "%s", mw_xdp_errmsg(t->x));
	if (!b.active) {
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
	if (ctl_blocks_record(c, t->kind, t->name, b.until,
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

int mw_ctl_unblock(struct mw_ctl *c, const char *target, const char *request,
		   const char *by, enum mw_target *kind)
{
	struct target t;
	int err;

	err = open_target(c, "unblock", target, &t);
	if (err)
		return err;
	err = do_unblock(c, &t, request, by);
	if (kind)
		*kind = t.kind;
	close_target(c, &t);
	return err;
}
