// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl clock [sync [--reset-max]]
 *
 * The datapaths' time base (include/uapi/linux/meterwall.h, "Time base"):
 * both judge on CLOCK_BOOTTIME plus two offsets the controller gives them,
 * the host's latest (windows, valid_from) and the largest ever given
 * (agreement and policy expiry).  `clock' shows the host's offset beside
 * what XDP and the kernel module hold; `clock sync' gives them the host's
 * (after a clock step; a load does it too).  --reset-max also lowers the
 * expiry offset to the host's: after a wrong clock ahead was corrected,
 * agreements that expired only by the wrong clock pass again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "mwctl.h"

static void clock_usage(FILE *f)
{
	fprintf(f, "Usage: %s clock [sync [--reset-max]]\n\n"
		"Without arguments: the host's wall clock offset (REALTIME - BOOTTIME)\n"
		"and the offsets XDP and the kernel module judge by: boot_to_unix_ns\n"
		"(windows, valid_from) and boot_to_unix_max_ns, the largest ever set\n"
		"(agreement and policy expiry: a clock stepped back revives nothing).\n"
		"sync: give both enforcement points the host's offset now (after a clock\n"
		"step; every load does it too).  --reset-max also lowers the expiry\n"
		"offset to it (after a clock that was ahead has been corrected).\n",
		prog_name);
}

static void offsets(const char *key, int64_t host, int64_t cur, int64_t max)
{
	jp_open_obj(key);
	jp_i64("boot_to_unix_ns", cur);
	jp_i64("boot_to_unix_max_ns", max);
	/* what a person wants to know: how far each is from the host's */
	jp_i64("behind_host_ms", (host - cur) / 1000000);
	jp_i64("expiry_ahead_ms", (max - cur) / 1000000);
	jp_close_obj();
}

static int clock_show(void)
{
	struct mw_xdp_status st;
	struct mw_nl_status ks;
	int64_t host = mw_xdp_clock_offset();
	struct mw_nl *nl;
	struct mw_xdp *x;

	if (mw_ctl_xdp(ctl, MW_XDP_F_NO_PROG, 0, &x))
		return 1;
	if (mw_xdp_status(x, &st)) {
		fprintf(stderr, "%s clock: %s\n", prog_name, mw_xdp_errmsg(x));
		mw_xdp_close(x);
		return 1;
	}
	nl = mw_ctl_kmod(ctl);
	jp_open_obj(NULL);
	jp_i64("host_boot_to_unix_ns", host);
	offsets("xdp", host, st.cfg.boot_to_unix_ns,
		st.cfg.boot_to_unix_max_ns);
	if (nl && !mw_nl_status(nl, &ks))
		offsets("kmod", host, ks.boot_to_unix_ns,
			ks.boot_to_unix_max_ns);
	jp_close_obj();
	jp_finish();
	mw_nl_close(nl);
	mw_xdp_close(x);
	return 0;
}

static int clock_sync(bool reset)
{
	int64_t off;
	bool kmod;

	if (mw_ctl_clock_sync(ctl, reset, &off, &kmod))
		return 1;
	jp_open_obj(NULL);
	jp_i64("boot_to_unix_ns", off);
	jp_bool("reset_max", reset);
	jp_bool("kmod", kmod);
	jp_close_obj();
	jp_finish();
	return 0;
}

int clock_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reset-max", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool reset = false;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reset = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': clock_usage(stdout); return 0;
		default: clock_usage(stderr); return 1;
		}
	}
	if (optind == argc && !reset)
		return clock_show();
	if (optind == argc - 1 && !strcmp(argv[optind], "sync"))
		return clock_sync(reset);
	clock_usage(stderr);
	return 1;
}
