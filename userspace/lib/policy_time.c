// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser: time zone offsets, dates (YYYY-MM-DD or RFC 3339
 * date-times) as unix seconds, and times of day for windows.
 */
#include <stdio.h>
#include <string.h>

#include "policy_int.h"

/* Fixed-width decimal digits; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (; n > 0; n--, s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* "+HH:MM" / "-HH:MM" / "Z" -> seconds east of UTC; -1 on bad syntax. */
static int parse_offset(const char *s, int32_t *out)
{
	int hh, mm;

	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*out = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -1;
	hh = digits(s + 1, 2);
	mm = digits(s + 4, 2);
	if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
		return -1;
	*out = (hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

int mwp_tz(struct mwp_ctx *c, struct mwp_node *n, int32_t *out)
{
	char qb[MWP_QUOTE_MAX];
	const char *s;
	int err;

	err = mwp_scalar(c, n, "timezone", "a UTC offset", &s);
	if (err)
		return err;
	if (parse_offset(s, out) || *out > 14 * 3600 || *out < -12 * 3600)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid timezone %s: expected a UTC offset \"+HH:MM\" or \"-HH:MM\" from -12:00 to +14:00",
				  mwp_quote(n, qb));
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

#define DATE_EXPECT "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS followed by Z or +HH:MM"

static int date_err(struct mwp_ctx *c, struct mwp_node *n, const char *what,
		    const char *why)
{
	char qb[MWP_QUOTE_MAX];

	return mwp_err_at(c, mwp_loc(n), "invalid %s %s: %s", what,
			  mwp_quote(n, qb), why);
}

/* The time-of-day part "THH:MM:SS<offset>" -> seconds, *off. */
static int parse_daytime(const char *s, int *secs, int32_t *off)
{
	int hh, mm, ss;

	if ((s[0] != 'T' && s[0] != 't') || strlen(s) < 10 || s[3] != ':' ||
	    s[6] != ':')
		return -1;
	hh = digits(s + 1, 2);
	mm = digits(s + 4, 2);
	ss = digits(s + 7, 2);
	if (hh < 0 || mm < 0 || ss < 0 || parse_offset(s + 9, off))
		return -1;
	if (hh > 23 || mm > 59 || ss > 59)
		return -2;
	*secs = hh * 3600 + mm * 60 + ss;
	return 0;
}

/*
 * "YYYY-MM-DD": the start of that day in the policy time zone, or with
 * end_of_day the start of the next one.  RFC 3339 date-times are exact.
 */
int mwp_date(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     bool end_of_day, int64_t *out)
{
	int y, m, d, secs = 0, err;
	int32_t off = c->pol->tz_offset;
	char why[96];
	const char *s;

	err = mwp_scalar(c, n, what, "a date", &s);
	if (err)
		return err;
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return date_err(c, n, what, DATE_EXPECT);
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0)
		return date_err(c, n, what, DATE_EXPECT);
	if (s[10]) {
		err = parse_daytime(s + 10, &secs, &off);
		if (err == -2)
			return date_err(c, n, what, "time of day out of range");
		if (err)
			return date_err(c, n, what, DATE_EXPECT);
		end_of_day = false;
	}
	if (y < 1970)
		return date_err(c, n, what, "year before 1970");
	if (m < 1 || m > 12)
		return date_err(c, n, what, "month must be 01..12");
	if (d < 1 || d > days_in_month(y, m)) {
		snprintf(why, sizeof(why), "day must be 01..%02d in %04d-%02d",
			 days_in_month(y, m), y, m);
		return date_err(c, n, what, why);
	}
	*out = (days_from_civil(y, m, d) + end_of_day) * 86400 + secs - off;
	return 0;
}

int mwp_hhmm(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     uint16_t *out)
{
	char qb[MWP_QUOTE_MAX];
	const char *s;
	int hh, mm, err;

	err = mwp_scalar(c, n, what, "a time HH:MM", &s);
	if (err)
		return err;
	hh = strlen(s) == 5 && s[2] == ':' ? digits(s, 2) : -1;
	mm = hh >= 0 ? digits(s + 3, 2) : -1;
	if (hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm))
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: expected a time \"HH:MM\" from 00:00 to 24:00",
				  what, mwp_quote(n, qb));
	*out = (uint16_t)(hh * 60 + mm);
	return 0;
}
