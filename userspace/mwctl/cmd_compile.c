// SPDX-License-Identifier: GPL-2.0
/* mwctl compile POLICY -o IMAGE [--prev IMAGE] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "compile.h"
#include "mwctl.h"
#include "policy.h"

static void compile_usage(FILE *f)
{
	fprintf(f, "Usage: %s compile POLICY -o IMAGE [--prev IMAGE]\n\n"
		"Validate POLICY and write its compiled image to IMAGE.\n"
		"--prev IMAGE keeps the ids of systems, devices and conduits that\n"
		"IMAGE already numbered (blocks and counters stay attached to them).\n",
		prog_name);
}

static void print_digest(const struct mw_image_hdr *h)
{
	char hex[65];
	int i;

	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h->digest[i]);
	jp_str("digest", hex);
}

int compile_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "prev", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = NULL, *prev_path = NULL;
	struct mw_image img = { 0 }, prev = { 0 };
	struct mw_image_view pv, v;
	struct mw_policy *pol = NULL;
	struct mw_diag diag = { 0 };
	const char *why = NULL;
	int c, err, ret = 1;

	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': prev_path = optarg; break;
		case 'j': jp_init(stdout, true); break;
		case 'h': compile_usage(stdout); return 0;
		default: compile_usage(stderr); return 1;
		}
	}
	if (optind != argc - 1 || !out) {
		compile_usage(stderr);
		return 1;
	}
	if (prev_path) {
		err = mw_image_read_file(prev_path, &prev);
		if (!err)
			err = mw_image_view(prev.data, prev.len, &pv, &why);
		if (err) {
			fprintf(stderr, "%s: error: unusable previous image: %s\n",
				prev_path, why ? why : strerror(-err));
			goto out;
		}
	}
	err = mw_policy_load_file(argv[optind], &pol, &diag);
	if (!err)
		err = mw_compile(pol, prev_path ? &pv : NULL, &img, &diag);
	if (err) {
		mw_diag_print(&diag);
		goto out;
	}
	err = mw_image_write_file(out, &img);
	if (err) {
		fprintf(stderr, "%s: error: cannot write image: %s\n", out, strerror(-err));
		goto out;
	}
	if (mw_image_view(img.data, img.len, &v, &why)) {
		fprintf(stderr, "%s: internal error: compiled image invalid: %s\n", out, why);
		goto out;
	}
	jp_open_obj(NULL);
	jp_str("image", out);
	jp_u64("serial", v.hdr->serial);
	jp_u64("bytes", img.len);
	jp_u64("systems", v.n_systems);
	jp_u64("devices", v.n_devices);
	jp_u64("conduits", v.n_conduits);
	print_digest(v.hdr);
	jp_close_obj();
	jp_finish();
	ret = 0;
out:
	mw_policy_free(pol);
	mw_image_free(&img);
	mw_image_free(&prev);
	return ret;
}
