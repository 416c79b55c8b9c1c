/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON reader (RFC 8259) for what meterwall wrote itself: JSON
 * lines (flow records, events, the audit log, blocks.history) and an
 * evidence bundle's manifest.  The whole text is parsed into a tree of
 * values; strings are decoded (\u escapes of surrogates become U+FFFD,
 * a \u0000 is refused), numbers kept as text and, when they are
 * integers that fit, as int64.  Nesting deeper than MW_JSON_DEPTH is
 * refused.
 */
#ifndef MW_JSONREAD_H
#define MW_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MW_JSON_DEPTH	32

enum mw_json_type {
	MW_JSON_NULL,
	MW_JSON_BOOL,
	MW_JSON_NUM,
	MW_JSON_STR,
	MW_JSON_ARR,
	MW_JSON_OBJ,
};

struct mw_json {
	enum mw_json_type type;
	const char *key;		/* in an object: the member's name */
	const char *str;		/* STR: the string; NUM: its text */
	int64_t num;			/* NUM: the value when is_int */
	bool is_int;
	bool b;				/* BOOL */
	struct mw_json *child;		/* ARR, OBJ: the first element */
	struct mw_json *next;		/* the next element of its parent */
};

/*
 * Parse len bytes at text (one value, white space around it).  *out is
 * freed with mw_json_free.  0, -EINVAL (*why says what is wrong and
 * *at, when not NULL, the byte offset) or -ENOMEM.
 */
int mw_json_parse(const char *text, size_t len, struct mw_json **out,
		  const char **why, size_t *at);
void mw_json_free(struct mw_json *v);

/* The member key of object o (NULL when o is no object or lacks it). */
const struct mw_json *mw_json_get(const struct mw_json *o, const char *key);
/* ... its string (NULL when it is none). */
const char *mw_json_str(const struct mw_json *o, const char *key);
/* ... its integer: 0, or -ENOENT (absent or not an integer). */
int mw_json_int(const struct mw_json *o, const char *key, int64_t *v);

#endif
