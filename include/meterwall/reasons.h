/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of reason codes (enum mw_reason in the uapi header): name,
 * verdict and what it means, for the classifier, mwctl (explain, status,
 * flows, events), the tests and the fuzzers.  Freestanding: the kernel
 * module may use it too.  The XDP program keeps its own is_pass() (a
 * switch the verifier sees); test_xdp_diff checks every reason's verdict
 * against this table.
 */
#ifndef MW_REASONS_H
#define MW_REASONS_H

#include <meterwall/freestanding.h>

struct mw_reason_info {
	const char *name;	/* as in logs and JSON: "NO_CONDUIT" */
	uint8_t verdict;	/* enum mw_verdict */
	const char *desc;	/* one line for people */
};

/* The entry of r, NULL when r is no reason (UNSPEC or out of range). */
static inline const struct mw_reason_info *mw_reason_info(unsigned int r)
{
	static const struct mw_reason_info t[__MW_R_LAST] = {
		[MW_R_ALLOWED] = { "ALLOWED", MW_VERDICT_PASS,
			"matches a conduit of its direction" },
		[MW_R_REPLY] = { "REPLY", MW_VERDICT_PASS,
			"reply within a conduit of the other direction" },
		[MW_R_L2_CONTROL] = { "L2_CONTROL", MW_VERDICT_PASS,
			"ARP / neighbour discovery allowed by the interface" },
		[MW_R_NO_POLICY] = { "NO_POLICY", MW_VERDICT_DROP,
			"no policy loaded: fail closed" },
		[MW_R_ISLAND] = { "ISLAND", MW_VERDICT_DROP,
			"island mode: all external traffic is dropped" },
		[MW_R_MALFORMED] = { "MALFORMED", MW_VERDICT_DROP,
			"headers truncated or inconsistent" },
		[MW_R_VLAN] = { "VLAN", MW_VERDICT_DROP,
			"VLAN tag not allowed on this interface (802.1ad and stacked tags never are)" },
		[MW_R_NON_IP] = { "NON_IP", MW_VERDICT_DROP,
			"not IP, ARP or neighbour discovery" },
		[MW_R_L2_DENIED] = { "L2_DENIED", MW_VERDICT_DROP,
			"ARP / neighbour discovery not allowed" },
		[MW_R_EXTHDR] = { "EXTHDR", MW_VERDICT_DROP,
			"IPv6 extension header chain too long" },
		[MW_R_UNKNOWN_SOURCE] = { "UNKNOWN_SOURCE", MW_VERDICT_DROP,
			"source is no declared device of an external system" },
		[MW_R_UNKNOWN_DEST] = { "UNKNOWN_DEST", MW_VERDICT_DROP,
			"destination is no declared device of an external system" },
		[MW_R_WRONG_IFACE] = { "WRONG_IFACE", MW_VERDICT_DROP,
			"the device's system is demarcated on another interface" },
		[MW_R_SPOOFED] = { "SPOOFED", MW_VERDICT_DROP,
			"source MAC (or the ARP/ND link-layer address) differs from the device's" },
		[MW_R_BLOCKED] = { "BLOCKED", MW_VERDICT_DROP,
			"the system or device is blocked" },
		[MW_R_AGREEMENT] = { "AGREEMENT", MW_VERDICT_DROP,
			"outside the system's agreement validity" },
		[MW_R_FRAGMENT] = { "FRAGMENT", MW_VERDICT_DROP,
			"fragment: only conduits without ports accept fragments" },
		[MW_R_NO_CONDUIT] = { "NO_CONDUIT", MW_VERDICT_DROP,
			"no conduit allows this packet" },
		[MW_R_NOT_MANAGED] = { "NOT_MANAGED", MW_VERDICT_DROP,
			"interface is not in the policy" },
		[MW_R_SOURCE_ROUTE] = { "SOURCE_ROUTE", MW_VERDICT_DROP,
			"source-routed: the header's destination is not the packet's" },
		[MW_R_ICMP_CONTROL] = { "ICMP_CONTROL", MW_VERDICT_DROP,
			"ICMP redirect or router discovery from an external link" },
		[MW_R_RELATED] = { "RELATED", MW_VERDICT_PASS,
			"ICMP error quoting a packet a conduit lets through" },
		[MW_R_RATE_LIMIT] = { "RATE_LIMIT", MW_VERDICT_DROP,
			"beyond the system's limits (pps, bps)" },
		[MW_R_POLICY_EXPIRED] = { "POLICY_EXPIRED", MW_VERDICT_DROP,
			"the policy in force has expired: fail closed" },
		[MW_R_FLOW] = { "FLOW", MW_VERDICT_PASS,
			"follows a connection the kernel module tracks" },
	};

	return r < __MW_R_LAST && t[r].name ? &t[r] : NULL;
}

#endif /* MW_REASONS_H */
