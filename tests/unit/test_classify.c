// SPDX-License-Identifier: GPL-2.0
/*
 * Reference classifier: table-driven cases, one cmocka test each.  Every
 * case builds a frame with frames.h, parses it with mw_pkt_parse() and
 * judges it with mw_classify() against one compiled test policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "classify.h"
#include <meterwall/reasons.h>
#include "image.h"
#include "policy.h"
#include "frames.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "policy_builder.h"

/* ---------------------------------------------------------------------- */
/* The test policy                                                        */

#define NOW_S		1767787200LL	/* Wednesday 2026-01-07 12:00 UTC */
#define NS		1000000000LL
#define GW1_MAC		"02:00:5e:10:00:01"	/* == fr_mac_src */

static struct mw_image g_img;
static struct mw_image_view g_v;

static void policy_hems(struct mw_policy *p)
{
	struct mw_system_spec *s = pb_system(p, "hems", "ext0");
	struct mw_conduit_spec *c;

	s->has_valid_from = true;
	s->valid_from = NOW_S - 86400 * 30;
	s->has_expires = true;
	s->expires = NOW_S + 86400 * 30;
	pb_mac(pb_device(s, "gw1", "198.51.100.10,2001:db8:100::10"), GW1_MAC);
	pb_device(s, "gw2", "198.51.100.11");
	pb_device(s, "net", "198.51.100.0/24");
	pb_conduit(s, "in-udp", MW_DIR_INBOUND, 17, "head-end", NULL, "3610");
	pb_conduit(s, "in-tcp", MW_DIR_INBOUND, 6, "hes-core", NULL,
		   "443,8000-8010");
	pb_conduit(s, "out-ssh", MW_DIR_OUTBOUND, 6, "meters", NULL, "22");
	pb_conduit(s, "in-icmp", MW_DIR_INBOUND, 1, "hes-core", NULL, NULL);
	pb_conduit(s, "out-ping", MW_DIR_OUTBOUND, 1, "head-end", NULL, NULL);
	pb_conduit(s, "in-v6", MW_DIR_INBOUND, 6, "mdm", NULL, "80");
	c = pb_conduit(s, "win", MW_DIR_INBOUND, 17, "meters", NULL, "5000");
	pb_window(c, 0x1f, 9 * 60, 17 * 60);	/* Mon-Fri 09:00-17:00 */
	pb_conduit(s, "out-udp", MW_DIR_OUTBOUND, 17, "meters", NULL, "161");
	pb_conduit(s, "in-icmpv6", MW_DIR_INBOUND, 58, "mdm", NULL, NULL);
	pb_conduit(s, "anon", MW_DIR_INBOUND, 17, NULL, "10.9.0.0/16", "9000");
	pb_conduit(s, "out-any", MW_DIR_OUTBOUND, MW_ANY_PROTO, "mdm", NULL,
		   NULL);
	pb_device(s, "gw3", "2001:db8:100::11");
}

static void policy_others(struct mw_policy *p)
{
	struct mw_system_spec *s;
	struct mw_device_spec *d;

	s = pb_system(p, "ems", "ext0");
	pb_conduit(s, "in-udp", MW_DIR_INBOUND, 17, "head-end", NULL, "3610");
	d = pb_device(s, "ems1", "203.0.113.5");
	pb_dconduit(d, "admin", MW_DIR_INBOUND, 6, NULL, NULL, "8443");
	pb_device(s, "ems2", "203.0.113.6");

	s = pb_system(p, "future", "ext0");
	s->has_valid_from = true;
	s->valid_from = NOW_S + 86400;
	pb_device(s, "fut1", "203.0.113.20");
	pb_conduit(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, NULL, NULL);

	s = pb_system(p, "expired", "ext0");
	s->has_expires = true;
	s->expires = NOW_S - 86400;
	pb_device(s, "exp1", "203.0.113.30");
	pb_conduit(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, NULL, NULL);

	s = pb_system(p, "metered", "ext0");
	s->limits.pps = 2;		/* a burst of 2 packets */
	pb_device(s, "met1", "203.0.113.40");
	pb_conduit(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, NULL, NULL);
	pb_conduit(s, "out", MW_DIR_OUTBOUND, 17, "meters", NULL, "161");

	s = pb_system(p, "metered-bits", "ext0");
	s->limits.bps = 8000;		/* 1000 bytes/s, a burst of 1000 */
	pb_device(s, "met2", "203.0.113.41");
	pb_conduit(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, NULL, NULL);

	s = pb_system(p, "remote", "ext1");
	pb_device(s, "rem1", "192.0.2.50,2001:db8:200::50");
	pb_conduit(s, "all", MW_DIR_INBOUND, MW_ANY_PROTO, NULL, NULL, NULL);
}

static struct mw_policy *test_policy(void)
{
	struct mw_policy *p = pb_new(7);
	struct mw_iface_spec *f;

	p->has_expires = true;
	p->expires = NOW_S + 86400 * 365;

	pb_iface(p, "ext0", MW_ZONE_EXTERNAL);
	f = pb_iface(p, "ext1", MW_ZONE_EXTERNAL);
	f->untagged = false;
	f->arp = MW_L2_ALL;
	f->nd = MW_L2_ALL;
	pb_vlan(f, 100);
	f = pb_iface(p, "ext2", MW_ZONE_EXTERNAL);
	f->arp = MW_L2_NONE;
	f->nd = MW_L2_NONE;
	pb_iface(p, "sm0", MW_ZONE_SMART_METER);
	pb_zone(p, "head-end", "10.0.0.0/8,2001:db8:10::/48");
	pb_zone(p, "hes-core", "10.1.0.0/16");
	pb_zone(p, "meters", "10.2.0.0/16");
	pb_zone(p, "mdm", "2001:db8:10:1::/64");
	policy_hems(p);
	policy_others(p);
	return p;
}

static int group_setup(void **state)
{
	struct mw_diag d;
	int err;

	err = pb_compile(test_policy(), NULL, &g_img, &g_v, &d);
	if (err)
		mw_diag_print(&d);
	return err;
}

