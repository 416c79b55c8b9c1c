/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * meterwall -- enforcement point for the external connections of a smart
 * meter system.  This is the ONE binary interface shared by the kernel
 * module (meterwall.ko), the XDP program (meterwall.bpf.o) and userspace
 * (mwctl, meterwalld).  Append only: never renumber, never reuse.
 *
 * Compiled policy image
 * ---------------------
 * A validated policy compiles into one little-endian image:
 *
 *   struct mw_image_hdr                       (fixed, MW_IMAGE_HDR_SIZE)
 *   struct mw_image_sect sect[MW_SEC_MAX]     (one slot per section type)
 *   section payloads                          (8-byte aligned, fixed-size
 *                                              records, sorted by id)
 *
 * Every section holds records of one struct type; entry_size must equal
 * sizeof() that struct, so a consumer can reject an image of a different
 * layout before it reads a single record.  Ids are small integers assigned
 * by name and carried across reloads (the previous image is the id map),
 * so per-id state (blocks, counters) stays valid when the policy changes.
 * MW_ID_NONE (0xffffffff) means "no id".  digest is SHA-256 over the whole
 * image with the digest and created fields zeroed: it names the content
 * (the same policy compiled twice has one digest).
 *
 * Decision model (identical in XDP, kmod and the userspace classifier)
 * --------------------------------------------------------------------
 * Inbound (frame arrives on an external interface):
 *   no policy -> DROP NO_POLICY; island mode -> DROP ISLAND;
 *   the policy's own expires reached -> DROP POLICY_EXPIRED;
 *   an 802.1ad (0x88a8) tag, or VLAN tags not allowed on the interface
 *     -> DROP VLAN;
 *   ARP -> the interface's arp mode (PASS L2_CONTROL or DROP L2_DENIED;
 *     sender hardware address not the Ethernet source -> SPOOFED);
 *   other non-IP -> DROP NON_IP; unparseable -> DROP MALFORMED;
 *   IPv6 chain longer than MW_MAX_EXTHDRS -> DROP EXTHDR;
 *   IPv4 source route or IPv6 routing header with hops left -> SOURCE_ROUTE;
 *   ICMP redirect / router discovery -> DROP ICMP_CONTROL;
 *   NS / NA -> the interface's nd mode (link-layer options and NA targets
 *     must belong to the sender);
 *   source -> device (exact hash, then longest prefix) else UNKNOWN_SOURCE;
 *   device's system demarcated on another interface -> WRONG_IFACE;
 *   MAC binding mismatch -> SPOOFED; system or device blocked -> BLOCKED;
 *   outside agreement validity -> AGREEMENT;
 *   fragment (IPv4 MF or offset, IPv6 fragment header that is not atomic):
 *     only port-less rules may match, else DROP FRAGMENT;
 *   inbound rule of the device's conduit set matches (proto, dst zone,
 *     dport, time window) -> PASS ALLOWED;
 *   outbound rule matches the reverse (proto, src port = service port, dst
 *     in the rule's smart-meter zone, dst port in reply_lo..reply_hi; TCP
 *     with reply flags; ICMP only echo reply) -> PASS REPLY;
 *   ICMP error quoting a packet that, turned around, a conduit of the
 *     same system allows -> PASS RELATED;
 *   else DROP NO_CONDUIT;
 *   a packet that would pass ALLOWED, REPLY or RELATED for a device of a
 *     system with limits, beyond them -> DROP RATE_LIMIT (see Rate limits).
 * Outbound (frame arrives on a smart-meter-side interface, kmod only):
 *   destination -> device else UNKNOWN_DEST, then the same checks with
 *   outbound rules (src zone, dport) -> PASS ALLOWED; inbound reverse ->
 *   PASS REPLY; else NO_CONDUIT.
 *
 * Time base (one for XDP, kmod and the classifier)
 * ------------------------------------------------
 * The datapath clock is CLOCK_BOOTTIME (bpf_ktime_get_boot_ns(),
 * ktime_get_boottime_ns()): monotonic, counts suspend, never stepped.
 *   - Block expiries (struct mw_block.until, MW_A_UNTIL) are CLOCK_BOOTTIME
 *     ns: no clock step lengthens or shortens a block.
 *   - Wall-clock checks add an offset that the controller sets in both
 *     datapaths at every load and on every clock step (MW_CMD_CLOCK_SET,
 *     struct mw_config): boot_to_unix_ns, the host's latest, for windows,
 *     valid_from and event times; boot_to_unix_max_ns, the largest offset
 *     set since the module or the maps were created, for agreement
 *     expires and the policy's own expires.  A step back of the wall clock
 *     therefore never revives an expired agreement or policy; only an
 *     explicit reset (MW_CLOCK_F_RESET_MAX) lowers the maximum.
 *
 * Rate limits (struct mw_img_system limit_pps, limit_bps)
 * --------------------------------------------------------
 * Per system, shared by all its devices and both directions, a GCRA
 * (virtual scheduling) per limit on the CLOCK_BOOTTIME clock, with a burst
 * of MW_RATE_BURST_NS worth of traffic.  With now the packet's time and
 * len its IP length (IPv4 total length; IPv6 payload length + 40):
 *   cost_p = pps ? 1e9 / pps : 0;  cost_b = bps ? len * 8 * 1e9 / bps : 0
 *   tp = max(tat_pkt, now);  tb = max(tat_bit, now)
 *   admit iff tp + cost_p <= now + BURST and tb + cost_b <= now + BURST;
 *   if admitted: tat_pkt = tp + cost_p, tat_bit = tb + cost_b.
 * (integer arithmetic, ns).  Only packets that would pass are charged.
 *
 * Generic netlink family "meterwall" (MW_GENL_NAME, version MW_GENL_VERSION)
 * ------------------------------------------------------------------------
 * Every command needs CAP_NET_ADMIN in the caller's network namespace.
 *
 *   MW_CMD_POLICY_BEGIN   in:  MW_A_IMAGE_LEN (u32, 1..MW_IMAGE_MAX)
 *                         out: MW_A_TXN_ID (u32, never 0)
 *                         Opens a transaction; a previous open one is aborted.
 *   MW_CMD_POLICY_CHUNK   in:  MW_A_TXN_ID, MW_A_CHUNK_OFF (u32),
 *                              MW_A_CHUNK_DATA (binary, 1..MW_CHUNK_MAX)
 *                         Chunks must arrive in order without gaps.
 *   MW_CMD_POLICY_COMMIT  in:  MW_A_TXN_ID, MW_A_CLOCK (s64, optional: the
 *                              controller's boot_to_unix_ns; absent, the
 *                              module reads its own), MW_A_FLAGS (u32,
 *                              enum mw_commit_flags, optional)
 *                         Validates the whole image and swaps it in (RCU).
 *                         Anti-rollback: a serial below the one in force
 *                         is refused (-ESTALE) unless MW_COMMIT_F_ROLLBACK;
 *                         an equal serial with another digest (content)
 *                         always (-EEXIST); the same image is a reload.
 *                         Sets the clock as MW_CMD_CLOCK_SET (no reset).
 *                         Any failure leaves the running policy untouched.
 *   MW_CMD_POLICY_ABORT   in:  MW_A_TXN_ID
 *   MW_CMD_BLOCK          in:  MW_A_TARGET_KIND (u8, enum mw_target),
 *                              MW_A_TARGET_ID (u32), MW_A_UNTIL (u64
 *                              CLOCK_BOOTTIME ns, 0 = until unblocked),
 *                              MW_A_REASON (u32,
 *                              enum mw_block_cause)
 *                         Also removes the target's conntrack entries.
 *   MW_CMD_UNBLOCK        in:  MW_A_TARGET_KIND, MW_A_TARGET_ID
 *   MW_CMD_ISLAND         in:  MW_A_ISLAND (u8, 0 or 1)
 *   MW_CMD_CLOCK_SET      in:  MW_A_CLOCK (s64 boot_to_unix_ns), MW_A_FLAGS
 *                              (u32, enum mw_clock_flags, optional)
 *                         boot_to_unix_ns = MW_A_CLOCK; boot_to_unix_max_ns =
 *                         the larger of itself and MW_A_CLOCK (or MW_A_CLOCK
 *                         with MW_CLOCK_F_RESET_MAX).
 *   MW_CMD_GET_STATUS     out: MW_A_SERIAL (u64), MW_A_DIGEST (32 bytes),
 *                              MW_A_ISLAND, MW_A_GENERATION (u32),
 *                              MW_A_CLOCK, MW_A_CLOCK_MAX (s64)
 *   MW_CMD_GET_COUNTERS   dump; each message: MW_A_TARGET_KIND,
 *                              MW_A_TARGET_ID, MW_A_COUNTERS (struct mw_counter)
 *                         Kinds: REASON (every id 0..MW_R_MAX), then SYSTEM,
 *                         DEVICE, CONDUIT (every id of the running policy).
 *                         Per-id counters carry over a reload by id.
 *   MW_CMD_GET_BLOCKS     dump; each message: MW_A_TARGET_KIND,
 *                              MW_A_TARGET_ID, MW_A_UNTIL, MW_A_REASON
 * Multicast group MW_GENL_MCGRP_EVENTS carries MW_CMD_EVENT messages with
 * MW_A_EVENT (struct mw_event), rate-limited per device.
 * Unknown attributes and flags are rejected with -EOPNOTSUPP / -EINVAL.
 */
