// SPDX-License-Identifier: GPL-2.0
/*
 * Evidence bundles (evidence.h): the members collected under the state
 * lock, the manifest, the tar.gz written through libarchive into a new
 * file beside the bundle's path and put in place, and the audit record
 * that anchors it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "evidence_int.h"
#include "json.h"
#include "timefmt.h"

static const char *const member_names[EV_N] = {
	[EV_POLICY] = "policy-entry.json",
	[EV_AUDIT] = "audit.jsonl",
	[EV_BLOCKS] = "blocks.json",
	[EV_HISTORY] = "blocks-history.jsonl",
	[EV_FLOWS] = "flows.jsonl",
	[EV_EVENTS] = "events.jsonl",
	[EV_COUNTERS] = "counters.json",
};

void ev_hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[2 * n] = '\0';
}

void ev_sha256_hex(const void *data, size_t len, char hex[65])
{
	uint8_t md[32];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		memset(md, 0, sizeof(md));
	ev_hex(md, 32, hex);
}

/* --- the manifest --------------------------------------------------------- */

static void put_audit(const struct ev_ctx *x)
{
	jp_open_obj("audit");
	jp_str("log", x->m[EV_AUDIT].sources[0]);
	jp_str("check", x->audit.check);
	jp_str("initial_key", x->audit.key);
	jp_u64("records", x->audit.records);
	if (x->audit.bad_line)
		jp_i64("line", x->audit.bad_line);
	jp_str("note", x->audit.why);
	jp_close_obj();
}

static void put_member(const struct ev_member *m)
{
	char hex[65];
	int i;

	ev_sha256_hex(m->data, m->len, hex);
	jp_open_obj(NULL);
	jp_str("name", m->name);
	jp_u64("size", m->len);
	jp_str("sha256", hex);
	jp_u64("records", m->records);
	jp_open_arr("sources");
	for (i = 0; i < 2; i++)
		if (m->sources[i][0])
			jp_str(NULL, m->sources[i]);
	jp_close_arr();
	if (m->unreadable)
		jp_u64("unreadable_lines", m->unreadable);
	if (m->note[0])
		jp_str("note", m->note);
	jp_close_obj();
}

static int manifest(struct ev_ctx *x, char **data, size_t *len)
{
	const struct mw_image_view *v = x->v;
	char host[256] = "", hex[65];
	FILE *f = open_memstream(data, len);
	int i;

	if (!f)
		return -errno;
	gethostname(host, sizeof(host) - 1);
	jp_init(f, true);
	jp_open_obj(NULL);
	jp_str("format", MW_EVIDENCE_FORMAT);
	jp_str("system", x->o->system);
	jp_str("entity", x->s ? mw_image_str(v, x->s->entity) : "");
	jp_str("contact", x->s ? mw_image_str(v, x->s->contact) : "");
	jp_str("demarcation", x->demarcation);
	jp_time("since", (uint64_t)x->o->since_ns, 0, 3);
	jp_time("until", (uint64_t)x->o->until_ns, 0, 3);
	jp_time("created", (uint64_t)x->now_ns, 0, 3);
	jp_str("host", host);
	jp_i64("uid", getuid());
	jp_str("user", x->c->claimed_user);
	jp_str("tool", "mwctl evidence");
	jp_open_obj("policy");
	jp_bool("system_in_force", x->s != NULL);
	if (v) {
		jp_u64("serial", v->hdr->serial);
		ev_hex(v->hdr->digest, 32, hex);
		jp_str("digest", hex);
	}
	jp_close_obj();
	put_audit(x);
	jp_open_arr("members");
	for (i = 0; i < EV_N; i++)
		put_member(&x->m[i]);
	jp_close_arr();
	jp_close_obj();
	jp_finish();
	jp_init(stdout, false);
	return fclose(f) ? -ENOMEM : 0;
}

/* --- the archive ------------------------------------------------------------ */

struct sink {
	int fd;
	EVP_MD_CTX *md;
	int err;
};

