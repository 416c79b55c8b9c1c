/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cursor parsers: each reads one header at the cursor, records what the
 * decision needs in struct mw_xpkt, advances the cursor and returns the
 * next protocol (ethertype, IP protocol) or -1.  These are the only places
 * that check bounds.  They implement "Parse" of doc/datapath.md byte for
 * byte: the same lengths, the same limits, the same order.
 *
 * Offsets are scalars (from the start of the frame) bounded by
 * MW_PKT_MAX_OFF, so the verifier sees a small range on every pointer we
 * form; the logical limits (IP total length, payload length) are checked
 * on the scalars first, then the frame bound on the pointer.
 */
#ifndef MW_BPF_PARSE_H
#define MW_BPF_PARSE_H

#include "consts.h"

enum mw_l3 {
	MW_L3_OTHER = 0,	/* non-IP, non-ARP */
	MW_L3_ARP,
	MW_L3_IP,
};

/* What the parsers found.  fk doubles as the flow key. */
struct mw_xpkt {
	struct mw_flow_key fk;	/* family, proto, ports (0 unless TCP/UDP),
				 * src, dst (ARP: src = SPA) */
	__u32 len;		/* frame bytes */
	__u16 vid;		/* VID of the (single) tag */
	__u8 n_vlans;		/* 0, 1, 2; 3 = three or more; | MW_TAGS_AD */
	__u8 l3;		/* enum mw_l3 */
	__u8 err;		/* MW_R_MALFORMED / MW_R_EXTHDR after a -1 */
	__u8 fragment;
	__u8 has_ports;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 hop_limit;
	__u8 arp_ok;		/* ARP body well-formed */
	__u8 arp_sha_ok;	/* ARP sender hardware address = Ethernet's */
};

/* In mw_xpkt.n_vlans with the count: the outer tag is 802.1ad (0x88a8). */
#define MW_TAGS_AD		0x80

struct mw_cursor {
	struct xdp_md *xdp;	/* for bpf_xdp_load_bytes() in loops */
	void *data;
	void *data_end;
	__u32 off;		/* next header */
	__u32 end;		/* logical end: frame, then IP payload */
};

/* Pointer to len bytes at off, or NULL past the frame. */
static __always_inline void *cur_ptr(const struct mw_cursor *c, __u32 off,
				     __u32 len)
{
	void *p;

	if (off > MW_PKT_MAX_OFF)
		return NULL;
	p = c->data + off;
	if (p + len > c->data_end)
		return NULL;
	return p;
}

/* A big-endian 16-bit field of a buffer of unknown alignment (stack). */
static __always_inline __u16 rd16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/*
 * Fields of the frame, by one load each instead of one per byte: the
 * headers of a frame need not be aligned, and the verifier allows such
 * loads from packet memory where the CPU does them well
 * (CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS; elsewhere it refuses the
 * program at load, which then fails closed).  fr16 gives host order,
 * fr32 the bytes as they are (addresses stay in network order).
 */
static __always_inline __u16 fr16(const __u8 *p)
{
	return bpf_ntohs(*(const __be16 *)p);
}

static __always_inline __u32 fr32(const __u8 *p)
{
	return *(const __u32 *)p;
}

/* n bytes (4 or 16) of an address in the frame into a flow-key field. */
static __always_inline void fr_addr(__u8 *to, const __u8 *p, __u32 n)
{
	__u32 w[4];

	w[0] = fr32(p);
	if (n == 16) {
		w[1] = fr32(p + 4);
		w[2] = fr32(p + 8);
		w[3] = fr32(p + 12);
	}
	__builtin_memcpy(to, w, n == 16 ? 16 : 4);
}

/* Ethernet: 14 bytes.  Returns the ethertype. */
static __always_inline int parse_eth(struct mw_cursor *c)
{
	__u8 *eth = cur_ptr(c, 0, MW_ETH_HLEN);

	if (!eth)
		return -1;
	c->off = MW_ETH_HLEN;
	return fr16(eth + 12);
}

/*
 * One 802.1Q/802.1ad tag at the cursor.  Returns the inner ethertype.
 */
static __always_inline int parse_vlan(struct mw_cursor *c, struct mw_xpkt *p)
{
	__u8 *tag = cur_ptr(c, c->off, MW_VLAN_HLEN);

	if (!tag)
		return -1;
	c->off += MW_VLAN_HLEN;
	p->vid = fr16(tag) & MW_VLAN_VID_MASK;
	return fr16(tag + 2);
}

