/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attack corpus by technique: frames an attacker at the connection
 * point sends to get past the filter, built from the sources and
 * destinations a differential test knows (frames.h).  Each frame goes to
 * emit() with its technique's name, so a test can judge it in two
 * implementations and count what it ran by technique.
 *
 * Techniques (the classes of the penetration test of 2026-12):
 *   source-route   IPv4 LSRR/SSRR at every pointer position, behind
 *                  other options, malformed option lengths; IPv6 routing
 *                  headers of types 0, 2, 3, 4 with and without segments
 *                  left, behind other headers, before a fragment header
 *   icmp-control   redirects, router advertisements and solicitations,
 *                  router renumbering, with hop limits 255 and 64
 *   arp-poison     ARP whose sender hardware address is not the frame's
 *   nd-poison      NS/NA with foreign link-layer options, NAs for another
 *                  device's address, option lengths 0, too many options
 *   fake-reply     "replies" to low, zero and high ports with every odd
 *                  TCP flag combination, and to port-less protocols
 *   icmp-error     ICMP errors quoting allowed and forbidden packets, of
 *                  the wrong family, cut short, from every source
 */
#ifndef MW_TEST_ATTACKS_H
#define MW_TEST_ATTACKS_H

#include "frames.h"

struct attack_src {
	int family;
	const char *addr;
	const uint8_t *mac;
};

struct attack_ctx {
	const struct attack_src *srcs;	/* devices and unknown hosts */
	size_t n_srcs;
	const char *const *dst4;	/* smart-meter side addresses */
	const char *const *dst6;
	size_t n_dst;
	const uint16_t *ports;		/* conduit service ports */
	size_t n_ports;
	void (*emit)(const uint8_t *frame, size_t len, const char *technique,
		     void *arg);
	void *arg;
};

static const uint8_t attack_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x66, 0x66 };

static inline void attack_emit(const struct attack_ctx *a, struct fr *f,
			       const char *technique)
{
	if (!f->err)
		a->emit(f->buf, f->len, technique, a->arg);
}

/* Ethernet + IPv4 (opt_len option bytes from opt) + UDP to port 3610. */
static inline void attack_v4_opts(const struct attack_ctx *a,
				  const struct attack_src *s, const char *dst,
				  const uint8_t *opt, size_t n, size_t opt_len)
{
	uint8_t buf[FR_MAX];
	struct fr f;
	size_t ip;

	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, s->mac, FR_ETH_IPV4);
	ip = fr_ipv4(&f, s->addr, dst, 17, 64, 0, opt_len);
	fr_ipv4_opts(&f, ip, opt, n);
	fr_udp(&f, 40000, 3610, 4);
	fr_ipv4_end(&f, ip);
	attack_emit(a, &f, "source-route");
}

