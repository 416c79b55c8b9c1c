// SPDX-License-Identifier: GPL-2.0
/*
 * Frame parser, exactly as doc/datapath.md "Parse" says.  The XDP program
 * and the kernel module read the same bytes with the same bounds.
 *
 * How the result encodes where parsing stopped (the classifier relies on
 * it): an Ethernet or VLAN tag truncation leaves ethertype at 0 (short
 * Ethernet header) or at the TPID of the truncated tag, with parse_error
 * MALFORMED; ARP frames always have l2 = MW_L2_ARP and ethertype 0x0806,
 * parse_error MALFORMED if the ARP body is bad; IP errors have ethertype
 * 0x0800 / 0x86dd.  Other ethertypes get parse_error NON_IP.  Three or more
 * tags: n_vlans = 3 and nothing further is parsed (no error).
 */
#include <string.h>
#include <sys/socket.h>

#include "classify.h"

#define ETH_P_IPV4	0x0800
#define ETH_P_ARP_	0x0806
#define ETH_P_IPV6_	0x86dd
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88a8

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool is_tpid(uint16_t et)
{
	return et == ETH_P_8021Q_ || et == ETH_P_8021AD_;
}

/* Ethernet + VLAN tags; returns the L3 offset or 0 when done/failed. */
static size_t parse_l2(const uint8_t *f, size_t len, struct mw_pkt *p)
{
	size_t off = 14;
	uint16_t et;

	if (len < 14) {
		p->parse_error = MW_R_MALFORMED;
		return 0;
	}
	memcpy(p->dst_mac, f, 6);
	memcpy(p->src_mac, f + 6, 6);
	et = be16(f + 12);
	while (is_tpid(et)) {
		if (et == ETH_P_8021AD_)
			p->tag_8021ad = true;
		if (p->n_vlans == MW_MAX_VLAN_TAGS) {
			p->n_vlans = MW_MAX_VLAN_TAGS + 1;
			p->ethertype = et;
			return 0;
		}
		if (off + 4 > len) {
			p->ethertype = et;
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		p->vlan[p->n_vlans++] = be16(f + off) & 0x0fff;
		et = be16(f + off + 2);
		off += 4;
	}
	p->ethertype = et;
	return off;
}

static void parse_arp(const uint8_t *f, size_t len, size_t off,
		      struct mw_pkt *p)
{
	const uint8_t *a = f + off;

	p->l2 = MW_L2_ARP;
	if (len - off < 28 || be16(a) != 1 || be16(a + 2) != ETH_P_IPV4 ||
	    a[4] != 6 || a[5] != 4) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	memcpy(p->arp_sha, a + 8, 6);	/* sender hardware address */
	memcpy(p->src, a + 14, 4);	/* sender protocol address */
	memcpy(p->dst, a + 24, 4);	/* target protocol address */
}

static bool icmp_error(uint8_t family, uint8_t type)
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
static void parse_quote(const uint8_t *f, size_t q, size_t end,
			struct mw_pkt *p)
{
	struct mw_quote *qt = &p->quote;
	size_t l4;

	if (p->family == AF_INET) {
		if (end - q < 20 || (f[q] >> 4) != 4 || (f[q] & 0x0f) < 5 ||
		    (be16(f + q + 6) & 0x1fff))
			return;
		l4 = q + (size_t)(f[q] & 0x0f) * 4;
		qt->proto = f[q + 9];
		memcpy(qt->src, f + q + 12, 4);
		memcpy(qt->dst, f + q + 16, 4);
	} else {
		if (end - q < 40 || (f[q] >> 4) != 6)
			return;
		l4 = q + 40;
		qt->proto = f[q + 6];
		memcpy(qt->src, f + q + 8, 16);
		memcpy(qt->dst, f + q + 24, 16);
	}
	if ((qt->proto != PROTO_TCP && qt->proto != PROTO_UDP) ||
	    l4 > end || end - l4 < 8)
		return;
	qt->sport = be16(f + l4);
	qt->dport = be16(f + l4 + 2);
	qt->ok = true;
}

/* L4 header in [off, end). */
static void parse_l4(const uint8_t *f, size_t off, size_t end,
		     struct mw_pkt *p)
{
	size_t rem = end - off;
	const uint8_t *l4 = f + off;

	switch (p->proto) {
	case PROTO_TCP:
		if (rem < 20 || (l4[12] >> 4) < 5 ||
		    (size_t)(l4[12] >> 4) * 4 > rem) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		p->tcp_flags = l4[13];
		break;
	case PROTO_UDP:
		if (rem < 8) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if (rem < 8) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		p->icmp_type = l4[0];
		if ((p->proto == PROTO_ICMP) == (p->family == AF_INET) &&
		    icmp_error(p->family, p->icmp_type))
			parse_quote(f, off + 8, end, p);
		return;
	default:
		return;
	}
	p->has_ports = true;
	p->sport = be16(l4);
	p->dport = be16(l4 + 2);
}

/*
 * IPv4 options in [20, ihl): a length below 2 or past the header is
 * MALFORMED; loose or strict source routing (131, 137) whose pointer does
 * not yet point past the route (pointer <= length) is SOURCE_ROUTE: the
 * header's destination is only the next hop.  An exhausted route passes.
 */
static enum mw_reason ipv4_options(const uint8_t *ip, size_t ihl)
{
	size_t o = 20;

	while (o < ihl) {
		uint8_t t = ip[o], l;

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

static void parse_ipv4(const uint8_t *f, size_t len, size_t off,
		       struct mw_pkt *p)
{
	const uint8_t *ip = f + off;
	size_t avail = len - off, ihl, tot;

	if (avail < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0x0f) < 5) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = be16(ip + 2);
	p->ip_len = (uint32_t)tot;
	if (ihl > avail || tot < ihl || tot > avail) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	p->family = AF_INET;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->proto = ip[9];
	p->hop_limit = ip[8];
	if (ihl > 20 && (p->parse_error = ipv4_options(ip, ihl)))
		return;
	if (be16(ip + 6) & 0x3fff) {	/* MF or fragment offset */
		p->fragment = true;
		return;
	}
	parse_l4(f, off + ihl, off + tot, p);
}

static bool is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;
}

/* Extension chain from cur to end; returns the L4 offset, 0 if none. */
static size_t parse_ext(const uint8_t *f, size_t cur, size_t end,
			struct mw_pkt *p)
{
	uint8_t nh = p->proto;
	unsigned int n = 0;

	while (is_ext(nh)) {
		size_t hlen;

		if (n == MW_MAX_EXTHDRS) {
			p->parse_error = MW_R_EXTHDR;
			return 0;
		}
		if ((nh == 0 && n) || end - cur < (nh == 44 ? 8u : 2u)) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == 44)
			hlen = 8;
		else if (nh == 51)
			hlen = ((size_t)f[cur + 1] + 2) * 4;
		else
			hlen = ((size_t)f[cur + 1] + 1) * 8;
		if (hlen > end - cur) {
			p->parse_error = MW_R_MALFORMED;
			return 0;
		}
		if (nh == 43 && f[cur + 3]) {	/* segments left */
			p->parse_error = MW_R_SOURCE_ROUTE;
			return 0;
		}
		if (nh == 44 && (be16(f + cur + 2) & 0xfff9)) {
			p->proto = f[cur];	/* offset or M: a fragment */
			p->fragment = true;
			return 0;
		}
		nh = f[cur];
		cur += hlen;
		n++;
	}
	p->proto = nh;
	return cur;
}

