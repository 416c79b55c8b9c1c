// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl load POLICY [--allow-rollback]: mw_ctl_load() (ctl.h) and its
 * result.  Any failure before the swap leaves the running policy in force.
 */
#include <getopt.h>
#include <stdio.h>

#include "mwctl.h"

static void load_usage(FILE *f)
{
	fprintf(f, "Usage: %s load POLICY [--allow-rollback]\n\n"
		"Validate and compile POLICY and apply it atomically to the XDP\n"
		"enforcement point: packets are judged by the old policy or the new,\n"
		"never by a mix and never by none.  A rejected policy changes nothing.\n"
		"The serial must not go backwards (anti-rollback) unless\n"
		"--allow-rollback is given; an equal serial must carry equal content.\n",
		prog_name);
}

int load_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allow-rollback", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_ctl_load_opts o = { 0 };
	struct mw_ctl_load_result r = { 0 };
	const char *path;
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o.allow_rollback = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': load_usage(stdout); return 0;
		default: load_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1) {
		load_usage(stderr);
		return 1;
	}
	path = argv[optind];
	err = mw_ctl_load(ctl, path, &o, &r);
	/* in force (with an error after the swap) or not: r says which */
	if (r.generation) {
		jp_open_obj(NULL);
		jp_str("policy", path);
		jp_u64("serial", r.serial);
		jp_u64("generation", r.generation);
		jp_u64("interfaces", r.n_ifaces);
		jp_u64("interfaces_absent", r.n_skipped);
		jp_u64("blocks", r.blocks);
		jp_str("enforcement", r.kmod ? "xdp+kmod" : "xdp");
		jp_close_obj();
		jp_finish();
	}
	return err ? 1 : 0;
}
