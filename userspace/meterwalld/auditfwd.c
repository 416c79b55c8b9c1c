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

#include "jsonread.h"
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

/* One audit record (a flat object of strings and numbers, as
 * mw_ctl_audit writes them) as an event: its action the event's id, its
 * fields (but the times, which the event has) the event's data. */
static void forward(struct mwd_events *ev, const char *line, size_t len)
{
	const char *fields[2 * MAX_FIELDS + 1];
	const char *action = NULL, *user = "";
	const struct mw_json *m;
	struct mw_json *rec;
	int n = 0;

	if (mw_json_parse(line, len, &rec, NULL, NULL))
		return;
	if (rec->type != MW_JSON_OBJ)
		goto out;
	for (m = rec->child; m; m = m->next) {
		if (m->type != MW_JSON_STR && m->type != MW_JSON_NUM)
			goto out;	/* not one of ours */
		if (!strcmp(m->key, "action"))
			action = m->str;
		else if (!strcmp(m->key, "claimed"))
			user = m->str;
		if (strcmp(m->key, "ts_ns") && strcmp(m->key, "time") &&
		    strcmp(m->key, "action") && n < MAX_FIELDS) {
			fields[2 * n] = m->key;
			fields[2 * n++ + 1] = m->str;
		}
	}
	fields[2 * n] = NULL;
	if (action && (strcmp(user, "meterwalld") || !strcmp(action, "seal")))
		/* (the daemon's own records: its events say it already) */
		mwd_event(ev, 5, action, fields,
			  "%s (audit record, %d fields)", action, n);
out:
	mw_json_free(rec);
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
		forward(ev, a->line, (size_t)len);
	}
	fclose(f);
}
