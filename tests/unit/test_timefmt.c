// SPDX-License-Identifier: GPL-2.0
/* mw_time_format: RFC 3339 with 0/3/9 fraction digits and offsets;
 * mw_time_parse: the same read back. */
#include <errno.h>
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

static void parses(const char *s, int64_t want)
{
	int64_t got = -1;

	assert_int_equal(mw_time_parse(s, &got), 0);
	assert_int_equal(got, want);
}

static void test_parse(void **state)
{
	char buf[MW_TIME_LEN];
	int64_t t;

	(void)state;
	parses("1970-01-01T00:00:00Z", 0);
	parses("2026-12-02T14:05:03.123Z", 1796220303123000000LL);
	parses("2026-12-02T14:05:03.123456789Z", 1796220303123456789LL);
	parses("2026-12-02T14:05:03.1234567891z", 1796220303123456789LL);
	parses("2026-12-03T00:00:00+09:00", 1796223600000000000LL);
	parses("2026-12-02 09:30:00-05:30", 1796223600000000000LL);
	parses("2028-02-29T00:00:00Z", 1835395200000000000LL);
	/* what the formatter writes reads back */
	mw_time_format(1796220303123456789LL, 9 * 3600, 9, buf, sizeof(buf));
	parses(buf, 1796220303123456789LL);
	assert_int_equal(mw_time_parse("2026-12-02T14:05:03", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-12-02", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-02-29T00:00:00Z", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-13-01T00:00:00Z", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-12-02T24:00:00Z", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-12-02T14:05:03.Z", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-12-02T14:05:03+0900", &t), -EINVAL);
	assert_int_equal(mw_time_parse("2026-12-02T14:05:03Zjunk", &t), -EINVAL);
	assert_int_equal(mw_time_parse("1969-12-31T23:59:59Z", &t), -ERANGE);
	assert_int_equal(mw_time_parse("9999-12-31T23:59:59Z", &t), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
