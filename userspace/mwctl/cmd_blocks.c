// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl blocks [--history] [SYSTEM]
 * The blocks in force (control 2.1.3), each with its system, the owning
 * entity, contact and demarcation interface (2.1.4), who blocked it, why,
 * since and until when, and the owner's reconnect request when there is
 * one; or, with --history, every transition.  Times in the policy's time
 * zone; JSON keeps the exact ns beside them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "mwctl.h"

struct blocks_ctx {
	const struct mw_image_view *v;	/* NULL: no policy in force */
	const char *system;		/* filter, NULL: all */
	int32_t tz;
	unsigned int n;
};

/* The system a target belongs to in the policy in force, or NULL. */
static const struct mw_img_system *system_of(const struct mw_image_view *v,
					     enum mw_target kind,
					     const char *name)
{
	const struct mw_img_device *d;

	if (!v)
		return NULL;
	if (kind == MW_TARGET_SYSTEM)
		return mw_image_system_by_name(v, name);
	d = mw_image_device_by_name(v, name);
	return d ? mw_image_system(v, d->system) : NULL;
}

static void print_request(const struct mw_ctl_block_info *b, int32_t tz)
{
	jp_open_obj("request");
	jp_str("ref", b->req_ref);
	jp_str("requested_by", b->req_by);
	jp_str("via", b->req_contact);
	if (b->req_uid >= 0)
		jp_i64("recorded_uid", b->req_uid);
	jp_str("recorded_user", b->req_user);
	jp_time("requested", b->req_unix_ns, tz, 0);
	jp_close_obj();
}

static int print_block(const struct mw_ctl_block_info *b, void *arg)
{
	struct blocks_ctx *x = arg;
	const struct mw_img_system *s = system_of(x->v, b->kind, b->name);

	if (x->system && (!s || strcmp(mw_image_str(x->v, s->name), x->system)))
		return 0;
	if (x->n++ && !jp_json())
		putchar('\n');
	jp_open_obj(NULL);
	jp_str("state", b->requested ? "reconnect-requested" : "blocked");
	jp_str("kind", mw_ctl_kind_name(b->kind));
	jp_str("target", b->name);
	print_owner(x->v, s);
	jp_str("cause", mw_ctl_cause_name(b->cause));
	jp_str("reason", b->reason);
	jp_str("by", b->by);
	if (b->uid >= 0)
		jp_i64("uid", b->uid);
	jp_str("user", b->user);
	if (b->since_unix_ns)
		jp_time("since", b->since_unix_ns, x->tz, 0);
	print_until(b->until_unix_ns, x->tz);
	if (b->requested)
		print_request(b, x->tz);
	jp_close_obj();
	return 0;
}

static const struct mw_ctl_field *field(const struct mw_ctl_field *f,
					size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(f[i].key, key))
			return &f[i];
	return NULL;
}

/* One field of a history record: *_ns as times (ts_ns is "time"). */
static void print_field(const struct mw_ctl_field *f, int32_t tz)
{
	size_t len = strlen(f->key);
	char base[64];

	if (!f->is_num) {
		jp_str(f->key, f->str);
		return;
	}
	if (len <= 3 || len >= sizeof(base) || strcmp(f->key + len - 3, "_ns") ||
	    f->num < 0) {
		jp_i64(f->key, f->num);
		return;
	}
	if (!strcmp(f->key, "ts_ns"))
		snprintf(base, sizeof(base), "time");
	else
		snprintf(base, sizeof(base), "%.*s", (int)len - 3, f->key);
	if (f->num || !strcmp(base, "time")) {
		jp_time(base, (uint64_t)f->num, tz, strcmp(base, "time") ? 0 : 3);
		return;
	}
	jp_str(base, "indefinite");
	if (jp_json())
		jp_u64(f->key, 0);
}

static int print_record(const struct mw_ctl_field *f, size_t n, void *arg)
{
	struct blocks_ctx *x = arg;
	const struct mw_ctl_field *sys = field(f, n, "system");
	size_t i;

	if (x->system && (!sys || sys->is_num || strcmp(sys->str, x->system)))
		return 0;
	if (x->n++ && !jp_json())
		putchar('\n');
	jp_open_obj(NULL);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, "time"))	/* UTC: ts_ns says it */
			print_field(&f[i], x->tz);
	jp_close_obj();
	return 0;
}

static void blocks_usage(FILE *f)
{
	fprintf(f, "Usage: %s blocks [--history] [SYSTEM]\n\n"
		"The blocks in force (of SYSTEM and its devices): state (blocked,\n"
		"reconnect-requested), target, system, entity, contact, demarcation\n"
		"interface, cause, reason, who blocked, since, until, and the owner's\n"
		"reconnect request.  --history: every transition (blocked,\n"
		"reconnect-requested, reconnected, expired), oldest first.\n"
		"Times in the policy's time zone.\n", prog_name);
}

int blocks_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "history", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct blocks_ctx x = { 0 };
	struct mw_image img = { 0 };
	struct mw_image_view v;
	bool history = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': history = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': blocks_usage(stdout); return 0;
		default: blocks_usage(stderr); return 1;
		}
	}
	if (optind < argc - 1) {
		blocks_usage(stderr);
		return 1;
	}
	x.system = optind < argc ? argv[optind] : NULL;
	if (!mw_ctl_active_image(ctl, &img, &v)) {
		x.v = &v;
		x.tz = v.hdr->tz_offset;
	}
	if (x.system && x.v && !mw_image_system_by_name(x.v, x.system))
		fprintf(stderr, "%s: note: no system named `%s' in the policy in force\n",
			prog_name, x.system);
	jp_open_arr(NULL);
	err = history ? mw_ctl_blocks_history(ctl, print_record, &x) :
			mw_ctl_blocks_list(ctl, print_block, &x);
	jp_close_arr();
	jp_finish();
	mw_image_free(&img);
	return err ? 1 : 0;
}