#ifndef _UAPI_LINUX_METERWALL_H
#define _UAPI_LINUX_METERWALL_H

#ifndef __VMLINUX_H__	/* BPF programs get the types from vmlinux.h */
#include <linux/types.h>
#endif

#define MW_GENL_NAME		"meterwall"
#define MW_GENL_VERSION		1
#define MW_GENL_MCGRP_EVENTS	"events"

#define MW_IMAGE_MAGIC		0x4950574dU	/* "MWPI" little-endian */
#define MW_IMAGE_VERSION	2
#define MW_IMAGE_MAX		(256U << 20)	/* 256 MiB */
#define MW_CHUNK_MAX		(60U << 10)

#define MW_ID_NONE		0xffffffffU
#define MW_NAME_MAX		64	/* names, incl. NUL */
#define MW_IFNAMSIZ		16

/* Capacity limits: checked by the compiler, relied on by the datapaths. */
#define MW_MAX_IFACES		64
#define MW_MAX_ZONES		64	/* a zone set is one __u64 mask */
#define MW_MAX_SYSTEMS		65536
#define MW_MAX_DEVICES		(1U << 20)
#define MW_MAX_CSETS		65536
#define MW_MAX_CONDUITS		65536
#define MW_MAX_WINDOWS		256
#define MW_CSET_RULES		32	/* rules in one conduit set */
#define MW_WINDOW_RANGES	7
#define MW_MAX_VLANS		4096
#define MW_MAX_EXTHDRS		8	/* IPv6 extension headers parsed */
#define MW_MAX_VLAN_TAGS	2

