// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the receive VLAN offload switch (userspace/lib/ethtool.c).
 *
 * No NIC on the test machines has a VLAN offload that is on and cannot be
 * turned off, so this file stands in for the kernel: it defines ioctl()
 * (linked before libc's) and answers SIOCETHTOOL for one fake interface
 * as net/ethtool/ioctl.c does: GSSET_INFO / GSTRINGS name the features,
 * GFEATURES reports available (hw_features), requested (wanted), active
 * and never_changed, SFEATURES changes only changeable bits and returns
 * ETHTOOL_F_UNSUPPORTED / ETHTOOL_F_WISH.  Every other ioctl goes to the
 * kernel.  The refusal paths (fixed on, never_changed, a failing set, a
 * driver that keeps the offload) are checked here; xdp-live.sh checks a
 * real veth and a set refused by the real kernel (no CAP_NET_ADMIN).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <cmocka.h>

#include "ethtool.h"

/* feature indexes: one in each 32-bit block, as the kernel's may be */
#define CTAG	8
#define STAG	37
#define NFEAT	50
#define BIT(i)	(1ULL << (i))

static struct fake {
	const char *ifname;
	bool no_stag_name;	/* an old kernel: no such feature */
	uint64_t available, wanted, active, never_changed;
	int set_errno;		/* SFEATURES fails with it */
	bool driver_keeps;	/* SFEATURES records but does not apply */
	int n_set;		/* SFEATURES calls */
	uint64_t last_valid;	/* their valid mask */
} fk;

static const char *feature_name(unsigned int i)
{
	if (i == CTAG)
		return "rx-vlan-hw-parse";
	if (i == STAG)
		return fk.no_stag_name ? "" : "rx-vlan-stag-hw-parse";
	if (i == CTAG + 1)	/* 32 characters, no NUL in the table */
		return "rx-vlan-hw-parse-but-longer-xxxx";
	if (i == STAG + 1)
		return "rx-vlan-stag-hw-parse-2";
	return i % 3 ? "some-feature" : "";	/* "": undefined bit */
}

static int fake_ethtool(struct ifreq *ifr)
{
	uint32_t cmd = *(uint32_t *)ifr->ifr_data, words = (NFEAT + 31) / 32;
	uint32_t i;

	if (strcmp(ifr->ifr_name, fk.ifname)) {
		errno = ENODEV;
		return -1;
	}
	switch (cmd) {
	case ETHTOOL_GSSET_INFO: {
		struct ethtool_sset_info *si = (void *)ifr->ifr_data;

		if (si->sset_mask & BIT(ETH_SS_FEATURES)) {
			si->sset_mask = BIT(ETH_SS_FEATURES);
			si->data[0] = NFEAT;
		} else {
			si->sset_mask = 0;
		}
		return 0;
	}
	case ETHTOOL_GSTRINGS: {
		struct ethtool_gstrings *gs = (void *)ifr->ifr_data;

		assert_int_equal(gs->string_set, ETH_SS_FEATURES);
		gs->len = NFEAT;	/* the kernel writes them all */
		memset(gs->data, 0, (size_t)NFEAT * ETH_GSTRING_LEN);
		for (i = 0; i < NFEAT; i++) {
			const char *s = feature_name(i);
			size_t n = strlen(s);

			memcpy(gs->data + i * ETH_GSTRING_LEN, s,
			       n < ETH_GSTRING_LEN ? n : ETH_GSTRING_LEN);
		}
		return 0;
	}
	case ETHTOOL_GFEATURES: {
		struct ethtool_gfeatures *gf = (void *)ifr->ifr_data;
		uint32_t n = gf->size < words ? gf->size : words;

		gf->size = words;
		for (i = 0; i < n; i++) {
			gf->features[i].available = fk.available >> (32 * i);
			gf->features[i].requested = fk.wanted >> (32 * i);
			gf->features[i].active = fk.active >> (32 * i);
			gf->features[i].never_changed =
				fk.never_changed >> (32 * i);
		}
		return 0;
	}
	case ETHTOOL_SFEATURES: {
		struct ethtool_sfeatures *sf = (void *)ifr->ifr_data;
		uint64_t valid = 0, req = 0;
		int ret = 0;

		fk.n_set++;
		if (sf->size != words) {
			errno = EINVAL;
			return -1;
		}
		for (i = 0; i < words; i++) {
			valid |= (uint64_t)sf->features[i].valid << (32 * i);
			req |= (uint64_t)sf->features[i].requested << (32 * i);
		}
		fk.last_valid = valid;
		if (fk.set_errno) {
			errno = fk.set_errno;
			return -1;
		}
		if (valid & fk.never_changed) {
			errno = EINVAL;
			return -1;
		}
		if (valid & ~fk.available) {
			valid &= fk.available;
			ret |= ETHTOOL_F_UNSUPPORTED;
		}
		fk.wanted = (fk.wanted & ~valid) | (req & valid);
		if (!fk.driver_keeps)
			fk.active = (fk.active & ~valid) | (fk.wanted & valid);
		if ((fk.wanted ^ fk.active) & valid)
			ret |= ETHTOOL_F_WISH;
		return ret;
	}
	}
	errno = EOPNOTSUPP;
	return -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == SIOCETHTOOL)
		return fake_ethtool(arg);
	return syscall(SYS_ioctl, fd, req, arg);
}

