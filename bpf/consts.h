/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build-time limits and wire constants of the XDP program.  Every limit is
 * #ifndef-guarded so a build (or a test) can override it with -D.
 * vmlinux.h carries no #defines, so the protocol numbers live here too.
 */
#ifndef MW_BPF_CONSTS_H
#define MW_BPF_CONSTS_H

/*
 * Largest header offset the parsers will compute.  Frames of a non-frags
 * XDP program are at most one page, so any offset past this is past
 * data_end anyway; the clamp only gives the verifier a bound.
 */
#ifndef MW_PKT_MAX_OFF
#define MW_PKT_MAX_OFF		0x3fff
#endif

#ifndef MW_RINGBUF_BYTES
#define MW_RINGBUF_BYTES	(256 * 1024)
#endif

#define MW_NSEC_PER_SEC		1000000000ULL
#define MW_NSEC_PER_MIN		(60ULL * MW_NSEC_PER_SEC)

/* Ethernet */
#define MW_ETH_HLEN		14
#define MW_VLAN_HLEN		4
#define MW_ETH_P_IP		0x0800
#define MW_ETH_P_ARP		0x0806
#define MW_ETH_P_8021Q		0x8100
#define MW_ETH_P_8021AD		0x88a8
#define MW_ETH_P_IPV6		0x86dd
#define MW_VLAN_VID_MASK	0x0fff

/* ARP body for Ethernet/IPv4 */
#define MW_ARP_LEN		28
#define MW_ARP_SPA_OFF		14

/* IP */
#define MW_AF_INET		2
#define MW_AF_INET6		10
#define MW_IPV4_HLEN		20
#define MW_IPV6_HLEN		40
#define MW_IPV4_OPT_MAX		40	/* option bytes: IHL 15 */
#define MW_IP_MF		0x2000
#define MW_IP_OFFMASK		0x1fff

/* IPv6 next-header values the parser knows */
#define MW_NH_HOPOPTS		0
#define MW_NH_ROUTING		43
#define MW_NH_FRAGMENT		44
#define MW_NH_ESP		50
#define MW_NH_AUTH		51
#define MW_NH_NONE		59
#define MW_NH_DSTOPTS		60

/* L4 */
#define MW_P_ICMP		1
#define MW_P_TCP		6
#define MW_P_UDP		17
#define MW_P_ICMPV6		58
#define MW_TCP_HLEN		20
#define MW_UDP_HLEN		8
#define MW_ICMP_HLEN		8
#define MW_TCP_FIN		0x01
#define MW_TCP_SYN		0x02
#define MW_TCP_RST		0x04
#define MW_TCP_PSH		0x08
#define MW_TCP_ACK		0x10
#define MW_TCP_URG		0x20
#define MW_ICMP_ECHOREPLY	0
#define MW_ICMPV6_ECHOREPLY	129
#define MW_ND_FIRST		133	/* router solicitation */
#define MW_ND_LAST		137	/* redirect */
#define MW_ND_HOPLIMIT		255

#endif /* MW_BPF_CONSTS_H */
