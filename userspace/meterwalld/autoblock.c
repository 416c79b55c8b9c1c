// SPDX-License-Identifier: GPL-2.0
/*
 * Automatic blocking (controls 2.1.3, 4): a system's auto_block entry
 * blocks the system, or with scope: device the device, for block_for
 * seconds (0: until reconnected) once one of its thresholds is crossed:
 *
 *   drops_per_min         packets XDP dropped within the last 60 seconds
 *                         (the device counters, sampled every second:
 *                         exact to the second)
 *   new_flows_per_sec     flows started between two polls a second apart
 *   scan_targets_per_min  distinct destinations (address, port) of the
 *                         flows started within the last 60 seconds
 *   over_limits_secs      seconds of the last 60 in which its traffic was
 *                         dropped for the system's limits
 *
 * Checked every second (the tick, after the flow table's poll) and, for
 * drops, at once when a drop event names a device (the kick: XDP's event
 * arrives within milliseconds, so a drop flood is blocked well inside a
 * second).  The block goes through the controller (both enforcement
 * points, the blocks file, the audit log) with cause MW_BLOCK_THRESHOLD
 * and a reason that states the count, the threshold and the top flows,
 * which the auto-block event carries too (with the target's counters).
 *
 * State is kept per target (a system, or a device of a device-scoped
 * system) while it is active -- its counters moved, it started flows --
 * and forgotten after a quiet minute, so a million devices cost memory
 * only for those that send.  While a target (or its system) is blocked
 * its state is emptied each second: the block's own drops never count
 * towards the next one.  Not yet: the kernel module's drops and flows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "meterwalld.h"

#define WINDOW		61	/* samples: 60 seconds apart at most */
#define KICK_MS		20	/* a target's drops read at most this often */
#define KICK_MAX_DEVS	4096	/* larger systems wait for the tick */
#define TOP		3	/* flows named in the evidence */

struct scan_ent {
	uint32_t hash;		/* of family, destination, port */
	uint32_t tick;		/* last seen */
};

struct target {
	uint64_t key;		/* kind << 32 | id; 0: a free slot */
	uint64_t drops[WINDOW];	/* cumulative drop counts, ring by tick */
	unsigned int n;		/* samples in the ring */
	uint32_t last_tick;	/* of its newest drop sample */
	uint32_t active_tick;	/* its drops moved, it started a flow... */
	uint64_t over;		/* bit i: limit drops i ticks before over_tick */
	uint32_t over_tick;
	uint32_t new_flows;	/* this poll */
	struct scan_ent *scan;
	size_t n_scan, cap_scan;
	int64_t kick_ms;	/* last kick read */
};

struct mwd_autoblock {
	struct mw_ctl *c;
	struct mwd_events *ev;
	struct target *t;	/* open addressing, power-of-two size */
	size_t cap, used;
	uint64_t serial;	/* of the policy they belong to */
	uint32_t tick;
	struct mw_counter *cnt;	/* this tick's device counters */
	uint32_t n_cnt;
	uint64_t *base;		/* per device: drops at the last tick */
	uint32_t *sys_devs;	/* device ids by system (CSR) */
	uint32_t *sys_first;	/* [MW_MAX_SYSTEMS + 1] */
	struct mwd_autoblock_stats st;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mwd_autoblock_open(struct mw_ctl *c, struct mwd_events *ev,
		       struct mwd_autoblock **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->c = c;
	(*out)->ev = ev;
	return 0;
}

static void forget_all(struct mwd_autoblock *a)
{
	size_t i;

	for (i = 0; i < a->cap; i++)
		free(a->t[i].scan);
	free(a->t);
	a->t = NULL;
	a->cap = a->used = 0;
}

void mwd_autoblock_close(struct mwd_autoblock *a)
{
	if (!a)
		return;
	forget_all(a);
	free(a->cnt);
	free(a->base);
	free(a->sys_devs);
	free(a->sys_first);
	free(a);
}

const struct mwd_autoblock_stats *
mwd_autoblock_stats(const struct mwd_autoblock *a)
{
	return &a->st;
}

static size_t slot_of(const struct mwd_autoblock *a, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17) & (a->cap - 1);
}

static struct target *find(struct mwd_autoblock *a, uint64_t key, bool make)
{
	struct target *old = a->t;
	size_t i, ocap = a->cap;

