// SPDX-License-Identifier: GPL-2.0
/*
 * Policy load (ctl.h): compile with the ids of the image in force, check
 * expiry and serial, then both enforcement points or neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "ctl_int.h"
#include "policy.h"

static void report_diag(struct mw_ctl *c, const struct mw_diag *d)
{
	char where[300];

	if (d->loc.line)
		snprintf(where, sizeof(where), "%s:%d:%d", d->file, d->loc.line,
			 d->loc.col);
	else
		snprintf(where, sizeof(where), "%s", d->file);
	ctl_fail(c, -EINVAL, where, "error: %s", d->msg);
}

static int check_serial(struct mw_ctl *c, const char *path,
			const struct mw_image *old, const struct mw_image *new,
			bool allow_rollback)
{
	const struct mw_image_hdr *o = (const void *)old->data;
	const struct mw_image_hdr *n = (const void *)new->data;

	if (n->serial < o->serial && !allow_rollback)
		return ctl_fail(c, -ESTALE, path,
				"error: serial %llu is older than the policy in force (serial %llu): refusing a rollback (--allow-rollback to restore a known-good policy)",
				(unsigned long long)n->serial,
				(unsigned long long)o->serial);
	if (n->serial == o->serial &&
	    memcmp(o->digest, n->digest, sizeof(n->digest)))
		return ctl_fail(c, -EEXIST, path,
				"error: serial %llu is already in force with different content: raise the serial",
				(unsigned long long)n->serial);
	return 0;
}

static const char *target_name(const struct mw_image_view *v,
			       enum mw_target kind, uint32_t id)
{
	const struct mw_img_system *s;
	const struct mw_img_device *d;

	if (kind == MW_TARGET_SYSTEM) {
		s = mw_image_system(v, id);
		return s ? mw_image_str(v, s->name) : NULL;
	}
	d = mw_image_device(v, id);
	return d ? mw_image_str(v, d->name) : NULL;
}

struct stale_ctx {
	struct mw_xdp *x;
	struct mw_nl *nl;
	const struct mw_image_view *old, *new;
};

/* A block on an id whose name changed (the id was reused) is lifted. */
static int clear_stale(enum mw_target kind, uint32_t id,
		       const struct mw_block *b, void *arg)
{
	struct stale_ctx *s = arg;
	const char *was = s->old ? target_name(s->old, kind, id) : NULL;
	const char *now = target_name(s->new, kind, id);

	(void)b;
	if (now && was && !strcmp(was, now))
		return 0;
	if (s->nl)
		mw_nl_unblock(s->nl, kind, id);
	return mw_xdp_unblock(s->x, kind, id);
}

/* Stage the image in the kernel module: begin + chunks, commit later. */
static int kmod_stage(struct mw_nl *nl, const struct mw_image *img,
		      uint32_t *txn)
{
	uint32_t off, n;
	int err;

	err = mw_nl_begin(nl, (uint32_t)img->len, txn);
	for (off = 0; !err && off < img->len; off += n) {
		n = img->len - off > MW_CHUNK_MAX ? MW_CHUNK_MAX :
						   (uint32_t)(img->len - off);
		err = mw_nl_chunk(nl, *txn, off, img->data + off, n);
	}
	if (err && *txn)
		mw_nl_abort(nl, *txn);
	return err;
}

struct apply {
	const char *path;
	const struct mw_image *img;
	const struct mw_image_view *v, *old;
	struct mw_xdp *x;
	struct mw_nl *nl;
	bool rollback;
	const char *attrs;	/* policy.attrs' body; NULL: left as it is */
	struct mw_xdp_load_result res;
};

/* The module's commit refused after XDP took the new image: XDP goes back. */
static void xdp_back(struct mw_ctl *c, struct apply *a,
		     const struct mw_xdp_load_opts *xo, int err)
{
	char why[600];

	snprintf(why, sizeof(why), "error: the kernel module refused the policy (%s%s%s)",
		 strerror(-err), *mw_nl_errmsg(a->nl) ? ": " : "",
		 mw_nl_errmsg(a->nl));
	if (!a->old)
		ctl_fail(c, err, a->path, "%s; XDP has no earlier policy to return to: it enforces the new one alone",
			 why);
	else if (!mw_xdp_load_image(a->x, a->old, xo, NULL))
		ctl_fail(c, err, a->path, "%s; XDP rolled back to serial %llu: the policy in force is unchanged",
			 why, (unsigned long long)a->old->hdr->serial);
	else
		ctl_fail(c, err, a->path, "%s; XDP could NOT be rolled back: %s",
			 why, mw_xdp_errmsg(a->x));
}

