// SPDX-License-Identifier: GPL-2.0
/*
 * The decision model of doc/datapath.md over a kernel skb: the same parse
 * bounds and the same decisions, in the same order, as the reference
 * classifier (userspace/lib/pkt.c, classify.c).
 *
 * What the kmod cannot see differs from the classifier only where the
 * kernel decided first:
 *  - the hooks sit at the IP layer, so ARP and non-IP frames never reach
 *    them (XDP judges those), and the IP stack has already dropped headers
 *    it could not parse (version, IHL, total length) before PRE_ROUTING;
 *  - one VLAN tag is visible as the skb's tag (or, for a priority tag the
 *    kernel removed, as the tag it left behind: compat.h), and frames with
 *    other tags no VLAN device claims never reach IP;
 *  - outbound neighbour discovery (kmod only: the classifier has no
 *    outbound ND case) is the gateway's own and passes unless nd is none.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>

#include "compat.h"
#include "mw.h"

#define TCP_ACK_FLAG	0x10

static u16 get_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static void parse_l4(const struct sk_buff *skb, unsigned int off,
		     unsigned int end, struct mw_kpkt *p)
{
	unsigned int rem = end - off;
	u8 buf[20];
	const u8 *l4;

	switch (p->proto) {
	case IPPROTO_TCP:
		l4 = skb_header_pointer(skb, off, 20, buf);
		if (rem < 20 || !l4 || (l4[12] >> 4) < 5 ||
		    (unsigned int)(l4[12] >> 4) * 4 > rem) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		p->tcp_flags = l4[13];
		break;
	case IPPROTO_UDP:
		l4 = skb_header_pointer(skb, off, 8, buf);
		if (rem < 8 || !l4) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4 = skb_header_pointer(skb, off, 8, buf);
		if (rem < 8 || !l4) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		p->icmp_type = l4[0];
		return;
	default:
		return;
	}
	p->has_ports = true;
	p->sport = get_be16(l4);
	p->dport = get_be16(l4 + 2);
}

static void parse_ipv4(const struct sk_buff *skb, unsigned int off,
		       unsigned int len, struct mw_kpkt *p)
{
	unsigned int avail = len - off, ihl, tot;
	u8 buf[20];
	const u8 *ip = skb_header_pointer(skb, off, 20, buf);

	if (avail < 20 || !ip || (ip[0] >> 4) != 4 || (ip[0] & 0x0f) < 5) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	ihl = (unsigned int)(ip[0] & 0x0f) * 4;
	tot = get_be16(ip + 2);
	if (ihl > avail || tot < ihl || tot > avail) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	p->family = AF_INET;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->proto = ip[9];
	p->hop_limit = ip[8];
	if (get_be16(ip + 6) & 0x3fff) {	/* MF or fragment offset */
		p->fragment = true;
		return;
	}
	parse_l4(skb, off + ihl, off + tot, p);
}

static bool is_ext(u8 nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;
}

static unsigned int parse_ext(const struct sk_buff *skb, unsigned int cur,
			      unsigned int end, struct mw_kpkt *p)
{
	u8 nh = p->proto, buf[4];
	unsigned int n = 0;

	while (is_ext(nh)) {
		unsigned int hlen;
		const u8 *h;

		if (n == MW_MAX_EXTHDRS) {
			p->parse_error = MW_R_EXTHDR;
			return 0;
		}
		if ((nh == 0 && n) || end - cur < (nh == 44 ? 8u : 2u)) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		h = skb_header_pointer(skb, cur, nh == 44 ? 4 : 2, buf);
		if (!h) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == 44)
			hlen = 8;
		else if (nh == 51)
			hlen = ((unsigned int)h[1] + 2) * 4;
		else
			hlen = ((unsigned int)h[1] + 1) * 8;
		if (hlen > end - cur) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == 44 && (get_be16(h + 2) & 0xfff9)) {
			p->proto = h[0];	/* offset or M: a fragment */
			p->fragment = true;
			return 0;
		}
		nh = h[0];
		cur += hlen;
		n++;
	}
	p->proto = nh;
	return cur;
}

