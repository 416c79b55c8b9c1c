// SPDX-License-Identifier: GPL-2.0
/*
 * An evidence bundle's policy entry and counters (evidence.h): the system
 * as the compiled image in force has it, and XDP's counters of its
 * devices and conduits when the maps are pinned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "evidence_int.h"
#include "json.h"
#include "policy.h"
#include "timefmt.h"
#include "xdp.h"

static void put_unix(const char *key, int64_t secs)
{
	jp_time(key, (uint64_t)secs * 1000000000ULL, 0, 0);
}

static void put_system(const struct ev_ctx *x)
{
	const struct mw_image_view *v = x->v;
	const struct mw_img_system *s = x->s;

	jp_open_obj("system");
	jp_str("name", mw_image_str(v, s->name));
	jp_str("entity", mw_image_str(v, s->entity));
	jp_str("contact", mw_image_str(v, s->contact));
	jp_str("agreement", mw_image_str(v, s->agreement));
	jp_str("demarcation", x->demarcation);
	if (s->flags & MW_SYS_F_VALID_FROM)
		put_unix("valid_from", s->valid_from);
	if (s->flags & MW_SYS_F_EXPIRES)
		put_unix("expires", s->expires);
	jp_u64("limit_pps", s->limit_pps);
	jp_u64("limit_bps", s->limit_bps);
	jp_open_obj("auto_block");
	jp_u64("drops_per_min", s->ab_drops_pm);
	jp_u64("new_flows_per_sec", s->ab_flows_ps);
	jp_u64("destinations_per_min", s->ab_scan_pm);
	jp_u64("over_limits_secs", s->ab_over_limits);
	jp_u64("block_for_secs", s->ab_block_for);
	jp_str("blocks", s->flags & MW_SYS_F_AB_DEVICE ? "device" : "system");
	jp_close_obj();
	jp_close_obj();
}

static void put_device(const struct mw_image_view *v,
		       const struct mw_img_device *d)
{
	struct mw_prefix p;
	char buf[64];
	size_t i;

	jp_open_obj(NULL);
	jp_str("name", mw_image_str(v, d->name));
	if (d->flags & MW_DEV_F_MAC) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
			 d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4],
			 d->mac[5]);
		jp_str("mac", buf);
	}
	jp_open_arr("addresses");
	for (i = 0; i < v->n_dev_prefixes; i++) {
		const struct mw_img_prefix *ip = &v->dev_prefixes[i];

		if (ip->value != d->id)
			continue;
		memset(&p, 0, sizeof(p));
		p.family = ip->family;
		p.plen = ip->plen;
		memcpy(p.addr, ip->addr, sizeof(p.addr));
		mw_prefix_format(&p, buf, sizeof(buf));
		jp_str(NULL, buf);
	}
	jp_close_arr();
	jp_close_obj();
}

static const char *zone_name(const struct mw_image_view *v, uint32_t bit)
{
	size_t i;

	for (i = 0; i < v->n_zones; i++)
		if (v->zones[i].id == bit)
			return mw_image_str(v, v->zones[i].name);
	return "?";
}

/* The conduit's rules (zones, ports) once each, from every conduit set. */
static void put_rules(const struct mw_image_view *v, uint32_t conduit)
{
	const struct mw_rule *seen[MW_CSET_RULES];
	const struct mw_rule *r;
	unsigned int n = 0, k, b;
	char ports[16];
	size_t i, j;

	jp_open_arr("rules");
	for (i = 0; i < v->n_csets; i++) {
		for (j = 0; j < v->csets[i].n_rules && j < MW_CSET_RULES; j++) {
			r = &v->csets[i].rules[j];
			if (r->conduit != conduit)
				continue;
			for (k = 0; k < n; k++)
				if (seen[k]->zones == r->zones &&
				    seen[k]->port_lo == r->port_lo &&
				    seen[k]->port_hi == r->port_hi &&
				    seen[k]->proto == r->proto)
					break;
			if (k < n || n == MW_CSET_RULES)
				continue;
			seen[n++] = r;
			jp_open_obj(NULL);
			jp_open_arr("zones");
			if (r->zones == MW_ZONES_ANY)
				jp_str(NULL, "any");
			for (b = 0; r->zones != MW_ZONES_ANY && b < 64; b++)
				if (r->zones >> b & 1)
					jp_str(NULL, zone_name(v, b));
			jp_close_arr();
			if (r->flags & MW_RULE_F_PORTS)
				snprintf(ports, sizeof(ports), "%u-%u",
					 r->port_lo, r->port_hi);
			jp_str("ports", r->flags & MW_RULE_F_PORTS ? ports : "any");
			jp_close_obj();
		}
	}
	jp_close_arr();
}

static void put_conduit(const struct mw_image_view *v,
			const struct mw_img_conduit *c)
{
	const struct mw_img_device *d = c->device == MW_ID_NONE ? NULL :
					mw_image_device(v, c->device);
	char pb[MW_PROTO_LEN];

	jp_open_obj(NULL);
	jp_str("name", mw_image_str(v, c->name));
	jp_str("direction", c->direction == MW_DIR_OUTBOUND ? "outbound" :
		"inbound");
	jp_str("proto", c->proto == MW_ANY_PROTO ? "any" :
		mw_proto_name(c->proto, pb));
	jp_str("device", d ? mw_image_str(v, d->name) : "");
	jp_bool("time_window", c->window != 0);
	put_rules(v, c->id);
	jp_close_obj();
}

