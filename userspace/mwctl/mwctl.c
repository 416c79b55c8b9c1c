// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl -- meterwall's control tool.  One table of commands, one
 * <cmd>_main() each, exact names only (no prefix abbreviation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwctl.h"

const char *prog_name = "mwctl";
bool json_out;
struct mw_ctl *ctl;

static const struct mwctl_cmd cmds[] = {
	{ "check", check_main, "validate policies; --risk assesses them" },
	{ "compile", compile_main, "compile a policy into a binary image" },
	{ "explain", explain_main, "show the verdict for a packet and why" },
	{ "attach", attach_main, "put the XDP enforcement program on an interface" },
	{ "detach", detach_main, "remove it from an interface" },
	{ "load", load_main, "apply a policy atomically" },
	{ "status", status_main, "enforcement points, policy, counters, blocks" },
	{ "flows", flows_main, "per-flow records" },
	{ "events", events_main, "drop events (-f to follow)" },
	{ "block", block_main, "block an external system or device" },
	{ "unblock", unblock_main, "reconnect it on its owner's request, in one step" },
	{ "reconnect", reconnect_main, "record the owner's request; approve it (two steps)" },
	{ "blocks", blocks_main, "blocks in force, or their history" },
	{ "island", island_main, "drop all external traffic (on|off)" },
	{ "clock", clock_main, "the datapaths' time base; sync after a clock step" },
	{ "audit", audit_main, "start the audit log's chain (init), check it (verify)" },
	{ "evidence", evidence_main, "one system's evidence bundle for a time window; verify one" },
};

static void report(enum mw_ctl_level level, const char *subject,
		   const char *msg, void *arg)
{
	(void)level, (void)arg;
	fprintf(stderr, "%s: %s\n", subject ? subject : prog_name, msg);
}

/* One controller handle for the command (a fresh process each time). */
static int run(const struct mwctl_cmd *cmd, int argc, char **argv)
{
	struct mw_ctl_opts o = {
		.claimed_user = getenv("SUDO_USER"),
		.report = report,
	};
	int err, ret;

	err = mw_ctl_open(&o, &ctl);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog_name,
			"MW_STATE_DIR, MW_LOG_DIR or MW_PIN_DIR", strerror(-err));
		return 1;
	}
	jp_init(stdout, json_out);
	ret = cmd->fn(argc, argv);
	mw_ctl_close(ctl);
	return ret;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: %s [-j] <command> [<args>]\n\n", prog_name);
	fprintf(f, "meterwall: enforcement point for the external connections of a smart meter system.\n\n");
	fprintf(f, "Commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nOptions:\n  -j, --json  machine-readable JSON output\n");
	fprintf(f, "\n'%s <command> --help' describes a command.\n", prog_name);
}

int main(int argc, char **argv)
{
	size_t i;

	argv++, argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			json_out = true;
		} else if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
			   !strcmp(argv[0], "help")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown option `%s'\n", prog_name, argv[0]);
			usage(stderr);
			return 1;
		}
		argv++, argc--;
	}
	if (argc == 0) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[0], cmds[i].name))
			return run(&cmds[i], argc, argv);
	}
	fprintf(stderr, "%s: unknown command `%s'\n", prog_name, argv[0]);
	usage(stderr);
	return 1;
}
