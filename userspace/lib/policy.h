/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy model: what a validated policy file says, before compilation.
 * The parser (policy_parse.c) produces it, the risk assessor (risk.c) and
 * the compiler (compile.c) consume it.  Every element remembers where in
 * the file it came from so later stages can point at it too.
 */
#ifndef MW_POLICY_H
#define MW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/meterwall.h>
#include <meterwall/prefix.h>

#include "diag.h"


struct mw_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];	/* network order, host bits zero */
	struct mw_loc loc;
};

/* Default reply_ports: the ephemeral ports of every common stack. */
#define MW_REPLY_PORT_LO	1024
#define MW_REPLY_PORT_HI	65535

struct mw_port_range {
	uint16_t lo;
	uint16_t hi;		/* inclusive */
};

/* Weekly time window in the policy's time zone. */
struct mw_window_spec {
	bool set;
	uint8_t days;		/* bit 0 = Monday ... bit 6 = Sunday */
	uint16_t from;		/* minutes after local midnight */
	uint16_t to;		/* exclusive; to <= from wraps past midnight */
	struct mw_loc loc;
};

struct mw_conduit_spec {
	char name[MW_NAME_MAX];	/* given, or "<direction>-<index>" */
	struct mw_loc loc;
	enum mw_direction dir;
	uint8_t proto;		/* IPPROTO_TCP/UDP/ICMP/ICMPV6, MW_ANY_PROTO */
	char (*zones)[MW_NAME_MAX];	/* named zones; empty with no prefixes = any */
	size_t n_zones;
	struct mw_loc *zone_locs;
	struct mw_prefix *prefixes;	/* literal prefixes */
	size_t n_prefixes;
	struct mw_port_range *ports;	/* empty = any port */
	size_t n_ports;
	struct mw_window_spec window;
};

struct mw_device_spec {
	char name[MW_NAME_MAX];
	struct mw_loc loc;
	struct mw_prefix *addrs;	/* at least one */
	size_t n_addrs;
	bool has_mac;
	uint8_t mac[6];
	bool override;		/* own conduits replace the system's */
	struct mw_conduit_spec *conduits;
	size_t n_conduits;
};

struct mw_limits {
	uint64_t pps;		/* 0 = unlimited */
	uint64_t bps;
};

struct mw_auto_block {
	uint32_t drops_per_min;	/* 0 = off */
	uint32_t new_flows_per_sec;	/* 0 = off */
	uint32_t block_for;	/* seconds, 0 = until reconnect */
	uint32_t scan_targets_per_min;	/* 0 = off */
	uint32_t over_limits_secs;	/* 0 = off, else 1..60 */
	bool device;		/* scope: block the device, not the system */
};

struct mw_system_spec {
	char name[MW_NAME_MAX];
	struct mw_loc loc;
	char entity[128];
	char contact[128];	/* may be empty: a risk finding */
	char agreement[MW_NAME_MAX];
	bool has_valid_from;
	int64_t valid_from;	/* unix seconds, start of that day (policy tz) */
	bool has_expires;
	int64_t expires;	/* unix seconds, first instant not valid */
	struct mw_loc expires_loc;
	char iface[MW_IFNAMSIZ];	/* demarcation interface */
	struct mw_device_spec *devices;
	size_t n_devices;
	struct mw_conduit_spec *conduits;
	size_t n_conduits;
	struct mw_limits limits;
	struct mw_auto_block auto_block;
	bool two_person;	/* reconnect needs an approver other than the
				 * requester (kept by the controller, not in
				 * the image) */
};

struct mw_zone_spec {
	char name[MW_NAME_MAX];
	struct mw_loc loc;
	struct mw_prefix *prefixes;
	size_t n_prefixes;
	bool l2_adjacent;	/* shares a link with the external side */
};

struct mw_iface_spec {
	char name[MW_IFNAMSIZ];
	struct mw_loc loc;
	enum mw_zone_kind zone;
	enum mw_l2_mode arp;
	enum mw_l2_mode nd;
	bool untagged;		/* default true when no vlans are listed */
	uint8_t vlans[MW_MAX_VLANS / 8];
	size_t n_vlans;
};

struct mw_policy {
	char path[256];
	uint64_t serial;
	bool has_expires;
	int64_t expires;
	struct mw_loc expires_loc;
	int32_t tz_offset;	/* seconds east of UTC */
	uint32_t flow_entries;	/* 0 = compiler default */
	/* destination ports a stateless reply may go to (ephemeral ports) */
	struct mw_port_range reply_ports;
	struct mw_iface_spec *ifaces;
	size_t n_ifaces;
	struct mw_zone_spec *zones;
	size_t n_zones;
	struct mw_system_spec *systems;
	size_t n_systems;
};

/* policy_parse.c: 0 or -errno; on error *diag says where and why. */
int mw_policy_load_file(const char *path, struct mw_policy **out,
			struct mw_diag *diag);
int mw_policy_load_buf(const char *name, const char *buf, size_t len,
		       struct mw_policy **out, struct mw_diag *diag);
void mw_policy_free(struct mw_policy *pol);

/* Lookups by name; NULL / -1 when absent. */
const struct mw_zone_spec *mw_policy_zone(const struct mw_policy *pol,
					  const char *name);
int mw_policy_iface_index(const struct mw_policy *pol, const char *name);

/* util.c */
int mw_prefix_parse(const char *s, struct mw_prefix *p);	/* 0 / -EINVAL */
bool mw_prefix_contains(const struct mw_prefix *outer,
			const struct mw_prefix *inner);
bool mw_prefix_overlap(const struct mw_prefix *a, const struct mw_prefix *b);
void mw_prefix_format(const struct mw_prefix *p, char *buf, size_t len);
/* mw_host_bits_zero(), mw_prefix_cmp(): <meterwall/prefix.h> */
int mw_mac_parse(const char *s, uint8_t mac[6]);		/* 0 / -EINVAL */
/* qsort, after one pass that leaves an array already in order -- as a
 * generated policy's devices often are -- untouched: the same result
 * where no two elements compare equal. */
void mw_sort(void *base, size_t n, size_t size,
	     int (*cmp)(const void *, const void *));

#endif /* MW_POLICY_H */