	for (i = a->cap ? slot_of(a, key) : 0; a->cap; i = (i + 1) & (a->cap - 1)) {
		if (a->t[i].key == key)
			return &a->t[i];
		if (!a->t[i].key)
			break;
	}
	if (!make)
		return NULL;
	if (2 * (a->used + 1) > a->cap) {	/* grow, re-insert */
		size_t cap = a->cap ? 2 * a->cap : 64;
		struct target *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		a->t = t;
		a->cap = cap;
		for (i = 0; i < ocap; i++) {
			size_t j;

			if (!old[i].key)
				continue;
			for (j = slot_of(a, old[i].key); a->t[j].key;
			     j = (j + 1) & (cap - 1))
				;
			a->t[j] = old[i];
		}
		free(old);
		return find(a, key, true);
	}
	memset(&a->t[i], 0, sizeof(a->t[i]));
	a->t[i].key = key;
	a->t[i].last_tick = a->tick;
	a->t[i].active_tick = a->tick;
	a->t[i].over_tick = a->tick;
	a->used++;
	return &a->t[i];
}

/* Devices quiet for a minute are forgotten (the table rebuilt). */
static void sweep(struct mwd_autoblock *a)
{
	struct target *old = a->t;
	size_t i, ocap = a->cap;

	a->t = NULL;
	a->cap = a->used = 0;
	for (i = 0; i < ocap; i++) {
		struct target *t;

		if (!old[i].key)
			continue;
		if ((old[i].key >> 32 == MW_TARGET_DEVICE &&
		     a->tick - old[i].active_tick > WINDOW) ||
		    !(t = find(a, old[i].key, true))) {
			free(old[i].scan);
			continue;
		}
		*t = old[i];
	}
	free(old);
}

/* The policy's devices by system, for sums and kicks; anew per policy. */
static void index_policy(struct mwd_autoblock *a, const struct mw_image_view *v)
{
	uint32_t *first = calloc(MW_MAX_SYSTEMS + 1, sizeof(*first));
	uint32_t *devs = calloc(v->n_devices + 1, sizeof(*devs));
	uint32_t *fill = calloc(MW_MAX_SYSTEMS + 1, sizeof(*fill));
	size_t i;

	forget_all(a);
	free(a->sys_first);
	free(a->sys_devs);
	free(a->base);
	free(a->cnt);
	a->base = NULL;
	a->cnt = NULL;
	a->n_cnt = 0;
	a->sys_first = first;
	a->sys_devs = devs;
	a->serial = v->hdr->serial;
	if (!first || !devs || !fill) {
		free(fill);
		return;
	}
	for (i = 0; i < v->n_devices; i++)
		if (v->devices[i].system < MW_MAX_SYSTEMS)
			first[v->devices[i].system + 1]++;
	for (i = 1; i <= MW_MAX_SYSTEMS; i++)
		first[i] += first[i - 1];
	memcpy(fill, first, MW_MAX_SYSTEMS * sizeof(*fill));
	for (i = 0; i < v->n_devices; i++)
		if (v->devices[i].system < MW_MAX_SYSTEMS)
			devs[fill[v->devices[i].system]++] = v->devices[i].id;
	free(fill);
}

static const struct mw_img_system *system_of_dev(const struct mw_image_view *v,
						 uint32_t dev)
{
	const struct mw_img_device *d = mw_image_device(v, dev);

	return d ? mw_image_system(v, d->system) : NULL;
}

static bool watched(const struct mw_img_system *s)
{
	return s && (s->ab_drops_pm || s->ab_flows_ps || s->ab_scan_pm ||
		     s->ab_over_limits);
}

/* The target a device's activity counts for (NULL: none, or no memory). */
static struct target *target_of(struct mwd_autoblock *a,
				const struct mw_image_view *v, uint32_t dev,
				const struct mw_img_system **sys)
{
	const struct mw_img_system *s = system_of_dev(v, dev);

	*sys = s;
	if (!watched(s))
		return NULL;
	if (s->flags & MW_SYS_F_AB_DEVICE)
		return find(a, (uint64_t)MW_TARGET_DEVICE << 32 | dev, true);
	return find(a, (uint64_t)MW_TARGET_SYSTEM << 32 | s->id, true);
}


