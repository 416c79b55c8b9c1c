// SPDX-License-Identifier: GPL-2.0
/*
 * The blocks file (control 2.1.3): the blocks in force, carried across
 * loads and reboots, with who blocked, why, and the reconnect request.
 *
 * One line of the blocks file:
 *   system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID] [KEY=VALUE ...]
 * The unix time is for people and for other boots; within the boot that
 * wrote it (BOOT_ID, /proc/sys/kernel/random/boot_id) the boot clock
 * value is used as it is, so no clock step moves a block.  KEY=VALUE
 * fields (VALUE percent-encoded: every byte outside '!'..'~', and '%',
 * as %XX) say the rest: since (unix ns), uid, user (claimed), by, reason,
 * and for a pending reconnect request req, req_by, req_contact, req_uid,
 * req_user, req_ns.  Lines without them (older ones) still parse; keys
 * this version does not know are ignored; a field that cannot be read
 * (bad encoding, a number that is none) is reported and left out, the
 * block holds (a longer value is cut).  A line that is not a block is
 * reported as file:line and kept for the operator.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_int.h"
#include "fileio.h"
#include "image.h"

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

static int parse_i64(const char *s, int64_t *v)
{
	uint64_t u;

	if (*s == '-' && !strcmp(s, "-1")) {
		*v = -1;
		return 0;
	}
	if (parse_u64(s, &u) || u > INT64_MAX)
		return -EINVAL;
	*v = (int64_t)u;
	return 0;
}

static int hexval(char x)
{
	if (x >= '0' && x <= '9')
		return x - '0';
	if (x >= 'a' && x <= 'f')
		return x - 'a' + 10;
	if (x >= 'A' && x <= 'F')
		return x - 'A' + 10;
	return -1;
}

/* A percent-encoded VALUE into dst (len bytes; a longer one is cut). */
static int unescape(const char *s, char *dst, size_t len)
{
	size_t n = 0;
	int hi, lo;

	for (; *s; s++) {
		char ch = *s;

		if (ch == '%') {
			hi = hexval(s[1]);
			lo = hi < 0 ? -1 : hexval(s[2]);
			if (lo < 0 || (!hi && !lo))
				return -EINVAL;
			ch = (char)(hi << 4 | lo);
			s += 2;
		}
		if (n + 1 < len)
			dst[n++] = ch;
	}
	dst[n] = '\0';
	return 0;
}

static void escape(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '%')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

/* One KEY=VALUE field (s is modified); unknown keys are skipped. */
static int parse_field(char *s, struct mw_ctl_block_info *i)
{
	char *v = strchr(s, '=');
	static const struct {
		const char *key;
		size_t off, len;
	} text[] = {
#define T(k, f) { k, offsetof(struct mw_ctl_block_info, f), \
		  sizeof(((struct mw_ctl_block_info *)NULL)->f) }
		T("user", user), T("by", by), T("reason", reason),
		T("req", req_ref), T("req_by", req_by),
		T("req_contact", req_contact), T("req_user", req_user),
#undef T
	};
	size_t k;

	if (!v || v == s)
		return -EINVAL;
	*v++ = '\0';
	if (!*v)
		return 0;
	for (k = 0; k < sizeof(text) / sizeof(text[0]); k++)
		if (!strcmp(s, text[k].key))
			return unescape(v, (char *)i + text[k].off,
					text[k].len);
	if (!strcmp(s, "since"))
		return parse_u64(v, &i->since_unix_ns);
	if (!strcmp(s, "req_ns"))
		return parse_u64(v, &i->req_unix_ns);
	if (!strcmp(s, "uid"))
		return parse_i64(v, &i->uid);
	if (!strcmp(s, "req_uid"))
		return parse_i64(v, &i->req_uid);
	return 0;
}

/* The fixed fields: kind, name, until, cause. */
static int parse_head(char **f, struct ctl_block_line *b)
{
	uint64_t cause;

	if (!strcmp(f[0], "system"))
		b->i.kind = MW_TARGET_SYSTEM;
	else if (!strcmp(f[0], "device"))
		b->i.kind = MW_TARGET_DEVICE;
	else
		return -EINVAL;
	if (strlen(f[1]) >= sizeof(b->i.name) ||
	    parse_u64(f[2], &b->i.until_unix_ns) ||
	    parse_u64(f[3], &cause) || cause >= __MW_BLOCK_LAST)
		return -EINVAL;
	strcpy(b->i.name, f[1]);
	b->i.cause = (enum mw_block_cause)cause;
	return 0;
}

