// SPDX-License-Identifier: GPL-2.0
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
