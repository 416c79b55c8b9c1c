// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl block SYSTEM|DEVICE --reason TEXT [--for DURATION] [--by NAME]
 * mwctl reconnect request SYSTEM|DEVICE --ref REF --by NAME [--contact C]
 * mwctl reconnect approve SYSTEM|DEVICE --by NAME
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

static void block_usage(FILE *f)
{
	fprintf(f, "Usage: %s block SYSTEM|DEVICE --reason TEXT [--for DURATION] [--by NAME]\n"
		"       %s reconnect request SYSTEM|DEVICE --ref REF --by NAME [--contact C]\n"
		"       %s reconnect approve SYSTEM|DEVICE --by NAME\n"
		"       %s unblock SYSTEM|DEVICE --request REF --by NAME\n"
		"       %s island on|off\n\n"
		"NAME may be written system:NAME or device:NAME when both exist.\n"
		"DURATION: N[s|m|h|d]; without it the block lasts until reconnected.\n"
		"block --by: who decided it (recorded with the uid and SUDO_USER).\n"
		"reconnect request records the owner's request: its reference, who\n"
		"asked, through which contact (default: the system's contact).\n"
		"reconnect approve lifts the block; with two_person in the policy\n"
		"the approver must be another person than who asked or recorded it.\n"
		"unblock is request and approval in one step (not with two_person).\n"
		"island on drops all traffic on the external interfaces at once.\n",
		prog_name, prog_name, prog_name, prog_name, prog_name);
}

int block_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "for", required_argument, NULL, 'f' },
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_ctl_block_req req = { .cause = MW_BLOCK_OPERATOR };
	const char *reason = NULL, *dur = NULL, *name;
	struct mw_ctl_block_result r = { 0 };
	uint64_t secs = 0, until;
	int c, err;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'f': dur = optarg; break;
		case 'b': req.by = optarg; break;
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
	if (strlen(reason) >= MW_CTL_REASON_MAX ||
	    (req.by && strlen(req.by) >= MW_CTL_TEXT_MAX)) {
		fprintf(stderr, "%s block: --%s is too long (at most %d bytes)\n",
			prog_name, strlen(reason) >= MW_CTL_REASON_MAX ?
			"reason" : "by", strlen(reason) >= MW_CTL_REASON_MAX ?
			MW_CTL_REASON_MAX - 1 : MW_CTL_TEXT_MAX - 1);
		return 1;
	}
	err = dur ? mw_parse_duration(dur, &secs) : 0;
	if (!err && secs)
		err = mw_block_until(secs, &until);
	if (err == -ERANGE) {
		fprintf(stderr, "%s block: duration `%s' is too long: at most %llud (the datapaths' clock ends then); without --for it lasts until unblocked\n",
			prog_name, dur, (unsigned long long)mw_block_max_days());
		return 1;
	}
	if (err) {
		fprintf(stderr, "%s block: invalid duration `%s' (e.g. 30m, 2h, 1d)\n",
			prog_name, dur);
		return 1;
	}
	name = argv[optind];
	req.secs = secs;
	req.reason = reason;
	err = mw_ctl_block(ctl, name, &req, &r);
	if (r.in_force) {	/* also when recording it failed */
		jp_open_obj(NULL);
		jp_str("blocked", mw_ctl_bare_name(name));
		jp_str("kind", mw_ctl_kind_name(r.kind));
		print_until(r.until_unix_ns, policy_tz());
		jp_u64("until_boot_ns", r.until_boot_ns);
		jp_bool("recorded", r.recorded);
		jp_close_obj();
		jp_finish();
	}
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
	enum mw_target kind;
	int c;

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
	if (mw_ctl_unblock(ctl, name, request, by, &kind))
		return 1;
	jp_open_obj(NULL);
	jp_str("unblocked", mw_ctl_bare_name(name));
	jp_str("kind", mw_ctl_kind_name(kind));
	jp_str("request", request);
	jp_str("approved_by", by);
	jp_close_obj();
	jp_finish();
	return 0;
}

static int request_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ref", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "contact", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_ctl_request rq = { 0 };
	enum mw_target kind;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rq.ref = optarg; break;
		case 'b': rq.by = optarg; break;
		case 'c': rq.contact = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': block_usage(stdout); return 0;
		default: block_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !rq.ref || !*rq.ref || !rq.by || !*rq.by) {
		fprintf(stderr, "%s reconnect request: a target, --ref REF (the owner's request reference) and --by NAME (who asked) are required\n",
			prog_name);
		return 1;
	}
	if (mw_ctl_reconnect_request(ctl, argv[optind], &rq, &kind))
		return 1;
	jp_open_obj(NULL);
	jp_str("requested", mw_ctl_bare_name(argv[optind]));
	jp_str("kind", mw_ctl_kind_name(kind));
	jp_str("request", rq.ref);
	jp_str("requested_by", rq.by);
	jp_close_obj();
	jp_finish();
	return 0;
}

static int approve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_ctl_block_info done;
	const char *by = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (c) {
		case 'b': by = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': block_usage(stdout); return 0;
		default: block_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !by || !*by) {
		fprintf(stderr, "%s reconnect approve: a target and --by NAME (the approver) are required\n",
			prog_name);
		return 1;
	}
	if (mw_ctl_reconnect_approve(ctl, argv[optind], by, &done))
		return 1;
	jp_open_obj(NULL);
	jp_str("reconnected", done.name);
	jp_str("kind", mw_ctl_kind_name(done.kind));
	jp_str("request", done.req_ref);
	jp_str("requested_by", done.req_by);
	jp_str("contact", done.req_contact);
	jp_str("approved_by", by);
	jp_close_obj();
	jp_finish();
	return 0;
}

int reconnect_main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		block_usage(stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "request"))
		return request_main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "approve"))
		return approve_main(argc - 1, argv + 1);
	fprintf(stderr, "Usage: %s reconnect request|approve SYSTEM|DEVICE ... (%s reconnect --help)\n",
		prog_name, prog_name);
	return 1;
}

int island_main(int argc, char **argv)
{
	bool on, kmod;

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
	if (mw_ctl_island(ctl, on, &kmod))
		return 1;
	jp_open_obj(NULL);
	jp_bool("island", on);
	jp_str("enforcement", kmod ? "xdp+kmod" : "xdp");
	jp_close_obj();
	jp_finish();
	return 0;
}
