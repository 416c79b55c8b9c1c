// SPDX-License-Identifier: GPL-2.0
/*
 * mwctl evidence SYSTEM --since T [--until T] -o FILE [--force] [--key FILE]
 * mwctl evidence verify FILE
 * Controls 2.1.1 and 2.1.4: one bundle for one party's incident (its
 * policy entry, audit records, blocks and their history, flow records,
 * events, counters, a manifest of SHA-256 hashes; evidence.h), and the
 * check that a bundle is as it was written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "evidence.h"
#include "mwctl.h"
#include "timefmt.h"

static void evidence_usage(FILE *f)
{
	fprintf(f, "Usage: %s evidence SYSTEM --since T [--until T] -o FILE [--force] [--key FILE]\n"
		"       %s evidence verify FILE\n\n"
		"The first writes one bundle (tar.gz, mode 0600) of what this host\n"
		"knows about SYSTEM from --since to --until (default: now), both\n"
		"included: its policy entry, the audit records naming it or its devices\n"
		"(and the host-wide ones) with the whole audit log's verification,\n"
		"its blocks and their history, meterwalld's flow records and events,\n"
		"XDP's counters, and manifest.json with every member's SHA-256.  Its\n"
		"creation is audited with the manifest's and the bundle's SHA-256.\n"
		"T: an RFC 3339 date-time (2026-12-02T09:00:00+09:00) or a duration\n"
		"back from now (90m, 2h, 7d).  FILE is never replaced unless --force.\n"
		"--key FILE: the audit log's initial key (kept off the host), to\n"
		"check its macs too; without it the chain's structure is checked.\n\n"
		"verify reads a bundle and names every member changed, missing or\n"
		"added against its manifest (exit 1 on any).\n", prog_name,
		prog_name);
}

/* An RFC 3339 date-time, or a duration back from now. */
static int parse_when(const char *opt, const char *s, int64_t now,
		      int64_t *out)
{
	uint64_t secs;

	if (!mw_time_parse(s, out))
		return 0;
	if (!mw_parse_duration(s, &secs) && secs <= (uint64_t)now / 1000000000)
		*out = now - (int64_t)secs * 1000000000;
	else {
		fprintf(stderr, "%s evidence: invalid %s `%s': not an RFC 3339 date-time (2026-12-02T09:00:00+09:00) or a duration (2h, 7d)\n",
			prog_name, opt, s);
		return -EINVAL;
	}
	return 0;
}

static void print_result(const struct mw_evidence_opts *o,
			 const struct mw_evidence_result *r)
{
	int32_t tz = policy_tz();

	jp_open_obj(NULL);
	jp_str("bundle", o->out);
	jp_str("system", o->system);
	jp_bool("in_policy", r->in_policy);
	jp_time("since", (uint64_t)o->since_ns, tz, 3);
	jp_time("until", (uint64_t)o->until_ns, tz, 3);
	jp_u64("members", r->members);
	jp_u64("audit_records", r->audit);
	jp_str("audit_check", r->audit_check);
	jp_u64("blocks", r->blocks);
	jp_u64("block_transitions", r->history);
	jp_u64("flows", r->flows);
	jp_u64("events", r->events);
	jp_bool("counters", r->counters);
	jp_str("manifest_sha256", r->manifest_sha256);
	jp_str("bundle_sha256", r->bundle_sha256);
	jp_close_obj();
	jp_finish();
}

static int create_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct mw_evidence_opts o = { 0 };
	struct mw_evidence_result r;
	const char *since = NULL, *until = NULL;
	int64_t now = mw_now_unix_ns();
	bool json = jp_json();
	int c;

	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'o': o.out = optarg; break;
		case 'f': o.force = true; break;
		case 'k': o.key = optarg; break;
		case 'j': json = true; break;
		case 'h': evidence_usage(stdout); return 0;
		default: evidence_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !since || !o.out) {
		fprintf(stderr, "%s evidence: SYSTEM, --since and -o FILE are required\n",
			prog_name);
		evidence_usage(stderr);
		return 1;
	}
	o.system = mw_ctl_bare_name(argv[optind]);
	o.until_ns = now;
	if (parse_when("--since", since, now, &o.since_ns) ||
	    (until && parse_when("--until", until, now, &o.until_ns)))
		return 1;
	if (o.since_ns > o.until_ns) {
		fprintf(stderr, "%s evidence: --since `%s' is after --until `%s'\n",
			prog_name, since, until ? until : "now");
		return 1;
	}
	if (!strncmp(argv[optind], "device:", 7)) {
		fprintf(stderr, "%s evidence: `%s': a bundle is of a system (its devices are in it)\n",
			prog_name, argv[optind]);
		return 1;
	}
	if (mw_evidence_create(ctl, &o, &r))
		return 1;
	jp_init(stdout, json);
	if (!r.in_policy)
		fprintf(stderr, "%s: note: the policy in force has no system `%s': the bundle holds what the records name\n",
			prog_name, o.system);
	print_result(&o, &r);
	return 0;
}

static void on_problem(const char *member, const char *what, void *arg)
{
	const char *file = arg;

	fprintf(stderr, "%s: %s: %s\n", file, member, what);
	jp_open_obj(NULL);
	jp_str("member", member);
	jp_str("problem", what);
	jp_close_obj();
}

/* The audit record of this host that names the manifest, if any. */
static void print_anchor(const char *hex)
{
	char path[600];
	uint64_t seq;
	bool found;

	snprintf(path, sizeof(path), "%s/audit.log", mw_ctl_log_dir(ctl));
	found = !mw_evidence_anchor(path, hex, &seq);
	jp_bool("anchored", found);
	if (found) {
		jp_str("audit_log", path);
		jp_u64("audit_seq", seq);
	}
}

static int verify_main(int argc, char **argv)
{
	struct mw_evidence_check k;
	int32_t tz = policy_tz();
	const char *file;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			jp_init(stdout, true);
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--, i--;
		}
	}
	if (argc != 2 || argv[1][0] == '-') {
		evidence_usage(stderr);
		return 1;
	}
	file = argv[1];
	jp_open_obj(NULL);
	jp_str("bundle", file);
	jp_open_arr("problems");
	err = mw_evidence_verify(file, on_problem, (void *)file, &k);
	jp_close_arr();
	jp_bool("ok", !err);
	jp_str("system", k.system);
	if (k.since_ns || k.until_ns) {
		jp_time("since", (uint64_t)k.since_ns, tz, 3);
		jp_time("until", (uint64_t)k.until_ns, tz, 3);
	}
	if (k.created_ns)
		jp_time("created", (uint64_t)k.created_ns, tz, 3);
	jp_u64("members", k.members);
	jp_u64("good", k.good);
	jp_u64("problem_count", k.problems);
	jp_str("manifest_sha256", k.manifest_sha256);
	if (k.manifest_sha256[0])
		print_anchor(k.manifest_sha256);
	if (k.why[0])
		jp_str("error", k.why);
	jp_close_obj();
	jp_finish();
	if (k.why[0])
		fprintf(stderr, "%s: %s\n", file, k.why);
	else if (err)
		fprintf(stderr, "%s: %u of %u members as the manifest lists them; problems: %u\n",
			file, k.good, k.members, k.problems);
	return err ? 1 : 0;
}

int evidence_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		evidence_usage(argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (!strcmp(argv[1], "verify"))
		return verify_main(argc - 1, argv + 1);
	return create_main(argc, argv);
}