/* The drops of a target now: the device's, or its system's devices'. */
static uint64_t drops_now(struct mwd_autoblock *a, struct mw_xdp *x,
			  uint64_t key, bool fresh)
{
	uint32_t id = (uint32_t)key, i, lo, hi;
	struct mw_counter c;
	uint64_t sum = 0;

	if (key >> 32 == MW_TARGET_DEVICE) {
		if (!fresh && id < a->n_cnt)
			return a->cnt[id].drop_packets;
		return mw_xdp_dev_counter(x, id, &c) ? 0 : c.drop_packets;
	}
	if (!a->sys_first || id >= MW_MAX_SYSTEMS)
		return 0;
	lo = a->sys_first[id];
	hi = a->sys_first[id + 1];
	for (i = lo; i < hi; i++) {
		uint32_t d = a->sys_devs[i];

		if (!fresh && d < a->n_cnt)
			sum += a->cnt[d].drop_packets;
		else if (!mw_xdp_dev_counter(x, d, &c))
			sum += c.drop_packets;
	}
	return sum;
}

static uint64_t oldest(const struct target *t)
{
	return t->drops[(t->last_tick + WINDOW + 1 - t->n) % WINDOW];
}

/* "udp 203.0.113.66:4000 > 192.0.2.10:9999 812 pkts drop NO_CONDUIT" */
static void top_flows(const struct mwd_flowlog *l, uint64_t key, char *buf,
		      size_t len)
{
	struct mwd_topflow top[TOP];
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pb[MW_PROTO_LEN];
	size_t n, i, o = 0;

	buf[0] = '\0';
	n = mwd_flowlog_top(l, key >> 32 == MW_TARGET_SYSTEM, (uint32_t)key,
			    top, TOP);
	for (i = 0; i < n && o < len; i++) {
		int af = top[i].k.family == AF_INET6 ? AF_INET6 : AF_INET;

		inet_ntop(af, top[i].k.src, s, sizeof(s));
		inet_ntop(af, top[i].k.dst, d, sizeof(d));
		o += snprintf(buf + o, len - o, "%s%s %s%s%s:%u > %s%s%s:%u %llu pkts %s %s",
			      i ? "; " : "", mw_proto_name(top[i].k.proto, pb),
			      af == AF_INET6 ? "[" : "", s, af == AF_INET6 ? "]" : "",
			      ntohs(top[i].k.sport),
			      af == AF_INET6 ? "[" : "", d, af == AF_INET6 ? "]" : "",
			      ntohs(top[i].k.dport),
			      (unsigned long long)top[i].f.packets,
			      mw_verdict_name(top[i].f.verdict),
			      mw_reason_name(top[i].f.reason));
	}
}

/* Block the target: both points, the blocks file, the audit log, and
 * the event with the evidence. */
static void trip(struct mwd_autoblock *a, struct mw_xdp *x,
		 const struct mwd_flowlog *l, const struct mw_image_view *v,
		 const struct mw_img_system *s, struct target *t,
		 const char *why)
{
	bool dev = t->key >> 32 == MW_TARGET_DEVICE;
	const struct mw_img_device *d = dev ? mw_image_device(v, (uint32_t)t->key) :
					NULL;
	const char *name = dev ? (d ? mw_image_str(v, d->name) : "") :
			   mw_image_str(v, s->name);
	const struct mw_img_iface *f = mw_image_iface(v, s->iface);
	char target[MW_NAME_MAX + 8], secs[24], reason[400], flows[300];
	char dp[24], pp[24];
	struct mw_ctl_block_result r;
	struct mw_counter c = { 0 };
	int64_t t0 = now_ms();
	const char *kv[] = {
		"target", target, "system", mw_image_str(v, s->name),
		"device", dev ? name : "",
		"entity", mw_image_str(v, s->entity),
		"contact", mw_image_str(v, s->contact),
		"demarcation", f ? f->name : "", "reason", why,
		"block_for", secs, "drop_packets", dp, "pass_packets", pp,
		"top_flows", flows, NULL
	};

	if (dev)
		mw_xdp_dev_counter(x, (uint32_t)t->key, &c);
	else
		c.drop_packets = drops_now(a, x, t->key, true);
	snprintf(dp, sizeof(dp), "%llu", (unsigned long long)c.drop_packets);
	snprintf(pp, sizeof(pp), "%llu", (unsigned long long)c.pass_packets);
	top_flows(l, t->key, flows, sizeof(flows));
	snprintf(target, sizeof(target), "%s:%s", dev ? "device" : "system",
		 name);
	snprintf(secs, sizeof(secs), "%u", s->ab_block_for);
	snprintf(reason, sizeof(reason), "%s%s%s", why,
		 flows[0] ? "; top: " : "", flows);
	t->n = 0;		/* a new window after the block */
	t->n_scan = 0;
	t->over = 0;
	if (mw_ctl_block(a->c, target, &(struct mw_ctl_block_req){
				 .secs = s->ab_block_for, .reason = reason,
				 .cause = MW_BLOCK_THRESHOLD,
				 .by = "meterwalld" }, &r))
		return;
	a->st.trips++;
	a->st.last_latency_us = (uint64_t)(now_ms() - t0) * 1000;
	fprintf(stderr, "meterwalld: %s blocked%s: %s\n", target,
		s->ab_block_for ? " for a while" : " until reconnected", why);
	mwd_event(a->ev, 4, "auto-block", kv, "%s blocked%s: %s", target,
		  s->ab_block_for ? " for block_for seconds" :
		  " until reconnected", why);
}

