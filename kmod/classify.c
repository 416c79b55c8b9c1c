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
 *    kernel removed, as the tag it left behind: compat.h), its protocol
 *    telling 802.1ad (always a VLAN drop) from 802.1Q, and frames with
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
#include <net/ipv6.h>		/* NEXTHDR_* */
#include <linux/netfilter.h>
#include <linux/tcp.h>

#include "compat.h"
#include "mw.h"

#define TCP_FIN_FLAG	0x01
#define TCP_SYN_FLAG	0x02
#define TCP_RST_FLAG	0x04
#define TCP_PSH_FLAG	0x08
#define TCP_ACK_FLAG	0x10
#define TCP_URG_FLAG	0x20

static u16 get_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static bool icmp_error(u8 family, u8 type)
{
	if (family == AF_INET)
		return type == MW_ICMP_DEST_UNREACH ||
		       type == MW_ICMP_TIME_EXCEEDED ||
		       type == MW_ICMP_PARAMETERPROB;
	return type >= MW_ICMPV6_DEST_UNREACH && type <= MW_ICMPV6_PARAMPROB;
}

/*
 * The packet an ICMP error quotes, from q to end: an IP header of the
 * error's family (IPv4: IHL >= 5, not a later fragment; IPv6: TCP or UDP
 * right after the fixed header) and 8 bytes of TCP or UDP.
 */
static void parse_quote(const struct sk_buff *skb, unsigned int q,
			unsigned int end, struct mw_kpkt *p)
{
	unsigned int l4;
	u8 buf[40];
	const u8 *h;

	if (p->family == AF_INET) {
		h = skb_header_pointer(skb, q, 20, buf);
		if (end - q < 20 || !h || (h[0] >> 4) != 4 ||
		    (h[0] & 0x0f) < 5 || (get_be16(h + 6) & 0x1fff))
			return;
		l4 = q + (unsigned int)(h[0] & 0x0f) * 4;
		p->q_proto = h[9];
		memset(p->q_src, 0, sizeof(p->q_src));
		memset(p->q_dst, 0, sizeof(p->q_dst));
		memcpy(p->q_src, h + 12, 4);
		memcpy(p->q_dst, h + 16, 4);
	} else {
		h = skb_header_pointer(skb, q, 40, buf);
		if (end - q < 40 || !h || (h[0] >> 4) != 6)
			return;
		l4 = q + 40;
		p->q_proto = h[6];
		memcpy(p->q_src, h + 8, 16);
		memcpy(p->q_dst, h + 24, 16);
	}
	if ((p->q_proto != IPPROTO_TCP && p->q_proto != IPPROTO_UDP) ||
	    l4 > end || end - l4 < 8)
		return;
	h = skb_header_pointer(skb, l4, 4, buf);
	if (!h)
		return;
	p->q_sport = get_be16(h);
	p->q_dport = get_be16(h + 2);
	p->q_ok = true;
}

static __always_inline void parse_l4(const struct sk_buff *skb,
				     unsigned int off, unsigned int end,
				     struct mw_kpkt *p)
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
		if ((p->proto == IPPROTO_ICMP) == (p->family == AF_INET) &&
		    icmp_error(p->family, p->icmp_type))
			parse_quote(skb, off + 8, end, p);
		return;
	default:
		return;
	}
	p->has_ports = true;
	p->sport = get_be16(l4);
	p->dport = get_be16(l4 + 2);
}

/*
 * IPv4 options in [20, ihl) of the header ip (ihl bytes read): a length
 * below 2 or past the header is MALFORMED; loose or strict source routing
 * whose pointer is not past the route is SOURCE_ROUTE.
 */