static int group_teardown(void **state)
{
	mw_image_free(&g_img);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Cases                                                                  */

enum { L_V4 = 1, L_V6, L_ARP, L_RAW };

enum {				/* corruptions applied after building */
	M_NONE = 0,
	M_V4_VER,		/* version 5 */
	M_V4_IHL4,
	M_V4_IHL15,		/* IHL 60 bytes beyond the frame */
	M_V4_TOT_BIG,		/* total length > bytes present */
	M_V4_TOT_SMALL,		/* total length < IHL*4 */
	M_V6_VER,
	M_V6_PLEN0,
	M_V6_PLEN_BIG,
	M_TCP_DOFF4,
	M_TCP_DOFF15,
	M_ARP_HTYPE,
	M_ARP_PLEN,
};

enum {				/* runtime context */
	C_NOPOL = 1 << 0,
	C_BADIF = 1 << 1,
	C_ISLAND = 1 << 2,
	C_BLK_HEMS = 1 << 3,
	C_BLK_EMS = 1 << 4,
	C_BLK_GW1 = 1 << 5,
	C_BLK_GW1_PAST = 1 << 6,
	C_BLK_GW1_FUT = 1 << 7,
	C_BLK_GW1_OFF = 1 << 8,
	C_LATE = 1 << 9,
	C_BLK_REM = 1 << 10,
	C_RATE_SPENT = 1 << 11,	/* "metered" used its burst just now */
	C_POL_EXP = 1 << 12,	/* the expiry clock is past the policy's */
};

struct tc {
	const char *name;
	int l3;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t flags;		/* TCP flags, ICMP type, ARP op */
	uint8_t ttl;		/* 0 = 64 */
	uint16_t frag;		/* IPv4 fragment field */
	uint8_t opt;		/* IPv4 option bytes */
	uint8_t ext[10];	/* IPv6 extension chain */
	uint8_t n_ext;
	uint16_t f6_off;	/* fragment header: offset, M */
	bool f6_m;
	uint8_t doff;
	uint16_t ethertype;	/* L_RAW */
	uint8_t ntags;
	uint16_t tpid[3];	/* 0 = 802.1Q */
	uint16_t vid[3];
	const char *smac;
	int plcut;		/* keep this many bytes after the IP header
				 * (-1: none), lengths patched to match */
	int cut;		/* final frame length */
	int pad;
	int mut;
	const char *iface;	/* NULL = ext0 */
	const uint8_t *optb;	/* IPv4 option bytes (within .opt) */
	uint8_t n_optb;
	uint8_t rtype, segleft;	/* routing header (43) in .ext */
	const char *sha;	/* ARP sender hardware address (smac) */
	const char *target;	/* NS/NA target (gw1's address) */
	const char *lladdr;	/* NS/NA link-layer address option */
	const char *lladdr2;	/* a second one */
	uint8_t n_padopts;	/* NS/NA: this many nonce options first */
	int qfam;		/* ICMP error: quoted packet (AF_INET/6) */
	const char *qsrc, *qdst;
	uint8_t qproto;
	uint16_t qsport, qdport;
	int qcut;		/* drop this many bytes off the quote */
	enum mw_direction dir;
	int ctx;
	enum mw_reason r;	/* expected */
	const char *dev;
	const char *cdt;
};

#define IN4(s, d, pr, sp, dp, fl) \
	.l3 = L_V4, .src = s, .dst = d, .proto = pr, .sport = sp, \
	.dport = dp, .flags = fl
#define IN6(s, d, pr, sp, dp, fl) \
	.l3 = L_V6, .src = s, .dst = d, .proto = pr, .sport = sp, \
	.dport = dp, .flags = fl
#define ARP(s, d) .l3 = L_ARP, .src = s, .dst = d
#define OPTS(...) .optb = (const uint8_t[]){ __VA_ARGS__ }, \
	.n_optb = sizeof((uint8_t[]){ __VA_ARGS__ })
#define QUOTE(fam, s, d, pr, sp, dp) .qfam = fam, .qsrc = s, .qdst = d, \
	.qproto = pr, .qsport = sp, .qdport = dp
#define EXT(...) .ext = { __VA_ARGS__ }, \
	.n_ext = sizeof((uint8_t[]){ __VA_ARGS__ })
#define V100 .iface = "ext1", .ntags = 1, .vid = { 100 }
#define GW1 "198.51.100.10"
#define GW1v6 "2001:db8:100::10"
#define GW2 "198.51.100.11"
#define REM1 "192.0.2.50"
#define HES "10.1.0.5"
#define HE "10.5.5.5"
#define MTR "10.2.0.9"
#define MDM "2001:db8:10:1::5"
#define OUT .dir = MW_DIR_OUTBOUND
#define SYN FR_TCP_SYN
#define ACK FR_TCP_ACK
#define FIN FR_TCP_FIN
#define RST FR_TCP_RST
#define PSH FR_TCP_PSH
#define OTHER_MAC "02:00:5e:10:00:99"
#define GW3v6 "2001:db8:100::11"
#define MET1 "203.0.113.40"
#define MET2 "203.0.113.41"
#define HE6 "2001:db8:10:2::5"
#define LL "fe80::1"
#define SNM "ff02::1:ff00:10"

static const struct tc cases[] = {
	/* context */
	{ "no policy", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_NOPOL, .r = MW_R_NO_POLICY },
	{ "no policy, malformed", .l3 = L_RAW, .cut = 10, .ctx = C_NOPOL, .r = MW_R_NO_POLICY },
	{ "interface not in image", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_BADIF, .r = MW_R_NOT_MANAGED },
	{ "island", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_ISLAND, .r = MW_R_ISLAND },
	{ "island outbound", IN4(HE, GW1, 17, 3610, 40000, 0), OUT, .ctx = C_ISLAND, .r = MW_R_ISLAND },
	{ "island before malformed", .l3 = L_RAW, .cut = 10, .ctx = C_ISLAND, .r = MW_R_ISLAND },
	{ "island on ARP", ARP(GW1, HE), .ctx = C_ISLAND, .r = MW_R_ISLAND },
	{ "policy expired", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_POL_EXP, .r = MW_R_POLICY_EXPIRED },
	{ "policy expired outbound", IN4(HE, GW1, 17, 3610, 40000, 0), OUT, .ctx = C_POL_EXP, .r = MW_R_POLICY_EXPIRED },
	{ "policy expired before malformed", .l3 = L_RAW, .cut = 10, .ctx = C_POL_EXP, .r = MW_R_POLICY_EXPIRED },
	{ "policy expired on ARP", ARP(GW1, HE), .ctx = C_POL_EXP, .r = MW_R_POLICY_EXPIRED },
	{ "policy expired on a tagged frame", IN4(REM1, HES, 17, 40000, 3610, 0), V100, .ctx = C_POL_EXP, .r = MW_R_POLICY_EXPIRED },
	{ "island before policy expired", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_POL_EXP | C_ISLAND, .r = MW_R_ISLAND },
	{ "policy expiry: no effect on an unmanaged interface", IN4(GW1, HES, 17, 40000, 3610, 0), .ctx = C_POL_EXP | C_BADIF, .r = MW_R_NOT_MANAGED },

	/* rate limits (the GCRA itself: test_rate_limit) */
	{ "rate: within the limits", IN4(MET1, HE, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .dev = "met1", .cdt = "metered/all" },
	{ "rate: over the limits", IN4(MET1, HE, 17, 40000, 3610, 0), .ctx = C_RATE_SPENT, .r = MW_R_RATE_LIMIT, .dev = "met1" },
	{ "rate: a reply over the limits", IN4(MET1, MTR, 17, 161, 40000, 0), .ctx = C_RATE_SPENT, .r = MW_R_RATE_LIMIT, .dev = "met1" },
	{ "rate: outbound over the limits", IN4(MTR, MET1, 17, 40000, 161, 0), OUT, .ctx = C_RATE_SPENT, .r = MW_R_RATE_LIMIT, .dev = "met1" },
	{ "rate: another system is not limited", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_RATE_SPENT, .r = MW_R_ALLOWED, .dev = "gw1" },
	{ "rate: a drop comes first and is not charged", IN4(MET1, HE, 17, 40000, 3610, 0), .iface = "ext2", .ctx = C_RATE_SPENT, .r = MW_R_WRONG_IFACE },

	/* L2 */
	{ "ethernet 13 bytes", .l3 = L_RAW, .ethertype = 0x0800, .cut = 13, .r = MW_R_MALFORMED },
	{ "empty frame", .l3 = L_RAW, .cut = -1, .r = MW_R_MALFORMED },
	{ "802.1Q tag truncated", IN4(REM1, HES, 17, 1, 2, 0), V100, .cut = 16, .r = MW_R_MALFORMED },
	{ "tag truncated on ext0", IN4(GW1, HES, 17, 1, 2, 0), .ntags = 1, .vid = { 100 }, .cut = 17, .r = MW_R_MALFORMED },
	{ "second tag truncated", IN4(REM1, HES, 17, 1, 2, 0), .iface = "ext1", .ntags = 2, .tpid = { 0x88a8 }, .vid = { 100, 5 }, .cut = 20, .r = MW_R_MALFORMED },
	{ "untagged where not allowed", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .r = MW_R_VLAN },
	{ "single tag allowed", IN4(REM1, HES, 17, 40000, 3610, 0), V100, .r = MW_R_ALLOWED, .dev = "rem1", .cdt = "remote/all" },
	{ "single 802.1ad tag dropped (L14: only 802.1Q tags are accepted)", IN4(REM1, HES, 17, 40000, 3610, 0), V100, .tpid = { 0x88a8 }, .r = MW_R_VLAN },
	{ "tag with PCP bits allowed", IN4(REM1, HES, 6, 40000, 80, SYN), V100, .r = MW_R_ALLOWED, .dev = "rem1" },
	{ "single tag not in bitmap", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .ntags = 1, .vid = { 200 }, .r = MW_R_VLAN },
	{ "tag on untagged-only iface", IN4(GW1, HE, 17, 40000, 3610, 0), .ntags = 1, .vid = { 100 }, .r = MW_R_VLAN },
	{ "VID 0 tag on untagged iface", IN4(GW1, HE, 17, 40000, 3610, 0), .ntags = 1, .vid = { 0 }, .r = MW_R_VLAN },
	{ "QinQ 802.1ad + 802.1Q", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .ntags = 2, .tpid = { 0x88a8, 0x8100 }, .vid = { 100, 100 }, .r = MW_R_VLAN },
	{ "two 802.1Q tags", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .ntags = 2, .vid = { 100, 100 }, .r = MW_R_VLAN },
	{ "three tags", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .ntags = 3, .vid = { 100, 100, 100 }, .r = MW_R_VLAN },
	{ "three tags, third truncated", IN4(REM1, HES, 17, 40000, 3610, 0), .iface = "ext1", .ntags = 3, .vid = { 100, 100, 100 }, .cut = 23, .r = MW_R_VLAN },
	{ "VLAN before ARP", ARP(REM1, HE), .iface = "ext1", .r = MW_R_VLAN },
	{ "LLDP is non-IP", .l3 = L_RAW, .ethertype = 0x88cc, .r = MW_R_NON_IP },
	{ "IPX is non-IP", .l3 = L_RAW, .ethertype = 0x8137, .r = MW_R_NON_IP },
	{ "non-IP on a tagged iface", .l3 = L_RAW, .ethertype = 0x88cc, V100, .r = MW_R_NON_IP },
	{ "ethertype 0 is non-IP", .l3 = L_RAW, .ethertype = 0, .r = MW_R_NON_IP },

	/* ARP */
	{ "ARP from device", ARP(GW1, HE), .r = MW_R_L2_CONTROL, .dev = "gw1" },
	{ "ARP reply from device", ARP(GW2, HE), .flags = 2, .r = MW_R_L2_CONTROL, .dev = "gw2" },
	{ "ARP from prefix device", ARP("198.51.100.77", HE), .r = MW_R_L2_CONTROL, .dev = "net" },
	{ "ARP from unknown", ARP("192.0.2.99", HE), .r = MW_R_L2_DENIED },
	{ "ARP spoofed MAC", ARP(GW1, HE), .smac = "02:00:5e:10:00:99", .r = MW_R_SPOOFED, .dev = "gw1" },
	{ "ARP from other iface's device", ARP(REM1, HE), .r = MW_R_WRONG_IFACE, .dev = "rem1" },
	{ "ARP truncated", ARP(GW1, HE), .cut = 14 + 27, .r = MW_R_MALFORMED },
	{ "ARP bad htype", ARP(GW1, HE), .mut = M_ARP_HTYPE, .r = MW_R_MALFORMED },
	{ "ARP bad plen", ARP(GW1, HE), .mut = M_ARP_PLEN, .r = MW_R_MALFORMED },
	{ "ARP mode all, unknown", ARP("192.0.2.99", HE), V100, .r = MW_R_L2_CONTROL },
	{ "ARP mode all, malformed", ARP("192.0.2.99", HE), V100, .mut = M_ARP_HTYPE, .r = MW_R_L2_CONTROL },
	{ "ARP mode none", ARP(GW1, HE), .iface = "ext2", .r = MW_R_L2_DENIED },
	{ "ARP mode none, malformed", ARP(GW1, HE), .iface = "ext2", .cut = 20, .r = MW_R_L2_DENIED },
	{ "ARP from blocked device", ARP(GW1, HE), .ctx = C_BLK_GW1, .r = MW_R_BLOCKED, .dev = "gw1" },
	{ "ARP outside agreement", ARP("203.0.113.20", HE), .r = MW_R_AGREEMENT, .dev = "fut1" },

	/* IPv4 parse */
	{ "IPv4 19 bytes", IN4(GW1, HE, 17, 40000, 3610, 0), .cut = 14 + 19, .r = MW_R_MALFORMED },
	{ "IPv4 version 5", IN4(GW1, HE, 17, 40000, 3610, 0), .mut = M_V4_VER, .r = MW_R_MALFORMED },
	{ "IPv4 IHL 4", IN4(GW1, HE, 17, 40000, 3610, 0), .mut = M_V4_IHL4, .r = MW_R_MALFORMED },
	{ "IPv4 IHL beyond frame", IN4(GW1, HE, 17, 40000, 3610, 0), .mut = M_V4_IHL15, .r = MW_R_MALFORMED },
	{ "IPv4 total length > frame", IN4(GW1, HE, 17, 40000, 3610, 0), .mut = M_V4_TOT_BIG, .r = MW_R_MALFORMED },
	{ "IPv4 total length < IHL", IN4(GW1, HE, 17, 40000, 3610, 0), .mut = M_V4_TOT_SMALL, .r = MW_R_MALFORMED },
	{ "IPv4 frame cut in payload", IN4(GW1, HE, 17, 40000, 3610, 0), .cut = 14 + 20 + 6, .r = MW_R_MALFORMED },
	{ "IPv4 trailing padding", IN4(GW1, HE, 17, 40000, 3610, 0), .pad = 18, .r = MW_R_ALLOWED, .dev = "gw1", .cdt = "hems/in-udp" },
	{ "IPv4 options 8 bytes", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "IPv4 options 40 bytes", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 40, .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "UDP short", IN4(GW1, HE, 17, 40000, 3610, 0), .plcut = 7, .r = MW_R_MALFORMED },
	{ "UDP header only", IN4(GW1, HE, 17, 40000, 3610, 0), .plcut = 8, .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "UDP short, padded frame", IN4(GW1, HE, 17, 40000, 3610, 0), .plcut = 4, .pad = 20, .r = MW_R_MALFORMED },
	{ "TCP short", IN4(GW1, HES, 6, 40000, 443, SYN), .plcut = 19, .r = MW_R_MALFORMED },
	{ "TCP doff 4", IN4(GW1, HES, 6, 40000, 443, SYN), .mut = M_TCP_DOFF4, .r = MW_R_MALFORMED },
	{ "TCP doff beyond payload", IN4(GW1, HES, 6, 40000, 443, SYN), .mut = M_TCP_DOFF15, .r = MW_R_MALFORMED },
	{ "TCP with options", IN4(GW1, HES, 6, 40000, 443, SYN), .doff = 8, .r = MW_R_ALLOWED, .cdt = "hems/in-tcp" },
	{ "ICMP short", IN4(GW1, HES, 1, 0, 0, 8), .plcut = 7, .r = MW_R_MALFORMED },
	{ "ICMP echo request", IN4(GW1, HES, 1, 0, 0, 8), .r = MW_R_ALLOWED, .cdt = "hems/in-icmp" },
	{ "GRE not parsed, no conduit", IN4(GW1, HES, 47, 0, 0, 0), .plcut = 2, .r = MW_R_NO_CONDUIT },
	{ "GRE to any-proto conduit", IN4(REM1, HES, 47, 0, 0, 0), V100, .r = MW_R_ALLOWED, .cdt = "remote/all" },
	{ "SCTP short, not parsed", IN4(REM1, HES, 132, 0, 0, 0), V100, .plcut = 3, .r = MW_R_ALLOWED },

	/* IPv4 fragments */
	{ "v4 first fragment UDP", IN4(GW1, HE, 17, 40000, 3610, 0), .frag = FR_IP_MF, .r = MW_R_FRAGMENT, .dev = "gw1" },
	{ "v4 middle fragment", IN4(GW1, HE, 17, 40000, 3610, 0), .frag = FR_IP_MF | 100, .r = MW_R_FRAGMENT },
	{ "v4 last fragment", IN4(GW1, HE, 17, 40000, 3610, 0), .frag = 100, .r = MW_R_FRAGMENT },
	{ "v4 DF is no fragment", IN4(GW1, HE, 17, 40000, 3610, 0), .frag = FR_IP_DF, .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "v4 ICMP first fragment, port-less", IN4(GW1, HES, 1, 0, 0, 8), .frag = FR_IP_MF, .r = MW_R_ALLOWED, .cdt = "hems/in-icmp" },
	{ "v4 ICMP last fragment, port-less", IN4(GW1, HES, 1, 0, 0, 8), .frag = 50, .r = MW_R_ALLOWED, .cdt = "hems/in-icmp" },
	{ "v4 TCP fragment, any conduit", IN4(REM1, HES, 6, 1, 2, 0), V100, .frag = FR_IP_MF, .r = MW_R_ALLOWED, .cdt = "remote/all" },
	{ "v4 fragment unknown source", IN4("192.0.2.99", HE, 17, 1, 2, 0), .frag = FR_IP_MF, .r = MW_R_UNKNOWN_SOURCE },
	{ "v4 fragment, truncated L4 ignored", IN4(GW1, HE, 17, 40000, 3610, 0), .frag = FR_IP_MF, .plcut = 4, .r = MW_R_FRAGMENT },
	{ "v4 fragment of TCP reply", IN4(GW1, MTR, 6, 22, 40000, ACK), .frag = FR_IP_MF, .r = MW_R_FRAGMENT },

	/* IPv6 parse */
	{ "IPv6 39 bytes", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .cut = 14 + 39, .r = MW_R_MALFORMED },
	{ "IPv6 version 4", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .mut = M_V6_VER, .r = MW_R_MALFORMED },
	{ "IPv6 payload length 0", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .mut = M_V6_PLEN0, .r = MW_R_MALFORMED },
	{ "IPv6 payload beyond frame", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .mut = M_V6_PLEN_BIG, .r = MW_R_MALFORMED },
	{ "IPv6 trailing padding", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .pad = 6, .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "IPv6 TCP", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .r = MW_R_ALLOWED, .dev = "gw1", .cdt = "hems/in-v6" },
	{ "IPv6 UDP to nested zone", IN6(GW1v6, MDM, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "IPv6 HBH+DST+RT chain", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(0, 60, 43), .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "IPv6 AH", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(51), .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "IPv6 HBH not first", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(60, 0), .r = MW_R_MALFORMED },
	{ "IPv6 HBH truncated (1 byte)", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(0), .plcut = 1, .r = MW_R_MALFORMED },
	{ "IPv6 HBH truncated (7 bytes)", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(0), .plcut = 7, .r = MW_R_MALFORMED },
	{ "IPv6 routing truncated", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(0, 43), .plcut = 12, .r = MW_R_MALFORMED },
	{ "IPv6 dst options truncated", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(60), .plcut = 5, .r = MW_R_MALFORMED },
	{ "IPv6 AH truncated", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(51), .plcut = 10, .r = MW_R_MALFORMED },
	{ "IPv6 fragment hdr truncated", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(44), .plcut = 6, .r = MW_R_MALFORMED },
	{ "IPv6 8 ext headers", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(0, 60, 43, 60, 43, 51, 60, 60), .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "IPv6 9 ext headers", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(0, 60, 43, 60, 43, 51, 60, 60, 60), .r = MW_R_EXTHDR },
	{ "IPv6 9th header absent", IN6(GW1v6, MDM, 60, 0, 0, 0), EXT(0, 60, 43, 60, 43, 51, 60, 60), .plcut = 68, .r = MW_R_EXTHDR },
	{ "IPv6 no next header, any", IN6("2001:db8:200::50", MDM, 59, 0, 0, 0), V100, .r = MW_R_ALLOWED, .cdt = "remote/all" },
	{ "IPv6 no next header, no conduit", IN6(GW1v6, MDM, 59, 0, 0, 0), EXT(60), .r = MW_R_NO_CONDUIT },
	{ "IPv6 no next header, payload 0", IN6(GW1v6, MDM, 59, 0, 0, 0), .plcut = -1, .r = MW_R_MALFORMED },
	{ "IPv6 ESP ends chain", IN6(GW1v6, MDM, 50, 0, 0, 0), .r = MW_R_NO_CONDUIT },
	{ "IPv6 TCP short", IN6(GW1v6, MDM, 6, 40000, 80, SYN), .plcut = 10, .r = MW_R_MALFORMED },
	{ "IPv6 UDP short after ext", IN6(GW1v6, MDM, 17, 40000, 3610, 0), EXT(60), .plcut = 8 + 7, .r = MW_R_MALFORMED },
	{ "ICMPv6 short", IN6(GW1v6, MDM, 58, 0, 0, 128), .plcut = 4, .r = MW_R_MALFORMED },
	{ "ICMPv6 echo request", IN6(GW1v6, MDM, 58, 0, 0, 128), .r = MW_R_ALLOWED, .cdt = "hems/in-icmpv6" },

	/* IPv6 fragments */
	{ "v6 first fragment", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(44), .f6_m = true, .r = MW_R_FRAGMENT, .dev = "gw1" },
	{ "v6 middle fragment", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(44), .f6_off = 100, .f6_m = true, .r = MW_R_FRAGMENT },
	{ "v6 last fragment", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(44), .f6_off = 100, .r = MW_R_FRAGMENT },
	{ "v6 atomic fragment", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(44), .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "v6 atomic fragment after HBH", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(0, 44), .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "v6 ICMPv6 fragment, port-less", IN6(GW1v6, MDM, 58, 0, 0, 128), EXT(44), .f6_m = true, .r = MW_R_ALLOWED, .cdt = "hems/in-icmpv6" },
	{ "v6 fragment after routing", IN6(GW1v6, MDM, 17, 40000, 3610, 0), EXT(43, 44), .f6_off = 8, .r = MW_R_FRAGMENT },
	{ "v6 fragment, any conduit", IN6("2001:db8:200::50", MDM, 17, 1, 2, 0), V100, EXT(44), .f6_m = true, .r = MW_R_ALLOWED, .cdt = "remote/all" },
	{ "v6 fragment, truncated L4 ignored", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(44), .f6_m = true, .plcut = 8 + 3, .r = MW_R_FRAGMENT },

	/* neighbour discovery */
	{ "NS from device", IN6(GW1v6, "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, .r = MW_R_L2_CONTROL, .dev = "gw1" },
	{ "NS from link-local", IN6("fe80::1", "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, .r = MW_R_L2_CONTROL },
	{ "NS from unspecified", IN6("::", "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, .r = MW_R_L2_CONTROL },
	{ "RS from link-local", IN6("fe80::2", "ff02::2", 58, 0, 0, 133), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "NS from unknown", IN6("2001:db8:999::1", "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, .r = MW_R_L2_DENIED },
	{ "redirect from unknown", IN6("2001:db8:999::1", MDM, 58, 0, 0, 137), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "NA from device, spoofed", IN6(GW1v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .smac = "02:00:5e:10:00:99", .r = MW_R_SPOOFED },
	{ "NS from blocked device", IN6(GW1v6, "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, .ctx = C_BLK_GW1, .r = MW_R_BLOCKED },
	{ "NS from other iface's device", IN6("2001:db8:200::50", "ff02::1", 58, 0, 0, 135), .ttl = 255, .r = MW_R_WRONG_IFACE },
	{ "NS hop limit 64, link-local", IN6("fe80::1", "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 64, .r = MW_R_UNKNOWN_SOURCE },
	{ "NS hop limit 64 from device", IN6(GW1v6, MDM, 58, 0, 0, 135), .ttl = 64, .r = MW_R_ALLOWED, .cdt = "hems/in-icmpv6" },
	{ "ND mode all", IN6("2001:db8:999::1", "ff02::1", 58, 0, 0, 135), .ttl = 255, V100, .r = MW_R_L2_CONTROL },
	{ "ND mode none", IN6("fe80::1", "ff02::1", 58, 0, 0, 135), .ttl = 255, .iface = "ext2", .r = MW_R_L2_DENIED },
	{ "outbound NA of the gateway", IN6("2001:db8:10::1", "2001:db8:999::1", 58, 0, 0, 136), .ttl = 255, OUT, .r = MW_R_L2_CONTROL },
	{ "outbound NS, mode none", IN6("2001:db8:10::1", "ff02::1:ff00:10", 58, 0, 0, 135), .ttl = 255, OUT, .iface = "ext2", .r = MW_R_L2_DENIED },
	{ "ND fragment is no ND", IN6(GW1v6, "ff02::1", 58, 0, 0, 135), .ttl = 255, EXT(44), .f6_m = true, .r = MW_R_FRAGMENT },
	{ "ND truncated", IN6("fe80::1", "ff02::1", 58, 0, 0, 135), .ttl = 255, .plcut = 6, .r = MW_R_MALFORMED },
	{ "router renumbering (138)", IN6("fe80::1", "ff02::1", 58, 0, 0, 138), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "ICMPv6 139 is no ND", IN6("fe80::1", "ff02::1", 58, 0, 0, 139), .ttl = 255, .r = MW_R_UNKNOWN_SOURCE },

	/* devices */
	{ "unknown source", IN4("192.0.2.99", HE, 17, 40000, 3610, 0), .r = MW_R_UNKNOWN_SOURCE },
	{ "unknown v6 source", IN6("2001:db8:999::1", MDM, 6, 40000, 80, SYN), .r = MW_R_UNKNOWN_SOURCE },
	{ "device on wrong iface", IN4(REM1, HE, 17, 40000, 3610, 0), .r = MW_R_WRONG_IFACE, .dev = "rem1" },
	{ "spoofed MAC", IN4(GW1, HE, 17, 40000, 3610, 0), .smac = "02:00:5e:10:00:99", .r = MW_R_SPOOFED, .dev = "gw1" },
	{ "device without MAC binding", IN4(GW2, HE, 17, 40000, 3610, 0), .smac = "02:00:5e:10:00:99", .r = MW_R_ALLOWED, .dev = "gw2" },
	{ "/32 inside /24", IN4(GW2, HE, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .dev = "gw2" },
	{ "/24 around /32", IN4("198.51.100.12", HE, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .dev = "net" },
	{ "system blocked", IN4(GW2, HE, 17, 40000, 3610, 0), .ctx = C_BLK_HEMS, .r = MW_R_BLOCKED, .dev = "gw2" },
	{ "device blocked", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_GW1, .r = MW_R_BLOCKED, .dev = "gw1" },
	{ "device block expired", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_GW1_PAST, .r = MW_R_ALLOWED },
	{ "device block until later", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_GW1_FUT, .r = MW_R_BLOCKED },
	{ "inactive block entry", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_GW1_OFF, .r = MW_R_ALLOWED },
	{ "other system blocked", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_EMS, .r = MW_R_ALLOWED },
	{ "other device blocked", IN4(GW2, HE, 17, 40000, 3610, 0), .ctx = C_BLK_GW1, .r = MW_R_ALLOWED },
	{ "spoofed before blocked", IN4(GW1, HE, 17, 40000, 3610, 0), .smac = "02:00:5e:10:00:99", .ctx = C_BLK_GW1, .r = MW_R_SPOOFED },
	{ "wrong iface before blocked", IN4(REM1, HE, 17, 40000, 3610, 0), .ctx = C_BLK_REM, .r = MW_R_WRONG_IFACE },
	{ "agreement not yet valid", IN4("203.0.113.20", HE, 17, 1, 2, 0), .r = MW_R_AGREEMENT, .dev = "fut1" },
	{ "agreement expired", IN4("203.0.113.30", HE, 17, 1, 2, 0), .r = MW_R_AGREEMENT, .dev = "exp1" },

	/* rules */
	{ "UDP 3610 to head-end", IN4(GW1, HE, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "UDP 3611 to head-end", IN4(GW1, HE, 17, 40000, 3611, 0), .r = MW_R_NO_CONDUIT },
	{ "UDP 3610 to nested zone", IN4(GW1, HES, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "UDP 3610 outside zones", IN4(GW1, "192.168.1.1", 17, 40000, 3610, 0), .r = MW_R_NO_CONDUIT },
	{ "TCP 443 to hes-core", IN4(GW1, HES, 6, 40000, 443, SYN), .r = MW_R_ALLOWED, .cdt = "hems/in-tcp" },
	{ "TCP 443 to head-end only", IN4(GW1, HE, 6, 40000, 443, SYN), .r = MW_R_NO_CONDUIT },
	{ "TCP 8000 range low", IN4(GW1, HES, 6, 40000, 8000, SYN), .r = MW_R_ALLOWED, .cdt = "hems/in-tcp" },
	{ "TCP 8010 range high", IN4(GW1, HES, 6, 40000, 8010, SYN), .r = MW_R_ALLOWED, .cdt = "hems/in-tcp" },
	{ "TCP 8011 past range", IN4(GW1, HES, 6, 40000, 8011, SYN), .r = MW_R_NO_CONDUIT },
	{ "UDP 443 wrong proto", IN4(GW1, HES, 17, 40000, 443, 0), .r = MW_R_NO_CONDUIT },
	{ "window open", IN4(GW1, MTR, 17, 40000, 5000, 0), .r = MW_R_ALLOWED, .cdt = "hems/win" },
	{ "window closed", IN4(GW1, MTR, 17, 40000, 5000, 0), .ctx = C_LATE, .r = MW_R_NO_CONDUIT },
	{ "other rules ignore window", IN4(GW1, HE, 17, 40000, 3610, 0), .ctx = C_LATE, .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "anonymous zone", IN4(GW1, "10.9.1.1", 17, 40000, 9000, 0), .r = MW_R_ALLOWED, .cdt = "hems/anon" },
	{ "anonymous zone, outside", IN4(GW1, HES, 17, 40000, 9000, 0), .r = MW_R_NO_CONDUIT },
	{ "reply TCP with ACK", IN4(GW1, MTR, 6, 22, 40000, ACK), .r = MW_R_REPLY, .cdt = "hems/out-ssh" },
	{ "reply TCP SYN+ACK", IN4(GW1, MTR, 6, 22, 40000, SYN | ACK), .r = MW_R_REPLY, .cdt = "hems/out-ssh" },
	{ "reply TCP SYN only", IN4(GW1, MTR, 6, 22, 40000, SYN), .r = MW_R_NO_CONDUIT },
	{ "reply TCP wrong sport", IN4(GW1, MTR, 6, 23, 40000, ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP wrong zone", IN4(GW1, HES, 6, 22, 40000, ACK), .r = MW_R_NO_CONDUIT },
	{ "reply UDP sport", IN4(GW1, MTR, 17, 161, 50000, 0), .r = MW_R_REPLY, .cdt = "hems/out-udp" },
	{ "reply UDP wrong sport", IN4(GW1, MTR, 17, 162, 50000, 0), .r = MW_R_NO_CONDUIT },
	{ "reply ICMP echo reply", IN4(GW1, HE, 1, 0, 0, 0), .r = MW_R_REPLY, .cdt = "hems/out-ping" },
	{ "ICMP echo request, no conduit", IN4(GW1, HE, 1, 0, 0, 8), .r = MW_R_NO_CONDUIT },
	{ "ICMP unreachable, no reply", IN4(GW1, HE, 1, 0, 0, 3), .r = MW_R_NO_CONDUIT },
	{ "reply ICMP fragment", IN4(GW1, HE, 1, 0, 0, 0), .frag = FR_IP_MF, .r = MW_R_FRAGMENT },
	{ "override device conduit", IN4("203.0.113.5", "192.168.1.1", 6, 40000, 8443, SYN), .r = MW_R_ALLOWED, .dev = "ems1", .cdt = "ems/ems1/admin" },
	{ "override replaces system's", IN4("203.0.113.5", HE, 17, 40000, 3610, 0), .r = MW_R_NO_CONDUIT },
	{ "device without override", IN4("203.0.113.6", HE, 17, 40000, 3610, 0), .r = MW_R_ALLOWED, .dev = "ems2", .cdt = "ems/in-udp" },
	{ "zone any matches zoned too", IN4("203.0.113.5", HE, 6, 40000, 8443, SYN), .r = MW_R_ALLOWED, .cdt = "ems/ems1/admin" },

	/* source routing (RFC 7126, RFC 5095): judged by the real destination */
	{ "v4 LSRR, hops left", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(131, 7, 4, 10, 0, 0, 1), .r = MW_R_SOURCE_ROUTE },
	{ "v4 SSRR, hops left", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 12, OPTS(137, 11, 8, 10, 0, 0, 1, 10, 0, 0, 2), .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR behind NOPs", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 12, OPTS(1, 1, 1, 131, 7, 4, 10, 0, 0, 1), .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR after record route", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 16, OPTS(7, 7, 4, 0, 0, 0, 0, 131, 7, 4, 10, 0, 0, 1), .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR, pointer at last hop", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 12, OPTS(131, 11, 8, 10, 0, 0, 1, 10, 0, 0, 2), .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR, route exhausted", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(131, 7, 8, 10, 0, 0, 1), .r = MW_R_ALLOWED, .cdt = "hems/in-udp" },
	{ "v4 SSRR, route exhausted", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(137, 7, 8, 10, 0, 0, 1), .r = MW_R_ALLOWED },
	{ "v4 LSRR on a fragment", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(131, 7, 4, 10, 0, 0, 1), .frag = FR_IP_MF | 10, .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR from unknown source", IN4("192.0.2.99", HE, 17, 40000, 3610, 0), .opt = 8, OPTS(131, 7, 4, 10, 0, 0, 1), .r = MW_R_SOURCE_ROUTE },
	{ "v4 LSRR after EOL is padding", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(0, 131, 5, 4, 10, 0), .r = MW_R_ALLOWED },
	{ "v4 record route passes", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 8, OPTS(7, 7, 4, 0, 0, 0, 0), .r = MW_R_ALLOWED },
	{ "v4 router alert passes", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(148, 4, 0, 0), .r = MW_R_ALLOWED },
	{ "v4 option length 0", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(7, 0, 0, 0), .r = MW_R_MALFORMED },
	{ "v4 option length 1", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(7, 1, 0, 0), .r = MW_R_MALFORMED },
	{ "v4 option past the header", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(131, 7, 4, 10), .r = MW_R_MALFORMED },
	{ "v4 option type in the last byte", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(1, 1, 1, 131), .r = MW_R_MALFORMED },
	{ "v4 LSRR of length 2", IN4(GW1, HE, 17, 40000, 3610, 0), .opt = 4, OPTS(131, 2, 1, 1), .r = MW_R_MALFORMED },
	{ "v6 routing type 0, segments left", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 0, .segleft = 1, .r = MW_R_SOURCE_ROUTE },
	{ "v6 SRH, segments left", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 4, .segleft = 2, .r = MW_R_SOURCE_ROUTE },
	{ "v6 routing type 2, segments left", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 2, .segleft = 1, .r = MW_R_SOURCE_ROUTE },
	{ "v6 SRH behind HBH and DST", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(0, 60, 43), .rtype = 4, .segleft = 1, .r = MW_R_SOURCE_ROUTE },
	{ "v6 SRH before a first fragment", IN6(GW1v6, MDM, 17, 40000, 3610, 0), EXT(43, 44), .rtype = 4, .segleft = 1, .f6_m = true, .r = MW_R_SOURCE_ROUTE },
	{ "v6 SRH from unknown source", IN6("2001:db8:999::1", MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 4, .segleft = 1, .r = MW_R_SOURCE_ROUTE },
	{ "v6 SRH, route done", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 4, .r = MW_R_ALLOWED, .cdt = "hems/in-v6" },
	{ "v6 RH0, route done", IN6(GW1v6, MDM, 6, 40000, 80, SYN), EXT(43), .rtype = 0, .r = MW_R_ALLOWED },

	/* routing control: redirects and router discovery never come in */
	{ "v4 redirect via an ICMP conduit", IN4(GW1, HES, 1, 0, 0, 5), .r = MW_R_ICMP_CONTROL },
	{ "v4 router advertisement", IN4(GW1, HES, 1, 0, 0, 9), .r = MW_R_ICMP_CONTROL },
	{ "v4 router solicitation", IN4(GW1, HES, 1, 0, 0, 10), .r = MW_R_ICMP_CONTROL },
	{ "v4 redirect from unknown", IN4("192.0.2.99", HE, 1, 0, 0, 5), .r = MW_R_ICMP_CONTROL },
	{ "RA from link-local", IN6("fe80::2", "ff02::1", 58, 0, 0, 134), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "RA from a device", IN6(GW1v6, "ff02::1", 58, 0, 0, 134), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "RA hop limit 64 via ICMPv6 conduit", IN6(GW1v6, MDM, 58, 0, 0, 134), .r = MW_R_ICMP_CONTROL },
	{ "redirect from a device", IN6(GW1v6, MDM, 58, 0, 0, 137), .ttl = 255, .r = MW_R_ICMP_CONTROL },
	{ "RA with ND mode all", IN6("fe80::2", "ff02::1", 58, 0, 0, 134), .ttl = 255, V100, .r = MW_R_ICMP_CONTROL },
	{ "outbound RS of the gateway", IN6("fe80::1", "ff02::2", 58, 0, 0, 133), .ttl = 255, OUT, .r = MW_R_L2_CONTROL },
	{ "v4 ICMP 13 via ICMP conduit", IN4(GW1, HES, 1, 0, 0, 13), .r = MW_R_ALLOWED, .cdt = "hems/in-icmp" },

	/* ARP and ND: what the gateway learns must come from the device */
	{ "ARP sender MAC not the frame's", ARP(GW1, HE), .sha = OTHER_MAC, .r = MW_R_SPOOFED, .dev = "gw1" },
	{ "ARP sender MAC, unbound device", ARP(GW2, HE), .sha = OTHER_MAC, .r = MW_R_SPOOFED, .dev = "gw2" },
	{ "ARP both MACs foreign", ARP(GW1, HE), .smac = OTHER_MAC, .sha = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "ARP mode all, sender MAC differs", ARP("192.0.2.99", HE), V100, .sha = OTHER_MAC, .r = MW_R_L2_CONTROL },
	{ "NS link-local, SLLAO is the frame's", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .lladdr = GW1_MAC, .r = MW_R_L2_CONTROL },
	{ "NS link-local, SLLAO differs", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .lladdr = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "NS from device, SLLAO differs", IN6(GW1v6, SNM, 58, 0, 0, 135), .ttl = 255, .lladdr = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "NS SLLAO after a nonce option", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .n_padopts = 1, .lladdr = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "NS two SLLAO that differ", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .lladdr = GW1_MAC, .lladdr2 = OTHER_MAC, .r = MW_R_MALFORMED },
	{ "NS option of length 0", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .n_padopts = 255, .r = MW_R_MALFORMED },
	{ "NS 16 options", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .n_padopts = 16, .r = MW_R_L2_CONTROL },
	{ "NS 17 options", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .n_padopts = 17, .r = MW_R_MALFORMED },
	{ "NS body short", IN6(LL, SNM, 58, 0, 0, 135), .ttl = 255, .plcut = 20, .r = MW_R_MALFORMED },
	{ "NA link-local for a device's address", IN6(LL, "ff02::1", 58, 0, 0, 136), .ttl = 255, .r = MW_R_L2_DENIED },
	{ "NA link-local, override flag, TLLAO", IN6(LL, "ff02::1", 58, 0, 0, 136), .ttl = 255, .lladdr = OTHER_MAC, .smac = OTHER_MAC, .r = MW_R_L2_DENIED },
	{ "NA link-local for another address", IN6(LL, "ff02::1", 58, 0, 0, 136), .ttl = 255, .target = "fe80::1", .r = MW_R_L2_CONTROL },
	{ "NA from another device for gw1", IN6(GW3v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .r = MW_R_L2_DENIED },
	{ "NA from device for itself", IN6(GW1v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .lladdr = GW1_MAC, .r = MW_R_L2_CONTROL, .dev = "gw1" },
	{ "NA from device, TLLAO differs", IN6(GW1v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .lladdr = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "NA for blocked device", IN6(GW1v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .ctx = C_BLK_GW1, .r = MW_R_BLOCKED },
	{ "NA for unbound device from itself", IN6(GW3v6, "ff02::1", 58, 0, 0, 136), .ttl = 255, .target = GW3v6, .smac = OTHER_MAC, .lladdr = OTHER_MAC, .r = MW_R_L2_CONTROL, .dev = "gw3" },
	{ "NA for other iface's device", IN6("2001:db8:200::50", "ff02::1", 58, 0, 0, 136), .ttl = 255, .target = "2001:db8:200::50", .r = MW_R_WRONG_IFACE },
	{ "NA mode all, TLLAO differs", IN6(LL, "ff02::1", 58, 0, 0, 136), .ttl = 255, V100, .lladdr = OTHER_MAC, .r = MW_R_L2_CONTROL },

	/* stateless replies: to an ephemeral port, with reply flags */
	{ "reply TCP to port 22", IN4(GW1, MTR, 6, 22, 22, ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP to port 0", IN4(GW1, MTR, 6, 22, 0, ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP to port 1023", IN4(GW1, MTR, 6, 22, 1023, ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP to port 1024", IN4(GW1, MTR, 6, 22, 1024, ACK), .r = MW_R_REPLY, .cdt = "hems/out-ssh" },
	{ "reply TCP to port 65535", IN4(GW1, MTR, 6, 22, 65535, PSH | ACK), .r = MW_R_REPLY },
	{ "reply TCP FIN+ACK", IN4(GW1, MTR, 6, 22, 40000, FIN | ACK), .r = MW_R_REPLY },
	{ "reply TCP RST+ACK", IN4(GW1, MTR, 6, 22, 40000, RST | ACK), .r = MW_R_REPLY },
	{ "reply TCP SYN+ACK+ECE", IN4(GW1, MTR, 6, 22, 40000, SYN | ACK | 0x40), .r = MW_R_REPLY },
	{ "reply TCP SYN+FIN+ACK", IN4(GW1, MTR, 6, 22, 40000, SYN | FIN | ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP SYN+RST+ACK", IN4(GW1, MTR, 6, 22, 40000, SYN | RST | ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP SYN+PSH+ACK", IN4(GW1, MTR, 6, 22, 40000, SYN | PSH | ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP FIN+RST+ACK", IN4(GW1, MTR, 6, 22, 40000, FIN | RST | ACK), .r = MW_R_NO_CONDUIT },
	{ "reply TCP every flag", IN4(GW1, MTR, 6, 22, 40000, 0xff), .r = MW_R_NO_CONDUIT },
	{ "reply TCP RST alone", IN4(GW1, MTR, 6, 22, 40000, RST), .r = MW_R_NO_CONDUIT },
	{ "reply UDP to port 53", IN4(GW1, MTR, 17, 161, 53, 0), .r = MW_R_NO_CONDUIT },
	{ "reply UDP to port 1024", IN4(GW1, MTR, 17, 161, 1024, 0), .r = MW_R_REPLY, .cdt = "hems/out-udp" },
	{ "reply to proto-any, UDP", IN6(GW1v6, MDM, 17, 7000, 50000, 0), .r = MW_R_REPLY, .cdt = "hems/out-any" },
	{ "reply to proto-any, UDP port 7", IN6(GW1v6, MDM, 17, 50000, 7, 0), .r = MW_R_NO_CONDUIT },
	{ "reply to proto-any, GRE", IN6(GW1v6, MDM, 47, 0, 0, 0), .r = MW_R_NO_CONDUIT },
	{ "outbound reply UDP to port 22", IN4(HE, GW1, 17, 3610, 22, 0), OUT, .r = MW_R_NO_CONDUIT },

	/* ICMP errors: pass when they quote a packet a conduit lets through */
	{ "unreachable quoting an allowed flow", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .r = MW_R_RELATED, .dev = "gw1", .cdt = "hems/out-ssh" },
	{ "time exceeded from a router of the system", IN4(GW2, MTR, 1, 0, 0, 11), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .r = MW_R_RELATED, .dev = "gw2", .cdt = "hems/out-ssh" },
	{ "parameter problem quoting a reply", IN4(GW1, HE, 1, 0, 0, 12), QUOTE(AF_INET, HE, GW1, 17, 3610, 40000), .r = MW_R_RELATED, .cdt = "hems/in-udp" },
	{ "packet too big quoting an allowed flow", IN6(GW1v6, HE6, 58, 0, 0, 2), QUOTE(AF_INET6, HE6, GW1v6, 17, 3610, 40000), .r = MW_R_RELATED, .cdt = "hems/in-udp" },
	{ "packet too big quoting a forbidden flow", IN6(GW1v6, HE6, 58, 0, 0, 2), QUOTE(AF_INET6, HE6, GW1v6, 17, 3611, 40000), .r = MW_R_NO_CONDUIT },
	{ "ICMP error from unknown router", IN4("192.0.2.99", MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .r = MW_R_UNKNOWN_SOURCE },
	{ "packet too big from unknown router", IN6("2001:db8:999::1", MDM, 58, 0, 0, 2), QUOTE(AF_INET6, MDM, GW1v6, 6, 80, 40000), .r = MW_R_UNKNOWN_SOURCE },
	{ "ICMP error from another system", IN4("203.0.113.6", MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .r = MW_R_NO_CONDUIT },
	{ "ICMP error quoting a forbidden flow", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 23), .r = MW_R_NO_CONDUIT },
	{ "ICMP error quoting an unknown host", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, "192.0.2.99", 6, 40000, 22), .r = MW_R_NO_CONDUIT },
	{ "ICMP error quoting a blocked device", IN4(GW2, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .ctx = C_BLK_GW1, .r = MW_R_NO_CONDUIT },
	{ "ICMP error quote cut short", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .qcut = 1, .r = MW_R_NO_CONDUIT },
	{ "ICMP error quoting ICMP", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 1, 0x0800, 0), .r = MW_R_NO_CONDUIT },
	{ "ICMP error quoting IPv6 in IPv4", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET6, MDM, GW1v6, 6, 80, 40000), .r = MW_R_NO_CONDUIT },
	{ "ICMP error fragment", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .frag = FR_IP_MF, .r = MW_R_FRAGMENT },
	{ "ICMP error on another iface", IN4(REM1, HE, 1, 0, 0, 3), QUOTE(AF_INET, HE, REM1, 6, 80, 40000), .r = MW_R_WRONG_IFACE },
	{ "ICMP error, spoofed MAC", IN4(GW1, MTR, 1, 0, 0, 3), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .smac = OTHER_MAC, .r = MW_R_SPOOFED },
	{ "outbound ICMP error quoting an allowed flow", IN6(HE6, GW1v6, 58, 0, 0, 1), OUT, QUOTE(AF_INET6, GW1v6, HE6, 17, 40000, 3610), .r = MW_R_RELATED, .cdt = "hems/in-udp" },
	{ "outbound ICMP error quoting a forbidden flow", IN6(HE6, GW1v6, 58, 0, 0, 1), OUT, QUOTE(AF_INET6, GW1v6, HE6, 17, 40000, 3611), .r = MW_R_NO_CONDUIT },
	{ "echo request with a quote-like body", IN4(GW1, MTR, 1, 0, 0, 8), QUOTE(AF_INET, MTR, GW1, 6, 40000, 22), .r = MW_R_NO_CONDUIT },

	/* outbound */
	{ "outbound allowed", IN4(MTR, GW1, 6, 40000, 22, SYN), OUT, .r = MW_R_ALLOWED, .dev = "gw1", .cdt = "hems/out-ssh" },
	{ "outbound wrong source zone", IN4(HES, GW1, 6, 40000, 22, SYN), OUT, .r = MW_R_NO_CONDUIT },
	{ "outbound unknown dest", IN4(MTR, "192.0.2.99", 6, 40000, 22, SYN), OUT, .r = MW_R_UNKNOWN_DEST },
	{ "outbound reply UDP", IN4(HE, GW1, 17, 3610, 40000, 0), OUT, .r = MW_R_REPLY, .cdt = "hems/in-udp" },
	{ "outbound reply TCP ACK", IN4(HES, GW1, 6, 443, 40000, ACK), OUT, .r = MW_R_REPLY, .cdt = "hems/in-tcp" },
	{ "outbound reply TCP no ACK", IN4(HES, GW1, 6, 443, 40000, SYN), OUT, .r = MW_R_NO_CONDUIT },
	{ "outbound ignores MAC", IN4(MTR, GW1, 6, 40000, 22, SYN), OUT, .smac = "02:00:5e:10:00:99", .r = MW_R_ALLOWED },
	{ "outbound to other iface's device", IN4(MTR, REM1, 6, 40000, 22, SYN), OUT, .r = MW_R_WRONG_IFACE },
	{ "outbound ping", IN4(HE, GW1, 1, 0, 0, 8), OUT, .r = MW_R_ALLOWED, .cdt = "hems/out-ping" },
	{ "outbound echo reply", IN4(HES, GW1, 1, 0, 0, 0), OUT, .r = MW_R_REPLY, .cdt = "hems/in-icmp" },
	{ "outbound blocked", IN4(MTR, GW1, 6, 40000, 22, SYN), OUT, .ctx = C_BLK_HEMS, .r = MW_R_BLOCKED },
	{ "outbound fragment", IN4(MTR, GW1, 6, 40000, 22, SYN), OUT, .frag = FR_IP_MF, .r = MW_R_FRAGMENT },
	{ "outbound v6 reply", IN6(MDM, GW1v6, 6, 80, 40000, ACK), OUT, .r = MW_R_REPLY, .cdt = "hems/in-v6" },
	{ "outbound agreement", IN4(MTR, "203.0.113.30", 17, 1, 2, 0), OUT, .r = MW_R_AGREEMENT },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* ---------------------------------------------------------------------- */
/* Frame construction                                                     */

static uint16_t l3_type(const struct tc *t)
{
	switch (t->l3) {
	case L_V4:
		return FR_ETH_IPV4;
	case L_V6:
		return FR_ETH_IPV6;
	case L_ARP:
		return FR_ETH_ARP;
	default:
		return t->ethertype;
	}
}

static void build_l2(const struct tc *t, struct fr *f, const uint8_t *smac)
{
	uint16_t type = l3_type(t);
	int i;

	fr_eth(f, fr_mac_dst, smac,
	       t->ntags ? (t->tpid[0] ? t->tpid[0] : FR_ETH_8021Q) : type);
	for (i = 0; i < t->ntags; i++) {
		uint16_t next = type;

		if (i + 1 < t->ntags)
			next = t->tpid[i + 1] ? t->tpid[i + 1] : FR_ETH_8021Q;
		fr_tag(f, t->vid[i], (uint8_t)i, next);
	}
}

/* NS/NA body: target, then options (nonces first, link-layer address). */
static void build_nd(const struct tc *t, struct fr *f)
{
	uint8_t type = t->flags == 135 ? 1 : 2, mac[6];
	int i;

	fr_nd_target(f, t->target ? t->target : "2001:db8:100::10");
	for (i = 0; i < (t->n_padopts == 255 ? 1 : t->n_padopts); i++) {
		uint8_t *p = fr_put(f, 8);

		if (p) {
			p[0] = 14;	/* nonce */
			p[1] = t->n_padopts == 255 ? 0 : 1;
		}
	}
	if (t->lladdr) {
		assert_int_equal(fr_mac(t->lladdr, mac), 0);
		fr_nd_lladdr(f, type, mac);
	}
	if (t->lladdr2) {
		assert_int_equal(fr_mac(t->lladdr2, mac), 0);
		fr_nd_lladdr(f, type, mac);
	}
}

static void build_l4(const struct tc *t, struct fr *f)
{
	switch (t->proto) {
	case 6:
		fr_tcp(f, t->sport, t->dport, t->flags, t->doff ? t->doff : 5);
		break;
	case 17:
		fr_udp(f, t->sport, t->dport, 4);
		break;
	case 1:
	case 58:
		fr_icmp(f, t->flags, 0);
		if (t->qfam) {
			fr_quote(f, t->qfam, t->qsrc, t->qdst, t->qproto,
				 t->qsport, t->qdport);
			f->len -= (size_t)t->qcut;
		} else if (t->proto == 58 && t->flags >= 135 && t->flags <= 137) {
			build_nd(t, f);
		} else {
			fr_payload(f, 8, 0xab);
		}
		break;
	case 59:
		fr_payload(f, 4, 0);	/* ignored after "no next header" */
		break;
	default:
		fr_payload(f, 8, 0xcd);
		break;
	}
}

static void build_v6_ext(const struct tc *t, struct fr *f)
{
	int i;

	for (i = 0; i < t->n_ext; i++) {
		uint8_t next = i + 1 < t->n_ext ? t->ext[i + 1] : t->proto;

		if (t->ext[i] == 51)
			fr_ah(f, next, 1);
		else if (t->ext[i] == 44)
			fr_frag6(f, next, t->f6_off, t->f6_m, 77);
		else if (t->ext[i] == 43)
			fr_rthdr(f, next, 0, t->rtype, t->segleft);
		else
			fr_ext(f, next, 0);
	}
}

static void build_ip(const struct tc *t, struct fr *f)
{
	uint8_t ttl = t->ttl ? t->ttl : 64;
	size_t ip, hl;

	if (t->l3 == L_V4) {
		ip = fr_ipv4(f, t->src, t->dst, t->proto, ttl, t->frag, t->opt);
		if (t->optb)
			fr_ipv4_opts(f, ip, t->optb, t->n_optb);
		hl = 20 + t->opt;
	} else {
		ip = fr_ipv6(f, t->src, t->dst,
			     t->n_ext ? t->ext[0] : t->proto, ttl);
		hl = 40;
		build_v6_ext(t, f);
	}
	build_l4(t, f);
	if (t->plcut)
		f->len = ip + hl + (t->plcut > 0 ? (size_t)t->plcut : 0);
	if (t->l3 == L_V4)
		fr_ipv4_end(f, ip);
	else
		fr_ipv6_end(f, ip);
}

/* Offset of the L3 header: after Ethernet and the tags. */
static size_t l3_off(const struct tc *t)
{
	return 14 + 4 * (size_t)t->ntags;
}

static void mutate(const struct tc *t, struct fr *f)
{
	uint8_t *l3 = f->buf + l3_off(t);
	uint8_t *l4 = l3 + (t->l3 == L_V4 ? 20 + t->opt : 40);

	switch (t->mut) {
	case M_V4_VER: l3[0] = 0x55; break;
	case M_V4_IHL4: l3[0] = 0x44; break;
	case M_V4_IHL15: l3[0] = 0x4f; break;
	case M_V4_TOT_BIG: fr_be16(l3 + 2, (uint16_t)(f->len - l3_off(t) + 1)); break;
	case M_V4_TOT_SMALL: fr_be16(l3 + 2, 19); break;
	case M_V6_VER: l3[0] = 0x40; break;
	case M_V6_PLEN0: fr_be16(l3 + 4, 0); break;
	case M_V6_PLEN_BIG: fr_be16(l3 + 4, (uint16_t)(f->len - l3_off(t) - 40 + 1)); break;
	case M_TCP_DOFF4: l4[12] = 0x40; break;
	case M_TCP_DOFF15: l4[12] = 0xf0; break;
	case M_ARP_HTYPE: l3[1] = 6; break;
	case M_ARP_PLEN: l3[5] = 16; break;
	}
}

static size_t build(const struct tc *t, uint8_t *buf)
{
	uint8_t smac[6];
	struct fr f;

	memcpy(smac, fr_mac_src, 6);
	if (t->smac)
		assert_int_equal(fr_mac(t->smac, smac), 0);
	fr_init(&f, buf, FR_MAX);
	build_l2(t, &f, smac);
	if (t->l3 == L_ARP) {
		uint8_t sha[6];

		memcpy(sha, smac, 6);
		if (t->sha)
			assert_int_equal(fr_mac(t->sha, sha), 0);
		fr_arp(&f, t->flags ? t->flags : 1, sha, t->src, fr_mac_dst,
		       t->dst);
	}
	else if (t->l3 == L_RAW)
		fr_payload(&f, 46, 0);
	else
		build_ip(t, &f);
	mutate(t, &f);
	if (t->pad)
		fr_payload(&f, (size_t)t->pad, 0);
	assert_false(f.err);
	if (t->cut)
		f.len = t->cut < 0 ? 0 : (size_t)t->cut;
	return f.len;
}

/* ---------------------------------------------------------------------- */
/* Runtime and expectations                                               */

static uint32_t sys_id(const char *name)
{
	const struct mw_img_system *s = mw_image_system_by_name(&g_v, name);

	assert_non_null(s);
	return s->id;
}

static uint32_t dev_id(const char *name)
{
	const struct mw_img_device *d = mw_image_device_by_name(&g_v, name);

	assert_non_null(d);
	return d->id;
}

static uint32_t conduit_id(const char *name)
{
	size_t i;

	for (i = 0; i < g_v.n_conduits; i++)
		if (!strcmp(mw_image_str(&g_v, g_v.conduits[i].name), name))
			return g_v.conduits[i].id;
	fail_msg("no conduit %s", name);
	return MW_ID_NONE;
}

static struct mw_block sblk[64], dblk[64];
static struct mw_rate srate[64];

static void setup_rt(const struct tc *t, struct mw_runtime *rt)
{
	memset(rt, 0, sizeof(*rt));
	memset(sblk, 0, sizeof(sblk));
	memset(dblk, 0, sizeof(dblk));
	memset(srate, 0, sizeof(srate));
	/* boot clock = wall clock here; test_clock_base() tells them apart */
	rt->boot_ns = (NOW_S + ((t->ctx & C_LATE) ? 8 * 3600 : 0)) * NS;
	if (t->ctx & C_POL_EXP)
		rt->boot_to_unix_max_ns = 86400 * 366 * NS;
	rt->sys_rate = srate;
	rt->n_sys_rate = 64;
	if (t->ctx & C_RATE_SPENT)
		srate[sys_id("metered")].tat_pkt =
			(uint64_t)rt->boot_ns + MW_RATE_BURST_NS;
	rt->island = t->ctx & C_ISLAND;
	rt->sys_blocks = sblk;
	rt->n_sys_blocks = 64;
	rt->dev_blocks = dblk;
	rt->n_dev_blocks = 64;
	if (t->ctx & C_BLK_HEMS)
		sblk[sys_id("hems")].active = 1;
	if (t->ctx & C_BLK_EMS)
		sblk[sys_id("ems")].active = 1;
	if (t->ctx & C_BLK_REM)
		sblk[sys_id("remote")].active = 1;
	if (t->ctx & (C_BLK_GW1 | C_BLK_GW1_PAST | C_BLK_GW1_FUT))
		dblk[dev_id("gw1")].active = 1;
	if (t->ctx & C_BLK_GW1_PAST)
		dblk[dev_id("gw1")].until = (uint64_t)(NOW_S - 1) * NS;
	if (t->ctx & C_BLK_GW1_FUT)
		dblk[dev_id("gw1")].until = (uint64_t)(NOW_S + 3600) * NS;
	if (t->ctx & C_BLK_GW1_OFF)
		dblk[dev_id("gw1")].until = (uint64_t)(NOW_S + 3600) * NS;
}

static enum mw_verdict verdict_of(enum mw_reason r)
{
	assert_non_null(mw_reason_info(r));
	return (enum mw_verdict)mw_reason_info(r)->verdict;
}

static void run_case(void **state)
{
	const struct tc *t = *state;
	const struct mw_img_iface *f;
	uint8_t buf[FR_MAX];
	struct mw_runtime rt;
	struct mw_result res;
	struct mw_pkt pkt;
	uint32_t iface;
	size_t len;

	len = build(t, buf);
	mw_pkt_parse(buf, len, &pkt);
	setup_rt(t, &rt);
	f = mw_image_iface_by_name(&g_v, t->iface ? t->iface : "ext0");
	assert_non_null(f);
	iface = (t->ctx & C_BADIF) ? 63 : f->id;
	mw_classify((t->ctx & C_NOPOL) ? NULL : &g_v, &rt, iface, t->dir,
		    &pkt, &res);
	if (res.reason != t->r)
		fail_msg("%s: got %s %s, want %s", t->name,
			 mw_verdict_name(res.verdict),
			 mw_reason_name(res.reason), mw_reason_name(t->r));
	assert_int_equal(res.verdict, verdict_of(t->r));
	assert_int_equal(res.dir, t->dir);
	if (t->dev)
		assert_int_equal(res.device, dev_id(t->dev));
	if (t->cdt) {
		assert_int_equal(res.conduit, conduit_id(t->cdt));
		assert_true(res.rule >= 0);
	}
	if (verdict_of(t->r) == MW_VERDICT_DROP)
		assert_int_equal(res.conduit, MW_ID_NONE);
}

/* ---------------------------------------------------------------------- */
/* Non-table tests                                                        */

static void test_case_count(void **state)
{
	assert_true(N_CASES >= 120);
}

static void test_every_reason_covered(void **state)
{
	bool seen[__MW_R_LAST] = { false };
	size_t i;
	int r;

	for (i = 0; i < N_CASES; i++)
		seen[cases[i].r] = true;
	for (r = MW_R_ALLOWED; r <= MW_R_MAX; r++)
		if (!seen[r] && r != MW_R_FLOW)	/* kmod only: state */
			fail_msg("no case for reason %s",
				 mw_reason_name((enum mw_reason)r));
}

/* One table for every reason: name, verdict, description, no gaps. */
static void test_reason_table(void **state)
{
	unsigned int r, q, passes = 0;

	assert_null(mw_reason_info(MW_R_UNSPEC));
	assert_null(mw_reason_info(__MW_R_LAST));
	for (r = MW_R_UNSPEC + 1; r <= MW_R_MAX; r++) {
		const struct mw_reason_info *ri = mw_reason_info(r);

		assert_non_null(ri);
		assert_true(ri->name[0] && ri->desc && ri->desc[0]);
		assert_true(ri->verdict == MW_VERDICT_PASS ||
			    ri->verdict == MW_VERDICT_DROP);
		assert_string_equal(mw_reason_name(r), ri->name);
		for (q = MW_R_UNSPEC + 1; q < r; q++)
			assert_string_not_equal(mw_reason_info(q)->name,
						ri->name);
		passes += ri->verdict == MW_VERDICT_PASS;
	}
	/* the passes, exactly: everything else fails closed */
	assert_int_equal(passes, 5);
	assert_int_equal(verdict_of(MW_R_ALLOWED), MW_VERDICT_PASS);
	assert_int_equal(verdict_of(MW_R_REPLY), MW_VERDICT_PASS);
	assert_int_equal(verdict_of(MW_R_L2_CONTROL), MW_VERDICT_PASS);
	assert_int_equal(verdict_of(MW_R_RELATED), MW_VERDICT_PASS);
	assert_int_equal(verdict_of(MW_R_FLOW), MW_VERDICT_PASS);
	assert_string_equal(mw_reason_name(MW_R_FLOW), "FLOW");
}

static void test_names(void **state)
{
	assert_string_equal(mw_reason_name(MW_R_NO_CONDUIT), "NO_CONDUIT");
	assert_string_equal(mw_reason_name(MW_R_NOT_MANAGED), "NOT_MANAGED");
	assert_string_equal(mw_reason_name((enum mw_reason)999), "UNKNOWN");
	assert_string_equal(mw_verdict_name(MW_VERDICT_PASS), "PASS");
	assert_string_equal(mw_verdict_name(MW_VERDICT_DROP), "DROP");
}

static void test_lookups(void **state)
{
	uint8_t a[16] = { 0 };

	fr_addr("198.51.100.11", AF_INET, a);
	assert_int_equal(mw_lookup_device(&g_v, AF_INET, a), dev_id("gw2"));
	fr_addr("198.51.100.200", AF_INET, a);
	assert_int_equal(mw_lookup_device(&g_v, AF_INET, a), dev_id("net"));
	fr_addr("198.51.101.1", AF_INET, a);
	assert_int_equal(mw_lookup_device(&g_v, AF_INET, a), MW_ID_NONE);
	fr_addr("10.1.2.3", AF_INET, a);
	assert_int_equal(mw_lookup_zones(&g_v, AF_INET, a), 0x3);	/* head-end|hes-core */
	fr_addr("10.200.0.1", AF_INET, a);
	assert_int_equal(mw_lookup_zones(&g_v, AF_INET, a), 0x1);
	fr_addr("2001:db8:10:1::9", AF_INET6, a);
	assert_int_equal(mw_lookup_zones(&g_v, AF_INET6, a), 0x9);	/* head-end|mdm */
	fr_addr("2001:db8:10:2::9", AF_INET6, a);
	assert_int_equal(mw_lookup_zones(&g_v, AF_INET6, a), 0x1);
	fr_addr("192.168.0.1", AF_INET, a);
	assert_int_equal(mw_lookup_zones(&g_v, AF_INET, a), 0);
	assert_int_equal(mw_lookup_zones(NULL, AF_INET, a), 0);
	assert_int_equal(mw_lookup_device(NULL, AF_INET, a), MW_ID_NONE);
}

/* Parser fields the table does not look at directly. */
static void test_parse_fields(void **state)
{
	uint8_t buf[FR_MAX];
	struct mw_pkt p;
	struct fr f;
	size_t ip;

	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, fr_mac_src, FR_ETH_8021AD);
	fr_tag(&f, 100, 3, FR_ETH_IPV4);
	ip = fr_ipv4(&f, "198.51.100.10", "10.1.0.5", 6, 33, 0, 4);
	fr_tcp(&f, 1234, 443, FR_TCP_SYN | FR_TCP_ACK, 6);
	fr_payload(&f, 10, 0);
	fr_ipv4_end(&f, ip);
	mw_pkt_parse(buf, f.len, &p);
	assert_int_equal(p.parse_error, MW_R_UNSPEC);
	assert_int_equal(p.n_vlans, 1);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.ethertype, FR_ETH_IPV4);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 1234);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, FR_TCP_SYN | FR_TCP_ACK);
	assert_int_equal(p.hop_limit, 33);
	assert_true(p.has_ports);
	assert_false(p.fragment);
	assert_int_equal(p.len, f.len);
	assert_int_equal(p.ip_len, f.len - 18);
	assert_true(p.tag_8021ad);
	assert_memory_equal(p.src_mac, fr_mac_src, 6);
}

/* One IPv4 UDP frame src -> dst (sport 40000, with payload bytes after
 * the UDP header), judged with rt on ext0 in direction dir. */
static enum mw_reason judge_udp(struct mw_runtime *rt, const char *src,
				const char *dst, uint16_t dport,
				enum mw_direction dir, size_t payload)
{
	uint8_t buf[FR_MAX];
	struct mw_result res;
	struct mw_pkt pkt;
	struct fr f;
	size_t ip;

	fr_init(&f, buf, sizeof(buf));
	fr_eth(&f, fr_mac_dst, fr_mac_src, FR_ETH_IPV4);
	ip = fr_ipv4(&f, src, dst, 17, 64, 0, 0);
	fr_udp(&f, 40000, dport, payload);
	fr_ipv4_end(&f, ip);
	assert_false(f.err);
	mw_pkt_parse(buf, f.len, &pkt);
	assert_int_equal(pkt.ip_len, 28 + payload);
	mw_classify(&g_v, rt, mw_image_iface_by_name(&g_v, "ext0")->id, dir,
		    &pkt, &res);
	return res.reason;
}

#define JUDGE_IN(rt, src, dst, dport) \
	judge_udp(rt, src, dst, dport, MW_DIR_INBOUND, 0)

/*
 * M1: one time base.  Blocks run on the boot clock whatever the offsets
 * say; windows and valid_from on boot + boot_to_unix_ns; agreement and
 * policy expiry on boot + boot_to_unix_max_ns, so a wall clock stepped
 * back (cur < max) revives nothing.
 */
static void test_clock_base(void **state)
{
	const int64_t boot = 1000 * NS, wall = NOW_S * NS - boot;
	const int64_t day = 86400 * NS;
	struct mw_runtime rt = { .boot_ns = boot, .boot_to_unix_ns = wall,
				 .boot_to_unix_max_ns = wall,
				 .dev_blocks = dblk, .n_dev_blocks = 64 };

	memset(dblk, 0, sizeof(dblk));
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_ALLOWED);
	/* hems expires at NOW + 30 d: past on the expiry clock only */
	rt.boot_to_unix_max_ns = wall + 31 * day;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_AGREEMENT);
	/* ... and the wall clock stepped back 40 days: still expired */
	rt.boot_to_unix_ns = wall - 40 * day;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_AGREEMENT);
	/* valid_from (NOW - 30 d) is on the wall clock: before it, dropped
	 * even with the maximum reset */
	rt.boot_to_unix_max_ns = rt.boot_to_unix_ns;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_AGREEMENT);
	/* the wall clock ahead leaves expiry alone */
	rt.boot_to_unix_ns = wall + 31 * day;
	rt.boot_to_unix_max_ns = wall;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_ALLOWED);
	rt.boot_to_unix_ns = wall;

	/* windows follow the wall clock: Wed 12:00 open, 20:00 closed,
	 * whatever the expiry clock says */
	assert_int_equal(JUDGE_IN(&rt, GW1, MTR, 5000), MW_R_ALLOWED);
	rt.boot_to_unix_max_ns = wall + 8 * 3600 * NS;
	assert_int_equal(JUDGE_IN(&rt, GW1, MTR, 5000), MW_R_ALLOWED);
	rt.boot_to_unix_ns = wall + 8 * 3600 * NS;
	assert_int_equal(JUDGE_IN(&rt, GW1, MTR, 5000), MW_R_NO_CONDUIT);
	rt.boot_to_unix_ns = rt.boot_to_unix_max_ns = wall;

	/* a block until boot + 1 s: no offset moves it */
	dblk[dev_id("gw1")].active = 1;
	dblk[dev_id("gw1")].until = (uint64_t)(boot + NS);
	rt.boot_to_unix_ns = rt.boot_to_unix_max_ns = wall + 2 * day;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_BLOCKED);
	rt.boot_to_unix_ns = rt.boot_to_unix_max_ns = wall - 2 * day;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_BLOCKED);
	rt.boot_to_unix_ns = rt.boot_to_unix_max_ns = wall;
	rt.boot_ns = boot + NS - 1;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_BLOCKED);
	rt.boot_ns = boot + NS;
	assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_ALLOWED);
	memset(dblk, 0, sizeof(dblk));

	/* the policy's own expires (NOW + 365 d): the expiry clock only */
	rt.boot_ns = boot;
	rt.boot_to_unix_ns = wall + 366 * day;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	rt.boot_to_unix_ns = wall;
	rt.boot_to_unix_max_ns = wall + 365 * day - NS;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	rt.boot_to_unix_max_ns = wall + 365 * day;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_POLICY_EXPIRED);
}

/* M7: the GCRA of the uapi header, per system, exact to the ns. */
static void test_rate_limit(void **state)
{
	const int64_t boot = 5000 * NS, wall = NOW_S * NS - boot;
	const int64_t ms = 1000000;
	struct mw_rate rate[64];
	struct mw_runtime rt = { .boot_ns = boot, .boot_to_unix_ns = wall,
				 .boot_to_unix_max_ns = wall,
				 .sys_rate = rate, .n_sys_rate = 64 };
	uint32_t met = sys_id("metered"), bits = sys_id("metered-bits");
	int i;

	memset(rate, 0, sizeof(rate));
	/* pps 2: a burst of 2 (one per direction here: both count), then
	 * one every 500 ms */
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	assert_int_equal(judge_udp(&rt, MTR, MET1, 161, MW_DIR_OUTBOUND, 0),
			 MW_R_ALLOWED);
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_RATE_LIMIT);
	assert_int_equal(judge_udp(&rt, MTR, MET1, 161, MW_DIR_OUTBOUND, 0),
			 MW_R_RATE_LIMIT);
	assert_int_equal(rate[met].tat_pkt, (uint64_t)(boot + NS));
	/* drops are not charged: not over the limit, nor another reason */
	assert_int_equal(judge_udp(&rt, MTR, MET1, 162, MW_DIR_OUTBOUND, 0),
			 MW_R_NO_CONDUIT);
	assert_int_equal(rate[met].tat_pkt, (uint64_t)(boot + NS));
	/* other systems are not limited */
	for (i = 0; i < 10; i++)
		assert_int_equal(JUDGE_IN(&rt, GW1, HE, 3610), MW_R_ALLOWED);
	rt.boot_ns = boot + 500 * ms - 1;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_RATE_LIMIT);
	rt.boot_ns = boot + 500 * ms;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_RATE_LIMIT);
	/* idle for long: the burst is 2 again, not more */
	rt.boot_ns = boot + 60 * NS;
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
	assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_RATE_LIMIT);

	/* bps 8000: a 100-byte IP packet costs 100 ms, a 1000-byte one 1 s */
	rt.boot_ns = boot;
	for (i = 0; i < 10; i++)
		assert_int_equal(judge_udp(&rt, MET2, HE, 3610,
					   MW_DIR_INBOUND, 72),
				 MW_R_ALLOWED);
	assert_int_equal(judge_udp(&rt, MET2, HE, 3610, MW_DIR_INBOUND, 72),
			 MW_R_RATE_LIMIT);
	assert_int_equal(rate[bits].tat_bit, (uint64_t)(boot + NS));
	rt.boot_ns = boot + 100 * ms;
	assert_int_equal(judge_udp(&rt, MET2, HE, 3610, MW_DIR_INBOUND, 972),
			 MW_R_RATE_LIMIT);		/* 1 s: too big yet */
	assert_int_equal(judge_udp(&rt, MET2, HE, 3610, MW_DIR_INBOUND, 72),
			 MW_R_ALLOWED);
	rt.boot_ns = boot + 2 * NS;
	assert_int_equal(judge_udp(&rt, MET2, HE, 3610, MW_DIR_INBOUND, 972),
			 MW_R_ALLOWED);
	assert_int_equal(judge_udp(&rt, MET2, HE, 3610, MW_DIR_INBOUND, 0),
			 MW_R_RATE_LIMIT);

	/* no rate state (mwctl explain): limits are not applied */
	rt.sys_rate = NULL;
	for (i = 0; i < 5; i++)
		assert_int_equal(JUDGE_IN(&rt, MET1, HE, 3610), MW_R_ALLOWED);
}

/* 100k devices: a lookup must take microseconds. */
static void test_lookup_speed(void **state)
{
	struct mw_policy *p = pb_new(1);
	struct mw_system_spec *s;
	struct mw_image img;
	struct mw_image_view v;
	struct mw_diag d;
	struct timespec t0, t1;
	uint8_t a[16] = { 0 };
	size_t i, n = 100000;
	double us;

	pb_iface(p, "ext0", MW_ZONE_EXTERNAL);
	s = pb_system(p, "big", "ext0");
	free(s->devices);
	s->devices = pb_alloc(n, sizeof(*s->devices));
	for (i = 0; i < n; i++) {
		struct mw_device_spec *dv = &s->devices[s->n_devices++];

		snprintf(dv->name, sizeof(dv->name), "d%zu", i);
		dv->addrs = pb_alloc(1, sizeof(*dv->addrs));
		dv->n_addrs = 1;
		dv->addrs[0].family = AF_INET6;
		dv->addrs[0].plen = 128;
		dv->addrs[0].addr[0] = 0x20;
		dv->addrs[0].addr[12] = (uint8_t)(i >> 16);
		dv->addrs[0].addr[13] = (uint8_t)(i >> 8);
		dv->addrs[0].addr[15] = (uint8_t)i;
	}
	assert_int_equal(pb_compile(p, NULL, &img, &v, &d), 0);
	a[0] = 0x21;	/* a miss: every prefix length is tried */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(mw_lookup_device(&v, AF_INET6, a), MW_ID_NONE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / 1000;
	/* a figure, not an assertion: timing belongs in benchmarks */
	print_message("100k devices: worst-case IPv6 miss %.1f us\n", us);
	a[0] = 0x20;
	a[12] = 0x01, a[13] = 0x86, a[15] = 0x9f;	/* d99999 */
	assert_int_equal(mw_lookup_device(&v, AF_INET6, a),
			 mw_image_device_by_name(&v, "d99999")->id);
	mw_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_case_count),
		cmocka_unit_test(test_every_reason_covered),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_reason_table),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_lookup_speed),
		cmocka_unit_test(test_clock_base),
		cmocka_unit_test(test_rate_limit),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]), i;
	struct CMUnitTest *tests = calloc(N_CASES + nf, sizeof(*tests));
	int rc;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < N_CASES; i++) {
		tests[nf + i].name = cases[i].name;
		tests[nf + i].test_func = run_case;
		tests[nf + i].initial_state = (void *)&cases[i];
	}
	rc = _cmocka_run_group_tests("classify", tests, N_CASES + nf,
				     group_setup, group_teardown);
	free(tests);
	return rc;
}
