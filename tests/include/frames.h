/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small frame builder for tests: Ethernet, VLAN tags, ARP, IPv4 (with
 * options and fragments), IPv6 (with extension chains), TCP, UDP, ICMP,
 * ICMPv6 / ND.  Self-contained: static inline functions appending to a
 * caller buffer.  Typical use:
 *
 *	uint8_t buf[FR_MAX];
 *	struct fr f;
 *	size_t ip;
 *
 *	fr_init(&f, buf, sizeof(buf));
 *	fr_eth(&f, fr_mac_dst, fr_mac_src, FR_ETH_IPV4);
 *	ip = fr_ipv4(&f, "198.51.100.10", "10.0.0.1", 17, 64, 0, 0);
 *	fr_udp(&f, 40000, 3610);
 *	fr_ipv4_end(&f, ip);
 *
 * Lengths are patched by fr_ipv4_end / fr_ipv6_end; to build inconsistent
 * frames, change f.len or the bytes afterwards.  Overflowing the buffer
 * sets f.err and writes nothing further.
 */
#ifndef MW_TEST_FRAMES_H
#define MW_TEST_FRAMES_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FR_MAX			2048
#define FR_ETH_IPV4		0x0800
#define FR_ETH_ARP		0x0806
#define FR_ETH_IPV6		0x86dd
#define FR_ETH_8021Q		0x8100
#define FR_ETH_8021AD		0x88a8

#define FR_TCP_FIN		0x01
#define FR_TCP_SYN		0x02
#define FR_TCP_RST		0x04
#define FR_TCP_PSH		0x08
#define FR_TCP_ACK		0x10

/* IPv4 fragment field (flags + offset in 8-byte units) */
#define FR_IP_DF		0x4000
#define FR_IP_MF		0x2000

struct fr {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool err;
};

