// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <string.h>

#include "json.h"

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

static void jstring(const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void member(const char *key)
{
	if (!first[depth])
		fputc(',', out);
	first[depth] = false;
	if (key) {
		jstring(key);
		fputc(':', out);
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
		fputc(c, out);
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
		fputc(c, out);
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

void jp_finish(void)
{
	if (json)
		fputc('\n', out);
	fflush(out);
}