/* Blocked now (the target, or for a device its system)? */
static bool blocked(struct mw_xdp *x, uint64_t key, uint32_t sys)
{
	int64_t now = mw_now_boot_ns();
	struct mw_block b;

	if (!mw_xdp_get_block(x, (enum mw_target)(key >> 32), (uint32_t)key,
			      &b) && mw_block_in_force(&b, now))
		return true;
	return key >> 32 == MW_TARGET_DEVICE &&
	       !mw_xdp_get_block(x, MW_TARGET_SYSTEM, sys, &b) &&
	       mw_block_in_force(&b, now);
}

/* A drop sample for t this tick; true when drops_per_min is crossed. */
static bool sample(struct mwd_autoblock *a, struct target *t, uint64_t now,
		   uint32_t threshold, char *why, size_t len)
{
	unsigned int slot = a->tick % WINDOW;

	t->drops[slot] = now;
	if (t->n < WINDOW)
		t->n++;
	t->last_tick = a->tick;
	if (!threshold || now - oldest(t) < threshold)
		return false;
	snprintf(why, len, "auto-block: %llu drops in the last minute (threshold %u)",
		 (unsigned long long)(now - oldest(t)), threshold);
	return true;
}

/* Limit-drop seconds of the last minute, bit 0 being this tick. */
static unsigned int over_secs(struct target *t, uint32_t tick)
{
	uint32_t shift = tick - t->over_tick;

	t->over = shift >= 64 ? 0 : t->over << shift;
	t->over_tick = tick;
	return (unsigned int)__builtin_popcountll(t->over & ((1ULL << 60) - 1));
}

static uint32_t scan_hash(const struct mwd_newflow *f)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ f->dst[i]) * 16777619u;
	h = (h ^ f->family) * 16777619u;
	h = (h ^ f->proto) * 16777619u;
	return (h ^ f->dport) * 16777619u;
}

/* The destinations of the last minute only. */
static void scan_expire(struct target *t, uint32_t tick)
{
	size_t i, j = 0;

	for (i = 0; i < t->n_scan; i++)
		if (tick - t->scan[i].tick < 60)
			t->scan[j++] = t->scan[i];
	t->n_scan = j;
}

/* One more destination (the distinct ones kept: at most 65536). */
static void scan_add(struct target *t, uint32_t h, uint32_t tick)
{
	size_t i;

	for (i = 0; i < t->n_scan; i++)
		if (t->scan[i].hash == h) {
			t->scan[i].tick = tick;
			return;
		}
	if (t->n_scan == t->cap_scan) {
		size_t cap = t->cap_scan ? 2 * t->cap_scan : 16;
		struct scan_ent *s = cap <= 65536 ?
				     realloc(t->scan, cap * sizeof(*s)) : NULL;

		if (!s)
			return;
		t->scan = s;
		t->cap_scan = cap;
	}
	t->scan[t->n_scan++] = (struct scan_ent){ h, tick };
}

/* This tick's device counters: all of them at once when any system
 * counts drops (batched reads), and each device's drops at the tick
 * before in base, so a device whose drops moved gets a target whose
 * window starts from the right count. */
