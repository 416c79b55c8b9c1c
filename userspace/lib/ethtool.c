// SPDX-License-Identifier: GPL-2.0
/* Receive VLAN offloads through SIOCETHTOOL (see ethtool.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/sockios.h>

#include "ethtool.h"

/* more than any kernel names; bounds the buffers the kernel fills */
#define MW_ETH_MAX_FEATURES	4096U

static const char *const rxvlan_names[__MW_ETH_RXVLAN_N] = {
	[MW_ETH_RXVLAN_CTAG] = "rx-vlan-hw-parse",
	[MW_ETH_RXVLAN_STAG] = "rx-vlan-stag-hw-parse",
};

#define WHY "the NIC would take VLAN tags out of the frames before XDP " \
	    "runs, so VLAN tags would be invisible to the filter"

struct eth {
	const char *ifname;
	int fd;
	int bit[__MW_ETH_RXVLAN_N];	/* feature index, -1: not named */
	uint32_t words;			/* feature blocks the kernel has */
	struct ethtool_gfeatures *gf;	/* last ETHTOOL_GFEATURES */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct eth *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->err && e->errlen) {
		va_start(ap, fmt);
		vsnprintf(e->err, e->errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The ioctl's result (ETHTOOL_SFEATURES returns flags >= 0) or -errno. */
static int eth_ioctl(struct eth *e, void *data)
{
	struct ifreq ifr;
	int r;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, e->ifname, strlen(e->ifname) + 1);
	ifr.ifr_data = data;
	r = ioctl(e->fd, SIOCETHTOOL, &ifr);
	return r < 0 ? -errno : r;
}

static int cmd_fail(struct eth *e, int err, const char *what)
{
	if (err == -ENODEV)
		return fail(e, err, "no interface `%s'", e->ifname);
	return fail(e, err, "cannot %s of %s: %s", what, e->ifname,
		    strerror(-err));
}

/* Find the bit of each feature by its name in ETH_SS_FEATURES. */
static int find_bits(struct eth *e)
{
	struct ethtool_sset_info *si;
	struct ethtool_gstrings *gs = NULL;
	uint32_t n = 0, i;
	int k, err;

	for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
		e->bit[k] = -1;
	si = calloc(1, sizeof(*si) + sizeof(uint32_t));
	if (!si)
		return fail(e, -ENOMEM, "out of memory");
	si->cmd = ETHTOOL_GSSET_INFO;
	si->sset_mask = 1ULL << ETH_SS_FEATURES;
	err = eth_ioctl(e, si);
	if (err < 0) {
		err = cmd_fail(e, err, "read the feature names");
		goto out;
	}
	if (si->sset_mask & (1ULL << ETH_SS_FEATURES))
		n = si->data[0];
	if (n > MW_ETH_MAX_FEATURES) {
		err = fail(e, -EOVERFLOW, "%s: the kernel names %u features, "
			   "more than %u", e->ifname, n, MW_ETH_MAX_FEATURES);
		goto out;
	}
	e->words = n ? (n + 31) / 32 : 1;
	err = 0;
	if (!n)
		goto out;	/* no names: no offload of ours */
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	if (!gs) {
		err = fail(e, -ENOMEM, "out of memory");
		goto out;
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	err = eth_ioctl(e, gs);
	if (err < 0) {
		err = cmd_fail(e, err, "read the feature names");
		goto out;
	}
	err = 0;
	if (gs->len < n)
		n = gs->len;
	for (i = 0; i < n; i++) {
		const char *s = (const char *)gs->data + (size_t)i * ETH_GSTRING_LEN;

		for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
			if (strnlen(s, ETH_GSTRING_LEN) == strlen(rxvlan_names[k]) &&
			    !memcmp(s, rxvlan_names[k], strlen(rxvlan_names[k])))
				e->bit[k] = (int)i;
	}
out:
	free(gs);
	free(si);
	return err;
}

static int read_features(struct eth *e)
{
	int err;

	free(e->gf);
	e->gf = calloc(1, sizeof(*e->gf) +
		       e->words * sizeof(struct ethtool_get_features_block));
	if (!e->gf)
		return fail(e, -ENOMEM, "out of memory");
	e->gf->cmd = ETHTOOL_GFEATURES;
	e->gf->size = e->words;
	err = eth_ioctl(e, e->gf);
	if (err < 0)
		return cmd_fail(e, err, "read the features");
	/* the kernel says how many blocks it has; it copied at most ours */
	if (e->gf->size < e->words)
		e->words = e->gf->size;
	return 0;
}

static void feature_state(const struct eth *e, int k, struct mw_eth_feature *f)
{
	const struct ethtool_get_features_block *b;
	uint32_t m;

	memset(f, 0, sizeof(*f));
	f->name = rxvlan_names[k];
	if (e->bit[k] < 0 || (uint32_t)e->bit[k] / 32 >= e->words)
		return;
	b = &e->gf->features[e->bit[k] / 32];
	m = 1U << (e->bit[k] % 32);
	f->known = true;
	f->active = b->active & m;
	f->requested = b->requested & m;
	f->changeable = (b->available & m) && !(b->never_changed & m);
}

static int eth_open(struct eth *e, const char *ifname, char *err,
		    size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->ifname = ifname;
	e->err = err;
	e->errlen = errlen;
	e->fd = -1;
	if (!*ifname || strlen(ifname) >= IFNAMSIZ)
		return fail(e, -ENODEV, "no interface `%s' (a name has 1 to "
			    "%d characters)", ifname, IFNAMSIZ - 1);
	e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (e->fd < 0)	/* no IPv4 here: any socket reaches the ioctl */
		e->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
			       NETLINK_GENERIC);
	if (e->fd < 0)
		return fail(e, -errno, "cannot open a socket for the ethtool "
			    "ioctl: %s", strerror(errno));
	return find_bits(e);
}

static void eth_close(struct eth *e)
{
	if (e->fd >= 0)
		close(e->fd);
	free(e->gf);
}

int mw_eth_rxvlan_get(const char *ifname,
		      struct mw_eth_feature f[__MW_ETH_RXVLAN_N],
		      char *err, size_t errlen)
{
	struct eth e;
	int k, r;

	r = eth_open(&e, ifname, err, errlen);
	if (!r)
		r = read_features(&e);
	if (!r)
		for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
			feature_state(&e, k, &f[k]);
	eth_close(&e);
	return r;
}

_Static_assert(__MW_ETH_RXVLAN_N == 2, "set_off names two features");

static int set_off(struct eth *e, const bool want[__MW_ETH_RXVLAN_N])
{
	struct ethtool_sfeatures *sf;
	uint32_t words = e->gf->size;	/* SFEATURES wants the kernel's */
	int k, r;

	if (!words || words > (MW_ETH_MAX_FEATURES + 31) / 32)
		return fail(e, -EPROTO, "%s: the kernel reports %u feature "
			    "blocks", e->ifname, words);
	sf = calloc(1, sizeof(*sf) +
		    words * sizeof(struct ethtool_set_features_block));
	if (!sf)
		return fail(e, -ENOMEM, "out of memory");
	sf->cmd = ETHTOOL_SFEATURES;
	sf->size = words;
	for (k = 0; k < __MW_ETH_RXVLAN_N; k++)
		if (want[k] && (uint32_t)e->bit[k] / 32 < words)
			sf->features[e->bit[k] / 32].valid |=
				1U << (e->bit[k] % 32);
	r = eth_ioctl(e, sf);	/* requested stays 0: off */
	free(sf);
	if (r == -ENODEV)
		return cmd_fail(e, r, "turn off the receive VLAN offloads");
	if (r < 0)
		return fail(e, r, "cannot turn off %s%s%s on %s: %s; " WHY,
			    want[0] ? rxvlan_names[0] : "",
			    want[0] && want[1] ? " and " : "",
			    want[1] ? rxvlan_names[1] : "",
			    e->ifname, strerror(-r));
	return 0;
}

int mw_eth_rxvlan_off(const char *ifname, bool *changed, char *err,
		      size_t errlen)
{
	struct mw_eth_feature f[__MW_ETH_RXVLAN_N];
	bool want[__MW_ETH_RXVLAN_N] = { 0 }, any = false;
	struct eth e;
	int k, r;

	if (changed)
		*changed = false;
	r = eth_open(&e, ifname, err, errlen);
	if (!r)
		r = read_features(&e);
	if (r)
		goto out;
	for (k = 0; k < __MW_ETH_RXVLAN_N; k++) {
		feature_state(&e, k, &f[k]);
		if (f[k].active && !f[k].changeable) {
			r = fail(&e, -EOPNOTSUPP, "%s has %s on, fixed (the "
				 "driver does not let it be turned off); " WHY,
				 ifname, f[k].name);
			goto out;
		}
		/* also a request that is not in force yet: it could be */
		want[k] = f[k].changeable && (f[k].active || f[k].requested);
		any |= want[k];
	}
	if (!any)
		goto out;
	r = set_off(&e, want);
	if (!r)
		r = read_features(&e);
	if (r)
		goto out;
	for (k = 0; k < __MW_ETH_RXVLAN_N; k++) {
		bool was = f[k].active;

		feature_state(&e, k, &f[k]);
		if (f[k].active) {
			r = fail(&e, -EOPNOTSUPP, "%s still has %s on after "
				 "turning it off (the driver kept it); " WHY,
				 ifname, f[k].name);
			goto out;
		}
		if (was && changed)
			*changed = true;
	}
out:
	eth_close(&e);
	return r;
}
