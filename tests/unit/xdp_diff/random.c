// SPDX-License-Identifier: GPL-2.0
/*
 * The differential test on mutated frames: the systematic corpus
 * (test_xdp_diff.c) holds the frames somebody thought of; this one holds
 * what a few random edits of them make (tests/include/mutate.h), which
 * nobody did.  The frames edited: the product's frames that pass (each
 * judged mostly on the interface it passes on) and the attack corpus
 * (attacks.h), half each; every edited frame is judged by the program and
 * by the reference classifier, first under examples/gateway.yaml (as it
 * is, with a system and a device blocked, in island mode), then with both
 * external interfaces also taking VIDs 10 and 20 (so that tagged frames
 * get past step 5).  Verdict and reason must agree on every frame, as
 * in the corpus.
 *
 * Deterministic: fixed seeds, so a run fails the same way twice.
 * MW_DIFF_SEED and MW_DIFF_FRAMES run another seed and more frames (a
 * search; the seed and frame number are printed with every difference).
 */
#include "env.h"
#include "mutate.h"
#include <meterwall/reasons.h>

#define POOL_MAX	16384
#define FRAME_MAX	1600	/* room for the edits: mutate.h stays below */

struct pool {
	uint8_t (*buf)[FRAME_MAX];
	size_t *len;
	signed char *ifs;	/* the interface it passes on, or -1 */
	size_t n;
	size_t n_plain;		/* the first n_plain: product frames that
				 * pass unedited */
};

static struct pool P;

static void pool_add(const uint8_t *frame, size_t len, int ifs)
{
	if (P.n >= POOL_MAX || len < 14 || len > FRAME_MAX)
		return;
	memcpy(P.buf[P.n], frame, len);
	P.ifs[P.n] = (signed char)ifs;
	P.len[P.n++] = len;
}

/* The external interface on which the classifier passes frame, or -1. */
static int passes_on(const struct mw_config *cfg, const uint8_t *frame,
		     size_t len)
{
	struct judged r;
	int ifs;

	for (ifs = IF_EXT0; ifs <= IF_EXT1; ifs++) {
		ref_judge(cfg, &E.v, iface_in(&E.v, ifs), boot_ns(), frame,
			  len, &r);
		if (r.verdict == MW_VERDICT_PASS)
			return ifs;
	}
	return -1;
}

/*
 * The attack corpus, every technique in the pool: its first 1,024 frames,
 * then every eighth (fake-reply alone has ~15,000).
 */
static void pool_emit(const uint8_t *frame, size_t len, const char *technique,
		      void *arg)
{
	static const char *names[16];
	static size_t seen[16];
	size_t t;

	(void)arg;
	for (t = 0; t < 16 && names[t] && strcmp(names[t], technique); t++)
		;
	assert_true(t < 16);
	names[t] = technique;
	if (seen[t]++ < 1024 || seen[t] % 8 == 0)
		pool_add(frame, len, -1);
}

/* The product's frames that pass (every source, destination and variant,
 * untagged: P.n_plain of them), then the attack corpus. */
static void pool_fill(void)
{
	static const uint16_t ports[] = { 443, 3610, 8443, 4059, 53 };
	struct attack_src as[64];
	struct attack_ctx a = {
		.srcs = as, .dst4 = dst4, .dst6 = dst6, .n_dst = 5,
		.ports = ports, .n_ports = 5, .emit = pool_emit,
	};
	uint8_t buf[FR_MAX];
	struct mw_config cfg;
	size_t i, k;

	a.n_srcs = attack_sources(as, 64);
	assert_int_equal(mw_xdp_read_config(E.x, &cfg), 0);
	for (i = 0; i < E.n_srcs; i++) {
		const struct src *s = &E.srcs[i];

		for (k = 0; k < 5 * n_variants; k++) {
			const struct variant *va = &variants[k % n_variants];
			struct fr_spec f = {
				.family = s->family, .src = s->addr,
				.dst = s->family == AF_INET ?
				       dst4[k / n_variants] :
				       dst6[k / n_variants],
				.smac = s->mac, .proto = va->proto,
				.sport = va->sport, .dport = va->dport,
				.flags = va->flags,
				.type = s->family == AF_INET ? va->type4 :
							       va->type6,
				.payload = k % 7 * 9,
			};
			size_t len = fr_build(&f, buf);
			int ifs = passes_on(&cfg, buf, len);

			if (ifs >= 0)
				pool_add(buf, len, ifs);
		}
	}
	P.n_plain = P.n;
	attacks(&a);
}

static void hexdump(const uint8_t *f, size_t len)
{
	char line[3 * 32 + 1];
	size_t i, o;

	for (o = 0; o < len; o += 32) {
		for (i = 0; i < 32 && o + i < len; i++)
			snprintf(line + 3 * i, 4, "%02x ", f[o + i]);
		print_message("    %04zx  %s\n", o, line);
	}
}

