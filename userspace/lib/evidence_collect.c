// SPDX-License-Identifier: GPL-2.0
/*
 * An evidence bundle's records (evidence.h): the JSON-lines files of the
 * state and log directories filtered by system and window, line by line
 * as written; the blocks in force; the audit log, verified whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "evidence_int.h"
#include "json.h"
#include "timefmt.h"

typedef bool (*ev_keep_fn)(const struct ev_ctx *x, const struct mw_json *o);

FILE *ev_open(struct ev_member *m)
{
	free(m->data);
	m->data = NULL;
	m->len = 0;
	return open_memstream(&m->data, &m->len);
}

int ev_close(struct ev_member *m, FILE *f)
{
	(void)m;
	return fclose(f) ? -errno : 0;
}

static bool in_window(const struct ev_ctx *x, int64_t t)
{
	return t >= x->o->since_ns && t <= x->o->until_ns;
}

static bool is_system(const struct ev_ctx *x, const char *name)
{
	return name && !strcmp(name, x->o->system);
}

/* NAME or SYSTEM/NAME of one of the system's devices */
static bool is_device(const struct ev_ctx *x, const char *name)
{
	size_t n = strlen(x->o->system), i;
	const struct mw_img_device *d;

	if (!name)
		return false;
	if (!strncmp(name, x->o->system, n) && name[n] == '/') {
		if (!x->s)
			return true;	/* not in the policy: the name says */
		name += n + 1;
	}
	for (i = 0; x->s && i < x->v->n_devices; i++) {
		d = &x->v->devices[i];
		if (d->system == x->s->id &&
		    !strcmp(mw_image_str(x->v, d->name), name))
			return true;
	}
	return false;
}

/* "system:NAME", "device:NAME" */
static bool object_is_ours(const struct ev_ctx *x, const char *obj)
{
	if (!obj)
		return false;
	if (!strncmp(obj, "system:", 7))
		return is_system(x, obj + 7);
	if (!strncmp(obj, "device:", 7))
		return is_device(x, obj + 7);
	return false;
}

static bool object_names_one(const char *obj)
{
	return obj && (!strncmp(obj, "system:", 7) ||
		       !strncmp(obj, "device:", 7));
}

/*
 * A record about the system or one of its devices (its system field, its
 * object, its target), or about none at all: the host's.  A system field,
 * even an empty one (a drop from an unknown source), names a party.
 */
static bool ours_or_host(const struct ev_ctx *x, const struct mw_json *o)
{
	const char *obj = mw_json_str(o, "object");
	const char *sys = mw_json_str(o, "system");
	const char *target = mw_json_str(o, "target");
	const char *kind = mw_json_str(o, "kind");
	bool ours, other;

	ours = is_system(x, sys) || object_is_ours(x, obj) ||
	       (target && kind && (!strcmp(kind, "system") ?
				   is_system(x, target) : is_device(x, target)));
	other = mw_json_get(o, "system") || object_names_one(obj) ||
		mw_json_get(o, "target");
	return ours || !other;
}

static bool keep_audit(const struct ev_ctx *x, const struct mw_json *o)
{
	int64_t t;

	return !mw_json_int(o, "ts_ns", &t) && in_window(x, t) &&
	       ours_or_host(x, o);
}

static bool keep_history(const struct ev_ctx *x, const struct mw_json *o)
{
	int64_t t;

	return is_system(x, mw_json_str(o, "system")) &&
	       !mw_json_int(o, "ts_ns", &t) && in_window(x, t);
}

static bool keep_flow(const struct ev_ctx *x, const struct mw_json *o)
{
	int64_t first, last;

	return is_system(x, mw_json_str(o, "system")) &&
	       !mw_json_int(o, "first_ns", &first) &&
	       !mw_json_int(o, "last_ns", &last) &&
	       last >= x->o->since_ns && first <= x->o->until_ns;
}

/* The system's events (also mwctl's audit records meterwalld passed on),
 * and the host's. */
static bool keep_event(const struct ev_ctx *x, const struct mw_json *o)
{
	const char *t = mw_json_str(o, "time");
	int64_t ns;

	return t && !mw_time_parse(t, &ns) && in_window(x, ns) &&
	       ours_or_host(x, o);
}

/* One line (len bytes, its newline included) into out when keep takes
 * it.  A line that is no JSON object, or the last one without its newline
 * (being written), is counted as unreadable. */
static int filter_line(const struct ev_ctx *x, struct ev_member *m, FILE *out,
		       const char *p, size_t len, ev_keep_fn keep)
{
	struct mw_json *o;
	int err;

	if (!len || p[len - 1] != '\n') {
		m->unreadable += len != 0;
		return 0;
	}
	if (len == 1)
		return 0;
	err = mw_json_parse(p, len - 1, &o, NULL, NULL);
	if (err == -ENOMEM)
		return err;
	if (err || o->type != MW_JSON_OBJ) {
		m->unreadable++;
	} else if (keep(x, o)) {
		fwrite(p, 1, len, out);
		m->records++;
	}
	if (!err)
		mw_json_free(o);
	return 0;
}