static void parse_ipv6(const struct sk_buff *skb, unsigned int off,
		       unsigned int len, struct mw_kpkt *p)
{
	unsigned int avail = len - off, plen, l4;
	u8 buf[40];
	const u8 *ip = skb_header_pointer(skb, off, 40, buf);

	if (avail < 40 || !ip || (ip[0] >> 4) != 6) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	plen = get_be16(ip + 4);
	if (!plen || 40 + plen > avail) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	p->family = AF_INET6;
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	p->proto = ip[6];
	p->hop_limit = ip[7];
	l4 = parse_ext(skb, off + 40, off + 40 + plen, p);
	if (!l4)
		return;
	parse_l4(skb, l4, off + 40 + plen, p);
	if (!p->parse_error && p->proto == IPPROTO_ICMPV6 &&
	    p->icmp_type >= 133 && p->icmp_type <= 137 && p->hop_limit == 255)
		p->nd = true;
}

/* Parse from the network header; nfproto is NFPROTO_IPV4 or NFPROTO_IPV6. */
void mw_parse_skb(const struct sk_buff *skb, u8 nfproto, struct mw_kpkt *p)
{
	unsigned int off = skb_network_offset(skb);

	memset(p, 0, sizeof(*p));
	p->len = skb->len - off + ETH_HLEN;
	if (skb_mac_header_was_set(skb) &&
	    skb_mac_header_len(skb) >= ETH_HLEN) {
		memcpy(p->src_mac, eth_hdr(skb)->h_source, ETH_ALEN);
		p->have_mac = true;
	}
	if (skb_vlan_tag_present(skb)) {
		p->n_vlans = 1;
		p->vlan = skb_vlan_tag_get_id(skb);
	} else if (mw_vlan_tag_stripped(skb, &p->vlan)) {
		/*
		 * a priority tag (VID 0), possibly stacked: the model
		 * never allows VID 0, so these frames drop as VLAN
		 */
		p->n_vlans = 1;
	}
	if (nfproto == NFPROTO_IPV4)
		parse_ipv4(skb, off, skb->len, p);
	else
		parse_ipv6(skb, off, skb->len, p);
}

/* ---------------------------------------------------------------------- */
/* Decide                                                                 */

static void set(struct mw_kres *res, u8 v, u8 r)
{
	res->verdict = v;
	res->reason = r;
}

bool mw_device_blocked(const struct mw_policy *pol, struct mw_net *mn,
		       u32 dev_id, struct mw_clock *clk)
{
	const struct mw_img_device *dev = mw_pol_device(pol, dev_id);

	if (!dev)
		return false;
	return mw_block_active(mn, MW_TARGET_DEVICE, dev->id, clk) ||
	       mw_block_active(mn, MW_TARGET_SYSTEM, dev->system, clk);
}

static u8 device_checks(const struct mw_policy *pol, struct mw_net *mn,
			const struct mw_img_iface *f, const struct mw_kpkt *p,
			const struct mw_img_device *dev, struct mw_clock *clk,
			struct mw_kres *res)
{
	const struct mw_img_system *sys = mw_pol_system(pol, dev->system);
	s64 now;

