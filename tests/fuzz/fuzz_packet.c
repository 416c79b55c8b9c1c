// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the packet parser and the reference classifier, the
 * oracle the XDP program and the kernel module are tested against.  The
 * first byte picks the context (direction, island, interface, clock), the
 * rest is the Ethernet frame, judged against examples/gateway.yaml (or
 * $MW_FUZZ_POLICY).  Beyond memory safety it checks what every caller
 * relies on: a known reason, the verdict that reason implies, no conduit
 * on a drop, a device, system and rule behind every conduit pass, and the
 * same answer twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "compile.h"
#include "image.h"
#include "policy.h"
#include <meterwall/reasons.h>

static struct mw_image img;
static struct mw_image_view view;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("MW_FUZZ_POLICY");
	struct mw_policy *pol;
	struct mw_diag d = { 0 };
	const char *why;

	(void)argc, (void)argv;
	if (!path)
		path = "examples/gateway.yaml";
	if (mw_policy_load_file(path, &pol, &d) ||
	    mw_compile(pol, NULL, &img, &d) ||
	    mw_image_view(img.data, img.len, &view, &why)) {
		mw_diag_print(&d);
		fprintf(stderr, "fuzz_packet: cannot load %s\n", path);
		exit(1);
	}
	mw_policy_free(pol);
	return 0;
}

static bool pass_reason(enum mw_reason r)
{
	return mw_reason_info(r)->verdict == MW_VERDICT_PASS;
}

static void check(const struct mw_result *r)
{
	if (!mw_reason_info(r->reason) || r->reason == MW_R_FLOW)
		abort();	/* a known reason; FLOW is the module's alone */
	if ((r->verdict == MW_VERDICT_PASS) != pass_reason(r->reason))
		abort();
	if (r->verdict == MW_VERDICT_DROP && r->conduit != MW_ID_NONE)
		abort();
	if (r->reason != MW_R_L2_CONTROL && r->verdict == MW_VERDICT_PASS &&
	    (r->device == MW_ID_NONE || r->system == MW_ID_NONE ||
	     r->conduit == MW_ID_NONE || r->rule < 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mw_rate rate[64], rate2[64];
	struct mw_runtime rt = { .boot_ns = 3600LL * 1000000000,
				 .sys_rate = rate, .n_sys_rate = 64 };
	struct mw_result a, b;
	enum mw_direction dir;
	struct mw_pkt p;
	uint8_t ctx;

	if (!len)
		return 0;
	ctx = data[0];
	data++, len--;
	/* Wed 2026-12-02 12:00 UTC, or the expiry clock a year ahead */
	rt.boot_to_unix_ns = 1796212800LL * 1000000000 - rt.boot_ns;
	rt.boot_to_unix_max_ns = rt.boot_to_unix_ns +
		((ctx & 0x10) ? 366LL * 86400 * 1000000000 : 0);
	rt.island = ctx & 0x02;
	dir = (ctx & 0x01) ? MW_DIR_OUTBOUND : MW_DIR_INBOUND;
	memset(rate, 0, sizeof(rate));
	/* a system that spent its burst a moment ago */
	if (ctx & 0x20)
		for (size_t i = 0; i < 64; i++)
			rate[i].tat_pkt = rate[i].tat_bit = rt.boot_ns +
							    MW_RATE_BURST_NS;
	memcpy(rate2, rate, sizeof(rate));
	mw_pkt_parse(data, len, &p);
	mw_classify(&view, &rt, (ctx >> 2) & 3, dir, &p, &a);
	check(&a);
	rt.sys_rate = rate2;
	mw_classify(&view, &rt, (ctx >> 2) & 3, dir, &p, &b);
	if (memcmp(&a, &b, sizeof(a)) || memcmp(rate, rate2, sizeof(rate)))
		abort();
	return 0;
}
