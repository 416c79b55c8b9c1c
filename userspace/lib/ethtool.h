/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receive VLAN offloads of a network interface, through the SIOCETHTOOL
 * ioctl on the calling thread's network namespace.
 *
 * With "rx-vlan-hw-parse" (NETIF_F_HW_VLAN_CTAG_RX) or
 * "rx-vlan-stag-hw-parse" (NETIF_F_HW_VLAN_STAG_RX) on, a NIC takes the
 * outer 802.1Q / 802.1ad tag out of the frame before the driver runs XDP:
 * the program would judge a tagged frame as untagged and a double-tagged
 * one as single-tagged.  mwctl attach turns both off first.
 *
 * Feature bits are found by name (ETHTOOL_GSSET_INFO and ETHTOOL_GSTRINGS
 * of ETH_SS_FEATURES), read with ETHTOOL_GFEATURES and changed with
 * ETHTOOL_SFEATURES.  A feature the kernel does not name, or that is off,
 * needs nothing.  Every function returns 0 or -errno and prints nothing;
 * on failure err (may be NULL) receives a message that names the
 * interface and the feature.
 */
#ifndef MW_ETHTOOL_H
#define MW_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>

enum mw_eth_rxvlan {
	MW_ETH_RXVLAN_CTAG,	/* rx-vlan-hw-parse */
	MW_ETH_RXVLAN_STAG,	/* rx-vlan-stag-hw-parse */
	__MW_ETH_RXVLAN_N
};

struct mw_eth_feature {
	const char *name;	/* the kernel's feature name */
	bool known;		/* the kernel has a feature of that name */
	bool active;		/* on now */
	bool requested;		/* asked for (may differ from active) */
	bool changeable;	/* available and not never_changed; when
				 * false, ethtool -k shows it "[fixed]" */
};

/* The state of both receive VLAN offloads of ifname. */
int mw_eth_rxvlan_get(const char *ifname,
		      struct mw_eth_feature f[__MW_ETH_RXVLAN_N],
		      char *err, size_t errlen);

/*
 * Turn both off and check that they are.  *changed (may be NULL) is set
 * when a feature had to be changed.  Fails with -EOPNOTSUPP when a
 * feature is on and fixed, or still on after the request, and with the
 * ioctl's error (-EPERM without CAP_NET_ADMIN, -ENODEV for no such
 * interface) otherwise.
 */
int mw_eth_rxvlan_off(const char *ifname, bool *changed, char *err,
		      size_t errlen);

#endif
