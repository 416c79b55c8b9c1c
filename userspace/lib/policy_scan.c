// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser: a reader for plain block YAML, the form policies are
 * written and generated in, that composes the tree (policy_tree.c)
 * without libyaml, whose scanner spent about a second on a policy of a
 * million devices.
 *
 * It reads a small subset and gives up (-EAGAIN: the caller runs libyaml
 * on the whole text) on anything else, so every error, and everything
 * outside the subset, is still libyaml's:
 *   - printable ASCII, lines ending in '\n'; spaces, no tabs;
 *   - no directives, document markers, tags, anchors, aliases or block
 *     scalars, no complex or quoted keys;
 *   - block mappings ("key: value", "key:" with the value on the lines
 *     below) and block sequences ("- item", indented or not), a sequence
 *     item on the entry's line (a scalar, a flow list or "key: value"
 *     opening a mapping);
 *   - scalars on one line: plain ones of [A-Za-z0-9._/~+@-] (and ':'
 *     followed by one of those or ':'; spaces inside, in block context),
 *     single- and double-quoted ones without escapes;
 *   - flow sequences and mappings on one line, of such scalars (plain
 *     keys; a mapping's values may be flow sequences);
 *   - comments after a space, and on lines of their own.
 * A value left empty, a line more indented than it may be (a plain
 * scalar's continuation, or an error) or less indented than any open
 * collection gives up too.  Positions (1-based line and column of the
 * first character, of the first key for a block mapping, of the first
 * '-' for a block sequence) are the ones libyaml reports.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy_int.h"

#define SCAN_DEPTH	48	/* deeper: libyaml's (and its errors) */
#define SCAN_KEY_MAX	1000	/* libyaml's simple keys: < 1024 chars */

/* Characters: printable (quoted scalars, comments), in a plain scalar,
 * starting one. */
enum { C_TEXT = 1, C_PLAIN = 2, C_START = 4 };
#define C_ALL (C_TEXT | C_PLAIN | C_START)

static const unsigned char cls[256] = {
	[' ' ... '*'] = C_TEXT, ['+'] = C_ALL, [','] = C_TEXT,
	['-'] = C_TEXT | C_PLAIN, ['.' ... '9'] = C_ALL, [':' ... '?'] = C_TEXT,
	['@'] = C_TEXT | C_PLAIN, ['A' ... 'Z'] = C_ALL, ['[' ... '^'] = C_TEXT,
	['_'] = C_ALL, ['`'] = C_TEXT, ['a' ... 'z'] = C_ALL,
	['{' ... '}'] = C_TEXT, ['~'] = C_ALL,
};

struct level {
	int indent;		/* 0-based column */
	bool seq;
	bool indentless;	/* a sequence at its mapping's indent */
};

struct scan {
	const char *p, *end;	/* p: the next character of the line */
	const char *bol;	/* the line's first character */
	int line;		/* 1-based */
	struct mwp_composer *k;
	struct level lv[SCAN_DEPTH];
	int depth;
	bool pending;		/* the top mapping's key awaits its value */
	bool root_done;
};

#define GIVE_UP (-EAGAIN)

static int col_of(const struct scan *s, const char *p)
{
	return (int)(p - s->bol);
}

static bool eol(const struct scan *s, const char *p)
{
	return p == s->end || *p == '\n';
}

static bool plain_at(const struct scan *s, const char *p, bool block)
{
	if (p == s->end)
		return false;
	if (cls[(unsigned char)*p] & C_PLAIN)
		return true;
	if (*p == ':')
		return p + 1 < s->end &&
		       ((cls[(unsigned char)p[1]] & C_PLAIN) || p[1] == ':');
	if (*p == ' ' && block) {
		while (p < s->end && *p == ' ')
			p++;
		return p < s->end && (cls[(unsigned char)*p] & C_PLAIN);
	}
	return false;
}

/* A plain scalar at s->p (its first character checked): its end. */
static const char *plain_end(const struct scan *s, bool block)
{
	const char *p = s->p;

	if (!(cls[(unsigned char)*p] & C_START) &&
	    !(*p == '-' && p + 1 < s->end &&
	      (cls[(unsigned char)p[1]] & C_PLAIN)))
		return NULL;
	while (plain_at(s, p, block))
		p++;
	return p;
}

static int push(struct scan *s, bool seq, int indent, bool indentless)
{
	if (s->depth == SCAN_DEPTH)
		return GIVE_UP;
	s->lv[s->depth++] = (struct level){ indent, seq, indentless };
	return mwp_compose_start(s->k, seq ? MWP_SEQ : MWP_MAP, s->line,
				 indent + 1);
}

static int pop(struct scan *s)
{
	s->depth--;
	return mwp_compose_end(s->k);
}

static int scalar(struct scan *s, const char *from, const char *to,
		  bool plain)
{
	return mwp_compose_scalar(s->k, s->line, col_of(s, from) + 1,
				  plain ? from : from + 1,
				  (size_t)(to - from) - (plain ? 0 : 2), plain);
}

/* A quoted scalar at s->p on this line, no escapes; s->p past it. */
static int quoted(struct scan *s)
{
	const char *p = s->p + 1, q = *s->p;

	while (p < s->end && *p != q && *p != '\\' &&
	       (cls[(unsigned char)*p] & C_TEXT))
		p++;
	if (p == s->end || *p != q || (p + 1 < s->end && p[1] == q))
		return GIVE_UP;
	p++;
	if (scalar(s, s->p, p, false))
		return -ENOMEM;
	s->p = p;
	return 0;
}

static void skip_spaces(struct scan *s)
{
	while (s->p < s->end && *s->p == ' ')
		s->p++;
}

/* A scalar in a flow collection: quoted, or plain up to a flow
 * indicator or a space. */
static int flow_scalar(struct scan *s)
{
	const char *e;

	if (*s->p == '"' || *s->p == '\'')
		return quoted(s);
	e = plain_end(s, false);
	if (!e)
		return GIVE_UP;
	if (scalar(s, s->p, e, true))
		return -ENOMEM;
	s->p = e;
	return 0;
}

static int flow(struct scan *s);

/* An entry of a flow collection: a scalar, or in a mapping "key: value"
 * (a plain key; the value a scalar or a flow sequence). */
static int flow_entry(struct scan *s, bool map)
{
	int err;

	if (map && (*s->p == '"' || *s->p == '\''))
		return GIVE_UP;
	err = flow_scalar(s);
	if (err || !map)
		return err;
	if (s->end - s->p < 3 || s->p[0] != ':' || s->p[1] != ' ')
		return GIVE_UP;
	s->p += 2;
	skip_spaces(s);
	if (s->p == s->end)
		return GIVE_UP;
	return *s->p == '[' ? flow(s) : flow_scalar(s);
}

/* A flow sequence or mapping at s->p, on this line; s->p past its end. */
static int flow(struct scan *s)
{
	bool map = *s->p == '{';
	char close = map ? '}' : ']';
	int err;

	if (s->depth == SCAN_DEPTH)
		return GIVE_UP;
	if (mwp_compose_start(s->k, map ? MWP_MAP : MWP_SEQ, s->line,
			      col_of(s, s->p) + 1))
		return -ENOMEM;
	s->p++;
	skip_spaces(s);
	if (s->p < s->end && *s->p == close)
		goto done;
	for (;;) {
		if (s->p == s->end)
			return GIVE_UP;
		err = flow_entry(s, map);
		if (err)
			return err;
		skip_spaces(s);
		if (s->p < s->end && *s->p == close)
			break;
		if (s->p == s->end || *s->p != ',')
			return GIVE_UP;
		s->p++;
		skip_spaces(s);
		if (s->p < s->end && *s->p == close)
			return GIVE_UP;	/* a trailing comma */
	}
done:
	s->p++;
	return mwp_compose_end(s->k);
}

/* The rest of the line: spaces, perhaps a comment (a '#' first on the
 * line or after a space). */
static int line_end(struct scan *s)
{
	skip_spaces(s);
	if (eol(s, s->p))
		return 0;
	if (*s->p != '#' || (s->p > s->bol && s->p[-1] != ' '))
		return GIVE_UP;
	while (!eol(s, s->p) && (cls[(unsigned char)*s->p] & C_TEXT))
		s->p++;
	return eol(s, s->p) ? 0 : GIVE_UP;
}

/* A value on the key's or the entry's line. */
static int value(struct scan *s)
{
	const char *e;
	int err;

	if (*s->p == '"' || *s->p == '\'') {
		err = quoted(s);
	} else if (*s->p == '[' || *s->p == '{') {
		err = flow(s);
	} else {
		e = plain_end(s, true);
		if (!e)
			return GIVE_UP;
		err = scalar(s, s->p, e, true) ? -ENOMEM : 0;
		s->p = e;
	}
	return err ?: line_end(s);
}

/* "key:" at s->p, the key's end in *key_end; false: not a key. */
static bool is_key(struct scan *s, const char **key_end)
{
	const char *e = plain_end(s, true);

	if (!e || e == s->end || *e != ':' || e - s->p >= SCAN_KEY_MAX)
		return false;
	if (e + 1 < s->end && e[1] != ' ' && e[1] != '\n')
		return false;
	*key_end = e;
	return true;
}

/* "key: value" or "key:" in the top mapping. */
static int pair(struct scan *s)
{
	const char *e;

	if (!is_key(s, &e))
		return GIVE_UP;
	if (scalar(s, s->p, e, true))
		return -ENOMEM;
	s->p = e + 1;
	skip_spaces(s);
	if (eol(s, s->p) || *s->p == '#') {
		s->pending = true;
		return line_end(s);
	}
	if (*s->p == '-' && (s->p + 1 == s->end || s->p[1] == ' ' ||
			     s->p[1] == '\n'))
		return GIVE_UP;
	return value(s);
}

static bool is_entry(const struct scan *s)
{
	return *s->p == '-' && s->p + 1 < s->end && s->p[1] == ' ';
}

/* "- item" in the top sequence. */
static int entry(struct scan *s)
{
	const char *e;
	int err;

	s->p += 2;
	skip_spaces(s);
	if (eol(s, s->p) || *s->p == '#' || *s->p == '-')
		return GIVE_UP;
	if (is_key(s, &e)) {
		err = push(s, false, col_of(s, s->p), false);
		return err ?: pair(s);
	}
	return value(s);
}

/* A new block collection at the line's first character. */
static int block(struct scan *s, int col)
{
	int err;

	if (is_entry(s)) {
		err = push(s, true, col, false);
		return err ?: entry(s);
	}
	err = push(s, false, col, false);
	return err ?: pair(s);
}

/* One line with content, s->p at its first character (col). */
static int line(struct scan *s, int col)
{
	struct level *top;
	int err;

	if (s->pending) {	/* the value of the top mapping's key */
		top = &s->lv[s->depth - 1];
		s->pending = false;
		if (top->indent < col)
			return block(s, col);
		if (top->indent > col || !is_entry(s))
			return GIVE_UP;	/* an empty value */
		err = push(s, true, col, true);
		return err ?: entry(s);
	}
	while (s->depth && s->lv[s->depth - 1].indent > col)
		if (pop(s))
			return -ENOMEM;
	if (!s->depth) {
		if (s->root_done || col || is_entry(s))
			return GIVE_UP;
		s->root_done = true;
		return block(s, col);
	}
	top = &s->lv[s->depth - 1];
	if (top->indent < col)
		return GIVE_UP;
	if (top->seq && is_entry(s))
		return entry(s);
	if (top->seq) {
		if (!top->indentless)
			return GIVE_UP;
		if (pop(s))
			return -ENOMEM;
	}
	return is_entry(s) ? GIVE_UP : pair(s);
}

/* The next line with content: s->p at its first character; false at
 * the end. */
static bool next_line(struct scan *s, int *col, int *err)
{
	const char *p;

	while (s->p < s->end) {
		p = s->p;
		while (p < s->end && *p == ' ')
			p++;
		if (p < s->end && *p == '#') {
			s->p = p;
			*err = line_end(s);
			if (*err)
				return false;
			p = s->p;
		}
		if (p < s->end && *p != '\n') {
			s->p = p;
			*col = col_of(s, p);
			return true;
		}
		s->p = p + (p < s->end);
		s->bol = s->p;
		s->line++;
	}
	return false;
}

static int scan(struct scan *s)
{
	int col, err = 0;

	while (next_line(s, &col, &err)) {
		if (!col && s->end - s->p >= 3 &&
		    (!memcmp(s->p, "---", 3) || !memcmp(s->p, "...", 3)))
			return GIVE_UP;
		err = line(s, col);
		if (err)
			return err;
		if (s->p < s->end) {	/* at the '\n' */
			s->p++;
			s->bol = s->p;
			s->line++;
		}
	}
	if (err)
		return err;
	if (s->pending || !s->root_done)
		return GIVE_UP;
	while (s->depth)
		if (pop(s))
			return -ENOMEM;
	return 0;
}

int mwp_tree_scan(const char *buf, size_t len, struct mwp_tree *t)
{
	struct scan s = {
		.p = buf, .end = buf + len, .bol = buf, .line = 1,
	};
	int err;

	s.k = mwp_composer_new(t);
	if (!s.k)
		return -ENOMEM;
	err = scan(&s);
	mwp_composer_free(s.k);
	if (err)
		mwp_tree_free(t);
	return err;
}