/* Whole lines of text (len bytes) that keep takes, as they are, into out. */
static int filter_text(const struct ev_ctx *x, struct ev_member *m, FILE *out,
		       const char *text, size_t len, ev_keep_fn keep)
{
	const char *p = text, *end = text + len, *nl;
	int err = 0;

	for (; !err && p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end - 1;
		err = filter_line(x, m, out, p, (size_t)(nl - p) + 1, keep);
	}
	return err;
}

/* A whole file, not through a symbolic link; *buf NUL-terminated. */
static int slurp(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *b = NULL, *t;
	struct stat st;
	ssize_t r = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		if (!b || n + 1 >= cap) {
			t = realloc(b, b ? cap *= 2 : cap);
			if (!t) {
				r = -ENOMEM;
				break;
			}
			b = t;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r <= 0) {
			r = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		free(b);
		return (int)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* The file at dir/name filtered into out, line by line (a flow log can
 * be large); recorded as a source when it is there. */
static int filter_file(struct ev_ctx *x, struct ev_member *m, FILE *out,
		       const char *dir, const char *name, int slot,
		       ev_keep_fn keep)
{
	char *src = m->sources[slot], *line = NULL;
	struct stat st;
	size_t cap = 0;
	ssize_t n;
	FILE *in = NULL;
	int fd, err = 0;

	snprintf(src, sizeof(m->sources[slot]), "%s/%s", dir, name);
	fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		src[0] = '\0';
		return 0;
	}
	if (fd < 0)
		err = -errno;
	else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		err = -EINVAL;
	else if (!(in = fdopen(fd, "r")))
		err = -errno;
	if (err) {
		if (fd >= 0)
			close(fd);
		return ctl_fail(x->c, err, src, "error: cannot read it: %s",
				err == -ELOOP ? "it is a symbolic link" :
				err == -EINVAL ? "not a regular file" :
				strerror(-err));
	}
	while (!err && (n = getline(&line, &cap, in)) > 0)
		err = filter_line(x, m, out, line, (size_t)n, keep);
	free(line);
	fclose(in);
	return err;
}

static int lines_member(struct ev_ctx *x, enum ev_member_id id,
			const char *dir, const char *const names[2],
			ev_keep_fn keep)
{
	struct ev_member *m = &x->m[id];
	FILE *f = ev_open(m);
	int i, err = 0;

	if (!f)
		return -errno;
	for (i = 0; i < 2 && names[i] && !err; i++)
		err = filter_file(x, m, f, dir, names[i], i, keep);
	if (ev_close(m, f) && !err)
		err = -ENOMEM;
	if (!err && !m->sources[0][0] && !m->sources[1][0])
		snprintf(m->note, sizeof(m->note), "no %s/%s on this host",
			 dir, names[1] ? names[1] : names[0]);
	return err;
}

int ev_collect_lines(struct ev_ctx *x)
{
	static const char *const history[2] = { "blocks.history" };
	static const char *const flows[2] = { "flows.jsonl.1", "flows.jsonl" };
	static const char *const events[2] = { "events.jsonl" };
	const char *log = mw_ctl_log_dir(x->c);
	int err;

	err = lines_member(x, EV_HISTORY, mw_ctl_state_dir(x->c), history,
			   keep_history);
	if (!err)
		err = lines_member(x, EV_FLOWS, log, flows, keep_flow);
	if (!err)
		err = lines_member(x, EV_EVENTS, log, events, keep_event);
	return err;
}

/* --- blocks in force ------------------------------------------------------- */

/* A time as RFC 3339 UTC with its _ns beside it; 0: "" ("indefinite"
 * for until) and _ns 0. */
static void put_time(const char *key, uint64_t ns)
{
	char k[32];

	if (ns) {
		jp_time(key, ns, 0, 0);
		return;
	}
	jp_str(key, strcmp(key, "until") ? "" : "indefinite");
	snprintf(k, sizeof(k), "%s_ns", key);
	jp_u64(k, 0);
}

static int put_block(const struct mw_ctl_block_info *b, void *arg)
{
	struct ev_ctx *x = arg;
	const char *sys = b->kind == MW_TARGET_SYSTEM ? b->name :
			  x->v ? ctl_target_system(x->v, b->kind, b->name) : "";

	if (!is_system(x, sys) && !(b->kind == MW_TARGET_DEVICE &&
				    is_device(x, b->name)))
		return 0;
	x->m[EV_BLOCKS].records++;
	jp_open_obj(NULL);
	jp_str("state", b->requested ? "reconnect-requested" : "blocked");
	jp_str("kind", mw_ctl_kind_name(b->kind));
	jp_str("target", b->name);
	jp_str("system", x->o->system);
	jp_str("entity", x->s ? mw_image_str(x->v, x->s->entity) : "");
	jp_str("contact", x->s ? mw_image_str(x->v, x->s->contact) : "");
	jp_str("demarcation", x->demarcation);
	jp_str("cause", mw_ctl_cause_name(b->cause));
	jp_str("reason", b->reason);
	jp_str("by", b->by);
	jp_i64("uid", b->uid);
	jp_str("user", b->user);
	put_time("since", b->since_unix_ns);
	put_time("until", b->until_unix_ns);
	if (b->requested) {
		jp_open_obj("request");
		jp_str("ref", b->req_ref);
		jp_str("requested_by", b->req_by);
		jp_str("via", b->req_contact);
		jp_i64("recorded_uid", b->req_uid);
		jp_str("recorded_user", b->req_user);
		put_time("requested", b->req_unix_ns);
		jp_close_obj();
	}
	jp_close_obj();
	return 0;
}

int ev_collect_blocks(struct ev_ctx *x)
{
	struct ev_member *m = &x->m[EV_BLOCKS];
	FILE *f = ev_open(m);
	int err;

	if (!f)
		return -errno;
	jp_init(f, true);
	jp_open_arr(NULL);
	err = mw_ctl_blocks_list(x->c, put_block, x);
	jp_close_arr();
	jp_finish();
	jp_init(stdout, false);
	snprintf(m->sources[0], sizeof(m->sources[0]), "%s/blocks",
		 mw_ctl_state_dir(x->c));
	if (ev_close(m, f) && !err)
		err = -ENOMEM;
	return err;
}

/* --- the audit log ---------------------------------------------------------- */

/* The initial key: o->key, else audit.key0 while it is still on the host,
 * else none (the chain's structure only). */
static int audit_key(struct ev_ctx *x, uint8_t key[MW_AUDIT_KEY_LEN],
		     bool *have)
{
	char path[600];
	const char *k = x->o->key;
	int err;

	*have = false;
	x->audit.key = "none";
	if (!k) {
		snprintf(path, sizeof(path), "%s/audit.key0",
			 mw_ctl_state_dir(x->c));
		if (access(path, F_OK))
			return 0;
		k = path;
	}
	err = mw_audit_key_read(k, key);
	if (err)
		return ctl_fail(x->c, err, k, "error: not the audit log's initial key: %s",
				strerror(-err));
	*have = true;
	x->audit.key = x->o->key ? "given" : "on-host";
	return 0;
}

static void audit_check(struct ev_ctx *x, const char *log, size_t len,
			const uint8_t *key)
{
	struct mw_audit_verify v = { .key0 = key };
	struct mw_audit_state st = { 0 };
	char path[600];
	int err;

	snprintf(path, sizeof(path), "%s/audit.key", mw_ctl_state_dir(x->c));
	if (!mw_audit_state_read(path, &st))
		v.state = &st;
	err = mw_audit_verify_log(log, len, &v);
	mw_audit_state_wipe(&st);
	x->audit.records = v.records;
	x->audit.bad_line = v.bad_line;
	x->audit.check = err ? "failed" : key ? "chain" : "structure";
	if (err)
		snprintf(x->audit.why, sizeof(x->audit.why), "%s",
			 err == -EBADMSG ? v.why : strerror(-err));
	else if (!v.state)
		snprintf(x->audit.why, sizeof(x->audit.why),
			 "no key state on this host: a log cut short at a record boundary looks whole");
	else if (!key)
		snprintf(x->audit.why, sizeof(x->audit.why),
			 "records in order and the log ends where the key state says; the macs need the initial key kept off the host (`mwctl audit verify --key FILE')");
}

int ev_collect_audit(struct ev_ctx *x)
{
	struct ev_member *m = &x->m[EV_AUDIT];
	uint8_t key[MW_AUDIT_KEY_LEN];
	char *text = NULL;
	size_t len = 0;
	bool have;
	FILE *f;
	int err;

	err = audit_key(x, key, &have);
	if (err)
		return err;
	snprintf(m->sources[0], sizeof(m->sources[0]), "%s/audit.log",
		 mw_ctl_log_dir(x->c));
	err = slurp(m->sources[0], &text, &len);
	if (err == -ENOENT) {
		x->audit.check = "absent";
		snprintf(m->note, sizeof(m->note), "no %s on this host",
			 m->sources[0]);
		m->sources[0][0] = '\0';
		err = 0;
	} else if (err) {
		ctl_fail(x->c, err, m->sources[0], "error: cannot read it: %s",
			 err == -ELOOP ? "it is a symbolic link" : strerror(-err));
	} else {
		audit_check(x, text, len, have ? key : NULL);
	}
	OPENSSL_cleanse(key, sizeof(key));
	f = err ? NULL : ev_open(m);
	if (!err && !f)
		err = -errno;
	if (f) {
		err = filter_text(x, m, f, text, len, keep_audit);
		if (ev_close(m, f) && !err)
			err = -ENOMEM;
	}
	free(text);
	return err;
}