static la_ssize_t sink_write(struct archive *a, void *arg, const void *buf,
			     size_t len)
{
	struct sink *s = arg;
	const char *p = buf;
	size_t left = len;
	ssize_t n;

	(void)a;
	while (left) {
		n = write(s->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? -errno : -ENOSPC;
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	if (!EVP_DigestUpdate(s->md, buf, len)) {
		s->err = -ENOMEM;
		return -1;
	}
	return (la_ssize_t)len;
}

static int put_entry(struct archive *a, const char *name, const char *data,
		     size_t len, int64_t now_ns)
{
	struct archive_entry *e = archive_entry_new();
	int err = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, now_ns / 1000000000, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data, len) != (la_ssize_t)len))
		err = -EIO;
	archive_entry_free(e);
	return err;
}

/* The bundle into fd: manifest.json first, then the members. */
static int write_archive(struct ev_ctx *x, int fd, const char *man,
			 size_t man_len, char bundle_hex[65])
{
	struct sink s = { .fd = fd, .md = EVP_MD_CTX_new() };
	struct archive *a = archive_write_new();
	unsigned char md[32];
	unsigned int n = 0;
	int i, err = 0;

	if (!a || !s.md || !EVP_DigestInit_ex(s.md, EVP_sha256(), NULL))
		err = -ENOMEM;
	if (!err && (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		     archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
		     archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		     archive_write_open(a, &s, NULL, sink_write, NULL) !=
		     ARCHIVE_OK))
		err = -EIO;
	if (!err)
		err = put_entry(a, MW_EVIDENCE_MANIFEST, man, man_len, x->now_ns);
	for (i = 0; !err && i < EV_N; i++)
		err = put_entry(a, x->m[i].name, x->m[i].data, x->m[i].len,
				x->now_ns);
	if (!err && archive_write_close(a) != ARCHIVE_OK)
		err = -EIO;
	if (err == -EIO && s.err)
		err = s.err;
	if (err == -EIO)
		ctl_fail(x->c, err, x->o->out, "error: cannot write the bundle: %s",
			 a ? archive_error_string(a) : "libarchive");
	if (!err && (!EVP_DigestFinal_ex(s.md, md, &n) || n != 32))
		err = -ENOMEM;
	if (!err)
		ev_hex(md, 32, bundle_hex);
	archive_write_free(a);
	EVP_MD_CTX_free(s.md);
	return err;
}

/* --- the file -------------------------------------------------------------- */

/* An existing path: refused unless force, and never a link or no file. */
static int check_out(struct ev_ctx *x)
{
	const char *out = x->o->out;
	struct stat st;

	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 :
		       ctl_fail(x->c, -errno, out, "error: %s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return ctl_fail(x->c, -ELOOP, out,
				"error: it is a symbolic link: not followed, not replaced");
	if (!S_ISREG(st.st_mode))
		return ctl_fail(x->c, -EEXIST, out,
				"error: it exists and is not a regular file");
	if (!x->o->force)
		return ctl_fail(x->c, -EEXIST, out,
				"error: it exists (--force replaces it)");
	return 0;
}

static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Written into a new file of mode 0600 beside out, then put in place:
 * renamed over it (force) or linked (never over a file). */
static int write_bundle(struct ev_ctx *x, const char *man, size_t man_len,
			char bundle_hex[65])
{
	char tmp[4200];
	int fd, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", x->o->out) >=
	    sizeof(tmp))
		return ctl_fail(x->c, -ENAMETOOLONG, x->o->out,
				"error: the name is too long");
	fd = mkstemp(tmp);
	if (fd < 0)
		return ctl_fail(x->c, -errno, x->o->out,
				"error: cannot create a file beside it: %s",
				strerror(errno));
	err = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (!err)
		err = write_archive(x, fd, man, man_len, bundle_hex);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && x->o->force && rename(tmp, x->o->out) < 0)
		err = -errno;
	if (!err && !x->o->force && link(tmp, x->o->out) < 0)
		err = -errno;
	unlink(tmp);
	if (err)
		return ctl_fail(x->c, err, x->o->out, "error: %s",
				err == -EEXIST ? "it exists (--force replaces it)" :
				strerror(-err));
	sync_dir(x->o->out);
	return 0;
}

