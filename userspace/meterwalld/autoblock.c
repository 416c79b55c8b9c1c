// SPDX-License-Identifier: GPL-2.0
/*
 * Automatic blocking (control 2.1.3): a system whose policy entry has
 * auto_block.drops_per_min is blocked for auto_block.block_for seconds
 * (0: until reconnected) once its devices' packets dropped by XDP within
 * the last 60 seconds reach that number; one with new_flows_per_sec once
 * its devices start that many flows (flow table rows, flowlog.c) between
 * two polls a second apart.  Sampled every second: the sum
 * of the system's device drop counters, kept for 61 seconds, so the
 * window is exact to the second.  The block goes through the controller
 * (both enforcement points, the blocks file, the audit log) with cause
 * MW_BLOCK_THRESHOLD and a reason that states the count and threshold.
 * While the system is blocked its window is empty: the drops of the
 * block itself never count towards the next one.  Not yet: the module's
 * drops and flows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meterwalld.h"

#define WINDOW	61			/* samples: 60 seconds apart at most */

struct sys_window {
	uint32_t id;
	uint64_t drops[WINDOW];		/* cumulative, ring by second */
	unsigned int n;			/* samples taken */
};

struct mwd_autoblock {
	struct sys_window *w;
	size_t n;
	uint32_t serial;		/* of the policy they belong to */
	unsigned int tick;
};

int mwd_autoblock_open(struct mwd_autoblock **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void mwd_autoblock_close(struct mwd_autoblock *a)
{
	if (a)
		free(a->w);
	free(a);
}

static struct sys_window *window_of(struct mwd_autoblock *a, uint32_t id)
{
	struct sys_window *w;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->w[i].id == id)
			return &a->w[i];
	w = realloc(a->w, (a->n + 1) * sizeof(*w));
	if (!w)
		return NULL;
	a->w = w;
	memset(&w[a->n], 0, sizeof(w[0]));
	w[a->n].id = id;
	return &w[a->n++];
}

/* The drops of system s's devices, as XDP counted them (all CPUs). */
static uint64_t system_drops(struct mw_xdp *x, const struct mw_image_view *v,
			     uint32_t sys)
{
	struct mw_counter c;
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < v->n_devices; i++)
		if (v->devices[i].system == sys &&
		    !mw_xdp_dev_counter(x, v->devices[i].id, &c))
			sum += c.drop_packets;
	return sum;
}

static void trip(struct mw_ctl *c, const struct mw_image_view *v,
		 const struct mw_img_system *s, const char *why,
		 struct mwd_events *ev)
{
	char target[MW_NAME_MAX + 8], secs[24];
	struct mw_ctl_block_result r;
	const char *name = mw_image_str(v, s->name);
	const struct mw_img_iface *f = mw_image_iface(v, s->iface);
	const char *kv[] = {
		"system", name, "entity", mw_image_str(v, s->entity),
		"contact", mw_image_str(v, s->contact),
		"demarcation", f ? f->name : "", "reason", why,
		"block_for", secs, NULL
	};
	struct mw_ctl_block_req req = {
		.secs = s->ab_block_for,
		.reason = why,
		.cause = MW_BLOCK_THRESHOLD,
		.by = "meterwalld",
	};

	snprintf(target, sizeof(target), "system:%s", name);
	snprintf(secs, sizeof(secs), "%u", s->ab_block_for);
	if (mw_ctl_block(c, target, &req, &r))
		return;
	fprintf(stderr, "meterwalld: system %s blocked%s: %s\n", name,
		s->ab_block_for ? " for a while" : " until reconnected", why);
	mwd_event(ev, 4, "auto-block", kv, "system %s blocked%s: %s", name,
		  s->ab_block_for ? " for block_for seconds" :
		  " until reconnected", why);
}

struct expire_ctx {
	const struct mw_image_view *v;	/* NULL: no policy read */
	struct mwd_events *ev;
};