int ev_collect_policy(struct ev_ctx *x)
{
	struct ev_member *m = &x->m[EV_POLICY];
	const struct mw_image_view *v = x->v;
	char hex[65];
	size_t i;
	FILE *f = ev_open(m);

	if (!f)
		return -errno;
	if (v)
		snprintf(m->sources[0], sizeof(m->sources[0]), "%s/policy.img",
			 mw_ctl_state_dir(x->c));
	jp_init(f, true);
	jp_open_obj(NULL);
	jp_bool("in_force", x->s != NULL);
	if (v) {
		jp_open_obj("policy");
		jp_u64("serial", v->hdr->serial);
		ev_hex(v->hdr->digest, 32, hex);
		jp_str("digest", hex);
		put_unix("created", v->hdr->created);
		jp_i64("tz_offset", v->hdr->tz_offset);
		jp_close_obj();
	}
	if (x->s) {
		put_system(x);
		jp_open_arr("devices");
		for (i = 0; i < v->n_devices; i++)
			if (v->devices[i].system == x->s->id)
				put_device(v, &v->devices[i]);
		jp_close_arr();
		jp_open_arr("conduits");
		for (i = 0; i < v->n_conduits; i++)
			if (v->conduits[i].system == x->s->id)
				put_conduit(v, &v->conduits[i]);
		jp_close_arr();
	} else {
		snprintf(m->note, sizeof(m->note),
			 v ? "the policy in force has no system `%s'" :
			 "no policy in force", x->o->system);
		jp_str("note", m->note);
	}
	jp_close_obj();
	jp_finish();
	jp_init(stdout, false);
	return ev_close(m, f);
}

static void put_counter(const struct mw_counter *c)
{
	jp_u64("pass_packets", c->pass_packets);
	jp_u64("pass_bytes", c->pass_bytes);
	jp_u64("drop_packets", c->drop_packets);
	jp_u64("drop_bytes", c->drop_bytes);
}

static void put_counters(struct ev_ctx *x, struct mw_xdp *xdp)
{
	const struct mw_image_view *v = x->v;
	struct mw_counter c;
	size_t i;

	jp_open_arr("devices");
	for (i = 0; i < v->n_devices; i++) {
		if (v->devices[i].system != x->s->id)
			continue;
		memset(&c, 0, sizeof(c));
		mw_xdp_dev_counter(xdp, v->devices[i].id, &c);
		jp_open_obj(NULL);
		jp_str("device", mw_image_str(v, v->devices[i].name));
		put_counter(&c);
		jp_close_obj();
	}
	jp_close_arr();
	jp_open_arr("conduits");
	for (i = 0; i < v->n_conduits; i++) {
		if (v->conduits[i].system != x->s->id)
			continue;
		memset(&c, 0, sizeof(c));
		mw_xdp_conduit_counter(xdp, v->conduits[i].id, &c);
		jp_open_obj(NULL);
		jp_str("conduit", mw_image_str(v, v->conduits[i].name));
		put_counter(&c);
		jp_close_obj();
	}
	jp_close_arr();
}

/* Only maps that are there: never created by the bundle. */
int ev_collect_counters(struct ev_ctx *x)
{
	struct ev_member *m = &x->m[EV_COUNTERS];
	struct mw_xdp *xdp = NULL;
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dev_counters", mw_ctl_pin_dir(x->c));
	if (!x->s)
		snprintf(m->note, sizeof(m->note),
			 "the system is not in the policy in force");
	else if (access(path, F_OK))
		snprintf(m->note, sizeof(m->note),
			 "no XDP maps pinned in %s", mw_ctl_pin_dir(x->c));
	else if (mw_ctl_xdp(x->c, MW_XDP_F_NO_PROG, 0, &xdp))
		snprintf(m->note, sizeof(m->note), "XDP's maps in %s: %s",
			 mw_ctl_pin_dir(x->c), mw_ctl_errmsg(x->c));
	f = ev_open(m);
	if (!f) {
		mw_xdp_close(xdp);
		return -errno;
	}
	jp_init(f, true);
	jp_open_obj(NULL);
	jp_bool("available", xdp != NULL);
	jp_str("source", xdp ? "xdp" : "");
	jp_time("read", (uint64_t)x->now_ns, 0, 3);
	if (xdp) {
		jp_str("scope", "totals since the maps were created, not limited to the window");
		put_counters(x, xdp);
		x->counters = true;
	} else {
		jp_str("note", m->note);
	}
	jp_close_obj();
	jp_finish();
	jp_init(stdout, false);
	if (xdp)
		mw_xdp_close(xdp);
	if (x->counters)
		snprintf(m->sources[0], sizeof(m->sources[0]), "%s",
			 mw_ctl_pin_dir(x->c));
	return ev_close(m, f);
}
