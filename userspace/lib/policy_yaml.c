// SPDX-License-Identifier: GPL-2.0
/*
 * Policy parser helpers: walking the YAML tree (policy_tree.c), typed scalars
 * (names, integers, booleans, prefixes), uniqueness and located errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

struct mw_loc mwp_loc(const struct mwp_node *n)
{
	struct mw_loc loc = { 0, 0 };

	if (n) {
		loc.line = n->line;
		loc.col = n->col;
	}
	return loc;
}

int mwp_err_at(struct mwp_ctx *c, struct mw_loc loc, const char *fmt, ...)
{
	char msg[sizeof(c->diag->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mw_diag_set(c->diag, c->file, loc, "%s", msg);
	return -EINVAL;
}

/* len bytes of s, a NUL among them too, escaped and quoted. */
static void quote_mem(const char *s, size_t len, char buf[MWP_QUOTE_MAX])
{
	const char *end = s + len;
	size_t o = 0;

	buf[o++] = '`';
	for (; s < end && o < MWP_QUOTE_MAX - 8; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (s < end) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
}

void mwp_quote_str(const char *s, char buf[MWP_QUOTE_MAX])
{
	quote_mem(s, strlen(s), buf);
}

const char *mwp_quote(const struct mwp_node *n, char buf[MWP_QUOTE_MAX])
{
	if (!n)
		snprintf(buf, MWP_QUOTE_MAX, "nothing");
	else if (n->type == MWP_MAP)
		snprintf(buf, MWP_QUOTE_MAX, "a mapping");
	else if (n->type == MWP_SEQ)
		snprintf(buf, MWP_QUOTE_MAX, "a list");
	else
		quote_mem(n->text, n->len, buf);
	return buf;
}

static const char *key_text(const struct mwp_node *k)
{
	return k->text;
}

/* The text of scalar n is s (by length: a NUL inside is no end). */
static bool text_is(const struct mwp_node *n, const char *s, size_t len)
{
	return n->len == len && !memcmp(n->text, s, len);
}

/* Key k is key (len: its length); the first byte decides most keys
 * without a call. */
static bool key_is(const struct mwp_node *k, const char *key, size_t len)
{
	return k->text[0] == key[0] && text_is(k, key, len);
}

/* YAML's null: empty, ~, null, Null or NULL, plain. */
static bool is_null(const struct mwp_node *n)
{
	if (n->type != MWP_SCALAR || !n->plain)
		return false;
	if (n->len == 4)
		return text_is(n, "null", 4) || text_is(n, "Null", 4) ||
		       text_is(n, "NULL", 4);
	return n->len == 0 || text_is(n, "~", 1);
}

static int list_keys(const char *const *keys, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; *keys && o < size; keys++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s",
				      o ? ", " : "", *keys);
	return 0;
}

static bool key_known(const struct mwp_node *k, const char *const *keys)
{
	for (; *keys; keys++)
		if (key_is(k, *keys, strlen(*keys)))
			return true;
	return false;
}

/* Every key a known scalar, none twice. */
int mwp_check_keys(struct mwp_ctx *c, struct mwp_node *map,
		   const char *const *keys, const char *what)
{
	const uint32_t *kids = c->tree->kids + map->first;
	char qb[MWP_QUOTE_MAX], kb[256];
	size_t p, q;

	for (p = 0; p < map->len; p++) {
		struct mwp_node *k = mwp_at(c, kids[2 * p]);

		if (!k || k->type != MWP_SCALAR)
			return mwp_err_at(c, mwp_loc(k),
					  "%s: expected a key name, got %s",
					  what, mwp_quote(k, qb));
		if (!key_known(k, keys)) {
			list_keys(keys, kb, sizeof(kb));
			return mwp_err_at(c, mwp_loc(k),
					  "unknown key %s in %s (expected one of: %s)",
					  mwp_quote(k, qb), what, kb);
		}
		for (q = 0; q < p; q++) {
			struct mwp_node *o = mwp_at(c, kids[2 * q]);

			if (text_is(o, key_text(k), k->len))
				return mwp_err_at(c, mwp_loc(k),
						  "duplicate key %s in %s (first at line %d)",
						  mwp_quote(k, qb), what,
						  mwp_loc(o).line);
		}
	}
	return 0;
}

/* Only after mwp_check_keys: all keys are scalars. */
struct mwp_node *mwp_get(struct mwp_ctx *c, struct mwp_node *map, const char *key,
		     struct mwp_node **keynode)
{
	const uint32_t *kids = c->tree->kids + map->first;
	size_t p, len = strlen(key);

	for (p = 0; p < map->len; p++) {
		struct mwp_node *k = mwp_at(c, kids[2 * p]);

		if (key_is(k, key, len)) {
			if (keynode)
				*keynode = k;
			return mwp_at(c, kids[2 * p + 1]);
		}
	}
	return NULL;
}

