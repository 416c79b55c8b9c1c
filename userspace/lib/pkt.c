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
	memcpy(p->src, a + 14, 4);	/* sender protocol address */
	memcpy(p->dst, a + 24, 4);	/* target protocol address */
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
		return;
	default:
		return;
	}
	p->has_ports = true;
	p->sport = be16(l4);
	p->dport = be16(l4 + 2);
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
	if (ihl > avail || tot < ihl || tot > avail) {
		p->parse_error = MW_R_MALFORMED;
		return;
	}
	p->family = AF_INET;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->proto = ip[9];
	p->hop_limit = ip[8];
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
	    p->icmp_type >= 133 && p->icmp_type <= 137 && p->hop_limit == 255)
		p->l2 = MW_L2_ND;
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