/*
 * Wire values the decision model names (doc/datapath.md), for the three
 * implementations alike.
 */
#define MW_IPOPT_END		0	/* IPv4 options */
#define MW_IPOPT_NOOP		1
#define MW_IPOPT_LSRR		131
#define MW_IPOPT_SSRR		137
#define MW_ICMP_DEST_UNREACH	3	/* ICMP errors that quote a packet */
#define MW_ICMP_TIME_EXCEEDED	11
#define MW_ICMP_PARAMETERPROB	12
#define MW_ICMP_REDIRECT	5	/* ICMP routing control */
#define MW_ICMP_ROUTERADVERT	9
#define MW_ICMP_ROUTERSOLICIT	10
#define MW_ICMPV6_DEST_UNREACH	1	/* ICMPv6 errors */
#define MW_ICMPV6_PKT_TOOBIG	2
#define MW_ICMPV6_TIME_EXCEED	3
#define MW_ICMPV6_PARAMPROB	4
#define MW_ICMPV6_ROUTER_SOL	133	/* ICMPv6 routing control, and ND */
#define MW_ICMPV6_ROUTER_ADV	134
#define MW_ICMPV6_NEIGH_SOL	135
#define MW_ICMPV6_NEIGH_ADV	136
#define MW_ICMPV6_REDIRECT	137
#define MW_ICMPV6_ROUTER_RENUM	138
#define MW_ND_MSG_LEN		24	/* NS/NA: ICMPv6 header + target */
#define MW_ND_OPT_SLLAO		1	/* source link-layer address */
#define MW_ND_OPT_TLLAO		2	/* target link-layer address */
#define MW_ND_MAX_OPTS		16	/* ND options read; more: MALFORMED */

