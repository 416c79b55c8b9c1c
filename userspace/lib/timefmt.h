/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Times as people and log collectors read them: RFC 3339.  One formatter
 * for flow records, events, the audit log and every text output.
 */
#ifndef MW_TIMEFMT_H
#define MW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for "2026-12-02T14:05:03.123456789+09:00" and a NUL. */
#define MW_TIME_LEN	40

/*
 * unix_ns as RFC 3339 at tz_offset seconds east of UTC ("Z" when 0), with
 * frac_digits (0, 3 or 9) digits of the second.  Times before 1970 or
 * beyond year 9999 come out as the bare number of ns with "ns" appended,
 * so nothing is ever misread as a date.  Returns buf.
 */
char *mw_time_format(int64_t unix_ns, int32_t tz_offset, unsigned int frac_digits,
		     char *buf, size_t len);

/*
 * An RFC 3339 date-time ("2026-12-02T09:00:00+09:00", "...T00:00:00.5Z";
 * 't', 'z' and a space for 'T' accepted, as RFC 3339 allows) as unix ns.
 * 0, or -EINVAL (not one, or a day or time that does not exist), or
 * -ERANGE (before 1970).
 */
int mw_time_parse(const char *s, int64_t *unix_ns);

#endif