/* A block line (s is modified); -EINVAL if it is not one. */
static int parse_line(char *s, struct ctl_block_line *b)
{
	char *f[6] = { NULL }, *save = NULL, *t;
	int n = 0;

	memset(b, 0, sizeof(*b));
	b->i.uid = b->i.req_uid = -1;
	for (t = strtok_r(s, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n >= 4 && strchr(t, '=')) {
			/* an unreadable field never costs the block */
			if (parse_field(t, &b->i))
				b->bad_field = true;
			n = 6;		/* no positional field after these */
		} else if (n < 6) {
			f[n++] = t;
		} else {
			return -EINVAL;
		}
	}
	if (!f[3] || (f[4] && !f[5]))
		return -EINVAL;
	if (f[4] && (parse_u64(f[4], &b->until_boot) || !is_boot_id(f[5])))
		return -EINVAL;
	if (f[4])
		strcpy(b->boot_id, f[5]);
	b->i.requested = b->i.req_ref[0] != '\0';
	return parse_head(f, b);
}

static void write_text(FILE *f, const char *key, const char *val)
{
	if (!*val)
		return;
	fprintf(f, " %s=", key);
	escape(f, val);
}

static int write_line(FILE *f, const struct ctl_block_line *b)
{
	const struct mw_ctl_block_info *i = &b->i;
	int n = fprintf(f, "%s %s %" PRIu64 " %u", mw_ctl_kind_name(i->kind),
			i->name, i->until_unix_ns, (unsigned int)i->cause);

	if (n >= 0 && b->boot_id[0])
		n = fprintf(f, " %" PRIu64 " %s", b->until_boot, b->boot_id);
	if (n >= 0 && i->since_unix_ns)
		n = fprintf(f, " since=%" PRIu64, i->since_unix_ns);
	if (n >= 0 && i->uid >= 0)
		n = fprintf(f, " uid=%" PRId64, i->uid);
	write_text(f, "user", i->user);
	write_text(f, "by", i->by);
	write_text(f, "reason", i->reason);
	if (n >= 0 && i->requested) {
		write_text(f, "req", i->req_ref);
		write_text(f, "req_by", i->req_by);
		write_text(f, "req_contact", i->req_contact);
		write_text(f, "req_user", i->req_user);
		if (i->req_uid >= 0)
			fprintf(f, " req_uid=%" PRId64, i->req_uid);
		n = fprintf(f, " req_ns=%" PRIu64, i->req_unix_ns);
	}
	if (n >= 0)
		n = fputc('\n', f);
	return n < 0 || ferror(f) ? -EIO : 0;
}

/*
 * The boot clock deadline of a recorded block now: as written in this
 * boot, else converted from the unix time.  false: it has ended.
 */
static bool line_until_boot(struct mw_ctl *c, const struct ctl_block_line *b,
			    uint64_t *until)
{
	int64_t t;

	if (!b->i.until_unix_ns) {
		*until = 0;
		return true;
	}
	if (b->boot_id[0] && !strcmp(b->boot_id, ctl_boot_id(c))) {
		*until = b->until_boot;
	} else {
		t = (int64_t)b->i.until_unix_ns - mw_xdp_clock_offset();
		if (b->i.until_unix_ns > INT64_MAX || t <= 0)
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

typedef int (*walk_fn)(struct mw_ctl *c, const struct ctl_block_line *b,
		       const char *raw, void *arg);

static int walk_file(struct mw_ctl *c, FILE *f, const char *path, walk_fn fn,
		     void *arg, bool quiet)
{
	struct ctl_block_line b;
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
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (!parse_line(copy, &b)) {
			if (b.bad_field && !quiet)
				ctl_say(c, MW_CTL_WARNING, where,
					"warning: a KEY=VALUE field that cannot be read: `%s'; the block holds, without it",
					line);
			err = fn(c, &b, line, arg);
			free(copy);
			continue;
		}
		if (!quiet)
			ctl_say(c, MW_CTL_WARNING, where,
				"warning: not a block (system|device NAME UNTIL_UNIX_NS CAUSE [UNTIL_BOOT_NS BOOT_ID] [KEY=VALUE ...]): `%s'; kept, and skipped",
				line);
		err = fn(c, NULL, line, arg);
		free(copy);
	}
	if (!err && ferror(f))
		err = ctl_fail(c, -EIO, NULL, "error: cannot read %s", path);
	free(line);
	return err;
}

/*
 * Call fn for every line of the blocks file with its block, or with NULL
 * for a line that is not one (passed on so a rewrite keeps it; reported
 * unless quiet).  No file: no call.  fn returning non-zero stops the walk
 * and is returned.
 */
static int walk_q(struct mw_ctl *c, walk_fn fn, void *arg, bool quiet)
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
	err = walk_file(c, f, path, fn, arg, quiet);
	fclose(f);
	return err;
}