static size_t env_size(const char *name, size_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

/*
 * n frames of seed, each from a frame of the pool with one to four edits
 * (one in half of them), judged on both external interfaces of policy v.
 */
static void run_seed(const struct mw_image_view *v, size_t seed, size_t n,
		     const char *phase)
{
	uint8_t f[FRAME_MAX];
	size_t i, k, len, before;
	struct mut m;
	char label[128];
	int ifs;

	mut_seed(&m, seed);
	for (i = 0; i < n; i++) {
		/* half from the passing frames, half from all */
		k = mut_rnd(&m, (uint32_t)(mut_rnd(&m, 2) ? P.n_plain : P.n));
		len = P.len[k];
		memcpy(f, P.buf[k], len);
		len = mut_frame(&m, f, len, sizeof(f));
		for (ifs = IF_EXT0; ifs <= IF_EXT1; ifs++) {
			/* a passing frame mostly where it passes */
			if (P.ifs[k] >= 0 && ifs != P.ifs[k] && mut_rnd(&m, 4))
				continue;
			snprintf(label, sizeof(label), "%s seed %zu frame %zu "
				 "(pool %zu)", phase, seed, i, k);
			before = E.agree;
			diff_on(E.x, v, ifs, f, len, label);
			if (E.agree == before && E.shown <= 25)
				hexdump(f, len);
		}
	}
}

/* The policy with both external interfaces on VIDs 10 and 20 and
 * untagged, so that tagged frames get past step 5. */
static void tagged_policy(struct mw_image *img, struct mw_image_view *v)
{
	struct mw_iface_spec saved[2], *e[2] = {
		policy_iface("ext0"), policy_iface("ext1"),
	};
	struct mw_diag diag;
	const char *why = NULL;
	size_t i;

	for (i = 0; i < 2; i++) {
		saved[i] = *e[i];
		e[i]->vlans[10 / 8] |= 1u << (10 % 8);
		e[i]->vlans[20 / 8] |= 1u << (20 % 8);
		e[i]->n_vlans = 2;
		e[i]->untagged = true;
	}
	assert_int_equal(mw_compile(E.pol, &E.v, img, &diag), 0);
	for (i = 0; i < 2; i++)
		*e[i] = saved[i];
	assert_int_equal(mw_image_view(img->data, img->len, v, &why), 0);
}

void test_diff_random(void **state)
{
	size_t seeds[] = { 1, 2 }, n_seeds = 2, per, s, r;
	size_t pass = 0, reasons = 0;
	struct mw_image img = {};
	struct mw_image_view tv;

	(void)state;
	need_env();
	P.buf = calloc(POOL_MAX, FRAME_MAX);
	P.len = calloc(POOL_MAX, sizeof(*P.len));
	P.ifs = calloc(POOL_MAX, sizeof(*P.ifs));
	assert_non_null(P.buf);
	assert_non_null(P.len);
	assert_non_null(P.ifs);
	P.n = 0;
	pool_fill();
	assert_true(P.n >= 500);
	if (getenv("MW_DIFF_SEED")) {
		seeds[0] = env_size("MW_DIFF_SEED", 1);
		n_seeds = 1;
	}
	per = env_size("MW_DIFF_FRAMES", 5000);
	set_now(E.x, t_normal);
	clear_blocks();
	E.corpus = E.agree = E.shown = 0;
	memset(E.by_reason, 0, sizeof(E.by_reason));
	for (s = 0; s < n_seeds; s++)
		run_seed(&E.v, seeds[s], per, "untagged");
	/* blocks (a system, a device until later: the order of the block
	 * against the parse's and the other checks' reasons), then island */
	block(MW_TARGET_SYSTEM, sys_id("hems-aggregator"), 0);
	block(MW_TARGET_DEVICE, dev_id("gw-probe"),
	      (uint64_t)boot_ns() + 3600ULL * 1000000000ULL);
	run_seed(&E.v, seeds[0] + 2000, per / 2, "blocked");
	clear_blocks();
	assert_int_equal(mw_xdp_island(E.x, true), 0);
	E.island = true;
	run_seed(&E.v, seeds[0] + 3000, per / 5, "island");
	assert_int_equal(mw_xdp_island(E.x, false), 0);
	E.island = false;
	tagged_policy(&img, &tv);
	assert_int_equal(load_policy(E.x, &tv, NULL), 0);
	for (s = 0; s < n_seeds; s++)
		run_seed(&tv, seeds[s] + 1000, per, "tagged");
	assert_int_equal(load_policy(E.x, &E.v, NULL), 0);
	mw_image_free(&img);
	for (r = 0; r < __MW_R_LAST; r++) {
		if (!E.by_reason[r])
			continue;
		reasons++;
		if (mw_reason_info((unsigned int)r)->verdict ==
		    MW_VERDICT_PASS)
			pass += E.by_reason[r];
		print_message("  %-15s %zu\n", mw_reason_name((int)r),
			      E.by_reason[r]);
	}
	print_message("mutated: %zu judgements of frames from a pool of %zu "
		      "(%zu passing), %zu agree, %zu differ, %zu pass, "
		      "%zu reasons\n", E.corpus, P.n, P.n_plain, E.agree,
		      E.corpus - E.agree, pass, reasons);
	free(P.buf);
	free(P.len);
	free(P.ifs);
	assert_int_equal(E.agree, E.corpus);
	/* the edits left enough frames whole to reach the rules, and
	 * spread the rest over the parsers' and the checks' reasons */
	assert_true(pass >= E.corpus / 50);
	assert_true(reasons >= 12);
}