static inline void attack_source_route(const struct attack_ctx *a,
				       const struct attack_src *s,
				       const char *dst)
{
	static const uint8_t ptrs[] = { 0, 3, 4, 7, 8, 11, 12, 13, 255 };
	static const uint8_t types[] = { 0, 2, 3, 4 };
	static const uint8_t pre[][4] = {
		{ 1, 1, 1, 1 }, { 7, 3, 4, 0 }, { 148, 4, 0, 0 },
	};
	uint8_t opt[40], buf[FR_MAX];
	struct fr f;
	size_t i, k, ip;

	if (s->family == AF_INET) {
		for (k = 0; k < 2; k++)			/* LSRR, SSRR */
			for (i = 0; i < sizeof(ptrs); i++) {
				memset(opt, 0, sizeof(opt));
				opt[0] = k ? 137 : 131;
				opt[1] = 11;
				opt[2] = ptrs[i];
				attack_v4_opts(a, s, dst, opt, 11, 12);
			}
		for (i = 0; i < 3; i++) {		/* behind other options */
			memcpy(opt, pre[i], 4);
			opt[4] = 131;
			opt[5] = 7;
			opt[6] = 4;
			attack_v4_opts(a, s, dst, opt, 7 + 4, 12);
			opt[6] = 8;			/* exhausted */
			attack_v4_opts(a, s, dst, opt, 7 + 4, 12);
		}
		for (i = 0; i < 4; i++) {		/* bad lengths */
			static const uint8_t bad[][4] = {
				{ 131, 0, 4, 0 }, { 131, 1, 4, 0 },
				{ 131, 2, 4, 0 }, { 131, 200, 4, 0 },
			};
			attack_v4_opts(a, s, dst, bad[i], 4, 4);
		}
		return;
	}
	for (k = 0; k < sizeof(types); k++)
		for (i = 0; i < 3; i++) {
			size_t n;

			for (n = 0; n < 3; n++) {	/* alone, behind, +frag */
				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, s->mac, FR_ETH_IPV6);
				ip = fr_ipv6(&f, s->addr, dst, n == 1 ? 0 : 43,
					     64);
				if (n == 1)
					fr_ext(&f, 43, 0);
				fr_rthdr(&f, n == 2 ? 44 : 17, 2, types[k],
					 (uint8_t)i);
				if (n == 2)
					fr_frag6(&f, 17, 0, true, 9);
				fr_udp(&f, 40000, 3610, 4);
				fr_ipv6_end(&f, ip);
				attack_emit(a, &f, "source-route");
			}
		}
}

static inline void attack_icmp_control(const struct attack_ctx *a,
				       const struct attack_src *s,
				       const char *dst)
{
	static const uint8_t t4[] = { 5, 9, 10 }, t6[] = { 133, 134, 137, 138 };
	static const uint8_t hops[] = { 255, 64 };
	const uint8_t *t = s->family == AF_INET ? t4 : t6;
	size_t nt = s->family == AF_INET ? sizeof(t4) : sizeof(t6), i, h;
	uint8_t buf[FR_MAX];
	struct fr f;
	size_t ip;

	for (i = 0; i < nt; i++)
		for (h = 0; h < 2; h++) {
			fr_init(&f, buf, sizeof(buf));
			if (s->family == AF_INET) {
				fr_eth(&f, fr_mac_dst, s->mac, FR_ETH_IPV4);
				ip = fr_ipv4(&f, s->addr, dst, 1, hops[h], 0,
					     0);
				fr_icmp(&f, t[i], 0);
				fr_payload(&f, 28, 0);
				fr_ipv4_end(&f, ip);
			} else {
				fr_eth(&f, fr_mac_dst, s->mac, FR_ETH_IPV6);
				ip = fr_ipv6(&f, h ? s->addr : "fe80::66",
					     h ? dst : "ff02::1", 58, hops[h]);
				fr_icmp(&f, t[i], 0);
				fr_payload(&f, 32, 0);
				fr_ipv6_end(&f, ip);
			}
			attack_emit(a, &f, "icmp-control");
		}
}

static inline void attack_arp(const struct attack_ctx *a,
			      const struct attack_src *s, const char *dst)
{
	uint8_t buf[FR_MAX];
	struct fr f;
	int k;

	for (k = 0; k < 3; k++) {	/* SHA foreign; both foreign; both own */
		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, k == 1 ? attack_mac : s->mac,
		       FR_ETH_ARP);
		fr_arp(&f, (uint16_t)(k + 1 > 2 ? 2 : k + 1),
		       k == 2 ? s->mac : attack_mac, s->addr, fr_mac_dst, dst);
		attack_emit(a, &f, "arp-poison");
	}
}

/* One NS/NA: from src (link-local or a device), for target. */
static inline void attack_nd_one(const struct attack_ctx *a,
				 const uint8_t *smac, const char *src,
				 uint8_t type, const char *target,
				 const uint8_t *lladdr, int nonces, int zero)
{
	uint8_t buf[FR_MAX];
	struct fr f;
	size_t ip;
	int i;

	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, smac, FR_ETH_IPV6);
	ip = fr_ipv6(&f, src, type == 135 ? "ff02::1:ff00:1" : "ff02::1", 58,
		     255);
	fr_icmp(&f, type, 0);
	if (type == 136)
		f.buf[f.len - 4] = 0x60;	/* solicited, override */
	fr_nd_target(&f, target);
	for (i = 0; i < nonces; i++) {
		uint8_t *p = fr_put(&f, 8);

		if (p) {
			p[0] = 14;
			p[1] = zero ? 0 : 1;
		}
	}
	if (lladdr)
		fr_nd_lladdr(&f, type == 135 ? 1 : 2, lladdr);
	fr_ipv6_end(&f, ip);
	attack_emit(a, &f, "nd-poison");
}