#define MW_ANY_PROTO		255	/* IPPROTO_RAW: never on the wire here */
#define MW_ZONES_ANY		(~0ULL)
#define MW_MINUTES_PER_WEEK	10080

/* Verdicts. 0 is never a valid verdict. */
enum mw_verdict {
	MW_VERDICT_UNSPEC = 0,
	MW_VERDICT_PASS,
	MW_VERDICT_DROP,
	__MW_VERDICT_LAST
};

/* Reason codes: every verdict carries exactly one. */
enum mw_reason {
	MW_R_UNSPEC = 0,
	/* pass */
	MW_R_ALLOWED,		/* matched a conduit in its direction */
	MW_R_REPLY,		/* reverse of a conduit of the other direction */
	MW_R_L2_CONTROL,	/* ARP / IPv6 neighbour discovery let through */
	/* drop */
	MW_R_NO_POLICY,		/* nothing loaded: fail closed */
	MW_R_ISLAND,		/* island mode: all external traffic dropped */
	MW_R_MALFORMED,		/* truncated or inconsistent headers */
	MW_R_VLAN,		/* tag not allowed on this interface, or stacked */
	MW_R_NON_IP,		/* ethertype other than IPv4/IPv6/ARP */
	MW_R_L2_DENIED,		/* ARP / ND not allowed by the interface mode */
	MW_R_EXTHDR,		/* IPv6 extension chain not finished */
	MW_R_UNKNOWN_SOURCE,	/* source is no declared device */
	MW_R_UNKNOWN_DEST,	/* outbound: destination is no declared device */
	MW_R_WRONG_IFACE,	/* device seen on another system's interface */
	MW_R_SPOOFED,		/* MAC binding mismatch */
	MW_R_BLOCKED,		/* system or device blocked */
	MW_R_AGREEMENT,		/* outside the system's agreement validity */
	MW_R_FRAGMENT,		/* fragment where only port rules would match */
	MW_R_NO_CONDUIT,	/* no conduit allows this packet */
	MW_R_NOT_MANAGED,	/* interface is not in the policy */
	MW_R_SOURCE_ROUTE,	/* IPv4 LSRR/SSRR or IPv6 routing header with
				 * hops left: the header's destination is not
				 * the packet's */
	MW_R_ICMP_CONTROL,	/* inbound ICMP redirect or router discovery
				 * (v4 5, 9, 10; v6 133, 134, 137, 138) */
	MW_R_RELATED,		/* pass: ICMP error quoting a packet the policy
				 * lets through (turned around, same system) */
	MW_R_RATE_LIMIT,	/* the system's limits (pps, bps) are reached */
	MW_R_POLICY_EXPIRED,	/* the policy's own expires has passed */
	MW_R_FLOW,		/* pass: follows a connection the kernel
				 * module tracks (kmod only) */
	__MW_R_LAST
};
#define MW_R_MAX (__MW_R_LAST - 1)

enum mw_zone_kind {
	MW_ZONE_UNSPEC = 0,
	MW_ZONE_EXTERNAL,	/* demarcation side: external systems */
	MW_ZONE_SMART_METER,	/* head-end, concentrators, meter networks */
	__MW_ZONE_LAST
};

/* ARP / ND handling on an external interface. */
enum mw_l2_mode {
	MW_L2_DEVICES = 0,	/* from declared, unblocked devices (default) */
	MW_L2_ALL,
	MW_L2_NONE,
	__MW_L2_LAST
};

