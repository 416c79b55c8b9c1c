// SPDX-License-Identifier: GPL-2.0
/*
 * The reference classifier: doc/datapath.md "Decide", step by step.  The
 * step numbers in the comments are the document's.
 */
#include <string.h>
#include <sys/socket.h>

#include <meterwall/prefix.h>
#include <meterwall/reasons.h>

#include "classify.h"

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58
#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_PSH		0x08
#define TCP_ACK		0x10
#define TCP_URG		0x20
#define NS_PER_SEC	1000000000LL

/* ---------------------------------------------------------------------- */
/* Longest-prefix lookups over the sorted prefix sections                 */

/* The image's prefix order (meterwall/prefix.h). */
static int pfx_cmp(uint8_t fam, const uint8_t *addr, uint8_t plen,
		   const struct mw_img_prefix *p)
{
	return mw_prefix_cmp(fam, addr, plen, p->family, p->addr, p->plen);
}

static const struct mw_img_prefix *pfx_find(const struct mw_img_prefix *v,
					    size_t n, uint8_t fam,
					    const uint8_t *addr, uint8_t plen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = pfx_cmp(fam, addr, plen, &v[mid]);

		if (!r)
			return &v[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Longest prefix containing addr: try every length, longest first. */
static const struct mw_img_prefix *lpm(const struct mw_img_prefix *v,
				       size_t n, uint8_t fam,
				       const uint8_t *addr)
{
	unsigned int max = fam == AF_INET ? 32 : 128, l, i;
	uint8_t key[16] = { 0 };

	if (!n || (fam != AF_INET && fam != AF_INET6))
		return NULL;
	memcpy(key, addr, fam == AF_INET ? 4 : 16);
	for (l = max + 1; l-- > 0;) {
		const struct mw_img_prefix *p;

		i = l / 8;
		if (i < 16) {
			if (l % 8)
				key[i] &= (uint8_t)(0xff << (8 - l % 8));
			else
				key[i] = 0;
		}
		p = pfx_find(v, n, fam, key, (uint8_t)l);
		if (p)
			return p;
	}
	return NULL;
}

uint32_t mw_lookup_device(const struct mw_image_view *v, uint8_t family,
			  const uint8_t *addr)
{
	const struct mw_img_prefix *p;

	if (!v)
		return MW_ID_NONE;
	p = lpm(v->dev_prefixes, v->n_dev_prefixes, family, addr);
	return p ? (uint32_t)p->value : MW_ID_NONE;
}

uint64_t mw_lookup_zones(const struct mw_image_view *v, uint8_t family,
			 const uint8_t *addr)
{
	const struct mw_img_prefix *p;

	if (!v)
		return 0;
	p = lpm(v->zone_prefixes, v->n_zone_prefixes, family, addr);
	return p ? p->value : 0;
}

/* ---------------------------------------------------------------------- */
/* Names                                                                  */

const char *mw_reason_name(enum mw_reason r)
{
	const struct mw_reason_info *ri = mw_reason_info(r);

	return ri ? ri->name : "UNKNOWN";
}

const char *mw_verdict_name(enum mw_verdict v)
{
	switch (v) {
	case MW_VERDICT_PASS:
		return "PASS";
	case MW_VERDICT_DROP:
		return "DROP";
	default:
		return "UNSPEC";
	}
}

/* ---------------------------------------------------------------------- */
/* Decision                                                               */

static void verdict(struct mw_result *res, enum mw_verdict v,
		    enum mw_reason r)
{
	res->verdict = v;
	res->reason = r;
}

static void drop(struct mw_result *res, enum mw_reason r)
{
	verdict(res, MW_VERDICT_DROP, r);
}

static void pass(struct mw_result *res, enum mw_reason r)
{
	verdict(res, MW_VERDICT_PASS, r);
}

/* Wall-clock seconds for windows and valid_from. */
static int64_t wall_sec(const struct mw_runtime *rt)
{
	return (rt->boot_ns + rt->boot_to_unix_ns) / NS_PER_SEC;
}

/* ... and for expiries: the largest offset, so a step back revives none. */
static int64_t expiry_sec(const struct mw_runtime *rt)
{
	return (rt->boot_ns + rt->boot_to_unix_max_ns) / NS_PER_SEC;
}

static bool block_active(const struct mw_block *b, size_t n, uint32_t id,
			 int64_t boot_ns)
{
	if (!b || id >= n || !b[id].active)
		return false;
	return !b[id].until || (uint64_t)boot_ns < b[id].until;
}

/*
 * Step 10 for dev (the MAC binding against mac, inbound, when mac is not
 * NULL).  Returns MW_R_UNSPEC when the device passes.
 */
static enum mw_reason dev_checks(const struct mw_image_view *v,
				 const struct mw_runtime *rt,
				 uint32_t iface_id, enum mw_direction dir,
				 const uint8_t *mac,
				 const struct mw_img_device *dev)
{
	const struct mw_img_system *sys = mw_image_system(v, dev->system);

	if (!sys || sys->iface != iface_id)
		return MW_R_WRONG_IFACE;
	if (dir == MW_DIR_INBOUND && mac && (dev->flags & MW_DEV_F_MAC) &&
	    memcmp(dev->mac, mac, 6))
		return MW_R_SPOOFED;
	if (block_active(rt->dev_blocks, rt->n_dev_blocks, dev->id,
			 rt->boot_ns) ||
	    block_active(rt->sys_blocks, rt->n_sys_blocks, sys->id,
			 rt->boot_ns))
		return MW_R_BLOCKED;
	if (((sys->flags & MW_SYS_F_VALID_FROM) &&
	     wall_sec(rt) < sys->valid_from) ||
	    ((sys->flags & MW_SYS_F_EXPIRES) &&
	     expiry_sec(rt) >= sys->expires))
		return MW_R_AGREEMENT;
	return MW_R_UNSPEC;
}

/* Step 10 for the packet's device: recorded in res, then checked. */
static enum mw_reason device_checks(const struct mw_image_view *v,
				    const struct mw_runtime *rt,
				    uint32_t iface_id,
				    const struct mw_pkt *pkt,
				    const struct mw_img_device *dev,
				    struct mw_result *res)
{
	res->device = dev->id;
	res->system = dev->system;
	return dev_checks(v, rt, iface_id, res->dir, pkt->src_mac, dev);
}

/* Device by address, then its checks: pass / drop with reason. */
static enum mw_reason device_by_addr(const struct mw_image_view *v,
				     const struct mw_runtime *rt,
				     uint32_t iface_id,
				     const struct mw_pkt *pkt, uint8_t fam,
				     const uint8_t *addr,
				     enum mw_reason unknown,
				     struct mw_result *res)
{
	const struct mw_img_device *dev;
	uint32_t id = mw_lookup_device(v, fam, addr);

	dev = id == MW_ID_NONE ? NULL : mw_image_device(v, id);
	if (!dev)
		return unknown;
	return device_checks(v, rt, iface_id, pkt, dev, res);
}

static bool vlan_ok(const struct mw_img_iface *f, const struct mw_pkt *pkt)
{
	uint16_t vid;

	if (pkt->n_vlans == 0)
		return f->flags & MW_IFACE_F_UNTAGGED;
	if (pkt->n_vlans > 1 || pkt->tag_8021ad)
		return false;
	vid = pkt->vlan[0] & 0x0fff;
	return f->vlans[vid / 8] & (1u << (vid % 8));
}

/* Step 4: Ethernet or a tag truncated (see pkt.c for the encoding). */
static bool l2_error(const struct mw_pkt *pkt)
{
	return pkt->parse_error == MW_R_MALFORMED && pkt->l2 != MW_L2_ARP &&
	       pkt->ethertype != 0x0800 && pkt->ethertype != 0x86dd;
}

static void decide_arp(const struct mw_image_view *v,
		       const struct mw_runtime *rt, uint32_t iface_id,
		       const struct mw_img_iface *f, const struct mw_pkt *pkt,
		       struct mw_result *res)
{
	enum mw_reason r;

	if (f->arp == MW_L2_NONE)
		return drop(res, MW_R_L2_DENIED);
	if (f->arp == MW_L2_ALL)
		return pass(res, MW_R_L2_CONTROL);
	if (pkt->parse_error)
		return drop(res, MW_R_MALFORMED);
	r = device_by_addr(v, rt, iface_id, pkt, AF_INET, pkt->src,
			   MW_R_L2_DENIED, res);
	if (r)
		return drop(res, r);
	/* the kernel learns the sender hardware address, not the frame's */
	if (memcmp(pkt->arp_sha, pkt->src_mac, 6))
		return drop(res, MW_R_SPOOFED);
	pass(res, MW_R_L2_CONTROL);
}

static bool nd_local_source(const uint8_t *src)
{
	static const uint8_t zero[16];

	return (src[0] == 0xfe && (src[1] & 0xc0) == 0x80) ||
	       !memcmp(src, zero, 16);
}

static void decide_nd(const struct mw_image_view *v,
		      const struct mw_runtime *rt, uint32_t iface_id,
		      const struct mw_img_iface *f, const struct mw_pkt *pkt,
		      struct mw_result *res)
{
	enum mw_reason r;

	if (f->nd == MW_L2_NONE)
		return drop(res, MW_R_L2_DENIED);
	/* outbound ND is the gateway's own: it keeps its neighbours */
	if (res->dir == MW_DIR_OUTBOUND || f->nd == MW_L2_ALL)
		return pass(res, MW_R_L2_CONTROL);
	/* inbound: NS and NA only (step 7 dropped router discovery) */
	if (pkt->nd_has_lladdr && memcmp(pkt->nd_lladdr, pkt->src_mac, 6))
		return drop(res, MW_R_SPOOFED);
	if (pkt->icmp_type == MW_ICMPV6_NEIGH_ADV) {
		uint32_t t = mw_lookup_device(v, AF_INET6, pkt->nd_target);
		const struct mw_img_device *dev;

		dev = t == MW_ID_NONE ? NULL : mw_image_device(v, t);
		if (dev) {
			/* a device's address is advertised by that device */
			if (mw_lookup_device(v, AF_INET6, pkt->src) != t)
				return drop(res, MW_R_L2_DENIED);
			r = device_checks(v, rt, iface_id, pkt, dev, res);
			if (r)
				return drop(res, r);
			return pass(res, MW_R_L2_CONTROL);
		}
	}
	if (nd_local_source(pkt->src))
		return pass(res, MW_R_L2_CONTROL);
	r = device_by_addr(v, rt, iface_id, pkt, AF_INET6, pkt->src,
			   MW_R_L2_DENIED, res);
	if (r)
		return drop(res, r);
	pass(res, MW_R_L2_CONTROL);
}

bool mw_window_open(const struct mw_image_view *v, uint16_t w, int64_t now_s)
{
	const struct mw_img_window *win;
	int64_t m;
	uint32_t i;

	if (!w)
		return true;
	win = mw_image_window(v, (uint32_t)w - 1);
	if (!win)
		return false;
	m = ((now_s / 60) % MW_MINUTES_PER_WEEK + MW_MINUTES_PER_WEEK) %
	    MW_MINUTES_PER_WEEK;
	for (i = 0; i < win->n && i < MW_WINDOW_RANGES; i++) {
		const struct mw_window_range *r = &win->r[i];

		if (r->start < r->end ? (m >= r->start && m < r->end) :
					(m >= r->start || m < r->end))
			return true;
	}
	return false;
}

static bool ports_ok(const struct mw_rule *r, const struct mw_pkt *pkt,
		     uint16_t port)
{
	if (!(r->flags & MW_RULE_F_PORTS))
		return true;
	return !pkt->fragment && pkt->has_ports && port >= r->port_lo &&
	       port <= r->port_hi;
}

/* A reply's TCP flags: ACK without SYN (not FIN and RST), or SYN+ACK. */
static bool reply_tcp_flags(uint8_t f)
{
	if (!(f & TCP_ACK))
		return false;
	if (f & TCP_SYN)
		return (f & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK |
			     TCP_URG)) == (TCP_SYN | TCP_ACK);
	return (f & (TCP_FIN | TCP_RST)) != (TCP_FIN | TCP_RST);
}

static bool reply_ok(const struct mw_image_view *v, const struct mw_rule *r,
		     const struct mw_pkt *pkt)
{
	if (pkt->fragment)
		return false;
	if (pkt->proto == PROTO_ICMP)
		return pkt->icmp_type == 0;
	if (pkt->proto == PROTO_ICMPV6)
		return pkt->icmp_type == 129;
	if ((pkt->proto != PROTO_TCP && pkt->proto != PROTO_UDP) ||
	    !pkt->has_ports || !ports_ok(r, pkt, pkt->sport) ||
	    pkt->dport < v->hdr->reply_lo || pkt->dport > v->hdr->reply_hi)
		return false;
	return pkt->proto != PROTO_TCP || reply_tcp_flags(pkt->tcp_flags);
}

/*
 * Step 12: the matching rule's verdict, or UNSPEC.  quoted: pkt is the
 * packet an ICMP error quotes, turned around: the rule's ports only
 * (a quote has no flags, and its reply port is the sender's choice).
 */
static enum mw_reason match_rule(const struct mw_image_view *v,
				 const struct mw_rule *r,
				 const struct mw_pkt *pkt,
				 enum mw_direction dir, uint64_t zones,
				 bool quoted)
{
	enum mw_direction rdir = (r->flags & MW_RULE_F_OUTBOUND) ?
				 MW_DIR_OUTBOUND : MW_DIR_INBOUND;

	if (r->zones != MW_ZONES_ANY && !(r->zones & zones))
		return MW_R_UNSPEC;
	if (r->proto != MW_ANY_PROTO && r->proto != pkt->proto)
		return MW_R_UNSPEC;
	if (rdir == dir)
		return ports_ok(r, pkt, pkt->dport) ? MW_R_ALLOWED :
						      MW_R_UNSPEC;
	if (quoted)
		return ports_ok(r, pkt, pkt->sport) ? MW_R_REPLY : MW_R_UNSPEC;
	return reply_ok(v, r, pkt) ? MW_R_REPLY : MW_R_UNSPEC;
}

/*
 * Rules of dev's conduit set in order (steps 11-12): the first match's
 * reason with its rule index in *rule, else MW_R_UNSPEC.
 */
static enum mw_reason match_set(const struct mw_image_view *v,
				const struct mw_runtime *rt,
				const struct mw_img_device *dev,
				const struct mw_pkt *pkt, enum mw_direction dir,
				bool quoted, int *rule, uint32_t *conduit)
{
	const struct mw_img_cset *set = dev ? mw_image_cset(v, dev->cset) :
					NULL;
	const uint8_t *addr = dir == MW_DIR_INBOUND ? pkt->dst : pkt->src;
	uint64_t zones = mw_lookup_zones(v, pkt->family, addr);
	int64_t now = wall_sec(rt);
	uint32_t i;

	for (i = 0; set && i < set->n_rules && i < MW_CSET_RULES; i++) {
		const struct mw_rule *r = &set->rules[i];
		enum mw_reason why;

		if (!mw_window_open(v, r->window, now))
			continue;
		why = match_rule(v, r, pkt, dir, zones, quoted);
		if (why) {
			*rule = (int)i;
			*conduit = r->conduit;
			return why;
		}
	}
	return MW_R_UNSPEC;
}

/*
 * Step 13: an ICMP error passes as RELATED when the packet it quotes,
 * turned around, would pass in the error's direction by the rules of its
 * external device, and that device belongs to the error's system and
 * passes its checks (all but the MAC binding: the error's sender is not
 * that device, necessarily).
 */
static bool related(const struct mw_image_view *v, const struct mw_runtime *rt,
		    uint32_t iface_id, const struct mw_pkt *pkt,
		    struct mw_result *res)
{
	const struct mw_quote *q = &pkt->quote;
	const struct mw_img_device *dev;
	struct mw_pkt t = { .family = pkt->family, .proto = q->proto,
			    .has_ports = true, .sport = q->dport,
			    .dport = q->sport };
	uint32_t id;
	int rule;

	if (!q->ok || pkt->fragment)
		return false;
	memcpy(t.src, q->dst, 16);
	memcpy(t.dst, q->src, 16);
	id = mw_lookup_device(v, t.family,
			      res->dir == MW_DIR_INBOUND ? t.src : t.dst);
	dev = id == MW_ID_NONE ? NULL : mw_image_device(v, id);
	if (!dev || dev->system != res->system ||
	    dev_checks(v, rt, iface_id, res->dir, NULL, dev) ||
	    !match_set(v, rt, dev, &t, res->dir, true, &rule, &res->conduit))
		return false;
	res->rule = rule;
	return true;
}

/*
 * Step 14: a packet that would pass is charged to its system's limits
 * (the GCRA of the uapi header, "Rate limits"); false when over them.
 */
static bool rate_admit(const struct mw_image_view *v,
		       const struct mw_runtime *rt, const struct mw_pkt *pkt,
		       uint32_t system)
{
	const struct mw_img_system *sys = mw_image_system(v, system);
	uint64_t now = (uint64_t)rt->boot_ns, cp, cb, tp, tb;
	struct mw_rate *s;

	if (!sys || (!sys->limit_pps && !sys->limit_bps) || !rt->sys_rate ||
	    system >= rt->n_sys_rate)
		return true;
	s = &rt->sys_rate[system];
	cp = sys->limit_pps ? NS_PER_SEC / sys->limit_pps : 0;
	cb = sys->limit_bps ?
	     (uint64_t)pkt->ip_len * 8 * NS_PER_SEC / sys->limit_bps : 0;
	tp = s->tat_pkt > now ? s->tat_pkt : now;
	tb = s->tat_bit > now ? s->tat_bit : now;
	if (tp + cp > now + MW_RATE_BURST_NS ||
	    tb + cb > now + MW_RATE_BURST_NS)
		return false;
	s->tat_pkt = tp + cp;
	s->tat_bit = tb + cb;
	return true;
}

static void pass_limited(const struct mw_image_view *v,
			 const struct mw_runtime *rt, const struct mw_pkt *pkt,
			 struct mw_result *res, enum mw_reason why)
{
	if (!rate_admit(v, rt, pkt, res->system)) {
		res->conduit = MW_ID_NONE;	/* a drop has no conduit */
		res->rule = -1;
		return drop(res, MW_R_RATE_LIMIT);
	}
	pass(res, why);
}

static void decide_rules(const struct mw_image_view *v,
			 const struct mw_runtime *rt, uint32_t iface_id,
			 const struct mw_pkt *pkt, struct mw_result *res)
{
	const struct mw_img_device *dev = mw_image_device(v, res->device);
	enum mw_reason why;

	why = match_set(v, rt, dev, pkt, res->dir, false, &res->rule,
			&res->conduit);
	if (why)
		return pass_limited(v, rt, pkt, res, why);
	if (related(v, rt, iface_id, pkt, res))
		return pass_limited(v, rt, pkt, res, MW_R_RELATED);
	drop(res, pkt->fragment ? MW_R_FRAGMENT : MW_R_NO_CONDUIT);
}

/* Step 2: the policy's own expires, on the expiry clock. */
static bool policy_expired(const struct mw_image_view *v,
			   const struct mw_runtime *rt)
{
	int64_t exp = v->hdr->expires;

	return exp && expiry_sec(rt) >= exp;
}

static void decide_ip(const struct mw_image_view *v,
		      const struct mw_runtime *rt, uint32_t iface_id,
		      const struct mw_pkt *pkt, struct mw_result *res)
{
	bool in = res->dir == MW_DIR_INBOUND;
	enum mw_reason r;

	r = device_by_addr(v, rt, iface_id, pkt, pkt->family,
			   in ? pkt->src : pkt->dst,
			   in ? MW_R_UNKNOWN_SOURCE : MW_R_UNKNOWN_DEST, res);
	if (r)
		return drop(res, r);
	decide_rules(v, rt, iface_id, pkt, res);
}

/* Step 7: redirects and router discovery never come in. */
static bool icmp_control(const struct mw_pkt *pkt)
{
	uint8_t t = pkt->icmp_type;

	if (pkt->fragment)
		return false;
	if (pkt->family == AF_INET && pkt->proto == PROTO_ICMP)
		return t == MW_ICMP_REDIRECT || t == MW_ICMP_ROUTERADVERT ||
		       t == MW_ICMP_ROUTERSOLICIT;
	if (pkt->family == AF_INET6 && pkt->proto == PROTO_ICMPV6)
		return t == MW_ICMPV6_ROUTER_SOL || t == MW_ICMPV6_ROUTER_ADV ||
		       t == MW_ICMPV6_REDIRECT || t == MW_ICMPV6_ROUTER_RENUM;
	return false;
}

static void decide(const struct mw_image_view *v, const struct mw_runtime *rt,
		   uint32_t iface_id, const struct mw_pkt *pkt,
		   struct mw_result *res)
{
	const struct mw_img_iface *f;

	if (!v)
		return drop(res, MW_R_NO_POLICY);
	f = mw_image_iface(v, iface_id);
	if (!f)
		return drop(res, MW_R_NOT_MANAGED);
	if (rt->island)
		return drop(res, MW_R_ISLAND);
	if (policy_expired(v, rt))
		return drop(res, MW_R_POLICY_EXPIRED);
	if (l2_error(pkt))
		return drop(res, MW_R_MALFORMED);
	if (!vlan_ok(f, pkt))
		return drop(res, MW_R_VLAN);
	if (pkt->l2 == MW_L2_ARP)
		return decide_arp(v, rt, iface_id, f, pkt, res);
	if (pkt->ethertype != 0x0800 && pkt->ethertype != 0x86dd)
		return drop(res, MW_R_NON_IP);
	if (pkt->parse_error)
		return drop(res, pkt->parse_error);
	if (res->dir == MW_DIR_INBOUND && icmp_control(pkt))
		return drop(res, MW_R_ICMP_CONTROL);
	if (pkt->l2 == MW_L2_ND)
		return decide_nd(v, rt, iface_id, f, pkt, res);
	decide_ip(v, rt, iface_id, pkt, res);
}

void mw_classify(const struct mw_image_view *v, const struct mw_runtime *rt,
		 uint32_t iface_id, enum mw_direction dir,
		 const struct mw_pkt *pkt, struct mw_result *res)
{
	static const struct mw_runtime none;

	memset(res, 0, sizeof(*res));
	res->dir = dir;
	res->system = MW_ID_NONE;
	res->device = MW_ID_NONE;
	res->conduit = MW_ID_NONE;
	res->rule = -1;
	decide(v, rt ? rt : &none, iface_id, pkt, res);
}