static inline void attack_nd(const struct attack_ctx *a,
			     const struct attack_src *s)
{
	size_t t;

	for (t = 0; t < a->n_srcs; t++) {
		const struct attack_src *tg = &a->srcs[t];

		if (tg->family != AF_INET6)
			continue;
		/* NA for tg from s, from a link-local host; own/foreign MAC */
		attack_nd_one(a, s->mac, s->addr, 136, tg->addr, s->mac, 0, 0);
		attack_nd_one(a, s->mac, s->addr, 136, tg->addr, attack_mac,
			      0, 0);
		attack_nd_one(a, attack_mac, "fe80::66", 136, tg->addr,
			      attack_mac, 0, 0);
		attack_nd_one(a, attack_mac, "fe80::66", 136, tg->addr, NULL,
			      0, 0);
	}
	attack_nd_one(a, s->mac, s->addr, 135, a->dst6[0], s->mac, 0, 0);
	attack_nd_one(a, s->mac, s->addr, 135, a->dst6[0], attack_mac, 1, 0);
	attack_nd_one(a, s->mac, "fe80::66", 135, a->dst6[0], attack_mac, 0,
		      0);
	attack_nd_one(a, s->mac, "fe80::66", 135, a->dst6[0], s->mac, 16, 0);
	attack_nd_one(a, s->mac, "fe80::66", 135, a->dst6[0], NULL, 17, 0);
	attack_nd_one(a, s->mac, "fe80::66", 135, a->dst6[0], NULL, 1, 1);
	attack_nd_one(a, s->mac, "::", 135, a->dst6[0], NULL, 0, 0);
}

static inline void attack_fake_reply(const struct attack_ctx *a,
				     const struct attack_src *s,
				     const char *dst)
{
	static const uint16_t dports[] = { 0, 22, 1023, 1024, 40000, 65535 };
	static const uint8_t flags[] = {
		0x10, 0x12, 0x13, 0x16, 0x1a, 0x15, 0xff, 0x04, 0x11, 0x18,
		0x52, 0x32, 0x02, 0x00,
	};
	uint8_t buf[FR_MAX];
	struct fr f;
	size_t p, d, k, ip;
	int fam = s->family;

	for (p = 0; p < a->n_ports; p++)
		for (d = 0; d < sizeof(dports) / sizeof(dports[0]); d++) {
			for (k = 0; k <= sizeof(flags); k++) {
				fr_init(&f, buf, sizeof(buf));
				fr_eth(&f, fr_mac_dst, s->mac,
				       fam == AF_INET ? FR_ETH_IPV4 :
							FR_ETH_IPV6);
				ip = fam == AF_INET ?
				     fr_ipv4(&f, s->addr, dst,
					     k < sizeof(flags) ? 6 : 17, 64, 0,
					     0) :
				     fr_ipv6(&f, s->addr, dst,
					     k < sizeof(flags) ? 6 : 17, 64);
				if (k < sizeof(flags))
					fr_tcp(&f, a->ports[p], dports[d],
					       flags[k], 5);
				else
					fr_udp(&f, a->ports[p], dports[d], 4);
				if (fam == AF_INET)
					fr_ipv4_end(&f, ip);
				else
					fr_ipv6_end(&f, ip);
				attack_emit(a, &f, "fake-reply");
			}
		}
	for (k = 0; k < 3; k++) {	/* protocols without ports */
		static const uint8_t protos[] = { 47, 50, 132 };

		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, s->mac,
		       fam == AF_INET ? FR_ETH_IPV4 : FR_ETH_IPV6);
		ip = fam == AF_INET ? fr_ipv4(&f, s->addr, dst, protos[k], 64,
					      0, 0) :
				      fr_ipv6(&f, s->addr, dst, protos[k], 64);
		fr_payload(&f, 16, 0xcd);
		if (fam == AF_INET)
			fr_ipv4_end(&f, ip);
		else
			fr_ipv6_end(&f, ip);
		attack_emit(a, &f, "fake-reply");
	}
}

