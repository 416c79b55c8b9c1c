/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print path for text and JSON (iproute2's json_print idea, written
 * small): commands describe their output as keys and values; in JSON mode
 * they become an object tree, in text mode "key: value" lines.
 */
#ifndef MW_JSON_H
#define MW_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void jp_init(FILE *f, bool json);
void jp_open_obj(const char *key);	/* key NULL inside arrays / top */
void jp_close_obj(void);
void jp_open_arr(const char *key);
void jp_close_arr(void);
void jp_str(const char *key, const char *val);
void jp_u64(const char *key, uint64_t val);
void jp_i64(const char *key, int64_t val);
void jp_bool(const char *key, bool val);
/*
 * A time: key as RFC 3339 at tz_offset seconds east of UTC with
 * frac_digits (0, 3, 9) digits of the second, as people read it; in JSON
 * also key_ns, the exact unix ns beside it.
 */
void jp_time(const char *key, uint64_t unix_ns, int32_t tz_offset,
	     unsigned int frac_digits);
void jp_finish(void);			/* newline after the top value */
/* s as a JSON string on f: valid UTF-8 JSON whatever the bytes (a byte
 * that starts no well-formed UTF-8 sequence becomes U+FFFD). */
void jp_write_string(FILE *f, const char *s);
bool jp_json(void);

#endif
