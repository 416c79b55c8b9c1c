// SPDX-License-Identifier: GPL-2.0
/*
 * The audit log's verifier (audit.h): the whole chain from K_0, the seals
 * that came off the host, the key state on it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "audit_int.h"

#define SEQ_PREFIX	"{\"seq\":"
#define MAC_PREFIX	",\"mac\":\""

int audit_line_check(const char *line, size_t len, uint64_t *seq,
		     const uint8_t *key, const uint8_t *prev,
		     uint8_t mac[MW_AUDIT_MAC_LEN], const char **why)
{
	const size_t pl = sizeof(SEQ_PREFIX) - 1, ml = sizeof(MAC_PREFIX) - 1;
	const size_t tail = MW_AUDIT_MAC_SUFFIX_LEN - 1;	/* no newline */
	uint8_t want[MW_AUDIT_MAC_LEN];
	const char *p = line + pl, *m;
	uint64_t n = 0;

	if (len < pl + 2 + tail || memcmp(line, SEQ_PREFIX, pl)) {
		*(why ? why : &p) = "not a record (no {\"seq\": at its start)";
		return -EBADMSG;
	}
	/* digits, no leading zero: one spelling for each number */
	if (*p == '0' && p[1] != ',')
		p = line;
	for (; p < line + len - tail && *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			break;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	m = line + len - tail;
	if (p == line + pl || *p != ',' || memcmp(m, MAC_PREFIX, ml) ||
	    memcmp(line + len - 2, "\"}", 2) ||
	    strspn(m + ml, "0123456789abcdef") < 2 * MW_AUDIT_MAC_LEN ||
	    audit_unhex(m + ml, mac, MW_AUDIT_MAC_LEN)) {
		*(why ? why : &p) = "malformed: no seq number at its start or no ,\"mac\":\"HEX\"} at its end";
		return -EBADMSG;
	}
	*seq = n;
	if (!key)
		return 0;
	if (audit_mac(key, prev, line, (size_t)(m - line), want) ||
	    CRYPTO_memcmp(want, mac, sizeof(want))) {
		*(why ? why : &p) = "its mac is wrong: the record was changed, or one before it";
		return -EBADMSG;
	}
	return 0;
}