static int blocks_walk(struct mw_ctl *c, walk_fn fn, void *arg)
{
	return walk_q(c, fn, arg, false);
}

struct rewrite_ctx {
	FILE *out;
	enum mw_target kind;
	const char *name;	/* the line to leave out; NULL: none */
	bool expire;		/* leave out ended blocks, recording them */
	const struct mw_image_view *v;	/* for their systems; may be NULL */
	mw_ctl_block_fn fn;	/* ... told of each; may be NULL */
	void *arg;
	unsigned int n;		/* ... how many */
};

/* An ended block, as it leaves the file: history, audit. */
static void record_expiry(struct mw_ctl *c, const struct ctl_block_line *b,
			  const struct mw_image_view *v)
{
	const struct mw_ctl_block_info *i = &b->i;
	char until[24], obj[MW_NAME_MAX + 16];
	struct mw_ctl_field f[] = {
		{ .key = "cause", .str = mw_ctl_cause_name(i->cause) },
		{ .key = "reason", .str = i->reason },
		{ .key = "since_ns", .num = (int64_t)i->since_unix_ns,
		  .is_num = true },
		{ .key = "until_ns", .num = (int64_t)i->until_unix_ns,
		  .is_num = true },
		{ .key = "request", .str = i->req_ref },
	};

	ctl_history_add(c, "expired", i->kind, i->name,
			ctl_target_system(v, i->kind, i->name), f,
			sizeof(f) / sizeof(f[0]));
	snprintf(until, sizeof(until), "%" PRIu64, i->until_unix_ns);
	snprintf(obj, sizeof(obj), "%s:%s", mw_ctl_kind_name(i->kind), i->name);
	mw_ctl_audit(c, "block-expired", obj, "block_for ran out", "ok", "kind",
		     mw_ctl_kind_name(i->kind), "target", i->name, "until_ns",
		     until, NULL);
}

static int rewrite_one(struct mw_ctl *c, const struct ctl_block_line *b,
		       const char *raw, void *arg)
{
	struct rewrite_ctx *r = arg;
	uint64_t until;

	if (!b)
		return fprintf(r->out, "%s\n", raw) < 0 ? -EIO : 0;
	if (r->name && b->i.kind == r->kind && !strcmp(b->i.name, r->name))
		return 0;
	if (r->expire && !line_until_boot(c, b, &until)) {
		record_expiry(c, b, r->v);
		r->n++;
		if (r->fn)
			r->fn(&b->i, r->arg);
		return 0;
	}
	return write_line(r->out, b);
}

/*
 * Rewrite the blocks file as r says, plus an optional new line.  Callers
 * hold the lock, so no concurrent update is lost; the file is replaced
 * atomically.
 */
static int blocks_rewrite_with(struct mw_ctl *c, struct rewrite_ctx *r,
			       const struct ctl_block_line *add)
{
	char *buf = NULL, path[512];
	size_t len = 0;
	int err;

	r->out = open_memstream(&buf, &len);
	if (!r->out)
		return -errno;
	err = blocks_walk(c, rewrite_one, r);
	if (!err && add)
		err = write_line(r->out, add);
	if (ferror(r->out) && !err)
		err = -EIO;
	if (fclose(r->out) && !err)
		err = -errno;
	if (!err)
		err = ctl_state_path(c, path, sizeof(path), "blocks");
	if (!err)
		err = mw_replace_file(path, buf, len, 0600);
	free(buf);
	return err;
}

static int blocks_rewrite(struct mw_ctl *c, enum mw_target kind,
			  const char *name, const struct ctl_block_line *add)
{
	struct rewrite_ctx r = { .kind = kind, .name = name };

	return blocks_rewrite_with(c, &r, add);
}

int ctl_blocks_put(struct mw_ctl *c, const struct ctl_block_line *b)
{
	return blocks_rewrite(c, b->i.kind, b->i.name, b);
}

int ctl_blocks_record(struct mw_ctl *c, enum mw_target kind,
		      const char *name, uint64_t until_boot_ns,
		      uint64_t until_unix_ns, enum mw_block_cause cause)
{
	struct ctl_block_line b = { .i = { .kind = kind, .cause = cause,
					   .uid = -1, .req_uid = -1 },
				    .until_boot = until_boot_ns };

	if (strlen(name) >= sizeof(b.i.name))
		return -ENAMETOOLONG;
	strcpy(b.i.name, name);
	if (until_boot_ns) {
		b.i.until_unix_ns = until_unix_ns;
		snprintf(b.boot_id, sizeof(b.boot_id), "%s", ctl_boot_id(c));
	}
	return ctl_blocks_put(c, &b);
}

