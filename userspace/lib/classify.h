/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The reference classifier: the oracle.  It implements the decision model
 * documented in include/uapi/linux/meterwall.h over a compiled image, and
 * must agree with the XDP program and the kernel module on every packet,
 * malformed ones included.
 */
#ifndef MW_CLASSIFY_H
#define MW_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>

#include "image.h"

/* Layer-2 control the datapath treats specially. */
enum mw_l2 {
	MW_L2_NONE_CTRL = 0,	/* ordinary IP traffic */
	MW_L2_ARP,
	MW_L2_ND,		/* ICMPv6 133..137 with hop limit 255 */
};

/*
 * The packet an ICMP error quotes (destination unreachable, packet too
 * big, time exceeded, parameter problem): its addresses and ports, when
 * the quote holds a whole IP header of the error's family and the first
 * 8 bytes of a TCP or UDP header of an unfragmented packet.
 */
struct mw_quote {
	bool ok;
	uint8_t proto;			/* TCP or UDP */
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport;		/* host order */
};

/* A parsed packet.  Produced by mw_pkt_parse() or filled by hand. */
struct mw_pkt {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	uint8_t n_vlans;		/* tags seen (capped at MW_MAX_VLAN_TAGS + 1) */
	uint16_t vlan[MW_MAX_VLAN_TAGS];	/* VIDs, outermost first */
	bool tag_8021ad;		/* one of the tags is 802.1ad (0x88a8) */
	uint16_t ethertype;		/* after the tags, host order */
	enum mw_reason parse_error;	/* MW_R_UNSPEC if it parsed */
	enum mw_l2 l2;
	uint8_t family;			/* AF_INET / AF_INET6; 0 for ARP etc. */
	uint8_t src[16];		/* for ARP: sender protocol address */
	uint8_t dst[16];
	uint8_t proto;			/* final L4 protocol */
	bool fragment;			/* L4 fields unknown */
	bool has_ports;			/* TCP/UDP header present */
	uint16_t sport, dport;		/* host order */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	uint8_t hop_limit;		/* TTL / hop limit */
	uint32_t len;			/* frame length in bytes */
	uint32_t ip_len;		/* IP length (v4 total, v6 payload + 40);
					 * 0 before the IP header */
	uint8_t arp_sha[6];		/* ARP: sender hardware address */
	/* ND (NS/NA): target address, source/target link-layer option */
	uint8_t nd_target[16];
	bool nd_has_lladdr;
	uint8_t nd_lladdr[6];
	struct mw_quote quote;		/* ICMP errors */
};

/*
 * Parse an Ethernet frame exactly as the datapath does.  Always returns a
 * filled pkt; parse_error says why the datapath would drop it unparsed.
 */
void mw_pkt_parse(const uint8_t *frame, size_t len, struct mw_pkt *p);

/* Runtime state that is not in the image. */
/* Rate limit state of one system (the GCRA of the uapi header). */
struct mw_rate {
	uint64_t tat_pkt;		/* theoretical arrival times, boot ns */
	uint64_t tat_bit;
};

/*
 * What the decision needs besides the packet, on the datapaths' time base
 * (include/uapi/linux/meterwall.h, "Time base").
 */
struct mw_runtime {
	bool island;
	int64_t boot_ns;		/* CLOCK_BOOTTIME ns: blocks, rate limits */
	int64_t boot_to_unix_ns;	/* + boot_ns: windows, valid_from */
	int64_t boot_to_unix_max_ns;	/* + boot_ns: agreement and policy
					 * expires */
	const struct mw_block *sys_blocks;	/* indexed by system id, or NULL */
	size_t n_sys_blocks;
	const struct mw_block *dev_blocks;	/* indexed by device id, or NULL */
	size_t n_dev_blocks;
	struct mw_rate *sys_rate;	/* indexed by system id, updated by
					 * mw_classify; NULL: limits not applied */
	size_t n_sys_rate;
};

struct mw_result {
	enum mw_verdict verdict;
	enum mw_reason reason;
	enum mw_direction dir;
	uint32_t system;		/* MW_ID_NONE when not known */
	uint32_t device;
	uint32_t conduit;
	int rule;			/* index in the conduit set, or -1 */
};

/*
 * Judge pkt on the external interface iface_id (an image interface id) in
 * direction dir: MW_DIR_INBOUND = arrived from the external side (XDP),
 * MW_DIR_OUTBOUND = leaves by it from the smart-meter side (kmod).  v may
 * be NULL: no policy loaded; rt may be NULL: no island, no blocks, time 0.
 */
void mw_classify(const struct mw_image_view *v, const struct mw_runtime *rt,
		 uint32_t iface_id, enum mw_direction dir,
		 const struct mw_pkt *pkt, struct mw_result *res);

/* Device owning addr (exact, then longest prefix); MW_ID_NONE if none. */
uint32_t mw_lookup_device(const struct mw_image_view *v, uint8_t family,
			  const uint8_t *addr);
/* Zone mask of addr (longest prefix); 0 if in no zone. */
uint64_t mw_lookup_zones(const struct mw_image_view *v, uint8_t family,
			 const uint8_t *addr);

const char *mw_reason_name(enum mw_reason r);	/* "NO_CONDUIT" */
const char *mw_verdict_name(enum mw_verdict v);	/* "PASS" / "DROP" */
/* Window w (id + 1, 0 = always) of v holds unix second now_s. */
bool mw_window_open(const struct mw_image_view *v, uint16_t w, int64_t now_s);
/* "tcp", "udp", "icmp", "icmpv6", "any" (MW_ANY_PROTO), else the number
 * in buf; returns the name. */
#define MW_PROTO_LEN	8
const char *mw_proto_name(uint8_t proto, char buf[MW_PROTO_LEN]);

#endif /* MW_CLASSIFY_H */