int mwp_require(struct mwp_ctx *c, struct mwp_node *map, const char *key,
		const char *what, struct mwp_node **out)
{
	*out = mwp_get(c, map, key, NULL);
	if (!*out)
		return mwp_err_at(c, mwp_loc(map),
				  "missing required key `%s' in %s", key, what);
	return 0;
}

int mwp_mapping(struct mwp_ctx *c, struct mwp_node *n, const char *what)
{
	char qb[MWP_QUOTE_MAX];

	if (n->type != MWP_MAP)
		return mwp_err_at(c, mwp_loc(n), "%s: expected a mapping, got %s",
				  what, mwp_quote(n, qb));
	return 0;
}

int mwp_seq(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    size_t *len)
{
	char qb[MWP_QUOTE_MAX];

	if (n->type != MWP_SEQ)
		return mwp_err_at(c, mwp_loc(n), "%s: expected a list, got %s",
				  what, mwp_quote(n, qb));
	*len = n->len;
	return 0;
}

struct mwp_node *mwp_item(struct mwp_ctx *c, struct mwp_node *seq, size_t i)
{
	return mwp_at(c, c->tree->kids[seq->first + i]);
}

/* A non-null scalar; its text in *s. */
int mwp_scalar(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	       const char *expect, const char **s)
{
	char qb[MWP_QUOTE_MAX];

	if (n->type != MWP_SCALAR || is_null(n))
		return mwp_err_at(c, mwp_loc(n), "%s: expected %s, got %s",
				  what, expect,
				  n->type == MWP_SCALAR ? "nothing" :
				  mwp_quote(n, qb));
	*s = key_text(n);
	if (strlen(*s) != n->len)
		return mwp_err_at(c, mwp_loc(n), "%s: NUL character in %s",
				  what, mwp_quote(n, qb));
	return 0;
}

