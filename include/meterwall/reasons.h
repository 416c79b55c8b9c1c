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

#define MW_REASON_(r, v, d) [MW_R_##r] = { #r, MW_VERDICT_##v, d }

/* The entry of r, NULL when r is no reason (UNSPEC or out of range). */
static inline const struct mw_reason_info *mw_reason_info(unsigned int r)
{
	static const struct mw_reason_info t[__MW_R_LAST] = {
		MW_REASON_(ALLOWED, PASS, "matches a conduit of its direction"),
		MW_REASON_(REPLY, PASS,
			   "reply within a conduit of the other direction"),
		MW_REASON_(L2_CONTROL, PASS,
			   "ARP / neighbour discovery allowed by the interface"),
		MW_REASON_(NO_POLICY, DROP, "no policy loaded: fail closed"),
		MW_REASON_(ISLAND, DROP,
			   "island mode: all external traffic is dropped"),
		MW_REASON_(MALFORMED, DROP, "headers truncated or inconsistent"),
		MW_REASON_(VLAN, DROP,
			   "VLAN tag not allowed on this interface (802.1ad and stacked tags never are)"),
		MW_REASON_(NON_IP, DROP, "not IP, ARP or neighbour discovery"),
		MW_REASON_(L2_DENIED, DROP,
			   "ARP / neighbour discovery not allowed"),
		MW_REASON_(EXTHDR, DROP, "IPv6 extension header chain too long"),
		MW_REASON_(UNKNOWN_SOURCE, DROP,
			   "source is no declared device of an external system"),
		MW_REASON_(UNKNOWN_DEST, DROP,
			   "destination is no declared device of an external system"),
		MW_REASON_(WRONG_IFACE, DROP,
			   "the device's system is demarcated on another interface"),
		MW_REASON_(SPOOFED, DROP,
			   "source MAC (or the ARP/ND link-layer address) differs from the device's"),
		MW_REASON_(BLOCKED, DROP, "the system or device is blocked"),
		MW_REASON_(AGREEMENT, DROP,
			   "outside the system's agreement validity"),
		MW_REASON_(FRAGMENT, DROP,
			   "fragment: only conduits without ports accept fragments"),
		MW_REASON_(NO_CONDUIT, DROP, "no conduit allows this packet"),
		MW_REASON_(NOT_MANAGED, DROP, "interface is not in the policy"),
		MW_REASON_(SOURCE_ROUTE, DROP,
			   "source-routed: the header's destination is not the packet's"),
		MW_REASON_(ICMP_CONTROL, DROP,
			   "ICMP redirect or router discovery from an external link"),
		MW_REASON_(RELATED, PASS,
			   "ICMP error quoting a packet a conduit lets through"),
		MW_REASON_(RATE_LIMIT, DROP,
			   "beyond the system's limits (pps, bps)"),
		MW_REASON_(POLICY_EXPIRED, DROP,
			   "the policy in force has expired: fail closed"),
		MW_REASON_(FLOW, PASS,
			   "follows a connection the kernel module tracks"),
	};

	return r < __MW_R_LAST && t[r].name ? &t[r] : NULL;
}

#undef MW_REASON_

#endif /* MW_REASONS_H */