/* --- collecting -------------------------------------------------------------- */

static int collect(struct ev_ctx *x)
{
	int err;

	/* blocks first: ended ones are recorded as expired then, and so
	 * are in the audit log and the history read after */
	err = ev_collect_policy(x);
	if (!err)
		err = ev_collect_blocks(x);
	if (!err)
		err = ev_collect_audit(x);
	if (!err)
		err = ev_collect_lines(x);
	if (!err)
		err = ev_collect_counters(x);
	return err;
}

static int check_opts(struct mw_ctl *c, const struct mw_evidence_opts *o)
{
	if (!o->system || !*o->system || strlen(o->system) >= MW_NAME_MAX)
		return ctl_fail(c, -EINVAL, NULL,
				"error: a system's name is required (at most %d bytes)",
				MW_NAME_MAX - 1);
	if (!o->out || !*o->out)
		return ctl_fail(c, -EINVAL, NULL, "error: the bundle's file is required");
	if (o->since_ns < 0 || o->since_ns > o->until_ns)
		return ctl_fail(c, -EINVAL, NULL,
				"error: the window ends before it starts");
	return 0;
}

static void result(const struct ev_ctx *x, const char *man, size_t man_len,
		   const char *bundle_hex, struct mw_evidence_result *r)
{
	memset(r, 0, sizeof(*r));
	r->members = EV_N + 1;
	r->audit = x->m[EV_AUDIT].records;
	r->history = x->m[EV_HISTORY].records;
	r->blocks = x->m[EV_BLOCKS].records;
	r->flows = x->m[EV_FLOWS].records;
	r->events = x->m[EV_EVENTS].records;
	r->counters = x->counters;
	r->in_policy = x->s != NULL;
	r->audit_check = x->audit.check;
	ev_sha256_hex(man, man_len, r->manifest_sha256);
	snprintf(r->bundle_sha256, sizeof(r->bundle_sha256), "%s", bundle_hex);
}

int mw_evidence_create(struct mw_ctl *c, const struct mw_evidence_opts *o,
		       struct mw_evidence_result *r)
{
	struct ev_ctx x = { .c = c, .o = o, .demarcation = "" };
	struct mw_image img = { 0 };
	struct mw_image_view v;
	char *man = NULL, bundle[65] = "", since[24], until[24];
	char obj[MW_NAME_MAX + 8];
	size_t man_len = 0;
	int i, err;

	err = check_opts(c, o);
	if (err)
		return err;
	for (i = 0; i < EV_N; i++)
		x.m[i].name = member_names[i];
	x.audit.check = "absent";
	x.audit.key = "none";
	err = mw_ctl_lock(c);
	if (err)
		return err;
	x.now_ns = mw_now_unix_ns();
	err = check_out(&x);
	if (!err) {
		err = mw_ctl_active_image(c, &img, &v);
		if (err == -ENOENT)
			err = 0;
		else if (!err)
			x.v = &v;
	}
	if (x.v && (x.s = mw_image_system_by_name(x.v, o->system))) {
		const struct mw_img_iface *f = mw_image_iface(x.v, x.s->iface);

		x.demarcation = f ? f->name : "";
	}
	if (!err)
		err = collect(&x);
	if (!err)
		err = manifest(&x, &man, &man_len);
	if (!err)
		err = write_bundle(&x, man, man_len, bundle);
	if (!err) {
		result(&x, man, man_len, bundle, r);
		snprintf(since, sizeof(since), "%lld", (long long)o->since_ns);
		snprintf(until, sizeof(until), "%lld", (long long)o->until_ns);
		snprintf(obj, sizeof(obj), "system:%s", o->system);
		mw_ctl_audit(c, "evidence", obj, "", "ok", "file", o->out,
			     "since_ns", since, "until_ns", until,
			     "manifest_sha256", r->manifest_sha256,
			     "bundle_sha256", r->bundle_sha256, NULL);
	}
	mw_ctl_unlock(c);
	for (i = 0; i < EV_N; i++)
		free(x.m[i].data);
	free(man);
	mw_image_free(&img);
	return err;
}
