// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl load POLICY [--allow-rollback]
 * Validate, compile (ids carried from the image in force), check the
 * serial, swap atomically into the XDP maps, then record the new image.
 * Any failure before the swap leaves the running policy in force.
 */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mwctl.h"
#include "policy.h"
#include "compile.h"
#include "state.h"

static void load_usage(FILE *f)
{
	fprintf(f, "Usage: %s load POLICY [--allow-rollback]\n\n"
		"Validate and compile POLICY and apply it atomically to the XDP\n"
		"enforcement point: packets are judged by the old policy or the new,\n"
		"never by a mix and never by none.  A rejected policy changes nothing.\n"
		"The serial must not go backwards (anti-rollback) unless\n"
		"--allow-rollback is given; an equal serial must carry equal content.\n",
		prog_name);
}

static int check_serial(const char *path, const struct mw_image *old,
			const struct mw_image *new, bool allow_rollback)
{
	const struct mw_image_hdr *o = (const void *)old->data;
	const struct mw_image_hdr *n = (const void *)new->data;

	if (n->serial < o->serial && !allow_rollback) {
		fprintf(stderr, "%s: error: serial %llu is older than the policy in force (serial %llu): refusing a rollback (--allow-rollback to restore a known-good policy)\n",
			path, (unsigned long long)n->serial,
			(unsigned long long)o->serial);
		return -1;
	}
	if (n->serial != o->serial)
		return 0;
	if (memcmp(o->digest, n->digest, sizeof(n->digest))) {
		fprintf(stderr, "%s: error: serial %llu is already in force with different content: raise the serial\n",
			path, (unsigned long long)n->serial);
		return -1;
	}
	return 0;
}

struct stale_ctx {
	struct mw_xdp *x;
	struct mw_nl *nl;
	const struct mw_image_view *old, *new;
};

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