static void read_counters(struct mwd_autoblock *a, struct mw_xdp *x,
			  const struct mw_image_view *v, bool need)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; need && i < v->n_devices; i++)
		if (v->devices[i].id >= n)
			n = v->devices[i].id + 1;
	if (n != a->n_cnt) {
		free(a->cnt);
		a->cnt = n ? calloc(n, sizeof(*a->cnt)) : NULL;
		free(a->base);
		a->base = n ? calloc(n, sizeof(*a->base)) : NULL;
		a->n_cnt = a->cnt && a->base ? n : 0;
		if (!a->n_cnt)
			return;
		if (mw_xdp_dev_counters(x, a->cnt, a->n_cnt))
			a->n_cnt = 0;
		for (i = 0; i < a->n_cnt; i++)	/* the first baseline */
			a->base[i] = a->cnt[i].drop_packets;
		return;
	}
	if (n && mw_xdp_dev_counters(x, a->cnt, n))
		memset(a->cnt, 0, (size_t)n * sizeof(*a->cnt));
}

/* A window whose one sample, at the tick before, is drops. */
static void start_window(struct mwd_autoblock *a, struct target *t,
			 uint64_t drops)
{
	t->drops[(a->tick + WINDOW - 1) % WINDOW] = drops;
	t->last_tick = a->tick - 1;
	t->n = 1;
}

/* The system a target belongs to. */
static const struct mw_img_system *system_of(const struct mw_image_view *v,
					     uint64_t key)
{
	if (key >> 32 == MW_TARGET_DEVICE)
		return system_of_dev(v, (uint32_t)key);
	return mw_image_system(v, (uint32_t)key);
}

/* Devices of drop-counting device-scoped systems whose drops moved since
 * the tick before get a target, its window starting from the count they
 * held (quiet for a minute at least, or it would still have one). */
static void wake_devices(struct mwd_autoblock *a, const struct mw_image_view *v)
{
	const struct mw_img_system *s;
	struct target *t;
	size_t i;

	for (i = 0; i < v->n_devices && a->n_cnt; i++) {
		uint32_t id = v->devices[i].id;
		uint64_t now, was;

		if (id >= a->n_cnt)
			continue;
		now = a->cnt[id].drop_packets;
		was = a->base[id];
		a->base[id] = now;
		s = mw_image_system(v, v->devices[i].system);
		if (now == was || !s || !s->ab_drops_pm ||
		    !(s->flags & MW_SYS_F_AB_DEVICE))
			continue;
		t = find(a, (uint64_t)MW_TARGET_DEVICE << 32 | id, true);
		if (t && !t->n)
			start_window(a, t, was);
		if (t)
			t->active_tick = a->tick;
	}
}

/* drops_per_min: a sample for every target whose system counts drops
 * (system-scoped ones always exist), blocked ones emptied. */
static void tick_drops(struct mwd_autoblock *a, struct mw_xdp *x,
		       const struct mwd_flowlog *l, const struct mw_image_view *v)
{
	const struct mw_img_system *s;
	char why[160];
	size_t i;

	for (i = 0; i < v->n_systems; i++)
		if (v->systems[i].ab_drops_pm &&
		    !(v->systems[i].flags & MW_SYS_F_AB_DEVICE))
			find(a, (uint64_t)MW_TARGET_SYSTEM << 32 |
			     v->systems[i].id, true);
	wake_devices(a, v);
	for (i = 0; i < a->cap; i++) {
		struct target *t = &a->t[i];

		if (!t->key || !(s = system_of(v, t->key)) || !s->ab_drops_pm)
			continue;
		if (blocked(x, t->key, s->id)) {
			t->n = 0;
			t->last_tick = a->tick;
			continue;
		}
		if (sample(a, t, drops_now(a, x, t->key, false), s->ab_drops_pm,
			   why, sizeof(why)))
			trip(a, x, l, v, s, t, why);
	}
}

/* This poll's new flows and rate-limit drops, to their targets. */
static void gather_flows(struct mwd_autoblock *a, const struct mwd_flowlog *l,
			 const struct mw_image_view *v)
{
	const struct mwd_newflow *nf = NULL;
	const struct mw_img_system *s;
	const uint32_t *lim;
	struct target *t;
	size_t i, n;

	nf = mwd_flowlog_news(l, &n);
	for (i = 0; i < n; i++) {
		if (!(t = target_of(a, v, nf[i].device, &s)))
			continue;
		t->active_tick = a->tick;
		t->new_flows++;
		if (s->ab_scan_pm)
			scan_add(t, scan_hash(&nf[i]), a->tick);
	}
	lim = mwd_flowlog_limited(l, &n);
	for (i = 0; i < n; i++) {
		if (!(t = target_of(a, v, lim[i], &s)) || !s->ab_over_limits)
			continue;
		t->active_tick = a->tick;
		over_secs(t, a->tick);
		t->over |= 1;
	}
}