int ctl_blocks_forget(struct mw_ctl *c, enum mw_target kind, const char *name)
{
	return blocks_rewrite(c, kind, name, NULL);
}

struct get_ctx {
	enum mw_target kind;
	const char *name;
	struct ctl_block_line *out;
};

static int get_one(struct mw_ctl *c, const struct ctl_block_line *b,
		   const char *raw, void *arg)
{
	struct get_ctx *g = arg;

	(void)c, (void)raw;
	if (!b || b->i.kind != g->kind || strcmp(b->i.name, g->name))
		return 0;
	*g->out = *b;
	return 1;
}

int ctl_blocks_get(struct mw_ctl *c, enum mw_target kind, const char *name,
		   struct ctl_block_line *b)
{
	struct get_ctx g = { kind, name, b };
	int err = blocks_walk(c, get_one, &g);

	return err == 1 ? 0 : err ? err : -ENOENT;
}

const char *ctl_target_system(const struct mw_image_view *v,
			      enum mw_target kind, const char *name)
{
	const struct mw_img_system *s = NULL;
	const struct mw_img_device *d;

	if (!v)
		return "";
	if (kind == MW_TARGET_SYSTEM) {
		s = mw_image_system_by_name(v, name);
	} else {
		d = mw_image_device_by_name(v, name);
		s = d ? mw_image_system(v, d->system) : NULL;
	}
	return s ? mw_image_str(v, s->name) : "";
}

/* --- expiry, listing ---------------------------------------------------- */

static int find_ended(struct mw_ctl *c, const struct ctl_block_line *b,
		      const char *raw, void *arg)
{
	uint64_t until;

	(void)raw, (void)arg;
	return b && !line_until_boot(c, b, &until) ? 1 : 0;
}

int mw_ctl_blocks_expire(struct mw_ctl *c, mw_ctl_block_fn fn, void *arg)
{
	struct rewrite_ctx r = { .expire = true, .fn = fn, .arg = arg };
	struct mw_image img = { 0 };
	struct mw_image_view v;
	char path[512];
	int err;

	/* no lock for nothing; quiet: a daemon asks every second */
	err = walk_q(c, find_ended, NULL, true);
	if (err <= 0)
		return err;
	err = mw_ctl_lock(c);
	if (err)
		return err;
	if (!mw_ctl_active_image(c, &img, &v))
		r.v = &v;
	err = blocks_rewrite_with(c, &r, NULL);
	if (err)
		ctl_fail(c, err, NULL,
			 "error: cannot update %s (%s): its ended blocks stay on file",
			 ctl_blocks_path(c, path, sizeof(path)),
			 strerror(-err));
	mw_image_free(&img);
	mw_ctl_unlock(c);
	return err ? err : (int)r.n;
}

struct list_ctx {
	mw_ctl_block_fn fn;
	void *arg;
};

static int list_one(struct mw_ctl *c, const struct ctl_block_line *b,
		    const char *raw, void *arg)
{
	struct list_ctx *l = arg;
	uint64_t until;

	(void)raw;
	if (!b || !line_until_boot(c, b, &until))
		return 0;
	return l->fn(&b->i, l->arg);
}

int mw_ctl_blocks_list(struct mw_ctl *c, mw_ctl_block_fn fn, void *arg)
{
	struct list_ctx l = { fn, arg };
	int err = mw_ctl_blocks_expire(c, NULL, NULL);

	return err < 0 ? err : blocks_walk(c, list_one, &l);
}

struct reapply_ctx {
	struct mw_xdp *x;
	struct mw_nl *nl;
	const struct mw_image_view *v;
	uint32_t n;
};

static int reapply_one(struct mw_ctl *c, const struct ctl_block_line *b,
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
	if (b->i.kind == MW_TARGET_SYSTEM)
		s = mw_image_system_by_name(r->v, b->i.name);
	else
		d = mw_image_device_by_name(r->v, b->i.name);
	if (!s && !d)
		return 0;	/* kept on file: the name may come back */
	id = s ? s->id : d->id;
	err = mw_xdp_block(r->x, b->i.kind, id, until, b->i.cause);
	if (err)
		return ctl_fail(c, err, NULL,
				"error: cannot re-apply the block of %s `%s': %s",
				mw_ctl_kind_name(b->i.kind), b->i.name,
				mw_xdp_errmsg(r->x));
	if (r->nl && (err = mw_nl_block(r->nl, b->i.kind, id, until, b->i.cause)))
		return ctl_fail(c, err, NULL,
				"error: the kernel module refused the block of `%s': %s",
				b->i.name, strerror(-err));
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