/* a veth: both offloads changeable and on */
static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.ifname = "ext0";
	fk.available = BIT(CTAG) | BIT(STAG) | BIT(CTAG + 1) | BIT(3);
	fk.wanted = fk.active = fk.available;
	fk.never_changed = BIT(5);
	return 0;
}

static void test_turns_both_off(void **state)
{
	char err[512] = "";
	bool changed = false;

	(void)state;
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, err, sizeof(err)), 0);
	assert_true(changed);
	assert_int_equal(fk.n_set, 1);
	/* exactly the two bits, found by name, in both blocks */
	assert_true(fk.last_valid == (BIT(CTAG) | BIT(STAG)));
	assert_false(fk.active & (BIT(CTAG) | BIT(STAG)));
	assert_false(fk.wanted & (BIT(CTAG) | BIT(STAG)));
	assert_true(fk.active & BIT(CTAG + 1));	/* a neighbour stays on */
	assert_true(fk.active & BIT(3));
}

static void test_already_off_changes_nothing(void **state)
{
	bool changed = true;

	(void)state;
	fk.active &= ~(BIT(CTAG) | BIT(STAG));
	fk.wanted = fk.active;
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, NULL, 0), 0);
	assert_false(changed);
	assert_int_equal(fk.n_set, 0);
}

static void test_fixed_on_refused(void **state)
{
	char err[512] = "";
	bool changed = true;

	(void)state;
	fk.available &= ~BIT(CTAG);	/* on, not changeable: "on [fixed]" */
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_string_equal(err, "ext0 has rx-vlan-hw-parse on, fixed (the "
			    "driver does not let it be turned off); the "
			    "NIC would take VLAN tags out of the frames before "
			    "XDP runs, so VLAN tags would be invisible to the "
			    "filter");
	assert_false(changed);
	assert_int_equal(fk.n_set, 0);	/* refused before changing anything */
	assert_true(fk.active & BIT(STAG));
}

static void test_never_changed_on_refused(void **state)
{
	char err[512] = "";

	(void)state;
	fk.never_changed |= BIT(STAG);
	assert_int_equal(mw_eth_rxvlan_off("ext0", NULL, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err, "ext0 has rx-vlan-stag-hw-parse on, fixed"));
	assert_non_null(strstr(err, "invisible to the filter"));
	assert_int_equal(fk.n_set, 0);
}

static void test_fixed_off_is_fine(void **state)
{
	bool changed = true;

	(void)state;
	/* a macvlan or a bridge: "off [fixed]" */
	fk.available &= ~(BIT(CTAG) | BIT(STAG));
	fk.active &= ~(BIT(CTAG) | BIT(STAG));
	fk.wanted = fk.active;
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, NULL, 0), 0);
	assert_false(changed);
	assert_int_equal(fk.n_set, 0);
}

static void test_unnamed_feature_is_absent(void **state)
{
	struct mw_eth_feature f[__MW_ETH_RXVLAN_N];
	bool changed = false;

	(void)state;
	fk.no_stag_name = true;	/* its bit is on, but it has no name */
	assert_int_equal(mw_eth_rxvlan_get("ext0", f, NULL, 0), 0);
	assert_true(f[MW_ETH_RXVLAN_CTAG].known);
	assert_false(f[MW_ETH_RXVLAN_STAG].known);
	assert_false(f[MW_ETH_RXVLAN_STAG].active);
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, NULL, 0), 0);
	assert_true(changed);
	assert_true(fk.last_valid == BIT(CTAG));
}