enum mw_direction {
	MW_DIR_INBOUND = 0,	/* external -> smart meter side */
	MW_DIR_OUTBOUND,	/* smart meter side -> external */
	__MW_DIR_LAST
};

enum mw_target {
	MW_TARGET_UNSPEC = 0,
	MW_TARGET_SYSTEM,
	MW_TARGET_DEVICE,
	MW_TARGET_CONDUIT,	/* counters only: per-conduit */
	MW_TARGET_REASON,	/* counters only: id = enum mw_reason; 0 =
				 * packets that followed a tracked flow (kmod) */
	__MW_TARGET_LAST
};

enum mw_block_cause {
	MW_BLOCK_OPERATOR = 0,
	MW_BLOCK_THRESHOLD,
	MW_BLOCK_INCIDENT,
	__MW_BLOCK_LAST
};

/* ---------------------------------------------------------------------- */
/* Compiled policy image                                                  */

enum mw_section {
	MW_SEC_IFACES = 0,	/* struct mw_img_iface */
	MW_SEC_ZONES,		/* struct mw_img_zone */
	MW_SEC_ZONE_PREFIXES,	/* struct mw_img_prefix, value = zone mask */
	MW_SEC_SYSTEMS,		/* struct mw_img_system */
	MW_SEC_DEVICES,		/* struct mw_img_device */
	MW_SEC_DEV_PREFIXES,	/* struct mw_img_prefix, value = device id */
	MW_SEC_CSETS,		/* struct mw_img_cset */
	MW_SEC_CONDUITS,	/* struct mw_img_conduit */
	MW_SEC_WINDOWS,		/* struct mw_img_window */
	MW_SEC_STRINGS,		/* NUL-terminated strings, entry_size 1 */
	__MW_SEC_LAST
};
#define MW_SEC_MAX __MW_SEC_LAST

struct mw_image_sect {
	__u32 offset;		/* from the start of the image, 8-aligned */
	__u32 count;		/* records */
	__u32 entry_size;	/* sizeof(record); 1 for strings */
	__u32 reserved;
};

/* Header flags */
enum mw_image_flags {
	MW_IMG_F_SIGNED = 1 << 0,	/* a detached signature accompanies it */
	__MW_IMG_F_ALL = (1 << 1) - 1
};

struct mw_image_hdr {
	__u32 magic;		/* MW_IMAGE_MAGIC */
	__u16 version;		/* MW_IMAGE_VERSION */
	__u16 hdr_size;		/* sizeof(hdr) + sect[] */
	__u32 total_size;	/* whole image in bytes */
	__u32 flags;		/* enum mw_image_flags */
	__u64 serial;		/* policy serial: monotonic (anti-rollback) */
	__s64 created;		/* unix seconds */
	__s64 expires;		/* unix seconds, 0 = never */
	__s32 tz_offset;	/* policy time zone, seconds east of UTC */
	__u32 flow_entries;	/* flow table size the policy asks for */
	__u8 digest[32];	/* SHA-256 of image, digest and created zeroed */
	__u32 n_sections;	/* MW_SEC_MAX of the writer */
	__u16 reply_lo;		/* stateless replies go to a destination */
	__u16 reply_hi;		/* port in [reply_lo, reply_hi] (1..65535) */
	struct mw_image_sect sect[MW_SEC_MAX];
};

struct mw_img_iface {
	char name[MW_IFNAMSIZ];
	__u32 id;
	__u8 zone;		/* enum mw_zone_kind */
	__u8 arp;		/* enum mw_l2_mode */
	__u8 nd;		/* enum mw_l2_mode */
	__u8 flags;		/* enum mw_iface_flags */
	__u8 vlans[MW_MAX_VLANS / 8];	/* bit n set: single tag n allowed */
};

enum mw_iface_flags {
	MW_IFACE_F_UNTAGGED = 1 << 0,	/* untagged frames allowed */
	__MW_IFACE_F_ALL = (1 << 1) - 1
};