/*
 * Both enforcement points or neither: the image is staged in the module
 * (a transaction not yet committed), swapped into XDP, then committed in
 * the module.  XDP failing aborts the module's transaction; the module's
 * commit failing puts the previous image back into XDP.
 */
static int apply_both(struct mw_ctl *c, struct apply *a)
{
	/* one clock sample for both points (uapi "Time base") */
	struct mw_xdp_load_opts xo = {
		.boot_to_unix_ns = mw_xdp_clock_offset(),
	};
	struct mw_nl_commit_opts ko = {
		.have_clock = true,
		.boot_to_unix_ns = xo.boot_to_unix_ns,
		.flags = a->rollback ? MW_COMMIT_F_ROLLBACK : 0,
	};
	uint32_t txn = 0;
	int err;

	if (a->nl && (err = kmod_stage(a->nl, a->img, &txn))) {
		if (err == -EFBIG)
			return ctl_fail(c, err, a->path,
					"error: not applied, the policy in force is unchanged: kernel module refused the image: %s; the image is %zu bytes, more than the module's image_max: raise it (at most %u) in /sys/module/meterwall/parameters/image_max or with modprobe meterwall image_max=BYTES",
					strerror(-err), a->img->len,
					MW_IMAGE_MAX);
		return ctl_fail(c, err, a->path,
				"error: not applied, the policy in force is unchanged: kernel module refused the image: %s",
				strerror(-err));
	}
	err = mw_xdp_load_image(a->x, a->v, &xo, &a->res);
	if (err) {
		if (a->nl)
			mw_nl_abort(a->nl, txn);
		return ctl_fail(c, err, a->path,
				"error: not applied, the policy in force is unchanged: %s",
				mw_xdp_errmsg(a->x));
	}
	if (!a->nl)
		return 0;
	err = mw_nl_commit_opts(a->nl, txn, &ko);
	if (err)
		xdp_back(c, a, &xo, err);
	return err;
}

/* In force from the swap on: what follows failing is an error, but the new
 * policy stays. */
static int after_swap(struct mw_ctl *c, struct apply *a,
		      struct mw_ctl_load_result *r)
{
	struct stale_ctx sc = { a->x, a->nl, a->old, a->v };
	int err, n;

	mw_xdp_foreach_block(a->x, clear_stale, &sc);
	err = ctl_save_image(c, a->img);
	if (err)
		ctl_fail(c, err, a->path,
			 "error: in force, but not recorded as the policy in force (%s): the next load and attach would not know it; fix that and load again",
			 strerror(-err));
	else if (a->attrs && (err = ctl_attrs_save(c, a->v, a->attrs)))
		ctl_fail(c, err, a->path,
			 "error: in force, but its two_person systems could not be recorded (%s): every reconnect takes two people until it is loaded again",
			 strerror(-err));
	n = mw_ctl_blocks_reapply(c, a->x, a->nl, a->v);
	if (n < 0)
		err = ctl_fail(c, n, a->path,
			       "error: in force, but the recorded blocks could not all be put back (%s)",
			       strerror(-n));
	*r = (struct mw_ctl_load_result){
		.serial = a->v->hdr->serial,
		.generation = a->res.generation,
		.n_ifaces = a->res.n_ifaces,
		.n_skipped = a->res.n_skipped,
		.blocks = n > 0 ? (uint32_t)n : 0,
		.kmod = a->nl != NULL,
	};
	return err;
}

static int apply(struct mw_ctl *c, struct apply *a, bool kmod,
		 struct mw_ctl_load_result *r)
{
	struct mw_image_view v;
	const char *why;
	int err;

	if (mw_image_view(a->img->data, a->img->len, &v, &why))
		return ctl_fail(c, -EINVAL, a->path, "internal error: %s", why);
	a->v = &v;
	err = mw_ctl_xdp(c, MW_XDP_F_NO_PROG, v.hdr->flow_entries, &a->x);
	if (err)
		return err;
	a->nl = kmod ? mw_ctl_kmod(c) : NULL;
	err = apply_both(c, a);
	if (!err)
		err = after_swap(c, a, r);
	mw_nl_close(a->nl);
	mw_xdp_close(a->x);
	return err;
}

