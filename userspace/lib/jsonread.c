// SPDX-License-Identifier: GPL-2.0
/* The JSON reader (jsonread.h): recursive descent over a copy of the text,
 * strings decoded in place (a decoded string is never longer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

/* The root node, and the copy of the text its strings point into. */
struct json_doc {
	struct mw_json root;
	char *buf;
};

struct reader {
	char *p, *end;
	const char *why;
	int depth;
};

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && strchr(" \t\r\n", *r->p) && *r->p)
		r->p++;
}

static int fail(struct reader *r, const char *why)
{
	r->why = why;
	return -EINVAL;
}

static void put_utf8(char **o, unsigned int u)
{
	if (u < 0x80) {
		*(*o)++ = (char)u;
	} else if (u < 0x800) {
		*(*o)++ = (char)(0xc0 | u >> 6);
		*(*o)++ = (char)(0x80 | (u & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | u >> 12);
		*(*o)++ = (char)(0x80 | ((u >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (u & 0x3f));
	}
}

static int hex4(const char *s, unsigned int *u)
{
	int i, d;

	for (*u = 0, i = 0; i < 4; i++) {
		d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' :
		    s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 :
		    s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*u = *u << 4 | (unsigned int)d;
	}
	return 0;
}

/* A string at r->p, decoded in place into a NUL-terminated one. */
static int take_string(struct reader *r, const char **out)
{
	char *s = r->p + 1, *o = s;
	unsigned int u;

	*out = s;
	for (;;) {
		if (s >= r->end)
			return fail(r, "a string without its closing quote");
		if (*s == '"')
			break;
		if ((unsigned char)*s < 0x20)
			return fail(r, "a control character in a string");
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (++s >= r->end)
			return fail(r, "a string without its closing quote");
		switch (*s) {
		case '"': case '\\': case '/': *o++ = *s++; break;
		case 'b': *o++ = '\b'; s++; break;
		case 'f': *o++ = '\f'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'u':
			if (r->end - s < 5 || hex4(s + 1, &u))
				return fail(r, "a \\u escape without 4 hex digits");
			if (!u)
				return fail(r, "a \\u0000 in a string");
			put_utf8(&o, u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
			s += 5;
			break;
		default:
			return fail(r, "an unknown escape in a string");
		}
	}
	*o = '\0';
	r->p = s + 1;
	return 0;
}

static int take_number(struct reader *r, struct mw_json *v)
{
	char *s = r->p, *end, save;
	long long n;

	if (*s == '-')
		s++;
	if (s >= r->end || *s < '0' || *s > '9' || (*s == '0' && s + 1 < r->end &&
						    s[1] >= '0' && s[1] <= '9'))
		return fail(r, "not a value");
	while (s < r->end && strchr("0123456789.eE+-", *s) && *s)
		s++;
	save = *s;
	*s = '\0';		/* the byte after the number: kept below */
	errno = 0;
	n = strtoll(r->p, &end, 10);
	v->is_int = !errno && end == s;
	v->num = v->is_int ? n : 0;
	if (!v->is_int) {
		errno = 0;
		strtod(r->p, &end);
		if (end != s)
			return fail(r, "not a number");
	}
	v->type = MW_JSON_NUM;
	v->str = strndup(r->p, (size_t)(s - r->p));
	*s = save;
	r->p = s;
	return v->str ? 0 : -ENOMEM;
}

static int take_value(struct reader *r, struct mw_json *v);

/* Elements of an array or members of an object, after its bracket. */
static int take_items(struct reader *r, struct mw_json *v, char close)
{
	struct mw_json **tail = &v->child, *e;
	int err;

	if (++r->depth > MW_JSON_DEPTH)
		return fail(r, "nested too deep");
	skip_ws(r);
	if (r->p < r->end && *r->p == close)
		goto done;
	for (;;) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		*tail = e;
		tail = &e->next;
		skip_ws(r);
		if (close == '}') {
			if (r->p >= r->end || *r->p != '"')
				return fail(r, "an object's member without its name");
			err = take_string(r, &e->key);
			if (err)
				return err;
			skip_ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return fail(r, "no ':' after a member's name");
			skip_ws(r);
		}
		err = take_value(r, e);
		if (err)
			return err;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close)
			break;
		return fail(r, close == '}' ? "no ',' or '}' in an object" :
				"no ',' or ']' in an array");
	}
done:
	r->p++;
	r->depth--;
	return 0;
}

static int take_word(struct reader *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n))
		return fail(r, "not a value");
	r->p += n;
	return 0;
}

static int take_value(struct reader *r, struct mw_json *v)
{
	if (r->p >= r->end)
		return fail(r, "a value is missing");
	switch (*r->p) {
	case '{':
		v->type = MW_JSON_OBJ;
		r->p++;
		return take_items(r, v, '}');
	case '[':
		v->type = MW_JSON_ARR;
		r->p++;
		return take_items(r, v, ']');
	case '"':
		v->type = MW_JSON_STR;
		return take_string(r, &v->str);
	case 't':
		v->type = MW_JSON_BOOL;
		v->b = true;
		return take_word(r, "true");
	case 'f':
		v->type = MW_JSON_BOOL;
		return take_word(r, "false");
	case 'n':
		v->type = MW_JSON_NULL;
		return take_word(r, "null");
	default:
		return take_number(r, v);
	}
}

static void free_items(struct mw_json *v)
{
	struct mw_json *e, *next;

	for (e = v->child; e; e = next) {
		next = e->next;
		free_items(e);
		if (e->type == MW_JSON_NUM)
			free((char *)e->str);
		free(e);
	}
}

void mw_json_free(struct mw_json *v)
{
	struct json_doc *d = (struct json_doc *)v;

	if (!v)
		return;
	free_items(v);
	if (v->type == MW_JSON_NUM)
		free((char *)v->str);
	free(d->buf);
	free(d);
}

int mw_json_parse(const char *text, size_t len, struct mw_json **out,
		  const char **why, size_t *at)
{
	struct json_doc *d = calloc(1, sizeof(*d));
	struct reader r = { 0 };
	int err;

	if (d)
		d->buf = malloc(len + 1);
	if (!d || !d->buf) {
		free(d);
		return -ENOMEM;
	}
	memcpy(d->buf, text, len);
	d->buf[len] = '\0';
	r.p = d->buf;
	r.end = d->buf + len;
	skip_ws(&r);
	err = take_value(&r, &d->root);
	skip_ws(&r);
	if (!err && r.p != r.end)
		err = fail(&r, "more after the value");
	if (err) {
		if (why)
			*why = err == -ENOMEM ? "out of memory" : r.why;
		if (at)
			*at = (size_t)(r.p - d->buf);
		mw_json_free(&d->root);
		return err;
	}
	*out = &d->root;
	return 0;
}

const struct mw_json *mw_json_get(const struct mw_json *o, const char *key)
{
	const struct mw_json *e;

	if (!o || o->type != MW_JSON_OBJ)
		return NULL;
	for (e = o->child; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

const char *mw_json_str(const struct mw_json *o, const char *key)
{
	const struct mw_json *v = mw_json_get(o, key);

	return v && v->type == MW_JSON_STR ? v->str : NULL;
}

int mw_json_int(const struct mw_json *o, const char *key, int64_t *n)
{
	const struct mw_json *v = mw_json_get(o, key);

	if (!v || v->type != MW_JSON_NUM || !v->is_int)
		return -ENOENT;
	*n = v->num;
	return 0;
}