static __always_inline bool is_vlan(int proto)
{
	return proto == MW_ETH_P_8021Q || proto == MW_ETH_P_8021AD;
}

/*
 * Ethernet and up to two tags.  Returns the ethertype after the tags
 * (meaningless when n_vlans == 3) or -1 when the header or a tag is
 * truncated.  A single 802.1ad tag is counted as 1 | MW_TAGS_AD, so no
 * test for one tag takes it (with more tags the frame is dropped anyway).
 */
static __always_inline int parse_l2(struct mw_cursor *c, struct mw_xpkt *p)
{
	int proto = parse_eth(c);

	if (proto < 0 || !is_vlan(proto))
		return proto;
	p->n_vlans = proto == MW_ETH_P_8021AD ? 1 | MW_TAGS_AD : 1;
	proto = parse_vlan(c, p);
	if (proto < 0 || !is_vlan(proto))
		return proto;
	proto = parse_vlan(c, p);
	p->n_vlans = 2;
	if (proto >= 0 && is_vlan(proto))
		p->n_vlans = 3;		/* not parsed further */
	return proto;
}

/*
 * ARP for Ethernet/IPv4: 28 bytes, htype 1, ptype 0x0800, hlen 6, plen 4.
 * Records the sender protocol address as the source.  Returns 0 or -1.
 */
static __always_inline int parse_arp(struct mw_cursor *c, struct mw_xpkt *p)
{
	__u8 *a = cur_ptr(c, c->off, MW_ARP_LEN), *eth = cur_ptr(c, 0, 12);

	if (!a || !eth)
		return -1;
	if (fr16(a) != 1 || fr16(a + 2) != MW_ETH_P_IP || a[4] != 6 ||
	    a[5] != 4)
		return -1;
	__builtin_memcpy(p->fk.src, a + MW_ARP_SPA_OFF, 4);
	p->arp_ok = 1;
	p->arp_sha_ok = a[8] == eth[6] && a[9] == eth[7] && a[10] == eth[8] &&
			a[11] == eth[9] && a[12] == eth[10] && a[13] == eth[11];
	return 0;
}

/* What an IPv4 header gives the decision (ip: 20 bytes in the frame). */
static __always_inline void ipv4_fields(struct mw_xpkt *p, const __u8 *ip)
{
	p->fk.family = MW_AF_INET;
	p->fk.proto = ip[9];
	p->hop_limit = ip[8];
	fr_addr(p->fk.src, ip + 12, 4);
	fr_addr(p->fk.dst, ip + 16, 4);
}

/* TCP and UDP: ports, kept in network order for the flow key. */
static __always_inline void l4_ports(struct mw_xpkt *p, const __u8 *h)
{
	p->fk.sport = *(const __be16 *)h;
	p->fk.dport = *(const __be16 *)(h + 2);
	p->has_ports = 1;
}

/*
 * IPv4 options, walked by bpf_loop() over a copy (one verifier pass for
 * any option layout): see ipv4_options() in userspace/lib/pkt.c.
 */
struct mw_ipopts {
	__u8 b[64];		/* MW_IPV4_OPT_MAX used */
	__u32 o;		/* next option */
	__u32 n;		/* option bytes */
	int r;			/* 0, MW_R_MALFORMED or MW_R_SOURCE_ROUTE */
};

static long ipv4_opt_step(__u32 i, void *ctx)
{
	struct mw_ipopts *x = ctx;
	__u32 o = x->o, n = x->n, l;
	__u8 t;

	if (o >= n || o >= MW_IPV4_OPT_MAX)
		return 1;
	t = x->b[o];
	if (t == MW_IPOPT_END)
		return 1;
	if (t == MW_IPOPT_NOOP) {
		x->o = o + 1;
		return 0;
	}
	if (n - o < 2 || o + 1 >= MW_IPV4_OPT_MAX)
		goto bad;
	l = x->b[o + 1];
	if (l < 2 || l > n - o)
		goto bad;
	if (t == MW_IPOPT_LSRR || t == MW_IPOPT_SSRR) {
		if (l < 3 || o + 2 >= MW_IPV4_OPT_MAX)
			goto bad;
		if (x->b[o + 2] <= l) {		/* hops left */
			x->r = MW_R_SOURCE_ROUTE;
			return 1;
		}
	}
	x->o = o + l;
	return 0;
bad:
	x->r = MW_R_MALFORMED;
	return 1;
}

/*
 * Options of the IPv4 header at frame offset off, n bytes (4..40): 0 or
 * why not.  A global function: verified once for every way into it, and
 * only packets with options pay for it.
 */