/*
 * Neighbour solicitation / advertisement body in [l4, end): 24 bytes
 * (ICMPv6 header, flags, target), then options of 8-byte units, at most
 * MW_ND_MAX_OPTS, each inside the message; the link-layer address option
 * the kernel learns from (NS: source, NA: target) is recorded, and two of
 * them that differ are MALFORMED.
 */
static void parse_nd(const uint8_t *f, size_t l4, size_t end,
		     struct mw_pkt *p)
{
	uint8_t want = p->icmp_type == MW_ICMPV6_NEIGH_SOL ? MW_ND_OPT_SLLAO :
							   MW_ND_OPT_TLLAO;
	size_t o = l4 + MW_ND_MSG_LEN, n;

	if (end - l4 < MW_ND_MSG_LEN) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	memcpy(p->nd_target, f + l4 + 8, 16);
	for (n = 0; o < end; n++) {
		size_t l;

		if (n == MW_ND_MAX_OPTS || end - o < 2 || !f[o + 1] ||
		    (l = (size_t)f[o + 1] * 8) > end - o) {
			p->parse_error = MW_R_MALFORMED;
			return;
		}
		if (f[o] == want) {
			if (p->nd_has_lladdr && memcmp(p->nd_lladdr, f + o + 2, 6)) {
				p->parse_error = MW_R_MALFORMED;
				return;
			}
			memcpy(p->nd_lladdr, f + o + 2, 6);
			p->nd_has_lladdr = true;
		}
		o += l;
	}
}

static void parse_ipv6(const uint8_t *f, size_t len, size_t off,
		       struct mw_pkt *p)
{
	const uint8_t *ip = f + off;
	size_t avail = len - off, plen, l4;

	if (avail < 40 || (ip[0] >> 4) != 6) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	plen = be16(ip + 4);
	p->ip_len = (uint32_t)plen + 40;
	if (!plen || 40 + plen > avail) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	p->family = AF_INET6;
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	p->proto = ip[6];
	p->hop_limit = ip[7];
	l4 = parse_ext(f, off + 40, off + 40 + plen, p);
	if (!l4)
		return;
	parse_l4(f, l4, off + 40 + plen, p);
	if (!p->parse_error && p->proto == PROTO_ICMPV6 &&
	    p->icmp_type >= MW_ICMPV6_ROUTER_SOL &&
	    p->icmp_type <= MW_ICMPV6_REDIRECT && p->hop_limit == 255) {
		p->l2 = MW_L2_ND;
		if (p->icmp_type == MW_ICMPV6_NEIGH_SOL ||
		    p->icmp_type == MW_ICMPV6_NEIGH_ADV)
			parse_nd(f, l4, off + 40 + plen, p);
	}
}

void mw_pkt_parse(const uint8_t *frame, size_t len, struct mw_pkt *p)
{
	size_t off;

	memset(p, 0, sizeof(*p));
	p->len = (uint32_t)len;
	off = parse_l2(frame, len, p);
	if (!off)
		return;
	switch (p->ethertype) {
	case ETH_P_ARP_:
		parse_arp(frame, len, off, p);
		break;
	case ETH_P_IPV4:
		parse_ipv4(frame, len, off, p);
		break;
	case ETH_P_IPV6_:
		parse_ipv6(frame, len, off, p);
		break;
	default:
		p->parse_error = MW_R_NON_IP;
		break;
	}
}