	res->device = dev->id;
	res->system = dev->system;
	if (!sys || sys->iface != f->id)
		return MW_R_WRONG_IFACE;
	if (res->dir == MW_DIR_INBOUND && (dev->flags & MW_DEV_F_MAC) &&
	    (!p->have_mac || memcmp(dev->mac, p->src_mac, 6)))
		return MW_R_SPOOFED;
	if (mw_block_active(mn, MW_TARGET_DEVICE, dev->id, clk) ||
	    mw_block_active(mn, MW_TARGET_SYSTEM, sys->id, clk))
		return MW_R_BLOCKED;
	if (!(sys->flags & (MW_SYS_F_VALID_FROM | MW_SYS_F_EXPIRES)))
		return MW_R_UNSPEC;
	now = div_s64((s64)mw_now(clk), NSEC_PER_SEC);
	if (((sys->flags & MW_SYS_F_VALID_FROM) && now < sys->valid_from) ||
	    ((sys->flags & MW_SYS_F_EXPIRES) && now >= sys->expires))
		return MW_R_AGREEMENT;
	return MW_R_UNSPEC;
}

static u8 device_by_addr(const struct mw_policy *pol, struct mw_net *mn,
			 const struct mw_img_iface *f, const struct mw_kpkt *p,
			 const u8 *addr, u8 unknown, struct mw_clock *clk,
			 struct mw_kres *res)
{
	u32 id = mw_pol_lookup_device(pol, p->family, addr);
	const struct mw_img_device *dev;

	dev = id == MW_ID_NONE ? NULL : mw_pol_device(pol, id);
	if (!dev)
		return unknown;
	return device_checks(pol, mn, f, p, dev, clk, res);
}

static bool vlan_ok(const struct mw_img_iface *f, const struct mw_kpkt *p)
{
	if (!p->n_vlans)
		return f->flags & MW_IFACE_F_UNTAGGED;
	if (p->n_vlans > 1)
		return false;
	return f->vlans[p->vlan / 8] & (1u << (p->vlan % 8));
}

static bool nd_local_source(const u8 *src)
{
	static const u8 zero[16];

	return (src[0] == 0xfe && (src[1] & 0xc0) == 0x80) ||
	       !memcmp(src, zero, 16);
}

static void decide_nd(const struct mw_policy *pol, struct mw_net *mn,
		      const struct mw_img_iface *f, const struct mw_kpkt *p,
		      struct mw_clock *clk, struct mw_kres *res)
{
	u8 r;

	if (f->nd == MW_L2_NONE)
		return set(res, MW_VERDICT_DROP, MW_R_L2_DENIED);
	/*
	 * Outbound ND with hop limit 255 cannot have been forwarded: it is the
	 * gateway's own neighbour discovery (source: its address on the
	 * interface, no device).  Without it the gateway loses its neighbours.
	 */
	if (res->dir == MW_DIR_OUTBOUND)
		return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
	if (f->nd == MW_L2_ALL || nd_local_source(p->src))
		return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
	r = device_by_addr(pol, mn, f, p, p->src, MW_R_L2_DENIED, clk, res);
	if (r)
		return set(res, MW_VERDICT_DROP, r);
	set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
}

static bool window_has(const struct mw_policy *pol, u16 w,
		       struct mw_clock *clk)
{
	const struct mw_img_window *win;
	s64 now_s;
	s32 m;
	u32 i;

	if (!w)
		return true;
	win = mw_pol_window(pol, (u32)w - 1);
	if (!win)
		return false;
	now_s = div_s64((s64)mw_now(clk), NSEC_PER_SEC);
	div_s64_rem(div_s64(now_s, 60), MW_MINUTES_PER_WEEK, &m);
	m = (m + MW_MINUTES_PER_WEEK) % MW_MINUTES_PER_WEEK;
	for (i = 0; i < win->n && i < MW_WINDOW_RANGES; i++) {
		const struct mw_window_range *r = &win->r[i];

		if (r->start < r->end ? (m >= r->start && m < r->end) :
					(m >= r->start || m < r->end))
			return true;
	}
	return false;
}

static bool ports_ok(const struct mw_rule *r, const struct mw_kpkt *p,
		     u16 port)
{
	if (!(r->flags & MW_RULE_F_PORTS))
		return true;
	return !p->fragment && p->has_ports && port >= r->port_lo &&
	       port <= r->port_hi;
}