static const uint8_t fr_mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xfe };
static const uint8_t fr_mac_src[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

static inline void fr_init(struct fr *f, uint8_t *buf, size_t cap)
{
	f->buf = buf;
	f->cap = cap;
	f->len = 0;
	f->err = false;
	memset(buf, 0, cap);
}

/* Reserve n bytes at the end; NULL (and f->err) if they do not fit. */
static inline uint8_t *fr_put(struct fr *f, size_t n)
{
	uint8_t *p;

	if (f->err || f->len + n > f->cap) {
		f->err = true;
		return NULL;
	}
	p = f->buf + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

static inline void fr_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void fr_be32(uint8_t *p, uint32_t v)
{
	fr_be16(p, (uint16_t)(v >> 16));
	fr_be16(p + 2, (uint16_t)v);
}

/* "02:00:5e:10:00:01" -> 6 bytes; 0 or -1 */
static inline int fr_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* Address text -> bytes (4 or 16); 0 or -1 */
static inline int fr_addr(const char *s, int family, uint8_t *out)
{
	return inet_pton(family, s, out) == 1 ? 0 : -1;
}

static inline void fr_eth(struct fr *f, const uint8_t dst[6],
			  const uint8_t src[6], uint16_t type)
{
	uint8_t *p = fr_put(f, 14);

	if (!p)
		return;
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	fr_be16(p + 12, type);
}

/* A tag (the previous type field must be a TPID): TCI, then next type. */
static inline void fr_tag(struct fr *f, uint16_t vid, uint8_t pcp,
			  uint16_t next_type)
{
	uint8_t *p = fr_put(f, 4);

	if (!p)
		return;
	fr_be16(p, (uint16_t)((pcp & 7) << 13 | (vid & 0x0fff)));
	fr_be16(p + 2, next_type);
}

/* ARP for IPv4 over Ethernet. op: 1 request, 2 reply. */
static inline void fr_arp(struct fr *f, uint16_t op, const uint8_t sha[6],
			  const char *spa, const uint8_t tha[6],
			  const char *tpa)
{
	uint8_t *p = fr_put(f, 28);

	if (!p)
		return;
	fr_be16(p, 1);
	fr_be16(p + 2, FR_ETH_IPV4);
	p[4] = 6;
	p[5] = 4;
	fr_be16(p + 6, op);
	memcpy(p + 8, sha, 6);
	fr_addr(spa, AF_INET, p + 14);
	memcpy(p + 18, tha, 6);
	fr_addr(tpa, AF_INET, p + 24);
}

static inline uint16_t fr_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * IPv4 header with opt_len bytes of options (a multiple of 4, NOPs and an
 * EOL); frag = flags | offset in 8-byte units.  Returns the header's
 * offset for fr_ipv4_end().
 */
static inline size_t fr_ipv4(struct fr *f, const char *src, const char *dst,
			     uint8_t proto, uint8_t ttl, uint16_t frag,
			     size_t opt_len)
{
	size_t off = f->len;
	uint8_t *p = fr_put(f, 20 + opt_len);

	if (!p)
		return off;
	p[0] = (uint8_t)(0x40 | ((20 + opt_len) / 4));
	fr_be16(p + 4, 0x1234);
	fr_be16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	fr_addr(src, AF_INET, p + 12);
	fr_addr(dst, AF_INET, p + 16);
	if (opt_len) {
		memset(p + 20, 1, opt_len);	/* NOP */
		p[20 + opt_len - 1] = 0;	/* EOL */
	}
	return off;
}

/* Total length = everything after the header's start; checksum. */
static inline void fr_ipv4_end(struct fr *f, size_t off)
{
	uint8_t *p = f->buf + off;
	size_t ihl;

	if (f->err)
		return;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	fr_be16(p + 2, (uint16_t)(f->len - off));
	fr_be16(p + 10, 0);
	fr_be16(p + 10, fr_csum(p, ihl));
}

/* IPv6 header; returns its offset for fr_ipv6_end(). */
static inline size_t fr_ipv6(struct fr *f, const char *src, const char *dst,
			     uint8_t next, uint8_t hlim)
{
	size_t off = f->len;
	uint8_t *p = fr_put(f, 40);

	if (!p)
		return off;
	p[0] = 0x60;
	p[6] = next;
	p[7] = hlim;
	fr_addr(src, AF_INET6, p + 8);
	fr_addr(dst, AF_INET6, p + 24);
	return off;
}

static inline void fr_ipv6_end(struct fr *f, size_t off)
{
	if (f->err)
		return;
	fr_be16(f->buf + off + 4, (uint16_t)(f->len - off - 40));
}

/* Hop-by-hop (0), routing (43), destination options (60): (hdrlen+1)*8. */
static inline void fr_ext(struct fr *f, uint8_t next, uint8_t hdrlen)
{
	size_t n = ((size_t)hdrlen + 1) * 8;
	uint8_t *p = fr_put(f, n);

	if (!p)
		return;
	p[0] = next;
	p[1] = hdrlen;
	if (n > 2)
		p[2] = 1;	/* PadN */
	if (n > 3)
		p[3] = (uint8_t)(n - 4);
}

/*
 * Routing header (43), (hdrlen+1)*8 bytes: routing type, segments left
 * (> 0: the destination is not the last hop; 0: the route is done).
 */
static inline void fr_rthdr(struct fr *f, uint8_t next, uint8_t hdrlen,
			    uint8_t type, uint8_t segleft)
{
	uint8_t *p = fr_put(f, ((size_t)hdrlen + 1) * 8);

	if (!p)
		return;
	p[0] = next;
	p[1] = hdrlen;
	p[2] = type;
	p[3] = segleft;
}

/*
 * Replace the options of the IPv4 header at off (built with opt_len >= n)
 * by n bytes of opt, then EOLs; fr_ipv4_end() redoes the checksum.
 */
static inline void fr_ipv4_opts(struct fr *f, size_t off, const uint8_t *opt,
				size_t n)
{
	uint8_t *p = f->buf + off;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;

	if (f->err || 20 + n > ihl)
		return;
	memset(p + 20, 0, ihl - 20);
	memcpy(p + 20, opt, n);
}

/* Authentication header (51): (len+2)*4 bytes. */
static inline void fr_ah(struct fr *f, uint8_t next, uint8_t len)
{
	uint8_t *p = fr_put(f, ((size_t)len + 2) * 4);

	if (!p)
		return;
	p[0] = next;
	p[1] = len;
	fr_be32(p + 4, 0x100);	/* SPI */
}

/* Fragment header (44): offset in 8-byte units, more = M flag. */
static inline void fr_frag6(struct fr *f, uint8_t next, uint16_t offset,
			    bool more, uint32_t id)
{
	uint8_t *p = fr_put(f, 8);

	if (!p)
		return;
	p[0] = next;
	fr_be16(p + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	fr_be32(p + 4, id);
}

/* TCP header; doff in 32-bit words (5 = no options). */
static inline void fr_tcp(struct fr *f, uint16_t sport, uint16_t dport,
			  uint8_t flags, uint8_t doff)
{
	size_t n = doff >= 5 ? (size_t)doff * 4 : 20;
	uint8_t *p = fr_put(f, n);

	if (!p)
		return;
	fr_be16(p, sport);
	fr_be16(p + 2, dport);
	fr_be32(p + 4, 1000);
	p[12] = (uint8_t)(doff << 4);
	p[13] = flags;
	fr_be16(p + 14, 65535);
	if (n > 20)
		memset(p + 20, 1, n - 20);	/* NOP options */
}

static inline void fr_udp(struct fr *f, uint16_t sport, uint16_t dport,
			  size_t payload)
{
	uint8_t *p = fr_put(f, 8 + payload);

	if (!p)
		return;
	fr_be16(p, sport);
	fr_be16(p + 2, dport);
	fr_be16(p + 4, (uint16_t)(8 + payload));
}

/* ICMP or ICMPv6: type, code, checksum 0, 4 more bytes. */
static inline void fr_icmp(struct fr *f, uint8_t type, uint8_t code)
{
	uint8_t *p = fr_put(f, 8);

	if (!p)
		return;
	p[0] = type;
	p[1] = code;
}

/* ND neighbour solicitation body after fr_icmp(135): target address. */
static inline void fr_nd_target(struct fr *f, const char *target)
{
	uint8_t *p = fr_put(f, 16);

	if (p)
		fr_addr(target, AF_INET6, p);
}

/* ND option with a link-layer address: type 1 (source) or 2 (target). */
static inline void fr_nd_lladdr(struct fr *f, uint8_t type,
				const uint8_t mac[6])
{
	uint8_t *p = fr_put(f, 8);

	if (!p)
		return;
	p[0] = type;
	p[1] = 1;	/* 8 bytes */
	memcpy(p + 2, mac, 6);
}

/*
 * What an ICMP error quotes after fr_icmp(): an IP header (IPv4 without
 * options, or IPv6) from src to dst, then 8 bytes of TCP or UDP.
 */
static inline void fr_quote(struct fr *f, int family, const char *src,
			    const char *dst, uint8_t proto, uint16_t sport,
			    uint16_t dport)
{
	size_t hl = family == AF_INET ? 20 : 40;
	uint8_t *p = fr_put(f, hl + 8);

	if (!p)
		return;
	if (family == AF_INET) {
		p[0] = 0x45;
		fr_be16(p + 2, 20 + 8 + 100);	/* the original was longer */
		p[8] = 64;
		p[9] = proto;
		fr_addr(src, AF_INET, p + 12);
		fr_addr(dst, AF_INET, p + 16);
	} else {
		p[0] = 0x60;
		fr_be16(p + 4, 8 + 100);
		p[6] = proto;
		p[7] = 64;
		fr_addr(src, AF_INET6, p + 8);
		fr_addr(dst, AF_INET6, p + 24);
	}
	fr_be16(p + hl, sport);
	fr_be16(p + hl + 2, dport);
}

static inline void fr_payload(struct fr *f, size_t n, uint8_t fill)
{
	uint8_t *p = fr_put(f, n);

	if (p)
		memset(p, fill, n);
}

/*
 * A frame by its fields, the one frame-spec of the differential tests
 * (XDP and the module): Ethernet with tags, IPv4 (options, fragment
 * field) or IPv6, then TCP, UDP, ICMP / ICMPv6 or an unparsed protocol,
 * then payload bytes.  Zero fields take defaults: TTL / hop limit 64, the
 * test MACs, an outer tag of 802.1Q.
 */
struct fr_spec {
	int family;		/* AF_INET, AF_INET6 */
	const char *src, *dst;
	const uint8_t *smac;	/* NULL: fr_mac_src */
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;		/* TCP flags */
	uint8_t type;		/* ICMP / ICMPv6 type */
	uint8_t ttl;
	uint16_t frag;		/* IPv4 flags and fragment offset */
	size_t opts;		/* IPv4 option bytes */
	int tags;		/* VLAN tags; the inner ones 802.1Q */
	uint16_t tpid;		/* the outer tag's; 0: 802.1Q */
	uint16_t vid;
	size_t payload;		/* bytes of FR_SPEC_FILL */
};

#define FR_SPEC_FILL	0xab

/* Build s into buf (FR_MAX bytes): its length, 0 on overflow. */
static inline size_t fr_build(const struct fr_spec *s, uint8_t *buf)
{
	uint16_t et = s->family == AF_INET ? FR_ETH_IPV4 : FR_ETH_IPV6;
	struct fr f;
	size_t ip;
	int t;

	fr_init(&f, buf, FR_MAX);
	fr_eth(&f, fr_mac_dst, s->smac ? s->smac : fr_mac_src,
	       s->tags ? (s->tpid ? s->tpid : FR_ETH_8021Q) : et);
	for (t = 0; t < s->tags; t++)
		fr_tag(&f, s->vid, 0, t + 1 < s->tags ? FR_ETH_8021Q : et);
	if (s->family == AF_INET)
		ip = fr_ipv4(&f, s->src, s->dst, s->proto, s->ttl ? s->ttl : 64,
			     s->frag, s->opts);
	else
		ip = fr_ipv6(&f, s->src, s->dst, s->proto,
			     s->ttl ? s->ttl : 64);
	if (s->proto == IPPROTO_TCP)
		fr_tcp(&f, s->sport, s->dport, s->flags, 5);
	else if (s->proto == IPPROTO_UDP)
		fr_udp(&f, s->sport, s->dport, 0);
	else if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)
		fr_icmp(&f, s->type, 0);
	fr_payload(&f, s->payload, FR_SPEC_FILL);
	if (s->family == AF_INET)
		fr_ipv4_end(&f, ip);
	else
		fr_ipv6_end(&f, ip);
	return f.err ? 0 : f.len;
}

#endif /* MW_TEST_FRAMES_H */
