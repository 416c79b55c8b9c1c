// SPDX-License-Identifier: GPL-2.0
/* mwctl check [--risk] [--now UNIX_SECONDS] POLICY... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "mwctl.h"
#include "policy.h"
#include "risk.h"

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: %s check [--risk] [--now UNIX_SECONDS] POLICY...\n\n"
		"Validate each POLICY and compile it (capacity limits included).\n"
		"Exit 0 when all are valid, 1 when any is not.\n\n"
		"--risk   assess each valid policy (control 1.1.2) and list findings;\n"
		"         exit 0 when the highest is low or info, 2 medium, 3 high,\n"
		"         4 critical (1 still means a policy is invalid).\n"
		"--now T  judge agreement expiry as of unix time T (default: now).\n",
		prog_name);
}

static size_t count_conduits(const struct mw_policy *pol)
{
	size_t i, j, n = 0;

	for (i = 0; i < pol->n_systems; i++) {
		n += pol->systems[i].n_conduits;
		for (j = 0; j < pol->systems[i].n_devices; j++)
			n += pol->systems[i].devices[j].n_conduits;
	}
	return n;
}

static size_t count_devices(const struct mw_policy *pol)
{
	size_t i, n = 0;

	for (i = 0; i < pol->n_systems; i++)
		n += pol->systems[i].n_devices;
	return n;
}

static void print_findings(const char *path, const struct mw_findings *f)
{
	size_t i;

	if (jp_json())
		jp_open_arr("findings");
	for (i = 0; i < f->n; i++) {
		const struct mw_finding *x = &f->v[i];

		if (!jp_json()) {
			bool same = !strcmp(x->system, x->subject);

			printf("  %-8s %s %s:%d:%d %s%s%s: %s\n",
			       mw_severity_name(x->sev), x->id, path,
			       x->loc.line, x->loc.col, x->system,
			       x->system[0] && x->subject[0] && !same ? "/" : "",
			       same ? "" : x->subject, x->msg);
			continue;
		}
		jp_open_obj(NULL);
		jp_str("id", x->id);
		jp_str("severity", mw_severity_name(x->sev));
		jp_str("system", x->system);
		jp_str("subject", x->subject);
		jp_u64("line", (uint64_t)x->loc.line);
		jp_u64("column", (uint64_t)x->loc.col);
		jp_str("message", x->msg);
		jp_close_obj();
	}
	if (jp_json())
		jp_close_arr();
}

/* Returns the exit code for this file. */
static int check_one(const char *path, bool risk, int64_t now)
{
	struct mw_findings f = { 0 };
	struct mw_policy *pol = NULL;
	struct mw_image img = { 0 };
	int rc = 0;

	if (load_and_compile(path, &pol, &img)) {
		if (jp_json()) {
			jp_open_obj(NULL);
			jp_str("file", path);
			jp_bool("valid", false);
			jp_close_obj();
		}
		return 1;
	}
	if (jp_json()) {
		jp_open_obj(NULL);
		jp_str("file", path);
		jp_bool("valid", true);
	}
	if (!jp_json())
		printf("%s: ok: serial %llu, %zu interfaces, %zu zones, %zu systems, %zu devices, %zu conduits, image %zu bytes\n",
		       path, (unsigned long long)pol->serial, pol->n_ifaces,
		       pol->n_zones, pol->n_systems, count_devices(pol),
		       count_conduits(pol), img.len);
	else {
		jp_u64("serial", pol->serial);
		jp_u64("interfaces", pol->n_ifaces);
		jp_u64("zones", pol->n_zones);
		jp_u64("systems", pol->n_systems);
		jp_u64("devices", count_devices(pol));
		jp_u64("conduits", count_conduits(pol));
		jp_u64("image_bytes", img.len);
	}
	if (risk) {
		if (mw_risk_assess(pol, now, &f)) {
			fprintf(stderr, "%s: error: risk assessment failed\n", path);
			rc = 1;
		} else {
			enum mw_severity max = mw_findings_max(&f);

			print_findings(path, &f);
			if (jp_json())
				jp_str("highest", mw_severity_name(max));
			else
				printf("%s: %zu findings, highest %s\n", path,
				       f.n, mw_severity_name(max));
			rc = mw_risk_exit_code(max);
		}
		mw_findings_free(&f);
	}
	if (jp_json())
		jp_close_obj();
	mw_policy_free(pol);
	mw_image_free(&img);
	return rc;
}

int check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "risk", no_argument, NULL, 'r' },
		{ "now", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int64_t now = (int64_t)time(NULL);
	unsigned long v;
	bool risk = false;
	int c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': risk = true; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': check_usage(stdout); return 0;
		case 'n':
			if (parse_u32(optarg, 1UL << 40, &v)) {
				fprintf(stderr, "%s check: invalid time: `%s'\n",
					prog_name, optarg);
				return 1;
			}
			now = (int64_t)v;
			break;
		default: check_usage(stderr); return 1;
		}
	}
	if (optind >= argc) {
		check_usage(stderr);
		return 1;
	}
	jp_open_arr(NULL);
	for (i = optind; i < argc; i++) {
		int r = check_one(argv[i], risk, now);

		/* invalid (1) outranks any risk level */
		if (r == 1 || (rc != 1 && r > rc))
			rc = r;
	}
	jp_close_arr();
	jp_finish();
	return rc;
}
