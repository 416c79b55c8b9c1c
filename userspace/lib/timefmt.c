// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define NS	1000000000LL
#define Y10K	253402300800LL	/* 10000-01-01T00:00:00Z in unix seconds */

char *mw_time_format(int64_t unix_ns, int32_t tz_offset, unsigned int frac_digits,
		     char *buf, size_t len)
{
	int64_t s = unix_ns / NS + tz_offset;
	long frac = (long)(unix_ns % NS);
	time_t t = (time_t)s;
	struct tm tm;
	size_t n;

	if (unix_ns < 0 || s < 0 || s >= Y10K || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "%lldns", (long long)unix_ns);
		return buf;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac_digits >= 9)
		n += snprintf(buf + n, len - n, ".%09ld", frac);
	else if (frac_digits >= 3)
		n += snprintf(buf + n, len - n, ".%03ld", frac / 1000000);
	if (n >= len)
		return buf;
	if (!tz_offset)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02d:%02d", tz_offset < 0 ? '-' : '+',
			 abs(tz_offset) / 3600, abs(tz_offset) / 60 % 60);
	return buf;
}

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n)
{
	int v = 0;

	while (n--) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int month_days(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100) || y % 400 == 0;

	return m == 2 && leap ? 29 : n[m - 1];
}

int mw_time_parse(const char *s, int64_t *unix_ns)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = NS, t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || !strchr("Tt ", s[10]))
		return -EINVAL;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59 || d > month_days(y, mo))
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		if (s[1] < '0' || s[1] > '9')
			return -EINVAL;
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (scale > 1)
				frac += (*s - '0') * (scale /= 10);
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		oh = digits(s + 1, 2);
		om = s[3] == ':' ? digits(s + 4, 2) : -1;
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -EINVAL;
		s += 6;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	if (t < 0 || t >= INT64_MAX / NS)
		return -ERANGE;
	*unix_ns = t * NS + frac;
	return 0;
}