/* ICMP errors from s quoting packets between dst and every source. */
static inline void attack_icmp_error(const struct attack_ctx *a,
				     const struct attack_src *s,
				     const char *dst)
{
	static const uint8_t t4[] = { 3, 11, 12 }, t6[] = { 1, 2, 3, 4 };
	uint8_t buf[FR_MAX];
	struct fr f;
	size_t q, p, k, ip;
	int fam = s->family, dir, cut;

	for (q = 0; q < a->n_srcs; q++) {
		const struct attack_src *qs = &a->srcs[q];

		if (qs->family != fam)
			continue;
		for (p = 0; p < a->n_ports; p++)
			for (dir = 0; dir < 2; dir++)
				for (k = 0; k < 2; k++) {
					uint8_t type = fam == AF_INET ?
						       t4[(p + dir) % 3] :
						       t6[(p + dir) % 4];

					fr_init(&f, buf, sizeof(buf));
					fr_eth(&f, fr_mac_dst, s->mac,
					       fam == AF_INET ? FR_ETH_IPV4 :
								FR_ETH_IPV6);
					ip = fam == AF_INET ?
					     fr_ipv4(&f, s->addr, dst, 1, 64,
						     0, 0) :
					     fr_ipv6(&f, s->addr, dst, 58, 64);
					fr_icmp(&f, type, 0);
					/* ours -> theirs, to the port or from it */
					fr_quote(&f, fam, dst, qs->addr,
						 k ? 17 : 6,
						 dir ? a->ports[p] : 40000,
						 dir ? 40000 : a->ports[p]);
					if (fam == AF_INET)
						fr_ipv4_end(&f, ip);
					else
						fr_ipv6_end(&f, ip);
					attack_emit(a, &f, "icmp-error");
				}
	}
	for (cut = 1; cut <= 9; cut += 4) {	/* quote cut short */
		fr_init(&f, buf, sizeof(buf));
		fr_eth(&f, fr_mac_dst, s->mac,
		       fam == AF_INET ? FR_ETH_IPV4 : FR_ETH_IPV6);
		ip = fam == AF_INET ? fr_ipv4(&f, s->addr, dst, 1, 64, 0, 0) :
				      fr_ipv6(&f, s->addr, dst, 58, 64);
		fr_icmp(&f, fam == AF_INET ? 3 : 2, 0);
		fr_quote(&f, fam, dst, s->addr, 6, a->ports[0], 40000);
		f.len -= (size_t)cut;
		if (fam == AF_INET)
			fr_ipv4_end(&f, ip);
		else
			fr_ipv6_end(&f, ip);
		attack_emit(a, &f, "icmp-error");
	}
}

/* Every technique from every source to the first destinations. */
static inline void attacks(const struct attack_ctx *a)
{
	size_t i, d;

	for (i = 0; i < a->n_srcs; i++) {
		const struct attack_src *s = &a->srcs[i];

		for (d = 0; d < a->n_dst && d < 2; d++) {
			const char *dst = s->family == AF_INET ? a->dst4[d] :
								 a->dst6[d];

			attack_source_route(a, s, dst);
			attack_icmp_control(a, s, dst);
			attack_fake_reply(a, s, dst);
			attack_icmp_error(a, s, dst);
			if (s->family == AF_INET)
				attack_arp(a, s, dst);
		}
		if (s->family == AF_INET6)
			attack_nd(a, s);
	}
}

#endif /* MW_TEST_ATTACKS_H */