__noinline int mw_ipv4_opts(struct xdp_md *ctx, __u32 off, __u32 n)
{
	struct mw_ipopts x = { .n = n };
	__u32 len;

	if (!ctx || n < 1 || n > MW_IPV4_OPT_MAX)
		return MW_R_MALFORMED;
	len = ((n - 1) & 0x3f) + 1;	/* = n, in bounds any verifier sees */
	if (bpf_xdp_load_bytes(ctx, off + MW_IPV4_HLEN, x.b, len))
		return MW_R_MALFORMED;
	bpf_loop(MW_IPV4_OPT_MAX, ipv4_opt_step, &x, 0);
	return x.r;
}

/*
 * IPv4.  Sets c->end to the end of the IP payload.  Returns the protocol;
 * p->fragment says whether L4 may be parsed.
 */
static __always_inline int parse_ipv4(struct mw_cursor *c, struct mw_xpkt *p)
{
	__u32 present = c->end - c->off, ihl, tot;
	__u8 *ip = cur_ptr(c, c->off, MW_IPV4_HLEN);
	__u16 frag;

	if (!ip || c->off + MW_IPV4_HLEN > c->end)
		goto malformed;
	ihl = (ip[0] & 0x0f) * 4;
	tot = fr16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < MW_IPV4_HLEN || ihl > present ||
	    tot < ihl || tot > present)
		goto malformed;
	frag = fr16(ip + 6);
	ipv4_fields(p, ip);
	if (ihl > MW_IPV4_HLEN &&
	    (p->err = mw_ipv4_opts(c->xdp, c->off, ihl - MW_IPV4_HLEN)))
		return -1;
	p->fragment = (frag & (MW_IP_MF | MW_IP_OFFMASK)) != 0;
	c->end = c->off + tot;
	c->off += ihl;
	return ip[9];
malformed:
	p->err = MW_R_MALFORMED;
	return -1;
}

static __always_inline bool is_exthdr(__u8 nh)
{
	return nh == MW_NH_HOPOPTS || nh == MW_NH_ROUTING ||
	       nh == MW_NH_DSTOPTS || nh == MW_NH_AUTH ||
	       nh == MW_NH_FRAGMENT;
}

/*
 * One IPv6 extension header `nh' at the cursor, the idx-th of the chain.
 * Returns the header after it.  A fragment header that is not atomic ends
 * the chain: p->fragment is set and its next header returned.
 */
static __always_inline int parse_exthdr(struct mw_cursor *c, struct mw_xpkt *p,
					__u8 nh, __u32 idx)
{
	__u32 hl;
	__u8 *h;

	if (nh == MW_NH_HOPOPTS && idx != 0)
		return -1;
	if (nh == MW_NH_FRAGMENT) {
		if (c->off + 8 > c->end || !(h = cur_ptr(c, c->off, 8)))
			return -1;
		c->off += 8;
		if (fr16(h + 2) & 0xfff9)	/* offset != 0 or M */
			p->fragment = 1;	/* ends the chain */
		return h[0];
	}
	/* 4 bytes: every such header has 8 or more (short: MALFORMED below) */
	if (c->off + 2 > c->end || !(h = cur_ptr(c, c->off, 4)))
		return -1;
	if (nh == MW_NH_AUTH)
		hl = ((__u32)h[1] + 2) * 4;
	else
		hl = ((__u32)h[1] + 1) * 8;
	if (c->off + hl > c->end)
		return -1;
	if (nh == MW_NH_ROUTING && h[3]) {	/* segments left */
		p->err = MW_R_SOURCE_ROUTE;
		return -1;
	}
	c->off += hl;
	return h[0];
}

/*
 * IPv6 and its extension chain.  Sets c->end to the end of the payload and
 * leaves the cursor at the upper-layer header.  Returns the final protocol,
 * or -1 with p->err = MW_R_MALFORMED or MW_R_EXTHDR.
 */
