// SPDX-License-Identifier: GPL-2.0
/*
 * An evidence bundle checked against its manifest (evidence.h): every
 * entry of the archive hashed as it is read, then each member the
 * manifest lists looked up by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "evidence_int.h"

struct entry {
	char *name;
	uint64_t size;
	char sha256[65];
	bool regular;
	unsigned int seen;		/* times in the archive */
	bool listed;			/* in the manifest */
};

struct bundle {
	struct entry *e;
	size_t n, cap;
	char *manifest;			/* its bytes */
	size_t manifest_len;
};

struct checker {
	struct mw_evidence_check *chk;
	mw_evidence_problem_fn fn;
	void *arg;
};

static void problem(struct checker *k, const char *member, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static void problem(struct checker *k, const char *member, const char *fmt,
		    ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	k->chk->problems++;
	if (k->fn)
		k->fn(member, what, k->arg);
}

static struct entry *find(struct bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->e[i].name, name))
			return &b->e[i];
	return NULL;
}

static struct entry *add(struct bundle *b, const char *name)
{
	struct entry *e = find(b, name), *t;

	if (e) {
		e->seen++;
		return e;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		t = realloc(b->e, b->cap * sizeof(*t));
		if (!t)
			return NULL;
		b->e = t;
	}
	e = &b->e[b->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	e->seen = 1;
	b->n++;
	return e;
}

/* One entry's data: hashed, and kept when it is the manifest. */
static int read_data(struct archive *a, struct bundle *b, struct entry *e,
		     bool keep, char *why)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[32];
	unsigned int n = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	char *t;
	int r, err = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		err = -ENOMEM;
	while (!err && (r = archive_read_data_block(a, &buf, &len, &off)) ==
	       ARCHIVE_OK) {
		e->size += len;
		if (!EVP_DigestUpdate(md, buf, len))
			err = -ENOMEM;
		if (err || !keep)
			continue;
		if (b->manifest_len + len > MW_EVIDENCE_MANIFEST_MAX) {
			snprintf(why, 256, "%s is too large",
				 MW_EVIDENCE_MANIFEST);
			err = -EBADMSG;
			break;
		}
		t = realloc(b->manifest, b->manifest_len + len + 1);
		if (!t) {
			err = -ENOMEM;
			break;
		}
		b->manifest = t;
		memcpy(t + b->manifest_len, buf, len);
		b->manifest_len += len;
	}
	if (!err && r != ARCHIVE_EOF) {
		snprintf(why, 256, "%s", archive_error_string(a));
		err = -EBADMSG;
	}
	if (!err && (!EVP_DigestFinal_ex(md, out, &n) || n != 32))
		err = -ENOMEM;
	if (!err)
		ev_hex(out, 32, e->sha256);
	EVP_MD_CTX_free(md);
	return err;
}

/* why: 256 bytes */
static int read_bundle(int fd, struct bundle *b, char *why)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct entry *e;
	bool keep;
	int r, err = 0;

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		snprintf(why, 256, "%s", archive_error_string(a));
		archive_read_free(a);
		return -EBADMSG;
	}
	while (!err && (r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		e = add(b, archive_entry_pathname(ae) ?
			archive_entry_pathname(ae) : "");
		if (!e) {
			err = -ENOMEM;
			break;
		}
		e->regular = archive_entry_filetype(ae) == AE_IFREG;
		keep = e->regular && !strcmp(e->name, MW_EVIDENCE_MANIFEST);
		/* a name seen before: reported, its data skipped */
		if (e->seen == 1)
			err = read_data(a, b, e, keep, why);
	}
	if (!err && r != ARCHIVE_EOF) {
		snprintf(why, 256, "%s", archive_error_string(a));
		err = -EBADMSG;
	}
	archive_read_free(a);
	return err;
}

/* A member the manifest lists, against the archive's entry. */
static void check_member(struct checker *k, struct bundle *b,
			 const struct mw_json *m)
{
	const char *name = mw_json_str(m, "name");
	const char *sha = mw_json_str(m, "sha256");
	struct entry *e;
	int64_t size;

	if (!name || !sha || mw_json_int(m, "size", &size)) {
		problem(k, name ? name : MW_EVIDENCE_MANIFEST,
			"the manifest's entry lacks its name, size or sha256");
		return;
	}
	k->chk->members++;
	e = find(b, name);
	if (!e || !strcmp(name, MW_EVIDENCE_MANIFEST)) {
		problem(k, name, e ? "the manifest lists itself" :
			"missing: the manifest lists it, the bundle lacks it");
		return;
	}
	if (e->listed) {
		problem(k, name, "listed twice in the manifest");
		return;
	}
	e->listed = true;
	if (!e->regular)
		problem(k, name, "not a regular file");
	else if (e->seen > 1)
		problem(k, name, "in the bundle %u times", e->seen);
	else if ((uint64_t)size != e->size)
		problem(k, name, "changed: %llu bytes, the manifest says %lld",
			(unsigned long long)e->size, (long long)size);
	else if (strcmp(sha, e->sha256))
		problem(k, name, "changed: its SHA-256 is not the manifest's");
	else
		k->chk->good++;
}