static int expired(const struct mw_ctl_block_info *b, void *arg)
{
	const struct expire_ctx *x = arg;
	const struct mw_image_view *v = x->v;
	const struct mw_img_device *d = NULL;
	const struct mw_img_system *s = NULL;
	const struct mw_img_iface *f;
	char until[24];

	if (v && b->kind == MW_TARGET_SYSTEM)
		s = mw_image_system_by_name(v, b->name);
	else if (v && (d = mw_image_device_by_name(v, b->name)))
		s = mw_image_system(v, d->system);
	f = s ? mw_image_iface(v, s->iface) : NULL;
	snprintf(until, sizeof(until), "%llu",
		 (unsigned long long)b->until_unix_ns);
	mwd_event(x->ev, 5, "block-expired", (const char *const[]){
			  "kind", mw_ctl_kind_name(b->kind),
			  "target", b->name,
			  "system", s ? mw_image_str(v, s->name) : "",
			  "entity", s ? mw_image_str(v, s->entity) : "",
			  "contact", s ? mw_image_str(v, s->contact) : "",
			  "demarcation", f ? f->name : "",
			  "reason", b->reason, "until_ns", until, NULL },
		  "%s %s: its timed block ended; reconnected",
		  mw_ctl_kind_name(b->kind), b->name);
	return 0;
}

void mwd_autoblock_expire(struct mw_ctl *c, const struct mwd_flowlog *l,
			  struct mwd_events *ev)
{
	struct expire_ctx x = { mwd_flowlog_view(l), ev };

	mw_ctl_blocks_expire(c, expired, &x);
}

void mwd_autoblock_tick(struct mwd_autoblock *a, struct mw_ctl *c,
			struct mw_xdp *x, const struct mwd_flowlog *l,
			struct mwd_events *ev)
{
	const struct mw_image_view *v = mwd_flowlog_view(l);
	const struct mw_img_system *s;
	struct sys_window *w;
	struct mw_block b;
	uint64_t now, then;	/* drop counts */
	uint32_t flows;
	unsigned int slot;
	char why[160];
	size_t i;

	if (!v)
		return;
	if (v->hdr->serial != a->serial) {	/* another policy: anew */
		a->n = 0;
		a->serial = (uint32_t)v->hdr->serial;
	}
	slot = a->tick++ % WINDOW;
	for (i = 0; i < v->n_systems; i++) {
		s = &v->systems[i];
		if ((!s->ab_drops_pm && !s->ab_flows_ps) ||
		    !(w = window_of(a, s->id)))
			continue;
		if (!mw_xdp_get_block(x, MW_TARGET_SYSTEM, s->id, &b) &&
		    b.active && (!b.until ||
				 b.until > (uint64_t)mw_now_boot_ns())) {
			w->n = 0;	/* blocked: its drops do not count */
			continue;
		}
		flows = mwd_flowlog_new_flows(l, s->id);
		if (s->ab_flows_ps && flows >= s->ab_flows_ps) {
			snprintf(why, sizeof(why),
				 "auto-block: %u new flows in a second (threshold %u)",
				 flows, s->ab_flows_ps);
			trip(c, v, s, why, ev);
			w->n = 0;
			continue;
		}
		if (!s->ab_drops_pm)
			continue;
		now = system_drops(x, v, s->id);
		w->drops[slot] = now;
		if (w->n < WINDOW)
			w->n++;
		/* the oldest sample in the window (up to 60 s ago) */
		then = w->drops[(slot + WINDOW + 1 - w->n) % WINDOW];
		if (now - then < s->ab_drops_pm)
			continue;
		snprintf(why, sizeof(why),
			 "auto-block: %llu drops in the last minute (threshold %u)",
			 (unsigned long long)(now - then), s->ab_drops_pm);
		trip(c, v, s, why, ev);
		w->n = 0;		/* a new window after the block */
	}
}