/* A block on an id whose name changed (the id was reused) is lifted. */
static int clear_stale(enum mw_target kind, uint32_t id,
		       const struct mw_block *b, void *arg)
{
	struct stale_ctx *c = arg;
	const char *was = c->old ? target_name(c->old, kind, id) : NULL;
	const char *now = target_name(c->new, kind, id);

	(void)b;
	if (now && was && !strcmp(was, now))
		return 0;
	if (c->nl)
		mw_nl_unblock(c->nl, kind, id);
	return mw_xdp_unblock(c->x, kind, id);
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

/*
 * Both enforcement points or neither: the image is staged in the module
 * (a transaction not yet committed), swapped into XDP, then committed in
 * the module.  XDP failing aborts the module's transaction; the module's
 * commit failing puts the previous image back into XDP.
 */
static int apply_both(const char *path, const struct mw_image *img,
		      const struct mw_image_view *v,
		      const struct mw_image_view *old, struct mw_xdp *x,
		      struct mw_nl *nl, bool rollback,
		      struct mw_xdp_load_result *res)
{
	/* one clock sample for both points (uapi "Time base") */
	struct mw_xdp_load_opts xo = {
		.boot_to_unix_ns = mw_xdp_clock_offset(),
	};
	struct mw_nl_commit_opts ko = {
		.have_clock = true,
		.boot_to_unix_ns = xo.boot_to_unix_ns,
		.flags = rollback ? MW_COMMIT_F_ROLLBACK : 0,
	};
	uint32_t txn = 0;
	int err;

	if (nl && (err = kmod_stage(nl, img, &txn))) {
		fprintf(stderr, "%s: error: not applied, the policy in force is unchanged: kernel module refused the image: %s\n",
			path, strerror(-err));
		if (err == -EFBIG)
			fprintf(stderr, "%s: the image is %zu bytes, more than the module's image_max: raise it (at most %u) in /sys/module/meterwall/parameters/image_max or with modprobe meterwall image_max=BYTES\n",
				path, img->len, MW_IMAGE_MAX);
		return err;
	}
	err = mw_xdp_load_image(x, v, &xo, res);
	if (err) {
		fprintf(stderr, "%s: error: not applied, the policy in force is unchanged: %s\n",
			path, mw_xdp_errmsg(x));
		if (nl)
			mw_nl_abort(nl, txn);
		return err;
	}
	if (!nl)
		return 0;
	err = mw_nl_commit_opts(nl, txn, &ko);
	if (!err)
		return 0;
	fprintf(stderr, "%s: error: the kernel module refused the policy (%s%s%s); ",
		path, strerror(-err), *mw_nl_errmsg(nl) ? ": " : "",
		mw_nl_errmsg(nl));
	if (!old)
		fprintf(stderr, "XDP has no earlier policy to return to: it enforces the new one alone\n");
	else if (!mw_xdp_load_image(x, old, &xo, NULL))
		fprintf(stderr, "XDP rolled back to serial %llu: the policy in force is unchanged\n",
			(unsigned long long)old->hdr->serial);
	else
		fprintf(stderr, "XDP could NOT be rolled back: %s\n", mw_xdp_errmsg(x));
	return err;
}

static int apply(const char *path, struct mw_image *img, bool have_old,
		 const struct mw_image_view *old, bool rollback)
{
	struct mw_xdp_load_result res = { 0 };
	struct mw_image_view v;
	struct stale_ctx sc;
	struct mw_nl *nl;
	struct mw_xdp *x;
	const char *why;
	char serial[32], gen[16];
	int err, n;

	if (mw_image_view(img->data, img->len, &v, &why)) {
		fprintf(stderr, "%s: internal error: %s\n", path, why);
		return -1;
	}
	if (xdp_open(&x, MW_XDP_F_NO_PROG, v.hdr->flow_entries))
		return -1;
	nl = kmod_open();
	err = apply_both(path, img, &v, have_old ? old : NULL, x, nl, rollback,
			 &res);
	if (err)
		goto out;
	sc = (struct stale_ctx){ x, nl, have_old ? old : NULL, &v };
	mw_xdp_foreach_block(x, clear_stale, &sc);
	/* in force from here on; what follows failing is an error, but
	 * the new policy stays */
	err = save_active_image(img);
	if (err)
		fprintf(stderr, "%s: error: in force, but not recorded as the policy in force (%s): the next load and attach would not know it; fix that and load again\n",
			path, strerror(-err));
	n = blocks_reapply(x, nl, &v);
	if (n < 0) {
		fprintf(stderr, "%s: error: in force, but the recorded blocks could not all be put back (%s)\n",
			path, strerror(-n));
		err = n;
	}
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)v.hdr->serial);
	snprintf(gen, sizeof(gen), "%u", res.generation);
	audit("policy-load", "file", path, "serial", serial, "generation", gen,
	      "kmod", nl ? "yes" : "no", NULL);
	jp_open_obj(NULL);
	jp_str("policy", path);
	jp_u64("serial", v.hdr->serial);
	jp_u64("generation", res.generation);
	jp_u64("interfaces", res.n_ifaces);
	jp_u64("interfaces_absent", res.n_skipped);
	jp_u64("blocks", n > 0 ? (uint64_t)n : 0);
	jp_str("enforcement", nl ? "xdp+kmod" : "xdp");
	jp_close_obj();
	jp_finish();
out:
	mw_nl_close(nl);
	mw_xdp_close(x);
	return err;
}

int load_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-rollback", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_image img = { 0 }, old = { 0 };
	struct mw_diag diag = { 0 };
	struct mw_policy *pol = NULL;
	struct mw_image_view ov;
	bool allow_rollback = false, have_old;
	const struct mw_image_hdr *h;
	const char *path;
	int c, err, ret = 1;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': allow_rollback = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': load_usage(stdout); return 0;
		default: load_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		load_usage(stderr);
		return 1;
	}
	path = argv[optind];
	if (state_lock())
		return 1;
	err = active_image(&old, &ov);
	if (err && err != -ENOENT) {
		fprintf(stderr, "%s: error: not applied: the policy in force cannot be read (anti-rollback needs it)\n",
			path);
		return 1;
	}
	have_old = !err;
	if (mw_policy_load_file(path, &pol, &diag) ||
	    mw_compile(pol, have_old ? &ov : NULL, &img, &diag)) {
		mw_diag_print(&diag);
		goto out;
	}
	mw_policy_free(pol);	/* the image is all we need from here on */
	pol = NULL;
	h = (const void *)img.data;
	/* in seconds: expires (up to year 9999) times 1e9 overflows */
	if (h->expires && h->expires <= now_unix_ns() / 1000000000LL) {
		fprintf(stderr, "%s: error: the policy expired; renew it (expires) before loading\n",
			path);
		goto out;
	}
	if (have_old && check_serial(path, &old, &img, allow_rollback))
		goto out;
	if (apply(path, &img, have_old, &ov, allow_rollback) == 0)
		ret = 0;
out:
	mw_policy_free(pol);
	mw_image_free(&img);
	mw_image_free(&old);
	return ret;
}