static int check_manifest(struct checker *k, struct bundle *b)
{
	struct mw_evidence_check *chk = k->chk;
	const struct mw_json *members, *m;
	struct mw_json *doc;
	const char *why, *s;
	size_t i;
	int err;

	err = mw_json_parse(b->manifest, b->manifest_len, &doc, &why, NULL);
	if (err) {
		snprintf(chk->why, sizeof(chk->why), "%s: not JSON: %s",
			 MW_EVIDENCE_MANIFEST, why);
		return err == -ENOMEM ? err : -EBADMSG;
	}
	s = mw_json_str(doc, "format");
	members = mw_json_get(doc, "members");
	if (!s || strcmp(s, MW_EVIDENCE_FORMAT) || !members ||
	    members->type != MW_JSON_ARR) {
		snprintf(chk->why, sizeof(chk->why),
			 "%s: not a manifest of format %s", MW_EVIDENCE_MANIFEST,
			 MW_EVIDENCE_FORMAT);
		mw_json_free(doc);
		return -EBADMSG;
	}
	snprintf(chk->system, sizeof(chk->system), "%s",
		 mw_json_str(doc, "system") ? mw_json_str(doc, "system") : "");
	mw_json_int(doc, "since_ns", &chk->since_ns);
	mw_json_int(doc, "until_ns", &chk->until_ns);
	mw_json_int(doc, "created_ns", &chk->created_ns);
	for (m = members->child; m; m = m->next)
		check_member(k, b, m);
	for (i = 0; i < b->n; i++) {
		if (!strcmp(b->e[i].name, MW_EVIDENCE_MANIFEST)) {
			if (b->e[i].seen > 1)
				problem(k, b->e[i].name, "in the bundle %u times",
					b->e[i].seen);
		} else if (!b->e[i].listed) {
			problem(k, b->e[i].name,
				"added: in the bundle, not in the manifest");
		}
	}
	mw_json_free(doc);
	return chk->problems ? -EBADMSG : 0;
}

int mw_evidence_verify(const char *path, mw_evidence_problem_fn fn,
		       void *arg, struct mw_evidence_check *chk)
{
	struct checker k = { .chk = chk, .fn = fn, .arg = arg };
	struct bundle b = { 0 };
	char why[256] = "";
	struct entry *man;
	size_t i;
	int fd, err;

	memset(chk, 0, sizeof(*chk));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(chk->why, sizeof(chk->why), "%s", err == -ELOOP ?
			 "it is a symbolic link" : strerror(-err));
		return err;
	}
	err = read_bundle(fd, &b, why);
	close(fd);
	man = err ? NULL : find(&b, MW_EVIDENCE_MANIFEST);
	if (err)
		snprintf(chk->why, sizeof(chk->why), "not a bundle: %s",
			 why[0] ? why : strerror(-err));
	else if (!man || !man->regular)
		err = -EBADMSG, snprintf(chk->why, sizeof(chk->why),
					 "no %s in it", MW_EVIDENCE_MANIFEST);
	if (!err) {
		snprintf(chk->manifest_sha256, sizeof(chk->manifest_sha256),
			 "%s", man->sha256);
		err = check_manifest(&k, &b);
	}
	for (i = 0; i < b.n; i++)
		free(b.e[i].name);
	free(b.e);
	free(b.manifest);
	return err;
}

int mw_evidence_anchor(const char *log_path, const char *manifest_sha256,
		       uint64_t *seq)
{
	char *line = NULL;
	const char *action, *hex;
	struct mw_json *o;
	size_t cap = 0;
	ssize_t n;
	int64_t v;
	FILE *f;
	int fd, err = -ENOENT;

	fd = open(log_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (err == -ENOENT && (n = getline(&line, &cap, f)) > 0) {
		if (!strstr(line, manifest_sha256) ||
		    mw_json_parse(line, (size_t)n, &o, NULL, NULL))
			continue;
		action = mw_json_str(o, "action");
		hex = mw_json_str(o, "manifest_sha256");
		if (action && hex && !strcmp(action, "evidence") &&
		    !strcmp(hex, manifest_sha256) && !mw_json_int(o, "seq", &v)) {
			*seq = (uint64_t)v;
			err = 0;
		}
		mw_json_free(o);
	}
	free(line);
	fclose(f);
	return err;
}