static int bad(struct mw_audit_verify *v, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct mw_audit_verify *v, long line, const char *fmt, ...)
{
	va_list ap;

	v->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int seal_cmp(const void *a, const void *b)
{
	const struct mw_audit_seal *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct walk {
	uint8_t key[MW_AUDIT_KEY_LEN];
	uint8_t prev[MW_AUDIT_MAC_LEN];
	uint64_t seq;			/* the next record's */
	long line;
	struct mw_audit_seal *seals;
	size_t n_seals, si;
};

/* One line: its seq, its mac, the seals that name it. */
static int walk_line(struct mw_audit_verify *v, struct walk *w,
		     const char *p, size_t len)
{
	uint8_t mac[MW_AUDIT_MAC_LEN];
	const char *why;
	uint64_t seq;

	if (audit_line_check(p, len, &seq, NULL, NULL, mac, &why))
		return bad(v, w->line, "record %" PRIu64 ": %s", w->seq, why);
	if (seq != w->seq)
		return bad(v, w->line,
			   "seq %" PRIu64 " where record %" PRIu64 " belongs: records were removed, added or moved",
			   seq, w->seq);
	if (v->key0 &&
	    audit_line_check(p, len, &seq, w->key, w->prev, mac, &why))
		return bad(v, w->line, "record %" PRIu64 ": %s", seq, why);
	for (; w->si < w->n_seals && w->seals[w->si].seq == seq; w->si++) {
		if (CRYPTO_memcmp(w->seals[w->si].mac, mac, sizeof(mac)))
			return bad(v, w->line,
				   "record %" PRIu64 " is not the one its seal (shipped off the host) names: the log was rewritten",
				   seq);
		v->seals_matched++;
	}
	if (v->key0 && audit_evolve(w->key))
		return bad(v, w->line, "internal error: SHA-256 failed");
	memcpy(w->prev, mac, sizeof(mac));
	w->seq++;
	v->records++;
	return 0;
}

/* The end of the log: where the seals and the key state say it is. */
static int walk_end(struct mw_audit_verify *v, struct walk *w)
{
	const struct mw_audit_state *st = v->state;

	if (w->si < w->n_seals)
		return bad(v, 0,
			   "the log ends after %" PRIu64 " records, but a seal names record %" PRIu64 ": records were cut off its end",
			   w->seq, w->seals[w->si].seq);
	if (!st)
		return w->seq ? 0 : bad(v, 0, "the log holds no record");
	if (st->seq > w->seq)
		return bad(v, 0,
			   "the log ends after %" PRIu64 " records, but the key state is at record %" PRIu64 ": records were cut off its end",
			   w->seq, st->seq);
	if (st->seq < w->seq)
		return bad(v, 0,
			   "the key state is at record %" PRIu64 ", but the log holds %" PRIu64 " records: the key state is old (restored from a copy?)",
			   st->seq, w->seq);
	if ((v->key0 && CRYPTO_memcmp(st->key, w->key, sizeof(w->key))) ||
	    CRYPTO_memcmp(st->mac, w->prev, sizeof(w->prev)))
		return bad(v, 0,
			   "the key state's key or mac is not the chain's: the key state was replaced");
	return 0;
}

int mw_audit_verify_log(const char *log, size_t len, struct mw_audit_verify *v)
{
	const char *p = log, *end = log + len, *nl;
	struct walk w = { .line = 1 };
	int err = 0;

	v->records = 0;
	v->seals_matched = 0;
	v->bad_line = 0;
	v->why[0] = '\0';
	if (v->key0)
		memcpy(w.key, v->key0, sizeof(w.key));
	if (v->n_seals) {
		w.seals = malloc(v->n_seals * sizeof(*w.seals));
		if (!w.seals)
			return -ENOMEM;
		memcpy(w.seals, v->seals, v->n_seals * sizeof(*w.seals));
		qsort(w.seals, v->n_seals, sizeof(*w.seals), seal_cmp);
		w.n_seals = v->n_seals;
	}
	for (; !err && p < end; p = nl + 1, w.line++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			err = bad(v, w.line, "record %" PRIu64 " is torn: no end of line",
				  w.seq);
			break;
		}
		err = walk_line(v, &w, p, (size_t)(nl - p));
	}
	if (!err)
		err = walk_end(v, &w);
	OPENSSL_cleanse(w.key, sizeof(w.key));
	free(w.seals);
	return err;
}

/* The value of name in line: "name":V, "name":"V" or name="V" (digits
 * and lowercase hex only).  NULL when absent. */
static const char *value_of(const char *line, const char *end,
			    const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	const char *p = line, *at, *v;

	while ((at = memmem(p, (size_t)(end - p), name, n))) {
		v = p = at + n;
		if (at > line && at[-1] == '"' && v + 1 < end &&
		    v[0] == '"' && v[1] == ':')
			v += 2;
		else if ((at == line || at[-1] == ' ') && v < end &&
			 v[0] == '=')
			v += 1;
		else
			continue;
		if (v < end && *v == '"')
			v++;
		*vlen = 0;
		while (v + *vlen < end && v[*vlen] &&
		       strchr("0123456789abcdef", v[*vlen]))
			++*vlen;
		return *vlen ? v : NULL;
	}
	return NULL;
}

static int parse_seal(const char *p, const char *end, struct mw_audit_seal *s)
{
	const char *seq, *mac;
	size_t sl, ml, i;

	seq = value_of(p, end, "seq", &sl);
	mac = value_of(p, end, "mac", &ml);
	if (!seq || !mac || ml != 2 * MW_AUDIT_MAC_LEN ||
	    audit_unhex(mac, s->mac, sizeof(s->mac)) || sl > 19)
		return -EINVAL;
	for (s->seq = 0, i = 0; i < sl; i++) {
		if (seq[i] < '0' || seq[i] > '9')
			return -EINVAL;
		s->seq = s->seq * 10 + (uint64_t)(seq[i] - '0');
	}
	return 0;
}

int mw_audit_seals_parse(const char *text, size_t len,
			 struct mw_audit_seal **out)
{
	const char *p = text, *end = text + len, *nl;
	struct mw_audit_seal *s = NULL, *t;
	size_t n = 0, cap = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			t = realloc(s, cap * sizeof(*s));
			if (!t) {
				free(s);
				return -ENOMEM;
			}
			s = t;
		}
		if (!parse_seal(p, nl, &s[n]))
			n++;
	}
	*out = s;
	return (int)n;
}
