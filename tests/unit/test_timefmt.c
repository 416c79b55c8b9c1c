// SPDX-License-Identifier: GPL-2.0
/* mw_time_format: RFC 3339 with 0/3/9 fraction digits and offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "timefmt.h"

static void expect(int64_t ns, int32_t tz, unsigned int d, const char *want)
{
	char buf[MW_TIME_LEN];

	assert_string_equal(mw_time_format(ns, tz, d, buf, sizeof(buf)), want);
}

static void test_utc(void **state)
{
	(void)state;
	expect(0, 0, 0, "1970-01-01T00:00:00Z");
	expect(1796220303123456789LL, 0, 3, "2026-12-02T14:05:03.123Z");
	expect(1796220303123456789LL, 0, 9, "2026-12-02T14:05:03.123456789Z");
	expect(1796220303999999999LL, 0, 0, "2026-12-02T14:05:03Z");
}

static void test_offsets(void **state)
{
	(void)state;
	/* Japan: the local date turns at 15:00 UTC */
	expect(1796223600000000000LL, 9 * 3600, 0, "2026-12-03T00:00:00+09:00");
	expect(1796223600000000000LL, -(5 * 3600 + 30 * 60), 3,
	       "2026-12-02T09:30:00.000-05:30");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect(-1, 0, 3, "-1ns");
	expect(INT64_MAX, 0, 3, "2262-04-11T23:47:16.854Z");
	/* an offset that takes the epoch before 1970 */
	expect(0, -3600, 0, "0ns");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