static void test_set_error_refused(void **state)
{
	char err[512] = "";

	(void)state;
	fk.set_errno = EPERM;
	assert_int_equal(mw_eth_rxvlan_off("ext0", NULL, err, sizeof(err)),
			 -EPERM);
	assert_string_equal(err, "cannot turn off rx-vlan-hw-parse and "
			    "rx-vlan-stag-hw-parse on ext0: Operation not "
			    "permitted; the NIC would take VLAN tags out of the "
			    "frames before XDP runs, so VLAN tags would be "
			    "invisible to the filter");
}

static void test_driver_keeps_it_refused(void **state)
{
	char err[512] = "";
	bool changed = true;

	(void)state;
	fk.active &= ~BIT(CTAG);
	fk.wanted = fk.active;
	fk.driver_keeps = true;	/* SFEATURES says ETHTOOL_F_WISH */
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_int_equal(fk.n_set, 1);
	assert_string_equal(err, "ext0 still has rx-vlan-stag-hw-parse on "
			    "after turning it off (the driver kept it); the NIC "
			    "would take VLAN tags out of the frames before XDP "
			    "runs, so VLAN tags would be invisible to the "
			    "filter");
	assert_false(changed);
}

static void test_pending_request_cleared(void **state)
{
	bool changed = true;

	(void)state;
	/* off now, but asked for: the next feature update would turn it on */
	fk.active &= ~(BIT(CTAG) | BIT(STAG));
	assert_int_equal(mw_eth_rxvlan_off("ext0", &changed, NULL, 0), 0);
	assert_false(changed);
	assert_int_equal(fk.n_set, 1);
	assert_false(fk.wanted & (BIT(CTAG) | BIT(STAG)));
}

static void test_get_reports_state(void **state)
{
	struct mw_eth_feature f[__MW_ETH_RXVLAN_N];

	(void)state;
	fk.available &= ~BIT(STAG);
	fk.active &= ~BIT(STAG);
	assert_int_equal(mw_eth_rxvlan_get("ext0", f, NULL, 0), 0);
	assert_string_equal(f[MW_ETH_RXVLAN_CTAG].name, "rx-vlan-hw-parse");
	assert_true(f[MW_ETH_RXVLAN_CTAG].known);
	assert_true(f[MW_ETH_RXVLAN_CTAG].active);
	assert_true(f[MW_ETH_RXVLAN_CTAG].changeable);
	assert_string_equal(f[MW_ETH_RXVLAN_STAG].name, "rx-vlan-stag-hw-parse");
	assert_true(f[MW_ETH_RXVLAN_STAG].known);
	assert_false(f[MW_ETH_RXVLAN_STAG].active);
	assert_false(f[MW_ETH_RXVLAN_STAG].changeable);
	assert_int_equal(fk.n_set, 0);
}

static void test_no_interface(void **state)
{
	struct mw_eth_feature f[__MW_ETH_RXVLAN_N];
	char err[512] = "";

	(void)state;
	assert_int_equal(mw_eth_rxvlan_off("nosuch0", NULL, err, sizeof(err)),
			 -ENODEV);
	assert_string_equal(err, "no interface `nosuch0'");
	assert_int_equal(mw_eth_rxvlan_get("nosuch0", f, err, sizeof(err)),
			 -ENODEV);
	assert_int_equal(mw_eth_rxvlan_off("ext0-but-far-too-long", NULL, err,
					   sizeof(err)), -ENODEV);
	assert_string_equal(err, "no interface `ext0-but-far-too-long' (a name "
			    "has 1 to 15 characters)");
	assert_int_equal(mw_eth_rxvlan_off("", NULL, NULL, 0), -ENODEV);
	assert_int_equal(fk.n_set, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_turns_both_off, setup),
		cmocka_unit_test_setup(test_already_off_changes_nothing, setup),
		cmocka_unit_test_setup(test_fixed_on_refused, setup),
		cmocka_unit_test_setup(test_never_changed_on_refused, setup),
		cmocka_unit_test_setup(test_fixed_off_is_fine, setup),
		cmocka_unit_test_setup(test_unnamed_feature_is_absent, setup),
		cmocka_unit_test_setup(test_set_error_refused, setup),
		cmocka_unit_test_setup(test_driver_keeps_it_refused, setup),
		cmocka_unit_test_setup(test_pending_request_cleared, setup),
		cmocka_unit_test_setup(test_get_reports_state, setup),
		cmocka_unit_test_setup(test_no_interface, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