struct mw_img_zone {
	__u32 id;		/* bit number in a zone mask */
	__u32 name;		/* string offset */
	__u32 flags;		/* enum mw_zone_flags */
	__u32 reserved;
};

enum mw_zone_flags {
	MW_ZONE_F_ANON = 1 << 0,	/* made from a conduit's literal prefixes */
	__MW_ZONE_F_ALL = (1 << 1) - 1
};

/*
 * A prefix in a longest-prefix table.  For ZONE_PREFIXES value is the mask
 * of every zone that contains the prefix (supersets included, so the
 * longest match alone gives the full zone set); for DEV_PREFIXES value is
 * the device id.
 */
struct mw_img_prefix {
	__u8 family;		/* AF_INET (2) or AF_INET6 (10) */
	__u8 plen;
	__u8 reserved[6];
	__u8 addr[16];		/* network byte order, zero past plen */
	__u64 value;
};

enum mw_system_flags {
	MW_SYS_F_VALID_FROM = 1 << 0,	/* valid_from is set */
	MW_SYS_F_EXPIRES = 1 << 1,	/* expires is set */
	MW_SYS_F_AB_DEVICE = 1 << 2,	/* auto-block the device, not the system */
	__MW_SYS_F_ALL = (1 << 3) - 1
};

struct mw_img_system {
	__u32 id;
	__u32 name;		/* string offsets ... */
	__u32 entity;
	__u32 contact;
	__u32 agreement;
	__u32 iface;		/* demarcation interface id */
	__u32 cset;		/* conduit set of devices without overrides */
	__u32 flags;		/* enum mw_system_flags */
	__s64 valid_from;	/* unix seconds */
	__s64 expires;		/* unix seconds: first instant NOT valid */
	__u64 limit_pps;	/* 0 = none */
	__u64 limit_bps;
	__u32 ab_drops_pm;	/* auto-block: drops per minute, 0 = off */
	__u32 ab_flows_ps;	/* auto-block: new flows per second, 0 = off */
	__u32 ab_block_for;	/* auto-block duration, seconds, 0 = until reconnect */
	__u32 ab_scan_pm;	/* auto-block: distinct destinations (address,
				 * port) of new flows per minute, 0 = off */
	__u32 ab_over_limits;	/* auto-block: seconds of the last minute with
				 * drops for the limits, 0 = off (1..60) */
	__u32 reserved;		/* 0 */
};

enum mw_device_flags {
	MW_DEV_F_MAC = 1 << 0,		/* mac binding present */
	MW_DEV_F_OVERRIDE = 1 << 1,	/* device has its own conduits */
	__MW_DEV_F_ALL = (1 << 2) - 1
};

struct mw_img_device {
	__u32 id;
	__u32 system;
	__u32 name;
	__u32 cset;
	__u8 mac[6];
	__u16 flags;		/* enum mw_device_flags */
	__u32 reserved;
};

enum mw_rule_flags {
	MW_RULE_F_OUTBOUND = 1 << 0,	/* rule of an outbound conduit */
	MW_RULE_F_PORTS = 1 << 1,	/* port range restricts */
	__MW_RULE_F_ALL = (1 << 2) - 1
};

/*
 * One rule: a conduit's protocol, zone set and one port range.
 * Inbound rule: dst in zones, dport in [port_lo, port_hi].
 * Outbound rule: src in zones (smart meter side), dport in range.
 */
struct mw_rule {
	__u64 zones;		/* zone mask; MW_ZONES_ANY = anywhere */
	__u16 port_lo;
	__u16 port_hi;
	__u8 proto;		/* IPPROTO_*, MW_ANY_PROTO */
	__u8 flags;		/* enum mw_rule_flags */
	__u16 window;		/* window id + 1; 0 = always */
	__u32 conduit;		/* conduit id */
	__u32 reserved;
};

struct mw_img_cset {
	__u32 id;
	__u32 n_rules;
	struct mw_rule rules[MW_CSET_RULES];
};

