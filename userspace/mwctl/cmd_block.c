// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl block SYSTEM|DEVICE --reason TEXT [--for DURATION]
 * mwctl unblock SYSTEM|DEVICE --request REF --by NAME
 * mwctl island on|off
 * Control 2.1.3: block an external system judged high-risk, reconnect it
 * on its owner's request.  Blocks are state of their own: one map write,
 * enforced from the next packet, kept across policy loads and reboots.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mwctl.h"
#include "state.h"

static void block_usage(FILE *f)
{
	fprintf(f, "Usage: %s block SYSTEM|DEVICE --reason TEXT [--for DURATION]\n"
		"       %s unblock SYSTEM|DEVICE --request REF --by NAME\n"
		"       %s island on|off\n\n"
		"NAME may be written system:NAME or device:NAME when both exist.\n"
		"DURATION: N[s|m|h|d]; without it the block lasts until unblocked.\n"
		"unblock records the owner's reconnection request and the approver.\n"
		"island on drops all traffic on the external interfaces at once.\n",
		prog_name, prog_name, prog_name);
}

static const char *kind_name(enum mw_target kind)
{
	return kind == MW_TARGET_SYSTEM ? "system" : "device";
}

/* Common front half: the image in force, the target, the XDP handle. */
static int open_target(const char *name, struct mw_image *img,
		       enum mw_target *kind, uint32_t *id, struct mw_xdp **x,
		       struct mw_nl **nl)
{
	struct mw_image_view v;
	int err = active_image(img, &v);

	if (err == -ENOENT)
		fprintf(stderr, "%s: no policy in force (load one first)\n", prog_name);
	if (err)
		return err;
	err = resolve_target(&v, name, kind, id);
	if (!err)
		err = xdp_open(x, MW_XDP_F_NO_PROG, 0);
	if (err) {
		mw_image_free(img);
		return err;
	}
	*nl = kmod_open();
	return 0;
}

static const char *bare_name(const char *name)
{
	if (!strncmp(name, "system:", 7) || !strncmp(name, "device:", 7))
		return name + 7;
	return name;
}

/* A name the state files can hold whole (never truncated). */
static bool name_fits(const char *cmd, const char *name)
{
	if (strlen(bare_name(name)) < MW_NAME_MAX)
		return true;
	fprintf(stderr, "%s %s: `%s' is longer than any system or device name (at most %d bytes)\n",
		prog_name, cmd, name, MW_NAME_MAX - 1);
	return false;
}

static const char *blocks_path(void)
{
	static char path[512];

	if (state_path(path, sizeof(path), "blocks"))
		snprintf(path, sizeof(path), "the blocks file");
	return path;
}

int block_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "for", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *reason = NULL, *dur = NULL, *name;
	struct mw_image img = { 0 };
	enum mw_target kind;
	uint64_t secs = 0, until = 0, wall;
	struct mw_nl *nl = NULL;
	int kerr = 0, rerr;
	struct mw_xdp *x;
	char buf[32];
	uint32_t id;
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'f': dur = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': block_usage(stdout); return 0;
		default: block_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !reason || !*reason) {
		fprintf(stderr, "%s block: a target and --reason TEXT are required\n", prog_name);
		block_usage(stderr);
		return 1;
	}
	err = dur ? parse_duration(dur, &secs) : 0;
	if (!err && secs)
		err = block_until(secs, &until);
	if (err == -ERANGE) {
		fprintf(stderr, "%s block: duration `%s' is too long: at most %llud (the datapaths' clock ends then); without --for it lasts until unblocked\n",
			prog_name, dur, (unsigned long long)block_max_days());
		return 1;
	}
	if (err) {
		fprintf(stderr, "%s block: invalid duration `%s' (e.g. 30m, 2h, 1d)\n",
			prog_name, dur);
		return 1;
	}
	name = argv[optind];
	if (!name_fits("block", name) || state_lock() ||
	    open_target(name, &img, &kind, &id, &x, &nl))
		return 1;
	/* from now, not from before the lock was free */
	if (secs && block_until(secs, &until)) {
		fprintf(stderr, "%s block: duration `%s' is too long\n",
			prog_name, dur);
		err = -ERANGE;
		goto out;
	}
	err = mw_xdp_block(x, kind, id, until, MW_BLOCK_OPERATOR);
	if (err) {
		fprintf(stderr, "%s: block failed: %s\n", prog_name, mw_xdp_errmsg(x));
		goto out;
	}
	/* a block that holds in XDP only is still a block: fail closed */
	if (nl && (kerr = mw_nl_block(nl, kind, id, until, MW_BLOCK_OPERATOR)))
		fprintf(stderr, "%s: block: in force in XDP, but the kernel module refused it: %s\n",
			prog_name, strerror(-kerr));
	/* not recorded = lost at the next reboot: an error, but the block
	 * stays in force (fail closed) */
	/* people read unix time; the datapaths keep the boot clock's */
	wall = block_unix_time(until);
	rerr = blocks_record(kind, bare_name(name), until, wall,
			     MW_BLOCK_OPERATOR);
	if (rerr)
		fprintf(stderr, "%s: error: %s `%s' is blocked now, but the block could not be recorded in %s (%s): it will not survive a reboot; fix that and run the block again\n",
			prog_name, kind_name(kind), bare_name(name),
			blocks_path(), strerror(-rerr));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)wall);
	audit("block", "kind", kind_name(kind), "target", bare_name(name),
	      "reason", reason, "until_ns", buf, NULL);
	jp_open_obj(NULL);
	jp_str("blocked", bare_name(name));
	jp_str("kind", kind_name(kind));
	jp_u64("until_ns", wall);
	jp_u64("until_boot_ns", until);
	jp_bool("recorded", !rerr);
	jp_close_obj();
	jp_finish();
	err = kerr ? kerr : rerr;
