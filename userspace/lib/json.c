// SPDX-License-Identifier: GPL-2.0
/* The printer is single-threaded: the stdio calls take no lock (a record
 * of flows.jsonl is some 200 of them). */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "timefmt.h"

#define JP_DEPTH 16

static FILE *out;
static bool json;
static int depth;
static bool first[JP_DEPTH];	/* no member printed yet at this depth */

void jp_init(FILE *f, bool j)
{
	out = f;
	json = j;
	depth = 0;
	first[0] = true;
}

bool jp_json(void)
{
	return json;
}

/*
 * Bytes of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none.
 * s is NUL-terminated, so a cut sequence stops at the NUL.
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned int c, k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return k;
}

/* A JSON string: always valid JSON in UTF-8, whatever the bytes (file
 * names and user names are not UTF-8 by law): a byte that starts no
 * well-formed sequence becomes U+FFFD. */
void jp_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;
	size_t k;

	putc_unlocked('"', f);
	for (; *s; s += k) {
		k = utf8_seq(s);
		if (k && *s != '"' && *s != '\\' && *s >= 0x20)
			continue;	/* as it is: written with its run */
		if (s > run)
			fwrite_unlocked(run, 1, (size_t)(s - run), f);
		if (!k) {
			fputs("\xef\xbf\xbd", f);
			k = 1;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else {
			fprintf(f, "\\u%04x", *s);
		}
		run = s + k;
	}
	if (s > run)
		fwrite_unlocked(run, 1, (size_t)(s - run), f);
	putc_unlocked('"', f);
}

static void jstring(const char *s)
{
	jp_write_string(out, s);
}

static void member(const char *key)
{
	if (!first[depth])
		putc_unlocked(',', out);
	first[depth] = false;
	if (key) {
		jstring(key);
		putc_unlocked(':', out);
	}
}

/* Text mode: indentation by depth, "key: value". */
static void text_key(const char *key)
{
	fprintf(out, "%*s", (depth > 0 ? depth - 1 : 0) * 2, "");
	if (key)
		fprintf(out, "%s: ", key);
}

static void open_any(const char *key, char c)
{
	if (json) {
		member(key);
		putc_unlocked(c, out);
	} else if (key) {
		fprintf(out, "%*s%s:\n", (depth > 0 ? depth - 1 : 0) * 2, "", key);
	}
	if (depth < JP_DEPTH - 1)
		depth++;
	first[depth] = true;
}

void jp_open_obj(const char *key)
{
	open_any(key, '{');
}

void jp_open_arr(const char *key)
{
	open_any(key, '[');
}

static void close_any(char c)
{
	if (depth > 0)
		depth--;
	if (json)
		putc_unlocked(c, out);
}

void jp_close_obj(void)
{
	close_any('}');
}

void jp_close_arr(void)
{
	close_any(']');
}

void jp_str(const char *key, const char *val)
{
	if (json) {
		member(key);
		jstring(val ? val : "");
		return;
	}
	text_key(key);
	fprintf(out, "%s\n", val ? val : "");
}

void jp_u64(const char *key, uint64_t val)
{
	if (json) {
		member(key);
		fprintf(out, "%" PRIu64, val);
		return;
	}
	text_key(key);
	fprintf(out, "%" PRIu64 "\n", val);
}

void jp_i64(const char *key, int64_t val)
{
	if (json) {
		member(key);
		fprintf(out, "%" PRId64, val);
		return;
	}
	text_key(key);
	fprintf(out, "%" PRId64 "\n", val);
}

void jp_bool(const char *key, bool val)
{
	if (json) {
		member(key);
		fputs(val ? "true" : "false", out);
		return;
	}
	text_key(key);
	fprintf(out, "%s\n", val ? "yes" : "no");
}

void jp_time(const char *key, uint64_t unix_ns, int32_t tz_offset,
	     unsigned int frac_digits)
{
	char t[MW_TIME_LEN], k[64];

	jp_str(key, mw_time_format((int64_t)unix_ns, tz_offset, frac_digits,
				   t, sizeof(t)));
	if (!json)
		return;
	snprintf(k, sizeof(k), "%s_ns", key);
	jp_u64(k, unix_ns);
}

void jp_finish(void)
{
	if (json)
		putc_unlocked('\n', out);
	fflush(out);
}