static bool reply_ok(const struct mw_rule *r, const struct mw_kpkt *p)
{
	if (!ports_ok(r, p, p->sport))
		return false;
	if (p->proto == IPPROTO_TCP)
		return !p->fragment && (p->tcp_flags & TCP_ACK_FLAG);
	if (p->proto == IPPROTO_ICMP)
		return !p->fragment && p->icmp_type == 0;
	if (p->proto == IPPROTO_ICMPV6)
		return !p->fragment && p->icmp_type == 129;
	return true;
}

static u8 match_rule(const struct mw_rule *r, const struct mw_kpkt *p,
		     u8 dir, u64 zones)
{
	u8 rdir = (r->flags & MW_RULE_F_OUTBOUND) ? MW_DIR_OUTBOUND :
						    MW_DIR_INBOUND;

	if (r->zones != MW_ZONES_ANY && !(r->zones & zones))
		return MW_R_UNSPEC;
	if (r->proto != MW_ANY_PROTO && r->proto != p->proto)
		return MW_R_UNSPEC;
	if (rdir == dir)
		return ports_ok(r, p, p->dport) ? MW_R_ALLOWED : MW_R_UNSPEC;
	return reply_ok(r, p) ? MW_R_REPLY : MW_R_UNSPEC;
}

static void decide_rules(const struct mw_policy *pol, const struct mw_kpkt *p,
			 struct mw_clock *clk, struct mw_kres *res)
{
	const struct mw_img_device *dev = mw_pol_device(pol, res->device);
	const struct mw_img_cset *set = dev ? mw_pol_cset(pol, dev->cset) :
					NULL;
	const u8 *addr = res->dir == MW_DIR_INBOUND ? p->dst : p->src;
	u64 zones = mw_pol_lookup_zones(pol, p->family, addr);
	u32 i;

	for (i = 0; set && i < set->n_rules && i < MW_CSET_RULES; i++) {
		const struct mw_rule *r = &set->rules[i];
		u8 why;

		if (!window_has(pol, r->window, clk))
			continue;
		why = match_rule(r, p, res->dir, zones);
		if (why) {
			res->conduit = r->conduit;
			res->verdict = MW_VERDICT_PASS;
			res->reason = why;
			return;
		}
	}
	res->verdict = MW_VERDICT_DROP;
	res->reason = p->fragment ? MW_R_FRAGMENT : MW_R_NO_CONDUIT;
}

/* Judge p on the external interface f; pol is the running policy. */
void mw_decide(const struct mw_policy *pol, struct mw_net *mn,
	       const struct mw_img_iface *f, enum mw_direction dir,
	       const struct mw_kpkt *p, struct mw_clock *clk,
	       struct mw_kres *res)
{
	bool in = dir == MW_DIR_INBOUND;
	u8 r;

	memset(res, 0, sizeof(*res));
	res->dir = dir;
	res->system = MW_ID_NONE;
	res->device = MW_ID_NONE;
	res->conduit = MW_ID_NONE;
	if (!pol)
		return set(res, MW_VERDICT_DROP, MW_R_NO_POLICY);
	if (!f)
		return set(res, MW_VERDICT_DROP, MW_R_NOT_MANAGED);
	if (READ_ONCE(mn->island))
		return set(res, MW_VERDICT_DROP, MW_R_ISLAND);
	if (!vlan_ok(f, p))
		return set(res, MW_VERDICT_DROP, MW_R_VLAN);
	if (p->parse_error)
		return set(res, MW_VERDICT_DROP, p->parse_error);
	if (p->nd)
		return decide_nd(pol, mn, f, p, clk, res);
	r = device_by_addr(pol, mn, f, p, in ? p->src : p->dst,
			   in ? MW_R_UNKNOWN_SOURCE : MW_R_UNKNOWN_DEST,
			   clk, res);
	if (r)
		return set(res, MW_VERDICT_DROP, r);
	decide_rules(pol, p, clk, res);
}