int mwp_str(struct mwp_ctx *c, struct mwp_node *n, const char *what, char *buf,
	    size_t size)
{
	char qb[MWP_QUOTE_MAX];
	const char *s, *p;
	int err;

	err = mwp_scalar(c, n, what, "a string", &s);
	if (err)
		return err;
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return mwp_err_at(c, mwp_loc(n),
					  "invalid %s %s: control characters are not allowed",
					  what, mwp_quote(n, qb));
	if (!*s)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s `': expected a non-empty string",
				  what);
	if (strlen(s) >= size)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: longer than %zu characters",
				  what, mwp_quote(n, qb), size - 1);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

int mwp_name(struct mwp_ctx *c, struct mwp_node *n, const char *what, char *buf,
	     size_t size)
{
	char qb[MWP_QUOTE_MAX];
	const char *s, *p;
	int err;

	err = mwp_scalar(c, n, what, "a name", &s);
	if (err)
		return err;
	for (p = s; *p && name_char(*p); p++)
		;
	if (*p || !name_char(s[0]) || s[0] == '.' || s[0] == '_' ||
	    s[0] == '-' || strlen(s) >= size)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: expected 1-%zu characters of [A-Za-z0-9._-] starting with a letter or digit",
				  what, mwp_quote(n, qb), size - 1);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int mwp_u64(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    uint64_t min, uint64_t max, uint64_t *out)
{
	char qb[MWP_QUOTE_MAX];
	unsigned long long v;
	const char *s, *p;
	char *end;
	int err;

	err = mwp_scalar(c, n, what, "an integer", &s);
	if (err)
		return err;
	if (!n->plain)
		goto bad;
	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (*p || p == s)
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	if (min == 0 && max == UINT64_MAX)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: expected a non-negative integer below 2^64",
				  what, mwp_quote(n, qb));
	return mwp_err_at(c, mwp_loc(n),
			  "invalid %s %s: expected an integer %llu..%llu",
			  what, mwp_quote(n, qb), (unsigned long long)min,
			  (unsigned long long)max);
}

int mwp_u32(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	    uint32_t *out)
{
	uint64_t v;
	int err;

	err = mwp_u64(c, n, what, 0, UINT32_MAX, &v);
	if (!err)
		*out = (uint32_t)v;
	return err;
}

int mwp_bool(struct mwp_ctx *c, struct mwp_node *n, const char *what, bool *out)
{
	static const char *const names[] = { "false", "true", NULL };
	int v, err;

	err = mwp_enum(c, n, what, names, &v);
	if (!err)
		*out = v;
	return err;
}

int mwp_enum(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	     const char *const *names, int *out)
{
	char qb[MWP_QUOTE_MAX], kb[128];
	const char *s;
	int i, err;

	list_keys(names, kb, sizeof(kb));
	err = mwp_scalar(c, n, what, kb, &s);
	if (err)
		return err;
	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return mwp_err_at(c, mwp_loc(n), "invalid %s %s: expected one of: %s",
			  what, mwp_quote(n, qb), kb);
}

int mwp_prefix(struct mwp_ctx *c, struct mwp_node *n, const char *what,
	       struct mw_prefix *p)
{
	char qb[MWP_QUOTE_MAX];
	const char *s;
	int err;

	err = mwp_scalar(c, n, what, "an address or prefix", &s);
	if (err)
		return err;
	err = mw_prefix_parse(s, p);
	if (err == -EDOM)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: host bits set under the mask",
				  what, mwp_quote(n, qb));
	if (err)
		return mwp_err_at(c, mwp_loc(n),
				  "invalid %s %s: expected an IPv4/IPv6 address or address/length",
				  what, mwp_quote(n, qb));
	p->loc = mwp_loc(n);
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct mwp_ref *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->loc.line != y->loc.line)
		return x->loc.line - y->loc.line;
	return x->loc.col - y->loc.col;
}

/*
 * True when no two refs have the same name: a hash set of the names, one
 * pass, where sorting a million names took 0.17 s.  False when two are
 * equal (or memory is short): then the sort finds and reports the pair.
 */
static bool all_differ(const struct mwp_ref *refs, size_t n)
{
	struct { uint32_t hash, ref; } *tab;	/* ref: index + 1, 0 free */
	size_t cap = 64, mask, i, k;
	bool ok = true;

	if (n >= UINT32_MAX / 4)
		return false;
	while (cap < 2 * n)
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return false;
	mask = cap - 1;
	for (i = 0; i < n && ok; i++) {
		const unsigned char *s = (const unsigned char *)refs[i].name;
		uint32_t h = 2166136261u;

		for (; *s; s++)
			h = (h ^ *s) * 16777619u;
		for (k = h & mask; tab[k].ref && ok; k = (k + 1) & mask)
			ok = tab[k].hash != h ||
			     strcmp(refs[tab[k].ref - 1].name, refs[i].name);
		tab[k].hash = h;
		tab[k].ref = (uint32_t)i + 1;
	}
	free(tab);
	return ok;
}

int mwp_unique(struct mwp_ctx *c, struct mwp_ref *refs, size_t n,
	       const char *what)
{
	char qb[MWP_QUOTE_MAX];
	size_t i;

	if (n < 2 || all_differ(refs, n))
		return 0;
	qsort(refs, n, sizeof(*refs), ref_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(refs[i - 1].name, refs[i].name))
			continue;
		mwp_quote_str(refs[i].name, qb);
		return mwp_err_at(c, refs[i].loc,
				  "duplicate %s name %s (first defined at line %d)",
				  what, qb, refs[i - 1].loc.line);
	}
	return 0;
}

#define MWP_MAX_DEPTH 64
#define MWP_MAX_EXPANDED (1ULL << 23)

/*
 * Nodes reachable from n, counting aliased nodes every time they are used
 * (memoised in size[]).  Bounds the work of the schema walk against alias
 * bombs and rejects recursive aliases, which only ever nest deeper.
 */
static int expanded(struct mwp_ctx *c, struct mwp_node *n, uint64_t *size,
		    int depth, uint64_t *out)
{
	size_t idx = (size_t)(n - c->tree->nodes), i;
	const uint32_t *kids;
	uint64_t sum = 1, sub;
	int err = 0;

	if (depth > MWP_MAX_DEPTH)
		return mwp_err_at(c, mwp_loc(n),
				  "YAML nested deeper than %d levels (or a recursive alias)",
				  MWP_MAX_DEPTH);
	if (size[idx]) {
		*out = size[idx];
		return 0;
	}
	if (n->type == MWP_SEQ) {
		kids = c->tree->kids + n->first;
		for (i = 0; i < n->len && !err; i++) {
			err = expanded(c, mwp_at(c, kids[i]), size, depth + 1,
				       &sub);
			sum += sub;
		}
	} else if (n->type == MWP_MAP) {
		kids = c->tree->kids + n->first;
		for (i = 0; i < n->len && !err; i++) {
			err = expanded(c, mwp_at(c, kids[2 * i + 1]), size,
				       depth + 1, &sub);
			sum += sub + 1;
		}
	}
	if (err)
		return err;
	if (sum > MWP_MAX_EXPANDED)
		return mwp_err_at(c, mwp_loc(n),
				  "YAML aliases expand this node to more than %llu nodes",
				  MWP_MAX_EXPANDED);
	size[idx] = sum;
	*out = sum;
	return 0;
}

int mwp_check_expansion(struct mwp_ctx *c)
{
	size_t n = c->tree->n_nodes;
	uint64_t *size, total;
	int err;

	/*
	 * Without an alias every node is reached once: the walk would count
	 * at most the n - 1 nodes, at a depth below the collections' nesting
	 * (a tenth of the read of a million devices, for no error).
	 */
	if (!c->tree->aliased && c->tree->depth < MWP_MAX_DEPTH &&
	    n <= MWP_MAX_EXPANDED + 1)
		return 0;
	size = calloc(n ?: 1, sizeof(*size));
	if (!size)
		return -ENOMEM;
	err = expanded(c, mwp_at(c, c->tree->root), size, 0, &total);
	free(size);
	return err;
}