static int compile_file(struct mw_ctl *c, const char *path,
			const struct mw_image_view *old, struct mw_image *img,
			char **attrs)
{
	struct mw_diag diag = { 0 };
	struct mw_policy *pol = NULL;
	const struct mw_image_hdr *h;
	int err;

	err = mw_policy_load_file(path, &pol, &diag);
	if (!err)
		err = mw_compile(pol, old, img, &diag);
	if (!err && (err = ctl_attrs_body(pol, attrs))) {
		mw_policy_free(pol);
		return ctl_fail(c, err, path, "error: %s", strerror(-err));
	}
	/* the image and the attributes are all we need from here on */
	mw_policy_free(pol);
	if (err) {
		report_diag(c, &diag);
		return err;
	}
	h = (const void *)img->data;
	/* in seconds: expires (up to year 9999) times 1e9 overflows */
	if (h->expires && h->expires <= mw_now_unix_ns() / 1000000000LL)
		return ctl_fail(c, -EKEYEXPIRED, path,
				"error: the policy expired; renew it (expires) before loading");
	return 0;
}

/*
 * A load's or restore's record: the image's serial and digest, and once
 * it is in force (r->generation) where; first (pending), when r is NULL.
 */
static int audit_load(struct mw_ctl *c, const char *action, const char *path,
		      const struct mw_image *img,
		      const struct mw_ctl_load_result *r, int err)
{
	const struct mw_image_hdr *h = (const void *)img->data;
	char serial[32], gen[16], digest[2 * sizeof(h->digest) + 1];
	const char *result;
	size_t i;

	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)h->serial);
	for (i = 0; i < sizeof(h->digest); i++)
		sprintf(digest + 2 * i, "%02x", h->digest[i]);
	if (!r)
		return ctl_audit_first(c, "load the policy", action, path, "",
				       "serial", serial, "digest", digest,
				       NULL);
	snprintf(gen, sizeof(gen), "%u", r->generation);
	result = !err ? "ok" : r->generation ? "partial" : "failed";
	return mw_ctl_audit(c, action, path, ctl_audit_why(c, err), result,
			    "serial", serial, "digest", digest, "generation",
			    gen, "kmod", r->kmod ? "yes" : "no", NULL);
}

static int load_locked(struct mw_ctl *c, const char *path,
		       const struct mw_ctl_load_opts *o,
		       struct mw_ctl_load_result *r)
{
	struct mw_image img = { 0 }, old = { 0 };
	struct mw_image_view ov;
	char *attrs = NULL;
	bool have_old;
	int err;

	*r = (struct mw_ctl_load_result){ 0 };
	err = mw_ctl_active_image(c, &old, &ov);
	if (err && err != -ENOENT) {
		ctl_fail(c, err, path,
			 "error: not applied: the policy in force cannot be read (anti-rollback needs it)");
		goto refused;
	}
	have_old = !err;
	err = compile_file(c, path, have_old ? &ov : NULL, &img, &attrs);
	if (!err && have_old)
		err = check_serial(c, path, &old, &img, o->allow_rollback);
	if (err)
		goto refused;
	/* it opens traffic: audited first, or not done */
	err = audit_load(c, "policy-load", path, &img, NULL, 0);
	if (!err) {
		struct apply a = { .path = path, .img = &img,
				   .old = have_old ? &ov : NULL,
				   .rollback = o->allow_rollback,
				   .attrs = attrs };

		err = apply(c, &a, true, r);
		audit_load(c, "policy-load", path, &img, r, err);
	}
	goto out;
refused:
	ctl_audit_refused(c, "policy-load", path);
out:
	free(attrs);
	mw_image_free(&img);
	mw_image_free(&old);
	return err;
}

int mw_ctl_load(struct mw_ctl *c, const char *path,
		const struct mw_ctl_load_opts *o, struct mw_ctl_load_result *r)
{
	static const struct mw_ctl_load_opts defaults;
	struct mw_ctl_load_result dummy;
	int err;

	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = load_locked(c, path, o ? o : &defaults, r ? r : &dummy);
	mw_ctl_unlock(c);
	return err;
}

int mw_ctl_restore(struct mw_ctl *c, bool xdp_only,
		   struct mw_ctl_load_result *r)
{
	struct mw_ctl_load_result dummy;
	struct mw_image img = { 0 };
	struct mw_image_view v;
	struct apply a = { .img = &img };
	char path[512];
	int err;

	err = mw_ctl_lock(c);
	if (err)
		return err;
	err = ctl_state_path(c, path, sizeof(path), "policy.img");
	if (!err)
		err = mw_ctl_active_image(c, &img, &v);
	if (err == -ENOENT)
		ctl_fail(c, err, NULL, "no policy in force to restore (load one first)");
	if (!err) {
		/* old = the same image: no block is lifted as stale */
		a.path = path;
		a.old = &v;
		r = r ? r : &dummy;
		*r = (struct mw_ctl_load_result){ 0 };
		err = apply(c, &a, !xdp_only, r);
		/* the recorded policy back in force: closing, audited after */
		audit_load(c, "policy-restore", path, &img, r, err);
	}
	mw_image_free(&img);
	mw_ctl_unlock(c);
	return err;
}