struct mw_img_conduit {
	__u32 id;
	__u32 system;
	__u32 device;		/* MW_ID_NONE: system-wide */
	__u32 name;		/* "system/name" */
	__u8 direction;		/* enum mw_direction */
	__u8 proto;
	__u16 window;		/* window id + 1; 0 = always */
	__u32 reserved;
};

/* Weekly windows in UTC minutes of the week (Thursday 00:00 = 0, the
 * weekday of the Unix epoch). start > end wraps across the week's end. */
struct mw_window_range {
	__u16 start;
	__u16 end;		/* exclusive */
};

struct mw_img_window {
	__u32 id;
	__u32 n;
	struct mw_window_range r[MW_WINDOW_RANGES];
	__u32 reserved;
};

/* ---------------------------------------------------------------------- */
/* Datapath map keys and values (XDP maps, kmod tables, netlink payloads)  */

/* Exact-match address key (hash map: host addresses). */
struct mw_addr_key {
	__u8 family;
	__u8 reserved[3];
	__u8 addr[16];
};

/* LPM trie key: data is family byte then 16 address bytes, so prefixlen
 * is 8 + the address prefix length. */
struct mw_lpm_key {
	__u32 prefixlen;
	__u8 family;
	__u8 addr[16];
	__u8 reserved[3];
};

struct mw_block {
	__u32 active;		/* 0 = not blocked */
	__u32 cause;		/* enum mw_block_cause */
	__u64 until;		/* CLOCK_BOOTTIME ns; 0 = until unblocked */
};

struct mw_counter {
	__u64 pass_packets;
	__u64 pass_bytes;
	__u64 drop_packets;
	__u64 drop_bytes;
};

struct mw_flow_key {
	__u32 ifindex;
	__u8 family;
	__u8 proto;
	__be16 sport;
	__be16 dport;
	__u16 reserved;
	__u8 src[16];
	__u8 dst[16];
};

struct mw_flow {
	__u64 packets;
	__u64 bytes;
	__u64 first_ns;		/* unix ns */
	__u64 last_ns;
	__u32 device;
	__u32 conduit;		/* MW_ID_NONE when dropped */
	__u32 generation;	/* policy generation that judged it */
	__u8 verdict;
	__u8 reason;
	__u16 reserved;
};

/*
 * Drop events (XDP ring buffer, the module's "events" multicast group):
 * at most this many per device per second by default in both enforcement
 * points (XDP: mw_config.event_rate; the module: its event_rate
 * parameter), and as many for all drops without a device together.
 */
#define MW_EVENT_RATE_DEFAULT	10

struct mw_event {
	__u64 ts_ns;		/* unix ns */
	__u32 ifindex;
	__u32 device;		/* MW_ID_NONE if unknown */
	__u32 system;
	__u8 verdict;
	__u8 reason;
	__u8 family;
	__u8 proto;
	__be16 sport;
	__be16 dport;
	__u32 reserved;
	__u8 src[16];
	__u8 dst[16];
};

struct mw_config {
	__u32 island;		/* 1: drop everything on external interfaces */
	__u32 generation;	/* bumps on every policy swap; 0 = none loaded */
	__s64 boot_to_unix_ns;	/* add to boot-time ns to get unix ns */
	__u32 event_rate;	/* drop events per device per second */
	__u32 slot;		/* active policy slot (0 or 1) of the XDP maps */
	__s64 boot_to_unix_max_ns; /* largest boot_to_unix_ns set (expiries) */
};

/* ---------------------------------------------------------------------- */
/* Generic netlink                                                        */

enum mw_cmd {
	MW_CMD_UNSPEC = 0,
	MW_CMD_POLICY_BEGIN,
	MW_CMD_POLICY_CHUNK,
	MW_CMD_POLICY_COMMIT,
	MW_CMD_POLICY_ABORT,
	MW_CMD_BLOCK,
	MW_CMD_UNBLOCK,
	MW_CMD_ISLAND,
	MW_CMD_GET_STATUS,
	MW_CMD_GET_COUNTERS,
	MW_CMD_GET_BLOCKS,
	MW_CMD_EVENT,
	MW_CMD_CLOCK_SET,
	__MW_CMD_LAST
};
#define MW_CMD_MAX (__MW_CMD_LAST - 1)

