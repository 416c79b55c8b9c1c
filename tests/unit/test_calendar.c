// SPDX-License-Identifier: GPL-2.0
/*
 * The policy's calendar with an injected clock: agreement warnings at 30,
 * 7 and 1 day(s), the expiry, a later expiry taking them back; a
 * maintenance window (Monday 09:00-17:00 at +09:00) opening and closing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calendar.h"
#include "compile.h"
#include "policy_builder.h"

#define DAY	86400
#define HOUR	3600
#define EXP	1798729200LL	/* 2027-01-01T00:00:00+09:00 */
#define MON	1796601600LL	/* 2026-12-07T00:00:00Z, Monday 09:00 +09:00 */

struct rec {
	struct mw_cal_event e[8];
	size_t n;
};

static void record(const struct mw_cal_event *e, void *arg)
{
	struct rec *r = arg;

	assert_true(r->n < 8);
	r->e[r->n++] = *e;
}

static void compile(int64_t expires, struct mw_image *img,
		    struct mw_image_view *v)
{
	struct mw_policy *p = pb_new(5);
	struct mw_system_spec *s;
	struct mw_conduit_spec *c;
	struct mw_diag d;

	pb_iface(p, "ext0", MW_ZONE_EXTERNAL);
	pb_iface(p, "sm0", MW_ZONE_SMART_METER);
	pb_zone(p, "z", "192.0.2.0/24");
	p->tz_offset = 9 * HOUR;
	s = pb_system(p, "partner", "ext0");
	s->has_expires = true;
	s->expires = expires;
	pb_device(s, "gw", "198.51.100.10");
	c = pb_conduit(s, "maint", MW_DIR_INBOUND, 6, "z", NULL, "22");
	pb_window(c, 1, 9 * 60, 17 * 60);	/* Monday 09:00-17:00 */
	pb_conduit(s, "always", MW_DIR_INBOUND, 17, "z", NULL, "3610");
	assert_int_equal(pb_compile(p, NULL, img, v, &d), 0);
}

/* One step at now: exactly the events expected (kind, days_left). */
static void step(struct mw_calendar *c, const struct mw_image_view *v,
		 int64_t now, size_t n, const enum mw_cal_kind *kinds,
		 const int64_t *days)
{
	struct rec r = { 0 };
	size_t i;

	assert_int_equal(mw_calendar_step(c, v, now, record, &r), 0);
	if (r.n != n)
		fail_msg("at %lld: %zu events, want %zu", (long long)now, r.n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(r.e[i].kind, kinds[i]);
		if (days)
			assert_int_equal(r.e[i].days_left, days[i]);
	}
}

static void test_agreement(void **state)
{
	const enum mw_cal_kind W = MW_CAL_EXPIRING, X = MW_CAL_EXPIRED;
	struct mw_image img, img2;
	struct mw_image_view v, v2;
	struct mw_calendar *c;

	(void)state;
	compile(EXP, &img, &v);
	assert_int_equal(mw_calendar_new(&c), 0);
	step(c, &v, EXP - 40 * DAY, 0, NULL, NULL);
	step(c, &v, EXP - 30 * DAY - 1, 0, NULL, NULL);
	step(c, &v, EXP - 30 * DAY, 1, &W, (int64_t[]){ 30 });
	step(c, &v, EXP - 29 * DAY, 0, NULL, NULL);
	step(c, &v, EXP - 3 * DAY - 5, 1, &W, (int64_t[]){ 4 });
	step(c, &v, EXP - 3 * DAY, 0, NULL, NULL);
	step(c, &v, EXP - DAY + 1, 1, &W, (int64_t[]){ 1 });
	step(c, &v, EXP - 1, 0, NULL, NULL);
	step(c, &v, EXP, 1, &X, (int64_t[]){ 0 });
	step(c, &v, EXP + DAY, 0, NULL, NULL);
	/* renewed: a policy with a later expiry takes the warnings back */
	compile(EXP + 60 * DAY, &img2, &v2);
	step(c, &v2, EXP + DAY, 0, NULL, NULL);
	step(c, &v2, EXP + 30 * DAY, 1, &W, (int64_t[]){ 30 });
	mw_calendar_free(c);
	/* a start within a week: one warning, the latest stage only */
	assert_int_equal(mw_calendar_new(&c), 0);
	step(c, &v, EXP - 2 * DAY, 1, &W, (int64_t[]){ 2 });
	step(c, &v, EXP - 2 * DAY + 60, 0, NULL, NULL);
	mw_calendar_free(c);
	mw_image_free(&img);
	mw_image_free(&img2);
}

static void test_window(void **state)
{
	const enum mw_cal_kind O = MW_CAL_WINDOW_OPEN, C = MW_CAL_WINDOW_CLOSE;
	struct mw_image img;
	struct mw_image_view v;
	struct mw_calendar *c;
	struct rec r = { 0 };

	(void)state;
	compile(EXP + 365 * DAY, &img, &v);	/* no agreement warnings */
	assert_int_equal(mw_calendar_new(&c), 0);
	step(c, &v, MON - 60, 0, NULL, NULL);		/* 08:59: closed */
	step(c, &v, MON, 1, &O, NULL);			/* 09:00 */
	step(c, &v, MON + 4 * HOUR, 0, NULL, NULL);
	step(c, &v, MON + 8 * HOUR - 1, 0, NULL, NULL);	/* 16:59:59 */
	step(c, &v, MON + 8 * HOUR, 1, &C, NULL);	/* 17:00 */
	step(c, &v, MON + 2 * DAY, 0, NULL, NULL);	/* Wednesday */
	step(c, &v, MON + 7 * DAY + 30, 1, &O, NULL);	/* next Monday */
	mw_calendar_free(c);
	/* open when first seen: said, marked as such, with its names */
	assert_int_equal(mw_calendar_new(&c), 0);
	assert_int_equal(mw_calendar_step(c, &v, MON + HOUR, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].kind, MW_CAL_WINDOW_OPEN);
	assert_true(r.e[0].first);
	assert_string_equal(mw_image_str(&v, r.e[0].conduit->name),
			    "partner/maint");
	assert_string_equal(mw_image_str(&v, r.e[0].sys->name), "partner");
	mw_calendar_free(c);
	mw_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
