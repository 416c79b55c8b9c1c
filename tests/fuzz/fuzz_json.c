// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the one writer of JSON (mwctl -j, the audit log).
 * Arbitrary bytes as a key and a value (names, paths, user names reach it
 * unfiltered) must always come out as one valid JSON object in UTF-8, and
 * a value that was valid UTF-8 must decode back to exactly itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Length of the UTF-8 sequence at s (RFC 3629), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint32_t c;
	size_t k, i;

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
	if (n < k)
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

static bool valid_utf8(const uint8_t *s, size_t n)
{
	size_t k;

	for (; n; s += k, n -= k)
		if (!(k = utf8_len(s, n)))
			return false;
	return true;
}

static int hex(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string at *p (RFC 8259); its decoding (escapes below 0x80 only,
 * which is all the writer uses) appended to out.  false if invalid. */
static bool jstring(const uint8_t **p, const uint8_t *end, uint8_t *out,
		    size_t *olen)
{
	const uint8_t *s = *p;
	size_t k;

	if (s >= end || *s++ != '"')
		return false;
	while (s < end && *s != '"') {
		if (*s < 0x20)
			return false;
		if (*s == '\\') {
			if (++s >= end)
				return false;
			if (*s == 'u') {
				int v = 0, i, h;

				for (i = 1; i <= 4; i++) {
					if (s + i >= end || (h = hex(s[i])) < 0)
						return false;
					v = v << 4 | h;
				}
				if (v >= 0x80)
					return false;
				out[(*olen)++] = (uint8_t)v;
				s += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *s))
				return false;
			out[(*olen)++] = *s == '"' || *s == '\\' || *s == '/' ?
					 *s : 0;	/* b f n r t: not used */
			s++;
			continue;
		}
		if (!(k = utf8_len(s, (size_t)(end - s))))
			return false;
		memcpy(out + *olen, s, k);
		*olen += k;
		s += k;
	}
	if (s >= end)
		return false;
	*p = s + 1;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *buf = NULL, *key, *val;
	const uint8_t *p, *end;
	size_t blen = 0, split, klen, olen = 0;
	uint8_t *dec;
	FILE *f;

	if (!len)
		return 0;
	split = data[0] % len;		/* key = data[1..split), value the rest */
	key = strndup((const char *)data + 1, split ? split - 1 : 0);
	val = strndup((const char *)data + (split ? split : 1),
		      len - (split ? split : 1));
	f = open_memstream(&buf, &blen);
	if (!key || !val || !f)
		abort();
	jp_init(f, true);
	jp_open_obj(NULL);
	jp_str(key, val);
	jp_u64("n", len);
	jp_close_obj();
	jp_finish();
	fclose(f);

	dec = malloc(4 * blen + 1);
	p = (const uint8_t *)buf;
	end = p + blen;
	if (!dec || !valid_utf8(p, blen) || *p++ != '{' ||
	    !jstring(&p, end, dec, &olen) || *p++ != ':')
		abort();
	klen = olen;
	if (valid_utf8((const uint8_t *)key, strlen(key)) &&
	    (klen != strlen(key) || memcmp(dec, key, klen)))
		abort();
	if (!jstring(&p, end, dec, &olen))
		abort();
	if (valid_utf8((const uint8_t *)val, strlen(val)) &&
	    (olen - klen != strlen(val) || memcmp(dec + klen, val, olen - klen)))
		abort();
	if (end - p < 6 || memcmp(p, ",\"n\":", 5))
		abort();
	free(dec);
	free(buf);
	free(key);
	free(val);
	return 0;
}
