/* SPDX-License-Identifier: GPL-2.0 */
/* Evidence bundles' internals, shared by evidence*.c (evidence.h). */
#ifndef MW_EVIDENCE_INT_H
#define MW_EVIDENCE_INT_H

#include <stdio.h>

#include "ctl_int.h"
#include "evidence.h"
#include "jsonread.h"

enum ev_member_id {
	EV_POLICY,
	EV_AUDIT,
	EV_BLOCKS,
	EV_HISTORY,
	EV_FLOWS,
	EV_EVENTS,
	EV_COUNTERS,
	EV_N
};

struct ev_member {
	const char *name;
	char *data;
	size_t len;
	uint64_t records;
	uint64_t unreadable;		/* lines of its sources skipped */
	char sources[2][600];		/* files read ("": none) */
	char note[700];			/* why it is empty ("": it is not) */
};

struct ev_audit {
	const char *check;		/* "chain", "structure", "failed", "absent" */
	const char *key;		/* "off-host", "on-host", "none" */
	uint64_t records;
	long bad_line;
	char why[256];
};

struct ev_ctx {
	struct mw_ctl *c;
	const struct mw_evidence_opts *o;
	const struct mw_image_view *v;		/* NULL: no policy in force */
	const struct mw_img_system *s;		/* NULL: not in it */
	const char *demarcation;		/* "" when unknown */
	struct ev_member m[EV_N];
	struct ev_audit audit;
	bool counters;
	int64_t now_ns;
};

/* evidence_collect.c: the JSON-lines members, blocks, the audit log */
int ev_collect_lines(struct ev_ctx *x);
int ev_collect_blocks(struct ev_ctx *x);
int ev_collect_audit(struct ev_ctx *x);
/* evidence_policy.c: policy-entry.json, counters.json */
int ev_collect_policy(struct ev_ctx *x);
int ev_collect_counters(struct ev_ctx *x);

/* A member's text written through f (jp_* on it, or fputs); 0 or -errno. */
FILE *ev_open(struct ev_member *m);
int ev_close(struct ev_member *m, FILE *f);

/* evidence.c */
void ev_hex(const uint8_t *d, size_t n, char *out);
void ev_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
