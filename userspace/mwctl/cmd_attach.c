// SPDX-License-Identifier: GPL-2.0
/* mwctl attach IFACE [--mode native|generic]; mwctl detach IFACE */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ethtool.h"
#include "mwctl.h"
#include "state.h"

static void attach_usage(FILE *f)
{
	fprintf(f, "Usage: %s attach IFACE [--mode native|generic]\n"
		"       %s detach IFACE\n\n"
		"attach puts meterwall's XDP program on IFACE (an external interface)\n"
		"through a pinned bpf_link, so enforcement continues when mwctl exits.\n"
		"If meterwall is attached already, the link is switched to the new\n"
		"program in one step (never detached first).  Until a policy is\n"
		"loaded, every frame is dropped (NO_POLICY): fail closed.\n"
		"The receive VLAN offloads of IFACE (rx-vlan-hw-parse,\n"
		"rx-vlan-stag-hw-parse) are turned off first, so that VLAN tags\n"
		"stay in the frames XDP judges; where one is on and cannot be\n"
		"turned off, nothing is attached.\n",
		prog_name, prog_name);
}

/*
 * A tag the NIC takes out of the frame (receive VLAN offload) is not in
 * the bytes XDP reads: the program would judge a tagged frame as untagged.
 */
static int rxvlan_off(const char *ifname, bool *changed)
{
	char msg[512];
	int err = mw_eth_rxvlan_off(ifname, changed, msg, sizeof(msg));

	if (err == -ENODEV)
		fprintf(stderr, "%s: cannot attach to `%s': %s\n", prog_name,
			ifname, msg);
	else if (err)
		fprintf(stderr, "%s: refusing to attach to `%s': %s\n",
			prog_name, ifname, msg);
	else if (*changed)
		fprintf(stderr, "%s: note: turned off the receive VLAN offloads of `%s' (rx-vlan-hw-parse, rx-vlan-stag-hw-parse), so that XDP sees VLAN tags\n",
			prog_name, ifname);
	return err;
}

static int attach_one(const char *ifname, enum mw_xdp_mode mode)
{
	struct mw_image_view v;
	struct mw_image img = { 0 };
	uint32_t flows = 0;
	bool changed = false;
	struct mw_xdp *x;
	int err;

	/* the program judges every frame as inbound from external systems */
	if (active_image(&img, &v) == 0) {
		const struct mw_img_iface *f = mw_image_iface_by_name(&v, ifname);

		flows = v.hdr->flow_entries;
		mw_image_free(&img);
		if (f && f->zone != MW_ZONE_EXTERNAL) {
			fprintf(stderr, "%s: `%s' is a smart-meter-side interface in the policy in force: the XDP program belongs on external interfaces\n",
				prog_name, ifname);
			return 1;
		}
	}
	if (rxvlan_off(ifname, &changed) || xdp_open(&x, 0, flows))
		return 1;
	err = mw_xdp_attach(x, ifname, mode);
	if (err) {
		fprintf(stderr, "%s: cannot attach to `%s': %s\n", prog_name,
			ifname, mw_xdp_errmsg(x));
		mw_xdp_close(x);
		return 1;
	}
	/* after a reboot the maps are new: put the persisted blocks back */
	if (active_image(&img, &v) == 0) {
		err = blocks_reapply(x, NULL, &v);
		mw_image_free(&img);
		if (err < 0) {
			fprintf(stderr, "%s: error: attached to `%s', but the recorded blocks could not all be put back (%s)\n",
				prog_name, ifname, strerror(-err));
			mw_xdp_close(x);
			return 1;
		}
	}
	audit("attach", "interface", ifname,
	      "mode", mode == MW_XDP_MODE_SKB ? "generic" : "native",
	      "rx_vlan_offload", changed ? "turned off" : "off", NULL);
	jp_open_obj(NULL);
	jp_str("attached", ifname);
	jp_close_obj();
	jp_finish();
	mw_xdp_close(x);
	return 0;
}

int attach_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum mw_xdp_mode mode = MW_XDP_MODE_NATIVE;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				mode = MW_XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic"))
				mode = MW_XDP_MODE_SKB;
			else {
				fprintf(stderr, "%s attach: invalid mode `%s' (native or generic)\n",
					prog_name, optarg);
				return 1;
			}
			break;
		case 'j': jp_init(stdout, true); break;
		case 'h': attach_usage(stdout); return 0;
		default: attach_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		attach_usage(stderr);
		return 1;
	}
	if (state_lock())
		return 1;
	return attach_one(argv[optind], mode);
}

int detach_main(int argc, char **argv)
{
	struct mw_xdp *x;
	int err;

	if (want_help(argc, argv)) {
		attach_usage(stdout);
		return 0;
	}
	argc = take_json_flag(argc, argv);
	if (argc != 2) {
		attach_usage(stderr);
		return 1;
	}
	if (state_lock() || xdp_open(&x, MW_XDP_F_NO_PROG, 0))
		return 1;
	err = mw_xdp_detach(x, argv[1]);
	if (err) {
		fprintf(stderr, "%s: cannot detach from `%s': %s\n", prog_name,
			argv[1], mw_xdp_errmsg(x));
	} else {
		audit("detach", "interface", argv[1], NULL);
		jp_open_obj(NULL);
		jp_str("detached", argv[1]);
		jp_close_obj();
		jp_finish();
	}
	mw_xdp_close(x);
	return err ? 1 : 0;
}