static u8 ipv4_options(const u8 *ip, unsigned int ihl)
{
	unsigned int o = 20;

	while (o < ihl) {
		u8 t = ip[o], l;

		if (t == MW_IPOPT_END)
			break;
		if (t == MW_IPOPT_NOOP) {
			o++;
			continue;
		}
		if (ihl - o < 2)
			return MW_R_MALFORMED;
		l = ip[o + 1];
		if (l < 2 || l > ihl - o)
			return MW_R_MALFORMED;
		if (t == MW_IPOPT_LSRR || t == MW_IPOPT_SSRR) {
			if (l < 3)
				return MW_R_MALFORMED;
			if (ip[o + 2] <= l)
				return MW_R_SOURCE_ROUTE;
		}
		o += l;
	}
	return MW_R_UNSPEC;
}

static __always_inline void parse_ipv4(const struct sk_buff *skb,
				       unsigned int off, unsigned int len,
				       struct mw_kpkt *p)
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
	p->ip_len = tot;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->proto = ip[9];
	p->hop_limit = ip[8];
	if (ihl > 20) {
		u8 obuf[60];
		const u8 *full = skb_header_pointer(skb, off, ihl, obuf);

		p->parse_error = full ? ipv4_options(full, ihl) :
					MW_R_MALFORMED;
		if (p->parse_error)
			return;
	}
	if (get_be16(ip + 6) & 0x3fff) {	/* MF or fragment offset */
		p->fragment = true;
		return;
	}
	parse_l4(skb, off + ihl, off + tot, p);
}

