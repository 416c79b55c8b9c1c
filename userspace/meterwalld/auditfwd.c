// SPDX-License-Identifier: GPL-2.0
/*
 * State changes made by mwctl (policy loads, blocks, unblocks, island,
 * attach, detach, clock syncs) become events: every second the audit
 * log's new lines are read (from where the daemon started: no replay) and
 * each record is passed on with its action as the event's id and its
 * fields as the event's data, so the off-host collector sees them as
 * they happen (the record's time fields aside: the event has its own;
 * its seq and mac stay).  The daemon's own records (its claimed user
 * "meterwalld") are not passed on: its events say the same already; but
 * seals are, whoever wrote them: they are how the chain's progress leaves
 * the host (audit.h), for `mwctl audit verify --seals'.  A log that
 * shrank (rotated) is read from its start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meterwalld.h"

#define MAX_FIELDS	24

struct mwd_auditfwd {
	char path[512];
	long off;
	char *line;
	size_t cap;
};

int mwd_auditfwd_open(const char *log_dir, struct mwd_auditfwd **out)
{
	struct mwd_auditfwd *a = calloc(1, sizeof(*a));
	struct stat st;

	if (!a)
		return -ENOMEM;
	if ((size_t)snprintf(a->path, sizeof(a->path), "%s/audit.log",
			     log_dir) >= sizeof(a->path)) {
		free(a);
		return -ENAMETOOLONG;
	}
	a->off = stat(a->path, &st) ? 0 : (long)st.st_size;
	*out = a;
	return 0;
}

void mwd_auditfwd_close(struct mwd_auditfwd *a)
{
	if (a)
		free(a->line);
	free(a);
}

/* A JSON string at *p (after its opening quote) into itself, unescaped
 * (\uXXXX below 0x80 only, else '?'); *p left after the closing quote.
 * NULL if the string does not end. */
static char *json_string(char **p)
{
	char *s = *p, *w = s, *r = s;

	for (; *r && *r != '"'; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case 'n': *w++ = '\n'; break;
		case 't': *w++ = '\t'; break;
		case 'r': *w++ = '\r'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'u': {
			unsigned int c = 0;

			if (sscanf(r + 1, "%4x", &c) != 1)
				return NULL;
			*w++ = c < 0x80 ? (char)c : '?';
			r += 4;
			break;
		}
		case '\0': return NULL;
		default: *w++ = *r; break;	/* \" \\ \/ */
		}
	}
	if (*r != '"')
		return NULL;
	*w = '\0';
	*p = r + 1;
	return s;
}

/*
 * One flat audit record ({"k":"v" or number, ...}, as mw_ctl_audit writes
 * them) into kv pairs pointing into line.  Returns the pair count, or -1.
 */
static int parse_record(char *line, const char **kv, int max)
{
	char *p = line, *k, *v, end;
	int n = 0;

	if (*p++ != '{')
		return -1;
	while (*p == '"' || *p == ',') {
		if (*p == ',')
			p++;
		if (*p++ != '"' || !(k = json_string(&p)) || *p++ != ':')
			return -1;
		if (*p == '"') {
			p++;
			if (!(v = json_string(&p)))
				return -1;
			end = 0;
		} else {		/* a number */
			v = p;
			p += strspn(p, "-0123456789");
			end = *p;
			if (end != ',' && end != '}')
				return -1;
			*p++ = '\0';
		}
		if (n + 2 < max) {
			kv[n++] = k;
			kv[n++] = v;
		}
		if (end == '}')
			break;	/* (after a number's ',' p is at the next key) */
	}
	kv[n] = NULL;
	return n / 2;
}

static void forward(struct mwd_events *ev, char *line)
{
	const char *kv[2 * MAX_FIELDS + 1], *fields[2 * MAX_FIELDS + 1];
	const char *action = NULL, *user = "";
	int i, n, m = 0;

	if (parse_record(line, kv, 2 * MAX_FIELDS) < 0)
		return;
	for (i = 0; kv[i]; i += 2) {
		if (!strcmp(kv[i], "action"))
			action = kv[i + 1];
		else if (!strcmp(kv[i], "claimed"))
			user = kv[i + 1];
		if (strcmp(kv[i], "ts_ns") && strcmp(kv[i], "time") &&
		    strcmp(kv[i], "action")) {
			fields[m++] = kv[i];
			fields[m++] = kv[i + 1];
		}
	}
	fields[m] = NULL;
	n = m / 2;
	if (!action ||
	    (!strcmp(user, "meterwalld") && strcmp(action, "seal")))
		return;		/* the daemon's own: its events say it */
	mwd_event(ev, 5, action, fields, "%s (audit record, %d fields)",
		  action, n);
}

void mwd_auditfwd_poll(struct mwd_auditfwd *a, struct mwd_events *ev)
{
	struct stat st;
	ssize_t len;
	FILE *f;

	if (stat(a->path, &st))
		return;
	if ((long)st.st_size < a->off)
		a->off = 0;		/* rotated or truncated */
	if ((long)st.st_size == a->off)
		return;
	f = fopen(a->path, "re");
	if (!f || fseek(f, a->off, SEEK_SET)) {
		if (f)
			fclose(f);
		return;
	}
	while ((len = getline(&a->line, &a->cap, f)) > 0) {
		if (a->line[len - 1] != '\n')
			break;		/* not complete yet: next time */
		a->off += (long)len;
		a->line[len - 1] = '\0';
		forward(ev, a->line);
	}
	fclose(f);
}