static __always_inline int parse_ipv6(struct mw_cursor *c, struct mw_xpkt *p)
{
	__u32 present = c->end - c->off, plen, i;
	__u8 *ip = cur_ptr(c, c->off, MW_IPV6_HLEN);
	int nh;

	p->err = MW_R_MALFORMED;
	if (!ip || c->off + MW_IPV6_HLEN > c->end)
		return -1;
	plen = fr16(ip + 4);
	if ((ip[0] >> 4) != 6 || plen == 0 || MW_IPV6_HLEN + plen > present)
		return -1;
	p->fk.family = MW_AF_INET6;
	p->hop_limit = ip[7];
	fr_addr(p->fk.src, ip + 8, 16);
	fr_addr(p->fk.dst, ip + 24, 16);
	c->off += MW_IPV6_HLEN;
	c->end = c->off + plen;
	nh = ip[6];

	for (i = 0; i < MW_MAX_EXTHDRS; i++) {
		if (!is_exthdr(nh))
			break;
		nh = parse_exthdr(c, p, nh, i);
		if (nh < 0)
			return -1;
		if (p->fragment)
			break;
	}
	if (!p->fragment && is_exthdr(nh)) {
		p->err = MW_R_EXTHDR;
		return -1;
	}
	p->err = 0;
	p->fk.proto = nh;
	return nh;
}

/*
 * Upper-layer header, bounded by the IP payload: TCP 20 bytes with a sane
 * data offset, UDP 8, ICMP/ICMPv6 8.  Other protocols are not parsed.
 * Returns 0 or -1.
 */
static __always_inline int parse_l4(struct mw_cursor *c, struct mw_xpkt *p,
				    __u8 proto)
{
	__u32 rem = c->end > c->off ? c->end - c->off : 0;
	__u8 *h;

	switch (proto) {
	case MW_P_TCP:
		if (rem < MW_TCP_HLEN || !(h = cur_ptr(c, c->off, MW_TCP_HLEN)))
			return -1;
		if ((h[12] >> 4) < 5 || (__u32)(h[12] >> 4) * 4 > rem)
			return -1;
		p->tcp_flags = h[13];
		break;
	case MW_P_UDP:
		if (rem < MW_UDP_HLEN || !(h = cur_ptr(c, c->off, MW_UDP_HLEN)))
			return -1;
		break;
	case MW_P_ICMP:
	case MW_P_ICMPV6:
		if (rem < MW_ICMP_HLEN ||
		    !(h = cur_ptr(c, c->off, MW_ICMP_HLEN)))
			return -1;
		p->icmp_type = h[0];
		return 0;
	default:
		return 0;
	}
	l4_ports(p, h);
	return 0;
}

/*
 * The common frame: untagged IPv4 without options, not a fragment, with
 * a whole TCP or UDP header.  Parsed at constant offsets, so every bound
 * is a constant.  Returns 1 with p and c set as parse_ip() sets them for
 * such a frame, or 0, having changed nothing, for any other frame (and
 * for every malformed one): parse_ip() then decides.
 */
static __always_inline int parse_ip4_plain(struct mw_cursor *c,
					   struct mw_xpkt *p)
{
	__u8 *ip = c->data + MW_ETH_HLEN, *h = ip + MW_IPV4_HLEN;
	__u32 tot, doff;

	if (p->n_vlans || (void *)(h + MW_UDP_HLEN) > c->data_end ||
	    ip[0] != 0x45)
		return 0;
	tot = fr16(ip + 2);
	if (tot < MW_IPV4_HLEN + MW_UDP_HLEN || tot > c->end - MW_ETH_HLEN ||
	    (fr16(ip + 6) & (MW_IP_MF | MW_IP_OFFMASK)))
		return 0;
	if (ip[9] == MW_P_TCP) {
		if (tot < MW_IPV4_HLEN + MW_TCP_HLEN ||
		    (void *)(h + MW_TCP_HLEN) > c->data_end)
			return 0;
		doff = h[12] >> 4;
		if (doff < 5 || doff * 4 > tot - MW_IPV4_HLEN)
			return 0;
		p->tcp_flags = h[13];
	} else if (ip[9] != MW_P_UDP) {
		return 0;
	}
	p->l3 = MW_L3_IP;
	ipv4_fields(p, ip);
	l4_ports(p, h);
	c->end = MW_ETH_HLEN + tot;
	c->off = MW_ETH_HLEN + MW_IPV4_HLEN;
	return 1;
}

/*
 * IPv4 or IPv6 at the cursor, then L4 unless it is a fragment.  Returns
 * the protocol or -1 with p->err set.
 */
static __always_inline int parse_ip(struct mw_cursor *c, struct mw_xpkt *p,
				    int ethertype)
{
	int proto;

	p->l3 = MW_L3_IP;
	if (ethertype == MW_ETH_P_IP)
		proto = parse_ipv4(c, p);
	else
		proto = parse_ipv6(c, p);
	if (proto < 0)
		return -1;
	if (!p->fragment && parse_l4(c, p, proto) < 0) {
		p->err = MW_R_MALFORMED;
		return -1;
	}
	return proto;
}

#endif /* MW_BPF_PARSE_H */