static bool is_ext(u8 nh)
{
	return nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_DEST ||
	       nh == NEXTHDR_AUTH || nh == NEXTHDR_FRAGMENT;
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
		if ((nh == NEXTHDR_HOP && n) ||
		    end - cur < (nh == NEXTHDR_FRAGMENT ? 8u : 2u)) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		h = skb_header_pointer(skb, cur, nh == NEXTHDR_FRAGMENT ||
				       nh == NEXTHDR_ROUTING ? 4 : 2, buf);
		if (!h) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == NEXTHDR_FRAGMENT)
			hlen = 8;
		else if (nh == NEXTHDR_AUTH)
			hlen = ((unsigned int)h[1] + 2) * 4;
		else
			hlen = ((unsigned int)h[1] + 1) * 8;
		if (hlen > end - cur) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == NEXTHDR_ROUTING && h[3]) {		/* segments left */
			p->parse_error = MW_R_SOURCE_ROUTE;
			return 0;
		}
		if (nh == NEXTHDR_FRAGMENT && (get_be16(h + 2) & 0xfff9)) {
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

/*
 * NS/NA body in [l4, end): 24 bytes, then at most MW_ND_MAX_OPTS options
 * of 8-byte units inside the message; the link-layer address option the
 * kernel learns from (NS: source, NA: target) is kept, two that differ
 * are MALFORMED.
 */
static void parse_nd(const struct sk_buff *skb, unsigned int l4,
		     unsigned int end, struct mw_kpkt *p)
{
	u8 want = p->icmp_type == MW_ICMPV6_NEIGH_SOL ? MW_ND_OPT_SLLAO :
						       MW_ND_OPT_TLLAO, buf[8];
	unsigned int o = l4 + MW_ND_MSG_LEN, n;
	const u8 *h;

	h = skb_header_pointer(skb, l4 + 8, 16, p->nd_target);
	if (end - l4 < MW_ND_MSG_LEN || !h) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	if (h != p->nd_target)
		memcpy(p->nd_target, h, 16);
	for (n = 0; o < end; n++) {
		unsigned int l;

		h = skb_header_pointer(skb, o, 2, buf);
		l = h ? (unsigned int)h[1] * 8 : 0;
		if (n == MW_ND_MAX_OPTS || end - o < 2 || !l || l > end - o) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		if (h[0] == want) {
			h = skb_header_pointer(skb, o, 8, buf);
			if (!h || (p->nd_has_lladdr &&
				   memcmp(p->nd_lladdr, h + 2, 6))) {
				p->parse_error = MW_R_MALFORMED;
				return;
			}
			memcpy(p->nd_lladdr, h + 2, 6);
			p->nd_has_lladdr = true;
		}
		o += l;
	}
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
	p->ip_len = 40 + plen;
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	p->proto = ip[6];
	p->hop_limit = ip[7];
	l4 = parse_ext(skb, off + 40, off + 40 + plen, p);
	if (!l4)
		return;
	parse_l4(skb, l4, off + 40 + plen, p);
	if (!p->parse_error && p->proto == IPPROTO_ICMPV6 &&
	    p->icmp_type >= MW_ICMPV6_ROUTER_SOL &&
	    p->icmp_type <= MW_ICMPV6_REDIRECT && p->hop_limit == 255) {
		p->nd = true;
		if (p->icmp_type == MW_ICMPV6_NEIGH_SOL ||
		    p->icmp_type == MW_ICMPV6_NEIGH_ADV)
			parse_nd(skb, l4, off + 40 + plen, p);
	}
}

/* The Ethernet source and the tag the kernel took off, for IP and ARP. */
static __always_inline void parse_link(const struct sk_buff *skb,
				       struct mw_kpkt *p)
{
	if (skb_mac_header_was_set(skb) &&
	    skb_mac_header_len(skb) >= ETH_HLEN) {
		memcpy(p->src_mac, eth_hdr(skb)->h_source, ETH_ALEN);
		p->have_mac = true;
	}
	if (skb_vlan_tag_present(skb)) {
		p->n_vlans = 1;
		p->vlan = skb_vlan_tag_get_id(skb);
		p->tag_8021ad = skb->vlan_proto == htons(ETH_P_8021AD);
	} else if (mw_vlan_tag_stripped(skb, &p->vlan, &p->tag_8021ad)) {
		/*
		 * a priority tag (VID 0), possibly stacked: the model
		 * never allows VID 0, so these frames drop as VLAN
		 */
		p->n_vlans = 1;
	}
}

/*
 * The fields before src_mac zeroed (MW_KPKT_ZERO), in two memsets of at most
 * 40 bytes: gcc writes those as stores, one of 60 bytes as a `rep stos`
 * (slow under TCG, and a start-up cost natively).
 */
static __always_inline void kpkt_zero(struct mw_kpkt *p)
{
	BUILD_BUG_ON(MW_KPKT_ZERO <= 40 || MW_KPKT_ZERO > 80);
	memset(p, 0, 40);
	memset((u8 *)p + 40, 0, MW_KPKT_ZERO - 40);
}

/* Parse from the network header; nfproto is NFPROTO_IPV4 or NFPROTO_IPV6. */
void mw_parse_skb(const struct sk_buff *skb, u8 nfproto, struct mw_kpkt *p)
{
	unsigned int off = skb_network_offset(skb);

	kpkt_zero(p);
	p->len = skb->len - off + ETH_HLEN;
	parse_link(skb, p);
	if (nfproto == NFPROTO_IPV4)
		parse_ipv4(skb, off, skb->len, p);
	else
		parse_ipv6(skb, off, skb->len, p);
}

/* ARP at NF_ARP_IN: skb->data at the ARP header. */
void mw_parse_arp_skb(const struct sk_buff *skb, struct mw_kpkt *p)
{
	u8 buf[28];
	const u8 *a;

	kpkt_zero(p);
	p->arp = true;
	p->family = AF_INET;	/* SPA and TPA are IPv4 addresses */
	p->len = skb->len + ETH_HLEN;
	parse_link(skb, p);
	a = skb_header_pointer(skb, skb_network_offset(skb), 28, buf);
	if (!a || get_be16(a) != 1 || get_be16(a + 2) != ETH_P_IP ||
	    a[4] != 6 || a[5] != 4) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	memcpy(p->arp_sha, a + 8, 6);
	memcpy(p->src, a + 14, 4);
	memcpy(p->dst, a + 24, 4);
}

/* ---------------------------------------------------------------------- */
/* Decide                                                                 */

static void set(struct mw_kres *res, u8 v, u8 r)
{
	res->verdict = v;
	res->reason = r;
}

/* Unix ns of the decision's instant (windows, valid_from, events). */
s64 mw_wall_ns(struct mw_net *mn, struct mw_clock *clk)
{
	return (s64)mw_now(clk) + READ_ONCE(mn->boot_to_unix_ns);
}

/* Unix seconds for windows and valid_from, as the classifier counts them. */
s64 mw_wall_sec(struct mw_net *mn, struct mw_clock *clk)
{
	return div_s64(mw_wall_ns(mn, clk), NSEC_PER_SEC);
}

/* ... and for expiries: the largest offset, so a step back revives none. */
s64 mw_expiry_sec(struct mw_net *mn, struct mw_clock *clk)
{
	return div_s64((s64)mw_now(clk) + READ_ONCE(mn->boot_to_unix_max_ns),
		       NSEC_PER_SEC);
}

/* The policy's own expires (header, unix seconds, 0 = never) reached? */
bool mw_policy_expired(const struct mw_policy *pol, struct mw_net *mn,
		       struct mw_clock *clk)
{
	s64 exp = pol->hdr->expires;

	return exp && mw_expiry_sec(mn, clk) >= exp;
}

/* Device d has a MAC binding: is mac (NULL: none known) its address? */
static bool mac_bound(const struct mw_policy *pol, const struct mw_devkey *d,
		      const u8 *mac)
{
	const struct mw_img_device *dev = mw_pol_device(pol, d->id);

	return mac && dev && !memcmp(dev->mac, mac, 6);
}

/*
 * Step 10 for device d in direction dir: 0 or the drop reason.  The MAC
 * binding is checked (inbound) against mac, or fails without one, unless
 * no_mac.
 */
static __always_inline u8 dev_checks(const struct mw_policy *pol,
				      struct mw_net *mn,
				      const struct mw_img_iface *f, u8 dir,
				      const u8 *mac, bool no_mac,
				      const struct mw_devkey *d,
				      struct mw_clock *clk)
{
	const struct mw_img_system *sys = mw_pol_system(pol, d->system);

	if (!sys || sys->iface != f->id)
		return MW_R_WRONG_IFACE;
	if (dir == MW_DIR_INBOUND && !no_mac && (d->flags & MW_DEV_F_MAC) &&
	    !mac_bound(pol, d, mac))
		return MW_R_SPOOFED;
	if (mw_block_active(mn, MW_TARGET_DEVICE, d->id, clk) ||
	    mw_block_active(mn, MW_TARGET_SYSTEM, sys->id, clk))
		return MW_R_BLOCKED;
	if (!(sys->flags & (MW_SYS_F_VALID_FROM | MW_SYS_F_EXPIRES)))
		return MW_R_UNSPEC;
	if (((sys->flags & MW_SYS_F_VALID_FROM) &&
	     mw_wall_sec(mn, clk) < sys->valid_from) ||
	    ((sys->flags & MW_SYS_F_EXPIRES) &&
	     mw_expiry_sec(mn, clk) >= sys->expires))
		return MW_R_AGREEMENT;
	return MW_R_UNSPEC;
}

/* Step 10 for d (res->dir set): 0 or the drop reason; sets device/system. */
static __always_inline u8 devkey_checks(const struct mw_policy *pol,
					 struct mw_net *mn,
					 const struct mw_img_iface *f,
					 const struct mw_kpkt *p,
					 const struct mw_devkey *d,
					 struct mw_clock *clk,
					 struct mw_kres *res)
{
	res->device = d->id;
	res->system = d->system;
	return dev_checks(pol, mn, f, res->dir, p->have_mac ? p->src_mac : NULL,
			  false, d, clk);
}

/* devkey_checks() for a device record. */
u8 mw_device_checks(const struct mw_policy *pol, struct mw_net *mn,
		    const struct mw_img_iface *f, const struct mw_kpkt *p,
		    const struct mw_img_device *dev, struct mw_clock *clk,
		    struct mw_kres *res)
{
	struct mw_devkey d;

	mw_devkey_of(dev, &d);
	return devkey_checks(pol, mn, f, p, &d, clk, res);
}

static __always_inline u8 device_by_addr(const struct mw_policy *pol,
					  struct mw_net *mn,
					  const struct mw_img_iface *f,
					  const struct mw_kpkt *p,
					  const u8 *addr, u8 unknown,
					  struct mw_clock *clk,
					  struct mw_kres *res)
{
	/* written and read only for a device found by a wider prefix */
	struct mw_devkey buf __uninitialized;
	const struct mw_devkey *d;

	d = mw_pol_find_devkey(pol, p->family, addr, &buf);
	if (!d)
		return unknown;
	return devkey_checks(pol, mn, f, p, d, clk, res);
}

static bool vlan_ok(const struct mw_img_iface *f, const struct mw_kpkt *p)
{
	if (!p->n_vlans && !p->tag_8021ad)
		return f->flags & MW_IFACE_F_UNTAGGED;
	/* only single 802.1Q tags can be allowed (L14) */
	if (p->n_vlans > 1 || p->tag_8021ad)
		return false;
	return f->vlans[p->vlan / 8] & (1u << (p->vlan % 8));
}

static bool nd_local_source(const u8 *src)
{
	static const u8 zero[16];

	return (src[0] == 0xfe && (src[1] & 0xc0) == 0x80) ||
	       !memcmp(src, zero, 16);
}

/* ARP by the interface's arp mode (step 6, inbound). */
static void decide_arp(const struct mw_policy *pol, struct mw_net *mn,
		       const struct mw_img_iface *f, const struct mw_kpkt *p,
		       struct mw_clock *clk, struct mw_kres *res)
{
	u8 r;

	if (f->arp == MW_L2_NONE)
		return set(res, MW_VERDICT_DROP, MW_R_L2_DENIED);
	if (f->arp == MW_L2_ALL)
		return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
	if (p->parse_error)
		return set(res, MW_VERDICT_DROP, MW_R_MALFORMED);
	r = device_by_addr(pol, mn, f, p, p->src, MW_R_L2_DENIED, clk, res);
	if (r)
		return set(res, MW_VERDICT_DROP, r);
	/* the kernel learns the sender hardware address, not the frame's */
	if (!p->have_mac || memcmp(p->arp_sha, p->src_mac, 6))
		return set(res, MW_VERDICT_DROP, MW_R_SPOOFED);
	set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
}

static void decide_nd(const struct mw_policy *pol, struct mw_net *mn,
		      const struct mw_img_iface *f, const struct mw_kpkt *p,
		      struct mw_clock *clk, struct mw_kres *res)
{
	const struct mw_img_device *dev;
	u32 t;
	u8 r;

	if (f->nd == MW_L2_NONE)
		return set(res, MW_VERDICT_DROP, MW_R_L2_DENIED);
	/*
	 * Outbound ND with hop limit 255 cannot have been forwarded: it is the
	 * gateway's own neighbour discovery (source: its address on the
	 * interface, no device).  Without it the gateway loses its neighbours.
	 */
	if (res->dir == MW_DIR_OUTBOUND || f->nd == MW_L2_ALL)
		return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
	/* inbound: NS and NA only (step 7 dropped router discovery) */
	if (p->nd_has_lladdr &&
	    (!p->have_mac || memcmp(p->nd_lladdr, p->src_mac, 6)))
		return set(res, MW_VERDICT_DROP, MW_R_SPOOFED);
	if (p->icmp_type == MW_ICMPV6_NEIGH_ADV) {
		t = mw_pol_lookup_device(pol, AF_INET6, p->nd_target);
		dev = t == MW_ID_NONE ? NULL : mw_pol_device(pol, t);
		if (dev) {
			/* a device's address is advertised by that device */
			if (mw_pol_lookup_device(pol, AF_INET6, p->src) != t)
				return set(res, MW_VERDICT_DROP,
					   MW_R_L2_DENIED);
			r = mw_device_checks(pol, mn, f, p, dev, clk, res);
			if (r)
				return set(res, MW_VERDICT_DROP, r);
			return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
		}
	}
	if (nd_local_source(p->src))
		return set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
	r = device_by_addr(pol, mn, f, p, p->src, MW_R_L2_DENIED, clk, res);
	if (r)
		return set(res, MW_VERDICT_DROP, r);
	set(res, MW_VERDICT_PASS, MW_R_L2_CONTROL);
}

static bool window_has(const struct mw_policy *pol, struct mw_net *mn,
		       u16 w, struct mw_clock *clk)
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
	now_s = mw_wall_sec(mn, clk);
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

/* A reply's TCP flags: ACK without SYN (not FIN and RST), or SYN+ACK. */
static bool reply_tcp_flags(u8 f)
{
	if (!(f & TCP_ACK_FLAG))
		return false;
	if (f & TCP_SYN_FLAG)
		return (f & (TCP_FIN_FLAG | TCP_SYN_FLAG | TCP_RST_FLAG |
			     TCP_PSH_FLAG | TCP_ACK_FLAG | TCP_URG_FLAG)) ==
		       (TCP_SYN_FLAG | TCP_ACK_FLAG);
	return (f & (TCP_FIN_FLAG | TCP_RST_FLAG)) !=
	       (TCP_FIN_FLAG | TCP_RST_FLAG);
}

static bool reply_ok(const struct mw_policy *pol, const struct mw_rule *r,
		     const struct mw_kpkt *p)
{
	if (p->fragment)
		return false;
	if (p->proto == IPPROTO_ICMP)
		return p->icmp_type == 0;
	if (p->proto == IPPROTO_ICMPV6)
		return p->icmp_type == 129;
	if ((p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP) ||
	    !p->has_ports || !ports_ok(r, p, p->sport) ||
	    p->dport < pol->hdr->reply_lo || p->dport > pol->hdr->reply_hi)
		return false;
	return p->proto != IPPROTO_TCP || reply_tcp_flags(p->tcp_flags);
}

/* quoted: p is an ICMP error's quote turned around (rule ports only). */
static u8 match_rule(const struct mw_policy *pol, const struct mw_rule *r,
		     const struct mw_kpkt *p, u8 dir, u64 zones, bool quoted)
{
	u8 rdir = (r->flags & MW_RULE_F_OUTBOUND) ? MW_DIR_OUTBOUND :
						    MW_DIR_INBOUND;

	if (r->zones != MW_ZONES_ANY && !(r->zones & zones))
		return MW_R_UNSPEC;
	if (r->proto != MW_ANY_PROTO && r->proto != p->proto)
		return MW_R_UNSPEC;
	if (rdir == dir)
		return ports_ok(r, p, p->dport) ? MW_R_ALLOWED : MW_R_UNSPEC;
	if (quoted)
		return ports_ok(r, p, p->sport) ? MW_R_REPLY : MW_R_UNSPEC;
	return reply_ok(pol, r, p) ? MW_R_REPLY : MW_R_UNSPEC;
}

/* Rules of dev's conduit set (steps 11-12): the first match's reason. */
static u8 match_set(const struct mw_policy *pol, struct mw_net *mn,
		    const struct mw_img_device *dev, const struct mw_kpkt *p,
		    u8 dir, bool quoted, struct mw_clock *clk, u32 *conduit)
{
	const struct mw_img_cset *set = dev ? mw_pol_cset(pol, dev->cset) :
					NULL;
	const u8 *addr = dir == MW_DIR_INBOUND ? p->dst : p->src;
	u64 zones = mw_pol_lookup_zones(pol, p->family, addr);
	u32 i;

	for (i = 0; set && i < set->n_rules && i < MW_CSET_RULES; i++) {
		const struct mw_rule *r = &set->rules[i];
		u8 why;

		if (!window_has(pol, mn, r->window, clk))
			continue;
		why = match_rule(pol, r, p, dir, zones, quoted);
		if (why) {
			*conduit = r->conduit;
			return why;
		}
	}
	return MW_R_UNSPEC;
}

/*
 * Step 13: an ICMP error passes as RELATED when the packet it quotes,
 * turned around, would pass in the error's direction by the rules of its
 * external device, a device of the error's system that passes its checks
 * but the MAC binding.
 */
static bool related(const struct mw_policy *pol, struct mw_net *mn,
		    const struct mw_img_iface *f, const struct mw_kpkt *p,
		    struct mw_clock *clk, struct mw_kres *res)
{
	const struct mw_img_device *dev;
	struct mw_kpkt t = { 0 };
	struct mw_devkey d;
	u32 id;

	if (!p->q_ok || p->fragment)
		return false;
	t.family = p->family;
	t.proto = p->q_proto;
	t.has_ports = true;
	t.sport = p->q_dport;
	t.dport = p->q_sport;
	memcpy(t.src, p->q_dst, 16);
	memcpy(t.dst, p->q_src, 16);
	id = mw_pol_lookup_device(pol, t.family,
				  res->dir == MW_DIR_INBOUND ? t.src : t.dst);
	dev = id == MW_ID_NONE ? NULL : mw_pol_device(pol, id);
	if (!dev || dev->system != res->system)
		return false;
	mw_devkey_of(dev, &d);
	return !dev_checks(pol, mn, f, res->dir, NULL, true, &d, clk) &&
	       match_set(pol, mn, dev, &t, res->dir, true, clk,
			 &res->conduit);
}

static void decide_rules(const struct mw_policy *pol, struct mw_net *mn,
			 const struct mw_img_iface *f, const struct mw_kpkt *p,
			 struct mw_clock *clk, struct mw_kres *res)
{
	const struct mw_img_device *dev = mw_pol_device(pol, res->device);
	u8 why;

	why = match_set(pol, mn, dev, p, res->dir, false, clk, &res->conduit);
	if (why)
		return set(res, MW_VERDICT_PASS, why);
	if (related(pol, mn, f, p, clk, res))
		return set(res, MW_VERDICT_PASS, MW_R_RELATED);
	set(res, MW_VERDICT_DROP,
	    p->fragment ? MW_R_FRAGMENT : MW_R_NO_CONDUIT);
}

/* Step 7: redirects and router discovery never come in. */
static bool icmp_control(const struct mw_kpkt *p)
{
	u8 t = p->icmp_type;

	if (p->fragment)
		return false;
	if (p->family == AF_INET && p->proto == IPPROTO_ICMP)
		return t == MW_ICMP_REDIRECT || t == MW_ICMP_ROUTERADVERT ||
		       t == MW_ICMP_ROUTERSOLICIT;
	if (p->family == AF_INET6 && p->proto == IPPROTO_ICMPV6)
		return t == MW_ICMPV6_ROUTER_SOL || t == MW_ICMPV6_ROUTER_ADV ||
		       t == MW_ICMPV6_REDIRECT || t == MW_ICMPV6_ROUTER_RENUM;
	return false;
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
	if (mw_policy_expired(pol, mn, clk))
		return set(res, MW_VERDICT_DROP, MW_R_POLICY_EXPIRED);
	if (!vlan_ok(f, p))
		return set(res, MW_VERDICT_DROP, MW_R_VLAN);
	if (p->arp)
		return in ? decide_arp(pol, mn, f, p, clk, res) :
			    set(res, MW_VERDICT_DROP, MW_R_L2_DENIED);
	if (p->parse_error)
		return set(res, MW_VERDICT_DROP, p->parse_error);
	if (in && icmp_control(p))
		return set(res, MW_VERDICT_DROP, MW_R_ICMP_CONTROL);
	if (p->nd)
		return decide_nd(pol, mn, f, p, clk, res);
	r = device_by_addr(pol, mn, f, p, in ? p->src : p->dst,
			   in ? MW_R_UNKNOWN_SOURCE : MW_R_UNKNOWN_DEST,
			   clk, res);
	if (r)
		return set(res, MW_VERDICT_DROP, r);
	decide_rules(pol, mn, f, p, clk, res);
}
