// SPDX-License-Identifier: GPL-2.0
/* mwctl attach IFACE [--mode native|generic]; mwctl detach IFACE */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "mwctl.h"

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
	if (mw_ctl_attach(ctl, argv[optind], mode, NULL))
		return 1;
	jp_open_obj(NULL);
	jp_str("attached", argv[optind]);
	jp_close_obj();
	jp_finish();
	return 0;
}

int detach_main(int argc, char **argv)
{
	if (want_help(argc, argv)) {
		attach_usage(stdout);
		return 0;
	}
	argc = take_json_flag(argc, argv);
	if (argc != 2) {
		attach_usage(stderr);
		return 1;
	}
	if (mw_ctl_detach(ctl, argv[1]))
		return 1;
	jp_open_obj(NULL);
	jp_str("detached", argv[1]);
	jp_close_obj();
	jp_finish();
	return 0;
}