/* new_flows_per_sec, scan_targets_per_min, over_limits_secs. */
static void tick_flows(struct mwd_autoblock *a, struct mw_xdp *x,
		       const struct mwd_flowlog *l, const struct mw_image_view *v)
{
	const struct mw_img_system *s;
	unsigned int over;
	char why[160];
	size_t i;

	gather_flows(a, l, v);
	for (i = 0; i < a->cap; i++) {
		struct target *t = &a->t[i];

		if (!t->key || !(s = system_of(v, t->key)))
			continue;
		scan_expire(t, a->tick);
		over = over_secs(t, a->tick);
		why[0] = '\0';
		if (s->ab_flows_ps && t->new_flows >= s->ab_flows_ps)
			snprintf(why, sizeof(why), "auto-block: %u new flows in a second (threshold %u)",
				 t->new_flows, s->ab_flows_ps);
		else if (s->ab_scan_pm && t->n_scan >= s->ab_scan_pm)
			snprintf(why, sizeof(why), "auto-block: %zu distinct destinations in the last minute (threshold %u)",
				 t->n_scan, s->ab_scan_pm);
		else if (s->ab_over_limits && over >= s->ab_over_limits)
			snprintf(why, sizeof(why), "auto-block: over the system's limits in %u seconds of the last minute (threshold %u)",
				 over, s->ab_over_limits);
		t->new_flows = 0;
		if (!why[0])
			continue;
		if (blocked(x, t->key, s->id)) {
			t->n_scan = 0;	/* the block's own traffic */
			t->over = 0;
			continue;
		}
		trip(a, x, l, v, s, t, why);
	}
}

void mwd_autoblock_tick(struct mwd_autoblock *a, struct mw_xdp *x,
			const struct mwd_flowlog *l)
{
	const struct mw_image_view *v = mwd_flowlog_view(l);
	bool drops = false;
	size_t i;

	if (!v || !x)
		return;
	if (v->hdr->serial != a->serial || !a->sys_first)
		index_policy(a, v);	/* another policy: anew */
	a->tick++;
	for (i = 0; i < v->n_systems; i++)
		drops |= v->systems[i].ab_drops_pm != 0;
	read_counters(a, x, v, drops);
	if (drops)
		tick_drops(a, x, l, v);
	tick_flows(a, x, l, v);
	if (!(a->tick % 64))
		sweep(a);
}

void mwd_autoblock_kick(struct mwd_autoblock *a, struct mw_xdp *x,
			const struct mwd_flowlog *l, uint32_t device)
{
	const struct mw_image_view *v = mwd_flowlog_view(l);
	const struct mw_img_system *s = v ? system_of_dev(v, device) : NULL;
	bool dev = s && s->flags & MW_SYS_F_AB_DEVICE;
	uint64_t key, cur;
	struct target *t;
	char why[160];
	int64_t ms;

	if (!s || !x || !s->ab_drops_pm || v->hdr->serial != a->serial ||
	    !a->sys_first || (!dev && a->sys_first[s->id + 1] -
			      a->sys_first[s->id] > KICK_MAX_DEVS))
		return;		/* (a large system: at the tick) */
	key = dev ? (uint64_t)MW_TARGET_DEVICE << 32 | device :
	      (uint64_t)MW_TARGET_SYSTEM << 32 | s->id;
	t = find(a, key, dev && device < a->n_cnt);
	if (!t)
		return;
	if (!t->n && dev)
		start_window(a, t, a->base[device]);
	ms = now_ms();
	if (!t->n || ms - t->kick_ms < KICK_MS)
		return;
	t->kick_ms = ms;
	t->active_tick = a->tick;
	cur = drops_now(a, x, key, true);
	if (cur - oldest(t) < s->ab_drops_pm)
		return;
	if (blocked(x, key, s->id)) {
		t->n = 0;
		return;
	}
	snprintf(why, sizeof(why), "auto-block: %llu drops in the last minute (threshold %u)",
		 (unsigned long long)(cur - oldest(t)), s->ab_drops_pm);
	trip(a, x, l, v, s, t, why);
}

/* --- timed blocks that ended ------------------------------------------------ */

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

void mwd_autoblock_expire(struct mwd_autoblock *a,
			  const struct mwd_flowlog *l)
{
	struct expire_ctx x = { mwd_flowlog_view(l), a->ev };

	mw_ctl_blocks_expire(a->c, expired, &x);
}