enum mw_attr {
	MW_A_UNSPEC = 0,
	MW_A_TXN_ID,		/* u32 */
	MW_A_IMAGE_LEN,		/* u32 */
	MW_A_CHUNK_OFF,		/* u32 */
	MW_A_CHUNK_DATA,	/* binary */
	MW_A_TARGET_KIND,	/* u8, enum mw_target */
	MW_A_TARGET_ID,		/* u32 */
	MW_A_UNTIL,		/* u64, CLOCK_BOOTTIME ns */
	MW_A_REASON,		/* u32, enum mw_block_cause */
	MW_A_ISLAND,		/* u8 */
	MW_A_SERIAL,		/* u64 */
	MW_A_DIGEST,		/* binary, 32 bytes */
	MW_A_GENERATION,	/* u32 */
	MW_A_COUNTERS,		/* struct mw_counter */
	MW_A_EVENT,		/* struct mw_event */
	MW_A_PAD,
	MW_A_CLOCK,		/* s64, boot_to_unix_ns */
	MW_A_CLOCK_MAX,		/* s64, boot_to_unix_max_ns */
	MW_A_FLAGS,		/* u32, enum mw_commit_flags / mw_clock_flags */
	__MW_A_LAST
};
#define MW_A_MAX (__MW_A_LAST - 1)

enum mw_commit_flags {
	MW_COMMIT_F_ROLLBACK = 1 << 0,	/* accept a serial below the one in force */
	__MW_COMMIT_F_ALL = (1 << 1) - 1
};

enum mw_clock_flags {
	MW_CLOCK_F_RESET_MAX = 1 << 0,	/* boot_to_unix_max_ns = MW_A_CLOCK */
	__MW_CLOCK_F_ALL = (1 << 1) - 1
};

/* Rate limits: a burst of this much time's worth of traffic; the largest
 * limits a policy may declare (a packet costs at least 1 ns of each). */
#define MW_RATE_BURST_NS	1000000000ULL
#define MW_LIMIT_PPS_MAX	1000000000ULL		/* 10^9 packets/s */
#define MW_LIMIT_BPS_MAX	1000000000000ULL	/* 1 Tbit/s */

/*
 * Layout checks: the same sizes in every context that includes this file
 * (kernel, BPF, userspace).  A change here is an ABI change.
 */
#define MW_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " layout")
MW_ASSERT_SIZE(struct mw_image_sect, 16);
MW_ASSERT_SIZE(struct mw_image_hdr, 88 + 16 * MW_SEC_MAX);
MW_ASSERT_SIZE(struct mw_img_iface, 24 + MW_MAX_VLANS / 8);
MW_ASSERT_SIZE(struct mw_img_zone, 16);
MW_ASSERT_SIZE(struct mw_img_prefix, 32);
MW_ASSERT_SIZE(struct mw_img_system, 88);
MW_ASSERT_SIZE(struct mw_img_device, 28);
MW_ASSERT_SIZE(struct mw_rule, 24);
MW_ASSERT_SIZE(struct mw_img_cset, 8 + 24 * MW_CSET_RULES);
MW_ASSERT_SIZE(struct mw_img_conduit, 24);
MW_ASSERT_SIZE(struct mw_img_window, 12 + 4 * MW_WINDOW_RANGES);
MW_ASSERT_SIZE(struct mw_addr_key, 20);
MW_ASSERT_SIZE(struct mw_lpm_key, 24);
MW_ASSERT_SIZE(struct mw_block, 16);
MW_ASSERT_SIZE(struct mw_counter, 32);
MW_ASSERT_SIZE(struct mw_flow_key, 44);
MW_ASSERT_SIZE(struct mw_flow, 48);
MW_ASSERT_SIZE(struct mw_event, 64);
MW_ASSERT_SIZE(struct mw_config, 32);

#endif /* _UAPI_LINUX_METERWALL_H */