out:
	mw_nl_close(nl);
	mw_xdp_close(x);
	mw_image_free(&img);
	return err ? 1 : 0;
}

int unblock_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *request = NULL, *by = NULL, *name;
	struct mw_image img = { 0 };
	enum mw_target kind;
	struct mw_nl *nl = NULL;
	struct mw_xdp *x;
	struct mw_block b;
	uint32_t id;
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': request = optarg; break;
		case 'b': by = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': block_usage(stdout); return 0;
		default: block_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !request || !*request || !by || !*by) {
		fprintf(stderr, "%s unblock: a target, --request REF (the owner's reconnection request) and --by NAME (the approver) are required\n",
			prog_name);
		return 1;
	}
	name = argv[optind];
	if (!name_fits("unblock", name) || state_lock() ||
	    open_target(name, &img, &kind, &id, &x, &nl))
		return 1;
	err = mw_xdp_get_block(x, kind, id, &b);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog_name, mw_xdp_errmsg(x));
		goto out;
	}
	if (!b.active) {
		fprintf(stderr, "%s: %s `%s' is not blocked\n", prog_name,
			kind_name(kind), bare_name(name));
		err = -1;
		goto out;
	}
	/* the record first: a block lifted but still on file would return
	 * at the next load or reboot */
	err = blocks_forget(kind, bare_name(name));
	if (err) {
		fprintf(stderr, "%s: error: cannot update %s (%s): still blocked everywhere\n",
			prog_name, blocks_path(), strerror(-err));
		goto out;
	}
	if (nl && (err = mw_nl_unblock(nl, kind, id)) && err != -ENOENT) {
		fprintf(stderr, "%s: unblock failed in the kernel module (%s): still blocked everywhere\n",
			prog_name, strerror(-err));
		goto restore;
	}
	err = mw_xdp_unblock(x, kind, id);
	if (err) {
		fprintf(stderr, "%s: unblock failed: %s\n", prog_name, mw_xdp_errmsg(x));
		if (nl)		/* both or neither */
			mw_nl_block(nl, kind, id, b.until, b.cause);
		goto restore;
	}
	audit("unblock", "kind", kind_name(kind), "target", bare_name(name),
	      "request", request, "approved_by", by, NULL);
	jp_open_obj(NULL);
	jp_str("unblocked", bare_name(name));
	jp_str("kind", kind_name(kind));
	jp_str("request", request);
	jp_str("approved_by", by);
	jp_close_obj();
	jp_finish();
	goto out;
restore:
	if (blocks_record(kind, bare_name(name), b.until,
			  block_unix_time(b.until), b.cause))
		fprintf(stderr, "%s: error: %s no longer holds the block, which is still in force: run the block again\n",
			prog_name, blocks_path());
out:
	mw_nl_close(nl);
	mw_xdp_close(x);
	mw_image_free(&img);
	return err ? 1 : 0;
}

int island_main(int argc, char **argv)
{
	struct mw_nl *nl;
	struct mw_xdp *x;
	bool on;
	int err;

	if (want_help(argc, argv)) {
		block_usage(stdout);
		return 0;
	}
	argc = take_json_flag(argc, argv);
	if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		fprintf(stderr, "Usage: %s island on|off\n", prog_name);
		return 1;
	}
	on = !strcmp(argv[1], "on");
	if (state_lock() || xdp_open(&x, MW_XDP_F_NO_PROG, 0))
		return 1;
	nl = kmod_open();
	err = mw_xdp_island(x, on);
	if (err)
		fprintf(stderr, "%s: island %s failed: %s\n", prog_name, argv[1],
			mw_xdp_errmsg(x));
	if (!err && nl && (err = mw_nl_island(nl, on))) {
		fprintf(stderr, "%s: island %s failed in the kernel module: %s\n",
			prog_name, argv[1], strerror(-err));
		if (!on)	/* both or neither; island on stays on in XDP */
			mw_xdp_island(x, true);
	}
	if (!err) {
		audit("island", "state", argv[1], "kmod", nl ? "yes" : "no", NULL);
		jp_open_obj(NULL);
		jp_bool("island", on);
		jp_str("enforcement", nl ? "xdp+kmod" : "xdp");
		jp_close_obj();
		jp_finish();
	}
	mw_nl_close(nl);
	mw_xdp_close(x);
	return err ? 1 : 0;
}
